"""Atomic file output: a failed or interrupted run never leaves a half-written or missing file behind."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path

from ..errors import FatalError

TEMP_PREFIX, TEMP_SUFFIX = ".rg-", ".tmp"  # short: a long but valid name must still fit beside it


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename over it."""
    from ..errors import describe
    from .paths import check_name_length

    check_name_length(path)
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FatalError(f"無法寫入 {path}：無法建立資料夾 {folder}（{describe(folder, exc)}）。") from exc
    try:
        fd, temp = _create_temp(folder)
    except OSError as exc:
        raise FatalError(f"無法寫入 {path}：{describe(folder, exc)}。請確認資料夾 {folder} 有寫入權限。") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        mode = _kept_mode(path)
        if mode is not None:  # a replaced file keeps its permissions; a new one has the umask's
            os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException as exc:  # an error or Ctrl+C: the temporary file goes, the old file stays
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if not isinstance(exc, OSError):
            raise
        hint = {errno.ENOSPC: "請清出磁碟空間後再試。", getattr(errno, "EDQUOT", -1): "請清出磁碟空間後再試。",
                errno.EROFS: "請改存到可寫入的磁碟或資料夾。"}.get(
            exc.errno or 0, "若檔案正在 Word 中開啟，請先關閉後再試。")
        raise FatalError(f"無法寫入 {path}：{describe(path, exc)}。{hint}") from exc


def _create_temp(folder: Path) -> tuple[int, str]:
    """A new temporary file beside the target, created with mode 0o666 so the umask decides.

    (tempfile.mkstemp would make it 0o600, and a fixed chmod would ignore the user's umask.)
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        temp = os.path.join(folder, f"{TEMP_PREFIX}{secrets.token_hex(4)}{TEMP_SUFFIX}")
        try:
            return os.open(temp, flags, 0o666), temp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


def _kept_mode(path: Path) -> int | None:
    """The permission bits of the file being replaced, or None when there is none."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return stat.S_IMODE(info.st_mode) if stat.S_ISREG(info.st_mode) else None
