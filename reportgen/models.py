"""The validated report: what compose may rely on without checking again."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .dates import Day
from .problems import Location

SectionKind = Literal["活動", "訪賓", "文字"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)


class Settings(_Model):
    chapter: int = Field(ge=1, le=999)
    title: str = Field(min_length=1)
    start: dt.date
    end: dt.date
    parens: Literal["半形", "全形"] = "半形"


class Section(_Model):
    number: int = Field(ge=1)
    title: str = Field(min_length=1)
    kind: SectionKind
    preface: tuple[str, ...] = ()  # rendered paragraphs
    source: Location


class Activity(_Model):
    section: int
    title: str = Field(min_length=1)
    start: Day
    end: Day | None = None
    paragraphs: tuple[str, ...] = Field(min_length=1)
    source: Location

    @property
    def last_day(self) -> dt.date:
        return (self.end or self.start).last


class Visit(_Model):
    date: dt.date
    region: str = ""
    organisation: str = Field(min_length=1)
    representatives: tuple[str, ...] = Field(min_length=1)
    people: int = Field(ge=1)
    video: bool = False
    key: bool = False
    source: Location


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
