"""The workbook says what published chapters say (SPEC §2–§3): sub-items, 項目格式, 活動排序,
序號數字 and the chapter's 前言."""

from __future__ import annotations

import pytest

from helpers import HEADERS, write_workbook
from reportgen import api, labels
from reportgen.normalize import clean_prose
from reportgen.write.document import Role

SETTINGS = {"章次": 2, "章名": "外交", "期間起": "101/7/1", "期間迄": "101/12/31"}
SECTION_HEAD = [*HEADERS["章節"], "項目格式"]


def chapter(tmp_path, activities, settings=None, sections=None, name="a.xlsx"):
    path = write_workbook(tmp_path / name, settings={**SETTINGS, **(settings or {})},
                          sections=sections or [{"節次": 1, "節名": "穩固邦交", "類型": "活動"}],
                          activities=activities, visits=[], headers={"章節": SECTION_HEAD})
    return api.load([path])


def lines(outcome) -> list[str]:
    return api.preview_text(outcome).splitlines()


def item(title, content, start="101/8/1", section=1):
    return {"節次": section, "標題": title, "開始日期": start, "內容": content}


def codes(outcome) -> list[tuple[str, str]]:
    return outcome.problems.flatten(("cell", "code"))


# --- labels ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "rank", "number"), [
    ("1、", 0, 1), ("１、", 0, 1), ("1.", 0, 1), ("１．", 0, 1), ("12、", 0, 12),
    ("(1)", 1, 1), ("（１）", 1, 1), ("1)", 1, 1), ("1）", 1, 1),
    ("甲、", 2, 1), ("丙、", 2, 3), ("(乙)", 3, 2), ("（甲）", 3, 1),
    ("A、", 4, 1), ("Ｃ、", 4, 3), ("B.", 4, 2), ("(A)", 5, 1), ("（Ｂ）", 5, 2),
    ("a、", 6, 1), ("(c)", 7, 3), ("ｂ、", 6, 2),
])
def test_every_label_form_staff_type_is_read(typed, rank, number):
    label = labels.parse(typed + "內文")
    assert (label.rank, label.number) == (rank, number)
    assert (typed + "內文")[label.end:] == "內文"


@pytest.mark.parametrize("text", ["1.5億元", "U.S.A. 訪團", "(視訊)會議", "(NGO)論壇", "110年9月8日", "一、節",
                                  "(一)項"])
def test_text_that_only_looks_like_a_label_is_not_one(text):
    assert labels.parse(text) is None


def test_labels_print_half_width_parentheses_and_the_digit_width():
    assert [labels.text(r, 1) for r in range(8)] == ["1、", "(1)", "甲、", "(甲)", "A、", "(A)", "a、", "(a)"]
    wide = ["２、", "(２)", "乙、", "(乙)", "Ｂ、", "(Ｂ)", "ｂ、", "(ｂ)"]
    assert [labels.text(r, 2, "全形") for r in range(8)] == wide
    assert labels.text(0, 9, "全形") == "９、" and labels.text(0, 10, "全形") == "10、"  # as typesetters do


def test_a_single_line_break_before_a_label_starts_a_paragraph():
    typed = "我友邦政要訪華如下：\n1、亞太地區：馬紹爾\n群島總統。\n(1)子項\n2、非洲地區。\n1.5億元的計畫"
    assert clean_prose(typed).paragraphs == ["我友邦政要訪華如下：", "1、亞太地區：馬紹爾群島總統。", "(1)子項",
                                             "2、非洲地區。1.5億元的計畫"]


# --- sub-items in the chapter ------------------------------------------------------------------------

def test_sub_items_nest_under_their_parents_and_print_their_labels(tmp_path):
    content = ("合作計畫如下：\n１．與帛琉簽署引渡條約。\n2、推動下列計畫：\n（1）學童午餐。\n(2)修建屋頂。\n"
               "甲、第一期。\nA、說明。\n3、持續推動。")
    outcome = chapter(tmp_path, [item("合作計畫", content)])
    assert lines(outcome)[3:] == ["合作計畫如下：", "1、與帛琉簽署引渡條約。", "2、推動下列計畫：", "(1)學童午餐。",
                                  "(2)修建屋頂。", "甲、第一期。", "A、說明。", "3、持續推動。"]
    blocks = api.document(outcome).blocks[3:]
    assert [(b.role, b.level) for b in blocks] == [
        (Role.ITEM_BODY, 0), (Role.SUBITEM, 1), (Role.SUBITEM, 1), (Role.SUBITEM, 2), (Role.SUBITEM, 2),
        (Role.SUBITEM, 3), (Role.SUBITEM, 4), (Role.SUBITEM, 1)]
    assert not outcome.problems


def test_full_width_digits_setting_prints_full_width_single_digits(tmp_path):
    content = "\n".join(f"{n}、第{n}項。" for n in range(1, 12)) + "\n(1)子項。\nA、再下一層。"
    outcome = chapter(tmp_path, [item("計畫", content)], settings={"序號數字": "全形"})
    printed = lines(outcome)[3:]
    assert printed[8:11] == ["９、第9項。", "10、第10項。", "11、第11項。"]
    assert printed[-2:] == ["(１)子項。", "Ａ、再下一層。"]


def test_skipped_or_repeated_numbers_are_a_warning_naming_the_cell(tmp_path):
    outcome = chapter(tmp_path, [item("一", "1、甲。\n2、乙。\n4、丁。"), item("二", "1、甲。\n(1)子。\n(1)子。"),
                                 item("三", "1、甲。\n(1)子。\n2、乙。\n(1)子。\n(2)子。")])
    assert codes(outcome) == [("E2", "sub-item-numbering"), ("E3", "sub-item-numbering")]
    assert "「4、」" in outcome.problems.sorted()[0].message
    assert outcome.report is not None  # a warning: the chapter still builds


# --- item formats ----------------------------------------------------------------------------------

RUN_IN = [{"節次": 1, "節名": "僑務", "類型": "活動", "項目格式": "標題接內文"}]


def test_run_in_items_continue_the_title_with_the_first_paragraph(tmp_path):
    outcome = chapter(tmp_path, [
        item("辦理研討會", "本期辦理2梯次。\n\n另辦理邀訪。"),
        item("結合志工：", "服務僑胞40萬人次。"),  # the colon is not doubled
        item("本期核發護照計615件。", None),  # blank: the title alone, no colon added
        item("我友邦政要訪華：", "1、亞太地區。\n2、非洲地區。"),  # a sub-item first: the title stands alone
    ], sections=RUN_IN)
    assert lines(outcome)[2:] == ["(一)辦理研討會：本期辦理2梯次。", "另辦理邀訪。", "(二)結合志工：服務僑胞40萬人次。",
                                  "(三)本期核發護照計615件。", "(四)我友邦政要訪華：", "1、亞太地區。", "2、非洲地區。"]
    assert not outcome.problems  # blank 內容 is normal under 標題接內文


def test_a_run_in_item_whose_sub_items_follow_is_kept_with_them(tmp_path):
    """SPEC §3 "headings kept with the next paragraph": a 標題接內文 title standing alone before its
    sub-items (or a first sentence introducing them) never ends a page without them; an item whose
    text is all in its one paragraph is not held to the next item."""
    import zipfile

    from lxml import etree

    path = write_workbook(tmp_path / "a.xlsx", settings={**SETTINGS, "活動排序": "填寫順序"}, sections=RUN_IN,
                          headers={"章節": SECTION_HEAD}, visits=[], activities=[
                              item("我友邦政要訪華：", "1、亞太地區。\n2、非洲地區。"),
                              item("本期核發護照計615件。", None),
                              item("辦理研討會", "本期辦理2梯次如下：\n1、北部。")])
    out = tmp_path / "a.docx"
    out.write_bytes(api.render_docx(api.load([path])))
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    body = etree.fromstring(zipfile.ZipFile(out).read("word/document.xml")).find(f"{w}body")
    kept = {"".join(t.text or "" for t in p.iter(f"{w}t")): p.find(f"{w}pPr/{w}keepNext") is not None
            for p in body.iter(f"{w}p")}
    assert kept["(一)我友邦政要訪華："] and kept["(三)辦理研討會：本期辦理2梯次如下："]
    assert not kept["(二)本期核發護照計615件。"] and not kept["1、亞太地區。"]


def test_blank_content_under_separate_titles_is_a_warning(tmp_path):
    outcome = chapter(tmp_path, [item("只有標題", None)])
    assert codes(outcome) == [("E2", "blank-content")]
    assert lines(outcome)[2:] == ["(一) 只有標題"]


# --- order and the chapter preface --------------------------------------------------------------------

def test_as_entered_order_keeps_the_rows_order_and_allows_no_date(tmp_path):
    rows = [item("後來的", "乙。", "101/12/1"), item("沒有日期", "丙。", None), item("先前的", "甲。", "101/7/2")]
    outcome = chapter(tmp_path, rows, settings={"活動排序": "填寫順序"})
    assert [line for line in lines(outcome) if line.startswith("(")] == ["(一) 後來的", "(二) 沒有日期", "(三) 先前的"]
    assert not outcome.problems
    by_date = chapter(tmp_path, rows, name="b.xlsx")
    assert codes(by_date) == [("C3", "required")]  # 日期 (the default): 開始日期 stays required


def test_the_chapter_preface_prints_before_the_first_section_rendered(tmp_path):
    preface = "茲將{{ 期間全稱 }}重要施政分述如下：\n1、穩固邦交。\n2、拓展關係。"
    outcome = chapter(tmp_path, [item("一", "甲。")], settings={"前言": preface})
    assert lines(outcome)[:5] == ["貳、外交", "茲將101年7月至12月重要施政分述如下：", "1、穩固邦交。", "2、拓展關係。",
                                  "一、穩固邦交"]
    roles = [b.role for b in api.document(outcome).blocks[1:4]]
    assert roles == [Role.SECTION_BODY, Role.SECTION_SUBITEM, Role.SECTION_SUBITEM]


def test_a_wrong_chapter_preface_template_is_an_error_at_its_cell(tmp_path):
    outcome = chapter(tmp_path, [item("一", "甲。")], settings={"前言": "{{ 件數 }}"})
    assert ("B6", "bad-template") in codes(outcome)


def test_new_settings_default_to_todays_behaviour(tmp_path):
    outcome = chapter(tmp_path, [item("後", "乙。", "101/9/1"), item("前", "甲。", "101/8/1")])
    settings = outcome.report.settings
    assert (settings.order, settings.digits, settings.preface) == ("日期", "半形", ())
    assert outcome.report.sections[0].format == "標題分段"
    assert lines(outcome)[2:] == ["(一) 前", "甲。", "(二) 後", "乙。"]


def test_unknown_setting_values_are_errors_listing_the_choices(tmp_path):
    outcome = chapter(tmp_path, [item("一", "甲。")], settings={"活動排序": "隨便", "序號數字": "大寫"})
    assert [c for _, c in codes(outcome)] == ["bad-choice", "bad-choice"]
    assert outcome.report is None


# --- init, validate --report and the command line know them ---------------------------------------------

def test_inits_guide_shows_a_sub_item_example_and_the_new_settings(tmp_path):
    from openpyxl import load_workbook

    from helpers import run_cli

    path = tmp_path / "new.xlsx"
    assert run_cli("init", path, "--period", "111/1/1-111/6/30").code == 0
    book = load_workbook(path)
    guide = "\n".join(str(c.value) for row in book["填寫說明"].iter_rows() for c in row if c.value)
    example = next(str(r[1].value) for r in book["填寫說明"].iter_rows() if r[0].value == "範例（內容欄）")
    assert [p for p in clean_prose(example).paragraphs if labels.parse(p)][:3] == [
        "1、與帛琉於8月13日簽署「引渡條約」。", "2、推動下列援助計畫：", "(1)學童午餐糧食倉儲計畫。"]
    for words in ("子項的寫法", "序號數字", "標題接內文", "填寫順序", "reportgen import"):
        assert words in guide
    settings = {row[0].value: row[1].value for row in book["報告設定"].iter_rows(min_row=2)}
    assert (settings["活動排序"], settings["序號數字"], settings["前言"]) == ("日期", "半形", None)
    assert [c.value for c in book["章節"][1]][-1] == "項目格式"
    validations = [v for v in book["章節"].data_validations.dataValidation if v.type == "list"]
    assert any(v.formula1 == '"標題分段,標題接內文"' for v in validations)


def test_validate_report_marks_a_sub_item_numbering_warning_at_its_cell(tmp_path):
    from openpyxl import load_workbook

    from helpers import run_cli

    path = write_workbook(tmp_path / "a.xlsx", settings={**SETTINGS, "活動排序": "填寫順序"},
                          sections=[{"節次": 1, "節名": "邦交", "類型": "活動", "項目格式": "標題接內文"}],
                          activities=[item("一", "1、甲。\n3、丙。", None)], visits=[], headers={"章節": SECTION_HEAD})
    report = tmp_path / "out" / "report.xlsx"
    report.parent.mkdir()
    result = run_cli("validate", path, "--report", report)
    assert result.code == 0 and "子項序號跳號或重複" in result.out
    book = load_workbook(report)
    listed = [[c.value for c in row] for row in book["檢核結果"].iter_rows()]
    assert any("活動!E2" in row and any("子項序號跳號或重複" in str(v) for v in row) for row in listed)
    assert book["活動"]["E2"].comment is not None and "「3、」" in book["活動"]["E2"].comment.text


def test_import_is_a_command_with_its_help_in_chinese():
    from helpers import run_cli

    result = run_cli("import", "--help")
    assert result.code == 0 and "已出版的一章" in result.out and "--period" in result.out
    missing = run_cli("import", "a.docx")
    assert missing.code == 2 and "-o" in missing.err


def test_init_from_carries_the_new_settings_and_item_formats(tmp_path):
    from openpyxl import load_workbook

    from helpers import run_cli

    old = write_workbook(tmp_path / "old.xlsx",
                         settings={**SETTINGS, "前言": "茲將{{ 期間全稱 }}施政分述如下：", "活動排序": "填寫順序",
                                   "序號數字": "全形"},
                         sections=RUN_IN, activities=[item("一", "甲。", None)], visits=[],
                         headers={"章節": SECTION_HEAD})
    new = tmp_path / "new.xlsx"
    assert run_cli("init", new, "--from", old).code == 0
    book = load_workbook(new)
    settings = {row[0].value: row[1].value for row in book["報告設定"].iter_rows(min_row=2)}
    carried = (settings["前言"], settings["活動排序"], settings["序號數字"])
    assert carried == ("茲將{{ 期間全稱 }}施政分述如下：", "填寫順序", "全形")
    assert [c.value for c in book["章節"][2]][-1] == "標題接內文"


def test_every_indent_in_twips_cancels_its_character_units(tmp_path):
    """Sub-items and run-in items carry their own hanging indents as every other paragraph does: in
    twips, each with its character units set to 0 (in Word a master's 首行縮排 2 字元,
    firstLineChars="200", would otherwise override the twips and unhang the label)."""
    import io
    import re
    import zipfile

    outcome = chapter(tmp_path, [item("研討會", "本期辦理：\n1、甲。\n(1)乙。"), item("結合志工", "服務僑胞。")],
                      sections=RUN_IN)
    xml = zipfile.ZipFile(io.BytesIO(api.render_docx(outcome))).read("word/document.xml").decode()
    indents = re.findall(r"<w:ind [^>]*/>", xml.split("<w:body>")[1])
    assert len(indents) >= 5
    for ind in indents:
        for twips, chars in (("left", "leftChars"), ("hanging", "hangingChars"), ("firstLine", "firstLineChars")):
            if f' w:{twips}="' in ind:
                assert f' w:{chars}="0"' in ind, ind
