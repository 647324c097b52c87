"""Where two workbooks' 報告設定 or 章節 differ: every differing cell in each, and both values.

Several staff may each fill a workbook; 報告設定 and 章節 must then say the same (SPEC §2). A
message that only said "they differ" left staff comparing two sheets by eye.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..problems import Location, Problems
from ..read.table import Cell, SheetData
from ..schema import SECTIONS, SETTINGS, Column
from .kinds import INVALID, Context, as_text, convert, date_as_text


@dataclass(frozen=True)
class Difference:
    here: Location  # the cell in the workbook reported
    here_value: str
    there: Location  # the cell in the first workbook
    there_value: str

    def fields(self, first: str) -> dict[str, str]:
        return {"detail": f"本檔 {self.here.sheet}!{self.here.cell or '（沒有）'} 是「{self.here_value}」，"
                          f"{first} 的 {self.there.sheet}!{self.there.cell or '（沒有）'} 是「{self.there_value}」"}


def _value(cell: Cell, col: Column, parens: str) -> object:
    value = convert(cell, col, Context(Problems(), parens))
    return None if value is INVALID else value


def _shown(cell: Cell, col: Column | None = None) -> str:
    if cell.blank:
        return "（空白）"
    return date_as_text(cell.value) if col is not None and col.kind.is_date else as_text(cell.value)


def differences(first: SheetData, other: SheetData, parens: str = "半形") -> list[Difference]:
    """Every cell (in sheet order) whose value differs between `first` and `other` (SPEC §4: every
    problem is reported, not only the first), a 章節 row one of them lacks as one difference."""
    found: list[Difference] = []
    if first.spec is SETTINGS:
        a, b = first.rows[0], other.rows[0]
        for col in SETTINGS.columns:
            ca, cb = a[col.header], b[col.header]
            if _value(ca, col, parens) != _value(cb, col, parens):
                found.append(Difference(cb.location, _shown(cb, col), ca.location, _shown(ca, col)))
        return found
    if first.spec is not SECTIONS:
        return found
    number = SECTIONS.by_key("number")
    rows_a = {_value(row[number.header], number, parens): row for row in first.rows}
    rows_b = {_value(row[number.header], number, parens): row for row in other.rows}
    for key in [*rows_b, *(k for k in rows_a if k not in rows_b)]:
        ra, rb = rows_a.get(key), rows_b.get(key)
        if ra is None or rb is None:
            present = rb if rb is not None else ra
            cell = present[number.header]
            missing = Location(first.file if ra is None else other.file, SECTIONS.name)
            shown = f"節次 {_shown(cell)}"
            found.append(Difference(cell.location, shown, missing, f"沒有{shown}") if rb is not None
                         else Difference(missing, f"沒有{shown}", cell.location, shown))
            continue
        for col in SECTIONS.columns:
            if col.note:
                continue
            ca, cb = ra[col.header], rb[col.header]
            if _value(ca, col, parens) != _value(cb, col, parens):
                found.append(Difference(cb.location, _shown(cb, col), ca.location, _shown(ca, col)))
    return found
