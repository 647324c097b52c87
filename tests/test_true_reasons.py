"""Messages name the real reason (SPEC §6, issue 19's "Messages that mislead"), each in Chinese and
printable on a Big5 (cp950) console."""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from helpers import REPO, SECTIONS, SETTINGS, run_cli, write_workbook
from reportgen import api
from reportgen.codes import CODES
from reportgen.errors import FatalError
from reportgen.write import outputs

TEMPLATE = REPO / "templates" / "report.docx"


# --- a template that is not a template ------------------------------------------------------------

def _not_a_template(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / "範本.docx"
    if kind == "folder":
        path.mkdir()
    elif kind == "excel":
        path.write_bytes(write_workbook(tmp_path / "book.xlsx").read_bytes())
    elif kind == "text":
        path.write_text("這不是 Word 文件")
    elif kind == "pdf":
        path.write_bytes(b"%PDF-1.7\n")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "odt":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
            archive.writestr("content.xml", "<x/>")
    return path


@pytest.mark.parametrize(("kind", "reason"), [
    ("folder", "是資料夾，不是 Word 文件"), ("excel", "是 Excel 活頁簿，不是 Word 文件"),
    ("text", "不是 Word 文件（.docx）"), ("pdf", "是 PDF 檔，不是 Word 文件"),
    ("empty", "是空的檔案"), ("odt", "是 OpenDocument 文件（LibreOffice），不是 Word 文件"),
    ("missing", "找不到範本"),
])
@pytest.mark.parametrize("command", ["build", "template"])
def test_a_template_that_is_not_one_says_what_it_is(tmp_path, kind, reason, command):
    template = _not_a_template(tmp_path, kind)
    args = (["build", write_workbook(tmp_path / "a.xlsx"), "-o", tmp_path / "out.docx", "--template", template]
            if command == "build" else ["template", template])
    result = run_cli(*args)
    assert result.code == 2
    assert reason in result.err + result.out
    assert not (tmp_path / "out.docx").exists()


def test_an_unreadable_template_says_permission(tmp_path, monkeypatch):
    def refuse(path, size=8):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(outputs, "read_head", refuse)
    result = run_cli("template", TEMPLATE)
    assert result.code == 2 and "無法讀取範本" in result.err and "沒有權限" in result.err
    assert "不是 Word 文件" not in result.err


# --- a default template that is no file -------------------------------------------------------------

def _default_template_no_file(root: Path, kind: str) -> str:
    """templates/report.docx in `root` made into something that is not a file; what the message says."""
    local = root / "templates" / "report.docx"
    local.parent.mkdir(exist_ok=True)
    if kind == "folder":
        local.mkdir()
        return "範本 templates/report.docx 是資料夾，不是 Word 文件"
    if kind == "fifo":
        os.mkfifo(local)
        return "範本 templates/report.docx 是具名管道（FIFO），不是一般檔案"
    local.symlink_to(root / "gone.docx")
    return "templates/report.docx 是捷徑（符號連結），它指向的"


@pytest.mark.skipif(os.name != "posix", reason="FIFOs and symbolic links")
@pytest.mark.parametrize("kind", ["folder", "fifo", "link"])
@pytest.mark.parametrize("command", ["build", "template"])
def test_a_default_template_that_is_no_file_is_named_not_passed_over(tmp_path, monkeypatch, kind, command):
    """SPEC §6: the default template is templates/report.docx when present; the bundled one is
    only for a folder without it, never a silent stand-in for one that cannot be used."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "inputs").mkdir()
    write_workbook(tmp_path / "inputs" / "a.xlsx")
    reason = _default_template_no_file(tmp_path, kind)
    result = run_cli(command)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith(f"錯誤：{reason}") and "reportgen 以它為預設範本" in result.err
    assert not (tmp_path / "outputs").exists()
    result.err.encode("cp950")


def test_the_page_names_a_default_template_that_is_a_folder(tmp_path, monkeypatch):
    """`reportgen serve` builds with the same default: the page says why there is no .docx."""
    from reportgen.web.pipeline import Upload, check

    monkeypatch.chdir(tmp_path)
    reason = _default_template_no_file(tmp_path, "folder")
    with pytest.raises(FatalError, match="是資料夾"):
        api.default_template()
    checked = check([Upload("a.xlsx", write_workbook(tmp_path / "a.xlsx").read_bytes())], folder=tmp_path)
    assert checked.docx is None and checked.build_refusal.startswith(reason)


def test_no_templates_folder_means_the_bundled_template(tmp_path, monkeypatch):
    from reportgen.templates import bundled

    monkeypatch.chdir(tmp_path)
    assert api.default_template() == bundled()
    (tmp_path / "templates").write_text("a file named templates")  # no templates/report.docx in it
    assert api.default_template() == bundled()
    (tmp_path / "templates").unlink()
    (tmp_path / "templates").mkdir()
    shutil.copy(TEMPLATE, tmp_path / "templates" / "report.docx")
    assert api.default_template() == Path("templates") / "report.docx"


# --- path failures: the true reason, whichever command reads the path -----------------------------

READERS = [("validate", "{}/a.xlsx"), ("build", "{}/a.xlsx"), ("template", "{}/t.docx"),
           ("init", "z.xlsx", "--from", "{}/x.xlsx"), ("import", "{}/c.docx", "-o", "z.xlsx")]


@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_a_missing_folder_on_the_way_is_named(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    result = run_cli(*(part.format("nodirx") for part in command))
    assert result.code == 2 and result.out == ""
    assert "：資料夾 nodirx 不存在。請確認路徑" in result.err, result.err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_a_file_on_the_way_is_named(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("")
    result = run_cli(*(part.format("afile") for part in command))
    assert result.code == 2 and "：afile 是檔案，不是資料夾。" in result.err, result.err
    assert "找不到" not in result.err
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]


# What Excel and Word write beside a file they have open: the user's name, padded; no zip.
OFFICE_LOCK = bytes([5]) + b"staff".ljust(53) + "staff".encode("utf-16-le").ljust(106, b"\0")


@pytest.mark.parametrize(("command", "app"), [
    (("validate", "~$a.xlsx"), "Excel"), (("build", "~$a.xlsx"), "Excel"),
    (("init", "z.xlsx", "--from", "~$a.xlsx"), "Excel"), (("template", "~$t.docx"), "Word"),
    (("build", "a.xlsx", "--template", "~$t.docx", "-o", "z.docx"), "Word"),
    (("import", "~$c.docx", "-o", "z.xlsx"), "Word"),
], ids=lambda c: c[0] if isinstance(c, tuple) else c)
def test_an_office_lock_file_is_named_for_what_it_is(tmp_path, monkeypatch, command, app):
    monkeypatch.chdir(tmp_path)
    write_workbook(tmp_path / "a.xlsx")
    for name in ("~$a.xlsx", "~$t.docx", "~$c.docx"):
        (tmp_path / name).write_bytes(OFFICE_LOCK)
    result = run_cli(*command)
    assert result.code == 2
    assert f"是 {app} 開啟" in result.err and "留下的鎖定檔" in result.err, result.err
    assert "純文字檔" not in result.err and "不是 Word 文件（.docx）" not in result.err
    assert not (tmp_path / "z.xlsx").exists() and not (tmp_path / "z.docx").exists()
    result.err.encode("cp950")


def test_a_workbook_whose_name_starts_like_a_lock_file_is_still_read(tmp_path):
    book = write_workbook(tmp_path / "~$複本.xlsx")
    assert run_cli("validate", book).code == 0


# --- init --from ---------------------------------------------------------------------------------

def test_init_from_a_folder_says_it_is_a_folder(tmp_path):
    (tmp_path / "舊資料").mkdir()
    result = run_cli("init", tmp_path / "new.xlsx", "--from", tmp_path / "舊資料")
    assert result.code == 2 and "是資料夾，不是活頁簿" in result.err and "找不到" not in result.err
    with pytest.raises(FatalError, match="是資料夾"):
        api.create_workbook(tmp_path / "new.xlsx", source=tmp_path / "舊資料")


def test_init_from_a_word_file_says_it_is_no_workbook(tmp_path):
    result = run_cli("init", tmp_path / "new.xlsx", "--from", TEMPLATE)
    assert result.code == 2 and "不是活頁簿" in result.err


# --- EFBIG and a full disk -----------------------------------------------------------------------

@pytest.mark.parametrize(("number", "reason", "not_said"), [
    (errno.EFBIG, "檔案超過系統允許的大小上限", "Word 中開啟"),
    (errno.ENOSPC, "磁碟空間不足", "Word 中開啟"),
])
def test_a_failed_write_names_its_reason(tmp_path, monkeypatch, number, reason, not_said):
    def full(fd, *args, **kwargs):
        raise OSError(number, os.strerror(number))

    monkeypatch.setattr(outputs.os, "fsync", full)
    with pytest.raises(FatalError) as caught:
        outputs.write_atomic(tmp_path / "out.docx", b"data")
    assert reason in caught.value.message and not_said not in caught.value.message
    assert "系統錯誤代碼" not in caught.value.message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # a child process under a real file-size limit
@pytest.mark.skipif(os.name != "posix", reason="RLIMIT_FSIZE")
@pytest.mark.parametrize("command", [["init", "new.xlsx", "--period", "111/1/1-111/6/30"],
                                     ["build", "book.xlsx", "-o", "out.docx", "--template", str(TEMPLATE)]])
def test_a_real_file_size_limit_is_named_not_a_crash(tmp_path, command):
    """`ulimit -f`: the system refuses to write past a size (EFBIG); init used to crash on it."""
    import resource

    write_workbook(tmp_path / "book.xlsx")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    done = subprocess.run([sys.executable, "-m", "reportgen", *command], cwd=tmp_path, capture_output=True,
                          text=True, preexec_fn=limit, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "檔案超過系統允許的大小上限" in done.stderr and "內部錯誤" not in done.stderr
    assert "Word 中開啟" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


# --- the command line ----------------------------------------------------------------------------

@pytest.mark.parametrize("port", ["abc", "-1", "8o80", "８０８０"])
def test_serve_with_a_bad_port_says_so_in_chinese(port):
    result = run_cli("serve", "--port", port)
    assert result.code == 2
    assert "連接埠須為 1 到 65535 的整數" in result.err
    assert "invalid" not in result.err and "int" not in result.err


def test_a_too_long_default_output_name_says_it_comes_from_the_chapter_title(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    book = write_workbook(tmp_path / "a.xlsx", settings={**SETTINGS, "章名": "國際事務" * 22})
    result = run_cli("build", book, "--template", TEMPLATE)
    assert result.code == 2
    assert "預設的輸出檔名取自章名" in result.err and "-o" in result.err
    assert "請取短一點的檔名" not in result.err
    assert not (tmp_path / "outputs").exists() or list((tmp_path / "outputs").iterdir()) == []


def test_a_setting_with_a_colon_and_no_value_points_at_its_cell(tmp_path):
    book = write_workbook(tmp_path / "a.xlsx", settings={"章次：": None, "章名": "國際事務",
                                                         "期間起": "110/7/1", "期間迄": "110/12/31"})
    problems = api.load([book]).problems
    assert problems.flatten() == [("a.xlsx", "報告設定", "B2", "required")]
    assert "missing-setting" not in {p.code for p in problems}


# --- several workbooks ---------------------------------------------------------------------------

def test_a_sections_conflict_names_the_cell_in_each_workbook_and_both_values(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_workbook(folder / "a.xlsx")
    write_workbook(folder / "b.xlsx", settings=None, activities=None, visits=None,
                   sections=[SECTIONS[0], {**SECTIONS[1], "節名": "外賓來訪"}])
    [problem] = api.load([folder]).problems
    assert (problem.code, problem.location.file, problem.location.cell) == ("conflicting-sheet", "b.xlsx", "B3")
    assert "本檔 章節!B3 是「外賓來訪」，a.xlsx 的 章節!B3 是「訪賓」" in problem.message


def test_a_section_missing_in_one_workbook_is_named(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_workbook(folder / "a.xlsx")
    write_workbook(folder / "b.xlsx", settings=None, activities=None, visits=None, sections=[SECTIONS[0]])
    [problem] = api.load([folder]).problems
    assert problem.code == "conflicting-sheet"
    assert "a.xlsx 的 章節!A3 是「節次 2」" in problem.message and "沒有節次 2" in problem.message


# --- Big5 consoles -------------------------------------------------------------------------------

def test_every_catalogue_message_prints_on_a_big5_console():
    for entry in CODES.values():
        for template in (entry.message, entry.fix):
            literal = re.sub(r"\{[^{}]*\}", "", template)
            literal.encode("cp950")  # raises, naming the character, when one is missing


def test_the_markers_for_unseen_characters_print_on_a_big5_console():
    from reportgen.normalize import visible
    from reportgen.problems import shorten

    shown = visible("110/9/8\u200b甲\n乙")
    assert shown == "110/9/8〈U+200B〉甲〈換行〉乙"
    shown.encode("cp950")
    shorten("甲\n乙").encode("cp950")


@pytest.mark.skipif(os.name != "posix", reason="a shell script stands in for soffice")
def test_libreoffice_failing_in_english_is_told_in_chinese(tmp_path, monkeypatch):
    soffice = tmp_path / "soffice"
    soffice.write_text("#!/bin/sh\necho 'Error: source file could not be loaded' >&2\nexit 1\n")
    soffice.chmod(0o755)
    monkeypatch.setenv("REPORTGEN_SOFFICE", str(soffice))
    result = run_cli("build", write_workbook(tmp_path / "a.xlsx"), "-o", tmp_path / "out.docx", "--pdf",
                     "--template", TEMPLATE)
    assert result.code == 2 and "LibreOffice 無法將" in result.err
    assert "Error" not in result.err and "could not" not in result.err


@pytest.mark.parametrize("command", ["validate", "init"])
def test_a_word_document_renamed_as_a_workbook_is_named_for_what_it_is(tmp_path, command):
    """SPEC §6 "not the expected kind of file … get their own words": not a hedged "may be damaged"."""
    renamed = tmp_path / "活動.xlsx"
    shutil.copy(TEMPLATE, renamed)
    args = ["validate", renamed] if command == "validate" else ["init", tmp_path / "new.xlsx", "--from", renamed]
    result = run_cli(*args)
    assert result.code == 2
    assert "活動.xlsx：這是 Word 文件，不是活頁簿" in result.err and "可能已損壞" not in result.err
