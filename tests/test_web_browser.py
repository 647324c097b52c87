"""`reportgen serve` in a real browser: Debian's Chromium driven by Playwright.

Skipped when Chromium or Playwright is missing (CI installs both); never runs `playwright install`.
Every test here starts or drives a browser, so the whole file is slow (`pytest -m slow`).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from helpers import EXAMPLE, is_expected_chapter, run_cli, write_workbook
from reportgen.web.app import ServeConfig, create_app
from reportgen.web.background import running

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]
ACCESS_CODE = "browser-test-code"
PHONE = {"width": 390, "height": 844}
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
pytestmark = pytest.mark.slow


def have_chromium() -> None:
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.skip(f"Chromium not found at {CHROMIUM}")


@pytest.fixture(scope="module")
def playwright():
    have_chromium()
    with sync_api.sync_playwright() as started:
        yield started


@pytest.fixture(scope="module")
def browser(playwright):
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture(scope="module")
def server():
    with running() as base:
        yield base


@pytest.fixture
def page(browser, server):
    context = browser.new_context(accept_downloads=True, locale="zh-TW")
    opened = context.new_page()
    opened.problems = []  # console errors (a CSP violation shows here) and requests leaving the app
    opened.on("console", lambda m: m.type == "error" and opened.problems.append(m.text))
    opened.on("request", lambda r: r.url.startswith(server) or opened.problems.append(r.url))
    yield opened
    context.close()


@pytest.fixture
def bad_books(tmp_path: Path) -> list[Path]:
    """Two workbooks: errors at 活動!C2 and 訪賓!E2, a warning (zero-width space) at 活動!B3, and an
    error at the second file's 訪賓!E2."""
    first = write_workbook(
        tmp_path / "承辦人A.xlsx",
        activities=[{"節次": 1, "標題": "視訊會議", "開始日期": "110/2/30", "內容": "舉行視訊會議。"},
                    {"節次": 1, "標題": "座談\u200b", "開始日期": "110/9/9", "內容": "座談。"}],
        visits=[{"日期": "110/9/10", "單位": "日本京都市", "代表": "門川大作市長", "人數": "五人"}])
    second = write_workbook(tmp_path / "承辦人B.xlsx", settings=None, sections=None, activities=None,
                            visits=[{"日期": "110/9/11", "單位": "美國某市", "代表": "某市長", "人數": 0}])
    return [first, second]


def upload(page, base: str, *paths) -> None:
    """Choose files (paths, or Playwright file payloads) on the home page and submit."""
    page.goto(base + "/")
    page.set_input_files("#workbooks", [str(p) if isinstance(p, Path) else p for p in paths])
    page.click("#submit")
    page.wait_for_selector("#status, #fatal, #error-message")


def test_example_summary_chapter_and_docx_equal_the_cli(page, server, tmp_path):
    upload(page, server, EXAMPLE)
    cli = run_cli("validate", EXAMPLE).out.splitlines()
    assert [page.inner_text("#status"), page.inner_text("#summary")] == cli
    assert is_expected_chapter(page.text_content("#plain-text").splitlines())
    shown = page.eval_on_selector_all(
        "#chapter > *", """nodes => nodes.map(n => {
            const label = n.querySelector('.label'), text = n.querySelector('.text').textContent;
            return (label ? label.textContent : '') + (n.tagName === 'H5' ? ' ' : '') + text; })""")
    assert is_expected_chapter(shown)
    # the hanging indent: an item's wrapped lines start where its title starts, not under its label
    title_left = page.eval_on_selector("#chapter h5 .text", "n => n.getClientRects()[0].left")
    body_left = page.eval_on_selector("#chapter .p-item_body", "n => n.getBoundingClientRect().left")
    label_left = page.eval_on_selector("#chapter h5 .label", "n => n.getBoundingClientRect().left")
    assert abs(title_left - body_left) < 2 and label_left < title_left - 20
    with page.expect_download() as info:
        page.click("#download-docx")
    assert info.value.suggested_filename == "國際事務.docx"
    out = tmp_path / "cli.docx"
    assert run_cli("build", EXAMPLE, "-o", out).code == 0
    assert Path(info.value.path()).read_bytes() == out.read_bytes()
    with page.expect_download() as info:
        page.click("#download-report")
    assert info.value.suggested_filename == "檢核報告.xlsx"
    assert page.problems == []


def test_bad_workbooks_show_each_problem_at_its_cell_and_filter(page, server, bad_books):
    upload(page, server, *bad_books)
    cli = run_cli("validate", *bad_books)
    assert page.inner_text("#status") == cli.out.splitlines()[-1]
    rows = page.eval_on_selector_all("#problems tbody tr", """rows => rows.map(r =>
        [r.querySelector('.severity').textContent, r.querySelector('.file').textContent,
         r.querySelector('.cell').textContent])""")
    assert len(rows) == len(cli.out.splitlines()) - 1
    cells = {(file, cell) for _, file, cell in rows}
    assert {("承辦人A.xlsx", "活動!C2"), ("承辦人A.xlsx", "活動!B3"), ("承辦人A.xlsx", "訪賓!E2"),
            ("承辦人B.xlsx", "訪賓!E2")} <= cells
    for severity, file, cell in rows:  # each row as the CLI prints it: severity, file, sheet!cell
        assert any(line.startswith(f"{severity}　{file} {cell}") for line in cli.out.splitlines())
    assert page.is_hidden("#download-docx") and page.is_visible("#download-report")
    page.select_option("#filter-severity", "warning")
    visible = page.eval_on_selector_all("#problems tbody tr:not(.hidden) .cell", "ns => ns.map(n => n.textContent)")
    assert visible == ["活動!B3"]
    page.select_option("#filter-severity", "")
    page.select_option("#filter-file", "承辦人B.xlsx")
    files = page.eval_on_selector_all("#problems tbody tr:not(.hidden) .file", "ns => ns.map(n => n.textContent)")
    assert files and set(files) == {"承辦人B.xlsx"}
    assert page.problems == []


def test_the_form_works_with_javascript_off(browser, server, bad_books):
    context = browser.new_context(java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    try:
        upload(page, server, EXAMPLE)
        assert page.inner_text("#status") == "檢核完成：錯誤 0 項、警告 0 項。"
        assert is_expected_chapter(page.text_content("#plain-text").splitlines())
        assert page.is_hidden("#drop-hint")  # the enhancement did not run
        with page.expect_download() as info:
            page.click("#download-docx")
        assert info.value.suggested_filename == "國際事務.docx"
        upload(page, server, *bad_books)  # problems, so the filter menus exist in the page
        assert page.query_selector("#filter-severity") is not None
        assert page.is_hidden("#filters") and page.is_hidden("#filter-severity") and page.is_hidden("#filter-file")
        assert page.is_visible("#problems")
    finally:
        context.close()


def test_files_dropped_on_the_box_are_uploaded(page, server):
    page.goto(server + "/")
    assert page.is_visible("#drop-hint")
    data = list(EXAMPLE.read_bytes())
    transfer = page.evaluate_handle(
        """([bytes, name]) => { const t = new DataTransfer();
            t.items.add(new File([new Uint8Array(bytes)], name)); return t; }""", [data, EXAMPLE.name])
    page.dispatch_event("#drop", "drop", {"dataTransfer": transfer})
    assert EXAMPLE.name in page.inner_text("#chosen")
    page.click("#submit")
    page.wait_for_selector("#status")
    assert page.inner_text("#status") == "檢核完成：錯誤 0 項、警告 0 項。"


def test_a_wrong_access_code_is_refused_and_the_right_one_lets_in(browser):
    with running(ServeConfig(access_code=ACCESS_CODE, loopback=False, login_delay=0)) as base:
        context = browser.new_context()
        page = context.new_page()
        try:
            response = page.goto(base + "/")
            assert response.status == 401 and page.is_visible("#code")
            assert not page.query_selector("#workbooks")
            page.fill("#code", "wrong-code")
            page.click("#login button")
            assert page.inner_text("#login-error") == "存取碼不正確，請再試一次。"
            response = page.goto(base + f"/?token={ACCESS_CODE}")  # a link of the old form is not a way in
            assert response.status == 401 and "網址中的存取碼已不再使用" in page.inner_text("#login-error")
            page.fill("#code", ACCESS_CODE)
            page.click("#login button")
            page.wait_for_selector("#workbooks")
            assert page.url == base + "/"
            upload(page, base, EXAMPLE)
            assert page.inner_text("#status") == "檢核完成：錯誤 0 項、警告 0 項。"
        finally:
            context.close()


def history_urls(profile: Path) -> list[str]:
    """Every address Chromium's History database holds (pages visited, redirects, typed)."""
    database = profile / "Default" / "History"
    assert database.is_file(), "the profile keeps no history"
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        urls = [row[0] for row in connection.execute("SELECT url FROM urls")]
        urls += [row[0] for row in connection.execute(
            "SELECT urls.url FROM visits JOIN urls ON visits.url = urls.id")]
    finally:
        connection.close()
    return urls


def test_the_access_code_never_reaches_the_browser_history(playwright, tmp_path):
    """A persistent profile, as on a shared office PC: a colleague opens a one-time link, another
    types the code, both upload and download. Afterwards the History database holds no address
    with the code, and the one-time link it does hold no longer lets anybody in."""
    app = create_app(ServeConfig(access_code=ACCESS_CODE, loopback=False, login_delay=0))
    profile = tmp_path / "profile"
    with running(app=app) as base:
        invite = app.state.invites.make()
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, accept_downloads=True)
        try:
            page = context.new_page()
            page.goto(f"{base}/?invite={invite}")
            page.wait_for_selector("#workbooks")
            upload(page, base, EXAMPLE)
            with page.expect_download():
                page.click("#download-docx")
            page.context.clear_cookies()  # the next person at this computer
            page.goto(base + "/")
            page.fill("#code", ACCESS_CODE)
            page.click("#login button")
            page.wait_for_selector("#workbooks")
            upload(page, base, EXAMPLE)
            page.reload()
            time.sleep(1.0)  # let Chromium write its history
        finally:
            context.close()
        urls = history_urls(profile)
        assert any(url.startswith(base) for url in urls)  # the history was written
        assert not [url for url in urls if ACCESS_CODE in url]
        spent = [url for url in urls if "invite=" in url]
        assert spent  # the one-time link is there, as any opened link is ...
        import httpx

        for url in spent:  # ... but spent: it lets nobody in
            assert httpx.get(url, timeout=10, follow_redirects=True).status_code == 403


def test_reload_back_and_forward_show_the_result_without_uploading_again(page, server):
    posts: list[str] = []
    page.on("request", lambda r: r.method == "POST" and posts.append(r.url))
    upload(page, server, EXAMPLE)
    result_url = page.url
    assert re.fullmatch(re.escape(server) + r"/result/[\w-]+#result", result_url)
    assert page.title() == "檢核結果：錯誤 0 項、警告 0 項 — 國際事務章 檢核與產生"
    page.reload()
    assert page.inner_text("#status") == "檢核完成：錯誤 0 項、警告 0 項。"
    page.go_back()
    assert page.url == server + "/" and page.is_visible("#workbooks")
    assert page.title() == "施政報告「國際事務」章 — 檢核與產生"
    page.go_forward()
    page.wait_for_selector("#status")
    assert page.url == result_url and page.inner_text("#status") == "檢核完成：錯誤 0 項、警告 0 項。"
    assert is_expected_chapter(page.text_content("#plain-text").splitlines())
    assert len(posts) == 1  # one upload, however often the result is shown
    assert page.problems == []


def test_an_expired_download_link_shows_why(browser):
    with running(ServeConfig(keep_seconds=1.5)) as base:
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        downloads: list = []
        page.on("download", lambda download: downloads.append(download))
        try:
            upload(page, base, EXAMPLE)
            time.sleep(2)
            page.click("#download-docx")
            page.wait_for_selector("#error-message")
            assert "下載連結已過期" in page.inner_text("#error-message")
            assert page.title().startswith("連結已過期")
            assert downloads == []  # no file saved as docx.html, marked failed
        finally:
            context.close()


def test_the_submit_button_shows_the_upload_is_under_way(page, server):
    """On submit the button is disabled and says 檢核中…, a progress bar shows; coming back to
    the page (Back) makes it usable again. The first submit is kept from leaving the page (a
    listener after the page's own) so its state can be read; the second really uploads."""
    page.goto(server + "/")
    assert page.is_hidden("#progress") and page.inner_text("#submit") == "檢核並預覽"
    page.set_input_files("#workbooks", str(EXAMPLE))
    page.evaluate("document.getElementById('upload-form').addEventListener('submit', e => e.preventDefault())")
    page.click("#submit")
    state = """() => { const b = document.getElementById('submit'), bar = document.getElementById('progress');
        return [b.disabled, b.textContent, b.getAttribute('aria-busy'), bar.hidden]; }"""
    assert page.evaluate(state) == [True, "檢核中…", "true", False]
    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
    assert page.evaluate(state) == [False, "檢核並預覽", None, True]
    upload(page, server, EXAMPLE)
    page.go_back()
    page.wait_for_selector("#workbooks")
    assert page.evaluate(state) == [False, "檢核並預覽", None, True]


def test_the_import_button_sends_one_submission_and_says_so(page, server, tmp_path):
    """A double click on 轉成活頁簿 sends the chapter once; the button says 轉換中… until the page
    comes back (Back makes it usable again)."""
    chapter = tmp_path / "c.txt"
    chapter.write_text("貳、外交\n一、節\n(一) 甲\n內文110年8月1日。\n", encoding="utf-8")
    page.goto(server + "/")
    page.set_input_files("#chapter-file", str(chapter))
    page.evaluate("""() => { window.sent = 0; document.getElementById('import-submit').form.addEventListener(
        'submit', e => { if (!e.defaultPrevented) window.sent++; e.preventDefault(); }); }""")
    page.dblclick("#import-submit")
    state = """() => { const b = document.getElementById('import-submit');
        return [b.disabled, b.textContent, window.sent]; }"""
    assert page.evaluate(state) == [True, "轉換中…", 1]
    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
    assert page.evaluate(state)[:2] == [False, "轉成活頁簿"]


RTL_NAME = "a\u202ebc.xlsx"  # sorts before b.xlsx, so b.xlsx follows it in the list
LETTER_ORDER = """nodes => nodes.map(node => {
    const text = node.firstChild, range = document.createRange(), lefts = [];
    for (let i = 0; i < text.length; i++) {
        range.setStart(text, i); range.setEnd(text, i + 1);
        const box = range.getBoundingClientRect(); if (box.width) lefts.push(box.left); }
    return lefts.every((left, i) => i === 0 || left > lefts[i - 1]); })"""


def test_a_direction_control_in_one_name_does_not_reverse_the_next(page, server, tmp_path):
    """U+202E in a file name: the next name in the list still reads left to right. The same two
    names in plain <span>s (as the page had them) are checked too, so the measure can fail."""
    first = write_workbook(tmp_path / "first.xlsx")
    second = write_workbook(tmp_path / "b.xlsx")
    upload(page, server, *({"name": name, "mimeType": "application/octet-stream", "buffer": path.read_bytes()}
                           for name, path in ((RTL_NAME, first), ("b.xlsx", second))))
    names = page.eval_on_selector_all(".files .file", "nodes => nodes.map(n => n.textContent)")
    assert names == [RTL_NAME, "b.xlsx"]
    assert page.eval_on_selector_all(".files .file", LETTER_ORDER)[1] is True
    page.evaluate("""name => { const p = document.createElement('p'); p.id = 'control';
        p.innerHTML = '<span class="c">' + name + '</span>、<span class="c">b.xlsx</span>';
        document.body.appendChild(p); }""", RTL_NAME)
    assert page.eval_on_selector_all("#control .c", LETTER_ORDER)[1] is False


def overflow(page) -> int:
    """How far the page is wider than the window (0: no horizontal scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_a_long_workbook_name_keeps_the_filters_within_the_page(browser, server, bad_books, tmp_path):
    """The longest name the page keeps (66 CJK characters) in the 檔案 filter, at 1024 px: no sideways
    scrolling (the list shows the name whole; the closed box stays in its card)."""
    import shutil

    long = tmp_path / ("國際事務科承辦人" * 8 + "甲乙.xlsx")
    shutil.copy(bad_books[0], long)
    context = browser.new_context(viewport={"width": 1024, "height": 800}, locale="zh-TW")
    page = context.new_page()
    try:
        upload(page, server, long, bad_books[1])
        assert page.is_visible("#filter-file")
        assert overflow(page) == 0
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 900}], ids=["phone", "desktop"])
def test_results_fit_the_width_and_come_into_view(browser, server, bad_books, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-TW")
    page = context.new_page()
    try:
        upload(page, server, *bad_books)
        assert overflow(page) == 0
        assert page.evaluate("window.scrollY") > 0  # the browser went to the result, not the empty form
        top = page.eval_on_selector("#result", "n => n.getBoundingClientRect().top")
        assert -2 <= top < 60
        rows = page.eval_on_selector_all("#problems tbody tr", "rows => rows.map(r => r.getBoundingClientRect().right)")
        assert rows and max(rows) <= viewport["width"]
        for cell in ("message", "fix"):  # the message and its fix are on screen, not beyond its edge
            rights = page.eval_on_selector_all(f"#problems td.{cell}",
                                               "ns => ns.map(n => n.getBoundingClientRect().right)")
            assert max(rights) <= viewport["width"]
        upload(page, server, EXAMPLE)
        assert overflow(page) == 0
        # the preview reads: body lines hold at least 12 characters, items keep their hanging indent
        widths = page.eval_on_selector_all(
            "#chapter .p-item_body, #chapter .p-section_body",
            "ns => ns.map(n => n.getBoundingClientRect().width / parseFloat(getComputedStyle(n).fontSize))")
        assert min(widths) >= 12
        title_left = page.eval_on_selector("#chapter h5 .text", "n => n.getClientRects()[0].left")
        body_left = page.eval_on_selector("#chapter .p-item_body", "n => n.getBoundingClientRect().left")
        assert abs(title_left - body_left) < 2
    finally:
        context.close()
