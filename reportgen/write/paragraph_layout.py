"""The layout each generated paragraph carries with it into the editors' master report.

When the chapter is inserted into a master report (Word's Insert → Text from File, LibreOffice's
Insert → Text from File), a style name both documents define keeps the RECEIVING document's
definition. Heading 1/2/3 are always such names, and 節內文/項內文 are too once a master was made
from reportgen's template or from last period's merged report. So the properties that make labels
and text line up — indents, tab stops, keep-with-next, keep-lines-together, page break before —
are written on each paragraph (w:pPr after w:pStyle), with the values the chapter's own style
resolves to (its basedOn chain and the document defaults, after label_fit's widening). Editors
still control them by restyling the template; runs stay bare, and fonts, sizes, colours and
spacing stay in the styles, so the master's heading look applies.
"""

from __future__ import annotations

from collections.abc import Iterable

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_OFF = ("0", "false", "off")
_TOGGLES = ("keepNext", "keepLines", "pageBreakBefore")  # in the schema's order, before tabs and ind
# Attributes of w:ind that set one property each; a style stating any one of a group replaces the
# group's value inherited from its base (hanging and firstLine are one property, signed).
_IND_GROUPS = (("left", "start"), ("leftChars", "startChars"), ("right", "end"), ("rightChars", "endChars"),
               ("hanging", "firstLine"), ("hangingChars", "firstLineChars"))
_TAB_ATTRIBUTES = ("val", "leader", "pos")


def _q(tag: str) -> str:
    return f"{{{W}}}{tag}"


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


class _Resolver:
    """Paragraph properties along a style's basedOn chain, outermost (document defaults) first."""

    def __init__(self, root) -> None:  # root: lxml.etree._Element of styles.xml
        self.by_id = {s.get(_q("styleId")): s for s in root.iter(_q("style"))}
        self.defaults = root.find(f"{_q('docDefaults')}/{_q('pPrDefault')}/{_q('pPr')}")

    def sources(self, style_id: str) -> list:
        """The w:pPr elements that apply to the style: document defaults, then base to style."""
        chain, seen = [], set()
        style = self.by_id.get(style_id)
        while style is not None and id(style) not in seen:
            seen.add(id(style))
            chain.append(style.find(_q("pPr")))
            based = style.find(_q("basedOn"))
            style = self.by_id.get(based.get(_q("val"))) if based is not None else None
        return [p for p in [self.defaults, *reversed(chain)] if p is not None]

    def layout(self, style_id: str, w: str) -> str:
        sources = self.sources(style_id)
        xml = "".join(f"<{w}:{tag}/>" for tag in _TOGGLES if _toggle(sources, tag))
        return xml + _tabs(sources, w) + _ind(sources, w)


def _toggle(sources: list, tag: str) -> bool:
    state = False
    for ppr in sources:
        element = ppr.find(_q(tag))
        if element is not None:
            state = element.get(_q("val"), "1").lower() not in _OFF
    return state


def _tabs(sources: list, w: str) -> str:
    """The style's tab stops as Word merges them: a base's stops, less those a style clears."""
    stops: dict[int, dict[str, str]] = {}
    for ppr in sources:
        for tab in ppr.iterfind(f"{_q('tabs')}/{_q('tab')}"):
            try:
                pos = int(tab.get(_q("pos"), ""))
            except ValueError:
                continue
            if tab.get(_q("val")) == "clear":
                stops.pop(pos, None)
            else:
                stops[pos] = {a: tab.get(_q(a)) for a in _TAB_ATTRIBUTES if tab.get(_q(a)) is not None}
    if not stops:
        return ""
    tabs = "".join(f"<{w}:tab " + " ".join(f'{w}:{a}="{_attr(v)}"' for a, v in stop.items()) + "/>"
                   for _, stop in sorted(stops.items()))
    return f"<{w}:tabs>{tabs}</{w}:tabs>"


def _ind(sources: list, w: str) -> str:
    """The style's indents, attribute by attribute; left and first line are always stated.

    Stating them (0 when the style has none) keeps a master heading's own hanging or first-line
    indent from showing through.
    """
    groups: dict[int, list[tuple[str, str]]] = {}
    for ppr in sources:
        ind = ppr.find(_q("ind"))
        if ind is None:
            continue
        for index, names in enumerate(_IND_GROUPS):
            stated = [(n, ind.get(_q(n))) for n in names if ind.get(_q(n)) is not None]
            if stated:
                groups[index] = stated
    groups.setdefault(0, [("left", "0")])
    groups.setdefault(4, [("firstLine", "0")])
    attributes = [pair for index in sorted(groups) for pair in groups[index]]
    return f"<{w}:ind " + " ".join(f'{w}:{n}="{_attr(v)}"' for n, v in attributes) + "/>"


def carried_layouts(styles_xml: bytes, style_ids: Iterable[str], w: str) -> dict[str, str]:
    """For each style id, the w:pPr children its paragraphs carry after w:pStyle, as XML text.

    `w` is the prefix the document part uses for the WordprocessingML namespace.
    """
    from lxml import etree

    root = etree.fromstring(styles_xml, etree.XMLParser(resolve_entities=False, no_network=True))
    resolver = _Resolver(root)
    return {style_id: resolver.layout(style_id, w) for style_id in style_ids}
