"""Problems are data: typed records with a location, collected rather than raised."""

from __future__ import annotations

import errno
import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

from .schema import SHEETS

_SHEET_ORDER = {sheet.name: index for index, sheet in enumerate(SHEETS)}


class Severity(str, Enum):
    ERROR = "錯誤"
    WARNING = "警告"


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """A → 0, Z → 25, AA → 26: the inverse of column_letter."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")


def cell_position(ref: str) -> tuple[int, int] | None:
    """`C10` → (9, 2), 0-based row and column; None when `ref` is not a cell address."""
    match = _CELL_REF.fullmatch(ref)
    return (int(match.group(2)) - 1, column_index(match.group(1))) if match else None


def display_width(text: str) -> int:
    """Columns a text takes on a screen or in a spreadsheet: CJK characters count double."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


@dataclass(frozen=True, order=True)
class Location:
    """Where a value came from: file, sheet and cell (`E7`), plus the column's header."""

    file: str = ""
    sheet: str = ""
    cell: str = ""
    header: str = ""

    @property
    def row(self) -> int:
        match = re.search(r"\d+$", self.cell)
        return int(match.group()) if match else 0

    @property
    def column(self) -> str:
        return re.sub(r"\d+$", "", self.cell)

    def sort_key(self) -> tuple[str, int, str, int, int, str]:
        """File, then sheets in workbook order (報告設定, 章節, 活動, 訪賓), then row and column."""
        col = self.column
        order = _SHEET_ORDER.get(self.sheet, len(_SHEET_ORDER))
        return (self.file, order, self.sheet, self.row, len(col), col)

    def __str__(self) -> str:
        parts = [self.file] if self.file else []
        if self.sheet:
            parts.append(f"{self.sheet}!{self.cell}" if self.cell else self.sheet)
        text = " ".join(parts)
        if self.header:
            text += f"（{self.header}）"
        return text


@dataclass(frozen=True)
class Problem:
    """One finding. `code` is stable for tests and tools; `message` is for people."""

    code: str
    severity: Severity
    location: Location
    message: str
    found: str | None = None
    fix: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def render(self) -> str:
        text = f"{self.severity.value}　{self.location}：{self.message}"
        if self.found is not None:
            text += f"（填寫的是「{shorten(self.found)}」）"
        if self.fix:
            text += f"　{self.fix}"
        return text


def shorten(text: str, limit: int = 40) -> str:
    """Quote long values by their start so a message stays one readable line."""
    text = text.replace("\n", "↵")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Problems(list[Problem]):
    """An ordered collection of problems with helpers for the common cases."""

    def error(self, code: str, location: Location, message: str, *,
              found: str | None = None, fix: str = "") -> None:
        self.append(Problem(code, Severity.ERROR, location, message, found, fix))

    def warning(self, code: str, location: Location, message: str, *,
                found: str | None = None, fix: str = "") -> None:
        self.append(Problem(code, Severity.WARNING, location, message, found, fix))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self if not p.is_error]

    def sorted(self) -> list[Problem]:
        return sorted(self, key=lambda p: (p.location.sort_key(), p.code))

    def summary(self) -> str:
        return f"錯誤 {len(self.errors)} 項、警告 {len(self.warnings)} 項"


_OS_REASONS = {
    errno.EACCES: "沒有權限", errno.EPERM: "不允許的操作（檔案可能被鎖定）", errno.ENOENT: "找不到檔案或資料夾",
    errno.ENOSPC: "磁碟空間不足", errno.EROFS: "位於唯讀的磁碟", errno.EBUSY: "檔案正被其他程式使用",
    errno.EISDIR: "這是資料夾", errno.ENOTDIR: "路徑中有一段不是資料夾", errno.ENAMETOOLONG: "檔名過長",
    errno.EEXIST: "檔案已存在",
}


def os_reason(exc: OSError) -> str:
    """Why the system refused, in words staff read (the OS says it in English)."""
    return _OS_REASONS.get(exc.errno or 0, f"系統錯誤代碼 {exc.errno}" if exc.errno else "系統錯誤")


class FatalError(Exception):
    """A condition that stops the run (unreadable file, bad template): exit code 2."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
