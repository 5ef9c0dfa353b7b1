"""Long texts are diagnosed line by line (``repair.LONG_TEXT``).

* the answer is the lines' answers put together: same repaired text, a plan
  that re-applies, damage and withheld spans at their place in the whole;
* clean long text comes back as the same object;
* the work grows linearly: the characters the search scans for k copies of a
  document are k times those for one (counted, not timed).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

import luanma
from luanma import corrupt, detect, diagnose, repair
from luanma.repair import LONG_TEXT, RepairPlan

rp = importlib.import_module("luanma.repair")

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def _lines(lang: str, n: int) -> list[str]:
    with (CORPUS / f"{lang}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(x)["text"] for x in fh if x.strip()][:n]


def _mixed_document() -> str:
    """Clean lines, lines garbled whole, a garbled piece, damage and a '?'."""
    clean = _lines("zh-Hans", 60) + _lines("ja", 20) + _lines("ko", 20)
    out = []
    for i, t in enumerate(clean):
        if i % 7 == 3:
            try:
                t = corrupt(t, "utf-8 -> gbk").text
            except luanma.errors.LuanmaError:
                pass
        elif i % 11 == 5:
            t = "id=7 " + corrupt(t[:6], "utf-8 -> gbk:win").text + " ok"
        elif i % 13 == 6:
            t = t[:20] + "锟斤拷锟斤拷" + t[20:]
        out.append(t)
    text = "\n".join(out)
    assert len(text) > LONG_TEXT
    return text


def test_long_text_is_its_lines_put_together() -> None:
    text = _mixed_document()
    d = diagnose(text)
    lines = [diagnose(line) for line in text.split("\n")]
    assert d.repaired == "\n".join(p.repaired for p in lines)
    assert d.changed and d.plan.apply(text) == d.repaired
    assert RepairPlan.from_json(d.plan.to_json()).apply(text) == d.repaired
    assert len(d.spans) == sum(len(p.spans) for p in lines)
    assert d.damage and all(d.repaired[x.start:x.end] == x.text for x in d.damage)
    assert len(d.damage) == sum(len(p.damage) for p in lines)
    assert len(d.notes) == sum(len(p.notes) for p in lines)
    assert repair(text) == d.repaired


def test_clean_long_text_is_the_same_object() -> None:
    text = "\n".join(_lines("zh-Hans", 80))
    assert len(text) > LONG_TEXT
    assert repair(text) is text and diagnose(text).repaired is text


def test_search_work_grows_linearly(monkeypatch: pytest.MonkeyPatch) -> None:
    """No search window spans two lines, and the characters handed to the
    search for k copies of a document are k times those for one copy.

    (On the whole text, one questionable '?' made the search windows of
    several hypotheses span nearly the whole document, clean lines and
    all: work grew with the document times the hypotheses its lines
    raised.)"""
    windows: list[str] = []
    search = detect.search

    def counting(text, *args, **kwargs):
        windows.append(text)
        return search(text, *args, **kwargs)

    monkeypatch.setattr(detect, "search", counting)
    # (a shorter threshold keeps the test fast; the property does not depend on it)
    monkeypatch.setattr(rp, "LONG_TEXT", 1000)
    from luanma.fastpath import MARKS, signatures

    lines = _lines("zh-Hans", 4000)
    # a clean line whose '?' beside a rare character shows signature 1
    # (the whole text then had windows from it to the far end), lossy
    # garbled pieces (no exact inverse: searched), clean lines without a
    # signature
    odd = [t for t in lines if MARKS in signatures(t)][1:2] + \
        ["id=7 " + corrupt(t[:8], "utf-8 -> gbk:win").text + " ok" for t in lines[:2]]
    clean = [t for t in lines if not signatures(t)][:30]
    base = "\n".join(odd[:1] + clean[:15] + odd[1:] + clean[15:])
    assert len(base) > rp.LONG_TEXT
    work = []
    for k in (1, 2, 4):
        windows.clear()
        repair("\n".join([base] * k))
        assert not any("\n" in w for w in windows)
        work.append(sum(map(len, windows)))
    assert work[0] > 0
    assert work[1] == 2 * work[0] and work[2] == 4 * work[0], work
