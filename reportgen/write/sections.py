"""Each section type's body: the paragraphs printed after a section's 前言.

The types themselves (what staff choose in 類型, where their rows come from) are contract data in
schema.TYPES; a new type is one entry there plus its body in BODIES here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache

from .. import labels, normalize
from ..models import Activity, Report, Section, Visit
from ..numerals import lower
from ..schema import RUN_IN
from .document import Block, Role

Body = Callable[[Section, Report, Mapping[int, Sequence[Activity]]], list[Block]]


@cache
def item_label(n: int) -> str:
    """Always half-width, as the document handbook prescribes; 括號 governs prose only.

    Remembered: a large chapter spells (一) … (五百) once, not once in every section.
    """
    return f"({lower(n)})"


def join_names(names: tuple[str, ...] | list[str]) -> str:
    """A → A; A, B → A及B; A, B, C → A、B及C."""
    if len(names) == 1:
        return names[0]
    return "、".join(names[:-1]) + "及" + names[-1]


def visitor(visit: Visit, parens: str) -> str:
    """單位 + 代表, and `(視訊)` for a video visit — not twice when staff already wrote it there."""
    text = visit.organisation + join_names(visit.representatives)
    if visit.video and "視訊)" not in text and "視訊）" not in text:
        text += normalize.unify_parens("(視訊)", parens)
    return text


def body(paragraphs: Sequence[str], role: Role, sub_role: Role, digits: str) -> list[Block]:
    """Paragraphs of a 內容 or 前言: a paragraph that starts with a sub-item label (labels.py) is a
    sub-item at its depth, its label printed as the 序號數字 setting says; the rest are `role`."""
    if not any(labels.may_start(p) and labels.parse(p) is not None for p in paragraphs):
        return [Block(role, p) for p in paragraphs]
    return [Block(sub_role, line.text, labels.text(line.label.rank, line.label.number, digits), line.depth)
            if line.label is not None else Block(role, line.text)
            for line in labels.outline(paragraphs)]


def run_in(title: str, first: str) -> str:
    """`標題：內文` — the colon not doubled when the title already ends with one."""
    return title + first if title.endswith(("：", ":")) else f"{title}：{first}"


def activities(section: Section, report: Report, items: Mapping[int, Sequence[Activity]]) -> list[Block]:
    """Each activity's title under its (n) label, then its paragraphs.

    Most of a large chapter's blocks are made here (100,000 rows, 125,000 blocks), hence one
    plain loop, and each block made as the tuple it is (role, text, label, level), without the
    named tuple's own __new__ (a Python call per block, an eighth of compose at 100,000 rows).
    Under 標題接內文 the first paragraph continues the title's (unless it is a sub-item).
    """
    blocks: list[Block] = []
    add, make, starts, parse = blocks.append, tuple.__new__, labels.STARTS, labels.parse
    item, item_body, digits = Role.ITEM, Role.ITEM_BODY, report.settings.digits
    joined = section.format == RUN_IN
    if joined:
        item = Role.ITEM_RUNIN
    for n, activity in enumerate(items.get(section.number, ()), start=1):
        paragraphs = activity.paragraphs
        title = activity.title
        if joined and paragraphs and parse(paragraphs[0]) is None:
            title, paragraphs = run_in(title, paragraphs[0]), paragraphs[1:]
        add(make(Block, (item, title, item_label(n), 0)))
        mark = len(blocks)
        for paragraph in paragraphs:
            if paragraph[:1] in starts and parse(paragraph) is not None:  # sub-items: made again, by depth
                del blocks[mark:]
                blocks.extend(body(paragraphs, item_body, Role.SUBITEM, digits))
                break
            add(make(Block, (item_body, paragraph, "", 0)))
    return blocks


def key_visitors(section: Section, report: Report, items: Mapping[int, Sequence[Activity]]) -> list[Block]:
    """The key visitors (主要訪團) by name, in date order, as one paragraph."""
    names = [visitor(v, report.settings.parens) for v in report.visits if v.key]
    return [Block(Role.SECTION_BODY, "、".join(names) + "等。")] if names else []


def nothing(section: Section, report: Report, items: Mapping[int, Sequence[Activity]]) -> list[Block]:
    return []


BODIES: dict[str, Body] = {"活動": activities, "訪賓": key_visitors, "文字": nothing}
