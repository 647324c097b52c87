"""The Word package: styles by reference only, literal labels, properties, determinism."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from helpers import EXAMPLE, REPO, examples
from masters import master
from reportgen.errors import FatalError
from reportgen.write import docx_writer
from reportgen.write.compose import Block, Document, Role
from reportgen.write.docx_writer import render_docx
from reportgen.write.template_package import STYLE_NAMES, load_template
from reportgen.write.wordml import escape_text

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEMPLATE = REPO / "templates" / "report.docx"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DOC = Document(
    title="貳拾陸、國際事務", subject="110年7月至12月", date=(2021, 12, 31),
    blocks=(
        Block(Role.CHAPTER, "國際事務", "貳拾陸、"),
        Block(Role.SECTION, "交流專案", "一、"),
        Block(Role.SECTION_BODY, "前言 <&> 文字"),
        Block(Role.ITEM, "標題", "(一)"),
        Block(Role.ITEM_BODY, "內文\x0b含控制字元\ufffe"),
    ),
)


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(scope="module")
def package() -> dict[str, bytes]:
    return parts(render_docx(load_template(TEMPLATE), DOC))


def body_paragraphs(package):
    root = etree.fromstring(package["word/document.xml"])
    return root.find(f"{W}body").findall(f"{W}p")


def test_each_block_is_one_styled_paragraph(package):
    paragraphs = body_paragraphs(package)
    styles = [p.find(f"{W}pPr/{W}pStyle").get(f"{W}val") for p in paragraphs]
    assert styles == ["Heading1", "Heading2", "SectionBody", "Heading3", "ItemBody"]
    texts = ["".join(t.text for t in p.iter(f"{W}t")) for p in paragraphs]
    assert texts == ["貳拾陸、國際事務", "一、交流專案", "前言 <&> 文字", "(一)標題", "內文含控制字元"]


def test_no_direct_formatting_in_runs_and_headings_cancel_word_numbering(package):
    """Runs are bare; the only numbering markup is each heading's cancelling of a master's list numbering."""
    root = etree.fromstring(package["word/document.xml"])
    body = root.find(f"{W}body")
    assert body.findall(f".//{W}rPr") == []
    paragraphs = body.findall(f"{W}p")
    assert len(paragraphs) == len(DOC.blocks)
    numbering = [[[(etree.QName(c).localname, dict(c.attrib)) for c in n] for n in p.iter(f"{W}numPr")]
                 for p in paragraphs]
    cancel = [[("numId", {f"{W}val": "0"})]]  # ECMA-376 17.9.18: numId 0 removes numbering a style gives
    assert numbering == [cancel, cancel, [], cancel, []]  # chapter, section, body, item, body
    for paragraph in paragraphs:
        for run in paragraph.findall(f"{W}r"):
            assert {c.tag for c in run} <= {f"{W}t", f"{W}tab"}


# Each w:ind attribute in twips and the character units that would override it in Word (ECMA-376 17.3.1.12).
CHARS_OF = {"left": {"leftChars"}, "start": {"startChars"}, "right": {"rightChars"}, "end": {"endChars"},
            "hanging": {"hangingChars", "firstLineChars"}, "firstLine": {"hangingChars", "firstLineChars"}}


def carried(paragraph) -> list[str]:
    """A paragraph's w:pPr children after w:pStyle, each as `tag attr=value …` (sorted attributes).

    The character units every w:ind cancels are checked here and left out of the text: each
    direction the paragraph sets in twips has its *Chars attribute(s) at 0.
    """
    ppr = paragraph.find(f"{W}pPr")
    assert ppr[0].tag == f"{W}pStyle"
    out = []
    for child in ppr[1:]:
        name = etree.QName(child).localname
        if name == "ind":
            attributes = {etree.QName(k).localname: v for k, v in child.attrib.items()}
            chars = {k for k in attributes if k.endswith("Chars")}
            expected = {c for twips, cs in CHARS_OF.items() if twips in attributes for c in cs}
            assert chars == expected and {attributes[c] for c in chars} == {"0"}
            out.append(" ".join([name, *(f"{k}={v}" for k, v in sorted(attributes.items()) if k not in chars)]))
        elif name == "numPr":
            out.append("numPr " + " ".join(f"{etree.QName(c).localname}={c.get(f'{W}val')}" for c in child))
        elif name == "tabs":
            out.append("tabs " + " ".join(f"{t.get(f'{W}val')}@{t.get(f'{W}pos')}" for t in child))
        else:
            out.append(" ".join([name, *(f"{etree.QName(k).localname}={v}" for k, v in sorted(child.attrib.items()))]))
    return out


def test_each_paragraph_carries_its_styles_layout_into_a_master(package):
    """Indents, tab stops and keep/page-break settings as the template's styles resolve them, on the
    paragraph (a master's own Heading 1–3 would otherwise replace them); nothing else."""
    chapter, section, section_body, item, item_body = (carried(p) for p in body_paragraphs(package))
    assert chapter == ["keepNext", "keepLines", "pageBreakBefore", "numPr numId=0", "ind firstLine=0 left=0 right=0"]
    assert section == ["keepNext", "keepLines", "numPr numId=0", "tabs left@640", "ind hanging=640 left=640 right=0"]
    assert item == ["keepNext", "keepLines", "numPr numId=0", "tabs left@1387", "ind hanging=747 left=1387 right=0"]
    assert section_body == ["ind firstLine=0 left=640 right=0"]
    assert item_body == ["ind firstLine=0 left=1387 right=0"]


def test_carried_layout_follows_an_edited_template(tmp_path):
    """An editor's template: Heading 3 based on a style that holds its indent and tab, one base tab
    cleared, keepLines off, no page break before the chapter: the paragraphs carry exactly that."""
    def edit(data: bytes) -> bytes:
        root = etree.fromstring(data)
        by_id = {s.get(f"{W}styleId"): s for s in root.iter(f"{W}style")}
        h1, h3 = by_id["Heading1"].find(f"{W}pPr"), by_id["Heading3"]
        h1.remove(h1.find(f"{W}pageBreakBefore"))
        h1.find(f"{W}keepLines").set(f"{W}val", "0")
        ns = W[1:-1]
        base = etree.fromstring(
            f'<w:style xmlns:w="{ns}" w:type="paragraph" w:styleId="ItemBase"><w:name w:val="項標題基準"/>'
            '<w:pPr><w:tabs><w:tab w:val="left" w:pos="300"/><w:tab w:val="right" w:pos="9000"/></w:tabs>'
            '<w:ind w:left="1500" w:hanging="800"/></w:pPr></w:style>')
        root.append(base)
        h3.insert(1, etree.fromstring(f'<w:basedOn xmlns:w="{ns}" w:val="ItemBase"/>'))
        ppr = h3.find(f"{W}pPr")
        ppr.remove(ppr.find(f"{W}ind"))
        ppr.find(f"{W}tabs").getparent().replace(ppr.find(f"{W}tabs"), etree.fromstring(
            f'<w:tabs xmlns:w="{ns}"><w:tab w:val="clear" w:pos="300"/><w:tab w:val="left" w:pos="1500"/></w:tabs>'))
        ppr.insert(0, etree.fromstring(f'<w:pageBreakBefore xmlns:w="{ns}" w:val="false"/>'))
        return etree.tostring(root)
    package = parts(render_docx(load_template(_template_with_styles(tmp_path, edit)), DOC))
    chapter, _, _, item, _ = (carried(p) for p in body_paragraphs(package))
    assert chapter == ["keepNext", "numPr numId=0", "ind firstLine=0 left=0 right=0"]
    assert item == ["keepNext", "keepLines", "numPr numId=0", "tabs left@1500 right@9000", "ind hanging=800 left=1500"]


def test_carried_layout_includes_the_widening_for_wide_labels():
    """十一、 and (二十一): the paragraphs carry the widened indents written into the styles."""
    package = parts(render_docx(load_template(TEMPLATE), _wide_chapter()))
    styles = etree.fromstring(package["word/styles.xml"])
    by_style = {}
    for paragraph in body_paragraphs(package):
        by_style.setdefault(paragraph.find(f"{W}pPr/{W}pStyle").get(f"{W}val"), carried(paragraph))
    for style_id in ("Heading2", "Heading3"):
        left, hanging = _ind(styles, style_id)
        assert by_style[style_id][3:] == [f"tabs left@{left}", f"ind hanging={hanging} left={left} right=0"]
    assert by_style["SectionBody"] == [f"ind firstLine=0 left={_ind(styles, 'SectionBody')[0]} right=0"]
    assert _ind(styles, "Heading3")[0] > 1387  # widened


def test_character_units_in_the_template_are_cancelled_not_carried(tmp_path):
    """A master used as the template states its indents in characters beside twips (zh-TW Word): every
    paragraph carries the twips with its character units at 0 (carried() checks each w:ind)."""
    made = master("char_units", TEMPLATE, tmp_path / "總報告.docx")
    layouts = [carried(p) for p in body_paragraphs(parts(render_docx(load_template(made), DOC)))]
    assert [layout[-1] for layout in layouts] == [
        "ind firstLine=0 left=0 right=0", "ind hanging=640 left=640 right=0", "ind firstLine=0 left=640 right=0",
        "ind hanging=1027 left=1667 right=0", "ind firstLine=0 left=1667 right=0"]


SAVED_BY_LIBREOFFICE = REPO / "tests" / "fixtures" / "template-saved-by-libreoffice.docx"


def test_a_libreoffice_saved_template_gives_a_chapter_word_opens_cleanly():
    """Writer's Word export states w:sz twice, turns hyphenation on, writes docGrid charSpace -8193 as
    4294959103 and no theme: the chapter states each property once, hyphenates nothing, has -8193 and
    a theme. Same inputs, same bytes."""
    data = render_docx(load_template(SAVED_BY_LIBREOFFICE), DOC)
    assert render_docx(load_template(SAVED_BY_LIBREOFFICE), DOC) == data
    package = parts(data)
    with zipfile.ZipFile(SAVED_BY_LIBREOFFICE) as archive:
        assert archive.read("word/styles.xml").count(b'<w:sz w:val="40"/><w:sz w:val="40"/>') == 1
        assert b'<w:autoHyphenation w:val="true"/>' in archive.read("word/settings.xml")
    styles = etree.fromstring(package["word/styles.xml"])
    for properties in styles.iter(f"{W}rPr", f"{W}pPr"):
        tags = [child.tag for child in properties]
        assert len(tags) == len(set(tags))
    assert b"autoHyphenation" not in package["word/settings.xml"]
    grid = etree.fromstring(package["word/document.xml"]).find(f"{W}body/{W}sectPr/{W}docGrid")
    assert grid.get(f"{W}charSpace") == "-8193"
    theme = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme"
    related = etree.fromstring(package["word/_rels/document.xml.rels"])
    assert [r.get("Target") for r in related if r.get("Type") == theme] == ["theme/theme1.xml"]
    assert b'PartName="/word/theme/theme1.xml"' in package["[Content_Types].xml"]
    assert etree.fromstring(package["word/theme/theme1.xml"]).get("name") == "reportgen"


def test_item_label_is_followed_by_a_tab(package):
    item = body_paragraphs(package)[3]
    assert [c.tag for c in item.find(f"{W}r")] == [f"{W}t", f"{W}tab", f"{W}t"]


def test_template_body_is_replaced_but_page_setup_kept(package):
    root = etree.fromstring(package["word/document.xml"])
    body = root.find(f"{W}body")
    assert body[-1].tag == f"{W}sectPr"
    assert body[-1].find(f"{W}footerReference") is not None
    assert b"\xe6\xa8\xa3\xe5\xbc\x8f" not in package["word/document.xml"]  # "樣式" from the samples


def test_core_properties(package):
    core = etree.fromstring(package["docProps/core.xml"])
    ns = {"dc": "http://purl.org/dc/elements/1.1/", "dcterms": "http://purl.org/dc/terms/"}
    assert core.findtext("dc:title", namespaces=ns) == "貳拾陸、國際事務"
    assert core.findtext("dc:subject", namespaces=ns) == "110年7月至12月"
    assert core.findtext("dcterms:created", namespaces=ns) == "2021-12-31T00:00:00Z"
    assert core.findtext("dcterms:modified", namespaces=ns) == "2021-12-31T00:00:00Z"


def test_other_parts_are_the_templates(package):
    with zipfile.ZipFile(TEMPLATE) as archive:
        names = archive.namelist()
        assert sorted(package) == sorted(names)
        assert next(iter(package)) == names[0] == "[Content_Types].xml"
        assert list(package)[-1] == "docProps/core.xml"  # written last, carrying the package's digest
        assert package["word/styles.xml"] == archive.read("word/styles.xml")


def test_bytes_do_not_depend_on_the_clock():
    template = load_template(TEMPLATE)
    data = render_docx(template, DOC)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.create_system for i in archive.infolist()} == {3}  # same bytes on Windows
    assert render_docx(load_template(TEMPLATE), DOC) == data


def _template_with_styles(tmp_path, edit) -> str:
    out = tmp_path / "t.docx"
    with zipfile.ZipFile(TEMPLATE) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/styles.xml":
                data = edit(data)
            dst.writestr(info, data)
    return out


def test_style_ids_are_looked_up_by_name(tmp_path):
    """Chinese Word saves built-in heading styles with localized ids such as "1"."""
    def localize(data: bytes) -> bytes:
        return data.replace(b'w:styleId="Heading1"', b'w:styleId="1"')
    template = load_template(_template_with_styles(tmp_path, localize))
    paragraphs = body_paragraphs(parts(render_docx(template, DOC)))
    assert paragraphs[0].find(f"{W}pPr/{W}pStyle").get(f"{W}val") == "1"


def test_missing_style_is_fatal_and_named(tmp_path):
    def drop(data: bytes) -> bytes:
        return data.replace("項內文".encode(), "別的樣式".encode())
    with pytest.raises(FatalError, match="缺少段落樣式「項內文」"):
        load_template(_template_with_styles(tmp_path, drop))


def test_doctype_in_template_is_refused(tmp_path):
    def evil(data: bytes) -> bytes:
        return data.replace(b"<w:styles", b'<!DOCTYPE x [<!ENTITY a "b">]><w:styles', 1)
    with pytest.raises(FatalError, match="DTD"):
        load_template(_template_with_styles(tmp_path, evil))


@pytest.mark.slow  # seconds of the default run's budget: CI runs it
def test_template_that_inflates_too_far_is_refused(tmp_path):
    """Many small parts that together declare more than the limit: refused before inflating."""
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(TEMPLATE) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        for n in range(4):
            dst.writestr(f"word/media/pad{n}.bin", b"\0" * (19 * 1024 * 1024))
    assert bomb.stat().st_size < 1024 * 1024
    with pytest.raises(FatalError, match="解壓縮後過大"):
        load_template(bomb)


def _wide_chapter() -> Document:
    from reportgen.numerals import lower

    blocks = [Block(Role.CHAPTER, "國際事務", "貳拾陸、")]
    for n in range(1, 12):
        blocks.append(Block(Role.SECTION, f"第{n}節", lower(n) + "、"))
        blocks.append(Block(Role.SECTION_BODY, "前言。"))
    blocks += [Block(Role.ITEM, f"第{n}項", f"({lower(n)})") for n in range(1, 22)]
    return Document(title="t", subject="s", date=(2021, 12, 31), blocks=tuple(blocks))


def _ind(styles, style_id: str):
    style = next(s for s in styles.iter(f"{W}style") if s.get(f"{W}styleId") == style_id)
    ind = style.find(f"{W}pPr/{W}ind")
    return int(ind.get(f"{W}left")), int(ind.get(f"{W}hanging", "0"))


def test_wide_labels_grow_the_indents_in_the_written_styles():
    """十一、 and (二十一): hanging indents grow, text columns move with them, label edges stay."""
    written = parts(render_docx(load_template(TEMPLATE), _wide_chapter()))
    before = etree.fromstring(parts(render_docx(load_template(TEMPLATE), DOC))["word/styles.xml"])
    after = etree.fromstring(written["word/styles.xml"])
    (s_left, s_hang), (s_left2, s_hang2) = _ind(before, "Heading2"), _ind(after, "Heading2")
    (_, i_hang), (i_left2, i_hang2) = _ind(before, "Heading3"), _ind(after, "Heading3")
    assert s_left2 - s_hang2 == s_left - s_hang == 0  # 十一、 still hangs from the margin
    assert s_hang2 - s_hang == 320 + 80  # one 16 pt character and a quarter for the tab
    assert i_left2 - i_hang2 == s_left2  # (一) starts where section text starts
    assert i_hang2 - i_hang == 2 * 280  # (二十一) is two characters wider than (一)
    assert _ind(after, "SectionBody")[0] == _ind(after, "SectionLead")[0] == s_left2
    assert _ind(after, "ItemBody")[0] == i_left2
    body = etree.fromstring(written["word/document.xml"]).find(f"{W}body")
    sections = [p for p in body.findall(f"{W}p") if p.find(f"{W}pPr/{W}pStyle").get(f"{W}val") == "Heading2"]
    assert all([c.tag for c in p.find(f"{W}r")] == [f"{W}t", f"{W}tab", f"{W}t"] for p in sections)


def test_fitting_copies_an_inherited_indent_before_moving_it(tmp_path):
    """An editor's 項內文 based on 節內文 with no indent of its own: moved once, from the original value."""
    def inherit(data: bytes) -> bytes:
        root = etree.fromstring(data)
        item = next(s for s in root.iter(f"{W}style") if s.get(f"{W}styleId") == "ItemBody")
        item.find(f"{W}pPr").remove(item.find(f"{W}pPr/{W}ind"))
        item.insert(1, etree.fromstring(f'<w:basedOn xmlns:w="{W[1:-1]}" w:val="SectionBody"/>'))
        return etree.tostring(root)
    template = load_template(_template_with_styles(tmp_path, inherit))
    after = etree.fromstring(parts(render_docx(template, _wide_chapter()))["word/styles.xml"])
    original = _ind(etree.fromstring(template.styles_xml), "SectionBody")[0]
    assert _ind(after, "SectionBody")[0] - original == 400
    assert _ind(after, "ItemBody")[0] - original == 400 + 560  # its copy of 節內文's indent, moved once


def test_a_section_paragraph_ending_in_a_colon_keeps_with_the_next(tmp_path):
    """Only when followed by something, and only with the style; an older template gets 節內文."""
    doc = Document(title="t", subject="s", date=(2021, 12, 31), blocks=(
        Block(Role.CHAPTER, "國際事務", "貳拾陸、"), Block(Role.SECTION, "訪賓", "一、"),
        Block(Role.SECTION_BODY, "主要訪團代表為："), Block(Role.SECTION_BODY, "日本京都市等。"),
        Block(Role.SECTION_BODY, "結尾也是冒號：")))

    def used(template) -> list[str]:
        return [p.find(f"{W}pPr/{W}pStyle").get(f"{W}val")
                for p in body_paragraphs(parts(render_docx(template, doc)))][2:]

    assert used(load_template(TEMPLATE)) == ["SectionLead", "SectionBody", "SectionBody"]

    def drop_lead(data: bytes) -> bytes:
        root = etree.fromstring(data)
        lead = next(s for s in root.iter(f"{W}style") if s.get(f"{W}styleId") == "SectionLead")
        root.remove(lead)
        return etree.tostring(root)
    older = load_template(_template_with_styles(tmp_path, drop_lead))
    assert older.lead_id is None
    assert used(older) == ["SectionBody", "SectionBody", "SectionBody"]


def _without_core(tmp_path, keep_relationship: bool = False):
    """A template some tool saved without core properties (no docProps/core.xml, no link, no type)."""
    out = tmp_path / "no-core.docx"
    with zipfile.ZipFile(TEMPLATE) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "docProps/core.xml":
                continue
            if info.filename == "[Content_Types].xml":
                data = re.sub(rb'<Override PartName="/docProps/core.xml"[^>]*/>', b"", data)
                assert b"core.xml" not in data
            if info.filename == "_rels/.rels" and not keep_relationship:
                data = re.sub(rb'<Relationship [^>]*core-properties"[^>]*/>', b"", data)
                assert b"core-properties" not in data
            dst.writestr(info, data)
    return out


@pytest.mark.parametrize("keep_relationship", [False, True])
def test_a_template_without_core_properties_gets_them(tmp_path, keep_relationship):
    from reportgen.write.fingerprint import Origin, origin

    template = _without_core(tmp_path, keep_relationship)
    data = render_docx(load_template(template), DOC)
    package = parts(data)
    test_core_properties(package)
    assert list(package)[-1] == "docProps/core.xml"
    types = etree.fromstring(package["[Content_Types].xml"])
    assert [o.get("ContentType") for o in types if o.get("PartName") == "/docProps/core.xml"] == [
        "application/vnd.openxmlformats-package.core-properties+xml"]
    rels = etree.fromstring(package["_rels/.rels"])
    core = [r for r in rels if r.get("Type", "").endswith("/metadata/core-properties")]
    assert [r.get("Target") for r in core] == ["docProps/core.xml"]
    assert len({r.get("Id") for r in rels}) == len(rels)
    out = tmp_path / "out.docx"
    out.write_bytes(data)
    assert origin(out) is Origin.OWN
    assert render_docx(load_template(template), DOC) == data  # still deterministic


def test_a_template_without_core_properties_rebuilds_without_force(project, cli, tmp_path):
    template = _without_core(tmp_path)
    out = project / "out.docx"
    assert cli("build", "--template", template, "-o", out).code == 0
    first = out.read_bytes()
    assert b"<dc:title>" in parts(first)["docProps/core.xml"]
    result = cli("build", "--template", template, "-o", out)
    assert (result.code, result.err) == (0, "")
    assert out.read_bytes() == first


def _template_with_part(tmp_path, name: str, data: bytes | None) -> str:
    out = tmp_path / "t.docx"
    with zipfile.ZipFile(TEMPLATE) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info, src.read(info))
        if data is not None:
            dst.writestr(name, data)
    return out


@pytest.mark.parametrize(("part", "data", "message"), [
    ("word/styles.xml", b"<w:styles", "範本 t.docx 的樣式表已損壞，請用 Word 重新存檔"),
    ("word/document.xml", b"<?xml version='1.0'?><x:document xmlns:x='urn:other'/>",
     "範本 t.docx 的文件本文格式不符"),
    ("word/document.xml", None, "範本 t.docx 缺少文件本文，不是有效的 Word 文件"),
    ("word/styles.xml", None, "範本 t.docx 缺少樣式表"),
    ("word/settings.xml", b'<!DOCTYPE x [<!ENTITY a "b">]><w:settings attachedTemplate/>',
     "範本 t.docx 的文件設定含有不允許的 DTD 宣告"),
    ("[Content_Types].xml", b"<Types", "範本 t.docx 的檔案結構已損壞"),
    ("_rels/.rels", b"<Relationships", "範本 t.docx 的檔案結構已損壞"),
])
def test_template_messages_name_what_a_person_sees(tmp_path, part, data, message):
    with pytest.raises(FatalError) as refused:
        load_template(_template_with_part(tmp_path, part, data))
    assert message in refused.value.message
    assert ".xml" not in refused.value.message and ".rels" not in refused.value.message


# --- the shortcuts in writing paragraphs give what the plain code gives --------------------------

AWKWARD = st.lists(st.sampled_from(
    ["a", "中", "&", "<", ">", '"', "\t", "\n", "\r", "\x00", "\x0b", "\x1f", "\x7f", "\x85", "\u200b",
     "\u2028", "\ud800", "\udfff", "\ufffe", "\uffff", "\U0001f600", "：", " ", "\u3000", "_x000B_"])).map("".join)


def _plain_text_xml(text: str) -> str:
    """What every paragraph's text went through before the shortcuts."""
    return escape_text(docx_writer._XML_ILLEGAL.sub("", text))


def test_every_character_the_illegal_pattern_removes_is_unprintable():
    """_xml_text skips the regex for printable text."""
    every = "".join(map(chr, range(0x110000)))
    assert [f"U+{ord(c):04X}" for c in docx_writer._XML_ILLEGAL.findall(every) if c.isprintable()] == []


@given(st.lists(AWKWARD | st.text(), max_size=8))
@settings(max_examples=examples(300), deadline=None)
def test_texts_are_made_safe_as_the_plain_code_makes_them(texts):
    assert [docx_writer._xml_text(t) for t in texts] == [_plain_text_xml(t) for t in texts]
    assert docx_writer._xml_texts(list(texts)) == [_plain_text_xml(t) for t in texts]


def _xml_char(char: str) -> bool:
    """XML 1.0's Char production (§2.2), stated here on its own rather than borrowed from the writer."""
    code = ord(char)
    return char in "\t\n\r" or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


def _shape(element) -> tuple:
    """An element as its tag, attributes and children: what it says, not how it was spelled."""
    return element.tag, dict(element.attrib), [_shape(child) for child in element]


def _as_parsed(text: str) -> str:
    """What an XML parser reads back for `text` written as content: characters XML cannot hold
    are gone, and line ends are normalized (§2.11)."""
    return "".join(filter(_xml_char, text)).replace("\r\n", "\n").replace("\r", "\n")


# The roles with a template style of their own (sub-items and run-in items borrow one: test_sub_layout.py).
_STYLED = [r for r in Role if r in STYLE_NAMES]
BLOCKS = st.builds(Block, st.sampled_from(_STYLED), AWKWARD | st.sampled_from(["前言：", "名單: ", "內文。"]),
                   st.sampled_from(["", "一、", "十一、", "(一)", "(二十一)", "A&B"]))


@given(st.lists(BLOCKS, max_size=12), st.integers(1, 4))
@settings(max_examples=examples(150), deadline=None)
def test_each_block_is_one_paragraph_saying_what_it_should(blocks, piece):
    """Read back as XML, whatever the piece boundaries: one paragraph per block, in order, with its
    style (a 節內文 paragraph ending in a colon before another takes the lead style), the layout its
    style carries, its label in a text of its own followed by a tab where one belongs, and its text as
    XML can hold it."""
    from reportgen.write.label_fit import label_widths
    from reportgen.write.paragraph_layout import carried_layouts

    template = _TEMPLATE_LOADED
    document = Document(title="t", subject="s", date=(2021, 12, 31), blocks=tuple(blocks))
    widths = label_widths(document)
    used = [*template.style_ids.values(), template.lead_id]
    layouts = carried_layouts(template.styles_xml, used, template.prefix)
    saved, docx_writer._BLOCKS_PER_PIECE = docx_writer._BLOCKS_PER_PIECE, piece
    try:
        written = b"".join(docx_writer._document_xml(template, document, widths, layouts))
    finally:
        docx_writer._BLOCKS_PER_PIECE = saved
    ns = {"w": W_NS}
    body = etree.fromstring(written).find("w:body", ns)
    paragraphs = body.findall("w:p", ns)[-len(blocks):] if blocks else []
    assert len(body.findall("w:p", ns)) >= len(blocks)
    for index, (block, paragraph) in enumerate(zip(blocks, paragraphs, strict=True)):
        leads = (block.role is Role.SECTION_BODY and template.lead_id is not None and index + 1 < len(blocks)
                 and block.text.rstrip().endswith(("：", ":")))
        style = template.lead_id if leads else template.style_ids[block.role]
        properties = paragraph.find("w:pPr", ns)
        assert properties[0].tag == f"{{{W_NS}}}pStyle" and properties[0].get(f"{{{W_NS}}}val") == style
        carried = etree.fromstring(f'<w:pPr xmlns:w="{W_NS}">{layouts[style]}</w:pPr>')
        assert [_shape(child) for child in properties[1:]] == [_shape(child) for child in carried]
        runs = paragraph.findall("w:r", ns)
        assert len(runs) == 1
        pieces = [(child.tag.split("}")[1], child.text or "") for child in runs[0]]
        tab = block.role is Role.ITEM or (block.role is Role.SECTION and widths.section > 0)
        expected = [("t", block.label), *([("tab", "")] if tab else [])] if block.label else []
        assert pieces == [*expected, ("t", _as_parsed(block.text))]
        assert runs[0][-1].get("{http://www.w3.org/XML/1998/namespace}space") == "preserve"


_TEMPLATE_LOADED = load_template(TEMPLATE)


def test_writing_behind_keeps_the_order_and_reports_failures_on_either_side():
    """The document part is hashed and deflated on a second thread: same bytes, same errors."""
    import hashlib
    import io
    import threading

    pieces = [f"<p>{n}</p>".encode() for n in range(50)]
    digest, stream = hashlib.sha256(), io.BytesIO()
    docx_writer._write_behind(iter(pieces), digest, stream)
    assert stream.getvalue() == b"".join(pieces)
    assert digest.digest() == hashlib.sha256(b"".join(pieces)).digest()

    class Full(io.BytesIO):
        def write(self, data):
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        docx_writer._write_behind(iter(pieces), hashlib.sha256(), Full())

    def broken():
        yield b"<p>"
        raise ValueError("made wrongly")

    with pytest.raises(ValueError, match="made wrongly"):
        docx_writer._write_behind(broken(), hashlib.sha256(), io.BytesIO())
    assert not [t for t in threading.enumerate() if t.name == "reportgen-deflate"]


def test_styles_inheriting_from_normal_are_written_self_contained(tmp_path):
    """A template restyled in Word: 節內文/項內文 basedOn 內文 with only their indents, fonts and size in
    內文, theme fonts in the document defaults. The chapter's styles still state their own fonts, size,
    line spacing and alignment (SPEC §3), so a master whose 內文 and defaults differ changes nothing."""
    import io
    import zipfile

    from lxml import etree

    from reportgen import api
    from reportgen.write.wordml import STYLE_ORDER, W_NS, StyleSheet, insert_in_order, q
    from template_edits import rewrite

    def word_like(name: str, data: bytes) -> bytes:
        if name != "word/styles.xml":
            return data
        root = etree.fromstring(data)
        sheet = StyleSheet(root)
        normal = sheet.by_id[sheet.paragraph_styles()["normal"]]
        for element in list(normal):
            if etree.QName(element).localname in ("pPr", "rPr"):
                normal.remove(element)
        w = f'xmlns:w="{W_NS}"'
        normal.append(etree.fromstring(f'<w:pPr {w}><w:spacing w:line="400" w:lineRule="exact"/>'
                                       '<w:jc w:val="both"/></w:pPr>'))
        normal.append(etree.fromstring(f'<w:rPr {w}><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" '
                                       'w:eastAsia="標楷體"/><w:sz w:val="28"/></w:rPr>'))
        for style_name in ("節內文", "項內文"):
            style = sheet.by_id[sheet.paragraph_styles()[style_name.lower()]]
            based = style.find(q("basedOn"))
            if based is None:
                based = insert_in_order(style, etree.Element(q("basedOn")), STYLE_ORDER)
            based.set(q("val"), normal.get(q("styleId")))
            for element in list(style.find(q("pPr"))):
                if etree.QName(element).localname not in ("ind", "tabs"):
                    style.find(q("pPr")).remove(element)
            if style.find(q("rPr")) is not None:
                style.remove(style.find(q("rPr")))
        defaults = root.find(f"{q('docDefaults')}/{q('rPrDefault')}/{q('rPr')}")
        fonts = defaults.find(q("rFonts"))
        for script in ("ascii", "hAnsi", "eastAsia"):
            fonts.attrib.pop(q(script), None)
            fonts.set(q(f"{script}Theme"), "minorHAnsi" if script != "eastAsia" else "minorEastAsia")
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    template = rewrite(REPO / "templates" / "report.docx", tmp_path / "word-like.docx", word_like)
    chapter = api.render_docx(api.load([EXAMPLE]), template)
    styles = etree.fromstring(zipfile.ZipFile(io.BytesIO(chapter)).read("word/styles.xml"))
    sheet = StyleSheet(styles)
    for element in list(sheet.by_id[sheet.paragraph_styles()["normal"]]):  # the master's 內文 instead
        if etree.QName(element).localname in ("pPr", "rPr"):
            element.getparent().remove(element)
    for defaults in styles.find(q("docDefaults")):
        for element in list(defaults.find("*")):
            element.getparent().remove(element)
    for style_name in ("節內文", "項內文"):
        style_id = sheet.paragraph_styles()[style_name.lower()]
        fonts = sheet.find(style_id, "rPr/rFonts")
        assert (fonts.get(q("eastAsia")), fonts.get(q("ascii")), fonts.get(q("asciiTheme"))) == \
            ("標楷體", "Times New Roman", None)
        assert sheet.find(style_id, "rPr/sz").get(q("val")) == "28"
        spacing = sheet.find(style_id, "pPr/spacing")
        assert (spacing.get(q("line")), spacing.get(q("lineRule"))) == ("400", "exact")
        assert sheet.find(style_id, "pPr/jc").get(q("val")) == "both"


def test_headings_and_the_list_intro_keep_with_the_next_whatever_the_template_says(tmp_path):
    """SPEC §3: headings kept with the next paragraph, the key-visitor intro with its list. A template
    without keep-with-next anywhere, and without 節內文（與下段同頁）, still gives both; the page break
    before the chapter is the template's setting, and `reportgen template` says it is off."""
    from reportgen import api
    from reportgen.write.template_check import check_template
    from template_edits import rewrite

    def loose(name: str, data: bytes) -> bytes:
        if name != "word/styles.xml":
            return data
        root = etree.fromstring(data)
        for tag in ("keepNext", "pageBreakBefore"):
            for element in list(root.iter(f"{W}{tag}")):
                element.getparent().remove(element)
        for style in list(root.iter(f"{W}style")):
            if style.find(f"{W}name").get(f"{W}val") == "節內文（與下段同頁）":
                root.remove(style)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    template = rewrite(REPO / "templates" / "report.docx", tmp_path / "loose.docx", loose)
    xml = zipfile.ZipFile(io.BytesIO(api.render_docx(api.load([EXAMPLE]), template))).read("word/document.xml")
    paragraphs = etree.fromstring(xml).iter(f"{W}p")
    kept = {}
    for p in paragraphs:
        style = p.find(f"{W}pPr/{W}pStyle").get(f"{W}val")
        text = "".join(p.itertext())
        kept[text] = (style, p.find(f"{W}pPr/{W}keepNext") is not None)
    headings = [(text, keep) for text, (style, keep) in kept.items() if style.startswith("Heading")]
    assert len(headings) > 10 and all(keep for _, keep in headings)
    intro = next(keep for text, (_, keep) in kept.items() if text.endswith("主要訪團代表為："))
    assert intro
    messages = [finding.message for finding in check_template(template)]
    assert any("段落前分頁" in message for message in messages)


def test_a_tab_stop_position_that_is_no_number_does_not_stop_the_styles_being_restated():
    """A damaged or odd template (a stop at pos="x") still gives its chapter: the stops the style
    inherits are added after it, in order, rather than the sort failing on the odd one."""
    from reportgen.write.template_package import self_contained

    root = etree.fromstring(
        f'<w:styles xmlns:w="{W[1:-1]}"><w:style w:type="paragraph" w:styleId="B"><w:name w:val="b"/><w:pPr>'
        '<w:tabs><w:tab w:val="left" w:pos="1440"/><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr></w:style>'
        '<w:style w:type="paragraph" w:styleId="A"><w:name w:val="a"/><w:basedOn w:val="B"/><w:pPr><w:tabs>'
        '<w:tab w:val="left" w:pos="x"/></w:tabs></w:pPr></w:style></w:styles>')
    assert self_contained(root, ["A"])
    own = root.find(f'{W}style[@{W}styleId="A"]/{W}pPr/{W}tabs')
    assert [tab.get(f"{W}pos") for tab in own] == ["x", "720", "1440"]
