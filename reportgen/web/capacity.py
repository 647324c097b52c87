"""Worker threads and memory for checks: who may start now, who waits, who is told to come back.

A check asks for a thread and for the memory its upload was predicted to take (estimate.py).
It starts when a thread is free and the memory fits in the budget; otherwise it waits its turn.
Checks predicted above `small_check_memory` are heavy: at most `workers - 1` of them run at once
and together they leave `memory_budget - (workers - 1) * max_check_memory` free, so a colleague's
small workbook always finds a thread and memory while two of the largest uploads are checked.

A thread past its time limit cannot be stopped; its caller stops waiting (504) but the thread
keeps its slot and its memory until it really ends, so hung checks cannot pile up threads. When
every slot is held by such a thread, a new request is refused (503) instead of waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import functools
import gc
import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from .config import MB, ServeConfig
from .errors import Refused

log = logging.getLogger("reportgen.web")
T = TypeVar("T")


class _Job:
    """One check's claim on a thread and memory, released exactly once: by its thread when the
    work ends, or by its caller when the caller stopped waiting before the thread began."""

    def __init__(self, capacity: Capacity, memory: int, heavy: bool) -> None:
        self.capacity, self.memory, self.heavy = capacity, memory, heavy
        self.granted = asyncio.Event()
        self.abandoned = False
        self._lock = threading.Lock()
        self._state = "waiting"

    def start(self) -> bool:
        """In the thread: False when the caller has gone already (then no work is done)."""
        with self._lock:
            if self._state != "waiting":
                return False
            self._state = "running"
            return True

    def finish(self) -> None:
        """In the thread, when the work has ended."""
        with self._lock:
            self._state = "done"
        self.capacity.released_from_thread(self)

    def give_up(self) -> None:
        """In the event loop, when the caller stops waiting (time limit, shutdown, disconnect)."""
        with self._lock:
            state = self._state
            if state == "waiting":
                self._state = "given up"
        if state == "waiting":
            self.capacity.release(self)
        elif state == "running":
            with self.capacity._lock:
                if self._state == "running":  # its thread has not ended meanwhile
                    self.abandoned = True
                    self.capacity.abandoned += 1


class Capacity:
    """The scheduler, used from the event loop; threads report their end through the loop."""

    def __init__(self, config: ServeConfig) -> None:
        self.workers = max(config.workers, 1)
        self.heavy_workers = max(self.workers - 1, 1)
        self.budget = config.memory_budget
        self.small = config.small_check_memory
        self.heavy_budget = max(self.budget - self.small, config.max_check_memory)
        self.running = 0  # threads holding a slot, abandoned ones included
        self.abandoned = 0  # of those, threads whose caller stopped waiting
        self.heavy = 0
        self.reserved = 0
        self.reserved_heavy = 0
        self._waiting: deque[_Job] = deque()
        self._lock = threading.Lock()  # the counts change in the event loop and in ending threads
        self._loop: asyncio.AbstractEventLoop | None = None
        self._threads = anyio.CapacityLimiter(self.workers + 64)  # never the bound: the slots are

    def _fits(self, job: _Job) -> bool:
        if self.running >= self.workers or (self.running and self.reserved + job.memory > self.budget):
            return False
        if job.heavy:
            return self.heavy < self.heavy_workers and (
                not self.heavy or self.reserved_heavy + job.memory <= self.heavy_budget)
        return True

    def _grant(self) -> None:
        """In the event loop: start every waiting job that fits, in order."""
        heavy_waiting = False  # heavy checks keep their order among themselves
        with self._lock:
            for job in list(self._waiting):
                if job.heavy and heavy_waiting:
                    continue
                if self._fits(job):
                    self._waiting.remove(job)
                    self.running += 1
                    self.reserved += job.memory
                    if job.heavy:
                        self.heavy += 1
                        self.reserved_heavy += job.memory
                    job.granted.set()
                elif job.heavy:
                    heavy_waiting = True

    def _free(self, job: _Job) -> None:
        with self._lock:
            self.running -= 1
            self.reserved -= job.memory
            if job.heavy:
                self.heavy -= 1
                self.reserved_heavy -= job.memory
            if job.abandoned:
                self.abandoned -= 1

    def release(self, job: _Job) -> None:
        """In the event loop: the job's thread and memory are free; the next ones may start."""
        self._free(job)
        self._grant()

    def released_from_thread(self, job: _Job) -> None:
        """In the job's thread, as it ends: counted at once, the waiting woken in the loop."""
        self._free(job)
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting on it
                self._loop.call_soon_threadsafe(self._grant)

    async def run(self, fn: Callable[..., T], *args: Any, memory: int, timeout: float) -> T:
        """`fn(*args)` in a worker thread once a slot and `memory` are free; Refused past `timeout`
        (waiting included), or at once when every slot is held by a thread past its time limit."""
        self._loop = asyncio.get_running_loop()
        if self.abandoned >= self.workers:
            log.warning("所有處理程序都在執行逾時的檢核（%d 個），拒絕新的工作", self.workers)
            raise Refused(503, "伺服器目前沒有空閒的處理程序（先前逾時的檢核仍在執行），"
                          "請過幾分鐘再試；若一再發生，請通知啟動服務的同仁。")
        job = _Job(self, memory, memory > self.small)
        self._waiting.append(job)
        self._grant()
        try:
            with anyio.fail_after(timeout):
                await job.granted.wait()
                return await anyio.to_thread.run_sync(functools.partial(_in_slot, job, fn, *args),
                                                      abandon_on_cancel=True, limiter=self._threads)
        except TimeoutError:
            log.warning("處理逾時（%.0f 秒）", timeout)
            raise Refused(504, f"處理超過 {timeout:.0f} 秒仍未完成，已停止等待。"
                          "檔案可能過大或同時有許多人在上傳；請稍後再試，或把活頁簿分批上傳。") from None
        finally:
            if job in self._waiting:
                self._waiting.remove(job)
                self._grant()
            elif job.granted.is_set():
                job.give_up()  # frees the slot only if the thread never started; else the thread does


def _in_slot(job: _Job, fn: Callable[..., T], *args: Any) -> T | None:
    """Runs in a worker thread, holding its slot until `fn` really ends (even if nobody waits)."""
    if not job.start():
        return None  # the caller stopped waiting before this thread began: do no work
    try:
        return fn(*args)
    finally:
        job.finish()


@functools.cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


def give_back_memory() -> None:
    """After a large check: collect its cycles and hand the freed heap back to the system.

    Python frees a check's objects when the page is made, but the C allocator keeps the pages
    for reuse; glibc's malloc_trim returns them, so the server's size falls back after a big upload.
    """
    gc.collect()
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None) if libc is not None else None
    if trim is not None:
        trim(0)


def one_allocator_arena() -> None:
    """glibc gives each thread that allocates a heap ("arena") of its own; a check run in a worker
    thread leaves its arena fragmented and malloc_trim cannot give most of it back (after two large
    checks a server kept 250 MB instead of 105). One arena for the process: `reportgen serve`
    calls this before any thread starts. Python threads hold the GIL anyway, so nothing waits."""
    libc = _libc()
    mallopt = getattr(libc, "mallopt", None) if libc is not None else None
    if mallopt is not None:
        mallopt(M_ARENA_MAX, 1)


M_ARENA_MAX = -8  # glibc's malloc.h
LARGE = 32 * MB  # checks predicted above this are followed by give_back_memory
