"""The page on a free loopback port in a background thread: for tests, benchmarks and screenshots."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

from starlette.applications import Starlette

from .app import ServeConfig, create_app
from .server import uvicorn_server


@contextlib.contextmanager
def running(config: ServeConfig | None = None, app: Starlette | None = None) -> Iterator[str]:
    """Serve `app` (or a new one for `config`) on 127.0.0.1 at a free port until the block ends;
    yields the base URL. The app's lifespan runs: its scratch folder is made and removed."""
    app = app or create_app(config)
    config = app.state.config
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    server = uvicorn_server(app, config, graceful=2)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
