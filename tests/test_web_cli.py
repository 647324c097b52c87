"""`reportgen serve` as staff start it: the start lines, the access code, Ctrl-C, a busy port."""

from __future__ import annotations

import html
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from helpers import EXAMPLE, REPO, is_expected_chapter, run_cli

# Each case starts `reportgen serve` in a child process: slow by the marker (CI runs them).
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], list[str]]:
    """Start the server; return it and its first lines (up to the Ctrl-C hint)."""
    process = subprocess.Popen([sys.executable, "-m", "reportgen", "serve", *args], cwd=REPO, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
    lines = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if "Ctrl-C" in line:
            break
    return process, lines


def get(url: str) -> int:
    """The final status, following redirects with a cookie jar as a browser does."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    for _ in range(50):
        try:
            with opener.open(url, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"no answer from {url}")


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process.returncode, err


def test_loopback_by_default_and_ctrl_c_stops_without_a_traceback():
    port = free_port()
    process, lines = start("--port", str(port))
    try:
        assert lines[0] == f"reportgen 網頁版已啟動：http://127.0.0.1:{port}/"
        assert get(f"http://127.0.0.1:{port}/") == 200
    finally:
        code, err = stop(process)
    assert code == 0
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert "reportgen 網頁版已停止。" in err


def test_another_loopback_address_is_served_under_its_own_name():
    """`--host 127.0.0.2` needs no access code (it is loopback) and answers the link it prints."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.2", 0))
        port = sock.getsockname()[1]
    process, lines = start("--host", "127.0.0.2", "--port", str(port))
    try:
        assert lines[0] == f"reportgen 網頁版已啟動：http://127.0.0.2:{port}/"
        assert get(f"http://127.0.0.2:{port}/") == 200
    finally:
        stop(process)


def login(base: str, code: str) -> int:
    """Type the code into the login form as a browser does (same-origin POST, cookies kept)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    request = urllib.request.Request(base + "/login", data=urllib.parse.urlencode({"code": code}).encode(),
                                     headers={"Origin": base})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_another_host_prints_a_fresh_access_code_and_a_one_time_link():
    """The code is printed to be typed, never put in a link; the printed link is spent once used."""
    port = free_port()
    process, lines = start("--host", "0.0.0.0", "--port", str(port), env={"REPORTGEN_SERVE_PASSWORD": ""})
    base = f"http://127.0.0.1:{port}"
    try:
        text = "\n".join(lines)
        code = re.search(r"存取碼：([\w-]+)", text).group(1)
        links = re.findall(r"http://\S+", text)
        assert any(re.fullmatch(rf"http://\S+:{port}/", link) for link in links)
        invite = next(link for link in links if "?invite=" in link)
        assert not any(code in link for link in links)
        assert get(base + "/") == 401
        assert get(f"{base}/?token={code}") == 401  # an address never carries the code
        assert login(base, code) == 200  # redirected home with the cookie set
        one_time = base + invite[invite.index("/?invite="):]
        assert get(one_time) == 200 and get(one_time) == 403
    finally:
        status, err = stop(process)
    assert status == 0 and "Traceback" not in err
    assert code not in err  # the code is not logged


def test_a_configured_password_replaces_the_random_code():
    port = free_port()
    process, lines = start("--host", "0.0.0.0", "--port", str(port), env={"REPORTGEN_SERVE_PASSWORD": "office-pw-123"})
    try:
        text = "\n".join(lines)
        assert "office-pw-123" not in text and "環境變數 REPORTGEN_SERVE_PASSWORD 所設定的密碼" in text
        assert get(f"http://127.0.0.1:{port}/?token=office-pw-123") == 401
        assert login(f"http://127.0.0.1:{port}", "office-pw-123") == 200
        assert get(f"http://127.0.0.1:{port}/") == 401  # a new browser (no cookie) asks again
    finally:
        stop(process)


def test_a_short_configured_password_is_refused_at_start():
    result = subprocess.run(  # a subprocess: before the refusal existed, this served until killed
        [sys.executable, "-m", "reportgen", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
        cwd=REPO, text=True, capture_output=True, timeout=60,
        env={**os.environ, "REPORTGEN_SERVE_PASSWORD": "pw-1234"})  # 7 characters
    assert result.returncode == 2
    assert "REPORTGEN_SERVE_PASSWORD" in result.stderr and "至少 8 個字元" in result.stderr
    assert "pw-1234" not in result.stderr + result.stdout and "Traceback" not in result.stderr
    assert "已啟動" not in result.stdout


def test_a_busy_port_is_a_clear_message():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        result = run_cli("serve", "--port", str(port))
    assert result.code == 2
    assert f"連接埠 {port} 已被其他程式使用" in result.err


def test_an_impossible_port_is_a_clear_message():
    result = run_cli("serve", "--port", "70000")
    assert result.code == 2 and "連接埠 70000 不存在" in result.err


@pytest.mark.parametrize("args", [["--help"]])
def test_serve_help_is_chinese(args):
    result = run_cli("serve", *args)
    assert result.code == 0 and "--host" in result.out and "存取碼" in result.out


# Stopping and big uploads: a real `reportgen serve` process (slow) -------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def big_workbook(folder, rows: int):
    import sys as _sys

    _sys.path.insert(0, str(REPO / "bench"))
    import workbooks  # bench/workbooks.py: valid synthetic workbooks of any size

    return workbooks.write(folder / f"rows-{rows}.xlsx", rows)


def post_in_background(url: str, path, answers: list):
    import threading

    import httpx

    def post() -> None:
        try:
            response = httpx.post(url + "/check", files=[("workbooks", (path.name, path.read_bytes(), XLSX))],
                                  timeout=120, follow_redirects=True)
            answers.append((response.status_code, response.text))
        except httpx.HTTPError as exc:
            answers.append((0, type(exc).__name__))

    thread = threading.Thread(target=post)
    thread.start()
    return thread


@pytest.fixture(scope="module")
def thirty_thousand_rows(tmp_path_factory):
    """A workbook whose check takes a few seconds: long enough to stop the server in the middle."""
    return big_workbook(tmp_path_factory.mktemp("big"), 30000)


@pytest.mark.slow
@pytest.mark.parametrize(("signal_name", "moment"), [
    ("SIGINT", "openpyxl."),  # Ctrl-C while the annotated report is written (openpyxl's temporary files)
    ("SIGTERM", "openpyxl."),
    ("SIGHUP", "inputs"),  # the terminal closed while the upload's copy is being read
])
def test_stopping_in_the_middle_of_a_check_leaves_nothing_on_disk(tmp_path, thirty_thousand_rows, signal_name,
                                                                  moment):
    """With a private TMPDIR: once the server has stopped, the folder is empty — no copy of the
    upload, no openpyxl temporary file full of cell text — and the browser got a Chinese page."""
    private = tmp_path / "tmp"
    private.mkdir()
    port = free_port()
    process, lines = start("--port", str(port), env={"TMPDIR": str(private)})
    answers: list = []
    try:
        assert lines and "已啟動" in lines[0]
        assert get(f"http://127.0.0.1:{port}/") == 200
        posting = post_in_background(f"http://127.0.0.1:{port}", thirty_thousand_rows, answers)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait for the moment to stop at
            if any(moment in path.name for path in private.rglob("*")):
                break
            time.sleep(0.02)
        else:
            raise AssertionError(f"no {moment} in the private folder: {list(private.rglob('*'))}")
        assert any(moment in path.name for path in private.rglob("*"))
        process.send_signal(getattr(signal, signal_name))
        _, err = process.communicate(timeout=60)
        posting.join(60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "Traceback" not in err and "reportgen 網頁版已停止。" in err
    assert list(private.rglob("*")) == []
    assert answers and answers[0][0] == 503 and "伺服器正在停止" in answers[0][1]


@pytest.mark.slow
def test_two_of_the_largest_uploads_leave_room_for_the_example(tmp_path):
    """Two uploads predicted at the largest a check may take, checked at once; the example sent
    meanwhile comes back with its chapter within 10 s; the server stays under 1 GB and gives most
    of it back. (bench/serve_memory.py --fairness prints the same figures.)"""
    from reportgen.web import estimate
    from reportgen.web.config import ServeConfig

    limit = ServeConfig().max_check_memory
    per_row = (estimate.predicted_memory([big_workbook(tmp_path, 2000).read_bytes()]) - estimate.BASE) / 2000
    rows = int((limit - estimate.BASE) / per_row) // 1000 * 1000
    biggest = big_workbook(tmp_path, rows)
    while estimate.predicted_memory([biggest.read_bytes()]) > limit:
        rows -= 1000
        biggest = big_workbook(tmp_path, rows)
    assert estimate.predicted_memory([biggest.read_bytes()]) > limit * 0.9

    def memory(pid: int) -> dict[str, int]:
        values = {}
        for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
            key, _, rest = line.partition(":")
            values[key] = int(rest.split()[0]) * 1024 if rest.strip().endswith("kB") else 0
        return values

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process, _ = start("--port", str(port))
    try:
        assert get(base + "/") == 200
        warm: list = []
        post_in_background(base, EXAMPLE, warm).join(60)
        before = memory(process.pid)["VmRSS"]
        big: list = []
        threads = [post_in_background(base, biggest, big) for _ in range(2)]
        time.sleep(1.5)  # both received and being checked
        example: list = []
        started = time.monotonic()
        post_in_background(base, EXAMPLE, example).join(60)
        took = time.monotonic() - started
        for thread in threads:
            thread.join(120)
        time.sleep(0.5)
        after = memory(process.pid)
    finally:
        stop(process)
    assert [status for status, _ in big] == [200, 200]
    status, page = example[0]
    assert status == 200 and took < 10
    match = re.search(r'<pre id="plain-text">(.*?)</pre>', page, re.S)
    assert is_expected_chapter(html.unescape(match.group(1)).splitlines())
    assert after["VmHWM"] < 1024 ** 3
    assert after["VmRSS"] < before + (after["VmHWM"] - before) / 2  # most of the peak given back
