"""The only module that writes Word: the chapter's paragraphs into its template's package, and its properties.

The template's package is template_package.py's (read, checked and made the chapter's own); this
module renders the body as string XML (python-docx's add_paragraph is quadratic in the number of
paragraphs), each style's paragraph markup made once, and writes the package.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import IO

from .compose import Block, Document, Role
from .fingerprint import EMPTY, combine
from .label_fit import LabelWidths, fit_labels, widest_labels, widths_of
from .paragraph_layout import carried_layouts, kept_with_next
from .sub_layout import BORROWED
from .sub_layout import layouts as sub_layouts
from .template_package import CORE_PART, DOCUMENT_PART, STYLES_PART, Template
from .wordml import escape_text

FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip entry times: the same inputs give the same bytes
_BLOCKS_PER_PIECE = 2000  # paragraphs encoded and compressed at a time
LEAD_ENDINGS = ("：", ":")  # a 節內文 paragraph ending so announces the next one
HEADINGS = (Role.CHAPTER, Role.SECTION, Role.ITEM)
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """A paragraph's text as element content: characters XML cannot hold dropped, & < > escaped.

    Most paragraphs need neither, and two quick scans say so sooner than the regex and the three
    replaces would (tests/test_docx_writer.py checks the shortcut against them).
    """
    if not text.isprintable():  # every character _XML_ILLEGAL matches is unprintable
        text = _XML_ILLEGAL.sub("", text)
    if "&" in text or "<" in text or ">" in text:
        text = escape_text(text)
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
    lead: str
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
        # The intro before a list (「主要訪團代表為：」) is kept with it (SPEC §3): in its own style
        # 節內文（與下段同頁） when the template has one, else in 節內文; kept with the next either way.
        lead_id = template.lead_id or template.style_ids[Role.SECTION_BODY]
        lead = opening(lead_id, kept_with_next(layouts[lead_id], w))
        return cls(w=w, opening=openings, lead=lead,
                   tab={role: f"<{w}:tab/>" if role in tabbed else "" for role in Role},
                   plain={role: head + f'<{w}:t xml:space="preserve">' for role, head in openings.items()},
                   labelled={}, borrowed=borrowed)

    def head(self, role: Role, label: str, lead: bool = False, level: int = 0) -> str:
        """A paragraph up to its text: style, layout, and the label (if any) in a w:t of its own."""
        w = self.w
        if role in BORROWED:
            opening = self.borrowed[(role, level)]
        elif lead:
            opening = self.lead
        else:
            opening = self.opening[role]
        label_xml = f"<{w}:t>{escape_text(label)}</{w}:t>{self.tab[role]}" if label else ""
        return f'{opening}{label_xml}<{w}:t xml:space="preserve">'

    def kept_head(self, role: Role, label: str, level: int = 0) -> str:
        """labelled_head kept with the next paragraph: a 標題接內文 item whose sub-items follow (its
        title standing alone, or its first sentence introducing them) never ends a page without them
        (SPEC §3: headings kept with the next). Rare enough to be made each time."""
        head = self.labelled_head(role, label, level)
        cut = head.index('"/>') + 3  # after w:pStyle, where keep-with-next goes
        keep = f"<{self.w}:keepNext/>"
        return head if head.startswith(keep, cut) else head[:cut] + keep + head[cut:]

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
    may_lead = Role.SECTION_BODY
    out: list[str] = []
    add = out.append
    for index in range(start, stop):
        block = blocks[index]
        role, label = block.role, block.label
        if role is may_lead and _leads(block, index, blocks):
            add(markup.head(role, label, lead=True))
        elif label:
            if role is Role.ITEM_RUNIN and index + 1 < len(blocks) and blocks[index + 1].role is Role.SUBITEM:
                add(markup.kept_head(role, label))
            else:
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
        f"<dc:title>{escape_text(document.title)}</dc:title>"
        f"<dc:subject>{escape_text(document.subject)}</dc:subject>"
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
    layouts = carried_layouts(styles, used, template.prefix,
                              headings=[template.style_ids[role] for role in HEADINGS])
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
