"""luanma.dask on a real distributed LocalCluster (2 worker processes): every
output value equals repair() / diagnose() called directly, without an engine
(tests/test_spark.py's reference), and a row that raises is reported with its
row id, never dropped.

Skips (with the reason) without dask[dataframe]/distributed/pandas (``pip
install -e '.[test,engines]'``, as .ci/run does).  The records are the ones
tests/test_spark.py builds.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
from test_spark import (  # the shared records (importing it needs no pyspark)
    cheap_records,
    engine_records,
    expected_diagnoses,
    expected_repair,
    expected_repairs,
    failing_on,
)

from luanma import corrupt, diagnose

ROOT = Path(__file__).resolve().parents[1]
BAD = "make this row fail"


def missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) \
        or type(value).__name__ == "NAType"


def same(got: object, want: object) -> bool:
    """Equal, a missing value matching any missing value."""
    return (missing(got) and missing(want)) or got == want


@pytest.fixture(scope="module")
def client():
    for name in ("dask", "dask.dataframe", "distributed", "pandas"):
        pytest.importorskip(name, reason=f"{name} not installed (pip install -e '.[engines]')")
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, worker_dashboard_address=None)
    with Client(cluster) as c:
        yield c
    cluster.close()


def _frame(records, npartitions: int):
    import dask.dataframe as dd
    import pandas as pd

    pdf = pd.DataFrame({"id": [i for i, _, _ in records], "kind": [k for _, k, _ in records],
                        "text": pd.Series([t for _, _, t in records], dtype=object)})
    return dd.from_pandas(pdf, npartitions=npartitions)


@pytest.fixture(scope="module")
def full(client):
    return _frame(engine_records(), 6)


def test_repair_series_equals_repair_on_every_row(full) -> None:
    from luanma.dask import repair_series

    got = repair_series(full["text"]).compute()
    want = expected_repairs()
    ids = full["id"].compute()
    assert len(got) == len(want) and list(got.index) == list(ids.index)   # nothing dropped
    wrong = [(i, g, want[i]) for i, g in zip(ids, got) if not same(g, want[i])]
    assert not wrong, f"{len(wrong)} rows differ, e.g. {wrong[:3]}"
    records = {i: t for i, _, t in engine_records()}
    assert sum(1 for i, w in want.items() if w != records[i]) >= 300


def test_diagnose_series_equals_diagnose_on_every_row(full) -> None:
    from luanma.dask import diagnose_series
    from luanma.spark import DIAGNOSIS_FIELDS

    got = diagnose_series(full["text"]).compute()
    assert list(got.columns) == [n for n, _ in DIAGNOSIS_FIELDS]
    ids = full["id"].compute()
    assert len(got) == len(ids)
    want = expected_diagnoses()
    for i, row in zip(ids, got.to_dict("records")):
        w = want[i]
        for name, value in row.items():
            assert same(value, w[name]), (i, name, value, w[name])


def test_repair_columns_and_bags(client) -> None:
    import dask.bag as db

    from luanma.dask import diagnose_bag, repair_bag, repair_columns

    recs = cheap_records(400)
    want = [expected_repair(t) for _, _, t in recs]
    df = _frame(recs, 4)
    df["title"] = df["text"]
    out = repair_columns(df, ["text", "title"], id="id").compute()
    assert all(same(a, w) and same(b, w) for a, b, w in zip(out["text"], out["title"], want))
    assert list(out["kind"]) == [k for _, k, _ in recs]

    texts = [t for _, _, t in recs]
    assert all(same(g, w) for g, w in
               zip(repair_bag(db.from_sequence(texts, npartitions=5)).compute(), want))
    items = [{"id": i, "body": t} for i, _, t in recs]
    got = repair_bag(db.from_sequence(items, npartitions=3), key="body", id="id").compute()
    assert [g["id"] for g in got] == [i for i, _, _ in recs]
    assert all(same(g["body"], w) for g, w in zip(got, want))
    reports = diagnose_bag(db.from_sequence(items[:60], npartitions=2), key="body").compute()
    assert [r["repaired"] for r in reports] == want[:60]


def test_keeps_the_dtype_and_the_index(client) -> None:
    import dask.dataframe as dd
    import pandas as pd

    from luanma.dask import repair_series

    g = corrupt("由月要好", "utf-8 -> gbk").text
    s = pd.Series([g, None, "ok"], index=[30, 10, 20], dtype="string", name="t")
    got = repair_series(dd.from_pandas(s, npartitions=2, sort=False)).compute()
    assert str(got.dtype) == "string" and got.name == "t"
    assert list(got.index) == [30, 10, 20]
    assert got.tolist()[0] == "由月要好" and got.tolist()[2] == "ok" and missing(got.tolist()[1])
    cat = pd.Series([g, "ok", g], dtype="category")
    assert repair_series(dd.from_pandas(cat, npartitions=1)).compute().tolist() == \
        ["由月要好", "ok", "由月要好"]


# -- errors ----------------------------------------------------------------

def _small(client):
    recs = [(n, "x", t) for n, (_, _, t) in enumerate(cheap_records(40))]
    recs[17] = (17, "bad", BAD)
    return _frame(recs, 3), recs


def test_a_failing_row_fails_naming_its_id(client) -> None:
    from luanma.dask import repair_columns
    from luanma.spark import RowRepairError

    df, _ = _small(client)
    with pytest.raises(RowRepairError, match=r"luanma.dask: repair failed on row id=17 "
                                             r"\(column 'text'\): ValueError: injected failure"):
        repair_columns(df, "text", id="id", func=failing_on(BAD)).compute()


def test_a_failing_row_without_id_is_named_by_index_and_partition(client) -> None:
    import dask.bag as db

    from luanma.dask import repair_bag, repair_series
    from luanma.spark import RowRepairError

    df, recs = _small(client)
    with pytest.raises(RowRepairError, match=r"row index 17 of partition \d \(column 'text'\)"):
        repair_series(df["text"], func=failing_on(BAD)).compute()
    bag = db.from_sequence([t for _, _, t in recs], npartitions=4)
    with pytest.raises(RowRepairError, match=r"row #7 of partition 1 \(column 'item'\)"):
        repair_bag(bag, func=failing_on(BAD)).compute()     # 40 items: 10 a partition


def test_errors_keep_returns_the_input_and_records_the_row(client) -> None:
    from luanma.dask import repair_columns, row_errors

    df, recs = _small(client)
    out = repair_columns(df, "text", id="id", errors="keep", func=failing_on(BAD)).compute()
    assert len(out) == len(recs)
    got = dict(zip(out["id"], out["text"]))
    assert got[17] == BAD
    assert all(same(got[i], expected_repair(t)) for i, _, t in recs if i != 17)
    assert row_errors(client) == {"text: id=17": "ValueError: injected failure"}


def test_a_non_string_value_is_reported(client) -> None:
    import dask
    import dask.dataframe as dd
    import pandas as pd

    from luanma.dask import diagnose_series, repair_series
    from luanma.spark import RowRepairError

    with dask.config.set({"dataframe.convert-string": False}):
        s = dd.from_pandas(pd.Series(["鍥炬爣", b"raw bytes", None], dtype=object), npartitions=1)
        with pytest.raises(RowRepairError, match=r"row index 1 of partition 0 .*TypeError: "
                                                 r"luanma works on str, not bytes"):
            repair_series(s).compute()
        report = diagnose_series(s).compute()
    assert report["error"].tolist()[0] is None
    assert report["error"].tolist()[1].startswith("TypeError: luanma works on str, not bytes")
    assert report["repaired"].tolist()[:2] == ["图标", b"raw bytes"]


def test_diagnose_reports_a_failing_row_in_its_error_field(client) -> None:
    from luanma.dask import diagnose_series

    df, recs = _small(client)
    report = diagnose_series(df["text"], func=failing_on(BAD, RuntimeError, diagnose)).compute()
    assert len(report) == len(recs)
    errors = report["error"].tolist()
    assert errors[17] == "RuntimeError: injected failure"
    assert all(e is None for n, e in enumerate(errors) if n != 17)


# -- the docs' example --------------------------------------------------------

def test_docs_example_runs(client, tmp_path) -> None:
    """The python block of docs/dask.md runs as written, in a fresh process
    (it starts its own cluster), and prints what the page says."""
    import subprocess
    import sys

    text = (ROOT / "docs" / "dask.md").read_text(encoding="utf-8")
    block = text.split("```python\n", 1)[1].split("```", 1)[0]
    shown = text.split("```text\n", 1)[1].split("```", 1)[0]
    script = tmp_path / "example.py"
    script.write_text(block, encoding="utf-8")
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=False,
                         cwd=tmp_path, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == shown.strip()
