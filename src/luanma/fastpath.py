"""The fast path: does ``text`` show any sign of mojibake at all?

:func:`maybe_garbled` is the first thing :func:`~luanma.diagnose` (and so
``repair``) asks.  When it answers False the text is returned as it is,
without the language model or the search.  It costs a few C-level scans
(regexes, one encode and decode per CJK code page), about as much as one
pass of ftfy's badness regex::

    fixed = text if not maybe_garbled(text) else repair(text)   # what repair() does

>>> maybe_garbled("plain ASCII, even ???? runs")
False
>>> maybe_garbled("Café “déjà vu” — naïve")
False
>>> maybe_garbled("这是正常的中文。")            # clean CJK: no signature
False
>>> maybe_garbled("CafÃ© dÃ©jÃ  vu")           # Latin mojibake: ftfy's domain
True
>>> maybe_garbled("Sego 鍥炬爣")                # UTF-8 shown as GBK
True

What it looks for -- every chain luanma repairs leaves one of these
signatures, and clean CJK text almost never does:

1. *Loss and damage marks*: U+FFFD, four '?' in a row, 锟斤拷, 烫烫烫,
   屯屯屯; a '?' beside a character outside the 4,000 most frequent (the
   pieces a cut leaves beside its mark are rare: "鐩?", "?뚮줎").
2. *Isolated non-ASCII characters* (no two adjacent): only ftfy can change
   such a text, and only where its badness test fires; this part is exact
   (see ``_FTFY_SINGLES``).
3. *Latin-looking mojibake*: two adjacent characters that single-byte code
   pages (windows-1252, Latin-1, CP437, CP850, Mac Roman, windows-1251/1250)
   decode high bytes to -- UTF-8 or GBK/Big5/Shift_JIS/EUC-KR shown as
   Latin (``ä¸­``, ``ÓÉÔÂ``) -- other than pairs of the punctuation CJK
   text itself uses (……, ——, “”); and anything ftfy's own badness test
   flags.
4. *UTF-8 shown through a CJK code page* (GBK/GB18030, Big5/CP950,
   Shift_JIS/CP932, EUC-KR/CP949, EUC-JP): re-encoding the text with that
   code page and reading the bytes as UTF-8 gives two adjacent frequent
   characters (or one of 銆銇銈銉/縲縺繧繝, a lone kana or '、' garbled).
   Legacy bytes of clean text are rarely valid UTF-8, and almost never two
   frequent characters in a row.
5. *GBK shown as Big5, or Big5 as GBK*: two characters close together
   (at most one between them) whose bytes read in the other code page give
   a character at least ten times more frequent; or one such character in
   a short run (2-6) of non-ASCII characters between ASCII ones.

:func:`signatures` says which of these a text shows, and the search then
tries only the chains that leave them (``luanma.detect.gated``).

Cost: every test above starts from a character of some set (a mark, a
Latin-looking character, one ftfy's pattern names, 銆銇..., a GBK/Big5
counterpart, the first character of a code page's prefilter for 4), so
clean text with none of them -- most clean CJK text -- is answered by one
class scan (``_quiet``), plus CP949's prefilter where there is hangul and
the '?' test where there is a '?'.  Text that fails that scan mostly
holds a character of a CJK code page's prefilter or of signature 5, and
no mark, Latin, ftfy or kana-lead one: a second class scan (``_others``)
then skips those four tests.  The answers are the same as the full
tests' (``tests/test_fastpath.py`` compares them).

The tables behind 4 and 5 are data (``data/gates.json``, built by
``tools/build_gates.py`` from the language model and Python's codecs).

Except for part 2, this is a filter, not a proof: text garbled so little
that it shows none of these (a single CJK character garbled between ASCII
words, say) is left as it is.  ``benchmarks/accuracy.py`` compares the
accuracy with and without it (see benchmarks/README.md);
``tests/test_fastpath.py`` garbles corpus records and short pieces under
18 chains and allows at most 0.5% of them without a signature.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

__all__ = ["maybe_garbled", "signatures"]

# -- 1. marks ------------------------------------------------------------------

#: Damage: U+FFFD, four '?' in a row, 锟斤拷 and the debug fills of MSVC
#: (烫烫烫, 屯屯屯).
_DAMAGE = re.compile(r"\ufffd|\?{4}|锟斤|斤拷|烫{3}|屯{3}")
#: A '?' beside a non-ASCII character: a decoder's mark for a cut character
#: -- or a question mark.  It counts when that character is not one of the
#: frequent ones (``frequent`` in data/gates.json), nor is the one beyond:
#: the pieces a cut leaves beside its mark are rare characters ("鐩?",
#: "?뚮줎"); a '?' inside a run of mojibake made of frequent ones shows
#: signature 4 anyway.
_QMARK = re.compile(r"([^\x00-\x7f]{1,2})\?|\?([^\x00-\x7f]{1,2})")
_MARK_SET = "\ufffd?锟斤烫屯"
_MARK_CHARS = re.compile("[%s]" % re.escape(_MARK_SET))

_PAIR = re.compile(r"[^\x00-\x7f]{2}")
_LONE_QMARK = re.compile(r"[^\x00-\x7f]\?")

# -- 2. isolated characters: ftfy -------------------------------------------------

#: ftfy's BADNESS_RE (ftfy 6.3.1) that the analysis below was made on; with
#: any other pattern every non-ASCII text goes to ``is_bad`` itself.
_KNOWN_BADNESS_SHA256 = "9dcc0f2ac90d9ae3c85eb7b9b2c0b8a8e8126153847c2b30c91a0bb263f3b8c4"
#: In that pattern the alternatives that one non-ASCII character between
#: ASCII ones can match are ``[{c1}]``, ``[Œœ][^A-Za-z]``,
#: ``[a-z]\s?[ÃÂ][ ]``, ``^[ÃÂ][ ]`` and ``[a-z.,?!…]Â[ …]``; every other
#: one needs two adjacent non-ASCII characters.  So on text without two
#: adjacent non-ASCII characters, ``is_bad`` can only be True if one of
#: these characters is present.
_FTFY_SINGLES = re.compile("[\x80-\x9f\u0152\u0153\u00c3\u00c2]")

#: Punctuation real CJK text uses that also appears in BADNESS_RE; no
#: alternative of it matches with only these, ASCII and CJK characters
#: (checked exhaustively in tests/test_fastpath.py).
_CJK_PUNCT = "\xa0–—―‘’‚“”„•…·"


def _always(text: str) -> bool:
    return True


@lru_cache(maxsize=None)
def _ftfy_check() -> tuple[Callable[[str], bool], re.Pattern[str] | None, str]:
    """``(is_bad, chars, names)``: ftfy's test and a class of the characters,
    outside ``_CJK_PUNCT``, that its pattern names (None: call it on
    everything), and those characters.  Built on first use; two threads
    racing here build equal values."""
    try:
        import hashlib

        import ftfy
        from ftfy.badness import BADNESS_RE, is_bad
    except ImportError:
        return _always, None, ""
    if getattr(ftfy, "__version__", "").split(".")[0] != "6" or not callable(is_bad):
        return _always, None, ""
    pattern = BADNESS_RE.pattern
    if hashlib.sha256(pattern.encode()).hexdigest() != _KNOWN_BADNESS_SHA256:
        return is_bad, None, ""
    names = "".join(sorted(_pattern_chars(pattern) - set(_CJK_PUNCT)))
    return is_bad, re.compile("[%s]" % re.escape(names)), names


def _pattern_chars(pattern: str) -> set[str]:
    """Non-ASCII characters a regex source names, literally or in ranges.

    >>> sorted(_pattern_chars("[à-â]x|€"))
    ['à', 'á', 'â', '€']
    """
    out: set[str] = set()
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if ord(c) >= 0x80:
            if i + 2 < len(pattern) and pattern[i + 1] == "-" and ord(pattern[i + 2]) >= 0x80:
                out.update(chr(o) for o in range(ord(c), ord(pattern[i + 2]) + 1))
                i += 3
                continue
            out.add(c)
        i += 1
    return out


def _ftfy_singles(text: str) -> bool:
    """Exact for text without two adjacent non-ASCII characters: may ftfy's
    encoding fixer change it?"""
    is_bad, chars, _ = _ftfy_check()
    if chars is not None and _FTFY_SINGLES.search(text) is None:
        return False
    return bool(is_bad(text))


def _ftfy_flags(text: str) -> bool:
    is_bad, chars, _ = _ftfy_check()
    if chars is not None and chars.search(text) is None:
        return False
    return bool(is_bad(text))

# -- 3. Latin-looking mojibake -------------------------------------------------------

#: Single-byte code pages whose mojibake of CJK (or UTF-8) luanma searches.
_SINGLE_BYTE = ("cp1252", "latin-1", "cp437", "cp850", "mac_roman", "cp1251", "cp1250")


def _latin_chars() -> str:
    """What the single-byte code pages decode high bytes to."""
    high = bytes(range(0x80, 0x100))
    chars = set()
    for codec in _SINGLE_BYTE:
        chars.update(high.decode(codec, errors="ignore"))
    chars.update(chr(c) for c in range(0x80, 0xA0))      # C1 controls (cp1252:c1)
    return "".join(sorted(chars))


_LATIN = _latin_chars()
#: ...less the punctuation CJK text uses
_LATIN_REST = "".join(c for c in _LATIN if c not in _CJK_PUNCT)
# two of them side by side, not both punctuation that CJK text uses;
# (the single class first: one fast scan finds most texts without one)
_LATIN_ANY = re.compile("[%s]" % re.escape(_LATIN_REST))
_LATIN_PAIR = re.compile("[{r}][{a}]|[{a}][{r}]".format(r=re.escape(_LATIN_REST), a=re.escape(_LATIN)))

# -- 4 and 5: CJK code pages ------------------------------------------------------------


@lru_cache(maxsize=None)
def _tables() -> "_Tables":
    """The data of signatures 1, 4 and 5, loaded once (two threads racing
    here build equal values)."""
    raw = json.loads(resources.files("luanma").joinpath("data/gates.json").read_text(encoding="utf-8"))
    # signature 5: two of a pair's characters close together; or one in a
    # short run of non-ASCII characters between ASCII ones (a field value)
    one = tuple(re.compile("[%s]" % re.escape(chars)) for chars in raw["legacy_pairs"].values())
    close = tuple(re.compile(f"{rx.pattern}[^\x00-\x7f]?{rx.pattern}") for rx in one)
    legacy_class = "[%s]" % re.escape("".join(sorted(set("".join(raw["legacy_pairs"].values())))))
    legacy_any = re.compile(legacy_class)
    # a run of 2-6 non-ASCII characters (the lookahead: and no more) that
    # holds one of them, from where the match starts
    run = r"(?=[^\x00-\x7f]{2,6}(?![^\x00-\x7f]))[^\x00-\x7f]{0,5}?" + legacy_class
    cls = re.escape(raw["decoded"]) + "\U0001f000-\U0001faff"      # + emoji
    decoded = re.compile("[%s]{2}" % cls)
    # per code page, alternatives: a sequence of character sets each
    prefilter = {codec: "|".join("".join("[%s]" % re.escape(chars) for chars in alt) for alt in alts)
                 for codec, alts in raw["utf8_prefilter"].items()}
    # the first characters of every alternative but CP949's, which only
    # counts where hangul is (see _utf8_behind)
    firsts = "".join(alt[0] for codec, alts in raw["utf8_prefilter"].items() if codec != "cp949"
                     for alt in alts)
    return _Tables(decoded, close, legacy_any, re.compile(run), re.compile(r"[\x00-\x7f]" + run),
                   frozenset(raw["frequent"]),
                   {c: re.compile(p) for c, p in prefilter.items()},
                   frozenset(firsts) | frozenset("".join(raw["legacy_pairs"].values())))


class _Tables(NamedTuple):
    decoded: re.Pattern[str]                 # two adjacent frequent characters
    legacy_close: tuple[re.Pattern[str], ...]
    legacy_any: re.Pattern[str]              # any character signature 5 counts
    legacy_run: re.Pattern[str]              # (match) a short run at the start holding one
    legacy_run_after: re.Pattern[str]        # (search) an ASCII character, then such a run
    frequent: frozenset[str]
    prefilter: dict[str, re.Pattern[str]]    # per CJK codec, before encoding
    #: characters one of which signature 4 (but for CP949) or 5 needs
    suspects: frozenset[str]


#: Python codecs that hold each CJK family's characters (supersets where
#: real decoders differ).  WHATWG's GBK decodes 0x80 as '€', which GB18030
#: encodes as A2 E3: put the byte back.
_CJK_CODECS = ("gb18030", "cp950", "cp932", "cp949", "euc_jp")
_HANGUL = re.compile("[\uac00-\ud7a3]")
#: Two multi-byte UTF-8 characters of three or four bytes in a row (what
#: two CJK characters, kana or hangul, or an emoji, are); the cheap test
#: before decoding.
_UTF8_PAIR = re.compile(rb"[\xe0-\xf4][\x80-\xbf][\x80-\xbf][\x80-\xbf]?[\xe0-\xf4][\x80-\xbf][\x80-\xbf]")
#: The first two bytes of UTF-8 CJK punctuation and kana (E3 80..83) read
#: as GBK or Shift_JIS: 銆銇銈銉 and 縲縺繧繝, characters real text hardly
#: uses.  A lone kana (a particle between kanji) or '、' garbled on its own
#: shows only one of them.
_KANA_LEAD_SET = "".join(sorted({bytes([0xE3, b]).decode(c) for c in ("gbk", "cp932")
                                 for b in (0x80, 0x81, 0x82, 0x83)}))
_KANA_LEADS = re.compile("[%s]" % _KANA_LEAD_SET)


def _utf8_behind(text: str, tables: "_Tables", kana: bool = True) -> bool:
    """Signature 4: under some CJK code page, ``text``'s bytes read as UTF-8
    give two adjacent frequent characters (or a garbled kana; ``kana=False``
    where the caller knows there is none).

    >>> _utf8_behind("鍥炬爣", _tables()), _utf8_behind("图标", _tables())
    (True, False)
    """
    if kana and _KANA_LEADS.search(text) is not None:
        return True
    for codec in _CJK_CODECS:
        if codec == "cp949" and _HANGUL.search(text) is None:
            # UTF-8 shown as CP949: the continuation bytes paired make
            # hangul syllables (UHC's extension rows), in any two CJK
            # characters' worth of bytes
            continue
        prefilter = tables.prefilter.get(codec)
        if prefilter is not None and prefilter.search(text) is None:
            continue
        data = text.encode(codec, "replace")
        if codec == "gb18030":
            data = data.replace(b"\xa2\xe3", b"\x80")
        if _UTF8_PAIR.search(data) is not None \
                and tables.decoded.search(data.decode("utf-8", "replace")) is not None:
            return True
    return False


def _legacy(text: str, tables: "_Tables") -> bool:
    """Signature 5 (see ``_tables``): two of a pair's characters close
    together, or a short run (2-6) of non-ASCII characters between ASCII
    ones (or the ends) that holds one of either pair's.

    >>> _legacy("Blue=懦伎", _tables()), _legacy("这是正常的中文。", _tables())
    (True, False)
    """
    if any(rx.search(text) is not None for rx in tables.legacy_close):
        return True
    # (two regex scans instead of a Python loop over every run: the run
    # that starts the text, and those that start after an ASCII character)
    return tables.legacy_run.match(text) is not None or tables.legacy_run_after.search(text) is not None


#: The short run of signature 5's second test reaches at most this far
#: from where its match starts (an ASCII character, then 2-6 others).
_RUN_REACH = 7


def legacy_spots(text: str) -> tuple[tuple[int, int], ...]:
    """Where signature 5 shows in ``text``: ``(start, end)`` of each pair
    of counterpart characters close together and of each short run that
    holds one, in order (may overlap; empty where it does not show).  The
    search weighs GBK shown as Big5 and back only around these.

    >>> legacy_spots("Blue=懦伎"), legacy_spots("这是正常的中文。")
    (((4, 7),), ())
    """
    tables = _tables()
    if tables.legacy_any.search(text) is None:
        return ()
    spots = [m.span() for rx in tables.legacy_close for m in rx.finditer(text)]
    m = tables.legacy_run.match(text)
    if m is not None:
        spots.append((0, min(len(text), _RUN_REACH)))
    spots.extend((m.start(), min(len(text), m.start() + _RUN_REACH))
                 for m in tables.legacy_run_after.finditer(text))
    return tuple(sorted(spots))


@lru_cache(maxsize=None)
def _quiet() -> re.Pattern[str] | None:
    """One class of every character that the tests of signatures 1, 3, 4
    (but for CP949) and 5 and ftfy's shortcut start from: text with none of
    them shows none of these, whatever the rest of it (None where ftfy's
    pattern is not the one analysed: its test may then flag anything).

    Clean CJK text almost never holds one, so this one scan (and CP949's
    two) stands for a dozen.
    """
    _, ftfy_chars, names = _ftfy_check()
    if ftfy_chars is None:
        return None
    # ('?' is left to _qmarks: Korean and Japanese put it after their
    # words, and it only counts beside a rare character)
    chars = set(_MARK_SET.replace("?", "")) | set(_LATIN_REST) | set(_KANA_LEAD_SET) | set(names) \
        | _tables().suspects
    return re.compile("[%s]" % re.escape("".join(sorted(chars))))


@lru_cache(maxsize=None)
def _others() -> re.Pattern[str] | None:
    """One class of the characters the tests of signatures 1 (but for '?'),
    3, ftfy's and the garbled-kana part of 4 start from (None where ftfy's
    pattern is not the one analysed).  Text that fails ``_quiet`` mostly
    does so on a CJK code page's characters, for 4 or 5; without any of
    these, one scan stands for those four tests' own.
    """
    _, ftfy_chars, names = _ftfy_check()
    if ftfy_chars is None:
        return None
    chars = set(_MARK_SET.replace("?", "")) | set(_LATIN_REST) | set(_KANA_LEAD_SET) | set(names)
    return re.compile("[%s]" % re.escape("".join(sorted(chars))))


def _qmarks(text: str, tables: "_Tables") -> bool:
    """Signature 1 where text holds no mark character but '?': four in a
    row, or one beside a rare character."""
    return "????" in text or any(c not in tables.frequent for m in _QMARK.finditer(text)
                                 for c in m.group(1) or m.group(2))


def _quiet_cp949(text: str, tables: "_Tables") -> bool:
    """No CP949 prefilter match where there is hangul (see _utf8_behind)."""
    prefilter = tables.prefilter.get("cp949")
    return _HANGUL.search(text) is None or (prefilter is not None and prefilter.search(text) is None)

#: The kinds of signature :func:`signatures` reports.
MARKS, FTFY, LATIN, UTF8, LEGACY = "marks", "ftfy", "latin", "utf8", "legacy"
#: A cut double-byte stream (:mod:`luanma.misaligned`): a mark, then two
#: non-ASCII characters, or folded punctuation and one, or folded
#: punctuation and the '?' of a refused pair ("?!?", reported, not applied).
SHIFTED = "shifted"
_SHIFTED = re.compile(r"[?\ufffd](?:[!-/:;<=>?][^\x00-\x7f]|[^\x00-\x7f]{2}|[!-/:;<=>]\?)")

_NONE: frozenset[str] = frozenset()


def signatures(text: str) -> frozenset[str]:
    """Which signatures of mojibake ``text`` shows (see the module doc):
    ``"marks"``, ``"ftfy"`` (ftfy's badness test), ``"latin"``, ``"utf8"``,
    ``"legacy"``, ``"shifted"``.  Empty for text to leave as it is.  The search only tries
    the chains whose signature is present (``luanma.detect.gated``).

    >>> sorted(signatures("Sego 鍥炬爣")), sorted(signatures("C鐩?50G")), signatures("中文?")
    (['utf8'], ['marks'], frozenset())
    """
    if text.isascii():
        return _NONE            # diagnose() returns ASCII as it is
    tables = _tables()
    paired = _PAIR.search(text) is not None
    if paired:
        quiet = _quiet()
        if quiet is not None and quiet.search(text) is None and _quiet_cp949(text, tables):
            # the common case, clean CJK text: no signature but perhaps 1
            # (or a cut stream: both need a '?')
            if "?" not in text:
                return _NONE
            return frozenset(kind for kind, shows in ((MARKS, _qmarks(text, tables)),
                                                      (SHIFTED, _SHIFTED.search(text) is not None))
                             if shows)
    found = set()
    others = _others() if paired else None
    # (no mark, Latin, ftfy or kana-lead character: of those tests only the
    # '?' part of 1 can fire)
    calm = others is not None and others.search(text) is None
    if ("?" in text) if calm else _MARK_CHARS.search(text) is not None:
        if _DAMAGE.search(text) is not None or _qmarks(text, tables):
            found.add(MARKS)
        if _SHIFTED.search(text) is not None:
            found.add(SHIFTED)
    if not paired:
        # isolated non-ASCII characters: exact (the module doc, part 2), and
        # any '?' after one may complete a seed
        if _ftfy_singles(text):
            found.add(FTFY)
        if _LONE_QMARK.search(text) is not None:
            found.add(MARKS)
        return frozenset(found)
    if not calm and _LATIN_ANY.search(text) is not None and _LATIN_PAIR.search(text) is not None:
        found.add(LATIN)
    if not calm and _ftfy_flags(text):
        found.add(FTFY)
    if _utf8_behind(text, tables, kana=not calm):
        found.add(UTF8)
    if tables.legacy_any.search(text) is not None and _legacy(text, tables):
        found.add(LEGACY)
    return frozenset(found)


def maybe_garbled(text: str) -> bool:
    """False when ``text`` shows no sign of any mojibake luanma repairs
    (then ``diagnose`` returns it as it is); True means "run the full repair".

    Non-``str`` input gives True, so that ``repair`` raises its usual error.

    >>> maybe_garbled("naïve café"), maybe_garbled("鐢辨湀瑕佸ソ"), maybe_garbled("锟斤拷")
    (False, True, True)
    """
    if type(text) is not str:
        return True
    return bool(signatures(text))
