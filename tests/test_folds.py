"""Damage applied after the mojibake (issue 4, item 3): garbled text that a
pipeline then "cleaned" -- NFKC or width folding, invisible characters
dropped.  The search reads such text back through the fold
(:mod:`luanma.folds`, ``luanma.detect._fold_readings``); a span repaired
that way names the fold in its plan, and the plan re-garbles the repair.

Cases are made from corpus lines by the mechanism itself (``corrupt`` with
the plan) and checked against their originals; the clean cases are corpus
lines as they are and as a cleaner would leave them.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from luanma import UndecodableBytesError, corrupt, diagnose, repair
from luanma.detect import Hypothesis, _family, _fold_readings
from luanma.folds import drop_patterns, unfold_sources
from luanma.layers import FOLDS, Plan

sys.path.insert(0, str(Path(__file__).resolve().parent))
import robust_props as rp  # noqa: E402
from strategies import corpus_texts  # noqa: E402


def _lines(script: str) -> list[str]:
    """Corpus lines of one script (by their characters), 6 to 80 long."""
    ranges = {"kana": ("\u3040", "\u30ff"), "hanzi": ("\u4e00", "\u9fff")}
    lo, hi = ranges[script]
    return [t for t in corpus_texts() if 6 <= len(t) <= 80 and any(lo <= c <= hi for c in t)
            and (script != "hanzi" or not any("\u3040" <= c <= "\u30ff" for c in t))]


def _folded_cases(plan: str, script: str, n: int, seed: int) -> list[tuple[str, str]]:
    """``n`` corpus lines garbled by ``plan`` whose fold changed the text."""
    pool = _lines(script)
    random.Random(seed).shuffle(pool)
    out = []
    for t in pool:
        try:
            c = corrupt(t, plan)
        except Exception:       # noqa: BLE001 -- a line the encoder refuses
            continue
        if any(ll.loss.kind == "folded" for ll in c.losses):
            out.append((t, c.text))
        if len(out) == n:
            break
    return out


@pytest.mark.parametrize("plan, script, want", [
    ("utf-8 -> gbk | fold:nfkc", "hanzi", 7),
    ("utf-8 -> gbk | fold:width", "hanzi", 7),
    ("utf-8 -> shift_jis | fold:nfkc", "kana", 7),
    ("utf-8 -> gb18030 | fold:invisible", "hanzi", 4),
])
def test_folded_corpus_lines_come_back(plan: str, script: str, want: int) -> None:
    cases = _folded_cases(plan, script, 8, seed=4)
    assert len(cases) == 8
    exact = 0
    for original, garbled in cases:
        # every span, folded or not, re-garbles into the text it replaced
        # (robust_props' no-silent-deletion), and the output is stable
        r = rp.check_one_run(garbled)
        exact += r.out == original
        if r.out == original:
            # (a fold the repair read back is in its plan: "a -> b | fold:...")
            assert any("| fold:" in f.layer for f in r.plan.fixes), [str(f) for f in r.plan.fixes]
    assert exact >= want, (plan, exact)


def test_a_fold_span_names_the_fold_and_regarbles() -> None:
    (f,) = diagnose("鏁g儹鏁堟灉寰堝ソ").spans
    assert (f.repaired, f.layer) == ("散热效果很好", "utf-8 -> gbk | fold:width")
    assert Plan.parse(f.layer).apply(f.repaired).text == f.garbled
    (f,) = diagnose("縺薙s縺ォ縺。縺ッ").spans
    assert (f.repaired, f.layer) == ("こんにちは", "utf-8 -> shift_jis | fold:nfkc")
    assert corrupt(f.repaired, f.layer).text == f.garbled


def test_two_characters_dropped_in_a_row() -> None:
    """'办公室' in GBK holds two private-use pairs back to back (U+E100,
    U+E17B under Windows' CP936): both dropped, both read back."""
    text = "我们在办公室里开会"
    garbled = corrupt(text, "utf-8 -> gbk:win | fold:invisible").text
    assert "\ue100" in corrupt(text, "utf-8 -> gbk:win").text and "\ue100" not in garbled
    d = diagnose(garbled)
    assert d.repaired == text
    assert any(f.layer.endswith("| fold:invisible") for f in d.spans)


def test_an_exact_misreading_of_folded_kana_goes_to_the_search() -> None:
    """'PDF繝輔ぃ繧、繝ォ' is valid mojibake as it stands ('PDFファめAッH');
    the fold reading is far better, and the exact path steps aside."""
    assert repair("PDF繝輔ぃ繧、繝ォ") == "PDFファイル"


def test_clean_lines_stay_unchanged_as_they_are_and_folded() -> None:
    """Clean text a cleaner folded is still clean: full-width forms turned
    to ASCII beside CJK, half-width kana made full-width, must not look
    like folded mojibake."""
    changed = []
    for t in corpus_texts():
        for v in {t, FOLDS["nfkc"](t), FOLDS["width"](t)}:
            if any(0xFF01 <= ord(c) <= 0xFF5E for c in t) or v != t:
                if repair(v) != v:
                    changed.append(v)
    assert not changed, changed[:5]


def test_lossless_mojibake_reads_no_dropped_characters() -> None:
    """Mojibake with nothing dropped decodes everywhere: no dropped
    character is read into it (the costly reading, guesses everywhere)."""
    h = Hypothesis("utf-8", "gbk")
    for t in _lines("hanzi")[:300]:
        try:
            g = corrupt(t, "utf-8 -> gb18030").text
        except UndecodableBytesError:     # (strict GB18030 refuses some lines)
            continue
        readings = _fold_readings(g, h, _family(h))
        assert readings is None or not readings.drops, (t, g)


def test_no_fold_is_read_where_the_text_shows_none_was_applied() -> None:
    """A fold leaves nothing it would fold again: a full-width form left in
    the text means no width or NFKC folding, a private-use character left
    means nothing invisible was dropped."""
    h = Hypothesis("utf-8", "gbk")
    folded = corrupt("散热效果很好", "utf-8 -> gbk | fold:width").text
    assert _fold_readings(folded, h, _family(h)).unfold
    unfolded = corrupt("散热效果很好", "utf-8 -> gbk").text          # (holds 'ｇ')
    readings = _fold_readings(unfolded, h, _family(h))
    assert readings is None or not readings.unfold
    dropped = corrupt("我们在办公室里开会", "utf-8 -> gbk:win | fold:invisible").text
    assert _fold_readings(dropped, h, _family(h)).drops
    kept = corrupt("我们在办公室里开会", "utf-8 -> gbk:win").text
    readings = _fold_readings(kept, h, _family(h))
    assert readings is None or not readings.drops


def test_tables() -> None:
    assert ("ｇ", "width") in unfold_sources(("gbk:whatwg",))["g"]
    assert ("ｼ", "nfkc") in unfold_sources(("shift_jis",))["シ"]
    # GBK's user-defined rows (AA-AF, F8-FE x A1-FE) are Windows' PUA
    (leads, trails), *_ = drop_patterns(("gbk:win",))
    assert {0xAA, 0xAF, 0xF8, 0xFE} <= leads and trails == frozenset(range(0xA1, 0xFF))
    assert drop_patterns(("big5",)) == ()          # strict Big5 writes no PUA
