"""What calamine cannot tell from a sheet's values: formulas saved without a value, formulas
whose saved value is an error (`#DIV/0!` reads as blank), and hidden or filtered-out rows."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from pathlib import Path

import defusedxml.ElementTree as SafeET

from ..cells import cell_position

_REF = re.compile(r"([A-Z]+)(\d+)")
# A formula element, with or without a namespace prefix (`<f>`, `<f t="shared"/>`, `<x:f>`).
_FORMULA = re.compile(rb"<(\w+:)?f[\s/>]")
_REF_ATTR = re.compile(rb'\sr="([A-Z]+[0-9]+)"')
_TYPE_ATTR = re.compile(rb'\st="(\w+)"')
# A cell whose formula returns text may legitimately save an empty value.
_TEXT_TYPES = {"str", "inlineStr"}

Position = tuple[int, int]  # 0-based row and column, as calamine's grid
# Substrings without which a sheet has no formula, error value or hidden row (sheet_facts' first
# tests): the safety check looks for them while it inflates the sheet anyway.
FACT_MARKERS = (b"<f", b":f", b't="e"', b'hidden="')
# Each marker with a byte of it that sheet XML seldom holds: looking for one byte is a memchr, many
# times faster than a search for two; only when the byte is there is the marker itself looked for.
FACT_MARKER_BYTES = ((b"<f", b"f"), (b":f", b"f"), (b't="e"', b""), (b'hidden="', b"h"))


# Markers with a rare byte first: `t="e"` has none and costs a search of the whole text.
_BY_COST = sorted(FACT_MARKER_BYTES, key=lambda pair: not pair[1])
_FEW = 1000  # occurrences of a rare byte looked at one by one before the whole text is searched


def may_hold_facts(text: bytes) -> bool:
    """Whether `text` holds any of FACT_MARKERS."""
    return any(holds(text, marker, byte) for marker, byte in _BY_COST)


def holds(text: bytes, marker: bytes, byte: bytes) -> bool:
    """`marker in text`, looked for only where its rare `byte` is (one memchr each) while there
    are few: searching for a marker reads every byte of the text, a memchr is many times faster
    (safety.py looks for `_x` and `<v>-` this way too)."""
    if not byte:
        return marker in text
    offset = marker.index(byte)
    at = text.find(byte)
    for _ in range(_FEW):
        if at < 0:
            return False
        if at >= offset and text.startswith(marker, at - offset):
            return True
        at = text.find(byte, at + 1)
    return marker in text


def unsaved_formula_cells(path: Path) -> dict[str, set[Position]]:
    """Cells, by sheet name, holding a formula but no saved result (xlsx/xlsm only).

    Programs that write workbooks without calculating them (openpyxl, some exporters) leave
    `<v>` out or empty; Excel and Calc always save the result. Files without any formula
    pay one substring search per sheet.
    """
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return {}
    try:
        with zipfile.ZipFile(path) as archive:
            found: dict[str, set[Position]] = {}
            for name, part in _sheet_parts(archive).items():
                try:
                    data = archive.read(part)
                except KeyError:
                    continue
                if (b"<f" not in data and b":f" not in data) or not _FORMULA.search(data):
                    continue
                cells = _find_quickly(data)
                if cells is None:
                    cells = _scan(data)
                if cells:
                    found[name] = cells
            return found
    except (zipfile.BadZipFile, OSError, SafeET.ParseError, ValueError, SyntaxError):
        return {}  # the reader has already opened the file; anything odder is its concern


def sheet_facts(data: bytes) -> tuple[set[Position], dict[Position, str], list[int]]:
    """One sheet part's unsaved formulas, error values (`#REF!`) and hidden rows (1-based).

    A substring test first for each, so a sheet without any pays three searches.
    """
    unsaved: set[Position] = set()
    if (b"<f" in data or b":f" in data) and _FORMULA.search(data):
        found = _find_quickly(data)
        unsaved = found if found is not None else _scan(data)
    return unsaved, error_cells(data), hidden_rows(data)


_ERROR_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*\st="e"[^>]*)>(.*?)</(?:\w+:)?c>', re.S)
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_HIDDEN_ROW = re.compile(rb'<(?:\w+:)?row\b([^>]*\shidden="(?:1|true)"[^>]*)>')
_ROW_NUMBER = re.compile(rb'\sr="(\d+)"')


def error_cells(data: bytes) -> dict[Position, str]:
    """Cells whose saved value is an error (`t="e"`): calamine reads them as blank."""
    if b't="e"' not in data:
        return {}
    found: dict[Position, str] = {}
    for match in _ERROR_CELL.finditer(data):
        ref = _REF_ATTR.search(b" " + match.group(1))
        value = _VALUE.search(match.group(2))
        if ref is not None:
            text = value.group(1).decode("utf-8", "replace") if value else "#VALUE!"
            found[_ref_position(ref.group(1).decode())] = text
    return found


def hidden_rows(data: bytes) -> list[int]:
    """Rows (1-based) hidden by hand or by a filter: both are saved as `hidden="1"`."""
    if b'hidden="' not in data:
        return []
    rows = []
    for match in _HIDDEN_ROW.finditer(data):
        number = _ROW_NUMBER.search(b" " + match.group(1))
        if number is not None:
            rows.append(int(number.group(1)))
    return rows


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Tab name → the zip member holding it; {} when the workbook part cannot be read."""
    try:
        return _sheet_parts(archive)
    except (KeyError, SafeET.ParseError, ValueError, SyntaxError):
        return {}
    except Exception:  # defusedxml refuses DTDs with its own types; safety reports those
        return {}


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → the zip member holding it, through the workbook's relationships."""
    workbook = SafeET.fromstring(archive.read("xl/workbook.xml"))
    rels = SafeET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter()
               if _local(rel.tag) == "Relationship"}
    parts: dict[str, str] = {}
    for sheet in workbook.iter():
        if _local(sheet.tag) != "sheet":
            continue
        rel_id = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
        target = targets.get(rel_id)
        if not target:
            continue
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join("xl", target))
        parts[sheet.get("name", "")] = part
    return parts


def _find_quickly(data: bytes) -> set[Position] | None:
    """Jump from formula to formula instead of reading every cell: fast on long sheets.

    Every writer puts `r="B7"` on cells and `</c>` after a formula, so the enclosing cell is
    found by searching back and forth from each `<f`. Nothing is expanded or resolved here;
    when a cell has no `r`, None sends the caller to the full streaming scan.
    """
    found: set[Position] = set()
    for match in _FORMULA.finditer(data):
        prefix = match.group(1) or b""
        start = data.rfind(b"<", 0, match.start())  # `<f>` is a cell's first child
        end = data.find(b"</" + prefix + b"c>", match.end())
        opening = data[start:start + len(prefix) + 3]
        if end < 0 or opening not in (b"<" + prefix + b"c ", b"<" + prefix + b"c>"):
            return None
        head = data[start:data.index(b">", start)]
        ref = _REF_ATTR.search(head)
        if ref is None:
            return None
        body = data[match.start():end]
        value = re.search(rb"<" + re.escape(prefix) + rb"v(?:\s[^>]*)?(/>|>([^<]*)<)", body)
        kind = _TYPE_ATTR.search(head)
        text_type = kind is not None and kind.group(1).decode() in _TEXT_TYPES
        if value is None or ((value.group(1) == b"/>" or not value.group(2)) and not text_type):
            found.add(_ref_position(ref.group(1).decode()))
    return found


def _scan(data: bytes) -> set[Position]:
    """One streaming pass that only surfaces formula and row elements, so it stays fast.

    lxml with entities, DTDs and network access turned off: the sheet XML is untrusted.
    Rows are dropped once read, keeping memory flat for long sheets.
    """
    from lxml import etree

    found: set[Position] = set()
    row_index = -1
    events = etree.iterparse(io.BytesIO(data), events=("start", "end"), tag=("{*}row", "{*}f"),
                             resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False)
    for event, element in events:
        if _local(element.tag) == "row":
            if event == "start":
                number = element.get("r")
                row_index = int(number) - 1 if number else row_index + 1
            else:
                element.clear()
            continue
        if event != "end":
            continue
        cell = element.getparent()
        if cell is None or _local(cell.tag) != "c":
            continue
        value = next((child for child in cell if _local(child.tag) == "v"), None)
        if value is None or (not value.text and cell.get("t") not in _TEXT_TYPES):
            found.add(_position(cell, row_index))
    return found


def _local(tag: str) -> str:
    """Tag without namespace: transitional and strict OOXML use different ones."""
    return tag.rpartition("}")[2]


def _position(cell, row: int) -> Position:
    if not _REF.fullmatch(cell.get("r") or ""):  # `r` is optional: then it follows its sibling
        previous = cell.getprevious()
        return row, (_position(previous, row)[1] + 1) if previous is not None else 0
    return _ref_position(cell.get("r"))


def _ref_position(ref: str) -> Position:
    position = cell_position(ref)
    if position is None:
        raise ValueError(ref)
    return position
