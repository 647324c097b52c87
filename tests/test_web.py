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
from zipparts import ACTIVITY_SHEET, RawEntry, deflated_zeros, entries_of, write_raw_zip

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
    from reportgen.convert import find_soffice

    if find_soffice() is None:
        pytest.skip("LibreOffice not installed")
    c = client()
    links = download_links(upload(c, EXAMPLE).text)
    response = c.get(links["pdf"])
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert response.headers["content-type"] == "application/pdf"


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


def test_a_slow_check_times_out_without_stalling_the_others(monkeypatch):
    """One upload that hangs gets a 504 after the time limit; others meanwhile finish normally."""
    import threading

    import httpx

    from reportgen.web.background import running

    real = pipeline.check
    release = threading.Event()

    def sometimes_slow(workbooks, template=None):
        if workbooks[0].name == "slow.xlsx":
            release.wait(10)
        return real(workbooks, template)

    monkeypatch.setattr(pipeline, "check", sometimes_slow)
    data = EXAMPLE.read_bytes()
    results: dict[str, tuple[int, float]] = {}

    def post(base: str, name: str) -> None:
        started = time.monotonic()
        response = httpx.post(base + "/check", files=[("workbooks", (name, data, XLSX))], timeout=30)
        results[name] = (response.status_code, time.monotonic() - started)

    with running(ServeConfig(workers=2, timeout=1.5)) as base:
        slow = threading.Thread(target=post, args=(base, "slow.xlsx"))
        slow.start()
        time.sleep(0.2)
        for n in range(3):
            post(base, f"fast{n}.xlsx")
        slow.join(20)
        release.set()
    assert results["slow.xlsx"][0] == 504
    assert all(results[f"fast{n}.xlsx"][0] == 200 for n in range(3))
    assert all(results[f"fast{n}.xlsx"][1] < 1.5 for n in range(3))


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
