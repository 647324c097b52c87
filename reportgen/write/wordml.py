"""WordprocessingML (ECMA-376 Part 1) as reportgen reads and writes it, in one place.

The namespace, the schema's child orders for the elements reportgen edits or writes (a property
inserted out of order is a file Word calls damaged), and one resolver that reads a style's
properties along its basedOn chain down to the document defaults, as Word does. The writer,
label fitting, the layout each paragraph carries and the template check all use these.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator
from typing import Any

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# The package around the document (Open Packaging Conventions): what the writer and the template
# check both read.
CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOCUMENT_RELATIONSHIP = R_NS + "/officeDocument"
DOCUMENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
OFF = ("0", "false", "off")  # ST_OnOff values that switch a toggle property off

Element = Any  # lxml.etree._Element; lxml is imported only when a part is parsed


def q(tag: str) -> str:
    """A w: tag or attribute as lxml names it: {namespace}tag."""
    return f"{{{W_NS}}}{tag}"


def _ranks(*entries: str | tuple[str, ...]) -> dict[str, int]:
    """Each child's place in a schema sequence; a tuple is a choice (its members share a place)."""
    return {name: rank for rank, entry in enumerate(entries)
            for name in (entry if isinstance(entry, tuple) else (entry,))}


# Children in the order of the schema's sequences (ECMA-376 Part 1, transitional; the same order the
# Open XML SDK validates, which tests/test_wordml_order.py checks against its schema data).
PPR_ORDER = _ranks(  # CT_PPr: CT_PPrBase, then rPr, sectPr, pPrChange
    "pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
    "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap", "overflowPunct",
    "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid", "spacing", "ind",
    "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection", "textAlignment",
    "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange")
RPR_ORDER = _ranks(  # CT_RPr: EG_RPrBase, then rPrChange
    "rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike", "outline", "shadow",
    "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden", "color", "spacing", "w", "kern",
    "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs", "em",
    "lang", "eastAsianLayout", "specVanish", "rPrChange")
SECTPR_ORDER = _ranks(  # CT_SectPr: up to six header/footer references in any order, then EG_SectPrContents
    ("headerReference", "footerReference"), "footnotePr", "endnotePr", "type", "pgSz", "pgMar", "paperSrc",
    "pgBorders", "lnNumType", "pgNumType", "cols", "formProt", "vAlign", "noEndnote", "titlePg", "textDirection",
    "bidi", "rtlGutter", "docGrid", "printerSettings", "sectPrChange")
STYLE_ORDER = _ranks(  # CT_Style
    "name", "aliases", "basedOn", "next", "link", "autoRedefine", "hidden", "uiPriority", "semiHidden",
    "unhideWhenUsed", "qFormat", "locked", "personal", "personalCompose", "personalReply", "rsid", "pPr", "rPr",
    "tblPr", "trPr", "tcPr", "tblStylePr")
ORDERS = {"pPr": PPR_ORDER, "rPr": RPR_ORDER, "sectPr": SECTPR_ORDER, "style": STYLE_ORDER}

# Attributes of w:ind, one direction each: a style that states any one of a direction's
# attributes replaces the value it inherits for that direction (hanging and firstLine are one
# property, signed). Twips first, character units (hundredths of a character) second.
IND_DIRECTIONS = {
    "start": (("left", "start"), ("leftChars", "startChars")),
    "end": (("right", "end"), ("rightChars", "endChars")),
    "first": (("hanging", "firstLine"), ("hangingChars", "firstLineChars")),
}
CHARS_OF = {"left": ("leftChars",), "start": ("startChars",), "right": ("rightChars",), "end": ("endChars",),
            "hanging": ("firstLineChars", "hangingChars"), "firstLine": ("firstLineChars", "hangingChars")}
TAB_ATTRIBUTES = ("val", "leader", "pos")
DEFAULT_HALF_POINTS = 20  # Word's size when no style or default states one (10 pt)


def local(element: Element) -> str:
    """An element's tag without its namespace ('' for comments and processing instructions)."""
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def parser():  # -> lxml.etree.XMLParser
    """The one way reportgen parses a package part: no entities, no network, no huge trees."""
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def serialize(root: Element) -> bytes:
    from lxml import etree

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def insert_in_order(parent: Element, element: Element, order: dict[str, int]) -> Element:
    """Put `element` among `parent`'s children where the schema's sequence has it."""
    rank = order.get(local(element), len(order))
    later = next((c for c in parent if isinstance(c.tag, str) and order.get(local(c), len(order)) > rank), None)
    if later is not None:
        later.addprevious(element)
    else:
        parent.append(element)
    return element


def out_of_order(parent: Element, order: dict[str, int]) -> list[str]:
    """Children of `parent` that break the schema's sequence: out of place, repeated, or unknown w: names."""
    found, last, seen = [], -1, set()
    for child in parent:
        if not isinstance(child.tag, str) or not child.tag.startswith(f"{{{W_NS}}}"):
            continue  # other namespaces (w14 …) are extensions, ordered by their own schemas
        name = local(child)
        rank = order.get(name)
        if rank is None or rank < last or (name in seen and name not in ("headerReference", "footerReference")):
            found.append(name)
        else:
            last = rank
        seen.add(name)
    return found


def toggled_on(element: Element | None) -> bool:
    """A CT_OnOff property as stated: present and not val=0/false/off."""
    return element is not None and element.get(q("val"), "1").lower() not in OFF


class StyleSheet:
    """styles.xml read as Word reads it: each style's properties along its basedOn chain.

    `root` is styles.xml's root element, parsed with lxml (python-docx's styles element is one too).
    """

    def __init__(self, root: Element) -> None:
        self.root = root
        self.by_id: dict[str, Element] = {s.get(q("styleId")): s for s in root.iter(q("style"))}

    @classmethod
    def parse(cls, data: bytes) -> StyleSheet:
        from lxml import etree

        return cls(etree.fromstring(data, parser()))

    def paragraph_styles(self) -> dict[str, str]:
        """Paragraph style ids by lower-case name, the first of each name.

        A style without w:type is a paragraph style, as Word reads it."""
        by_name: dict[str, str] = {}
        for style in self.root.iter(q("style")):
            if style.get(q("type"), "paragraph") != "paragraph":
                continue
            name = style.find(q("name"))
            if name is not None:
                by_name.setdefault(name.get(q("val"), "").lower(), style.get(q("styleId")))
        return by_name

    def chain(self, style_id: str) -> Iterator[Element]:
        """The style, then the style it is based on, and so on (a cycle is followed once)."""
        seen: set[int] = set()
        style = self.by_id.get(style_id)
        while style is not None and id(style) not in seen:
            seen.add(id(style))
            yield style
            based = style.find(q("basedOn"))
            style = self.by_id.get(based.get(q("val"))) if based is not None else None

    def default(self, kind: str) -> Element | None:
        """The document defaults' w:pPr or w:rPr."""
        return self.root.find(f"{q('docDefaults')}/{q(kind + 'Default')}/{q(kind)}")

    def find(self, style_id: str, path: str) -> Element | None:
        """The element at `path` ("pPr/ind", "rPr/sz") under the first style of the chain that states
        it, else under the document defaults."""
        steps = "/".join(q(p) for p in path.split("/"))
        for style in self.chain(style_id):
            found = style.find(steps)
            if found is not None:
                return found
        kind, _, rest = path.partition("/")
        defaults = self.default(kind)
        if defaults is None or not rest:
            return None
        return defaults.find("/".join(q(p) for p in rest.split("/")))

    def sources(self, style_id: str, kind: str = "pPr") -> list[Element]:
        """The w:pPr (or w:rPr) elements that apply to the style, outermost first: defaults, base …, style."""
        own = [style.find(q(kind)) for style in self.chain(style_id)]
        return [p for p in [self.default(kind), *reversed(own)] if p is not None]

    def toggle(self, style_id: str, tag: str) -> bool:
        """A paragraph toggle (keepNext, pageBreakBefore …) as the style resolves it."""
        state = False
        for ppr in self.sources(style_id):
            element = ppr.find(q(tag))
            if element is not None:
                state = toggled_on(element)
        return state

    def tab_stops(self, style_id: str) -> dict[int, dict[str, str]]:
        """The style's tab stops by position, as Word merges them: a base's stops, less those cleared."""
        stops: dict[int, dict[str, str]] = {}
        for ppr in self.sources(style_id):
            for tab in ppr.iterfind(f"{q('tabs')}/{q('tab')}"):
                try:
                    pos = int(tab.get(q("pos"), ""))
                except ValueError:
                    continue
                if tab.get(q("val")) == "clear":
                    stops.pop(pos, None)
                else:
                    stops[pos] = {a: tab.get(q(a)) for a in TAB_ATTRIBUTES if tab.get(q(a)) is not None}
        return dict(sorted(stops.items()))

    def indents(self, style_id: str) -> dict[tuple[str, ...], list[tuple[str, str]]]:
        """The style's w:ind attributes as stated, by group of attributes that set one value.

        Groups are IND_DIRECTIONS' tuples (twips and character units apart); a style stating any
        attribute of a group replaces the group inherited from its base.
        """
        groups: dict[tuple[str, ...], list[tuple[str, str]]] = {}
        for ppr in self.sources(style_id):
            ind = ppr.find(q("ind"))
            if ind is None:
                continue
            for group in _ind_groups():
                stated = [(n, ind.get(q(n))) for n in group if ind.get(q(n)) is not None]
                if stated:
                    groups[group] = stated
        return groups

    def indent_twips(self, style_id: str) -> tuple[int, int]:
        """(text edge, hanging) in twips: the left indent, and the first line's overhang (negative:
        a first-line indent)."""
        groups = self.indents(style_id)
        left = _number(dict(groups.get(IND_DIRECTIONS["start"][0], [])), ("left", "start"))
        first = dict(groups.get(IND_DIRECTIONS["first"][0], []))
        hanging = _number(first, ("hanging",)) if "hanging" in first else -_number(first, ("firstLine",))
        return left, hanging

    def size_twips(self, style_id: str) -> int:
        """One em of the style's font size, in twips."""
        sz = self.find(style_id, "rPr/sz")
        try:
            half_points = int(sz.get(q("val"), DEFAULT_HALF_POINTS)) if sz is not None else DEFAULT_HALF_POINTS
        except ValueError:
            half_points = DEFAULT_HALF_POINTS
        return half_points * 10

    def numbered(self, style_id: str) -> bool:
        """Whether the style ties its paragraphs to Word's list numbering (numPr with a numId other than 0)."""
        num_id = self.find(style_id, "pPr/numPr/numId")
        return num_id is not None and num_id.get(q("val"), "0") != "0"


def _ind_groups() -> Iterable[tuple[str, ...]]:
    for twips, chars in IND_DIRECTIONS.values():
        yield twips
        yield chars


def _number(attributes: dict[str, str], names: tuple[str, ...]) -> int:
    for name in names:
        try:
            return int(attributes[name])
        except (KeyError, ValueError):
            continue
    return 0


def escape_text(text: str) -> str:
    """Element content as XML holds it: & < > escaped (the standard library's html.escape, without
    quotes; xml.sax.saxutils would import urllib, http and ssl with it)."""
    return html.escape(text, quote=False)


def escape_attribute(value: str) -> str:
    """An attribute value as XML holds it between double quotes."""
    return html.escape(value)
