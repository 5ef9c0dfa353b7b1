"""ftfy's own real-world test cases: luanma.repair vs ftfy on the encoding cases.

ftfy ships its cases in its source distribution (tests/test_cases.json), not
in the wheel.  Fetch it once:

    pip download --no-deps --no-binary :all: ftfy==6.3.1 -d /tmp/ftfy && \\
        tar xzf /tmp/ftfy/ftfy-6.3.1.tar.gz -C /tmp/ftfy
    python benchmarks/ftfy_cases.py /tmp/ftfy/ftfy-6.3.1/tests/test_cases.json

``--markdown PATH`` also writes the counts as a Markdown table (for
docs/generated/, shown on the comparison page).

A case is about encodings when ftfy's expected output differs from the
input only by what ftfy.fix_encoding can change, i.e. when
``fix_encoding(fixed) == fixed`` and the input is not already ``fixed``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import ftfy  # noqa: E402

import luanma  # noqa: E402


def main(path: str, markdown: str | None = None) -> None:
    cases = json.loads(Path(path).read_text(encoding="utf-8"))
    rows = {"luanma.repair": 0, "ftfy.fix_encoding": 0, "ftfy.fix_text": 0}
    n = 0
    misses = []
    for case in cases:
        original, fixed = case["original"], case["fixed"]
        if original == fixed or case.get("expect") != "pass":
            continue
        # keep the cases whose expected answer ftfy reaches by encoding repair
        if ftfy.fix_encoding(original) != fixed and ftfy.fix_text(original) == fixed:
            continue
        n += 1
        got = luanma.repair(original)
        rows["luanma.repair"] += got == fixed
        rows["ftfy.fix_encoding"] += ftfy.fix_encoding(original) == fixed
        rows["ftfy.fix_text"] += ftfy.fix_text(original) == fixed
        if got != fixed:
            misses.append((case["label"], original[:50], got[:50], fixed[:50]))
    print(f"{n} encoding cases from {path}")
    for name, ok in rows.items():
        print(f"  {name:18} {ok:4d} / {n}  ({100 * ok / max(n, 1):.1f}%)")
    for m in misses:
        print("  miss:", m)
    if markdown:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import docout

        body = (f"{n} of ftfy {ftfy.__version__}'s test cases are about encodings "
                "(ftfy's expected output is what `fix_encoding` gives).\n\n"
                + docout.table(["tool", "expected output", "%"],
                               [[name, f"{ok} / {n}", f"{100 * ok / max(n, 1):.1f}"]
                                for name, ok in rows.items()], right={1, 2}))
        docout.write(markdown, body)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", nargs="?", default="/tmp/ftfy/ftfy-6.3.1/tests/test_cases.json")
    ap.add_argument("--markdown", metavar="PATH",
                    help="also write the counts as Markdown (e.g. docs/generated/ftfy-cases.md)")
    args = ap.parse_args()
    main(args.path, args.markdown)
