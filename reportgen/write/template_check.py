"""Checking a Word template before anyone builds with it: `reportgen template` and `build --template`.

The template is the editors' file (often their master report's own .dotx), so what it gets
wrong shows in every chapter built from it. Missing styles block; everything else is a
warning an editor can act on in Word: page size, language, fonts, hanging indents and their
tab stops, Word's punctuation setting, and parts that would be carried into every chapter.
The package is opened and its page read as python-docx reads them (word_package; python-docx itself
only for a package out of the ordinary); styles are resolved along their basedOn chains by
wordml.StyleSheet, the one resolver the writer uses too.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from ..errors import FatalError
from .compose import Role
from .label_fit import label_em
from .paragraph_layout import catching_stops
from .template_package import (
    APP_PART,
    LEAD_STYLE_NAME,
    SETTINGS_PART,
    STYLE_NAMES,
    as_document,
    missing_style_message,
    read_package,
    shown_style,
)
from .word_package import Page, open_document
from .wordml import IND_DIRECTIONS, OFF, StyleSheet, q, toggled_on

A4_TWIPS = (11906, 16838)
LABEL_TOLERANCE_EM = 0.1  # label widths are estimates (parentheses vary by face)
PAGE_TOLERANCE = 30  # twips; Word rounds A4 to 11906 × 16838, other tools by a few twips
TAB_TOLERANCE = 20  # twips: a tab stop this close to the text edge is at the text edge
LANGUAGE = "zh-TW"
CHAPTER_ROLES = (Role.CHAPTER, Role.SECTION, Role.ITEM, Role.SECTION_BODY, Role.ITEM_BODY)
HEADING_ROLES = (Role.CHAPTER, Role.SECTION, Role.ITEM)
HANGING_ROLES = {Role.SECTION: "一、", Role.ITEM: "(一)"}
# app.xml elements that describe where the template came from, not the chapter.
# Properties of the template's own history, by the names Word's 摘要資訊 dialog shows them.
FOREIGN_APP = {"Template": "範本", "Company": "公司", "Manager": "管理員", "HyperlinkBase": "超連結基底",
               "TotalTime": "總編輯時間（分鐘）"}
# Document settings a chapter would inherit from its template, and what each does to the editors.
CARRIED_SETTINGS = {
    "trackRevisions": "「追蹤修訂」已開啟：彙編同仁在產生的文件中的每一處修改都會被標記為修訂。"
                      "請在 Word 的「校閱」→「追蹤修訂」關閉後存檔。",
    "documentProtection": "設定了「限制編輯」：產生的文件會無法或只能部分修改。"
                          "請在 Word 的「校閱」→「限制編輯」停止保護後存檔。",
    "writeProtection": "設定了「建議以唯讀方式開啟」或修改密碼：產生的文件開啟時會要求密碼或以唯讀開啟。"
                       "請在「另存新檔」→「工具」→「一般選項」取消後存檔。",
    "mailMerge": "是合併列印的主文件：產生的文件開啟時 Word 會要求資料來源。"
                 "請在 Word 的「郵件」→「啟動合併列印」選「一般 Word 文件」後存檔。",
}


def _shown(role: Role) -> str:
    return shown_style(STYLE_NAMES[role])


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
    """The template as python-docx sees it (a .dotx is given as the document it becomes): for a
    package word_package leaves to it, python-docx's own answer (imported only then: 0.05 s)."""
    import docx

    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info, blob in parts:
            archive.writestr(info.filename, blob)
    try:
        return docx.Document(BytesIO(buffer.getvalue()))
    except Exception as exc:  # python-docx raises KeyError, ValueError … for a damaged package
        raise FatalError(f"範本 {path.name} 無法以 Word 文件讀取，請用 Word 開啟後另存為 .docx 或 .dotx。") from exc


def check_template(path: Path) -> list[Finding]:
    """Everything worth telling an editor about the template at `path`: the same findings for
    `reportgen template` and for `build --template`, whatever chapter is built (SPEC §6)."""
    raw = read_package(path)
    parts, dropped = as_document(raw, path)
    names = {info.filename for info, _ in parts}
    if "word/document.xml" not in names or "word/styles.xml" not in names:
        raise FatalError(f"範本 {path.name} 缺少文件本文或樣式表，不是有效的 Word 文件。請用 Word 另存為 .docx。")
    opened = open_document(parts)
    if opened is not None:
        styles, page = opened.styles, opened.page
    else:
        document = _open_docx(parts, path)
        styles, page = document.styles.element, _docx_page(document)
    sheet = StyleSheet(styles)
    findings: list[Finding] = []
    by_name = sheet.paragraph_styles()
    styles: dict[Role, str] = {}
    for role in CHAPTER_ROLES:
        style_id = by_name.get(STYLE_NAMES[role].lower())
        if style_id is None:
            findings.append(Finding(True, missing_style_message(None, role, by_name)))
        else:
            styles[role] = style_id
    lead = by_name.get(LEAD_STYLE_NAME.lower())
    if lead is None:
        findings.append(Finding(False, (
            f"沒有段落樣式「{LEAD_STYLE_NAME}」：以「：」結尾的前言（例如「主要訪團代表為：」）"
            "會用「節內文」的格式（仍與下一段同頁）。可從 templates/report.docx 複製這個樣式。")))
    chapter = styles.get(Role.CHAPTER)
    if chapter is not None and not sheet.toggle(chapter, "pageBreakBefore"):
        findings.append(Finding(False, (
            f"章標題的樣式「{shown_style(STYLE_NAMES[Role.CHAPTER])}」沒有設定「段落前分頁」：本章不會從新的一頁開始。"
            "若要每章從新頁開始，請在 Word 修改這個樣式：「段落」→「分行與分頁設定」→勾選「段落前分頁」。")))
    findings += _page(page)
    findings += _language_and_fonts(sheet, styles)
    findings += _hanging_indents(sheet, styles)
    findings += _numbering(sheet, styles)
    findings += _character_units(sheet, styles, lead)
    findings += _overflow(sheet, styles, lead)
    stored = {info.filename: blob for info, blob in raw}
    findings += _settings(stored.get(SETTINGS_PART))
    findings += _leaks(dropped, stored.get(APP_PART), stored.get("word/_rels/settings.xml.rels", b""))
    return findings


def _docx_page(document) -> Page | None:  # document: docx.document.Document
    """The last section's page as python-docx gives it (None: a body without sectPr)."""
    if not len(document.sections):
        return None
    section = document.sections[-1]

    def twips(length) -> int | None:
        return None if length is None else length.twips
    return Page(twips(section.page_width), twips(section.page_height), twips(section.header_distance),
                twips(section.footer_distance))


def _page(page: Page | None) -> list[Finding]:
    if page is None or page.width is None or page.height is None:  # no sectPr or no pgSz: Word's default
        return [Finding(False, "沒有設定紙張大小，Word 會用預設的 Letter（美式信紙）。"
                               "請在「版面配置」→「大小」選 A4。")]
    findings = []
    size = sorted((page.width, page.height))
    if any(abs(a - b) > PAGE_TOLERANCE for a, b in zip(size, A4_TWIPS, strict=True)):
        findings.append(Finding(False, f"紙張不是 A4（目前 {_cm(size[0])} × {_cm(size[1])}，"
                                       "A4 是 21.00 × 29.70 公分）。請在「版面配置」→「大小」選 A4。"))
    for edge, distance in (("頁首", page.header), ("頁尾", page.footer)):
        if distance is not None and distance <= 0:
            findings.append(Finding(False, (
                f"{edge}與紙張邊緣的距離是 0 公分，LibreOffice 另存時常會如此："
                f"在產生的文件中加上{edge}時，{edge}會貼著紙邊，印不出來。"
                f"請在「版面配置」→「邊界」→「版面配置」把「{edge}」設為 1.5 公分左右。")))
    return findings


def _language_and_fonts(sheet: StyleSheet, styles: dict[Role, str]) -> list[Finding]:
    findings = []
    wrong_language, no_font = [], []
    for role, style_id in styles.items():
        lang = sheet.find(style_id, "rPr/lang")
        east_asian = lang.get(q("eastAsia")) if lang is not None else None
        if east_asian != LANGUAGE:
            wrong_language.append(f"{_shown(role)}（{east_asian or '未設定'}）")
        fonts = sheet.find(style_id, "rPr/rFonts")
        if fonts is None or not fonts.get(q("eastAsia")) or fonts.get(q("eastAsiaTheme")):
            no_font.append(_shown(role))
    if wrong_language:
        findings.append(Finding(False, (
            f"東亞語言不是繁體中文（{LANGUAGE}）：{'、'.join(wrong_language)}。Word 可能改用日文或簡體字型。"
            "請在「校閱」→「語言」把東亞語言設為「中文（台灣）」，或在樣式的「語言」設定。")))
    if no_font:
        findings.append(Finding(False, f"沒有指定中文字型（或用了佈景主題字型）：{'、'.join(no_font)}。"
                                       "請在樣式的「格式」→「字型」→「中文字型」選標楷體（不要選「+內文」之類的主題字型）。"))
    return findings


def _hanging_indents(sheet: StyleSheet, styles: dict[Role, str]) -> list[Finding]:
    findings = []
    for role, base in HANGING_ROLES.items():
        style_id = styles.get(role)
        if style_id is None:
            continue
        name = _shown(role)
        label = base  # the labels every chapter has (一、, (一))
        edge, hanging = sheet.indent_twips(style_id)
        hanging = max(hanging, 0)
        size = sheet.size_twips(style_id)
        needed = label_em(label) * size
        # A chapter's own wider labels (十一、, (二十一)) are no fault of the template: fit_labels
        # widens the chapter's copy and every heading carries it (paragraph_layout), so only the
        # template's base labels are held against it — whatever labels the chapter at hand holds,
        # so that `build --template` finds what `reportgen template` finds (SPEC §6).
        if hanging < needed - size * LABEL_TOLERANCE_EM:
            findings.append(Finding(False, (
                f"「{name}」的凸排 {_cm(hanging)} 比編號「{label}」（約 {_cm(needed)}）窄。"
                f"標題換行後的第二行不會對齊在「{label}」之後。"
                f"請在樣式的「段落」→「縮排」把「指定方式」設為凸排，距離至少 {_cm(needed)}。")))
        stops = sheet.tab_stops(style_id)
        if role in (Role.ITEM, Role.SECTION) and hanging and not any(
                abs(pos - edge) <= TAB_TOLERANCE and stop.get("val") != "bar" for pos, stop in stops.items()):
            # (一), a tab, the title (一、 too, when section labels differ in width, 十一、): the tab
            # needs a stop where the title starts (SPEC §6: a hanging indent without its tab stop)
            findings.append(Finding(False, (
                f"「{name}」在左縮排 {_cm(edge)} 的位置沒有定位點。「{base}」後面是定位字元（Tab）"
                f"{'' if role is Role.ITEM else '（節數到十一以上、編號長短不一時）'}，"
                "沒有對齊左縮排的定位點時，有些版本的 Word 與 LibreOffice 會把標題推到別的位置。"
                f"請在樣式的「格式」→「定位點」新增 {_cm(edge)} 的靠左定位點。")))
        catching = catching_stops(sheet, style_id)
        if catching:
            where = "、".join(_cm(pos) for pos in catching)
            findings.append(Finding(False, (
                f"「{name}」在 {where} 有定位點，位於編號「{base}」與標題文字之間："
                f"「{base}」後面的定位字元會停在這裡，標題就不會從左縮排 {_cm(edge)} 開始。"
                "用這個範本產生的本章會在每個標題段落清除這個定位點；但用其他範本產生的本章插入這份文件時，"
                f"標題會停在這裡。請在樣式的「格式」→「定位點」清除 {where} 的定位點。")))
    return findings


def _numbering(sheet: StyleSheet, styles: dict[Role, str]) -> list[Finding]:
    numbered = [_shown(role) for role in HEADING_ROLES if role in styles and sheet.numbered(styles[role])]
    if not numbered:
        return []
    return [Finding(False, (
        f"標題樣式套用了 Word 的自動編號（多層次清單）：{'、'.join(numbered)}。"
        "本章的編號「貳拾陸、」「一、」「(一)」是文字，每個標題段落都會取消自動編號，所以本章不會多出編號；"
        "但本章的標題也不會跟著總報告重新編號。"))]


def _character_units(sheet: StyleSheet, styles: dict[Role, str], lead: str | None) -> list[Finding]:
    """Indents in character units: Word lets them override the twips every paragraph carries, so
    every paragraph cancels them, and the template's own values in characters are not used."""
    named = [(_shown(role), style_id) for role, style_id in styles.items()]
    if lead is not None:
        named.append((LEAD_STYLE_NAME, lead))
    found = []
    for name, style_id in named:
        groups = sheet.indents(style_id)
        if any(value not in ("0", "") for _, chars in IND_DIRECTIONS.values()
               for _, value in groups.get(chars, [])):
            found.append(name)
    if not found:
        return []
    return [Finding(False, (
        f"縮排以「字元」為單位：{'、'.join(found)}。本章每一段都以公分寫明縮排並取消字元單位，"
        "所以這些以字元設定的縮排不會套用，Word 與 LibreOffice 排出的位置才會相同。"
        "請在樣式的「段落」→「縮排」改用公分設定。"))]


def _overflow(sheet: StyleSheet, styles: dict[Role, str], lead: str | None) -> list[Finding]:
    switched_off = []
    for role, style_id in list(styles.items()) + ([(None, lead)] if lead is not None else []):
        flag = sheet.find(style_id, "pPr/overflowPunct")
        if flag is not None and not toggled_on(flag):
            switched_off.append(_shown(role) if role else LEAD_STYLE_NAME)
    if not switched_off:
        return []
    return [Finding(False, (
        f"「允許標點符號溢出邊界」被關閉：{'、'.join(switched_off)}。用 LibreOffice 另存範本時常會如此。"
        "行尾的「、」「。」會改到下一行，全章重新分行、頁數改變；LibreOffice 轉出的 PDF 也可能漏掉行尾標點。"
        "請在樣式的「段落」→「中文印刷樣式」勾選「允許標點符號溢出邊界」。"))]


def _settings(settings: bytes | None) -> list[Finding]:
    """Document settings a chapter inherits from its template that would get in the editors' way."""
    if not settings:
        return []
    from lxml import etree

    from .wordml import parser

    try:
        root = etree.fromstring(settings, parser())
    except etree.XMLSyntaxError:
        return []
    findings = []
    for tag, message in CARRIED_SETTINGS.items():
        element = root.find(q(tag))
        if element is None:
            continue
        if tag == "documentProtection" and element.get(q("enforcement"), "0").lower() in OFF:
            continue  # protection described but not enforced: nothing happens
        if tag == "trackRevisions" and not toggled_on(element):
            continue
        findings.append(Finding(False, message))
    return findings


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
            findings.append(Finding(False, f"含有{description}：用這個範本在 Word 中另外建立的文件會帶著它；"
                                           "reportgen 產生的本章不會包含它，可放心使用。"))
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
                values.append(f"{FOREIGN_APP[local]}：{text}")
        if values:
            findings.append(Finding(False, f"文件屬性記錄了範本的來源（{'、'.join(values)}），"
                                           "reportgen 產生的文件會改用中性的屬性，不帶這些資訊。"))
    return findings


def blocking(findings: list[Finding]) -> bool:
    return any(f.blocking for f in findings)


def build_warnings(path: Path) -> list[str]:
    """What `build` prints about its template: the warnings only (missing styles stop it elsewhere)."""
    findings = check_template(path)
    if blocking(findings):
        return []
    return [f.render(path) for f in findings]


