"""One open input workbook: its bytes read once, shared by the safety check, calamine and the
scan for what calamine cannot see (unsaved formulas, error values, hidden rows)."""

from __future__ import annotations

import io
import re
import threading
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from queue import SimpleQueue
from typing import TYPE_CHECKING

from ..cells import cell_position
from ..errors import FatalError
from ..schema import UNSUPPORTED, WORKBOOK_SUFFIXES, sheet_named
from .formulas import Position, sheet_facts, sheet_parts
from .safety import MAX_CELLS, Inspection, check_workbook_bytes, read_file

if TYPE_CHECKING:  # ods_facts is imported when an .ods is read: an .xlsx build never needs it
    from .ods_facts import Range, TableFacts

_SHEET_XML = ("xl/sharedStrings.xml", "content.xml")
# A cell saving a negative number, its reference first as every writer puts it.
_NEGATIVE_CELL = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3}[0-9]{1,7})"[^>]*>\s*'
                            rb"<(?:\w+:)?v>(-[0-9]+(?:\.[0-9]+)?)</")


@dataclass(frozen=True)
class SheetFacts:
    """What one tab's XML says beyond its values."""

    unsaved: AbstractSet[Position] = frozenset()  # formulas saved without a result
    errors: Mapping[Position, str] = field(default_factory=dict)  # saved error values: #DIV/0!
    hidden: Sequence[int] = ()  # 1-based rows hidden or filtered out
    # Merged ranges ((top, left), (bottom, right)), 0-based, when calamine gives none (.ods);
    # None: ask calamine's sheet.merged_cell_ranges.
    merged: Sequence[Range] | None = None


NO_FACTS = SheetFacts()


# Sheet XML (inflated) of the inputs whose tabs are parsed ahead, the first input's always: a tab
# parsed ahead waits, in calamine's memory, until the checks take it, so with many large inputs
# the rest are parsed when asked for (api.load). 64 MB is some 75,000 rows.
PARSE_AHEAD_BYTES = 64 * 2**20


class OpenWorkbook:
    """An input opened once; close it (or use `with`) when its sheets are read."""

    def __init__(self, path: Path, data: bytes, book, inspection: Inspection) -> None:
        self.path = path
        self.name = path.name
        self.book = book  # python_calamine.CalamineWorkbook
        self.inspection = inspection
        self._archive = zipfile.ZipFile(io.BytesIO(data))
        self._parts: dict[str, str] | None = inspection.parts or None  # found by the safety check
        self._facts: dict[str, SheetFacts] = {}
        self._ods: dict[str, TableFacts] | None = None  # every tab's, from content.xml read once
        # The tabs as calamine lists them, asked once: while a tab is parsed (parse_ahead) the
        # book is busy, and calamine refuses a second call into it.
        self.metas = tuple(book.sheets_metadata)
        self._worker: _Parser | None = None
        self._parsed: dict[str, _Parse] = {}  # tab → its parse, started and not yet taken

    def __enter__(self) -> OpenWorkbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._worker is not None:  # a parse under way ends first: the book is still in use
            self._worker.stop()
            self._worker = None
        self._parsed.clear()
        self.book.close()
        self._archive.close()

    def parse_ahead(self, tabs: Iterable[str]) -> None:
        """Start parsing these tabs, one after another, on a worker thread.

        calamine parses without holding Python's lock, so on a second core the next tab is parsed
        while Python checks this one (and, at the start, while the checks' modules are imported):
        at 100,000 rows 活動 takes 0.6 s to parse, which the check of 訪賓 hides. Every call into
        the book goes through that one worker (`sheet`), never two at once.
        """
        for tab in tabs:
            if tab not in self._parsed:
                if self._worker is None:
                    self._worker = _Parser(self.book)
                self._parsed[tab] = self._worker.submit(tab)

    def sheet(self, tab: str):  # -> python_calamine.CalamineSheet
        """One tab parsed, waiting for the worker if it is parsing it; calamine's own error if it
        cannot be read. The parse is handed over, not kept: a second call parses again.

        A workbook whose tabs are not parsed ahead is parsed here, on the caller's thread: memory
        a worker thread allocates is held apart from the main thread's (a 25,000-row workbook read
        through a worker peaked some 10 MB higher), so no thread is started for nothing."""
        if self._worker is None:
            return self.book.get_sheet_by_name(tab)
        self.parse_ahead((tab,))
        return self._parsed.pop(tab).result()

    def xml_bytes(self) -> int:
        """Uncompressed sheet XML: what a progress estimate is made from, before any parsing."""
        return sum(info.file_size for info in self._archive.infolist()
                   if info.filename.startswith("xl/worksheets/") or info.filename in _SHEET_XML)

    def may_hold_escapes(self, tab: str) -> bool:
        """Whether the tab's cells may hold Excel's `_xHHHH_` escapes: only an .xlsx/.xlsm tab
        whose sheet part or shared strings hold `_x` (the safety check noted which)."""
        if self.path.suffix.lower() not in (".xlsx", ".xlsm"):
            return False
        escaped = self.inspection.escaped
        if not escaped:
            return False
        if self._parts is None:
            self._parts = sheet_parts(self._archive)
        part = self._parts.get(tab)
        return part is None or part in escaped or any(name.lower().endswith("sharedstrings.xml")
                                                      for name in escaped)

    def typed_escapes(self, tab: str) -> dict[Position, str]:
        """For a tab that may hold escapes, the cells in which staff typed something that looks like
        an escape (saved with an escaped underscore), as Excel shows them: {} almost always."""
        from . import escapes  # only a workbook holding `_x` gets here

        if self._parts is None:
            self._parts = sheet_parts(self._archive)
        part = self._parts.get(tab)
        shared_name = next((name for name in self.inspection.escaped
                            if name.lower().endswith("sharedstrings.xml")), None)
        try:  # parts the safety check saw holding `_x` are the only ones worth inflating again
            shared = self._archive.read(shared_name) if shared_name else b""
            marked_shared = any(marker in shared for marker in escapes.MARKERS)
            sheet = (self._archive.read(part) if part and (marked_shared or part in self.inspection.escaped)
                     else b"")
        except (KeyError, zipfile.BadZipFile, OSError):
            return {}
        if not marked_shared and not any(marker in sheet for marker in escapes.MARKERS):
            return {}
        return escapes.typed_cells(sheet, escapes.shared_strings(shared) if marked_shared else [])

    def negative_numbers(self, tab: str) -> dict[Position, float]:
        """The negative numbers an .xlsx tab saves, by 0-based cell: calamine reads one in a date
        cell (a date before 1900, such as Calc's 110 AD for a typed 110/9/8) as a bare time of day."""
        if self.path.suffix.lower() not in (".xlsx", ".xlsm") or not self.inspection.negative:
            return {}
        if self._parts is None:
            self._parts = sheet_parts(self._archive)
        part = self._parts.get(tab)
        if part is None or part not in self.inspection.negative:
            return {}
        try:
            data = self._archive.read(part)
        except (KeyError, zipfile.BadZipFile, OSError):
            return {}
        found: dict[Position, float] = {}
        for match in _NEGATIVE_CELL.finditer(data):
            position = cell_position(match.group(1).decode())
            if position is not None:
                found[position] = float(match.group(2))
        return found

    def facts(self, tab: str) -> SheetFacts:
        """Unsaved formulas, error values and hidden rows of one tab; for .ods its merges too."""
        if tab in self._facts:
            return self._facts[tab]
        facts = NO_FACTS
        suffix = self.path.suffix.lower()
        if suffix == ".ods":
            facts = self._ods_tab(tab)
        elif suffix in (".xlsx", ".xlsm"):
            if self._parts is None:
                self._parts = sheet_parts(self._archive)
            part = self._parts.get(tab)
            try:
                data = self._archive.read(part) if part and part not in self.inspection.plain else None
            except (KeyError, zipfile.BadZipFile, OSError):
                data = None
            if data is not None:
                try:
                    unsaved, errors, hidden = sheet_facts(data)
                    facts = SheetFacts(unsaved, errors, hidden)
                except (ValueError, SyntaxError):
                    facts = NO_FACTS  # calamine has read the sheet; anything odder is not ours
                except Exception:  # lxml's parse errors
                    facts = NO_FACTS
        self._facts[tab] = facts
        return facts

    def _ods_tables(self) -> dict[str, TableFacts]:
        """Every tab's facts from content.xml, which is parsed only when it holds a marker.

        calamine has read the sheets, so a content.xml the scan cannot read is malformed in a
        way calamine tolerates: the checks of formulas, hidden rows and merges cannot be made,
        and the file is refused (as calamine refuses other broken XML) rather than passed
        unchecked. Only parse errors are caught: a MemoryError is not a verdict on the file.
        """
        from .ods_facts import may_hold_facts, table_facts

        if self._ods is None:
            try:
                self._ods = table_facts(self._archive) if may_hold_facts(self._archive) else {}
            except (ValueError, SyntaxError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
                # lxml's XMLSyntaxError is a SyntaxError; a bad repeat count a ValueError
                raise FatalError(
                    f"{self.name}：內容的格式有誤，無法檢查公式、隱藏列與合併儲存格。"
                    "請在 Calc 開啟後另存新檔再試。") from exc
        return self._ods

    def _ods_tab(self, tab: str) -> SheetFacts:
        """One tab's facts, its repeated rows and cells expanded within calamine's extent."""
        from .ods_facts import MAX_FORMULA_COPIES, TooLarge

        found = self._ods_tables().get(tab)
        if found is None:
            return NO_FACTS
        height = width = None
        if found.repeated:  # a row or cell saved once for many: bounded by the sheet's values
            height, width = self._extent(tab)
        try:
            unsaved, errors, hidden = found.cells(height, width, MAX_CELLS, MAX_FORMULA_COPIES)
        except TooLarge as exc:
            raise FatalError(
                f"{self.name}：工作表「{tab}」中重複存放的公式、隱藏列或合併儲存格涵蓋 {exc.cells:,} 格，"
                "無法逐格檢查。請在 Calc 開啟，刪除資料以外多餘的列與欄、取消過大的合併儲存格，"
                "另存新檔後再試。") from exc
        return SheetFacts(unsaved, errors, hidden, found.merged)

    def _extent(self, tab: str) -> tuple[int, int]:
        """Rows and columns of the tab's grid as calamine reads it from A1 (0, 0 when empty)."""
        import python_calamine

        try:
            end = self.sheet(tab).end
        except python_calamine.CalamineError:  # the reader has already read the tab
            end = None
        return (end[0] + 1, end[1] + 1) if end else (0, 0)


class _Parse:
    """One tab's parse: calamine's sheet, or the exception it raised, once the worker is done."""

    __slots__ = ("done", "error", "sheet", "tab")

    def __init__(self, tab: str) -> None:
        self.tab = tab
        self.done = threading.Event()
        self.sheet: object = None
        self.error: BaseException | None = None

    def result(self):  # -> python_calamine.CalamineSheet
        self.done.wait()  # Ctrl+C and SIGTERM still interrupt the wait
        if self.error is not None:
            raise self.error
        return self.sheet


class _Parser:
    """The one thread that calls into a workbook: it parses tabs in the order they are submitted.

    A thread and a queue rather than concurrent.futures, whose import (logging with it) costs
    more than a small workbook takes to read. It is a daemon: a caller that never closes the
    workbook does not keep the process alive.
    """

    def __init__(self, book) -> None:
        self._book = book
        self._queue: SimpleQueue[_Parse | None] = SimpleQueue()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="reportgen-parse", daemon=True)
        self._thread.start()

    def submit(self, tab: str) -> _Parse:
        parse = _Parse(tab)
        self._queue.put(parse)
        return parse

    def stop(self) -> None:
        """Parses not yet started are dropped; the one under way ends before this returns."""
        self._stopping = True
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while (parse := self._queue.get()) is not None:
            if not self._stopping:
                try:
                    parse.sheet = self._book.get_sheet_by_name(parse.tab)
                except BaseException as exc:  # handed to the caller of result(), as if raised there
                    parse.error = exc
            parse.done.set()


def _reads(tab: str) -> bool:
    return sheet_named(tab) is not None


def open_workbook(path: Path) -> OpenWorkbook:
    """Check and open one input; FatalError (exit 2) names the file and what to do."""
    suffix = path.suffix.lower()
    if suffix in UNSUPPORTED:
        raise FatalError(
            f"{path.name}：不支援{UNSUPPORTED[suffix]}。請在 Excel 或 Calc 開啟後「另存為」.xlsx 活頁簿。")
    if suffix not in WORKBOOK_SUFFIXES:
        raise FatalError(f"{path.name}：不是活頁簿（.xlsx、.xlsm 或 .ods）。")
    data = read_file(path)
    inspection = check_workbook_bytes(data, path, _reads)  # before any parser sees the bytes
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError as exc:
        raise FatalError(f"{path.name}：檔案已加密（設有密碼），無法讀取。請取消密碼後另存新檔。") from exc
    except Exception as exc:  # calamine raises several unrelated types for broken files
        kind = _other_kind(data)
        if kind:
            raise FatalError(f"{path.name}：這是{kind}，不是活頁簿（副檔名被改成了 {path.suffix}）。"
                             "請指定 Excel 活頁簿（.xlsx）或 Calc 試算表（.ods）。") from exc
        raise FatalError(
            f"{path.name}：無法讀取，檔案可能已損壞或不是 Excel 活頁簿。"
            "請在 Excel 或 Calc 開啟確認，另存為 .xlsx 後再試。") from exc
    return OpenWorkbook(path, data, book, inspection)


# Office documents of another kind, by a part only they hold (a file renamed .xlsx says so, SPEC §6).
_OTHER_PARTS = (("word/document.xml", " Word 文件"), ("ppt/presentation.xml", " PowerPoint 簡報"))


def _other_kind(data: bytes) -> str:
    """What a file calamine could not open is instead, when it says so plainly; "" when unknown."""
    if data.startswith(b"%PDF"):
        return " PDF 檔"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return ""
    if "xl/workbook.xml" in names:
        return ""
    return next((kind for part, kind in _OTHER_PARTS if part in names), "")
