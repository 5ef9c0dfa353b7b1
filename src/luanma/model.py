"""Character language model: how much does a string look like real text?

The repair code uses it to tell real CJK text from mojibake and to rank
candidate reconstructions of lost characters.  It is a backed-off character
trigram model (trigrams only for frequent contexts) trained on Chinese
running text, UI/documentation translations, Chinese/Japanese/Korean word
lists and OpenCC conversions to Traditional Chinese; see
``tools/build_model.py``.

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
``logp(prev, ch)`` is log10 P(ch | prev), backing off step by step:

1. the stored trigram value, if ``prev[-2:] + ch`` was kept;
2. else ``beta(prev[-2:])`` (0 if that context has no table) plus:
3. the stored bigram value, if ``prev[-1] + ch`` was kept;
4. else, if both are ASCII, a class model (letter -> letter is likely,
   control characters are not; ``_ASCII_CLASS_BIGRAM``);
5. else ``alpha(prev[-1]) + log10 P(ch)``: the context's backoff weight
   plus the unigram, where a character outside the unigram table gets the
   floor of its character class (``CLASS_FLOOR``: common hanzi -6.3,
   Hangul syllable -7, private use -12, ...).

The start of a text is conditioned on ``"\\n"`` (training text is line
based), unless the caller passes a ``prev`` context.

Candidate ranking
-----------------
For a lost character, rank candidates with :meth:`LanguageModel.fill_logp`
(character context plus a word-unigram lexicon), or better with
``lm.adapt(document).fill_logp(...)``, which also mixes in the document's
own bigrams and keeps Simplified/Traditional consistent with the document.

Data file (``luanma/data/charlm.bin``, format version 3)
---------------------------------------------------------
``b"LMCHAR1\\0"``, a little-endian uint32 header length, a UTF-8 JSON
header, and a zlib-compressed payload.  The header lists the payload's
sections in order as ``[name, kind, byte_length]`` and the quantisation
ranges: a ``u8`` byte q stands for ``lo + q * (hi - lo) / 255`` (``p`` range
for log-probabilities, ``alpha`` for backoff weights).  Kinds: ``utf8``
text, ``u8`` bytes, ``u32`` little-endian uint32 array, ``u64d`` sorted
uint64 keys stored as deltas.  A key packs code points in 21-bit fields
(``"ab"`` -> ``ord(a) << 21 | ord(b)``).  Sections:

* ``uni_chars`` / ``uni_q``: unigram table, most frequent first;
* ``bi_ctx`` (u64d, one code point each) / ``bi_bow`` (backoff weight) /
  ``bi_n`` (followers per context) / ``bi_fol`` (followers, utf8, grouped
  by context, sorted) / ``bi_q``: the bigram table;
* ``tri_*``: the same with two-character contexts;
* ``lex_words`` (``"\\n"``-joined, sorted) / ``lex_q``: word lexicon;
* ``simp_only`` / ``trad_only``: script-specific hanzi.

Loading keeps these arrays and builds each context's ``{code point:
logp}`` dict on first use, so loading takes ~50 ms and scoring is two or
three dict look-ups per character.  Any thread may trigger such a build;
racing builds produce equal dicts, so no lock is needed after load.
"""

from __future__ import annotations

import bisect
import json
import math
import re
import struct
import sys
import threading
import zlib
from array import array
from collections.abc import Sequence
from itertools import accumulate
from typing import Dict, FrozenSet, Optional, Tuple

__all__ = ["LanguageModel", "get_model", "char_class", "CLASS_FLOOR"]

_RESOURCE = "data/charlm.bin"
_MAGIC = b"LMCHAR1\0"
_START = "\n"
#: Key of a follower dict's backoff weight.  A str like the followers: a
#: dict whose keys are all str stores 16 bytes an entry instead of 24 (no
#: hash kept), ~6 MB less over the bigram rows a long job unpacks.
_BOW = ""
_EMPTY: Dict[str, float] = {_BOW: 0.0}  # context without a table; never mutated

#: Weight of the word-model term in :meth:`LanguageModel.fill_logp`, its
#: context width, and the log10 penalty for a character that starts no
#: known word (tuned on the lost-character test, see tools/build_model.py).
WORD_WEIGHT = 0.7
WORD_WINDOW = 4
WORD_UNK_PENALTY = -1.0
_LEX_MAXLEN = 8
#: log10 penalty, in an adapted model, for a Simplified-only character in a
#: Traditional document (and vice versa).
SCRIPT_PENALTY = -2.0

#: Script classes (of :func:`char_class`) a document in another script
#: hardly uses.
_KANA = frozenset({"hiragana", "katakana", "halfwidth_katakana"})
_HANGUL = frozenset({"hangul_syllable", "hangul_jamo", "halfwidth_hangul"})


def _foreign_scripts(counts: Dict[str, int]) -> FrozenSet[str]:
    """Character classes a document with these character counts hardly
    uses: kana in Korean or Chinese, hangul in Japanese or Chinese.

    >>> _foreign_scripts({"한": 5, "국": 5}) == _KANA
    True
    """
    by_class: Dict[str, int] = {}
    for c, n in counts.items():
        k = _script(c)
        by_class[k] = by_class.get(k, 0) + n
    kana = sum(by_class.get(k, 0) for k in _KANA)
    hangul = sum(by_class.get(k, 0) for k in _HANGUL)
    if hangul > 3 * kana + 2:
        return _KANA
    if kana > 3 * hangul + 2:
        return _HANGUL
    if by_class.get("cjk_rare", 0) > 10 and not kana and not hangul:
        return _KANA | _HANGUL
    return frozenset()


#: Unpacked contexts kept per order (bigram, trigram) before the cache
#: starts over.
MAX_EXPANDED = 20000

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
    cls = _script(ch)
    if cls == "cjk_rare" and _is_common_hanzi(ch):
        return "cjk_common"
    return cls


def _script(ch: str) -> str:
    """The class of ``ch`` by code point range alone (all hanzi "cjk_rare")."""
    return _RANGES[bisect.bisect_right(_STARTS, ord(ch)) - 1][1]


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

    __slots__ = ("_uni", "_canon", "_vocab", "_tables", "_bi", "_tri", "_bi_keys", "_tri_keys", "_floor_memo", "_ascii_rows", "_bound",
                 "header", "order", "_ptab", "_lex_raw", "_lex", "simp_only",
                 "trad_only")

    def __init__(self, raw: bytes) -> None:
        if raw[:8] != _MAGIC:
            raise ValueError("not a luanma character model")
        (hlen,) = struct.unpack_from("<I", raw, 8)
        header = json.loads(raw[12:12 + hlen].decode("utf-8"))
        if header.get("version") != 3:
            raise ValueError("unsupported model version %r" % header.get("version"))
        self.header: dict = header
        payload = zlib.decompress(raw[12 + hlen:])
        sec: Dict[str, object] = {}
        pos = 0
        for name, kind, size in header["sections"]:
            chunk = payload[pos:pos + size]
            pos += size
            if kind == "utf8" and name != "lex_words":
                # (the lexicon stays UTF-8 bytes until _lexicon needs it:
                # as str it would be UCS-4, ~2.9 MB, for 86 non-BMP words)
                sec[name] = chunk.decode("utf-8")
            elif kind in ("u64d", "u32"):
                a = array("Q" if kind == "u64d" else "I")
                a.frombytes(chunk)
                if sys.byteorder == "big":
                    a.byteswap()
                sec[name] = array("Q", accumulate(a)) if kind == "u64d" else a
            else:
                sec[name] = chunk
        p_lo, p_hi = header["quant"]["p"]
        a_lo, a_hi = header["quant"]["alpha"]
        # 256 shared float objects: dict values point at these, so tables
        # cost no float allocation per entry.
        self._ptab = [p_lo + q * (p_hi - p_lo) / 255 for q in range(256)]
        atab = [a_lo + q * (a_hi - a_lo) / 255 for q in range(256)]
        self._uni: Dict[int, float] = dict(zip(
            map(ord, sec["uni_chars"]), map(self._ptab.__getitem__, sec["uni_q"])))  # type: ignore[arg-type]
        # One str object per character of the unigram table, shared as the
        # key of every follower dict (_expand) and by vocabulary(): the
        # follower rows hold ~540k entries once a long job has unpacked most
        # bigram contexts, and a fresh 1-character str costs ~76 bytes.
        self._canon: Dict[str, str] = {c: c for c in sec["uni_chars"]}  # type: ignore[attr-defined]
        self._vocab: Optional[Tuple[str, ...]] = None     # see vocabulary()

        # Per order: sorted context keys, backoffs, follower offsets and the
        # followers.  A context's {follower: logp} dict is built on first use
        # (_expand): building all ~10^6 entries up front would take ~0.3 s,
        # while typical use touches a few thousand contexts.
        self._tables: Dict[str, tuple] = {}
        # the contexts that have a table, and a bounded cache of the ones
        # unpacked so far (see _expand): a context's value never depends on
        # whether it was cached
        stored: Dict[str, FrozenSet[int]] = {"bi": frozenset(), "tri": frozenset()}
        for order in ("bi", "tri"):
            if f"{order}_ctx" not in sec:
                continue
            keys = sec[f"{order}_ctx"]
            offsets = array("I", accumulate(sec[f"{order}_n"], initial=0))  # type: ignore[call-overload]
            self._tables[order] = (keys, sec[f"{order}_bow"], offsets,
                                   sec[f"{order}_fol"], sec[f"{order}_q"], atab)
            stored[order] = frozenset(keys)  # type: ignore[arg-type]
        # ASCII contexts always have one (the class model fills it in)
        self._bi_keys: FrozenSet[int] = stored["bi"] | frozenset(range(128))
        self._tri_keys: FrozenSet[int] = stored["tri"]
        self._bi: Dict[int, Dict[str, float]] = {}
        self._tri: Dict[int, Dict[str, float]] = {}
        # the word lexicon, unpacked on first use (see _lexicon); the raw
        # sections are dropped then
        self._lex_raw: Optional[Tuple[bytes, bytes]] = (
            sec.get("lex_words", b""), sec.get("lex_q", b""))  # type: ignore[assignment]
        self._lex: Optional[Dict[str, str]] = None
        #: Hanzi used only in Simplified / only in Traditional text (OpenCC).
        self.simp_only: FrozenSet[str] = frozenset(sec.get("simp_only", ""))  # type: ignore[arg-type]
        self.trad_only: FrozenSet[str] = frozenset(sec.get("trad_only", ""))  # type: ignore[arg-type]
        self.order = 3 if self._tri_keys else 2
        self._floor_memo: Dict[int, float] = {}
        self._bound: Optional[float] = None     # see term_bound
        cls = [_ascii_class(chr(o)) for o in range(128)]
        self._ascii_rows = {
            k: [math.log10(_ASCII_CLASS_BIGRAM[k][c] / _ASCII_CLASS_SIZE[c]) for c in cls]
            for k in _ASCII_CLASSES
        }

    def _expand(self, order: str, key: int) -> Dict[str, float]:
        """Build (and cache) the follower dict of one context.

        Keys are characters (shared str objects); key ``_BOW`` holds the
        context's backoff weight.  Racing threads may both
        build the same dict; they are equal, and the last store wins.
        """
        cache = self._bi if order == "bi" else self._tri
        d: Dict[str, float] = {_BOW: 0.0}
        table = self._tables.get(order)
        if table is not None:
            keys, bows, offsets, fol, fq, atab = table
            i = bisect.bisect_left(keys, key)
            if i < len(keys) and keys[i] == key:
                s, e = offsets[i], offsets[i + 1]
                chars = fol[s:e]
                d = dict(zip(map(self._canon.get, chars, chars), map(self._ptab.__getitem__, fq[s:e])))
                d[_BOW] = atab[bows[i]]
        if order == "bi" and key < 128:
            # ASCII context: pairs the tables lack come from the class model,
            # so code and markup score sensibly.
            row = self._ascii_rows[_ascii_class(chr(key))]
            for o in range(128):
                d.setdefault(chr(o), row[o])
        if len(cache) >= MAX_EXPANDED:
            # a long ETL job would otherwise unpack the whole model into
            # dicts (several hundred MB); starting over keeps memory flat and
            # costs little, since busy contexts come back at once (and a
            # context unpacked again is the same: scores do not depend on
            # what was repaired before)
            cache.clear()
        cache[key] = d
        return d

    def unpack_bigrams(self) -> int:
        """Build every bigram context's follower dict now; returns their count.

        A process about to fork workers calls this so that the workers share
        these pages with it instead of each building its own (~15 MB).
        Scores do not change: a context unpacked early is the same dict.

        >>> get_model().unpack_bigrams() > 1000
        True
        """
        table = self._tables.get("bi")
        keys = list(table[0]) if table is not None else []
        for key in keys + [k for k in range(128) if k not in self._bi]:
            if key not in self._bi:
                self._expand("bi", key)
        return len(self._bi)

    def _floor(self, o: int) -> float:
        v = self._floor_memo.get(o)
        if v is None:
            v = CLASS_FLOOR[char_class(chr(o))]
            self._floor_memo[o] = v  # benign race: same value either way
        return v

    def vocabulary(self) -> list[str]:
        """Every character the unigram table knows (the candidates a lost
        character is rebuilt from).

        >>> "的" in get_model().vocabulary()
        True
        """
        vocab = self._vocab
        if vocab is None:
            # one str per character for every caller (detect builds a
            # candidate index per encoding from it: ~1.4 MB of strings each
            # when each call made its own); a racing thread builds an equal
            # tuple
            vocab = self._vocab = tuple(self._canon)
        return list(vocab)

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
        if not prev:
            prev = _START
        o1 = ord(prev[-1])
        k1 = (ord(prev[-2]) << 21 | o1) if len(prev) > 1 else o1  # last 2 chars
        return self._run(text, k1, o1, 0.0)[0]

    def score_split(self, text: str, more: str, prev: str = _START) -> tuple[float, float]:
        """``(score(text, prev), score(text + more, prev))`` in one pass: the
        second goes on from the first, so both are the very floats the two
        calls give.

        >>> lm = get_model()
        >>> lm.score_split("中国", "人") == (lm.score("中国"), lm.score("中国人"))
        True
        """
        if not prev:
            prev = _START
        o1 = ord(prev[-1])
        k1 = (ord(prev[-2]) << 21 | o1) if len(prev) > 1 else o1
        first, k1, o1 = self._run(text, k1, o1, 0.0)
        return first, self._run(more, k1, o1, first)[0]

    def _run(self, text: str, k1: int, o1: int, total: float) -> tuple[float, int, int]:
        """:meth:`score`'s loop: ``total`` plus the terms of ``text`` after
        the context (``k1``: the last two code points packed, ``o1``: the
        last one); returns the sum and the context after ``text``."""
        uni_get, floor, expand = self._uni.get, self._floor, self._expand
        floor_get = self._floor_memo.get
        bi_get, tri_get = self._bi.get, self._tri.get
        bi_keys, tri_keys = self._bi_keys, self._tri_keys
        # (the hot loop of every repair: the steps of the doc's backoff in
        # the order that decides fewest look-ups for mojibake, whose
        # contexts mostly have no trigram table; the sums are the same
        # floats as one character at a time through logp)
        for c in text:
            o = ord(c)
            t = tri_get(k1)
            if t is None and k1 in tri_keys:
                t = expand("tri", k1)
            if t is not None:
                v = t.get(c)
                if v is not None:
                    total += v
                    k1 = o1 << 21 | o
                    o1 = o
                    continue
            d = bi_get(o1)
            if d is None:
                d = expand("bi", o1) if o1 in bi_keys else _EMPTY
            v = d.get(c)
            if v is None:
                u = uni_get(o)
                if u is None:
                    u = floor_get(o)
                    if u is None:
                        u = floor(o)
                v = d[_BOW] + u
            if t is not None:
                # (a context without a table backs off by 0: v + 0.0 is v)
                v += t[_BOW]
            total += v
            k1 = o1 << 21 | o
            o1 = o
        return total, k1, o1

    def _context_rows(self, prev: str) -> tuple[Optional[Dict[str, float]], Dict[str, float]]:
        """The trigram row (None if the context has none) and the bigram row
        that score the character after ``prev`` (the start of a line if
        empty), unpacked on first use as in :meth:`_run`."""
        if not prev:
            prev = _START
        o1 = ord(prev[-1])
        k1 = (ord(prev[-2]) << 21 | o1) if len(prev) > 1 else o1
        t = self._tri.get(k1)
        if t is None and k1 in self._tri_keys:
            t = self._expand("tri", k1)
        d = self._bi.get(o1)
        if d is None:
            d = self._expand("bi", o1) if o1 in self._bi_keys else _EMPTY
        return t, d

    def follow_scores(self, prev: str, chars: Sequence[str]) -> list[float]:
        """``[score(c, prev) for c in chars]`` with the context's tables
        looked up once: the repair search scores hundreds of candidates
        after each of a few states.  The very floats :meth:`score` gives.

        >>> lm = get_model()
        >>> cs = "中国鐢a\\ue000\\n"
        >>> lm.follow_scores("中", cs) == [lm.score(c, "中") for c in cs]
        True
        >>> lm.follow_scores("中国", cs) == [lm.score(c, "中国") for c in cs]
        True
        """
        t, d = self._context_rows(prev)
        uni_get, floor = self._uni.get, self._floor
        t_get, d_get, d_bow = (t.get if t is not None else None), d.get, d[_BOW]
        t_bow = t[_BOW] if t is not None else 0.0
        out: list[float] = []
        append = out.append
        # (the steps of _run for one character, in the same order: the same
        # sums, down to _run's 0.0 + v)
        for c in chars:
            if t_get is not None:
                v = t_get(c)
                if v is not None:
                    append(0.0 + v)
                    continue
            v = d_get(c)
            if v is None:
                u = uni_get(ord(c))
                v = d_bow + (floor(ord(c)) if u is None else u)
            if t_get is not None:
                v += t_bow
            append(0.0 + v)
        return out

    def precede_scores(self, prevs: Sequence[str], c: str) -> list[float]:
        """``[score(c, p) for p in prevs]`` in one call: the repair search
        weighs one next character after each of hundreds of states.  The
        very floats :meth:`score` gives.

        >>> lm = get_model()
        >>> ps = ["中", "中国", "鐢", "a", "", "\\ue000"]
        >>> lm.precede_scores(ps, "国") == [lm.score("国", p) for p in ps]
        True
        """
        o = ord(c)
        uni = self._uni.get(o)
        if uni is None:
            uni = self._floor(o)
        rows = self._context_rows
        out: list[float] = []
        append = out.append
        # (_run's steps for one character after each context, in the same
        # order: the same sums, down to _run's 0.0 + v)
        for prev in prevs:
            t, d = rows(prev)
            if t is not None:
                v = t.get(c)
                if v is not None:
                    append(0.0 + v)
                    continue
            v = d.get(c)
            if v is None:
                v = d[_BOW] + uni
            if t is not None:
                v += t[_BOW]
            append(0.0 + v)
        return out

    def term_bound(self) -> float:
        """An upper bound on what :meth:`score` adds for any one character,
        whatever the character and its context -- for pruning a candidate
        whose characters are not all known yet.  (Above 0: a backoff weight
        may exceed 1 in the stored model.)

        >>> lm = get_model()
        >>> all(lm.score(c, p) <= lm.term_bound() for c in "的a鐢\\ue000" for p in ("\\n", "中国", "x"))
        True
        """
        if self._bound is not None:
            return self._bound
        _, p_hi = self.header["quant"]["p"]
        _, a_hi = self.header["quant"]["alpha"]
        bow = max(0.0, a_hi)          # a context without a table backs off by 0
        ascii_hi = max(max(row) for row in self._ascii_rows.values())
        uni_hi = max(max(self._uni.values(), default=p_hi), max(CLASS_FLOOR.values()))
        # a trigram; or a bigram (stored, or ASCII's class row) after the
        # trigram context's backoff; or a unigram after both backoffs
        # (computed once: a search asks it each time, and it reads every
        # unigram; racing threads compute the same float)
        self._bound = max(p_hi, max(p_hi, ascii_hi) + bow, uni_hi + 2 * bow)
        return self._bound

    def window_scores(self, text: str) -> list[float]:
        """log10 P of each character of ``text`` given at most the two
        characters before it *inside* ``text`` (the first one given the
        start of a line): ``[score(text[i], text[max(0, i-2):i] or "\\n")
        for i in range(len(text))]``, in one pass instead of one call per
        character.

        >>> lm = get_model()
        >>> t = "中文文本"
        >>> lm.window_scores(t) == [lm.score(t[i], t[max(0, i - 2):i] or "\\n") for i in range(len(t))]
        True
        """
        uni, floor, expand = self._uni, self._floor, self._expand
        bi_get, tri_get = self._bi.get, self._tri.get
        bi_keys, tri_keys = self._bi_keys, self._tri_keys
        out: list[float] = []
        append = out.append
        o1 = ord(_START)
        k1 = o1                     # one character of context: its code alone
        first = True
        for c in text:
            o = ord(c)
            t = tri_get(k1)
            if t is None and k1 in tri_keys:
                t = expand("tri", k1)
            # (the same sums as score(); a context without a trigram table,
            # the usual case in the odd text _promising scores, backs off
            # by 0.0, which only turns a -0.0 into 0.0, as the 0.0 + below
            # does anyway)
            v = None if t is None else t.get(c)
            if v is None:
                d = bi_get(o1)
                if d is None:
                    d = expand("bi", o1) if o1 in bi_keys else _EMPTY
                v = d.get(c)
                if v is None:
                    u = uni.get(o)
                    v = d[_BOW] + (floor(o) if u is None else u)
                if t is not None:
                    v += t[_BOW]
            append(0.0 + v)
            # score() sees only the window: the second character's context
            # is the first one alone, not the start of a line before it
            if first:
                k1, first = o, False
            else:
                k1 = o1 << 21 | o
            o1 = o
        return out

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


    def _lexicon(self) -> Dict[str, str]:
        """The word lexicon, grouped by first character (built on first use,
        ~40 ms; thread-safe).

        ``{first character: group}``.  A group is one string: a character
        per word, ``chr(0x100 + q)`` for its quantised log-probability q
        (``_ptab``), then the words' entries ``"\\x00" + rest of the word
        + "\\x01"``, both in the file's sorted order, so that the k-th
        ``"\\x00"`` starts the k-th word.  About 3 MB where a ``{word:
        logp}`` dict of the 200k words took ~23 MB, and as fast to search in
        :meth:`word_logp`: one ``str.find`` tells whether any word goes on
        with a given prefix, so the search stops at the first slice no word
        starts with.
        """
        lex = self._lex
        if lex is None:
            with _LEX_LOCK:
                lex = self._lex
                if lex is None:
                    raw, q = self._lex_raw or (b"", b"")
                    words = raw.decode("utf-8")
                    if "\x00" in words or "\x01" in words:
                        raise ValueError("a lexicon word holds a separator (\\x00 or \\x01)")
                    # The words are sorted: each group is one run of lines
                    # (a word comes before every longer word it starts).  A
                    # group is made by a few C calls (a Python step per
                    # word took several times as long, and splitting into
                    # 200k strings at once left ~20 MB of fragmented heap).
                    qchars = q.decode("latin-1").translate(_QCHARS)
                    lex = {}
                    n = 0
                    for run in _LEX_RUN.finditer(words):
                        first, lines = run[1], run[0]
                        if first in lex:
                            raise ValueError("the lexicon is not sorted")
                        k = lines.count("\n") + 1
                        lex[first] = (qchars[n:n + k] + "\x00"
                                      + lines[1:].replace("\n" + first, "\x01\x00") + "\x01")
                        n += k
                    if n != len(q):
                        raise ValueError("lexicon words and values do not match")
                    self._lex, self._lex_raw = lex, None
        return lex

    def word_logp(self, text: str) -> float:
        """log10 P(text) under a word-unigram model, summed over segmentations.

        Words come from the lexicon (jieba and wordfreq, zh/ja/ko; about
        200k forms); a character that starts no known word is a one-letter
        word with probability ``P(c) * 10 ** WORD_UNK_PENALTY``.  Captures
        multi-character words the character n-grams miss.

        >>> lm = get_model()
        >>> lm.word_logp("返回属性") > lm.word_logp("这回属性")
        True
        >>> lm.word_logp("返回\\x00\\x01属性") < lm.word_logp("返回属性")
        True
        """
        lex, ptab = self._lexicon(), self._ptab
        n = len(text)
        neg = -1e300
        acc = [neg] * (n + 1)
        acc[0] = 0.0
        # a slice holding a separator of the lexicon's entries is no word
        # (checked only if the text has one: a find could match across
        # entries)
        guard = "\x00" in text or "\x01" in text
        for i in range(n):
            base = acc[i]
            if base == neg:
                continue
            group = lex.get(text[i])
            for j in range(i + 1, min(n, i + _LEX_MAXLEN) + 1):
                lp = None
                if group is not None:
                    # the first entry that goes on with text[i+1:j] (sorted:
                    # the word text[i:j] itself, if there is one)
                    rest = text[i + 1:j]
                    p = group.find("\x00" + rest)
                    if p < 0 or (guard and ("\x00" in rest or "\x01" in rest)):
                        group = None    # no word starts so: nor with more
                    elif group[p + j - i] == "\x01":
                        # the word's value: as many characters in as there
                        # are words before it
                        lp = ptab[ord(group[group.count("\x00", 0, p)]) - 0x100]
                if lp is None:
                    if j != i + 1:
                        if group is None:
                            break
                        continue
                    lp = self.unigram_logp(text[i]) + WORD_UNK_PENALTY
                x = base + lp
                a = acc[j]
                if a == neg:
                    acc[j] = x
                else:  # log10(10**a + 10**x)
                    hi, lo = (a, x) if a > x else (x, a)
                    acc[j] = hi + math.log10(1.0 + 10.0 ** (lo - hi))
        return acc[n]

    def fill_logp(self, left: str, mid: str, right: str = "") -> float:
        """Rank fillers for a gap: character context plus word evidence.

        ``context_logp(left, mid, right) + WORD_WEIGHT * word_logp(window)``
        where the window is ``mid`` with up to ``WORD_WINDOW`` characters of
        context each side.  Higher is better; only differences between
        candidates for the same gap mean anything.

        >>> lm = get_model()
        >>> cands = [chr(c) for c in range(0x8FC0, 0x9000)]  # 这 返 ... share E8 BF
        >>> max(cands, key=lambda c: lm.fill_logp("请", c, "回首页"))
        '返'
        >>> max(cands, key=lambda c: lm.context_logp("请", c, "回首页"))  # no words
        '运'
        """
        w = WORD_WINDOW
        return (self.context_logp(left, mid, right)
                + WORD_WEIGHT * self.word_logp(left[-w:] + mid + right[:w]))

    def adapt(self, document: str, weight: float = 0.25) -> "AdaptedModel":
        """This model mixed with a cache of ``document``'s own statistics.

        Text repeats its words: the rest of a document is the best evidence
        for a damaged spot in it.  See :class:`AdaptedModel`.
        """
        return AdaptedModel(self, document, weight)


class AdaptedModel:
    """A :class:`LanguageModel` interpolated with a document cache model.

    ``P(c | ab) = (1 - l) * P_base(c | ab) + l * P_cache(c | b)``, where
    ``P_cache(c | b) = (n(bc) + n(c) / N) / (n(b) + 1)`` counts the
    document's own bigrams ``n(bc)`` and characters ``n(c)`` (``N`` of
    them), and ``l = w * n(b) / (n(b) + 1)`` trusts the cache only as far as
    the document has seen the context ``b``.  Characters not in the document
    get no cache mass, so mojibake in a document does not make more mojibake
    likely unless it repeats.
    Same interface as :class:`LanguageModel`; slower (a ``10 **`` and a
    ``log10`` per character), meant for ranking candidates, not bulk scans.

    >>> doc = "属性名是字符串。读取属性时，如果属性不存在就返回。"
    >>> am = get_model().adapt(doc)
    >>> am.logp("取", "属") > get_model().logp("取", "属")   # 读取属性 is in the document
    True
    """

    __slots__ = ("base", "weight", "order", "_bi", "_ctx", "_uni", "_n", "_penalty", "_foreign")

    def __init__(self, base: LanguageModel, document: str, weight: float = 0.25) -> None:
        self.base = base
        self.weight = weight
        self.order = base.order
        bi: Dict[str, int] = {}
        ctx: Dict[str, int] = {}
        uni: Dict[str, int] = {}
        prev = _START
        for c in document:
            k = prev + c
            bi[k] = bi.get(k, 0) + 1
            ctx[prev] = ctx.get(prev, 0) + 1
            uni[c] = uni.get(c, 0) + 1
            prev = c
        self._bi, self._ctx, self._uni, self._n = bi, ctx, uni, max(1, len(document))
        # A document written in one script does not switch for one character:
        # penalise the other script's characters when one side dominates.
        n_simp = sum(n for c, n in uni.items() if c in base.simp_only)
        n_trad = sum(n for c, n in uni.items() if c in base.trad_only)
        self._penalty: FrozenSet[str] = frozenset()
        if n_trad > 3 * n_simp + 2:
            self._penalty = base.simp_only
        elif n_simp > 3 * n_trad + 2:
            self._penalty = base.trad_only
        # ...nor does it drop one kana into Korean, or one hangul into Japanese
        self._foreign = _foreign_scripts(uni)

    def _cache(self, prev: str, c: str) -> float:
        u = self._uni.get(c, 0) / self._n
        return (self._bi.get(prev + c, 0) + u) / (self._ctx.get(prev, 0) + 1)

    def score(self, text: str, prev: str = _START) -> float:
        """Total log10 probability of ``text`` after ``prev``."""
        base, w = self.base, self.weight
        ctx = (prev or _START)[-2:]
        total = 0.0
        for c in text:
            pb = 10.0 ** base.score(c, ctx)
            # trust the cache as far as the document has seen this context:
            # an unseen one would otherwise flatten every contrast the base
            # model draws to the document's character frequencies
            seen = self._ctx.get(ctx[-1], 0)
            lam = w * seen / (seen + 1.0)
            total += math.log10((1.0 - lam) * pb + lam * self._cache(ctx[-1], c))
            if c in self._penalty or (self._foreign and _script(c) in self._foreign):
                total += SCRIPT_PENALTY
            ctx = ctx[-1] + c
        return total

    def logp(self, prev: str, ch: str) -> float:
        """log10 P(ch | prev), as :meth:`LanguageModel.logp`."""
        return self.score(ch, prev)

    def per_char(self, text: str, prev: str = _START) -> float:
        """Mean log10 probability per character (0.0 for "")."""
        return self.score(text, prev) / len(text) if text else 0.0

    def window_scores(self, text: str) -> list[float]:
        """As :meth:`LanguageModel.window_scores`."""
        return [self.score(c, text[max(0, i - 2):i] or _START) for i, c in enumerate(text)]

    def context_logp(self, left: str, mid: str, right: str = "") -> float:
        """As :meth:`LanguageModel.context_logp`."""
        return self.score(mid + right[:self.order - 1], left or _START)

    def fill_logp(self, left: str, mid: str, right: str = "") -> float:
        """As :meth:`LanguageModel.fill_logp`, with the cached context part."""
        w = WORD_WINDOW
        return (self.context_logp(left, mid, right)
                + WORD_WEIGHT * self.base.word_logp(left[-w:] + mid + right[:w]))


# ----------------------------------------------------------------- loading

_LOCK = threading.Lock()
_MODEL: Optional[LanguageModel] = None
#: Held while a model unpacks its lexicon (LanguageModel._lexicon).
_LEX_LOCK = threading.Lock()
#: A run of lexicon lines (words) with the same first character.
_LEX_RUN = re.compile(r"^(.)[^\n]*(?:\n\1[^\n]*)*", re.M)
#: Quantised value q -> the character that stands for it in a lexicon entry.
_QCHARS = {q: chr(0x100 + q) for q in range(256)}


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
