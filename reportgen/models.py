"""The validated report: what compose may rely on without checking again.

Constraints come from the schema's column declarations (`_field`), so a bound changed there
holds here too.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, InstanceOf, field_validator

from .dates import Day
from .problems import Location
from .schema import ACTIVITIES, BY_DATE, SECTION_TYPES, SECTIONS, SEPARATE, SETTINGS, VISITS, Kind, Sheet


def _field(sheet: Sheet, key: str, default: Any = ...) -> Any:
    """A pydantic Field carrying the column's bounds (counts), choices, or non-emptiness (required text).

    Each model's field names are its sheet's column keys (tests/test_schema.py holds them equal).
    """
    col = sheet.by_key(key)
    if col.kind is Kind.INT:
        return Field(default, ge=col.bounds[0], le=col.bounds[1])
    if col.kind is Kind.CHOICE and not col.yes_no:  # one of the column's canonical choices
        return Field(default, pattern="^(?:" + "|".join(map(re.escape, col.canonical_choices)) + ")$")
    if col.required and not col.may_be_blank and col.kind in (Kind.LINE, Kind.PROSE, Kind.ITEMS):
        return Field(default, min_length=1)
    return Field(default)


# reportgen's own value objects (the reader's cell address, a checked date): taken as they are, an
# isinstance check, rather than as dataclasses pydantic would take apart and validate field by field
# (a third of an Activity's validation).
_Source = InstanceOf[Location]
_Day = InstanceOf[Day]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)


class Settings(_Model):
    chapter: int = _field(SETTINGS, "chapter")
    title: str = _field(SETTINGS, "title")
    start: dt.date
    end: dt.date
    parens: str = _field(SETTINGS, "parens", "半形")
    preface: tuple[str, ...] = ()  # the chapter's 前言, rendered paragraphs
    order: str = _field(SETTINGS, "order", BY_DATE)
    digits: str = _field(SETTINGS, "digits", "半形")


class Section(_Model):
    number: int = _field(SECTIONS, "number")
    title: str = _field(SECTIONS, "title")
    kind: str
    preface: tuple[str, ...] = ()  # rendered paragraphs
    format: str = _field(SECTIONS, "format", SEPARATE)
    source: _Source

    @field_validator("kind")
    @classmethod
    def _registered(cls, value: str) -> str:
        if value not in SECTION_TYPES.values():
            raise ValueError(value)
        return value


class Activity(_Model):
    section: int = _field(ACTIVITIES, "section")
    title: str = _field(ACTIVITIES, "title")
    start: _Day | None = None  # blank only when 活動排序 is 填寫順序
    end: _Day | None = None
    paragraphs: tuple[str, ...] = _field(ACTIVITIES, "paragraphs", ())
    source: _Source

    @property
    def last_day(self) -> dt.date | None:
        day = self.end or self.start
        return day.last if day is not None else None


class Visit(_Model):
    date: dt.date
    region: str = ""
    organisation: str = _field(VISITS, "organisation")
    representatives: tuple[str, ...] = _field(VISITS, "representatives")
    people: int = _field(VISITS, "people")
    form: str = _field(VISITS, "form", "實體")
    key: bool = False  # 主要訪團: listed by name
    source: _Source

    @property
    def video(self) -> bool:
        return self.form == "視訊"


class VisitStats(_Model):
    cases: int = 0
    people: int = 0
    video_cases: int = 0
    in_person_cases: int = 0


class Report(_Model):
    settings: Settings
    sections: tuple[Section, ...]
    activities: tuple[Activity, ...]  # in print order
    visits: tuple[Visit, ...]  # in date order
    stats: VisitStats
    skipped: int = 0  # activity rows marked 列入報告 = 否
