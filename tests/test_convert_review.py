"""Review findings on the LibreOffice conversion (SPEC §6): a stopped or crashed LibreOffice leaves no
single-instance socket in /tmp, and a file-size limit (EFBIG, `ulimit -f`) is named as such.

LibreOffice's single-instance socket is /tmp/OSL_PIPE_<uid>_SingleOfficeIPC_<hash>, the hash an MD5
of the profile's URL as LibreOffice normalizes it (desktop/source/app/officeipcthread.cxx,
sal/osl/unx/pipe.cxx). It removes the socket when it ends normally; killed or crashed, it does not.
The stand-in soffice below makes that socket as LibreOffice does, with this file's own reckoning of
the name, so the test does not just repeat convert.py's.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import urllib.parse
from pathlib import Path

import pytest

from helpers import EXAMPLE, REPO
from reportgen.errors import FatalError
from reportgen.write import convert

posix_only = pytest.mark.skipif(os.name != "posix" or not hasattr(socket, "AF_UNIX"),
                                reason="LibreOffice's socket and RLIMIT_FSIZE are POSIX's")
EFBIG_WORDS = "檔案超過系統允許的大小上限"  # errors.os_reason for errno.EFBIG


def office_pipe(user_installation: str) -> Path:
    """Where LibreOffice puts its single-instance socket for a profile URL: the path made real
    (symbolic links resolved), escaped as osl escapes it, MD5 of its UTF-16, each byte in hex
    without a leading zero."""
    real = os.path.realpath(urllib.parse.unquote(user_installation.removeprefix("file://")))
    url = "file://" + urllib.parse.quote(real, safe="/!$&'()*+,:=@~")
    digest = hashlib.md5(url.encode("utf-16-le")).digest()
    return Path("/tmp") / f"OSL_PIPE_{os.getuid()}_SingleOfficeIPC_{''.join(f'{b:x}' for b in digest)}"


# A stand-in soffice that binds LibreOffice's socket for its profile, notes its path, then ends as
# FAKE_SOFFICE_MODE says: "crash" (exit 134, the socket left, as on SIGXFSZ) or "linger" (a child
# still listening on the socket, as an office that is still running).
_FAKE = textwrap.dedent("""\
    #!{python}
    import hashlib, os, socket, sys, time, urllib.parse
    from pathlib import Path
    url = next(a for a in sys.argv if a.startswith("-env:UserInstallation=")).split("=", 1)[1]
    real = os.path.realpath(urllib.parse.unquote(url.removeprefix("file://")))
    digest = hashlib.md5(("file://" + urllib.parse.quote(real, safe="/!$&'()*+,:=@~")).encode("utf-16-le")).digest()
    name = "/tmp/OSL_PIPE_%d_SingleOfficeIPC_%s" % (os.getuid(), "".join("%x" % b for b in digest))
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(name)
    server.listen(5)
    note = Path(os.environ["FAKE_SOFFICE_NOTE"])
    if os.environ["FAKE_SOFFICE_MODE"] == "linger":
        pid = os.fork()
        if pid == 0:  # away from reportgen's pipes, so its wait for soffice ends
            os.setsid()
            quiet = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(quiet, fd)
            time.sleep(30)
            os._exit(0)
        note.write_text(f"{{name}} {{pid}}")
        os._exit(1)
    note.write_text(name)
    os._exit(134)
""")


@pytest.fixture
def socket_office(tmp_path, monkeypatch):
    """The stand-in above as $REPORTGEN_SOFFICE; returns the file it notes its socket in."""
    fake = tmp_path / "soffice"
    fake.write_text(_FAKE.format(python=sys.executable))
    fake.chmod(0o755)
    note = tmp_path / "note"
    monkeypatch.setenv(convert.SOFFICE_ENV, str(fake))
    monkeypatch.setenv("FAKE_SOFFICE_NOTE", str(note))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "temp"))
    (tmp_path / "temp").mkdir()
    monkeypatch.setattr(convert.tempfile, "tempdir", None)  # TMPDIR is read again
    made: list[Path] = []
    yield note, made
    for path in made:
        if path.is_socket():
            path.unlink()


@posix_only
def test_a_crashed_libreoffice_leaves_no_socket_and_another_profiles_is_kept(tmp_path, monkeypatch, socket_office):
    note, made = socket_office
    monkeypatch.setenv("FAKE_SOFFICE_MODE", "crash")
    # A stale socket of some other LibreOffice profile: not reportgen's, so it stays.
    other = office_pipe((tmp_path / "someone-else" / "profile").as_uri())
    made.append(other)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(other))
    docx = tmp_path / "chapter.docx"
    docx.write_bytes(b"PK")
    with pytest.raises(FatalError, match="結束代碼 134"):
        convert.convert(docx, ["pdf"])
    ours = Path(note.read_text())
    made.append(ours)
    assert ours.name.startswith(f"OSL_PIPE_{os.getuid()}_SingleOfficeIPC_")
    assert not ours.exists() and not ours.is_symlink()  # LibreOffice's socket for reportgen's profile is gone
    assert other.is_socket()  # somebody else's is not touched
    assert list((tmp_path / "temp").iterdir()) == []


@posix_only
def test_a_socket_a_process_still_listens_on_is_left_alone(tmp_path, monkeypatch, socket_office):
    note, made = socket_office
    monkeypatch.setenv("FAKE_SOFFICE_MODE", "linger")
    monkeypatch.setattr(convert, "PIPE_PATIENCE", 0.1, raising=False)
    docx = tmp_path / "chapter.docx"
    docx.write_bytes(b"PK")
    try:
        with pytest.raises(FatalError, match="結束代碼 1"):
            convert.convert(docx, ["pdf"])
        name = note.read_text().split()[0]
        made.append(Path(name))
        assert Path(name).is_socket()  # something still answers on it: never removed
    finally:
        if note.exists():
            os.kill(int(note.read_text().split()[1]), signal.SIGKILL)


# --- a file-size limit (EFBIG) ---------------------------------------------------------------------

def _shell_office(folder: Path, script: str, monkeypatch) -> None:
    path = folder / "soffice"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    monkeypatch.setenv(convert.SOFFICE_ENV, str(path))


# A stand-in soffice that writes 4 KB of its PDF, then aborts as LibreOffice's crash handler does.
WRITES_4_KB_THEN_ABORTS = ('while [ "$1" != "--outdir" ]; do shift; done\nmkdir -p "$2"\n'
                           'head -c 4096 /dev/zero > "$2/input.pdf"\nexit 134\n')


def _failed_conversion(folder: Path, kind: str):
    """Convert a stand-in chapter.docx in `folder` to `kind`; the .docx and the FatalError it raised."""
    docx = folder / "chapter.docx"
    docx.write_bytes(b"PK")
    with pytest.raises(FatalError) as caught:
        convert.convert(docx, [kind])
    return docx, caught.value


@posix_only
def test_libreoffice_stopped_at_the_file_size_limit_is_named(tmp_path, monkeypatch):
    """LibreOffice's own crash handler turns SIGXFSZ into an abort (exit 134); the file it was
    writing, cut at the limit, tells why."""
    monkeypatch.setattr(convert, "_size_limit", lambda: 4096)
    _shell_office(tmp_path, WRITES_4_KB_THEN_ABORTS, monkeypatch)
    docx, caught = _failed_conversion(tmp_path, "pdf")
    message = caught.message
    assert message.startswith(f"LibreOffice 無法將 chapter.docx 轉成 PDF：{EFBIG_WORDS}（上限 4 KB）。")
    assert "重新安裝" not in message and "結束代碼" not in message
    assert message.endswith(f"Word 文件 {docx} 已產生，不受影響。")
    assert caught.exit_code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chapter.docx", "soffice"]  # no partial PDF


@posix_only
def test_libreoffice_killed_by_sigxfsz_is_named(tmp_path, monkeypatch):
    _shell_office(tmp_path, "kill -XFSZ $$\n", monkeypatch)
    docx, caught = _failed_conversion(tmp_path, "odt")
    assert caught.message.startswith(f"LibreOffice 無法將 chapter.docx 轉成 ODF 文字文件（.odt）：{EFBIG_WORDS}")
    assert not docx.with_suffix(".odt").exists()


@posix_only
def test_a_crash_below_the_file_size_limit_is_no_efbig(tmp_path, monkeypatch):
    """A limit that was not reached is not blamed: the usual message, with the exit code."""
    monkeypatch.setattr(convert, "_size_limit", lambda: 1 << 20)
    _shell_office(tmp_path, WRITES_4_KB_THEN_ABORTS, monkeypatch)
    _docx, caught = _failed_conversion(tmp_path, "pdf")
    assert "（結束代碼 134）" in caught.message and EFBIG_WORDS not in caught.message


def test_the_file_size_limit_is_read_from_the_system():
    limit = convert._size_limit()
    try:
        import resource
    except ImportError:
        assert limit is None
        return
    soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    assert limit == (None if soft == resource.RLIM_INFINITY else soft)


@pytest.mark.slow  # a real LibreOffice under a real file-size limit
@posix_only
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_a_real_file_size_limit_during_conversion(tmp_path):
    import resource

    book = tmp_path / "book.xlsx"
    shutil.copy(EXAMPLE, book)  # the example chapter: a PDF of some 400 KB, a .docx under 10 KB
    out = tmp_path / "out" / "efb.docx"
    temp = tmp_path / "temp"
    temp.mkdir()

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (100 * 1024, resource.RLIM_INFINITY))

    done = subprocess.run(
        [sys.executable, "-m", "reportgen", "build", str(book), "-o", str(out), "--pdf",
         "--template", str(REPO / "templates" / "report.docx")],
        cwd=tmp_path, capture_output=True, text=True, preexec_fn=limit, timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(temp)})
    assert done.returncode == 2, done.stderr
    assert f"LibreOffice 無法將 efb.docx 轉成 PDF：{EFBIG_WORDS}（上限 100 KB）。" in done.stderr
    assert "重新安裝" not in done.stderr and "結束代碼" not in done.stderr
    assert f"Word 文件 {out} 已產生，不受影響。" in done.stderr
    assert sorted(p.name for p in out.parent.iterdir()) == ["efb.docx"]  # no partial PDF, no temporary file
    assert list(temp.iterdir()) == []
