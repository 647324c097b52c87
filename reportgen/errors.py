"""What stops a run: FatalError carries its exit code (click's way), and the OS's reasons in words.

Problems found in the workbooks are data (problems.py) and never raised; a FatalError is for a
condition that ends the run — an unreadable file, a broken template, an output that may not be
written. Every front end turns it into its message and `exit_code` (the CLI's exit status, the
web page's answer), never a traceback.
"""

from __future__ import annotations

import errno
import stat
from pathlib import Path

EXIT_OK = 0  # done, warnings allowed
EXIT_INPUT = 1  # the input has errors: nothing written
EXIT_FATAL = 2  # usage, an unreadable file, a template problem
EXIT_INTERRUPTED = 130  # Ctrl+C, as shells report SIGINT


class FatalError(Exception):
    """A condition that stops the run, with the exit code it ends with (2 unless said otherwise)."""

    exit_code = EXIT_FATAL

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code

    def format_message(self) -> str:
        """The line a front end shows (click's name for it)."""
        return self.message


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised in the main thread like Ctrl+C's KeyboardInterrupt, so every
    `finally` and `except BaseException` on the way out runs: write_atomic removes its temporary
    file, a LibreOffice conversion stops its process group and removes its profile."""

    def __init__(self, signum: int, note: str = "") -> None:
        super().__init__(note)
        self.signum = signum
        self.exit_code = 128 + signum  # as a shell reports a command ended by the signal


_OS_REASONS = {
    errno.EACCES: "沒有權限", errno.EPERM: "不允許的操作（檔案可能被鎖定）", errno.ENOENT: "找不到檔案或資料夾",
    errno.ENOSPC: "磁碟空間不足", errno.EROFS: "位於唯讀的磁碟", errno.EBUSY: "檔案正被其他程式使用",
    errno.EISDIR: "這是資料夾", errno.ENOTDIR: "路徑中有一段不是資料夾", errno.ENAMETOOLONG: "檔名過長",
    errno.EEXIST: "檔案已存在", errno.EFBIG: "檔案超過系統允許的大小上限",
    errno.ENOTEMPTY: "資料夾不是空的", errno.EMFILE: "同時開啟的檔案太多",
    errno.ELOOP: "路徑中的捷徑（符號連結）形成迴圈",
}


def os_reason(exc: OSError) -> str:
    """Why the system refused, in words staff read (the OS says it in English)."""
    return _OS_REASONS.get(exc.errno or 0, f"系統錯誤代碼 {exc.errno}" if exc.errno else "系統錯誤")


def blocking_file(path: Path) -> Path | None:
    """The first part of `path` that exists but is not a folder (`ex.xlsx` in `ex.xlsx/out.docx`)."""
    for parent in reversed(path.parents):
        try:
            mode = parent.stat().st_mode
        except OSError:
            return None
        if not stat.S_ISDIR(mode):
            return parent
    return None


def describe(path: Path, exc: OSError) -> str:
    """os_reason, naming the file that stands where a folder should be."""
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        blocker = blocking_file(path) or (path if path.exists() and not path.is_dir() else None)
        if blocker is not None:
            return f"{blocker} 是檔案，不是資料夾"
    if exc.errno == getattr(errno, "EDQUOT", None):
        return "磁碟配額已滿"
    return os_reason(exc)


def io_errno(exc: BaseException) -> int | None:
    """The errno behind a failed write: an OSError's own, or the `IO_EFBIG`/`IO_ENOSPC` that lxml's
    SerialisationError names (openpyxl writes through lxml)."""
    if isinstance(exc, OSError):
        return exc.errno
    text = str(exc)
    if text.startswith("IO_E"):
        return getattr(errno, text[3:].split()[0].rstrip(":"), None)
    return None


def io_failure(exc: BaseException) -> str | None:
    """io_errno's reason in words staff read, or None when the failure is no I/O error."""
    number = io_errno(exc)
    if number is None:
        return None
    return os_reason(OSError(number, ""))
