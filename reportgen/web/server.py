"""Start the page on uvicorn: loopback by default; any other address needs an access code.

Stopping (Ctrl-C, SIGTERM, SIGHUP when the terminal closes) answers the checks in progress with a
Chinese page, then removes the server's scratch folder (scratch.py) before the process ends.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import os
import secrets
import signal
import socket
import sys
from typing import Any, ClassVar

from ..errors import FatalError, os_reason
from .app import ServeConfig, create_app
from .capacity import one_allocator_arena
from .http11 import protocol
from .scratch import Scratch

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
        if exc.errno in (errno.EADDRNOTAVAIL, 10049):  # a valid address, but none of this machine's
            raise FatalError(f"這台電腦沒有 {host} 這個網路位址；請以 --host 指定本機的 IP，"
                             "或用 0.0.0.0 接受所有網路介面。") from exc
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


class ChineseConsole(logging.Filter):
    """The console staff watch says in Chinese what the server's parts say in English: a request
    uvicorn cannot read, a form python-multipart cannot parse (its words name bytes, not a file)."""

    KNOWN: ClassVar[dict[str, str]] = {
        "Invalid HTTP request received.": "收到無法解讀的要求（不是由本網頁送出），已回覆錯誤頁。"}
    FORM = "收到格式不正確的上傳表單，已拒絕。"

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("reportgen"):
            return True
        said = self.KNOWN.get(record.getMessage())
        if said is None and record.name.startswith(("python_multipart", "multipart")):
            said = self.FORM
        if said is not None:
            record.msg, record.args = said, ()
        return True


def uvicorn_server(app: Any, config: ServeConfig, graceful: float = 5.0):  # -> Server
    """uvicorn as the page runs it, here and in background.py: the HTTP/1.1 protocol with the
    header time limit, no access log (it would name files), no Server header."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            app.state.closing.set()  # checks in progress answer 503 at once, in Chinese
            super().handle_exit(sig, frame)

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            try:
                await super().shutdown(sockets)
            finally:  # also after a second Ctrl-C, which skips the app's own shutdown
                app.state.closing.set()
                if app.state.scratch is not None:
                    app.state.scratch.remove()

    return Server(uvicorn.Config(app, http=protocol(config.header_timeout), log_level="warning",
                                 access_log=False, server_header=False, timeout_graceful_shutdown=graceful,
                                 log_config=None, lifespan="on"))


class _Stopped(Exception):
    """SIGTERM or SIGHUP, raised once uvicorn has shut down and given the signal back."""


def _stop(signum: int, frame: Any) -> None:
    raise _Stopped(signum)


def run(host: str = "127.0.0.1", port: int = 8000) -> int:
    """Serve until stopped; returns the exit code. Only the start and stop lines are printed."""
    config, kind = config_for(host)
    sock = _bind(host, port)
    actual = sock.getsockname()[1]
    shown = host if host not in ("0.0.0.0", "::", "[::]") else _lan_address()
    shown = f"[{shown}]" if ":" in shown and not shown.startswith("[") else shown
    base = f"http://{shown}:{actual}/"
    one_allocator_arena()
    scratch = Scratch(process_wide=True)
    app = create_app(config, scratch)
    if kind == "":
        print(f"reportgen 網頁版已啟動：{base}\n（只有這台電腦能開啟；要讓同事連線請加 --host，見 README。）")
    else:
        code = (f"{config.access_code}（每次啟動都會不同；也可設定環境變數 {PASSWORD_ENV} 使用固定密碼）"
                if kind == "token" else f"環境變數 {PASSWORD_ENV} 所設定的密碼")
        hours = config.invite_seconds / 3600
        print(f"reportgen 網頁版已啟動，同事請以瀏覽器開啟：\n    {base}\n"
              f"存取碼：{code}\n（第一次開啟時輸入存取碼，瀏覽器關閉前不必再輸入；存取碼不放在網址裡，以免留在瀏覽紀錄。）\n"
              f"只能使用一次的連結（{hours:g} 小時內有效，點開即可使用，不必輸入存取碼；"
              f"登入後可在網頁下方再產生）：\n    {base}?invite={app.state.invites.make()}")
    print("按 Ctrl-C 停止服務。", flush=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for handler in logging.getLogger().handlers:
        handler.addFilter(ChineseConsole())
    server = uvicorn_server(app, config)
    previous = {}
    for name in ("SIGTERM", "SIGHUP"):  # uvicorn catches SIGTERM, then raises it again once stopped
        number = getattr(signal, name, None)
        if number is not None:
            previous[number] = signal.signal(number, _stop)
    hangup = getattr(signal, "SIGHUP", None)
    if hangup is not None:  # uvicorn does not catch SIGHUP: stop the same way as on Ctrl-C
        signal.signal(hangup, lambda signum, frame: server.handle_exit(signal.SIGINT, frame))
    try:
        server.run(sockets=[sock])
    except (KeyboardInterrupt, _Stopped):
        pass
    finally:
        sock.close()
        scratch.remove()
        for number, handler in previous.items():
            signal.signal(number, handler)
    print("reportgen 網頁版已停止。", file=sys.stderr)
    return 0
