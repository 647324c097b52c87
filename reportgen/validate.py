"""Rows → models plus every problem found, each with its cell and a fix."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path

from . import normalize, progress
from .dates import DATE_ERROR_FIX, DateError, Day, parse_day, roc_date
from .limits import fits
from .models import Activity, Report, Section, Settings, Visit, VisitStats
from .problems import Location, Problems, shorten
from .reader import Cell, Row, SheetData, WorkbookData, expand_inputs, read_workbook
from .schema import ACTIVITIES, SECTIONS, SETTINGS, VISITS, Column, Sheet
from .templating import TemplateProblem, context, render

# Settings used to check 前言 templates when the real ones have errors (nothing is built then).
_STAND_IN = Settings(chapter=1, title="-", start=dt.date(2021, 7, 1), end=dt.date(2021, 12, 31))
MAX_ITEMS = 999  # items in one section: the largest label numerals.lower can spell
_ROC_DATE_IN_TEXT = re.compile(r"(?<!\d)(\d{2,3})年(\d{1,2})月(\d{1,2})日")


@dataclass
class Outcome:
    """What validation found: the report when there were no errors, and every problem."""

    report: Report | None
    problems: Problems
    skipped: int = 0


def validate_paths(paths: Iterable[Path]) -> Outcome:
    """Read every workbook named (folders expanded) and validate them as one report."""
    problems = Problems()
    files = expand_inputs(paths, problems)
    books = [read_workbook(path, problems) for path in files]
    return validate_books(books, problems)


def _as_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return roc_date(value.date())
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return roc_date(value)
    return str(value)


class _Cells:
    """Converts cells by their column's kind, recording a problem for each bad value."""

    def __init__(self, problems: Problems, parens: str = "半形") -> None:
        self.problems = problems
        self.parens = parens

    def present(self, cell: Cell, col: Column) -> bool:
        if cell.unsaved_formula:
            self.problems.error(
                "formula-no-value", cell.location, f"「{col.header}」是公式，但檔案中沒有儲存計算結果。",
                fix="這個檔案可能是由不會計算公式的程式產生；請用 Excel 或 LibreOffice Calc 開啟後"
                "直接存檔（會存入計算結果），再執行一次。")
            return False
        if not cell.blank:
            return fits(cell, col, self.problems)  # over-long text is an error at its cell
        if col.required and cell.location.cell:  # no cell: the column is missing, reported once
            self.problems.error("required", cell.location, f"「{col.header}」必須填寫。",
                                fix=f"請填入{col.hint}")
        return False

    def _removed(self, cell: Cell, removed: tuple[str, ...]) -> None:
        if removed:
            self.problems.warning(
                "invisible-chars", cell.location,
                f"已移除看不見的控制字元或零寬字元（{normalize.describe_removed(removed)}）。",
                fix="多半來自複製貼上，請確認文字無誤。")

    def line(self, cell: Cell, col: Column) -> str | None:
        if not self.present(cell, col):
            return None
        cleaned = normalize.clean_line(_as_text(cell.value), parens=self.parens)
        self._removed(cell, cleaned.removed)
        return self._nonempty(cleaned.text, cell, col)

    def prose(self, cell: Cell, col: Column) -> list[str] | None:
        if not self.present(cell, col):
            return None
        cleaned = normalize.clean_prose(_as_text(cell.value), parens=self.parens)
        self._removed(cell, cleaned.removed)
        return cleaned.paragraphs if self._nonempty(cleaned.text, cell, col) else None

    def items(self, cell: Cell, col: Column) -> list[str] | None:
        if not self.present(cell, col):
            return None
        items, removed = normalize.clean_list(_as_text(cell.value), parens=self.parens)
        self._removed(cell, removed)
        return items if self._nonempty("、".join(items), cell, col) else None

    def _nonempty(self, text: str, cell: Cell, col: Column) -> str | None:
        if text or not col.required:
            return text
        self.problems.error("required", cell.location, f"「{col.header}」只有空白或看不見的字元。",
                            fix=f"請填入{col.help}")
        return None

    def integer(self, cell: Cell, col: Column) -> int | None:
        if not self.present(cell, col):
            return None
        value = cell.value
        number: int | None = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str):
            text = unicodedata.normalize("NFKC", value).strip().replace(",", "")
            if re.fullmatch(r"[+-]?\d{1,9}", text):
                number = int(text)
        low, high = col.bounds
        if number is None or not low <= number <= high:
            self.problems.error("bad-number", cell.location,
                                f"「{col.header}」須為 {low} 到 {high} 之間的整數。", found=_as_text(value),
                                fix=f"請只填數字，例如 {col.example or low}。")
            return None
        return number

    def day(self, cell: Cell, col: Column, *, month_ok: bool = True) -> Day | None:
        if not self.present(cell, col):
            return None
        try:
            day = parse_day(cell.value)
        except DateError:
            self.problems.error("bad-date", cell.location, f"「{col.header}」不是有效的日期。",
                                found=_as_text(cell.value), fix=DATE_ERROR_FIX)
            return None
        if day.month_only and not month_ok:
            self.problems.error("month-not-allowed", cell.location,
                                f"「{col.header}」須填到日，不能只填月份。",
                                found=_as_text(cell.value), fix="請填寫完整日期，例如 110/9/8。")
            return None
        return day

    def choice(self, cell: Cell, col: Column) -> str | None:
        if cell.unsaved_formula:
            self.present(cell, col)
            return None
        if cell.blank:
            if col.required:
                self.present(cell, col)
                return None
            return col.default
        key = unicodedata.normalize("NFKC", _as_text(cell.value)).strip().upper()
        found = col.choices.get(key) or col.choices.get(key.replace(" ", ""))
        if found is None:
            self.problems.error("bad-choice", cell.location, f"「{col.header}」的值不在選項中。",
                                found=_as_text(cell.value),
                                fix="請從下拉選單選擇：" + "、".join(col.canonical_choices) + "。")
        return found


def _one_source(sheet: Sheet, books: list[WorkbookData], problems: Problems) -> SheetData | None:
    """Settings and sections must come from one workbook (or be repeated identically)."""
    found = [book.sheets[sheet.name] for book in books if sheet.name in book.sheets]
    if not found:
        where = books[0].name if len(books) == 1 else ""
        problems.error("missing-sheet", Location(where, sheet.name),
                       f"找不到工作表「{sheet.name}」。",
                       fix=f"請加入名為「{sheet.name}」的工作表（{sheet.help.rstrip('。')}），"
                       "或用 reportgen init 產生空白活頁簿。")
        return None
    return found[0]


@dataclass(frozen=True)
class _Frame:
    """What 報告設定 yields: the settings when all are valid, else as much as is valid.

    The period and 括號 alone let the other sheets be checked, so one wrong setting
    does not hide their problems.
    """

    settings: Settings | None
    period: tuple[dt.date, dt.date] | None = None
    parens: str = "半形"


def _settings(data: SheetData | None, problems: Problems) -> _Frame:
    if data is None:
        return _Frame(None)
    row = data.rows[0]
    cells = _Cells(problems)
    col = SETTINGS.column
    for column in SETTINGS.columns:
        if column.required and column.header not in row.cells:
            problems.error("missing-setting", Location(data.file, SETTINGS.name, "", column.header),
                           f"報告設定缺少「{column.header}」。",
                           fix=f"請在 A 欄加一列「{column.header}」，B 欄填入{column.help}")
    parens = cells.choice(row["括號"], col("括號"))
    cells.parens = parens or "半形"  # 章名 is prose like any other cell
    chapter = cells.integer(row["章次"], col("章次")) if "章次" in row.cells else None
    title = cells.line(row["章名"], col("章名")) if "章名" in row.cells else None
    start = cells.day(row["期間起"], col("期間起")) if "期間起" in row.cells else None
    end = cells.day(row["期間迄"], col("期間迄")) if "期間迄" in row.cells else None
    period = (start.first, end.last) if start and end else None
    if period and period[1] < period[0]:
        problems.error("end-before-start", row["期間迄"].location, "期間迄早於期間起。",
                       found=_as_text(row["期間迄"].value), fix="請確認報告期間的起迄日期。")
        period = None
    if chapter is None or title is None or period is None or parens is None:
        return _Frame(None, period, parens or "半形")
    settings = Settings(chapter=chapter, title=title, start=period[0], end=period[1], parens=parens)
    return _Frame(settings, period, parens)


def _section_numbers(data: SheetData) -> set[int]:
    """Every readable 節次 of the 章節 sheet, valid row or not."""
    cells, col = _Cells(Problems()), SECTIONS.column("節次")
    return {n for row in data.rows if (n := cells.integer(row["節次"], col)) is not None}


@dataclass
class _RawSection:
    number: int
    title: str
    kind: str
    preface: list[str]
    row: Row

    @property
    def key(self) -> tuple[int, str, str, list[str]]:
        return (self.number, self.title, self.kind, self.preface)


def _sections(data: SheetData, cells: _Cells, problems: Problems) -> list[_RawSection]:
    col = SECTIONS.column
    out: list[_RawSection] = []
    seen: dict[int, Row] = {}
    for row in data.rows:
        number = cells.integer(row["節次"], col("節次"))
        title = cells.line(row["節名"], col("節名"))
        kind = cells.choice(row["類型"], col("類型"))
        preface = cells.prose(row["前言"], col("前言")) or []
        if number is not None and number in seen:
            problems.error("duplicate-section", row["節次"].location, f"節次 {number} 重複。",
                           fix=f"另一列在 {seen[number]['節次'].location}；節次不可重複。")
            continue
        if number is None or title is None or kind is None:
            continue
        seen[number] = row
        out.append(_RawSection(number, title, kind, preface, row))
    if not data.rows:
        problems.error("no-sections", Location(data.file, SECTIONS.name),
                       "工作表「章節」沒有任何一節。", fix="請至少填寫一節（節次、節名、類型）。")
    return sorted(out, key=lambda s: s.number)


def setup_of(book: WorkbookData, problems: Problems) -> tuple[Settings | None, list[_RawSection]]:
    """One workbook's 報告設定 and 章節, checked as a build checks them (`init --from` carries them)."""
    settings = _settings(_one_source(SETTINGS, [book], problems), problems).settings
    sections_data = _one_source(SECTIONS, [book], problems)
    cells = _Cells(problems, settings.parens if settings else "半形")
    return settings, _sections(sections_data, cells, problems) if sections_data else []


def _check_same(sheet: Sheet, books: list[WorkbookData], problems: Problems,
                signature: Callable[[SheetData], object]) -> None:
    """A settings or sections sheet repeated in another workbook must say the same."""
    sources = [book for book in books if sheet.name in book.sheets]
    if len(sources) < 2:
        return
    first = signature(sources[0].sheets[sheet.name])
    for book in sources[1:]:
        if signature(book.sheets[sheet.name]) != first:
            problems.error("conflicting-sheet", Location(book.name, sheet.name),
                           f"工作表「{sheet.name}」與 {sources[0].name} 的內容不同。",
                           fix=f"「{sheet.name}」只需要在一個活頁簿中填寫；其他活頁簿請刪除此工作表"
                           "或改成完全相同。")


def _activities(books: list[WorkbookData], sections: dict[int, _RawSection],
                period: tuple[dt.date, dt.date] | None, cells: _Cells, problems: Problems,
                unjudged: set[int] | None) -> tuple[list[Activity], int, set[int]]:
    """Activities in print order, rows left out (列入報告 = 否), and the 節次 rows point at.

    `unjudged`: section numbers whose 章節 row has its own error (None: no 章節 sheet at all);
    pointing at them is not a second error.
    """
    col = ACTIVITIES.column
    out: list[Activity] = []
    skipped = 0
    referenced: set[int] = set()
    seen: dict[Hashable, Location] = {}
    for book in books:
        data = book.sheets.get(ACTIVITIES.name)
        for row in progress.each(data.rows if data else ()):
            include = cells.choice(row["列入報告"], col("列入報告"))
            if include == "否":
                skipped += 1
                continue
            number = cells.integer(row["節次"], col("節次"))
            title = cells.line(row["標題"], col("標題"))
            start = cells.day(row["開始日期"], col("開始日期"))
            end = cells.day(row["結束日期"], col("結束日期")) if not row["結束日期"].blank else None
            paragraphs = cells.prose(row["內容"], col("內容"))
            if number is not None:
                referenced.add(number)
                section = sections.get(number)
                if unjudged is None or number in unjudged:
                    pass
                elif section is None:
                    problems.error("unknown-section", row["節次"].location,
                                   f"找不到節次 {number}。", fix=_section_fix(sections))
                elif section.kind != "活動":
                    problems.error("not-activity-section", row["節次"].location,
                                   f"節次 {number}「{section.title}」的類型是「{section.kind}」，"
                                   "不能放活動。", fix=_section_fix(sections))
            if start and end and end.last < start.first:
                problems.error("end-before-start", row["結束日期"].location,
                               "結束日期早於開始日期。", found=_as_text(row["結束日期"].value),
                               fix=f"開始日期是 {start.roc()}；請確認兩個日期。")
                end = None
                start_ok = False
            else:
                start_ok = start is not None
            if start_ok and start is not None:
                last = (end or start).last
                if period and (last < period[0] or start.first > period[1]):
                    problems.error("outside-period", row["開始日期"].location,
                                   "活動日期不在報告期間內。", found=_as_text(row["開始日期"].value),
                                   fix=f"報告期間是 {roc_date(period[0])} 至 "
                                   f"{roc_date(period[1])}；請確認年份，或將此列「列入報告」改為否。")
                if paragraphs:
                    _dates_in_text(paragraphs, start.first, last, row["內容"], problems)
            # judged even when other cells of either row are wrong: both places get fixed at once
            if number is not None and title is not None and start is not None and _repeated(
                    seen, (number, title, start), row["標題"], problems, "duplicate-activity",
                    f"同一活動重複填寫（節次 {number}、{start.roc()}「{shorten(title)}」）。"):
                continue
            if number is None or title is None or start is None or not paragraphs:
                continue
            out.append(Activity(section=number, title=title, start=start, end=end,
                                paragraphs=tuple(paragraphs), source=row.location))
    out.sort(key=lambda a: a.start.first)  # stable: ties keep workbook, then row order
    return out, skipped, referenced


def _repeated(seen: dict[Hashable, Location], key: Hashable, cell: Cell, problems: Problems,
              code: str, message: str) -> bool:
    """Whether `key` was entered before; if so, an error here that names the first place."""
    if key in seen:
        problems.error(code, cell.location, message, fix=f"另一筆在 {seen[key]}；請刪除其中一筆。")
        return True
    seen[key] = cell.location
    return False


def _section_fix(sections: dict[int, _RawSection]) -> str:
    names = [f"{s.number}（{s.title}）" for s in sections.values() if s.kind == "活動"]
    if not names:
        return "章節工作表沒有類型為「活動」的節；請先在章節工作表新增。"
    return "類型為「活動」的節次有：" + "、".join(names) + "。"


def _dates_in_text(paragraphs: list[str], first: dt.date, last: dt.date, cell: Cell,
                   problems: Problems) -> None:
    for paragraph in paragraphs:
        for match in _ROC_DATE_IN_TEXT.finditer(paragraph):
            try:
                day = parse_day(match.group())
            except DateError:
                problems.warning("bad-date-in-text", cell.location,
                                 f"內容中的日期「{match.group()}」不存在。", fix="請確認是否誤植。")
                continue
            if not first <= day.date <= last:
                span = roc_date(first) if first == last else f"{roc_date(first)}至{roc_date(last)}"
                problems.warning("date-in-text-outside", cell.location,
                                 f"內容中的日期「{match.group()}」不在本列的活動期間（{span}）內。",
                                 fix="可能是誤植，請確認內容或開始、結束日期。")


def _visits(books: list[WorkbookData], period: tuple[dt.date, dt.date] | None, cells: _Cells,
            problems: Problems) -> list[Visit]:
    col = VISITS.column
    out: list[Visit] = []
    seen: dict[Hashable, Location] = {}
    for book in books:
        data = book.sheets.get(VISITS.name)
        for row in progress.each(data.rows if data else ()):
            day = cells.day(row["日期"], col("日期"), month_ok=False)
            region = cells.line(row["國家或地區"], col("國家或地區")) or ""
            organisation = cells.line(row["單位"], col("單位"))
            representatives = cells.items(row["代表"], col("代表"))
            people = cells.integer(row["人數"], col("人數"))
            form = cells.choice(row["形式"], col("形式"))
            key = cells.choice(row["主要訪團"], col("主要訪團"))
            if day and period and not period[0] <= day.date <= period[1]:
                problems.error("outside-period", row["日期"].location, "訪賓日期不在報告期間內。",
                               found=_as_text(row["日期"].value),
                               fix=f"報告期間是 {roc_date(period[0])} 至 "
                               f"{roc_date(period[1])}；請確認年份。")
                continue
            if day is not None and organisation is not None and _repeated(
                    seen, (day.date, organisation), row["單位"], problems, "duplicate-visit",
                    f"同一訪賓重複填寫（{day.roc()}「{shorten(organisation)}」）。"):
                continue
            if (day is None or organisation is None or representatives is None or people is None
                    or form is None or key is None):
                continue
            out.append(Visit(date=day.date, region=region, organisation=organisation,
                             representatives=tuple(representatives), people=people,
                             video=form == "視訊", key=key == "是", source=row.location))
    out.sort(key=lambda v: v.date)
    return out


def _stats(visits: list[Visit]) -> VisitStats:
    video = sum(v.video for v in visits)
    return VisitStats(cases=len(visits), people=sum(v.people for v in visits),
                      video_cases=video, in_person_cases=len(visits) - video)


def validate_books(books: list[WorkbookData], problems: Problems | None = None) -> Outcome:
    """Validate workbooks already read; the order of `books` is the file order."""
    problems = problems if problems is not None else Problems()
    settings_data = _one_source(SETTINGS, books, problems)
    sections_data = _one_source(SECTIONS, books, problems)
    frame = _settings(settings_data, problems)
    settings, period, parens = frame.settings, frame.period, frame.parens
    if settings_data:
        _check_same(SETTINGS, books, problems, lambda data: _settings(data, Problems()).settings)
    cells = _Cells(problems, parens)
    raw_sections = _sections(sections_data, cells, problems) if sections_data else []
    if sections_data:
        _check_same(SECTIONS, books, problems, lambda data: [
            s.key for s in _sections(data, _Cells(Problems(), parens), Problems())])
    by_number = {s.number: s for s in raw_sections}
    unjudged = _section_numbers(sections_data) - by_number.keys() if sections_data else None
    activities, skipped, referenced = _activities(books, by_number, period, cells, problems,
                                                  unjudged)
    kinds = {s.kind for s in raw_sections}
    for sheet, kind in ((ACTIVITIES, "活動"), (VISITS, "訪賓")):
        if kind in kinds and not any(sheet.name in book.sheets for book in books):
            _one_source(sheet, books, problems)
    visits = _visits(books, period, cells, problems)
    stats = _stats(visits)
    values = context(settings or _STAND_IN, stats)  # the stand-in only lets 前言 be checked
    sections: list[Section] = []
    items = Counter(a.section for a in activities)
    for raw in raw_sections:
        if raw.kind == "活動" and raw.number not in referenced:
            problems.warning("empty-section", raw.row["節次"].location,
                             f"節次 {raw.number}「{raw.title}」沒有任何活動。",
                             fix="請在「活動」工作表填寫，或刪除這一節。")
        if items[raw.number] > MAX_ITEMS:  # labels (一) … (九百九十九) end there
            problems.error("too-many-items", raw.row["節次"].location,
                           f"節次 {raw.number}「{raw.title}」有 {items[raw.number]:,} 項活動，"
                           f"一節最多 {MAX_ITEMS} 項。", fix="請把活動分到幾個節。")
        preface = _render_preface(raw, values, parens, problems)
        sections.append(Section(number=raw.number, title=raw.title, kind=raw.kind,  # type: ignore[arg-type]
                                preface=tuple(preface), source=raw.row.location))
    if problems.errors or settings is None:
        return Outcome(None, problems, skipped)
    report = Report(settings=settings, sections=tuple(sections),
                    activities=tuple(a for a in activities if a.section in by_number),
                    visits=tuple(visits), stats=stats, skipped=skipped)
    return Outcome(report, problems, skipped)


def _render_preface(raw: _RawSection, values: dict[str, object], parens: str,
                    problems: Problems) -> list[str]:
    if not raw.preface:
        return []
    try:
        text = render("\n\n".join(raw.preface), values)
    except TemplateProblem as exc:
        problems.error("bad-template", raw.row["前言"].location, exc.message, fix=exc.fix)
        return []
    return normalize.clean_prose(text, parens=parens).paragraphs
