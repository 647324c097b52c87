"""Pure layout: a validated report → a flat tree of labelled headings and paragraphs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from . import normalize
from .dates import period_text
from .models import Activity, Report, Visit
from .numerals import formal, lower


class Role(str, Enum):
    """What a paragraph is; writers map each role to a template style."""

    CHAPTER = "chapter"
    SECTION = "section"
    ITEM = "item"
    SECTION_BODY = "section_body"
    ITEM_BODY = "item_body"


@dataclass(frozen=True)
class Block:
    role: Role
    text: str
    label: str = ""  # 貳拾陸、 / 一、 / (一); literal text, never Word numbering


@dataclass(frozen=True)
class Document:
    title: str  # 貳拾陸、國際事務
    subject: str  # 110年7月至12月
    blocks: tuple[Block, ...]
    date: tuple[int, int, int]  # the period's last day, for reproducible core properties


def item_label(n: int) -> str:
    """Always half-width, as the document handbook prescribes; 括號 governs prose only."""
    return f"({lower(n)})"


def join_names(names: tuple[str, ...] | list[str]) -> str:
    """A → A; A, B → A及B; A, B, C → A、B及C."""
    if len(names) == 1:
        return names[0]
    return "、".join(names[:-1]) + "及" + names[-1]


def visitor(visit: Visit, parens: str) -> str:
    text = visit.organisation + join_names(visit.representatives)
    if visit.video:
        text += normalize.unify_parens("(視訊)", parens)
    return text


def compose(report: Report) -> Document:
    settings = report.settings
    chapter_label = formal(settings.chapter) + "、"
    blocks = [Block(Role.CHAPTER, settings.title, chapter_label)]
    by_section: dict[int, list[Activity]] = {}
    for activity in report.activities:
        by_section.setdefault(activity.section, []).append(activity)
    for index, section in enumerate(report.sections, start=1):
        blocks.append(Block(Role.SECTION, section.title, lower(index) + "、"))
        blocks.extend(Block(Role.SECTION_BODY, p) for p in section.preface)
        if section.kind == "活動":
            for n, activity in enumerate(by_section.get(section.number, ()), start=1):
                blocks.append(Block(Role.ITEM, activity.title, item_label(n)))
                blocks.extend(Block(Role.ITEM_BODY, p) for p in activity.paragraphs)
        elif section.kind == "訪賓":
            names = [visitor(v, settings.parens) for v in report.visits if v.key]
            if names:
                blocks.append(Block(Role.SECTION_BODY, "、".join(names) + "等。"))
    end = settings.end
    return Document(
        title=chapter_label + settings.title,
        subject=period_text(settings.start, settings.end, with_year=True),
        blocks=tuple(blocks),
        date=(end.year, end.month, end.day),
    )


def plain_text(document: Document) -> str:
    """The chapter as text, one paragraph a line: what `preview` prints and tests compare."""
    lines = []
    for block in document.blocks:
        gap = " " if block.role is Role.ITEM else ""
        lines.append(f"{block.label}{gap}{block.text}")
    return "\n".join(lines) + "\n"
