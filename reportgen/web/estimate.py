"""The memory a check will take, predicted from the uploaded bytes before any work starts.

A check's memory follows two things the upload declares without being parsed: the sheet XML it
inflates to (text, numbers, shared strings), and the cells of each sheet's used range, since the
reader builds a dense grid (two cells, A1 and E1000000, in a 10 kB file make a grid of five million).
The first is in the zip directory; the second comes from one streaming pass over each sheet's XML
that follows cell positions as the reader does (a cell without `r=` is the one after the last)
and keeps only the last row and column holding a value. Nothing is kept but counters, so the pass
takes the memory of one chunk. bench/serve_memory.py fits the factors below to measured peaks and
checks that the prediction is never below what a check really takes.

An upload that the library refuses before parsing (not a zip, too many entries, a bomb, a used
range over its cell limit) is predicted at the base cost: its check ends at the refusal.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..read.safety import MAX_CELLS, MAX_DIRECTORY, MAX_ENTRIES, MAX_RATIO, MAX_UNCOMPRESSED, RATIO_FLOOR
from .config import MB

BASE = 16 * MB  # a check of the example: the chapter, the report, the page
PER_XML_BYTE = 5  # bytes of memory per byte of sheet XML (text and numbers as Python objects)
PER_CELL = 240  # bytes per cell of a used range (the grid, its copy for the report, the report's row);
# 220 until a run of bench/serve_memory.py measured 449–470 MB for the two million repeated cells of
# its hostile .ods (the code of the previous landing too): the prediction must never fall below
PER_TEMPLATE_BYTE = 8  # a Word template is parsed once, its styles computed

_CHUNK = 1 << 20
_XLSX_SHEET = re.compile(r"xl/worksheets/[^/]+\.xml", re.IGNORECASE)
_XLSX_TEXT = ("xl/sharedStrings.xml",)
# One pattern for a worksheet's row and cell start tags, any namespace prefix; group 1 the tag name.
_XLSX_TAG = re.compile(rb"<(?:[\w.-]{1,20}:)?(row|c)\b([^>]*)>")
# A cell `<c r="B9" …>`; group 3 says it holds nothing: `/>`, or `></c>` (openpyxl's empty cell).
_USUAL_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,9})"[^>]*?(/>|></c>|>)')
_PREFIXED_CELL = re.compile(rb"<[\w.-]{1,20}:c\b")
_REFERENCE = re.compile(rb"""\br\s*=\s*["']\s*([A-Za-z]{0,3})\s*0*([0-9]{1,9})\s*["']""")
_ODS_TAG = re.compile(rb"<(/?)(?:[\w.-]{1,20}:)?(table(?=[\s>/])|table-row|table-cell|covered-table-cell)\b([^>]*)>")
_ROWS_REPEATED = re.compile(rb"""number-rows-repeated\s*=\s*["']\s*([0-9]{1,12})""")
_COLUMNS_REPEATED = re.compile(rb"""number-columns-repeated\s*=\s*["']\s*([0-9]{1,12})""")
_VALUE_TYPE = re.compile(rb"value-type\s*=")


@dataclass(frozen=True)
class Size:
    """What one upload declares: inflated sheet XML, and cells in the used ranges of its sheets."""

    xml: int = 0
    cells: int = 0

    @property
    def memory(self) -> int:
        return PER_XML_BYTE * self.xml + PER_CELL * self.cells


def predicted_memory(workbooks: Iterable[bytes], template: bytes | None = None, cap: int | None = None) -> int:
    """Bytes of memory one check of these uploads is expected to take at its peak.

    `cap`: once the prediction is above it, the rest is not measured (the upload is refused anyway).
    """
    total = BASE + (PER_TEMPLATE_BYTE * len(template) if template else 0)
    for data in workbooks:
        if cap is not None and total > cap:
            break
        total += measure(data, None if cap is None else cap - total).memory
    return total


def measure(data: bytes, cap: int | None = None) -> Size:
    """The Size of one workbook's bytes; Size() when the library would refuse it unparsed.
    When its sheet XML alone is predicted above `cap`, its cells are not counted."""
    if not data.startswith(b"PK") or not _sane_directory(data):
        return Size()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if sum(info.file_size for info in infos) > MAX_UNCOMPRESSED or any(
                    info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1)
                    for info in infos):
                return Size()
            sheets = [info for info in infos if _XLSX_SHEET.fullmatch(info.filename)]
            if sheets:
                xml = sum(info.file_size for info in infos if info.filename in _XLSX_TEXT)
                xml += sum(info.file_size for info in sheets)
                if cap is not None and PER_XML_BYTE * xml > cap:
                    return Size(xml)
                return Size(xml, sum(_within_limit(_xlsx_cells(_inflate(archive, info))) for info in sheets))
            content = next((info for info in infos if info.filename == "content.xml"), None)
            if content is None:
                return Size()
            if cap is not None and PER_XML_BYTE * content.file_size > cap:
                return Size(content.file_size)
            tables = _ods_cells(_inflate(archive, content))
            return Size(content.file_size, sum(_within_limit(cells) for cells in tables))
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, RuntimeError, OSError):
        return Size()  # the library refuses a damaged or encrypted package before parsing it


def _within_limit(cells: int) -> int:
    """A used range over the reader's limit is refused (or, for a tab never read, skipped) unread."""
    return cells if cells <= MAX_CELLS else 0


def _sane_directory(data: bytes) -> bool:
    """The zip's end record declares no more entries or directory bytes than the library allows,
    so zipfile's entry list stays small (the same limits, checked the same way, first)."""
    tail = data[-(22 + 65535):]
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return False
    entries, directory = struct.unpack("<HL", tail[at + 10:at + 16])
    return entries < 0xFFFF and directory < 0xFFFFFFFF and entries <= MAX_ENTRIES and directory <= MAX_DIRECTORY


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A part's bytes in chunks, each ending before a `<`, so no tag is split between two."""
    carry = b""
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            chunk = carry + chunk
            cut = chunk.rfind(b"<")
            if cut <= 0 or len(chunk) - cut > 64 * 1024:  # no tag start, or a tag of 64 kB: keep it whole
                carry, chunk = b"", chunk
            else:
                carry, chunk = chunk[cut:], chunk[:cut]
            yield chunk
    if carry:
        yield carry


def _xlsx_cells(chunks: Iterator[bytes]) -> int:
    """Rows × columns of the used range: the last row and column of a cell that holds something.

    A cell without content (`<c r="B9" s="3"/>`, `<c r="B9" s="3"></c>`) is formatting without a
    value; a row without cells, however far down, adds nothing. A row or cell without `r=`
    follows the one before, as the reader places it. A chunk written the usual way (`<c r="B9"`
    on every cell) is read with one pattern.
    """
    row = column = last_row = last_column = 0
    for chunk in chunks:
        usual = _USUAL_CELL.findall(chunk)
        cells = chunk.count(b"<c ") + chunk.count(b"<c>") + chunk.count(b"<c/")
        if len(usual) == cells and not _PREFIXED_CELL.search(chunk):
            valued = [(letters, digits) for letters, digits, end in usual if end == b">"]
            if valued:
                last_row = max(last_row, max(map(int, {digits for _, digits in valued})))
                last_column = max(last_column, max(map(_column, {letters for letters, _ in valued})))
            if usual:
                row, column = int(usual[-1][1]), _column(usual[-1][0])
            continue
        for match in _XLSX_TAG.finditer(chunk):
            attributes = match.group(2)
            reference = _REFERENCE.search(attributes)
            if match.group(1) == b"row":
                row = int(reference.group(2)) if reference else row + 1
                column = 0
                continue
            if reference is not None:
                row = int(reference.group(2))
                column = _column(reference.group(1)) if reference.group(1) else column + 1
            else:
                column += 1
            if not attributes.rstrip().endswith(b"/") and not chunk.startswith(b"</", match.end()):
                last_row, last_column = max(last_row, row), max(last_column, column)
    return last_row * last_column


def _ods_cells(chunks: Iterator[bytes]) -> Iterator[int]:
    """Rows × columns of each table's used range, repeats counted (`number-rows-repeated`).

    A cell holds something unless it is self-closing without a value type (Calc's filler of
    empty cells repeated to the sheet's edge); a row's repeats count when one of its cells does.
    """
    rows = row = columns = column = row_last = 0
    row_repeat = 1
    in_table = False
    for chunk in chunks:
        for match in _ODS_TAG.finditer(chunk):
            closing, tag, attributes = match.group(1), match.group(2), match.group(3)
            if tag == b"table":
                if in_table:
                    yield rows * columns
                if closing:
                    in_table = False
                else:
                    in_table, rows, row, columns = True, 0, 0, 0
            elif tag == b"table-row":
                if closing:
                    if row_last:
                        rows, columns = row + row_repeat, max(columns, row_last)
                    row, row_last = row + row_repeat, 0
                elif attributes.rstrip().endswith(b"/"):  # a row without cells: only its place
                    row += _repeat(_ROWS_REPEATED, attributes)
                else:
                    row_repeat, column, row_last = _repeat(_ROWS_REPEATED, attributes), 0, 0
            elif not closing:
                count = _repeat(_COLUMNS_REPEATED, attributes)
                column += count
                if not attributes.rstrip().endswith(b"/") or _VALUE_TYPE.search(attributes):
                    row_last = column
    if in_table:
        yield rows * columns


def _repeat(pattern: re.Pattern[bytes], attributes: bytes) -> int:
    found = pattern.search(attributes)
    return max(int(found.group(1)), 1) if found else 1


def _column(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number
