"""No quadratic step: building 4n rows (or checking them with `validate --report`) must take about
four times as long as n, never six."""

from __future__ import annotations

import datetime as dt
import gc
import time
from pathlib import Path

import pytest
from openpyxl import Workbook

from helpers import HEADERS, REPO
from reportgen import load
from reportgen.write.compose import compose
from reportgen.write.docx_writer import render_docx
from reportgen.write.report_xlsx import report_bytes
from reportgen.write.template_package import load_template

N = 800  # rows; with 4N the test runs in a few seconds
SECTIONS = 5  # activity sections: none may hold more than 999 items
MAX_RATIO = 6.0  # linear is 4 (less, with fixed costs); a quadratic step would show 16
START = dt.date(2021, 7, 1)


def _workbook(path: Path, rows: int) -> Path:
    """Half activities, half visits, all valid and distinct: every check and rule runs on each."""
    book = Workbook(write_only=True)
    settings = book.create_sheet("報告設定")
    for row in (["項目", "內容"], ["章次", 26], ["章名", "國際事務"], ["期間起", "110/7/1"],
                ["期間迄", "110/12/31"]):
        settings.append(row)
    sections = book.create_sheet("章節")
    sections.append(HEADERS["章節"])
    for number in range(1, SECTIONS + 1):
        sections.append([number, f"交流專案第{number}類", "活動", None])
    sections.append([SECTIONS + 1, "訪賓", "訪賓", "{{ 期間 }}計{{ 案數 }}案、{{ 人數 }}人。主要訪團為："])
    activities = book.create_sheet("活動")
    activities.append(HEADERS["活動"])
    for i in range(rows // 2):
        day = START + dt.timedelta(days=i * 37 % 180)
        typed = f"{day.year - 1911}/{day.month}/{day.day}" if i % 2 else day
        activities.append([i % SECTIONS + 1, f"與日本京都市交流會議(第{i}場)", typed, None,
                           f"{day.year - 1911}年{day.month}月{day.day}日舉行視訊會議，雙方交換意見。"
                           "\n\n會後同意持續推動合作。", "是", None])
    visits = book.create_sheet("訪賓")
    visits.append(HEADERS["訪賓"])
    for i in range(rows - rows // 2):
        visits.append([START + dt.timedelta(days=i * 53 % 180), "日本", f"日本京都市第{i}團",
                       "門川大作市長、松井孝治副市長", i % 5 + 1, "視訊" if i % 3 else "實體",
                       "是" if i % 10 == 0 else "否", None])
    book.save(path)
    return path


def _build_seconds(template, path: Path) -> float:
    gc.collect()
    start = time.perf_counter()
    outcome = load([path])
    assert outcome.report is not None, [p.code for p in outcome.problems]
    render_docx(template, compose(outcome.report))
    return time.perf_counter() - start


def _report_seconds(path: Path) -> float:
    """`validate --report`: the load keeping every tab's values, then the annotated copy."""
    gc.collect()
    start = time.perf_counter()
    outcome = load([path], keep_grids=True)
    assert outcome.report is not None, [p.code for p in outcome.problems]
    assert report_bytes([path], outcome.problems, outcome.sources)
    return time.perf_counter() - start


def _ratio(tmp_path: Path, seconds) -> float:
    small = _workbook(tmp_path / "small.xlsx", N)
    large = _workbook(tmp_path / "large.xlsx", 4 * N)
    seconds(small)  # warm up: first-use imports and caches are not per-row costs
    best = {small: float("inf"), large: float("inf")}
    for _ in range(3):  # interleaved, fastest of each: a busy machine slows both alike
        for path in (small, large):
            best[path] = min(best[path], seconds(path))
    return best[large] / best[small]


@pytest.mark.slow
def test_building_is_linear_in_the_number_of_rows(tmp_path):
    template = load_template(REPO / "templates" / "report.docx")
    ratio = _ratio(tmp_path, lambda path: _build_seconds(template, path))
    assert ratio <= MAX_RATIO, f"{4 * N} rows took {ratio:.1f}× the time of {N}"


@pytest.mark.slow
def test_validate_report_is_linear_in_the_number_of_rows(tmp_path):
    ratio = _ratio(tmp_path, _report_seconds)
    assert ratio <= MAX_RATIO, f"validate --report: {4 * N} rows took {ratio:.1f}× the time of {N}"


@pytest.mark.slow
def test_the_scaling_check_catches_a_quadratic_step(tmp_path, monkeypatch):
    """The check can fail: a rule made quadratic (each row compared with all before it) is caught."""
    from reportgen.check import rules

    plain = rules.duplicates

    def quadratic(rows, unique, problems):
        key = unique.keys[0]
        for index, row in enumerate(rows):
            for earlier in rows[:index]:
                if earlier.values.get(key) == row.values.get(key) and earlier is row:
                    break
        plain(rows, unique, problems)

    monkeypatch.setattr(rules, "duplicates", quadratic)
    template = load_template(REPO / "templates" / "report.docx")
    ratio = _ratio(tmp_path, lambda path: _build_seconds(template, path))
    assert ratio > MAX_RATIO, f"a quadratic rule went unnoticed: {ratio:.1f}×"
