"""Atomic file output: a failed or interrupted run never leaves a half-written or missing file behind."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

from .problems import FatalError

TEMP_PREFIX, TEMP_SUFFIX = ".rg-", ".tmp"  # short: a long but valid name must still fit beside it


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename over it."""
    from .paths import check_name_length, describe

    check_name_length(path)
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FatalError(f"無法寫入 {path}：無法建立資料夾 {folder}（{describe(folder, exc)}）。") from exc
    try:
        fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=folder)
    except OSError as exc:
        raise FatalError(f"無法寫入 {path}：{describe(folder, exc)}。請確認資料夾 {folder} 有寫入權限。") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
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
