"""uvicorn's HTTP/1.1 protocol with a time limit on a request's headers.

uvicorn closes a keep-alive connection that stays idle after a response, but a connection that
opens and then sends its request line and headers a byte at a time (or nothing at all) is kept
as long as the client likes: forty of them hold forty sockets for good. Here a connection whose
request has not finished its headers within `header_timeout` seconds is closed. The body of an
upload has its own limit in the app (`upload_timeout`).
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


class HeaderTimeout(H11Protocol):
    """H11Protocol, closing connections whose request headers take longer than `header_timeout`."""

    header_timeout = 20.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._waiting_since: float | None = self.loop.time()
        self._header_check = self.loop.call_later(self._interval(), self._check_headers)

    def _interval(self) -> float:
        return min(1.0, self.header_timeout / 4)

    def _check_headers(self) -> None:
        """Runs every second or so: h11 stays IDLE until a request's headers are complete."""
        if self.transport.is_closing():
            return
        now = self.loop.time()
        if self.conn.their_state is not h11.IDLE:
            self._waiting_since = None
        elif self._waiting_since is None:
            self._waiting_since = now
        elif now - self._waiting_since >= self.header_timeout:
            self.transport.close()
            return
        self._header_check = self.loop.call_later(self._interval(), self._check_headers)

    def connection_lost(self, exc: Exception | None) -> None:
        self._header_check.cancel()
        super().connection_lost(exc)


def protocol(header_timeout: float) -> type[HeaderTimeout]:
    """The protocol class uvicorn is given (`http=`), with this server's limit."""
    return type("HeaderTimeout", (HeaderTimeout,), {"header_timeout": header_timeout})
