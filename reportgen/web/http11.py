"""uvicorn's HTTP/1.1 protocol with a time limit on a request's headers, answering in Chinese.

uvicorn closes a keep-alive connection that stays idle after a response, but a connection that
opens and then sends its request line and headers a byte at a time (or nothing at all) is kept
as long as the client likes: forty of them hold forty sockets for good. Here a connection whose
request has not finished its headers within `header_timeout` seconds is closed. The body of an
upload has its own limit in the app (`upload_timeout`).

A request h11 cannot read (raw bytes in its address, a broken request line) never reaches the
app: uvicorn answers it itself, in English plain text without the page's headers. Here that
answer is the page's own Chinese error page, with the same security headers.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from .guard import security_headers

BAD_REQUEST = ("<!doctype html><html lang=\"zh-Hant-TW\"><meta charset=\"utf-8\"><title>無法處理這個要求</title>"
               "<p>瀏覽器送來的要求格式不正確，無法處理。請從網頁重新操作；若是自行輸入網址，請檢查網址。</p>")


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

    def send_400_response(self, msg: str) -> None:
        """The Chinese page, not uvicorn's English `Invalid HTTP request received.`."""
        body = BAD_REQUEST.encode()
        headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                   (b"connection", b"close"), *((k.encode(), v.encode()) for k, v in security_headers().items())]
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"), h11.Data(data=body),
                      h11.EndOfMessage()):
            self.transport.write(self.conn.send(event))
        self.transport.close()


def protocol(header_timeout: float) -> type[HeaderTimeout]:
    """The protocol class uvicorn is given (`http=`), with this server's limit."""
    return type("HeaderTimeout", (HeaderTimeout,), {"header_timeout": header_timeout})
