"""Atomic file output: a failed run never leaves a half-written or missing file behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .problems import FatalError, os_reason


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename over it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise FatalError(f"無法寫入 {path}：{os_reason(exc)}。請確認資料夾存在且有寫入權限。") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise FatalError(
            f"無法寫入 {path}：{os_reason(exc)}。"
            "若檔案正在 Word 中開啟，請先關閉後再試。") from exc
