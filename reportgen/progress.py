"""A progress bar on stderr for long runs, shown only to a person watching a terminal."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO, TypeVar

from .cells import display_width

T = TypeVar("T")

THRESHOLD_SECONDS = 2.0  # a shorter run is over before a bar would help
# Reading and checking one data row on the machine of docs/performance.md (10,000 rows: about
# 0.37 s after start-up, 100,000 rows about 3.7 s), so a bar appears from about 50,000 rows.
SECONDS_PER_ROW = 4e-5
# Uncompressed sheet XML per data row (both inline and shared strings): an estimate made before
# anything is parsed, replaced by the real row count once the workbooks are read.
XML_BYTES_PER_ROW = 800
READ_SHARE = 0.3  # of the bar: reading the workbooks; the rest is checking their rows
REDRAW_SECONDS = 0.1
WIDTH = 30


def should_show(seconds: float, stream: TextIO, environ: Mapping[str, str]) -> bool:
    """A bar only for a long run and a person at a terminal: never a pipe, a file or a CI log."""
    if seconds <= THRESHOLD_SECONDS or environ.get("CI") or environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def expected_seconds(rows: int) -> float:
    return rows * SECONDS_PER_ROW


def rows_in(xml_bytes: int) -> int:
    """Rows a workbook probably holds, from its uncompressed sheet XML (nothing parsed)."""
    return xml_bytes // XML_BYTES_PER_ROW


class Bar:
    """Reading, then checking rows; drawn on one line, at most ten times a second.

    The caller creates it and passes it to `api.load`, which calls `start` once the inputs are
    open, `workbook_read` once each is read, and `each` around the rows it checks. A workbook's
    sheets are read as they are checked (訪賓 checked while 活動 is still being read), so until
    every workbook is read the rows are counted against the estimate made at `start`.
    """

    def __init__(self, stream: TextIO, files: int = 0, environ: Mapping[str, str] | None = None) -> None:
        self.stream = stream
        self.environ = os.environ if environ is None else environ
        self.files = files
        self.files_read = 0
        self.rows = 0
        self.estimate = 0  # rows, from the sheets' size before any is read
        self.checked = 0
        self.shown = False
        self._drawn_at = 0.0
        self._drawn_fraction = 0.0  # never drawn backwards (the real row count may exceed the estimate)
        self._width = 0  # display width of the line on screen

    def decide(self, seconds: float) -> None:
        """Show the bar if what is left will take long; once shown it stays until closed."""
        if not self.shown and should_show(seconds, self.stream, self.environ):
            self.shown = True
            self.draw(force=True)

    def start(self, files: int, xml_bytes: int) -> None:
        """The inputs are open: show the bar now if reading and checking them will take long."""
        self.files = files
        self.estimate = rows_in(xml_bytes)
        self.decide(expected_seconds(self.estimate))

    def workbook_read(self, rows: int) -> None:
        self.files_read += 1
        self.rows += rows
        if self.files_read >= self.files:  # the real row count replaces the estimate
            self.decide(expected_seconds(self.rows) * (1 - READ_SHARE))
        self.draw()

    def each(self, rows: Iterable[T]) -> Iterable[T]:
        if not self.shown:
            return rows
        return self._counted(rows)

    def _counted(self, rows: Iterable[T]) -> Iterator[T]:
        for row in rows:
            yield row
            self.checked += 1
            if not self.checked % 64:
                self.draw()
        self.draw()

    def fraction(self) -> float:
        read = self.files_read / self.files if self.files else 1.0
        rows = self.rows if self.files_read >= self.files else max(self.estimate, self.checked)
        checked = min(self.checked / rows, 1.0) if rows else 0.0
        return READ_SHARE * read + (1 - READ_SHARE) * checked

    def draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self.shown or (not force and now - self._drawn_at < REDRAW_SECONDS):
            return
        self._drawn_at = now
        fraction = self._drawn_fraction = max(self.fraction(), self._drawn_fraction)
        filled = round(WIDTH * fraction)
        if self.files_read < self.files and not self.checked:
            label = f"讀取活頁簿 {self.files_read}/{self.files}"
        elif self.files_read < self.files:  # some sheets checked, others still being read
            label = f"讀取並檢核 {self.checked:,} 列"
        else:
            label = f"檢核 {min(self.checked, self.rows):,}/{self.rows:,} 列"
        line = f"[{'#' * filled}{'.' * (WIDTH - filled)}] {fraction:4.0%} {label}"
        width = display_width(line)
        self._write("\r" + line + " " * max(self._width - width, 0))
        self._width = width

    def close(self) -> None:
        """Erase the bar, so that what is printed next starts on a clean line."""
        if self.shown and self._width:
            self._write("\r" + " " * self._width + "\r")
            self._width = 0

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed terminal must not stop the build
            self.shown = False


@contextmanager
def tracking(stream: TextIO | None = None, environ: Mapping[str, str] | None = None) -> Iterator[Bar]:
    """A bar for the block (pass it to `api.load`); erased when the block ends."""
    bar = Bar(stream or sys.stderr, 0, environ)
    try:
        yield bar
    finally:
        bar.close()
