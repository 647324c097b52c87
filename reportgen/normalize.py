"""Text normalization applied to every cell: one set of rules, idempotent."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache

from .labels import BREAK_BEFORE_LABEL, may_start, parse

# Line separators staff paste in: Word's Shift+Enter arrives as a vertical tab. (A form feed or
# NEL is a control character like any other: removed, with the warning, SPEC §4.)
_BREAKS = re.compile(r"\r\n|[\r\v\u2028\u2029]")
# Control, zero-width, bidi and non-characters: invisible in Excel, harmful in print. The
# zero-width ones are Unicode's default-ignorable code points (variation selectors, the combining
# grapheme joiner, Hangul fillers, tags …), which a value can carry unseen.
_NONCHARACTERS = "".join(f"{chr(plane + 0xFFFE)}{chr(plane + 0xFFFF)}"
                         for plane in range(0x10000, 0x110000, 0x10000))
# Those of them Python counts as printable (str.isprintable, every fast path's first test).
_PRINTABLE_INVISIBLE = ("\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180d\u180f\u3164\ufe00-\ufe0f\uffa0"
                        "\U000e0100-\U000e01ef")
_INVISIBLE = re.compile(
    "[\x00-\x08\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\ufeff\ufff0-\ufffb\ufffe\uffff\ufdd0-\ufdef\ud800-\udfff"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
    + _PRINTABLE_INVISIBLE + _NONCHARACTERS + "]"
)
ANY_PRINTABLE_INVISIBLE = re.compile(f"[{_PRINTABLE_INVISIBLE}]")


def nothing_invisible(text: str) -> bool:
    """True when strip_invisible would neither remove nor turn anything (no line break either):
    every fast path asks this rather than str.isprintable, which passes a variation selector."""
    return text.isprintable() and (text.isascii() or ANY_PRINTABLE_INVISIBLE.search(text) is None)


# Excel's `_xHHHH_` escape for a character XML cannot hold. It belongs to the .xlsx file format, so
# the reader decodes it once, as Excel shows the cell (read/reader.py); normalization never decodes,
# so that removing an invisible character can never form a new escape (`_x4E` + U+200B + `2D_`
# prints `_x4E2D_`) and normalizing stays idempotent. python-calamine decodes the escapes up to
# U+00FF, the escaped underscore `_x005F_` among them; one at or below U+00FF that reaches us is
# what staff typed (Excel wrote its underscore as `_x005F_`, and calamine turned that back).
ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")
_FULLWIDTH_ALNUM = {cp: cp - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
                    for cp in range(r[0], r[1] + 1)}
# Fast paths: translate() looks up every character, and most cells need none of these rules.
_ANY_FULLWIDTH_ALNUM = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
_ANY_NARROW_PUNCT = re.compile("[,;:?!]")
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")

# Characters that belong to CJK running text (ideographs and their punctuation).
_CJK = (
    "\u2e80-\u2fdf\u3001-\u303f\u3040-\u30ff\u3100-\u312f\u31a0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\ufe10-\ufe1f\ufe30-\ufe4f\uff01-\uff0f\uff1a-\uff20"
    "\uff3b-\uff40\uff5b-\uff65\U00020000-\U000323af\u00b7\u2014\u2015\u2026\u2027"
)


def _ranges(chars: str) -> tuple[list[int], list[int]]:
    """A character class's body (`a-z` ranges and single characters) as sorted starts and ends."""
    spans, i = [], 0
    while i < len(chars):
        if i + 2 < len(chars) and chars[i + 1] == "-":
            spans.append((ord(chars[i]), ord(chars[i + 2])))
            i += 3
        else:
            spans.append((ord(chars[i]), ord(chars[i])))
            i += 1
    spans.sort()
    return [lo for lo, _ in spans], [hi for _, hi in spans]


# `[{_CJK}]` as a table looked up by bisection: Python's `re` compiles a CJK character class by
# filling a 64 K table one code point at a time, 2 ms on every start, for a test asked of a few
# characters (around a line break, or a space).
_CJK_STARTS, _CJK_ENDS = _ranges(_CJK)


def is_cjk(char: str) -> bool:
    """True for one character of CJK running text (what `[{_CJK}]` matches); False for ""."""
    if not char:
        return False
    code = ord(char)
    i = bisect_right(_CJK_STARTS, code) - 1
    return i >= 0 and code <= _CJK_ENDS[i]


# For spacing, parentheses of either width sit with CJK text, so both widths behave alike.
_MARKS = "，。、；：？！"
# A space that may go: one beside a character that is not ASCII, or beside a parenthesis.
# (The pattern starts with the space itself, which lets the regex engine skip ahead quickly.)
_SPACE_TO_LOOK_AT = re.compile(r" (?:(?=[^\x00-\x27\x2a-\x7f])|(?<=[^\x00-\x27\x2a-\x7f] ))")


def _tight(char: str) -> bool:
    return char in ("(", ")") or is_cjk(char)


def _tighten(text: str) -> str:
    """Spaces removed between two CJK characters (parentheses count as CJK here), and beside a
    full-width sentence mark: that mark carries its own spacing, so a space typed beside it
    (`主題: Smart City` widened to `主題： Smart City`) would print as a gap, even next to Latin text.

    Each space is judged by the text as given (its neighbours before any removal), and text holding
    only ASCII but for its parentheses is never looked at twice."""
    def keep(match: re.Match[str]) -> str:
        at = match.start()
        before = text[at - 1] if at else ""
        after = text[at + 1] if at + 1 < len(text) else ""
        if (before and before in _MARKS) or (after and after in _MARKS) or (_tight(before) and _tight(after)):
            return ""
        return " "

    return _SPACE_TO_LOOK_AT.sub(keep, text)


_NARROW_PUNCT = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}


# Compiled when first needed, behind a quick test (a narrow mark, a line break): Python's `re` fills
# a 64 K table one code point at a time for a CJK character class, 2 ms each on every start.
@cache
def _punct_near_cjk() -> re.Pattern[str]:
    return re.compile(rf"(?<=[{_CJK}]) ?[,;:?!]|[,;:?!](?= ?[{_CJK}])")


_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")  # a line holding only spaces is blank
# A single line break (a wrapped line) with the spaces around it: nothing when a CJK character or
# CJK punctuation is on either side (`110年12月22⏎日`, `2021⏎「亞太`), else one space.
_LINE_BREAK = re.compile(r"[^\S\n]*\n\s*")


# What staff call the characters that are removed (shown in the warning with their code point).
_NAMES = {
    0x00AD: "軟連字號", 0x061C: "阿拉伯字母標記", 0x180E: "蒙古文母音分隔符",
    0x200B: "零寬空格", 0x200C: "零寬不連字", 0x200D: "零寬連字",
    0x200E: "由左至右標記", 0x200F: "由右至左標記", 0x2060: "字組連接符", 0xFEFF: "零寬不換行空格（BOM）",
    0xFFFE: "非字元", 0xFFFF: "非字元", 0x034F: "組合字形連接符", 0x3164: "韓文填充字元",
    0x115F: "韓文填充字元", 0x1160: "韓文填充字元", 0xFFA0: "韓文填充字元",
}
_NAMED_RANGES = (
    (0x0000, 0x001F, "控制字元"), (0x007F, 0x009F, "控制字元"),
    (0x202A, 0x202E, "雙向文字控制字元"), (0x2066, 0x2069, "雙向文字控制字元"),
    (0x2061, 0x2064, "不可見的數學符號"), (0x206A, 0x206F, "已停用的格式字元"),
    (0xFFF9, 0xFFFB, "行間註解字元"), (0xFDD0, 0xFDEF, "非字元"), (0xD800, 0xDFFF, "不成對的代理字元"),
    (0xFE00, 0xFE0F, "異體字選擇符"), (0xE0100, 0xE01EF, "異體字選擇符"), (0x180B, 0x180F, "蒙古文異體選擇符"),
    (0x17B4, 0x17B5, "高棉文不發音母音"), (0xE0000, 0xE007F, "標籤字元"), (0x1D173, 0x1D17A, "音樂格式字元"),
    (0x1BCA0, 0x1BCA3, "速記格式字元"),
)


@dataclass(frozen=True)
class Cleaned:
    """Normalized text plus what had to be removed (reported as one warning per cell)."""

    text: str
    removed: tuple[str, ...] = ()

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.text.split("\n\n") if p]


def strip_invisible(text: str) -> tuple[str, tuple[str, ...]]:
    """Turn line separators into \\n and drop invisible characters, saying which (in order, once each).

    Escapes are not decoded here (the reader has decoded them once), so what is left after a
    removal is text as typed, never a new escape: one pass is idempotent.
    """
    if nothing_invisible(text):
        return text, ()
    found = _INVISIBLE.findall(text)
    if found:
        text = _INVISIBLE.sub("", text)
    return _BREAKS.sub("\n", text), tuple(dict.fromkeys(found))


def decode_escapes(text: str) -> str:
    """Decode the `_xHHHH_` escapes calamine leaves (above U+00FF; see ESCAPE), once.

    The reader's job: a cell's text as Excel shows it. A pair of escaped surrogates
    (`_xD83D__xDE00_`, how Excel escapes one emoji) becomes the one character it encodes; a lone
    surrogate is left for strip_invisible to remove and report.
    """
    if "_x" not in text:
        return text

    def one(match: re.Match[str]) -> str:
        code = int(match.group(1), 16)
        return match.group() if code <= 0xFF else chr(code)

    decoded = ESCAPE.sub(one, text)
    if decoded != text and re.search("[\ud800-\udbff][\udc00-\udfff]", decoded):
        decoded = re.sub("[\ud800-\udbff][\udc00-\udfff]", _join_surrogates, decoded)
    return decoded


def _join_surrogates(match: re.Match[str]) -> str:
    high, low = (ord(c) for c in match.group())
    return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))


def join_lines(text: str) -> str:
    """A wrapped line joined again (SPEC §4): no space next to CJK, one between Latin or digits."""
    if "\n" not in text:
        return text

    def joint(match: re.Match[str]) -> str:
        start, end = match.start(), match.end()
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        return "" if is_cjk(before) or is_cjk(after) else " "

    return _LINE_BREAK.sub(joint, text)


def _line(text: str, parens: str) -> str:
    """Normalize one line: widths, parentheses, spaces, punctuation.

    Widening a comma can put a CJK character next to another comma or a space, so the two
    context rules repeat until nothing changes; that is what makes normalizing idempotent.
    Both rules only ever widen or remove, so the loop ends.
    """
    if _ANY_FULLWIDTH_ALNUM.search(text):
        text = text.translate(_FULLWIDTH_ALNUM)
    text = unify_parens(text, parens)
    # Printable text holds no space but " ", so split() does what the regex does, 4× faster.
    text = " ".join(text.split()) if text.isprintable() else _SPACES.sub(" ", text).strip()
    while True:
        widened = (_punct_near_cjk().sub(lambda m: _NARROW_PUNCT[m.group().strip()], text)
                   if _ANY_NARROW_PUNCT.search(text) else text)
        tightened = _tighten(widened) if " " in widened else widened
        if tightened == text:
            return text
        text = tightened


def _paragraph(text: str, parens: str) -> str:
    """One paragraph of prose: `_line`, and a narrow mark right after a sub-item label made wide.

    The label prints rewritten (`1.` → `1、`, labels.text), so the mark then stands next to a 、:
    left narrow, `1.:9` would print `1、:9`, which normalizes to `1、：9`. Widened here, what
    prints normalizes to itself. (A parenthesized label prints with `)`, no CJK character.)"""
    text = _line(text, parens)
    if _ANY_NARROW_PUNCT.search(text, 0, 8) is None:  # a label ends within its first characters
        return text
    while may_start(text) and (label := parse(text)) is not None and not label.parenthesized:
        mark = text[label.end:label.end + 1]
        if mark not in _NARROW_PUNCT:
            break
        text = _line(text[:label.end] + _NARROW_PUNCT[mark] + text[label.end + 1:], parens)
    return text


def unify_parens(text: str, width: str) -> str:
    """Parentheses in prose take the 括號 setting's width (半形 or 全形)."""
    if width == "全形":  # replace() is much faster than translate() on CJK text
        return text.replace("(", "（").replace(")", "）")
    return text.replace("（", "(").replace("）", ")")


def clean_line(text: str, *, parens: str = "半形") -> Cleaned:
    """A single-line field (標題, 單位, 節名 …): every line break is a wrapped line."""
    text, removed = strip_invisible(text)
    return Cleaned(_line(join_lines(text), parens), removed)


def clean_prose(text: str, *, parens: str = "半形") -> Cleaned:
    """A narrative field (內容, 前言): a blank line separates paragraphs; single breaks go."""
    text, removed = strip_invisible(text)
    paragraphs = (_paragraph(join_lines(p), parens) for p in _paragraph_texts(text))
    return Cleaned("\n\n".join(p for p in paragraphs if p), removed)


def _paragraph_texts(text: str) -> list[str]:
    """A narrative cell's paragraphs before their lines are joined: a blank line separates them,
    and so does a single line break before a sub-item label (labels.py: staff type one a line)."""
    chunks = _PARAGRAPH_BREAK.split(text)
    if not any(BREAK_BEFORE_LABEL.search(chunk) for chunk in chunks):
        return chunks
    return [part for chunk in chunks for part in BREAK_BEFORE_LABEL.split(chunk)]


def line_text(text: str, parens: str = "半形") -> str:
    """`clean_line(text).text` for text strip_invisible has already cleaned (it is idempotent):
    the converters call this, as every cell's text is stripped first."""
    return _line(join_lines(text), parens)


def prose_paragraphs(text: str, parens: str = "半形") -> list[str]:
    """`clean_prose(text).paragraphs` for text strip_invisible has already cleaned (a normalized
    paragraph holds no line break, so joining and splitting again would give the same list)."""
    if "\n" not in text:
        line = _paragraph(text, parens)
        return [line] if line else []
    paragraphs = (_paragraph(join_lines(p), parens) for p in _paragraph_texts(text))
    return [p for p in paragraphs if p]


def clean_list(text: str, *, parens: str = "半形") -> tuple[list[str], tuple[str, ...]]:
    """A list field (代表): items separated by 、 or line breaks."""
    text, removed = strip_invisible(text)
    items = (_line(item, parens) for item in re.split(r"[、\n]", text))
    return [item for item in items if item], removed


def char_name(char: str) -> str:
    """What a removed or unseen character is called, in Chinese, with its code point."""
    code = ord(char)
    name = _NAMES.get(code)
    if name is None:
        name = next((n for low, high, n in _NAMED_RANGES if low <= code <= high), None)
    if name is None:
        if (code & 0xFFFE) == 0xFFFE:
            name = "非字元"
        elif char.isspace():
            name = "空白字元"
        else:
            name = "看不見的字元"
    return f"{name} U+{code:04X}"


def describe_removed(chars: tuple[str, ...]) -> str:
    """Name removed characters (`零寬空格 U+200B、零寬不換行空格（BOM） U+FEFF`), since they cannot be shown."""
    return "、".join(char_name(c) for c in chars)


def visible(text: str) -> str:
    """Text as a message may quote it: each character a person cannot see shown by its code point.

    `110/9/8\\u200b` → `110/9/8〈U+200B〉`; a line break → 〈換行〉. Escapes are decoded first, as
    Excel shows them, since the reader decoded them (`締盟儀式〈U+FFFE〉。`). Ordinary spaces and
    printable characters, private-use ones included (a font's own ideographs), are left alone.
    """
    if nothing_invisible(text) and BLANK_GLYPH not in text:
        return text
    return "".join(_shown(c) for c in text)


# A printable character that looks like a space but is none (the braille blank): kept, since it is no
# zero-width character, but shown by its code point when a message quotes it, so that a value it
# makes wrong (`3⠀`) never looks right in the message.
BLANK_GLYPH = "\u2800"


def _shown(char: str) -> str:
    if ((char.isprintable() or unicodedata.category(char) == "Co") and char != BLANK_GLYPH
            and not ANY_PRINTABLE_INVISIBLE.match(char)):
        return char
    if char == "\n":
        return "〈換行〉"
    return f"〈U+{ord(char):04X}〉"
