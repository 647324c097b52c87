"""The floor: openpyxl read-only, then the paragraphs appended straight into python-docx's XML.

Usage: python bench/floor.py INPUT_DIR TEMPLATE.docx OUTPUT.docx
No validation or normalization; lxml elements are appended to the body (python-docx's
add_paragraph re-scans the body for every call and would be slower than this floor).
"""

from __future__ import annotations

import sys
from pathlib import Path

from chapter import chapter, read
from docx import Document
from docx.oxml.ns import qn
from lxml import etree


def main(source: Path, template: Path, target: Path) -> None:
    data = chapter(read(source))
    document = Document(str(template))
    ids = {name: document.styles[name].style_id
           for name in ("Heading 1", "Heading 2", "Heading 3", "節內文", "項內文")}
    body = document.element.body
    section = body[-1] if body[-1].tag == qn("w:sectPr") else None
    for child in list(body):
        if child is not section:
            body.remove(child)
    P, PPR, PSTYLE, R, T, TAB, VAL = (qn(t) for t in ("w:p", "w:pPr", "w:pStyle", "w:r", "w:t", "w:tab",
                                                        "w:val"))
    SPACE = "{http://www.w3.org/XML/1998/namespace}space"
    make = body.makeelement
    paragraphs = []

    def add(style: str, text: str, label: str = "", tab: bool = False) -> None:
        p = make(P)
        etree.SubElement(etree.SubElement(p, PPR), PSTYLE).set(VAL, ids[style])
        run = etree.SubElement(p, R)
        if label:
            etree.SubElement(run, T).text = label
            if tab:
                etree.SubElement(run, TAB)
        t = etree.SubElement(run, T)
        t.set(SPACE, "preserve")
        t.text = text
        paragraphs.append(p)

    add("Heading 1", data["heading"])
    for sec in data["sections"]:
        add("Heading 2", sec["heading"])
        for text in sec["body"]:
            add("節內文", text)
        for item in sec["entries"]:
            add("Heading 3", item["title"], item["label"], tab=True)
            for text in item["body"]:
                add("項內文", text)
    if section is not None:
        body.remove(section)
    body.extend(paragraphs)
    if section is not None:
        body.append(section)
    document.save(str(target))


if __name__ == "__main__":
    main(*(Path(arg) for arg in sys.argv[1:4]))
