"""Tests for luanma.model, the character language model."""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
import threading
from importlib.resources import files
from pathlib import Path
from typing import List

import pytest

from luanma import model as model_mod
from luanma.model import CLASS_FLOOR, LanguageModel, char_class, get_model

ROOT = Path(__file__).resolve().parent.parent
CLEAN = Path(os.environ.get("LUANMA_SHARED", ROOT.parent / "shared")) / "realworld" / "clean.jsonl"

SIMPLIFIED = [
    "由月要好",
    "今天天气很好，我们一起去公园散步吧。",
    "请在设置中打开网络连接，然后重新启动应用程序。",
    "这个函数返回一个新的数组，原数组不会被修改。",
    "人民群众的生活水平在过去十年里有了明显提高。",
]
TRADITIONAL = [
    "資料庫連線失敗，請稍後再試。",
    "這個軟體的使用者介面非常簡單，適合初學者。",
    "臺灣的夜市有很多好吃的小吃。",
    "請確認您的帳號與密碼是否正確。",
]
JAPANESE = [
    "東京は日本の首都です。",
    "このファイルを開くことができませんでした。",
    "ボタンをクリックすると、設定画面が表示されます。",
]
KOREAN = [
    "서울은 대한민국의 수도입니다.",
    "파일을 저장하는 중에 오류가 발생했습니다.",
    "비밀번호를 다시 입력해 주세요.",
]
REAL = SIMPLIFIED + TRADITIONAL + JAPANESE + KOREAN
WRONG_CODECS = ["gbk", "big5", "shift_jis", "cp949", "latin-1"]


def garble(text: str, codec: str) -> str:
    return text.encode("utf-8").decode(codec, "replace")


@pytest.fixture(scope="module")
def lm() -> LanguageModel:
    return get_model()


# ------------------------------------------------------------ real vs garbled

@pytest.mark.parametrize("codec", WRONG_CODECS)
@pytest.mark.parametrize("text", REAL)
def test_real_text_beats_its_mojibake(lm: LanguageModel, text: str, codec: str) -> None:
    bad = garble(text, codec)
    assert bad != text
    assert lm.per_char(text) > lm.per_char(bad) + 0.5, (text, bad)


@pytest.mark.parametrize("text", REAL)
def test_real_text_scores_as_real(lm: LanguageModel, text: str) -> None:
    # Real CJK text sits around -2.5..-3.5 per character; mojibake -5..-7.
    assert lm.per_char(text) > -4.0, text


def test_traditional_and_simplified_both_real(lm: LanguageModel) -> None:
    import opencc

    s2t = opencc.OpenCC("s2twp")
    for simp in SIMPLIFIED[1:]:
        trad = s2t.convert(simp)
        assert trad != simp
        assert lm.per_char(trad) > -4.0
        # Neither script is treated as a corruption of the other.
        assert abs(lm.per_char(trad) - lm.per_char(simp)) < 0.8, (simp, trad)


def test_gbk_mojibake_classic_example(lm: LanguageModel) -> None:
    assert lm.per_char("由月要好") > lm.per_char("鐢辨湀瑕佸ソ") + 1.5


def _clean_lines(n: int) -> List[dict]:
    rows = []
    with CLEAN.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row.get("lang") in ("zh-Hans", "zh-Hant", "ja", "ko"):
                rows.append(row)
    step = max(1, len(rows) // n)
    return rows[::step][:n]


@pytest.mark.skipif(not CLEAN.exists(), reason="shared/realworld/clean.jsonl not present")
@pytest.mark.parametrize("codec", ["gbk", "big5", "shift_jis", "cp949"])
def test_realworld_lines_beat_mojibake(lm: LanguageModel, codec: str) -> None:
    rows = _clean_lines(20)
    assert len(rows) == 20
    losers = [r["id"] for r in rows
              if lm.per_char(r["text"]) <= lm.per_char(garble(r["text"], codec))]
    assert not losers


# --------------------------------------------------------------- scripts

def test_japanese_kana_kanji_beats_random_kana(lm: LanguageModel) -> None:
    real = "ボタンをクリックすると、設定画面が表示されます。"
    shuffled = "ンタボをクッリクるとす、定設面画が示表れすまさ。"
    assert lm.per_char(real) > lm.per_char(shuffled)


def test_korean_beats_jamo_and_shuffle(lm: LanguageModel) -> None:
    real = "파일을 저장하는 중에 오류가 발생했습니다."
    import unicodedata

    assert lm.per_char(real) > lm.per_char(unicodedata.normalize("NFD", real))
    assert lm.per_char(real) > lm.per_char("니습했생발 가류오 에중 는하장저 을일파.")


def test_ascii_and_latin_not_catastrophic(lm: LanguageModel) -> None:
    for text in ["hello world", "def main(argv=None):", "x = [1, 2, 3]",
                 "Grüße aus München", "Привет, мир", "README.md"]:
        assert lm.per_char(text) > -4.0, text
    # ...and a garbled span with ASCII around it still loses to the repair.
    assert lm.per_char("see 由月要好 here") > lm.per_char("see 鐢辨湀瑕佸ソ here")


def test_letters_follow_letters(lm: LanguageModel) -> None:
    assert lm.logp("a", "b") > lm.logp("a", "\x07")
    assert lm.logp("q", "u") > lm.logp("q", "\x00")


# ---------------------------------------------------------- class floors

def test_class_floors_order(lm: LanguageModel) -> None:
    assert char_class("\ue000") == "pua"
    assert char_class("\x85") == "c1_control"
    assert char_class("ｶ") == "halfwidth_katakana"
    assert char_class("的") == "cjk_common"
    assert char_class("\u3400") == "cjk_ext_a"
    assert char_class("\U00020000") == "cjk_ext_b_plus"
    assert char_class("\ufffd") == "replacement"
    assert set(CLASS_FLOOR) >= {char_class(c) for c in "a的鐢ｶ가\ue000\ufffd\x01\x85─"}
    # Unseen private-use / control characters are far less likely than any
    # real character.
    assert lm.unigram_logp("\ue000") < lm.unigram_logp("\U0002a6d6") < lm.unigram_logp("的")
    assert lm.unigram_logp("\x85") < -9
    assert lm.unigram_logp("\ufffd") < -8


def test_replacement_runs_stay_improbable(lm: LanguageModel) -> None:
    # wordfreq's ja list contains U+FFFD; it must not be learnt.
    assert lm.logp("\ufffd", "\ufffd") < -4


# ------------------------------------------------------------ consistency

def test_score_is_sum_of_conditionals(lm: LanguageModel) -> None:
    text = "在 Git 中，每個物件都有 id。"
    total = sum(lm.logp("\n" + text[:i], c) for i, c in enumerate(text))
    assert lm.score(text) == pytest.approx(total)
    assert lm.per_char(text) == pytest.approx(total / len(text))
    assert lm.per_char("") == 0.0


def test_prev_context_is_used(lm: LanguageModel) -> None:
    assert lm.logp("中", "国") > lm.logp("", "国") - 1
    assert lm.score("国", prev="中") == pytest.approx(lm.logp("中", "国"))


def test_lost_character_examples(lm: LanguageModel) -> None:
    # Candidates share the lost character's first two UTF-8 bytes.
    cases = [("我们一", "起", "去吧"), ("中华人民", "共", "和国"), ("請輸入", "密", "碼"),
             ("東京は日本の", "首", "都です")]
    for left, true, right in cases:
        base = ord(true) & ~0x3F
        cands = [chr(c) for c in range(base, base + 64)]
        assert max(cands, key=lambda c: lm.fill_logp(left, c, right)) == true


def test_adapted_model_uses_document(lm: LanguageModel) -> None:
    doc = "链判断运算符可以简化写法。链判断运算符有短路机制。使用链判断运算符时"
    am = lm.adapt(doc)
    assert am.logp("用", "链") > lm.logp("用", "链")
    # Traditional document: simplified-only characters are penalised.
    trad = lm.adapt("這個軟體的使用者介面非常簡單，適合初學者。請確認帳號與密碼。")
    assert trad.logp("軟", "體") - trad.logp("軟", "体") > lm.logp("軟", "體") - lm.logp("軟", "体")


# ------------------------------------------------------- loading, threads

def test_data_file_size() -> None:
    data = files("luanma").joinpath("data/charlm.bin").read_bytes()
    assert len(data) < 5 * 1024 * 1024
    header_len = int.from_bytes(data[8:12], "little")
    header = json.loads(data[12:12 + header_len])
    assert header["log_base"] == 10
    assert "CC BY-SA 4.0" in header["attribution"]


def test_import_does_not_load() -> None:
    code = "import luanma.model as m; print(m._MODEL is None)"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, env=env, check=True)
    assert out.stdout.strip() == "True"


def test_thread_safe_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_mod, "_MODEL", None)
    calls = []
    real_init = LanguageModel.__init__

    def counting_init(self: LanguageModel, raw: bytes) -> None:
        calls.append(1)
        real_init(self, raw)

    monkeypatch.setattr(LanguageModel, "__init__", counting_init)
    barrier = threading.Barrier(8)
    got: List[object] = []
    scores: List[float] = []

    def worker() -> None:
        barrier.wait()
        m = get_model()
        got.append(m)
        # Lazy table expansion races too: results must not depend on it.
        scores.append(m.score("今天天气很好，資料庫連線失敗。東京は日本の首都です。"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and all(m is got[0] for m in got)
    assert len(calls) == 1
    assert len(set(scores)) == 1


def test_bad_data_rejected() -> None:
    with pytest.raises(ValueError):
        LanguageModel(b"not a model at all")


def test_window_scores_and_term_bound_agree_with_score() -> None:
    """``window_scores`` is ``score`` of each character in its window of
    two, exactly; no character in any context scores above ``term_bound``."""
    lm = get_model()
    texts = SIMPLIFIED + TRADITIONAL + JAPANESE + ["mixed ASCII 和中文 — ok?", "\ue000鐢辨湀\ufffd", "a", ""]
    bound = lm.term_bound()
    for t in texts:
        assert lm.window_scores(t) == [lm.score(t[i], t[max(0, i - 2):i] or "\n") for i in range(len(t))]
        assert lm.adapt(t + "。").window_scores(t) == \
            [lm.adapt(t + "。").score(t[i], t[max(0, i - 2):i] or "\n") for i in range(len(t))]
        for i in range(len(t)):
            for prev in ("\n", t[max(0, i - 2):i], "x", "中国"):
                assert lm.score(t[i], prev or "\n") <= bound



def test_window_scores_agree_with_score_on_odd_text() -> None:
    """The same, bit for bit (the sign of a zero included), on the odd text
    ``detect._promising`` scores -- corpus lines read as their GBK/Big5
    counterparts, where most trigram contexts have no table -- and on random
    mixes of ASCII, CJK and other characters."""
    from luanma.detect import Hypothesis, _counterparts

    lm = get_model()
    rng = random.Random(17)
    texts = []
    for t in SIMPLIFIED + TRADITIONAL + JAPANESE:
        for h in (Hypothesis("gbk", "big5"), Hypothesis("big5", "gbk")):
            texts.append(t.translate(_counterparts(h.encoding, h.family)))
    for _ in range(300):
        texts.append("".join(chr(rng.choice([rng.randint(0x20, 0x7E), rng.randint(0x4E00, 0x9FFF),
                                             rng.randint(0x80, 0xFFFF)])) for _ in range(rng.randint(1, 12))))
    for t in texts:
        want = [lm.score(t[i], t[max(0, i - 2):i] or "\n") for i in range(len(t))]
        assert list(map(repr, lm.window_scores(t))) == list(map(repr, want)), t


# ------------------------------------------------------------ word lexicon

def _plain_word_logp(m: LanguageModel, lex: dict, text: str) -> float:
    """word_logp as first written: a {word: logp} dict, every slice looked up."""
    n, neg = len(text), -1e300
    acc = [neg] * (n + 1)
    acc[0] = 0.0
    for i in range(n):
        if acc[i] == neg:
            continue
        for j in range(i + 1, min(n, i + model_mod._LEX_MAXLEN) + 1):
            lp = lex.get(text[i:j])
            if lp is None:
                if j != i + 1:
                    continue
                lp = m.unigram_logp(text[i]) + model_mod.WORD_UNK_PENALTY
            x, a = acc[i] + lp, acc[j]
            if a == neg:
                acc[j] = x
            else:
                hi, lo = (a, x) if a > x else (x, a)
                acc[j] = hi + math.log10(1.0 + 10.0 ** (lo - hi))
    return acc[n]


def test_word_logp_equals_plain_dict_lookup() -> None:
    # the packed lexicon (one string per first character, a prefix search
    # that stops early) gives exactly what a plain dict of words gave
    m = LanguageModel(files("luanma").joinpath("data/charlm.bin").read_bytes())
    raw, q = m._lex_raw  # type: ignore[misc]
    lex = dict(zip(raw.decode("utf-8").split("\n"), map(m._ptab.__getitem__, q)))
    rng = random.Random(5)
    words = sorted(lex)
    texts = [s[i:i + 10] for s in SIMPLIFIED + TRADITIONAL + JAPANESE + KOREAN for i in range(len(s))]
    for _ in range(1500):
        parts = []
        for _ in range(rng.randrange(1, 5)):
            r = rng.random()
            w = rng.choice(words)
            parts.append(w if r < 0.5 else w[:-1] or "x" if r < 0.7 else
                         rng.choice(["\x00", "\x01", "\x01\u0100", "\x00\x01", "\u0105", ""])
                         if r < 0.8 else chr(rng.randrange(0x20, 0x2FFFF)))
        texts.append("".join(parts))
    assert [m.word_logp(t) for t in texts] == [_plain_word_logp(m, lex, t) for t in texts]
    assert m._lex_raw is None          # the raw sections are dropped once unpacked


def test_lexicon_built_once_under_threads() -> None:
    m = LanguageModel(files("luanma").joinpath("data/charlm.bin").read_bytes())
    barrier = threading.Barrier(6)
    got: list[float] = []
    lexicons: list[object] = []

    def worker() -> None:
        barrier.wait()
        got.append(m.word_logp("请返回首页"))
        lexicons.append(m._lexicon())

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(got)) == 1 and all(x is lexicons[0] for x in lexicons)
