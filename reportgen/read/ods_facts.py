"""What calamine cannot tell from an .ods sheet's values: formulas saved without a value, formula
error values (calamine reads Calc's `#DIV/0!` as blank), hidden or filtered-out rows, and merged
ranges (calamine gives none for .ods).

OpenDocument keeps all tabs in one `content.xml`, without cell references: a cell's place is
counted from the start of its table, through `table:number-rows-repeated` and
`table:number-columns-repeated` (covered cells under a merge count too), which is how calamine
lays out its grid: position (0, 0) is A1 whatever leading rows or columns are empty.

A row or cell saved once for many (`number-rows-repeated="1048576"`) is kept as a run, never
expanded here: a 1 kB file can stand for 2^40 cells. `TableFacts.cells` expands the runs into
positions within the sheet's extent as calamine reads it (see there), within MAX_CELLS.
"""

from __future__ import annotations

import bisect
import html
import itertools
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from .safety import MAX_CELLS

Position = tuple[int, int]  # 0-based row and column, as calamine's grid
Range = tuple[Position, Position]  # first and last cell, as calamine's merged_cell_ranges
Run = tuple[int, int, int, int]  # first row, first column, rows, columns: one cell saved for many

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
# A repeat count as calamine reads it (Rust's usize::from_str): ASCII digits, an optional `+`.
_REPEAT_COUNT = re.compile(r"\+?[0-9]{1,20}")
_MAX_COUNT = (1 << 64) - 1
# Formula cells a repeated one may stand for beyond itself, within the sheet's extent. Calc never
# saves formula cells repeated (each row is written out), so only other programs, or a crafted
# file, come near; each such cell can become a row of problems.
MAX_FORMULA_COPIES = 10_000


class TooLarge(ValueError):
    """Repeated facts standing for more cells than can be checked one by one."""

    def __init__(self, cells: int) -> None:
        super().__init__(f"{cells:,} cells")
        self.cells = cells


@dataclass
class TableFacts:
    """One tab's facts, repeated rows and cells kept as runs (see `cells`)."""

    unsaved: list[Run] = field(default_factory=list)  # formulas saved without a result
    errors: list[tuple[Run, str]] = field(default_factory=list)  # saved error values
    hidden: list[tuple[int, int]] = field(default_factory=list)  # (first 0-based row, rows)
    merged: list[Range] = field(default_factory=list)

    @property
    def repeated(self) -> bool:
        """Whether a fact stands for more than one cell or row (only then is the extent needed)."""
        return (any(rows != 1 or cols != 1 for _r, _c, rows, cols in self.unsaved)
                or any(rows != 1 or cols != 1 for (_r, _c, rows, cols), _v in self.errors)
                or any(rows != 1 for _r, rows in self.hidden))

    def cells(self, height: int | None = None, width: int | None = None, limit: int = MAX_CELLS,
              copies: int = MAX_FORMULA_COPIES) -> tuple[set[Position], dict[Position, str], list[int]]:
        """The facts by position, in the shape workbook.SheetFacts holds them (hidden 1-based).

        `height` × `width`: the sheet's extent as calamine reads it (None: unbounded). A run is
        expanded within it, plus its first row (and column) beyond: calamine reads blanks
        there, so a formula without a value repeated over a million rows past the data stands
        for one row to fix, not a million alike. TooLarge: more than `copies` formula cells
        beyond those saved, or more than `limit` positions in all (merged cells included).
        """
        spans: list[tuple[range, range, str | None]] = []
        total = extra = 0
        for run, value in [(run, None) for run in self.unsaved] + self.errors:
            rows, cols = _within(run[0], run[2], height), _within(run[1], run[3], width)
            total += len(rows) * len(cols)
            extra += max(len(rows) * len(cols) - 1, 0)
            spans.append((rows, cols, value))
        hidden = [_within(first, rows, height) for first, rows in self.hidden]
        total += sum(len(rows) for rows in hidden)
        # A merge is kept as its range, but the reader lists the cells under it.
        total += sum((bottom - top + 1) * (right - left + 1) for (top, left), (bottom, right) in self.merged)
        if extra > copies or total > limit:
            raise TooLarge(total)
        unsaved: set[Position] = set()
        errors: dict[Position, str] = {}
        for rows, cols, value in spans:
            if value is None:
                unsaved.update((row, col) for row in rows for col in cols)
            else:
                errors.update(((row, col), value) for row in rows for col in cols)
        return unsaved, errors, [row + 1 for rows in hidden for row in rows]


def _within(first: int, count: int, extent: int | None) -> range:
    """`count` places from `first`, those at or beyond `extent` cut to the first of them."""
    if extent is None:
        return range(first, first + count)
    return range(first, min(first + count, max(extent, first) + 1))


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
    substring counts). Any other spelling, and any comment, CDATA section or processing
    instruction (which may hold tag-like text the byte scan would count), goes through lxml,
    which reads every cell.

    Raises ValueError (a repeat count calamine would refuse too) or lxml's XMLSyntaxError.
    """
    data = archive.read("content.xml")
    if _usual_prefixes(data) and not _markup_beyond_tags(data):
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


def _markup_beyond_tags(data: bytes) -> bool:
    """A comment, CDATA section or processing instruction after the XML declaration (a DTD has
    been refused by the safety check): `<!` or `<?`, found from their second byte, which is
    rare in a sheet, so the search runs at memchr speed."""
    start = data.find(b"?>") + 2 if data.startswith(b"<?xml") else 0
    for mark in (b"!", b"?"):
        at = data.find(mark, start + 1)
        while at >= 0:
            if data[at - 1] == 0x3C:  # `<`
                return True
            at = data.find(mark, at + 1)
    return False


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
            if repeat != 1:
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
    repeat = _count(attributes.get("table:number-rows-repeated"))
    end = data.find(_ROW_END, head_end, table_end)
    end = table_end if end < 0 else end
    unsaved: list[tuple[int, int]] = []  # (column, repeat)
    errors: list[tuple[int, int, str]] = []  # (column, repeat, value)
    col, counted = 0, head_end + 1  # cells before `counted` fill `col` columns
    for tag in cells:
        col += _columns_between(data, counted, tag)
        counted = tag
        tag_end = _tag_end(data, tag)
        if tag_end < 0:
            break
        cell = _attributes(data[tag:tag_end])
        count = _count(cell.get("table:number-columns-repeated"))
        if count == 0:  # calamine skips the cell
            continue
        if "table:formula" in cell:
            closed = data[tag_end - 1:tag_end] == b"/"
            close = -1 if closed else data.find(b"</table:table-cell>", tag_end, end)
            _formula_bytes(cell, data[tag_end + 1:close] if close >= 0 else b"", col, count,
                           unsaved, errors)
        rows = _span(cell.get("table:number-rows-spanned"))
        columns = _span(cell.get("table:number-columns-spanned"))
        if (rows > 1 or columns > 1) and repeat:
            facts.merged.append(((index, col), (index + rows - 1, col + columns - 1)))
    if repeat:
        _place(facts, index, repeat, unsaved, errors)
    if repeat and attributes.get("table:visibility") in ("collapse", "filter") and any(
            data.find(mark, head_end, end) >= 0 for mark in (b"office:value-type", b"table:formula=", b"<text:")):
        facts.hidden.append((index, repeat))  # a row with something in it


def _place(facts: TableFacts, row: int, repeat: int, unsaved: list[tuple[int, int]],
           errors: list[tuple[int, int, str]]) -> None:
    """A row's formula facts, as runs over its `repeat` rows."""
    facts.unsaved.extend((row, column, repeat, count) for column, count in unsaved)
    facts.errors.extend(((row, column, repeat, count), value) for column, count, value in errors)


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
            if repeat == 0:  # calamine skips the cell
                element.clear()
                continue
            if not filled and (len(element) or get(_VALUE_TYPE) is not None):
                filled = True
            if tag == _T_CELL:
                formula = get(_FORMULA)
                if formula is not None:
                    filled = True
                    _formula_cell(element, col, repeat, unsaved, errors)
                rows, columns = _span(get(_ROWS_SPANNED)), _span(get(_COLUMNS_SPANNED))
                if rows > 1 or columns > 1:
                    spans.append((col, rows, columns))
            col += repeat
            element.clear()
        elif tag == _T_ROW:
            repeat = _count(element.get(_ROWS_REPEATED))
            if repeat:  # calamine skips a row repeated 0 times
                _place(facts, row, repeat, unsaved, errors)
                for column, rows, columns in spans:
                    facts.merged.append(((row, column), (row + rows - 1, column + columns - 1)))
                if filled and element.get(_VISIBILITY) in ("collapse", "filter"):
                    facts.hidden.append((row, repeat))
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
    count = repeat
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
    """A repeat count as calamine reads it (0 included: the row or cell is skipped); anything
    else (`1_0`, ` 3 `, full-width digits, a sign) makes calamine refuse the file: ValueError."""
    if value is None:
        return 1
    if not _REPEAT_COUNT.fullmatch(value) or int(value) > _MAX_COUNT:
        raise ValueError(f"bad repeat count {value[:20]!r}")
    return int(value)


def _span(value: str | None) -> int:
    """A merge's rows or columns (calamine ignores them); anything but ASCII digits counts as 1."""
    if value is None or not _REPEAT_COUNT.fullmatch(value):
        return 1
    return max(int(value), 1)


def _drop(element) -> None:
    """Forget a read element and the siblings before it: memory stays flat on long sheets."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]
