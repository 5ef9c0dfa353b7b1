"""Layers and plans: mojibake as data.

A *layer* is one wrong round trip: text encoded with its true encoding, the
bytes decoded with the wrong decoder (a named variant, see
:mod:`luanma.variants`).  A *plan* is the ordered chain of layers that made
a garbled text.  Plans print, parse back and re-apply, like ftfy's
explanations::

    >>> plan = Plan.parse("utf-8 -> gbk | utf-8 -> cp1252:c1")
    >>> garbled = plan.apply("由月").text
    >>> garbled
    'é\x90¢è¾¨æ¹€'
    >>> plan.undo(garbled)
    '由月'
    >>> Plan.parse(str(plan)) == plan
    True
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Union

from .errors import LossyTextError, PlanSyntaxError, UnrepresentableError
from .variants import (
    Loss,
    canonical_codec,
    decode,
    encode,
    encode_is_lossless,
    get_variant,
    reencode,
)

__all__ = [
    "Layer", "Cut", "Drop", "Fold", "Step", "Plan", "Corruption", "LayerLoss", "corrupt", "LayersLike",
    "CJK_ENCODINGS", "WRONG_DECODERS_FOR_UTF8", "WRONG_DECODERS_FOR_LEGACY",
    "supported_layers",
]

#: Legacy CJK encodings whose bytes end up shown through a wrong decoder.
CJK_ENCODINGS: tuple[str, ...] = ("gbk", "gb18030", "big5", "shift_jis", "euc_kr")

#: Decoders that real software wrongly applied to UTF-8 bytes (codec names;
#: the behaviour is chosen per variant).  The single-byte pages are the ones
#: ftfy knows, plus CP850.
WRONG_DECODERS_FOR_UTF8: tuple[str, ...] = (
    "gbk", "gb18030", "gb2312", "big5", "cp950", "big5hkscs", "shift_jis",
    "cp932", "euc_jp", "euc_kr", "cp949",
    "latin-1", "cp1252", "cp1251", "cp1250", "cp1253", "cp1254", "cp1257",
    "iso8859-2", "mac_roman", "cp437", "cp850",
)

#: Decoders wrongly applied to legacy CJK bytes.
WRONG_DECODERS_FOR_LEGACY: tuple[str, ...] = ("latin-1", "cp1252", "cp437", "cp850", "utf-8")


def supported_layers(lossless: bool = True) -> list["Layer"]:
    """Every single layer luanma models, in its lossless form if asked.

    The lossless form of a double-byte or UTF-8 decoder is ``escape`` (bad
    bytes kept as lone surrogates); of a single-byte page, ``c1``.

    >>> len(supported_layers()) > 30
    True
    """
    def pick(codec: str) -> str:
        v = get_variant(codec)
        if not lossless:
            return v.name
        if v.single_byte:
            return f"{codec}:c1" if _has_undefined_bytes(v.codec) else v.name
        return f"{codec}:escape"

    pairs = [("utf-8", pick(d)) for d in WRONG_DECODERS_FOR_UTF8]
    pairs += [(e, pick(d)) for e in CJK_ENCODINGS for d in WRONG_DECODERS_FOR_LEGACY]
    pairs += [("gbk", pick("big5")), ("big5", pick("gbk"))]
    return [Layer(e, d) for e, d in pairs]


def _has_undefined_bytes(codec: str) -> bool:
    return len(bytes(range(256)).decode(codec, "ignore")) < 256


def _canonical_encode_spec(spec: str) -> str:
    label, _, behaviour = spec.strip().partition(":")
    label = canonical_codec(label.strip())
    behaviour = behaviour.strip().lower()
    return label if behaviour in ("", "strict") else f"{label}:{behaviour}"


@dataclass(frozen=True)
class Layer:
    """Text encoded with ``encoding``, the bytes decoded with ``decoding``.

    >>> Layer("UTF8", "cp936")
    Layer(encoding='utf-8', decoding='gbk')
    >>> str(Layer("utf-8", "Windows-936"))
    'utf-8 -> gbk:win'
    """

    encoding: str
    decoding: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "encoding", _canonical_encode_spec(self.encoding))
        object.__setattr__(self, "decoding", get_variant(self.decoding).name)
        # fail now on specs encode() would refuse later
        encode_is_lossless(self.encoding)

    def __str__(self) -> str:
        return f"{self.encoding} -> {self.decoding}"

    @property
    def lossless(self) -> bool:
        """True if neither side of the layer can lose information silently."""
        return encode_is_lossless(self.encoding) and get_variant(self.decoding).lossless

    def apply(self, text: str) -> tuple[str, tuple[Loss, ...]]:
        """Garble ``text`` through this layer; return it with the losses."""
        losses: list[Loss] = []
        if not encode_is_lossless(self.encoding):
            codec = self.encoding.partition(":")[0]
            for i, ch in enumerate(text):
                try:
                    ch.encode(codec)
                except UnicodeEncodeError:
                    losses.append(Loss(-1, b"", ch, "unencodable"))
        data = encode(text, self.encoding)
        codec, _, behaviour = self.encoding.partition(":")
        if not losses and data.decode(
                codec, "surrogateescape" if behaviour == "escape" else "replace") != text:
            # Some encoders are not injective: Shift_JIS writes both '¥' and
            # '\\' as 0x5C; escaped bytes side by side can spell a real
            # character.  The exact inverse cannot tell them apart.
            losses.append(Loss(0, b"", "", "ambiguous"))
        decoded = decode(data, self.decoding)
        losses.extend(decoded.losses)
        if not decoded.losses:
            # A decoder that maps two byte sequences to one character (CP932's
            # duplicate NEC/IBM rows, € in GBK) cannot be inverted exactly.
            try:
                back = reencode(decoded.text, self.decoding)
            except (UnrepresentableError, LossyTextError):
                back = None
            if back != data:
                offset = _first_difference(data, back or b"")
                losses.append(Loss(offset, data[offset:offset + 2], "", "ambiguous"))
        return decoded.text, tuple(losses)

    def undo(self, text: str) -> str:
        """Exact inverse of :meth:`apply` for text that lost nothing.

        >>> Layer("utf-8", "gbk").undo("鐢辨湀")
        '由月'
        """
        variant = get_variant(self.decoding)
        if not variant.lossless and variant.replacement in text:
            # '?' or U+FFFD here may stand for lost bytes; the exact inverse
            # would pass them off as text.  repair() reconstructs instead.
            raise LossyTextError(text, text.index(variant.replacement), variant.name)
        data = reencode(text, variant)
        codec, _, behaviour = self.encoding.partition(":")
        errors = "surrogateescape" if behaviour == "escape" else "strict"
        try:
            return data.decode(codec, errors)
        except UnicodeDecodeError as exc:
            raise LossyTextError(text, min(exc.start, len(text) - 1) if text else 0,
                                 self.decoding) from None


@dataclass(frozen=True)
class Cut:
    """A double-byte stream cut in two: the first byte of the text's bytes
    came out as '?', and the rest was decoded from the second byte on, one
    byte out of step (with ``decoding``), until an ASCII byte brought the
    decoder back in step.  A character split at a buffer or chunk boundary
    does this (the issue's "misaligned streams").

    >>> str(Cut("gb18030:win")), Cut("gb18030:win").apply("。“這")[0]
    ('cut:gb18030:win', '?！斑@')
    """

    decoding: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "decoding", get_variant(self.decoding).name)

    def __str__(self) -> str:
        return f"cut:{self.decoding}"

    @property
    def encoding(self) -> str:
        return get_variant(self.decoding).codec

    @property
    def lossless(self) -> bool:
        return False

    def apply(self, text: str) -> tuple[str, tuple[Loss, ...]]:
        data = encode(text, self.encoding)
        if not data:
            return text, ()
        decoded = decode(data[1:], self.decoding)
        return "?" + decoded.text, (Loss(0, data[:1], "?", "cut"),) + tuple(
            Loss(x.offset + 1, x.lost, x.replacement, x.kind) for x in decoded.losses)

    def undo(self, text: str) -> str:
        raise LossyTextError(text, 0, str(self))


#: Width folding: full-width ASCII forms (U+FF01-FF5E) to ASCII, as NFKC and
#: "normalise punctuation" cleaners do after the damage is done.
_FOLD_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
#: Characters "cleaning" drops as invisible: the soft hyphen, zero-width
#: and direction marks, the BOM, C1 controls and private-use characters
#: (GBK's and Big5's user-defined rows show as those).
_INVISIBLE: dict[int, None] = dict.fromkeys(
    [0xAD, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF]
    + list(range(0x80, 0xA0)) + list(range(0xE000, 0xF900)))
_NBSP = {0xA0: " ", 0x202F: " ", 0x2007: " "}
_QUOTES = {0x2018: "'", 0x2019: "'", 0x201A: "'", 0x201B: "'",
           0x201C: '"', 0x201D: '"', 0x201E: '"', 0x201F: '"'}


def _opencc(config: str) -> Callable[[str], str]:
    def convert(text: str) -> str:
        from .residue import convert_script

        return convert_script(text, config)
    return convert


#: The folds a plan can name (``fold:KIND``): what cleaning pipelines did to
#: text after it was garbled.  Each is text -> text; none can be undone.
FOLDS: dict[str, Callable[[str], str]] = {
    "width": lambda t: t.translate(_FOLD_WIDTH),
    "nfkc": lambda t: unicodedata.normalize("NFKC", t),
    "invisible": lambda t: t.translate(_INVISIBLE),
    "nbsp": lambda t: t.translate(_NBSP),
    "quotes": lambda t: t.translate(_QUOTES),
    "t2s": _opencc("t2s"),
    "s2t": _opencc("s2t"),
}


@dataclass(frozen=True)
class Fold:
    """Text normalised after it was garbled (:data:`FOLDS`): ``fold:width``
    (full-width ASCII forms became ASCII), ``fold:nfkc``, ``fold:invisible``
    (soft hyphens, zero-width and private-use characters, C1 controls
    dropped), ``fold:nbsp`` (no-break spaces became spaces),
    ``fold:quotes`` (curly quotes straightened), ``fold:t2s`` and
    ``fold:s2t`` (OpenCC script conversion).  Not invertible: an ASCII '!'
    may always have been one.

    >>> Fold("width").apply("?！斑@")[0]
    '?!斑@'
    >>> Fold("nfkc").apply("縺薙ｓ縺ｫ")[0]
    '縺薙s縺ォ'
    >>> Fold("invisible").apply("璁\ue0a2悎")[0]
    '璁悎'
    """

    kind: str

    def __post_init__(self) -> None:
        if self.kind not in FOLDS:
            raise PlanSyntaxError(f"unknown fold {self.kind!r}; known: {', '.join(FOLDS)}")

    def __str__(self) -> str:
        return f"fold:{self.kind}"

    @property
    def lossless(self) -> bool:
        return False

    def apply(self, text: str) -> tuple[str, tuple[Loss, ...]]:
        out = FOLDS[self.kind](text)
        return out, (() if out == text else (Loss(-1, b"", "", "folded"),))

    def undo(self, text: str) -> str:
        raise LossyTextError(text, 0, str(self))


@dataclass(frozen=True)
class Drop:
    """A wrong round trip that also lost one byte without a trace: the text
    encoded with ``encoding``, the byte at ``offset`` dropped (a truncated
    field, a lossy copy), the rest decoded with ``decoding``.  A UTF-8
    stream falls back in step after the broken character; a double-byte
    decoder reads everything after the gap one byte over.

    >>> d = Drop("utf-8", "gbk", 3)         # 密's first byte
    >>> str(d), d.apply("的密码")[0]
    ('drop@3:utf-8 -> gbk', '鐨劘嗙爜')
    """

    encoding: str
    decoding: str
    offset: int

    def __post_init__(self) -> None:
        layer = Layer(self.encoding, self.decoding)       # (validates both)
        object.__setattr__(self, "encoding", layer.encoding)
        object.__setattr__(self, "decoding", layer.decoding)
        if not isinstance(self.offset, int) or self.offset < 0:
            raise PlanSyntaxError(f"a dropped byte's offset is a whole number, not {self.offset!r}")

    def __str__(self) -> str:
        return f"drop@{self.offset}:{self.encoding} -> {self.decoding}"

    @property
    def lossless(self) -> bool:
        return False

    def apply(self, text: str) -> tuple[str, tuple[Loss, ...]]:
        data = encode(text, self.encoding)
        if self.offset >= len(data):
            return Layer(self.encoding, self.decoding).apply(text)
        lost = Loss(self.offset, data[self.offset:self.offset + 1], "", "dropped")
        decoded = decode(data[:self.offset] + data[self.offset + 1:], self.decoding)
        return decoded.text, (lost,) + decoded.losses

    def undo(self, text: str) -> str:
        raise LossyTextError(text, 0, str(self))


#: One step of a plan: a wrong round trip, a stream cut, a dropped byte, or a fold.
Step = Union[Layer, Cut, Drop, Fold]
_STEP_PREFIX = re.compile(r"^(cut|fold):(.+)$")
_DROP_PREFIX = re.compile(r"^drop@(\d+):(.+)$")


def _parse_step(part: str) -> Step:
    d = _DROP_PREFIX.match(part)
    if d is not None:
        sides = _ARROW.split(d.group(2))
        if len(sides) != 2 or not all(sides):
            raise PlanSyntaxError(f"step {part!r} is not 'drop@OFFSET:encoding -> decoding'")
        return Drop(sides[0], sides[1], int(d.group(1)))
    m = _STEP_PREFIX.match(part)
    if m is not None and "->" not in part:
        return Cut(m.group(2)) if m.group(1) == "cut" else Fold(m.group(2))
    sides = _ARROW.split(part)
    if len(sides) != 2 or not all(sides):
        raise PlanSyntaxError(f"layer {part!r} is not 'encoding -> decoding', 'cut:DECODER' "
                              f"or 'fold:KIND'")
    return Layer(sides[0], sides[1])


def _first_difference(a: bytes, b: bytes) -> int:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


@dataclass(frozen=True)
class LayerLoss:
    """A loss and the index of the layer where it happened.

    >>> corrupt("才198", "utf-8 -> gbk:win").losses[0].layer
    0
    """

    layer: int
    loss: Loss


@dataclass(frozen=True)
class Corruption:
    """What :func:`corrupt` made: the garbled text, the plan, and the losses.

    >>> c = corrupt("才198", "utf-8 -> gbk:win")      # Windows swallowed the "1"
    >>> c.text, str(c.plan), c.lossy
    ('鎵?98', 'utf-8 -> gbk:win', True)
    >>> corrupt("由月要好", "utf-8 -> gbk").losses
    ()
    """

    text: str
    plan: "Plan"
    losses: tuple[LayerLoss, ...] = ()

    @property
    def lossy(self) -> bool:
        """True if the plan's exact inverse cannot restore the original."""
        return bool(self.losses)


LayersLike = Union["Plan", str, Sequence[Union[Layer, Sequence[str]]]]

_LAYER_SPLIT = re.compile(r"\s*(?:\||;)\s*")
_ARROW = re.compile(r"\s*(?:->|→|=>)\s*")


@dataclass(frozen=True)
class Plan:
    """An ordered chain of layers (first applied first).

    >>> plan = Plan.parse("utf-8 -> gbk | utf-8 -> cp1252:c1")
    >>> len(plan.layers), str(plan.layers[0])
    (2, 'utf-8 -> gbk')
    >>> Plan.parse("utf-8 -> gbk").undo("鐢辨湀瑕佸ソ")
    '由月要好'
    """

    layers: tuple[Step, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))
        if not 1 <= len(self.layers) <= 4:
            raise PlanSyntaxError(f"a plan has 1 to 4 layers, not {len(self.layers)}")

    @classmethod
    def of(cls, layers: LayersLike) -> Plan:
        """Coerce a plan, its printed form, or a list of layers/pairs.

        >>> Plan.of([("utf-8", "gbk")]) == Plan.parse("utf-8 -> gbk")
        True
        """
        if isinstance(layers, Plan):
            return layers
        if isinstance(layers, str):
            return cls.parse(layers)
        out = []
        for item in layers:
            if isinstance(item, (Layer, Cut, Drop, Fold)):
                out.append(item)
            elif isinstance(item, str):
                out.append(_parse_step(item.strip()))
            elif isinstance(item, (list, tuple)) and len(item) == 2:
                out.append(Layer(str(item[0]), str(item[1])))
            else:
                raise PlanSyntaxError(f"not a layer: {item!r}")
        return cls(tuple(out))

    @classmethod
    def parse(cls, text: str) -> Plan:
        """Parse the printed form ``"enc -> dec | enc -> dec"`` (steps may
        also be ``cut:DECODER``, ``drop@OFFSET:enc -> dec`` and ``fold:KIND``).

        >>> str(Plan.parse("cut:gb18030:win | fold:width"))
        'cut:gb18030:win | fold:width'
        """
        if not isinstance(text, str) or not text.strip():
            raise PlanSyntaxError(f"empty or non-text plan: {text!r}")
        return cls(tuple(_parse_step(part) for part in _LAYER_SPLIT.split(text.strip())))

    def __str__(self) -> str:
        return " | ".join(map(str, self.layers))

    def to_json(self) -> str:
        """JSON form: a list of ``[encoding, decoding]`` pairs (a cut or a
        fold as its printed string)."""
        return json.dumps([[layer.encoding, layer.decoding] if isinstance(layer, Layer)
                           else str(layer) for layer in self.layers])

    @classmethod
    def from_json(cls, data: str) -> Plan:
        try:
            return cls.of(json.loads(data))
        except (ValueError, TypeError) as exc:
            raise PlanSyntaxError(f"bad plan JSON: {exc}") from None

    @property
    def lossless(self) -> bool:
        return all(layer.lossless for layer in self.layers)

    def apply(self, text: str) -> Corruption:
        """Garble ``text`` through every layer in order."""
        if not isinstance(text, str):
            raise TypeError(f"text must be str, not {type(text).__name__}")
        losses: list[LayerLoss] = []
        for i, layer in enumerate(self.layers):
            text, layer_losses = layer.apply(text)
            losses.extend(LayerLoss(i, loss) for loss in layer_losses)
        return Corruption(text, self, tuple(losses))

    def undo(self, text: str) -> str:
        """Exactly invert the plan; raises :class:`LossyTextError` where bytes were lost."""
        if not isinstance(text, str):
            raise TypeError(f"text must be str, not {type(text).__name__}")
        for layer in reversed(self.layers):
            text = layer.undo(text)
        return text


def corrupt(text: str, layers: LayersLike) -> Corruption:
    """Make mojibake: push ``text`` through ``layers`` (a plan or its parts).

    >>> corrupt("由月要好", "utf-8 -> gbk").text
    '鐢辨湀瑕佸ソ'
    >>> c = corrupt("中 ok", "utf-8 -> gbk:win")
    >>> c.text, c.lossy
    ('涓?ok', True)
    """
    return Plan.of(layers).apply(text)

