"""A progress bar on stderr for long runs, shown only to a person watching a terminal."""

from __future__ import annotations

import math
import os
import sys
import time
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

from .problems import display_width
from .schema import ACTIVITIES, VISITS

if TYPE_CHECKING:
    from .reader import WorkbookData

T = TypeVar("T")
CHECKED_SHEETS = (ACTIVITIES.name, VISITS.name)  # the sheets whose rows `each` counts

THRESHOLD_SECONDS = 2.0  # a shorter run is over before a bar would help
# Reading and checking one data row on the machine of docs/performance.md (10,000 rows: about
# 1.2 s after start-up), so a bar appears from about 17,000 rows.
SECONDS_PER_ROW = 1.2e-4
# Uncompressed sheet XML per data row (both inline and shared strings): an estimate made before
# anything is parsed, replaced by the real row count once the workbooks are read.
XML_BYTES_PER_ROW = 800
MAX_ESTIMATED_FILE = 100 * 1024 * 1024  # larger files are left to the reader's own checks
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


def estimate_rows(paths: Iterable[Path]) -> int:
    """Rows the workbooks probably hold, from their sheets' declared sizes (no XML is parsed)."""
    total = 0
    for path in paths:
        try:
            if path.stat().st_size > MAX_ESTIMATED_FILE:
                continue
            with zipfile.ZipFile(path) as archive:
                total += sum(info.file_size for info in archive.infolist()
                             if info.filename.startswith("xl/worksheets/")
                             or info.filename in ("xl/sharedStrings.xml", "content.xml"))
        except (OSError, ValueError, zipfile.BadZipFile):
            continue  # the reader reports unreadable files
    return total // XML_BYTES_PER_ROW


class Bar:
    """Reading, then checking rows; drawn on one line, at most ten times a second."""

    def __init__(self, stream: TextIO, files: int, environ: Mapping[str, str]) -> None:
        self.stream = stream
        self.environ = environ
        self.files = files
        self.files_read = 0
        self.rows = 0
        self.checked = 0
        self.shown = False
        self._drawn_at = 0.0
        self._width = 0  # display width of the line on screen

    def decide(self, seconds: float) -> None:
        """Show the bar if what is left will take long; once shown it stays until closed."""
        if not self.shown and should_show(seconds, self.stream, self.environ):
            self.shown = True
            self.draw(force=True)

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
        checked = min(self.checked / self.rows, 1.0) if self.rows else 0.0
        return READ_SHARE * read + (1 - READ_SHARE) * checked

    def draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self.shown or (not force and now - self._drawn_at < REDRAW_SECONDS):
            return
        self._drawn_at = now
        fraction = self.fraction()
        filled = round(WIDTH * fraction)
        if self.files_read < self.files:
            label = f"讀取活頁簿 {self.files_read}/{self.files}"
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


_active: Bar | None = None


@contextmanager
def tracking(inputs: Sequence[Path], stream: TextIO | None = None,
             environ: Mapping[str, str] | None = None) -> Iterator[Bar]:
    """Report the reading and checking of `inputs` while the block runs, if it will take long."""
    global _active
    from .problems import FatalError
    from .reader import expand_inputs

    stream = stream or sys.stderr
    environ = os.environ if environ is None else environ
    files: list[Path] = []
    if should_show(math.inf, stream, environ):  # only a terminal is worth opening the inputs for
        with suppress(FatalError):  # the pipeline reports it
            files = expand_inputs(inputs)
    bar = Bar(stream, len(files), environ)
    bar.decide(expected_seconds(estimate_rows(files)))
    previous, _active = _active, bar
    try:
        yield bar
    finally:
        _active = previous
        bar.close()


def workbook_read(book: WorkbookData) -> None:
    """The reader calls this once per workbook read."""
    if _active is not None:
        _active.workbook_read(sum(len(book.sheets[name].rows) for name in CHECKED_SHEETS
                                  if name in book.sheets))


def each(rows: Iterable[T]) -> Iterable[T]:
    """Rows being checked, counted by the active bar; the rows themselves when there is none."""
    return rows if _active is None else _active.each(rows)
