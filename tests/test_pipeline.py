"""End to end: the example workbook becomes exactly the published chapter."""

from __future__ import annotations

from pathlib import Path

from docx import Document as open_docx

from conftest import digest
from helpers import EXPECTED_CHAPTER

EXPECTED = EXPECTED_CHAPTER.read_text(encoding="utf-8").splitlines()


def docx_paragraphs(path: Path) -> list[str]:
    return [p.text for p in open_docx(str(path)).paragraphs]


def test_build_reproduces_the_published_chapter(project, cli):
    result = cli("build")
    assert result.code == 0, result.err
    assert result.out == (
        "已產生 outputs/國際事務.docx\n"
        "共 2 節、14 項活動、16 案訪賓（101 人）；警告 0 項。\n"
    )
    paragraphs = docx_paragraphs(project / "outputs" / "國際事務.docx")
    assert [p.replace("\t", " ") for p in paragraphs] == EXPECTED


def test_preview_prints_the_same_paragraphs(project, cli):
    result = cli("preview")
    assert result.code == 0, result.err
    assert result.out.splitlines() == EXPECTED
    assert result.err == ""


def test_build_is_byte_identical(project, cli, tmp_path):
    assert cli("build", "-o", tmp_path / "a.docx").code == 0
    assert cli("build", "-o", tmp_path / "b.docx").code == 0
    assert digest(tmp_path / "a.docx") == digest(tmp_path / "b.docx")


def test_inputs_are_never_modified(project, cli, example_dir):
    book = next(example_dir.glob("*.xlsx"))
    before = digest(book)
    for command in ("build", "validate", "preview"):
        cli(command)
    assert digest(book) == before
