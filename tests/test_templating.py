"""前言 sentence templates: the placeholders of SPEC §5 and the errors staff see."""

from __future__ import annotations

import datetime as dt

import pytest

from reportgen.models import Settings, VisitStats
from reportgen.schema import PLACEHOLDERS
from reportgen.templating import TemplateProblem, context, render

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
