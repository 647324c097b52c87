"""Show editors how the chapter looks inside their master report: docs/master-page1.png.

Builds the example chapter with reportgen's own template, inserts it into a master document whose
Normal, document defaults, headings and 項內文 differ from reportgen's template (LibreOffice
headless, Insert → Text from File, through a small Basic macro in a temporary profile), and
renders the chapter's first page in the master beside the stand-alone first page. Run from the
repository root:

    python tools/render_master_preview.py

tests/test_master.py uses the same functions. Needs LibreOffice (soffice) and poppler (pdftoppm).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from reportgen.write.wordml import RPR_ORDER, W_NS, insert_in_order  # noqa: E402

WNS = W_NS
W = f"{{{WNS}}}"
MACRO = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" script:language="StarBasic">
Sub Merge(master As String, chapter As String, pdf As String)
  Dim load(0) As New com.sun.star.beans.PropertyValue
  load(0).Name = &quot;Hidden&quot;
  load(0).Value = True
  doc = StarDesktop.loadComponentFromURL(ConvertToURL(master), &quot;_blank&quot;, 0, load())
  cursor = doc.getText().createTextCursor()
  cursor.gotoEnd(False)
  Dim none() As New com.sun.star.beans.PropertyValue
  cursor.insertDocumentFromURL(ConvertToURL(chapter), none())
  Dim store(0) As New com.sun.star.beans.PropertyValue
  store(0).Name = &quot;FilterName&quot;
  store(0).Value = &quot;writer_pdf_Export&quot;
  doc.storeToURL(ConvertToURL(pdf), store())
  doc.close(True)
End Sub
</script:module>
"""
# The master's own paragraphs before the chapter: the end of the previous chapter.
PREVIOUS = ("貳拾伍、前一章（總報告的其他章節）",
            "這是總報告中前一章的內文，使用總報告自己的「內文」樣式：新細明體與 Arial、12 點、1.5 倍行高、"
            "靠左對齊、首行縮排兩字、段後 10 點。本章插入後，應從新的一頁開始，並保持自己的版面。")


def _rpr_fonts(element, latin: str, east_asian: str) -> None:
    fonts = element.find(f"{W}rFonts")
    if fonts is None:
        fonts = etree.SubElement(element, f"{W}rFonts")
        element.insert(0, fonts)
    for key in list(fonts.attrib):
        del fonts.attrib[key]
    fonts.set(f"{W}ascii", latin)
    fonts.set(f"{W}hAnsi", latin)
    fonts.set(f"{W}eastAsia", east_asian)


def _foreign_normal(root) -> None:
    """Normal and the document defaults as an unrelated master has them."""
    defaults = root.find(f"{W}docDefaults")
    for rpr in (defaults.find(f"{W}rPrDefault/{W}rPr"),
                next(s for s in root.iter(f"{W}style") if s.get(f"{W}styleId") == "Normal").find(f"{W}rPr")):
        _rpr_fonts(rpr, "Arial", "新細明體")
        for tag in ("sz", "szCs"):
            element = rpr.find(f"{W}{tag}")
            if element is None:
                element = insert_in_order(rpr, etree.Element(f"{W}{tag}"), RPR_ORDER)
            element.set(f"{W}val", "24")
        lang = rpr.find(f"{W}lang")
        if lang is not None:
            lang.set(f"{W}eastAsia", "ja-JP")
    normal = next(s for s in root.iter(f"{W}style") if s.get(f"{W}styleId") == "Normal")
    ppr = normal.find(f"{W}pPr")
    for child in list(ppr):
        ppr.remove(child)
    ppr.append(etree.fromstring(f'<w:spacing xmlns:w="{WNS}" w:before="0" w:after="200" w:line="360" '
                                'w:lineRule="auto"/>'))
    ppr.append(etree.fromstring(f'<w:ind xmlns:w="{WNS}" w:firstLine="480"/>'))
    ppr.append(etree.fromstring(f'<w:jc xmlns:w="{WNS}" w:val="left"/>'))
    default_ppr = defaults.find(f"{W}pPrDefault/{W}pPr")
    for child in list(default_ppr):
        default_ppr.remove(child)
    default_ppr.append(etree.fromstring(f'<w:spacing xmlns:w="{WNS}" w:after="160" w:line="259" '
                                        'w:lineRule="auto"/>'))


def _editors_headings(root, item_shift: int = 280) -> None:
    """The master's own heading look: navy, Arial for Latin text; 標題 3 hangs `item_shift` twips more
    (one 14 pt character: room for two-digit labels with a gap, as `reportgen template` advises),
    and its 項內文 moves with it."""
    by_name = {s.find(f"{W}name").get(f"{W}val"): s for s in root.iter(f"{W}style")}
    for name in ("heading 1", "heading 2", "heading 3"):
        rpr = by_name[name].find(f"{W}rPr")
        _rpr_fonts(rpr, "Arial", "標楷體")
        color = rpr.find(f"{W}color")
        color.set(f"{W}val", "1F3864")
    for name, left, hanging in (("heading 3", item_shift, item_shift), ("項內文", item_shift, 0)):
        ppr = by_name[name].find(f"{W}pPr")
        ind = ppr.find(f"{W}ind")
        ind.set(f"{W}left", str(int(ind.get(f"{W}left")) + left))
        if hanging:
            ind.set(f"{W}hanging", str(int(ind.get(f"{W}hanging")) + hanging))
        for tab in ppr.iter(f"{W}tab"):
            tab.set(f"{W}pos", str(int(tab.get(f"{W}pos")) + left))


def _previous_chapter(root) -> None:
    body = root.find(f"{W}body")
    section = body[-1]
    for child in list(body)[:-1]:
        body.remove(child)
    for text in PREVIOUS:
        paragraph = etree.fromstring(f'<w:p xmlns:w="{WNS}"><w:pPr><w:pStyle w:val="Normal"/></w:pPr>'
                                     f"<w:r><w:t>{text}</w:t></w:r></w:p>")
        section.addprevious(paragraph)


def make_master(template: Path, target: Path, *, editors_headings: bool, item_shift: int = 280) -> Path:
    """A master report made from `template`: a foreign Normal and defaults, a previous chapter's text.

    With editors_headings, its headings get the master's own look (colour, Latin font, item hanging
    and 項內文 `item_shift` twips wider), as when editors restyle their master's template.
    """
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename in ("word/styles.xml", "word/document.xml"):
                root = etree.fromstring(data)
                if info.filename == "word/styles.xml":
                    _foreign_normal(root)
                    if editors_headings:
                        _editors_headings(root, item_shift)
                else:
                    _previous_chapter(root)
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            out.writestr(info, data)
    return target


def _profile(work: Path, soffice: str) -> Path:
    """A fresh LibreOffice profile holding the Merge macro."""
    profile = work / "profile"
    subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                    "--terminate_after_init"], capture_output=True, timeout=180, check=False)
    module = profile / "user" / "basic" / "Standard" / "Module1.xba"
    if not module.parent.is_dir():
        raise RuntimeError("LibreOffice did not create its profile")
    module.write_text(MACRO, encoding="utf-8")
    return profile


def insert_into_master(master: Path, chapter: Path, pdf: Path, *, env: dict[str, str] | None = None) -> Path:
    """Insert `chapter` at the end of `master` as Writer's Insert → Text from File does; save a PDF."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory(prefix="reportgen-master-") as folder:
        work = Path(folder)
        profile = _profile(work, soffice)
        call = f'macro:///Standard.Module1.Merge("{master.resolve()}","{chapter.resolve()}","{pdf.resolve()}")'
        subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", call],
                       capture_output=True, timeout=300, check=False, env=env, start_new_session=True)
    if not pdf.is_file():
        raise RuntimeError(f"LibreOffice wrote no {pdf.name}")
    return pdf


def font_env(work: Path) -> dict[str, str]:
    """The fontconfig set-up `reportgen build --pdf` gives LibreOffice (標楷體 → TW-Kai …)."""
    from reportgen.write.convert import _environment

    return _environment(work)


def main() -> int:
    from reportgen.cli import main as reportgen

    docs = ROOT / "docs"
    with tempfile.TemporaryDirectory(prefix="reportgen-preview-") as folder:
        work = Path(folder)
        master = make_master(ROOT / "templates" / "report.docx", work / "總報告.docx", editors_headings=True)
        chapter = work / "國際事務.docx"
        example = next((ROOT / "inputs").glob("*.xlsx"))
        # built with reportgen's own template, as most editors will: the master's headings replace the
        # chapter's on insertion, and the layout each paragraph carries keeps labels and text aligned
        if reportgen(["build", str(example), "-o", str(chapter), "--pdf"]) != 0:
            return 1
        merged = insert_into_master(master, chapter, work / "merged.pdf", env=font_env(work))
        for pdf, page, name in ((chapter.with_suffix(".pdf"), 1, "alone"), (merged, 2, "master")):
            subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", str(page), "-l", str(page), "-singlefile",
                            str(pdf), str(work / name)], check=True)
        _side_by_side(work / "alone.png", work / "master.png", docs / "master-page1.png")
    print(f"wrote {(docs / 'master-page1.png').relative_to(ROOT)}")
    return 0


def _side_by_side(left: Path, right: Path, target: Path) -> None:
    """Two page images next to each other with a gutter, through pdftoppm's PNGs and zlib only."""
    import struct
    import zlib

    def read(path: Path) -> tuple[int, int, list[bytes]]:
        data = path.read_bytes()
        width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
        if (depth, colour) != (8, 2):
            raise RuntimeError(f"{path.name}: expected 8-bit RGB")
        chunks, pos = b"", 8
        while pos < len(data):
            length, kind = struct.unpack(">I4s", data[pos:pos + 8])
            if kind == b"IDAT":
                chunks += data[pos + 8:pos + 8 + length]
            pos += 12 + length
        raw = zlib.decompress(chunks)
        stride = width * 3
        rows, previous = [], bytearray(stride)
        for y in range(height):
            kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
            for x in range(stride):
                a = line[x - 3] if x >= 3 else 0
                b = previous[x]
                c = previous[x - 3] if x >= 3 else 0
                if kind == 1:
                    line[x] = (line[x] + a) & 255
                elif kind == 2:
                    line[x] = (line[x] + b) & 255
                elif kind == 3:
                    line[x] = (line[x] + (a + b) // 2) & 255
                elif kind == 4:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            rows.append(bytes(line))
            previous = line
        return width, height, rows

    (lw, lh, lrows), (rw, rh, rrows) = read(left), read(right)
    gutter, height = 24, max(lh, rh)
    grey = b"\x99\x99\x99"
    width = lw + gutter + rw
    out_rows = []
    for y in range(height):
        a = lrows[y] if y < lh else b"\xff" * (lw * 3)
        b = rrows[y] if y < rh else b"\xff" * (rw * 3)
        out_rows.append(b"\x00" + a + grey * gutter + b)
    png = b"\x89PNG\r\n\x1a\n"

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"".join(out_rows), 9)) + chunk(b"IEND", b"")
    target.write_bytes(png)


if __name__ == "__main__":
    sys.exit(main())
