"""The raw table both stages share: cells as read, each with its file/sheet/cell.

The reader fills these; the checks (check/kinds.py) convert them. A table row's cells are made
only when asked for, and a converter may read a row's values straight from its grid.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..problems import Location
from ..schema import SETTINGS, Sheet
from .workbook import SheetFacts


@dataclass(frozen=True)
class Cell:
    value: object  # str | int | float | bool | date | datetime | None
    location: Location
    unsaved_formula: bool = False  # a formula saved without its result: never mistaken for blank
    error: str | None = None  # a formula's saved error value (#DIV/0!), which calamine reads as ""
    covered: bool = False  # a cell inside a merged range below its first cell: reported at the merge

    @property
    def blank(self) -> bool:
        if self.unsaved_formula or self.error is not None:
            return False
        return self.value is None or (isinstance(self.value, str) and not self.value.strip())


@dataclass
class Row:
    """One non-empty data row: cells by canonical header."""

    file: str
    sheet: str
    number: int  # 1-based, as Excel shows it
    cells: Mapping[str, Cell]

    def __getitem__(self, header: str) -> Cell | TableCell:
        try:
            return self.cells[header]
        except KeyError:  # a column the sheet lacks: no cell
            return Cell(None, Location(self.file, self.sheet, header=header))

    @property
    def location(self) -> Location:
        return Location(self.file, self.sheet, self.number, 0)


@dataclass(frozen=True)
class TableLayout:
    """What every row of one table shares: where it is and which column holds which header."""

    file: str
    sheet: str  # the canonical sheet name
    columns: dict[str, int]
    facts: SheetFacts
    covered: AbstractSet[tuple[int, int]] = frozenset()  # 0-based cells under a merge's first

    @cached_property
    def headers(self) -> dict[int, str]:
        """Column index → header (for a cell's Location)."""
        return {index: header for header, index in self.columns.items()}


class TableCell:
    """A data cell of a table row, as `Cell` but with its Location made only when asked for.

    Validation reads every cell once and needs a cell's location only when it reports a
    problem there: building a Location for each of 800,000 cells would cost more than the
    checks themselves.
    """

    __slots__ = ("_index", "_layout", "_number", "covered", "error", "unsaved_formula", "value")

    def __init__(self, layout: TableLayout, number: int, index: int, value: object) -> None:
        self._layout, self._number, self._index, self.value = layout, number, index, value
        facts = layout.facts
        if facts.unsaved or facts.errors or layout.covered:
            position = (number - 1, index)
            self.unsaved_formula = position in facts.unsaved
            self.error = facts.errors.get(position)
            self.covered = position in layout.covered
        else:
            self.unsaved_formula, self.error, self.covered = False, None, False

    @property
    def location(self) -> Location:
        layout, index = self._layout, self._index
        return Location(layout.file, layout.sheet, self._number, index, layout.headers[index])

    blank = Cell.blank


class TableCells(Mapping[str, Cell]):
    """A table row's cells, made when asked for.

    Holding a Cell and a Location for every cell at once would cost more memory than the
    data itself (a 50,000-row workbook has some 400,000 cells); validation asks for each once.
    """

    __slots__ = ("layout", "number", "raw")

    def __init__(self, layout: TableLayout, number: int, raw: list[object]) -> None:
        # Public: the converters read a table row straight from its grid (check.kinds)
        self.layout, self.number, self.raw = layout, number, raw

    def __getitem__(self, header: str) -> TableCell:
        index = self.layout.columns[header]
        raw = self.raw
        value = raw[index] if index < len(raw) else None
        return TableCell(self.layout, self.number, index, None if value == "" else value)

    def get(self, header: str, default: Cell | None = None) -> Cell | TableCell | None:
        return self[header] if header in self.layout.columns else default

    def __contains__(self, header: object) -> bool:
        return header in self.layout.columns

    def __iter__(self) -> Iterator[str]:
        return iter(self.layout.columns)

    def __len__(self) -> int:
        return len(self.layout.columns)


@dataclass
class SheetData:
    spec: Sheet
    file: str
    rows: list[Row]

    @property
    def empty(self) -> bool:
        """Only a header row (or, for 報告設定, no known key): the sheet counts as absent."""
        return not self.rows or (self.spec is SETTINGS and not self.rows[0].cells)


class Sheets(Mapping[str, SheetData]):
    """A workbook's known sheets by canonical name, each read when it is first asked for.

    Which tab stands for which sheet is known before any is parsed, so names, `in` and `len`
    never read. A sheet registered with `later` is read on first access: the checks ask in
    schema.CHECK_ORDER, 活動 last, so calamine parses 活動 on its worker thread while Python
    checks 訪賓 (read/workbook.OpenWorkbook.parse_ahead). `complete` reads what is left;
    callbacks given to `when_complete` run once every sheet is read.
    """

    def __init__(self) -> None:
        self._order: list[str] = []
        self._read: dict[str, SheetData] = {}
        self._pending: dict[str, Callable[[], SheetData]] = {}
        self._on_complete: list[Callable[[Sheets], None]] = []

    def __setitem__(self, name: str, data: SheetData) -> None:
        if name not in self._read and name not in self._pending:
            self._order.append(name)
        self._read[name] = data

    def later(self, name: str, read: Callable[[], SheetData]) -> None:
        """Register a sheet to be read on first access."""
        self._order.append(name)
        self._pending[name] = read

    def __getitem__(self, name: str) -> SheetData:
        if name in self._pending:
            self._read[name] = self._pending.pop(name)()
            if not self._pending:
                callbacks, self._on_complete = self._on_complete, []
                for callback in callbacks:
                    callback(self)
        return self._read[name]

    def __contains__(self, name: object) -> bool:
        return name in self._read or name in self._pending

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    def when_complete(self, callback: Callable[[Sheets], None]) -> None:
        """Call `callback` once every sheet is read: now, if none is left to read."""
        if self._pending:
            self._on_complete.append(callback)
        else:
            callback(self)

    def complete(self) -> None:
        """Read every sheet not yet read, in the order registered."""
        for name in list(self._pending):
            self[name]


@dataclass
class WorkbookData:
    path: Path
    name: str
    sheets: Sheets = field(default_factory=Sheets)
