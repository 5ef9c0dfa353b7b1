"""Write docs/gallery.md: each kind of damage, what luanma returns, its plan.

    python tools/build_gallery.py                       # -> docs/gallery.md
    python tools/build_gallery.py --out /tmp/g.md       # elsewhere (the test does this)
    python tools/build_gallery.py --realworld ../shared/realworld/repo-pairs.jsonl
        # also -> docs/generated/realworld-kinds.md (counts per kind on the real-world set)

Everything shown is computed here, from data in the repository, by the code
in src/: nothing is typed by hand, so the page cannot drift from the code
(tests/test_docs.py re-runs this and compares).

Where the examples come from (the rule; no example is picked by hand):

* The seed page (corpus/specimens/seed-page.txt, real damage found on the
  web): every span of seed-page.expected.json, run through diagnose() on the
  line it is on; and the first sentence of the page holding two or more
  pinyin annotations.
* Every other kind: the first record, in file order, of corpus/LANG.jsonl
  from a source the language model was not trained on, 12-40 characters
  long, that the kind's chain can carry and that comes out lossy or lossless
  as the kind requires, garbled with luanma.corrupt() by that chain (the
  chain seen in the real-world set where there is one).  These are real text
  with reproduced damage, and are labelled so.
* 烫烫烫 has no chain: it is the bytes 0xCC of uninitialised memory read as
  GBK.  Its example is synthetic and labelled so.

The real-world set (../shared/realworld/repo-pairs.jsonl, lines from public
repositories) is not copied here: its README gives no licence to
redistribute the lines.  With --realworld the script counts, per kind, how
luanma does on those lines, and writes only counts, line ids and repository
names.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import luanma  # noqa: E402
from luanma import corrupt, decode, diagnose  # noqa: E402
from luanma.errors import LuanmaError  # noqa: E402

#: corpus sources the language model was trained on (benchmarks/accuracy.py)
TRAINED_SOURCES = frozenset({"django-po", "sphinx-po", "jupyterlab-po"})

#: (anchor, title, language of the corpus text, chain, lossy?, what happened)
KINDS = [
    ("guwen", "古文码 (\"ancient-text\" mojibake): UTF-8 read as GBK", "zh-Hans",
     "utf-8 -> gbk", False,
     "UTF-8 bytes decoded as GBK (Windows' code page 936): every three bytes of a "
     "Chinese character become one and a half rare characters, so the text looks "
     "like classical Chinese mixed with kana and hangul."),
    ("win", "Windows `?` swallowing: UTF-8 read by Windows as GBK", "zh-Hans",
     "utf-8 -> gbk:win", True,
     "The same mix-up through a Windows decoder: a lead byte followed by a byte that "
     "cannot follow it becomes one `?`, and the second byte is gone, even when it "
     "was ASCII (a space, a digit, a newline). The lost bytes must be guessed."),
    ("fuhao", "符号码 (\"symbol\" mojibake): GBK read as Latin-1 / Windows-1252", "zh-Hans",
     "gbk -> cp1252:c1", False,
     "GBK bytes shown as Western European text: every Chinese character becomes two "
     "accented letters or symbols."),
    ("pinyin", "拼音码 (\"pinyin\" mojibake): UTF-8 read as Windows-1252", "zh-Hans",
     "utf-8 -> cp1252:c1", False,
     "UTF-8 bytes shown as Western European text: accented letters that look like "
     "pinyin with tone marks (`ç`, `è`, `å`), three per Chinese character."),
    ("wenju", "问句码 (\"question-mark\" mojibake): UTF-8 read as GBK, then back as UTF-8",
     "zh-Hans", "utf-8 -> gbk:win | gbk -> utf-8:replace", True,
     "The text went to GBK and back: most characters survive the round trip, but "
     "where the GBK decoder could not pair a byte the character is lost and a mark "
     "stands in its place (in the classic case, the last character of an odd-length "
     "text)."),
    ("kouzi", "口字码 (\"box\" mojibake): GBK read as UTF-8", "zh-Hans",
     "gbk -> utf-8:replace", True,
     "GBK bytes decoded as UTF-8: most byte pairs are not valid UTF-8, so most "
     "characters become U+FFFD (shown as a box or a diamond). The bytes behind "
     "each U+FFFD are gone."),
    ("kunkao", "锟拷码 (锟斤拷): GBK read as UTF-8, saved, read as GBK again", "zh-Hans",
     "gbk -> utf-8:replace | utf-8 -> gbk:win", True,
     "The U+FFFD marks of 口字码 were saved as UTF-8 (EF BF BD) and read as GBK: "
     "each pair of marks becomes 锟斤拷. Nothing of the original bytes is left there."),
    ("sjis-utf8", "Shift_JIS: UTF-8 read as Shift_JIS", "ja",
     "utf-8 -> shift_jis", False,
     "Japanese UTF-8 decoded as Shift_JIS: the familiar `縺薙ｓ縺ｫ` pattern "
     "(kana often become 縺 or 繧 followed by a half-width katakana)."),
    ("sjis-latin", "Shift_JIS: Shift_JIS read as Windows-1252", "ja",
     "shift_jis -> cp1252:c1", False,
     "Shift_JIS bytes shown as Western European text."),
    ("cp949", "CP949: UTF-8 read by Windows as Korean (CP949, `?` swallowing)", "ko",
     "utf-8 -> cp949:win", True,
     "Korean UTF-8 decoded with Windows' code page 949; invalid pairs become `?` "
     "and swallow their second byte."),
    ("euckr-latin", "CP949 / EUC-KR: EUC-KR read as Latin-1", "ko",
     "euc_kr -> iso8859-1", False,
     "EUC-KR bytes shown as Latin-1."),
    ("big5-gbk", "Big5: GBK text read as Big5", "zh-Hans",
     "gbk -> big5", False,
     "A simplified-Chinese file in GBK opened as traditional Chinese (Big5): both "
     "are double-byte, so the result is a plausible-looking run of wrong traditional "
     "characters."),
    ("big5-utf8", "Big5: UTF-8 read as Big5 (browser decoder)", "zh-Hant",
     "utf-8 -> big5:whatwg", True,
     "Traditional-Chinese UTF-8 decoded as Big5 by a browser: bytes Big5 cannot pair "
     "become U+FFFD."),
    ("two-layer", "Two layers: UTF-8 read as GBK, then that text's UTF-8 read as Windows-1252",
     "zh-Hans", "utf-8 -> gbk | utf-8 -> cp1252:c1", False,
     "Mojibake of mojibake: luanma undoes the outer layer, finds the result is "
     "itself garbled, and searches again (up to three layers)."),
    ("span", "A garbled span inside correct text", "zh-Hans",
     "utf-8 -> gbk", False,
     "Only part of a line was garbled (a field pasted from elsewhere); the rest must "
     "come out unchanged."),
    ("misaligned", "Misaligned stream: a GB18030 stream cut inside a character", "zh-Hans",
     "cut:gb18030:win", True,
     "A double-byte stream cut inside a character (a chunk boundary): its first byte "
     "comes out as `?` and the following characters are decoded one byte out of step "
     "until an ASCII byte brings the decoder back in step."),
]


def show(text: str, backslash: bool = True) -> str:
    """``text`` for a code block: control, format, private-use and unassigned
    characters as ``\\uXXXX`` escapes, everything else as it is (and a
    backslash doubled, unless ``backslash`` is false: text that is already
    a repr, as plans and notes are)."""
    out = []
    for ch in text:
        if ch == "\\" and backslash:
            out.append("\\\\")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"):
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def load_corpus(lang: str) -> list[dict]:
    with (ROOT / "corpus" / f"{lang}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def pick(lang: str, chain: str, lossy: bool, how: str = "whole") -> tuple[dict, str, str]:
    """The first held-out corpus record the chain garbles as required:
    (record, the text garbled, the garbled text).

    ``how``: ``whole`` garbles the whole record; ``span`` its middle third,
    kept only if that gives at least 6 garbled characters (as
    benchmarks/accuracy.py's span rows); ``cut`` cuts the stream inside the
    first double-byte character followed by at least 6 non-ASCII characters
    (as its misaligned rows), and applies ``chain`` from there on."""
    for rec in load_corpus(lang):
        text = rec["text"]
        if rec["source"] in TRAINED_SOURCES or not 12 <= len(text) <= 40:
            continue
        a, b = 0, len(text)
        if how == "span":
            a, b = len(text) // 3, 2 * len(text) // 3
        elif how == "cut":
            codec = chain.split(":")[1]
            spots = [i for i in range(len(text) - 6)
                     if len(text[i].encode(codec, "replace")) == 2
                     and not any(c.isascii() for c in text[i + 1:i + 7])]
            if not spots:
                continue
            a = spots[0]
        piece = text[a:b]
        try:
            c = corrupt(piece, chain)
        except LuanmaError:
            continue
        if c.text == piece or c.lossy != lossy or (how == "span" and len(c.text) < 6):
            continue
        return rec, text, text[:a] + c.text + text[b:]
    raise SystemExit(f"no corpus record in {lang} fits {chain!r}")


def verdict(garbled: str, repaired: str, original: str | None) -> str:
    if original is None:
        return ("luanma changed it (no known original to compare with)" if repaired != garbled
                else "left alone (no known original to compare with)")
    if repaired == original:
        return "**repaired exactly**"
    if repaired == garbled:
        return "**left alone**: luanma did not change this text"
    lost = repaired.count("\ufffd") - original.count("\ufffd")
    if lost > 0 and len(repaired) == len(original) and all(
            a == b or a == "\ufffd" for a, b in zip(repaired, original)):
        return (f"**repaired except {lost} character(s) left as U+FFFD**: their bytes "
                "were lost and nothing determined them")
    return "**changed, but not to the original**: luanma got this one wrong"


def diagnosis_block(text: str, original: str | None) -> list[str]:
    d = diagnose(text)
    out = ["```text", f"input:    {show(text)}", f"luanma:   {show(d.repaired)}"]
    if original is not None:
        out.append(f"original: {show(original)}")
    out += ["```", "", "Result: " + verdict(text, d.repaired, original) + ".", ""]
    out += ["Plan (`repair_and_explain`):", "", "```text"]
    out += [show(line, False) for line in str(d.plan).split("\n")]
    out += ["```", ""]
    if d.notes:
        out += ["Notes (`diagnose(text).notes`):", "", "```text"]
        out += [show(n, False) for n in d.notes]
        out += ["```", ""]
    return out


HOW = {"span": ("span", " in its middle third"),
       "misaligned": ("cut", " from inside its first double-byte character followed by "
                             "six or more non-ASCII ones")}


def kind_section(anchor: str, title: str, lang: str, chain: str, lossy: bool, what: str
                 ) -> tuple[list[str], str]:
    """The section's lines, and the garbled example (for the table at the top)."""
    how, where = HOW.get(anchor, ("whole", ""))
    rec, original, garbled = pick(lang, chain, lossy, how)
    out = [f"## {title} {{#{anchor}}}", "", what, "",
           f"Example (**reproduced**: real text, corpus record `{rec['id']}`, garbled "
           f"with `corrupt(text, \"{chain}\")`{where}):", ""]
    out += diagnosis_block(garbled, original)
    return out, garbled


def seed_sections() -> list[str]:
    page = (ROOT / "corpus" / "specimens" / "seed-page.txt").read_text(encoding="utf-8")
    spans = json.loads((ROOT / "corpus" / "specimens" / "seed-page.expected.json")
                       .read_text(encoding="utf-8"))["spans"]
    out = ["## The seed page: real damage, several layers {#seed-page}", "",
           "`corpus/specimens/seed-page.txt` is a news article as a scraper/mirror site "
           "served it (see `corpus/specimens/README.md`). It was machine-converted from "
           "simplified to traditional characters with pinyin put after converted "
           "characters, then went through GBK, where the stream was cut inside characters "
           "at some points, and then full-width punctuation was folded to ASCII. Below, "
           "each damaged span the specimen's notes list, as found, with what luanma does "
           "to the line it is on (the window shown is the span and a few characters around "
           "it; the plan and notes are those that touch the span).", ""]
    lines = page.split("\n")
    starts, pos = [], 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    for sp in spans:
        off = sp["offset"]
        k = max(i for i, s in enumerate(starts) if s <= off)
        line, a = lines[k], off - starts[k]
        b = a + len(sp["damaged"])
        d = diagnose(line)
        touching = [f for f in d.spans if f.start < b and f.end > a]
        notes = []
        for n in d.notes:
            m = re.search(r"\[(\d+):(\d+)\]", n)
            if m and int(m.group(1)) < b and int(m.group(2)) > a:
                notes.append(n)
        # the same window of the output: shift by what fixes before it changed
        shift = sum(len(f.repaired) - len(f.garbled) for f in d.spans if f.end <= a)
        grow = sum(len(f.repaired) - len(f.garbled) for f in touching)
        w0, w1 = max(0, a - 4), min(len(line), b + 4)
        out_window = d.repaired[w0 + shift:w1 + shift + grow]
        status = sp["status"]
        out += [f"### `{show(sp['damaged'])}` ({status})", "",
                f"Specimen note: {sp['note']}." if sp.get("note") else "", "",
                "```text", f"input:    {show(line[w0:w1])}", f"luanma:   {show(out_window)}"]
        if sp.get("original"):
            out.append(f"original: {show(line[w0:a] + sp['original'] + line[b:w1])}")
        out += ["```", ""]
        if touching:
            verdict_text = ("**repaired exactly**" if sp.get("original") and
                            d.repaired[a + shift:b + shift + grow] == sp["original"]
                            else "**changed**" + (", but not to the original" if sp.get("original") else ""))
        else:
            verdict_text = "**left alone**"
        out += [f"Result: {verdict_text}.", ""]
        if touching:
            out += ["Plan:", "", "```text"] + [show(str(f), False) for f in touching] + ["```", ""]
        if notes:
            out += ["Notes:", "", "```text"] + [show(n, False) for n in notes] + ["```", ""]
    # the pinyin layer: the first sentence with two or more annotations
    from luanma import find_residue

    sentence = next(s + "。" for line in lines for s in line.split("。")
                    if len(find_residue(s)) >= 2 and len(s) <= 80)
    res = find_residue(sentence)
    out += ["### The pinyin layer (script-conversion residue)", "",
            "Not an encoding error, so `repair()` leaves it; `diagnose(text).residue` "
            "lists the annotations, and `strip_pinyin=True` with `script=\"simplified\"` "
            "removes them and converts back (opt-in; see [residue](residue.md)). The first "
            "sentence of the page with two or more annotations:", "",
            "```text", f"input:                  {show(sentence)}",
            f"repair():               {show(luanma.repair(sentence))}",
            f"strip_pinyin=True:      {show(luanma.repair(sentence, strip_pinyin=True))}",
            "strip_pinyin, simplified: " + show(luanma.repair(sentence, strip_pinyin=True,
                                                             script="simplified")),
            "```", "",
            f"Annotations found: {', '.join(f'`{show(r.text)}`' for r in res)}.", ""]
    return out


def tangtang_section() -> list[str]:
    filler = decode(b"\xcc" * 8, "gbk").text
    text = "buffer: " + filler
    out = ["## 烫烫烫 and 屯屯屯: uninitialised memory {#tangtang}", "",
           "Debug builds of MSVC programs fill uninitialised stack memory with 0xCC (heap: "
           "0xCD); printed as GBK, 0xCC 0xCC is 烫 and 0xCD 0xCD is 屯. There never was text "
           "there, so there is nothing to repair: luanma reports the run and leaves it.", "",
           "Example (**synthetic**: no real example in the repository; the filler is "
           "`decode(b\"\\xcc\" * 8, \"gbk\")`):", ""]
    out += diagnosis_block(text, None)
    return out


HEADER = """\
<!-- written by tools/build_gallery.py; do not edit by hand -->

# Gallery of damage

Find your case by what the garbled text looks like.  Every example below
was run through luanma when this page was generated
(`python tools/build_gallery.py`; a test re-runs it and fails if this page
differs), so what you see is what this version of luanma does, failures
included.  "input" is the garbled text, "luanma" what `repair()` returns,
"original" the text before the damage where it is known.  Control and
private-use characters are shown as `\\xNN` / `\\uXXXX` escapes.

Where the examples come from: the seed page is real damage found on the
web; the other kinds are real text (from `corpus/`) garbled with
`luanma.corrupt()` by the chain that kind of damage is (the chains were
checked against real damaged lines, `tests/test_realworld_chains.py`),
picked by a fixed rule (the first corpus record that fits; see the script),
not chosen for coming out well.  How luanma does on the real-world set of
469 damaged lines from public repositories is in [the last
section](#realworld).

| kind | example input (first characters) | chain |
|---|---|---|
"""

def build() -> str:
    out = [HEADER.rstrip("\n")]
    sections: list[str] = []
    for kind in KINDS:
        anchor, title, _lang, chain, _lossy, _what = kind
        lines, garbled = kind_section(*kind)
        sections += lines
        label = title.split(" (")[0] if title.startswith(("古", "符", "拼", "问", "口", "锟")) else title
        looks = show(garbled[:16]).replace("|", "\\|").replace("`", "'")
        out.append(f"| [{label}](#{anchor}) | `{looks}` | `{chain}` |".replace("| `", "| `", 1))
    out.append("| [The seed page (real damage)](#seed-page) | `金額?!拔腋` "
               "| `cut:gb18030:win | fold:width`, pinyin annotations |")
    out.append("| [烫烫烫 / 屯屯屯](#tangtang) | `烫烫烫烫` | none (uninitialised memory) |")
    out.append("")
    out += sections
    out += seed_sections()
    out += tangtang_section()
    out += ["## On the real-world set {#realworld}", "",
            "Lines from the history of public repositories, as they were found garbled and "
            "as someone later corrected them (`../shared/realworld/repo-pairs.jsonl`, "
            "outside this repository: its README gives no licence to copy the lines, so "
            "only counts, line ids and repository names appear here).  Produced by "
            "`python tools/build_gallery.py --realworld ../shared/realworld/repo-pairs.jsonl`:",
            "", '--8<-- "docs/generated/realworld-kinds.md"', ""]
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"


# -- the real-world counts -------------------------------------------------------

def chain_to_plan(chain: list[list[str]]) -> str:
    handlers = {"strict": "", "replace": "replace", "win_dbcs": "win", "c1passthrough": "c1",
                "qmark": "qmark", "ignore": "ignore"}
    layers = []
    for enc, dec in zip(chain[::2], chain[1::2]):
        enc_spec = enc[1] + (f":{enc[2]}" if len(enc) > 2 and enc[2] != "strict" else "")
        behaviour = handlers.get(dec[2] if len(dec) > 2 else "strict", dec[2] if len(dec) > 2 else "")
        layers.append(f"{enc_spec} -> {dec[1]}" + (f":{behaviour}" if behaviour else ""))
    return " | ".join(layers)


def realworld(path: Path, out_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import docout

    groups: dict[str, list[dict]] = defaultdict(list)
    for line in path.open(encoding="utf-8"):
        r = json.loads(line)
        plan = chain_to_plan(r["chain"]) if r["chain"] else "(not reproducible with stock codecs)"
        groups[plan].append(r)
    rows = []
    for plan, rs in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        exact = alone = wrong = 0
        wrong_ids = []
        for r in rs:
            got = luanma.repair(r["garbled"])
            if got == r["original"]:
                exact += 1
            elif got == r["garbled"]:
                alone += 1
            else:
                wrong += 1
                wrong_ids.append(r["id"])
        repos = sorted({r["source"]["repo"] for r in rs})
        rows.append([f"`{plan}`", str(len(rs)), str(exact), str(alone), str(wrong),
                     ", ".join(repos), ", ".join(wrong_ids[:5]) + (" ..." if len(wrong_ids) > 5 else "")])
    body = ("Per chain (as a luanma plan) of `repo-pairs.jsonl`: lines, repaired exactly, "
            "left alone, changed but not to the original (with the first ids).\n\n"
            + docout.table(["chain", "lines", "exact", "left alone", "changed, not exact",
                            "repositories", "ids changed, not exact"],
                           rows, right={1, 2, 3, 4}))
    docout.write(out_path, body)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "docs" / "gallery.md"))
    ap.add_argument("--realworld", metavar="PAIRS_JSONL",
                    help="also write docs/generated/realworld-kinds.md from this file")
    args = ap.parse_args()
    Path(args.out).write_text(build(), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    if args.realworld:
        realworld(Path(args.realworld), ROOT / "docs" / "generated" / "realworld-kinds.md")


if __name__ == "__main__":
    main()
