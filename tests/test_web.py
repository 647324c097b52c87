"""`reportgen serve`: the page is the CLI's pipeline, safe by default (in-process, no browser)."""

from __future__ import annotations

import html
import io
import logging
import re
import tempfile
import time
import warnings
from pathlib import Path

import pytest
from openpyxl import load_workbook

with warnings.catch_warnings():  # Starlette 1.x prefers httpx2 for its test client; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from helpers import EXAMPLE, FIXTURES, is_expected_chapter, run_cli, write_workbook
from reportgen.web import estimate, pipeline
from reportgen.web.app import ServeConfig, create_app
from reportgen.web.server import PASSWORD_ENV, config_for, is_loopback
from template_edits import rewrite
from zipparts import ACTIVITY_SHEET, RawEntry, deflated_zeros, entries_of, replace_text, write_raw_zip

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BASE = "http://127.0.0.1:8000"
SAME_ORIGIN = {"Origin": BASE, "Sec-Fetch-Site": "same-origin"}
CELL_MARKER = "QZXMARKERQZX"  # typed into cells: must never reach a log


def client(config: ServeConfig | None = None) -> TestClient:
    return TestClient(create_app(config), base_url=BASE)


def upload(c: TestClient, *paths: Path, template: Path | None = None, headers=None, names=None):
    files = [("workbooks", ((names or {}).get(p, p.name), p.read_bytes(), XLSX)) for p in paths]
    if template is not None:
        files.append(("template", (template.name, template.read_bytes(), "application/octet-stream")))
    return c.post("/check", files=files, headers=SAME_ORIGIN if headers is None else headers)


def texts(page: str, css_class: str) -> list[str]:
    """The text of every element of a class, tags stripped."""
    found = re.findall(rf'<(\w+)[^>]*class="[^"]*\b{css_class}\b[^"]*"[^>]*>(.*?)</\1>', page, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", inner)).strip() for _, inner in found]


def by_id(page: str, ident: str) -> str:
    match = re.search(rf'<(\w+)[^>]*id="{ident}"[^>]*>(.*?)</\1>', page, re.S)
    assert match, f"#{ident} not on the page"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(2))).strip()


def download_links(page: str) -> dict[str, str]:
    return {kind: f"/download/{token}/{kind}" for token, kind in re.findall(r'/download/([\w-]+)/(\w+)"', page)}


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    """Three mistakes at known cells: 人數 text (訪賓!E2), impossible date (活動!C2), unknown section."""
    return write_workbook(
        tmp_path / "承辦人A.xlsx",
        activities=[{"節次": 1, "標題": "視訊會議", "開始日期": "110/2/30", "內容": "舉行視訊會議。"},
                    {"節次": 9, "標題": "座談", "開始日期": "110/9/9", "內容": "座談。"}],
        visits=[{"日期": "110/9/10", "單位": "日本京都市", "代表": "門川大作市長", "人數": "五人"}])


# 1. One code path ------------------------------------------------------------------------------

def test_example_page_shows_the_cli_summary_and_the_expected_chapter(tmp_path):
    response = upload(client(), EXAMPLE)
    assert response.status_code == 200
    cli = run_cli("validate", EXAMPLE)
    assert cli.code == 0
    assert [by_id(response.text, "status"), by_id(response.text, "summary")] == cli.out.splitlines()
    assert is_expected_chapter(by_id(response.text, "plain-text").splitlines())
    # the HTML chapter: literal labels, item title after its label, one paragraph a line
    chapter = re.search(r'<article class="chapter[^"]*" id="chapter"[^>]*>(.*?)</article>', response.text, re.S)
    lines = []
    for tag, label, text in re.findall(
            r'<(h3|h4|h5|p) class="p-[^"]*">(?:<span class="label">(.*?)</span>)?<span class="text">(.*?)</span>',
            chapter.group(1), re.S):
        lines.append(html.unescape(label + (" " if tag == "h5" else "") + text))
    assert is_expected_chapter(lines)
    assert len(re.findall(r'class="p-section_body visitors"', response.text)) == 1


def test_downloaded_docx_is_byte_identical_to_reportgen_build(tmp_path):
    c = client()
    response = upload(c, EXAMPLE)
    links = download_links(response.text)
    assert set(links) >= {"docx", "report"}
    docx = c.get(links["docx"])
    assert docx.status_code == 200
    assert "attachment" in docx.headers["content-disposition"]
    assert "filename*=UTF-8''%E5%9C%8B%E9%9A%9B%E4%BA%8B%E5%8B%99.docx" in docx.headers["content-disposition"]
    out = tmp_path / "chapter.docx"
    assert run_cli("build", EXAMPLE, "-o", out).code == 0
    assert docx.content == out.read_bytes()


def test_annotated_report_download_is_the_validate_report(bad, tmp_path):
    c = client()
    response = upload(c, bad)
    links = download_links(response.text)
    assert "docx" not in links  # errors: no chapter
    report = c.get(links["report"])
    assert report.status_code == 200 and report.headers["content-type"] == XLSX
    assert "%E6%AA%A2%E6%A0%B8%E5%A0%B1%E5%91%8A.xlsx" in report.headers["content-disposition"]  # 檢核報告
    run_cli("validate", bad, "--report", tmp_path / "cli.xlsx")
    page_book = load_workbook(io.BytesIO(report.content))
    cli_book = load_workbook(tmp_path / "cli.xlsx")
    assert page_book.sheetnames == cli_book.sheetnames
    for name in page_book.sheetnames:
        assert [[c.value for c in r] for r in page_book[name].iter_rows()] == \
               [[c.value for c in r] for r in cli_book[name].iter_rows()]


def test_problems_equal_validate_and_each_cell_is_shown(bad):
    response = upload(client(), bad)
    assert response.status_code == 200
    cli = run_cli("validate", bad)
    assert cli.code == 1
    cli_problems = cli.out.splitlines()[:-1]  # the last line is 檢核完成：…
    checked = pipeline.check([pipeline.Upload(bad.name, bad.read_bytes())])
    assert [p.render() for p in checked.problems] == cli_problems
    assert by_id(response.text, "status") == cli.out.splitlines()[-1]
    cells = texts(response.text, "cell")
    assert cells == [f"{p.location.sheet}!{p.location.cell}" if p.location.cell else p.location.sheet
                     for p in checked.problems]
    assert {"活動!C2", "活動!A3", "訪賓!E2"} <= set(cells)
    assert texts(response.text, "severity") == ["錯誤"] * len(cells)
    assert set(texts(response.text, "file")) == {bad.name}
    assert "填寫的是「五人」" in response.text and "填寫的是「110/2/30」" in response.text


def test_several_workbooks_are_read_in_name_order_like_a_folder(tmp_path, bad):
    """Two files, posted in reverse name order: the same problems as `validate FOLDER`."""
    folder = tmp_path / "in"
    folder.mkdir()
    second = write_workbook(folder / "b.xlsx", settings=None, sections=None, activities=None,
                            visits=[{"日期": "110/9/10", "單位": "日本京都市", "代表": "某市長", "人數": 2}])
    first = write_workbook(folder / "a.xlsx")
    response = upload(client(), second, first)
    cli = run_cli("validate", folder)
    checked = pipeline.check([pipeline.Upload(p.name, p.read_bytes()) for p in (second, first)])
    assert checked.files == ["a.xlsx", "b.xlsx"]
    assert [p.render() for p in checked.problems] == cli.out.splitlines()[:-1]
    assert by_id(response.text, "status") == cli.out.splitlines()[-1]


def test_an_ods_workbook_gives_the_same_chapter():
    ods = FIXTURES / "範例_110年下半年_國際事務.ods"
    response = upload(client(), ods)
    assert response.status_code == 200
    assert is_expected_chapter(by_id(response.text, "plain-text").splitlines())


def test_a_chosen_template_is_used(tmp_path):
    from helpers import REPO

    template = REPO / "templates" / "report.docx"
    c = client()
    links = download_links(upload(c, EXAMPLE, template=template).text)
    out = tmp_path / "chapter.docx"
    run_cli("build", EXAMPLE, "-o", out, "--template", template)
    assert c.get(links["docx"]).content == out.read_bytes()
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"not a zip")
    refused = upload(c, EXAMPLE, template=broken)
    assert refused.status_code == 400 and "不是 Word 文件" in by_id(refused.text, "error-message")
    assert "/tmp" not in refused.text


def test_a_template_that_is_not_a_word_file_says_so_instead_of_no_problems(tmp_path):
    """A workbook in the template slot (a zip, but no Word document): the page leads with the
    template's problem and never says plainly that nothing was found."""
    other = tmp_path / "範本.docx"
    other.write_bytes(EXAMPLE.read_bytes())
    response = upload(client(), EXAMPLE, template=other)
    assert response.status_code == 200
    assert "docx" not in download_links(response.text)
    refusal = by_id(response.text, "refusal")
    assert "範本 範本.docx 是 Excel 活頁簿，不是 Word 文件" in refusal  # its own words, as build says (SPEC §6)
    assert 'class="status bad"' in response.text
    assert by_id(response.text, "no-problems").startswith("活頁簿本身沒有發現任何問題；Word 文件因上面的原因沒有產生")
    assert by_id(response.text, "no-docx").startswith("Word 文件：未產生")
    assert "<title>無法產生 Word 文件" in response.text


def test_a_template_missing_styles_lists_every_finding_as_build_does(tmp_path):
    """SPEC §6: `build --template` runs the template check and every problem is reported: the page
    lists each missing style and the warnings, as `build --template` prints them, and builds nothing."""
    import docx

    python_docx_default = tmp_path / "預設.docx"  # python-docx's own template: none of the chapter's styles
    docx.Document().save(python_docx_default)
    response = upload(client(), EXAMPLE, template=python_docx_default)
    assert response.status_code == 200 and "docx" not in download_links(response.text)
    shown = re.findall(r'<li class="template-warning">(.*?)</li>', response.text, re.S)
    built = run_cli("build", EXAMPLE, "-o", tmp_path / "x.docx", "--template", python_docx_default)
    printed = built.err.splitlines()[:-1]
    assert [html.unescape(line) for line in shown] == printed
    assert len([line for line in shown if "缺少段落樣式" in line]) == 2
    assert "缺少必要的樣式" in by_id(response.text, "refusal")


LETTER_JA = (replace_text('<w:pgSz w:w="11906" w:h="16838"/>', '<w:pgSz w:w="12240" w:h="15840"/>'),
             replace_text('w:eastAsia="zh-TW"', 'w:eastAsia="ja-JP"'))


def test_template_warnings_are_shown_as_build_prints_them(tmp_path):
    """A Letter-size, ja-JP template: the page shows the lines `build --template` prints, and builds."""
    from helpers import REPO

    def edit(name: str, data: bytes) -> bytes:
        if name == "word/document.xml":
            return LETTER_JA[0](data)
        return LETTER_JA[1](data) if name == "word/styles.xml" else data

    template = rewrite(REPO / "templates" / "report.docx", tmp_path / "信紙範本.docx", edit)
    out = tmp_path / "chapter.docx"
    cli = run_cli("build", EXAMPLE, "-o", out, "--template", template)
    assert cli.code == 0 and "紙張不是 A4" in cli.err and "ja-JP" in cli.err
    c = client()
    response = upload(c, EXAMPLE, template=template)
    assert response.status_code == 200
    assert texts(response.text, "template-warning") == cli.err.splitlines()
    assert c.get(download_links(response.text)["docx"]).content == out.read_bytes()
    plain = upload(c, EXAMPLE)
    assert 'id="template-warnings"' not in plain.text


def test_a_dotx_template_is_accepted_as_build_accepts_it(tmp_path):
    from helpers import REPO

    document = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    template_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
    dotx = rewrite(REPO / "templates" / "report.docx", tmp_path / "總報告.dotx", lambda name, data: replace_text(
        document, template_type)(data) if name == "[Content_Types].xml" else data)
    out = tmp_path / "chapter.docx"
    assert run_cli("build", EXAMPLE, "-o", out, "--template", dotx).code == 0
    c = client()
    response = upload(c, EXAMPLE, template=dotx)
    assert response.status_code == 200, by_id(response.text, "error-message")
    assert c.get(download_links(response.text)["docx"]).content == out.read_bytes()
    assert 'accept=".docx,.dotx"' in c.get("/").text
    other = tmp_path / "範本.doc"
    other.write_bytes(b"x")
    refused = upload(c, EXAMPLE, template=other)
    assert refused.status_code == 400 and ".docx 或 .dotx" in by_id(refused.text, "error-message")


def test_blank_workbook_for_a_chosen_half_year():
    c = client()
    page = c.get("/").text
    assert 'name="half"' in page
    response = c.get("/blank", params={"half": "112-1"})
    assert response.status_code == 200
    assert "%E5%9C%8B%E9%9A%9B%E4%BA%8B%E5%8B%99_112%E5%B9%B4%E4%B8%8A%E5%8D%8A%E5%B9%B4.xlsx" in \
        response.headers["content-disposition"]  # 國際事務_112年上半年.xlsx
    book = load_workbook(io.BytesIO(response.content))
    settings = {row[0]: row[1] for row in book["報告設定"].iter_rows(values_only=True) if row[0]}
    assert {"活動", "訪賓", "章節"} <= set(book.sheetnames)
    assert "期間起" in settings and "112" in str(settings["期間起"])
    assert c.get("/blank", params={"half": "../x"}).status_code == 400


def test_half_years_offered_around_today():
    import datetime as dt

    offered, today = pipeline.half_years(dt.date(2022, 3, 1))
    assert today == "111-1"
    assert [h.key for h in offered] == ["110-1", "110-2", "111-1", "111-2", "112-1"]
    assert pipeline.half_year("111-2").period == "111/7/1-111/12/31"
    with pytest.raises(ValueError):
        pipeline.half_year("111-3")


@pytest.mark.slow
def test_pdf_download_when_libreoffice_is_present():
    from reportgen.write.convert import find_soffice

    if find_soffice() is None:
        pytest.skip("LibreOffice not installed")
    c = client()
    links = download_links(upload(c, EXAMPLE).text)
    response = c.get(links["pdf"])
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert response.headers["content-type"] == "application/pdf"


@pytest.mark.slow
def test_a_pdf_asked_for_twice_at_once_is_converted_once(monkeypatch):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from reportgen.web.background import running

    calls, entered, release = [], threading.Event(), threading.Event()

    def slow_pdf(docx, folder=None):
        calls.append(docx.name)
        entered.set()
        release.wait(30)
        return pipeline.Download("本章.pdf", b"%PDF-1.4 converted once", "application/pdf")

    monkeypatch.setattr(pipeline, "soffice_available", lambda: True)
    monkeypatch.setattr(pipeline, "pdf", slow_pdf)
    with running(ServeConfig(workers=2)) as base, ThreadPoolExecutor(2) as pool:
        page = httpx.post(base + "/check", files=[("workbooks", (EXAMPLE.name, EXAMPLE.read_bytes(), XLSX))],
                          timeout=60, follow_redirects=True).text
        link = base + download_links(page)["pdf"]
        first = pool.submit(httpx.get, link, timeout=60)
        assert entered.wait(30)
        second = pool.submit(httpx.get, link, timeout=60)
        time.sleep(0.3)  # let the second request reach the server (no timing is asserted)
        release.set()
        answers = [first.result(), second.result()]
    assert [a.status_code for a in answers] == [200, 200]
    assert {a.content for a in answers} == {b"%PDF-1.4 converted once"}
    assert len(calls) == 1


def test_libreoffice_temporary_paths_are_not_shown(monkeypatch):
    from reportgen.write import convert

    def failing(docx, kinds, **options):
        raise pipeline.FatalError(
            "LibreOffice 無法將 chapter.docx 轉成 PDF（結束代碼 1）：Error: source file could not be loaded "
            "/tmp/reportgen-soffice-k2j4/pdf-x1y2/input.docx / file:///tmp/reportgen-soffice-k2j4/profile。"
            f"Word 文件 {docx} 已產生，不受影響。")

    monkeypatch.setattr(convert, "convert", failing)
    with pytest.raises(pipeline.FatalError) as caught:
        pipeline.pdf(pipeline.Download("本章.docx", b"PK", pipeline.DOCX))
    message = caught.value.message
    assert "reportgen-soffice" not in message and "/tmp" not in message and "reportgen-web" not in message
    assert message.startswith("LibreOffice 無法將 本章.docx 轉成 PDF（結束代碼 1）：Error: source file could not be")
    assert "已產生" not in message  # the page's own Word file: nothing to tell


def test_a_failed_pdf_conversion_is_told_whole_in_the_page_s_terms(monkeypatch):
    """The converter's message, every sentence of it, naming the download; its advice to reinstall
    LibreOffice (which runs on the server) replaced by what staff can do."""
    from reportgen.write import convert

    def failing(docx, kinds, **options):
        raise pipeline.FatalError(f"LibreOffice 無法將 {docx.name} 轉成 PDF（結束代碼 1）。請確認 LibreOffice "
                                  "能正常開啟這份 Word 文件，必要時重新安裝 LibreOffice 後再試。"
                                  f"Word 文件 {docx} 已產生，不受影響。")

    monkeypatch.setattr(convert, "convert", failing)
    with pytest.raises(pipeline.FatalError) as caught:
        pipeline.pdf(pipeline.Download("國際事務.docx", b"PK", pipeline.DOCX))
    assert caught.value.message == ("LibreOffice 無法將 國際事務.docx 轉成 PDF（結束代碼 1）。"
                                    "請稍後再試；若一直如此，請洽系統管理人員。")


def test_no_pdf_link_without_libreoffice(monkeypatch):
    monkeypatch.setattr(pipeline, "soffice_available", lambda: False)
    response = upload(client(), EXAMPLE)
    assert "pdf" not in download_links(response.text)
    assert "沒有安裝 LibreOffice" in by_id(response.text, "no-pdf")


# 2. Offline, no inline script, works without JavaScript -----------------------------------------

def test_page_is_chinese_self_contained_and_without_inline_script():
    c = client()
    response = c.get("/")
    assert response.status_code == 200
    page = response.text
    assert '<html lang="zh-Hant-TW">' in page and "上傳活頁簿" in page
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing fetched from elsewhere
    for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S):
        assert 'src="/static/' in attrs and body.strip() == ""
    assert not re.search(r"\son\w+=", page)  # no inline event handlers
    assert not re.search(r"\sstyle=", page)  # the CSP allows no inline style either
    # the form alone works: a plain multipart post to the server
    assert re.search(r'<form method="post" action="/check" enctype="multipart/form-data"', page)
    for asset in re.findall(r'(?:src|href)="(/static/[^"?]+)', page):
        served = c.get(asset)
        assert served.status_code == 200 and served.content
        if asset.endswith((".css", ".js")):  # nothing that would fetch from elsewhere
            assert "@import" not in served.text and "url(" not in served.text and "http" not in served.text
    css = c.get("/static/app.css").text
    assert "@font-face" not in css


def test_every_response_carries_the_security_headers():
    c = client()
    for response in (c.get("/"), c.get("/static/app.js"), upload(c, EXAMPLE), c.get("/download/nope/docx")):
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"


# 3. Safe by default ----------------------------------------------------------------------------

def test_loopback_needs_no_code_and_other_hosts_do(monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    assert all(is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "127.0.0.2"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "192.168.1.10", "::", "office-pc"))
    config, kind = config_for("127.0.0.1")
    assert config.access_code is None and config.loopback and kind == ""
    first, kind = config_for("0.0.0.0")
    second, _ = config_for("0.0.0.0")
    assert kind == "token" and len(first.access_code) >= 20 and first.access_code != second.access_code
    assert not first.loopback
    monkeypatch.setenv(PASSWORD_ENV, "office-secret")
    config, kind = config_for("192.168.1.10")
    assert kind == "password" and config.access_code == "office-secret"


def test_an_access_code_in_the_address_is_never_read():
    """A link in the old form (`?token=`) is not a way in: the code would stay in the browser's
    history. The login page says why, the code is not even compared, and nothing waits."""
    c = client(ServeConfig(access_code="right-code", loopback=False))
    first = c.get("/")
    assert first.status_code == 401 and "請輸入存取碼" in first.text and "上傳活頁簿" not in first.text
    assert upload(c, EXAMPLE).status_code == 401
    old_link = c.get("/?token=right-code", follow_redirects=False)
    assert old_link.status_code == 401 and "set-cookie" not in old_link.headers
    assert "網址中的存取碼已不再使用" in by_id(old_link.text, "login-error")
    assert c.get("/").status_code == 401
    assert c.get("/static/app.css").status_code == 200


def test_access_code_typed_into_the_login_form():
    c = client(ServeConfig(access_code="right-code", loopback=False, login_delay=0))
    assert c.post("/login", data={"code": "nope"}, headers=SAME_ORIGIN).status_code == 403
    assert c.get("/").status_code == 401
    ok = c.post("/login", data={"code": "right-code"}, headers=SAME_ORIGIN, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "right-code" not in cookie
    assert c.get("/").status_code == 200
    assert upload(c, EXAMPLE).status_code == 200


def test_a_result_link_opened_by_a_colleague_comes_back_after_the_login(tmp_path):
    """A colleague given a /result/… address logs in and lands on that result, not on the start page;
    the form returns only to a path of this site."""
    config = ServeConfig(access_code="right-code", loopback=False, login_delay=0)
    app = create_app(config)
    sender, colleague = TestClient(app, base_url=BASE), TestClient(app, base_url=BASE)
    assert sender.post("/login", data={"code": "right-code"}, headers=SAME_ORIGIN).status_code == 200
    shared = upload(sender, EXAMPLE).url.path
    assert shared.startswith("/result/")
    asked = colleague.get(shared)
    assert asked.status_code == 401 and f'name="back" value="{shared}"' in asked.text
    ok = colleague.post("/login", data={"code": "right-code", "back": shared}, headers=SAME_ORIGIN,
                        follow_redirects=False)
    assert (ok.status_code, ok.headers["location"]) == (303, shared)
    assert colleague.get(shared).status_code == 200
    for elsewhere in ("//evil.example/x", "https://evil.example/", "\\\\evil", "result"):
        away = colleague.post("/login", data={"code": "right-code", "back": elsewhere}, headers=SAME_ORIGIN,
                              follow_redirects=False)
        assert away.headers["location"] == "/"


def test_a_one_time_link_lets_one_browser_in_once():
    """The link `reportgen serve` prints (and the page makes for a colleague) holds a one-time
    code, not the access code: once opened it is spent, so the history keeps a dead link."""
    config = ServeConfig(access_code="right-code", loopback=False, login_delay=0)
    app = create_app(config)
    first, second = TestClient(app, base_url=BASE), TestClient(app, base_url=BASE)
    code = app.state.invites.make()
    assert "right-code" not in code
    opened = first.get(f"/?invite={code}", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/"
    assert first.get("/").status_code == 200
    spent = second.get(f"/?invite={code}", follow_redirects=False)
    assert spent.status_code == 403 and "已經使用過或已過期" in by_id(spent.text, "login-error")
    assert second.get("/").status_code == 401
    # a colleague inside makes another one; it is shown on the answer, never put in an address
    made = first.post("/invite", headers=SAME_ORIGIN)
    assert made.status_code == 200 and "<title>給同事的一次性連結" in made.text
    assert made.history[0].status_code == 303 and made.url.path.startswith("/result/")  # post/redirect/get
    link = re.search(r'id="invite-link" readonly value="([^"]+)"', made.text).group(1)
    again = first.get(made.url.path)  # reloading shows the same link, it makes none
    assert re.search(r'id="invite-link" readonly value="([^"]+)"', again.text).group(1) == link
    assert link.startswith(BASE + "/?invite=") and "right-code" not in link
    assert second.get(link.removeprefix(BASE), follow_redirects=False).status_code == 303
    assert second.get("/").status_code == 200
    expired = create_app(ServeConfig(access_code="right-code", loopback=False, login_delay=0, invite_seconds=0))
    late = TestClient(expired, base_url=BASE).get(f"/?invite={expired.state.invites.make()}", follow_redirects=False)
    assert late.status_code == 403


def test_codes_are_compared_in_constant_time(monkeypatch):
    import hmac

    from reportgen.web import guard

    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(guard.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    c = client(ServeConfig(access_code="right-code", loopback=False, login_delay=0))
    c.post("/login", data={"code": "wrong"}, headers=SAME_ORIGIN)
    assert (b"wrong", b"right-code") in calls


def test_loopback_server_answers_only_its_own_host_names():
    c = client()
    assert c.get("/").status_code == 200
    assert c.get("/", headers={"Host": "localhost:8000"}).status_code == 200
    rebound = c.get("/", headers={"Host": "evil.example:8000"})
    assert rebound.status_code == 400 and "不接受的主機名稱" in rebound.text
    port = c.get("/").request.url.port or 80  # where this server listens, not the port the Host named
    assert f"http://127.0.0.1:{port}/" in rebound.text


def test_an_old_excel_file_is_told_to_be_saved_as_xlsx():
    page = client().post("/check", files=[("workbooks", ("舊.xls", b"\xd0\xcf\x11\xe0", "application/vnd.ms-excel"))],
                         headers=SAME_ORIGIN)
    assert page.status_code == 400 and "舊版 Excel 活頁簿（.xls）" in page.text and "另存為」.xlsx" in page.text


def test_a_loopback_address_given_with_host_is_answered_by_its_own_name(monkeypatch):
    """`--host 127.0.0.2` is loopback (no code asked), so its own address must pass the Host check."""
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    config, kind = config_for("127.0.0.2")
    assert kind == "" and config.loopback and config.access_code is None
    c = client(config)
    assert c.get("/", headers={"Host": "127.0.0.2:8000"}).status_code == 200
    assert c.get("/", headers={"Host": "127.0.0.2"}).status_code == 200
    assert c.get("/", headers={"Host": "localhost:8000"}).status_code == 200
    assert c.get("/", headers={"Host": "127.0.0.3:8000"}).status_code == 400
    v6 = client(ServeConfig(host="::1"))
    assert v6.get("/", headers={"Host": "[::1]:8000"}).status_code == 200


@pytest.fixture
def pauses(monkeypatch):
    """Every failure delay the app takes, as (event, seconds) in the order they start and end."""
    import anyio

    from reportgen.web import guard

    events: list[tuple[str, float]] = []

    async def pause(seconds: float) -> None:
        events.append(("start", seconds))
        await anyio.sleep(0.1)
        events.append(("end", seconds))

    monkeypatch.setattr(guard, "_pause", pause)
    return events


@pytest.mark.slow  # seconds of the default run's budget: CI runs it
def test_a_spent_one_time_link_waits_like_a_wrong_code(pauses):
    config = ServeConfig(access_code="right-code", loopback=False, login_delay=0.75)
    app = create_app(config)
    c = TestClient(app, base_url=BASE)
    assert c.get("/?invite=guessed").status_code == 403
    assert pauses == [("start", 0.75), ("end", 0.75)]
    assert c.post("/login", data={"code": "nope"}, headers=SAME_ORIGIN).status_code == 403
    assert pauses[2:] == [("start", 0.75), ("end", 0.75)]
    pauses.clear()
    assert c.get(f"/?invite={app.state.invites.make()}", follow_redirects=False).status_code == 303
    assert pauses == []  # a good link is not delayed


@pytest.mark.slow
def test_wrong_codes_sent_at_once_are_answered_one_at_a_time(pauses):
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from reportgen.web.background import running

    def guess(base: str, n: int) -> int:
        return httpx.post(f"{base}/login", data={"code": f"guess{n}"}, headers={"Origin": base}, timeout=30).status_code

    with running(ServeConfig(access_code="right-code", loopback=False)) as base, ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda n: guess(base, n), range(4)))
    assert statuses == [403] * 4
    assert [event for event, _ in pauses] == ["start", "end"] * 4  # never two delays at once


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
    {"Origin": "http://evil.example"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Origin": "null"},
    {"Referer": "http://evil.example/page"},
])
def test_posts_from_another_site_are_refused(headers):
    c = client()
    response = upload(c, EXAMPLE, headers=headers)
    assert response.status_code == 403
    assert "只能從本網頁送出" in response.text
    assert not download_links(response.text)


def test_same_origin_posts_are_accepted():
    c = client()
    for headers in (SAME_ORIGIN, {"Origin": BASE}, {"Sec-Fetch-Site": "same-origin"}, {},
                    {"Referer": BASE + "/"}):
        assert upload(c, EXAMPLE, headers=headers).status_code == 200


def test_a_file_over_the_size_limit_is_refused_in_chinese(tmp_path):
    c = client(ServeConfig(max_file_bytes=2000, max_total_bytes=10 * 1024 * 1024))
    response = upload(c, EXAMPLE)
    assert response.status_code == 413
    assert "超過每個檔案" in by_id(response.text, "error-message")
    assert EXAMPLE.name in by_id(response.text, "error-message")


def test_uploads_over_the_total_limit_are_refused_in_chinese(tmp_path):
    copies = []
    for n in range(3):
        copies.append(tmp_path / f"{n}.xlsx")
        copies[-1].write_bytes(EXAMPLE.read_bytes())
    c = client(ServeConfig(max_total_bytes=EXAMPLE.stat().st_size * 2))  # two fit, three do not
    assert upload(c, *copies[:2]).status_code == 200
    response = upload(c, *copies)
    assert response.status_code == 413
    assert "合計超過" in by_id(response.text, "error-message")


def test_a_body_larger_than_its_content_length_says_is_cut_off():
    """The limit counts what arrives, not what the header claims."""
    import asyncio

    from starlette.requests import Request

    from reportgen.web.config import MB
    from reportgen.web.errors import Refused
    from reportgen.web.guard import read_upload

    config = ServeConfig(max_total_bytes=10)
    chunks = [b"--x\r\n", b"a" * MB, b"--x--\r\n"]

    async def receive():
        body = chunks.pop(0) if chunks else b""
        return {"type": "http.request", "body": body, "more_body": bool(chunks)}

    scope = {"type": "http", "method": "POST", "path": "/check", "headers": [
        (b"content-type", b"multipart/form-data; boundary=x"), (b"content-length", b"5")], "query_string": b""}
    with pytest.raises(Refused) as refused:
        asyncio.run(read_upload(Request(scope, receive), config))
    assert refused.value.status_code == 413 and "合計超過" in refused.value.message


def test_too_many_files_are_refused_in_chinese(tmp_path):
    paths = []
    for n in range(4):
        paths.append(write_workbook(tmp_path / f"{n}.xlsx"))
    response = upload(client(ServeConfig(max_files=3)), *paths)
    assert response.status_code == 413
    assert "一次最多上傳 3 個活頁簿" in by_id(response.text, "error-message")


def test_uploads_that_are_not_workbooks_are_refused(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    c = client()
    response = upload(c, text)
    assert response.status_code == 400 and "不是活頁簿" in by_id(response.text, "error-message")
    response = c.post("/check", files=[("workbooks", ("", b"", XLSX))], headers=SAME_ORIGIN)
    assert response.status_code == 400 and "請先選擇至少一本活頁簿" in response.text
    twice = upload(c, EXAMPLE, EXAMPLE)
    assert twice.status_code == 400 and "有兩個檔案都叫" in twice.text


def test_names_differing_only_in_case_are_refused(tmp_path):
    """On Windows A.xlsx and a.xlsx are one file: accepted together, one would overwrite the other."""
    first, second = write_workbook(tmp_path / "A.xlsx"), write_workbook(tmp_path / "b.xlsx")
    response = upload(client(), first, second, names={second: "a.xlsx"})
    assert response.status_code == 400
    message = by_id(response.text, "error-message")
    assert "「A.xlsx」和「a.xlsx」只差在英文字母的大小寫" in message and "改名" in message


def test_a_name_holding_direction_controls_is_isolated_wherever_it_is_shown(bad, tmp_path):
    """U+202E in one file name must not reverse the next name or the rest of a message: names are
    in <bdi> in lists and cells, and between U+2068/U+2069 inside sentences."""
    tricky = "\u202eabc.xlsx"
    other = write_workbook(tmp_path / "b.xlsx")
    response = upload(client(), bad, other, names={bad: tricky})
    assert response.status_code == 200
    assert f'<bdi class="file">{tricky}</bdi>' in response.text and '<bdi class="file">b.xlsx</bdi>' in response.text
    assert f"<td class=\"file\" data-label=\"檔案\"><bdi>{tricky}</bdi></td>" in response.text
    refused = upload(client(), bad, names={bad: "\u202enotes.txt"})
    assert "「\u2068\u202enotes.txt\u2069」不是活頁簿" in by_id(refused.text, "error-message")
    hostile = upload(client(), FIXTURES / "hostile" / "encrypted.xlsx", names={
        FIXTURES / "hostile" / "encrypted.xlsx": "\u202ex.xlsx"})
    assert "\u2068\u202ex.xlsx\u2069" in by_id(hostile.text, "fatal")


def test_long_cjk_file_names_are_cut_by_bytes_keeping_the_suffix():
    long_name = "國際事務" * 40 + ".xlsx"  # 160 characters, 485 bytes in UTF-8
    cut = pipeline.safe_name(long_name)
    assert cut.endswith(".xlsx") and long_name.startswith(cut[:-5])
    assert len(cut.encode("utf-8")) <= 200 and len(cut.encode("utf-8")) > 195  # as long as fits
    assert pipeline.safe_name("a" * 300 + ".xlsx") == "a" * 195 + ".xlsx"
    assert pipeline.safe_name("短名.xlsx") == "短名.xlsx"
    no_suffix = pipeline.safe_name("國" * 100)
    assert no_suffix == "國" * 66


def test_a_long_cjk_file_name_is_checked_and_named_in_its_problems(bad):
    long_name = "承辦人" * 50 + ".xlsx"
    response = upload(client(), bad, names={bad: long_name})
    assert response.status_code == 200 and by_id(response.text, "status").startswith("檢核完成")
    shown = pipeline.safe_name(long_name)
    assert set(texts(response.text, "file")) == {shown}  # the uploaded list and every problem
    assert "內部錯誤" not in response.text


def test_the_page_shares_the_cli_helpers_rather_than_copies():
    from reportgen import api, schema
    from reportgen.write.outputs import safe_file_title

    assert pipeline.WORKBOOK_SUFFIXES is schema.WORKBOOK_SUFFIXES
    assert safe_file_title('國際/事務:"上"') == "國際_事務__上_" and safe_file_title(" . ") == "chapter"
    assert not hasattr(pipeline, "summary") and not hasattr(pipeline, "_file_title")
    assert not hasattr(pipeline, "label_widths")  # label_fit.label_widths means something else
    assert pipeline.indent_classes([pipeline.Paragraph("section", "十一、", "x"),
                                    pipeline.Paragraph("item", "(二十一)", "y")]) == "s3 i5"
    assert api.template_warnings(api.load([EXAMPLE])) == []


def test_browser_file_names_cannot_leave_the_private_folder(tmp_path):
    assert pipeline.safe_name("../../etc/passwd.xlsx") == "passwd.xlsx"
    assert pipeline.safe_name("C:\\Users\\A\\活動.xlsx") == "活動.xlsx"
    assert pipeline.safe_name('a<b>:"c".xlsx') == "a_b___c_.xlsx"
    response = upload(client(), EXAMPLE, names={EXAMPLE: "../../" + EXAMPLE.name})
    assert response.status_code == 200 and by_id(response.text, "status").startswith("檢核完成")


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """Every temporary folder the server makes lands here, so a test can see what stays."""
    root = tmp_path / "server-tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def test_nothing_uploaded_is_kept_on_disk(private_tmp, bad, tmp_path):
    c = client()
    upload(c, EXAMPLE)
    upload(c, bad)
    links = download_links(upload(c, EXAMPLE).text)
    c.get(links["docx"])
    c.get("/blank", params={"half": "111-1"})
    assert list(private_tmp.iterdir()) == []


def test_nothing_is_kept_when_a_file_is_refused(private_tmp):
    response = upload(client(), FIXTURES / "hostile" / "encrypted.xlsx")
    assert response.status_code == 422
    assert list(private_tmp.iterdir()) == []


def test_hostile_files_are_refused_before_any_parser(tmp_path, monkeypatch):
    """A zip bomb and a renamed Excel 97 file: load()'s checks refuse them with Chinese messages."""
    base = write_workbook(tmp_path / "base.xlsx")
    bomb = write_raw_zip(tmp_path / "bomb.xlsx", [e for e in entries_of(base) if e.name != ACTIVITY_SHEET]
                         + [RawEntry(ACTIVITY_SHEET, deflated_zeros(700), 700 << 20)])
    import python_calamine

    def never(*args, **kwargs):
        raise AssertionError("a parser opened a hostile file")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", never)
    c = client()
    for path, expected in ((bomb, "超過上限"), (FIXTURES / "hostile" / "excel97_renamed.xlsx", "Excel 97-2003")):
        response = upload(c, path)
        assert response.status_code == 422, response.text
        fatal = by_id(response.text, "fatal")
        assert expected in fatal and path.name in fatal
        assert tempfile.gettempdir() not in fatal and "reportgen-web-" not in fatal
        assert not download_links(response.text)


def test_no_cell_content_reaches_the_logs(caplog, capfd, tmp_path):
    marked = write_workbook(tmp_path / "marked.xlsx", activities=[
        {"節次": 1, "標題": CELL_MARKER, "開始日期": "110/9/8", "內容": CELL_MARKER + "內容"},
        {"節次": 1, "標題": "二", "開始日期": CELL_MARKER, "內容": "x"}],
        visits=[{"日期": "110/9/10", "單位": CELL_MARKER, "代表": "某", "人數": CELL_MARKER}])
    caplog.set_level(logging.DEBUG)
    c = client()
    response = upload(c, marked)
    assert CELL_MARKER in response.text  # the page does show it, to the person who sent it
    good = upload(c, EXAMPLE)
    c.get(download_links(good.text)["docx"])
    c.get(download_links(response.text)["report"])
    assert caplog.records, "the server logs something (counts and durations)"
    logged = "\n".join(r.getMessage() for r in caplog.records) + "".join(capfd.readouterr())
    assert CELL_MARKER not in logged
    assert "日本京都市" not in logged and marked.name not in logged


def test_internal_errors_show_no_traceback_and_log_only_the_type(monkeypatch, caplog):
    def broken(*args):
        raise ValueError("secret cell " + CELL_MARKER)

    monkeypatch.setattr(pipeline, "check", broken)
    caplog.set_level(logging.DEBUG)
    response = upload(client(), EXAMPLE)
    assert response.status_code == 500
    assert "內部錯誤" in response.text and "Traceback" not in response.text and CELL_MARKER not in response.text
    assert CELL_MARKER not in caplog.text and "ValueError" in caplog.text


@pytest.mark.slow  # seconds of the default run's budget: CI runs it
def test_download_links_expire(monkeypatch):
    c = client(ServeConfig(keep_seconds=0.2))
    links = download_links(upload(c, EXAMPLE).text)
    assert c.get(links["docx"]).status_code == 200
    time.sleep(0.3)
    gone = c.get(links["docx"])
    assert gone.status_code == 410 and "下載連結已過期" in gone.text
    assert len(c.app.state.results) == 0


def hanging_check(monkeypatch, name: str = "slow.xlsx"):
    """pipeline.check that hangs for one file name until released; returns (entered, release)."""
    import threading

    real = pipeline.check
    entered, release = threading.Event(), threading.Event()

    def sometimes_slow(workbooks, template=None, folder=None):
        if workbooks[0].name == name:
            entered.set()
            release.wait(30)
        return real(workbooks, template, folder)

    monkeypatch.setattr(pipeline, "check", sometimes_slow)
    return entered, release


def post_in_thread(base: str, name: str, answers: list, data: bytes | None = None):
    """POST one upload from a thread; its (name, status, page) is appended to `answers` on arrival."""
    import threading

    import httpx

    def post() -> None:
        response = httpx.post(base + "/check", files=[("workbooks", (name, data or EXAMPLE.read_bytes(), XLSX))],
                              timeout=60, follow_redirects=True)
        answers.append((name, response.status_code, response.text))

    thread = threading.Thread(target=post)
    thread.start()
    return thread


@pytest.mark.slow
def test_a_slow_check_does_not_stall_the_others(monkeypatch):
    """While one upload hangs in a worker, others are answered in full, before it."""
    import httpx

    from reportgen.web.background import running

    entered, release = hanging_check(monkeypatch)
    answers: list = []
    with running(ServeConfig(workers=2, timeout=60)) as base:
        slow = post_in_thread(base, "slow.xlsx", answers)
        assert entered.wait(30)
        for n in range(3):
            response = httpx.post(base + "/check", files=[("workbooks", (f"fast{n}.xlsx", EXAMPLE.read_bytes(), XLSX))],
                                  timeout=60, follow_redirects=True)
            answers.append((f"fast{n}.xlsx", response.status_code, response.text))
        release.set()
        slow.join(60)
    assert [(name, status) for name, status, _ in answers] == [
        ("fast0.xlsx", 200), ("fast1.xlsx", 200), ("fast2.xlsx", 200), ("slow.xlsx", 200)]


@pytest.mark.slow
def test_a_hung_check_times_out_and_keeps_its_worker_until_it_ends(monkeypatch):
    """Past its time limit a hung check gets 504, but its thread still holds the worker: with every
    worker held, the next upload gets 503 instead of another thread; once it ends, work resumes."""
    import httpx

    from reportgen.web.background import running

    entered, release = hanging_check(monkeypatch)
    answers: list = []
    with running(ServeConfig(workers=1, timeout=1.0)) as base:
        hung = post_in_thread(base, "slow.xlsx", answers)
        assert entered.wait(30)
        hung.join(60)
        assert [(name, status) for name, status, _ in answers] == [("slow.xlsx", 504)]
        assert "已停止等待" in by_id(answers[0][2], "error-message")
        busy = httpx.post(base + "/check", files=[("workbooks", ("next.xlsx", EXAMPLE.read_bytes(), XLSX))],
                          timeout=60, follow_redirects=True)
        assert busy.status_code == 503 and "沒有空閒的處理程序" in by_id(busy.text, "error-message")
        release.set()
        statuses = []
        for _ in range(100):  # the hung thread now finishes its (real) check and frees the worker
            response = httpx.post(base + "/check", files=[("workbooks", ("next.xlsx", EXAMPLE.read_bytes(), XLSX))],
                                  timeout=60, follow_redirects=True)
            statuses.append(response.status_code)
            if response.status_code != 503:
                break
            time.sleep(0.05)
    assert statuses[-1] == 200 and set(statuses[:-1]) <= {503}


@pytest.mark.slow  # seconds of the default run's budget: CI runs it
def test_a_slot_is_freed_when_its_thread_ends_not_when_its_caller_gives_up():
    import asyncio
    import threading

    from reportgen.web.capacity import Capacity
    from reportgen.web.config import MB
    from reportgen.web.errors import Refused

    async def scenario() -> None:
        capacity = Capacity(ServeConfig(workers=1))
        started, release = threading.Event(), threading.Event()

        def hung() -> str:
            started.set()
            release.wait(10)
            return "late"

        with pytest.raises(Refused) as timed_out:
            await capacity.run(hung, memory=MB, timeout=0.2)
        assert timed_out.value.status_code == 504 and started.is_set()
        assert (capacity.running, capacity.abandoned, capacity.reserved) == (1, 1, MB)  # the thread runs on
        with pytest.raises(Refused) as busy:
            await capacity.run(lambda: "next", memory=MB, timeout=1)
        assert busy.value.status_code == 503
        release.set()
        for _ in range(200):  # the thread ends and frees its slot through the event loop
            if capacity.running == 0:
                break
            await asyncio.sleep(0.01)
        assert (capacity.running, capacity.abandoned, capacity.reserved) == (0, 0, 0)
        assert await capacity.run(lambda: "next", memory=MB, timeout=1) == "next"

    asyncio.run(scenario())


def test_large_checks_leave_a_thread_and_memory_for_a_small_one():
    """Two checks of the largest accepted size run at once; a third waits for memory, in order;
    the example, small, starts at once on the thread kept for small checks."""
    import asyncio
    import threading

    from reportgen.web.capacity import Capacity
    from reportgen.web.config import MB

    config = ServeConfig()
    assert config.memory_budget - 2 * config.max_check_memory >= config.small_check_memory  # room for small ones
    assert config.workers == 3

    async def scenario() -> list[str]:
        capacity = Capacity(config)
        release = threading.Event()
        order: list[str] = []

        def big(name: str) -> str:
            order.append(f"{name} started")
            release.wait(10)
            return name

        runs = [asyncio.ensure_future(capacity.run(big, name, memory=config.max_check_memory, timeout=30))
                for name in ("big1", "big2", "big3")]
        for _ in range(3000):  # both big checks started (a loaded machine may take seconds)
            if len(order) == 2:
                break
            await asyncio.sleep(0.01)
        assert sorted(order) == ["big1 started", "big2 started"]  # on two threads: in either order
        small = await capacity.run(lambda: order.append("small done") or "small", memory=16 * MB, timeout=5)
        assert small == "small" and capacity.heavy == 2
        release.set()
        assert await asyncio.gather(*runs) == ["big1", "big2", "big3"]
        return order

    order = asyncio.run(scenario())
    assert sorted(order[:2]) == ["big1 started", "big2 started"]
    assert order[2:] == ["small done", "big3 started"]


def test_a_waiting_job_given_up_frees_its_claim_and_never_runs():
    import asyncio

    from reportgen.web.capacity import Capacity, _Job
    from reportgen.web.config import MB

    async def scenario() -> None:
        capacity = Capacity(ServeConfig(workers=1))
        capacity.running, capacity.reserved = 1, MB  # as the scheduler counts a granted job
        job = _Job(capacity, MB, heavy=False)
        job.give_up()  # its caller stopped waiting before a thread took it
        assert (capacity.running, capacity.reserved) == (0, 0)
        assert not job.start()  # the thread, starting late, does no work

    asyncio.run(scenario())


@pytest.mark.slow
@pytest.mark.parametrize("limits", [{"max_checks": 1}, {"max_upload_memory": 1024}])
def test_uploads_held_in_memory_are_bounded(monkeypatch, limits):
    """Past the number (or declared bytes) of uploads being read and checked, more are told to retry."""
    import httpx

    from reportgen.web.background import running

    entered, release = hanging_check(monkeypatch)
    answers: list = []
    with running(ServeConfig(workers=2, timeout=60, **limits)) as base:
        held = post_in_thread(base, "slow.xlsx", answers)
        assert entered.wait(30)
        refused = httpx.post(base + "/check", files=[("workbooks", ("next.xlsx", EXAMPLE.read_bytes(), XLSX))],
                             timeout=60, follow_redirects=True)
        release.set()
        held.join(60)
        after = httpx.post(base + "/check", files=[("workbooks", ("next.xlsx", EXAMPLE.read_bytes(), XLSX))],
                           timeout=60, follow_redirects=True)
    assert refused.status_code == 503 and "同時上傳的人太多" in by_id(refused.text, "error-message")
    assert [(name, status) for name, status, _ in answers] == [("slow.xlsx", 200)]
    assert after.status_code == 200


@pytest.mark.slow  # seconds of the default run's budget: CI runs it
def test_results_kept_in_memory_are_bounded_in_bytes():
    """Over the byte budget the oldest results go first (page and files); the newest always stays."""
    c = client()
    upload(c, EXAMPLE)
    one = c.app.state.results.bytes()
    assert one > 0
    c = client(ServeConfig(max_download_bytes=int(one * 1.5)))
    first = download_links(upload(c, EXAMPLE).text)
    second = download_links(upload(c, EXAMPLE).text)
    assert c.get(first["docx"]).status_code == 410
    assert c.get(second["docx"]).status_code == 200 and c.get(second["report"]).status_code == 200
    assert c.app.state.results.bytes() <= int(one * 1.5)
    tiny = client(ServeConfig(max_download_bytes=10))
    assert tiny.get(download_links(upload(tiny, EXAMPLE).text)["docx"]).status_code == 200


@pytest.mark.slow
def test_a_burst_of_fifty_uploads_is_queued_and_each_answered_correctly():
    """50 uploads of the example at once (under the bound of uploads in flight): none refused,
    each answered with the full result and downloads of its own."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from reportgen.web.background import running

    data = EXAMPLE.read_bytes()
    expected_summary = run_cli("validate", EXAMPLE).out.splitlines()

    def one(base: str) -> tuple[int, str]:
        response = httpx.post(base + "/check", files=[("workbooks", (EXAMPLE.name, data, XLSX))], timeout=120,
                              follow_redirects=True)
        return response.status_code, response.text

    assert ServeConfig().max_checks >= 50
    with running() as base, ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(lambda _: one(base), range(50)))
    tokens = set()
    for status, page in answers:
        assert status == 200
        assert [by_id(page, "status"), by_id(page, "summary")] == expected_summary
        assert is_expected_chapter(by_id(page, "plain-text").splitlines())
        tokens.update(re.findall(r"/download/([\w-]+)/docx", page))
    assert len(tokens) == 50  # each upload its own downloads


@pytest.mark.slow
def test_a_burst_is_queued_up_to_its_bound_and_the_rest_told_to_retry(monkeypatch):
    """A burst larger than the bound of uploads in flight: the first `max_checks` wait for the
    workers and are answered, the others get 503 in Chinese with Retry-After (nothing hangs)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from reportgen.web.background import running

    checked = pipeline.check([pipeline.Upload(EXAMPLE.name, EXAMPLE.read_bytes())])
    release = threading.Event()

    def queued(workbooks, template=None, folder=None):
        release.wait(30)
        return checked

    monkeypatch.setattr(pipeline, "check", queued)
    data = EXAMPLE.read_bytes()

    def one(base: str) -> httpx.Response:
        return httpx.post(base + "/check", files=[("workbooks", (EXAMPLE.name, data, XLSX))], timeout=60,
                          follow_redirects=True)

    with running(ServeConfig(max_checks=8, workers=2)) as base, ThreadPoolExecutor(12) as pool:
        futures = [pool.submit(one, base) for _ in range(12)]
        for _ in range(300):  # wait until the 4 over the bound have been answered
            if sum(f.done() for f in futures) >= 4:
                break
            time.sleep(0.02)
        early = [f.result() for f in futures if f.done()]
        release.set()
        answers = [f.result() for f in futures]
    refused = [a for a in answers if a.status_code == 503]
    assert len(refused) == 4 and {a.status_code for a in early} == {503}
    assert all("同時上傳的人太多" in by_id(a.text, "error-message") and a.headers["retry-after"] for a in refused)
    assert sorted(a.status_code for a in answers) == [200] * 8 + [503] * 4


# Post/redirect/get and error pages --------------------------------------------------------------

def test_a_result_has_an_address_that_reload_back_and_forward_show_again(monkeypatch):
    calls = []
    real = pipeline.check
    monkeypatch.setattr(pipeline, "check", lambda *args: calls.append(1) or real(*args))
    c = client()
    posted = c.post("/check", files=[("workbooks", (EXAMPLE.name, EXAMPLE.read_bytes(), XLSX))],
                    headers=SAME_ORIGIN, follow_redirects=False)
    assert posted.status_code == 303
    location = posted.headers["location"]
    assert re.fullmatch(r"/result/[\w-]{20,}#result", location)  # the result scrolled into view
    first, again = c.get(location.split("#")[0]), c.get(location.split("#")[0])
    assert first.status_code == again.status_code == 200 and first.text == again.text
    assert len(calls) == 1  # shown again from memory, never checked again
    assert "<title>檢核結果：錯誤 0 項、警告 0 項 — 國際事務章 檢核與產生</title>" in first.text
    assert first.headers["cache-control"] == "no-store"
    assert first.text.index('id="result"') < first.text.index('id="upload"')  # the result first
    plain = c.get(location.split("#")[0], headers={"Accept-Encoding": "identity"})
    assert plain.text == first.text and "content-encoding" not in plain.headers


def test_result_titles_say_what_was_found(bad):
    page = upload(client(), bad).text
    assert re.search(r"<title>檢核結果：錯誤 \d+ 項、警告 0 項 — 國際事務章 檢核與產生</title>", page)
    home = client().get("/").text
    assert "<title>施政報告「國際事務」章 — 檢核與產生</title>" in home
    hostile = upload(client(), FIXTURES / "hostile" / "encrypted.xlsx").text
    assert "<title>無法讀取活頁簿 — " in hostile


ENGLISH = re.compile(r"Not Found|Method Not Allowed|Internal Server Error|Service Unavailable|Payload Too Large|Gone")


@pytest.mark.parametrize("status", [404, 405, 410, 413, 503])
def test_every_error_page_is_chinese_with_its_language(status):
    c = client(ServeConfig(max_file_bytes=2000 if status == 413 else 20 * 1024 * 1024,
                           max_checks=0 if status == 503 else 64))
    response = {
        404: lambda: c.get("/no-such-page"),
        405: lambda: c.get("/check"),
        410: lambda: c.get("/result/expired-or-never-made"),
        413: lambda: upload(c, EXAMPLE),
        503: lambda: upload(c, EXAMPLE),
    }[status]()
    assert response.status_code == status
    page = response.text
    assert '<html lang="zh-Hant-TW">' in page
    title = re.search(r"<title>(.*?)</title>", page).group(1)
    assert re.match(r"[\u4e00-\u9fff]", title) and "—" in title
    message = by_id(page, "error-message")
    assert len(re.findall(r"[\u4e00-\u9fff]", message)) >= 10, message
    assert not ENGLISH.search(page)
    if status == 405:
        assert response.headers["allow"] == "POST"
    if status == 503:
        assert response.headers["retry-after"]


# Memory predicted before work ------------------------------------------------------------------

@pytest.mark.slow  # seconds of the default run's budget: CI runs it
def test_memory_is_predicted_from_the_upload_and_refused_when_it_would_not_fit(tmp_path):
    rows = [{"節次": 1, "標題": f"活動{n}", "開始日期": "110/9/8", "內容": "內容" * 40} for n in range(300)]
    big = write_workbook(tmp_path / "大.xlsx", activities=rows)
    predicted = estimate.predicted_memory([big.read_bytes()])
    assert estimate.BASE < predicted < estimate.predicted_memory([big.read_bytes()] * 2)
    c = client(ServeConfig(max_check_memory=predicted - 1))
    refused = upload(c, big)
    assert refused.status_code == 413
    message = by_id(refused.text, "error-message")
    assert f"預估需要約 {predicted / 2**20:,.0f} MB 記憶體" in message and "分批上傳" in message
    assert upload(c, EXAMPLE).status_code == 200  # the example still fits
    assert upload(client(ServeConfig(max_check_memory=predicted)), big).status_code == 200


def test_the_used_range_counts_not_the_file_size(tmp_path):
    """Two cells, A1 and E1000000, in a tiny file make a grid of five million cells; cells that
    only carry formatting, however far down, make none."""
    from openpyxl import load_workbook
    from openpyxl.styles import Font

    small = estimate.measure(EXAMPLE.read_bytes())
    assert 0 < small.cells < 1000 and small.xml > 0
    book = load_workbook(EXAMPLE)
    notes = book.create_sheet("筆記")
    notes["A1"], notes["E1000000"] = "x", "y"
    book.save(tmp_path / "far.xlsx")
    assert estimate.measure((tmp_path / "far.xlsx").read_bytes()).cells == small.cells + 5_000_000
    book = load_workbook(EXAMPLE)
    book["活動"]["Z60000"].font = Font(bold=True)  # formatting, no value
    book.save(tmp_path / "styled.xlsx")
    assert estimate.measure((tmp_path / "styled.xlsx").read_bytes()).cells == small.cells
    assert estimate.measure((tmp_path / "far.xlsx").read_bytes()).memory > 1000 * 2**20 - estimate.BASE


def test_cells_without_references_are_placed_as_the_reader_places_them(tmp_path):
    from zipparts import rewrite

    def without_references(data: bytes) -> bytes:
        stripped = re.sub(rb'(<c\b[^>]*?) r="[A-Z]+[0-9]+"', rb"\1", data)
        assert stripped != data
        return stripped

    base = write_workbook(tmp_path / "base.xlsx")
    plain = rewrite(base, tmp_path / "no-r.xlsx", {ACTIVITY_SHEET: without_references})
    assert estimate.measure(plain.read_bytes()).cells == estimate.measure(base.read_bytes()).cells > 0


def test_repeated_ods_cells_are_counted(tmp_path):
    """.ods repeats a cell (`number-columns-repeated`) and a row: 20 kB can hold millions of cells.
    Calc's own filler (empty cells repeated to the sheet's edge) counts for nothing."""
    import zipfile

    source = FIXTURES / "範例_110年下半年_國際事務.ods"
    plain = estimate.measure(source.read_bytes())
    assert 0 < plain.cells < 1000
    extra = (b'<table:table table:name="notes"><table:table-row table:number-rows-repeated="1000">'
             b'<table:table-cell table:number-columns-repeated="300" office:value-type="float" office:value="1"/>'
             b'<table:table-cell table:number-columns-repeated="1000"/></table:table-row>'
             b'<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
             b'table:number-columns-repeated="1024"/></table:table-row></table:table>')
    path = tmp_path / "repeated.ods"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in original.infolist():
            data = original.read(info.filename)
            if info.filename == "content.xml":
                data = data.replace(b"</office:spreadsheet>", extra + b"</office:spreadsheet>")
            copy.writestr(info.filename, data)
    assert estimate.measure(path.read_bytes()).cells == plain.cells + 300_000


def test_files_the_library_refuses_unread_are_predicted_at_the_base_cost(tmp_path):
    base = write_workbook(tmp_path / "base.xlsx")
    bomb = write_raw_zip(tmp_path / "bomb.xlsx", [e for e in entries_of(base) if e.name != ACTIVITY_SHEET]
                         + [RawEntry(ACTIVITY_SHEET, deflated_zeros(700), 700 << 20)])
    for data in (bomb.read_bytes(), b"not a workbook", b"PK\x03\x04 truncated",
                 (FIXTURES / "hostile" / "encrypted.xlsx").read_bytes()):
        assert estimate.measure(data) == estimate.Size()
    assert estimate.predicted_memory([bomb.read_bytes()]) == estimate.BASE


# Nothing outlives a request or a shutdown ------------------------------------------------------

def test_every_copy_is_made_in_the_scratch_folder_which_goes_with_the_app(monkeypatch):
    from reportgen import api

    seen: list[Path] = []
    real = api.load
    monkeypatch.setattr(api, "load", lambda paths, *a, **k: seen.extend(paths) or real(paths, *a, **k))
    app = create_app()
    with TestClient(app, base_url=BASE) as c:  # the lifespan runs: the scratch folder is made
        scratch = app.state.scratch.path
        assert scratch.is_dir() and oct(scratch.stat().st_mode & 0o777) == "0o700"
        assert upload(c, EXAMPLE).status_code == 200
        assert seen and all(scratch in p.parents for p in seen)
        assert list(scratch.iterdir()) == []  # each check removes its own copies
        (scratch / "left-by-a-thread").write_text("cell text")  # as a check cut short would leave it
    assert not scratch.exists()


def test_a_process_wide_scratch_takes_every_temporary_file_and_gives_them_back(monkeypatch):
    import os

    from reportgen.web.scratch import Scratch

    monkeypatch.setenv("TMPDIR", tempfile.gettempdir())
    before = (tempfile.tempdir, os.environ["TMPDIR"])
    scratch = Scratch(process_wide=True)
    try:
        assert tempfile.gettempdir() == str(scratch.path) and os.environ["TMPDIR"] == str(scratch.path)
        with tempfile.NamedTemporaryFile(prefix="openpyxl.", delete=False) as handle:  # as openpyxl makes them
            assert Path(handle.name).parent == scratch.path
    finally:
        scratch.remove()
    assert not scratch.path.exists()
    assert (tempfile.tempdir, os.environ["TMPDIR"]) == before


@pytest.mark.slow
def test_a_check_in_progress_when_the_server_stops_is_answered_in_chinese(monkeypatch):
    from reportgen.web.background import running

    entered, release = hanging_check(monkeypatch)
    app = create_app()
    answers: list = []
    with running(app=app) as base:
        held = post_in_thread(base, "slow.xlsx", answers)
        assert entered.wait(30)
        app.state.closing.set()  # what Ctrl-C, SIGTERM and SIGHUP do first (server.uvicorn_server)
        held.join(30)
        release.set()
    _, status, page = answers[0]
    assert status == 503 and '<html lang="zh-Hant-TW">' in page
    assert "伺服器正在停止" in by_id(page, "error-message") and "<title>伺服器正在停止" in page


# Slow clients ----------------------------------------------------------------------------------

def _closed_within(sock, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        return sock.recv(1024) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


@pytest.mark.slow
def test_a_connection_whose_headers_never_finish_is_closed():
    import socket

    from reportgen.web.background import running

    with running(ServeConfig(header_timeout=0.5)) as base:
        port = int(base.rsplit(":", 1)[1])
        silent = socket.create_connection(("127.0.0.1", port))
        partial = socket.create_connection(("127.0.0.1", port))
        partial.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        assert _closed_within(partial, 5) and _closed_within(silent, 5)
        assert time.monotonic() - started < 3
        normal = socket.create_connection(("127.0.0.1", port))
        normal.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        normal.settimeout(5)
        assert normal.recv(64).startswith(b"HTTP/1.1 200")
        for sock in (silent, partial, normal):
            sock.close()


@pytest.mark.slow
def test_forty_slow_header_connections_are_dropped_within_thirty_seconds():
    """The default limit: forty clients sending their headers a byte a second are all cut off."""
    import socket
    import threading

    from reportgen.web.background import running

    closed: list[float] = []
    with running() as base:
        port = int(base.rsplit(":", 1)[1])
        started = time.monotonic()

        def trickle() -> None:
            sock = socket.create_connection(("127.0.0.1", port))
            try:
                for byte in b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 60:
                    sock.sendall(bytes([byte]))
                    time.sleep(1)
            except OSError:
                closed.append(time.monotonic() - started)
            finally:
                sock.close()

        threads = [threading.Thread(target=trickle) for _ in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert len(closed) == 40 and max(closed) < 30


def test_a_stopped_server_leaves_no_libreoffice_socket(monkeypatch):
    """A conversion cut short by shutdown never reaches its own clean-up: the scratch folder's
    removal takes away the single-instance socket its killed LibreOffice left (convert.py)."""
    import hashlib
    import os
    import socket
    import urllib.parse

    from reportgen.web.scratch import Scratch

    if os.name != "posix" or not hasattr(socket, "AF_UNIX"):
        pytest.skip("LibreOffice's socket is POSIX's")
    monkeypatch.setenv("TMPDIR", tempfile.gettempdir())
    scratch = Scratch(process_wide=True)
    try:
        profile = Path(tempfile.mkdtemp(prefix="reportgen-soffice-")) / "profile"
        profile.mkdir()
        url = "file://" + urllib.parse.quote(os.path.realpath(profile), safe="/!$&'()*+,:=@~")
        digest = hashlib.md5(url.encode("utf-16-le")).digest()
        pipe = Path("/tmp") / f"OSL_PIPE_{os.getuid()}_SingleOfficeIPC_{''.join(f'{b:x}' for b in digest)}"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as left:
            left.bind(str(pipe))  # bound, then closed: as a killed soffice leaves it
        assert pipe.exists()
    finally:
        scratch.remove()
    assert not pipe.exists() and not scratch.path.exists()


def test_a_file_removed_by_another_thread_during_shutdown_does_not_leave_the_folder(monkeypatch):
    """A conversion thread deleting its own files while the scratch folder is removed makes rmtree
    meet a file that is gone: removal goes on until the folder is gone (nothing uploaded is kept)."""
    import shutil

    from reportgen.web.scratch import Scratch

    scratch = Scratch()
    (scratch.path / "reportgen-web-x").mkdir()
    (scratch.path / "reportgen-web-x" / "upload.xlsx").write_bytes(b"cell text")
    real, calls = shutil.rmtree, []

    def vanishing(path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 1:  # as when a file goes between listing a folder and removing it
            raise FileNotFoundError(2, "No such file or directory", str(scratch.path / "gone.tmp"))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(shutil, "rmtree", vanishing)
    scratch.remove()
    assert len(calls) == 2 and not scratch.path.exists()


def test_a_request_uvicorn_cannot_read_is_answered_by_a_chinese_page_with_the_headers():
    """Raw bytes in an address never reach the app: the protocol's own answer is the page's kind."""
    import asyncio

    from reportgen.web.http11 import BAD_REQUEST, HeaderTimeout

    class Transport(asyncio.Transport):
        def __init__(self) -> None:
            super().__init__()
            self.sent, self.closed = b"", False

        def write(self, data: bytes) -> None:
            self.sent += data

        def close(self) -> None:
            self.closed = True

        def is_closing(self) -> bool:
            return self.closed

    protocol = HeaderTimeout.__new__(HeaderTimeout)
    protocol.conn = __import__("h11").Connection(__import__("h11").SERVER)
    protocol.transport = Transport()
    protocol.send_400_response("Invalid HTTP request received.")
    answer = protocol.transport.sent.decode()
    assert answer.startswith("HTTP/1.1 400 ") and BAD_REQUEST in answer and "Invalid" not in answer
    assert "content-security-policy" in answer.lower() and "x-frame-options: deny" in answer.lower()
    assert protocol.transport.closed


def test_the_console_says_in_chinese_what_the_servers_parts_say_in_english():
    import logging

    from reportgen.web.server import ChineseConsole

    def said(name: str, message: str, *args: object) -> str:
        record = logging.LogRecord(name, logging.WARNING, __file__, 1, message, args, None)
        assert ChineseConsole().filter(record)
        return record.getMessage()

    assert said("uvicorn.error", "Invalid HTTP request received.") == \
        "收到無法解讀的要求（不是由本網頁送出），已回覆錯誤頁。"
    assert said("python_multipart.multipart", "Expected boundary character %r, got %r at index %d", 45, 120, 2) == \
        "收到格式不正確的上傳表單，已拒絕。"
    assert said("reportgen.web", "檢核 %d 本", 3) == "檢核 3 本"


def test_an_office_lock_file_uploaded_with_its_workbook_is_left_out(tmp_path):
    """SPEC §2: a folder build skips `~$*` lock files; uploads merge as a folder does, so a lock file
    chosen with the workbooks is left out rather than refusing the upload."""
    c = client()
    lock = tmp_path / f"~${EXAMPLE.name}"
    lock.write_bytes(b"\x0bOwner" + b" " * 150)
    response = upload(c, EXAMPLE, lock)
    assert response.status_code == 200 and "docx" in download_links(response.text)
    assert f"~${EXAMPLE.name}" not in by_id(response.text, "status")
