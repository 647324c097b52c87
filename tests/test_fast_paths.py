"""The shortcuts taken for speed and memory give exactly what the plain code would."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from helpers import REPO, examples, write_workbook
from reportgen import normalize
from reportgen.problems import Problems
from reportgen.read import extent
from reportgen.read.reader import read_workbook
from reportgen.write import docx_writer
from reportgen.write.compose import Block, Document, Role
from reportgen.write.template_package import load_template

EVERY_CHARACTER = "".join(map(chr, range(0x110000)))


def test_text_that_is_all_printable_has_nothing_to_strip():
    """strip_invisible skips its regexes when nothing_invisible says so: each character they match must
    fail that quick check (most are unprintable; a variation selector is printable, and named)."""
    matched = set(normalize._INVISIBLE.findall(EVERY_CHARACTER)) | set(normalize._BREAKS.findall(EVERY_CHARACTER))
    assert matched
    assert sorted(f"U+{ord(c):04X}" for c in matched if normalize.nothing_invisible(c)) == []
    assert sorted(f"U+{ord(c):04X}" for c in matched if normalize.nothing_invisible("日" + c + "x")) == []


def test_the_quick_checks_cover_the_characters_their_rules_change():
    """_line skips a rule when its quick check finds nothing the rule could change."""
    widened = set(normalize._ANY_FULLWIDTH_ALNUM.findall(EVERY_CHARACTER))
    assert widened == {chr(code) for code in normalize._FULLWIDTH_ALNUM}
    between_cjk = "日" + "日".join(EVERY_CHARACTER) + "日"  # every character, with CJK on both sides
    assert normalize._tighten(between_cjk) == between_cjk.replace("日 日", "日日")  # spaces alone go
    punctuation = {m.strip() for m in normalize._punct_near_cjk().findall(between_cjk)}
    assert punctuation == set(normalize._NARROW_PUNCT)
    assert set(normalize._ANY_NARROW_PUNCT.findall(EVERY_CHARACTER)) == punctuation


def _runs(chars) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for code in sorted(map(ord, chars)):
        if runs and runs[-1][1] == code - 1:
            runs[-1] = (runs[-1][0], code)
        else:
            runs.append((code, code))
    return runs


@pytest.mark.slow  # fresh processes / every code point: CI runs it
def test_the_cjk_table_holds_what_the_cjk_character_class_matches():
    """normalize.is_cjk looks up a table made from the class's text: every code point it says is CJK
    is one the regex class matches, and no other."""
    import re

    oracle = re.compile(f"[{normalize._CJK}]").findall(EVERY_CHARACTER)
    table = [c for lo, hi in zip(normalize._CJK_STARTS, normalize._CJK_ENDS, strict=True)
             for c in map(chr, range(lo, hi + 1))]
    assert _runs(table) == _runs(oracle)
    edges = {chr(c) for lo, hi in _runs(oracle) for c in (lo - 1, lo, hi, hi + 1) if 0 <= c < 0x110000}
    assert sorted(c for c in edges if normalize.is_cjk(c)) == sorted(c for c in edges if c in set(oracle))
    assert not normalize.is_cjk("")


_TIGHT_TEXT = st.text(st.sampled_from("日本（）()，。、；：？！ aZ1,-「」\u3000\u00b7\u2026\U00020000"), max_size=30)


@settings(max_examples=examples(300), deadline=None)
@given(_TIGHT_TEXT)
@example("( )")
@example("日 (a) 日")
@example("主題： Smart City")
@example("a ， b")
def test_spaces_are_tightened_as_the_character_class_regex_tightens(text):
    """_tighten (candidate spaces judged in Python) removes exactly the spaces the class-based regex it
    replaced removes: between two CJK characters or parentheses, and beside a full-width mark."""
    import re

    tight, marks = normalize._CJK + "()", normalize._MARKS
    oracle = re.compile(rf" (?:(?<=[{tight}] )(?=[{tight}])|(?<=[{marks}] )|(?=[{marks}]))")
    assert normalize._tighten(text) == oracle.sub("", text)


def test_printable_text_holds_no_space_but_the_ascii_one():
    """_line collapses spaces in printable text with str.split(): for that to equal its _SPACES
    regex, " " must be the only character both printable and whitespace (and _SPACES's)."""
    assert [c for c in EVERY_CHARACTER if c.isspace() and c.isprintable()] == [" "]
    assert {c for c in normalize._SPACES.findall(EVERY_CHARACTER) for c in c if c.isprintable()} == {" "}


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
    template = load_template(REPO / "templates" / "report.docx")
    blocks = (Block(Role.CHAPTER, "國際事務", "貳拾陸、"),
              *(Block(Role.ITEM_BODY, f"第{i}段 & <內容>") for i in range(10)))
    document = Document("貳拾陸、國際事務", "110年7月至12月", blocks, (2021, 12, 31))
    whole = docx_writer.render_docx(template, document)
    monkeypatch.setattr(docx_writer, "_BLOCKS_PER_PIECE", 3)
    pieces = docx_writer.render_docx(template, document)
    assert pieces == whole
    xml = _docx_parts(whole)[docx_writer.DOCUMENT_PART].decode()
    assert xml.count("<w:p>") == 11 and "第9段 &amp; &lt;內容&gt;" in xml


# --- conversions remembered per column (kinds.Context.memo) ------------------------------------

def _visits(count: int, **cells: object) -> list[dict[str, object]]:
    return [{"日期": "110/9/10", "單位": f"日本京都市第{i}團", "代表": "門川大作市長、松井孝治副市長",
             "人數": 5, "形式": "視訊", "主要訪團": "否", **cells} for i in range(count)]


def test_a_repeated_value_with_a_problem_is_reported_at_every_cell(tmp_path):
    """Only problem-free conversions are remembered: each bad cell still gets its own problem."""
    from reportgen import load

    book = write_workbook(tmp_path / "book.xlsx", visits=[
        *_visits(3, 形式="傳真"), *_visits(2, 形式="視訊\u200b", 單位="台南市"), *_visits(2, 人數="五")])
    found = load([book]).problems.flatten(("cell", "code"))
    assert [cell for cell, code in found if code == "bad-choice"] == ["F2", "F3", "F4"]
    assert [cell for cell, code in found if code == "invisible-chars"] == ["F5", "F6"]
    assert [cell for cell, code in found if code == "bad-number"] == ["E7", "E8"]


def test_remembered_values_are_the_same_and_lists_are_not_shared(tmp_path):
    from reportgen import load

    book = write_workbook(tmp_path / "book.xlsx", visits=_visits(4))
    report = load([book]).report
    assert report is not None and len(report.visits) == 4
    assert {v.representatives for v in report.visits} == {("門川大作市長", "松井孝治副市長")}
    assert {(v.people, v.video, v.key, v.date.isoformat()) for v in report.visits} == {
        (5, True, False, "2021-09-10")}


def test_convert_row_gives_the_same_as_converting_each_cell(tmp_path):
    """The table fast path (raw grid values, remembered results) against `convert` on each Cell."""
    from reportgen.check.kinds import INVALID, Context, convert, convert_row
    from reportgen.schema import VISITS

    book = write_workbook(tmp_path / "book.xlsx", visits=[
        *_visits(3), *_visits(2, 人數="五"), *_visits(2, 形式="實體\u200b"), {"日期": "110/9/31"}])
    rows = read_workbook(book, Problems()).sheets["訪賓"].rows
    fast_problems, slow_problems = Problems(), Problems()
    fast_ctx, slow_ctx = Context(fast_problems), Context(slow_problems)
    fast = [convert_row(VISITS, row, fast_ctx) for row in rows]
    slow = [{col.key: convert(row[col.header], col, slow_ctx) for col in VISITS.columns if not col.note}
            for row in rows]
    assert fast == slow
    assert any(value is INVALID for row in fast for value in row.values())
    assert fast_problems.flatten() == slow_problems.flatten() and len(fast_problems) > 4
    first, second = (row["representatives"] for row in fast[:2])
    assert first == second and first is not second


# --- one read for validate --report; two sheets for init --from ---------------------------------

def test_validate_report_from_the_grids_already_read_equals_reading_again(tmp_path):
    from openpyxl import load_workbook

    from reportgen import load
    from reportgen.write.report_xlsx import report_bytes

    book = write_workbook(tmp_path / "book.xlsx", visits=_visits(3, 人數="五"))
    outcome = load([book], keep_grids=True)
    assert outcome.sources is not None and [path for path, _ in outcome.sources] == [book]
    assert [name for name, _ in outcome.sources[0][1]] == ["報告設定", "章節", "活動", "訪賓"]
    again = load([book]).sources
    assert again is None  # kept only when asked for

    def values(data: bytes) -> list[list[object]]:
        sheets = load_workbook(io.BytesIO(data)).worksheets
        return [[sheet.title] + [[c.value for c in row] for row in sheet.iter_rows()] for sheet in sheets]

    reused = report_bytes([book], outcome.problems, outcome.sources)
    assert values(reused) == values(report_bytes([book], outcome.problems))


def test_init_from_reads_only_settings_and_sections(tmp_path, monkeypatch):
    from reportgen.api import create_workbook as create
    from reportgen.read import reader

    source = write_workbook(tmp_path / "old.xlsx", activities=[{"節次": "壞", "標題": None}],
                            visits=_visits(2, 人數="五"))
    loaded: list[str] = []
    plain = reader._load_sheet

    def spy(opened, name):
        loaded.append(name)
        return plain(opened, name)

    monkeypatch.setattr(reader, "_load_sheet", spy)
    outcome = create(tmp_path / "new.xlsx", source=source)
    assert outcome.path is not None, outcome.problems.flatten()
    assert loaded == ["報告設定", "章節"]


# --- the safety check's element counts -----------------------------------------------------------

def test_element_counts_by_bytes_count_equal_the_regex():

    samples = [b'<row r="1"><c r="A1"/><c>x</c></row><rowBreaks/><cols><col/></cols><c\n/><row>',
               b'<x:row r="2"><x:c r="B2"/></x:row><row/>', b"<ro", b"<row", b"<c", b'<cfRule/><c\tr="A1">',
               b"", b"<row_x><c_1><c-2>"]
    for text in samples:
        assert extent.elements(text, b"row", extent.ROW_ELEMENT) == len(extent.ROW_ELEMENT.findall(text))
        assert extent.elements(text, b"c", extent.CELL_ELEMENT) == len(extent.CELL_ELEMENT.findall(text))


def test_a_sheet_with_a_formula_is_scanned_and_one_without_is_not(tmp_path):
    from reportgen.read.workbook import open_workbook

    book = write_workbook(tmp_path / "book.xlsx", visits=_visits(2, 人數="=2+3"))
    with open_workbook(book) as opened:
        parts = opened.inspection.parts
        assert parts["訪賓"] not in opened.inspection.plain
        assert parts["活動"] in opened.inspection.plain
        assert opened.facts("訪賓").unsaved == {(1, 4), (2, 4)}
        assert opened.facts("活動").unsaved == frozenset()


def test_the_collector_is_paused_only_while_loading(tmp_path, monkeypatch):
    import gc

    from reportgen import load
    from reportgen.check import validate as validate_module

    seen: list[bool] = []
    plain = validate_module.validate_books
    monkeypatch.setattr(validate_module, "validate_books",
                        lambda *args: (seen.append(gc.isenabled()), plain(*args))[1])
    book = write_workbook(tmp_path / "book.xlsx")
    frozen = gc.get_freeze_count()
    assert load([book]).report is not None
    assert seen == [False] and gc.isenabled()
    assert gc.get_freeze_count() == frozen  # nothing kept from later collections (`serve` runs on)
    gc.disable()  # a caller that manages the collector itself is left as it was
    try:
        load([book])
        assert not gc.isenabled()
    finally:
        gc.enable()


# --- validate --report: plain cells written as openpyxl writes them -----------------------------

def _meaning(data: bytes) -> list[tuple]:
    """What a report says, read back by openpyxl: every sheet's cells (value, type), fills, comments,
    links, merged ranges, frozen panes and column widths. Not openpyxl's bytes, which another
    openpyxl release may write otherwise."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    said: list[tuple] = [("sheets", tuple(book.sheetnames))]
    for sheet in book.worksheets:
        said.append((sheet.title, "frozen", sheet.freeze_panes, tuple(str(r) for r in sheet.merged_cells.ranges),
                     tuple(sorted((k, d.width) for k, d in sheet.column_dimensions.items()))))
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None and cell.comment is None and not cell.fill.fill_type and not cell.hyperlink:
                    continue
                said.append((sheet.title, cell.coordinate, repr(cell.value), cell.data_type, cell.fill.fill_type,
                             cell.fill.fgColor.rgb, cell.comment.text if cell.comment else None,
                             cell.hyperlink.location if cell.hyperlink else None))
    return said


def test_the_report_with_plain_cells_written_directly_says_what_openpyxl_s_own_says(tmp_path, monkeypatch):
    """Every cell, fill, comment and link as when openpyxl writes every cell itself."""
    import datetime as dt

    from reportgen import load
    from reportgen.write import report_xlsx

    texts = ["純文字", " 前後空白 ", "a & b < c > d", "第一行\n第二行", "tab\there", "cr\rhere", "", "=1+1", "=",
             "#N/A", "#DIV/0!", "_x4E2D_", "日" * 40_000, "'quoted\"", "emoji 😀"]
    numbers = [0, -7, 12345678901234567, 3.5, 1e-12, 1e300, float("nan"), float("inf"), True, False]
    dates = [dt.datetime(2021, 9, 8), dt.date(2021, 9, 8), dt.time(9, 30), dt.timedelta(hours=5)]
    book = write_workbook(tmp_path / "book.xlsx", visits=[
        *_visits(3, 人數="五"),
        *({"日期": "110/9/10", "單位": value, "代表": "門川大作市長", "人數": 1, "形式": "視訊", "備註": value}
          for value in [*texts, *numbers, *dates])])
    outcome = load([book], keep_grids=True)
    assert outcome.problems  # some cells are coloured and commented among the plain ones
    sources = outcome.sources
    assert sources is not None
    grid = dict(sources[0][1])["訪賓"]
    for row, value in enumerate([*texts, *numbers, *dates], start=4):  # values calamine cannot give
        grid[row] = [*grid[row][:7], value]
    grid[10:10] = [[], [None, None]]  # empty rows between rows with values, and at the end
    grid += [[None], []]
    direct = report_xlsx.report_bytes([book], outcome.problems, sources)
    monkeypatch.setattr(report_xlsx, "_write_copy", _every_cell_by_openpyxl)
    by_openpyxl = report_xlsx.report_bytes([book], outcome.problems, sources)
    assert _meaning(direct) == _meaning(by_openpyxl)


def _every_cell_by_openpyxl(sheet, grid, marks):
    """report_xlsx._write_copy as it was before plain cells were written directly."""
    from reportgen.write.report_xlsx import _lay_out, _marked, _safe

    marked_rows, height = _lay_out(sheet, grid, marks)  # the sheet set-up is shared; the cells are not
    for row_index in range(height):
        values = [_safe(sheet, value) for value in (grid[row_index] if row_index < len(grid) else [])]
        for column in marked_rows.get(row_index, ()):
            values.extend([None] * (column + 1 - len(values)))
            values[column] = _marked(sheet, values[column], marks[(row_index, column)])
        sheet.append(values)
    return [[] for _ in range(height)]


@pytest.mark.slow  # seconds of the default run's budget: CI runs it
def test_the_sheet_extent_from_the_tail_is_the_extent_of_every_reference():
    """extent.extent reads candidates from a chunk's end and confirms them with one search; any
    larger reference anywhere (out of order, single-quoted, tab before r=) is still counted."""
    import random


    def exact(window: bytes) -> tuple[int, int]:
        found = extent.REFERENCE.findall(window)
        return extent.largest(found) if found else (0, 0)

    ordered = b"".join(b'<row r="%d"><c r="A%d"/><c r="H%d"/></row>' % (n, n, n) for n in range(1, 3000))
    assert extent.window_extent(ordered) == exact(ordered) == (2999, 8)
    for stray in (b'<c r="XFD7"/>', b'<c r="A1048576"/>', b"<c r='Z99999'/>", b'<c\tr="AB12"/>', b'<c r="I2"/>'):
        window = stray + ordered
        assert extent.window_extent(window) == exact(window) != (2999, 8)
    rng = random.Random(7)
    for _ in range(2000):
        refs = []
        for _ in range(rng.randint(0, 30)):
            letters = "".join(rng.choice("ABCXYZ") for _ in range(rng.randint(0, 4)))
            digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 8)))
            quote, space = rng.choice("\"\"'"), rng.choice("  \t\nx")
            refs.append(f"<c{space}r={quote}{letters}{digits}{quote}/>")
        window = "".join(refs).encode() + b" " * rng.randint(0, 5000)
        assert extent.window_extent(window) == exact(window), window[:200]


@settings(max_examples=examples(400), deadline=None)
@given(st.text(alphabet="日本 \u3000,，:(（)）\n\r\v_x200B4E2D\u200bａ１AB;!?"))
def test_converters_skip_a_second_strip_and_get_the_same_text(text):
    """kinds cleans each cell once (strip_invisible), then line_text/prose_paragraphs: as clean_line/clean_prose."""
    stripped = normalize.strip_invisible(text)[0]
    for parens in ("半形", "全形"):
        assert normalize.line_text(stripped, parens) == normalize.clean_line(text, parens=parens).text
        prose = normalize.clean_prose(text, parens=parens)
        assert "\n\n".join(normalize.prose_paragraphs(stripped, parens)) == prose.text


def test_cells_are_counted_in_any_part_that_could_hold_too_many(monkeypatch):
    """Cells without r= are counted (each `<c` takes two bytes: a smaller part is skipped)."""
    import pytest

    from reportgen.errors import FatalError
    from reportgen.read import safety

    def package(sheet: bytes) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/worksheets/sheet1.xml", sheet)
        return buffer.getvalue()

    monkeypatch.setattr(safety, "MAX_CELLS", 1_000)
    many = b"<worksheet><sheetData><row>" + b"<c><v>1</v></c>" * 1_001 + b"</row></sheetData></worksheet>"
    with pytest.raises(FatalError, match="使用範圍過大"):
        safety.check_workbook_bytes(package(many), Path("many.xlsx"))
    few = b"<worksheet><sheetData><row>" + b"<c/>" * 400 + b"</row></sheetData></worksheet>"
    assert len(few) < 2 * 1_000  # too small to be counted, and indeed within the limit
    safety.check_workbook_bytes(package(few), Path("few.xlsx"))


# What a build of .xlsx workbooks imports besides reportgen and the standard library, each for its job
# (docs/performance.md states what each costs): pydantic and what it imports itself (the models),
# python-calamine (reading), defusedxml (the workbook's sheet list), lxml (the template's parts).
BUILD_PACKAGES = {"pydantic", "pydantic_core", "annotated_types", "typing_extensions", "typing_inspection",
                  "python_calamine", "defusedxml", "lxml"}


@pytest.mark.slow
def test_a_build_imports_only_what_it_uses(tmp_path):
    """No python-docx, openpyxl, web or XML-SAX modules in a build; Jinja only when a 前言 has more than
    placeholders; no other installed package at all (a new import fails here until it is accounted for)."""
    import subprocess
    import sys

    plain = write_workbook(tmp_path / "plain.xlsx", sections=[
        {"節次": 1, "節名": "交流專案", "類型": "活動"},
        {"節次": 2, "節名": "訪賓", "類型": "訪賓", "前言": "本府持續接待國際訪賓。"}])
    templated = write_workbook(tmp_path / "templated.xlsx")
    conditional = write_workbook(tmp_path / "conditional.xlsx", sections=[
        {"節次": 1, "節名": "交流專案", "類型": "活動"},
        {"節次": 2, "節名": "訪賓", "類型": "訪賓", "前言": "計{{ 案數 }}案{% if 視訊案數 %}，含視訊{% endif %}。"}])
    script = ("import sys; from reportgen.cli import main; code = main(['build', sys.argv[1], '-o', sys.argv[2]]); "
              "installed = {m.split('.')[0] for m, module in list(sys.modules.items()) "
              "if 'site-packages' in (getattr(module, '__file__', None) or '') and not m.startswith('_')}; "
              "stdlib = {m for m in sys.modules if m.startswith(('xml.sax', 'http', 'email.mime'))}; "
              "print(sorted(installed | stdlib), code)")
    seen = {}
    for book in (plain, templated, conditional):
        done = subprocess.run([sys.executable, "-c", script, str(book), str(tmp_path / f"{book.stem}.docx")],
                              capture_output=True, text=True, cwd=REPO, check=True)
        seen[book.stem] = done.stdout.strip().splitlines()[-1]
    usual = str(sorted(BUILD_PACKAGES))
    assert seen == {"plain": f"{usual} 0", "templated": f"{usual} 0",
                    "conditional": f"{sorted(BUILD_PACKAGES | {'jinja2', 'markupsafe'})} 0"}


def _models_in_a_fresh_process(env_value: str | None, first: str = "", command: bool = True) -> list[str]:
    """What a fresh process reports after building reportgen's models — as the `reportgen` command
    does (`command`: cli.run's first step) or as a library importing them — after `first`: the plugins
    pydantic sees, whether importlib.metadata was imported, and whether a model still validates."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if env_value is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = env_value
    start = "from reportgen import cli\ncli._no_pydantic_plugin_search()\n" if command else ""
    script = (f"{first}\n{start}import sys, pydantic\nfrom reportgen.models import Settings\n"
              "from pydantic.plugin._loader import get_plugins\n"
              "print(list(get_plugins()), 'importlib.metadata' in sys.modules)\n"
              "try:\n    Settings(chapter=0, title='', start=None, end=None)\nexcept pydantic.ValidationError as e:\n"
              "    print('rejected', e.error_count())\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, env=env,
                          check=True)
    return done.stdout.split("\n")[:2]


@pytest.mark.slow  # fresh processes / every code point: CI runs it
@pytest.mark.parametrize("env_value", [None, "__all__", "1", "true"])
def test_the_command_builds_models_without_searching_for_pydantic_plugins(env_value):
    """Unset, or set to turn every plugin off, pydantic is told "no plugins" without its entry-point
    search (importlib.metadata and the email package: 10–15 ms of every run); models validate as before."""
    plugins, validated = _models_in_a_fresh_process(env_value)
    assert plugins == "[] False"
    assert validated.startswith("rejected ")


@pytest.mark.slow  # fresh processes / every code point: CI runs it
def test_pydantic_s_own_plugin_search_is_kept_when_chosen_already_made_or_for_a_library():
    """PYDANTIC_DISABLE_PLUGINS naming plugins to leave out is a choice of the others: pydantic's loader
    runs. A loader some other library's models loaded first is left in place. A program importing
    reportgen's models (not the command) keeps pydantic's plugins."""
    assert _models_in_a_fresh_process("some_plugin")[0] == "[] True"
    first = "from pydantic import BaseModel\nclass Other(BaseModel):\n    x: int = 0"
    assert _models_in_a_fresh_process(None, first)[0] == "[] True"
    assert _models_in_a_fresh_process(None, command=False)[0] == "[] True"


def test_the_fact_markers_are_found_through_their_bytes():
    from reportgen.read import formulas

    assert [marker for marker, _ in formulas.FACT_MARKER_BYTES] == list(formulas.FACT_MARKERS)
    assert all(byte in marker for marker, byte in formulas.FACT_MARKER_BYTES)
    for marker in formulas.FACT_MARKERS:
        assert formulas.may_hold_facts(b'<c r="A1"><v>1</v></c>' + marker + b"<c/>")
    assert not formulas.may_hold_facts(b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>')


# --- text that needs no cleaning skips the Cell (kinds._PLAIN_TEXT) ---------------------------

_AWKWARD = st.lists(st.sampled_from([*"日本 (（)）,，:：_\n\r\t\u3000\u00a0\u200bＡ１aZ9.、。-x", "_x4E2D_"]),
                   max_size=30).map("".join)


@settings(max_examples=examples(400), deadline=None)
@given(value=_AWKWARD, parens=st.sampled_from(["半形", "全形"]))
def test_the_plain_text_shortcut_gives_what_convert_gives(value, parens):
    """A shortcut result is convert's, with no problem reported; None leaves the cell to convert."""
    from reportgen.check.kinds import _PLAIN_TEXT, Context, convert
    from reportgen.problems import Location
    from reportgen.read.table import Cell
    from reportgen.schema import ACTIVITIES

    for header in ("標題", "內容"):
        col = ACTIVITIES.column(header)
        shortcut = _PLAIN_TEXT[col.kind](value, parens)
        problems = Problems()
        slow = convert(Cell(value, Location("a.xlsx", "活動", 2, 1, header)), col, Context(problems, parens))
        if shortcut:
            assert shortcut == slow and problems == []
        needs_cleaning = "_" in value or not value.replace("\n", "").isprintable()  # \t, U+3000, U+200B …
        if slow and not needs_cleaning:
            assert shortcut == slow  # the shortcut declines only what needs cleaning


def test_the_plain_text_shortcut_declines_what_needs_cleaning():
    from reportgen.check.kinds import _plain_line, _plain_prose

    assert _plain_line("與京都市交流\u200b", "半形") is None  # an invisible character: warned about
    assert _plain_line("中_x6587_", "半形") == "中_x6587_"  # escapes are the reader's to decode
    assert _plain_line("   ", "半形") == ""  # all spaces: convert reports the empty cell
    assert _plain_line("甲" * 10_000, "半形") is None  # over the limit: convert says so
    assert _plain_line(110, "半形") is None  # not text
    assert _plain_prose("第一段\n\n第二段 , 完", "全形") == ["第一段", "第二段，完"]


@settings(max_examples=examples(300), deadline=None)
@example(paragraph="甲110年12月31日")  # the longest date, at the end
@example(paragraph="1110年1月1日、99年12月31日、１１０年１２月３１日")
@given(paragraph=st.lists(st.sampled_from([*"0123456789１年月日甲 ", "110年", "9月", "8日", "12月", "31日"]),
                          max_size=40).map("".join))
def test_dates_in_text_scans_a_window_and_finds_what_a_full_scan_finds(paragraph):
    import datetime as dt

    from reportgen.check.rules import _ROC_DATE_IN_TEXT, dates_in_text
    from reportgen.read.table import Row

    problems = Problems()
    row = Row("a.xlsx", "活動", 2, {})
    dates_in_text([paragraph], dt.date(1900, 1, 1), dt.date(1900, 1, 1), lambda: row["內容"], problems)
    found = [p.message for p in problems]
    expected = [m.group() for m in _ROC_DATE_IN_TEXT.finditer(paragraph)]
    assert len(found) == len(expected)  # every date is reported: all are after 1900
    assert all(date in message for date, message in zip(expected, found, strict=True))


@settings(max_examples=examples(300), deadline=None)
@given(text=st.lists(st.sampled_from([*"日本 (（)）,，:：\n\r\t\u3000Ａ１a.、。", "\n\n", " \n \n"]), max_size=30)
       .map("".join), parens=st.sampled_from(["半形", "全形"]))
def test_prose_paragraphs_are_clean_prose_paragraphs(text, parens):
    cleaned = normalize.strip_invisible(text)[0]
    assert normalize.prose_paragraphs(cleaned, parens) == normalize.clean_prose(text, parens=parens).paragraphs
    assert "\n\n".join(normalize.prose_paragraphs(cleaned, parens)) == normalize.clean_prose(text, parens=parens).text


# --- the template opened without python-docx (write/word_package.py) ---------------------------

def _template_variants(tmp_path: Path) -> dict[str, Path]:
    """Templates as editors' tools save them, and the odd and damaged ones python-docx must judge."""
    import docx

    from template_edits import rewrite

    template = REPO / "templates" / "report.docx"
    default = tmp_path / "python-docx.docx"
    docx.Document().save(default)  # US Letter; a thumbnail; customXml; Normal.dotm
    sectioned = docx.Document(str(template))
    sectioned.add_section()  # a section break inside a paragraph, then the body's own
    sectioned.sections[0].page_width = docx.shared.Cm(10)
    sectioned.save(tmp_path / "two-sections.docx")
    variants = {"report": template, "python-docx": default, "two-sections": tmp_path / "two-sections.docx",
                "libreoffice": REPO / "tests" / "fixtures" / "template-saved-by-libreoffice.docx"}

    def edited(name: str, part: str, change) -> None:
        variants[name] = rewrite(template, tmp_path / f"{name}.docx",
                                 lambda n, data: change(data) if n == part else data)

    document, rels = "word/document.xml", "word/_rels/document.xml.rels"
    edited("page-in-cm", document, lambda d: d.replace(b'w:w="11906"', b'w:w="21cm"').replace(b'w:h="16838"',
                                                                                              b'w:h="11.69in"'))
    edited("header-at-zero", document, lambda d: d.replace(b'w:header="', b'w:header="0" w:x="'))
    edited("no-page-size", document, lambda d: d.replace(b"<w:pgSz", b"<w:pgSzX"))
    edited("no-section", document, lambda d: d.replace(b"<w:sectPr", b"<w:sectPrX").replace(b"</w:sectPr",
                                                                                             b"</w:sectPrX"))
    edited("bad-width", document, lambda d: d.replace(b'w:w="11906"', b'w:w="wide"'))
    edited("damaged-document", document, lambda d: d[:-20])
    edited("damaged-settings", "word/settings.xml", lambda d: d[:-20])
    edited("damaged-theme", "word/theme/theme1.xml", lambda d: d[:-20])  # python-docx keeps a theme unread
    edited("no-styles-relationship", rels, lambda d: d.replace(b"relationships/styles", b"relationships/stylez"))
    edited("missing-target", rels, lambda d: d.replace(b'Target="settings.xml"', b'Target="gone.xml"'))
    edited("settings-typed-by-default", "[Content_Types].xml",  # application/xml: python-docx keeps it unread
           lambda d: d.replace(b"/word/settings.xml", b"/word/x.xml"))
    edited("no-content-type", "[Content_Types].xml", lambda d: d.replace(b"/word/settings.xml", b"/word/x.xml")
           .replace(b'Extension="xml"', b'Extension="xmlx"'))
    edited("dtd", "word/styles.xml", lambda d: d.replace(b"?>", b'?><!DOCTYPE w:styles [<!ENTITY a "b">]>', 1))
    return variants


def test_the_template_opens_as_python_docx_opens_it(tmp_path):
    """Whenever word_package reads a package itself, python-docx opens it too, with the same page and
    styles; what it leaves to python-docx is what python-docx refuses or reads its own way."""
    import docx
    from lxml import etree

    from reportgen.write import template_check
    from reportgen.write.template_package import as_document, read_package
    from reportgen.write.word_package import Page, open_document

    def canonical(element) -> bytes:
        return etree.tostring(etree.fromstring(etree.tostring(element), etree.XMLParser(remove_blank_text=True)))

    read_here, left = {}, []
    for name, path in _template_variants(tmp_path).items():
        parts, _ = as_document(read_package(path), path)
        opened = open_document(parts)
        if opened is None:
            left.append(name)
            continue
        document = template_check._open_docx(parts, path)
        assert canonical(opened.styles) == canonical(document.styles.element), name
        assert opened.page == template_check._docx_page(document), name
        read_here[name] = opened.page
    assert sorted(left) == ["bad-width", "damaged-document", "damaged-settings", "dtd", "missing-target",
                            "no-content-type", "no-styles-relationship"]
    assert read_here["report"] == Page(11906, 16838, 851, 737)
    assert read_here["page-in-cm"].width == 11906 and read_here["page-in-cm"].height == 16834
    assert read_here["header-at-zero"].header == 0
    assert read_here["two-sections"].width == 11906  # the last section's, not the first's (10 cm)
    assert read_here["no-section"] is None and read_here["no-page-size"].width is None
    for name in ("damaged-document", "damaged-settings", "missing-target", "no-content-type"):
        parts, _ = as_document(read_package(tmp_path / f"{name}.docx"), tmp_path / f"{name}.docx")
        try:
            docx.Document(io.BytesIO(_zipped(parts)))
        except Exception:
            continue
        raise AssertionError(f"python-docx opened {name}: word_package need not have left it")


def _zipped(parts) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info, blob in parts:
            archive.writestr(info.filename, blob)
    return buffer.getvalue()


def test_the_template_check_finds_the_same_without_python_docx(tmp_path, monkeypatch):
    """Every finding of `reportgen template` is the same read through word_package or python-docx."""
    from reportgen.errors import FatalError
    from reportgen.write import template_check

    def findings(path: Path) -> list[str]:
        try:
            return [f.message for f in template_check.check_template(path)]
        except FatalError as exc:
            return [f"fatal: {exc}"]
        except ValueError as exc:  # python-docx's own, for a length it cannot read (bad-width): as before
            return [f"{type(exc).__name__}: {exc}"]

    variants = _template_variants(tmp_path)
    fast = {name: findings(path) for name, path in variants.items()}
    monkeypatch.setattr(template_check, "open_document", lambda parts: None)
    assert fast == {name: findings(path) for name, path in variants.items()}
    assert any("紙張不是 A4" in m for m in fast["python-docx"]) and fast["report"] == []


# --- 前言 of text and placeholders only, rendered without Jinja (templating.placeholders_only) -----

_PREFACE_PIECES = ["{{ 期間 }}", "{{案數}}", "{{\n人數\t}}", "{{ 期間全稱 }}", "{{ 視訊案數 }}", "{{ 未知 }}",
                   "{{- 年度 }}", "{{ 年度 -}}", "{", "}", "{{", "}}", "{%", "%}", "{#", "#}", "{{ 期間 }",
                   "本府", "辦理", " ", "\n", "\n\n", "\r", "\u3000", "：", "{% if 案數 %}", "{% endif %}",
                   "{{ 案數 + 1 }}", "{{ '文字' }}", "{{ 期間 if 案數 }}"]


@settings(max_examples=examples(600), deadline=None)
@example(pieces=["本府", "{{ 期間 }}", "計", "{{ 案數 }}", "案、", "{{ 人數 }}", "人到訪。"], cases=16,
         period="7月至12月")
@example(pieces=["{", "{{ 期間 }}"], cases=16, period="7月至12月")  # {{{ 期間 }}: Jinja's syntax error
@example(pieces=["{{ 期間 }}", "}"], cases=16, period="7月至12月")
@example(pieces=["本府", "\n"], cases=16, period="7月至12月")  # Jinja drops a final line break
@given(pieces=st.lists(st.sampled_from(_PREFACE_PIECES), max_size=12),
       cases=st.sampled_from([0, 7, 12345]), period=st.sampled_from(["7月至12月", "{{ 期間 }}", ""]))
def test_placeholders_rendered_without_jinja_are_what_jinja_renders(pieces, cases, period):
    from reportgen.check.templating import TemplateProblem, _render, jinja_source, placeholders_only

    values = {"期間": period, "期間全稱": "110年" + period, "年度": 110, "案數": cases, "人數": cases * 3,
              "視訊案數": 1, "實體案數": cases - 1}
    source = jinja_source("".join(pieces))
    plain = placeholders_only(source, values)
    if plain is None:
        return
    try:
        rendered = _render(source, values)
    except TemplateProblem as exc:
        raise AssertionError(f"Jinja refuses {source!r} ({exc.message}); the shortcut printed {plain!r}") from exc
    assert plain == rendered


def test_the_placeholder_shortcut_is_taken_for_the_usual_preface_only():
    from reportgen.check.templating import placeholders_only

    values = {"期間": "7月至12月", "案數": 16, "人數": 101}
    usual = "本府{{ 期間 }}辦理訪賓接待(含線上視訊會議)業務，計{{ 案數 }}案、{{人數}}人到訪。主要訪團代表為："
    assert placeholders_only(usual, values) == ("本府7月至12月辦理訪賓接待(含線上視訊會議)業務，計16案、101人到訪。"
                                                "主要訪團代表為：")
    assert placeholders_only("{% if 案數 %}計{{ 案數 }}案{% endif %}", values) is None
    assert placeholders_only("{{ 案數 + 1 }}", values) is None
    assert placeholders_only("{{ 未知 }}", values) is None


# --- an output checked twice by one build is read once (outputs._OWN_AS_CHECKED) -----------------

def test_an_unchanged_own_output_is_read_once_and_an_edited_one_again(tmp_path, monkeypatch):
    import os

    import pytest

    from reportgen.cli import main
    from reportgen.errors import FatalError
    from reportgen.write import fingerprint
    from reportgen.write.outputs import DOCX, check_output

    out = tmp_path / "chapter.docx"
    assert main(["build", str(REPO / "inputs"), "-o", str(out)]) == 0
    reads = []
    real = fingerprint.origin
    monkeypatch.setattr(fingerprint, "origin", lambda path: reads.append(path) or real(path))
    check_output(out, DOCX)
    check_output(out, DOCX)  # as `build -o` does before the work and before writing
    assert reads == [out]
    with zipfile.ZipFile(out, "a") as archive:  # an editor's change: same path, new content
        archive.writestr("customXml/item1.xml", "<x/>")
    with pytest.raises(FatalError, match="曾被修改"):
        check_output(out, DOCX)
    assert reads == [out, out]
    info = out.stat()  # touched to an earlier time, same size: still read again
    os.utime(out, ns=(info.st_atime_ns, info.st_mtime_ns - 1_000_000_000))
    with pytest.raises(FatalError, match="曾被修改"):
        check_output(out, DOCX)
    assert reads == [out, out, out]


@settings(max_examples=examples(500), deadline=None)
@given(text=st.lists(st.sampled_from([b"_", b"x", b"_x", b"<v>", b"-", b"<v>-", b"<f", b"f", b"1", b"\xe4\xb8\xad"]),
                     max_size=60).map(b"".join),
       marker=st.sampled_from([(b"_x", b"_"), (b"<v>-", b"-"), (b"<f", b"f"), (b'hidden="', b"h")]),
       few=st.sampled_from([1, 2, 1000]))
def test_a_marker_found_through_its_rare_byte_is_a_marker_in_the_text(text, marker, few):
    """safety's `_x` and `<v>-` and the fact markers: `holds` answers `marker in text`, also once
    the rare byte turns out common (past _FEW occurrences it searches the whole text)."""
    from reportgen.read import formulas

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(formulas, "_FEW", few)
        assert formulas.holds(text, *marker) == (marker[0] in text)
