"""How long a cell's text may be, by the kind of its column: longer values are errors at their cell."""

from __future__ import annotations

from ..problems import Location, Problems, shorten
from ..schema import Column, Kind

# Characters of typed text. A title or organisation of 200 characters is already a paragraph;
# 10,000 characters of 內容 is several printed pages (Excel itself stops at 32,767). Dates and
# numbers are short by nature, so a long one is a value pasted into the wrong column. (A long
# choice is already reported as a value not among the choices.)
MAX_CHARS: dict[Kind, int] = {
    Kind.LINE: 200,
    Kind.PROSE: 10_000,
    Kind.ITEMS: 200,
    Kind.DATE: 100,
    Kind.MONTH: 100,
    Kind.INT: 100,
}

_FIX: dict[Kind, str] = {
    Kind.LINE: "請精簡到 {limit:,} 字以內；詳細說明請寫在「內容」。",
    Kind.ITEMS: "請精簡到 {limit:,} 字以內；詳細說明請寫在「內容」。",
    Kind.PROSE: "請精簡到 {limit:,} 字以內，或分成幾項活動。",
}


def fits(value: object, location: Location, col: Column, problems: Problems) -> bool:
    """True when the cell's text is within its column's limit; otherwise record an error."""
    limit = MAX_CHARS.get(col.kind)
    if not isinstance(value, str) or limit is None or len(value) <= limit:
        return True
    advice = _FIX.get(col.kind, "這一欄的內容不應這麼長，請確認是否貼錯欄位。").format(limit=limit)
    problems.add("too-long", location, found=shorten(value), length=len(value), limit=limit,
                 advice=advice)
    return False
