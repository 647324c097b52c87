"""The physical floor: the least a Python program can do to turn the workbooks into the chapter.

Usage: python bench/physical_floor.py INPUT_DIR TEMPLATE.docx OUTPUT.docx
python-calamine reads every cell of the four sheets (報告設定, 章節, 活動, 訪賓), values as it gives
them; the same paragraphs reportgen writes are joined as string XML and written into a copy of
the template's zip, beside its other parts. No checks, no normalization, no style lookup by name
(the template's style ids are used as they are) — what is left is starting Python, reading the
cells and writing the bytes, so reportgen's time over this is the price of its checks (issue 24).
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

from chapter import chapter, read_calamine

BODY = "word/document.xml"
STYLE_IDS = {"Heading 1": "Heading1", "Heading 2": "Heading2", "Heading 3": "Heading3"}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _style_ids(styles: bytes) -> dict[str, str]:
    """Paragraph style name → id, read with one regex over styles.xml."""
    found = {}
    for style_id, name in re.findall(rb'w:styleId="([^"]+)"[^>]*>\s*<w:name w:val="([^"]+)"', styles):
        found[name.decode()] = style_id.decode()
    return found


def main(source: Path, template: Path, target: Path) -> None:
    data = chapter(read_calamine(source))
    with zipfile.ZipFile(template) as archive:
        parts = [(info, archive.read(info)) for info in archive.infolist()]
    styles = dict((info.filename, blob) for info, blob in parts)["word/styles.xml"]
    ids = {**STYLE_IDS, **_style_ids(styles)}

    def para(style: str, text: str, label: str = "", tab: bool = False) -> str:
        runs = f"<w:t>{label}</w:t>" + ("<w:tab/>" if tab else "") if label else ""
        return (f'<w:p><w:pPr><w:pStyle w:val="{ids[style]}"/></w:pPr><w:r>{runs}'
                f'<w:t xml:space="preserve">{_escape(text)}</w:t></w:r></w:p>')

    out = [para("Heading 1", data["heading"])]
    for sec in data["sections"]:
        out.append(para("Heading 2", sec["heading"]))
        out.extend(para("節內文", text) for text in sec["body"])
        for item in sec["entries"]:
            out.append(para("Heading 3", item["title"], item["label"], tab=True))
            out.extend(para("項內文", text) for text in item["body"])
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, blob in parts:
            if info.filename == BODY:
                document = blob.decode()
                start = document.index("<w:body>") + len("<w:body>")
                end = document.rindex("<w:sectPr")
                archive.writestr(info.filename, document[:start] + "".join(out) + document[end:])
            else:
                archive.writestr(info, blob)


if __name__ == "__main__":
    main(*(Path(arg) for arg in sys.argv[1:4]))
