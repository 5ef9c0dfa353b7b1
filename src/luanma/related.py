"""Records of one source: the chain most of them prove, applied to the rest.

A wrong decoder garbles a whole byte stream -- a file, a database column,
an export -- not one record of it.  Alone, a short record cannot prove
which chain garbled it: ``Iron=沺`` reads as clean traditional Chinese
as well as it reads as GBK shown as Big5 (``Iron=铁``), and
:func:`luanma.repair` rightly leaves it.  Its neighbours can: when most
records of the source that hold any non-ASCII text are repaired under one
chain, that chain is known for the source, and each remaining record is
searched under it with the proof a chain has once it is proven inside a
text (:func:`luanma.diagnose`'s ``assume``) -- each record whose every
character that chain's decoder could have written.

>>> from luanma.related import repair_related
>>> repair_related(["Color=晇伎", "Settings=扢离", "Save=悵湔", "Iron=沺",
...                 "Tree=攷", "Glass=產薛", "id=7"])
['Color=颜色', 'Settings=设置', 'Save=保存', 'Iron=铁', 'Tree=树', 'Glass=玻璃', 'id=7']

What it assumes is what makes it safe, and what a caller must hold to:
the records come from one source, read with one wrong decoder.  A chain
is adopted only where at least ``min_records`` records, and at least
``min_share`` of the records with non-ASCII text, were repaired under it
on their own; clean records never adopt anything (no chain repairs them),
so a clean source comes back unchanged whatever its size.  A source
that mixes records of other languages with many garbled ones breaks the
assumption: under an assumed chain, Cyrillic or hangul text may "read
better" as that chain's repair (benchmarks/related.py measures both).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from .batch import is_missing
from .detect import Hypothesis, could_show, hypothesis_of
from .repair import Diagnosis, diagnose, repair

__all__ = ["MIN_RECORDS", "MIN_SHARE", "adopted_chains", "repair_related"]

#: Records a chain must repair on their own before it is adopted.
MIN_RECORDS = 3
#: ...and their share of the records that hold non-ASCII text.
MIN_SHARE = 0.5


def _chains_of(layers: Sequence[str]) -> set[Hypothesis]:
    """The searched one-layer chains among a diagnosis's applied fixes."""
    out = set()
    for layer in layers:
        try:
            out.add(hypothesis_of(layer))
        except ValueError:
            continue            # ftfy's path, a cut, a fold, two layers
    return out


def _name(hyp: Hypothesis) -> str:
    """How a chain is written for :func:`hypothesis_of` ("gbk -> big5")."""
    return f"{hyp.encoding} -> {hyp.family}"


def adopted_chains(texts: Iterable[Any], *, min_records: int = MIN_RECORDS,
                   min_share: float = MIN_SHARE) -> tuple[str, ...]:
    """The chains that records of ``texts`` prove on their own often
    enough (see the module doc), most records first.

    >>> adopted_chains(["Color=晇伎", "Settings=扢离", "Save=悵湔", "Iron=沺"])
    ('gbk -> big5',)
    >>> adopted_chains(["這是正常的中文。", "Sego 鍥炬爣"])
    ()
    """
    return tuple(map(_name, _first_pass(texts, min_records, min_share)[2]))


def _first_pass(texts: Iterable[Any], min_records: int, min_share: float
                ) -> tuple[list[Any], list[tuple[int, Diagnosis]], tuple[Hypothesis, ...]]:
    """The records as a list; each string's index and diagnosis on its
    own; and the chains adopted from them, most records first."""
    if isinstance(texts, str):
        raise TypeError("repair_related() takes a list of records, not one str")
    if not isinstance(min_records, int) or min_records < 1:
        raise ValueError(f"min_records must be a positive integer, not {min_records!r}")
    if not 0.0 < min_share <= 1.0:
        raise ValueError(f"min_share must be in (0, 1], not {min_share!r}")
    records = list(texts)
    for i, t in enumerate(records):
        if not isinstance(t, str) and not is_missing(t):
            raise TypeError(f"repair_related() needs strings (or None/NaN), not {type(t).__name__} "
                            f"(record {i})")
    first = [(i, diagnose(t)) for i, t in enumerate(records) if isinstance(t, str)]
    counts: Counter[Hypothesis] = Counter()
    for _, d in first:
        counts.update(_chains_of([f.layer for f in d.spans]))
    nonascii = sum(1 for i, _ in first if not records[i].isascii())
    chains = tuple(h for h, n in counts.most_common() if n >= min_records and n >= min_share * nonascii)
    return records, first, chains


def repair_related(texts: Iterable[Any], *, min_records: int = MIN_RECORDS,
                   min_share: float = MIN_SHARE) -> list[Any]:
    """Repair records of one source (see the module doc): each on its own
    first, then the ones left as they were under the chains the others
    prove.  Every record is read twice at most; the whole list is held.
    None, NaN and pandas' NA pass through (a column's missing values), as
    in :func:`luanma.repair_many`.

    >>> repair_related(["這是正常的中文。", "Iron=沺", None])     # nothing proves a chain
    ['這是正常的中文。', 'Iron=沺', None]
    """
    records, first, chains = _first_pass(texts, min_records, min_share)
    out = list(records)
    for i, d in first:
        out[i] = d.repaired
    for i, d in first:
        t = records[i]
        if d.changed or t.isascii():
            continue
        # (a record holding a character the chain's decoder never writes
        # -- hangul in a Big5 stream -- was not read through it)
        mine = [_name(h) for h in chains if could_show(t, h)]
        if mine:
            out[i] = repair(t, assume=mine)
    return out
