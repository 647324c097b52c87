"""SIGTERM and SIGHUP leave nothing behind (SPEC §6, issue 19): no temporary file beside an output,
no LibreOffice process, no temporary profile — tested with real signals sent to a real process.

Each case runs `reportgen` in a child Python that pauses at a known point (the temporary file
written but not yet renamed; LibreOffice started) and says so through a file; the test then
signals it and looks at what is left.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.parse
from pathlib import Path

import pytest

from helpers import REPO, write_workbook

# Every case starts reportgen in a child process and signals it: slow by the marker (CI runs them).
pytestmark = [pytest.mark.skipif(os.name != "posix", reason="POSIX signals"), pytest.mark.slow]

# The child: patches one call to pause there (after saying "ready"), then runs the CLI as the
# `reportgen` command does (run() ends with os._exit, the exit code is the CLI's own).
_CHILD = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path

    ready = Path(sys.argv[1])
    pause_in = sys.argv[2]

    def pause(*args, **kwargs):
        ready.write_text(str(os.getpid()))
        time.sleep(60)

    if pause_in == "fsync":
        import reportgen.write.outputs as outputs

        class _Os:  # os.fsync for write_atomic alone
            def __getattr__(self, name):
                return pause if name == "fsync" else getattr(os, name)
        outputs.os = _Os()
    if pause_in == "openpyxl":  # once openpyxl has made a sheet's temporary file
        from openpyxl.worksheet import _writer

        made = _writer.create_temporary_file

        def create_temporary_file(suffix=""):
            name = made(suffix)
            pause()
            return name
        _writer.create_temporary_file = create_temporary_file
    from reportgen.cli import run
    sys.argv = ["reportgen", *sys.argv[3:]]
    run()
""")

# A stand-in for LibreOffice: starts a child of its own (as soffice starts soffice.bin), writes
# into its profile folder, makes LibreOffice's single-instance socket in /tmp (see office_pipe),
# notes both process ids, says "ready" and waits to be killed.
_FAKE_SOFFICE = textwrap.dedent("""\
    #!{python}
    import hashlib, os, socket, subprocess, sys, time, urllib.parse
    from pathlib import Path
    {office_pipe}
    profile = next(a for a in sys.argv if a.startswith("-env:UserInstallation=")).split("=", 1)[1]
    folder = Path(profile.replace("file://", ""))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "registrymodifications.xcu").write_text("x")
    pipe = str(office_pipe(profile))
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(pipe)
    server.listen(5)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    Path(os.environ["FAKE_SOFFICE_PIDS"]).write_text(f"{{os.getpid()}} {{child.pid}} {{pipe}}")
    time.sleep(120)
""")


def office_pipe(user_installation: str) -> Path:
    """LibreOffice's single-instance socket for a profile URL (desktop/source/app/officeipcthread.cxx,
    sal/osl/unx/pipe.cxx): in /tmp whatever TMPDIR says, named after an MD5 of the URL as LibreOffice
    normalizes it (the real path, escaped as osl escapes), each byte in hex without a leading zero.
    LibreOffice removes it when it ends normally, not when it is killed."""
    real = os.path.realpath(urllib.parse.unquote(user_installation.removeprefix("file://")))
    url = "file://" + urllib.parse.quote(real, safe="/!$&'()*+,:=@~")
    digest = hashlib.md5(url.encode("utf-16-le")).digest()
    return Path("/tmp") / f"OSL_PIPE_{os.getuid()}_SingleOfficeIPC_{''.join(f'{b:x}' for b in digest)}"


def _alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped by whoever inherited it counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def _wait_for(path: Path, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not (path.exists() and path.read_text()):
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the command ended before the pause ({process.returncode}): {out!r} {err!r}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the command never reached the pause")
        time.sleep(0.05)


def _start(tmp_path: Path, pause_in: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    ready = tmp_path / "ready"
    environment = {**os.environ, "PYTHONPATH": str(REPO), "CI": "1", **(env or {})}
    return subprocess.Popen([sys.executable, "-c", _CHILD, str(ready), pause_in, *args], cwd=tmp_path,
                            env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".rg-*"))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
@pytest.mark.parametrize("command", ["build", "report", "init"])
def test_a_signal_while_writing_leaves_no_temporary_file(tmp_path, signum, command):
    book = write_workbook(tmp_path / "book.xlsx")
    out = tmp_path / "out"
    out.mkdir()
    earlier = out / "earlier.txt"
    earlier.write_text("a file that was there before")
    args = {"build": ["build", str(book), "-o", str(out / "chapter.docx"),
                      "--template", str(REPO / "templates" / "report.docx")],
            "report": ["validate", str(book), "--report", str(out / "report.xlsx")],
            "init": ["init", str(out / "blank.xlsx"), "--period", "111/1/1-111/6/30"]}[command]
    process = _start(tmp_path, "fsync", *args)
    _wait_for(tmp_path / "ready", process)
    assert len(_temporaries(out)) == 1  # paused with the temporary file written, not yet renamed
    process.send_signal(signum)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, err
    assert _temporaries(out) == [], err
    assert sorted(p.name for p in out.iterdir()) == ["earlier.txt"]  # nothing half-written, nothing lost
    assert err.startswith("已中斷。（收到 SIG") and "Traceback" not in err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
@pytest.mark.parametrize("command", ["report", "init"])
def test_a_signal_while_openpyxl_writes_leaves_none_of_its_temporary_files(tmp_path, signum, command):
    """openpyxl writes each sheet through a file in the temporary folder, removed only when it saves
    or at exit (which `reportgen` skips): a command cut short removes them with its own folder."""
    book = write_workbook(tmp_path / "book.xlsx")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    args = {"report": ["validate", str(book), "--report", str(tmp_path / "report.xlsx")],
            "init": ["init", str(tmp_path / "blank.xlsx"), "--period", "111/1/1-111/6/30"]}[command]
    process = _start(tmp_path, "openpyxl", *args, env={"TMPDIR": str(temporary)})
    _wait_for(tmp_path / "ready", process)
    assert len(list(temporary.rglob("openpyxl.*"))) == 1  # paused with it made
    process.send_signal(signum)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, err
    assert list(temporary.iterdir()) == [], err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_during_conversion_stops_libreoffice_and_removes_its_profile(tmp_path, signum):
    soffice = tmp_path / "soffice"
    soffice.write_text(_FAKE_SOFFICE.format(python=sys.executable, office_pipe=inspect.getsource(office_pipe)))
    soffice.chmod(0o755)
    temp = tmp_path / "temp"
    temp.mkdir()
    pids = tmp_path / "ready"  # the fake soffice writes its pids: the pause is LibreOffice running
    book = write_workbook(tmp_path / "book.xlsx")
    out = tmp_path / "out" / "chapter.docx"
    process = _start(tmp_path, "none", "build", str(book), "-o", str(out), "--odt",
                     "--template", str(REPO / "templates" / "report.docx"),
                     env={"REPORTGEN_SOFFICE": str(soffice), "FAKE_SOFFICE_PIDS": str(pids),
                          "TMPDIR": str(temp)})
    _wait_for(pids, process)
    office, child, pipe = pids.read_text().split()
    office, child, pipe = int(office), int(child), Path(pipe)
    assert _alive(office) and _alive(child) and pipe.is_socket()
    assert [p.name for p in temp.iterdir() if p.name.startswith("reportgen-soffice-")]
    process.send_signal(signum)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, err
    deadline = time.monotonic() + 10
    while (_alive(office) or _alive(child)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(office) and not _alive(child)  # soffice and what it started: its whole group
    assert sorted(temp.iterdir()) == []  # the temporary profile folder is gone
    assert not pipe.exists()  # and LibreOffice's socket for it in /tmp
    assert out.is_file() and not out.with_suffix(".odt").exists()
    assert _temporaries(out.parent) == []
    assert "Word 文件" in err and "已產生" in err


def _office_processes(marker: str) -> list[int]:
    """Live processes whose command line names `marker` (reportgen's temporary profile)."""
    return list(_office_commands(marker))


def _office_commands(marker: str) -> dict[int, list[str]]:
    """The same processes, with their arguments."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().decode("utf-8", "replace").split("\0")
        except OSError:
            continue
        if any(marker in a for a in args) and _alive(int(entry.name)):
            found[int(entry.name)] = args
    return found


@pytest.mark.slow
@pytest.mark.skipif(not any((Path(p) / "soffice").exists() for p in os.environ.get("PATH", "").split(":")),
                    reason="LibreOffice is not installed")
def test_sigterm_during_a_real_libreoffice_conversion(tmp_path):
    temp = tmp_path / "temp"
    temp.mkdir()
    book = write_workbook(tmp_path / "book.xlsx")
    out = tmp_path / "out" / "chapter.docx"
    process = _start(tmp_path, "none", "build", str(book), "-o", str(out), "--pdf",
                     "--template", str(REPO / "templates" / "report.docx"), env={"TMPDIR": str(temp)})
    marker = str(temp / "reportgen-soffice-")
    deadline = time.monotonic() + 60
    while not (commands := _office_commands(marker)):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.05)
    profile = next(a for args in commands.values() for a in args if a.startswith("-env:UserInstallation="))
    pipe = office_pipe(profile.split("=", 1)[1])
    while not pipe.is_socket():  # LibreOffice has started soffice.bin, which made its socket
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.02)
    time.sleep(0.2)  # and begun with its profile
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, err
    deadline = time.monotonic() + 10
    while _office_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _office_processes(marker) == []
    assert sorted(temp.iterdir()) == []
    assert not pipe.exists()  # its socket in /tmp, left by a killed LibreOffice, is removed too
    assert not out.with_suffix(".pdf").exists() and _temporaries(out.parent) == []
