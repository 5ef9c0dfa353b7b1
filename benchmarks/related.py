"""Records of one source (luanma.related.repair_related) against each
record on its own (luanma.repair): what sharing the evidence gains, and
what it risks.

Three tables:

1. ``../shared/realworld/repo-pairs.jsonl``, its lines grouped by the file
   they came from (repo and path), each group repaired as one source:
   exact lines per record alone and per source, and lines left further
   from the original than they came in ("worse").  Skipped, with a note,
   where ../shared is absent.
2. Clean sources: each corpus language (and ../shared's clean.jsonl per
   language) cut into sources of ``--size`` consecutive records: records
   changed (false positives).  Nothing adopts a chain where no record is
   repaired on its own, so any change here is a defect.
3. Mixed sources, where the assumption (one source, one wrong decoder)
   does not hold: ``--size`` records, a share of them short values
   ("Key=value", 1-6 characters of held-out zh-Hans text) garbled as GBK
   shown as Big5, the rest clean records of every corpus language: garbled
   records repaired exactly, alone and together, and clean records
   changed.

    python benchmarks/related.py
    python benchmarks/related.py --markdown docs/generated/related.md
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "src"))
sys.path.insert(0, str(ROOT))

import luanma  # noqa: E402
from accuracy import SHARED, char_accuracy, load_corpus, realworld_pairs  # noqa: E402
from luanma.related import MIN_RECORDS, MIN_SHARE, repair_related  # noqa: E402

KEYS = ("Name", "Title", "Label", "Value", "Item", "Tip", "Menu", "Text")


def realworld(rows: list[list[str]]) -> None:
    pairs = realworld_pairs()
    if not pairs:
        return
    by_file: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in pairs:
        by_file[(r["source"]["repo"], r["source"]["path"])].append(r)
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for group in by_file.values():
        together = repair_related([r["garbled"] for r in group])
        for r, out in zip(group, together):
            s = stats["lossy" if r["lossy"] else "lossless"]
            alone = luanma.repair(r["garbled"])
            s[0] += 1
            s[1] += alone == r["original"]
            s[2] += out == r["original"]
            s[3] += char_accuracy(alone, r["original"]) < char_accuracy(r["garbled"], r["original"]) - 1e-9
            s[4] += char_accuracy(out, r["original"]) < char_accuracy(r["garbled"], r["original"]) - 1e-9
    for kind in ("lossless", "lossy"):
        n, alone, together, worse_alone, worse_together = stats[kind]
        rows.append([f"realworld {kind} ({len(by_file)} files)", str(n), _pct(alone, n), _pct(together, n),
                     f"{worse_alone} / {worse_together}"])


def clean_sources(size: int, rows: list[list[str]]) -> None:
    corpus = load_corpus()
    sets = dict(corpus)
    path = SHARED / "realworld" / "clean.jsonl"
    if path.exists():
        by_lang: dict[str, list[str]] = defaultdict(list)
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                by_lang[r.get("lang", "?")].append(r["text"])
        sets["../shared clean.jsonl (per language)"] = [t for texts in by_lang.values() for t in texts]
    for name, texts in sets.items():
        changed = 0
        for i in range(0, len(texts), size):
            part = texts[i:i + size]
            changed += sum(a != b for a, b in zip(part, repair_related(part)))
        rows.append([f"clean {name}", str(len(texts)), str(-(-len(texts) // size)), str(changed)])


def _values(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """``n`` (original, garbled) short key=value records: held-out zh-Hans
    pieces of 1-6 Han characters, GBK shown as Big5."""
    pieces = [m.group() for t in load_corpus(("zh-Hans",))["zh-Hans"]
              for m in re.finditer(r"[\u4e00-\u9fff]{1,6}", t)]
    rng.shuffle(pieces)
    out = []
    for p in pieces:
        try:
            g = luanma.corrupt(p, "gbk -> big5").text
        except luanma.LuanmaError:
            continue
        if g != p:
            key = rng.choice(KEYS)
            out.append((f"{key}={p}", f"{key}={g}"))
        if len(out) >= n:
            break
    return out


def mixed_sources(size: int, sources: int, seed: int, rows: list[list[str]]) -> None:
    rng = random.Random(seed)
    corpus = load_corpus()
    clean_pool = [t for texts in corpus.values() for t in texts if not t.isascii()]
    path = SHARED / "realworld" / "clean.jsonl"
    if path.exists():
        with path.open(encoding="utf-8") as fh:
            clean_pool += [t for t in (json.loads(line)["text"] for line in fh) if not t.isascii()]
    values = _values(rng, size * sources)
    for share in (0.25, 0.5, 0.75):
        k = round(size * share)
        garbled_n = alone_ok = together_ok = clean_n = clean_changed = 0
        for s in range(sources):
            mine = values[s * k:(s + 1) * k]
            clean = rng.sample(clean_pool, size - k)
            records = [(o, g, True) for o, g in mine] + [(t, t, False) for t in clean]
            rng.shuffle(records)
            together = repair_related([g for _, g, _ in records])
            for (orig, g, garbled), out in zip(records, together):
                if garbled:
                    garbled_n += 1
                    alone_ok += luanma.repair(g) == orig
                    together_ok += out == orig
                else:
                    clean_n += 1
                    clean_changed += out != orig
        rows.append([f"{share:.0%} garbled", str(sources), str(garbled_n), _pct(alone_ok, garbled_n),
                     _pct(together_ok, garbled_n), str(clean_n), str(clean_changed)])


def _pct(k: int, n: int) -> str:
    return f"{100 * k / n:.1f}%" if n else "-"


def _print(head: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    print(" | ".join(h.ljust(w) for h, w in zip(head, widths)))
    for r in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths)))
    print()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=40, help="records per source (clean and mixed tables)")
    ap.add_argument("--sources", type=int, default=10, help="mixed sources per share")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--markdown", metavar="PATH", help="also write the tables as Markdown")
    args = ap.parse_args(argv)
    t0 = time.time()
    heads = (["rows", "lines", "exact alone", "exact with their file", "worse alone / with file"],
             ["clean rows", "records", "sources", "changed"],
             ["mixed sources", "sources", "garbled records", "exact alone", "exact together",
              "clean records", "clean changed"])
    tables: list[list[list[str]]] = [[], [], []]
    realworld(tables[0])
    clean_sources(args.size, tables[1])
    mixed_sources(args.size, args.sources, args.seed, tables[2])
    for head, rows in zip(heads, tables):
        if rows:
            _print(head, rows)
    seconds = time.time() - t0
    tail = (f"Adoption: a chain repairs at least {MIN_RECORDS} records alone and at least "
            f"{MIN_SHARE:.0%} of those with non-ASCII text. {seconds:.0f} s, luanma {luanma.__version__}.")
    print(tail)
    if args.markdown:
        import docout
        body = "\n\n".join(docout.table(h, r, right=set(range(1, len(h)))) for h, r in zip(heads, tables) if r)
        docout.write(args.markdown, body + "\n\n" + tail, None if argv is None else [sys.argv[0], *argv])


if __name__ == "__main__":
    main()
