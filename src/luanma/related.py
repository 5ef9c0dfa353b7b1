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
from collections.abc import Sequence
from typing import Any

from .batch import is_missing
from .detect import could_show, hypothesis_of
from .repair import Diagnosis, diagnose, repair

__all__ = ["MIN_RECORDS", "MIN_SHARE", "adopted_chains", "repair_related"]

#: Records a chain must repair on their own before it is adopted.
MIN_RECORDS = 3
#: ...and their share of the records that hold non-ASCII text.
MIN_SHARE = 0.5


def _chains_of(plan_steps: Sequence[str]) -> set[str]:
    """The searched one-layer chains (as ``hypothesis_of`` names them,
    "gbk -> big5") among a diagnosis's applied fixes."""
    out = set()
    for step in plan_steps:
        try:
            hyp = hypothesis_of(step)
        except ValueError:
            continue            # ftfy's path, a cut, a fold, two layers
        out.add(f"{hyp.encoding} -> {hyp.family}")
    return out


def adopted_chains(texts: Sequence[Any], *, min_records: int = MIN_RECORDS,
                   min_share: float = MIN_SHARE) -> tuple[str, ...]:
    """The chains that records of ``texts`` prove on their own often
    enough (see the module doc), most records first.

    >>> adopted_chains(["Color=晇伎", "Settings=扢离", "Save=悵湔", "Iron=沺"])
    ('gbk -> big5',)
    >>> adopted_chains(["這是正常的中文。", "Sego 鍥炬爣"])
    ()
    """
    _check(texts, min_records, min_share)
    strings = [t for t in texts if isinstance(t, str)]
    return _adopted([diagnose(t) for t in strings], strings, min_records, min_share)


def _adopted(diagnoses: Sequence[Diagnosis], texts: Sequence[str], min_records: int,
             min_share: float) -> tuple[str, ...]:
    counts: Counter[str] = Counter()
    for d in diagnoses:
        counts.update(_chains_of([f.layer for f in d.spans]))
    nonascii = sum(1 for t in texts if not t.isascii())
    return tuple(chain for chain, n in counts.most_common()
                 if n >= min_records and n >= min_share * nonascii)


def _check(texts: Sequence[Any], min_records: int, min_share: float) -> None:
    if isinstance(texts, str):
        raise TypeError("repair_related() takes a list of records, not one str")
    for i, t in enumerate(texts):
        if not isinstance(t, str) and not is_missing(t):
            raise TypeError(f"repair_related() needs strings (or None/NaN), not {type(t).__name__} "
                            f"(record {i})")
    if not isinstance(min_records, int) or min_records < 1:
        raise ValueError(f"min_records must be a positive integer, not {min_records!r}")
    if not 0.0 < min_share <= 1.0:
        raise ValueError(f"min_share must be in (0, 1], not {min_share!r}")


def repair_related(texts: Sequence[Any], *, min_records: int = MIN_RECORDS,
                   min_share: float = MIN_SHARE) -> list[Any]:
    """Repair records of one source (see the module doc): each on its own
    first, then the ones left as they were under the chains the others
    prove.  Every record is read twice at most; the whole list is held.
    None, NaN and pandas' NA pass through (a column's missing values), as
    in :func:`luanma.repair_many`.

    >>> repair_related(["這是正常的中文。", "Iron=沺", None])     # nothing proves a chain
    ['這是正常的中文。', 'Iron=沺', None]
    """
    if not isinstance(texts, (list, tuple, str)):
        texts = list(texts)
    _check(texts, min_records, min_share)
    where = [i for i, t in enumerate(texts) if isinstance(t, str)]
    strings = [texts[i] for i in where]
    first = [diagnose(t) for t in strings]
    chains = _adopted(first, strings, min_records, min_share)
    out = list(texts)
    for i, d in zip(where, first):
        out[i] = d.repaired
    if not chains:
        return out
    hyps = [(chain, hypothesis_of(chain)) for chain in chains]
    for i, t, d in zip(where, strings, first):
        if d.changed or t.isascii():
            continue
        # (a record holding a character the chain's decoder never writes
        # -- hangul in a Big5 stream -- was not read through it)
        mine = [chain for chain, hyp in hyps if could_show(t, hyp)]
        if mine:
            out[i] = repair(t, assume=mine)
    return out
