"""Acceptance cases written from the product specification alone (SPEC §2–§6).

Each test builds its workbook by hand with openpyxl, using only the sheet and header
names the specification gives, and drives the command line the way a staff member
would. The code is not consulted: when a case fails, either the code or the reading
of the specification is wrong, and the case says which rule it checks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from helpers import EXAMPLE, REPO, is_expected_chapter, run_cli

SETTINGS_ROWS = [("章次", 26), ("章名", "國際事務"), ("期間起", "110/7/1"), ("期間迄", "110/12/31")]
SECTION_HEAD = ["節次", "節名", "類型", "前言"]
ACTIVITY_HEAD = ["節次", "標題", "開始日期", "結束日期", "內容", "列入報告", "備註"]
VISIT_HEAD = ["日期", "國家或地區", "單位", "代表", "人數", "形式", "主要訪團", "備註"]
VISIT_INTRO = "{{ 期間 }}計{{ 案數 }}案、{{ 人數 }}人到訪。主要訪團代表為："
SECTION_ROWS = [[1, "交流專案", "活動", None], [2, "國際訪賓", "訪賓", VISIT_INTRO]]
ACTIVITY_ROWS = [[1, "視訊會議", "110/9/8", None, "110年9月8日舉行視訊會議。", None, None]]
VISIT_ROWS = [["110/9/10", "日本", "日本京都市", "門川大作市長", 5, "視訊", "是", None]]

SECTION_LABEL = re.compile(r"^[一二三四五六七八九十百零]+、")
ITEM_LABEL = re.compile(r"^\([一二三四五六七八九十百零]+\) ")


# --------------------------------------------------------------------------- helpers

def book(path: Path, sheets: dict[str, list[list] | None] | None = None, *,
         settings: list[tuple] | None = None, sections: list[list] | None = None,
         activities: list[list] | None = None, visits: list[list] | None = None,
         omit: tuple[str, ...] = ()) -> Path:
    """A workbook with the four sheets of SPEC §2; `sheets` adds or replaces whole tabs.

    Tabs are given as rows (first row the header), exactly as a tester would type them.
    """
    tabs: dict[str, list[list]] = {
        "報告設定": [["項目", "內容"], *[list(r) for r in (settings or SETTINGS_ROWS)]],
        "章節": [SECTION_HEAD, *(SECTION_ROWS if sections is None else sections)],
        "活動": [ACTIVITY_HEAD, *(ACTIVITY_ROWS if activities is None else activities)],
        "訪賓": [VISIT_HEAD, *(VISIT_ROWS if visits is None else visits)],
    }
    for name in omit:
        tabs.pop(name)
    for name, rows in (sheets or {}).items():
        if rows is None:
            tabs.pop(name, None)
        else:
            tabs[name] = rows
    key = repr(tabs)
    made = _MADE.get(key)
    if made is None:  # the same tabs again (most tests start from the standard book): its bytes
        wb = Workbook()
        wb.remove(wb.active)
        for name, rows in tabs.items():
            ws = wb.create_sheet(name)
            for row in rows:
                ws.append(list(row))
        buffer = io.BytesIO()
        wb.save(buffer)
        made = _MADE[key] = buffer.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(made)
    return path


_MADE: dict[str, bytes] = {}  # book()'s workbooks by their tabs, made once per process


def edit(path: Path, change) -> Path:
    """Open a workbook with openpyxl, let `change(wb)` alter it, save it back."""
    wb = load_workbook(path)
    change(wb)
    wb.save(path)
    return path


def preview(*inputs) -> list[str]:
    """The chapter's paragraphs as `reportgen preview` prints them (must succeed)."""
    result = run_cli("preview", *inputs)
    assert result.code == 0, result.out + result.err
    return [line for line in result.out.splitlines() if line.strip()]


def validate(*args):
    result = run_cli("validate", *args)
    return result, result.out + result.err


def problem_lines(text: str, severity: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(severity)]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def docx_xml(path: Path, part: str = "word/document.xml") -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(part).decode("utf-8")


def docx_paragraphs(path: Path):
    import docx

    return [p for p in docx.Document(str(path)).paragraphs if p.text.strip()]


@pytest.fixture
def here(tmp_path, monkeypatch) -> Path:
    """Run from an empty folder (no inputs/, no templates/)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --------------------------------------------------------------------------- §2 workbook

def test_example_preview_is_the_expected_chapter(here):
    """§1: `reportgen build` must produce expected_chapter.txt from the example workbook."""
    assert is_expected_chapter(preview(EXAMPLE))


def test_example_docx_paragraphs_are_the_expected_chapter(here):
    result = run_cli("build", EXAMPLE, "-o", here / "out.docx")
    assert result.code == 0, result.err
    texts = [p.text for p in docx_paragraphs(here / "out.docx")]
    # The gap after an item label is a Word tab (the hanging indent's tab stop), which text
    # extraction shows as "\t"; the expected text writes it as one space. Only there.
    assert all("\t" not in t or ITEM_LABEL.match(t.replace("\t", " ", 1)) for t in texts)
    assert is_expected_chapter([t.replace("\t", " ") for t in texts])


def test_headers_tolerate_spaces_width_order_and_extra_columns(here):
    """§2: surrounding spaces, full-/half-width forms, free column order, extra columns."""
    path = book(here / "a.xlsx", {
        " 報告設定 ": [["　項目", "內容 "], ["章次 ", 26], [" 章名", "國際事務"],
                     ["期間起", "110/7/1"], ["期間迄", "110/12/31"]],
        "報告設定": None,
        "章節": [["類型", " 節名", "我的筆記", "節次　", "前言"],
                 ["活動", "交流專案", "自己看的", 1, None],
                 ["訪賓", "國際訪賓", "", 2, VISIT_INTRO]],
        "活動": [["內容", "開始日期", "標題 ", "承辦人", "節次"],
                 ["舉行視訊會議。", "110/9/8", "視訊會議", "王小明", 1]],
        "訪賓": [["人數", "代表", "單位", "日期", "主要訪團", "形式", "電話"],
                 [5, "門川大作市長", "日本京都市", "110/9/10", "是", "視訊", "07-1234567"]],
    })
    assert preview(path) == [
        "貳拾陸、國際事務", "一、交流專案", "(一) 視訊會議", "舉行視訊會議。", "二、國際訪賓",
        "7月至12月計1案、5人到訪。主要訪團代表為：", "日本京都市門川大作市長(視訊)等。"]


def test_full_width_letters_in_a_header_match(here):
    """§2: full-/half-width forms — a header typed with a full-width space or letters."""
    path = book(here / "a.xlsx", {
        "訪賓": [["日期", "國家或地區", "單位", "代表", "人數", "形式", "主要訪團", "備註"],
                 ["110/9/10", "日本", "日本京都市", "門川大作市長", "５", "視訊", "是", None]],
        "活動": [["節次", "標題", "開始日期", "結束日期", "內容", "列入報告", "　備註　"],
                 *ACTIVITY_ROWS],
    })
    assert preview(path)[-2] == "7月至12月計1案、5人到訪。主要訪團代表為："


@pytest.mark.parametrize("sheet", ["報告設定", "章節"])
def test_missing_required_sheet_names_file_and_sheet(here, sheet):
    path = book(here / "缺表.xlsx", {sheet: None})
    result, text = validate(path)
    assert result.code == 1
    errors = problem_lines(text, "錯誤")
    assert any("缺表.xlsx" in e and sheet in e for e in errors), text


@pytest.mark.parametrize(("sheet", "header"), [
    ("活動", "標題"), ("活動", "開始日期"), ("活動", "內容"), ("活動", "節次"),
    ("訪賓", "日期"), ("訪賓", "單位"), ("訪賓", "代表"), ("訪賓", "人數"),
    ("章節", "節次"), ("章節", "節名"), ("章節", "類型"),
])
def test_missing_required_column_names_file_sheet_and_header(here, sheet, header):
    heads = {"活動": ACTIVITY_HEAD, "訪賓": VISIT_HEAD, "章節": SECTION_HEAD}[sheet]
    rows = {"活動": ACTIVITY_ROWS, "訪賓": VISIT_ROWS, "章節": SECTION_ROWS}[sheet]
    keep = [i for i, h in enumerate(heads) if h != header]
    path = book(here / "缺欄.xlsx", {sheet: [[heads[i] for i in keep],
                                            *[[r[i] for i in keep] for r in rows]]})
    result, text = validate(path)
    assert result.code == 1, text
    errors = problem_lines(text, "錯誤")
    assert any("缺欄.xlsx" in e and sheet in e and header in e for e in errors), text


@pytest.mark.parametrize("item", ["章次", "章名", "期間起", "期間迄"])
def test_missing_required_setting_is_an_error(here, item):
    settings = [row for row in SETTINGS_ROWS if row[0] != item]
    result, text = validate(book(here / "a.xlsx", settings=settings))
    assert result.code == 1
    assert any(item in e for e in problem_lines(text, "錯誤")), text


def test_empty_rows_are_skipped_and_reading_stops_after_the_last_row(here):
    path = book(here / "a.xlsx", activities=[
        [None] * 7,
        [1, "第一項", "110/9/8", None, "內容一。", None, None],
        [None] * 7,
        [None] * 7,
        [1, "第二項", "110/9/9", None, "內容二。", None, None],
    ])
    edit(path, lambda wb: wb["活動"].cell(row=500, column=3, value=None))
    result, text = validate(path)
    assert result.code == 0, text
    assert problem_lines(text, "警告") == [], text
    lines = preview(path)
    assert lines[2:6] == ["(一) 第一項", "內容一。", "(二) 第二項", "內容二。"]


def test_rows_with_only_defaults_notes_or_unread_columns_are_empty(here):
    """§2: 備註, own columns, 列入報告 是, 形式 實體, 主要訪團 否 alone make an empty row."""
    path = book(here / "a.xlsx", {
        "活動": [[*ACTIVITY_HEAD, "承辦人"],
                 [*ACTIVITY_ROWS[0], "王"],
                 [None, None, None, None, None, "是", None, None],
                 [None, None, None, None, None, "是", "只是備註", None],
                 [None, None, None, None, None, None, None, "王小明"],
                 [None, None, None, None, None, "是", None, None]],
        "訪賓": [VISIT_HEAD, VISIT_ROWS[0],
                 [None, None, None, None, None, "實體", "否", None],
                 [None, None, None, None, None, "實體", None, "備註"],
                 [None, None, None, None, None, None, "否", None]],
    })
    result, text = validate(path)
    assert result.code == 0, text
    assert problem_lines(text, "警告") == [], text


def test_header_only_sheet_counts_as_absent(here):
    """§2: 活動/訪賓 with only their header are as if absent: no error; 章節 header-only is missing."""
    path = book(here / "a.xlsx", sections=[[1, "說明", "文字", "本期無活動。"]],
                activities=[], visits=[])
    result, text = validate(path)
    assert result.code == 0, text
    assert preview(path) == ["貳拾陸、國際事務", "一、說明", "本期無活動。"]
    missing = book(here / "b.xlsx", sections=[])
    result, text = validate(missing)
    assert result.code == 1
    assert any("章節" in e for e in problem_lines(text, "錯誤")), text


def test_two_tabs_matching_one_sheet_is_an_error_naming_both(here):
    path = book(here / "a.xlsx", {"活動 ": [ACTIVITY_HEAD, *ACTIVITY_ROWS]})
    result, text = validate(path)
    assert result.code == 1
    errors = problem_lines(text, "錯誤")
    assert any("「活動」" in e and "「活動 」" in e for e in errors), text


def test_a_tab_name_with_a_trailing_space_alone_is_matched(here):
    path = book(here / "a.xlsx", {"活動": None, "活動 ": [ACTIVITY_HEAD, *ACTIVITY_ROWS]})
    assert "(一) 視訊會議" in preview(path)


def test_unread_sheets_never_affect_the_build(here):
    # Tabs that resemble nothing reportgen reads (SPEC §2): no warning, so even --strict builds.
    plain = book(here / "plain" / "a.xlsx")
    noisy = book(here / "noisy" / "a.xlsx", {
        "範例說明": [["說明"], ["這是範例"], ["=1/0"]],
        "我的筆記": [["節次", "心得"], ["x", "y"]],
    })

    def clutter(wb):
        ws = wb["我的筆記"]
        ws["A3"] = "#REF!"
        ws["Z9999"] = "遠處的格子"
        ws.merge_cells("A5:A9")
        ws.row_dimensions[2].hidden = True
        wb.create_sheet("舊資料").append(["項次", "摘要"])
        wb["舊資料"].append([1, "重複"])
    edit(noisy, clutter)
    a = run_cli("build", plain, "-o", here / "plain.docx", "--strict")
    b = run_cli("build", noisy, "-o", here / "noisy.docx", "--strict")
    assert a.code == 0 and b.code == 0, b.err
    assert sha(here / "plain.docx") == sha(here / "noisy.docx")


def test_hidden_rows_are_read_printed_and_warned_about(here):
    path = book(here / "a.xlsx", activities=[
        [1, "看得見", "110/9/8", None, "甲。", None, None],
        [1, "藏起來", "110/9/9", None, "乙。", None, None],
        [1, "也藏起來", "110/9/10", None, "丙。", None, None],
    ])

    def hide(wb):
        wb["活動"].row_dimensions[3].hidden = True
        wb["活動"].row_dimensions[4].hidden = True
    edit(path, hide)
    result, text = validate(path)
    assert result.code == 0, text
    warnings = problem_lines(text, "警告")
    assert any("3" in w and "4" in w and "活動" in w for w in warnings), text
    assert "(二) 藏起來" in preview(path)
    assert run_cli("build", path, "-o", here / "x.docx", "--strict").code == 1


def test_filtered_out_rows_are_read_and_warned_about(here):
    path = book(here / "a.xlsx", activities=[
        [1, "看得見", "110/9/8", None, "甲。", None, None],
        [1, "篩掉了", "110/9/9", None, "乙。", None, None],
    ])

    def filt(wb):
        ws = wb["活動"]
        ws.auto_filter.ref = "A1:G3"
        ws.auto_filter.add_filter_column(1, ["看得見"])
        ws.row_dimensions[3].hidden = True
    edit(path, filt)
    result, text = validate(path)
    assert result.code == 0
    assert any("3" in w for w in problem_lines(text, "警告")), text
    assert "(二) 篩掉了" in preview(path)


# --------------------------------------------------------------------------- several workbooks

def _settings_book(path: Path) -> Path:
    return book(path, activities=[], visits=[])


def _rows_book(path: Path, activities=None, visits=None) -> Path:
    return book(path, {"報告設定": None, "章節": None}, activities=activities or [],
                visits=visits or [])


def test_folder_is_read_in_name_order_and_ties_keep_input_order(here):
    folder = here / "in"
    _settings_book(folder / "0設定.xlsx")
    _rows_book(folder / "b.xlsx", activities=[[1, "乙的活動", "110/9/8", None, "乙。", None, None]])
    _rows_book(folder / "a.xlsx", activities=[[1, "甲的活動", "110/9/8", None, "甲。", None, None],
                                              [1, "早的活動", "110/8/1", None, "早。", None, None]])
    _rows_book(folder / "c.xlsx", visits=[VISIT_ROWS[0]])
    lines = preview(folder)
    assert [x for x in lines if ITEM_LABEL.match(x)] == ["(一) 早的活動", "(二) 甲的活動", "(三) 乙的活動"]
    # on the command line the given order wins over the name order
    lines = preview(folder / "0設定.xlsx", folder / "b.xlsx", folder / "a.xlsx", folder / "c.xlsx")
    assert [x for x in lines if ITEM_LABEL.match(x)] == ["(一) 早的活動", "(二) 乙的活動", "(三) 甲的活動"]


def test_lock_files_and_hidden_files_are_skipped(here):
    folder = here / "in"
    book(folder / "a.xlsx")
    (folder / "~$a.xlsx").write_bytes(b"owner lock file")
    (folder / ".a.xlsx").write_bytes(b"not a workbook")
    book(folder / "sub" / "b.xlsx", activities=[[9, "", "", None, "", None, None]])  # not recursive
    (folder / "notes.txt").write_text("ignore me")
    result, text = validate(folder)
    assert result.code == 0, text
    assert problem_lines(text, "警告") == [], text


def test_a_file_named_twice_is_read_once(here, monkeypatch):
    folder = here / "in"
    path = book(folder / "a.xlsx")
    monkeypatch.chdir(folder)
    result, text = validate(folder, path, "./a.xlsx", "a.xlsx", Path("..") / "in" / "a.xlsx")
    assert result.code == 0, text
    assert problem_lines(text, "錯誤") == []


def test_a_validation_report_among_inputs_is_skipped_with_a_warning(here):
    folder = here / "in"
    book(folder / "a.xlsx")
    book(folder / "b檢核.xlsx", {"檢核結果": [["嚴重度", "位置"], ["錯誤", "活動!A2"]]},
         activities=[[1, "視訊會議", "110/9/8", None, "重複的列。", None, None]])
    result, text = validate(folder)
    assert result.code == 0, text
    assert any("b檢核.xlsx" in w for w in problem_lines(text, "警告")), text
    # a real report written by validate --report, copied back among the inputs
    out = here / "out"
    out.mkdir()
    result = run_cli("validate", folder / "a.xlsx", "--report", out / "報告.xlsx")
    assert result.code == 0, result.out + result.err
    shutil.copy(out / "報告.xlsx", folder / "報告.xlsx")
    result, text = validate(folder)
    assert result.code == 0, text
    assert any("報告.xlsx" in w for w in problem_lines(text, "警告")), text


def test_settings_and_sections_identical_where_repeated(here):
    folder = here / "in"
    book(folder / "a.xlsx")
    book(folder / "b.xlsx", activities=[[1, "第二本", "110/10/1", None, "乙。", None, None]], visits=[])
    result, text = validate(folder)
    assert result.code == 0, text
    assert "(二) 第二本" in preview(folder)


@pytest.mark.parametrize(("sheet", "change"), [
    ("報告設定", {"settings": [("章次", 27), *SETTINGS_ROWS[1:]]}),
    ("章節", {"sections": [[1, "交流專案", "活動", None], [2, "其他名稱", "訪賓", VISIT_INTRO]]}),
])
def test_settings_or_sections_that_differ_between_workbooks_are_an_error(here, sheet, change):
    folder = here / "in"
    book(folder / "a.xlsx")
    book(folder / "b.xlsx", activities=[], visits=[], **change)
    result, text = validate(folder)
    assert result.code == 1, text
    errors = problem_lines(text, "錯誤")
    assert any(sheet in e for e in errors), text
    assert "a.xlsx" in text and "b.xlsx" in text


def test_duplicate_activity_and_visit_across_workbooks_name_both_places(here):
    folder = here / "in"
    book(folder / "a.xlsx")
    _rows_book(folder / "b.xlsx",
               activities=[[None, None, None, None, None, None, None],
                           [1, "視訊會議", "110/9/8", None, "另一段。", None, None]],
               visits=[["110/9/10", None, "日本京都市", "另一人", 2, None, None, None]])
    result, text = validate(folder)
    assert result.code == 1
    errors = problem_lines(text, "錯誤")
    act = [e for e in errors if "活動" in e]
    vis = [e for e in errors if "訪賓" in e]
    assert any("a.xlsx" in e and "b.xlsx" in e for e in act), text
    assert any("a.xlsx" in e and "b.xlsx" in e for e in vis), text


def test_duplicate_activity_in_one_workbook_names_both_rows(here):
    path = book(here / "a.xlsx", activities=[
        [1, "視訊會議", "110/9/8", None, "一。", None, None],
        [1, "視訊會議", "110/9/8", None, "二。", None, None]])
    result, text = validate(path)
    assert result.code == 1
    assert any("2" in e and "3" in e for e in problem_lines(text, "錯誤") if "活動" in e), text


# --------------------------------------------------------------------------- §3 chapter

@pytest.mark.parametrize(("number", "numeral"), [
    (1, "壹"), (10, "拾"), (11, "拾壹"), (20, "貳拾"), (26, "貳拾陸"), (100, "壹佰"),
    (101, "壹佰零壹"), (110, "壹佰壹拾"), (999, "玖佰玖拾玖"),
])
def test_chapter_numeral(here, number, numeral):
    path = book(here / "a.xlsx", settings=[("章次", number), *SETTINGS_ROWS[1:]])
    assert preview(path)[0] == f"{numeral}、國際事務"


@pytest.mark.parametrize("number", [0, 1000, -1, 2.5, "二十六"])
def test_chapter_number_out_of_range_is_an_error(here, number):
    path = book(here / "a.xlsx", settings=[("章次", number), *SETTINGS_ROWS[1:]])
    result, text = validate(path)
    assert result.code == 1
    assert any("章次" in e for e in problem_lines(text, "錯誤")), text


def test_chapter_number_typed_as_text_is_accepted(here):
    path = book(here / "a.xlsx", settings=[("章次", "26"), *SETTINGS_ROWS[1:]])
    assert preview(path)[0] == "貳拾陸、國際事務"


def test_section_numerals_up_to_one_hundred_and_one(here):
    sections = [[n, f"第{n}節", "文字", f"本節{n}。"] for n in range(1, 102)]
    path = book(here / "a.xlsx", sections=sections, activities=[], visits=[])
    heads = [x for x in preview(path) if SECTION_LABEL.match(x)]
    want = {10: "十", 11: "十一", 20: "二十", 21: "二十一", 99: "九十九", 100: "一百", 101: "一百零一"}
    for n, label in want.items():
        assert heads[n - 1] == f"{label}、第{n}節"


def test_item_labels_are_half_width_and_count_past_twenty(here):
    acts = [[1, f"活動{n}", f"110/9/{n}", None, f"內容{n}。", None, None] for n in range(1, 23)]
    path = book(here / "a.xlsx", activities=acts)
    items = [x for x in preview(path) if x.startswith("(")]
    assert items[0] == "(一) 活動1"
    assert items[9] == "(十) 活動10"
    assert items[10] == "(十一) 活動11"
    assert items[19] == "(二十) 活動20"
    assert items[20] == "(二十一) 活動21"
    assert "（" not in "".join(items)


def test_activities_sort_by_start_date_a_month_as_its_first_day(here):
    path = book(here / "a.xlsx", activities=[
        [1, "九月十五", "110/9/15", None, "丙。", None, None],
        [1, "九月整月", "110/9", None, "乙。", None, None],
        [1, "九月一日", "110/9/1", None, "甲2。", None, None],
        [1, "八月底", "110/8/31", None, "甲。", None, None],
    ])
    items = [x for x in preview(path) if ITEM_LABEL.match(x)]
    assert items == ["(一) 八月底", "(二) 九月整月", "(三) 九月一日", "(四) 九月十五"]


def test_key_visitors_list(here):
    visits = [
        ["110/11/2", None, "美國在台協會高雄分處", "孟雨荷處長", 2, "實體", "是", None],
        ["110/9/10", None, "日本京都市", "門川大作市長", 5, "視訊", "是", None],
        ["110/10/1", None, "駐台北韓國代表部", "梁昌洙大使、李某某公使", 3, None, "是", None],
        ["110/10/5", None, "不列出", "某某", 3, None, "否", None],
        ["110/10/20", None, "帛琉科羅州", "甲州長\n乙議長\n丙秘書長", 4, "線上", "是", None],
    ]
    path = book(here / "a.xlsx", visits=visits)
    lines = preview(path)
    assert lines[-2] == "7月至12月計5案、17人到訪。主要訪團代表為："
    assert lines[-1] == ("日本京都市門川大作市長(視訊)、駐台北韓國代表部梁昌洙大使及李某某公使、"
                         "帛琉科羅州甲州長、乙議長及丙秘書長(視訊)、美國在台協會高雄分處孟雨荷處長等。")


def test_no_key_visitors_no_list_and_no_dangling_colon(here):
    visits = [["110/9/10", None, "日本京都市", "門川大作市長", 5, "視訊", "否", None]]
    path = book(here / "a.xlsx", visits=visits)
    result, text = validate(path)
    assert result.code == 0, text
    lines = preview(path)
    assert not any(line.endswith("等。") for line in lines)
    _assert_no_dangling_colon(lines)
    assert any("1案、5人" in line for line in lines)


def _assert_no_dangling_colon(lines: list[str]) -> None:
    for i, line in enumerate(lines):
        if line.endswith(("：", ":")):
            assert i + 1 < len(lines), f"last paragraph ends with a colon: {line}"
            nxt = lines[i + 1]
            assert not SECTION_LABEL.match(nxt) and not ITEM_LABEL.match(nxt), (line, nxt)


def test_intro_ending_in_colon_of_a_text_section_with_nothing_after(here):
    path = book(here / "a.xlsx", sections=[
        [1, "交流專案", "活動", "本期辦理下列活動："], [2, "國際訪賓", "訪賓", VISIT_INTRO]],
        activities=[])
    result, text = validate(path)
    assert result.code == 0, text
    _assert_no_dangling_colon(preview(path))


def test_visits_without_a_visit_section_are_an_error_at_the_first_visit(here):
    path = book(here / "a.xlsx", sections=[[1, "交流專案", "活動", None]], visits=[
        ["110/9/10", None, "日本京都市", "門川大作市長", 5, None, None, None],
        ["110/9/11", None, "日本熊本縣", "蒲島郁夫知事", 5, None, None, None]])
    result, text = validate(path)
    assert result.code == 1
    assert any("訪賓!A2" in e for e in problem_lines(text, "錯誤")), text


def test_two_visit_sections_are_an_error_naming_the_rows(here):
    path = book(here / "a.xlsx", sections=[*SECTION_ROWS, [3, "再一次訪賓", "訪賓", None]])
    result, text = validate(path)
    assert result.code == 1
    errors = problem_lines(text, "錯誤")
    assert any("章節" in e and "3" in e and "4" in e for e in errors), text


def test_an_empty_section_is_a_warning_naming_its_row(here):
    path = book(here / "a.xlsx", sections=[*SECTION_ROWS, [3, "空的文字", "文字", None],
                                          [4, "空的活動", "活動", "  "]])
    result, text = validate(path)
    assert result.code == 0, text
    warnings = problem_lines(text, "警告")
    assert any(re.search(r"章節![A-Z]+4", w) and "空的文字" in w for w in warnings), text
    assert any(re.search(r"章節![A-Z]+5", w) for w in warnings), text
    assert run_cli("build", path, "-o", here / "x.docx", "--strict").code == 1
    assert run_cli("build", path, "-o", here / "x.docx").code == 0


def test_a_visit_section_without_visits_warns(here):
    path = book(here / "a.xlsx", visits=[])
    result, text = validate(path)
    assert result.code == 0
    assert any(re.search(r"章節![A-Z]+3", w) for w in problem_lines(text, "警告")), text
    _assert_no_dangling_colon(preview(path))


def test_rows_left_out_are_not_validated_and_are_counted(here):
    path = book(here / "a.xlsx", activities=[
        ACTIVITY_ROWS[0],
        [1, "", "不是日期", None, "", "否", None],
        [7, "草稿", "100/1/1", None, "x", "否", None]])
    result = run_cli("build", path, "-o", here / "x.docx")
    assert result.code == 0, result.err
    assert "(二)" not in "".join(preview(path))
    assert "2" in result.out  # the summary counts the rows left out


def test_text_is_never_invented(here):
    path = book(here / "a.xlsx", sections=[[1, "說明", "文字", "只有這一句。"]], activities=[], visits=[])
    assert preview(path) == ["貳拾陸、國際事務", "一、說明", "只有這一句。"]


# --------------------------------------------------------------------------- §3 Word specifics

@pytest.fixture
def built(here) -> Path:
    path = book(here / "a.xlsx", activities=[
        [1, "視訊會議", "110/9/8", None, "第一段。\n\n第二段。", None, None]])
    result = run_cli("build", path, "-o", here / "out.docx")
    assert result.code == 0, result.err
    return here / "out.docx"


def test_heading_styles_and_named_body_styles(built):
    import docx

    paragraphs = docx_paragraphs(built)
    styles = [(p.text, p.style.style_id, p.style.name) for p in paragraphs]
    assert styles[0][2] == "Heading 1"
    assert styles[1][2] == "Heading 2"
    assert styles[2][2] == "Heading 3"
    body = [s for s in styles if not s[2].startswith("Heading")]
    assert body, styles
    # every paragraph names its style
    assert all(p._p.pPr is not None and p._p.pPr.pStyle is not None for p in paragraphs)
    for text, _, name in body:
        assert name != "Normal", (text, name)
    del docx


def test_no_direct_formatting_in_runs(built):
    xml = docx_xml(built)
    assert "<w:rPr" not in xml
    # literal labels, not auto-numbering: the only numbering markup cancels a master's (numId 0)
    assert re.findall(r"<w:numId [^>]*>", xml) and set(re.findall(r"<w:numId [^>]*>", xml)) == {'<w:numId w:val="0"/>'}
    assert "<w:abstractNum" not in xml and "<w:ilvl" not in xml


def test_fonts_and_language(built):
    styles = docx_xml(built, "word/styles.xml")
    assert re.search(r'w:eastAsia="標楷體"', styles)
    assert re.search(r'w:ascii="Times New Roman"', styles)
    assert re.search(r'<w:lang [^>]*w:eastAsia="zh-TW"', styles)
    assert "ja-JP" not in styles


def test_document_properties(built):
    import docx

    props = docx.Document(str(built)).core_properties
    assert props.title == "貳拾陸、國際事務"
    assert props.subject == "110年7月至12月"


def test_properties_follow_the_settings(here):
    path = book(here / "a.xlsx", settings=[("章次", 11), ("章名", "城市外交"),
                                          ("期間起", "111/1/1"), ("期間迄", "111/6/30")],
                activities=[[1, "會議", "111/3/1", None, "x。", None, None]], visits=[])
    result = run_cli("build", path, "-o", here / "o.docx")
    assert result.code == 0, result.err
    import docx

    props = docx.Document(str(here / "o.docx")).core_properties
    assert (props.title, props.subject) == ("拾壹、城市外交", "111年1月至6月")


def test_build_is_deterministic(here):
    path = book(here / "a.xlsx")
    assert run_cli("build", path, "-o", here / "one.docx").code == 0
    assert run_cli("build", path, "-o", here / "two.docx").code == 0
    assert sha(here / "one.docx") == sha(here / "two.docx")
    copy = here / "copy" / "a.xlsx"
    copy.parent.mkdir()
    shutil.copy(path, copy)
    os.utime(copy, (1, 1))
    assert run_cli("build", copy, "-o", here / "three.docx").code == 0
    assert sha(here / "one.docx") == sha(here / "three.docx")


def test_body_paragraphs_are_split_on_blank_lines(built):
    texts = [p.text for p in docx_paragraphs(built)]
    assert texts[3:5] == ["第一段。", "第二段。"]


# --------------------------------------------------------------------------- §4 normalization

def _title_after(here, title: str, content: str = "內容。") -> list[str]:
    path = book(here / "n.xlsx", activities=[[1, title, "110/9/8", None, content, None, None]])
    return preview(path)


@pytest.mark.parametrize(("typed", "shown"), [
    ("日本台灣交 流協會", "日本台灣交流協會"),
    ("日台友情 × 高雄", "日台友情 × 高雄"),
    ("日本　京都", "日本京都"),
    ("  前後空白  ", "前後空白"),
    ("Mayors'   Forum", "Mayors' Forum"),
    ("ＡＰＥＣ會議２０２１", "APEC會議2021"),
    ("第一行\n第二行", "第一行第二行"),
    ("會議,討論", "會議，討論"),
    ("會議;討論", "會議；討論"),
    ("議題:經濟", "議題：經濟"),
    ("真的?好!", "真的？好！"),
    ("計1,000人", "計1,000人"),
    ("（視訊）會議", "(視訊)會議"),
    ("京都_x0041_市", "京都A市"),
])
def test_single_line_field_normalization(here, typed, shown):
    assert _title_after(here, typed)[2] == f"(一) {shown}"


def test_content_paragraphs_blank_line_splits_single_break_joins(here):
    lines = _title_after(here, "標題", "第一段前半\n第一段後半。\n\n第二段。\n \n第三段。")
    assert lines[3:6] == ["第一段前半第一段後半。", "第二段。", "第三段。"]


def test_vertical_tab_is_a_line_break(here):
    # Word's Shift+Enter arrives as _x000B_ (openpyxl cannot store the raw control character)
    lines = _title_after(here, "標題_x000B_續", "第一段。_x000B__x000B_第二段。")
    assert lines[2] == "(一) 標題續"
    assert lines[3:5] == ["第一段。", "第二段。"]


@pytest.mark.parametrize("invisible", ["\u200b", "\ufeff", "_x0007_", "_xFFFE_", "\u200d"])
def test_invisible_characters_are_removed_with_one_warning_per_cell(here, invisible):
    path = book(here / "a.xlsx", activities=[
        [1, f"視訊{invisible}會議{invisible}", "110/9/8", None, "內容。", None, None]])
    result, text = validate(path)
    assert result.code == 0, text
    warnings = problem_lines(text, "警告")
    assert len([w for w in warnings if "活動!B2" in w]) == 1, text
    assert preview(path)[2] == "(一) 視訊會議"


@pytest.mark.parametrize(("column", "value"), [
    ("開始日期", "110/9/8\u200b"), ("人數", "5\u200b"), ("主要訪團", "是\u200b"),
    ("形式", "\u200b視訊"), ("列入報告", "是\u2060"), ("節次", "1\u200b"),
])
def test_invisible_characters_in_dates_numbers_choices_warn_not_error(here, column, value):
    if column in ACTIVITY_HEAD:
        row = dict(zip(ACTIVITY_HEAD, ACTIVITY_ROWS[0], strict=True))
        row[column] = value
        path = book(here / "a.xlsx", activities=[[row[h] for h in ACTIVITY_HEAD]])
    else:
        row = dict(zip(VISIT_HEAD, VISIT_ROWS[0], strict=True))
        row[column] = value
        path = book(here / "a.xlsx", visits=[[row[h] for h in VISIT_HEAD]])
    result, text = validate(path)
    assert result.code == 0, text
    assert len(problem_lines(text, "警告")) == 1, text
    assert problem_lines(text, "錯誤") == []


def test_parentheses_follow_the_bracket_setting(here):
    acts = [[1, "會見（大使）", "110/9/8", None, "與歐克麗(Dilmei L. Olkeriil)大使會面（線上）。", None, None]]
    half = book(here / "half.xlsx", activities=acts)
    lines = preview(half)
    assert lines[2] == "(一) 會見(大使)"
    assert lines[3] == "與歐克麗(Dilmei L. Olkeriil)大使會面(線上)。"
    assert lines[-1] == "日本京都市門川大作市長(視訊)等。"
    for word in ("全形", "全型"):
        full = book(here / f"{word}.xlsx", activities=acts,
                    settings=[*SETTINGS_ROWS, ("括號", word)])
        lines = preview(full)
        assert lines[2] == "(一) 會見（大使）"  # the item label keeps the handbook's form
        assert lines[3] == "與歐克麗（Dilmei L. Olkeriil）大使會面（線上）。"
        assert lines[-1] == "日本京都市門川大作市長（視訊）等。"
    for word in ("半形", "半型"):
        path = book(here / f"{word}.xlsx", activities=acts, settings=[*SETTINGS_ROWS, ("括號", word)])
        assert preview(path)[3] == "與歐克麗(Dilmei L. Olkeriil)大使會面(線上)。"


def test_bad_bracket_setting_is_an_error(here):
    path = book(here / "a.xlsx", settings=[*SETTINGS_ROWS, ("括號", "大括號")])
    result, text = validate(path)
    assert result.code == 1
    assert any("括號" in e for e in problem_lines(text, "錯誤")), text


DATE_FORMS = [
    ("110/9/2", 2), ("110-9-3", 3), ("110.9.4", 4), ("110.09.05", 5), ("110年9月6日", 6),
    ("民國110年9月7日", 7), ("1100908", 8), ("2021/9/9", 9), ("2021-09-10", 10),
    ("2021年9月11日", 11), ("１１０/９/１２", 12), ("１１０年９月１３日", 13),
    (dt.datetime(2021, 9, 14), 14), (dt.date(2021, 9, 15), 15), ("2021．9．16", None),
]


def test_every_date_form_is_read(here):
    forms = [(typed, day) for typed, day in DATE_FORMS if day is not None]
    acts = [[1, f"第{day}日", typed, None, f"110年9月{day}日辦理。", None, None]
            for typed, day in reversed(forms)]
    acts += [[1, "整月一", "110/9", "110/9", "九月整月。", None, None],
             [1, "整月二", "110年9月", None, "九月整月。", None, None]]
    path = book(here / "a.xlsx", activities=acts)
    result, text = validate(path)
    assert result.code == 0, text
    assert problem_lines(text, "警告") == [], text
    items = [x[x.index(" ") + 1:] for x in preview(path) if ITEM_LABEL.match(x)]
    assert items == ["整月一", "整月二", *[f"第{day}日" for _, day in forms]]


def test_a_month_as_period_end_means_its_last_day(here):
    path = book(here / "a.xlsx", settings=[*SETTINGS_ROWS[:2], ("期間起", "110/7"), ("期間迄", "110/12")],
                visits=[["110/12/31", None, "日本京都市", "門川大作市長", 5, None, "是", None],
                        ["110/7/1", None, "日本熊本縣", "蒲島郁夫知事", 5, None, "是", None]])
    result, text = validate(path)
    assert result.code == 0, text


def test_an_impossible_date_quotes_what_was_typed_and_the_accepted_forms(here):
    path = book(here / "a.xlsx", activities=[[1, "會議", "110/2/30", None, "x。", None, None]])
    result, text = validate(path)
    assert result.code == 1
    errors = [e for e in problem_lines(text, "錯誤") if "活動!C2" in e]
    assert errors, text
    assert "110/2/30" in errors[0]
    for form in ("110/9/8", "1100908", "110年9月8日"):
        assert form in errors[0]


@pytest.mark.parametrize("typed", ["110/13/1", "明天", "110/9/8/1", "0/1/1", "11009081"])
def test_bad_dates_are_errors_at_the_cell(here, typed):
    path = book(here / "a.xlsx", visits=[[typed, None, "日本京都市", "門川大作市長", 5, None, None, None]])
    result, text = validate(path)
    assert result.code == 1
    assert any("訪賓!A2" in e and typed in e for e in problem_lines(text, "錯誤")), text


@pytest.mark.parametrize(("column", "value", "cell"), [
    ("人數", 0, "E2"), ("人數", 10000, "E2"), ("人數", 2.5, "E2"), ("人數", "abc", "E2"),
    ("人數", None, "E2"), ("單位", None, "C2"), ("代表", " ", "D2"), ("日期", None, "A2"),
    ("形式", "電話", "F2"), ("主要訪團", "也許", "G2"),
])
def test_visit_values_are_checked_at_their_cell(here, column, value, cell):
    row = dict(zip(VISIT_HEAD, VISIT_ROWS[0], strict=True))
    row[column] = value
    path = book(here / "a.xlsx", visits=[[row[h] for h in VISIT_HEAD]])
    result, text = validate(path)
    assert result.code == 1
    assert any(f"訪賓!{cell}" in e and column in e for e in problem_lines(text, "錯誤")), text


@pytest.mark.parametrize(("value", "video"), [("線上", True), ("視訊", True), ("實體", False),
                                              (None, False), ("視訊會議", True)])
def test_form_choice_and_aliases(here, value, video):
    path = book(here / "a.xlsx", visits=[["110/9/10", None, "日本京都市", "門川大作市長", 5, value, "是", None]])
    result, text = validate(path)
    assert result.code == 0, text
    assert preview(path)[-1] == ("日本京都市門川大作市長(視訊)等。" if video else "日本京都市門川大作市長等。")


@pytest.mark.parametrize(("column", "value", "cell"), [
    ("標題", None, "B2"), ("開始日期", None, "C2"), ("節次", None, "A2"),  # 內容 may be blank (a warning)
    ("節次", 9, "A2"), ("節次", 2, "A2"), ("列入報告", "不要", "F2"),
    ("結束日期", "110/9/1", "D2"),
])
def test_activity_values_are_checked_at_their_cell(here, column, value, cell):
    row = dict(zip(ACTIVITY_HEAD, ACTIVITY_ROWS[0], strict=True))
    row[column] = value
    path = book(here / "a.xlsx", activities=[[row[h] for h in ACTIVITY_HEAD]])
    result, text = validate(path)
    assert result.code == 1
    assert any(f"活動!{cell}" in e for e in problem_lines(text, "錯誤")), text


def test_activity_must_overlap_the_period_and_visit_must_fall_inside(here):
    path = book(here / "a.xlsx",
                activities=[[1, "跨期", "110/6/1", "110/7/2", "跨期辦理。", None, None],
                            [1, "期前", "110/5/1", "110/6/30", "期前辦理。", None, None],
                            [1, "期後", "111/1/1", None, "期後辦理。", None, None]],
                visits=[["110/6/30", None, "甲市", "甲市長", 1, None, None, None],
                        ["111/1/1", None, "乙市", "乙市長", 1, None, None, None],
                        ["110/7/1", None, "丙市", "丙市長", 1, None, None, None]])
    result, text = validate(path)
    assert result.code == 1
    errors = problem_lines(text, "錯誤")
    cells = {m.group(0) for e in errors for m in [re.search(r"(活動|訪賓)![A-Z]+\d+", e)] if m}
    assert {c.split("!")[0] + re.sub(r"[A-Z]+", "", c.split("!")[1]) for c in cells} == {
        "活動3", "活動4", "訪賓2", "訪賓3"}, text


def test_period_end_before_start_is_an_error(here):
    path = book(here / "a.xlsx", settings=[*SETTINGS_ROWS[:2], ("期間起", "110/12/31"), ("期間迄", "110/7/1")])
    result, text = validate(path)
    assert result.code == 1
    assert any("期間" in e for e in problem_lines(text, "錯誤")), text


def test_duplicate_section_numbers_are_an_error(here):
    path = book(here / "a.xlsx", sections=[*SECTION_ROWS, [2, "再一節", "文字", "文字。"]])
    result, text = validate(path)
    assert result.code == 1
    assert any("章節" in e for e in problem_lines(text, "錯誤")), text


def test_bad_section_type_is_an_error(here):
    path = book(here / "a.xlsx", sections=[*SECTION_ROWS, [3, "再一節", "圖片", "文字。"]])
    result, text = validate(path)
    assert result.code == 1
    assert any("章節!C4" in e for e in problem_lines(text, "錯誤")), text


def test_a_date_in_the_content_outside_the_rows_dates_warns(here):
    path = book(here / "a.xlsx", activities=[
        [1, "會議", "110/9/8", None, "110年9月18日舉行視訊會議。", None, None],
        [1, "展覽", "110/9/1", "110/9/30", "110年9月18日開幕。", None, None]])
    result, text = validate(path)
    assert result.code == 0, text
    warnings = problem_lines(text, "警告")
    assert len(warnings) == 1 and "活動!E2" in warnings[0], text


def test_every_problem_is_reported_not_only_the_first(here):
    path = book(here / "a.xlsx", activities=[
        [1, None, "110/9/8", None, "x", None, None],
        [1, "b", "110/2/30", None, "x", None, None]],
        visits=[["110/9/10", None, "日本京都市", "門川大作市長", "多", None, None, None]])
    result, text = validate(path)
    assert result.code == 1
    errors = problem_lines(text, "錯誤")
    assert any("活動!B2" in e for e in errors) and any("活動!C3" in e for e in errors)
    assert any("訪賓!E2" in e for e in errors), text
    assert "內部錯誤" not in text and "Traceback" not in text


def _xml_patch(path: Path, sheet_index: int, old: str, new: str) -> None:
    """Rewrite one worksheet part (to give a formula its saved value, as Excel would)."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == f"xl/worksheets/sheet{sheet_index}.xml":
                text = data.decode("utf-8")
                assert old in text, text[-800:]
                data = text.replace(old, new).encode("utf-8")
            dst.writestr(info, data)
    tmp.replace(path)


def test_formula_error_values_are_errors_quoting_them(here):
    path = book(here / "a.xlsx", visits=[["110/9/10", None, "日本京都市", "門川大作市長", "=1/0", None, None, None],
                                         ["110/9/11", None, "日本熊本縣", "=NA()", 3, None, None, None]])
    _xml_patch(path, 4, "<f>1/0</f><v></v>", "<f>1/0</f><v>#DIV/0!</v>")
    _xml_patch(path, 4, '<c r="D3"><f>NA()</f><v></v></c>', '<c r="D3" t="e"><f>NA()</f><v>#N/A</v></c>')
    _xml_patch(path, 4, '<c r="E2"><f>', '<c r="E2" t="e"><f>')
    result, text = validate(path)
    assert result.code == 1
    errors = problem_lines(text, "錯誤")
    assert any("訪賓!E2" in e and "#DIV/0!" in e for e in errors), text
    assert any("訪賓!D3" in e and "#N/A" in e for e in errors), text


def test_formula_with_saved_value_uses_it_and_without_one_is_an_error(here):
    path = book(here / "a.xlsx", visits=[["110/9/10", None, "日本京都市", "門川大作市長", "=2+3", None, "是", None]])
    result, text = validate(path)
    assert result.code == 1
    errors = [e for e in problem_lines(text, "錯誤") if "訪賓!E2" in e]
    assert errors and ("Excel" in errors[0] or "Calc" in errors[0]) and "儲存" in errors[0], text
    _xml_patch(path, 4, "<f>2+3</f><v></v>", "<f>2+3</f><v>5</v>")
    assert preview(path)[-2] == "7月至12月計1案、5人到訪。主要訪團代表為："


def test_merged_data_cells_are_an_error_explaining_the_merge(here):
    path = book(here / "a.xlsx", activities=[
        [1, "會議甲", "110/9/8", None, "甲。", None, None],
        [1, "會議乙", "110/9/8", None, "乙。", None, None]])
    edit(path, lambda wb: wb["活動"].merge_cells("C2:C3"))
    result, text = validate(path)
    assert result.code == 1
    errors = problem_lines(text, "錯誤")
    assert any("合併" in e and "活動!C" in e for e in errors), text


# --------------------------------------------------------------------------- §5 templates

def _intro_lines(here, intro: str, visits=None, settings=None, name="t.xlsx") -> tuple:
    path = book(here / name, sections=[[1, "說明", "文字", intro], [2, "國際訪賓", "訪賓", None]],
                activities=[], visits=visits, settings=settings)
    return path, validate(path)


PLACEHOLDER_VISITS = [
    ["110/9/10", None, "日本京都市", "門川大作市長", 5, "視訊", "是", None],
    ["110/10/1", None, "日本熊本縣", "蒲島郁夫知事", 3, "實體", "否", None],
    ["110/11/1", None, "帛琉科羅州", "州長", 2, None, "否", None],
]


def test_each_placeholder(here):
    intro = ("期間{{ 期間 }}，全稱{{ 期間全稱 }}，年度{{ 年度 }}，案數{{ 案數 }}，人數{{ 人數 }}，"
             "視訊{{ 視訊案數 }}，實體{{ 實體案數 }}。")
    path, (result, text) = _intro_lines(here, intro, visits=PLACEHOLDER_VISITS)
    assert result.code == 0, text
    assert preview(path)[2] == "期間7月至12月，全稱110年7月至12月，年度110，案數3，人數10，視訊1，實體2。"


def test_period_across_years(here):
    settings = [*SETTINGS_ROWS[:2], ("期間起", "110/7/1"), ("期間迄", "111/6/30")]
    path, (result, text) = _intro_lines(here, "{{ 期間 }}；{{ 期間全稱 }}。", visits=[], settings=settings)
    assert result.code == 0, text
    assert preview(path)[2] == "110年7月至111年6月；110年7月至111年6月。"


def test_period_of_one_month(here):
    settings = [*SETTINGS_ROWS[:2], ("期間起", "110/9/1"), ("期間迄", "110/9/30")]
    path, _ = _intro_lines(here, "{{ 期間全稱 }}。", visits=[], settings=settings)
    line = preview(path)[2]
    assert line in ("110年9月。", "110年9月至9月。")


def test_full_width_delimiters(here):
    intro = "｛｛ 期間 ｝｝計｛｛案數｝｝案｛％ if 視訊案數 > 0 ％｝，含視訊｛％ endif ％｝。"
    path, (result, text) = _intro_lines(here, intro, visits=PLACEHOLDER_VISITS)
    assert result.code == 0, text
    assert preview(path)[2] == "7月至12月計3案，含視訊。"


@pytest.mark.parametrize("intro", ["{{ self }}", "{{ 案數 > 1 }}", "{{ 案數 == 3 }}",
                                   "{{ range }}", "{{ 期間.__class__ }}", "{{ lipsum }}",
                                   "{{ 期間.upper }}"])
def test_template_prints_only_placeholder_values(here, intro):
    _, (result, text) = _intro_lines(here, f"前{intro}後")
    assert result.code == 1, text
    assert any("章節!D2" in e for e in problem_lines(text, "錯誤")), text
    assert "內部錯誤" not in text and "Traceback" not in text


def test_unknown_placeholder_lists_the_names(here):
    _, (result, text) = _intro_lines(here, "{{ 期限 }}")
    assert result.code == 1
    errors = [e for e in problem_lines(text, "錯誤") if "章節!D2" in e]
    assert errors, text
    for name in ("期間", "期間全稱", "年度", "案數", "人數", "視訊案數", "實體案數"):
        assert name in errors[0]
    assert "期限" in errors[0]


def test_template_syntax_error_is_an_error_at_the_cell(here):
    _, (result, text) = _intro_lines(here, "{{ 期間 ")
    assert result.code == 1
    assert any("章節!D2" in e for e in problem_lines(text, "錯誤")), text


def test_the_seed_intro_example(here):
    intro = ("本年度本府行政暨國際處{{ 期間 }}辦理訪賓接待(含線上視訊會議)業務，以駐台單位之外籍訪賓為主，"
             "計{{ 案數 }}案、{{ 人數 }}人到訪。主要訪團代表為：")
    path = book(here / "a.xlsx", sections=[[1, "交流專案", "活動", None], [2, "訪賓", "訪賓", intro]])
    assert preview(path)[-2] == ("本年度本府行政暨國際處7月至12月辦理訪賓接待(含線上視訊會議)業務，"
                                 "以駐台單位之外籍訪賓為主，計1案、5人到訪。主要訪團代表為：")


# --------------------------------------------------------------------------- §6 command line

@pytest.mark.parametrize("command", ["build", "validate", "init", "preview", "template", "serve"])
def test_help_for_every_command(here, command):
    result = run_cli(command, "--help")
    assert result.code == 0
    assert "用法" in result.out
    assert re.search(r"[\u4e00-\u9fff]{4}", result.out)


def test_top_level_help(here):
    result = run_cli("--help")
    assert result.code == 0
    for command in ("build", "validate", "init", "preview", "template", "serve"):
        assert command in result.out


@pytest.mark.slow
def test_python_dash_m_and_console_script(here):
    for cmd in ([sys.executable, "-m", "reportgen", "preview", str(EXAMPLE)],
                [str(Path(sys.executable).parent / "reportgen"), "preview", str(EXAMPLE)]):
        done = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", cwd=here)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[0] == "貳拾陸、國際事務"


def test_exit_codes(here):
    good = book(here / "good.xlsx")
    bad = book(here / "bad.xlsx", activities=[[1, "會議", "110/2/30", None, "x。", None, None]])
    assert run_cli("build", good, "-o", here / "g.docx").code == 0
    assert run_cli("build", bad, "-o", here / "b.docx").code == 1
    assert not (here / "b.docx").exists()
    assert run_cli("build", here / "missing.xlsx", "-o", here / "m.docx").code == 2
    assert run_cli("build", "--no-such-option").code == 2
    (here / "junk.xlsx").write_bytes(b"this is not a workbook")
    result = run_cli("validate", here / "junk.xlsx")
    assert result.code == 2
    assert "內部錯誤" not in result.out + result.err
    assert re.search(r"[\u4e00-\u9fff]", result.err + result.out)


def test_build_prints_a_summary(here):
    path = book(here / "a.xlsx", visits=PLACEHOLDER_VISITS)
    result = run_cli("build", path, "-o", here / "o.docx")
    assert result.code == 0
    summary = result.out
    assert summary.splitlines()[-1] == "共 2 節、1 項活動、3 案訪賓（10 人）；警告 0 項。"


def test_default_input_and_output(here):
    book(here / "inputs" / "a.xlsx", settings=[*SETTINGS_ROWS[:1], ("章名", "城市外交"), *SETTINGS_ROWS[2:]])
    result = run_cli("build")
    assert result.code == 0, result.err
    assert (here / "outputs" / "城市外交.docx").is_file()


def test_default_input_missing_is_a_clear_usage_error(here):
    result = run_cli("build")
    assert result.code == 2
    assert "inputs" in result.err + result.out


def _subprocess(here, *args):
    return subprocess.run([sys.executable, "-m", "reportgen", *map(str, args)], capture_output=True,
                          text=True, encoding="utf-8", cwd=here)


@pytest.mark.slow
def test_default_template_is_the_bundled_one_outside_a_project(here):
    path = book(here / "a.xlsx")
    done = _subprocess(here, "build", path, "-o", here / "bundled.docx")
    assert done.returncode == 0, done.stderr
    in_repo = _subprocess(REPO, "build", path, "-o", here / "repo.docx")
    assert in_repo.returncode == 0, in_repo.stderr
    assert sha(here / "bundled.docx") == sha(here / "repo.docx")
    assert _subprocess(here, "template").returncode == 0


@pytest.mark.slow
def test_templates_folder_in_the_current_folder_wins(here):
    import docx

    path = book(here / "a.xlsx")
    (here / "templates").mkdir()
    docx.Document().save(str(here / "templates" / "report.docx"))  # lacks the chapter's styles
    done = _subprocess(here, "build", path, "-o", here / "x.docx")
    assert done.returncode == 2, done.stderr
    assert not (here / "x.docx").exists()
    assert _subprocess(here, "template").returncode == 2


def test_output_must_end_in_docx_and_report_in_xlsx(here):
    path = book(here / "a.xlsx")
    for name in ("out.pdf", "out", "out.doc", "out.xlsx"):
        result = run_cli("build", path, "-o", here / name)
        assert result.code == 2, name
        assert not (here / name).exists()
    for name in ("r.docx", "r.xls", "r"):
        result = run_cli("validate", path, "--report", here / name)
        assert result.code == 2, name
        assert not (here / name).exists()


def test_outputs_never_name_an_input_or_the_template(here):
    path = book(here / "a.xlsx")
    template = here / "t.docx"
    shutil.copy(REPO / "templates" / "report.docx", template)
    before = sha(template), sha(path)
    assert run_cli("build", path, "--template", template, "-o", template).code == 2
    assert run_cli("build", path, "--template", template, "-o", here / "." / "t.docx").code == 2
    assert run_cli("validate", path, "--report", path).code == 2
    assert run_cli("validate", path, "--report", here / "." / "a.xlsx").code == 2
    assert (sha(template), sha(path)) == before


def test_default_template_cannot_be_the_output(here):
    book(here / "inputs" / "a.xlsx")
    (here / "templates").mkdir()
    shutil.copy(REPO / "templates" / "report.docx", here / "templates" / "report.docx")
    before = sha(here / "templates" / "report.docx")
    assert run_cli("build", "-o", Path("templates") / "report.docx").code == 2
    assert sha(here / "templates" / "report.docx") == before


def test_report_may_not_land_inside_an_input_folder(here):
    folder = here / "in"
    book(folder / "a.xlsx")
    for target in (folder / "r.xlsx", here / "in" / "." / "r.xlsx", here / "x" / ".." / "in" / "r.xlsx"):
        result = run_cli("validate", folder, "--report", target)
        assert result.code == 2, target
        assert not (folder / "r.xlsx").exists()
    # a single workbook: its folder is an input folder too? Not by the spec; the report may go beside it
    result = run_cli("validate", folder / "a.xlsx", "--report", here / "r.xlsx")
    assert result.code == 0


def test_report_replaces_only_an_earlier_report(here):
    path = book(here / "a.xlsx", activities=[[1, "會議", "110/2/30", None, "x。", None, None]])
    report = here / "out" / "r.xlsx"
    report.parent.mkdir()
    result = run_cli("validate", path, "--report", report)
    assert result.code == 1 and report.is_file()
    wb = load_workbook(report)
    assert wb.sheetnames[0] == "檢核結果"
    assert run_cli("validate", path, "--report", report).code == 1  # an earlier report: replaced
    other = book(here / "out" / "mine.xlsx")
    before = sha(other)
    result = run_cli("validate", path, "--report", other)
    assert result.code == 2
    assert sha(other) == before


def test_report_lists_every_problem_with_a_link_and_highlights_cells(here):
    path = book(here / "a.xlsx", activities=[[1, None, "110/2/30", None, "x。", None, None]])
    before = sha(path)
    report = here / "r.xlsx"
    assert run_cli("validate", path, "--report", report).code == 1
    assert sha(path) == before
    wb = load_workbook(report)
    listing = wb["檢核結果"]
    links = [c.hyperlink for row in listing.iter_rows() for c in row if c.hyperlink]
    assert len(links) >= 2
    act = wb["活動"]
    assert act["B2"].comment is not None and act["C2"].comment is not None
    assert act["B2"].fill.fgColor.rgb not in (None, "00000000")


def test_an_edited_output_is_not_replaced_without_force(here):
    import docx

    path = book(here / "a.xlsx")
    out = here / "out.docx"
    assert run_cli("build", path, "-o", out).code == 0
    assert run_cli("build", path, "-o", out).code == 0  # unchanged output: simply updated
    document = docx.Document(str(out))
    document.paragraphs[-1].text += "（編輯校訂）"
    document.save(str(out))
    edited = sha(out)
    result = run_cli("build", path, "-o", out)
    assert result.code == 2
    assert sha(out) == edited
    assert "--force" in result.err + result.out
    result = run_cli("build", path, "-o", out, "--force")
    assert result.code == 0
    assert sha(out) != edited


def test_a_docx_not_written_by_reportgen_is_not_replaced(here):
    import docx

    path = book(here / "a.xlsx")
    out = here / "someone.docx"
    docx.Document().save(str(out))
    before = sha(out)
    assert run_cli("build", path, "-o", out).code == 2
    assert sha(out) == before


def test_a_failed_build_leaves_the_previous_output_and_no_temporary_files(here):
    path = book(here / "a.xlsx")
    out = here / "o" / "out.docx"
    out.parent.mkdir()
    assert run_cli("build", path, "-o", out).code == 0
    before = sha(out)
    book(path, activities=[[1, "會議", "110/2/30", None, "x。", None, None]])
    assert run_cli("build", path, "-o", out).code == 1
    assert sha(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["out.docx"]


def test_inputs_are_never_modified(here):
    path = book(here / "a.xlsx", activities=[[1, "會議", "110/2/30", None, "x。", None, None]])
    os.utime(path, (1_000_000, 1_000_000))
    before = sha(path), path.stat().st_mtime
    run_cli("validate", path, "--report", here / "r.xlsx")
    run_cli("build", path, "-o", here / "o.docx")
    run_cli("preview", path)
    assert (sha(path), path.stat().st_mtime) == before


@pytest.mark.parametrize(("setup", "word"), [("missing", "資料夾"), ("file", "資料夾")])
def test_output_path_failures_state_their_reason(here, setup, word):
    path = book(here / "a.xlsx")
    if setup == "file":
        (here / "plain").write_text("x")
        target = here / "plain" / "out.docx"
    else:
        target = here / "no" / "such" / "out.docx"
    result = run_cli("build", path, "-o", target)
    if setup == "missing":  # -o into a folder not yet made: made, as outputs/ is by default
        assert result.code == 0, result.err
        assert target.is_file()
        return
    assert result.code == 2
    assert word in result.err + result.out
    assert "內部錯誤" not in result.err


def test_init_writes_a_workbook_that_validates(here):
    result = run_cli("init", here / "new.xlsx", "--period", "111/1/1-111/6/30")
    assert result.code == 0, result.err
    wb = load_workbook(here / "new.xlsx")
    for name in ("報告設定", "章節", "活動", "訪賓", "填寫說明"):
        assert name in wb.sheetnames
    acts = wb["活動"]
    heads = [c.value for c in acts[1]]
    for header in ("節次", "標題", "開始日期", "結束日期", "內容", "列入報告", "備註"):
        assert header in heads
    assert acts.freeze_panes in ("A2", "B2")
    visits = wb["訪賓"]
    assert visits.data_validations.dataValidation, "dropdowns for the choice columns"
    result, text = validate(here / "new.xlsx")
    assert result.code == 0, text
    assert problem_lines(text, "錯誤") == []


def test_init_never_overwrites(here):
    target = here / "mine.xlsx"
    target.write_bytes(b"precious")
    result = run_cli("init", target)
    assert result.code == 2
    assert target.read_bytes() == b"precious"


def test_init_from_moves_the_period_on(here):
    old = book(here / "old.xlsx", sections=[[1, "交流專案", "活動", None],
                                            [2, "國際訪賓", "訪賓", "{{ 期間全稱 }}計{{ 案數 }}案。"]])
    assert run_cli("init", here / "new.xlsx", "--from", old).code == 0
    path = here / "new.xlsx"
    book_rows = [list(r) for r in load_workbook(path)["章節"].iter_rows(values_only=True)][1:]
    assert [r[:4] for r in book_rows if any(r)] == [[1, "交流專案", "活動", None],
                                                   [2, "國際訪賓", "訪賓", "{{ 期間全稱 }}計{{ 案數 }}案。"]]
    # the period moved on half a year: visible in the rendered 前言 once a visit is added
    edit(path, lambda wb: wb["訪賓"].append(["111/3/1", None, "日本京都市", "門川大作市長", 2, None, None, None]))
    lines = preview(path)
    assert lines[0] == "貳拾陸、國際事務"
    assert "111年1月至6月計1案。" in lines
    # and the other way round: a first-half workbook moves to the second half
    older = book(here / "h1.xlsx", settings=[*SETTINGS_ROWS[:2], ("期間起", "111/1/1"), ("期間迄", "111/6/30")],
                 activities=[], visits=[])
    assert run_cli("init", here / "h2.xlsx", "--from", older).code == 0
    settings = dict(r[:2] for r in load_workbook(here / "h2.xlsx")["報告設定"].iter_rows(values_only=True))
    start, end = settings["期間起"], settings["期間迄"]
    assert str(start) in ("111/7/1", "2022-07-01 00:00:00")
    assert str(end) in ("111/12/31", "2022-12-31 00:00:00")


def test_init_from_keeps_chapter_settings(here):
    old = book(here / "old.xlsx", settings=[("章次", 11), ("章名", "城市外交"), *SETTINGS_ROWS[2:],
                                            ("括號", "全形")])
    assert run_cli("init", here / "new.xlsx", "--from", old).code == 0
    settings = dict(r[:2] for r in load_workbook(here / "new.xlsx")["報告設定"].iter_rows(values_only=True))
    assert settings["章次"] in (11, "11")
    assert settings["章名"] == "城市外交"
    assert settings.get("括號") in ("全形", "全型")


def test_preview_prints_one_paragraph_a_line(here):
    path = book(here / "a.xlsx")
    result = run_cli("preview", path)
    assert result.code == 0
    assert result.out.splitlines()[:3] == ["貳拾陸、國際事務", "一、交流專案", "(一) 視訊會議"]


def test_preview_with_errors_exits_1(here):
    bad = book(here / "bad.xlsx", activities=[[1, "會議", "110/2/30", None, "x。", None, None]])
    assert run_cli("preview", bad).code == 1


def test_template_command(here):
    import docx

    assert run_cli("template").code == 0
    assert run_cli("template", REPO / "templates" / "report.docx").code == 0
    plain = here / "plain.docx"
    docx.Document().save(str(plain))
    result = run_cli("template", plain)
    assert result.code == 2
    assert re.search(r"樣式", result.out + result.err)
    assert run_cli("template", here / "missing.docx").code == 2


def test_template_warnings_do_not_block(here):
    """A template whose East Asian language is ja-JP: a warning, exit 0; build uses it."""
    template = here / "ja.docx"
    source = REPO / "templates" / "report.docx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(template, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/styles.xml":
                data = data.replace(b'w:eastAsia="zh-TW"', b'w:eastAsia="ja-JP"')
            dst.writestr(info, data)
    result = run_cli("template", template)
    assert result.code == 0, result.out + result.err
    assert "zh-TW" in result.out + result.err
    path = book(here / "a.xlsx")
    result = run_cli("build", path, "--template", template, "-o", here / "o.docx")
    assert result.code == 0
    assert "zh-TW" in result.err + result.out


def test_strict_turns_warnings_into_errors(here):
    path = book(here / "a.xlsx", sections=[*SECTION_ROWS, [3, "空的", "活動", None]])
    assert run_cli("validate", path).code == 0
    assert run_cli("validate", path, "--strict").code == 1
    assert run_cli("build", path, "--strict", "-o", here / "o.docx").code == 1
    assert not (here / "o.docx").exists()


@pytest.mark.slow  # a child process
def test_pdf_and_odt_say_something_clear_when_libreoffice_is_missing(here, monkeypatch):
    monkeypatch.setenv("PATH", str(here / "nobin"))
    path = book(here / "a.xlsx")
    done = subprocess.run([sys.executable, "-m", "reportgen", "build", str(path), "-o", str(here / "o.docx"),
                           "--pdf"], capture_output=True, text=True, encoding="utf-8", cwd=here,
                          env={**os.environ, "PATH": str(here / "nobin")})
    assert (here / "o.docx").is_file()  # the .docx is written; the PDF could not be
    assert done.returncode == 2
    assert "LibreOffice" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_pdf_and_odt_are_written_when_libreoffice_is_installed(here):
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice not installed")
    path = book(here / "a.xlsx")
    result = run_cli("build", path, "-o", here / "o.docx", "--pdf", "--odt")
    assert result.code == 0, result.err
    assert (here / "o.pdf").is_file() and (here / "o.odt").is_file()


def test_serve_help_names_host_and_port(here):
    """`serve --help` works; the rest of serve is exercised by the web tests."""
    result = run_cli("serve", "--help")
    assert result.code == 0
    assert "--host" in result.out and "--port" in result.out


def test_a_path_through_a_missing_folder_and_dot_dot_protects_what_it_reaches(here):
    """§6 resolved paths compared: `x/../a.xlsx` (x missing) reaches a.xlsx once x is created."""
    import docx

    path = book(here / "a.xlsx")
    before = sha(path)
    assert run_cli("validate", path, "--report", here / "x" / ".." / "a.xlsx").code == 2
    assert run_cli("init", here / "y" / ".." / "a.xlsx").code == 2
    assert sha(path) == before
    edited = here / "edited.docx"
    assert run_cli("build", path, "-o", edited).code == 0
    document = docx.Document(str(edited))
    document.paragraphs[-1].text += "（校訂）"
    document.save(str(edited))
    kept = sha(edited)
    assert run_cli("build", path, "-o", here / "z" / ".." / "edited.docx").code == 2
    assert sha(edited) == kept


# --------------------------------------------------------------------------- deeper cases

def test_settings_from_one_workbook_sections_from_another(here):
    """§2: 報告設定 and 章節 each from exactly one workbook — not necessarily the same one."""
    folder = here / "in"
    book(folder / "a設定.xlsx", {"章節": None, "活動": None, "訪賓": None})
    book(folder / "b章節.xlsx", {"報告設定": None})
    result, text = validate(folder)
    assert result.code == 0, text
    assert preview(folder)[:3] == ["貳拾陸、國際事務", "一、交流專案", "(一) 視訊會議"]


def test_settings_written_differently_but_equal_are_identical(here):
    """§2 'identical where repeated': the same values in other date/number forms."""
    folder = here / "in"
    book(folder / "a.xlsx")
    book(folder / "b.xlsx", settings=[("章次", "26"), ("章名", " 國際事務"), ("期間起", "110-07-01"),
                                      ("期間迄", dt.datetime(2021, 12, 31))],
         activities=[[1, "第二本", "110/10/1", None, "乙。", None, None]], visits=[])
    result, text = validate(folder)
    assert result.code == 0, text


def test_no_settings_anywhere_is_an_error(here):
    folder = here / "in"
    book(folder / "a.xlsx", {"報告設定": None, "章節": None})
    result, text = validate(folder)
    assert result.code == 1
    assert any("報告設定" in e for e in problem_lines(text, "錯誤")), text


def test_upper_case_extension_and_xlsm_and_ods_in_a_folder(here):
    folder = here / "in"
    book(folder / "A.XLSX", activities=[[1, "大寫副檔名", "110/9/1", None, "甲。", None, None]])
    book(folder / "b.xlsm", {"報告設定": None, "章節": None}, visits=[],
         activities=[[1, "巨集活頁簿", "110/9/2", None, "乙。", None, None]])
    result, text = validate(folder)
    assert result.code == 0, text
    items = [x for x in preview(folder) if ITEM_LABEL.match(x)]
    assert items == ["(一) 大寫副檔名", "(二) 巨集活頁簿"]


def test_the_ods_example_gives_the_same_chapter(here):
    ods = REPO / "tests" / "fixtures" / "範例_110年下半年_國際事務.ods"
    assert is_expected_chapter(preview(ods))


def test_a_folder_without_workbooks_is_a_clear_error(here):
    (here / "empty").mkdir()
    result = run_cli("build", here / "empty", "-o", here / "o.docx")
    assert result.code == 2
    assert "empty" in result.out + result.err
    assert not (here / "o.docx").exists()


def test_a_left_out_row_alone_is_not_an_error(here):
    path = book(here / "a.xlsx", activities=[ACTIVITY_ROWS[0], [None, None, None, None, None, "否", None]])
    result, text = validate(path)
    assert result.code == 0, text


@pytest.mark.parametrize(("typed", "shown"), [
    ("京都_x004a_市", "京都J市"),
    ("_x4EAC__x90FD_", "京都"),
    ("會議, 討論", "會議，討論"),
    ("甲 乙 丙", "甲乙丙"),
    ("「展覽」 開幕", "「展覽」開幕"),
    ("2021 亞太城市高峰會", "2021 亞太城市高峰會"),
    ("COVID-19 快篩", "COVID-19 快篩"),
])
def test_more_single_line_normalization(here, typed, shown):
    assert _title_after(here, typed)[2] == f"(一) {shown}"


@pytest.mark.parametrize(("typed", "day"), [
    ("１１０／９／８", 8), ("110 / 9 / 8", 8), ("110年 9月 8日", 8), (" 110/9/8 ", 8),
    ("110/9/8\n", 8), ("民國１１０年９月８日", 8), ("１１００９０８", 8),
])
def test_date_forms_typed_with_a_chinese_input_method(here, typed, day):
    path = book(here / "a.xlsx", activities=[
        [1, "早", "110/9/7", None, "早。", None, None],
        [1, "目標", typed, None, "110年9月8日。", None, None],
        [1, "晚", "110/9/9", None, "晚。", None, None]])
    _result, text = validate(path)
    assert problem_lines(text, "錯誤") == [], text
    items = [x for x in preview(path) if ITEM_LABEL.match(x)]
    assert items == ["(一) 早", "(二) 目標", "(三) 晚"]


def test_month_rows_and_the_period(here):
    path = book(here / "a.xlsx", activities=[
        [1, "六月到七月", "110/6", "110/7", "跨期。", None, None],
        [1, "十二月", "110年12月", None, "年底。", None, None],
        [1, "只在六月", "110/6", "110/6", "期前。", None, None]])
    result, text = validate(path)
    assert result.code == 1
    errors = problem_lines(text, "錯誤")
    assert len(errors) == 1 and "活動!" in errors[0] and re.search(r"活動![A-Z]+4", errors[0]), text


def test_a_content_date_inside_a_month_row_does_not_warn(here):
    path = book(here / "a.xlsx", activities=[
        [1, "九月系列", "110/9", None, "110年9月18日起陸續辦理。", None, None],
        [1, "九月至十月", "110/9", "110/10", "110年10月31日閉幕。", None, None]])
    result, text = validate(path)
    assert result.code == 0, text
    assert problem_lines(text, "警告") == [], text


def test_a_content_date_with_full_width_digits_outside_the_row_warns(here):
    path = book(here / "a.xlsx", activities=[[1, "會議", "110/9/8", None, "１１０年９月１８日舉行。", None, None]])
    result, text = validate(path)
    assert result.code == 0
    assert any("活動!E2" in w for w in problem_lines(text, "警告")), text
    assert preview(path)[3] == "110年9月18日舉行。"


@pytest.mark.parametrize("intro", ["{{ None }}", "{{ none }}", "{{ true }}", "{{ 案數 is defined }}",
                                   "{{ [1, 2] }}", "{{ 期間 == 年度 }}", "{{ not 案數 }}"])
def test_more_values_that_are_not_placeholders_are_errors(here, intro):
    _, (result, text) = _intro_lines(here, f"前{intro}後")
    assert result.code == 1, text
    assert any("章節!D2" in e for e in problem_lines(text, "錯誤")), text


def test_unknown_name_in_a_condition_lists_the_names(here):
    _, (result, text) = _intro_lines(here, "{% if 未知 %}有{% endif %}")
    assert result.code == 1
    errors = [e for e in problem_lines(text, "錯誤") if "章節!D2" in e]
    assert errors and "案數" in errors[0] and "未知" in errors[0], text


def test_intro_paragraphs_and_placeholders_together(here):
    path, (result, text) = _intro_lines(here, "第一段{{ 年度 }}年。\n\n第二段{{ 案數 }}案。",
                                        visits=PLACEHOLDER_VISITS)
    assert result.code == 0, text
    assert preview(path)[2:4] == ["第一段110年。", "第二段3案。"]


def test_headings_keep_with_next_and_chapter_starts_a_page(built):
    styles = docx_xml(built, "word/styles.xml")

    def style(style_id: str) -> str:
        match = re.search(rf'<w:style [^>]*w:styleId="{style_id}".*?</w:style>', styles, re.S)
        assert match, style_id
        return match.group(0)
    for sid in ("Heading1", "Heading2", "Heading3"):
        assert "<w:keepNext/>" in style(sid) or '<w:keepNext w:val="1"/>' in style(sid)
    assert re.search(r"<w:pageBreakBefore(?: w:val=\"(?:1|true|on)\")?/>", style("Heading1"))
    first = re.search(r"<w:p>.*?</w:p>", docx_xml(built), re.S).group(0)  # the chapter heading
    assert '<w:pStyle w:val="Heading1"/>' in first


def test_styles_used_are_self_contained(built):
    styles = docx_xml(built, "word/styles.xml")
    document = docx_xml(built)
    used = set(re.findall(r'<w:pStyle w:val="([^"]+)"/>', document))
    assert {"Heading1", "Heading2", "Heading3"} <= used
    for sid in used:
        match = re.search(rf'<w:style [^>]*w:styleId="{sid}".*?</w:style>', styles, re.S)
        assert match, sid
        text = match.group(0)
        for tag in ("<w:rFonts ", "<w:sz ", "<w:spacing ", "<w:jc ", "<w:ind "):
            assert tag in text, (sid, tag)
        assert 'w:eastAsia="標楷體"' in text, sid


def _hanging(path: Path, style_id: str) -> tuple[int, int | None]:
    styles = docx_xml(path, "word/styles.xml")
    text = re.search(rf'<w:style [^>]*w:styleId="{style_id}".*?</w:style>', styles, re.S).group(0)
    ind = re.search(r'<w:ind [^>]*w:hanging="(\d+)"', text)
    tab = re.search(r'<w:tab w:val="left" w:pos="(\d+)"', text)
    left = re.search(r'<w:ind [^>]*w:left="(\d+)"', text)
    assert ind and left, text
    if tab:
        assert int(tab.group(1)) == int(left.group(1)), "a hanging indent needs its tab stop"
    return int(ind.group(1)), int(tab.group(1)) if tab else None


def test_hanging_indent_fits_the_widest_label(here):
    one = book(here / "one.xlsx")
    many = book(here / "many.xlsx", activities=[
        [1, f"活動{n}", f"110/9/{n}", None, f"內容{n}。", None, None] for n in range(1, 23)])
    assert run_cli("build", one, "-o", here / "one.docx").code == 0
    assert run_cli("build", many, "-o", here / "many.docx").code == 0
    assert _hanging(here / "many.docx", "Heading3")[0] > _hanging(here / "one.docx", "Heading3")[0]


@pytest.mark.slow
def test_build_is_deterministic_across_time(here):
    import time

    path = book(here / "a.xlsx")
    assert run_cli("build", path, "-o", here / "one.docx").code == 0
    time.sleep(1.1)
    assert _subprocess(here, "build", path, "-o", here / "two.docx").returncode == 0
    assert sha(here / "one.docx") == sha(here / "two.docx")


def _template_with(here: Path, name: str, change) -> Path:
    target = here / name
    with zipfile.ZipFile(REPO / "templates" / "report.docx") as src, \
            zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, change(info.filename, src.read(info.filename)))
        extra = change("", b"")
        if extra:
            for part, data in extra:
                dst.writestr(part, data)
    return target


def test_template_thumbnail_and_custom_xml_are_warnings(here):
    def add(name, data):
        if name == "":
            return [("docProps/thumbnail.jpeg", b"\xff\xd8\xff\xe0 fake"),
                    ("customXml/item1.xml", b"<?xml version='1.0'?><root/>")]
        return data
    template = _template_with(here, "extra.docx", add)
    result = run_cli("template", template)
    assert result.code == 0, result.out + result.err
    text = result.out + result.err
    assert "含有範本的縮圖" in text and "含有自訂 XML 資料" in text
    assert "警告 2 項，仍可使用" in text


def test_template_page_not_a4_is_a_warning(here):
    def letter(name, data):
        if name == "word/document.xml":
            return re.sub(rb'<w:pgSz [^>]*/>', b'<w:pgSz w:w="12240" w:h="15840"/>', data)
        return data if name else None
    template = _template_with(here, "letter.docx", letter)
    result = run_cli("template", template)
    assert result.code == 0, result.out + result.err
    assert "A4" in result.out + result.err


def test_template_east_asian_font_unset_is_a_warning(here):
    def unset(name, data):
        if name == "word/styles.xml":
            return data.replace('w:eastAsia="標楷體"'.encode(), b"")
        return data if name else None
    template = _template_with(here, "nofont.docx", unset)
    result = run_cli("template", template)
    assert result.code == 0, result.out + result.err
    assert "字型" in result.out + result.err


def test_template_that_is_not_a_docx_exits_2(here):
    path = book(here / "a.xlsx")
    result = run_cli("template", path)
    assert result.code == 2
    (here / "x.docx").write_text("plain text")
    assert run_cli("template", here / "x.docx").code == 2
    assert run_cli("build", path, "--template", here / "x.docx", "-o", here / "o.docx").code == 2


def test_read_only_output_and_long_names_state_their_reason(here):
    path = book(here / "a.xlsx")
    out = here / "ro.docx"
    assert run_cli("build", path, "-o", out).code == 0
    out.chmod(0o444)
    result = run_cli("build", path, "-o", out)
    assert result.code == 2
    assert "唯讀" in result.out + result.err
    out.chmod(0o644)
    result = run_cli("build", path, "-o", here / ("長" * 120 + ".docx"))
    assert result.code == 2
    assert "過長" in result.out + result.err


def test_report_to_a_folder_is_refused_with_its_reason(here):
    path = book(here / "a.xlsx")
    (here / "out").mkdir()
    result = run_cli("validate", path, "--report", here / "out")
    assert result.code == 2
    assert "資料夾" in result.out + result.err


def test_init_rejects_a_bad_period_and_a_missing_source(here):
    result = run_cli("init", here / "n.xlsx", "--period", "111/1/1-110/6/30")
    assert result.code == 2
    assert not (here / "n.xlsx").exists()
    result = run_cli("init", here / "n.xlsx", "--period", "明年")
    assert result.code == 2
    result = run_cli("init", here / "n.xlsx", "--from", here / "missing.xlsx")
    assert result.code == 2
    assert not (here / "n.xlsx").exists()


def test_init_period_with_months(here):
    assert run_cli("init", here / "n.xlsx", "--period", "111/1-111/6").code == 0
    settings = dict(r[:2] for r in load_workbook(here / "n.xlsx")["報告設定"].iter_rows(values_only=True))
    assert str(settings["期間起"]) in ("111/1/1", "111/1", "2022-01-01 00:00:00")
    assert str(settings["期間迄"]) in ("111/6/30", "111/6", "2022-06-30 00:00:00")


def test_init_workbook_has_guide_formats_and_dropdowns(here):
    assert run_cli("init", here / "n.xlsx", "--period", "111/1/1-111/6/30").code == 0
    wb = load_workbook(here / "n.xlsx")
    assert wb.sheetnames[0] == "填寫說明" or "填寫說明" in wb.sheetnames
    guide = " ".join(str(c.value) for row in wb["填寫說明"].iter_rows() for c in row if c.value)
    assert "110/9/8" in guide  # the date forms are shown with the example date
    for name in ("活動", "訪賓", "章節"):
        ws = wb[name]
        assert ws.freeze_panes == "A2", name
        assert any(d.width and d.width > 8 for d in ws.column_dimensions.values()), name
    heads = [c.value for c in wb["訪賓"][1]]
    assert wb["訪賓"].column_dimensions["A"].number_format == "@"  # dates typed stay as typed
    assert heads.index("日期") == 0


def test_a_visit_section_that_would_print_only_its_heading_warns(here):
    path = book(here / "a.xlsx", sections=[[1, "交流專案", "活動", None], [2, "國際訪賓", "訪賓", None]],
                visits=[["110/9/10", None, "日本京都市", "門川大作市長", 5, None, "否", None]])
    result, text = validate(path)
    assert result.code == 0, text
    assert any(re.search(r"章節![A-Z]+3", w) for w in problem_lines(text, "警告")), text
    only_intro = book(here / "b.xlsx", sections=[[1, "交流專案", "活動", None],
                                                 [2, "國際訪賓", "訪賓", "主要訪團為："]],
                      visits=[["110/9/10", None, "日本京都市", "門川大作市長", 5, None, "否", None]])
    result, text = validate(only_intro)
    assert any(re.search(r"章節![A-Z]+3", w) for w in problem_lines(text, "警告")), text
    assert preview(only_intro)[-1] == "二、國際訪賓"


def test_an_activity_section_whose_rows_are_all_left_out_warns(here):
    path = book(here / "a.xlsx", activities=[[1, "草稿", "110/9/8", None, "x。", "否", None]])
    result, text = validate(path)
    assert result.code == 0, text
    assert any(re.search(r"章節![A-Z]+2", w) for w in problem_lines(text, "警告")), text


def test_a_text_section_whose_intro_renders_empty_warns(here):
    _path, (result, text) = _intro_lines(here, "{% if 案數 > 100 %}很多{% endif %}", visits=PLACEHOLDER_VISITS)
    assert result.code == 0, text
    assert any(re.search(r"章節![A-Z]+2", w) for w in problem_lines(text, "警告")), text


def test_a_text_intro_ending_with_a_colon(here):
    path = book(here / "a.xlsx", sections=[[1, "說明", "文字", "說明如下:"], *[
        [2, "交流專案", "活動", None]]],
        activities=[[2, "會議", "110/9/8", None, "x。", None, None]], visits=[])
    _result, text = validate(path)
    assert problem_lines(text, "錯誤") == [], text
    _assert_no_dangling_colon(preview(path))
    last = book(here / "b.xlsx", sections=[[1, "說明", "文字", "說明如下："]], activities=[], visits=[])
    _assert_no_dangling_colon(preview(last))


@pytest.mark.parametrize(("typed", "shown"), [
    ("主題:Smart City", "主題：Smart City"),
    ("Smart City:高雄", "Smart City：高雄"),
    ("Mayors'　Forum", "Mayors' Forum"),
    ("日本  Kyoto 市", "日本 Kyoto 市"),
    ("甲\t乙", "甲乙"),
    ("日本\u00a0京都", "日本京都"),
])
def test_punctuation_and_spaces_around_latin(here, typed, shown):
    assert _title_after(here, typed)[2] == f"(一) {shown}"


def test_windows_line_breaks_in_content(here):
    lines = _title_after(here, "標題", "第一段前半_x000D_\n第一段後半。_x000D_\n_x000D_\n第二段。")
    assert lines[3:5] == ["第一段前半第一段後半。", "第二段。"]
    lines = _title_after(here, "標題", "第一段。\r\n\r\n第二段。")
    assert lines[3:5] == ["第一段。", "第二段。"]


@pytest.mark.parametrize(("value", "ok"), [(1100908, True), (5.0, True), ("110/2/29", False),
                                           ("109/2/29", None)])
def test_numbers_typed_into_general_cells(here, value, ok):
    if ok is None:  # 109/2/29 exists (2020 is a leap year) but lies outside the period
        path = book(here / "a.xlsx", activities=[[1, "會議", value, None, "x。", None, None]])
        result, text = validate(path)
        assert not any("有效的日期" in e or "不存在" in e for e in problem_lines(text, "錯誤")), text
        return
    if isinstance(value, float):
        path = book(here / "a.xlsx", visits=[["110/9/10", None, "日本京都市", "門川大作市長", value, None, "是", None]],
                    settings=[("章次", 26.0), *SETTINGS_ROWS[1:]],
                    sections=[[1.0, "交流專案", "活動", None], [2.0, "國際訪賓", "訪賓", VISIT_INTRO]],
                    activities=[[1.0, "會議", "110/9/8", None, "x。", None, None]])
    else:
        path = book(here / "a.xlsx", activities=[[1, "會議", value, None, "110年9月8日。", None, None]])
    result, text = validate(path)
    assert (result.code == 0) is ok, text
    if ok:
        assert problem_lines(text, "警告") == [], text


def test_an_end_month_covers_its_month(here):
    path = book(here / "a.xlsx", activities=[[1, "會議", "110/9/15", "110/9", "110年9月20日。", None, None]])
    result, text = validate(path)
    assert result.code == 0, text
    assert problem_lines(text, "警告") == [], text


def test_duplicates_are_found_after_normalization(here):
    path = book(here / "a.xlsx", activities=[
        [1, "視訊會議", "110/9/8", None, "一。", None, None],
        [1, "視訊 會議", "2021-09-08", None, "二。", None, None]],
        visits=[["110/9/10", None, "日本京都市", "門川大作市長", 5, None, None, None],
                ["1100910", None, "日本 京都市", "某人", 2, None, None, None]])
    result, text = validate(path)
    assert result.code == 1
    errors = problem_lines(text, "錯誤")
    assert any("活動" in e and "2" in e and "3" in e for e in errors), text
    assert any("訪賓" in e and "2" in e and "3" in e for e in errors), text


def test_a_left_out_duplicate_is_not_an_error(here):
    path = book(here / "a.xlsx", activities=[ACTIVITY_ROWS[0], [1, "視訊會議", "110/9/8", None, "舊稿。", "否", None]])
    result, text = validate(path)
    assert result.code == 0, text


def test_summary_counts_rows_left_out(here):
    path = book(here / "a.xlsx", activities=[ACTIVITY_ROWS[0], [1, "草稿甲", "110/9/9", None, "x。", "否", None],
                                            [1, "草稿乙", "110/9/9", None, "x。", "否", None]])
    result = run_cli("build", path, "-o", here / "o.docx")
    assert result.code == 0
    assert "；2 項活動標為不列入報告；" in result.out, result.out


def test_choices_tolerate_spaces(here):
    path = book(here / "a.xlsx", sections=[[1, "交流專案", " 活動 ", None], [2, "國際訪賓", "訪賓　", VISIT_INTRO]],
                visits=[["110/9/10", None, "日本京都市", "門川大作市長", 5, " 視訊", "是 ", None]])
    result, text = validate(path)
    assert result.code == 0, text
    assert preview(path)[-1] == "日本京都市門川大作市長(視訊)等。"


def test_settings_are_read_from_columns_a_and_b(here):
    """§2 報告設定: column A 項目, column B 內容 — by position (the spec names the columns)."""
    path = book(here / "a.xlsx", {"報告設定": [list(r) for r in SETTINGS_ROWS]})  # no header row
    assert preview(path)[0] == "貳拾陸、國際事務"
    path = book(here / "b.xlsx", {"報告設定": [["項目", "內容", "我的說明"],
                                             *[[*r, "備忘"] for r in SETTINGS_ROWS], ["承辦人", "王小明"]]})
    result, text = validate(path)
    assert result.code == 0, text


@pytest.mark.parametrize(("start", "end", "period", "full"), [
    ("110/1/1", "110/6/30", "1月至6月", "110年1月至6月"),
    ("110/1/1", "110/12/31", "1月至12月", "110年1月至12月"),
    # a period not aligned to months prints its days (the spec is silent; nothing is invented)
    ("110/7/15", "110/12/20", "7月15日至12月20日", "110年7月15日至12月20日"),
    ("2021-07-01", "2022/6/30", "110年7月至111年6月", "110年7月至111年6月"),
])
def test_period_placeholders(here, start, end, period, full):
    settings = [*SETTINGS_ROWS[:2], ("期間起", start), ("期間迄", end)]
    path, _ = _intro_lines(here, "{{ 期間 }}|{{ 期間全稱 }}|{{ 年度 }}", visits=[], settings=settings)
    assert preview(path)[2] == f"{period}|{full}|110"


def test_preview_and_validate_default_to_inputs(here):
    book(here / "inputs" / "a.xlsx")
    assert run_cli("validate").code == 0
    assert run_cli("preview").out.splitlines()[0] == "貳拾陸、國際事務"


def test_report_for_an_unreadable_input_writes_nothing(here):
    (here / "junk.xlsx").write_bytes(b"not a workbook")
    result = run_cli("validate", here / "junk.xlsx", "--report", here / "r.xlsx")
    assert result.code == 2
    assert not (here / "r.xlsx").exists()


IDEMPOTENT_CASES = [
    "A , 中", "中 , A", "中 ,中", "中( A )中", "（ 中 ）", "中 : A", "a:b", "中 ! ! 中", "「 中 」",
    "中 。 A", "1 , 000中", "中\u3000\u3000中", "Ａ　中", "中 - 中", "中　(視訊)", "(中)",
    "中 ( 中 ) 中", "中,,中", "中 ,, A", "A ;中", "中?A", "Mayors' Forum 中", "中 ( Karol Galek ) 中",
    "中 ,", ", 中", "中 ：", "A　:　中", "中（A）,中", "中 ! ", "中 ; ; 中",
]


@pytest.mark.parametrize("parens", ["半形", "全形"])
def test_normalization_is_idempotent(here, parens):
    """§4: normalizing what normalization produced changes nothing."""
    settings = [*SETTINGS_ROWS, ("括號", parens)]

    def titles(values: list[str], name: str) -> list[str]:
        acts = [[1, v, f"110/9/{i}", None, f"{v}。", None, None] for i, v in enumerate(values, start=1)]
        path = book(here / name, activities=acts, settings=settings)
        lines = preview(path)
        return [x.split(" ", 1)[1] for x in lines if ITEM_LABEL.match(x)]
    once = titles(IDEMPOTENT_CASES, "once.xlsx")
    assert len(once) == len(IDEMPOTENT_CASES)
    twice = titles(once, "twice.xlsx")
    assert twice == once


def test_a_file_reached_through_a_link_is_read_once(here):
    path = book(here / "in" / "a.xlsx")
    link = here / "link.xlsx"
    link.symlink_to(path)
    result, text = validate(here / "in", link)
    assert result.code == 0, text


@pytest.mark.slow
def test_serve_checks_an_upload_and_the_docx_matches_build(here):
    """§6 serve: loopback by default; upload → problems and chapter; the .docx equals `build`'s."""
    import socket
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "reportgen", "serve", "--port", str(port)],
                              cwd=here, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                home = httpx.get(base + "/", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("serve did not start")
        assert home.status_code == 200 and "活頁簿" in home.text
        with open(EXAMPLE, "rb") as handle:
            answer = httpx.post(base + "/check", files={"workbooks": (EXAMPLE.name, handle.read())}, timeout=60,
                                follow_redirects=True)  # post/redirect/get: the result has its own address
        assert answer.status_code == 200 and "/result/" in str(answer.url)
        assert "貳拾陸、國際事務" in answer.text
        link = re.search(r'href="(/download/[^"]+/docx)"', answer.text)
        assert link, answer.text[:2000]
        web_docx = httpx.get(base + link.group(1), timeout=30).content
        assert run_cli("build", EXAMPLE, "-o", here / "cli.docx").code == 0
        assert web_docx == (here / "cli.docx").read_bytes()
        bad = book(here / "bad.xlsx", activities=[[1, "會議", "110/2/30", None, "x。", None, None]])
        answer = httpx.post(base + "/check", files={"workbooks": ("bad.xlsx", bad.read_bytes())}, timeout=60,
                            follow_redirects=True)
        assert "活動!C2" in answer.text and "110/2/30" in answer.text
    finally:
        server.terminate()
        server.wait(timeout=10)


def _style_xml(path: Path, style_id: str) -> str:
    styles = docx_xml(path, "word/styles.xml")
    match = re.search(rf'<w:style [^>]*w:styleId="{style_id}".*?</w:style>', styles, re.S)
    assert match, style_id
    return match.group(0)


def test_body_aligned_under_titles_and_intro_kept_with_its_list(built):
    import docx

    def left(style_id: str) -> int:
        return int(re.search(r'<w:ind [^>]*w:left="(\d+)"', _style_xml(built, style_id)).group(1))
    paragraphs = docx_paragraphs(built)
    by_text = {p.text.replace("\t", " "): p.style.style_id for p in paragraphs}
    item, body = by_text["(一) 視訊會議"], by_text["第一段。"]
    assert left(body) == left(item)  # body text starts where the item's title starts
    intro = by_text["7月至12月計1案、5人到訪。主要訪團代表為："]
    assert "<w:keepNext/>" in _style_xml(built, intro) or '<w:keepNext w:val="1"/>' in _style_xml(built, intro)
    del docx


def test_init_dropdowns_cover_every_choice_column(here):
    assert run_cli("init", here / "n.xlsx", "--period", "111/1/1-111/6/30").code == 0
    wb = load_workbook(here / "n.xlsx")
    wanted = {"章節": {"類型": {"活動", "訪賓", "文字"}},
              "活動": {"列入報告": {"是", "否"}},
              "訪賓": {"形式": {"實體", "視訊"}, "主要訪團": {"是", "否"}}}
    for sheet, columns in wanted.items():
        ws = wb[sheet]
        heads = {c.value: c.column_letter for c in ws[1]}
        for header, choices in columns.items():
            cell = f"{heads[header]}2"
            lists = [str(dv.formula1) for dv in ws.data_validations.dataValidation
                     if dv.type == "list" and cell in dv.sqref]
            assert lists and all(choice in lists[0] for choice in choices), (sheet, header, lists)
