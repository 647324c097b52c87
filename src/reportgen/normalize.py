"""Text normalization applied to every cell: one set of rules, idempotent."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Line separators staff paste in: Word's Shift+Enter arrives as a vertical tab.
_BREAKS = re.compile(r"\r\n|[\r\v\f\x85\u2028\u2029]")
# Control, zero-width, bidi and non-characters: invisible in Excel, harmful in print.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\ufffe\uffff\ufdd0-\ufdef\ud800-\udfff]"
)
_FULLWIDTH_ALNUM = {cp: cp - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
                    for cp in range(r[0], r[1] + 1)}
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
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\u3000]*\n\s*")
_TO_FULL = str.maketrans("()", "（）")
_TO_HALF = str.maketrans("（）", "()")


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
    text = _BREAKS.sub("\n", text)
    removed = tuple(dict.fromkeys(_INVISIBLE.findall(text)))
    if removed:
        text = _INVISIBLE.sub("", text)
    return text, removed


def _line(text: str) -> str:
    """Normalize one line: widths, spaces, punctuation."""
    text = text.translate(_FULLWIDTH_ALNUM)
    text = _SPACES.sub(" ", text).strip()
    text = _PUNCT_NEAR_CJK.sub(lambda m: _NARROW_PUNCT[m.group().strip()], text)
    return _SPACE_BETWEEN_TIGHT.sub("", text)


def _parens(text: str, width: str) -> str:
    return text.translate(_TO_FULL if width == "全形" else _TO_HALF)


def clean_line(text: str, *, parens: str = "半形") -> Cleaned:
    """A single-line field (標題, 單位, 節名 …): every line break is a wrapped line."""
    text, removed = strip_invisible(text)
    return Cleaned(_parens(_line(text.replace("\n", " ")), parens), removed)


def clean_prose(text: str, *, parens: str = "半形") -> Cleaned:
    """A narrative field (內容, 前言): a blank line separates paragraphs; single breaks go."""
    text, removed = strip_invisible(text)
    paragraphs = (_line(p.replace("\n", " ")) for p in _PARAGRAPH_BREAK.split(text))
    return Cleaned(_parens("\n\n".join(p for p in paragraphs if p), parens), removed)


def clean_list(text: str, *, parens: str = "半形") -> tuple[list[str], tuple[str, ...]]:
    """A list field (代表): items separated by 、 or line breaks."""
    text, removed = strip_invisible(text)
    items = (_parens(_line(item), parens) for item in re.split(r"[、\n]", text))
    return [item for item in items if item], removed


def describe_removed(chars: tuple[str, ...]) -> str:
    """Name removed characters by code point, since they cannot be shown."""
    return "、".join(f"U+{ord(c):04X}" for c in chars)
