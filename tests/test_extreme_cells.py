"""Extremes inside valid workbooks: huge cells, many rows, odd characters — never a crash."""

from __future__ import annotations

import functools
import random
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from docx import Document as open_docx

from helpers import ACTIVITIES, write_workbook
from reportgen import load
from reportgen.check.limits import MAX_CHARS
from reportgen.schema import Kind
from zipparts import ACTIVITY_SHEET, replace_text, rewrite

MARKER = "MARKERTITLE"


@functools.cache
def megabyte_text() -> str:
    """A megabyte of varied ideographs (a repeated character would compress like a zip bomb). Through
    openpyxl a cell stops at Excel's 32,767 characters, so big cells are written as raw sheet XML.
    Made when a test first asks (0.15 s), not while every worker collects the tests."""
    return "".join(random.Random(6).choices([chr(c) for c in range(0x4E00, 0x9FA5)], k=1 << 20))


def problems_of(*paths: Path) -> list[tuple[str, str, str]]:
    """(file, sheet!cell, code) of every problem, in report order."""
    outcome = load(list(paths))
    return [(p.location.file, f"{p.location.sheet}!{p.location.cell}", p.code)
            for p in outcome.problems.sorted()]


def activity(**cells: object) -> list[dict[str, object]]:
    return [{**ACTIVITIES[0], **cells}]


def test_length_limits_match_the_column_kinds():
    assert MAX_CHARS[Kind.LINE] == 200 and MAX_CHARS[Kind.PROSE] == 10_000


def test_limits_are_inclusive(tmp_path):
    book = write_workbook(tmp_path / "edge.xlsx", activities=activity(
        標題="題" * MAX_CHARS[Kind.LINE], 內容="文" * MAX_CHARS[Kind.PROSE]))
    assert problems_of(book) == []


def _sheet_with(tmp_path: Path, name: str, raw_xml: bytes, **cells: object) -> Path:
    """A workbook whose activity cell holding MARKER holds `raw_xml` instead (any size, any bytes)."""
    base = write_workbook(tmp_path / f"base-{name}", activities=activity(**cells))
    return rewrite(base, tmp_path / name, {ACTIVITY_SHEET: replace_text(MARKER, raw_xml)})


@pytest.mark.slow  # seconds of the default run's budget: CI runs it
def test_over_long_cells_are_errors_at_their_cells(tmp_path):
    book = _sheet_with(
        tmp_path, "long.xlsx", megabyte_text().encode(), 標題="題" * (MAX_CHARS[Kind.LINE] + 1), 內容=MARKER)
    assert problems_of(book) == [("long.xlsx", "活動!B2", "too-long"), ("long.xlsx", "活動!E2", "too-long")]
    visit = {"日期": "110/9/10", "單位": "京都市", "代表": "市長", "人數": 5, "國家或地區": "日" * 201}
    assert problems_of(write_workbook(tmp_path / "v.xlsx", visits=[visit])) == [("v.xlsx", "訪賓!B2", "too-long")]


def test_long_value_in_a_date_or_number_column(tmp_path):
    book = write_workbook(tmp_path / "paste.xlsx", activities=activity(開始日期="110/9/8" * 30),
                          visits=[{"日期": "110/9/10", "單位": "京都市", "代表": "市長", "人數": "9" * 200}])
    assert problems_of(book) == [("paste.xlsx", "活動!C2", "too-long"), ("paste.xlsx", "訪賓!E2", "too-long")]


@pytest.mark.slow  # seconds of the default run's budget: CI runs it
def test_too_long_message_through_the_cli(cli, tmp_path):
    book = _sheet_with(tmp_path, "long.xlsx", megabyte_text().encode(), 內容=MARKER)
    result = cli("validate", book)
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        "錯誤　long.xlsx 活動!E2（內容）：「內容」太長（1,048,576 字，上限 10,000 字）。"
        f"（填寫的是「{megabyte_text()[:39]}…」）　請精簡到 10,000 字以內，或分成幾項活動。")


@pytest.mark.slow  # seconds of the default run's budget: CI runs it
def test_megabyte_cell_in_an_ignored_column_is_harmless(cli, project, tmp_path):
    book = _sheet_with(tmp_path, "note.xlsx", megabyte_text().encode(), 備註=MARKER)
    result = cli("build", book, "-o", tmp_path / "out.docx")
    assert result.code == 0, result.err


def test_emoji_rare_ideographs_and_marks_survive(cli, project, tmp_path):
    title = "𠮷野家😀交流 ٱلعربية"
    # U+FFFE cannot pass through openpyxl (not XML); it is written as raw UTF-8 bytes.
    book = _sheet_with(tmp_path, "chars.xlsx", "內容\u202e含方向符號\ufffe與\u200f標記。".encode(),
                       標題=title, 內容=MARKER)
    assert problems_of(book) == [("chars.xlsx", "活動!E2", "invisible-chars")]
    result = cli("build", book, "-o", tmp_path / "out.docx")
    assert result.code == 0, result.err
    paragraphs = [p.text for p in open_docx(str(tmp_path / "out.docx")).paragraphs]
    assert f"(一)\t{title}" in paragraphs
    assert "內容含方向符號與標記。" in paragraphs


def test_lone_surrogates_escaped_or_referenced(cli, project, tmp_path):
    # Excel's escape for a lone surrogate: the reader keeps it as typed text, never a broken string.
    escaped = _sheet_with(tmp_path, "escaped.xlsx", b"a_xD800_b", 標題=MARKER)
    result = cli("build", escaped, "-o", tmp_path / "out.docx")
    assert result.code == 0, result.err
    # A character reference or raw bytes for a surrogate is not XML: the file is refused, exit 2.
    for name, raw in (("ref.xlsx", b"a&#xD800;b"), ("bytes.xlsx", b"a\xed\xa0\x80b")):
        result = cli("validate", _sheet_with(tmp_path, name, raw, 標題=MARKER))
        assert result.code == 2
        assert result.err.startswith(f"錯誤：{name}：工作表「活動」的內容已損壞")


@pytest.mark.slow
def test_hundred_thousand_rows(cli, tmp_path):
    """100,000 activities, written straight into the sheet XML (openpyxl would take a minute)."""
    rows = "".join(
        f'<row r="{n}"><c r="A{n}"><v>1</v></c><c r="B{n}" t="inlineStr"><is><t>活動第{n}項</t></is></c>'
        f'<c r="C{n}" t="inlineStr"><is><t>110/9/8</t></is></c>'
        f'<c r="E{n}" t="inlineStr"><is><t>{escape("本府辦理交流活動 & 成果發表。")}</t></is></c></row>'
        for n in range(2, 100_002))
    base = write_workbook(tmp_path / "base.xlsx")

    def fill(data: bytes) -> bytes:
        head, rest = data.split(b'<row r="2">', 1)
        return head + rows.encode() + b"</sheetData>" + rest.split(b"</sheetData>", 1)[1]

    book = rewrite(base, tmp_path / "big.xlsx", {ACTIVITY_SHEET: fill})
    assert zipfile.ZipFile(book).getinfo(ACTIVITY_SHEET).file_size > 20_000_000
    result = cli("validate", book)
    # every row read and valid; the one problem is that a section's labels stop at (九百九十九)
    assert (result.code, result.out) == (1, (
        "錯誤　big.xlsx 章節!A2（節次）：節次 1「交流專案」有 100,000 項活動，一節最多 999 項。"
        "　請把活動分到幾個節。\n檢核完成：錯誤 1 項、警告 0 項。\n")), result.out[:2000]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1e308, True, 0.5])
def test_odd_numbers_in_number_and_date_cells(tmp_path, value):
    """Each is reported at its cell (nan and inf are unreadable to Excel, so they read as blank)."""
    book = write_workbook(tmp_path / "n.xlsx", activities=activity(開始日期=value),
                          visits=[{"日期": "110/9/10", "單位": "京都市", "代表": "市長", "人數": value}])
    cells = [cell for _, cell, _ in problems_of(book)]
    assert cells == ["活動!C2", "訪賓!E2"]

