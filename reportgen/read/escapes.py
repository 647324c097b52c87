"""Excel's `_xHHHH_` escapes decoded once, as Excel shows the cell (SPEC §4), over python-calamine.

calamine decodes an escape up to U+00FF itself and leaves the others; the reader decodes those
(normalize.decode_escapes). That is once for every cell but one kind: a cell in which staff typed
text that looks like an escape. Excel saves a typed `_x4E2D_` as `_x005F_x4E2D_` (its underscore
escaped); calamine turns that into `_x4E2D_`, which the reader would decode a second time into 中.
Only a part holding `_x005F_` can hold such a cell, so only then are its strings read here, and
each such cell is given Excel's reading of what the file saves.
"""

from __future__ import annotations

import html
import re

from ..cells import cell_position
from ..normalize import ESCAPE

# An escaped underscore as Excel writes it: the only way a typed `_xHHHH_` reaches the file.
MARKERS = (b"_x005F_", b"_x005f_")
# A string item: shared (`<si>`) or inline (`<is>`), any namespace prefix; its text runs `<t>`,
# phonetic guides (`<rPh>`, furigana) left out as calamine leaves them out.
_ITEM = re.compile(r"<(?:\w+:)?(si|is)\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?\1>)", re.S)
_PHONETIC = re.compile(r"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_TEXT = re.compile(r"<(?:\w+:)?t(?:\s[^>]*)?(?:/>|>(.*?)</(?:\w+:)?t>)", re.S)
# A worksheet cell holding a string: its attributes and content.
_CELL = re.compile(r"<(?:\w+:)?c\s([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_ATTRIBUTE = re.compile(r"""\b(r|t)\s*=\s*["']([^"']*)["']""")
_VALUE = re.compile(r"<(?:\w+:)?v>\s*([0-9]+)\s*</", re.S)


def excel_reading(raw: str) -> str:
    """What Excel shows for a string saved as `raw`: every escape decoded once, left to right (an
    escaped surrogate pair, Excel's way with an emoji, joined; a lone surrogate kept for cleaning)."""
    decoded = ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), raw)
    return decoded.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _item_text(body: str | None) -> str:
    body = _PHONETIC.sub("", body or "")
    return html.unescape("".join(t.group(1) or "" for t in _TEXT.finditer(body)))


def shared_strings(part: bytes) -> list[str]:
    """The shared strings as saved (escapes kept), in index order."""
    return [_item_text(match.group(2)) for match in _ITEM.finditer(part.decode("utf-8", "replace"))]


def typed_cells(sheet: bytes, shared: list[str]) -> dict[tuple[int, int], str]:
    """0-based (row, column) → Excel's reading, for each string cell of `sheet` saving an escaped
    underscore (`shared`: the workbook's shared strings, [] when they hold none)."""
    marked = {index for index, raw in enumerate(shared) if "_x005F_" in raw or "_x005f_" in raw}
    found: dict[tuple[int, int], str] = {}
    for cell in _CELL.finditer(sheet.decode("utf-8", "replace")):
        attributes = dict(_ATTRIBUTE.findall(cell.group(1)))
        kind, body = attributes.get("t"), cell.group(2) or ""
        if kind == "s" and marked and (value := _VALUE.search(body)) and int(value.group(1)) in marked:
            raw = shared[int(value.group(1))]
        elif kind == "inlineStr" and ("_x005F_" in body or "_x005f_" in body):
            item = _ITEM.search(body)
            raw = _item_text(item.group(2)) if item else ""
        else:
            continue
        position = cell_position(attributes.get("r", ""))
        if position is not None:
            found[position] = excel_reading(raw)
    return found
