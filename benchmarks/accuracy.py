"""Accuracy benchmark: luanma.repair vs ftfy.fix_text on garbled real text.

Texts come from the committed corpus (corpus/*.jsonl), minus the records
from the three translation catalogs the language model was also trained on
(TRAINED_SOURCES), so every measured text is held out from the model.  Every case is made with
luanma.corrupt from a real text, so the original is known exactly.

    python benchmarks/accuracy.py              # full table (a few minutes)
    python benchmarks/accuracy.py --n 40       # smaller
    python benchmarks/accuracy.py --realworld  # also ../shared/realworld

Columns: cases, exact (repaired == original), char accuracy (1 - edit
distance / length), for lossy rows the share of lost characters restored,
and ftfy.fix_text's exact rate on the same cases.
"""

from __future__ import annotations

import argparse
import bisect
import difflib
import json
import random
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import luanma  # noqa: E402
from luanma import UndecodableBytesError, UnrepresentableError, corrupt  # noqa: E402

CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"


#: Corpus sources whose text (other versions of the same translation
#: catalogs) is also in the language model's training data
#: (tools/build_model.py): measuring on them would flatter the model.
TRAINED_SOURCES = frozenset({"django-po", "sphinx-po", "jupyterlab-po"})


def load_corpus(langs: Iterable[str] = ("zh-Hans", "zh-Hant", "ja", "ko", "mixed"),
                held_out: bool = True) -> dict[str, list[str]]:
    """Corpus texts per language; by default only those from sources the
    language model never saw."""
    out: dict[str, list[str]] = {}
    for lang in langs:
        with (CORPUS / f"{lang}.jsonl").open(encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
        out[lang] = [r["text"] for r in rows
                     if not (held_out and r["source"] in TRAINED_SOURCES)]
    return out


def char_accuracy(got: str, want: str) -> float:
    sm = difflib.SequenceMatcher(None, got, want, autojunk=False)
    matched = sum(b.size for b in sm.get_matching_blocks())
    return matched / max(len(want), len(got), 1)


def char_starts(text: str, encoding: str) -> list[int]:
    """Byte offset of each character of ``text`` in ``encoding``."""
    starts, pos = [], 0
    for ch in text:
        starts.append(pos)
        pos += len(ch.encode(encoding))
    return starts


def lost_chars(original: str, c: luanma.Corruption, encoding: str) -> set[int]:
    """Indexes of original characters whose bytes a decoder lost."""
    data = original.encode(encoding)
    starts = char_starts(original, encoding)
    hit: set[int] = set()
    for ll in c.losses:
        loss = ll.loss
        if ll.layer != 0 or loss.offset < 0:
            continue
        for off in range(loss.offset, loss.offset + max(len(loss.lost), 1)):
            if off < len(data):
                hit.add(bisect.bisect_right(starts, off) - 1)
    return hit


def restored(original: str, repaired: str, idxs: set[int]) -> int:
    if not idxs:
        return 0
    sm = difflib.SequenceMatcher(None, original, repaired, autojunk=False)
    ok = 0
    for a, _b, size in sm.get_matching_blocks():
        ok += sum(1 for i in idxs if a <= i < a + size)
    return ok


@dataclass
class Row:
    name: str
    cases: int = 0
    exact: int = 0
    acc: float = 0.0
    lost: int = 0
    lost_ok: int = 0
    ftfy_exact: int = 0
    seconds: float = 0.0
    worse: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, original: str, garbled: str, repaired: str, ftfy_out: str,
            lost: set[int] | None = None) -> None:
        self.cases += 1
        self.exact += repaired == original
        self.acc += char_accuracy(repaired, original)
        self.ftfy_exact += ftfy_out == original
        if char_accuracy(repaired, original) < char_accuracy(garbled, original) - 1e-9:
            self.worse += 1
        if lost is not None:
            self.lost += len(lost)
            self.lost_ok += restored(original, repaired, lost)

    def cells(self) -> list[str]:
        n = max(self.cases, 1)
        lost = f"{100 * self.lost_ok / self.lost:.1f}" if self.lost else "-"
        return [self.name, str(self.cases), f"{100 * self.exact / n:.1f}",
                f"{100 * self.acc / n:.1f}", lost, f"{100 * self.ftfy_exact / n:.1f}",
                str(self.worse), f"{1000 * self.seconds / n:.1f}"]


HEAD = ["case", "n", "exact %", "char acc %", "lost chars restored %", "ftfy exact %",
        "worse", "ms/case"]


def _ftfy() -> Callable[[str], str]:
    import ftfy
    return ftfy.fix_text


def run_cases(name: str, cases: Iterable[tuple[str, str, set[int] | None]]) -> Row:
    row = Row(name)
    fix_text = _ftfy()
    for original, garbled, lost in cases:
        t0 = time.perf_counter()
        repaired = luanma.repair(garbled)
        row.seconds += time.perf_counter() - t0
        row.add(original, garbled, repaired, fix_text(garbled), lost)
    return row


def _garbled(pieces, plan: str, n: int, keep):
    """Garble ``(original, before, piece, after)`` items with ``plan`` until
    ``n`` cases pass ``keep(piece, corruption)``; yield (original, garbled,
    corruption)."""
    made = 0
    for original, before, piece, after in pieces:
        try:
            c = corrupt(piece, plan)
        except (UnrepresentableError, UndecodableBytesError):
            continue            # this text cannot pass through that decoder
        if c.text == piece or not keep(piece, c):
            continue
        yield original, before + c.text + after, c
        made += 1
        if made >= n:
            return


def whole(texts: list[str], plan: str, n: int, rng: random.Random, lossy: bool,
          max_len: int = 300, enc: str = "utf-8"):
    """Whole documents garbled by ``plan``; lossless rows keep lossless cases."""
    pool = [t for t in texts if 4 <= len(t) <= max_len]
    rng.shuffle(pool)
    for t, g, c in _garbled(((t, "", t, "") for t in pool), plan, n,
                            lambda _p, c: c.lossy == lossy):
        yield t, g, (lost_chars(t, c, enc) if lossy else None)


def spans(texts: list[str], plan: str, n: int, rng: random.Random, min_len: int = 6):
    """A garbled span of >= min_len garbled characters inside clean text."""
    pool = [t for t in texts if len(t) >= 20]
    rng.shuffle(pool)

    def cut(t: str):
        a = rng.randrange(0, len(t) - 8)
        b = min(len(t), a + rng.randint(4, 20))
        return t, t[:a], t[a:b], t[b:]

    for t, g, _c in _garbled(map(cut, pool), plan, n,
                             lambda _p, c: not c.lossy and len(c.text) >= min_len):
        yield t, g, None


def short(texts: list[str], plan: str, n: int, rng: random.Random):
    """Short strings of 2-10 CJK characters."""
    import re
    runs = [m.group() for t in texts for m in re.finditer(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7a3]{2,10}", t)]
    rng.shuffle(runs)
    for r, g, _c in _garbled(((r, "", r, "") for r in runs), plan, n, lambda _p, c: not c.lossy):
        yield r, g, None


#: language -> the Windows decoder whose stream a cut throws out of step
MISALIGNED = [("zh-Hans", "gb18030:win"), ("zh-Hant", "cp950:win"), ("ja", "cp932:win"),
              ("ko", "cp949:win")]


def cut_stream(text: str, decoder: str, rng: random.Random, min_run: int = 2) -> tuple[str, int] | None:
    """``text`` with its stream cut inside a random two-byte character (its
    first byte lost as '?', the rest decoded out of step: the plan step
    ``cut:DECODER`` from there on), and the cut's index; only cuts whose
    run of shifted characters is at least ``min_run`` long."""
    codec = luanma.layers.Cut(decoder).encoding
    try:
        sizes = [len(ch.encode(codec)) for ch in text]
    except UnicodeEncodeError:
        return None
    spots = [i for i in range(len(text) - min_run)
             if sizes[i] == 2 and not text[i + 1:i + 1 + min_run].isascii()
             and all(not c.isascii() for c in text[i + 1:i + 1 + min_run])]
    if not spots:
        return None
    i = rng.choice(spots)
    return text[:i] + corrupt(text[i:], f"cut:{decoder}").text, i


def misaligned(texts: list[str], decoder: str, n: int, rng: random.Random, min_run: int = 6):
    """Lines cut inside a two-byte character followed by >= min_run
    non-ASCII ones; the cut character is the lost one."""
    pool = [t for t in texts if 12 <= len(t) <= 400]
    rng.shuffle(pool)
    made = 0
    for t in pool:
        got = cut_stream(t, decoder, rng, min_run)
        if got is None:
            continue
        yield t, got[0], {got[1]}
        made += 1
        if made >= n:
            return


#: Garbled text "cleaned" afterwards (issue 4): the fold step changed the
#: garbled text in every case kept.
FOLDED = [("ja", "utf-8 -> shift_jis | fold:nfkc"), ("ja", "utf-8 -> cp932:win | fold:width"),
          ("zh-Hans", "utf-8 -> gbk | fold:nfkc"), ("zh-Hant", "utf-8 -> cp950:win | fold:nfkc")]
INVISIBLE = [("zh-Hans", "utf-8 -> gbk:win | fold:invisible"),
             ("zh-Hans", "utf-8 -> gb18030 | fold:invisible"),
             ("zh-Hans", "gbk -> cp950:win | fold:invisible")]
#: Bytes lost without a trace: a decoder in ignore mode, and one byte of
#: the stream dropped before the wrong decoder read it.
DROPPED = [("zh-Hans", "utf-8 -> gbk:ignore"), ("ja", "utf-8 -> shift_jis:ignore")]
DROP_ONE = [("zh-Hans", "utf-8", "gbk:whatwg"), ("zh-Hans", "utf-8", "gbk"),
            ("ja", "utf-8", "shift_jis")]


def cleaned(texts: list[str], plan: str, n: int, rng: random.Random, max_len: int = 300):
    """Whole documents garbled by ``plan``, whose last step (a fold) changed
    the garbled text."""
    pool = [t for t in texts if 4 <= len(t) <= max_len]
    rng.shuffle(pool)
    # (a fold that changed the text reports it as a loss of its own)
    for t, g, c in _garbled(((t, "", t, "") for t in pool), plan, n,
                            lambda _p, c: any(ll.loss.kind == "folded" for ll in c.losses)):
        yield t, g, None


def drop_one(texts: list[str], encoding: str, decoder: str, n: int, rng: random.Random,
             max_len: int = 300):
    """Whole documents encoded, one byte of a multi-byte character dropped
    without a trace, then read by ``decoder`` (kept where it decodes)."""
    from luanma.variants import decode

    pool = [t for t in texts if 4 <= len(t) <= max_len]
    rng.shuffle(pool)
    made = 0
    for t in pool:
        data = t.encode(encoding)
        spots = [i for i, b in enumerate(data) if b >= 0x80]
        if not spots:
            continue
        i = rng.choice(spots)
        try:
            g = decode(data[:i] + data[i + 1:], decoder).text
        except UndecodableBytesError:
            continue
        yield t, g, {bisect.bisect_right(char_starts(t, encoding), i) - 1}
        made += 1
        if made >= n:
            return


def clean_row(name: str, texts: Iterable[str]) -> Row:
    """Clean texts: any change is a false positive (counted in 'worse')."""
    row = Row(name)
    for t in texts:
        t0 = time.perf_counter()
        out = luanma.repair(t)
        row.seconds += time.perf_counter() - t0
        row.cases += 1
        if out != t:
            row.worse += 1
            if len(row.notes) < 3:
                row.notes.append(f"{t[:40]!r} -> {out[:40]!r}")
    return row


def clean_rows(corpus: dict[str, list[str]], n: int) -> list[Row]:
    return [clean_row(f"clean {lang} (changed = false positive)", texts[:n])
            for lang, texts in corpus.items()]


def realworld_pairs() -> list[dict]:
    """The records of ../shared/realworld/repo-pairs.jsonl (garbled,
    original, lossy, source, ...); [] with a note where ../shared is absent."""
    path = SHARED / "realworld" / "repo-pairs.jsonl"
    if not path.exists():
        print(f"(no {path}: realworld rows skipped)", file=sys.stderr)
        return []
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def realworld_rows() -> list[Row]:
    pairs = realworld_pairs()
    if not pairs:
        return []
    rows = {"lossless": Row("realworld lossless"), "lossy": Row("realworld lossy")}
    fix_text = _ftfy()
    for r in pairs:
        row = rows["lossy" if r["lossy"] else "lossless"]
        t0 = time.perf_counter()
        out = luanma.repair(r["garbled"])
        row.seconds += time.perf_counter() - t0
        row.add(r["original"], r["garbled"], out, fix_text(r["garbled"]))
    return list(rows.values())


def clean_shared_row() -> list[Row]:
    path = SHARED / "realworld" / "clean.jsonl"
    if not path.exists():
        print(f"(no {path}: its clean row skipped)", file=sys.stderr)
        return []
    with path.open(encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh]
    return [clean_row("clean ../shared/realworld/clean.jsonl", texts)]


# (UTF-8 read as Big5 virtually never passes a strict decoder: it is a lossy row)
LOSSLESS = [("zh-Hans", "utf-8 -> gbk"), ("zh-Hant", "utf-8 -> gbk"), ("zh-Hans", "utf-8 -> gb18030"),
            ("ja", "utf-8 -> shift_jis"), ("ko", "utf-8 -> cp949"),
            ("zh-Hans", "utf-8 -> cp1252:c1"), ("ja", "utf-8 -> iso8859-1"),
            ("zh-Hans", "gbk -> big5"), ("zh-Hans", "gbk -> cp1252:c1"), ("zh-Hant", "big5 -> iso8859-1"),
            ("ja", "shift_jis -> cp1252:c1"), ("ko", "euc_kr -> iso8859-1")]
TWO = [("zh-Hans", "utf-8 -> gbk | utf-8 -> cp1252:c1"), ("ja", "utf-8 -> shift_jis | utf-8 -> iso8859-1"),
       ("zh-Hant", "utf-8 -> cp1252:c1 | utf-8 -> cp1252:c1")]
LOSSY = [("zh-Hans", "utf-8 -> gbk:win", "utf-8"), ("zh-Hant", "utf-8 -> gbk:win", "utf-8"),
         ("zh-Hans", "utf-8 -> gbk:whatwg", "utf-8"), ("zh-Hant", "utf-8 -> gbk:whatwg", "utf-8"),
         ("ja", "utf-8 -> cp932:win", "utf-8"), ("ja", "utf-8 -> shift_jis:whatwg", "utf-8"),
         ("ko", "utf-8 -> cp949:win", "utf-8"), ("ko", "utf-8 -> euc_kr:whatwg", "utf-8"),
         ("zh-Hant", "utf-8 -> cp950:win", "utf-8"), ("zh-Hant", "utf-8 -> big5:whatwg", "utf-8")]


def main(argv: list[str] | None = None) -> list[Row]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200, help="cases per row")
    ap.add_argument("--clean", type=int, default=4000, help="clean texts per language")
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--realworld", action="store_true", help="add ../shared/realworld rows")
    ap.add_argument("--only", default="", help="run rows whose name contains this")
    ap.add_argument("--markdown", metavar="PATH",
                    help="also write the table as Markdown (e.g. docs/generated/accuracy.md)")
    args = ap.parse_args(argv)
    corpus = load_corpus()
    rng = random.Random(args.seed)
    rows: list[Row] = []

    def want(name: str) -> bool:
        return args.only in name

    def add(name: str, make: Callable[..., Iterable[tuple[str, str, set[int] | None]]],
            *args_: object, **kwargs: object) -> None:
        # (the cases are made only for the rows that run: --only keeps the
        # random draws of the rows it skips out of the shared generator)
        if want(name):
            rows.append(run_cases(name, make(*args_, **kwargs)))

    for lang, plan in LOSSLESS:
        add(f"whole {lang}: {plan}", whole, corpus[lang], plan, args.n, rng, False)
    for lang, plan in TWO:
        add(f"two-layer {lang}: {plan}", whole, corpus[lang], plan, args.n, rng, False)
    for lang, plan in [("zh-Hans", "utf-8 -> gbk"), ("zh-Hant", "utf-8 -> big5"),
                       ("ja", "utf-8 -> shift_jis"), ("ko", "utf-8 -> cp949")]:
        add(f"span {lang}: {plan}", spans, corpus[lang], plan, args.n, rng)
        add(f"short {lang}: {plan}", short, corpus[lang], plan, args.n, rng)
    for lang, plan, enc in LOSSY:
        add(f"lossy {lang}: {plan}", whole, corpus[lang], plan, args.n, rng, True, enc=enc)
    for lang, decoder in MISALIGNED:
        add(f"misaligned {lang}: cut:{decoder}, run >= 6",
            misaligned, corpus[lang], decoder, args.n, rng)
    for lang, plan in FOLDED:
        add(f"folded {lang}: {plan}", cleaned, corpus[lang], plan, args.n, rng)
    for lang, plan in INVISIBLE:
        add(f"invisible dropped {lang}: {plan}", cleaned, corpus[lang], plan, args.n, rng)
    for lang, plan in DROPPED:
        add(f"dropped {lang}: {plan}", whole, corpus[lang], plan, args.n, rng, True)
    for lang, enc, decoder in DROP_ONE:
        add(f"one byte dropped {lang}: {enc} -> {decoder}",
            drop_one, corpus[lang], enc, decoder, args.n, rng)
    if want("clean"):
        rows.extend(clean_rows(corpus, args.clean))
        rows.extend(clean_shared_row())
    if args.realworld and want("realworld"):
        rows.extend(realworld_rows())
    print_table(rows)
    if args.markdown:
        write_markdown(args.markdown, rows, argv)
    return rows


def write_markdown(path: str, rows: list[Row], argv: list[str] | None) -> None:
    """The table as Markdown, under the command that made it (benchmarks/docout.py)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import docout
    notes = [f"- {r.name}: {note}" for r in rows for note in r.notes]
    body = docout.table(HEAD, [r.cells() for r in rows], right=set(range(1, len(HEAD))))
    if notes:
        body += "\n\nChanged clean texts (first three per row):\n\n" + "\n".join(notes)
    docout.write(path, body, None if argv is None else [sys.argv[0], *argv])


def print_table(rows: list[Row]) -> None:
    table = [HEAD] + [r.cells() for r in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEAD))]
    for i, r in enumerate(table):
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths)))
        if i == 0:
            print("-+-".join("-" * w for w in widths))
    for r in rows:
        for note in r.notes:
            print(f"  {r.name}: {note}")


if __name__ == "__main__":
    main()
