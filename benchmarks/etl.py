"""ETL benchmark: the luanma command on a large JSON Lines file.

Builds a JSON Lines file of about ``--mb`` MB from the corpus records
(corpus/*.jsonl), a share of them garbled with luanma.corrupt, then runs
``luanma --jsonl --field text --jobs N`` on it as a subprocess for each N
and prints throughput and peak memory:

    python benchmarks/etl.py --mb 200                  # the full run (slow)
    python benchmarks/etl.py --mb 5 --jobs 1 2         # a quick check
    python benchmarks/etl.py --mb 200 --time-limit 600 # stop each run after 10 min

The runs use a copy of src/luanma taken at the start, so edits to the
working tree during a long benchmark do not mix two versions.  Memory is
sampled from /proc every 0.2 s over the whole process tree (the
command and its worker processes): the summed RSS, the summed PSS (shared
pages split between the processes that share them, i.e. what the tree
really costs) and the largest single RSS.  A run stopped by --time-limit
reports the rate over what it did.  The exit status is 1 if a run's peak
PSS went over --max-mb (default 200).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from luanma import corrupt  # noqa: E402

CORPUS = ROOT / "corpus"
LANGS = ("zh-Hans", "zh-Hant", "ja", "ko", "mixed")
#: How garbled records are garbled: the common real-world mix-ups.
PLANS = {
    "zh-Hans": ("utf-8 -> gbk:win", "gbk -> latin-1", "utf-8 -> gbk"),
    "zh-Hant": ("utf-8 -> gbk:win", "big5 -> latin-1", "utf-8 -> big5:win"),
    "ja": ("utf-8 -> shift_jis:win", "shift_jis -> latin-1", "utf-8 -> gbk:win"),
    "ko": ("utf-8 -> cp949:win", "euc_kr -> latin-1", "utf-8 -> gbk:win"),
    "mixed": ("utf-8 -> gbk:win", "gbk -> latin-1"),
}


# --------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------

def load_corpus() -> list[dict]:
    """All corpus records, in file order."""
    records = []
    for lang in LANGS:
        with (CORPUS / f"{lang}.jsonl").open(encoding="utf-8") as fh:
            records.extend(json.loads(line) for line in fh if line.strip())
    return records


def garbled_variants(records: list[dict], rng: random.Random) -> list[str | None]:
    """One garbled version per record (None where the chosen plan cannot
    garble that text, e.g. a strict decoder meeting an odd byte count)."""
    out: list[str | None] = []
    for rec in records:
        plan = rng.choice(PLANS.get(rec["lang"], PLANS["mixed"]))
        try:
            out.append(corrupt(rec["text"], plan).text)
        except Exception:  # noqa: BLE001 - any refusal means: keep this one clean
            out.append(None)
    return out


def build_input(path: Path, mb: float, garbled_share: float, seed: int) -> tuple[int, int, int]:
    """Write about ``mb`` MB of records; returns (bytes, records, garbled records).

    Records repeat the corpus (it is ~2.5 MB) in a shuffled order, each
    with its own ``n`` so no two lines are equal.
    """
    rng = random.Random(seed)
    records = load_corpus()
    garbled = garbled_variants(records, rng)
    target, size, n, bad = int(mb * 1_000_000), 0, 0, 0
    order = list(range(len(records)))
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        while size < target:
            rng.shuffle(order)
            for i in order:
                rec = records[i]
                text = rec["text"]
                if garbled[i] is not None and rng.random() < garbled_share:
                    text, bad = garbled[i], bad + 1
                line = json.dumps({"id": rec["id"], "n": n, "lang": rec["lang"], "text": text},
                                  ensure_ascii=False) + "\n"
                fh.write(line)
                size += len(line.encode("utf-8"))
                n += 1
                if size >= target:
                    break
    return size, n, bad


# --------------------------------------------------------------------------
# Memory of a process tree, from /proc
# --------------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (scans /proc: works without psutil)."""
    kids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                kids.append(int(entry.name))
    return kids


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(_children(p))
    return out


def _kb(path: str, key: str) -> int:
    """A ``Key:  N kB`` value from a /proc status-like file (0 if absent)."""
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Peak:
    """Largest memory seen while sampling, in KB."""

    rss_sum: int = 0
    pss_sum: int = 0
    rss_max: int = 0
    processes: int = 0


class MemorySampler(threading.Thread):
    """Sample a process tree's memory every ``interval`` seconds until stopped."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = Peak()
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.sample()
            self.stopped.wait(self.interval)

    def sample(self) -> None:
        pids = _tree(self.pid)
        rss = [_kb(f"/proc/{p}/status", "VmRSS") for p in pids]
        # PSS needs Linux >= 4.14 (smaps_rollup); RSS stands in without it
        pss = [_kb(f"/proc/{p}/smaps_rollup", "Pss") or r for p, r in zip(pids, rss)]
        pk = self.peak
        pk.rss_sum = max(pk.rss_sum, sum(rss))
        pk.pss_sum = max(pk.pss_sum, sum(pss))
        pk.rss_max = max(pk.rss_max, max(rss, default=0))
        pk.processes = max(pk.processes, len(rss))


# --------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------

@dataclass
class Result:
    """One run of the command."""

    jobs: int
    seconds: float
    out_bytes: int
    records: int
    complete: bool
    returncode: int | None
    digest: str
    peak: Peak


def snapshot_source(workdir: Path) -> Path:
    """Copy src/luanma (code and model) into ``workdir``: every run then
    uses the same code even if the working tree changes meanwhile."""
    dest = workdir / "src"
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(ROOT / "src" / "luanma", dest / "luanma",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def run_cli(path: Path, jobs: int, time_limit: float | None, src: Path) -> Result:
    """Run the command on ``path``, reading its output as it comes."""
    cmd = [sys.executable, "-m", "luanma", "--jsonl", "--field", "text", "--jobs", str(jobs),
           str(path)]
    env = dict(os.environ, PYTHONPATH=str(src) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env, start_new_session=True)
    sampler = MemorySampler(proc.pid)
    sampler.start()
    digest, out_bytes, records, stopped = hashlib.sha256(), 0, 0, False
    assert proc.stdout is not None
    timer = None
    if time_limit:
        def stop() -> None:
            nonlocal stopped
            stopped = True
            os.killpg(proc.pid, signal.SIGTERM)
        timer = threading.Timer(time_limit, stop)
        timer.start()
    while chunk := proc.stdout.read(1 << 20):
        digest.update(chunk)
        out_bytes += len(chunk)
        records += chunk.count(b"\n")
    proc.wait()
    seconds = time.monotonic() - start
    if timer is not None:
        timer.cancel()
    sampler.stopped.set()
    sampler.join()
    return Result(jobs, seconds, out_bytes, records, not stopped and proc.returncode == 0,
                  proc.returncode, digest.hexdigest()[:12], sampler.peak)


def print_table(results: list[Result], in_bytes: int, in_records: int) -> None:
    """The results as a plain-text table."""
    head = ("jobs", "done", "MB", "records", "s", "MB/s", "records/s",
            "peak PSS MB", "peak RSS sum MB", "max proc RSS MB", "procs", "output sha256")
    rows = []
    for r in results:
        done_bytes = in_bytes if r.complete else r.out_bytes
        rows.append((
            str(r.jobs), "yes" if r.complete else f"stopped (rc {r.returncode})",
            f"{done_bytes / 1e6:.2f}", str(r.records), f"{r.seconds:.1f}",
            f"{done_bytes / 1e6 / r.seconds:.4f}", f"{r.records / r.seconds:.1f}",
            f"{r.peak.pss_sum / 1024:.1f}", f"{r.peak.rss_sum / 1024:.1f}",
            f"{r.peak.rss_max / 1024:.1f}", str(r.peak.processes), r.digest))
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    print(" | ".join(h.ljust(w) for h, w in zip(head, widths)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths)))
    print(f"\ninput: {in_bytes / 1e6:.2f} MB, {in_records} records; largest single process "
          f"over all runs (getrusage RUSAGE_CHILDREN ru_maxrss): "
          f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.1f} MB")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mb", type=float, default=200.0, help="input size in MB (default 200)")
    p.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="--jobs values to run")
    p.add_argument("--garbled", type=float, default=0.1,
                   help="share of records garbled (default 0.1)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--time-limit", type=float, default=None, metavar="S",
                   help="stop each run after S seconds and report what it did")
    p.add_argument("--max-mb", type=float, default=200.0,
                   help="fail if a run's peak PSS exceeds this (default 200)")
    p.add_argument("--workdir", type=Path, default=None,
                   help="where to write the input (default: a temp dir, removed after)")
    args = p.parse_args(argv)

    tmp = None
    if args.workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="luanma-etl-")
        args.workdir = Path(tmp.name)
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = args.workdir / f"etl-{args.mb:g}mb.jsonl"
    try:
        src = snapshot_source(args.workdir)
        t = time.monotonic()
        in_bytes, in_records, bad = build_input(path, args.mb, args.garbled, args.seed)
        print(f"built {path} ({in_bytes / 1e6:.1f} MB, {in_records} records, {bad} garbled) "
              f"in {time.monotonic() - t:.1f} s", flush=True)
        results = []
        for jobs in args.jobs:
            r = run_cli(path, jobs, args.time_limit, src)
            results.append(r)
            print(f"  --jobs {jobs}: {r.seconds:.1f} s, {r.records} records, "
                  f"peak PSS {r.peak.pss_sum / 1024:.1f} MB", flush=True)
        print()
        print_table(results, in_bytes, in_records)
    finally:
        if tmp is not None:
            tmp.cleanup()
    complete = [r for r in results if r.complete]
    if len({r.digest for r in complete}) > 1:
        print("FAIL: complete runs produced different output")
        return 1
    over = [r for r in results if r.peak.pss_sum / 1024 > args.max_mb]
    if over:
        print(f"FAIL: peak PSS over {args.max_mb:g} MB for --jobs "
              f"{', '.join(str(r.jobs) for r in over)}")
        return 1
    print(f"peak memory under {args.max_mb:g} MB: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
