"""A provable fast path: is ``text`` certainly left alone by :func:`~luanma.diagnose`?

:func:`maybe_garbled` answers False only when the full ``diagnose(text)``
would return ``text`` unchanged with no spans (applied or withheld) and no
damage -- without the language model and at the cost of one regex scan (plus
ftfy's own badness regex for the few texts that get that far).  It never
changes a result; it only lets a caller skip work whose outcome is already
known::

    fixed = text if not maybe_garbled(text) else repair(text)

>>> maybe_garbled("plain ASCII, even ???? runs")
False
>>> maybe_garbled("Café “déjà vu” — naïve")
False
>>> maybe_garbled("CafÃ© dÃ©jÃ  vu")          # Latin mojibake: ftfy's domain
True
>>> maybe_garbled("Sego 鍥炬爣")               # CJK mojibake
True
>>> maybe_garbled("这是正常的中文。")           # clean, but not provably so
True

Why these checks suffice (read against ``detect.py`` and ``repair.py``):

``diagnose`` changes a text or reports something only through (a) a span of
:func:`luanma.detect.find_spans`, (b) ftfy's encoding repair in
``_latin_pass``, or (c) :func:`luanma.repair.find_damage`; pure-ASCII text
returns before any of them.

(a) ``find_spans`` searches a hypothesis only where ``_seed_window`` finds a
    seed, for every reading (``_readings``) of every hypothesis:

    * families "utf-8" and "cp1252-qmark-roundtrip": no seed without U+FFFD;
    * legacy true encodings (gbk, big5, shift_jis, euc_kr): a run of two
      *adjacent* non-ASCII characters;
    * UTF-8 read through a double-byte family: a UTF-8 multi-byte pattern in
      the re-encoded bytes spread over at least two characters.  The bytes of
      an ASCII character (and of the '?' standing in for an unmappable one)
      are below 0x80 and so neither lead nor continuation bytes: the pattern
      needs two adjacent non-ASCII characters;
    * UTF-8 read through a single-byte family: a UTF-8 pattern of two or more
      bytes, each non-ASCII character giving one byte: again two adjacent
      non-ASCII characters.

    A loss mark ('?', or a non-ASCII one such as '・') counts as a possible
    last byte of a cut character: it may complete a seed after a non-ASCII
    character.  So text with no U+FFFD, no two adjacent non-ASCII
    characters and no non-ASCII character before a '?' has no seed under
    any hypothesis, and ``find_spans`` returns nothing.
(b) ``ftfy.fix_encoding_and_explain`` returns text unchanged with an empty
    explanation when ``ftfy.badness.is_bad(text)`` is False (the first test of
    its one-step fixer).  That same function is called here, on text that
    (a) let through, only when the text holds one of the few characters
    that ftfy 6.3.1's badness regex can match between ASCII characters (see
    ``_FTFY_SINGLES``; another ftfy version gets ``is_bad`` on every text).
(c) Every damage pattern but a run of four '?' needs two adjacent non-ASCII
    characters (锟斤拷, 烫烫烫, 屯屯屯, U+FFFD U+FFFD).

Clean CJK almost always has two adjacent non-ASCII characters, and under the
legacy-to-legacy hypotheses (GBK shown as Big5 and back) any such pair is a
seed whose repair only the language model can reject; so this fast path pays
for text with isolated non-ASCII characters (English and other Latin-script
text with accents, curly quotes and dashes; mostly-ASCII records with a lone
symbol), not for clean CJK.  ``tests/test_fastpath.py`` checks the argument
above against the real ``_seed_window`` and the real ``diagnose``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

__all__ = ["maybe_garbled"]

#: Where a seed, a loss marker or damage can start: two adjacent non-ASCII
#: characters, a non-ASCII character before a '?' (a loss mark may complete
#: a seed), a U+FFFD, or four '?' (the only ASCII damage pattern).
_SUSPECT = re.compile(r"[^\x00-\x7f][^\x00-\x7f]|[^\x00-\x7f]\?|\ufffd|\?{4}")

#: ftfy's BADNESS_RE (ftfy 6.3.1) that the analysis below was made on; with
#: any other pattern every non-ASCII text goes to ``is_bad`` itself.
_KNOWN_BADNESS_SHA256 = "9dcc0f2ac90d9ae3c85eb7b9b2c0b8a8e8126153847c2b30c91a0bb263f3b8c4"
#: In that pattern the alternatives that one non-ASCII character between
#: ASCII ones can match are ``[{c1}]``, ``[Œœ][^A-Za-z]``,
#: ``[a-z]\s?[ÃÂ][ ]``, ``^[ÃÂ][ ]`` and ``[a-z.,?!…]Â[ …]``; every other
#: one needs two adjacent non-ASCII characters, which _SUSPECT has already
#: sent to the full repair.  So on text that got past _SUSPECT, ``is_bad``
#: can only be True if one of these characters is present.
_FTFY_SINGLES = re.compile("[\x80-\x9f\u0152\u0153\u00c3\u00c2]")

def _always(text: str) -> bool:
    return True


@lru_cache(maxsize=None)
def _load_check() -> Callable[[str], bool]:
    """The ftfy part of the test, built on first use (luanma imports ftfy
    lazily too): True where ``ftfy.fix_encoding_and_explain`` may change a
    text that has no two adjacent non-ASCII characters.  (Two threads racing
    here build equal functions.)"""
    try:
        import hashlib

        import ftfy
        from ftfy.badness import BADNESS_RE, is_bad
    except ImportError:
        return _always
    # ftfy 6's encoding fixer returns the text as it is, with no steps, when
    # is_bad() is False (its first test)
    if getattr(ftfy, "__version__", "").split(".")[0] != "6" or not callable(is_bad):
        return _always
    known = hashlib.sha256(BADNESS_RE.pattern.encode()).hexdigest() == _KNOWN_BADNESS_SHA256

    def check(text: str) -> bool:
        if known and _FTFY_SINGLES.search(text) is None:
            return False
        return bool(is_bad(text))
    return check


def maybe_garbled(text: str) -> bool:
    """False only if ``diagnose(text)`` certainly returns ``text`` unchanged,
    with no spans and no damage; True means "run the full repair".

    Non-``str`` input gives True, so that ``repair`` raises its usual error.

    >>> maybe_garbled("naïve café"), maybe_garbled("鐢辨湀瑕佸ソ"), maybe_garbled("锟斤拷")
    (False, True, True)
    """
    if type(text) is not str:
        return True
    if text.isascii():
        return False            # diagnose() returns ASCII as it is
    if _SUSPECT.search(text) is not None:
        return True
    return _load_check()(text)
