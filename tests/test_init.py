"""`reportgen init`: the blank workbook follows the schema, teaches, round-trips and never overwrites."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document as open_docx
from openpyxl import load_workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from conftest import digest
from helpers import EXAMPLE, is_expected_chapter
from reportgen import load
from reportgen.api import create_workbook as create
from reportgen.cells import display_width
from reportgen.check.validate import setup_of
from reportgen.errors import FatalError
from reportgen.problems import Problems
from reportgen.read.reader import read_workbook
from reportgen.schema import (
    ACTIVITIES,
    DATA_SHEETS,
    DATE_FORMS,
    GUIDE_SHEET,
    MONTH_FORMS,
    SETTINGS,
    SHEETS,
    VISITS,
    Kind,
)
from reportgen.write.init_workbook import (
    DATA_ROWS,
    Period,
    half_year_of,
    next_half_year,
    parse_period,
)

D = dt.date
H2_110 = Period(D(2021, 7, 1), D(2021, 12, 31))
H1_111 = Period(D(2022, 1, 1), D(2022, 6, 30))
H2_111 = Period(D(2022, 7, 1), D(2022, 12, 31))


@pytest.fixture
def blank(tmp_path: Path) -> Path:
    path = tmp_path / "blank.xlsx"
    create(path, period="111/1/1-111/6/30")
    return path


def found_problems(*paths: Path) -> list[tuple[str, str, str]]:
    return sorted((p.location.file, f"{p.location.sheet}!{p.location.cell}", p.code)
                  for p in load(list(paths)).problems)


def validations_at(sheet: Worksheet, coordinate: str) -> list[DataValidation]:
    return [dv for dv in sheet.data_validations.dataValidation if coordinate in dv.sqref]


def check_at(sheet: Worksheet, coordinate: str) -> tuple[str | None, str | None, str | None]:
    """(type, formula1, operator) of the one check on a cell, sheet-name quotes dropped."""
    (dv,) = validations_at(sheet, coordinate)
    if dv.type in (None, "none"):  # an input message only; Calc writes a dummy formula
        return None, None, None
    operator = dv.operator if dv.type == "whole" else None
    return dv.type, (dv.formula1 or "").replace("'", ""), operator


def column_style(sheet: Worksheet, index: int) -> tuple[float, str, bool]:
    """Width, number format and wrapping of a column (Calc merges equal neighbours: C:D)."""
    (dimension,) = [d for d in sheet.column_dimensions.values() if d.min <= index <= d.max]
    return dimension.width, dimension.number_format, bool(dimension.alignment.wrap_text)


def headers(sheet: Worksheet) -> list[object]:
    return [cell.value for cell in sheet[1]]


def column_letter(spec, header: str) -> str:
    return chr(ord("A") + [c.header for c in spec.columns].index(header))


# --- the workbook follows the schema ---------------------------------------------------------

def test_sheets_and_headers_come_from_the_schema(blank):
    book = load_workbook(blank)
    assert book.sheetnames == [GUIDE_SHEET] + [s.name for s in SHEETS]
    assert book.active.title == GUIDE_SHEET
    assert headers(book[SETTINGS.name]) == ["項目", "內容", "說明"]
    rows = range(2, 2 + len(SETTINGS.columns))
    assert [book[SETTINGS.name].cell(r, 1).value for r in rows] == [c.header for c in SETTINGS.columns]
    for spec in DATA_SHEETS:
        sheet = book[spec.name]
        assert headers(sheet) == [c.header for c in spec.columns]
        assert all(cell.font.b for cell in sheet[1])
        assert sheet.freeze_panes == "A2"
        for col in spec.columns:
            dimension = sheet.column_dimensions[column_letter(spec, col.header)]
            assert dimension.width >= max(col.width, display_width(col.header) + 2)
            assert (dimension.number_format == "@") == col.kind.is_date, col.header
            assert (dimension.number_format == "0") == (col.kind is Kind.INT), col.header  # 人數, 節次: whole
            assert bool(dimension.alignment.wrap_text) == (col.kind is Kind.PROSE), col.header


def test_dropdowns_and_number_checks_on_the_data_cells(blank):
    book = load_workbook(blank)
    last = DATA_ROWS + 1
    for spec in DATA_SHEETS:
        sheet = book[spec.name]
        for col in spec.columns:
            letter = column_letter(spec, col.header)
            if col.kind is Kind.CHOICE:
                expected = ("list", '"' + ",".join(col.canonical_choices) + '"', None)
            elif spec is ACTIVITIES and col.header == "節次":
                expected = ("list", f"章節!$A$2:$A${last}", None)
            elif col.kind is Kind.INT:
                expected = ("whole", str(col.bounds[0]), "between")  # bounds from the schema
            else:
                assert validations_at(sheet, f"{letter}2") == [], col.header
                continue
            assert check_at(sheet, f"{letter}2") == expected, col.header
            assert check_at(sheet, f"{letter}{last}") == expected, col.header
    settings = book[SETTINGS.name]
    assert check_at(settings, "B2") == ("whole", "1", "between")  # 章次
    assert check_at(settings, "B6") == ("list", '"半形,全形"', None)  # 括號


def test_every_header_has_an_input_message_within_excel_limits(blank):
    book = load_workbook(blank)
    for spec in DATA_SHEETS:
        sheet = book[spec.name]
        for cell in sheet[1]:
            (dv,) = validations_at(sheet, cell.coordinate)
            assert dv.showInputMessage and dv.promptTitle == cell.value
            assert spec.column(cell.value).help in dv.prompt
    for sheet in book.worksheets:
        for dv in sheet.data_validations.dataValidation:
            assert len(dv.promptTitle or "") <= 32 and len(dv.prompt or "") <= 255
            assert len(dv.errorTitle or "") <= 32 and len(dv.error or "") <= 225


def test_guide_sheet_explains_every_column_with_an_example(blank):
    guide = load_workbook(blank)[GUIDE_SHEET]
    rows = [tuple(v for v in row if v is not None) for row in guide.iter_rows(values_only=True)]
    text = "\n".join(str(v) for row in rows for v in row)
    for spec in SHEETS:
        (at,) = [i for i, row in enumerate(rows) if row == (f"「{spec.name}」工作表：{spec.help}",)]
        table = rows[at + 2: at + 2 + len(spec.columns)]
        assert [row[0] for row in table] == [col.header for col in spec.columns]
        for row, col in zip(table, spec.columns, strict=True):
            assert col.example and row[1].startswith(col.help) and row[-1] == col.example
            assert row[2] == ("必填" if col.required else "可空白")
    for form in (*DATE_FORMS, *MONTH_FORMS):
        assert form in text
    assert "reportgen validate" in text and "reportgen build" in text


def test_settings_are_prefilled_and_period_cells_are_text(blank):
    sheet = load_workbook(blank)[SETTINGS.name]
    values = {sheet.cell(r, 1).value: sheet.cell(r, 2) for r in range(2, 7)}
    assert {k: c.value for k, c in values.items()} == {
        "章次": 26, "章名": "國際事務", "期間起": "111/1/1", "期間迄": "111/6/30", "括號": "半形"}
    assert values["期間起"].number_format == values["期間迄"].number_format == "@"
    assert values["章次"].number_format == "0"


def test_blank_workbook_validates_with_only_the_empty_section_warnings(blank):
    outcome = load([blank])
    assert found_problems(blank) == [("blank.xlsx", "章節!A2", "empty-section"),
                                     ("blank.xlsx", "章節!A3", "empty-section")]
    assert outcome.report is not None
    assert (outcome.report.settings.start, outcome.report.settings.end) == (H1_111.start, H1_111.end)
    assert [s.kind for s in outcome.report.sections] == ["活動", "訪賓"]


# --- periods ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "111/1/1-111/6/30", "111/1/1 - 111/6/30", "111-1-1-111-6-30", "111.01.01-111.06.30",
    "111年1月1日至111年6月30日", "2022/1/1~2022/6/30", "2022-01-01-2022-06-30", "1110101-1110630",
    "111/1-111/6", "111年1月至111年6月", "１１１/１/１-１１１/６/３０",
])
def test_period_accepts_the_date_forms_staff_type(text):
    assert parse_period(text) == H1_111


@pytest.mark.parametrize("text", ["111/2/30-111/6/30", "111/1/1", "上半年", "111/1/1-", "111/7/1-111/6/30"])
def test_bad_period_is_fatal(text):
    with pytest.raises(FatalError):
        parse_period(text)


@pytest.mark.parametrize(("day", "expected"), [
    (D(2022, 1, 1), H1_111), (D(2022, 6, 30), H1_111), (D(2022, 7, 1), H2_111),
    (D(2022, 12, 31), H2_111)])
def test_half_year_of(day, expected):
    assert half_year_of(day) == expected


@pytest.mark.parametrize(("old", "new"), [
    (H2_110, H1_111), (H1_111, H2_111),
    (Period(D(2021, 7, 1), D(2021, 11, 30)), H1_111),  # a short period still moves to the next half
])
def test_next_half_year(old, new):
    assert next_half_year(old) == new


def test_without_period_the_half_year_of_today_is_used(tmp_path):
    outcome = create(tmp_path / "a.xlsx", today=D(2022, 8, 15))
    assert outcome.setup.period == H2_111
    sheet = load_workbook(tmp_path / "a.xlsx")[SETTINGS.name]
    assert (sheet["B4"].value, sheet["B5"].value) == ("111/7/1", "111/12/31")


# --- the command line ------------------------------------------------------------------------

def test_cli_init_writes_the_workbook(cli, tmp_path):
    target = tmp_path / "新.xlsx"
    result = cli("init", target, "--period", "111/1/1-111/6/30")
    assert result.code == 0, result.err
    assert result.out.startswith(f"已產生 {target}：報告期間 111年1月1日至111年6月30日，章節 2 節。\n")
    assert found_problems(target) == [("新.xlsx", "章節!A2", "empty-section"),
                                      ("新.xlsx", "章節!A3", "empty-section")]


def test_existing_file_is_never_overwritten(cli, tmp_path, workbook):
    target = workbook("filled.xlsx")
    before = digest(target)
    for extra in ((), ("--period", "111/1/1-111/6/30"), ("--from", EXAMPLE)):
        result = cli("init", target, *extra)
        assert result.code == 2
        assert result.err == (f"錯誤：{target} 已存在；reportgen init 不會覆寫既有檔案。"
                              "請換一個檔名，或先將舊檔移到別處。\n")
        assert digest(target) == before


def test_bad_period_exits_2_and_writes_nothing(cli, tmp_path):
    target = tmp_path / "a.xlsx"
    result = cli("init", target, "--period", "111/2/30-111/6/30")
    assert result.code == 2
    assert result.err.startswith("錯誤：--period「111/2/30-111/6/30」不是有效的報告期間。"
                                 "請寫成「期間起-期間迄」，例如 111/1/1-111/6/30。")
    assert not target.exists()


@pytest.mark.parametrize("name", ["a.xlsm", "a.ods", "a"])
def test_only_xlsx_is_written(cli, tmp_path, name):
    result = cli("init", tmp_path / name)
    assert result.code == 2 and ".xlsx" in result.err
    assert list(tmp_path.iterdir()) == []


def test_from_missing_file_exits_2(cli, tmp_path):
    result = cli("init", tmp_path / "new.xlsx", "--from", tmp_path / "old.xlsx")
    assert result.code == 2 and "old.xlsx" in result.err
    assert not (tmp_path / "new.xlsx").exists()


def test_from_carries_settings_and_sections_and_moves_the_period(cli, tmp_path):
    first, second = tmp_path / "111上.xlsx", tmp_path / "111下.xlsx"
    assert cli("init", first, "--from", EXAMPLE).code == 0
    assert cli("init", second, "--from", first).code == 0
    old = _setup(EXAMPLE)
    for path, period in ((first, H1_111), (second, H2_111)):
        settings, sections = _setup(path)
        assert (settings.start, settings.end) == (period.start, period.end)
        assert (settings.chapter, settings.title, settings.parens) == (
            old[0].chapter, old[0].title, old[0].parens)
        assert [s.key for s in sections] == [s.key for s in old[1]]
        assert any("{{ 案數 }}" in "".join(s.preface) for s in sections)  # 前言 kept as a template
        data = read_workbook(path, Problems())
        assert data.sheets[ACTIVITIES.name].rows == data.sheets[VISITS.name].rows == []


def test_from_with_period_uses_the_period(tmp_path):
    outcome = create(tmp_path / "a.xlsx", period="111/3/1-111/8/31", source=EXAMPLE)
    assert outcome.setup.period == Period(D(2022, 3, 1), D(2022, 8, 31))


def test_from_a_workbook_with_errors_writes_nothing(cli, tmp_path, workbook):
    old = workbook("old.xlsx", settings={"章次": 26, "章名": "國際事務", "期間起": "110/7/1"},
                   sections=[{"節次": 1, "節名": "交流", "類型": "展覽"}])
    target = tmp_path / "new.xlsx"
    outcome = create(target, source=old)
    assert sorted((p.location.sheet, p.location.cell, p.code) for p in outcome.problems) == [
        ("報告設定", "", "missing-setting"), ("章節", "C2", "bad-choice")]
    result = cli("init", target, "--from", old)
    assert result.code == 1
    assert result.err.endswith(f"{old} 的報告設定或章節有錯誤（錯誤 2 項、警告 0 項），未產生檔案。\n")
    assert not target.exists()


def _setup(path: Path):
    problems = Problems()
    settings, sections = setup_of(read_workbook(path, problems), problems)
    assert not problems.errors
    return settings, sections


# --- round trips -----------------------------------------------------------------------------

def _rows_by_header(sheet: Worksheet) -> list[dict[str, object]]:
    rows = sheet.iter_rows(values_only=True)
    head = next(rows)
    return [dict(zip(head, row, strict=False)) for row in rows if any(v is not None for v in row)]


def test_fill_by_header_then_build_gives_the_expected_chapter(project, cli, tmp_path):
    """Staff's path: init, type the rows (here: the example's) under the headers, build."""
    target = tmp_path / "填好.xlsx"
    assert cli("init", target, "--period", "110/7/1-110/12/31").code == 0
    example = load_workbook(EXAMPLE)
    book = load_workbook(target)
    settings = book[SETTINGS.name]
    given = {row[0]: row[1] for row in example[SETTINGS.name].iter_rows(min_row=2, values_only=True)}
    for number in range(2, settings.max_row + 1):
        key = settings.cell(number, 1).value
        if key in given:
            settings.cell(number, 2).value = given[key]
    for spec in DATA_SHEETS:
        sheet = book[spec.name]
        sheet.delete_rows(2, sheet.max_row)
        columns = {cell.value: cell.column for cell in sheet[1]}
        for number, row in enumerate(_rows_by_header(example[spec.name]), start=2):
            for header, value in row.items():
                sheet.cell(number, columns[header]).value = value
    book.save(target)

    result = cli("build", target, "-o", tmp_path / "out.docx")
    assert result.code == 0, result.err
    paragraphs = [p.text.replace("\t", " ") for p in open_docx(str(tmp_path / "out.docx")).paragraphs]
    assert is_expected_chapter(paragraphs)


@pytest.fixture(scope="module")
def calc_round_trip(tmp_path_factory) -> tuple[Path, Path]:
    """A blank workbook and the same workbook opened and re-saved by LibreOffice Calc."""
    work = tmp_path_factory.mktemp("calc")
    blank = work / "blank.xlsx"
    create(blank, period="111/1/1-111/6/30")
    out = work / "out"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{work}/profile", "--headless",
                    "--convert-to", "xlsx", "--outdir", str(out), str(blank)],
                   check=True, capture_output=True, timeout=180)
    return blank, out / "blank.xlsx"


def needs_soffice(test):
    """A LibreOffice round trip: seconds each, so behind the slow marker (CI runs it)."""
    skip = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
    return pytest.mark.slow(skip(test))


@needs_soffice
def test_calc_resaved_workbook_still_validates(calc_round_trip):
    blank, resaved = calc_round_trip
    assert found_problems(resaved) == found_problems(blank) == [
        ("blank.xlsx", "章節!A2", "empty-section"), ("blank.xlsx", "章節!A3", "empty-section")]


@needs_soffice
def test_calc_resaved_workbook_keeps_dropdowns_and_formats(calc_round_trip):
    blank, resaved = calc_round_trip
    before, after = load_workbook(blank), load_workbook(resaved)
    assert after.sheetnames == before.sheetnames
    for spec in (SETTINGS, *DATA_SHEETS):
        old, new = before[spec.name], after[spec.name]
        cells = [f"{c.column_letter}{r}" for c in old[1] for r in (1, 2, DATA_ROWS + 1)]
        if spec is SETTINGS:
            cells = [f"{col}{r}" for col in "AB" for r in range(2, 7)]
        for cell in cells:
            was = [check_at(old, cell)] if validations_at(old, cell) else []
            assert ([check_at(new, cell)] if was else validations_at(new, cell)) == was, (spec.name, cell)
        for index in range(1, old.max_column + 1):
            assert column_style(new, index) == column_style(old, index), (spec.name, index)
    for spec in DATA_SHEETS:  # the header tooltips survive too
        for cell in after[spec.name][1]:
            (dv,) = validations_at(after[spec.name], cell.coordinate)
            assert dv.showInputMessage and dv.promptTitle == cell.value


def test_from_with_a_new_period_does_not_need_the_old_one(tmp_path, cli):
    """--period replaces the old period, so an old workbook whose 期間迄 is missing still carries its
    settings and sections over; without --period the old period is needed to move on, and said."""
    from helpers import SETTINGS as FILLED
    from helpers import write_workbook

    settings = {key: value for key, value in FILLED.items() if key != "期間迄"}
    old = write_workbook(tmp_path / "舊.xlsx", settings=settings)
    given = cli("init", tmp_path / "新.xlsx", "--from", old, "--period", "111/1/1-111/6/30")
    assert given.code == 0, given.err
    sheet = load_workbook(tmp_path / "新.xlsx")[SETTINGS.name]
    values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True)}
    assert (values["期間起"], values["期間迄"], values["章名"]) == ("111/1/1", "111/6/30", "國際事務")
    moved = cli("init", tmp_path / "另.xlsx", "--from", old)
    assert moved.code == 1 and "期間迄" in moved.err and not (tmp_path / "另.xlsx").exists()


def test_init_from_a_workbook_without_settings_names_only_what_is_missing(tmp_path):
    """SPEC §6 messages name the real reason: a workbook holding 活動 and 訪賓 but no 報告設定 or 章節
    lacks those two; it is no workbook "without any sheet reportgen knows"."""
    from openpyxl import load_workbook

    from helpers import run_cli

    book = load_workbook(EXAMPLE)
    for name in ("報告設定", "章節"):
        del book[name]
    old = tmp_path / "old.xlsx"
    book.save(old)
    result = run_cli("init", tmp_path / "new.xlsx", "--from", old)
    assert result.code == 1
    assert "找不到工作表「報告設定」" in result.out + result.err and "找不到工作表「章節」" in result.out + result.err
    assert "可辨識的工作表" not in result.out + result.err
    assert not (tmp_path / "new.xlsx").exists()
