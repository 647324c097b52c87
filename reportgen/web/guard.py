"""The guard: who may use the page (Host, same-origin posts, the access code) and how much an upload
may be (size, count, names, how many at once). Runs before any route and reads every upload.

The access code never appears in an address: it is typed into the login form (a POST, whose body
no browser keeps in its history), or replaced by a one-time link that is spent when it is opened,
so the history keeps only a dead link. A session cookie then lets the browser in until it closes.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import threading
import time
import urllib.parse
import weakref

import anyio
from starlette.datastructures import MutableHeaders, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import pages, pipeline
from .config import MB, ServeConfig
from .errors import Refused
from .pages import isolated

log = logging.getLogger("reportgen.web")
COOKIE = "reportgen_access"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
def security_headers() -> dict[str, str]:
    """The headers every answer carries (static files may be cached: Cache-Control is the caller's)."""
    return {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
            "Referrer-Policy": "same-origin",  # "no-referrer" makes form posts say Origin: null
            "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Resource-Policy": "same-origin",
            "Cache-Control": "no-store"}


WRONG_HOST = ("<!doctype html><html lang=\"zh-Hant-TW\"><meta charset=\"utf-8\"><title>不接受的主機名稱</title>"
              "<p>不接受的主機名稱（Host）。這個服務只接受本機連線：請以 http://127.0.0.1:{port}/ 開啟"
              "（啟動服務時印出的網址）。</p>")
SPENT_INVITE = "這個一次性連結已經使用過或已過期。請輸入存取碼，或請已登入的同事在網頁下方產生新的連結。"
FORM_OVERHEAD = 256 * 1024  # the form's own fields and boundaries, beyond the files


# Access -----------------------------------------------------------------------------------------

async def _pause(seconds: float) -> None:
    await anyio.sleep(seconds)


class Failures:
    """Wrong access codes are answered after a delay, one at a time, so guesses sent in parallel
    are no faster than guesses sent one after another."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()

    async def wait(self) -> None:
        lock = self._locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        async with lock:
            await _pause(self.delay)


class Invites:
    """One-time links: each lets one browser in, once, within `seconds`; at most `capacity` open."""

    def __init__(self, seconds: float, capacity: int = 200) -> None:
        self.seconds, self.capacity = seconds, capacity
        self._open: dict[str, float] = {}
        self._lock = threading.Lock()

    def make(self) -> str:
        code = secrets.token_urlsafe(18)
        with self._lock:
            now = time.monotonic()
            self._open = {c: t for c, t in self._open.items() if t > now}
            while len(self._open) >= self.capacity:
                del self._open[next(iter(self._open))]
            self._open[code] = now + self.seconds
        return code

    def redeem(self, code: str) -> bool:
        with self._lock:
            expires = self._open.pop(code, None)
        return expires is not None and expires > time.monotonic()


def equal(given: str, expected: str) -> bool:
    """Constant-time comparison, so the time taken does not reveal how much of a code was right."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def set_cookie(response: Response, session: str) -> None:
    response.set_cookie(COOKIE, session, httponly=True, samesite="lax", path="/")


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


def host_names(config: ServeConfig) -> tuple[str, ...]:
    """The Host names a loopback server answers: this machine's, and the address it is bound to."""
    names = list(LOOPBACK_NAMES)
    if config.host:
        bare = config.host.strip("[]").lower()
        names += [bare, f"[{bare}]"]
    return tuple(names)


class Guard:
    """Runs before every route: Host check, same-origin POSTs, the access code, security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in security_headers().items():
                    if not (static and name == "Cache-Control"):  # the page's files may be cached
                        headers[name] = value
            await send(message)

        response = await self._refusal(Request(scope))
        if response is not None:
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    async def _refusal(self, request: Request) -> Response | None:
        state = request.app.state
        config: ServeConfig = state.config
        if config.loopback and _host_name(request).lower() not in host_names(config):
            server = request.scope.get("server") or ("", 80)  # the port this server listens on
            return HTMLResponse(WRONG_HOST.format(port=server[1]), status_code=400)
        if request.method == "POST" and not _same_origin(request):
            return pages.render(request, "page.html", 403, title=pages.TITLES[403],
                                error="這個表單只能從本網頁送出（來自其他網站的要求已拒絕）。請重新開啟網頁後再上傳。")
        if config.access_code is None or request.url.path.startswith("/static/"):
            return None
        invite = request.query_params.get("invite")
        if invite is not None:
            if not state.invites.redeem(invite):
                log.warning("一次性連結無效或已使用")
                await state.failures.wait()  # as slow as a wrong code: no faster way to guess
                return pages.render(request, "login.html", 403, title="請輸入存取碼", error=SPENT_INVITE)
            response = RedirectResponse("/", status_code=303)
            set_cookie(response, config.session)
            return response
        if request.url.path == "/login":
            return None
        if equal(request.cookies.get(COOKIE, ""), config.session):
            return None
        note = ""
        if "token" in request.query_params:  # a link in the old form: its code is not read
            note = "網址中的存取碼已不再使用（網址會留在瀏覽器的瀏覽紀錄中）；請在下面輸入存取碼。"
        back = request.url.path if request.method == "GET" else "/"  # a result link shared with a colleague
        return pages.render(request, "login.html", 401, title="請輸入存取碼", error=note, back=back)


def back_to(path: object) -> str:
    """Where the login form returns to: a path of this site (`/result/…`), never another site."""
    if isinstance(path, str) and path.startswith("/") and not path.startswith("//") and path.isprintable() \
            and "\\" not in path and len(path) <= 200:
        return path
    return "/"


# Limits -----------------------------------------------------------------------------------------

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


def reserved_bytes(request: Request, config: ServeConfig) -> int:
    """The memory an upload may take while it is read: its declared size, else the limit."""
    limit = config.max_total_bytes + FORM_OVERHEAD
    declared = request.headers.get("content-length", "")
    if declared.isdigit():
        return 0 if int(declared) > limit else int(declared)  # over the limit: refused unread
    return limit


def _mb(value: int) -> str:
    return f"{value / MB:g} MB"


async def read_upload(request: Request, config: ServeConfig) -> tuple[list[pipeline.Upload], pipeline.Upload | None]:
    """The workbooks and template of a multipart post, within the limits; Refused if not."""
    limit = config.max_total_bytes + FORM_OVERHEAD
    declared = request.headers.get("content-length")
    too_much = (f"上傳的檔案合計超過 {_mb(config.max_total_bytes)} 的上限；請分批上傳，"
                f"或移除活頁簿中不需要的工作表或圖片後再試。")
    if declared and declared.isdigit() and int(declared) > limit:
        await drain(request.receive, limit * 4)
        raise Refused(413, too_much)
    received, finished = 0, False

    async def counted() -> Message:
        nonlocal received, finished
        message = await request.receive()
        received += len(message.get("body", b""))
        finished = message["type"] != "http.request" or not message.get("more_body", False)
        if received > limit:
            raise Refused(413, too_much)
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
    except Refused as exc:
        if exc.status_code == 413 and not finished:
            await drain(request.receive, limit * 4)
        raise
    except HTTPException as exc:  # the multipart parser's own refusals (too many parts, bad form)
        raise Refused(400 if exc.status_code != 413 else 413,
                      f"上傳的表單格式不正確或項目過多（最多 {config.max_files} 個活頁簿）。") from None
    except ClientDisconnect:
        raise Refused(400, "上傳中斷，請重新上傳。") from None
    except TimeoutError:
        raise Refused(408, "上傳時間過長，已停止接收；請檢查網路連線後再試。") from None
    # An Office lock file (`~$活動.xlsx`) chosen with its workbook is left out, as `build FOLDER`
    # skips it (SPEC §2); chosen alone, the check says what it is.
    workbooks = [u for u in workbooks if not u.name.startswith("~$")] or workbooks
    _check_names(workbooks, template, config)
    return workbooks, template


def _check_names(workbooks: list[pipeline.Upload], template: pipeline.Upload | None, config: ServeConfig) -> None:
    if not workbooks:
        raise Refused(400, "請先選擇至少一本活頁簿（.xlsx、.xlsm 或 .ods）再按「檢核並預覽」。")
    if sum(len(u.data) for u in workbooks) + (len(template.data) if template else 0) > config.max_total_bytes:
        raise Refused(413, f"上傳的檔案合計超過 {_mb(config.max_total_bytes)} 的上限；請分批上傳。")
    if len(workbooks) > config.max_files:
        raise Refused(413, f"一次最多上傳 {config.max_files} 個活頁簿，這次有 {len(workbooks)} 個；請分批上傳。")
    seen: dict[str, str] = {}
    for upload in workbooks:
        name = upload.name
        if name.lower().endswith(".xls"):  # Excel 97–2003: the command line says the same of it
            raise Refused(400, f"「{isolated(name)}」是舊版 Excel 活頁簿（.xls），無法讀取。"
                          "請在 Excel 或 Calc 開啟後「另存為」.xlsx 活頁簿再上傳。")
        if not name.lower().endswith(pipeline.WORKBOOK_SUFFIXES):
            raise Refused(400, f"「{isolated(name)}」不是活頁簿（.xlsx、.xlsm 或 .ods）；"
                          "Word 範本請放在「使用其他 Word 範本」。")
        other = seen.get(name.casefold())
        if other == name:
            raise Refused(400, f"有兩個檔案都叫「{isolated(name)}」；請將其中一個改名後再上傳。")
        if other is not None:
            raise Refused(400, f"「{isolated(other)}」和「{isolated(name)}」只差在英文字母的大小寫：在 Windows 上"
                          "這是同一個檔名，放進同一個資料夾時一個會蓋掉另一個。請將其中一個改名後再上傳。")
        seen[name.casefold()] = name


async def _upload(value: UploadFile, config: ServeConfig) -> pipeline.Upload:
    name = pipeline.safe_name(value.filename or "")
    if value.size is not None and value.size > config.max_file_bytes:
        raise Refused(413, f"「{isolated(name)}」有 {value.size / MB:.1f} MB，超過每個檔案 "
                      f"{_mb(config.max_file_bytes)} 的上限。請移除不需要的工作表或圖片後再上傳。")
    data = await value.read()
    if len(data) > config.max_file_bytes:
        raise Refused(413, f"「{isolated(name)}」超過每個檔案 {_mb(config.max_file_bytes)} 的上限。")
    return pipeline.Upload(name, data)


def _checked_template(upload: pipeline.Upload) -> pipeline.Upload:
    if not upload.name.lower().endswith(pipeline.TEMPLATE_SUFFIXES):
        raise Refused(400, f"Word 範本「{isolated(upload.name)}」須為 .docx 或 .dotx 檔。")
    if not upload.data.startswith(b"PK"):
        raise Refused(400, f"「{isolated(upload.name)}」不是 Word 文件（檔案內容不是 .docx 或 .dotx 的格式，"
                      "可能只是改了副檔名）。請選擇在 Word 中另存的 .docx 或 .dotx 範本，或不選範本使用內建範本。")
    return upload


async def drain(receive: Receive, cap: int) -> None:
    """Read and discard the rest of a refused upload, so the browser shows the message, not a reset."""
    seen = 0
    while seen <= cap:
        message = await receive()
        if message["type"] != "http.request":
            return
        seen += len(message.get("body", b""))
        if not message.get("more_body", False):
            return
