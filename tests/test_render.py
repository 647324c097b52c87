"""The chapter as editors see it: LibreOffice renders the .docx to PDF and ODT in the house style."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lxml import etree

from helpers import EXAMPLE, REPO, run_cli, write_workbook
from reportgen.errors import FatalError
from reportgen.write.convert import convert
from template_edits import INDENT_SHIFT, restyle, rewrite

pytestmark = [
    pytest.mark.slow,  # LibreOffice renders: seconds each
    pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"),
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"),
]

TEMPLATE = REPO / "templates" / "report.docx"
KAI_FACES = ("UKai", "DFKai", "BiauKai", "TW-Kai", "Kaiti")
TIMES_FACES = ("LiberationSerif", "Tinos", "TimesNewRoman", "Times-", "TeXGyreTermes", "NimbusRom")
SECTION_HEADING = re.compile(r"^[一二三四五六七八九十百零]+、")
ITEM_HEADING = re.compile(r"^\(([一二三四五六七八九十百零]+)\) ")
TOLERANCE = 0.6  # points: positions that should coincide


def squeeze(text: str) -> str:
    """pdftotext adds spaces between CJK and Latin text and breaks lines: compare without whitespace."""
    return "".join(text.split())


@dataclass
class Word:
    x0: float
    y0: float
    x1: float
    text: str


@dataclass
class Line:
    page: int  # 1-based
    y: float
    words: list[Word] = field(default_factory=list)

    @property
    def x(self) -> float:
        return self.words[0].x0

    @property
    def text(self) -> str:
        return squeeze("".join(w.text for w in self.words))


@dataclass
class Page:
    width: float
    height: float
    lines: list[Line]


def pdf_pages(pdf: Path) -> list[Page]:
    """Words with their boxes (pdftotext -bbox), gathered into lines by their baseline."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True).stdout
    root = etree.fromstring(html, etree.XMLParser(recover=True, resolve_entities=False, no_network=True))
    pages = []
    for number, page in enumerate(root.iter("{*}page"), start=1):
        lines: list[Line] = []
        for word in page.iter("{*}word"):
            item = Word(float(word.get("xMin")), float(word.get("yMin")), float(word.get("xMax")), word.text or "")
            line = next((li for li in lines if abs(li.y - item.y0) < 3), None)
            if line is None:
                line = Line(number, item.y0)
                lines.append(line)
            line.words.append(item)
        for line in lines:
            line.words.sort(key=lambda w: w.x0)
        lines.sort(key=lambda li: li.y)
        pages.append(Page(float(page.get("width")), float(page.get("height")), lines))
    return pages


def pdf_fonts(pdf: Path) -> set[str]:
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    return {line.split()[0].split("+")[-1] for line in out.splitlines()[2:] if line.strip()}


def role(paragraph: str, index: int) -> str:
    if index == 0:
        return "chapter"
    if SECTION_HEADING.match(paragraph):
        return "section"
    return "item" if ITEM_HEADING.match(paragraph) else "body"


@dataclass
class Rendered:
    pdf: Path
    odt: Path
    paragraphs: list[str]  # what `reportgen preview` prints, one paragraph a line
    pages: list[Page]
    lines: list[Line]  # the text lines, page numbers left out
    owner: list[int]  # for each line, the index of its paragraph

    def lines_of(self, index: int) -> list[Line]:
        return [line for line, owner in zip(self.lines, self.owner, strict=True) if owner == index]


def body_lines(pages: list[Page]) -> list[Line]:
    """Every page's lines without the page number, which must be the last line, centred at the bottom."""
    lines = []
    for number, page in enumerate(pages, start=1):
        *text, folio = page.lines
        assert folio.text == str(number), f"page {number} ends with {folio.text!r}, not its number"
        assert folio.y > 0.85 * page.height
        centre = (folio.words[0].x0 + folio.words[-1].x1) / 2
        assert abs(centre - page.width / 2) < 0.05 * page.width
        lines.extend(text)
    return lines


def assign(lines: list[Line], paragraphs: list[str]) -> list[int]:
    """Which paragraph each line belongs to; fails if any paragraph is lost, repeated or out of order.

    Consecutive lines must spell each paragraph exactly, and each paragraph starts on a new line.
    """
    owner, index, sofar = [], 0, ""
    for line in lines:
        assert index < len(paragraphs), f"text after the last paragraph: {line.text}"
        target = squeeze(paragraphs[index])
        sofar += line.text
        assert target.startswith(sofar), f"paragraph {index} {paragraphs[index][:20]!r}: PDF has {sofar!r}"
        owner.append(index)
        if sofar == target:
            index, sofar = index + 1, ""
    assert index == len(paragraphs), f"missing from the PDF: {paragraphs[index:]}"
    return owner


def render(out_dir: Path, inputs: list[Path], template: Path = TEMPLATE, *, odt: bool = False) -> Rendered:
    """`reportgen build --pdf [--odt]`, then the PDF's lines matched to the previewed paragraphs."""
    out_dir.mkdir(parents=True, exist_ok=True)
    docx = out_dir / "chapter.docx"
    kinds = ["pdf", "odt"] if odt else ["pdf"]
    result = run_cli("build", *inputs, "-o", docx, "--template", template, *(f"--{k}" for k in kinds))
    assert result.code == 0, result.err
    assert result.out.splitlines()[-len(kinds):] == [f"已產生 {docx.with_suffix('.' + k)}" for k in kinds]
    preview = run_cli("preview", *inputs)
    paragraphs = preview.out.splitlines()
    pages = pdf_pages(docx.with_suffix(".pdf"))
    lines = body_lines(pages)
    return Rendered(docx.with_suffix(".pdf"), docx.with_suffix(".odt"), paragraphs, pages, lines,
                    assign(lines, paragraphs))


@pytest.fixture(scope="module", autouse=True)
def soffice_temp(tmp_path_factory):
    """This module's LibreOffice profiles live here, so leftover processes can be told apart."""
    folder = tmp_path_factory.mktemp("soffice-temp")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(folder))
        yield folder


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Rendered:
    return render(tmp_path_factory.mktemp("example"), [EXAMPLE], odt=True)


LONG_TITLE = "與日本熊本縣及其所屬市町村友好城市代表團舉行年度線上視訊交流會議並共同簽署觀光、文化及防災合作備忘錄"
SENTENCE = "本府行政暨國際處與友好城市代表就觀光推廣、產業合作及青年交流等議題交換意見，並規劃疫情後恢復互訪。"


def stress_workbook(path: Path) -> Path:
    """Many items of varying length, so page breaks fall in many places; long titles that wrap."""
    activities = []
    for n in range(1, 41):
        title = LONG_TITLE if n % 7 == 1 else f"第{n}項交流活動"
        body = SENTENCE * (1 + (n * 5) % 9)
        if n % 4 == 0:
            body += "\n\n" + SENTENCE * (1 + n % 3)
        activities.append({"節次": 1, "標題": title, "開始日期": f"110/{7 + n % 6}/{1 + n % 28}", "內容": body})
    sections = [
        {"節次": 1, "節名": "姊妹市及友好城市與國際交流專案暨市府各機關辦理之國際合作計畫與活動成果摘要說明",
         "類型": "活動", "前言": SENTENCE * 3},
        {"節次": 2, "節名": "訪賓", "類型": "訪賓", "前言": "{{ 期間 }}計{{ 案數 }}案、{{ 人數 }}人。"},
    ]
    return write_workbook(path, sections=sections, activities=activities)


@pytest.fixture(scope="module")
def stress(tmp_path_factory) -> Rendered:
    folder = tmp_path_factory.mktemp("stress")
    return render(folder / "out", [stress_workbook(folder / "stress.xlsx")])


# Content -----------------------------------------------------------------------------------


def test_example_pdf_has_every_paragraph_once_in_order(example):
    """assign() already proved it; here the headings are checked to start their own lines, in order."""
    expected = [p for i, p in enumerate(example.paragraphs) if role(p, i) != "body"]
    starts = [example.lines_of(i)[0].text for i, p in enumerate(example.paragraphs) if role(p, i) != "body"]
    assert [squeeze(p)[:len(s)] for p, s in zip(expected, starts, strict=True)] == starts
    assert len(expected) == 1 + 2 + 14


def test_example_is_in_kai_and_a_times_metric_face(example):
    fonts = pdf_fonts(example.pdf)
    assert any(k in f for f in fonts for k in KAI_FACES), fonts
    assert any(t in f for f in fonts for t in TIMES_FACES), fonts
    others = {f for f in fonts if not any(k in f for k in KAI_FACES + TIMES_FACES)}
    assert others == set(), "some text fell back to another face"


def test_pdf_properties_are_the_chapter_title_and_period(example):
    info = subprocess.run(["pdfinfo", str(example.pdf)], capture_output=True, text=True, check=True).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    assert fields["Title"].strip() == "貳拾陸、國際事務"
    assert fields["Subject"].strip() == "110年7月至12月"
    assert fields["Page size"].split("pts")[1].strip() == "(A4)"


def test_odt_keeps_paragraphs_styles_and_fonts(example):
    ns = {"text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
          "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
          "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
          "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"}
    with zipfile.ZipFile(example.odt) as archive:
        assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.text"
        content = etree.fromstring(archive.read("content.xml"))
        styles = etree.fromstring(archive.read("styles.xml"))
    body = content.find("office:body/office:text", ns)
    blocks = [b for b in body if etree.QName(b).localname in ("h", "p")]

    def text(block) -> str:
        parts = [block.text or ""]
        for child in block:
            parts.append(" " if etree.QName(child).localname == "tab" else "".join(child.itertext()))
            parts.append(child.tail or "")
        return "".join(parts)

    assert [text(b) for b in blocks] == example.paragraphs
    levels = [b.get(f"{{{ns['text']}}}outline-level") for b in blocks]
    roles = [role(p, i) for i, p in enumerate(example.paragraphs)]
    assert levels == [{"chapter": "1", "section": "2", "item": "3"}.get(r) for r in roles]
    names = {s.get(f"{{{ns['style']}}}name"): s for s in styles.iter(f"{{{ns['style']}}}style")}
    assert {"節內文", "項內文", "Heading_20_3"} <= set(names)
    keep = names["Heading_20_3"].find("style:paragraph-properties", ns).get(f"{{{ns['fo']}}}keep-with-next")
    assert keep == "always"
    default = styles.find("office:styles/style:default-style[@style:family='paragraph']/style:text-properties", ns)
    standard = names["Standard"].find("style:text-properties", ns)
    asian = {el.get(f"{{{ns['style']}}}font-name-asian") for el in (default, standard)} - {None}
    assert asian == {"標楷體"}
    assert default.get(f"{{{ns['style']}}}country-asian") == "TW"


# House style ---------------------------------------------------------------------------------


def test_item_body_is_aligned_under_the_item_title(example):
    checked = 0
    for index, paragraph in enumerate(example.paragraphs):
        if role(paragraph, index) != "item":
            continue
        label, title = example.lines_of(index)[0].words[:2]
        assert label.text == ITEM_HEADING.match(paragraph).group().strip()
        assert title.x0 > label.x1
        following = index + 1
        while following < len(example.paragraphs) and role(example.paragraphs[following], following) == "body":
            for line in example.lines_of(following):
                assert abs(line.x - title.x0) < TOLERANCE, (paragraph, line.text)
                checked += 1
            following += 1
    assert checked > 50


def test_item_labels_and_section_text_share_one_edge(example):
    """(一) starts where the section's body paragraphs (前言, the visitors list) start."""
    labels, section_text, under = set(), set(), "chapter"
    for index, paragraph in enumerate(example.paragraphs):
        kind = role(paragraph, index)
        lines = example.lines_of(index)
        if kind == "item":
            labels.add(round(lines[0].x, 1))
        elif kind == "body" and under == "section":
            section_text.update(round(line.x, 1) for line in lines)
        under = kind if kind != "body" else under
    assert len(labels) == 1 and labels == section_text, (labels, section_text)


def test_wrapped_section_title_continues_after_its_label(stress):
    index = next(i for i, p in enumerate(stress.paragraphs) if role(p, i) == "section")
    first, second, *_ = stress.lines_of(index)
    body = stress.lines_of(index + 1)  # the section's 前言
    assert first.x < second.x
    assert all(abs(line.x - second.x) < TOLERANCE for line in body)
    chapter = stress.lines_of(0)[0]
    assert abs(first.x - chapter.x) < TOLERANCE  # 一、 hangs out to the margin


def test_wrapped_item_title_continues_after_its_label(stress):
    wrapped = [i for i, p in enumerate(stress.paragraphs) if role(p, i) == "item" and LONG_TITLE in p]
    assert len(wrapped) >= 5
    for index in wrapped:
        first, *rest = stress.lines_of(index)
        assert rest, "the long title should wrap"
        title = first.words[1]
        for line in rest:
            assert abs(line.x - title.x0) < TOLERANCE


def test_no_heading_is_left_alone_at_a_page_bottom(stress):
    assert len(stress.pages) >= 8
    last_lines = {}
    for line, owner in zip(stress.lines, stress.owner, strict=True):
        last_lines[line.page] = owner
    for page, owner in last_lines.items():
        assert role(stress.paragraphs[owner], owner) == "body", f"page {page} ends with a heading"


def test_restyled_template_changes_the_rendered_page(tmp_path, example):
    """An editor's restyled template (ids localized, fonts and indents changed) shows in the PDF."""
    restyled = render(tmp_path, [EXAMPLE], restyle(TEMPLATE, tmp_path / "範本.docx"))
    assert restyled.paragraphs == example.paragraphs
    index = next(i for i, p in enumerate(example.paragraphs) if role(p, i) == "item")
    before, after = example.lines_of(index + 1)[0], restyled.lines_of(index + 1)[0]
    assert abs((after.x - before.x) - INDENT_SHIFT / 20) < TOLERANCE
    fonts = pdf_fonts(restyled.pdf)
    assert not any(t in f for f in fonts for t in TIMES_FACES), fonts  # Latin text now in Arial's stand-in
    assert any(k in f for f in fonts for k in KAI_FACES)


def running_under(folder: Path) -> list[str]:
    """Command lines of live processes that name `folder` (a zombie's command line is empty)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            command = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if str(folder).encode() in command:
            found.append(command.replace(b"\0", b" ").decode(errors="replace"))
    return found


def test_no_libreoffice_process_is_left_running(example, stress, soffice_temp):
    assert list(soffice_temp.glob("reportgen-soffice-*")) == []  # profiles removed
    assert running_under(soffice_temp) == []


def test_a_timed_out_conversion_leaves_no_libreoffice_running(example, tmp_path, soffice_temp):
    docx = tmp_path / "chapter.docx"
    shutil.copy(example.pdf.with_suffix(".docx"), docx)
    with pytest.raises(FatalError, match="秒仍未完成"):
        convert(docx, ["pdf"], timeout=0.5)
    survivors = running_under(soffice_temp)
    for _ in range(100):  # SIGKILL is delivered asynchronously
        if not survivors:
            break
        time.sleep(0.05)
        survivors = running_under(soffice_temp)
    assert survivors == []
    assert not docx.with_suffix(".pdf").exists()


# Labels, pages and fonts --------------------------------------------------------------------

ONE_CHAR = 14.0  # points: one full-width character of 標題 3 and body text
LEAD = "本節引言說明下列事項之辦理情形及相關單位之意見如下："


def labels_workbook(path: Path) -> Path:
    """Twelve sections (十一、 and 十二、), 21 items ((二十一)), long titles that wrap, and lead-ins
    ending in a colon in many places, so some of them would fall at a page's last line."""
    activities = [{"節次": 1, "標題": LONG_TITLE if n % 5 == 1 else f"第{n}項活動",
                   "開始日期": f"110/{7 + n % 6}/{1 + n % 28}", "內容": SENTENCE * (1 + n % 4)}
                  for n in range(1, 22)]
    sections = [{"節次": 1, "節名": "交流專案", "類型": "活動"}]
    for n in range(2, 13):
        title = (LONG_TITLE if n in (2, 11) else f"第{n}節")
        sections.append({"節次": n, "節名": title, "類型": "文字",
                         "前言": SENTENCE * (n % 5) + LEAD + "\n\n" + SENTENCE * (1 + n % 3)})
    sections.append({"節次": 13, "節名": "訪賓", "類型": "訪賓", "前言": "{{ 期間 }}計{{ 案數 }}案。主要訪團為："})
    return write_workbook(path, sections=sections, activities=activities)


@pytest.fixture(scope="module")
def labels(tmp_path_factory) -> Rendered:
    folder = tmp_path_factory.mktemp("labels")
    return render(folder / "out", [labels_workbook(folder / "labels.xlsx")])


def gap_after_label(rendered: Rendered, index: int) -> float:
    label, title = rendered.lines_of(index)[0].words[:2]
    return title.x0 - label.x1


def test_item_title_follows_the_widest_label_after_one_character(example):
    """(十四) is the widest label: one character to the title; (一) has one more, so titles align."""
    items = [i for i, p in enumerate(example.paragraphs) if role(p, i) == "item"]
    widest = next(i for i in items if example.paragraphs[i].startswith("(十四)"))
    assert abs(gap_after_label(example, widest) - ONE_CHAR) < 1.5
    assert abs(gap_after_label(example, items[0]) - 2 * ONE_CHAR) < 1.5


@pytest.mark.slow
def test_short_chapter_title_follows_its_label_after_one_character(tmp_path, workbook):
    short = render(tmp_path, [workbook()])
    index = next(i for i, p in enumerate(short.paragraphs) if role(p, i) == "item")
    assert abs(gap_after_label(short, index) - ONE_CHAR) < 1.5


@pytest.mark.slow
def test_wide_labels_keep_wrapped_titles_aligned(labels):
    sections = [i for i, p in enumerate(labels.paragraphs) if role(p, i) == "section"]
    assert labels.paragraphs[sections[10]].startswith("十一、")
    title_x = {round(labels.lines_of(i)[0].words[1].x0, 0) for i in sections}
    assert len(title_x) == 1  # a tab after every section label: all titles start together
    wrapped = [i for i in sections if len(labels.lines_of(i)) > 1]
    assert len(wrapped) >= 2
    for index in wrapped:
        title = labels.lines_of(index)[0].words[1]
        assert all(abs(line.x - title.x0) < TOLERANCE for line in labels.lines_of(index)[1:])
    items = [i for i, p in enumerate(labels.paragraphs) if role(p, i) == "item"]
    assert labels.paragraphs[items[-1]].startswith("(二十一)")
    assert abs(gap_after_label(labels, items[-1]) - ONE_CHAR) < 1.5
    for index in items:
        first, *rest = labels.lines_of(index)
        for line in rest + labels.lines_of(index + 1):  # wrapped title, then the item's body
            assert abs(line.x - first.words[1].x0) < TOLERANCE, labels.paragraphs[index]


def pages_ending_with_a_lead_in(rendered: Rendered) -> list[int]:
    last = {}
    for line, owner in zip(rendered.lines, rendered.owner, strict=True):
        last[line.page] = owner
    return [page for page, owner in last.items() if rendered.paragraphs[owner].endswith("：")]


@pytest.mark.slow
def test_a_lead_in_ending_in_a_colon_is_never_last_on_its_page(labels, tmp_path, monkeypatch):
    assert len(labels.pages) >= 5
    assert pages_ending_with_a_lead_in(labels) == []
    # With 與下段同頁 taken off the lead-in style the paragraph still keeps with its list (the
    # writer says so on the paragraph) ...
    loose = rewrite(TEMPLATE, tmp_path / "loose.docx", lambda name, data: data.replace(
        b"<w:keepNext/><w:widowControl/><w:kinsoku/>", b"<w:widowControl/><w:kinsoku/>")
        if name == "word/styles.xml" else data)
    book = labels_workbook(tmp_path / "labels.xlsx")
    assert pages_ending_with_a_lead_in(render(tmp_path / "loose", [book], loose)) == []
    # ... and without that too, some page does end with one: the layout above really puts a
    # lead-in where it would be left behind.
    monkeypatch.setattr("reportgen.write.docx_writer.kept_with_next", lambda layout, w: layout)
    assert pages_ending_with_a_lead_in(render(tmp_path / "unkept", [book], loose))


@pytest.mark.slow
def test_wei_is_drawn_in_tw_kai(tmp_path):
    """為 (U+70BA) in the Ministry of Education's standard form: TW-Kai, not AR PL UKai's 爲 shape."""
    if "TW-Kai" not in subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout.replace(
            "\\", ""):
        pytest.skip("TW-Kai (fonts-cns11643-kai) is not installed")
    from reportgen.write.compose import Block, Document, Role
    from reportgen.write.docx_writer import render_docx
    from reportgen.write.template_package import load_template

    only_wei = Document(title="為", subject="為", date=(2021, 12, 31),
                        blocks=(Block(Role.SECTION_BODY, "為" * 20),))
    docx = tmp_path / "wei.docx"
    docx.write_bytes(render_docx(load_template(TEMPLATE), only_wei))
    (pdf,) = convert(docx, ["pdf"])
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert squeeze(text) == "為" * 20 + "1"
    kai = {f for f in pdf_fonts(pdf) if not any(t in f for t in TIMES_FACES)}
    assert kai and all(f.startswith("TW-Kai") for f in kai), kai  # pdffonts: TW-Kai-98_1
