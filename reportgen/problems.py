"""Problems are data: typed records with a location, collected rather than raised."""

from __future__ import annotations

from dataclasses import dataclass

from .cells import column_letter
from .codes import CODES, Severity
from .schema import SHEETS

_SHEET_ORDER = {sheet.name: index for index, sheet in enumerate(SHEETS)}


@dataclass(frozen=True)
class Location:
    """Where a value came from: file, sheet, a 1-based row and a 0-based column, and the header.

    `row` 0 means no row (a whole sheet, a missing column); `col` -1 means no column.
    `str()` gives what staff see: `a.xlsx 訪賓!E7（人數）`.
    """

    file: str = ""
    sheet: str = ""
    row: int = 0
    col: int = -1
    header: str = ""

    def __post_init__(self) -> None:
        if type(self.row) is not int:  # the old string form Location(file, sheet, "E7")
            raise TypeError(f"Location row must be a 1-based int, not {self.row!r}; "
                            "use Location(file, sheet, row, col, header)")

    @property
    def cell(self) -> str:
        """`E7`, or "" when the location is not one cell."""
        if self.row <= 0:
            return ""
        return f"{column_letter(max(self.col, 0))}{self.row}"

    @property
    def column(self) -> str:
        """The column's letters (`E`), or "" when there is no cell."""
        return column_letter(max(self.col, 0)) if self.row > 0 else ""

    def sort_key(self) -> tuple[str, int, str, int, int]:
        """File, then sheets in workbook order (報告設定, 章節, 活動, 訪賓), then row and column."""
        order = _SHEET_ORDER.get(self.sheet, len(_SHEET_ORDER))
        return (self.file, order, self.sheet, self.row, self.col)

    def __str__(self) -> str:
        parts = [self.file] if self.file else []
        if self.sheet:
            parts.append(f"{self.sheet}!{self.cell}" if self.cell else self.sheet)
        text = " ".join(parts)
        if self.header:
            text += f"（{self.header}）"
        return text


@dataclass(frozen=True)
class Problem:
    """One finding. `code` is stable for tests and tools; `message` is for people."""

    code: str
    severity: Severity
    location: Location
    message: str
    found: str | None = None
    fix: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def render(self) -> str:
        text = f"{self.severity.value}　{self.location}：{self.message}"
        if self.found is not None:
            text += f"（填寫的是「{shorten(self.found)}」）"
        if self.fix:
            text += f"　{self.fix}"
        return text


def shorten(text: str, limit: int = 40) -> str:
    """Quote long values by their start so a message stays one readable line."""
    text = text.replace("\n", "〈換行〉")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Problems(list[Problem]):
    """An ordered collection of problems, each made from its code in the catalogue (codes.py)."""

    def add(self, code: str, location: Location, *, found: str | None = None, **fields: object) -> None:
        """Record `code` at `location`; `fields` fill the catalogue's message and fix templates."""
        entry = CODES[code]
        fields.setdefault("header", location.header)
        fields.setdefault("sheet", location.sheet)
        self.append(Problem(code, entry.severity, location, entry.message.format(**fields), found,
                            entry.fix.format(**fields)))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self if not p.is_error]

    def sorted(self) -> list[Problem]:
        return sorted(self, key=lambda p: (p.location.sort_key(), p.code))

    def flatten(self, fields: tuple[str, ...] = ("file", "sheet", "cell", "code")) -> list[tuple]:
        """Problems as plain tuples, sorted (frictionless' `Report.flatten`): tests compare these."""
        rows = []
        for problem in self.sorted():
            where = problem.location
            values = {"file": where.file, "sheet": where.sheet, "cell": where.cell,
                      "header": where.header, "row": where.row, "col": where.col,
                      "code": problem.code, "severity": problem.severity.value}
            rows.append(tuple(values[name] for name in fields))
        return rows

    def summary(self) -> str:
        return f"錯誤 {len(self.errors)} 項、警告 {len(self.warnings)} 項"
