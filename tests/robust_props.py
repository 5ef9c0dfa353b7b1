"""Properties of issue 8 (robustness for unattended ETL) and the inputs they
run on, shared by ``tests/test_robustness.py`` (CI-sized) and
``benchmarks/properties.py`` (>= 100,000 cases).

Each ``check_*`` function takes the input and one :class:`Run` of the
library on it, and raises :class:`PropertyFailure` naming the property and
what broke.  They are written from the public API and the documented
meaning of a plan, not from ``RepairPlan.apply``: a check that only
re-runs the library's own code could not fail.

Definitions
-----------

*outside-unchanged*: apply each round's :class:`~luanma.SpanFix` edits by
hand (start/end of each fix in that round's text, in order, no overlap, the
text there equal to ``garbled``).  The result must be the output, so every
input character outside the reported spans reaches the output unchanged and
in order.

*no-silent-deletion*: every character that leaves the text leaves inside a
reported span (the check above), and every span *explains* what it
removed: its layer, pushed forward over its repair, gives back exactly the
garbled text it replaced --
``corrupt(repaired, layer).text == garbled`` (``luanma.corrupt`` is the
library's model of what software did), where each character the repair left
as U+FFFD (``SpanFix.lost``) is first replaced by the best guess that
``diagnose()`` notes for it (a lost character is noted, so a missing note is
a failure too); for a span ftfy made (``ftfy: ...`` layers), ftfy's plan
re-applied to the text of that round must give the round's output.  A span
that dropped characters without a layer that turns its repair into them --
or a repair that came out shorter with no span at all -- fails.
"""

from __future__ import annotations

import ast
import random
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

import luanma
from luanma import RepairPlan, corrupt, diagnose, repair, repair_and_explain

sys.path.insert(0, str(Path(__file__).resolve().parent))
from strategies import corpus_texts  # noqa: E402


class PropertyFailure(AssertionError):
    def __init__(self, prop: str, text: str, detail: str) -> None:
        super().__init__(f"{prop}: {detail} -- input {text[:200]!r}")
        self.prop = prop
        self.text = text


@dataclass
class Run:
    """One input's results from every public entry point."""

    text: str
    out: str
    explained: str
    plan: RepairPlan
    diagnosis: luanma.Diagnosis


def run(text: str) -> Run:
    """Call repair, repair_and_explain and diagnose (the *total* property:
    any exception escapes to the caller as a failure)."""
    out = repair(text)
    explained, plan = repair_and_explain(text)
    d = diagnose(text)
    return Run(text, out, explained, plan, d)


# ---------------------------------------------------------------- properties

def check_total(r: Run) -> None:
    """No exception (see :func:`run`), str results, and an empty plan means
    the input came back unchanged (as the very same object from repair())."""
    for name, v in (("repair", r.out), ("repair_and_explain", r.explained),
                    ("diagnose", r.diagnosis.repaired)):
        if type(v) is not str:
            raise PropertyFailure("total", r.text, f"{name} returned {type(v).__name__}")
    if not r.plan and r.explained != r.text:
        raise PropertyFailure("total", r.text, f"changed to {r.explained!r} with an empty plan")


def check_deterministic_in_process(r: Run) -> None:
    """repair, repair_and_explain and diagnose each ran the whole pipeline
    on the same input: outputs and plans (as JSON) must be identical, so
    caches, adapted models and budgets carry no state between calls."""
    if not (r.out == r.explained == r.diagnosis.repaired):
        raise PropertyFailure("deterministic", r.text, f"calls disagree: {r.out!r} / "
                              f"{r.explained!r} / {r.diagnosis.repaired!r}")
    if r.plan.to_json() != r.diagnosis.plan.to_json():
        raise PropertyFailure("deterministic", r.text, f"plans differ: {r.plan} / "
                              f"{r.diagnosis.plan}")


def check_idempotent(r: Run) -> None:
    again = repair(r.out)
    if again != r.out:
        raise PropertyFailure("idempotent", r.text, f"repair(x) = {r.out!r} but "
                              f"repair(repair(x)) = {again!r}")


def check_plan_reapplies(r: Run) -> None:
    """The plan, as is and through JSON, re-applies to the input to give the output."""
    try:
        stored = RepairPlan.from_json(r.plan.to_json())
        if stored != r.plan:
            raise PropertyFailure("plan-reapplies", r.text, "plan changed through JSON")
        for p in (r.plan, stored):
            got = p.apply(r.text)
            if got != r.out:
                raise PropertyFailure("plan-reapplies", r.text, f"apply gave {got!r}, "
                                      f"repair gave {r.out!r}")
    except luanma.LuanmaError as exc:
        raise PropertyFailure("plan-reapplies", r.text, f"{type(exc).__name__}: {exc}") from exc


def splice_rounds(text: str, plan: RepairPlan) -> tuple[str, list[int], str | None]:
    """Apply ``plan`` by hand.  Returns the result, for each result character
    the input index it came from (-1: written by a fix), and an error."""
    cur, origin = text, list(range(len(text)))
    for k, fixes in enumerate(plan.rounds):
        pos = 0
        parts: list[str] = []
        orig: list[int] = []
        for f in sorted(fixes, key=lambda f: f.start):
            if not (pos <= f.start <= f.end <= len(cur)):
                return cur, origin, f"round {k + 1}: fix [{f.start}:{f.end}] overlaps or is out of range"
            if cur[f.start:f.end] != f.garbled:
                return cur, origin, (f"round {k + 1}: text at [{f.start}:{f.end}] is "
                                     f"{cur[f.start:f.end]!r}, fix says {f.garbled!r}")
            parts += [cur[pos:f.start], f.repaired]
            orig += origin[pos:f.start] + [-1] * len(f.repaired)
            pos = f.end
        parts.append(cur[pos:])
        orig += origin[pos:]
        cur, origin = "".join(parts), orig
    return cur, origin, None


def check_outside_unchanged(r: Run) -> None:
    spliced, origin, err = splice_rounds(r.text, r.plan)
    if err:
        raise PropertyFailure("outside-unchanged", r.text, err)
    if spliced != r.out:
        raise PropertyFailure("outside-unchanged", r.text, f"spans applied by hand give "
                              f"{spliced!r}, repair gave {r.out!r}")
    kept = [i for i in origin if i >= 0]
    if kept != sorted(set(kept)) or any(r.text[i] != spliced[j]
                                         for j, i in enumerate(origin) if i >= 0):
        raise PropertyFailure("outside-unchanged", r.text, "characters outside spans moved")


_LOST_NOTE = re.compile(
    r"^lost character at \[(\d+):(\d+)\] (.*), position (\d+) of the repair: left as "
    r"U\+FFFD \(best guess ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\") at ", re.S)


def _best_guesses(d: luanma.Diagnosis) -> dict[tuple[int, int, str], dict[int, str]]:
    out: dict[tuple[int, int, str], dict[int, str]] = {}
    for note in d.notes:
        m = _LOST_NOTE.match(note)
        if m:
            key = (int(m[1]), int(m[2]), ast.literal_eval(m[3]))
            out.setdefault(key, {})[int(m[4])] = ast.literal_eval(m[5])
    return out


def _ftfy_steps(layer: str) -> list[tuple[str, str]]:
    return [tuple(step.split(" ", 1)) for step in layer[len("ftfy: "):].split(", ")]  # type: ignore[misc]


def check_no_silent_deletion(r: Run) -> None:
    """See the module docstring for the definition."""
    if len(r.out) < len(r.text) and not r.plan:
        raise PropertyFailure("no-silent-deletion", r.text, "shorter output, no span")
    guesses = _best_guesses(r.diagnosis)
    cur = r.text
    for k, fixes in enumerate(r.plan.rounds):
        nxt = RepairPlan((fixes,)).apply(cur) if all(cur[f.start:f.end] == f.garbled
                                                     for f in fixes) else None
        if nxt is None:
            raise PropertyFailure("no-silent-deletion", r.text, f"round {k + 1} does not fit")
        for f in fixes:
            if f.layer.startswith("ftfy: "):
                import ftfy
                try:
                    want = ftfy.apply_plan(cur, _ftfy_steps(f.layer))
                except Exception as exc:    # noqa: BLE001 -- an unparsable layer is a failure
                    want = f"<{type(exc).__name__}: {exc}>"
                if want != nxt:
                    raise PropertyFailure("no-silent-deletion", r.text,
                                          f"ftfy span {f}: ftfy's plan gives {want!r}")
                continue
            chars = list(f.repaired)
            for i in f.lost:
                if not (0 <= i < len(chars)) or chars[i] != "\ufffd":
                    raise PropertyFailure("no-silent-deletion", r.text,
                                          f"span {f}: lost index {i} is not a U+FFFD")
                g = guesses.get((f.start, f.end, f.garbled), {}).get(i)
                if g is None:
                    raise PropertyFailure("no-silent-deletion", r.text,
                                          f"span {f}: lost character {i} has no note")
                chars[i] = g
            try:
                back = corrupt("".join(chars), f.layer).text
            except luanma.LuanmaError as exc:
                back = f"<{type(exc).__name__}: {exc}>"
            if back != f.garbled:
                raise PropertyFailure("no-silent-deletion", r.text,
                                      f"span {f}: its layer garbles the repair into "
                                      f"{back!r}, not the text it replaced")
        cur = nxt


PROPERTIES = {
    "total": check_total,
    "deterministic": check_deterministic_in_process,
    "idempotent": check_idempotent,
    "plan-reapplies": check_plan_reapplies,
    "outside-unchanged": check_outside_unchanged,
    "no-silent-deletion": check_no_silent_deletion,
}


def check_one_run(text: str) -> Run:
    """The checks that need one run of the pipeline (diagnose): output
    consistent with its plan, outside-unchanged, no-silent-deletion,
    plan-reapplies, idempotent -- for inputs too costly to run thrice
    (:func:`check_all` runs all three entry points)."""
    d = diagnose(text)
    r = Run(text, d.repaired, d.repaired, d.plan, d)
    for fn in (check_total, check_outside_unchanged, check_no_silent_deletion,
               check_plan_reapplies, check_idempotent):
        fn(r)
    return r


def check_all(text: str, skip: tuple[str, ...] = ()) -> Run:
    try:
        r = run(text)
    except Exception as exc:
        raise PropertyFailure("total", text, f"raised {type(exc).__name__}: {exc}") from exc
    for name, fn in PROPERTIES.items():
        if name not in skip:
            fn(r)
    return r


# ---------------------------------------------------------------- work, not seconds

#: Model calls allowed per unit of a call's Work budget (search expansions +
#: re-ranking calls, :meth:`luanma.detect.Work.for_text`): an expansion costs
#: a few model calls, so the bound is a small multiple.
MODEL_CALLS_PER_UNIT = 4
_COUNTED = ("logp", "score", "per_char", "context_logp", "fill_logp", "word_logp")


@contextmanager
def model_calls() -> Iterator[list[int]]:
    """Count the language model's calls (every public scoring method, of the
    base and of adapted models; a method calling another counts twice) while
    the block runs: ``with model_calls() as n: repair(x)`` then ``n[0]``.

    Work is measured this way, never in seconds: a count is the same on
    every machine and under any load.  (Patches the classes: one thread.)
    """
    from luanma import model as m

    box = [0]
    saved = []
    for cls in (m.LanguageModel, m.AdaptedModel):
        for name in _COUNTED:
            f = cls.__dict__.get(name)
            if f is None:
                continue

            def counted(*a, _f=f, **k):
                box[0] += 1
                return _f(*a, **k)
            saved.append((cls, name, f))
            setattr(cls, name, counted)
    try:
        yield box
    finally:
        for cls, name, f in saved:
            setattr(cls, name, f)


def call_limit(text: str) -> float:
    """The most model calls one repair() of ``text`` may make: its Work
    budget times MODEL_CALLS_PER_UNIT."""
    from luanma.detect import Work

    budget = Work.for_text(text)
    return MODEL_CALLS_PER_UNIT * (budget.left + budget.rerank)


def counted_repair(text: str) -> tuple[str, int]:
    """repair(text) and the model calls it made (the model loads first,
    outside the count)."""
    luanma.repair("x")
    with model_calls() as n:
        out = repair(text)
    return out, n[0]


# ---------------------------------------------------------------- inputs

#: Garbling plans from the issue, plus lossy Windows/WHATWG readings.
PLANS = ("utf-8 -> gbk", "utf-8 -> gbk:win", "utf-8 -> shift_jis", "gbk -> big5",
         "utf-8 -> cp1252:c1", "utf-8 -> gbk:whatwg", "utf-8 -> big5", "utf-8 -> cp949",
         "utf-8 -> gbk | utf-8 -> cp1252:c1", "gbk -> cp1252:c1")

CJK = ([chr(c) for c in range(0x4E00, 0x9FFF, 53)] + [chr(c) for c in range(0x3041, 0x30FF, 5)]
       + [chr(c) for c in range(0xAC00, 0xD7A3, 97)])
ASCII = [chr(c) for c in range(0x20, 0x7F)]
CONTROL = [chr(c) for c in range(0x00, 0x20)] + ["\x7f"] + [chr(c) for c in range(0x80, 0xA0)]
PUA = ["\ue000", "\ue5e5", "\uf8ff", "\U000f0000", "\U0010fffd"]
SURROGATES = ["\ud800", "\udbff", "\udc80", "\udcff", "\udfff"]
MARKS = ["?", "\ufffd", "・", "锟", "斤", "拷"]

#: Everything ``str`` allows: surrogates and unassigned code points included.
any_unicode = st.text(st.characters(codec=None), max_size=60)

#: What ``bytes.decode("utf-8", "surrogateescape")`` makes of arbitrary bytes.
surrogateescaped = st.binary(max_size=60).map(lambda b: b.decode("utf-8", "surrogateescape"))

#: Control characters, NUL, C1, PUA, lone surrogates, loss marks between CJK.
hostile_mix = st.text(st.sampled_from(CONTROL + PUA + SURROGATES + MARKS + CJK[:40]
                                      + list("ab ?\n")), max_size=60)


@st.composite
def corpus_garbled(draw: st.DrawFn) -> str:
    """Corpus text garbled by a plan (whole, or one stretch inside clean
    text), then randomly damaged: characters replaced by '?', U+FFFD or
    control characters, deleted, or a surrogate inserted."""
    texts = corpus_texts()
    t = draw(st.sampled_from(texts))
    a = draw(st.integers(0, max(len(t) - 1, 0)))
    t = t[a:a + draw(st.integers(1, 120))] or t
    plan = draw(st.sampled_from(PLANS))
    if draw(st.booleans()):
        i = draw(st.integers(0, len(t)))
        j = draw(st.integers(i, len(t)))
    else:
        i, j = 0, len(t)
    try:
        g = t[:i] + corrupt(t[i:j], plan).text + t[j:]
    except luanma.LuanmaError:
        g = t           # not representable in that encoding: clean text is a case too
    n = draw(st.integers(0, 3))
    chars = list(g)
    for _ in range(n):
        if not chars:
            break
        k = draw(st.integers(0, len(chars) - 1))
        op = draw(st.sampled_from(["?", "\ufffd", "del", "ctrl", "sur", "dup"]))
        if op == "del":
            del chars[k]
        elif op == "ctrl":
            chars[k] = draw(st.sampled_from(CONTROL))
        elif op == "sur":
            chars.insert(k, draw(st.sampled_from(SURROGATES)))
        elif op == "dup":
            chars.insert(k, chars[k])
        else:
            chars[k] = op
    return "".join(chars)


#: UTF-8 words shown through GBK, Shift_JIS and Big5 (Windows readings).
_GARBLED_WORDS = [corrupt(w, p).text for w in ("由月要好", "设置完成", "日本語のテキスト", "한국어")
                  for p in ("utf-8 -> gbk:win", "utf-8 -> shift_jis:win", "utf-8 -> big5:win")]


@st.composite
def adversarial(draw: st.DrawFn, max_run: int = 40) -> str:
    """Inputs aimed at the search: runs of '?', U+FFFD and PUA characters
    (alone or between garbled CJK), CJK/ASCII alternating at every position,
    high-byte pairs that every CJK decoder reads (mojibake under several
    chains at once), and pieces garbled by different chains side by side."""
    kind = draw(st.sampled_from(["run", "run-in-text", "alternate", "pairs", "chains"]))
    if kind == "run":
        ch = draw(st.sampled_from(["?", "\ufffd", "\ue000", "\uf8ff", "・", "锟斤拷"]))
        return ch * draw(st.integers(1, max_run))
    if kind == "run-in-text":
        g = draw(st.sampled_from(_GARBLED_WORDS))
        ch = draw(st.sampled_from(["?", "\ufffd", "\ue000"]))
        n = draw(st.integers(1, max_run))
        return draw(st.sampled_from([g + ch * n, ch * n + g, g[:2] + ch * n + g[2:],
                                     (g[:1] + ch) * (n // 2 + 1)]))
    if kind == "alternate":
        n = draw(st.integers(1, 60))
        cjk = draw(st.lists(st.sampled_from(CJK), min_size=n, max_size=n))
        asc = draw(st.lists(st.sampled_from(ASCII + MARKS[:2]), min_size=n, max_size=n))
        first = draw(st.booleans())
        return "".join(a + b if first else b + a for a, b in zip(cjk, asc))
    if kind == "pairs":
        raw = bytes(draw(st.lists(st.integers(0xA1, 0xFE), min_size=2, max_size=60)))
        dec = draw(st.sampled_from(["gbk", "big5", "euc_kr", "cp932", "utf-8", "cp1252"]))
        return raw.decode(dec, "replace")
    pieces = draw(st.lists(st.tuples(st.sampled_from(corpus_texts()), st.sampled_from(PLANS),
                                     st.integers(0, 200)), min_size=2, max_size=3))
    out = []
    for t, plan, a in pieces:
        t = t[a % max(len(t), 1):][:20] or t
        try:
            out.append(corrupt(t, plan).text)
        except luanma.LuanmaError:
            out.append(t)
    return draw(st.sampled_from([" ", "", "\n", "、"])).join(out)


#: name -> strategy; the script and the tests draw from the same ones.
SOURCES = {
    "unicode": any_unicode,
    "surrogateescape": surrogateescaped,
    "hostile-mix": hostile_mix,
    "corpus-garbled": corpus_garbled(),
    "adversarial": adversarial(),
}


def seeded_inputs(n: int, seed: int = 0) -> list[str]:
    """A fixed list of awkward inputs (for the cross-process tests)."""
    rng = random.Random(seed)
    texts = corpus_texts()
    out = ["", "\x00", "\udcff\udc80", "\ufffd?" * 5, "中a" * 20, "鐢辨湀瑕佸ソ",
           "## 涓轰粈涔堥渶瑕?Sego", "ÎÒÓ¦¸ÃÈçºÎÈ·ÈÏ", "縺薙ｓ縺ｫ", "锟斤拷锟斤拷要锟矫猴拷"]
    while len(out) < n:
        t = rng.choice(texts)
        a = rng.randrange(len(t))
        t = t[a:a + rng.randrange(5, 60)]
        try:
            out.append(corrupt(t, rng.choice(PLANS)).text)
        except luanma.LuanmaError:
            out.append(t)
    return out[:n]


def pack(text: str) -> str:
    """``text`` as hex of its UTF-8 with lone surrogates kept
    (``surrogatepass``).  JSON is not lossless here: a lone high surrogate
    followed by a lone low one is written as a pair of escapes that reads
    back as one astral character."""
    return text.encode("utf-8", "surrogatepass").hex()


def unpack(data: str) -> str:
    return bytes.fromhex(data).decode("utf-8", "surrogatepass")


#: a child process's program: packed texts on stdin -> packed (output, plan JSON) on stdout
CHILD = (
    "import json, sys\n"
    "from luanma import repair_and_explain\n"
    "def pack(t): return t.encode('utf-8', 'surrogatepass').hex()\n"
    "texts = [bytes.fromhex(h).decode('utf-8', 'surrogatepass') for h in json.load(sys.stdin)]\n"
    "json.dump([[pack(o), pack(p.to_json())] for o, p in map(repair_and_explain, texts)], sys.stdout)\n"
)


def packed_results(texts: list[str]) -> list[list[str]]:
    """What CHILD prints, computed in this process."""
    return [[pack(o), pack(p.to_json())] for o, p in map(repair_and_explain, texts)]
