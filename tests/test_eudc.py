"""Windows CP950's user-defined areas (luanma.eudc) and the ``cp950:win``
decoder built on them."""

from __future__ import annotations

import json
import random

from luanma import corrupt, repair
from luanma.eudc import NAME, _tables
from luanma.variants import decode, reencode

from conftest import CORPUS

def _eudc_pairs() -> list[bytes]:
    return list(_tables()[0])


def test_the_areas_fill_the_private_use_range_in_order() -> None:
    pairs = _eudc_pairs()
    decoded = [p.decode(NAME) for p in pairs]
    # four areas, numbered on across rows: U+E000 .. U+F848 without a gap
    assert sorted(decoded) == [chr(c) for c in range(0xE000, 0xF849)]
    assert b"\xfa\x40".decode(NAME) == "\ue000" and b"\xfe\xfe".decode(NAME) == "\ue310"
    assert b"\x8e\x40".decode(NAME) == "\ue311" and b"\xa0\xfe".decode(NAME) == "\ueeb7"
    assert b"\x81\x40".decode(NAME) == "\ueeb8" and b"\x8d\xfe".decode(NAME) == "\uf6b0"
    assert b"\xc6\xa1".decode(NAME) == "\uf6b1" and b"\xc8\xfe".decode(NAME) == "\uf848"
    for p, c in zip(pairs, decoded):
        assert c.encode(NAME) == p


def test_everything_else_is_pythons_cp950() -> None:
    eudc = set(_eudc_pairs())
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            pair = bytes((lead, trail))
            if pair in eudc:
                continue
            try:
                want = pair.decode("cp950")
            except UnicodeDecodeError:
                want = None
            try:
                got = pair.decode(NAME)
            except UnicodeDecodeError:
                got = None
            assert got == want, pair


def test_what_windows_never_shows_does_not_encode() -> None:
    # Python's cp950 reads C6A1-C7FC as ETEN kana and Cyrillic; Windows shows
    # PUA there, so no CP950 bytes give these characters
    for text in ("ヾ", "ч", "ぞ"):
        try:
            text.encode(NAME)
        except UnicodeEncodeError:
            continue
        raise AssertionError(text)
    assert "ヾ".encode(NAME, "replace") == b"?"


def test_cp950_win_shows_gbk_the_way_real_converters_did() -> None:
    # GBK 青 is C7E0, in the C6A1-C8FE area: shown as U+F78D, and back
    assert corrupt("青色", "gbk -> cp950:win").text == "\uf78d伎"
    assert decode(b"\xc7\xe0", "cp950:win").text == "\uf78d"
    assert reencode("\uf78d伎", "cp950:win").decode("gbk") == "青色"
    # the browser's Big5 decoder (Big5-HKSCS) reads the same bytes otherwise
    assert decode(b"\xc7\xe0", "big5:whatwg").text != "\uf78d"


def _lines(name: str) -> list[str]:
    with (CORPUS / f"{name}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh]


def test_gbk_shown_by_windows_cp950_is_repaired() -> None:
    """Simplified Chinese lines whose GBK bytes fall in the user-defined
    areas (so Windows shows private-use characters among the mojibake)."""
    eudc = set(_eudc_pairs())
    cases = []
    for text in _lines("zh-Hans")[::7]:
        if not 12 <= len(text) <= 80:
            continue
        try:
            data = text.encode("gbk")
        except UnicodeEncodeError:
            continue
        if not any(data[i:i + 2] in eudc for i in range(len(data) - 1)):
            continue
        c = corrupt(text, "gbk -> cp950:win")
        if any(0xE000 <= ord(ch) <= 0xF848 for ch in c.text) and not c.lossy:
            cases.append((text, c.text))
        if len(cases) == 25:
            break
    assert len(cases) == 25
    exact = sum(repair(garbled) == text for text, garbled in cases)
    # measured 23 of 25 when written; 0 of 25 before luanma.eudc (24 were
    # changed, but their private-use characters stayed garbled)
    assert exact >= 20, exact


def test_private_use_characters_in_clean_text_stay() -> None:
    """Icon fonts and user-defined characters live in the same private-use
    range: clean text carrying them is left alone."""
    rng = random.Random(7)
    for name in ("zh-Hans", "zh-Hant"):
        for text in _lines(name)[:60]:
            k = rng.randrange(len(text) + 1)
            icons = "".join(chr(rng.randrange(0xE000, 0xF849)) for _ in range(rng.choice((1, 2, 3))))
            x = text[:k] + icons + text[k:]
            assert repair(x) == x, x
