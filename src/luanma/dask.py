"""luanma on Dask: repair string columns of Dask DataFrames and items of Dask Bags.

Dask does the distribution (``map_partitions``), luanma the repair: each
function here returns a lazy Dask collection.  Within a partition each
distinct string is repaired once; the task graph holds only the options,
and the language model loads lazily, once in each worker process, the first
time a string needs more than the fast path.  Needs the ``dask`` extra
(``pip install 'luanma[dask]'``: dask[dataframe], distributed, pandas).

    from luanma.dask import repair_series, diagnose_series

    ddf["body"] = repair_series(ddf["body"])
    report = diagnose_series(ddf["body"])          # a Dask DataFrame, same index

Every value out of :func:`repair_series`, :func:`repair_columns` and
:func:`repair_bag` is ``luanma.repair(value)`` (missing values pass), and
:func:`diagnose_series` / :func:`diagnose_bag` give ``luanma.diagnose()``
as the fields of ``luanma.spark.DIAGNOSIS_FIELDS``.

A row whose repair raises is never dropped.  By default the computation
fails with :class:`luanma.spark.RowRepairError` naming the row (the ``id``
column's value, or else its index label and partition) and the column;
with ``errors="keep"`` the row keeps its input unchanged and the row id and
error are recorded: on a ``distributed`` cluster as an event under the
topic ``ERROR_TOPIC`` (read them with :func:`row_errors`), and always in the
worker's log.  The diagnose functions never fail a row: their ``error``
field says what went wrong.

This module imports dask, distributed and pandas only inside its functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .repair import Diagnosis
from .columns import (
    DIAGNOSIS_FIELDS,
    RowRepairError,
    check_errors,
    diagnosis_records,
    plain,
    repair_values,
)

if TYPE_CHECKING:  # the optional libraries are never imported at run time here
    import dask.bag
    import dask.dataframe
    import distributed

__all__ = ["ERROR_TOPIC", "RowRepairError", "diagnose_bag", "diagnose_series", "repair_bag",
           "repair_columns", "repair_series", "row_errors"]

#: The distributed event topic under which errors="keep" records rows.
ERROR_TOPIC = "luanma.errors"

_ENGINE = "luanma.dask"

#: pandas dtypes of the diagnosis frame's columns.
_DTYPES = {"repaired": object, "changed": bool, "chains": object, "confidence": "float64",
           "withheld": "int64", "lost": "int64", "damage": object, "error": object}


def _record_on_cluster(column: str) -> Callable[[str, str], None]:
    """record(row id, message) for errors="keep": an event on the scheduler
    when running on a distributed worker (the worker's log has it anyway)."""
    def record(rid: str, message: str) -> None:
        try:
            from distributed import get_worker

            worker = get_worker()
        except (ImportError, ValueError):      # not on a distributed worker
            return
        worker.log_event(ERROR_TOPIC, {"row": rid, "column": column, "error": message})
    return record


def row_errors(client: distributed.Client | None = None) -> dict[str, str]:
    """``{row id: 'Type: message'}`` for the rows that ``errors="keep"``
    kept as they were on this client's cluster (the scheduler keeps the
    last ``distributed.admin.low-level-log-length`` events, 1000 by
    default).  Row ids name the column: ``'body: id=17'``.

    Needs a running ``distributed`` cluster (here, a client of one):

    >>> ddf = repair_columns(ddf, "body", id="doc_id", errors="keep")   # doctest: +SKIP
    >>> ddf.to_parquet("fixed/")                                        # doctest: +SKIP
    >>> row_errors(client)                                              # doctest: +SKIP
    {'body: doc_id=17': 'TypeError: luanma works on str, not bytes; use repair_bytes() for bytes'}
    """
    if client is None:
        from distributed import get_client

        client = get_client()
    out = {}
    for _, event in client.get_events(ERROR_TOPIC):
        out[f"{event['column']}: {event['row']}"] = event["error"]
    return dict(sorted(out.items()))


def _partition_number(partition_info: dict | None) -> Any:
    return partition_info["number"] if partition_info else "?"


# --------------------------------------------------------------------------
# DataFrames
# --------------------------------------------------------------------------

def _out_dtype(dtype: Any) -> Any:
    """The output dtype for an input dtype: the same, except categories
    (repairs may not be among them), which give object."""
    import pandas as pd

    return object if isinstance(dtype, pd.CategoricalDtype) else dtype


def _repair_part(part: Any, column: str, id_values: Any, errors: str, func: Any,
                 number: Any) -> Any:
    import pandas as pd

    if id_values is None:
        index = part.index
        def row_id(i: int) -> str:
            return f"index {plain(index[i])!r} of partition {number}"
    else:
        def row_id(i: int) -> str:
            return f"{id_values.name}={plain(id_values.iloc[i])!r}"
    values = part.astype(object).tolist() if isinstance(part.dtype, pd.CategoricalDtype) \
        else part.tolist()
    out = repair_values(values, row_id, column=column, errors=errors, func=func,
                        record=_record_on_cluster(column) if errors == "keep" else None,
                        engine=_ENGINE)
    return pd.Series(out, index=part.index, name=part.name, dtype=_out_dtype(part.dtype))


def _repair_series_part(part: Any, errors: str, func: Any, partition_info: dict | None = None
                        ) -> Any:
    return _repair_part(part, str(part.name), None, errors, func,
                        _partition_number(partition_info))


def repair_series(series: dask.dataframe.Series, *, errors: str = "raise",
                  func: Callable[[str], str] | None = None) -> dask.dataframe.Series:
    """A lazy Dask Series: ``luanma.repair()`` of each value; missing values
    pass, index, name and dtype are kept (a categorical gives object).

    ``errors="raise"`` (default): a value whose repair raises fails the
    computation with RowRepairError naming its index label and partition;
    ``errors="keep"``: it keeps its value and is recorded (see
    :func:`row_errors`).  ``func``: another str -> str function to apply.

    >>> ddf["body"] = repair_series(ddf["body"])          # doctest: +SKIP
    """
    import pandas as pd

    check_errors(errors)
    meta = pd.Series([], dtype=_out_dtype(series.dtype), name=series.name,
                     index=series._meta.index)
    return series.map_partitions(_repair_series_part, errors, func, meta=meta)


def _repair_frame_part(part: Any, columns: list[str], id: str | None, errors: str,
                       func: Any, partition_info: dict | None = None) -> Any:
    out = part.copy()
    number = _partition_number(partition_info)
    for column in columns:
        out[column] = _repair_part(part[column], column, part[id] if id else None,
                                   errors, func, number)
    return out


def repair_columns(frame: dask.dataframe.DataFrame, columns: str | Iterable[str], *,
                   id: str | None = None, errors: str = "raise",
                   func: Callable[[str], str] | None = None) -> dask.dataframe.DataFrame:
    """A lazy Dask DataFrame with ``columns`` repaired (as :func:`repair_series`
    does), other columns as they are.  ``id``: a column whose value names a
    row in errors (else its index label and partition).

    >>> ddf = repair_columns(ddf, ["title", "body"], id="doc_id")   # doctest: +SKIP

    Runs on Dask's local scheduler too (no cluster needed):

    >>> import pandas as pd, dask.dataframe as dd
    >>> small = dd.from_pandas(pd.DataFrame({"doc_id": [1, 2], "title": ["鍥炬爣", None]}),
    ...                        npartitions=1)
    >>> out = repair_columns(small, "title", id="doc_id").compute()
    >>> out["title"].fillna("(missing)").tolist()
    ['图标', '(missing)']
    """
    check_errors(errors)
    columns = [columns] if isinstance(columns, str) else list(columns)
    missing = [c for c in columns + ([id] if id else []) if c not in frame.columns]
    if missing:
        raise KeyError(f"no such column: {', '.join(map(repr, missing))}")
    meta = frame._meta.copy()
    for column in columns:
        meta[column] = meta[column].astype(_out_dtype(meta[column].dtype))
    return frame.map_partitions(_repair_frame_part, columns, id, errors, func, meta=meta)


def _diagnosis_frame(records: list[dict], index: Any) -> Any:
    import pandas as pd

    nan = float("nan")
    columns = {n: [r[n] for r in records] for n, _ in DIAGNOSIS_FIELDS}
    columns["confidence"] = [nan if c is None else c for c in columns["confidence"]]
    return pd.DataFrame({n: pd.Series(v, index=index, dtype=_DTYPES[n])
                         for n, v in columns.items()}, index=index)


def _diagnose_series_part(part: Any, func: Any) -> Any:
    return _diagnosis_frame(diagnosis_records(part.astype(object).tolist(), func), part.index)


def diagnose_series(series: dask.dataframe.Series, *,
                    func: Callable[[str], Diagnosis] | None = None
                    ) -> dask.dataframe.DataFrame:
    """A lazy Dask DataFrame, same index: ``luanma.diagnose()`` of each
    value as the columns ``repaired, changed, chains, confidence, withheld,
    lost, damage, error`` (see ``luanma.spark.DIAGNOSIS_FIELDS``;
    ``confidence`` is NaN where no span was applied).  Never fails a row:
    ``error`` holds ``'Type: message'`` where diagnose() raised.

    >>> report = diagnose_series(ddf["body"])             # doctest: +SKIP
    >>> report[report.changed | report.error.notnull()]   # doctest: +SKIP
    """
    meta = _diagnosis_frame([], series._meta.index)
    return series.map_partitions(_diagnose_series_part, func, meta=meta)


# --------------------------------------------------------------------------
# Bags
# --------------------------------------------------------------------------

def _repair_bag_part(items: Iterable[Any], numbers: Iterable[int], key: str | None,
                     id: str | None, errors: str, func: Any) -> list:
    items = list(items)
    number = next(iter(numbers), "?")
    if key is None:
        values = items
    else:
        values = [item.get(key) for item in items]
    if id is not None:
        def row_id(i: int) -> str:
            return f"{id}={plain(items[i].get(id))!r}"
    else:
        def row_id(i: int) -> str:
            return f"#{i} of partition {number}"
    column = key if key is not None else "item"
    out = repair_values(values, row_id, column=column, errors=errors, func=func,
                        record=_record_on_cluster(column) if errors == "keep" else None,
                        engine=_ENGINE)
    if key is None:
        return out
    return [item if new is old else {**item, key: new}
            for item, old, new in zip(items, values, out)]


def _numbered(bag: dask.bag.Bag) -> dask.bag.Bag:
    """A bag whose partition i is [i], beside ``bag``'s partitions."""
    import dask.bag as db

    return db.range(bag.npartitions, npartitions=bag.npartitions)


def repair_bag(bag: dask.bag.Bag, *, key: str | None = None, id: str | None = None,
               errors: str = "raise", func: Callable[[str], str] | None = None) -> dask.bag.Bag:
    """A lazy Dask Bag: each string item repaired, or with ``key``, each
    item a dict whose ``key`` field is repaired (a copy where it changes; a
    missing or None field passes).  ``id``: a field naming the item in
    errors (else its position and partition).  ``errors`` and ``func`` as
    for :func:`repair_series`.

    >>> pages = db.read_text("pages-*.jsonl").map(json.loads)       # doctest: +SKIP
    >>> repair_bag(pages, key="body", id="url").map(json.dumps)     # doctest: +SKIP

    On Dask's local scheduler (no cluster needed):

    >>> import dask.bag as db
    >>> repair_bag(db.from_sequence(["Sego 鍥炬爣", "ok"], npartitions=1)).compute()
    ['Sego 图标', 'ok']
    """
    import dask.bag as db

    check_errors(errors)
    if id is not None and key is None:
        raise ValueError("id names a field of dict items: it needs key")
    return db.map_partitions(_repair_bag_part, bag, _numbered(bag), key, id, errors, func)


def _diagnose_bag_part(items: Iterable[Any], key: str | None, func: Any) -> list[dict]:
    items = list(items)
    values = items if key is None else [item.get(key) for item in items]
    return diagnosis_records(values, func)


def diagnose_bag(bag: dask.bag.Bag, *, key: str | None = None,
                 func: Callable[[str], Diagnosis] | None = None) -> dask.bag.Bag:
    """A lazy Dask Bag of dicts, one per item: ``luanma.diagnose()`` of the
    item (or of its ``key`` field) with the keys of
    ``luanma.spark.DIAGNOSIS_FIELDS``.  Never fails an item: ``error`` says
    what went wrong.

    >>> import dask.bag as db
    >>> pages = db.from_sequence([{"url": "a", "body": "Sego 鍥炬爣"},
    ...                           {"url": "b", "body": "图标"}], npartitions=1)
    >>> [(d["repaired"], d["chains"]) for d in diagnose_bag(pages, key="body").compute()]
    [('Sego 图标', ['utf-8 -> gbk']), ('图标', [])]
    """
    return bag.map_partitions(_diagnose_bag_part, key, func)
