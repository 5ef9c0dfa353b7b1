"""Where repaired text goes: an atomically replaced file, a streaming
unified diff, and a progress bar that shows only on a terminal."""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

__all__ = ["AtomicFile", "Progress", "UnifiedDiff"]

DIFF_CONTEXT = 3


# --------------------------------------------------------------------------
# Writing: stdout, atomic in-place, diff
# --------------------------------------------------------------------------

class AtomicFile:
    """Write a file's new content beside it, then swap it in atomically.

    The new text goes to a temp file in the same directory (so the final
    os.replace is a rename on one file system, all or nothing), is fsynced,
    gets the original's mode (and owner, where allowed), and replaces the original only in commit().
    Until then the original is untouched: a crash, kill -9 or power loss
    leaves it whole (at worst a stray ``.NAME.*.luanma-tmp`` file remains);
    abort() or any exception removes the temp file.
    """

    def __init__(self, path: str, backup: str | None) -> None:
        self.path = os.path.realpath(path)       # rewrite a symlink's target, keep the link
        self.backup = backup
        self.stat = os.stat(self.path)
        folder, base = os.path.split(self.path)
        fd, self.tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".luanma-tmp", dir=folder)
        self.fh: IO[bytes] = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        """Append to the new content."""
        self.fh.write(data)

    def commit(self) -> None:
        """Make the new content durable, keep a backup if asked, swap it in."""
        self.fh.flush()
        fd = self.fh.fileno()
        os.fsync(fd)
        try:
            os.fchown(fd, self.stat.st_uid, self.stat.st_gid)    # works as root or owner
        except OSError:
            pass
        os.fchmod(fd, self.stat.st_mode & 0o7777)                # after chown, which may clear bits
        self.fh.close()
        # Ctrl-C or SIGTERM now would only leave stray temp files behind:
        # hold them until the swap is done
        with _signals_held():
            if self.backup:
                _make_backup(self.path, self.path + self.backup)
            os.replace(self.tmp, self.path)
        _fsync_dir(os.path.dirname(self.path))

    def abort(self) -> None:
        """Drop the new content; the original stays as it was."""
        self.fh.close()
        try:
            os.unlink(self.tmp)
        except FileNotFoundError:
            pass


@contextmanager
def _signals_held() -> Iterator[None]:
    """Delay SIGINT/SIGTERM/SIGHUP until the block is done (where possible)."""
    held = {signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", signal.SIGTERM)}
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _make_backup(path: str, backup: str) -> None:
    """Keep the original as ``backup``: a hard link (instant, the very same
    bytes), or a copy where links are not possible.  Replaces an old backup."""
    tmp = backup + ".luanma-tmp"
    try:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.link(path, tmp)
    except OSError:
        import shutil

        shutil.copy2(path, tmp)
    os.replace(tmp, backup)


def _fsync_dir(folder: str) -> None:
    """Make a rename in ``folder`` durable (not possible everywhere)."""
    try:
        fd = os.open(folder or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class UnifiedDiff:
    """A streaming unified diff of records that map one to one.

    Records are compared in order (repair never adds or drops one), so hunks
    can be built as they come, holding only the context lines around them.
    """

    def __init__(self, out: IO[str], name: str) -> None:
        self.out = out
        self.name = name
        self.header_done = False
        self.old_no = self.new_no = 1              # next line numbers
        self.before: deque[str] = deque(maxlen=DIFF_CONTEXT)
        self.hunk: list[str] | None = None
        self.hunk_start = (0, 0)
        self.hunk_counts = [0, 0]
        self.gap: list[str] = []                    # context lines after the last change
        self.minus: list[str] = []                  # a run of changes, written together
        self.plus: list[str] = []
        self.changed = False

    def add(self, old: str, new: str) -> None:
        """Feed one record as read and as repaired."""
        old_lines = old.splitlines(keepends=True)
        new_lines = new.splitlines(keepends=True)
        if old == new:
            for line in old_lines:
                self._context(line)
        else:
            self._change(old_lines, new_lines)
        self.old_no += len(old_lines)
        self.new_no += len(new_lines)

    def _context(self, line: str) -> None:
        self._flush_change()
        if self.hunk is None:
            self.before.append(line)
            return
        self.gap.append(line)
        if len(self.gap) > 2 * DIFF_CONTEXT:         # too far from the next change
            self._close()
            self.before.extend(self.gap[-DIFF_CONTEXT:])
            self.gap = []

    def _change(self, old_lines: list[str], new_lines: list[str]) -> None:
        self.changed = True
        if self.hunk is None:
            n = len(self.before)
            self.hunk_start = (self.old_no - n, self.new_no - n)
            self.hunk, self.hunk_counts = [], [0, 0]
            self._emit(" ", list(self.before))
            self.before.clear()
        else:
            self._emit(" ", self.gap)
            self.gap = []
        self.minus += old_lines
        self.plus += new_lines

    def _flush_change(self) -> None:
        """Write the pending run of changed lines: removals, then additions."""
        if self.minus or self.plus:
            self._emit("-", self.minus)
            self._emit("+", self.plus)
            self.minus, self.plus = [], []

    def _emit(self, sign: str, lines: list[str]) -> None:
        assert self.hunk is not None
        for line in lines:
            self.hunk.append(sign + line if line.endswith("\n")
                             else f"{sign}{line}\n\\ No newline at end of file\n")
        self.hunk_counts[0] += len(lines) if sign in " -" else 0
        self.hunk_counts[1] += len(lines) if sign in " +" else 0

    def _close(self) -> None:
        """Write the open hunk with up to DIFF_CONTEXT lines of trailing context."""
        self._flush_change()
        if self.hunk is None:
            return
        self._emit(" ", self.gap[:DIFF_CONTEXT])
        if not self.header_done:
            self.out.write(f"--- {self.name}\n+++ {self.name}\n")
            self.header_done = True
        (o, n), (oc, nc) = self.hunk_start, self.hunk_counts
        self.out.write(f"@@ -{_range(o, oc)} +{_range(n, nc)} @@\n")
        self.out.write("".join(self.hunk))
        self.hunk = None

    def finish(self) -> None:
        """Write the last hunk."""
        self._close()
        self.gap = []


def _range(start: int, count: int) -> str:
    """A hunk range as diff writes it (an empty range starts one line earlier)."""
    if count == 1:
        return str(start)
    return f"{start if count else start - 1},{count}"


# --------------------------------------------------------------------------
# Progress
# --------------------------------------------------------------------------

class Progress:
    """Bytes done, on stderr, only when it is a terminal: tqdm if it is
    installed, else a one-line counter; silent in pipes and logs."""

    def __init__(self, total: int | None, enabled: bool) -> None:
        self.bar: Any = None
        self.enabled = enabled and sys.stderr.isatty()
        self.total, self.done, self.start, self.shown = total, 0, time.monotonic(), 0.0
        if not self.enabled:
            return
        try:
            import tqdm
        except ImportError:
            return
        tqdm.tqdm.monitor_interval = 0     # no monitor thread: workers may still fork
        self.bar = tqdm.tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                             file=sys.stderr, leave=False, desc="luanma")

    def update(self, nbytes: int) -> None:
        """Count bytes done."""
        if not self.enabled:
            return
        self.done += nbytes
        if self.bar is not None:
            self.bar.update(nbytes)
            return
        now = time.monotonic()
        if now - self.shown >= 0.2:
            self.shown = now
            rate = self.done / max(now - self.start, 1e-9) / 1e6
            of = f" / {self.total / 1e6:.1f} MB" if self.total else " MB"
            sys.stderr.write(f"\rluanma: {self.done / 1e6:.1f}{of}  {rate:.2f} MB/s ")
            sys.stderr.flush()

    def echo(self, message: str) -> None:
        """Print a message line without garbling the bar."""
        if self.bar is not None:
            self.bar.write(message, file=sys.stderr)
            return
        if self.enabled and self.shown:
            sys.stderr.write("\r\x1b[K")
        print(message, file=sys.stderr, flush=True)

    def close(self) -> None:
        """Remove the bar."""
        if self.bar is not None:
            self.bar.close()
        elif self.enabled and self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
