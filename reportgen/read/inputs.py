"""Which files the INPUT arguments name: each workbook once, in the order given, never a special file."""

from __future__ import annotations

import os
import stat
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..errors import FatalError, describe, lock_file, special_kind, unreachable
from ..problems import Location, Problems
from ..schema import UNSUPPORTED, WORKBOOK_SUFFIXES

DEFAULT_INPUTS = Path("inputs")


def identity(path: Path, info: os.stat_result) -> tuple[object, ...]:
    """One key per file on disk: `a.xlsx`, `./a.xlsx`, a symlink or a hard link to it share it."""
    if info.st_ino:
        return (info.st_dev, info.st_ino)
    return (os.path.normcase(os.path.realpath(path)),)  # file systems without inode numbers


def expand_inputs(inputs: Iterable[Path], problems: Problems | None = None) -> list[Path]:
    """Workbooks named directly, plus every workbook in a named folder (not recursive).

    A file named twice (directly, through its folder, as `./a.xlsx`, through a link) is read
    once, at its first position. A spreadsheet in a folder that cannot be read (.xls, .csv …)
    is a warning, so a colleague's rows are never dropped without a word.
    """
    files: list[Path] = []
    seen: set[tuple[object, ...]] = set()

    def add(path: Path, info: os.stat_result) -> None:
        key = identity(path, info)
        if key not in seen:
            seen.add(key)
            files.append(path)

    for path in inputs:
        info = _stat(path)
        kind = special_kind(info.st_mode)
        if kind:
            raise FatalError(f"{path} 是{kind}，不是活頁簿檔案，不會開啟。請指定 .xlsx、.xlsm 或 .ods 活頁簿。")
        if not stat.S_ISDIR(info.st_mode) or path.suffix.lower() in WORKBOOK_SUFFIXES:
            lock = lock_file(path) if stat.S_ISREG(info.st_mode) else None
            if lock is not None:  # in a folder it is skipped; named, it is told for what it is
                raise FatalError(lock)
            add(path, info)  # `x.xlsx/` (a folder) is refused, with its own message, by the reader
            continue
        if identity(path, info) in seen:
            continue  # the same folder again: its warnings were given once
        seen.add(identity(path, info))
        found, skipped = _folder_workbooks(path)
        for name in skipped:
            if problems is not None:
                problems.add("skipped-file", Location(name), format=UNSUPPORTED[Path(name).suffix.lower()])
        if not found:
            raise FatalError(f"資料夾 {path} 中沒有 .xlsx、.xlsm 或 .ods 活頁簿。")
        for file, file_info in found:
            add(file, file_info)
    return files


def _stat(path: Path) -> os.stat_result:
    """The file's status, or a FatalError saying why it cannot be reached."""
    try:
        return path.stat()
    except OSError as exc:
        default = ("未指定活頁簿時讀取 inputs 資料夾；請指定活頁簿或資料夾。"
                   if path == DEFAULT_INPUTS else "")
        raise FatalError(unreachable(path, exc, "" if path.suffix else "資料夾") + default) from None


def _folder_workbooks(folder: Path) -> tuple[list[tuple[Path, os.stat_result]], list[str]]:
    """A folder's workbooks in name order, and the names of spreadsheets it cannot read."""
    found: list[tuple[Path, os.stat_result]] = []
    skipped: list[str] = []
    try:
        with os.scandir(folder) as entries:
            names = sorted(entry.name for entry in entries)
    except OSError as exc:
        raise FatalError(f"無法讀取資料夾 {folder}：{describe(folder, exc)}。"
                         "請確認您有開啟這個資料夾的權限。") from None
    for name in names:
        suffix = Path(name).suffix.lower()
        if name.startswith(("~$", ".")) or (suffix not in WORKBOOK_SUFFIXES and suffix not in UNSUPPORTED):
            continue
        path = folder / name
        try:
            info = path.stat()
        except FileNotFoundError:
            continue  # a dangling link or a file removed meanwhile: nothing to read
        except OSError as exc:
            raise FatalError(f"無法讀取 {path}：{describe(path, exc)}。") from None
        kind = special_kind(info.st_mode)
        if kind and suffix in WORKBOOK_SUFFIXES:
            raise FatalError(f"{path} 是{kind}，不是活頁簿檔案，不會開啟。請將它移出資料夾。")
        if not stat.S_ISREG(info.st_mode):
            continue
        if suffix in WORKBOOK_SUFFIXES:
            found.append((path, info))
        else:
            skipped.append(name)
    return found, skipped


def display_names(files: Sequence[Path]) -> list[str]:
    """How each input is named in messages and in the report: its file name, or, when two inputs
    share one (`d1/book.xlsx`, `d2/book.xlsx`), its folder too, so every problem points at one file."""
    counts = Counter(path.name for path in files)
    return [path.name if counts[path.name] == 1 else f"{path.parent.name or path.parent}/{path.name}"
            for path in files]
