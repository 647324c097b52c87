"""Where sub-items and run-in items sit on the page: layouts carried on their paragraphs.

A sub-item (`1、`, `(1)`, `甲、` … in 內容 or 前言) is a body paragraph with a hanging indent of its
own: its label hangs at the text edge of its parent (the item's or section's body text, or the
parent sub-item's text), and its wrapped lines align after the label. A `標題接內文` item,
`(一)標題：內文`, is body text laid out like an item heading: the label hangs where 標題 3's does
and wrapped lines start under the title's first character.

No style is added to the template for them (an editor's existing template keeps working, and a
chapter without sub-items is byte for byte what it was): each borrows its context's body style
(項內文 or 節內文) — fonts, size, spacing — and carries its own indents and tab stop, computed from
that style's text edge and font size and from the widest label at each depth in this chapter.
"""

from __future__ import annotations

import math
import re
import unicodedata

from .document import Document, Role
from .wordml import StyleSheet, q

DEFAULT_HALF_POINTS = 20
GAP_EM = 0.25  # room after the widest label so the tab after it reaches its stop
# Estimated advance widths in ems (Times New Roman for Latin, 標楷體 full-width for the rest).
_NARROW_EM = {**dict.fromkeys("0123456789", 0.5), **dict.fromkeys("()", 1 / 3), ".": 0.25}
_UPPER_EM, _LOWER_EM, _OTHER_EM = 0.72, 0.5, 0.5
# The body style whose fonts each new role borrows.
BORROWED: dict[Role, Role] = {Role.SUBITEM: Role.ITEM_BODY, Role.SECTION_SUBITEM: Role.SECTION_BODY,
                              Role.ITEM_RUNIN: Role.ITEM_BODY}
_IND = re.compile(r"<(\w+):ind ([^>]*)/>")
_TABS = re.compile(r"<(\w+):tabs>.*?</\1:tabs>")


def label_em(label: str) -> float:
    """A sub-item label's width in ems: full-width characters 1, digits ½, parentheses ⅓."""
    total = 0.0
    for char in label:
        if unicodedata.east_asian_width(char) in "WF":
            total += 1.0
        elif char in _NARROW_EM:
            total += _NARROW_EM[char]
        else:
            total += _UPPER_EM if char.isupper() else _LOWER_EM if char.islower() else _OTHER_EM
    return total


def _half_points(sheet: StyleSheet, style_id: str) -> int:
    """The style's font size (half-points): the first valid w:sz along its basedOn chain, else the
    document default's."""
    for rpr in (*(style.find(q("rPr")) for style in sheet.chain(style_id)), sheet.default("rPr")):
        size = rpr.find(q("sz")) if rpr is not None else None
        if size is not None and (size.get(q("val")) or "").isdigit():
            return int(size.get(q("val")))
    return DEFAULT_HALF_POINTS


def _attributes(layout: str) -> tuple[str, dict[str, str]]:
    """The prefix and the w:ind attributes of a carried layout (paragraph_layout always states one)."""
    match = _IND.search(layout)
    if match is None:
        return "w", {}
    prefix = match.group(1)
    pairs = re.findall(rf'{prefix}:(\w+)="([^"]*)"', match.group(2))
    return prefix, dict(pairs)


def _left(attributes: dict[str, str]) -> int:
    value = attributes.get("left", attributes.get("start", "0"))
    return int(value) if value.lstrip("-").isdigit() else 0


def _with_indent(layout: str, w: str, left: int, hanging: int) -> str:
    """`layout` with its tab stops and indents replaced: one tab stop at the text edge. Each direction
    set in twips has its character units set to 0, as paragraph_layout does for every other paragraph
    (in Word a master's `firstLineChars="200"` would otherwise override the hanging label)."""
    tabs = f'<{w}:tabs><{w}:tab {w}:val="left" {w}:pos="{left}"/></{w}:tabs>'
    ind = (f'<{w}:ind {w}:left="{left}" {w}:leftChars="0" {w}:right="0" {w}:rightChars="0" '
           f'{w}:hanging="{hanging}" {w}:firstLineChars="0" {w}:hangingChars="0"/>')
    without = _TABS.sub("", _IND.sub("", layout))
    return without + tabs + ind


def hangs(document: Document, half_points: int) -> dict[int, int]:
    """Each sub-item depth's hanging indent in twips: the widest label there, and a little room."""
    em = half_points * 10
    return {level: math.ceil((max(map(label_em, found)) + GAP_EM) * em / 10) * 10
            for level, found in document.sub_labels.items()}


def layouts(styles_xml: bytes, style_ids: dict[Role, str], document: Document,
            carried: dict[str, str]) -> dict[tuple[Role, int], str]:
    """The layout each new role's paragraphs carry, by (role, depth): depth 0 for run-in items.

    `carried`: paragraph_layout's layout of each template style id (after label_fit's widening),
    which these start from, so toggles and everything else are the body style's own.
    """
    roles = {role for role, _ in document.labels if role in BORROWED}  # every such paragraph has a label
    if not roles:
        return {}
    sheet = StyleSheet.parse(styles_xml)
    out: dict[tuple[Role, int], str] = {}
    if Role.ITEM_RUNIN in roles:
        body = carried[style_ids[Role.ITEM_BODY]]
        w, heading = _attributes(carried[style_ids[Role.ITEM]])
        hanging = int(heading.get("hanging", "0")) if heading.get("hanging", "0").isdigit() else 0
        out[(Role.ITEM_RUNIN, 0)] = _with_indent(body, w, _left(heading), hanging)
    for role in (Role.SUBITEM, Role.SECTION_SUBITEM):
        if role not in roles:
            continue
        style_id = style_ids[BORROWED[role]]
        body = carried[style_id]
        w, attributes = _attributes(body)
        edge = _left(attributes)
        for level, hang in sorted(hangs(document, _half_points(sheet, style_id)).items()):
            edge += hang
            out[(role, level)] = _with_indent(body, w, edge, hang)
    return out
