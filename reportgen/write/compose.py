"""Pure layout: a validated report → a flat tree of labelled headings and paragraphs."""

from __future__ import annotations

from ..dates import period_text
from ..models import Activity, Report
from ..numerals import formal, lower
from .document import Block, Document, Role
from .sections import BODIES, item_label, join_names, visitor

__all__ = ["Block", "Document", "Role", "compose", "item_label", "join_names", "plain_text", "visitor"]


def compose(report: Report) -> Document:
    """The chapter's blocks for `report` (api.document pauses the cyclic collector around this)."""
    return _compose(report)


def _compose(report: Report) -> Document:
    settings = report.settings
    chapter_label = formal(settings.chapter) + "、"
    blocks = [Block(Role.CHAPTER, settings.title, chapter_label)]
    by_section: dict[int, list[Activity]] = {}
    for activity in report.activities:
        by_section.setdefault(activity.section, []).append(activity)
    for index, section in enumerate(report.sections, start=1):
        blocks.append(Block(Role.SECTION, section.title, lower(index) + "、"))
        blocks.extend(Block(Role.SECTION_BODY, p) for p in section.preface)
        blocks.extend(BODIES[section.kind](section, report, by_section))
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
