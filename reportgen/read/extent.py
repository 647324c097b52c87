"""Where a worksheet's cells end, read from its XML before any parser builds a grid.

calamine builds a dense grid from A1 to the last cell, so one far-away reference (XFD1048576) in a
tiny file would ask for billions of cells. The safety check (safety.py) streams each worksheet part
once and asks this module where its cells could end: every reference spelling calamine takes is
read here (lower case, leading zeros, spaces around `=`, single quotes), and where cells or rows
without r= occur, the reader's own placement is followed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from ..cells import column_index, column_letter

# A cell or row reference attribute: r="B7" on <c>, r="7" on <row>. The reader (calamine) also
# takes lower-case letters, any number of letters and digits (leading zeros too), single quotes
# and white space around `=`, so all of these are references here.
REFERENCE = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]*)([0-9]+)["']""")
# Attribute syntax other than r="…" (white space around `=`, a single quote): extent then
# collects every reference rather than trusting _beyond, which looks for r=" only.
_ODD_SYNTAX = re.compile(rb"""r(?:\s+=|=\s|=')""")
# Cells are counted (a part of millions compresses to little and would fill memory). Rows and
# cells without r= follow the previous one: follow places them. (ROW_ELEMENT: `<row` counted alike.)
ROW_ELEMENT = re.compile(rb"<(?:\w{1,20}:)?row\b")
CELL_ELEMENT = re.compile(rb"<(?:\w{1,20}:)?c\b")


def round_down(number: int) -> int:
    """`number` or less, as two leading digits followed by nines (189,999 for 192,307), so the
    regex naming any larger number has few branches."""
    if number < 100:
        return number
    scale = 10 ** (len(str(number)) - 2)
    return number // scale * scale - 1


@lru_cache(maxsize=64)
def outside(row: int, column: int) -> re.Pattern[bytes]:
    """Any `<c` or `<row` element not written whole as Excel, Calc and openpyxl write one: first
    ` r="` and a reference within the bounds (`row`, `column`, 1-based) in upper-case letters and
    digits without a leading zero, then only the usual other attributes (a cell's s, t, cm, vm, ph;
    a row's any but r, with or without a prefix), each ` name="value"` with no `<` or `>` in its
    value, up to the tag's end.

    Cells without r= (each follows the previous one), odd spellings (lower case, `r = "…"`, single
    quotes, other attributes first) and a second r attribute (the reader places a cell by its
    last one: `<c r="A1" r="XFD9">` is a cell in XFD9) are found too: the bounded scan cannot
    judge those, so it declines; so it does for a prefixed element (`<x:c`), which found looks for.

    Search with found: an element is judged whole when its tag ends within JUDGED bytes of its `<`.
    No possessive quantifier (Python 3.10 has none).
    """
    rows = _at_most(str(row), "0123456789"[1:], "0123456789") if row >= 1 else "(?!)"
    letters = column_letter(column - 1) if column >= 1 else ""
    columns = _at_most(letters, _LETTERS, _LETTERS) if letters else "(?!)"
    value = '="[^"<>]*"'
    cell = f'c(?=[\\s/>])(?! r="{columns}{rows}"(?: (?:s|t|cm|vm|ph){value})*/?>)'
    line = f'row(?=[\\s/>])(?! r="{rows}"(?: (?!(?:[\\w.-]+:)?r=)[\\w:.-]+{value})*/?>)'
    return re.compile(f"<(?:{cell}|{line})".encode())


# A prefixed cell or row (`<x:c`), which the reader reads as any other: a search of its own,
# since a branch of outside for it would slow every search by half (it is tried at every `<`).
_PREFIXED = re.compile(rb":(?:c|row)[\s/>]")


def found(pattern: re.Pattern[bytes], text: bytes) -> bool:
    """Whether `pattern` (outside's) finds an element with JUDGED bytes after its `<` in `text`,
    or `text` holds a prefixed element: one cut at a chunk's end is not mistaken for a cell
    without r=, and the next search, of the bytes around that end, sees it whole. A later match
    would lie nearer the end, so the first decides."""
    match = pattern.search(text)
    return (match is not None and match.start() < len(text) - JUDGED) or _PREFIXED.search(text) is not None


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Bytes after `<` within which an element's tag is judged whole (`<c r="XFD1048576" s="12" t="inlineStr">`
# and a row's spans, height and style with room to spare); a longer tag cut by a chunk's end declines.
JUDGED = 256


def _at_most(largest: str, first: str, alphabet: str) -> str:
    """A pattern for the strings up to `largest` in its alphabet's order, shorter ones first:
    decimal numbers without a leading zero, or column letters (A … Z, AA …)."""
    def below(symbol: str, lowest: str) -> str:
        return f"[{lowest}-{alphabet[alphabet.index(symbol) - 1]}]"

    size = len(largest)
    branches = [f"[{first[0]}-{first[-1]}][{alphabet[0]}-{alphabet[-1]}]{{0,{size - 2}}}"] if size > 1 else []
    for i, symbol in enumerate(largest):
        lowest = first[0] if i == 0 else alphabet[0]
        if symbol > lowest:
            rest = size - i - 1
            tail = f"[{alphabet[0]}-{alphabet[-1]}]{{{rest}}}" if rest else ""
            branches.append(largest[:i] + below(symbol, lowest) + tail)
    branches.append(largest)
    return "(?:" + "|".join(branches) + ")"


# Any cell or row that does not start with r="…" spelled as written by Excel, Calc and openpyxl
# (see outside): the exact scan then follows the reader's placement (follow).
UNJUDGED = outside(9_999_999, 18_278)
PAD = b"\0" * JUDGED  # after the last bytes of a part, so its last element is looked at too


_TAIL = 4096  # bytes at a chunk's end whose references give the candidates extent checks


def window_extent(window: bytes) -> tuple[int, int]:
    """The largest row and column (1-based) that any reference in `window` names (REFERENCE).

    Rows and cells come in order, so the largest usually sit at the end: they are read from the
    last few kB, and one regex search then confirms that no reference anywhere in the window is
    larger (a search that finds nothing is far cheaper than collecting every reference). When
    one is, or a reference may be spelled otherwise than r="…" (_ODD_SYNTAX), every reference
    is collected, as before.
    """
    if _ODD_SYNTAX.search(window) is None:
        found = REFERENCE.findall(window[-_TAIL:])
        if found:
            row, column = largest(found)
            if _beyond(row, column).search(window) is None:
                return row, column
    found = REFERENCE.findall(window)
    return largest(found) if found else (0, 0)


def largest(found: list[tuple[bytes, bytes]]) -> tuple[int, int]:
    """The last row and column the cells' references name; a row's own reference (digits alone)
    spans nothing: the reader's grid ends at its last cell, and a row element holding none (its
    height set far down the sheet) is no reason to refuse a workbook. Distinct values first: a
    sheet repeats the same few columns on every row."""
    cells = {(letters, digits) for letters, digits in found if letters}
    if not cells:
        return 0, 0
    row = max(map(int, {digits for _, digits in cells}))
    column = max(column_index(letters.decode().upper()) + 1 for letters in {letters for letters, _ in cells})
    return row, column


@lru_cache(maxsize=256)
def _beyond(row: int, column: int) -> re.Pattern[bytes]:
    """A double-quoted reference naming a row above `row` or a column beyond `column` (1-based),
    in either case and with any number of letters and digits (leading zeros too).

    It may also match other `r="…"` text (then extent collects every reference, which is exact),
    but never misses a larger reference of REFERENCE's form spelled r="…".
    """
    digits = str(row)
    rows = [f"[1-9][0-9]{{{len(digits)},}}"]  # more significant digits
    for i, digit in enumerate(digits):  # same length, larger from the first digit that differs
        if digit != "9":
            rest = len(digits) - i - 1
            rows.append(digits[:i] + f"[{int(digit) + 1}-9]" + (f"[0-9]{{{rest}}}" if rest else ""))
    letters = column_letter(column - 1) if column > 0 else ""
    columns = [f"[A-Za-z]{{{len(letters) + 1},}}"]
    for i, letter in enumerate(letters):
        if letter != "Z":
            rest = len(letters) - i - 1
            larger = chr(ord(letter) + 1)
            columns.append("".join(f"[{a}{a.lower()}]" for a in letters[:i]) + f"[{larger}-Z{larger.lower()}-z]"
                           + (f"[A-Za-z]{{{rest}}}" if rest else ""))
    parts = ["[A-Za-z]*0*(?:" + "|".join(rows) + ")", "(?:" + "|".join(columns) + ")[0-9]+"]
    return re.compile(('r="(?:' + "|".join(parts) + ')"').encode())


# Element starts of cells and rows, and the attributes of one (the bytes up to the next `<`).
_START = re.compile(rb"<(?:[^\s<>/!?:=]{1,64}:)?(c|row)(?=[\s/>])([^<]*)")
_ATTRIBUTE = re.compile(rb"""\s*([^\s=<>/]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_LETTER_RUN = re.compile(rb"[A-Za-z]+")
_DIGIT_RUN = re.compile(rb"[0-9]+")


def follow(chunks: Iterable[bytes]) -> tuple[int, int]:
    """The last row and column (1-based) of a worksheet's cells as the reader places them.

    A cell without r= goes one column right of the previous cell of its row (the first to A),
    a row without r= one below the previous row, and a cell without r= into its row. A reference
    of any spelling counts (lower case, leading zeros, any length, either quote, white space
    around `=`); where several r attributes or odd bytes leave doubt, the larger reading. Slow
    (every element is looked at), so only for sheets that UNJUDGED finds anything in. `chunks`:
    the part's bytes, inflated (as UTF-8), in order.
    """
    last_row = last_column = row = column = 0

    def place(whole: bytes) -> None:  # complete elements only: no `<` inside one
        nonlocal last_row, last_column, row, column
        for start in _START.finditer(whole):
            named_column, named_row = _reference(start.group(2))
            if start.group(1) == b"row":  # a row holding no cell (a height set far down) spans nothing
                row = named_row or row + 1
                column = 0
            else:
                column = named_column or column + 1
                last_row, last_column = max(last_row, named_row or row), max(last_column, column)

    pending: list[bytes] = []  # the bytes from the last `<` on, joined once the element ends
    for text in chunks:
        cut = text.rfind(b"<")
        if cut < 0:
            pending.append(text)
            continue
        place(b"".join([*pending, text[:cut]]))
        pending = [text[cut:]]
    place(b"".join(pending) + b">")
    return last_row, last_column


def _reference(attributes: bytes) -> tuple[int, int]:
    """Column (1-based) and row of an element's r attributes; 0 for a part it lacks."""
    column = row = 0
    at = 0
    while (attribute := _ATTRIBUTE.match(attributes, at)) is not None:
        at = attribute.end()
        if attribute.group(1) != b"r":
            continue
        value = attribute.group(2) if attribute.group(2) is not None else attribute.group(3)
        letters = b"".join(_LETTER_RUN.findall(value)).upper()
        digits = b"".join(_DIGIT_RUN.findall(value))
        column = max(column, column_index(letters.decode()) + 1 if letters else 0)
        row = max(row, int(digits) if digits else 0)
    return column, row


def elements(text: bytes, tag: bytes, pattern: re.Pattern[bytes]) -> int:
    """How many `<tag` elements (`pattern`) a chunk holds: without any namespace prefix (`<x:row`)
    one search for `<tag` not followed by a word character (`<rowBreaks`), as `pattern` counts."""
    if b":" in text and b":" + tag in text:
        return len(pattern.findall(text))
    return len(_unprefixed(tag).findall(text))


@lru_cache(maxsize=8)
def _unprefixed(tag: bytes) -> re.Pattern[bytes]:
    return re.compile(re.escape(b"<" + tag) + rb"\b")


