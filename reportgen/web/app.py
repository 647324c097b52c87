"""The HTTP layer: one Starlette app, its guard (access code, same-origin, headers) and routes.

All work on uploads happens in pipeline.py, in a bounded pool of worker threads with a time
limit, so one slow or hostile upload cannot stall the others. A thread past its time limit keeps
its slot until it really ends, so hung checks cannot pile up threads. Memory is bounded in bytes:
uploads being read and files waiting for their download each have a budget. Logs name counts and
durations, never a file's content.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import secrets
import threading
import time
import urllib.parse
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import jinja2
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from . import pipeline
from .pipeline import FatalError, shorten

log = logging.getLogger("reportgen.web")
HERE = Path(__file__).resolve().parent
COOKIE = "reportgen_access"
MB = 1024 * 1024
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
T = TypeVar("T")


@dataclass
class ServeConfig:
    """How the page runs. The defaults suit one office machine; tests shrink the limits."""

    access_code: str | None = None  # None: no code asked (loopback only)
    loopback: bool = True  # only Host names of this machine are answered (no DNS rebinding)
    host: str | None = None  # the address served on (--host), also answered as a Host name
    max_file_bytes: int = 20 * MB
    max_total_bytes: int = 50 * MB
    max_files: int = 20
    workers: int = 2
    timeout: float = 60.0  # seconds for one check, waiting for a worker included
    pdf_timeout: float = 240.0
    upload_timeout: float = 120.0  # seconds to receive an upload
    keep_seconds: float = 600.0  # how long generated files wait in memory for their download
    max_download_bytes: int = 256 * MB  # generated files kept in memory, all downloads together
    max_checks: int = 32  # uploads read, waiting or being checked at once; more are told to retry
    max_upload_memory: int = 256 * MB  # bytes of those uploads together (their declared size)
    login_delay: float = 1.0  # seconds before a wrong access code is answered, one at a time
    session: str = field(default_factory=lambda: secrets.token_urlsafe(32))


class TooLarge(Exception):
    """An upload over a limit; the message says which, in Chinese."""


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class _Entry:
    expires: float
    files: dict[str, pipeline.Download]
    pdf_lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one conversion at a time

    @property
    def size(self) -> int:
        return sum(len(d.data) for d in self.files.values())


class Downloads:
    """Generated files held in memory (never on disk) under a random token for a few minutes.

    Bounded by count and by bytes: past either, the oldest downloads are dropped first (their
    links then say they expired), never the one just made.
    """

    def __init__(self, keep_seconds: float, capacity: int = 200, max_bytes: int = 256 * MB) -> None:
        self.keep, self.capacity, self.max_bytes = keep_seconds, capacity, max_bytes
        self._entries: dict[str, _Entry] = {}

    def _purge(self, keep: str | None = None) -> None:
        now = time.monotonic()
        for token in [t for t, e in self._entries.items() if e.expires <= now and t != keep]:
            del self._entries[token]
        older = [t for t in self._entries if t != keep]
        while older and (len(self._entries) > self.capacity or self.bytes() > self.max_bytes):
            del self._entries[older.pop(0)]

    def bytes(self) -> int:
        return sum(e.size for e in self._entries.values())

    def put(self, files: dict[str, pipeline.Download]) -> str:
        token = secrets.token_urlsafe(24)
        self._entries[token] = _Entry(time.monotonic() + self.keep, files)
        self._purge(keep=token)
        return token

    def add(self, token: str, kind: str, download: pipeline.Download) -> None:
        """A file made later for a download (the PDF); counted in the budget like the others."""
        entry = self._entries.get(token)
        if entry is not None:
            entry.files[kind] = download
            self._purge(keep=token)

    def pdf_lock(self, token: str) -> asyncio.Lock | None:
        entry = self._entries.get(token)
        return entry.pdf_lock if entry is not None else None

    def get(self, token: str) -> dict[str, pipeline.Download] | None:
        entry = self._entries.get(token)
        if entry is None or entry.expires <= time.monotonic():
            self._entries.pop(token, None)
            return None
        return entry.files

    def __len__(self) -> int:
        self._purge()
        return len(self._entries)


class Workers:
    """Slots for worker threads that are really running, those past their time limit included.

    anyio frees its own limiter when a caller stops waiting for a thread (abandon_on_cancel),
    while the thread runs on; these slots are freed by the thread itself when it ends.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self.running = 0

    def claim(self) -> _Claim | None:
        """A slot, or None when every one is held by a thread still running."""
        if not self._free.acquire(blocking=False):
            return None
        with self._lock:
            self.running += 1
        return _Claim(self)

    def _release(self) -> None:
        with self._lock:
            self.running -= 1
        self._free.release()


class _Claim:
    """One slot: freed by its thread when the work ends, or by the caller if the work never started."""

    def __init__(self, workers: Workers) -> None:
        self._workers, self._lock, self._state = workers, threading.Lock(), "waiting"

    def start(self) -> bool:
        with self._lock:
            if self._state != "waiting":
                return False
            self._state = "running"
            return True

    def finish(self) -> None:
        with self._lock:
            self._state = "done"
        self._workers._release()

    def give_up(self) -> None:
        with self._lock:
            if self._state != "waiting":
                return  # its thread frees the slot when it ends
            self._state = "given up"
        self._workers._release()


class Admission:
    """Uploads being read, waiting or checked at once: bounded in count and in declared bytes."""

    def __init__(self, count: int, budget: int) -> None:
        self.count, self.budget = count, budget
        self._lock = threading.Lock()
        self._held = 0
        self._bytes = 0

    def enter(self, size: int) -> bool:
        with self._lock:
            if self._held >= self.count or (self._held and self._bytes + size > self.budget):
                return False
            self._held += 1
            self._bytes += size
            return True

    def leave(self, size: int) -> None:
        with self._lock:
            self._held -= 1
            self._bytes -= size


async def _pause(seconds: float) -> None:
    await anyio.sleep(seconds)


class Failures:
    """Wrong access codes (link or form) are answered after a delay, one at a time, so guesses
    sent in parallel are no faster than guesses sent one after another."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()

    async def wait(self) -> None:
        lock = self._locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        async with lock:
            await _pause(self.delay)


def _mb(value: int) -> str:
    return f"{value / MB:g} MB"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["mb"] = _mb
    env.filters["shorten"] = lambda text: shorten(text, 80)
    return env


def _same_origin(request: Request) -> bool:
    """A POST from this page only: browsers say where a request comes from (Fetch metadata, Origin)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return site is not None or "referer" not in request.headers or _same_referer(request)
    host = request.headers.get("host", "")
    return origin in (f"http://{host}", f"https://{host}")


def _same_referer(request: Request) -> bool:
    referer = urllib.parse.urlsplit(request.headers.get("referer", ""))
    return referer.netloc == request.headers.get("host", "")


def _host_name(request: Request) -> str:
    host = request.headers.get("host", "")
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _host_names(config: ServeConfig) -> tuple[str, ...]:
    """The Host names a loopback server answers: this machine's, and the address it is bound to."""
    names = list(LOOPBACK_NAMES)
    if config.host:
        bare = config.host.strip("[]").lower()
        names += [bare, f"[{bare}]"]
    return tuple(names)


class Guard:
    """Runs before every route: Host check, same-origin POSTs, the access code, security headers."""

    def __init__(self, app: ASGIApp, config: ServeConfig, page: Callable[..., Response],
                 failures: Failures) -> None:
        self.app, self.config, self.page, self.failures = app, config, page, failures
        self.hosts = _host_names(config)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = CSP
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "same-origin"  # "no-referrer" makes form posts say Origin: null
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                headers["Cross-Origin-Resource-Policy"] = "same-origin"
                if not static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        response = await self._refusal(Request(scope))
        if response is not None:
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    async def _refusal(self, request: Request) -> Response | None:
        config = self.config
        if config.loopback and _host_name(request).lower() not in self.hosts:
            return HTMLResponse("<!doctype html><title>400</title><p>不接受的主機名稱（Host）。"
                                "這個服務只接受本機連線：請以 http://127.0.0.1 開啟。</p>", status_code=400)
        if request.method == "POST" and not _same_origin(request):
            return self.page(request, "page.html", 403,
                             error="這個表單只能從本網頁送出（來自其他網站的要求已拒絕）。請重新開啟網頁後再上傳。")
        if config.access_code is None or request.url.path.startswith("/static/"):
            return None
        token = request.query_params.get("token")
        if token is not None:
            if not _equal(token, config.access_code):
                log.warning("存取碼不正確（網址中的 token）")
                await self.failures.wait()  # as slow as the login form: the link is no faster way to guess
                return self.page(request, "login.html", 403, error="存取碼不正確，請向啟動服務的同仁確認連結。")
            query = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.path + ("?" + urllib.parse.urlencode(query) if query else "")
            response = RedirectResponse(target, status_code=303)
            _set_cookie(response, config.session)
            return response
        if request.url.path == "/login":
            return None
        if _equal(request.cookies.get(COOKIE, ""), config.session):
            return None
        return self.page(request, "login.html", 401, error="")


def _equal(given: str, expected: str) -> bool:
    """Constant-time comparison, so the time taken does not reveal how much of a code was right."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _set_cookie(response: Response, session: str) -> None:
    response.set_cookie(COOKIE, session, httponly=True, samesite="lax", path="/")


def _disposition(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{urllib.parse.quote(name)}"


def _file_response(download: pipeline.Download) -> Response:
    return Response(download.data, media_type=download.media_type,
                    headers={"Content-Disposition": _disposition(download.name)})


def create_app(config: ServeConfig | None = None) -> Starlette:
    """The page and its routes; `config` holds the access code and the limits."""
    config = config or ServeConfig()
    env = _environment()
    downloads = Downloads(config.keep_seconds, max_bytes=config.max_download_bytes)
    limiter: list[anyio.CapacityLimiter] = []  # made inside the event loop, on first use
    workers = Workers(config.workers)
    admission = Admission(config.max_checks, config.max_upload_memory)
    failures = Failures(config.login_delay)

    def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        half_years, this_half = pipeline.half_years()
        values = {"version": __version__, "limits": config, "error": "", "checked": None, "token": "",
                  "half_years": half_years, "this_half": this_half, "pdf_available": False,
                  "problem_files": [], "keep_minutes": int(config.keep_seconds // 60),
                  "url": lambda name, **params: app.url_path_for(name, **params),
                  "static": lambda name: f"/static/{name}?v={__version__}"}
        values.update(context)
        return HTMLResponse(env.get_template(template).render(values), status_code=status)

    async def in_worker(fn: Callable[..., T], *args: Any, timeout: float) -> T:
        """Run `fn` in the bounded pool; past `timeout` (queueing included) the request gets 504.

        Requests queue for the pool; when every slot is held by a thread that is still running
        (one past its time limit included), the request gets 503 instead of yet another thread.
        """
        if not limiter:
            limiter.append(anyio.CapacityLimiter(config.workers))
        try:
            with anyio.fail_after(timeout):
                async with limiter[0]:
                    claim = workers.claim()
                    if claim is None:
                        log.warning("所有處理程序都在執行中（%d 個），拒絕新的工作", workers.size)
                        raise Refused(503, "伺服器目前沒有空閒的處理程序（先前逾時的檢核仍在執行），"
                                      "請過幾分鐘再試；若一再發生，請通知啟動服務的同仁。")
                    try:
                        return await anyio.to_thread.run_sync(functools.partial(_in_slot, claim, fn, *args),
                                                              abandon_on_cancel=True)
                    finally:
                        claim.give_up()  # only when the thread never started; else it frees the slot
        except TimeoutError:
            log.warning("處理逾時（%.0f 秒）", timeout)
            raise Refused(504, f"處理超過 {timeout:.0f} 秒仍未完成，已停止等待。"
                          "檔案可能過大或同時有許多人在上傳；請稍後再試，或把活頁簿分批上傳。") from None

    async def home(request: Request) -> Response:
        return page(request, "page.html")

    async def check(request: Request) -> Response:
        started = time.perf_counter()
        size = _reserved_bytes(request, config)
        if not admission.enter(size):
            log.warning("同時處理的上傳已達上限，拒絕一筆上傳")
            await _drain(request.receive, (config.max_total_bytes + 256 * 1024) * 4)
            return page(request, "page.html", 503, error="目前同時上傳的人太多，伺服器暫時無法接收；"
                        "請過一分鐘再按「檢核並預覽」。")
        try:
            workbooks, template = await _read_upload(request, config)
            checked = await in_worker(pipeline.check, workbooks, template, timeout=config.timeout)
        except TooLarge as exc:
            return page(request, "page.html", 413, error=str(exc))
        except Refused as exc:
            return page(request, "page.html", exc.status, error=exc.message)
        finally:
            admission.leave(size)
        files = {kind: d for kind, d in (("docx", checked.docx), ("report", checked.report)) if d}
        token = downloads.put(files) if files else ""
        log.info("檢核 %d 個活頁簿：錯誤 %d 項、警告 %d 項，%.0f 毫秒", len(workbooks),
                 sum(p.is_error for p in checked.problems), sum(not p.is_error for p in checked.problems),
                 (time.perf_counter() - started) * 1000)
        problem_files = list(dict.fromkeys(p.location.file for p in checked.problems))
        return page(request, "page.html", 422 if checked.fatal else 200, checked=checked, token=token,
                    pdf_available=pipeline.soffice_available(), problem_files=problem_files)

    async def download(request: Request) -> Response:
        token = request.path_params["token"]
        files = downloads.get(token)
        kind = request.path_params["kind"]
        if files is None:
            return page(request, "page.html", 410,
                        error=f"下載連結已過期（只保留 {int(config.keep_seconds // 60)} 分鐘），請重新上傳活頁簿。")
        if kind == "pdf" and "pdf" not in files and "docx" in files:
            if not pipeline.soffice_available():
                return page(request, "page.html", 404, error="這台伺服器沒有安裝 LibreOffice，無法轉出 PDF。")
            lock = downloads.pdf_lock(token) or asyncio.Lock()
            async with lock:  # a second click waits for the first conversion instead of starting another
                if "pdf" not in files:
                    try:
                        made = await in_worker(pipeline.pdf, files["docx"], timeout=config.pdf_timeout)
                    except Refused as exc:
                        return page(request, "page.html", exc.status, error=exc.message)
                    files["pdf"] = made
                    downloads.add(token, "pdf", made)
        if kind not in files:
            return page(request, "page.html", 404, error="沒有這個檔案。")
        return _file_response(files[kind])

    async def blank(request: Request) -> Response:
        try:
            choice = pipeline.half_year(request.query_params.get("half", ""))
        except ValueError:
            return page(request, "page.html", 400, error="請從清單選擇報告期間。")
        try:
            made = await in_worker(pipeline.blank_workbook, choice, timeout=config.timeout)
        except Refused as exc:
            return page(request, "page.html", exc.status, error=exc.message)
        return _file_response(made)

    async def login(request: Request) -> Response:
        if config.access_code is None:
            return RedirectResponse("/", status_code=303)
        if request.method == "GET":
            return page(request, "login.html", 200)
        async with request.form(max_files=0, max_fields=5, max_part_size=4096) as form:
            code = form.get("code")
        if not isinstance(code, str) or not _equal(code, config.access_code):
            log.warning("存取碼不正確（登入表單）")
            await failures.wait()  # slows guessing a configured password, one guess at a time
            return page(request, "login.html", 403, error="存取碼不正確，請再試一次。")
        response = RedirectResponse("/", status_code=303)
        _set_cookie(response, config.session)
        return response

    routes = [
        Route("/", home, name="home"),
        Route("/check", check, methods=["POST"], name="check"),
        Route("/download/{token}/{kind}", download, name="download"),
        Route("/blank", blank, name="blank"),
        Route("/login", login, methods=["GET", "POST"], name="login"),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(Guard, config=config, page=page, failures=failures)
    app.state.config = config
    app.state.downloads = downloads
    app.state.workers = workers
    return app


def _in_slot(claim: _Claim, fn: Callable[..., T], *args: Any) -> T | None:
    """Runs in a worker thread, holding its slot until `fn` really ends (even if nobody waits)."""
    if not claim.start():
        return None  # the caller stopped waiting before this thread began: do no work
    try:
        return _guarded(fn, *args)
    finally:
        claim.finish()


def _guarded(fn: Callable[..., T], *args: Any) -> T:
    """Runs in a worker thread: a failure becomes a Chinese message; the log keeps only its type."""
    try:
        return fn(*args)
    except FatalError as exc:
        raise Refused(422, exc.message) from None
    except Exception as exc:
        log.error("內部錯誤：%s", type(exc).__name__)  # never the message: it may quote a cell
        raise Refused(500, "處理時發生內部錯誤，這是 reportgen 的問題，不是您的資料。"
                      "請將活頁簿交給維護人員以命令列 reportgen validate 檢查。") from None


def _reserved_bytes(request: Request, config: ServeConfig) -> int:
    """The memory an upload may take while it is read and checked: its declared size, else the limit."""
    limit = config.max_total_bytes + 256 * 1024
    declared = request.headers.get("content-length", "")
    if declared.isdigit():
        return 0 if int(declared) > limit else int(declared)  # over the limit: refused unread
    return limit


async def _read_upload(request: Request, config: ServeConfig) -> tuple[list[pipeline.Upload], pipeline.Upload | None]:
    """The workbooks and template of a multipart post, within the limits; a Chinese message if not."""
    limit = config.max_total_bytes + 256 * 1024  # the form's own fields and boundaries
    declared = request.headers.get("content-length")
    too_much = (f"上傳的檔案合計超過 {_mb(config.max_total_bytes)} 的上限；請分批上傳，"
                f"或移除活頁簿中不需要的工作表或圖片後再試。")
    if declared and declared.isdigit() and int(declared) > limit:
        await _drain(request.receive, limit * 4)
        raise TooLarge(too_much)
    received, finished = 0, False

    async def counted() -> Message:
        nonlocal received, finished
        message = await request.receive()
        received += len(message.get("body", b""))
        finished = message["type"] != "http.request" or not message.get("more_body", False)
        if received > limit:
            raise TooLarge(too_much)
        return message

    limited = Request(request.scope, counted)
    workbooks: list[pipeline.Upload] = []
    template: pipeline.Upload | None = None
    try:
        with anyio.fail_after(config.upload_timeout):
            async with limited.form(max_files=config.max_files + 5, max_fields=20, max_part_size=64 * 1024) as form:
                for key, value in form.multi_items():
                    if not isinstance(value, UploadFile) or not value.filename:
                        continue  # an empty file field, or a stray text field
                    upload = await _upload(value, config)
                    if key == "template":
                        template = _checked_template(upload)
                    elif key == "workbooks":
                        workbooks.append(upload)
    except TooLarge:
        if not finished:
            await _drain(request.receive, limit * 4)
        raise
    except HTTPException as exc:  # the multipart parser's own refusals (too many parts, bad form)
        raise Refused(400 if exc.status_code != 413 else 413,
                      f"上傳的表單格式不正確或項目過多（最多 {config.max_files} 個活頁簿）。") from None
    except ClientDisconnect:
        raise Refused(400, "上傳中斷，請重新上傳。") from None
    except TimeoutError:
        raise Refused(408, "上傳時間過長，已停止接收；請檢查網路連線後再試。") from None
    if not workbooks:
        raise Refused(400, "請先選擇至少一本活頁簿（.xlsx、.xlsm 或 .ods）再按「檢核並預覽」。")
    if sum(len(u.data) for u in workbooks) + (len(template.data) if template else 0) > config.max_total_bytes:
        raise TooLarge(too_much)
    if len(workbooks) > config.max_files:
        raise TooLarge(f"一次最多上傳 {config.max_files} 個活頁簿，這次有 {len(workbooks)} 個；請分批上傳。")
    names = [w.name for w in workbooks]
    for upload in workbooks:
        if not upload.name.lower().endswith(pipeline.WORKBOOK_SUFFIXES):
            raise Refused(400, f"「{upload.name}」不是活頁簿（.xlsx、.xlsm 或 .ods）；"
                          "Word 範本請放在「使用其他 Word 範本」。")
        if names.count(upload.name) > 1:
            raise Refused(400, f"有兩個檔案都叫「{upload.name}」；請將其中一個改名後再上傳。")
    return workbooks, template


async def _upload(value: UploadFile, config: ServeConfig) -> pipeline.Upload:
    name = pipeline.safe_name(value.filename or "")
    if value.size is not None and value.size > config.max_file_bytes:
        raise TooLarge(f"「{name}」有 {value.size / MB:.1f} MB，超過每個檔案 {_mb(config.max_file_bytes)} 的上限。"
                       "請移除不需要的工作表或圖片後再上傳。")
    data = await value.read()
    if len(data) > config.max_file_bytes:
        raise TooLarge(f"「{name}」超過每個檔案 {_mb(config.max_file_bytes)} 的上限。")
    return pipeline.Upload(name, data)


def _checked_template(upload: pipeline.Upload) -> pipeline.Upload:
    if not upload.name.lower().endswith(pipeline.TEMPLATE_SUFFIXES):
        raise Refused(400, f"Word 範本「{upload.name}」須為 .docx 或 .dotx 檔。")
    return upload


async def _drain(receive: Receive, cap: int) -> None:
    """Read and discard the rest of a refused upload, so the browser shows the message, not a reset."""
    seen = 0
    while seen <= cap:
        message = await receive()
        if message["type"] != "http.request":
            return
        seen += len(message.get("body", b""))
        if not message.get("more_body", False):
            return
