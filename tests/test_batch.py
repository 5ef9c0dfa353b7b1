"""luanma.batch: repair_many and the data-frame helpers (which skip when
their library is not installed)."""

from __future__ import annotations

import itertools
import math
import os
import time
from collections.abc import Iterator

import pytest

import luanma
from luanma import corrupt, repair, repair_many
from luanma.batch import (
    INFLIGHT_PER_WORKER,
    ordered_map,
    repair_arrow,
    repair_polars,
    repair_series,
    worker_pool,
)

G1 = corrupt("由月要好", "utf-8 -> gbk").text          # 鐢辨湀瑕佸ソ
G3 = corrupt("图标", "utf-8 -> gbk").text              # 鍥炬爣
R1, R3 = repair(G1), repair(G3)
MIXED = [G1, "plain", None, "这是正常的中文。", G3, float("nan"), "", G1 + " and " + G3]


def same(a: list[object], b: list[object]) -> bool:
    """Equal lists, NaN counting as equal to NaN."""
    return len(a) == len(b) and all(
        x == y or (isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y))
        for x, y in zip(a, b))


def expected(values: list[object]) -> list[object]:
    return [repair(v) if isinstance(v, str) else v for v in values]


def test_exported_from_the_package() -> None:
    assert luanma.repair_many is repair_many and "repair_many" in luanma.__all__


@pytest.mark.parametrize("jobs", [1, 2])
def test_repairs_in_order_and_passes_missing_values(jobs: int) -> None:
    out = list(repair_many(MIXED * 5, jobs=jobs, chunksize=3))
    assert same(out, expected(MIXED * 5))
    assert out[0] == R1 and out[2] is None and out[4] == R3


def test_unchanged_strings_come_back_as_the_same_object() -> None:
    text = "这是正常的中文。"
    assert next(repair_many([text])) is text


def counting(pulled: list[int]) -> Iterator[str]:
    """An endless input that records how much of it was read."""
    for i in itertools.count():
        pulled[0] += 1
        yield G1 if i % 2 else f"ascii {i}"


@pytest.mark.parametrize("jobs", [1, 2])
def test_lazy_on_endless_input_and_reads_only_a_bounded_amount_ahead(jobs: int) -> None:
    pulled = [0]
    out = repair_many(counting(pulled), jobs=jobs, chunksize=4)
    first = list(itertools.islice(out, 10))
    assert first == [f"ascii {i}" if i % 2 == 0 else R1 for i in range(10)]
    # with workers: at most INFLIGHT_PER_WORKER tasks each in flight, 4 strings a task
    ahead = INFLIGHT_PER_WORKER * jobs * 4 if jobs > 1 else 0
    assert pulled[0] <= 10 + ahead + 4
    started = time.monotonic()
    out.close()                                   # stops the workers, does not hang
    assert time.monotonic() - started < 10


def test_empty_input() -> None:
    assert list(repair_many([], jobs=2)) == []


@pytest.mark.parametrize("bad", [b"bytes", 3, ["list"]])
def test_non_strings_raise_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="needs strings"):
        list(repair_many(["ok", bad]))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"jobs": -1}, "jobs"), ({"jobs": 1.5}, "jobs"), ({"chunksize": 0}, "chunksize"),
])
def test_bad_arguments_fail_at_the_call_not_at_first_next(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        repair_many(["x"], **kwargs)


def test_ordered_map_keeps_order_and_runs_cheap_items_here() -> None:
    pool = worker_pool(2)
    try:
        items = [(i, "x" * (i % 3)) for i in range(20)]
        out = list(ordered_map(len, items, pool, inflight=3, run_here=lambda s: s == ""))
    finally:
        pool.shutdown()
    assert out == [(i, i % 3) for i in range(20)]


def _pid_of(_: object) -> int:
    return os.getpid()


def test_ordered_map_here_every_runs_every_nth_payload_in_this_process() -> None:
    """here_every=3: this process takes every third payload that was worth
    a worker (the cheap ones run here anyway and do not count), the pool the
    rest, and the output keeps the input order."""
    pool = worker_pool(1)
    try:
        items = [(i, "" if i in (0, 4) else "x") for i in range(10)]
        out = list(ordered_map(_pid_of, items, pool, run_here=lambda s: s == "", here_every=3))
    finally:
        pool.shutdown()
    assert [tag for tag, _ in out] == list(range(10))
    here = [tag for tag, pid in out if pid == os.getpid()]
    # worth a worker: 1 2 3 5 6 7 8 9 -> every third of them (3, 7) stays here
    assert here == [0, 3, 4, 7]


def test_ordered_map_bounds_the_window_by_weight_too() -> None:
    """However many tasks may be in flight, no more than max_weight of
    payload is read ahead (a single heavier payload still goes through)."""
    pulled = [0]

    def items() -> Iterator[tuple[int, str]]:
        for i in range(40):
            pulled[0] += 1
            yield i, "x" * (100 if i == 5 else 10)

    pool = worker_pool(2)
    try:
        out = ordered_map(len, items(), pool, inflight=1000, weight=len, max_weight=35)
        assert next(out) == (0, 10)
        assert pulled[0] <= 5                       # 4 x 10 > 35: the 4th waits for the 1st
        rest = list(out)
    finally:
        pool.shutdown()
    assert rest == [(i, 100 if i == 5 else 10) for i in range(1, 40)]


# --------------------------------------------------------------------------
# pandas / pyarrow / polars (optional extras)
# --------------------------------------------------------------------------

def test_repair_series() -> None:
    pd = pytest.importorskip("pandas")
    s = pd.Series([G1, None, "ok", G1, 5], index=[9, 9, 8, 7, 6], name="t", dtype=object)
    out = repair_series(s, jobs=2)
    assert out.tolist() == [R1, None, "ok", R1, 5]
    assert list(out.index) == [9, 9, 8, 7, 6] and out.name == "t" and out.dtype == object
    assert s.tolist()[0] == G1                                   # the input is not changed
    string = pd.Series([G1, pd.NA], dtype="string")
    got = repair_series(string)
    assert got.dtype == string.dtype and got[0] == R1 and got[1] is pd.NA


def test_repair_series_categorical_merges_categories_that_repair_to_one() -> None:
    pd = pytest.importorskip("pandas")
    s = pd.Series([G3, R3, None, G1], dtype="category")
    out = repair_series(s)
    assert out.dtype == "category" and out.tolist()[:2] == [R3, R3] and out.tolist()[3] == R1
    assert repair_series(pd.Series(["a", "b"], dtype="category")).tolist() == ["a", "b"]


def test_repair_arrow() -> None:
    pa = pytest.importorskip("pyarrow")
    arr = pa.array([G1, None, "ok", G1])
    out = repair_arrow(arr)
    assert out.type == arr.type and out.to_pylist() == [R1, None, "ok", R1]
    large = pa.array([G3, None], type=pa.large_string())
    assert repair_arrow(large, jobs=2).type == pa.large_string()
    chunked = pa.chunked_array([[G1], [None, "ok"]])
    assert repair_arrow(chunked).to_pylist() == [R1, None, "ok"]
    assert repair_arrow(arr.dictionary_encode()).to_pylist() == [R1, None, "ok", R1]
    clean = pa.array(["ok", None])
    assert repair_arrow(clean) is clean
    with pytest.raises(TypeError, match="needs strings"):
        repair_arrow(pa.array([1, 2]))


def test_repair_polars() -> None:
    pl = pytest.importorskip("polars")
    pytest.importorskip("pyarrow")
    s = pl.Series("t", [G1, None, "ok"])
    out = repair_polars(s)
    assert out.name == "t" and out.dtype == pl.String and out.to_list() == [R1, None, "ok"]
    cat = repair_polars(pl.Series("c", [G3, None], dtype=pl.Categorical))
    assert cat.dtype == pl.Categorical and cat.to_list() == [R3, None]
    df = pl.DataFrame({"t": [G1, None]})
    assert df.with_columns(pl.col("t").map_batches(repair_polars))["t"].to_list() == [R1, None]
