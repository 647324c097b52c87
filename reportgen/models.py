"""The validated report: what compose may rely on without checking again.

Constraints come from the schema's column declarations (`_field`), so a bound changed there
holds here too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .dates import Day
from .problems import Location
from .schema import ACTIVITIES, SECTION_TYPES, SECTIONS, SETTINGS, VISITS, Kind, Sheet


def _field(sheet: Sheet, key: str, default: Any = ...) -> Any:
    """A pydantic Field carrying the column's bounds (counts) or non-emptiness (required text).

    Each model's field names are its sheet's column keys (tests/test_schema.py holds them equal).
    """
    col = sheet.by_key(key)
    if col.kind is Kind.INT:
        return Field(default, ge=col.bounds[0], le=col.bounds[1])
    if col.required and col.kind in (Kind.LINE, Kind.PROSE, Kind.ITEMS):
        return Field(default, min_length=1)
    return Field(default)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)


class Settings(_Model):
    chapter: int = _field(SETTINGS, "chapter")
    title: str = _field(SETTINGS, "title")
    start: dt.date
    end: dt.date
    parens: str = _field(SETTINGS, "parens", "半形")

    @field_validator("parens")
    @classmethod
    def _known_width(cls, value: str) -> str:
        if value not in SETTINGS.by_key("parens").canonical_choices:
            raise ValueError(value)
        return value


class Section(_Model):
    number: int = _field(SECTIONS, "number")
    title: str = _field(SECTIONS, "title")
    kind: str
    preface: tuple[str, ...] = ()  # rendered paragraphs
    source: Location

    @field_validator("kind")
    @classmethod
    def _registered(cls, value: str) -> str:
        if value not in SECTION_TYPES.values():
            raise ValueError(value)
        return value


class Activity(_Model):
    section: int = _field(ACTIVITIES, "section")
    title: str = _field(ACTIVITIES, "title")
    start: Day
    end: Day | None = None
    paragraphs: tuple[str, ...] = _field(ACTIVITIES, "paragraphs")
    source: Location

    @property
    def last_day(self) -> dt.date:
        return (self.end or self.start).last


class Visit(_Model):
    date: dt.date
    region: str = ""
    organisation: str = _field(VISITS, "organisation")
    representatives: tuple[str, ...] = _field(VISITS, "representatives")
    people: int = _field(VISITS, "people")
    form: str = _field(VISITS, "form", "實體")
    key: bool = False  # 主要訪團: listed by name
    source: Location

    @field_validator("form")
    @classmethod
    def _known_form(cls, value: str) -> str:
        if value not in VISITS.by_key("form").canonical_choices:
            raise ValueError(value)
        return value

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
