"""luanma.spark on a real local Spark session (local[2]): every output row
equals repair() / diagnose() called directly, without an engine (in a fresh
process: see _reference), and a row that raises is reported with its row id,
never dropped.

Skips (with the reason) without pyspark/pandas/pyarrow (``pip install -e
'.[test,engines]'``, as .ci/run does) or without Java.  The records are built
here (``engine_records``) and shared with tests/test_dask.py.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from luanma import corrupt, repair
from luanma.spark import DIAGNOSIS_FIELDS, RowRepairError

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"

# --------------------------------------------------------------------------
# Records with known garbling (shared with test_dask.py)
# --------------------------------------------------------------------------

#: (language, plan, how many whole records, how many with a garbled span,
#: longest text garbled whole).  Lossy Windows plans get short texts: a
#: whole paragraph read by big5:win costs repair() seconds, and CI has 2 cores.
QUOTAS = [
    ("zh-Hans", "utf-8 -> gbk", 8, 6, 40),
    ("zh-Hans", "gbk -> latin-1", 20, 15, 40),
    ("zh-Hans", "utf-8 -> cp1252:c1", 15, 15, 40),
    ("zh-Hans", "utf-8 -> gbk:win", 12, 6, 20),
    ("zh-Hant", "big5 -> latin-1", 20, 15, 40),
    ("zh-Hant", "utf-8 -> cp1252:c1", 10, 10, 40),
    ("zh-Hant", "utf-8 -> gbk:win", 8, 4, 20),
    ("zh-Hant", "utf-8 -> big5:win", 2, 0, 6),
    ("ja", "utf-8 -> shift_jis", 8, 6, 40),
    ("ja", "shift_jis -> latin-1", 20, 15, 40),
    ("ja", "utf-8 -> cp1252:c1", 10, 10, 40),
    ("ja", "utf-8 -> shift_jis:win", 8, 4, 20),
    ("ko", "utf-8 -> cp949", 8, 6, 40),
    ("ko", "euc_kr -> latin-1", 20, 15, 40),
    ("ko", "utf-8 -> cp1252:c1", 10, 10, 40),
    ("ko", "utf-8 -> cp949:win", 4, 0, 12),
    ("mixed", "utf-8 -> gbk:win", 4, 0, 30),
    ("zh-Hans", "gbk -> latin-1 | utf-8 -> cp1252:c1", 4, 0, 20),
]
CLEAN = 2400        # clean corpus records (the fast path: cheap)
NULLS = 80
REPEATS = 40        # garbled records that come again (each distinct value is repaired once)
EXTRA = ["", "plain ASCII, nothing to do", "锟斤拷锟斤拷", "??? what ???"]


@lru_cache(maxsize=1)
def _corpus() -> dict[str, list[str]]:
    out = {}
    for lang in ("zh-Hans", "zh-Hant", "ja", "ko", "mixed"):
        with (CORPUS / f"{lang}.jsonl").open(encoding="utf-8") as fh:
            out[lang] = [json.loads(line)["text"] for line in fh if line.strip()]
    return out


def _garbled(text: str, plan: str) -> str | None:
    """``text`` garbled by ``plan``, or None where the plan cannot (a strict
    decoder meeting an odd byte) or changes nothing."""
    try:
        out = corrupt(text, plan).text
    except Exception:  # noqa: BLE001 - a refusal: this text cannot take that plan
        return None
    return out if out != text else None


@lru_cache(maxsize=1)
def engine_records() -> tuple[tuple[int, str, str | None], ...]:
    """(id, kind, text) records, the same on every run: clean corpus lines,
    whole lines and spans inside lines garbled by each plan of QUOTAS,
    repeats, odd strings and None, shuffled."""
    rng = random.Random(20240607)
    corpus = _corpus()
    rows: list[tuple[str, str | None]] = []
    for lang, plan, whole, spans, longest in QUOTAS:
        pool = corpus[lang][:]
        rng.shuffle(pool)
        made_whole = made_span = 0
        for text in pool:
            if made_whole < whole and len(text) <= longest:
                g = _garbled(text, plan)
                if g is not None:
                    rows.append((f"whole {plan}", g))
                    made_whole += 1
                    continue
            if made_span < spans and 20 <= len(text) <= 100:
                n = rng.randint(4, 10)
                a = rng.randrange(len(text) - n)
                piece = text[a:a + n]
                g = _garbled(piece, plan) if sum(ord(c) > 127 for c in piece) >= 2 else None
                if g is not None:
                    rows.append((f"span {plan}", text[:a] + g + text[a + n:]))
                    made_span += 1
            if made_whole >= whole and made_span >= spans:
                break
    garbled = [r for r in rows]
    rows += rng.sample(garbled, REPEATS)
    everything = [t for lang in corpus.values() for t in lang]
    rows += [("clean", t) for t in rng.sample(everything, CLEAN)]
    rows += [("odd", t) for t in EXTRA] + [("null", None)] * NULLS
    rng.shuffle(rows)
    return tuple((i, kind, text) for i, (kind, text) in enumerate(rows))


def cheap_records(n: int) -> list[tuple[int, str, str | None]]:
    """The first ``n`` records, without the costly lossy Windows plans:
    for the tests that check options, not coverage."""
    return [r for r in engine_records() if ":win" not in r[1]][:n]


#: Runs in a fresh interpreter: repair() and diagnose() of every record, in
#: record order, as JSON {id: [repaired, diagnosis record]}.
_REFERENCE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from test_spark import engine_records
from luanma import repair
from luanma.spark import diagnosis_record
json.dump({i: [repair(t) if t is not None else None, diagnosis_record(t)]
           for i, _, t in engine_records()}, sys.stdout, ensure_ascii=False)
"""


@lru_cache(maxsize=1)
def _reference() -> dict[int, tuple[str | None, dict]]:
    """repair() and diagnose() of every record, called directly (no engine),
    in a fresh Python process, once per test session.

    Fresh, not this pytest process, which has run other test modules: the
    reference is then what a worker computes, whatever luanma caches.  (Until
    a5ff6ad the model's context cache emptied its trigram table on the first
    unpack, so scores, and diagnose()'s confidence, depended on which text a
    process repaired first: this process and a worker disagreed on a row.)
    """
    out = subprocess.run([sys.executable, "-c", _REFERENCE, str(Path(__file__).parent)],
                         capture_output=True, text=True, check=True, cwd=ROOT,
                         encoding="utf-8")
    return {int(i): (fixed, record) for i, (fixed, record) in json.loads(out.stdout).items()}


def expected_repairs() -> dict[int, str | None]:
    """{id: repair(text)} (None stays None)."""
    return {i: fixed for i, (fixed, _) in _reference().items()}


def expected_diagnoses() -> dict[int, dict]:
    """{id: diagnose(text) as luanma.spark.diagnosis_record gives it}."""
    return {i: record for i, (_, record) in _reference().items()}


def expected_repair(text: str | None) -> str | None:
    """repair(text) for a text of engine_records(), from the reference."""
    return _by_text()[text]


@lru_cache(maxsize=1)
def _by_text() -> dict[str | None, str | None]:
    fixed = expected_repairs()
    return {t: fixed[i] for i, _, t in engine_records()}


def test_records_hold_every_kind_of_row() -> None:
    recs = engine_records()
    kinds = {k.split(" ")[0] for _, k, _ in recs}
    assert kinds == {"whole", "span", "clean", "odd", "null"}
    assert 2500 <= len(recs) <= 4000
    plans = {k.split(" ", 1)[1] for _, k, _ in recs if k.startswith(("whole", "span"))}
    assert len(plans) >= 12, plans


# --------------------------------------------------------------------------
# Import hygiene: luanma never imports the engines (no Spark needed)
# --------------------------------------------------------------------------

def test_importing_luanma_imports_no_engine_or_data_frame_library() -> None:
    code = ("import sys, luanma, luanma.spark, luanma.dask, luanma.batch\n"
            "luanma.repair('鐢辨湀瑕佸ソ')\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('pyspark', 'py4j', 'dask', 'distributed', 'pandas', 'pyarrow', 'polars'))\n"
            "print(bad)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stdout


def test_errors_option_is_checked_before_spark_is_touched() -> None:
    from luanma.spark import repair_col

    with pytest.raises(ValueError, match="errors must be one of 'raise', 'keep'"):
        repair_col("body", errors="skip")


# --------------------------------------------------------------------------
# A real Spark session
# --------------------------------------------------------------------------

def _java_present() -> bool:
    home = os.environ.get("JAVA_HOME")
    return bool(shutil.which("java") or (home and Path(home, "bin", "java").exists()))


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark", reason="pyspark not installed (pip install -e '.[engines]')")
    pytest.importorskip("pandas", reason="pandas not installed (pip install -e '.[engines]')")
    pytest.importorskip("pyarrow", reason="pyarrow not installed (pip install -e '.[engines]')")
    if not _java_present():
        pytest.skip("no Java runtime (java not on PATH, no JAVA_HOME): Spark cannot start")
    from pyspark.sql import SparkSession

    # the Python workers must be this interpreter (the one luanma is installed in)
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (SparkSession.builder.master("local[2]").appName("luanma-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "4")
               # several Arrow batches per partition: offsets across batches matter
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", "200")
               .config("spark.driver.memory", "1g")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _frame(spark, records):
    return spark.createDataFrame([(i, k, t) for i, k, t in records],
                                 "id long, kind string, text string")


@pytest.fixture(scope="module")
def spark_results(spark) -> dict[int, tuple]:
    """Both columns over all records, in one Spark job: {id: (fixed, d)}."""
    from luanma.spark import diagnose_col, repair_col

    df = _frame(spark, engine_records()).repartition(4)
    rows = df.select("id", repair_col("text", id="id").alias("fixed"),
                     diagnose_col("text").alias("d")).collect()
    return {r["id"]: (r["fixed"], r["d"].asDict()) for r in rows}


def test_repair_col_equals_repair_on_every_row(spark_results) -> None:
    want = expected_repairs()
    assert sorted(spark_results) == sorted(want)              # no row dropped or added
    wrong = {i: (spark_results[i][0], w) for i, w in want.items() if spark_results[i][0] != w}
    assert not wrong, f"{len(wrong)} rows differ, e.g. {list(wrong.items())[:3]}"
    records = {i: t for i, _, t in engine_records()}
    changed = sum(1 for i, w in want.items() if w != records[i])
    assert changed >= 300, changed                            # the garbled ones were repaired


def test_diagnose_col_equals_diagnose_on_every_row(spark_results) -> None:
    want = expected_diagnoses()
    assert sorted(spark_results) == sorted(want)
    names = [n for n, _ in DIAGNOSIS_FIELDS]
    for i, w in want.items():
        got = spark_results[i][1]
        assert list(got) == names
        assert got == w, (i, got, w)
    assert sum(1 for w in want.values() if w["changed"]) >= 300


def test_repair_col_without_id_and_on_a_column_expression(spark) -> None:
    from pyspark.sql import functions as F

    from luanma.spark import repair_col

    recs = cheap_records(300)
    df = _frame(spark, recs).repartition(3)
    rows = df.select("id", repair_col("text").alias("a"),
                     repair_col(F.col("text")).alias("b")).collect()
    want = {i: expected_repair(t) for i, _, t in recs}
    assert len(rows) == len(recs)
    assert all(r["a"] == want[r["id"]] and r["b"] == want[r["id"]] for r in rows)


# -- errors ----------------------------------------------------------------

BAD = "make this row fail"


def _small(spark):
    recs = [(n, "x", t) for n, (_, _, t) in enumerate(cheap_records(40))]
    recs[17] = (17, "bad", BAD)
    return _frame(spark, recs).repartition(2), recs


def failing_on(bad: str, error: type[Exception] = ValueError, func=repair):
    """``func``, except that it raises on ``bad``: a failure injected inside
    the worker.  (A closure, so that cloudpickle ships it by value: the
    workers cannot import this test module.)"""
    def flaky(text: str):
        if text == bad:
            raise error("injected failure")
        return func(text)
    return flaky


_flaky = failing_on(BAD)


def test_a_failing_row_fails_the_job_naming_its_id(spark) -> None:
    from luanma.spark import repair_col

    df, _ = _small(spark)
    with pytest.raises(Exception, match=r"RowRepairError.*row id=17 \(column 'text'\): "
                                        r"ValueError: injected failure") as info:
        df.withColumn("text", repair_col("text", id="id", func=_flaky)).collect()
    assert "luanma.spark" in str(info.value)


def test_a_failing_row_without_id_is_named_by_partition_and_position(spark) -> None:
    from luanma.spark import repair_col

    df, _ = _small(spark)
    with pytest.raises(Exception, match=r"row #\d+ of partition \d \(column 'text'\)"):
        df.withColumn("text", repair_col("text", func=_flaky)).collect()


def test_errors_keep_returns_the_input_and_records_the_row(spark) -> None:
    from luanma.spark import RowErrors, repair_col

    df, recs = _small(spark)
    log = RowErrors(spark)
    rows = df.withColumn("fixed", repair_col("text", id="id", errors="keep", log=log,
                                             func=_flaky)).collect()
    assert len(rows) == len(recs)
    got = {r["id"]: r["fixed"] for r in rows}
    assert got[17] == BAD
    assert all(got[i] == expected_repair(t) for i, _, t in recs if i != 17)
    assert log.errors == {"id=17": "ValueError: injected failure"}


def test_a_non_string_column_fails_naming_the_row(spark) -> None:
    from pyspark.sql import functions as F

    from luanma.spark import diagnose_col, repair_col

    df = spark.createDataFrame([(1, "鍥炬爣"), (2, None)], "id long, text string")
    binary = df.select("id", F.encode("text", "UTF-8").alias("raw"))
    with pytest.raises(Exception, match=r"row id=1 \(column 'raw'\): TypeError: luanma works "
                                        r"on str, not bytes"):
        binary.select(repair_col("raw", id="id")).collect()
    rows = binary.select("id", diagnose_col("raw").alias("d")).orderBy("id").collect()
    assert rows[0]["d"]["error"].startswith("TypeError: luanma works on str, not bytes")
    assert rows[1]["d"]["error"] is None and rows[1]["d"]["repaired"] is None


def test_diagnose_col_reports_a_failing_row_in_its_error_field(spark) -> None:
    from luanma import diagnose
    from luanma.spark import diagnose_col

    df, recs = _small(spark)
    flaky = failing_on(BAD, RuntimeError, diagnose)
    rows = df.select("id", diagnose_col("text", func=flaky).alias("d")).collect()
    assert len(rows) == len(recs)
    by_id = {r["id"]: r["d"] for r in rows}
    assert by_id[17]["error"] == "RuntimeError: injected failure"
    assert by_id[17]["repaired"] == BAD and by_id[17]["changed"] is False
    assert all(by_id[i]["error"] is None for i, _, _ in recs if i != 17)


def test_row_repair_error_is_a_luanma_error() -> None:
    from luanma import LuanmaError

    assert issubclass(RowRepairError, LuanmaError)


# -- what is shipped to the executors ---------------------------------------

def test_the_udf_closure_is_small(spark) -> None:
    from pyspark import cloudpickle

    from luanma.spark import _repair_udf

    for id_name in (None, "id"):
        blob = cloudpickle.dumps(_repair_udf("text", id_name, "raise", None, None))
        assert len(blob) < 4000, len(blob)      # options only: the model is not in it
        assert b"charlm" not in blob


def test_each_python_worker_loads_the_model_once(spark) -> None:
    """Over several tasks (partitions), each Python worker process uses one
    model object: loaded once there, then reused by the tasks it runs."""
    from luanma.spark import repair_col

    def probe(text: str) -> str:
        import os

        from luanma.model import get_model

        repair(text)
        return f"{os.getpid()} {id(get_model())}"

    recs = [r for r in cheap_records(400) if r[2] is not None][:120]
    df = _frame(spark, recs).repartition(6)
    seen = {r["p"] for r in df.select(repair_col("text", func=probe).alias("p")).collect()}
    models: dict[str, set[str]] = {}
    for pid_model in seen:
        pid, model = pid_model.split()
        models.setdefault(pid, set()).add(model)
    assert models and all(len(m) == 1 for m in models.values()), models
    assert len(models) <= 2 * 6          # (local[2]: workers are reused, not one per row)


# -- the docs' example --------------------------------------------------------

def test_docs_example_runs(spark, tmp_path, monkeypatch) -> None:
    """The python block of docs/spark.md runs as written and prints what the
    page says.  It runs on this module's session (its getOrCreate() returns
    it, and its spark.stop() is held back for the tests after it): a second
    JVM would cost CI another ~15 s."""
    import contextlib
    import io

    from pyspark.sql import SparkSession

    text = (ROOT / "docs" / "spark.md").read_text(encoding="utf-8")
    block = text.split("```python\n", 1)[1].split("```", 1)[0]
    shown = text.split("```text\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(SparkSession, "stop", lambda self: None)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "docs/spark.md", "exec"), {"__name__": "__main__"})  # noqa: S102
    assert out.getvalue().strip() == shown.strip()
