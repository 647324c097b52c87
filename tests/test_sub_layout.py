"""The new levels on the page (LibreOffice PDF), checked like the editors' checks in test_render.py:
wrapped lines of `1、`, `(1)`, `甲、` … align after their labels, each level's label hangs at its
parent's text, and a `標題接內文` item wraps under its title's first character."""

from __future__ import annotations

import shutil

import pytest

from helpers import REPO, write_workbook
from reportgen import labels
from test_render import TOLERANCE, render

pytestmark = [
    pytest.mark.slow,  # LibreOffice renders: seconds each
    pytest.mark.skipif(shutil.which("soffice") is None and shutil.which("libreoffice") is None,
                       reason="LibreOffice is not installed"),
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"),
]

LONG = ("本府行政暨國際處與友好城市代表就觀光推廣、產業合作及青年交流等議題交換意見，"
        "並規劃疫情後恢復互訪，持續深化雙邊關係。")
LABELS = ["1、", "(1)", "甲、", "(甲)", "A、", "(A)", "a、", "(a)"]


@pytest.fixture(scope="module", params=["半形", "全形"])
def rendered(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"levels-{request.param}")
    deep = "\n".join(label + LONG for label in LABELS) + "\n2、" + LONG
    path = write_workbook(
        folder / "levels.xlsx",
        settings={"章次": 2, "章名": "外交", "期間起": "101/7/1", "期間迄": "101/12/31", "序號數字": request.param,
                  "前言": "本期施政如下：\n1、" + LONG + "\n2、" + LONG},
        sections=[{"節次": 1, "節名": "穩固邦交", "類型": "活動"},
                  {"節次": 2, "節名": "僑務", "類型": "活動", "項目格式": "標題接內文"}],
        headers={"章節": ["節次", "節名", "類型", "前言", "項目格式"]},
        activities=[{"節次": 1, "標題": "我友邦政要訪華：", "開始日期": "101/8/1", "內容": "概述如下：\n" + deep},
                    {"節次": 2, "標題": "辦理研討會", "開始日期": "101/8/1", "內容": LONG + LONG},
                    {"節次": 2, "標題": "結合志工", "開始日期": "101/8/2", "內容": "1、" + LONG + "\n2、" + LONG}],
        visits=[])
    return render(folder, [path], REPO / "templates" / "report.docx")


def first_words(rendered, index):
    lines = rendered.lines_of(index)
    return lines, lines[0].words[0], lines[0].words[1]


def test_wrapped_sub_item_lines_align_after_their_labels(rendered):
    checked = 0
    for index, paragraph in enumerate(rendered.paragraphs):
        if labels.parse(paragraph) is None:  # headings, body text
            continue
        lines, label, text = first_words(rendered, index)
        assert text.x0 > label.x1, paragraph[:10]
        assert len(lines) > 1, "each sub-item is long enough to wrap"
        for line in lines[1:]:
            assert abs(line.x - text.x0) < TOLERANCE, (paragraph[:10], line.text)
            checked += 1
    assert checked >= 20


def test_each_level_hangs_its_label_at_its_parents_text(rendered):
    """The depth-1 label starts at the item's text edge (its title), each deeper label where its
    parent's text starts, so every level is indented under its parent."""
    start = next(i for i, p in enumerate(rendered.paragraphs) if p.startswith("(一)"))
    _, _, title = first_words(rendered, start)
    parent_text = title.x0
    for offset in range(2, 2 + len(LABELS)):  # 概述如下 is body text; then the eight levels
        _, label, text = first_words(rendered, start + offset)
        assert abs(label.x0 - parent_text) < TOLERANCE, rendered.paragraphs[start + offset][:8]
        assert text.x0 > parent_text
        parent_text = text.x0
    body = rendered.lines_of(start + 1)[0]  # 概述如下： sits under the title too
    assert abs(body.x - title.x0) < TOLERANCE


def test_run_in_items_wrap_under_the_titles_first_character(rendered):
    index = next(i for i, p in enumerate(rendered.paragraphs) if p.startswith("(一)辦理研討會"))
    lines, label, text = first_words(rendered, index)
    assert len(lines) >= 3
    assert all(abs(line.x - text.x0) < TOLERANCE for line in lines[1:])
    # the label hangs where a separate-title item's label does
    heading = next(i for i, p in enumerate(rendered.paragraphs) if p.startswith("(一) 我友邦"))
    _, item_label, item_title = first_words(rendered, heading)
    assert abs(label.x0 - item_label.x0) < TOLERANCE and abs(text.x0 - item_title.x0) < TOLERANCE


def test_chapter_preface_sub_items_hang_under_the_preface(rendered):
    preface = rendered.lines_of(1)[0]
    lines, label, text = first_words(rendered, 2)
    assert abs(label.x0 - preface.x) < TOLERANCE
    assert all(abs(line.x - text.x0) < TOLERANCE for line in lines[1:])
