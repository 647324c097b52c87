"""`validate --report`: a copy of the inputs with every problem cell coloured and commented."""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.comments import Comment
from openpyxl.compat import safe_string
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.hyperlink import Hyperlink

from ..cells import cell_position, column_index, column_letter
from ..problems import Problem, Problems
from ..read.inputs import display_names, expand_inputs
from ..read.reader import read_grids, schema_sheet
from .fingerprint import mark_package
from .outputs import REPORT_MARK, REPORT_SHEET

SUMMARY_SHEET = REPORT_SHEET
FILLS = {True: PatternFill("solid", fgColor="FFFF8080"),  # error: red
         False: PatternFill("solid", fgColor="FFFFEB84")}  # warning: yellow
# (No column of problem codes: `bad-number` is English, and staff see this sheet — SPEC §6.)
_HEADERS = ("嚴重度", "檔案", "位置", "欄位", "問題", "填寫的是", "修正方式")
_WIDTHS = (8, 28, 14, 12, 60, 24, 60)
_MAX_CELL = 32_767  # Excel's limit on characters in a cell
_BAD_IN_TITLE = re.compile(r"[\[\]:*?/\\]")
_SURROGATES = re.compile("[\ud800-\udfff]")
Position = tuple[int, int]  # 0-based row and column
# A row's plain cells for _merge_rows: one string when openpyxl writes nothing in the row, else
# each cell's column and XML, to be merged with openpyxl's cells.
PlainRow = str | list[tuple[int, str]]


def report_bytes(inputs: Sequence[Path], problems: Problems,
                 sources: Sequence[tuple[Path, list[tuple[str, list[list[object]]]]]] | None = None) -> bytes:
    """The report workbook as bytes, with reportgen's mark (fingerprint.mark_package: a later
    `validate --report` replaces it only while unchanged); the caller writes it atomically
    (inputs are only read).

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
    for index, ((file, grids), shown) in enumerate(zip(sources, display_names(files), strict=True), start=1):
        by_file[shown] = {}  # problems name their file the way api.load named it
        for name, grid in grids:
            title = _title(titles, name, file, index if len(files) > 1 else 0)
            titles.add(title)
            by_file[shown].setdefault((spec.name if (spec := schema_sheet(name)) else name), title)
            copies.append((title, grid))
    marks: dict[str, dict[Position, list[Problem]]] = defaultdict(lambda: defaultdict(list))
    for problem in problems:
        title = by_file.get(problem.location.file, {}).get(problem.location.sheet)
        position = cell_position(problem.location.cell)
        if title and position:
            marks[title][position].append(problem)
    _write_summary(book.create_sheet(SUMMARY_SHEET), problems, by_file, files)
    plain: dict[str, list[PlainRow]] = {}
    for title, grid in copies:
        plain[title] = _write_copy(book.create_sheet(title), grid, marks.get(title, {}))
    buffer = io.BytesIO()
    book.save(buffer)
    return mark_package(_with_plain_cells(buffer.getvalue(), plain))  # so an edited report is kept


def _lay_out(sheet, grid: list[list[object]], marks) -> tuple[dict[int, list[int]], int]:
    """A copy's column widths and frozen header; the marked columns of each row, and the rows to write."""
    width = max([len(row) for row in grid[:1]] + [col + 1 for _, col in marks] + [1])
    for column in range(width):
        header = grid[0][column] if grid and column < len(grid[0]) else ""
        sheet.column_dimensions[column_letter(column)].width = min(max(12, 2 * len(str(header or "")) + 4), 40)
    sheet.freeze_panes = "A2"
    marked_rows: dict[int, list[int]] = defaultdict(list)
    for row, column in marks:
        marked_rows[row].append(column)
    return marked_rows, max([len(grid)] + [row + 1 for row in marked_rows])


def _write_copy(sheet, grid: list[list[object]], marks: dict[Position, list[Problem]]) -> list[PlainRow]:
    """The sheet's values as staff typed them; problem cells coloured and commented.

    openpyxl writes the cells that need it (coloured and commented ones, dates, formulas kept as
    text, error codes); the plain text and numbers, nearly all of a large sheet, are returned as
    the XML openpyxl would write for them, row by row, and put in by `_with_plain_cells`: openpyxl
    spends some 15 µs on each cell, which made the report cost twice the check itself.
    """
    marked_rows, height = _lay_out(sheet, grid, marks)
    plain: list[PlainRow] = []
    styles: dict[type, int] = {}
    letters = [column_letter(column) for column in range(max(len(row) for row in grid) if grid else 0)]
    remembered: dict[tuple[type, object], str | None] = {}  # value → _after_reference's, for short values
    waiting = 0
    for row_index in range(height):
        raw = grid[row_index] if row_index < len(grid) else []
        if row_index not in marked_rows:  # most rows: every cell plain, written as one string
            row = _plain_row(raw, str(row_index + 1), letters, remembered, sheet, styles)
            if row is not None:
                plain.append(row)
                if row_index == 0:  # openpyxl writes the first row, if only empty
                    sheet.append([])
                else:
                    waiting += 1
                continue
        values: list[object] = []  # what openpyxl writes in this row
        for column in marked_rows.get(row_index, ()):  # first, as styles are registered in this order
            values.extend([None] * (column + 1 - len(values)))
            value = _safe(sheet, raw[column]) if column < len(raw) else None
            values[column] = _marked(sheet, value, marks[(row_index, column)])
        cells: list[tuple[int, str]] = []
        number = str(row_index + 1)
        for column, value in enumerate(raw):
            if value is None or (column < len(values) and values[column] is not None):
                continue
            rest = _rest(value, remembered, sheet, styles)
            if rest is not None:
                letter = letters[column] if column < len(letters) else column_letter(column)
                cells.append((column, f'<c r="{letter}{number}"{rest}'))
                continue
            values.extend([None] * (column + 1 - len(values)))
            values[column] = _safe(sheet, value)
        plain.append(cells)
        if values or row_index == 0:  # openpyxl writes this row: first the empty ones before it
            for _ in range(waiting):
                sheet.append([])
            waiting = 0
            sheet.append(values)
        else:
            waiting += 1  # only plain cells: given to openpyxl if a later row needs it
    return plain  # rows after openpyxl's last are added by _merge_rows


def _plain_row(raw: list[object], number: str, letters: list[str], remembered: dict, sheet,
               styles: dict[type, int]) -> str | None:
    """A row's cells as the XML openpyxl would write, or None if one of them needs openpyxl."""
    cells = []
    for column, value in enumerate(raw):
        if value is None:
            continue
        rest = _rest(value, remembered, sheet, styles)
        if rest is None:
            return None
        cells.append(f'<c r="{letters[column]}{number}"{rest}')
    return "".join(cells)


def _rest(value: object, remembered: dict, sheet, styles: dict[type, int]) -> str | None:
    """_after_reference for a cell's value; short text and dates, which recur down a column,
    are remembered (a number is quicker to write than to look up, and 0.0 would find -0.0's)."""
    kind = type(value)
    if (kind is str and len(value) <= _SHORT) or kind in _TIMES:  # type: ignore[arg-type]
        key = (kind, value)
        rest = remembered.get(key, _UNSEEN)
        if rest is _UNSEEN:
            rest = _after_reference(_safe_text(value) if kind is str else value, sheet, styles)  # type: ignore[arg-type]
            if len(remembered) < _REMEMBERED:
                remembered[key] = rest
        return rest  # type: ignore[return-value]
    return _after_reference(_safe_text(value) if kind is str else value, sheet, styles)  # type: ignore[arg-type]


_UNSEEN = object()
_ERROR_CODES = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))  # openpyxl's
_TIMES = (dt.datetime, dt.date, dt.time, dt.timedelta)


def _plain_cell(value: object, ref: str, sheet=None, styles: dict | None = None) -> str | None:
    """The `<c>` element openpyxl's lxml writer makes for text, a number, a truth value or a date,
    or None when the value is anything else (left to openpyxl). A date's style is the one openpyxl
    registers for a cell of its type (`styles` remembers it). tests/test_fast_paths.py compares."""
    rest = _after_reference(value, sheet, styles)
    return None if rest is None else f'<c r="{ref}"{rest}'


def _after_reference(value: object, sheet=None, styles: dict | None = None) -> str | None:
    """_plain_cell's element after its `<c r="B7"`: the same for every cell holding `value`."""
    kind = type(value)
    if kind is str:
        if value in _ERROR_CODES or (len(value) > 1 and value[0] == "=") or "\ufffe" in value or "\uffff" in value:
            return None  # an error code, a formula kept as text, or what lxml refuses: openpyxl's
        if not value:
            return ' t="inlineStr"></c>'
        space = ' xml:space="preserve"' if value != value.strip() else ""
        if "&" in value or "<" in value or ">" in value or "\r" in value:
            value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
        return f' t="inlineStr"><is><t{space}>{value}</t></is></c>'
    if kind is int or (kind is float and math.isfinite(value)):
        return f' t="n"><v>{"%.16g" % value}</v></c>'  # noqa: UP031 (openpyxl's)
    if kind is bool:
        return f' t="b"><v>{int(value)}</v></c>'
    if kind in _TIMES and sheet is not None and styles is not None:
        if getattr(value, "tzinfo", None) is not None:
            return None  # openpyxl refuses it, as before
        if kind not in styles:
            styles[kind] = WriteOnlyCell(sheet, value).style_id  # registers the date format, as openpyxl would
        return f' s="{styles[kind]}" t="n"><v>{safe_string(to_excel(value, sheet.parent.epoch))}</v></c>'
    return None


_SHORT = 40  # text up to this length is remembered by _write_copy (a column's few repeated values)
_REMEMBERED = 8192  # values remembered per copy of a sheet


_ROW = re.compile(rb'<row r="(\d+)"(?:/>|>(.*?)</row>)', re.S)
_CELL = re.compile(rb'<c r="([A-Z]+)\d+"[^>]*?(?:/>|>.*?</c>)', re.S)


def _with_plain_cells(data: bytes, plain: dict[str, list[PlainRow]]) -> bytes:
    """openpyxl's package with each copy's plain cells merged into its rows, in column order."""
    from ..read.formulas import sheet_parts

    source = zipfile.ZipFile(io.BytesIO(data))
    parts = {part: plain[title] for title, part in sheet_parts(source).items()
             if title in plain and any(plain[title])}
    if not parts:
        return data
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            blob = source.read(info)
            if info.filename in parts:  # the large parts: compressed for speed (a third larger)
                target.writestr(info, _merge_rows(blob, parts[info.filename]), compresslevel=1)
            else:
                target.writestr(info, blob)
    return out.getvalue()


def _merge_rows(xml: bytes, plain: list[PlainRow]) -> bytes:
    start = xml.index(b"<sheetData>") + len(b"<sheetData>")
    end = xml.index(b"</sheetData>", start)
    rows: list[str] = []
    number = 0
    for match in _ROW.finditer(xml, start, end):
        number = int(match.group(1))
        mine = plain[number - 1] if number <= len(plain) else []
        if not mine:  # as openpyxl wrote it
            rows.append(match.group().decode("ascii"))
            continue
        if type(mine) is str:  # a row of plain cells only: openpyxl wrote it empty
            rows.append(f'<row r="{number}">{mine}</row>')
            continue
        theirs = [(column_index(cell.group(1).decode()), cell.group().decode("ascii"))
                  for cell in _CELL.finditer(match.group(2) or b"")]
        cells = sorted(mine + theirs, key=lambda cell: cell[0]) if theirs else mine
        rows.append(f'<row r="{number}">' + "".join(xml for _, xml in cells) + "</row>")
    for later in range(number + 1, len(plain) + 1):  # the rows openpyxl was never given
        mine = plain[later - 1]
        rows.append(f'<row r="{later}">' + (mine if type(mine) is str else "".join(xml for _, xml in mine))
                    + "</row>")
    # Written as UTF-8, which the part declares by having no XML declaration (openpyxl's lxml spells
    # every non-ASCII character as a reference, &#20839;, eight bytes for three and four times slower).
    return xml[:start] + "".join(rows).encode("utf-8") + xml[end:]


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
    for column, width in enumerate(_WIDTHS):
        sheet.column_dimensions[column_letter(column)].width = width
    sheet.freeze_panes = "A5"
    ordered = problems.sorted()
    if ordered:
        sheet.auto_filter.ref = f"A4:{column_letter(len(_HEADERS) - 1)}{4 + len(ordered)}"
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
            where.header, problem.message, problem.found or "", problem.fix))])


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
    if text.isprintable() and len(text) <= _MAX_CELL:  # none of the characters replaced below
        return text
    text = text.replace("\v", "\n").replace("\f", "\n")
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", _SURROGATES.sub("\ufffd", text))
    text = text.replace("\ufffe", "\ufffd").replace("\uffff", "\ufffd")  # non-characters lxml refuses
    return text[:_MAX_CELL]
