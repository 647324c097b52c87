"""Normalization rules of SPEC §4, one test each, and the idempotency property."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from helpers import examples
from reportgen import labels
from reportgen.cells import fold_width
from reportgen.normalize import (
    Cleaned,
    char_name,
    clean_line,
    clean_list,
    clean_prose,
    decode_escapes,
    describe_removed,
    strip_invisible,
    visible,
)


def test_vertical_tab_is_a_line_break_in_prose():
    # Word's Shift+Enter pasted into Excel arrives as U+000B; two of them make a blank line.
    assert clean_prose("第一段\v\v第二段").paragraphs == ["第一段", "第二段"]
    assert clean_prose("第一段\v\v第二段").removed == ()


def test_vertical_tab_inside_a_single_line_field_disappears():
    assert clean_line("日本台灣\v交流協會").text == "日本台灣交流協會"
    assert clean_line("Sister\vCities").text == "Sister Cities"


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x9f", "\u200b", "\u200c", "\u200d",
                                  "\u2060", "\ufeff", "\u00ad", "\u200e", "\u200f", "\u202a", "\u202e",
                                  "\u2066", "\u2069", "\u061c", "\ufffe", "\uffff", "\U0001fffe", "\ufdd0"])
def test_invisible_characters_are_removed_and_named(char):
    cleaned = clean_line(f"高雄{char}市")
    assert cleaned.text == "高雄市"
    assert cleaned.removed == (char,)


def test_each_removed_character_is_listed_once():
    cleaned = clean_prose("a\u200bb\u200bc\x01")
    assert cleaned.text == "abc"
    assert describe_removed(cleaned.removed) == "零寬空格 U+200B、控制字元 U+0001"


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


@pytest.mark.parametrize(("char", "name"), [
    ("\u200b", "零寬空格 U+200B"), ("\u200c", "零寬不連字 U+200C"), ("\u200d", "零寬連字 U+200D"),
    ("\u2060", "字組連接符 U+2060"), ("\ufeff", "零寬不換行空格（BOM） U+FEFF"), ("\u00ad", "軟連字號 U+00AD"),
    ("\x07", "控制字元 U+0007"), ("\x85", "控制字元 U+0085"), ("\u200e", "由左至右標記 U+200E"),
    ("\u202e", "雙向文字控制字元 U+202E"), ("\u2067", "雙向文字控制字元 U+2067"),
    ("\ufffe", "非字元 U+FFFE"), ("\U0010ffff", "非字元 U+10FFFF"), ("\ud800", "不成對的代理字元 U+D800"),
    ("\u3000", "空白字元 U+3000"), ("\U000e0001", "標籤字元 U+E0001"), ("\ufe0f", "異體字選擇符 U+FE0F"),
])
def test_removed_characters_are_named_in_chinese(char, name):
    assert char_name(char) == name


def test_describe_removed_joins_the_names():
    assert describe_removed(("\u200b", "\ufeff", "\u2060")) == (
        "零寬空格 U+200B、零寬不換行空格（BOM） U+FEFF、字組連接符 U+2060")
    assert describe_removed(()) == ""


@pytest.mark.parametrize(("text", "shown"), [
    ("110/9/8\u200b", "110/9/8〈U+200B〉"),
    ("\ufeff是", "〈U+FEFF〉是"),
    ("3\u2060", "3〈U+2060〉"),
    ("視訊\u3000", "視訊〈U+3000〉"),
    ("甲\n乙", "甲〈換行〉乙"),
    ("a\x07b\u202ec", "a〈U+0007〉b〈U+202E〉c"),
    ("\U000e0041", "〈U+E0041〉"),
    ("高雄市 Kaohsiung 😀 𠮷", "高雄市 Kaohsiung 😀 𠮷"),  # ordinary text is quoted as it is
    ("\ue000造字", "\ue000造字"),  # a font's own (private-use) ideograph is not invisible
    ("締盟儀式\ufffe。", "締盟儀式〈U+FFFE〉。"),  # a decoded escape, shown as Excel shows it
    ("代碼_x4E2D_", "代碼_x4E2D_"),  # decoding is the reader's, once: text is quoted as it is
])
def test_visible_shows_what_cannot_be_seen(text, shown):
    assert visible(text) == shown


def test_visible_marks_every_removed_character():
    cleaned = clean_prose("a\u200bb\x01c\ufffe")
    assert all(f"U+{ord(c):04X}" in visible("a\u200bb\x01c\ufffe") for c in cleaned.removed)


# Escapes: python-calamine decodes `_xHHHH_` up to U+00FF (and `_x005F_`, the escaped underscore);
# what reaches the reader above U+00FF is still escaped, and the reader decodes it once
# (decode_escapes); normalization never decodes, so it cannot form a new escape.
def test_escape_of_a_noncharacter_is_removed_and_reported():
    cleaned = clean_prose(decode_escapes("締盟儀式_xFFFE_。"))
    assert cleaned.text == "締盟儀式。"
    assert cleaned.removed == ("\ufffe",)


@pytest.mark.parametrize(("text", "expected"), [
    ("A_x4E2D_B", "A中B"),
    ("A_x4e2d_B", "A中B"),  # either case of hex digit, as Excel reads them
    ("_x9AD8__x96C4_", "高雄"),
    ("_xD83D__xDE00_", "😀"),  # a surrogate pair, Excel's escape for one emoji
    ("_xFF21_", "Ａ"),  # decoded as the file holds it; folding is normalization's
    ("_ｘ４Ｅ２Ｄ_", "_ｘ４Ｅ２Ｄ_"),  # Excel decodes only the ASCII spelling
    ("代碼_x0041_", "代碼_x0041_"),  # calamine's layer: what is left was typed
    ("_x005F_x4E2D_", "_x005F_x4E2D_"),  # the escaped underscore protects what follows it
    ("_x005F_", "_x005F_"),
    ("_X4E2D_", "_X4E2D_"),  # not an escape: Excel writes a lowercase x
    ("_x4E2_", "_x4E2_"),
    ("snake_case_name", "snake_case_name"),
])
def test_escapes_above_latin1_are_decoded_once(text, expected):
    assert decode_escapes(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("_xFF21_", "A"),  # decoded, then folded like any full-width letter
    ("_ｘ４Ｅ２Ｄ_", "_x4E2D_"),  # folded into the look of an escape, but printed as typed
    ("A_x4E2D_B", "A中B"),
])
def test_normalizing_a_decoded_cell(text, expected):
    assert clean_line(decode_escapes(text)) == Cleaned(expected)


def test_escaped_invisible_characters_are_removed_and_reported():
    assert clean_line(decode_escapes("3_x200B_")) == Cleaned("3", ("\u200b",))
    assert clean_line(decode_escapes("a_xD800_b")) == Cleaned("ab", ("\ud800",))  # a lone surrogate
    assert clean_prose(decode_escapes("第一段_x2029__x2029_第二段")).paragraphs == ["第一段", "第二段"]


def test_removing_a_character_never_forms_an_escape():
    # SPEC §4: `_x4E` + zero-width space + `2D_` prints `_x4E2D_`, with the zero-width warning;
    # the same when the zero-width space was itself escaped in the file.
    assert clean_line("_x4E\u200b2D_") == Cleaned("_x4E2D_", ("\u200b",))
    assert clean_line(decode_escapes("_x4E_x200B_2D_")) == Cleaned("_x4E2D_", ("\u200b",))
    assert clean_prose("_x4E\u200b2D_").paragraphs == ["_x4E2D_"]
    assert clean_list("_x4E\u200b2D_、乙") == (["_x4E2D_", "乙"], ("\u200b",))


def test_normalization_never_decodes():
    assert clean_line("_x4E2D_") == Cleaned("_x4E2D_")
    assert clean_prose("代碼_x6587_").text == "代碼_x6587_"


def test_decode_escapes_alone():
    assert decode_escapes("_x4E2D__x0041__x005F_x9AD8_") == "中_x0041__x005F_x9AD8_"
    assert decode_escapes("no escapes") == "no escapes"


def test_strip_invisible_keeps_its_contract():
    assert strip_invisible("110/9/8\u200b") == ("110/9/8", ("\u200b",))
    assert strip_invisible("甲\r\n乙\v丙") == ("甲\n乙\n丙", ())
    assert strip_invisible("甲\r\u200b\n乙") == ("甲\n乙", ("\u200b",))
    assert strip_invisible("中_x6587_") == ("中_x6587_", ())


def test_space_beside_a_full_width_mark_goes():
    assert clean_line("主題: Smart City").text == "主題：Smart City"
    assert clean_line("會議, Mayors' Forum").text == "會議，Mayors' Forum"
    assert clean_line("Hello , world").text == "Hello , world"  # no CJK, no widening


def test_pdf_wrapped_lines_in_prose():
    text = "本府於110年9月8日與日本京都市\n舉行視訊會議，雙方就 Smart\nCity 議題交換意見。\n\n會後發布新聞稿。"
    assert clean_prose(text).paragraphs == [
        "本府於110年9月8日與日本京都市舉行視訊會議，雙方就 Smart City 議題交換意見。", "會後發布新聞稿。"]


# Text as staff produce it: CJK, Latin, digits of both widths, punctuation, spaces, breaks, the
# invisible characters that copy-paste brings along, and pieces of Excel's `_xHHHH_` escapes.
_ALPHABET = st.sampled_from(
    [*"高雄市日本交流協會、。，；：（）()[],;:?! !abcXYZ019０９ＡＺ",
     "\u3000", "\u00a0", "\t", "\n", "\r", "\v", "\u2028", "\u200b", "\x01", "\ufeff", "\ufffe",
     "\u2060", "\u00ad", "\u202e", "_", "x", "ｘ", "4E", "2D", "Ｄ", "_x", "_x4E2D_", "_x005F_", "_x0041_",
     "_xFFFE_", "_x200B_", "_x3001_", "_xD83D_", "_xDE00_", "_x2028_", "_xFF0C_"]
)
_TEXT = st.lists(_ALPHABET, max_size=40).map("".join)


# The examples issue 19 found at random, pinned so every run tries them.
@settings(max_examples=examples(400), deadline=None)
@given(_TEXT, st.sampled_from(["半形", "全形"]))
@example("_x4E\u200b2D_", "半形")
@example("_x4E_x200B_2D_", "半形")
@example("_x4E\u200b2D__x200B_", "全形")
@example("_ｘ４Ｅ２Ｄ_", "半形")
def test_normalizing_twice_changes_nothing(text, parens):
    once = clean_line(text, parens=parens)
    assert clean_line(once.text, parens=parens) == Cleaned(once.text)
    prose = clean_prose(text, parens=parens)
    assert clean_prose(prose.text, parens=parens) == Cleaned(prose.text)
    items, _ = clean_list(text, parens=parens)
    assert clean_list("、".join(items), parens=parens) == (items, ())
    stripped, _ = strip_invisible(text)
    assert strip_invisible(stripped) == (stripped, ())


# Prose as staff type sub-items: labels in their typed forms (`1.`, `乙、`, `(A)`, `a）`) at a line's
# start, CJK, the narrow marks that widen next to CJK, Latin, digits and spaces.
_LABELLED = st.lists(st.sampled_from(
    ["\n1.", "\n2、", "\n(1)", "\n1）", "\n乙、", "\n乙.", "\n(甲)", "\nA.", "\na）", "\n\n", "\n", "1.",
     *"說明會議高雄、。（）,;:?!  AbZ9０"]), max_size=30).map("".join)


def _printed(paragraph: str) -> str:
    """A paragraph as the chapter prints it: its sub-item label rewritten (`1.` → `1、`)."""
    [line] = labels.outline([paragraph])
    return line.text if line.label is None else labels.text(line.label.rank, line.label.number) + line.text


@settings(max_examples=examples(400), deadline=None)
@given(_LABELLED)
@example("說明\n1.:9")
@example("說明\n乙.,A")
@example("1. ,中")
def test_prose_with_labels_normalizes_to_itself_and_prints_what_normalizes_to_itself(text):
    once = clean_prose(text)
    assert clean_prose(once.text) == once
    for paragraph in once.paragraphs:  # the label rewritten: what prints is normalized too
        assert clean_prose(_printed(paragraph)).text == _printed(paragraph)


@pytest.mark.parametrize(("typed", "printed"), [("說明\n1.:9", "1、：9"), ("說明\n乙.,A", "乙、，A"),
                                                ("說明\n1. ?好", "1、？好"), ("說明\n(1):9", "(1):9")])
def test_a_narrow_mark_right_after_a_label_prints_as_the_label_rewritten_leaves_it(typed, printed):
    [_, paragraph] = clean_prose(typed).paragraphs
    assert _printed(paragraph) == printed


@settings(max_examples=examples(300), deadline=None)
@given(_TEXT)
@example("_x4E\u200b2D_")
@example("_x4E_x200B_2D_")
def test_nothing_disappears_silently(text):
    # Every character that is neither whitespace nor kept must be reported as removed; an escape
    # that was decoded is not a removal, so the text is compared after decoding (once, as read).
    decoded = decode_escapes(text)
    cleaned = clean_prose(decoded)
    gone = {c for c in decoded if not c.isspace() and c not in cleaned.text
            and c not in "０９ＡＺＤｘ,;:?!（）"}  # folded or widened, not removed
    assert gone <= set(cleaned.removed)
    assert all(c in decoded for c in cleaned.removed)


@settings(max_examples=examples(300), deadline=None)
@given(_TEXT)
@example("_x4E\u200b2D_")
@example("_x4E_x200B_2D_")
def test_cleaning_never_forms_an_escape(text):
    # Cleaning only removes, folds widths, widens punctuation and unifies parentheses: no
    # character appears that the cell (decoded once, as read) did not hold — 中 from `_x4E`+ZWSP+`2D_` would.
    decoded = decode_escapes(text)
    allowed = set(decoded) | set(fold_width(decoded)) | set("，；：？！()（） \n")
    for cleaned in (clean_line(decoded).text, clean_prose(decoded).text):
        assert set(cleaned) <= allowed



@settings(max_examples=examples(200), deadline=None)
@given(_TEXT)
def test_visible_shows_every_removed_character(text):
    shown = visible(text)
    assert shown.isprintable() or any("\ue000" <= c <= "\uf8ff" for c in shown)
    for char in strip_invisible(text)[1]:
        assert f"〈U+{ord(char):04X}〉" in shown


# Through a workbook: the sheet XML holds the escapes the way Excel writes them, and calamine
# decodes only those up to U+00FF (`_x005F_` among them) before normalization sees the text.
def test_escapes_in_a_workbook_print_as_excel_shows_them(cli, project, tmp_path):
    from helpers import ACTIVITIES, write_workbook
    from zipparts import ACTIVITY_SHEET, replace_text, rewrite

    base = write_workbook(tmp_path / "base.xlsx", activities=[
        {**ACTIVITIES[0], "標題": "MARKTITLE", "內容": "MARKBODY"}])
    title = "_x8996__x8A0A_會議_x000B__x005F_x0041_".encode()  # `_x0041_` typed, Excel-escaped
    body = "締盟儀式_xFFFE_。".encode()
    book = rewrite(base, tmp_path / "escapes.xlsx", {ACTIVITY_SHEET: lambda data: replace_text(
        "MARKBODY", body)(replace_text("MARKTITLE", title)(data))})
    result = cli("preview", book)
    assert result.code == 0, result.err
    # the line break (_x000B_) next to 議 leaves no space (SPEC §4)
    assert result.out.splitlines()[2:4] == ["(一) 視訊會議_x0041_", "締盟儀式。"]
    result = cli("validate", book)
    assert result.out.splitlines()[0] == (
        "警告　escapes.xlsx 活動!E2（內容）：已移除看不見的字元（非字元 U+FFFE）：「締盟儀式〈U+FFFE〉。」。"
        "　多半來自複製貼上，請確認文字無誤。")


def test_a_typed_escape_above_latin1_reads_as_typed(cli, project, tmp_path):
    """Excel saves a typed `_x4E2D_` as `_x005F_x4E2D_`, and calamine hands us `_x4E2D_`, the same
    text as a real escape of 中; the reader finds such cells in the file (read/escapes.py), so the
    escape is decoded once, as Excel shows the cell (SPEC §4), while a real escape still reads 中."""
    from helpers import ACTIVITIES, write_workbook
    from zipparts import ACTIVITY_SHEET, replace_text, rewrite

    base = write_workbook(tmp_path / "base.xlsx", activities=[{**ACTIVITIES[0], "標題": "MARKTITLE"}])
    book = rewrite(base, tmp_path / "typed.xlsx", {ACTIVITY_SHEET: replace_text("MARKTITLE", b"A_x005F_x4E2D_B")})
    assert cli("preview", book).out.splitlines()[2] == "(一) A_x4E2D_B"
    real = rewrite(base, tmp_path / "real.xlsx", {ACTIVITY_SHEET: replace_text("MARKTITLE", b"A_x4E2D_B")})
    assert cli("preview", real).out.splitlines()[2] == "(一) A中B"


def test_an_escape_is_decoded_once_through_a_workbook(cli, project, tmp_path):
    """`_x4E` + an escaped zero-width space + `2D_`: decoded once it is `_x4E` ZWSP `2D_`, and the
    cleaning that removes the ZWSP (with its warning) prints `_x4E2D_`, never 中."""
    from helpers import ACTIVITIES, write_workbook
    from zipparts import ACTIVITY_SHEET, replace_text, rewrite

    base = write_workbook(tmp_path / "base.xlsx", activities=[{**ACTIVITIES[0], "標題": "MARKTITLE"}])
    book = rewrite(base, tmp_path / "once.xlsx", {ACTIVITY_SHEET: replace_text("MARKTITLE", b"A_x4E_x200B_2D_B")})
    assert cli("preview", book).out.splitlines()[2] == "(一) A_x4E2D_B"
    warnings = [line for line in cli("validate", book).out.splitlines() if "活動!B2" in line]
    assert len(warnings) == 1 and "零寬空格 U+200B" in warnings[0] and "A_x4E〈U+200B〉2D_B" in warnings[0]


# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): the zero-width characters.
DEFAULT_IGNORABLE = [(0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
                     (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
                     (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
                     (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF)]


def test_every_default_ignorable_character_is_removed_and_reported():
    for low, high in DEFAULT_IGNORABLE:
        for code in range(low, high + 1):
            assert strip_invisible(f"是{chr(code)}") == ("是", (chr(code),)), f"U+{code:04X}"


@pytest.mark.parametrize("char", ["\x0c", "\x85"])
def test_a_form_feed_or_next_line_is_a_control_character_removed_with_a_warning(char):
    """SPEC §4: the vertical tab is a line break; other control characters are removed, said."""
    assert strip_invisible(f"ab{char}cd") == ("abcd", (char,))
    assert strip_invisible("ab\vcd") == ("ab\ncd", ())
