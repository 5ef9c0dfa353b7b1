"""Bytes of unknown encoding: detect with charset-normalizer, decode, repair.

>>> r = repair_bytes("由月要好，不过现在内存便宜".encode("gbk"))
>>> r.text, r.encoding
('由月要好，不过现在内存便宜', 'gb18030')
>>> repair_bytes("鐢辨湀瑕佸ソ".encode("utf-8")).text
'由月要好'
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import UndecodableBytesError
from .repair import RepairPlan, repair_and_explain

__all__ = ["BytesRepair", "detect_encoding", "repair_bytes"]


@dataclass(frozen=True)
class BytesRepair:
    """What :func:`repair_bytes` found and did.

    >>> r = repair_bytes("鐢辨湀瑕佸ソ".encode("utf-8"))
    >>> r.text, r.encoding, r.confidence, r.undecodable
    ('由月要好', 'utf-8', 1.0, ())
    >>> print(r.plan)
    [0:6] utf-8 -> gbk '鐢辨湀瑕佸ソ' -> '由月要好'
    """

    text: str
    encoding: str
    confidence: float                 # charset-normalizer's chaos-based score, 0..1
    undecodable: tuple[int, ...]      # byte offsets kept as U+FFFD (lenient mode)
    plan: RepairPlan


def repair_bytes(data: bytes, strict: bool = False) -> BytesRepair:
    """Decode ``data`` in its detected encoding, then :func:`luanma.repair` it.

    UTF-8 is tried first (strictly); otherwise charset-normalizer picks.  In
    strict mode undecodable bytes raise :class:`UndecodableBytesError` naming
    the byte offset; in lenient mode they become U+FFFD and their offsets are
    reported, never dropped.

    >>> r = repair_bytes("由月要好，不過現在記憶體便宜".encode("big5"))
    >>> r.text, r.encoding
    ('由月要好，不過現在記憶體便宜', 'big5')
    >>> repair_bytes("Sego 图标".encode("utf-8")).text      # UTF-8: decoded, nothing to repair
    'Sego 图标'
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"repair_bytes() needs bytes, not {type(data).__name__}")
    data = bytes(data)
    encoding, confidence = detect_encoding(data)
    bad: list[int] = []
    try:
        # (detection may name UTF-8 for bytes that are not all valid UTF-8)
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if strict:
            raise UndecodableBytesError(data[exc.start:exc.end], exc.start, encoding,
                                        exc.reason) from None
        text = _lenient(data, encoding, bad)
    fixed, plan = repair_and_explain(text)
    return BytesRepair(fixed, encoding, round(confidence, 3), tuple(bad), plan)


def detect_encoding(data: bytes) -> tuple[str, float]:
    """The encoding ``data`` is most likely in, and a 0..1 confidence.

    UTF-8 wins whenever it decodes strictly (ASCII included); otherwise
    charset-normalizer picks.  Shared by :func:`repair_bytes` and the
    command's ``--encoding auto`` so both read bytes the same way.

    >>> detect_encoding("由月要好".encode("utf-8"))
    ('utf-8', 1.0)
    >>> detect_encoding("由月要好，不过现在内存便宜".encode("gbk"))[0]
    'gb18030'
    """
    try:
        data.decode("utf-8")
        return "utf-8", 1.0
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        # charset-normalizer gives up when every candidate has bad bytes;
        # take the common encoding with the fewest, and say we guessed
        return _fewest_errors(data), 0.0
    return best.encoding, 1.0 - best.chaos


# (no single-byte page: those decode anything, which proves nothing)
_FALLBACKS = ("utf-8", "gb18030", "big5", "shift_jis", "euc_kr")


def _fewest_errors(data: bytes) -> str:
    def errors(enc: str) -> int:
        bad: list[int] = []
        _lenient(data, enc, bad)
        return len(bad)
    return min(_FALLBACKS, key=errors)


def _lenient(data: bytes, encoding: str, bad: list[int]) -> str:
    out, pos = [], 0
    while pos < len(data):
        try:
            out.append(data[pos:].decode(encoding))
            break
        except UnicodeDecodeError as exc:
            out.append(data[pos:pos + exc.start].decode(encoding))
            bad.extend(range(pos + exc.start, pos + exc.end))
            out.append("\ufffd")
            pos += exc.end
    return "".join(out)
