"""Child order: w:pPr, w:rPr, w:sectPr and w:style are schema sequences (ECMA-376 Part 1), and Word
calls a file whose properties are out of order or stated twice damaged.

wordml.py holds the sequences once; here they are checked against the Open XML SDK's schema data
(shipped with openxml-audit, a source independent of reportgen), and every w:pPr, w:rPr, w:sectPr
and w:style reportgen writes — or inherits from a template and fixes — is checked against them.
"""

from __future__ import annotations

import json
import zipfile
from importlib import resources
from pathlib import Path

import pytest
from lxml import etree

from helpers import REPO, run_cli
from masters import KINDS, insert_like_word, master
from reportgen.write import wordml
from reportgen.write.wordml import ORDERS, q
from template_edits import rewrite

pytest.importorskip("openxml_audit", reason="openxml-audit (the test extra) is not installed")

TEMPLATE = REPO / "templates" / "report.docx"
SAVED_BY_LIBREOFFICE = REPO / "tests" / "fixtures" / "template-saved-by-libreoffice.docx"
# The schema's complex types for each element reportgen orders, where it writes them.
SCHEMA_TYPES = {
    "pPr": ("w:CT_PPr/w:pPr", "w:CT_PPrStyle/w:pPr"),  # a paragraph's; a style's
    "rPr": ("w:CT_RPr/w:rPr", "w:CT_RPrStyle/w:rPr"),
    "sectPr": ("w:CT_SectPr/w:sectPr",),
    "style": ("w:CT_Style/w:style",),
}


@pytest.fixture(scope="module")
def schema() -> dict[str, list[str]]:
    """Each complex type's w: children in the SDK's order."""
    data = (resources.files("openxml_audit") / "data" / "openxml" / "schemas"
            / "schemas_openxmlformats_org_wordprocessingml_2006_main.json")
    types = json.loads(data.read_text(encoding="utf-8"))["Types"]
    return {t["Name"]: [c["Name"].split("/")[-1][2:] for c in t.get("Children", [])
                        if c["Name"].split("/")[-1].startswith("w:")] for t in types}


@pytest.mark.parametrize("element", sorted(SCHEMA_TYPES))
def test_the_orders_are_the_schemas(schema, element):
    order = ORDERS[element]
    for type_name in SCHEMA_TYPES[element]:
        children = schema[type_name]
        assert children, type_name
        assert [c for c in children if c not in order] == []  # every child the schema allows is placed
        ranks = [order[c] for c in children]
        assert ranks == sorted(ranks), (type_name, children)  # … in the schema's order


def out_of_order(package: Path) -> list[str]:
    """Every w:pPr, w:rPr, w:sectPr and w:style in the document and styles parts whose children break
    the schema's sequence (out of place, twice, or unknown), as `part element: children`."""
    found = []
    with zipfile.ZipFile(package) as archive:
        for part in ("word/document.xml", "word/styles.xml"):
            root = etree.fromstring(archive.read(part))
            for name, order in ORDERS.items():
                for element in root.iter(q(name)):
                    if name == "rPr" and element.getparent().tag == q("pPr"):
                        continue  # a paragraph mark's run properties: CT_ParaRPr, never written by reportgen
                    wrong = wordml.out_of_order(element, order)
                    if wrong:
                        found.append(f"{part} {name}: {wrong}")
    return found


def build(tmp_path: Path, source: Path, template: Path, name: str) -> Path:
    out = tmp_path / name
    result = run_cli("build", source, "-o", out, "--template", template)
    assert result.code == 0, result.err
    return out


def test_the_checker_finds_what_is_out_of_order(tmp_path):
    """A control: w:sz twice (LibreOffice's) and w:jc before w:ind are found."""
    assert out_of_order(SAVED_BY_LIBREOFFICE)

    def swap(name: str, data: bytes) -> bytes:
        if name != "word/styles.xml":
            return data
        return data.replace(b'<w:contextualSpacing w:val="0"/><w:jc w:val="both"/>',
                            b'<w:jc w:val="both"/><w:contextualSpacing w:val="0"/>', 1)

    assert out_of_order(rewrite(TEMPLATE, tmp_path / "swapped.docx", swap)) == [
        "word/styles.xml pPr: ['contextualSpacing']"]


def test_the_template_and_the_example_chapter_are_in_order(tmp_path, example_dir):
    assert out_of_order(TEMPLATE) == []
    assert out_of_order(build(tmp_path, example_dir, TEMPLATE, "chapter.docx")) == []


def test_a_chapter_whose_styles_were_widened_is_in_order(tmp_path, workbook):
    """label_fit copies an inherited indent and tab stops into a style: each lands in its place."""
    activities = [{"節次": 1, "標題": f"活動{n}", "開始日期": "110/9/8", "內容": "內容。"} for n in range(1, 22)]
    assert out_of_order(build(tmp_path, workbook(activities=activities), TEMPLATE, "wide.docx")) == []


def test_a_chapter_built_with_a_libreoffice_saved_template_is_in_order(tmp_path, example_dir):
    assert out_of_order(build(tmp_path, example_dir, SAVED_BY_LIBREOFFICE, "chapter.docx")) == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_master_with_the_chapter_inserted_is_in_order(tmp_path, example_dir, kind):
    made = master(kind, TEMPLATE, tmp_path / f"{kind}.docx")
    chapter = build(tmp_path, example_dir, made, "chapter.docx")
    assert out_of_order(insert_like_word(made, chapter, tmp_path / "merged.docx")) == []
