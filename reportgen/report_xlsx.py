"""`validate --report`: a copy of the inputs with every problem cell coloured and commented."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from .inputs import expand_inputs
from .paths import REPORT_MARK, REPORT_SHEET
from .problems import Problem, Problems, cell_position
from .reader import read_grids, schema_sheet

SUMMARY_SHEET = REPORT_SHEET
FILLS = {True: PatternFill("solid", fgColor="FFFF8080"),  # error: red
         False: PatternFill("solid", fgColor="FFFFEB84")}  # warning: yellow
_HEADERS = ("嚴重度", "檔案", "位置", "欄位", "問題", "填寫的是", "修正方式", "代碼")
_WIDTHS = (8, 28, 14, 12, 60, 24, 60, 20)
_MAX_CELL = 32_767  # Excel's limit on characters in a cell
_BAD_IN_TITLE = re.compile(r"[\[\]:*?/\\]")
_SURROGATES = re.compile("[\ud800-\udfff]")
Position = tuple[int, int]  # 0-based row and column


def report_bytes(inputs: Sequence[Path], problems: Problems,
                 sources: Sequence[tuple[Path, list[tuple[str, list[list[object]]]]]] | None = None) -> bytes:
    """The report workbook as bytes; the caller writes it atomically (inputs are only read).

    `sources`: each input with its tabs' values as `api.load(keep_grids=True)` kept them
    (`Outcome.sources`); without them the inputs are read here. Written in openpyxl's streaming
    mode, so a 50,000-row workbook costs seconds, not minutes.
    """
    if sources is None:
        sources = [(file, read_grids(file)) for file in expand_inputs(inputs)]
    sources = [(file, grids) for file, grids in sources  # an earlier report among the inputs is not data
               if not any(name == SUMMARY_SHEET for name, _ in grids)]
    files = [file for file, _ in sources]
    book = Workbook(write_only=True)
    book.custom_doc_props.append(StringProperty(name=REPORT_MARK, value="reportgen 檢核報告"))
    copies: list[tuple[str, list[list[object]]]] = []
    by_file: dict[str, dict[str, str]] = {}  # file name → canonical sheet → title in the report
    titles: set[str] = {SUMMARY_SHEET}
    for index, (file, grids) in enumerate(sources, start=1):
        by_file[file.name] = {}
        for name, grid in grids:
            title = _title(titles, name, file, index if len(files) > 1 else 0)
            titles.add(title)
            by_file[file.name].setdefault((spec.name if (spec := schema_sheet(name)) else name), title)
            copies.append((title, grid))
    marks: dict[str, dict[Position, list[Problem]]] = defaultdict(lambda: defaultdict(list))
    for problem in problems:
        title = by_file.get(problem.location.file, {}).get(problem.location.sheet)
        position = cell_position(problem.location.cell)
        if title and position:
            marks[title][position].append(problem)
    _write_summary(book.create_sheet(SUMMARY_SHEET), problems, by_file, files)
    for title, grid in copies:
        _write_copy(book.create_sheet(title), grid, marks.get(title, {}))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_copy(sheet, grid: list[list[object]], marks: dict[Position, list[Problem]]) -> None:
    """The sheet's values as staff typed them; problem cells coloured and commented."""
    width = max([len(row) for row in grid[:1]] + [col + 1 for _, col in marks] + [1])
    for column in range(width):
        header = grid[0][column] if grid and column < len(grid[0]) else ""
        sheet.column_dimensions[get_column_letter(column + 1)].width = min(
            max(12, 2 * len(str(header or "")) + 4), 40)
    sheet.freeze_panes = "A2"
    marked_rows = defaultdict(list)
    for row, column in marks:
        marked_rows[row].append(column)
    height = max([len(grid)] + [row + 1 for row in marked_rows])
    for row_index in range(height):
        values = [_safe(sheet, value) for value in (grid[row_index] if row_index < len(grid) else [])]
        for column in marked_rows.get(row_index, ()):
            values.extend([None] * (column + 1 - len(values)))
            values[column] = _marked(sheet, values[column], marks[(row_index, column)])
        sheet.append(values)


def _title(taken: set[str], name: str, file: Path, index: int) -> str:
    base = name if not index else f"{index}-{_BAD_IN_TITLE.sub('_', file.stem)[:12]}-{name}"
    base = base[:31].strip("'") or "工作表"
    title, n = base, 2
    while title in taken:
        title = f"{base[:28]}({n})"
        n += 1
    return title


def _marked(sheet, value: object, found: list[Problem]) -> WriteOnlyCell:
    """Colour by the worst severity; one comment lists every problem of the cell."""
    cell = value if isinstance(value, Cell) else WriteOnlyCell(sheet, value)
    cell.fill = FILLS[any(p.is_error for p in found)]
    text = "\n".join(_problem_text(p) for p in found)
    comment = Comment(_safe_text(text), "reportgen")
    comment.width, comment.height = 320, min(60 + 40 * len(found) + len(text) // 2, 400)
    cell.comment = comment
    return cell


def _problem_text(problem: Problem) -> str:
    text = f"{problem.severity.value}：{problem.message}"
    if problem.found is not None:
        text += f"（填寫的是「{problem.found}」）"
    return text + (f"\n{problem.fix}" if problem.fix else "")


def _write_summary(sheet, problems: Problems, by_file: dict[str, dict[str, str]],
                   files: Sequence[Path]) -> None:
    for column, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A5"
    ordered = problems.sorted()
    if ordered:
        sheet.auto_filter.ref = f"A4:{get_column_letter(len(_HEADERS))}{4 + len(ordered)}"
    title = WriteOnlyCell(sheet, f"檢核結果：{problems.summary()}")
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    sheet.append([_safe_text("檢核的檔案：" + "、".join(f.name for f in files))])
    sheet.append([])
    sheet.append([_bold(sheet, header) for header in _HEADERS])
    for row, problem in enumerate(ordered, start=5):
        where = problem.location
        severity = WriteOnlyCell(sheet, problem.severity.value)
        severity.fill = FILLS[problem.is_error]
        place = WriteOnlyCell(sheet, _safe_text(f"{where.sheet}!{where.cell}" if where.cell
                                                else where.sheet))
        title_in_report = by_file.get(where.file, {}).get(where.sheet)
        if title_in_report:
            target = f"'{title_in_report.replace(chr(39), chr(39) * 2)}'!{where.cell or 'A1'}"
            place.hyperlink = Hyperlink(ref=f"C{row}", location=target)
            place.font = Font(color="FF0563C1", underline="single")
        sheet.append([severity, _safe(sheet, where.file), place, *(_safe(sheet, value) for value in (
            where.header, problem.message, problem.found or "", problem.fix, problem.code))])


def _bold(sheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, text)
    cell.font = Font(bold=True)
    return cell


def _safe(sheet, value: object) -> object:
    """A value to append; text starting with `=` is kept as text, never written as a formula."""
    if not isinstance(value, str):
        return value
    text = _safe_text(value)
    if not text.startswith("="):
        return text
    cell = WriteOnlyCell(sheet, text)
    cell.data_type = "s"
    return cell


def _safe_text(text: str) -> str:
    """What openpyxl and Excel accept: no control characters or lone surrogates, bounded length."""
    text = text.replace("\v", "\n").replace("\f", "\n")
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", _SURROGATES.sub("\ufffd", text))
    return text[:_MAX_CELL]
