"""Exceptions.  Every error names what failed and where, so that no byte is
lost silently: a layer that cannot carry a character, or a plan that cannot
be undone exactly, raises instead of guessing."""

from __future__ import annotations

__all__ = [
    "LuanmaError",
    "UnknownVariantError",
    "UnrepresentableError",
    "UndecodableBytesError",
    "LossyTextError",
    "PlanSyntaxError",
]


class LuanmaError(Exception):
    """Base class for luanma's errors.

    >>> from luanma import Plan
    >>> try:
    ...     Plan.parse("utf-8 -> no-such-codec")
    ... except LuanmaError as exc:
    ...     print(type(exc).__name__, exc)
    UnknownVariantError unknown codec 'no-such-codec'
    """


class UnknownVariantError(LuanmaError, ValueError):
    """A codec or decoder behaviour name that luanma does not know.

    >>> from luanma import get_variant
    >>> get_variant("gbk:sometimes")
    Traceback (most recent call last):
      ...
    luanma.errors.UnknownVariantError: unknown decoder behaviour 'sometimes' in 'gbk:sometimes'; known: strict, replace, whatwg, win, qmark, ignore, c1, escape
    """


def _show(ch: str) -> str:
    return f"{ch!r} (U+{ord(ch):04X})"


class UnrepresentableError(LuanmaError, ValueError):
    """A layer was asked to carry a character its encoding cannot represent.

    >>> str(UnrepresentableError("a€", 1, "iso8859-1"))
    "'iso8859-1' cannot represent '€' (U+20AC) at index 1"
    """

    def __init__(self, text: str, index: int, encoding: str) -> None:
        self.text, self.index, self.encoding = text, index, encoding
        super().__init__(f"{encoding!r} cannot represent {_show(text[index])} at index {index}")


class UndecodableBytesError(LuanmaError, ValueError):
    """A strict decoder met bytes it cannot map.

    >>> from luanma import decode
    >>> try:
    ...     decode(b"ok \\xff", "utf-8")
    ... except UndecodableBytesError as exc:
    ...     print(exc.offset, exc)
    3 'utf-8' cannot decode ff at byte offset 3 (invalid start byte)
    """

    def __init__(self, data: bytes, offset: int, encoding: str, reason: str = "") -> None:
        self.data, self.offset, self.encoding = data, offset, encoding
        why = f" ({reason})" if reason else ""
        super().__init__(f"{encoding!r} cannot decode {data.hex(' ')} at byte offset {offset}{why}")


class LossyTextError(LuanmaError, ValueError):
    """A plan cannot be undone exactly because bytes were lost on the way.

    ``repair()`` reconstructs such text under a language model; ``Plan.undo``
    refuses to guess.

    >>> from luanma import Plan
    >>> try:
    ...     Plan.parse("utf-8 -> gbk:win").undo("鎵?98")
    ... except LossyTextError as exc:
    ...     print(exc.index, exc.encoding)
    1 gbk:win
    """

    def __init__(self, text: str, index: int, encoding: str) -> None:
        self.text, self.index, self.encoding = text, index, encoding
        super().__init__(
            f"{_show(text[index])} at index {index} marks bytes that {encoding!r} lost; "
            "the exact inverse is undefined (use luanma.repair to reconstruct)")


class PlanSyntaxError(LuanmaError, ValueError):
    """A printed plan that does not parse.

    >>> from luanma import Plan
    >>> try:
    ...     Plan.parse("utf-8 ->")
    ... except PlanSyntaxError as exc:
    ...     print(exc)
    layer 'utf-8 ->' is not 'encoding -> decoding', 'cut:DECODER' or 'fold:KIND'
    """
