"""Checking a Word template before anyone builds with it: `reportgen template` and `build --template`.

The template is the editors' file (often their master report's own .dotx), so what it gets
wrong shows in every chapter built from it. Missing styles block; everything else is a
warning an editor can act on in Word: page size, language, fonts, hanging indents and their
tab stops, Word's punctuation setting, and parts that would be carried into every chapter.
python-docx reads the styles, the page and the properties; the few settings it has no API for
(East Asian font and language, overflowPunct) are read from the same style elements.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from ..errors import FatalError
from .compose import Document, Role
from .docx_writer import APP_PART, LEAD_STYLE_NAME, STYLE_NAMES, as_document, missing_style_message, read_package
from .label_fit import label_em, widest_labels

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


def _open_docx(parts: list[tuple[zipfile.ZipInfo, bytes]], path: Path):  # -> docx.document.Document
    """The template as python-docx sees it (a .dotx is given as the document it becomes)."""
    import docx

    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info, blob in parts:
            archive.writestr(info.filename, blob)
    try:
        return docx.Document(BytesIO(buffer.getvalue()))
    except Exception as exc:  # python-docx raises KeyError, ValueError … for a damaged package
        raise FatalError(f"範本 {path.name} 無法以 Word 文件讀取，請用 Word 開啟後另存為 .docx 或 .dotx。") from exc


def _paragraph_styles(document) -> dict[str, object]:
    """Paragraph styles (docx.styles.style.ParagraphStyle) by lower-case name, the first of each.

    Read from the style elements rather than `document.styles`, whose iteration fails on a style
    without `w:type` — which Word reads as a paragraph style, and so does this."""
    from docx.styles.style import ParagraphStyle

    by_name: dict[str, object] = {}
    for element in document.styles.element.style_lst:
        if element.get(f"{_W}type", "paragraph") == "paragraph":
            style = ParagraphStyle(element)
            if style.name:
                by_name.setdefault(style.name.lower(), style)
    return by_name


def _base(style):  # -> ParagraphStyle | None
    """The style `style` is based on, whatever its stated type (python-docx's base_style needs one)."""
    from docx.styles.style import ParagraphStyle

    element = style.element.base_style
    return ParagraphStyle(element) if element is not None else None


class _Chain:
    """A style's properties as Word resolves them: the style, its bases, then the document defaults."""

    def __init__(self, document) -> None:
        self.styles_element = document.styles.element

    def find(self, style, path: str):
        steps = "/".join(f"{_W}{step}" for step in path.split("/"))
        seen = set()
        while style is not None and style.style_id not in seen:
            seen.add(style.style_id)
            found = style.element.find(steps)
            if found is not None:
                return found
            style = _base(style)
        kind = "rPrDefault" if path.startswith("rPr") else "pPrDefault"
        return self.styles_element.find(f"{_W}docDefaults/{_W}{kind}/{steps}")

    def paragraph_format(self, style, attribute: str):
        seen = set()
        while style is not None and style.style_id not in seen:
            seen.add(style.style_id)
            value = getattr(style.paragraph_format, attribute)
            if value is not None and (attribute != "tab_stops" or len(value)):
                return value
            style = _base(style)
        return None

    def size_twips(self, style) -> int:
        seen = set()
        while style is not None and style.style_id not in seen:
            seen.add(style.style_id)
            if style.font.size is not None:
                return style.font.size.twips
            style = _base(style)
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
    document = _open_docx(parts, path)
    findings: list[Finding] = []
    by_name = _paragraph_styles(document)
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
    findings += _page(document)
    chain = _Chain(document)
    findings += _language_and_fonts(chain, styles)
    findings += _hanging_indents(chain, styles, widest or {})
    findings += _overflow(chain, styles, by_name.get(LEAD_STYLE_NAME.lower()))
    stored = {info.filename: blob for info, blob in raw}
    findings += _leaks(dropped, stored.get(APP_PART), stored.get("word/_rels/settings.xml.rels", b""))
    return findings


def _page(document) -> list[Finding]:
    section = document.sections[-1] if len(document.sections) else None  # a body without sectPr: Word's default
    if section is None or section.page_width is None or section.page_height is None:
        return [Finding(False, "沒有設定紙張大小，Word 會用預設的 Letter（美式信紙）。"
                               "請在「版面配置」→「大小」選 A4。")]
    size = sorted((section.page_width.twips, section.page_height.twips))
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
        first = chain.paragraph_format(style, "first_line_indent")
        left = chain.paragraph_format(style, "left_indent")
        hanging = -first.twips if first is not None and first < 0 else 0
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
            stops = chain.paragraph_format(style, "tab_stops") or []
            edge = left.twips if left is not None else 0
            if hanging and not any(abs(stop.position.twips - edge) <= 20 for stop in stops):
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


