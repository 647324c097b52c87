"""End to end: the example workbook becomes exactly the published chapter."""

from __future__ import annotations

from pathlib import Path

from docx import Document as open_docx

from conftest import digest
from helpers import is_expected_chapter, write_workbook


def docx_paragraphs(path: Path) -> list[str]:
    return [p.text for p in open_docx(str(path)).paragraphs]


def test_build_reproduces_the_published_chapter(project, cli):
    result = cli("build")
    assert result.code == 0, result.err
    assert result.out == (
        "已產生 outputs/國際事務.docx\n"
        "共 2 節、14 項活動、16 案訪賓（101 人）；警告 0 項。\n"
    )
    paragraphs = docx_paragraphs(project / "outputs" / "國際事務.docx")
    assert is_expected_chapter([p.replace("\t", " ") for p in paragraphs])


def test_preview_prints_the_same_paragraphs(project, cli):
    result = cli("preview")
    assert result.code == 0, result.err
    assert is_expected_chapter(result.out.splitlines())
    assert result.err == ""


def test_build_is_byte_identical(project, cli, tmp_path):
    assert cli("build", "-o", tmp_path / "a.docx").code == 0
    assert cli("build", "-o", tmp_path / "b.docx").code == 0
    assert digest(tmp_path / "a.docx") == digest(tmp_path / "b.docx")


def test_a_folder_of_workbooks_is_one_report(project, cli, tmp_path):
    folder = tmp_path / "staff"
    folder.mkdir()
    write_workbook(folder / "a_主辦.xlsx", visits=[])
    write_workbook(folder / "b_訪賓.xlsx", settings=None, sections=None, activities=None, visits=[
        {"日期": "110/8/1", "單位": "甲市", "代表": "甲市長", "人數": 2, "主要訪團": "是"},
        {"日期": "110/7/5", "單位": "乙市", "代表": "乙市長、乙副市長", "人數": 3, "主要訪團": "是"}])
    (folder / "~$a_主辦.xlsx").write_bytes(b"lock file")  # Excel's lock file is skipped
    (folder / "notes.txt").write_text("not a workbook")
    result = cli("preview", folder)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "貳拾陸、國際事務", "一、交流專案", "(一) 視訊會議", "110年9月8日舉行視訊會議。", "二、訪賓",
        "7月至12月計2案、5人。主要訪團為：", "乙市乙市長及乙副市長、甲市甲市長等。"]


def test_unreadable_spreadsheet_in_a_folder_is_a_warning(project, cli, tmp_path):
    folder = tmp_path / "staff"
    folder.mkdir()
    write_workbook(folder / "a.xlsx")
    (folder / "b_同事.xls").write_bytes(b"\xd0\xcf\x11\xe0 old excel")
    result = cli("validate", folder)
    assert result.code == 0
    assert result.out.splitlines()[0].startswith("警告　b_同事.xls：略過此檔：不支援舊版 Excel 97-2003 格式")
    assert cli("build", folder, "--strict", "-o", tmp_path / "x.docx").code == 1


def test_full_width_setting_applies_to_every_text_cell(project, cli, tmp_path):
    book = write_workbook(tmp_path / "w.xlsx", settings={
        "章次": 26, "章名": "國際事務(含兩岸)", "期間起": "110/7/1", "期間迄": "110/12/31", "括號": "全形"},
        sections=[{"節次": 1, "節名": "交流(專案)", "類型": "活動"}], visits=[])
    result = cli("preview", book)
    assert result.out.splitlines()[:3] == ["貳拾陸、國際事務（含兩岸）", "一、交流（專案）", "(一) 視訊會議"]


def test_a_row_with_only_a_note_or_an_extra_column_is_not_data(project, cli, tmp_path):
    heads = {"活動": ["節次", "標題", "開始日期", "結束日期", "內容", "列入報告", "備註", "我的筆記"]}
    book = write_workbook(tmp_path / "n.xlsx", headers=heads, activities=[
        {"節次": 1, "標題": "視訊會議", "開始日期": "110/9/8", "內容": "內容。"},
        {"備註": "下週補上"}, {"我的筆記": "記得問處長"}])
    result = cli("validate", book)
    assert (result.code, result.out.splitlines()[0]) == (0, "檢核完成：錯誤 0 項、警告 0 項。")
