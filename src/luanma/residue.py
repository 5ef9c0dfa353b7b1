"""Script-conversion residue: pinyin a converter left after characters.

Some mirror sites convert simplified Chinese to traditional with a tool that
writes the pinyin of some converted characters in brackets right after them:
``網(wǎng)易首頁(yè)`` is ``网易首页``.  The text is not garbled -- no
bytes were misread -- so :func:`~luanma.repair` leaves it as it is and
:func:`~luanma.diagnose` reports each annotation as :class:`Residue`.  On
request (``strip_pinyin=True``, ``script="simplified"``) the annotations are
removed and the script converted back with OpenCC.

>>> [(r.char, r.reading) for r in find_residue("網(wǎng)易首頁(yè) > 正文")]
[('網', 'wǎng'), ('頁', 'yè')]
>>> clean("網(wǎng)易首頁(yè)", strip_pinyin=True, script="simplified")[0]
'网易首页'

An annotation counts only when all of these hold, because a bracketed Latin
word after a Chinese character is usually legitimate (``蘋果(Apple)``,
``北京(Běijīng)``, a textbook's ``长(zhǎng)``):

* it is one tone-marked pinyin syllable, alone in ASCII or full-width
  brackets, directly after the character;
* the character is one that OpenCC's ``t2s`` changes -- a traditional form
  a simplified-to-traditional converter writes, which simplified text does
  not use;
* the syllable is one of that character's readings in pypinyin's table
  (``data/residue_readings.tsv``, built by ``tools/build_residue.py``).

>>> find_residue("蘋果(Apple)、北京(Běijīng)、长(zhǎng)大、網(wang)")
()

Ordinary text pays at most two substring tests and one regex search: the
table is loaded the first time a tone-marked letter follows a bracket.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Sequence

__all__ = ["Residue", "SCRIPTS", "clean", "convert_script", "find_residue",
           "residue_note", "script_config", "strip_annotations"]

#: Tone-marked pinyin letters (NFC), and the combining marks of the same
#: tones for text in NFD.
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_COMBINING = "\u0304\u0301\u030c\u0300"
#: The prefilter: a bracket, up to five letters, a tone mark.  Clean text
#: almost never has it, so the full pattern and the table are rarely needed.
_HINT = re.compile(f"[(（][a-zêü]{{0,5}}[{_TONED}{_COMBINING}]")
#: One bracketed lowercase syllable (the longest, "zhuang", has six letters;
#: a decomposed tone mark is one more code point).
_ANNOTATION = re.compile(f"[(（]([a-zêü{_TONED}{_COMBINING}]{{1,7}})[)）]")


@dataclass(frozen=True)
class Residue:
    """One pinyin annotation at ``text[start:end]`` (brackets included),
    reading ``char``, the character just before it.

    >>> str(find_residue("網(wǎng)易")[0])
    "[1:7] pinyin annotation of '網': '(wǎng)'"
    """

    start: int
    end: int
    char: str
    reading: str       # the syllable, NFC
    text: str          # as it stands in the text, brackets included
    kind: str = "pinyin"

    def __str__(self) -> str:
        return f"[{self.start}:{self.end}] pinyin annotation of {self.char!r}: {self.text!r}"


@lru_cache(maxsize=None)
def _readings() -> dict[str, frozenset[str]]:
    """Character -> its tone-marked readings, for the characters OpenCC's
    t2s changes; loaded once (two threads racing here build equal values).

    >>> sorted(_readings()["長"])
    ['cháng', 'zhàng', 'zhǎng']
    """
    raw = resources.files("luanma").joinpath("data/residue_readings.tsv").read_text(encoding="utf-8")
    table = {}
    for line in raw.splitlines():
        if line and not line.startswith("#"):
            char, readings = line.split("\t")
            table[char] = frozenset(readings.split(","))
    return table


def find_residue(text: str) -> tuple[Residue, ...]:
    """Every pinyin annotation a simplified-to-traditional converter left in
    ``text``, in order (see the module docstring for what counts).

    >>> [r.text for r in find_residue("當(dāng)大模型（xíng）")]
    ['(dāng)']
    >>> find_residue("这是正常的中文。")
    ()
    """
    # why two tests before the regex: `in` is a plain memory scan, far
    # cheaper than a regex over a line that has no bracket at all
    if "(" not in text and "（" not in text:
        return ()
    if _HINT.search(text) is None:
        return ()
    table = _readings()
    out = []
    for m in _ANNOTATION.finditer(text):
        a = m.start()
        if a == 0:
            continue
        char = text[a - 1]
        reading = unicodedata.normalize("NFC", m.group(1))
        if reading in table.get(char, ()):
            out.append(Residue(a, m.end(), char, reading, m.group()))
    return tuple(out)


def strip_annotations(text: str, found: Sequence[Residue] | None = None) -> str:
    """``text`` without the annotations ``found`` (default: all of them).

    >>> strip_annotations("網(wǎng)易首頁(yè) > 網(wǎng)易號(hào)")
    '網易首頁 > 網易號'
    >>> s = "蘋果(Apple)"
    >>> strip_annotations(s) is s
    True
    """
    if found is None:
        found = find_residue(text)
    if not found:
        return text
    out, pos = [], 0
    for r in sorted(found, key=lambda r: r.start):
        if text[r.start:r.end] != r.text or r.start < pos:
            raise ValueError(f"annotation {r} does not fit this text")
        out.append(text[pos:r.start])
        pos = r.end
    out.append(text[pos:])
    return "".join(out)


#: ``script=`` words and the OpenCC configuration each means; any other
#: value is taken as an OpenCC configuration name (``s2tw``, ``tw2sp``...).
SCRIPTS: dict[str, str | None] = {"keep": None, "simplified": "t2s", "traditional": "s2t"}


def script_config(script: str) -> str | None:
    """The OpenCC configuration ``script`` means (None: keep the script);
    ValueError if OpenCC has no such configuration.

    >>> script_config("simplified"), script_config("keep"), script_config("s2tw")
    ('t2s', None, 's2tw')
    """
    config = SCRIPTS.get(script, script)
    if config is not None:
        _converter(config)
    return config


@lru_cache(maxsize=32)
def _converter(config: str):  # -> opencc.OpenCC
    """One OpenCC converter per configuration, made once."""
    import opencc

    if not re.fullmatch(r"[a-z0-9]+", config or ""):
        raise ValueError(f"unknown script {config!r}: use keep, simplified, traditional "
                         "or an OpenCC configuration name such as s2tw")
    try:
        return opencc.OpenCC(config)
    except RuntimeError:
        raise ValueError(f"unknown script {config!r}: use keep, simplified, traditional "
                         "or an OpenCC configuration name such as s2tw") from None


def convert_script(text: str, script: str) -> str:
    """``text`` converted by OpenCC (``script``: see :data:`SCRIPTS`); the
    same object when nothing changes.

    >>> convert_script("網易首頁", "simplified")
    '网易首页'
    >>> convert_script("网易首页", "traditional")
    '網易首頁'
    """
    config = script_config(script)
    if config is None or text.isascii():
        return text
    out = _converter(config).convert(text)
    return text if out == text else out


def clean(text: str, *, strip_pinyin: bool = False, script: str = "keep"
          ) -> tuple[str, tuple[Residue, ...]]:
    """The annotations in ``text``, and ``text`` with the opt-in cleaning
    applied: annotations removed (``strip_pinyin``), then the script
    converted (``script``).  With neither, ``text`` comes back as it is.

    >>> clean("網(wǎng)易", strip_pinyin=True)
    ('網易', (Residue(start=1, end=7, char='網', reading='wǎng', text='(wǎng)', kind='pinyin'),))
    >>> clean("網(wǎng)易")[0]
    '網(wǎng)易'
    """
    found = find_residue(text)
    out = strip_annotations(text, found) if strip_pinyin else text
    return convert_script(out, script), found


def residue_note(found: Sequence[Residue], stripped: bool) -> str | None:
    """diagnose()'s note on the annotations (None if there are none).

    >>> print(residue_note(find_residue("網(wǎng)易首頁(yè)"), stripped=False))
    2 pinyin annotations after traditional characters (script-conversion residue, \
first [1:7] '(wǎng)'): not garbled, left as is (strip_pinyin=True removes them)
    """
    if not found:
        return None
    n = len(found)
    what = (f"{n} pinyin annotation{'s' if n > 1 else ''} after traditional characters "
            f"(script-conversion residue, first [{found[0].start}:{found[0].end}] "
            f"{found[0].text!r})")
    if stripped:
        return what + ": removed (strip_pinyin)"
    return what + ": not garbled, left as is (strip_pinyin=True removes them)"
