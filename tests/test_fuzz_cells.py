"""Fuzz: mutate cells of a valid workbook; every run ends with exit 0 or 1 and a message."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from helpers import ACTIVITIES, HEADERS, REPO, SECTIONS, SETTINGS, VISITS, examples, run_cli, write_workbook

TEMPLATE = REPO / "templates" / "report.docx"
SPECIALS = ["\u200b", "\ufeff", "\u202e", "\u3000", "😀", "𠮷", "０９", "（", "）", "{{", "}}", "{%", "_x000B_",
            "_xD800_", "\n", "\n\n", " ", "、", "110/2/30", "民國", "110年9月8日", "=SUM(A1)", "&amp;", "<t>"]
TEXT = st.lists(st.one_of(st.sampled_from(SPECIALS), st.text(max_size=12)), max_size=8).map(
    lambda parts: ILLEGAL_CHARACTERS_RE.sub("", "".join(parts)))  # openpyxl refuses C0 controls
HUGE = st.builds(lambda piece, n: (piece or "長") * n, TEXT, st.integers(1_000, 40_000))
VALUES = st.one_of(
    st.none(),
    TEXT,
    HUGE,
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(dt.date(1900, 3, 1), dt.date(9999, 12, 31)),
    st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(9999, 12, 31)),
    st.sampled_from(["110/9/8", "110/9", "2021-09-08", "1100908", "是", "否", "視訊", "活動", "訪賓", "文字", "全形"]),
)
ROWS = {
    "章節": SECTIONS,
    "活動": [*ACTIVITIES, {**ACTIVITIES[0], "標題": "第二項", "開始日期": "110/10/1", "結束日期": "110/10/3"}],
    "訪賓": [*VISITS, {**VISITS[0], "日期": "110/11/2", "單位": "美國某市", "形式": "實體", "主要訪團": "否"}],
}
MUTATION = st.one_of(
    st.tuples(st.just("報告設定"), st.just(0), st.sampled_from([*SETTINGS, "括號"]), VALUES),
    *(st.tuples(st.just(sheet), st.integers(0, len(rows) - 1), st.sampled_from(HEADERS[sheet]), VALUES)
      for sheet, rows in ROWS.items()),
)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(MUTATION, min_size=1, max_size=5))
def test_mutated_workbooks_never_crash(mutations):
    settings_rows = dict(SETTINGS)
    rows = {sheet: [dict(row) for row in table] for sheet, table in ROWS.items()}
    for sheet, index, header, value in mutations:
        target = settings_rows if sheet == "報告設定" else rows[sheet][index]
        target[header] = value
    with tempfile.TemporaryDirectory() as folder:
        book = write_workbook(Path(folder) / "fuzz.xlsx", settings=settings_rows, sections=rows["章節"],
                              activities=rows["活動"], visits=rows["訪賓"])
        output = Path(folder) / "out.docx"
        result = run_cli("build", book, "-o", output, "--template", TEMPLATE)
        assert "Traceback" not in result.err and "內部錯誤" not in result.err
        errors = [line for line in result.err.splitlines() if line.startswith("錯誤　")]
        if errors:  # a problem of severity 錯誤 blocks the build: exit 1, nothing written
            assert result.code == 1, (mutations, result.err)
            assert result.err.rstrip().endswith("未產生檔案。") and not output.exists()
            assert result.out == ""
        else:  # warnings at most: the chapter is written
            assert result.code == 0, (mutations, result.err)
            assert result.out.startswith("已產生") and output.stat().st_size > 0
