"""Hypothesis strategies over real corpus text and arbitrary Unicode."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from hypothesis import settings, strategies as st

CORPUS = Path(os.environ.get("LUANMA_CORPUS_DIR") or Path(__file__).resolve().parents[1] / "corpus")

# CI runs the floor the foundation issue asks for; the nightly script raises it.
EXAMPLES = int(os.environ.get("LUANMA_EXAMPLES", "2000"))
settings.register_profile("luanma", max_examples=EXAMPLES, deadline=None, derandomize=True,
                          suppress_health_check=list(__import__("hypothesis").HealthCheck))
settings.load_profile("luanma")


@lru_cache(maxsize=None)
def corpus_texts() -> tuple[str, ...]:
    """Every text of the committed corpus sample (sorted, for determinism)."""
    texts: list[str] = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            texts.extend(json.loads(line)["text"] for line in fh if line.strip())
    return tuple(texts)


def corpus_text() -> st.SearchStrategy[str]:
    texts = corpus_texts()
    if not texts:
        raise RuntimeError("corpus/*.jsonl is missing: run tools/build_corpus.py")
    whole = st.sampled_from(texts)
    # slices give short strings and spans that start or end mid-sentence
    sliced = st.tuples(whole, st.integers(0, 400), st.integers(1, 60)).map(
        lambda t: t[0][t[1] % max(len(t[0]), 1):][: t[2]] or t[0])
    return st.one_of(whole, sliced)


#: Arbitrary Unicode, weighted towards the blocks mojibake lives in.
any_text = st.one_of(
    st.text(),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFFFF), max_size=40),
    st.text(st.sampled_from(
        [chr(c) for c in range(0x4E00, 0x9FFF, 37)] + [chr(c) for c in range(0x3041, 0x30FF, 3)]
        + [chr(c) for c in range(0xAC00, 0xD7A3, 41)] + list(" ,.!?0123abcXYZ\n，。！？「」")),
        max_size=60),
)
