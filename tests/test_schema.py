"""One schema drives reading, checking, models, init and the README; codes have one catalogue."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
from pydantic import ValidationError

from helpers import HEADERS, REPO, write_workbook
from reportgen import load, preview_text, schema
from reportgen.codes import CODES, Severity
from reportgen.models import Visit
from reportgen.problems import Location, Problems
from reportgen.schema import ACTIVITIES, SECTION_TYPES, SECTIONS, SHEETS, Column, Kind, markdown_table
from reportgen.schema import VISITS as VISIT_SHEET
from reportgen.write import sections
from reportgen.write.document import Block, Role
from reportgen.write.init_workbook import build_workbook, half_year_of, starter_setup


def flat(outcome) -> list[tuple]:
    return outcome.problems.flatten(("sheet", "cell", "code"))


# --- one declaration per column ------------------------------------------------------------------

@pytest.fixture
def declare():
    """Stand in for an edit of schema.py: a frozen declaration given other values for one test.

    The schema's objects are frozen (no module changes them); only this fixture does, and it
    puts every value back afterwards.
    """
    changed: list[tuple[object, str, object]] = []

    def change(obj: object, **fields: object) -> None:
        for name, value in fields.items():
            changed.append((obj, name, getattr(obj, name)))
            object.__setattr__(obj, name, value)

    yield change
    for obj, name, value in reversed(changed):
        object.__setattr__(obj, name, value)


@pytest.fixture
def venue(declare):
    """A required 地點 (line) and an optional 簽約日期 (date) added to 活動 in the schema only."""
    added = (Column("地點", Kind.LINE, True, "活動地點。", "高雄"),
             Column("簽約日期", Kind.DATE, False, "簽約的日期。", "110/9/10"))
    declare(ACTIVITIES, columns=(*ACTIVITIES.columns, *added))
    return [*HEADERS["活動"], "地點", "簽約日期"]


def test_a_column_added_to_the_schema_is_required_converted_and_reported(venue, tmp_path):
    heads = {"活動": venue}
    rows = [{"節次": 1, "標題": "一", "開始日期": "110/9/8", "內容": "甲。", "地點": "高雄", "簽約日期": "110/9/8"},
            {"節次": 1, "標題": "二", "開始日期": "110/9/9", "內容": "乙。"},  # 地點 blank
            {"節次": 1, "標題": "三", "開始日期": "110/9/9", "內容": "丙。", "地點": "台南",
             "簽約日期": "110/2/30"}]
    outcome = load([write_workbook(tmp_path / "a.xlsx", headers=heads, activities=rows)])
    assert flat(outcome) == [("活動", "H3", "required"), ("活動", "I4", "bad-date")]
    assert outcome.problems.sorted()[0].location.header == "地點"
    assert outcome.report is None  # required means required: no chapter without it
    missing = load([write_workbook(tmp_path / "b.xlsx", activities=rows[:1])])
    assert [(p.location.sheet, p.location.header, p.code) for p in missing.problems] == [
        ("活動", "地點", "missing-column")]
    fine = load([write_workbook(tmp_path / "c.xlsx", headers=heads, activities=rows[:1])])
    assert fine.report is not None and not fine.problems


def test_init_and_the_guide_follow_the_schema(venue):
    book = build_workbook(starter_setup(half_year_of(dt.date(2022, 1, 1))))
    assert [c.value for c in book["活動"][1]] == venue
    assert "地點" in [row[0].value for row in book["填寫說明"].iter_rows()]


def test_model_bounds_come_from_the_schema():
    low, high = VISIT_SHEET.column("人數").bounds
    fields = dict(date="2021-09-10", organisation="甲", representatives=("乙",), source=Location())
    assert Visit(people=high, **fields).people == high
    for people in (low - 1, high + 1, 1_000_000):
        with pytest.raises(ValidationError):
            Visit(people=people, **fields)


def test_readme_tables_are_the_schemas():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for sheet in SHEETS:
        assert markdown_table(sheet) in readme, sheet.name


# --- section types ---------------------------------------------------------------------------------

def test_section_types_are_contract_data_with_a_body_each():
    assert set(SECTION_TYPES.values()) == {t.name for t in schema.section_types()}
    assert SECTIONS.column("類型").canonical_choices == tuple(t.name for t in schema.section_types())
    data_sheets = {t.sheet.name for t in schema.section_types() if t.sheet is not None}
    assert data_sheets == {ACTIVITIES.name, VISIT_SHEET.name}
    assert set(sections.BODIES) == {t.name for t in schema.section_types()}
    with pytest.raises(FrozenInstanceError):
        schema.section_types()[0].name = "x"  # type: ignore[misc]


# --- the catalogue of codes ----------------------------------------------------------------------

_RAISED = re.compile(r"""\.(?:add|error|warning)\(\s*["']([a-z][a-z-]+)["']""")
_PASSED = re.compile(r"""["']((?:duplicate|missing|repeated)-[a-z-]+)["']""")


def _codes_in_source() -> set[str]:
    found: set[str] = set()
    for path in (REPO / "reportgen").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(_RAISED.findall(text)) | set(_PASSED.findall(text))
    return found


def test_every_code_raised_anywhere_is_in_the_catalogue():
    raised = _codes_in_source()
    assert len(raised) >= 30
    assert sorted(raised - CODES.keys()) == []


def test_every_catalogue_entry_formats_and_reads_chinese():
    for code, entry in CODES.items():
        assert entry.severity in (Severity.ERROR, Severity.WARNING)
        assert re.search(r"[\u4e00-\u9fff]", entry.message + entry.fix) or code == "bad-template", code


def test_problems_are_made_from_codes_and_flatten_to_tuples():
    problems = Problems()
    problems.add("bad-number", Location("a.xlsx", "訪賓", 7, 4, "人數"), found="0", low=1, high=9999,
                 example=3, invisible="")
    problems.add("hidden-sheet", Location("a.xlsx", "訪賓"))
    assert problems.flatten() == [("a.xlsx", "訪賓", "", "hidden-sheet"), ("a.xlsx", "訪賓", "E7", "bad-number")]
    bad = problems.sorted()[1]
    assert (bad.severity, bad.message) == (Severity.ERROR, "「人數」須為 1 到 9999 之間的整數。")
    assert str(bad.location) == "a.xlsx 訪賓!E7（人數）"
    with pytest.raises(KeyError):
        problems.add("no-such-code", Location())


def test_locations_are_typed_and_sort_by_row_then_column():
    here = Location("a.xlsx", "活動", 10, 2, "開始日期")
    assert (here.row, here.col, here.cell, here.column) == (10, 2, "C10", "C")
    cells = [Location("a.xlsx", "活動", r, c) for r, c in ((10, 0), (9, 27), (9, 3))]
    assert [x.cell for x in sorted(cells, key=Location.sort_key)] == ["D9", "AB9", "A10"]


def test_corpus_problems_all_come_from_the_catalogue():
    corpus = Path(__file__).resolve().parent / "corpus"
    for path in sorted(corpus.glob("*.xlsx")):
        for problem in load([path]).problems:
            assert CODES[problem.code].severity is problem.severity, (path.name, problem.code)


def test_a_new_section_type_is_one_entry_and_its_body(declare, monkeypatch, tmp_path):
    """Declared once in the schema with its body in the writer, a type is a 類型 choice, in the
    guide, validated and printed."""
    appendix_type = schema.SectionType("附錄", "附錄統計", None, False, "沒有前言", "請填寫前言。")
    monkeypatch.setattr(schema, "TYPES", (*schema.TYPES, appendix_type))
    monkeypatch.setitem(SECTION_TYPES, "附錄", "附錄")
    kind_column = SECTIONS.column("類型")
    declare(kind_column, help=kind_column.help.replace("或文字（只有前言）", "、文字（只有前言）或附錄（附錄統計）"))

    def appendix(section, report, items):
        return [Block(Role.SECTION_BODY, f"附錄：共 {report.stats.cases} 案。")]

    monkeypatch.setitem(sections.BODIES, "附錄", appendix)
    book = build_workbook(starter_setup(half_year_of(dt.date(2022, 1, 1))))
    assert "附錄" in [row[0].value for row in book["填寫說明"].iter_rows()]
    outcome = load([write_workbook(tmp_path / "t.xlsx", sections=[
        {"節次": 1, "節名": "交流專案", "類型": "活動"}, {"節次": 2, "節名": "訪賓", "類型": "訪賓"},
        {"節次": 3, "節名": "附錄", "類型": "附錄", "前言": "以下為統計。"}])])
    assert flat(outcome) == []
    assert preview_text(outcome).splitlines()[-3:] == ["三、附錄", "以下為統計。", "附錄：共 1 案。"]


def test_what_the_rules_say_prints_agrees_with_each_body(tmp_path):
    """`rules.lists_something` (asked for every section) says what building the body would show."""
    from helpers import VISITS
    from reportgen.check.rules import lists_something

    for visits in (VISITS, [{**VISITS[0], "主要訪團": "否"}]):
        outcome = load([write_workbook(tmp_path / f"{len(visits)}{visits[0]['主要訪團']}.xlsx", visits=visits)])
        report = outcome.report
        items: dict = {}
        for activity in report.activities:
            items.setdefault(activity.section, []).append(activity)
        for section in report.sections:
            body = sections.BODIES[section.kind](section, report, items)
            assert lists_something(section, report, items) == bool(body), section.kind


def test_models_field_names_are_the_schema_keys():
    """A model field is a column's key; renaming a header is one edit in schema.py."""
    from reportgen.models import Activity, Section, Settings

    for model, sheet in ((Settings, schema.SETTINGS), (Section, SECTIONS), (Activity, ACTIVITIES),
                         (Visit, VISIT_SHEET)):
        keys = {col.key for col in sheet.columns if not col.note} - {sheet.include}
        assert set(model.model_fields) - {"source"} == keys, sheet.name


def test_a_declaration_checks_itself():
    with pytest.raises(ValueError, match="own key"):
        schema.Sheet("x", (Column("甲", Kind.LINE, True, "", key="a"), Column("乙", Kind.LINE, True, "", key="a")), "")
    with pytest.raises(ValueError, match="unknown keys"):
        schema.Sheet("x", (Column("甲", Kind.LINE, True, "", key="a"),), "",
                     unique=schema.Unique(("b",), at="a", code="duplicate-visit"))


def test_model_choices_come_from_the_schema():
    """A choice field takes only its column's canonical choices (the aliases are the converter's)."""
    fields = dict(date="2021-09-10", organisation="甲", representatives=("乙",), people=1, source=Location())
    assert Visit(form="視訊", **fields).video
    for form in ("線上", "x", ""):
        with pytest.raises(ValidationError):
            Visit(form=form, **fields)
