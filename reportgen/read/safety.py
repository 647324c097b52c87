"""Inspects a workbook file before any parser reads it: format, encryption, zip bombs, DTDs, extents.

The package checks are here; where a worksheet's cells end is read by extent.py.
"""

from __future__ import annotations

import codecs
import io
import itertools
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from ..errors import FatalError, os_reason
from . import extent
from .formulas import holds, may_hold_facts, sheet_parts

# Limits on what a workbook package may declare before anything is inflated. A real workbook of
# this office is a few hundred kB; 100,000 rows of activities stay far below every limit.
MAX_ENTRIES = 10_000  # files inside the zip (a workbook has 10-30, a few hundred with pictures)
MAX_DIRECTORY = 16 * 1024 * 1024  # bytes of central directory (bounds memory for the entry list)
MAX_UNCOMPRESSED = 512 * 1024 * 1024  # declared uncompressed bytes of all entries together
MAX_RATIO = 200  # uncompressed : compressed, for entries larger than RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024  # small parts may compress better; they cannot do harm
# The used range of one worksheet (last row × last column). The reader builds a dense grid, so
# one far-away cell (XFD1048576) in a tiny file would ask for 17 billion cells.
MAX_CELLS = 5_000_000

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
_WORKSHEET = re.compile(r"xl/worksheets/[^/]+\.xml", re.IGNORECASE)
_CHUNK = 1024 * 1024
_OVERLAP = 2 * extent.JUDGED  # bytes carried between chunks so that a marker, or an element's whole tag,
# split across them is still found

_SAVE_AS = "請在 Excel 或 Calc 開啟後「另存為」.xlsx 活頁簿再試。"
_SUSPECT = "為安全起見不予讀取。若這是正常的活頁簿，請在 Excel 或 Calc 開啟後另存新檔再試。"


@dataclass
class Inspection:
    """What the check learned on the way: tabs too large to read (only unread tabs get here)."""

    oversized: set[str] = field(default_factory=set)
    parts: dict[str, str] = field(default_factory=dict)  # tab → its zip member (xlsx/xlsm)
    # Worksheet parts holding none of formulas.FACT_MARKERS: no formula, error value or hidden row,
    # so the scan for those need not inflate them a second time.
    plain: set[str] = field(default_factory=set)
    # XML parts holding `_x`, the start of Excel's `_xHHHH_` escape: only a tab whose part or
    # whose shared strings are here can hold an escape for the reader to decode.
    escaped: set[str] = field(default_factory=set)
    # Worksheet parts holding a negative number (`<v>-`): a date before 1900, which calamine
    # reads as a bare time of day (Calc saves a typed 110/9/8 as 9 Sept 110 AD).
    negative: set[str] = field(default_factory=set)


def _read_everything(tab: str) -> bool:
    return True


def read_file(path: Path) -> bytes:
    """The file's bytes, read once for every later check and parser."""
    name = path.name
    if path.is_dir():
        raise FatalError(f"{name} 是資料夾，不是活頁簿檔案。請指定活頁簿檔案；"
                         "若要讀取資料夾中的活頁簿，請將資料夾改名（名稱不要以 .xlsx 結尾）。")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FatalError(f"無法開啟 {name}：{os_reason(exc)}。請確認檔案沒有被其他程式鎖住。") from exc


def check_workbook_file(path: Path) -> Inspection:
    """Raise FatalError, naming the file and what to do, unless `path` is safe to hand a parser."""
    return check_workbook_bytes(read_file(path), path)


def check_workbook_bytes(data: bytes, path: Path,
                         reads: Callable[[str], bool] = _read_everything) -> Inspection:
    """The checks of `check_workbook_file` on bytes already read; `reads(tab)` says whether
    reportgen reads a tab, since a tab it never reads (a far stray cell in 範例說明) must not
    block a build."""
    name = path.name
    head = data[:8]
    if not head:
        raise FatalError(f"{name} 是空檔案（0 位元組），可能是下載或複製時中斷。請重新取得檔案。")
    if head == OLE_MAGIC:
        _check_ole(path, data)
    if not head.startswith(ZIP_MAGIC):
        raise FatalError(f"{name}：{_sniff(head)}，不是 .xlsx 活頁簿（可能只是改了副檔名）。{_SAVE_AS}")
    inspection = Inspection()
    _check_zip(io.BytesIO(data), name, reads, inspection)
    return inspection


def _sniff(head: bytes) -> str:
    """A guess at what the file really is, for the message."""
    if head.startswith(b"%PDF"):
        return "這是 PDF 檔"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "這是網頁（HTML）或 XML 格式的檔案"
    if all(byte >= 0x20 or byte in b"\t\r\n" for byte in head):
        return "這是純文字檔（例如 CSV）"
    return "檔案內容無法辨識"


def _check_ole(path: Path, data: bytes) -> None:
    """OLE2 compound files: an encrypted .xlsx/.ods (Office wraps those in OLE) or an old .xls."""
    import olefile

    name = path.name
    try:
        with olefile.OleFileIO(data) as ole:
            encrypted = ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage")
            legacy = ole.exists("Workbook") or ole.exists("Book")
    except Exception as exc:  # olefile raises assorted types for damaged files
        raise FatalError(f"{name}：檔案已損壞，無法讀取。{_SAVE_AS}") from exc
    if encrypted:
        raise FatalError(f"{name}：檔案已加密（設有開啟密碼），無法讀取。"
                         "請在 Excel 開啟後移除密碼（檔案 → 資訊 → 保護活頁簿 → 以密碼加密，清空密碼），"
                         "另存新檔後再試。")
    if legacy:
        raise FatalError(f"{name}：這是舊版 Excel 97-2003 活頁簿（.xls），只是副檔名為 {path.suffix}。{_SAVE_AS}")
    raise FatalError(f"{name}：這是舊版 Office 格式的檔案，不是 .xlsx 活頁簿。{_SAVE_AS}")


def _end_of_directory(handle: BinaryIO, name: str) -> tuple[int, int]:
    """Entry count and central-directory size, read from the end record before zipfile reads the rest."""
    size = handle.seek(0, 2)
    tail_start = max(0, size - 22 - 65535)
    handle.seek(tail_start)
    tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise FatalError(f"{name}：檔案不完整（可能是下載、複製或寄送時中斷），無法讀取。"
                         "請重新取得檔案，或請對方在 Excel 開啟後重新存檔寄送。")
    entries, directory = struct.unpack("<HL", tail[at + 10:at + 16])
    if entries == 0xFFFF or directory == 0xFFFFFFFF:  # zip64: the real numbers are further back
        locator = tail[at - 20:at] if at >= 20 else b""
        if locator[:4] == b"PK\x06\x07":
            handle.seek(struct.unpack("<Q", locator[8:16])[0])
            record = handle.read(56)
            if record[:4] == b"PK\x06\x06":
                entries, directory = struct.unpack("<QQ", record[32:48])
    return entries, directory


def _label(part: str, tabs: dict[str, str]) -> str:
    """A zip part as staff know it: the tab, never `xl/worksheets/sheet4.xml`."""
    if part in tabs:
        return f"工作表「{tabs[part]}」"
    if _WORKSHEET.fullmatch(part):
        return "其中一個工作表"
    return "活頁簿的內部資料"


def _check_zip(handle: BinaryIO, name: str, reads: Callable[[str], bool] = _read_everything,
               inspection: Inspection | None = None) -> None:
    inspection = inspection if inspection is not None else Inspection()
    entries, directory = _end_of_directory(handle, name)
    if entries > MAX_ENTRIES or directory > MAX_DIRECTORY:
        raise FatalError(f"{name}：檔案內含 {entries:,} 個項目（上限 {MAX_ENTRIES:,}），"
                         f"可能是惡意的壓縮炸彈，{_SUSPECT}")
    handle.seek(0)
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise FatalError(f"{name}：檔案不完整或已損壞（可能是下載、複製或寄送時中斷），無法讀取。"
                         "請重新取得檔案，或請對方在 Excel 開啟後重新存檔寄送。") from exc
    with archive:
        infos = archive.infolist()
        total = sum(info.file_size for info in infos)
        if total > MAX_UNCOMPRESSED:
            raise FatalError(f"{name}：解壓縮後的大小 {total / 2**20:,.0f} MB 超過上限 "
                             f"{MAX_UNCOMPRESSED // 2**20:,} MB，可能是惡意的壓縮炸彈，{_SUSPECT}")
        if any(_WORKSHEET.fullmatch(info.filename) for info in infos):
            inspection.parts = sheet_parts(archive)
        tabs = {part: tab for tab, part in inspection.parts.items()}
        for info in infos:
            tab = tabs.get(info.filename)
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                ratio = info.file_size // max(info.compress_size, 1)
                if tab is not None and not reads(tab):
                    inspection.oversized.add(tab)  # never parsed: it cannot harm, so it does not block
                else:
                    raise FatalError(f"{name}：{_label(info.filename, tabs)}的壓縮比 {ratio:,}:1 超過上限 "
                                     f"{MAX_RATIO}:1，可能是惡意的壓縮炸彈，{_SUSPECT}")
            if info.flag_bits & 0x1:
                raise FatalError(f"{name}：檔案已加密（設有密碼），無法讀取。請移除密碼後另存新檔再試。")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise FatalError(f"{name}：{_label(info.filename, tabs)}使用了 Excel 不會使用的壓縮方式，"
                                 f"{_SUSPECT}")
        for info in infos:
            if info.filename.lower().endswith(_XML_SUFFIXES):
                tab = tabs.get(info.filename)
                if not _check_xml_part(handle, info, name, _label(info.filename, tabs),
                                       tab is None or reads(tab), inspection.plain,
                                       inspection.escaped, inspection.negative):
                    inspection.oversized.add(tab or info.filename)


def _check_xml_part(handle: BinaryIO, info: zipfile.ZipInfo, name: str, label: str = "",
                    limit_extent: bool = True, plain: set[str] | None = None,
                    escaped: set[str] | None = None, negative: set[str] | None = None) -> bool:
    """Inflate one XML part as a stream: its size must match the declaration, and no DTD inside.

    False when a worksheet's used range is too large to read but `limit_extent` is off (a tab
    reportgen does not read): that tab is then left alone rather than blocking the build.
    A worksheet without any of formulas.FACT_MARKERS is added to `plain`; a part holding `_x`
    to `escaped`.

    A worksheet of several chunks is first scanned for bounds only (_bounded_sheet), which is
    cheaper; only when a bound is not met is it scanned again for the exact extent.
    """
    label = label or "活頁簿的內部資料"
    if (_WORKSHEET.fullmatch(info.filename) and info.file_size > _BOUNDED_FROM * _CHUNK
            and _bounded_sheet(handle, info, name, label, plain, escaped, negative)):
        return True
    return _scan_part(handle, info, name, label, limit_extent, plain, escaped, negative)


def _refuse_dtd(window: bytes, name: str, label: str) -> None:
    """A DTD can declare entities that expand without bound (billion laughs) or read local files."""
    if b"!" in window and any(marker in window for marker in _DTD_MARKERS):  # one byte first
        raise FatalError(f"{name}：{label}含有 XML 文件型別宣告（DTD / ENTITY）。"
                         f"正常的活頁簿不會有這種內容，可能是惡意檔案，{_SUSPECT}")


def _scan_part(handle: BinaryIO, info: zipfile.ZipInfo, name: str, label: str,
               limit_extent: bool, plain: set[str] | None, escaped: set[str] | None = None,
               negative: set[str] | None = None) -> bool:
    """The exact scan: every reference is read, cells are counted (see _check_xml_part), and
    where any cell or row is not written as Excel writes it (extent.UNJUDGED), the reader's own
    placement of every cell is followed (extent.follow): a cell or row without r= follows the previous."""
    worksheet = bool(_WORKSHEET.fullmatch(info.filename))
    manifest = info.filename == "META-INF/manifest.xml"  # an OpenDocument file's list of parts
    last_row = last_column = cells = 0
    # Each `<c` counted takes at least two bytes, so a part smaller than this cannot hold too many.
    count_cells = info.file_size >= 2 * MAX_CELLS
    marked = unjudged = holds_escape = holds_negative = False
    carry = b""
    for text in _utf8(_inflate(handle, info, name)):
        window = carry + text
        _refuse_dtd(window, name, label)
        holds_escape = holds_escape or holds(window, b"_x", b"_")
        holds_negative = holds_negative or (worksheet and holds(window, b"<v>-", b"-"))
        if manifest and b"encryption-data" in window:
            raise FatalError(f"{name}：檔案已加密（設有開啟密碼），無法讀取。"
                             "請在 Calc 開啟後移除密碼，另存新檔後再試。")
        if worksheet:
            if count_cells:
                cells += extent.elements(text, b"c", extent.CELL_ELEMENT)
            marked = marked or may_hold_facts(window)
            unjudged = unjudged or extent.found(extent.UNJUDGED, window)
            row, column = extent.window_extent(window)
            last_row, last_column = max(last_row, row), max(last_column, column)
        carry = window[-_OVERLAP:]
    if worksheet and (unjudged or extent.found(extent.UNJUDGED, carry + extent.PAD)):
        # A cell without r= follows the previous one, a row without r= the previous row, and
        # an odd spelling may hide from extent.extent's fast path: the reader's own way is followed.
        row, column = extent.follow(_utf8(_inflate(handle, info, name)))
        last_row, last_column = max(last_row, row), max(last_column, column)
    if worksheet and not marked and plain is not None:
        plain.add(info.filename)
    if holds_escape and escaped is not None:
        escaped.add(info.filename)
    if holds_negative and negative is not None:
        negative.add(info.filename)
    if worksheet and (last_row * max(last_column, 1) > MAX_CELLS or cells > MAX_CELLS):
        if not limit_extent:
            return False
        raise FatalError(f"{name}：{label}的使用範圍過大（到第 {last_row:,} 列、"
                         f"第 {max(last_column, 1):,} 欄，上限 {MAX_CELLS:,} 格）。"
                         "請在 Excel 按 Ctrl+End 找到最後一格，刪除多餘的列與欄後存檔再試。")
    return True


_BOUNDED_FROM = 2  # worksheets of more chunks than this are first scanned for bounds only
_HEADER_CHUNKS = 8  # chunks read in full at most before the column bound is fixed
_FEED = 64 * 1024  # compressed bytes inflated at a time by the bounded scan (its chunks may end anywhere)


def _bounded_sheet(handle: BinaryIO, info: zipfile.ZipInfo, name: str, label: str,
                   plain: set[str] | None, escaped: set[str] | None = None,
                   negative: set[str] | None = None) -> bool:
    """True when a worksheet is shown to be within MAX_CELLS without finding its exact extent.

    Every reference is read until the first row ends: the columns of that (header) row fix a column
    bound, and the row bound is the largest round number whose product with it stays within
    MAX_CELLS. One regex search per later chunk (extent.outside), and over the rest of the header
    row's own chunk, then shows that every cell and row starts with a reference within both bounds,
    far cheaper than finding the largest (reading the header chunk's megabyte reference by reference
    took 5 ms a sheet); a cell without r=, an odd spelling, a second r attribute or a prefixed
    element anywhere (extent.UNJUDGED in the header chunks) declines instead. The cells _scan_part
    counts are bounded by the bytes `c` (each `<c` holds one) while those stay within a quarter of
    the limit (each `</c>` holds another: the bound is loose), then counted as _scan_part counts
    them. _scan_part would then find a used range within both bounds and no more cells than
    MAX_CELLS: the same verdict (for the references on cells and rows, the only ones the reader
    reads). False (a bound not met, or anything not judged) sends the caller to _scan_part, for the
    exact extent and its message; a DTD is refused here as there. `plain` and `escaped` are filled
    as _scan_part fills them.

    Each chunk is searched together with `edge`, the bytes around its start, rather than
    copied behind the previous chunk's end: every marker, and every element's tag judged whole
    (extent.JUDGED), is shorter than _OVERLAP.
    """
    count_cells = info.file_size >= 2 * MAX_CELLS
    cells = 0
    marked = holds_escape = holds_negative = False
    outside: re.Pattern[bytes] | None = None
    last_row = last_column = 0
    carry = b""
    for chunks, text in enumerate(_utf8(_inflate(handle, info, name, _FEED)), start=1):
        edge = carry + text[:_OVERLAP]
        _refuse_dtd(edge, name, label)
        _refuse_dtd(text, name, label)
        if outside is None:  # every reference is read until the first row ends (the header row)
            if extent.found(extent.UNJUDGED, text) or extent.found(extent.UNJUDGED, edge):
                return False
            end = text.find(b"row>")  # the first row's end: what follows it is judged as later chunks are
            found = extent.REFERENCE.findall(text if end < 0 else text[:end]) + extent.REFERENCE.findall(edge)
            if found:
                row, column = extent.largest(found)
                last_row, last_column = max(last_row, row), max(last_column, column)
            if end >= 0 or chunks >= _HEADER_CHUNKS:
                column_bound = max(last_column, 1)
                row_bound = extent.round_down(MAX_CELLS // column_bound)
                if last_row > row_bound:
                    return False
                outside = extent.outside(row_bound, column_bound)
                if end >= 0 and extent.found(outside, text[end:]):
                    return False
        elif extent.found(outside, text) or extent.found(outside, edge):
            return False
        if count_cells:
            bound = text.count(b"c")
            cells += bound if cells + bound <= MAX_CELLS // 4 else extent.elements(text, b"c", extent.CELL_ELEMENT)
            if cells > MAX_CELLS:
                return False
        marked = marked or may_hold_facts(text) or may_hold_facts(edge)
        holds_escape = holds_escape or holds(text, b"_x", b"_") or holds(edge, b"_x", b"_")
        holds_negative = holds_negative or holds(text, b"<v>-", b"-") or holds(edge, b"<v>-", b"-")
        carry = edge[-_OVERLAP:] if len(text) < _OVERLAP else text[-_OVERLAP:]
    if outside is None or extent.found(outside, carry + extent.PAD):
        return False
    if not marked and plain is not None:
        plain.add(info.filename)
    if holds_escape and escaped is not None:
        escaped.add(info.filename)
    if holds_negative and negative is not None:
        negative.add(info.filename)
    return True


def _inflate(handle: BinaryIO, info: zipfile.ZipInfo, name: str, feed: int = 0) -> Iterator[bytes]:
    """The entry's bytes in bounded chunks; more data than declared is refused, not inflated.

    Not zipfile's own stream: ZipExtFile stops at the declared size and trusts the CRC, so an entry
    that inflates further, with a CRC made for the part it declares, would pass unseen here while
    calamine's reader inflates all of it. Every compressed byte is inflated and counted here.

    `feed` compressed bytes are read at a time (_CHUNK unless given): zlib keeps the input it has
    not used yet as a copy, so a smaller feed copies less, but chunks then end elsewhere.
    """
    handle.seek(info.header_offset)
    header = handle.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise FatalError(f"{name}：檔案已損壞（內部資料找不到）。{_SAVE_AS}")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    handle.seek(info.header_offset + 30 + name_length + extra_length)
    remaining = info.compress_size
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    produced = 0
    while remaining > 0:
        data = handle.read(min(remaining, feed or _CHUNK))
        if not data:
            raise FatalError(f"{name}：檔案不完整（內部資料被截斷）。請重新取得檔案。")
        remaining -= len(data)
        while data:
            if inflater is None:
                out, data = data, b""
            else:
                try:
                    out = inflater.decompress(data, _CHUNK)
                except zlib.error as exc:
                    raise FatalError(f"{name}：檔案已損壞（內部資料無法解壓縮）。{_SAVE_AS}") from exc
                data = inflater.unconsumed_tail
            produced += len(out)
            if produced > info.file_size:
                raise FatalError(f"{name}：檔案的內部資料解壓縮後比宣告的大小還大，"
                                 f"可能是惡意的壓縮炸彈，{_SUSPECT}")
            if out:
                yield out


def _utf8(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """XML parts may be UTF-16; scan them as UTF-8 so the markers above are found either way."""
    first = next(chunks, b"")
    if first[:2] in (b"\xff\xfe", b"\xfe\xff") or first[:2] in (b"<\x00", b"\x00<"):
        decoder = codecs.getincrementaldecoder("utf-16-be" if first[:1] in (b"\xfe", b"\x00") else "utf-16-le")(
            errors="replace")
        for chunk in itertools.chain((first,), chunks):
            yield decoder.decode(chunk).encode("utf-8", "replace")
        return
    yield first
    yield from chunks
