"""Hostile paths: nothing a person typed is overwritten, read twice or silently dropped.

Adding an output option? Add its cases here. Every case runs through `Scene.run`, which checks,
beyond the exit code and message the case asserts, that every file under the test folder (the
inputs, the template, earlier outputs) is byte-identical afterwards except the outputs the case
names, and that no temporary file is left anywhere.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from conftest import digest
from helpers import ACTIVITIES, EXAMPLE, REPO, CliResult, run_cli, write_workbook
from reportgen.errors import FatalError
from reportgen.write import convert, outputs
from reportgen.write.fingerprint import Origin, copy_origin, mark_copy, origin, package_origin

DEFAULT_OUT = Path("outputs") / "國際事務.docx"
posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX special files or permissions")
not_root = pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permission bits")


class Scene:
    """A project folder whose every file is fingerprinted around each command."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.input = root / "inputs" / EXAMPLE.name
        self.template = root / "templates" / "report.docx"

    def files(self) -> dict[Path, str]:
        found = {}
        for path in self.root.rglob("*"):
            if path.is_symlink() or not path.is_file():
                continue  # links are followed at their target; FIFOs are never opened
            found[path.relative_to(self.root)] = digest(path)
        return found

    def run(self, *args: str | Path, code: int, changes: tuple[str | Path, ...] = ()) -> CliResult:
        before = self.files()
        result = run_cli(*args)
        after = self.files()
        assert result.code == code, (result.out, result.err)
        assert "Traceback" not in result.err and "內部錯誤" not in result.err
        changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
        assert changed == {Path(c) for c in changes}, "only the named outputs may change"
        temporary = [p for p in self.root.rglob("*") if p.name.startswith(outputs.TEMP_PREFIX)
                     or p.name.endswith(".tmp")]
        assert temporary == [], "a temporary file was left behind"
        return result

    def refuses(self, *args: str | Path, message: str) -> CliResult:
        """Exit 2, nothing written, and the message says why."""
        result = self.run(*args, code=2)
        assert result.out == ""
        assert result.err.startswith("錯誤："), result.err
        assert message in result.err, result.err
        return result


@pytest.fixture
def scene(project: Path) -> Scene:
    return Scene(project)


@pytest.fixture
def built(scene: Scene) -> Path:
    """An earlier build's output (of other data, so a rebuild changes it)."""
    earlier = write_workbook(scene.root / "earlier.xlsx", activities=[{**ACTIVITIES[0], "標題": "上一版"}])
    assert run_cli("build", earlier, "-o", DEFAULT_OUT).code == 0
    return scene.root / DEFAULT_OUT


def edit_docx(path: Path, old: bytes, new: bytes, part: str = "word/document.xml") -> None:
    """What an editor's Word does: the same package with one part changed."""
    with zipfile.ZipFile(path) as archive:
        parts = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, blob in parts:
            archive.writestr(info, blob.replace(old, new) if info.filename == part else blob)


# 1. Outputs never replace what they must not ------------------------------------------------

def test_output_may_not_be_an_input(scene):
    scene.refuses("build", scene.input, "-o", scene.input, message="就是輸入的活頁簿；輸入檔不會被修改")


def test_output_may_not_be_an_input_by_another_name(scene):
    docx_input = scene.root / "inputs" / "note.docx"  # not read, but named as an input
    docx_input.write_bytes(b"a person's notes")
    scene.refuses("build", "inputs", docx_input, "-o", "./inputs/../inputs/note.docx",
                  message="就是輸入的活頁簿")


def test_output_may_not_be_the_template(scene):
    scene.refuses("build", "--template", scene.template, "-o", "templates/report.docx",
                  message="就是 Word 範本；範本不會被覆寫")


def test_default_template_is_protected_from_the_default_output(scene):
    (scene.root / "outputs").mkdir()
    link = scene.root / DEFAULT_OUT
    link.symlink_to(scene.template)
    scene.refuses("build", message="outputs/國際事務.docx 就是 Word 範本")


def test_output_through_a_symlink_to_an_input(scene):
    link = scene.root / "out.docx"
    link.symlink_to(scene.input)
    scene.refuses("build", "-o", link, message="就是輸入的活頁簿")


@pytest.mark.parametrize(("target", "message"), [
    ("out.txt", "輸出檔 out.txt 的副檔名須為 .docx"),
    ("x.pdf", "輸出檔 x.pdf 的副檔名須為 .docx（PDF 或 .odt 請加 --pdf 或 --odt"),
    ("chapter", "輸出檔 chapter 的副檔名須為 .docx"),
])
def test_output_must_end_in_docx(scene, target, message):
    scene.refuses("build", "-o", target, "--pdf", message=message)
    assert not (scene.root / target).exists()


@pytest.mark.parametrize("target", ["report.docx", "r.xls", "r"])
def test_report_must_end_in_xlsx(scene, target):
    scene.refuses("validate", "--report", target, message=f"檢核報告 {target} 的副檔名須為 .xlsx")


def test_report_may_not_be_an_input(scene):
    scene.refuses("validate", scene.input, "--report", scene.input, message="就是輸入的活頁簿")


def test_report_of_a_workbook_not_named_as_input_is_refused(scene):
    """`--report 111年上半年.xlsx`: the staff member's workbook, not an input this time."""
    own = shutil.copy(EXAMPLE, scene.root / "111年上半年.xlsx")
    scene.refuses("validate", "--report", own, message="已存在，但不是 reportgen 的檢核報告")


@pytest.mark.parametrize("target", ["inputs/檢核報告.xlsx", "./inputs/r.xlsx", "inputs/../inputs/r.xlsx"])
def test_report_may_not_land_in_an_input_folder(scene, target):
    scene.refuses("validate", "--report", target, message="位於輸入資料夾 inputs 中，下次執行時會被當成活頁簿讀入")


def test_report_in_a_linked_input_folder(scene):
    (scene.root / "alias").symlink_to(scene.root / "inputs")
    scene.refuses("validate", "alias", "--report", "inputs/r.xlsx", message="位於輸入資料夾 alias 中")


def test_report_in_a_folder_inside_an_input_folder_refused(scene):
    """SPEC §6 "a report may not land inside an input folder": a sub-folder of it is inside it too."""
    scene.refuses("validate", "--report", "inputs/sub/r.xlsx", message="位於輸入資料夾 inputs 之內")
    assert not (scene.root / "inputs" / "sub").exists()


def test_report_in_a_linked_folder_inside_an_input_folder_refused(scene):
    """"resolved paths compared": a link naming a folder inside the input folder is that folder."""
    (scene.root / "inputs" / "sub").mkdir()
    (scene.root / "lnk").symlink_to(scene.root / "inputs" / "sub")
    scene.refuses("validate", "--report", "lnk/r.xlsx", message="位於輸入資料夾 inputs 之內")
    assert list((scene.root / "inputs" / "sub").iterdir()) == []


def test_report_replaces_an_earlier_report(scene):
    scene.run("validate", "--report", "r.xlsx", code=0, changes=("r.xlsx",))
    bad = write_workbook(scene.root / "bad.xlsx", activities=[{**ACTIVITIES[0], "開始日期": "110/2/30"}])
    scene.run("validate", bad, "--report", "r.xlsx", code=1, changes=("r.xlsx",))
    assert outputs.is_report(scene.root / "r.xlsx")


def _rezip(path: Path, change=lambda name, data: data, comment: bytes | None = None) -> None:
    """The report's package written again, a part changed or not; its comment kept only when given
    (Excel, LibreOffice and openpyxl write a new archive without it)."""
    with zipfile.ZipFile(path) as archive:
        parts = [(info, change(info.filename, archive.read(info))) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts:
            archive.writestr(info, data)
        if comment is not None:
            archive.comment = comment


def test_an_unchanged_report_is_replaced_even_when_touched(scene):
    scene.run("validate", "--report", "r.xlsx", code=0, changes=("r.xlsx",))
    report = scene.root / "r.xlsx"
    assert package_origin(report) is Origin.OWN
    os.utime(report, (1_000_000_000, 1_000_000_000))  # opened and closed, or copied: same content
    bad = write_workbook(scene.root / "bad.xlsx", activities=[{**ACTIVITIES[0], "開始日期": "110/2/30"}])
    result = scene.run("validate", bad, "--report", "r.xlsx", code=1, changes=("r.xlsx",))
    assert result.out.splitlines()[-1] == "已產生檢核報告 r.xlsx" and result.err == ""
    assert package_origin(report) is Origin.OWN


@pytest.mark.parametrize(("edit", "why"), [
    ("resaved", "r.xlsx 是 reportgen 的檢核報告，但產生後曾被另存（例如在 Excel 中加註後存檔），"
                "或由舊版 reportgen 產生，無法確認內容未被修改，不會覆寫"),
    ("part-changed", "r.xlsx 在 reportgen 產生後曾被修改，不會覆寫"),
])
def test_an_edited_report_is_kept_without_force(scene, edit, why):
    """SPEC §6: --report replaces a report only while it is exactly what reportgen wrote."""
    scene.run("validate", "--report", "r.xlsx", code=0, changes=("r.xlsx",))
    report = scene.root / "r.xlsx"
    comment = zipfile.ZipFile(report).comment if edit == "part-changed" else None
    note = b'<row r="99"><c r="A99" t="inlineStr"><is><t>done</t></is></c></row></sheetData>'
    _rezip(report, lambda name, data: data.replace(b"</sheetData>", note)
           if name == "xl/worksheets/sheet1.xml" else data, comment)  # a note added on 檢核結果
    assert note in zipfile.ZipFile(report).read("xl/worksheets/sheet1.xml")
    result = scene.refuses("validate", "--report", "r.xlsx", message=why)
    assert "請先將它改名或移到別處，或以 --report 指定另一個檔名" in result.err
    assert "請加上 --force" in result.err
    scene.run("validate", "--report", "r.xlsx", "--force", code=0, changes=("r.xlsx",))
    assert package_origin(report) is Origin.OWN


def test_a_report_of_an_earlier_version_is_replaced_once_forced(scene):
    """Reports written before reports carried a mark cannot be vouched for: --force once, then as usual."""
    scene.run("validate", "--report", "r.xlsx", code=0, changes=("r.xlsx",))
    report = scene.root / "r.xlsx"
    _rezip(report)  # what an earlier version wrote: the report, without the mark
    assert outputs.is_report(report) and package_origin(report) is Origin.FOREIGN
    scene.refuses("validate", "--report", "r.xlsx", message="或由舊版 reportgen 產生")
    scene.run("validate", "--report", "r.xlsx", "--force", code=0, changes=("r.xlsx",))
    again = run_cli("validate", "--report", "r.xlsx")  # its own report now: replaced without a word
    assert (again.code, again.err, again.out.splitlines()[-1]) == (0, "", "已產生檢核報告 r.xlsx")
    assert package_origin(report) is Origin.OWN


def test_force_replaces_a_file_that_is_no_report_but_never_an_input(scene):
    own = shutil.copy(EXAMPLE, scene.root / "111年上半年.xlsx")
    scene.refuses("validate", "--report", own, message="已存在，但不是 reportgen 的檢核報告")
    scene.run("validate", "--report", own, "--force", code=0, changes=("111年上半年.xlsx",))
    assert outputs.is_report(scene.root / "111年上半年.xlsx")
    scene.refuses("validate", scene.input, "--report", scene.input, "--force", message="就是輸入的活頁簿")


def test_a_report_edited_while_the_inputs_are_checked_is_kept(scene, monkeypatch):
    """Checked before the work and again before writing: an edit saved meanwhile survives."""
    from reportgen.write import report_xlsx

    scene.run("validate", "--report", "r.xlsx", code=0, changes=("r.xlsx",))
    report = scene.root / "r.xlsx"
    real = report_xlsx.report_bytes

    def someone_saves_the_report(*args):
        _rezip(report, lambda name, data: data)
        return real(*args)

    monkeypatch.setattr(report_xlsx, "report_bytes", someone_saves_the_report)
    result = scene.run("validate", "--report", "r.xlsx", code=2, changes=("r.xlsx",))  # changed by the edit only
    assert "產生後曾被另存" in result.err and "已產生檢核報告" not in result.out
    assert package_origin(report) is Origin.FOREIGN


def test_validate_force_has_chinese_help():
    result = run_cli("validate", "--help")
    assert result.code == 0
    assert "--force" in result.out and "仍以新的報告取代" in result.out


def test_an_earlier_report_among_the_inputs_is_not_copied_into_the_next(scene, tmp_path):
    from openpyxl import load_workbook

    from reportgen.problems import Problems
    from reportgen.write.report_xlsx import report_bytes

    folder = tmp_path / "both"
    folder.mkdir()
    shutil.copy(EXAMPLE, folder / "a.xlsx")
    scene.run("validate", folder / "a.xlsx", "--report", folder / "r.xlsx", code=0, changes=("both/r.xlsx",))
    (tmp_path / "r2.xlsx").write_bytes(report_bytes([folder], Problems()))
    assert load_workbook(tmp_path / "r2.xlsx").sheetnames == load_workbook(folder / "r.xlsx").sheetnames


def test_rebuild_replaces_its_own_unedited_output(scene, built):
    result = scene.run("build", code=0, changes=(DEFAULT_OUT,))
    assert result.out.startswith(f"已產生 {DEFAULT_OUT}\n")
    assert origin(built) is Origin.OWN


def test_same_inputs_give_the_same_bytes(scene, tmp_path):
    scene.run("build", "-o", "a.docx", code=0, changes=("a.docx",))
    scene.run("build", "-o", "b.docx", code=0, changes=("b.docx",))
    assert digest(scene.root / "a.docx") == digest(scene.root / "b.docx")


@pytest.mark.parametrize(("part", "old", "new"), [
    ("word/document.xml", "上一版".encode(), "上一版（校）".encode()),  # a fixed typo
    ("word/footer1.xml", b"</w:ftr>", b"<w:p/></w:ftr>"),  # an edit outside the body
    ("docProps/core.xml", b"<dc:creator>reportgen", b"<dc:creator>editor"),  # saved again
])
def test_edited_output_is_not_replaced_without_force(scene, built, part, old, new):
    edit_docx(built, old, new, part)
    result = scene.refuses("build", message="在 reportgen 產生後曾被修改（例如在 Word 中校訂），不會覆寫")
    assert "請先將它改名或移到別處，或以 -o 指定另一個檔名" in result.err
    assert "請加上 --force" in result.err
    scene.run("build", "--force", code=0, changes=(DEFAULT_OUT,))
    assert origin(built) is Origin.OWN


def test_foreign_docx_is_not_replaced_without_force(scene):
    letter = scene.root / "letter.docx"
    shutil.copy(REPO / "templates" / "report.docx", letter)  # a Word file reportgen did not write
    scene.refuses("build", "-o", letter, message="letter.docx 已存在，但不是 reportgen 產生的文件")
    letter.write_bytes(b"not even a zip")
    scene.refuses("build", "-o", letter, message="不是 reportgen 產生的文件")
    scene.run("build", "-o", letter, "--force", code=0, changes=("letter.docx",))


def test_force_never_replaces_an_input_or_the_template(scene):
    scene.refuses("build", "-o", scene.template, "--force", message="就是 Word 範本")


def test_read_only_output_is_kept(scene, built):
    built.chmod(0o444)
    try:
        scene.refuses("build", "--force", message="outputs/國際事務.docx 設為唯讀，不會覆寫")
    finally:
        built.chmod(0o644)


# A link at an output's name that reaches nothing is someone's name: never silently replaced

def _dangling(scene: Scene, name: str, kind: str) -> Path:
    link = scene.root / name
    if kind == "missing":
        link.symlink_to(scene.root / "elsewhere" / f"gone{Path(name).suffix}")
    else:
        link.symlink_to(link.name)  # a link to itself: a loop
    return link


@posix_only
@pytest.mark.parametrize("kind", ["missing", "loop"])
@pytest.mark.parametrize("command", [
    ("init", "new.xlsx", "--period", "111/1/1-111/6/30"),
    ("import", "chapter.txt", "-o", "new.xlsx"),
    ("validate", "--report", "new.xlsx"),
    ("build", "-o", "new.docx"),
])
def test_a_link_to_nothing_at_the_output_is_kept(scene, command, kind):
    (scene.root / "chapter.txt").write_text("貳拾陸、國際事務\n一、交流專案\n", encoding="utf-8")
    name = "new.docx" if command[0] == "build" else "new.xlsx"
    link = _dangling(scene, name, kind)
    target = os.readlink(link)
    reason = "它指向的" if kind == "missing" else "連結形成迴圈"
    result = scene.refuses(*command, message=f"{name} 是捷徑（符號連結），")
    assert reason in result.err and "不會覆寫" in result.err
    if command[0] in ("init", "import"):
        assert f"reportgen {command[0]} 不會覆寫既有的檔案或捷徑" in result.err
    assert link.is_symlink() and os.readlink(link) == target
    assert not (scene.root / "elsewhere").exists()


@posix_only
@pytest.mark.parametrize(("command", "option", "name"), [("validate", "--report", "new.xlsx"),
                                                        ("build", "-o", "new.docx")])
def test_force_replaces_a_link_to_nothing_never_its_target(scene, command, option, name):
    link = _dangling(scene, name, "missing")
    scene.run(command, option, name, "--force", code=0, changes=(name,))
    assert not link.is_symlink() and link.is_file()
    assert not (scene.root / "elsewhere").exists()


# 2. Inputs are read once; special files are refused at once ---------------------------------

@pytest.mark.parametrize("second", ["same", "dot", "folder", "link", "folder-twice"])
def test_a_file_named_twice_is_read_once(scene, second):
    first = f"inputs/{EXAMPLE.name}"
    again = {"same": first, "dot": f"./{first}", "folder": "inputs", "folder-twice": "inputs",
             "link": "link.xlsx"}[second]
    if second == "link":
        (scene.root / "link.xlsx").symlink_to(scene.input)
    args = ["inputs", "inputs"] if second == "folder-twice" else [first, again]
    result = scene.run("validate", *args, code=0)
    assert result.out.splitlines()[0] == "檢核完成：錯誤 0 項、警告 0 項。"


def test_a_file_named_twice_keeps_its_first_position(tmp_path):
    from reportgen.read.inputs import expand_inputs

    folder = tmp_path / "f"
    folder.mkdir()
    a, b = (write_workbook(folder / name) for name in ("a.xlsx", "b.xlsx"))
    assert expand_inputs([b, folder, Path(f"{a}")]) == [b, a]


def test_a_folder_named_twice_warns_once(scene):
    (scene.root / "inputs" / "old.xls").write_bytes(b"old")
    result = scene.run("validate", "inputs", "./inputs", code=0)
    assert [line.split("：")[0] for line in result.out.splitlines()[:-2]] == ["警告　old.xls"]


def _fifo_guard(fifo: Path) -> threading.Thread:
    """Should reportgen open the FIFO, unblock it after a while, so the test fails, not hangs."""
    def release() -> None:
        fd = os.open(fifo, os.O_WRONLY)  # blocks until a reader opens it
        os.close(fd)

    thread = threading.Thread(target=release, daemon=True)
    thread.start()
    return thread


def _end_guard(fifo: Path, thread: threading.Thread) -> None:
    if thread.is_alive():  # nobody opened it: let the helper thread finish
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        thread.join(5)
        os.close(fd)
        return
    pytest.fail("reportgen opened the FIFO")


@posix_only
@pytest.mark.parametrize("where", ["named", "in-folder"])
def test_a_fifo_is_refused_without_opening_it(scene, where):
    fifo = scene.root / ("x.xlsx" if where == "named" else "inputs/x.xlsx")
    os.mkfifo(fifo)
    guard = _fifo_guard(fifo)
    args = [fifo] if where == "named" else []
    scene.refuses("validate", *args, message="是具名管道（FIFO），不是活頁簿檔案，不會開啟")
    _end_guard(fifo, guard)


@posix_only
def test_a_fifo_as_template_or_output_is_refused(scene):
    fifo = scene.root / "t.docx"
    os.mkfifo(fifo)
    guard = _fifo_guard(fifo)
    scene.refuses("build", "--template", fifo, message="是具名管道（FIFO），不是一般檔案，不會開啟")
    scene.refuses("build", "-o", fifo, "--force", message="這是具名管道（FIFO），不是一般檔案")
    _end_guard(fifo, guard)


@posix_only
def test_a_fifo_as_the_workbook_to_carry_over_is_refused(scene):
    fifo = scene.root / "old.xlsx"
    os.mkfifo(fifo)
    guard = _fifo_guard(fifo)
    scene.refuses("init", "new.xlsx", "--from", fifo, message="old.xlsx 是具名管道（FIFO）")
    _end_guard(fifo, guard)


@posix_only
def test_a_device_is_refused(scene):
    scene.refuses("validate", "/dev/null", message="/dev/null 是裝置，不是活頁簿檔案")


# 3. Every path failure has its true reason ---------------------------------------------------

def test_missing_input_folder(scene):
    scene.refuses("validate", "nowhere", message="找不到資料夾 nowhere。")


def test_input_through_a_file(scene):
    scene.refuses("validate", f"inputs/{EXAMPLE.name}/a.xlsx",
                  message=f"無法讀取 inputs/{EXAMPLE.name}/a.xlsx：inputs/{EXAMPLE.name} 是檔案，不是資料夾")


@pytest.mark.parametrize("target", [".", "adir", "outputs"])
def test_a_folder_where_a_file_is_expected(scene, target):
    (scene.root / "adir").mkdir()
    (scene.root / "outputs").mkdir()
    scene.refuses("build", "-o", target, message=f"無法寫入 {target}：這是資料夾，不是檔案。請指定檔名")
    scene.refuses("validate", "--report", target, message=f"無法寫入 {target}：這是資料夾")


@pytest.mark.parametrize("command", [("build", "-o"), ("validate", "--report")])
def test_an_output_path_through_a_file(scene, command):
    name = "out.docx" if command[0] == "build" else "r.xlsx"
    target = f"inputs/{EXAMPLE.name}/{name}"
    scene.refuses(*command, target, message=f"無法寫入 {target}：inputs/{EXAMPLE.name} 是檔案，不是資料夾")


def test_missing_output_folders_are_created(scene):
    scene.run("build", "-o", "新/資料夾/章.docx", code=0, changes=("新/資料夾/章.docx",))


def test_a_long_valid_name_is_written(scene):
    name = "國" * 82 + ".docx"  # 251 bytes: within the 255 a file system allows, however long the temp
    scene.run("build", "-o", name, code=0, changes=(name,))


def test_a_name_too_long_is_measured_on_the_name_asked_for(scene):
    name = "國" * 85 + ".docx"
    scene.refuses("build", "-o", name, message="檔名過長（260 位元組，此磁碟上限為 255）")


def test_unreadable_input_folder_in_chinese(scene, monkeypatch):
    real = os.scandir

    def refuse(path=".", *rest):
        if not isinstance(path, int) and Path(path).name == "inputs":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, *rest)

    monkeypatch.setattr(os, "scandir", refuse)
    result = scene.refuses("validate", message="無法讀取資料夾 inputs：沒有權限")
    assert "Permission" not in result.err


@not_root
def test_unreadable_input_folder_for_real(scene):
    folder = scene.root / "inputs"
    folder.chmod(0)
    try:
        scene.refuses("validate", message="無法讀取資料夾 inputs：沒有權限")
    finally:
        folder.chmod(0o755)


@not_root
def test_read_only_output_folder_for_real(scene, built):
    built.parent.chmod(0o555)
    try:
        scene.refuses("build", "--force", message="無法寫入 outputs/國際事務.docx：沒有權限")
    finally:
        built.parent.chmod(0o755)


@pytest.mark.parametrize(("error", "message"), [
    (errno.EACCES, "無法寫入 outputs/國際事務.docx：沒有權限。請確認資料夾 outputs 有寫入權限"),
    (errno.EROFS, "無法寫入 outputs/國際事務.docx：位於唯讀的磁碟"),
])
def test_output_folder_refuses_new_files(scene, built, monkeypatch, error, message):
    def refuse(*args, **kwargs):
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(outputs, "_create_temp", refuse)
    scene.refuses("build", "--force", message=message)


@pytest.mark.parametrize("error", [errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)])
def test_disk_full(scene, built, monkeypatch, error):
    def full(fd):
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(outputs.os, "fsync", full)
    result = scene.refuses("build", "--force", message="無法寫入 outputs/國際事務.docx：磁碟")
    assert "請清出磁碟空間後再試" in result.err


def test_report_on_a_full_disk(scene, monkeypatch):
    (scene.root / "outputs").mkdir()
    monkeypatch.setattr(outputs.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "x")))
    result = scene.run("validate", "--report", "outputs/r.xlsx", code=2)
    assert result.err == "錯誤：無法寫入 outputs/r.xlsx：磁碟空間不足。請清出磁碟空間後再試。\n"


def test_an_unforeseen_os_error_is_still_in_chinese(scene, monkeypatch):
    from reportgen.write import compose

    def broken(*args):
        raise OSError(errno.EIO, "Input/output error", "somewhere")

    monkeypatch.setattr(compose, "compose", broken)
    result = scene.refuses("build", message="無法存取 somewhere：系統錯誤代碼")
    assert "Input/output" not in result.err


# --pdf / --odt: a stale copy never passes for the new one --------------------------------------

@pytest.fixture
def stale_pdf(scene, built) -> Path:
    """An earlier build's PDF: it carries reportgen's mark, as every copy a build writes does."""
    pdf = built.with_suffix(".pdf")
    pdf.write_bytes(mark_copy("pdf", b"%PDF- an earlier build"))
    return pdf


def test_failed_conversion_removes_the_stale_pdf(scene, stale_pdf, monkeypatch):
    def fail(self, source, kind):
        raise convert.FatalError("LibreOffice 無法轉檔。")

    monkeypatch.setattr(convert.Soffice, "convert", fail)
    monkeypatch.setattr(convert, "find_soffice", lambda: "/usr/bin/true")
    result = scene.run("build", "--pdf", code=2, changes=(DEFAULT_OUT, stale_pdf.relative_to(scene.root)))
    assert not stale_pdf.exists()
    assert "Word 文件 outputs/國際事務.docx 已產生" in result.err
    assert "先前產生的 國際事務.pdf 已刪除，以免與新的 Word 文件混淆" in result.err


def test_interrupted_conversion_removes_the_stale_pdf(scene, stale_pdf, monkeypatch):
    def interrupt(self, source, kind):
        raise KeyboardInterrupt

    monkeypatch.setattr(convert.Soffice, "convert", interrupt)
    monkeypatch.setattr(convert, "find_soffice", lambda: "/usr/bin/true")
    result = scene.run("build", "--pdf", code=130, changes=(DEFAULT_OUT, stale_pdf.relative_to(scene.root)))
    assert result.err == ("已中斷。Word 文件 outputs/國際事務.docx 已產生。"
                          "先前產生的 國際事務.pdf 已刪除，以免與新的 Word 文件混淆。\n")


def test_a_stale_pdf_that_cannot_be_removed_is_named(scene, stale_pdf, monkeypatch):
    monkeypatch.setattr(convert.Soffice, "convert", lambda self, s, k: (_ for _ in ()).throw(
        convert.FatalError("LibreOffice 無法轉檔。")))
    monkeypatch.setattr(convert, "find_soffice", lambda: "/usr/bin/true")
    real_unlink = Path.unlink

    def locked(self, missing_ok=False):
        if self.suffix == ".pdf":
            raise PermissionError(errno.EACCES, "locked")
        real_unlink(self, missing_ok)

    monkeypatch.setattr(Path, "unlink", locked)
    result = scene.run("build", "--pdf", code=2, changes=(DEFAULT_OUT,))
    assert "注意：先前產生的 國際事務.pdf 仍在，內容是舊版" in result.err


def _converts_to(monkeypatch, data: bytes = b"%PDF- this build") -> None:
    monkeypatch.setattr(convert.Soffice, "convert", lambda self, source, kind: data)
    monkeypatch.setattr(convert, "find_soffice", lambda: "/usr/bin/true")


def test_an_unedited_earlier_copy_is_replaced(scene, stale_pdf, monkeypatch):
    _converts_to(monkeypatch)
    result = scene.run("build", "--pdf", code=0, changes=(DEFAULT_OUT, stale_pdf.relative_to(scene.root)))
    assert stale_pdf.read_bytes() == mark_copy("pdf", b"%PDF- this build")
    assert result.out.splitlines()[-1] == "已產生 outputs/國際事務.pdf"


@pytest.mark.parametrize("kind", ["pdf", "odt"])
def test_a_copy_with_no_docx_beside_it_is_kept(scene, monkeypatch, kind):
    """A PDF someone saved in outputs/ under the chapter's name is theirs, not an earlier build's."""
    _converts_to(monkeypatch)
    copy = scene.root / DEFAULT_OUT.with_suffix(f".{kind}")
    copy.parent.mkdir()
    copy.write_bytes(b"a person's own file")
    result = scene.refuses("build", f"--{kind}",
                           message=f"outputs/國際事務.{kind} 不是 reportgen 產生的（或由舊版產生、"
                                   "已被其他程式另存），不會覆寫")
    assert "請先將它改名或移到別處，或以 -o 指定另一個檔名" in result.err and "請加上 --force" in result.err
    assert not (scene.root / DEFAULT_OUT).exists()


def test_a_copy_beside_an_edited_docx_is_kept(scene, stale_pdf, built, monkeypatch):
    _converts_to(monkeypatch)
    edit_docx(built, "上一版".encode(), "上一版（校）".encode())
    scene.refuses("build", "--pdf", message="國際事務.docx 在 reportgen 產生後曾被修改")
    scene.run("build", "--pdf", "--force", code=0,
              changes=(DEFAULT_OUT, stale_pdf.relative_to(scene.root)))
    assert stale_pdf.read_bytes() == mark_copy("pdf", b"%PDF- this build")


def test_a_copy_beside_a_foreign_docx_is_refused_before_any_work(scene, monkeypatch):
    from reportgen import api

    monkeypatch.setattr(api, "load", lambda *a, **k: pytest.fail("read the inputs before refusing"))
    letter = scene.root / "letter.docx"
    shutil.copy(REPO / "templates" / "report.docx", letter)
    (scene.root / "letter.odt").write_bytes(b"the letter, as sent")
    scene.refuses("build", "-o", "letter.docx", "--pdf", "--odt",
                  message="letter.docx 已存在，但不是 reportgen 產生的文件")


@pytest.mark.parametrize(("edit", "why"), [
    (None, None),
    ("notes", "國際事務.pdf 在 reportgen 產生後曾被修改"),
    ("rewritten", "國際事務.pdf 不是 reportgen 產生的"),
])
def test_check_copies_trusts_only_its_own_unedited_copies(built, edit, why):
    """SPEC §6: the .pdf/.odt beside the .docx is replaced only while it is exactly what reportgen
    wrote, whatever became of the .docx (here untouched)."""
    pdf = built.with_suffix(".pdf")
    assert outputs.check_copies(built, ["pdf"]) is False  # nothing there to replace
    pdf.write_bytes(mark_copy("pdf", b"%PDF-1.7 ... %%EOF"))
    if edit == "notes":  # a PDF editor saves added notes as an update appended to the file
        pdf.write_bytes(pdf.read_bytes() + b"1 0 obj << /Type /Annot >> endobj\n%%EOF\n")
    elif edit == "rewritten":
        pdf.write_bytes(b"%PDF-1.7 saved again by another program %%EOF")
    assert origin(built) is Origin.OWN
    assert outputs.check_copies(built, ["pdf"], force=True) is True
    if why is None:
        assert outputs.check_copies(built, ["pdf"]) is True
    else:
        with pytest.raises(FatalError, match=why):
            outputs.check_copies(built, ["pdf"])


def test_an_edited_odt_beside_an_untouched_docx_is_kept(scene, built, monkeypatch):
    """Issue 19: an editor's corrections in the .odt survive the next build without --force."""
    import io

    odt = built.with_suffix(".odt")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:text>上一版</office:text>")
    odt.write_bytes(mark_copy("odt", buffer.getvalue()))
    assert copy_origin(odt) is Origin.OWN
    with zipfile.ZipFile(odt) as archive:  # LibreOffice saves the editor's correction as a new package
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["content.xml"] = "<office:text>上一版（校）</office:text>".encode()
    with zipfile.ZipFile(odt, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert copy_origin(odt) is Origin.FOREIGN  # the mark went with the save
    _converts_to(monkeypatch, b"PK new odt")
    before = odt.read_bytes()
    scene.refuses("build", "--odt", message="國際事務.odt 不是 reportgen 產生的")
    assert odt.read_bytes() == before and origin(built) is Origin.OWN
    marked = mark_copy("odt", buffer.getvalue())
    with zipfile.ZipFile(odt, "a") as archive:  # a program that keeps the comment but changes a part
        archive.comment = zipfile.ZipFile(io.BytesIO(marked)).comment
    assert copy_origin(odt) is Origin.EDITED


def test_a_copy_that_is_a_folder_or_read_only_is_refused(scene, built):
    folder = built.with_suffix(".pdf")
    folder.mkdir()
    scene.refuses("build", "--pdf", "--force", message="outputs/國際事務.pdf：這是資料夾，不是檔案")
    folder.rmdir()
    read_only = built.with_suffix(".odt")
    read_only.write_bytes(b"old")
    read_only.chmod(0o444)
    try:
        scene.refuses("build", "--odt", "--force", message="outputs/國際事務.odt 設為唯讀，不會覆寫")
    finally:
        read_only.chmod(0o644)


def test_a_failed_conversion_keeps_a_copy_it_may_not_delete(scene, monkeypatch):
    """A copy that appears during the build is not this build's: kept, and said so plainly."""
    pdf = scene.root / DEFAULT_OUT.with_suffix(".pdf")

    def someone_saves_a_pdf(self, source, kind):
        pdf.write_bytes(b"saved meanwhile by a person")
        raise convert.FatalError("LibreOffice 無法轉檔。")

    monkeypatch.setattr(convert.Soffice, "convert", someone_saves_a_pdf)
    monkeypatch.setattr(convert, "find_soffice", lambda: "/usr/bin/true")
    result = scene.run("build", "--pdf", code=2, changes=(DEFAULT_OUT, pdf.relative_to(scene.root)))
    assert pdf.read_bytes() == b"saved meanwhile by a person"
    assert "注意：國際事務.pdf 仍在，它不是這次產生的，內容與新的 Word 文件無關" in result.err
    assert "已刪除" not in result.err


def test_a_copy_appearing_during_the_build_is_not_replaced(scene, monkeypatch):
    pdf = scene.root / DEFAULT_OUT.with_suffix(".pdf")

    def someone_saves_a_pdf(self, source, kind):
        pdf.write_bytes(b"saved meanwhile by a person")
        return b"%PDF- this build"

    monkeypatch.setattr(convert.Soffice, "convert", someone_saves_a_pdf)
    monkeypatch.setattr(convert, "find_soffice", lambda: "/usr/bin/true")
    result = scene.run("build", "--pdf", code=2, changes=(DEFAULT_OUT, pdf.relative_to(scene.root)))
    assert pdf.read_bytes() == b"saved meanwhile by a person"
    assert "outputs/國際事務.pdf 已存在，不是 reportgen 這次產生的，不會覆寫" in result.err


# Ctrl+C: 「已中斷。」, exit 130, no traceback, nothing half-written ------------------------------

@pytest.mark.parametrize("command", [("build",), ("validate",), ("preview",), ("validate", "--report", "r.xlsx")])
def test_ctrl_c_while_reading(scene, monkeypatch, command):
    from reportgen import api

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "load", interrupt)
    result = scene.run(*command, code=130)
    assert (result.out, result.err) == ("", "已中斷。\n")


def test_ctrl_c_while_writing_keeps_the_previous_output(scene, built, monkeypatch):
    monkeypatch.setattr(outputs.os, "fsync", lambda fd: (_ for _ in ()).throw(KeyboardInterrupt()))
    result = scene.run("build", "--force", code=130)
    assert result.err == "已中斷。\n"


@pytest.mark.slow  # a child process
def test_ctrl_c_during_report_prints_no_traceback(scene):
    """openpyxl's half-written sheets complain when collected; staff see only 「已中斷。」."""
    script = (
        "import sys\n"
        "from reportgen.write import report_xlsx\n"
        "real = report_xlsx._write_copy\n"
        "def interrupted(sheet, grid, marks):\n"
        "    real(sheet, grid[:3], marks)\n"
        "    raise KeyboardInterrupt\n"
        "report_xlsx._write_copy = interrupted\n"
        "from reportgen.cli import main\n"
        "sys.exit(main(['validate', '--report', 'r.xlsx']))\n")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run([sys.executable, "-c", script], cwd=scene.root, capture_output=True,
                          env=env, timeout=120)
    assert done.returncode == 130
    assert done.stderr.decode() == "已中斷。\n"
    assert not (scene.root / "r.xlsx").exists()


# Helpers the rules rest on ---------------------------------------------------------------------

def test_same_file_on_a_case_insensitive_file_system(tmp_path, monkeypatch):
    monkeypatch.setattr(outputs, "_case_insensitive", lambda folder: True)
    assert outputs.same_file(tmp_path / "A.xlsx", tmp_path / "a.xlsx")
    monkeypatch.setattr(outputs, "_case_insensitive", lambda folder: False)
    assert not outputs.same_file(tmp_path / "A.xlsx", tmp_path / "a.xlsx")


def test_case_probe_on_this_file_system(tmp_path):
    folder = tmp_path / "Probe"
    folder.mkdir()
    sensitive = not (tmp_path / "probe").exists()
    outputs._case_insensitive.cache_clear()
    assert outputs._case_insensitive(str(folder)) is not sensitive


def test_fresh_output_is_recognised_and_an_edit_is_not(tmp_path, project):
    out = tmp_path / "c.docx"
    assert run_cli("build", "-o", out).code == 0
    assert origin(out) is Origin.OWN
    edit_docx(out, b"</w:body>", b"</w:body>")  # re-zipped, contents the same: still its own
    assert origin(out) is Origin.OWN
    edit_docx(out, "國際事務".encode(), "國際事務。".encode())
    assert origin(out) is Origin.EDITED
    assert stat.S_ISREG(out.stat().st_mode)


@posix_only
@pytest.mark.slow  # a child process
@pytest.mark.parametrize("command", [("build",), ("preview",), ("validate",)])
def test_a_closed_pipe_ends_quietly(scene, command):
    """`reportgen preview | head -1`: the reader left; no traceback, no 「內部錯誤」."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([sys.executable, "-m", "reportgen", *command], stdout=write,
                              stderr=subprocess.PIPE, cwd=scene.root, timeout=120)
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (141, b"")


def test_a_package_mark_covers_the_bytes_and_an_earlier_versions_mark_still_counts(tmp_path):
    """A report or .odt copy is marked over its bytes as written (one pass, no part inflated); a
    copy marked by an earlier version (a digest of the parts) is still recognised as reportgen's."""
    import io

    from reportgen.write.fingerprint import Origin, digest, mark_package, package_origin

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("content.xml", "<office>" + "內容" * 500 + "</office>")
    plain = buffer.getvalue()
    marked = tmp_path / "new.odt"
    marked.write_bytes(mark_package(plain))
    assert package_origin(marked) is Origin.OWN
    assert zipfile.ZipFile(marked).read("content.xml") == zipfile.ZipFile(io.BytesIO(plain)).read("content.xml")
    data = bytearray(marked.read_bytes())
    data[40] ^= 1  # one compressed byte changed, the comment kept
    marked.write_bytes(bytes(data))
    assert package_origin(marked) is Origin.EDITED
    with zipfile.ZipFile(io.BytesIO(plain)) as archive:
        earlier = digest((info.filename, [archive.read(info)]) for info in archive.infolist())
    older = io.BytesIO(plain)
    with zipfile.ZipFile(older, "a") as archive:
        archive.comment = earlier.encode()
    (tmp_path / "old.odt").write_bytes(older.getvalue())
    assert package_origin(tmp_path / "old.odt") is Origin.OWN
