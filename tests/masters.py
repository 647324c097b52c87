"""Master reports as editors have them, and the chapter inserted into one as Word inserts it.

Each master starts from tools/render_master_preview.make_master (a foreign Normal and document
defaults, the editors' heading look, a previous chapter's text) and adds one thing a real master
report may carry:

- `numbered`: 標題 1–3 tied to a Word multilevel list (貳、 / 一、 / (一)), as many masters number
  their chapters, sections and items;
- `char_units`: indents in character units, as zh-TW Word writes them — Normal's two-character
  first-line indent (firstLineChars="200"), headings and bodies in leftChars/hangingChars;
- `tab_stop`: a tab stop in 標題 3 between (一) and the text edge;
- `two_columns`: its last section set in two columns, so what is inserted at its end flows in two.

`insert_like_word` is Word's Insert → Text from File (and paste with the destination's styles) done
on the XML: the chapter's paragraphs go before the master's final section properties; a style
the master has by name keeps the master's definition, a style it lacks is copied in.
"""

from __future__ import annotations

import copy
import zipfile
from pathlib import Path

from lxml import etree

from reportgen.write.wordml import PPR_ORDER, STYLE_ORDER, W_NS, insert_in_order, parser, q, serialize
from tools.render_master_preview import make_master

NUMBERING_PART = "word/numbering.xml"
NUMBERING_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"
NUMBERING_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering"
# 貳、 for chapters (formal numerals), 一、 for sections, (一) for items: what a numbered master prints.
LEVELS = (("ideographLegalTraditional", "%1、"), ("taiwaneseCountingThousand", "%2、"),
          ("taiwaneseCountingThousand", "(%3)"))
NUMBERING = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:numbering xmlns:w="{W_NS}">'
    '<w:abstractNum w:abstractNumId="0"><w:multiLevelType w:val="multilevel"/>'
    + "".join(f'<w:lvl w:ilvl="{n}"><w:start w:val="{2 if n == 0 else 1}"/><w:numFmt w:val="{fmt}"/>'
              f'<w:pStyle w:val="Heading{n + 1}"/><w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/></w:lvl>'
              for n, (fmt, text) in enumerate(LEVELS))
    + '</w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num></w:numbering>')
# A stop 0.39 cm after where 標題 3's first line starts: past (一) in any face, short of the title's edge.
CATCHING_STOP = 560
KINDS = ("numbered", "char_units", "tab_stop", "two_columns")


def _rewrite(source: Path, target: Path, edit) -> Path:
    """Copy a package, passing each part through edit(name, data) (None drops it); edit(None, None)
    may return new parts to add, as (name, data) pairs."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = edit(info.filename, src.read(info))
            if data is not None:
                out.writestr(info, data)
        for name, data in edit(None, None) or ():
            out.writestr(name, data)
    return target


def _styles_by_name(root) -> dict[str, etree._Element]:
    return {s.find(q("name")).get(q("val")): s for s in root.iter(q("style"))}


def _ppr(style) -> etree._Element:
    ppr = style.find(q("pPr"))
    if ppr is None:
        ppr = insert_in_order(style, etree.Element(q("pPr")), STYLE_ORDER)
    return ppr


def _edit_styles(source: Path, target: Path, change, extra=()) -> Path:
    def edit(name, data):
        if name is None:
            return extra
        if name == "word/styles.xml":
            root = etree.fromstring(data, parser())
            change(_styles_by_name(root))
            return serialize(root)
        if name == "[Content_Types].xml" and extra:
            return data.replace(b"</Types>", f'<Override PartName="/{NUMBERING_PART}" '
                                             f'ContentType="{NUMBERING_TYPE}"/></Types>'.encode())
        if name == "word/_rels/document.xml.rels" and extra:
            return data.replace(b"</Relationships>", f'<Relationship Id="rIdNumbering" Type="{NUMBERING_RELATIONSHIP}" '
                                                     f'Target="numbering.xml"/></Relationships>'.encode())
        return data
    return _rewrite(source, target, edit)


def _numbered(styles) -> None:
    for level in range(3):
        numbering = etree.fromstring(f'<w:numPr xmlns:w="{W_NS}"><w:ilvl w:val="{level}"/>'
                                     '<w:numId w:val="1"/></w:numPr>')
        insert_in_order(_ppr(styles[f"heading {level + 1}"]), numbering, PPR_ORDER)


def _char_units(styles) -> None:
    """zh-TW Word's character units: Normal indents its first line two characters; the headings and
    bodies state their indents in characters beside twips that disagree, as after an edit in Word."""
    units = {"Normal": {"firstLineChars": "200", "firstLine": "480"},
             "heading 1": {"leftChars": "100", "firstLineChars": "100"},
             "heading 2": {"leftChars": "300", "hangingChars": "100"},
             "heading 3": {"leftChars": "500", "hangingChars": "200"},
             "節內文": {"leftChars": "300", "firstLineChars": "200"},
             "項內文": {"leftChars": "500", "firstLineChars": "200"}}
    for name, attributes in units.items():
        ppr = _ppr(styles[name])
        ind = ppr.find(q("ind"))
        if ind is None:
            ind = insert_in_order(ppr, etree.Element(q("ind")), PPR_ORDER)
        for key, value in attributes.items():
            ind.set(q(key), value)


def _tab_stop(styles) -> None:
    ppr = _ppr(styles["heading 3"])
    ind = ppr.find(q("ind"))
    start = int(ind.get(q("left"))) - int(ind.get(q("hanging")))
    tabs = ppr.find(q("tabs"))
    stop = etree.SubElement(tabs, q("tab"))
    stop.set(q("val"), "left")
    stop.set(q("pos"), str(start + CATCHING_STOP))
    ordered = sorted(tabs, key=lambda t: int(t.get(q("pos"))))
    for tab in ordered:
        tabs.append(tab)


def master(kind: str, template: Path, target: Path) -> Path:
    """A master report of `kind` (see KINDS) made from `template`, with the editors' heading look."""
    base = make_master(template, target.with_name(f"base-{target.name}"), editors_headings=True)
    if kind == "numbered":
        return _edit_styles(base, target, _numbered, extra=[(NUMBERING_PART, NUMBERING)])
    if kind == "char_units":
        return _edit_styles(base, target, _char_units)
    if kind == "tab_stop":
        return _edit_styles(base, target, _tab_stop)
    if kind == "two_columns":
        return _rewrite(base, target, _two_columns)
    raise ValueError(kind)


def _two_columns(name: str | None, data: bytes | None):
    if name != "word/document.xml":
        return data if name is not None else ()
    root = etree.fromstring(data, parser())
    columns = root.find(f"{q('body')}/{q('sectPr')}/{q('cols')}")
    columns.set(q("num"), "2")
    columns.set(q("space"), "425")
    return serialize(root)


def insert_like_word(master_path: Path, chapter: Path, target: Path) -> Path:
    """The master with the chapter's body inserted at its end, as Word's Insert → Text from File does."""
    with zipfile.ZipFile(chapter) as archive:
        chapter_styles = etree.fromstring(archive.read("word/styles.xml"), parser())
        chapter_document = etree.fromstring(archive.read("word/document.xml"), parser())
    with zipfile.ZipFile(master_path) as archive:
        parts = [(info, archive.read(info)) for info in archive.infolist()]
    stored = {info.filename: data for info, data in parts}
    styles = etree.fromstring(stored["word/styles.xml"], parser())
    document = etree.fromstring(stored["word/document.xml"], parser())

    chapter_by_id = {s.get(q("styleId")): s for s in chapter_styles.iter(q("style"))}
    by_name = {s.find(q("name")).get(q("val")).lower(): s.get(q("styleId")) for s in styles.iter(q("style"))}
    ids = set(by_name.values())
    mapping: dict[str, str] = {}
    paragraphs = [copy.deepcopy(c) for c in chapter_document.find(q("body")) if c.tag != q("sectPr")]
    for style_ref in (ref for paragraph in paragraphs for ref in paragraph.iter(q("pStyle"))):
        old = style_ref.get(q("val"))
        if old not in mapping:
            own = chapter_by_id[old]
            name = own.find(q("name")).get(q("val")).lower()
            if name not in by_name:  # a style the master lacks comes with the chapter's definition
                new = old if old not in ids else f"{old}Chapter"
                copied = copy.deepcopy(own)
                copied.set(q("styleId"), new)
                styles.append(copied)
                ids.add(new)
                by_name[name] = new
            mapping[old] = by_name[name]  # a style the master has keeps the master's definition
        style_ref.set(q("val"), mapping[old])

    body = document.find(q("body"))
    final = body[-1] if len(body) and body[-1].tag == q("sectPr") else None
    for paragraph in paragraphs:
        if final is not None:
            final.addprevious(paragraph)
        else:
            body.append(paragraph)
    stored["word/styles.xml"], stored["word/document.xml"] = serialize(styles), serialize(document)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info, _ in parts:
            out.writestr(info, stored[info.filename])
    return target
