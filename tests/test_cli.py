"""The luanma command, run as a real subprocess on real files.

Garbled inputs are made with luanma.corrupt; expected repairs come from
luanma.repair in this process, so these tests check the command (streaming,
splicing, exit codes, errors, atomic writes), not the repair model.
"""

from __future__ import annotations

import difflib
import json
import os
import pty
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from luanma import corrupt, diagnose, repair

ROOT = Path(__file__).resolve().parents[1]
SEED_PAGE = ROOT / "corpus" / "specimens" / "seed-page.txt"

# Garbled strings and their repairs.  ("由月要好的朋友" has an odd UTF-8 byte
# count, so strict GBK cannot decode it: the Windows decoder leaves a '?'.)
G1 = corrupt("由月要好", "utf-8 -> gbk").text                  # 鐢辨湀瑕佸ソ
G2 = corrupt("由月要好的朋友", "utf-8 -> gbk:win").text
G3 = corrupt("图标", "utf-8 -> gbk").text                      # 鍥炬爣
R1, R2, R3 = repair(G1), repair(G2), repair(G3)


def test_the_garbled_samples_do_get_repaired() -> None:
    assert (R1, R3) == ("由月要好", "图标") and R2 != G2


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "luanma", *args], input=stdin,
                          capture_output=True, text=True, encoding="utf-8", check=False)


def run_bytes(*args: object, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """The command with bytes in and out, for byte-for-byte checks."""
    return subprocess.run([sys.executable, "-m", "luanma", *map(str, args)], input=stdin,
                          capture_output=True, check=False, timeout=120)


def write(path: Path, data: str | bytes) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def corpus_texts(lang: str, n: int, encoding: str = "utf-8", min_len: int = 30) -> list[str]:
    """The first ``n`` corpus texts of ``lang`` that ``encoding`` can hold."""
    out = []
    with (ROOT / "corpus" / f"{lang}.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            text = json.loads(line)["text"]
            try:
                text.encode(encoding)
            except UnicodeEncodeError:
                continue
            if len(text) >= min_len:
                out.append(text)
            if len(out) == n:
                break
    return out


# --------------------------------------------------------------------------
# Plain text
# --------------------------------------------------------------------------

def test_repairs_a_file_to_stdout_and_leaves_clean_lines_byte_for_byte(tmp_path: Path) -> None:
    f = tmp_path / "in.txt"
    f.write_text("这是正常的中文。\n## 涓轰粈涔堥渶瑕?Sego\n", encoding="utf-8")
    out = run(str(f))
    assert out.returncode == 0
    assert out.stdout == "这是正常的中文。\n## 为什么需要 Sego\n"


def test_line_endings_and_a_missing_final_newline_are_kept(tmp_path: Path) -> None:
    f = write(tmp_path / "in.txt", f"a\r\n{G1}\r\n  {G3}\nno newline {G1}")
    r = run_bytes(f)
    assert r.returncode == 0 and r.stderr == b""
    assert r.stdout == f"a\r\n{R1}\r\n  {R3}\nno newline {R1}".encode()


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


def test_explain_prints_plans_to_stderr_and_the_text_to_stdout(tmp_path: Path) -> None:
    f = write(tmp_path / "in.txt", f"ok\n{G1}\n")
    r = run_bytes("--explain", f)
    assert r.returncode == 0 and r.stdout == f"ok\n{R1}\n".encode()
    plan = str(diagnose(G1).spans[0])
    assert r.stderr.decode() == f"{f}:2: {plan}\n"


def test_seed_page_comes_out_as_repair_makes_each_line(tmp_path: Path) -> None:
    """The real specimen, in two processes: every line as repair() makes it
    in this process, so untouched lines are byte-for-byte the input."""
    lines = SEED_PAGE.read_text(encoding="utf-8").splitlines(keepends=True)
    found = [diagnose(line.rstrip("\n")) for line in lines]
    expected = "".join(d.repaired + line[len(d.text):] for d, line in zip(found, lines))
    r = run_bytes("--jobs", "2", "--explain", SEED_PAGE)
    assert r.returncode == 0
    assert r.stdout.decode("utf-8") == expected
    explained = [x.split(": ", 1) for x in r.stderr.decode().splitlines()]
    assert explained == [[f"{SEED_PAGE}:{i}", str(f)] for i, d in enumerate(found, 1)
                         for f in d.spans]


# --------------------------------------------------------------------------
# JSON Lines
# --------------------------------------------------------------------------

def test_jsonl_repairs_only_named_fields_and_keeps_every_other_byte(tmp_path: Path) -> None:
    esc = json.dumps(G1)        # the same garbled text written with \\uXXXX escapes
    src = [
        f'{{"id": 1, "text": "{G1}", "meta": {{"title": "{G3}", "n": 1.50}}, "x": "{G1}"}}\n',
        '{"id":2,"text":"这是正常的中文。","x":"\\u4e2d"}\n',
        f'{{"id": 3, "text": {esc}, "other": {esc}}}\n',
        "\n",
        f'{{"id": 4,  "text" : "{G1}" , "text": "{G3}"}}\r\n',
        '{"id": 5, "text": null, "meta": "not an object"}\n',
        "[1, 2]\n",
        f'{{"id": 6, "text": "{G1}"}}',
    ]
    want = list(src)
    want[0] = src[0].replace(f'"{G1}", "meta"', f'"{R1}", "meta"').replace(G3, R3)
    want[2] = src[2].replace(f'"text": {esc}', f'"text": {json.dumps(R1)}')   # stays escaped
    want[4] = src[4].replace(G3, R3)           # json.loads keeps the last duplicate key
    want[7] = src[7].replace(G1, R1)
    f = write(tmp_path / "in.jsonl", "".join(src))
    r = run_bytes("--jsonl", "--field", "text", "--field", "meta.title", f)
    assert r.returncode == 0 and r.stderr == b""
    assert r.stdout == "".join(want).encode("utf-8")


def test_jsonl_list_index_paths(tmp_path: Path) -> None:
    f = write(tmp_path / "in.jsonl", f'{{"tags": ["{G1}", "{G3}"]}}\n')
    r = run_bytes("--jsonl", "--field", "tags.1", f)
    assert r.stdout == f'{{"tags": ["{G1}", "{R3}"]}}\n'.encode()


def test_jsonl_check_names_file_line_and_field(tmp_path: Path) -> None:
    f = write(tmp_path / "in.jsonl", f'{{"a": "ok"}}\n{{"a": "{G1}", "b": {{"c": "{G3}"}}}}\n')
    r = run_bytes("--check", "--jsonl", "--field", "a", "--field", "b.c", f)
    lines = r.stdout.decode().splitlines()
    assert r.returncode == 1 and len(lines) == 2
    assert lines[0].startswith(f"{f}:2: a: [0:") and "utf-8 -> gbk" in lines[0]
    assert lines[1].startswith(f"{f}:2: b.c: [0:")
    clean = write(tmp_path / "clean.jsonl", f'{{"a": "ok", "z": "{G1}"}}\n')
    r = run_bytes("--check", "--jsonl", "--field", "a", clean)
    assert r.returncode == 0 and r.stdout == b""


def test_jsonl_without_field_repairs_every_string_value_and_no_key(tmp_path: Path) -> None:
    """No --field: every string value at any depth, in objects and lists;
    keys, numbers, literals, spacing and escapes stay byte for byte."""
    esc = json.dumps(G1)        # \\uXXXX escapes
    src = [
        "\ufeff" f'{{"id": 1, "title": "{G1}", "body": {{"text": "{G3}", '
        f'"tags": ["{G1}", "ok", 7, null, true]}}, "n": 1.50e0}}\n',
        f'{{"{G1}": "clean 中文", "k" :  "{G3}"  ,"nan": NaN, "inf": -Infinity}}\n',
        '{"id":2,"text":"这是正常的中文。","x":"\\u4e2d","f":-0.0,"e":1E+2,"nan":NaN}\n',
        f'{{"esc": {esc}, "plain": "{G1}", "both": ["{G3}", {esc}]}}\n',
        "\n",
        f'"{G1}"\r\n',
        f'[["{G3}"], {{"a": {{"b": "{G1}"}}}}, []]\n',
        f'{{"d": "{G1}", "d": "{G3}"}}\n',
        f'{{"last": "{G3}"}}',
    ]
    want = list(src)
    want[0] = src[0].replace(G1, R1).replace(G3, R3)
    want[1] = src[1].replace(f'"{G3}"', f'"{R3}"')                 # the key stays garbled
    want[3] = (f'{{"esc": {json.dumps(R1)}, "plain": "{R1}", '
               f'"both": ["{R3}", {json.dumps(R1)}]}}\n')         # escaped stays escaped
    want[5] = f'"{R1}"\r\n'
    want[6] = src[6].replace(G1, R1).replace(G3, R3)
    want[7] = f'{{"d": "{G1}", "d": "{R3}"}}\n'     # json.loads keeps the last duplicate
    want[8] = f'{{"last": "{R3}"}}'
    f = write(tmp_path / "in.jsonl", "".join(src))
    for jobs in ("1", "2"):
        r = run_bytes("--jsonl", "--jobs", jobs, f)
        assert r.returncode == 0 and r.stderr == b""
        assert r.stdout == "".join(want).encode("utf-8")
    r = run_bytes("--check", "--jsonl", f)
    where = [line.split(" [", 1)[0] for line in r.stdout.decode().splitlines()]
    assert r.returncode == 1
    assert where == [f"{f}:{n}: {p}".rstrip() for n, p in [
        (1, "title:"), (1, "body.text:"), (1, "body.tags.0:"), (2, "k:"), (4, "esc:"),
        (4, "plain:"), (4, "both.0:"), (4, "both.1:"), (6, ""), (7, "0.0:"), (7, "1.a.b:"),
        (8, "d:"), (9, "last:")]]


def test_jsonl_without_field_leaves_clean_corpus_lines_byte_for_byte(tmp_path: Path) -> None:
    """Real corpus lines as they are in the repository (all clean): the
    output is the input, byte for byte."""
    data = b"".join(line for lang in ("zh-Hans", "zh-Hant", "ja", "ko", "mixed")
                    for line in (ROOT / "corpus" / f"{lang}.jsonl").read_bytes()
                    .splitlines(keepends=True)[:40])
    f = write(tmp_path / "corpus.jsonl", data)
    r = run_bytes("--jsonl", f)
    assert r.returncode == 0 and r.stdout == data


# --------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------

def test_csv_repairs_only_named_columns_and_keeps_quoting(tmp_path: Path) -> None:
    src = ("id,title,body\r\n"
           f'1,{G1},"keep, {G1}"\r\n'
           f'2,"{G3}","multi\nline"\r\n'
           '3,plain,"a ""quoted"" word"\r\n'
           f'4,"{G1} ""q""",x\r\n'
           "\r\n"
           f"5,{G3},{G3}")
    want = ("id,title,body\r\n"
            f'1,{R1},"keep, {G1}"\r\n'
            f'2,"{R3}","multi\nline"\r\n'
            '3,plain,"a ""quoted"" word"\r\n'
            f'4,"{R1} ""q""",x\r\n'
            "\r\n"
            f"5,{R3},{G3}")
    f = write(tmp_path / "in.csv", src)
    r = run_bytes("--csv", "--column", "title", f)
    assert r.returncode == 0 and r.stderr == b""
    assert r.stdout == want.encode("utf-8")


def test_csv_tab_delimiter_and_check(tmp_path: Path) -> None:
    f = write(tmp_path / "in.tsv", f"k\tv\n1\t{G1}\n2\tok\n")
    r = run_bytes("--csv", "--column", "v", "--delimiter", "\\t", f)
    assert r.stdout == f"k\tv\n1\t{R1}\n2\tok\n".encode()
    r = run_bytes("--check", "--csv", "--column", "v", "--delimiter", "\\t", f)
    assert r.returncode == 1 and r.stdout.decode().startswith(f"{f}:2: v: [0:")


# --------------------------------------------------------------------------
# --diff
# --------------------------------------------------------------------------

def test_diff_matches_difflib_and_writes_nothing(tmp_path: Path) -> None:
    lines = [f"line {i}\n" for i in range(1, 31)]
    for i, g in ((2, G1), (5, G3), (20, G1)):
        lines[i - 1] = f"{g}\n"
    f = write(tmp_path / "in.txt", "".join(lines))
    before = f.read_bytes()
    r = run_bytes("--diff", f)
    fixed = [repair(x[:-1]) + "\n" for x in lines]
    want = "".join(difflib.unified_diff(lines, fixed, str(f), str(f)))
    assert r.returncode == 1 and r.stdout.decode() == want
    assert f.read_bytes() == before
    clean = write(tmp_path / "clean.txt", "all fine\n中文\n")
    r = run_bytes("--diff", clean)
    assert r.returncode == 0 and r.stdout == b""


def test_diff_marks_a_missing_final_newline(tmp_path: Path) -> None:
    f = write(tmp_path / "in.txt", f"a\n{G1}")
    r = run_bytes("--diff", f)
    assert r.stdout.decode() == (f"--- {f}\n+++ {f}\n@@ -1,2 +1,2 @@\n a\n"
                                 f"-{G1}\n\\ No newline at end of file\n"
                                 f"+{R1}\n\\ No newline at end of file\n")


# --------------------------------------------------------------------------
# Encodings
# --------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "encoding", "detected"), [
    ("zh-Hans", "gbk", "gb18030"),
    ("zh-Hant", "big5", "big5"),
    ("ja", "shift_jis", "cp932"),
    ("ko", "euc_kr", "euc_kr"),
    ("zh-Hans", "utf-16", "utf-16"),
])
def test_encoding_auto_reads_legacy_files(tmp_path: Path, lang: str, encoding: str,
                                          detected: str) -> None:
    texts = corpus_texts(lang, 12, encoding)
    text = "\n".join(texts) + "\n"
    f = write(tmp_path / "in.txt", text.encode(encoding))
    r = run_bytes("--encoding", "auto", "--explain", f)
    assert r.returncode == 0
    assert f"read as {detected}" in r.stderr.decode()
    assert r.stdout.decode("utf-8") == "".join(repair(t) + "\n" for t in texts)


def test_explicit_encoding_and_auto_with_a_garbled_line(tmp_path: Path) -> None:
    texts = corpus_texts("zh-Hans", 10, "gbk")
    f = write(tmp_path / "in.txt", ("\n".join(texts) + "\n").encode("gbk") + f"{G1}\n".encode("gbk"))
    want = ("".join(repair(t) + "\n" for t in texts) + f"{R1}\n").encode("utf-8")
    assert run_bytes("--encoding", "gbk", f).stdout == want
    assert run_bytes("--encoding", "auto", f).stdout == want


# --------------------------------------------------------------------------
# Errors: FILE:LINE: what, exit 2, nothing lost
# --------------------------------------------------------------------------

ERROR_CASES = [
    ("binary", "in.bin", b"ok\n\x00\x01\x02\n", (), 2, "NUL byte at column 1"),
    ("bad utf-8", "in.txt", b"fine\n\xd3\xc9\xd4\xc2 gbk\n", (), 2, "not valid utf-8"),
    ("bad json", "in.jsonl", f'{{"t": "{G1}"}}\n{{"t": 1}}\n{{"t": "x",}}\n'.encode(),
     ("--jsonl", "--field", "t"), 3, "bad JSON"),
    ("ragged csv", "in.csv", f"a,b\n1,{G1}\n3\n".encode(), ("--csv", "--column", "b"), 3,
     "ragged CSV row: 1 field, the header has 2"),
    ("open quote", "in.csv", f'a,b\n1,{G1}\n2,"x\n'.encode(), ("--csv", "--column", "b"), 3,
     "bad CSV"),
    ("no column", "in.csv", b"a,b\n1,2\n", ("--csv", "--column", "nope"), 1, "no column 'nope'"),
]


@pytest.mark.parametrize("in_place", [False, True], ids=["stdout", "in-place"])
@pytest.mark.parametrize(("name", "data", "args", "lineno", "message"),
                         [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_bad_input_is_reported_with_file_and_line_and_kept(
        tmp_path: Path, in_place: bool, name: str, data: bytes, args: tuple[str, ...],
        lineno: int, message: str) -> None:
    f = write(tmp_path / name, data)
    stamp = os.stat(f).st_mtime_ns
    r = run_bytes(*args, *(["--in-place"] if in_place else []), f)
    assert r.returncode == 2
    err = r.stderr.decode()
    assert err.startswith(f"luanma: {f}:{lineno}: ") and message in err, err
    assert f.read_bytes() == data and os.stat(f).st_mtime_ns == stamp
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]     # no temp file left
    if not in_place and name == "in.jsonl":
        # a filter streams: what came before the bad line is out, repaired
        assert r.stdout == f'{{"t": "{R1}"}}\n{{"t": 1}}\n'.encode()


def test_an_error_in_one_file_does_not_stop_the_next(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.txt", b"\xff\n")
    good = write(tmp_path / "good.txt", f"{G1}\n")
    r = run_bytes(bad, good)
    assert r.returncode == 2 and r.stdout == f"{R1}\n".encode()
    assert r.stderr.decode() == f"luanma: {bad}:1: not valid utf-8 (byte ff at column 1); " \
                                "try --encoding auto\n"


@pytest.mark.parametrize("args", [
    ("--field", "x"), ("--csv",), ("--in-place",), ("--backup", ".b", "f"),
    ("--check", "--diff", "f"), ("--encoding", "nonsense", "f"), ("--jobs", "-1"),
])
def test_misuse_is_an_error(args: tuple[str, ...]) -> None:
    r = run_bytes(*args, stdin=b"")
    assert r.returncode == 2 and r.stderr.startswith(b"usage: luanma") and b"error:" in r.stderr


# --------------------------------------------------------------------------
# --in-place
# --------------------------------------------------------------------------

def test_in_place_rewrites_keeps_mode_and_backup(tmp_path: Path) -> None:
    original = f"a\n{G1}\n"
    f = write(tmp_path / "in.txt", original)
    os.chmod(f, 0o640)
    link = tmp_path / "link.txt"
    link.symlink_to(f.name)
    r = run_bytes("--in-place", "--backup", ".bak", link)
    assert r.returncode == 0 and r.stdout == b"" and r.stderr == b""
    assert f.read_text(encoding="utf-8") == f"a\n{R1}\n"
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o640
    assert link.is_symlink()                                   # the link is kept
    assert (tmp_path / "in.txt.bak").read_text(encoding="utf-8") == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt", "in.txt.bak", "link.txt"]


def test_in_place_leaves_an_unchanged_file_untouched(tmp_path: Path) -> None:
    f = write(tmp_path / "in.csv", f"a,b\n1,{G1}\n")
    os.utime(f, ns=(10**18, 10**18))
    r = run_bytes("--in-place", "--backup", ".bak", "--csv", "--column", "a", f)
    assert r.returncode == 0
    assert os.stat(f).st_mtime_ns == 10**18
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_in_place_jsonl_with_jobs(tmp_path: Path) -> None:
    rows = [{"i": i, "t": G1 if i % 3 == 0 else f"row {i}"} for i in range(150)]
    f = write(tmp_path / "in.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n"
                                            for r in rows))
    r = run_bytes("--in-place", "--jobs", "2", "--jsonl", "--field", "t", f)
    assert r.returncode == 0
    got = [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines()]
    assert got == [{"i": i, "t": R1 if i % 3 == 0 else f"row {i}"} for i in range(150)]


# --------------------------------------------------------------------------
# Interrupted in-place writes
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def slow_input() -> bytes:
    """Enough work that a run takes several seconds, with output from the
    first fraction of a second (a garbled word, then ASCII padding).  (2,500
    lines once took seconds; as repair got faster they took 0.56 s, with
    the temp file growing at 0.30 s: too narrow a window to be sure a
    signal lands mid-write.)"""
    return "".join(f"{G1} {i} " + "padding " * 25 + "\n" for i in range(30000)).encode("utf-8")


def start_in_place(path: Path, *args: str) -> subprocess.Popen:
    """Start `luanma --in-place` and wait until part of its temp file is on disk.

    The child gets SIGINT's default action, as a shell gives a foreground
    job: a test run started in the background inherits SIGINT ignored, and
    Python (rightly) keeps an ignored SIGINT ignored."""
    proc = subprocess.Popen([sys.executable, "-m", "luanma", "--in-place", *args, str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        temps = [p for p in path.parent.iterdir() if p.name.endswith(".luanma-tmp")]
        if temps and temps[0].stat().st_size > 0:
            return proc
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("the temp file never grew")


def only_temp_files_beside(path: Path) -> list[str]:
    others = sorted(p.name for p in path.parent.iterdir() if p != path)
    assert all(n.startswith(f".{path.name}.") and n.endswith(".luanma-tmp") for n in others)
    return others


def test_sigkill_mid_write_leaves_the_original_whole(tmp_path: Path, slow_input: bytes) -> None:
    f = write(tmp_path / "big.txt", slow_input)
    proc = start_in_place(f)
    proc.kill()
    proc.wait(timeout=10)
    assert f.read_bytes() == slow_input
    assert len(only_temp_files_beside(f)) <= 1      # kill -9 cannot clean up; that is all


@pytest.mark.parametrize(("sig", "jobs"), [(signal.SIGINT, "1"), (signal.SIGTERM, "1"),
                                           (signal.SIGTERM, "2")])
def test_sigint_and_sigterm_mid_write_clean_up(tmp_path: Path, slow_input: bytes,
                                              sig: signal.Signals, jobs: str) -> None:
    f = write(tmp_path / "big.txt", slow_input)
    proc = start_in_place(f, "--jobs", jobs)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 128 + sig, err
    assert b"interrupted" in err and b"Traceback" not in err
    assert f.read_bytes() == slow_input
    assert only_temp_files_beside(f) == []


def children_of(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(entry.name))
    return kids


def running(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie (an exited orphan may stay
    one where nothing reaps it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_workers_exit_when_the_parent_is_killed(tmp_path: Path, slow_input: bytes) -> None:
    f = write(tmp_path / "big.txt", slow_input)
    proc = start_in_place(f, "--jobs", "2")
    workers = children_of(proc.pid)
    assert workers
    proc.kill()
    proc.wait(timeout=10)
    deadline = time.monotonic() + 15
    while (alive := [w for w in workers if running(w)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    for w in alive:
        os.kill(w, signal.SIGKILL)
    assert alive == []
    assert f.read_bytes() == slow_input


# --------------------------------------------------------------------------
# Streaming, memory, progress
# --------------------------------------------------------------------------

def peak_rss_kb(*args: object) -> int:
    """Peak RSS of the command and its workers (the largest of them), in KB."""
    code = ("import resource, subprocess, sys\n"
            "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    out = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "luanma",
                          *map(str, args)], capture_output=True, text=True, check=True)
    return int(out.stdout)


def make_jsonl(path: Path, n: int) -> Path:
    """``n`` records, mostly ASCII, one in 500 garbled (those go to workers)."""
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            text = G1 if i % 500 == 0 else f"plain ascii record number {i} " + "x" * 40
            fh.write(json.dumps({"id": i, "text": text}, ensure_ascii=False) + "\n")
    return path


def test_memory_stays_flat_as_input_grows(tmp_path: Path) -> None:
    small = make_jsonl(tmp_path / "small.jsonl", 2_000)
    big = make_jsonl(tmp_path / "big.jsonl", 100_000)       # ~9 MB
    args = ("--jobs", "2", "--jsonl", "--field", "text")
    base = peak_rss_kb(*args, small)
    grown = peak_rss_kb(*args, big)
    assert big.stat().st_size > 8_000_000
    assert grown - base < 10_000, (base, grown)     # KB: far below the input's size


def garbled_corpus(n_per_lang: int) -> list[tuple[str, str]]:
    """(text as it goes in, as repair() makes it): real corpus texts, every
    fifth garbled by a lossless plan its language's software uses."""
    plans = {"zh-Hans": "gbk -> latin-1", "zh-Hant": "big5 -> latin-1",
             "ja": "utf-8 -> shift_jis", "ko": "euc_kr -> latin-1"}
    out = []
    for lang, plan in plans.items():
        for i, text in enumerate(corpus_texts(lang, n_per_lang, min_len=10)):
            if i % 5 == 0:
                try:
                    text = corrupt(text, plan).text
                except Exception:  # noqa: BLE001 - this text cannot take that plan
                    pass
            out.append((text, repair(text)))
    return out


def test_jobs_keep_order_and_bytes_jsonl_and_csv(tmp_path: Path) -> None:
    """--jobs 2 writes exactly what --jobs 1 writes, and both are the
    expected bytes, for JSON Lines and CSV made of real corpus text."""
    pairs = garbled_corpus(40)
    assert sum(a != b for a, b in pairs) >= 20
    jsonl = write(tmp_path / "in.jsonl", "".join(
        json.dumps({"i": i, "text": a, "note": a}, ensure_ascii=False) + "\n"
        for i, (a, _) in enumerate(pairs)))
    want_jsonl = "".join(json.dumps({"i": i, "text": b, "note": a}, ensure_ascii=False) + "\n"
                         for i, (a, b) in enumerate(pairs)).encode("utf-8")
    def cell(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    rows = ["i,text,note\r\n"] + [f"{i},{cell(a)},{i}\r\n" for i, (a, _) in enumerate(pairs)]
    csv_in = write(tmp_path / "in.csv", "".join(rows))
    want_csv = "".join(["i,text,note\r\n"] + [f"{i},{cell(b)},{i}\r\n"
                                               for i, (_, b) in enumerate(pairs)]).encode()
    for jobs in ("1", "2"):
        r = run_bytes("--jobs", jobs, "--jsonl", "--field", "text", jsonl)
        assert r.returncode == 0 and r.stdout == want_jsonl, jobs
        r = run_bytes("--jobs", jobs, "--csv", "--column", "text", csv_in)
        assert r.returncode == 0 and r.stdout == want_csv, jobs


@pytest.mark.skipif(not (Path(sys.executable).parent / "luanma").exists(),
                    reason="the luanma script is not installed beside this Python")
def test_the_installed_luanma_command(tmp_path: Path) -> None:
    """The console script pip installs, not only python -m luanma."""
    f = write(tmp_path / "in.txt", f"ok\n{G1}\n")
    r = subprocess.run([str(Path(sys.executable).parent / "luanma"), str(f)],
                       capture_output=True, check=False, timeout=120)
    assert (r.returncode, r.stdout, r.stderr) == (0, f"ok\n{R1}\n".encode(), b"")
    r = subprocess.run([str(Path(sys.executable).parent / "luanma"), "--version"],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0 and r.stdout.startswith("luanma ")


def test_output_streams_before_input_ends() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "luanma"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        # stdout is a pipe, hence block-buffered: a long second line pushes
        # the first one out while stdin stays open
        proc.stdin.write(f"{G1}\n".encode() + b"x" * 70000 + b"\n")
        proc.stdin.flush()
        fd = proc.stdout.fileno()
        os.set_blocking(fd, False)
        deadline, got = time.monotonic() + 30, b""
        while not got.startswith(f"{R1}\n".encode()) and time.monotonic() < deadline:
            try:
                got += os.read(fd, 1 << 16)
            except BlockingIOError:
                time.sleep(0.05)
        assert got.startswith(f"{R1}\n".encode())
        assert proc.poll() is None            # still running: stdin is open
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_reader_that_goes_away_stops_it_quietly(tmp_path: Path, jobs: str) -> None:
    """`luanma big | head -1`: exit as a filter killed by SIGPIPE does
    (128 + 13), no traceback, no workers left behind."""
    f = write(tmp_path / "big.txt", f"{G1}\n" + "plain ascii line\n" * 200_000)
    proc = subprocess.Popen([sys.executable, "-m", "luanma", "--jobs", jobs, str(f)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline() == f"{R1}\n".encode()
    workers = children_of(proc.pid)
    assert bool(workers) == (jobs == "2")
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 128 + signal.SIGPIPE
    assert b"Traceback" not in err and b"Exception" not in err, err
    deadline = time.monotonic() + 15
    while any(running(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(running(w) for w in workers)


def run_with_tty_stderr(args: list[str]) -> tuple[int, bytes, bytes]:
    """Run the command with stderr on a pseudo-terminal; returns (rc, stdout, tty output)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "luanma", *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    out, _ = proc.communicate(timeout=60)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    return proc.returncode, out, seen


def test_progress_shows_on_a_terminal_only(tmp_path: Path) -> None:
    f = write(tmp_path / "in.txt", "plain\n" * 1000)
    rc, out, tty = run_with_tty_stderr([str(f)])
    assert rc == 0 and out == f.read_bytes()
    assert b"luanma" in tty and b"\r" in tty
    rc, out, tty = run_with_tty_stderr(["--no-progress", str(f)])
    assert rc == 0 and tty == b""
    assert run_bytes(f).stderr == b""                        # a pipe: silent


def test_core_imports_no_optional_library() -> None:
    code = ("import sys, luanma, luanma.cli, luanma.batch, luanma.records, luanma.sinks\n"
            "print(sorted({'pandas', 'pyarrow', 'polars', 'tqdm'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_assume_applies_a_known_chain_to_values_too_short_to_prove_it(tmp_path: Path) -> None:
    # (GBK bytes shown as Big5: 铁 -> 沺, 颜色 -> 晇伎; made with luanma.corrupt)
    f = write(tmp_path / "values.csv", "key,value\nIron,沺\nColor,晇伎\nplain,ok\n")
    plain = run("--csv", "--column", "value", str(f))
    assert plain.returncode == 0 and plain.stdout == "key,value\nIron,沺\nColor,颜色\nplain,ok\n"
    known = run("--csv", "--column", "value", "--assume", "gbk -> big5", str(f))
    assert known.returncode == 0 and known.stdout == "key,value\nIron,铁\nColor,颜色\nplain,ok\n"
    bad = run("--assume", "utf-8 -> koi8_r", str(f))
    assert bad.returncode == 2 and "searches no chain like 'utf-8 -> koi8_r'" in bad.stderr
