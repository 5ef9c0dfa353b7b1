"""repair(), repair_and_explain() and diagnose(): behaviour and a small
accuracy run with thresholds (the full table is benchmarks/accuracy.py)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

import luanma
from luanma import RepairPlan, corrupt, diagnose, repair, repair_and_explain

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import accuracy  # noqa: E402

CORPUS = accuracy.load_corpus()


def test_clean_text_comes_back_as_the_same_object() -> None:
    for text in ["", "plain ASCII", "这是正常的中文。", "日本語のテキストです", "한국어 문장입니다"]:
        assert repair(text) is text


def test_non_str_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="repair_bytes"):
        repair(b"\xe4\xb8\xad")  # type: ignore[arg-type]


@pytest.mark.parametrize("lang,plan", [("zh-Hans", "utf-8 -> gbk"), ("zh-Hans", "gbk -> big5"),
                                       ("ja", "utf-8 -> shift_jis"), ("ko", "utf-8 -> cp949"),
                                       ("zh-Hans", "gbk -> cp1252:c1"), ("zh-Hans", "utf-8 -> cp1252:c1")])
def test_whole_documents_repair_exactly(lang: str, plan: str) -> None:
    rng = random.Random(7)
    # UTF-8 read as CP949 rarely passes a strict decoder: fewer cases there
    cases = list(accuracy.whole(CORPUS[lang], plan, 12, rng, False))
    assert len(cases) >= 6
    exact = sum(repair(g) == o for o, g, _ in cases)
    assert exact >= len(cases) - 1, f"{exact}/{len(cases)} exact for {plan}"


def test_span_inside_clean_text_is_repaired_and_the_rest_untouched() -> None:
    rng = random.Random(3)
    cases = list(accuracy.spans(CORPUS["zh-Hans"], "utf-8 -> gbk", 12, rng))
    exact = sum(repair(g) == o for o, g, _ in cases)
    assert exact >= 11


def test_plan_reapplies_and_survives_json() -> None:
    garbled = "Sego 鍥炬爣 and " + corrupt("设置完成", "utf-8 -> gbk").text
    fixed, plan = repair_and_explain(garbled)
    assert fixed == "Sego 图标 and 设置完成"
    assert plan.apply(garbled) == fixed
    again = RepairPlan.from_json(plan.to_json())
    assert again == plan and again.apply(garbled) == fixed
    with pytest.raises(luanma.PlanSyntaxError):
        plan.apply("something else entirely")


def test_lost_byte_at_a_boundary_is_rebuilt_and_reported() -> None:
    d = diagnose("## 涓轰粈涔堥渶瑕?Sego")       # Windows: '要 ' became '瑕?'
    assert d.repaired == "## 为什么需要 Sego"
    (fix,) = d.spans
    assert fix.layer == "utf-8 -> gbk:win" and fix.reconstructed


def test_a_lost_character_nothing_determines_stays_visibly_lost() -> None:
    # Windows swallows the ASCII byte after a cut character; a digit there
    # cannot be known: whatever repair() writes, it never writes a digit the
    # original did not have, and it says where it left U+FFFD.
    rng = random.Random(11)
    import re
    pool = [t for t in CORPUS["zh-Hans"] if re.search(r"[\u4e00-\u9fff][0-9]", t)]
    rng.shuffle(pool)
    checked = marked = 0
    for original in pool[:40]:
        garbled = corrupt(original, "utf-8 -> gbk:win").text
        d = diagnose(garbled)
        for digit in "0123456789":
            assert d.repaired.count(digit) <= original.count(digit), (original, d.repaired)
        if "\ufffd" in d.repaired:
            marked += 1
            assert any("left as U+FFFD" in n for n in d.notes)
            assert any(f.lost for f in d.spans)
        checked += 1
    assert checked >= 20 and marked >= 3


def test_a_mark_after_one_garbled_character_is_searched() -> None:
    # "—" + space read by Windows as GBK: one garbled character and a '?'
    text = "Safe to call on every boot — writes only when state diverges."
    garbled = corrupt(text, "utf-8 -> gbk:win").text
    assert garbled != text and repair(garbled) == text


@pytest.mark.parametrize("lang,plan,floor", [("zh-Hans", "utf-8 -> gbk:whatwg", 0.7),
                                             ("zh-Hans", "utf-8 -> gbk:win", 0.5),
                                             ("ja", "utf-8 -> shift_jis:whatwg", 0.45)])
def test_lost_characters_are_mostly_restored(lang: str, plan: str, floor: float) -> None:
    # a small run of benchmarks/accuracy.py's lossy rows (the full table
    # there); the floors sit below what the full benchmark measures
    rng = random.Random(3)
    lost = ok = worse = 0
    for original, garbled, idxs in accuracy.whole(CORPUS[lang], plan, 12, rng, True):
        out = repair(garbled)
        lost += len(idxs)
        ok += accuracy.restored(original, out, idxs)
        worse += accuracy.char_accuracy(out, original) < accuracy.char_accuracy(garbled, original)
    assert lost >= 12 and ok >= floor * lost, f"{ok}/{lost} lost characters restored"
    assert worse == 0


def test_irrecoverable_damage_is_reported_never_invented() -> None:
    text = "锟斤拷锟斤拷要锟矫猴拷学习锟斤拷"
    d = diagnose(text)
    assert d.repaired == text
    assert any(x.kind == "kunkaokao" for x in d.damage)
    assert d.notes


def test_two_layers_are_undone() -> None:
    for original in ["由月要好", "设置完成", "频道设置"]:
        garbled = corrupt(original, "utf-8 -> gbk | utf-8 -> cp1252:c1").text
        fixed, plan = repair_and_explain(garbled)
        assert fixed == original
        assert plan.fixes[0].layer == "utf-8 -> gbk | utf-8 -> cp1252:c1"


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant", "ja", "ko", "mixed"])
def test_no_false_positives_on_clean_corpus_text(lang: str) -> None:
    texts = CORPUS[lang][::12]          # a spread sample; the benchmark runs all
    changed = [t for t in texts if repair(t) != t]
    assert changed == []


def test_realworld_lossless_lines_beat_a_floor() -> None:
    from conftest import read_jsonl, shared_file
    rows = [r for r in read_jsonl(shared_file("realworld", "repo-pairs.jsonl"))
            if r["verified"] and not r["lossy"]][::4]
    exact = sum(repair(r["garbled"]) == r["original"] for r in rows)
    worse = sum(accuracy.char_accuracy(repair(r["garbled"]), r["original"])
                < accuracy.char_accuracy(r["garbled"], r["original"]) for r in rows)
    # measured 169/215 on the full set (benchmarks/accuracy.py --realworld)
    assert exact >= 0.7 * len(rows)
    assert worse == 0


def test_repair_bytes_strict_names_the_offset_and_lenient_keeps_it_visible() -> None:
    from luanma import UndecodableBytesError, repair_bytes

    data = "内存小了点，不过现在内存便宜！需要将操作系统重装".encode("gbk") + b"\xff\xfe"
    with pytest.raises(UndecodableBytesError) as info:
        repair_bytes(data, strict=True)
    assert info.value.offset >= len(data) - 2
    r = repair_bytes(data)
    assert r.text.startswith("内存小了点") and "\ufffd" in r.text and r.undecodable
    with pytest.raises(TypeError):
        repair_bytes("text")  # type: ignore[arg-type]


def test_repair_bytes_takes_any_bytes() -> None:
    # found by hand: detection named UTF-8 for b"\xff\xfe\x00" and the strict
    # UTF-8 decode then raised
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=150, deadline=None)
    @given(st.binary(max_size=48))
    def check(data: bytes) -> None:
        r = luanma.repair_bytes(data)
        assert isinstance(r.text, str)
        assert all(0 <= off < len(data) for off in r.undecodable)

    check()
    r = luanma.repair_bytes(b"\xff\xfe\x00")
    assert r.undecodable and "\ufffd" in r.text


@pytest.mark.xfail(strict=True, reason="false positive on clean text: bopomofo (rare in the "
                   "model's training text) reads 'better' as GBK shown as Big5 and back: "
                   "'ㄓㄨㄥ' -> '來刻典', 'ㄒㄧㄣ' -> '＃８４' (found in pypinyin's METADATA)")
def test_bug_clean_bopomofo_is_left_alone() -> None:
    text = "[['ㄓㄨㄥ'], ['ㄒㄧㄣ']]"
    assert repair(text) == text


def test_a_narrowed_lost_byte_is_written_only_when_near_sure() -> None:
    """A '?' of a round trip through windows-1252 (UTF-8 shown as it, its
    undefined bytes written '?', saved, read as UTF-8) narrows one lost byte
    to five values: a pick is written at MIN_NARROWED_CONFIDENCE, not at
    MIN_GUESS_CONFIDENCE, and never blind."""
    from luanma.repair import MIN_BLIND_CONFIDENCE, MIN_GUESS_CONFIDENCE, MIN_NARROWED_CONFIDENCE

    assert MIN_GUESS_CONFIDENCE < MIN_NARROWED_CONFIDENCE < MIN_BLIND_CONFIDENCE
    garbled = corrupt("请点击保存按钮", "utf-8 -> cp1252:qmark | cp1252 -> utf-8:replace").text
    assert "\ufffd" in garbled
    d = diagnose(garbled)
    # 保 wins at 0.98: written now, where the blind threshold left it U+FFFD
    assert d.repaired == "请点击保存按钮"
    assert [f.reconstructed for r in d.plan.rounds for f in r] == [(0,)]


def test_a_lone_private_use_icon_is_not_read_as_gbk_shown_as_big5() -> None:
    """Icon fonts put private-use characters in clean text; Windows shows
    Big5's user-defined rows (where GBK keeps common hanzi) as private-use
    characters too.  The model scores every private-use character at its
    floor, so an icon alone "gains" by becoming any hanzi: the corpus line
    beside it makes the text show signature 5, and the icon became 全."""
    from luanma.fastpath import signatures

    text = "<i>\uf7f5</i>此酒店涉嫌"
    assert signatures(text)                 # (so the search does run)
    assert repair(text) == text
    # once the chain is proven elsewhere in the text, such a character
    # alone is repaired with it
    note = corrupt("请在这里输入密码", "gbk -> cp950:win").text
    garbled = f"Color: {corrupt('青', 'gbk -> cp950:win').text}; Note: {note}"
    assert "\uf78d" in garbled
    assert repair(garbled) == "Color: 青; Note: 请在这里输入密码"


def test_first_pass_route_gives_what_diagnose_gives() -> None:
    """repair()'s short route for mojibake one pass undoes whole
    (luanma.repair._first_pass_only) must answer as diagnose() does.  Texts:
    corpus lines garbled whole or from a random point on, under lossless
    chains (where the route is taken) and lossy ones (where it must step
    aside or agree)."""
    from luanma.errors import LuanmaError
    from luanma.repair import _first_pass_only, _kinds

    rng = random.Random(11)
    taken = 0
    for lang, chains in (("zh-Hans", ("utf-8 -> gbk", "utf-8 -> gbk:win", "gbk -> big5")),
                         ("zh-Hant", ("utf-8 -> big5", "big5 -> gbk")),
                         ("ja", ("utf-8 -> shift_jis", "utf-8 -> cp932:win")),
                         ("ko", ("utf-8 -> cp949", "utf-8 -> euc_kr:whatwg"))):
        for chain in chains:
            for text in rng.sample(CORPUS[lang], 20):
                cut = rng.randrange(len(text))
                for piece, before in ((text, ""), (text[cut:], text[:cut])):
                    try:
                        garbled = before + corrupt(piece, chain).text
                    except LuanmaError:
                        continue
                    kinds = _kinds(garbled)
                    short = _first_pass_only(garbled, kinds) if kinds else None
                    if short is not None:
                        taken += 1
                        assert short == diagnose(garbled).repaired, (chain, garbled)
    assert taken >= 30      # (the route is really tried: 48 times at this seed)
    # clean lines that show a signature: the route leaves them as diagnose() does
    shown = [t for lang in ("zh-Hans", "zh-Hant") for t in CORPUS[lang] if _kinds(t)][:60]
    assert len(shown) >= 20
    for text in shown:
        short = _first_pass_only(text, _kinds(text))
        assert short is None or short == diagnose(text).repaired, text


def test_a_proven_chain_reaches_lone_characters_beyond_the_window() -> None:
    """Once GBK shown as Big5 is proven in a text, a lone garbled character
    further away than the search window's margin (在 -> 婓) is a piece of
    the same stream, as one inside the margin is; a clean text with the
    same lone character is left alone."""
    for t in ["在 abc def ghi jkl mno 我们都很喜欢这本书",
              "我们都很喜欢这本书 see /usr/share/doc/foo for more details 在"]:
        g = corrupt(t, "gbk -> big5").text
        assert repair(g) == t, g
    assert repair("婓 abc def ghi jkl mno") == "婓 abc def ghi jkl mno"
