"""How the page runs: the access rule and every limit, in one object the app keeps on `app.state`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

MB = 1024 * 1024


@dataclass
class ServeConfig:
    """The defaults suit one office machine of 2 cores and a few GB; tests shrink the limits.

    Memory: the checks in flight may together be predicted to use `memory_budget`; one check
    predicted above `max_check_memory` is refused before any work. Two checks of that size leave
    `memory_budget - 2 * max_check_memory` for the small ones, which keep a worker thread of their
    own (at most `workers - 1` checks above `small_check_memory` run at once). With the uploads
    being read (`max_upload_memory`) and the files kept for download (`max_download_bytes`) the
    process stays under 1 GB (bench/serve_memory.py measures it).
    """

    access_code: str | None = None  # None: no code asked (loopback only)
    loopback: bool = True  # only Host names of this machine are answered (no DNS rebinding)
    host: str | None = None  # the address served on (--host), also answered as a Host name
    max_file_bytes: int = 20 * MB
    max_total_bytes: int = 50 * MB
    max_files: int = 20
    workers: int = 3  # threads checking at once; the last one is kept for small checks
    timeout: float = 60.0  # seconds for one check, waiting for a worker included
    pdf_timeout: float = 240.0
    upload_timeout: float = 120.0  # seconds to receive an upload
    header_timeout: float = 20.0  # seconds for a request's headers to arrive (slow clients dropped)
    keep_seconds: float = 600.0  # how long results and generated files wait in memory
    max_download_bytes: int = 128 * MB  # result pages and generated files in memory, all together
    max_checks: int = 64  # uploads read, waiting or being checked at once; more are told to retry
    max_upload_memory: int = 128 * MB  # bytes of those uploads together (their declared size)
    memory_budget: int = 640 * MB  # predicted memory of all checks running at once
    max_check_memory: int = 288 * MB  # predicted memory of one check; above it the upload is refused
    small_check_memory: int = 64 * MB  # checks predicted below this always find a worker soon
    login_delay: float = 1.0  # seconds before a wrong access code is answered, one at a time
    invite_seconds: float = 24 * 3600.0  # how long a one-time link stays valid
    session: str = field(default_factory=lambda: secrets.token_urlsafe(32))
