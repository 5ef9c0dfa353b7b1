"""Reading garbled text as it was before a "cleaning" fold (issue 4).

Pipelines clean text after it was garbled: NFKC or width folding turns the
full-width ASCII forms in GBK mojibake into ASCII ('鏁ｇ儹' -> '鏁g儹') and
the half-width katakana in Shift_JIS mojibake into full-width ones
('縺ｼ' -> '縺シ'); invisible characters (the private-use characters of
GBK's and CP950's user-defined rows, C1 controls, the soft hyphen) are
dropped.  The folded text no longer gives back the bytes the wrong decoder
read, so the search (:mod:`luanma.detect`) also offers, where the bytes
ask for it, two extra *readings* of a garbled text:

* *unfold*: a character (or up to three) that a fold produces may stand for
  a character that folds to it -- ``g`` for ``ｇ`` (the bytes A3 E7 in
  GBK), ``シ`` for ``ｼ`` (0xBC in Shift_JIS), ``(二)`` for ``㈡``;
* *drop*: between two garbled characters there may have been a character
  the decoder showed as invisible: its bytes are unknown but for the byte
  ranges that decode to one (:func:`drop_patterns`).

This module holds the tables; the search decides where to use them.

>>> [s for s, _ in unfold_sources(("gbk:whatwg",)).get("g", ())]
['ｇ']
>>> unfold_sources(("cp932:win",))["シ"][0]
('ｼ', 'nfkc')
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from .constrained import SlotPath, char_bytes
from .errors import LuanmaError
from .layers import _INVISIBLE, FOLDS
from .variants import Variant, decode, get_variant

__all__ = ["UNFOLD_KINDS", "REFOLD_KINDS", "unfold_sources", "drop_patterns", "refold"]

#: Folds a search can read back, narrowest first: an unfolded full-width
#: form is also what NFKC would have folded, so "width" is tried first and
#: names the plan when it alone explains the text.
UNFOLD_KINDS: tuple[str, ...] = ("width", "nfkc")
#: The folds a verified span may name, in the order they are tried.
REFOLD_KINDS: tuple[str, ...] = ("width", "nfkc", "invisible")
#: Longest fold output read back as one character (NFKC writes '㈡' as
#: '(二)', '℃' as '°C'); longer ones ("㍻" -> "平成") are rare in mojibake.
MAX_UNFOLD = 3


@lru_cache(maxsize=None)
def _foldable() -> tuple[tuple[str, str, str], ...]:
    """Every BMP character that a fold of :data:`UNFOLD_KINDS` changes:
    (character, what it folds to, the narrowest kind that folds it)."""
    out = []
    for c in range(0x80, 0x10000):
        x = chr(c)
        # (every width fold is also an NFKC one: the C test skips the rest)
        if 0xD800 <= c < 0xE000 or unicodedata.is_normalized("NFKC", x):
            continue
        for kind in UNFOLD_KINDS:
            f = FOLDS[kind](x)
            if f != x:
                break
        else:
            continue
        # a fold to combining marks or to "space + mark" (NFKC's '¨') is a
        # decomposition, not a character a reader could see in the text
        if not 1 <= len(f) <= MAX_UNFOLD or any(
                unicodedata.category(ch)[0] in "MC" for ch in f) or (f[0] == " " and f != " "):
            continue
        out.append((x, f, kind))
    return tuple(out)


@lru_cache(maxsize=None)
def unfold_sources(specs: Sequence[str]) -> dict[str, tuple[tuple[str, str], ...]]:
    """What a folded string may have been before the fold, under decoders
    ``specs``: folded string -> ((source character, fold kind), ...), for
    the sources one of the decoders writes from one or two bytes.

    >>> unfold_sources(("gbk:whatwg",))["(二)"]
    (('㈡', 'nfkc'),)
    >>> "シ" in unfold_sources(("gbk:whatwg",))     # GBK has no half-width kana
    False
    """
    variants = [get_variant(s) for s in specs]
    table: dict[str, list[tuple[str, str]]] = {}
    for x, f, kind in _foldable():
        # (GB18030's four-byte forms spell any character: not a decoder's
        # everyday output, and their ASCII digits would show)
        if any(_writes(x, v) and any(len(b) <= 2 for b in char_bytes(x, v)) for v in variants):
            table.setdefault(f, []).append((x, kind))
    return {f: tuple(v) for f, v in table.items()}


def _writes(ch: str, v: Variant) -> bool:
    """May the decoder ``v`` write ``ch`` at all?  (A quick test before
    :func:`luanma.constrained.char_bytes`, whose search for a character a
    code page lacks is slow.)"""
    for codec in (v.codec, v.pair_fallback):
        if codec:
            try:
                ch.encode(codec)
                return True
            except UnicodeEncodeError:
                pass
    return ch in v.overrides.values()


#: Byte-range patterns kept per family for a dropped character: the largest
#: (lead set x trail set) products; the rest are rare rows.
MAX_DROP_PATTERNS = 3
#: ...each covering at least this many pairs not covered yet.
MIN_DROP_PAIRS = 64


@lru_cache(maxsize=None)
def drop_patterns(specs: Sequence[str]) -> tuple[SlotPath, ...]:
    """The bytes that one of the decoders ``specs`` shows as a character
    ``fold:invisible`` drops, as slot patterns: one byte (a set), or a pair
    (a lead set and a trail set whose every combination is one).

    >>> [(len(p), len(p[0]), len(p[1])) for p in drop_patterns(("gbk:win",))][:1]
    [(2, 13, 94)]
    >>> drop_patterns(("shift_jis",))
    ()
    """
    singles: set[int] = set()
    trails: dict[int, set[int]] = {}
    for spec in specs:
        if "|" in spec:
            continue
        one, two = _invisible_bytes(spec)
        singles |= one
        for lead, trail in two:
            trails.setdefault(lead, set()).add(trail)
    # Cover the pairs with a few rectangles, largest first: a trail set
    # some lead has, and every lead that takes all of it (GBK's rows
    # A1-A7 each add a few PUA cells of their own to the common 40-A0).
    left = {(lead, t) for lead, ts in trails.items() for t in ts}
    pats: list[tuple[int, SlotPath]] = []
    for _ in range(MAX_DROP_PATTERNS):
        best: tuple[int, SlotPath] | None = None
        for ts in {frozenset(ts) for ts in trails.values()}:
            leads = frozenset(lead for lead, have in trails.items()
                              if ts <= have and any((lead, t) in left for t in ts))
            gain = sum(1 for lead in leads for t in ts if (lead, t) in left)
            if best is None or gain > best[0]:
                best = (gain, (leads, ts))
        if best is None or best[0] < MIN_DROP_PAIRS:
            break
        pats.append(best)
        leads, ts = best[1]
        left -= {(lead, t) for lead in leads for t in ts}  # type: ignore[union-attr]
    if singles:
        pats.append((len(singles), (frozenset(singles),)))
    pats.sort(key=lambda p: -p[0])
    return tuple(p for _, p in pats[:MAX_DROP_PATTERNS])


@lru_cache(maxsize=None)
def _invisible_bytes(spec: str) -> tuple[frozenset[int], frozenset[tuple[int, int]]]:
    """The single bytes and the byte pairs that the decoder ``spec`` turns
    into one character ``fold:invisible`` drops."""
    v = get_variant(spec)
    singles = set()
    for b in range(0x80, 0x100):
        try:
            if _invisible(decode(bytes([b]), v).text):
                singles.add(b)
        except LuanmaError:         # (a strict decoder refusing a lone lead byte)
            continue
    if not v.double_byte:
        return frozenset(singles), frozenset()
    return frozenset(singles), _invisible_pairs(v.codec, v.pair_fallback)


@lru_cache(maxsize=None)
def _invisible_pairs(codec: str, fallback: str | None) -> frozenset[tuple[int, int]]:
    """The byte pairs ``codec`` (else ``fallback``, as a Windows decoder
    reads what its code page lacks) decodes to one invisible character.

    (The codecs themselves, not decode(): one call per pair would take a
    second per family.  Each lead's pairs are decoded in one call, a blank
    line after each.)
    """
    invisible = frozenset(map(chr, _INVISIBLE))
    trails = range(0x40, 0xFF)
    pairs = set()
    for lead in range(0x81, 0xFF):
        data = b"".join(bytes((lead, t)) + b"\n\n" for t in trails)
        chunks = data.decode(codec, "surrogateescape").split("\n\n")
        if len(chunks) != len(trails) + 1:          # a decoder ate a separator
            chunks = [bytes((lead, t)).decode(codec, "surrogateescape") for t in trails]
        for t, ch in zip(trails, chunks):
            if len(ch) != 1 and fallback:
                ch = bytes((lead, t)).decode(fallback, "surrogateescape")
            if ch in invisible:
                pairs.add((lead, t))
    return frozenset(pairs)


def _invisible(ch: str) -> bool:
    return len(ch) == 1 and ord(ch) in _INVISIBLE


def refold(text: str, kind: str) -> str:
    """``text`` after the fold ``kind`` (:data:`luanma.layers.FOLDS`).

    >>> refold("鏁ｇ儹", "width"), refold("璁\\ue0a2悎", "invisible")
    ('鏁g儹', '璁悎')
    """
    return FOLDS[kind](text)
