"""The only module that opens workbooks: raw cell values, each with its file/sheet/cell."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .problems import FatalError, Location, Problems
from .schema import SETTINGS, SHEETS, WORKBOOK_SUFFIXES, Sheet

UNSUPPORTED = {
    ".xls": "舊版 Excel 97-2003 格式",
    ".xlsb": "Excel 二進位活頁簿",
    ".csv": "CSV 純文字檔",
    ".numbers": "Numbers 試算表",
}


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def fold(text: object) -> str:
    """Compare headers and sheet names tolerantly: width-folded, without spaces."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split())


@dataclass(frozen=True)
class Cell:
    value: object  # str | int | float | bool | date | datetime | None
    location: Location

    @property
    def blank(self) -> bool:
        return self.value is None or (isinstance(self.value, str) and not self.value.strip())


@dataclass
class Row:
    """One non-empty data row: cells by canonical header."""

    file: str
    sheet: str
    number: int  # 1-based, as Excel shows it
    cells: dict[str, Cell]

    def __getitem__(self, header: str) -> Cell:
        return self.cells.get(header) or Cell(None, Location(self.file, self.sheet, "", header))

    @property
    def location(self) -> Location:
        return Location(self.file, self.sheet, f"A{self.number}")


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


def expand_inputs(inputs: Iterable[Path]) -> list[Path]:
    """Workbooks named directly, plus every workbook in a named folder (not recursive)."""
    files: list[Path] = []
    for path in inputs:
        if path.is_dir():
            found = sorted(
                p for p in path.iterdir()
                if p.suffix.lower() in WORKBOOK_SUFFIXES and not p.name.startswith(("~$", "."))
                and p.is_file()
            )
            if not found:
                raise FatalError(f"資料夾 {path} 中沒有 .xlsx、.xlsm 或 .ods 活頁簿。")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise FatalError(f"找不到檔案 {path}。請確認路徑是否正確。")
    return files


def _open(path: Path):  # -> python_calamine.CalamineWorkbook
    suffix = path.suffix.lower()
    if suffix in UNSUPPORTED:
        raise FatalError(
            f"{path.name}：不支援{UNSUPPORTED[suffix]}。請在 Excel 或 Calc 開啟後「另存為」.xlsx 活頁簿。")
    if suffix not in WORKBOOK_SUFFIXES:
        raise FatalError(f"{path.name}：不是活頁簿（.xlsx、.xlsm 或 .ods）。")
    import python_calamine

    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError as exc:
        raise FatalError(f"{path.name}：檔案已加密（設有密碼），無法讀取。請取消密碼後另存新檔。") from exc
    except Exception as exc:  # calamine raises several unrelated types for broken files
        raise FatalError(
            f"{path.name}：無法讀取，檔案可能已損壞或不是 Excel 活頁簿。"
            "請在 Excel 或 Calc 開啟確認，另存為 .xlsx 後再試。") from exc


def read_workbook(path: Path, problems: Problems) -> WorkbookData:
    """Read the known sheets of one workbook; unknown sheets and columns are ignored."""
    book = _open(path)
    data = WorkbookData(path, path.name)
    by_fold = {fold(spec.name): spec for spec in SHEETS}
    try:
        for meta in book.sheets_metadata:
            spec = by_fold.get(fold(meta.name))
            if spec is None or spec.name in data.sheets:
                continue
            grid = book.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
            reader = _read_settings if spec is SETTINGS else _read_table
            data.sheets[spec.name] = reader(spec, path.name, meta.name, grid, problems)
    finally:
        book.close()
    if not data.sheets:
        problems.error("no-known-sheet", Location(path.name),
                       "這個活頁簿沒有任何可辨識的工作表。",
                       fix="工作表名稱須為 " + "、".join(s.name for s in SHEETS) + "，"
                       "可用 reportgen init 產生空白活頁簿。")
    return data


def _nonblank_rows(grid: list[list[object]], start: int) -> Iterator[tuple[int, list[object]]]:
    for index in range(start, len(grid)):
        values = grid[index]
        if any(v is not None and v != "" and not (isinstance(v, str) and not v.strip())
               for v in values):
            yield index + 1, values


def _read_table(spec: Sheet, file: str, sheet: str, grid: list[list[object]],
                problems: Problems) -> SheetData:
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
                           f"工作表「{spec.name}」缺少必要欄位「{col.header}」。",
                           fix=f"請在第 1 列加上欄名「{col.header}」（{col.help}）。")
    rows = []
    for number, values in _nonblank_rows(grid, 1):
        cells = {}
        for header, index in columns.items():
            value = values[index] if index < len(values) else None
            cells[header] = Cell(None if value == "" else value,
                                 Location(file, spec.name, f"{column_letter(index)}{number}", header))
        rows.append(Row(file, spec.name, number, cells))
    return SheetData(spec, file, rows)


def _read_settings(spec: Sheet, file: str, sheet: str, grid: list[list[object]],
                   problems: Problems) -> SheetData:
    """Settings are key/value rows: column A names the key, column B holds the value."""
    wanted = {fold(col.header): col.header for col in spec.columns}
    cells: dict[str, Cell] = {}
    for number, values in _nonblank_rows(grid, 0):
        key = wanted.get(fold(values[0])) if values and values[0] not in (None, "") else None
        if key is None:  # the 項目/內容 header row, or a staff member's own note
            continue
        value = values[1] if len(values) > 1 else None
        cells.setdefault(key, Cell(None if value == "" else value,
                                   Location(file, spec.name, f"B{number}", key)))
    return SheetData(spec, file, [Row(file, spec.name, 0, cells)])
