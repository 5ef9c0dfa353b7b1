"""Column repair shared by the engines (:mod:`luanma.spark`, :mod:`luanma.dask`).

One batch of a column's values in, repaired values or diagnosis records out,
each distinct string repaired once; a value whose repair raises is never
dropped (``errors="raise"`` names its row, ``"keep"`` keeps it as it was and
records why).  Nothing here imports an engine: each engine module only says
how its batches reach these functions and how rows are named.

>>> repair_values(["鐢辨湀瑕佸ソ", None, "ok"], str, column="body")
['由月要好', None, 'ok']
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from .batch import is_missing
from .errors import LuanmaError
from .repair import Diagnosis, diagnose, repair

__all__ = ["DIAGNOSIS_FIELDS", "ERRORS", "RowRepairError", "check_errors", "describe",
           "diagnosis_record", "diagnosis_records", "plain", "repair_values"]

_log = logging.getLogger("luanma.engines")

#: What to do with a row whose repair raises: fail the job naming the row,
#: or keep the row's input unchanged and record the row and the error.
ERRORS = ("raise", "keep")

#: The fields of the diagnosis struct, as (name, Spark SQL type).
DIAGNOSIS_FIELDS = (
    ("repaired", "string"),          # repair(value): the input where error is set
    ("changed", "boolean"),          # repaired != input
    ("chains", "array<string>"),     # the layer of each applied span, e.g. 'utf-8 -> gbk:win'
    ("confidence", "double"),        # lowest odds among applied spans; null if none
    ("withheld", "int"),             # suspect spans left alone (odds too low)
    ("lost", "int"),                 # characters left as U+FFFD inside applied spans
    ("damage", "array<string>"),     # kinds of damage that cannot be undone ('kunkaokao', ...)
    ("error", "string"),             # 'TypeError: ...' if diagnose() raised; else null
)


class RowRepairError(LuanmaError):
    """repair() raised on one row; the message names the row and the column.

    >>> try:
    ...     repair_values([b"x"], lambda i: f"#{i}", column="body")
    ... except RowRepairError as exc:
    ...     print(exc)
    luanma: repair failed on row #0 (column 'body'): TypeError: luanma works on str, not bytes; use repair_bytes() for bytes
    """


def check_errors(errors: str) -> str:
    """``errors`` if it is one of ERRORS; else a ValueError that lists them.

    >>> check_errors("keep")
    'keep'
    """
    if errors not in ERRORS:
        raise ValueError(f"errors must be one of {', '.join(map(repr, ERRORS))}, not {errors!r}")
    return errors


def describe(exc: BaseException) -> str:
    """``'Type: message'``, as a row's error is reported.

    >>> describe(TypeError("no"))
    'TypeError: no'
    """
    return f"{type(exc).__name__}: {exc}"


def plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (for messages).

    >>> plain(3), plain("x")
    (3, 'x')
    """
    item = getattr(value, "item", None)
    return item() if callable(item) and not isinstance(value, (str, bytes)) else value


def _repair_one(value: Any, func: Callable[[str], str]) -> Any:
    if is_missing(value):
        return value
    return func(value)      # repair() raises TypeError on a non-string


def repair_values(values: Iterable[Any], row_id: Callable[[int], str], *, column: str,
                  errors: str = "raise", func: Callable[[str], str] | None = None,
                  record: Callable[[str, str], None] | None = None,
                  engine: str = "luanma") -> list:
    """``func`` (default :func:`luanma.repair`) on each value, each distinct
    string once; missing values pass.  A value that raises: with
    ``errors="raise"``, RowRepairError naming ``row_id(i)``; with ``"keep"``,
    the value itself, and ``record(row_id(i), 'Type: message')``.

    >>> repair_values(["鍥炬爣", None, "鍥炬爣"], str, column="title")
    ['图标', None, '图标']
    >>> kept = {}
    >>> repair_values(["鍥炬爣", b"x"], lambda i: f"#{i}", column="title",
    ...               errors="keep", record=kept.__setitem__)
    ['图标', b'x']
    >>> kept
    {'#1': 'TypeError: luanma works on str, not bytes; use repair_bytes() for bytes'}
    """
    func = func or repair
    cache: dict[str, Any] = {}
    out = []
    for i, value in enumerate(values):
        if type(value) is str and value in cache:
            out.append(cache[value])
            continue
        try:
            fixed = _repair_one(value, func)
        except Exception as exc:
            rid = row_id(i)
            if errors == "raise":
                raise RowRepairError(f"{engine}: repair failed on row {rid} "
                                     f"(column {column!r}): {describe(exc)}") from exc
            message = describe(exc)
            _log.warning("%s: row %s (column %r) kept as it was: %s", engine, rid, column, message)
            if record is not None:
                record(rid, message)
            fixed = value
        else:
            if type(value) is str:
                cache[value] = fixed
        out.append(fixed)
    return out


def diagnosis_record(value: Any, func: Callable[[str], Diagnosis] | None = None) -> dict:
    """``diagnose(value)`` as a flat dict with the keys of DIAGNOSIS_FIELDS.

    >>> r = diagnosis_record("鐢辨湀瑕佸ソ")
    >>> r["repaired"], r["changed"], r["chains"], r["error"]
    ('由月要好', True, ['utf-8 -> gbk'], None)
    >>> diagnosis_record(None)["repaired"] is None, diagnosis_record(b"x")["error"]
    (True, 'TypeError: luanma works on str, not bytes; use repair_bytes() for bytes')
    """
    if is_missing(value):
        return {"repaired": None, "changed": False, "chains": [], "confidence": None,
                "withheld": 0, "lost": 0, "damage": [], "error": None}
    try:
        d = (func or diagnose)(value)
    except Exception as exc:  # noqa: BLE001 - the row carries its error
        return {"repaired": value, "changed": False, "chains": [], "confidence": None,
                "withheld": 0, "lost": 0, "damage": [], "error": describe(exc)}
    fixes = d.spans
    return {"repaired": d.repaired, "changed": d.changed,
            "chains": [f.layer for f in fixes],
            "confidence": min(f.confidence for f in fixes) if fixes else None,
            "withheld": len(d.withheld), "lost": sum(len(f.lost) for f in fixes),
            "damage": [x.kind for x in d.damage], "error": None}


def diagnosis_records(values: Iterable[Any],
                      func: Callable[[str], Diagnosis] | None = None) -> list[dict]:
    """:func:`diagnosis_record` for each value, each distinct string once.

    >>> [(r["repaired"], r["chains"]) for r in diagnosis_records(["鍥炬爣", None, "ok"])]
    [('图标', ['utf-8 -> gbk']), (None, []), ('ok', [])]
    """
    cache: dict[str, dict] = {}
    out = []
    for value in values:
        if type(value) is str:
            if value not in cache:
                cache[value] = diagnosis_record(value, func)
            out.append(cache[value])
        else:
            out.append(diagnosis_record(value, func))
    return out
