"""The luanma command, run as a real subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "luanma", *args], input=stdin,
                          capture_output=True, text=True, encoding="utf-8")


def test_repairs_a_file_to_stdout_and_leaves_clean_lines_byte_for_byte(tmp_path: Path) -> None:
    f = tmp_path / "in.txt"
    f.write_text("这是正常的中文。\n## 涓轰粈涔堥渶瑕?Sego\n", encoding="utf-8")
    out = run(str(f))
    assert out.returncode == 0
    assert out.stdout == "这是正常的中文。\n## 为什么需要 Sego\n"


def test_check_exits_1_on_garbled_and_0_on_clean(tmp_path: Path) -> None:
    bad, good = tmp_path / "bad.txt", tmp_path / "good.txt"
    bad.write_text("Sego 鍥炬爣\n", encoding="utf-8")
    good.write_text("Sego 图标\n", encoding="utf-8")
    r = run("--check", str(bad))
    assert r.returncode == 1 and "bad.txt:1:" in r.stdout and "utf-8 -> gbk" in r.stdout
    assert run("--check", str(good)).returncode == 0


def test_stdin_and_a_clear_error_for_a_missing_file(tmp_path: Path) -> None:
    assert run(stdin="鐢辨湀瑕佸ソ\n").stdout == "由月要好\n"
    r = run(str(tmp_path / "nope.txt"))
    assert r.returncode == 2 and "nope.txt" in r.stderr
