#!/usr/bin/env python3
"""Build ``src/luanma/data/residue_readings.tsv``, the reading table of
``luanma.residue`` (pinyin annotations left by a simplified-to-traditional
converter: ``網(wǎng)易首頁(yè)``).

Run from the repository root (needs ``pip install 'luanma[tools]'``, which
brings pypinyin)::

    python tools/build_residue.py            # write the file
    python tools/build_residue.py --check    # exit 1 if the file is stale

Which characters: those OpenCC's ``t2s`` changes when converted alone, i.e.
the characters a simplified-to-traditional converter writes and that
simplified text does not use -- the only ones after which an annotation is
counted as conversion residue (see docs/residue.md).  CJK compatibility
ideographs take the readings of their canonical (NFC) equivalents.

What readings: every tone-marked reading pypinyin's single-character table
(``pypinyin.pinyin_dict``, from the pinyin-data project, MIT) lists for the
character, heteronyms included.  A character pypinyin has no reading for is
left out (an annotation after it cannot be checked, so is not counted).

The output is deterministic (code-point order, readings in pypinyin's order).
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src" / "luanma" / "data" / "residue_readings.tsv"

#: CJK unified ideographs (basic, extension A, B-F...) and compatibility ideographs.
RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FFFF))


def build() -> str:
    """The file's text: a header comment, then ``char<TAB>reading,reading``."""
    import opencc
    import pypinyin
    from pypinyin.pinyin_dict import pinyin_dict

    t2s = opencc.OpenCC("t2s")
    lines = [f"# built by tools/build_residue.py from pypinyin {pypinyin.__version__} "
             "(pinyin-data, MIT) and OpenCC t2s; do not edit"]
    for a, b in RANGES:
        for cp in range(a, b + 1):
            ch = chr(cp)
            if t2s.convert(ch) == ch:
                continue
            readings = pinyin_dict.get(cp) or pinyin_dict.get(ord(unicodedata.normalize("NFC", ch)))
            if readings:
                lines.append(f"{ch}\t{readings}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the table, or with ``--check`` compare it with the file."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = p.parse_args(argv)
    text = build()
    if args.check:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is stale: run tools/build_residue.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({text.count(chr(10)) - 1} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
