"""Write templates/report.docx (and the package's bundled copy) from first principles.

The template is the editors' file: they restyle the chapter by editing its styles in
Word or Writer. This script is how the maintainers made the first version; once an
editor has restyled the template, their saved file is the source and this script is
only a reference. Run: python tools/make_template.py
"""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = (ROOT / "templates" / "report.docx", ROOT / "reportgen" / "templates" / "report.docx")

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

KAI = "標楷體"  # East Asian face the government's document guidance prescribes
LATIN = "Times New Roman"
PT = 20  # twips per point
BODY_PT = 14
CHAR = BODY_PT * PT  # one full-width character of body text, in twips

SECTION_PT = 16
SECTION_HANG = 2 * SECTION_PT * PT  # 一、 is two characters of the heading's size
SECTION_TEXT = SECTION_HANG  # where a section's title (and its body text) starts
ITEM_HANG = 4 * CHAR  # room for (一) … (九十九) in bold, or full-width （一）…（十）, and a tab
ITEM_TEXT = SECTION_TEXT + ITEM_HANG  # where an item's title (and its body text) starts

CONTENT_TYPES = DECL + (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
    '<Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>'
    '<Override PartName="/word/fontTable.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml"/>'
    '<Override PartName="/word/footer1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    "</Types>"
)

PACKAGE_RELS = DECL + (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)

DOCUMENT_RELS = DECL + (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable" Target="fontTable.xml"/>'
    '<Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer1.xml"/>'
    "</Relationships>"
)

FONTS = f'<w:rFonts w:ascii="{LATIN}" w:hAnsi="{LATIN}" w:eastAsia="{KAI}" w:cs="{LATIN}"/>'
LANG = '<w:lang w:val="en-US" w:eastAsia="zh-TW" w:bidi="ar-SA"/>'


def size(pt: int) -> str:
    return f'<w:sz w:val="{pt * 2}"/><w:szCs w:val="{pt * 2}"/>'


def style(style_id: str, name: str, ppr: str, rpr: str, *, based: str | None = "Normal",
          nxt: str | None = None, kind: str = "paragraph", extra: str = "") -> str:
    parts = [f'<w:style w:type="{kind}" w:styleId="{style_id}"{extra}>', f'<w:name w:val="{name}"/>']
    if based:
        parts.append(f'<w:basedOn w:val="{based}"/>')
    if nxt:
        parts.append(f'<w:next w:val="{nxt}"/>')
    parts.append("<w:qFormat/>")
    if ppr:
        parts.append(f"<w:pPr>{ppr}</w:pPr>")
    if rpr:
        parts.append(f"<w:rPr>{rpr}</w:rPr>")
    parts.append("</w:style>")
    return "".join(parts)


def heading(level: int, pt: int, ppr: str, nxt: str) -> str:
    keep = '<w:keepNext/><w:keepLines/>'
    return style(f"Heading{level}", f"heading {level}",
                 keep + ppr + f'<w:outlineLvl w:val="{level - 1}"/>',
                 f"<w:b/><w:bCs/>{size(pt)}", nxt=nxt)


STYLES = DECL + (
    f'<w:styles xmlns:w="{W}">'
    "<w:docDefaults>"
    f"<w:rPrDefault><w:rPr>{FONTS}{size(BODY_PT)}{LANG}</w:rPr></w:rPrDefault>"
    '<w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="400" w:lineRule="exact"/></w:pPr></w:pPrDefault>'
    "</w:docDefaults>"
    # overflowPunct on is Word's own default, stated because LibreOffice reads the flag inverted:
    # absent (or off) it lets 、 hang past the margin and then leaves it out of the PDF.
    + style("Normal", "Normal", '<w:widowControl/><w:overflowPunct w:val="1"/><w:jc w:val="both"/>',
            FONTS + LANG, based=None,
            extra=' w:default="1"')
    + heading(1, 20, '<w:spacing w:before="240" w:after="240" w:line="480" w:lineRule="exact"/>',
              "Heading2")
    + heading(2, SECTION_PT,
              '<w:spacing w:before="240" w:after="60" w:line="440" w:lineRule="exact"/>'
              f'<w:ind w:left="{SECTION_TEXT}" w:hanging="{SECTION_HANG}"/>',
              "SectionBody")
    + heading(3, BODY_PT,
              f'<w:tabs><w:tab w:val="left" w:pos="{ITEM_TEXT}"/></w:tabs>'
              '<w:spacing w:before="160" w:after="40"/>'
              f'<w:ind w:left="{ITEM_TEXT}" w:hanging="{ITEM_HANG}"/>',
              "ItemBody")
    + style("SectionBody", "節內文", f'<w:spacing w:after="120"/><w:ind w:left="{SECTION_TEXT}"/>', "",
            nxt="SectionBody")
    + style("ItemBody", "項內文", f'<w:spacing w:after="120"/><w:ind w:left="{ITEM_TEXT}"/>', "",
            nxt="ItemBody")
    + style("Footer", "footer", '<w:jc w:val="center"/>', size(10))
    + '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
    '<w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/>'
    "<w:unhideWhenUsed/></w:style>"
    "</w:styles>"
)

SETTINGS = DECL + (
    f'<w:settings xmlns:w="{W}">'
    '<w:zoom w:percent="100"/>'
    '<w:defaultTabStop w:val="480"/>'
    '<w:characterSpacingControl w:val="doNotCompress"/>'
    "<w:compat>"
    '<w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/>'
    "</w:compat>"
    '<w:themeFontLang w:val="en-US" w:eastAsia="zh-TW"/>'
    '<w:decimalSymbol w:val="."/><w:listSeparator w:val=","/>'
    "</w:settings>"
)

FONT_TABLE = DECL + (
    f'<w:fonts xmlns:w="{W}">'
    f'<w:font w:name="{LATIN}"><w:panose1 w:val="02020603050405020304"/><w:charset w:val="00"/>'
    '<w:family w:val="roman"/><w:pitch w:val="variable"/></w:font>'
    f'<w:font w:name="{KAI}"><w:altName w:val="DFKai-SB"/><w:panose1 w:val="03000509000000000000"/>'
    '<w:charset w:val="88"/><w:family w:val="script"/><w:pitch w:val="fixed"/></w:font>'
    "</w:fonts>"
)

FOOTER = DECL + (
    f'<w:ftr xmlns:w="{W}" xmlns:r="{R}">'
    '<w:p><w:pPr><w:pStyle w:val="Footer"/></w:pPr>'
    '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
    '<w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>'
    '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
    "<w:r><w:t>1</w:t></w:r>"
    '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    "</w:p></w:ftr>"
)


def paragraph(style_id: str, text: str, label: str = "", tab: bool = False) -> str:
    inner = f"<w:t>{label}</w:t>" if label else ""
    inner += "<w:tab/>" if tab else ""
    return (f'<w:p><w:pPr><w:pStyle w:val="{style_id}"/></w:pPr>'
            f'<w:r>{inner}<w:t xml:space="preserve">{text}</w:t></w:r></w:p>')


SECTION_PROPERTIES = (
    '<w:sectPr><w:footerReference w:type="default" r:id="rId4"/>'
    '<w:pgSz w:w="11906" w:h="16838"/>'
    '<w:pgMar w:top="1440" w:right="1304" w:bottom="1440" w:left="1304" w:header="851" '
    'w:footer="737" w:gutter="0"/>'
    '<w:cols w:space="425"/></w:sectPr>'
)

# Sample paragraphs: an editor opening the template sees every style at work.
# reportgen replaces the whole body and keeps only the final section properties.
DOCUMENT = DECL + (
    f'<w:document xmlns:w="{W}" xmlns:r="{R}"><w:body>'
    + paragraph("Heading1", "章名（樣式：標題 1）", "貳拾陸、")
    + paragraph("Heading2", "節名（樣式：標題 2）；標題太長換行時，第二行對齊在「一、」之後", "一、")
    + paragraph("SectionBody", "節的前言與主要訪團名單（樣式：節內文），左緣對齊節名。")
    + paragraph("Heading3", "項目標題（樣式：標題 3）；標題太長換行時，第二行對齊在「(一)」之後",
                "(一)", tab=True)
    + paragraph("ItemBody", "項目內文（樣式：項內文），左緣對齊項目標題。Latin text and digits 2021 "
                "use Times New Roman.")
    + SECTION_PROPERTIES
    + "</w:body></w:document>"
)

CORE = DECL + (
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<dc:title>施政報告章節範本</dc:title><dc:creator>reportgen</dc:creator>"
    "<dc:language>zh-TW</dc:language>"
    "</cp:coreProperties>"
)

APP = DECL + (
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>reportgen</Application></Properties>"
)

PARTS = (
    ("[Content_Types].xml", CONTENT_TYPES),
    ("_rels/.rels", PACKAGE_RELS),
    ("word/document.xml", DOCUMENT),
    ("word/_rels/document.xml.rels", DOCUMENT_RELS),
    ("word/styles.xml", STYLES),
    ("word/settings.xml", SETTINGS),
    ("word/fontTable.xml", FONT_TABLE),
    ("word/footer1.xml", FOOTER),
    ("docProps/core.xml", CORE),
    ("docProps/app.xml", APP),
)


def package() -> bytes:
    """The template's bytes: fixed entry times, so regenerating gives an identical file."""
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in PARTS:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"))
    return out.getvalue()


def main() -> None:
    data = package()
    for target in TARGETS:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
