"""Normalization rules of SPEC §4, one test each, and the idempotency property."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.normalize import Cleaned, clean_line, clean_list, clean_prose, describe_removed


def test_vertical_tab_is_a_line_break_in_prose():
    # Word's Shift+Enter pasted into Excel arrives as U+000B; two of them make a blank line.
    assert clean_prose("第一段\v\v第二段").paragraphs == ["第一段", "第二段"]
    assert clean_prose("第一段\v\v第二段").removed == ()


def test_vertical_tab_inside_a_single_line_field_disappears():
    assert clean_line("日本台灣\v交流協會").text == "日本台灣交流協會"
    assert clean_line("Sister\vCities").text == "Sister Cities"


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\u200b", "\u200d", "\ufeff",
                                  "\u202e", "\ufffe", "\uffff", "\U0001fffe", "\ufdd0"])
def test_invisible_characters_are_removed_and_named(char):
    cleaned = clean_line(f"高雄{char}市")
    assert cleaned.text == "高雄市"
    assert cleaned.removed == (char,)


def test_each_removed_character_is_listed_once():
    cleaned = clean_prose("a\u200bb\u200bc\x01")
    assert cleaned.text == "abc"
    assert describe_removed(cleaned.removed) == "U+200B、U+0001"


def test_ordinary_text_reports_nothing_removed():
    assert clean_prose("高雄市 Kaohsiung\n\n第二段").removed == ()


def test_fullwidth_letters_and_digits_become_halfwidth():
    assert clean_line("ＡＰＥＣ　２０２１年").text == "APEC 2021年"


def test_ideographic_space_counts_as_a_space():
    assert clean_line("日台友情\u3000×\u3000高雄").text == "日台友情 × 高雄"
    assert clean_line("日本台灣交\u3000流協會").text == "日本台灣交流協會"


def test_line_break_in_a_single_line_field_is_removed():
    assert clean_line("姊妹市及友好城市\n與國際交流專案").text == "姊妹市及友好城市與國際交流專案"
    assert clean_line("Mayors'\nForum").text == "Mayors' Forum"


def test_prose_blank_line_separates_paragraphs_single_break_is_a_wrapped_line():
    text = "110年9月8日舉行\n視訊會議。\n\n  \n會中雙方\r\n同意合作。"
    assert clean_prose(text).paragraphs == ["110年9月8日舉行視訊會議。", "會中雙方同意合作。"]


def test_a_line_of_only_spaces_counts_as_blank():
    assert clean_prose("甲\n\u3000\u00a0\n乙").paragraphs == ["甲", "乙"]


def test_whitespace_between_cjk_is_removed_other_runs_collapse():
    assert clean_line("日本台灣交 流協會").text == "日本台灣交流協會"
    assert clean_line("  日台友情   ×  高雄 ").text == "日台友情 × 高雄"
    assert clean_line("與 Karol Galek 會談").text == "與 Karol Galek 會談"


def test_punctuation_next_to_cjk_is_widened_other_punctuation_is_kept():
    assert clean_line("會中, 雙方同意; 明年再見!").text == "會中，雙方同意；明年再見！"
    assert clean_line("計1,000人").text == "計1,000人"
    assert clean_line("Mayors' Forum: Asia").text == "Mayors' Forum: Asia"
    assert clean_line("主題:永續").text == "主題：永續"


def test_parentheses_follow_the_setting():
    assert clean_line("會議（視訊）").text == "會議(視訊)"
    assert clean_line("會議(視訊)", parens="全形").text == "會議（視訊）"
    assert clean_prose("大使(Karol Galek)", parens="全形").text == "大使（Karol Galek）"


def test_list_items_split_on_enumeration_comma_and_breaks():
    items, removed = clean_list("門川大作市長、\n 鈴木 一郎副市長\nJohn Smith")
    assert items == ["門川大作市長", "鈴木一郎副市長", "John Smith"]
    assert removed == ()


def test_escapes_are_not_decoded_twice():
    # calamine already decoded the file's `_xHHHH_`; what remains is text staff typed.
    assert clean_line("代碼_x0041_").text == "代碼_x0041_"


# Text as staff produce it: CJK, Latin, digits of both widths, punctuation, spaces, breaks and
# the invisible characters that copy-paste brings along.
_ALPHABET = st.sampled_from(
    [*"高雄市日本交流協會、。，；：（）()[],;:?! !abcXYZ019０９ＡＺ",
     "\u3000", "\u00a0", "\t", "\n", "\r", "\v", "\u2028", "\u200b", "\x01", "\ufeff", "\ufffe"]
)
_TEXT = st.text(_ALPHABET, max_size=40)


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.sampled_from(["半形", "全形"]))
def test_normalizing_twice_changes_nothing(text, parens):
    once = clean_line(text, parens=parens)
    assert clean_line(once.text, parens=parens) == Cleaned(once.text)
    prose = clean_prose(text, parens=parens)
    assert clean_prose(prose.text, parens=parens) == Cleaned(prose.text)
    items, _ = clean_list(text, parens=parens)
    assert clean_list("、".join(items), parens=parens) == (items, ())


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_nothing_disappears_silently(text):
    # Every character that is neither whitespace nor kept must be reported as removed.
    cleaned = clean_prose(text)
    gone = {c for c in text if not c.isspace() and c not in cleaned.text
            and c not in "０９ＡＺ,;:?!（）"}  # folded or widened, not removed
    assert gone <= set(cleaned.removed)
