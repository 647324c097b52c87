"""Formula cells without a saved value: found in the sheet XML, by both scanning paths."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from helpers import VISITS, write_workbook
from reportgen.read.formulas import _find_quickly, _scan, unsaved_formula_cells

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
CELLS = {
    "no value": ('<c r="B2"><f>1+1</f></c>', {(1, 1)}),
    "empty value": ('<c r="C3"><f>1+1</f><v></v></c>', {(2, 2)}),
    "self-closed value": ('<c r="C3"><f>1+1</f><v/></c>', {(2, 2)}),
    "saved number": ('<c r="D4"><f>1+1</f><v>2</v></c>', set()),
    "saved empty text": ('<c r="E5" t="str"><f>""</f><v></v></c>', set()),
    "shared formula child": ('<c r="F6"><f t="shared" si="0"/></c>', {(5, 5)}),
    "plain value": ('<c r="G7"><v>3</v></c>', set()),
    "column AA": ('<c r="AA10" s="1"><f>SUM(A1:A9)</f><v></v></c>', {(9, 26)}),
}


def sheet_xml(cells: str, prefix: str = "") -> bytes:
    p = f"{prefix}:" if prefix else ""
    ns = NS.replace("xmlns=", f"xmlns:{prefix}=") if prefix else NS
    return (f'<{p}worksheet {ns}><{p}sheetData><{p}row r="1">{cells}</{p}row>'
            f"</{p}sheetData></{p}worksheet>").encode()


@pytest.mark.parametrize("name", sorted(CELLS))
def test_each_formula_cell_form(name):
    cell, expected = CELLS[name]
    data = sheet_xml(cell)
    assert _find_quickly(data) == expected
    assert _scan(data) == expected


def test_prefixed_namespace_is_understood():
    cells = "".join(c.replace("<c", "<x:c").replace("</c>", "</x:c>").replace("<f", "<x:f")
                    .replace("</f>", "</x:f>").replace("<v", "<x:v").replace("</v>", "</x:v>")
                    for c, _ in CELLS.values())
    data = sheet_xml(cells, prefix="x")
    expected = set().union(*(e for _, e in CELLS.values()))
    assert _find_quickly(data) == expected == _scan(data)


def test_cells_without_reference_fall_back_to_the_full_scan():
    data = sheet_xml('<c><v>1</v></c><c><f>1+1</f></c>').replace(b'row r="1"', b'row r="4"')
    assert _find_quickly(data) is None
    assert _scan(data) == {(3, 1)}


def test_workbook_sheets_are_found_through_relationships(tmp_path: Path):
    path = write_workbook(tmp_path / "f.xlsx", visits=[{**VISITS[0], "人數": "=2+3"}])
    assert unsaved_formula_cells(path) == {"訪賓": {(1, 4)}}


def test_workbook_without_formulas_and_non_xlsx_files(tmp_path: Path):
    path = write_workbook(tmp_path / "plain.xlsx")
    assert unsaved_formula_cells(path) == {}
    assert unsaved_formula_cells(tmp_path / "x.ods") == {}
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not-closed")
    assert unsaved_formula_cells(broken) == {}
