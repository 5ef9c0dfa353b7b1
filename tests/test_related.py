"""Records of one source (luanma.related) and repair(..., assume=...)."""

from __future__ import annotations

import difflib
import json
import random
import re
from pathlib import Path

import pytest

import luanma
from luanma import corrupt, repair, repair_related
from luanma.related import adopted_chains

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def _lines(lang: str) -> list[str]:
    with (ROOT / "corpus" / f"{lang}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh if line.strip()]


def _source(n: int, seed: int) -> list[tuple[str, str]]:
    """``n`` (original, garbled) key=value records of zh-Hans corpus pieces
    of 1-4 Han characters, GBK shown as Big5."""
    rng = random.Random(seed)
    pieces = [m.group() for t in _lines("zh-Hans") for m in re.finditer(r"[\u4e00-\u9fff]{1,4}", t)]
    rng.shuffle(pieces)
    out = []
    for p in pieces:
        try:
            g = corrupt(p, "gbk -> big5").text
        except luanma.LuanmaError:
            continue
        if g != p:
            out.append((f"Key{len(out)}={p}", f"Key{len(out)}={g}"))
        if len(out) == n:
            return out
    raise AssertionError("not enough pieces")


def test_a_source_proves_its_chain_for_its_short_records() -> None:
    records = _source(60, seed=3)
    alone = [repair(g) for _, g in records]
    together = repair_related([g for _, g in records])
    exact_alone = sum(a == o for a, (o, _) in zip(alone, records))
    exact_together = sum(t == o for t, (o, _) in zip(together, records))
    # the single characters cannot convince alone; with the source they do
    # (measured at this seed: 42 alone, 51 together, of 60)
    assert exact_together >= exact_alone + 5, (exact_alone, exact_together)
    assert exact_together >= 0.8 * len(records), (exact_alone, exact_together)


def test_records_repaired_alone_are_repaired_the_same_together() -> None:
    records = _source(40, seed=4)
    together = repair_related([g for _, g in records])
    for (_, g), t in zip(records, together):
        a = repair(g)
        if a != g:
            assert t == a


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant", "ja", "ko", "mixed"])
def test_clean_sources_come_back_unchanged(lang: str) -> None:
    texts = _lines(lang)[:400]
    for i in range(0, len(texts), 40):
        part = texts[i:i + 40]
        out = repair_related(part)
        assert out == part
        assert adopted_chains(part) == ()


def test_a_chain_most_records_do_not_prove_is_not_adopted() -> None:
    garbled = [g for _, g in _source(6, seed=5)]
    clean = _lines("zh-Hant")[:10]
    mixed = garbled[:2] + clean
    assert adopted_chains(mixed) == ()
    assert repair_related(mixed)[2:] == clean


def test_a_record_the_decoder_could_not_have_written_is_skipped() -> None:
    garbled = [g for _, g in _source(8, seed=6)]
    korean = "제61조 ① 국회는 국정을 감사하거나 특정한 국정사안에 대하여 조사할 수 있으며"
    out = repair_related(garbled + [korean])
    assert out[-1] is korean
    # under the chain on its own, the same record is "repaired": the guard matters
    assert repair(korean, assume=["gbk -> big5"]) != korean


def test_assume_takes_a_list_of_known_chains() -> None:
    assert repair("Iron=沺") == "Iron=沺"
    assert repair("Iron=沺", assume=["gbk -> big5"]) == "Iron=铁"
    assert repair("Iron=沺", assume=["gbk -> cp950"]) == "Iron=铁"     # any decoder of the family
    with pytest.raises(TypeError, match="list of chains"):
        repair("Iron=沺", assume="gbk -> big5")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="searches no chain"):
        repair("x", assume=["utf-8 -> koi8_r"])
    with pytest.raises(ValueError, match="one layer"):
        repair("x", assume=["utf-8 -> gbk | gbk -> big5"])
    # ASCII text: nothing to search, whatever is assumed
    assert repair("plain", assume=["gbk -> big5"]) == "plain"


def test_bad_arguments_fail_clearly() -> None:
    with pytest.raises(TypeError, match="list of records"):
        repair_related("Iron=沺")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="needs strings"):
        repair_related(["a", b"bytes"])
    # a column's missing values pass through, and count for nothing
    nan = float("nan")
    records = [g for _, g in _source(6, seed=7)] + [None, nan]
    out = repair_related(records)
    assert out[-2] is None and out[-1] is nan
    assert adopted_chains(records) == adopted_chains(records[:-2]) == ("gbk -> big5",)
    # any iterable, read once
    assert adopted_chains(iter(records)) == ("gbk -> big5",)
    assert repair_related(iter(records))[:-2] == out[:-2]
    with pytest.raises(ValueError, match="min_share"):
        repair_related(["a"], min_share=0)
    with pytest.raises(ValueError, match="min_records"):
        repair_related(["a"], min_records=0)


@pytest.mark.skipif(not (SHARED / "realworld" / "repo-pairs.jsonl").exists(), reason="no ../shared")
def test_realworld_lines_with_their_file_no_worse_and_not_fewer() -> None:
    from collections import defaultdict

    with (SHARED / "realworld" / "repo-pairs.jsonl").open(encoding="utf-8") as fh:
        pairs = [json.loads(line) for line in fh]
    by_file: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in pairs:
        if not r["lossy"]:
            by_file[(r["source"]["repo"], r["source"]["path"])].append(r)
    def closeness(a: str, b: str) -> int:
        return sum(m.size for m in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())

    alone = together = 0
    for group in by_file.values():
        out = repair_related([r["garbled"] for r in group])
        for r, o in zip(group, out):
            alone += repair(r["garbled"]) == r["original"]
            together += o == r["original"]
            # never further from the original than it came in
            assert closeness(o, r["original"]) >= closeness(r["garbled"], r["original"]), (r["garbled"], o)
    # (measured: 188 alone, 199 with their file, of 215)
    assert together > alone


def test_assume_reaches_every_line_of_a_long_text() -> None:
    text = "x" * 4100 + "\nIron=沺\nplain"          # longer than LONG_TEXT: line by line
    d = luanma.diagnose(text, assume=["gbk -> big5"])
    assert d.repaired == "x" * 4100 + "\nIron=铁\nplain"
    assert [(s.start, s.layer) for s in d.spans] == [(4106, "gbk -> big5")]
    assert repair(text) is text


def test_assume_names_what_is_wrong_with_a_step_that_is_not_a_layer() -> None:
    with pytest.raises(ValueError, match="'cut:gb18030:win' is a cut step, not an encode/decode layer"):
        repair("x", assume=["cut:gb18030:win"])
    with pytest.raises(ValueError, match="is a fold step"):
        repair("x", assume=["fold:width"])
