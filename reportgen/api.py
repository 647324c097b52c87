"""The library API: the one path every front end (CLI, web page, tests, benchmarks) takes.

`load` reads and checks workbooks; `render_docx` turns a checked outcome into the chapter's
bytes. Front ends only decide where bytes go and how problems are shown.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import FatalError
from .problems import Location, Problems

if TYPE_CHECKING:  # imported by `load` itself, while the first sheets are parsed
    from .check.validate import Outcome
    from .write.template_check import Finding


def load(paths: Iterable[Path | str], progress=None, *, keep_grids: bool = False) -> Outcome:
    """Read every workbook named (folders expanded, in the order given) and check them as one report.

    `progress` is an object like progress.Bar (`start`, `workbook_read`, `each`), or None.
    Each input is opened once: the safety check, the read and the formula scan share it.
    `keep_grids`: keep every tab's values in `Outcome.sources` for `report_xlsx.report_bytes`
    (`validate --report`), so the report does not read the inputs again.
    Raises FatalError for conditions that stop the run (unreadable file, no inputs).

    The workbooks stay open while they are checked: each sheet is read when the checks ask for
    it, and calamine parses the next on a worker thread meanwhile (reader.read_workbook's `lazy`);
    the checks' modules (pydantic's among them) are imported while the first sheets are parsed.
    """
    from .read.inputs import display_names, expand_inputs
    from .read.reader import read_workbook
    from .read.workbook import open_workbook

    problems = Problems()
    files = expand_inputs([Path(p) for p in paths], problems)
    opened = []
    with _no_cycle_collection():
        try:
            for path, name in zip(files, display_names(files), strict=True):  # all checked before any is parsed
                opened.append(open_workbook(path))
                opened[-1].name = name
            sizes = [book.xml_bytes() for book in opened]
            if progress is not None:
                progress.start(len(opened), sum(sizes))
            sources = [(book.path, []) for book in opened]
            books = [read_workbook(book, problems, progress, grids=grids if keep_grids else None, lazy=True,
                                   ahead=ahead)
                     for book, (_, grids), ahead in zip(opened, sources, _parse_ahead(sizes), strict=True)]
            from .check.validate import validate_books  # while the worker parses

            outcome = validate_books(books, problems, progress)
        finally:
            for book in opened:
                book.close()
    if keep_grids:
        outcome.sources = sources
    return outcome


def _parse_ahead(sizes: list[int]) -> list[bool]:
    """Which inputs, of these sheet XML sizes, have their tabs parsed ahead: the first, and the next
    while their sheet XML together stays within workbook.PARSE_AHEAD_BYTES (a tab parsed ahead
    waits in memory)."""
    from .read.workbook import PARSE_AHEAD_BYTES

    total, ahead = 0, []
    for size in sizes:
        total += size
        ahead.append(not ahead or total <= PARSE_AHEAD_BYTES)
    return ahead


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cyclic collector paused while rows are read and checked, or the chapter composed.

    Reading makes hundreds of thousands of small objects that all stay alive until the chapter is
    written; each full collection walks all of them, so with the collector on, 100,000 rows cost
    more than ten times 10,000 (1.2 s of 8.7 s went to collections that found nothing). None of
    them is in a reference cycle: reference counting frees them, the usual way, with the outcome.
    The collector is enabled again after, so a long-running caller (`reportgen serve`) collects
    its cycles as before; the `reportgen` command runs without it (cli.run).
    """
    if not gc.isenabled():  # a caller (or a test, or the command) already manages the collector
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


DEFAULT_TEMPLATE = Path("templates") / "report.docx"


def default_template() -> Path:
    """`templates/report.docx` in the current folder when present, else the bundled one.

    Present means any entry at that name: one that is no file (a folder, a FIFO, a link to
    nothing) is a FatalError in its own words, never silently passed over for the bundled one
    (staff would print with a template they did not mean)."""
    import os
    import stat

    from .errors import broken_link, describe, special_kind

    local = DEFAULT_TEMPLATE
    try:
        mode = os.stat(local).st_mode
    except FileNotFoundError:
        if (link := broken_link(local)) is None:
            from .templates import bundled

            return bundled()
        problem = link
    except NotADirectoryError:  # `templates` is a file: there is no templates/report.docx
        from .templates import bundled

        return bundled()
    except OSError as exc:
        problem = broken_link(local) or f"無法讀取範本 {local}：{describe(local, exc)}"
    else:
        if stat.S_ISREG(mode):
            return local
        problem = f"範本 {local} " + ("是資料夾，不是 Word 文件" if stat.S_ISDIR(mode)
                                     else f"是{special_kind(mode) or '特殊檔案'}，不是一般檔案")
    raise FatalError(f"{problem}。目前資料夾中有 {local} 時，reportgen 以它為預設範本；"
                     "請換成 Word 範本檔（.docx），或將它改名、移到別處以改用內建範本，或另外指定範本。")


def document(outcome: Outcome):  # -> compose.Document
    """The chapter as a tree of labelled blocks, composed once per outcome whoever asks for it
    (the .docx writer, the template check, the preview, the web page)."""
    from .write.compose import compose

    if outcome.report is None:
        raise FatalError("資料有錯誤，無法產生本章。")
    if outcome._document is None:
        with _no_cycle_collection():  # 125,000 new blocks at 100,000 rows, none in a cycle
            outcome._document = compose(outcome.report)
    return outcome._document


def render_docx(outcome: Outcome, template: Path | str | None = None) -> bytes:
    """The chapter as .docx bytes; identical inputs and template give identical bytes."""
    from .write.docx_writer import render_docx as write
    from .write.template_package import load_template

    chapter = document(outcome)
    loaded = load_template(Path(template) if template is not None else default_template())
    return write(loaded, chapter)


def preview_text(outcome: Outcome) -> str:
    """The chapter as plain text, one paragraph a line."""
    from .write.compose import plain_text

    return plain_text(document(outcome))


def summary(outcome: Outcome, template_warning_count: int = 0) -> str:
    """The line every front end prints after a clean check: 共 2 節、14 項活動、16 案訪賓（101 人）…

    `template_warning_count`: the template warnings the front end showed (`template_findings`),
    counted with the workbooks' warnings, so the summary's count is every warning printed."""
    report = outcome.report
    if report is None:
        return ""
    stats = report.stats
    text = (f"共 {len(report.sections)} 節、{len(report.activities)} 項活動、"
            f"{stats.cases} 案訪賓（{stats.people} 人）")
    if report.skipped:
        text += f"；{report.skipped} 項活動標為不列入報告"
    warnings = len(outcome.problems.warnings) + template_warning_count
    of_template = f"（其中範本 {template_warning_count} 項）" if template_warning_count else ""
    return text + f"；警告 {warnings} 項{of_template}。"


def template_findings(outcome: Outcome, template: Path | str | None = None) -> list[Finding]:
    """`reportgen template`'s check of the template: every missing style (blocking) first, then
    the warnings; `Finding.render` words each as `template` prints it. Empty when there is no chapter."""
    from .write.template_check import check_template

    if outcome.report is None:
        return []
    path = Path(template) if template is not None else default_template()
    findings = check_template(path)
    return sorted(findings, key=lambda finding: not finding.blocking)  # stable: each kind keeps its order


def template_warnings(outcome: Outcome, template: Path | str | None = None) -> list[str]:
    """What `reportgen build --template` prints about its template for this chapter (page size,
    language, fonts, indents …), one line each; empty when there is no chapter or nothing to say,
    or when a style is missing (`render_docx` then refuses the template)."""
    from .write.template_check import build_warnings

    if outcome.report is None:
        return []
    return build_warnings(Path(template) if template is not None else default_template())


def create_workbook(path: Path, period: str | None = None, source: Path | None = None,
                    today=None):  # -> init_workbook.InitOutcome
    """`reportgen init`: a blank workbook at `path` for `period`, or carrying over 報告設定 and 章節
    from an earlier workbook `source` (period moved on half a year). A `source` with errors
    writes nothing; an existing `path` is never replaced."""
    import datetime as dt

    from .write.init_workbook import (
        InitOutcome,
        check_target,
        half_year_of,
        parse_period,
        starter_setup,
        write_workbook,
    )

    check_target(path)
    outcome = InitOutcome()
    chosen = parse_period(period) if period is not None else None
    if source is not None:
        setup = _carried_setup(source, outcome.problems, chosen)
        if setup is None:
            return outcome
        if chosen is None:
            outcome.period_note = f"（由 {source.name} 的期間順延半年）"
        else:
            setup.period = chosen
    else:
        if chosen is None:
            chosen = half_year_of(today or dt.date.today())
            outcome.period_note = "（未指定 --period，採今天所在的半年；可在「報告設定」修改）"
        setup = starter_setup(chosen)
    write_workbook(path, setup)
    outcome.path, outcome.setup = path, setup
    return outcome


def _carried_setup(source: Path, problems: Problems, chosen=None):  # -> init_workbook.Setup | None
    """報告設定 and 章節 of an old workbook, checked as a build checks them, period moved on;
    None when they have errors. Only those two sheets are read: an old year's rows never are.
    `chosen` (--period): the new period, which stands in for the old one while it is checked, so
    an old period that is missing or wrong does not block a workbook that will not use it."""
    from .check.validate import setup_of
    from .read.reader import read_workbook
    from .read.table import Cell
    from .schema import SECTIONS, SEPARATE, SETTINGS
    from .write.init_workbook import Period, Setup, next_half_year, period_cell

    _check_source(source, "--from 指定的活頁簿")
    if source.is_dir():
        raise FatalError(f"--from 指定的 {source} 是資料夾，不是活頁簿。"
                         "請指定上一期的活頁簿檔案（.xlsx、.xlsm 或 .ods）。")
    book = read_workbook(source, problems, only={SETTINGS.name, SECTIONS.name})
    if any(p.code == "report-workbook" for p in problems):
        raise FatalError(f"--from 指定的 {source} 是 reportgen 的檢核報告（活頁簿的複本加上問題清單），"
                         "不是上一期的活頁簿。請改為指定檢核的那一本活頁簿。")
    if chosen is not None and SETTINGS.name in book.sheets and book.sheets[SETTINGS.name].rows:
        cells = book.sheets[SETTINGS.name].rows[0].cells
        for key, day in (("start", chosen.start), ("end", chosen.end)):
            header = SETTINGS.by_key(key).header
            old = cells.get(header)
            where = old.location if old is not None else Location(book.name, SETTINGS.name, header=header)
            cells[header] = Cell(period_cell(day), where)
    settings, sections = setup_of(book, problems)
    if problems.errors or settings is None:
        return None
    rows: list[dict[str, object]] = [
        {"節次": s.number, "節名": s.title, "類型": s.kind, "前言": "\n\n".join(s.preface) or None,
         **({"項目格式": s.format} if s.format != SEPARATE else {})}
        for s in sections]
    preface = book.sheets[SETTINGS.name].rows[0][SETTINGS.by_key("preface").header].value
    return Setup(chapter=settings.chapter, title=settings.title,
                 period=next_half_year(Period(settings.start, settings.end)),
                 parens=settings.parens, sections=rows, preface=preface if isinstance(preface, str) else None,
                 order=settings.order, digits=settings.digits)


def import_chapter(source: Path | str, target: Path | str, period: str | None = None, *,
                   period_field: str = "--period"):
    """`reportgen import`: a published chapter (.docx, or a .txt with one paragraph a line) back
    into a workbook at `target` that `build` turns into the same paragraphs (SPEC §6).

    `period` as `init --period` takes it (`101/7/1-101/12/31`); without it, the half-year holding
    most full dates of the text. `period_field`: where the person gives the period, as messages
    name it (the web page's is 報告期間). Returns init's outcome (problems: what could not be recovered).
    An existing `target` is never replaced; a file with no chapter heading is a FatalError.
    """
    from .read.chapter import PERIOD_HOW, read_chapter
    from .write.init_workbook import InitOutcome, Period, Setup, check_target, parse_period, write_workbook

    source, target = Path(source), Path(target)
    _check_source(source, "要匯入的章")
    check_target(target, "import")
    if target.resolve() == source.resolve():
        raise FatalError(f"{target} 是要匯入的檔案本身；請另取一個 .xlsx 檔名。")
    chosen = parse_period(period, period_field) if period is not None else None
    outcome = InitOutcome()
    how = (PERIOD_HOW if period_field == "--period"
           else f"在「{period_field}」填入期間（例如 101/7/1-101/12/31）後再轉換一次")
    found = read_chapter(source, outcome.problems, (chosen.start, chosen.end) if chosen else None, how)
    setup = Setup(chapter=found.chapter, title=found.title,
                  period=Period(*found.period) if found.period else None, parens=found.parens,
                  sections=found.sections, preface=found.preface, order=found.order, digits=found.digits,
                  activities=found.activities)
    if chosen is None and found.period is not None:
        outcome.period_note = "（由內文的日期判斷；可在「報告設定」修改）"
    write_workbook(target, setup, "import")
    outcome.path, outcome.setup = target, setup
    return outcome


def _check_source(source: Path, what: str) -> None:
    """A file to read (`init --from`, `import`) that cannot be reached, a FIFO or device, or an
    Office lock file: a FatalError stating the true reason, in the words every command uses
    (errors.unreachable, errors.lock_file). A folder is left to the caller's own words."""
    import stat

    from .errors import lock_file, special_kind, unreachable

    try:
        mode = source.stat().st_mode
    except OSError as exc:
        raise FatalError(unreachable(source, exc, what)) from None
    if kind := special_kind(mode):
        raise FatalError(f"{what} {source} 是{kind}，不是一般檔案，不會開啟。請指定檔案。")
    if stat.S_ISREG(mode) and (lock := lock_file(source)) is not None:
        raise FatalError(lock)


__all__ = [
    "FatalError",
    "Outcome",
    "create_workbook",
    "default_template",
    "document",
    "import_chapter",
    "load",
    "preview_text",
    "render_docx",
    "summary",
    "template_findings",
    "template_warnings",
]
