"""repair(): fast path -> detect -> decode -> score -> decide.

>>> repair("Sego 鍥炬爣")
'Sego 图标'
>>> text = "这是正常的中文。"
>>> repair(text) is text
True
>>> fixed, plan = repair_and_explain("## 涓轰粈涔堥渶瑕?Sego")
>>> fixed
'## 为什么需要 Sego'
>>> print(plan)
[3:11] utf-8 -> gbk:win '涓轰粈涔堥渶瑕?' -> '为什么需要 ' (2 reconstructed)
>>> RepairPlan.from_json(plan.to_json()).apply("## 涓轰粈涔堥渶瑕?Sego") == fixed
True
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from .detect import Hypothesis, Reconstruction, SpanRepair, Work, find_spans, hypothesis_of
from .dropped import Dropped, find_dropped
from .errors import PlanSyntaxError
from .fastpath import FTFY, LEGACY, SHIFTED, UTF8, signatures
from .misaligned import MIN_SHIFTED, SHIFT_PENALTY, Shifted, cut_streams
from .residue import Residue, clean, residue_note, script_config

__all__ = ["repair", "repair_and_explain", "diagnose", "Diagnosis", "Damage",
           "SpanFix", "RepairPlan", "MIN_CONFIDENCE", "MIN_GUESS_CONFIDENCE"]

#: A span is applied when the odds that it is mojibake at all reach this...
MIN_CONFIDENCE = 0.99
#: (Weaker spans are reported by diagnose() but not applied.)
#: A character rebuilt from lost bytes is written only if it beats all its
#: rivals together; otherwise it stays visibly lost (U+FFFD).
MIN_GUESS_CONFIDENCE = 0.5
#: ...and one none of whose bytes survived must be near certain.
MIN_BLIND_CONFIDENCE = 0.99
#: ...or nearly, where one lost byte is known to be one of a few values (the
#: five windows-1252 leaves undefined): on the real Android strings this
#: let through 6 right picks and 1 wrong one ("启用" for "可用"), where 0.5
#: let through 12 wrong ones.
MIN_NARROWED_CONFIDENCE = 0.9
#: Rounds of search: a repaired span may itself be mojibake of an older layer.
MAX_ROUNDS = 3


@dataclass(frozen=True)
class SpanFix:
    """One applied edit: ``garbled`` at ``[start:end)`` became ``repaired``.

    >>> fix = diagnose("Sego 鍥炬爣").spans[0]
    >>> fix.start, fix.end, fix.layer, fix.garbled, fix.repaired, fix.confidence
    (5, 8, 'utf-8 -> gbk', '鍥炬爣', '图标', 1.0)
    >>> print(fix)
    [5:8] utf-8 -> gbk '鍥炬爣' -> '图标'
    """

    start: int
    end: int
    layer: str
    garbled: str
    repaired: str
    confidence: float
    reconstructed: tuple[int, ...] = ()   # indexes into ``repaired`` that were guessed
    lost: tuple[int, ...] = ()            # indexes into ``repaired`` left as U+FFFD

    def __str__(self) -> str:
        notes = []
        if self.reconstructed:
            notes.append(f"{len(self.reconstructed)} reconstructed")
        if self.lost:
            notes.append(f"{len(self.lost)} lost")
        extra = f" ({', '.join(notes)})" if notes else ""
        return f"[{self.start}:{self.end}] {self.layer} {self.garbled!r} -> {self.repaired!r}{extra}"


@dataclass(frozen=True)
class RepairPlan:
    """What repair() did, as data: rounds of span edits, each round applied
    to the output of the one before.  Prints, stores as JSON, re-applies.

    >>> fixed, plan = repair_and_explain("Sego 鍥炬爣")
    >>> len(plan.fixes), bool(plan)
    (1, True)
    >>> RepairPlan.from_json(plan.to_json()).apply("Sego 鍥炬爣")
    'Sego 图标'
    >>> print(repair_and_explain("这是正常的中文。")[1])
    (no change)
    """

    rounds: tuple[tuple[SpanFix, ...], ...] = ()

    def __str__(self) -> str:
        if not self.rounds:
            return "(no change)"
        lines = []
        for i, fixes in enumerate(self.rounds):
            prefix = f"round {i + 1}: " if len(self.rounds) > 1 else ""
            lines.extend(prefix + str(f) for f in fixes)
        return "\n".join(lines)

    def __bool__(self) -> bool:
        return bool(self.rounds)

    @property
    def fixes(self) -> tuple[SpanFix, ...]:
        return tuple(f for r in self.rounds for f in r)

    def apply(self, text: str) -> str:
        """Re-apply the edits; raises if ``text`` is not what the plan was made on."""
        for fixes in self.rounds:
            text = _apply_fixes(text, fixes)
        return text

    def to_json(self) -> str:
        return json.dumps([[f.__dict__ | {"reconstructed": list(f.reconstructed),
                                          "lost": list(f.lost)}
                            for f in r] for r in self.rounds], ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> RepairPlan:
        try:
            rounds = json.loads(data)
            return cls(tuple(tuple(SpanFix(**(d | {"reconstructed": tuple(d["reconstructed"]),
                                                   "lost": tuple(d.get("lost", ()))}))
                                   for d in r) for r in rounds))
        except (ValueError, TypeError, KeyError) as exc:
            raise PlanSyntaxError(f"bad repair plan JSON: {exc}") from None


def _apply_fixes(text: str, fixes: tuple[SpanFix, ...]) -> str:
    out, pos = [], 0
    for f in sorted(fixes, key=lambda f: f.start):
        if text[f.start:f.end] != f.garbled or f.start < pos:
            raise PlanSyntaxError(f"plan does not fit this text at [{f.start}:{f.end}]")
        out.append(text[pos:f.start])
        out.append(f.repaired)
        pos = f.end
    out.append(text[pos:])
    return "".join(out)


@dataclass(frozen=True)
class Damage:
    """Damage luanma reports but cannot undo (the bytes are gone)."""

    start: int
    end: int
    kind: str      # 'kunkaokao' (锟斤拷), 'replacement-run', 'question-run', 'tangtang', 'tuntun'
    text: str


@dataclass(frozen=True)
class Diagnosis:
    """Everything diagnose() found: applied spans, withheld guesses, damage.

    >>> d = diagnose("锟斤拷锟斤拷 Sego 鍥炬爣")
    >>> d.changed, d.repaired
    (True, '锟斤拷锟斤拷 Sego 图标')
    >>> [f.layer for f in d.spans], [x.kind for x in d.damage]
    (['utf-8 -> gbk'], ['kunkaokao'])
    >>> d.notes
    ("kunkaokao at [0:6] '锟斤拷锟斤拷': the bytes are lost, left as is",)
    """

    text: str
    repaired: str
    plan: RepairPlan
    withheld: tuple[SpanRepair, ...] = ()
    damage: tuple[Damage, ...] = ()
    notes: tuple[str, ...] = field(default=())
    #: pinyin annotations (luanma.residue), at their places in the text after
    #: the mojibake repair (``plan.apply(text)``), before any opt-in cleaning
    residue: tuple[Residue, ...] = ()

    @property
    def changed(self) -> bool:
        return self.repaired != self.text

    @property
    def spans(self) -> tuple[SpanFix, ...]:
        return self.plan.fixes


_DAMAGE = [
    ("kunkaokao", re.compile(r"(?:锟斤拷|锟斤|斤拷)+锟?")),
    ("tangtang", re.compile(r"烫{3,}")),
    ("tuntun", re.compile(r"屯{3,}")),
    ("replacement-run", re.compile(r"\ufffd{2,}")),
    ("question-run", re.compile(r"\?{4,}")),
]


#: A character every pattern of ``_DAMAGE`` needs: text without one (most
#: repaired text) is answered by one scan instead of five.
_DAMAGE_ANY = re.compile("[锟斤烫屯\ufffd?]")


def find_damage(text: str) -> tuple[Damage, ...]:
    """Irrecoverable damage: 锟斤拷, runs of U+FFFD or '?', 烫烫烫/屯屯屯.

    >>> [(d.kind, d.text) for d in find_damage("锟斤拷锟斤拷要锟矫猴拷")]
    [('kunkaokao', '锟斤拷锟斤拷')]
    """
    if _DAMAGE_ANY.search(text) is None:
        return ()
    out = []
    for kind, rx in _DAMAGE:
        out.extend(Damage(m.start(), m.end(), kind, m.group()) for m in rx.finditer(text))
    return tuple(sorted(out, key=lambda d: d.start))


#: What a character whose bytes are gone, and that no guess fills with
#: confidence, becomes: visibly lost rather than invented.
LOST = "\ufffd"


def _unsure(r: Reconstruction) -> bool:
    """A rebuilt character to leave as U+FFFD."""
    if r.blind and (r.char.isdigit() or r.digit_share >= r.confidence):
        # no context knows a number (a swallowed "2" of "250G"), however
        # sure the model is that "3站" reads well -- nor whether a number
        # was there at all, when digits together are as likely as the pick
        # ("了1" is not "了 " just because a space beats each digit alone)
        return True
    if r.blind and ord(r.char) >= 0x80:
        # every byte of it is gone: only context speaks for it, and context
        # favours common characters ("이" for a lost box-drawing "│")
        return r.confidence < MIN_BLIND_CONFIDENCE
    if r.narrowed and ord(r.char) >= 0x80:
        return r.confidence < MIN_NARROWED_CONFIDENCE
    return r.confidence < MIN_GUESS_CONFIDENCE


def _fix(span: SpanRepair) -> SpanFix:
    """The edit for ``span``; rebuilt characters :func:`_unsure` picks
    become U+FFFD, so the rest of the span can be repaired without
    inventing them."""
    weak = {r.index for r in span.reconstructed if _unsure(r)}
    repaired = "".join(LOST if i in weak else c for i, c in enumerate(span.repaired)) \
        if weak else span.repaired
    sure = [r for r in span.reconstructed if r.index not in weak]
    confidence = span.gain_odds
    for r in sure:
        confidence *= r.confidence
    return SpanFix(span.start, span.end, str(span.layer), span.garbled, repaired,
                   round(confidence, 4), tuple(r.index for r in sure), tuple(sorted(weak)))


def _lost_note(span: SpanRepair) -> list[str]:
    return [_lost_text(span.start, span.end, span.garbled, r.index, r.char, r.confidence, r.alternatives)
            for r in span.reconstructed if _unsure(r)]


def _lost_text(start: int, end: int, garbled: str, index: int, char: str, confidence: float,
               alternatives: tuple[str, ...]) -> str:
    """The note for a character left as U+FFFD, with the best guess."""
    return (f"lost character at [{start}:{end}] {garbled!r}, position {index} "
            f"of the repair: left as U+FFFD (best guess {char!r} at {confidence:.2f}, "
            f"also {', '.join(map(repr, alternatives)) or 'nothing else'})")


def _check_text(text: object) -> str:
    if not isinstance(text, str):
        raise TypeError(f"luanma works on str, not {type(text).__name__}; "
                        "use repair_bytes() for bytes")
    return text


def diagnose(text: str, min_confidence: float = MIN_CONFIDENCE, *,
             strip_pinyin: bool = False, script: str = "keep",
             assume: Sequence[str] = ()) -> Diagnosis:
    """Find mojibake spans, their repairs and damage (see
    :func:`_diagnose_mojibake`), then script-conversion residue: pinyin
    annotations such as ``網(wǎng)`` (``residue``, luanma.residue), which
    are not garbled and stay unless asked.  Opt-in, after the mojibake
    repair: ``strip_pinyin`` removes the annotations, ``script`` converts
    the text with OpenCC ("simplified", "traditional", an OpenCC
    configuration name, or "keep").

    ``assume``: chains known, from other records of the same source, to
    have garbled it (``["gbk -> big5"]``: a column whose GBK bytes were read
    as Big5).  Each is searched whatever the text shows, and a piece of it
    needs no more proof than reading better than what stands there -- as
    inside one text once the chain is proven there.  For a value too short
    to prove anything on its own (``Iron=沺``); never for guessing which
    chain a source went through (:func:`luanma.batch.repair_many` with
    ``share_evidence`` finds them).

    >>> d = diagnose("網(wǎng)易首頁(yè)")
    >>> d.repaired, [r.reading for r in d.residue]
    ('網(wǎng)易首頁(yè)', ['wǎng', 'yè'])
    >>> diagnose("網(wǎng)易首頁(yè)", strip_pinyin=True, script="simplified").repaired
    '网易首页'
    """
    config = script_config(script)          # a bad name fails before any work
    assumed = assumed_hypotheses(assume)
    d = _diagnose_mojibake(text, min_confidence, assumed)
    out, found = clean(d.repaired, strip_pinyin=strip_pinyin, script=script)
    if not found and config is None:
        return d
    note = residue_note(found, strip_pinyin)
    if config is not None and out != d.repaired:
        note = (note + "; " if note else "") + f"script converted with OpenCC {config}"
    return replace(d, repaired=text if out == text else out, residue=found,
                   notes=d.notes + ((note,) if note else ()))


def assumed_hypotheses(assume: Sequence[str]) -> tuple[Hypothesis, ...]:
    """The hypotheses ``assume`` names (see :func:`diagnose`), checked.

    >>> assumed_hypotheses(["gbk -> big5"])
    (Hypothesis(encoding='gbk', family='big5', marks=''),)
    >>> assumed_hypotheses("gbk -> big5")
    Traceback (most recent call last):
      ...
    TypeError: assume takes a list of chains, as ['gbk -> big5'], not a str
    """
    if isinstance(assume, str):
        raise TypeError(f"assume takes a list of chains, as [{assume!r}], not a str")
    out: list[Hypothesis] = []
    for chain in assume:
        hyp = hypothesis_of(chain)
        if hyp not in out:
            out.append(hyp)
    return tuple(out)


def _diagnose_mojibake(text: str, min_confidence: float = MIN_CONFIDENCE,
                       assumed: tuple[Hypothesis, ...] = ()) -> Diagnosis:
    """Find mojibake spans, their chains and repairs, and damage that cannot
    be undone.  A span is applied only if the odds that it is mojibake reach
    ``min_confidence``; the rest are reported in ``withheld`` and ``notes``.
    Inside an applied span, a rebuilt character nothing pins down is left
    as U+FFFD (``SpanFix.lost``) and noted with its best guess.

    >>> d = diagnose("## 涓轰粈涔堥渶瑕?Sego")
    >>> d.repaired, d.spans[0].layer
    ('## 为什么需要 Sego', 'utf-8 -> gbk:win')
    >>> diagnose("锟斤拷锟斤拷").notes[0]
    "kunkaokao at [0:6] '锟斤拷锟斤拷': the bytes are lost, left as is"
    """
    _check_text(text)
    if len(text) > LONG_TEXT and "\n" in text:
        return _by_lines(text, min_confidence, assumed)
    first = _diagnose_once(text, min_confidence, assumed=assumed)
    if not first.changed:
        return first
    # A repair's output may show mojibake the first pass could not reach
    # (an older layer, a piece it left).  Pass again until nothing changes,
    # so that repair(repair(x)) == repair(x); with no such fixed point in
    # MAX_PASSES, the text stays as it was.
    rounds = list(first.plan.rounds)
    withheld, notes = list(first.withheld), list(first.notes)
    current = first.repaired
    for _ in range(MAX_PASSES - 1):
        d = _diagnose_once(current, min_confidence, assumed=assumed)
        if not d.changed:
            return Diagnosis(text, current, RepairPlan(tuple(rounds)), tuple(withheld),
                             d.damage, tuple(notes))
        rounds.extend(d.plan.rounds)
        notes.extend(d.notes)
        current = d.repaired
    return Diagnosis(text, text, RepairPlan(), tuple(first.withheld), find_damage(text),
                     tuple(first.notes) + (f"no stable repair in {MAX_PASSES} passes "
                                           f"(each repaired the last one's output): left as is",))


#: Passes of diagnose() over its own output before it gives up (see above).
MAX_PASSES = 3

#: Texts longer than this (characters) are diagnosed line by line.
LONG_TEXT = 4096


def _by_lines(text: str, min_confidence: float, assumed: tuple[Hypothesis, ...] = ()) -> Diagnosis:
    """:func:`diagnose` of a long text: each line on its own, the answers
    put together (positions in the whole text; notes say which line).

    Why: the signatures and the search windows of a whole document span
    all its lines, so one questionable line anywhere sent every line to the
    search, and the cost grew faster than the text (a clean 0.5 MB zh-Hans
    document took a minute).  Line by line, clean lines cost the fast path
    and each searched window is one line: time grows linearly.  Nothing is
    cut: no decoder here reads the byte 0x0A as part of a character, so no
    span crosses a line break.  What a line no longer gets is the proof a
    hypothesis earned in another line (a short piece alone must convince
    on its own).

    >>> d = diagnose("x" * LONG_TEXT + "\\nSego 鍥炬爣")
    >>> d.repaired.endswith("Sego 图标"), d.spans[0].start == LONG_TEXT + 6
    (True, True)
    """
    lines = text.split("\n")
    starts, pos = [], 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    # (a line without a signature comes back as it is: no answer to build)
    parts = {i: _diagnose_mojibake(line, min_confidence, assumed) for i, line in enumerate(lines)
             if _kinds(line) or (assumed and not line.isascii())}
    planned = [i for i in sorted(parts) if parts[i].plan]
    # each planned line as it stands before each of its rounds
    states = {i: [lines[i]] + [RepairPlan(parts[i].plan.rounds[:r + 1]).apply(lines[i])
                               for r in range(len(parts[i].plan.rounds))] for i in planned}
    rounds: list[tuple[SpanFix, ...]] = []
    for r in range(max((len(parts[i].plan.rounds) for i in planned), default=0)):
        fixes, moved = [], 0        # moved: what the lines before gained in length
        for i in planned:
            at = starts[i] + moved
            if r < len(parts[i].plan.rounds):
                fixes.extend(replace(f, start=f.start + at, end=f.end + at) for f in parts[i].plan.rounds[r])
            moved += len(states[i][min(r, len(states[i]) - 1)]) - len(lines[i])
        rounds.append(tuple(fixes))
    withheld, damage, notes = [], [], []
    moved = 0
    for i in sorted(parts):
        p = parts[i]
        withheld.extend(replace(s, start=s.start + starts[i], end=s.end + starts[i]) for s in p.withheld)
        damage.extend(replace(d, start=d.start + starts[i] + moved, end=d.end + starts[i] + moved)
                      for d in p.damage)
        notes.extend(f"line {i + 1}: {n}" for n in p.notes)
        moved += len(p.repaired) - len(lines[i])
    changed = any(p.changed for p in parts.values())
    repaired = "\n".join(parts[i].repaired if i in parts else line for i, line in enumerate(lines)) \
        if changed else text
    return Diagnosis(text, repaired, RepairPlan(tuple(rounds)), tuple(withheld), tuple(damage), tuple(notes))


def _diagnose_once(text: str, min_confidence: float, shifted: bool = True,
                   dropped: bool = True, assumed: tuple[Hypothesis, ...] = ()) -> Diagnosis:
    """One pass of :func:`diagnose` (cut streams put back in step, runs
    that lost a byte mended, then its rounds of search, ftfy's path,
    damage)."""
    kinds = _kinds(text)
    if not kinds and not (assumed and not text.isascii()):
        # no sign of mojibake (see luanma.fastpath): no model, no search
        return Diagnosis(text, text, RepairPlan())
    shift_notes: list[str] = []
    if shifted and SHIFTED in kinds:
        # first: a shifted run read as it stands looks like mojibake of
        # any chain, and the search would "repair" it under the wrong one
        fixes, shift_notes = _shift_round(text)
        if fixes:
            return _then(text, fixes, shift_notes, min_confidence, dropped=dropped, assumed=assumed)
    if dropped and UTF8 in kinds:
        # likewise a run that lost a byte: the search would mend the part
        # before the gap and leave the rest
        fixes, drop_notes = _drop_round(text)
        if fixes:
            mended = _then(text, fixes, shift_notes + drop_notes, min_confidence, dropped=False,
                           assumed=assumed)
            # a byte a fold took, or a whole character fold:invisible took,
            # also looks like a dropped byte: the search reads those through
            # the fold and gets both sides back.  The reading the language
            # model prefers wins (only text the drop round touched pays).
            searched = _diagnose_once(text, min_confidence, shifted=False, dropped=False,
                                      assumed=assumed)
            if searched.plan.rounds and _known_score(searched.repaired) > _known_score(mended.repaired):
                return replace(searched, notes=tuple(shift_notes) + searched.notes)
            return mended
    rounds, withheld, notes = _search(text, min_confidence, kinds=kinds, assumed=assumed)
    # ftfy's encoding repair goes first on a second path; the path whose
    # result the language model prefers wins (ftfy knows Latin mojibake, the
    # CJK search knows CJK; each may misread the other's).  (ftfy changes
    # nothing where its badness test is False.)
    latin = _latin_pass(text) if FTFY in kinds else None
    if latin is not None:
        first = _apply_fixes(text, (latin,))
        # (ftfy writes U+FFFD for bytes it found lost: no CJK decoder's mark,
        # so nothing is rebuilt from them on this path)
        more, withheld2, notes2 = _search(first, min_confidence, guesses=False)
        alt_rounds = [(latin,)] + more
        ours = RepairPlan(tuple(rounds)).apply(text)
        theirs = RepairPlan(tuple(alt_rounds)).apply(text)
        guessed = any(f.reconstructed or f.lost for r in rounds for f in r)
        if (not _CJK.search(first) and (guessed or _cjk_share(ours) < 0.5)) \
                or _score(theirs) > _score(ours):
            # where ftfy's repair leaves no CJK and ours is not mostly CJK
            # (or only guesses make it so), the text is Latin, Cyrillic,
            # Devanagari...: ftfy's domain
            rounds, withheld, notes = alt_rounds, withheld2, notes2
    current = RepairPlan(tuple(rounds)).apply(text)
    damage = find_damage(current)
    notes = shift_notes + list(notes)
    for d in damage:
        notes.append(f"{d.kind} at [{d.start}:{d.end}] {d.text!r}: the bytes are lost, left as is")
    return Diagnosis(text, current if rounds else text, RepairPlan(tuple(rounds)),
                     tuple(withheld), damage, tuple(notes))


def _then(text: str, fixes: tuple[SpanFix, ...], notes: list[str], min_confidence: float,
          dropped: bool, assumed: tuple[Hypothesis, ...] = ()) -> Diagnosis:
    """The diagnosis of ``text`` with ``fixes`` (a round before the search)
    applied first, and the rest of the pass run on what they give."""
    rest = _diagnose_once(_apply_fixes(text, fixes), min_confidence, shifted=False, dropped=dropped,
                          assumed=assumed)
    return Diagnosis(text, rest.repaired, RepairPlan((fixes,) + rest.plan.rounds),
                     rest.withheld, rest.damage, tuple(notes) + rest.notes)


def _shift_round(text: str) -> tuple[tuple[SpanFix, ...], list[str]]:
    """Edits for the cut streams of :func:`luanma.misaligned.cut_streams`;
    notes for the characters they leave as U+FFFD and for the weaker cuts
    left alone (:func:`luanma.misaligned.suspect_shifted`)."""
    applied, suspects = cut_streams(text)
    fixes, notes = _guessed_fixes(applied)
    for s in suspects:
        notes.append(f"possible cut stream at [{s.start}:{s.end}] {s.garbled!r} ({s.plan}): "
                     f"it would read {s.reading!r} (gain {s.gain:.1f}; applied from "
                     f"{SHIFT_PENALTY:g}, with runs of {MIN_SHIFTED}+), left as is")
    return fixes, notes


def _drop_round(text: str) -> tuple[tuple[SpanFix, ...], list[str]]:
    """Edits for the runs :func:`luanma.dropped.find_dropped` mends; notes
    for the characters they leave as U+FFFD."""
    return _guessed_fixes(find_dropped(text))


def _guessed_fixes(found: Sequence[Shifted | Dropped]) -> tuple[tuple[SpanFix, ...], list[str]]:
    """Edits for repairs with characters rebuilt from lost bytes (a cut
    stream, a dropped byte): confidence from the gain times each written
    guess's share; a note for each guess left as U+FFFD."""
    fixes, notes = [], []
    for s in found:
        confidence = 1.0 / (1.0 + 10.0 ** (-min(s.gain, 50.0)))
        for g in s.guesses:
            if not g.lost:
                confidence *= g.confidence
        fixes.append(SpanFix(s.start, s.end, s.plan, s.garbled, s.repaired, round(confidence, 4),
                             tuple(g.index for g in s.guesses if not g.lost),
                             tuple(g.index for g in s.guesses if g.lost)))
        notes.extend(_lost_text(s.start, s.end, s.garbled, g.index, g.char, g.confidence, g.alternatives)
                     for g in s.guesses if g.lost)
    return tuple(fixes), notes


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7a3\uf900-\ufaff]")


#: Texts up to this length have their signatures remembered (see _kinds).
KINDS_MEMO_LEN = 4096


def _kinds(text: str) -> frozenset[str]:
    """:func:`~luanma.fastpath.signatures` of ``text``, remembered for short
    texts: one repair() asks it of the input twice (the fast path, the first
    pass) and of each pass's output twice (the search's next round, the next
    pass)."""
    # (a str subclass may answer differently from the equal str it would
    # find remembered)
    if type(text) is str and len(text) <= KINDS_MEMO_LEN:
        return _kinds_memo(text)
    return signatures(text)


@lru_cache(maxsize=32)
def _kinds_memo(text: str) -> frozenset[str]:
    return signatures(text)


def _cjk_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(1 for c in letters if _CJK.match(c)) / max(len(letters), 1)


def _known_score(text: str) -> float:
    """:func:`_score` of ``text`` with each U+FFFD taken as a character
    nothing is known of: it costs nothing, and what follows it is scored
    as after a start.  (A lost character must not weigh against a reading
    that writes a guess in its place: the guess may be wrong.)

    >>> _known_score("不好看，\ufffd深度") > _known_score("不好看，病深度")
    True
    """
    return sum(_score(piece) for piece in text.split("\ufffd") if piece)


def _score(text: str) -> float:
    from .model import get_model

    return get_model().score(text)


def _search(text: str, min_confidence: float, guesses: bool = True,
            kinds: frozenset[str] | None = None, assumed: tuple[Hypothesis, ...] = ()
            ) -> tuple[list[tuple[SpanFix, ...]], list[SpanRepair], list[str]]:
    """Rounds of CJK chain search; each round works on the last one's output.

    ``guesses=False`` keeps only spans that rebuild nothing from lost bytes;
    ``kinds``: the signatures of ``text``, if known; ``assumed``: hypotheses
    known from elsewhere (``find_spans``' ``proven``).
    """
    current = text
    rounds: list[tuple[SpanFix, ...]] = []
    withheld: list[SpanRepair] = []
    notes: list[str] = []
    regions: list[tuple[int, int]] | None = None      # None: the whole text
    ours: set[int] = set()                              # our own U+FFFD marks
    work = Work.for_text(text)
    for _ in range(MAX_ROUNDS):
        shows = kinds if current is text and kinds is not None else _kinds(current)
        if not shows and not assumed:
            break       # no chain's signature: find_spans tries no hypothesis
        keep = []
        for s in find_spans(current, work=work, kinds=shows, proven=assumed):
            if not guesses and s.reconstructed:
                continue
            if regions is not None and not any(s.start < b and s.end > a for a, b in regions):
                # a later round only peels older layers off what the last
                # round repaired; elsewhere the text was searched already
                continue
            if any(s.start <= i < s.end for i in ours):
                continue        # a U+FFFD we wrote is no decoder's mark
            if s.gain_odds >= min_confidence:
                keep.append(s)
                notes.extend(_lost_note(s))
            else:
                withheld.append(s)
                notes.append(f"left {s.garbled!r} as it was: {s.layer} would give "
                             f"{s.repaired!r}, but the odds that it is mojibake are only "
                             f"{s.gain_odds:.3f}")
        if not keep:
            break
        fixes = tuple(_fix(s) for s in keep)
        rounds.append(fixes)
        current = _apply_fixes(current, fixes)
        placed = _placed(fixes)
        # (no fix covers an earlier mark, so each moves by the fixes before it)
        ours = {p + sum(len(f.repaired) - (f.end - f.start) for f in fixes if f.end <= p)
                for p in ours} | {a + i for a, _, f in placed for i in f.lost}
        regions = [(a, b) for a, b, f in placed if len(f.lost) < len(f.repaired)]
    return rounds, withheld, notes


def _placed(fixes: tuple[SpanFix, ...]) -> list[tuple[int, int, SpanFix]]:
    """Each fix, by position, with where its repaired text sits in the text
    after all of them.

    >>> [(a, b) for a, b, _ in _placed((SpanFix(8, 9, "x", "d", "YY", 1.0),
    ...                                  SpanFix(2, 5, "x", "abc", "Z", 1.0)))]
    [(2, 3), (6, 8)]
    """
    out, shift = [], 0
    for f in sorted(fixes, key=lambda f: f.start):
        a = f.start + shift
        out.append((a, a + len(f.repaired), f))
        shift += len(f.repaired) - (f.end - f.start)
    return out


def _latin_pass(text: str) -> SpanFix | None:
    """Latin-script mojibake is ftfy's job: its encoding repair only, after
    the CJK search, and only where the language model agrees it helps.

    ftfy's other fixes (quotes, full-width punctuation, ...) would rewrite
    correct CJK text, so they are never applied.
    """
    if text.isascii():
        return None
    import ftfy

    fixed, steps = ftfy.fix_encoding_and_explain(text)
    if fixed == text or not steps:
        return None
    if all(kind == "transcode" for kind, _ in steps) and _CJK.search(text):
        # only a "transcode" (C1 controls to windows-1252, ...) in CJK text:
        # a stray C1 control there is a CJK decoder's reading of byte 0x80,
        # which the chain search still needs
        return None
    from .model import get_model

    lm = get_model()
    a = 0
    while a < min(len(text), len(fixed)) and text[a] == fixed[a]:
        a += 1
    b = 0
    while b < min(len(text), len(fixed)) - a and text[-1 - b] == fixed[-1 - b]:
        b += 1
    old, new = text[a:len(text) - b], fixed[a:len(fixed) - b]
    left = text[max(0, a - 4):a] or "\n"
    right = text[len(text) - b:][:4]
    if lm.score(new + right, left) <= lm.score(old + right, left):
        return None
    plan = "ftfy: " + ", ".join(f"{s[0]} {s[1]}" for s in steps)
    return SpanFix(a, len(text) - b, plan, old, new, 1.0)


def repair_and_explain(text: str) -> tuple[str, RepairPlan]:
    """Repair ``text`` and return the plan that did it (empty if nothing changed).

    >>> fixed, plan = repair_and_explain("Sego 鍥炬爣")
    >>> fixed
    'Sego 图标'
    >>> print(plan)
    [5:8] utf-8 -> gbk '鍥炬爣' -> '图标'
    >>> plan.apply("Sego 鍥炬爣") == fixed
    True
    """
    d = diagnose(text)
    return d.repaired, d.plan


def repair(text: str, *, strip_pinyin: bool = False, script: str = "keep",
           assume: Sequence[str] = ()) -> str:
    """Repair CJK mojibake in ``text``; correct text comes back as the same object.
    ``strip_pinyin`` and ``script``: opt-in cleaning; ``assume``: chains
    known from other records of the same source (see :func:`diagnose`).

    >>> repair("鐢辨湀瑕佸ソ")
    '由月要好'
    >>> repair("網(wǎng)易首頁(yè)", strip_pinyin=True)
    '網易首頁'
    """
    if (type(text) is str and not strip_pinyin and script == "keep" and not assume
            and not (len(text) > LONG_TEXT and "\n" in text)):
        # (a long text is checked line by line in diagnose: no whole-text pass)
        kinds = _kinds(text)
        if not kinds:
            return text     # what diagnose() would say, without building its answer
        direct = _first_pass_only(text, kinds)
        if direct is not None:
            return direct
    return diagnose(text, strip_pinyin=strip_pinyin, script=script, assume=assume).repaired


#: Signatures under which a pass has no round but the search (no cut stream
#: to put back in step, no ftfy path) -- the drop round runs for "utf8".
_SEARCH_ONLY = frozenset({UTF8, LEGACY})


def _first_pass_only(text: str, kinds: frozenset[str],
                     min_confidence: float = MIN_CONFIDENCE) -> str | None:
    """repair()'s answer for the common case of mojibake a first pass
    undoes whole -- typically text garbled through one lossless chain --
    computed as :func:`diagnose` does, without building the diagnosis; None
    where the case does not hold (then diagnose() decides).

    The case: ``kinds`` (the signatures of ``text``) hold neither a cut
    stream's nor ftfy's nor Latin mojibake's (:func:`_diagnose_once` then
    runs only the drop round and the search); the drop round finds
    nothing; and the search (the very :func:`_search` of the full path)
    makes one round or none, rebuilding nothing from lost bytes, and
    leaves text that shows no signature -- so the next pass tries nothing
    and the output is the answer (clean() changes nothing without
    strip_pinyin or script).  ``tests/test_repair.py`` compares the two on
    garbled corpus lines.  Where the case fails after the search,
    diagnose() does that work again: rare (a second layer, a guess).

    >>> _first_pass_only("Sego 鍥炬爣", signatures("Sego 鍥炬爣"))
    'Sego 图标'
    """
    if not kinds <= _SEARCH_ONLY:
        return None
    if UTF8 in kinds and find_dropped(text):
        return None
    rounds, _, _ = _search(text, min_confidence, kinds=kinds)
    if not rounds:
        return text     # nothing applied: the very object (the rest is notes)
    if len(rounds) > 1 or any(f.reconstructed or f.lost for f in rounds[0]):
        return None
    out = _apply_fixes(text, rounds[0])
    return None if _kinds(out) else out
