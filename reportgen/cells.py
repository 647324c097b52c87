"""Cell addresses and text widths: the one place that turns (row, column) into `E7` and back."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .normalize import nothing_invisible, strip_invisible

_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")
# Our own few lines rather than openpyxl's: importing openpyxl costs every command ~70 ms, and
# reading a workbook never needs it (calamine reads). One implementation, used everywhere here.


@lru_cache(maxsize=1024)
def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA (0-based, as calamine's grid)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def get_column_letter(number: int) -> str:
    """1 → A: openpyxl's 1-based spelling, for code that builds sheets with openpyxl."""
    return column_letter(number - 1)


def column_index(letters: str) -> int:
    """A → 0, Z → 25, AA → 26: the inverse of column_letter ("" → -1: a row's own `r`)."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def cell_ref(row: int, col: int) -> str:
    """(7, 4) → `E7`: a 1-based row and a 0-based column, as a person reads them."""
    return f"{column_letter(col)}{row}"


def cell_position(ref: str) -> tuple[int, int] | None:
    """`C10` → (9, 2), 0-based row and column; None when `ref` is not a cell address."""
    match = _CELL_REF.fullmatch(ref)
    return (int(match.group(2)) - 1, column_index(match.group(1))) if match else None


def fold_width(text: str) -> str:
    """Full-width letters, digits and punctuation as their half-width forms (NFKC): one rule for all."""
    return unicodedata.normalize("NFKC", text)


def fold(text: object) -> str:
    """Compare headers, sheet names and choices tolerantly: width-folded, without spaces or
    invisible characters (a zero-width space pasted into a header still names the column)."""
    text = str(text)
    if not nothing_invisible(text):
        text = strip_invisible(text)[0]
    return "".join(fold_width(text).split())


def display_width(text: str) -> int:
    """Columns a text takes on a screen or in a spreadsheet: CJK characters count double."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
