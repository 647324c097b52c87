"""Broken and hostile input files: exit 2 with a message naming the file, before any parser runs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import digest
from helpers import FIXTURES, REPO, write_workbook
from zipparts import (
    ACTIVITY_SHEET,
    RawEntry,
    deflated_zeros,
    entries_of,
    replace_text,
    rewrite,
    with_shared_strings,
    write_raw_zip,
)

HOSTILE = FIXTURES / "hostile"
MARKER = "MARKERTITLE"  # typed into 活動!B2 so a test can put raw XML in its place

LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%s;" % (str(i - 1).encode() if i > 1 else b"") * 10)
               for i in range(1, 10))
    + b"]>"
)
EXTERNAL = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """A valid workbook whose one activity title is MARKER."""
    return write_workbook(tmp_path / "base.xlsx", activities=[
        {"節次": 1, "標題": MARKER, "開始日期": "110/9/8", "內容": "舉行視訊會議。"}])


def fatal(cli, *paths: Path) -> str:
    """Run validate and build on the inputs: both exit 2; inputs unchanged; the message returned."""
    before = [digest(p) for p in paths if p.is_file()]
    messages = []
    for command in ("validate", "build"):
        result = cli(command, *paths)
        assert result.code == 2, (command, result.out, result.err)
        assert "Traceback" not in result.err and "內部錯誤" not in result.err
        messages.append(result.err)
    assert [digest(p) for p in paths if p.is_file()] == before
    assert messages[0] == messages[1]
    return messages[0]


# 1. Not a workbook --------------------------------------------------------------------------

def test_valid_workbook_passes_the_checks(cli, base):
    assert cli("validate", base).code == 0


@pytest.mark.parametrize("content, expected", [
    (b"", "是空檔案"),
    (b"\xe6\x97\xa5\xe6\x9c\x9f,\xe5\x96\xae\xe4\xbd\x8d\n110/9/8,x\n", "純文字檔"),
    (b"<html><table><tr><td>1</td></tr></table></html>", "網頁（HTML）或 XML"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
    (bytes(range(256)), "無法辨識"),
])
def test_not_a_zip(cli, tmp_path, project, content, expected):
    path = tmp_path / "資料 活頁簿.xlsx"
    path.write_bytes(content)
    message = fatal(cli, path)
    assert message.startswith("錯誤：資料 活頁簿.xlsx")
    assert expected in message


def test_truncated_zip(cli, tmp_path, project, base):
    path = tmp_path / "cut.xlsx"
    path.write_bytes(base.read_bytes()[: base.stat().st_size // 2])
    assert "檔案不完整" in fatal(cli, path)


def test_zip_whose_part_is_cut_short(cli, tmp_path, project, base):
    """The end record survives but a sheet's data does not (a damaged copy)."""
    data = bytearray(base.read_bytes())
    with zipfile.ZipFile(base) as archive:
        info = archive.getinfo(ACTIVITY_SHEET)
    start = info.header_offset + 30 + len(info.filename)
    data[start:start + info.compress_size] = b"\xff" * info.compress_size  # not a deflate stream
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(data))
    assert "已損壞" in fatal(cli, path)


def test_folder_named_like_a_workbook(cli, tmp_path, project, base):
    folder = tmp_path / "活動.xlsx"
    folder.mkdir()
    shutil.copy(base, folder / "inner.xlsx")
    message = fatal(cli, folder)
    assert message.startswith("錯誤：活動.xlsx 是資料夾")


@pytest.mark.parametrize("suffix", [".xls", ".xlsb", ".csv"])
def test_unsupported_suffix_says_save_as_xlsx(cli, tmp_path, project, suffix):
    path = tmp_path / f"舊檔{suffix}"
    shutil.copy(HOSTILE / "excel97_renamed.xlsx", path)
    message = fatal(cli, path)
    assert message.startswith(f"錯誤：舊檔{suffix}：不支援")
    assert "另存為」.xlsx" in message


def test_old_xls_renamed_to_xlsx(cli, tmp_path, project):
    path = tmp_path / "renamed.xlsx"
    shutil.copy(HOSTILE / "excel97_renamed.xlsx", path)
    assert fatal(cli, path) == (
        "錯誤：renamed.xlsx：這是舊版 Excel 97-2003 活頁簿（.xls），只是副檔名為 .xlsx。"
        "請在 Excel 或 Calc 開啟後「另存為」.xlsx 活頁簿再試。\n")


# 2. Encrypted -------------------------------------------------------------------------------

def test_encrypted_workbook(cli, tmp_path, project):
    """An Excel file saved with a password (Agile encryption, an OLE container)."""
    path = tmp_path / "加密.xlsx"
    shutil.copy(HOSTILE / "encrypted.xlsx", path)
    message = fatal(cli, path)
    assert message.startswith("錯誤：加密.xlsx：檔案已加密")


def test_encrypted_opendocument(cli, tmp_path, project, base):
    """Calc encrypts each part inside the zip and says so in the manifest."""
    manifest = (b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:'
                b'tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="content.xml">'
                b'<manifest:encryption-data manifest:checksum="x"/></manifest:file-entry></manifest:manifest>')
    path = rewrite(base, tmp_path / "secret.ods", {}, extra={"META-INF/manifest.xml": manifest})
    assert fatal(cli, path).startswith("錯誤：secret.ods：檔案已加密")


# 3. Zip bombs -------------------------------------------------------------------------------

def _run_measured(*args: str | Path) -> tuple[subprocess.CompletedProcess, int]:
    """Run the CLI in a fresh interpreter; its own peak memory (kB) is reported back.

    The peak is VmHWM, which starts afresh at exec (ru_maxrss would include this test process's).
    """
    script = ("import json, re, sys\nfrom pathlib import Path\nfrom reportgen.cli import main\n"
              "code = main(sys.argv[1:])\n"
              "status = Path('/proc/self/status').read_text()\n"
              "sys.stderr.write(json.dumps(int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1))))\n"
              "sys.exit(code)\n")
    # 5 s is the bound; the checks themselves take milliseconds.
    result = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True,
                            text=True, timeout=5, cwd=REPO)
    message, _, peak = result.stderr.rpartition("\n") if "\n" in result.stderr else ("", "", result.stderr)
    return subprocess.CompletedProcess(result.args, result.returncode, result.stdout, message), json.loads(peak)


@pytest.fixture
def linux_proc() -> None:
    if not Path("/proc/self/status").exists():
        pytest.skip("peak memory is read from /proc (Linux)")


def _bomb(tmp_path: Path, base: Path, name: str, entry: RawEntry) -> Path:
    entries = [e for e in entries_of(base) if e.name != entry.name] + [entry]
    path = write_raw_zip(tmp_path / name, entries)
    assert path.stat().st_size < 3 * 1024 * 1024  # small on disk
    return path


@pytest.mark.slow  # a child process under a memory limit
def test_bomb_declaring_gigabytes(tmp_path, base, linux_proc):
    """A sheet that honestly declares 2 GiB, stored in about 2 MB."""
    path = _bomb(tmp_path, base, "bomb.xlsx", RawEntry(ACTIVITY_SHEET, deflated_zeros(2048), 2048 << 20))
    result, peak_kb = _run_measured("validate", path)
    assert result.returncode == 2
    assert "解壓縮後的大小 2,048 MB 超過上限 512 MB" in result.stderr
    assert peak_kb < 300 * 1024


@pytest.mark.slow  # a child process under a memory limit
def test_bomb_with_a_high_ratio_under_the_size_limit(tmp_path, base, linux_proc):
    path = _bomb(tmp_path, base, "ratio.xlsx", RawEntry(ACTIVITY_SHEET, deflated_zeros(300), 300 << 20))
    result, peak_kb = _run_measured("validate", path)
    assert result.returncode == 2
    assert "工作表「活動」的壓縮比" in result.stderr and "超過上限 200:1" in result.stderr
    assert "xl/" not in result.stderr  # the tab staff see, never the part inside the zip
    assert peak_kb < 300 * 1024


@pytest.mark.slow  # a child process under a memory limit
def test_bomb_lying_about_its_size(tmp_path, base, linux_proc):
    """Declares 1 kB, inflates to 2 GiB: refused after inflating at most 1 kB more than declared."""
    path = _bomb(tmp_path, base, "liar.xlsx", RawEntry(ACTIVITY_SHEET, deflated_zeros(2048), 1000))
    result, peak_kb = _run_measured("build", path, "-o", tmp_path / "out.docx")
    assert result.returncode == 2
    assert "解壓縮後比宣告的大小還大" in result.stderr and "xl/" not in result.stderr
    assert peak_kb < 300 * 1024
    assert not (tmp_path / "out.docx").exists()


def test_too_many_entries(cli, tmp_path, project, base):
    filler = [RawEntry(f"x/{i}", b"\x03\x00", 0) for i in range(20_000)]
    path = write_raw_zip(tmp_path / "many.xlsx", entries_of(base) + filler)
    assert "內含 20,012 個項目（上限 10,000）" in fatal(cli, path)


def test_sheet_reaching_the_last_cell(cli, tmp_path, project, base):
    """One value in XFD1048576 would make the reader allocate 17 billion cells (a 7 kB file)."""
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    path = rewrite(base, tmp_path / "far.xlsx", {ACTIVITY_SHEET: replace_text("</sheetData>", far)})
    message = fatal(cli, path)
    assert "使用範圍過大（到第 1,048,576 列、第 16,384 欄" in message


def test_rows_without_references_are_counted(cli, tmp_path, project, base, monkeypatch):
    """Rows and cells may omit r=; a million of them compress to little and would fill memory."""
    import reportgen.read.safety

    monkeypatch.setattr(reportgen.read.safety, "MAX_CELLS", 1_000)
    rows = "<row><c><v>1</v></c></row>" * 1_500 + "</sheetData>"
    path = rewrite(base, tmp_path / "rows.xlsx", {ACTIVITY_SHEET: replace_text("</sheetData>", rows)})
    assert "使用範圍過大（到第 1,50" in fatal(cli, path)



# The reader (calamine) takes a reference in other spellings than Excel's, and places a cell
# without r= right of the previous one: each of these would ask it for a grid far beyond
# MAX_CELLS (it aborts the process rather than raising), so the check must refuse them all.
FAR_SPELLINGS = {
    "lower_case": '<row><c r="xfd1048576"><v>1</v></c></row>',
    "leading_zero": '<row><c r="XFD01048576"><v>1</v></c></row>',
    "eight_digits": '<row><c r="A99999999"><v>1</v></c></row>',
    "four_letters": '<row><c r="AAAA1000"><v>1</v></c></row>',
    "mixed_case": '<row><c r="xFd1048576"><v>1</v></c></row>',
    "spaces_around_equals": '<row><c r = "XFD1048576"><v>1</v></c></row>',
    "tab_and_newline_around_equals": '<row><c r\t=\n"XFD1048576"><v>1</v></c></row>',
    "single_quotes": "<row><c r='XFD1048576'><v>1</v></c></row>",
    "r_after_other_attributes": '<row><c t="n" r="XFD1048576"><v>1</v></c></row>',
    "no_space_before_r": '<row><c t="n"r="XFD1048576"><v>1</v></c></row>',
    "two_r_attributes": '<row><c r="A1" r="XFD1048576"><v>1</v></c></row>',
    "lower_case_row": '<row r="01048576"><c r="a01048576"/><c r="h1048576"/></row>',
    "cells_without_r": "<row>" + "<c><v>1</v></c>" * 16_384 + '</row><row r="300000"><c r="A300000"><v>1</v></c></row>',
    "cells_without_r_after_a_far_cell": '<row r="1000"><c r="ZZ1000"/>' + "<c/>" * 5_000 + "</row>",
    "rows_without_r_after_a_far_row": '<row r="600000"><c r="H600000"/></row>' + "<row><c/></row>" * 30_000,
    "prefixed_cells_without_r": '<x:row xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                                + "<x:c/>" * 16_384 + '</x:row><row r="400"><c r="A400"/></row>',
}


@pytest.mark.parametrize("shape", sorted(FAR_SPELLINGS))
def test_far_cells_in_any_spelling_the_reader_takes_are_refused(tmp_path, base, shape):
    """Checked without running the reader: one that slipped through would abort the test run."""
    from reportgen.errors import FatalError
    from reportgen.read.safety import MAX_CELLS, check_workbook_file

    path = rewrite(base, tmp_path / "far.xlsx",
                   {ACTIVITY_SHEET: replace_text("</sheetData>", FAR_SPELLINGS[shape] + "</sheetData>")})
    with pytest.raises(FatalError) as refused:
        check_workbook_file(path)
    message = str(refused.value)
    assert message.startswith("far.xlsx：工作表「活動」的使用範圍過大（到第 "), message
    found = re.search(r"到第 ([0-9,]+) 列、第 ([0-9,]+) 欄", message)
    assert int(found.group(1).replace(",", "")) * int(found.group(2).replace(",", "")) > MAX_CELLS


def test_the_reviewers_lower_case_far_cell_is_refused_by_the_cli(cli, tmp_path, project, base):
    path = rewrite(base, tmp_path / "lower.xlsx",
                   {ACTIVITY_SHEET: replace_text("</sheetData>", FAR_SPELLINGS["lower_case"] + "</sheetData>")})
    message = fatal(cli, path)
    start = "錯誤：lower.xlsx：工作表「活動」的使用範圍過大（到第 1,048,576 列、第 16,384 欄"
    assert message.startswith(start), message


@pytest.mark.parametrize("spelling", ["lower_case", "without_r", "leading_zeros_and_spaces"])
def test_a_sheet_within_bounds_in_other_spellings_passes(cli, tmp_path, project, base, spelling):
    """The same workbook, its references spelled otherwise (or left out, so each cell follows the
    previous one): it passes the check; respelled, it builds the same chapter."""
    def respell(data: bytes) -> bytes:
        if spelling == "lower_case":
            return re.sub(rb' r="([A-Z]+)([0-9]+)"', lambda m: b' r="' + m.group(1).lower() + m.group(2) + b'"', data)
        if spelling == "without_r":
            return re.sub(rb' r="[A-Z]*[0-9]+"', b"", data)
        return re.sub(rb' r="([A-Z]*)([0-9]+)"', lambda m: b" r = '" + m.group(1) + b"00" + m.group(2) + b"'", data)

    path = rewrite(base, tmp_path / "respelled.xlsx", {ACTIVITY_SHEET: respell})
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read(ACTIVITY_SHEET)
    assert (b' r="' in sheet) == (spelling == "lower_case") and b"<c" in sheet
    from reportgen.read.safety import check_workbook_file

    check_workbook_file(path)
    if spelling == "without_r":
        return  # its empty cells are left out too, so the values move left: no longer the same book
    expected = cli("build", base, "-o", str(tmp_path / "base.docx"))
    result = cli("build", path, "-o", str(tmp_path / "respelled.docx"))
    assert expected.code == result.code == 0, (expected.err, result.err)
    assert (tmp_path / "base.docx").read_bytes() == (tmp_path / "respelled.docx").read_bytes()

# 4. XML attacks -----------------------------------------------------------------------------

def _in_sheet(base: Path, target: Path, prolog: bytes, reference: bytes) -> Path:
    return rewrite(base, target, {ACTIVITY_SHEET: lambda d: prolog + d.replace(MARKER.encode(), reference)})


def _strings(prolog: bytes, text: bytes) -> bytes:
    return (prolog + b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
            b'uniqueCount="1"><si><t>' + text + b"</t></si></sst>")


def test_shared_strings_construction_is_read(cli, tmp_path, base):
    """The sharedStrings workbook below is real: without a payload its string is read."""
    path = with_shared_strings(base, tmp_path / "ss.xlsx", MARKER, _strings(b"", "共享字串標題".encode()))
    result = cli("preview", path)
    assert result.code == 0, result.err
    assert "(一) 共享字串標題" in result.out


@pytest.mark.parametrize("where", ["sheet", "sharedStrings"])
@pytest.mark.parametrize("prolog, reference", [(LAUGHS, b"&lol9;"), (EXTERNAL, b"&xxe;")],
                         ids=["billion-laughs", "external-entity"])
def test_xml_entity_attacks(cli, tmp_path, project, base, where, prolog, reference):
    path = tmp_path / f"attack-{where}.xlsx"
    if where == "sheet":
        _in_sheet(base, path, prolog, reference)
        part = "工作表「活動」"
    else:
        with_shared_strings(base, path, MARKER, _strings(prolog, reference))
        part = "活頁簿的內部資料"
    message = fatal(cli, path)
    assert f"{part}含有 XML 文件型別宣告" in message and "xl/" not in message
    assert "root:" not in message


def test_utf16_part_is_scanned_too(cli, tmp_path, project, base):
    xml = zipfile.ZipFile(base).read(ACTIVITY_SHEET).decode()
    attack = (LAUGHS.decode().replace('version="1.0"', 'version="1.0" encoding="UTF-16"')
              + xml.replace(MARKER, "&lol9;")).encode("utf-16")
    path = rewrite(base, tmp_path / "utf16.xlsx", {ACTIVITY_SHEET: lambda _: attack})
    assert "含有 XML 文件型別宣告" in fatal(cli, path)


def test_reader_refuses_entities_even_without_the_scan(cli, tmp_path, project, base, monkeypatch):
    """Defence in depth: calamine's XML parser does not expand entities; the file is still exit 2."""
    import reportgen.read.safety

    monkeypatch.setattr(reportgen.read.safety, "_DTD_MARKERS", ())
    path = _in_sheet(base, tmp_path / "laughs.xlsx", LAUGHS, b"&lol9;")
    message = fatal(cli, path)
    assert "工作表「活動」的內容已損壞" in message


def test_openpyxl_parses_through_defusedxml(tmp_path, base):
    import defusedxml
    import openpyxl
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
    path = _in_sheet(base, tmp_path / "laughs.xlsx", LAUGHS, b"&lol9;")
    with pytest.raises(ValueError) as refused:  # openpyxl wraps the parser's error
        openpyxl.load_workbook(path)
    assert isinstance(refused.value.__cause__, defusedxml.DefusedXmlException)


def test_template_with_a_dtd_is_refused(cli, tmp_path, project):
    template = rewrite(REPO / "templates" / "report.docx", tmp_path / "evil.docx",
                       {"word/styles.xml": lambda d: LAUGHS + d.split(b"?>", 1)[1]})
    result = cli("build", "--template", template, "-o", tmp_path / "out.docx")
    assert result.code == 2
    assert result.err.startswith("錯誤：範本 evil.docx 的樣式表含有不允許的 DTD 宣告")
    assert not (tmp_path / "out.docx").exists()


def test_a_row_with_only_its_height_set_far_down_is_read(tmp_path, cli):
    """SPEC §2 "Reading stops after the last non-empty row": a row element holding no cell (its height
    set on row 1,048,576) makes python-calamine allocate nothing, so the workbook is read; a cell
    there, even one holding only formatting, would (calamine's grid spans it), and stays refused."""
    from openpyxl import load_workbook
    from openpyxl.styles import Font

    from helpers import write_workbook

    book = write_workbook(tmp_path / "a.xlsx")
    workbook = load_workbook(book)
    workbook["活動"].row_dimensions[1_048_576].height = 30
    workbook.save(book)
    assert cli("validate", book).code == 0
    workbook["活動"].cell(1_000_000, 7).font = Font(bold=True)
    workbook.save(book)
    assert "使用範圍過大" in cli("validate", book).err
