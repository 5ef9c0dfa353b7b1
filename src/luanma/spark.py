"""luanma on Apache Spark: repair a string column as a vectorised pandas UDF.

Spark does the distribution, luanma the repair: each function here returns
a Column to use in ``withColumn`` / ``select``.  Rows reach Python in Arrow
batches (a pandas UDF over an iterator of batches); within a batch each
distinct string is repaired once.  The closure shipped to the executors
holds only the options (a few hundred bytes); the language model loads
lazily, in each Python worker process, the first time a string needs more
than the fast path, and stays loaded while Spark reuses the worker
(``spark.python.worker.reuse``, on by default).  Needs the ``spark`` extra
(``pip install 'luanma[spark]'``: pyspark, pandas, pyarrow).

    from luanma.spark import repair_col, diagnose_col

    df = df.withColumn("body", repair_col("body", id="doc_id"))
    report = df.select("doc_id", diagnose_col("body").alias("d"))

Every output row of :func:`repair_col` is ``luanma.repair(value)`` (nulls
stay null), and :func:`diagnose_col` gives ``luanma.diagnose(value)`` as a
struct (``DIAGNOSIS_SCHEMA``).

A row whose repair raises is never dropped.  :func:`repair_col` by default
fails the job with :class:`RowRepairError`, whose message names the row
(the ``id`` column's value, or else its partition and position) and the
column; with ``errors="keep"`` it returns that row's input unchanged and
records the row id and error (in a :class:`RowErrors` accumulator, if one is
given, and in the executor's log).  :func:`diagnose_col` never fails a row:
its struct's ``error`` field says what went wrong.

This module imports pyspark and pandas only inside its functions; the
engine-neutral helpers live in :mod:`luanma.columns`, shared with :mod:`luanma.dask`.
"""

# (no "from __future__ import annotations": pyspark reads the UDFs' type
# hints at run time to choose the kind of pandas UDF)

from collections.abc import Callable, Iterator
from typing import Any, Tuple  # noqa: UP035 - PySpark 3.5 knows a UDF's Tuple[...] hint, not tuple[...]

from .batch import is_missing
from .columns import (  # noqa: F401 - the engine-neutral names, also offered here
    DIAGNOSIS_FIELDS,
    ERRORS,
    RowRepairError,
    check_errors,
    describe,
    diagnosis_record,
    diagnosis_records,
    plain,
    repair_values,
)
from .repair import Diagnosis

__all__ = ["DIAGNOSIS_FIELDS", "DIAGNOSIS_SCHEMA", "ERRORS", "RowErrors", "RowRepairError",
           "diagnose_col", "diagnosis_record", "repair_col"]

#: The struct's type as a Spark DDL string.
DIAGNOSIS_SCHEMA = "struct<" + ", ".join(f"{n}: {t}" for n, t in DIAGNOSIS_FIELDS) + ">"


# --------------------------------------------------------------------------
# Spark
# --------------------------------------------------------------------------

class _FirstErrors:
    """AccumulatorParam for RowErrors: {row id: error}, at most ``limit`` rows
    (the same row seen twice, when Spark runs a task again, counts once)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def zero(self, value: dict) -> dict:
        return {}

    def addInPlace(self, a: dict, b: dict) -> dict:
        for key, message in b.items():
            if len(a) >= self.limit and key not in a:
                a.setdefault("...", "more rows failed than the limit")
                break
            a[key] = message
        return a


class RowErrors:
    """The rows that ``repair_col(..., errors="keep", log=...)`` kept as they
    were, and why: a Spark accumulator, read on the driver after an action.

    ``errors`` is ``{row id: 'Type: message'}`` (row id: ``'doc_id=17'`` or
    ``'#120 of partition 3'``), at most ``limit`` rows.  Spark adds
    accumulator updates from transformations again if it runs a task again,
    hence a dict keyed by row.  (Spark Connect has no accumulators.)

    Needs a running SparkSession (``spark``):

    >>> log = RowErrors(spark)                                              # doctest: +SKIP
    >>> fixed = df.withColumn("body", repair_col("body", id="doc_id", errors="keep", log=log))  # doctest: +SKIP
    >>> fixed.write.parquet("fixed/")                                       # doctest: +SKIP
    >>> log.errors                                                          # doctest: +SKIP
    {'doc_id=17': 'TypeError: luanma works on str, not bytes; use repair_bytes() for bytes'}
    """

    def __init__(self, spark: Any, limit: int = 1000) -> None:
        sc = getattr(spark, "sparkContext", spark)
        self.accumulator = sc.accumulator({}, _FirstErrors(limit))

    @property
    def errors(self) -> dict[str, str]:
        return dict(sorted(self.accumulator.value.items()))

    def __len__(self) -> int:
        return len(self.accumulator.value)

    def __repr__(self) -> str:
        return f"RowErrors({self.errors!r})"


def _column(col: Any) -> tuple[Any, str]:
    """(Column, name for messages) from a column name or Column."""
    from pyspark.sql import Column
    from pyspark.sql import functions as F

    if isinstance(col, str):
        return F.col(col), col
    if isinstance(col, Column):
        return col, str(col)
    raise TypeError(f"need a column name or Column, not {type(col).__name__}")


def _spark_row_ids(ids: Any, offset: int, id_name: str | None) -> Callable[[int], str]:
    """Row ids for messages: the id column's value, or partition and position."""
    if ids is not None:
        return lambda i: f"{id_name}={plain(ids.iloc[i])!r}"
    from pyspark import TaskContext

    ctx = TaskContext.get()
    part = ctx.partitionId() if ctx is not None else "?"
    return lambda i: f"#{offset + i} of partition {part}"


def _spark_repair_batches(batches: Iterator[tuple[Any, Any]], column: str, id_name: str | None,
                          errors: str, accumulator: Any, func: Any) -> Iterator[Any]:
    """The pandas UDF's body: one Arrow batch (a pandas Series) at a time."""
    import pandas as pd

    record = None
    if accumulator is not None:
        def record(rid: str, message: str) -> None:
            accumulator.add({rid: message})
    offset = 0
    for values, ids in batches:
        row_id = _spark_row_ids(ids, offset, id_name)
        out = repair_values(values.tolist(), row_id, column=column, errors=errors, func=func,
                            record=record, engine="luanma.spark")
        offset += len(out)
        yield pd.Series([None if is_missing(v) else v for v in out], dtype=object)


def repair_col(col: Any, *, id: str | None = None, errors: str = "raise",
               log: RowErrors | None = None,
               func: Callable[[str], str] | None = None) -> Any:
    """A Column: ``luanma.repair()`` of each value of string column ``col``
    (a name or a Column); nulls stay null.

    ``id``: a column whose value names a row in error messages (else its
    partition and position within the partition).  ``errors="raise"``
    (default): a row whose repair raises fails the job with RowRepairError
    naming the row; ``errors="keep"``: that row keeps its input, and the row
    id and error go to the executor's log and to ``log`` (a RowErrors) if
    given.  ``func``: another str -> str function to apply instead of
    repair() (it is pickled to the executors: a module-level function or a
    small closure).

    >>> df.withColumn("body", repair_col("body", id="doc_id"))   # doctest: +SKIP
    """
    check_errors(errors)
    from pyspark.sql.functions import pandas_udf

    if log is not None and not isinstance(log, RowErrors):
        raise TypeError(f"log must be a luanma.spark.RowErrors, not {type(log).__name__}")
    column, name = _column(col)
    accumulator = log.accumulator if log is not None else None
    udf = _repair_udf(name, id, errors, accumulator, func)
    if id is None:
        return pandas_udf(udf, "string")(column)
    return pandas_udf(udf, "string")(column, _column(id)[0])


def _repair_udf(name: str, id_name: str | None, errors: str, accumulator: Any,
                func: Any) -> Callable:
    """The UDF function, with the type hints pyspark reads.  What it closes
    over is all that is shipped: a few strings, the accumulator's handle and
    ``func``; the functions it calls are pickled by reference."""
    import pandas as pd

    if id_name is None:
        def repair_batches(batches: Iterator[pd.Series]) -> Iterator[pd.Series]:
            return _spark_repair_batches(((b, None) for b in batches), name, None,
                                         errors, accumulator, func)
    else:
        def repair_batches(batches: Iterator[Tuple[pd.Series, pd.Series]],  # noqa: UP006
                           ) -> Iterator[pd.Series]:
            return _spark_repair_batches(batches, name, id_name, errors, accumulator, func)
    return repair_batches


def _spark_diagnose_batches(batches: Iterator[Any], func: Any) -> Iterator[Any]:
    import pandas as pd

    names = [n for n, _ in DIAGNOSIS_FIELDS]
    for values in batches:
        records = diagnosis_records(values.tolist(), func)
        yield pd.DataFrame({n: pd.Series([r[n] for r in records], dtype=object) for n in names})


def diagnose_col(col: Any, *, func: Callable[[str], Diagnosis] | None = None) -> Any:
    """A struct Column (DIAGNOSIS_SCHEMA): ``luanma.diagnose()`` of each
    value of string column ``col``, for data-quality reports.  Never fails
    a row: ``error`` holds ``'Type: message'`` where diagnose() raised (and
    ``repaired`` the input).  A null value gives ``repaired`` null,
    ``changed`` false.  ``func``: another str -> Diagnosis function.

    >>> df.select("doc_id", diagnose_col("body").alias("d")).where("d.changed")  # doctest: +SKIP
    """
    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    column, _ = _column(col)

    def diagnose_batches(batches: Iterator[pd.Series]) -> Iterator[pd.DataFrame]:
        return _spark_diagnose_batches(batches, func)

    return pandas_udf(diagnose_batches, DIAGNOSIS_SCHEMA)(column)

