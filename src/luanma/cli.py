"""The ``luanma`` command: repair files or stdin, write stdout.

    luanma FILE...            repair and print
    luanma --explain FILE     also print each span's plan to stderr
    luanma --check FILE       exit 1 and list garbled spans if any are found
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .repair import diagnose

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="luanma", description="Repair CJK mojibake (乱码).")
    p.add_argument("files", nargs="*", help="UTF-8 text files (default: stdin)")
    p.add_argument("--explain", action="store_true", help="print each repair's plan to stderr")
    p.add_argument("--check", action="store_true",
                   help="print garbled spans and exit 1 if there are any; write no text")
    p.add_argument("--version", action="version", version=f"luanma {__version__}")
    return p


def _lines(files: Sequence[str]):
    if not files:
        for line in sys.stdin:
            yield "<stdin>", line
        return
    for name in files:
        with open(name, encoding="utf-8", newline="") as fh:
            for line in fh:
                yield name, line


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sys.stdout.reconfigure(encoding="utf-8", newline="")  # type: ignore[attr-defined]
    found = 0
    lineno: dict[str, int] = {}
    try:
        for name, line in _lines(args.files):
            lineno[name] = lineno.get(name, 0) + 1
            d = diagnose(line)
            for fix in d.spans:
                found += 1
                if args.check or args.explain:
                    print(f"{name}:{lineno[name]}: {fix}", file=sys.stderr if args.explain else sys.stdout)
            if not args.check:
                sys.stdout.write(d.repaired)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"luanma: {exc}", file=sys.stderr)
        return 2
    return 1 if args.check and found else 0


if __name__ == "__main__":
    sys.exit(main())
