"""Checking a Word template before anyone builds with it: `reportgen template` and `build --template`.

The template is the editors' file (often their master report's own .dotx), so what it gets
wrong shows in every chapter built from it. Missing styles block; everything else is a
warning an editor can act on in Word: page size, language, fonts, hanging indents and their
tab stops, Word's punctuation setting, and parts that would be carried into every chapter.
The styles and the page are read with lxml the way python-docx reads them (a style's type,
name and base; indents, tab stops and sizes in twips): importing python-docx would cost a
build ten times what the check itself does.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .compose import Document, Role
from .docx_writer import (
    APP_PART,
    LEAD_STYLE_NAME,
    STYLE_NAMES,
    as_document,
    missing_style_message,
    read_package,
)
from .label_fit import label_em, widest_labels
from .problems import FatalError

if TYPE_CHECKING:
    from lxml.etree import _Element as Element

A4_TWIPS = (11906, 16838)
LABEL_TOLERANCE_EM = 0.1  # label widths are estimates (parentheses vary by face)
PAGE_TOLERANCE = 30  # twips; Word rounds A4 to 11906 × 16838, other tools by a few twips
LANGUAGE = "zh-TW"
CHAPTER_ROLES = (Role.CHAPTER, Role.SECTION, Role.ITEM, Role.SECTION_BODY, Role.ITEM_BODY)
HANGING_ROLES = {Role.SECTION: "一、", Role.ITEM: "(一)"}
# app.xml elements that describe where the template came from, not the chapter.
FOREIGN_APP = ("Template", "Company", "Manager", "HyperlinkBase", "TotalTime")
_OFF = ("0", "false", "off")
_SHOWN = {"heading 1": "標題 1", "heading 2": "標題 2", "heading 3": "標題 3"}  # as Chinese Word names them


def _shown(role: Role) -> str:
    return _SHOWN.get(STYLE_NAMES[role], STYLE_NAMES[role])
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass(frozen=True)
class Finding:
    """One thing the check found; `blocking` ones stop a build (exit 2)."""

    blocking: bool
    message: str

    def render(self, template: Path) -> str:
        kind = "錯誤" if self.blocking else "警告"
        return f"{kind}：範本 {template.name}：{self.message}"


def _cm(twips: int | float) -> str:
    return f"{twips * 2.54 / 1440:.2f} 公分"


# Units a measure may carry instead of plain twips (or half-points), in EMU, as python-docx reads them.
_EMU_PER = {"mm": 36000, "cm": 360000, "in": 914400, "pt": 12700, "pc": 152400, "pi": 152400}
_EMU_PER_TWIP = 635
# The parts python-docx parses on opening a package; one that is not well-formed XML means Word
# would not open the template either.
_PARSED_PARTS = re.compile(r"^(word/(document|styles|settings|numbering|comments|header\d*|footer\d*)\.xml"
                           r"|docProps/core\.xml)$")


def _twips(value: str | None, half_points: bool = False) -> int | None:
    """A measure in twips: plain twips (half-points for a font size) or with a unit (1.2cm, 12pt)."""
    if value is None:
        return None
    units = "impn" if half_points else "imp"  # the letters python-docx takes for a unit
    try:
        if any(c in value for c in units):
            emu = round(float(value[:-2]) * _EMU_PER[value[-2:]])
        elif half_points:
            emu = int(int(value) / 2.0 * 12700)
        else:
            emu = round(float(value)) * _EMU_PER_TWIP
    except (ValueError, KeyError):
        return None  # not a measure: as if not stated
    return round(emu / _EMU_PER_TWIP)


@dataclass(frozen=True)
class _Package:
    """The template's styles and main document as parsed XML."""

    styles: Element
    document: Element


def _open(parts: list[tuple[zipfile.ZipInfo, bytes]], path: Path) -> _Package:
    """The template's XML (a .dotx is given as the document it becomes); damaged XML is fatal."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    parsed = {}
    for info, blob in parts:
        if _PARSED_PARTS.match(info.filename):
            try:
                parsed[info.filename] = etree.fromstring(blob, parser)
            except etree.XMLSyntaxError as exc:
                raise FatalError(f"範本 {path.name} 無法以 Word 文件讀取，"
                                 "請用 Word 開啟後另存為 .docx 或 .dotx。") from exc
    return _Package(parsed["word/styles.xml"], parsed["word/document.xml"])


def _paragraph_styles(styles: Element) -> dict[str, Element]:
    """Paragraph styles by lower-case name, the first of each name (a style without w:type is one)."""
    by_name: dict[str, Element] = {}
    for style in styles.iterfind(f"{_W}style"):
        name = style.find(f"{_W}name")
        value = name.get(f"{_W}val") if name is not None else None
        if style.get(f"{_W}type", "paragraph") == "paragraph" and value:
            by_name.setdefault(value.lower(), style)
    return by_name


class _Chain:
    """A style's properties as Word resolves them: the style, its bases, then the document defaults."""

    def __init__(self, styles: Element) -> None:
        self.styles_element = styles
        self.by_id: dict[str | None, Element] = {}
        for style in styles.iterfind(f"{_W}style"):
            self.by_id.setdefault(style.get(f"{_W}styleId"), style)

    def styles(self, style: Element | None) -> Iterator[Element]:
        """The style and its bases, each once (a basedOn loop ends where a style id repeats)."""
        seen = set()
        while style is not None and style.get(f"{_W}styleId") not in seen:
            seen.add(style.get(f"{_W}styleId"))
            yield style
            based = style.find(f"{_W}basedOn")
            base_id = based.get(f"{_W}val") if based is not None else None
            style = self.by_id.get(base_id) if base_id is not None else None

    def find(self, style: Element, path: str) -> Element | None:
        steps = "/".join(f"{_W}{step}" for step in path.split("/"))
        for each in self.styles(style):
            found = each.find(steps)
            if found is not None:
                return found
        kind = "rPrDefault" if path.startswith("rPr") else "pPrDefault"
        return self.styles_element.find(f"{_W}docDefaults/{_W}{kind}/{steps}")

    def first_line(self, style: Element) -> int | None:
        """The first-line indent in twips of the first style stating one; negative when hanging."""
        for each in self.styles(style):
            ind = each.find(f"{_W}pPr/{_W}ind")
            if ind is None:
                continue
            hanging, first = _twips(ind.get(f"{_W}hanging")), _twips(ind.get(f"{_W}firstLine"))
            if hanging is not None:
                return -hanging
            if first is not None:
                return first
        return None

    def left(self, style: Element) -> int | None:
        """The left indent (w:left) in twips of the first style stating one."""
        for each in self.styles(style):
            ind = each.find(f"{_W}pPr/{_W}ind")
            left = _twips(ind.get(f"{_W}left")) if ind is not None else None
            if left is not None:
                return left
        return None

    def tab_stops(self, style: Element) -> list[int]:
        """The tab stop positions in twips of the first style that has any (cleared ones too)."""
        for each in self.styles(style):
            stops = each.findall(f"{_W}pPr/{_W}tabs/{_W}tab")
            if stops:
                return [pos for stop in stops if (pos := _twips(stop.get(f"{_W}pos"))) is not None]
        return []

    def size_twips(self, style: Element) -> int:
        """One em of the style's font size, in twips."""
        for each in self.styles(style):
            sz = each.find(f"{_W}rPr/{_W}sz")
            size = _twips(sz.get(f"{_W}val"), half_points=True) if sz is not None else None
            if size is not None:
                return size
        sz = self.styles_element.find(f"{_W}docDefaults/{_W}rPrDefault/{_W}rPr/{_W}sz")
        return int(sz.get(f"{_W}val", "20")) * 10 if sz is not None else 200


def check_template(path: Path, widest: dict[Role, str] | None = None) -> list[Finding]:
    """Everything worth telling an editor about the template at `path`.

    `widest`: the widest section and item labels of the chapter being built; without it,
    一、 and (一), which every chapter has.
    """
    raw = read_package(path)
    parts, dropped = as_document(raw, path)
    names = {info.filename for info, _ in parts}
    if "word/document.xml" not in names or "word/styles.xml" not in names:
        raise FatalError(f"範本 {path.name} 缺少文件本文或樣式表，不是有效的 Word 文件。請用 Word 另存為 .docx。")
    package = _open(parts, path)
    findings: list[Finding] = []
    by_name = _paragraph_styles(package.styles)
    styles = {}
    for role in CHAPTER_ROLES:
        style = by_name.get(STYLE_NAMES[role].lower())
        if style is None:
            findings.append(Finding(True, missing_style_message(path, role).replace(f"範本 {path.name} ", "", 1)))
        else:
            styles[role] = style
    if LEAD_STYLE_NAME.lower() not in by_name:
        findings.append(Finding(False, (
            f"沒有段落樣式「{LEAD_STYLE_NAME}」：以「：」結尾的前言（例如「主要訪團代表為：」）"
            "可能與下一段分在兩頁。可從 templates/report.docx 複製這個樣式（設定「與下段同頁」）。")))
    findings += _page(package.document)
    chain = _Chain(package.styles)
    findings += _language_and_fonts(chain, styles)
    findings += _hanging_indents(chain, styles, widest or {})
    findings += _overflow(chain, styles, by_name.get(LEAD_STYLE_NAME.lower()))
    stored = {info.filename: blob for info, blob in raw}
    findings += _leaks(dropped, stored.get(APP_PART), stored.get("word/_rels/settings.xml.rels", b""))
    return findings


def _page(document: Element) -> list[Finding]:
    """The paper size of the last section (the body's own section properties, or a paragraph's)."""
    sections = document.findall(f"{_W}body/{_W}p/{_W}pPr/{_W}sectPr") + document.findall(f"{_W}body/{_W}sectPr")
    paper = sections[-1].find(f"{_W}pgSz") if sections else None
    width, height = (_twips(paper.get(f"{_W}w")), _twips(paper.get(f"{_W}h"))) if paper is not None else (None, None)
    if width is None or height is None:
        return [Finding(False, "沒有設定紙張大小，Word 會用預設的 Letter（美式信紙）。"
                               "請在「版面配置」→「大小」選 A4。")]
    size = sorted((width, height))
    if any(abs(a - b) > PAGE_TOLERANCE for a, b in zip(size, A4_TWIPS, strict=True)):
        return [Finding(False, f"紙張不是 A4（目前 {_cm(size[0])} × {_cm(size[1])}，A4 是 21.00 × 29.70 公分）。"
                               "請在「版面配置」→「大小」選 A4。")]
    return []


def _language_and_fonts(chain: _Chain, styles: dict) -> list[Finding]:
    findings = []
    wrong_language, no_font = [], []
    for role, style in styles.items():
        lang = chain.find(style, "rPr/lang")
        east_asian = lang.get(f"{_W}eastAsia") if lang is not None else None
        if east_asian != LANGUAGE:
            wrong_language.append(f"{_shown(role)}（{east_asian or '未設定'}）")
        fonts = chain.find(style, "rPr/rFonts")
        if fonts is None or not fonts.get(f"{_W}eastAsia") or fonts.get(f"{_W}eastAsiaTheme"):
            no_font.append(_shown(role))
    if wrong_language:
        findings.append(Finding(False, (
            f"東亞語言不是繁體中文（{LANGUAGE}）：{'、'.join(wrong_language)}。Word 可能改用日文或簡體字型。"
            "請在「校閱」→「語言」把東亞語言設為「中文（台灣）」，或在樣式的「語言」設定。")))
    if no_font:
        findings.append(Finding(False, f"沒有指定中文字型（或用了佈景主題字型）：{'、'.join(no_font)}。"
                                       "請在樣式的「格式」→「字型」→「中文字型」選標楷體（不要選「+內文」之類的主題字型）。"))
    return findings


def _hanging_indents(chain: _Chain, styles: dict, widest: dict[Role, str]) -> list[Finding]:
    findings = []
    for role, base in HANGING_ROLES.items():
        style = styles.get(role)
        if style is None:
            continue
        name = _shown(role)
        label = widest.get(role, base)
        first = chain.first_line(style)
        left = chain.left(style)
        hanging = -first if first is not None and first < 0 else 0
        size = chain.size_twips(style)
        needed = label_em(label) * size
        # A chapter's own wider labels (十一、, (二十一)) are no fault of the template: fit_labels
        # widens the chapter's copy and every heading carries it (paragraph_layout), so only the
        # template's base labels are held against it.
        if label == base and hanging < needed - size * LABEL_TOLERANCE_EM:
            findings.append(Finding(False, (
                f"「{name}」的凸排 {_cm(hanging)} 比編號「{label}」（約 {_cm(needed)}）窄。"
                f"標題換行後的第二行不會對齊在「{label}」之後。"
                f"請在樣式的「段落」→「縮排」把「指定方式」設為凸排，距離至少 {_cm(needed)}。")))
        if role is Role.ITEM:  # (一), a tab, the title: the tab needs a stop where the title starts
            edge = left if left is not None else 0
            if hanging and not any(abs(stop - edge) <= 20 for stop in chain.tab_stops(style)):
                findings.append(Finding(False, (
                    f"「{name}」在左縮排 {_cm(edge)} 的位置沒有定位點。「(一)」後面是定位字元（Tab），"
                    "沒有對齊左縮排的定位點時，有些版本的 Word 與 LibreOffice 會把標題推到別的位置。"
                    f"請在樣式的「格式」→「定位點」新增 {_cm(edge)} 的靠左定位點。")))
    return findings


def _overflow(chain: _Chain, styles: dict, lead) -> list[Finding]:
    switched_off = []
    for role, style in list(styles.items()) + ([(None, lead)] if lead is not None else []):
        flag = chain.find(style, "pPr/overflowPunct")
        if flag is not None and flag.get(f"{_W}val", "1").lower() in _OFF:
            switched_off.append(_shown(role) if role else LEAD_STYLE_NAME)
    if not switched_off:
        return []
    return [Finding(False, (
        f"「允許標點符號溢出邊界」被關閉：{'、'.join(switched_off)}（用 LibreOffice 另存範本時常會如此）。"
        "行尾的「、」「。」會改到下一行，全章重新分行、頁數改變；LibreOffice 轉出的 PDF 也可能漏掉行尾標點。"
        "請在樣式的「段落」→「中文印刷樣式」勾選「允許標點符號溢出邊界」。"))]


def _leaks(dropped: list[str] | tuple[str, ...], app: bytes | None, settings_rels: bytes) -> list[Finding]:
    findings = []
    if b"attachedTemplate" in settings_rels:
        findings.append(Finding(False, "記錄了它所依附的範本檔（例如 Normal.dotm）的路徑；"
                                       "reportgen 產生的文件不會帶這個路徑。"))
    kinds = {
        "thumbnail": ("docProps/thumbnail", "範本的縮圖（第一頁的小圖）"),
        "custom": ("docProps/custom.xml", "自訂文件摘要資訊"),
        "customXml": ("customxml/", "自訂 XML 資料（例如 SharePoint 表單欄位）"),
        "glossary": ("word/glossary/", "快速組件（自動圖文集）"),
        "macros": ("word/vba", "巨集"),
    }
    for prefix, description in kinds.values():
        if any(name.lower().startswith(prefix.lower()) for name in dropped):
            findings.append(Finding(False, f"含有{description}，會跟著範本帶進每一章；"
                                           "reportgen 產生的文件不會包含它。"))
    if app:
        from lxml import etree

        try:
            root = etree.fromstring(app, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            root = None
        values = []
        for element in (root if root is not None else []):
            if not isinstance(element.tag, str):
                continue
            local = etree.QName(element).localname
            text = (element.text or "").strip()
            if local in FOREIGN_APP and text and (local, text) != ("TotalTime", "0"):
                values.append(f"{local}={text}")
        if values:
            findings.append(Finding(False, f"文件屬性記錄了範本的來源（{'、'.join(values)}），"
                                           "reportgen 產生的文件會改用中性的屬性，不帶這些資訊。"))
    return findings


def blocking(findings: list[Finding]) -> bool:
    return any(f.blocking for f in findings)


def build_warnings(path: Path, document: Document) -> list[str]:
    """What `build` prints about its template: the warnings only (missing styles stop it elsewhere)."""
    findings = check_template(path, widest_labels(document))
    if blocking(findings):
        return []
    return [f.render(path) for f in findings]


