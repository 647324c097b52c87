"""Output safety (atomic, nothing lost, inputs untouched) and consoles that cannot show every character."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import digest
from helpers import ACTIVITIES, REPO, VISITS, run_cli, write_workbook

RARE = "𠮷野家😀"  # neither character exists in Big5 (cp950)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


EARLIER: dict[Path, bytes] = {}  # what each `previous` output held


@pytest.fixture
def previous(project: Path, tmp_path: Path) -> Path:
    """An earlier build's output (of other data) that a failed build must leave exactly as it was."""
    out = project / "outputs" / "國際事務.docx"
    earlier = write_workbook(tmp_path / "earlier.xlsx", activities=[{**ACTIVITIES[0], "標題": "上一版"}])
    assert run_cli("build", earlier, "-o", out).code == 0
    EARLIER[out] = out.read_bytes()
    return out


# 7. Output safety ---------------------------------------------------------------------------

def test_missing_output_folders_are_created(cli, project, tmp_path):
    target = tmp_path / "新 資料夾" / "第二層" / "章 節.docx"
    result = cli("build", "-o", target)
    assert result.code == 0, result.err
    assert result.out.startswith(f"已產生 {target}\n")
    assert target.stat().st_size > 0
    assert _leftovers(target.parent) == []


def test_input_errors_leave_the_previous_output(cli, project, previous, tmp_path):
    book = write_workbook(tmp_path / "bad.xlsx", visits=[{**VISITS[0], "人數": "很多"}])
    assert cli("build", book).code == 1
    assert previous.read_bytes() == EARLIER[previous]


def test_output_parent_is_a_file(cli, project, tmp_path):
    blocker = tmp_path / "outputs.txt"
    blocker.write_bytes(b"not a folder")
    result = cli("build", "-o", blocker / "國際事務.docx")
    assert result.code == 2
    assert result.err.startswith(f"錯誤：無法寫入 {blocker / '國際事務.docx'}")
    assert blocker.read_bytes() == b"not a folder"


def test_output_path_is_a_folder(cli, project, tmp_path):
    folder = tmp_path / "章.docx"
    folder.mkdir()
    (folder / "keep.txt").write_text("keep")
    result = cli("build", "-o", folder)
    assert result.code == 2
    assert result.err.startswith(f"錯誤：無法寫入 {folder}")
    assert (folder / "keep.txt").read_text() == "keep"
    assert _leftovers(tmp_path) == []


def test_file_held_open_by_word(cli, project, previous, monkeypatch):
    """Windows refuses to replace a file Word has open; simulated here by refusing the rename."""
    def locked(src, dst):
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(os, "replace", locked)
    result = cli("build")
    assert result.code == 2
    assert "無法寫入 outputs/國際事務.docx：沒有權限。若檔案正在 Word 中開啟，請先關閉後再試" in result.err
    assert "Permission" not in result.err  # the OS's English stays out of the message
    assert previous.read_bytes() == EARLIER[previous]
    assert _leftovers(previous.parent) == []


def test_immutable_output_file(cli, project, previous):
    """A real lock the kernel enforces even for root (chattr +i), where the file system allows it."""
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", previous]).returncode != 0:
        pytest.skip("chattr +i is not available here (needs root and a supporting file system)")
    try:
        result = cli("build")
    finally:
        subprocess.run(["chattr", "-i", previous], check=True)
    assert result.code == 2
    assert result.err.startswith("錯誤：無法寫入 outputs/國際事務.docx")
    assert previous.read_bytes() == EARLIER[previous]
    assert _leftovers(previous.parent) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permission bits")
def test_read_only_output_folder(cli, project, previous):
    previous.parent.chmod(0o555)
    try:
        result = cli("build")
    finally:
        previous.parent.chmod(0o755)
    assert result.code == 2
    assert previous.read_bytes() == EARLIER[previous]


@pytest.mark.parametrize("kind", ["valid", "with-errors"])
def test_inputs_are_byte_identical_after_every_command(cli, project, tmp_path, kind):
    visits = VISITS if kind == "valid" else [{**VISITS[0], "人數": "很多"}]
    books = [write_workbook(tmp_path / "甲 活頁簿.xlsx", visits=visits),
             shutil.copy(REPO / "tests" / "fixtures" / "hostile" / "encrypted.xlsx", tmp_path / "乙.xlsx")]
    before = {book: digest(book) for book in books}
    stamps = {book: book.stat().st_mtime_ns for book in books}
    expected = {books[0]: 0 if kind == "valid" else 1, books[1]: 2}  # 乙 is encrypted: unreadable
    for book in books:
        for command in (["validate"], ["preview"], ["build", "-o", tmp_path / "o.docx"], ["validate", "--strict"]):
            assert cli(*command, book).code == expected[book], (command, book.name)
    assert {book: digest(book) for book in books} == before
    assert {book: book.stat().st_mtime_ns for book in books} == stamps


# 8. Consoles --------------------------------------------------------------------------------

def run_console(encoding: str, *args: str | Path, cwd: Path) -> tuple[int, bytes, bytes]:
    """`python -m reportgen ARGS` with the console encoding a Windows PC in Taiwan would have."""
    env = {**os.environ, "PYTHONIOENCODING": encoding, "PYTHONUTF8": "0"}
    env.pop("REPORTGEN_DEBUG", None)
    result = subprocess.run([sys.executable, "-m", "reportgen", *map(str, args)], capture_output=True,
                            env=env, cwd=cwd, timeout=120)
    return result.returncode, result.stdout, result.stderr


@pytest.fixture
def rare_workbooks(tmp_path: Path) -> tuple[Path, Path]:
    """A valid and an invalid workbook full of characters Big5 lacks, in a folder with spaces."""
    folder = tmp_path / "承辦 資料 𠮷"
    folder.mkdir()
    good = write_workbook(folder / f"活頁簿 {RARE}.xlsx", activities=[
        {**ACTIVITIES[0], "標題": f"{RARE}交流", "內容": f"與{RARE}舉行會議。"}])
    bad = write_workbook(folder / f"錯誤 {RARE}.xlsx", visits=[{**VISITS[0], "人數": f"五{RARE}"}])
    return good, bad


@pytest.mark.slow  # each kind of message printed by a child process on a Big5 (cp950) or UTF-8 console
@pytest.mark.parametrize("encoding", ["cp950", "utf-8"])
def test_every_kind_of_message_prints(project, tmp_path, rare_workbooks, encoding):
    good, bad = rare_workbooks
    out_file = tmp_path / "輸出 資料夾" / f"國際 事務 {RARE}.docx"
    encrypted = shutil.copy(REPO / "tests" / "fixtures" / "hostile" / "encrypted.xlsx", good.parent / f"密 {RARE}.xlsx")
    runs = {
        "build": run_console(encoding, "build", good, "-o", out_file, cwd=project),
        "preview": run_console(encoding, "preview", good, cwd=project),
        "errors": run_console(encoding, "validate", bad, cwd=project),
        "fatal": run_console(encoding, "validate", encrypted, cwd=project),
        "usage": run_console(encoding, "build", "--no-such-option", cwd=project),
    }
    assert {name: code for name, (code, _, _) in runs.items()} == {
        "build": 0, "preview": 0, "errors": 1, "fatal": 2, "usage": 2}
    text = {name: (out + err).decode(encoding) for name, (_, out, err) in runs.items()}
    for name, output in text.items():
        assert "Traceback" not in output and "內部錯誤" not in output, name
    def shown(expected: str) -> str:  # what the console can show: each missing character is a ?
        return expected.encode(encoding, "replace").decode(encoding)

    assert shown(RARE) == (RARE if encoding == "utf-8" else "?野家?")
    assert out_file.is_file()
    assert shown(f"已產生 {out_file}\n") in text["build"]
    assert shown(f"(一) {RARE}交流\n") in text["preview"]
    assert shown(f"訪賓!E2（人數）：「人數」須為 1 到 9999 之間的整數。（填寫的是「五{RARE}」）") in text["errors"]
    assert shown(f"錯誤：密 {RARE}.xlsx：檔案已加密") in text["fatal"]
    assert "用法：" in text["usage"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_output_follows_the_umask(tmp_path, umask):
    from reportgen.write.outputs import write_atomic

    old = os.umask(umask)
    try:
        write_atomic(tmp_path / "new.docx", b"data")
    finally:
        os.umask(old)
    assert (tmp_path / "new.docx").stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("mode", [0o600, 0o664, 0o640])
def test_a_replaced_output_keeps_its_mode(tmp_path, mode):
    from reportgen.write.outputs import write_atomic

    target = tmp_path / "old.docx"
    target.write_bytes(b"old")
    target.chmod(mode)
    write_atomic(target, b"new")
    assert (target.read_bytes(), target.stat().st_mode & 0o777) == (b"new", mode)
    assert [p.name for p in tmp_path.iterdir()] == ["old.docx"]
