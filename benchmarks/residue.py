#!/usr/bin/env python3
"""Script-conversion residue (luanma.residue): false positives, precision,
recall and the cost on ordinary text.

Run from the repository root (nice it on a shared machine)::

    PYTHONPATH=src nice python benchmarks/residue.py            # all parts
    PYTHONPATH=src nice python benchmarks/residue.py --no-time  # skip the timing
    PYTHONPATH=src nice python benchmarks/residue.py --markdown docs/generated/residue.md

Parts:

1. **Clean text**: every line of ``corpus/*.jsonl`` and
   ``../shared/realworld/clean.jsonl`` (skipped if absent) must report no
   residue.  Also counted: lines with a bracket right after a CJK character,
   and lines whose brackets hold a tone-marked lowercase word (the candidates
   the checks had to turn down).
2. **The seed page** (``corpus/specimens/seed-page.txt``): every annotation,
   counted by a crude pattern (CJK character + bracketed lowercase word with
   a tone mark; on this page every match is an annotation, checked by
   hand), against what :func:`find_residue` reports; and
   the five annotations inside the page's damage, whose '(' is gone.
3. **Synthetic** (needs pypinyin, ``pip install 'luanma[tools]'``): zh-Hans
   corpus lines converted with OpenCC s2t, each character the conversion
   changed annotated with pypinyin's reading *in context* (phrase-aware),
   as the seed page's converter did.  The detector's table comes from
   pypinyin too, so recall here is optimistic: it measures the other
   conditions (brackets, adjacency, the character set), not the readings.
   Two false-positive sets: the same glosses on the *simplified* lines (a
   textbook's ``长(zhǎng)``) must give nothing; on traditional corpus lines
   they are indistinguishable from residue and are counted as a known limit.
4. **Cost**: the time per clean corpus line of :func:`find_residue`, of the
   whole residue stage diagnose() runs with the options off, and of
   ``diagnose()`` with and without that stage (the last two differ by less
   than a shared machine's noise; the stage itself is the number to read).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from luanma.repair import _diagnose_mojibake, diagnose
from luanma.residue import clean, find_residue, script_config

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SHARED_CLEAN = ROOT.parent / "shared" / "realworld" / "clean.jsonl"
SEED = CORPUS / "specimens" / "seed-page.txt"

#: what the parts printed, for --markdown
OUT: list[str] = []


def emit(*args, **kwargs) -> None:
    """print(), and keep the line for --markdown."""
    print(*args, **kwargs)
    OUT.append(" ".join(map(str, args)) + kwargs.get("end", "\n"))


TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
CJK = "\u3400-\u9fff\uf900-\ufaff"
CRUDE = re.compile(f"(?<=[\u4e00-\u9fff])\\([a-zü]*[{TONED}][a-zü]*\\)")
AFTER_CJK = re.compile(f"[{CJK}][(（]")
TONED_WORD = re.compile(f"[{CJK}][(（][a-zü]*[{TONED}][a-zü ]*[)）]")


def _texts(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh if line.strip()]


def clean_sets() -> dict[str, list[str]]:
    """Name -> lines of clean text."""
    sets = {p.stem: _texts(p) for p in sorted(CORPUS.glob("*.jsonl"))}
    if SHARED_CLEAN.exists():
        sets["shared/clean"] = _texts(SHARED_CLEAN)
    else:
        print(f"(skipped: {SHARED_CLEAN} not present)")
    return sets


def part_clean(sets: dict[str, list[str]]) -> None:
    emit("## 1. clean text: lines reporting residue\n")
    emit("| set | lines | bracket after CJK | tone-marked word in brackets | lines with residue |")
    emit("|---|---:|---:|---:|---:|")
    tot = [0, 0, 0, 0]
    for name, texts in sets.items():
        row = [len(texts), sum(bool(AFTER_CJK.search(t)) for t in texts),
               sum(bool(TONED_WORD.search(t)) for t in texts),
               sum(bool(find_residue(t)) for t in texts)]
        for i, v in enumerate(row):
            tot[i] += v
        emit(f"| {name} | " + " | ".join(map(str, row)) + " |")
    emit("| **all** | " + " | ".join(f"**{v}**" for v in tot) + " |\n")


def part_table() -> None:
    """The shipped reading table: how many characters it covers."""
    from importlib.resources import files

    path = files("luanma") / "data" / "residue_readings.tsv"
    data = path.read_bytes()
    lines = [ln for ln in data.decode("utf-8").splitlines() if ln and not ln.startswith("#")]
    emit("## 0. the reading table\n")
    emit(f"- `src/luanma/data/residue_readings.tsv`: {len(lines)} characters "
         f"(the characters OpenCC's t2s changes, each with its readings), "
         f"{len(data) / 1000:.0f} kB\n")


def part_seed() -> None:
    emit("## 2. the seed page\n")
    if not SEED.exists():
        emit(f"(skipped: {SEED} not present)\n")
        return
    page = SEED.read_text(encoding="utf-8")
    ref = {(m.start(), m.end()) for m in CRUDE.finditer(page)}
    got = {(r.start, r.end) for r in find_residue(page)}
    # annotations whose '(' the damage took: "量?jī)?nèi)", "瑪?shù)", "日?qǐng)"
    lost = [m.group() for m in re.finditer(f"\\?[a-zü]*[{TONED}][a-zü]*\\)", page)]
    damaged = len(lost)
    tp = len(ref & got)
    emit(f"- annotations (reference): {len(ref)} intact + {damaged} inside damage "
          f"with their '(' lost ({', '.join(lost)}): not detected, by design")
    emit(f"- reported: {len(got)}; true positives {tp}; false positives {len(got - ref)}")
    chars = {page[start - 1] for start, _ in ref}
    pairs = {(page[start - 1], page[start:end]) for start, end in ref}
    emit(f"- annotated: {len(chars)} distinct characters, {len(pairs)} distinct "
         "(character, annotation) pairs")
    emit(f"- precision {tp / max(len(got), 1):.4f}; recall {tp / max(len(ref), 1):.4f} "
          f"of the intact ones, {tp / max(len(ref) + damaged, 1):.4f} of all\n")


def part_synthetic(sets: dict[str, list[str]]) -> None:
    emit("## 3. synthetic annotations (pypinyin readings in context)\n")
    try:
        import opencc
        from pypinyin import Style, pinyin
    except ImportError:
        emit("(skipped: pypinyin not installed; pip install 'luanma[tools]')\n")
        return
    s2t = opencc.OpenCC("s2t")

    def annotate(text: str, only_changed_from: str | None) -> tuple[str, set[tuple[int, int]]]:
        """``text`` with each CJK character annotated (only those that differ
        from ``only_changed_from`` at the same place, if given); the spans."""
        readings = pinyin(text, style=Style.TONE, errors=lambda s: [None] * len(s))
        out, spans, pos = [], set(), 0
        for i, (ch, r) in enumerate(zip(text, readings)):
            out.append(ch)
            pos += 1
            if r[0] is None or not re.match(f"[{CJK}]", ch):
                continue
            if only_changed_from is not None and only_changed_from[i] == ch:
                continue
            note = f"({r[0]})"
            if not any(c in TONED for c in note):
                continue          # neutral tone: the converter writes no mark either
            out.append(note)
            spans.add((pos, pos + len(note)))
            pos += len(note)
        return "".join(out), spans

    hans = sets.get("zh-Hans", [])
    tp = fp = fn = n_lines = 0
    for s in hans:
        t = s2t.convert(s)
        if len(t) != len(s):
            continue                  # a phrase conversion changed the length: skip
        n_lines += 1
        text, truth = annotate(t, s)
        got = {(r.start, r.end) for r in find_residue(text)}
        tp += len(got & truth)
        fp += len(got - truth)
        fn += len(truth - got)
    emit(f"- s2t of {n_lines} zh-Hans lines, converted characters annotated: "
          f"{tp + fn} annotations; found {tp}, missed {fn}, false {fp}: "
          f"precision {tp / max(tp + fp, 1):.4f}, recall {tp / max(tp + fn, 1):.4f}")
    glossed = [annotate(s, None) for s in hans]
    n = sum(len(sp) for _, sp in glossed)
    flagged = sum(len(find_residue(t)) for t, _ in glossed)
    emit(f"- every character of the {len(hans)} simplified lines glossed ({n} glosses): "
          f"{flagged} reported as residue")
    hant = sets.get("zh-Hant", [])
    glossed = [annotate(s, None) for s in hant]
    n = sum(len(sp) for _, sp in glossed)
    flagged = sum(len(find_residue(t)) for t, _ in glossed)
    emit(f"- every character of the {len(hant)} traditional lines glossed ({n} glosses): "
          f"{flagged} reported ({flagged / max(n, 1):.1%}; a known limit: on traditional "
          "text a correct gloss after a converted character looks like residue)\n")


def _per_line(func, texts: list[str], repeat: int) -> float:
    """Best-of-``repeat`` microseconds per line of ``func`` over ``texts``."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for t in texts:
            func(t)
        best = min(best, time.perf_counter() - t0)
    return best / len(texts) * 1e6


def _stage(text: str) -> tuple:
    """The work diagnose() adds to a mojibake diagnosis with the default
    options (see luanma.repair.diagnose)."""
    return script_config("keep"), clean(text)


def part_cost(sets: dict[str, list[str]]) -> None:
    emit("## 4. cost per clean line (best of 7, interleaved, µs)\n")
    texts = [t for name, ts in sets.items() if name != "shared/clean" for t in ts]
    brackets = [t for t in texts if "(" in t or "（" in t]
    for t in texts:            # warm the caches (tables, the model if any line loads it)
        diagnose(t)
    rows = {"find_residue(), all lines": (find_residue, texts),
            "find_residue(), lines with a bracket": (find_residue, brackets),
            "the residue stage of diagnose() (options off), all lines": (_stage, texts),
            "diagnose() without the residue stage, all lines": (_diagnose_mojibake, texts),
            "diagnose(), all lines": (diagnose, texts)}
    best = dict.fromkeys(rows, float("inf"))
    for _ in range(7):         # interleaved: a shared machine's noise hits all rows alike
        for name, (func, ts) in rows.items():
            best[name] = min(best[name], _per_line(func, ts, 1))
    emit(f"{len(texts)} corpus lines (mean {sum(map(len, texts)) / len(texts):.0f} "
          f"characters), {len(brackets)} of them with a bracket\n")
    emit("| what | µs per line |")
    emit("|---|---:|")
    for name, us in best.items():
        emit(f"| {name} | {us:.2f} |")
    emit()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--no-time", action="store_true", help="skip part 4 (timing)")
    p.add_argument("--markdown", metavar="PATH",
                   help="also write the results as Markdown (e.g. docs/generated/residue.md)")
    args = p.parse_args(argv)
    sets = clean_sets()
    part_table()
    part_clean(sets)
    part_seed()
    part_synthetic(sets)
    if not args.no_time:
        part_cost(sets)
    if args.markdown:
        write_markdown(args.markdown, argv)
    return 0


def write_markdown(path: str, argv: list[str] | None) -> None:
    """What the parts printed, under the command that made it
    (benchmarks/docout.py); their headings become bold lines, so that the
    page including it keeps its own outline."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import docout

    text = "".join(OUT)
    text = re.sub(r"^## (.*)$", r"**\1**", text, flags=re.M)
    docout.write(path, text, None if argv is None else [sys.argv[0], *argv])


if __name__ == "__main__":
    sys.exit(main())
