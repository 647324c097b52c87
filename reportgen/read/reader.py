"""The only module that opens workbooks: raw cell values, each with its file/sheet/cell."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path

from ..cells import column_letter, fold
from ..errors import FatalError
from ..normalize import decode_escapes, nothing_invisible, strip_invisible
from ..problems import Location, Problems
from ..schema import CHECK_ORDER, REPORT_SHEET, SETTINGS, SHEETS, Column, Kind, Sheet, section_types, sheet_named
from .accounting import (
    SettingsRows,
    filled,
    header_name,
    is_note_name,
    known_names,
    note_invisible_name,
    note_resembling_columns,
    note_unnamed_settings_columns,
    note_unread_tab,
    spans,
)
from .sheet_notes import Range, header_merges, merged_header_note, merged_ranges, note_hidden_sheet, note_merged_header
from .table import Cell, Row, SheetData, TableCells, TableLayout, WorkbookData
from .workbook import NO_FACTS, OpenWorkbook, SheetFacts, open_workbook

__all__ = ["read_grids", "read_workbook", "schema_sheet"]


def schema_sheet(name: str) -> Sheet | None:
    """The contract's sheet a workbook's tab stands for: `活 動 ` is 活動."""
    return sheet_named(name)


def _load_sheet(opened: OpenWorkbook, name: str):  # -> (CalamineSheet, grid)
    """A sheet's cells as Excel shows them; XML that calamine refuses (bad characters, entities)
    is a fatal message."""
    import python_calamine

    path = opened.path
    try:
        sheet = opened.sheet(name)
        grid = sheet.to_python(skip_empty_area=False)
    except python_calamine.CalamineError as exc:
        raise FatalError(f"{path.name}：工作表「{name}」的內容已損壞，無法讀取。"
                         "請在 Excel 或 Calc 開啟後另存新檔再試。") from exc
    if opened.may_hold_escapes(name):
        decode_grid(grid, opened.typed_escapes(name))
    negative = opened.negative_numbers(name)
    if negative:
        _restore_numbers(grid, negative)
    return sheet, grid


def _restore_numbers(grid: list[list[object]], numbers: dict[tuple[int, int], float]) -> None:
    """A date cell before 1900 as the number it saves: calamine gives a bare time of day
    (00:00:00), which would hide the date staff typed (dates.western_year_date reads it)."""
    for (row, col), number in numbers.items():
        if row < len(grid) and col < len(grid[row]) and isinstance(grid[row][col], dt.time):
            grid[row][col] = number


def decode_grid(grid: list[list[object]], typed: Mapping[tuple[int, int], str] | None = None) -> None:
    """Decode, once and in place, the `_xHHHH_` escapes an .xlsx holds (normalize.decode_escapes):
    a file-format matter, so it is done here, where the file is read, and never again — cleaning
    the text afterwards can then never form an escape that was not in the file. `typed`: cells in
    which staff typed text that looks like an escape, as Excel shows them (OpenWorkbook.typed_escapes)."""
    for row in grid:
        for index, value in enumerate(row):
            if value.__class__ is str and "_x" in value:  # type: ignore[operator]
                row[index] = decode_escapes(value)  # type: ignore[arg-type]
    for (row_index, col), text in (typed or {}).items():
        if row_index < len(grid) and col < len(grid[row_index]) and isinstance(grid[row_index][col], str):
            grid[row_index][col] = text


def read_workbook(source: Path | OpenWorkbook, problems: Problems, progress=None, *,
                  only: AbstractSet[str] | None = None,
                  grids: list[tuple[str, list[list[object]]]] | None = None,
                  lazy: bool = False, ahead: bool = True) -> WorkbookData:
    """Read the known sheets of one workbook; unknown sheets and columns are ignored.

    `source` is a path (opened and closed here) or a workbook the caller opened; `progress`
    (see progress.Bar) is told how many rows were read. `only`: the canonical sheets to read
    (`init --from` needs two); `grids`, when given, receives every worksheet's values in tab
    order, those already read reused (what `validate --report` copies, without a second read).
    `lazy` (an opened workbook only): each known sheet is read when the checks first ask for it
    (table.Sheets), while the workbook's worker parses the next; the caller keeps the workbook
    open until `sheets.complete()`. Tabs reportgen does not read are looked at once every known
    sheet is read. `ahead`: the tabs are parsed ahead, in the order the checks ask for them
    (OpenWorkbook.parse_ahead); otherwise each when it is read.
    """
    if isinstance(source, OpenWorkbook):
        data = _read(source, problems, progress, only, grids, ahead)
        if not lazy:
            data.sheets.complete()
        return data
    with open_workbook(source) as opened:
        data = _read(opened, problems, progress, only, grids)
        data.sheets.complete()
        return data


def _read(opened: OpenWorkbook, problems: Problems, progress, only: AbstractSet[str] | None = None,
          grids: list[tuple[str, list[list[object]]]] | None = None, ahead: bool = True) -> WorkbookData:
    """Which tab is which sheet, from the tab names alone; the sheets are registered to be read
    (Sheets.later) and their parses started in the order the checks ask for them."""
    name = opened.name  # the file name, or folder/name when two inputs share one
    data = WorkbookData(opened.path, name)
    # tab → its values, kept only for `grids` (validate --report): a sheet read lazily would otherwise
    # keep every tab's values, a large unread one too, alive until the last sheet is read
    loaded: dict[str, list[list[object]]] | None = {} if grids is not None else None
    metas = list(opened.metas)
    if any(fold(meta.name) == fold(REPORT_SHEET) for meta in metas):
        problems.add("report-workbook", Location(name), sheet=REPORT_SHEET)
        _every_grid(opened, metas, {}, grids)
        return data
    unread: list = []  # tabs reportgen does not read: each is looked at for what it resembles
    known: dict[str, tuple[Sheet, object]] = {}  # canonical sheet → (its spec, the tab's metadata)
    for meta in metas:
        spec = schema_sheet(meta.name)
        if spec is None and only is None:
            unread.append(meta)
        if spec is None or (only is not None and spec.name not in only):
            continue
        if spec.name in known:
            problems.add("duplicate-sheet", Location(name, spec.name), first=known[spec.name][1].name,
                         second=meta.name)
            continue
        note_hidden_sheet(meta, spec, name, problems)
        known[spec.name] = (spec, meta)
    if ahead:
        opened.parse_ahead([known[sheet.name][1].name for sheet in CHECK_ORDER if sheet.name in known])
    for sheet_name, (spec, meta) in known.items():  # in tab order, as `data.sheets` lists them
        data.sheets.later(sheet_name, _sheet_reader(opened, spec, meta.name, name, problems, loaded))
    if not known and (only is None or not any(schema_sheet(meta.name) for meta in metas)):
        # (`init --from` reads two sheets: a workbook holding only 活動 and 訪賓 has sheets it knows,
        # and the missing 報告設定 or 章節 is said by the caller, not as "nothing recognizable")
        problems.add("no-known-sheet", Location(name),
                     sheets="、".join(s.name for s in SHEETS))
    # The tabs reportgen does not read are parsed and looked at last, as before they were read
    # lazily: a large one (a tab of notes) is then not held while the checked sheets are read.
    data.sheets.when_complete(lambda _: [_note_unread(opened, meta, loaded, problems) for meta in unread])
    if loaded is not None:  # `grids` asked for: once every sheet is read, the tabs not read yet are added
        data.sheets.when_complete(lambda _: _every_grid(opened, metas, loaded, grids))
    if progress is not None:
        data.sheets.when_complete(lambda sheets: _count_rows(sheets, progress))
    return data


def _sheet_reader(opened: OpenWorkbook, spec: Sheet, tab: str, file: str, problems: Problems,
                  loaded: dict[str, list[list[object]]] | None):
    """What reads one known tab when its sheet is first asked for."""
    def read() -> SheetData:
        sheet, grid = _load_sheet(opened, tab)
        if loaded is not None:
            loaded[tab] = grid
        facts = opened.facts(tab)
        if spec is SETTINGS:
            return _read_settings(spec, file, grid, problems, facts)
        return _read_table(spec, file, grid, problems, facts=facts, sheet=sheet)
    return read


def _count_rows(sheets, progress) -> None:
    """The progress bar learns how many rows the checked sheets hold, once all are read."""
    checked = {kind.sheet.name for kind in section_types() if kind.sheet is not None}
    progress.workbook_read(sum(len(sheets[name].rows) for name in checked if name in sheets))


def _every_grid(opened: OpenWorkbook, metas: list, loaded: dict[str, list[list[object]]],
                grids: list[tuple[str, list[list[object]]]] | None) -> None:
    """Every worksheet's values from A1, in tab order, into `grids`: the tabs read, and the rest.

    A tab too large to read (a stray far cell in a sheet reportgen does not read) is left out.
    """
    if grids is None:
        return
    from python_calamine import SheetTypeEnum

    for meta in metas:
        if meta.typ != SheetTypeEnum.WorkSheet or meta.name in opened.inspection.oversized:
            continue  # chart and dialog sheets hold no cells
        grid = loaded[meta.name] if meta.name in loaded else _load_sheet(opened, meta.name)[1]
        grids.append((meta.name, grid))


def _note_unread(opened: OpenWorkbook, meta, loaded: dict[str, list[list[object]]] | None,
                 problems: Problems) -> None:
    """A tab reportgen does not read: a warning when it looks like one it reads and holds data."""
    from python_calamine import SheetTypeEnum

    if meta.typ != SheetTypeEnum.WorkSheet or meta.name in opened.inspection.oversized:
        return  # chart and dialog sheets hold no cells; a tab too large to read is left alone
    grid = _load_sheet(opened, meta.name)[1]
    if loaded is not None:
        loaded[meta.name] = grid  # validate --report copies it: read once
    note_unread_tab(opened.name, meta.name, grid, problems)


def _filled(value: object) -> bool:
    """A value a person can see: holding something (accounting.filled), and not only invisible
    characters."""
    if not filled(value):
        return False
    return not isinstance(value, str) or nothing_invisible(value) or bool(strip_invisible(value)[0].strip())


def _nonblank_rows(grid: list[list[object]], start: int, marked: AbstractSet[int] = frozenset(),
                   counted: Sequence[int] | None = None,
                   defaults: Mapping[int, Column] | None = None) -> Iterator[tuple[int, list[object]]]:
    """Rows with something in them, as (1-based number, values).

    `marked`: 0-based rows that count whatever their values (formulas calamine reads as blank);
    `counted`: only these columns count (not notes, not columns reportgen does not read);
    `defaults`: choice columns whose default value counts as nothing (a dropdown dragged down).
    """
    last = max(len(grid), max(marked, default=-1) + 1)
    for index in range(start, last):
        values = grid[index] if index < len(grid) else []
        if counted is None:
            filled = any(_filled(v) for v in values)
        else:  # the first counted cell with a value ends the search
            filled, width = False, len(values)
            for i in counted:
                if i < width and _filled(values[i]) and not (defaults and i in defaults
                                                             and defaults[i].is_default(values[i])):
                    filled = True
                    break
        if filled or index in marked:
            yield index + 1, values


def _read_table(spec: Sheet, file: str, grid: list[list[object]], problems: Problems, *,
                facts: SheetFacts = NO_FACTS, sheet: object = None) -> SheetData:
    header_row = grid[0] if grid else []
    columns: dict[str, int] = {}
    wanted = known_names(spec)
    for index, value in enumerate(header_row):
        header = wanted.get(header_name(value)) if value not in (None, "") else None
        if header is None:
            continue
        if header in columns:
            if not spec.column(header).note:  # two notes columns: neither is read, nothing to say
                problems.add("duplicate-column", Location(file, spec.name, 1, index, header),
                             first=column_letter(columns[header]))
            continue
        columns[header] = index
        note_invisible_name(value, Location(file, spec.name, 1, index, header), problems)
    by_header = {col.header: col for col in spec.columns}
    counted = sorted(index for header, index in columns.items() if not by_header[header].note)
    defaults = {index: by_header[header] for header, index in columns.items()
                if by_header[header].kind is Kind.CHOICE and by_header[header].default is not None}
    marked = {row for row, _ in facts.unsaved} | {row for row, _ in facts.errors}
    found = list(_nonblank_rows(grid, 1, marked, counted, defaults))
    ranges = merged_ranges(sheet, facts.merged)
    merged = header_merges(ranges)
    missing = [col for col in spec.columns if col.required and col.header not in columns]
    # SPEC §2: a sheet holding only its header row counts as absent. A first row naming no column
    # reportgen reads is no header row but data (a header row deleted): its cells are never dropped
    # unsaid, so the missing headers are errors as ever.
    headerless = not columns and any(_filled(value) for value in header_row)
    if missing and (found or headerless or _unread_data(grid, header_row, set(columns.values()))):
        note = merged_header_note(merged) + _lower_header_note(grid, wanted, len(columns))
        for col in missing:
            problems.add("missing-column", Location(file, spec.name, header=col.header),
                         note=note, help=col.help.rstrip("。"))
    note_merged_header(merged, grid, file, spec, problems)
    note_resembling_columns(spec, file, header_row, grid, set(columns.values()), problems,
                            {col for left, right in merged for col in range(left + 1, right + 1)})
    covered = _merged_data_cells(ranges, spec, file, columns, problems)
    layout = TableLayout(file, spec.name, columns, facts, covered)
    rows = [Row(file, spec.name, number, TableCells(layout, number, values)) for number, values in found]
    _note_invisible_only_rows(grid, rows, columns, file, spec, problems)
    if facts.hidden and rows:
        # a hidden row marked 列入報告 否 is left out anyway (staff hide what they cancelled): the
        # warning, which says hidden rows are printed, is about the others
        include = spec.by_key(spec.include) if spec.include else None
        at = columns.get(include.header) if include is not None else None
        left_out = {row.number for row in rows if at is not None and at < len(grid[row.number - 1])
                    and include.choice_of(grid[row.number - 1][at]) == "否"}
        hidden = sorted(set(facts.hidden) & {row.number for row in rows} - left_out)
        if hidden:
            problems.add("hidden-rows", Location(file, spec.name, hidden[0], 0), rows=spans(hidden))
    return SheetData(spec, file, rows)


def _lower_header_note(grid: list[list[object]], wanted: dict[str, str], found: int) -> str:
    """Where the headers are when a title row sits above them (a common habit: `111年上半年 外賓
    來訪紀錄` in row 1): the first of rows 2–6 naming more of the sheet's columns than row 1 does."""
    for index in range(1, min(len(grid), 6)):
        named = {wanted[name] for name in map(header_name, grid[index]) if name in wanted}
        if len(named) >= max(2, found + 1):
            return f"第 {index + 1} 列看起來才是欄名列：欄名必須在第 1 列，請刪除上方的 {index} 列（標題等）後存檔。"
    return ""


def _unread_data(grid: list[list[object]], header_row: Sequence[object], read: AbstractSet[int]) -> bool:
    """Whether a column the sheet does not read (notes aside) holds a value below the header:
    with a required header missing, that column may be the one meant (`說明` for 內容, or a header
    row deleted), so the sheet is not one holding only its header row."""
    for values in grid[1:]:
        for index, value in enumerate(values):
            if index not in read and _filled(value) and not is_note_name(
                    header_row[index] if index < len(header_row) else None):
                return True
    return False


def _note_invisible_only_rows(grid: list[list[object]], rows: list[Row], columns: dict[str, int], file: str,
                              spec: Sheet, problems: Problems) -> None:
    """A row that looks empty but holds invisible characters (a zero-width space pasted alone, or
    after a dropdown's default: `是` + U+200B) is an empty row, not one with every required cell
    missing; each such cell is still named, with the warning any removed invisible character gets
    (SPEC §2: every non-empty cell accounted for; §4: nothing disappears silently)."""
    read = {row.number for row in rows}
    headers = {index: header for header, index in columns.items()}
    for index in range(1, len(grid)):
        if index + 1 in read:
            continue
        for column, value in enumerate(grid[index]):
            if column in headers and isinstance(value, str) and not nothing_invisible(value):
                note_invisible_name(value, Location(file, spec.name, index + 1, column, headers[column]), problems)


def _merged_data_cells(ranges: Sequence[Range], spec: Sheet, file: str, columns: dict[str, int],
                       problems: Problems) -> set[tuple[int, int]]:
    """Data cells merged down a column: only the first holds the value, so each merge is an error.
    A merge within notes columns (備註) is none of reportgen's business: they are not read."""
    by_index = {index: header for header, index in columns.items() if not spec.column(header).note}
    covered: set[tuple[int, int]] = set()
    for (top, left), (bottom, right) in ranges:
        if top < 1 or bottom <= top:
            continue
        read = [index for index in range(left, right + 1) if index in by_index]
        if not read:
            continue
        first = Location(file, spec.name, top + 1, left, by_index[read[0]])
        span = f"{column_letter(left)}{top + 1}:{column_letter(right)}{bottom + 1}"
        problems.add("merged-cells", first, span=span, first=first.cell)
        covered.update((row, col) for row in range(top + 1, bottom + 1) for col in read)
    return covered


def _read_settings(spec: Sheet, file: str, grid: list[list[object]], problems: Problems,
                   facts: SheetFacts = NO_FACTS) -> SheetData:
    """Settings are key/value rows: column A names the key, column B holds the value."""
    keys = SettingsRows(file, problems)
    note_unnamed_settings_columns(file, grid, problems)
    cells: dict[str, Cell] = {}
    marked = {row for row, _ in facts.unsaved} | {row for row, _ in facts.errors}
    hidden: list[int] = []
    for number, values in _nonblank_rows(grid, 0, marked):
        key = keys.key(number, values)
        if key is None:  # the 項目/內容 header row, a staff member's own note, or reported
            continue
        if number in facts.hidden:
            hidden.append(number)
        value = values[1] if len(values) > 1 else None
        position = (number - 1, 1)
        cells[key] = (Cell(None if value == "" else value,
                                   Location(file, spec.name, number, 1, key),
                                   unsaved_formula=position in facts.unsaved,
                                   error=facts.errors.get(position)))
    if hidden:  # read and printed like any other setting, as hidden rows of the data sheets are
        problems.add("hidden-rows", Location(file, spec.name, hidden[0], 0), rows=spans(hidden))
    return SheetData(spec, file, [Row(file, spec.name, 0, cells)])


def read_grids(path: Path) -> list[tuple[str, list[list[object]]]]:
    """Every worksheet's values from A1, in tab order: the content `validate --report` copies.

    A tab too large to read (a stray far cell in a sheet reportgen does not read) is left out.
    """
    with open_workbook(path) as opened:
        grids: list[tuple[str, list[list[object]]]] = []
        _every_grid(opened, list(opened.metas), {}, grids)
        return grids
