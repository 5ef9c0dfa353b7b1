"""Misaligned streams: how often repair() puts a cut double-byte stream back
in step, and how often it touches clean text that merely has a '?' before
CJK characters.

Cases are made from held-out corpus lines (the same selection as
benchmarks/accuracy.py): the line is encoded with the language's legacy
code page, a buffer boundary falls inside a random double-byte character
(its first byte comes out as '?'), and the rest is decoded with the Windows
decoder, one byte out of step until an ASCII byte.  With ``fold``, a
cleaner then folds full-width forms to ASCII over the whole text (so the
comparison folds both sides too).

    python benchmarks/misaligned.py            # 60 cases a row
    python benchmarks/misaligned.py --n 200
    python benchmarks/misaligned.py --markdown docs/generated/misaligned.md

Columns: cases; exact (repair == original); right-or-lost (the original
but for characters left visibly lost as U+FFFD); changed-wrong (repair
changed the text into something else: a wrong guess or a wrong span); for
the clean rows, lines changed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "src"))
sys.path.insert(0, str(ROOT))

import luanma  # noqa: E402
from accuracy import MISALIGNED, cut_stream, load_corpus  # noqa: E402
from luanma.layers import FOLDS  # noqa: E402



def cut(text: str, decoder: str, rng: random.Random) -> str | None:
    """``text`` with its stream cut inside one random double-byte character
    that has at least two non-ASCII characters after it."""
    got = cut_stream(text, decoder, rng, 2)
    return got[0] if got else None


def _marked(got: str, want: str) -> bool:
    """``got`` is ``want`` but for characters left visibly lost (U+FFFD)."""
    return len(got) == len(want) and all(g == w or g == "\ufffd" for g, w in zip(got, want))


def run(n: int, seed: int, fold: bool) -> list[tuple]:
    corpus = load_corpus()
    rows = []
    width = FOLDS["width"]
    for lang, decoder in MISALIGNED:
        rng = random.Random(f"{seed}-{lang}")
        texts = [t for t in corpus[lang] if 12 <= len(t) <= 400]
        rng.shuffle(texts)
        cases = exact = marked = wrong = 0
        for text in texts:
            if cases >= n:
                break
            garbled = cut(text, decoder, rng)
            if garbled is None:
                continue
            want = text
            if fold:
                garbled, want = width(garbled), width(text)
            cases += 1
            got = luanma.repair(garbled)
            if fold:
                got = width(got)
            exact += got == want
            marked += _marked(got, want)
            wrong += got != garbled and not _marked(got, want)
        rows.append((f"{lang} {decoder}{' + fold:width' if fold else ''}", cases, exact, marked, wrong))
    return rows


def clean_rows(n: int, seed: int) -> list[tuple]:
    """Clean lines as they are, and with a '?' put before a random non-ASCII
    character (a question mark typed half-width: it must stay)."""
    corpus = load_corpus()
    rng = random.Random(seed)
    rows = []
    for lang, texts in corpus.items():
        texts = [t for t in texts if any(not c.isascii() for c in t)]
        rng.shuffle(texts)
        texts = texts[:n]
        as_is = sum(luanma.repair(t) != t for t in texts)
        marked = []
        for t in texts:
            spots = [i for i, c in enumerate(t) if not c.isascii()]
            i = rng.choice(spots)
            marked.append(t[:i] + "?" + t[i:])
        changed = sum(luanma.repair(t) != t for t in marked)
        rows.append((f"clean {lang}", len(texts), as_is, f"with '?': {changed}"))
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=60, help="cases per row (default 60)")
    ap.add_argument("--clean", type=int, default=1000, help="clean lines per language (default 1000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--markdown", metavar="PATH",
                    help="also write the tables as Markdown (e.g. docs/generated/misaligned.md)")
    args = ap.parse_args(argv)
    t0 = time.time()
    rows = []
    print(f"{'row':32} {'cases':>6} {'exact':>7} {'right-or-lost':>14} {'changed-wrong':>14}")
    for fold in (False, True):
        for name, cases, exact, restored, wrong in run(args.n, args.seed, fold):
            pct = (lambda k: f"{100 * k / cases:.1f}%") if cases else (lambda k: "-")
            print(f"{name:32} {cases:6} {pct(exact):>7} {pct(restored):>14} {wrong:14}")
            rows.append([name, str(cases), pct(exact), pct(restored), str(wrong)])
    clean = []
    print(f"\n{'clean row':32} {'lines':>6} {'changed':>8}")
    for name, lines, changed, marked in clean_rows(args.clean, args.seed):
        print(f"{name:32} {lines:6} {changed:8}   {marked}")
        clean.append([name, str(lines), str(changed), marked.removeprefix("with '?': ")])
    seconds = time.time() - t0
    print(f"\n({seconds:.0f} s, luanma {luanma.__version__})")
    if args.markdown:
        import docout
        body = (docout.table(["row", "cases", "exact", "right-or-lost", "changed-wrong"],
                             rows, right={1, 2, 3, 4})
                + "\n\n"
                + docout.table(["clean row", "lines", "changed", "changed with a '?' put in"],
                               clean, right={1, 2, 3})
                + f"\n\n{seconds:.0f} s, luanma {luanma.__version__}.")
        docout.write(args.markdown, body, None if argv is None else [sys.argv[0], *argv])


if __name__ == "__main__":
    main()
