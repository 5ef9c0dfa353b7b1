r"""Records of an input file and their repair: the engine of the ``luanma`` command.

Bytes are read as numbered lines (strictly decoded; ``auto`` detects the
encoding from a bounded sample), grouped into records (a line; a JSON Lines
record; a CSV record, which may span lines), and each record is repaired in
a way that leaves every byte outside the repaired strings as it was.

>>> mode = Mode("jsonl", fields=(("t",),))
>>> _fix_jsonl('{"t": "鍥炬爣",  "n": 1.50}\n', mode).text
'{"t": "图标",  "n": 1.50}\n'
>>> _fix_jsonl('{"n": 1, "t": "\\u9365\\u70ac\\u7223"}\n', mode).text  # escaped stays escaped
'{"n": 1, "t": "\\u56fe\\u6807"}\n'
>>> _fix_jsonl('{"鍥炬爣": ["鍥炬爣", 2], "x": {"y": "ok"}}\n', Mode("jsonl")).text  # all values
'{"鍥炬爣": ["图标", 2], "x": {"y": "ok"}}\n'
>>> mode = Mode("csv", columns=("t",), column_index=(("t", 1),))
>>> _fix_csv(Unit(2, '7,"鍥炬爣",x\r\n', 0, ["7", "鍥炬爣", "x"]), mode).text
'7,"图标",x\r\n'
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import IO, Any, NamedTuple

from .batch import ordered_map
from .repair import diagnose

__all__ = ["InputError", "Line", "Mode", "Outcome", "Unit", "process_batch", "read_lines",
           "records"]

#: Records per task sent to a worker, and a cap on a task's characters.
#: repair() costs from a few ms to a second per non-ASCII record, against
#: well under a millisecond to send a task: small tasks keep the first
#: output (and the progress bar) coming soon, and the few in flight small.
BATCH_RECORDS = 16
BATCH_CHARS = 64 * 1024
#: --encoding auto reads ahead until it has this much non-ASCII text to
#: look at (or MAX_SNIFF bytes in all, or the end of the file).
SNIFF_NON_ASCII = 64 * 1024
MAX_SNIFF = 8 * 1024 * 1024


class InputError(Exception):
    """Input that cannot be processed as asked: reported as FILE:LINE: what."""

    def __init__(self, lineno: int, message: str) -> None:
        super().__init__(message)
        self.lineno = lineno
        self.message = message


@dataclass(frozen=True)
class Mode:
    """What a record is and which parts of it to repair (sent to workers)."""

    kind: str                                   # "text", "jsonl" or "csv"
    fields: tuple[tuple[str, ...], ...] = ()    # jsonl: dotted paths, split; () = all strings
    columns: tuple[str, ...] = ()               # csv: header names
    delimiter: str = ","
    want_spans: bool = False                    # --check / --explain / --diff
    column_index: tuple[tuple[str, int], ...] = ()   # csv: (name, position), per file
    strip_pinyin: bool = False                  # --strip-pinyin (luanma.residue)
    script: str = "keep"                        # --script
    assume: tuple[str, ...] = ()                # --assume


# --------------------------------------------------------------------------
# Reading: bytes -> numbered lines of text
# --------------------------------------------------------------------------

class Line(NamedTuple):
    """One physical line: its number, its text (line ending kept), its size."""

    lineno: int
    text: str
    nbytes: int


def _ascii_compatible(encoding: str) -> bool:
    """True if the encoding writes newline as byte 0x0A and never uses that
    byte inside a character: then lines can be split before decoding, which
    gives exact line numbers for decode errors.  True for UTF-8, GBK, Big5,
    Shift_JIS, EUC-*, single-byte pages; false for UTF-16/32."""
    try:
        return "\n".encode(encoding) == b"\n" and "a\n".encode(encoding) == b"a\n"
    except (LookupError, UnicodeError):
        return False


def _decode_line(raw: bytes, lineno: int, encoding: str, hint: str) -> str:
    """Strictly decode one line; a NUL byte or a bad byte is an InputError."""
    nul = raw.find(b"\0")
    if nul >= 0:
        raise InputError(lineno, f"NUL byte at column {nul + 1}: a binary file?")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        bad = raw[exc.start:exc.end].hex(" ")
        raise InputError(lineno, f"not valid {encoding} (byte {bad} at column {exc.start + 1})"
                         f"{hint}") from None


def _split_lines(fh: IO[bytes], encoding: str, hint: str,
                 first: Iterable[bytes] = ()) -> Iterator[Line]:
    """Lines of an ASCII-compatible encoding, split on b"\\n" before decoding."""
    for lineno, raw in enumerate(_chain(first, fh), start=1):
        yield Line(lineno, _decode_line(raw, lineno, encoding, hint), len(raw))


def _chain(first: Iterable[bytes], rest: IO[bytes]) -> Iterator[bytes]:
    """Lines already read ahead, then the rest of the file."""
    yield from first
    yield from rest


def _wide_lines(fh: IO[bytes], encoding: str) -> Iterator[Line]:
    """Lines of UTF-16/32 input (newline is not one byte): decode as a stream."""
    reader = io.TextIOWrapper(fh, encoding=encoding, errors="strict", newline="")
    lineno = 0
    try:
        for text in reader:
            lineno += 1
            yield Line(lineno, text, len(text.encode(encoding, "surrogatepass")))
    except UnicodeDecodeError as exc:
        raise InputError(lineno + 1, f"not valid {encoding} ({exc.reason})") from None
    finally:
        reader.detach()   # the caller owns and closes the file


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _auto_lines(fh: IO[bytes], name: str, notes: list[str]) -> Iterator[Line]:
    """--encoding auto: read ahead a bounded sample, detect, then stream.

    The sample is whole lines, up to SNIFF_NON_ASCII bytes of non-ASCII
    lines (only those tell encodings apart) or MAX_SNIFF bytes in all.
    Every line is then decoded strictly with the one encoding found, so a
    file in two encodings fails loudly at the first line that does not fit.
    """
    head = fh.peek(4)[:4] if hasattr(fh, "peek") else b""
    for bom, enc in _BOMS:
        if head.startswith(bom):
            notes.append(f"{name}: read as {enc} (byte order mark)")
            yield from _wide_lines(fh, enc)
            return
    sample: list[bytes] = []
    non_ascii: list[bytes] = []
    size = seen = 0
    for raw in fh:
        sample.append(raw)
        size += len(raw)
        if not raw.isascii():
            non_ascii.append(raw)
            seen += len(raw)
        if seen >= SNIFF_NON_ASCII or size >= MAX_SNIFF:
            break
    encoding, confidence = _detect(sample, non_ascii)
    if encoding != "utf-8":
        notes.append(f"{name}: read as {encoding} (detected, confidence {confidence:.2f})")
    hint = "; the encoding was detected from the start of the file, give --encoding"
    yield from _split_lines(fh, encoding, hint, first=sample)


def _detect(sample: list[bytes], non_ascii: list[bytes]) -> tuple[str, float]:
    """The encoding of a sample: the same rule as repair_bytes()."""
    from .bytes_io import detect_encoding

    for lineno, raw in enumerate(sample, start=1):
        _decode_line(raw, lineno, "latin-1", "")     # only to refuse NUL bytes
    if not non_ascii:
        return "utf-8", 1.0
    encoding, confidence = detect_encoding(b"".join(non_ascii))
    encoding = codecs.lookup(encoding).name
    if not _ascii_compatible(encoding):
        raise InputError(1, f"looks like {encoding} without a byte order mark; "
                            "give --encoding")
    return encoding, confidence


def read_lines(fh: IO[bytes], name: str, encoding: str, notes: list[str]) -> Iterator[Line]:
    """Numbered, decoded lines of one input; decode problems raise InputError."""
    if encoding.lower() == "auto":
        return _auto_lines(fh, name, notes)
    encoding = codecs.lookup(encoding).name
    if not _ascii_compatible(encoding):
        return _wide_lines(fh, encoding)
    hint = "; try --encoding auto" if encoding == "utf-8" else ""
    return _split_lines(fh, encoding, hint)


# --------------------------------------------------------------------------
# Records: lines -> units of work
# --------------------------------------------------------------------------

class Unit(NamedTuple):
    """One record: where it starts, its text as read, and (CSV) its cells.

    A unit with ``error`` set stands for an input problem found at that
    point; it travels through the same ordered pipeline as records, so all
    output before it is written before the error is reported.
    """

    lineno: int
    raw: str
    nbytes: int
    row: list[str] | None = None
    error: str | None = None


def _units(lines: Iterator[Line], mode: Mode, state: dict[str, Mode]) -> Iterator[Unit]:
    """Records of one input for ``mode``; an input problem ends them with an
    error unit.  For CSV, ``state["mode"]`` gets the header's column positions."""
    last = 0
    try:
        if mode.kind == "csv":
            for unit in _csv_units(lines, mode, state):
                last = unit.lineno
                yield unit
        else:
            for ln in lines:
                last = ln.lineno
                yield Unit(ln.lineno, ln.text, ln.nbytes)
    except InputError as exc:
        yield Unit(exc.lineno, "", 0, error=exc.message)
    except OSError as exc:   # a read error in the middle of a file
        yield Unit(last + 1, "", 0, error=f"cannot read: {exc.strerror or exc}")


def _csv_units(lines: Iterator[Line], mode: Mode, state: dict[str, Mode]) -> Iterator[Unit]:
    """CSV records with their exact source text (a quoted cell may span lines).

    csv.reader pulls one physical line at a time and returns as soon as a
    record is complete, so the lines it pulled since the last record are
    exactly that record's text.
    """
    taken: list[Line] = []

    def feed() -> Iterator[str]:
        for ln in lines:
            taken.append(ln)
            yield ln.text

    reader = csv.reader(feed(), delimiter=mode.delimiter, quotechar='"', strict=True)
    header: list[str] | None = None
    while True:
        taken.clear()
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            at = taken[-1].lineno if taken else 1
            raise InputError(at, f"bad CSV: {exc}") from None
        start = taken[0].lineno
        unit = Unit(start, "".join(ln.text for ln in taken), sum(ln.nbytes for ln in taken), row)
        if header is None:
            header = row
            state["mode"] = replace(mode, column_index=_column_index(header, mode.columns, start))
            yield unit._replace(row=None)     # the header row is passed through
        elif not row:
            yield unit._replace(row=None)     # a blank line: nothing to repair
        elif len(row) != len(header):
            raise InputError(start, f"ragged CSV row: {_count(len(row), 'field')}, "
                                    f"the header has {len(header)}")
        else:
            yield unit


def _count(n: int, noun: str) -> str:
    """``"1 field"``, ``"3 fields"``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _column_index(header: list[str], columns: tuple[str, ...], lineno: int
                  ) -> tuple[tuple[str, int], ...]:
    """(name, position) of every --column in the header row (all positions
    of a repeated name); a name not in the header is an InputError."""
    names = [h.lstrip("\ufeff") for h in header]     # a BOM is not part of the name
    missing = [c for c in columns if c not in names]
    if missing:
        raise InputError(lineno, f"no column {', '.join(map(repr, missing))} in the header "
                                 f"(columns: {', '.join(map(repr, names))})")
    return tuple((n, i) for i, n in enumerate(names) if n in columns)


def _batches(units: Iterator[Unit], records: int = BATCH_RECORDS) -> Iterator[list[Unit]]:
    """Group units into tasks of at most ``records`` records / BATCH_CHARS
    characters; an error unit closes its batch (nothing comes after it)."""
    batch: list[Unit] = []
    chars = 0
    for unit in units:
        batch.append(unit)
        chars += len(unit.raw)
        if len(batch) >= records or chars >= BATCH_CHARS or unit.error:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


# --------------------------------------------------------------------------
# Repairing one record (runs in worker processes)
# --------------------------------------------------------------------------

class Outcome(NamedTuple):
    """What became of one record: its output text, its spans, or an error."""

    text: str
    spans: tuple[str, ...] = ()
    error: str | None = None


def process_batch(task: tuple[Mode, list[Unit]]) -> list[Outcome]:
    """Worker entry point: repair a batch of records."""
    mode, units = task
    return [_process(mode, u) for u in units]


def _process(mode: Mode, unit: Unit) -> Outcome:
    """Repair one record; a record that cannot be read is an error outcome."""
    if unit.error is not None:
        return Outcome("", error=unit.error)
    try:
        if mode.kind == "jsonl":
            return _fix_jsonl(unit.raw, mode)
        if mode.kind == "csv":
            return _fix_csv(unit, mode)
        return _fix_text(unit.raw, mode)
    except InputError as exc:
        return Outcome(unit.raw, error=exc.message)
    except Exception as exc:  # noqa: BLE001 - a bug must not lose the line number
        return Outcome(unit.raw, error=f"internal error while repairing this record "
                                       f"({type(exc).__name__}: {exc}); please report it")


def _split_eol(text: str) -> tuple[str, str]:
    """``("body", "\\r\\n")``: a line's text and its line ending."""
    if text.endswith("\r\n"):
        return text[:-2], "\r\n"
    if text.endswith(("\n", "\r")):
        return text[:-1], text[-1]
    return text, ""


def _fix_string(value: str, mode: Mode, label: str) -> tuple[str, tuple[str, ...]]:
    """repair() one string; with want_spans, also the spans as printable lines."""
    d = diagnose(value, strip_pinyin=mode.strip_pinyin, script=mode.script, assume=mode.assume)
    spans = tuple(label + str(f) for f in d.spans) if mode.want_spans else ()
    return d.repaired, spans


def _fix_text(raw: str, mode: Mode) -> Outcome:
    """A text line: repair it without its line ending, which is kept as is."""
    body, eol = _split_eol(raw)
    fixed, spans = _fix_string(body, mode, "")
    return Outcome(raw if fixed is body else fixed + eol, spans)


# -- JSON Lines -------------------------------------------------------------

_WS = " \t\n\r"


def _fix_jsonl(raw: str, mode: Mode) -> Outcome:
    """Repair the named string fields of one JSON Lines record (without
    named fields: every string value at any depth; keys are never touched).

    An unchanged record is returned as the very same text.  A changed one
    gets each new string literal spliced in where the old one stood, so key
    order, spacing, number formats and escapes elsewhere are untouched; the
    new literal keeps the old one's style (``\\uXXXX`` escapes if it was
    pure ASCII).  Blank lines pass through.
    """
    bom = 1 if raw.startswith("\ufeff") else 0     # json.loads refuses a BOM
    if not raw[bom:].strip(_WS):
        return Outcome(raw)
    try:
        record = json.loads(raw[bom:])
    except json.JSONDecodeError as exc:
        raise InputError(0, f"bad JSON: {exc.msg} (column {exc.colno + bom})") from None
    if mode.fields:
        targets = [(path, _get_path(record, path)) for path in mode.fields]
    else:
        targets = list(_string_values(record, ()))
    changed: dict[tuple[str, ...], str] = {}
    spans: list[str] = []
    for path, value in targets:
        if not isinstance(value, str):
            continue      # absent, null, a number...: not ours to touch
        label = ".".join(path) + ": " if path else ""
        fixed, found = _fix_string(value, mode, label)
        spans.extend(found)
        if fixed != value:
            changed[path] = fixed
    if not changed:
        return Outcome(raw, tuple(spans))
    if mode.fields:
        places = [(*_locate(raw, bom, path), path) for path in changed]
    else:
        # one walk finds them all (the last of duplicate keys, as json.loads reads)
        found_at = {path: (start, end) for path, start, end in _string_literals(raw, bom, ())}
        places = [(*found_at[path], path) for path in changed]
    edits = [(start, end, _json_literal(changed[path], raw[start:end]))
             for start, end, path in places]
    out = _splice(raw, edits)
    _verify_jsonl(out, raw, bom, changed)
    return Outcome(out, tuple(spans))


def _string_values(obj: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    """(path, value) of every string value in a parsed record, in document
    order; list items are numbered, keys are not values.

    >>> list(_string_values({"a": "x", "b": [1, {"c": "y"}], "d": None}, ()))
    [(('a',), 'x'), (('b', '1', 'c'), 'y')]
    """
    if isinstance(obj, str):
        yield path, obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from _string_values(value, (*path, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _string_values(value, (*path, str(i)))


def _string_literals(raw: str, pos: int, path: tuple[str, ...]
                     ) -> Iterator[tuple[tuple[str, ...], int, int]]:
    """(path, start, end) of every string value literal in the JSON text at
    ``pos``, walking the text as json.loads does (a duplicate key gives
    each occurrence; the last one is the one json.loads keeps)."""
    pos = _skip_ws(raw, pos)
    ch = raw[pos]
    if ch == '"':
        yield path, pos, _value_end(raw, pos)
    elif ch == "{":
        for key, start, _end in _members(raw, pos):
            yield from _string_literals(raw, start, (*path, key))
    elif ch == "[":
        for i, (start, _end) in enumerate(_elements(raw, pos)):
            yield from _string_literals(raw, start, (*path, str(i)))


def _get_path(obj: Any, path: tuple[str, ...]) -> Any:
    """The value at a dotted path, or None if any step is missing."""
    for key in path:
        if isinstance(obj, dict):
            obj = obj.get(key)
        elif isinstance(obj, list) and key.isdigit() and int(key) < len(obj):
            obj = obj[int(key)]
        else:
            return None
    return obj


_decoder = json.JSONDecoder()


def _skip_ws(s: str, i: int) -> int:
    """Index of the first non-whitespace character at or after ``i``."""
    while i < len(s) and s[i] in _WS:
        i += 1
    return i


def _locate(raw: str, pos: int, path: tuple[str, ...]) -> tuple[int, int]:
    """``[start, end)`` of the value literal at ``path`` in a valid JSON text.

    Walks the text the way json.loads does; for a key that occurs twice it
    takes the last occurrence, as json.loads does.
    """
    pos = _skip_ws(raw, pos)
    for depth, key in enumerate(path):
        found: tuple[int, int] | None = None
        if raw[pos] == "{":
            for k, start, end in _members(raw, pos):
                if k == key:
                    found = (start, end)
        elif raw[pos] == "[" and key.isdigit():
            for i, (start, end) in enumerate(_elements(raw, pos)):
                if i == int(key):
                    found = (start, end)
                    break
        if found is None:       # cannot happen: json.loads found the value
            raise InputError(0, f"internal error: cannot find {'.'.join(path[:depth + 1])!r}")
        pos = found[0]
    return pos, _value_end(raw, pos)


def _value_end(raw: str, pos: int) -> int:
    """End index of the JSON value starting at ``pos``."""
    return _decoder.raw_decode(raw, pos)[1]


def _members(raw: str, pos: int) -> Iterator[tuple[str, int, int]]:
    """(key, value start, value end) for each member of the object at ``pos``."""
    pos = _skip_ws(raw, pos + 1)
    if raw[pos] == "}":
        return
    while True:
        key, pos = json.decoder.scanstring(raw, pos + 1)   # pos is at the opening quote
        pos = _skip_ws(raw, _skip_ws(raw, pos) + 1)        # past ':'
        end = _value_end(raw, pos)
        yield key, pos, end
        pos = _skip_ws(raw, end)
        if raw[pos] == "}":
            return
        pos = _skip_ws(raw, pos + 1)                       # past ','


def _elements(raw: str, pos: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each element of the array at ``pos``."""
    pos = _skip_ws(raw, pos + 1)
    if raw[pos] == "]":
        return
    while True:
        end = _value_end(raw, pos)
        yield pos, end
        pos = _skip_ws(raw, end)
        if raw[pos] == "]":
            return
        pos = _skip_ws(raw, pos + 1)


def _json_literal(value: str, old: str) -> str:
    """A JSON string literal for ``value`` in the style of ``old``."""
    # an all-ASCII old literal escaped its non-ASCII; a lone surrogate must
    # be escaped or the UTF-8 output would fail
    ascii_style = old.isascii() or any("\ud800" <= c <= "\udfff" for c in value)
    return json.dumps(value, ensure_ascii=ascii_style)


def _splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Replace non-overlapping ``[start, end)`` ranges of ``text``."""
    out, pos = [], 0
    for start, end, new in sorted(edits):
        out += [text[pos:start], new]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _verify_jsonl(out: str, raw: str, bom: int, changed: dict[tuple[str, ...], str]) -> None:
    """Belt and braces: the spliced line must parse to the original record
    with exactly the ``changed`` values replaced."""
    expected = _loads_exact(raw[bom:])
    try:
        new = _loads_exact(out[bom:])
    except json.JSONDecodeError as exc:   # would be a bug in _locate
        raise InputError(0, f"internal error: spliced record is not JSON ({exc.msg})") from None
    for path, value in changed.items():
        if path:
            _set_path(expected, path, value)
        else:
            expected = value           # the record is one string
    if new != expected:
        raise InputError(0, "internal error: splicing changed other fields")


def _loads_exact(text: str) -> Any:
    """json.loads, with NaN and Infinity as comparable markers (NaN != NaN)."""
    return json.loads(text, parse_constant=lambda name: ("json constant", name))


def _set_path(obj: Any, path: tuple[str, ...], value: Any) -> None:
    """Set the value at a dotted path that exists."""
    for key in path[:-1]:
        obj = obj[int(key)] if isinstance(obj, list) else obj[key]
    if isinstance(obj, list):
        obj[int(path[-1])] = value
    else:
        obj[path[-1]] = value


# -- CSV --------------------------------------------------------------------

def _fix_csv(unit: Unit, mode: Mode) -> Outcome:
    """Repair the named columns of one CSV record (header and blank rows pass).

    A changed record keeps every other cell's source text: only the changed
    cells are re-quoted (quoted if they were, or if they must be).
    """
    if unit.row is None:
        return Outcome(unit.raw)
    row = unit.row
    new_row = list(row)
    spans: list[str] = []
    for name, idx in mode.column_index:
        fixed, found = _fix_string(row[idx], mode, f"{name}: ")
        spans.extend(found)
        new_row[idx] = fixed
    if new_row == row:
        return Outcome(unit.raw, tuple(spans))
    return Outcome(_csv_record(unit.raw, row, new_row, mode.delimiter), tuple(spans))


def _csv_record(raw: str, row: list[str], new_row: list[str], delimiter: str) -> str:
    """Source text for ``new_row``, reusing ``raw`` for the unchanged cells."""
    body, eol = _split_eol(raw)
    cells = _raw_cells(body, delimiter)
    if len(cells) == len(row):
        for i, (old, new) in enumerate(zip(row, new_row)):
            if old != new:
                cells[i] = _quote(new, delimiter, force=cells[i].startswith('"'))
        text = delimiter.join(cells) + eol
        if _parse_csv(text, delimiter) == new_row:
            return text
    # the cell split did not match csv's reading (odd quoting): write the
    # whole record the way csv writes it, with the same line ending
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=eol or "\n").writerow(new_row)
    return buf.getvalue() if eol else buf.getvalue()[:-1]


def _raw_cells(body: str, delimiter: str) -> list[str]:
    """Split a record's text into its cells' source texts (quotes kept)."""
    cells, start, quoted = [], 0, False
    for i, ch in enumerate(body):
        if ch == '"':
            quoted = not quoted          # "" inside quotes toggles twice: no change
        elif ch == delimiter and not quoted:
            cells.append(body[start:i])
            start = i + 1
    cells.append(body[start:])
    return cells


def _quote(value: str, delimiter: str, force: bool) -> str:
    """A cell's source text: quoted if it was or if csv would need it."""
    if force or any(c in value for c in (delimiter, '"', "\r", "\n")):
        return '"' + value.replace('"', '""') + '"'
    return value


def _parse_csv(text: str, delimiter: str) -> list[str] | None:
    """The one record in ``text``, or None if it is not exactly one."""
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error:
        return None
    return rows[0] if len(rows) == 1 else None


# --------------------------------------------------------------------------
# All together
# --------------------------------------------------------------------------

def records(fh: IO[bytes], name: str, mode: Mode, encoding: str, notes: list[str],
            pool: ProcessPoolExecutor | None = None,
            here_every: int = 0) -> Iterator[tuple[Unit, Outcome]]:
    r"""Each record of one input with its outcome, in input order.

    With a pool, batches of records are repaired in its processes, a
    bounded number at a time.  An input problem comes as a last record whose
    outcome has ``error`` set.  ``notes`` gets what is worth telling about
    how the input was read (a detected encoding).  ``here_every``: this
    process repairs every n-th batch itself (see :func:`ordered_map`).

    >>> [o.text for _, o in records(io.BytesIO("鍥炬爣\nok\n".encode()), "x", Mode("text"),
    ...                             "utf-8", [])]
    ['图标\n', 'ok\n']
    """
    state = {"mode": mode}
    units = _units(read_lines(fh, name, encoding, notes), mode, state)
    # state["mode"] is read as each batch is sent, after the CSV header set it;
    # without workers a batch buys nothing and one record at a time keeps a
    # slow pipe (tail -f | luanma) flowing
    size = BATCH_RECORDS if pool is not None else 1
    tasks = ((batch, (state["mode"], batch)) for batch in _batches(units, size))
    for batch, outcomes in ordered_map(process_batch, tasks, pool, run_here=_trivial,
                                       weight=_task_chars, here_every=here_every):
        yield from zip(batch, outcomes)


def _task_chars(task: tuple[Mode, list[Unit]]) -> int:
    """A batch's weight in the window of batches in flight: its characters."""
    return sum(len(u.raw) for u in task[1])


def _trivial(task: tuple[Mode, list[Unit]]) -> bool:
    """A batch not worth a worker: all ASCII, which repair() passes at once.
    (Not for JSON with ``\\u`` escapes: those may spell non-ASCII text.)"""
    mode, units = task
    return all(u.raw.isascii() and (mode.kind != "jsonl" or "\\u" not in u.raw)
               for u in units)
