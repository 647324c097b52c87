"""What staff really type and do (SPEC §2–§5): each case built as staff would, with openpyxl."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from helpers import ACTIVITIES, SECTIONS, SETTINGS, VISITS, write_workbook
from reportgen import load, preview_text
from reportgen.codes import Severity

ZWSP, BOM, WJ = "\u200b", "\ufeff", "\u2060"


def flat(outcome, *fields: str) -> list[tuple]:
    return outcome.problems.flatten(fields or ("sheet", "cell", "code"))


def chapter(outcome) -> list[str]:
    return preview_text(outcome).splitlines()


# --- invisible characters: removed with one warning, in every kind of cell ----------------------

def test_invisible_characters_in_dates_numbers_and_choices_are_removed_with_one_warning(tmp_path):
    book = write_workbook(
        tmp_path / "z.xlsx",
        settings={**SETTINGS, "章次": f"26{ZWSP}"},
        sections=[{"節次": f"1{BOM}", "節名": "交流專案", "類型": f"活動{WJ}"},
                  {"節次": 2, "節名": "訪賓", "類型": f"訪賓{ZWSP}", "前言": "計{{ 案數 }}案。主要訪團為："}],
        activities=[{**ACTIVITIES[0], "節次": f"{ZWSP}1", "開始日期": f"110/9/8{ZWSP}"}],
        visits=[{**VISITS[0], "人數": f"5{ZWSP}", "形式": f"視訊{BOM}", "主要訪團": f"是{WJ}"}])
    outcome = load([book])
    assert flat(outcome, "sheet", "cell", "code", "severity") == [
        ("報告設定", "B2", "invisible-chars", "警告"),
        ("章節", "A2", "invisible-chars", "警告"), ("章節", "C2", "invisible-chars", "警告"),
        ("章節", "C3", "invisible-chars", "警告"),
        ("活動", "A2", "invisible-chars", "警告"), ("活動", "C2", "invisible-chars", "警告"),
        ("訪賓", "E2", "invisible-chars", "警告"), ("訪賓", "F2", "invisible-chars", "警告"),
        ("訪賓", "G2", "invisible-chars", "警告")]
    assert chapter(outcome) == ["貳拾陸、國際事務", "一、交流專案", "(一) 視訊會議", "110年9月8日舉行視訊會議。",
                                "二、訪賓", "計1案。主要訪團為：", "日本京都市門川大作市長(視訊)等。"]


def test_a_rejected_value_shows_the_characters_nobody_can_see(tmp_path):
    book = write_workbook(tmp_path / "z.xlsx", visits=[{**VISITS[0], "日期": f"110/2/30{ZWSP}"}])
    problem = next(p for p in load([book]).problems if p.code == "bad-date")
    assert problem.found == "110/2/30〈U+200B〉"
    assert "U+200B" in problem.message and "看不見" in problem.message
    warning = next(p for p in load([book]).problems if p.code == "invisible-chars")
    assert "110/2/30〈U+200B〉" in warning.message


@pytest.mark.parametrize("char", ["\u034f", "\ufe0f", "\U000e0001", "\u180b", "\u3164", "\u1160", "\u17b4",
                                  "\U0001d173", "\U000e0100"])
def test_every_zero_width_character_is_removed_with_a_warning_never_an_error(tmp_path, char):
    """Unicode's default-ignorable characters (a variation selector, a combining grapheme joiner, a
    Hangul filler, a tag …), printable or not by Python's reckoning, are zero-width: removed (SPEC §4)."""
    book = write_workbook(tmp_path / "z.xlsx",
                          activities=[{**ACTIVITIES[0], "開始日期": f"110/9/8{char}", "列入報告": f"是{char}"}],
                          visits=[{**VISITS[0], "人數": f"5{char}"}])
    outcome = load([book])
    assert sorted(flat(outcome, "sheet", "cell", "code", "severity")) == [
        ("活動", "C2", "invisible-chars", "警告"), ("活動", "F2", "invisible-chars", "警告"),
        ("訪賓", "E2", "invisible-chars", "警告")]
    assert all(f"〈U+{ord(char):04X}〉" in p.message for p in outcome.problems)
    assert outcome.report is not None and outcome.report.visits[0].people == 5


def test_a_blank_looking_character_is_shown_where_a_rejected_value_is_quoted(tmp_path):
    """The braille blank is no zero-width character (it is kept), but `5⠀` must not look right."""
    book = write_workbook(tmp_path / "b.xlsx", visits=[{**VISITS[0], "人數": "5\u2800"}])
    outcome = load([book])
    assert flat(outcome) == [("訪賓", "E2", "bad-number")]
    assert outcome.problems[0].found == "5〈U+2800〉"


@pytest.mark.parametrize("typed", [ZWSP, "_x200B_", BOM])
def test_an_optional_cell_holding_only_an_invisible_character_is_blank_with_the_warning_alone(tmp_path, typed):
    """Once the character is removed nothing is left (SPEC §4): an optional date or choice takes its
    default, never `不是有效的日期` or `值不在選項中` quoting the invisible character."""
    book = write_workbook(tmp_path / "z.xlsx", activities=[{**ACTIVITIES[0], "結束日期": typed}],
                          visits=[{**VISITS[0], "形式": typed, "主要訪團": "是", "國家或地區": typed},
                                  {**VISITS[0], "日期": "110/9/11", "主要訪團": typed}])
    outcome = load([book])
    assert flat(outcome, "sheet", "cell", "code", "severity") == [
        ("活動", "D2", "invisible-chars", "警告"), ("訪賓", "B2", "invisible-chars", "警告"),
        ("訪賓", "F2", "invisible-chars", "警告"), ("訪賓", "G3", "invisible-chars", "警告")]
    assert outcome.report.activities[0].end is None
    first, second = outcome.report.visits
    assert (first.video, first.key, second.key) == (False, True, False)  # 實體 and 否: the defaults
    assert chapter(outcome)[-1] == "日本京都市門川大作市長等。"


@pytest.mark.parametrize("typed", [ZWSP, "_x200B_"])
def test_a_required_cell_holding_only_an_invisible_character_is_a_required_value_missing(tmp_path, typed):
    book = write_workbook(tmp_path / "z.xlsx", visits=[{**VISITS[0], "人數": typed}])
    outcome = load([book])
    assert flat(outcome, "sheet", "cell", "code", "severity") == [
        ("訪賓", "E2", "invisible-chars", "警告"), ("訪賓", "E2", "required", "錯誤")]
    assert "須為 1 到 9999" not in outcome.problems[1].message


def test_an_invisible_character_in_a_row_of_dropdown_defaults_is_named(tmp_path):
    book = write_workbook(tmp_path / "d.xlsx", activities=[ACTIVITIES[0], {"列入報告": f"是{ZWSP}"}])
    outcome = load([book])
    assert flat(outcome, "sheet", "cell", "code", "severity") == [("活動", "F3", "invisible-chars", "警告")]
    assert len(outcome.report.activities) == 1


# --- rows that hold no data ---------------------------------------------------------------------------

def test_dropdown_defaults_dragged_down_the_sheet_are_empty_rows(tmp_path):
    path = write_workbook(tmp_path / "d.xlsx")
    book = load_workbook(path)
    for row in range(16, 41):
        book["活動"].cell(row, 6, "是")  # 列入報告
    for row in range(18, 31):
        book["訪賓"].cell(row, 6, "實體")  # 形式
        book["訪賓"].cell(row, 7, "否")  # 主要訪團
        book["訪賓"].cell(row, 8, "備註而已")  # 備註
    book.save(path)
    outcome = load([path])
    assert flat(outcome) == []
    assert (outcome.report.stats.cases, len(outcome.report.activities)) == (1, 1)


def test_a_non_default_choice_alone_is_still_a_row(tmp_path):
    path = write_workbook(tmp_path / "d.xlsx", visits=[*VISITS, {"主要訪團": "是"}])
    assert [code for _, _, code in flat(load([path]))] == ["required"] * 4


# --- sheets holding only their header ----------------------------------------------------------------

def test_a_second_workbook_with_header_only_settings_and_sections_is_not_a_conflict(tmp_path):
    write_workbook(tmp_path / "a.xlsx")
    write_workbook(tmp_path / "b.xlsx", settings={}, sections=[],
                   activities=[{**ACTIVITIES[0], "標題": "同事的活動"}], visits=[])
    outcome = load([tmp_path])
    assert flat(outcome) == []
    assert [a.title for a in outcome.report.activities] == ["視訊會議", "同事的活動"]


def test_a_sheet_missing_from_every_workbook_names_them_all(tmp_path):
    a = write_workbook(tmp_path / "a.xlsx", settings=None)
    b = write_workbook(tmp_path / "b.xlsx", settings=None, sections=None, activities=[], visits=[])
    [missing] = [p for p in load([a, b]).problems if p.code == "missing-sheet"]
    assert (missing.location.file, missing.location.sheet) == ("a.xlsx、b.xlsx", "報告設定")


# --- the 訪賓 section: exactly one when there are visits ----------------------------------------------

def test_visits_without_a_visit_section_are_an_error_at_the_first_visit(tmp_path):
    sections = [SECTIONS[0], {**SECTIONS[1], "類型": "文字"}]
    outcome = load([write_workbook(tmp_path / "v.xlsx", sections=sections)])
    assert flat(outcome, "sheet", "cell", "code", "severity") == [
        ("訪賓", "A2", "missing-section-type", "錯誤")]


def test_two_visit_sections_are_an_error_naming_both_rows(tmp_path):
    sections = [*SECTIONS, {"節次": 3, "節名": "又一節", "類型": "訪賓"}]
    outcome = load([write_workbook(tmp_path / "v.xlsx", sections=sections)])
    assert flat(outcome) == [("章節", "C4", "repeated-section-type")]
    assert "第 3 列、第 4 列" in outcome.problems[0].message


def test_two_visit_sections_without_any_visit_are_only_sections_with_nothing_to_print(tmp_path):
    outcome = load([write_workbook(tmp_path / "v.xlsx", visits=[], sections=[
        *SECTIONS, {"節次": 3, "節名": "外賓", "類型": "訪賓", "前言": "計{{ 案數 }}案。"}])])
    assert [code for _sheet, _cell, code in flat(outcome)].count("repeated-section-type") == 0
    assert outcome.report is not None


def test_a_visit_section_without_visits_warns_and_never_ends_on_a_colon(tmp_path):
    """One warning at the section's row says both: nothing to print, and the intro cut from its
    前言 (SPEC §3: the intro is dropped with a warning)."""
    outcome = load([write_workbook(tmp_path / "v.xlsx", visits=[])])
    assert flat(outcome, "sheet", "cell", "code", "severity") == [("章節", "A3", "empty-section", "警告")]
    assert outcome.problems[0].message == "節次 2「訪賓」沒有任何訪賓；前言最後一句「主要訪團為：」因此不印出。"
    text = chapter(outcome)
    assert text[-2:] == ["二、訪賓", "7月至12月計0案、0人。"]
    assert not any(line.endswith("：") for line in text)


def test_visits_without_key_visitors_drop_the_list_intro_with_a_warning(tmp_path):
    outcome = load([write_workbook(tmp_path / "v.xlsx", visits=[{**VISITS[0], "主要訪團": "否"}])])
    assert flat(outcome) == [("章節", "D3", "dangling-intro")]
    assert "主要訪團為：" in outcome.problems[0].message
    assert chapter(outcome)[-1] == "7月至12月計1案、5人。"


def test_a_title_ending_with_a_colon_and_nothing_after_it_loses_the_colon_with_a_warning(tmp_path):
    """SPEC §3: no paragraph ends with `：` followed by nothing; a title introducing a 內容 that is
    blank, or whose only sentence was cut, would."""
    outcome = load([write_workbook(tmp_path / "t.xlsx", activities=[
        {**ACTIVITIES[0], "標題": "會議如下：", "內容": "議程如下："},
        {**ACTIVITIES[0], "標題": "參訪：", "開始日期": "110/9/9", "內容": "參訪市政府。"}])])
    assert sorted(flat(outcome)) == [("活動", "B2", "dangling-title"), ("活動", "E2", "dangling-content")]
    assert "「會議如下：」" in next(p.message for p in outcome.problems if p.code == "dangling-title")
    text = chapter(outcome)
    assert text[2:6] == ["(一) 會議如下", "(二) 參訪：", "參訪市政府。", "二、訪賓"]


@pytest.mark.parametrize(("kind", "preface", "nothing"), [
    ("文字", None, "沒有前言"), ("活動", "本節前言。", "沒有任何活動")])
def test_any_section_with_nothing_to_print_is_a_warning_at_its_row(tmp_path, kind, preface, nothing):
    sections = [*SECTIONS, {"節次": 3, "節名": "空的", "類型": kind, "前言": preface}]
    outcome = load([write_workbook(tmp_path / "s.xlsx", sections=sections)])
    assert flat(outcome, "sheet", "cell", "code", "severity") == [("章節", "A4", "empty-section", "警告")]
    assert nothing in outcome.problems[0].message


# --- formulas, merges, hidden rows ------------------------------------------------------------------

def _with_error_value(path: Path, ref: str, formula: str, value: str) -> Path:
    """Replace one cell by a formula with a saved error value, as Excel writes it."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = "xl/worksheets/sheet4.xml"  # 訪賓
    xml = parts[sheet].decode()
    xml = re.sub(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)', f'<c r="{ref}" t="e"><f>{formula}</f><v>{value}</v></c>', xml)
    parts[sheet] = xml.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize("value", ["#DIV/0!", "#REF!", "#N/A"])
def test_a_formula_whose_saved_value_is_an_error_is_reported_with_it(tmp_path, value):
    path = _with_error_value(write_workbook(tmp_path / "f.xlsx"), "E2", "1/0", value)
    outcome = load([path])
    assert flat(outcome) == [("訪賓", "E2", "formula-error")]
    assert value in outcome.problems[0].message and "必須填寫" not in outcome.problems[0].message


def test_data_cells_merged_down_a_column_are_one_error_explaining_the_merge(tmp_path):
    path = write_workbook(tmp_path / "m.xlsx", activities=[
        {**ACTIVITIES[0], "標題": f"第{n}項"} for n in range(1, 5)])
    book = load_workbook(path)
    book["活動"].merge_cells("A2:A5")
    book.save(path)
    outcome = load([path])
    assert flat(outcome) == [("活動", "A2", "merged-cells")]
    assert "A2:A5" in outcome.problems[0].message and "第一格" in outcome.problems[0].message


def test_hidden_and_filtered_rows_are_read_and_printed_with_a_warning(tmp_path):
    path = write_workbook(tmp_path / "h.xlsx", activities=[
        {**ACTIVITIES[0], "標題": f"第{n}項"} for n in range(1, 5)])
    book = load_workbook(path)
    sheet = book["活動"]
    sheet.auto_filter.ref = "A1:G5"
    for row in (3, 4):
        sheet.row_dimensions[row].hidden = True
    book.save(path)
    outcome = load([path])
    assert flat(outcome, "sheet", "cell", "code", "severity") == [("活動", "A3", "hidden-rows", "警告")]
    assert "3–4" in outcome.problems[0].message
    assert [a.title for a in outcome.report.activities] == ["第1項", "第2項", "第3項", "第4項"]


def test_a_hidden_row_marked_not_to_be_reported_is_no_hidden_row_warning(tmp_path):
    """Staff hide the rows they cancelled (列入報告 否): those are left out anyway, so the warning,
    which says hidden rows are printed, names only the hidden rows that will print."""
    path = write_workbook(tmp_path / "h.xlsx", activities=[
        {**ACTIVITIES[0], "標題": "第1項"}, {**ACTIVITIES[0], "標題": "取消", "列入報告": "否"},
        {**ACTIVITIES[0], "標題": "第3項"}])
    book = load_workbook(path)
    book["活動"].row_dimensions[3].hidden = True
    book.save(path)
    outcome = load([path])
    assert flat(outcome, "code") == []
    book["活動"].row_dimensions[4].hidden = True
    book.save(path)
    outcome = load([path])
    assert flat(outcome, "cell", "code") == [("A4", "hidden-rows")]
    assert "3" not in outcome.problems[0].message.split("第")[1].split("列")[0]


def test_hidden_rows_of_the_settings_sheet_are_named_too(tmp_path):
    path = write_workbook(tmp_path / "h.xlsx", settings={**SETTINGS, "前言": "本章前言。"})
    book = load_workbook(path)
    book["報告設定"].row_dimensions[6].hidden = True
    book.save(path)
    outcome = load([path])
    assert flat(outcome, "sheet", "cell", "code", "severity") == [("報告設定", "A6", "hidden-rows", "警告")]
    assert chapter(outcome)[1] == "本章前言。"


def test_notes_cells_merged_down_a_column_are_no_error(tmp_path):
    """備註 is not read (SPEC §2), so a merge there is nobody's concern; a data cell's merge is."""
    path = write_workbook(tmp_path / "m.xlsx", activities=[
        {**ACTIVITIES[0], "標題": f"第{n}項", "備註": "同一來源" if n == 1 else None} for n in (1, 2)])
    book = load_workbook(path)
    book["活動"].merge_cells("G2:G3")
    book.save(path)
    outcome = load([path])
    assert flat(outcome) == []
    assert [a.title for a in outcome.report.activities] == ["第1項", "第2項"]


def test_two_notes_columns_are_both_notes_and_nothing_is_said(tmp_path):
    head = ["節次", "標題", "開始日期", "結束日期", "內容", "列入報告", "備註", "備註(2)"]
    path = write_workbook(tmp_path / "n.xlsx", headers={"活動": head},
                          activities=[{**ACTIVITIES[0], "備註": "甲", "備註(2)": "乙"}])
    assert flat(load([path])) == []


# --- settings and order ---------------------------------------------------------------------------

@pytest.mark.parametrize("spelling", ["全型", "全形"])
def test_parentheses_setting_accepts_both_spellings(tmp_path, spelling):
    book = write_workbook(tmp_path / "p.xlsx", settings={**SETTINGS, "括號": spelling},
                          activities=[{**ACTIVITIES[0], "內容": "會議(視訊)。"}])
    outcome = load([book])
    assert flat(outcome) == [] and outcome.report.settings.parens == "全形"
    assert "會議（視訊）。" in chapter(outcome)


def test_ties_keep_the_order_inputs_were_given_then_rows(tmp_path):
    rows = [{**ACTIVITIES[0], "標題": t, "內容": "同一天。"} for t in ("乙1", "乙2")]
    a = write_workbook(tmp_path / "a.xlsx", activities=[{**ACTIVITIES[0], "標題": "甲", "內容": "同一天。"}])
    b = write_workbook(tmp_path / "b.xlsx", settings=None, sections=None, visits=None, activities=rows)
    assert [x.title for x in load([b, a]).report.activities] == ["乙1", "乙2", "甲"]
    assert [x.title for x in load([a, b]).report.activities] == ["甲", "乙1", "乙2"]
    assert [x.title for x in load([tmp_path]).report.activities] == ["甲", "乙1", "乙2"]  # name order


# --- tabs (issue 10) ------------------------------------------------------------------------------

def test_two_tabs_that_are_the_same_sheet_are_an_error_naming_both(tmp_path):
    path = write_workbook(tmp_path / "t.xlsx")
    book = load_workbook(path)
    extra = book.create_sheet("活動 ")
    extra.append(["節次", "標題", "開始日期", "內容"])
    extra.append([1, "第二個分頁的活動", "110/9/9", "內容。"])
    book.save(path)
    outcome = load([path])
    assert flat(outcome, "sheet", "code", "severity") == [("活動", "duplicate-sheet", "錯誤")]
    assert "「活動」" in outcome.problems[0].message and "「活動 」" in outcome.problems[0].message


def test_a_sheet_reportgen_does_not_read_never_blocks_the_build(tmp_path):
    path = write_workbook(tmp_path / "x.xlsx")
    book = load_workbook(path)
    book.create_sheet("範例說明")["XFD1048576"] = "遠方的一格"
    book.save(path)
    outcome = load([path])
    assert flat(outcome) == [] and outcome.report is not None


def test_a_far_cell_in_a_read_sheet_names_the_tab(tmp_path, cli):
    path = write_workbook(tmp_path / "x.xlsx")
    book = load_workbook(path)
    book["活動"]["XFD1048576"] = "遠方的一格"
    book.save(path)
    result = cli("validate", path)
    assert result.code == 2
    assert "工作表「活動」的使用範圍過大" in result.err and "xl/" not in result.err


def test_a_validation_report_among_the_inputs_is_skipped_with_a_warning(tmp_path, cli):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    write_workbook(inputs / "a.xlsx")
    written = tmp_path / "檢核報告.xlsx"
    assert cli("validate", inputs / "a.xlsx", "--report", written).code == 0
    written.rename(inputs / "檢核報告.xlsx")  # saved into the input folder by hand
    outcome = load([inputs])
    assert flat(outcome, "file", "code") == [("檢核報告.xlsx", "report-workbook")]
    assert outcome.problems[0].severity is Severity.WARNING
    assert outcome.report is not None and len(outcome.report.activities) == 1


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_calc_saved_merges_filters_and_formula_errors_are_reported(tmp_path):
    """The same three cases in the file shape LibreOffice Calc writes (it computes =1/0 on saving)."""
    source = write_workbook(tmp_path / "in.xlsx", visits=[{**VISITS[0], "人數": "=1/0"}],
                            activities=[{**ACTIVITIES[0], "標題": f"第{n}項"} for n in range(1, 5)])
    book = load_workbook(source)
    sheet = book["活動"]
    sheet.merge_cells("A2:A5")
    sheet.auto_filter.ref = "A1:G5"
    sheet.row_dimensions[3].hidden = True
    book.save(source)
    out = tmp_path / "calc"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path / 'profile'}",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(source)],
                   check=True, capture_output=True, timeout=180)
    outcome = load([out / "in.xlsx"])
    assert flat(outcome, "sheet", "cell", "code", "severity") == [
        ("活動", "A2", "merged-cells", "錯誤"), ("活動", "A3", "hidden-rows", "警告"),
        ("訪賓", "E2", "formula-error", "錯誤")]
    assert "#DIV/0!" in outcome.problems.sorted()[-1].message


def test_an_invisible_character_in_a_header_or_tab_name_still_names_it(tmp_path):
    path = write_workbook(tmp_path / "h.xlsx")
    book = load_workbook(path)
    book["訪賓"]["E1"] = f"人數{ZWSP}"
    book["章節"].title = f"章節{BOM}"
    book.save(path)
    outcome = load([path])
    # the header is read; what was removed from it is said, as for any cell (SPEC §4)
    assert flat(outcome) == [("訪賓", "E1", "invisible-chars")] and outcome.report.stats.people == 5


def test_a_logical_or_timed_cell_in_a_text_column_prints_as_the_spreadsheet_shows_it(tmp_path):
    """No English True/False and no ISO timestamp in a Chinese chapter: TRUE as Excel and Calc show a
    logical cell, and a date with a time of day as a ROC date with its time."""
    import datetime as dt

    book = write_workbook(tmp_path / "b.xlsx",
                          activities=[{**ACTIVITIES[0], "內容": dt.datetime(2021, 9, 8, 10, 30)}],
                          visits=[{**VISITS[0], "代表": True}])
    text = chapter(load([book]))
    assert "110年9月8日 10:30" in text
    assert text[-1] == "日本京都市TRUE(視訊)等。"


def test_two_visit_sections_are_named_even_beside_a_section_of_unknown_type(tmp_path):
    """A 章節 row whose 類型 is wrong may have been meant as 訪賓, so "no 訪賓 section" waits for it;
    two valid 訪賓 sections are wrong whatever it was meant to be (SPEC §4: every problem reported)."""
    outcome = load([write_workbook(tmp_path / "v.xlsx", sections=[
        *SECTIONS, {"節次": 3, "節名": "外賓", "類型": "訪賓"}, {"節次": 4, "節名": "怪", "類型": "表格"}])])
    assert sorted(code for _sheet, _cell, code in flat(outcome)) == ["bad-choice", "repeated-section-type"]
