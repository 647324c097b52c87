"""Results held in memory (never on disk) under a random token for a few minutes: the result page,
so the browser can reload it and go back to it (post/redirect/get), and the files it offers.

Bounded by count and by bytes: past either, the oldest results are dropped first (their pages and
links then say they expired), never the one just made. Pages are kept gzip-compressed.
"""

from __future__ import annotations

import asyncio
import gzip
import secrets
import time
from dataclasses import dataclass, field

from .config import MB
from .pipeline import Download


@dataclass
class Result:
    expires: float
    page: bytes  # the result page's HTML, gzip-compressed
    status: int
    files: dict[str, Download]
    pdf_lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one conversion at a time

    @property
    def size(self) -> int:
        return len(self.page) + sum(len(d.data) for d in self.files.values())

    def html(self) -> bytes:
        return gzip.decompress(self.page)


class Results:
    def __init__(self, keep_seconds: float, capacity: int = 200, max_bytes: int = 128 * MB) -> None:
        self.keep, self.capacity, self.max_bytes = keep_seconds, capacity, max_bytes
        self._entries: dict[str, Result] = {}

    def _purge(self, keep: str | None = None) -> None:
        now = time.monotonic()
        for token in [t for t, e in self._entries.items() if e.expires <= now and t != keep]:
            del self._entries[token]
        older = [t for t in self._entries if t != keep]
        while older and (len(self._entries) > self.capacity or self.bytes() > self.max_bytes):
            del self._entries[older.pop(0)]

    def bytes(self) -> int:
        return sum(e.size for e in self._entries.values())

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(24)

    def put(self, token: str, page: str, status: int, files: dict[str, Download]) -> None:
        """Keep a result page (made with its own token in its links) and its files."""
        self._entries[token] = Result(time.monotonic() + self.keep, gzip.compress(page.encode("utf-8"), 6),
                                      status, files)
        self._purge(keep=token)

    def add(self, token: str, kind: str, download: Download) -> None:
        """A file made later for a download (the PDF); counted in the budget like the others."""
        entry = self._entries.get(token)
        if entry is not None:
            entry.files[kind] = download
            self._purge(keep=token)

    def get(self, token: str) -> Result | None:
        entry = self._entries.get(token)
        if entry is None or entry.expires <= time.monotonic():
            self._entries.pop(token, None)
            return None
        return entry

    def __len__(self) -> int:
        self._purge()
        return len(self._entries)
