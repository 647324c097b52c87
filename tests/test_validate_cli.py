"""`validate` (with --strict and --report) and `build` refusing bad input, through the CLI."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import digest
from helpers import ACTIVITIES, write_workbook
from reportgen.codes import Severity, severity

CORPUS = Path(__file__).resolve().parent / "corpus"
TABLE: dict[str, dict] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
RED, YELLOW = "FFFF8080", "FFFFEB84"
ERROR_CASES = sorted(name for name, case in TABLE.items()
                     if any(severity(code) is Severity.ERROR for _, _, code in case["problems"]))


def corpus_copy(name: str, tmp_path: Path) -> Path:
    """A case's input copied out, so no command can touch the committed corpus."""
    source = CORPUS / TABLE[name]["input"]
    target = tmp_path / source.name
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy(source, target)
    return target


def digests(path: Path) -> dict[str, str]:
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    return {str(f): digest(f) for f in files if f.is_file()}


def test_validate_prints_each_problem_and_a_summary(cli, tmp_path):
    result = cli("validate", corpus_copy("people_text", tmp_path))
    assert result.code == 1
    assert result.out == (
        "錯誤　people_text.xlsx 訪賓!E2（人數）：「人數」須為 1 到 9999 之間的整數。"
        "（填寫的是「abc」）　請只填數字，例如 3。\n"
        "檢核完成：錯誤 1 項、警告 0 項。\n")


def test_formula_without_value_tells_how_to_fix_it(cli, tmp_path):
    result = cli("validate", corpus_copy("formula_without_value", tmp_path))
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        "錯誤　formula_without_value.xlsx 訪賓!E2（人數）：「人數」是公式，但檔案中沒有儲存計算結果。"
        "　這個檔案可能是由不會計算公式的程式產生；請用 Excel 或 LibreOffice Calc 開啟後直接存檔"
        "（會存入計算結果），再執行一次。")


def test_duplicate_across_files_names_both_places(cli, tmp_path):
    result = cli("validate", corpus_copy("duplicate_activity_across_files", tmp_path))
    assert result.code == 1
    line = result.out.splitlines()[0]
    assert line.startswith("錯誤　b_colleague.xlsx 活動!B2（標題）：")
    assert "另一筆在 a_main.xlsx 活動!B2（標題）" in line


def test_warnings_pass_unless_strict(cli, tmp_path):
    book = corpus_copy("empty_activity_section", tmp_path)
    relaxed = cli("validate", book)
    strict = cli("validate", book, "--strict")
    assert (relaxed.code, strict.code) == (0, 1)
    assert relaxed.out.splitlines()[1] == "檢核完成：錯誤 0 項、警告 1 項。"
    assert strict.out.splitlines()[1] == "檢核完成：錯誤 0 項、警告 1 項（--strict：警告視為錯誤）。"


def test_build_with_warnings_writes_only_without_strict(project, cli, tmp_path):
    book = corpus_copy("empty_activity_section", tmp_path)
    output = tmp_path / "out" / "chapter.docx"
    assert cli("build", book, "-o", output).code == 0
    before = digest(output)
    result = cli("build", book, "-o", output, "--strict")
    assert result.code == 1
    assert result.err.splitlines()[-1] == "錯誤 0 項、警告 1 項（--strict：警告視為錯誤），未產生檔案。"
    assert digest(output) == before
    assert [p.name for p in output.parent.iterdir()] == ["chapter.docx"]


@pytest.mark.parametrize("name", ERROR_CASES)
def test_build_refuses_every_corpus_error_and_leaves_output_untouched(project, cli, tmp_path, name):
    output = project / "outputs" / "previous.docx"
    output.parent.mkdir()
    output.write_bytes(b"previous chapter")
    source = corpus_copy(name, tmp_path)
    before = digests(source)
    result = cli("build", source, "-o", output, "--force")  # even where replacing is allowed
    assert result.code == 1, result.err
    assert output.read_bytes() == b"previous chapter"
    assert [p.name for p in output.parent.iterdir()] == ["previous.docx"]
    assert digests(source) == before


def test_no_command_modifies_its_inputs(project, cli, tmp_path):
    folder = corpus_copy("duplicate_activity_across_files", tmp_path)
    clean = write_workbook(tmp_path / "clean.xlsx")
    before = {**digests(folder), **digests(clean)}
    for args in (("validate", folder), ("validate", folder, "--report", tmp_path / "r1.xlsx"),
                 ("build", folder), ("preview", folder), ("validate", clean, "--strict"),
                 ("validate", clean, "--report", tmp_path / "r2.xlsx"),
                 ("build", clean, "-o", tmp_path / "c.docx"), ("preview", clean)):
        cli(*args)
    assert {**digests(folder), **digests(clean)} == before
    assert (tmp_path / "r1.xlsx").exists() and (tmp_path / "r2.xlsx").exists()


def report_rows(path: Path) -> list[tuple]:
    sheet = load_workbook(path)["檢核結果"]
    return [row for row in sheet.iter_rows(min_row=5, values_only=True)]


def test_report_marks_each_problem_cell_and_lists_it_with_a_link(cli, tmp_path):
    source = write_workbook(tmp_path / "in.xlsx", activities=[
        ACTIVITIES[0], {**ACTIVITIES[0], "標題": "另一項", "開始日期": "110/2/30"},
        {**ACTIVITIES[0], "標題": "第三項", "內容": "110年10月1日舉行。"}])
    before = digest(source)
    report = tmp_path / "檢核報告.xlsx"
    result = cli("validate", source, "--report", report)
    assert result.code == 1
    assert result.out.splitlines()[-1] == f"已產生檢核報告 {report}"
    assert digest(source) == before
    book = load_workbook(report)
    assert book.sheetnames == ["檢核結果", "報告設定", "章節", "活動", "訪賓"]
    summary = book["檢核結果"]
    assert summary["A1"].value == "檢核結果：錯誤 1 項、警告 1 項"
    rows = list(summary.iter_rows(min_row=5))
    assert [(r[0].value, r[1].value, r[2].value) for r in rows] == [
        ("錯誤", "in.xlsx", "活動!C3"), ("警告", "in.xlsx", "活動!E4")]
    assert summary.max_column == 7  # no column of problem codes: English, which staff never see (SPEC §6)
    assert not [c.value for row in summary.iter_rows() for c in row
                if isinstance(c.value, str) and c.value in ("bad-date", "date-in-text-outside")]
    assert [r[2].hyperlink.location for r in rows] == ["'活動'!C3", "'活動'!E4"]
    activities = book["活動"]
    assert activities["C3"].value == "110/2/30"  # the copy keeps what staff typed
    assert activities["C3"].fill.fgColor.rgb == RED
    assert activities["E4"].fill.fgColor.rgb == YELLOW
    assert "不是有效的日期" in activities["C3"].comment.text
    assert activities["C2"].comment is None and activities["C2"].fill.fgColor.rgb != RED


def test_report_of_several_workbooks_keeps_them_apart(cli, tmp_path):
    folder = corpus_copy("duplicate_activity_across_files", tmp_path)
    report = tmp_path / "r.xlsx"
    assert cli("validate", folder, "--report", report).code == 1
    book = load_workbook(report)
    assert book.sheetnames[0] == "檢核結果"
    assert "1-a_main-活動" in book.sheetnames and "2-b_colleague-活動" in book.sheetnames
    (row,) = report_rows(report)
    assert row[1:3] == ("b_colleague.xlsx", "活動!B2")
    link = book["檢核結果"]["C5"].hyperlink.location
    assert link == "'2-b_colleague-活動'!B2"
    assert book["2-b_colleague-活動"]["B2"].fill.fgColor.rgb == RED
    assert book["1-a_main-活動"]["B2"].comment is None


def test_report_survives_odd_characters(cli, tmp_path):
    # Characters openpyxl refuses to write, put in the sheet XML the way Excel escapes them.
    source = write_workbook(tmp_path / "odd.xlsx", activities=[
        {**ACTIVITIES[0], "標題": "視訊MARK會議", "備註": "NOTE"}])
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["xl/worksheets/sheet3.xml"] = members["xl/worksheets/sheet3.xml"].replace(
        b"MARK", b"_x0001__x001F__x000b__x007F_").replace(b"NOTE", b"=SUM((")
    with zipfile.ZipFile(source, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    report = tmp_path / "r.xlsx"
    result = cli("validate", source, "--report", report)
    assert result.code == 0, result.out + result.err
    assert [row[2] for row in report_rows(report)] == ["活動!B2"]  # the invisible-chars warning
    copy = load_workbook(report)["活動"]
    assert copy["B2"].value.startswith("視訊") and copy["B2"].value.endswith("會議")
    assert (copy["G2"].value, copy["G2"].data_type) == ("=SUM((", "s")  # text, not a formula
    assert b"<f>" not in zipfile.ZipFile(report).read("xl/worksheets/sheet3.xml")


@pytest.mark.parametrize("name", ["in.xlsx", "report.docx"])
def test_report_may_not_replace_an_input_or_be_another_format(cli, tmp_path, name):
    source = write_workbook(tmp_path / "in.xlsx")
    before = digest(source)
    result = cli("validate", source, "--report", tmp_path / name)
    assert result.code == 2
    assert result.err.startswith("錯誤：檢核報告")
    assert digest(source) == before
    assert not (tmp_path / "report.docx").exists()


def test_report_copies_a_non_character_cell_instead_of_crashing(tmp_path, cli):
    """U+FFFE/U+FFFF in a cell (lxml refuses them) become U+FFFD in the copy; the report is written."""
    from openpyxl import load_workbook

    from reportgen.problems import Problems
    from reportgen.write.report_xlsx import report_bytes

    book = write_workbook(tmp_path / "a.xlsx")
    sources = [(book, [("活動", [["節次", "標題"], [1, "締盟\ufffe儀式\uffff"]])])]
    data = report_bytes([book], Problems(), sources=sources)
    (tmp_path / "r.xlsx").write_bytes(data)
    copied = [c.value for row in load_workbook(tmp_path / "r.xlsx").worksheets[1].iter_rows() for c in row]
    assert "締盟\ufffd儀式\ufffd" in copied


def test_same_named_inputs_in_two_folders_are_told_apart(tmp_path, cli):
    """d1/book.xlsx and d2/book.xlsx: messages and the report's marks name the folder too."""
    from openpyxl import load_workbook

    good = write_workbook((tmp_path / "d1").mkdir() or tmp_path / "d1" / "book.xlsx")
    bad = write_workbook((tmp_path / "d2").mkdir() or tmp_path / "d2" / "book.xlsx",
                         activities=[{"節次": 1, "標題": "壞日期", "開始日期": "110/13/1", "內容": "x。"}],
                         visits=[])
    report = tmp_path / "out" / "r.xlsx"
    result = cli("validate", bad, good, "--report", report)
    assert result.code == 1
    errors = [line for line in result.out.splitlines() if line.startswith("錯誤")]
    assert len(errors) == 1 and errors[0].startswith("錯誤　d2/book.xlsx 活動!C2（開始日期）"), result.out
    book = load_workbook(report)
    marked = [ws.title for ws in book.worksheets[1:] if ws["C2"].comment is not None]
    assert marked == ["1-book-活動"], book.sheetnames  # d2's copy (given first), not d1's
