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

>>> [ (s.start, s.end, s.repaired) for s in find_spans("Sego 鍥炬爣 ok") ]
[(5, 8, '图标')]
"""

from __future__ import annotations

import bisect
import math
import re
import unicodedata
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from .constrained import (CandidateIndex, Slot, SlotPath, candidates, char_bytes, char_lengths,
                          Follow, follows, marker_patterns)
from .errors import LuanmaError
from .fastpath import LATIN, LEGACY, MARKS, UTF8, signatures
from .layers import Layer, Plan
from .model import LanguageModel, char_class, get_model
from .variants import decode, get_variant

__all__ = ["Family", "Hypothesis", "HYPOTHESES", "Reconstruction", "SpanRepair", "Work",
           "find_spans", "gated", "search"]


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
    kinds = [k for k in _MARK_KINDS
             if any(_mark_kind(v) == k and get_variant(v).replacement in text
                    for v in FAMILIES[hyp.family].verify)]
    if len(kinds) < 2:
        return (hyp,)
    return tuple(Hypothesis(hyp.encoding, hyp.family, k) for k in kinds)


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


def _promising(text: str, hyp: "Hypothesis", lm: LanguageModel) -> bool:
    """Could ``hyp`` (a legacy pair) repair anything in ``text``?  The best
    stretch of per-character gains of the counterpart text over ``text``
    must reach LEGACY_PROMISE.

    >>> lm = get_model()
    >>> _promising("Blue=懦伎", Hypothesis("gbk", "big5"), lm)
    True
    >>> _promising("这是正常的中文。", Hypothesis("big5", "gbk"), lm)
    False
    """
    other = text.translate(_counterparts(hyp.encoding, hyp.family))
    if other == text:
        return False
    # each character given the two before it, in the text and in its
    # counterpart (both pairs of a legacy family score the same text: keep it)
    mine, theirs = _window_scores(lm, text), lm.window_scores(other)
    best = run = 0.0
    for i, (a, b) in enumerate(zip(text, other)):
        if a == b and a.isascii():
            run = 0.0
            continue
        run = max(0.0, run + theirs[i] - mine[i])
        best = max(best, run)
        if best >= LEGACY_PROMISE:
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


#: Options kept over all (family, at_end) tables before they start over.
#: Each character seen costs an entry per family tried (38 tables once
#: narrowed by kind of loss mark): 40,512 entries, 5.3 MB, after the
#: per-kind samples of etl.py's 2 MB file (~2,800 distinct characters).
OPTIONS_LIMIT = 65536

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


def _build_graph(text: str, family: Family) -> _Graph:
    g = _Graph()
    n = len(text)
    # junction ids are allocated as we go; successors of the last slot of an
    # alternative point at the next junction, whose id is known in advance
    # once we lay out char k's slots, so build in two passes per char.
    pending: list[int] = []
    for k in range(n + 1):
        jid = len(g.slot)
        g.slot.append(None)
        g.nxt.append(())
        g.guess.append(False)
        g.owner.append(k)
        g.junction.append(jid)
        g.char_at[jid] = k
        for p in pending:
            g.nxt[p] = (jid,)
        pending = []
        if k == n:
            break
        opts = _reencode_options(text[k], family, k == n - 1)
        if not opts:
            continue
        nxt_opts = _reencode_options(text[k + 1], family, k + 1 == n - 1) if k + 1 < n else None
        firsts = []
        for path in opts:
            path = follows(path, nxt_opts) if k + 1 < n else tuple(
                x for x in path if not isinstance(x, Follow))
            if not path:
                continue
            prev = -1
            for s in path:
                sid = len(g.slot)
                g.slot.append(s)
                g.nxt.append(())
                g.guess.append(not isinstance(s, int))
                g.owner.append(k)
                if prev < 0:
                    firsts.append(sid)
                else:
                    g.nxt[prev] = (sid,)
                prev = sid
            pending.append(prev)
        g.nxt[jid] = tuple(firsts)
    # (a loss mark is no known byte, even where some decoder maps it to bytes)
    marks = _marks(family) | {"\ufffd"}
    known = [ord(ch) >= 0x80 and ch not in marks
             and any(all(isinstance(x, int) for x in o) for o in _reencode_options(ch, family) or ())
             for ch in text]
    g.anchored = [any(known[max(0, k - 1):k + 2]) for k in range(n)] + [False]
    return g


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


# -- the search --------------------------------------------------------------

@lru_cache(maxsize=16)
def _index(encoding: str) -> CandidateIndex:
    lm = get_model()
    # most frequent first, so that a capped candidate list keeps the likeliest
    vocab = sorted(lm.vocabulary(), key=lm.unigram_logp, reverse=True)
    # a lost byte is often ASCII (the swallowed space or newline after a cut
    # character), whatever the model saw in training
    extra = [chr(c) for lo, hi in _SYMBOL_BLOCKS for c in range(lo, hi)]
    return CandidateIndex(encoding, [chr(c) for c in range(0x80)] + list(vocab) + extra)


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
# the back-pointer it extends)
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


def search(text: str, hyp: Hypothesis, lm: LanguageModel | None = None,
           span_penalty: float = SEARCH_PENALTY, work: Work | None = None) -> list[SpanRepair]:
    """Best repair of ``text`` under one hypothesis; spans not yet verified."""
    lm = lm or get_model()
    family = _family(hyp)
    g = _build_graph(text, family)
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
                push(cl, last, sc, ("R", node, "", False, b))
            for last, (sc, b) in list(cl.items()):           # enter repair mode
                push(states, last, sc - span_penalty, ("C", k, "", False, b))
            if k < n:
                ch = text[k]
                if cl:
                    best = max(cl.items(), key=lambda kv: kv[1][0] + logp(kv[0], ch))
                    last, (sc, b) = best
                    push(clean[k + 1], ch, sc + logp(last, ch), ("C", k, ch, False, b))  # type: ignore[arg-type]
                clean[k] = None          # (nothing reads a junction's table again)
        rep[node] = None
        if not states or not g.nxt[node]:
            continue
        if len(states) > BEAM:
            # prune for expansion only: back-pointers may still name the rest
            states = dict(sorted(states.items(), key=lambda kv: -kv[1][0])[:BEAM])
        firsts = g.nxt[node] if is_j else (node,)
        for first in firsts:
            for length in char_lengths(enc, g.slot[first]):  # type: ignore[arg-type]
                for path, after in _char_paths(g, first, length):
                    pattern = tuple(g.slot[i] for i in path)
                    guess = any(g.guess[i] for i in path)
                    if guess and not cap:
                        continue
                    if guess and all(g.guess[i] for i in path) and \
                            not any(g.anchored[g.owner[i]] for i in path):
                        # every byte unknown and no known byte beside it
                        # (a run of marks): any character would be invention
                        continue
                    cands = candidates(enc, pattern, index=idx)  # type: ignore[arg-type]
                    if not cands:
                        continue
                    if len(cands) > cap:
                        # two or more unknown bytes: almost any character fits;
                        # the frequent ones are the only realistic guesses
                        cands = cands[:cap]
                    target = rep[after]
                    if target is None:
                        target = rep[after] = {}
                    pen = GUESS_PENALTY if guess else 0.0
                    budget -= len(cands) * len(states)
                    for ch, _data in cands:
                        cost = pen - (_guess_prior(ch, priors) if guess else 0.0)
                        for last, (sc, b) in states.items():
                            push(target, ch, sc + logp(last, ch) - cost,
                                 ("R", node, ch, pattern if guess else None, b))
    if work is not None:
        work.left -= start - budget
    return _trace(text, hyp, g, clean[n] or {}, lm, priors, work)


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
        bmode, bnode, emitted, guess, parent = back
        if mode == "C" and bmode == "R":          # left repair mode at junction bnode
            steps.append(("exit", bnode, None, "", None))
        elif mode == "R" and bmode == "C":        # entered repair mode at char bnode
            steps.append(("enter", bnode, None, "", None))
        elif mode == "R":                           # one character, bnode -> cur_node
            steps.append(("R", bnode, cur_node, emitted, guess))
        cur_node = bnode if bmode == "R" else None
        mode = bmode
        back = parent
    steps.reverse()
    pieces: list[tuple[int, int, list]] = []
    cur: list = []
    start = None
    for kind, a, b, emitted, guess in steps:
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
                                _gain(lm, text, a, b, repaired), recon))
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
               work: Work | None = None, kinds: frozenset[str] | None = None) -> list[SpanRepair]:
    """Verified repaired spans of ``text`` under the best hypotheses.

    ``hypotheses=None`` searches those of :data:`HYPOTHESES` whose signature
    ``text`` shows (:func:`gated`; ``kinds``: its signatures, if known); a
    given list is searched as it is.
    Every hypothesis with seeds in ``text`` is searched; under each wrong
    decoder only the true encoding that explains the most is kept, and of
    overlapping spans the set with the largest total gain wins.  Returned
    spans do not overlap and are sorted by position.

    >>> [(s.garbled, s.repaired, str(s.layer)) for s in find_spans("Sego 鍥炬爣")]
    [('鍥炬爣', '图标', 'utf-8 -> gbk')]
    """
    lm = lm or get_model()
    if hypotheses is None:
        pool = gated(HYPOTHESES, signatures(text) if kinds is None else kinds)
    else:
        pool = hypotheses
    exact = _exact_spans(text, pool, lm)
    if exact:
        return exact
    by_hyp: dict[Hypothesis, list[SpanRepair]] = {}
    composed = 0
    for hyp in (r for h in pool for r in _readings(h, text)):
        if _prior(hyp) and not _promising(text, hyp, lm):
            continue
        marked = _family(hyp).seeds == "markers"
        window = _seed_window(text, hyp)
        if window is None:
            continue
        a, b = window
        found: list[SpanRepair] = []
        weak: list[SpanRepair] = []
        for span in (_shift(x, pa) for pa, pb in window_pieces(text, a, b)
                     for x in search(text[pa:pb], hyp, lm, work=work)):
            checked = _verify_or_retry(_trim(span), hyp, text)
            if checked is None or _splits_word(text, checked):
                continue
            evidence = _evidence(lm, text, checked, hyp)
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
        if found:
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
    return _best_disjoint([x for hyp, spans in by_hyp.items() if hyp in keep for x in spans])


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _exact_spans(text: str, pool: Sequence[Hypothesis], lm: LanguageModel) -> list[SpanRepair]:
    """The common case without a search: every non-ASCII run of ``text`` is
    the exact, lossless image of UTF-8 text under one strict decoder.

    ASCII bytes stand for themselves in UTF-8 and in every code page here,
    so each run between them is undone on its own: its bytes under the
    decoder must be valid UTF-8, and garbling the result again must give the
    run back.  Among the hypotheses for which all runs pass, the one with
    the largest total gain wins; each span then faces the same tests as a
    searched one (one must prove the hypothesis, the rest need only gain).
    Returns [] where no hypothesis explains the whole text this way: the
    search takes over.

    >>> [(s.garbled, s.repaired, str(s.layer)) for s in _exact_spans("Sego 鍥炬爣", HYPOTHESES, get_model())]
    [('鍥炬爣', '图标', 'utf-8 -> gbk')]
    """
    runs = [(m.start(), m.end()) for m in _NON_ASCII_RUN.finditer(text)]
    best: tuple[float, list[SpanRepair]] = (0.0, [])
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
                best = (total, spans)
            break           # the first strict decoder that reads it says it
    return best[1]


@lru_cache(maxsize=None)
def _strict_specs(family: Family) -> tuple[str, ...]:
    """The family's single lossless decoders, most common first."""
    return tuple(s for s in family.verify if "|" not in s and get_variant(s).lossless)


def _exact_runs(text: str, runs: list[tuple[int, int]], hyp: Hypothesis, spec: str,
                lm: LanguageModel) -> list[SpanRepair] | None:
    """Spans for the runs that ``spec`` changed, or None if some run is not
    a lossless image of UTF-8 under it or the spans do not convince."""
    codec = get_variant(spec).codec
    found = []
    for a, b in runs:
        g = text[a:b]
        try:
            r = g.encode(codec).decode("utf-8")
            if r != g and decode(r.encode("utf-8"), spec).text != g:
                return None
        except (UnicodeError, LuanmaError):
            return None
        if r != g:
            found.append((a, b, g, r))
    if not found:
        return None
    layer = _layer(hyp.encoding, spec)
    spans = [SpanRepair(a, b, g, r, layer, _gain(lm, text, a, b, r), ()) for a, b, g, r in found]
    proof = False
    for s in spans:
        if _splits_word(text, s) or s.gain <= 0:
            return None
        # the one proving the hypothesis passes the full test; the rest, as
        # in the search, need only be better than what stands there
        if not proof and s.gain >= SPAN_PENALTY + _isolation(text, s, hyp) + _prior(hyp) \
                and _convincing(s, lm):
            proof = True
        elif not _convincing(s, lm, proven=True):
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
                marked: bool = False) -> bool:
    """Structural sanity on top of the scores.

    A span more guessed than decoded is not kept (the bytes are gone; see
    :func:`luanma.repair.find_damage`).  Symbols that turn into other symbols
    carry no evidence either way, and a run of one repeated character is
    decoration (a rule line, ``┄┄┄``) or irrecoverable filler (``烫烫烫``),
    never a sign of a wrong decoder.
    """
    g, r = span.garbled, span.repaired
    if not _has_letter(g) and not _has_letter(r):
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
    after = lm.per_char(r)
    # once the hypothesis is proven in this text, a piece need not also read
    # like common text on its own (the model is thin on Korean, for one) --
    # unless it holds guesses: then only reading well speaks for them
    relaxed = proven and not span.reconstructed
    return (relaxed or after >= MIN_PER_CHAR) and after - lm.per_char(g) >= MIN_PER_CHAR_GAIN


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
                      span.layer, span.gain, span.reconstructed)


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


def _seed_window(text: str, hyp: Hypothesis) -> tuple[int, int] | None:
    """The part of ``text`` worth searching under ``hyp``, or None.

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
                if run >= 2:
                    lo = i - 1 if lo < 0 else lo
                    hi = i + 1
            else:
                run = 0
        if lo < 0:
            return None
        return max(0, lo - WINDOW_MARGIN), min(len(text), hi + WINDOW_MARGIN)
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
        opts = _reencode_options(ch, family)
        first = next((o for o in (opts or ()) if all(isinstance(x, int) for x in o)), None)
        if first is None:
            # markers and unmappable characters: keep them as wildcards that
            # cannot complete a seed by themselves
            buf.append(0x3F)
            owner.append(i)
            continue
        buf.extend(first)  # type: ignore[arg-type]
        owner.extend([i] * len(first))
    lo = hi = -1
    rxs = (_UTF8_SEED, _UTF8_SEED_2) if single_byte else (_UTF8_SEED,)
    for rx in rxs:
        for m in rx.finditer(bytes(buf)):
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

