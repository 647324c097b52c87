"""What stops a run: FatalError carries its exit code (click's way), and the OS's reasons in words.

Problems found in the workbooks are data (problems.py) and never raised; a FatalError is for a
condition that ends the run — an unreadable file, a broken template, an output that may not be
written. Every front end turns it into its message and `exit_code` (the CLI's exit status, the
web page's answer), never a traceback.
"""

from __future__ import annotations

import errno
import os
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


# --- why a path cannot be read: the one place these reasons are worded -----------------------------
# Every command that reads a path it was given (inputs, a template, `init --from`, `import`) states
# why it cannot, in these words, so "not found" is never said of a path whose folder is missing or
# runs through a file.

_SPECIAL = {stat.S_IFIFO: "具名管道（FIFO）", stat.S_IFCHR: "裝置", stat.S_IFBLK: "裝置",
            stat.S_IFSOCK: "socket"}
_WORD_SUFFIXES = (".docx", ".dotx", ".docm", ".dotm", ".doc", ".txt")


def special_kind(mode: int) -> str | None:
    """What a non-regular, non-folder file is, in words; None for files and folders.

    Opening a FIFO waits forever for a writer, and a device never ends: they are refused
    from their `stat` alone, before anything opens them.
    """
    return _SPECIAL.get(stat.S_IFMT(mode))


def broken_link(path: Path) -> str | None:
    """A symbolic link at `path` that reaches no file (its target missing, or a loop), in words;
    None for anything else. Such a link is still a name someone made: never silently replaced."""
    try:
        if not stat.S_ISLNK(os.lstat(path).st_mode):
            return None
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"{path} 是捷徑（符號連結），但連結形成迴圈，指不到任何檔案"
        if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
            return None
        try:
            target = os.readlink(path)
        except OSError:
            return None
        return f"{path} 是捷徑（符號連結），它指向的 {target} 不存在"
    return None


def missing_folder(path: Path) -> Path | None:
    """The first folder on the way to `path` that does not exist (`nodirx` in `nodirx/a.xlsx`)."""
    for parent in reversed(path.parents):
        if not os.path.lexists(parent):
            return parent
    return None


def unreachable(path: Path, exc: OSError, what: str = "", hint: str = "請確認路徑是否正確。") -> str:
    """Why the path to read at `path` cannot be examined (its `stat` raised `exc`), as one message
    with what to do: the folder on its way that is missing, the file standing where a folder
    should be, a link to nothing, or the OS's reason. `what` names it (範本, 要匯入的章 …);
    `hint` is what to do about a path that is not there."""
    named = f" {what}" if what[:1].isascii() and what else what  # 無法讀取範本, 無法讀取 --from …
    link = broken_link(path)
    if link is not None:
        return f"無法讀取{named} {path}：{link}。請改指定實際的檔案，或修正這個捷徑。"
    blocker = blocking_file(path) if exc.errno in (errno.ENOENT, errno.ENOTDIR) else None
    if blocker is not None:
        return f"無法讀取{named} {path}：{blocker} 是檔案，不是資料夾。請確認路徑是否正確。"
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        folder = missing_folder(path)
        where = f"：資料夾 {folder} 不存在" if folder is not None else ""
        return f"找不到{named or '檔案'} {path}{where}。{hint}"
    hint = "請確認您有讀取的權限。" if exc.errno in (errno.EACCES, errno.EPERM) else ""
    return f"無法讀取{named} {path}：{describe(path, exc)}。{hint}"


def lock_file(path: Path) -> str | None:
    """An Office lock file (`~$x.xlsx`) named where a file is read, in words; None otherwise.

    Excel and Word leave one beside a file while it is open (it holds who opened it), and
    remove it when they close it; it is no workbook, and no "file of unknown content" either.
    A real package (a zip) that someone named with `~$` is left to be read.
    """
    if not path.name.startswith("~$"):
        return None
    try:
        with open(path, "rb") as handle:
            if handle.read(2) == b"PK":
                return None
    except OSError:
        return None
    word = path.suffix.lower() in _WORD_SUFFIXES
    app, opened = ("Word", "文件") if word else ("Excel", "活頁簿")
    return (f"{path} 是 {app} 開啟{opened}時留下的鎖定檔（檔名以 ~$ 開頭，記錄誰正在編輯；{app} 關閉{opened}後"
            f"會自動刪除），不是{opened}。請改指定{opened}本身（同一資料夾中檔名沒有 ~$ 的那一個）；"
            f"若 {app} 已關閉而它還在，可以刪除它。")
