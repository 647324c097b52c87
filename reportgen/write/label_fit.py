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

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
BASE_LABELS = {Role.SECTION: "一、", Role.ITEM: "(一)"}
DEFAULT_HALF_POINTS = 20  # Word's size when no style or default states one (10 pt)
PAREN_EM = 1 / 3  # ( and ) in Times New Roman and most Latin faces, for estimates
ITEM_GAP_EM = 1.0  # (一) then one character, as the document handbook sets item titles
SECTION_GAP_EM = 0.25  # 、 is its own gap; a little room so the tab after 十一、 reaches its stop
# Children of w:pPr in the schema's order, for inserting an element a style did not have.
_PPR_ORDER = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
              "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
              "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd",
              "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc",
              "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
              "sectPr", "pPrChange")


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
        if role is Role.ITEM_RUNIN:  # `(一)標題：內文` hangs its label like an item heading
            role = Role.ITEM
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


def _q(tag: str) -> str:
    return f"{{{W}}}{tag}"


class _Styles:
    """styles.xml with lookups along basedOn chains."""

    def __init__(self, root, pristine: _Styles | None = None) -> None:  # root: lxml.etree._Element
        self.root = root
        self.by_id = {s.get(_q("styleId")): s for s in root.iter(_q("style"))}
        self.pristine = pristine or self  # inherited values are read before any style moved

    def chain(self, style_id: str):
        seen = set()
        style = self.by_id.get(style_id)
        while style is not None and id(style) not in seen:
            seen.add(id(style))
            yield style
            based = style.find(_q("basedOn"))
            style = self.by_id.get(based.get(_q("val"))) if based is not None else None

    def find(self, style_id: str, path: str):
        """The element at `path` under the first style of the chain that states it, else the defaults'."""
        steps = "/".join(_q(p) for p in path.split("/"))
        for style in self.chain(style_id):
            found = style.find(steps)
            if found is not None:
                return found
        kind = "rPrDefault" if path.startswith("rPr") else "pPrDefault"
        return self.root.find(f"{_q('docDefaults')}/{_q(kind)}/{steps}")

    def size_twips(self, style_id: str) -> int:
        """One em of the style's font size, in twips."""
        sz = self.find(style_id, "rPr/sz")
        half_points = int(sz.get(_q("val"), DEFAULT_HALF_POINTS)) if sz is not None else DEFAULT_HALF_POINTS
        return half_points * 10

    def own(self, style_id: str, tag: str):
        """The style's own pPr child `tag`, copied from its chain when only inherited; None when nowhere."""
        from copy import deepcopy

        style = self.by_id.get(style_id)
        if style is None:
            return None
        ppr = style.find(_q("pPr"))
        if ppr is not None and ppr.find(_q(tag)) is not None:
            return ppr.find(_q(tag))
        inherited = self.pristine.find(style_id, f"pPr/{tag}")
        if inherited is None:
            return None
        if ppr is None:
            ppr = style.makeelement(_q("pPr"), {})
            rpr = style.find(_q("rPr"))
            if rpr is not None:
                rpr.addprevious(ppr)
            else:
                style.append(ppr)
        element = deepcopy(inherited)
        rank = _PPR_ORDER.index(tag)
        later = next((c for c in ppr if _rank(c) > rank), None)
        if later is not None:
            later.addprevious(element)
        else:
            ppr.append(element)
        return element


def _rank(element) -> int:
    from lxml import etree

    name = etree.QName(element).localname if isinstance(element.tag, str) else ""
    return _PPR_ORDER.index(name) if name in _PPR_ORDER else len(_PPR_ORDER)


def _left_attr(ind) -> str:
    return _q("start") if ind.get(_q("left")) is None and ind.get(_q("start")) is not None else _q("left")


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
    if hanging and ind.get(_q("hanging")) is not None:
        ind.set(_q("hanging"), str(int(ind.get(_q("hanging"))) + hanging))
        ind.attrib.pop(_q("hangingChars"), None)  # a size in characters would override the twips
    ind.attrib.pop(_q("leftChars"), None)
    ind.attrib.pop(_q("startChars"), None)
    tabs = styles.own(style_id, "tabs")
    if tabs is not None:
        for tab in tabs.iter(_q("tab")):
            if abs(int(tab.get(_q("pos"), "0")) - old) <= 1:
                tab.set(_q("pos"), str(old + left))


def _needed(styles: _Styles, style_id: str, label: str, gap_em: float) -> int:
    """Twips a style's hanging indent must grow so `label` and a gap fit before the text edge."""
    size = styles.size_twips(style_id)
    ind = styles.find(style_id, "pPr/ind")
    hanging = int(ind.get(_q("hanging"), "0")) if ind is not None else 0
    return max(0, math.ceil(label_em(label) * size + gap_em * size - hanging))


def fit_labels(styles_xml: bytes, ids: dict[Role, str], lead_id: str | None, widest: dict[Role, str]) -> bytes:
    """styles.xml with the heading indents grown for the chapter's widest labels (see module doc).

    An item title follows the widest label after one character; a section title after its 、
    and a quarter character, room for the tab that lines titles up. A template that already
    leaves that much room is not changed.
    """
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    pristine = _Styles(etree.fromstring(styles_xml, parser))
    styles = _Styles(etree.fromstring(styles_xml, parser), pristine)
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
    return etree.tostring(styles.root, xml_declaration=True, encoding="UTF-8", standalone=True)
