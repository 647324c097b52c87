"""Rules across rows: the second pass, over rows whose cells are already converted.

Duplicates, the reporting period, section references, dates written in prose, sections with
nothing to print and the one section a sheet's rows all go to. Each rule reads the section
registry (sections.py), so a new section type gets them without a change here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import TYPE_CHECKING

from .. import labels
from ..dates import DateError, Day, parse_day, roc_date
from ..numerals import FORMAL_CHARACTERS, LOWER_CHARACTERS
from ..problems import Location, Problems, shorten
from ..read.table import Cell, Row, SheetData, TableCell, WorkbookData
from ..schema import SECTIONS, SEPARATE, SETTINGS, Sheet, Unique, section_type, section_types, type_for_sheet
from .kinds import INVALID, date_as_text

if TYPE_CHECKING:
    from ..models import Activity, Report, Section
    from .validate import Converted

MAX_ITEMS = 999  # items in one section: the largest label numerals.lower can spell
# A space may stand between the numbers and 年月日 (`110 年 9 月 8 日`): prose keeps one (§4).
_ROC_DATE_IN_TEXT = re.compile(r"(?<!\d)(\d{2,3}) ?年 ?(\d{1,2}) ?月 ?(\d{1,2}) ?日")
# Where an intro sentence begins: after a sentence's end or a clause's (`…到訪，主要訪團代表為：`),
# never one inside brackets or quotes (`主要訪團(含視訊、實體)為：`).
_CLAUSE_END = re.compile(r"[。！？；，、!?;,]")  # where an intro sentence may start (SPEC §3 names 、 too)
_OPENING, _CLOSING = "(（「『[［【〔〈《", ")）」』]］】〕〉》"
_INTRO_ENDS = ("：", ":")
_CLAUSE_ENDS = "；;，,、"  # a sentence cut after one of these ends with 。 instead
# A date written in 內容 (`110年9月8日`): a few hundred distinct ones recur across thousands of rows.
# (A DateError is raised again each time: lru_cache keeps only results.)
_day_in_text = lru_cache(maxsize=4096)(parse_day)


# --- sheets that must come from one workbook ---------------------------------------------------

def one_source(sheet: Sheet, books: list[WorkbookData], problems: Problems) -> SheetData | None:
    """Settings and sections come from one workbook; a copy holding only its header is absent."""
    found = [book.sheets[sheet.name] for book in books if sheet.name in book.sheets]
    if not found:
        problems.add("missing-sheet", Location(_files(books), sheet.name), help=sheet.help.rstrip("。"))
        return None
    return next((data for data in found if not data.empty), found[0])


def _files(books: list[WorkbookData]) -> str:
    """The workbooks a sheet was looked for in, as a message names them (SPEC §2: the error names the file)."""
    names = [book.name for book in books]
    return "、".join(names) if len(names) <= 3 else f"{'、'.join(names[:3])} 等 {len(names)} 個活頁簿"


def check_same(sheet: Sheet, books: list[WorkbookData], problems: Problems,
               signature: Callable[[SheetData], object], parens: str = "半形") -> None:
    """A settings or sections sheet repeated in another workbook must say the same; an error at
    each differing cell names it in each workbook and both values (conflicts.py)."""
    sources = [book for book in books if sheet.name in book.sheets and not book.sheets[sheet.name].empty]
    if len(sources) < 2:
        return
    from .conflicts import differences  # only for a sheet given twice

    first = signature(sources[0].sheets[sheet.name])
    for book in sources[1:]:
        if signature(book.sheets[sheet.name]) != first:
            found = differences(sources[0].sheets[sheet.name], book.sheets[sheet.name], parens)
            for difference in found:
                where = difference.here if difference.here.file == book.name else Location(book.name, sheet.name)
                problems.add("conflicting-sheet", where, first=sources[0].name, **difference.fields(sources[0].name))
            if not found:
                problems.add("conflicting-sheet", Location(book.name, sheet.name), first=sources[0].name, detail="")


def settings_period(start: object, end: object, row: Row,
                    problems: Problems) -> tuple[dt.date, dt.date] | None:
    if not isinstance(start, Day) or not isinstance(end, Day):
        return None
    if end.last < start.first:
        later, earlier = SETTINGS.by_key("end").header, SETTINGS.by_key("start").header
        problems.add("end-before-start", row[later].location, found=date_as_text(row[later].value),
                     later=later, earlier=earlier, advice="請確認報告期間的起迄日期。")
        return None
    return start.first, end.last


# --- sections --------------------------------------------------------------------------------------

@dataclass
class RawSection:
    number: int
    title: str
    kind: str
    preface: list[str]
    row: Row
    format: str = SEPARATE  # 項目格式

    @property
    def key(self) -> tuple[int, str, str, list[str], str]:
        return (self.number, self.title, self.kind, self.preface, self.format)

    def cell(self, key: str) -> Cell:
        """The 章節 row's cell for the column keyed `key` (where a problem about it is shown)."""
        return self.row[SECTIONS.by_key(key).header]


def sections(rows: Sequence[Converted], data: SheetData, problems: Problems) -> list[RawSection]:
    out: list[RawSection] = []
    seen: dict[int, Cell] = {}
    for c in rows:
        number, title, kind = c["number"], c["title"], c["kind"]
        if number is not None and number in seen:
            problems.add("duplicate-section", c.cell("number").location, number=number,
                         other=seen[number].location)
            continue
        if number is None or title is None or kind is None:
            continue
        seen[number] = c.cell("number")
        out.append(RawSection(number, title, kind, c["preface"] or [], c.row, c["format"] or SEPARATE))
    if not data.rows:
        problems.add("no-sections", Location(data.file, SECTIONS.name))
    return sorted(out, key=lambda s: s.number)


def section_numbers(data: SheetData) -> set[int]:
    """Every readable 節次 of the 章節 sheet, valid row or not."""
    from .kinds import Context, convert

    col, ctx = SECTIONS.by_key("number"), Context(Problems())
    numbers = (convert(row[col.header], col, ctx) for row in data.rows)
    return {n for n in numbers if isinstance(n, int)}


def _section_fix(kind: str, by_number: dict[int, RawSection]) -> str:
    names = [f"{s.number}（{s.title}）" for s in by_number.values() if s.kind == kind]
    if not names:
        return f"章節工作表沒有類型為「{kind}」的節；請先在章節工作表新增。"
    return f"類型為「{kind}」的節次有：" + "、".join(names) + "。"


def section_references(rows: Sequence[Converted], sheet: Sheet, by_number: dict[int, RawSection],
                       unjudged: set[int] | None, problems: Problems) -> set[int]:
    """Rows that name their section (節次) must name one of their sheet's type; returns the names.

    `unjudged`: section numbers whose 章節 row has its own error (None: no 章節 sheet at all);
    pointing at them is not a second error.
    """
    kind = type_for_sheet(sheet)
    referenced: set[int] = set()
    if kind is None or not kind.by_number:
        return referenced
    for c in rows:
        number = c["section"]
        if number is None:
            continue
        referenced.add(number)
        section = by_number.get(number)
        if unjudged is None or number in unjudged:
            continue
        if section is None:
            problems.add("unknown-section", c.cell("section").location, number=number,
                         sections=_section_fix(kind.name, by_number))
        elif section.kind != kind.name:
            problems.add("not-activity-section", c.cell("section").location, number=number,
                         title=section.title, kind=section.kind,
                         sections=_section_fix(kind.name, by_number))
    return referenced


def required_sheets(raw: Sequence[RawSection], books: list[WorkbookData], problems: Problems) -> None:
    """A section type in use needs its data sheet somewhere among the workbooks."""
    kinds = {s.kind for s in raw}
    for kind in section_types():
        sheet = kind.sheet
        if sheet is not None and kind.name in kinds and not any(sheet.name in b.sheets for b in books):
            one_source(sheet, books, problems)


def single_sections(raw: Sequence[RawSection], rows_of: dict[str, list[Converted]],
                    problems: Problems, judged: bool = True) -> None:
    """Rows that go to the one section of their type (訪賓) need exactly one such section (SPEC §3:
    when there are visits; without any, each such section is only one with nothing to print)."""
    for kind in section_types():
        if kind.sheet is None or kind.by_number:
            continue
        rows = rows_of.get(kind.sheet.name, [])
        owners = [s for s in raw if s.kind == kind.name]
        if rows and not owners and judged:  # not when a 章節 row of doubtful type may have been meant
            problems.add("missing-section-type", rows[0].row.location, data=kind.sheet.name,
                         kind=kind.name, count=len(rows))
        elif rows and len(owners) > 1:
            ordered = sorted(owners, key=lambda s: s.row.number)
            problems.add("repeated-section-type", ordered[1].cell("kind").location, kind=kind.name,
                         data=kind.sheet.name, count=len(owners),
                         rows="、".join(f"第 {s.row.number} 列" for s in ordered))


def empty_sections(raw: Sequence[RawSection], referenced: dict[str, set[int]],
                   rows_of: dict[str, list[Converted]], present: set[str], problems: Problems) -> set[int]:
    """A section with nothing to print beyond its heading is a warning naming its 章節 row.

    Not when its data sheet is missing altogether: that is already an error. Returns the
    numbers of the sections warned about.
    """
    warned: set[int] = set()
    for section in raw:
        kind = section_type(section.kind)
        if kind.sheet is not None and kind.sheet.name not in present:
            continue
        if kind.sheet is None:
            empty = not section.preface
        elif kind.by_number:
            empty = section.number not in referenced.get(kind.sheet.name, set())
        else:
            empty = not rows_of.get(kind.sheet.name)
        if empty:
            warned.add(section.number)
            _empty_section(problems, section, kind)
    return warned


def _empty_section(problems: Problems, section: RawSection, kind, cut: str = "") -> None:
    """The warning at a section with nothing to print; `cut`: what dangling_intros cut from its 前言."""
    problems.add("empty-section", section.cell("number").location, number=section.number, title=section.title,
                 nothing=kind.nothing, advice=kind.advice, cut=f"；前言最後一句「{cut}」因此不印出" if cut else "")


def too_many_items(raw: Sequence[RawSection], activities: Sequence[Activity], problems: Problems) -> None:
    items = Counter(a.section for a in activities)
    for section in raw:
        if items[section.number] > MAX_ITEMS:  # labels (一) … (九百九十九) end there
            problems.add("too-many-items", section.cell("number").location, number=section.number,
                         title=section.title, count=items[section.number], limit=MAX_ITEMS)


# --- item text -----------------------------------------------------------------------------------

def blank_contents(rows: Sequence[Converted], by_number: dict[int, RawSection], problems: Problems) -> None:
    """A blank 內容 prints the title alone: normal under 標題接內文 (`(一)本期核發護照計615件。`),
    usually forgotten under 標題分段, so a warning there."""
    for c in rows:
        if c.excluded or c.values.get("paragraphs") is not None or not c.cell("paragraphs").location.cell:
            continue  # (no cell: the column is missing, an error of its own)
        section = by_number.get(c["section"]) if c["section"] is not None else None
        if section is not None and section.format == SEPARATE and c["title"] is not None:
            problems.add("blank-content", c.cell("paragraphs").location, format=SEPARATE)


def sub_item_numbers(rows: Sequence[Converted], raw: Sequence[RawSection], settings: SheetData | None,
                     chapter_preface: list[str] | None, problems: Problems) -> None:
    """Sub-item labels that skip or repeat a number at their level (`1、2、4、`): a warning at the cell."""
    # Each place with its cell, looked up only when there is something to report there.
    places: list[tuple[object, Callable[[], Cell]]] = [(c.values.get("paragraphs"), partial(c.cell, "paragraphs"))
                                                       for c in rows]
    places += [(s.preface, partial(s.cell, "preface")) for s in raw]
    if chapter_preface and settings is not None:
        places.append((chapter_preface, partial(settings.rows[0].__getitem__, SETTINGS.by_key("preface").header)))
    for paragraphs, cell in places:
        if not isinstance(paragraphs, list) or not paragraphs:
            continue
        faults = labels.numbering_faults(paragraphs)
        if faults:
            problems.add("sub-item-numbering", cell().location, labels="、".join(f"「{f}」" for f in faults))


# --- dates ---------------------------------------------------------------------------------------

def _period_fix(period: tuple[dt.date, dt.date]) -> dict[str, str]:
    return {"start": roc_date(period[0]), "end": roc_date(period[1])}


def activity_dates(rows: Sequence[Converted], period: tuple[dt.date, dt.date] | None,
                   problems: Problems) -> None:
    """結束日期 not before 開始日期; the activity overlaps the period; dates in 內容 within the row's."""
    for c in rows:
        values = c.values  # INVALID is no Day and is falsy, so the raw values serve
        start, end = values.get("start"), values.get("end")
        if start.__class__ is not Day:
            continue
        if end.__class__ is Day and end.last < start.first:
            problems.add("end-before-start", c.cell("end").location,
                         found=date_as_text(c.cell("end").value), later=c.header("end"), earlier=c.header("start"),
                         advice=f"開始日期是 {start.roc()}；請確認兩個日期。")
            continue
        last = (end if end.__class__ is Day else start).last
        if period and (last < period[0] or start.first > period[1]):
            problems.add("outside-period", c.cell("start").location,
                         found=date_as_text(c.cell("start").value), what=c.sheet.name, **_period_fix(period),
                         advice="請確認年份，或將此列「列入報告」改為否。")
        paragraphs = values.get("paragraphs")
        if paragraphs:
            dates_in_text(paragraphs, start.first, last, partial(c.cell, "paragraphs"), problems)


def visit_dates(rows: Sequence[Converted], period: tuple[dt.date, dt.date] | None,
                problems: Problems) -> None:
    """A visit falls inside the period; one outside is not judged further (not a duplicate)."""
    for c in rows:
        day = c["date"]
        if isinstance(day, Day) and period and not period[0] <= day.date <= period[1]:
            problems.add("outside-period", c.cell("date").location, found=date_as_text(c.cell("date").value),
                         what=c.sheet.name, **_period_fix(period), advice="請確認年份。")
            c.excluded = True


def dates_in_text(paragraphs: list[str], first: dt.date, last: dt.date, cell: Callable[[], Cell],
                  problems: Problems) -> None:
    """A full ROC date written in the text (`110年9月8日`) outside first–last is likely a typo.

    `cell` gives the cell to report at; it is looked up only when there is something to report."""
    for paragraph in paragraphs:
        first_year = paragraph.find("年")
        if first_year < 0:
            continue
        # A date is at most 3 digits and a space before its 年 and 9 characters after it; the regex's
        # lookbehind still sees before `pos`, so scanning only that window finds the same dates, faster.
        window = (max(0, first_year - 4), paragraph.rfind("年") + 10)
        for match in _ROC_DATE_IN_TEXT.finditer(paragraph, *window):
            try:
                day = _day_in_text(match.group())
            except DateError:
                problems.add("bad-date-in-text", cell().location, date=match.group())
                continue
            if not first <= day.date <= last:
                span = roc_date(first) if first == last else f"{roc_date(first)}至{roc_date(last)}"
                problems.add("date-in-text-outside", cell().location, date=match.group(), span=span)


# --- duplicates ----------------------------------------------------------------------------------

def duplicates(rows: Sequence[Converted], unique: Unique, problems: Problems) -> None:
    """The same row entered twice (also across workbooks): an error at the second, naming the first.

    Which columns make a row the same is the sheet's declaration (schema.Unique). Judged even
    when other cells of either row are wrong: both places get fixed at once.
    """
    keys, at, code = unique.keys, unique.at, unique.code
    seen: dict[Hashable, Converted] = {}
    for c in rows:
        if c.excluded:
            continue
        key = tuple(map(c.values.get, keys))
        if None in key or INVALID in key:  # neither equals anything but itself
            continue
        key = tuple(map(_hashable, key))
        if key in seen:
            problems.add(code, c.cell(at).location, other=seen[key].cell(at).location, **_describe(c))
            c.excluded = True
            continue
        seen[key] = c  # its cell is looked up only if a duplicate is found


def _hashable(value: object) -> Hashable:
    kind = value.__class__
    if kind is str:  # most keys: a title, a unit
        return value
    if kind is Day and not value.month_only:  # type: ignore[attr-defined]
        return value.date  # type: ignore[attr-defined]
    return tuple(value) if kind is list else value  # type: ignore[return-value]


def _describe(c: Converted) -> dict[str, object]:
    if "title" in c.values:
        return {"number": c["section"], "start": c["start"].roc(), "title": shorten(c["title"])}
    return {"date": c["date"].roc(), "organisation": shorten(c["organisation"])}


# --- what would print ------------------------------------------------------------------------

def lists_something(section: Section, report: Report, items: dict[int, list[Activity]]) -> bool:
    """Whether the section's body (write/sections.py) prints anything after its 前言, answered
    from the contract alone: its rows by 節次, or the rows its `listed_by` column marks 是."""
    kind = section_type(section.kind)
    if kind.sheet is None:
        return False
    if kind.by_number:
        return bool(items.get(section.number))
    rows = getattr(report, kind.sheet.key)
    if not kind.listed_by:
        return bool(rows)
    field = kind.listed_by
    return any(getattr(row, field) for row in rows)


def _last_clause_end(text: str, start: int = 0) -> int:
    """Where the last sentence or clause outside brackets and quotes ends, from `start` on (0: nowhere)."""
    depth, end = 0, 0
    for index in range(start, len(text)):
        char = text[index]
        if char in _OPENING:
            depth += 1
        elif char in _CLOSING:
            depth = max(0, depth - 1)
        elif depth == 0 and _CLAUSE_END.match(char):
            end = index + 1
    return end


def cut_intro(paragraph: str) -> tuple[str, str]:
    """A paragraph ending with `：` without its last sentence or clause (what is kept, what is cut);
    what is kept ends with 。 (「…計1案，」 → 「…計1案。」). A sub-item's label is no clause: a
    label with nothing kept after it (`2、重點如下：`) goes with the sentence, never left as `2。`."""
    label = labels.parse(paragraph)
    start = label.end if label is not None else 0
    end = _last_clause_end(paragraph, start)
    kept = paragraph[:end] if end else ""
    if kept and kept[-1] in _CLAUSE_ENDS:
        kept = kept[:-1] + "。"
    return kept, paragraph[end:]


# A paragraph ending so reads as a finished sentence; another, once last, gets a 。 (SPEC §3).
_SENTENCE_ENDS = "。！？!?．.…"


def _finished(paragraph: str) -> str:
    """`paragraph` ending as a sentence does: a trailing 、，； becomes 。, and a 。 is added after
    text that stops without one (「…計1案」); a full stop, before a closing quote too, stays."""
    text = paragraph.rstrip()
    if not text:
        return paragraph
    if text[-1] in _CLAUSE_ENDS:
        return text[:-1] + "。"
    core = text.rstrip(_CLOSING + "”’\"'")  # a full stop inside closing quotes of any kind
    if core and core[-1] in _SENTENCE_ENDS:
        return text
    return text + "。"


def drop_dangling(paragraphs: list[str]) -> tuple[list[str], str]:
    """Paragraphs whose last ends with `：` introducing nothing, without that sentence (SPEC §3):
    (the paragraphs kept, the text cut). A last paragraph that is only that sentence is left out,
    and the paragraph before it then ends as a sentence (_finished); one ending with `：` in turn
    introduces nothing either, and goes the same way."""
    kept_paragraphs, cuts = list(paragraphs), []
    while kept_paragraphs and kept_paragraphs[-1].endswith(_INTRO_ENDS):
        kept, cut = cut_intro(kept_paragraphs.pop())
        cuts.insert(0, cut)
        if kept:
            kept_paragraphs.append(kept)
            break
        if kept_paragraphs and not kept_paragraphs[-1].endswith(_INTRO_ENDS):
            kept_paragraphs[-1] = _finished(kept_paragraphs[-1])
    return kept_paragraphs, "」「".join(cuts)  # quoted in the message as 「…」: one quote each


# A label staff typed before a title that build numbers itself: `(一)`, `一、`, `貳拾陸、`, `2.`.
_TYPED_ITEM_LABEL = re.compile(rf"[(（][{LOWER_CHARACTERS}]+[)）]\s*")
_TYPED_SECTION_LABEL = re.compile(rf"[{LOWER_CHARACTERS}]+、\s*")
_TYPED_CHAPTER_LABEL = re.compile(rf"[{FORMAL_CHARACTERS}]+、\s*")
_LABEL_FIRST = frozenset("(（" + LOWER_CHARACTERS + FORMAL_CHARACTERS) | labels.STARTS


def typed_labels(activities: Sequence[Converted], sections: Sequence[RawSection], settings: SheetData | None,
                 problems: Problems) -> None:
    """A title that already begins with the label build gives it (標題 `(一) 與日本…`, 節名 `一、交流`,
    章名 `貳拾陸、國際事務`, or a sub-item's `2.`) would print numbered twice (`(一) (一)與日本…`): a
    warning at the cell, the text printed as typed (nothing is guessed away)."""
    def check(title: object, where: Cell | TableCell, header: str, pattern: re.Pattern[str],
              sub_items: bool = False) -> None:
        if title.__class__ is not str or title[:1] not in _LABEL_FIRST:  # type: ignore[index]
            return
        found = pattern.match(title)  # type: ignore[arg-type]
        label = found.group().strip() if found else None
        if label is None and sub_items and (parsed := labels.parse(title)) is not None:  # type: ignore[arg-type]
            label = title[:parsed.end].strip()  # type: ignore[index]
        if label:
            problems.add("typed-label", where.location, title=shorten(title), label=label, header=header)

    for c in activities:
        if not c.excluded:
            check(c.values.get("title"), c.cell("title"), c.header("title"), _TYPED_ITEM_LABEL, sub_items=True)
    title_header = SECTIONS.by_key("title").header
    for section in sections:
        check(section.title, section.cell("title"), title_header, _TYPED_SECTION_LABEL)
    if settings is not None and settings.rows:
        header = SETTINGS.by_key("title").header
        if header in settings.rows[0].cells:
            cell = settings.rows[0][header]
            check(cell.value, cell, header, _TYPED_CHAPTER_LABEL)


def organisation_twice(visits: Sequence[Converted], problems: Problems) -> None:
    """A 代表 that begins with its 單位 (`日本京都市門川大作市長` under 日本京都市) prints the
    organisation twice, since the list joins them (`日本京都市日本京都市門川大作市長`): a warning."""
    for c in visits:
        organisation, names = c.values.get("organisation"), c.values.get("representatives")
        if (organisation.__class__ is str and organisation and names.__class__ is list and names
                and names[0].__class__ is str and names[0].startswith(organisation)):
            problems.add("organisation-twice", c.cell("representatives").location, organisation=organisation,
                         representative=shorten(names[0]), header=c.header("representatives"),
                         organisation_header=c.header("organisation"))


def dangling_contents(rows: Sequence[Converted], problems: Problems) -> None:
    """An activity's 內容 whose last paragraph ends with `：` introduces nothing (the next item
    follows): that sentence is cut, as a 前言's is, with a warning at the cell (SPEC §3: no
    paragraph ends with `：` followed by nothing). So is the `：` ending a title with no 內容 left
    after it (`(五)標五：` and then the next item)."""
    for c in rows:
        if c.excluded:
            continue
        paragraphs = c.values.get("paragraphs")
        if paragraphs.__class__ is list and paragraphs and paragraphs[-1].endswith(_INTRO_ENDS):
            paragraphs, cut = drop_dangling(paragraphs)
            c.values["paragraphs"] = paragraphs
            problems.add("dangling-content", c.cell("paragraphs").location, sentence=cut)
        title = c.values.get("title")
        if ((paragraphs is None or paragraphs == []) and title.__class__ is str
                and title.endswith(_INTRO_ENDS) and title.rstrip("：:")):
            c.values["title"] = title.rstrip("：:")
            problems.add("dangling-title", c.cell("title").location, title=title, header=c.header("paragraphs"))


def dangling_intros(report: Report, by_number: dict[int, RawSection], problems: Problems,
                    quiet: set[int] = frozenset()) -> Report:
    """No paragraph ends with `：` and nothing after it.

    A 前言 whose last sentence introduces a list (「主要訪團代表為：」) loses that sentence — from the
    last sentence or clause end (。！？；，、) — when the section has no list to print (no key
    visitors, no activities), and the clause kept ends with 。; a paragraph that is only that
    sentence is left out. A warning at the 前言 says what was cut; for a section already warned
    about for having nothing to print (`quiet`), that one warning says it too.
    """
    items: dict[int, list[Activity]] = {}
    for activity in report.activities:
        items.setdefault(activity.section, []).append(activity)
    changed = False
    sections = []
    for section in report.sections:
        preface = list(section.preface)
        body = lists_something(section, report, items)
        if preface and preface[-1].endswith(_INTRO_ENDS) and not body:
            preface, cut = drop_dangling(preface)
            raw = by_number.get(section.number)
            if raw is not None and section.number in quiet:  # one warning for the section, saying both
                at = raw.cell("number").location
                problems[:] = [p for p in problems if not (p.code == "empty-section" and p.location == at)]
                _empty_section(problems, raw, section_type(raw.kind), cut)
            else:
                problems.add("dangling-intro", raw.cell("preface").location if raw else section.source, sentence=cut)
            section = section.model_copy(update={"preface": tuple(preface)})
            changed = True
        raw = by_number.get(section.number)
        if not preface and not body and section.number not in quiet and raw is not None:
            # visits but no key visitor and no 前言, or a 前言 that renders to nothing
            problems.add("empty-section", raw.cell("number").location, number=section.number,
                         title=section.title, nothing="除了標題以外沒有任何內容可印出",
                         advice="請在「章節」工作表填寫「前言」，或刪除這一節。", cut="")
        sections.append(section)
    return report.model_copy(update={"sections": tuple(sections)}) if changed else report
