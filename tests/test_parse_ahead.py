"""Sheets parsed ahead on a worker thread and read when the checks first ask for them (issue 24).

Reading this way must change nothing but the time: the same problems and the same report as
reading every sheet first, each problem found before the outcome is decided, and no thread or
open workbook left behind.
"""

from __future__ import annotations

import threading
import zipfile

import pytest
from openpyxl import Workbook

from helpers import EXAMPLE, write_workbook
from helpers import VISITS as VISIT_ROWS
from reportgen import api
from reportgen.check.validate import validate_books
from reportgen.problems import Location, Problems
from reportgen.read.reader import read_workbook
from reportgen.read.table import SheetData, Sheets, WorkbookData
from reportgen.read.workbook import open_workbook
from reportgen.schema import ACTIVITIES, CHECK_ORDER, VISITS


def _parse_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "reportgen-parse"]


def _eager(paths) -> tuple[list[str], object]:
    """The outcome of reading every sheet first, then checking: what `load` must equal."""
    problems = Problems()
    books = [read_workbook(path, problems) for path in paths]
    outcome = validate_books(books, problems)
    return [problem.render() for problem in outcome.problems.sorted()], outcome.report


def _lazy(paths) -> tuple[list[str], object]:
    outcome = api.load(paths)
    return [problem.render() for problem in outcome.problems.sorted()], outcome.report


def test_a_sheet_is_read_once_when_first_asked_for():
    read: list[str] = []

    def reader(name, spec):
        return lambda: read.append(name) or SheetData(spec, "book.xlsx", [])

    sheets = Sheets()
    sheets.later(ACTIVITIES.name, reader(ACTIVITIES.name, ACTIVITIES))
    sheets.later(VISITS.name, reader(VISITS.name, VISITS))
    completed: list[Sheets] = []
    sheets.when_complete(completed.append)
    # names, membership and size come from the tab names: nothing is read for them
    assert list(sheets) == [ACTIVITIES.name, VISITS.name] and len(sheets) == 2
    assert VISITS.name in sheets and "其他" not in sheets and sheets.get("其他") is None
    assert read == [] and sheets.pending
    assert sheets[VISITS.name].spec is VISITS
    assert sheets.get(VISITS.name).spec is VISITS
    assert read == [VISITS.name] and completed == []
    sheets.complete()
    assert read == [VISITS.name, ACTIVITIES.name] and completed == [sheets] and not sheets.pending
    sheets.complete()
    assert read == [VISITS.name, ACTIVITIES.name] and completed == [sheets]


def test_a_callback_for_sheets_already_read_runs_at_once():
    sheets = Sheets()
    sheets[VISITS.name] = SheetData(VISITS, "book.xlsx", [])
    completed: list[Sheets] = []
    sheets.when_complete(completed.append)
    assert completed == [sheets]


def test_tabs_are_parsed_on_one_worker_and_each_parse_handed_over_once(tmp_path):
    path = write_workbook(tmp_path / "book.xlsx")
    with open_workbook(path) as opened:
        opened.parse_ahead([VISITS.name, ACTIVITIES.name])
        assert len(_parse_threads()) == 1
        grid = opened.sheet(VISITS.name).to_python()
        assert grid[0][0] == "日期" and len(grid) == 1 + len(VISIT_ROWS)
        again = opened.sheet(VISITS.name).to_python()  # handed over, not kept: parsed again
        assert again == grid
        assert opened.sheet(ACTIVITIES.name).to_python()[0][0] == "節次"
        assert len(_parse_threads()) == 1
    assert _parse_threads() == []


def test_calamines_error_reaches_the_caller_as_calamine_raised_it(tmp_path):
    import python_calamine

    path = write_workbook(tmp_path / "book.xlsx")
    direct = python_calamine.CalamineWorkbook.from_path(str(path))
    with pytest.raises(Exception) as expected:
        direct.get_sheet_by_name("沒有這頁")
    direct.close()
    with open_workbook(path) as opened, pytest.raises(type(expected.value)) as raised:
        opened.sheet("沒有這頁")
    assert str(raised.value) == str(expected.value)


def _large_workbook(path, rows: int):
    """One tab, 活動, of `rows` rows: its sheet XML written out directly (openpyxl would take
    seconds), so that its parse is still under way when the workbook is closed."""
    book = Workbook()
    book.active.title = ACTIVITIES.name
    book.active.append(["節次", "標題"])
    book.save(path)
    cells = "".join(f'<row r="{n}"><c r="A{n}"><v>1</v></c><c r="B{n}" t="inlineStr"><is><t>標題{n}</t></is></c></row>'
                    for n in range(2, rows + 2))
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    start = sheet.index("<sheetData>") + len("<sheetData>")
    end = sheet.index("</sheetData>")
    parts["xl/worksheets/sheet1.xml"] = (sheet[:start] + sheet[start:end] + cells + sheet[end:]).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def test_closing_while_tabs_are_still_being_parsed_leaves_no_thread(tmp_path):
    opened = open_workbook(_large_workbook(tmp_path / "big.xlsx", 60_000))
    opened.parse_ahead([ACTIVITIES.name, ACTIVITIES.name + "x"])
    worker = _parse_threads()
    assert len(worker) == 1 and worker[0].is_alive()
    opened.close()  # waits for the parse under way; the one queued behind it is dropped
    assert _parse_threads() == [] and not worker[0].is_alive()


def test_a_lazy_read_reads_a_sheet_when_the_checks_ask(tmp_path):
    path = write_workbook(tmp_path / "book.xlsx", visits=[
        {"日期": "110/8/1", "代表": "甲市長", "人數": 2, "主要訪團": "是"}],
        headers={"訪賓": ["日期", "代表", "人數", "主要訪團"]})
    problems = Problems()
    with open_workbook(path) as opened:
        data = read_workbook(opened, problems, lazy=True)
        assert list(data.sheets) == ["報告設定", "章節", "活動", "訪賓"]
        assert data.sheets.pending
        before = len(problems)
        assert len(data.sheets[VISITS.name].rows) == 1  # the missing 單位 column found only now
        assert len(problems) > before
        assert [(p.code, p.location.sheet) for p in list(problems)[before:]] == [("missing-column", VISITS.name)]
        data.sheets.complete()
        assert not data.sheets.pending


def test_the_checks_read_every_sheet_before_deciding(tmp_path):
    """A sheet the checks never asked for is still read, and its problems still count."""
    path = write_workbook(tmp_path / "book.xlsx")
    problems = Problems()
    book = read_workbook(path, problems)
    extra = WorkbookData(book.path, book.name)
    for name in book.sheets:
        extra.sheets[name] = book.sheets[name]

    def unread_sheet() -> SheetData:
        problems.add("missing-sheet", Location(book.name, "其他"), help="測試")
        return SheetData(VISITS, book.name, [])

    extra.sheets.later("其他", unread_sheet)
    outcome = validate_books([extra], problems)
    assert not extra.sheets.pending
    assert outcome.report is None and outcome.problems.errors


@pytest.mark.parametrize("case", ["example", "problems", "two books"])
def test_load_finds_what_reading_everything_first_finds(tmp_path, case):
    if case == "example":
        paths = [EXAMPLE]
    elif case == "problems":
        paths = [write_workbook(tmp_path / "book.xlsx", activities=[
            {"節次": 3, "標題": "甲", "開始日期": "110/13/8", "內容": "內容"},
            {"節次": 1, "標題": "乙", "開始日期": "110/9/9", "內容": "內容：", "列入報告": "否"},
            {"節次": 1, "標題": "丙", "開始日期": "110/9/9", "內容": "內容\u200b"}], visits=[
            {"日期": "111/8/1", "單位": "甲市", "代表": "甲市長", "人數": "兩", "主要訪團": "是"}])]
    else:
        paths = [write_workbook(tmp_path / "a.xlsx", visits=[]),
                 write_workbook(tmp_path / "b.xlsx", settings=None, sections=None, activities=None, visits=[
                     {"日期": "110/8/1", "單位": "甲市", "代表": "甲市長", "人數": 2, "主要訪團": "是"}])]
    eager = _eager(paths)
    lazy = _lazy(paths)
    assert lazy == eager
    assert eager[0] or eager[1] is not None  # each case finds something to compare
    assert _parse_threads() == []


def test_the_checks_ask_for_the_sheets_in_the_order_they_are_parsed(monkeypatch):
    """The reader's worker parses the sheets in schema.CHECK_ORDER; the checks must ask in that
    order too, or the main thread waits for a sheet parsed last."""
    asked: list[str] = []
    read = Sheets.__getitem__

    def record(self, name):
        if name not in asked:
            asked.append(name)
        return read(self, name)

    monkeypatch.setattr(Sheets, "__getitem__", record)
    outcome = api.load([EXAMPLE])
    assert outcome.report is not None
    assert asked == [sheet.name for sheet in CHECK_ORDER]


def test_a_workbook_not_parsed_ahead_is_parsed_on_the_callers_thread(tmp_path):
    path = write_workbook(tmp_path / "book.xlsx")
    with open_workbook(path) as opened:
        assert opened.sheet(VISITS.name).to_python()[0][0] == "日期"
        assert _parse_threads() == []


def test_only_the_first_inputs_within_the_budget_are_parsed_ahead(tmp_path, monkeypatch):
    """A tab parsed ahead waits in memory: with many large inputs, the first is parsed ahead and
    the next only while their sheet XML stays within the budget; the others when asked for."""
    from reportgen.read import workbook

    paths = [write_workbook(tmp_path / f"{name}.xlsx") for name in "abc"]
    opened = [open_workbook(path) for path in paths]
    try:
        size = opened[0].xml_bytes()
        monkeypatch.setattr(workbook, "PARSE_AHEAD_BYTES", 2 * size)
        assert api._parse_ahead([book.xml_bytes() for book in opened]) == [True, True, False]
        monkeypatch.setattr(workbook, "PARSE_AHEAD_BYTES", 0)
        assert api._parse_ahead([book.xml_bytes() for book in opened]) == [True, False, False]  # the first always
    finally:
        for book in opened:
            book.close()
    monkeypatch.setattr(workbook, "PARSE_AHEAD_BYTES", 0)
    assert _lazy(paths) == _eager(paths)
