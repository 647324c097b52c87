"""The only module that writes Word: the template's package with a new body and properties."""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import IO

from ..errors import FatalError
from .compose import Block, Document, Role
from .fingerprint import EMPTY, combine
from .label_fit import LabelWidths, fit_labels, widest_labels, widths_of
from .paragraph_layout import carried_layouts
from .sub_layout import BORROWED
from .sub_layout import layouts as sub_layouts

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DOCUMENT_PART = "word/document.xml"
STYLES_PART = "word/styles.xml"
CORE_PART = "docProps/core.xml"
APP_PART = "docProps/app.xml"
SETTINGS_PART = "word/settings.xml"
CONTENT_TYPES_PART = "[Content_Types].xml"
PACKAGE_RELS_PART = "_rels/.rels"
CORE_TYPE = "application/vnd.openxmlformats-package.core-properties+xml"
CORE_RELATIONSHIP = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
DOCUMENT_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOCUMENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
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
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip entry times: the same inputs give the same bytes
MAX_TEMPLATE_PART = 20 * 1024 * 1024
MAX_TEMPLATE_TOTAL = 64 * 1024 * 1024  # a template with a letterhead picture is a few MB
_BLOCKS_PER_PIECE = 2000  # paragraphs encoded and compressed at a time

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
LEAD_ENDINGS = ("：", ":")
STYLE_HELP: dict[Role, str] = {
    Role.CHAPTER: "章標題（內建樣式「標題 1」）",
    Role.SECTION: "節標題（內建樣式「標題 2」）",
    Role.ITEM: "項目標題（內建樣式「標題 3」）",
    Role.SECTION_BODY: "節的前言與訪團名單",
    Role.ITEM_BODY: "項目內文",
}
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def escape(text: str) -> str:
    """XML text escaping (xml.sax.saxutils would import urllib, http and ssl at start-up)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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


def _parse(data: bytes, part: str, path: Path):  # -> lxml.etree._Element
    from lxml import etree

    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise FatalError(f"範本 {path.name} 的{shown(part)}含有不允許的 DTD 宣告，可能是惡意檔案。")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
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
    styles = _parse(data[STYLES_PART], STYLES_PART, path)
    by_name: dict[str, str] = {}
    for element in styles.iterfind(f"{{{W}}}style"):
        if element.get(f"{{{W}}}type", "paragraph") != "paragraph":  # no w:type: Word's paragraph style
            continue
        name = element.find(f"{{{W}}}name")
        if name is not None:
            by_name.setdefault(name.get(f"{{{W}}}val", "").lower(), element.get(f"{{{W}}}styleId"))
    style_ids: dict[Role, str] = {}
    for role, name in STYLE_NAMES.items():
        style_id = by_name.get(name.lower())
        if not style_id:
            raise FatalError(missing_style_message(path, role))
        style_ids[role] = style_id
    document = _parse(data[DOCUMENT_PART], DOCUMENT_PART, path)
    prefix = next((p for p, uri in document.nsmap.items() if uri == W and p), None)
    if prefix is None or document.find(f"{{{W}}}body") is None:
        raise FatalError(f"範本 {path.name} 的{shown(DOCUMENT_PART)}格式不符，請用 Word 重新存檔。")
    head, tail = _around_body(document)
    return Template(path, tuple(parts), style_ids, prefix, head, tail,
                    lead_id=by_name.get(LEAD_STYLE_NAME.lower()), dropped=tuple(dropped))


def missing_style_message(path: Path, role: Role) -> str:
    name = STYLE_NAMES[role]
    return (f"範本 {path.name} 缺少段落樣式「{name}」（用於{STYLE_HELP[role]}）。"
            f"請在 Word 的「樣式」窗格新增名為「{name}」的段落樣式後存檔。")


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

    root = _parse(blob, CONTENT_TYPES_PART, path)
    if any((o.get("PartName") or "").lower() == "/" + CORE_PART.lower() for o in root):
        return blob
    etree.SubElement(root, f"{{{CONTENT_TYPES_NS}}}Override", PartName="/" + CORE_PART, ContentType=CORE_TYPE)
    return _serialize(root)


def _relate_core(blob: bytes, path: Path) -> bytes:
    from lxml import etree

    root = _parse(blob, PACKAGE_RELS_PART, path)
    existing = [rel for rel in root if rel.get("Type") == CORE_RELATIONSHIP]
    if existing:  # a link to a part that is not there: point it at the part written now
        for rel in existing:
            rel.set("Target", CORE_PART)
        return _serialize(root)
    ids = {rel.get("Id") for rel in root}
    new_id = next(f"rIdCore{n or ''}" for n in range(len(ids) + 1) if f"rIdCore{n or ''}" not in ids)
    etree.SubElement(root, f"{{{RELATIONSHIPS_NS}}}Relationship", Id=new_id, Type=CORE_RELATIONSHIP,
                     Target=CORE_PART)
    return _serialize(root)


def _without_attached_template(blob: bytes, path: Path) -> bytes:
    """settings.xml without the link to the template's own template (its relationship goes too)."""
    root = _parse(blob, SETTINGS_PART, path)
    for element in root.findall(f"{{{W}}}attachedTemplate"):
        root.remove(element)
    return _serialize(root)


def _content_types(blob: bytes, gone: set[str], path: Path) -> bytes:
    root = _parse(blob, CONTENT_TYPES_PART, path)
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
    return _serialize(root) if changed else blob


def _relationships(name: str, blob: bytes, gone: set[str], path: Path) -> bytes:
    """A .rels part without relationships to dropped parts (and without a template's link to its own template)."""
    import posixpath

    owner_dir = posixpath.dirname(posixpath.dirname(name))  # word/_rels/document.xml.rels → word
    root = _parse(blob, name, path)
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
    return _serialize(root) if changed else blob


def _serialize(root) -> bytes:  # root: lxml.etree._Element
    from lxml import etree

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _around_body(root) -> tuple[bytes, bytes]:  # root: lxml.etree._Element
    """The document part without its body's content, split where the new paragraphs go.

    The template's own paragraphs (samples for the editors) go; its last section properties
    (page size, margins, footer) stay.
    """
    from lxml import etree

    body = root.find(f"{{{W}}}body")
    section = body[-1] if len(body) and body[-1].tag == f"{{{W}}}sectPr" else None
    for child in list(body):
        if child is not section:
            body.remove(child)
    marker = etree.Comment(" reportgen body ")
    if section is not None:
        section.addprevious(marker)
    else:
        body.append(marker)
    head, tail = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                standalone=True).split(b"<!-- reportgen body -->", 1)
    return head, tail


def _xml_text(text: str) -> str:
    """A paragraph's text as element content: characters XML cannot hold dropped, & < > escaped.

    Most paragraphs need neither, and two quick scans say so sooner than the regex and the three
    replaces would (tests/test_docx_writer.py checks the shortcut against them).
    """
    if not text.isprintable():  # every character _XML_ILLEGAL matches is unprintable
        text = _XML_ILLEGAL.sub("", text)
    if "&" in text or "<" in text or ">" in text:
        text = escape(text)
    return text


def _xml_texts(texts: list[str]) -> list[str]:
    """_xml_text for many paragraphs; when all of them together need nothing, they stay as they are.

    Scanning 2,000 texts joined together takes a quarter of the time of checking each one.
    """
    plain = "".join(texts)
    if plain.isprintable() and not ("&" in plain or "<" in plain or ">" in plain):
        return texts
    return [_xml_text(text) for text in texts]


@dataclass(frozen=True)
class _Markup:
    """The XML around each paragraph's text, made once per chapter instead of once per paragraph.

    `opening`: a role's paragraph up to its run (style, carried layout: paragraph_layout.py);
    `lead`: the same for a 節內文 paragraph announcing the next one; `tab`: what follows a role's
    label; `plain`: an unlabelled paragraph up to its text; `labelled`: a labelled one up to its
    text, remembered per label ((一) … (五百) recur in every section).
    """

    w: str
    opening: dict[Role, str]
    lead: str | None
    tab: dict[Role, str]
    plain: dict[Role, str]
    labelled: dict[tuple[Role, str, int], str]
    # Sub-items and run-in items (sub_layout.py): their context's body style, their own layout.
    borrowed: dict[tuple[Role, int], str]

    @classmethod
    def of(cls, template: Template, layouts: dict[str, str], section_tab: bool,
           extra: dict[tuple[Role, int], str] | None = None) -> _Markup:
        w = template.prefix

        def opening(style_id: str, layout: str | None = None) -> str:
            layout = layouts[style_id] if layout is None else layout
            return f'<{w}:p><{w}:pPr><{w}:pStyle {w}:val="{style_id}"/>{layout}</{w}:pPr><{w}:r>'

        openings = {role: opening(style_id) for role, style_id in template.style_ids.items()}
        borrowed = {(role, level): opening(template.style_ids[BORROWED[role]], layout)
                    for (role, level), layout in (extra or {}).items()}
        tabbed = {Role.ITEM, Role.SECTION} if section_tab else {Role.ITEM}
        tabbed |= set(BORROWED)
        return cls(w=w, opening=openings, lead=opening(template.lead_id) if template.lead_id else None,
                   tab={role: f"<{w}:tab/>" if role in tabbed else "" for role in Role},
                   plain={role: head + f'<{w}:t xml:space="preserve">' for role, head in openings.items()},
                   labelled={}, borrowed=borrowed)

    def head(self, role: Role, label: str, lead: bool = False, level: int = 0) -> str:
        """A paragraph up to its text: style, layout, and the label (if any) in a w:t of its own."""
        w = self.w
        if role in BORROWED:
            opening = self.borrowed[(role, level)]
        else:
            opening = self.lead if lead and self.lead else self.opening[role]
        label_xml = f"<{w}:t>{escape(label)}</{w}:t>{self.tab[role]}" if label else ""
        return f'{opening}{label_xml}<{w}:t xml:space="preserve">'

    def labelled_head(self, role: Role, label: str, level: int = 0) -> str:
        """head() for a labelled paragraph that does not lead, made once per label (and depth)."""
        head = self.labelled.get((role, label, level))
        if head is None:
            head = self.labelled[(role, label, level)] = self.head(role, label, level=level)
        return head


def _leads(block: Block, index: int, blocks: tuple[Block, ...]) -> bool:
    """A 節內文 paragraph ending in a colon, not the last: it announces, and keeps with, the next."""
    return (block.role is Role.SECTION_BODY and index + 1 < len(blocks)
            and block.text.rstrip().endswith(LEAD_ENDINGS))


def _paragraphs(markup: _Markup, blocks: tuple[Block, ...], start: int, stop: int) -> str:
    """Paragraphs start … stop-1 as XML.

    A large chapter has 125,000 paragraphs, so each block is read once and its paragraph is
    three ready-made strings: head (style, layout, label), text, close. The texts are made safe
    for XML afterwards, all at once (_xml_texts).
    """
    close = f"</{markup.w}:t></{markup.w}:r></{markup.w}:p>"
    may_lead = Role.SECTION_BODY if markup.lead else None
    out: list[str] = []
    add = out.append
    for index in range(start, stop):
        block = blocks[index]
        role, label = block.role, block.label
        if role is may_lead and _leads(block, index, blocks):
            add(markup.head(role, label, lead=True))
        elif label:
            add(markup.labelled_head(role, label, block.level))
        else:
            add(markup.plain[role])
        add(block.text)
        add(close)
    texts = out[1::3]
    safe = _xml_texts(texts)
    if safe is not texts:
        out[1::3] = safe
    return "".join(out)


def _document_xml(template: Template, document: Document, widths: LabelWidths,
                  layouts: dict[str, str], extra: dict[tuple[Role, int], str] | None = None) -> Iterator[bytes]:
    """The template's document part with the chapter as its body; `layouts`: each style id's carried pPr.

    Yielded in pieces so that a chapter of 100,000 paragraphs is never held whole in memory.
    An item's label is followed by a tab; a section's too when labels differ in width
    (`widths.section`), so that every section title lines up.
    """
    yield template.head
    blocks = document.blocks
    markup = _Markup.of(template, layouts, section_tab=widths.section > 0, extra=extra)
    for start in range(0, len(blocks), _BLOCKS_PER_PIECE):
        yield _paragraphs(markup, blocks, start, min(start + _BLOCKS_PER_PIECE, len(blocks))).encode("utf-8")
    yield template.tail


def _core_xml(document: Document) -> bytes:
    """The core properties with an empty mark; render_docx fills it in last (fingerprint.py)."""
    year, month, day = document.date
    stamp = f"{year:04d}-{month:02d}-{day:02d}T00:00:00Z"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(document.title)}</dc:title>"
        f"<dc:subject>{escape(document.subject)}</dc:subject>"
        "<dc:creator>reportgen</dc:creator><cp:lastModifiedBy>reportgen</cp:lastModifiedBy>"
        f"<dc:language>zh-TW</dc:language>{EMPTY}<cp:revision>1</cp:revision>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    ).encode()


def _entry(name: str) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o644 << 16
    entry.create_system = 3  # zipfile writes 0 on Windows: the bytes must not depend on the OS
    return entry


def _write_behind(pieces: Iterator[bytes], digest: hashlib._Hash, stream: IO[bytes]) -> None:
    """Deflate each piece on a second thread while this one hashes it and makes the next piece.

    zlib lets go of the interpreter lock while it works, so with a processor to spare, deflating
    (the larger half of writing a large chapter) runs beside making the XML and hashing it (the
    two halves then take about as long). One thread writes every piece in order, so the bytes are
    a plain loop's; at most one piece waits, so memory stays at a few pieces.
    """
    import queue
    import threading

    handoff: queue.Queue[bytes | None] = queue.Queue(maxsize=1)
    failed: list[BaseException] = []

    def write() -> None:
        while (piece := handoff.get()) is not None:
            if failed:
                continue  # take what was already handed over, so that the maker never waits
            try:
                stream.write(piece)
            except BaseException as exc:  # raised again on the calling thread
                failed.append(exc)

    writer = threading.Thread(target=write, name="reportgen-deflate", daemon=True)
    writer.start()
    try:
        for piece in pieces:
            if failed:
                break  # nothing more can be written
            digest.update(piece)
            handoff.put(piece)
    finally:
        handoff.put(None)
        writer.join()
    if failed:
        raise failed[0]


def render_docx(template: Template, document: Document) -> bytes:
    """The finished .docx as bytes; identical inputs give identical bytes.

    Every part is hashed as it is written and the core properties go last, carrying the digest
    of the package exactly as written (fingerprint.py), so a later edit is recognised.
    """
    widest = widest_labels(document)
    widths = widths_of(widest)
    replace: dict[str, bytes] = {}
    if widths.section or widths.item:
        replace[STYLES_PART] = fit_labels(template.styles_xml, template.style_ids, template.lead_id, widest)
    used = [*template.style_ids.values(), *([template.lead_id] if template.lead_id else [])]
    styles = replace.get(STYLES_PART, template.styles_xml)
    layouts = carried_layouts(styles, used, template.prefix)
    extra = sub_layouts(styles, template.style_ids, document, layouts)
    hashes: list[tuple[str, bytes]] = []
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, blob in template.parts:
            if info.filename == CORE_PART:
                continue  # written last (load_template made sure the package declares it)
            digest = hashlib.sha256()
            if info.filename == DOCUMENT_PART:
                with archive.open(_entry(info.filename), "w") as stream:
                    _write_behind(_document_xml(template, document, widths, layouts, extra), digest, stream)
            else:
                data = replace.get(info.filename, blob)
                digest.update(data)
                archive.writestr(_entry(info.filename), data)
            hashes.append((info.filename, digest.digest()))
        core = _core_xml(document)
        hashes.append((CORE_PART, hashlib.sha256(core).digest()))
        mark = f"<dc:identifier>{combine(hashes)}</dc:identifier>".encode()
        archive.writestr(_entry(CORE_PART), core.replace(EMPTY.encode(), mark, 1))
    return out.getvalue()
