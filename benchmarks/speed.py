"""Speed: luanma.repair vs ftfy vs a bare regex scan, on clean and garbled text.

Prints tables (not a test).  Everything runs in one process on the same
inputs; each figure is the median of ``--reps`` repetitions.

    python benchmarks/speed.py                   # the README table
    python benchmarks/speed.py --lines 50 --sizes 1 --reps 5     # quick
    python benchmarks/speed.py --sizes 1,4,16,64                 # the big one

Methods:

``repair``                      ``luanma.repair`` (its fast path included)
``maybe_garbled``               the fast-path test alone
``ftfy.fix_text`` / ``ftfy.fix_encoding``
``regex scan``                  ``re.compile("[\\x80-\\x9f\\ufffd]|锟斤拷").search``, a
                                full scan that finds nothing on clean text

Inputs: corpus zh-Hans, ja, ko (clean, real); English lines from the
README/METADATA and licence files of the installed packages (real text, ftfy's
own METADATA left out: it holds mojibake on purpose; lines with CJK left
out), all of them and only those that are not pure ASCII; and corpus zh-Hans
garbled whole with ``corrupt(t, "utf-8 -> gbk")`` (lines whose UTF-8 strict
GBK refuses are left out).

"Per line" calls the method once per line, "per document" once on the lines
joined with newlines.  MB = MB of UTF-8 input.  Peak memory is tracemalloc's
peak of Python allocations during one extra, untimed pass.

``--clock cpu`` times the passes in this process's CPU time instead of
wall-clock time: on a machine shared with other jobs, wall-clock figures
swing with their load.

``--lines`` takes the first lines of each corpus file: 200 (the default)
is a quick sample; 4000 takes every line (3,451 zh-Hans, 2,004 ja, 2,099
ko), rare costly lines included -- a clean line that shows a signature costs
the search.  The scaling table builds its documents from every corpus line
(and every garbled one) repeated, not from the throughput sample.  The
last section checks issue 6's targets on the figures above.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7a3\uf900-\ufaff]")
_SCAN = re.compile("[\x80-\x9f\ufffd]|锟斤拷")


# -- inputs ---------------------------------------------------------------------

def corpus_lines(lang: str, n: int) -> list[str]:
    with (ROOT / "corpus" / f"{lang}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(x)["text"] for x in fh if x.strip()][:n]


def english_lines(n: int) -> list[str]:
    import site

    lines: list[str] = []
    dirs = [Path(p) for p in site.getsitepackages()]
    for d in dirs:
        for f in sorted(d.glob("*.dist-info/*")):
            if f.name not in ("METADATA", "LICENSE", "LICENSE.txt", "LICENSE.md", "COPYING",
                              "AUTHORS", "AUTHORS.rst") or "ftfy" in f.parent.name:
                continue
            for line in f.read_text(encoding="utf-8", errors="replace").splitlines():
                line = line.strip()
                if len(line) >= 5 and not _CJK.search(line) and "\ufffd" not in line:
                    lines.append(line)
    return lines[:n]


def garbled_lines(lines: list[str]) -> list[str]:
    """Lines garbled whole; those whose UTF-8 bytes strict GBK refuses are left out."""
    from luanma import corrupt
    from luanma.errors import LuanmaError

    out = []
    for t in lines:
        try:
            out.append(corrupt(t, "utf-8 -> gbk").text)
        except LuanmaError:
            continue
    return out


def mb(texts: list[str]) -> float:
    return sum(len(t.encode("utf-8")) for t in texts) / 1e6


# -- methods ----------------------------------------------------------------------

def methods() -> dict[str, Callable[[str], object]]:
    import ftfy

    from luanma import repair
    from luanma.fastpath import maybe_garbled

    return {
        "regex scan": _SCAN.search,
        "maybe_garbled": maybe_garbled,
        "repair": repair,
        "ftfy.fix_encoding": ftfy.fix_encoding,
        "ftfy.fix_text": ftfy.fix_text,
    }


#: What ``timed`` reads: wall-clock time, or (``--clock cpu``) this
#: process's CPU time, which other jobs on a shared machine disturb far less.
_CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = _CLOCKS["wall"]


def timed(fn: Callable[[str], object], texts: list[str], reps: int) -> float:
    """Median seconds of ``reps`` passes over ``texts``."""
    times = []
    for _ in range(reps):
        t0 = _clock()
        for t in texts:
            fn(t)
        times.append(_clock() - t0)
    return statistics.median(times)


def peak_kb(fn: Callable[[str], object], texts: list[str]) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    for t in texts:
        fn(t)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1024


# -- tables -------------------------------------------------------------------------

def table(rows: list[list[str]], head: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    out = [" | ".join(h.ljust(w) for h, w in zip(head, widths)),
           "-|-".join("-" * w for w in widths)]
    out += [" | ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(out)


def throughput(datasets: dict[str, list[str]], reps: int) -> str:
    ms = methods()
    rows = []
    out: dict[tuple[str, str, str], float] = {}      # (input, mode, method) -> MB/s
    for dname, lines in datasets.items():
        doc = ["\n".join(lines)]
        size = mb(lines)
        for mode, texts in (("per line", lines), ("per document", doc)):
            res: dict[str, float] = {}
            for name, fn in ms.items():
                res[name] = timed(fn, texts, reps)
            for name, sec in res.items():
                out[(dname, mode, name)] = size / sec
                peak = peak_kb(ms[name], texts)
                rows.append([dname, mode, name, f"{size / sec:.3f}", f"{len(lines) / sec:,.0f}",
                             f"{sec / len(lines) * 1e6:,.1f}",
                             f"{res['ftfy.fix_text'] / sec:.2f}", f"{res['ftfy.fix_encoding'] / sec:.2f}",
                             f"{peak:,.0f}"])
            print(f"  ... {dname} {mode} done", file=sys.stderr, flush=True)
    return table(rows, ["input", "mode", "method", "MB/s", "lines/s", "us/line",
                        "x fix_text", "x fix_encoding", "peak KB"]), out


def scaling(clean: list[str], garbled: list[str], sizes: list[float], reps: int,
            budget: float, rates: dict[tuple[str, str], float]
            ) -> tuple[str, dict[tuple[str, str, str, float], float]]:
    """Seconds per MB, per line and per document, as the input grows."""
    ms = methods()
    rows = []
    per_mb: dict[tuple[str, str, str, float], float] = {}
    for dname, base in (("zh-Hans clean", clean), ("zh-Hans garbled", garbled)):
        for size in sizes:
            lines: list[str] = []
            while mb(lines) < size:
                lines.extend(base)
            # trim to the size
            total, k = 0.0, 0
            for k, t in enumerate(lines):
                total += len(t.encode("utf-8")) / 1e6
                if total >= size:
                    break
            lines = lines[:k + 1]
            doc = "\n".join(lines)
            for name, fn in ms.items():
                # warm (model contexts unpacked, caches filled): a one-rep
                # measurement of a small size would otherwise pay for them
                for t in base:
                    fn(t)
                for mode, texts in (("per line", lines), ("per document", [doc])):
                    est = rates.get((dname, name), 0.0) * size
                    if est > budget:
                        rows.append([dname, f"{size:g}", mode, name, f"skipped (est. {est:,.0f} s)", "", ""])
                        continue
                    r = reps if est * reps <= budget else 1
                    sec = timed(fn, texts, r)
                    per_mb[(dname, mode, name, size)] = sec / size
                    rows.append([dname, f"{size:g}", mode, name, f"{sec / size:.3f}",
                                 f"{size / sec:.2f}", str(r)])
                print(f"  ... scaling {dname} {size:g} MB {name} done", file=sys.stderr, flush=True)
    return table(rows, ["input", "MB", "mode", "method", "s per MB", "MB/s", "reps"]), per_mb


def targets(res: dict[tuple[str, str, str], float],
            per_mb: dict[tuple[str, str, str, float], float], sizes: list[float]) -> str:
    """Issue 6's throughput and scaling targets, on this run's figures."""
    lines = []

    def check(label: str, value: float | None, goal: float, higher: bool = True) -> None:
        if value is None:
            lines.append(f"{label}: not measured")
            return
        ok = value >= goal if higher else value <= goal
        lines.append(f"{label}: {value:.2f} (target {'>=' if higher else '<='} {goal:g}) "
                     f"{'met' if ok else 'NOT met'}")

    def ratio(a: tuple[str, str, str], b: tuple[str, str, str]) -> float | None:
        return res[a] / res[b] if a in res and b in res else None

    for lang in ("zh-Hans", "ja", "ko"):
        d = f"{lang} clean"
        check(f"{d}, per line, repair / fix_text", ratio((d, "per line", "repair"),
                                                         (d, "per line", "ftfy.fix_text")), 10)
        check(f"{d}, per line, repair / fix_encoding", ratio((d, "per line", "repair"),
                                                             (d, "per line", "ftfy.fix_encoding")), 2)
    check("English clean, per line, repair / fix_text",
          ratio(("English clean", "per line", "repair"), ("English clean", "per line", "ftfy.fix_text")), 2)
    check("English non-ASCII, per line, repair / fix_text (not a target row; the lines past "
          "the ASCII exit)", ratio(("English non-ASCII", "per line", "repair"),
                                   ("English non-ASCII", "per line", "ftfy.fix_text")), 2)
    check("zh-Hans garbled repair MB/s / zh-Hans clean fix_text MB/s, per line",
          ratio(("zh-Hans garbled", "per line", "repair"), ("zh-Hans clean", "per line", "ftfy.fix_text")), 1)
    if len(sizes) > 1:
        lo, hi = min(sizes), max(sizes)
        for d in ("zh-Hans clean", "zh-Hans garbled"):
            for mode in ("per line", "per document"):
                a, b = per_mb.get((d, mode, "repair", lo)), per_mb.get((d, mode, "repair", hi))
                check(f"{d}, {mode}, repair s/MB at {hi:g} MB / at {lo:g} MB",
                      b / a if a and b else None, 1.5, higher=False)
    return "\n".join(lines)


def startup() -> str:
    py = sys.executable
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))

    def wall(code: str, n: int = 5) -> float:
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            subprocess.run([py, "-c", code], check=True, env=env, capture_output=True)
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    base = wall("pass")
    imp = wall("import luanma")
    out = subprocess.run([py, "-X", "importtime", "-c", "import luanma"], check=False, env=env,
                         capture_output=True, text=True).stderr.splitlines()
    cum = next((int(x.split("|")[1]) for x in reversed(out) if x.rstrip().endswith(" luanma")), -1)
    code = ("import time; t0 = time.perf_counter(); import luanma; t1 = time.perf_counter(); "
            "luanma.repair(%r); t2 = time.perf_counter(); luanma.repair(%r); t3 = time.perf_counter(); "
            "print(t1 - t0, t2 - t1, t3 - t2)")
    first = []
    for text in ("Sego 鍥炬爣", "这是正常的中文。"):
        vals = [subprocess.run([py, "-c", code % (text, text)], env=env, capture_output=True,
                               text=True, check=True).stdout.split() for _ in range(3)]
        first.append((text, [statistics.median(float(v[i]) for v in vals) for i in range(3)]))
    lines = [(f"python -c pass: {base * 1000:.0f} ms; python -c 'import luanma': {imp * 1000:.0f} ms "
              f"(import alone {1000 * (imp - base):.0f} ms; -X importtime cumulative {cum / 1000:.0f} ms)")]
    for text, (t_imp, t_first, t_second) in first:
        lines.append(f"in-process: import {t_imp * 1000:.0f} ms, first repair({text!r}) incl. model load "
                     f"{t_first * 1000:.0f} ms, second call {t_second * 1000:.1f} ms")
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import ftfy

    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
            f"Python {platform.python_version()}, ftfy {ftfy.__version__}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=200, help="lines per input for the throughput table")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--sizes", default="1,4,16", help="MB for the scaling table (add 64 for the big one)")
    ap.add_argument("--budget", type=float, default=120.0,
                    help="skip a scaling measurement estimated to take longer (s)")
    ap.add_argument("--no-startup", action="store_true")
    ap.add_argument("--clock", choices=sorted(_CLOCKS), default="wall",
                    help="time the throughput and scaling passes in wall-clock or CPU time "
                         "(cpu: for a machine shared with other jobs; start-up is always wall-clock)")
    ap.add_argument("--markdown", metavar="PATH",
                    help="also write the tables as Markdown (e.g. docs/generated/speed.md)")
    args = ap.parse_args()
    global _clock
    _clock = _CLOCKS[args.clock]
    sections: list[tuple[str, str]] = []     # (title, text as printed) for --markdown

    print("machine:", machine())
    print("clock:", "CPU time of this process" if args.clock == "cpu" else "wall-clock")
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    sections.append(("machine", machine()))
    if not args.no_startup:
        print("\n## start-up\n")
        text = startup()
        print(text)
        sections.append(("start-up", text))

    zh = corpus_lines("zh-Hans", args.lines)
    zh_src = corpus_lines("zh-Hans", 100000)
    english = english_lines(100000)
    datasets = {
        "zh-Hans clean": zh,
        "ja clean": corpus_lines("ja", args.lines),
        "ko clean": corpus_lines("ko", args.lines),
        "English clean": english[:args.lines],
        # the lines that reach more than the ASCII early return
        "English non-ASCII": [t for t in english if not t.isascii()][:args.lines],
        "zh-Hans garbled": garbled_lines(zh_src)[:args.lines],
    }
    for name, lines in datasets.items():
        nonascii = sum(not t.isascii() for t in lines)
        print(f"{name}: {len(lines)} lines, {mb(lines) * 1000:.1f} KB, {nonascii} not pure ASCII")
    # warm up: model load, caches
    import luanma

    for lines in datasets.values():
        for t in lines[:20]:
            luanma.repair(t)
    print(f"\n## throughput (median of {args.reps})\n")
    table_text, res = throughput(datasets, args.reps)
    print(table_text)
    sections.append((f"throughput (median of {args.reps})", table_text))
    sizes = [float(s) for s in args.sizes.split(",") if s]
    if not sizes:              # --sizes "": no scaling table
        if args.markdown:
            write_markdown(args.markdown, sections)
        return

    # per-MB rates from a short pass, to keep the scaling run within budget
    ms = methods()
    rates: dict[tuple[str, str], float] = {}
    garbled_all = garbled_lines(zh_src)
    probe = {"zh-Hans clean": zh_src, "zh-Hans garbled": garbled_all[:200]}
    for dname, lines in probe.items():
        for name, fn in ms.items():
            rates[(dname, name)] = timed(fn, lines, 1) / mb(lines)
    print(f"\n## scaling (median of up to {args.reps}; budget {args.budget:g} s a measurement)\n")
    scale_text, per_mb = scaling(zh_src, garbled_all, sizes, args.reps, args.budget, rates)
    print(scale_text)
    print("\n## issue 6 targets\n")
    target_text = targets(res, per_mb, sizes)
    print(target_text)
    sections.append((f"scaling (s per MB; median of up to {args.reps})", scale_text))
    sections.append(("issue 6 targets", target_text))
    if args.markdown:
        write_markdown(args.markdown, sections)
    import resource

    print(f"\nprocess peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


def write_markdown(path: str, sections: list[tuple[str, str]]) -> None:
    """The tables as printed, each under a heading, below the command that
    made them (benchmarks/docout.py)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import docout

    body = "\n\n".join(f"**{title}**\n\n```text\n{text}\n```" for title, text in sections)
    docout.write(path, body)


if __name__ == "__main__":
    main()
