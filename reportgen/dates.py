"""Dates as staff type them (ROC or Gregorian, day or month) and as the report prints them."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from .cells import fold_width
from .schema import DATE_FORMS, MONTH_FORMS

ROC_OFFSET = 1911
LAST_YEAR = ROC_OFFSET + 999  # the last year a three-digit ROC year can name

_SEP = r"\s*[/\-.．／－]\s*"
_PATTERNS = (
    re.compile(rf"^(?:民國)?\s*(?P<y>\d{{1,4}}){_SEP}(?P<m>\d{{1,2}}){_SEP}(?P<d>\d{{1,2}})$"),
    re.compile(r"^(?:民國)?\s*(?P<y>\d{1,4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日號]?$"),
    re.compile(r"^(?P<y>\d{3})(?P<m>\d{2})(?P<d>\d{2})$"),  # 1100908
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),  # 20210908
    re.compile(rf"^(?:民國)?\s*(?P<y>\d{{1,4}}){_SEP}(?P<m>\d{{1,2}})$"),
    re.compile(r"^(?:民國)?\s*(?P<y>\d{1,4})\s*年\s*(?P<m>\d{1,2})\s*月(?:份)?$"),
)
DATE_ERROR_FIX = ("請填寫實際存在的日期，可用的寫法：" + "、".join(DATE_FORMS)
                  + "；只填月份可寫 " + " 或 ".join(MONTH_FORMS) + "。")


class DateError(ValueError):
    """Raised for text that is not a date, or names a day that does not exist."""


@dataclass(frozen=True, order=True)
class Day:
    """A calendar day, or a whole month (`month_only`) as staff may enter it."""

    date: dt.date
    month_only: bool = False

    @property
    def first(self) -> dt.date:
        return self.date

    @property
    def last(self) -> dt.date:
        if not self.month_only:
            return self.date
        days = calendar.monthrange(self.date.year, self.date.month)[1]
        return self.date.replace(day=days)

    def roc(self) -> str:
        return roc_month(self.date) if self.month_only else roc_date(self.date)


# Calc stores a date before 1900 in an .xlsx as a negative serial (days before 1899-12-30), which
# python-calamine returns as a plain number: these bound the years 1–999.
_SERIAL_EPOCH = dt.date(1899, 12, 30)
_SERIAL_YEAR_1 = (dt.date(1, 1, 1) - _SERIAL_EPOCH).days
_SERIAL_YEAR_1000 = (dt.date(1000, 1, 1) - _SERIAL_EPOCH).days


def western_year_date(value: object) -> dt.date | None:
    """A date cell whose year is below 1000, as the spreadsheet holds it, else None.

    Calc turns a typed `110/9/8` into 9 Sept 110 AD: an .ods gives that date, an .xlsx Calc wrote
    a negative serial number (-653532). No real date of this report lies before the year 1000.
    """
    if isinstance(value, dt.date):
        date = value.date() if isinstance(value, dt.datetime) else value
        return date if date.year < 1000 else None
    if isinstance(value, float) and value.is_integer() and _SERIAL_YEAR_1 <= value < _SERIAL_YEAR_1000:
        return _SERIAL_EPOCH + dt.timedelta(days=int(value))
    return None


def typed_form(date: dt.date) -> str:
    """What staff typed for a date Calc took as a Western year: 0110-09-08 → `110/9/8`."""
    return f"{date.year}/{date.month}/{date.day}"


# The day of the week staff add after a full date (`111年1月5日(三)`, `111/1/5（週三）`,
# `111年1月5日 星期三`): read past, as a reader of the cell would.
_WEEKDAY = re.compile(r"(?<=[0-9日])\s*(?:[(（]\s*(?:星期|週|周|礼拜|禮拜)?[一二三四五六日天]\s*[)）]"
                      r"|(?:星期|週|周|禮拜)[一二三四五六日天])$")


def parse_day(value: object) -> Day:
    """Read a cell value: a real date, a number like 1100908, or text in an accepted form.

    A date cell whose year is below 1000 (western_year_date) is the ROC date staff typed.
    """
    western = western_year_date(value)
    if western is not None:
        try:
            return Day(western.replace(year=western.year + ROC_OFFSET))
        except ValueError as exc:  # 29 February of a year that is not leap in the ROC reading
            raise DateError(typed_form(western)) from exc
    if isinstance(value, dt.date):  # a real date cell (datetime is a date too)
        date = value.date() if isinstance(value, dt.datetime) else value
        if not ROC_OFFSET < date.year <= LAST_YEAR:
            raise DateError(date.isoformat())
        return Day(date)
    if isinstance(value, bool):
        raise DateError(str(value))
    if isinstance(value, float):
        # `110.9` typed into Excel is the number 110.9, and `110.10` the number 110.1: a number
        # with a fraction cannot say which month was meant, so it is refused, never guessed.
        if not value.is_integer():
            raise DateError(str(value))
        value = int(value)
    text = _WEEKDAY.sub("", fold_width(str(value)).strip())
    for pattern in _PATTERNS:
        match = pattern.match(text)
        if match:
            break
    else:
        raise DateError(text)
    year_text = match.group("y")
    year = int(year_text) + (ROC_OFFSET if len(year_text) <= 3 else 0)
    if not ROC_OFFSET < year <= LAST_YEAR:  # ROC year 0, a year before the ROC, or 9999
        raise DateError(text)
    month = int(match.group("m"))
    day_text = match.groupdict().get("d")
    try:
        if day_text is None:
            return Day(dt.date(year, month, 1), month_only=True)
        return Day(dt.date(year, month, int(day_text)))
    except ValueError as exc:
        raise DateError(text) from exc


def roc_year(date: dt.date) -> int:
    return date.year - ROC_OFFSET


def roc_date(date: dt.date) -> str:
    """2021-09-08 → 110年9月8日."""
    return f"{roc_year(date)}年{date.month}月{date.day}日"


def roc_month(date: dt.date) -> str:
    return f"{roc_year(date)}年{date.month}月"


def is_month_start(date: dt.date) -> bool:
    return date.day == 1


def is_month_end(date: dt.date) -> bool:
    return date.day == calendar.monthrange(date.year, date.month)[1]


def period_text(start: dt.date, end: dt.date, *, with_year: bool) -> str:
    """The reporting period as prose: 7月至12月, 110年7月至12月, 110年7月至111年6月."""
    whole_months = is_month_start(start) and is_month_end(end)

    def part(date: dt.date, year: bool) -> str:
        text = f"{roc_year(date)}年" if year else ""
        text += f"{date.month}月"
        return text if whole_months else text + f"{date.day}日"

    same_year = start.year == end.year
    head = part(start, with_year or not same_year)
    if whole_months and (start.year, start.month) == (end.year, end.month):
        return head
    return f"{head}至{part(end, not same_year)}"


def as_text(value: object) -> str:
    """A cell's value as staff would read it back: 3 not 3.0, a date as 110年9月8日 (with its time
    of day, when it has one: 110年9月11日 10:30), a logical cell as the spreadsheet shows it (TRUE)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.date) and value.year < 1000:  # Calc's date of a typed ROC date
        return typed_form(value.date() if isinstance(value, dt.datetime) else value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return roc_date(value.date())
        return f"{roc_date(value.date())} {value:%H:%M}" + (f":{value:%S}" if value.second else "")
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return roc_date(value)
    return str(value)
