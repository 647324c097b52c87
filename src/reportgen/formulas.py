"""Find formula cells saved without a value, which calamine cannot tell apart from blanks."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from pathlib import Path

import defusedxml.ElementTree as SafeET

_REF = re.compile(r"([A-Z]+)(\d+)")
# A formula element, with or without a namespace prefix (`<f>`, `<f t="shared"/>`, `<x:f>`).
_MAY_HAVE_FORMULA = re.compile(rb"<(?:\w+:)?f[\s/>]")
# A cell whose formula returns text may legitimately save an empty value.
_TEXT_TYPES = {"str", "inlineStr"}

Position = tuple[int, int]  # 0-based row and column, as calamine's grid


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
                if not _MAY_HAVE_FORMULA.search(data):
                    continue
                cells = _scan(data)
                if cells:
                    found[name] = cells
            return found
    except (zipfile.BadZipFile, OSError, SafeET.ParseError, ValueError):
        return {}  # the reader has already opened the file; anything odder is its concern


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


def _scan(data: bytes) -> set[Position]:
    """One streaming pass over the sheet XML; elements are dropped as soon as they are read."""
    found: set[Position] = set()
    row_index = -1
    col_index = -1
    for event, element in SafeET.iterparse(io.BytesIO(data), events=("start", "end")):
        tag = _local(element.tag)
        if event == "start":
            if tag == "row":
                number = element.get("r")
                row_index = int(number) - 1 if number else row_index + 1
                col_index = -1
            continue
        if tag == "c":
            row_index, col_index = _position(element.get("r"), row_index, col_index)
            children = {_local(child.tag): child for child in element}
            if "f" in children:
                value = children.get("v")
                if value is None or (not value.text and element.get("t") not in _TEXT_TYPES):
                    found.add((row_index, col_index))
            element.clear()
        elif tag == "row":
            element.clear()
    return found


def _local(tag: str) -> str:
    """Tag without namespace: transitional and strict OOXML use different ones."""
    return tag.rpartition("}")[2]


def _position(ref: str | None, row: int, col: int) -> Position:
    match = _REF.fullmatch(ref or "")
    if not match:
        return row, col + 1  # `r` is optional: cells then follow one another
    letters, digits = match.groups()
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return int(digits) - 1, index - 1
