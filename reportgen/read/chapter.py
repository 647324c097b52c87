"""A published chapter (.docx or .txt) read back into workbook rows: `reportgen import`.

The way back from what build prints (SPEC §3, §6): the chapter heading `貳、外　　交`, the sections
`一、`, their items `(一)` and everything between them. Each section's item format is chosen so that
building the workbook gives the same paragraphs; the sub-item labels stay in the text as published,
and their digit width becomes 序號數字. Activities keep the published order (活動排序 填寫順序); an
item's first full date inside the period fills 開始日期. What cannot be recovered (individual visits
behind visit statistics, a period the text does not tell) is said as a warning, never guessed
silently. This module only reads: the workbook is written by the API with `init`'s writer.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .. import labels, normalize
from ..dates import DateError, parse_day
from ..errors import FatalError
from ..numerals import FORMAL_CHARACTERS, LOWER_CHARACTERS, lower, read_formal, read_lower
from ..problems import Location, Problems, shorten
from ..schema import AS_ENTERED, MAX_CHARS, RUN_IN, SEPARATE, Kind

SUFFIXES = (".docx", ".txt")
MAX_DOCX_PART = 64 * 1024 * 1024
MAX_TEXT = 16 * 1024 * 1024
# What build takes of a single-line cell (標題) and of a 內容 or 前言 cell (check/limits.py's errors).
MAX_TITLE = MAX_CHARS[Kind.LINE]
MAX_PROSE = MAX_CHARS[Kind.PROSE]
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

_CHAPTER = re.compile(rf"^\s*([{FORMAL_CHARACTERS}]+)\s*、\s*(.+?)\s*$")
_SECTION = re.compile(rf"^\s*([{LOWER_CHARACTERS}]+)\s*、\s*(.*?)\s*$")
_ITEM = re.compile(rf"^\s*[(（]\s*([{LOWER_CHARACTERS}]+)\s*[)）]\s*(.*?)\s*$")
_FULL_DATE = re.compile(r"(?<![0-9０-９])(?:民國)?([0-9０-９]{2,4})\s*年\s*([0-9０-９]{1,2})\s*月"
                        r"\s*([0-9０-９]{1,2})\s*日")
# Closing characters a published paragraph ends with; a .txt line ending otherwise (`…日本台灣交`)
# followed by plain text was broken by the PDF's page or column: joined again, and said.
_ENDS = tuple("。！？；：」』）)!?;:…—")
_VISITS = re.compile(r"[0-9０-９,，]+\s*案.{0,8}?[0-9０-９,，]+\s*人|訪賓")
_COLONS = ("：", ":")


@dataclass
class Paragraph:
    text: str
    number: int  # 1-based, in the file (for messages): a .docx's paragraph, a .txt's line
    unit: str = "段"

    @property
    def where(self) -> str:
        return f"第 {self.number} {self.unit}"


@dataclass
class Item:
    heading: Paragraph
    title: str  # the text after `(一)`
    body: list[Paragraph] = field(default_factory=list)


@dataclass
class Section:
    heading: Paragraph
    title: str
    preface: list[Paragraph] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)


@dataclass
class Imported:
    """What a chapter gives back: settings by 報告設定 item, sections and activities by header."""

    chapter: int
    title: str
    period: tuple[dt.date, dt.date] | None
    parens: str
    digits: str
    preface: str | None
    sections: list[dict[str, object]]
    activities: list[dict[str, object]]
    order: str = AS_ENTERED


# --- paragraphs ------------------------------------------------------------------------------------

def paragraphs_of(path: Path, problems: Problems) -> list[Paragraph]:
    """The file's paragraphs, blank ones left out; a FatalError when it cannot be read as a chapter."""
    suffix = path.suffix.lower()
    if path.is_dir():
        raise FatalError(f"{path} 是資料夾，不是檔案。請指定已出版的一章（.docx 或 .txt）。")
    if suffix not in SUFFIXES:
        raise FatalError(f"{path.name}：reportgen import 只讀 Word 文件（.docx）或純文字檔（.txt，一行一段）。"
                         "PDF 請先把全文複製貼到記事本，存成 UTF-8 的 .txt。")
    if not path.is_file():
        raise FatalError(f"找不到 {path}。" if not path.exists() else f"{path} 不是檔案。")
    if suffix == ".docx":
        out: list[Paragraph] = []
        for number, raw in enumerate(_docx_paragraphs(path), start=1):
            text = _visible_only(raw, Location(path.name, f"第 {number} 段"), problems)
            out.extend(Paragraph(part, number) for part in _lines_joined(text) if part.strip())
        return out
    return _text_paragraphs(path, problems)


def _visible_only(text: str, where: Location, problems: Problems) -> str:
    """`text` without the control, zero-width and non-characters build would remove (normalize's
    rules), one warning for the paragraph: the workbook cannot hold some of them at all."""
    cleaned, removed = normalize.strip_invisible(text)
    if removed:
        at = min(text.index(c) for c in removed)
        start, end = max(0, at - 12), min(len(text), at + 13)
        shown = normalize.visible(text[start:end].replace("\t", " "))
        problems.add("import-invisible", where, chars=normalize.describe_removed(removed),
                     shown=("…" if start else "") + shown + ("…" if end < len(text) else ""))
    return cleaned


def _docx_paragraphs(path: Path) -> list[str]:
    """Every body paragraph's text as Word shows it with tracked changes accepted: insertions in,
    deletions out, a paragraph whose mark was deleted run on into the next; a line break (Shift+Enter)
    is `\\n`, a tab (after a label) `\\t`."""
    from lxml import etree

    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("word/document.xml")
            if info.file_size > MAX_DOCX_PART:
                raise FatalError(f"{path.name} 的文件本文解壓縮後過大，無法讀取。")
            data = archive.read(info)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise FatalError(f"{path.name} 不是可讀取的 Word 文件（.docx）。請用 Word 開啟後另存為 .docx。") from exc
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise FatalError(f"{path.name} 的文件本文含有不允許的 DTD 宣告，可能是惡意檔案。")
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError as exc:
        raise FatalError(f"{path.name} 的文件本文已損壞，請用 Word 重新存檔。") from exc
    body = root.find(f"{{{W}}}body")
    out: list[str] = []
    carried = ""  # the text of paragraphs whose mark is a tracked deletion: it goes on in the next
    for paragraph in body.iter(f"{{{W}}}p") if body is not None else ():
        if _unpublished(paragraph) or _in_contents(paragraph):
            continue
        parts = [carried]
        for node in paragraph.iter(*_TEXT_NODES):
            if _unpublished(node, paragraph):
                continue
            parts.append(_TEXT_NODES[node.tag] if node.tag != f"{{{W}}}t" else node.text or "")
        if paragraph.find(_MARK_GONE) is not None or paragraph.find(_MARK_MOVED) is not None:
            carried = "".join(parts)
            continue
        carried = ""
        out.append("".join(parts))
    return out + ([carried] if carried else [])


def _lines_joined(text: str) -> list[str]:
    """A Word paragraph's text, its invisible characters gone, as build reads a cell: a line break
    (Shift+Enter) before a sub-item label starts a paragraph (SPEC §3), any other is a wrapped line
    joined as build joins it (so a break inside a heading leaves it a heading; the rebuilt chapter
    is the same)."""
    return [normalize.join_lines(part) for part in labels.BREAK_BEFORE_LABEL.split(text)]


# What a paragraph's text is made of, and what each node reads as (a non-breaking hyphen is a hyphen,
# an optional one shows only at a line's end).
_TEXT_NODES = {f"{{{W}}}t": "", f"{{{W}}}tab": "\t", f"{{{W}}}br": "\n", f"{{{W}}}cr": "\n",
               f"{{{W}}}noBreakHyphen": "-", f"{{{W}}}softHyphen": ""}
# Text the published chapter does not show: moved away, hidden, a text box's copy for old readers
# (mc:Fallback; its mc:Choice is read), or a text box's own paragraphs inside the paragraph holding it.
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_AWAY = {f"{{{W}}}moveFrom", f"{{{W}}}del", f"{{{_MC}}}Fallback", f"{{{W}}}txbxContent"}
# A paragraph mark deleted (or moved away) with Track Changes on: accepted, the paragraph joins the next.
_MARK_GONE = f"{{{W}}}pPr/{{{W}}}rPr/{{{W}}}del"
_MARK_MOVED = f"{{{W}}}pPr/{{{W}}}rPr/{{{W}}}moveFrom"


def _unpublished(node, paragraph=None) -> bool:
    """Whether `node` lies where the published text is not: in a moved-from or deleted range, a
    fallback copy, a text box nested in `paragraph`, or a run formatted hidden (w:vanish)."""
    for ancestor in node.iterancestors():
        if ancestor is paragraph:
            break
        if ancestor.tag in _AWAY and (paragraph is not None or ancestor.tag != f"{{{W}}}txbxContent"):
            return True
        if ancestor.tag == f"{{{W}}}r":
            vanish = ancestor.find(f"{{{W}}}rPr/{{{W}}}vanish")
            if vanish is not None and vanish.get(f"{{{W}}}val", "true") not in ("0", "false", "off"):
                return True
    return False


def _in_contents(paragraph) -> bool:
    """A table of contents' entry: a TOC style (TOC 1–9), or inside Word's table-of-contents block."""
    style = paragraph.find(f"{{{W}}}pPr/{{{W}}}pStyle")
    if style is not None and re.fullmatch(r"(?i)toc ?\d|目錄 ?\d", style.get(f"{{{W}}}val", "")):
        return True
    for block in paragraph.iterancestors(f"{{{W}}}sdt"):
        gallery = block.find(f"{{{W}}}sdtPr/{{{W}}}docPartObj/{{{W}}}docPartGallery")
        if gallery is not None and "contents" in gallery.get(f"{{{W}}}val", "").lower():
            return True
    return False


def _numbered_headings(path: Path) -> bool:
    """Whether the .docx numbers its headings with Word's list numbering (w:numPr on a heading
    paragraph or its style): the labels are then no text, and no chapter heading can be read."""
    from lxml import etree

    try:
        with zipfile.ZipFile(path) as archive:
            parts = {name: archive.read(name) for name in ("word/document.xml", "word/styles.xml")
                     if name in archive.namelist() and archive.getinfo(name).file_size <= MAX_DOCX_PART}
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        styles = etree.fromstring(parts["word/styles.xml"], parser) if "word/styles.xml" in parts else None
        document = etree.fromstring(parts["word/document.xml"], parser)
    except (zipfile.BadZipFile, KeyError, OSError, etree.XMLSyntaxError):
        return False
    numbered_styles = set()
    for style in styles.iter(f"{{{W}}}style") if styles is not None else ():
        name = style.find(f"{{{W}}}name")
        if name is not None and re.match(r"(?i)heading \d|標題 ?\d", name.get(f"{{{W}}}val", "")) \
                and _numbering(style):
            numbered_styles.add(style.get(f"{{{W}}}styleId"))
    for paragraph in document.iter(f"{{{W}}}p"):
        style = paragraph.find(f"{{{W}}}pPr/{{{W}}}pStyle")
        style_id = style.get(f"{{{W}}}val", "") if style is not None else ""
        own = _numbering(paragraph)
        if own is False:  # numId 0: numbering turned off here, whatever the style says
            continue
        if style_id in numbered_styles or (own and re.match(r"(?i)heading\d|\d$", style_id)):
            return True
    return False


def _numbering(element) -> bool | None:
    """Whether a paragraph or style (`element`, holding w:pPr) is list-numbered: True, False for
    numId 0 (Word's "no numbering", as a reportgen-built heading retyped by hand may carry), None
    when it says nothing (a paragraph then follows its style)."""
    numbering = element.find(f"{{{W}}}pPr/{{{W}}}numPr")
    if numbering is None:
        return None
    number = numbering.find(f"{{{W}}}numId")
    if number is None:
        return None
    return number.get(f"{{{W}}}val", "").strip() not in ("0", "")


def _text_paragraphs(path: Path, problems: Problems) -> list[Paragraph]:
    """A .txt as copied from the published PDF, one paragraph a line (SPEC §6). Copying from a PDF
    breaks a paragraph where its page or column ended — the seed chapter itself holds one
    (`…日本台灣交` / `流協會…`) — so a line that stops mid-sentence and is followed by plain text (no
    heading, no label) is joined with it as build joins a wrapped line, with a warning naming both
    lines: staff who meant two paragraphs end the first with its punctuation."""
    data = path.read_bytes()
    if len(data) > MAX_TEXT:
        raise FatalError(f"{path.name} 過大（{len(data):,} 位元組），不像是一章的文字。")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp950")
        except UnicodeDecodeError as exc:
            raise FatalError(f"{path.name} 不是 UTF-8 純文字檔。請在記事本「另存新檔」時把編碼選為 UTF-8。") from exc
        problems.add("import-encoding", Location(path.name))
    out: list[Paragraph] = []
    for number, line in enumerate(text.splitlines(), start=1):
        paragraph = Paragraph(line, number, "行")
        line = paragraph.text = _visible_only(line, Location(path.name, paragraph.where), problems)
        if not line.strip():
            continue
        if out and _continues(out[-1].text, line):
            problems.add("import-line-unfinished", Location(path.name, out[-1].where), next=number,
                         end=("…" if len(out[-1].text.strip()) > 12 else "") + out[-1].text.strip()[-12:])
            out[-1].text = normalize.join_lines(out[-1].text.rstrip() + "\n" + line.lstrip())
            continue
        out.append(paragraph)
    return out


def _heading_like(text: str) -> bool:
    return bool(_CHAPTER.match(text) or _SECTION.match(text) or _ITEM.match(text)) or labels.parse(text) is not None


def _continues(previous: str, line: str) -> bool:
    """Whether `line` reads as going on from `previous` (which ends mid-sentence, and neither is a heading)."""
    return not previous.rstrip().endswith(_ENDS) and not _heading_like(previous) and not _heading_like(line)


def _clean(text: str) -> str:
    """A paragraph as a cell holds it, otherwise as published: the tab or spaces after a label are layout and go."""
    text = text.strip()
    label = labels.parse(text)
    if label is not None and label.end > len(label.typed):
        text = label.typed + text[label.end:]
    return text.replace("\t", " ")


# --- structure -------------------------------------------------------------------------------------

# A table of contents' line: its heading's text, then a tab or dot leader and a page number.
_CONTENTS_LINE = re.compile(r"(?:\t|\.{3,}|…{2,}|·{3,})\s*\d+\s*$")


def chapter_number(numeral: str) -> int | None:
    """貳拾陸 → 26, and Word's formal numbering's own forms too: it writes 壹拾 for 10 (壹拾壹 for 11),
    where reportgen writes 拾; 壹佰壹拾 (110) both write alike."""
    number = read_formal(numeral)
    if number is None and numeral.startswith("壹拾"):
        number = read_formal(numeral[1:])
    return number


def _chapter_heading(text: str) -> bool:
    """`貳拾陸、國際事務`, not a table of contents' line naming it with its page number."""
    return bool((found := _CHAPTER.match(text)) and chapter_number(found.group(1))
                and not _CONTENTS_LINE.search(text))


def heading_index(paragraphs: list[Paragraph]) -> int | None:
    """Where the chapter heading is: what comes before it (a cover line, a table of contents) is not the chapter."""
    return next((i for i, p in enumerate(paragraphs) if _chapter_heading(p.text)), None)


def structure(paragraphs: list[Paragraph], name: str, problems: Problems
              ) -> tuple[int, str, list[Paragraph], list[Section]]:
    """The chapter heading's number and name, the chapter preface, and the sections with their items.

    Headings are numbered literal text, so an editor who deleted or added one may have left the
    numbers as they were: any number is a heading, and one out of sequence is a warning (build
    numbers them afresh).
    """
    start = heading_index(paragraphs)
    if start is None:
        raise FatalError(f"{name} 中找不到章標題。reportgen import 需要一章已出版的施政報告：第一段是"
                         "「貳拾陸、國際事務」這樣的章標題（大寫數字、頓號、章名），其後是「一、」節標題與"
                         "「(一)」項目。", exit_code=1)
    if start:
        problems.add("import-before-heading", Location(name, paragraphs[0].where), count=start)
    match = _CHAPTER.match(paragraphs[start].text)
    number = chapter_number(match.group(1)) or 1
    title = normalize.clean_line(match.group(2)).text
    preface: list[Paragraph] = []
    sections: list[Section] = []
    for paragraph in paragraphs[start + 1:]:
        text = paragraph.text
        if _chapter_heading(text):
            problems.add("import-next-chapter", Location(name, paragraph.where), heading=_clean(text))
            break  # one chapter a workbook: the next chapter's text never goes into this one's last item
        found = _SECTION.match(text)
        if found and (at := read_lower(found.group(1))) and found.group(2):
            if at != len(sections) + 1:  # an editor deleted or added one: build numbers them again
                problems.add("import-renumbered", Location(name, paragraph.where), label=f"{found.group(1)}、",
                             expected=f"{lower(len(sections) + 1)}、")
            sections.append(Section(paragraph, found.group(2)))
            continue
        found = _ITEM.match(text)
        if found and sections and (at := read_lower(found.group(1))):
            if at != len(sections[-1].items) + 1:
                problems.add("import-renumbered", Location(name, paragraph.where), label=f"({found.group(1)})",
                             expected=f"({lower(len(sections[-1].items) + 1)})")
            sections[-1].items.append(Item(paragraph, found.group(2)))
            continue
        if not sections:
            preface.append(paragraph)
        elif sections[-1].items:
            sections[-1].items[-1].body.append(paragraph)
        else:
            sections[-1].preface.append(paragraph)
    return number, title, preface, sections


# What a 前言 cell would read as template syntax (SPEC §5, full-width delimiters too).
_TEMPLATE_MARK = re.compile(r"[{｛][{｛%％#]")


def _as_text(preface: str | None) -> str | None:
    """A 前言 cell is a sentence template: published text holding `{{` or `{%` is kept as the text it
    is by a raw block (the 內容 cells are no templates and print as they hold)."""
    if preface and _TEMPLATE_MARK.search(preface):
        return "{% raw %}" + preface + "{% endraw %}"
    return preface


def _cell(paragraphs: list[str]) -> str | None:
    """Paragraphs as one 內容 or 前言 cell: a sub-item on its own line, other paragraphs a blank line apart."""
    out = ""
    for text in paragraphs:
        if out:
            out += "\n" if labels.parse(text) is not None else "\n\n"
        out += text
    return out or None


def _run_in(item: Item) -> tuple[str, list[str]] | None:
    """The item as 標題接內文 gives it back (title, 內容 paragraphs), or None when that format cannot.

    `(一)標題：內文` splits at its first colon; a heading with nothing after the colon (or no colon)
    is a title standing alone, which 標題接內文 prints only when 內容 is blank or starts with a label.
    """
    body = [_clean(p.text) for p in item.body]
    title = _clean(item.title)
    colon = min((i for i in (title.find(c) for c in _COLONS) if i >= 0), default=-1)
    rest = title[colon + 1:].strip() if colon >= 0 else ""
    if rest and labels.parse(rest) is None:
        return title[:colon], [rest, *body]
    if body and labels.parse(body[0]) is None:
        return None
    return title, body


def _format(section: Section) -> str:
    """標題接內文 when every item comes back the same that way and some item runs its text on after
    the title or is a sentence alone (`(一)本期核發護照計615件。`); else 標題分段, which gives any item back."""
    if not section.items:
        return SEPARATE
    joined = [_run_in(item) for item in section.items]
    if any(j is None for j in joined):
        return SEPARATE
    runs_on = any(len(j[1]) > len(item.body) or not item.body
                  for j, item in zip(joined, section.items, strict=True))
    return RUN_IN if runs_on else SEPARATE


# --- settings found in the text --------------------------------------------------------------------

def _label_widths(texts: list[str]) -> Counter[bool]:
    """How many sub-item labels have full-width (True) or half-width (False) single-character cores."""
    widths: Counter[bool] = Counter()
    for text in texts:
        label = labels.parse(text)
        if label is not None and label.wide() is not None and (label.number < 10 or label.rank > 1):
            widths[bool(label.wide())] += 1
    return widths


def _paren_widths(texts: list[str]) -> Counter[str]:
    """Parentheses in the prose (labels aside): which width the chapter writes them in."""
    widths: Counter[str] = Counter()
    for text in texts:
        label, item = labels.parse(text), _ITEM.match(text)
        body = item.group(2) if item else text[label.end:] if label is not None else text
        widths["全形"] += body.count("（") + body.count("）")
        widths["半形"] += body.count("(") + body.count(")")
    return widths


def full_dates(text: str) -> list[dt.date]:
    """Every full date written in `text` (`101年8月13日`, `2012年8月13日`), in order; impossible ones left out."""
    out = []
    for match in _FULL_DATE.finditer(text):
        year, month, day = (normalize.clean_line(g).text for g in match.groups())
        try:
            out.append(parse_day(f"{year}年{month}月{day}日").first)
        except DateError:
            continue
    return out


def half_year(day: dt.date) -> tuple[dt.date, dt.date]:
    if day.month <= 6:
        return dt.date(day.year, 1, 1), dt.date(day.year, 6, 30)
    return dt.date(day.year, 7, 1), dt.date(day.year, 12, 31)


PERIOD_HOW = "匯入時加上 --period（例如 --period 101/7/1-101/12/31）"  # how a command-line user gives one


def infer_period(texts: list[str], name: str, problems: Problems,
                 how: str = PERIOD_HOW) -> tuple[dt.date, dt.date] | None:
    """The half-year holding most of the full dates in the text; None (with a warning, `how` saying
    how else to give the period) on a tie or none."""
    counts = Counter(half_year(day) for text in texts for day in full_dates(text))
    ranked = counts.most_common()
    if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        return ranked[0][0]
    from ..dates import roc_date

    top = [period for period, count in ranked if count == ranked[0][1]] if ranked else []
    candidates = "、".join(f"{roc_date(a)}至{roc_date(b)}（{counts[(a, b)]} 個日期）" for a, b in top)
    problems.add("import-no-period", Location(name),
                 candidates=f"：{candidates}不相上下" if candidates else "：內文沒有完整的日期", how=how)
    return None


# --- the whole chapter -------------------------------------------------------------------------------

def read_chapter(path: Path, problems: Problems, period: tuple[dt.date, dt.date] | None = None,
                 how: str = PERIOD_HOW) -> Imported:
    """The chapter in `path` as workbook rows; `period` (from --period) or one found in the text
    (`how`: how else the person can give it, for the warning when the text does not tell)."""
    name = path.name
    paragraphs = paragraphs_of(path, problems)
    try:
        number, title, preface, sections = structure(paragraphs, name, problems)
    except FatalError as exc:
        if path.suffix.lower() == ".docx" and _numbered_headings(path):
            raise FatalError(exc.message + "這份文件的標題用的是 Word 的自動編號（「貳拾陸、」「一、」不是文字，"
                             "只是顯示出來）：請在 Word 中複製全文，以「只保留文字」貼到新文件後另存，再匯入。",
                             exit_code=exc.exit_code) from exc
        raise
    # The settings are read from the chapter alone: a cover line before its heading is not imported.
    every = [_clean(p.text) for p in paragraphs[heading_index(paragraphs) or 0:]]
    if period is None:
        period = infer_period(every, name, problems, how)
    widths = _label_widths(every)
    digits = "全形" if widths[True] > widths[False] else "半形"
    if widths[True] and widths[False]:
        problems.add("import-mixed-widths", Location(name), what="子項序號的數字",
                     count=min(widths.values()), chosen=digits, setting="序號數字")
    parens_found = _paren_widths(every)
    parens = "全形" if parens_found["全形"] > parens_found["半形"] else "半形"
    if parens_found["全形"] and parens_found["半形"]:
        problems.add("import-mixed-widths", Location(name), what="括號", count=min(parens_found.values()),
                     chosen=parens, setting="括號")
    section_rows: list[dict[str, object]] = []
    activity_rows: list[dict[str, object]] = []
    seen: set[tuple[int, str, dt.date | None]] = set()
    for index, section in enumerate(sections, start=1):
        section_preface = [_clean(p.text) for p in section.preface]
        kind = "活動" if section.items else "文字"
        item_format = _format(section)
        if not section.items:
            text = "".join([section.title, *section_preface])
            if section_preface and _VISITS.search(text):
                problems.add("import-visit-stats", Location(name, section.heading.where),
                             title=section.title)
            elif not section_preface:
                problems.add("import-empty-section", Location(name, section.heading.where),
                             title=section.title)
        if section_preface and not section.items:  # no item follows the 前言 (SPEC §3)
            _dangling(section_preface[-1], section.preface[-1], "這一節", name, problems)
        row: dict[str, object] = {"節次": index, "節名": _clean(section.title), "類型": kind,
                                  "前言": _as_text(_cell(section_preface))}
        _long(row["前言"], "前言", section.heading, name, problems)
        if item_format != SEPARATE:
            row["項目格式"] = item_format
        section_rows.append(row)
        for item in section.items:
            item_title, body = (_run_in(item) if item_format == RUN_IN else None) or (
                _clean(item.title), [_clean(p.text) for p in item.body])
            if len(item_title) > MAX_TITLE:
                problems.add("import-long-title", Location(name, item.heading.where),
                             limit=MAX_TITLE)
            dates = [d for d in full_dates(item_title + "".join(body))
                     if period is not None and period[0] <= d <= period[1]]
            if dates and (index, item_title, dates[0]) in seen:  # 節次 + 標題 + 開始日期 name one activity
                dates = []
            seen.add((index, item_title, dates[0] if dates else None))
            if body:  # the next item follows the last 內容 paragraph
                _dangling(body[-1], item.body[-1] if item.body else item.heading, "這一項", name, problems)
            else:
                _dangling(item_title, item.heading, "這一項", name, problems, title=True)
            activity_rows.append({
                "節次": index, "標題": item_title,
                "開始日期": _day_cell(dates[0]) if dates else None,
                "結束日期": _day_cell(max(dates)) if dates and max(dates) > dates[0] else None,
                "內容": _cell(body)})
            _long(activity_rows[-1]["內容"], "內容", item.heading, name, problems)
    if not sections:
        problems.add("import-no-sections", Location(name))
    chapter_preface = _as_text(_cell([_clean(p.text) for p in preface]))
    start = heading_index(paragraphs) or 0
    _long(chapter_preface, "前言", paragraphs[start], name, problems)
    return Imported(chapter=number, title=title, period=period, parens=parens, digits=digits,
                    preface=chapter_preface, sections=section_rows, activities=activity_rows)


def _long(cell: object, header: str, heading: Paragraph, name: str, problems: Problems) -> None:
    """A warning when a 內容 or 前言 cell written is longer than build takes (limits.py's MAX_CHARS),
    at the heading it belongs to: build would stop at it, not the import."""
    if isinstance(cell, str) and len(cell) > MAX_PROSE:
        problems.add("import-long-text", Location(name, heading.where), header=header, length=len(cell),
                     limit=MAX_PROSE)


def _dangling(text: str, paragraph: Paragraph, scope: str, name: str, problems: Problems, *,
              title: bool = False) -> None:
    """A warning for a paragraph ending with `：` and nothing after it in its item or section: build
    leaves that sentence out (SPEC §3; of a title standing alone, the colon), so the round trip
    would lose it unsaid."""
    text = text.rstrip()
    if not text.endswith(_COLONS) or (title and not text.rstrip("：:")):
        return
    problems.add("import-dangling-colon", Location(name, paragraph.where), paragraph=shorten(text), scope=scope,
                 effect="會刪去結尾的「：」" if title else "會刪去這一句")


def _day_cell(day: dt.date) -> str:
    """A date as staff type it (101/8/13), for a text cell."""
    return f"{day.year - 1911}/{day.month}/{day.day}"
