"""Peak memory of one ``repair()`` call, on clean and on garbled text of a
few sizes (tracemalloc: Python allocations, not the process's RSS).

    PYTHONPATH=src nice python benchmarks/memory.py
    PYTHONPATH=src nice python benchmarks/memory.py --clean 10000 --garbled 50,150
    PYTHONPATH=src nice python benchmarks/memory.py --markdown docs/generated/memory.md

Texts are clean zh-Hans corpus lines that the fast path proves clean (as in
tests/test_robustness.py).  Clean: lines joined with line breaks.  Garbled:
lines joined into one line (so the search windows are as long as they get)
and garbled losslessly with ``utf-8 -> cp1252:c1``.  Each text is repaired
once untraced (the language model and its bounded caches, shared by every
call, are loaded and warmed), then once under tracemalloc; the peak of that
second call is the call's working memory.  First, the language model's own
load is measured: seconds, traced memory it keeps, and the growth of the
process's peak RSS (what a worker process pays once).  Columns: characters of the input,
``sys.getsizeof`` of it, the peak, their ratio, and for garbled text the
peak's growth per byte of input from the previous size.  Garbled text is
slow (milliseconds a character, more under tracemalloc): keep its sizes
small on a shared machine.
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

import luanma  # noqa: E402
from luanma import detect  # noqa: E402
from luanma.fastpath import signatures  # noqa: E402
from luanma.model import get_model  # noqa: E402

#: the module (``luanma.repair`` as an attribute is the function)
repair_module = importlib.import_module("luanma.repair")


def clean_hans(n: int, sep: str) -> str:
    """``n`` characters of clean zh-Hans corpus text, lines joined by ``sep``."""
    lines = []
    for path in sorted((ROOT / "corpus").glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                t = json.loads(line)["text"]
                if (any("\u4e00" <= c <= "\u9fff" for c in t)
                        and not any("\u3040" <= c <= "\u30ff" or "\uac00" <= c <= "\ud7a3" for c in t)
                        and not signatures(t)):
                    lines.append(t.replace("\n", sep))
    base = sep.join(lines)
    return (base * (n // len(base) + 1))[:n]


def peak_of_one_call(text: str) -> tuple[str, int, float]:
    """(output, peak traced bytes, seconds) of ``repair(text)``, warm."""
    luanma.repair(text)
    tracemalloc.start()
    try:
        t = time.perf_counter()
        out = luanma.repair(text)
        dt = time.perf_counter() - t
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return out, peak, dt


def model_load() -> list[str]:
    """[seconds, traced MB kept, traced MB peak, peak RSS growth MB] of
    loading the language model (first thing in the process)."""
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    try:
        t = time.perf_counter()
        get_model()
        dt = time.perf_counter() - t
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) * 1024   # Linux: KiB
    return [f"{dt:.2f}", f"{kept / 1e6:.0f}", f"{peak / 1e6:.0f}", f"{rss / 1e6:.0f}"]


def _sizes(arg: str) -> list[int]:
    return [int(x) for x in arg.split(",") if x]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clean", default="100000,1000000",
                    help="sizes of clean text, characters (default 100000,1000000)")
    ap.add_argument("--garbled", default="200,1000,4000",
                    help="sizes of the original of garbled text, characters (default 200,1000,4000)")
    ap.add_argument("--markdown", metavar="PATH",
                    help="also write the table as Markdown (e.g. docs/generated/memory.md)")
    args = ap.parse_args(argv)
    rows: list[list[str]] = []
    t0 = time.perf_counter()
    load = model_load()
    print(f"language model load (traced): {load[0]} s, {load[1]} MB kept, {load[2]} MB peak; "
          f"peak RSS +{load[3]} MB")
    print(f"{'text':28} {'characters':>10} {'input MB':>9} {'peak MB':>9} {'peak/input':>10} "
          f"{'growth B/B':>10} {'exact':>6} {'traced s':>9}")

    def row(kind: str, text: str, want: str, prev: tuple[int, int] | None) -> tuple[int, int]:
        out, peak, dt = peak_of_one_call(text)
        size = sys.getsizeof(text)
        growth = "-" if prev is None else f"{(peak - prev[1]) / (size - prev[0]):.0f}"
        exact = "yes" if out == want else "no"
        cells = [kind, f"{len(text):,}", f"{size / 1e6:.2f}", f"{peak / 1e6:.2f}",
                 f"{peak / size:.1f}", growth, exact, f"{dt:.1f}"]
        print(f"{cells[0]:28} {cells[1]:>10} {cells[2]:>9} {cells[3]:>9} {cells[4]:>10} "
              f"{cells[5]:>10} {cells[6]:>6} {cells[7]:>9}", flush=True)
        rows.append(cells)
        return size, peak

    for n in _sizes(args.clean):
        text = clean_hans(n, "\n")
        row("clean zh-Hans", text, text, None)
    prev = None
    for n in _sizes(args.garbled):
        original = clean_hans(n, "，")
        garbled = luanma.corrupt(original, "utf-8 -> cp1252:c1").text
        prev = row("garbled, utf-8 -> cp1252:c1", garbled, original, prev)
    consts = (f"detect.MAX_SEARCH = {detect.MAX_SEARCH:,}, detect.MEMO_LIMIT = "
              f"{detect.MEMO_LIMIT:,}, repair.LONG_TEXT = {repair_module.LONG_TEXT:,}")
    seconds = time.perf_counter() - t0
    print(f"\n({consts}; {seconds:.0f} s)")
    if args.markdown:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import docout
        head = ["text", "characters", "input (MB)", "peak (MB)", "peak / input",
                "growth (bytes a byte)", "exact", "seconds (traced)"]
        body = (docout.table(["loading the language model", "seconds (traced)", "traced MB kept",
                              "traced MB at peak", "peak RSS growth (MB)"],
                             [["`luanma.model.get_model()`", *load]], right={1, 2, 3, 4})
                + "\n\n" + docout.table(head, rows, right={1, 2, 3, 4, 5, 7})
                + f"\n\nInput size is `sys.getsizeof`; peak is tracemalloc's, for the second "
                  f"of two calls; growth is (peak - previous peak) / (input - previous input). "
                  f"{consts}; {seconds:.0f} s in all.")
        docout.write(args.markdown, body, None if argv is None else [sys.argv[0], *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
