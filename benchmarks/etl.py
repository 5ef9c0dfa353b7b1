"""ETL benchmark: the luanma command on a large JSON Lines file.

Builds (reproducibly: same --mb, --mix and --seed, same bytes) a JSON Lines
file of about ``--mb`` MB from the corpus records (corpus/*.jsonl) with a
stated mix of clean and garbled records, then runs the real command

    python -m luanma --jsonl --field text --jobs N FILE > pipe

as a subprocess for each N, and prints wall time, CPU time, MB/s,
records/s and peak memory, plus the cost of each kind of record:

    python benchmarks/etl.py --mb 200                     # the full run (slow)
    python benchmarks/etl.py --mb 10 --jobs 1 2           # a quick check
    python benchmarks/etl.py --mb 200 --time-limit 3000   # stop each run after 50 min

The mix (``--mix``, shares of records; default below in MIX) is mostly
clean records, as in a real ETL job, plus:

* ``whole-lossless``: the whole text garbled by a lossless plan (UTF-8 read
  as GBK / Shift_JIS / CP949 by a strict decoder, GBK / Big5 / Shift_JIS /
  EUC-KR bytes read as Latin-1, UTF-8 read as Windows-1252);
* ``whole-lossy``: the whole text garbled by a Windows ANSI code page
  reading UTF-8 (``utf-8 -> gbk:win``, ``big5:win``, ``shift_jis:win``,
  ``cp949:win``: invalid pairs become ``?``, bytes are lost);
* ``span-lossless`` / ``span-lossy``: the same plans applied to a piece of
  4-20 characters (at least two of them non-ASCII) inside otherwise clean
  text.

Each record's plan is drawn from its language's list (PLANS) in a seeded
order; a record that a plan cannot garble the right way (a strict decoder
meeting an odd byte, a "lossy" plan that happens to lose nothing) tries the
next plan, then the next record.  The build prints the count of every
(kind, plan).

Per-kind cost: the exact per-record work of the command
(``luanma.records._process`` on the line, one process) is timed on the
first ``--kind-sample`` records of each kind in the file, in a separate
process, after a warm-up; from it comes the predicted one-process time of
the whole file, to set against the measured run.

The runs use a copy of src/luanma taken at the start, so edits to the
working tree during a long benchmark do not mix two versions.  Memory:
every 0.2 s the sampler reads /proc for the command and all its
descendants (the worker processes): the summed RSS and the summed PSS
(shared pages split between the processes that share them, i.e. what the
tree really costs) at that instant, and each process's VmHWM (the kernel's
own peak RSS for it, exact, not sampled).  Reported: the main process's
peak RSS, the sum of the workers' peak RSS, and the largest sampled RSS
and PSS of the whole tree at one instant.  The load average (1 min) is
sampled too: the machine may be shared.  A run stopped by --time-limit
reports the rate over what it did.  The exit status is 1 if a run's peak
tree PSS went over --max-mb (default 200).

Why PSS and not the summed RSS: with ``--jobs`` > 1 the command loads the
model and its tables before the worker forks (``batch.prepare_to_fork``),
and the worker shares those pages.  Summed RSS counts each shared page once
per process that maps it, so it states more memory than the machine gives
the job; PSS splits each shared page between its sharers and sums to what
the tree occupies (what a cgroup memory limit is charged, up to page-cache
effects).  Both are printed; with one process they are nearly equal.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import os
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# LUANMA_SRC: the per-kind timing process imports the snapshot, not the tree
sys.path.insert(0, os.environ.get("LUANMA_SRC") or str(ROOT / "src"))

from luanma import corrupt  # noqa: E402

CORPUS = ROOT / "corpus"
LANGS = ("zh-Hans", "zh-Hant", "ja", "ko", "mixed")
KINDS = ("clean", "whole-lossless", "whole-lossy", "span-lossless", "span-lossy")
#: Default shares of records: 97% clean, 3% garbled.
MIX = "clean=0.97,whole-lossless=0.01,whole-lossy=0.005,span-lossless=0.01,span-lossy=0.005"
#: Plans per language, as real software garbles that language's text.
PLANS = {
    "lossless": {
        "zh-Hans": ("utf-8 -> gbk", "gbk -> latin-1", "utf-8 -> cp1252:c1"),
        "zh-Hant": ("utf-8 -> gbk", "big5 -> latin-1", "utf-8 -> cp1252:c1"),
        "ja": ("utf-8 -> shift_jis", "shift_jis -> latin-1", "utf-8 -> cp1252:c1"),
        "ko": ("utf-8 -> cp949", "euc_kr -> latin-1", "utf-8 -> cp1252:c1"),
        "mixed": ("utf-8 -> gbk", "gbk -> latin-1", "utf-8 -> cp1252:c1"),
    },
    "lossy": {
        "zh-Hans": ("utf-8 -> gbk:win",),
        "zh-Hant": ("utf-8 -> big5:win",),
        "ja": ("utf-8 -> shift_jis:win",),
        "ko": ("utf-8 -> cp949:win",),
        "mixed": ("utf-8 -> gbk:win",),
    },
}


# --------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------

def parse_mix(spec: str) -> dict[str, float]:
    """``"clean=0.97,whole-lossy=0.03"`` -> shares that sum to 1."""
    mix = dict.fromkeys(KINDS, 0.0)
    for part in spec.split(","):
        kind, _, share = part.partition("=")
        if kind.strip() not in mix:
            raise SystemExit(f"--mix: unknown kind {kind!r} (kinds: {', '.join(KINDS)})")
        mix[kind.strip()] = float(share)
    total = sum(mix.values())
    if total <= 0 or any(v < 0 for v in mix.values()):
        raise SystemExit("--mix: shares must be >= 0 and not all 0")
    return {k: v / total for k, v in mix.items()}


def load_corpus() -> list[dict]:
    """All corpus records, in file order."""
    records = []
    for lang in LANGS:
        with (CORPUS / f"{lang}.jsonl").open(encoding="utf-8") as fh:
            records.extend(json.loads(line) for line in fh if line.strip())
    return records


def _garble(text: str, plans: tuple[str, ...], lossy: bool, rng: random.Random
            ) -> tuple[str, str] | None:
    """(garbled text, plan) by the first plan, in a seeded order, that
    changes ``text`` and is lossy exactly when asked; None if none does."""
    for plan in rng.sample(plans, len(plans)):
        try:
            c = corrupt(text, plan)
        except Exception:  # noqa: BLE001 - a refusal: this text cannot take that plan
            continue
        if c.text != text and c.lossy == lossy:
            return c.text, plan
    return None


def _garble_span(text: str, plans: tuple[str, ...], lossy: bool, rng: random.Random
                 ) -> tuple[str, str] | None:
    """A piece of 4-20 characters (>= 2 non-ASCII) garbled inside ``text``."""
    for _ in range(4):
        if len(text) < 12:
            return None
        a = rng.randrange(0, len(text) - 8)
        b = min(len(text), a + rng.randint(4, 20))
        piece = text[a:b]
        if sum(not c.isascii() for c in piece) < 2:
            continue
        got = _garble(piece, plans, lossy, rng)
        if got is not None:
            return text[:a] + got[0] + text[b:], got[1]
    return None


def make_variant(rec: dict, kind: str, rng: random.Random) -> tuple[str, str] | None:
    """(text, plan) of ``rec`` as a record of ``kind`` (None if it cannot be one)."""
    if kind == "clean":
        return rec["text"], "-"
    where, _, loss = kind.partition("-")
    plans = PLANS[loss][rec["lang"]]
    if where == "whole":
        return _garble(rec["text"], plans, loss == "lossy", rng)
    return _garble_span(rec["text"], plans, loss == "lossy", rng)


@dataclass
class Built:
    """What build_input wrote."""

    nbytes: int = 0
    records: int = 0
    sha256: str = ""
    per_kind: Counter = field(default_factory=Counter)          # records per kind
    per_plan: Counter = field(default_factory=Counter)          # (kind, plan) -> records
    samples: dict[str, list[str]] = field(default_factory=dict)  # kind -> first lines


def build_input(path: Path, mb: float, mix: dict[str, float], seed: int,
                sample: int, clean_sample: int) -> Built:
    """Write about ``mb`` MB of records in the mix; keep the first lines of each kind.

    Records cycle through the corpus (~2.5 MB) in a shuffled order per
    kind; each line gets its own ``n``, so no two lines are equal.  Every
    choice comes from one seeded generator: the same arguments give the
    same file.
    """
    rng = random.Random(seed)
    corpus = load_corpus()
    kinds = [k for k in KINDS if mix[k] > 0]
    cumulative = []
    acc = 0.0
    for k in kinds:
        acc += mix[k]
        cumulative.append(acc)
    orders = {k: [] for k in kinds}
    cache: dict[tuple[str, int], tuple[str, str] | None] = {}
    out = Built(samples={k: [] for k in kinds})
    target = int(mb * 1_000_000)
    digest = hashlib.sha256()

    def next_variant(kind: str) -> tuple[dict, str, str]:
        misses = 0
        while True:
            if not orders[kind]:
                orders[kind] = rng.sample(range(len(corpus)), len(corpus))
            i = orders[kind].pop()
            if (kind, i) not in cache:      # the same record garbles the same way each cycle
                cache[(kind, i)] = make_variant(corpus[i], kind, rng)
            got = cache[(kind, i)]
            if got is not None:
                return corpus[i], got[0], got[1]
            misses += 1
            if misses > 10 * len(corpus):
                raise SystemExit(f"no corpus record can be made a {kind} record")

    with path.open("wb") as fh:
        while out.nbytes < target:
            kind = kinds[min(bisect.bisect(cumulative, rng.random()), len(kinds) - 1)]
            rec, text, plan = next_variant(kind)
            line = (json.dumps({"id": rec["id"], "n": out.records, "lang": rec["lang"],
                                "text": text}, ensure_ascii=False) + "\n").encode("utf-8")
            fh.write(line)
            digest.update(line)
            out.nbytes += len(line)
            out.records += 1
            out.per_kind[kind] += 1
            out.per_plan[(kind, plan)] += 1
            keep = clean_sample if kind == "clean" else sample
            if len(out.samples[kind]) < keep:
                out.samples[kind].append(line.decode("utf-8"))
    out.sha256 = digest.hexdigest()
    return out


# --------------------------------------------------------------------------
# Per-kind cost (runs in its own process, on the snapshot)
# --------------------------------------------------------------------------

def _rss_kb() -> int:
    return _kb("/proc/self/status", "VmRSS")


def time_kinds(samples_path: Path) -> dict:
    """Time the command's per-record work on each kind's sample lines."""
    from luanma.records import Mode, Unit, _process

    samples = json.loads(samples_path.read_text(encoding="utf-8"))
    mode = Mode("jsonl", fields=(("text",),))
    rss = {"imported": _rss_kb()}
    t = time.perf_counter()
    _process(mode, Unit(1, '{"text": "鍥炬爣 这是正常的中文。"}\n', 0))   # loads the model
    warm = time.perf_counter() - t
    rss["warm"] = _rss_kb()
    out: dict = {"warmup_s": warm, "kinds": {}, "rss_kb": rss}
    for kind, lines in samples.items():
        times, cpu, changed = [], [], 0
        for i, line in enumerate(lines, 1):
            t, c = time.perf_counter(), time.process_time()
            o = _process(mode, Unit(i, line, 0))
            cpu.append(time.process_time() - c)
            times.append(time.perf_counter() - t)
            changed += o.text != line
            if o.error:
                raise SystemExit(f"{kind} sample {i}: {o.error}")
        out["kinds"][kind] = {"n": len(times), "seconds": times, "cpu": cpu, "changed": changed}
        rss[f"after {kind}"] = _rss_kb()
    return out


def run_time_kinds(samples: dict[str, list[str]], src: Path, workdir: Path) -> dict:
    """time_kinds() in a child process that imports the snapshot."""
    sp = workdir / "samples.json"
    sp.write_text(json.dumps(samples, ensure_ascii=False), encoding="utf-8")
    res = workdir / "kinds.json"
    env = dict(os.environ, LUANMA_SRC=str(src))
    subprocess.run([sys.executable, __file__, "--time-kinds", str(sp), str(res)],
                   env=env, check=True)
    return json.loads(res.read_text(encoding="utf-8"))


def print_kinds(kinds: dict, built: Built) -> float:
    """The per-kind table; returns the predicted one-process CPU seconds
    for the whole file (per-kind mean CPU time x records of that kind)."""
    head = ("kind", "share %", "records", "sample", "changed", "mean ms", "CPU ms",
            "p50 ms", "p99 ms", "max ms", "records/s (CPU)", "predicted CPU s", "time %")
    stats, total = {}, 0.0
    for kind, k in kinds["kinds"].items():
        cpu = statistics.fmean(k["cpu"])
        stats[kind] = (sorted(k["seconds"]), cpu, cpu * built.per_kind[kind], k)
        total += cpu * built.per_kind[kind]
    rows = []
    for kind, (ts, cpu, predicted, k) in stats.items():
        n = len(ts)
        rows.append((kind, f"{100 * built.per_kind[kind] / built.records:.2f}",
                     str(built.per_kind[kind]), str(n), str(k["changed"]),
                     f"{1000 * statistics.fmean(ts):.2f}", f"{1000 * cpu:.2f}",
                     f"{1000 * ts[n // 2]:.2f}", f"{1000 * ts[min(n - 1, int(n * 0.99))]:.1f}",
                     f"{1000 * ts[-1]:.0f}", f"{1 / cpu:.1f}" if cpu else "-",
                     f"{predicted:.0f}", f"{100 * predicted / total:.1f}"))
    _table(head, rows)
    print("(mean/p50/p99/max: wall time per record; CPU ms: process CPU time, which "
          "the machine's other load disturbs less)")
    print(f"predicted one-process CPU time for the file: {total:.0f} s "
          f"({built.records / total:.0f} records/s, {built.nbytes / 1e6 / total:.3f} MB/s), "
          f"plus {kinds['warmup_s']:.2f} s model load")
    print("RSS of the timing process (MB): "
          + ", ".join(f"{k} {v / 1024:.0f}" for k, v in kinds["rss_kb"].items()))
    return total


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


def _loadavg() -> float:
    return os.getloadavg()[0]


@dataclass
class Peak:
    """Largest memory seen while sampling, in KB, and the load seen."""

    main_pid: int = 0
    rss_sum: int = 0                                    # tree RSS at one instant
    pss_sum: int = 0                                    # tree PSS at one instant
    hwm: dict[int, int] = field(default_factory=dict)   # pid -> VmHWM
    #: pid -> (first seen, last seen, ns on a CPU, ns waiting for a CPU)
    sched: dict[int, tuple[float, float, int, int]] = field(default_factory=dict)
    processes: int = 0
    load: list[float] = field(default_factory=list)

    @property
    def workers_hwm(self) -> int:
        return sum(self.hwm.values()) - self.main_hwm

    @property
    def main_hwm(self) -> int:
        return self.hwm.get(self.main_pid, 0)


class MemorySampler(threading.Thread):
    """Sample a process tree's memory every ``interval`` seconds until stopped."""

    def __init__(self, pid: int, interval: float = 0.2,
                 progress: Callable[[], int] = lambda: 0) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.progress = pid, interval, progress
        self.peak = Peak(main_pid=pid)
        self.stopped = threading.Event()
        self.ticks = 0
        self.start_time = time.monotonic()
        #: (seconds, records written, tree RSS KB, main RSS KB), every ~5 s
        self.timeline: list[tuple[float, int, int, int]] = []

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
        now = time.monotonic()
        for p in pids:
            hwm = _kb(f"/proc/{p}/status", "VmHWM")
            if hwm:
                pk.hwm[p] = max(pk.hwm.get(p, 0), hwm)
            try:
                with open(f"/proc/{p}/schedstat") as fh:
                    run_ns, wait_ns = map(int, fh.read().split()[:2])
            except (OSError, ValueError):
                continue
            first = pk.sched.get(p, (now, 0.0, 0, 0))[0]
            pk.sched[p] = (first, now, run_ns, wait_ns)
        pk.rss_sum = max(pk.rss_sum, sum(rss))
        pk.pss_sum = max(pk.pss_sum, sum(pss))
        pk.processes = max(pk.processes, len(rss))
        self.ticks += 1
        if self.ticks % 25 == 1:              # every ~5 s
            pk.load.append(_loadavg())
            self.timeline.append((time.monotonic() - self.start_time, self.progress(),
                                  sum(rss), rss[0] if rss else 0))


# --------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------

@dataclass
class Result:
    """One run of the command."""

    jobs: int
    seconds: float
    cpu_seconds: float
    out_bytes: int
    records: int
    complete: bool
    returncode: int | None
    digest: str
    peak: Peak
    load_start: float
    load_end: float
    timeline: list[tuple[float, int, int, int]]


def snapshot_source(workdir: Path) -> Path:
    """Copy src/luanma (code and model) into ``workdir``: every run then
    uses the same code even if the working tree changes meanwhile."""
    dest = workdir / "src"
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(ROOT / "src" / "luanma", dest / "luanma",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def command(path: Path, jobs: int) -> list[str]:
    return [sys.executable, "-m", "luanma", "--jsonl", "--field", "text", "--jobs", str(jobs),
            str(path)]


def run_cli(path: Path, jobs: int, time_limit: float | None, src: Path) -> Result:
    """Run the command on ``path``, reading its output as it comes."""
    env = dict(os.environ, PYTHONPATH=str(src) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    load_start = _loadavg()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.Popen(command(path, jobs), stdout=subprocess.PIPE, env=env,
                            start_new_session=True)
    digest, out_bytes, records, stopped = hashlib.sha256(), 0, 0, False
    sampler = MemorySampler(proc.pid, progress=lambda: records)
    sampler.start()
    assert proc.stdout is not None
    timer = None
    if time_limit:
        def stop() -> None:
            nonlocal stopped
            stopped = True
            os.killpg(proc.pid, signal.SIGTERM)
        timer = threading.Timer(time_limit, stop)
        timer.start()
    while chunk := proc.stdout.read1(1 << 20):      # what is there: progress counts
        digest.update(chunk)
        out_bytes += len(chunk)
        records += chunk.count(b"\n")
    proc.wait()
    seconds = time.monotonic() - start
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if timer is not None:
        timer.cancel()
    sampler.stopped.set()
    sampler.join()
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return Result(jobs, seconds, cpu, out_bytes, records, not stopped and proc.returncode == 0,
                  proc.returncode, digest.hexdigest()[:12], sampler.peak, load_start,
                  _loadavg(), sampler.timeline)


def _table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    print(" | ".join(h.ljust(w) for h, w in zip(head, widths)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths)))


def print_runs(results: list[Result], built: Built) -> None:
    """The runs as a plain-text table."""
    head = ("jobs", "done", "MB", "records", "wall s", "CPU s", "MB/s", "records/s",
            "load 1m start/mean/end", "main peak RSS MB", "workers peak RSS sum MB",
            "tree RSS MB", "tree PSS MB", "procs", "output sha256")
    rows = []
    for r in results:
        done_bytes = built.nbytes if r.complete else r.out_bytes
        load = r.peak.load or [r.load_start]
        rows.append((
            str(r.jobs), "yes" if r.complete else f"stopped (rc {r.returncode})",
            f"{done_bytes / 1e6:.2f}", str(r.records), f"{r.seconds:.1f}",
            f"{r.cpu_seconds:.1f}",
            f"{done_bytes / 1e6 / r.seconds:.4f}", f"{r.records / r.seconds:.1f}",
            f"{r.load_start:.2f}/{statistics.fmean(load):.2f}/{r.load_end:.2f}",
            f"{r.peak.main_hwm / 1024:.1f}", f"{r.peak.workers_hwm / 1024:.1f}",
            f"{r.peak.rss_sum / 1024:.1f}", f"{r.peak.pss_sum / 1024:.1f}",
            str(r.peak.processes), r.digest))
    _table(head, rows)
    print("\nmain/workers peak RSS: each process's VmHWM (exact); tree RSS/PSS: the "
          "largest sum over the tree at one 0.2 s sample")
    print("time of each process (from /proc/PID/schedstat, over the time it was seen): "
          "on a CPU / waiting for a CPU the machine's other load held / idle (sleeping: "
          "for input, for output, or a worker with no task)")
    for r in results:
        for pid, (first, last, run_ns, wait_ns) in r.peak.sched.items():
            life = max(last - first, 1e-9)
            who = "main" if pid == r.peak.main_pid else "worker"
            idle = max(life - run_ns / 1e9 - wait_ns / 1e9, 0.0)
            print(f"  --jobs {r.jobs} {who} {pid}: {life:.0f} s seen: on CPU "
                  f"{run_ns / 1e9:.0f} s ({100 * run_ns / 1e9 / life:.0f}%), waiting for a "
                  f"CPU {wait_ns / 1e9:.0f} s ({100 * wait_ns / 1e9 / life:.0f}%), idle "
                  f"{idle:.0f} s ({100 * idle / life:.0f}%)")
    for r in results:
        print(f"--jobs {r.jobs}, tree RSS as the run went on: "
              + ", ".join(f"{n} rec {rss / 1024:.0f} MB" for _, n, rss, _ in _spread(r.timeline, 12)))


def _spread(items: list, n: int) -> list:
    """About ``n`` items evenly spread over ``items``, the last included."""
    if len(items) <= n:
        return items
    step = (len(items) - 1) / (n - 1)
    return [items[round(i * step)] for i in range(n)]


def machine() -> str:
    """One line about where this ran."""
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = _kb("/proc/meminfo", "MemTotal") / 1024 / 1024
    return (f"{os.cpu_count()} CPUs ({cpu}), {mem:.0f} GB RAM, Python "
            f"{sys.version.split()[0]}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def source_version() -> str:
    """The commit the snapshot was taken at, and whether src/luanma differed from it."""
    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                              check=False)
    head = git("rev-parse", "--short", "HEAD").stdout.strip() or "?"
    dirty = git("diff", "--quiet", "HEAD", "--", "src/luanma").returncode
    return f"{head}{' + uncommitted changes in src/luanma' if dirty else ''}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mb", type=float, default=200.0, help="input size in MB (default 200)")
    p.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="--jobs values to run")
    p.add_argument("--mix", default=MIX, help=f"shares of record kinds (default {MIX})")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--kind-sample", type=int, default=100, metavar="N",
                   help="garbled records per kind timed one by one (default 100; "
                        "clean: 20 x N); 0 skips the per-kind table")
    p.add_argument("--time-limit", type=float, default=None, metavar="S",
                   help="stop each run after S seconds and report what it did")
    p.add_argument("--max-mb", type=float, default=200.0,
                   help="fail if a run's peak tree PSS exceeds this (default 200)")
    p.add_argument("--workdir", type=Path, default=None,
                   help="where to write the input (default: a temp dir, removed after)")
    p.add_argument("--time-kinds", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.time_kinds:
        args.time_kinds[1].write_text(json.dumps(time_kinds(args.time_kinds[0])))
        return 0
    mix = parse_mix(args.mix)

    print(f"machine: {machine()}")
    print("mix: " + ", ".join(f"{k} {100 * v:g}%" for k, v in mix.items() if v), flush=True)
    tmp = None
    if args.workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="luanma-etl-")
        args.workdir = Path(tmp.name)
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = args.workdir / f"etl-{args.mb:g}mb-seed{args.seed}.jsonl"
    results: list[Result] = []
    try:
        src = snapshot_source(args.workdir)
        print(f"code: src/luanma at {source_version()}, copied to {src}")
        t = time.monotonic()
        built = build_input(path, args.mb, mix, args.seed, args.kind_sample,
                            20 * args.kind_sample)
        print(f"built {path} ({built.nbytes / 1e6:.1f} MB, {built.records} records, sha256 "
              f"{built.sha256[:16]}) in {time.monotonic() - t:.1f} s", flush=True)
        for (kind, plan), n in sorted(built.per_plan.items(), key=lambda kv: KINDS.index(kv[0][0])):
            print(f"  {kind:15} {plan:22} {n:8d} ({100 * n / built.records:.3f}%)")
        if args.kind_sample:
            print(f"\nper-kind cost (one process, load {_loadavg():.2f} at start):", flush=True)
            kinds = run_time_kinds(built.samples, src, args.workdir)
            print_kinds(kinds, built)
            print(f"(load {_loadavg():.2f} at end)")
        print()
        for jobs in args.jobs:
            print(f"$ {' '.join(command(path, jobs))} | sha256sum", flush=True)
            r = run_cli(path, jobs, args.time_limit, src)
            results.append(r)
            print(f"  --jobs {jobs}: {r.seconds:.1f} s, {r.records} records, rc "
                  f"{r.returncode}, tree peak RSS {r.peak.rss_sum / 1024:.1f} MB, "
                  f"load {r.load_start:.2f} -> {r.load_end:.2f}", flush=True)
        print()
        print_runs(results, built)
    finally:
        if tmp is not None:
            tmp.cleanup()
    complete = [r for r in results if r.complete]
    status = 0
    if len({r.digest for r in complete}) > 1:
        print("FAIL: complete runs produced different output")
        status = 1
    over = [r for r in results if r.peak.pss_sum / 1024 > args.max_mb]
    for r in results:
        print(f"--jobs {r.jobs}: peak tree PSS {r.peak.pss_sum / 1024:.1f} MB, "
              f"peak summed RSS {r.peak.rss_sum / 1024:.1f} MB (shared pages counted "
              f"once per process)")
    if over:
        print(f"FAIL: peak tree PSS over {args.max_mb:g} MB for --jobs "
              f"{', '.join(str(r.jobs) for r in over)}")
        status = 1
    elif results:
        print(f"peak tree PSS under {args.max_mb:g} MB: ok")
    return status


if __name__ == "__main__":
    sys.exit(main())
