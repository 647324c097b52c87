"""Where an output may go, checked before any work, and how it is written: people's files are never replaced.

An output may not be an input, the template, or (for a report) land in an input folder; an
existing .docx, report or PDF/ODT copy is replaced only while it is exactly what reportgen wrote
(fingerprint: origin, package_origin, copy_origin), or with --force; a link to nothing at the
output's name is someone's too. Every refusal says why in words staff read.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import FatalError, broken_link, describe, lock_file, special_kind, unreachable

if TYPE_CHECKING:
    from .fingerprint import Origin


@dataclass(frozen=True)
class OutputKind:
    what: str  # how messages name the output
    suffix: str
    example: str  # a file name to suggest when a folder was given


DOCX = OutputKind("輸出檔", ".docx", "國際事務.docx")
REPORT = OutputKind("檢核報告", ".xlsx", "檢核報告.xlsx")
REPORT_SHEET = "檢核結果"
REPORT_MARK = "reportgen-report"  # a custom document property every report carries
_MAX_PART = 16 * 1024 * 1024


def check_output(path: Path, kind: OutputKind, *, inputs: Sequence[Path] = (),
                 template: Path | None = None, force: bool = False) -> None:
    """Raise FatalError unless writing `path` can replace nothing it must not."""
    from ..read.inputs import expand_inputs

    check_name_length(path)
    info = _stat(path)
    if info is None and os.path.lexists(path):  # a link to nothing: a name someone made
        _check_dangling(path, kind, force)
    if info is None and os.pardir in path.parts:  # `x/../a.xlsx`, x missing: a.xlsx once x is made
        path = Path(os.path.realpath(path))
        info = _stat(path)
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise FatalError(f"無法寫入 {path}：這是資料夾，不是檔案。請指定檔名，例如 {path / kind.example}。")
        special = special_kind(info.st_mode)
        if special:
            raise FatalError(f"無法寫入 {path}：這是{special}，不是一般檔案。請另取檔名。")
        if template is not None and same_file(path, template):
            raise FatalError(f"{kind.what} {path} 就是 Word 範本；範本不會被覆寫。請另取檔名。")
        if any(same_file(path, file) for file in expand_inputs(inputs)):
            raise FatalError(f"{kind.what} {path} 就是輸入的活頁簿；輸入檔不會被修改。請另取檔名。")
    if path.name.lower() == kind.suffix:  # `-o .docx`: a name that is only the extension
        raise FatalError(f"{kind.what} {path} 只有副檔名，沒有檔名。請在 {kind.suffix} 前加上檔名，"
                         f"例如 {path.parent / kind.example}。")
    if path.suffix.lower() != kind.suffix:
        hint = "（PDF 或 .odt 請加 --pdf 或 --odt，會另存在 .docx 旁）" if kind is DOCX else ""
        raise FatalError(f"{kind.what} {path} 的副檔名須為 {kind.suffix}{hint}。請改用以 {kind.suffix} 結尾的檔名。")
    if kind is REPORT:
        # the folders holding it, the way they are named and as links resolve (SPEC §6: resolved paths)
        around = [*Path(os.path.abspath(path.parent)).parents, *Path(os.path.realpath(path.parent)).parents]
        for folder in _folders(inputs):
            elsewhere = "請存到輸入資料夾以外的資料夾" + ("" if _inside(Path("outputs"), folder) else "，例如 outputs/")
            if same_file(path.parent, folder):
                raise FatalError(f"檢核報告 {path} 位於輸入資料夾 {folder} 中，下次執行時會被當成活頁簿讀入。"
                                 f"{elsewhere}。")
            if any(same_file(above, folder) for above in around):  # SPEC §6: not inside one at all
                raise FatalError(f"檢核報告 {path} 位於輸入資料夾 {folder} 之內；輸入資料夾只放要讀的活頁簿。"
                                 f"{elsewhere}。")
    if info is None:
        return  # nothing there yet: nothing to protect
    if not info.st_mode & stat.S_IWUSR:
        raise FatalError(f"{path} 設為唯讀，不會覆寫。請另取檔名，或先取消該檔的唯讀屬性。")
    if not force:
        _check_own(path, kind)


def copy_path(docx: Path, kind: str) -> Path:
    """Where `build --pdf/--odt` puts its copy: beside the .docx, same name (the .docx suffix is checked)."""
    return docx.with_suffix(f".{kind}")


def check_copies(docx: Path, kinds: Sequence[str], *, inputs: Sequence[Path] = (),
                 template: Path | None = None, force: bool = False) -> bool:
    """Raise FatalError unless each PDF/ODT copy beside `docx` may be written; call before `docx` is.

    An existing copy is someone's file unless the .docx beside it is reportgen's own unedited
    output (then the copy is an earlier build's) or `--force` says otherwise. Returns whether
    existing copies may be replaced, or removed as stale after a failed conversion.
    """
    from ..read.inputs import expand_inputs

    existing = []
    for kind in kinds:
        target = copy_path(docx, kind)
        check_name_length(target)
        info = _stat(target)
        if info is None:
            continue
        if stat.S_ISDIR(info.st_mode):
            raise FatalError(f"無法寫入 {target}：這是資料夾，不是檔案。請將它改名，或以 -o 指定另一個檔名。")
        special = special_kind(info.st_mode)
        if special:
            raise FatalError(f"無法寫入 {target}：這是{special}，不是一般檔案。請以 -o 指定另一個檔名。")
        if (template is not None and same_file(target, template)) or any(
                same_file(target, file) for file in expand_inputs(inputs)):
            raise FatalError(f"{target} 是輸入檔或範本，不會覆寫。請以 -o 指定另一個檔名。")
        if not info.st_mode & stat.S_IWUSR:
            raise FatalError(f"{target} 設為唯讀，不會覆寫。請以 -o 指定另一個檔名，或先取消該檔的唯讀屬性。")
        existing.append(target)
    if force:
        return True
    if not existing:
        return False  # nothing to replace; a copy that appears meanwhile is not ours either
    from .fingerprint import Origin, copy_origin

    refused = [(target, found) for target in existing if (found := copy_origin(target)) is not Origin.OWN]
    if not refused:
        return True  # each is a copy reportgen wrote, unchanged since
    why = {Origin.EDITED: "在 reportgen 產生後曾被修改（例如在 LibreOffice 中校訂、在 PDF 加註）",
           Origin.FOREIGN: "不是 reportgen 產生的（或由舊版產生、已被其他程式另存）"}
    lines = "；".join(f"{target} {why[found]}" for target, found in refused)
    raise FatalError(f"{lines}，不會覆寫。若要保留它，請先將它改名或移到別處，或以 -o 指定另一個檔名；"
                     "確定要以新產生的版本取代時，請加上 --force。")


def refuse_special(path: Path, what: str) -> None:
    """A FIFO or device named where a file is read would block or never end: refuse it unopened."""
    try:
        kind = special_kind(path.stat().st_mode)
    except OSError:
        return  # the reader says why, in its own words
    if kind:
        raise FatalError(f"{what} {path} 是{kind}，不是一般檔案，不會開啟。請指定檔案。")


# What a file that is not a Word document is, by its first bytes (and a zip's parts).
_KINDS_BY_MAGIC = ((b"\xd0\xcf\x11\xe0", "舊版 Office 97-2003 格式（.doc）或設有密碼的文件"), (b"%PDF", "PDF 檔"),
                   (b"{\\rtf", "RTF 文件"))
_KINDS_BY_PART = (("xl/workbook.xml", "Excel 活頁簿"), ("ppt/presentation.xml", "PowerPoint 簡報"),
                  ("content.xml", "OpenDocument 文件（LibreOffice）"))


def check_template_file(path: Path, otherwise: str = "省略 --template 使用內建範本") -> None:
    """A template that is missing, a folder, unreadable or another kind of file: each in its own
    words, before anything is read (a folder or a locked file is no "non-Word document").
    `otherwise`: what the person can do instead, in the command's own terms."""
    try:
        info = path.stat()
    except OSError as exc:
        raise FatalError(unreachable(path, exc, "範本", f"請確認路徑，或{otherwise}。")) from None
    if stat.S_ISDIR(info.st_mode):
        raise FatalError(f"範本 {path} 是資料夾，不是 Word 文件。請指定範本檔（.docx 或 .dotx），"
                         "例如 templates/report.docx。")
    refuse_special(path, "範本")
    lock = lock_file(path)
    if lock is not None:
        raise FatalError(lock)
    try:
        head = read_head(path)
    except OSError as exc:
        raise FatalError(f"無法讀取範本 {path}：{describe(path, exc)}。"
                         "請確認這個檔案的讀取權限，或關閉正在使用它的程式。") from None
    if not head:
        raise FatalError(f"範本 {path} 是空的檔案（0 位元組），不是 Word 文件。請改用 templates/report.docx。")
    kind = next((what for magic, what in _KINDS_BY_MAGIC if head.startswith(magic)), None)
    if kind is None and head.startswith(b"PK"):
        kind = _zip_kind(path)
    elif kind is None:  # something else altogether
        raise FatalError(f"範本 {path.name} 不是 Word 文件（.docx）。請用 Word 另存為 .docx。")
    if kind:
        what = kind if kind.startswith("不是") else f"是 {kind}，不是 Word 文件"
        raise FatalError(f"範本 {path.name} {what}。請用 Word 開啟範本後「另存為」Word 文件（.docx）。")


def read_head(path: Path, size: int = 8) -> bytes:
    """A file's first bytes (what kind of file it is)."""
    with open(path, "rb") as handle:
        return handle.read(size)


def _zip_kind(path: Path) -> str:
    """"" for a Word package; else what the zip holds instead."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "不是 Word 文件（檔案不完整或已損壞）"
    if "word/document.xml" in names or any(name.startswith("word/") for name in names):
        return ""
    return next((what for part, what in _KINDS_BY_PART if part in names), "不是 Word 文件（是其他程式的壓縮檔）")


# The .docx files found to be reportgen's own unedited output in this process, each as its state was
# (device, inode, size, modification time): `build -o` checks its output before the work and again
# before writing, and reading and hashing a large chapter a second time (0.1 s at 100,000 rows)
# would only repeat the verdict unless the file changed since, which its state shows.
_OWN_AS_CHECKED: set[tuple[int, int, int, int]] = set()


def _state(path: Path) -> tuple[int, int, int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns


def _check_own(path: Path, kind: OutputKind) -> None:
    """An existing .docx or report is replaced only while it is exactly what reportgen wrote."""
    from .fingerprint import Origin, origin, package_origin

    before = _state(path)
    if before is not None and before in _OWN_AS_CHECKED:
        return
    found = origin(path) if kind is DOCX else package_origin(path)
    if found is Origin.OWN:
        if before is not None and _state(path) == before:  # unchanged while it was read
            _OWN_AS_CHECKED.add(before)
        return
    raise FatalError(f"{path} {_not_own(path, kind, found)}，不會覆寫。{_keep(kind)}")


def _not_own(path: Path, kind: OutputKind, found: Origin) -> str:
    """Why an existing output is someone's file, in words."""
    from .fingerprint import Origin

    if kind is DOCX:
        if found is Origin.EDITED:
            return "在 reportgen 產生後曾被修改（例如在 Word 中校訂）"
        return "已存在，但不是 reportgen 產生的文件（或由舊版產生、已被其他程式改寫）"
    if found is Origin.EDITED:
        return "在 reportgen 產生後曾被修改"
    if is_report(path):  # reportgen's property, no mark: saved again in Excel, or an earlier version's
        return ("是 reportgen 的檢核報告，但產生後曾被另存（例如在 Excel 中加註後存檔），"
                "或由舊版 reportgen 產生，無法確認內容未被修改")
    return "已存在，但不是 reportgen 的檢核報告（可能是活頁簿或其他文件）"


def _keep(kind: OutputKind) -> str:
    """How to keep a file reportgen will not replace, or replace it anyway."""
    option = "-o" if kind is DOCX else "--report"
    product = "新產生的版本" if kind is DOCX else "新的檢核報告"
    return (f"若要保留它，請先將它改名或移到別處，或以 {option} 指定另一個檔名；"
            f"確定要以{product}取代時，請加上 --force。")


def _check_dangling(path: Path, kind: OutputKind, force: bool) -> None:
    """A link to nothing (or a loop) where the output goes: someone made that name, so it is kept
    like any file reportgen did not write; --force replaces the link itself, never its target."""
    if force:
        return
    link = broken_link(path) or f"{path} 是無法開啟的捷徑（符號連結）"
    raise FatalError(f"{link}，不會覆寫。{_keep(kind)}")


def is_report(path: Path) -> bool:
    """An earlier `validate --report`: its 檢核結果 sheet and reportgen's document property."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = {info.filename: info for info in archive.infolist()}
            book, custom = parts.get("xl/workbook.xml"), parts.get("docProps/custom.xml")
            if book is None or custom is None or max(book.file_size, custom.file_size) > _MAX_PART:
                return False
            sheet = f'name="{REPORT_SHEET}"'.encode()
            mark = f'name="{REPORT_MARK}"'.encode()
            return sheet in archive.read(book) and mark in archive.read(custom)
    except Exception:  # unreadable or damaged: not a report reportgen can vouch for
        return False


def check_name_length(path: Path) -> None:
    """The name the user asked for, measured against the file system's limit (not a temporary name)."""
    if os.name == "nt":
        length, limit = len(path.name.encode("utf-16-le")) // 2, 255
    else:
        length, limit = len(os.fsencode(path.name)), _name_max(path.parent)
    if length > limit:
        raise FatalError(f"無法寫入 {path}：檔名過長（{length} 位元組，此磁碟上限為 {limit}）。請取短一點的檔名。")


def _name_max(folder: Path) -> int:
    existing = next((p for p in (folder, *folder.parents) if os.path.isdir(p)), Path("."))
    try:
        return int(os.pathconf(existing, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


def _stat(path: Path) -> os.stat_result | None:
    """The status of what `path` reaches; None when nothing (a link to nothing is checked apart)."""
    try:
        return path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP and broken_link(path):  # the name itself is a looping link
            return None
        raise FatalError(f"無法寫入 {path}：{describe(path, exc)}。") from None


def _folders(inputs: Sequence[Path]) -> list[Path]:
    folders = []
    for path in inputs:
        try:
            if stat.S_ISDIR(path.stat().st_mode):
                folders.append(path)
        except OSError:
            continue  # reported when the inputs are read
    return folders


def _inside(path: Path, folder: Path) -> bool:
    """Whether `path` is `folder` or lies in it, links resolved."""
    return any(same_file(above, folder) for above in (path, *Path(os.path.realpath(path)).parents))


def same_file(a: Path, b: Path) -> bool:
    """Whether two names reach one file: links, `./`, `..` and the file system's case rules count."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet), or cannot be examined
        return _key(a) == _key(b)


def _key(path: Path) -> str:
    real = os.path.normcase(os.path.realpath(path))
    return real.casefold() if _case_insensitive(os.path.dirname(real)) else real


@lru_cache(maxsize=64)
def _case_insensitive(folder: str) -> bool:
    """Probe: does the nearest existing folder's name in the other case reach the same folder?"""
    current = folder
    while True:
        name = os.path.basename(current)
        if name.lower() != name.upper() and os.path.isdir(current):
            other = os.path.join(os.path.dirname(current), name.swapcase())
            try:
                return os.path.samefile(current, other)
            except OSError:
                return False
        parent = os.path.dirname(current)
        if parent == current:
            return os.name == "nt" or sys.platform == "darwin"
        current = parent


def safe_file_title(title: str, fallback: str = "chapter") -> str:
    """A chapter title as a file name: characters Windows refuses become _, never empty
    (`fallback` for a title of dots and spaces alone, such as `..`).

    Shared by `reportgen build` (its default output name) and the page's .docx download.
    """
    cleaned = "".join("_" if c in '\\/:*?"<>|' else c for c in title).strip(" .")
    return cleaned or fallback


# --- writing: atomically, beside the target ----------------------------------------------------

TEMP_PREFIX, TEMP_SUFFIX = ".rg-", ".tmp"  # short: a long but valid name must still fit beside it


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename over it."""
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
        raise FatalError(f"無法寫入 {path}：{describe(path, exc)}。{write_hint(exc)}") from exc


def write_hint(exc: OSError) -> str:
    """What to do about a failed write, by its reason (a full disk is no file open in Word)."""
    return {errno.ENOSPC: "請清出磁碟空間後再試。", getattr(errno, "EDQUOT", -1): "請清出磁碟空間後再試。",
            errno.EROFS: "請改存到可寫入的磁碟或資料夾。",
            errno.EFBIG: "這個磁碟或系統限制了單一檔案的大小（例如 FAT32 隨身碟、或系統設定的檔案大小上限）；"
                         "請改存到其他磁碟，或請系統管理員放寬限制。",
            errno.EACCES: "若檔案正在 Word 中開啟，請先關閉後再試；否則請確認資料夾的寫入權限。",
            errno.EPERM: "若檔案正在 Word 中開啟或被鎖定，請先關閉後再試。",
            errno.EBUSY: "若檔案正在 Word 中開啟，請先關閉後再試。"}.get(exc.errno or 0, "")


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
