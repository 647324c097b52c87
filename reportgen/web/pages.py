"""The page's HTML: one Jinja environment, the titles, and what every template is given."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from .. import __version__
from . import pipeline
from .config import MB

HERE = Path(__file__).resolve().parent
SITE = "國際事務章 檢核與產生"
HOME_TITLE = "施政報告「國際事務」章 — 檢核與產生"
TITLES = {
    400: "無法處理這個要求", 403: "要求已拒絕", 404: "找不到這個網頁", 405: "這個網址不接受這種操作",
    408: "上傳逾時", 410: "連結已過期", 413: "檔案過大", 422: "無法讀取檔案", 500: "內部錯誤",
    503: "伺服器暫時無法處理", 504: "處理逾時",
}
# Characters that change the direction of the text around them (Unicode bidi classes).
BIDI_CLASSES = frozenset({"R", "AL", "AN", "RLE", "LRE", "RLO", "LRO", "PDF", "RLI", "LRI", "FSI", "PDI"})


def _mb(value: int) -> str:
    return f"{value / MB:g} MB"


def isolated(name: str) -> str:
    """A file name inside a sentence, kept apart from the text around it when it holds
    right-to-left letters or direction controls (U+202E would reverse the rest of the line)."""
    if any(unicodedata.bidirectional(ch) in BIDI_CLASSES for ch in name):
        return f"\u2068{name}\u2069"
    return name


def _isolate_names(text: str, names: list[str]) -> str:
    """Each file name in a message kept apart from the words around it."""
    for name in names:
        shown = isolated(name)
        if shown != name:
            text = text.replace(name, shown)
    return text


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["mb"] = _mb
    env.filters["shorten"] = lambda text: pipeline.shorten(text, 80)
    env.filters["names"] = _isolate_names
    return env


def html(request: Request, template: str, **context: Any) -> str:
    """A template rendered with what every page needs: the limits, the links, the half-years."""
    state = request.app.state
    config = state.config
    half_years, this_half = pipeline.half_years()
    values = {"version": __version__, "limits": config, "error": "", "checked": None, "imported": None, "token": "",
              "half_years": half_years, "this_half": this_half, "pdf_available": False,
              "problem_files": [], "keep_minutes": int(config.keep_seconds // 60), "title": "",
              "site": SITE, "home_title": HOME_TITLE, "invite": "", "invites": config.access_code is not None,
              "back": "/",
              "url": lambda name, **params: request.app.url_path_for(name, **params),
              "static": lambda name: f"/static/{name}?v={__version__}"}
    values.update(context)
    return state.pages.get_template(template).render(values)


def render(request: Request, template: str, status: int = 200, headers: dict[str, str] | None = None,
           **context: Any) -> HTMLResponse:
    return HTMLResponse(html(request, template, **context), status_code=status, headers=headers)


def result_title(checked: pipeline.Checked) -> str:
    """The result page's title: what the check found, so tabs and history tell uploads apart."""
    if checked.fatal:
        return "無法讀取活頁簿"
    errors = sum(p.is_error for p in checked.problems)
    warnings = len(checked.problems) - errors
    if checked.docx is None and not errors:
        return "無法產生 Word 文件"
    return f"檢核結果：錯誤 {errors} 項、警告 {warnings} 項"
