"""`reportgen import`: editors' corrections in the .docx come back to the workbook; what cannot be
recovered is said; nothing is overwritten (SPEC §6)."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from docx import Document as WordDocument
from docx.oxml.ns import qn
from openpyxl import load_workbook

from helpers import EXAMPLE, REPO, run_cli
from reportgen import api
from reportgen.errors import FatalError

TEMPLATE = REPO / "templates" / "report.docx"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The example's chapter as the editors receive it."""
    out = tmp_path_factory.mktemp("built") / "國際事務.docx"
    assert run_cli("build", EXAMPLE, "-o", out, "--template", TEMPLATE).code == 0
    return out


def edited(built: Path, tmp_path: Path, change) -> Path:
    """The chapter after an editor's change in Word (python-docx stands in for Word)."""
    document = WordDocument(str(built))
    change(document.paragraphs)
    path = tmp_path / "edited.docx"
    document.save(str(path))
    return path


def texts(paragraph) -> list:
    """The paragraph's w:t elements: a labelled one has the label's, then (after a tab) the text's."""
    return paragraph._element.findall(".//" + qn("w:t"))


def set_text(paragraph, text: str) -> None:
    """Replace the paragraph's text after its label, as an editor typing over it does."""
    texts(paragraph)[-1].text = text


def imported(path: Path, tmp_path: Path) -> tuple[list[dict], list[str]]:
    """The 活動 rows of the imported workbook (by header) and the chapter it builds."""
    target = tmp_path / "back.xlsx"
    result = run_cli("import", path, "-o", target)
    assert result.code == 0, result.err
    sheet = load_workbook(target)["活動"]
    head = [c.value for c in sheet[1]]
    rows = [dict(zip(head, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    return rows, api.preview_text(api.load([target])).splitlines()


def original() -> list[str]:
    return api.preview_text(api.load([EXAMPLE])).splitlines()


def test_a_fixed_typo_comes_back(built, tmp_path):
    def fix(paragraphs):
        body = paragraphs[3]  # the first item's body
        set_text(body, body.text.replace("櫥窗", "廚窗"))  # … an editor's fix, here the other way round
    rows, chapter = imported(edited(built, tmp_path, fix), tmp_path)
    assert "廚窗" in rows[0]["內容"] and "櫥窗" not in rows[0]["內容"]
    assert chapter == [p.replace("櫥窗", "廚窗") for p in original()]


def test_a_reworded_title_comes_back(built, tmp_path):
    def reword(paragraphs):
        set_text(paragraphs[4], "「日台友情 × 高雄」系列交流活動")
    rows, chapter = imported(edited(built, tmp_path, reword), tmp_path)
    assert rows[1]["標題"] == "「日台友情 × 高雄」系列交流活動"
    assert chapter[4] == "(二) 「日台友情 × 高雄」系列交流活動"
    assert chapter[:4] == original()[:4] and chapter[5:] == original()[5:]


def test_a_deleted_item_comes_back_as_a_row_less(built, tmp_path):
    def delete(paragraphs):
        for paragraph in paragraphs[6:8]:  # (三) and its body
            paragraph._element.getparent().remove(paragraph._element)
    rows, chapter = imported(edited(built, tmp_path, delete), tmp_path)
    before = original()
    assert len(rows) == 13 and all("布里斯本" not in row["標題"] for row in rows)
    # the editor left (四) … as they were; build numbers the items again
    assert chapter[:6] == before[:6] and chapter[6] == "(三) 與日本熊本縣友好城市視訊會議"
    assert len(chapter) == len(before) - 2


def test_an_added_item_comes_back_as_a_new_row(built, tmp_path):
    def fill(paragraphs):
        heading, body = paragraphs[28], paragraphs[29]  # (十四) and its body: the last item
        new_heading, new_body = copy.deepcopy(heading._element), copy.deepcopy(body._element)
        body._element.addnext(new_heading)
        new_heading.addnext(new_body)
        added = [type(heading)(new_heading, heading._parent), type(body)(new_body, body._parent)]
        set_text(added[0], "與美國聖安東尼市視訊會議")
        texts(added[0])[0].text = "(十五)"
        set_text(added[1], "110年12月28日陳其邁市長與聖安東尼市長視訊會議。")
    rows, chapter = imported(edited(built, tmp_path, fill), tmp_path)
    assert len(rows) == 15
    assert rows[-1]["標題"] == "與美國聖安東尼市視訊會議"
    assert rows[-1]["開始日期"] == "110/12/28"  # its first full date inside the period
    assert chapter[30:32] == ["(十五) 與美國聖安東尼市視訊會議", "110年12月28日陳其邁市長與聖安東尼市長視訊會議。"]
    assert chapter[:30] == original()[:30] and chapter[32:] == original()[30:]


# --- what cannot be recovered is said ---------------------------------------------------------------

def test_visit_statistics_become_a_text_section_with_a_warning(built, tmp_path):
    outcome = api.import_chapter(built, tmp_path / "a.xlsx")
    assert [p.code for p in outcome.problems] == ["import-visit-stats"]
    assert outcome.setup.sections[1]["類型"] == "文字"
    assert "推展與國際訪賓之友誼互動" in outcome.problems[0].message


def test_no_period_in_the_text_is_a_warning_and_left_blank(tmp_path):
    source = tmp_path / "c.txt"
    source.write_text("參、外交\n一、加強合作\n(一)參與國際組織：本年3月1日起辦理。\n", encoding="utf-8")
    outcome = api.import_chapter(source, tmp_path / "a.xlsx")
    assert [p.code for p in outcome.problems] == ["import-no-period"]
    assert outcome.setup.period is None
    book = load_workbook(tmp_path / "a.xlsx")["報告設定"]
    values = {row[0].value: row[1].value for row in book.iter_rows(min_row=2)}
    assert values["期間起"] is None and values["期間迄"] is None and values["活動排序"] == "填寫順序"
    given = api.import_chapter(source, tmp_path / "b.xlsx", period="98/1/1-98/6/30")
    assert not given.problems and given.setup.period is not None


def test_a_tie_between_half_years_names_the_candidates(tmp_path):
    source = tmp_path / "c.txt"
    source.write_text("參、外交\n一、合作\n(一)甲：98年3月1日辦理。\n(二)乙：98年9月1日辦理。\n", encoding="utf-8")
    outcome = api.import_chapter(source, tmp_path / "a.xlsx")
    assert [p.code for p in outcome.problems] == ["import-no-period"]
    assert "98年1月1日至98年6月30日" in outcome.problems[0].message
    assert "98年7月1日至98年12月31日" in outcome.problems[0].message


def test_a_file_with_no_chapter_heading_is_an_error_saying_what_was_expected(tmp_path):
    source = tmp_path / "notes.txt"
    source.write_text("會議紀錄\n一、出席人員\n", encoding="utf-8")
    result = run_cli("import", source, "-o", tmp_path / "a.xlsx")
    assert result.code == 1
    assert "找不到章標題" in result.err and "貳拾陸、國際事務" in result.err
    assert not (tmp_path / "a.xlsx").exists()


@pytest.mark.parametrize("name", ["chapter.pdf", "chapter.doc"])
def test_other_kinds_of_file_are_refused_by_name(tmp_path, name):
    source = tmp_path / name
    source.write_bytes(b"%PDF-1.4")
    result = run_cli("import", source, "-o", tmp_path / "a.xlsx")
    assert result.code == 2 and ".docx" in result.err and ".txt" in result.err


def test_import_never_overwrites(built, tmp_path):
    target = tmp_path / "existing.xlsx"
    target.write_bytes(b"staff's own workbook")
    result = run_cli("import", built, "-o", target)
    assert result.code == 2 and "已存在" in result.err
    assert target.read_bytes() == b"staff's own workbook"
    with pytest.raises(FatalError):
        api.import_chapter(built, built.with_suffix(".xlsx").with_name(built.name))  # not .xlsx


def test_a_big5_text_file_is_read_with_a_warning(tmp_path):
    source = tmp_path / "c.txt"
    source.write_bytes("參、外交\n一、合作\n(一)甲：98年3月1日辦理。\n".encode("cp950"))
    outcome = api.import_chapter(source, tmp_path / "a.xlsx")
    assert "import-encoding" in [p.code for p in outcome.problems]
    assert outcome.setup.title == "外交"


def test_the_workbook_is_a_normal_init_workbook(built, tmp_path):
    api.import_chapter(built, tmp_path / "a.xlsx")
    book = load_workbook(tmp_path / "a.xlsx")
    assert book.sheetnames[0] == "填寫說明"
    assert any(v.type == "list" for v in book["活動"].data_validations.dataValidation)


def test_a_folder_or_a_missing_file_is_named_as_such(tmp_path):
    folder = run_cli("import", tmp_path, "-o", tmp_path / "a.xlsx")
    assert folder.code == 2 and "是資料夾" in folder.err
    missing = run_cli("import", tmp_path / "none.txt", "-o", tmp_path / "a.xlsx")
    assert missing.code == 2 and "找不到" in missing.err


def test_settings_come_from_the_chapter_not_from_a_cover_line_before_it(tmp_path):
    """A cover line `（書面）（附件）` before the heading is not imported, so its full-width
    parentheses must not set 括號 and change the chapter's own `(測試)`."""
    source = tmp_path / "c.txt"
    source.write_text("行政院施政報告（書面）（附件）\n貳、外交\n一、節\n(一) 甲\n內文110年8月1日(測試)。\n",
                      encoding="utf-8")
    assert run_cli("import", source, "-o", tmp_path / "c.xlsx").code == 0
    assert load_workbook(tmp_path / "c.xlsx")["報告設定"]["B6"].value == "半形"  # 括號
    assert run_cli("preview", tmp_path / "c.xlsx").out.splitlines()[-1] == "內文110年8月1日(測試)。"


def _import_preview(tmp_path, source, *args):
    out = tmp_path / f"{source.stem}.xlsx"
    result = run_cli("import", source, "-o", out, "--period", "110/7/1-110/12/31", *args)
    assert result.code == 0, result.err
    return result, run_cli("preview", out).out.splitlines()


def test_template_syntax_in_published_text_comes_back_as_text(tmp_path):
    """A 前言 cell is a sentence template: `{{ 期間 }}` published as text is kept as text (a raw
    block), not rendered; the 內容 cells print as they hold, so nothing is said of them."""
    source = tmp_path / "braces.txt"
    lines = ["貳拾陸、國際事務", "本章以{{ 期間 }}表示期間，{#註#}。", "一、交流", "本節範本語法{% if x %}示例。",
             "(一) 甲", "110年9月8日辦理{{x}}。"]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result, printed = _import_preview(tmp_path, source)
    assert printed == lines
    assert "大括號" not in result.err


def test_a_docx_reads_as_published(tmp_path):
    """What a Word file shows is what comes back: a Shift+Enter before a label starts a sub-item,
    hidden and moved-away text is left out, a non-breaking hyphen is a hyphen, a table of contents
    before the heading is no chapter."""
    document = WordDocument()
    toc = document.add_paragraph("貳拾陸、國際事務\t1")
    toc.style = document.styles.add_style("TOC 1", 1)
    document.add_paragraph("一、姊妹市交流\t2").style = toc.style
    document.add_paragraph("貳拾陸、國際事務")
    document.add_paragraph("一、交流")
    document.add_paragraph("(一) 簽署協定")
    body = document.add_paragraph("110年9月10日與Jean")
    hyphen = body.add_run()
    hyphen._r.append(hyphen._r.makeelement(qn("w:noBreakHyphen"), {}))
    body.add_run("Pierre簽署協定書，內容如下：")
    hidden = body.add_run("（草稿）")
    hidden.font.hidden = True
    for line in ("1、子項一", "2、子項二"):
        run = body.add_run()
        run.add_break()
        run.add_text(line)
    moved = body._p.makeelement(qn("w:moveFrom"), {})
    moved_run = body.add_run("搬走的字")._r
    body._p.remove(moved_run)
    moved.append(moved_run)
    body._p.append(moved)
    source = tmp_path / "published.docx"
    document.save(source)
    _result, printed = _import_preview(tmp_path, source)
    assert printed == ["貳拾陸、國際事務", "一、交流", "(一) 簽署協定",
                       "110年9月10日與Jean-Pierre簽署協定書，內容如下：", "1、子項一", "2、子項二"]


def test_a_file_of_several_chapters_gives_the_first_and_says_so(tmp_path):
    source = tmp_path / "two.txt"
    lines = ["貳拾伍、社會福利", "一、福利", "(一) 甲", "110年9月8日辦理。",
             "貳拾陸、國際事務", "一、交流", "(一) 乙", "內文。"]
    source.write_text("\n".join(lines), encoding="utf-8")
    result, printed = _import_preview(tmp_path, source)
    assert printed == ["貳拾伍、社會福利", "一、福利", "(一) 甲", "110年9月8日辦理。"]
    assert "第 5 行：這裡起是另一章（「貳拾陸、國際事務」），沒有匯入" in result.err


def test_headings_numbered_by_word_are_said_to_be_so(tmp_path):
    """Word's list numbering shows 貳拾陸、 without it being text: the error says why no chapter
    heading is found and what to do."""
    document = WordDocument()
    for text, style in (("國際事務", "Heading 1"), ("交流", "Heading 2"), ("簽署協定", "Heading 3")):
        paragraph = document.add_paragraph(text, style=style)
        numbering = paragraph._p.get_or_add_pPr().makeelement(qn("w:numPr"), {})
        level = numbering.makeelement(qn("w:ilvl"), {qn("w:val"): "0"})
        number = numbering.makeelement(qn("w:numId"), {qn("w:val"): "1"})
        numbering.extend([level, number])
        paragraph._p.get_or_add_pPr().append(numbering)
    source = tmp_path / "numbered.docx"
    document.save(source)
    result = run_cli("import", source, "-o", tmp_path / "n.xlsx")
    assert result.code == 1 and "找不到章標題" in result.err and "自動編號" in result.err
    plain = WordDocument()
    plain.add_paragraph("會議紀錄")
    plain.save(tmp_path / "notes.docx")
    assert "自動編號" not in run_cli("import", tmp_path / "notes.docx", "-o", tmp_path / "m.xlsx").err


# --- acceptance review: what a published file holds is read as build would read it -------------------

def _problems(result, code: str) -> list[str]:
    """The lines of `reportgen import`'s output that are the problem `code` (by its message's start)."""
    starts = {"import-invisible": "已移除看不見的字元", "import-line-unfinished": "這一行的結尾沒有句末標點",
              "import-long-text": "匯入的「", "import-dangling-colon": "以「：」結尾"}
    return [line for line in result.err.splitlines() if starts[code] in line]


def test_invisible_characters_in_a_txt_are_removed_with_a_warning_a_line(tmp_path):
    """Control characters and non-characters cannot be held by a workbook at all (openpyxl refused
    them with an English error): removed as build removes them, one warning naming each line."""
    source = tmp_path / "c.txt"
    source.write_text("貳拾陸、國際事務\n一、節一\n(一) 項\x00目\n內容\x07有字\x1b。\n第二段\ufffe與\uffff\u200b。\n",
                      encoding="utf-8")
    result, printed = _import_preview(tmp_path, source)
    assert printed == ["貳拾陸、國際事務", "一、節一", "(一) 項目", "內容有字。", "第二段與。"]
    warned = _problems(result, "import-invisible")
    assert len(warned) == 3
    assert "第 3 行" in warned[0] and "控制字元 U+0000" in warned[0]
    assert "第 4 行" in warned[1] and "控制字元 U+0007、控制字元 U+001B" in warned[1]
    assert "「內容〈U+0007〉有字〈U+001B〉。」" in warned[1]
    assert "第 5 行" in warned[2] and "非字元 U+FFFE、非字元 U+FFFF、零寬空格 U+200B" in warned[2]
    assert "Error" not in result.err and "內部錯誤" not in result.err


def test_invisible_characters_in_a_docx_are_removed_with_a_warning(tmp_path):
    document = WordDocument()
    for text in ("貳拾陸、國際\u200b事務", "一、交流", "(一) 簽署協定", "110年9月10日簽署\u00ad協定書。"):
        document.add_paragraph(text)
    source = tmp_path / "zw.docx"
    document.save(source)
    result, printed = _import_preview(tmp_path, source)
    assert printed == ["貳拾陸、國際事務", "一、交流", "(一) 簽署協定", "110年9月10日簽署協定書。"]
    warned = _problems(result, "import-invisible")
    assert len(warned) == 2 and "第 1 段" in warned[0] and "第 4 段" in warned[1] and "軟連字號" in warned[1]


def _with_breaks(paragraph, *lines: str, tag: str = "w:br") -> None:
    """`lines` as one Word paragraph, a Shift+Enter (w:br, or w:cr) between them."""
    for index, line in enumerate(lines):
        run = paragraph.add_run()
        if index:
            run._r.append(run._r.makeelement(qn(tag), {}))
        run.add_text(line)


def test_a_line_break_inside_a_docx_heading_or_paragraph_is_a_wrapped_line(tmp_path):
    """A Shift+Enter inside a heading leaves it a heading; elsewhere, as build joins a wrapped line
    (no space beside CJK, one between Latin letters or digits); before a label it still starts a sub-item."""
    document = WordDocument()
    _with_breaks(document.add_paragraph(), "貳拾陸、國際", "事務")
    _with_breaks(document.add_paragraph(), "一、姊妹市", "交流", tag="w:cr")
    _with_breaks(document.add_paragraph(), "(一) 簽署", "協定")
    _with_breaks(document.add_paragraph(), "110年9月10日與Smart", "City簽署 ", " 協定，如下：", "1、子項一")
    source = tmp_path / "breaks.docx"
    document.save(source)
    result, printed = _import_preview(tmp_path, source)
    assert printed == ["貳拾陸、國際事務", "一、姊妹市交流", "(一) 簽署協定",
                       "110年9月10日與Smart City簽署協定，如下：", "1、子項一"]
    assert "找不到章標題" not in result.err


def _tracked(document, text: str, *, mark_deleted: bool = False, deleted: str = "", inserted: str = ""):
    """A paragraph as Word saves it with Track Changes on: `deleted` text (w:del/w:delText) and
    `inserted` text (w:ins) after `text`; its paragraph mark deleted when `mark_deleted`."""
    paragraph = document.add_paragraph(text)
    p = paragraph._p
    change = {qn("w:id"): "1", qn("w:author"): "編輯", qn("w:date"): "2022-01-05T00:00:00Z"}
    if deleted:
        gone = p.makeelement(qn("w:del"), change)
        run = gone.makeelement(qn("w:r"), {})
        text_node = run.makeelement(qn("w:delText"), {})
        text_node.text = deleted
        run.append(text_node)
        gone.append(run)
        p.append(gone)
    if inserted:
        added = p.makeelement(qn("w:ins"), change)
        run = paragraph.add_run(inserted)._r
        p.remove(run)
        added.append(run)
        p.append(added)
    if mark_deleted:
        properties = p.get_or_add_pPr()
        marks = properties.makeelement(qn("w:rPr"), {})
        marks.append(marks.makeelement(qn("w:del"), change))
        properties.append(marks)
    return paragraph


def test_tracked_changes_read_as_accepted(tmp_path):
    """A deleted paragraph mark (two paragraphs joined with Track Changes on) runs the paragraph on
    into the next; insertions are in, deleted text and whole deleted paragraphs are out."""
    document = WordDocument()
    for text in ("貳拾陸、國際事務", "一、交流", "(一) 簽署協定"):
        document.add_paragraph(text)
    _tracked(document, "110年9月10日與日本", mark_deleted=True)
    _tracked(document, "京都市簽署", deleted="舊的", inserted="友好協定書。")
    _tracked(document, "", deleted="整段刪除的文字。", mark_deleted=True)
    _tracked(document, "另一段。")
    _tracked(document, "(二) 合作", mark_deleted=True)
    document.add_paragraph("備忘錄")
    source = tmp_path / "tracked.docx"
    document.save(source)
    _result, printed = _import_preview(tmp_path, source)
    assert printed == ["貳拾陸、國際事務", "一、交流", "(一) 簽署協定", "110年9月10日與日本京都市簽署友好協定書。",
                       "另一段。", "(二) 合作備忘錄"]


def test_a_txt_is_one_paragraph_a_line_and_an_unfinished_line_is_joined_and_said(tmp_path):
    """SPEC §6: one paragraph a line; where a line stops mid-sentence and plain text follows (a PDF's
    page broke the paragraph, as in the seed chapter), the two are joined, never silently."""
    source = tmp_path / "c.txt"
    lines = ["貳拾陸、國際事務", "一、交流", "(一) 與日本簽署協定", "110年9月8日與日本台灣交", "", "流協會簽署協定。",
             "(二) 沒有標點的標題", "說明如下：", "1、子項沒有標點", "2、子項"]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result, printed = _import_preview(tmp_path, source)
    assert printed == [*lines[:3], "110年9月8日與日本台灣交流協會簽署協定。", *lines[6:]]
    warned = _problems(result, "import-line-unfinished")
    assert len(warned) == 1, result.err
    assert "第 4 行" in warned[0] and "第 6 行" in warned[0] and "日本台灣交" in warned[0]
    assert "接成一段" in warned[0] and "補上標點" in warned[0]


def test_literal_escape_like_text_comes_back_literally(tmp_path):
    """`_x4E2D_` typed as text is Excel's escape for 中 when written raw: the workbook escapes its
    underscore as Excel does (`_x005F_`), so build prints what was published."""
    source = tmp_path / "c.txt"
    lines = ["貳拾陸、國際事務", "一、節_x4e2d_", "(一) 標題_X4E2D_與_x4E2D_x4E2E_", "內含_x4E2D_與_x005F_字樣。"]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _result, printed = _import_preview(tmp_path, source)
    assert printed == lines
    assert api.preview_text(api.load([tmp_path / "c.xlsx"])).splitlines() == lines


def test_init_from_keeps_a_literal_escape_like_section_title(tmp_path):
    old = tmp_path / "old.xlsx"
    assert run_cli("init", old, "--period", "110/7/1-110/12/31").code == 0
    book = load_workbook(old)
    sections = book["章節"]
    head = [c.value for c in sections[1]]
    sections.cell(2, head.index("節名") + 1).value = "節_x005F_x4E2D_"  # what Excel saves for a typed 節_x4E2D_
    book.save(old)
    new = tmp_path / "new.xlsx"
    outcome = api.create_workbook(new, source=old)
    assert outcome.setup.sections[0]["節名"] == "節_x4E2D_"
    again = api.create_workbook(tmp_path / "again.xlsx", source=new)  # read back as Excel shows it
    assert again.setup.sections[0]["節名"] == "節_x4E2D_"


def test_a_content_or_preface_longer_than_build_takes_is_a_warning(tmp_path):
    from reportgen.check.limits import MAX_CHARS
    from reportgen.schema import Kind

    long = "甲" * MAX_CHARS[Kind.PROSE] + "。"
    source = tmp_path / "c.txt"
    source.write_text("\n".join(["貳拾陸、國際事務", "一、交流", long, "(一) 標題", "110年9月8日辦理。", long,
                                 "(二) 剛好", "乙" * (MAX_CHARS[Kind.PROSE] - 1) + "。"]) + "\n", encoding="utf-8")
    result = run_cli("import", source, "-o", tmp_path / "c.xlsx", "--period", "110/7/1-110/12/31")
    assert result.code == 0, result.err
    warned = _problems(result, "import-long-text")
    assert len(warned) == 2, result.err
    assert "第 2 行" in warned[0] and "「前言」有 10,001 字" in warned[0] and "10,000" in warned[0]
    assert "第 4 行" in warned[1] and "「內容」有 10,014 字" in warned[1]  # 110年9月8日辦理。, a blank line, the rest


def test_a_heading_numbered_off_is_no_word_auto_numbering(tmp_path):
    """numId 0 turns numbering off: a reportgen-built chapter whose heading was retyped
    (`第貳拾陸章`) gets no false explanation about Word's auto-numbering."""
    def heading(document, text, style, number):
        paragraph = document.add_paragraph(text, style=style)
        properties = paragraph._p.get_or_add_pPr()
        numbering = properties.makeelement(qn("w:numPr"), {})
        numbering.append(numbering.makeelement(qn("w:ilvl"), {qn("w:val"): "0"}))
        numbering.append(numbering.makeelement(qn("w:numId"), {qn("w:val"): number}))
        properties.append(numbering)

    document = WordDocument()
    heading(document, "第貳拾陸章　國際事務", "Heading 1", "0")
    heading(document, "一、交流", "Heading 2", "0")
    document.save(tmp_path / "off.docx")
    result = run_cli("import", tmp_path / "off.docx", "-o", tmp_path / "a.xlsx")
    assert result.code == 1 and "找不到章標題" in result.err and "自動編號" not in result.err
    styled = WordDocument()
    style = styled.styles["Heading 1"]._element
    properties = style.get_or_add_pPr()
    numbering = properties.makeelement(qn("w:numPr"), {})
    numbering.append(numbering.makeelement(qn("w:numId"), {qn("w:val"): "0"}))
    properties.append(numbering)
    styled.add_paragraph("第貳拾陸章　國際事務", style="Heading 1")
    styled.save(tmp_path / "style-off.docx")
    result = run_cli("import", tmp_path / "style-off.docx", "-o", tmp_path / "b.xlsx")
    assert result.code == 1 and "自動編號" not in result.err


@pytest.mark.parametrize(("numeral", "number"), [("壹拾", 10), ("壹拾壹", 11), ("壹佰壹拾", 110), ("貳拾陸", 26),
                                                  ("拾", 10), ("拾壹", 11), ("壹佰零壹", 101)])
def test_chapter_numbers_in_words_formal_numbering_forms(numeral, number):
    from reportgen.read.chapter import chapter_number

    assert chapter_number(numeral) == number


@pytest.mark.parametrize("wrong", ["壹壹拾", "拾壹拾", "貳壹拾", "佰壹拾"])
def test_a_leading_one_is_dropped_only_at_the_start(wrong):
    from reportgen.read.chapter import chapter_number

    assert chapter_number(wrong) is None


def test_a_chapter_heading_written_as_word_numbers_it_is_recognised(tmp_path):
    source = tmp_path / "c.txt"
    source.write_text("壹拾、外交\n一、交流\n(一) 甲\n110年9月8日辦理。\n", encoding="utf-8")
    _result, printed = _import_preview(tmp_path, source)
    assert printed[0] == "拾、外交"
    assert load_workbook(tmp_path / "c.xlsx")["報告設定"]["B2"].value == 10


def test_a_paragraph_ending_with_a_colon_and_nothing_after_it_is_said(tmp_path):
    """Build leaves out a sentence ending with `：` that introduces nothing (SPEC §3): the import
    says so for an item's last paragraph, a title standing alone and a section's last 前言."""
    source = tmp_path / "c.txt"
    source.write_text("\n".join(["貳拾陸、國際事務", "本章說明如下：", "一、交流", "本節如下：",
                                 "(一) 甲", "110年9月8日辦理，說明如下：",
                                 "(二) 乙：", "(三) 丙", "重點如下：", "1、子項。",
                                 "二、文字", "本節內容如下："]) + "\n", encoding="utf-8")
    result = run_cli("import", source, "-o", tmp_path / "c.xlsx", "--period", "110/7/1-110/12/31")
    assert result.code == 0, result.err
    warned = {int(re.search(r"第 (\d+) 行", line).group(1)): line
              for line in _problems(result, "import-dangling-colon")}
    assert sorted(warned) == [6, 7, 12], result.err
    assert "「110年9月8日辦理，說明如下：」" in warned[6] and "這一項" in warned[6] and "會刪去這一句" in warned[6]
    assert "「乙：」" in warned[7] and "會刪去結尾的「：」" in warned[7]
    assert "「本節內容如下：」" in warned[12] and "這一節" in warned[12]


def test_an_import_without_a_period_says_so_not_none(tmp_path):
    """No full date and no item: the summary says the period is to be filled, never Python's `None`."""
    source = tmp_path / "c.txt"
    source.write_text("貳拾陸、國際事務\n一、交流活動\n", encoding="utf-8")
    result = run_cli("import", source, "-o", tmp_path / "c.xlsx")
    assert result.code == 0
    assert "None" not in result.out and "報告期間 未定" in result.out
