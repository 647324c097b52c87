"""The progress bar: shown only for long runs at a terminal, never in a pipe, file or CI log."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from helpers import HEADERS, write_workbook
from reportgen import load, progress
from reportgen.read.workbook import open_workbook

TERMINAL: dict[str, str] = {"TERM": "xterm-256color"}


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class ClosedTerminal(io.StringIO):
    def isatty(self) -> bool:
        raise ValueError("I/O operation on closed file")


@pytest.mark.parametrize(("seconds", "stream", "environ", "shown"), [
    (30.0, FakeTerminal(), TERMINAL, True),
    (2.5, FakeTerminal(), {}, True),
    (1.0, FakeTerminal(), TERMINAL, False),  # short: over before a bar helps
    (30.0, io.StringIO(), TERMINAL, False),  # a pipe or a file
    (30.0, FakeTerminal(), {"CI": "true", **TERMINAL}, False),  # a CI log, even with a pseudo-terminal
    (30.0, FakeTerminal(), {"TERM": "dumb"}, False),
    (30.0, ClosedTerminal(), TERMINAL, False),
    (30.0, object(), TERMINAL, False),  # not a stream at all
])
def test_when_a_bar_is_shown(seconds, stream, environ, shown):
    assert progress.should_show(seconds, stream, environ) is shown


def test_the_threshold_is_about_two_seconds():
    rows_in_two_seconds = progress.THRESHOLD_SECONDS / progress.SECONDS_PER_ROW
    assert progress.expected_seconds(int(rows_in_two_seconds * 0.9)) < 2.0
    assert progress.expected_seconds(int(rows_in_two_seconds * 1.1)) > 2.0


def _visits_workbook(path: Path, rows: int) -> Path:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("訪賓")
    sheet.append(HEADERS["訪賓"])
    for i in range(rows):
        sheet.append(["110/9/10", "日本", f"日本京都市第{i}團", "門川大作市長", 3, "實體", "否", None])
    book.save(path)
    return path


def test_rows_are_estimated_from_the_declared_sheet_sizes(tmp_path):
    with open_workbook(_visits_workbook(tmp_path / "big.xlsx", 3000)) as opened:
        estimate = progress.rows_in(opened.xml_bytes())
    assert 1000 <= estimate <= 9000


def _run(stream, environ, monkeypatch, tmp_path) -> str:
    """Validate a small workbook as if it would take long, with the bar writing to `stream`."""
    monkeypatch.setattr(progress, "THRESHOLD_SECONDS", 0.0)
    monkeypatch.setattr(progress, "REDRAW_SECONDS", 0.0)
    book = write_workbook(tmp_path / "book.xlsx")
    with progress.tracking(stream=stream, environ=environ) as bar:
        outcome = load([book], progress=bar)
    assert outcome.report is not None
    return stream.getvalue()


def test_nothing_is_written_to_a_stream_that_is_not_a_terminal(monkeypatch, tmp_path):
    assert _run(io.StringIO(), TERMINAL, monkeypatch, tmp_path) == ""


def test_nothing_is_written_in_ci(monkeypatch, tmp_path):
    assert _run(FakeTerminal(), {"CI": "1", **TERMINAL}, monkeypatch, tmp_path) == ""


def test_a_terminal_sees_the_bar_and_then_a_clean_line(monkeypatch, tmp_path):
    written = _run(FakeTerminal(), TERMINAL, monkeypatch, tmp_path)
    assert "\r[" in written
    assert "檢核 2/2 列" in written  # one activity and one visit row
    assert written.endswith("\r")
    last = written.rstrip("\r").rsplit("\r", 1)[-1]
    assert last.strip() == ""  # the bar is erased before anything else is printed


def test_the_cli_prints_no_bar_when_stderr_is_not_a_terminal(monkeypatch, project, cli):
    monkeypatch.setattr(progress, "THRESHOLD_SECONDS", 0.0)
    result = cli("build")
    assert result.code == 0
    assert "\r" not in result.err and "#" not in result.err


def test_rows_pass_through_untouched_when_the_bar_is_not_shown():
    rows = [1, 2, 3]
    assert progress.Bar(io.StringIO()).each(rows) is rows


def test_the_bar_is_passed_in_never_global():
    assert not hasattr(progress, "_active") and not hasattr(progress, "each")


def test_rows_checked_before_every_sheet_is_read_move_the_bar(monkeypatch):
    """訪賓 is checked while 活動 is still being read: those rows count against the estimate made
    from the sheets' size, and the real count replaces it once the workbook is read."""
    monkeypatch.setattr(progress, "REDRAW_SECONDS", 0.0)
    stream = FakeTerminal()
    bar = progress.Bar(stream, environ=TERMINAL)
    bar.start(1, 1000 * progress.XML_BYTES_PER_ROW)  # about 1,000 rows, and shown: a long run
    bar.decide(progress.THRESHOLD_SECONDS + 1)
    assert bar.shown
    list(bar.each(range(500)))  # the visits, the workbook not yet read
    assert bar.fraction() == pytest.approx((1 - progress.READ_SHARE) * 500 / 1000)  # half the estimate
    assert "讀取並檢核 500 列" in stream.getvalue()
    before = bar.fraction()
    bar.workbook_read(1000)
    list(bar.each(range(500)))  # the activities
    assert bar.fraction() == pytest.approx(1.0) and bar.fraction() > before
    assert "檢核 1,000/1,000 列" in stream.getvalue()


def test_the_bar_never_moves_backwards_when_the_estimate_was_low(monkeypatch):
    monkeypatch.setattr(progress, "REDRAW_SECONDS", 0.0)
    stream = FakeTerminal()
    bar = progress.Bar(stream, environ=TERMINAL)
    bar.start(1, 300 * progress.XML_BYTES_PER_ROW)  # an estimate of 300 rows
    bar.decide(progress.THRESHOLD_SECONDS + 1)
    list(bar.each(range(500)))  # more rows checked than estimated, the workbook not yet read
    bar.workbook_read(1000)  # the real count is larger still: fraction() drops
    assert bar.fraction() == pytest.approx(progress.READ_SHARE + (1 - progress.READ_SHARE) * 0.5)  # 65%
    bar.draw(force=True)
    shown = [int(part.split("%")[0].split()[-1]) for part in stream.getvalue().split("\r") if "%" in part]
    assert shown == sorted(shown) and shown[-1] == 70  # held at what was drawn before
