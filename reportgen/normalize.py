"""Text normalization applied to every cell: one set of rules, idempotent."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Line separators staff paste in: Word's Shift+Enter arrives as a vertical tab.
_BREAKS = re.compile(r"\r\n|[\r\v\f\x85\u2028\u2029]")
# Control, zero-width, bidi and non-characters: invisible in Excel, harmful in print.
# (calamine has already decoded the `_xHHHH_` escapes of the file, so they are not decoded again:
# a second decoding would turn text staff typed as `_x0041_` into `A`.)
_NONCHARACTERS = "".join(f"{chr(plane + 0xFFFE)}{chr(plane + 0xFFFF)}"
                         for plane in range(0x10000, 0x110000, 0x10000))
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ufffe\uffff\ufdd0-\ufdef\ud800-\udfff"
    + _NONCHARACTERS + "]"
)
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
    "\uff3b-\uff40\uff5b-\uff65\U00020000-\U0003134f\u00b7\u2014\u2015\u2026\u2027"
)
# For spacing, parentheses of either width sit with CJK text, so both widths behave alike.
_TIGHT = _CJK + "()"
_SPACE_BETWEEN_TIGHT = re.compile(rf"(?<=[{_TIGHT}]) (?=[{_TIGHT}])")
_NARROW_PUNCT = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_PUNCT_NEAR_CJK = re.compile(rf"(?<=[{_CJK}]) ?[,;:?!]|[,;:?!](?= ?[{_CJK}])")
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")  # a line holding only spaces is blank


@dataclass(frozen=True)
class Cleaned:
    """Normalized text plus what had to be removed (reported as one warning per cell)."""

    text: str
    removed: tuple[str, ...] = ()

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.text.split("\n\n") if p]


def strip_invisible(text: str) -> tuple[str, tuple[str, ...]]:
    """Turn line separators into \\n and drop invisible characters, saying which."""
    if text.isprintable():  # every line separator and invisible character is unprintable
        return text, ()
    text = _BREAKS.sub("\n", text)
    removed = tuple(dict.fromkeys(_INVISIBLE.findall(text)))
    if removed:
        text = _INVISIBLE.sub("", text)
    return text, removed


def _line(text: str, parens: str) -> str:
    """Normalize one line: widths, parentheses, spaces, punctuation.

    Widening a comma can put a CJK character next to another comma or a space, so the two
    context rules repeat until nothing changes; that is what makes normalizing idempotent.
    Both rules only ever widen or remove, so the loop ends.
    """
    if _ANY_FULLWIDTH_ALNUM.search(text):
        text = text.translate(_FULLWIDTH_ALNUM)
    text = unify_parens(text, parens)
    text = _SPACES.sub(" ", text).strip()
    while True:
        widened = (_PUNCT_NEAR_CJK.sub(lambda m: _NARROW_PUNCT[m.group().strip()], text)
                   if _ANY_NARROW_PUNCT.search(text) else text)
        tightened = _SPACE_BETWEEN_TIGHT.sub("", widened) if " " in widened else widened
        if tightened == text:
            return text
        text = tightened


def unify_parens(text: str, width: str) -> str:
    """Parentheses in prose take the 括號 setting's width (半形 or 全形)."""
    if width == "全形":  # replace() is much faster than translate() on CJK text
        return text.replace("(", "（").replace(")", "）")
    return text.replace("（", "(").replace("）", ")")


def clean_line(text: str, *, parens: str = "半形") -> Cleaned:
    """A single-line field (標題, 單位, 節名 …): every line break is a wrapped line."""
    text, removed = strip_invisible(text)
    return Cleaned(_line(text.replace("\n", " "), parens), removed)


def clean_prose(text: str, *, parens: str = "半形") -> Cleaned:
    """A narrative field (內容, 前言): a blank line separates paragraphs; single breaks go."""
    text, removed = strip_invisible(text)
    paragraphs = (_line(p.replace("\n", " "), parens) for p in _PARAGRAPH_BREAK.split(text))
    return Cleaned("\n\n".join(p for p in paragraphs if p), removed)


def clean_list(text: str, *, parens: str = "半形") -> tuple[list[str], tuple[str, ...]]:
    """A list field (代表): items separated by 、 or line breaks."""
    text, removed = strip_invisible(text)
    items = (_line(item, parens) for item in re.split(r"[、\n]", text))
    return [item for item in items if item], removed


def describe_removed(chars: tuple[str, ...]) -> str:
    """Name removed characters by code point, since they cannot be shown."""
    return "、".join(f"U+{ord(c):04X}" for c in chars)
