"""Chinese numerals for chapter and section labels."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportgen.numerals import formal, lower

DIGITS = {c: i for i, c in enumerate("零壹貳參肆伍陸柒捌玖")} | {c: i for i, c in enumerate("〇一二三四五六七八九")}
UNITS = {"拾": 10, "十": 10, "佰": 100, "百": 100}


def read_numeral(text: str) -> int:
    """An independent reader: sum of digit × unit, a bare unit counting as one of it."""
    total, pending = 0, None
    for char in text:
        if char in UNITS:
            total += (1 if pending is None else pending) * UNITS[char]
            pending = None
        elif char in ("零", "〇"):
            pending = None
        else:
            pending = DIGITS[char]
    return total + (pending or 0)


@pytest.mark.parametrize(("n", "text"), [
    (1, "壹"), (9, "玖"), (10, "拾"), (11, "拾壹"), (19, "拾玖"), (20, "貳拾"), (26, "貳拾陸"),
    (99, "玖拾玖"), (100, "壹佰"), (101, "壹佰零壹"), (110, "壹佰壹拾"), (111, "壹佰壹拾壹"),
    (120, "壹佰貳拾"), (999, "玖佰玖拾玖"),
])
def test_formal(n, text):
    assert formal(n) == text


@pytest.mark.parametrize(("n", "text"), [
    (1, "一"), (10, "十"), (11, "十一"), (14, "十四"), (20, "二十"), (21, "二十一"), (100, "一百"),
    (101, "一百零一"), (110, "一百一十"), (999, "九百九十九"),
])
def test_lower(n, text):
    assert lower(n) == text


@pytest.mark.parametrize("n", [0, -1, 1000])
def test_out_of_range(n):
    with pytest.raises(ValueError):
        formal(n)
    with pytest.raises(ValueError):
        lower(n)


@given(st.integers(1, 999))
def test_numerals_read_back(n):
    assert read_numeral(formal(n)) == n
    assert read_numeral(lower(n)) == n


@given(st.integers(1, 999))
def test_formal_is_lower_in_capitals(n):
    capitals = str.maketrans("一二三四五六七八九十百", "壹貳參肆伍陸柒捌玖拾佰")
    assert lower(n).translate(capitals) == formal(n)


@given(st.integers(1, 999))
def test_zero_only_bridges_a_gap(n):
    text = formal(n)
    assert ("零" in text) == (n >= 100 and n // 10 % 10 == 0 and n % 10 != 0)
    assert not text.endswith("零")
    assert text.startswith("拾") == (10 <= n < 20)
