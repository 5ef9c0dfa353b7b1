"""Engines benchmark: rows/s of luanma on Spark local[2] and a Dask
LocalCluster (2 worker processes) against in-process ``repair_many`` (one
process, and ``jobs=2``), all on the same records.

    python benchmarks/engines.py                         # 200,000 rows (slow: see below)
    python benchmarks/engines.py --rows 20000            # a quick run
    python benchmarks/engines.py --rows 20000 --engines inprocess spark
    python benchmarks/engines.py --rows 20000 --markdown docs/generated/engines.md

The records are built reproducibly (same --rows, --mix and --seed, same
records) from the corpus, as benchmarks/etl.py builds its file: mostly clean
records, as in a real crawl, plus whole records and spans of 4-20
characters garbled by lossless and lossy (Windows ANSI) plans; the default
mix (--mix) is etl.py's, 97% clean.  Each record ends with its row number
(" #123"), so no two are equal and no engine gains from repeats.  They are
written to Parquet (--partitions files, one partition each) in a temporary
folder, which Spark and Dask read; the in-process runs take the same
strings from a Python list.  Every engine runs a copy of src/luanma taken
at the start (checked in its workers), so edits to the tree during a run
do not mix versions.

Each engine's time runs from its first row read to its last result in the
driver (the outputs are collected and compared with the in-process ones:
any difference is printed and makes the exit status 1).  Spark's and Dask's
start-up (JVM, cluster) is timed apart and not in rows/s.  The 1-minute load
average is sampled every second during each run: the machine may be shared,
and on 2 cores another job's load halves what is measured.

Cost is luanma's: a clean row takes ~0.1 ms, a garbled one milliseconds,
a whole paragraph read by a lossy Windows decoder up to seconds; at the
default mix, most of the time goes to the 0.5% whole-lossy rows.
"""

from __future__ import annotations

import argparse
import functools
import atexit
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _snapshot() -> Path:
    """A copy of src/luanma taken now, which this process and every engine's
    workers import (through PYTHONPATH, ahead of the installed luanma): the
    tree may be edited during a long run, and a run must not mix versions."""
    dst = Path(tempfile.mkdtemp(prefix="luanma-src-"))
    shutil.copytree(ROOT / "src" / "luanma", dst / "luanma",
                    ignore=shutil.ignore_patterns("__pycache__"))
    atexit.register(shutil.rmtree, dst, ignore_errors=True)
    return dst


# (Dask's spawned workers import this module again: they reuse the parent's copy)
SRC = Path(os.environ["LUANMA_SRC"]) if os.environ.get("LUANMA_SRC") else _snapshot()
os.environ["LUANMA_SRC"] = str(SRC)
sys.path.insert(0, str(SRC))
if str(SRC) not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(SRC)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))

from luanma import repair_many  # noqa: E402

# the record mix, its plans and its parser are etl.py's (one definition)
from etl import KINDS, MIX, PLANS, load_corpus, make_variant, parse_mix  # noqa: E402,F401

ENGINES = ("inprocess", "inprocess2", "spark", "dask")


# --------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------

def build(rows: int, mix: dict[str, float], seed: int) -> tuple[list[str], Counter]:
    """``rows`` distinct texts in the mix, and the count of each kind."""
    rng = random.Random(seed)
    corpus = load_corpus()
    kinds = [k for k in KINDS if mix[k] > 0]
    weights = [mix[k] for k in kinds]
    cache: dict[tuple[str, int], str | None] = {}
    texts, counts = [], Counter()
    for n in range(rows):
        kind = rng.choices(kinds, weights)[0]
        while True:
            i = rng.randrange(len(corpus))
            if (kind, i) not in cache:
                got = make_variant(corpus[i], kind, rng)
                cache[(kind, i)] = got[0] if got is not None else None
            if cache[(kind, i)] is not None:
                break
        texts.append(f"{cache[(kind, i)]} #{n}")
        counts[kind] += 1
    return texts, counts


def write_parquet(texts: list[str], folder: Path, parts: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    step = -(-len(texts) // parts)
    for p in range(parts):
        lo, hi = p * step, min(len(texts), (p + 1) * step)
        table = pa.table({"id": pa.array(range(lo, hi), pa.int64()),
                          "text": pa.array(texts[lo:hi], pa.string())})
        pq.write_table(table, folder / f"part-{p:04d}.parquet")


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------

class LoadSampler:
    """The 1-minute load average, every second, while running."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(os.getloadavg()[0])
            self._stop.wait(1.0)

    def __enter__(self) -> LoadSampler:  # noqa: PYI034
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def mean_max(self) -> tuple[float, float]:
        s = self.samples or [os.getloadavg()[0]]
        return statistics.mean(s), max(s)

    def summary(self) -> str:
        s = self.samples or [os.getloadavg()[0]]
        return f"load {statistics.mean(s):.2f} mean, {max(s):.2f} max"


def run_inprocess(texts: list[str], jobs: int) -> list[str]:
    return list(repair_many(texts, jobs=jobs))


def start_spark(batch: int):
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").appName("luanma-engines-bench")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(batch))
             # one partition per Parquet file (Spark packs small files together)
             .config("spark.sql.files.openCostInBytes", str(1 << 40))
             .config("spark.driver.memory", "2g")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark, spark.stop


def spark_luanma_file(spark) -> str:
    """Where a Spark Python worker imports luanma from."""
    return spark.sparkContext.parallelize([0], 1).map(
        lambda _: __import__("luanma").__file__).collect()[0]


def run_spark(spark, folder: Path) -> list[str]:
    from luanma.spark import repair_col

    df = spark.read.parquet(str(folder))
    assert df.rdd.getNumPartitions() == len(list(folder.glob("*.parquet")))
    rows = df.select("id", repair_col("text", id="id").alias("t")).collect()
    out: list[str] = [""] * len(rows)
    for r in rows:
        out[r["id"]] = r["t"]
    return out


def start_dask():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)

    def stop() -> None:
        client.close()
        cluster.close()
    return client, stop


def run_dask(client, folder: Path) -> list[str]:
    import dask.dataframe as dd

    from luanma.dask import repair_series

    df = dd.read_parquet(str(folder))
    got = df.assign(t=repair_series(df["text"]))[["id", "t"]].compute()
    out: list[str] = [""] * len(got)
    for i, t in zip(got["id"], got["t"]):
        out[i] = t
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--mix", default=MIX)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES),
                    help="inprocess = repair_many(jobs=1); inprocess2 = repair_many(jobs=2)")
    ap.add_argument("--partitions", type=int, default=8, help="Parquet files (partitions)")
    ap.add_argument("--batch", type=int, default=10_000,
                    help="spark.sql.execution.arrow.maxRecordsPerBatch")
    ap.add_argument("--markdown", metavar="PATH",
                    help="also write the table as Markdown (e.g. docs/generated/engines.md)")
    args = ap.parse_args(argv)
    table: list[list[str]] = []

    print(f"# {args.rows} rows, mix {args.mix}, seed {args.seed}; "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    t = time.perf_counter()
    texts, counts = build(args.rows, parse_mix(args.mix), args.seed)
    print(f"# built in {time.perf_counter() - t:.1f} s: "
          + ", ".join(f"{k} {counts[k]}" for k in KINDS if counts[k]))
    folder = Path(tempfile.mkdtemp(prefix="luanma-engines-"))
    reference: list[str] | None = None
    failed = False
    try:
        write_parquet(texts, folder, args.partitions)
        print(f"{'engine':28} {'rows/s':>9} {'seconds':>9} {'start-up s':>10}  load (1 min)")
        for engine in args.engines:
            stop = None
            startup = 0.0
            try:
                if engine == "spark":
                    t = time.perf_counter()
                    spark, stop = start_spark(args.batch)
                    startup = time.perf_counter() - t
                    files = {spark_luanma_file(spark)}
                    run = functools.partial(run_spark, spark, folder)
                    label = f"spark local[2] ({args.partitions} parts)"
                elif engine == "dask":
                    t = time.perf_counter()
                    client, stop = start_dask()
                    startup = time.perf_counter() - t
                    files = set(client.run(lambda: __import__("luanma").__file__).values())
                    run = functools.partial(run_dask, client, folder)
                    label = f"dask 2 workers ({args.partitions} parts)"
                else:
                    files = {sys.modules["luanma"].__file__}
                    jobs = 2 if engine == "inprocess2" else 1
                    run = functools.partial(run_inprocess, texts, jobs)
                    label = f"in-process repair_many jobs={jobs}"
                if files != {str(SRC / "luanma" / "__init__.py")}:
                    raise SystemExit(f"{engine} imports luanma from {files}, not the snapshot {SRC}")
                with LoadSampler() as load:
                    t = time.perf_counter()
                    out = run()
                    seconds = time.perf_counter() - t
            finally:
                if stop is not None:
                    stop()
            print(f"{label:28} {len(texts) / seconds:9.0f} {seconds:9.1f} {startup:10.1f}  "
                  f"{load.summary()}", flush=True)
            mean, peak = load.mean_max()
            table.append([label, f"{len(texts) / seconds:.0f}", f"{seconds:.1f}",
                          f"{startup:.1f}" if engine in ("spark", "dask") else "-",
                          f"{mean:.2f}", f"{peak:.2f}"])
            if reference is None:
                reference = out
            else:
                diff = [i for i, (a, b) in enumerate(zip(out, reference)) if a != b]
                if diff or len(out) != len(reference):
                    failed = True
                    print(f"  !! {len(diff)} rows differ from the first engine's, e.g. rows {diff[:5]}")
                    table[-1][0] += f" (**{len(diff)} rows differ**)"
            if args.markdown:
                write_markdown(args.markdown, args, counts, table, None, argv)
        changed = sum(1 for a, b in zip(reference or [], texts) if a != b)
        print(f"# {changed} rows changed; every engine gave the same output"
              + ("" if not failed else " EXCEPT those marked !!"))
        if args.markdown:
            write_markdown(args.markdown, args, counts, table, (changed, failed), argv)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if failed else 0


def write_markdown(path: str, args: argparse.Namespace, counts: Counter,
                   table: list[list[str]], end: tuple[int, bool] | None,
                   argv: list[str] | None) -> None:
    """The table so far under the command that made it (benchmarks/docout.py);
    written after each engine, so a run stopped early leaves its rows."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import docout

    kinds = ", ".join(f"{k} {counts[k]:,}" for k in KINDS if counts[k])
    head = (f"{args.rows:,} rows ({kinds}; mix `{args.mix}`, seed {args.seed}), "
            f"{args.partitions} partitions; "
            f"{os.cpu_count()} CPUs.\n\n")
    body = head + docout.table(["engine", "rows/s", "seconds", "start-up s", "load (mean)",
                                "load (max)"], table, right={1, 2, 3, 4, 5})
    if end is None:
        body += "\n\nRun in progress (or stopped): engines still to come are missing."
    else:
        changed, failed = end
        body += (f"\n\nRows changed by the repair: {changed:,}; "
                 + ("every engine gave the same output as the first."
                    if not failed else "some engines' outputs **differ** (marked above)."))
    docout.write(path, body, None if argv is None else [sys.argv[0], *argv], quiet=end is None)


if __name__ == "__main__":
    raise SystemExit(main())
