"""Script-conversion residue (luanma.residue): pinyin a simplified-to-
traditional converter wrote after characters, as on the seed page.

The page's annotations are counted here by a crude pattern that knows no
readings (a CJK character, a bracketed lowercase word with a tone mark); on
this page every such match is an annotation (the specimen notes say "about
600"; the 101 distinct pairs were read by hand), so it is the reference the
reading-checked detector must agree with.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import opencc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CORPUS, ROOT, shared_file
from luanma import diagnose, find_residue, repair
from luanma.residue import clean, convert_script, script_config, strip_annotations

SEED_PAGE = CORPUS / "specimens" / "seed-page.txt"
TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
#: the crude reference: a CJK character, then (a lowercase word with a tone mark)
CRUDE = re.compile(f"(?<=[\u4e00-\u9fff])\\([a-zü]*[{TONED}][a-zü]*\\)")


def seed_page() -> str:
    if not SEED_PAGE.exists():
        pytest.skip(f"{SEED_PAGE} not present")
    return SEED_PAGE.read_text(encoding="utf-8")


def t2s(text: str) -> str:
    return opencc.OpenCC("t2s").convert(text)


# -- the seed page -----------------------------------------------------------

def test_seed_page_every_annotation_found_and_nothing_else() -> None:
    page = seed_page()
    found = find_residue(page)
    crude = [(m.start(), m.end()) for m in CRUDE.finditer(page)]
    assert len(crude) == 619
    assert [(r.start, r.end) for r in found] == crude
    assert all(page[r.start:r.end] == r.text and page[r.start - 1] == r.char for r in found)
    assert [(r.char, r.reading) for r in found[:5]] == [
        ("網", "wǎng"), ("頁", "yè"), ("網", "wǎng"), ("號", "hào"), ("請", "qǐng")]


def test_seed_page_pseudonym_notes_are_not_residue() -> None:
    # "洋蔥(化名)" ("a pseudonym") is a real bracket note, not pinyin
    page = seed_page()
    assert "蔥(化名)" in page
    assert not any(r.text == "(化名)" for r in find_residue(page))


def test_seed_page_left_as_is_by_default() -> None:
    page = seed_page()
    for line in page.split("\n"):
        d = diagnose(line)
        assert d.repaired == d.plan.apply(line)      # residue changed nothing
        assert len(d.residue) == len(CRUDE.findall(d.plan.apply(line)))
        if d.residue:
            assert any("script-conversion residue" in n and "left as is" in n for n in d.notes)


def test_seed_page_with_options_is_t2s_of_the_stripped_text() -> None:
    """The issue's check: with the opt-in options each line comes out as
    OpenCC t2s of its annotation-stripped text (stripped here by the crude
    pattern, not by luanma), after whatever mojibake repair it gets."""
    lines = seed_page().split("\n")
    outs = [repair(line, strip_pinyin=True, script="simplified") for line in lines]
    for line, out in zip(lines, outs):
        assert out == t2s(CRUDE.sub("", diagnose(line).repaired))
        assert not CRUDE.search(out)
    assert "网易首页 > 网易号 > 正文 申请入驻" in outs


# -- clean text --------------------------------------------------------------

def _texts(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh if line.strip()]


@pytest.mark.parametrize("name", ["zh-Hans", "zh-Hant", "ja", "ko", "mixed"])
def test_corpus_lines_have_no_residue(name: str) -> None:
    texts = _texts(CORPUS / f"{name}.jsonl")
    assert texts
    assert [t for t in texts if find_residue(t)] == []


def test_shared_clean_lines_have_no_residue() -> None:
    texts = _texts(shared_file("realworld", "clean.jsonl"))
    assert [t for t in texts if find_residue(t)] == []


@pytest.mark.parametrize("text", [
    "蘋果(Apple)和北京(Beijing)",
    "北京(Běijīng)是首都",            # a word in pinyin, not one syllable
    "长(zhǎng)大",                     # a textbook's gloss on a simplified character
    "銀行(háng)",                      # 行 is not a converted character
    "網(wang)",                         # no tone mark
    "網 (wǎng)",                       # not directly after the character
    "網(wǎng yì)",
    "網(hǎo)",                          # not a reading of 網
    "(wǎng)網",
    "東京（Tōkyō）",
    "音(yīn)",                         # 音 is the same in both scripts
    "Café (déjà vu)",
])
def test_legitimate_brackets_are_not_residue(text: str) -> None:
    assert find_residue(text) == ()
    assert repair(text, strip_pinyin=True) is text


def test_clean_text_comes_back_as_the_same_object() -> None:
    for text in ["这是正常的中文。", "網(wǎng)易首頁(yè)", "蘋果(Apple)"]:
        assert repair(text) is text


# -- forms -------------------------------------------------------------------

def test_full_width_and_decomposed_annotations() -> None:
    assert [r.reading for r in find_residue("網（wǎng）易")] == ["wǎng"]
    nfd = unicodedata.normalize("NFD", "網(wǎng)易")
    assert nfd != "網(wǎng)易"
    (r,) = find_residue(nfd)
    assert r.reading == "wǎng" and r.text == nfd[1:-1]
    assert strip_annotations(nfd) == "網易"


def test_heteronyms_and_u_umlaut() -> None:
    assert [r.reading for r in find_residue("長(zhǎng)長(cháng)")] == ["zhǎng", "cháng"]
    assert [r.reading for r in find_residue("綠(lǜ)")] == ["lǜ"]


# -- options -----------------------------------------------------------------

def test_options_are_off_by_default_and_opt_in() -> None:
    text = "網(wǎng)易首頁(yè)"
    assert repair(text) == text
    assert repair(text, strip_pinyin=True) == "網易首頁"
    assert repair(text, script="simplified") == "网(wǎng)易首页(yè)"
    assert repair(text, strip_pinyin=True, script="simplified") == "网易首页"
    assert repair("网易首页", script="traditional") == "網易首頁"
    assert repair("软件", script="s2twp") == "軟體"            # an OpenCC configuration
    assert repair(text, script="keep") is text


def test_unknown_script_is_an_error() -> None:
    for bad in ("bogus", "../t2s", ""):
        with pytest.raises(ValueError):
            repair("網", script=bad)
    assert script_config("simplified") == "t2s"


def test_diagnosis_reports_residue_after_the_mojibake_repair() -> None:
    text = "鍥炬爣 網(wǎng)易"           # UTF-8 read as GBK, then an annotation
    d = diagnose(text)
    assert d.repaired == "图标 網(wǎng)易"
    (r,) = d.residue
    assert d.plan.apply(text)[r.start:r.end] == "(wǎng)"
    d2 = diagnose(text, strip_pinyin=True, script="simplified")
    assert d2.repaired == "图标 网易" and d2.residue == d.residue
    assert any("removed" in n and "OpenCC t2s" in n for n in d2.notes)


def test_clean_returns_the_annotations_and_the_text() -> None:
    out, found = clean("網(wǎng)易", strip_pinyin=True, script="simplified")
    assert out == "网易" and [r.char for r in found] == ["網"]
    assert convert_script("plain ascii", "simplified") == "plain ascii"


def test_strip_refuses_annotations_of_another_text() -> None:
    found = find_residue("網(wǎng)易")
    with pytest.raises(ValueError):
        strip_annotations("易網(wǎng)", found)


# -- any text ----------------------------------------------------------------

#: pieces that make near-misses likely: converted and unconverted characters,
#: both kinds of bracket, syllables with and without tones, spaces
PIECES = st.sampled_from(["網", "頁", "長", "网", "中", "(", ")", "（", "）", "wǎng", "yè",
                          "wang", "zhǎng", "cháng", "hǎo", "a\u030c", "Apple", " ", "x"])


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=12).map("".join))
def test_any_text_annotations_fit_and_strip_exactly(text: str) -> None:
    found = find_residue(text)
    for r in found:
        assert text[r.start:r.end] == r.text and text[r.start - 1] == r.char
        assert r.text[0] in "(（" and r.text[-1] in ")）"
    out = strip_annotations(text, found)
    assert len(out) == len(text) - sum(len(r.text) for r in found)
    assert repair(text) == diagnose(text).plan.apply(text)      # reporting changes nothing


# -- the command -------------------------------------------------------------

def run(*args: str, stdin: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "luanma", *args], input=stdin,
                          capture_output=True, text=True, encoding="utf-8", check=False,
                          timeout=120)


def test_cli_flags() -> None:
    text = "網(wǎng)易首頁(yè) 蘋果(Apple)\n"
    assert run(stdin=text).stdout == text
    assert run("--strip-pinyin", stdin=text).stdout == "網易首頁 蘋果(Apple)\n"
    assert run("--strip-pinyin", "--script", "simplified", stdin=text).stdout == "网易首页 苹果(Apple)\n"
    bad = run("--script", "bogus", stdin=text)
    assert bad.returncode == 2 and "unknown script" in bad.stderr


def test_cli_jsonl_field_and_diff() -> None:
    rec = json.dumps({"t": "網(wǎng)易", "u": "頁(yè)"}, ensure_ascii=False) + "\n"
    out = run("--jsonl", "--field", "t", "--strip-pinyin", stdin=rec).stdout
    assert json.loads(out) == {"t": "網易", "u": "頁(yè)"}
    diff = run("--diff", "--strip-pinyin", stdin="網(wǎng)\n")
    assert diff.returncode == 1 and "+網" in diff.stdout


# -- the table ---------------------------------------------------------------

def test_reading_table_is_built_by_its_tool() -> None:
    pypinyin = pytest.importorskip("pypinyin")
    table = ROOT / "src" / "luanma" / "data" / "residue_readings.tsv"
    header = table.read_text(encoding="utf-8").split("\n", 1)[0]
    if f"pypinyin {pypinyin.__version__} " not in header:
        pytest.skip(f"table built with another pypinyin ({header})")
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import build_residue
    finally:
        sys.path.pop(0)
    assert build_residue.build() == table.read_text(encoding="utf-8")
