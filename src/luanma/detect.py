"""Detection: find the garbled spans of a text and the chain that made each.

For one hypothesis -- a true encoding and a family of wrong decoders -- the
search is a Viterbi pass over the text in which every character may either
stay as it is (*clean* mode) or be read back as the bytes the wrong decoder
turned into it and decoded with the true encoding (*repair* mode).  Loss
markers become unknown byte slots, filled with the characters the language
model finds most probable (:mod:`luanma.constrained`).  Entering repair mode
costs a fixed penalty, so a span is repaired only when the repaired text is
far more probable than the garbled one.  Every repaired span is then checked
by garbling it again with a concrete decoder variant: the repair is kept
only if that reproduces the garbled span exactly.

Text "cleaned" after it was garbled (NFKC or width folding, invisible
characters dropped) is read back through the fold where the text asks for
it (:func:`_fold_readings`, :mod:`luanma.folds`); such a span's plan ends in
the fold, and the decoder's output, folded, must give the garbled span.

>>> [ (s.start, s.end, s.repaired) for s in find_spans("Sego 鍥炬爣 ok") ]
[(5, 8, '图标')]
"""

from __future__ import annotations

import bisect
import codecs
import itertools
import math
import re
import unicodedata
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from .constrained import (CandidateIndex, Slot, SlotPath, candidates, char_bytes, char_lengths,
                          Follow, follows, marker_patterns)
from .errors import LuanmaError
from .folds import MAX_UNFOLD, REFOLD_KINDS, UNFOLD_KINDS, drop_patterns, refold, unfold_sources
from .fastpath import LATIN, LEGACY, MARKS, UTF8, legacy_spots, signatures
from .layers import Fold, Layer, Plan
from .model import LanguageModel, char_class, get_model
from .variants import NO_QMARK_BYTE, decode, get_variant

__all__ = ["Family", "Hypothesis", "HYPOTHESES", "Reconstruction", "SpanRepair", "Work",
           "could_show", "find_spans", "gated", "hypothesis_of", "search"]


@dataclass(frozen=True)
class Family:
    """Decoders that real software used under one label.

    ``reencode`` lists the variants tried, in order, to turn a garbled
    character back into bytes (supersets first); ``verify`` the concrete
    variants a repaired span is re-garbled with, most common first.
    """

    name: str
    reencode: tuple[str, ...]
    verify: tuple[str, ...]
    #: "bytes": seeds are multi-byte characters spread over garbled ones;
    #: "markers": the garbled text is the original but for loss markers
    seeds: str = "bytes"

    def __hash__(self) -> int:
        # (a family keys every per-character memo: the generated hash, over
        # all the tuples of names, cost more than the lookups it served)
        return hash(self.name)


FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("gbk", ("gbk:whatwg", "gbk:win"),
           ("gbk", "gb18030", "gbk:win", "gb18030:win", "gbk:whatwg", "gb18030:replace",
            "gbk:replace", "gbk:qmark")),
    # (Python's own cp950 too: it reads Big5's user-defined rows as the ETEN
    # kana and Cyrillic where Windows shows private-use characters)
    Family("big5", ("big5:whatwg", "cp950:win", "cp950"),
           ("big5", "cp950", "big5hkscs", "cp950:win", "big5:whatwg", "big5:replace",
            "cp950:replace", "big5:qmark")),
    Family("shift_jis", ("cp932:win", "shift_jis"),
           ("shift_jis", "cp932", "cp932:win", "shift_jis:whatwg", "shift_jis:replace",
            "cp932:replace", "shift_jis:qmark")),
    Family("euc_kr", ("cp949:win", "euc_kr"),
           ("euc_kr", "cp949", "cp949:win", "euc_kr:whatwg", "euc_kr:replace",
            "cp949:replace", "euc_kr:qmark")),
    Family("euc_jp", ("euc_jp:replace",), ("euc_jp", "euc_jp:replace", "euc_jp:qmark")),
    Family("cp1252", ("cp1252:c1", "latin-1"), ("cp1252", "cp1252:c1", "latin-1",
                                                "cp1252:replace", "cp1252:qmark")),
    Family("cp437", ("cp437",), ("cp437",)),
    Family("cp850", ("cp850",), ("cp850",)),
    Family("mac_roman", ("mac_roman",), ("mac_roman",)),
    Family("cp1251", ("cp1251:c1",), ("cp1251", "cp1251:c1")),
    Family("cp1250", ("cp1250:c1",), ("cp1250", "cp1250:c1")),
    Family("utf-8", ("utf-8:replace",), ("utf-8", "utf-8:replace", "utf-8:qmark")),
    # UTF-8 read as windows-1252 with '?' for its five undefined bytes, saved
    # back and read as UTF-8: a CJK character holding one of those bytes
    # becomes U+FFFD and '?'s, the rest survives (Android string resources).
    Family("cp1252-qmark-roundtrip", ("utf-8",),
           ("utf-8 -> cp1252:qmark | cp1252 -> utf-8:replace",), seeds="markers"),
)}


@dataclass(frozen=True)
class Hypothesis:
    """Text in ``encoding`` was shown through a decoder of ``family``.

    ``marks``: where the text holds '?' (or CP932's '・'), which kind of
    decoder wrote them -- "win" (a bad pair is one mark and its trail byte is
    gone) or "qmark" (one mark per bad byte, the next byte read again).  One
    decoder made one text, so the two readings are searched apart and the
    one that explains more wins; "" searches with every decoder at once.
    """

    encoding: str
    family: str
    marks: str = ""


#: Behaviours whose loss marks look like text ('?', '・'), kept apart.
_MARK_KINDS = ("win", "qmark")


def _mark_kind(spec: str) -> str:
    """"win"/"qmark" for a single decoder of those kinds, else ""."""
    if "|" in spec:
        return ""
    v = get_variant(spec)
    return v.behaviour if v.behaviour in _MARK_KINDS else ""


@lru_cache(maxsize=None)
def _family(hyp: Hypothesis) -> Family:
    """The family of ``hyp``, narrowed to its kind of loss mark."""
    family = FAMILIES[hyp.family]
    if not hyp.marks:
        return family
    verify = tuple(v for v in family.verify if _mark_kind(v) in ("", hyp.marks))
    reencode = tuple(v for v in family.reencode
                     if _mark_kind(v) in ("", hyp.marks)) or family.reencode
    return Family(family.name, reencode, verify, family.seeds)


#: log10 prior cost per loss mark read as one lost byte (the "qmark"
#: reading) rather than as a Windows decoder's lost pair: Windows code
#: pages write most of the '?' in real CJK mojibake.
QMARK_READING_COST = 2.0


def _reading_cost(hyp: Hypothesis, spans: Sequence["SpanRepair"]) -> float:
    if hyp.marks != "qmark":
        return 0.0
    return QMARK_READING_COST * sum(x.garbled.count("?") for x in spans)


def _readings(hyp: Hypothesis, text: str) -> tuple[Hypothesis, ...]:
    """``hyp`` once per kind of mark its decoders might have left in ``text``."""
    kinds = [k for k, marks in _kind_marks(hyp.family) if any(m in text for m in marks)]
    if len(kinds) < 2:
        return (hyp,)
    return tuple(Hypothesis(hyp.encoding, hyp.family, k) for k in kinds)


@lru_cache(maxsize=None)
def _kind_marks(family: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Per kind of loss mark, the marks ``family``'s decoders of that kind write."""
    return tuple((k, tuple(sorted({get_variant(v).replacement for v in FAMILIES[family].verify
                                   if _mark_kind(v) == k})))
                 for k in _MARK_KINDS)


#: The search space, most common first (order breaks ties).
HYPOTHESES: tuple[Hypothesis, ...] = tuple(Hypothesis(e, f) for e, f in (
    ("utf-8", "gbk"), ("utf-8", "big5"), ("utf-8", "shift_jis"), ("utf-8", "euc_kr"),
    ("utf-8", "cp1252"), ("utf-8", "euc_jp"), ("utf-8", "cp437"), ("utf-8", "cp850"),
    ("utf-8", "mac_roman"), ("utf-8", "cp1251"), ("utf-8", "cp1250"),
    ("gbk", "big5"), ("big5", "gbk"),
    ("gbk", "cp1252"), ("big5", "cp1252"), ("shift_jis", "cp1252"), ("euc_kr", "cp1252"),
    ("gbk", "cp437"), ("gbk", "cp850"), ("big5", "cp437"), ("shift_jis", "cp437"),
    ("euc_kr", "cp437"),
    ("gbk", "utf-8"), ("big5", "utf-8"), ("shift_jis", "utf-8"), ("euc_kr", "utf-8"),
    ("euc_jp", "utf-8"), ("utf-8", "cp1252-qmark-roundtrip"),
))


def hypothesis_of(chain: str) -> Hypothesis:
    """The searched hypothesis a one-layer chain names: its true encoding,
    and the family of its wrong decoder (any of that family's variants
    names it).  ValueError for a chain luanma does not search.

    >>> hypothesis_of("gbk -> big5"), hypothesis_of("utf-8 -> gbk:win").family
    (Hypothesis(encoding='gbk', family='big5', marks=''), 'gbk')
    """
    try:
        layers = Plan.parse(chain).layers
    except (LookupError, ValueError) as e:     # (PlanSyntaxError is a ValueError)
        raise ValueError(f"not a chain luanma can read: {chain!r} ({e})") from None
    if len(layers) != 1:
        raise ValueError(f"name one layer, as 'gbk -> big5', not {chain!r}")
    if not isinstance(layers[0], Layer):
        raise ValueError(f"{chain!r} is a {type(layers[0]).__name__.lower()} step, not an encode/decode "
                         f"layer: name one layer, as 'gbk -> big5'")
    layer = layers[0]
    for name, family in FAMILIES.items():
        if layer.decoding == name or layer.decoding in family.verify or layer.decoding in family.reencode:
            hyp = Hypothesis(layer.encoding.partition(":")[0], name)
            if hyp in HYPOTHESES:
                return hyp
    raise ValueError(f"luanma searches no chain like {chain!r}; it searches: "
                     + ", ".join(f"{h.encoding} -> {h.family}" for h in HYPOTHESES))


def could_show(text: str, hyp: Hypothesis) -> bool:
    """Could ``hyp``'s wrong decoder have written every character of
    ``text``?  (A record with hangul was not read through GBK or Big5.)

    >>> could_show("Iron=沺", hypothesis_of("gbk -> big5")), could_show("제61조 ①", hypothesis_of("gbk -> big5"))
    (True, False)
    """
    family = _family(hyp)
    return all(ord(ch) < 0x80 or _reencode_options(ch, family) for ch in text)


#: log10 cost of opening a repaired span: how much more probable the repair
#: must be than the text as it stands.  Chosen on the development sets.
SPAN_PENALTY = 3.0
#: The search itself opens spans more cheaply, so that short pieces reach the
#: checks below; only spans that pass SPAN_PENALTY prove a hypothesis.
SEARCH_PENALTY = 1.0
#: Extra cost for a span with a non-ASCII neighbour.  A wrong decoder
#: garbles every non-ASCII character of its stream, so real mojibake runs up
#: to ASCII or the ends of the text; a short "repair" wedged between correct
#: CJK characters is more likely a false alarm.
ISOLATION_PENALTY = 6.0


def _isolation(text: str, span: "SpanRepair", hyp: "Hypothesis") -> float:
    # Latin-looking mojibake (legacy CJK bytes shown as windows-1252) glued to
    # ASCII letters is more likely an accented word: "APLICAÇÃO".
    latin = get_variant(_family(hyp).reencode[0]).single_byte
    for i in (span.start - 1, span.end):
        if 0 <= i < len(text) and (ord(text[i]) >= 0x80 or (latin and text[i].isalpha())):
            return ISOLATION_PENALTY
    return 0.0


#: Extra proof a hypothesis needs when both sides are double-byte CJK code
#: pages (GBK shown as Big5 and back): each maps most of the other's bytes
#: to real-looking hanzi and kana, so a few characters of classical Chinese
#: or old Japanese can read "better" under it by chance.
LEGACY_PAIR_PRIOR = 3.0


#: GBK shown as Big5 and back is searched only where, on some stretch of
#: the text, reading every character as its counterpart gains at least this
#: much (log10, trigram model, no penalties): well below what a span must
#: gain to be kept (SPAN_PENALTY + LEGACY_PAIR_PRIOR), and it costs one
#: pass of the model instead of a search.
LEGACY_PROMISE = 4.5


@lru_cache(maxsize=None)
def _counterparts(encoding: str, family: str) -> str:
    """``str.translate`` table: each double-byte character the decoders of
    ``family`` show -> what its bytes are in ``encoding`` (a legacy pair).

    A string indexed by code point (``table[o]`` is ``chr(o)`` where nothing
    changes; code points past its end stay as they are), not a dict: ~130 KB
    against ~1.5 MB for the dict of ~18,000 int -> str entries, and
    ``translate`` reads it faster (a dict raises KeyError for every
    character it lacks).

    >>> "中文".translate(_counterparts("big5", "gbk")) == "中文".encode("gbk").decode("big5")
    True
    """
    shown = [get_variant(v).codec for v in FAMILIES[family].verify[:2]]
    # (and what only a Windows decoder shows: user-defined areas as PUA)
    shown += [c for c in (get_variant(v).codec for v in FAMILIES[family].reencode
                          if get_variant(v).behaviour == "win") if c not in shown]
    table: dict[int, str] = {}
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            b = bytes((lead, trail))
            try:
                o = b.decode(encoding)
            except UnicodeDecodeError:
                continue
            for codec in shown:
                try:
                    g = b.decode(codec)
                except UnicodeDecodeError:
                    continue
                if len(g) == 1 and len(o) == 1 and g != o:
                    table.setdefault(ord(g), o)
    chars = list(map(chr, range(max(table, default=-1) + 1)))
    for k, v in table.items():
        chars[k] = v
    return "".join(chars)


#: How far around each place the fast path saw GBK/Big5 counterparts
#: (:func:`luanma.fastpath.legacy_spots`) the stretch of gains is sought.
LEGACY_REACH = 12


def _promising(text: str, hyp: "Hypothesis", lm: LanguageModel,
               near: Sequence[tuple[int, int]] = ()) -> bool:
    """Could ``hyp`` (a legacy pair) repair anything in ``text``?  The best
    stretch of per-character gains of the counterpart text over ``text``
    must reach LEGACY_PROMISE.  With ``near`` (the fast path's spots), only
    the stretches within LEGACY_REACH characters of one are weighed: the
    same sums, on a fifth of a typical line.

    >>> lm = get_model()
    >>> _promising("Blue=懦伎", Hypothesis("gbk", "big5"), lm)
    True
    >>> _promising("这是正常的中文。", Hypothesis("big5", "gbk"), lm)
    False
    >>> _promising("Blue=懦伎", Hypothesis("gbk", "big5"), lm, near=[(4, 7)])
    True
    """
    table = _counterparts(hyp.encoding, hyp.family)
    if not near:
        return _gains_reach(text, text.translate(table), lm, 0)
    for a, b in _regions(text, near):
        # (two characters before the region give its first ones the
        # context they have in the whole text)
        c = max(0, a - 2)
        piece = text[c:b]
        if _gains_reach(piece, piece.translate(table), lm, a - c):
            return True
    return False


def _regions(text: str, near: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spots widened by LEGACY_REACH inside their run of non-ASCII
    characters (an ASCII one, its own counterpart, ends every stretch),
    overlapping ones merged."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(near):
        lo, hi = max(0, a - LEGACY_REACH), min(len(text), b + LEGACY_REACH)
        while a > lo and not text[a - 1].isascii():
            a -= 1
        while b < hi and not text[b].isascii():
            b += 1
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _gains_reach(text: str, other: str, lm: LanguageModel, skip: int) -> bool:
    """Does a stretch of ``other``'s per-character gains over ``text``
    (from index ``skip`` on) reach LEGACY_PROMISE?"""
    if other == text:
        return False
    # each character given the two before it, in the text and in its
    # counterpart (both pairs of a legacy family score the same text: keep it)
    mine, theirs = _window_scores(lm, text), lm.window_scores(other)
    run = 0.0
    for a, b, m, t in itertools.islice(zip(text, other, mine, theirs), skip, None):
        if a == b and a.isascii():
            run = 0.0
            continue
        run = max(0.0, run + t - m)
        if run >= LEGACY_PROMISE:   # (the first stretch to reach it: the best so far)
            return True
    return False


@lru_cache(maxsize=4)
def _window_scores(lm: LanguageModel, text: str) -> list[float]:
    return lm.window_scores(text)


@lru_cache(maxsize=None)
def _prior(hyp: "Hypothesis") -> float:
    if hyp.encoding != "utf-8" and get_variant(_family(hyp).reencode[0]).double_byte:
        return LEGACY_PAIR_PRIOR
    return 0.0


#: log10 cost of each character built from unknown bytes (a guess).
GUESS_PENALTY = 1.0
#: states kept per position; with a bigram model the best few suffice.
BEAM = 4
#: candidates tried for one character built from unknown bytes
MAX_CANDIDATES = 300
#: Work budget of one search (candidate x state expansions), linear in the
#: text length so that no input makes the search super-linear.
WORK_PER_CHAR = 400
WORK_BASE = 20000
#: candidates per guess once the work budget is spent, for at most
#: STARVED_BUDGET times the budget again
STARVED_CANDIDATES = 8
STARVED_BUDGET = 1.0
#: Scores a search keeps memoised before it starts the memo over.
MEMO_LIMIT = 20_000
#: Items (candidate characters, priors and scores) a search keeps in its
#: candidate lists and score rows (see search) before it starts them over:
#: ~40 bytes an item, ~2.4 MB at most, as the 20,000 scores memoised before.
ROW_LIMIT = 60_000
#: guesses re-ranked with word evidence (the rest keep their context score)
RESCORE_TOP = 24
#: adjacent guesses ranked jointly (at most MAX_JOINT in a row, JOINT_TOP each)
MAX_JOINT = 3
JOINT_TOP = 8

#: Extra log10 prior for an ASCII character rebuilt from a swallowed byte.
#: Only bytes below 0x40 (or 0x7F) can be swallowed as a bad trail; among
#: them a space is by far the most common after CJK text in mixed lines, and
#: a line break inside a line that has none is unlikely.
SWALLOWED_PRIOR: dict[str, float] = {" ": 0.0, ",": -0.8, ".": -0.8, ":": -1.0, "(": -1.0,
                                     ")": -1.0, "/": -1.0, "-": -1.0, "\n": -1.5, "\t": -2.0,
                                     "\r": -2.5}
_DIGIT_PRIOR = -0.8
_OTHER_ASCII_PRIOR = -1.5
_CONTROL_PRIOR = -6.0


def _static_prior(ch: str, text: str) -> float:
    if ch in SWALLOWED_PRIOR:
        p = SWALLOWED_PRIOR[ch]
        return p if ch not in "\n\r\t" or ch in text else p - 2.0
    if ch.isdigit():
        return _DIGIT_PRIOR
    return _OTHER_ASCII_PRIOR if ch.isprintable() else _CONTROL_PRIOR


#: Weight, in characters, of the fixed prior against what the text itself
#: shows after its non-ASCII characters.
_DOC_PRIOR_WEIGHT = 4.0


def _ascii_priors(text: str) -> dict[str, float]:
    """log10 prior for each ASCII character a lost byte may have been.

    Which character follows a CJK run differs by text: ", " in reviews,
    " " in mixed technical lines, digits in dates.  Where the decoder let
    such characters through, the text shows them: they are mixed with the
    fixed prior (scaled so that a space scores 0 when the text shows none).
    """
    fixed = {chr(c): 10.0 ** _static_prior(chr(c), text) for c in range(0x80)}
    total = sum(fixed.values())
    seen: dict[str, int] = {}
    n = 0
    for a, b in zip(text, text[1:]):
        if ord(a) >= 0x80 and ord(b) < 0x40:
            seen[b] = seen.get(b, 0) + 1
            n += 1
    w = _DOC_PRIOR_WEIGHT
    top = math.log10(fixed[" "] / total)
    return {c: math.log10((seen.get(c, 0) + w * p / total) / (n + w)) - top
            for c, p in fixed.items()}


#: Extra log10 prior for a non-ASCII character rebuilt from lost bytes, by
#: its class (``luanma.model.char_class``).  Emoji and other symbols fit
#: many byte patterns (four-byte UTF-8 leaves most bytes free), and the
#: model, which saw them repeated in chat text, rates a run of them highly
#: ("👀👀"): in a gap of CJK text they are a guess to distrust.
GUESS_CLASS_PRIOR: dict[str, float] = {"other": -3.0}


def _guess_prior(ch: str, priors: dict[str, float]) -> float:
    """log10 prior of ``ch`` as a character rebuilt from lost bytes
    (``priors``: :func:`_ascii_priors` of the text).

    >>> _guess_prior("好", {}), _guess_prior("👀", {})
    (0.0, -3.0)
    """
    return priors[ch] if ord(ch) < 0x80 else _class_prior(ch)


@lru_cache(maxsize=65536)
def _class_prior(ch: str) -> float:
    return GUESS_CLASS_PRIOR.get(char_class(ch), 0.0)


#: A lost byte known to be one of at most this many values still speaks
#: for the character (the five bytes windows-1252 leaves undefined, behind
#: a '?' of a round trip through it): the character is not rebuilt blind.
NARROW_SLOT = 8


def _blind(slots: Sequence[object]) -> bool:
    """No byte of a rebuilt character pins it down: every one is unknown,
    and none is narrowed to a few values.

    >>> _blind((frozenset(range(0xE0, 0xF0)), frozenset(range(0x80, 0xC0)))), _blind((0xE7, frozenset({0x81, 0x8D})))
    (True, False)
    """
    return all(not isinstance(x, int) and len(x) > NARROW_SLOT for x in slots)  # type: ignore[arg-type]


def _narrowed(slots: Sequence[object]) -> bool:
    """No byte of a rebuilt character survived, but one is narrowed to a
    few values (not blind, not much more).

    >>> _narrowed((frozenset(range(0xE0, 0xF0)), frozenset({0x81, 0x8D}))), _narrowed((0xE7, frozenset({0x81})))
    (True, False)
    """
    return all(not isinstance(x, int) for x in slots) and not _blind(slots)


@dataclass(frozen=True)
class Reconstruction:
    """A character rebuilt from lost bytes: the pick and what else fitted."""

    index: int              # position in the repaired span
    char: str
    confidence: float       # share of the local probability mass, 0..1
    alternatives: tuple[str, ...]
    unknown: int = 1        # how many of its bytes were lost
    blind: bool = False     # all of them: only the context chose it
    digit_share: float = 0.0  # probability mass of digits at this place
    narrowed: bool = False  # all lost, but one known to be one of a few values


@dataclass(frozen=True)
class SpanRepair:
    """One garbled span ``text[start:end]`` and its repair."""

    start: int
    end: int
    garbled: str
    repaired: str
    layer: Layer | Plan          # a Plan when several layers were peeled off
    gain: float                               # log10 P(repair) - log10 P(garbled)
    reconstructed: tuple[Reconstruction, ...] = ()
    #: the search read some of it through a fold (not yet verified)
    folded: bool = False

    @property
    def gain_odds(self) -> float:
        """Odds that the span is mojibake at all, from the score gain."""
        return 1.0 / (1.0 + 10.0 ** (-min(self.gain, 50.0)))


# -- the slot graph ----------------------------------------------------------

@dataclass
class _Graph:
    """Junction k sits before garbled char k; slot nodes carry one byte slot."""

    slot: list[Slot | None] = field(default_factory=list)     # None = junction
    nxt: list[tuple[int, ...]] = field(default_factory=list)
    junction: list[int] = field(default_factory=list)         # char k -> node id
    char_at: dict[int, int] = field(default_factory=dict)     # node id -> char k
    guess: list[bool] = field(default_factory=list)           # slot is unknown
    owner: list[int] = field(default_factory=list)            # node -> garbled char k
    #: char k -> some garbled character at k-1, k or k+1 holds known bytes
    anchored: list[bool] = field(default_factory=list)
    #: log10 cost of entering a node (the first slot of a fold reading)
    cost: list[float] = field(default_factory=list)
    #: nodes of fold readings; of dropped characters (these keep
    #: DROP_BEAM states, not BEAM)
    reading: set[int] = field(default_factory=set)
    wide: set[int] = field(default_factory=set)


#: Options kept over all (family, at_end) tables before they start over.
#: Each character seen costs an entry per family tried (38 tables once
#: narrowed by kind of loss mark): 40,512 entries, 5.3 MB, after the
#: per-kind samples of etl.py's 2 MB file (~2,800 distinct characters).
#: At 65,536 the tables alone grew to ~10 MB of each process; at 16,384
#: (with _known_options and char_bytes capped too) one process over
#: etl.py's 20 MB file peaked at 111 MB RSS instead of 122, in 429.5
#: CPU seconds instead of 437.3: refilling costs less than it saves.
OPTIONS_LIMIT = 16384

#: (family, at_end) -> {code point: options}: the memo of _reencode_options.
#: Plain dicts keyed by code point, not an lru_cache keyed by (ch, family,
#: at_end): the lru_cache's key tuple, its link and the 1-character string
#: made ~225 bytes an entry (~140 here), its 32,768 entries (full after a
#: few hundred garbled records) held 7.4 MB of a worker, plus 9.8 MB of
#: char_bytes' own cache under it, which this memo makes redundant.
_OPTIONS: dict[tuple[Family, bool], dict[int, tuple[SlotPath, ...] | None]] = {}
_options_held = 0       # entries in all of _OPTIONS' tables


def _reencode_options(ch: str, family: Family, at_end: bool = False) -> tuple[SlotPath, ...] | None:
    """Union over the family: the bytes any member decodes to ``ch``, and the
    patterns ``ch`` hides where it is some member's loss marker (memoised:
    a pure function of its arguments)."""
    table = _OPTIONS.get((family, at_end))
    if table is None:
        table = _OPTIONS.setdefault((family, at_end), {})
    o = ord(ch)
    try:
        return table[o]
    except KeyError:
        pass
    opts = _options(ch, family, at_end)
    global _options_held
    _options_held += 1
    if _options_held > OPTIONS_LIMIT:
        # starting over keeps a long job's memory flat; busy characters
        # come back at once (benign race under threads: same values, and
        # the count is only a bound)
        for t in _OPTIONS.values():
            t.clear()
        _options_held = 1
    table[o] = opts
    return opts


def _options(ch: str, family: Family, at_end: bool) -> tuple[SlotPath, ...] | None:
    """:func:`_reencode_options` computed (not memoised)."""
    opts: list[SlotPath] = []
    for spec in family.reencode:
        # char_bytes uncached: _reencode_options memoises the result
        opts.extend(tuple(b) for b in char_bytes.__wrapped__(ch, get_variant(spec))
                    if tuple(b) not in opts)
    for spec in family.verify:
        # a verify spec is one decoder, or a whole plan ("a -> b | c -> d")
        decoders = [x.decoding for x in Plan.parse(spec).layers] if "->" in spec else [spec]
        for decoder in decoders:
            opts.extend(p for p in marker_patterns(ch, get_variant(decoder), at_end)
                        if p not in opts)
    return tuple(opts) or None


def _build_graph(text: str, family: Family, extra: "_Readings | None" = None) -> _Graph:
    g = _Graph()
    n = len(text)
    # junction ids are allocated as we go; the last slot of an alternative
    # points at the junction where it ends (the next one, or further on for
    # a fold read back over several characters), linked once that exists.
    pending: dict[int, list[int]] = {}
    for k in range(n + 1):
        jid = len(g.slot)
        g.slot.append(None)
        g.nxt.append(())
        g.guess.append(False)
        g.owner.append(k)
        g.cost.append(0.0)
        g.junction.append(jid)
        g.char_at[jid] = k
        for p in pending.pop(k, ()):
            g.nxt[p] = (jid,)
        if k == n:
            break
        opts = _reencode_options(text[k], family, k == n - 1)
        alts: list[tuple[SlotPath, int, float]] = []
        if opts:
            nxt_opts = _next_options(text, k + 1, family, extra) if k + 1 < n else None
            for path in opts:
                path = follows(path, nxt_opts) if k + 1 < n else tuple(
                    x for x in path if not isinstance(x, Follow))
                if path:
                    alts.append((path, k + 1, 0.0))
        if extra is not None:
            alts = extra.around(k, alts)
        firsts = []
        for path, end, cost in alts:
            prev = -1
            # (a fold reading; with unknown bytes, a dropped character)
            reading = cost > 0
            wide = reading and not all(isinstance(x, int) for x in path)
            for s in path:
                sid = len(g.slot)
                g.slot.append(s)
                g.nxt.append(())
                g.guess.append(not isinstance(s, int))
                g.owner.append(k)
                g.cost.append(0.0)
                if reading:
                    g.reading.add(sid)
                if wide:
                    g.wide.add(sid)
                if prev < 0:
                    firsts.append(sid)
                    g.cost[sid] = cost
                else:
                    g.nxt[prev] = (sid,)
                prev = sid
            pending.setdefault(end, []).append(prev)
        g.nxt[jid] = tuple(firsts)
    # (a loss mark is no known byte, even where some decoder maps it to bytes)
    marks = _marks(family) | {"\ufffd"}
    known = [ord(ch) >= 0x80 and ch not in marks
             and any(all(isinstance(x, int) for x in o) for o in _reencode_options(ch, family) or ())
             for ch in text]
    g.anchored = [any(known[max(0, k - 1):k + 2]) for k in range(n)] + [False]
    return g


def _next_options(text: str, k: int, family: Family,
                  extra: "_Readings | None") -> tuple[SlotPath, ...] | None:
    """What the bytes from character ``k`` on may start with (for a loss
    marker's :class:`Follow`): its options and, under fold readings, the
    sources it may be unfolded to or a dropped character before it."""
    opts = _reencode_options(text[k], family, k == len(text) - 1)
    if extra is None:
        return opts
    return tuple(path for path, _, _ in extra.around(k, [(o, k + 1, 0.0) for o in opts or ()])) or None


def _char_paths(g: _Graph, start: int, length: int) -> list[tuple[tuple[int, ...], int]]:
    """Slot-node paths of ``length`` slots from node ``start``; each with the
    node that follows it."""
    out: list[tuple[tuple[int, ...], int]] = []

    def walk(node: int, acc: tuple[int, ...]) -> None:
        if g.slot[node] is None:               # junction: step through
            for nx in g.nxt[node]:
                walk(nx, acc)
            return
        acc = acc + (node,)
        if len(acc) == length:
            for nx in g.nxt[node]:
                out.append((acc, nx))
            return
        for nx in g.nxt[node]:
            walk(nx, acc)

    walk(start, ())
    return out


# -- fold readings (issue 4: damage applied after the mojibake) ---------------

#: log10 cost of reading a character back as the one a fold made it from
#: (an ASCII 'g' in GBK mojibake as the full-width 'ｇ', the bytes A3 E7):
#: the search takes it only where the bytes then read far better.
UNFOLD_COST = 2.0
#: log10 cost of a character the decoder showed as invisible and a cleaner
#: dropped, on top of the guess penalty of its unknown bytes.
DROP_COST = 2.0
#: States kept inside a dropped character's bytes: the character guessed
#: there is pruned before the next one is read, and with a bigram score
#: alone the right one is often not among the first BEAM (送正版: '正'
#: trails '検' and '此' after '送', and leads them by far before '版').
DROP_BEAM = 16
#: Candidates weighed for a character with bytes in a dropped one: the
#: frequent ones (a guess that rare would not be written anyway).
DROP_CANDIDATES = 80
#: Fold readings are tried only where at most this share of the non-ASCII
#: characters have bytes that do not decode (and no loss mark, no folded
#: character beside them explains):
#: text garbled and then folded shows a few such places (0 to 0.33 on the
#: benchmark's folded rows), clean text searched under a wrong hypothesis
#: shows them nearly everywhere (0.42 and up on the corpus's clean lines
#: that show a signature).
MAX_BAD_SHARE = 0.35
#: Bytes that UTF-8 has (no C0, C1, F5-FF anywhere in it).
_UTF8_BYTES = frozenset(range(0x100)) - {0xC0, 0xC1} - frozenset(range(0xF5, 0x100))


@dataclass
class _Readings:
    """The fold readings one search may use (see :mod:`luanma.folds`)."""

    n: int
    #: char k -> (garbled characters read as one, bytes, cost)
    unfold: dict[int, list[tuple[int, SlotPath, float]]]
    #: junction (before char k; n: after the last) -> how many dropped
    #: characters (1, 2) may fill it
    drops: dict[int, tuple[int, ...]]
    patterns: tuple[SlotPath, ...]

    def around(self, k: int, alts: list[tuple[SlotPath, int, float]]
               ) -> list[tuple[SlotPath, int, float]]:
        """``alts`` (char ``k``'s readings: bytes, junction reached, cost)
        with the fold readings of char ``k`` added."""
        more = self.unfold.get(k)
        out = alts + [(path, k + m, cost) for m, path, cost in more] if more else list(alts)
        at_end = self.n in self.drops and any(end == self.n for _, end, _ in out)
        if k not in self.drops and not at_end:
            return out
        # (a dropped character beside a loss mark's unknown bytes would be
        # all guesswork: only beside known bytes)
        known = [a for a in out if all(isinstance(x, int) for x in a[0])]
        if k in self.drops:
            out.extend((pat + path, end, cost + extra)
                       for path, end, cost in known for pat, extra in self._dropped(k))
        if at_end:
            out.extend((path + pat, end, cost + extra)
                       for path, end, cost in known if end == self.n
                       for pat, extra in self._dropped(self.n))
        return out

    def _dropped(self, j: int) -> list[tuple[SlotPath, float]]:
        """The bytes that may have been dropped at junction ``j``, with their cost."""
        out = [(p, DROP_COST) for p in self.patterns] if 1 in self.drops[j] else []
        if 2 in self.drops[j]:
            # (two in a row happen: '办公室' in GBK holds two private-use pairs)
            out.extend((p + q, 2 * DROP_COST) for p in self.patterns for q in self.patterns)
        return out


def _fold_readings(text: str, hyp: Hypothesis, family: Family) -> _Readings | None:
    """The fold readings of ``text`` under ``hyp`` (None: there are none,
    and the search is exactly the plain one).

    *Unfold* wherever a folded character follows a non-ASCII one: every
    source a fold reads back here starts with a UTF-8 continuation byte
    (full-width forms are A3xx in GBK, 82xx in Shift_JIS; half-width kana
    A1-BF), whose lead byte a garbled character before it must hold.  No
    local test can do better: '繝シ' (E3 83 | 83 56) decodes as well as
    '繝ｼ' (E3 83 | BC) does -- only the language model tells 'ッV' from 'ー'.

    *Drop* only next to characters whose bytes do not decode in the true
    encoding and that no loss mark explains: a dropped pair takes bytes out
    of the middle of UTF-8 characters, and a guess at every junction would
    cost a guess's search everywhere.

    Only UTF-8 true encodings: their byte structure checks each reading; a
    legacy double-byte stream reads as something almost anywhere.
    """
    if hyp.encoding != "utf-8" or family.seeds != "bytes":
        return None
    # A fold leaves nothing it would fold again: text that still holds a
    # full-width form was not width-folded (nor NFKC-folded: NFKC folds
    # them too), text that holds a private-use character lost none.
    kinds = [k for k in UNFOLD_KINDS if refold(text, k) == text]
    may_drop = refold(text, "invisible") == text
    if not kinds and not may_drop:
        return None
    n = len(text)
    unfold: dict[int, list[tuple[int, SlotPath, float]]] = {}
    folded = _folded_chars(family) if kinds else frozenset()
    explained: set[int] = set()
    for k in range(1, n):
        if text[k] not in folded or ord(text[k - 1]) < 0x80 or text[k] == "?":
            # ('?' after a garbled character is a Windows decoder's loss
            # mark far more often than a folded '？' or '﹖')
            continue
        for m in range(1, MAX_UNFOLD + 1):
            if k + m > n:
                break
            for path in _unfold_options(text[k:k + m], family, "nfkc" in kinds):
                unfold.setdefault(k, []).append((m, path, UNFOLD_COST))
                explained.update(range(k - 1, k + m + 1))
    data, owner = _stream(text, family)
    bad = _undecodable(text, data, owner, family)
    # (bytes an unfold may mend, next to a folded character, count as read)
    if sum(1 for b in bad if b not in explained) > max(
            1.0, MAX_BAD_SHARE * sum(1 for c in text if ord(c) >= 0x80)):
        # Text this hypothesis does not read at all (clean text searched for
        # a signature it happens to show): no fold explains that.
        return None
    # (the byte tables only where a dropped character may be: they take a
    # few tens of milliseconds to build, once)
    patterns = _utf8_drop_patterns(family) if may_drop and bad else ()
    drops: dict[int, tuple[int, ...]] = {}
    if patterns:
        for j in sorted({j for b in bad for j in (b, b + 1)}):
            fit = _drops_fit(text, j, family, patterns)
            if fit:
                drops[j] = fit
    if not unfold and not drops:
        return None
    return _Readings(n, unfold, drops, patterns if drops else ())


def _drops_fit(text: str, j: int, family: Family, patterns: tuple[SlotPath, ...]
               ) -> tuple[int, ...]:
    """How many dropped characters (1, 2) before character ``j`` would let
    the bytes of the characters either side be UTF-8.  (One character each
    side: drops come in clusters, and the next one breaks a wider window.)"""
    lo, hi = max(0, j - 1), min(len(text), j + 1)
    if any(c in _marks(family) or c == "\ufffd" for c in text[lo:hi]):
        return ()
    options = [[(ord(c),)] if ord(c) < 0x80 else list(_known_options(c, family))
               for c in text[lo:hi]]
    if not all(options) or math.prod(len(o) for o in options) > MAX_MEND:
        return ()
    fit = []
    for count, pats in ((1, patterns), (2, [p + q for p in patterns for q in patterns])):
        if any(_utf8_possible([x for o in chosen[:j - lo] for x in o] + list(pat)
                              + [x for o in chosen[j - lo:] for x in o])
               for chosen in itertools.product(*options) for pat in pats):
            fit.append(count)
    return tuple(fit)


#: What may follow a UTF-8 lead byte: (continuation bytes, range of the first)
_UTF8_LEADS: dict[int, tuple[int, int, int]] = {
    **{b: (1, 0x80, 0xBF) for b in range(0xC2, 0xE0)},
    0xE0: (2, 0xA0, 0xBF), 0xED: (2, 0x80, 0x9F),
    **{b: (2, 0x80, 0xBF) for b in (*range(0xE1, 0xED), 0xEE, 0xEF)},
    0xF0: (3, 0x90, 0xBF), 0xF4: (3, 0x80, 0x8F),
    **{b: (3, 0x80, 0xBF) for b in range(0xF1, 0xF4)},
}


def _utf8_possible(slots: Sequence[Slot]) -> bool:
    """Can bytes fitting ``slots`` (a byte, or a set of them) be UTF-8, but
    for a character cut at either end?

    >>> _utf8_possible([0xA3, 0xE4, 0xB8]), _utf8_possible([0xE4, 0x41])
    (True, False)
    >>> _utf8_possible([0xE4, frozenset({0x41, 0xB8}), 0xAD])
    True
    """
    # state: (continuation bytes still due, range of the next one)
    states = {(0, 0, 0)} | {(k, 0x80, 0xBF) for k in (1, 2, 3)}
    for slot in slots:
        byts = (slot,) if isinstance(slot, int) else slot
        nxt = set()
        for due, a, b in states:
            for x in byts:
                if due:
                    if a <= x <= b:
                        nxt.add((due - 1, 0x80, 0xBF) if due > 1 else (0, 0, 0))
                elif x < 0x80:
                    nxt.add((0, 0, 0))
                elif x in _UTF8_LEADS:
                    nxt.add(_UTF8_LEADS[x])
        if not nxt:
            return False
        states = nxt
    return True


@lru_cache(maxsize=None)
def _folded_chars(family: Family) -> frozenset[str]:
    """The first characters of every string a fold may have made from a
    character the decoders of ``family`` write."""
    return frozenset(f[0] for f in unfold_sources(family.reencode))


@lru_cache(maxsize=4096)
def _unfold_options(folded: str, family: Family, nfkc: bool = True) -> tuple[SlotPath, ...]:
    """The bytes of every character that folds to ``folded`` and that a
    decoder of ``family`` writes, as UTF-8 could hold them (``nfkc``:
    under NFKC, else under width folding only)."""
    out: list[SlotPath] = []
    for source, kind in unfold_sources(family.reencode).get(folded, ()):
        if kind != "width" and not nfkc:
            continue
        for spec in family.reencode:
            for b in char_bytes(source, get_variant(spec)):
                if len(b) <= 2 and _UTF8_BYTES.issuperset(b) and tuple(b) not in out:
                    out.append(tuple(b))
    return tuple(out)


@lru_cache(maxsize=None)
def _utf8_drop_patterns(family: Family) -> tuple[SlotPath, ...]:
    """:func:`luanma.folds.drop_patterns` of the family, as UTF-8 could hold them."""
    out = []
    for pat in drop_patterns(family.verify):
        slots = tuple(frozenset(x) & _UTF8_BYTES for x in pat)  # type: ignore[arg-type]
        if all(slots):
            out.append(slots)
    return tuple(out)


def _fold_cost(span: SpanRepair) -> float:
    """What a verified span read through a fold pays on top of its gain:
    the search's cost for each character unfolded or dropped.

    >>> span = SpanRepair(0, 3, "鏁g儹", "散热", Plan.parse("utf-8 -> gbk | fold:width"), 20.0)
    >>> _fold_cost(span) == UNFOLD_COST
    True
    """
    layer = span.layer
    if not isinstance(layer, Plan) or not isinstance(layer.layers[-1], Fold):
        return 0.0
    kind = layer.layers[-1].kind
    try:
        before = Plan(layer.layers[:-1]).apply(span.repaired).text
    except (LuanmaError, UnicodeError):
        return 0.0
    if kind == "invisible":
        return DROP_COST * max(1, len(before) - len(span.garbled))
    return UNFOLD_COST * max(1, sum(1 for c in before if refold(c, kind) != c))


def _stream(text: str, family: Family) -> tuple[bytes, list[int]]:
    """The bytes behind ``text`` (each character's first fully known
    option) and the character each byte came from."""
    buf = bytearray()
    owner: list[int] = []
    marks = _marks(family)
    for i, ch in enumerate(text):
        if ch in marks:
            # a loss mark may hide the last byte of a character cut short
            # ("銆?" for "。"): it may complete a seed, never start one
            buf.append(0x80)
            owner.append(i)
            continue
        if ord(ch) < 0x80:
            buf.append(ord(ch))
            owner.append(i)
            continue
        known = _known_options(ch, family)
        first = known[0] if known else None
        if first is None:
            # markers and unmappable characters: keep them as wildcards that
            # cannot complete a seed by themselves
            buf.append(0x3F)
            owner.append(i)
            continue
        buf.extend(first)  # type: ignore[arg-type]
        owner.extend([i] * len(first))
    return bytes(buf), owner


def _undecodable(text: str, data: bytes, owner: list[int], family: Family) -> list[int]:
    """The characters of ``text`` whose bytes (``data``, from :func:`_stream`)
    fail to decode as UTF-8 whichever bytes they and their neighbours are
    read as, but for those beside a loss mark."""
    marks = _marks(family) | {"\ufffd"}
    bad: list[int] = []
    pos = 0
    for ch in data.decode("utf-8", "surrogateescape"):
        if 0xDC80 <= ord(ch) <= 0xDCFF:
            k = owner[pos]
            if (not bad or bad[-1] != k) and not any(c in marks for c in text[max(0, k - 1):k + 2]) \
                    and not _mended(text, k, family):
                bad.append(k)
            pos += 1
        else:
            pos += len(ch.encode("utf-8", "surrogatepass"))
    return bad


def _mended(text: str, k: int, family: Family) -> bool:
    """Do the bytes around character ``k`` decode as UTF-8 once the
    characters there are read as others of their byte sequences?
    (_stream takes each character's first: CP936's '€' is 0x80 where
    GB18030's is A2 E3.)"""
    lo, hi = max(0, k - 2), min(len(text), k + 3)
    marks = _marks(family)
    if all(c in marks or ord(c) < 0x80 or len(_known_options(c, family)) < 2 for c in text[lo:hi]):
        return False            # (the usual case: one reading each)
    options = [[(0x80,)] if c in marks else [(ord(c),)] if ord(c) < 0x80 else
               list(_known_options(c, family)) for c in text[lo:hi]]
    if not all(options) or math.prod(len(o) for o in options) > MAX_MEND:
        return False
    return any(_decodes_inside(b"".join(bytes(o) for o in chosen))  # type: ignore[arg-type]
               for chosen in itertools.product(*options))


@lru_cache(maxsize=8192)
def _known_options(ch: str, family: Family) -> tuple[SlotPath, ...]:
    """The options of ``ch`` (:func:`_reencode_options`) that are all bytes."""
    return tuple(o for o in _reencode_options(ch, family) or () if all(isinstance(x, int) for x in o))


#: Readings of a stretch of characters :func:`_mended` tries at most.
MAX_MEND = 16


def _decodes_inside(data: bytes) -> bool:
    """Is ``data`` valid UTF-8 but for a cut character at either end?"""
    start = 0
    while start < min(3, len(data)) and 0x80 <= data[start] < 0xC0:
        start += 1
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data[start:], final=False)
    except UnicodeDecodeError:
        return False
    return True


# -- the search --------------------------------------------------------------

@lru_cache(maxsize=16)
def _index(encoding: str) -> CandidateIndex:
    lm = get_model()
    # most frequent first, so that a capped candidate list keeps the likeliest
    vocab = sorted(lm.vocabulary(), key=lm.unigram_logp, reverse=True)
    # a lost byte is often ASCII (the swallowed space or newline after a cut
    # character), whatever the model saw in training
    extra = [chr(c) for lo, hi in _SYMBOL_BLOCKS for c in range(lo, hi)]
    # (the search weighs at most MAX_CANDIDATES characters for one pattern,
    # and _reconstructions as many: the index keeps no more)
    return CandidateIndex(encoding, [chr(c) for c in range(0x80)] + list(vocab) + extra,
                          limit=MAX_CANDIDATES)


#: Symbol blocks a lost byte may belong to although the model never saw them
#: as text: rule and box lines, dashes and quotes, CJK and full-width marks.
_SYMBOL_BLOCKS: tuple[tuple[int, int], ...] = (
    (0x00A0, 0x0100), (0x2010, 0x2060), (0x2190, 0x2200), (0x2460, 0x24FF),
    (0x2500, 0x2600), (0x3000, 0x3040), (0xFF01, 0xFF5F))


_INDEX_LOCK = threading.Lock()


def _candidate_index(encoding: str) -> CandidateIndex:
    with _INDEX_LOCK:
        return _index(encoding)


# back-pointer: (mode, node or character index, emitted text, guess pattern,
# the back-pointer it extends, whether the character took a fold reading)
_Back = tuple


@dataclass
class Work:
    """Guess expansions one repair may still spend, over all its searches.

    Each search has its own budget, linear in its window; this one bounds
    their sum, so that text mojibake under many hypotheses at once (dense
    U+FFFD, say) costs no more than a few searches.  Once it is spent,
    searches still run but try no guesses: what known bytes decide is
    still found.
    """

    left: float
    #: model calls left for re-ranking guesses (:func:`_reconstructions`);
    #: past it a guess keeps the search's pick with no confidence, and so
    #: stays U+FFFD in repair()'s output
    rerank: float = float("inf")

    @classmethod
    def for_text(cls, text: str) -> "Work":
        return cls(CALL_WORK_PER_CHAR * len(text) + CALL_WORK_BASE,
                   RERANK_WORK_PER_CHAR * len(text) + RERANK_WORK_BASE)


#: The per-call budget: a few full searches' worth.
CALL_WORK_PER_CHAR = 2000
CALL_WORK_BASE = 100000
#: Model calls for re-ranking guesses, per call of repair(): the most the
#: accuracy benchmark's lossy paragraphs need is about 850 a character
#: (Korean read by a WHATWG EUC-KR decoder, nearly every character cut);
#: past it, guesses stay unconfirmed (U+FFFD) instead of the call running
#: on.  (Each model call is tens of microseconds: text that is nothing but
#: losses still costs milliseconds a character, linearly.)
RERANK_WORK_PER_CHAR = 1000
RERANK_WORK_BASE = 20000


#: Searches remembered (see search): (text, hypothesis, folds, penalty,
#: model, with a Work or not) -> (spans, budget spent, re-rank budget
#: spent).  A plain memo, started over at this many entries (each holds
#: one window's text and its few spans).
SEARCH_MEMO_LIMIT = 256
_SEARCHED: dict[tuple, tuple[tuple[SpanRepair, ...], float, float]] = {}


def search(text: str, hyp: Hypothesis, lm: LanguageModel | None = None,
           span_penalty: float = SEARCH_PENALTY, work: Work | None = None,
           folds: bool = True) -> list[SpanRepair]:
    """Best repair of ``text`` under one hypothesis; spans not yet verified.
    ``folds``: also read the text back through folds where it asks for it
    (:func:`_fold_readings`).

    A repair searches the same window under the same hypothesis again (a
    second pass after a round of fixes, say); where neither budget can bind
    the search is a pure function of its arguments and the remembered
    spans are returned, its costs charged to ``work`` as if it had run:
    the search's own budget was whole both times (``work.left`` at least a
    full search's), and re-ranking never ran out the first time and cannot
    the second (``work.rerank`` above what it spent).

    >>> [(s.garbled, s.repaired) for s in search("Sego 鍥炬爣", Hypothesis("utf-8", "gbk"))]
    [('鍥炬爣', '图标')]
    """
    lm = lm or get_model()
    full = WORK_PER_CHAR * max(len(text), 1) + WORK_BASE
    # (the budgets are whole numbers as Work.for_text makes them: charging a
    # remembered cost is then exact)
    whole = work is None or (type(work.left) is int and type(work.rerank) is int
                             and work.left >= full)
    key = (text, hyp, folds, span_penalty, lm, work is None)
    if whole:
        hit = _SEARCHED.get(key)
        if hit is not None and (work is None or work.rerank > hit[2]):
            if work is not None:
                work.left -= hit[1]
                work.rerank -= hit[2]
            return list(hit[0])
    left0, rerank0 = (work.left, work.rerank) if work is not None else (0.0, 0.0)
    spans = _search(text, hyp, lm, span_penalty, work, folds)
    if whole and (work is None or work.rerank > 0):
        # (re-ranking never ran out: the budget only falls, and it is above
        # 0 at the end)
        if len(_SEARCHED) >= SEARCH_MEMO_LIMIT:
            _SEARCHED.clear()
        _SEARCHED[key] = (tuple(spans), (left0 - work.left) if work is not None else 0.0,
                          (rerank0 - work.rerank) if work is not None else 0.0)
    return spans


def _search(text: str, hyp: Hypothesis, lm: LanguageModel, span_penalty: float,
            work: Work | None, folds: bool) -> list[SpanRepair]:
    """:func:`search` run."""
    family = _family(hyp)
    g = _build_graph(text, family, _fold_readings(text, hyp, family) if folds else None)
    idx = _candidate_index(hyp.encoding)
    enc = hyp.encoding
    n = len(text)
    memo: dict[tuple[str, str], float] = {}
    raw_logp = lm.logp

    def logp(prev: str, ch: str) -> float:
        v = memo.get((prev, ch))
        if v is None:
            if len(memo) >= MEMO_LIMIT:
                # a plain cache: starting it over bounds memory on long
                # windows and changes no score
                memo.clear()
            v = memo[(prev, ch)] = raw_logp(prev, ch)
        return v

    # (pattern, count) -> the candidates' characters and guess priors; and
    # (state's character, pattern, count) -> the candidates' scores after it.
    # Plain caches, both started over once they hold ROW_LIMIT items: a
    # pattern recurs at every loss mark of the same shape.
    cand_memo: dict[tuple, tuple[list[str], list[float] | None]] = {}
    rows_memo: dict[tuple, list[float]] = {}
    held = 0
    follow = getattr(lm, "follow_scores", None)

    def row(last: str, key: tuple, chars: list[str]) -> list[float]:
        nonlocal held
        rk = (last, key)
        r = rows_memo.get(rk)
        if r is None:
            r = rows_memo[rk] = (follow(last, chars) if follow is not None
                                 else [raw_logp(last, c) for c in chars])
            held += len(r)
        return r

    # (the bound holds for the base model only; an adapted one mixes in
    # the document's own counts, so nothing is skipped under it)
    bound = lm.term_bound() if isinstance(lm, LanguageModel) else math.inf
    precede = getattr(lm, "precede_scores", None)
    # states[node] -> {last_char: (score, back)}; clean states live on junctions.
    # A back-pointer holds the back-pointer it extends (a linked path), so a
    # table is dropped as soon as its node is done and the paths nothing
    # extends are freed: memory follows the live paths, not every state ever
    # pushed (once ~15 KB a character of garbled text).
    rep: list[dict[str, tuple[float, _Back]] | None] = [None] * len(g.slot)
    clean: list[dict[str, tuple[float, _Back]] | None] = [dict() for _ in range(n + 1)]
    clean[0]["\n"] = (0.0, None)

    def push(table: dict, key: str, score: float, back: _Back) -> None:
        old = table.get(key)
        if old is None or score > old[0]:
            table[key] = (score, back)

    # (only a text with loss marks has guesses to weigh)
    priors = _ascii_priors(text) if any(g.guess) else {}
    full = WORK_PER_CHAR * max(n, 1) + WORK_BASE
    budget = start = min(full, work.left) if work is not None else full
    # Fold readings spend a budget of their own, as large, so that they
    # never starve the plain reading's guesses (they count in ``work``).
    fold_left = fold_start = max(start, 0)
    slot_at, guess_at, owner_at = g.slot.__getitem__, g.guess.__getitem__, g.owner.__getitem__
    anchored_at = g.anchored.__getitem__
    has_reading = bool(g.reading)
    for node in range(len(g.slot)):
        # Past the budget (many unknown bytes), a guess weighs only the few
        # most frequent characters that fit: the search stays linear in the
        # text, and what the known bytes decide is still repaired.
        # Past twice that, no more guesses at all (the hard bound on work).
        cap = (MAX_CANDIDATES if budget >= 0 else
               STARVED_CANDIDATES if budget >= -STARVED_BUDGET * full else 0)
        is_j = g.slot[node] is None
        k = g.char_at.get(node, -1)
        states = rep[node]
        if states is None:
            if not is_j:
                continue
            states = rep[node] = {}
        if is_j:
            cl = clean[k]
            assert cl is not None
            for last, (sc, b) in list(states.items()):       # leave repair mode
                push(cl, last, sc, ("R", node, "", False, b, False))
            for last, (sc, b) in list(cl.items()):           # enter repair mode
                push(states, last, sc - span_penalty, ("C", k, "", False, b, False))
            if k < n:
                ch = text[k]
                if cl:
                    top, win = _best_before(cl, ch, logp, precede, bound)
                    push(clean[k + 1], ch, top, ("C", k, ch, False, win, False))  # type: ignore[arg-type]
                clean[k] = None          # (nothing reads a junction's table again)
        rep[node] = None
        if not states or not g.nxt[node]:
            continue
        wide = node in g.wide
        if len(states) > (DROP_BEAM if wide else BEAM):
            # prune for expansion only: back-pointers may still name the rest
            states = _best_states(states, DROP_BEAM if wide else BEAM)
        # (the wider beam inside a dropped character is for the known bytes
        # after it; a guess from there weighs the usual few states)
        narrow = _best_states(states, BEAM) if wide and len(states) > BEAM else states
        firsts = g.nxt[node] if is_j else (node,)
        for first in firsts:
            for length in char_lengths(enc, g.slot[first]):  # type: ignore[arg-type]
                for path, after in _char_paths(g, first, length):
                    # (map over the graph's lists: these run for every path
                    # of every node, and a generator per test cost more than
                    # the tests)
                    pattern = tuple(map(slot_at, path))
                    guess = any(map(guess_at, path))
                    read = has_reading and not g.reading.isdisjoint(path)   # a fold reading
                    if guess and not (fold_left > 0 if read else cap):
                        continue
                    if guess and all(map(guess_at, path)) and \
                            not any(anchored_at(owner_at(i)) for i in path):
                        # every byte unknown and no known byte beside it
                        # (a run of marks): any character would be invention
                        continue
                    cands = candidates(enc, pattern, index=idx)  # type: ignore[arg-type]
                    if not cands:
                        continue
                    here = cap
                    if guess and read:
                        here = DROP_CANDIDATES if any(i in g.wide for i in path) else MAX_CANDIDATES
                    if len(cands) > here:
                        # two or more unknown bytes: almost any character fits;
                        # the frequent ones are the only realistic guesses
                        cands = cands[:here]
                    target = rep[after]
                    if target is None:
                        target = rep[after] = {}
                    pen = GUESS_PENALTY if guess else 0.0
                    if read:
                        pen += sum(g.cost[i] for i in path)
                    fro = narrow if guess else states
                    if read:
                        fold_left -= len(cands) * len(fro)
                    else:
                        budget -= len(cands) * len(fro)
                    # Each candidate is pushed once, from the first state
                    # that gives it the best score: what pushing it from
                    # every state in turn leaves in ``target``.  Scores come
                    # as whole rows per (state, candidate list), from the
                    # memo when the same list follows the same character.
                    key = (pattern, len(cands))
                    info = cand_memo.get(key)
                    if info is None:
                        if held >= ROW_LIMIT:
                            cand_memo.clear()
                            rows_memo.clear()
                            held = 0
                        chars = [c for c, _ in cands]
                        held += 2 * len(chars)
                        info = cand_memo[key] = (
                            chars, [_guess_prior(c, priors) for c in chars] if guess else None)
                    chars, gps = info
                    costs = [pen - p for p in gps] if gps is not None else [pen - 0.0] * len(chars)
                    gpat = pattern if guess else None
                    rows = [row(last, key, chars) for last in fro]
                    sbs = list(fro.values())
                    if len(sbs) == 1:
                        sc, b = sbs[0]
                        for ch, r, c in zip(chars, rows[0], costs):
                            v = sc + r - c
                            old = target.get(ch)
                            if old is None or v > old[0]:
                                target[ch] = (v, ("R", node, ch, gpat, b, read))
                    else:
                        cols = [[sc + r - c for r, c in zip(rw, costs)] for (sc, _b), rw in zip(sbs, rows)]
                        for ch, vals in zip(chars, zip(*cols)):
                            v = max(vals)
                            old = target.get(ch)
                            if old is None or v > old[0]:
                                target[ch] = (v, ("R", node, ch, gpat, sbs[vals.index(v)][1], read))
    if work is not None:
        work.left -= start - budget + fold_start - fold_left
    return _trace(text, hyp, g, clean[n] or {}, lm, priors, work)


def _best_before(cl: dict[str, tuple[float, _Back]], ch: str, logp: Callable[[str, str], float],
                 precede: Callable[[Sequence[str], str], list[float]] | None,
                 bound: float) -> tuple[float, _Back]:
    """(score, back-pointer) of the state of ``cl`` that ``ch`` best follows:
    the first of the best ``score + logp(last, ch)``, as ``max()`` picks it.

    ``cl`` holds every candidate that reached a junction (hundreds after a
    guess).  The state of the best score alone sets a floor for the best
    total; a state whose score plus ``bound`` (the most one character's
    score can add) is below that floor cannot win and is not scored.

    >>> lp = lambda prev, c: {"a": -1.0, "b": -3.0}[prev]
    >>> _best_before({"b": (0.0, "B"), "a": (-1.5, "A")}, "x", lp, None, 1.0)
    (-2.5, 'A')
    """
    items = list(cl.items())
    if len(items) == 1:
        last, (sc, b) = items[0]
        return sc + logp(last, ch), b
    scores = [st[0] for _, st in items]
    i = scores.index(max(scores))
    floor = scores[i] + logp(items[i][0], ch)
    keep = [j for j, sc in enumerate(scores) if not sc + bound < floor]
    lasts = [items[j][0] for j in keep]
    vals = precede(lasts, ch) if precede is not None else [logp(last, ch) for last in lasts]
    top, win = -math.inf, -1
    for j, v in zip(keep, vals):
        v = scores[j] + v
        if v > top or win < 0:
            top, win = v, j
    return top, items[win][1][1]


def _best_states(states: dict[str, tuple[float, _Back]], k: int) -> dict[str, tuple[float, _Back]]:
    """The ``k`` best states, best first, ties in ``states``' order: what
    ``dict(sorted(states.items(), key=lambda kv: -kv[1][0])[:k])`` gives,
    without a key call for each of the hundreds of states a guess leaves.

    >>> _best_states({"a": (1.0, None), "b": (3.0, None), "c": (1.0, None), "d": (0.0, None)}, 2)
    {'b': (3.0, None), 'a': (1.0, None)}
    """
    scores = [v[0] for v in states.values()]
    if len(scores) <= k:
        return dict(sorted(states.items(), key=lambda kv: -kv[1][0]))
    cut = sorted(scores)[-k]
    # every state at or above the k-th best score, in the dict's order: the
    # ones above come first in the full sort, then the ties at the cut in
    # this order (a stable sort), so the first k are the same
    sel = [kv for kv in states.items() if kv[1][0] >= cut]
    sel.sort(key=lambda kv: -kv[1][0])
    return dict(sel[:k])


def _trace(text, hyp, g, final, lm, priors, work: "Work | None" = None) -> list[SpanRepair]:
    """Walk the back-pointers of the best path and cut it into spans.

    A run in repair mode is cut wherever it passed a garbled character
    through unchanged (ASCII between two garbled stretches): each stretch is
    a span of its own, verified and kept or dropped on its own.
    """
    if not final:
        return []
    # the text ends here: a line end is part of the context ("。" ends a
    # sentence, "、" does not)
    last, (_score, back) = max(final.items(), key=lambda kv: kv[1][0] + lm.logp(kv[0], _END))
    steps = []   # (kind, start node or k, end node, emitted, guess pattern)
    mode, cur_node = "C", None
    while back is not None:
        bmode, bnode, emitted, guess, parent, read = back
        if mode == "C" and bmode == "R":          # left repair mode at junction bnode
            steps.append(("exit", bnode, None, "", None, False))
        elif mode == "R" and bmode == "C":        # entered repair mode at char bnode
            steps.append(("enter", bnode, None, "", None, False))
        elif mode == "R":                           # one character, bnode -> cur_node
            steps.append(("R", bnode, cur_node, emitted, guess, read))
        cur_node = bnode if bmode == "R" else None
        mode = bmode
        back = parent
    steps.reverse()
    pieces: list[tuple[int, int, list]] = []
    cur: list = []
    start = None
    read_in: set[int] = set()      # pieces (by start) a fold reading went into
    for kind, a, b, emitted, guess, read in steps:
        if kind == "enter":
            start, cur = a, []
        elif kind == "R":
            ka, kb = g.char_at.get(a), g.char_at.get(b)
            if ka is not None and kb == ka + 1 and emitted == text[ka] and guess is None:
                if start is not None and start < ka:
                    pieces.append((start, ka, cur))
                start, cur = kb, []
            else:
                if start is None:
                    start = ka
                cur.append((emitted, guess))
                if read:
                    read_in.add(start)
        elif kind == "exit":
            end = g.char_at[a]
            if start is not None and start < end:
                pieces.append((start, end, cur))
            start = None
    spans: list[SpanRepair] = []
    # The document under this reading: its own words are the best evidence
    # for what a lost character was.  Guesses are left out (as U+FFFD), or a
    # first guess would vote for itself.
    doc, pos = [], 0
    for a, b, chars in pieces:
        doc.append(text[pos:a])
        doc.append("".join(c if g is None else "\ufffd" for c, g in chars))
        pos = b
    doc.append(text[pos:])
    alm = lm.adapt("".join(doc)) if any(g is not None for *_, chars in pieces
                                        for _, g in chars) else lm
    for a, b, chars in pieces:
        garbled = text[a:b]
        if not chars or "".join(c for c, _ in chars) == garbled:
            continue
        if _family(hyp).seeds != "markers" and any(gp is not None for _, gp in chars) \
                and _known_gain(lm, text, a, b, "".join(c for c, _ in chars), hyp) <= 0:
            # nothing the known bytes decide reads better than what stands
            # there (find_spans would drop it): not worth re-ranking guesses
            continue
        repaired, recon = _reconstructions(alm, hyp, text, a, b, chars, priors, work)
        spans.append(SpanRepair(a, b, garbled, repaired,
                                Layer(hyp.encoding, _family(hyp).reencode[0]),
                                _gain(lm, text, a, b, repaired), recon, a in read_in))
    return spans


#: What the model saw after the last character of every training line.
_END = "\n"


def _gain(lm: LanguageModel, text: str, start: int, end: int, repaired: str) -> float:
    left = text[start - 1] if start else "\n"
    right = text[end] if end < len(text) else _END
    a = lm.score(repaired + right, left)
    b = lm.score(text[start:end] + right, left)
    return a - b


def _evidence(lm: LanguageModel, text: str, span: SpanRepair, hyp: Hypothesis) -> float:
    """The gain of ``span`` that its decoded characters earn.

    A loss mark scores far below any character, so a repair that merely
    fills marks with likely guesses "gains" on the garbled text even where
    no byte supports it: correct text with lost characters
    ("中\ufffd中\ufffd...") would be rewritten into whatever the known bytes
    plus guesses spell.  Here the garbled text's loss marks cost nothing
    (an unknown character, not a bad one), while the repair still pays for
    every character it writes, guesses included.  (Masking the guesses as
    well would also mask what their known bytes say: '鍜?' -> '和 ' has two
    of 和's three bytes.)

    >>> find_spans("中\ufffd" * 5)       # (Big5 read as UTF-8 would "gain" 27)
    []
    """
    if not span.reconstructed or _family(hyp).seeds == "markers":
        # (where the text is the original but for loss marks, each mark's
        # shape is itself the evidence: '\ufffd??' is a lead byte and two of
        # CP1252's five undefined bytes -- see _convincing)
        return span.gain
    known = _known_gain(lm, text, span.start, span.end, span.repaired, hyp)
    return min(span.gain, known)


def _known_gain(lm: LanguageModel, text: str, start: int, end: int, repaired: str,
                hyp: Hypothesis) -> float:
    """log10 gain of ``repaired`` over ``text[start:end]`` with the loss
    marks of the garbled text read as unknown characters (no cost): the
    repair still pays for every character it claims, guesses included."""
    marks = _marks(_family(hyp)) | {"\ufffd"}
    left = text[start - 1] if start else "\n"
    right = text[end] if end < len(text) else _END
    garbled, prev = 0.0, left
    for c in text[start:end] + right:
        if c not in marks:
            garbled += lm.score(c, prev)
        prev = prev[-1:] + c
    return lm.score(repaired + right, left) - garbled


def _reconstructions(lm, hyp, text, start, end, chars,
                     priors, work: "Work | None" = None) -> tuple[str, tuple[Reconstruction, ...]]:
    """Re-rank guessed characters with wider context and word evidence.

    The Viterbi pass sees one character of context; here every character
    that fits the same byte slots competes under
    :meth:`LanguageModel.fill_logp` (trigram context plus the word lexicon).
    Guesses standing side by side are ranked together, so a two-character
    word can win even when neither half would alone.  The share of
    probability mass the winner holds is its confidence.
    """
    out: list[Reconstruction] = []
    cur = [c for c, _ in chars]
    idx = _candidate_index(hyp.encoding)
    w = 6
    i = 0
    while i < len(chars):
        if chars[i][1] is None:
            i += 1
            continue
        j = i
        while j < len(chars) and chars[j][1] is not None and j - i < MAX_JOINT:
            j += 1
        if work is not None and work.rerank <= 0:
            # out of budget: the search's picks stand, unconfirmed
            for k in range(i, j):
                unknown = sum(1 for x in chars[k][1] if not isinstance(x, int))
                out.append(Reconstruction(k, cur[k], 0.0, (), unknown, _blind(chars[k][1]), 0.0,
                                          _narrowed(chars[k][1])))
            i = j
            continue
        left = (text[max(0, start - w):start] + "".join(cur[:i]))[-w:] or "\n"
        right = ("".join(cur[j:]) + text[end:end + w] + _END)[:w]
        pools = []
        spent = 0
        for k in range(i, j):
            pool = {c for c, _ in idx.match(chars[k][1])[:MAX_CANDIDATES]} | {cur[k]}
            spent += len(pool)
            # cheap character context first; word evidence for the front runners
            lk = (left + "".join(cur[i:k]))[-w:]
            rk = ("".join(cur[k + 1:j]) + right)[:w]
            # (ties broken by the character: a set's order follows string
            # hashes, which differ between processes)
            quick = sorted(pool, key=lambda c: (-(lm.context_logp(lk, c, rk) + _guess_prior(c, priors)), c))
            pools.append(quick[:RESCORE_TOP if j - i == 1 else JOINT_TOP])
        combos = [""]
        for pool in pools:
            combos = [x + c for x in combos for c in pool]
        prior = {c: _guess_prior(c, priors) for pool in pools for c in pool}
        if work is not None:
            # a word-lexicon fill costs about three context calls
            work.rerank -= spent + 3 * len(combos)
        # (the rest, far behind on context alone, are left out of the mass)
        scored = sorted(((lm.fill_logp(left, combo, right) + sum(prior[c] for c in combo), combo)
                         for combo in combos), reverse=True)
        top, best = scored[0]
        mass = [10 ** (sc - top) for sc, _ in scored]
        total = sum(mass)
        for k in range(i, j):
            cur[k] = best[k - i]
            # each character's own confidence: the mass of every combination
            # that agrees with it there (a sure hanzi next to an unknowable
            # digit stays sure)
            conf = sum(m for m, (_, c) in zip(mass, scored) if c[k - i] == best[k - i]) / total
            alts = tuple(dict.fromkeys(c[k - i] for _, c in scored[1:] if c[k - i] != best[k - i]))[:3]
            unknown = sum(1 for x in chars[k][1] if not isinstance(x, int))
            digits = sum(m for m, (_, c) in zip(mass, scored) if c[k - i].isdigit()) / total
            out.append(Reconstruction(k, cur[k], conf, alts, unknown, _blind(chars[k][1]), digits,
                                      _narrowed(chars[k][1])))
        i = j
    return "".join(cur), tuple(out)


# -- verification and the public entry point --------------------------------

def verify(span: SpanRepair, hyp: Hypothesis, text: str) -> SpanRepair | None:
    """Keep a span only if some concrete decoder re-garbles it exactly --
    together with the ASCII character after it, which a swallowing decoder
    may have eaten or paired with the span's last byte."""
    right = text[span.end:span.end + 1]
    if right and ord(right) >= 0x80:
        # a non-ASCII neighbour was not in the garbled byte stream (spliced
        # text) or is itself garbled: check the span on its own
        right = ""
    try:
        data = (span.repaired + right).encode(hyp.encoding)
    except UnicodeEncodeError:
        right = ""
        try:
            data = span.repaired.encode(hyp.encoding)
        except UnicodeEncodeError:
            return None
    outs: list[tuple[str, Layer | Plan]] = []
    for spec in _family(hyp).verify:
        try:
            if "|" in spec:
                out = Plan.parse(spec).apply(span.repaired + right).text
                spec_layer: Layer | Plan = Plan.parse(spec)
            else:
                out = decode(data, spec).text
                spec_layer = Layer(hyp.encoding, spec)
        except LuanmaError:  # a strict decoder refusing is just a non-match
            continue
        if out == span.garbled + right:
            return SpanRepair(span.start, span.end, span.garbled, span.repaired,
                              spec_layer, span.gain, span.reconstructed)
        outs.append((out, spec_layer))
    # Cleaned after the damage (a fold reading of the search): the decoder's
    # output, folded, must give the garbled text -- and only a fold that
    # left the whole text as it is can have been applied to it (text that
    # holds a private-use character lost none; a guess that decodes to one
    # is no dropped character).
    for kind in REFOLD_KINDS:
        if not outs or refold(text, kind) != text:
            continue
        for out, spec_layer in outs:
            if out != span.garbled + right and refold(out, kind) == span.garbled + right:
                steps = spec_layer.layers if isinstance(spec_layer, Plan) else (spec_layer,)
                return SpanRepair(span.start, span.end, span.garbled, span.repaired,
                                  Plan(steps + (Fold(kind),)), span.gain, span.reconstructed)
    return None


def gated(hypotheses: Sequence[Hypothesis], kinds: frozenset[str]) -> tuple[Hypothesis, ...]:
    """The hypotheses whose kind of mojibake shows in a text with the
    signatures ``kinds`` (:func:`luanma.fastpath.signatures`).

    >>> [(h.encoding, h.family) for h in gated(HYPOTHESES, frozenset({"legacy"}))]
    [('gbk', 'big5'), ('big5', 'gbk')]
    """
    if hypotheses is HYPOTHESES:
        return _gated_all(kinds)
    return tuple(h for h in hypotheses if not kinds.isdisjoint(_needs(h)))


@lru_cache(maxsize=64)
def _gated_all(kinds: frozenset[str]) -> tuple[Hypothesis, ...]:
    return tuple(h for h in HYPOTHESES if not kinds.isdisjoint(_needs(h)))


@lru_cache(maxsize=None)
def _needs(hyp: Hypothesis) -> frozenset[str]:
    """The signatures of which any one lets ``hyp`` be searched."""
    family = _family(hyp)
    if family.seeds == "markers" or hyp.family == "utf-8":
        return frozenset({MARKS})               # seeds need a U+FFFD
    if get_variant(family.reencode[0]).single_byte:
        return frozenset({LATIN, MARKS})
    if hyp.encoding == "utf-8":
        return frozenset({UTF8, MARKS})
    return frozenset({LEGACY})                  # GBK shown as Big5 and back


def find_spans(text: str, hypotheses: Sequence[Hypothesis] | None = None,
               lm: LanguageModel | None = None, depth: int = 0,
               work: Work | None = None, kinds: frozenset[str] | None = None,
               proven: Sequence[Hypothesis] = ()) -> list[SpanRepair]:
    """Verified repaired spans of ``text`` under the best hypotheses.

    ``hypotheses=None`` searches those of :data:`HYPOTHESES` whose signature
    ``text`` shows (:func:`gated`; ``kinds``: its signatures, if known); a
    given list is searched as it is.
    Every hypothesis with seeds in ``text`` is searched; under each wrong
    decoder only the true encoding that explains the most is kept, and of
    overlapping spans the set with the largest total gain wins.  Returned
    spans do not overlap and are sorted by position.

    ``proven``: hypotheses known, from outside this text, to have garbled
    it (other records of the same source: :func:`luanma.repair.diagnose`'s
    ``assume``).  Each is searched whatever the text shows, and its pieces
    need only the proof they would need once it was proven inside the text
    (:func:`_convincing` with ``proven``), as any single character's worth.

    >>> [(s.garbled, s.repaired, str(s.layer)) for s in find_spans("Sego 鍥炬爣")]
    [('鍥炬爣', '图标', 'utf-8 -> gbk')]
    """
    lm = lm or get_model()
    near: Sequence[tuple[int, int]] = ()
    if hypotheses is None:
        pool = gated(HYPOTHESES, signatures(text) if kinds is None else kinds)
        if any(_prior(h) for h in pool):
            # the legacy pairs were let in by what the fast path saw: weigh
            # them where it saw it
            near = legacy_spots(text)
    else:
        pool = hypotheses
    if proven:
        pool = tuple(pool) + tuple(h for h in proven if h not in pool)
    suspect: list[bool] = []
    exact = _exact_spans(text, pool, lm, suspect)
    if exact and not any(suspect):
        return exact
    by_hyp: dict[Hypothesis, list[SpanRepair]] = {}
    composed = 0
    for hyp in (r for h in pool for r in _readings(h, text)):
        assumed = bool(proven) and Hypothesis(hyp.encoding, hyp.family) in proven
        if _prior(hyp) and not assumed and not _promising(text, hyp, lm, near):
            continue
        marked = _family(hyp).seeds == "markers"
        window = _seed_window(text, hyp, single=assumed)
        if window is None:
            continue
        a, b = window
        found: list[SpanRepair] = []
        weak: list[SpanRepair] = []
        for checked in (c for pa, pb in _pieces(text, hyp, a, b, found, assumed)
                        # (a fold is the last step of a chain: none under an
                        # outer layer a deeper search peels off)
                        for c in _searched(text, pa, pb, hyp, lm, work, folds=depth == 0)):
            if _splits_word(text, checked):
                continue
            evidence = _evidence(lm, text, checked, hyp) - _fold_cost(checked)
            if evidence < SPAN_PENALTY + _isolation(text, checked, hyp) + _prior(hyp):
                if evidence > 0:
                    weak.append(checked)
                continue
            if _convincing(checked, lm, marked=marked):
                found.append(checked)
                continue
            if evidence > 0:
                weak.append(checked)
            if depth < MAX_DEPTH and not checked.reconstructed and composed < MAX_COMPOSE:
                # (only a lossless outer layer: guesses under guesses are
                # invention, and each attempt is a whole search again)
                composed += 1
                deeper = _compose(checked, hypotheses, lm, depth, work)
                if deeper is not None:
                    found.append(deeper)
        if found or assumed:
            # One wrong decoder garbles its whole stream: once it is proven
            # in this text, its short pieces between ASCII need no more proof
            # than being better than what stands there, and a non-ASCII
            # character touching a proven span was garbled with it.
            found.extend(w for w in weak if _convincing(w, lm, proven=True, marked=marked))
            found = [_extend(x, hyp, text, lm) if _same_hyp(x, hyp) else x for x in found]
            by_hyp[hyp] = found
    # ...and one wrong decoder saw one byte stream: under each family keep the
    # true encoding that explains the most, not a patchwork of several.
    best: dict[str, tuple[float, Hypothesis]] = {}
    for hyp, spans in by_hyp.items():
        total = sum(x.gain for x in spans) - _reading_cost(hyp, spans)
        if hyp.family not in best or total > best[hyp.family][0]:
            best[hyp.family] = (total, hyp)
    keep = {hyp for _, hyp in best.values()}
    found = _best_disjoint([x for hyp, spans in by_hyp.items() if hyp in keep for x in spans])
    if exact and sum(s.gain - _fold_cost(s) for s in found) <= sum(s.gain for s in exact):
        # the exact reading stands unless a fold reading explains more
        return exact
    return found


def _pieces(text: str, hyp: Hypothesis, a: int, b: int, found: list[SpanRepair],
            assumed: bool) -> Iterator[tuple[int, int]]:
    """The pieces of the seed window ``text[a:b]`` to search under ``hyp``;
    then, once ``found`` holds a span (read when those are done), the
    pieces beyond the window's margins, where only lone characters stand
    (the window holds every run of two): a legacy chain proven in the text
    reaches them too.  (An assumed chain's window holds them already.)"""
    yield from window_pieces(text, a, b)
    if found and not assumed and hyp.encoding != "utf-8":
        whole = _seed_window(text, hyp, single=True)
        if whole is not None:
            for wa, wb in ((whole[0], a), (b, whole[1])):
                if wb > wa:
                    yield from window_pieces(text, wa, wb)


def _searched(text: str, pa: int, pb: int, hyp: Hypothesis, lm: LanguageModel,
              work: Work | None, folds: bool = True) -> list[SpanRepair]:
    """The verified spans of a search of ``text[pa:pb]`` under ``hyp``.

    A span the search read partly through a fold may still fail to verify
    (a fold reading beside damage of another kind: one byte lost, a loss
    mark), and then the whole stretch it covered would stay as it was;
    there the plain search's spans are taken instead, as they were before
    fold readings existed.
    """
    out = []
    failed = []
    for x in search(text[pa:pb], hyp, lm, work=work, folds=folds):
        checked = _verify_or_retry(_trim(_shift(x, pa)), hyp, text)
        if checked is not None:
            out.append(checked)
        elif x.folded:
            failed.append((x.start + pa, x.end + pa))
    if failed:
        for y in search(text[pa:pb], hyp, lm, work=work, folds=False):
            y = _shift(y, pa)
            if any(y.start < b and a < y.end for a, b in failed):
                checked = _verify_or_retry(_trim(y), hyp, text)
                if checked is not None:
                    out.append(checked)
    return out


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _exact_spans(text: str, pool: Sequence[Hypothesis], lm: LanguageModel,
                 suspect: list[bool] | None = None) -> list[SpanRepair]:
    """The common case without a search: every non-ASCII run of ``text`` is
    the exact, lossless image of UTF-8 text under one strict decoder.

    ASCII bytes stand for themselves in UTF-8 and in every code page here,
    so each run between them is undone on its own: its bytes under the
    decoder must be valid UTF-8, and garbling the result again must give the
    run back.  Among the hypotheses for which all runs pass, the one with
    the largest total gain wins; each span then faces the same tests as a
    searched one (one must prove the hypothesis, the rest need only gain).
    Returns [] where no hypothesis explains the whole text this way: the
    search takes over.  ``suspect`` is set to True where the spans might be
    a misreading of text folded after the damage (:func:`_fold_suspect`):
    the search should weigh them against its fold readings.

    >>> [(s.garbled, s.repaired, str(s.layer)) for s in _exact_spans("Sego 鍥炬爣", HYPOTHESES, get_model())]
    [('鍥炬爣', '图标', 'utf-8 -> gbk')]
    """
    runs = [(m.start(), m.end()) for m in _NON_ASCII_RUN.finditer(text)]
    best: tuple[float, list[SpanRepair], Hypothesis | None] = (0.0, [], None)
    for hyp in pool:
        family = _family(hyp)
        if hyp.encoding != "utf-8" or hyp.family == "utf-8" or family.seeds != "bytes":
            continue
        for spec in _strict_specs(family):
            spans = _exact_runs(text, runs, hyp, spec, lm)
            if spans is None:
                continue
            total = sum(s.gain for s in spans)
            if spans and total > best[0]:
                best = (total, spans, hyp)
            break           # the first strict decoder that reads it says it
    if suspect is not None and best[1]:
        suspect.append(_fold_suspect(text, best[1], best[2]))  # type: ignore[arg-type]
    return best[1]


def _fold_suspect(text: str, spans: list[SpanRepair], hyp: Hypothesis) -> bool:
    """Might exact ``spans`` be a misreading of text folded after the damage?

    Where a fold made a character whose own bytes end in an ASCII byte
    ('ォ' is 83 48 in Shift_JIS, NFKC's reading of the half-width 'ｫ', AB),
    the folded text can still decode, into ASCII letters strewn among kana
    ('PDF繝輔ぃ繧、繝ォ' -> 'PDFファめAッH'): such text goes to the search,
    which weighs both readings.

    >>> h, t = Hypothesis("utf-8", "shift_jis"), "PDF繝輔ぃ繧、繝ォ"
    >>> spans = _exact_runs(t, [(3, 10)], h, "shift_jis", get_model()) or []
    >>> [s.repaired for s in spans], _fold_suspect(t, spans, h)
    (['ファめAッH'], True)
    """
    suspect = _ascii_folded(_family(hyp))
    if not any(ord(text[k - 1]) >= 0x80 for s in spans if not suspect.isdisjoint(s.garbled)
               for k in range(max(s.start, 1), s.end) if text[k] in suspect):
        return False
    # (a full-width form left in the text: nothing was folded)
    return refold(text, "width") == text


@lru_cache(maxsize=None)
def _ascii_folded(family: Family) -> frozenset[str]:
    """The non-ASCII characters a fold may have made whose own bytes under
    ``family`` hold an ASCII byte (what :func:`_fold_suspect` looks for)."""
    return frozenset(c for c in _folded_chars(family) if ord(c) >= 0x80 and any(
        isinstance(x, int) and x < 0x80 for o in _reencode_options(c, family) or () for x in o))


@lru_cache(maxsize=None)
def _strict_specs(family: Family) -> tuple[str, ...]:
    """The family's single lossless decoders, most common first."""
    return tuple(s for s in family.verify if "|" not in s and get_variant(s).lossless)


def _exact_runs(text: str, runs: list[tuple[int, int]], hyp: Hypothesis, spec: str,
                lm: LanguageModel) -> list[SpanRepair] | None:
    """Spans for the runs that ``spec`` changed, or None if some run is not
    a lossless image of UTF-8 under it or the spans do not convince."""
    variant = get_variant(spec)
    codec = variant.codec
    quiet = codec in NO_QMARK_BYTE
    # a strict decoder that adds nothing to its codec decodes as the codec does
    plain = variant.behaviour == "strict" and not variant.overrides and not variant.pair_fallback
    found = []
    for a, b in runs:
        g = text[a:b]
        try:
            if quiet:
                data = g.encode(codec, "replace")
                if data.count(b"?") != g.count("?"):
                    # a character the codec cannot carry (told without
                    # raising: most decoders tried here are the wrong ones,
                    # and an exception costs more than the encoding); else
                    # these are the strict bytes
                    return None
            else:
                data = g.encode(codec)
            r = data.decode("utf-8")
            # (valid UTF-8 read and written again is the same bytes: ``data``
            # is what the repair gives encoded again)
            if r != g and (data.decode(codec) if plain else decode(data, spec).text) != g:
                return None
        except (UnicodeError, LuanmaError):
            return None
        if r != g:
            found.append((a, b, g, r))
    if not found:
        return None
    layer = _layer(hyp.encoding, spec)
    spans, alone = [], []
    for a, b, g, r in found:
        right = text[b] if b < len(text) else _END
        if a:
            gain, each = _gain(lm, text, a, b, r), None
        else:
            # at the start of the text the gain's context is the start of
            # a line, as for the per-character scores _convincing asks:
            # one pass each gives both (the same floats)
            r_alone, r_gain = lm.score_split(r, right)
            g_alone, g_gain = lm.score_split(g, right)
            gain, each = r_gain - g_gain, (r_alone / len(r), g_alone / len(g))
        spans.append(SpanRepair(a, b, g, r, layer, gain, ()))
        alone.append(each)
    proof = False
    for s, each in zip(spans, alone):
        if _splits_word(text, s) or s.gain <= 0:
            return None
        # the one proving the hypothesis passes the full test; the rest, as
        # in the search, need only be better than what stands there
        if not proof and s.gain >= SPAN_PENALTY + _isolation(text, s, hyp) + _prior(hyp) \
                and _convincing(s, lm, per_char=each):
            proof = True
        elif not _convincing(s, lm, proven=True, per_char=each):
            return None
    return [_trim(s) for s in spans] if proof else None


@lru_cache(maxsize=None)
def _layer(encoding: str, spec: str) -> Layer:
    return Layer(encoding, spec)


#: Layers below the outermost one that a span may peel off (3 layers in all).
MAX_DEPTH = 2
#: Spans per text tried as the outer layer of a deeper chain.
MAX_COMPOSE = 8


def _compose(outer: SpanRepair, hypotheses: Sequence[Hypothesis] | None, lm: LanguageModel,
             depth: int, work: Work | None = None) -> SpanRepair | None:
    """A repair that is itself mojibake: peel the next layer off its result.

    Undoing the outer layer of a two-layer chain gives text that is still
    garbled and so is not convincing on its own; if searching that text
    repairs it whole, the two steps together are one span.
    """
    inner = find_spans(outer.repaired, hypotheses, lm, depth + 1, work)
    if not inner:
        return None
    out, pos = [], 0
    for s in inner:
        out.append(outer.repaired[pos:s.start])
        out.append(s.repaired)
        pos = s.end
    out.append(outer.repaired[pos:])
    final = "".join(out)
    layers = tuple(inner[0].layer.layers if isinstance(inner[0].layer, Plan) else (inner[0].layer,))
    layers += outer.layer.layers if isinstance(outer.layer, Plan) else (outer.layer,)
    if any(str(s.layer) != str(inner[0].layer) for s in inner):
        return None     # one span, one chain
    # every extra layer must pay its way, so the simplest chain wins a tie
    gain = lm.score(final) - lm.score(outer.garbled) - SPAN_PENALTY * (len(layers) - 1)
    span = SpanRepair(outer.start, outer.end, outer.garbled, final, Plan(layers), gain,
                      tuple(r for s in inner for r in s.reconstructed))
    if not _chain_explains(span):
        # Each step was verified on its own piece, but the chain reported
        # is applied to the whole repair: the inner layer would also garble
        # what lies outside the inner spans (a stretch the inner search left
        # alone, a character cut mid-way), and then the chain does not
        # produce the garbled text -- a repair nothing explains.
        return None
    return span if _convincing(span, lm) else None


def _chain_explains(span: SpanRepair) -> bool:
    """Does the span's chain, applied to its repair, give its garbled text?

    >>> span = SpanRepair(0, 4, "¤Ë¤â", "にも", Plan.parse("gbk -> cp1252"), 9.0)
    >>> _chain_explains(span)
    True
    >>> _chain_explains(replace(span, layer=Plan.parse("utf-8 -> gbk | gbk -> cp1252")))
    False
    """
    try:
        layer = span.layer if isinstance(span.layer, Plan) else Plan((span.layer,))
        return layer.apply(span.repaired).text == span.garbled
    except (LuanmaError, UnicodeError):
        return False


#: A repair must also read better character by character, not only in
#: total: the total favours any repair with fewer characters, and European
#: letters and symbols that the model rarely saw would otherwise lose to a
#: few rare CJK characters.  log10 per character.
MIN_PER_CHAR_GAIN = 1.0
#: ...and read like real text at all.
MIN_PER_CHAR = -4.5


def _convincing(span: SpanRepair, lm: LanguageModel, proven: bool = False,
                marked: bool = False, per_char: tuple[float, float] | None = None) -> bool:
    """Structural sanity on top of the scores.

    A span more guessed than decoded is not kept (the bytes are gone; see
    :func:`luanma.repair.find_damage`).  Symbols that turn into other symbols
    carry no evidence either way, and a run of one repeated character is
    decoration (a rule line, ``┄┄┄``) or irrecoverable filler (``烫烫烫``),
    never a sign of a wrong decoder.

    ``per_char``: ``lm.per_char`` of the repair and of the garbled text,
    where the caller has them already.
    """
    g, r = span.garbled, span.repaired
    if not _has_letter(g) and not _has_letter(r):
        return False
    if not proven and all(unicodedata.category(c) == "Co" for c in g):
        # Private-use characters are icons (icon fonts) as often as a
        # Windows decoder's user-defined rows, and the model scores every
        # one at its floor: any repair of them "gains" a lot, which says
        # nothing about which they are.  Such a span needs the chain proven
        # elsewhere in the text.
        return False
    lost = sum(x.unknown for x in span.reconstructed)
    # Mostly rebuilt from lost bytes: that is invention, not repair -- except
    # where the text is the original but for loss marks: there each mark is
    # its own evidence, and each guess's confidence decides (repair() writes
    # U+FFFD for an unsure one).
    if not marked and lost and 2 * lost > _byte_length(r, span.layer):
        return False
    if (len(g) >= 2 and len(set(g)) == 1) or (len(g) >= 4 and max(map(g.count, set(g))) * 10 >= len(g) * 6):
        return False
    after = lm.per_char(r) if per_char is None else per_char[0]
    # once the hypothesis is proven in this text, a piece need not also read
    # like common text on its own (the model is thin on Korean, for one) --
    # unless it holds guesses: then only reading well speaks for them
    relaxed = proven and not span.reconstructed
    before = lm.per_char(g) if per_char is None else per_char[1]
    return (relaxed or after >= MIN_PER_CHAR) and after - before >= MIN_PER_CHAR_GAIN


def _splits_word(text: str, span: SpanRepair) -> bool:
    """Does ``span`` take an ASCII letter out of an ASCII word?

    A double-byte decoder may read an ASCII letter as a trail byte, and some
    repairs do end on one; but a letter with a letter beside it outside the
    span ("�T" + "OPPERS") is far likelier a word than half a character.

    >>> s = SpanRepair(0, 2, "\ufffdT", "三", Layer("gbk", "big5"), 5.0)
    >>> _splits_word("\ufffdTOPPERS", s), _splits_word("\ufffdT ok", s)
    (True, False)
    """
    g = span.garbled

    def letter(i: int) -> bool:
        return 0 <= i < len(text) and text[i].isascii() and text[i].isalpha()

    return ((letter(span.end - 1) and letter(span.end) and g[-1] not in span.repaired)
            or (letter(span.start) and letter(span.start - 1) and g[0] not in span.repaired))


def _byte_length(text: str, layer: Layer | Plan) -> int:
    """Length of ``text`` in the true encoding of ``layer``."""
    enc = layer.encoding if isinstance(layer, Layer) else layer.layers[0].encoding
    try:
        return len(text.encode(enc))
    except (UnicodeEncodeError, LookupError):
        return len(text.encode("utf-8", "surrogatepass"))


def _has_letter(text: str) -> bool:
    return any(ord(c) >= 0x80 and unicodedata.category(c)[0] == "L" for c in text)


def _same_hyp(span: SpanRepair, hyp: Hypothesis) -> bool:
    return isinstance(span.layer, Layer) and span.layer.encoding == hyp.encoding and any(
        get_variant(v).name == span.layer.decoding for v in _family(hyp).verify)


def _extend(span: SpanRepair, hyp: Hypothesis, text: str, lm: LanguageModel) -> SpanRepair:
    """Grow a proven span over neighbours that decode on their own."""
    family = _family(hyp)

    def alone(ch: str) -> str | None:
        if ord(ch) < 0x80:
            return None
        for spec in family.reencode:
            for data in char_bytes(ch, get_variant(spec)):
                try:
                    out = data.decode(hyp.encoding)
                except UnicodeDecodeError:
                    continue
                if out != ch and (out.isspace() or lm.per_char(out) >= lm.per_char(ch) + MIN_PER_CHAR_GAIN):
                    # a garbled NBSP (聽) or a character that reads far better
                    return out
        return None

    a, b, rep = span.start, span.end, span.repaired
    while a > 0 and (x := alone(text[a - 1])) is not None:
        a, rep = a - 1, x + rep
    # guesses move by what was put before them, which is not one character
    # per garbled one ('\U0010fffd' alone decodes to two GBK characters)
    moved = len(rep) - len(span.repaired)
    while b < len(text) and (x := alone(text[b])) is not None:
        b, rep = b + 1, rep + x
    if (a, b) == (span.start, span.end):
        return span
    grown = SpanRepair(a, b, text[a:b], rep, span.layer, span.gain,
                       tuple(replace(r, index=r.index + moved) for r in span.reconstructed))
    return verify(grown, hyp, text) or span


def _verify_or_retry(span: SpanRepair, hyp: Hypothesis, text: str) -> SpanRepair | None:
    """Verify; if the best guesses do not re-garble exactly, try each guessed
    character's runners-up in turn (a guess that no decoder could have lost
    is not a repair)."""
    checked = verify(span, hyp, text)
    if checked is not None or not span.reconstructed:
        return checked
    chars = list(span.repaired)
    for r in span.reconstructed:
        for alt in r.alternatives:
            trial = chars.copy()
            trial[r.index] = alt
            recon = tuple(x if x is not r else replace(r, char=alt, confidence=0.0, alternatives=())
                          for x in span.reconstructed)
            cand = SpanRepair(span.start, span.end, span.garbled, "".join(trial), span.layer,
                              span.gain, recon)
            checked = verify(cand, hyp, text)
            if checked is not None:
                return checked
    return None


def _shift(span: SpanRepair, by: int) -> SpanRepair:
    if not by:
        return span
    return SpanRepair(span.start + by, span.end + by, span.garbled, span.repaired,
                      span.layer, span.gain, span.reconstructed, span.folded)


#: Characters of context kept around the seeds when the search is windowed.
WINDOW_MARGIN = 12

#: The longest stretch one search covers.  A search's tables grow with its
#: window (about 2 KB a character), so a longer window (one line of
#: megabytes of garbled text) is searched in pieces: peak memory stays a
#: fixed working set however long the input.  Shorter texts never see a cut.
MAX_SEARCH = 4096


def window_pieces(text: str, start: int, end: int, limit: int | None = None) -> list[tuple[int, int]]:
    """``text[start:end]`` as consecutive pieces of at most ``limit``
    characters, each cut after the last line break, else the last ASCII
    space, in its second half (where neither is, a hard cut: a character
    split there stays as it was, never guessed across the cut).

    >>> window_pieces("ab\\ncd ef", 0, 8, limit=4)
    [(0, 3), (3, 6), (6, 8)]
    >>> window_pieces("x" * 10, 0, 10, limit=4)
    [(0, 4), (4, 8), (8, 10)]
    """
    limit = limit or MAX_SEARCH
    pieces = []
    a = start
    while end - a > limit:
        half = a + limit // 2
        cut = text.rfind("\n", half, a + limit)
        if cut < 0:
            cut = text.rfind(" ", half, a + limit)
        b = cut + 1 if cut >= 0 else a + limit
        pieces.append((a, b))
        a = b
    pieces.append((a, end))
    return pieces

_UTF8_SEED = re.compile(rb"[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_UTF8_SEED_2 = re.compile(rb"[\xc2-\xdf][\x80-\xbf]")


@lru_cache(maxsize=None)
def _marks(family: Family) -> frozenset:
    """The loss marks of a family's lossy decoders ('?', '・', U+FFFD)."""
    return frozenset(get_variant(v).replacement for v in family.verify
                     if "|" not in v and not get_variant(v).lossless)


def _seed_window(text: str, hyp: Hypothesis, single: bool = False) -> tuple[int, int] | None:
    """The part of ``text`` worth searching under ``hyp``, or None.
    (``single``: for a legacy true encoding, one reencodable character is
    seed enough -- where the hypothesis is known from elsewhere.)

    A *seed* is a place where the bytes behind the garbled characters form a
    multi-byte character of the true encoding that no single garbled
    character holds on its own -- what mojibake always has and clean text
    rarely does.  The search runs on the seeds' surroundings only.
    """
    family = _family(hyp)
    single_byte = get_variant(family.reencode[0]).single_byte
    if hyp.family == "utf-8" and "\ufffd" not in text:
        # legacy bytes almost never pass a UTF-8 decoder without a loss
        return None
    if family.seeds == "markers":
        marks = [i for i, ch in enumerate(text) if ch == "\ufffd"]
        if not marks:
            return None
        return max(0, marks[0] - WINDOW_MARGIN), min(len(text), marks[-1] + 1 + WINDOW_MARGIN)
    if hyp.encoding != "utf-8":
        # legacy true encodings: any run of two reencodable high characters
        lo = hi = -1
        run = 0
        for i, ch in enumerate(text):
            if ord(ch) >= 0x80 and _reencode_options(ch, family):
                run += 1
                if run >= 2 or single:
                    lo = i - run + 1 if lo < 0 else lo
                    hi = i + 1
            else:
                run = 0
        if lo < 0:
            return None
        return max(0, lo - WINDOW_MARGIN), min(len(text), hi + WINDOW_MARGIN)
    buf, owner = _stream(text, family)
    lo = hi = -1
    rxs = (_UTF8_SEED, _UTF8_SEED_2) if single_byte else (_UTF8_SEED,)
    for rx in rxs:
        for m in rx.finditer(buf):
            a, b = owner[m.start()], owner[m.end() - 1]
            if a == b and not single_byte:
                continue          # one garbled character holding a whole char
            lo = a if lo < 0 else min(lo, a)
            hi = max(hi, b + 1)
    if lo < 0:
        return None
    return max(0, lo - WINDOW_MARGIN), min(len(text), hi + WINDOW_MARGIN)


def _trim(span: SpanRepair) -> SpanRepair:
    """Drop the characters a span shares with its repair at either end --
    unless that leaves a span its layer no longer explains: NBSP in UTF-8
    read as CP1252 is 'Â\xa0', and trimming the shared '\xa0' would leave
    'Â' -> '', a deletion no layer makes.

    >>> s = SpanRepair(0, 2, "Â\xa0", "\xa0", Layer("utf-8", "cp1252"), 5.0)
    >>> _trim(s) == s, _trim(replace(s, garbled="xä¸\xad", repaired="x中", end=4)).start
    (True, 1)
    """
    trimmed = _trim_ends(span)
    if trimmed is not span and _chain_explains(span) and not _chain_explains(trimmed):
        return span
    return trimmed


def _trim_ends(span: SpanRepair) -> SpanRepair:
    g, r = span.garbled, span.repaired
    a = 0
    while a < len(g) and a < len(r) and g[a] == r[a] and not any(x.index == a for x in span.reconstructed):
        a += 1
    b = 0
    while (b < len(g) - a and b < len(r) - a and g[-1 - b] == r[-1 - b]
           and not any(x.index == len(r) - 1 - b for x in span.reconstructed)):
        b += 1
    if a == 0 and b == 0:
        return span
    recon = tuple(replace(x, index=x.index - a) for x in span.reconstructed)
    return SpanRepair(span.start + a, span.end - b, g[a:len(g) - b], r[a:len(r) - b],
                      span.layer, span.gain, recon)


def _best_disjoint(spans: list[SpanRepair]) -> list[SpanRepair]:
    """Non-overlapping spans with the largest total gain (interval scheduling)."""
    spans = sorted(spans, key=lambda s: (s.end, s.start))
    best: list[tuple[float, list[SpanRepair]]] = [(0.0, [])]
    ends = [0]
    for s in spans:
        j = bisect.bisect_right(ends, s.start) - 1
        take = best[j][0] + s.gain, best[j][1] + [s]
        skip = best[-1]
        best.append(take if take[0] > skip[0] else skip)
        ends.append(s.end)
    return sorted(best[-1][1], key=lambda s: s.start)

