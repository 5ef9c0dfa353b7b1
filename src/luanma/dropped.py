"""A byte dropped without a trace: UTF-8 that lost one byte of a character
(a truncated field, a lossy copy, a buffer bug) before a wrong decoder read
it.

No mark shows where: the wrong decoder reads the bytes as they come, and
they re-encode exactly.  Read as UTF-8, those bytes are valid everywhere
but at the broken character -- UTF-8 falls back in step after it -- so
putting one byte back there makes the whole run read.  Which byte is a
guess: the broken character's surviving bytes allow a few dozen
characters, and the language model picks among them in context.  The pick
is written only with ``MIN_DROP_CONFIDENCE`` of the probability; else the
character is left as U+FFFD and ``diagnose()`` notes the best guess::

    >>> [(d.garbled, d.repaired, d.plan) for d in find_dropped("4.4. 璁剧珛鍔犲瘑鐨劘嗙爜")]
    [('璁剧珛鍔犲瘑鐨劘嗙爜', '设立加密的密码', 'drop@15:utf-8 -> gbk:whatwg')]

The plan re-garbles the repair: ``corrupt("设立加密的密码", "drop@15:utf-8 ->
gbk:whatwg")`` gives the run back.  A run next to a loss mark ('?',
U+FFFD) is left to the search: there the bytes were refused, not dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from os.path import commonprefix

from .errors import LuanmaError
from .layers import Drop, Plan
from .misaligned import Guess
from .model import WORD_WINDOW, LanguageModel, get_model
from .variants import get_variant, reencode, reencode_or_none

__all__ = ["Dropped", "find_dropped", "DROP_DECODERS", "DROP_PENALTY", "MIN_DROP_CONFIDENCE"]

#: Decoders whose reading of UTF-8 is searched for a dropped byte (what the
#: double-byte families show UTF-8 as; see ``luanma.detect.FAMILIES``).
DROP_DECODERS: tuple[str, ...] = ("gbk:whatwg", "big5:whatwg", "cp950:win", "shift_jis",
                                  "cp932:win", "euc_kr", "cp949:win")
#: log10 gain the repair needs over the run as it stands (as a cut stream's
#: in :mod:`luanma.misaligned`: it sits between correct text).
DROP_PENALTY = 9.0
#: The rebuilt character is written only with this share of the
#: probability among the characters one byte put back allows.
MIN_DROP_CONFIDENCE = 0.9
#: Non-ASCII characters a run needs: in shorter ones a byte put back is as
#: likely to make sense of clean text by chance.
MIN_RUN = 3
#: Broken places (U+FFFD when the bytes are read as UTF-8 with
#: replacement) a run may show: one broken character reads as one or two.
MAX_BROKEN = 2

_RUN = re.compile(r"[^\x00-\x7f]{%d,}" % MIN_RUN)
_MARKS = "?\ufffd"
#: bytes that can be put back: any byte of a multi-byte character
_BYTES = tuple(bytes((b,)) for b in range(0x80, 0xF5))


@dataclass(frozen=True)
class Dropped:
    """``text[start:end]``, a run one dropped byte threw off, read again:
    ``repaired`` (U+FFFD where the rebuilt character is not sure),
    ``reading`` (with the best guess written), the plan that garbles
    ``reading`` back into ``garbled``, and the gain (log10) of ``reading``
    over ``garbled``."""

    start: int
    end: int
    garbled: str
    repaired: str
    reading: str
    plan: str
    gain: float
    guesses: tuple[Guess, ...]


def _refills(data: bytes) -> list[tuple[int, str]]:
    """Every way one byte put back makes ``data`` read as UTF-8: (where it
    went, the text); empty where ``data`` reads already or one byte cannot
    mend it.

    >>> texts = [t for _, t in _refills("的密码".encode()[:3] + "的密码".encode()[4:])]
    >>> "的密码" in texts, len(texts), texts[0]         # 密's first byte: 16 leads
    (True, 15, '的ெ码')
    """
    try:
        data.decode("utf-8")
        return []
    except UnicodeDecodeError as exc:
        at = exc.start
    out: list[tuple[int, str]] = []
    # the byte belongs to the broken character: its lead at ``at``, or one
    # of its (at most three) continuation bytes after it
    for p in range(at, min(len(data), at + 3) + 1):
        head, tail = data[:p], data[p:]
        for b in _BYTES:
            try:
                text = (head + b + tail).decode("utf-8")
            except UnicodeDecodeError:
                continue
            out.append((p, text))
    return out


def _difference(texts: list[str]) -> tuple[int, int]:
    """(common prefix, common suffix) lengths of ``texts``, in characters,
    not overlapping."""
    pre = len(commonprefix(texts))
    suf = len(commonprefix([t[::-1] for t in texts]))
    return pre, min(suf, min(len(t) for t in texts) - pre)


#: What a lead byte refused at the end of a run may have been: a UTF-8
#: continuation byte (the run's last character needs it).
_TAIL_BYTES = tuple(range(0x80, 0xC0))


def _readings(run: str, decoding: str) -> tuple[list[tuple[int, str]], list[str]]:
    """The ways one dropped byte put back makes ``run``'s bytes under
    ``decoding`` read as UTF-8: (where it went back, the text) -- and where
    the run ends in the decoder's U+FFFD (a lead byte refused before an
    ASCII one, WHATWG's way), the characters that lead byte may have ended,
    to follow each text (else ``[""]``).  Empty lists: no such reading."""
    variant = get_variant(decoding)
    tail = run.endswith("\ufffd") and variant.behaviour == "whatwg"
    core = run[:-1] if tail else run
    if "\ufffd" in core:
        return [], []       # a refused byte inside the run (find_dropped skips other marks)
    data = reencode_or_none(core, variant)
    if data is None:
        return [], []
    if data.decode("utf-8", "replace").count("\ufffd") > MAX_BROKEN + tail:
        return [], []       # clean legacy text: broken all over
    if not tail:
        return [(p, t) for p, t in _refills(data) if t.isprintable()], [""]
    # the last character lost its last byte to the refusal: which bytes
    # complete it does not depend on the gap before (UTF-8 is back in step)
    last = max((i for i, b in enumerate(data) if b >= 0xC0), default=-1)
    if last < 0:
        return [], []
    ends = []
    for x in _TAIL_BYTES:
        try:
            ch = (data[last:] + bytes((x,))).decode("utf-8")
        except UnicodeDecodeError:
            continue
        if ch.isprintable():
            ends.append(ch)
    if not ends:
        return [], []
    try:
        data[:last].decode("utf-8")
        return [], []       # nothing dropped before it: a plain refusal, the search's case
    except UnicodeDecodeError:
        pass
    return [(p, h) for p, h in _refills(data[:last]) if h.isprintable()], ends


def _rank(texts: list[str], left: str, right: str, lm: LanguageModel) -> list[tuple[str, float]]:
    """``texts`` (readings of one stretch that differ in one place), best
    first, each with its share of the probability: what each puts in that
    place, by its context and the words it makes."""
    pre, suf = _difference(texts) if len(texts) > 1 else (len(texts[0]), 0)
    before = (left + texts[0][:pre])[-WORD_WINDOW:]
    after = (texts[0][len(texts[0]) - suf:] + right)[:WORD_WINDOW]
    scored = sorted(((lm.fill_logp(before, t[pre:len(t) - suf], after), t) for t in texts), reverse=True)
    top = scored[0][0]
    weights = [(t, 10.0 ** (x - top)) for x, t in scored]
    total = sum(w for _, w in weights)
    return [(t, w / total) for t, w in weights]


def _guesses(ranked: list[tuple[str, float]], offset: int) -> list[Guess]:
    """The characters the best of ``ranked`` rebuilt (where the readings
    differ), each with its own share: summed over the readings that agree
    on it."""
    best = ranked[0][0]
    same = [(t, w) for t, w in ranked if len(t) == len(best)]
    out = []
    for i in range(len(best)):
        shares: dict[str, float] = {}
        for t, w in same:
            shares[t[i]] = shares.get(t[i], 0.0) + w
        if len(shares) < 2 and len(same) == len(ranked):
            continue        # every reading has it: decoded, not guessed
        share = shares.get(best[i], 0.0)
        alts = tuple(c for c, _ in sorted(shares.items(), key=lambda cw: -cw[1]) if c != best[i])[:3]
        out.append(Guess(offset + i, best[i], round(share, 4), alts, share < MIN_DROP_CONFIDENCE))
    return out


def _best(text: str, start: int, end: int, decoding: str, lm: LanguageModel) -> Dropped | None:
    run = text[start:end]
    heads, tails = _readings(run, decoding)
    if not heads or not tails:
        return None
    where: dict[str, int] = {}
    for p, h in heads:
        where.setdefault(h, p)          # the first place that gives each
    left, right = text[max(0, start - 2):start], text[end:end + 2]
    # the gap and the refused last byte are ranked each on its own (UTF-8
    # is back in step between them): the last character first, after the
    # text before it, then the gap before what follows
    some = heads[0][1]
    tail_ranked = _rank(tails, some, right, lm) if tails != [""] else [("", 1.0)]
    tail = tail_ranked[0][0]
    ranked = _rank(sorted(where), left, tail + right, lm)
    head = ranked[0][0]
    reading = head + tail
    plan = Plan((Drop("utf-8", decoding, where[head]),))
    # it must explain itself, with the ASCII character after it (which a
    # refused lead byte at the end did not take)
    nxt = text[end:end + 1]
    if plan.apply(reading + nxt).text != run + nxt:
        return None
    gain = lm.score(reading + right, left) - lm.score(run + right, left)
    if gain < DROP_PENALTY:
        return None
    guesses = _guesses(ranked, 0) + (_guesses(tail_ranked, len(head)) if tail else [])
    lost = {g.index for g in guesses if g.lost}
    repaired = "".join("\ufffd" if i in lost else c for i, c in enumerate(reading))
    return Dropped(start, end, run, repaired, reading, str(plan), gain, tuple(guesses))


#: Characters at either end of a run that may be correct text next to a
#: span of plain mojibake (the search's case, not a dropped byte).
EDGE = 2
#: log10 by which a mend must beat reading the run as such a span.
PLAIN_MARGIN = 3.0
#: Loss marks of the decoders above that are not ASCII: a run holding one
#: lost bytes to a refusal, not a drop.
_RUN_MARKS = frozenset("\ufffd・")


def _plain(run: str) -> list[str]:
    """The run read as plain mojibake by some decoder: all of it, or all
    but up to EDGE characters at either end, kept as they are, read as
    UTF-8 with no byte missing."""
    out = []
    for decoding in DROP_DECODERS:
        for i in range(EDGE + 1):
            for j in range(EDGE + 1):
                piece = run[i:len(run) - j]
                if len(piece) < MIN_RUN or "\ufffd" in piece:
                    continue
                try:
                    out.append(run[:i] + reencode(piece, decoding).decode("utf-8") + run[len(run) - j:])
                except (LuanmaError, UnicodeDecodeError):
                    continue
    return out


def find_dropped(text: str, lm: LanguageModel | None = None) -> list[Dropped]:
    """Runs of ``text`` that read as UTF-8 shown through a double-byte
    decoder once one dropped byte is put back (the best decoder for each),
    gaining at least DROP_PENALTY.

    >>> find_dropped("这是正常的中文，没有问题。")
    []
    """
    lm = lm or get_model()
    out: list[Dropped] = []
    for m in _RUN.finditer(text):
        a, b = m.span()
        if (a and text[a - 1] in _MARKS) or (b < len(text) and text[b] in _MARKS):
            continue        # refused bytes, not dropped ones: the search's case
        # (a U+FFFD that ends the run is taken as one refused lead byte)
        run = m.group()
        if _RUN_MARKS.intersection(run[:-1]) or run.endswith("・"):
            continue        # (a U+FFFD at the end is WHATWG's refused lead byte: see _readings)
        best: Dropped | None = None
        for decoding in DROP_DECODERS:
            d = _best(text, a, b, decoding, lm)
            if d is not None and (best is None or d.gain > best.gain):
                best = d
        if best is None:
            continue
        # a span of plain mojibake inside correct text reads without a byte
        # put back: a "mend" would eat the correct characters beside it
        left, right = text[max(0, a - 2):a], text[b:b + 2]
        plain = [lm.score(p + right, left) for p in _plain(run)]
        if plain and max(plain) + PLAIN_MARGIN > lm.score(best.reading + right, left):
            continue
        out.append(best)
    return out
