"""The safety check's bounded scan of large worksheets (safety._bounded_sheet): the same verdict,
message and `plain` set as the exact scan (safety._scan_part), for ordinary and hostile sheets."""

from __future__ import annotations

import io
import random
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import THOROUGH, examples
from reportgen.cells import column_index, column_letter
from reportgen.errors import FatalError
from reportgen.read import extent, formulas, safety

SHEET = "xl/worksheets/sheet1.xml"
HEAD = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
TAIL = b"</sheetData></worksheet>"


@pytest.fixture
def small(monkeypatch):
    """Chunks of 512 bytes and a limit of 3,000 cells, so a few kB of XML take the bounded scan."""
    monkeypatch.setattr(safety, "_CHUNK", 512)
    monkeypatch.setattr(safety, "_FEED", 512)
    monkeypatch.setattr(safety, "MAX_CELLS", 3_000)


def shifts(length: int) -> range | list[int]:
    """Where a chunk boundary falls inside something `length` bytes long: every place in CI, the
    ends and the middle in the quick run."""
    return range(length + 1) if THOROUGH else sorted({0, 1, length // 2, length - 1, length})


def package(sheet: bytes, stored: bool = False) -> bytes:
    """A zip with one worksheet; stored (not deflated), its chunks are exactly 512 bytes each."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(SHEET, sheet)
    return buffer.getvalue()


def placed(marker: bytes, at: int) -> bytes:
    """A sheet whose text holds `marker` from byte `at` on (past its first 100 rows)."""
    before = HEAD + rows(1, 100) + b'<row r="101"><c r="A101" t="inlineStr"><is><t>'
    assert at >= len(before)
    return (before + b" " * (at - len(before)) + marker + b" </t></is></c></row>" + rows(102, 120) + TAIL)


def rows(first: int, last: int, columns: str = "ABCDEFG", text: bytes = b"x") -> bytes:
    return b"".join(b'<row r="%d">' % n + b"".join(b'<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>'
                                                   % (c.encode(), n, text) for c in columns) + b"</row>"
                    for n in range(first, last + 1))


def verdict(data: bytes, reads=safety._read_everything) -> tuple[str, frozenset[str], frozenset[str]]:
    """The message of the FatalError, or the plain and oversized sets."""
    try:
        inspection = safety.check_workbook_bytes(data, Path("book.xlsx"), reads)
    except FatalError as exc:
        return str(exc), frozenset(), frozenset()
    return "", frozenset(inspection.plain), frozenset(inspection.oversized)


def both(monkeypatch, data: bytes, reads=safety._read_everything) -> tuple[tuple, bool]:
    """The verdict with the bounded scan, checked against the exact scan alone; and whether the
    bounded scan sufficed (the exact scan was not needed)."""
    exact_calls = []
    scan_part = safety._scan_part

    def counting(*args):
        exact_calls.append(args[1].filename)
        return scan_part(*args)

    with monkeypatch.context() as patch:
        patch.setattr(safety, "_scan_part", counting)
        fast = verdict(data, reads)
    with monkeypatch.context() as patch:
        patch.setattr(safety, "_bounded_sheet", lambda *args: False)
        assert verdict(data, reads) == fast
    return fast, SHEET not in exact_calls


def last_row(message: str) -> int:
    """The last row a refusal names (the exact scan counts rows chunk by chunk: one split across
    512-byte chunks is not counted)."""
    found = re.search(r"使用範圍過大（到第 ([0-9,]+) 列", message)
    assert found, message
    return int(found.group(1).replace(",", ""))


def test_an_ordinary_large_sheet_needs_no_exact_scan(small, monkeypatch):
    sheet = HEAD + rows(1, 300) + TAIL
    assert len(sheet) > 40 * 512
    result, bounded = both(monkeypatch, package(sheet))
    assert bounded and result == ("", frozenset({SHEET}), frozenset())


@pytest.mark.parametrize("stray", [b'<c r="XFD7"/>', b'<c r="A1048576"/>', b"<c r='Z99999'/>", b'<c\tr="AB12"/>',
                                   b'<c r="H2"/>', b'<row r="3001"/>', b"<x:c r='I5'/>"])
def test_a_reference_beyond_the_tail_in_the_middle_of_a_chunk(small, monkeypatch, stray):
    """Larger than anything at a chunk's end, out of order, in either quote: the exact scan decides.
    A row holding no cell spans nothing (the reader's grid ends at its last cell), so a row element
    far down (a height set there) is no reason to refuse; a cell there, even an empty one, is."""
    middle = rows(1, 150) + rows(151, 151)[:-6] + stray + b"</row>" + rows(152, 300)
    (message, _, _), bounded = both(monkeypatch, package(HEAD + middle + TAIL))
    assert not bounded
    fits = (b'<c r="H2"/>', b"<x:c r='I5'/>", b'<row r="3001"/>')  # 300 × 9 fit
    assert ("使用範圍過大" in message) == (stray not in fits)


def test_the_far_cell_message_is_exact(small, monkeypatch):
    sheet = HEAD + rows(1, 200) + b'<row r="1048576"><c r="XFD1048576"/></row>' + rows(201, 210) + TAIL
    (message, _, _), bounded = both(monkeypatch, package(sheet))
    assert not bounded
    assert "使用範圍過大（到第 1,048,576 列、第 16,384 欄，上限 3,000 格）" in message


def test_a_far_reference_split_across_chunks_is_found(small, monkeypatch):
    """Wherever a chunk boundary falls inside `<c r="XFD9"`, the bounded scan sees the whole reference."""
    closing = b" </t></is></c>"
    reference = b'<c r="XFD9"/><c r="B101" t="inlineStr"><is><t>'
    for shift in shifts(len(b'<c r="XFD9"')):
        sheet = placed(closing + reference, 70 * 512 - shift - len(closing))
        (message, _, _), bounded = both(monkeypatch, package(sheet, stored=True))
        assert not bounded and "使用範圍過大（到第 120 列、第 16,384 欄" in message, shift


@pytest.mark.parametrize("element", [b"<c>", b"<c/>", b"<c\tr='A101'/>", b'<c r="a101"/>', b"<row>",
                                     b'<x:c r="A1"/>'])
def test_an_element_split_across_chunks_is_judged(small, monkeypatch, element):
    """A cell the bounded scan cannot judge, cut anywhere by a chunk boundary, is still seen:
    it declines, and the exact scan passes the sheet (all within bounds)."""
    closing = b" </t></is></c>"
    after = b'<c r="B101" t="inlineStr"><is><t>'
    for shift in shifts(len(element)):
        sheet = placed(closing + element + after, 70 * 512 - shift - len(closing))
        result, bounded = both(monkeypatch, package(sheet, stored=True))
        assert not bounded and result == ("", frozenset({SHEET}), frozenset()), shift


@pytest.mark.parametrize("marker", [b"<!DOCTYPE", b"<!ENTITY"])
def test_a_dtd_split_across_chunks_is_refused(small, monkeypatch, marker):
    for shift in shifts(len(marker)):
        (message, _, _), _ = both(monkeypatch, package(placed(marker, 70 * 512 - shift), stored=True))
        assert "含有 XML 文件型別宣告" in message, shift


@pytest.mark.parametrize("marker", formulas.FACT_MARKERS)
def test_a_fact_marker_split_across_chunks_keeps_the_sheet_out_of_plain(small, monkeypatch, marker):
    for shift in shifts(len(marker)):
        result, bounded = both(monkeypatch, package(placed(marker, 70 * 512 - shift), stored=True))
        assert bounded and result == ("", frozenset(), frozenset()), shift
    result, bounded = both(monkeypatch, package(placed(b"no marker", 70 * 512), stored=True))
    assert bounded and result == ("", frozenset({SHEET}), frozenset())


def test_rows_and_cells_without_references_are_counted(small, monkeypatch):
    """Rows without r= count towards the last row; the bytes `w` bound them only while few."""
    sheet = HEAD + rows(1, 5) + b"<row><c><v>1</v></c></row>" * 3_100 + TAIL
    (message, _, _), bounded = both(monkeypatch, package(sheet))
    assert not bounded and last_row(message) > 3_000
    sheet = HEAD + rows(1, 5) + b"<row><c><v>1</v></c></row>" * 300 + TAIL  # 305 rows × 7 columns
    result, bounded = both(monkeypatch, package(sheet))  # the exact scan places them and passes
    assert not bounded and result == ("", frozenset({SHEET}), frozenset())


def test_cells_beyond_the_limit_are_counted(small, monkeypatch):
    """A part large enough to hold MAX_CELLS cells is counted: the bytes `c` bound them while few."""
    sheet = HEAD + b"<row>" + b"<c/>" * 3_001 + b"</row>" + TAIL
    (message, _, _), bounded = both(monkeypatch, package(sheet))
    assert not bounded and "使用範圍過大" in message
    many_c = HEAD + rows(1, 120, columns="A", text=b"c" * 60) + TAIL  # more `c` bytes than cells allowed
    assert many_c.count(b"c") > 3_000 and len(many_c) >= 2 * 3_000
    result, bounded = both(monkeypatch, package(many_c))
    assert bounded and result == ("", frozenset({SHEET}), frozenset())


def test_namespaced_elements(small, monkeypatch):
    def prefixed(first: int, last: int) -> bytes:
        return rows(first, last).replace(b"<row", b"<x:row").replace(b"</row", b"</x:row").replace(
            b"<c ", b"<x:c ").replace(b"</c>", b"</x:c>")

    sheet = HEAD + prefixed(1, 200) + TAIL
    result, bounded = both(monkeypatch, package(sheet))  # prefixed: the exact scan decides
    assert not bounded and result == ("", frozenset({SHEET}), frozenset())
    sheet = HEAD + prefixed(1, 5) + b"<x:row><x:c/></x:row>" * 3_100 + TAIL
    (message, _, _), bounded = both(monkeypatch, package(sheet))
    assert not bounded and last_row(message) > 3_000


def test_single_quoted_references(small, monkeypatch):
    sheet = HEAD + rows(1, 200).replace(b'"', b"'") + TAIL
    result, bounded = both(monkeypatch, package(sheet))  # not as Excel writes it: the exact scan decides
    assert not bounded and result == ("", frozenset({SHEET}), frozenset())
    far = HEAD + rows(1, 100).replace(b'"', b"'") + b"<row r='5000'><c r='A5000'/></row>" + TAIL
    (message, _, _), bounded = both(monkeypatch, package(far))
    assert not bounded and "使用範圍過大（到第 5,000 列、第 7 欄" in message


def test_utf16_sheet(small, monkeypatch):
    xml = '<?xml version="1.0" encoding="UTF-16"?>' + (HEAD + rows(1, 150) + TAIL).decode()
    result, bounded = both(monkeypatch, package(xml.encode("utf-16")))
    assert bounded and result == ("", frozenset({SHEET}), frozenset())
    far = xml.replace('<c r="C77"', '<c r="XFD77"')
    (message, _, _), bounded = both(monkeypatch, package(far.encode("utf-16")))
    assert not bounded and "使用範圍過大（到第 150 列、第 16,384 欄" in message


def test_a_tab_not_read_is_left_alone(small, monkeypatch):
    """Too large but never read: oversized, not refused, through either scan."""
    monkeypatch.setattr(safety, "sheet_parts", lambda archive: {"說明": SHEET})
    sheet = HEAD + rows(1, 100) + b'<row r="9000"><c r="Z9000"/></row>' + TAIL
    result, bounded = both(monkeypatch, package(sheet), reads=lambda tab: tab != "說明")
    assert not bounded and result == ("", frozenset({SHEET}), frozenset({"說明"}))


def test_random_sheets_get_the_same_verdict(small, monkeypatch):
    rng = random.Random(14)
    for _ in range(examples(60)):
        count = rng.randint(50, 400)
        columns = "ABCDEFGHIJ"[:rng.randint(1, 10)]
        body = bytearray(rows(1, count, columns))
        for _ in range(rng.randint(0, 3)):  # strays anywhere, some beyond any bound
            letters = "".join(rng.choice("ABCHXZabxz") for _ in range(rng.randint(0, 4)))
            number = rng.choice([1, 2, count, count + 1, rng.randint(1, 3_500), 1_048_576])
            zeros = "0" * rng.choice([0, 0, 0, 1, 3])
            quote, space, equals = rng.choice("\"'"), rng.choice(" \t"), rng.choice(["=", "=", " = ", "\t=\n"])
            stray = f"<c{space}r{equals}{quote}{letters}{zeros}{number}{quote}/>".encode()
            if rng.random() < 0.2:  # cells without r=, after the stray
                stray += b"<c/>" * rng.randint(1, 600)
            at = rng.randint(len(b"<row"), len(body))
            at = body.rfind(b"<", 0, at) if rng.random() < 0.8 else at
            body[at:at] = stray
        if rng.random() < 0.3:
            body += b"<row><c/></row>" * rng.randint(0, 3_500)
        if rng.random() < 0.2:
            marker = rng.choice([*formulas.FACT_MARKERS, b"<!ENTITY"])
            at = rng.randint(0, len(body))
            body[at:at] = marker
        both(monkeypatch, package(HEAD + bytes(body) + TAIL))


@pytest.mark.parametrize(("added", "row", "column"), [
    (b'<row r="101"><c r="xfd101"/></row>', 120, 16_384),  # lower case
    (b'<row r="101"><c r="A00000150"/><c r="XFD0101"/></row>', 150, 16_384),  # leading zeros
    (b'<row r="101"><c r = "XFD101"/></row>', 120, 16_384),  # spaces around =
    (b"<row r='101'><c r\t=\n'XFD101'/></row>", 120, 16_384),  # other white space, single quotes
    (b'<row r="101"><c r="AAAA101"/></row>', 120, 18_279),  # four letters
    (b'<row r="101"><c r="A12345678"/></row>', 12_345_678, 7),  # eight digits
    (b"<row>" + b"<c/>" * 40 + b"</row>", 120, 40),  # cells without r= in a row without r=
    (b'<row r="101"><c r="G101"/>' + b"<c/>" * 30 + b"</row>", 120, 37),  # …after a cell with r=
    (b'<row r="400"><c r="A400"/></row>' + b"<row><c/></row>" * 50, 450, 7),  # rows without r=
])
def test_references_in_other_spellings_and_cells_without_r(small, monkeypatch, added, row, column):
    """The reader takes all of these; each asks for more than MAX_CELLS (3,000 here)."""
    sheet = HEAD + rows(1, 100) + added + rows(102, 120) + TAIL
    (message, _, _), bounded = both(monkeypatch, package(sheet))
    assert not bounded
    assert message.startswith(f"book.xlsx：其中一個工作表的使用範圍過大（到第 {row:,} 列、第 {column:,} 欄"), message


@pytest.mark.parametrize("spelling", ["lower", "zeros", "spaces", "without_r", "rows_without_r", "r_last"])
def test_a_sheet_within_bounds_in_other_spellings_passes(small, monkeypatch, spelling):
    sheet = HEAD + rows(1, 300) + TAIL
    if spelling == "lower":
        sheet = re.sub(rb'r="([A-Z])', lambda m: b'r="' + m.group(1).lower(), sheet)
    elif spelling == "zeros":
        sheet = re.sub(rb'r="([A-Z]*)([0-9]+)"', rb'r="\g<1>000\2"', sheet)
        assert b'r="A0001"' in sheet and b'r="0001"' in sheet
    elif spelling == "spaces":
        sheet = sheet.replace(b" r=", b" r = ")
    elif spelling == "without_r":
        sheet = re.sub(rb' r="[A-Z]+[0-9]+"', b"", sheet)
    elif spelling == "rows_without_r":
        sheet = re.sub(rb'<row r="[0-9]+">', b"<row>", sheet)
    else:
        sheet = re.sub(rb'<c (r="[A-Z0-9]+") (t="inlineStr")>', rb"<c \2 \1>", sheet)
    result, bounded = both(monkeypatch, package(sheet))
    assert not bounded and result == ("", frozenset({SHEET}), frozenset())  # 300 rows × 7 columns


def test_follow_places_cells_as_the_reader_does():
    """calamine: a cell without r= goes right of the previous cell of its row, a row without r=
    below the previous row, and a cell without r= into the row it is in."""
    sheet = (b'<row r="3"><c r="B3"/><c/><c/></row><row><c/></row><row><c r="b2"/><c/></row>'
             b'<row r="\t"><c/></row>')
    data = package(HEAD + sheet + TAIL, stored=True)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert extent.follow([archive.read(SHEET)]) == (6, 4)


def test_the_bounds_multiply_to_at_most_max_cells():
    for cells in (1, 7, 26, 27, 702, 703, 16_384):
        bound = extent.round_down(5_000_000 // cells)
        assert 0 < bound * cells <= 5_000_000
        assert bound >= 0.9 * (5_000_000 // cells) - 1  # two significant digits kept
    assert extent.round_down(714_285) == 709_999 and extent.round_down(99) == 99


@settings(max_examples=examples(500), deadline=None)
@given(row=st.integers(1, 9_999_999), column=st.integers(1, 16_384), ref_row=st.integers(0, 99_999_999),
       ref_column=st.integers(0, 20_000), quote=st.sampled_from("\"'"), zeros=st.integers(0, 2),
       lower=st.booleans(), tag=st.sampled_from(["c", "row", "x:c"]), space=st.sampled_from(["", " ", "\t"]))
def test_outside_finds_every_element_it_cannot_judge(row, column, ref_row, ref_column, quote, zeros, lower, tag,
                                                      space):
    """Nothing beyond the bounds is missed, in any spelling; an element written as Excel writes
    it (double quotes, upper case, no leading zero, a cell with letters) within them is not found
    (a sheet within its bounds needs no exact scan)."""
    letters = column_letter(ref_column - 1) if ref_column else ""
    letters = letters.lower() if lower else letters
    if tag == "row":
        letters = ""
    text = f"<{tag} r{space}={quote}{letters}{'0' * zeros}{ref_row}{quote}/>".encode() + b" " * extent.JUDGED
    beyond = ref_row > row or (tag != "row" and ref_column > column)
    usual = (quote == '"' and not zeros and not (lower and letters) and tag != "x:c" and not space
             and ref_row > 0 and (tag == "row" or ref_column > 0))
    assert extent.found(extent.outside(row, column), text) == (beyond or not usual), text
    assert column_index(letters.upper()) + 1 == ref_column or tag == "row"


def test_outside_finds_cells_and_rows_without_references():
    pattern = extent.outside(1_000, 26)
    pad = b" " * extent.JUDGED
    for text in (b"<c>", b"<c/>", b"<c t=\"s\" r=\"A1\">", b"<c\nr=\"A1\">", b"<row>", b"<row/>",
                 b"<row spans=\"1:2\" r=\"1\">", b"<x:c r=\"A1\"/>", b"<x:row r=\"1\">", b"<c r=\"A01\"/>"):
        assert extent.found(pattern, text + pad), text
    for text in (b'<c r="Z1000" t="s">', b'<row r="1000" spans="1:26">', b"<cols><col min=\"1\"/>", b"<cfRule>",
                 b"<rowBreaks/>", b"<v>1</v></c></row>"):
        assert not extent.found(pattern, text + pad), text
    assert not extent.found(pattern, b"<c>" + b" " * (extent.JUDGED - 3))  # may be cut: the next search sees it


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.sampled_from([b"f", b"<f", b":f", b"h", b"hidden=", b'hidden="', b't="e"', b't="', b"e",
                                 b"<c>", b"x", b"<", b":"]), max_size=40), st.integers(0, 1_200))
def test_fact_markers_are_found_as_by_a_plain_search(pieces, repeat):
    text = b"".join(pieces)
    assert formulas.may_hold_facts(text) == any(marker in text for marker in formulas.FACT_MARKERS)
    crowded = b"fh" * repeat + text  # more rare bytes than are looked at one by one
    assert formulas.may_hold_facts(crowded) == any(marker in crowded for marker in formulas.FACT_MARKERS)


def test_the_element_count_is_the_pattern_s():
    for text in (b"<row<row/><rowBreaks/><row\n><row", b"<c<c/><cols><c_1><c-2><c", b""):
        for tag, pattern in ((b"row", extent.ROW_ELEMENT), (b"c", extent.CELL_ELEMENT)):
            assert extent.elements(text, tag, pattern) == len(pattern.findall(text))


def test_follow_never_places_a_cell_before_the_reader_does():
    """Random small sheets mixing every spelling, cells and rows without r= and prefixed
    elements: _follow's extent is the reader's (calamine's) width and at least its height
    (a row without cells counts here, not there). Small, so the reader is safe to run."""
    import python_calamine

    rng = random.Random(21)

    def reference(row: int, column: int) -> str:
        letters = column_letter(column - 1)
        letters = letters.lower() if rng.random() < 0.2 else letters
        digits = "0" * rng.choice([0, 0, 0, 2]) + str(row)
        quote, equals = rng.choice("\"'"), rng.choice(["=", "=", " = ", "\t=\n"])
        return f" r{equals}{quote}{letters}{digits}{quote}"

    namespace = b' xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    for _ in range(150):
        parts, row = ['<row r="1"><c r="A1"><v>1</v></c></row>'], 1
        for _ in range(rng.randint(1, 12)):
            row += rng.randint(1, 5) if rng.random() < 0.5 else 1
            line = rng.choice(["row", "row", "x:row"])
            cells = []
            for _ in range(rng.randint(0, 8)):
                if rng.random() < 0.5:
                    tag, extra = rng.choice(["c", "c", "x:c"]), rng.choice(["", ' t="n"'])
                    named = reference(rng.choice([row, row, rng.randint(1, 30)]), rng.randint(1, 60))
                    cells.append(f"<{tag}{named}{extra}><v>1</v></{tag}>")
                else:
                    cells.append("<c><v>1</v></c>")
            named_row = f' r="{row}"' if rng.random() < 0.5 else ""
            parts.append(f"<{line}{named_row}>" + "".join(cells) + f"</{line}>")
        sheet = HEAD.replace(b"<worksheet", b"<worksheet" + namespace) + "".join(parts).encode() + TAIL
        data = readable(sheet)
        grid = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            part = archive.read(SHEET)
        # in pieces, as the check streams it: an element cut between two pieces is placed once
        last_row, last_column = extent.follow(part[at:at + 97] for at in range(0, len(part), 97))
        assert last_column == grid.width and last_row >= grid.height, sheet


def readable(sheet: bytes) -> bytes:
    """A package the reader opens: `package` with the parts that name the worksheet."""
    main = b"http://schemas.openxmlformats.org/"
    parts = {
        "[Content_Types].xml": b'<Types xmlns="' + main + b'package/2006/content-types">'
        b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        b'<Default Extension="xml" ContentType="application/xml"/>'
        b'<Override PartName="/xl/workbook.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        b'<Override PartName="/xl/worksheets/sheet1.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": b'<Relationships xmlns="' + main + b'package/2006/relationships"><Relationship Id="rId1" '
        b'Type="' + main + b'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        b"</Relationships>",
        "xl/workbook.xml": b'<workbook xmlns="' + main + b'spreadsheetml/2006/main" xmlns:r="' + main
        + b'officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": b'<Relationships xmlns="' + main + b'package/2006/relationships">'
        b'<Relationship Id="rId1" Type="' + main + b'officeDocument/2006/relationships/worksheet" '
        b'Target="worksheets/sheet1.xml"/></Relationships>',
        SHEET: sheet,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_rows_wider_than_the_header_in_its_own_chunk_go_to_the_exact_scan(small, monkeypatch):
    """The header row alone fixes the column bound; wider rows later in the same chunk are judged
    by the search for cells outside it (then the exact scan decides), never passed unread."""
    sheet = HEAD + rows(1, 1, columns="ABC") + rows(2, 300) + TAIL
    result, bounded = both(monkeypatch, package(sheet))
    assert not bounded and result == ("", frozenset({SHEET}), frozenset())
    far = HEAD + rows(1, 1, columns="ABC") + rows(2, 3) + b'<row r="4"><c r="XFD4"/></row>' + rows(5, 300) + TAIL
    (message, _, _), bounded = both(monkeypatch, package(far))
    assert not bounded and "使用範圍過大（到第 300 列、第 16,384 欄" in message


@pytest.mark.parametrize("cell", [
    b'<c r="A2" r="Z99999"/>',  # the reader places a cell by its last r attribute
    b'<c r="A2" t="inlineStr" x="row>" r="Z99999"><is><t>x</t></is></c>',  # `>` inside a value
    b"<c r=\"A2\" r = 'Z99999'/>",  # a second r spelled oddly
    b'<c r="A2" s="1"\tr="Z99999"/>',
])
@pytest.mark.parametrize("where", ["header row", "later chunk"])
def test_a_second_r_attribute_is_never_passed_unread(small, monkeypatch, cell, where):
    """A far reference in a cell's second r attribute, in the header row's chunk or any later one:
    the bounded scan declines and the exact scan refuses the sheet, as calamine would place it."""
    if where == "header row":
        sheet = HEAD + b'<row r="1">' + cell.replace(b"A2", b"A1") + b"</row>" + rows(2, 300) + TAIL
    else:
        far = b'<row r="151">' + cell.replace(b"A2", b"A151") + b"</row>"
        sheet = HEAD + rows(1, 150) + far + rows(152, 300) + TAIL
    (message, _, _), bounded = both(monkeypatch, package(sheet))
    assert not bounded
    assert "使用範圍過大（到第 99,999 列、第 26 欄" in message
