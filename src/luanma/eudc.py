"""Windows code page 950's user-defined areas, as a Python codec.

Big5 leaves four areas of byte pairs to end-user-defined characters
(EUDC).  Windows' CP950 decoder maps every pair there to a private-use
character, in order; Python's ``cp950`` codec rejects most of these pairs
and reads C6A1-C7FC as the ETEN extensions (kana, Cyrillic) that Windows
does not use.  (glibc's iconv BIG5 maps the C6A1-C8FE area the same
way: real GBK files converted "from Big5" carry these characters.)  GBK
text shown as Big5 is full of these pairs (GBK's 青 is C7E0, shown as
U+F78D), so ``cp950:win`` decodes with the codec registered here:
Python's ``cp950`` with those areas as Windows maps them.

>>> "青色".encode("gbk").decode("luanma_cp950")
'\\uf78d伎'
>>> "\\uf78d伎".encode("luanma_cp950").decode("gbk")
'青色'
"""

from __future__ import annotations

import codecs
import contextvars
import re
from functools import lru_cache
from typing import Final

#: The codec's name (for ``bytes.decode`` and :mod:`luanma.variants`).
NAME: Final = "luanma_cp950"

#: (first lead byte, last lead byte, first trail byte of the first row,
#: first private-use code point).  Rows are Big5's 157 cells (trail bytes
#: 40-7E, A1-FE), numbered on across rows.  Data from Microsoft's
#: documentation of the CP950 EUDC ranges.
EUDC_AREAS: Final[tuple[tuple[int, int, int, int], ...]] = (
    (0xFA, 0xFE, 0x40, 0xE000),
    (0x8E, 0xA0, 0x40, 0xE311),
    (0x81, 0x8D, 0x40, 0xEEB8),
    (0xC6, 0xC8, 0xA1, 0xF6B1),
)

_TRAILS: Final = tuple(range(0x40, 0x7F)) + tuple(range(0xA1, 0xFF))


@lru_cache(maxsize=None)
def _tables() -> tuple[dict[bytes, str], dict[str, bytes]]:
    """(pair -> private-use character, and back) for every EUDC pair."""
    pairs: dict[bytes, str] = {}
    for first, last, start_trail, pua in EUDC_AREAS:
        cp = pua
        for lead in range(first, last + 1):
            for trail in _TRAILS:
                if lead == first and trail < start_trail:
                    continue
                pairs[bytes((lead, trail))] = chr(cp)
                cp += 1
    return pairs, {c: b for b, c in pairs.items()}


@lru_cache(maxsize=None)
def _shadowed() -> dict[int, str]:
    """``str.translate`` table: what Python's cp950 reads from an EUDC pair
    -> the private-use character Windows shows there (each such character
    comes from that one pair only)."""
    out: dict[int, str] = {}
    for pair, pua in _tables()[0].items():
        try:
            ch = pair.decode("cp950")
        except UnicodeDecodeError:
            continue
        out[ord(ch)] = pua
    return out


#: The caller's error handler while Python's cp950 runs under ours.
_OUTER: contextvars.ContextVar[str] = contextvars.ContextVar("luanma_cp950_errors")
_INNER: Final = "luanma.cp950-eudc"


def _decode(data: bytes, errors: str = "strict") -> tuple[str, int]:
    token = _OUTER.set(errors)
    try:
        text = codecs.decode(bytes(data), "cp950", _INNER)
    finally:
        _OUTER.reset(token)
    return text.translate(_shadowed()), len(data)


@lru_cache(maxsize=None)
def _shadowed_chars() -> re.Pattern[str]:
    return re.compile("[%s]" % "".join(map(chr, sorted(_shadowed()))))


def _encode(text: str, errors: str = "strict") -> tuple[bytes, int]:
    out = bytearray()
    token = _OUTER.set(errors)
    try:
        start = 0
        # (text without a character Windows never shows is one cp950 call)
        for m in _shadowed_chars().finditer(text):
            if m.start() < start:
                continue                    # (an error handler resumed past it)
            out += codecs.encode(text[start:m.start()], "cp950", _INNER)
            exc = UnicodeEncodeError(NAME, text, m.start(), m.end(), "not a Windows CP950 character")
            if errors == "strict":
                raise exc
            handled, start = codecs.lookup_error(errors)(exc)
            out += handled if isinstance(handled, bytes) else handled.encode("ascii")
        out += codecs.encode(text[start:], "cp950", _INNER)
    finally:
        _OUTER.reset(token)
    return bytes(out), len(text)


def _on_error(exc: UnicodeError) -> tuple[str | bytes, int]:
    pairs, back = _tables()
    if isinstance(exc, UnicodeDecodeError):
        pair = bytes(exc.object[exc.start:exc.start + 2])
        if pair in pairs:
            return pairs[pair], exc.start + 2
    elif isinstance(exc, UnicodeEncodeError):
        ch = exc.object[exc.start]
        if ch in back:
            return back[ch], exc.start + 1
    outer = _OUTER.get()
    if outer == "strict":
        raise exc
    return codecs.lookup_error(outer)(exc)


codecs.register_error(_INNER, _on_error)


def _search(name: str) -> codecs.CodecInfo | None:
    if name != NAME:
        return None
    return codecs.CodecInfo(name=NAME, encode=_encode, decode=_decode)  # type: ignore[arg-type]


codecs.register(_search)
