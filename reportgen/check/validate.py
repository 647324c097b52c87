"""Rows → models plus every problem found, each with its cell and a fix.

Two passes: every cell is converted by its column's kind (kinds.py), then the rules that
compare rows (rules.py) run over the converted rows; what survives both becomes the models.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .. import normalize
from ..models import Activity, Report, Section, Settings, Visit, VisitStats
from ..problems import Location, Problems
from ..read.table import Cell, Row, SheetData, TableCell, WorkbookData
from ..schema import ACTIVITIES, AS_ENTERED, BY_DATE, SECTIONS, SETTINGS, VISITS, Kind, Sheet, section_types, undated
from . import rules
from .kinds import INVALID, Context, convert, convert_row, convert_row_unless
from .templating import TemplateProblem, context, preface_notes, render

# Settings used to check 前言 templates when the real ones have errors (nothing is built then).
_STAND_IN = Settings(chapter=1, title="-", start=dt.date(2021, 7, 1), end=dt.date(2021, 12, 31))


@dataclass
class Outcome:
    """What validation found: the report when there were no errors, and every problem."""

    report: Report | None
    problems: Problems
    skipped: int = 0
    # With api.load(keep_grids=True): each input and its tabs' values, for validate --report.
    sources: list[tuple[Path, list[tuple[str, list[list[object]]]]]] | None = None
    _document: object = None  # the composed chapter, made once for every writer (api.document)


@dataclass
class Converted:
    """One data row after the first pass: column key → value, None (blank, optional) or INVALID."""

    row: Row
    sheet: Sheet
    values: dict[str, object]
    # A cross-row rule decided it does not print (a duplicate, out of period). 訪賓's models are made
    # before 活動 is checked (validate_books): a rule that excludes visits runs before that.
    excluded: bool = False

    def __getitem__(self, key: str) -> object:
        value = self.values.get(key)
        return None if value is INVALID else value

    def header(self, key: str) -> str:
        return self.sheet.by_key(key).header

    def cell(self, key: str) -> Cell | TableCell:
        """The cell of the column keyed `key` (where a problem about its value is shown)."""
        return self.row[self.sheet.by_key(key).header]

    def valid(self) -> bool:
        return not self.excluded and INVALID not in self.values.values()  # INVALID equals only itself


# --- first pass: cells -------------------------------------------------------------------------

@dataclass(frozen=True)
class Frame:
    """What 報告設定 yields: the settings when all are valid, else as much as is valid.

    The period and 括號 alone let the other sheets be checked, so one wrong setting
    does not hide their problems.
    """

    settings: Settings | None
    period: tuple[dt.date, dt.date] | None = None
    parens: str = "半形"
    order: str = BY_DATE  # 活動排序: how 活動 rows are read (填寫順序: 開始日期 may be blank)
    preface: list[str] | None = None  # the chapter's 前言 as typed (a template), rendered later


def settings_frame(data: SheetData | None, problems: Problems) -> Frame:
    if data is None:
        return Frame(None)
    row = data.rows[0]
    for column in SETTINGS.columns:
        if column.required and column.header not in row.cells:
            problems.add("missing-setting", Location(data.file, SETTINGS.name, header=column.header),
                         help=column.help)
    ctx = Context(problems)
    widths = SETTINGS.by_key("parens")
    parens = convert(row[widths.header], widths, ctx)
    ctx.parens = parens or "半形"  # 章名 is prose like any other cell
    present = tuple(SETTINGS.column(h).key for h in row.cells if h != widths.header)
    values = convert_row(SETTINGS, row, ctx, only=present)
    period = rules.settings_period(values.get("start"), values.get("end"), row, problems)
    settings = None
    order = values.get("order") or BY_DATE
    if (values.get("chapter") and values.get("title") and period and parens
            and all(v is not INVALID for v in values.values())):
        settings = Settings(chapter=values["chapter"], title=values["title"], start=period[0],
                            end=period[1], parens=parens, order=order, digits=values.get("digits") or "半形")
    preface = values.get("preface")
    return Frame(settings, period, parens or "半形", order, preface if isinstance(preface, list) else None)


def convert_rows(data: SheetData | None, ctx: Context) -> list[Converted]:
    return [Converted(row, data.spec, convert_row(data.spec, row, ctx)) for row in (data.rows if data else ())]


def _activity_rows(books: list[WorkbookData], ctx: Context, progress,
                   order: str = BY_DATE) -> tuple[list[Converted], int]:
    """Activities to check, and how many rows say 列入報告 = 否 (left out, unvalidated).

    In 填寫順序 order an activity needs no 開始日期 (SPEC §2), so the sheet is read with it optional.
    """
    sheet = undated(ACTIVITIES) if order == AS_ENTERED else ACTIVITIES
    out: list[Converted] = []
    skipped = 0
    for book in books:
        data = book.sheets.get(ACTIVITIES.name)
        for row in _each(progress, data.rows if data else ()):
            values = convert_row_unless(sheet, row, ctx, sheet.include, "否")
            if values is None:
                skipped += 1
                continue
            out.append(Converted(row, sheet, values))
    return out, skipped


def _visit_rows(books: list[WorkbookData], ctx: Context, progress) -> list[Converted]:
    out: list[Converted] = []
    for book in books:
        data = book.sheets.get(VISITS.name)
        out.extend(Converted(row, VISITS, convert_row(VISITS, row, ctx))
                   for row in _each(progress, data.rows if data else ()))
    return out


def _each(progress, rows):
    return rows if progress is None else progress.each(rows)


# --- models --------------------------------------------------------------------------------------

def model_fields(c: Converted) -> dict[str, object]:
    """A valid row's values as its model's fields, by the schema's keys (no INVALID among them).

    Blank optional cells are left to the model's defaults; a date column gives the day's date,
    a 是/否 column a bool, lists become tuples. The sheet's include column (列入報告) is no field:
    its 否 rows never get here.
    """
    fields: dict[str, object] = {"source": c.row.location}
    values = c.values
    for key, how in _field_plan(c.sheet):
        value = values.get(key)
        if value is None:
            continue
        if how is _DAY:
            value = value.date  # type: ignore[attr-defined]
        elif how is _BOOL:
            value = value == "是"
        elif value.__class__ is list:
            value = tuple(value)
        fields[key] = value
    return fields


_DAY, _BOOL, _AS_IS = "day", "bool", "as is"
_FIELD_PLANS: dict[int, tuple[Sheet, tuple[tuple[str, str], ...]]] = {}


def _field_plan(sheet: Sheet) -> tuple[tuple[str, str], ...]:
    """(key, how its value becomes a field) for each of the sheet's model columns; made once a sheet,
    not once a row (100,000 rows asked the same of each column)."""
    found = _FIELD_PLANS.get(id(sheet))
    if found is None or found[0] is not sheet:
        plan = tuple((col.key, _DAY if col.kind is Kind.DATE else _BOOL if col.yes_no else _AS_IS)
                     for col in sheet.field_columns)
        found = _FIELD_PLANS[id(sheet)] = (sheet, plan)
    return found[1]


def _stats(visits: list[Visit]) -> VisitStats:
    video = sum(v.video for v in visits)
    return VisitStats(cases=len(visits), people=sum(v.people for v in visits),
                      video_cases=video, in_person_cases=len(visits) - video)


def setup_of(book: WorkbookData, problems: Problems) -> tuple[Settings | None, list[rules.RawSection]]:
    """One workbook's 報告設定 and 章節, checked as a build checks them (`init --from` carries them)."""
    settings = settings_frame(rules.one_source(SETTINGS, [book], problems), problems).settings
    sections_data = rules.one_source(SECTIONS, [book], problems)
    ctx = Context(problems, settings.parens if settings else "半形")
    if sections_data is None:
        return settings, []
    return settings, rules.sections(convert_rows(sections_data, ctx), sections_data, problems)


def _settings_signature(data: SheetData) -> object:
    frame = settings_frame(data, Problems())
    return frame.settings, frame.preface


def _section_signature(parens: str):
    def signature(data: SheetData) -> object:
        quiet = Problems()
        return [s.key for s in rules.sections(convert_rows(data, Context(quiet, parens)), data, quiet)]
    return signature


def validate_books(books: list[WorkbookData], problems: Problems | None = None,
                   progress=None) -> Outcome:
    """Validate workbooks already read; the order of `books` is the input order."""
    problems = problems if problems is not None else Problems()
    settings_data = rules.one_source(SETTINGS, books, problems)
    sections_data = rules.one_source(SECTIONS, books, problems)
    frame = settings_frame(settings_data, problems)
    settings, period, parens = frame.settings, frame.period, frame.parens
    if settings_data:
        rules.check_same(SETTINGS, books, problems, _settings_signature)
    ctx = Context(problems, parens)
    raw_sections: list[rules.RawSection] = []
    if sections_data:
        raw_sections = rules.sections(convert_rows(sections_data, ctx), sections_data, problems)
        rules.check_same(SECTIONS, books, problems, _section_signature(parens), parens)
    by_number = {s.number: s for s in raw_sections}
    unjudged = (rules.section_numbers(sections_data) - by_number.keys()) if sections_data else None

    # 訪賓 first, as schema.CHECK_ORDER says, and as far as it goes alone (its rows, the rules
    # among them, its models): meanwhile the reader's worker parses 活動, usually the larger sheet.
    visit_rows = _visit_rows(books, ctx, progress)
    rules.visit_dates(visit_rows, period, problems)
    _duplicates(VISITS, visit_rows, problems)
    visits = [Visit(**model_fields(c)) for c in visit_rows if c.valid()]  # no later rule excludes a visit
    visits.sort(key=lambda v: v.date)

    activity_rows, skipped = _activity_rows(books, ctx, progress, frame.order)
    for book in books:  # every sheet read (and its problems found) before the rules across rows
        book.sheets.complete()
    rows_of: dict[str, list[Converted]] = {ACTIVITIES.name: activity_rows, VISITS.name: visit_rows}

    # second pass: rules across rows
    referenced = {kind.sheet.name: rules.section_references(rows_of[kind.sheet.name], kind.sheet,
                                                            by_number, unjudged, problems)
                  for kind in section_types() if kind.sheet is not None and kind.by_number}
    rules.activity_dates(activity_rows, period, problems)
    rules.dangling_contents(activity_rows, problems)
    rules.typed_labels(activity_rows, raw_sections, settings_data, problems)
    rules.organisation_twice(visit_rows, problems)
    _duplicates(ACTIVITIES, activity_rows, problems)
    rules.blank_contents(activity_rows, by_number, problems)
    rules.sub_item_numbers(activity_rows, raw_sections, settings_data, frame.preface, problems)
    rules.required_sheets(raw_sections, books, problems)
    if sections_data:
        rules.single_sections(raw_sections, rows_of, problems, judged=not unjudged)

    activities = [Activity(**model_fields(c)) for c in activity_rows if c.valid()]
    if frame.order == BY_DATE:
        activities.sort(key=lambda a: a.start.first)  # stable: ties keep input, then row order
    stats = _stats(visits)
    values = context(settings or _STAND_IN, stats)  # the stand-in only lets 前言 be checked
    present = {name for book in books for name in book.sheets}
    empty = rules.empty_sections(raw_sections, referenced, rows_of, present, problems)
    rules.too_many_items(raw_sections, activities, problems)
    sections = [Section(number=raw.number, title=raw.title, kind=raw.kind,
                        preface=tuple(_render_preface(raw.preface, raw.cell("preface"), values, parens, problems,
                                                      period)),
                        format=raw.format, source=raw.row.location) for raw in raw_sections]
    if frame.preface and settings_data is not None:
        cell = settings_data.rows[0][SETTINGS.by_key("preface").header]
        chapter_preface = tuple(_render_preface(frame.preface, cell, values, parens, problems, period))
        if settings is not None:
            settings = settings.model_copy(update={"preface": chapter_preface})
    if problems.errors or settings is None:
        return Outcome(None, problems, skipped)
    report = Report(settings=settings, sections=tuple(sections),
                    activities=tuple(a for a in activities if a.section in by_number),
                    visits=tuple(visits), stats=stats, skipped=skipped)
    return Outcome(rules.dangling_intros(report, by_number, problems, empty), problems, skipped)


def _duplicates(sheet: Sheet, rows: list[Converted], problems: Problems) -> None:
    if sheet.unique is not None:
        rules.duplicates(rows, sheet.unique, problems)


def _render_preface(preface: list[str], cell: Cell, values: dict[str, object], parens: str,
                    problems: Problems, period: tuple[dt.date, dt.date] | None = None) -> list[str]:
    """A 前言 (a section's, or the chapter's in 報告設定) rendered as paragraphs."""
    if not preface:
        return []
    source = "\n\n".join(preface)
    for code, fields in preface_notes(source, period):
        problems.add(code, cell.location, **fields)
    try:
        text = render(source, values)
    except TemplateProblem as exc:
        for each in (exc, *exc.also):
            problems.add("bad-template", cell.location, message=each.message, advice=each.fix)
        return []
    return normalize.clean_prose(text, parens=parens).paragraphs


__all__ = ["Converted", "Outcome", "setup_of", "validate_books"]
