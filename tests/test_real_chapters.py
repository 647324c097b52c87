"""Real chapters in, real chapters out (issue 20): `reportgen import` then `build` gives the
published paragraphs back, for the seed, every chapter in ../shared/real-chapters/ and the example.

The published texts are read at test time from ../shared/ (never copied into the project). Where
the SPEC's normalization makes a published paragraph impossible to print exactly (a half-width
`:` next to CJK, a full-width digit in prose, an honorific space before 貴院), the test names the
paragraph, checks that the build printed the normalized form, and counts it.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from helpers import EXAMPLE, REPO, run_cli
from reportgen import api, labels, normalize
from reportgen.read.chapter import full_dates

SHARED = REPO.parent / "shared"
REAL = SHARED / "real-chapters"
SEED = SHARED / "seed"
CHAPTERS = sorted(p.name for p in REAL.iterdir() if (p / "published.txt").is_file()) if REAL.is_dir() else []
_HEADING = re.compile(r"^\s*((?:[〇一二三四五六七八九十百零]+)、|[(（][〇一二三四五六七八九十百零]+[)）])\s*")


def _shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: the published chapters are read from ../shared/ at test time")
    return path


def comparable(paragraph: str, first: bool = False) -> str:
    """A paragraph as the issue compares it: no whitespace after a label; the chapter heading's
    wide-space padding (`外　　交`) aside."""
    paragraph = paragraph.strip()
    if first:
        return "".join(paragraph.split())
    heading = _HEADING.match(paragraph)
    if heading:
        return heading.group(1) + paragraph[heading.end():]
    label = labels.parse(paragraph)
    return label.typed + paragraph[label.end:] if label else paragraph


def paragraphs(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if line.strip()]
    return [comparable(line, index == 0) for index, line in enumerate(lines)]


def normalized(paragraph: str, parens: str, digits: str) -> str:
    """What the SPEC's rules print for a published paragraph: labels in their printed form, the
    text after them normalized (§4)."""
    heading = _HEADING.match(paragraph)
    if heading:
        return heading.group(1) + normalize.clean_line(paragraph[heading.end():], parens=parens).text
    label = labels.parse(paragraph)
    if label is not None:
        return (labels.text(label.rank, label.number, digits)
                + normalize.clean_line(paragraph[label.end:], parens=parens).text)
    return normalize.clean_line(paragraph, parens=parens).text


def folder_period(name: str) -> str:
    """`ey_98h1_foreign` → 98/1/1-98/6/30 (the folder names the half-year, source.txt says it too)."""
    year, half = re.match(r"ey_(\d+)h([12])_", name).groups()
    return f"{year}/1/1-{year}/6/30" if half == "1" else f"{year}/7/1-{year}/12/31"


def round_trip(source: Path, tmp_path: Path, period: str | None = None) -> tuple[list[str], api.Outcome]:
    """import → build: the built chapter's paragraphs (as compared) and the build's outcome."""
    workbook = tmp_path / f"{source.stem}.xlsx"
    result = run_cli("import", source, "-o", workbook, *(["--period", period] if period else []))
    assert result.code == 0, result.err
    outcome = api.load([workbook])
    assert outcome.report is not None, [p.render() for p in outcome.problems.errors]
    return paragraphs(api.preview_text(outcome)), outcome


def check_against(published: list[str], built: list[str], outcome: api.Outcome) -> list[str]:
    """Every paragraph equal, or impossible by the SPEC's normalization and printed normalized;
    returns the impossible ones (named in the failure message otherwise)."""
    settings = outcome.report.settings
    assert len(built) == len(published), (len(built), len(published))
    impossible = []
    for index, (want, got) in enumerate(zip(published, built, strict=True)):
        if want == got:
            continue
        expected = normalized(want, settings.parens, settings.digits)
        assert index and expected != want, f"paragraph {index + 1} differs but is printable exactly:\n{want}\n{got}"
        assert got == expected, f"paragraph {index + 1} is not what normalization gives:\n{expected}\n{got}"
        impossible.append(f"{index + 1}: {want[:30]}")
    return impossible


@pytest.mark.parametrize("name", CHAPTERS or ["(none)"])
def test_every_real_chapter_comes_back_paragraph_for_paragraph(name, tmp_path, record_property):
    source = _shared(REAL / name / "published.txt")
    published = paragraphs(source.read_text(encoding="utf-8"))
    period = folder_period(name)
    inferred = api.import_chapter(source, tmp_path / "probe.xlsx").setup.period
    built, outcome = round_trip(source, tmp_path, None if inferred else period)
    impossible = check_against(published, built, outcome)
    record_property("impossible", len(impossible))
    print(f"{name}: {len(published)} paragraphs, {len(impossible)} impossible to match exactly: {impossible}")
    assert len(impossible) <= len(published) // 20, impossible  # the rare exception, never the rule


def test_the_seed_comes_back_as_the_expected_chapter(tmp_path):
    """The seed as extracted from the PDF (blank lines, a paragraph broken by the page, two
    full-width parentheses) gives expected_chapter.txt back, as its own text does too."""
    expected = paragraphs(_shared(SEED / "expected_chapter.txt").read_text(encoding="utf-8"))
    built, _ = round_trip(_shared(SEED / "seed_chapter_original.txt"), tmp_path)
    assert built == expected
    again, _ = round_trip(SEED / "expected_chapter.txt", tmp_path / "again")
    assert again == expected


def test_the_examples_own_docx_imported_and_built_is_the_same_chapter(tmp_path):
    first = tmp_path / "first.docx"
    template = REPO / "templates" / "report.docx"
    assert run_cli("build", EXAMPLE, "-o", first, "--template", template).code == 0
    workbook = tmp_path / "back.xlsx"
    assert run_cli("import", first, "-o", workbook).code == 0
    second = tmp_path / "second.docx"
    assert run_cli("build", workbook, "-o", second, "--template", template).code == 0
    assert run_cli("preview", workbook).out == run_cli("preview", EXAMPLE).out
    with zipfile.ZipFile(first) as a, zipfile.ZipFile(second) as b:
        assert a.read("word/document.xml") == b.read("word/document.xml")


def test_a_real_chapter_built_to_docx_comes_back_from_the_docx(tmp_path):
    """The same round trip through Word: sub-items, both item formats, label widths."""
    name = "ey_95h2_foreign" if "ey_95h2_foreign" in CHAPTERS else (CHAPTERS or ["(none)"])[0]
    source = _shared(REAL / name / "published.txt")
    built, _ = round_trip(source, tmp_path, folder_period(name))
    docx = tmp_path / "chapter.docx"
    assert run_cli("build", tmp_path / "published.xlsx", "-o", docx).code == 0
    again, _ = round_trip(docx, tmp_path / "docx", folder_period(name))
    assert again == built


def test_start_dates_come_from_the_first_full_date_inside_the_period(tmp_path):
    source = _shared(REAL / "ey_101h2_foreign" / "published.txt")
    outcome = api.import_chapter(source, tmp_path / "a.xlsx", period="101/7/1-101/12/31")
    rows = outcome.setup.activities
    dated = [row for row in rows if row["開始日期"]]
    assert dated and all(row["開始日期"].startswith("101/") for row in dated)
    for row in rows:
        inside = [d for d in full_dates(row["標題"] + (row["內容"] or "")) if d.year == 2012 and d.month >= 7]
        assert bool(row["開始日期"]) == bool(inside)
