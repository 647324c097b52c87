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

Three things a master's styles could otherwise add are cancelled on the paragraph:
- list numbering on a heading (`w:numPr` with `w:numId="0"`): a master whose 標題 1–3 are tied
  to a multilevel list would print a second number before 貳拾陸、, 一、 and (一);
- indents in character units (`*Chars="0"` for each direction the paragraph sets in twips): in
  Word a master's `firstLineChars="200"` would override the twips written here;
- tab stops of the chapter's own heading style that lie between a label and its title (cleared):
  the tab after (一) would stop there instead of at the text edge.
"""

from __future__ import annotations

from collections.abc import Iterable

from .wordml import CHARS_OF, IND_DIRECTIONS, StyleSheet, escape_attribute

_TOGGLES = ("keepNext", "keepLines", "pageBreakBefore")  # in the schema's order, before numPr, tabs and ind
_UNSTATED = {"start": ("left", "0"), "end": ("right", "0"), "first": ("firstLine", "0")}
CATCH_TOLERANCE = 20  # twips: a stop this close to the text edge is the text edge's own


def catching_stops(sheet: StyleSheet, style_id: str) -> list[int]:
    """Tab stops of the style between its first line's start and its text edge, where the tab
    after a hanging label would stop instead of at the text edge."""
    left, hanging = sheet.indent_twips(style_id)
    if hanging <= 0:
        return []
    return [pos for pos, stop in sheet.tab_stops(style_id).items()
            if left - hanging < pos < left - CATCH_TOLERANCE and stop.get("val") != "bar"]


def _tabs(sheet: StyleSheet, style_id: str, w: str, clear: bool) -> str:
    """The style's tab stops as Word merges them; with `clear`, the catching ones cleared instead."""
    stops = sheet.tab_stops(style_id)
    if clear:
        for pos in catching_stops(sheet, style_id):
            stops[pos] = {"val": "clear", "pos": str(pos)}
    if not stops:
        return ""
    tabs = "".join(f"<{w}:tab " + " ".join(f'{w}:{a}="{escape_attribute(v)}"' for a, v in stop.items()) + "/>"
                   for _, stop in sorted(stops.items()))
    return f"<{w}:tabs>{tabs}</{w}:tabs>"


def _ind(sheet: StyleSheet, style_id: str, w: str) -> str:
    """The style's indents in twips, each direction with its character units set to 0.

    The left edge and the first line are always stated (0 when the style has none), so that a
    master heading's own hanging or first-line indent cannot show through; the right edge when
    the style states it. A style's own character units are not carried: `reportgen template`
    warns about them, and the twips are what LibreOffice shows.
    """
    groups = sheet.indents(style_id)
    attributes: list[tuple[str, str]] = []
    for direction, (twips, chars) in IND_DIRECTIONS.items():
        stated = groups.get(twips)
        if stated is None:
            if direction == "end" and chars not in groups:
                continue  # the right edge is left to the paragraph's style unless this one sets it
            stated = [_UNSTATED[direction]]
        attributes += stated
        zeros = dict.fromkeys(c for name, _ in stated for c in CHARS_OF[name])
        attributes += [(c, "0") for c in zeros]
    return f"<{w}:ind " + " ".join(f'{w}:{n}="{escape_attribute(v)}"' for n, v in attributes) + "/>"


def layout(sheet: StyleSheet, style_id: str, w: str, *, heading: bool = False) -> str:
    """The w:pPr children after w:pStyle for a paragraph of `style_id`, as XML text.

    A heading also cancels list numbering and clears the tab stops that would catch its label's tab,
    and is kept with the next paragraph whatever its style says (SPEC §3: headings kept with the next).
    """
    xml = "".join(f"<{w}:{tag}/>" for tag in _TOGGLES
                  if sheet.toggle(style_id, tag) or (heading and tag == "keepNext"))
    if heading:
        xml += f'<{w}:numPr><{w}:numId {w}:val="0"/></{w}:numPr>'
    return xml + _tabs(sheet, style_id, w, clear=heading) + _ind(sheet, style_id, w)


def kept_with_next(layout: str, w: str) -> str:
    """`layout` (as `layout` made it) with keep-with-next, which comes first after w:pStyle."""
    keep = f"<{w}:keepNext/>"
    return layout if layout.startswith(keep) else keep + layout


def carried_layouts(styles_xml: bytes, style_ids: Iterable[str], w: str,
                    headings: Iterable[str] = ()) -> dict[str, str]:
    """For each style id, the w:pPr children its paragraphs carry after w:pStyle, as XML text.

    `w` is the prefix the document part uses for the WordprocessingML namespace; `headings`, the
    ids of the heading styles (chapter, section, item).
    """
    sheet = StyleSheet.parse(styles_xml)
    heading_ids = set(headings)
    return {style_id: layout(sheet, style_id, w, heading=style_id in heading_ids) for style_id in style_ids}
