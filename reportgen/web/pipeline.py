"""The page's one adapter to the library API: the same calls `reportgen build`/`validate`/`init` make.

Every function here works in a private temporary folder of its own, removed before it returns,
so nothing uploaded stays on the server's disk. Only public library functions are called.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import api
from ..errors import FatalError
from ..problems import Problem, shorten
from ..schema import WORKBOOK_SUFFIXES
from ..write.compose import Role
from ..write.label_fit import label_em
from ..write.outputs import safe_file_title

__all__ = ["WORKBOOK_SUFFIXES", "Checked", "Download", "FatalError", "HalfYear", "Paragraph", "Upload",
           "blank_workbook", "check", "half_year", "half_years", "indent_classes", "pdf", "safe_name", "shorten",
           "soffice_available"]

TEMPLATE_SUFFIXES = (".docx", ".dotx")  # as `reportgen build --template` takes them
REPORT_NAME = "檢核報告.xlsx"
NAME_MAX_BYTES = 200  # file systems allow 255 bytes a name; a CJK character takes 3 in UTF-8
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
# LibreOffice's own working folders (convert.Soffice), which its messages may quote.
_SOFFICE_PATH = re.compile(r'[^\s「」（）()，。、"\']*reportgen-soffice-[^\s「」（）()，。、"\']*')


@dataclass(frozen=True)
class Upload:
    """A file as the browser sent it: its own name (no folders) and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Download:
    name: str
    data: bytes
    media_type: str


@dataclass(frozen=True)
class Paragraph:
    """One printed paragraph for the HTML preview: role, literal label, text."""

    role: str
    label: str
    text: str
    visitors: bool = False  # the key-visitor list of a 訪賓 section
    level: int = 0  # a sub-item's depth (1: `1、` under its item), for its indent


@dataclass
class Checked:
    """What the page shows after an upload, and the files it offers."""

    files: list[str]
    status: str = ""  # 檢核完成：錯誤 0 項、警告 0 項。
    summary: str = ""  # 共 2 節、14 項活動 … (only when there are no errors)
    problems: list[Problem] = field(default_factory=list)
    fatal: str = ""  # a condition that stopped the run (unreadable file, bad template)
    title: str = ""
    paragraphs: list[Paragraph] = field(default_factory=list)
    text: str = ""
    widths: str = ""  # CSS classes sizing the hanging indents to the widest labels present
    docx: Download | None = None
    report: Download | None = None
    build_refusal: str = ""  # why there is no .docx
    template_warnings: list[str] = field(default_factory=list)  # as `reportgen build --template` prints them


def safe_name(name: str) -> str:
    """The browser's file name without folders or characters a file system refuses.

    It is also the name problems show, so a long one is cut by its UTF-8 bytes (what file systems
    count), keeping as many characters and the suffix: 66 CJK characters fit, not 85 Latin-sized 110.
    """
    base = re.split(r"[\\/]", name)[-1]
    cleaned = _UNSAFE_NAME.sub("_", base).strip(" .")
    if len(cleaned.encode("utf-8")) > NAME_MAX_BYTES:
        stem, dot, suffix = cleaned.rpartition(".")
        if not dot or len((dot + suffix).encode("utf-8")) > 16:  # no real suffix: cut the whole name
            stem, dot, suffix = cleaned, "", ""
        room = NAME_MAX_BYTES - len((dot + suffix).encode("utf-8"))
        cleaned = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(" .") + dot + suffix
    return cleaned or "活頁簿.xlsx"


def _paragraphs(outcome: api.Outcome) -> tuple[str, list[Paragraph]]:
    """The compose tree as the page prints it, with the key-visitor list marked."""
    document = api.document(outcome)
    kinds = iter([s.kind for s in outcome.report.sections])
    has_list = any(v.key for v in outcome.report.visits)
    result: list[Paragraph] = []
    kind, last_body = "", -1

    def close_section() -> None:
        if kind == "訪賓" and has_list and last_body >= 0:
            body = result[last_body]
            result[last_body] = Paragraph(body.role, body.label, body.text, visitors=True)

    for block in document.blocks:
        if block.role is Role.SECTION:
            close_section()
            kind, last_body = next(kinds, ""), -1
        elif block.role is Role.SECTION_BODY:
            last_body = len(result)
        result.append(Paragraph(block.role.value, block.label, block.text, level=block.level))
    close_section()
    return document.title, result


def indent_classes(paragraphs: list[Paragraph]) -> str:
    """`s2 i4`: the preview's CSS classes for hanging indents. Section labels take 2 characters,
    item labels with their gap 4, as the template's indents do (Heading 2 hangs 2 characters,
    Heading 3 four); wider labels widen them, measured with label_fit's own estimate."""
    section = max([label_em(p.label) for p in paragraphs if p.role == Role.SECTION.value] or [2])
    item = max([label_em(p.label) + 1 for p in paragraphs if p.role == Role.ITEM.value] or [4])
    return f"s{min(max(math.ceil(section), 2), 6)} i{min(max(math.ceil(item), 4), 8)}"


def check(workbooks: list[Upload], template: Upload | None = None, folder: Path | None = None) -> Checked:
    """Validate the uploads as `reportgen validate` would, and build what `reportgen build` would.

    The workbooks are read in name order, as `reportgen build FOLDER` reads a folder. Their
    copies go into a private folder made inside `folder` (the server's scratch folder), removed
    before this returns.
    """
    ordered = sorted(workbooks, key=lambda u: u.name)
    checked = Checked(files=[u.name for u in ordered])
    with tempfile.TemporaryDirectory(prefix="reportgen-web-", dir=folder) as work:
        inputs = Path(work) / "inputs"
        inputs.mkdir()
        paths = []
        for upload in ordered:
            path = inputs / upload.name
            path.write_bytes(upload.data)
            paths.append(path)
        template_path = None
        if template is not None:  # its own name (.docx or .dotx), which its warnings quote
            template_path = Path(work) / safe_name(template.name)
            template_path.write_bytes(template.data)
        try:
            outcome = api.load(paths, keep_grids=True)  # the report copies what was read
        except FatalError as exc:
            checked.fatal = _without_folder(exc.message, work)
            return checked
        checked.problems = outcome.problems.sorted()
        checked.status = f"檢核完成：{outcome.problems.summary()}。"
        from ..write.report_xlsx import report_bytes

        checked.report = Download(REPORT_NAME, report_bytes(paths, outcome.problems, outcome.sources), XLSX)
        if outcome.report is None:
            checked.build_refusal = f"{outcome.problems.summary()}，未產生 Word 文件；請依下表修正後重新上傳。"
            return checked
        checked.summary = api.summary(outcome)
        checked.title, checked.paragraphs = _paragraphs(outcome)
        checked.widths = indent_classes(checked.paragraphs)
        checked.text = api.preview_text(outcome)
        try:
            # as `build --template` does: a file of another kind in its own words, then the
            # template check's every finding (all missing styles, the warnings), then the chapter
            from ..write.outputs import check_template_file
            from ..write.template_check import blocking

            shown = template_path if template_path is not None else api.default_template()
            if template_path is not None:
                check_template_file(template_path, otherwise="不上傳範本，改用內建範本")
            findings = api.template_findings(outcome, template_path)
            checked.template_warnings = [_without_folder(f.render(shown), work) for f in findings]
            if blocking(findings):
                checked.build_refusal = f"範本 {shown.name} 缺少必要的樣式，無法用來產生本章（見下列說明）。"
                return checked
            data = api.render_docx(outcome, template_path)
        except FatalError as exc:
            checked.build_refusal = _without_folder(exc.message, work)
            return checked
        checked.summary = api.summary(outcome, template_warning_count=len(findings))  # as build counts them
        settings = outcome.report.settings
        checked.docx = Download(f"{safe_file_title(settings.title, f'第{settings.chapter}章')}.docx", data, DOCX)
    return checked


def _without_folder(message: str, work: str) -> str:
    """Messages name the file as staff named it, never the server's temporary folder."""
    for prefix in (str(Path(work) / "inputs") + "/", str(Path(work)) + "/", str(Path(work))):
        message = message.replace(prefix, "")
    return message


def _without_soffice_paths(message: str) -> str:
    """LibreOffice's messages quote its private working files; staff need none of them."""
    return re.sub(r" {2,}", " ", _SOFFICE_PATH.sub("", message))


def soffice_available() -> bool:
    from ..write.convert import find_soffice

    return find_soffice() is not None


def pdf(docx: Download, folder: Path | None = None) -> Download:
    """The chapter as PDF through LibreOffice, as `reportgen build --pdf` makes it."""
    from ..write.convert import convert

    with tempfile.TemporaryDirectory(prefix="reportgen-web-", dir=folder) as work:
        path = Path(work) / "chapter.docx"
        path.write_bytes(docx.data)
        try:
            (converted,) = convert(path, ["pdf"])
        except FatalError as exc:
            message = exc.message.split(f"Word 文件 {path}")[0]  # the page's Word file is untouched: no news
            if "請確認 LibreOffice" in message:  # LibreOffice runs on the server: not the staff's to mend
                message = message.split("請確認 LibreOffice")[0] + "請稍後再試；若一直如此，請洽系統管理人員。"
            message = _without_folder(message, work).replace(path.name, docx.name)  # the name staff know
            raise FatalError(_without_soffice_paths(message)) from exc
        return Download(str(Path(docx.name).with_suffix(".pdf")), converted.read_bytes(), "application/pdf")


@dataclass(frozen=True)
class HalfYear:
    key: str  # 111-1
    label: str  # 111年上半年（1月至6月）
    period: str  # 111/1/1-111/6/30 as `reportgen init --period` takes it


def half_year(key: str) -> HalfYear:
    """`111-1` → the first half of ROC year 111; ValueError for anything else."""
    match = re.fullmatch(r"(\d{2,3})-([12])", key)
    if not match:
        raise ValueError(key)
    year, half = int(match.group(1)), int(match.group(2))
    if not 1 <= year <= 999:
        raise ValueError(key)
    if half == 1:
        return HalfYear(key, f"{year}年上半年（1月至6月）", f"{year}/1/1-{year}/6/30")
    return HalfYear(key, f"{year}年下半年（7月至12月）", f"{year}/7/1-{year}/12/31")


def half_years(today: dt.date | None = None) -> tuple[list[HalfYear], str]:
    """The half-years offered for a blank workbook (a year back to a year ahead), and today's."""
    today = today or dt.date.today()
    year, half = today.year - 1911, 1 if today.month <= 6 else 2
    index = year * 2 + half - 1
    keys = [f"{i // 2}-{i % 2 + 1}" for i in range(index - 2, index + 3)]
    return [half_year(k) for k in keys], f"{year}-{half}"


@dataclass
class Imported:
    """What `reportgen import` made of an uploaded chapter: the workbook and what it could not recover."""

    name: str
    summary: str = ""
    problems: list[Problem] = field(default_factory=list)
    fatal: str = ""
    workbook: Download | None = None


CHAPTER_SUFFIXES = (".docx", ".txt")
PERIOD_FIELD = "報告期間"  # the import form's field, as messages name it (the command line's is --period)


def import_chapter(upload: Upload, period: str | None, folder: Path | None = None) -> Imported:
    """A published chapter (.docx, or .txt one paragraph a line) as a workbook, through the
    library's import (api.import_chapter); the copy lives in a private folder removed before this returns."""
    from ..api import import_chapter as to_workbook

    found = Imported(upload.name)
    suffix = Path(upload.name).suffix.lower()
    if suffix not in CHAPTER_SUFFIXES:
        found.fatal = "請上傳已出版的一章：Word 文件（.docx），或從 PDF 複製、一行一段的 UTF-8 純文字檔（.txt）。"
        return found
    with tempfile.TemporaryDirectory(prefix="reportgen-web-", dir=folder) as work:
        source = Path(work) / f"chapter{suffix}"
        source.write_bytes(upload.data)
        target = Path(work) / "workbook.xlsx"
        try:
            outcome = to_workbook(source, target, period=period or None, period_field=PERIOD_FIELD)
        except FatalError as exc:
            found.fatal = exc.format_message().replace(source.name, upload.name)
            return found
        found.problems = [_renamed(p, source.name, upload.name) for p in outcome.problems.sorted()]
        found.summary = outcome.summary().splitlines()[0].replace(f"已產生 {target}：", "已轉成活頁簿：")
        found.workbook = Download(f"{Path(upload.name).stem}.xlsx", target.read_bytes(), XLSX)
    return found


def _renamed(problem: Problem, old: str, new: str) -> Problem:
    """A problem as the uploader knows the file: by the name it was uploaded under."""
    from dataclasses import replace

    where = replace(problem.location, file=new if problem.location.file == old else problem.location.file)
    return replace(problem, location=where, message=problem.message.replace(old, new))


def blank_workbook(choice: HalfYear, folder: Path | None = None) -> Download:
    """A new workbook to fill, as `reportgen init FILE --period …` writes it."""
    from ..api import create_workbook

    name = f"國際事務_{choice.label.split('（')[0]}.xlsx"
    with tempfile.TemporaryDirectory(prefix="reportgen-web-", dir=folder) as work:
        path = Path(work) / "blank.xlsx"
        create_workbook(path, period=choice.period, source=None)
        return Download(name, path.read_bytes(), XLSX)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
