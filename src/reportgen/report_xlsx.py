"""`validate --report`: a copy of the inputs with every problem cell coloured and commented."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from .problems import FatalError, Problem, Problems
from .reader import expand_inputs, fold, read_grids

SUMMARY_SHEET = "檢核結果"
FILLS = {True: PatternFill("solid", fgColor="FFFF8080"),  # error: red
         False: PatternFill("solid", fgColor="FFFFEB84")}  # warning: yellow
_HEADERS = ("嚴重度", "檔案", "位置", "欄位", "問題", "填寫的是", "修正方式", "代碼")
_WIDTHS = (8, 28, 14, 12, 60, 24, 60, 20)
_MAX_CELL = 32_767  # Excel's limit on characters in a cell
_BAD_IN_TITLE = re.compile(r"[\[\]:*?/\\]")
_SURROGATES = re.compile("[\ud800-\udfff]")


def check_report_path(report: Path, inputs: Sequence[Path]) -> None:
    """Refuse, before any work, a report name that is not .xlsx or would replace an input."""
    if report.suffix.lower() != ".xlsx":
        raise FatalError(f"檢核報告 {report} 的副檔名須為 .xlsx。")
    target = report.resolve()
    if any(target == path.resolve() for path in expand_inputs(inputs)):
        raise FatalError(f"檢核報告 {report} 與輸入的活頁簿是同一個檔案；輸入檔不會被修改，請另取檔名。")


def report_bytes(inputs: Sequence[Path], problems: Problems) -> bytes:
    """The report workbook as bytes; the caller writes it atomically (inputs are only read)."""
    files = expand_inputs(inputs)
    book = Workbook()
    summary = book.active
    summary.title = SUMMARY_SHEET
    by_file: dict[str, dict[str, str]] = {}  # file name → canonical sheet → title in the report
    for index, file in enumerate(files, start=1):
        by_file[file.name] = _copy_sheets(book, file, index if len(files) > 1 else 0)
    by_cell: dict[tuple[str, str], list[Problem]] = defaultdict(list)
    for problem in problems:
        title = by_file.get(problem.location.file, {}).get(problem.location.sheet)
        if title and problem.location.cell:
            by_cell[(title, problem.location.cell)].append(problem)
    for (title, ref), found in by_cell.items():
        _mark(book[title][ref], found)
    _fill_summary(summary, problems, by_file, files)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _copy_sheets(book: Workbook, file: Path, index: int) -> dict[str, str]:
    """Copy a workbook's values; with several inputs, sheet titles say which file they are from."""
    titles: dict[str, str] = {}
    for name, grid in read_grids(file):
        title = _title(book, name, file, index)
        sheet = book.create_sheet(title)
        for row in grid:
            sheet.append([_safe(value) for value in row])
        for column in range(1, len(grid[0]) + 1 if grid else 1):
            header = grid[0][column - 1] if grid else ""
            sheet.column_dimensions[get_column_letter(column)].width = min(
                max(12, 2 * len(str(header or "")) + 4), 40)
        sheet.freeze_panes = "A2"
        titles.setdefault(_canonical(name), title)
    return titles


def _canonical(name: str) -> str:
    """Problems name sheets by their schema name; staff may have typed it with spaces."""
    from .schema import SHEETS

    return next((s.name for s in SHEETS if fold(s.name) == fold(name)), name)


def _title(book: Workbook, name: str, file: Path, index: int) -> str:
    base = name if not index else f"{index}-{_BAD_IN_TITLE.sub('_', file.stem)[:12]}-{name}"
    base = base[:31].strip("'") or "工作表"
    title, n = base, 2
    while title in book.sheetnames:
        title = f"{base[:28]}({n})"
        n += 1
    return title


def _mark(cell, found: list[Problem]) -> None:
    """Colour by the worst severity; one comment lists every problem of the cell."""
    cell.fill = FILLS[any(p.is_error for p in found)]
    text = "\n".join(_problem_text(p) for p in found)
    comment = Comment(_safe_text(text), "reportgen")
    comment.width, comment.height = 320, min(60 + 40 * len(found) + len(text) // 2, 400)
    cell.comment = comment


def _problem_text(problem: Problem) -> str:
    text = f"{problem.severity.value}：{problem.message}"
    if problem.found is not None:
        text += f"（填寫的是「{problem.found}」）"
    return text + (f"\n{problem.fix}" if problem.fix else "")


def _fill_summary(sheet, problems: Problems, by_file: dict[str, dict[str, str]],
                  files: Sequence[Path]) -> None:
    sheet.append([_safe_text(f"檢核結果：{problems.summary()}")])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([_safe_text("檢核的檔案：" + "、".join(f.name for f in files))])
    sheet.append([])
    sheet.append(list(_HEADERS))
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for problem in problems.sorted():
        where = problem.location
        place = f"{where.sheet}!{where.cell}" if where.cell else where.sheet
        sheet.append([_safe(value) for value in (
            problem.severity.value, where.file, place, where.header, problem.message,
            problem.found or "", problem.fix, problem.code)])
        row = sheet.max_row
        sheet.cell(row, 1).fill = FILLS[problem.is_error]
        title = by_file.get(where.file, {}).get(where.sheet)
        if title:
            target = f"'{title.replace(chr(39), chr(39) * 2)}'!{where.cell or 'A1'}"
            link = sheet.cell(row, 3)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=target)
            link.font = Font(color="FF0563C1", underline="single")
    for column, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A5"
    if problems:
        sheet.auto_filter.ref = f"A4:{get_column_letter(len(_HEADERS))}{sheet.max_row}"


def _safe(value: object) -> object:
    return _safe_text(value) if isinstance(value, str) else value


def _safe_text(text: str) -> str:
    """What openpyxl and Excel accept: no control characters or lone surrogates, bounded length."""
    text = text.replace("\v", "\n").replace("\f", "\n")
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", _SURROGATES.sub("\ufffd", text))
    return text[:_MAX_CELL]
