"""Build examples/garbled.txt: real corpus lines garbled the ways software
garbles them, interleaved with clean lines (which must come out unchanged).

    python tools/make_examples.py
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from luanma import LuanmaError, corrupt  # noqa: E402

CHAINS = [
    ("zh-Hans", "utf-8 -> gbk"),
    ("zh-Hans", "utf-8 -> gbk:win"),
    ("zh-Hant", "utf-8 -> big5"),
    ("ja", "utf-8 -> shift_jis"),
    ("ko", "utf-8 -> cp949"),
    ("zh-Hans", "gbk -> cp1252:c1"),
    ("zh-Hans", "utf-8 -> cp1252:c1"),
    ("zh-Hans", "utf-8 -> gbk | utf-8 -> cp1252:c1"),
    ("mixed", "utf-8 -> gbk"),
]


def main() -> None:
    rng = random.Random(11)
    lines: list[str] = []
    for lang, plan in CHAINS:
        texts = [json.loads(x)["text"] for x in (ROOT / "corpus" / f"{lang}.jsonl").open(encoding="utf-8")]
        texts = [t for t in texts if 15 <= len(t) <= 80 and "\n" not in t]
        rng.shuffle(texts)
        lines.append(texts[0])
        for t in texts[1:]:
            try:
                lines.append(corrupt(t, plan).text)
                break
            except LuanmaError:  # this text cannot pass through a strict decoder
                continue
    out = ROOT / "examples" / "garbled.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(lines)} lines)")


if __name__ == "__main__":
    main()
