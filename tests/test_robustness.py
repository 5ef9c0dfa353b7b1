"""Issue 8: robustness for unattended ETL, CI-sized.

The properties and input generators live in ``tests/robust_props.py``
(definitions of *outside-unchanged* and *no-silent-deletion* are in its
docstring); ``benchmarks/properties.py`` runs the same checks over >= 100,000
inputs and ``tools/fuzz.py`` fuzzes with atheris.  docs/guarantees.md maps
each guarantee to its test.

Known library bugs are minimal reproductions marked
``xfail(strict=True)``: they fail today, and the day a fix makes one pass
the suite fails until its marker is removed.

No test here reads a clock: CI machines differ and run under load (a strict
xfail on seconds once passed on a quiet machine and failed the build).
Cost is measured as work instead -- language-model calls against the call's
documented budget (:func:`robust_props.model_calls`,
:func:`robust_props.call_limit`), or characters searched -- which are the
same on every machine.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import luanma
from luanma import RepairPlan, diagnose, repair, repair_and_explain, repair_bytes

sys.path.insert(0, str(Path(__file__).resolve().parent))
import robust_props as rp  # noqa: E402
from strategies import corpus_texts  # noqa: E402

SRC = str(Path(luanma.__file__).resolve().parents[1])

#: examples per source in CI (the script runs 100,000 in all)
CI_EXAMPLES = {"unicode": 150, "surrogateescape": 150, "hostile-mix": 80,
               "corpus-garbled": 50, "adversarial": 8}
CI_SOURCES = dict(rp.SOURCES, adversarial=rp.adversarial(max_run=8))

#: (source, property) pairs that fail under CI's derandomized examples
#: today: those tests are strict xfails (the minimal repros are below).
#: (benchmarks/properties.py finds idempotence failures in every source but
#: surrogateescape; CI's few examples hit them only here.)
KNOWN_FAILING: set[tuple[str, str]] = set()   # (diagnose passes to a fixed point since)


def _ci(n: int, shrink: bool = True) -> settings:
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if shrink else [])
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    phases=phases, suppress_health_check=list(HealthCheck))


def _maybe_xfail(source: str, prop: str) -> list:
    if (source, prop) in KNOWN_FAILING:
        return [pytest.mark.xfail(strict=True, reason=f"{prop} fails on {source} inputs "
                                  "today; minimal repros: test_bug_*")]
    return []


# ------------------------------------------------------------ properties

@pytest.mark.parametrize("source", list(CI_EXAMPLES))
def test_total_deterministic_plan_and_spans(source: str) -> None:
    """repair, repair_and_explain and diagnose never raise on the source's
    inputs, agree with each other, and their plan re-applies (also through
    JSON) and accounts for every changed character."""
    skip = tuple(p for s, p in KNOWN_FAILING if s == source) + ("idempotent", "no-silent-deletion")

    @_ci(CI_EXAMPLES[source])
    @given(CI_SOURCES[source])
    def check(text: str) -> None:
        rp.check_all(text, skip=skip)

    check()


@pytest.mark.parametrize("source", [pytest.param(s, marks=_maybe_xfail(s, "idempotent"))
                                    for s in CI_EXAMPLES])
def test_idempotent(source: str) -> None:
    known = (source, "idempotent") in KNOWN_FAILING

    @_ci(CI_EXAMPLES[source], shrink=not known)
    @given(CI_SOURCES[source])
    def check(text: str) -> None:
        out = repair(text)
        assert repair(out) == out, (text, out)

    check()


@pytest.mark.parametrize("source", [pytest.param(s, marks=_maybe_xfail(s, "no-silent-deletion"))
                                    for s in CI_EXAMPLES])
def test_no_silent_deletion(source: str) -> None:
    known = (source, "no-silent-deletion") in KNOWN_FAILING

    @_ci(CI_EXAMPLES[source], shrink=not known)
    @given(CI_SOURCES[source])
    def check(text: str) -> None:
        d = diagnose(text)
        r = rp.Run(text, d.repaired, d.repaired, d.plan, d)
        rp.check_outside_unchanged(r)
        rp.check_no_silent_deletion(r)

    check()


def test_the_checks_can_fail() -> None:
    """The property checks reject made-up bad results (a check that cannot
    fail would be a defect)."""
    text = "Sego 鍥炬爣"
    good = rp.run(text)
    for prop in rp.PROPERTIES:
        rp.PROPERTIES[prop](good)
    fix = good.plan.fixes[0]
    # an edit outside any span
    bad = rp.Run(text, good.out + "!", good.out + "!", good.plan, good.diagnosis)
    with pytest.raises(rp.PropertyFailure, match="outside-unchanged"):
        rp.check_outside_unchanged(bad)
    # a span that deletes text its layer does not produce
    lie = luanma.SpanFix(fix.start, fix.end, fix.layer, fix.garbled, "图", fix.confidence)
    bad_plan = RepairPlan(((lie,),))
    bad = rp.Run(text, "Sego 图", "Sego 图", bad_plan, good.diagnosis)
    rp.check_outside_unchanged(bad)                 # consistent as an edit...
    with pytest.raises(rp.PropertyFailure, match="no-silent-deletion"):
        rp.check_no_silent_deletion(bad)            # ...but not explained
    with pytest.raises(rp.PropertyFailure, match="no-silent-deletion"):
        rp.check_no_silent_deletion(rp.Run("abc", "ab", "ab", RepairPlan(), good.diagnosis))
    with pytest.raises(rp.PropertyFailure, match="plan-reapplies"):
        rp.check_plan_reapplies(rp.Run(text, text, text, good.plan, good.diagnosis))
    with pytest.raises(rp.PropertyFailure, match="total"):
        rp.check_total(rp.Run("a", "b", "b", RepairPlan(), good.diagnosis))


# ------------------------------------------------------------ total functions

HOSTILE = {
    "empty": "",
    "nul": "\x00" * 1000,
    "controls": "".join(map(chr, range(0x20))) + "\x7f" + "".join(map(chr, range(0x80, 0xA0))),
    "lone-surrogates": "\ud800\udbff\udc00\udfff",
    "surrogateescape": bytes(range(256)).decode("utf-8", "surrogateescape"),
    "surrogates-in-garble": "鐢辨\udc80湀瑕佸ソ\udcff",
    "unassigned": "\u0378\u0380\U000e0fff\U0010ffff\U0003fffe",
    "pua-run": "\ue000" * 100_000,
    "qmark-run": "?" * 100_000,
    "one-char-1M": "a" * 1_000_000,
    "one-cjk-1M": "中" * 1_000_000,
    "alternating-100k": "中a" * 50_000,
    "alternating-qmark": "中?" * 500,
    "kunkaokao": "锟斤拷" * 1000,
    "mixed-scripts": "Ελληνικά русский עברית العربية हिन्दी 中文 日本語 한국어 ไทย 😀\u200d👩",
    "bom-and-marks": "\ufeff\u200b\u202e鐢辨\u2028湀瑕佸ソ\u0301",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_inputs_never_raise(name: str) -> None:
    text = HOSTILE[name]
    out, calls = rp.counted_repair(text)
    assert calls <= rp.call_limit(text), calls
    r = rp.check_all(text, skip=("deterministic",) if len(text) > 10_000 else ())
    assert r.out == out
    if len(text) > 10_000:
        assert r.out == text        # none of these long ones is mojibake


@pytest.mark.parametrize("fn", [repair, repair_and_explain, diagnose])
@pytest.mark.parametrize("arg", [b"\xe4\xb8\xad", bytearray(b"x"), None, 42, ["text"]],
                         ids=["bytes", "bytearray", "None", "int", "list"])
def test_non_str_is_a_clear_type_error(fn, arg) -> None:
    with pytest.raises(TypeError, match=r"str, not"):
        fn(arg)


@pytest.mark.parametrize("arg", ["text", None, 42, ["x"]], ids=["str", "None", "int", "list"])
def test_repair_bytes_non_bytes_is_a_type_error(arg) -> None:
    with pytest.raises(TypeError, match="bytes"):
        repair_bytes(arg)


@_ci(40)
@given(st.one_of(st.binary(max_size=120),
                 st.lists(st.sampled_from([b"?", b"\x00", b"\xff", b"\xe4\xb8",
                                           "中".encode("gbk"), "中".encode("utf-8"),
                                           "中".encode("big5"), b"\x81\x40"]),
                          max_size=12).map(b"".join)))
def test_repair_bytes_takes_any_bytes(data: bytes) -> None:
    r = repair_bytes(data)                      # lenient: never raises
    assert type(r.text) is str
    assert all(0 <= o < len(data) for o in r.undecodable)
    try:
        s = repair_bytes(data, strict=True)
    except luanma.UndecodableBytesError as exc:
        assert 0 <= exc.offset < len(data)
    else:
        assert s.text == r.text and not s.undecodable


# ------------------------------------------------------------ processes and threads

def _child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, **extra)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _quick(n: int, seed: int) -> list[str]:
    """Awkward inputs that each repair in well under a second."""
    return [t for t in rp.seeded_inputs(n + 1, seed) if "\ufffd?" not in t][:n]


def _here(texts: list[str]) -> list[list[str]]:
    return rp.packed_results(texts)


def test_deterministic_across_processes_and_hash_seeds() -> None:
    # (adjacent lone surrogates: JSON would turn them into one character)
    texts = _quick(30, 0) + ["\udbff\udcff\x16勸\udcff", "\ud800\udfff中"]
    here = _here(texts)
    for seed in ("0", "271828"):
        proc = subprocess.run([sys.executable, "-c", rp.CHILD],
                              input=json.dumps([rp.pack(t) for t in texts]),
                              capture_output=True, text=True, env=_child_env(PYTHONHASHSEED=seed),
                              check=True, timeout=300)
        there = json.loads(proc.stdout)
        diff = [(t, a, b) for t, a, b in zip(texts, here, there) if a != b]
        assert not diff, f"PYTHONHASHSEED={seed}: {diff[:3]}"


_THREADS = textwrap.dedent(r"""
    import json, sys, threading, random
    import luanma, luanma.model
    texts = [bytes.fromhex(h).decode("utf-8", "surrogatepass") for h in json.load(sys.stdin)]
    pack = lambda t: t.encode("utf-8", "surrogatepass").hex()
    loaded_before = getattr(luanma.model, "_MODEL", None) is not None
    barrier = threading.Barrier(8)
    results, errors = {}, []
    def work(k):
        order = list(range(len(texts)))
        random.Random(k).shuffle(order)
        barrier.wait()          # all eight start at once: the first calls race to load the model
        try:
            results[k] = {i: luanma.repair_and_explain(texts[i]) for i in order}
        except BaseException as exc:
            errors.append(repr(exc))
    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads: t.start()
    for t in threads: t.join()
    out = [[[pack(results[k][i][0]), pack(results[k][i][1].to_json())] for i in range(len(texts))]
           for k in sorted(results)]
    json.dump({"loaded_before": loaded_before, "errors": errors, "out": out}, sys.stdout)
""")


def test_threads_race_to_load_the_model() -> None:
    texts = _quick(12, 5)
    proc = subprocess.run([sys.executable, "-c", _THREADS], input=json.dumps([rp.pack(t) for t in texts]),
                          capture_output=True, text=True, env=_child_env(), check=True, timeout=300)
    got = json.loads(proc.stdout)
    assert not got["loaded_before"], "the model was loaded before the threads started"
    assert got["errors"] == []
    here = _here(texts)
    assert len(got["out"]) == 8
    for k, out in enumerate(got["out"]):
        assert out == here, f"thread {k} differs"


_POOL = textwrap.dedent(r"""
    import json, sys, multiprocessing as mp
    import luanma
    if __name__ == "__main__":
        texts = [bytes.fromhex(h).decode("utf-8", "surrogatepass") for h in json.load(sys.stdin)]
        with mp.get_context(sys.argv[1]).Pool(2) as pool:    # before the model is loaded here
            out = pool.map(luanma.repair, texts, chunksize=3)
        json.dump([t.encode("utf-8", "surrogatepass").hex() for t in out], sys.stdout)
""")


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_worker_processes(method: str, tmp_path: Path) -> None:
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"{method} not available here")
    texts = _quick(12, 9)
    want = [repair(t) for t in texts]
    # a pool started from a fresh interpreter (nothing loaded yet)...
    script = tmp_path / "pool.py"
    script.write_text(_POOL)
    proc = subprocess.run([sys.executable, str(script), method],
                          input=json.dumps([rp.pack(t) for t in texts]),
                          capture_output=True, text=True, env=_child_env(), check=True, timeout=300)
    assert [rp.unpack(h) for h in json.loads(proc.stdout)] == want
    # ...and from this one, where the model and caches are loaded (fork copies them)
    if method == "fork":
        with multiprocessing.get_context("fork").Pool(2) as pool:
            assert pool.map(repair, texts, chunksize=3) == want


# ------------------------------------------------------------ size, time, memory

def _clean_hans(n: int) -> str:
    """``n`` characters of clean zh-Hans corpus text, lines joined (text the
    fast path proves clean: no signature)."""
    from luanma.fastpath import signatures

    lines = [t for t in corpus_texts() if any("\u4e00" <= c <= "\u9fff" for c in t)
             and not any("\u3040" <= c <= "\u30ff" or "\uac00" <= c <= "\ud7a3" for c in t)
             and not signatures(t)]
    base = "\n".join(lines)
    return (base * (n // len(base) + 1))[:n]


def test_ten_megabytes_of_clean_cjk() -> None:
    # (its time, 7.6 s on the 2-core dev machine under load, is in
    # docs/guarantees.md; here the work: the fast path proves it clean
    # without a single language-model call)
    text = _clean_hans(10_000_000)
    out, calls = rp.counted_repair(text)
    assert out is text
    assert calls == 0


def test_garbled_text_of_a_thousand_characters() -> None:
    # Garbled text costs milliseconds per character (~3 ms lossless, ~10 ms
    # lossy): a 10 MB garbled input would take hours (docs/guarantees.md),
    # so CI runs a size that finishes in seconds.
    original = _clean_hans(800)
    garbled = luanma.corrupt(original, "utf-8 -> cp1252:c1").text
    out, calls = rp.counted_repair(garbled)
    assert out == original
    assert calls <= rp.call_limit(garbled), calls
    rp.check_all(garbled, skip=("idempotent",))


def test_memory_of_one_call_on_clean_text() -> None:
    text = _clean_hans(1_000_000)
    repair(text)                            # caches warm
    tracemalloc.start()
    try:
        repair(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # measured 6.4x sys.getsizeof(text) (12.8 MB for a 2 MB str)
    assert peak < 12 * sys.getsizeof(text), peak


def _garbled_peak(n: int) -> tuple[int, int]:
    """(peak traced bytes of one repair, sys.getsizeof of the input) for
    ``n`` characters of clean text garbled losslessly on one line."""
    original = _clean_hans(n).replace("\n", "，")
    garbled = luanma.corrupt(original, "utf-8 -> cp1252:c1").text
    # the model's own caches (bounded, shared by every call) are warmed
    # first: what is measured is the call's working memory
    repair(garbled)
    tracemalloc.start()
    try:
        out = repair(garbled)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out == original
    return peak, sys.getsizeof(garbled)


def test_memory_of_one_call_on_garbled_text_does_not_grow_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A search keeps only its live paths (back-pointers link to what they
    extend; a node's table is dropped once done), its score memo is bounded,
    and a window longer than detect.MAX_SEARCH is searched in pieces: peak
    memory is a fixed working set plus the input's own copies.  Here the
    pieces are made small so that a short text shows it: four times the
    text, about the same peak (the memo is made small too, so that the
    fixed set fills at this size).  (Before: ~15 KB a character, growing with
    the window: 30.7 MB for 2,041 garbled characters.)"""
    from luanma import detect

    monkeypatch.setattr(detect, "MAX_SEARCH", 200)
    monkeypatch.setattr(detect, "MEMO_LIMIT", 2_000)
    small, small_size = _garbled_peak(150)
    large, large_size = _garbled_peak(600)
    assert large_size > 3.5 * small_size
    # On top of the fixed set, what grows is the spans found (each garbled
    # word is one span with its texts): measured 94 bytes a byte of input.
    assert large < small + 150 * (large_size - small_size), (small, large)


#: Model calls one more loss mark may cost where no known byte stands beside
#: it (measured: about 4, for the passes that look at every character).
CALLS_PER_BARE_MARK = 10


@pytest.mark.parametrize("mark", ["\ufffd", "?", "\ue000"])
@pytest.mark.parametrize("before", ["", "鐢辨湀瑕佸ソ"], ids=["alone", "after-mojibake"])
def test_a_run_of_loss_marks_costs_almost_nothing(mark: str, before: str) -> None:
    """A mark with no known byte beside it has nothing to decode: guessing
    there would be invention, so it is not searched.  (A run of U+FFFD once
    cost ~25 ms and ~15,000 model calls a character.)"""
    short, calls_short = rp.counted_repair(before + mark * 20)
    long, calls_long = rp.counted_repair(before + mark * 200)
    assert long == before + mark * 200 or long == short + mark * 180
    assert calls_long - calls_short <= CALLS_PER_BARE_MARK * 180, (calls_short, calls_long)


@pytest.mark.parametrize("text", ["??筏??諡賄??????", "\ufffd?" * 40, "中\ufffd" * 20,
                                  "鐢辨湀瑕佸ソ\ufffd" * 4],
                         ids=["qmarks-and-cjk", "fffd-qmark-x40", "cjk-fffd-x20", "mojibake-fffd-x4"])
def test_marks_among_known_bytes_stay_within_the_budget(text: str) -> None:
    """Where marks stand beside known bytes, guesses are weighed -- within
    the call's work budget (the first text once took 6.5 s: 20 s under
    atheris)."""
    out, calls = rp.counted_repair(text)
    assert calls <= rp.call_limit(text), calls
    assert rp.check_one_run(text).out == out


def _searched(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Characters passed to the search from now on (one per hypothesis)."""
    from luanma import detect

    box = [0]
    search = detect.search

    def counted(text, *a, **k):
        box[0] += len(text)
        return search(text, *a, **k)
    monkeypatch.setattr(detect, "search", counted)
    return box


def test_clean_mixed_language_text_is_not_searched_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    # Was a strict xfail: clean text was searched whole when the document
    # mixed Japanese and Korean lines (a document-level 'utf8' signature):
    # 6,000 clean zh-Hans characters after them were searched under 8
    # hypotheses (50,067 characters vs 1,044 for the two lines alone).  Long
    # texts now go line by line (repair.LONG_TEXT).
    texts = corpus_texts()
    ja = next(t for t in texts if "DH_VERBOSE" in t)
    ko = next(t for t in texts if t.startswith("◎ 파이썬(Python)은"))
    head = ja + "\n" + ko
    text = head + "\n" + _clean_hans(6000)
    searched = _searched(monkeypatch)
    assert repair(head) is head
    alone = searched[0]
    assert repair(text) is text
    # the clean text the fast path proves clean on its own costs no search
    assert searched[0] - alone <= 2 * alone, (alone, searched[0] - alone)


# ------------------------------------------------------------ minimal repros of bugs found

def test_bug_idempotent_lost_mark() -> None:
    out = repair("乪\ufffd")
    assert repair(out) == out


def test_bug_idempotent_latin1_half_repaired() -> None:
    out = repair("¦òßÈ")
    assert repair(out) == out


def test_bug_idempotent_big5_marks() -> None:
    out = repair("閮剖?摰??")
    assert repair(out) == out


def test_bug_span_layer_does_not_explain_it() -> None:
    # was '伀特に' labelled 'utf-8 -> gbk | gbk -> cp1252:c1', which cannot
    # garble '伀特に' back (the true chain is utf-8 -> cp1252:c1 from
    # mid-character): a two-layer span is now kept only if its chain,
    # applied to the repair, gives the garbled text
    rp.check_all("\x81«ç‰¹ã\x81«")


def test_bug_two_layer_span_rewrites_its_last_character() -> None:
    # was 'にもなり引' labelled 'gbk -> big5 | big5 -> cp1252', which garbles
    # it into '¤Ë¤â¤Ê¤êÒý'
    r = rp.check_all("¤Ë¤â¤Ê¤ê¤Þ")
    assert r.out == "にもなりま"


@pytest.mark.parametrize("text", ["中\ufffd" * 10, "中\ufffd" * 5, "的\ufffd是\ufffd" * 4],
                         ids=["x10", "x5", "two-characters-x4"])
def test_bug_correct_text_with_lost_characters_is_left_alone(text: str) -> None:
    # was '中港葉其葉其...': Big5 read as UTF-8 "gained" by filling each
    # U+FFFD with a guess (a mark scores far below any character) while
    # rewriting the correct 中 between them; the gain a span needs must now
    # come from the characters its known bytes decide
    assert repair(text) is text
