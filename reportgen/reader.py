"""The only module that opens workbooks: raw cell values, each with its file/sheet/cell."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path

from . import progress
from .formulas import unsaved_formula_cells
from .inputs import expand_inputs  # noqa: F401  (moved; imported from here by older code)
from .problems import FatalError, Location, Problems, column_letter
from .safety import check_workbook_file
from .schema import SETTINGS, SHEETS, WORKBOOK_SUFFIXES, Sheet
from .sheet_notes import header_merges, merged_header_note, note_hidden_sheet, note_merged_header

UNSUPPORTED = {
    ".xls": "舊版 Excel 97-2003 格式",
    ".xlsb": "Excel 二進位活頁簿",
    ".csv": "CSV 純文字檔",
    ".numbers": "Numbers 試算表",
}


def fold(text: object) -> str:
    """Compare headers and sheet names tolerantly: width-folded, without spaces."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split())


_SHEETS_BY_FOLD = {fold(spec.name): spec for spec in SHEETS}


def schema_sheet(name: str) -> Sheet | None:
    """The contract's sheet a workbook's tab stands for: `活 動 ` is 活動."""
    return _SHEETS_BY_FOLD.get(fold(name))


@dataclass(frozen=True)
class Cell:
    value: object  # str | int | float | bool | date | datetime | None
    location: Location
    unsaved_formula: bool = False  # a formula saved without its result: never mistaken for blank

    @property
    def blank(self) -> bool:
        if self.unsaved_formula:
            return False
        return self.value is None or (isinstance(self.value, str) and not self.value.strip())


@dataclass
class Row:
    """One non-empty data row: cells by canonical header."""

    file: str
    sheet: str
    number: int  # 1-based, as Excel shows it
    cells: Mapping[str, Cell]

    def __getitem__(self, header: str) -> Cell:
        return self.cells.get(header) or Cell(None, Location(self.file, self.sheet, "", header))

    @property
    def location(self) -> Location:
        return Location(self.file, self.sheet, f"A{self.number}")


@dataclass(frozen=True)
class _TableLayout:
    """What every row of one table shares: where it is and which column holds which header."""

    file: str
    sheet: str  # the canonical sheet name
    columns: dict[str, int]
    letters: dict[str, str]
    formulas: AbstractSet[tuple[int, int]]


class _TableCells(Mapping[str, Cell]):
    """A table row's cells, made when asked for.

    Holding a Cell and a Location for every cell at once would cost more memory than the
    data itself (a 50,000-row workbook has some 400,000 cells); validation asks for each once.
    """

    __slots__ = ("_layout", "_number", "_values")

    def __init__(self, layout: _TableLayout, number: int, values: list[object]) -> None:
        self._layout, self._number, self._values = layout, number, values

    def __getitem__(self, header: str) -> Cell:
        layout, number, values = self._layout, self._number, self._values
        index = layout.columns[header]
        value = values[index] if index < len(values) else None
        return Cell(None if value == "" else value,
                    Location(layout.file, layout.sheet, f"{layout.letters[header]}{number}", header),
                    bool(layout.formulas) and (number - 1, index) in layout.formulas)

    def get(self, header: str, default: Cell | None = None) -> Cell | None:
        return self[header] if header in self._layout.columns else default

    def __contains__(self, header: object) -> bool:
        return header in self._layout.columns

    def __iter__(self) -> Iterator[str]:
        return iter(self._layout.columns)

    def __len__(self) -> int:
        return len(self._layout.columns)


@dataclass
class SheetData:
    spec: Sheet
    file: str
    rows: list[Row]


@dataclass
class WorkbookData:
    path: Path
    name: str
    sheets: dict[str, SheetData] = field(default_factory=dict)


def _open(path: Path):  # -> python_calamine.CalamineWorkbook
    suffix = path.suffix.lower()
    if suffix in UNSUPPORTED:
        raise FatalError(
            f"{path.name}：不支援{UNSUPPORTED[suffix]}。請在 Excel 或 Calc 開啟後「另存為」.xlsx 活頁簿。")
    if suffix not in WORKBOOK_SUFFIXES:
        raise FatalError(f"{path.name}：不是活頁簿（.xlsx、.xlsm 或 .ods）。")
    check_workbook_file(path)  # format, encryption, zip bombs, DTDs: before any parser
    import python_calamine

    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError as exc:
        raise FatalError(f"{path.name}：檔案已加密（設有密碼），無法讀取。請取消密碼後另存新檔。") from exc
    except Exception as exc:  # calamine raises several unrelated types for broken files
        raise FatalError(
            f"{path.name}：無法讀取，檔案可能已損壞或不是 Excel 活頁簿。"
            "請在 Excel 或 Calc 開啟確認，另存為 .xlsx 後再試。") from exc


def _load_sheet(book, name: str, path: Path):  # -> (CalamineSheet, grid)
    """A sheet's cells; XML that calamine refuses (bad characters, entities) is a fatal message."""
    import python_calamine

    try:
        sheet = book.get_sheet_by_name(name)
        return sheet, sheet.to_python(skip_empty_area=False)
    except python_calamine.CalamineError as exc:
        raise FatalError(f"{path.name}：工作表「{name}」的內容已損壞，無法讀取。"
                         "請在 Excel 或 Calc 開啟後另存新檔再試。") from exc


def read_workbook(path: Path, problems: Problems) -> WorkbookData:
    """Read the known sheets of one workbook; unknown sheets and columns are ignored."""
    book = _open(path)
    data = WorkbookData(path, path.name)
    unsaved = unsaved_formula_cells(path)
    try:
        for meta in book.sheets_metadata:
            spec = schema_sheet(meta.name)
            if spec is None or spec.name in data.sheets:
                continue
            sheet, grid = _load_sheet(book, meta.name, path)
            note_hidden_sheet(meta, spec, path.name, problems)
            formulas = unsaved.get(meta.name, set())
            if spec is SETTINGS:
                data.sheets[spec.name] = _read_settings(spec, path.name, meta.name, grid, problems,
                                                        formulas=formulas)
            else:
                data.sheets[spec.name] = _read_table(spec, path.name, meta.name, grid, problems,
                                                     formulas=formulas,
                                                     merged=header_merges(sheet))
    finally:
        book.close()
    if not data.sheets:
        problems.error("no-known-sheet", Location(path.name),
                       "這個活頁簿沒有任何可辨識的工作表。",
                       fix="工作表名稱須為 " + "、".join(s.name for s in SHEETS) + "，"
                       "可用 reportgen init 產生空白活頁簿。")
    progress.workbook_read(data)
    return data


def _filled(value: object) -> bool:
    return value is not None and value != "" and not (isinstance(value, str) and not value.strip())


def _nonblank_rows(grid: list[list[object]], start: int,
                   formulas: AbstractSet[tuple[int, int]] = frozenset(),
                   counted: Sequence[int] | None = None) -> Iterator[tuple[int, list[object]]]:
    """Rows with something in them; with `counted`, only those columns count (not notes)."""
    formula_rows = {row for row, _ in formulas}
    last = max(len(grid), max(formula_rows, default=-1) + 1)
    for index in range(start, last):
        values = grid[index] if index < len(grid) else []
        if counted is None:
            filled = any(_filled(v) for v in values)
        else:
            filled = any(i < len(values) and _filled(values[i]) for i in counted)
        if index in formula_rows or filled:
            yield index + 1, values


def _read_table(spec: Sheet, file: str, sheet: str, grid: list[list[object]],
                problems: Problems, *, formulas: AbstractSet[tuple[int, int]] = frozenset(),
                merged: Sequence[tuple[int, int]] = ()) -> SheetData:
    header_row = grid[0] if grid else []
    columns: dict[str, int] = {}
    wanted = {fold(col.header): col.header for col in spec.columns}
    for index, value in enumerate(header_row):
        header = wanted.get(fold(value)) if value not in (None, "") else None
        if header is None:
            continue
        if header in columns:
            problems.warning("duplicate-column", Location(file, spec.name,
                                                          f"{column_letter(index)}1", header),
                             f"欄名「{header}」重複出現，只讀取第一個（{column_letter(columns[header])} 欄）。",
                             fix="請刪除或改名重複的欄位。")
            continue
        columns[header] = index
    for col in spec.columns:
        if col.required and col.header not in columns:
            problems.error("missing-column", Location(file, spec.name, "", col.header),
                           f"工作表「{spec.name}」缺少必要欄位「{col.header}」。"
                           + merged_header_note(merged),
                           fix=f"請在第 1 列加上欄名「{col.header}」（{col.help.rstrip('。')}）。")
    note_merged_header(merged, grid, file, spec, problems)
    layout = _TableLayout(file, spec.name, columns,
                          {header: column_letter(index) for header, index in columns.items()}, formulas)
    notes = {col.header for col in spec.columns if col.note}
    counted = sorted(index for header, index in columns.items() if header not in notes)
    rows = [Row(file, spec.name, number, _TableCells(layout, number, values))
            for number, values in _nonblank_rows(grid, 1, formulas, counted)]
    return SheetData(spec, file, rows)


def _read_settings(spec: Sheet, file: str, sheet: str, grid: list[list[object]],
                   problems: Problems, *,
                   formulas: AbstractSet[tuple[int, int]] = frozenset()) -> SheetData:
    """Settings are key/value rows: column A names the key, column B holds the value."""
    wanted = {fold(col.header): col.header for col in spec.columns}
    cells: dict[str, Cell] = {}
    for number, values in _nonblank_rows(grid, 0, formulas):
        key = wanted.get(fold(values[0])) if values and values[0] not in (None, "") else None
        if key is None:  # the 項目/內容 header row, or a staff member's own note
            continue
        value = values[1] if len(values) > 1 else None
        cells.setdefault(key, Cell(None if value == "" else value,
                                   Location(file, spec.name, f"B{number}", key),
                                   unsaved_formula=(number - 1, 1) in formulas))
    return SheetData(spec, file, [Row(file, spec.name, 0, cells)])


def read_grids(path: Path) -> list[tuple[str, list[list[object]]]]:
    """Every worksheet's values from A1, in tab order: the content `validate --report` copies."""
    book = _open(path)
    try:
        from python_calamine import SheetTypeEnum

        grids = []
        for meta in book.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue  # chart and dialog sheets hold no cells
            grids.append((meta.name, _load_sheet(book, meta.name, path)[1]))
        return grids
    finally:
        book.close()
