"""luanma.fastpath.maybe_garbled must have zero effect on accuracy.

Whenever it says False, the full ``diagnose`` must return the text unchanged
(the same object) with no spans, no withheld guesses, no damage and no notes.
Where it says True nothing is claimed, so ``diagnose`` only needs running on
the False side; the texts below are built so that many garbled-looking ones
land there (isolated mojibake characters between ASCII).

Three layers of checks:

* the argument of the module docstring against the real pieces, without the
  language model: ``_seed_window`` is None for every reading of every
  hypothesis, ftfy's encoding fixer does nothing, ``find_damage`` is empty;
* the full ``diagnose`` on the same texts;
* ftfy's badness regex, character by character, for the shortcut taken
  before calling ``is_bad``.

CI runs a small sample (well under 40 s).  The larger run::

    python tests/test_fastpath.py --records 300     # 300 records a file, every plan
    python tests/test_fastpath.py                   # every record (about an hour)
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import ftfy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from luanma import corrupt, diagnose
from luanma.detect import HYPOTHESES, _readings, _seed_window
from luanma.errors import LuanmaError
from luanma.fastpath import _FTFY_SINGLES, _KNOWN_BADNESS_SHA256, maybe_garbled
from luanma.repair import find_damage

CORPUS = Path(__file__).resolve().parents[1] / "corpus"

PLANS = (
    "utf-8 -> gbk", "utf-8 -> gbk:win", "utf-8 -> big5:whatwg", "utf-8 -> shift_jis",
    "utf-8 -> cp949:win", "utf-8 -> cp1252:c1", "gbk -> big5", "gbk -> cp1252:c1",
    "big5 -> iso8859-1", "shift_jis -> cp1252:c1", "euc_kr -> iso8859-1",
    "utf-8 -> gbk | utf-8 -> cp1252:c1", "utf-8 -> gbk:qmark", "utf-8 -> euc_jp:replace",
    "utf-8 -> cp437", "utf-8 -> mac_roman", "utf-8 -> cp1251:c1", "gbk -> utf-8:replace",
)

#: Non-ASCII characters that mojibake and damage are made of, for isolated use.
MOJI = ("ÃÂâ€œ™¢£¤¥¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿×÷ŒœŠšŸŽžƒˆ˜–—‘’‚“”„†‡•…‰‹›"
        "\x80\x81\x8d\x8f\x90\x9d\xa0\xadÐÑÒÓÔÕÖØÙÚÛÜÝÞßàáãäåæçèéêëìíîïðñòóôõöøùúûüýþÿ"
        "鍥炬爣涓轰粈涔堥渶瑕鐢辨湀佸ソ锟斤拷烫屯・｡ｰ繧縺譁荳蜷鬮￣€ΓΣΦΘΩαδεφ╠╔╗╚╝║═"
        "├┤┬┴┼│─▒░▓█ГВРСЃЂвЂќљњ\ufffd\ufeff\u200b\u3000中文日本語한국어ㄱㅏ")


def _records(limit: int | None = None) -> list[str]:
    texts: list[str] = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            lines = [json.loads(x)["text"] for x in fh if x.strip()]
        texts.extend(lines[:limit] if limit else lines)
    return texts


def _isolate(text: str, rng: random.Random) -> str:
    """``text`` with ASCII put between adjacent non-ASCII characters, so that
    garbled characters reach the False side of maybe_garbled."""
    out = []
    for ch in text:
        if out and ord(ch) >= 0x80 and ord(out[-1][-1]) >= 0x80:
            # no '?': after a non-ASCII character it may be a loss mark
            out.append(rng.choice(" a.,1-Z\n:'"))
        out.append(ch)
    return "".join(out)


def variants(text: str, rng: random.Random, per_plan: int) -> list[str]:
    """Garbled variants of a clean text: whole, a span inside clean text, a
    short piece, and the same with the garbled characters isolated."""
    out = [text, _isolate(text, rng)]
    plans = rng.sample(PLANS, min(per_plan, len(PLANS))) if per_plan else PLANS
    for plan in plans:
        a = rng.randrange(len(text))
        b = min(len(text), a + rng.randint(1, 12))
        for piece, left, right in ((text, "", ""), (text[a:b], text[:a], text[b:]),
                                   (text[a:b], "", "")):
            try:
                g = corrupt(piece, plan).text
            except LuanmaError:
                continue
            out.append(left + g + right)
            out.append(_isolate(left + g + right, rng))
            out.append("id=7 " + _isolate(g, rng) + " ok")
    return out


def random_text(rng: random.Random) -> str:
    """ASCII with isolated characters from mojibake, damage and CJK."""
    n = rng.randint(1, 40)
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.35:
            out.append(rng.choice(MOJI))
        elif r < 0.4:
            out.append(chr(rng.randint(0x80, 0xFFFF)))
        elif r < 0.45:
            out.append(chr(rng.randint(0x80, 0x10FFFF)))
        else:
            out.append(rng.choice("abcdefXYZ 0123456789?.,!-:;'\"()\n\t"))
    return "".join(out)


def structural_ok(text: str) -> str | None:
    """Why maybe_garbled(text) == False is wrong by the argument, or None."""
    if text.isascii():
        return None         # diagnose() returns ASCII before any of the below
    for hyp in HYPOTHESES:
        for reading in _readings(hyp, text):
            if _seed_window(text, reading) is not None:
                return f"seed under {reading}"
    fixed, steps = ftfy.fix_encoding_and_explain(text)
    if fixed != text or steps:
        return f"ftfy changes it: {steps}"
    if find_damage(text):
        return "damage"
    return None


def diagnose_ok(text: str) -> str | None:
    """Why maybe_garbled(text) == False is wrong by the real diagnose, or None."""
    d = diagnose(text)
    if d.repaired is not text or d.plan or d.withheld or d.damage or d.notes:
        return f"diagnose: {d.repaired!r} {d.plan} {d.damage} {d.notes}"
    return None


def check(texts: list[str]) -> tuple[int, int, list[tuple[str, str]]]:
    """(checked, False answers, violations)."""
    false = 0
    bad = []
    for t in texts:
        if maybe_garbled(t):
            continue
        false += 1
        why = structural_ok(t) or diagnose_ok(t)
        if why:
            bad.append((t, why))
    return len(texts), false, bad


# -- CI ----------------------------------------------------------------------

def test_zero_effect_on_corpus_and_garbled_variants():
    rng = random.Random(20261127)
    texts = _records()
    sample = rng.sample(texts, 250)
    cases = [v for t in sample for v in variants(t, rng, per_plan=3)]
    cases += [random_text(rng) for _ in range(3000)]
    n, false, bad = check(cases)
    assert not bad, bad[:5]
    # the check must bite: garbled-looking texts do reach the False side
    assert n > 4000 and false > 1500, (n, false)


def test_clean_records_with_isolated_non_ascii_are_fast():
    rng = random.Random(5)
    texts = [_isolate(t, rng) for t in _records(limit=60)]
    assert sum(not maybe_garbled(t) for t in texts) >= 0.9 * len(texts)


def test_examples():
    assert maybe_garbled("CafÃ© dÃ©jÃ  vu")
    assert maybe_garbled("鐢辨湀瑕佸ソ")
    assert maybe_garbled("涓轰?ok")
    # a '?' after a garbled character may be the rest of a cut one
    assert maybe_garbled("涓?ok")
    # one garbled character alone has no seed: diagnose leaves it too
    assert not maybe_garbled("涓 ok") and diagnose("涓 ok").repaired == "涓 ok"
    assert maybe_garbled("a\ufffdb")                  # utf-8 family seeds need U+FFFD
    assert maybe_garbled("é ????")                    # question-run damage
    assert not maybe_garbled("???? is ASCII")         # diagnose skips ASCII entirely
    assert maybe_garbled("Ã ")                        # ftfy: ^[ÃÂ][ ]
    assert maybe_garbled("a\x85b")                    # ftfy: C1 control
    assert not maybe_garbled("naïve café — “quoted”")
    assert maybe_garbled(b"bytes")                    # repair() raises on it, as before
    for t in ("naïve café — “quoted”", "x 中 y", "", "ok"):
        assert maybe_garbled(t) or diagnose(t).repaired is t


@settings(max_examples=400)
@given(st.text(st.one_of(st.sampled_from(MOJI), st.characters(max_codepoint=0x7F),
                         st.characters()), max_size=30))
def test_random_strings(text):
    if not maybe_garbled(text):
        assert structural_ok(text) is None
        assert diagnose_ok(text) is None


@settings(max_examples=300)
@given(st.lists(st.tuples(st.text(st.characters(max_codepoint=0x7F), min_size=1, max_size=4),
                          st.characters(min_codepoint=0x80)), max_size=12))
def test_random_isolated_non_ascii(parts):
    text = "".join(a + c for a, c in parts)
    if not maybe_garbled(text):
        assert structural_ok(text) is None
        assert diagnose_ok(text) is None


def test_ftfy_shortcut_matches_badness_regex():
    """Between ASCII, only _FTFY_SINGLES characters make ftfy's is_bad True."""
    import hashlib

    from ftfy.badness import BADNESS_RE

    if hashlib.sha256(BADNESS_RE.pattern.encode()).hexdigest() != _KNOWN_BADNESS_SHA256:
        pytest.skip("another ftfy: the fast path calls is_bad() itself")
    contexts = ("{}", "a{}", "{}a", "a{}a", " {} ", "a {} ", ".{} ", "1{}1", "A{}.", "z{}\n", "!{}?")
    for cp in range(0x80, 0x30000):
        ch = chr(cp)
        if 0xD800 <= cp < 0xE000 or _FTFY_SINGLES.match(ch):
            continue
        for c in contexts:
            assert not BADNESS_RE.search(c.format(ch)), (hex(cp), c)


# -- the larger run ------------------------------------------------------------

def main(argv: list[str]) -> None:
    import argparse
    import time

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--per-plan", type=int, default=0, help="plans per record (0 = all)")
    ap.add_argument("--records", type=int, default=0, help="records per corpus file (0 = all)")
    ap.add_argument("--random", type=int, default=20000)
    args = ap.parse_args(argv)
    rng = random.Random(1)
    t0 = time.time()
    every = _records()
    clean_false = sum(not maybe_garbled(t) for t in every)
    texts = _records(args.records or None)
    cases = [v for t in texts for v in variants(t, rng, args.per_plan)]
    cases += [random_text(rng) for _ in range(args.random)]
    n, false, bad = check(cases)
    print(f"clean corpus records: {len(every)}, maybe_garbled False on {clean_false} "
          f"({100 * clean_false / len(every):.1f}%)")
    print(f"texts checked: {n} (clean, garbled and isolated variants, random); "
          f"maybe_garbled False on {false}, each checked against _seed_window, ftfy, "
          f"find_damage and the full diagnose; violations: {len(bad)}  [{time.time() - t0:.0f} s]")
    for t, why in bad[:20]:
        print("  VIOLATION", repr(t[:80]), why)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
