"""Hanging indents that fit the labels a chapter actually has: 十一、 and (二十一) need more room.

The template's 標題 2 hangs for 一、 and 標題 3 for (一) plus one character's gap. A chapter
with eleven sections or eleven items has wider labels; the styles written into that chapter
(style-level, never direct formatting) grow by the extra characters, and the text columns move
with them, so wrapped titles still start after their labels and body text stays under titles.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from .compose import Document, Role
from .wordml import PPR_ORDER, STYLE_ORDER, StyleSheet, insert_in_order, q, serialize

BASE_LABELS = {Role.SECTION: "一、", Role.ITEM: "(一)"}
PAREN_EM = 1 / 3  # ( and ) in Times New Roman and most Latin faces, for estimates
ITEM_GAP_EM = 1.0  # (一) then one character, as the document handbook sets item titles
SECTION_GAP_EM = 0.25  # 、 is its own gap; a little room so the tab after 十一、 reaches its stop


def wide_chars(text: str) -> int:
    """Full-width characters (一, 十, 、): each is one em of the heading's size."""
    return sum(unicodedata.east_asian_width(c) in "WF" for c in text)


def label_em(label: str) -> float:
    """A label's estimated width in ems: full-width characters 1, anything else a third (parentheses)."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else PAREN_EM for c in label)


@dataclass(frozen=True)
class LabelWidths:
    """Full-width characters the widest label of each kind has beyond 一、 / (一)."""

    section: int = 0
    item: int = 0


def widest_labels(document: Document) -> dict[Role, str]:
    """The widest section and item label present (ties: the first)."""
    widest: dict[Role, tuple[int, str]] = {}  # each role's widest label so far, with its width
    for role, label in document.labels:
        if role in BASE_LABELS:
            width = wide_chars(label)
            if role not in widest or width > widest[role][0]:
                widest[role] = (width, label)
    return {role: label for role, (_, label) in widest.items()}


def label_widths(document: Document) -> LabelWidths:
    """How much wider than 一、 and (一) the chapter's widest labels are, in full-width characters."""
    return widths_of(widest_labels(document))


def widths_of(widest: dict[Role, str]) -> LabelWidths:
    """label_widths for the widest labels already found."""

    def extra(role: Role) -> int:
        return max(0, wide_chars(widest.get(role, "")) - wide_chars(BASE_LABELS[role]))

    return LabelWidths(section=extra(Role.SECTION), item=extra(Role.ITEM))


class _Styles(StyleSheet):
    """styles.xml being widened; inherited values are read from `pristine`, before any style moved."""

    def __init__(self, root, pristine: StyleSheet) -> None:  # root: lxml.etree._Element
        super().__init__(root)
        self.pristine = pristine

    def own(self, style_id: str, tag: str):
        """The style's own pPr child `tag`, copied from its chain when only inherited; None when nowhere."""
        from copy import deepcopy

        style = self.by_id.get(style_id)
        if style is None:
            return None
        ppr = style.find(q("pPr"))
        if ppr is not None and ppr.find(q(tag)) is not None:
            return ppr.find(q(tag))
        inherited = self.pristine.find(style_id, f"pPr/{tag}")
        if inherited is None:
            return None
        if ppr is None:
            ppr = insert_in_order(style, style.makeelement(q("pPr"), {}), STYLE_ORDER)
        return insert_in_order(ppr, deepcopy(inherited), PPR_ORDER)


def _left_attr(ind) -> str:
    return q("start") if ind.get(q("left")) is None and ind.get(q("start")) is not None else q("left")


def _shift(styles: _Styles, style_id: str | None, left: int, hanging: int = 0) -> None:
    """Move a style's text edge by `left` twips and widen its hanging indent by `hanging`.

    A tab stop at the old text edge moves with it: it is where a heading's title starts.
    """
    if not style_id or not (left or hanging):
        return
    ind = styles.own(style_id, "ind")
    if ind is None:
        return
    key = _left_attr(ind)
    old = int(ind.get(key, "0"))
    ind.set(key, str(old + left))
    if hanging and ind.get(q("hanging")) is not None:
        ind.set(q("hanging"), str(int(ind.get(q("hanging"))) + hanging))
        ind.attrib.pop(q("hangingChars"), None)  # a size in characters would override the twips
    ind.attrib.pop(q("leftChars"), None)
    ind.attrib.pop(q("startChars"), None)
    tabs = styles.own(style_id, "tabs")
    if tabs is not None:
        for tab in tabs.iter(q("tab")):
            if abs(int(tab.get(q("pos"), "0")) - old) <= 1:
                tab.set(q("pos"), str(old + left))


def _needed(styles: _Styles, style_id: str, label: str, gap_em: float) -> int:
    """Twips a style's hanging indent must grow so `label` and a gap fit before the text edge."""
    size = styles.size_twips(style_id)
    ind = styles.find(style_id, "pPr/ind")
    hanging = int(ind.get(q("hanging"), "0")) if ind is not None else 0
    return max(0, math.ceil(label_em(label) * size + gap_em * size - hanging))


def fit_labels(styles_xml: bytes, ids: dict[Role, str], lead_id: str | None, widest: dict[Role, str]) -> bytes:
    """styles.xml with the heading indents grown for the chapter's widest labels (see module doc).

    An item title follows the widest label after one character; a section title after its 、
    and a quarter character, room for the tab that lines titles up. A template that already
    leaves that much room is not changed.
    """
    pristine = StyleSheet.parse(styles_xml)
    styles = _Styles(StyleSheet.parse(styles_xml).root, pristine)
    section = item = 0
    if wide_chars(widest.get(Role.SECTION, "")) > wide_chars(BASE_LABELS[Role.SECTION]):
        section = _needed(pristine, ids[Role.SECTION], widest[Role.SECTION], SECTION_GAP_EM)
    if wide_chars(widest.get(Role.ITEM, "")) > wide_chars(BASE_LABELS[Role.ITEM]):
        item = _needed(pristine, ids[Role.ITEM], widest[Role.ITEM], ITEM_GAP_EM)
    if not (section or item):
        return styles_xml
    _shift(styles, ids[Role.SECTION], section, section)
    _shift(styles, ids[Role.SECTION_BODY], section)
    _shift(styles, lead_id, section)
    _shift(styles, ids[Role.ITEM], section + item, item)
    _shift(styles, ids[Role.ITEM_BODY], section + item)
    return serialize(styles.root)
