"""Sub-item labels: the government numbering sequence below (一), as staff type it and as it prints.

`1、` → `(1)` → `甲、` → `(甲)` → `A、` → `(A)` → `a、` → `(a)` (SPEC §3). Staff type the digits,
letters and parentheses in either width, and `1.` or `1）` for `1、` and `(1)`; a label prints with
half-width parentheses and the 序號數字 width for digits and letters (a number of two or more digits
stays half-width). Pure rules, shared by normalization (a line break before a label starts a new
paragraph), the checks (numbers skipped or repeated), compose (levels) and import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STEMS = "甲乙丙丁戊己庚辛壬癸"  # the 天干 series; a paragraph rarely starts with one of them and 、
# The eight kinds, in order: (series, parenthesized). Rank = index; a lower rank is an outer level.
KINDS: tuple[tuple[str, bool], ...] = (
    ("digit", False), ("digit", True), ("stem", False), ("stem", True),
    ("upper", False), ("upper", True), ("lower", False), ("lower", True),
)
DIGITS = ("半形", "全形")  # the 序號數字 setting's values

_NUMBER = r"[0-9０-９]{1,3}"
_STEM = f"[{STEMS}]"
_UPPER = "[A-ZＡ-Ｚ]"
_LOWER = "[a-zａ-ｚ]"
_OPEN = "[(（]"
_CLOSE = "[)）]"
# After a label ending in `.` comes neither a letter nor a digit (`1.5億`, `U.S.` are no labels).
_DOT = r"[.．](?![0-9A-Za-z０-９Ａ-Ｚａ-ｚ.．])"
_LABEL = re.compile(
    rf"\s*(?:{_OPEN}(?P<p>{_NUMBER}|{_STEM}|{_UPPER}|{_LOWER}){_CLOSE}"
    rf"|(?P<c>{_NUMBER}|{_STEM}|{_UPPER}|{_LOWER})(?P<end>、|{_DOT}|{_CLOSE}))"
)
_TO_NARROW = str.maketrans({chr(c): chr(c - 0xFEE0) for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
                            for c in range(r[0], r[1] + 1)})
_TO_WIDE = str.maketrans({chr(c - 0xFEE0): chr(c) for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
                          for c in range(r[0], r[1] + 1)})
# The characters a label can start with: a paragraph starting with none of them needs no regex.
STARTS = frozenset("0123456789０１２３４５６７８９(（" + STEMS + "".join(chr(c) for c in range(65, 91))
                    + "".join(chr(c) for c in range(97, 123)) + "".join(chr(c) for c in range(0xFF21, 0xFF3B))
                    + "".join(chr(c) for c in range(0xFF41, 0xFF5B)) + " \t\u3000")
# Where a single line break is followed by a label (staff type one sub-item a line).
BREAK_BEFORE_LABEL = re.compile(r"\n(?=" + re.sub(r"\(\?P<\w+>", "(?:", _LABEL.pattern) + ")")


@dataclass(frozen=True)
class Label:
    """A label found at the start of a paragraph: its kind (rank 0–7), number, and where text starts."""

    rank: int
    number: int
    end: int  # index in the paragraph where the label (and the spaces after it) end
    typed: str  # the label as typed, spaces aside

    @property
    def parenthesized(self) -> bool:
        return KINDS[self.rank][1]

    def wide(self) -> bool | None:
        """Whether its digits or letters were typed full-width (None for 甲 labels, which have no width)."""
        core = self.typed.strip("()（）、.．")
        if KINDS[self.rank][0] == "stem":
            return None
        return core != core.translate(_TO_NARROW)


def _series_number(core: str) -> tuple[str, int]:
    narrow = core.translate(_TO_NARROW)
    if narrow.isdigit():
        return "digit", int(narrow)
    if narrow in STEMS:
        return "stem", STEMS.index(narrow) + 1
    if "A" <= narrow <= "Z":
        return "upper", ord(narrow) - ord("A") + 1
    return "lower", ord(narrow) - ord("a") + 1


def may_start(paragraph: str) -> bool:
    """False when `paragraph` surely starts with no label (most do not: a quick test before `parse`)."""
    return paragraph[:1] in STARTS


def parse(paragraph: str) -> Label | None:
    """The sub-item label a paragraph begins with, or None. `1.` counts as `1、`, `1）` as `(1)`."""
    match = _LABEL.match(paragraph)
    if match is None:
        return None
    if match.group("p") is not None:
        core, parens = match.group("p"), True
    else:
        core, parens = match.group("c"), match.group("end") in ")）"
    series, number = _series_number(core)
    if number < 1:
        return None
    end = match.end()
    while end < len(paragraph) and paragraph[end] in " \t\u3000":
        end += 1
    rank = KINDS.index((series, parens))
    return Label(rank, number, end, match.group().strip())


def text(rank: int, number: int, digits: str = "半形") -> str:
    """The label as it prints: half-width parentheses; digits and letters in the 序號數字 width,
    except a number of two or more digits, which stays half-width (`９、` then `10、`)."""
    series, parens = KINDS[rank]
    if series == "digit":
        core = str(number)
    elif series == "stem":
        core = STEMS[number - 1] if number <= len(STEMS) else str(number)
    elif series == "upper":
        core = chr(ord("A") + number - 1)
    else:
        core = chr(ord("a") + number - 1)
    if digits == "全形" and len(core) == 1:
        core = core.translate(_TO_WIDE)
    return f"({core})" if parens else f"{core}、"


@dataclass(frozen=True)
class Line:
    """One paragraph of a 內容 or 前言 cell placed in the outline: its label (if any) and depth."""

    text: str  # the paragraph without its label
    label: Label | None
    depth: int  # 0: body text; 1: a sub-item directly under the item (or section), 2: under that …


def outline(paragraphs: list[str] | tuple[str, ...]) -> list[Line]:
    """Each paragraph with its depth: a label nests under the nearest earlier label of a lower rank
    (so `A、` right under `(1)` is one level deeper, whatever ranks were left out). A paragraph
    without a label is body text (depth 0); the sub-items around it keep their nesting."""
    stack: list[int] = []
    lines: list[Line] = []
    for paragraph in paragraphs:
        label = parse(paragraph) if may_start(paragraph) else None
        if label is None:
            lines.append(Line(paragraph, None, 0))
            continue
        while stack and stack[-1] >= label.rank:
            stack.pop()
        stack.append(label.rank)
        lines.append(Line(paragraph[label.end:], label, len(stack)))
    return lines


def numbering_faults(paragraphs: list[str] | tuple[str, ...]) -> list[str]:
    """The labels that skip or repeat a number at their level under their parent, as typed
    (`1、2、4、` gives ["4、"]); a list under a parent starts at 1."""
    faults: list[str] = []
    # per open level: (rank, last number seen at that rank under the current parent)
    stack: list[tuple[int, int]] = []
    for paragraph in paragraphs:
        label = parse(paragraph)
        if label is None:
            continue
        while stack and stack[-1][0] > label.rank:
            stack.pop()
        last = stack.pop()[1] if stack and stack[-1][0] == label.rank else 0
        if label.number != last + 1:
            faults.append(label.typed)
        stack.append((label.rank, label.number))
    return faults
