"""Shared fixtures.  ``../shared/`` sits beside CI's clone but not beside a
user's: tests that read it skip cleanly when it is absent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = ROOT / "corpus"


def shared_file(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not present (../shared/ exists only beside CI's clone)")
    return path


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


_HANDLER_TO_BEHAVIOUR = {
    "strict": "", "replace": "replace", "win_dbcs": "win",
    "c1passthrough": "c1", "qmark": "qmark", "ignore": "ignore",
}


def chain_to_plan(chain: list[list[str]]) -> str:
    """Turn a repo-pairs chain ``[["encode", e], ["decode", d, handler]...]``
    into a printed luanma plan."""
    layers = []
    for enc, dec in zip(chain[::2], chain[1::2]):
        assert enc[0] == "encode" and dec[0] == "decode"
        enc_spec = enc[1] + (f":{enc[2]}" if len(enc) > 2 and enc[2] != "strict" else "")
        behaviour = _HANDLER_TO_BEHAVIOUR[dec[2] if len(dec) > 2 else "strict"]
        layers.append(f"{enc_spec} -> {dec[1]}" + (f":{behaviour}" if behaviour else ""))
    return " | ".join(layers)


#: Doctests of a module that drives an engine need that engine's package
#: (the ``engines`` extra); with only ``.[test]`` installed they skip.
_DOCTEST_NEEDS = {"luanma.dask.": "dask", "luanma.spark.": "pyspark"}


def pytest_collection_modifyitems(config, items):
    import importlib.util

    for item in items:
        if type(item).__name__ != "DoctestItem":
            continue
        for prefix, package in _DOCTEST_NEEDS.items():
            if item.name.startswith(prefix) and importlib.util.find_spec(package) is None:
                item.add_marker(pytest.mark.skip(
                    reason=f"{package} not installed (pip install -e '.[engines]')"))
