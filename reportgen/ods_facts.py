"""What calamine cannot tell from an .ods sheet's values: formulas saved without a value, formula
error values (calamine reads Calc's `#DIV/0!` as blank), hidden or filtered-out rows, and merged
ranges (calamine gives none for .ods).

OpenDocument keeps all tabs in one `content.xml`, without cell references: a cell's place is
counted from the start of its table, through `table:number-rows-repeated` and
`table:number-columns-repeated` (covered cells under a merge count too), which is how calamine
lays out its grid: position (0, 0) is A1 whatever leading rows or columns are empty.
"""

from __future__ import annotations

import bisect
import html
import itertools
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

Position = tuple[int, int]  # 0-based row and column, as calamine's grid
Range = tuple[Position, Position]  # first and last cell, as calamine's merged_cell_ranges

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
_T_TABLE = f"{{{_TABLE}}}table"
_T_ROW = f"{{{_TABLE}}}table-row"
_T_CELL = f"{{{_TABLE}}}table-cell"
_T_COVERED = f"{{{_TABLE}}}covered-table-cell"
_NAME = f"{{{_TABLE}}}name"
_FORMULA = f"{{{_TABLE}}}formula"
_ROWS_REPEATED = f"{{{_TABLE}}}number-rows-repeated"
_COLUMNS_REPEATED = f"{{{_TABLE}}}number-columns-repeated"
_ROWS_SPANNED = f"{{{_TABLE}}}number-rows-spanned"
_COLUMNS_SPANNED = f"{{{_TABLE}}}number-columns-spanned"
_VISIBILITY = f"{{{_TABLE}}}visibility"
_VALUE_TYPE = f"{{{_OFFICE}}}value-type"
_CALC_VALUE_TYPE = f"{{{_CALCEXT}}}value-type"
# The attribute each value type keeps its value in: a formula cell without it has no saved result.
_VALUE_OF = {
    "float": f"{{{_OFFICE}}}value",
    "percentage": f"{{{_OFFICE}}}value",
    "currency": f"{{{_OFFICE}}}value",
    "date": f"{{{_OFFICE}}}date-value",
    "time": f"{{{_OFFICE}}}time-value",
    "boolean": f"{{{_OFFICE}}}boolean-value",
}
# Calc before 4.x saved an error as the formula's string result, without calcext:value-type.
_ERROR_TEXT = re.compile(r"#(?:DIV/0!|N/A|NAME\?|NULL!|NUM!|REF!|VALUE!)|Err:\d{3}")

# Substrings without which content.xml has no formula, hidden row or merge: most .ods inputs
# are read without parsing content.xml a second time.
MARKERS = (b"formula=", b"visibility=", b"-spanned=")
_OVERLAP = max(len(marker) for marker in MARKERS) - 1
_CHUNK = 1 << 20
# A repeated row or cell is expanded into positions up to this many times; beyond, Calc's own
# limits (1,048,576 rows, 16,384 columns) are already exceeded by far.
_MAX_REPEAT = 1 << 20


@dataclass
class TableFacts:
    """One tab's facts, in the shape workbook.SheetFacts holds them."""

    unsaved: set[Position] = field(default_factory=set)
    errors: dict[Position, str] = field(default_factory=dict)
    hidden: list[int] = field(default_factory=list)  # 1-based
    merged: list[Range] = field(default_factory=list)


def may_hold_facts(archive: zipfile.ZipFile) -> bool:
    """Whether content.xml holds any of MARKERS: streamed, so memory stays flat."""
    carry = b""
    with archive.open("content.xml") as stream:
        while chunk := stream.read(_CHUNK):
            window = carry + chunk
            if any(marker in window for marker in MARKERS):
                return True
            carry = window[-_OVERLAP:]
    return False


def table_facts(archive: zipfile.ZipFile) -> dict[str, TableFacts]:
    """Every tab's facts, by tab name: content.xml inflated once (as the .xlsx scan reads a
    worksheet part whole).

    Calc, Excel and the other writers use the usual `table:`/`office:` prefixes: then only the
    rows holding a marker are looked at, byte by byte (a long sheet with one formula costs a few
    substring counts). Any other spelling goes through lxml, which reads every cell.
    """
    data = archive.read("content.xml")
    if _usual_prefixes(data):
        return _scan_bytes(data)
    return _scan_tree(data)


def _scan_tree(data: bytes) -> dict[str, TableFacts]:
    """One streaming lxml pass over every cell: the reference the byte scan must agree with.

    Entities, DTDs and network access are off (the safety check has refused DTDs already);
    each row is dropped once read, so the tree stays small on long sheets.
    """
    import io

    from lxml import etree

    found: dict[str, TableFacts] = {}
    events = etree.iterparse(io.BytesIO(data), events=("end",),
                             tag=(_T_TABLE, _T_ROW, _T_CELL, _T_COVERED),
                             resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False)
    _read_tables(events, found)
    return found


_ROOT_NAMESPACES = (b'xmlns:table="' + _TABLE.encode() + b'"', b'xmlns:office="' + _OFFICE.encode() + b'"')
_CALCEXT_DECLARED = b'xmlns:calcext="' + _CALCEXT.encode() + b'"'
_TABLE_START = re.compile(rb"<table:table[\s>/]")
_TABLE_END = b"</table:table>"
_ROW_START = b"<table:table-row"
_ROW_END = b"</table:table-row>"
_NOT_ROWS = (b"<table:table-rows", b"<table:table-row-group")  # what _ROW_START also finds
_ROWS_REPEATED_ATTR = b"table:number-rows-repeated="
_CELL_STARTS = (b"<table:table-cell", b"<table:covered-table-cell")
_COLUMNS_REPEATED_ATTR = b"table:number-columns-repeated="
_ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_TAG = re.compile(rb"<[^>]*>")
# A whole start tag: `>` may stand unescaped inside an attribute's quotes (Calc writes `&gt;`).
_START_TAG = re.compile(rb"""<[\w:.-]+(?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*/?>""")
# Where a marker sits: the tag holding it decides what it means (text typed into a cell is not).
_ROW_MARKERS = (b"table:visibility=",)
_CELL_MARKERS = (b"table:formula=", b"-spanned=")  # number-rows-spanned, number-columns-spanned


def _usual_prefixes(data: bytes) -> bool:
    """Whether content.xml spells its names as Calc does, declared once on the root element."""
    root = data.find(b"<office:document-content")
    head = data[root:data.find(b">", root) + 1] if root >= 0 else b""
    if not head or not all(declared in head for declared in _ROOT_NAMESPACES):
        return False
    if data.count(b"xmlns:table=") != 1 or data.count(b"xmlns:office=") != 1:
        return False
    return b"calcext:" not in data or (_CALCEXT_DECLARED in head and data.count(b"xmlns:calcext=") == 1)


def _scan_bytes(data: bytes) -> dict[str, TableFacts]:
    """Each tab's facts from the rows holding a marker; rows between are only counted."""
    found: dict[str, TableFacts] = {}
    position = 0
    while (match := _TABLE_START.search(data, position)) is not None:
        start = match.start()
        head_end = _tag_end(data, start)
        if head_end < 0 or data[head_end - 1:head_end] == b"/":  # no table, or an empty one
            position = match.end()
            continue
        end = data.find(_TABLE_END, head_end)
        if end < 0:
            break
        name = _attributes(data[start:head_end]).get("table:name")
        if name is not None and name not in found:
            found[name] = _table_bytes(data, head_end + 1, end)
        position = end + len(_TABLE_END)
    return found


def _table_bytes(data: bytes, start: int, end: int) -> TableFacts:
    facts = TableFacts()
    rows: dict[int, set[int]] = {}  # where a row holding a marker starts → its marked cells' tags
    for marker in _ROW_MARKERS + _CELL_MARKERS:
        at = data.find(marker, start, end)
        while at >= 0:
            tag = data.rfind(b"<", start, at)
            if tag >= 0 and _tag_end(data, tag) > at:  # the marker is an attribute of `tag`
                if marker in _ROW_MARKERS:
                    if _is_row_start(data, tag):
                        rows.setdefault(tag, set())
                elif data.startswith(b"<table:table-cell", tag):
                    row = _row_start(data, start, tag)
                    if row is not None:
                        rows.setdefault(row, set()).add(tag)
            at = data.find(marker, at + len(marker), end)
    if not rows:
        return facts
    repeats = _repeated_rows(data, start, end)
    grouped = any(data.find(other, start, end) >= 0 for other in _NOT_ROWS)
    where = [at for at, _repeat in repeats]
    extra = list(itertools.accumulate((repeat - 1 for _at, repeat in repeats), initial=0))
    index, counted = 0, start  # rows before `counted` are `index` rows
    for row in sorted(rows):
        index += _rows_between(data, counted, row, grouped) + (
            extra[bisect.bisect_left(where, row)] - extra[bisect.bisect_left(where, counted)])
        counted = row
        _row_bytes(data, row, sorted(rows[row]), end, index, facts)
    return facts


def _tag_end(data: bytes, start: int) -> int:
    """Where the start tag at `start` ends (its `>`), or -1 when no whole tag starts there."""
    match = _START_TAG.match(data, start)
    return match.end() - 1 if match else -1


def _is_row_start(data: bytes, at: int) -> bool:
    return data.startswith(_ROW_START, at) and data[at + len(_ROW_START):at + len(_ROW_START) + 1] in (
        b" ", b">", b"/", b"\t", b"\n", b"\r")


def _row_start(data: bytes, start: int, cell: int) -> int | None:
    at = data.rfind(_ROW_START, start, cell)
    while at >= 0 and not _is_row_start(data, at):
        at = data.rfind(_ROW_START, start, at)
    return at if at >= 0 else None


def _repeated_rows(data: bytes, start: int, end: int) -> list[tuple[int, int]]:
    """(where, repeat) of each row saved once for several identical rows (empty ones mostly)."""
    found = []
    at = data.find(_ROWS_REPEATED_ATTR, start, end)
    while at >= 0:
        tag = data.rfind(b"<", start, at)
        close = _tag_end(data, tag) if tag >= 0 else -1
        if close > at and _is_row_start(data, tag):
            repeat = _count(_attributes(data[tag:close]).get("table:number-rows-repeated"))
            if repeat > 1:
                found.append((tag, repeat))
        at = data.find(_ROWS_REPEATED_ATTR, at + 1, end)
    return found


def _rows_between(data: bytes, begin: int, end: int, grouped: bool) -> int:
    """Row elements that start in data[begin:end] (a repeated one counts once here); `grouped`:
    the table has row groups, whose tags _ROW_START also finds."""
    count = data.count(_ROW_START, begin, end)
    return count - sum(data.count(other, begin, end) for other in _NOT_ROWS) if grouped else count


def _row_bytes(data: bytes, start: int, cells: list[int], table_end: int, index: int,
               facts: TableFacts) -> None:
    """One row holding a marker; `cells`: where its cells holding one start.

    A cell's column is the number of cells before it in the row, each repeated one counted as
    often as it stands for (covered cells under a merge too): as calamine lays out its grid.
    """
    head_end = _tag_end(data, start)
    if head_end < 0 or data[head_end - 1:head_end] == b"/":
        return  # an empty row
    head = data[start:head_end]
    attributes = _attributes(head) if b"-repeated=" in head or b"visibility=" in head else {}
    repeat = min(_count(attributes.get("table:number-rows-repeated")), _MAX_REPEAT)
    end = data.find(_ROW_END, head_end, table_end)
    end = table_end if end < 0 else end
    unsaved: list[tuple[int, int]] = []
    errors: list[tuple[int, int, str]] = []
    col, counted = 0, head_end + 1  # cells before `counted` fill `col` columns
    for tag in cells:
        col += _columns_between(data, counted, tag)
        counted = tag
        tag_end = _tag_end(data, tag)
        if tag_end < 0:
            break
        cell = _attributes(data[tag:tag_end])
        count = min(_count(cell.get("table:number-columns-repeated")), _MAX_REPEAT)
        if "table:formula" in cell:
            closed = data[tag_end - 1:tag_end] == b"/"
            close = -1 if closed else data.find(b"</table:table-cell>", tag_end, end)
            _formula_bytes(cell, data[tag_end + 1:close] if close >= 0 else b"", col, count,
                           unsaved, errors)
        rows = _count(cell.get("table:number-rows-spanned"))
        columns = _count(cell.get("table:number-columns-spanned"))
        if rows > 1 or columns > 1:
            facts.merged.append(((index, col), (index + rows - 1, col + columns - 1)))
    for offset in range(repeat if unsaved or errors else 0):
        at = index + offset
        for column, count in unsaved:
            facts.unsaved.update((at, column + k) for k in range(count))
        for column, count, value in errors:
            facts.errors.update(((at, column + k), value) for k in range(count))
    if attributes.get("table:visibility") in ("collapse", "filter") and any(
            data.find(mark, head_end, end) >= 0 for mark in (b"office:value-type", b"table:formula=", b"<text:")):
        facts.hidden.extend(range(index + 1, index + repeat + 1))  # a row with something in it


def _columns_between(data: bytes, begin: int, end: int) -> int:
    """Columns that the cells starting in data[begin:end] fill, repeats included."""
    count = data.count(b"<table:table-cell", begin, end) + data.count(b"<table:covered-table-cell", begin, end)
    at = data.find(_COLUMNS_REPEATED_ATTR, begin, end)
    while at >= 0:
        tag = data.rfind(b"<", begin, at)
        close = _tag_end(data, tag) if tag >= 0 else -1
        if close > at and data.startswith(_CELL_STARTS, tag):
            count += _count(_attributes(data[tag:close]).get("table:number-columns-repeated")) - 1
        at = data.find(_COLUMNS_REPEATED_ATTR, at + 1, end)
    return count


def _formula_bytes(cell: dict[str, str], body: bytes, col: int, count: int,
                   unsaved: list[tuple[int, int]], errors: list[tuple[int, int, str]]) -> None:
    """As _formula_cell, from a cell's attributes and the bytes inside it."""
    kind = cell.get("office:value-type")
    if cell.get("calcext:value-type") == "error":
        errors.append((col, count, _body_text(body) or "#VALUE!"))
    elif kind is None or (kind in _VALUE_ATTRIBUTE and not cell.get(_VALUE_ATTRIBUTE[kind])):
        unsaved.append((col, count))
    elif kind == "string":
        text = _body_text(body)
        if text and _ERROR_TEXT.fullmatch(text):
            errors.append((col, count, text))


_VALUE_ATTRIBUTE = {kind: "office:" + name.rpartition("}")[2] for kind, name in _VALUE_OF.items()}


def _body_text(body: bytes) -> str:
    return html.unescape(_TAG.sub(b"", body).decode("utf-8", "replace")).strip()


def _attributes(tag: bytes) -> dict[str, str]:
    """A start tag's attributes by their prefixed name, values unescaped."""
    found = {}
    for name, double, single in _ATTRIBUTE.findall(tag):
        value = (double or single).decode("utf-8", "replace")
        found[name.decode("ascii", "replace")] = html.unescape(value) if "&" in value else value
    return found


def _read_tables(events: Iterator[tuple[str, object]], found: dict[str, TableFacts]) -> None:
    facts = TableFacts()
    row = col = 0  # the position of the next row, and of the next cell in it
    # Facts of the row being read, placed once its own repeat count is known (at its end).
    unsaved: list[tuple[int, int]] = []  # (column, repeat)
    errors: list[tuple[int, int, str]] = []  # (column, repeat, value)
    spans: list[tuple[int, int, int]] = []  # (column, rows, columns)
    filled = False
    for _event, element in events:
        tag = element.tag
        if tag in (_T_CELL, _T_COVERED):
            get = element.get
            repeat = _count(get(_COLUMNS_REPEATED))
            if not filled and (len(element) or get(_VALUE_TYPE) is not None):
                filled = True
            if tag == _T_CELL:
                formula = get(_FORMULA)
                if formula is not None:
                    filled = True
                    _formula_cell(element, col, repeat, unsaved, errors)
                rows, columns = _count(get(_ROWS_SPANNED)), _count(get(_COLUMNS_SPANNED))
                if rows > 1 or columns > 1:
                    spans.append((col, rows, columns))
            col += repeat
            element.clear()
        elif tag == _T_ROW:
            repeat = _count(element.get(_ROWS_REPEATED))
            times = min(repeat, _MAX_REPEAT)
            if unsaved or errors:
                for offset in range(times):
                    at = row + offset
                    for column, count in unsaved:
                        facts.unsaved.update((at, column + k) for k in range(count))
                    for column, count, value in errors:
                        facts.errors.update(((at, column + k), value) for k in range(count))
            for column, rows, columns in spans:
                facts.merged.append(((row, column), (row + rows - 1, column + columns - 1)))
            if filled and element.get(_VISIBILITY) in ("collapse", "filter"):
                facts.hidden.extend(range(row + 1, row + times + 1))
            row += repeat
            col = 0
            unsaved, errors, spans, filled = [], [], [], False
            _drop(element)
        else:  # a table's end: what was gathered is its facts
            name = element.get(_NAME)
            if name is not None and name not in found:
                found[name] = facts
            facts, row, col = TableFacts(), 0, 0
            _drop(element)


def _formula_cell(element, col: int, repeat: int, unsaved: list[tuple[int, int]],
                  errors: list[tuple[int, int, str]]) -> None:
    """A formula cell: its saved result is missing, an error, or a value."""
    count = min(repeat, _MAX_REPEAT)
    get = element.get
    kind = get(_VALUE_TYPE)
    if get(_CALC_VALUE_TYPE) == "error":
        errors.append((col, count, _text(element) or "#VALUE!"))
    elif kind is None or (kind in _VALUE_OF and not get(_VALUE_OF[kind])):
        unsaved.append((col, count))
    elif kind == "string":
        text = _text(element)
        if text and _ERROR_TEXT.fullmatch(text):
            errors.append((col, count, text))


def _text(element) -> str:
    return "".join(element.itertext()).strip()


def _count(value: str | None) -> int:
    """A repeat or span count; anything but a positive whole number counts as 1."""
    if value is None:
        return 1
    try:
        number = int(value)
    except ValueError:
        return 1
    return number if number > 0 else 1


def _drop(element) -> None:
    """Forget a read element and the siblings before it: memory stays flat on long sheets."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]
