"""luanma.fastpath: the signatures that send a text to the search.

``diagnose`` returns a text without signatures as it is, so the checks are:

* consistency: where ``maybe_garbled`` is False, ``diagnose`` returns the
  very same string with no spans, no withheld guesses, no damage, no notes;
* the exact part: a text with no two adjacent non-ASCII characters gets
  False only where no hypothesis has a seed (``_seed_window``), ftfy's
  encoding fixer does nothing and there is no damage -- the argument of the
  module docstring, checked against the real pieces;
* coverage: garbled corpus text -- whole records and pieces of two or more
  CJK characters, under every chain in PLANS -- shows a signature;
* clean corpus records do not (the fast path must pay on clean CJK);
* the ftfy shortcuts match ftfy's badness regex.

CI runs a small sample.  The larger run::

    python tests/test_fastpath.py --records 300     # 300 records a file, every plan
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
from luanma.fastpath import _CJK_PUNCT, _FTFY_SINGLES, _KNOWN_BADNESS_SHA256, _PAIR, maybe_garbled
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
    """(checked, False answers, violations): every False must leave
    diagnose silent, and without adjacent non-ASCII characters it must also
    hold by the structural argument."""
    false = 0
    bad = []
    for t in texts:
        if maybe_garbled(t):
            continue
        false += 1
        why = (structural_ok(t) if _PAIR.search(t) is None else None) or diagnose_ok(t)
        if why:
            bad.append((t, why))
    return len(texts), false, bad


def garbled_pieces(text: str, rng: random.Random) -> list[tuple[str, str]]:
    """(plan, garbled) for the whole text and a piece of 2-12 characters
    holding at least two CJK characters, under every plan."""
    out = []
    a = rng.randrange(max(1, len(text) - 2))
    piece = text[a:a + rng.randint(2, 12)]
    for plan in PLANS:
        for p in (text, piece):
            if sum(1 for c in p if ord(c) >= 0x2E80) < 2:
                continue
            try:
                c = corrupt(p, plan)
            except LuanmaError:
                continue
            if c.text != p:
                out.append((plan, c.text))
    return out


# -- CI ----------------------------------------------------------------------

def test_silent_where_false_on_corpus_and_garbled_variants():
    rng = random.Random(20261127)
    texts = _records()
    sample = rng.sample(texts, 150)
    cases = [v for t in sample for v in variants(t, rng, per_plan=3)]
    cases += [random_text(rng) for _ in range(2000)]
    n, false, bad = check(cases)
    assert not bad, bad[:5]
    # the check must bite: texts do reach the False side
    assert n > 2500 and false > 1000, (n, false)


def test_garbled_corpus_text_shows_a_signature():
    rng = random.Random(7)
    missed = []
    total = 0
    for t in rng.sample(_records(), 120):
        for plan, g in garbled_pieces(t, rng):
            total += 1
            if not maybe_garbled(g):
                missed.append((plan, g))
    assert total > 1500
    # a piece garbled so little that it shows nothing (one character's
    # bytes, a pair of legacy code points) may pass; whole records never do
    assert len(missed) <= total // 200, missed[:10]


def test_clean_corpus_records_pass():
    records = _records()
    passed = sum(not maybe_garbled(t) for t in records)
    assert passed >= 0.97 * len(records), (passed, len(records))


def test_clean_records_with_isolated_non_ascii_are_fast():
    rng = random.Random(5)
    texts = [_isolate(t, rng) for t in _records(limit=60)]
    assert sum(not maybe_garbled(t) for t in texts) >= 0.9 * len(texts)


def test_examples():
    assert maybe_garbled("CafÃ© dÃ©jÃ  vu")
    assert maybe_garbled("鐢辨湀瑕佸ソ")
    assert maybe_garbled("涓轰?ok")
    # a '?' beside a rare character may be the rest of a cut one
    assert maybe_garbled("涓?ok")
    assert not maybe_garbled("这是什么?")             # a question
    # one garbled character alone has no seed: diagnose leaves it too
    assert not maybe_garbled("涓 ok") and diagnose("涓 ok").repaired == "涓 ok"
    assert maybe_garbled("a\ufffdb")                  # utf-8 family seeds need U+FFFD
    assert maybe_garbled("é ????")                    # question-run damage
    assert not maybe_garbled("???? is ASCII")         # diagnose skips ASCII entirely
    assert maybe_garbled("Ã ")                        # ftfy: ^[ÃÂ][ ]
    assert maybe_garbled("a\x85b")                    # ftfy: C1 control
    assert not maybe_garbled("naïve café — “quoted”")
    assert not maybe_garbled("这是正常的中文。日本語のテキスト。한국어 텍스트.")
    assert maybe_garbled("Blue=懦伎")                 # GBK shown as Big5
    assert maybe_garbled("Squid また縺ｯ Varnish")      # one kana, UTF-8 shown as Shift_JIS
    assert maybe_garbled(b"bytes")                    # repair() raises on it, as before
    for t in ("naïve café — “quoted”", "x 中 y", "", "ok"):
        assert maybe_garbled(t) or diagnose(t).repaired is t


def test_gates_table_is_current():
    """data/gates.json is what tools/build_gates.py makes from the model."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "tools" / "build_gates.py"
    spec = importlib.util.spec_from_file_location("build_gates", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.OUT.read_text(encoding="utf-8") == mod.build(), "run tools/build_gates.py"


def test_cjk_punctuation_cannot_make_ftfy_bad():
    """_CJK_PUNCT is left out of the characters that send a text to ftfy's
    is_bad: with only them, ASCII and CJK, no alternative matches."""
    import itertools

    from ftfy.badness import is_bad

    alphabet = _CJK_PUNCT + "aA 中。\n1"
    for n in range(1, 5):
        for t in itertools.product(alphabet, repeat=n):
            assert not is_bad("".join(t)), t


def test_quiet_exit_agrees_with_the_full_tests(monkeypatch):
    """The one-scan exit for clean text (``_quiet``), and the one scan that
    skips four tests where it fails (``_others``), give what the full tests
    give, on clean, garbled and random text."""
    import luanma.fastpath as fp

    rng = random.Random(11)
    texts = rng.sample(_records(), 400)
    texts += [v for t in texts[:60] for v in variants(t, rng, per_plan=3)]
    texts += [random_text(rng) for _ in range(1000)]
    texts += ["뭐예요? 네", "这是什么?", "鐩?50G", "한국어 ????", "网站 ｶﾀｶﾅ", "表示 🎉"]
    # each character _others stands for, beside another such and in CJK
    # text that fails _quiet ('凜' starts CP932's prefilter)
    _, _, names = fp._ftfy_check()
    standing = sorted(set(fp._MARK_SET) | set(fp._LATIN_REST) | set(fp._KANA_LEAD_SET) | set(names))
    loud = [f"凜堯中{c}{rng.choice(standing)}文字" for c in standing]
    assert all(fp._quiet().search(t) is not None for t in loud)
    texts += loud
    fast = [fp.signatures(t) for t in texts]
    quiet = sum(1 for t in texts if not t.isascii() and _PAIR.search(t) and fp._quiet().search(t) is None)
    # the texts that fail _quiet but skip the mark, Latin, ftfy and kana tests
    calm = sum(1 for t in texts if not t.isascii() and _PAIR.search(t) and fp._quiet().search(t) is not None
               and fp._others().search(t) is None)
    monkeypatch.setattr(fp, "_quiet", lambda: None)
    assert [fp.signatures(t) for t in texts] == fast
    monkeypatch.setattr(fp, "_others", lambda: None)
    assert [fp.signatures(t) for t in texts] == fast
    assert quiet > 300          # the exit is taken, not only skipped
    assert calm > 50            # and so is the narrower one


def test_cp932_prefilter_covers_every_cut():
    """CP932's prefilter (gates.json, ``cp932_prefilter`` in
    tools/build_gates.py) is present wherever signature 4 can fire under
    CP932: every way CP932 can cut the bytes of two adjacent characters of
    the ``decoded`` table (three-byte UTF-8 or an F0 9F emoji) holds one of
    its alternatives.  Byte classes: E (E0..EF), F (F0), 9 (9F), N (other
    80..BF), O (anything else)."""
    gates = json.loads((Path(__file__).resolve().parents[1] / "src" / "luanma" / "data" / "gates.json")
                       .read_text(encoding="utf-8"))
    alts = [[set(chars) for chars in alt] for alt in gates["utf8_prefilter"]["cp932"]]

    def byte_class(b: int) -> str:
        return "E" if 0xE0 <= b <= 0xEF else "F" if b == 0xF0 else "9" if b == 0x9F \
            else "N" if 0x80 <= b <= 0xBF else "O"

    chars: dict[str, set[str]] = {}
    for o in range(0x80, 0x110000):
        if 0xD800 <= o < 0xE000:
            continue
        try:
            b = chr(o).encode("cp932")
        except UnicodeEncodeError:
            continue
        chars.setdefault("".join(map(byte_class, b)), set()).add(chr(o))
    first = ["E" + a + b for a in "9N" for b in "9N"] + ["F9" + a + b for a in "9N" for b in "9N"]

    def cuts(w: str) -> set[tuple[str, ...]]:
        """The sequences of whole characters inside ``w``, for every start."""
        out: set[tuple[str, ...]] = set()

        def walk(p: int, acc: tuple[str, ...]) -> None:
            if p >= len(w):
                out.add(acc)
                return
            for s in chars:
                k = min(len(s), len(w) - p)
                if s[:k] == w[p:p + k]:
                    if p + len(s) <= len(w):
                        walk(p + len(s), acc + (s,))
                    else:
                        out.add(acc)            # the last one runs past the window
        walk(0, ())
        for k in (1, 2):                        # the first one began before it
            if any(len(s) > k and s[-k:] == w[:k] for s in chars):
                walk(k, ())
        return out

    def holds(cut: tuple[str, ...]) -> bool:
        for alt in alts:
            for i in range(len(cut) - len(alt) + 1):
                if all(chars[cut[i + j]] <= alt[j] for j in range(len(alt))):
                    return True
        return False

    for w in (a + b for a in first for b in first):
        for cut in cuts(w):
            assert holds(cut), (w, cut)


@settings(max_examples=400)
@given(st.text(st.one_of(st.sampled_from(MOJI), st.characters(max_codepoint=0x7F),
                         st.characters()), max_size=30))
def test_random_strings(text):
    if not maybe_garbled(text):
        if _PAIR.search(text) is None:
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
    pieces = [pg for t in texts for pg in garbled_pieces(t, rng)]
    missed = [(p, g) for p, g in pieces if not maybe_garbled(g)]
    print(f"clean corpus records: {len(every)}, maybe_garbled False on {clean_false} "
          f"({100 * clean_false / len(every):.1f}%)")
    print(f"texts checked: {n} (clean, garbled and isolated variants, random); "
          f"maybe_garbled False on {false}, each checked against the full diagnose (and "
          f"isolated ones against _seed_window, ftfy, find_damage); violations: {len(bad)}")
    print(f"garbled records and pieces: {len(pieces)}, without a signature: {len(missed)} "
          f"[{time.time() - t0:.0f} s]")
    for t, why in bad[:20]:
        print("  VIOLATION", repr(t[:80]), why)
    for p, g in missed[:20]:
        print("  MISSED", p, repr(g[:60]))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main(sys.argv[1:])


def test_legacy_runs_match_a_loop_over_runs():
    """Signature 5's short-run test (two regex scans) finds what a loop over
    the text's runs of non-ASCII characters finds, on random mixes of ASCII,
    characters of either legacy pair and other CJK."""
    import re

    import luanma.fastpath as fp

    tables = fp._tables()
    legacy = sorted(set(tables.legacy_any.pattern[1:-1].replace("\\", "")))

    def by_loop(text: str) -> bool:
        if any(rx.search(text) is not None for rx in tables.legacy_close):
            return True
        return any(2 <= len(m.group()) <= 6 and tables.legacy_any.search(m.group()) is not None
                   for m in re.finditer(r"[^\x00-\x7f]+", text))

    rng = random.Random(5)
    alphabet = list("ab ,.=?\n") + list("中文的是了。，") + rng.sample(legacy, 40)
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16))) for _ in range(5000)]

    def run() -> str:
        """1-9 plain CJK characters, at most one of them a legacy one (so
        that only the run's length decides)."""
        chars = [rng.choice("中文的是了。，") for _ in range(rng.randint(1, 9))]
        if rng.random() < 0.8:
            chars[rng.randrange(len(chars))] = rng.choice(legacy)
        return "".join(chars)
    texts += [rng.choice(["", "x"]) + " ".join(run() for _ in range(rng.randint(1, 3))) + rng.choice(["", "="])
              for _ in range(3000)]
    texts += _records()[:300]
    found = [fp._legacy(t, tables) for t in texts]
    assert found == [by_loop(t) for t in texts]
    assert 500 < sum(found) < len(texts) - 500      # both answers are exercised
