"""A second reading of SPEC.md, clause by clause: cases where the product did not do what the
contract says, each written as a black-box check through the library API or the CLI.

Every test names the SPEC sentence it checks; workbooks come from helpers.write_workbook.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import SECTIONS, VISITS, write_workbook
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


def test_an_intro_that_is_the_whole_preface_leaves_an_empty_section(tmp_path):
    sections = [SECTIONS[0], {**SECTIONS[1], "前言": "主要訪團代表為："}]
    outcome, lines = _load(write_workbook(tmp_path / "a.xlsx", sections=sections,
                                          visits=[{**VISITS[0], "主要訪團": "否"}]))
    assert [code for *_, code in _codes(outcome)] == ["dangling-intro", "empty-section"]
    assert lines[-1] == "二、訪賓"
