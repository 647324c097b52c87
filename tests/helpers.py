"""Test helpers: build workbooks by header name and run the CLI in-process."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

from reportgen.cli import main

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = next((REPO / "inputs").glob("*.xlsx"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# SPEC §1: what `reportgen build` must produce from the example workbook. The project holds no copy
# of the shared texts: tests read it from ../shared when it is there, and where it is not (CI's clean
# clone) they still compare what the example gives with its SHA-256.
EXPECTED_CHAPTER = REPO.parent / "shared" / "seed" / "expected_chapter.txt"
EXPECTED_SHA256 = "565653e0b45ca5f3c190eabb25371948c56f56f4ea1e2cd3d90c46da887a9a78"


def expected_lines() -> list[str]:
    """seed/expected_chapter.txt's paragraphs; the test is skipped where ../shared is absent."""
    if not EXPECTED_CHAPTER.is_file():
        import pytest

        pytest.skip(f"{EXPECTED_CHAPTER} is absent (the expected chapter is read from ../shared only)")
    return EXPECTED_CHAPTER.read_text(encoding="utf-8").splitlines()


def is_expected_chapter(lines: list[str]) -> bool:
    """Whether these paragraphs are seed/expected_chapter.txt's, line for line: against the file when
    ../shared is there (a failing assert then shows the difference), else against its SHA-256."""
    if EXPECTED_CHAPTER.is_file():
        assert lines == EXPECTED_CHAPTER.read_text(encoding="utf-8").splitlines()
    return hashlib.sha256(("\n".join(lines) + "\n").encode("utf-8")).hexdigest() == EXPECTED_SHA256

SETTINGS = {"章次": 26, "章名": "國際事務", "期間起": "110/7/1", "期間迄": "110/12/31"}
SECTIONS = [
    {"節次": 1, "節名": "交流專案", "類型": "活動"},
    {"節次": 2, "節名": "訪賓", "類型": "訪賓", "前言": "{{ 期間 }}計{{ 案數 }}案、{{ 人數 }}人。主要訪團為："},
]
ACTIVITIES = [
    {"節次": 1, "標題": "視訊會議", "開始日期": "110/9/8", "內容": "110年9月8日舉行視訊會議。"},
]
VISITS = [
    {"日期": "110/9/10", "單位": "日本京都市", "代表": "門川大作市長", "人數": 5, "形式": "視訊",
     "主要訪團": "是"},
]
HEADERS = {
    "章節": ["節次", "節名", "類型", "前言"],
    "活動": ["節次", "標題", "開始日期", "結束日期", "內容", "列入報告", "備註"],
    "訪賓": ["日期", "國家或地區", "單位", "代表", "人數", "形式", "主要訪團", "備註"],
}
_DEFAULT = object()


_MADE: dict[str, bytes] = {}  # workbooks already made in this process, by what they hold


def write_workbook(path: Path, settings=_DEFAULT, sections=_DEFAULT, activities=_DEFAULT,
                   visits=_DEFAULT, headers: dict[str, list[str]] | None = None) -> Path:
    """A workbook with the four sheets; pass None to leave a sheet out, a list to replace rows.

    Rows are dicts by header, so a test names the cell it breaks: {"人數": "abc"}. The same
    contents asked for again are written from the bytes made the first time (openpyxl takes
    tens of milliseconds a workbook, and hundreds of tests ask for the standard one).
    """
    key = repr((settings, sections, activities, visits, headers))
    made = _MADE.get(key)
    if made is None:
        made = _MADE[key] = _workbook_bytes(settings, sections, activities, visits, headers)
    path.write_bytes(made)
    return path


def _workbook_bytes(settings, sections, activities, visits, headers) -> bytes:
    book = Workbook()
    book.remove(book.active)
    settings = SETTINGS if settings is _DEFAULT else settings
    if settings is not None:
        sheet = book.create_sheet("報告設定")
        sheet.append(["項目", "內容"])
        for key, value in settings.items():
            sheet.append([key, value])
    tables = {"章節": SECTIONS if sections is _DEFAULT else sections,
              "活動": ACTIVITIES if activities is _DEFAULT else activities,
              "訪賓": VISITS if visits is _DEFAULT else visits}
    for name, rows in tables.items():
        if rows is None:
            continue
        head = (headers or {}).get(name, HEADERS[name])
        sheet = book.create_sheet(name)
        sheet.append(head)
        for row in rows:
            sheet.append([row.get(h) for h in head])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(*args: str | Path) -> CliResult:
    """Run `reportgen ARGS` in-process; exit code, stdout and stderr as text."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse usage errors and --help
            code = exc.code if isinstance(exc.code, int) else 0
    return CliResult(code, out.getvalue(), err.getvalue())


# --- how thorough a run is ------------------------------------------------------------------------
# The default run is quick and deterministic; `.ci/run` sets HYPOTHESIS_PROFILE=ci, which runs
# every property and random loop at full size (still deterministic); `explore` is for a developer
# hunting new cases (random, remembered in Hypothesis' database). conftest.py registers the profiles.
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
THOROUGH = PROFILE in ("ci", "explore")


def examples(full: int, quick: int | None = None) -> int:
    """How many examples (or random rounds) a test tries: `full` in CI; by default a sixteenth, or
    `quick` for a test whose every example is costly."""
    if THOROUGH:
        return full
    return quick if quick is not None else max(4, full // 16)
