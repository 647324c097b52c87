"""One converter per kind of cell: clean → check blank → convert, each problem at its cell.

Every cell goes through `convert`, so a rule about what staff type (invisible characters pasted
from LINE, a formula error, a full-width digit) holds for every column of that kind, including
columns added to the schema later.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import normalize
from ..cells import fold_width
from ..dates import (  # as_text: cell values in messages, shared with the read stage
    DATE_ERROR_FIX,
    LAST_YEAR,
    ROC_OFFSET,
    DateError,
    as_text,
    parse_day,
    typed_form,
    western_year_date,
)
from ..normalize import visible
from ..problems import Problems
from ..read.table import Cell, TableCell, TableCells
from ..schema import Column, Kind, Sheet
from .limits import MAX_CHARS, fits


class _Invalid:
    """A value that was reported as a problem: the row cannot become a model."""

    def __repr__(self) -> str:
        return "INVALID"

    def __bool__(self) -> bool:
        return False


INVALID = _Invalid()


@dataclass
class Context:
    problems: Problems
    parens: str = "半形"  # the 括號 setting: prose takes its parentheses' width
    # Values already converted without a problem: a column repeats the same few values (是/否,
    # dates, 節次), and conversion is pure given the column, the value and the 括號 setting.
    memo: dict[int, dict[tuple, object]] = field(default_factory=dict, repr=False)  # by id(column)
    steps: dict[tuple, tuple] = field(default_factory=dict, repr=False)  # convert_row's, by table


MEMO_ENTRIES = 4096  # values remembered per column: the first ones; a column of unique titles stops there
_MISS = object()


class _Text:
    """A cell's value after the common cleaning, with what was removed and how to quote it."""

    __slots__ = ("raw", "removed", "value")

    def __init__(self, value: object, removed: tuple[str, ...], raw: object) -> None:
        self.value = value  # str after removing invisible characters, or the cell's number/date
        self.removed = removed
        self.raw = raw

    @property
    def found(self) -> str:
        """The value as typed, invisible characters shown as 〈U+200B〉 (for messages only)."""
        if self.removed:
            return visible(str(self.raw))
        text = as_text(self.raw)
        return visible(text) if normalize.BLANK_GLYPH in text else text

    @property
    def found_date(self) -> str:
        """`found` for a date column: a date cell quoted as it shows (date_as_text), not as a ROC date
        the tool would have made of it (`1905/1/1`, never `-6年1月1日`)."""
        return self.found if self.removed or isinstance(self.raw, str) else date_as_text(self.raw)

    @property
    def invisible(self) -> str:
        """For a rejected value: what the person could not see."""
        if not self.removed:
            return ""
        return f"其中有看不見的字元（{normalize.describe_removed(self.removed)}），以 〈U+…〉 標示。"


def date_as_text(value: object) -> str:
    """A date cell's value as staff typed it: as_text, except that Calc's year-110 date saved in an
    .xlsx (the serial -653532, which as_text would show as a number) reads back as `110/9/8`, and a
    date cell no ROC date can name (1905-01-01, 3000-01-01) as the spreadsheet shows it, `1905/1/1`:
    as a ROC date it would read `-6年1月1日`, which nobody typed."""
    western = western_year_date(value)
    if western is not None:
        return typed_form(western)
    if isinstance(value, dt.date) and not ROC_OFFSET < value.year <= LAST_YEAR:
        shown = typed_form(value)
        if isinstance(value, dt.datetime) and value.time() != dt.time():
            shown += f" {value:%H:%M}" + (f":{value:%S}" if value.second else "")
        return shown
    return as_text(value)


def _clean(cell: Cell, ctx: Context) -> _Text:
    value = cell.value
    if not isinstance(value, str):
        return _Text(value, (), value)
    if normalize.nothing_invisible(value):  # strip_invisible's own fast path, without the call
        return _Text(value, (), value)
    text, removed = normalize.strip_invisible(value)
    if removed:
        ctx.problems.add("invisible-chars", cell.location, chars=normalize.describe_removed(removed),
                         shown=visible(value))
    return _Text(text, removed, value)


_PRINTABLE_INVISIBLE = normalize.ANY_PRINTABLE_INVISIBLE
# The longest text each kind takes (limits.MAX_CHARS); a longer one goes to `fits` for its message.
_LIMITS = {kind: MAX_CHARS.get(kind, sys.maxsize) for kind in Kind}


def convert(cell: Cell, col: Column, ctx: Context) -> object:
    """The cell's value for its column: converted, None when blank and optional, else INVALID."""
    if cell.unsaved_formula or cell.error is not None or cell.covered:
        return _unreadable(cell, ctx)
    value = cell.value
    if value is None:
        return _missing(cell, col, ctx, "必須填寫")
    if isinstance(value, str):
        if not value.strip():
            return _missing(cell, col, ctx, "必須填寫")
        if len(value) > _LIMITS[col.kind] and not fits(value, cell.location, col, ctx.problems):
            return INVALID
    text = _clean(cell, ctx)
    if text.removed and not text.value.strip():  # type: ignore[union-attr]  # removed: value is str
        # Nothing but invisible characters: blank once they are gone (SPEC §4: removed with a
        # warning, never an error quoting them), so an optional date or choice takes its default.
        return _missing(cell, col, ctx, "只有空白或看不見的字元")
    return CONVERTERS[col.kind](text, cell, col, ctx)


def _unreadable(cell: Cell, ctx: Context) -> object:
    if cell.unsaved_formula:
        ctx.problems.add("formula-no-value", cell.location)
    elif cell.error is not None:
        ctx.problems.add("formula-error", cell.location, value=cell.error)
    # else: inside a merged range, reported once at the merge
    return INVALID


def _missing(cell: Cell, col: Column, ctx: Context, state: str) -> object:
    if not col.required or col.may_be_blank:
        return col.default if col.kind is Kind.CHOICE else None
    if cell.location.cell:  # no cell: the column is missing, reported once with the header
        ctx.problems.add("required", cell.location, state=state, hint=col.hint)
    return INVALID


def _nonempty(result: object, shown: str, cell: Cell, col: Column, ctx: Context) -> object:
    if shown:
        return result
    return _missing(cell, col, ctx, "只有空白或看不見的字元")


def _line(text: _Text, cell: Cell, col: Column, ctx: Context) -> object:
    value = text.value
    if isinstance(value, str):  # already stripped by _clean
        line = normalize.line_text(value, ctx.parens)
    else:
        line = normalize.clean_line(as_text(value), parens=ctx.parens).text
    return _nonempty(line, line, cell, col, ctx)


def _prose(text: _Text, cell: Cell, col: Column, ctx: Context) -> object:
    value = text.value
    if isinstance(value, str):  # already stripped by _clean
        paragraphs = normalize.prose_paragraphs(value, ctx.parens)
    else:
        paragraphs = normalize.clean_prose(as_text(value), parens=ctx.parens).paragraphs
    return _nonempty(paragraphs, "".join(paragraphs), cell, col, ctx)


# A 及/與 (or 以及) joining two people: right after a title (市長及…, 大使與…, 總監及…, 教授以及…) or a
# Latin name (John Smith及…), not inside an organisation's name (經濟及能源部, 聖文森及格瑞那丁,
# 馬來西亞友誼及貿易中心), whose character before it names no person.
_JOINED_AFTER_TITLE = re.compile(
    "(?:[長使官師席任表授臣相統理裁事員士人姐生贊書問委辦監軍校務者輯屬記導]|[A-Za-z.])以?[及與]")


def _written_list(items: list[str]) -> bool:
    """Whether a 代表 cell is a list staff already wrote out, printed as typed (SPEC §4: never joined
    again into 甲市長及乙副市長及丙局長), or names to be joined `A及B`, `A、B及C` (SPEC §3).

    The rule: the cell holds a 及/與 joining two people — one right after a title or a Latin name
    (`甲市長、乙副市長及丙局長`, `甲市長及乙副市長、丙局長`, `乙總監及丙經理` on a line of its own).
    A 及 inside an organisation's name joins nobody: `聖文森及格瑞那丁龔薩福總理、甲部長` and
    `甲市長⏎經濟及能源部乙部長` are names to join (…總理及甲部長, 甲市長及經濟及能源部乙部長)."""
    joined = "、".join(items)  # normalized already (clean_list): `市長 及 乙` reads `市長及乙`
    return ("及" in joined or "與" in joined) and _JOINED_AFTER_TITLE.search(joined) is not None


def _items(text: _Text, cell: Cell, col: Column, ctx: Context) -> object:
    items, _removed = normalize.clean_list(as_text(text.value), parens=ctx.parens)
    if len(items) > 1 and _written_list(items):
        items = ["、".join(items)]  # printed as typed: its line breaks read as the 、 they stand for
    return _nonempty(items, "、".join(items), cell, col, ctx)


_WHOLE = re.compile(r"[+-]?\d{1,9}")
# Thousands separators in groups of three only (`1,000`, `1，000` once widths are folded): `2,3`
# or `1,5` is a typo or a decimal comma, never 23 or 15.
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3}){1,2}")
_BAD_GROUPING = "逗號只能用作千分位（每三位一組，例如 1,000）。"


def _count(text: _Text, cell: Cell, col: Column, ctx: Context) -> object:
    value = text.value
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        typed = fold_width(value).strip()
        if _WHOLE.fullmatch(typed) or _GROUPED.fullmatch(typed):
            number = int(typed.replace(",", ""))
    low, high = col.bounds
    if number is None or not low <= number <= high:
        grouping = _BAD_GROUPING if isinstance(value, str) and "," in fold_width(value) and number is None else ""
        ctx.problems.add("bad-number", cell.location, found=text.found, low=low, high=high,
                         example=col.example or low, invisible=grouping + text.invisible)
        return INVALID
    return number


def _date(text: _Text, cell: Cell, col: Column, ctx: Context) -> object:
    try:
        day = parse_day(text.value)
    except DateError:
        ctx.problems.add("bad-date", cell.location, found=text.found_date, forms=DATE_ERROR_FIX,
                         invisible=text.invisible)
        return INVALID
    western = western_year_date(text.value)
    if western is not None:  # Calc took a typed ROC date for a Western year: read as typed, said
        ctx.problems.add("western-year-date", cell.location, typed=typed_form(western),
                         year=western.year, roc=day.roc(),
                         western=f"{day.date.year}/{day.date.month}/{day.date.day}")
    if day.month_only and col.kind is not Kind.MONTH:
        ctx.problems.add("month-not-allowed", cell.location, found=text.found)
        return INVALID
    return day


def _choice(text: _Text, cell: Cell, col: Column, ctx: Context) -> object:
    found = col.choice_of(text.value)
    if found is None:
        ctx.problems.add("bad-choice", cell.location, found=text.found,
                         choices="、".join(col.canonical_choices), invisible=text.invisible)
        return INVALID
    return found


Converter = Callable[[_Text, Cell, Column, Context], object]
CONVERTERS: dict[Kind, Converter] = {
    Kind.LINE: _line,
    Kind.PROSE: _prose,
    Kind.ITEMS: _items,
    Kind.DATE: _date,
    Kind.MONTH: _date,
    Kind.INT: _count,
    Kind.CHOICE: _choice,
}


def convert_row(sheet: Sheet, row, ctx: Context, *, only: tuple[str, ...] | None = None,
                skip: tuple[str, ...] = ()) -> dict[str, object]:
    """Every column of `sheet` (notes aside) converted: its key (schema's Column.key) → value,
    None or INVALID. `only`/`skip` name columns by key too."""
    cells = row.cells
    if type(cells) is not TableCells:
        return {col.key: convert(row[col.header], col, ctx) for col in _plan(sheet, only, skip)}
    return _convert_steps(_steps(sheet, cells.layout, only, skip, ctx), row, cells, ctx)


def convert_row_unless(sheet: Sheet, row, ctx: Context, key: str, value: object) -> dict[str, object] | None:
    """None when column `key` converts to `value` (nothing else converted: 列入報告 = 否 leaves the
    row unchecked); else convert_row's values for the other columns. Same problems, in the same
    order, as `convert_row(only=(key,))` followed by `convert_row(skip=(key,))`."""
    cells = row.cells
    if type(cells) is not TableCells:
        if convert_row(sheet, row, ctx, only=(key,))[key] == value:
            return None
        return convert_row(sheet, row, ctx, skip=(key,))
    layout = cells.layout
    if _convert_steps(_steps(sheet, layout, (key,), (), ctx), row, cells, ctx)[key] == value:
        return None
    return _convert_steps(_steps(sheet, layout, None, (key,), ctx), row, cells, ctx)


def _convert_steps(steps: tuple[_Step, ...], row, cells: TableCells, ctx: Context) -> dict[str, object]:
    """A table row: its values straight from the grid, a Cell made only for a value not remembered."""
    layout, number, raw = cells.layout, cells.number, cells.raw
    width, parens, problems = len(raw), ctx.parens, ctx.problems
    values: dict[str, object] = {}
    for name, col, index, known, text in steps:
        if index is None:  # a column the sheet lacks
            values[name] = convert(row[col.header], col, ctx)
            continue
        value = raw[index] if index < width else None
        if value == "":
            value = None
        if known is None:  # prose, or a sheet with formulas or merges: converted every time
            if text is not None and (found := text(value, parens)):
                values[name] = found
            else:
                values[name] = convert(TableCell(layout, number, index, value), col, ctx)
            continue
        key = (parens, value.__class__, value)
        found = known.get(key, _MISS)
        if found is _MISS:
            if text is None or not (found := text(value, parens)):
                before = len(problems)
                found = convert(TableCell(layout, number, index, value), col, ctx)
                if len(problems) != before or found is INVALID:
                    values[name] = found
                    continue
            if len(known) < MEMO_ENTRIES:
                known[key] = found
        values[name] = list(found) if found.__class__ is list else found  # each row its own list
    return values


def _needs_no_cleaning(value: object, kind: Kind) -> bool:
    """A str that `_clean` passes unchanged with nothing to report and `convert` takes as it is:
    printable characters and line breaks, within the kind's length limit (escapes were decoded
    by the reader)."""
    if value.__class__ is not str or len(value) > _LIMITS[kind]:  # type: ignore[arg-type]
        return False
    # normalize.nothing_invisible, inline: this runs for every text cell not seen before
    if not (value.isprintable() or ("\n" in value and value.replace("\n", "").isprintable())):  # type: ignore[attr-defined]
        return False
    return value.isascii() or _PRINTABLE_INVISIBLE.search(value) is None  # type: ignore[attr-defined]


def _plain_line(value: object, parens: str) -> str | None:
    """`convert`'s result for a line cell whose text needs no cleaning, or None (then `convert`
    runs). An all-space value gives "" here and is left to `convert`, which reports it."""
    return normalize.line_text(value, parens) if _needs_no_cleaning(value, Kind.LINE) else None  # type: ignore[arg-type]


def _plain_prose(value: object, parens: str) -> list[str] | None:
    """_plain_line's shortcut for prose: the paragraphs, or None."""
    if not _needs_no_cleaning(value, Kind.PROSE):
        return None
    return normalize.prose_paragraphs(value, parens) or None  # type: ignore[arg-type]


# The kinds whose text _convert_steps converts without a Cell when it needs no cleaning.
_PLAIN_TEXT = {Kind.LINE: _plain_line, Kind.PROSE: _plain_prose}


_Step = tuple[str, Column, "int | None", "dict[tuple, object] | None", "Callable[[object, str], object] | None"]


def _steps(sheet: Sheet, layout, only: tuple[str, ...] | None, skip: tuple[str, ...],
           ctx: Context) -> tuple[_Step, ...]:
    """For each column convert_row converts: its key, where the table holds it, its memo and,
    on a sheet without formulas or merges, the shortcut for text that needs no cleaning."""
    key = (id(layout), id(sheet), only, skip)
    found = ctx.steps.get(key)
    if found is not None and found[0] is layout and found[1] is sheet.columns:
        return found[2]
    plain = not (layout.facts.unsaved or layout.facts.errors or layout.covered)
    steps = tuple((col.key, col, layout.columns.get(col.header),
                   ctx.memo.setdefault(id(col), {}) if plain and col.kind is not Kind.PROSE else None,
                   _PLAIN_TEXT.get(col.kind) if plain else None)
                  for col in _plan(sheet, only, skip))
    ctx.steps[key] = (layout, sheet.columns, steps)
    return steps


_PLANS: dict[tuple[int, tuple[str, ...] | None, tuple[str, ...]], tuple[tuple, tuple[Column, ...]]] = {}


def _plan(sheet: Sheet, only: tuple[str, ...] | None, skip: tuple[str, ...]) -> tuple[Column, ...]:
    """The columns convert_row converts, in the sheet's order (remade when the sheet's columns change)."""
    key = (id(sheet), only, skip)
    found = _PLANS.get(key)
    if found is not None and found[0] is sheet.columns:
        return found[1]
    plan = tuple(col for col in sheet.columns
                 if not (col.note or col.key in skip or (only is not None and col.key not in only)))
    _PLANS[key] = (sheet.columns, plan)
    return plan
