"""Misaligned double-byte streams (issue 4, items 2 and 3): a character cut
at a chunk boundary, the run decoded one byte out of step after it, and
full-width punctuation folded to ASCII afterwards.

The seed page's spans come from corpus/specimens/seed-page.expected.json
(written from the specimen's notes, not from luanma's output); the other
cases are made from corpus lines by the mechanism itself (encode, lose the
cut character's first byte to '?', decode the rest with the Windows
decoder), and are checked against their originals.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

import luanma
from luanma import corrupt, diagnose, repair
from luanma.layers import Cut, Fold, Plan

ROOT = Path(__file__).resolve().parents[1]
SPECIMENS = ROOT / "corpus" / "specimens"
sys.path.insert(0, str(Path(__file__).resolve().parent))
import robust_props as rp  # noqa: E402


def _seed() -> tuple[str, list[dict]]:
    page = (SPECIMENS / "seed-page.txt").read_text(encoding="utf-8")
    spans = json.loads((SPECIMENS / "seed-page.expected.json").read_text(encoding="utf-8"))["spans"]
    return page, spans


def test_seed_page_exact_spans_repaired_and_nothing_else_changed() -> None:
    page, spans = _seed()
    d = diagnose(page)
    out = d.repaired
    for s in spans:
        at = s["offset"]
        assert page[at:at + len(s["damaged"])] == s["damaged"]
        if s["status"] == "exact":
            assert s["damaged"] not in out and s["original"] in out, s
    # every applied edit is one of the exact spans, put back in step
    assert len(d.spans) == sum(s["status"] == "exact" for s in spans)
    assert all(f.layer.startswith("cut:gb18030") for f in d.spans)
    # outside the edits, the page is the same text
    rebuilt = page
    for f in sorted(d.spans, key=lambda f: -f.start):
        rebuilt = rebuilt[:f.start] + f.repaired + rebuilt[f.end:]
    assert rebuilt == out


def test_seed_page_other_spans_no_worse() -> None:
    page, spans = _seed()
    out = repair(page)
    for s in spans:
        if s["status"] != "exact":
            # inferred/partly/unexplained: left as they were, or made right
            assert s["damaged"] in out or (s["original"] and s["original"] in out), s


def test_cut_plan_prints_parses_and_reapplies() -> None:
    plan = Plan.parse("cut:gb18030:win | fold:width")
    assert plan.layers == (Cut("gb18030:win"), Fold("width"))
    assert str(plan) == "cut:gb18030:win | fold:width"
    assert Plan.from_json(plan.to_json()) == plan
    assert corrupt("。“我更多想讓A", plan).text == "?!拔腋\ue3c1嘞胱孉"
    with pytest.raises(luanma.LuanmaError):
        plan.undo("?!斑@")


def test_each_fix_explains_itself() -> None:
    d = diagnose("持久戰(zhàn)?!斑@種由代理商")
    (f,) = d.spans
    assert (f.garbled, f.repaired) == ("?!斑@", "。“這")
    assert corrupt(f.repaired, f.layer).text == f.garbled
    rp.check_all("持久戰(zhàn)?!斑@種由代理商")


def _cut(text: str, decoder: str, rng: random.Random) -> str | None:
    """A stream cut inside a random two-byte character followed by two
    non-ASCII ones: ``cut:DECODER`` from there on."""
    codec = Cut(decoder).encoding
    spots = [i for i in range(len(text) - 2) if len(text[i].encode(codec)) == 2
             and not (text[i + 1] + text[i + 2]).isascii()]
    if not spots:
        return None
    i = rng.choice(spots)
    return text[:i] + corrupt(text[i:], f"cut:{decoder}").text


def _lines(lang: str) -> list[str]:
    with (ROOT / "corpus" / f"{lang}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh]


def test_cut_gbk_lines_come_back_right_or_visibly_lost() -> None:
    rng = random.Random(11)
    texts = [t for t in _lines("zh-Hans") if 12 <= len(t) <= 200]
    rng.shuffle(texts)
    cases = right = wrong = 0
    for text in texts:
        try:
            garbled = _cut(text, "gb18030:win", rng)
        except UnicodeEncodeError:
            continue
        if garbled is None:
            continue
        cases += 1
        out = repair(garbled)
        ok = len(out) == len(text) and all(o == t or o == "\ufffd" for o, t in zip(out, text))
        right += ok
        wrong += out != garbled and not ok
        if cases == 40:
            break
    # benchmarks/misaligned.py measured 86.7-93.3% right-or-lost and 4-7 of
    # 60 changed wrongly on other seeds; these bounds leave room for chance
    assert right >= 28, (right, cases)
    assert wrong <= 8, (wrong, cases)


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant", "ja", "ko"])
def test_a_question_mark_before_cjk_stays(lang: str) -> None:
    rng = random.Random(lang)
    texts = [t for t in _lines(lang) if any(not c.isascii() for c in t)]
    rng.shuffle(texts)
    changed = []
    for text in texts[:150]:
        spots = [i for i, c in enumerate(text) if not c.isascii()]
        i = rng.choice(spots)
        marked = text[:i] + "?" + text[i:]
        if repair(marked) != marked:
            changed.append(marked)
    assert changed == []


def test_seed_page_inferred_spans_offered_as_guesses() -> None:
    # "inferred" spans: one character shifted before a refused pair; too
    # little to apply, so diagnose() reports the reading and leaves them
    page, spans = _seed()
    d = diagnose(page)
    notes = [n for n in d.notes if "possible cut stream" in n]
    inferred = [s for s in spans if s["status"] == "inferred"]
    assert len(notes) == len(inferred)
    for s, note in zip(sorted(inferred, key=lambda s: s["offset"]), notes):
        garbled = s["damaged"][s["damaged"].index("?"):-len("/p>")]
        assert repr(garbled) in note
        # the reading's characters that bytes decide: 。 and ” (the
        # swallowed '<' is a guess)
        assert "'" + s["original"][s["original"].index("。"):][:2] in note, note


def test_gain_bound_never_prunes_a_realignment_that_reaches_the_floor() -> None:
    """``_best`` skips the picking where ``_gain_bound`` (or, once the first
    character is picked, the bound before the last one is ranked) says the floor is
    out of reach: on cut lines (real runs) and on clean lines with a '?'
    (nonsense runs), every candidate it skips gains less than the floor,
    and every one it keeps is the same as without the bound."""
    from luanma.misaligned import _RUN, SHIFT_DECODERS, SUSPECT_GAIN, _best, _candidates
    from luanma.model import get_model

    lm = get_model()
    rng = random.Random(5)
    texts: list[str] = []
    for lang, decoding in (("zh-Hans", "gb18030:win"), ("zh-Hant", "cp950:win"), ("ja", "cp932:win"),
                           ("ko", "cp949:win")):
        lines = [t for t in _lines(lang) if 12 <= len(t) <= 200]
        rng.shuffle(lines)
        for text in lines[:40]:
            try:
                garbled = _cut(text, decoding, rng)
            except UnicodeEncodeError:
                garbled = None
            if garbled is not None:
                texts.append(garbled)
            i = rng.randrange(len(text))
            texts.append(text[:i] + "?" + text[i:])
    pruned = kept = 0
    for text in texts:
        for m in _RUN.finditer(text):
            for end, run, marked in _candidates(text, m):
                for decoding in SHIFT_DECODERS:
                    full = _best(text, m.start(), end, run, decoding, marked, lm)
                    fast = _best(text, m.start(), end, run, decoding, marked, lm, SUSPECT_GAIN)
                    if fast is None:
                        assert full is None or full.gain < SUSPECT_GAIN, (text, full)
                        pruned += full is not None
                    else:
                        assert fast == full
                        kept += 1
    assert pruned >= 10 and kept >= 20, (pruned, kept)   # both sides were exercised
