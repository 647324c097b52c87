"""Section types as a registry: each names its data sheet, how its rows find it, and its body.

Adding a type is one entry in `TYPES`: the 類型 dropdown, validation (which rows belong where,
what counts as empty) and compose all read it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING

from .. import normalize
from ..numerals import lower
from ..schema import ACTIVITIES, SECTION_TYPES, SECTIONS, VISITS, Sheet
from .document import Block, Role

if TYPE_CHECKING:
    from ..models import Activity, Report, Section, Visit

Body = Callable[["Section", "Report", Mapping[int, Sequence["Activity"]]], list[Block]]


@dataclass(frozen=True)
class SectionType:
    name: str  # what staff choose in 類型
    help: str
    sheet: Sheet | None  # the sheet whose rows print in a section of this type, if any
    # True: each row names its section in 節次 (several sections of the type may exist);
    # False: all rows of `sheet` go to the one section of this type (exactly one when there are rows).
    by_number: bool
    body: Body  # the paragraphs after the section's 前言
    nothing: str  # for the empty-section warning: what the section lacks
    advice: str  # and what to do
    aliases: tuple[str, ...] = ()
    # Whether `body` would print anything, answered without building it (optional: by default
    # the body is built and looked at; a large chapter's rules ask this for every section).
    prints: Callable[[Section, Report, Mapping[int, Sequence[Activity]]], bool] | None = None

    def has_body(self, section: Section, report: Report, items: Mapping[int, Sequence[Activity]]) -> bool:
        if self.prints is not None:
            return self.prints(section, report, items)
        return bool(self.body(section, report, items))


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


def _activities(section: Section, report: Report,
                items: Mapping[int, Sequence[Activity]]) -> list[Block]:
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


def _key_visitors(section: Section, report: Report,
                  items: Mapping[int, Sequence[Activity]]) -> list[Block]:
    names = [visitor(v, report.settings.parens) for v in report.visits if v.key]
    return [Block(Role.SECTION_BODY, "、".join(names) + "等。")] if names else []


def _nothing(section: Section, report: Report, items: Mapping[int, Sequence[Activity]]) -> list[Block]:
    return []


TYPES: tuple[SectionType, ...] = ()
REGISTRY: dict[str, SectionType] = {}


def _type_help() -> str:
    """The 類型 column's help, from the registry: 活動（活動清單）、訪賓（…）或文字（只有前言）。"""
    parts = [f"{t.name}（{t.help}）" for t in TYPES]
    return ("、".join(parts[:-1]) + "或" + parts[-1] if len(parts) > 1 else parts[0]) + "。"


def register(kind: SectionType) -> None:
    """Add a section type: the 類型 choices, its help, validation and compose all follow."""
    global TYPES
    TYPES = (*(t for t in TYPES if t.name != kind.name), kind)
    REGISTRY[kind.name] = kind
    SECTION_TYPES.update({spelling: kind.name for spelling in (kind.name, *kind.aliases)})
    SECTIONS.columns = tuple(replace(col, help=_type_help()) if col.header == "類型" else col
                             for col in SECTIONS.columns)


register(SectionType("活動", "活動清單", ACTIVITIES, True, _activities,
                     "沒有任何活動", "請在「活動」工作表填寫，或刪除這一節。",
                     prints=lambda section, report, items: bool(items.get(section.number))))
register(SectionType("訪賓", "訪賓統計與主要訪團", VISITS, False, _key_visitors,
                     "沒有任何訪賓", "請在「訪賓」工作表填寫，或刪除這一節。",
                     prints=lambda section, report, items: any(v.key for v in report.visits)))
register(SectionType("文字", "只有前言", None, False, _nothing,
                     "沒有前言", "請在「章節」工作表的「前言」填寫內容，或刪除這一節。"))


def of(name: str) -> SectionType:
    return REGISTRY[name]


def type_for_sheet(sheet: Sheet) -> SectionType | None:
    return next((t for t in TYPES if t.sheet is sheet), None)
