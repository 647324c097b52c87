"""前言 sentence templates: the placeholders of SPEC §5 and the errors staff see."""

from __future__ import annotations

import datetime as dt

import pytest

from reportgen.check.templating import TemplateProblem, context, jinja_source, render
from reportgen.models import Settings, VisitStats
from reportgen.schema import PLACEHOLDERS

SETTINGS = Settings(chapter=26, title="國際事務", start=dt.date(2021, 7, 1), end=dt.date(2021, 12, 31))
STATS = VisitStats(cases=16, people=101, video_cases=4, in_person_cases=12)


def test_every_placeholder_has_a_value():
    values = context(SETTINGS, STATS)
    assert set(values) == set(PLACEHOLDERS)
    assert values == {"期間": "7月至12月", "期間全稱": "110年7月至12月", "年度": 110, "案數": 16,
                      "人數": 101, "視訊案數": 4, "實體案數": 12}


def test_seed_sentence():
    source = "本府行政暨國際處{{ 期間 }}辦理訪賓接待，計{{ 案數 }}案、{{ 人數 }}人到訪。"
    assert render(source, context(SETTINGS, STATS)) == "本府行政暨國際處7月至12月辦理訪賓接待，計16案、101人到訪。"


def test_period_across_years():
    settings = Settings(chapter=1, title="t", start=dt.date(2021, 7, 1), end=dt.date(2022, 6, 30))
    assert render("{{ 期間 }}", context(settings, STATS)) == "110年7月至111年6月"


def test_plain_text_passes_through():
    assert render("沒有代入值，(含線上)", {}) == "沒有代入值，(含線上)"


def test_unknown_placeholder_lists_the_known_ones():
    with pytest.raises(TemplateProblem) as caught:
        render("計{{ 件數 }}案", context(SETTINGS, STATS))
    assert "件數" in caught.value.message
    assert all(name in caught.value.fix for name in PLACEHOLDERS)


def test_syntax_error_is_a_problem():
    with pytest.raises(TemplateProblem, match="語法"):
        render("計{{ 案數 案", context(SETTINGS, STATS))


@pytest.mark.parametrize("source", [
    "{{ " + "-" * 3000 + "1 }}",
    "{{ " + "(" * 1500 + "1" + ")" * 1500 + " }}",
    "{% if 1 %}" * 400 + "x" + "{% endif %}" * 400,
])
def test_deep_nesting_is_a_problem_not_a_crash(source):
    with pytest.raises(TemplateProblem, match="巢狀太深"):
        render(source, context(SETTINGS, STATS))


VALUES = context(SETTINGS, STATS)


@pytest.mark.parametrize(("source", "expected"), [
    ("｛｛ 期間 ｝｝", "7月至12月"),  # what a Chinese input method types
    ("｛｛期間｝｝計｛｛案數｝｝案", "7月至12月計16案"),  # after normalization removed the spaces
    ("{｛ 期間 }｝", "7月至12月"),  # half and full forms mixed
    ("｛{ 期間 ｝}", "7月至12月"),
    ("｛｛　期間　｝｝", "7月至12月"),  # ideographic spaces inside
    ("｛％ if 視訊案數 ％｝其中視訊｛｛ 視訊案數 ｝｝案。｛％ endif ％｝", "其中視訊4案。"),
    ("{％ if 視訊案數 %｝有{% else ％}無｛% endif %}", "有"),
    ("｛％if 視訊案數＞０％｝有｛％else％｝無｛％endif％｝", "有"),  # full-width operators and digits
    ("{% if 案數！= 0 %}有{% endif %}", "有"),  # `!` widened beside CJK by normalization
    ("｛｛ （案數 － 視訊案數） ｝｝", "12"),  # 括號 全形 widens the parentheses of a tag too
    ("｛｛ ＂（含線上）＂ if 視訊案數 else ＂＂ ｝｝", "（含線上）"),  # quotes typed full-width
    ("｛｛ “共” ~ 案數 ~ “案” ｝｝", "共16案"),  # curly quotes
    ("｛｛ '，：' ~ 期間 ｝｝", "，：7月至12月"),  # quoted text stays as typed
    ("｛＃ 註解 ＃｝計｛｛ 案數 ｝｝案", "計16案"),
    ("{% raw %}｛｛ 原文 ｝｝{% endraw %}", "｛｛ 原文 ｝｝"),  # raw content stays as typed
    ("｛％ raw ％｝{{ 原文 }}｛％ endraw ％｝", "{{ 原文 }}"),
    ("全形大括號｛註｝不是代入值", "全形大括號｛註｝不是代入值"),
])
def test_full_width_delimiters_are_jinja_delimiters(source, expected):
    assert render(source, VALUES) == expected


def test_jinja_source_keeps_the_lines():
    source = "第一段｛｛ 期間 ｝｝\n\n第二段｛％ if 案數 ％｝有｛％ endif ％｝"
    assert jinja_source(source) == "第一段{{ 期間 }}\n\n第二段{% if 案數 %}有{% endif %}"


def test_syntax_error_line_counts_full_width_tags():
    with pytest.raises(TemplateProblem, match="第 3 行"):
        render("｛｛ 期間 ｝｝\n\n計｛｛ 案數 案 ｝｝", VALUES)


@pytest.mark.parametrize("source", [
    "{{ 案數 == 案數 }}", "{{ 視訊案數 > 0 }}", "{{ not 案數 }}", "{{ 案數 > 1 and 人數 }}",
    "{{ 期間 if 案數 else 案數 == 0 }}", "{{ true }}", "{{ False }}", "｛｛ 案數 ＝＝ 案數 ｝｝",
    # printed only when the branch is taken, but refused before rendering all the same
    "{% if 視訊案數 == 0 %}{{ 案數 != 0 }}{% endif %}",
])
def test_a_printed_comparison_is_an_error(source):
    with pytest.raises(TemplateProblem) as caught:
        render(source, VALUES)
    assert caught.value.message == "前言的 {{ }} 會印出判斷的結果（True 或 False），不是文字或數字。"
    assert "{% if" in caught.value.fix


@pytest.mark.parametrize(("source", "message"), [
    ("{{ None }}", "前言的 {{ }} 會印出空值（None）。"),
    ("{{ none }}", "前言的 {{ }} 會印出空值（None）。"),
    ("{{ 案數 if 視訊案數 else none }}", "前言的 {{ }} 會印出空值（None）。"),
    ("{{ 1e999 }}", "前言的計算結果超出數字的範圍（無限大或不是數字）。"),
    ("{{ 1e308 + 1e308 }}", "前言的計算結果超出數字的範圍（無限大或不是數字）。"),  # was a NameError
    ("{{ " + "1" * 5000 + " }}", "前言裡的數字太長，無法處理。"),
])
def test_only_text_and_numbers_print(source, message):
    with pytest.raises(TemplateProblem) as caught:
        render(source, VALUES)
    assert caught.value.message == message


@pytest.mark.parametrize("name", ["self", "loop", "super", "range", "varargs", "caller", "namespace"])
def test_jinja_names_are_unknown_placeholders(name):
    with pytest.raises(TemplateProblem) as caught:
        render(f"{{{{ {name} }}}}", VALUES)
    assert caught.value.message == f"不認得的代入值：{name}。"
    assert caught.value.fix == ("可用的代入值：{{ 期間 }}、{{ 期間全稱 }}、{{ 年度 }}、{{ 案數 }}、{{ 人數 }}、"
                                "{{ 視訊案數 }}、{{ 實體案數 }}。")


def test_unknown_names_inside_a_condition_are_listed_too():
    with pytest.raises(TemplateProblem) as caught:
        render("{% if 視訊 %}{{ 件數 }}{% endif %}", VALUES)
    assert caught.value.message == "不認得的代入值：件數、視訊。"


@pytest.mark.parametrize(("source", "expected"), [
    ("{% if 視訊案數 %}其中視訊{{ 視訊案數 }}案。{% endif %}", "其中視訊4案。"),
    ("{% if 視訊案數 == 0 %}皆為實體。{% else %}實體{{ 實體案數 }}案。{% endif %}", "實體12案。"),
    ("{{ '（含線上）' if 視訊案數 }}", "（含線上）"),  # no else: prints nothing when false
    ("{{ '（含線上）' if 視訊案數 == 0 }}", ""),
    ("{{ 年度 }}年{{ 案數 - 視訊案數 }}案{{ 1.5 }}", "110年12案1.5"),
])
def test_conditions_and_numbers_still_work(source, expected):
    assert render(source, VALUES) == expected


def test_output_limit_message_is_not_swallowed(monkeypatch):
    monkeypatch.setattr("reportgen.check.templating.MAX_OUTPUT", 10)
    with pytest.raises(TemplateProblem, match="過長"):
        render("{{ 期間全稱 }}{{ 期間全稱 }}{{ 期間全稱 }}", VALUES)


# --- what a {{ }} can print: judged from the expression, whichever branch the data takes ----------

_BOOL = "前言的 {{ }} 會印出判斷的結果（True 或 False），不是文字或數字。"
_NONE = "前言的 {{ }} 會印出空值（None）。"
_INFINITE = "前言的計算結果超出數字的範圍（無限大或不是數字）。"


@pytest.mark.parametrize(("source", "message"), [
    ("{{ 期間 ~ (案數 > 1) }}", _BOOL),  # printed 7月至12月False
    ("{{ (案數 > 1) ~ '' }}", _BOOL),  # printed True
    ("{{ '' ~ (not 案數) }}", _BOOL),  # printed False
    ("{{ 期間 ~ true }}", _BOOL),
    ("{{ 期間 ~ (案數 > 1 and 人數) }}", _BOOL),  # False when 案數 ≤ 1
    ("{{ 期間 ~ (人數 or 案數 > 1) }}", _BOOL),  # True when 人數 is 0
    ("{{ 期間 ~ (期間 if 案數 else 案數 == 0) }}", _BOOL),
    ("{% if 案數 == 0 %}{{ 期間 ~ (人數 > 1) }}{% endif %}", _BOOL),  # branch not taken today
    ("{% if 期間 ~ (案數 > 1) %}有{% endif %}", _BOOL),  # a ~ makes text, wherever it is
    ("{{ none ~ 期間 }}", _NONE),  # printed None7月至12月
    ("{{ 期間 ~ ('' if 案數 else none) }}", _NONE),
    ("{{ 期間 ~ 1e999 }}", _INFINITE),  # printed 7月至12月inf
    ("{{ '' ~ (1e308 + 1e308) }}", _INFINITE),  # known only when rendering
])
def test_what_a_tilde_joins_is_held_to_what_a_tag_may_print(source, message):
    with pytest.raises(TemplateProblem) as caught:
        render(source, VALUES)
    assert caught.value.message == message


@pytest.mark.parametrize(("source", "cases", "expected"), [
    ("{{ 案數 > 1 and '多' or '少' }}", 16, "多"),  # and/or print one of their operands
    ("{{ 案數 > 1 and '多' or '少' }}", 0, "少"),
    ("{{ 期間 ~ (案數 > 1 and '多' or '少') ~ '案' }}", 0, "7月至12月少案"),
    ("{{ 案數 == 0 and '' or 期間 }}", 16, "7月至12月"),
    ("{{ not 視訊案數 and '無' or 視訊案數 }}", 16, "4"),
    ("{{ 案數 and 期間 }}", 0, "0"),  # a falsy number prints as the number
    ("{{ 期間 ~ ('（含線上）' if 視訊案數 == 0) }}", 16, "7月至12月"),  # no else: nothing, as alone
    ("{{ true and '是' }}", 16, "是"),  # the operand that cannot print is not printed
    ("{{ '' or 期間 }}", 16, "7月至12月"),
])
def test_and_or_and_if_print_their_operands(source, cases, expected):
    assert render(source, {**VALUES, "案數": cases}) == expected


@pytest.mark.parametrize("source", [
    "{{ 案數 > 1 or '少' }}",  # True when 案數 > 1
    "{{ 案數 > 1 and '多' }}",  # False when 案數 ≤ 1
    "{{ 案數 > 1 and '多' or 人數 > 1 }}",
    "{{ '多' if 案數 > 1 else 案數 > 0 and '少' }}",
])
def test_and_or_that_can_print_a_comparison_are_errors(source):
    with pytest.raises(TemplateProblem) as caught:
        render(source, VALUES)
    assert caught.value.message == _BOOL


@pytest.mark.parametrize(("source", "expected"), [
    ("{{ 年度 + 1 }}年", "111年"),  # next year
    ("{{ 案數 - 1 }}", "15"),
    ("{{ -視訊案數 + 人數 }}", "97"),
    ("{{ 期間 + '辦理' }}", "7月至12月辦理"),  # + of two texts joins them, as ~ does
])
def test_numbers_add_and_subtract(source, expected):
    assert render(source, VALUES) == expected


@pytest.mark.parametrize(("source", "label"), [
    ("{{ 人數 / 2 }}", "除法（/ 或 //）"),  # 50.5 people is not a count
    ("{{ 人數 // 2 }}", "除法（/ 或 //）"),
    ("{{ '%s' % 案數 }}", "% 運算（取餘數或格式化文字）"),
    ("{{ '%999999999d' % 案數 }}", "% 運算（取餘數或格式化文字）"),  # a billion spaces
    ("{{ 案數 * 2 }}", "乘法（*）"),
    ("{{ 2 ** 3 }}", "次方（**）"),
])
def test_arithmetic_other_than_add_and_subtract_is_refused(source, label):
    with pytest.raises(TemplateProblem) as caught:
        render(source, VALUES)
    assert caught.value.message == f"前言含有不允許的寫法：{label}。"
    assert "{{ 年度 + 1 }}" in caught.value.fix


@pytest.mark.parametrize(("source", "found"), [
    ("{{ (案數 > 1) + 0 }}", "判斷的結果（True 或 False）"),  # printed 1
    ("{{ -(案數 > 1) }}", "判斷的結果（True 或 False）"),  # printed -1
    ("{{ 年度 + none }}", "空值（None）"),
    ("{{ 期間 + 1 }}", "文字"),
    ("{{ 案數 - 期間 }}", "文字"),
    ("{% if 案數 == 0 %}{{ 期間 - 1 }}{% endif %}", "文字"),  # branch not taken today
    ("{{ ('x' if 案數) + 1 }}", "沒有 else 的 if（條件不成立時沒有值）"),
])
def test_add_and_subtract_take_numbers_only(source, found):
    with pytest.raises(TemplateProblem) as caught:
        render(source, VALUES)
    assert caught.value.message == f"前言的加減用到{found}，不是數字。"
    assert "~" in caught.value.fix and "{% if" in caught.value.fix


def test_a_placeholder_without_a_value_is_not_printed_as_nothing():
    with pytest.raises(TemplateProblem) as caught:
        render("計{{ 案數 }}案{{ '' }}", {"期間": "7月至12月"})
    assert caught.value.message == "不認得的代入值：案數。"


@pytest.mark.parametrize("source", [
    "{{ " + " + ".join(["案數"] * 300) + " }}",  # Python's compiler refused it: a SyntaxError escaped
    "{{ " + " and ".join(["案數"] * 250) + " }}",
    "{{ " + "'a' if 案數 else " * 220 + "'b' }}",
])
def test_long_chains_are_a_problem_not_a_crash(source):
    with pytest.raises(TemplateProblem, match="巢狀太深"):
        render(source, VALUES)
