"""Misaligned double-byte streams: a character cut in two, and the run of
wrong characters after it, put back in step.

When a GBK, Big5, Shift_JIS or EUC-KR stream is cut inside a double-byte
character (a buffer or chunk boundary), the cut character's first byte
comes out as '?' (or U+FFFD), and the decoder reads every following byte one
out of step -- the trail byte of one character with the lead byte of the
next -- producing valid-looking but wrong characters, until an ASCII byte
puts it back in step.  If full-width punctuation in that run was then folded
to ASCII by a cleaner (``！`` to ``!``), the run still shows the pattern::

    金額。“我更多想讓AI   (GB18030 bytes A1A3 A1B0 CED2 ... D78C 41 49)
    金額?!拔腋\\ue3c1嘞胱孉I   (A1 lost as '?', then A3A1 B0CE D2B8 ...)

Everything after the mark survives, shifted: re-encoding the run gives the
original bytes from the cut character's second byte on.  Reading them in
step gives the original text; only the cut character's first byte is gone,
and the language model picks it among the characters whose second byte is
the one that survived.  The step is written ``cut:gb18030:win`` in a plan
(:class:`luanma.layers.Cut`), followed by ``fold:width`` where punctuation
was folded, so the fix re-applies and explains itself like any other.

>>> [f.repaired for f in find_shifted("持久戰(zhàn)?!斑@種由代理商")]
['。“這']
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .detect import _static_prior
from .layers import Cut, Fold, Plan
from .model import LanguageModel, get_model

__all__ = ["Guess", "Shifted", "find_shifted", "suspect_shifted", "SHIFT_DECODERS", "SHIFT_PENALTY"]

#: The decoders whose streams a cut throws out of step, most common first:
#: Windows code pages, whose bad pairs give one '?' (as the seed page shows).
SHIFT_DECODERS: tuple[str, ...] = ("gb18030:win", "cp950:win", "cp932:win", "cp949:win")

#: log10 gain a realignment needs over the text as it stands.  It sits
#: between correct characters, so it needs what an isolated span needs in
#: the search (SPAN_PENALTY + ISOLATION_PENALTY in :mod:`luanma.detect`).
SHIFT_PENALTY = 9.0
#: Shifted characters a run needs: with fewer, a '?' before a character or
#: two is as likely a question mark.  (So a cut whose second byte is ASCII,
#: which puts the decoder back in step at once -- '?L程' for Big5 過程 --
#: is not repaired: one guessed character is all the evidence there is,
#: and the model's pick is too often wrong.)
MIN_SHIFTED = 2
#: Longest run tried (characters after the mark); a longer run is cut here.
MAX_RUN = 200
#: The cut character is written only if it has this share of the
#: probability among the characters its surviving byte allows; else U+FFFD.
MIN_CUT_CONFIDENCE = 0.9

#: ...and a character the '?' swallowed whole (none of its bytes survive)
#: only when the model is near certain, as for any such character in
#: :mod:`luanma.repair` (MIN_BLIND_CONFIDENCE).
MIN_SWALLOWED_CONFIDENCE = 0.99

#: A cut mark, then the run: non-ASCII characters and ASCII punctuation a
#: cleaner may have folded from full-width (an ASCII byte below 0x40 cannot
#: be a trail byte, so a real one would have ended the run).
_RUN = re.compile(r"[?\ufffd]((?:[^\x00-\x7f]|[!-/:;<=>](?=[^\x00-\x7f]|\?)|\?(?=[^\x00-\x7f]))+)")
_FOLDABLE = re.compile(r"[!-/:;<=>?]")
_UNFOLD = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}


@dataclass(frozen=True)
class Guess:
    """A character whose bytes were partly or wholly lost: the model's pick,
    its share of the probability among what the surviving bytes allow, and
    the next best.  ``lost``: not sure enough, written as U+FFFD."""

    index: int              # position in the repair
    char: str
    confidence: float
    alternatives: tuple[str, ...]
    lost: bool


@dataclass(frozen=True)
class Shifted:
    """A cut and its run, put back in step: ``text[start:end]`` (the mark,
    the run, and the '?' or ASCII character that ended it) becomes
    ``repaired``.  ``guesses`` are the characters rebuilt from lost bytes
    (U+FFFD in ``repaired`` where not sure).  ``gain`` is log10
    P(repair, with every guess) - log10 P(garbled)."""

    start: int
    end: int
    garbled: str
    repaired: str
    plan: str
    gain: float
    guesses: tuple[Guess, ...]
    reading: str = ""       # the repair with every guess written, sure or not


@lru_cache(maxsize=256)
def _pairs(decoding: str, byte: int, lead: bool) -> tuple[str, ...]:
    """The two-byte characters under ``decoding`` whose first (``lead``) or
    second byte is ``byte``.

    >>> "。" in _pairs("gb18030:win", 0xA3, lead=False), "约" in _pairs("gb18030:win", 0xD4, lead=True)
    (True, True)
    """
    codec = Cut(decoding).encoding
    out = []
    for other in range(0x40, 0xFF):
        pair = bytes((byte, other)) if lead else bytes((other, byte))
        try:
            ch = pair.decode(codec)
        except UnicodeDecodeError:
            continue
        if len(ch) == 1 and ch.isprintable() and ch.encode(codec) == pair:
            # (a character two codes decode to is written back with the
            # other: it cannot have made these bytes)
            out.append(ch)
    return tuple(out)


#: What a '?' after a run swallowed with the last byte: an ASCII byte no
#: double-byte code page takes as a second byte (below 0x40).
_SWALLOWABLE = tuple(chr(c) for c in range(0x20, 0x40)) + ("\n", "\t")


@dataclass(frozen=True)
class _Aligned:
    first: int                  # the cut character's surviving second byte
    middle: str                 # the run, read in step
    last_lead: int | None       # first byte of a last character whose second byte a '?' hides
    took_after: bool            # the ASCII character after the run was part of it


def _realign(run: str, after: str, decoding: str, marked: bool) -> _Aligned | None:
    """The run read in step, or None where it is not a shifted stream of
    this decoder.  ``marked``: a '?' ended the run (the last byte paired
    with a byte the decoder refused).

    >>> _realign("！斑", "@", "gb18030:win", False)
    _Aligned(first=163, middle='“這', last_lead=None, took_after=True)
    >>> a = _realign("忠怀遣叫性", "5", "gb18030:win", True)   # 又一城步行约 (the '?' hid 约's byte)
    >>> a.middle, "约" in _pairs("gb18030:win", a.last_lead, lead=True)
    ('一城步行', True)
    """
    codec = Cut(decoding).encoding
    try:
        data = run.encode(codec)
    except UnicodeEncodeError:
        return None
    if len(data) < 2 or data[0] < 0x40 or data[1] < 0x81:
        # the cut character's second byte, then the next one's first: a
        # run whose second byte is ASCII was never out of step
        return None
    rest = data[1:]
    if marked:
        if rest[-1] < 0x81:
            return None
        try:
            return _Aligned(data[0], rest[:-1].decode(codec), rest[-1], False)
        except UnicodeDecodeError:
            return None
    try:
        return _Aligned(data[0], rest.decode(codec), None, False)
    except UnicodeDecodeError as exc:
        if exc.start != len(rest) - 1 or not after or not after.isascii():
            return None
    try:
        return _Aligned(data[0], (rest + after.encode("ascii")).decode(codec), None, True)
    except UnicodeDecodeError:
        return None


def _shares(lm: LanguageModel, left: str, cands: tuple[str, ...], right: str,
            prior: Callable[[str], float] | None = None) -> list[tuple[str, float]]:
    """``cands`` between ``left`` and ``right``, best first, each with its
    share of the probability.

    >>> _shares(get_model(), "我们", ("一", "乙"), "起去")[0][0]
    '一'
    """
    scored = [(lm.context_logp(left, c, right) + (prior(c) if prior else 0.0), c) for c in cands]
    return _normalised(scored)


def _normalised(scored: list[tuple[float, Any]]) -> list[tuple[Any, float]]:
    top = max(x for x, _ in scored)
    weights = [(c, 10.0 ** (x - top)) for x, c in scored]
    total = sum(w for _, w in weights)
    return sorted(((c, w / total) for c, w in weights), key=lambda cw: -cw[1])


#: Last characters (by their left context) ranked together with what the
#: '?' swallowed after them.
JOINT_TOP = 12


def _joint(lm: LanguageModel, left: str, lasts: tuple[str, ...], right: str,
           swallowable: tuple[str, ...], prior: Callable[[str], float]
           ) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """Shares of the last character and of the swallowed one, each summed
    over the other (the last ones tried: the JOINT_TOP best by ``left``)."""
    pool = [c for c, _ in _shares(lm, left, lasts, "")[:JOINT_TOP]]
    joint = [(lm.context_logp(left, a + b, right) + prior(b), (a, b)) for a in pool for b in swallowable]
    last: dict[str, float] = {}
    swallowed: dict[str, float] = {}
    for (a, b), share in _normalised(joint):  # type: ignore[misc]
        last[a] = last.get(a, 0.0) + share
        swallowed[b] = swallowed.get(b, 0.0) + share
    return (sorted(last.items(), key=lambda cw: -cw[1]),
            sorted(swallowed.items(), key=lambda cw: -cw[1]))


def _gain_bound(lm: LanguageModel, middle: str, right: str, marked: bool, base: float) -> float:
    """An upper bound on the gain of any realignment whose run reads
    ``middle`` in step, before its lost characters are picked: the terms of
    the characters whose whole context is known are scored, every other one
    counts as the most any character can score (``base``: the garbled text's
    score).  Clean text after a question mark reads as nonsense shifted, so
    its bound falls far short and the ranking of candidates is skipped."""
    top = max(0.0, lm.term_bound())
    # first, middle..., then (marked) the last one and what the '?' swallowed
    terms = 1 + len(middle) + (2 if marked else 0) + len(right)
    known = 0.0
    n_known = 0
    if len(middle) > 2:
        known += lm.score(middle[2:], middle[:2])
        n_known += len(middle) - 2
    if not marked and len(middle) >= 2 and right:
        known += lm.score(right, middle[-2:])
        n_known += len(right)
    return known + top * (terms - n_known) - base


def _best(text: str, mark: int, end: int, run: str, decoding: str, marked: bool,
          lm: LanguageModel, floor: float = -math.inf) -> Shifted | None:
    """The realignment of ``run`` under ``decoding`` with its lost
    characters picked, or None where there is none, or where it cannot gain
    ``floor`` (checked before the picking, which is the costly part)."""
    after = text[end + 1:end + 2] if marked else text[end:end + 1]
    got = _realign(run, after, decoding, marked)
    if got is None:
        return None
    stop = end + 1 if (marked or got.took_after) else end
    firsts = _pairs(decoding, got.first, lead=False)
    if not firsts:
        return None
    left = text[max(0, mark - 2):mark]
    right = text[stop:stop + 2]
    middle = got.middle
    garbled = text[mark:stop]
    # against the garbled text with the same punctuation unfolded: putting
    # full-width forms back is no evidence of a cut by itself
    base = lm.score(garbled.translate(_UNFOLD) + right, left)
    if _gain_bound(lm, middle, right, marked, base) < floor:
        return None
    picks: list[tuple[int, str, float, tuple[str, ...], bool]] = []
    ranked = _shares(lm, left, firsts, middle[:2])
    (first, conf), alts = ranked[0], tuple(c for c, _ in ranked[1:4])
    picks.append((0, first, conf, alts, conf < MIN_CUT_CONFIDENCE))
    chars = first + middle
    if got.last_lead is not None:
        # its second byte must have paired with the next one as a lead byte
        # (an ASCII one would have stood alone, with no '?')
        codec = Cut(decoding).encoding
        lasts = tuple(c for c in _pairs(decoding, got.last_lead, lead=True)
                      if c.encode(codec)[1] >= 0x80)
        if not lasts:
            return None
        # (the ranking below is the costly part: first bound the gain again,
        # now that the first character is picked -- the last one, what the
        # '?' swallowed and the text after them each add at most term_bound)
        top = max(0.0, lm.term_bound())
        if lm.score(chars, left) + top * (2 + len(right)) - base < floor:
            return None
        # the '?' also swallowed the ASCII byte after the last one -- or,
        # at the end of the text, perhaps nothing: rank the two together
        # (the swallowed one sits between the last and the text after it),
        # each by its share summed over the other
        swallowable = _SWALLOWABLE if stop < len(text) else _SWALLOWABLE + ("",)
        lp, sp = _joint(lm, chars[-2:], lasts, right, swallowable,
                        lambda c: _static_prior(c, text) if c else 0.0)
        (last, conf), alts = lp[0], tuple(c for c, _ in lp[1:4])
        picks.append((len(chars), last, conf, alts, conf < MIN_CUT_CONFIDENCE))
        chars += last
        (sw, conf), alts = sp[0], tuple(c for c, _ in sp[1:4])
        if sw:
            # a number no context knows, so a digit stays lost; at the end,
            # where "nothing" is the best guess, nothing is added
            picks.append((len(chars), sw, conf, alts, conf < MIN_SWALLOWED_CONFIDENCE or sw.isdigit()))
            chars += sw
    # The fix must explain itself: the plan garbles the repair back.
    plan = Plan((Cut(decoding),) + ((Fold("width"),) if run != text[mark + 1:end] else ()))
    if plan.apply(chars).text != garbled:
        return None
    gain = lm.score(chars + right, left) - base
    guesses = tuple(Guess(i, c, round(p, 4), alts, lost) for i, c, p, alts, lost in picks)
    lost = {g.index for g in guesses if g.lost}
    repaired = "".join("\ufffd" if i in lost else c for i, c in enumerate(chars))
    return Shifted(mark, stop, garbled, repaired, str(plan), gain, guesses, chars)


def _candidates(text: str, m: re.Match[str]) -> list[tuple[int, str, bool]]:
    """(end, run, marked) to try for the run of match ``m``: the whole run,
    ended by the character after it; the run up to each '?' in it or right
    after it, which may be the mark of its last byte (paired with a byte
    the decoder refused, often an ASCII one it swallowed)."""
    start = m.start(1)
    whole = m.group(1)[:MAX_RUN]
    out = [(start + len(whole), whole.translate(_UNFOLD), False)]
    for i, c in enumerate(whole + text[start + len(whole):start + len(whole) + 1]):
        if c in "?\ufffd" and i >= 1:
            out.append((start + i, whole[:i].translate(_UNFOLD), True))
    return out


def find_shifted(text: str, lm: LanguageModel | None = None) -> list[Shifted]:
    """Cut double-byte streams in ``text``, put back in step; only those
    that gain at least SHIFT_PENALTY (log10) over the text as it stands.

    >>> [(s.garbled, s.repaired, s.plan) for s in find_shifted("金額?!拔腋\ue3c1嘞胱孉I幫算清")]
    [('?!拔腋\ue3c1嘞胱孉', '。“我更多想讓A', 'cut:gb18030:win | fold:width')]
    >>> find_shifted("你说什么?我不知道。")
    []
    """
    return cut_streams(text, lm)[0]


def suspect_shifted(text: str, applied: list[Shifted], lm: LanguageModel | None = None
                    ) -> list[Shifted]:
    """Shorter or weaker cuts than :func:`find_shifted` applies -- a run of
    one character, or a realignment that gains less than SHIFT_PENALTY but
    at least SUSPECT_GAIN -- away from the ``applied`` ones, for diagnose()
    to report and leave alone.

    >>> [(s.garbled, s.plan) for s in suspect_shifted("更個(gè)性化的理解?!?/p>", [])]
    [('?!?', 'cut:gb18030:win | fold:width')]
    """
    return _suspects(text, applied, lm or get_model(), {})


def cut_streams(text: str, lm: LanguageModel | None = None) -> tuple[list[Shifted], list[Shifted]]:
    """(:func:`find_shifted`, :func:`suspect_shifted` of those) in one go:
    the second pass reuses every realignment the first one weighed.

    >>> applied, suspects = cut_streams("金額?!拔腋\ue3c1嘞胱孉I幫算清")
    >>> [s.garbled for s in applied], suspects
    (['?!拔腋\ue3c1嘞胱孉'], [])
    """
    lm = lm or get_model()
    memo: dict = {}
    applied = [s for s in _shifted(text, lm, MIN_SHIFTED, memo) if s.gain >= SHIFT_PENALTY]
    return applied, _suspects(text, applied, lm, memo)


def _suspects(text: str, applied: list[Shifted], lm: LanguageModel, memo: dict) -> list[Shifted]:
    return [s for s in _shifted(text, lm, 1, memo) if s.gain >= SUSPECT_GAIN
            and not any(s.start < a.end and a.start < s.end for a in applied)]


#: Gain (log10) from which a cut too weak to apply is still reported.
SUSPECT_GAIN = 2.0


def _shifted(text: str, lm: LanguageModel, min_run: int, memo: dict | None = None) -> list[Shifted]:
    """The best realignment of each run of at least ``min_run`` characters
    after a cut mark, of those that gain at least SUSPECT_GAIN, the least
    anything is reported with (runs do not overlap).  ``memo`` keeps each
    candidate's realignment for another pass over ``text``."""
    memo = {} if memo is None else memo
    out: list[Shifted] = []
    pos = 0
    for m in _RUN.finditer(text):
        if m.start() < pos:
            continue
        best: Shifted | None = None
        for end, run, marked in _candidates(text, m):
            if end - m.start(1) < min_run:
                continue
            for decoding in SHIFT_DECODERS:
                key = (m.start(), end, run, decoding, marked)
                if key not in memo:
                    memo[key] = _best(text, m.start(), end, run, decoding, marked, lm, SUSPECT_GAIN)
                s = memo[key]
                if s is not None and s.gain >= SUSPECT_GAIN and (best is None or s.gain > best.gain):
                    best = s
        if best is not None:
            out.append(best)
            pos = best.end
    return out
