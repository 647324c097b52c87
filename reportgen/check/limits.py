"""How long a cell's text may be, by the kind of its column: longer values are errors at their cell."""

from __future__ import annotations

from ..problems import Location, Problems, shorten
from ..schema import MAX_CHARS, Column, Kind  # MAX_CHARS: declared with the kinds, read/ takes it too

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
