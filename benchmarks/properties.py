"""Issue 8's properties at scale: the checks of tests/test_robustness.py
(defined in tests/robust_props.py) over many more hypothesis examples.

    python benchmarks/properties.py                    # 100,000 inputs
    python benchmarks/properties.py --examples 5000    # a quick run
    python benchmarks/properties.py --failures out.json
    python benchmarks/properties.py --markdown docs/generated/properties.md

Every input is run through repair, repair_and_explain and diagnose once and
checked against every property, each on its own (one property failing does
not hide another).  A sample of the inputs is then repaired again in fresh
processes under other PYTHONHASHSEED values and compared.  Prints a table
property -> inputs checked -> failures; exits 1 if any property failed.
Failing inputs (the shortest few per property) go to --failures as JSON
(each a Python repr: ast.literal_eval reads it back exactly).
Runs in one process (plus the short determinism subprocesses).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

import robust_props as rp  # noqa: E402

#: share of --examples drawn from each source (slow sources get fewer)
SHARES = {"unicode": 0.40, "surrogateescape": 0.15, "hostile-mix": 0.235,
          "corpus-garbled": 0.20, "adversarial": 0.015}

def across_processes(texts: list[str], hashseeds: list[str]) -> tuple[int, list[str]]:
    """Repair ``texts`` here and in a fresh process per hash seed; returns
    (comparisons, inputs whose results differ).  Texts travel as hex of
    their UTF-8 with lone surrogates kept (JSON would merge a lone high and
    a lone low surrogate into one character)."""
    here = rp.packed_results(texts)
    bad: set[str] = set()
    for hs in hashseeds:
        env = dict(os.environ, PYTHONHASHSEED=hs)
        proc = subprocess.run([sys.executable, "-c", rp.CHILD],
                              input=json.dumps([rp.pack(t) for t in texts]),
                              capture_output=True, text=True, env=env, check=True)
        there = json.loads(proc.stdout)
        bad.update(t for t, a, b in zip(texts, here, there) if a != b)
    return len(texts) * len(hashseeds), sorted(bad, key=len)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=100_000, help="inputs in all (default 100000)")
    ap.add_argument("--seed", type=int, default=0, help="hypothesis seed (default 0)")
    ap.add_argument("--cross-process", type=int, default=2000,
                    help="inputs re-run in fresh processes (default 2000)")
    ap.add_argument("--hashseeds", default="0,1,4242", help="PYTHONHASHSEED values (default 0,1,4242)")
    ap.add_argument("--failures", type=Path, help="write failing inputs here as JSON")
    ap.add_argument("--sources", default=",".join(SHARES), help="comma-separated sources")
    ap.add_argument("--markdown", metavar="PATH",
                    help="also write the tables as Markdown (e.g. docs/generated/properties.md)")
    args = ap.parse_args(argv)

    sources = [s for s in args.sources.split(",") if s]
    total_share = sum(SHARES[s] for s in sources)
    checked: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    per_source: dict[str, tuple[int, float, float]] = {}
    sample: list[str] = []
    t_all = time.perf_counter()

    def record(prop: str, text: str, detail: str) -> None:
        failed[prop] += 1
        ex = examples[prop]
        ex.append(text)
        ex.sort(key=len)
        del ex[20:]
        if failed[prop] <= 3:
            print(f"  FAIL {prop}: {detail[:300]}", flush=True)

    for name in sources:
        n = max(1, round(args.examples * SHARES[name] / total_share))
        count = [0]
        slowest = [0.0]
        every = max(1, n // max(1, args.cross_process * SHARES[name] // total_share))
        t0 = time.perf_counter()

        @seed(args.seed)
        @settings(max_examples=n, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(rp.SOURCES[name])
        def prop(text: str) -> None:
            count[0] += 1
            if count[0] % every == 0:
                sample.append(text)
            t = time.perf_counter()
            checked["total"] += 1
            try:
                r = rp.run(text)
            except Exception as exc:  # noqa: BLE001 -- any exception is the finding
                record("total", text, f"{type(exc).__name__}: {exc} on {text[:80]!r}")
                return
            for pname, fn in rp.PROPERTIES.items():
                if pname != "total":        # (counted above, with the calls)
                    checked[pname] += 1
                try:
                    fn(r)
                except rp.PropertyFailure as exc:
                    record(pname, text, str(exc))
                except Exception as exc:  # noqa: BLE001
                    record(pname, text, f"check raised {type(exc).__name__}: {exc}")
            slowest[0] = max(slowest[0], time.perf_counter() - t)

        prop()
        dt = time.perf_counter() - t0
        per_source[name] = (count[0], dt, slowest[0])
        print(f"{name}: {count[0]} inputs in {dt:.0f} s (slowest {slowest[0]:.2f} s)", flush=True)

        table(checked, failed, per_source, time.perf_counter() - t_all)
        if args.failures:
            write_failures(args.failures, examples)
        if args.markdown:
            write_markdown(args.markdown, checked, failed, per_source,
                           time.perf_counter() - t_all, None, argv)

    seeds = [s for s in args.hashseeds.split(",") if s]
    t0 = time.perf_counter()
    n_cross, bad = across_processes(sample, seeds) if sample and seeds else (0, [])
    checked["deterministic-across-processes"] = n_cross
    failed["deterministic-across-processes"] = len(bad)
    examples["deterministic-across-processes"] = bad[:20]
    print(f"cross-process: {len(sample)} inputs x {len(seeds)} hash seeds in "
          f"{time.perf_counter() - t0:.0f} s", flush=True)
    table(checked, failed, per_source, time.perf_counter() - t_all)
    if args.failures:
        write_failures(args.failures, examples)
    if args.markdown:
        write_markdown(args.markdown, checked, failed, per_source, time.perf_counter() - t_all,
                       (len(sample), seeds), argv)
    return 1 if sum(failed.values()) else 0


def write_failures(path: Path, examples: dict[str, list[str]]) -> None:
    """Failing inputs as ``repr`` strings (``ast.literal_eval`` reads them
    back exactly, lone surrogates included)."""
    path.write_text(json.dumps({k: [repr(t) for t in v] for k, v in examples.items()},
                               ensure_ascii=True, indent=1))


def _tables(checked: Counter[str], failed: Counter[str],
            per_source: dict[str, tuple[int, float, float]]) -> tuple[str, str]:
    """(property table, source table) as Markdown."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import docout

    props = [[p, f"{checked[p]:,}", f"{failed[p]:,}"]
             for p in [*rp.PROPERTIES, "deterministic-across-processes"]]
    props.append(["**all** (property checks)", f"{sum(checked.values()):,}",
                  f"{sum(failed.values()):,}"])
    sources = [[name, f"{c:,}", f"{dt:.0f}", f"{sl:.2f}"] for name, (c, dt, sl) in per_source.items()]
    return (docout.table(["property", "inputs checked", "failures"], props, right={1, 2}),
            docout.table(["source", "inputs", "seconds", "slowest input (s)"], sources,
                         right={1, 2, 3}))


def write_markdown(path: str, checked: Counter[str], failed: Counter[str],
                   per_source: dict[str, tuple[int, float, float]], wall: float,
                   cross: tuple[int, list[str]] | None, argv: list[str] | None) -> None:
    """The tables under the command that made them (benchmarks/docout.py);
    written after each source too, so a run stopped early leaves its numbers."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import docout

    props, sources = _tables(checked, failed, per_source)
    if cross is None:
        tail = "Stopped before the cross-process comparison (or still running)."
    else:
        n, seeds = cross
        tail = (f"Cross-process: {n:,} of the inputs repaired again in a fresh interpreter "
                f"under each `PYTHONHASHSEED` of {', '.join(seeds)} and compared "
                f"({checked['deterministic-across-processes']:,} comparisons).")
    body = (f"{props}\n\n{sources}\n\nInputs: {checked['total']:,}; wall time "
            f"{wall:.0f} s. {tail}")
    docout.write(path, body, None if argv is None else [sys.argv[0], *argv])


def table(checked: Counter[str], failed: Counter[str],
          per_source: dict[str, tuple[int, float, float]], wall: float) -> None:
    """The tables so far (printed after each source, so a long run that is
    stopped early still leaves its numbers)."""
    print()
    print("| property | inputs checked | failures |")
    print("|---|---:|---:|")
    for pname in [*rp.PROPERTIES, "deterministic-across-processes"]:
        print(f"| {pname} | {checked[pname]:,} | {failed[pname]:,} |")
    print(f"| **all** (property checks) | {sum(checked.values()):,} | {sum(failed.values()):,} |")
    print()
    print("| source | inputs | seconds | slowest input (s) |")
    print("|---|---:|---:|---:|")
    for name, (c, dt, sl) in per_source.items():
        print(f"| {name} | {c:,} | {dt:.0f} | {sl:.2f} |")
    print(f"\ninputs: {checked['total']:,}; wall time {wall:.0f} s\n", flush=True)


if __name__ == "__main__":
    sys.exit(main())
