"""Edit copies of the Word template the way an editor's Word or Writer would save them."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

from lxml import etree

WNS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f"{{{WNS}}}"

# Chinese Word stores built-in styles with numeric ids and its own styles with ids like "a3".
LOCALIZED_IDS = {"Heading1": "1", "Heading2": "2", "Heading3": "3", "SectionBody": "a3", "ItemBody": "a4",
                 "SectionLead": "a5"}
RESTYLED_LATIN = "Arial"
RESTYLED_CHAPTER_PT = 24
INDENT_SHIFT = 280  # twips: item titles and their text move one 14 pt character to the right


def rewrite(source: Path, target: Path, edit: Callable[[str, bytes], bytes]) -> Path:
    """Copy a .docx, passing each part through edit(name, data)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, edit(info.filename, src.read(info)))
    return target


def styles_by_name(root: etree._Element) -> dict[str, etree._Element]:
    return {s.find(f"{W}name").get(f"{W}val"): s for s in root.iter(f"{W}style")}


def _rename_ids(root: etree._Element) -> None:
    for element in root.iter(f"{W}style", f"{W}basedOn", f"{W}next", f"{W}link", f"{W}pStyle"):
        key = f"{W}styleId" if element.tag == f"{W}style" else f"{W}val"
        if element.get(key) in LOCALIZED_IDS:
            element.set(key, LOCALIZED_IDS[element.get(key)])


def _restyle_styles(root: etree._Element) -> None:
    for fonts in root.iter(f"{W}rFonts"):
        for side in ("ascii", "hAnsi"):
            if fonts.get(f"{W}{side}") is not None:
                fonts.set(f"{W}{side}", RESTYLED_LATIN)
    styles = styles_by_name(root)
    for tag in ("sz", "szCs"):
        styles["heading 1"].find(f"{W}rPr/{W}{tag}").set(f"{W}val", str(RESTYLED_CHAPTER_PT * 2))
    for name in ("heading 3", "項內文"):
        ppr = styles[name].find(f"{W}pPr")
        ind = ppr.find(f"{W}ind")
        ind.set(f"{W}left", str(int(ind.get(f"{W}left")) + INDENT_SHIFT))
        for tab in ppr.iter(f"{W}tab"):
            tab.set(f"{W}pos", str(int(tab.get(f"{W}pos")) + INDENT_SHIFT))


def restyle(source: Path, target: Path) -> Path:
    """A template restyled in Word: Latin font, chapter size and item indents changed, ids localized."""
    def edit(name: str, data: bytes) -> bytes:
        if name not in ("word/styles.xml", "word/document.xml"):
            return data
        root = etree.fromstring(data)
        if name == "word/styles.xml":
            _restyle_styles(root)
        _rename_ids(root)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return rewrite(source, target, edit)


def without_style(source: Path, target: Path, style_name: str) -> Path:
    """A template whose editor deleted one paragraph style."""
    def edit(name: str, data: bytes) -> bytes:
        if name != "word/styles.xml":
            return data
        root = etree.fromstring(data)
        doomed = styles_by_name(root)[style_name]
        doomed.getparent().remove(doomed)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return rewrite(source, target, edit)
