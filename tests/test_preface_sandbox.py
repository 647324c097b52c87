"""前言 templates: only placeholders and simple conditions; tricks and explosions are errors at 章節!D."""

from __future__ import annotations

import pytest

from helpers import SECTIONS, SETTINGS, write_workbook
from reportgen import load

HOSTILE_PREFACES = {
    "attribute": "{{ ''.__class__ }}",
    "subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "item": "{{ 期間[0] }}",
    "nested-loops": "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
    "loop-over-placeholder": "{% for c in 期間全稱 %}{{ c }}{% endfor %}",
    "string-times": "{{ '字' * 1000000000 }}",
    "power": "{{ 9 ** 9 ** 9 }}",
    "filter": "{{ 期間 | replace('月', '月' * 1000) }}",
    "set": "{% set x = 期間 %}{{ x }}",
    "macro": "{% macro m() %}x{% endmacro %}{{ m() }}",
    "global-function": "{{ lipsum(1000) }}",
    "global-object": "{{ cycler }}",
    "include": "{% include '/etc/passwd' %}",
    "self": "{{ self }}",
    "full-width-self": "｛｛ self ｝｝",
    "printed-comparison": "{{ 案數 == 案數 }}",
    "printed-none": "{{ None }}",
    "printed-bool": "{{ 視訊案數 > 0 }}",
    "full-width-attribute": "｛｛ 期間．__class__ ｝｝",
    "bool-in-tilde": "{{ 期間 ~ (案數 > 1) }}",
    "none-in-tilde": "{{ none ~ 期間 }}",
    "bool-as-number": "{{ (案數 > 1) + 0 }}",
    "division": "{{ 人數 / 2 }}",
    "percent-format": "{{ '%999999999d' % 案數 }}",
}


def preface_problems(tmp_path, preface: str) -> list[tuple[str, str, str]]:
    sections = [SECTIONS[0], {**SECTIONS[1], "前言": preface}]
    book = write_workbook(tmp_path / "p.xlsx", sections=sections)
    outcome = load([book])
    return [(p.location.file, f"{p.location.sheet}!{p.location.cell}", p.code) for p in outcome.problems]


@pytest.mark.parametrize("preface", HOSTILE_PREFACES.values(), ids=HOSTILE_PREFACES.keys())
def test_hostile_preface_is_an_error_at_its_cell(tmp_path, preface):
    assert preface_problems(tmp_path, preface) == [("p.xlsx", "章節!D3", "bad-template")]


@pytest.mark.parametrize("preface, expected", [
    ("{{ 期間 }}計{{ 案數 }}案、{{ 人數 }}人。", "7月至12月計1案、5人。"),
    ("{% if 視訊案數 > 0 %}其中視訊{{ 視訊案數 }}案。{% else %}皆為實體。{% endif %}", "其中視訊1案。"),
    ("實體{{ 案數 - 視訊案數 }}案{{ '（含線上）' if 視訊案數 else '' }}。", "實體0案(含線上)。"),
    ("{{ 年度 ~ '年' }}{# 註解不印 #}{% raw %}{{ 原文 }}{% endraw %}", "110年{{ 原文 }}"),
    # full-width delimiters, as a Chinese input method types them, and mixed forms
    ("｛｛ 期間 ｝｝計｛｛ 案數 ｝｝案、{｛ 人數 }｝人。", "7月至12月計1案、5人。"),
    ("｛％ if 視訊案數 ％｝其中視訊｛｛ 視訊案數 ｝｝案。｛％ endif ％｝", "其中視訊1案。"),
    ("｛％ if 案數 != 0 ％｝有訪賓。｛％ endif ％｝", "有訪賓。"),  # `!` is widened beside CJK first
    ("｛｛　期間全稱　｝｝\n辦理訪賓接待。", "110年7月至12月辦理訪賓接待。"),
    ("計{{ 案數 }}案，案數{{ 案數 > 1 and '多' or '少' }}；{{ 年度 + 1 }}年續辦。", "計1案，案數少；111年續辦。"),
])
def test_placeholders_and_simple_conditions_still_work(cli, project, tmp_path, preface, expected):
    sections = [SECTIONS[0], {**SECTIONS[1], "前言": preface}]
    book = write_workbook(tmp_path / "ok.xlsx", sections=sections)
    result = cli("preview", book)
    assert result.code == 0, result.err
    assert result.out.splitlines()[4:6] == ["二、訪賓", expected]


def test_attribute_trick_message_through_the_cli(cli, project, tmp_path):
    sections = [SECTIONS[0], {**SECTIONS[1], "前言": HOSTILE_PREFACES["attribute"]}]
    book = write_workbook(tmp_path / "trick.xlsx", sections=sections)
    result = cli("build", book, "-o", tmp_path / "out.docx")
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        "錯誤　trick.xlsx 章節!D3（前言）：前言含有不允許的寫法：屬性或索引（. 或 [ ]）。"
        "　前言只能使用代入值（{{ 期間 }}、{{ 期間全稱 }}、{{ 年度 }}、{{ 案數 }}、{{ 人數 }}、"
        "{{ 視訊案數 }}、{{ 實體案數 }}）與簡單的 {% if %} 判斷。")
    assert not (tmp_path / "out.docx").exists()


def test_loop_message_names_the_loop(cli, project, tmp_path):
    sections = [SECTIONS[0], {**SECTIONS[1], "前言": HOSTILE_PREFACES["nested-loops"]}]
    result = cli("validate", write_workbook(tmp_path / "loop.xlsx", sections=sections))
    assert result.code == 1
    assert "章節!D3（前言）：前言含有不允許的寫法：迴圈（{% for %}）。" in result.out


@pytest.mark.parametrize(("preface", "message"), [
    ("{{ self }}", "不認得的代入值：self。"),
    ("｛｛ 案數 == 案數 ｝｝", "前言的 {{ }} 會印出判斷的結果（True 或 False），不是文字或數字。"),
    ("{{ None }}", "前言的 {{ }} 會印出空值（None）。"),
    ("{{ 期間 ~ (案數 > 1) }}", "前言的 {{ }} 會印出判斷的結果（True 或 False），不是文字或數字。"),
    ("{{ (案數 > 1) + 0 }}", "前言的加減用到判斷的結果（True 或 False），不是數字。"),
])
def test_what_cannot_print_is_an_error_at_the_cell(cli, tmp_path, preface, message):
    sections = [SECTIONS[0], {**SECTIONS[1], "前言": preface}]
    result = cli("build", write_workbook(tmp_path / "print.xlsx", sections=sections), "-o", tmp_path / "out.docx")
    assert result.code == 1
    assert result.err.splitlines()[0].startswith(f"錯誤　print.xlsx 章節!D3（前言）：{message}　")
    assert not (tmp_path / "out.docx").exists()


def test_full_width_parentheses_setting_leaves_tags_working(cli, project, tmp_path):
    # With 括號 全形 the parentheses of a tag are widened along with the prose; Jinja still reads them.
    sections = [SECTIONS[0], {**SECTIONS[1], "前言": "實體{{ (案數 - 視訊案數) }}案(含線上)。"}]
    book = write_workbook(tmp_path / "wide.xlsx", settings={**SETTINGS, "括號": "全形"}, sections=sections)
    result = cli("preview", book)
    assert result.code == 0, result.err
    assert result.out.splitlines()[4:6] == ["二、訪賓", "實體0案（含線上）。"]


def test_every_problem_of_one_preface_is_reported_not_only_the_first(tmp_path):
    """SPEC §4: every problem, not only the first — an unknown name and a True/False in one cell."""
    from helpers import SECTIONS, write_workbook
    from reportgen import load

    preface = "{{ 錯 }}計{{ 案數 > 0 }}案。"
    book = write_workbook(tmp_path / "t.xlsx", sections=[SECTIONS[0], {**SECTIONS[1], "前言": preface}])
    found = [p for p in load([book]).problems if p.code == "bad-template"]
    assert [(p.location.sheet, p.location.cell) for p in found] == [("章節", "D3"), ("章節", "D3")]
    assert "錯" in found[0].message and "True" in found[1].message + found[1].fix
