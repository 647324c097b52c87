"""`reportgen serve` as staff start it: the start lines, the access code, Ctrl-C, a busy port."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from helpers import REPO, run_cli


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


def test_another_host_prints_a_link_with_a_fresh_access_code(monkeypatch):
    port = free_port()
    process, lines = start("--host", "0.0.0.0", "--port", str(port), env={"REPORTGEN_SERVE_PASSWORD": ""})
    try:
        text = "\n".join(lines)
        match = re.search(r"http://\S+:(\d+)/\?token=([\w-]+)", text)
        assert match and int(match.group(1)) == port
        token = match.group(2)
        assert f"存取碼：{token}" in text
        assert get(f"http://127.0.0.1:{port}/") == 401
        assert get(f"http://127.0.0.1:{port}/?token=wrong") == 403
        assert get(f"http://127.0.0.1:{port}/?token={token}") == 200  # redirected with the cookie set
    finally:
        code, err = stop(process)
    assert code == 0 and "Traceback" not in err
    assert token not in err  # the code is not logged


def test_a_configured_password_replaces_the_random_code():
    port = free_port()
    process, lines = start("--host", "0.0.0.0", "--port", str(port), env={"REPORTGEN_SERVE_PASSWORD": "office-pw-123"})
    try:
        assert "token=" not in "\n".join(lines) and "office-pw-123" not in "\n".join(lines)
        assert get(f"http://127.0.0.1:{port}/?token=office-pw-123") == 200
        assert get(f"http://127.0.0.1:{port}/") == 401
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
