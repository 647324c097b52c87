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

from helpers import EXAMPLE, EXPECTED_CHAPTER, FIXTURES, run_cli, write_workbook
from reportgen.web import pipeline
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
    assert by_id(response.text, "plain-text") + "\n" == EXPECTED_CHAPTER.read_text(encoding="utf-8")
    # the HTML chapter: literal labels, item title after its label, one paragraph a line
    chapter = re.search(r'<article class="chapter[^"]*" id="chapter"[^>]*>(.*?)</article>', response.text, re.S)
    lines = []
    for tag, label, text in re.findall(
            r'<(h3|h4|h5|p) class="p-[^"]*">(?:<span class="label">(.*?)</span>)?<span class="text">(.*?)</span>',
            chapter.group(1), re.S):
        lines.append(html.unescape(label + (" " if tag == "h5" else "") + text))
    assert "\n".join(lines) + "\n" == EXPECTED_CHAPTER.read_text(encoding="utf-8")
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
    assert by_id(response.text, "plain-text") + "\n" == EXPECTED_CHAPTER.read_text(encoding="utf-8")


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
    response = upload(c, EXAMPLE, template=broken)
    assert response.status_code == 200
    assert "docx" not in download_links(response.text)
    assert by_id(response.text, "refusal")  # the template's problem, in Chinese
    assert "/tmp" not in response.text


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


def test_a_pdf_asked_for_twice_at_once_is_converted_once(monkeypatch):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from reportgen.web.background import running

    calls, entered, release = [], threading.Event(), threading.Event()

    def slow_pdf(docx):
        calls.append(docx.name)
        entered.set()
        release.wait(30)
        return pipeline.Download("本章.pdf", b"%PDF-1.4 converted once", "application/pdf")

    monkeypatch.setattr(pipeline, "soffice_available", lambda: True)
    monkeypatch.setattr(pipeline, "pdf", slow_pdf)
    with running(ServeConfig(workers=2)) as base, ThreadPoolExecutor(2) as pool:
        page = httpx.post(base + "/check", files=[("workbooks", (EXAMPLE.name, EXAMPLE.read_bytes(), XLSX))],
                          timeout=60).text
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
    assert message.startswith("LibreOffice 無法將 chapter.docx 轉成 PDF（結束代碼 1）：Error: source file could not be")


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


def test_access_code_in_the_link_then_a_cookie():
    c = client(ServeConfig(access_code="right-code", loopback=False))
    first = c.get("/")
    assert first.status_code == 401 and "請輸入存取碼" in first.text and "上傳活頁簿" not in first.text
    assert upload(c, EXAMPLE).status_code == 401
    wrong = c.get("/?token=wrong-code")
    assert wrong.status_code == 403 and "存取碼不正確" in wrong.text
    assert c.get("/").status_code == 401
    right = c.get("/?token=right-code", follow_redirects=False)
    assert right.status_code == 303 and right.headers["location"] == "/"
    cookie = right.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "right-code" not in cookie
    assert c.get("/").status_code == 200
    assert upload(c, EXAMPLE).status_code == 200
    assert c.get("/static/app.css").status_code == 200


def test_access_code_typed_into_the_login_form():
    c = client(ServeConfig(access_code="right-code", loopback=False, login_delay=0))
    assert c.post("/login", data={"code": "nope"}, headers=SAME_ORIGIN).status_code == 403
    assert c.get("/").status_code == 401
    ok = c.post("/login", data={"code": "right-code"}, headers=SAME_ORIGIN, follow_redirects=False)
    assert ok.status_code == 303
    assert c.get("/").status_code == 200


def test_codes_are_compared_in_constant_time(monkeypatch):
    import hmac

    from reportgen.web import app as web_app

    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(web_app.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    c = client(ServeConfig(access_code="right-code", loopback=False))
    c.get("/?token=wrong")
    assert (b"wrong", b"right-code") in calls


def test_loopback_server_answers_only_its_own_host_names():
    c = client()
    assert c.get("/").status_code == 200
    assert c.get("/", headers={"Host": "localhost:8000"}).status_code == 200
    rebound = c.get("/", headers={"Host": "evil.example:8000"})
    assert rebound.status_code == 400 and "不接受的主機名稱" in rebound.text


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

    from reportgen.web import app as web_app

    events: list[tuple[str, float]] = []

    async def pause(seconds: float) -> None:
        events.append(("start", seconds))
        await anyio.sleep(0.1)
        events.append(("end", seconds))

    monkeypatch.setattr(web_app, "_pause", pause)
    return events


def test_a_wrong_code_in_the_link_waits_like_the_login_form(pauses):
    c = client(ServeConfig(access_code="right-code", loopback=False, login_delay=0.75))
    assert c.get("/?token=wrong-code").status_code == 403
    assert pauses == [("start", 0.75), ("end", 0.75)]
    assert c.post("/login", data={"code": "nope"}, headers=SAME_ORIGIN).status_code == 403
    assert pauses[2:] == [("start", 0.75), ("end", 0.75)]
    pauses.clear()
    assert c.get("/?token=right-code", follow_redirects=False).status_code == 303
    assert pauses == []  # the right code is not delayed


def test_wrong_codes_sent_at_once_are_answered_one_at_a_time(pauses):
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from reportgen.web.background import running

    with running(ServeConfig(access_code="right-code", loopback=False)) as base, ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda n: httpx.get(f"{base}/?token=guess{n}", timeout=30).status_code, range(4)))
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

    from reportgen.web.app import MB, TooLarge, _read_upload

    config = ServeConfig(max_total_bytes=10)
    chunks = [b"--x\r\n", b"a" * MB, b"--x--\r\n"]

    async def receive():
        body = chunks.pop(0) if chunks else b""
        return {"type": "http.request", "body": body, "more_body": bool(chunks)}

    scope = {"type": "http", "method": "POST", "path": "/check", "headers": [
        (b"content-type", b"multipart/form-data; boundary=x"), (b"content-length", b"5")], "query_string": b""}
    with pytest.raises(TooLarge):
        asyncio.run(_read_upload(Request(scope, receive), config))


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


def test_download_links_expire(monkeypatch):
    c = client(ServeConfig(keep_seconds=0.2))
    links = download_links(upload(c, EXAMPLE).text)
    assert c.get(links["docx"]).status_code == 200
    time.sleep(0.3)
    gone = c.get(links["docx"])
    assert gone.status_code == 410 and "下載連結已過期" in gone.text
    assert len(c.app.state.downloads) == 0


def hanging_check(monkeypatch, name: str = "slow.xlsx"):
    """pipeline.check that hangs for one file name until released; returns (entered, release)."""
    import threading

    real = pipeline.check
    entered, release = threading.Event(), threading.Event()

    def sometimes_slow(workbooks, template=None):
        if workbooks[0].name == name:
            entered.set()
            release.wait(30)
        return real(workbooks, template)

    monkeypatch.setattr(pipeline, "check", sometimes_slow)
    return entered, release


def post_in_thread(base: str, name: str, answers: list, data: bytes | None = None):
    """POST one upload from a thread; its (name, status, page) is appended to `answers` on arrival."""
    import threading

    import httpx

    def post() -> None:
        response = httpx.post(base + "/check", files=[("workbooks", (name, data or EXAMPLE.read_bytes(), XLSX))],
                              timeout=60)
        answers.append((name, response.status_code, response.text))

    thread = threading.Thread(target=post)
    thread.start()
    return thread


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
                                  timeout=60)
            answers.append((f"fast{n}.xlsx", response.status_code, response.text))
        release.set()
        slow.join(60)
    assert [(name, status) for name, status, _ in answers] == [
        ("fast0.xlsx", 200), ("fast1.xlsx", 200), ("fast2.xlsx", 200), ("slow.xlsx", 200)]


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
                          timeout=60)
        assert busy.status_code == 503 and "沒有空閒的處理程序" in by_id(busy.text, "error-message")
        release.set()
        statuses = []
        for _ in range(100):  # the hung thread now finishes its (real) check and frees the worker
            response = httpx.post(base + "/check", files=[("workbooks", ("next.xlsx", EXAMPLE.read_bytes(), XLSX))],
                                  timeout=60)
            statuses.append(response.status_code)
            if response.status_code != 503:
                break
            time.sleep(0.05)
    assert statuses[-1] == 200 and set(statuses[:-1]) <= {503}


def test_workers_free_a_slot_only_when_the_thread_ends_or_never_started():
    from reportgen.web.app import Workers

    workers = Workers(1)
    running_claim = workers.claim()
    assert running_claim is not None and workers.claim() is None
    assert running_claim.start()
    running_claim.give_up()  # the caller stopped waiting; the thread runs on
    assert workers.claim() is None and workers.running == 1
    running_claim.finish()
    never_started = workers.claim()
    assert never_started is not None and workers.claim() is None
    never_started.give_up()
    assert not never_started.start()  # the thread, starting late, does no work
    assert workers.claim() is not None


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
                             timeout=60)
        release.set()
        held.join(60)
        after = httpx.post(base + "/check", files=[("workbooks", ("next.xlsx", EXAMPLE.read_bytes(), XLSX))],
                           timeout=60)
    assert refused.status_code == 503 and "同時上傳的人太多" in by_id(refused.text, "error-message")
    assert [(name, status) for name, status, _ in answers] == [("slow.xlsx", 200)]
    assert after.status_code == 200


def test_downloads_kept_in_memory_are_bounded_in_bytes():
    """Over the byte budget the oldest downloads go first; the newest always stays."""
    c = client()
    first = download_links(upload(c, EXAMPLE).text)
    one = len(c.get(first["docx"]).content) + len(c.get(first["report"]).content)
    c = client(ServeConfig(max_download_bytes=int(one * 1.5)))
    first = download_links(upload(c, EXAMPLE).text)
    second = download_links(upload(c, EXAMPLE).text)
    assert c.get(first["docx"]).status_code == 410
    assert c.get(second["docx"]).status_code == 200 and c.get(second["report"]).status_code == 200
    assert c.app.state.downloads.bytes() <= int(one * 1.5)
    tiny = client(ServeConfig(max_download_bytes=10))
    assert tiny.get(download_links(upload(tiny, EXAMPLE).text)["docx"]).status_code == 200


def test_twenty_concurrent_uploads_all_answer_correctly():
    """The load test: 20 uploads of the example at once, each answered with the full result."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from reportgen.web.background import running

    data = EXAMPLE.read_bytes()
    expected_summary = run_cli("validate", EXAMPLE).out.splitlines()
    expected_text = EXPECTED_CHAPTER.read_text(encoding="utf-8")

    def one(base: str) -> tuple[int, str]:
        response = httpx.post(base + "/check", files=[("workbooks", (EXAMPLE.name, data, XLSX))], timeout=60)
        return response.status_code, response.text

    with running() as base, ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: one(base), range(20)))
    assert len(answers) == 20
    tokens = set()
    for status, page in answers:
        assert status == 200
        assert [by_id(page, "status"), by_id(page, "summary")] == expected_summary
        assert by_id(page, "plain-text") + "\n" == expected_text
        tokens.update(re.findall(r"/download/([\w-]+)/docx", page))
    assert len(tokens) == 20  # each upload its own downloads
