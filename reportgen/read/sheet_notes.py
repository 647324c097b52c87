"""Sheet-level facts staff cannot see from the data: hidden sheets and merged header cells."""

from __future__ import annotations

from collections.abc import Sequence

from ..cells import column_letter
from ..problems import Location, Problems
from ..schema import Sheet


def note_hidden_sheet(meta: object, spec: Sheet, file: str, problems: Problems) -> None:
    """A hidden sheet is still read, but staff checking the workbook would not see its rows."""
    from python_calamine import SheetVisibleEnum

    if getattr(meta, "visible", SheetVisibleEnum.Visible) == SheetVisibleEnum.Visible:
        return
    problems.add("hidden-sheet", Location(file, spec.name))


Range = tuple[tuple[int, int], tuple[int, int]]  # ((top, left), (bottom, right)), 0-based


def merged_ranges(sheet: object, known: Sequence[Range] | None = None) -> Sequence[Range]:
    """A tab's merged ranges: `known` when given (.ods, which calamine gives none for), else
    calamine's."""
    if known is not None:
        return known
    return getattr(sheet, "merged_cell_ranges", None) or []


def header_merges(ranges: Sequence[Range]) -> list[tuple[int, int]]:
    """Merged ranges in the header row, as 0-based first and last column.

    calamine gives a merged range's value to its top-left cell only, so the other columns of
    the range have no header.
    """
    return [(left, right) for (top, left), (_bottom, right) in ranges if top == 0 and right > left]


def _span(left: int, right: int) -> str:
    return f"{column_letter(left)}1:{column_letter(right)}1"


def merged_header_note(merged: Sequence[tuple[int, int]]) -> str:
    """Why a header may be missing although staff see it: merging keeps one cell's value."""
    if not merged:
        return ""
    spans = "、".join(_span(left, right) for left, right in merged)
    return f"第 1 列有合併儲存格（{spans}），合併後只有最左邊一格保有欄名。"


def note_merged_header(merged: Sequence[tuple[int, int]], grid: list[list[object]], file: str,
                       spec: Sheet, problems: Problems) -> None:
    """Data under the headerless part of a merged header would be ignored without a word."""
    for left, right in merged:
        covered = [col for col in range(left + 1, right + 1)
                   if any(col < len(row) and row[col] not in (None, "") for row in grid[1:])]
        if covered:
            letters = "、".join(column_letter(col) for col in covered)
            problems.add("merged-header", Location(file, spec.name, 1, left),
                         span=_span(left, right), letters=letters)
