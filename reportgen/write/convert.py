"""PDF and ODF copies of the chapter through LibreOffice headless, with no processes (nor their sockets) left behind."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path

from ..errors import FatalError, Terminated, describe, os_reason
from .fingerprint import mark_copy
from .outputs import write_atomic
from .wordml import escape_text

FORMATS = {"pdf": "PDF", "odt": "ODF 文字文件（.odt）"}
TIMEOUT = 180.0  # seconds per conversion; a first start with a fresh profile takes a few
SOFFICE_ENV = "REPORTGEN_SOFFICE"  # an explicit soffice path, for installs outside PATH
SYSTEM_FONTCONFIG = Path("/etc/fonts/fonts.conf")
_WELL_KNOWN = (
    Path("C:/Program Files/LibreOffice/program/soffice.exe"),
    Path("C:/Program Files (x86)/LibreOffice/program/soffice.exe"),
    Path("/Applications/LibreOffice.app/Contents/MacOS/soffice"),
    Path("/opt/libreoffice/program/soffice"),
)


def find_soffice() -> str | None:
    """LibreOffice's command: $REPORTGEN_SOFFICE, then PATH, then the usual install folders."""
    explicit = os.environ.get(SOFFICE_ENV)
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return next((str(p) for p in _WELL_KNOWN if p.is_file()), None)


def _missing_message(kinds: Iterable[str]) -> str:
    wanted = "、".join(FORMATS[k] for k in kinds)
    return (f"找不到 LibreOffice（soffice），無法轉出 {wanted}。"
            "請安裝 LibreOffice（https://zh-tw.libreoffice.org/），或將 soffice 所在資料夾加入 PATH，"
            f"或以環境變數 {SOFFICE_ENV} 指定 soffice 的完整路徑。")


def _fontconfig(work: Path) -> Path:
    """A fontconfig file: reportgen's font stand-ins first, then the system's own configuration.

    LibreOffice on Linux finds fonts through fontconfig, which has no 標楷體; the
    aliases map it to a Kai face so the PDF looks like the printed report.
    """
    aliases = Path(str(files("reportgen") / "fonts" / "aliases.conf"))
    system = os.environ.get("FONTCONFIG_FILE") or str(SYSTEM_FONTCONFIG)
    config = work / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<fontconfig>\n'
        f"  <include>{_xml_text(aliases)}</include>\n"
        f'  <include ignore_missing="yes">{_xml_text(Path(system))}</include>\n'
        "</fontconfig>\n", encoding="utf-8")
    return config


# Faces that draw the standard character forms (教育部標準字體) 標楷體 stands for.
STANDARD_KAI = ("TW-Kai", "標楷體", "DFKai-SB", "BiauKai")


def pdf_font_warning() -> str | None:
    """A warning when the PDF's 標楷體 would be drawn by a Kai face with non-standard forms.

    Asks fontconfig, through the same configuration LibreOffice gets, which face answers for
    標楷體. None where fontconfig is not used (Windows, macOS) or cannot be asked.
    """
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")) or not shutil.which("fc-match"):
        return None
    with tempfile.TemporaryDirectory(prefix="reportgen-fonts-") as work:
        env = _environment(Path(work))
        try:
            found = subprocess.run(["fc-match", "-f", "%{family}", "標楷體"], capture_output=True, text=True,
                                   env=env, timeout=30, check=False).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None
    families = [f.replace("\\", "") for f in found.split(",")]
    if any(f in STANDARD_KAI for f in families):
        return None
    face = families[0] if families and families[0] else "其他字型"
    return (f"警告：PDF 中的標楷體由「{face}」代替，部分字形不是教育部標準字體（例如「為」會印成「爲」）。"
            "PDF 僅供校對，正式字形以 Word 文件為準；若要 PDF 也用標準字形，請安裝全字庫正楷體 TW-Kai"
            "（Debian／Ubuntu：sudo apt install fonts-cns11643-kai；或由 https://www.cns11643.gov.tw 下載）。")


def _xml_text(path: Path) -> str:
    return escape_text(str(path))


def _environment(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        env["FONTCONFIG_FILE"] = str(_fontconfig(work))
    return env


def _run(command: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run soffice in its own process group, so a hung conversion can be killed entirely."""
    options: dict[str, object] = {}
    if os.name == "posix":
        options["start_new_session"] = True
    else:
        options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=env, text=True, errors="replace",
                                   **options)  # type: ignore[call-overload]
    except OSError as exc:
        raise FatalError(f"無法啟動 LibreOffice（{command[0]}）：{os_reason(exc)}。") from exc
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        process.communicate()
        raise FatalError(
            f"LibreOffice 轉檔超過 {timeout:g} 秒仍未完成，已停止。"
            "請確認 LibreOffice 可以正常開啟，或稍後再試。") from None
    except BaseException:  # Ctrl+C, SIGTERM, SIGHUP (errors.Terminated): never leave soffice running
        _kill_group(process)
        with contextlib.suppress(BaseException):
            process.wait(timeout=10)  # reaped before its profile folder is removed
        raise
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def _kill_group(process: subprocess.Popen[str]) -> None:
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    else:  # soffice.exe starts soffice.bin: end the whole tree
        subprocess.run(["taskkill", "/F", "/T", "/PID", str(process.pid)], capture_output=True, check=False)
        process.kill()


# LibreOffice's single-instance socket (desktop/source/app/officeipcthread.cxx, sal/osl/unx/pipe.cxx):
# /tmp/OSL_PIPE_<uid>_SingleOfficeIPC_<hash> (/var/tmp when /tmp is not writable) whatever TMPDIR
# says, the hash an MD5 of the profile's URL. LibreOffice removes it when it ends normally; killed
# (a timeout, Ctrl+C, SIGTERM — soffice.bin answers SIGTERM with _exit too) or crashed (SIGXFSZ) it
# leaves it, one more each run, as every session's profile is new. Soffice removes it afterwards.
_PIPE_FOLDERS = (Path("/tmp"), Path("/var/tmp"))
_OSL_URL_SAFE = "/!$&'()*+,:=@~"  # what osl leaves unescaped in a file URL (";", "#", "?", space are escaped)
PIPE_PATIENCE = 2.0  # seconds a killed soffice.bin may take to close the socket before it is left alone


def _profile_urls(profile: Path) -> set[str]:
    """The spellings of the profile's URL LibreOffice may hash: as passed, and as it normalizes it
    (symbolic links resolved, escaped as osl escapes). Each names reportgen's own profile."""
    urls = set()
    for path in (profile, Path(os.path.realpath(profile))):
        urls.add(path.as_uri())
        urls.add("file://" + urllib.parse.quote(os.fsencode(path), safe=_OSL_URL_SAFE))
    return urls


def _pipe_name(url: str) -> str:
    data = url.encode("utf-16-le" if sys.byteorder == "little" else "utf-16-be")  # sal_Unicode, as in memory
    digest = hashlib.md5(data, usedforsecurity=False).digest()
    return f"OSL_PIPE_{os.getuid()}_SingleOfficeIPC_" + "".join(f"{b:x}" for b in digest)  # no leading zeros


def _listened(path: Path) -> bool:
    """Whether a process still accepts connections on the socket (a connection is harmless:
    LibreOffice ignores one that sends no arguments)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        try:
            probe.connect(str(path))
        except (ConnectionRefusedError, FileNotFoundError):
            return False
        except OSError:  # a full backlog, a timeout: somebody is there
            return True
    return True


def remove_office_pipes(profile: Path, patience: float | None = None) -> None:
    """Remove the single-instance socket a killed or crashed LibreOffice left for `profile`.

    Only a socket whose name is derived from this session's own, new profile folder is touched,
    only when it is this user's and nobody listens on it any more (a killed soffice.bin may take a
    moment to close it: up to `patience` seconds). After a normal run there is none: a few lstat calls.
    """
    if os.name != "posix" or not hasattr(socket, "AF_UNIX"):
        return  # Windows' named pipes end with their process
    deadline = time.monotonic() + (PIPE_PATIENCE if patience is None else patience)
    names = {_pipe_name(url) for url in _profile_urls(profile)}
    for path in (folder / name for folder in _PIPE_FOLDERS for name in sorted(names)):
        while True:
            try:
                info = os.lstat(path)
            except OSError:
                break
            if not stat.S_ISSOCK(info.st_mode) or info.st_uid != os.getuid():
                break
            if not _listened(path):
                with contextlib.suppress(OSError):
                    os.unlink(path)
                break
            if time.monotonic() >= deadline:
                break  # a process still answers on it: left alone
            time.sleep(0.02)


def _size_limit() -> int | None:
    """The system's limit on the size of a file this process and its children write (RLIMIT_FSIZE,
    `ulimit -f`), in bytes; None when there is none."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    return None if soft == resource.RLIM_INFINITY else soft


def _stopped_by_size_limit(result: subprocess.CompletedProcess[str], work: Path, inputs: set[Path]) -> bool:
    """Whether a failed conversion ran into the file-size limit: soffice killed by SIGXFSZ, or —
    LibreOffice's crash handler turns the signal into an abort (exit 134) — it said it caught the
    signal, or a file it wrote in the work folder reached the limit."""
    xfsz = getattr(signal, "SIGXFSZ", None)
    if xfsz is None:
        return False
    if result.returncode in (-xfsz, 128 + xfsz):
        return True
    limit = _size_limit()
    if limit is None:
        return False
    if re.search(rf"\bSignal {int(xfsz)}\b", result.stderr or ""):
        return True
    for path in work.rglob("*"):
        with contextlib.suppress(OSError):
            if path not in inputs and path.is_file() and not path.is_symlink() and path.stat().st_size >= limit:
                return True
    return False


def _size_text(size: int) -> str:
    if size >= 1 << 30:
        return f"{size / (1 << 30):.3g} GB"
    if size >= 1 << 20:
        return f"{size / (1 << 20):.3g} MB"
    if size >= 1 << 10:
        return f"{size / (1 << 10):.3g} KB"
    return f"{size} 位元組"


def _size_limit_message(source: Path, kind: str) -> str:
    limit = _size_limit()
    bound = f"（上限 {_size_text(limit)}）" if limit is not None else ""
    return (f"LibreOffice 無法將 {source.name} 轉成 {FORMATS.get(kind, kind)}："
            f"{os_reason(OSError(errno.EFBIG, ''))}{bound}。轉檔時寫出的檔案達到系統設定的單一檔案大小上限；"
            "請放寬這個上限，或請系統管理員協助後再試。")


class Soffice:
    """One LibreOffice session: a temporary profile and font set-up, used for one or more conversions.

    Its own profile means an editor's open LibreOffice is neither disturbed nor needed.
    """

    def __init__(self, timeout: float = TIMEOUT) -> None:
        self.timeout = timeout
        self.command = find_soffice()
        self._temp: tempfile.TemporaryDirectory[str] | None = None
        self._inputs: set[Path] = set()

    def __enter__(self) -> Soffice:
        self._temp = tempfile.TemporaryDirectory(prefix="reportgen-soffice-")
        self.work = Path(self._temp.name)
        self.env = _environment(self.work)
        # LibreOffice's own temporary files (lu*.tmp) go inside the work folder too, so a
        # conversion stopped by a signal (its processes killed) leaves nothing behind either.
        scratch = self.work / "tmp"
        scratch.mkdir()
        self.env.update({"TMPDIR": str(scratch), "TMP": str(scratch), "TEMP": str(scratch)})
        return self

    def __exit__(self, *exc: object) -> None:
        if self._temp is not None:
            try:
                if self.command is not None:
                    remove_office_pipes(self.work / "profile")
            finally:
                self._temp.cleanup()

    def convert(self, source: Path, kind: str) -> bytes:
        """The bytes of `source` converted to `kind` (pdf, odt, ods …), or a FatalError."""
        if self.command is None:
            raise FatalError(_missing_message([kind]))
        job = Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=self.work))
        staged = job / f"input{source.suffix.lower()}"  # an ASCII name: soffice names its output after it
        self._inputs.add(staged)
        try:
            shutil.copyfile(source, staged)
        except OSError as exc:
            raise FatalError(f"無法準備 {source.name} 的轉檔：{describe(staged, exc)}。") from exc
        profile = (self.work / "profile").as_uri()
        command = [self.command, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                   "--nolockcheck", "--convert-to", kind, "--outdir", str(job / "out"), str(staged)]
        result = _run(command, self.env, self.timeout)
        converted = job / "out" / f"input.{kind}"
        if result.returncode != 0 or not converted.is_file():
            if _stopped_by_size_limit(result, self.work, self._inputs):
                raise FatalError(_size_limit_message(source, kind))
            # LibreOffice explains itself in English (SPEC §6: nothing a user sees is English): its
            # words stay out of the message, which says what can be done instead.
            why = (f"結束代碼 {result.returncode}" if result.returncode != 0
                   else "沒有產生檔案，多半是無法載入這份文件")
            raise FatalError(
                f"LibreOffice 無法將 {source.name} 轉成 {FORMATS.get(kind, kind)}（{why}）。"
                "請確認 LibreOffice 能正常開啟這份 Word 文件，必要時重新安裝 LibreOffice 後再試。")
        return converted.read_bytes()


def convert(docx: Path, kinds: Iterable[str], *, timeout: float = TIMEOUT, replace: bool = False) -> list[Path]:
    """Write a PDF/ODT copy beside `docx` for each kind; each copy replaces the old one atomically.

    `replace`: whether an existing copy is an earlier build's (paths.check_copies, decided before
    `docx` was written) and so may be replaced, or removed as stale when a conversion fails.
    Without it an existing copy is somebody's file: it is left as it is, and said so.
    """
    from .outputs import copy_path

    kinds = list(dict.fromkeys(kinds))
    if not kinds:
        return []
    written: list[Path] = []
    try:
        with Soffice(timeout) as office:
            if office.command is None:
                raise FatalError(_missing_message(kinds))
            for kind in kinds:
                data = mark_copy(kind, office.convert(docx, kind))  # its own mark: an edit is recognised
                target = copy_path(docx, kind)
                if not replace and os.path.lexists(target):  # appeared during this build: not ours
                    raise FatalError(f"{target} 已存在，不是 reportgen 這次產生的，不會覆寫。")
                write_atomic(target, data)
                written.append(target)
    except FatalError as exc:  # the Word file is done; say so, so nobody rebuilds in vain
        raise FatalError(f"{exc.message}Word 文件 {docx} 已產生，不受影響。"
                         + _drop_stale(docx, kinds, written, replace)) from exc
    except KeyboardInterrupt as exc:
        note = f"Word 文件 {docx} 已產生。{_drop_stale(docx, kinds, written, replace)}"
        if isinstance(exc, Terminated):
            raise Terminated(exc.signum, note) from exc
        raise KeyboardInterrupt(note) from exc
    return written


def _drop_stale(docx: Path, kinds: Iterable[str], written: list[Path], replace: bool) -> str:
    """An earlier build's PDF/ODT beside the new .docx would be mistaken for it: remove it, or say so.

    Only an earlier build's copy is removed (`replace`); anyone else's file stays, named.
    """
    from .outputs import copy_path

    notes = []
    for kind in kinds:
        target = copy_path(docx, kind)
        if target in written or not target.is_file():
            continue
        if not replace:
            notes.append(f"注意：{target.name} 仍在，它不是這次產生的，內容與新的 Word 文件無關；"
                         "reportgen 沒有更動它。")
            continue
        try:
            target.unlink()
            notes.append(f"先前產生的 {target.name} 已刪除，以免與新的 Word 文件混淆。")
        except OSError as exc:
            notes.append(f"注意：先前產生的 {target.name} 仍在，內容是舊版，可能與新的 Word 文件不同"
                         f"（無法刪除：{os_reason(exc)}）。")
    return "".join(notes)
