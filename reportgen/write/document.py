"""The small document tree compose builds and writers render: labelled headings and paragraphs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from typing import NamedTuple


class Role(str, Enum):
    """What a paragraph is; writers map each role to a template style."""

    CHAPTER = "chapter"
    SECTION = "section"
    ITEM = "item"
    SECTION_BODY = "section_body"
    ITEM_BODY = "item_body"


class Block(NamedTuple):
    """One paragraph. A named tuple, not a dataclass: a large chapter makes 125,000 of them, and
    a tuple is made in half the time (immutable all the same; read by name: role, text, label)."""

    role: Role
    text: str
    label: str = ""  # 貳拾陸、 / 一、 / (一); literal text, never Word numbering


@dataclass(frozen=True)
class Document:
    title: str  # 貳拾陸、國際事務
    subject: str  # 110年7月至12月
    blocks: tuple[Block, ...]
    date: tuple[int, int, int]  # the period's last day, for reproducible core properties

    @cached_property
    def labels(self) -> tuple[tuple[Role, str], ...]:
        """Each distinct (role, label) in order of first appearance.

        The label checks (label_fit, the writer, the template check) read these few hundred, not
        the 125,000 blocks of a large chapter, and the blocks are gone through once.
        """
        return tuple(dict.fromkeys((block.role, block.label) for block in self.blocks if block.label))
