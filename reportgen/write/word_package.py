"""A template package opened as python-docx opens one, for the template check, without python-docx.

The check (`reportgen template`, and every `build`) needs two things python-docx gave it: whether
the package opens as a Word document at all (a damaged one is refused with one message), and the
page of the last section (size, header and footer distances). Importing python-docx for them cost
0.04–0.06 s of every build (issue 24), more than the rest of the check. `open_document` does both
from the parts already in memory, following python-docx 1.2's reading (docx.opc.pkgreader: the
content types, the relationships walked from the package, the XML parts of the kinds it parses;
docx.api.Document: one main document part; docx.oxml.section: the page):

- an ordinary package (what Word, LibreOffice and WPS save) is read here;
- anything python-docx might read differently or refuse — a part it could not parse, a missing
  relationship target, a DTD, no styles relationship (python-docx then supplies its own styles),
  a length it cannot convert — returns None, and the caller opens the package with python-docx
  as before, so those packages get exactly the old answer.

tests/test_fast_paths.py compares both readings over good, unusual and damaged templates.
"""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass

from .wordml import (
    CONTENT_TYPES_NS,
    DOCUMENT_RELATIONSHIP,
    DOCUMENT_TYPE,
    R_NS,
    RELATIONSHIPS_NS,
    W_NS,
    Element,
    q,
)

STYLES_RELATIONSHIP = R_NS + "/styles"
_WML = "application/vnd.openxmlformats-officedocument.wordprocessingml."
# The parts python-docx parses when it opens a package (docx/__init__.py's PartFactory table);
# every other part it keeps as bytes, unread.
PARSED_TYPES = frozenset({
    "application/vnd.openxmlformats-package.core-properties+xml",
    _WML + "comments+xml", DOCUMENT_TYPE, _WML + "footer+xml", _WML + "header+xml",
    _WML + "numbering+xml", _WML + "settings+xml", _WML + "styles+xml",
})
_EMU_PER = {"mm": 36000, "cm": 360000, "in": 914400, "pt": 12700, "pc": 152400, "pi": 152400}
_EMU_PER_TWIP = 635


class _Unusual(Exception):
    """Something python-docx may read differently: leave the package to python-docx."""


@dataclass(frozen=True)
class Page:
    """The last section's page, in twips; None where the template does not say (python-docx's
    `Section.page_width`, `page_height`, `header_distance`, `footer_distance`)."""

    width: int | None
    height: int | None
    header: int | None
    footer: int | None


@dataclass(frozen=True)
class OpenedDocument:
    styles: Element  # the styles part the main document relates to
    page: Page | None  # None: the body has no section properties (Word's default page)


def open_document(parts: list[tuple[zipfile.ZipInfo, bytes]]) -> OpenedDocument | None:
    """The styles and page of a package as python-docx would read them, or None when the package
    is anything but ordinary (then python-docx must be asked; it may refuse it)."""
    blobs = {info.filename: blob for info, blob in parts}
    try:
        types = _content_types(blobs)
        reached = _walk(blobs, types)
        documents = [target for source, kind, target in reached if source == "/" and kind == DOCUMENT_RELATIONSHIP]
        if len(documents) != 1 or types(documents[0]) != DOCUMENT_TYPE:
            raise _Unusual
        styles = [target for source, kind, target in reached if source == documents[0] and kind == STYLES_RELATIONSHIP]
        if len(styles) != 1:
            raise _Unusual
        document = _parse(blobs[documents[0][1:]])
        if document.tag != q("document"):
            raise _Unusual
        return OpenedDocument(_parse(blobs[styles[0][1:]]), _page(document))
    except _Unusual:
        return None


def _parse(blob: bytes) -> Element:
    from lxml import etree

    from .wordml import parser

    if b"<!DOCTYPE" in blob or b"<!ENTITY" in blob:
        raise _Unusual
    try:
        return etree.fromstring(blob, parser())
    except etree.XMLSyntaxError as exc:
        raise _Unusual from exc


def _content_types(blobs: dict[str, bytes]):
    """A part name ("/word/document.xml") → its content type, as [Content_Types].xml says."""
    if "[Content_Types].xml" not in blobs:
        raise _Unusual
    root = _parse(blobs["[Content_Types].xml"])
    if root.tag != f"{{{CONTENT_TYPES_NS}}}Types":
        raise _Unusual
    overrides, defaults = {}, {}
    for override in root.iterfind(f"{{{CONTENT_TYPES_NS}}}Override"):
        name, kind = override.get("PartName"), override.get("ContentType")
        if not name or not name.startswith("/") or kind is None:
            raise _Unusual
        overrides[name.lower()] = kind
    for default in root.iterfind(f"{{{CONTENT_TYPES_NS}}}Default"):
        extension, kind = default.get("Extension"), default.get("ContentType")
        if extension is None or kind is None:
            raise _Unusual
        defaults[extension.lower()] = kind

    def content_type(name: str) -> str:
        extension = posixpath.splitext(name)[1][1:].lower()
        found = overrides.get(name.lower(), defaults.get(extension))
        if found is None:
            raise _Unusual
        return found
    return content_type


def _walk(blobs: dict[str, bytes], types) -> list[tuple[str, str, str]]:
    """Every internal relationship reached from the package, as (source, type, target) part names;
    each part reached exists, and parses when python-docx would parse it."""
    reached: list[tuple[str, str, str]] = []
    visited: set[str] = set()
    pending = ["/"]
    while pending:
        source = pending.pop()
        for kind, target in _relationships(blobs, source):
            reached.append((source, kind, target))
            if target in visited:
                continue
            visited.add(target)
            if target[1:] not in blobs:
                raise _Unusual
            if types(target) in PARSED_TYPES:
                _parse(blobs[target[1:]])
            pending.append(target)
    return reached


def _relationships(blobs: dict[str, bytes], source: str) -> list[tuple[str, str]]:
    """(type, target part name) of a part's internal relationships; none when it has no .rels."""
    folder, name = posixpath.split(source)
    rels = posixpath.join(folder, "_rels", name + ".rels")[1:]
    if rels not in blobs:
        return []
    root = _parse(blobs[rels])
    if root.tag != f"{{{RELATIONSHIPS_NS}}}Relationships":
        raise _Unusual
    found = []
    for rel in root.iterfind(f"{{{RELATIONSHIPS_NS}}}Relationship"):
        kind, target, mode = rel.get("Type"), rel.get("Target"), rel.get("TargetMode", "Internal")
        if not rel.get("Id") or kind is None or target is None:
            raise _Unusual
        if mode == "External":
            continue
        found.append((kind, posixpath.abspath(posixpath.join(folder, target))))
    return found


def _page(document: Element) -> Page | None:
    sections = document.xpath("./w:body/w:p/w:pPr/w:sectPr | ./w:body/w:sectPr", namespaces={"w": W_NS})
    if not sections:
        return None
    last = sections[-1]  # in document order, as python-docx's Sections
    size, margins = last.find(q("pgSz")), last.find(q("pgMar"))
    return Page(_twips(size, "w"), _twips(size, "h"), _twips(margins, "header"), _twips(margins, "footer"))


def _twips(element: Element | None, name: str) -> int | None:
    """A length attribute as python-docx's ST_TwipsMeasure reads it, in whole twips."""
    if element is None:
        return None
    text = element.get(f"{{{W_NS}}}{name}")
    if text is None:
        return None
    try:
        if "i" in text or "m" in text or "p" in text:  # a universal measure: 2.54cm, 1in, 12pt
            emu = round(float(text[:-2]) * _EMU_PER[text[-2:]])
        else:
            emu = int(text) * _EMU_PER_TWIP
    except (ValueError, KeyError, OverflowError) as exc:
        raise _Unusual from exc
    return round(emu / _EMU_PER_TWIP)
