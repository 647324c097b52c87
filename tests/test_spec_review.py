"""A second reading of SPEC.md, clause by clause: cases where the product did not do what the
contract says, each written as a black-box check through the library API or the CLI.

Every test names the SPEC sentence it checks; workbooks come from helpers.write_workbook.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from helpers import ACTIVITIES, SECTIONS, SETTINGS, VISITS, write_workbook
from reportgen import api


def _load(path: Path):
    outcome = api.load([path])
    return outcome, (api.preview_text(outcome).splitlines() if outcome.report is not None else [])


def _codes(outcome) -> list[tuple[str, str | None, str]]:
    return [(p.location.sheet, p.location.cell, p.code) for p in outcome.problems]


# --- §3: an intro with nothing to introduce -------------------------------------------------------
# "an intro sentence left with nothing to introduce (「主要訪團代表為：」 with no key visitors) is
# dropped with a warning, and the sentence before it then ends with `。` (a trailing `；`, `，` or
# `、` is replaced)."

@pytest.mark.parametrize("joint", ["，", "、", "；", "。", ",", ";"])
def test_a_cut_intro_leaves_the_clause_before_it_ending_with_a_full_stop(tmp_path, joint):
    preface = f"{{{{ 期間 }}}}計{{{{ 案數 }}}}案、{{{{ 人數 }}}}人到訪{joint}主要訪團代表為："
    sections = [SECTIONS[0], {**SECTIONS[1], "前言": preface}]
    outcome, lines = _load(write_workbook(tmp_path / "a.xlsx", sections=sections,
                                          visits=[{**VISITS[0], "主要訪團": "否"}]))
    assert _codes(outcome) == [("章節", "D3", "dangling-intro")]
    assert "主要訪團代表為：" in outcome.problems[0].message
    assert lines[-2:] == ["二、訪賓", "7月至12月計1案、5人到訪。"]


@pytest.mark.parametrize(("before", "ended"), [("計{{ 案數 }}案，", "計1案。"), ("計{{ 案數 }}案", "計1案。"),
                                               ("計{{ 案數 }}案；", "計1案。"), ("計{{ 案數 }}案。", "計1案。"),
                                               ("主題為“城市外交！”", "主題為“城市外交！”"),
                                               ("主題為「城市外交」", "主題為「城市外交」。")])
def test_an_intro_paragraph_cut_leaves_the_paragraph_before_it_ending_as_a_sentence(tmp_path, before, ended):
    """The intro alone in its paragraph (a blank line before it): "the sentence before it" is the
    previous paragraph's last, which then ends with 。."""
    sections = [SECTIONS[0], {**SECTIONS[1], "前言": f"{before}\n\n主要訪團代表為："}]
    outcome, lines = _load(write_workbook(tmp_path / "a.xlsx", sections=sections,
                                          visits=[{**VISITS[0], "主要訪團": "否"}]))
    assert _codes(outcome) == [("章節", "D3", "dangling-intro")]
    assert lines[-2:] == ["二、訪賓", ended]


def test_a_cut_intro_in_the_last_paragraph_of_content_ends_the_one_before_it(tmp_path):
    activities = [{**ACTIVITIES[0], "內容": "辦理下列活動；\n\n重點如下："}]
    outcome, lines = _load(write_workbook(tmp_path / "a.xlsx", activities=activities))
    assert ("活動", "E2", "dangling-content") in _codes(outcome)
    assert lines[lines.index("(一) 視訊會議") + 1:][:1] == ["辦理下列活動。"]
    assert "重點如下：" not in "".join(lines)


@pytest.mark.parametrize("last", ["2、重點如下：", "(2)重點如下：", "２．重點如下："])
def test_a_sub_item_that_is_only_an_intro_goes_whole_never_leaving_its_label(tmp_path, last):
    """`2、重點如下：` with nothing after it: the label is no clause of its own (never `2。`)."""
    activities = [{**ACTIVITIES[0], "內容": f"說明：\n1、甲。\n{last}"}]
    outcome, lines = _load(write_workbook(tmp_path / "a.xlsx", activities=activities))
    assert ("活動", "E2", "dangling-content") in _codes(outcome)
    body = lines[lines.index("(一) 視訊會議") + 1:lines.index("二、訪賓")]
    assert body == ["說明：", "1、甲。"]


def test_an_intro_that_is_the_whole_preface_leaves_an_empty_section(tmp_path):
    sections = [SECTIONS[0], {**SECTIONS[1], "前言": "主要訪團代表為："}]
    outcome, lines = _load(write_workbook(tmp_path / "a.xlsx", sections=sections,
                                          visits=[{**VISITS[0], "主要訪團": "否"}]))
    assert [code for *_, code in _codes(outcome)] == ["dangling-intro", "empty-section"]
    assert lines[-1] == "二、訪賓"


# --- §4: Calc's year-110 date cells, quoted as typed in every message -----------------------------
# "A date cell whose year is below 1000 is a ROC date that the spreadsheet took as a Western year
# (Calc turns a typed `110/9/8` into 9 Sept 110 AD): it is read as that ROC date with a warning that
# quotes it as `110/9/8`". Calc saves such a date in an .xlsx as a negative serial number; a second
# problem about the same cell (outside the period, before the start) must quote it the same way.

def _serial(year: int, month: int, day: int) -> int:
    """The number Calc saves in an .xlsx for a date before 1900 (days before 1899-12-30)."""
    return (dt.date(year, month, day) - dt.date(1899, 12, 30)).days


def test_a_calc_year_110_date_outside_the_period_is_quoted_as_typed(tmp_path):
    settings = {**SETTINGS, "期間起": "111/1/1", "期間迄": "111/6/30"}
    path = write_workbook(tmp_path / "a.xlsx", settings=settings,
                          activities=[{**ACTIVITIES[0], "開始日期": _serial(110, 9, 8)}],
                          visits=[{**VISITS[0], "日期": _serial(110, 9, 10)}])
    outcome, _ = _load(path)
    outside = {p.location.cell: p for p in outcome.problems if p.code == "outside-period"}
    assert set(outside) == {"C2", "A2"}
    assert outside["C2"].found == "110/9/8" and outside["A2"].found == "110/9/10"
    assert not any(str(_serial(110, 9, 8)) in p.render() for p in outcome.problems)


def test_a_calc_year_110_end_date_before_the_start_is_quoted_as_typed(tmp_path):
    path = write_workbook(tmp_path / "a.xlsx", activities=[
        {**ACTIVITIES[0], "開始日期": "110/9/9", "結束日期": _serial(110, 9, 8)}])
    outcome, _ = _load(path)
    [before] = [p for p in outcome.problems if p.code == "end-before-start"]
    assert (before.location.cell, before.found) == ("D2", "110/9/8")


def test_settings_differing_between_workbooks_quote_a_calc_date_as_typed(tmp_path):
    first = write_workbook(tmp_path / "a.xlsx")
    second = write_workbook(tmp_path / "b.xlsx", settings={**SETTINGS, "期間起": _serial(110, 8, 1)},
                            activities=[], visits=[])
    outcome = api.load([first, second])
    [conflict] = [p for p in outcome.problems if p.code == "conflicting-sheet"]
    assert "110/8/1" in conflict.render() and str(_serial(110, 8, 1)) not in conflict.render()


def test_every_cell_differing_between_workbooks_is_reported_not_only_the_first(tmp_path):
    """SPEC §2/§4: the error names "the differing cell in each workbook and both values", and "every
    problem is reported, not only the first": two settings and two 章節 cells differ, four errors."""
    first = write_workbook(tmp_path / "a.xlsx")
    second = write_workbook(tmp_path / "b.xlsx", settings={**SETTINGS, "章名": "外交", "期間迄": "110/11/30"},
                            sections=[{**SECTIONS[0], "節名": "交流"}, {**SECTIONS[1], "前言": "另一段前言。"}],
                            activities=[], visits=[])
    outcome = api.load([first, second])
    conflicts = [p for p in outcome.problems if p.code == "conflicting-sheet"]
    assert [(p.location.file, p.location.sheet, p.location.cell) for p in conflicts] == [
        ("b.xlsx", "報告設定", "B3"), ("b.xlsx", "報告設定", "B5"), ("b.xlsx", "章節", "B2"), ("b.xlsx", "章節", "D3")]
    assert "「外交」" in conflicts[0].render() and "「國際事務」" in conflicts[0].render()
    assert "「另一段前言。」" in conflicts[3].render()


# --- §4: escapes decoded once -----------------------------------------------------------------------
# "Decode Excel's `_xHHHH_` escapes (any HHHH) once, as Excel shows the cell". Excel saves a typed
# `_x4E2D_` with its underscore escaped, `_x005F_x4E2D_`: Excel shows `_x4E2D_`, never 中.

_ESCAPED_TITLES = {"_x005F_x4E2D_": "_x4E2D_", "_x4E2D_": "中", "_x005F_x0100_": "_x0100_",
                   "a_x005F_b": "a_b", "_x005F_x005F_x4E2D_": "_x005F中", "_x0041_x": "Ax"}


def _titles_read(path: Path) -> dict[int, str]:
    outcome = api.load([path])
    assert outcome.report is not None, outcome.problems.flatten()
    return {a.source.row: a.title for a in outcome.report.activities}


def _escaped_workbook(path: Path) -> Path:
    rows = [{**ACTIVITIES[0], "標題": typed, "開始日期": f"110/9/{day}"}
            for day, typed in enumerate(_ESCAPED_TITLES, start=1)]
    return write_workbook(path, activities=rows)


def test_escapes_are_decoded_once_as_excel_shows_them(tmp_path):
    titles = _titles_read(_escaped_workbook(tmp_path / "a.xlsx"))
    assert titles == {row: shown for row, shown in enumerate(_ESCAPED_TITLES.values(), start=2)}


@pytest.mark.parametrize(("item", "shown"), [
    (b"<si><t>_x005F_x4E2D_</t></si>", "_x4E2D_"),
    (b"<si><r><t>_x005F_</t></r><r><t>x4E2D_</t></r><rPh sb=\"0\" eb=\"1\"><t>x</t></rPh></si>", "_x4E2D_"),
    (b"<si><t>_x4E2D_</t></si>", "\u4e2d"),
])
def test_escapes_in_a_shared_string_are_decoded_once(tmp_path, item, shown):
    from zipparts import with_shared_strings

    base = write_workbook(tmp_path / "base.xlsx", activities=[{**ACTIVITIES[0], "標題": "MARKTITLE"}])
    strings = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + item + b"</sst>")
    book = with_shared_strings(base, tmp_path / "shared.xlsx", "MARKTITLE", strings)
    assert _titles_read(book) == {2: shown}


@pytest.mark.slow
def test_escapes_in_shared_strings_are_decoded_once(tmp_path):
    """LibreOffice saves every text in shared strings, a typed `_x4E2D_` as `_x005F_x4E2D_`."""
    import shutil
    import subprocess
    import zipfile

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    source = write_workbook(tmp_path / "a.xlsx", activities=[
        {**ACTIVITIES[0], "標題": "_x005F_x4E2D_"},
        {**ACTIVITIES[0], "標題": "代碼_x005F_x0100_", "開始日期": "110/9/9"}])
    out = tmp_path / "calc"
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(source)],
                   check=True, capture_output=True, timeout=120)
    saved = out / "a.xlsx"
    with zipfile.ZipFile(saved) as z:
        assert b"_x005F_x4E2D_" in z.read("xl/sharedStrings.xml")
    assert sorted(_titles_read(saved).values()) == ["_x4E2D_", "代碼_x0100_"]


# --- §2: every non-empty cell is accounted for ------------------------------------------------------
# "Every non-empty cell is accounted for: it is read into the chapter, or it lies in a place the staff
# were told is not read (備註, a column or sheet whose name matches nothing the tool reads …), or a
# warning names it." 報告設定 reads column A and B only.

def _settings_sheet(path: Path, rows: list[list[object]]) -> Path:
    from openpyxl import load_workbook

    write_workbook(path)
    book = load_workbook(path)
    sheet = book["報告設定"]
    sheet.delete_rows(1, sheet.max_row)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_a_settings_value_in_a_column_without_a_name_is_named(tmp_path):
    rows = [["項目", "內容"], *([key, value] for key, value in SETTINGS.items())]
    rows[1].append("原本想填 27")  # C2, under no header
    outcome, _ = _load(_settings_sheet(tmp_path / "a.xlsx", rows))
    assert _codes(outcome) == [("報告設定", "C2", "unread-settings-column")]
    assert "C 欄" in outcome.problems[0].message and "不會讀取" in outcome.problems[0].message


def test_a_settings_column_with_a_name_is_a_note(tmp_path):
    rows = [["項目", "內容", "說明"], *([key, value, "自己的說明"] for key, value in SETTINGS.items())]
    outcome, _ = _load(_settings_sheet(tmp_path / "a.xlsx", rows))
    assert _codes(outcome) == []


# --- §4: invisible characters never disappear silently, in a header or a 項目 either ----------------
# "other control characters, zero-width characters and U+FFFE/U+FFFF are removed, with one warning
# per cell (nothing disappears silently)."

def test_an_invisible_character_in_a_header_is_removed_with_a_warning(tmp_path):
    headers = {"活動": ["節次", "標題\u200b", "開始日期", "結束日期", "內容", "列入報告", "備註"]}
    rows = [{**ACTIVITIES[0], "標題\u200b": ACTIVITIES[0]["標題"]}]
    outcome, lines = _load(write_workbook(tmp_path / "a.xlsx", activities=rows, headers=headers))
    assert "(一) 視訊會議" in lines
    assert _codes(outcome) == [("活動", "B1", "invisible-chars")]
    assert "U+200B" in outcome.problems[0].message


def test_an_invisible_character_in_a_settings_item_is_removed_with_a_warning(tmp_path):
    settings = {("章次\u200b" if key == "章次" else key): value for key, value in SETTINGS.items()}
    outcome, lines = _load(write_workbook(tmp_path / "a.xlsx", settings=settings))
    assert lines[0] == "貳拾陸、國際事務"
    assert _codes(outcome) == [("報告設定", "A2", "invisible-chars")]


# --- §4: a full ROC date in 內容 outside the row's dates ---------------------------------------------
# "a full ROC date written in an activity's 內容 (`110年9月8日`) that lies outside that row's
# 開始日期–結束日期 is a warning". Spaces typed around the numbers stay in prose (§4 keeps one space
# between a digit and a CJK character), and the date is as full.

@pytest.mark.parametrize("written", ["110 年 9 月 9 日", "110年 9 月 9日", "民國 110 年 9 月 9 日"])
def test_a_content_date_written_with_spaces_outside_the_row_warns(tmp_path, written):
    rows = [{**ACTIVITIES[0], "內容": f"本府於{written}舉行視訊會議。"}]
    outcome, _ = _load(write_workbook(tmp_path / "a.xlsx", activities=rows))
    assert _codes(outcome) == [("活動", "E2", "date-in-text-outside")]


def test_a_content_date_written_with_spaces_inside_the_row_is_quiet(tmp_path):
    rows = [{**ACTIVITIES[0], "內容": "本府於 110 年 9 月 8 日舉行視訊會議。"}]
    outcome, _ = _load(write_workbook(tmp_path / "a.xlsx", activities=rows))
    assert _codes(outcome) == []


@pytest.mark.parametrize(("preface", "kept"), [
    ("計{{ 案數 }}案，主要訪團(含視訊、實體)為：", "計1案。"),
    ("計{{ 案數 }}案。主要訪團「代表、團長」為：", "計1案。"),
])
def test_a_cut_intro_is_not_split_inside_brackets(tmp_path, preface, kept):
    sections = [SECTIONS[0], {**SECTIONS[1], "前言": preface}]
    outcome, lines = _load(write_workbook(tmp_path / "a.xlsx", sections=sections,
                                          visits=[{**VISITS[0], "主要訪團": "否"}]))
    assert [code for *_, code in _codes(outcome)] == ["dangling-intro"]
    assert lines[-1] == kept


# --- §3: "no paragraph may end with `：` followed by nothing" — an activity's 內容 too ------------

def test_an_activity_whose_last_paragraph_introduces_nothing_loses_that_sentence(tmp_path):
    activities = [{**ACTIVITIES[0], "內容": "110年9月8日舉行視訊會議，行程如下："},
                  {**ACTIVITIES[0], "標題": "參訪", "內容": "甲。\n\n行程如下："}]
    outcome, lines = _load(write_workbook(tmp_path / "a.xlsx", activities=activities))
    assert _codes(outcome) == [("活動", "E2", "dangling-content"), ("活動", "E3", "dangling-content")]
    assert "行程如下：" in outcome.problems[0].message
    assert "110年9月8日舉行視訊會議。" in lines and "甲。" in lines
    first_section = lines[lines.index("一、交流專案"):lines.index("二、訪賓")]
    assert not any(line.endswith("：") for line in first_section)


def test_sub_items_after_an_intro_keep_it(tmp_path):
    activities = [{**ACTIVITIES[0], "內容": "行程如下：\n1、參訪市府。\n2、座談。"}]
    outcome, lines = _load(write_workbook(tmp_path / "a.xlsx", activities=activities))
    assert _codes(outcome) == []
    assert "行程如下：" in lines


# --- §2: a row that only looks empty ------------------------------------------------------------

def test_a_row_holding_only_invisible_characters_is_empty_and_named(tmp_path):
    activities = [ACTIVITIES[0], {"標題": "\u200b", "內容": "\u200b\ufeff"}]
    outcome, _ = _load(write_workbook(tmp_path / "a.xlsx", activities=activities))
    assert _codes(outcome) == [("活動", "B3", "invisible-chars"), ("活動", "E3", "invisible-chars")]
    assert outcome.report is not None and len(outcome.report.activities) == 1


# --- §3: labels are the tool's ------------------------------------------------------------------------
# "Labels are literal text" that build writes: one typed before a title prints twice.

def test_a_label_typed_before_a_title_is_a_warning_and_printed_as_typed(tmp_path):
    outcome, lines = _load(write_workbook(
        tmp_path / "a.xlsx", settings={**SETTINGS, "章名": "貳拾陸、國際事務"},
        sections=[{**SECTIONS[0], "節名": "一、交流專案"}, SECTIONS[1]],
        activities=[{**ACTIVITIES[0], "標題": "(一) 與日本京都市簽署協定"},
                    {**ACTIVITIES[0], "標題": "2.國際志工", "開始日期": "110/9/9", "內容": "志工服務。"},
                    {**ACTIVITIES[0], "標題": "(視訊)會議", "開始日期": "110/9/10", "內容": "會議。"}]))
    typed = [(p.location.sheet, p.location.cell) for p in outcome.problems if p.code == "typed-label"]
    assert typed == [("活動", "B2"), ("活動", "B3"), ("章節", "B2"), ("報告設定", "B3")]
    assert lines[:3] == ["貳拾陸、貳拾陸、國際事務", "一、一、交流專案", "(一) (一)與日本京都市簽署協定"]


def test_the_example_types_no_label_before_a_title():
    from helpers import EXAMPLE

    assert not [p for p in api.load([EXAMPLE]).problems if p.code == "typed-label"]


# --- §3: the key-visitor list: 單位 + 代表 + (視訊) ------------------------------------------------------

def test_a_video_visit_already_marked_is_not_marked_twice(tmp_path):
    _outcome, lines = _load(write_workbook(tmp_path / "a.xlsx", visits=[
        {**VISITS[0], "代表": "孫曉雅處長（視訊）", "形式": "視訊"}]))
    assert lines[-1] == "日本京都市孫曉雅處長(視訊)等。"


def test_a_representative_beginning_with_the_organisation_is_a_warning(tmp_path):
    outcome, lines = _load(write_workbook(tmp_path / "a.xlsx", visits=[
        {**VISITS[0], "代表": "日本京都市門川大作市長"}]))
    [warned] = [p for p in outcome.problems if p.code == "organisation-twice"]
    assert (warned.location.sheet, warned.location.cell) == ("訪賓", "D2")
    assert "日本京都市日本京都市門川大作市長" in warned.message
    assert lines[-1] == "日本京都市日本京都市門川大作市長(視訊)等。"  # printed as typed
