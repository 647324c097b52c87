"""OOXML validation (openxml-audit, a port of the Open XML SDK's validator): what reportgen writes, and
what editors make of it, is a file Word opens without repairing.

Checked: the example chapter; a chapter built with a template LibreOffice saved (its styles state
w:sz twice, its section a docGrid charSpace beyond the schema's range, it has no theme); a master
report with the chapter inserted as Word inserts it, for each kind of master in tests/masters.py.

One reading of openxml-audit's is set aside, precisely: it takes `w:numId w:val="0"` for a
reference to a numbering definition. ECMA-376 Part 1 §17.9.18 reserves 0 for the opposite, "the
removal of numbering properties at a particular level in the style hierarchy" — which is what
every heading does (paragraph_layout.py) — and the Open XML SDK's own schema data, which
openxml-audit ships, places no reference constraint on numId. `findings` excuses those findings
only when every numId that names no definition is 0; test_a_real_missing_numbering_is_still_found
shows that the excuse covers nothing else.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest

from helpers import EXAMPLE, REPO, run_cli
from masters import KINDS, insert_like_word, master
from template_edits import rewrite

# A validator run over whole packages: slow by the marker (CI runs it).
pytestmark = pytest.mark.slow
audit = pytest.importorskip("openxml_audit", reason="openxml-audit (the test extra) is not installed")

TEMPLATE = REPO / "templates" / "report.docx"
SAVED_BY_LIBREOFFICE = REPO / "tests" / "fixtures" / "template-saved-by-libreoffice.docx"
NUMBERING_FINDINGS = ("Document references numbering but numbering.xml is missing",
                      "Numbering definition '0' referenced but not found",
                      "A required relationship type 'http://schemas.openxmlformats.org/officeDocument/2006/"
                      "relationships/numbering' is missing.")


@pytest.fixture(scope="module")
def validator():
    return audit.OpenXmlValidator()


def _undefined_num_ids(path: Path) -> set[str]:
    """numId values used in the document or its styles that no w:num of the numbering part defines."""
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        used = set()
        for part in ("word/document.xml", "word/styles.xml"):
            used |= set(re.findall(rb'<w:numId w:val="([^"]*)"', archive.read(part)))
        numbering = archive.read("word/numbering.xml") if "word/numbering.xml" in names else b""
    defined = set(re.findall(rb'<w:num w:numId="([^"]*)"', numbering))
    return {value.decode() for value in used - defined}


def findings(validator, path: Path) -> list[str]:
    """openxml-audit's findings on `path`, less its misreading of the numId 0 sentinel (module doc)."""
    import socket as sockets

    def refuse(*args, **kwargs):
        raise AssertionError("openxml-audit tried to use the network")

    with pytest.MonkeyPatch.context() as patch:  # nothing is fetched at run time
        patch.setattr(sockets.socket, "connect", refuse)
        patch.setattr(sockets, "create_connection", refuse)
        result = validator.validate(path)
    sentinel_only = _undefined_num_ids(path) <= {"0"}
    return [f"{e.part_uri} {e.path}: {e.description}" for e in result.errors
            if not (sentinel_only and e.description in NUMBERING_FINDINGS)]


def build(tmp_path: Path, template: Path = TEMPLATE, name: str = "chapter.docx") -> Path:
    out = tmp_path / name
    result = run_cli("build", EXAMPLE, "-o", out, "--template", template)
    assert result.code == 0, result.err
    return out


def test_the_example_chapter_has_no_findings(validator, tmp_path):
    assert findings(validator, build(tmp_path)) == []


def test_the_template_has_no_findings(validator):
    assert findings(validator, TEMPLATE) == []


def test_a_chapter_built_with_a_template_libreoffice_saved_has_no_findings(validator, tmp_path):
    """The template itself has findings (w:sz twice, charSpace 4294959103, no theme): the chapter has none."""
    assert len(findings(validator, SAVED_BY_LIBREOFFICE)) >= 3
    assert findings(validator, build(tmp_path, SAVED_BY_LIBREOFFICE)) == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_master_with_the_chapter_inserted_has_no_findings(validator, tmp_path, kind):
    """Built with reportgen's template and with the master's own; inserted as Word inserts it."""
    made = master(kind, TEMPLATE, tmp_path / f"{kind}.docx")
    assert findings(validator, made) == []
    for template in (TEMPLATE, made):
        chapter = build(tmp_path, template, f"chapter-{template.stem}.docx")
        merged = insert_like_word(made, chapter, tmp_path / f"merged-{template.stem}.docx")
        assert findings(validator, merged) == []


def test_a_real_missing_numbering_is_still_found(validator, tmp_path):
    """The numId 0 excuse is exact: a heading pointing at list 1 with no numbering part is a finding."""
    chapter = build(tmp_path)

    def point_at_list_one(name: str, data: bytes) -> bytes:
        if name != "word/document.xml":
            return data
        return data.replace(b'<w:numId w:val="0"/>', b'<w:numId w:val="1"/>', 1)

    broken = rewrite(chapter, tmp_path / "broken.docx", point_at_list_one)
    assert any("numbering" in finding for finding in findings(validator, broken))


def test_the_audit_itself_finds_what_word_refuses(validator, tmp_path):
    """A control: a style stating w:sz twice, as LibreOffice writes it, is a finding."""
    def twice(name: str, data: bytes) -> bytes:
        if name != "word/styles.xml":
            return data
        return data.replace(b'<w:sz w:val="28"/>', b'<w:sz w:val="28"/><w:sz w:val="28"/>', 1)

    assert findings(validator, rewrite(TEMPLATE, tmp_path / "twice.docx", twice)) != []


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_the_template_survives_a_libreoffice_round_trip(validator, tmp_path):
    """Saved by Writer: no property stated twice, and a chapter built with it has no findings."""
    from reportgen.write.convert import Soffice

    with Soffice() as office:
        saved = tmp_path / "另存.docx"
        saved.write_bytes(office.convert(TEMPLATE, "docx"))
    from lxml import etree

    from reportgen.write.wordml import q

    with zipfile.ZipFile(saved) as archive:
        styles = etree.fromstring(archive.read("word/styles.xml"))
    for properties in styles.iter(q("rPr"), q("pPr")):
        tags = [child.tag for child in properties]
        assert len(tags) == len(set(tags)), etree.tostring(properties)
    assert findings(validator, build(tmp_path, saved)) == []

