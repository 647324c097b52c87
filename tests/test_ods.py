"""ODF spreadsheets (.ods from LibreOffice Calc) are read with the same contract as .xlsx.

tests/fixtures/範例_110年下半年_國際事務.ods is the example workbook saved by Calc:
`soffice --headless --convert-to ods inputs/範例_110年下半年_國際事務.xlsx`.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from conftest import digest
from helpers import EXAMPLE, FIXTURES, HEADERS, SECTIONS, SETTINGS, VISITS, is_expected_chapter, write_workbook
from reportgen import load
from reportgen.write.convert import Soffice

EXAMPLE_ODS = FIXTURES / "範例_110年下半年_國際事務.ods"
def needs_soffice(test):
    """A LibreOffice round trip: seconds each, so behind the slow marker (CI runs it)."""
    skip = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
    return pytest.mark.slow(skip(test))


def test_ods_example_builds_the_same_chapter_byte_for_byte(tmp_path, cli):
    from_xlsx, from_ods = tmp_path / "xlsx.docx", tmp_path / "ods.docx"
    assert cli("build", EXAMPLE, "-o", from_xlsx).code == 0
    result = cli("build", EXAMPLE_ODS, "-o", from_ods)
    assert result.code == 0, result.err
    assert result.out.splitlines()[1] == "共 2 節、14 項活動、16 案訪賓（101 人）；警告 0 項。"
    assert digest(from_ods) == digest(from_xlsx)
    assert is_expected_chapter(cli("preview", EXAMPLE_ODS).out.splitlines())


def test_a_folder_holding_an_ods_is_read(tmp_path, cli):
    folder = tmp_path / "inputs"
    folder.mkdir()
    shutil.copy(EXAMPLE_ODS, folder)
    (folder / ".~lock.範例_110年下半年_國際事務.ods#").write_text("Calc's lock file")
    assert is_expected_chapter(cli("preview", folder).out.splitlines())


def problem_keys(path: Path) -> list[tuple[str, str, str, str, str]]:
    outcome = load([path])
    return [(p.location.sheet, p.location.cell, p.location.header, p.code, p.severity.value)
            for p in outcome.problems.sorted()]


@needs_soffice
def test_problems_in_an_ods_name_the_same_cells_as_in_xlsx(tmp_path):
    """The same broken workbook, saved as .xlsx and by Calc as .ods, gives the same problem list."""
    xlsx = write_workbook(
        tmp_path / "錯誤.xlsx",
        settings={"章次": 26, "章名": "國際事務", "期間起": dt.date(2021, 7, 1), "期間迄": "110/12/31"},
        activities=[
            {"節次": 1, "標題": "視訊會議", "開始日期": dt.date(2021, 9, 8), "內容": "舉行視訊會議。"},
            {"節次": 3, "標題": "不存在的節", "開始日期": "110/2/30", "內容": "內容"},
            {"節次": 1, "標題": "", "開始日期": "110/10/1", "結束日期": "110/9/1", "內容": "沒有標題"},
        ],
        visits=[
            {"日期": dt.date(2021, 9, 10), "單位": "日本京都市", "代表": "門川大作市長", "人數": 5},
            {"日期": "110/9/11", "單位": "美國在台協會", "代表": "處長", "人數": "abc", "形式": "飛鴿"},
        ])
    with Soffice() as office:
        ods = tmp_path / "錯誤.ods"
        ods.write_bytes(office.convert(xlsx, "ods"))
    from_xlsx = problem_keys(xlsx)
    assert {("活動", "C3", "開始日期"), ("訪賓", "E3", "人數")} <= {k[:3] for k in from_xlsx}
    assert problem_keys(ods) == from_xlsx


# --- hidden rows, merges, formula errors and unsaved formulas ----------------------------------
# Calc saves these in content.xml, which calamine reads values from only: a filtered-out row is
# `<table:table-row table:visibility="filter">` (hidden by hand: "collapse"), a merge is
# `table:number-rows-spanned` on its first cell with `<table:covered-table-cell/>` under it,
# and `=1/0` is `<table:table-cell table:formula="of:=1/0" calcext:value-type="error">`
# holding `<text:p>#DIV/0!</text:p>`. Cells have no references: places are counted through
# `table:number-rows-repeated` / `table:number-columns-repeated`.

_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "calcext": "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0",
    "of": "urn:oasis:names:tc:opendocument:xmlns:of:1.2",
}
_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>")


class Raw(str):
    """A cell given as its XML, as Calc writes it."""


def _cell(value: object) -> str:
    if isinstance(value, Raw):
        return str(value)
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, int | float):
        return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    text = escape(str(value))
    return f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'


def content_xml(tables: dict[str, str], prefixes: dict[str, str] | None = None) -> str:
    """content.xml holding `tables` (name → the rows' XML); `prefixes` respells namespaces."""
    declared = " ".join(f'xmlns:{(prefixes or {}).get(p, p)}="{uri}"' for p, uri in _NS.items())
    body = "".join(f'<table:table table:name="{escape(name)}">{rows}</table:table>'
                   for name, rows in tables.items())
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {declared} '
           f'office:version="1.3"><office:body><office:spreadsheet>{body}</office:spreadsheet>'
           "</office:body></office:document-content>")
    for old, new in (prefixes or {}).items():
        xml = xml.replace(f"<{old}:", f"<{new}:").replace(f"</{old}:", f"</{new}:").replace(
            f" {old}:", f" {new}:")
    return xml


def write_ods(path: Path, content: str) -> Path:
    """A minimal .ods: mimetype first and stored, the manifest, content.xml."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", _MANIFEST)
        archive.writestr("content.xml", content)
    return path


def ods_workbook(path: Path, activities: list[dict[str, object]],
                 row_attributes: dict[int, str] | None = None) -> Path:
    """The helpers' default workbook as an .ods, with these 活動 rows; `row_attributes` by
    1-based 活動 row (`table:visibility="filter"`)."""
    tables = {"報告設定": "".join(_row([key, value]) for key, value in
                                  [("項目", "內容"), *SETTINGS.items()])}
    for name, rows in (("章節", SECTIONS), ("活動", activities), ("訪賓", VISITS)):
        head = HEADERS[name]
        lines = [_row(head)]
        for number, values in enumerate(rows, start=2):
            lines.append(_row([values.get(h) for h in head], (row_attributes or {}).get(number, "")
                              if name == "活動" else ""))
        tables[name] = "".join(lines)
    return write_ods(path, content_xml(tables))


def _row(values: list[object], attributes: str = "") -> str:
    return f"<table:table-row {attributes}>{''.join(_cell(v) for v in values)}</table:table-row>"


def _activity(n: int, **cells: object) -> dict[str, object]:
    return {"節次": 1, "標題": f"活動{n}", "開始日期": f"110/9/{n}", "內容": f"內容{n}。", **cells}


MERGED_FIRST = Raw('<table:table-cell office:value-type="string" table:number-columns-spanned="1" '
                   'table:number-rows-spanned="2"><text:p>兩列合併的內容。</text:p></table:table-cell>')
COVERED = Raw("<table:covered-table-cell/>")
DIV0 = Raw('<table:table-cell table:formula="of:=1/0" office:value-type="string" office:string-value="" '
           'calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell>')
UNSAVED = Raw('<table:table-cell table:formula="of:=[.A2]+1"/>')


def test_hidden_and_filtered_rows_of_an_ods_are_named(tmp_path):
    rows = [_activity(n) for n in range(1, 6)]
    path = ods_workbook(tmp_path / "b.ods", rows, {3: 'table:visibility="collapse"',
                                                   4: 'table:visibility="filter"'})
    problems = load([path]).problems
    assert problems.flatten() == [("b.ods", "活動", "A3", "hidden-rows")]
    assert problems[0].message == "第 3–4 列是隱藏或被篩選掉的列；其中的資料仍會讀取並印入報告。"


def test_a_merged_ods_data_cell_is_an_error_explaining_the_merge(tmp_path):
    rows = [_activity(1), _activity(2, 內容=MERGED_FIRST), _activity(3, 內容=COVERED)]
    problems = load([ods_workbook(tmp_path / "b.ods", rows)]).problems
    assert problems.flatten() == [("b.ods", "活動", "E3", "merged-cells")]
    assert problems[0].message == ("E3:E4 是合併儲存格，合併後只有第一格 E3 保有內容，"
                                   "其餘各列的「內容」都是空白。")


def test_a_merged_ods_header_names_the_columns_left_without_one(tmp_path):
    """內容 merged over E1:F1: the F column has no header, so what is typed there is not read."""
    path = ods_workbook(tmp_path / "b.ods", [_activity(1, 列入報告="是")])
    content = zipfile.ZipFile(path).read("content.xml").decode()
    merged = ('<table:table-cell office:value-type="string" table:number-columns-spanned="2" '
              'table:number-rows-spanned="1"><text:p>內容</text:p></table:table-cell>'
              "<table:covered-table-cell/>")
    head = "".join(_cell(h) for h in HEADERS["活動"])
    content = content.replace(head, head.replace(_cell("內容") + _cell("列入報告"), merged), 1)
    problems = load([write_ods(tmp_path / "b.ods", content)]).problems
    assert problems.flatten() == [("b.ods", "活動", "E1", "merged-header")]
    assert problems[0].message == "第 1 列的 E1:F1 是合併儲存格，F 欄因此沒有欄名，其中的資料不會讀取。"


def test_an_ods_formula_error_is_quoted_and_an_unsaved_formula_named(tmp_path):
    rows = [_activity(1, 標題=DIV0), _activity(2, 標題=UNSAVED)]
    problems = load([ods_workbook(tmp_path / "b.ods", rows)]).problems
    assert problems.flatten() == [("b.ods", "活動", "B2", "formula-error"),
                                  ("b.ods", "活動", "B3", "formula-no-value")]
    assert problems[0].message == "「標題」是公式，計算結果是錯誤值 #DIV/0!。"
    assert "Calc" in problems[1].fix


def test_a_plain_ods_is_not_parsed_again_and_has_none_of_these_problems(tmp_path, monkeypatch):
    """No formula, hidden row or merge in content.xml: one substring scan, no second parse."""
    import reportgen.read.ods_facts as ods_facts  # imported by workbook when an .ods is read

    def refuse(archive):
        raise AssertionError("content.xml parsed although it holds no marker")

    monkeypatch.setattr(ods_facts, "table_facts", refuse)
    plain = ods_workbook(tmp_path / "plain.ods", [_activity(n) for n in range(1, 4)])
    assert load([plain]).problems.flatten() == []
    assert load([EXAMPLE_ODS]).problems.flatten() == []


def test_positions_count_repeated_rows_and_columns_and_covered_cells_as_calamine_does(tmp_path):
    """Leading empty rows and columns, repeats, covered cells and grouped rows: each fact lands
    where calamine puts the cell (an old-style error keeps its text, so calamine shows it)."""
    import python_calamine

    from reportgen.read import ods_facts

    old_error = Raw('<table:table-cell table:formula="of:=NA()" office:value-type="string">'
                    "<text:p>#N/A</text:p></table:table-cell>")
    rows = "".join([
        '<table:table-row table:number-rows-repeated="2"><table:table-cell '
        'table:number-columns-repeated="9"/></table:table-row>',
        "<table:table-header-rows>", _row(["", "", "頭", "尾"]), "</table:table-header-rows>",
        _row(["", "", Raw('<table:table-cell office:value-type="string" '
                         'table:number-columns-repeated="3"><text:p>同</text:p></table:table-cell>')],
             'table:number-rows-repeated="2"'),
        _row(["", Raw('<table:covered-table-cell table:number-columns-repeated="2"/>'), old_error]),
        "<table:table-row-group>",
        _row([Raw('<table:table-cell table:number-columns-repeated="2"/>'), "藏"],
             'table:visibility="collapse" table:number-rows-repeated="2"'),
        "</table:table-row-group>",
        _row(["", "", "", Raw('<table:table-cell office:value-type="string" table:number-rows-spanned="2" '
                              'table:number-columns-spanned="2"><text:p>併</text:p></table:table-cell>')]),
        _row(["", "", "", COVERED, COVERED, UNSAVED]),
        '<table:table-row table:number-rows-repeated="1000" table:visibility="collapse">'
        '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>',
    ])
    content = content_xml({"表 & 一": rows, "空": _row(["x"])})
    path = write_ods(tmp_path / "p.ods", content)
    expected = ods_facts.TableFacts(unsaved=[(9, 5, 1, 1)], errors=[((5, 3, 1, 1), "#N/A")], hidden=[(6, 2)],
                                    merged=[((8, 3), (9, 4))])
    data = content.encode()
    assert ods_facts._usual_prefixes(data)
    assert ods_facts._scan_bytes(data) == {"表 & 一": expected, "空": ods_facts.TableFacts()}
    assert ods_facts._scan_tree(data) == ods_facts._scan_bytes(data)
    assert expected.cells() == ({(9, 5)}, {(5, 3): "#N/A"}, [7, 8])
    grid = python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_name("表 & 一").to_python(
        skip_empty_area=False)
    assert (grid[2][2], grid[2][3], grid[3][4], grid[4][4]) == ("頭", "尾", "同", "同")
    assert grid[5][3] == "#N/A" and grid[6][2] == grid[7][2] == "藏" and grid[8][3] == "併"


def test_other_namespace_prefixes_are_read_by_the_tree_scan(tmp_path):
    from reportgen.read import ods_facts

    rows = _row(["a", DIV0]) + _row(["b"], 'table:visibility="filter"')
    usual = content_xml({"活動": rows}).encode()
    other = content_xml({"活動": rows}, {"table": "t", "office": "o", "calcext": "c"}).encode()
    assert b"<t:table-row" in other and not ods_facts._usual_prefixes(other)
    expected = {"活動": ods_facts.TableFacts(errors=[((0, 1, 1, 1), "#DIV/0!")], hidden=[(1, 1)])}
    assert ods_facts._scan_bytes(usual) == expected
    archive = zipfile.ZipFile(write_ods(tmp_path / "o.ods", other.decode()))
    assert ods_facts.table_facts(archive) == expected


@needs_soffice
def test_calc_saves_the_same_problems_in_ods_and_xlsx(tmp_path):
    """A workbook with a hidden row, a merged 內容 across two rows and `=1/0`, made by openpyxl,
    saved by Calc as .ods and that .ods saved by Calc as .xlsx: the same problems, same cells."""
    from openpyxl import load_workbook

    made = write_workbook(tmp_path / "b.xlsx", activities=[_activity(n) for n in range(1, 7)])
    book = load_workbook(made)
    sheet = book["活動"]
    sheet["E3"], sheet["E4"] = "兩列合併的內容。", None
    sheet.merge_cells("E3:E4")
    sheet.row_dimensions[5].hidden = True
    sheet["B6"] = "=1/0"
    book.save(made)
    with Soffice() as office:
        ods = tmp_path / "calc" / "b.ods"
        ods.parent.mkdir()
        ods.write_bytes(office.convert(made, "ods"))
        saved = tmp_path / "calc" / "b.xlsx"
        saved.write_bytes(office.convert(ods, "xlsx"))
    expected = [("活動", "E3", "merged-cells"), ("活動", "A5", "hidden-rows"), ("活動", "B6", "formula-error")]
    from_ods = load([ods]).problems
    assert [(s, c, code) for _f, s, c, code in from_ods.flatten()] == expected
    assert [p.message for p in from_ods.sorted()] == [p.message for p in load([saved]).problems.sorted()]
    assert load([saved]).problems.flatten() == [("b.xlsx", *key) for key in expected]
    # openpyxl saved =1/0 without its result: the one difference from what Calc saved.
    assert [k[:3] for k in load([made]).problems.flatten()] == [("b.xlsx", *key[:2]) for key in expected]


def test_an_unescaped_greater_than_inside_an_attribute_does_not_end_the_tag():
    """Calc writes `&gt;` in formulas; XML allows a bare `>` in quotes, which other writers use."""
    from reportgen.read import ods_facts

    cell = Raw('<table:table-cell table:formula="of:=IF([.A1]>0;1/0;1)" office:value-type="string" '
               'calcext:value-type="error" table:number-rows-spanned="2"><text:p>#DIV/0!</text:p>'
               "</table:table-cell>")
    data = content_xml({"活動": _row(["a", cell, "b"]) + _row(["c", COVERED, "d"])}).encode()
    expected = {"活動": ods_facts.TableFacts(errors=[((0, 1, 1, 1), "#DIV/0!")], merged=[((0, 1), (1, 1))])}
    assert ods_facts._scan_bytes(data) == expected
    assert ods_facts._scan_tree(data) == expected


def test_marker_words_typed_into_a_cell_are_not_facts():
    """`table:formula=` or `visibility=` inside typed text is text, not an attribute."""
    from reportgen.read import ods_facts

    data = content_xml({"活動": _row(["table:formula=\"=1/0\" table:visibility=\"collapse\" -spanned=2"])}).encode()
    assert ods_facts._scan_bytes(data) == {"活動": ods_facts.TableFacts()}
    assert ods_facts._scan_tree(data) == ods_facts._scan_bytes(data)


@needs_soffice
@pytest.mark.parametrize("case", ["hidden_rows", "merged_data_cells", "merged_header", "formula_error_value",
                                  "formula_with_saved_value", "hidden_data_sheet"])
def test_corpus_cases_saved_by_calc_as_ods_give_the_same_problems(tmp_path, case):
    """The corpus' .xlsx cases for these checks, saved by Calc as .ods: same codes, cells, messages."""
    xlsx = Path(__file__).parent / "corpus" / f"{case}.xlsx"
    with Soffice() as office:
        ods = tmp_path / f"{case}.ods"
        ods.write_bytes(office.convert(xlsx, "ods"))
    expected, found = load([xlsx]).problems, load([ods]).problems
    assert [k[1:] for k in found.flatten()] == [k[1:] for k in expected.flatten()]
    assert [p.message for p in found.sorted()] == [p.message for p in expected.sorted()]


# --- hostile repeats, markup the byte scan must not count, strict counts ------------------------

def _hostile(path: Path, rows: int, columns: int, cell: str = 'table:formula="of:=1"') -> Path:
    """Three activities, then one formula cell without a value standing for rows × columns."""
    ods_workbook(path, [_activity(n) for n in range(1, 4)])
    content = zipfile.ZipFile(path).read("content.xml").decode()
    end = content.index("</table:table>", content.index('table:name="活動"'))
    hostile = (f'<table:table-row table:number-rows-repeated="{rows}"><table:table-cell {cell} '
               f'table:number-columns-repeated="{columns}"/></table:table-row>')
    return write_ods(path, content[:end] + hostile + content[end:])


def test_a_formula_repeated_over_2_to_the_40_cells_is_kept_as_one_run():
    """A 1 kB content.xml standing for 2^40 cells: both scans keep one run, and expanding it
    without the sheet's extent is refused rather than tried."""
    from reportgen.read import ods_facts

    rows = _row(["a"]) + ('<table:table-row table:number-rows-repeated="1048576"><table:table-cell '
                          'table:formula="of:=1" table:number-columns-repeated="1048576"/></table:table-row>')
    data = content_xml({"活動": rows}).encode()
    expected = {"活動": ods_facts.TableFacts(unsaved=[(1, 0, 1 << 20, 1 << 20)])}
    assert ods_facts._scan_bytes(data) == expected
    assert ods_facts._scan_tree(data) == expected
    with pytest.raises(ods_facts.TooLarge):
        expected["活動"].cells()
    # Within calamine's extent (1 row, 1 column: only "a"), plus the first row and column beyond.
    assert expected["活動"].cells(1, 1) == ({(1, 0), (1, 1)}, {}, [])


def test_a_formula_without_value_repeated_past_the_data_is_one_row_of_problems(tmp_path):
    """calamine reads the million repeated rows as blank, after the last activity: they stand for
    one row to fix (the first), not a million alike (which took a minute and 3 GB)."""
    path = _hostile(tmp_path / "h.ods", 1 << 20, 1)
    assert [k[2:] for k in load([path]).problems.flatten()] == [
        ("A5", "formula-no-value"), ("B5", "required"), ("C5", "required")]  # 內容 may be blank (SPEC §2)
    path = _hostile(tmp_path / "c.ods", 20, 1 << 14)  # past the data across columns too
    assert [k[2:] for k in load([path]).problems.flatten()] == [
        (f"{column}5", "formula-no-value") for column in "ABCDEF"]  # G: 備註, a note, is not checked


def test_errors_repeated_over_rows_calamine_holds_are_refused_beyond_a_bound(tmp_path):
    """An error cell typed as a string makes calamine hold the repeated rows (as blanks): the
    run is within the sheet, so each row would be a row of problems; beyond MAX_FORMULA_COPIES
    the file is refused by name rather than checked cell by cell or passed unchecked."""
    from reportgen.errors import FatalError

    errors = 'table:formula="of:=1/0" office:value-type="string" calcext:value-type="error"'
    few = [k[2:] for k in load([_hostile(tmp_path / "few.ods", 3, 2, errors)]).problems.flatten()]
    assert [cell for cell, code in few if code == "formula-error"] == ["A5", "B5", "A6", "B6", "A7", "B7"]
    with pytest.raises(FatalError, match="工作表「活動」中重複存放的公式、隱藏列或合併儲存格涵蓋 64,000 格"):
        load([_hostile(tmp_path / "many.ods", 1000, 64, errors)])


def test_repeated_formula_rows_within_the_data_are_each_reported(tmp_path):
    """Rows saved once for three, with values calamine reads: three rows, three errors."""
    head = "".join(_cell(h) for h in HEADERS["活動"])
    repeated = _row([1, DIV0, "110/9/1", "", "內容。"], 'table:number-rows-repeated="3"')
    path = write_ods(tmp_path / "r.ods", content_xml({"活動": f"<table:table-row>{head}</table:table-row>" + repeated}))
    found = [k[2:] for k in load([path]).problems.flatten() if k[3] == "formula-error"]
    assert found == [("B2", "formula-error"), ("B3", "formula-error"), ("B4", "formula-error")]


def test_repeated_facts_beyond_the_cell_limit_stop_the_run(tmp_path, monkeypatch):
    """More positions than MAX_CELLS within the extent: refused by name, never silently skipped."""
    import reportgen.read.workbook as workbook
    from reportgen.errors import FatalError

    monkeypatch.setattr(workbook, "MAX_CELLS", 2)
    head = "".join(_cell(h) for h in HEADERS["活動"])
    repeated = _row([1, DIV0, "110/9/1", "", "內容。"], 'table:number-rows-repeated="3"')
    path = write_ods(tmp_path / "r.ods", content_xml({"活動": f"<table:table-row>{head}</table:table-row>" + repeated}))
    with pytest.raises(FatalError, match="工作表「活動」中重複存放的公式、隱藏列或合併儲存格涵蓋 3 格"):
        load([path])


def test_a_merge_over_more_cells_than_a_sheet_may_hold_stops_the_run(tmp_path):
    """calamine ignores spans; the reader lists the cells under a merge, so a span of 10^12 rows
    would never end: refused by name."""
    from reportgen.errors import FatalError

    huge = Raw('<table:table-cell office:value-type="string" table:number-rows-spanned="999999999999">'
               "<text:p>併</text:p></table:table-cell>")
    with pytest.raises(FatalError, match="涵蓋 999,999,999,999 格"):
        load([ods_workbook(tmp_path / "m.ods", [_activity(1), _activity(2, 內容=huge)])])


def test_a_content_xml_the_scan_cannot_read_is_refused_not_passed_unchecked(tmp_path, monkeypatch):
    """calamine reads a mismatched end tag; lxml (used because of the comment) does not: the
    formulas cannot be checked, so the file is refused with a message staff can act on."""
    from reportgen.errors import FatalError

    broken = Raw('<table:table-cell office:value-type="string"><text:p>x</text:span></table:table-cell>')
    rows = [_activity(1), _activity(2, 標題=broken), _activity(3, 標題=DIV0)]
    path = ods_workbook(tmp_path / "b.ods", rows)
    content = zipfile.ZipFile(path).read("content.xml").decode().replace(
        "<office:body>", "<!-- a note --><office:body>")
    write_ods(path, content)
    with pytest.raises(FatalError, match="無法檢查公式、隱藏列與合併儲存格"):
        load([path])


def test_only_parse_errors_are_turned_into_a_message(tmp_path, monkeypatch):
    """Running out of memory is not a verdict on the file: it is not swallowed (it used to be,
    and every check was silently skipped)."""
    import reportgen.read.ods_facts as ods_facts  # imported by workbook when an .ods is read

    def exhausted(archive):
        raise MemoryError

    monkeypatch.setattr(ods_facts, "table_facts", exhausted)
    with pytest.raises(MemoryError):
        load([ods_workbook(tmp_path / "b.ods", [_activity(1, 標題=DIV0)])])


COMMENTED_ROW = "<!-- <table:table-row><table:table-cell/></table:table-row> -->"
CDATA_CELL = Raw('<table:table-cell office:value-type="string"><text:p><![CDATA[<table:table-cell>]]>'
                 "</text:p></table:table-cell>")


@pytest.mark.parametrize("rows, position", [
    (COMMENTED_ROW + _row(["a"]) + _row(["b", DIV0]), (1, 1)),
    (_row(["a"]) + "<?x <table:table-row><table:table-cell/></table:table-row> ?>" + _row(["b", DIV0]), (1, 1)),
    (_row(["a", CDATA_CELL, DIV0]), (0, 2)),
], ids=["comment", "processing-instruction", "cdata"])
def test_tag_like_text_in_comments_cdata_and_instructions_is_not_counted(tmp_path, rows, position):
    """Such markup sends content.xml to the lxml scan: the error lands where calamine puts it."""
    import python_calamine

    from reportgen.read import ods_facts

    content = content_xml({"活動": rows})
    path = write_ods(tmp_path / "c.ods", content)
    found = ods_facts.table_facts(zipfile.ZipFile(path))
    assert found == ods_facts._scan_tree(content.encode())
    assert found["活動"].cells()[1] == {position: "#DIV/0!"}
    grid = python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_name("活動").to_python(
        skip_empty_area=False)
    row, col = position
    assert grid[row][col] == "" and grid[row][col - 1] in ("a", "b", "")  # the error is read as blank
    assert len(grid[row]) == col + 1


def test_the_byte_scan_is_kept_when_only_the_xml_declaration_is_an_instruction():
    from reportgen.read import ods_facts

    data = content_xml({"活動": _row(["a", DIV0])}).encode()
    assert data.startswith(b"<?xml") and not ods_facts._markup_beyond_tags(data)
    assert ods_facts._markup_beyond_tags(data.replace(b"<office:body>", b"<!--x--><office:body>"))


@pytest.mark.parametrize("count", ["1_0", " 3 ", "３", "-1", "", "99999999999999999999999"])
def test_repeat_counts_calamine_refuses_make_the_scan_fail(count):
    from reportgen.read import ods_facts

    data = content_xml({"活動": _row([Raw(f'<table:table-cell table:number-columns-repeated="{count}"/>'),
                                     DIV0])}).encode()
    with pytest.raises(ValueError):
        ods_facts._scan_bytes(data)
    with pytest.raises(ValueError):
        ods_facts._scan_tree(data)


def test_repeat_counts_are_read_as_calamine_reads_them():
    """`+2` and `02` are 2; `0` skips the cell or row (calamine's grid has no place for it)."""
    from reportgen.read import ods_facts

    def error_at(cells: str, rows: str = "") -> dict:
        data = content_xml({"活動": rows + _row([Raw(cells), DIV0])}).encode()
        found = ods_facts._scan_bytes(data)
        assert ods_facts._scan_tree(data) == found
        return found["活動"].cells()[1]

    assert error_at('<table:table-cell table:number-columns-repeated="+2"/>') == {(0, 2): "#DIV/0!"}
    assert error_at('<table:table-cell table:number-columns-repeated="02"/>') == {(0, 2): "#DIV/0!"}
    assert error_at('<table:table-cell table:number-columns-repeated="0"/>') == {(0, 0): "#DIV/0!"}
    assert error_at("<table:table-cell/>", _row(["x"], 'table:number-rows-repeated="0"')) == {(0, 1): "#DIV/0!"}


def test_a_commented_out_row_does_not_move_an_error_to_the_next_row(tmp_path):
    """`<!-- <table:table-row>… -->` between two activities: #DIV/0! stays in B3, where Calc
    and calamine show it (the byte scan used to count the commented row and name B4)."""
    path = ods_workbook(tmp_path / "c.ods", [_activity(1), _activity(2, 標題=DIV0), _activity(3)])
    content = zipfile.ZipFile(path).read("content.xml").decode()
    first = _row([_activity(1).get(h) for h in HEADERS["活動"]])
    assert first in content
    write_ods(path, content.replace(first, first + COMMENTED_ROW, 1))
    assert load([path]).problems.flatten() == [("c.ods", "活動", "B3", "formula-error")]
