"""One open input workbook: its bytes read once, shared by the safety check, calamine and the
scan for what calamine cannot see (unsaved formulas, error values, hidden rows)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path

from .formulas import Position, sheet_facts, sheet_parts
from .ods_facts import Range, table_facts
from .ods_facts import may_hold_facts as may_hold_ods_facts
from .problems import FatalError
from .safety import Inspection, check_workbook_bytes, read_file
from .schema import WORKBOOK_SUFFIXES, sheet_named

UNSUPPORTED = {
    ".xls": "舊版 Excel 97-2003 格式",
    ".xlsb": "Excel 二進位活頁簿",
    ".csv": "CSV 純文字檔",
    ".numbers": "Numbers 試算表",
}
_SHEET_XML = ("xl/sharedStrings.xml", "content.xml")


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
        self._ods: dict[str, SheetFacts] | None = None  # every tab's, from content.xml read once

    def __enter__(self) -> OpenWorkbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.book.close()
        self._archive.close()

    def xml_bytes(self) -> int:
        """Uncompressed sheet XML: what a progress estimate is made from, before any parsing."""
        return sum(info.file_size for info in self._archive.infolist()
                   if info.filename.startswith("xl/worksheets/") or info.filename in _SHEET_XML)

    def facts(self, tab: str) -> SheetFacts:
        """Unsaved formulas, error values and hidden rows of one tab; for .ods its merges too."""
        if tab in self._facts:
            return self._facts[tab]
        facts = NO_FACTS
        suffix = self.path.suffix.lower()
        if suffix == ".ods":
            facts = self._ods_facts().get(tab, NO_FACTS)
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

    def _ods_facts(self) -> dict[str, SheetFacts]:
        """Every tab's facts from content.xml, which is parsed only when it holds a marker."""
        if self._ods is None:
            self._ods = {}
            try:
                if may_hold_ods_facts(self._archive):
                    self._ods = {tab: SheetFacts(found.unsaved, found.errors, found.hidden, found.merged)
                                 for tab, found in table_facts(self._archive).items()}
            except Exception:  # calamine has read the sheets; a scan that fails costs only these checks
                self._ods = {}
        return self._ods


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
        raise FatalError(
            f"{path.name}：無法讀取，檔案可能已損壞或不是 Excel 活頁簿。"
            "請在 Excel 或 Calc 開啟確認，另存為 .xlsx 後再試。") from exc
    return OpenWorkbook(path, data, book, inspection)
