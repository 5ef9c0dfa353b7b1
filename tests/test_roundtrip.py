"""Property tests: corrupt -> plan -> undo is exact for every lossless chain,
plans survive their printed form, and unrepresentable text fails loudly."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from luanma import (
    LossyTextError, Plan, UnrepresentableError, corrupt, get_variant,
)
from luanma.layers import supported_layers
from strategies import any_text, corpus_text

SINGLE = [str(layer) for layer in supported_layers(lossless=True)]
# Real multi-layer histories: a garbled page saved as UTF-8 and read again.
MULTI = [
    "utf-8 -> gbk:escape | utf-8:escape -> cp1252:c1",
    "utf-8 -> cp1252:c1 | utf-8 -> gbk:escape",
    "utf-8 -> big5:escape | utf-8:escape -> iso8859-1",
    "utf-8 -> shift_jis:escape | utf-8:escape -> cp1252:c1",
    "gbk -> big5:escape | utf-8:escape -> cp1252:c1",
    "utf-8 -> gbk:escape | utf-8:escape -> cp1252:c1 | utf-8 -> cp1252:c1",
    "utf-8 -> cp1252:c1 | utf-8 -> cp1252:c1 | utf-8 -> euc_kr:escape",
]
STRICT = [f"utf-8 -> {d}" for d in ("gbk", "gb18030", "big5", "cp950", "shift_jis", "cp932",
                                     "euc_jp", "euc_kr", "cp949")] + ["gbk -> big5", "big5 -> gbk"]


def _roundtrip(text: str, plan_text: str) -> None:
    plan = Plan.parse(plan_text)
    try:
        c = corrupt(text, plan)
    except UnrepresentableError as exc:
        # the error must be true: that character really cannot be carried
        bad = exc.text[exc.index]
        codec = exc.encoding.partition(":")[0]
        with pytest.raises(UnicodeEncodeError):
            bad.encode(codec)
        return
    if c.lossy:
        # Only decoders that map two byte sequences to one character may be
        # ambiguous under a lossless behaviour; nothing may vanish.
        assert all(ll.loss.kind == "ambiguous" for ll in c.losses), c.losses
        return
    assert plan.undo(c.text) == text


@pytest.mark.parametrize("plan_text", SINGLE + MULTI)
@given(text=st.one_of(corpus_text(), any_text))
def test_lossless_chain_roundtrips(plan_text: str, text: str) -> None:
    _roundtrip(text, plan_text)


@pytest.mark.parametrize("plan_text", STRICT)
@given(text=corpus_text())
def test_strict_decoders_roundtrip_or_refuse(plan_text: str, text: str) -> None:
    from luanma import UndecodableBytesError
    try:
        _roundtrip(text, plan_text)
    except UndecodableBytesError as exc:
        assert 0 <= exc.offset and exc.data  # names the bad bytes and where


@pytest.mark.parametrize("plan_text", ["utf-8 -> iso8859-1", "utf-8 -> cp1252:c1",
                                       "gbk -> iso8859-1", "utf-8 -> gb18030:escape",
                                       "big5 -> cp1252:c1", "euc_kr -> utf-8:escape"])
@given(text=st.one_of(corpus_text(), any_text))
def test_bijective_layers_never_lose(plan_text: str, text: str) -> None:
    """These decoders are exact bijections on bytes: never ambiguous."""
    try:
        c = corrupt(text, plan_text)
    except UnrepresentableError:
        return
    assert not c.lossy and Plan.parse(plan_text).undo(c.text) == text


@given(layers=st.lists(st.sampled_from(SINGLE + [str(x) for x in supported_layers(False)]),
                       min_size=1, max_size=3))
def test_plans_roundtrip_through_printed_and_json_forms(layers: list[str]) -> None:
    plan = Plan.parse(" | ".join(layers))
    assert Plan.parse(str(plan)) == plan
    assert Plan.from_json(plan.to_json()) == plan


LOSSY = ["utf-8 -> gbk:win", "utf-8 -> gbk:whatwg", "utf-8 -> gb18030:replace",
         "utf-8 -> big5:whatwg", "utf-8 -> cp950:win", "utf-8 -> shift_jis:whatwg",
         "utf-8 -> cp932:win", "utf-8 -> cp949:win", "utf-8 -> euc_kr:whatwg",
         "utf-8 -> gbk:qmark", "utf-8 -> gbk:ignore", "euc_jp -> utf-8:replace",
         "utf-8 -> cp1252:qmark | cp1252 -> utf-8:replace"]


@pytest.mark.parametrize("plan_text", LOSSY)
@given(text=corpus_text())
def test_lossy_decoders_report_their_losses(plan_text: str, text: str) -> None:
    """Whatever a lossy decoder does, corrupt() says whether bytes were lost,
    and undo never passes a loss off as text."""
    plan = Plan.parse(plan_text)
    try:
        c = corrupt(text, plan)
    except UnrepresentableError:
        return
    if not c.lossy:
        try:
            assert plan.undo(c.text) == text
        except LossyTextError as exc:
            # undo refuses only because a real '?' looks like a loss marker
            assert exc.text[exc.index] in "?\u30fb"
        return
    for ll in c.losses:
        assert ll.loss.kind in ("undecodable", "ambiguous", "unencodable")
    try:
        undone = plan.undo(c.text)
    except (LossyTextError, UnrepresentableError):
        return
    # an ignore-mode loss leaves no marker; undo cannot see it, but must not
    # claim to have restored the text
    assert undone != text or all(ll.loss.kind == "ambiguous" for ll in c.losses)


def test_known_lossy_cases() -> None:
    c = corrupt("— 后", "utf-8 -> gbk:win")
    assert "鈥?" in c.text and c.lossy
    assert c.losses[0].loss.lost[-1:] == b" "  # the swallowed space is reported
    w = corrupt("中 ok", "utf-8 -> gbk:whatwg")
    assert w.text == "涓\ufffd ok" and w.losses[0].loss.lost == b"\xad"


@pytest.mark.parametrize("spec,text,index", [
    ("gbk", "abc한국", 3), ("big5", "简体中文", 0), ("shift_jis", "中文€", 2),
    ("iso8859-1", "x中", 1), ("euc_kr", "中文ㅋ😀", 3),
])
def test_unrepresentable_text_fails_with_a_clear_error(spec: str, text: str, index: int) -> None:
    with pytest.raises(UnrepresentableError) as info:
        corrupt(text, f"{spec} -> iso8859-1")
    assert info.value.index == index
    assert f"U+{ord(text[index]):04X}" in str(info.value)


def test_unknown_names_fail_clearly() -> None:
    from luanma import PlanSyntaxError, UnknownVariantError
    with pytest.raises(UnknownVariantError, match="klingon"):
        get_variant("klingon")
    with pytest.raises(UnknownVariantError, match="behaviour"):
        get_variant("gbk:sloppy-ish")
    with pytest.raises(PlanSyntaxError):
        Plan.parse("utf-8 gbk")
    with pytest.raises(TypeError):
        corrupt(b"bytes", "utf-8 -> gbk")  # type: ignore[arg-type]


@pytest.mark.parametrize("plan_text,text,want", [
    ("utf-8 -> shift_jis | fold:nfkc", "こんにちは", "縺薙s縺ォ縺。縺ッ"),
    ("utf-8 -> gb18030 | fold:invisible", "误报", "璇姤"),      # U+E21B dropped
    ("fold:nbsp", "中文\u00a0好", "中文 好"),
    ("fold:quotes", "“好”‘嗯’", "\"好\"'嗯'"),
    ("fold:t2s", "網易首頁", "网易首页"),
    ("fold:s2t", "网易首页", "網易首頁"),
])
def test_folds_after_the_damage(plan_text: str, text: str, want: str) -> None:
    """Cleaning applied to garbled text (issue 4): each fold is a plan step
    that prints and parses back, reports itself lossy, and cannot be undone."""
    c = corrupt(text, plan_text)
    assert c.text == want
    assert str(Plan.parse(plan_text)) == plan_text
    # (every case here is changed by its fold, which reports that as a loss)
    assert any(ll.loss.kind == "folded" for ll in c.losses)
    with pytest.raises(LossyTextError):
        Plan.parse(plan_text).undo(want)
