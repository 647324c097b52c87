"""ODF spreadsheets (.ods from LibreOffice Calc) are read with the same contract as .xlsx.

tests/fixtures/範例_110年下半年_國際事務.ods is the example workbook saved by Calc:
`soffice --headless --convert-to ods inputs/範例_110年下半年_國際事務.xlsx`.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from conftest import digest
from helpers import EXAMPLE, EXPECTED_CHAPTER, FIXTURES, write_workbook
from reportgen import load
from reportgen.convert import Soffice

EXAMPLE_ODS = FIXTURES / "範例_110年下半年_國際事務.ods"
EXPECTED = EXPECTED_CHAPTER.read_text(encoding="utf-8").splitlines()
def needs_soffice(test):
    """A LibreOffice round trip: seconds each, so behind the slow marker (CI runs it)."""
    skip = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
    return pytest.mark.slow(skip(test))


def test_ods_example_builds_the_same_chapter_byte_for_byte(tmp_path, cli):
    from_xlsx, from_ods = tmp_path / "xlsx.docx", tmp_path / "ods.docx"
    assert cli("build", EXAMPLE, "-o", from_xlsx).code == 0
    result = cli("build", EXAMPLE_ODS, "-o", from_ods)
    assert result.code == 0, result.err
    assert result.out.splitlines()[1] == "共 2 節、14 項活動、16 案訪賓（101 人）；警告 0 項。"
    assert digest(from_ods) == digest(from_xlsx)
    assert cli("preview", EXAMPLE_ODS).out.splitlines() == EXPECTED


def test_a_folder_holding_an_ods_is_read(tmp_path, cli):
    folder = tmp_path / "inputs"
    folder.mkdir()
    shutil.copy(EXAMPLE_ODS, folder)
    (folder / ".~lock.範例_110年下半年_國際事務.ods#").write_text("Calc's lock file")
    assert cli("preview", folder).out.splitlines() == EXPECTED


def problem_keys(path: Path) -> list[tuple[str, str, str, str, str]]:
    outcome = load([path])
    return [(p.location.sheet, p.location.cell, p.location.header, p.code, p.severity.value)
            for p in outcome.problems.sorted()]


@needs_soffice
def test_problems_in_an_ods_name_the_same_cells_as_in_xlsx(tmp_path):
    """The same broken workbook, saved as .xlsx and by Calc as .ods, gives the same problem list."""
    xlsx = write_workbook(
        tmp_path / "錯誤.xlsx",
        settings={"章次": 26, "章名": "國際事務", "期間起": dt.date(2021, 7, 1), "期間迄": "110/12/31"},
        activities=[
            {"節次": 1, "標題": "視訊會議", "開始日期": dt.date(2021, 9, 8), "內容": "舉行視訊會議。"},
            {"節次": 3, "標題": "不存在的節", "開始日期": "110/2/30", "內容": "內容"},
            {"節次": 1, "標題": "", "開始日期": "110/10/1", "結束日期": "110/9/1", "內容": "沒有標題"},
        ],
        visits=[
            {"日期": dt.date(2021, 9, 10), "單位": "日本京都市", "代表": "門川大作市長", "人數": 5},
            {"日期": "110/9/11", "單位": "美國在台協會", "代表": "處長", "人數": "abc", "形式": "飛鴿"},
        ])
    with Soffice() as office:
        ods = tmp_path / "錯誤.ods"
        ods.write_bytes(office.convert(xlsx, "ods"))
    from_xlsx = problem_keys(xlsx)
    assert {("活動", "C3", "開始日期"), ("訪賓", "E3", "人數")} <= {k[:3] for k in from_xlsx}
    assert problem_keys(ods) == from_xlsx
