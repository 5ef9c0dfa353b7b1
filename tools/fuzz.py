"""Coverage-guided fuzzing of repair, diagnose and repair_bytes with atheris.

    pip install -e '.[fuzz]'
    python tools/fuzz.py --seconds 600             # 10 minutes
    python tools/fuzz.py --seconds 60 --max-len 40
    python tools/fuzz.py --seconds 600 --no-instrument   # more executions, no coverage

Each input's first byte picks what is fuzzed and how the rest becomes the
argument: arbitrary Unicode (atheris' ConsumeUnicode: lone surrogates
included), bytes read with surrogateescape or with a CJK/Latin codec's
``replace`` (text that looks like mojibake), or raw bytes for
``repair_bytes``.  Beyond "does not raise", every call is checked:

* the result is ``str`` (``BytesRepair.text`` for bytes);
* the plan re-applies to the input, as is and through JSON, to give the output;
* the plan's spans, applied by hand round by round, give the output (text
  outside them is unchanged);
* ``repair`` is idempotent (``repair(repair(x)) == repair(x)``);
* one call takes less than ``--slow`` seconds (default 20).

A failure does not stop the run: the input is saved to ``tests/regressions/``
as JSON (entry point, the exact argument, what failed, marked ``xfail`` with
that reason so ``tests/test_regressions.py`` replays it as a strict xfail
until it is fixed), at most ``--keep`` files per kind of failure, and the
run goes on.  A summary (executions, seconds, failures by kind) is printed
at the end and written to ``--summary`` if given, and as a Markdown table to
``--markdown`` (e.g. ``docs/generated/fuzz.md``, for the documentation).  libFuzzer's own corpus
of interesting inputs goes to ``--corpus`` (a temporary directory by default).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

import atheris

if "--no-instrument" in sys.argv:
    # no coverage feedback from luanma (mutation only), several times the executions
    import luanma
    from luanma import RepairPlan, diagnose, repair, repair_and_explain, repair_bytes
else:
    with atheris.instrument_imports(include=["luanma"]):
        import luanma
        from luanma import RepairPlan, diagnose, repair, repair_and_explain, repair_bytes

ROOT = Path(__file__).resolve().parents[1]
REGRESSIONS = ROOT / "tests" / "regressions"

#: how bytes become text in the decoding modes
CODECS = ("utf-8", "gbk", "big5", "shift_jis", "euc_kr", "cp1252", "latin-1", "gb18030")

MODES = ("repair-unicode", "diagnose-unicode", "repair-decoded", "diagnose-decoded",
         "repair_bytes", "repair_bytes-strict")

STATE: dict = {"execs": 0, "slowest": 0.0, "slowest_input": "", "t0": 0.0, "last": 0.0,
               "corpus": ""}
FOUND: Counter[str] = Counter()
ARGS: argparse.Namespace


class Finding(Exception):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


def _splice(text: str, plan: RepairPlan) -> str:
    cur = text
    for fixes in plan.rounds:
        pos, parts = 0, []
        for f in sorted(fixes, key=lambda f: f.start):
            if not (pos <= f.start <= f.end <= len(cur)) or cur[f.start:f.end] != f.garbled:
                raise Finding("outside-unchanged", f"fix {f} does not fit its round's text")
            parts += [cur[pos:f.start], f.repaired]
            pos = f.end
        parts.append(cur[pos:])
        cur = "".join(parts)
    return cur


def check_text(text: str, out: str, plan: RepairPlan) -> None:
    if type(out) is not str:
        raise Finding("not-str", f"returned {type(out).__name__}")
    for p in (plan, RepairPlan.from_json(plan.to_json())):
        if p.apply(text) != out:
            raise Finding("plan-reapplies", f"plan {plan} re-applied gives {p.apply(text)!r}, not {out!r}")
    if _splice(text, plan) != out:
        raise Finding("outside-unchanged", "spans applied by hand differ from the output")
    again = repair(out)
    if again != out:
        raise Finding("idempotent", f"repair(x) = {out!r}, repair(repair(x)) = {again!r}")


def decode_input(data: bytes) -> tuple[str, str | bytes]:
    """(mode, argument) for one fuzz input; the same split as TestOneInput."""
    fdp = atheris.FuzzedDataProvider(data)
    mode = MODES[fdp.ConsumeIntInRange(0, len(MODES) - 1)]
    if mode.endswith("-unicode"):
        return mode, fdp.ConsumeUnicode(ARGS.max_len)
    if mode.endswith("-decoded"):
        codec = CODECS[fdp.ConsumeIntInRange(0, len(CODECS) - 1)]
        raw = fdp.ConsumeBytes(ARGS.max_len)
        errors = "surrogateescape" if codec == "utf-8" else "replace"
        return mode, raw.decode(codec, errors)
    return mode, fdp.ConsumeBytes(ARGS.max_len)


def call(mode: str, arg: str | bytes) -> None:
    """Run one entry point on ``arg`` and check its invariants; raises
    :class:`Finding` on a broken invariant, anything else on a crash."""
    if mode.startswith("repair_bytes"):
        assert isinstance(arg, bytes)
        try:
            r = repair_bytes(arg, strict=mode.endswith("strict"))
        except luanma.UndecodableBytesError:
            if mode.endswith("strict"):
                return          # documented: strict mode raises this, and only this
            raise
        if type(r.text) is not str:
            raise Finding("not-str", f"repair_bytes text is {type(r.text).__name__}")
        if any(not 0 <= o < len(arg) for o in r.undecodable):
            raise Finding("bad-offset", f"undecodable offsets {r.undecodable} outside the input")
        return
    assert isinstance(arg, str)
    if mode.startswith("diagnose"):
        d = diagnose(arg)
        check_text(arg, d.repaired, d.plan)
        return
    out = repair(arg)
    out2, plan = repair_and_explain(arg)
    if out2 != out:
        raise Finding("deterministic", f"repair gave {out!r}, repair_and_explain {out2!r}")
    check_text(arg, out, plan)


def save(kind: str, mode: str, arg: str | bytes, detail: str) -> Path | None:
    FOUND[kind] += 1
    if FOUND[kind] > ARGS.keep:
        return None
    REGRESSIONS.mkdir(parents=True, exist_ok=True)
    payload = arg.hex() if isinstance(arg, bytes) else arg
    name = f"fuzz-{kind}-{hashlib.sha1(repr(payload).encode('utf-8', 'surrogatepass')).hexdigest()[:12]}.json"
    path = REGRESSIONS / name
    if path.exists():
        return None             # the same argument, found again (or under another entry point)
    entry = "repair_bytes" if mode.startswith("repair_bytes") else mode.split("-")[0]
    record = {
        "entry": entry,
        "strict": mode.endswith("strict"),
        "input": None if isinstance(arg, bytes) else arg,
        "input_hex": arg.hex() if isinstance(arg, bytes) else None,
        "xfail": f"{kind}: {detail[:300]}",
        "note": f"found by tools/fuzz.py ({mode}) on {time.strftime('%Y-%m-%d')}",
    }
    path.write_text(json.dumps(record, ensure_ascii=True, indent=1) + "\n")
    print(f"\n[fuzz] {kind}: saved {path.relative_to(ROOT)}: {detail[:200]}", flush=True)
    return path


def TestOneInput(data: bytes) -> None:  # noqa: N802 -- atheris' name
    mode, arg = decode_input(data)
    STATE["execs"] += 1
    t = time.perf_counter()
    try:
        call(mode, arg)
    except Finding as f:
        save(f.kind, mode, arg, str(f))
    except Exception as exc:  # noqa: BLE001 -- any exception is the finding
        where = traceback.extract_tb(exc.__traceback__)[-1]
        kind = f"crash-{type(exc).__name__}-{Path(where.filename).stem}-{where.lineno}"
        save(kind, mode, arg, f"{type(exc).__name__}: {exc}")
        if ARGS.stop_on_crash:
            raise
    dt = time.perf_counter() - t
    if dt > STATE["slowest"]:
        STATE["slowest"], STATE["slowest_input"] = dt, f"{mode}: {arg[:120]!r}"
    if dt > ARGS.slow:
        save("slow", mode, arg, f"{dt:.1f} s for {len(arg)} characters/bytes (instrumented)")
    report(final=time.perf_counter() - STATE["t0"] >= ARGS.seconds - 1)


def report(final: bool = False) -> None:
    """Print the summary (and write --summary).  libFuzzer ends the process
    with exit(), past Python's atexit, so this runs every few seconds."""
    now = time.perf_counter()
    if STATE.get("done") or (not final and now - STATE["last"] < 10):
        return
    STATE["done"] = final
    STATE["last"] = now
    dt = now - STATE["t0"]
    summary = {"executions": STATE["execs"], "seconds": round(dt, 1),
               "execs_per_second": round(STATE["execs"] / max(dt, 1e-9), 1),
               "findings": dict(FOUND), "slowest_call_s": round(STATE["slowest"], 2),
               "slowest_input": STATE["slowest_input"], "corpus": STATE["corpus"]}
    if final or ARGS.verbose:
        print("\n[fuzz] summary: " + json.dumps(summary, ensure_ascii=False), flush=True)
    if ARGS.summary:
        ARGS.summary.write_text(json.dumps(summary, ensure_ascii=True, indent=1))
    if ARGS.markdown:
        write_markdown(ARGS.markdown, summary, final)


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def write_markdown(path: Path, summary: dict, final: bool) -> None:
    """The summary as a Markdown table under the command that made it
    (benchmarks/docout.py); rewritten every few seconds, like --summary."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import docout

    rows = [["executions", f"{summary['executions']:,}"],
            ["seconds", f"{summary['seconds']:.0f}"],
            ["executions a second", f"{summary['execs_per_second']:.1f}"],
            ["slowest call (s)", f"{summary['slowest_call_s']:.2f}"]]
    kinds = ("crash", "not-str", "bad-offset", "plan-reapplies", "outside-unchanged",
             "idempotent", "deterministic", "slow")
    found = summary["findings"]
    for kind in kinds:
        n = sum(v for k, v in found.items() if k == kind or (kind == "crash" and k.startswith("crash-")))
        rows.append([f"findings: {kind}", f"{n:,}"])
    mode = "luanma not instrumented" if ARGS.no_instrument else "luanma instrumented (coverage-guided)"
    state = "" if final else " (run in progress or stopped before its end)"
    body = (f"atheris {_version('atheris')}; {mode}; arguments up to "
            f"{ARGS.max_len} characters or bytes; a call slower than {ARGS.slow:g} s is a "
            f"finding{state}.\n\n" + docout.table(["", "value"], rows, right={1}))
    crashes = sorted(k for k in found if k.startswith("crash-"))
    if crashes:
        body += "\n\nCrash kinds: " + ", ".join(f"`{k}`" for k in crashes)
    docout.write(path, body, quiet=True)


def seeds(directory: Path) -> None:
    """A few starting points: garbled corpus-like text in each mode."""
    from luanma import corrupt

    samples = ["由月要好，不过现在内存便宜", "日本語のテキストです", "한국어 문장입니다", "設定完成"]
    plans = ["utf-8 -> gbk", "utf-8 -> gbk:win", "utf-8 -> shift_jis", "utf-8 -> cp1252:c1",
             "utf-8 -> big5:win"]
    n = 0
    for s in samples:
        for p in plans:
            try:
                g = corrupt(s, p).text
            except luanma.LuanmaError:
                continue
            # mode byte 2 = repair-decoded, codec byte 0 = utf-8 (see decode_input: the
            # provider reads its integers from the end of the data)
            for mode in (2, 3):
                data = g.encode("utf-8", "surrogateescape") + bytes([0, mode])
                (directory / f"seed-{n}").write_bytes(data)
                n += 1
    (directory / "seed-bytes").write_bytes("由月要好".encode("gbk") + bytes([4]))


def main() -> int:
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=60, help="run time bound (default 60)")
    ap.add_argument("--max-len", type=int, default=128, help="longest argument, characters or bytes")
    ap.add_argument("--slow", type=float, default=20.0, help="a call slower than this is a finding")
    ap.add_argument("--keep", type=int, default=3, help="files saved per kind of failure")
    ap.add_argument("--corpus", type=Path, help="libFuzzer corpus directory (default: a temporary one)")
    ap.add_argument("--summary", type=Path, help="write the summary as JSON here")
    ap.add_argument("--markdown", type=Path, metavar="PATH",
                    help="write the summary as a Markdown table here (docs/generated/fuzz.md)")
    ap.add_argument("--no-instrument", action="store_true",
                    help="do not instrument luanma: mutation without its coverage, more executions")
    ap.add_argument("--verbose", action="store_true", help="print the summary every 10 s")
    ap.add_argument("--stop-on-crash", action="store_true", help="stop at the first exception")
    ARGS, rest = ap.parse_known_args()
    corpus = ARGS.corpus or Path(tempfile.mkdtemp(prefix="luanma-fuzz-"))
    corpus.mkdir(parents=True, exist_ok=True)
    if not any(corpus.iterdir()):
        seeds(corpus)
    luanma.repair("鐢辨湀瑕佸ソ")     # load the model before the clock matters
    STATE["t0"] = STATE["last"] = time.perf_counter()
    STATE["corpus"] = str(corpus)
    argv = [sys.argv[0], f"-max_total_time={ARGS.seconds}", f"-max_len={4 * ARGS.max_len + 16}",
            f"-timeout={max(300, int(ARGS.slow * 10))}", "-rss_limit_mb=4096",
            f"-artifact_prefix={corpus}/", *rest, str(corpus)]
    atheris.Setup(argv, TestOneInput)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main())
