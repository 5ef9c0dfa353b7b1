#!/usr/bin/env python3
"""Build ``src/luanma/data/gates.json``, the character tables of the fast path.

Run from the repository root after ``tools/build_model.py`` (the tables are
read off the language model and Python's codecs)::

    python tools/build_gates.py            # write the file
    python tools/build_gates.py --check    # exit 1 if the file is stale

Two tables (see ``luanma.fastpath`` for how they are used):

``decoded``
    The ``DECODED_TOP`` most frequent characters of U+0800..U+FFFF in the
    model's unigram table (less the hangul syllables outside KS X 1001),
    plus CJK and general punctuation.  UTF-8 bytes
    shown through a CJK code page decode back to such characters; the legacy
    bytes of clean text almost never do, two in a row.
``frequent``
    The same for the ``FREQUENT_TOP`` most frequent: a '?' beside anything
    else may be a decoder's mark for a cut character.
``utf8_prefilter``
    Per CJK code page, alternatives (each a sequence of character sets, one
    character from each, adjacent) of which one must be present before
    signature 4 is worth an encode (see ``utf8_prefilter`` and
    ``cp932_prefilter``).
``legacy_pairs``
    For GBK shown as Big5 and Big5 shown as GBK: the characters the wrong
    decoder shows whose bytes, read with the true encoding, give a character
    at least ``LEGACY_GAIN`` log10 units more frequent (unigram); letters
    only.  Mojibake of
    one of these code pages in the other is dense with them; clean text is
    not.

The output is deterministic (sorted characters, no timestamps).
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from luanma.model import get_model  # noqa: E402

OUT = ROOT / "src" / "luanma" / "data" / "gates.json"
DECODED_TOP = 10000
FREQUENT_TOP = 4000
LEGACY_GAIN = 1.0
#: (true encoding, decoder that showed it)
LEGACY_PAIRS = (("gbk", "big5"), ("big5", "gbk"))
#: Punctuation that real text holds and UTF-8 mojibake decodes back to.
PUNCT = [(0x2010, 0x2027), (0x3000, 0x303F), (0xFF01, 0xFF5E)]


def _rare_hangul(c: str) -> bool:
    """A hangul syllable outside KS X 1001's 2,350: CP949 has the other
    8,822 only as an extension, and real text hardly uses them -- but a
    CP949 decoder shows UTF-8 continuation bytes as exactly these."""
    if not 0xAC00 <= ord(c) <= 0xD7A3:
        return False
    try:
        c.encode("euc_kr")
    except UnicodeEncodeError:
        return True
    return False


def decoded_table(top: int = 0) -> str:
    top = top or DECODED_TOP
    lm = get_model()
    # three-byte UTF-8 only: what CJK text is made of (two-byte sequences
    # -- Latin, Greek, Cyrillic -- are everywhere in legacy CJK bytes)
    voc = [c for c in lm.vocabulary() if 0x800 <= ord(c) < 0x10000 and not _rare_hangul(c)]
    voc.sort(key=lambda c: (-lm.unigram_logp(c), c))
    chars = set(voc[:top])
    chars.update(chr(o) for lo, hi in PUNCT for o in range(lo, hi + 1))
    return "".join(sorted(chars))


def legacy_table(true_enc: str, shown: str, gain: float = LEGACY_GAIN) -> str:
    lm = get_model()
    out = set()
    for lead in range(0x81, 0xFF):
        for trail in list(range(0x40, 0x7F)) + list(range(0x80, 0xFF)):
            b = bytes([lead, trail])
            try:
                g, o = b.decode(shown), b.decode(true_enc)
            except UnicodeDecodeError:
                continue
            # letters only: symbols and punctuation (“, ☆, ②) are
            # shared by real text in both scripts
            if len(g) == 1 and len(o) == 1 and ord(g) < 0x10000 \
                    and unicodedata.category(g).startswith("L") \
                    and lm.unigram_logp(o) - lm.unigram_logp(g) >= gain:
                out.add(g)
    return "".join(sorted(out))


#: Python codec per CJK family (as luanma.fastpath._CJK_CODECS) whose high
#: bytes come in pairs, so a cheap character test can stand before the
#: encode-and-decode one.
PAIRED_CODECS = {"gb18030": ("gbk", "gb18030"), "cp950": ("cp950", "big5hkscs"),
                 "cp949": ("cp949", "euc_kr"), "euc_jp": ("euc_jp",)}


def utf8_prefilter(codecs: tuple[str, ...]) -> list[str]:
    """[B, C]: characters whose two bytes are a UTF-8 lead (E0..F4) and a
    continuation byte (80..BF), and characters whose first byte is a
    continuation byte.  Where a code page reads two-byte characters, the
    bytes of two UTF-8 characters of three or four bytes always hold a B
    character followed by a C one, whatever the alignment -- so text with
    no such pair cannot show signature 4 under that code page."""
    b_chars, c_chars = set(), set()
    if "gbk" in codecs:
        c_chars.add("\u20ac")          # WHATWG's GBK: 0x80 alone is '€'
    for codec in codecs:
        for lead in range(0x81, 0xFF):
            for trail in range(0x40, 0xFF):
                try:
                    ch = bytes((lead, trail)).decode(codec)
                except UnicodeDecodeError:
                    continue
                if len(ch) != 1:
                    continue
                if 0xE0 <= lead <= 0xF4 and 0x80 <= trail <= 0xBF:
                    b_chars.add(ch)
                if 0x80 <= lead <= 0xBF:
                    c_chars.add(ch)
    return ["".join(sorted(b_chars)), "".join(sorted(c_chars))]


def _byte_class(b: int) -> str:
    """'L' for a UTF-8 lead byte of three or four (E0..F4), 'C' for a
    continuation byte (80..BF), 'O' for any other."""
    return "L" if 0xE0 <= b <= 0xF4 else "C" if 0x80 <= b <= 0xBF else "O"


def encoded_classes(codec: str) -> dict[str, set[str]]:
    """Every character ``codec`` encodes, by the classes of its bytes
    ("LC": a lead then a continuation byte), as the fast path's
    ``text.encode(codec)`` sees them."""
    out: dict[str, set[str]] = {}
    for o in range(0x80, 0x110000):
        if 0xD800 <= o < 0xE000:
            continue
        try:
            b = chr(o).encode(codec)
        except UnicodeEncodeError:
            continue
        out.setdefault("".join(map(_byte_class, b)), set()).add(chr(o))
    return out


def cp932_prefilter() -> list[list[str]]:
    """Alternatives for CP932, whose single-byte halfwidth katakana break the
    pairing that ``utf8_prefilter`` relies on.

    Two adjacent characters of the ``decoded`` table are, in UTF-8, ``L C C``
    (three bytes) or ``F0 9F C C`` (an emoji), twice.  CP932 reads a byte
    80..BF alone (U+0080, U+F8F0, halfwidth katakana: class "C") or as the
    lead of a pair (81..9F), E0..F4 only as a lead, and its characters have
    at most two bytes.  Cutting ``L C C L C C`` or ``L C C C L C C`` into
    such characters, from an offset of 0 or 1, every way holds a "C"
    character or an "LC" one -- except ``[. L] | C C | C L | C C``, which
    needs a four-byte character first, i.e. an emoji, whose second byte,
    now a lead, is 9F.  So a match of the signature-4 test implies one of
    "C" or "LC", or a character led by 9F followed by a "CL" one.
    (``tests/test_fastpath.py`` checks this by enumerating the cuts.)
    """
    cls = encoded_classes("cp932")
    lead9f = {c for c in cls.get("CC", ()) if c.encode("cp932")[0] == 0x9F}
    return [["".join(sorted(cls.get("C", set()) | cls.get("LC", set())))],
            ["".join(sorted(lead9f)), "".join(sorted(cls.get("CL", set())))]]


def build() -> str:
    data = {
        "about": "built by tools/build_gates.py from charlm.bin and Python's codecs",
        "decoded_top": DECODED_TOP,
        "legacy_gain": LEGACY_GAIN,
        "decoded": decoded_table(),
        "frequent": decoded_table(FREQUENT_TOP),
        "frequent_top": FREQUENT_TOP,
        "legacy_pairs": {f"{t} -> {s}": legacy_table(t, s) for t, s in LEGACY_PAIRS},
        "utf8_prefilter": {**{name: [utf8_prefilter(codecs)] for name, codecs in PAIRED_CODECS.items()},
                           "cp932": cp932_prefilter()},
    }
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare with the committed file")
    args = ap.parse_args()
    text = build()
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print("gates.json is up to date" if same else "gates.json is stale: run tools/build_gates.py")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
