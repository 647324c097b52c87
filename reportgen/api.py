"""The library API: the one path every front end (CLI, web page, tests, benchmarks) takes.

`load` reads and checks workbooks; `render_docx` turns a checked outcome into the chapter's
bytes. Front ends only decide where bytes go and how problems are shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .problems import FatalError, Problems
from .validate import Outcome


def load(paths: Iterable[Path | str], progress=None) -> Outcome:
    """Read every workbook named (folders expanded, in the order given) and check them as one report.

    `progress` is an object like progress.Bar (`start`, `workbook_read`, `each`), or None.
    Each input is opened once: the safety check, the read and the formula scan share it.
    Raises FatalError for conditions that stop the run (unreadable file, no inputs).
    """
    from .reader import expand_inputs, read_workbook
    from .validate import validate_books
    from .workbook import open_workbook

    problems = Problems()
    files = expand_inputs([Path(p) for p in paths], problems)
    opened = []
    try:
        for path in files:  # every file is checked before any is parsed
            opened.append(open_workbook(path))
        if progress is not None:
            progress.start(len(opened), sum(book.xml_bytes() for book in opened))
        books = [read_workbook(book, problems, progress) for book in opened]
    finally:
        for book in opened:
            book.close()
    return validate_books(books, problems, progress)


def default_template() -> Path:
    """`templates/report.docx` in the current folder when present, else the bundled one."""
    local = Path("templates") / "report.docx"
    if local.is_file():
        return local
    from .templates import bundled

    return bundled()


def render_docx(outcome: Outcome, template: Path | str | None = None) -> bytes:
    """The chapter as .docx bytes; identical inputs and template give identical bytes."""
    from .compose import compose
    from .docx_writer import load_template
    from .docx_writer import render_docx as write

    if outcome.report is None:
        raise FatalError("資料有錯誤，無法產生本章。")
    loaded = load_template(Path(template) if template is not None else default_template())
    return write(loaded, compose(outcome.report))


def preview_text(outcome: Outcome) -> str:
    """The chapter as plain text, one paragraph a line."""
    from .compose import compose, plain_text

    if outcome.report is None:
        raise FatalError("資料有錯誤，無法產生本章。")
    return plain_text(compose(outcome.report))


def summary(outcome: Outcome) -> str:
    """The line every front end prints after a clean check: 共 2 節、14 項活動、16 案訪賓（101 人）…"""
    report = outcome.report
    if report is None:
        return ""
    stats = report.stats
    text = (f"共 {len(report.sections)} 節、{len(report.activities)} 項活動、"
            f"{stats.cases} 案訪賓（{stats.people} 人）")
    if report.skipped:
        text += f"；{report.skipped} 項活動標為不列入報告"
    return text + f"；警告 {len(outcome.problems.warnings)} 項。"


__all__ = ["FatalError", "Outcome", "default_template", "load", "preview_text", "render_docx", "summary"]


def template_warnings(outcome: Outcome, template: Path) -> list[str]:
    """What `build` prints about its template: the same check as `reportgen template`, warnings only."""
    from .compose import compose
    from .template_check import build_warnings

    return build_warnings(Path(template), compose(outcome.report))
