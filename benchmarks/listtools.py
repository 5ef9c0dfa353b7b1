"""What a "乱码恢复" candidate list offers, against what luanma decides.

The web pages and utilities found under "乱码恢复" or "乱码转换" show a
garbled string re-read under every pair of encodings they know, and a
person picks the row that reads right.  This script builds that list the
way those tools do -- one step, ``text.encode(A).decode(B)``, strict, for
every pair of the encodings they usually offer (ENCODINGS) -- and counts
how often the original is somewhere in it: the best a person picking rows
can do (an oracle who always picks right), and how long the list is.
luanma's exact rate on the same cases stands beside it, with no person.

Cases: ``../shared/realworld/repo-pairs.jsonl`` (real garbled lines and
their originals, lossless and lossy; skipped where ../shared is absent),
and held-out corpus lines garbled whole through common lossless and lossy
chains (luanma.corrupt).

    python benchmarks/listtools.py
    python benchmarks/listtools.py --markdown docs/generated/listtools.md
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "src"))
sys.path.insert(0, str(ROOT))

import luanma  # noqa: E402
from accuracy import load_corpus, realworld_pairs  # noqa: E402

#: The encodings such tools list (their pages name GBK, GB2312, GB18030,
#: UTF-8, Big5, ISO-8859-1 / Windows-1252, Shift_JIS, EUC-JP, EUC-KR).
ENCODINGS = ("gbk", "gb18030", "utf-8", "big5", "latin-1", "cp1252", "shift_jis", "euc_jp", "euc_kr")

#: Corpus cases: (language, chain) garbled whole.
CHAINS = (("zh-Hans", "utf-8 -> gbk"), ("zh-Hant", "big5 -> gbk"), ("ja", "utf-8 -> shift_jis"),
          ("zh-Hans", "gbk -> cp1252:c1"), ("zh-Hans", "gbk -> big5"), ("zh-Hans", "utf-8 -> gbk:win"),
          ("ko", "utf-8 -> cp949:win"))


def candidates(text: str) -> set[str]:
    """Every one-step strict re-reading of ``text`` (the list's rows)."""
    out = set()
    for a in ENCODINGS:
        try:
            data = text.encode(a)
        except UnicodeEncodeError:
            continue
        for b in ENCODINGS:
            if a == b:
                continue
            try:
                out.add(data.decode(b))
            except UnicodeDecodeError:
                continue
    out.discard(text)
    return out


class Row:
    def __init__(self, name: str) -> None:
        self.name, self.n, self.listed, self.ours, self.sizes = name, 0, 0, 0, []

    def add(self, original: str, garbled: str) -> None:
        rows = candidates(garbled)
        self.n += 1
        self.listed += original in rows
        self.sizes.append(len(rows))
        self.ours += luanma.repair(garbled) == original

    def cells(self) -> list[str]:
        pct = (lambda k: f"{100 * k / self.n:.1f}%") if self.n else (lambda k: "-")
        return [self.name, str(self.n), pct(self.listed),
                f"{statistics.median(self.sizes):.0f}" if self.sizes else "-", pct(self.ours)]


def realworld_rows() -> list[Row]:
    pairs = realworld_pairs()
    if not pairs:
        return []
    rows = {"lossless": Row("realworld lossless"), "lossy": Row("realworld lossy")}
    for r in pairs:
        rows["lossy" if r["lossy"] else "lossless"].add(r["original"], r["garbled"])
    return list(rows.values())


def corpus_rows(n: int, seed: int) -> list[Row]:
    rng = random.Random(seed)
    corpus = load_corpus()
    rows = []
    for lang, chain in CHAINS:
        row = Row(f"{lang}: {chain}")
        pool = [t for t in corpus[lang] if 4 <= len(t) <= 300]
        rng.shuffle(pool)
        for t in pool:
            try:
                g = luanma.corrupt(t, chain).text
            except luanma.LuanmaError:
                continue
            if g != t:
                row.add(t, g)
            if row.n >= n:
                break
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=40, help="corpus cases per chain (default 40)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--markdown", metavar="PATH", help="also write the table as Markdown")
    args = ap.parse_args(argv)
    t0 = time.time()
    rows = realworld_rows() + corpus_rows(args.n, args.seed)
    head = ["cases", "n", "original in the list", "rows in the list (median)", "luanma exact"]
    cells = [r.cells() for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(head)]
    print(" | ".join(h.ljust(w) for h, w in zip(head, widths)))
    for c in cells:
        print(" | ".join(x.ljust(w) for x, w in zip(c, widths)))
    seconds = time.time() - t0
    tail = (f"List: one strict re-reading for each ordered pair of {', '.join(ENCODINGS)}. "
            f"{seconds:.0f} s, luanma {luanma.__version__}.")
    print("\n" + tail)
    if args.markdown:
        import docout
        body = docout.table(head, cells, right={1, 2, 3, 4}) + "\n\n" + tail
        docout.write(args.markdown, body, None if argv is None else [sys.argv[0], *argv])


if __name__ == "__main__":
    main()
