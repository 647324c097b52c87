"""Dates in every form staff type, and ROC formatting."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportgen.dates import DateError, Day, parse_day, period_text, roc_date

D = dt.date(2021, 9, 8)


@pytest.mark.parametrize("text", [
    "110/9/8", "110-9-8", "110.9.8", "110.09.08", "110年9月8日", "民國110年9月8日", "1100908",
    "2021/9/8", "2021-09-08", "2021年9月8日", "１１０/９/８", "110 / 9 / 8", "110年 9月 8日",
    "110年9月8", "110/09/08", "110年09月08日", "民國 110 年 9 月 8 日", "民國110/9/8", "１１０．９．８",
    "１１０．０９．０８", "民國１１０年９月８日", "１１００９０８", "２０２１－０９－０８", "110年9月8號",
    "110\u3000年\u30009月\u30008日", "2021.9.8", "20210908",
])
def test_day_forms(text):
    assert parse_day(text) == Day(D)


@pytest.mark.parametrize("text", ["110/9", "110年9月", "2021/9", "110-09", "１１０／９", "１１０年９月", "民國110年9月",
                                  "110年09月", "110.9"])
def test_month_forms(text):
    day = parse_day(text)
    assert day.month_only
    assert (day.first, day.last) == (dt.date(2021, 9, 1), dt.date(2021, 9, 30))
    assert day.roc() == "110年9月"


@pytest.mark.parametrize("value", [dt.date(2021, 9, 8), dt.datetime(2021, 9, 8, 0, 0), 1100908.0, 1100908,
                                   20210908, 20210908.0])
def test_cell_values(value):
    assert parse_day(value) == Day(D)


@pytest.mark.parametrize("text", [
    "110/2/30", "110/13/1", "110/0/5", "110/9/0", "110/9/31", "0/1/1", "abc", "", "110",
    "2021/02/29", "11009080", "9999/12/31", "1911/12/31",
])
def test_impossible_or_unknown(text):
    with pytest.raises(DateError):
        parse_day(text)


@pytest.mark.parametrize("value", [110.9, 110.1, 110.12, 1100908.5])
def test_a_number_with_a_fraction_is_not_guessed(value):
    # `110.10` typed into an Excel cell is stored as the number 110.1: October or January?
    with pytest.raises(DateError):
        parse_day(value)


def test_leap_day():
    assert parse_day("109/2/29").date == dt.date(2020, 2, 29)
    assert parse_day("110/2").last == dt.date(2021, 2, 28)


@pytest.mark.parametrize("value", [dt.date(9999, 12, 31), dt.datetime(1900, 1, 1), dt.date(1910, 12, 31)])
def test_date_cells_outside_roc_years_are_refused(value):
    with pytest.raises(DateError):
        parse_day(value)


def test_last_day_of_the_last_year_is_a_month_end():
    assert period_text(dt.date(2910, 12, 1), dt.date(2910, 12, 31), with_year=True) == "999年12月"


def test_bool_is_not_a_date():
    with pytest.raises(DateError):
        parse_day(True)


roc_days = st.dates(min_value=dt.date(1912, 1, 1), max_value=dt.date(2910, 12, 31))


@given(roc_days)
def test_every_form_reads_back(date):
    y, m, d = date.year - 1911, date.month, date.day
    forms = [f"{y}/{m}/{d}", f"{y}-{m}-{d}", f"{y}.{m:02d}.{d:02d}", f"{y}年{m}月{d}日",
             f"民國{y}年{m}月{d}日", roc_date(date)]
    if y >= 100:
        forms.append(f"{y:03d}{m:02d}{d:02d}")
    if date.year >= 1000:
        forms += [f"{date.year}/{m}/{d}", date.isoformat(), f"{date.year}年{m}月{d}日"]
    full_width = str.maketrans("0123456789", "０１２３４５６７８９")
    forms.append(forms[0].translate(full_width))
    for form in forms:
        assert parse_day(form).date == date, form


@given(st.integers(1, 300), st.integers(1, 12), st.integers(29, 40))
def test_days_past_month_end_are_refused(y, m, d):
    try:
        dt.date(y + 1911, m, d)
    except ValueError:
        with pytest.raises(DateError):
            parse_day(f"{y}/{m}/{d}")
    else:
        assert parse_day(f"{y}/{m}/{d}").date.day == d


@pytest.mark.parametrize(("start", "end", "short", "full"), [
    ((2021, 7, 1), (2021, 12, 31), "7月至12月", "110年7月至12月"),
    ((2021, 7, 1), (2022, 6, 30), "110年7月至111年6月", "110年7月至111年6月"),
    ((2021, 9, 1), (2021, 9, 30), "9月", "110年9月"),
    ((2021, 7, 15), (2021, 12, 20), "7月15日至12月20日", "110年7月15日至12月20日"),
])
def test_period_text(start, end, short, full):
    s, e = dt.date(*start), dt.date(*end)
    assert period_text(s, e, with_year=False) == short
    assert period_text(s, e, with_year=True) == full


@pytest.mark.parametrize(("value", "day"), [
    (dt.date(110, 9, 8), dt.date(2021, 9, 8)),  # an .ods: Calc took a typed 110/9/8 as 110 AD
    (dt.datetime(110, 9, 8), dt.date(2021, 9, 8)),
    (-653532.0, dt.date(2021, 9, 8)),  # the same cell in an .xlsx Calc wrote: a negative serial
    (dt.date(1, 1, 1), dt.date(1912, 1, 1)),
    (dt.date(999, 12, 31), dt.date(2910, 12, 31)),
])
def test_a_date_cell_below_the_year_1000_is_the_roc_date_typed(value, day):
    from reportgen.dates import typed_form, western_year_date

    assert parse_day(value) == Day(day)
    assert typed_form(western_year_date(value)) == f"{day.year - 1911}/{day.month}/{day.day}"


def test_a_western_leap_day_that_is_no_roc_date_is_an_error():
    with pytest.raises(DateError, match="108/2/29"):
        parse_day(dt.date(108, 2, 29))  # 108 AD is a leap year; ROC 108 (2019) is not


@pytest.mark.parametrize("typed", ["111年1月5日(三)", "111/1/5（三）", "111年1月5日 星期三", "111/1/5 週三",
                                   "111/1/5（週三）", "2022/1/5(三)"])
def test_a_day_of_the_week_after_a_full_date_is_read_past(typed):
    """Staff add the weekday to a date (`111年1月5日(三)`): the date is what they typed."""
    assert parse_day(typed).first == dt.date(2022, 1, 5)


@pytest.mark.parametrize("typed", ["111年1月5日(三日)", "111/1/5(X)", "111/1/5(上午)"])
def test_other_text_after_a_date_is_still_refused(typed):
    with pytest.raises(DateError):
        parse_day(typed)
