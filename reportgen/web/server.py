"""Start the page on uvicorn: loopback by default; any other address needs an access code."""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import socket
import sys

from ..errors import FatalError, os_reason
from .app import ServeConfig, create_app

PASSWORD_ENV = "REPORTGEN_SERVE_PASSWORD"
PASSWORD_MIN = 8  # characters; a wrong guess costs a second, one at a time


def is_loopback(host: str) -> bool:
    """127.0.0.1, ::1 and localhost reach only this machine; everything else the network."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _lan_address() -> str:
    """This machine's address on the office network, for the link staff open (no packet is sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            return probe.getsockname()[0]
    except OSError:
        return socket.gethostname()


def _bind(host: str, port: int) -> socket.socket:
    if not 0 <= port <= 65535:
        raise FatalError(f"連接埠 {port} 不存在；請指定 1 到 65535 之間的號碼，例如 --port 8000。")
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    if os.name != "nt":  # on Windows SO_REUSEADDR would let a second server share a busy port
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        if exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
            raise FatalError(f"連接埠 {port} 已被其他程式使用；請以 --port 指定其他號碼，例如 --port 8001。") from exc
        if isinstance(exc, socket.gaierror):
            raise FatalError(f"找不到主機位址 {host}；請以 --host 指定本機的 IP，"
                             "或用 0.0.0.0 接受所有網路介面。") from exc
        raise FatalError(f"無法在 {host}:{port} 提供服務：{os_reason(exc)}。") from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def config_for(host: str) -> tuple[ServeConfig, str]:
    """The access rule for `host`: none on loopback; else the configured password or a random code.

    A configured password shorter than PASSWORD_MIN characters is refused (FatalError, exit 2).
    """
    if is_loopback(host):
        return ServeConfig(host=host), ""
    password = os.environ.get(PASSWORD_ENV, "")
    if password:
        if len(password) < PASSWORD_MIN:
            raise FatalError(f"環境變數 {PASSWORD_ENV} 所設定的密碼只有 {len(password)} 個字元，太短，"
                             f"容易被猜中；請改設至少 {PASSWORD_MIN} 個字元的密碼，"
                             f"或取消這個環境變數，改用每次啟動時產生的存取碼。")
        return ServeConfig(access_code=password, loopback=False, host=host), "password"
    return ServeConfig(access_code=secrets.token_urlsafe(18), loopback=False, host=host), "token"


def run(host: str = "127.0.0.1", port: int = 8000) -> int:
    """Serve until Ctrl-C; returns the exit code. Only the start and stop lines are printed."""
    import uvicorn

    config, kind = config_for(host)
    sock = _bind(host, port)
    actual = sock.getsockname()[1]
    shown = host if host not in ("0.0.0.0", "::", "[::]") else _lan_address()
    shown = f"[{shown}]" if ":" in shown and not shown.startswith("[") else shown
    base = f"http://{shown}:{actual}/"
    if kind == "":
        print(f"reportgen 網頁版已啟動：{base}\n（只有這台電腦能開啟；要讓同事連線請加 --host，見 README。）")
    elif kind == "token":
        print(f"reportgen 網頁版已啟動，同事請以瀏覽器開啟：\n    {base}?token={config.access_code}\n"
              f"存取碼：{config.access_code}（每次啟動都會不同；也可設定環境變數 {PASSWORD_ENV} 使用固定密碼）")
    else:
        print(f"reportgen 網頁版已啟動，同事請以瀏覽器開啟：{base}\n存取碼：環境變數 {PASSWORD_ENV} 所設定的密碼。")
    print("按 Ctrl-C 停止服務。", flush=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    server = uvicorn.Server(uvicorn.Config(
        create_app(config), log_level="warning", access_log=False, server_header=False,
        timeout_graceful_shutdown=5, log_config=None))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    print("reportgen 網頁版已停止。", file=sys.stderr)
    return 0
