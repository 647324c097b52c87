"""The HTTP layer, the Starlette way: endpoints at module level, shared objects on `app.state`,
error pages from `exception_handlers`, the scratch folder opened and removed by the lifespan.

An upload goes: the guard (access, limits) → its memory predicted (estimate.py) → a worker thread
when one is free and the memory fits (capacity.py) → the result page stored in memory under a
random token and the browser redirected to it (post/redirect/get), so Reload, Back and Forward
show it again without uploading again. Every refusal raises `Refused` (or the library's
FatalError) and is shown as a Chinese page with its status. Logs name counts and durations,
never a file's content.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import PurePath
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.datastructures import State, UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from . import estimate, pages, pipeline
from .capacity import LARGE, Capacity, give_back_memory
from .config import MB, ServeConfig
from .errors import Refused, status_of
from .guard import (
    COOKIE,
    FORM_OVERHEAD,
    Admission,
    Failures,
    Guard,
    Invites,
    back_to,
    drain,
    equal,
    read_upload,
    reserved_bytes,
    set_cookie,
)
from .pipeline import FatalError
from .results import Results
from .scratch import Scratch

__all__ = ["COOKIE", "MB", "ServeConfig", "create_app"]

log = logging.getLogger("reportgen.web")
T = TypeVar("T")
STOPPING = ("伺服器正在停止（啟動服務的同仁按了 Ctrl-C 或關閉了視窗），這次的工作沒有完成，"
            "上傳的檔案也沒有留下。請等服務重新啟動後再試一次。")


# Work in threads ---------------------------------------------------------------------------------

def _guarded(fn: Callable[..., T], *args: Any) -> T:
    """Runs in a worker thread: a failure becomes a Chinese message; the log keeps only its type."""
    try:
        return fn(*args)
    except FatalError as exc:
        raise Refused(status_of(exc), exc.message) from None
    except Exception as exc:
        log.error("內部錯誤：%s", type(exc).__name__)  # never the message: it may quote a cell
        raise Refused(500, "處理時發生內部錯誤，這是 reportgen 的問題，不是您的資料。"
                      "請將活頁簿交給維護人員以命令列 reportgen validate 檢查。") from None


async def _unless_stopping(state: State, work: Awaitable[T]) -> T:
    """`work`, unless the server starts stopping first: then a Chinese 503 instead of a reset."""
    task = asyncio.ensure_future(work)
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=0.1)
            if not task.done() and state.closing.is_set():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
                raise Refused(503, STOPPING)
        return task.result()
    finally:
        if not task.done():
            task.cancel()


async def _in_worker(state: State, fn: Callable[..., T], *args: Any, memory: int, timeout: float) -> T:
    return await state.capacity.run(functools.partial(_guarded, fn), *args, memory=memory, timeout=timeout)


def _scratch(state: State):  # -> Path | None
    return state.scratch.path if state.scratch is not None else None


# Endpoints ---------------------------------------------------------------------------------------

async def home(request: Request) -> Response:
    return pages.render(request, "page.html", title=pages.HOME_TITLE)


async def check(request: Request) -> Response:
    """POST an upload: check it, keep the result page, and send the browser to its address."""
    state = request.app.state
    config: ServeConfig = state.config
    started = time.perf_counter()
    size = reserved_bytes(request, config)
    if not state.admission.enter(size):
        log.warning("同時處理的上傳已達上限，拒絕一筆上傳")
        await drain(request.receive, (config.max_total_bytes + 256 * 1024) * 4)
        raise Refused(503, "目前同時上傳的人太多，伺服器暫時無法接收；請過一分鐘再按「檢核並預覽」。",
                      headers={"Retry-After": "60"})
    try:
        checked, memory = await _unless_stopping(state, _check(request, state, config))
    finally:
        state.admission.leave(size)
    files = {kind: d for kind, d in (("docx", checked.docx), ("report", checked.report)) if d}
    log.info("檢核 %d 個活頁簿：錯誤 %d 項、警告 %d 項，預估記憶體 %.0f MB，%.0f 毫秒", len(checked.files),
             sum(p.is_error for p in checked.problems), sum(not p.is_error for p in checked.problems),
             memory / MB, (time.perf_counter() - started) * 1000)
    status = 422 if checked.fatal else 200
    token = state.results.new_token()
    page = pages.html(request, "page.html", title=pages.result_title(checked), checked=checked, token=token,
                      pdf_available=pipeline.soffice_available(),
                      problem_files=list(dict.fromkeys(p.location.file for p in checked.problems)))
    state.results.put(token, page, status, files)
    del checked, page, files
    if memory > LARGE:  # the check's memory goes back to the system, not only to Python
        await anyio.to_thread.run_sync(give_back_memory)
    return RedirectResponse(request.app.url_path_for("result", token=token) + "#result", status_code=303)


async def _check(request: Request, state: State, config: ServeConfig) -> tuple[pipeline.Checked, int]:
    workbooks, template = await read_upload(request, config)
    memory = await anyio.to_thread.run_sync(
        estimate.predicted_memory, [w.data for w in workbooks], template.data if template else None,
        config.max_check_memory, limiter=state.estimating)
    if memory > config.max_check_memory:
        log.warning("預估記憶體 %.0f MB 超過上限，拒絕一筆上傳", memory / MB)
        raise Refused(413, f"這次上傳的活頁簿預估需要約 {memory / MB:,.0f} MB 記憶體才能檢核，超過這台伺服器每次檢核"
                      f"可用的 {config.max_check_memory / MB:,.0f} MB。請分批上傳，或刪除活頁簿中不需要的工作表"
                      "與遠處的空白儲存格後再試；也可以在自己的電腦以命令列 reportgen validate 檢核。")
    checked = await _in_worker(state, pipeline.check, workbooks, template, _scratch(state),
                               memory=memory, timeout=config.timeout)
    return checked, memory


async def result(request: Request) -> Response:
    """GET a result page kept in memory: Reload, Back and Forward show it without a new upload."""
    kept = request.app.state.results.get(request.path_params["token"])
    if kept is None:
        minutes = int(request.app.state.config.keep_seconds // 60)
        raise Refused(410, f"這個檢核結果已過期（結果與下載只保留 {minutes} 分鐘，且伺服器重新啟動後就會清除），"
                      "請重新上傳活頁簿。")
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(kept.page, kept.status, media_type="text/html; charset=utf-8",
                        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
    return Response(kept.html(), kept.status, media_type="text/html; charset=utf-8")


async def download(request: Request) -> Response:
    state = request.app.state
    config: ServeConfig = state.config
    token, kind = request.path_params["token"], request.path_params["kind"]
    kept = state.results.get(token)
    if kept is None:
        raise Refused(410, f"下載連結已過期（只保留 {int(config.keep_seconds // 60)} 分鐘），請重新上傳活頁簿。")
    files = kept.files
    if kind == "pdf" and "pdf" not in files and "docx" in files:
        if not pipeline.soffice_available():
            raise Refused(404, "這台伺服器沒有安裝 LibreOffice，無法轉出 PDF。")
        async with kept.pdf_lock:  # a second click waits for the first conversion instead of starting another
            if "pdf" not in files:
                made = await _unless_stopping(state, _in_worker(
                    state, pipeline.pdf, files["docx"], _scratch(state), memory=estimate.BASE,
                    timeout=config.pdf_timeout))
                files["pdf"] = made
                state.results.add(token, "pdf", made)
    if kind not in files:
        raise Refused(404, "沒有這個檔案。")
    return _file_response(files[kind])


async def blank(request: Request) -> Response:
    state = request.app.state
    try:
        choice = pipeline.half_year(request.query_params.get("half", ""))
    except ValueError:
        raise Refused(400, "請從清單選擇報告期間。") from None
    made = await _unless_stopping(state, _in_worker(state, pipeline.blank_workbook, choice, _scratch(state),
                                                    memory=estimate.BASE, timeout=state.config.timeout))
    return _file_response(made)


async def import_chapter(request: Request) -> Response:
    """POST a published chapter (.docx or .txt): the workbook `reportgen import` makes of it, on a
    result page that says what could not be recovered (SPEC §6)."""
    state = request.app.state
    config: ServeConfig = state.config
    limit = config.max_file_bytes + FORM_OVERHEAD
    declared = request.headers.get("content-length")
    too_big = f"已出版的一章不會超過 {config.max_file_bytes / MB:,.0f} MB；請確認上傳的檔案。"
    if not declared or not declared.isdigit() or int(declared) > limit:
        await drain(request.receive, limit * 4)
        raise Refused(413, too_big)
    async with request.form(max_files=1, max_fields=3, max_part_size=4096) as form:
        chapter, period = form.get("chapter"), form.get("period")
        if not isinstance(chapter, UploadFile) or not chapter.filename:
            raise Refused(400, "請選擇要匯入的一章（.docx 或 .txt）。")
        data = await chapter.read(config.max_file_bytes + 1)
        if len(data) > config.max_file_bytes:
            raise Refused(413, too_big)
        upload = pipeline.Upload(PurePath(chapter.filename.replace("\\", "/")).name, data)
    period = period.strip() if isinstance(period, str) and period.strip() else None
    found = await _unless_stopping(state, _in_worker(state, pipeline.import_chapter, upload, period, _scratch(state),
                                                     memory=estimate.BASE, timeout=config.timeout))
    log.info("匯入一章：警告 %d 項%s", len(found.problems), "，無法匯入" if found.fatal else "")
    token = state.results.new_token()
    page = pages.html(request, "page.html", title="匯入結果" if not found.fatal else "無法匯入", imported=found,
                      token=token)
    state.results.put(token, page, 422 if found.fatal else 200,
                      {"workbook": found.workbook} if found.workbook else {})
    return RedirectResponse(request.app.url_path_for("result", token=token) + "#import-result", status_code=303)


async def login(request: Request) -> Response:
    state = request.app.state
    config: ServeConfig = state.config
    if config.access_code is None:
        return RedirectResponse("/", status_code=303)
    if request.method == "GET":
        return pages.render(request, "login.html", title="請輸入存取碼")
    async with request.form(max_files=0, max_fields=5, max_part_size=4096) as form:
        code, back = form.get("code"), back_to(form.get("back"))
    if not isinstance(code, str) or not equal(code, config.access_code):
        log.warning("存取碼不正確（登入表單）")
        await state.failures.wait()  # slows guessing a configured password, one guess at a time
        return pages.render(request, "login.html", 403, title="請輸入存取碼", error="存取碼不正確，請再試一次。",
                            back=back)
    response = RedirectResponse(back, status_code=303)  # the page that was asked for
    set_cookie(response, config.session)
    return response


async def invite(request: Request) -> Response:
    """POST: a one-time link for a colleague, on a result page (post/redirect/get, as every form
    here: reloading it shows the same link again rather than making another; never in an address)."""
    state = request.app.state
    if state.config.access_code is None:
        raise Refused(404, "這台伺服器只開放本機使用，不需要邀請連結。")
    link = f"{request.base_url}?invite={state.invites.make()}"
    hours = state.config.invite_seconds / 3600
    token = state.results.new_token()
    page = pages.html(request, "page.html", title="給同事的一次性連結", invite=link, invite_hours=f"{hours:g}",
                      token=token)
    state.results.put(token, page, 200, {})
    return RedirectResponse(request.app.url_path_for("result", token=token) + "#invite-result", status_code=303)


def _disposition(name: str) -> str:
    import urllib.parse

    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{urllib.parse.quote(name)}"


def _file_response(download: pipeline.Download) -> Response:
    return Response(download.data, media_type=download.media_type,
                    headers={"Content-Disposition": _disposition(download.name)})


# Error pages -------------------------------------------------------------------------------------

async def error_page(request: Request, exc: Exception) -> Response:
    """Every refusal, and the router's own 404 and 405, as the page in Chinese with its status."""
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    message = exc.message if isinstance(exc, Refused) else {
        404: "找不到這個網頁。請從首頁開始：上傳活頁簿，或下載空白活頁簿。",
        405: "這個網址不接受這種操作（例如直接開啟了上傳用的網址）。請從首頁上傳活頁簿。",
    }.get(status, pages.TITLES.get(status, "無法處理這個要求。"))
    title = "伺服器正在停止" if message == STOPPING else pages.TITLES.get(status, "無法處理這個要求")
    return pages.render(request, "page.html", status, headers=exc.headers, title=title, error=message)


async def fatal_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FatalError)
    return await error_page(request, Refused(status_of(exc), exc.message))


# The app -----------------------------------------------------------------------------------------

@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """The scratch folder lives as long as the app; on the way out it goes, with whatever is in it."""
    state = app.state
    if state.scratch is None:
        state.scratch = Scratch()
    try:
        yield
    finally:
        state.closing.set()
        state.scratch.remove()


ROUTES = [
    Route("/", home, name="home"),
    Route("/check", check, methods=["POST"], name="check"),
    Route("/result/{token}", result, name="result"),
    Route("/download/{token}/{kind}", download, name="download"),
    Route("/blank", blank, name="blank"),
    Route("/import", import_chapter, methods=["POST"], name="import_chapter"),
    Route("/login", login, methods=["GET", "POST"], name="login"),
    Route("/invite", invite, methods=["POST"], name="invite"),
    Mount("/static", StaticFiles(directory=pages.HERE / "static"), name="static"),
]


def create_app(config: ServeConfig | None = None, scratch: Scratch | None = None) -> Starlette:
    """The page; `config` holds the access code and the limits, `scratch` the temporary folder
    (made by the lifespan when not given; in-process tests without a lifespan use the system's)."""
    config = config or ServeConfig()
    app = Starlette(routes=ROUTES, middleware=[Middleware(Guard)], lifespan=lifespan,
                    exception_handlers={HTTPException: error_page, FatalError: fatal_page})
    state = app.state
    state.config = config
    state.pages = pages.environment()
    state.results = Results(config.keep_seconds, max_bytes=config.max_download_bytes)
    state.capacity = Capacity(config)
    state.admission = Admission(config.max_checks, config.max_upload_memory)
    state.failures = Failures(config.login_delay)
    state.invites = Invites(config.invite_seconds)
    state.estimating = anyio.CapacityLimiter(2)
    state.closing = threading.Event()
    state.scratch = scratch
    return app
