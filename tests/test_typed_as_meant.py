"""What staff typed is read as they meant it, or a message says why not (issue 19, SPEC §4/§5).

One test per general rule: counts, Calc's year-110 date cells, placeholders with single braces,
a 前言 naming an old period, a 代表 list already written out, wrapped lines next to CJK text,
and the sentence left when an intro with nothing to introduce is cut.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from helpers import ACTIVITIES, SECTIONS, SETTINGS, VISITS, write_workbook
from reportgen import api
from reportgen.normalize import clean_line, clean_prose


def _load(path: Path):
    outcome = api.load([path])
    return outcome, (api.preview_text(outcome) if outcome.report is not None else "")


# --- counts ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "people"), [("1,000", 1000), ("1，000", 1000), ("２，３４５", 2345), ("12", 12)])
def test_counts_with_thousands_separators_in_groups_of_three(tmp_path, typed, people):
    outcome, _ = _load(write_workbook(tmp_path / "a.xlsx", visits=[{**VISITS[0], "人數": typed}]))
    assert outcome.problems.flatten() == []
    assert outcome.report.stats.people == people


@pytest.mark.parametrize("typed", ["2,3", "1,5", "1,00", "12,3456", ",5", "1,000,"])
def test_a_comma_not_grouping_threes_is_an_error_quoting_it(tmp_path, typed):
    outcome, _ = _load(write_workbook(tmp_path / "a.xlsx", visits=[{**VISITS[0], "人數": typed}]))
    [problem] = outcome.problems
    assert (problem.code, problem.location.cell, problem.found) == ("bad-number", "E2", typed)
    assert "逗號只能用作千分位" in problem.message


# --- Calc's year-110 date cells -------------------------------------------------------------------

def test_a_calc_date_cell_of_the_year_110_is_read_as_typed_with_a_warning(tmp_path):
    # Calc writes 110/9/8 AD into an .xlsx as the serial -653532 (days before 1899-12-30).
    path = write_workbook(tmp_path / "a.xlsx", activities=[{**ACTIVITIES[0], "開始日期": -653532}],
                          visits=[{**VISITS[0], "日期": dt.datetime(110, 9, 10)}])
    outcome, text = _load(path)
    shown = outcome.problems.sorted()  # as every front end lists them: by sheet, row, column
    assert [(p.code, p.location.sheet, p.location.cell) for p in shown] == [
        ("western-year-date", "活動", "C2"), ("western-year-date", "訪賓", "A2")]
    first = shown[0].render()
    assert "「110/9/8」" in first and "民國 110年9月8日" in first and "格式設為「文字」" in first
    assert "00:00:00" not in first
    assert "(一) 視訊會議" in text
    assert outcome.report.visits[0].date == dt.date(2021, 9, 10)


@pytest.mark.parametrize(("cell", "quoted"), [
    (-652993, "112/2/29"),  # Calc's 112/2/29 AD saved in an .xlsx: 112 is leap, ROC 112 (2023) is not
    (dt.datetime(1905, 1, 1), "1905/1/1"), (dt.datetime(1911, 12, 31), "1911/12/31"),
    (dt.datetime(3000, 1, 1), "3000/1/1")])
def test_an_impossible_date_cell_is_quoted_as_the_spreadsheet_shows_it(tmp_path, cell, quoted):
    outcome, _ = _load(write_workbook(tmp_path / "a.xlsx", visits=[{**VISITS[0], "日期": cell}]))
    [problem] = outcome.problems
    assert (problem.code, problem.location.cell, problem.found) == ("bad-date", "A2", quoted)
    assert f"「{quoted}」" in problem.render()


# --- 前言 templates -------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "fixed"), [("{期間}", "{{ 期間 }}"), ("｛案數｝", "{{ 案數 }}"),
                                              ("{ 人數 }", "{{ 人數 }}")])
def test_a_placeholder_with_single_braces_is_a_warning_showing_the_double_form(tmp_path, typed, fixed):
    sections = [SECTIONS[0], {**SECTIONS[1], "前言": f"本府{typed}接待訪賓。主要訪團為："}]
    outcome, text = _load(write_workbook(tmp_path / "a.xlsx", sections=sections))
    [problem] = outcome.problems
    assert (problem.code, problem.location.sheet, problem.location.cell) == ("single-brace", "章節", "D3")
    assert f"「{typed}」只有一層大括號" in problem.message and fixed in problem.fix
    assert typed in text  # printed as typed: nothing is guessed


@pytest.mark.parametrize(("typed", "fixed"), [("{期間}}", "{{ 期間 }}"), ("｛案數｝｝", "{{ 案數 }}"),
                                              ("{{ 人數 }", "{{ 人數 }}"), ("{{期間}", "{{ 期間 }}"),
                                              ("{{ 期間 }}}", "{{ 期間 }}")])
def test_a_placeholder_with_unpaired_braces_is_a_warning_showing_the_double_brace_form(tmp_path, typed, fixed):
    sections = [SECTIONS[0], {**SECTIONS[1], "前言": f"本府{typed}接待訪賓。主要訪團為："}]
    outcome, _ = _load(write_workbook(tmp_path / "a.xlsx", sections=sections))
    [warning] = [p for p in outcome.problems if p.code == "unpaired-brace"]
    assert (warning.location.sheet, warning.location.cell, warning.severity.value) == ("章節", "D3", "警告")
    assert f"「{typed}」" in warning.message and fixed in warning.fix
    # `{{期間}` is also Jinja's syntax error; `{期間}}` prints as typed, with the warning alone
    assert {p.code for p in outcome.problems} - {"unpaired-brace"} <= {"bad-template"}


@pytest.mark.parametrize("typed", ["本府110年7月至12月計{{ 案數 }}案。主要訪團為：",
                                   "本府110年7至12月計{{ 案數 }}案。主要訪團為：",
                                   "2021年7月起計{{ 案數 }}案。主要訪團為："])
def test_a_preface_naming_a_month_outside_the_period_is_a_warning(tmp_path, typed):
    settings = {**SETTINGS, "期間起": "111/1/1", "期間迄": "111/6/30"}
    visits = [{**VISITS[0], "日期": "111/3/10"}]
    sections = [{**SECTIONS[1], "節次": 1, "前言": typed}]
    outcome, _ = _load(write_workbook(tmp_path / "a.xlsx", settings=settings, sections=sections,
                                      activities=[], visits=visits))
    [problem] = [p for p in outcome.problems if p.code == "preface-outside-period"]
    assert problem.location.cell == "D2" and "111年1月至6月" in problem.message
    assert "{{ 期間 }}" in problem.fix and "{{ 期間全稱 }}" in problem.fix


def test_a_preface_naming_the_period_itself_is_not_warned_about(tmp_path):
    sections = [SECTIONS[0], {**SECTIONS[1], "前言": "本府110年7月至12月計{{ 案數 }}案。主要訪團為："}]
    outcome, _ = _load(write_workbook(tmp_path / "a.xlsx", sections=sections))
    assert outcome.problems.flatten() == []


# --- 代表 -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "printed"), [
    ("甲市長、乙副市長及丙局長", "甲市長、乙副市長及丙局長"),  # already a list: as typed
    ("甲市長\n乙副市長及丙局長", "甲市長、乙副市長及丙局長"),
    ("甲市長、乙副市長與丙局長", "甲市長、乙副市長與丙局長"),
    ("甲市長、乙副市長、丙局長", "甲市長、乙副市長及丙局長"),  # a list to join
    ("甲市長\n乙副市長", "甲市長及乙副市長"),
    ("甲市長及乙副市長、丙局長", "甲市長及乙副市長、丙局長"),  # the first item carries the 及
    ("甲市長及乙副市長、\n丙局長", "甲市長及乙副市長、丙局長"),  # a typed list wrapped: kept
    ("甲市長及乙副市長\n丙局長", "甲市長及乙副市長、丙局長"),  # 及 after a title: two people
    ("甲市長\n經濟及能源部乙部長", "甲市長及經濟及能源部乙部長"),  # one a line: 及 inside a name
    ("經濟及能源部甲部長\n乙市長\n丙局長", "經濟及能源部甲部長、乙市長及丙局長"),
    ("甲市長\n衛生福利部乙部長與丙大使", "甲市長、衛生福利部乙部長與丙大使"),
    # an organisation holding 及 beside a 、: names to join (the example's own organisations)
    ("聖文森及格瑞那丁龔薩福總理、甲部長", "聖文森及格瑞那丁龔薩福總理及甲部長"),
    ("馬來西亞友誼及貿易中心何瑞萍代表、王大明副代表", "馬來西亞友誼及貿易中心何瑞萍代表及王大明副代表"),
    # titles and Latin names a 及 follows: two people, as typed
    ("甲市長\n乙總監及丙經理", "甲市長、乙總監及丙經理"),
    ("甲市長\n乙創辦人及丙負責人", "甲市長、乙創辦人及丙負責人"),
    ("Mr. John Smith及Ms. Jane Doe\n甲市長", "Mr. John Smith及Ms. Jane Doe、甲市長"),
])
def test_a_representatives_cell_already_written_as_a_list_prints_as_typed(tmp_path, typed, printed):
    outcome, text = _load(write_workbook(tmp_path / "a.xlsx", visits=[{**VISITS[0], "代表": typed}]))
    assert outcome.problems.flatten() == []
    assert f"日本京都市{printed}(視訊)等。" in text


# --- wrapped lines --------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "joined"), [
    ("110年12月22\n日", "110年12月22日"), ("2021\n「亞太", "2021「亞太"), ("計1\n萬劑", "計1萬劑"),
    ("日本\n交流", "日本交流"), ("Smart\nCity", "Smart City"), ("2021\n2022", "2021 2022"),
    ("會議，\nSmart", "會議，Smart"), ("Forum \n 會議", "Forum會議"),
])
def test_a_line_break_next_to_cjk_leaves_no_space(typed, joined):
    assert clean_prose(typed).text == joined
    assert clean_line(typed).text == joined


def test_a_wrapped_date_in_content_prints_whole(tmp_path):
    path = write_workbook(tmp_path / "a.xlsx", activities=[{**ACTIVITIES[0], "內容": "110年9月\n8日舉行視訊會議。"}])
    outcome, text = _load(path)
    assert outcome.problems.flatten() == []
    assert "110年9月8日舉行視訊會議。" in text.splitlines()


# --- a cut intro ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("preface", "kept"), [
    ("{{ 期間 }}計{{ 案數 }}案；主要訪團代表為：", "7月至12月計1案。"),
    ("{{ 期間 }}計{{ 案數 }}案，主要訪團代表為：", "7月至12月計1案。"),  # SPEC: a trailing ， is replaced
    ("主要訪團代表為：", ""),  # the intro alone: cut whole, the section is empty
    ("{{ 期間 }}計{{ 案數 }}案。主要訪團代表為：", "7月至12月計1案。"),
])
def test_cutting_a_dangling_intro_leaves_a_sentence_ending_with_a_full_stop(tmp_path, preface, kept):
    sections = [SECTIONS[0], {**SECTIONS[1], "前言": preface}]
    visits = [{**VISITS[0], "主要訪團": "否"}]
    outcome, text = _load(write_workbook(tmp_path / "a.xlsx", sections=sections, visits=visits))
    lines = text.splitlines()
    if not kept:  # nothing of the 前言 is left but its title: the empty section says so
        assert [p.code for p in outcome.problems] == ["dangling-intro", "empty-section"]
        assert lines[-1] == "二、訪賓"
    else:
        assert [p.code for p in outcome.problems] == ["dangling-intro"] and lines[-1] == kept
