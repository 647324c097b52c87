"""The template's package as a chapter's: read, checked, and made the chapter's own.

A template is the editors' file (often their master report's own .dotx). Reading it gives the
parts every chapter built from it carries: a .dotx's main part typed as a document, the parts
that describe the template rather than the chapter left out, core properties made room for, and
what a chapter must hold whatever the template says — a theme part, style properties stated
once each (LibreOffice writes some twice), automatic hyphenation off, section values in the
schema's range. docx_writer.py writes the chapter into it; template_check.py reads it too.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import FatalError
from .compose import Role
from .wordml import (
    CONTENT_TYPES_NS,
    DEFAULT_HALF_POINTS,
    DOCUMENT_RELATIONSHIP,
    DOCUMENT_TYPE,
    IND_DIRECTIONS,
    ORDERS,
    RELATIONSHIPS_NS,
    STYLE_ORDER,
    TAB_ATTRIBUTES,
    W_NS,
    StyleSheet,
    insert_in_order,
    local,
    parser,
    q,
    serialize,
)

DOCUMENT_PART = "word/document.xml"
STYLES_PART = "word/styles.xml"
CORE_PART = "docProps/core.xml"
APP_PART = "docProps/app.xml"
SETTINGS_PART = "word/settings.xml"
CONTENT_TYPES_PART = "[Content_Types].xml"
PACKAGE_RELS_PART = "_rels/.rels"
DOCUMENT_RELS_PART = "word/_rels/document.xml.rels"
CORE_TYPE = "application/vnd.openxmlformats-package.core-properties+xml"
CORE_RELATIONSHIP = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
THEME_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme"
THEME_TYPE = "application/vnd.openxmlformats-officedocument.theme+xml"
# A Word template (.dotx, .dotm) differs from a document only in its main part's content type.
TEMPLATE_TYPES = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
    "application/vnd.ms-word.document.macroEnabled.main+xml",
)
# Parts of a template that describe the template, not the chapter: every chapter built from it
# would carry them (a picture of the template's first page, a SharePoint form's data, custom
# properties, AutoText entries, macros). They are never copied into the output.
_LEAKED = re.compile(
    r"^(docProps/thumbnail\.[^/]+|docProps/custom\.xml|customXml/.*|word/glossary/.*"
    r"|word/vbaProject\.bin|word/vbaData\.xml|word/_rels/vbaProject\.bin\.rels)$", re.IGNORECASE)
# app.xml as a chapter should carry it: no template name (Normal.dotm), company, editing time.
NEUTRAL_APP = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    b"<Application>reportgen</Application></Properties>")
MAX_TEMPLATE_PART = 20 * 1024 * 1024
MAX_TEMPLATE_TOTAL = 64 * 1024 * 1024  # a template with a letterhead picture is a few MB

# Each role's style, by the name Word shows (built-in names are stored in English, whatever
# the editor's language; the style *id* may be localized, so it is looked up, never assumed).
STYLE_NAMES: dict[Role, str] = {
    Role.CHAPTER: "heading 1",
    Role.SECTION: "heading 2",
    Role.ITEM: "heading 3",
    Role.SECTION_BODY: "節內文",
    Role.ITEM_BODY: "項內文",
}
# A 節內文 paragraph that ends with a colon announces the next one (「主要訪團代表為：」); this
# optional style keeps it on the page of what it announces. Without it, 節內文 is used.
LEAD_STYLE_NAME = "節內文（與下段同頁）"
# What each role's style is for, in the messages about it.
STYLE_USE: dict[Role, str] = {
    Role.CHAPTER: "章標題",
    Role.SECTION: "節標題",
    Role.ITEM: "項目標題",
    Role.SECTION_BODY: "節的前言與訪團名單",
    Role.ITEM_BODY: "項目內文",
}
# Word's built-in heading styles as Chinese Word shows them (the file stores the English name).
BUILT_IN_SHOWN = {"heading 1": "標題 1", "heading 2": "標題 2", "heading 3": "標題 3"}
NEAR_MATCH = 0.6  # difflib's ratio from which a style's name is taken for a renamed one (項目內文 → 項內文)


def shown_style(name: str) -> str:
    """A style's name as an editor's Word shows it: 標題 1 for heading 1, the rest as stored."""
    return BUILT_IN_SHOWN.get(name.lower(), name)


@dataclass(frozen=True)
class Template:
    """A template package read into memory, with its style ids resolved."""

    path: Path
    parts: tuple[tuple[zipfile.ZipInfo, bytes], ...]  # as a document: leaked parts dropped, see as_document
    style_ids: dict[Role, str]
    prefix: str  # the document part's prefix for the WordprocessingML namespace
    head: bytes  # the document part up to where the body's paragraphs go …
    tail: bytes  # … and from there on: the final section properties and the closing tags
    lead_id: str | None = None  # the optional 節內文（與下段同頁） style
    dropped: tuple[str, ...] = ()  # the template's parts that were left out (leaks)

    @property
    def styles_xml(self) -> bytes:
        return next(blob for info, blob in self.parts if info.filename == STYLES_PART)


# What a person knows each part as (Word's own names); messages never show a part's name in the zip.
_SHOWN = {DOCUMENT_PART: "文件本文", STYLES_PART: "樣式表", SETTINGS_PART: "文件設定",
          CORE_PART: "文件屬性", APP_PART: "文件屬性", "word/numbering.xml": "編號設定",
          "word/fontTable.xml": "字型清單", "word/theme/theme1.xml": "佈景主題"}


def shown(part: str) -> str:
    """A package part as staff know it: 樣式表, 文件本文, 頁首 … (the rest is the file's structure)."""
    import posixpath

    base = posixpath.basename(part).lower()
    if part in _SHOWN:
        return _SHOWN[part]
    if base.startswith("header"):
        return "頁首"
    if base.startswith("footer"):
        return "頁尾"
    return "檔案結構"  # [Content_Types].xml, the .rels parts: nothing an editor sees by name


def parse_part(data: bytes, part: str, path: Path):  # -> lxml.etree._Element
    """A template part parsed, or a FatalError saying which part of the template is wrong."""
    from lxml import etree

    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise FatalError(f"範本 {path.name} 的{shown(part)}含有不允許的 DTD 宣告，可能是惡意檔案。")
    try:
        return etree.fromstring(data, parser())
    except etree.XMLSyntaxError as exc:
        raise FatalError(f"範本 {path.name} 的{shown(part)}已損壞，請用 Word 重新存檔。") from exc


def read_package(path: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    """A template's parts as stored, size-checked; a FatalError when it is not a readable package."""
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError as exc:
        raise FatalError(f"找不到範本 {path}。") from exc
    except (zipfile.BadZipFile, OSError) as exc:
        raise FatalError(f"範本 {path.name} 不是 Word 文件（.docx）。請用 Word 另存為 .docx。") from exc
    with archive:
        infos = archive.infolist()
        # zipfile never inflates past a part's declared size, so declared sizes bound memory
        if sum(info.file_size for info in infos) > MAX_TEMPLATE_TOTAL or any(
                info.file_size > MAX_TEMPLATE_PART for info in infos):
            raise FatalError(f"範本 {path.name} 解壓縮後過大，請確認範本是否正確。")
        return [(info, archive.read(info)) for info in infos]


def load_template(path: Path) -> Template:
    """Read and check a template; every failure is a FatalError naming what to fix."""
    parts, dropped = as_document(read_package(path), path)
    parts = _with_core(parts, path)
    data = dict((info.filename, blob) for info, blob in parts)
    for part in (DOCUMENT_PART, STYLES_PART):
        if part not in data:
            raise FatalError(f"範本 {path.name} 缺少{shown(part)}，不是有效的 Word 文件。請用 Word 另存為 .docx。")
    styles = parse_part(data[STYLES_PART], STYLES_PART, path)
    by_name = StyleSheet(styles).paragraph_styles()
    style_ids: dict[Role, str] = {}
    for role, name in STYLE_NAMES.items():
        style_id = by_name.get(name.lower())
        if not style_id:
            raise FatalError(missing_style_message(path, role, by_name))
        style_ids[role] = style_id
    document = parse_part(data[DOCUMENT_PART], DOCUMENT_PART, path)
    prefix = next((p for p, uri in document.nsmap.items() if uri == W_NS and p), None)
    if prefix is None or document.find(q("body")) is None:
        raise FatalError(f"範本 {path.name} 的{shown(DOCUMENT_PART)}格式不符，請用 Word 重新存檔。")
    head, tail = _around_body(document)
    lead_id = by_name.get(LEAD_STYLE_NAME.lower())
    restated = self_contained(styles, [*style_ids.values(), *([lead_id] if lead_id else [])])
    parts = as_chapter(parts, styles, path, restated)
    return Template(path, tuple(parts), style_ids, prefix, head, tail, lead_id=lead_id, dropped=tuple(dropped))


def self_contained(styles, style_ids: list[str]) -> bool:
    """Each style the chapter uses states its own fonts, size, line spacing, justification, indents
    and tab stops (SPEC §3), as resolved along its basedOn chain and the document defaults.

    A template restyled in Word gives a new style basedOn 內文 stating only its indent; inserted
    into a master report, the chapter would then take the master's 內文 font, size and spacing.
    `styles`: styles.xml, parsed, changed in place; True when a style gained anything (reportgen's
    own template states everything, so its chapter's styles are the template's bytes).
    """
    sheet = StyleSheet(styles)
    changed = False
    for style_id in dict.fromkeys(style_ids):
        style = sheet.by_id.get(style_id)
        if style is None:
            continue
        for kind, tags in _STATED.items():
            sources = sheet.sources(style_id, kind)
            for tag in tags:
                if tag == "tabs":
                    changed |= _own_tabs(style, sheet.tab_stops(style_id))
                    continue
                stated = {**_WORD_DEFAULTS.get(tag, {}), **_resolved(sources, tag)}
                if stated:
                    changed |= _own_attributes(style, kind, tag, stated)
    return changed


# What a style states of its own, by properties element. An element's attributes resolve by group:
# a group stated at one level replaces the inherited one whole — w:ind by direction (IND_DIRECTIONS),
# w:rFonts by script (a font and its theme font: a style's ascii="Times New Roman" overrides a
# default's asciiTheme, which would otherwise win over it), any other attribute alone.
_STATED = {"pPr": ("tabs", "spacing", "ind", "jc"), "rPr": ("rFonts", "sz", "szCs", "lang")}
# What Word takes when no level states it (a master's 內文 would state it otherwise): 10 pt, single
# line spacing without space around, left aligned.
_WORD_DEFAULTS = {"sz": {"val": str(DEFAULT_HALF_POINTS)}, "jc": {"val": "left"},
                  "spacing": {"before": "0", "after": "0", "line": "240", "lineRule": "auto"}}
_GROUPS = {"ind": tuple(group for pair in IND_DIRECTIONS.values() for group in pair),
           "rFonts": (("ascii", "asciiTheme"), ("hAnsi", "hAnsiTheme"), ("eastAsia", "eastAsiaTheme"),
                      ("cs", "cstheme"))}


def _resolved(sources, tag: str) -> dict[str, str]:
    """The attributes of `tag` as the sources (outermost first) resolve them."""
    attributes: dict[str, str] = {}
    for properties in sources:
        element = properties.find(q(tag))
        if element is None:
            continue
        stated = {name.rpartition("}")[2]: value for name, value in element.attrib.items()
                  if name.startswith(f"{{{W_NS}}}")}
        for group in _GROUPS.get(tag, ()):
            if any(name in stated for name in group):
                for name in group:
                    attributes.pop(name, None)
        attributes.update(stated)
    return attributes


def _own(style, kind: str):
    """The style's own w:pPr or w:rPr, made where the schema has it if the style states none."""
    from lxml import etree

    properties = style.find(q(kind))
    return properties if properties is not None else insert_in_order(style, etree.Element(q(kind)), STYLE_ORDER)


def _own_attributes(style, kind: str, tag: str, stated: dict[str, str]) -> bool:
    from lxml import etree

    element = style.find(f"{q(kind)}/{q(tag)}")
    if element is not None and all(element.get(q(name)) == value for name, value in stated.items()):
        return False
    if element is None:
        element = insert_in_order(_own(style, kind), etree.Element(q(tag)), ORDERS[kind])
    for name, value in stated.items():
        element.set(q(name), value)
    return True


def _own_tabs(style, stops: dict[int, dict[str, str]]) -> bool:
    """The style's own w:tabs holding every stop it resolves to (its own clears of a base's stops kept)."""
    from lxml import etree

    tabs = style.find(f"{q('pPr')}/{q('tabs')}")
    own = [] if tabs is None else [t for t in tabs if isinstance(t.tag, str) and local(t) == "tab"]
    stated = {int(t.get(q("pos"))) for t in own if t.get(q("val")) != "clear" and (t.get(q("pos")) or "").isdigit()}
    missing = [pos for pos in stops if pos not in stated]
    if not missing:
        return False
    if tabs is None:
        tabs = insert_in_order(_own(style, "pPr"), etree.Element(q("tabs")), ORDERS["pPr"])
    for pos in missing:
        tab = etree.SubElement(tabs, q("tab"))
        for name in TAB_ATTRIBUTES:
            if name in stops[pos]:
                tab.set(q(name), stops[pos][name])
    def position(tab) -> int:  # a stop whose position does not read as a number stays first
        pos = tab.get(q("pos"), "")
        return int(pos) if pos.lstrip("-").isdigit() else -(1 << 31)

    for tab in sorted((t for t in tabs if isinstance(t.tag, str)), key=position):  # Word keeps stops in order
        tabs.append(tab)
    return True


def missing_style_message(path: Path | None, role: Role, names: dict[str, str] | None = None) -> str:
    """What to do about a missing style: a built-in heading appears once it has been applied; any
    other is made (or copied); a style with a near name is named, as it may have been renamed.

    `names`: the template's paragraph style names (lower case), for the near match; `path`: None
    for a message under the template's name already (reportgen template).
    """
    name = STYLE_NAMES[role]
    where = f"範本 {path.name} " if path is not None else ""
    if name in BUILT_IN_SHOWN:
        shown_name = BUILT_IN_SHOWN[name]
        text = (f"{where}缺少內建段落樣式「{shown_name}」，這是{STYLE_USE[role]}用的樣式。"
                f"Word 的內建樣式要用過一次才會存進檔案：請在 Word 中對任一段落套用一次「{shown_name}」"
                f"（「常用」→「樣式」），然後存檔。")
    else:
        text = (f"{where}缺少段落樣式「{name}」，這是{STYLE_USE[role]}用的樣式。"
                f"請在 Word 的「樣式」窗格新增名為「{name}」的段落樣式後存檔，"
                "或用「組合管理」從 templates/report.docx 複製。")
    if name in BUILT_IN_SHOWN and BUILT_IN_SHOWN[name].lower() in (names or {}):  # a style *named* 標題 1
        return text + (f"範本中名為「{BUILT_IN_SHOWN[name]}」的樣式是另外新增的自訂樣式，不是 Word 內建的那一個"
                       "（目錄與導覽窗格只認內建的標題樣式）：請照上面的方法套用內建的樣式，必要時刪除或改名這個自訂樣式。")
    near = near_style(role, names or {})
    if near:
        text += f"範本中有名為「{near}」的段落樣式，若是它被改了名，請把名稱改回「{shown_style(name)}」。"
    return text


def near_style(role: Role, names: dict[str, str]) -> str | None:
    """The template's paragraph style whose name is closest to the role's (a renamed 項內文, a
    heading named 標題 3 by a tool that localized it), if any is close; never another role's own."""
    import difflib  # only when a style is missing

    name = STYLE_NAMES[role]
    taken = {n.lower() for n in STYLE_NAMES.values()} | {LEAD_STYLE_NAME.lower()}
    wanted = [name, BUILT_IN_SHOWN[name]] if name in BUILT_IN_SHOWN else [name]
    for query in wanted:
        # heading 4 is Word's own style, not a renamed heading 3: names differing only in a number are others
        numbered = re.sub(r"\d+", "#", query.lower())
        candidates = [n for n in names if n not in taken and re.sub(r"\d+", "#", n) != numbered]
        found = difflib.get_close_matches(query.lower(), candidates, n=1, cutoff=NEAR_MATCH)
        if found:
            return found[0]
    return None


def leaked(name: str) -> bool:
    """A template part that must never reach a chapter (see _LEAKED)."""
    return bool(_LEAKED.match(name))


def as_document(parts: list[tuple[zipfile.ZipInfo, bytes]], path: Path
                 ) -> tuple[list[tuple[zipfile.ZipInfo, bytes]], list[str]]:
    """The template's parts as a chapter's: a .dotx's main part typed as a document, leaks left out.

    Relationships and content types that name a dropped part go with it, so Word finds
    nothing missing; app.xml is replaced by neutral values.
    """
    dropped = [info.filename for info, _ in parts if leaked(info.filename)]
    gone = {"/" + name.lower() for name in dropped}
    kept = []
    for info, blob in parts:
        if info.filename in dropped:
            continue
        if info.filename == CONTENT_TYPES_PART:
            blob = _content_types(blob, gone, path)
        elif info.filename.endswith(".rels"):
            blob = _relationships(info.filename, blob, gone, path)
        elif info.filename == APP_PART:
            blob = NEUTRAL_APP
        elif info.filename == SETTINGS_PART and b"attachedTemplate" in blob:
            blob = _without_attached_template(blob, path)
        kept.append((info, blob))
    return kept, dropped


def _with_core(parts: list[tuple[zipfile.ZipInfo, bytes]], path: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    """The parts with a place for the core properties, declared and related when the template has none.

    Every chapter carries its title, subject and reportgen's mark there (render_docx writes it,
    last); without it, the next build would take reportgen's own output for somebody else's file.
    """
    names = {info.filename for info, _ in parts}
    if CORE_PART in names:
        return parts
    out = []
    for info, blob in parts:
        if info.filename == CONTENT_TYPES_PART:
            blob = _declare_core(blob, path)
        elif info.filename == PACKAGE_RELS_PART:
            blob = _relate_core(blob, path)
        out.append((info, blob))
    if PACKAGE_RELS_PART not in names:  # a package Word could not open either; give it its two links
        rels = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{RELATIONSHIPS_NS}">'
                f'<Relationship Id="rId1" Type="{DOCUMENT_RELATIONSHIP}" Target="{DOCUMENT_PART}"/></Relationships>')
        out.append((zipfile.ZipInfo(PACKAGE_RELS_PART), _relate_core(rels.encode(), path)))
    out.append((zipfile.ZipInfo(CORE_PART), b""))  # a placeholder: render_docx writes the part
    return out


def _declare_core(blob: bytes, path: Path) -> bytes:
    from lxml import etree

    root = parse_part(blob, CONTENT_TYPES_PART, path)
    if any((o.get("PartName") or "").lower() == "/" + CORE_PART.lower() for o in root):
        return blob
    etree.SubElement(root, f"{{{CONTENT_TYPES_NS}}}Override", PartName="/" + CORE_PART, ContentType=CORE_TYPE)
    return serialize(root)


def _relate_core(blob: bytes, path: Path) -> bytes:
    from lxml import etree

    root = parse_part(blob, PACKAGE_RELS_PART, path)
    existing = [rel for rel in root if rel.get("Type") == CORE_RELATIONSHIP]
    if existing:  # a link to a part that is not there: point it at the part written now
        for rel in existing:
            rel.set("Target", CORE_PART)
        return serialize(root)
    ids = {rel.get("Id") for rel in root}
    new_id = next(f"rIdCore{n or ''}" for n in range(len(ids) + 1) if f"rIdCore{n or ''}" not in ids)
    etree.SubElement(root, f"{{{RELATIONSHIPS_NS}}}Relationship", Id=new_id, Type=CORE_RELATIONSHIP,
                     Target=CORE_PART)
    return serialize(root)


def _without_attached_template(blob: bytes, path: Path) -> bytes:
    """settings.xml without the link to the template's own template (its relationship goes too)."""
    root = parse_part(blob, SETTINGS_PART, path)
    for element in root.findall(q("attachedTemplate")):
        root.remove(element)
    return serialize(root)


def _content_types(blob: bytes, gone: set[str], path: Path) -> bytes:
    root = parse_part(blob, CONTENT_TYPES_PART, path)
    changed = False
    for override in list(root):
        name = (override.get("PartName") or "").lower()
        kind = override.get("ContentType") or ""
        if name in gone:
            root.remove(override)
            changed = True
        elif name == "/" + DOCUMENT_PART and kind in TEMPLATE_TYPES:
            override.set("ContentType", DOCUMENT_TYPE)
            changed = True
    return serialize(root) if changed else blob


def _relationships(name: str, blob: bytes, gone: set[str], path: Path) -> bytes:
    """A .rels part without relationships to dropped parts (and without a template's link to its own template)."""
    import posixpath

    owner_dir = posixpath.dirname(posixpath.dirname(name))  # word/_rels/document.xml.rels → word
    root = parse_part(blob, name, path)
    changed = False
    for rel in list(root):
        target = rel.get("Target") or ""
        kind = rel.get("Type") or ""
        if rel.get("TargetMode") == "External":
            if kind.endswith("/attachedTemplate"):  # a path on the editor's disk, e.g. Normal.dotm
                root.remove(rel)
                changed = True
            continue
        resolved = posixpath.normpath(target if target.startswith("/") else "/" + posixpath.join(owner_dir, target))
        if resolved.lower() in gone:
            root.remove(rel)
            changed = True
    return serialize(root) if changed else blob


def _around_body(root) -> tuple[bytes, bytes]:  # root: lxml.etree._Element
    """The document part without its body's content, split where the new paragraphs go.

    The template's own paragraphs (samples for the editors) go; its last section properties
    (page size, margins, footer) stay.
    """
    from lxml import etree

    body = root.find(q("body"))
    section = body[-1] if len(body) and body[-1].tag == q("sectPr") else None
    for child in list(body):
        if child is not section:
            body.remove(child)
    if section is not None:
        _in_range(section)
    marker = etree.Comment(" reportgen body ")
    if section is not None:
        section.addprevious(marker)
    else:
        body.append(marker)
    head, tail = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                standalone=True).split(b"<!-- reportgen body -->", 1)
    return head, tail



# ST_DecimalNumber values Word reads as 32-bit signed integers. LibreOffice writes a negative
# docGrid charSpace as its unsigned 32-bit value (-8193 as 4294959103), which Word rejects.
_INT32 = (-(2 ** 31), 2 ** 31 - 1)
_DECIMAL_ATTRIBUTES = {"docGrid": ("charSpace", "linePitch")}


def _in_range(section) -> None:  # section: the final w:sectPr (lxml element)
    """The section's numbers in the schema's range: an unsigned 32-bit spelling read back as signed."""
    for tag, attributes in _DECIMAL_ATTRIBUTES.items():
        for element in section.iter(q(tag)):
            for attribute in attributes:
                value = element.get(q(attribute))
                try:
                    number = int(value) if value is not None else 0
                except ValueError:
                    element.attrib.pop(q(attribute))  # not a number: Word would refuse the file
                    continue
                if not _INT32[0] <= number <= _INT32[1]:
                    wrapped = number - 2 ** 32 if 2 ** 31 <= number < 2 ** 32 else None
                    if wrapped is None:
                        element.attrib.pop(q(attribute))
                    else:
                        element.set(q(attribute), str(wrapped))


def as_chapter(parts: list[tuple[zipfile.ZipInfo, bytes]], styles, path: Path,
               restated: bool = False) -> list[tuple[zipfile.ZipInfo, bytes]]:
    """What a chapter holds whatever its template says (`styles`: styles.xml, parsed; `restated`:
    self_contained changed it).

    Style properties stated once each (LibreOffice's Word export writes w:sz twice in a style
    with w:vertAlign); automatic hyphenation off (a template re-saved in Writer turns it on); and
    a theme part, which Word expects of every document (the template check says nothing of these:
    the chapter is right whatever the template).
    """
    out = []
    names = {info.filename for info, _ in parts}
    related = b""
    for info, blob in parts:
        if info.filename == STYLES_PART and (_without_repeats(styles) or restated):
            blob = serialize(styles)
        elif info.filename == SETTINGS_PART and b"autoHyphenation" in blob:
            blob = _without_hyphenation(blob, path)
        elif info.filename == DOCUMENT_RELS_PART:
            related = blob
        out.append((info, blob))
    if THEME_RELATIONSHIP.encode() not in related and DOCUMENT_RELS_PART in names:
        out = _with_theme(out, names, path)
    return out


def _without_repeats(root) -> bool:
    """Remove a property stated twice in one w:pPr or w:rPr (the first stays); True when any was."""
    changed = False
    for properties in root.iter(q("pPr"), q("rPr")):
        seen: set[str] = set()
        for child in list(properties):
            if not isinstance(child.tag, str):
                continue
            if child.tag in seen:
                properties.remove(child)
                changed = True
            seen.add(child.tag)
    return changed


def _without_hyphenation(blob: bytes, path: Path) -> bytes:
    """settings.xml with automatic hyphenation off (Word's default: the element left out)."""
    from .wordml import toggled_on

    root = parse_part(blob, SETTINGS_PART, path)
    found = [e for e in root.findall(q("autoHyphenation")) if toggled_on(e)]
    for element in found:
        root.remove(element)
    return serialize(root) if found else blob


def _with_theme(parts: list[tuple[zipfile.ZipInfo, bytes]], names: set[str], path: Path
                ) -> list[tuple[zipfile.ZipInfo, bytes]]:
    """The parts with reportgen's theme added, declared and related from the document part."""
    from lxml import etree

    part = next(f"word/theme/theme{n}.xml" for n in range(1, len(names) + 2)
                if f"word/theme/theme{n}.xml" not in names)
    out = []
    for info, blob in parts:
        if info.filename == CONTENT_TYPES_PART:
            root = parse_part(blob, CONTENT_TYPES_PART, path)
            etree.SubElement(root, f"{{{CONTENT_TYPES_NS}}}Override", PartName="/" + part, ContentType=THEME_TYPE)
            blob = serialize(root)
        elif info.filename == DOCUMENT_RELS_PART:
            root = parse_part(blob, DOCUMENT_RELS_PART, path)
            ids = {rel.get("Id") for rel in root}
            new_id = next(f"rIdTheme{n or ''}" for n in range(len(ids) + 1) if f"rIdTheme{n or ''}" not in ids)
            etree.SubElement(root, f"{{{RELATIONSHIPS_NS}}}Relationship", Id=new_id, Type=THEME_RELATIONSHIP,
                             Target=part.removeprefix("word/"))
            blob = serialize(root)
        out.append((info, blob))
    out.append((zipfile.ZipInfo(part), THEME))
    return out


def _theme() -> bytes:
    """A plain Office theme whose fonts are the chapter's: Times New Roman, and 標楷體 for East Asian text."""
    colours = (("dk1", '<a:sysClr val="windowText" lastClr="000000"/>'),
               ("lt1", '<a:sysClr val="window" lastClr="FFFFFF"/>'),
               ("dk2", '<a:srgbClr val="44546A"/>'), ("lt2", '<a:srgbClr val="E7E6E6"/>'),
               ("accent1", '<a:srgbClr val="4472C4"/>'), ("accent2", '<a:srgbClr val="ED7D31"/>'),
               ("accent3", '<a:srgbClr val="A5A5A5"/>'), ("accent4", '<a:srgbClr val="FFC000"/>'),
               ("accent5", '<a:srgbClr val="5B9BD5"/>'), ("accent6", '<a:srgbClr val="70AD47"/>'),
               ("hlink", '<a:srgbClr val="0563C1"/>'), ("folHlink", '<a:srgbClr val="954F72"/>'))
    fonts = '<a:latin typeface="Times New Roman"/><a:ea typeface="標楷體"/><a:cs typeface="Times New Roman"/>'
    fill = '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>'
    line = f'<a:ln w="6350" cap="flat" cmpd="sng" algn="ctr">{fill}<a:prstDash val="solid"/></a:ln>'
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="reportgen">'
        '<a:themeElements><a:clrScheme name="reportgen">'
        + "".join(f"<a:{name}>{value}</a:{name}>" for name, value in colours)
        + f'</a:clrScheme><a:fontScheme name="reportgen"><a:majorFont>{fonts}</a:majorFont>'
        f"<a:minorFont>{fonts}</a:minorFont></a:fontScheme>"
        f'<a:fmtScheme name="reportgen"><a:fillStyleLst>{fill * 3}</a:fillStyleLst>'
        f"<a:lnStyleLst>{line * 3}</a:lnStyleLst>"
        f"<a:effectStyleLst>{'<a:effectStyle><a:effectLst/></a:effectStyle>' * 3}</a:effectStyleLst>"
        f"<a:bgFillStyleLst>{fill * 3}</a:bgFillStyleLst></a:fmtScheme>"
        "</a:themeElements><a:objectDefaults/><a:extraClrSchemeLst/></a:theme>"
    ).encode("utf-8")


THEME = _theme()
