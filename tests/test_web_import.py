"""`reportgen serve`: a published chapter uploaded comes back as a workbook, with what could not be
recovered on the page; sub-items and run-in items in the preview keep their labels."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from helpers import EXAMPLE, REPO, run_cli, write_workbook
from reportgen import api
from test_web import SAME_ORIGIN, XLSX, by_id, client, download_links, texts, upload

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_an_uploaded_chapter_comes_back_as_a_workbook(tmp_path):
    built = tmp_path / "國際事務.docx"
    assert run_cli("build", EXAMPLE, "-o", built, "--template", REPO / "templates" / "report.docx").code == 0
    c = client()
    page = c.post("/import", files=[("chapter", (built.name, built.read_bytes(), DOCX))],
                  data={"period": "110/7/1-110/12/31"}, headers=SAME_ORIGIN)
    assert page.status_code == 200
    assert "活動 14 項" in by_id(page.text, "import-summary")
    assert any("訪賓統計" in line and "國際事務.docx" in line for line in texts(page.text, "warning"))
    workbook = c.get(download_links(page.text)["workbook"])
    assert workbook.status_code == 200 and workbook.headers["content-type"] == XLSX
    saved = tmp_path / "back.xlsx"
    saved.write_bytes(workbook.content)
    assert api.preview_text(api.load([saved])) == api.preview_text(api.load([EXAMPLE]))
    assert load_workbook(io.BytesIO(workbook.content)).sheetnames[0] == "填寫說明"


def test_a_file_that_is_no_chapter_is_said_on_the_page():
    page = client().post("/import", files=[("chapter", ("notes.txt", "會議紀錄\n".encode(), "text/plain"))],
                         headers=SAME_ORIGIN)
    assert page.status_code == 422
    assert "找不到章標題" in by_id(page.text, "import-fatal")
    other = client().post("/import", files=[("chapter", ("a.pdf", b"%PDF", "application/pdf"))], headers=SAME_ORIGIN)
    assert other.status_code == 422 and ".docx" in by_id(other.text, "import-fatal")


def test_the_preview_prints_sub_item_and_run_in_labels(tmp_path):
    path = write_workbook(
        tmp_path / "a.xlsx",
        sections=[{"節次": 1, "節名": "邦交", "類型": "活動", "項目格式": "標題接內文"}],
        activities=[{"節次": 1, "標題": "合作計畫", "開始日期": "110/9/8", "內容": "如下：\n1、甲。\n(1)乙。"}],
        visits=[], headers={"章節": ["節次", "節名", "類型", "前言", "項目格式"]})
    page = upload(client(), path)
    assert texts(page.text, "p-item_runin") == ["(一)合作計畫：如下："]
    assert texts(page.text, "p-subitem") == ["1、甲。", "(1)乙。"]
    assert 'class="p-subitem lv2"' in page.text


def test_the_period_is_named_as_the_page_names_it_never_as_a_command_option(tmp_path):
    """Staff on the page never see --period: a wrong period and a text without dates both name the
    form's 報告期間 field; the command line keeps its own words."""
    chapter = "貳、外交\n一、節\n(一) 甲\n內文。\n".encode()
    c = client()
    wrong = c.post("/import", files=[("chapter", ("c.txt", chapter, "text/plain"))], data={"period": "abc"},
                   headers=SAME_ORIGIN)
    assert "報告期間「abc」不是有效的報告期間" in by_id(wrong.text, "import-fatal")
    undated = c.post("/import", files=[("chapter", ("c.txt", chapter, "text/plain"))], headers=SAME_ORIGIN)
    warned = " ".join(texts(undated.text, "warning"))
    assert "無法從內文判斷報告期間" in warned and "在「報告期間」填入期間" in warned
    assert "--period" not in wrong.text + undated.text
    (tmp_path / "c.txt").write_bytes(chapter)
    assert "--period「abc」" in run_cli("import", tmp_path / "c.txt", "-o", tmp_path / "c.xlsx", "--period", "abc").err
