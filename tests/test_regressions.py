"""Replay every input in tests/regressions/: crashes and broken invariants
that tools/fuzz.py found (saved with an ``xfail`` reason: strict xfails until
the library is fixed, then the marker -- the field -- is removed), and
hand-made adversarial seeds that must keep passing.

Each file is JSON: ``entry`` (repair, diagnose or repair_bytes), ``input``
(a str, lone surrogates as JSON escapes) or ``input_hex`` (bytes), optional
``strict`` (repair_bytes), ``xfail``, ``note`` and ``check``.  A file whose
``check`` is ``work`` was found because it ran long: it is checked for work,
not seconds (a timed test passes or fails with the machine's load): the
language-model calls of one repair() must stay within
``robust_props.MODEL_CALLS_PER_UNIT`` times the call's documented budget
(:meth:`luanma.detect.Work.for_text`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import luanma

sys.path.insert(0, str(Path(__file__).resolve().parent))
import robust_props as rp  # noqa: E402

DIR = Path(__file__).resolve().parent / "regressions"
FILES = sorted(DIR.glob("*.json")) if DIR.is_dir() else []
def _params() -> list:
    out = []
    for path in FILES:
        record = json.loads(path.read_text())
        marks = [pytest.mark.xfail(strict=True, reason=record["xfail"])] if record.get("xfail") else []
        out.append(pytest.param(path, record, marks=marks, id=path.stem))
    return out or [pytest.param(None, None, marks=pytest.mark.skip(reason="tests/regressions/ is empty"))]


@pytest.mark.parametrize("path,record", _params())
def test_replay(path: Path, record: dict) -> None:
    entry = record["entry"]
    if entry == "repair_bytes":
        data = bytes.fromhex(record["input_hex"])
        try:
            r = luanma.repair_bytes(data, strict=record.get("strict", False))
        except luanma.UndecodableBytesError as exc:
            assert record.get("strict"), "lenient repair_bytes raised"
            assert 0 <= exc.offset < len(data)
            return
        assert type(r.text) is str
        assert all(0 <= o < len(data) for o in r.undecodable)
        return
    text = record["input"]
    assert entry in ("repair", "diagnose") and isinstance(text, str), record
    if record.get("check") == "work":
        out, calls = rp.counted_repair(text)
        limit = rp.call_limit(text)
        assert calls <= limit, f"{calls} model calls for {len(text)} characters (limit {limit:.0f})"
        # (one more run, not check_all's three: these are the costly inputs)
        assert rp.check_one_run(text).out == out
        return
    rp.check_all(text)
