"""`reportgen serve` in a real browser: Debian's Chromium driven by Playwright.

Skipped when Chromium or Playwright is missing (CI installs both); never runs `playwright install`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from helpers import EXAMPLE, EXPECTED_CHAPTER, run_cli, write_workbook
from reportgen.web.app import ServeConfig
from reportgen.web.background import running

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ACCESS_CODE = "browser-test-code"
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
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


def upload(page, base: str, *paths: Path) -> None:
    page.goto(base + "/")
    page.set_input_files("#workbooks", [str(p) for p in paths])
    page.click("#submit")
    page.wait_for_selector("#status, #fatal, #error-message")


def test_example_summary_chapter_and_docx_equal_the_cli(page, server, tmp_path):
    upload(page, server, EXAMPLE)
    cli = run_cli("validate", EXAMPLE).out.splitlines()
    assert [page.inner_text("#status"), page.inner_text("#summary")] == cli
    expected = EXPECTED_CHAPTER.read_text(encoding="utf-8")
    assert page.text_content("#plain-text") == expected
    shown = page.eval_on_selector_all(
        "#chapter > *", """nodes => nodes.map(n => {
            const label = n.querySelector('.label'), text = n.querySelector('.text').textContent;
            return (label ? label.textContent : '') + (n.tagName === 'H5' ? ' ' : '') + text; })""")
    assert "\n".join(shown) + "\n" == expected
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


def test_the_form_works_with_javascript_off(browser, server):
    context = browser.new_context(java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    try:
        upload(page, server, EXAMPLE)
        assert page.inner_text("#status") == "檢核完成：錯誤 0 項、警告 0 項。"
        assert page.text_content("#plain-text") == EXPECTED_CHAPTER.read_text(encoding="utf-8")
        assert page.is_hidden("#drop-hint")  # the enhancement did not run
        with page.expect_download() as info:
            page.click("#download-docx")
        assert info.value.suggested_filename == "國際事務.docx"
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
            response = page.goto(base + "/?token=also-wrong")
            assert response.status == 403 and "存取碼不正確" in page.inner_text("#login-error")
            response = page.goto(base + f"/?token={ACCESS_CODE}")
            assert response.status == 200 and page.url == base + "/"  # the code left the address bar
            upload(page, base, EXAMPLE)
            assert page.inner_text("#status") == "檢核完成：錯誤 0 項、警告 0 項。"
        finally:
            context.close()
