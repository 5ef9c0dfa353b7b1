"""Our named decoder variants reproduce the damage real software did."""

from __future__ import annotations


from luanma import corrupt
from conftest import chain_to_plan, read_jsonl, shared_file


def _verified_pairs():
    return [r for r in read_jsonl(shared_file("realworld", "repo-pairs.jsonl")) if r["verified"]]


def test_every_verified_real_chain_is_reproduced_byte_for_byte():
    pairs = _verified_pairs()
    assert len(pairs) >= 400
    mismatches = []
    for r in pairs:
        c = corrupt(r["original"], chain_to_plan(r["chain"]))
        if c.text != r["garbled"]:
            mismatches.append(r["id"])
        # The dataset marks a line lossy when its chain uses a lossy decoder;
        # corrupt() reports the losses that actually happened, so it may say
        # lossless where the data says lossy, never the other way round...
        elif c.lossy and not r["lossy"]:
            mismatches.append(r["id"] + " (reported lossy)")
        # ...and when it says lossless, the exact inverse must hold.
        elif not c.lossy and c.plan.undo(c.text) != r["original"]:
            mismatches.append(r["id"] + " (undo)")
    assert mismatches == []


def test_lossless_real_chains_undo_exactly():
    from luanma import Plan

    n = 0
    for r in _verified_pairs():
        if r["lossy"]:
            continue
        assert Plan.parse(chain_to_plan(r["chain"])).undo(r["garbled"]) == r["original"]
        n += 1
    assert n >= 150


def test_private_use_lines_are_windows_cp950_of_gbk():
    """Lines the stock codecs cannot reproduce because the converter showed
    Big5's user-defined rows C6A1-C8FE as private-use characters U+F6B1..
    (luanma.eudc): GBK text shown as Big5 that way is exactly
    ``gbk -> cp950:win``."""
    rows = [r for r in read_jsonl(shared_file("realworld", "repo-pairs.jsonl"))
            if not r["verified"] and any(0xF6B1 <= ord(c) <= 0xF848 for c in r["garbled"])]
    gbk = []
    for r in rows:
        try:
            r["original"].encode("gbk")
        except UnicodeEncodeError:
            continue
        gbk.append(r)
    assert len(gbk) >= 10
    assert [r["id"] for r in gbk if corrupt(r["original"], "gbk -> cp950:win").text != r["garbled"]] == []
