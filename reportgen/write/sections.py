"""Each section type's body: the paragraphs printed after a section's 前言.

The types themselves (what staff choose in 類型, where their rows come from) are contract data in
schema.TYPES; a new type is one entry there plus its body in BODIES here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache

from .. import normalize
from ..models import Activity, Report, Section, Visit
from ..numerals import lower
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
    text = visit.organisation + join_names(visit.representatives)
    if visit.video:
        text += normalize.unify_parens("(視訊)", parens)
    return text


def activities(section: Section, report: Report, items: Mapping[int, Sequence[Activity]]) -> list[Block]:
    """Each activity's title under its (n) label, then its paragraphs.

    Most of a large chapter's blocks are made here (100,000 rows, 125,000 blocks), hence one
    plain loop, and each block made as the tuple it is (role, text, label), without the named
    tuple's own __new__ (a Python call per block, an eighth of compose at 100,000 rows).
    """
    blocks: list[Block] = []
    add, make = blocks.append, tuple.__new__
    item, body = Role.ITEM, Role.ITEM_BODY
    for n, activity in enumerate(items.get(section.number, ()), start=1):
        add(make(Block, (item, activity.title, item_label(n))))
        for paragraph in activity.paragraphs:
            add(make(Block, (body, paragraph, "")))
    return blocks


def key_visitors(section: Section, report: Report, items: Mapping[int, Sequence[Activity]]) -> list[Block]:
    """The key visitors (主要訪團) by name, in date order, as one paragraph."""
    names = [visitor(v, report.settings.parens) for v in report.visits if v.key]
    return [Block(Role.SECTION_BODY, "、".join(names) + "等。")] if names else []


def nothing(section: Section, report: Report, items: Mapping[int, Sequence[Activity]]) -> list[Block]:
    return []


BODIES: dict[str, Body] = {"活動": activities, "訪賓": key_visitors, "文字": nothing}
