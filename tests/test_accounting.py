"""Every non-empty cell is accounted for (SPEC §2, issue 19): read into the chapter, in a place
staff were told is not read, or named by a warning or an error.

One test per general rule, then the invariant over an exhaustive set of placements.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook

from helpers import ACTIVITIES, HEADERS, SECTIONS, SETTINGS, THOROUGH, VISITS, write_workbook
from reportgen import api
from reportgen.read.accounting import header_name, resembled, tab_resemblance

MARK = "記號甲乙丙"


def _load(path: Path):
    outcome = api.load([path])
    text = api.preview_text(outcome) if outcome.report is not None else ""
    return outcome, text


def _codes_at(outcome, sheet: str | None = None) -> list[tuple[str, str, str]]:
    return [(p.code, p.location.sheet, p.location.cell) for p in outcome.problems
            if sheet is None or p.location.sheet == sheet]


def _edit(path: Path, change) -> Path:
    book = load_workbook(path)
    change(book)
    book.save(path)
    return path


# --- annotated headers --------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "name"), [
    ("列入報告(是/否)", "列入報告"), ("形式\n(實體/視訊)", "形式"), ("人數（人）", "人數"),
    ("日期：", "日期"), ("日期:", "日期"), (" 標題 [必填]", "標題"), ("章次【1-999】", "章次"),
    ("開 始 日 期", "開始日期"), ("ＡＢＣ", "ABC"), ("(是/否)", ""), ("", ""), (None, ""),
])
def test_header_name_drops_the_annotation(typed, name):
    assert header_name(typed) == name


def test_annotated_headers_are_read(tmp_path):
    """The issue's cases: a 否 row under `列入報告(是/否)` is left out; `形式⏎(實體/視訊)` keeps (視訊)."""
    head = dict(HEADERS)
    head["活動"] = ["節次", "標題", "開始日期", "結束日期", "內容", "列入報告(是/否)", "備註"]
    head["訪賓"] = ["日期：", "國家或地區", "單位", "代表", "人數（人）", "形式\n(實體/視訊)", "主要訪團", "備註"]
    path = write_workbook(tmp_path / "a.xlsx", headers=head, activities=[
        *ACTIVITIES, {"節次": 1, "標題": "機密會談", "開始日期": "110/9/9", "內容": "不得公開。",
                      "列入報告(是/否)": "否"}],
        visits=[{**VISITS[0], "日期：": "110/9/10", "人數（人）": 5, "形式\n(實體/視訊)": "視訊"}],
        sections=[SECTIONS[0], {**SECTIONS[1], "前言": "計{{ 視訊案數 }}案視訊。主要訪團為："}])
    outcome, text = _load(path)
    assert outcome.problems.flatten() == []
    assert "機密會談" not in text and "不得公開" not in text
    assert "計1案視訊。" in text and "日本京都市門川大作市長(視訊)等。" in text


def test_a_setting_with_a_colon_is_read_at_its_cell(tmp_path):
    path = write_workbook(tmp_path / "a.xlsx", settings={"章次：": 26, "章名(本章)": "國際事務",
                                                          "期間起": "110/7/1", "期間迄": "110/12/31"})
    outcome, text = _load(path)
    assert outcome.problems.flatten() == []
    assert text.splitlines()[0] == "貳拾陸、國際事務"
    path = write_workbook(tmp_path / "b.xlsx", settings={"章次：": "abc", "章名": "國際事務",
                                                          "期間起": "110/7/1", "期間迄": "110/12/31"})
    assert _codes_at(api.load([path])) == [("bad-number", "報告設定", "B2")]


# --- unread columns that look read --------------------------------------------------------------

@pytest.mark.parametrize(("header", "known"), [
    ("活動標題", "標題"), ("列入報告狀態", "列入報告"), ("內容摘要", "內容"), ("開始日期2", "開始日期"),
])
def test_an_unread_column_containing_a_known_header_is_a_warning(tmp_path, header, known):
    head = {**HEADERS, "活動": [*HEADERS["活動"], header]}
    path = write_workbook(tmp_path / "a.xlsx", headers=head,
                          activities=[{**ACTIVITIES[0], header: MARK}, {**ACTIVITIES[0], "標題": "二"}])
    outcome, _text = _load(path)
    [problem] = outcome.problems
    assert (problem.code, problem.location.sheet, problem.location.cell) == ("unread-column", "活動", "H1")
    assert f"含有「{known}」" in problem.message and "H 欄第 2 列的資料不會讀取" in problem.message
    assert not problem.is_error


@pytest.mark.parametrize("header", ["列入報告備註", "備註二", "我的筆記", "承辦人"])
def test_notes_and_unrelated_columns_are_not_warned_about(tmp_path, header):
    head = {**HEADERS, "活動": [*HEADERS["活動"], header]}
    path = write_workbook(tmp_path / "a.xlsx", headers=head, activities=[{**ACTIVITIES[0], header: MARK}])
    assert api.load([path]).problems.flatten() == []


def test_resembled_prefers_the_longest_known_name():
    known = {"開始日期": "開始日期", "日期": "日期"}
    assert resembled("新開始日期", known) == "開始日期"
    assert resembled("日期", known) is None  # it is the header
    assert resembled("日期備註", known) is None


def test_data_in_a_column_without_a_header_is_a_warning(tmp_path):
    path = write_workbook(tmp_path / "a.xlsx")
    _edit(path, lambda book: book["活動"].cell(row=2, column=9, value=MARK))
    outcome, _text = _load(path)
    assert _codes_at(outcome) == [("unnamed-column", "活動", "I2")]
    assert "I 欄沒有欄名，第 2 列的資料不會讀取" in outcome.problems[0].message


@pytest.mark.parametrize(("sheet", "header", "known", "value"), [
    ("活動", "(選填)結束日期", "結束日期", "110/9/9"), ("訪賓", "【選填】形式", "形式", "視訊"),
    ("訪賓", "(實體/視訊)\n形式", "形式", "視訊"),
])
def test_a_header_whose_annotation_comes_first_is_named_not_dropped(tmp_path, sheet, header, known, value):
    """SPEC §2 matches an annotation after the name; one before it matches nothing, and the column it
    heads is named by the warning rather than dropped unseen."""
    head = {**HEADERS, sheet: [header if h == known else h for h in HEADERS[sheet]]}
    rows = {"activities": [{**ACTIVITIES[0], header: value}]} if sheet == "活動" else \
        {"visits": [{**VISITS[0], header: value}]}
    outcome, _text = _load(write_workbook(tmp_path / "a.xlsx", headers=head, **rows))
    [problem] = outcome.problems
    assert (problem.code, problem.location.sheet) == ("unread-column", sheet)
    assert f"含有「{known}」" in problem.message and "第 2 列的資料不會讀取" in problem.message


@pytest.mark.parametrize(("sheet", "header", "value", "owner"), [
    ("訪賓", "列入報告", "否", "「活動」工作表的欄名"), ("活動", "項目格式", "標題接內文", "「章節」工作表的欄名"),
    ("活動", "主要訪團", "是", "「訪賓」工作表的欄名"), ("活動", "前言", MARK, "「章節」工作表的欄名"),
    ("訪賓", "標題", MARK, "「活動」工作表的欄名"), ("活動", "章名", MARK, "「報告設定」的項目名稱"),
])
def test_a_column_named_after_another_sheets_column_is_a_warning(tmp_path, sheet, header, value, owner):
    """SPEC §2: only a name matching nothing the tool reads, on any sheet, goes unread unwarned."""
    rows = {"activities": [{**ACTIVITIES[0], header: value}]} if sheet == "活動" else \
        {"visits": [{**VISITS[0], header: value}]}
    head = {**HEADERS, sheet: [*HEADERS[sheet], header]}
    outcome, text = _load(write_workbook(tmp_path / "a.xlsx", headers=head, **rows))
    [problem] = outcome.problems
    letter = "H" if sheet == "活動" else "I"
    assert (problem.code, problem.location.sheet, problem.location.cell) == (
        "unread-other-sheet-column", sheet, f"{letter}1")
    assert f"欄名「{header}」是{owner}，但「{sheet}」工作表不讀這一欄，{letter} 欄第 2 列的資料不會讀取" \
        in problem.message
    assert not problem.is_error and MARK not in text


def test_a_visit_marked_not_to_be_reported_is_counted_and_told_so(tmp_path):
    head = {**HEADERS, "訪賓": [*HEADERS["訪賓"], "列入報告"]}
    outcome, _text = _load(write_workbook(tmp_path / "a.xlsx", headers=head, visits=[{**VISITS[0], "列入報告": "否"}]))
    [problem] = outcome.problems
    assert outcome.report is not None and outcome.report.stats.cases == 1
    assert "「訪賓」沒有「列入報告」欄，每一列都會列入報告，不要列入的請刪除該列" in problem.fix


@pytest.mark.parametrize("header", ["活動日期", "主辦單位", "協辦單位", "參與人數", "活動類型"])
def test_a_column_merely_containing_another_sheets_header_is_a_note(tmp_path, header):
    """`主辦單位` on 活動 holds 訪賓's `單位`, `活動日期` its `日期`: everyday columns of this sheet, which
    staff know are not printed (SPEC §2: a column that resembles nothing *this* sheet reads is a note).
    Only another sheet's header as the whole name is one reportgen reads elsewhere (above)."""
    head = {**HEADERS, "活動": [*HEADERS["活動"], header]}
    outcome, _text = _load(write_workbook(tmp_path / "a.xlsx", headers=head,
                                          activities=[{**ACTIVITIES[0], header: "本府行政暨國際處"}]))
    assert outcome.problems.flatten() == []


def test_another_sheets_header_as_the_whole_name_gives_no_advice_to_move_the_data(tmp_path):
    """`日期` on 活動 is 訪賓's header: named, without telling staff to move activity dates to 訪賓."""
    head = {**HEADERS, "活動": [*HEADERS["活動"], "日期"]}
    outcome, _text = _load(write_workbook(tmp_path / "a.xlsx", headers=head,
                                          activities=[{**ACTIVITIES[0], "日期": "110/9/8"}]))
    [problem] = outcome.problems
    assert problem.code == "unread-other-sheet-column" and problem.location.cell == "H1"
    assert "是「訪賓」工作表的欄名" in problem.message and "請填到" not in problem.fix


def test_the_sheets_own_header_wins_over_a_shorter_one_elsewhere(tmp_path):
    head = {**HEADERS, "訪賓": [*HEADERS["訪賓"], "來訪單位"]}
    outcome, _text = _load(write_workbook(tmp_path / "a.xlsx", headers=head,
                                          visits=[{**VISITS[0], "來訪單位": MARK}]))
    assert _codes_at(outcome) == [("unread-column", "訪賓", "I1")]


def test_the_example_and_notes_columns_stay_warning_free(tmp_path):
    from helpers import EXAMPLE

    assert api.load([EXAMPLE]).problems.flatten() == []
    for sheet, rows in (("活動", "activities"), ("訪賓", "visits")):
        head = {**HEADERS, sheet: [*HEADERS[sheet], "列入報告備註", "主要訪團備註"]}
        row = {**(ACTIVITIES[0] if sheet == "活動" else VISITS[0]), "列入報告備註": MARK, "主要訪團備註": MARK}
        assert api.load([write_workbook(tmp_path / f"{sheet}.xlsx", headers=head, **{rows: [row]})]).problems == []


# --- tabs that look like a data sheet -----------------------------------------------------------

@pytest.mark.parametrize("tab", ["活動 (2)", "活動紀錄", "訪賓(下半年)", "章節 (2)", "報告設定 (2)"])
def test_a_tab_whose_name_contains_a_sheet_name_is_a_warning(tmp_path, tab):
    path = write_workbook(tmp_path / "a.xlsx")
    _edit(path, lambda book: book.copy_worksheet(book["活動"]).__setattr__("title", tab))
    outcome, text = _load(path)
    [problem] = outcome.problems
    assert problem.code == "unread-tab" and problem.location.sheet == tab
    assert f"工作表「{tab}」的名稱含有" in problem.message and "不會讀取" in problem.message
    assert text.count("(一)") == 1  # the copy is not read


def test_a_tab_whose_first_row_holds_two_headers_is_a_warning(tmp_path):
    path = write_workbook(tmp_path / "a.xlsx")

    def add(book):
        sheet = book.create_sheet("下半年")
        sheet.append(["日期", "單位", "心得"])
        sheet.append(["110/9/1", "某市", MARK])
    _edit(path, add)
    [problem] = api.load([path]).problems
    assert (problem.code, problem.location.sheet) == ("unread-tab", "下半年")
    assert "第 1 列有「訪賓」工作表的欄名（日期、單位）" in problem.message


def test_an_empty_copy_or_a_one_header_tab_is_not_warned_about(tmp_path):
    path = write_workbook(tmp_path / "a.xlsx")

    def add(book):
        book.create_sheet("活動 (2)")
        book.create_sheet("筆記").append(["日期", "心得"])
    _edit(path, add)
    assert api.load([path]).problems.flatten() == []
    assert tab_resemblance("範例說明", ["說明"]) is None


# --- 報告設定 rows ------------------------------------------------------------------------------

def test_an_unknown_setting_with_a_value_is_a_warning(tmp_path):
    path = write_workbook(tmp_path / "a.xlsx", settings={**SETTINGS, "副標題": MARK, "承辦人": None})
    outcome, _text = _load(path)
    [problem] = outcome.problems
    assert (problem.code, problem.location.cell) == ("unknown-setting", "A6")
    assert "「副標題」不是可辨識的項目，B6 的內容不會讀取" in problem.message


@pytest.mark.parametrize(("item", "shown"), [
    (5, "5"), (5.5, "5.5"), (True, "TRUE"), (dt.datetime(2021, 1, 1), "110年1月1日")])
def test_an_unknown_setting_typed_as_a_number_date_or_truth_is_quoted_as_shown(tmp_path, item, shown):
    path = write_workbook(tmp_path / "a.xlsx")
    _edit(path, lambda book: book["報告設定"].append([item, MARK]))
    [problem] = api.load([path]).problems
    assert problem.code == "unknown-setting"
    assert problem.message.startswith(f"「{shown}」不是可辨識的項目") and problem.location.header == shown


@pytest.mark.parametrize(("header", "like"), [
    ("內容(舊)", "是「報告設定」的欄名"), ("內容", "是「報告設定」的欄名"),
    ("內容2", "含有「報告設定」的欄名「內容」"), ("新內容", "含有「報告設定」的欄名「內容」"),
    ("項目2", "含有「報告設定」的欄名「項目」"), ("章次", "是「報告設定」的項目名稱"),
    ("標題", "是「活動」工作表的欄名"),
])
def test_a_settings_column_named_like_something_read_is_a_warning(tmp_path, header, like):
    """報告設定 reads A and B; a column after them named after what reportgen reads is named, as a
    data sheet's resembling column is."""
    path = write_workbook(tmp_path / "a.xlsx")

    def add(book):
        book["報告設定"]["C1"], book["報告設定"]["C2"] = header, 27
    _edit(path, add)
    outcome, text = _load(path)
    [problem] = outcome.problems
    assert (problem.code, problem.location.sheet, problem.location.cell) == (
        "unread-settings-named-column", "報告設定", "C1")
    assert f"欄名「{header}」{like}，但「報告設定」只讀 A 欄的項目與 B 欄的內容，C 欄第 2 列的資料不會讀取" \
        in problem.message
    assert not problem.is_error and text.splitlines()[0] == "貳拾陸、國際事務"


@pytest.mark.parametrize("header", ["說明", "備註", "列入報告備註", "我的筆記"])
def test_a_settings_column_named_like_nothing_read_is_a_note(tmp_path, header):
    path = write_workbook(tmp_path / "a.xlsx")

    def add(book):
        book["報告設定"]["C1"], book["報告設定"]["C2"] = header, MARK
    _edit(path, add)
    assert api.load([path]).problems.flatten() == []


def test_a_settings_value_in_an_unnamed_column_is_named_as_a_data_sheets_is(tmp_path):
    path = write_workbook(tmp_path / "a.xlsx")
    _edit(path, lambda book: book["報告設定"].cell(row=3, column=4, value=MARK))
    assert _codes_at(api.load([path])) == [("unread-settings-column", "報告設定", "D3")]


@pytest.mark.parametrize("item", ["(選填)前言", "【選填】括號"])
def test_a_setting_whose_annotation_comes_first_is_named_not_dropped(tmp_path, item):
    outcome, text = _load(write_workbook(tmp_path / "a.xlsx", settings={**SETTINGS, item: "全形"}))
    assert _codes_at(outcome) == [("unknown-setting", "報告設定", "A6")]
    assert f"「{item}」不是可辨識的項目" in outcome.problems[0].message and "全形" not in text


def test_a_value_without_a_setting_name_is_a_warning(tmp_path):
    path = write_workbook(tmp_path / "a.xlsx")
    _edit(path, lambda book: book["報告設定"].append([None, MARK]))
    assert _codes_at(api.load([path])) == [("unnamed-setting", "報告設定", "B6")]


@pytest.mark.parametrize("second", ["章次", "章次：", "章 次", "章次(本章)"])
def test_a_setting_given_twice_is_an_error_naming_both_cells(tmp_path, second):
    path = write_workbook(tmp_path / "a.xlsx")
    _edit(path, lambda book: book["報告設定"].append([second, 27]))
    outcome = api.load([path])
    assert _codes_at(outcome) == [("duplicate-setting", "報告設定", "A6")]
    assert "「章次」填了兩次（A2 與 A6）" in outcome.problems[0].message
    assert outcome.report is None


# --- the invariant ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Placement:
    """One non-empty cell added to the standard workbook (helpers.write_workbook)."""

    kind: str
    sheet: str  # the tab the cell is in
    row: int  # 1-based
    col: int  # 1-based
    header: str = ""  # a header written above it (row 1) when the placement adds a column
    setup: tuple = ()  # extra edits: ("rename", col, text), ("copy", source), ("new",)
    not_read: bool = False  # a place staff were told is not read (備註, an unrelated name)

    def __str__(self) -> str:
        return f"{self.kind} {self.sheet}!{self.row},{self.col} {self.header!r} {self.setup}"


_TABLES = {"章節": SECTIONS, "活動": ACTIVITIES, "訪賓": VISITS}
# Read for the statistics only (SPEC §2: 國家或地區 「供統計用」): read, but never printed.
_STATISTICS_ONLY = {"國家或地區"}
_ANNOTATIONS = ("{}(說明)", "{}（說明）", "{}\n(說明)", "{}：", "{}[註]", " {} ")
_UNRELATED_HEADERS = ("我的筆記", "承辦人", "Notes")
_NOTE_HEADERS = ("備註二", "列入報告備註")
_RESEMBLING_HEADERS = {"章節": ("節名稱", "前言草稿"), "活動": ("活動標題", "內容摘要"),
                       "訪賓": ("來訪單位", "代表人")}
_COPY_TABS = ("{} (2)", "{}紀錄", "{}(下半年)")
_UNRELATED_TABS = ("我的筆記", "工作表1")
_UNKNOWN_ITEMS = ("副標題", "承辦人", "章次說明", "")


def placements() -> list[Placement]:
    """Every placement the invariant is checked for (the count is reported by the test)."""
    out: list[Placement] = []
    for sheet, rows in _TABLES.items():
        head = HEADERS[sheet]
        width = len(head)
        for col, header in enumerate(head, start=1):
            note = header == "備註"
            # an existing column's header annotated, the cell in its first data row
            for form in _ANNOTATIONS:
                out.append(Placement("annotated-column", sheet, 2, col, setup=(("rename", col, form.format(header)),),
                                     not_read=note or header in _STATISTICS_ONLY))
            # a row below the table (right below, and after a gap)
            for gap in (1, 3):
                out.append(Placement("row-below", sheet, len(rows) + 1 + gap, col,
                                     not_read=note or header in _STATISTICS_ONLY))
        # an extra column: unrelated, a note, resembling a header, or without a header
        extra = [(h, True) for h in (*_UNRELATED_HEADERS, *_NOTE_HEADERS)]
        extra += [(h, False) for h in _RESEMBLING_HEADERS[sheet]] + [("", False)]
        for header, told in extra:
            for row in (2, len(rows) + 2):
                out.append(Placement("extra-column", sheet, row, width + 1, header=header, not_read=told))
    # 報告設定: an unknown 項目 with a value, and each setting given twice (plain or annotated)
    for item in _UNKNOWN_ITEMS:
        out.append(Placement("unknown-setting", "報告設定", len(SETTINGS) + 2, 2, header=item))
    for key in SETTINGS:
        for form in ("{}", "{}：", "{}(再填)"):
            out.append(Placement("repeated-setting", "報告設定", len(SETTINGS) + 2, 2, header=form.format(key)))
    # a cell in a copied tab or a new one
    for sheet in ("報告設定", *_TABLES):
        for form in _COPY_TABS:
            for row, col in ((1, 1), (2, 2), (5, 3)):
                out.append(Placement("copied-tab", form.format(sheet), row, col, setup=(("copy", sheet),)))
    for tab in _UNRELATED_TABS:
        for row, col in ((1, 1), (3, 2)):
            out.append(Placement("new-tab", tab, row, col, setup=(("new",),), not_read=True))
        out.append(Placement("new-tab-with-headers", tab, 2, 1, setup=(("new-headers", "活動"),)))
    return out


def _build(path: Path, place: Placement) -> Path:
    write_workbook(path)
    book = load_workbook(path)
    for step in place.setup:
        if step[0] == "rename":
            book[place.sheet].cell(row=1, column=step[1], value=step[2])
        elif step[0] == "copy":
            book.copy_worksheet(book[step[1]]).title = place.sheet
        elif step[0] == "new":
            book.create_sheet(place.sheet)
        elif step[0] == "new-headers":
            book.create_sheet(place.sheet).append(HEADERS[step[1]])
    sheet = book[place.sheet]
    if place.kind in ("unknown-setting", "repeated-setting"):
        sheet.cell(row=place.row, column=1, value=place.header or None)
    elif place.kind == "extra-column" and place.header:
        sheet.cell(row=1, column=place.col, value=place.header)
    sheet.cell(row=place.row, column=place.col, value=MARK)
    book.save(path)
    return path


def _accounted(outcome, text: str, place: Placement) -> bool:
    """The cell's text reaches the chapter, or a problem names its cell, its row, its column's
    header or its tab — or it lies where staff were told nothing is read."""
    if MARK in text:
        return True
    for problem in outcome.problems:
        where = problem.location
        if where.sheet != place.sheet:
            continue
        if where.row == 0 or where.row == place.row or (where.row == 1 and where.col == place.col - 1):
            return True
        if problem.code == "duplicate-setting" and f"A{place.row}" in problem.message:
            return True
    return place.not_read


_ALL = placements()


def _checked() -> list[Placement]:
    """Every placement in CI (HYPOTHESIS_PROFILE=ci); by default the first of each kind and every
    twelfth, a fixed sample of each sheet and kind, so a developer's run stays quick."""
    if THOROUGH:
        return _ALL
    kinds: set[str] = set()
    sample = []
    for index, place in enumerate(_ALL):
        if place.kind not in kinds or index % 12 == 0:
            kinds.add(place.kind)
            sample.append(place)
    return sample


def test_the_invariant_covers_every_kind_of_placement():
    kinds = {p.kind for p in _ALL}
    assert kinds == {"annotated-column", "row-below", "extra-column", "unknown-setting", "repeated-setting",
                     "copied-tab", "new-tab", "new-tab-with-headers"}
    assert len(_ALL) == len(set(_ALL)) == 258


@pytest.mark.parametrize("chunk", range(4))
def test_every_added_cell_is_accounted_for(tmp_path, chunk):
    """For each placement: the mark reaches the chapter or a problem names where it is; a
    placement staff were told is not read must not print either (the mark never leaks)."""
    failures = []
    for index, place in itertools.islice(enumerate(_checked()), chunk, None, 4):
        outcome, text = _load(_build(tmp_path / f"p{index}.xlsx", place))
        if not _accounted(outcome, text, place):
            failures.append(str(place))
        if place.not_read and place.kind in ("new-tab", "extra-column"):
            assert MARK not in text, place
    assert failures == []


def test_the_invariant_check_can_fail(tmp_path):
    """A cell in an unrelated tab is only accounted for because staff are told such tabs are not
    read: claim otherwise and the check fails, so it is no rubber stamp."""
    place = Placement("new-tab", "我的筆記", 3, 2, setup=(("new",),), not_read=False)
    outcome, text = _load(_build(tmp_path / "x.xlsx", place))
    assert not _accounted(outcome, text, place)


def test_a_blank_workbook_from_init_has_nothing_unaccounted(tmp_path):
    """init's own extras (the 填寫說明 guide, 報告設定's 說明 column) resemble nothing read."""
    from reportgen.cli import main

    assert main(["init", str(tmp_path / "blank.xlsx"), "--period", "111/1/1-111/6/30"]) == 0
    codes = {p.code for p in api.load([tmp_path / "blank.xlsx"]).problems}
    assert not codes & {"unread-tab", "unread-column", "unnamed-column", "unknown-setting", "unnamed-setting",
                        "unread-other-sheet-column", "unread-settings-named-column", "unread-settings-column"}



@pytest.mark.parametrize(("typed", "after"), [("括號：全形", "全形"), ("序號數字: 全形", "全形"),
                                             ("前言：本章說明", "本章說明")])
def test_a_value_typed_after_the_colon_of_a_blank_setting_is_said(tmp_path, typed, after):
    """SPEC §2 (every typed cell accounted for): `括號：全形` with 內容 blank reads 括號 as blank — the
    annotation after the colon is no value; a warning says so, at the cell, naming where it goes."""
    from openpyxl import load_workbook

    path = write_workbook(tmp_path / "a.xlsx")
    book = load_workbook(path)
    book["報告設定"].append([typed, None])
    book.save(path)
    outcome = api.load([path])
    [warned] = [p for p in outcome.problems if p.code == "setting-value-in-name"]
    assert warned.location.sheet == "報告設定" and warned.location.cell.startswith("A")
    assert f"「{after}」" in warned.render() and "B" in warned.render()
    assert outcome.report is not None and outcome.report.settings.parens == "半形"


def test_a_blank_setting_with_nothing_after_its_colon_is_no_warning(tmp_path):
    from openpyxl import load_workbook

    path = write_workbook(tmp_path / "a.xlsx")
    book = load_workbook(path)
    book["報告設定"].append(["括號：", None])
    book.save(path)
    assert not [p for p in api.load([path]).problems if p.code == "setting-value-in-name"]
