"""Pure layout: a validated report → a flat tree of labelled headings and paragraphs."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from . import sections as section_types
from .dates import period_text
from .document import Block, Document, Role
from .models import Activity, Report
from .numerals import formal, lower
from .sections import item_label, join_names, visitor

__all__ = ["Block", "Document", "Role", "compose", "item_label", "join_names", "plain_text", "visitor"]


def compose(report: Report) -> Document:
    with _no_cycle_collection():
        return _compose(report)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cyclic collector paused while the tree is made, its blocks frozen after (as
    api.load does with the rows it reads).

    The tree holds no reference cycle, yet a large chapter's 125,000 new blocks set off
    collections that walk them again and again (a quarter of compose at 100,000 rows), and the
    writer's would walk them once more. Reference counting frees them with the document.
    """
    if not gc.isenabled():  # a caller (or a test) already manages the collector
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


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
        blocks.extend(section_types.of(section.kind).body(section, report, by_section))
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
