"""Repair many strings: lazily, in order, optionally in several processes.

>>> from luanma import repair_many
>>> list(repair_many(["鐢辨湀瑕佸ソ", None, "plain ASCII", "这是正常的中文。"]))
['由月要好', None, 'plain ASCII', '这是正常的中文。']

``repair_many`` is lazy and keeps the input order; with ``jobs=2`` it works
in two processes and still holds only a few chunks in memory at a time, so
it can stream a file of any size:

>>> out = repair_many(iter(["鍥炬爣"] * 3), jobs=2, chunksize=2)
>>> next(out), list(out)
('图标', ['图标', '图标'])

Helpers for data-frame columns import their library only when called (the
``pandas``, ``arrow`` and ``polars`` extras); each repairs every distinct
value once, so repeated values cost nothing extra:

>>> import pandas as pd                                     # doctest: +SKIP
>>> repair_series(pd.Series(["鐢辨湀瑕佸ソ", None])).tolist()  # doctest: +SKIP
['由月要好', None]
"""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, InvalidStateError, ProcessPoolExecutor
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

from .fastpath import maybe_garbled
from .repair import repair

if TYPE_CHECKING:  # the optional libraries are never imported at run time here
    import pandas
    import polars
    import pyarrow

__all__ = ["DEFAULT_CHUNKSIZE", "INFLIGHT_CHARS", "INFLIGHT_PER_WORKER", "chunked", "is_missing", "ordered_map", "repair_arrow",
           "repair_many", "repair_polars", "repair_series", "resolve_jobs", "stop_pool",
           "worker_pool"]

#: Strings per task sent to a worker process.  repair() costs from a few ms
#: to a second per non-ASCII string against well under a millisecond to
#: send a task, so small tasks cost nothing, keep the first results coming
#: soon and keep the few chunks in flight small.
DEFAULT_CHUNKSIZE = 16

#: Tasks in flight per worker.  Output keeps input order, so a slow task
#: (a lossy paragraph can take over 10 s, 1000x a clean one) holds back
#: the ones after it, and a worker with nothing queued behind it sits idle:
#: the window must hold more work than the slowest task.  Simulated on the
#: per-record costs of benchmarks/etl.py's mix (97% clean, 3% garbled,
#: tasks of 16 records), two workers run 1.46x as fast as one with 8 tasks
#: each in flight, 1.91x with 32 and 1.99x with 64 (four workers: 2.05x with
#: 8, 3.95x with 64).  64 tasks of 16 short records is ~1 MB of text;
#: INFLIGHT_CHARS bounds the window when the records are long.
INFLIGHT_PER_WORKER = 64

#: Characters of input in flight at most, over all tasks (0: no bound):
#: with long texts the window is bounded by memory, not by task count.
INFLIGHT_CHARS = 4_000_000

T = TypeVar("T")
P = TypeVar("P")
R = TypeVar("R")


# --------------------------------------------------------------------------
# Worker processes
# --------------------------------------------------------------------------

def _worker_init(parent_pid: int) -> None:
    """Set up a worker: Ctrl-C is the parent's to handle, and an orphaned
    worker (parent killed with SIGKILL) exits instead of waiting forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # a forked worker inherits the parent's handlers: SIGTERM must kill it
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, signal.SIG_DFL)
    threading.Thread(target=_exit_when_orphaned, args=(parent_pid,), daemon=True).start()


def _exit_when_orphaned(parent_pid: int) -> None:
    """Poll the parent's pid; a queue read would block forever once it is gone."""
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(1)


def resolve_jobs(jobs: int) -> int:
    """``jobs`` as a process count: 0 means one per CPU.

    >>> resolve_jobs(3)
    3
    >>> resolve_jobs(0) == (os.cpu_count() or 1)
    True
    """
    if not isinstance(jobs, int) or jobs < 0:
        raise ValueError(f"jobs must be an integer >= 0 (0 = one per CPU), not {jobs!r}")
    return jobs or os.cpu_count() or 1


#: Short real-looking sentences, garbled at warm-up by the chains an ETL job
#: meets most, so that the tables those repairs build exist before a fork.
_WARM_TEXTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("数据库连接失败，请稍后再试。", ("utf-8 -> gbk:win", "gbk -> latin-1")),
    ("資料庫連線失敗，請稍後再試。", ("utf-8 -> big5:win", "big5 -> latin-1")),
    ("ファイルを開けませんでした。", ("utf-8 -> shift_jis:win",
                                     "shift_jis -> latin-1")),
    ("파일을 열 수 없습니다.", ("utf-8 -> cp949:win", "euc-kr -> latin-1")),
)


def prepare_to_fork() -> None:
    """Load, in this process, what every worker would otherwise build for
    itself (the model with all its bigram rows, the word lexicon, the
    candidate indexes and tables of the common chains), then move it all out
    of the cyclic collector's reach (``gc.freeze``), so that workers forked
    from here share those pages instead of each holding a copy.

    Costs one to two seconds of CPU, once; only worth it before starting
    workers on a large input.  Repairs do not change: everything built here
    is what a first repair would build anyway.  ``gc.freeze`` exempts every
    object that exists now from collection, the caller's too, so this is
    for a process luanma owns (the ``luanma`` command); :func:`repair_many`
    does not call it.

    >>> import gc
    >>> prepare_to_fork()
    >>> gc.get_freeze_count() > 0
    True
    >>> gc.unfreeze()      # (this process is the caller's: give its objects back)
    """
    import gc

    from .layers import corrupt
    from .model import get_model

    lm = get_model()
    lm.unpack_bigrams()
    lm.word_logp("数据")            # unpacks the lexicon
    for text, plans in _WARM_TEXTS:
        repair(text)
        for plan in plans:
            repair(corrupt(text, plan).text)
    gc.collect()
    gc.freeze()


def worker_pool(jobs: int) -> ProcessPoolExecutor:
    """A process pool for :func:`ordered_map` whose workers ignore Ctrl-C and
    die with their parent.  Shut it down with :func:`stop_pool`.

    Workers fork from this process at the first task; call
    :func:`prepare_to_fork` before that so they share the model instead of
    each building a copy.  (Loading only the model's arrays in the parent
    saved nothing: each worker then unpacked its own bigram rows and
    tables.  With the rows, lexicon, indexes and tables loaded and frozen
    first, the command on etl.py's 4 MB file with ``--jobs 2`` peaked at
    143 MB PSS for the tree, against 174 MB on the 2 MB file before.)

    >>> from luanma import repair
    >>> pool = worker_pool(1)
    >>> list(ordered_map(repair, [(0, "鍥炬爣"), (1, "ok")], pool))
    [(0, '图标'), (1, 'ok')]
    >>> stop_pool(pool)
    """
    return ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init,
                               initargs=(os.getpid(),))


def stop_pool(pool: ProcessPoolExecutor, *, kill: bool = False) -> None:
    """Shut ``pool`` down; with ``kill``, end running tasks now (Ctrl-C, an
    error) instead of waiting for them to finish.

    >>> pool = worker_pool(1)
    >>> stop_pool(pool, kill=True)
    >>> pool.submit(len, "x")
    Traceback (most recent call last):
      ...
    RuntimeError: cannot schedule new futures after shutdown
    """
    if not kill:
        pool.shutdown(wait=True, cancel_futures=True)
        return
    terminate = getattr(pool, "terminate_workers", None)      # Python >= 3.14
    if terminate is not None:
        terminate()
        return
    # older Pythons have no public way; _processes (pid -> Process) is there
    # since 3.2, and is dropped by shutdown(), so take it first
    procs = list((getattr(pool, "_processes", None) or {}).values())
    _quiet_cancelled_future_bug()
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        proc.terminate()
    # Before 3.12 the pool's manager thread closes its wake-up pipe while
    # the interpreter's exit hook may be writing to it ("OSError: Bad file
    # descriptor ... ignored" on the way out, once in a while after a
    # SIGTERM): let it finish first; with its workers gone it does at once.
    manager = getattr(pool, "_executor_manager_thread", None)
    if manager is not None:
        manager.join(timeout=5)


def _quiet_cancelled_future_bug() -> None:
    """Before Python 3.12 the pool's manager thread, finding its workers
    gone, fails on futures that were already cancelled (InvalidStateError,
    fixed in 3.12) and prints a traceback on the way out.  Nothing is
    wrong, so that one error is not printed; any other still is."""
    if sys.version_info >= (3, 12) or getattr(threading.excepthook, "_luanma", False):
        return
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if not (args.exc_type is InvalidStateError and "CANCELLED" in str(args.exc_value)):
            previous(args)

    hook._luanma = True  # type: ignore[attr-defined]
    threading.excepthook = hook


def ordered_map(func: Callable[[P], R], items: Iterable[tuple[T, P]],
                pool: ProcessPoolExecutor | None, *, inflight: int = 0,
                run_here: Callable[[P], bool] | None = None,
                weight: Callable[[P], int] | None = None,
                max_weight: int = INFLIGHT_CHARS,
                here_every: int = 0) -> Iterator[tuple[T, R]]:
    """Yield ``(tag, func(payload))`` for each ``(tag, payload)``, in input order.

    Without a pool everything runs here, one item at a time.  With one, at
    most ``inflight`` payloads (default: INFLIGHT_PER_WORKER per worker),
    and payloads of at most ``max_weight`` in all by ``weight`` (e.g. their
    characters; one payload is always let through), are queued, running or
    done but not yet yielded at once: unlike ``Pool.imap``, which reads its
    whole input ahead, memory stays flat however long ``items`` is.  Tags
    stay in this process, so they may be large or unpicklable.  Payloads for
    which ``run_here`` is true are cheap: they run here, not worth a round trip.

    ``here_every=n``: this process works as one more worker, running every
    n-th of the other payloads itself (for ``n`` processes in all with a
    pool of ``n - 1``), when it would otherwise wait for a result: each
    worker process holds its own copy of the model and caches (~70 MB), so
    one process fewer keeps the tree's memory down.  It counts as a worker
    in the default ``inflight``.

    >>> list(ordered_map(len, [("a", "xy"), ("b", "")], None))
    [('a', 2), ('b', 0)]
    """
    if pool is None:
        for tag, payload in items:
            yield tag, func(payload)
        return
    workers = getattr(pool, "_max_workers", None) or os.cpu_count() or 1
    limit = inflight or INFLIGHT_PER_WORKER * (workers + (here_every > 0))
    pending: deque[tuple[T, Future[R], int]] = deque()
    # this process's turns (here_every), not run yet: run when it would
    # otherwise wait for a worker's result, so that the workers' queues are
    # full first and a slow payload here does not leave them idle
    mine: deque[tuple[Future[R], P]] = deque()
    held = 0
    sent = 0        # payloads that were worth a worker so far

    def result(fut: Future[R]) -> R:
        while not fut.done() and mine:
            # the oldest of this process's turns: ``fut`` itself if it is one
            own, payload = mine.popleft()
            own.set_result(func(payload))
        return fut.result()

    try:
        for tag, payload in items:
            fut: Future[R]
            if run_here is not None and run_here(payload):
                fut = Future()
                fut.set_result(func(payload))
            else:
                sent += 1
                if here_every > 0 and sent % here_every == 0:
                    # (the pool's turns come first: its workers start at once)
                    fut = Future()
                    mine.append((fut, payload))
                else:
                    fut = pool.submit(func, payload)
            w = weight(payload) if weight is not None else 0
            pending.append((tag, fut, w))
            held += w
            while pending and (len(pending) >= limit or (max_weight and held > max_weight)):
                done_tag, fut, w = pending.popleft()
                held -= w
                yield done_tag, result(fut)
        while pending:
            done_tag, fut, _ = pending.popleft()
            yield done_tag, result(fut)
    finally:
        # the consumer stopped early (an error, a closed pipe): drop the rest
        for _, fut, _ in pending:
            fut.cancel()


def chunked(iterable: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of ``size`` items (the last may be shorter).

    >>> list(chunked("abcde", 2))
    [['a', 'b'], ['c', 'd'], ['e']]
    """
    it = iter(iterable)
    while chunk := list(islice(it, size)):
        yield chunk


# --------------------------------------------------------------------------
# repair_many
# --------------------------------------------------------------------------

def is_missing(value: object) -> bool:
    """None, float NaN, pandas' NA/NaT: values that are passed through.

    >>> is_missing(None), is_missing(float("nan")), is_missing(""), is_missing(0)
    (True, True, False, False)
    """
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    # pandas.NA / pandas.NaT without importing pandas
    return type(value).__name__ in ("NAType", "NaTType")


def _repair_value(value: Any) -> Any:
    """repair() for one value of a column: strings only, missing ones pass."""
    if isinstance(value, str):
        return repair(value)
    if is_missing(value):
        return value
    raise TypeError(f"repair_many() needs strings (or None/NaN), not {type(value).__name__}"
                    + ("; use repair_bytes() for bytes" if isinstance(value, bytes) else ""))


def _repair_list(values: list[str]) -> list[str]:
    """Worker task: repair a chunk of strings."""
    return [repair(v) for v in values]


def _split_chunk(chunk: list[Any]) -> tuple[list[Any], list[int], list[str]]:
    """Resolve what needs no worker here, and list what does.

    repair() answers at once what its fast path proves clean, and missing
    values pass through, so only the rest is worth a trip to another
    process.  Returns the chunk's output so far, the indexes still to fill,
    and their inputs.
    """
    out: list[Any] = list(chunk)
    todo: list[int] = []
    for i, value in enumerate(chunk):
        if isinstance(value, str) and maybe_garbled(value):
            todo.append(i)
        else:
            out[i] = _repair_value(value)
    return out, todo, [chunk[i] for i in todo]


def repair_many(texts: Iterable[Any], *, jobs: int = 1,
                chunksize: int = DEFAULT_CHUNKSIZE) -> Iterator[Any]:
    """Repair each string of ``texts``; yield results lazily, in order.

    None, NaN and pandas' NA pass through unchanged; other non-strings raise
    TypeError.  ``jobs`` > 1 repairs in that many processes (0 = one per
    CPU), sending ``chunksize`` strings per task with a bounded number of
    tasks in flight, so memory stays flat on endless input.  ASCII strings
    and missing values never leave this process.

    >>> list(repair_many(["Sego 鍥炬爣", float("nan")]))
    ['Sego 图标', nan]
    >>> list(repair_many([b"bytes"]))
    Traceback (most recent call last):
      ...
    TypeError: repair_many() needs strings (or None/NaN), not bytes; use repair_bytes() for bytes
    """
    # check arguments now, not at the first next() of a generator
    jobs = resolve_jobs(jobs)
    if not isinstance(chunksize, int) or chunksize < 1:
        raise ValueError(f"chunksize must be a positive integer, not {chunksize!r}")
    if jobs == 1:
        return (_repair_value(v) for v in texts)
    return _repair_parallel(texts, jobs, chunksize)


def _repair_parallel(texts: Iterable[Any], jobs: int, chunksize: int) -> Iterator[Any]:
    """repair_many() with a pool; the pool lives as long as the generator."""
    pool = worker_pool(jobs)
    finished = False
    try:
        tasks = ((split[:2], split[2]) for split in map(_split_chunk, chunked(texts, chunksize)))
        for (out, todo), fixed in ordered_map(_repair_list, tasks, pool,
                                              run_here=_is_empty, weight=_chars):
            for i, value in zip(todo, fixed):
                out[i] = value
            yield from out
        finished = True
    finally:
        # a consumer that stops early must not wait for chunks it dropped
        stop_pool(pool, kill=not finished)


def _chars(values: list[str]) -> int:
    """A chunk's weight in the window: its characters."""
    return sum(map(len, values))


def _is_empty(values: list[str]) -> bool:
    """A chunk that was all ASCII or missing values: no trip to a worker."""
    return not values


# --------------------------------------------------------------------------
# Data-frame columns (optional libraries, imported when called)
# --------------------------------------------------------------------------

def _repair_distinct(values: list[Any], jobs: int, chunksize: int) -> dict[str, str]:
    """{value: repaired} for the strings among ``values`` that change."""
    strings = [v for v in values if isinstance(v, str)]
    fixed = list(repair_many(strings, jobs=jobs, chunksize=chunksize))
    return {v: r for v, r in zip(strings, fixed) if r != v}


def repair_series(series: pandas.Series, *, jobs: int = 1,
                  chunksize: int = DEFAULT_CHUNKSIZE) -> pandas.Series:
    """A repaired copy of a pandas Series (needs the ``pandas`` extra).

    Each distinct string is repaired once.  Index, name and dtype are kept
    (object, ``string``, ``str`` or ``category``); values that are not
    strings (None, NaN, NA, numbers in an object column) are left as they are.

    >>> import pandas as pd                                              # doctest: +SKIP
    >>> s = pd.Series(["鐢辨湀瑕佸ソ", None, "鐢辨湀瑕佸ソ"], index=[7, 8, 9])  # doctest: +SKIP
    >>> repair_series(s, jobs=2)                                         # doctest: +SKIP
    7    由月要好
    8        None
    9    由月要好
    dtype: object
    """
    import pandas as pd

    if not isinstance(series, pd.Series):
        raise TypeError(f"repair_series() needs a pandas Series, not {type(series).__name__}")
    if isinstance(series.dtype, pd.CategoricalDtype):
        return _repair_categorical(series, jobs, chunksize)
    changes = _repair_distinct(list(pd.unique(series)), jobs, chunksize)
    out = series.copy()
    if changes:
        # assign only the values that change: the rest keep their exact
        # objects, including which kind of missing value they are
        mask = series.isin(list(changes)).to_numpy()
        # positional assignment: labels may repeat, so nothing is aligned
        out[mask] = series[mask].map(changes).to_numpy()
    return out


def _repair_categorical(series: pandas.Series, jobs: int, chunksize: int) -> pandas.Series:
    """Repair a categorical Series through its categories."""
    cats = list(series.cat.categories)
    changes = _repair_distinct(cats, jobs, chunksize)
    if not changes:
        return series.copy()
    renamed = [changes.get(c, c) for c in cats]
    if len(set(renamed)) == len(renamed):
        return series.cat.rename_categories(renamed)
    # two categories repair to the same text: merge them
    return series.astype(object).map(lambda v: changes.get(v, v)).astype("category")


def repair_arrow(array: pyarrow.Array | pyarrow.ChunkedArray, *, jobs: int = 1,
                 chunksize: int = DEFAULT_CHUNKSIZE) -> pyarrow.Array | pyarrow.ChunkedArray:
    """A repaired copy of a pyarrow string array (needs the ``arrow`` extra).

    Takes ``string``, ``large_string``, ``string_view`` or a dictionary of
    strings, plain or chunked, and returns the same type; nulls stay null.
    Each chunk's distinct values are repaired once.  An array in which
    nothing changes comes back as the same object.

    >>> import pyarrow as pa                                          # doctest: +SKIP
    >>> repair_arrow(pa.array(["鐢辨湀瑕佸ソ", None])).to_pylist()       # doctest: +SKIP
    ['由月要好', None]
    """
    import pyarrow as pa

    if isinstance(array, pa.ChunkedArray):
        chunks = [_repair_arrow_chunk(c, jobs, chunksize) for c in array.chunks]
        if all(new is old for new, old in zip(chunks, array.chunks)):
            return array
        return pa.chunked_array(chunks, type=array.type)
    if not isinstance(array, pa.Array):
        raise TypeError(f"repair_arrow() needs a pyarrow Array or ChunkedArray, "
                        f"not {type(array).__name__}")
    return _repair_arrow_chunk(array, jobs, chunksize)


def _repair_arrow_chunk(chunk: pyarrow.Array, jobs: int, chunksize: int) -> pyarrow.Array:
    """Repair one pyarrow array through its dictionary of distinct values."""
    import pyarrow as pa

    t = chunk.type
    if pa.types.is_dictionary(t):
        new_dict = _repair_arrow_chunk(chunk.dictionary, jobs, chunksize)
        if new_dict is chunk.dictionary:
            return chunk
        return pa.DictionaryArray.from_arrays(chunk.indices, new_dict)
    is_view = getattr(pa.types, "is_string_view", lambda _t: False)(t)
    if not (pa.types.is_string(t) or pa.types.is_large_string(t) or is_view):
        raise TypeError(f"repair_arrow() needs strings, not {t}")
    # dictionary_encode has no string_view kernel everywhere: go via large_string
    plain = chunk.cast(pa.large_string()) if is_view else chunk
    encoded = plain.dictionary_encode()
    distinct = encoded.dictionary.to_pylist()
    changes = _repair_distinct(distinct, jobs, chunksize)
    if not changes:
        return chunk
    fixed = pa.array([changes.get(v, v) for v in distinct], type=plain.type)
    out = fixed.take(encoded.indices)        # a null index gives a null
    return out.cast(t) if is_view else out


def repair_polars(series: polars.Series, *, jobs: int = 1,
                  chunksize: int = DEFAULT_CHUNKSIZE) -> polars.Series:
    """A repaired copy of a Polars String or Categorical Series (needs the
    ``polars`` extra, which brings pyarrow).  Works as a ``map_batches``
    function on a column:

    >>> import polars as pl                                               # doctest: +SKIP
    >>> df = pl.DataFrame({"t": ["鐢辨湀瑕佸ソ", None]})                     # doctest: +SKIP
    >>> df.with_columns(pl.col("t").map_batches(repair_polars))["t"].to_list()  # doctest: +SKIP
    ['由月要好', None]
    """
    import polars as pl

    if not isinstance(series, pl.Series):
        raise TypeError(f"repair_polars() needs a polars Series, not {type(series).__name__}")
    dtype = series.dtype
    if isinstance(dtype, pl.Enum):
        target: Any = pl.String     # an Enum's values are fixed: repairs may not fit
    elif dtype == pl.String or isinstance(dtype, pl.Categorical):
        target = dtype
    else:
        raise TypeError(f"repair_polars() needs a String or Categorical Series, not {dtype}")
    plain = series.cast(pl.String)
    fixed = repair_arrow(plain.to_arrow(), jobs=jobs, chunksize=chunksize)
    return pl.Series(series.name, fixed).cast(target)
