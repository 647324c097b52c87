"""SPEC §2: "A sheet holding only its header row counts as absent" — whatever headers it has.

A header row lacking a required header is an error only when the sheet holds data; an empty tab,
or one holding only its header row, is treated as the deleted tab would be (acceptance review).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from helpers import ACTIVITIES, HEADERS, REPO, SECTIONS, run_cli, write_workbook
from reportgen import api

TEMPLATE = REPO / "templates" / "report.docx"
NO_CONTENT = [h for h in HEADERS["活動"] if h != "內容"]
VISITS_ONLY = [SECTIONS[1]]  # a chapter without an 活動 section: the 活動 tab may be deleted


def _codes(outcome) -> list[tuple[str, str, str, str]]:
    return outcome.problems.flatten(("sheet", "cell", "header", "code"))


def _empty_tab(path: Path, tab: str) -> Path:
    """The tab emptied: deleted and added again, holding no cell at all."""
    book = load_workbook(path)
    index = book.sheetnames.index(tab)
    book.remove(book[tab])
    book.create_sheet(tab, index)
    book.save(path)
    return path


def _build(tmp_path: Path, *inputs: Path):
    return run_cli("build", *inputs, "-o", tmp_path / "out.docx", "--template", TEMPLATE)


@pytest.mark.parametrize("shape", ["empty", "header-only without 內容", "header-only without any header"])
def test_an_activities_tab_without_data_builds_as_a_deleted_one_does(tmp_path, shape):
    deleted = write_workbook(tmp_path / "deleted.xlsx", sections=VISITS_ONLY, activities=None)
    assert _build(tmp_path, deleted).code == 0
    if shape == "empty":
        path = _empty_tab(write_workbook(tmp_path / "a.xlsx", sections=VISITS_ONLY), "活動")
    else:
        head = NO_CONTENT if shape == "header-only without 內容" else ["說明", "備註"]
        path = write_workbook(tmp_path / "a.xlsx", sections=VISITS_ONLY, activities=[],
                              headers={**HEADERS, "活動": head})
    assert _codes(api.load([path])) == []
    result = _build(tmp_path, path)
    assert result.code == 0, result.out + result.err


def test_an_activities_section_over_a_header_only_tab_is_empty_not_an_error(tmp_path):
    """As with a complete header row and no rows: the section has nothing to print (a warning)."""
    complete = write_workbook(tmp_path / "complete.xlsx", activities=[])
    path = write_workbook(tmp_path / "a.xlsx", activities=[], headers={**HEADERS, "活動": NO_CONTENT})
    expected = [("章節", "A2", "節次", "empty-section")]
    assert _codes(api.load([complete])) == _codes(api.load([path])) == expected
    assert _codes(api.load([_empty_tab(path, "活動")])) == expected


def test_a_tab_missing_entirely_while_a_section_needs_it_is_still_an_error(tmp_path):
    outcome = api.load([write_workbook(tmp_path / "a.xlsx", activities=None)])
    assert _codes(outcome) == [("活動", "", "", "missing-sheet")]


@pytest.mark.parametrize("rows", [
    ACTIVITIES,  # a data row under the incomplete header
    [{"節次": 1, "標題": "視訊會議", "開始日期": "110/9/8"}],  # the row without its 內容 cell
])
def test_a_required_header_missing_over_data_is_still_an_error(tmp_path, rows):
    path = write_workbook(tmp_path / "a.xlsx", activities=rows, headers={**HEADERS, "活動": NO_CONTENT})
    assert ("活動", "", "內容", "missing-column") in _codes(api.load([path]))


def test_data_under_a_name_not_read_with_a_required_header_missing_is_still_an_error(tmp_path):
    """`說明` may well be the 內容 staff meant (or the header row was deleted): not a header-only sheet."""
    head = [*NO_CONTENT, "說明"]
    path = write_workbook(tmp_path / "a.xlsx", headers={**HEADERS, "活動": head},
                          activities=[{"說明": "110年9月8日舉行視訊會議。"}])
    assert ("活動", "", "內容", "missing-column") in _codes(api.load([path]))
    # notes alone, or a dropdown's default dragged down, are no data (SPEC §2: an empty row)
    for row in ({"備註": "待補"}, {"列入報告": "是"}):
        path = write_workbook(tmp_path / "b.xlsx", headers={**HEADERS, "活動": NO_CONTENT}, activities=[row])
        assert _codes(api.load([path])) == [("章節", "A2", "節次", "empty-section")], row


@pytest.mark.parametrize("sections_header", [HEADERS["章節"], ["節次", "節名"]])
def test_header_only_sheets_of_a_second_workbook_count_as_absent(tmp_path, sections_header):
    """a.xlsx complete; b.xlsx with header-only 報告設定, 章節, 訪賓 and an 活動 lacking 內容: the
    chapter is built from a.xlsx."""
    folder = tmp_path / "in"
    folder.mkdir()
    write_workbook(folder / "a.xlsx")
    write_workbook(folder / "b.xlsx", settings={}, sections=[], visits=[], activities=[],
                   headers={**HEADERS, "章節": sections_header, "活動": NO_CONTENT})
    outcome = api.load([folder])
    assert outcome.problems.flatten() == [] and outcome.report is not None
    assert api.preview_text(outcome) == api.preview_text(api.load([folder / "a.xlsx"]))
    result = _build(tmp_path, folder)
    assert result.code == 0, result.out + result.err


def test_a_sheet_whose_only_row_is_data_is_not_taken_for_a_header_only_sheet(tmp_path):
    """A 訪賓 tab whose header row was deleted, one visit left in row 1: no column it names is read,
    so it is no header row; the visit is never dropped unsaid (SPEC §2: every cell accounted for)."""
    from openpyxl import load_workbook

    path = write_workbook(tmp_path / "a.xlsx")
    book = load_workbook(path)
    book["訪賓"].delete_rows(1)
    book.save(path)
    outcome = api.load([path])
    missing = [p for p in outcome.problems if p.code == "missing-column" and p.location.sheet == "訪賓"]
    assert missing and outcome.report is None


def test_a_title_row_above_the_headers_is_named_in_the_missing_column_errors(tmp_path):
    """A title row above the header row (`111年上半年 外賓來訪紀錄` in row 1, a habit): the errors say
    which row holds the headers and what to delete, not only "add 日期 to row 1"."""
    path = write_workbook(tmp_path / "a.xlsx")
    book = load_workbook(path)
    book["訪賓"].insert_rows(1, 2)
    book["訪賓"]["A1"] = "110年下半年 外賓來訪紀錄"
    book.save(path)
    outcome = api.load([path])
    missing = [p for p in outcome.problems if p.code == "missing-column" and p.location.sheet == "訪賓"]
    assert missing and all("第 3 列看起來才是欄名列" in p.message and "刪除上方的 2 列" in p.message
                           for p in missing)
