"""The ``luanma`` command: a Unix filter that repairs CJK mojibake.

    luanma FILE...                       repair, print to stdout (stdin if no FILE)
    luanma --in-place [--backup .bak] F  rewrite F atomically
    luanma --jsonl --field text F        repair only these JSON Lines fields
    luanma --jsonl F                     repair every string value (not keys)
    luanma --csv --column title F        repair only these CSV columns
    luanma --check F                     list garbled spans; exit 1 if any
    luanma --diff F                      unified diff of what would change
    luanma --explain F                   also print each span's plan to stderr
    luanma --jobs 4 F                    repair in 4 processes, streaming
    luanma --strip-pinyin --script simplified F
                                         also remove converter pinyin (網(wǎng)), convert to simplified

Input is read as strict UTF-8 unless ``--encoding`` says otherwise
(``auto`` detects it per file); output is always UTF-8.  Everything that is
not repaired comes out byte for byte as it went in.  Exit status: 0 done,
1 ``--check`` found spans or ``--diff`` found changes, 2 an error (a
message ``luanma: FILE:LINE: what`` on stderr; a file being rewritten in
place is then left as it was).
"""

from __future__ import annotations

import argparse
import codecs
import io
import os
import signal
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from types import FrameType
from typing import IO

from . import __version__
from .batch import prepare_to_fork, resolve_jobs, stop_pool, worker_pool
from .records import Mode, records
from .repair import assumed_hypotheses
from .residue import script_config
from .sinks import AtomicFile, Progress, UnifiedDiff

__all__ = ["main"]

STDIN = "-"
EXIT_OK, EXIT_FOUND, EXIT_ERROR = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    """The command line (see the module docstring)."""
    p = argparse.ArgumentParser(
        prog="luanma", description="Repair CJK mojibake (乱码) in text, JSON Lines or CSV.",
        epilog="Exit status: 0 ok, 1 --check found spans / --diff found changes, 2 error.")
    p.add_argument("files", nargs="*", metavar="FILE", help="input files (default or '-': stdin)")
    what = p.add_argument_group("what to repair")
    what.add_argument("--jsonl", action="store_true",
                      help="input is JSON Lines; repair the --field strings, or without "
                           "--field every string value at any depth (keys are never touched)")
    what.add_argument("--field", action="append", default=[], metavar="NAME",
                      help="a JSON field to repair; dotted path a.b for nested objects, "
                           "a number for a list index (repeatable)")
    what.add_argument("--csv", action="store_true",
                      help="input is CSV with a header row; repair only the --column cells")
    what.add_argument("--column", action="append", default=[], metavar="NAME",
                      help="a CSV column (header name) to repair (repeatable)")
    what.add_argument("--delimiter", default=",", metavar="CHAR",
                      help="CSV field delimiter (default ','; '\\t' for tab)")
    what.add_argument("--encoding", default="utf-8", metavar="ENC",
                      help="input encoding (default: utf-8, strict); 'auto' detects it "
                           "per file. Output is always UTF-8")
    out = p.add_argument_group("what to do")
    out.add_argument("-i", "--in-place", action="store_true",
                     help="rewrite each FILE atomically (temp file, fsync, rename); a file "
                          "in which nothing is repaired is not touched")
    out.add_argument("--backup", metavar="SUFFIX",
                     help="with --in-place, keep the original as FILE+SUFFIX")
    out.add_argument("--check", action="store_true",
                     help="list garbled spans as FILE:LINE: span and exit 1 if any; write no text")
    out.add_argument("--diff", action="store_true",
                     help="print a unified diff of what would change and exit 1 if "
                          "anything would; write no text")
    out.add_argument("--explain", action="store_true", help="print each span's plan to stderr")
    clean = p.add_argument_group("opt-in cleaning of text that is not garbled (luanma.residue)")
    clean.add_argument("--strip-pinyin", action="store_true",
                       help="remove the pinyin a simplified-to-traditional converter wrote after "
                            "characters, as in 網(wǎng)易 (only annotations that read their character)")
    clean.add_argument("--script", default="keep", metavar="TO",
                       help="convert the script with OpenCC after repairing: keep (default), "
                            "simplified, traditional, or an OpenCC configuration (s2tw, tw2sp...)")
    what.add_argument("--assume", action="append", default=[], metavar="CHAIN",
                      help="a chain known to have garbled this input (e.g. 'gbk -> big5'; "
                           "repeatable): searched in every record, whose pieces then need no "
                           "more proof than reading better -- for short values that cannot "
                           "prove it alone")
    run = p.add_argument_group("how")
    run.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                     help="repair in N processes, this one and N-1 workers (0 = one per CPU; default 1)")
    run.add_argument("--no-progress", action="store_true",
                     help="no progress bar (there is one only when stderr is a terminal)")
    p.add_argument("--version", action="version", version=f"luanma {__version__}")
    return p


def _parse_args(argv: Sequence[str] | None) -> tuple[argparse.Namespace, Mode]:
    """Parse and cross-check the options; argparse exits 2 on misuse."""
    p = _parser()
    args = p.parse_args(argv)
    if args.jsonl and args.csv:
        p.error("--jsonl and --csv exclude each other")
    if args.field and not args.jsonl:
        p.error("--field needs --jsonl")
    if args.column and not args.csv:
        p.error("--column needs --csv")
    if args.csv and not args.column:
        p.error("--csv needs at least one --column NAME")
    if sum((args.in_place, args.check, args.diff)) > 1:
        p.error("--in-place, --check and --diff exclude each other")
    if args.backup is not None and not args.in_place:
        p.error("--backup needs --in-place")
    if args.backup == "":
        p.error("--backup needs a non-empty SUFFIX")
    if args.in_place and (not args.files or STDIN in args.files):
        p.error("--in-place needs FILE arguments (stdin cannot be rewritten)")
    if args.jobs < 0:
        p.error("--jobs must be >= 0")
    delimiter = {"\\t": "\t", "tab": "\t"}.get(args.delimiter, args.delimiter)
    if len(delimiter) != 1 or delimiter in '"\r\n':
        p.error("--delimiter must be one character other than a quote or newline")
    if args.encoding.lower() != "auto":
        try:
            codecs.lookup(args.encoding)
        except LookupError:
            p.error(f"unknown encoding {args.encoding!r}")
    try:
        script_config(args.script)
        assumed_hypotheses(args.assume)
    except ValueError as exc:
        p.error(str(exc))
    kind = "jsonl" if args.jsonl else "csv" if args.csv else "text"
    fields = tuple(dict.fromkeys(tuple(f.split(".")) for f in args.field))
    mode = Mode(kind, fields, tuple(dict.fromkeys(args.column)), delimiter,
                want_spans=args.check or args.explain, strip_pinyin=args.strip_pinyin,
                script=args.script, assume=tuple(dict.fromkeys(args.assume)))
    return args, mode


# --------------------------------------------------------------------------
# Driving it
# --------------------------------------------------------------------------

@dataclass
class Run:
    """State of one command run across its files."""

    args: argparse.Namespace
    mode: Mode
    pool: ProcessPoolExecutor | None
    progress: Progress
    #: this process repairs every n-th batch itself (0: none; see ordered_map)
    here_every: int = 0
    status: int = EXIT_OK
    notes: list[str] = field(default_factory=list)

    def error(self, name: str, lineno: int | None, message: str) -> None:
        """Report ``luanma: FILE:LINE: what`` and remember to exit 2."""
        where = f"{name}:{lineno}" if lineno else name
        self.progress.echo(f"luanma: {where}: {message}")
        self.status = EXIT_ERROR


def _process_file(run: Run, name: str, fh: IO[bytes], sink: _Writer | UnifiedDiff | None
                  ) -> bool:
    """Stream one input through repair into ``sink``; False on an input error.

    ``sink`` is the writer for stdout or the in-place temp file (bytes), a
    UnifiedDiff, or None for --check.
    """
    label = "<stdin>" if name == STDIN else name
    check, explain = run.args.check, run.args.explain
    out = sys.stdout
    interactive = isinstance(sink, _Writer) and sink.tty     # line by line on a terminal
    outcomes = records(fh, label, run.mode, run.args.encoding, run.notes, run.pool,
                       run.here_every)
    for unit, outcome in outcomes:
        if run.notes:
            _print_notes(run)
        if outcome.error is not None:
            run.error(label, unit.lineno, outcome.error)
            return False
        for span in outcome.spans:
            line = f"{label}:{unit.lineno}: {span}"
            if check:
                out.write(line + "\n")
            if explain:
                run.progress.echo(line)
        if outcome.spans and check:
            run.status = max(run.status, EXIT_FOUND)
        if isinstance(sink, UnifiedDiff):
            sink.add(unit.raw, outcome.text)
        elif sink is not None:
            sink.write(outcome.text.encode("utf-8"))
            sink.changed |= outcome.text is not unit.raw and outcome.text != unit.raw
            if interactive:
                sys.stdout.flush()
        run.progress.update(unit.nbytes)
    return True


class _Writer:
    """Repaired text as UTF-8 bytes to stdout or an AtomicFile; remembers
    whether any record changed (an unchanged file is not rewritten)."""

    def __init__(self, target: IO[bytes] | AtomicFile) -> None:
        self.write = target.write
        self.changed = False
        self.tty = isinstance(target, io.IOBase) and target.isatty()


def _open_input(run: Run, name: str) -> IO[bytes] | None:
    """Open an input for reading bytes; report and return None if it cannot be."""
    if name == STDIN:
        return sys.stdin.buffer
    try:
        if os.path.isdir(name):
            raise IsADirectoryError(21, "Is a directory")
        return open(name, "rb")
    except OSError as exc:
        run.error(name, None, exc.strerror or str(exc))
        return None


def _do_file(run: Run, name: str) -> None:
    """Process one input in the mode the options ask for."""
    fh = _open_input(run, name)
    if fh is None:
        return
    try:
        if run.args.in_place:
            _do_in_place(run, name, fh)
        elif run.args.diff:
            diff = UnifiedDiff(sys.stdout, name)
            ok = _process_file(run, name, fh, diff)
            diff.finish()
            if ok and diff.changed:
                run.status = max(run.status, EXIT_FOUND)
        else:
            _process_file(run, name, fh, None if run.args.check else _Writer(sys.stdout.buffer))
        sys.stdout.flush()
    finally:
        if fh is not sys.stdin.buffer:
            fh.close()
        _print_notes(run)


def _print_notes(run: Run) -> None:
    """With --explain, say how each file was read (a detected encoding)."""
    for note in run.notes:
        if run.args.explain:
            run.progress.echo(f"luanma: {note}")
    run.notes.clear()


def _do_in_place(run: Run, name: str, fh: IO[bytes]) -> None:
    """Rewrite one file atomically; leave it untouched on error or no change."""
    try:
        target = AtomicFile(name, run.args.backup)
    except OSError as exc:
        run.error(name, None, f"cannot write beside it: {exc.strerror or exc}")
        return
    sink = _Writer(target)
    try:
        ok = _process_file(run, name, fh, sink)
        if ok and sink.changed:
            target.commit()
        else:
            target.abort()
    except OSError as exc:
        target.abort()    # a full disk...: the original stays, go on with the next file
        run.error(name, None, f"cannot write: {exc.strerror or exc}; left as it was")
    except BaseException:
        target.abort()    # Ctrl-C, SIGTERM: the original stays
        raise


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C, so temp files are removed."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """Turn a termination signal into an exception (see Terminated)."""
    raise Terminated(signum)


def _input_size(files: Sequence[str]) -> int | None:
    """Total bytes to read, for the progress bar (None if unknown)."""
    try:
        return sum(os.path.getsize(f) for f in files) if files and STDIN not in files else None
    except OSError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    args, mode = _parse_args(argv)
    sys.stdout.reconfigure(encoding="utf-8", newline="")  # type: ignore[attr-defined]
    jobs = resolve_jobs(args.jobs)
    # one pool for all files, made before any thread (tqdm) or signal handler;
    # this process is one of the ``jobs``: a worker process fewer is one
    # copy fewer of the model and its caches (--jobs 2 on the 2 MB ETL file:
    # tree peak RSS 200 -> 179 MB, the same output)
    pool = None
    if jobs > 1:
        # workers fork from here at the first task: what this process loads
        # first, they share instead of copying
        prepare_to_fork()
        pool = worker_pool(jobs - 1)
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, _on_signal)
    files = args.files or [STDIN]
    progress = Progress(_input_size(files), enabled=not (args.no_progress or args.explain))
    run = Run(args, mode, pool, progress, here_every=jobs if pool is not None else 0)
    finished = False
    try:
        for name in files:
            _do_file(run, name)
        finished = True
    except KeyboardInterrupt as exc:
        progress.echo("luanma: interrupted")
        return 128 + (exc.signum if isinstance(exc, Terminated) else signal.SIGINT)
    except BrokenPipeError:
        # the reader went away (| head): stop quietly with the status a
        # filter killed by SIGPIPE has
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + getattr(signal, "SIGPIPE", 13)
    except OSError as exc:   # stdout itself failed (a full disk...)
        progress.echo(f"luanma: cannot write output: {exc.strerror or exc}")
        return EXIT_ERROR
    finally:
        progress.close()
        if pool is not None:
            stop_pool(pool, kill=not finished)
    return run.status


if __name__ == "__main__":
    sys.exit(main())
