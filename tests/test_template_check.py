"""`reportgen template` and `build --template`: a template is checked before it is used, and what
describes the template (thumbnail, customXml, its own template's name) never reaches a chapter."""

from __future__ import annotations

import shutil
import zipfile
from copy import deepcopy
from pathlib import Path

import docx
import pytest
from lxml import etree

from helpers import REPO
from masters import CATCHING_STOP, master
from template_edits import rewrite
from zipparts import replace_text

TEMPLATE = REPO / "templates" / "report.docx"
SAVED_BY_LIBREOFFICE = REPO / "tests" / "fixtures" / "template-saved-by-libreoffice.docx"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
DOCUMENT_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
TEMPLATE_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"


@pytest.fixture
def python_docx_default(tmp_path) -> Path:
    """python-docx's own default template: US Letter, en-US/ja-JP, a thumbnail, customXml, Normal.dotm."""
    path = tmp_path / "預設.docx"
    docx.Document().save(path)
    return path


def edit_styles(source: Path, target: Path, change) -> Path:
    def edit(name: str, data: bytes) -> bytes:
        if name != "word/styles.xml":
            return data
        root = etree.fromstring(data)
        change({s.find(f"{W}name").get(f"{W}val"): s for s in root.iter(f"{W}style")})
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return rewrite(source, target, edit)


def test_the_default_template_has_nothing_to_report(project, cli):
    result = cli("template")
    assert (result.code, result.err) == (0, "")
    assert result.out == "範本 templates/report.docx 檢查完成：沒有問題。\n"


def test_python_docx_default_template_is_refused_with_every_reason(cli, python_docx_default):
    result = cli("template", python_docx_default)
    assert result.code == 2
    lines = result.out.splitlines()
    prefix = "錯誤：範本 預設.docx："
    assert [line.split("「")[1].split("」")[0] for line in lines if line.startswith(prefix)] == ["節內文", "項內文"]
    warnings = "\n".join(line for line in lines if line.startswith("警告："))
    for expected in ("紙張不是 A4（目前 21.59 公分 × 27.94 公分", "東亞語言不是繁體中文（zh-TW）：標題 1（en-US）",
                     "沒有指定中文字型", "「標題 3」的凸排 0.00 公分", "含有範本的縮圖", "含有自訂 XML 資料",
                     "範本：Normal.dotm", "沒有段落樣式「節內文（與下段同頁）」"):
        assert expected in warnings
    assert lines[-1] == f"範本 {python_docx_default} 缺少必要的樣式，無法用來產生本章。"


def test_build_names_every_missing_style_then_the_warnings_as_template_does(tmp_path, cli, workbook,
                                                                          python_docx_default):
    """SPEC §6 "build --template runs the same check": not only the first missing style, and the warnings too.
    (A chapter whose labels are 一、 and (一), the labels `template` checks against.)"""
    checked = cli("template", python_docx_default)
    result = cli("build", workbook(), "-o", tmp_path / "x.docx", "--template", python_docx_default)
    assert result.code == 2 and result.out == ""
    lines = result.err.splitlines()
    assert [line for line in lines if "缺少段落樣式" in line] == [
        line for line in checked.out.splitlines() if "缺少段落樣式" in line]
    assert len([line for line in lines if "缺少段落樣式" in line]) == 2  # 節內文 and 項內文
    assert lines[:-1] == checked.out.splitlines()[:-1]  # every finding, in the same words and order
    assert lines[-1] == f"錯誤：範本 {python_docx_default} 缺少必要的樣式，無法用來產生本章。"
    assert not (tmp_path / "x.docx").exists()


def test_a_section_heading_without_its_tab_stop_is_warned_too(tmp_path, cli):
    """SPEC §6: a hanging indent without its tab stop is a warning, 標題 2's as 標題 3's (一、 is
    followed by a tab once section labels differ in width)."""
    def change(styles):
        tabs = styles["heading 2"].find(f"{W}pPr/{W}tabs")
        tabs.getparent().remove(tabs)
    result = cli("template", edit_styles(TEMPLATE, tmp_path / "範本.docx", change))
    assert result.code == 0
    assert result.out.splitlines()[0].startswith("警告：範本 範本.docx：「標題 2」在左縮排")


def test_overflow_punctuation_off_and_a_missing_tab_stop_are_warned(tmp_path, cli, example_dir):
    """What re-saving the template in LibreOffice does, and an editor deleting 標題 3's tab stop."""
    def change(styles):
        for name in ("節內文", "項內文"):
            styles[name].find(f"{W}pPr/{W}overflowPunct").set(f"{W}val", "0")
        tabs = styles["heading 3"].find(f"{W}pPr/{W}tabs")
        tabs.getparent().remove(tabs)
    edited = edit_styles(TEMPLATE, tmp_path / "範本.docx", change)
    result = cli("template", edited)
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].startswith("警告：範本 範本.docx：「標題 3」在左縮排 2.45 公分 的位置沒有定位點。")
    assert lines[1].startswith("警告：範本 範本.docx：「允許標點符號溢出邊界」被關閉：節內文、項內文。用 LibreOffice")
    assert lines[2] == f"範本 {edited} 檢查完成：警告 2 項，仍可使用。"
    built = cli("build", example_dir, "-o", tmp_path / "x.docx", "--template", edited)
    assert built.code == 0
    assert built.err.splitlines() == lines[:2]  # build runs the same check


def _two_warnings(tmp_path: Path) -> Path:
    """A template with a missing tab stop and punctuation overflow off: usable, two warnings."""
    def change(styles):
        styles["節內文"].find(f"{W}pPr/{W}overflowPunct").set(f"{W}val", "0")
        tabs = styles["heading 3"].find(f"{W}pPr/{W}tabs")
        tabs.getparent().remove(tabs)
    return edit_styles(TEMPLATE, tmp_path / "範本.docx", change)


def test_the_summary_counts_the_template_warnings_build_printed(tmp_path, cli, workbook):
    template = _two_warnings(tmp_path)
    result = cli("build", workbook(), "-o", tmp_path / "x.docx", "--template", template)
    assert result.code == 0
    assert [line.split("：")[0] for line in result.err.splitlines()] == ["警告", "警告"]
    assert result.out.splitlines()[-1].endswith("；警告 2 項（其中範本 2 項）。")


def test_strict_turns_template_warnings_into_errors(tmp_path, cli, workbook):
    """SPEC §6 --strict「警告也視為錯誤」: the template's warnings too; a template problem is exit 2."""
    template = _two_warnings(tmp_path)
    output = tmp_path / "x.docx"
    result = cli("build", workbook(), "-o", output, "--template", template, "--strict")
    assert (result.code, result.out) == (2, "")
    lines = result.err.splitlines()
    assert [line.split("：")[0] for line in lines[:2]] == ["警告", "警告"]
    assert lines[2] == (f"錯誤：範本 {template} 有警告 2 項（--strict：警告視為錯誤），未產生檔案。"
                        "請依上列說明修改範本，或不加 --strict 執行。")
    assert not output.exists()
    assert cli("build", workbook(), "-o", output, "--strict").code == 0  # the default template: no warning


def test_a_label_wider_than_the_templates_hanging_indent_is_widened_without_a_warning(tmp_path, cli, workbook):
    """(二十一) is the chapter's, not the template's fault: the indent grows and nothing is warned."""
    activities = [{"節次": 1, "標題": f"活動{n}", "開始日期": "110/9/8", "內容": "內容。"} for n in range(1, 22)]
    out = tmp_path / "x.docx"
    result = cli("build", workbook(activities=activities), "-o", out)
    assert (result.code, result.err) == (0, "")
    heading = next(p for p in docx.Document(out).paragraphs if p.text.startswith("(二十一)"))
    assert heading.paragraph_format.first_line_indent.cm < -1.32  # carried, wider than the template's
    assert any(p.text.startswith("(二十一)\t") for p in docx.Document(out).paragraphs)


def test_a_hanging_indent_narrower_than_the_base_label_is_warned_whatever_the_chapter_s_labels(tmp_path, cli,
                                                                                                  example_dir):
    """SPEC §6 "build --template runs the same check": a 標題 3 too narrow for (一) is the template's
    fault also when the chapter holds (十四) — which the build fits — as the example does."""
    def change(styles):
        styles["heading 3"].find(f"{W}pPr/{W}ind").attrib.update({f"{W}left": "940", f"{W}hanging": "300"})
        for tab in styles["heading 3"].iterfind(f"{W}pPr/{W}tabs/{W}tab"):
            tab.set(f"{W}pos", "940")
    narrow = edit_styles(TEMPLATE, tmp_path / "範本.docx", change)
    checked = cli("template", narrow)
    found = [line for line in checked.out.splitlines() if "的凸排" in line]
    assert len(found) == 1 and "「標題 3」" in found[0]
    built = cli("build", example_dir, "-o", tmp_path / "x.docx", "--template", narrow, "--strict")
    assert built.code == 2
    assert [line for line in built.err.splitlines() if "的凸排" in line] == found


def test_leaked_parts_never_reach_the_chapter(tmp_path, cli, example_dir, python_docx_default):
    """python-docx's template with the chapter's styles added: buildable, but its leftovers stay behind."""
    with zipfile.ZipFile(TEMPLATE) as ours:
        styles = ours.read("word/styles.xml")
    leaky = rewrite(python_docx_default, tmp_path / "leaky.docx",
                    lambda name, data: styles if name == "word/styles.xml" else data)
    with zipfile.ZipFile(leaky) as archive:
        names = archive.namelist()
    assert "docProps/thumbnail.jpeg" in names and any(n.startswith("customXml/") for n in names)
    out = tmp_path / "chapter.docx"
    result = cli("build", example_dir, "-o", out, "--template", leaky)
    assert result.code == 0, result.err
    assert "含有範本的縮圖" in result.err and "範本：Normal.dotm" in result.err
    with zipfile.ZipFile(out) as archive:
        written = archive.namelist()
        app = archive.read("docProps/app.xml")
        types = archive.read("[Content_Types].xml")
        rels = archive.read("_rels/.rels") + archive.read("word/_rels/document.xml.rels")
    assert not [n for n in written if "thumbnail" in n or n.startswith("customXml/")]
    assert b"Normal.dotm" not in app and b"<Application>reportgen</Application>" in app
    assert b"thumbnail" not in types + rels and b"customXml" not in types + rels
    assert docx.Document(out).paragraphs[0].text == "貳拾陸、國際事務"  # still a valid package


def test_the_link_to_the_templates_own_template_is_dropped(tmp_path, cli, example_dir):
    """Word saves a document's template path (C:\\Users\\…\\Normal.dotm) in settings.xml and its .rels."""
    rels = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
            b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            b'openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" '
            b'Target="file:///C:/Users/editor/Normal.dotm" TargetMode="External"/></Relationships>')
    linked = tmp_path / "linked.docx"
    rewrite(TEMPLATE, linked, lambda name, data: replace_text(
        "<w:zoom", '<w:attachedTemplate r:id="rId1" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships"/><w:zoom')(data) if name == "word/settings.xml" else data)
    with zipfile.ZipFile(linked, "a") as archive:
        archive.writestr("word/_rels/settings.xml.rels", rels)
    out = tmp_path / "chapter.docx"
    result = cli("build", example_dir, "-o", out, "--template", linked)
    assert result.code == 0
    assert result.err == ("警告：範本 linked.docx：記錄了它所依附的範本檔（例如 Normal.dotm）的路徑；"
                          "reportgen 產生的文件不會帶這個路徑。\n")
    with zipfile.ZipFile(out) as archive:
        assert b"attachedTemplate" not in archive.read("word/settings.xml")
        assert b"Normal.dotm" not in archive.read("word/_rels/settings.xml.rels")
    docx.Document(out)


def test_a_dotx_template_gives_a_document(tmp_path, cli, example_dir):
    """The editors' master template (總報告.dotx): accepted, and the output is a .docx, not a template."""
    dotx = rewrite(TEMPLATE, tmp_path / "總報告.dotx", lambda name, data: replace_text(
        DOCUMENT_CT, TEMPLATE_CT)(data) if name == "[Content_Types].xml" else data)
    assert cli("template", dotx).out == f"範本 {dotx} 檢查完成：沒有問題。\n"
    out = tmp_path / "chapter.docx"
    result = cli("build", example_dir, "-o", out, "--template", dotx)
    assert (result.code, result.err) == (0, "")
    with zipfile.ZipFile(out) as archive:
        types = etree.fromstring(archive.read("[Content_Types].xml"))
    main = next(o for o in types.iter(f"{CT}Override") if o.get("PartName") == "/word/document.xml")
    assert main.get("ContentType") == DOCUMENT_CT
    assert len(docx.Document(out).paragraphs) > 30


def test_an_unreadable_template_exits_2(tmp_path, cli):
    broken = tmp_path / "壞掉.docx"
    broken.write_bytes(b"not a zip")
    result = cli("template", broken)
    assert result.code == 2
    assert result.err == "錯誤：範本 壞掉.docx 不是 Word 文件（.docx）。請用 Word 另存為 .docx。\n"


def test_a_style_without_a_type_is_a_paragraph_style_and_a_body_without_section_is_letter(tmp_path, cli):
    """Word reads a style without w:type as a paragraph style, and a body without w:sectPr as its
    default page: both are read that way, not fail (python-docx's style list cannot read the first)."""
    import re

    def untyped(styles: dict) -> None:
        for name in ("heading 3", "項內文"):
            del styles[name].attrib[f"{W}type"]

    no_type = edit_styles(TEMPLATE, tmp_path / "無類型.docx", untyped)
    result = cli("template", no_type)
    assert result.code == 0, result.err
    assert result.out.endswith("檢查完成：沒有問題。\n")
    built = cli("build", REPO / "inputs", "--template", no_type, "-o", tmp_path / "out.docx")
    assert built.code == 0, built.err  # what the check passes, the build uses
    body = etree.fromstring(zipfile.ZipFile(tmp_path / "out.docx").read("word/document.xml"))
    item = body.findall(f".//{W}p")[2]  # (一) …: python-docx cannot name an untyped style, Word can
    assert item.find(f"{W}pPr/{W}pStyle").get(f"{W}val") == _style_id(TEMPLATE, "heading 3")
    no_section = rewrite(TEMPLATE, tmp_path / "無節.docx", lambda name, data: re.sub(
        rb"<w:sectPr.*?</w:sectPr>", b"", data, flags=re.S) if name == "word/document.xml" else data)
    result = cli("template", no_section)
    assert result.code == 0, result.err
    assert "沒有設定紙張大小，Word 會用預設的 Letter（美式信紙）。" in result.out
    assert "檢查完成：警告 1 項，仍可使用。" in result.out


def _style_id(template: Path, name: str) -> str:
    styles = etree.fromstring(zipfile.ZipFile(template).read("word/styles.xml"))
    return next(s.get(f"{W}styleId") for s in styles.iter(f"{W}style")
                if s.find(f"{W}name").get(f"{W}val").lower() == name)


def test_a_renamed_style_is_named_as_the_likely_one(tmp_path, cli, example_dir):
    """項內文 renamed 項目內文: the check and the build name it and say to rename it back."""
    def rename(styles):
        styles["項內文"].find(f"{W}name").set(f"{W}val", "項目內文")
    renamed = edit_styles(TEMPLATE, tmp_path / "改名.docx", rename)
    hint = "範本中有名為「項目內文」的段落樣式，若是它被改了名，請把名稱改回「項內文」。"
    checked = cli("template", renamed)
    assert checked.code == 2
    assert checked.out.splitlines()[0] == (
        "錯誤：範本 改名.docx：缺少段落樣式「項內文」，這是項目內文用的樣式。請在 Word 的「樣式」窗格新增名為「項內文」"
        f"的段落樣式後存檔，或用「組合管理」從 templates/report.docx 複製。{hint}")
    built = cli("build", example_dir, "-o", tmp_path / "x.docx", "--template", renamed)
    assert built.code == 2 and built.err.splitlines()[0] == checked.out.splitlines()[0]


def test_a_style_named_like_a_localized_heading_is_said_to_be_no_built_in_one(tmp_path, cli):
    """A tool wrote its own style named 標題 3 (as Word shows heading 3 in Chinese): the message says
    that style is a custom one, not that the template has no 標題 3."""
    def localize(styles):
        styles["heading 3"].find(f"{W}name").set(f"{W}val", "標題 3")
    localized = edit_styles(TEMPLATE, tmp_path / "中文名.docx", localize)
    checked = cli("template", localized)
    assert checked.code == 2
    assert "範本中名為「標題 3」的樣式是另外新增的自訂樣式，不是 Word 內建的那一個" in checked.out


def test_a_missing_heading_says_how_word_makes_a_built_in_style_appear(tmp_path, cli):
    """Word writes a built-in style into the file once it is used: apply it once, then save. No other
    style is offered for it (標題 4 is not a renamed 標題 3)."""
    def drop(styles):
        styles["heading 3"].getparent().remove(styles["heading 3"])
        heading = deepcopy(styles["heading 2"])
        heading.set(f"{W}styleId", "Heading4")
        heading.find(f"{W}name").set(f"{W}val", "heading 4")
        styles["heading 2"].addnext(heading)
    result = cli("template", edit_styles(TEMPLATE, tmp_path / "無標題3.docx", drop))
    assert result.code == 2
    assert result.out.splitlines()[0] == (
        "錯誤：範本 無標題3.docx：缺少內建段落樣式「標題 3」，這是項目標題用的樣式。"
        "Word 的內建樣式要用過一次才會存進檔案："
        "請在 Word 中對任一段落套用一次「標題 3」（「常用」→「樣式」），然後存檔。")


@pytest.mark.parametrize(("kind", "expected"), [
    ("numbered", "標題樣式套用了 Word 的自動編號（多層次清單）：標題 1、標題 2、標題 3。"),
    ("char_units", "縮排以「字元」為單位：標題 1、標題 2、標題 3、節內文、項內文。"),
    ("tab_stop", "「標題 3」在 2.12 公分 有定位點，位於編號「(一)」與標題文字之間："),
])
def test_a_master_used_as_the_template_is_warned_about(tmp_path, cli, example_dir, kind, expected):
    """Numbered headings, indents in characters, a tab stop that catches (一)'s tab: each is one warning,
    and the build (which cancels or clears each on every paragraph) says the same."""
    made = master(kind, TEMPLATE, tmp_path / "總報告.docx")
    result = cli("template", made)
    assert result.code == 0
    warnings = [line for line in result.out.splitlines() if line.startswith("警告：")]
    assert len(warnings) == 1 and warnings[0].startswith(f"警告：範本 總報告.docx：{expected}"), warnings
    built = cli("build", example_dir, "-o", tmp_path / "x.docx", "--template", made)
    assert (built.code, built.err.splitlines()) == (0, warnings)


def test_the_warned_tab_stop_is_cleared_on_every_item_heading(tmp_path, cli, example_dir):
    made = master("tab_stop", TEMPLATE, tmp_path / "總報告.docx")
    out = tmp_path / "x.docx"
    assert cli("build", example_dir, "-o", out, "--template", made).code == 0
    body = etree.fromstring(zipfile.ZipFile(out).read("word/document.xml"))
    items = [p for p in body.iter(f"{W}p") if p.find(f"{W}pPr/{W}pStyle").get(f"{W}val") == "Heading3"]
    stops = {tuple((t.get(f"{W}val"), t.get(f"{W}pos")) for t in p.iter(f"{W}tab") if t.getparent().tag == f"{W}tabs")
             for p in items}
    start = 1667 - 1027  # the master's 標題 3: left 1667, hanging 1027 once (十四) is fitted
    assert stops == {(("left", "1667"), ("clear", str(start + CATCHING_STOP)))} or stops == {
        (("clear", str(start + CATCHING_STOP)), ("left", "1667"))}


def test_settings_a_chapter_would_inherit_are_warned_about(tmp_path, cli):
    """LibreOffice's header distance 0; Word's track changes and editing restrictions."""
    def settings(name: str, data: bytes) -> bytes:
        if name != "word/settings.xml":
            return data
        return data.replace(b'<w:defaultTabStop', b'<w:trackRevisions/><w:documentProtection w:edit="readOnly" '
                                                  b'w:enforcement="1"/><w:defaultTabStop', 1)
    edited = rewrite(SAVED_BY_LIBREOFFICE, tmp_path / "設定.docx", settings)
    lines = cli("template", edited).out.splitlines()
    for expected in ("頁首與紙張邊緣的距離是 0 公分", "「追蹤修訂」已開啟", "設定了「限制編輯」"):
        assert sum(expected in line for line in lines) == 1, (expected, lines)


def _unquoted(text: str) -> str:
    """`text` without its 「quoted」 names and labels (innermost first), whose parentheses are theirs."""
    import re

    while (shorter := re.sub(r"「[^「」]*」", "「」", text)) != text:
        text = shorter
    return text


def test_no_message_nests_parentheses(tmp_path, cli, python_docx_default):
    """「（用於章標題（內建樣式「標題 1」））」 read badly: no template message opens a parenthesis inside another."""
    templates = [python_docx_default, SAVED_BY_LIBREOFFICE, *(master(kind, TEMPLATE, tmp_path / f"{kind}.docx")
                                                              for kind in ("numbered", "char_units", "tab_stop"))]

    def strip_all(styles):
        for name in ("heading 1", "節內文", "節內文（與下段同頁）"):
            styles[name].getparent().remove(styles[name])
    templates.append(edit_styles(TEMPLATE, tmp_path / "缺.docx", strip_all))
    messages = [line for path in templates for line in cli("template", path).out.splitlines()]
    assert len(messages) > 15
    for message in messages:
        depth = 0
        for char in _unquoted(message):
            depth += (char in "（(" and 1) or (-1 if char in "）)" else 0)
            assert depth <= 1, message


def test_template_command_has_help(cli):
    result = cli("template", "--help")
    assert result.code == 0 and result.out.startswith("用法：reportgen template [-h] [FILE]")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_a_template_resaved_by_libreoffice_is_warned_about_punctuation_and_the_header_only(tmp_path, cli):
    """Writer's Word export turns overflowPunct off in every style and sets the header distance to 0 (the
    template has no header); the rest of the house style survives, and what else Writer changes (w:sz
    twice, hyphenation, docGrid, no theme) the chapter puts right without a word (test_ooxml_audit.py)."""
    from reportgen.write.convert import Soffice

    with Soffice() as office:
        data = office.convert(TEMPLATE, "docx")
    resaved = tmp_path / "另存.docx"
    resaved.write_bytes(data)
    result = cli("template", resaved)
    assert result.code == 0
    lines = result.out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("警告：範本 另存.docx：頁首與紙張邊緣的距離是 0 公分")
    assert lines[1].startswith("警告：範本 另存.docx：「允許標點符號溢出邊界」被關閉："
                               "標題 1、標題 2、標題 3、節內文、項內文")
