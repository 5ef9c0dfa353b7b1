"""Character language model: how much does a string look like real text?

The repair code uses it to tell real CJK text from mojibake and to rank
candidate reconstructions of lost characters.  It is a backed-off character
bigram model (optionally with trigrams for frequent contexts) trained on
Chinese running text, Chinese/Japanese/Korean word lists and OpenCC
conversions to Traditional Chinese; see ``tools/build_model.py``.

All log-probabilities are **base 10**.

>>> lm = get_model()
>>> lm.per_char("由月要好") > lm.per_char("鐢辨湀瑕佸ソ")
True
>>> lm.per_char("資料庫連線失敗") > lm.per_char("璩囨枡搴€ｇ窔澶辨晽")
True
>>> lm.logp("中", "国") > lm.logp("中", "鐢")
True
>>> get_model() is lm
True

Probabilities
-------------
``logp(prev, ch)`` is log10 P(ch | prev):

1. the stored bigram value, if the pair ``prev ch`` was kept;
2. else, if both are ASCII, a class model (letter -> letter is likely,
   control characters are not; ``_ASCII_CLASS_BIGRAM``);
3. else ``alpha(prev) + log10 P(ch)``: the context's backoff weight plus
   the unigram, where a character outside the unigram table gets the floor
   of its character class (``CLASS_FLOOR``: common hanzi -6.3, Hangul
   syllable -7, private use -12, ...).

The start of a text is conditioned on ``"\\n"`` (training text is line
based), unless the caller passes a ``prev`` context.

Data file (``luanma/data/charlm.bin``)
--------------------------------------
``b"LMCHAR1\\0"``, a little-endian uint32 header length, a UTF-8 JSON
header, and a zlib-compressed payload.  The header lists the payload's
sections in order as ``[name, kind, byte_length]`` (kinds: ``utf8`` text,
``u8`` quantised log-probabilities, ``u32`` counts) and the quantisation
ranges: byte q stands for ``lo + q * (hi - lo) / 255``.  Sections:
``uni_chars``/``uni_q`` (unigram table), ``ctx_chars``/``ctx_alpha``/
``ctx_n`` (bigram contexts, their backoff weights and follower counts),
``fol_chars``/``fol_q`` (followers grouped by context), and optionally
``tri_ctx``/``tri_beta``/``tri_n``/``tri_fol``/``tri_q`` (the same for
2-character trigram contexts).  At load time the tables become nested
dicts, so scoring is one or two dict look-ups per character.
"""

from __future__ import annotations

import bisect
import json
import math
import struct
import sys
import threading
import zlib
from array import array
from itertools import accumulate
from typing import Dict, Optional, Tuple

__all__ = ["LanguageModel", "get_model", "char_class", "CLASS_FLOOR"]

_RESOURCE = "data/charlm.bin"
_MAGIC = b"LMCHAR1\0"
_START = "\n"

# --------------------------------------------------------------- classes

#: log10 P(ch) for a character absent from the unigram table, by class.
#: Real text rarely has unseen characters, and mojibake is full of them, so
#: the floors carry much of the real-vs-garbled signal.  Tune here, not in
#: the code.
CLASS_FLOOR: Dict[str, float] = {
    "ascii_alnum": -3.5,
    "ascii_punct": -3.8,
    "ascii_space": -3.0,      # space, tab, CR, LF
    "c0_control": -10.0,
    "c1_control": -11.0,
    "latin1_letter": -5.5,    # À..ÿ: real in European text, common mojibake
    "latin1_symbol": -6.5,    # ¡..¿, NBSP, ×, ÷
    "latin_ext": -6.5,
    "greek": -6.0,
    "cyrillic": -6.0,
    "general_punct": -5.0,    # — ‘ ’ “ ” …
    "letterlike": -7.0,       # ℃ № ™ arrows maths
    "box_drawing": -9.0,
    "cjk_punct": -5.0,        # 、。「」
    "hiragana": -5.5,
    "katakana": -5.5,
    "halfwidth_katakana": -8.0,  # Shift_JIS single bytes: mojibake marker
    "bopomofo": -7.5,
    "hangul_syllable": -7.0,
    "hangul_jamo": -9.0,
    "halfwidth_hangul": -10.0,
    "cjk_common": -6.3,       # in GB2312 level 1 or Big5 level 1
    "cjk_rare": -7.5,         # other URO hanzi
    "cjk_ext_a": -8.5,
    "cjk_ext_b_plus": -9.0,   # planes 2 and 3
    "cjk_compat": -9.0,       # F900.. compatibility ideographs
    "cjk_radical": -9.0,      # Kangxi and supplementary radicals, strokes
    "fullwidth": -6.0,        # ！ Ａ １
    "pua": -12.0,
    "replacement": -10.0,     # U+FFFD
    "surrogate": -12.0,
    "other": -8.0,
}

# (first code point, class) sorted by first; each runs to the next start.
_RANGES: Tuple[Tuple[int, str], ...] = (
    (0x0000, "c0_control"),
    (0x0009, "ascii_space"),   # \t \n
    (0x000B, "c0_control"),
    (0x000D, "ascii_space"),   # \r
    (0x000E, "c0_control"),
    (0x0020, "ascii_space"),
    (0x0021, "ascii_punct"),
    (0x0030, "ascii_alnum"),
    (0x003A, "ascii_punct"),
    (0x0041, "ascii_alnum"),
    (0x005B, "ascii_punct"),
    (0x0061, "ascii_alnum"),
    (0x007B, "ascii_punct"),
    (0x007F, "c0_control"),
    (0x0080, "c1_control"),
    (0x00A0, "latin1_symbol"),
    (0x00C0, "latin1_letter"),
    (0x0100, "latin_ext"),
    (0x0250, "other"),
    (0x0370, "greek"),
    (0x0400, "cyrillic"),
    (0x0530, "other"),
    (0x1100, "hangul_jamo"),
    (0x1200, "other"),
    (0x2000, "general_punct"),
    (0x2070, "letterlike"),
    (0x2500, "box_drawing"),
    (0x25A0, "letterlike"),
    (0x2E80, "cjk_radical"),
    (0x3000, "cjk_punct"),
    (0x3040, "hiragana"),
    (0x30A0, "katakana"),
    (0x3100, "bopomofo"),
    (0x3130, "hangul_jamo"),
    (0x3190, "other"),
    (0x31A0, "bopomofo"),
    (0x31C0, "cjk_radical"),
    (0x31F0, "katakana"),
    (0x3200, "letterlike"),    # enclosed CJK, squared words
    (0x3400, "cjk_ext_a"),
    (0x4DC0, "other"),
    (0x4E00, "cjk_rare"),      # refined to cjk_common by _is_common_hanzi
    (0xA000, "other"),
    (0xA960, "hangul_jamo"),
    (0xA980, "other"),
    (0xAC00, "hangul_syllable"),
    (0xD7A4, "other"),
    (0xD7B0, "hangul_jamo"),
    (0xD800, "surrogate"),
    (0xE000, "pua"),
    (0xF900, "cjk_compat"),
    (0xFB00, "other"),
    (0xFE30, "cjk_punct"),     # vertical forms, small forms
    (0xFE70, "other"),
    (0xFF01, "fullwidth"),
    (0xFF61, "halfwidth_katakana"),
    (0xFFA0, "halfwidth_hangul"),
    (0xFFE0, "fullwidth"),
    (0xFFE7, "other"),
    (0xFFFD, "replacement"),
    (0xFFFE, "other"),
    (0x20000, "cjk_ext_b_plus"),
    (0x2F800, "cjk_compat"),
    (0x2FA20, "cjk_ext_b_plus"),
    (0x40000, "other"),
    (0xF0000, "pua"),
)
_STARTS = [s for s, _ in _RANGES]


def _is_common_hanzi(ch: str) -> bool:
    """GB2312 level 1 (lead B0-D7) or Big5 level 1 (lead A4-C6)."""
    try:
        b = ch.encode("gb2312")
        if 0xB0 <= b[0] <= 0xD7:
            return True
    except UnicodeEncodeError:
        pass
    try:
        b = ch.encode("big5")
        return 0xA4 <= b[0] <= 0xC6
    except UnicodeEncodeError:
        return False


def char_class(ch: str) -> str:
    """The class of one character, a key of :data:`CLASS_FLOOR`.

    >>> [char_class(c) for c in "a的鐢ｶ가\\ue000\\ufffd"]
    ['ascii_alnum', 'cjk_common', 'cjk_rare', 'halfwidth_katakana', 'hangul_syllable', 'pua', 'replacement']
    """
    cls = _RANGES[bisect.bisect_right(_STARTS, ord(ch)) - 1][1]
    if cls == "cjk_rare" and _is_common_hanzi(ch):
        return "cjk_common"
    return cls


# Generic model for ASCII pairs the tables do not cover (code, markup,
# identifiers): log10 P(class of next | class of prev), spread evenly over
# the members of the next class.  Rows need not sum to 1 exactly; they are
# only ever compared with each other.
_ASCII_CLASSES = ("lower", "upper", "digit", "space", "punct", "control")
_ASCII_CLASS_SIZE = {"lower": 26, "upper": 26, "digit": 10, "space": 4,
                     "punct": 32, "control": 29}
_ASCII_CLASS_BIGRAM: Dict[str, Dict[str, float]] = {
    #            lower   upper  digit  space  punct  control
    "lower":   dict(zip(_ASCII_CLASSES, (0.78, 0.02, 0.02, 0.12, 0.06, 1e-7))),
    "upper":   dict(zip(_ASCII_CLASSES, (0.55, 0.25, 0.03, 0.09, 0.08, 1e-7))),
    "digit":   dict(zip(_ASCII_CLASSES, (0.05, 0.03, 0.60, 0.15, 0.17, 1e-7))),
    "space":   dict(zip(_ASCII_CLASSES, (0.45, 0.12, 0.08, 0.20, 0.15, 1e-7))),
    "punct":   dict(zip(_ASCII_CLASSES, (0.30, 0.08, 0.10, 0.30, 0.22, 1e-7))),
    "control": dict(zip(_ASCII_CLASSES, (0.20, 0.05, 0.05, 0.20, 0.10, 1e-3))),
}


def _ascii_class(c: str) -> str:
    if c.islower():
        return "lower"
    if c.isupper():
        return "upper"
    if c.isdigit():
        return "digit"
    if c in " \t\n\r":
        return "space"
    if c.isprintable():
        return "punct"
    return "control"


# ------------------------------------------------------------------ model

class LanguageModel:
    """A loaded character model; get the shared one with :func:`get_model`.

    Instances are read-only after construction (apart from a memo of class
    floors, which only ever gains identical values), so one instance may be
    used from many threads.

    >>> lm = get_model()
    >>> round(lm.score("你好") - lm.logp("\\n", "你") - lm.logp("\\n你", "好"), 9)
    0.0
    >>> lm.per_char("") == 0.0
    True
    """

    __slots__ = ("_uni", "_bi", "_alpha", "_tri", "_beta", "_floor_memo",
                 "header", "order")

    def __init__(self, raw: bytes) -> None:
        if raw[:8] != _MAGIC:
            raise ValueError("not a luanma character model")
        (hlen,) = struct.unpack_from("<I", raw, 8)
        header = json.loads(raw[12:12 + hlen].decode("utf-8"))
        if header.get("version") != 2:
            raise ValueError("unsupported model version %r" % header.get("version"))
        self.header: dict = header
        payload = zlib.decompress(raw[12 + hlen:])
        sec: Dict[str, object] = {}
        pos = 0
        for name, kind, size in header["sections"]:
            chunk = payload[pos:pos + size]
            pos += size
            if kind == "utf8":
                sec[name] = chunk.decode("utf-8")
            elif kind == "u64d":
                a = array("Q")
                a.frombytes(chunk)
                if sys.byteorder == "big":
                    a.byteswap()
                sec[name] = accumulate(a)  # deltas -> sorted keys, lazily
            else:
                sec[name] = chunk
        p_lo, p_hi = header["quant"]["p"]
        a_lo, a_hi = header["quant"]["alpha"]
        # 256 shared float objects: dict values point at these, so the
        # tables cost no float allocation per entry.
        ptab = [p_lo + q * (p_hi - p_lo) / 255 for q in range(256)]
        atab = [a_lo + q * (a_hi - a_lo) / 255 for q in range(256)]
        pget, aget = ptab.__getitem__, atab.__getitem__

        # Keys are code points packed in 21-bit fields (see _key in the build
        # script): int keys cost far less to build at load time than
        # 2-character strings, and scoring derives them with a shift.
        self._uni: Dict[int, float] = dict(
            zip(map(ord, sec["uni_chars"]), map(pget, sec["uni_q"])))  # type: ignore[arg-type]
        self._alpha: Dict[int, float] = dict(
            zip(map(ord, sec["ctx_chars"]), map(aget, sec["ctx_alpha"])))  # type: ignore[arg-type]
        self._bi: Dict[int, float] = dict(
            zip(sec["bi_key"], map(pget, sec["bi_q"])))  # type: ignore[arg-type]
        self._tri: Dict[int, float] = {}
        self._beta: Dict[int, float] = {}
        if "tri_key" in sec:
            self._beta = dict(zip(sec["tri_ctx"], map(aget, sec["tri_beta"])))  # type: ignore[arg-type]
            self._tri = dict(zip(sec["tri_key"], map(pget, sec["tri_q"])))  # type: ignore[arg-type]
        self.order = 3 if self._tri else 2
        self._floor_memo: Dict[int, float] = {}
        self._add_ascii_bigrams()

    def _add_ascii_bigrams(self) -> None:
        """Fill every ASCII pair the tables lack from the class model.

        Done once at load, so the scoring loop needs no ASCII special case.
        """
        cls = [_ascii_class(chr(o)) for o in range(128)]
        rows = {
            k: [_log10(_ASCII_CLASS_BIGRAM[k][c] / _ASCII_CLASS_SIZE[c]) for c in cls]
            for k in _ASCII_CLASSES
        }
        bi = self._bi
        for p in range(128):
            row = rows[cls[p]]
            base = p << 21
            for o in range(128):
                bi.setdefault(base | o, row[o])

    # -- probabilities

    def _floor(self, o: int) -> float:
        v = self._floor_memo.get(o)
        if v is None:
            v = CLASS_FLOOR[char_class(chr(o))]
            self._floor_memo[o] = v  # benign race: same value either way
        return v

    def unigram_logp(self, ch: str) -> float:
        """log10 P(ch) with no context; unseen characters get a class floor.

        >>> lm = get_model()
        >>> lm.unigram_logp("的") > lm.unigram_logp("\\ue000")
        True
        """
        v = self._uni.get(ord(ch))
        return self._floor(ord(ch)) if v is None else v

    def logp(self, prev: str, ch: str) -> float:
        """log10 P(ch | prev); ``prev`` "" means start of text.

        Only the last ``order - 1`` characters of ``prev`` are used.

        >>> lm = get_model()
        >>> lm.logp("中", "国") > lm.logp("中", "鐢")
        True
        >>> -3.0 < lm.logp("a", "b") < 0.0
        True
        """
        return self.score(ch, prev)

    def score(self, text: str, prev: str = _START) -> float:
        """Total log10 probability of ``text``, each character given the last.

        ``prev`` is the context before ``text`` (default: start of a line);
        its last one or two characters are used.

        >>> lm = get_model()
        >>> lm.score("中国") > lm.score("涓浗")
        True
        """
        bi, alpha, uni, floor = self._bi, self._alpha, self._uni, self._floor
        tri, beta = self._tri, self._beta
        if not prev:
            prev = _START
        o1 = ord(prev[-1])
        k1 = (ord(prev[-2]) << 21 | o1) if len(prev) > 1 else o1  # last 2 chars
        total = 0.0
        for c in text:
            o = ord(c)
            v = tri.get(k1 << 21 | o)
            if v is None:
                k2 = o1 << 21 | o
                v = bi.get(k2)
                if v is None:
                    u = uni.get(o)
                    v = alpha.get(o1, 0.0) + (floor(o) if u is None else u)
                v += beta.get(k1, 0.0)
            else:
                k2 = o1 << 21 | o
            total += v
            o1 = o
            k1 = k2
        return total

    def per_char(self, text: str, prev: str = _START) -> float:
        """Mean log10 probability per character (0.0 for "").

        Comparable across strings of different length: real CJK text is
        around -2.5 to -3.5, mojibake around -5 to -7.

        >>> lm = get_model()
        >>> lm.per_char("今天天气很好") > -4 > lm.per_char("浠婂ぉ澶╂皵寰堝ソ")
        True
        """
        if not text:
            return 0.0
        return self.score(text, prev) / len(text)

    def context_logp(self, left: str, mid: str, right: str = "") -> float:
        """Score of ``mid`` in place between ``left`` and ``right``.

        The terms that change when ``mid`` changes: ``mid`` given ``left``,
        plus the first ``order - 1`` characters of ``right``.  Use it to
        rank candidates for a lost character:

        >>> lm = get_model()
        >>> cands = [chr(c) for c in range(0x4E00, 0x4E40)]
        >>> max(cands, key=lambda c: lm.context_logp("我们", c, "起去"))
        '一'
        """
        return self.score(mid + right[:self.order - 1], left or _START)


def _log10(x: float) -> float:
    return math.log10(x)


# ----------------------------------------------------------------- loading

_LOCK = threading.Lock()
_MODEL: Optional[LanguageModel] = None


def get_model() -> LanguageModel:
    """The shared model, loaded on first use (thread-safe, about 0.1 s).

    >>> get_model() is get_model()
    True
    """
    global _MODEL
    model = _MODEL
    if model is None:
        with _LOCK:
            model = _MODEL
            if model is None:
                from importlib.resources import files

                raw = files("luanma").joinpath(_RESOURCE).read_bytes()
                model = _MODEL = LanguageModel(raw)
    return model
