"""The Word template: the house style lives in its styles, and an editor's restyled copy is honoured."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from helpers import REPO, expected_lines, is_expected_chapter
from template_edits import (
    INDENT_SHIFT,
    LOCALIZED_IDS,
    RESTYLED_CHAPTER_PT,
    RESTYLED_LATIN,
    W,
    restyle,
    styles_by_name,
    without_style,
)

TEMPLATE = REPO / "templates" / "report.docx"
HEADINGS = ("heading 1", "heading 2", "heading 3")
BODIES = ("節內文", "項內文")


def part(docx: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(docx) as archive:
        return etree.fromstring(archive.read(name))


@pytest.fixture(scope="module")
def styles() -> etree._Element:
    return part(TEMPLATE, "word/styles.xml")


def effective(styles: etree._Element, name: str, path: str) -> etree._Element | None:
    """The element at `path` (e.g. "pPr/ind") that applies to a style: its own, its bases', the defaults."""
    by_id = {s.get(f"{W}styleId"): s for s in styles.iter(f"{W}style")}
    style = styles_by_name(styles)[name]
    while style is not None:
        found = style.find("/".join(f"{W}{step}" for step in path.split("/")))
        if found is not None:
            return found
        based = style.find(f"{W}basedOn")
        style = by_id.get(based.get(f"{W}val")) if based is not None else None
    kind = "rPrDefault/" if path.startswith("rPr") else "pPrDefault/"
    return styles.find(f"{W}docDefaults/" + "/".join(f"{W}{s}" for s in (kind + path).split("/")))


def twips(element: etree._Element, attribute: str) -> int:
    return int(element.get(f"{W}{attribute}", "0"))


def test_the_package_finds_the_one_template():
    """templates/report.docx is the only copy in the repository; a checkout's package falls back to it."""
    from reportgen.templates import bundled

    assert not (REPO / "reportgen" / "templates" / "report.docx").exists()  # no second copy to drift
    assert bundled().resolve() == TEMPLATE.resolve()
    assert "templates/report.docx" in (REPO / "MANIFEST.in").read_text()  # in the sdist, for setup.py's copy


CHAPTER_STYLES = HEADINGS + BODIES + ("節內文（與下段同頁）",)
# What a master report's Normal or document defaults would otherwise decide for the chapter.
OWN = ("rPr/rFonts", "rPr/sz", "rPr/szCs", "rPr/b", "rPr/i", "rPr/color", "rPr/lang", "pPr/spacing",
       "pPr/ind", "pPr/jc", "pPr/widowControl", "pPr/overflowPunct", "pPr/snapToGrid", "pPr/outlineLvl")


@pytest.mark.parametrize("name", CHAPTER_STYLES)
def test_chapter_styles_state_every_property_themselves(styles, name):
    """Self-contained: nothing that shapes the chapter comes from Normal or the document defaults."""
    style = styles_by_name(styles)[name]
    assert style.find(f"{W}basedOn") is None
    missing = [path for path in OWN if style.find("/".join(f"{W}{p}" for p in path.split("/"))) is None]
    assert missing == []
    fonts = style.find(f"{W}rPr/{W}rFonts")
    assert (fonts.get(f"{W}ascii"), fonts.get(f"{W}hAnsi"), fonts.get(f"{W}eastAsia")) == (
        "Times New Roman", "Times New Roman", "標楷體")
    spacing = style.find(f"{W}pPr/{W}spacing")
    assert spacing.get(f"{W}lineRule") == "exact" and spacing.get(f"{W}line")
    assert style.find(f"{W}pPr/{W}jc").get(f"{W}val") == "both"


def test_item_title_follows_its_label_after_one_character(styles):
    """(一) is two parentheses (a third of an em each in Times New Roman) and one full-width character."""
    item = effective(styles, "heading 3", "pPr/ind")
    size = int(effective(styles, "heading 3", "rPr/sz").get(f"{W}val")) * 10  # one em, in twips
    label = size * (1 + 2 * 333 / 1000)
    assert abs(twips(item, "hanging") - label - size) < size / 10


def test_chapter_starts_on_a_new_page_and_the_lead_in_keeps_with_its_list(styles):
    assert effective(styles, "heading 1", "pPr/pageBreakBefore") is not None
    assert effective(styles, "節內文（與下段同頁）", "pPr/keepNext") is not None
    assert effective(styles, "節內文", "pPr/keepNext") is None
    for path in ("pPr/ind", "pPr/spacing", "rPr/sz"):  # otherwise a 節內文 paragraph
        assert etree.tostring(effective(styles, "節內文（與下段同頁）", path)) == etree.tostring(
            effective(styles, "節內文", path))


@pytest.mark.parametrize("name", HEADINGS + BODIES)
def test_fonts_are_kai_and_times_with_no_theme_fonts(styles, name):
    fonts = effective(styles, name, "rPr/rFonts")
    assert fonts.get(f"{W}eastAsia") == "標楷體"
    assert (fonts.get(f"{W}ascii"), fonts.get(f"{W}hAnsi")) == ("Times New Roman", "Times New Roman")
    lang = effective(styles, name, "rPr/lang")
    assert lang.get(f"{W}eastAsia") == "zh-TW"


def test_no_style_uses_theme_fonts(styles):
    """A theme font (asciiTheme, eastAsiaTheme …) overrides the named face in Word."""
    attributes = {etree.QName(a).localname for f in styles.iter(f"{W}rFonts") for a in f.attrib}
    assert attributes and not {a for a in attributes if "theme" in a.lower()}
    theme = part(TEMPLATE, "word/theme/theme1.xml")  # Word expects one; even its fonts are the house's
    faces = {(etree.QName(f).localname, f.get("typeface")) for f in theme.iter(
        "{http://schemas.openxmlformats.org/drawingml/2006/main}latin",
        "{http://schemas.openxmlformats.org/drawingml/2006/main}ea")}
    assert faces == {("latin", "Times New Roman"), ("ea", "標楷體")}


@pytest.mark.parametrize("name", HEADINGS)
def test_headings_keep_with_next_and_have_outline_levels(styles, name):
    assert effective(styles, name, "pPr/keepNext") is not None
    assert effective(styles, name, "pPr/keepLines") is not None
    level = effective(styles, name, "pPr/outlineLvl")
    assert int(level.get(f"{W}val")) == int(name[-1]) - 1  # for the navigation pane and a TOC


def test_widow_control_for_body_text(styles):
    for name in BODIES:
        assert effective(styles, name, "pPr/widowControl") is not None


@pytest.mark.parametrize("name", HEADINGS + BODIES)
def test_overflow_punctuation_is_stated_on(styles, name):
    """Word's default, written out: LibreOffice reads the flag inverted and, when it lets 、 hang
    past the margin, leaves it out of the PDF (test_render catches the lost character)."""
    flag = effective(styles, name, "pPr/overflowPunct")
    assert flag is not None and flag.get(f"{W}val", "1") in ("1", "true", "on")


def test_hanging_indents_align_wrapped_lines_and_body_text(styles):
    section = effective(styles, "heading 2", "pPr/ind")
    item = effective(styles, "heading 3", "pPr/ind")
    section_text = twips(section, "left")
    # 一、 hangs in the margin: the title and its wrapped lines start at the same indent.
    assert twips(section, "hanging") == section_text > 0
    assert twips(effective(styles, "節內文", "pPr/ind"), "left") == section_text
    # (一) starts under the section's text; the title starts after it, at a tab stop.
    item_text = twips(item, "left")
    assert item_text - twips(item, "hanging") == section_text
    tabs = [twips(t, "pos") for t in effective(styles, "heading 3", "pPr/tabs").iter(f"{W}tab")]
    assert item_text in tabs
    assert twips(effective(styles, "項內文", "pPr/ind"), "left") == item_text
    chapter = effective(styles, "heading 1", "pPr/ind")
    assert chapter is None or twips(chapter, "hanging") == 0


def test_page_is_a4_with_a_page_number_in_the_footer():
    document = part(TEMPLATE, "word/document.xml")
    size = document.find(f"{W}body/{W}sectPr/{W}pgSz")
    assert (twips(size, "w"), twips(size, "h")) == (11906, 16838)
    footer = part(TEMPLATE, "word/footer1.xml")
    assert "".join(footer.itertext(f"{W}instrText")).split() == ["PAGE"]


def test_settings_say_the_east_asian_language_is_traditional_chinese():
    settings = part(TEMPLATE, "word/settings.xml")
    assert settings.find(f"{W}themeFontLang").get(f"{W}eastAsia") == "zh-TW"


# The generated document -------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_docx(tmp_path_factory) -> Path:
    from helpers import EXAMPLE, run_cli

    out = tmp_path_factory.mktemp("template") / "chapter.docx"
    result = run_cli("build", EXAMPLE, "-o", out, "--template", TEMPLATE)
    assert result.code == 0, result.err
    return out


def paragraphs(docx: Path) -> list[etree._Element]:
    return part(docx, "word/document.xml").find(f"{W}body").findall(f"{W}p")


def test_generated_body_has_no_direct_formatting(example_docx):
    """Bare runs; paragraphs carry only their style's layout (indents, tabs, keeps: paragraph_layout.py)."""
    body = part(example_docx, "word/document.xml").find(f"{W}body")
    assert [etree.QName(c).localname for c in body] == ["p"] * 33 + ["sectPr"]  # the example's 33 paragraphs
    assert body.findall(f".//{W}rPr") == []
    carried = {"keepNext", "keepLines", "pageBreakBefore", "tabs", "ind"}
    for paragraph in body.findall(f"{W}p"):
        ppr = [etree.QName(c).localname for c in paragraph.find(f"{W}pPr")]
        heading = ppr[0] == "pStyle" and paragraph.find(f"{W}pPr/{W}pStyle").get(f"{W}val").startswith("Heading")
        assert ppr[0] == "pStyle" and set(ppr[1:]) <= carried | ({"numPr"} if heading else set()) and "ind" in ppr
        if heading:  # a master's list numbering on 標題 1–3 is cancelled, never added
            assert [n.get(f"{W}val") for n in paragraph.iter(f"{W}numId")] == ["0"]
        for run in paragraph.findall(f"{W}r"):
            assert {c.tag for c in run} <= {f"{W}t", f"{W}tab"}


def test_generated_labels_are_literal_text(example_docx):
    ids = {"Heading1": "chapter", "Heading2": "section", "Heading3": "item",
           "SectionBody": "body", "SectionLead": "body", "ItemBody": "body"}
    seen = []
    for paragraph, expected in zip(paragraphs(example_docx), expected_lines(), strict=True):
        role = ids[paragraph.find(f"{W}pPr/{W}pStyle").get(f"{W}val")]
        texts = [(etree.QName(c).localname, c.text) for r in paragraph.findall(f"{W}r") for c in r]
        if role == "item":  # (一), a tab to the title's indent, the title
            label = re.match(r"\(\S+\)", expected).group()
            assert texts == [("t", label), ("tab", None), ("t", expected[len(label) + 1:])]
        elif role in ("chapter", "section"):
            label = re.match(r"\S+?、", expected).group()
            assert texts == [("t", label), ("t", expected[len(label):])]
        else:
            assert texts == [("t", expected)]
        seen.append(role)
    assert seen.count("chapter") == 1 and seen.count("section") == 2 and seen.count("item") == 14


def test_the_key_visitor_lead_in_uses_the_keep_with_next_style(example_docx):
    """The one 節內文 paragraph ending in a colon (「主要訪團代表為：」) is followed by its list."""
    used = [(p.find(f"{W}pPr/{W}pStyle").get(f"{W}val"), "".join(t.text for t in p.iter(f"{W}t")))
            for p in paragraphs(example_docx)]
    leads = [i for i, (style, _) in enumerate(used) if style == "SectionLead"]
    assert leads == [i for i, (style, text) in enumerate(used)
                     if style in ("SectionBody", "SectionLead") and text.endswith("：")]
    assert len(leads) == 1 and used[leads[0] + 1][0] == "SectionBody"


def test_indents_grow_for_the_widest_label_present(example_docx, tmp_path, workbook, cli):
    """(十四) is one character wider than (一): 標題 3 hangs one character more, 項內文 moves with it."""
    original, fitted = part(TEMPLATE, "word/styles.xml"), part(example_docx, "word/styles.xml")
    size = int(effective(original, "heading 3", "rPr/sz").get(f"{W}val")) * 10
    for name, left, hanging in (("heading 3", size, size), ("項內文", size, 0), ("heading 2", 0, 0),
                                ("節內文", 0, 0)):
        before, after = effective(original, name, "pPr/ind"), effective(fitted, name, "pPr/ind")
        assert twips(after, "left") - twips(before, "left") == left, name
        assert twips(after, "hanging") - twips(before, "hanging") == hanging, name
    tabs = [twips(t, "pos") for t in effective(fitted, "heading 3", "pPr/tabs").iter(f"{W}tab")]
    assert tabs == [twips(effective(fitted, "heading 3", "pPr/ind"), "left")]
    # A chapter whose labels are no wider than 一、 and (一) keeps the template's styles byte for byte.
    out = tmp_path / "short.docx"
    assert cli("build", workbook(), "-o", out).code == 0
    with zipfile.ZipFile(TEMPLATE) as a, zipfile.ZipFile(out) as b:
        assert a.read("word/styles.xml") == b.read("word/styles.xml")


# Editors' templates ------------------------------------------------------------------------


def test_restyled_template_with_localized_ids_is_honoured(tmp_path, cli, example_dir):
    restyled = restyle(TEMPLATE, tmp_path / "編輯後範本.docx")
    out = tmp_path / "chapter.docx"
    result = cli("build", example_dir, "-o", out, "--template", restyled)
    assert result.code == 0, result.err
    used = [p.find(f"{W}pPr/{W}pStyle").get(f"{W}val") for p in paragraphs(out)]
    assert set(used) == set(LOCALIZED_IDS.values())
    assert used[:4] == ["1", "2", "3", "a4"]
    texts = ["".join(t.text or " " for r in p.findall(f"{W}r") for t in r) for p in paragraphs(out)]
    assert is_expected_chapter(texts)
    styles = part(out, "word/styles.xml")
    assert effective(styles, "項內文", "rPr/rFonts").get(f"{W}ascii") == RESTYLED_LATIN
    assert effective(styles, "heading 1", "rPr/sz").get(f"{W}val") == str(RESTYLED_CHAPTER_PT * 2)
    original = part(TEMPLATE, "word/styles.xml")
    widened = 280  # (十四) is one 14 pt character wider than (一)
    assert (twips(effective(styles, "項內文", "pPr/ind"), "left")
            == twips(effective(original, "項內文", "pPr/ind"), "left") + INDENT_SHIFT + widened)
    edited = part(restyled, "word/styles.xml")  # everything else is the editor's, untouched
    for name in ("heading 1", "heading 2", "節內文"):
        assert etree.tostring(styles_by_name(styles)[name]) == etree.tostring(styles_by_name(edited)[name])


@pytest.mark.parametrize("name, message", [
    ("項內文", "缺少段落樣式「項內文」，這是項目內文用的樣式。"
              "請在 Word 的「樣式」窗格新增名為「項內文」的段落樣式後存檔，"
              "或用「組合管理」從 templates/report.docx 複製。"),
    ("heading 2", "缺少內建段落樣式「標題 2」，這是節標題用的樣式。Word 的內建樣式要用過一次才會存進檔案："
                  "請在 Word 中對任一段落套用一次「標題 2」（「常用」→「樣式」），然後存檔。"),
])
def test_template_missing_a_style_exits_2_naming_it(tmp_path, cli, example_dir, name, message):
    broken = without_style(TEMPLATE, tmp_path / "範本.docx", name)
    out = tmp_path / "chapter.docx"
    result = cli("build", example_dir, "-o", out, "--template", broken)
    assert (result.code, result.out) == (2, "")
    assert result.err == (f"錯誤：範本 範本.docx：{message}\n"  # reportgen template's words, every missing style
                          f"錯誤：範本 {broken} 缺少必要的樣式，無法用來產生本章。\n")
    assert not out.exists()
