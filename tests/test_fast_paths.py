"""The shortcuts taken for speed and memory give exactly what the plain code would."""

from __future__ import annotations

import io
import zipfile

from helpers import REPO, write_workbook
from reportgen import docx_writer, normalize
from reportgen.compose import Block, Document, Role
from reportgen.problems import Problems
from reportgen.reader import read_workbook

EVERY_CHARACTER = "".join(map(chr, range(0x110000)))


def test_text_that_is_all_printable_has_nothing_to_strip():
    """strip_invisible skips its regexes for printable text: each character they match must be unprintable."""
    matched = set(normalize._INVISIBLE.findall(EVERY_CHARACTER)) | set(normalize._BREAKS.findall(EVERY_CHARACTER))
    assert matched
    assert sorted(f"U+{ord(c):04X}" for c in matched if c.isprintable()) == []


def test_the_quick_checks_cover_the_characters_their_rules_change():
    """_line skips a rule when its quick check finds nothing the rule could change."""
    widened = set(normalize._ANY_FULLWIDTH_ALNUM.findall(EVERY_CHARACTER))
    assert widened == {chr(code) for code in normalize._FULLWIDTH_ALNUM}
    between_cjk = "日" + "日".join(EVERY_CHARACTER) + "日"  # every character, with CJK on both sides
    assert set(normalize._SPACE_BETWEEN_TIGHT.findall(between_cjk)) == {" "}
    punctuation = {m.strip() for m in normalize._PUNCT_NEAR_CJK.findall(between_cjk)}
    assert punctuation == set(normalize._NARROW_PUNCT)
    assert set(normalize._ANY_NARROW_PUNCT.findall(EVERY_CHARACTER)) == punctuation


def test_table_cells_are_made_on_demand_with_their_location(tmp_path):
    book = write_workbook(tmp_path / "book.xlsx", activities=[
        {"節次": 1, "標題": "甲", "開始日期": "110/9/8", "內容": "內容一"},
        {"節次": 1, "標題": "乙", "開始日期": "110/9/9", "內容": "內容二"},
    ])
    rows = read_workbook(book, Problems()).sheets["活動"].rows
    assert [row.number for row in rows] == [2, 3]
    cells = rows[1].cells
    assert list(cells) == ["節次", "標題", "開始日期", "結束日期", "內容", "列入報告", "備註"]
    assert len(cells) == 7 and "標題" in cells and "不存在" not in cells
    assert cells.get("不存在") is None
    title = rows[1]["標題"]
    assert (title.value, title.location.sheet, title.location.cell, title.location.header) == (
        "乙", "活動", "B3", "標題")
    assert rows[1]["結束日期"].blank and rows[1]["結束日期"].location.cell == "D3"
    assert rows[1]["不存在"].location.cell == ""  # a column the sheet lacks has no cell


def _docx_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_document_part_is_the_same_whatever_the_piece_size(monkeypatch):
    template = docx_writer.load_template(REPO / "templates" / "report.docx")
    blocks = (Block(Role.CHAPTER, "國際事務", "貳拾陸、"),
              *(Block(Role.ITEM_BODY, f"第{i}段 & <內容>") for i in range(10)))
    document = Document("貳拾陸、國際事務", "110年7月至12月", blocks, (2021, 12, 31))
    whole = docx_writer.render_docx(template, document)
    monkeypatch.setattr(docx_writer, "_BLOCKS_PER_PIECE", 3)
    pieces = docx_writer.render_docx(template, document)
    assert pieces == whole
    xml = _docx_parts(whole)[docx_writer.DOCUMENT_PART].decode()
    assert xml.count("<w:p>") == 11 and "第9段 &amp; &lt;內容&gt;" in xml
