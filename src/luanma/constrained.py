"""Known and unknown bytes: from garbled characters back to byte *slots*,
and from slots forward to candidate characters.

Under a hypothesised wrong decoder, each garbled character stands for the
bytes that decoder turned into it.  Most characters give their bytes back
exactly; a loss marker (U+FFFD, a Windows ``?``) stands for one or two bytes
we no longer know, constrained only by what made the decoder fail.  A *slot*
is either a known byte (``int``) or the set of bytes it may have been
(``frozenset``).  The repair search (:mod:`luanma.detect`) walks the slots
and asks :func:`candidates` which characters of the true encoding fit.

>>> byte_options("涓", get_variant("gbk:win"))
((228, 184),)
>>> opts = byte_options("?", get_variant("gbk:win"))
>>> opts[0], len(opts)        # a real '?', a lead + a swallowed byte, or a lone 0xFF
((63,), 3)
>>> sorted(c for c, _ in candidates("utf-8", (0xE4, 0xB8, frozenset(range(0xAD, 0xAF))), ["中", "丮", "一"]))
['中', '丮']
"""

from __future__ import annotations

import operator
import re
from array import array
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from itertools import compress
from typing import Union, overload

from .errors import LossyTextError, UnrepresentableError
from .variants import Variant, get_variant, reencode  # noqa: F401  (get_variant: doctests)

__all__ = ["Slot", "SlotPath", "Follow", "follows", "byte_options", "char_bytes", "marker_patterns",
           "char_lengths", "candidates", "CandidateIndex", "Matches", "lead_bytes"]

Slot = Union[int, frozenset]
SlotPath = tuple[Slot, ...]


class Follow(frozenset):
    """Last item of a pattern: the byte *after* it (not consumed) must be in
    this set.  A decoder that fails on a lead byte alone does so only because
    the next byte could not be its trail."""

_ALL_HIGH = frozenset(range(0x80, 0x100))
_CONT = frozenset(range(0x80, 0xC0))


@lru_cache(maxsize=None)
def lead_bytes(codec: str) -> frozenset:
    """Bytes that start a double-byte character in ``codec``.

    >>> 0xE4 in lead_bytes("gbk"), 0x90 in lead_bytes("big5")
    (True, False)
    """
    return frozenset(lead for lead in range(0x81, 0x100) if _trail_mask(codec, lead))


#: Lead-byte groups kept apart when describing a bad pair (see _pair_groups).
MAX_PAIR_GROUPS = 4


#: Trail bytes no double-byte code page here accepts after any lead.
_NEVER_TRAIL = frozenset(range(0x40)) | {0xFF}
#: Every byte, as a bit set (see _trail_mask).
_ALL_BITS = (1 << 0x100) - 1


def _bits(mask: int) -> frozenset:
    """The bytes whose bits are set in ``mask`` (bit b stands for byte b)."""
    return frozenset(b for b in range(0x100) if mask >> b & 1)


def _valid_trails(codec: str, lead: int) -> frozenset:
    """Trail bytes that make one character after ``lead`` in ``codec``.

    >>> sorted(_valid_trails("gbk", 0xA1))[:3], len(_valid_trails("gbk", 0x80))
    ([161, 162, 163], 0)
    """
    return _bits(_trail_mask(codec, lead))


@lru_cache(maxsize=None)
def _trail_mask(codec: str, lead: int) -> int:
    """:func:`_valid_trails` as a 256-bit set: bit t is set if ``lead, t``
    is one character.  (Cached as an int of ~60 bytes, not a frozenset of
    up to 190 ints, ~4 KB: there is one per codec and lead byte.)

    One decode call per lead: the pairs are laid out with a blank line
    after each, so each pair's result is one chunk of the split (a bad pair
    gives surrogates or more than one character).
    """
    trails = [t for t in range(0x100) if t not in _NEVER_TRAIL]
    data = b"".join(bytes([lead, t]) + b"\n\n" for t in trails)
    chunks = data.decode(codec, "surrogateescape").split("\n\n")
    if len(chunks) != len(trails) + 1:      # a decoder ate a separator
        ok = [t for t in trails if _decodes(codec, bytes([lead, t]))]
    else:
        ok = [t for t, c in zip(trails, chunks)
              if len(c) == 1 and not 0xDC80 <= ord(c) <= 0xDCFF]
    mask = 0
    for t in ok:
        mask |= 1 << t
    return mask


def _decodes(codec: str, pair: bytes) -> bool:
    try:
        return len(pair.decode(codec)) == 1
    except UnicodeDecodeError:
        return False


@lru_cache(maxsize=None)
def _bad_by_lead(codec: str, fallback: str | None) -> dict[int, int]:
    """Per lead byte, the trail bytes that make no character after it in
    ``codec`` (nor in ``fallback``), as a bit set (see _trail_mask)."""
    out = {}
    for lead in range(0x81, 0xFF):
        ok = _trail_mask(codec, lead)
        if fallback:
            ok |= _trail_mask(fallback, lead)
        out[lead] = _ALL_BITS & ~ok
    return out


@lru_cache(maxsize=None)
def _pair_groups(variant: Variant) -> tuple[tuple[frozenset, frozenset], ...]:
    """(lead bytes, trail bytes) sets whose pairs ``variant`` cannot decode.

    Which trails are bad depends on the lead (GBK's user-defined rows, the
    holes in CP932's and CP949's rows): one (all leads) x (all bad trails)
    product would let a decoder "lose" pairs it actually reads, e.g. a
    swallowed letter.  Leads with the same bad trails form a group; groups
    are merged, smallest first, down to MAX_PAIR_GROUPS, so the search sees
    a handful of patterns that over-approximate only a few rare rows.

    >>> [(len(l), len(t)) for l, t in _pair_groups(get_variant("gbk:win"))]
    [(126, 66)]
    """
    by_bad: dict[int, set[int]] = {}
    for lead, bad in _bad_by_lead(variant.codec, variant.pair_fallback).items():
        if bad != _ALL_BITS:              # a byte no pair starts with fails alone
            by_bad.setdefault(bad, set()).add(lead)
    groups = sorted(((frozenset(v), _bits(k)) for k, v in by_bad.items()), key=lambda g: -len(g[0]))
    while len(groups) > MAX_PAIR_GROUPS:
        leads, bad = groups.pop()
        # join the group whose bad trails it adds the fewest new pairs to
        i = min(range(len(groups)), key=lambda j: len(groups[j][0]) * len(bad - groups[j][1])
                + len(leads) * len(groups[j][1] - bad))
        groups[i] = (groups[i][0] | leads, groups[i][1] | bad)
    return tuple(groups)


@lru_cache(maxsize=None)
def _undefined_single(codec: str) -> frozenset:
    return frozenset(b for b in range(0x100) if not bytes([b]).decode(codec, "ignore"))


@lru_cache(maxsize=4096)
def _marker_patterns(variant: Variant) -> tuple[SlotPath, ...]:
    """What a loss marker of ``variant`` may stand for, as slot patterns."""
    b = variant.behaviour
    codec = variant.codec
    if variant.label == "utf-8" or codec == "utf-8":
        # Python/WHATWG UTF-8: one U+FFFD per bad byte or per cut-short prefix
        lead3 = frozenset(range(0xE0, 0xF0))
        lead4 = frozenset(range(0xF0, 0xF5))
        return ((_ALL_HIGH,), (lead3, _CONT), (lead4, _CONT), (lead4, _CONT, _CONT))
    if variant.double_byte:
        # a high byte that can never start a pair fails on its own
        lone = _ALL_HIGH - lead_bytes(codec) - frozenset(variant.overrides)
        tail: tuple[SlotPath, ...] = ((lone,),) if lone else ()
        groups = _pair_groups(variant)
        if b == "win":       # the pair is one unit: its trail is lost too
            return tuple((leads, bad) for leads, bad in groups) + tail
        if b == "whatwg":    # an ASCII trail is read again, a high one is lost
            return tuple(p for leads, bad in groups for p in (
                (leads, Follow(bad - _ALL_HIGH)), (leads, bad & _ALL_HIGH)) if p[1]) + tail
        return tuple((leads, Follow(bad)) for leads, bad in groups) + tail
    undefined = _undefined_single(codec)
    return ((undefined,),) if undefined else ()


def _reverse_table(codec: str) -> dict[str, tuple[bytes, ...]]:
    """Every 1- and 2-byte sequence ``codec`` decodes to a single character,
    grouped by that character.  Several sequences may give one character
    (CP949's duplicate hanja, CP932's NEC/IBM rows): all are kept, since the
    garbled text cannot say which one the bytes were.  (Not cached: see
    :func:`_seq_table`.)

    Pairs are decoded a lead byte's row at a time (see :func:`_row`), not
    one call each: ~32k decode calls, most of them raising, were most of the
    cost of a codec's first use.
    """
    table: dict[str, list[bytes]] = {}
    for a in range(0x100):
        data = bytes([a])
        try:
            ch = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if len(ch) == 1:
            table.setdefault(ch, []).append(data)
    for lead in range(0x81, 0x100):
        for data, ch in _row(codec, lead):
            table.setdefault(ch, []).append(data)
    return {ch: tuple(v) for ch, v in table.items()}


#: Trail bytes of the pairs in _reverse_table, and one row of them laid out
#: for _row: lead byte (0 here), trail, blank line.
_TABLE_TRAILS = range(0x30, 0x100)
_ROW_TEMPLATE = b"".join(bytes([0, t]) + b"\n\n" for t in _TABLE_TRAILS)
#: A chunk of a decoded row that is one escaped byte and nothing else.
_LONE_SURROGATE = re.compile("(?:^|\n\n)[\udc80-\udcff]\n\n")


def _row(codec: str, lead: int) -> list[tuple[bytes, str]]:
    """The pairs ``lead, t`` (t from 0x30) that ``codec`` decodes to one
    non-ASCII character, with that character, in trail order.

    One decode call for the row, each pair followed by a blank line (as in
    :func:`_trail_mask`): the codecs are stateless, so a pair decodes as it
    would alone, and a bad one leaves a surrogate (surrogateescape) or more
    than one character in its chunk.  If a decoder ate a separator, or a
    chunk is a lone surrogate, the row is decoded pair by pair.
    """
    text = _ROW_TEMPLATE.replace(b"\x00", bytes([lead])).decode(codec, "surrogateescape")
    chunks = text.split("\n\n")
    if len(chunks) == len(_TABLE_TRAILS) + 1 and not _LONE_SURROGATE.search(text):
        return [(bytes([lead, t]), c) for t, c in zip(_TABLE_TRAILS, chunks)
                if len(c) == 1 and c >= "\x80"]
    out = []
    for t in _TABLE_TRAILS:
        data = bytes([lead, t])
        try:
            ch = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if len(ch) == 1 and ord(ch) >= 0x80:
            out.append((data, ch))
    return out


def _own_encodings(codec: str, chars: list[str]) -> list[bytes | None]:
    """``ch.encode(codec)`` for each character (None where it cannot).

    Non-ASCII characters go a few hundred to one encode call, joined by
    line breaks: the double-byte codecs are stateless, so the result splits
    back into each character's own bytes.  A block that fails, or does not
    split into one piece per character (some encoding holds a 0x0A byte),
    is done one character at a time.
    """
    out: list[bytes | None] = []
    for i in range(0, len(chars), 256):
        block = chars[i:i + 256]
        parts: list[bytes | None] = []
        if min(block) >= "\x80":
            try:
                parts = list("\n".join(block).encode(codec).split(b"\n"))
            except UnicodeEncodeError:
                pass
        if len(parts) != len(block):
            parts = [_encoded(c, codec) for c in block]
        out.extend(parts)
    return out


def _encoded(ch: str, codec: str) -> bytes | None:
    try:
        return ch.encode(codec)
    except UnicodeEncodeError:
        return None


@lru_cache(maxsize=None)
def _seq_table(codec: str) -> tuple[dict[str, tuple[bytes, ...]], bytes]:
    """:func:`_reverse_table` in little space: (the entries that are not
    just the character's own encoding, a bit set of the characters whose
    entry is).

    The whole table is ~7-24k characters, each a str, a tuple and a bytes
    object (~25 MB over the codecs a repair searches); the irregular
    entries are a few hundred at most (CP932's NEC/IBM rows), and the bit
    set (bit ``o`` for code point ``o``) a few kilobytes.
    """
    table = _reverse_table(codec)
    chars = list(table)
    # (zip of one iterable: the 1-tuples (own encoding,) to compare with)
    same = list(map(operator.eq, table.values(), zip(_own_encodings(codec, chars))))
    irregular = {ch: table[ch] for ch in compress(chars, map(operator.not_, same))}
    regular = bytearray((max(map(ord, chars), default=0) >> 3) + 1)
    for o in map(ord, compress(chars, same)):
        regular[o >> 3] |= 1 << (o & 7)
    return irregular, bytes(regular)


def _sequences(codec: str, ch: str) -> tuple[bytes, ...]:
    """``_reverse_table(codec).get(ch, ())``, from :func:`_seq_table`.

    >>> all(_sequences("cp932", c) == v for c, v in _reverse_table("cp932").items())
    True
    >>> _sequences("gbk", "中"), _sequences("gbk", "\\ue000"), _sequences("gbk", "ab")
    ((b'\\xd6\\xd0',), (), ())
    """
    irregular, regular = _seq_table(codec)
    seqs = irregular.get(ch)
    if seqs is not None:
        return seqs
    if len(ch) == 1:
        o = ord(ch)
        if (o >> 3) < len(regular) and regular[o >> 3] >> (o & 7) & 1:
            return (ch.encode(codec),)
    return ()


@lru_cache(maxsize=16384)
def char_bytes(ch: str, variant: Variant) -> tuple[bytes, ...]:
    """All byte sequences that ``variant`` decodes to the character ``ch``.

    >>> char_bytes("∵", get_variant("cp932"))   # NEC and IBM rows both have it
    (b'\\x81\\xe6', b'\\x87\\x9a', b'\\xfa[')
    """
    out: list[bytes] = []
    if variant.double_byte:
        out.extend(_sequences(variant.codec, ch))
        if variant.pair_fallback:
            out.extend(x for x in _sequences(variant.pair_fallback, ch) if x not in out)
    out.extend(bytes([b]) for b, c in variant.overrides.items() if c == ch and bytes([b]) not in out)
    if not out:
        try:
            out.append(reencode(ch, variant))
        except (UnrepresentableError, LossyTextError):
            pass
    return tuple(out)


def marker_patterns(ch: str, variant: Variant, at_end: bool = False) -> tuple[SlotPath, ...]:
    """If ``ch`` is ``variant``'s loss marker, the slot patterns it may hide.

    ``at_end``: the marker ends the text, where a lead byte with no byte
    after it fails alone.
    """
    if variant.lossless or ch != variant.replacement:
        return ()
    pats = _marker_patterns(variant)
    if at_end and variant.double_byte:
        pats = pats + ((frozenset(range(0x81, 0xFF)),),)
    return pats


def follows(pattern: SlotPath, next_options: tuple[SlotPath, ...] | None) -> SlotPath | None:
    """``pattern`` without its :class:`Follow` item, or None if no option of
    the next character starts with an allowed byte."""
    if not pattern or not isinstance(pattern[-1], Follow):
        return pattern
    allowed = pattern[-1]
    for opt in next_options or ():
        first = opt[0] if opt else None
        if first is None:
            continue
        if (first in allowed) if isinstance(first, int) else bool(first & allowed):
            return pattern[:-1]
    return None


@lru_cache(maxsize=65536)
def byte_options(ch: str, variant: Variant) -> tuple[SlotPath, ...] | None:
    """The byte-slot sequences ``variant`` may have decoded to ``ch``.

    ``None`` when no byte sequence gives ``ch`` (the character cannot be part
    of this variant's mojibake).
    """
    options: list[SlotPath] = [tuple(b) for b in char_bytes(ch, variant)]
    options.extend(marker_patterns(ch, variant))
    return tuple(options) or None


def char_lengths(encoding: str, first: Slot) -> tuple[int, ...]:
    """Possible byte lengths of a character of ``encoding`` starting with ``first``.

    >>> char_lengths("utf-8", 0xE4), char_lengths("gbk", 0x41), char_lengths("gb18030", 0x81)
    ((3,), (1,), (2, 4))
    """
    firsts = (first,) if isinstance(first, int) else tuple(first)
    out: set[int] = set()
    for b in firsts:
        out.update(_lengths(encoding, b))
    return tuple(sorted(out))


@lru_cache(maxsize=None)
def _lengths(encoding: str, b: int) -> tuple[int, ...]:
    if b < 0x80:
        return (1,)
    if encoding == "utf-8":
        if 0xC2 <= b <= 0xDF:
            return (2,)
        if 0xE0 <= b <= 0xEF:
            return (3,)
        if 0xF0 <= b <= 0xF4:
            return (4,)
        return ()
    if encoding == "gb18030":
        return (2, 4) if 0x81 <= b <= 0xFE else ()
    if encoding in ("shift_jis", "cp932"):
        return (1,) if 0xA1 <= b <= 0xDF else (2,)
    if encoding == "euc_jp":
        return (3,) if b == 0x8F else (2,)
    if encoding in ("iso8859-1", "cp1252", "cp437", "cp850") or len(
            bytes([b]).decode(encoding, "ignore")) == 1:
        return (1,)
    return (2,)


class Matches(Sequence):
    """The vocabulary characters of a :class:`CandidateIndex` that fit one
    slot pattern, most frequent first: a read-only sequence of ``(char,
    bytes)`` pairs, compared and shown like the tuple of those pairs.

    Stored as positions in the index's per-length tables (an ``array`` of
    2 or 4 bytes a match) rather than a tuple of pairs (~100 bytes a match:
    the tuple, a ``bytes`` object and a pointer): ``match`` keeps thousands
    of these in its cache, some with thousands of characters each.  A pair
    is built when read; iterating gives equal tuples, not the same objects.

    >>> m = CandidateIndex("utf-8", ["中", "丮", "一"]).match((0xE4, 0xB8, frozenset(range(0xAD, 0xAF))))
    >>> m, len(m), m[0], m[:1]
    ((('中', b'\\xe4\\xb8\\xad'), ('丮', b'\\xe4\\xb8\\xae')), 2, ('中', b'\\xe4\\xb8\\xad'), (('中', b'\\xe4\\xb8\\xad'),))
    """

    __slots__ = ("_chars", "_data", "_pos")

    def __init__(self, chars: list[str], data: list[bytes], pos: array) -> None:
        self._chars = chars     # the index's characters of this byte length...
        self._data = data       # ...their bytes, in the same order
        self._pos = pos         # positions in both, of the characters that fit

    def __len__(self) -> int:
        return len(self._pos)

    def __bool__(self) -> bool:
        return len(self._pos) > 0

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        # all in C: the search iterates these in its innermost loop
        pos = self._pos
        return zip(map(self._chars.__getitem__, pos), map(self._data.__getitem__, pos))

    @overload
    def __getitem__(self, i: int) -> tuple[str, bytes]: ...

    @overload
    def __getitem__(self, i: slice) -> Matches: ...

    def __getitem__(self, i: int | slice) -> tuple[str, bytes] | Matches:
        if isinstance(i, slice):
            return Matches(self._chars, self._data, self._pos[i])
        p = self._pos[i]
        return self._chars[p], self._data[p]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Matches, tuple)):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))


class CandidateIndex:
    """Characters of a vocabulary indexed by their bytes in one encoding.

    Built once per (encoding, vocabulary) and read-only afterwards.  The
    encodings of each length are kept as columns: column j holds byte j of
    every character of that length, in vocabulary order, so that matching a
    slot pattern is a few whole-column operations in C (a translation per
    slot, an AND) rather than a Python loop over every character.

    ``limit``: keep only the first (most frequent) ``limit`` characters that
    fit a pattern, for a caller that never weighs more (a pattern with two
    free bytes fits thousands).

    >>> CandidateIndex("utf-8", ["中", "丮", "一"], limit=1).match((0xE4, 0xB8, frozenset(range(0xAD, 0xAF))))
    (('中', b'\\xe4\\xb8\\xad'),)
    """

    def __init__(self, encoding: str, vocabulary: Iterable[str], limit: int | None = None) -> None:
        self.encoding = encoding
        self.limit = limit
        blobs: dict[int, list[bytes]] = {}
        chars: dict[int, list[str]] = {}
        for ch in vocabulary:
            try:
                data = ch.encode(encoding)
            except UnicodeEncodeError:
                continue
            blobs.setdefault(len(data), []).append(data)
            chars.setdefault(len(data), []).append(ch)
        self._cols = {n: [bytes(d[j] for d in v) for j in range(n)] for n, v in blobs.items()}
        self._data = blobs
        self._chars = chars
        # positions fit in 16 bits unless a length has more than 65,536 characters
        self._code = {n: "H" if len(v) <= 0x10000 else "I" for n, v in chars.items()}
        # per length, per byte position: the byte values some character has
        # there (a 256-bit set); most patterns the search asks about fit no
        # character, and one of their slots shows it at once
        self._present = {n: [_mask_of(d[j] for d in v) for j in range(n)] for n, v in blobs.items()}
        self.match = lru_cache(maxsize=8192)(self._match)  # type: ignore[method-assign]

    def _match(self, pattern: SlotPath) -> Matches | tuple[()]:
        """Vocabulary characters whose bytes fit ``pattern``, most frequent first."""
        n = len(pattern)
        cols = self._cols.get(n)
        if cols is None:
            return ()
        present = self._present[n]
        code = self._code[n]
        for j, slot in enumerate(pattern):
            if not (_slot_mask(slot) & present[j]):
                return Matches(self._chars[n], self._data[n], array(code))
        # Each column translated to 1 where its byte fits the slot, 0 where
        # not, read as one big integer: their AND has a 1 byte exactly at
        # the characters whose every byte fits.
        fit = -1
        for col, slot in zip(cols, pattern):
            if isinstance(slot, int) or len(slot) < 0x100:     # (a free byte fits all)
                fit &= int.from_bytes(col.translate(_slot_table(slot)), "little")
                if not fit:
                    return Matches(self._chars[n], self._data[n], array(code))
        count = len(cols[0])
        limit = count if self.limit is None else min(self.limit, count)
        if fit == -1:
            return Matches(self._chars[n], self._data[n], array(code, range(limit)))
        hits = fit.to_bytes(count, "little")
        pos = array(code)
        p = hits.find(1)
        while p >= 0 and len(pos) < limit:
            pos.append(p)
            p = hits.find(1, p + 1)
        return Matches(self._chars[n], self._data[n], pos)


#: slot -> its 256-bit mask / its translation table; plain memos of the
#: sets, started over at this size (int slots: 256 entries at most)
_MASK_LIMIT = 4096
_MASKS: dict[Slot, int] = {}
_TABLES: dict[Slot, bytes] = {}


def _mask_of(values: Iterable[int]) -> int:
    """The 256-bit set of byte ``values``.

    >>> _mask_of([0, 2]) == 0b101
    True
    """
    m = 0
    for b in values:
        m |= 1 << b
    return m


def _slot_mask(slot: Slot) -> int:
    """:func:`_mask_of` one slot."""
    if isinstance(slot, int):
        return 1 << slot
    m = _MASKS.get(slot)
    if m is None:
        if len(_MASKS) >= _MASK_LIMIT:
            _MASKS.clear()
        m = _MASKS[slot] = _mask_of(slot)
    return m


def _slot_table(slot: Slot) -> bytes:
    """A ``bytes.translate`` table: byte b -> 1 if it fits ``slot``, else 0.

    >>> _slot_table(0x41)[0x40:0x43], _slot_table(frozenset({1, 2}))[:4]
    (b'\\x00\\x01\\x00', b'\\x00\\x01\\x01\\x00')
    """
    t = _TABLES.get(slot)
    if t is None:
        if len(_TABLES) >= _MASK_LIMIT:
            _TABLES.clear()
        fits = {slot} if isinstance(slot, int) else slot
        t = _TABLES[slot] = bytes(b in fits for b in range(0x100))
    return t


def candidates(encoding: str, pattern: SlotPath, vocabulary: Iterable[str] | None = None,
               index: CandidateIndex | None = None) -> Sequence[tuple[str, bytes]]:
    """Characters of ``encoding`` whose bytes fit the slot ``pattern``.

    A fully known pattern gives the one character it encodes (if any), in or
    out of the vocabulary; a pattern with unknown slots gives the vocabulary
    characters that fit.
    """
    if all(isinstance(s, int) for s in pattern):
        data = bytes(pattern)  # type: ignore[arg-type]
        try:
            ch = data.decode(encoding)
        except UnicodeDecodeError:
            return []
        return [(ch, data)] if len(ch) == 1 else []
    if index is None:
        index = CandidateIndex(encoding, vocabulary or ())
    return index.match(pattern)

