"""Write templates/report.docx from first principles.

The template is the editors' file: they restyle the chapter by editing its styles in
Word or Writer. This script is how the maintainers made the first version; once an
editor has restyled the template, their saved file is the source and this script is
only a reference (the tests check the template's properties, never these bytes).
The installed package carries a copy that setup.py's build step takes from templates/.
Run: python tools/make_template.py
"""

from __future__ import annotations

import math
import sys
import zipfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "templates" / "report.docx"
sys.path.insert(0, str(ROOT))
from reportgen.write.template_package import THEME  # noqa: E402  the theme every chapter carries
from reportgen.write.wordml import R_NS, W_NS  # noqa: E402

W = W_NS
R = R_NS
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

KAI = "標楷體"  # East Asian face the government's document guidance prescribes
LATIN = "Times New Roman"
PT = 20  # twips per point
BODY_PT = 14
CHAR = BODY_PT * PT  # one full-width character of body text, in twips
PAREN_EM = 333 / 1000  # advance of ( and ) in Times New Roman (bold too) and its stand-in, Liberation Serif

CHAPTER_PT = 20
SECTION_PT = 16
SECTION_HANG = 2 * SECTION_PT * PT  # 一、 is two full-width characters of the heading's size
SECTION_TEXT = SECTION_HANG  # where a section's title (and its body text) starts
# (一) then one character's gap: the item title follows its label as the document handbook sets it.
# reportgen widens this (and moves the item text with it) when a chapter has (十一) or longer labels.
ITEM_HANG = math.ceil(2 * PAREN_EM * BODY_PT * PT) + CHAR + CHAR
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
    '<Override PartName="/word/theme/theme1.xml" ContentType="application/vnd.openxmlformats-officedocument.theme+xml"/>'
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
    '<Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme" Target="theme/theme1.xml"/>'
    "</Relationships>"
)

FONTS = f'<w:rFonts w:ascii="{LATIN}" w:hAnsi="{LATIN}" w:eastAsia="{KAI}" w:cs="{LATIN}"/>'
LANG = '<w:lang w:val="en-US" w:eastAsia="zh-TW" w:bidi="ar-SA"/>'


def size(pt: int) -> str:
    return f'<w:sz w:val="{pt * 2}"/><w:szCs w:val="{pt * 2}"/>'


def run_properties(pt: int, bold: bool) -> str:
    """Every character property a receiving document's Normal could otherwise change, stated.

    Except w:vertAlign (baseline is every style's default): LibreOffice's Word export writes w:sz
    a second time in a style that states it, and Word refuses a file with a property stated twice.
    """
    flag = "1" if bold else "0"
    return (FONTS + f'<w:b w:val="{flag}"/><w:bCs w:val="{flag}"/><w:i w:val="0"/><w:iCs w:val="0"/>'
            '<w:caps w:val="0"/><w:smallCaps w:val="0"/><w:strike w:val="0"/><w:vanish w:val="0"/>'
            '<w:color w:val="auto"/><w:spacing w:val="0"/><w:w w:val="100"/><w:kern w:val="0"/>'
            f'<w:position w:val="0"/>{size(pt)}<w:u w:val="none"/>'
            f'<w:em w:val="none"/>{LANG}')


def paragraph_properties(*, line_pt: int, before: int, after: int, left: int, hanging: int = 0,
                         tab: int | None = None, keep: str = "", outline: int | None = None) -> str:
    """Every paragraph property that shapes the chapter's layout, stated in the style itself.

    Editors put this chapter into a master report whose Normal and document defaults differ;
    a property left unstated would be taken from there. Elements follow the schema's order.
    """
    first = f'w:hanging="{hanging}"' if hanging else 'w:firstLine="0"'
    tabs = f'<w:tabs><w:tab w:val="left" w:pos="{tab}"/></w:tabs>' if tab is not None else ""
    level = f'<w:outlineLvl w:val="{outline}"/>' if outline is not None else '<w:outlineLvl w:val="9"/>'
    return (f'{keep}<w:widowControl/>{tabs}<w:kinsoku/><w:wordWrap/><w:overflowPunct w:val="1"/>'
            '<w:autoSpaceDE/><w:autoSpaceDN/><w:adjustRightInd w:val="0"/><w:snapToGrid w:val="0"/>'
            f'<w:spacing w:before="{before}" w:beforeAutospacing="0" w:after="{after}" w:afterAutospacing="0" '
            f'w:line="{line_pt * PT}" w:lineRule="exact"/>'
            f'<w:ind w:left="{left}" w:right="0" {first}/><w:contextualSpacing w:val="0"/>'
            f'<w:jc w:val="both"/><w:textAlignment w:val="auto"/>{level}')


def style(style_id: str, name: str, ppr: str, rpr: str, *, based: str | None = None,
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


KEEP = "<w:keepNext/><w:keepLines/>"

# The chapter's styles are based on nothing: every property is their own, so a master's
# Normal cannot reach them. Heading 1 starts the chapter on a new page (pageBreakBefore):
# an editor who wants chapters to run on can untick it in Word (段落 → 分行與分頁設定 → 段落前分頁).
CHAPTER_STYLES = (
    style("Heading1", "heading 1",
          paragraph_properties(line_pt=24, before=240, after=240, left=0, outline=0,
                               keep=KEEP + "<w:pageBreakBefore/>"),
          run_properties(CHAPTER_PT, bold=True), nxt="Heading2")
    + style("Heading2", "heading 2",
            paragraph_properties(line_pt=22, before=240, after=60, left=SECTION_TEXT, hanging=SECTION_HANG,
                                 tab=SECTION_TEXT, keep=KEEP, outline=1),
            run_properties(SECTION_PT, bold=True), nxt="SectionBody")
    + style("Heading3", "heading 3",
            paragraph_properties(line_pt=20, before=160, after=40, left=ITEM_TEXT, hanging=ITEM_HANG,
                                 tab=ITEM_TEXT, keep=KEEP, outline=2),
            run_properties(BODY_PT, bold=True), nxt="ItemBody")
    + style("SectionBody", "節內文",
            paragraph_properties(line_pt=20, before=0, after=120, left=SECTION_TEXT),
            run_properties(BODY_PT, bold=False), nxt="SectionBody")
    # A section's lead-in that announces what follows (「主要訪團代表為：」) stays on the page of its list.
    + style("SectionLead", "節內文（與下段同頁）",
            paragraph_properties(line_pt=20, before=0, after=120, left=SECTION_TEXT, keep="<w:keepNext/>"),
            run_properties(BODY_PT, bold=False), nxt="SectionBody")
    + style("ItemBody", "項內文",
            paragraph_properties(line_pt=20, before=0, after=120, left=ITEM_TEXT),
            run_properties(BODY_PT, bold=False), nxt="ItemBody")
)

STYLES = DECL + (
    f'<w:styles xmlns:w="{W}">'
    "<w:docDefaults>"
    f"<w:rPrDefault><w:rPr>{FONTS}{size(BODY_PT)}{LANG}</w:rPr></w:rPrDefault>"
    '<w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="400" w:lineRule="exact"/></w:pPr></w:pPrDefault>'
    "</w:docDefaults>"
    # overflowPunct on is Word's own default, stated because LibreOffice reads the flag inverted:
    # absent (or off) it lets 、 hang past the margin and then leaves it out of the PDF.
    + style("Normal", "Normal", '<w:widowControl/><w:overflowPunct w:val="1"/><w:jc w:val="both"/>',
            FONTS + LANG, extra=' w:default="1"')
    + CHAPTER_STYLES
    + style("Footer", "footer", '<w:overflowPunct w:val="1"/><w:jc w:val="center"/>', FONTS + size(10) + LANG,
            based="Normal")
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
    + paragraph("SectionLead", "以「：」結尾、引出下一段的前言（樣式：節內文（與下段同頁））：")
    + paragraph("SectionBody", "主要訪團名單與引言同頁（樣式：節內文）。")
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
    ("word/theme/theme1.xml", THEME.decode("utf-8")),
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
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_bytes(package())
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
