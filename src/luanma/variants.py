"""Decoder behaviours by name.

Real software does not decode like Python's strict codecs.  A *variant* is a
Python codec plus a *behaviour*: what the decoder does with bytes it cannot
map.  Variants are named ``"<codec>:<behaviour>"`` (``"gbk:win"``,
``"cp1252:c1"``); a bare codec name means the strict codec.

Behaviours (the table :data:`BEHAVIOURS` is the reference):

``strict``   raise :class:`~luanma.errors.UndecodableBytesError`.
``replace``  Python's ``errors="replace"``: one U+FFFD per error Python reports.
``whatwg``   the WHATWG Encoding Standard decoder (browsers): the codec is
             swapped for the one WHATWG actually uses (its "gbk" is GB18030,
             "big5" is Big5-HKSCS, "shift_jis" is CP932, "euc-kr" is CP949),
             0x80 is ``€`` in GBK, a bad double-byte pair gives one U+FFFD and
             an ASCII trail byte is *not* consumed; single-byte pages keep
             undefined bytes as the C1 control of the same number.
``win``      Windows/.NET double-byte code pages (``MultiByteToWideChar``):
             a lead byte with an invalid trail becomes ONE ``?`` (``・`` on
             CP932) and swallows the trail byte even when it is ASCII -- the
             common ``鈥?`` pattern; 0x80 is ``€`` on CP936; GBK's and
             Big5's (CP950's) user-defined areas decode to private-use
             characters.
``qmark``    one ``?`` per error (Java's and many converters' habit).
``ignore``   undecodable bytes vanish.
``c1``       single-byte pages: undefined bytes become the C1 control with the
             same number (ftfy's "sloppy" codecs, WHATWG windows-1252).
``escape``   Python's ``surrogateescape``: bad bytes become lone surrogates.

``strict``, ``c1`` and ``escape`` are *lossless*: decoding is an exact
bijection on the bytes it accepts, so a layer using them can be undone byte
for byte.  The others may lose bytes; :func:`decode` reports every loss.

>>> decode("由月要好".encode("utf-8"), "gbk").text
'鐢辨湀瑕佸ソ'
>>> decode("—\\n".encode("utf-8"), "gbk:win").text   # the classic 鈥? pattern
'鈥?'
"""

from __future__ import annotations

import codecs
import contextvars
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

from . import eudc
from .errors import LossyTextError, UndecodableBytesError, UnknownVariantError, UnrepresentableError

__all__ = [
    "BEHAVIOURS",
    "ALIASES",
    "Variant",
    "Loss",
    "Decoded",
    "get_variant",
    "decode",
    "encode",
    "reencode",
    "canonical_codec",
]

#: behaviour -> (lossless?, one-line description).  Data, not logic.
BEHAVIOURS: Final[dict[str, tuple[bool, str]]] = {
    "strict": (True, "Python strict codec: undecodable bytes are an error"),
    "replace": (False, "Python errors='replace': U+FFFD per reported error"),
    "whatwg": (False, "WHATWG/browser decoder: U+FFFD, ASCII trail kept, C1 kept"),
    "win": (False, "Windows DBCS: bad pair -> one '?' (CP932 '・'), trail swallowed"),
    "qmark": (False, "one '?' per undecodable sequence"),
    "ignore": (False, "undecodable bytes dropped"),
    "c1": (True, "single-byte: undefined bytes kept as C1 controls (sloppy)"),
    "escape": (True, "Python surrogateescape: bad bytes become lone surrogates"),
}

#: Names real software uses, mapped to the variant that reproduces it.
ALIASES: Final[dict[str, str]] = {
    "browser-gbk": "gbk:whatwg",
    "browser-gb18030": "gb18030:whatwg",
    "browser-big5": "big5:whatwg",
    "browser-shift_jis": "shift_jis:whatwg",
    "browser-euc-jp": "euc_jp:whatwg",
    "browser-euc-kr": "euc_kr:whatwg",
    "browser-windows-1252": "cp1252:c1",
    "windows-936": "gbk:win",
    "windows-950": "cp950:win",
    "windows-932": "cp932:win",
    "windows-949": "cp949:win",
    "sloppy-windows-1252": "cp1252:c1",
    "java-gbk": "gbk:qmark",
}

# WHATWG decodes these labels with a superset codec (Encoding Standard §10-13).
_WHATWG_CODEC: Final[dict[str, str]] = {
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "gb18030": "gb18030",
    "big5": "big5hkscs",
    "cp950": "big5hkscs",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "cp949": "cp949",
    "cp932": "cp932",
    "euc_jp": "euc_jp",
}

# Windows decodes GBK's user-defined rows to PUA exactly as GB18030 does, and
# its CP936 maps the single byte 0x80 to the euro sign.
_WIN_PAIR_FALLBACK: Final[dict[str, str]] = {"gbk": "gb18030", "gb2312": "gb18030"}
_EURO_AT_80: Final[frozenset[str]] = frozenset({"gbk", "gb2312", "gb18030"})
_WIN_REPLACEMENT: Final[dict[str, str]] = {"cp932": "\u30fb", "shift_jis": "\u30fb"}
# Windows' CP950 shows Big5's user-defined areas as private-use characters
# (luanma.eudc); Python's cp950 rejects them or reads other characters there.
_WIN_CODEC: Final[dict[str, str]] = {"cp950": eudc.NAME, "big5": eudc.NAME}

_DOUBLE_BYTE: Final[frozenset[str]] = frozenset(
    {"gbk", "gb2312", "gb18030", "big5", "cp950", "big5hkscs", "shift_jis",
     "cp932", "euc_jp", "euc_kr", "cp949", "johab", "shift_jis_2004", "euc_jis_2004",
     eudc.NAME}
)


def canonical_codec(name: str) -> str:
    """Python's canonical name for a codec label.

    >>> canonical_codec("Windows-1252"), canonical_codec("cp936")
    ('cp1252', 'gbk')
    """
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise UnknownVariantError(f"unknown codec {name!r}") from None


@dataclass(frozen=True)
class Variant:
    """A codec plus what it does with bytes it cannot map.

    ``name`` is canonical (``"gbk:win"``); ``codec`` is the Python codec that
    maps the valid bytes (after WHATWG substitution), ``overrides`` maps single
    bytes the real decoder defines but Python does not.

    >>> v = get_variant("gbk:win")
    >>> v.lossless, v.double_byte, v.replacement
    (False, True, '?')
    """

    name: str
    label: str
    codec: str
    behaviour: str
    replacement: str = "\ufffd"
    overrides: dict[int, str] = field(default_factory=dict, hash=False, compare=False)
    pair_fallback: str | None = None

    @property
    def lossless(self) -> bool:
        """True if decoding can never lose a byte."""
        return BEHAVIOURS[self.behaviour][0]

    @property
    def double_byte(self) -> bool:
        return self.codec in _DOUBLE_BYTE

    @property
    def single_byte(self) -> bool:
        return self.codec not in _DOUBLE_BYTE and self.codec not in (
            "utf-8", "utf-16", "utf-32", "utf-8-sig", "utf-16-le", "utf-16-be")


@lru_cache(maxsize=None)
def get_variant(spec: str) -> Variant:
    """Parse ``"codec[:behaviour]"`` (or an alias) into a :class:`Variant`.

    >>> v = get_variant("Windows-936")
    >>> v.name, v.codec, v.replacement
    ('gbk:win', 'gbk', '?')
    >>> get_variant("big5:whatwg").codec
    'big5hkscs'
    """
    if not isinstance(spec, str):
        raise TypeError(f"variant spec must be str, not {type(spec).__name__}")
    spec = ALIASES.get(spec.strip().lower(), spec.strip())
    label, _, behaviour = spec.partition(":")
    behaviour = behaviour.strip().lower() or "strict"
    if behaviour not in BEHAVIOURS:
        raise UnknownVariantError(
            f"unknown decoder behaviour {behaviour!r} in {spec!r}; "
            f"known: {', '.join(BEHAVIOURS)}")
    label = canonical_codec(label.strip())
    codec = label
    replacement = "\ufffd"
    overrides: dict[int, str] = {}
    fallback = None
    if behaviour == "whatwg":
        codec = _WHATWG_CODEC.get(label, label)
        if label in _EURO_AT_80:
            overrides[0x80] = "\u20ac"
        if label not in _DOUBLE_BYTE and label != "utf-8":
            # WHATWG single-byte pages pass undefined bytes through as C1
            behaviour = "c1"
    elif behaviour == "win":
        if label not in _DOUBLE_BYTE:
            raise UnknownVariantError(f"'win' behaviour is for double-byte code pages, not {label!r}")
        replacement = _WIN_REPLACEMENT.get(label, "?")
        codec = _WIN_CODEC.get(label, label)
        fallback = _WIN_PAIR_FALLBACK.get(label)
        # CP936 shows 0x80 as the euro sign; the other Windows DBCS pages keep it
        overrides[0x80] = "\u20ac" if label in _EURO_AT_80 else "\x80"
    elif behaviour == "qmark":
        replacement = "?"
    elif behaviour == "c1" and label in _DOUBLE_BYTE | {"utf-8"}:
        raise UnknownVariantError(f"'c1' behaviour is for single-byte code pages, not {label!r}")
    name = label if behaviour == "strict" else f"{label}:{behaviour}"
    return Variant(name, label, codec, behaviour, replacement, overrides, fallback)


@dataclass(frozen=True)
class Loss:
    """Bytes a decoder could not map, and what it wrote instead.

    ``offset`` is the byte offset in the decoder's input (-1 for characters
    the encoder could not carry); ``kind`` is ``undecodable``, ``unencodable``
    or ``ambiguous`` (bytes a decoder maps to a character that encodes back
    differently).

    >>> from luanma import corrupt
    >>> loss = corrupt("才198", "utf-8 -> gbk:win").losses[0].loss
    >>> loss.offset, loss.lost, loss.replacement, loss.kind
    (2, b'\x8d1', '?', 'undecodable')
    """

    offset: int
    lost: bytes
    replacement: str
    kind: str = "undecodable"


@dataclass(frozen=True)
class Decoded:
    """Result of :func:`decode`: the text and every loss on the way.

    >>> d = decode(b"\\xe4\\xb8\\xad ", "gbk:win")
    >>> d.text, d.lossy
    ('涓?', True)
    """

    text: str
    losses: tuple[Loss, ...] = ()

    @property
    def lossy(self) -> bool:
        return bool(self.losses)


def _defined_here(variant: Variant, data: memoryview, start: int) -> tuple[str, int] | None:
    """Bytes the real decoder defines although the Python codec does not."""
    b = data[start]
    if b in variant.overrides:
        return variant.overrides[b], start + 1
    if variant.pair_fallback and start + 1 < len(data):
        try:
            ch = bytes(data[start:start + 2]).decode(variant.pair_fallback)
        except UnicodeDecodeError:
            return None
        if len(ch) == 1:
            return ch, start + 2
    return None


def _bad_span(variant: Variant, data: memoryview, start: int, end: int) -> tuple[str, int]:
    """What ``variant`` writes for the bad bytes ``data[start:end]``.

    Returns (replacement, position to resume at).
    """
    b = data[start]
    behaviour = variant.behaviour
    if behaviour == "c1":
        # Only reached for bytes the code page leaves undefined.
        return "".join(chr(x) for x in data[start:end]), end
    if behaviour == "escape":
        # surrogateescape can only carry bytes >= 0x80; an ASCII byte inside
        # Python's bad range is decoded on its own, as Python itself does
        stop = start + 1
        while stop < end and data[stop] >= 0x80:
            stop += 1
        return "".join(chr(0xDC00 + x) for x in data[start:stop]), stop
    if behaviour == "ignore":
        return "", end
    if behaviour == "win" and b >= 0x81 and start + 1 < len(data):
        # The Windows decoder takes lead+trail as one unit whatever the trail.
        return variant.replacement, start + 2
    if behaviour == "whatwg" and variant.double_byte and b >= 0x81 and start + 1 < len(data):
        # WHATWG re-reads an ASCII trail byte; a non-ASCII bad trail is consumed.
        nxt = data[start + 1]
        return variant.replacement, start + (1 if nxt < 0x80 else 2)
    if behaviour == "whatwg" and variant.double_byte:
        return variant.replacement, start + 1
    return variant.replacement, end


def decode(data: bytes, spec: str | Variant) -> Decoded:
    """Decode ``data`` the way the named real decoder would.

    >>> decode(b"\\xe4\\xb8\\xad ", "gbk:whatwg").text
    '涓\\ufffd '
    >>> decode(b"\\xe4\\xb8\\xad ", "gbk:win").text
    '涓?'
    >>> decode(b"\\xe4\\xb8\\xad ", "gbk:win").losses[0].lost
    b'\\xad '
    """
    variant = spec if isinstance(spec, Variant) else get_variant(spec)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"decode() needs bytes, not {type(data).__name__}")
    losses: list[Loss] = []
    token = _CALL.set((variant, losses))
    try:
        # Python's codec finds the bad ranges; _on_error decides what the
        # real decoder writes there.  A context variable (not a global) carries
        # the call's state, so concurrent calls never see each other's.
        text = codecs.decode(bytes(data), variant.codec, _HANDLER)
    finally:
        _CALL.reset(token)
    return Decoded(text, tuple(losses))


_HANDLER: Final = "luanma.variant"
_CALL: contextvars.ContextVar[tuple[Variant, list[Loss]]] = contextvars.ContextVar("luanma_call")


def _on_error(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    variant, losses = _CALL.get()
    data = memoryview(exc.object)
    defined = _defined_here(variant, data, exc.start)
    if defined is not None:
        return defined
    if variant.behaviour == "strict":
        raise UndecodableBytesError(
            bytes(data[exc.start:exc.end]), exc.start, variant.name, exc.reason) from None
    repl, resume = _bad_span(variant, data, exc.start, exc.end)
    if not variant.lossless:
        losses.append(Loss(exc.start, bytes(data[exc.start:resume]), repl))
    return repl, resume


codecs.register_error(_HANDLER, _on_error)


def encode(text: str, spec: str) -> bytes:
    """Encode ``text`` with the codec of ``spec`` (the *true* encoding of a layer).

    ``spec`` is ``codec`` (strict), ``codec:replace``/``codec:qmark`` (unencodable
    characters become ``?``, a lossy step) or ``codec:escape``.

    >>> encode("中", "gbk")
    b'\\xd6\\xd0'
    >>> encode("€", "latin-1")
    Traceback (most recent call last):
    ...
    luanma.errors.UnrepresentableError: 'iso8859-1' cannot represent '€' (U+20AC) at index 0
    """
    codec, errors = _encode_spec(spec)
    try:
        return text.encode(codec, errors)
    except UnicodeEncodeError as exc:
        raise UnrepresentableError(text, exc.start, codec) from None


def _encode_spec(spec: str) -> tuple[str, str]:
    label, _, behaviour = spec.partition(":")
    behaviour = behaviour.strip().lower() or "strict"
    errors = {"strict": "strict", "replace": "replace", "qmark": "replace",
              "escape": "surrogateescape", "ignore": "ignore"}.get(behaviour)
    if errors is None:
        raise UnknownVariantError(f"encoding behaviour {behaviour!r} not supported in {spec!r}")
    return canonical_codec(label), errors


def encode_is_lossless(spec: str) -> bool:
    """True if encoding with ``spec`` can only fail loudly, never lose characters."""
    return _encode_spec(spec)[1] in ("strict", "surrogateescape")


def reencode(text: str, spec: str | Variant) -> bytes:
    """Invert :func:`decode`: the bytes that ``spec`` decodes to ``text``.

    Raises :class:`LossyTextError` if ``text`` holds a character this decoder
    only writes as a loss marker (U+FFFD), since the bytes behind it are gone.

    >>> reencode("鐢辨湀", "gbk").decode("utf-8")
    '由月'
    >>> reencode("â€\\x9d", "cp1252:c1")
    b'\\xe2\\x80\\x9d'
    """
    variant = spec if isinstance(spec, Variant) else get_variant(spec)
    data, bad = _reencode(text, variant)
    if data is not None:
        return data
    if text[bad] == variant.replacement and not variant.lossless:
        # (GB18030 could encode U+FFFD, but here it only marks lost bytes)
        raise LossyTextError(text, bad, variant.name)
    raise UnrepresentableError(text, bad, variant.name)


def reencode_or_none(text: str, variant: Variant) -> bytes | None:
    """:func:`reencode`, or None where it raises: for callers that try
    many texts most of which are no image of ``variant`` (an exception
    costs more than the encoding)."""
    if _surely_refused(text, variant):
        return None
    return _reencode(text, variant)[0]


#: Codecs none of whose multi-byte characters holds the byte '?' (0x3F):
#: encoded with errors="replace", their bytes hold one '?' more than the
#: text for each character they cannot carry.
NO_QMARK_BYTE: Final[frozenset[str]] = frozenset(
    {"gbk", "gb2312", "gb18030", "big5", "cp950", "big5hkscs", "shift_jis",
     "cp932", "euc_kr", "cp949", "euc_jp"})
#: What luanma's CP950 adds to Python's: private-use characters (EUDC).
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def _surely_refused(text: str, variant: Variant) -> bool:
    """True where :func:`_reencode` surely finds a character without bytes
    -- told by one C call that raises nothing, where nothing the decoder
    adds to its codec (an override, a fallback, C1, escaped bytes, EUDC)
    could carry it.
    False: no answer."""
    if variant.pair_fallback or variant.behaviour in ("c1", "escape"):
        return False
    codec = variant.codec
    if codec == eudc.NAME:
        # (it carries what cp950 does, less some, plus private-use characters)
        if _PRIVATE_USE.search(text) is not None:
            return False
        codec = "cp950"
    elif codec not in NO_QMARK_BYTE:
        return False
    # (no override: no look-up, which hashes the variant)
    if variant.overrides and any(ch in text for ch in _inverse_overrides(variant)):
        return False
    return text.encode(codec, "replace").count(b"?") != text.count("?")


def _reencode(text: str, variant: Variant) -> tuple[bytes | None, int]:
    """``(bytes, -1)``, or ``(None, index)`` of the character that has none."""
    if variant.replacement == "\ufffd" and not variant.lossless and "\ufffd" in text:
        return None, text.index("\ufffd")
    errors = "surrogateescape" if variant.behaviour == "escape" else "strict"
    inverse = _inverse_overrides(variant) if variant.overrides else {}
    # Where encoding is per character, the stretches without an override or
    # a failing character are encoded whole (one C call each, the same bytes
    # as character by character): the refusal of text that is no image of
    # this decoder at all -- most tries of the drop round -- costs one call
    # instead of a Python step per character.
    chunked = _per_character(variant.codec, text)
    if not inverse and not chunked:
        try:
            return text.encode(variant.codec, errors), -1
        except UnicodeEncodeError:
            pass
    out = bytearray()
    enc = codecs.getencoder(variant.codec)
    i, n = 0, len(text)
    while i < n:
        known_bad = False
        if chunked:
            stop = n
            if inverse:
                m = _inverse_pattern(variant).search(text, i)
                if m is not None:
                    stop = m.start()
            if stop > i:
                try:
                    out += text[i:stop].encode(variant.codec, errors)
                    i = stop
                    continue
                except UnicodeEncodeError as exc:
                    bad = i + exc.start
                    try:
                        out += text[i:bad].encode(variant.codec, errors)
                        i = bad
                        # (per character, the refusal stands for the character
                        # alone: no need to ask again)
                        known_bad = bad < stop
                    except UnicodeEncodeError:
                        pass        # (an odd position reported: go on character by character)
        ch = text[i]
        i += 1
        if ch in inverse:
            out += inverse[ch]
            continue
        if not known_bad:
            try:
                out += enc(ch, errors)[0]
                continue
            except UnicodeEncodeError:
                pass
        if variant.pair_fallback:
            try:
                out += ch.encode(variant.pair_fallback)
                continue
            except UnicodeEncodeError:
                pass
        if variant.behaviour == "c1" and 0x80 <= ord(ch) < 0xA0:
            out.append(ord(ch))
            continue
        return None, i - 1
    return bytes(out), -1


#: Codecs that encode each character on its own, statelessly: a string's
#: bytes are its characters' bytes put together.  (Not Big5-HKSCS where a
#: combining mark follows Ê/ê, which it encodes as one pair; nor the JIS X
#: 0213 codecs, which combine too; nor UTF-16/32, whose encoder starts with
#: a byte-order mark.)
_PER_CHARACTER: Final[frozenset[str]] = frozenset(
    {"gbk", "gb2312", "gb18030", "big5", "cp950", "shift_jis", "cp932", "euc_jp",
     "euc_kr", "cp949", "johab", eudc.NAME})


def _per_character(codec: str, text: str) -> bool:
    """Do ``codec``'s bytes of ``text`` equal its characters' bytes put together?"""
    if codec == "big5hkscs":
        return "\u0304" not in text and "\u030c" not in text
    return codec in _PER_CHARACTER


@lru_cache(maxsize=None)
def _inverse_pattern(variant: Variant) -> re.Pattern[str]:
    """The characters :func:`_inverse_overrides` maps, as one class."""
    return re.compile("[%s]" % re.escape("".join(_inverse_overrides(variant))))


@lru_cache(maxsize=None)
def _inverse_overrides(variant: Variant) -> dict[str, bytes]:
    return {ch: bytes([b]) for b, ch in variant.overrides.items()}
