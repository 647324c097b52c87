"""Regenerate the bad-input corpus: one defect per workbook, with the problems it must raise.

Run from the repository root: `python tests/corpus/make_corpus.py`. It rewrites the .xlsx files
and `expected.json` (case → input, expected (file, where, code) list, rows left out). The
expectations are written here by hand, next to the defect that causes them; nothing is copied
from the tool's output. Files are made byte-reproducible (fixed zip and document dates).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.styles import PatternFill

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from helpers import ACTIVITIES, SECTIONS, SETTINGS, VISITS, write_workbook  # noqa: E402

Expected = list[tuple[str, str, str]]  # (file, "sheet!cell" or "sheet" or "", code)


@dataclass
class Case:
    name: str
    build: Callable[[Path], None]  # writes the input (a workbook, or a folder of them) at the path
    problems: Expected
    skipped: int = 0
    folder: bool = False
    extra: dict[str, object] = field(default_factory=dict)


def book(**sheets) -> Callable[[Path], None]:
    return lambda path: write_workbook(path, **sheets)


def activity(**changes) -> list[dict]:
    return [{**ACTIVITIES[0], **changes}]


def visit(**changes) -> list[dict]:
    return [{**VISITS[0], **changes}]


def edited(base: Callable[[Path], None], edit: Callable) -> Callable[[Path], None]:
    """Build with the helper, then change what it cannot express (merges, hiding, fills)."""
    def make(path: Path) -> None:
        base(path)
        workbook = load_workbook(path)
        edit(workbook)
        workbook.save(path)
    return make


def patched(base: Callable[[Path], None], sheet_part: str, edits: dict[bytes, bytes]) -> Callable:
    """Build, then replace bytes inside one sheet's XML: what no writer library produces."""
    def replace(data: bytes) -> bytes:
        for old, new in edits.items():
            assert old in data, old
            data = data.replace(old, new)
        return data

    def make(path: Path) -> None:
        base(path)
        _rewrite(path, {sheet_part: replace})
    return make


def folder(**books: Callable[[Path], None]) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.mkdir()
        for name, build in books.items():
            build(path / f"{name}.xlsx")
    return make


def merge_title_and_date(workbook) -> None:
    sheet = workbook["活動"]
    sheet["C1"] = None  # Excel keeps only the top-left value when cells are merged
    sheet.merge_cells("B1:C1")


def respace_headers(workbook) -> None:
    for name, headers in SPACED_HEADERS.items():
        for column, header in enumerate(headers, start=1):
            workbook[name].cell(1, column).value = header
    workbook["訪賓"].title = "訪\u3000賓 "  # sheet names are matched the same way


def hide_visits(workbook) -> None:
    workbook["訪賓"].sheet_state = "hidden"


def formatted_blank_rows(workbook) -> None:
    sheet = workbook["活動"]
    fill = PatternFill("solid", fgColor="FFFFF2CC")
    for row in range(3, 10_003):
        for column in range(1, 8):
            sheet.cell(row, column).fill = fill


def drag_defaults(workbook) -> None:
    """A dropdown's default dragged down the sheet, and a remark beside it: no rows of data."""
    for row in range(16, 41):
        workbook["活動"].cell(row, 6).value = "是"
    for row in range(18, 31):
        workbook["訪賓"].cell(row, 6).value = "實體"
        workbook["訪賓"].cell(row, 7).value = "否"
        workbook["訪賓"].cell(row, 8).value = "稍後補"


def merge_section_numbers(workbook) -> None:
    workbook["活動"].merge_cells("A2:A5")  # openpyxl, like Excel, keeps only A2's value


def hide_second_activity(workbook) -> None:
    workbook["活動"].auto_filter.ref = "A1:G4"
    workbook["活動"].row_dimensions[3].hidden = True


def second_activities_tab(workbook) -> None:
    sheet = workbook.create_sheet("活動 ")
    sheet.append(["節次", "標題", "開始日期", "內容"])
    sheet.append([1, "第二個分頁", "110/9/9", "內容。"])


def far_cell_in_notes(workbook) -> None:
    workbook.create_sheet("範例說明")["XFD1048576"] = "遠方的一格"


SECTIONS_BAD_TEMPLATE = [SECTIONS[0], {**SECTIONS[1], "前言": "{{ 期間 }}計{{ 件數 }}案。"}]
SECTIONS_BAD_SYNTAX = [SECTIONS[0], {**SECTIONS[1], "前言": "{{ 期間 }計{{ 案數 }}案。"}]
SPACED_HEADERS = {
    "章節": [" 節次 ", "節名\u3000", "類 型", "前言"],
    "活動": ["節\u3000次", " 標題", "開始日期 ", "結束日期", "內容", "列入報告", "備註"],
    "報告設定": ["項 目", "內\u3000容"],
    "訪賓": ["日期", "國家或地區", "單位 ", "代 表", "人數", "形式", "主要訪團", "備註"],
}

CASES = [
    Case("missing_sheet", book(visits=None), [("missing_sheet.xlsx", "訪賓", "missing-sheet")]),
    Case("missing_sections_sheet", book(sections=None),
         [("missing_sections_sheet.xlsx", "章節", "missing-sheet")]),
    Case("missing_column", book(headers={"活動": ["節次", "標題", "開始日期", "結束日期"]}),
         [("missing_column.xlsx", "活動", "missing-column")]),
    Case("header_spaces", edited(book(), respace_headers), []),
    Case("impossible_date", book(activities=activity(開始日期="110/2/30")),
         [("impossible_date.xlsx", "活動!C2", "bad-date")]),
    Case("month_13", book(activities=activity(開始日期="110/13/1")),
         [("month_13.xlsx", "活動!C2", "bad-date")]),
    Case("end_before_start", book(activities=activity(結束日期="110/9/1")),
         [("end_before_start.xlsx", "活動!D2", "end-before-start")]),
    Case("activity_outside_period", book(activities=activity(開始日期="111/1/5", 內容="舉行視訊會議。")),
         [("activity_outside_period.xlsx", "活動!C2", "outside-period")]),
    Case("visit_outside_period", book(visits=visit(日期="111/1/10")),
         [("visit_outside_period.xlsx", "訪賓!A2", "outside-period")]),
    Case("people_zero", book(visits=visit(人數=0)), [("people_zero.xlsx", "訪賓!E2", "bad-number")]),
    Case("people_negative", book(visits=visit(人數=-3)),
         [("people_negative.xlsx", "訪賓!E2", "bad-number")]),
    Case("people_fraction", book(visits=visit(人數=2.5)),
         [("people_fraction.xlsx", "訪賓!E2", "bad-number")]),
    Case("people_text", book(visits=visit(人數="abc")), [("people_text.xlsx", "訪賓!E2", "bad-number")]),
    Case("unknown_form", book(visits=visit(形式="飛鴿傳書")),
         [("unknown_form.xlsx", "訪賓!F2", "bad-choice")]),
    Case("unknown_section", book(activities=ACTIVITIES + activity(節次=9, 標題="另一項")),
         [("unknown_section.xlsx", "活動!A3", "unknown-section")]),
    Case("activity_in_visit_section", book(activities=ACTIVITIES + activity(節次=2, 標題="另一項")),
         [("activity_in_visit_section.xlsx", "活動!A3", "not-activity-section")]),
    Case("duplicate_visit", book(visits=VISITS + visit(人數=2)),
         [("duplicate_visit.xlsx", "訪賓!C3", "duplicate-visit")]),
    Case("duplicate_activity_across_files",
         folder(a_main=book(), b_colleague=book(settings=None, sections=None, visits=None)),
         [("b_colleague.xlsx", "活動!B2", "duplicate-activity")], folder=True),
    Case("unknown_placeholder", book(sections=SECTIONS_BAD_TEMPLATE),
         [("unknown_placeholder.xlsx", "章節!D3", "bad-template")]),
    Case("template_syntax_error", book(sections=SECTIONS_BAD_SYNTAX),
         [("template_syntax_error.xlsx", "章節!D3", "bad-template")]),
    Case("settings_missing_chapter", book(settings={k: v for k, v in SETTINGS.items() if k != "章次"}),
         [("settings_missing_chapter.xlsx", "報告設定", "missing-setting")]),
    Case("formula_without_value", book(visits=visit(人數="=2+3")),
         [("formula_without_value.xlsx", "訪賓!E2", "formula-no-value")]),
    Case("formula_with_saved_value",
         patched(book(visits=visit(人數="=2+3")), "xl/worksheets/sheet4.xml",
                 {b"<f>2+3</f><v></v>": b"<f>2+3</f><v>5</v>"}),
         [], extra={"people": 5}),
    Case("merged_header", edited(book(), merge_title_and_date),
         [("merged_header.xlsx", "活動", "missing-column"),
          ("merged_header.xlsx", "活動!B1", "merged-header")]),
    Case("hidden_data_sheet", edited(book(), hide_visits),
         [("hidden_data_sheet.xlsx", "訪賓", "hidden-sheet")]),
    Case("formatted_blank_rows", edited(book(), formatted_blank_rows), []),
    Case("skipped_broken_activity",
         book(activities=[*ACTIVITIES, {"節次": "x", "標題": None, "開始日期": "110/2/30",
                                        "內容": None, "列入報告": "否"}]),
         [], skipped=1),
    Case("escapes_lowercase",
         patched(book(activities=activity(標題="視訊MARK1會議", 內容="舉行MARK2會議。")),
                 "xl/worksheets/sheet3.xml", {b"MARK1": b"_x000B_", b"MARK2": b"_x000b__x000b_"}),
         [], extra={"title": "視訊會議", "paragraphs": ["舉行", "會議。"]}),
    Case("invisible_characters", book(activities=activity(標題="視訊\u200b會議")),
         [("invisible_characters.xlsx", "活動!B2", "invisible-chars")]),
    Case("required_blank", book(activities=activity(標題=None)),
         [("required_blank.xlsx", "活動!B2", "required")]),
    Case("chapter_out_of_range", book(settings={**SETTINGS, "章次": 1000}),
         [("chapter_out_of_range.xlsx", "報告設定!B2", "bad-number")]),
    Case("period_end_before_start", book(settings={**SETTINGS, "期間迄": "110/6/30"}),
         [("period_end_before_start.xlsx", "報告設定!B5", "end-before-start")]),
    Case("conflicting_settings",
         folder(a_main=book(), b_colleague=book(settings={**SETTINGS, "章次": 27}, sections=None,
                                                activities=None, visits=None)),
         [("b_colleague.xlsx", "報告設定!B2", "conflicting-sheet")], folder=True),
    Case("empty_activity_section", book(activities=[]),
         [("empty_activity_section.xlsx", "章節!A2", "empty-section")]),
    Case("date_in_text_outside", book(activities=activity(內容="110年10月8日舉行視訊會議。")),
         [("date_in_text_outside.xlsx", "活動!E2", "date-in-text-outside")]),
    Case("visit_month_only", book(visits=visit(日期="110/9")),
         [("visit_month_only.xlsx", "訪賓!A2", "month-not-allowed")]),
    Case("unknown_section_type", book(sections=[{**SECTIONS[0], "類型": "其他"}, SECTIONS[1]]),
         [("unknown_section_type.xlsx", "章節!C2", "bad-choice")]),
    Case("duplicate_section", book(sections=[*SECTIONS, {**SECTIONS[0], "節名": "重複"}]),
         [("duplicate_section.xlsx", "章節!A4", "duplicate-section")]),
 Case("invisible_in_date_number_choice",
         book(visits=visit(日期="110/9/10\u200b", 人數="5\u2060", 主要訪團="是\ufeff")),
         [("invisible_in_date_number_choice.xlsx", "訪賓!A2", "invisible-chars"),
          ("invisible_in_date_number_choice.xlsx", "訪賓!E2", "invisible-chars"),
          ("invisible_in_date_number_choice.xlsx", "訪賓!G2", "invisible-chars")]),
    Case("dragged_defaults", edited(book(), drag_defaults), []),
    Case("header_only_second_workbook",
         folder(a_main=book(), b_colleague=book(settings={}, sections=[], visits=[],
                                                activities=activity(標題="同事的活動"))),
         [], folder=True),
    Case("formula_error_value",
         patched(book(visits=visit(人數="=1/0")), "xl/worksheets/sheet4.xml",
                 {b'<c r="E2"><f>1/0</f><v></v></c>': b'<c r="E2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'}),
         [("formula_error_value.xlsx", "訪賓!E2", "formula-error")]),
    Case("merged_data_cells",
         edited(book(activities=[{**ACTIVITIES[0], "標題": f"第{n}項"} for n in range(1, 5)]),
                merge_section_numbers),
         [("merged_data_cells.xlsx", "活動!A2", "merged-cells")]),
    Case("hidden_rows",
         edited(book(activities=[{**ACTIVITIES[0], "標題": f"第{n}項"} for n in range(1, 4)]),
                hide_second_activity),
         [("hidden_rows.xlsx", "活動!A3", "hidden-rows")]),
    Case("duplicate_tab", edited(book(), second_activities_tab),
         [("duplicate_tab.xlsx", "活動", "duplicate-sheet")]),
    Case("far_cell_in_unread_sheet", edited(book(), far_cell_in_notes), []),
    Case("no_visit_section", book(sections=[SECTIONS[0], {**SECTIONS[1], "類型": "文字"}]),
         [("no_visit_section.xlsx", "訪賓!A2", "missing-section-type")]),
    Case("two_visit_sections", book(sections=[*SECTIONS, {"節次": 3, "節名": "又一節", "類型": "訪賓"}]),
         [("two_visit_sections.xlsx", "章節!C4", "repeated-section-type")]),
]


def _rewrite(path: Path, changes: dict[str, Callable[[bytes], bytes]]) -> None:
    """Repack a workbook with fixed timestamps, applying byte edits to some members."""
    with zipfile.ZipFile(path) as source:
        members = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members:
            data = changes.get(name, lambda d: d)(data)
            if name == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2021-07-01T00:00:00Z", data)
            info = zipfile.ZipInfo(name, date_time=(2021, 7, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)


def main() -> None:
    table: dict[str, dict[str, object]] = {}
    for case in CASES:
        target = HERE / (case.name if case.folder else f"{case.name}.xlsx")
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        case.build(target)
        for made in sorted(target.glob("*.xlsx")) if case.folder else [target]:
            _rewrite(made, {})
        table[case.name] = {"input": target.name, "problems": sorted(case.problems),
                            "skipped": case.skipped, **case.extra}
    (HERE / "expected.json").write_text(json.dumps(table, ensure_ascii=False, indent=1) + "\n",
                                        encoding="utf-8")
    print(f"{len(CASES)} cases written to {HERE}")


if __name__ == "__main__":
    main()
