"""The bad-input corpus: each workbook holds one defect and must raise exactly its problems."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from helpers import ACTIVITIES, SETTINGS, VISITS, write_workbook
from reportgen import load
from reportgen.read.reader import read_grids

CORPUS = Path(__file__).resolve().parent / "corpus"
TABLE: dict[str, dict] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


def found(problems) -> list[list[str]]:
    """(file, sheet!cell or sheet, code), the form the expected table is written in."""
    return sorted([file, f"{sheet}!{cell}" if cell else sheet, code]
                  for file, sheet, cell, code in problems.flatten())


@pytest.mark.parametrize("name", sorted(TABLE))
def test_corpus_case_raises_exactly_its_problems(name):
    case = TABLE[name]
    outcome = load([CORPUS / case["input"]])
    assert found(outcome.problems) == case["problems"]
    assert outcome.skipped == case["skipped"]
    has_errors = any(outcome.problems.errors)
    assert (outcome.report is None) == has_errors


def test_corpus_is_complete_and_listed():
    inputs = {p.name for p in CORPUS.iterdir() if p.suffix == ".xlsx" or p.is_dir()} - {"__pycache__"}
    assert inputs == {case["input"] for case in TABLE.values()}
    assert len(TABLE) >= 25
    assert sum(1 for case in TABLE.values() if not case["problems"]) < len(TABLE) // 3


def test_problems_come_sorted_by_file_sheet_and_row(tmp_path):
    """File by name; sheets in workbook order (not by name); rows by number, 10 after 9."""
    rows = [{"節次": 1, "標題": f"t{n}", "開始日期": "110/9/8", "內容": "x"} for n in range(2, 10)]
    rows[0]["開始日期"] = "y"
    write_workbook(tmp_path / "b.xlsx", settings=None, sections=None, visits=None,
                   activities=[*rows, {"節次": 1, "標題": "bad", "開始日期": "x", "內容": "x"}])
    write_workbook(tmp_path / "a.xlsx", activities=[
        {"節次": 1, "標題": "x", "開始日期": "110/13/1", "內容": "x"}], visits=[
        {"日期": "110/9/10", "單位": "甲", "代表": "乙", "人數": 0}], sections=[
        {"節次": 1, "節名": "交流專案", "類型": "活動"}, {"節次": 2, "節名": "", "類型": "訪賓"}])
    outcome = load([tmp_path])
    assert [(p.location.file, f"{p.location.sheet}!{p.location.cell}") for p in outcome.problems.sorted()] == [
        ("a.xlsx", "章節!B3"), ("a.xlsx", "活動!C2"), ("a.xlsx", "訪賓!E2"), ("b.xlsx", "活動!C2"),
        ("b.xlsx", "活動!C10")]


def test_lowercase_and_uppercase_escapes_are_decoded_once():
    case = TABLE["escapes_lowercase"]
    xml = zipfile.ZipFile(CORPUS / case["input"]).read("xl/worksheets/sheet3.xml")
    assert b"_x000b__x000b_" in xml and b"_x000B_" in xml  # the file really holds both spellings
    activity = load([CORPUS / case["input"]]).report.activities[0]
    assert activity.title == case["title"]
    assert list(activity.paragraphs) == case["paragraphs"]
    assert not any("_x" in text for text in (activity.title, *activity.paragraphs))


def test_a_formula_uses_its_saved_value():
    case = TABLE["formula_with_saved_value"]
    assert load([CORPUS / case["input"]]).report.visits[0].people == case["people"]


def test_formatted_blank_rows_are_not_read():
    # 10,000 filled but empty rows: the reader must not even see them, so their cost is nil.
    path = CORPUS / TABLE["formatted_blank_rows"]["input"]
    assert b"<row r=\"10002\"" in zipfile.ZipFile(path).read("xl/worksheets/sheet3.xml")
    grids = dict(read_grids(path))
    assert len(grids["活動"]) == 2


def test_hidden_sheet_data_is_still_read():
    outcome = load([CORPUS / TABLE["hidden_data_sheet"]["input"]])
    assert outcome.report is not None and outcome.report.stats.cases == 1


def test_merged_header_message_names_the_merged_cells():
    outcome = load([CORPUS / TABLE["merged_header"]["input"]])
    missing = next(p for p in outcome.problems if p.code == "missing-column")
    assert missing.location.header == "開始日期"
    assert "B1:C1" in missing.message and "合併儲存格" in missing.message


def test_every_problem_is_found_in_one_run(tmp_path):
    # A broken setting must not hide the problems of the other sheets.
    path = write_workbook(
        tmp_path / "many.xlsx",
        settings={k: v for k, v in SETTINGS.items() if k != "章次"},
        activities=[{**ACTIVITIES[0], "開始日期": "111/1/5", "內容": "舉行。"},
                    {**ACTIVITIES[0], "標題": "二", "結束日期": "110/9/1"}],
        visits=[{**VISITS[0], "人數": 0}, {**VISITS[0], "單位": "美國", "形式": "飛鴿"}])
    assert found(load([path]).problems) == [
        ["many.xlsx", "報告設定", "missing-setting"],
        ["many.xlsx", "活動!C2", "outside-period"],
        ["many.xlsx", "活動!D3", "end-before-start"],
        ["many.xlsx", "訪賓!E2", "bad-number"],
        ["many.xlsx", "訪賓!F3", "bad-choice"],
    ]
