"""Bytes of unknown encoding: charset-normalizer alone vs luanma.repair_bytes.

    python benchmarks/bytes_detect.py --n 100 [--markdown docs/generated/bytes-detect.md]

Cases: held-out corpus texts (benchmarks/accuracy.py's selection), of at
least ``--min-len`` characters, as bytes

* ``legacy``: encoded in their language's legacy code page (GBK, Big5,
  Shift_JIS, EUC-KR): the question is only which encoding it is;
* ``mojibake``: mojibake saved as UTF-8 (the text garbled with
  ``corrupt(text, "utf-8 -> gbk")`` etc., then encoded as UTF-8): the
  bytes are valid UTF-8, so detection alone returns the garbled text.

A case counts when the decoded text equals the original exactly.
charset-normalizer: ``str(from_bytes(data).best())``; luanma:
``repair_bytes(data).text`` (which uses charset-normalizer to detect).
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from charset_normalizer import __version__ as cn_version, from_bytes  # noqa: E402

import luanma  # noqa: E402
from accuracy import load_corpus  # noqa: E402
from luanma import UnrepresentableError, corrupt  # noqa: E402

ROWS = [("zh-Hans", "gbk", "utf-8 -> gbk"), ("zh-Hant", "big5", "utf-8 -> gbk"),
        ("ja", "shift_jis", "utf-8 -> shift_jis"), ("ko", "euc_kr", "utf-8 -> cp1252:c1")]


def cn_text(data: bytes) -> str | None:
    best = from_bytes(data).best()
    return None if best is None else str(best)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100, help="cases per row")
    ap.add_argument("--min-len", type=int, default=20)
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--markdown", metavar="PATH")
    args = ap.parse_args()
    corpus = load_corpus()
    rng = random.Random(args.seed)
    head = ["case", "n", "charset-normalizer exact %", "luanma.repair_bytes exact %"]
    rows = []
    for lang, codec, plan in ROWS:
        pool = [t for t in corpus[lang] if len(t) >= args.min_len]
        rng.shuffle(pool)
        for kind in ("legacy", "mojibake"):
            n = cn_ok = lm_ok = 0
            for t in pool:
                try:
                    if kind == "legacy":
                        data = t.encode(codec)
                    else:
                        c = corrupt(t, plan)
                        if c.lossy or c.text == t:
                            continue
                        data = c.text.encode("utf-8")
                except (UnicodeEncodeError, UnrepresentableError, luanma.UndecodableBytesError):
                    continue
                n += 1
                cn_ok += cn_text(data) == t
                lm_ok += luanma.repair_bytes(data).text == t
                if n >= args.n:
                    break
            name = f"{lang} {codec} bytes" if kind == "legacy" else f"{lang} {plan}, saved as UTF-8"
            rows.append([name, str(n), f"{100 * cn_ok / max(n, 1):.1f}", f"{100 * lm_ok / max(n, 1):.1f}"])
            print(" | ".join(rows[-1]), flush=True)
    if args.markdown:
        import docout

        docout.write(args.markdown, f"charset-normalizer {cn_version}.\n\n"
                     + docout.table(head, rows, right={1, 2, 3}))


if __name__ == "__main__":
    main()
