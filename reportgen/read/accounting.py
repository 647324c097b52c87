"""Every non-empty cell is accounted for (SPEC §2): read, in a place staff know is not read, or named.

Headers and 報告設定 項目 match with an annotation after the name (`列入報告(是/否)`,
`形式⏎(實體/視訊)`, `人數（人）`, `日期：`). What is not read but looks like something that is —
a header containing a known header's name, a tab whose name contains a sheet's name or whose
first row holds two of a sheet's headers, an unknown 報告設定 項目 with a value — is a warning
naming the place, so a typed cell never vanishes without a word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from ..cells import cell_ref, column_letter, fold
from ..dates import as_text
from ..normalize import describe_removed, nothing_invisible, strip_invisible, visible
from ..problems import Location, Problems
from ..schema import DATA_SHEETS, SETTINGS, SETTINGS_KEY_HEADER, SETTINGS_VALUE_HEADER, SHEETS, Sheet

# Where a name's annotation starts (after width folding): a bracket of any kind, or a colon.
# A line break starts one too; it is cut before folding, which removes whitespace.
_ANNOTATION = re.compile(r"[(\[{<（［｛【〔〖《〈「『:：]")


def header_name(value: object) -> str:
    """A header or 項目 as the contract compares it: the name before any annotation, folded.

    `列入報告(是/否)` → 列入報告, `形式⏎(實體/視訊)` → 形式, `人數（人）` → 人數, `日期：` → 日期;
    "" when nothing precedes the annotation.
    """
    if value is None:
        return ""
    text = str(value)
    if not nothing_invisible(text):
        text = strip_invisible(text)[0]
    text = text.strip().split("\n", 1)[0]
    folded = fold(text)
    match = _ANNOTATION.search(folded)
    return folded[: match.start()] if match else folded


def whole_name(value: object) -> str:
    """header_name, or when an annotation comes first (`(選填)結束日期`, `(實體/視訊)⏎形式`) the whole
    text folded: such a name matches nothing, yet what its column holds must not vanish unnamed."""
    name = header_name(value)
    return name if name or value is None else fold(value)


def note_invisible_name(value: object, where: Location, problems: Problems) -> None:
    """A header or 項目 matched once its invisible characters are gone: the warning every other cell
    gets for them (SPEC §4: nothing disappears silently)."""
    if isinstance(value, str) and not nothing_invisible(value):
        removed = strip_invisible(value)[1]
        if removed:
            problems.add("invisible-chars", where, chars=describe_removed(removed), shown=visible(value))


def _note_names() -> frozenset[str]:
    """The notes columns' names (備註): a header holding one is a staff member's notes (列入報告備註 too)."""
    return frozenset(header_name(col.header) for sheet in SHEETS for col in sheet.columns if col.note)


def is_note_name(value: object) -> bool:
    """A header holding a notes column's name (備註, `列入報告備註`): a staff member's notes, not read."""
    name = whole_name(value)
    return bool(name) and any(note in name for note in _note_names())


def known_names(sheet: Sheet) -> dict[str, str]:
    """The sheet's headers (or 項目) by their compared name → the header."""
    return {header_name(col.header): col.header for col in sheet.columns}


def resembled(name: str, known: dict[str, str]) -> str | None:
    """The known header `name` contains without being it (`活動標題` → 標題), longest first; None
    when it contains none, or when it is a notes column (`列入報告備註`)."""
    if not name or name in known or any(note in name for note in _note_names()):
        return None
    found = [header for folded, header in known.items() if folded and folded in name]
    return max(found, key=len) if found else None


@dataclass(frozen=True)
class ReadName:
    """A name reportgen reads somewhere (SPEC §2: "the tool reads" is any sheet's header or 項目)."""

    name: str  # as compared (header_name)
    header: str
    sheet: Sheet
    owner: str  # how a message names its place: 「活動」工作表的欄名, 「報告設定」的項目名稱


def read_names() -> list[ReadName]:
    """Every header of every sheet, 報告設定's 項目 and its 項目/內容 headers; notes aside.
    Made when asked: the schema is the one declaration, and a test may change it for its duration."""
    out = [ReadName(header_name(col.header), col.header, sheet, f"「{sheet.name}」工作表的欄名")
           for sheet in DATA_SHEETS for col in sheet.columns if not col.note]
    out += [ReadName(header_name(col.header), col.header, SETTINGS, f"「{SETTINGS.name}」的項目名稱")
            for col in SETTINGS.columns]
    out += [ReadName(header_name(header), header, SETTINGS, f"「{SETTINGS.name}」的欄名")
            for header in (SETTINGS_KEY_HEADER, SETTINGS_VALUE_HEADER)]
    return out


def _likeness(name: str, found: ReadName) -> str:
    """What a message says an unread header is: `是「活動」工作表的欄名`, or what it contains."""
    return f"是{found.owner}" if name == found.name else f"含有{found.owner}「{found.header}」"


def _longest_read(name: str, names: Sequence[ReadName]) -> ReadName | None:
    """The longest of `names` that `name` is or contains (first listed on a tie)."""
    found = [each for each in names if each.name and each.name in name]
    return max(found, key=lambda each: len(each.name)) if found else None


def filled(value: object) -> bool:
    return value is not None and value != "" and not (isinstance(value, str) and not value.strip())


def rows_holding(grid: Sequence[Sequence[object]], col: int, start: int = 1) -> list[int]:
    """1-based rows (from `start`, 0-based) whose cell in column `col` holds something."""
    return [index + 1 for index in range(start, len(grid))
            if col < len(grid[index]) and filled(grid[index][col])]


def spans(numbers: Sequence[int]) -> str:
    """[3, 4, 5, 9] → `3–5、9`."""
    parts: list[str] = []
    start = previous = numbers[0]
    for number in [*numbers[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(str(start) if start == previous else f"{start}–{previous}")
        if number is not None:
            start = previous = number
    return "、".join(parts)


def note_resembling_columns(spec: Sheet, file: str, header_row: Sequence[object],
                            grid: Sequence[Sequence[object]], read: set[int], problems: Problems,
                            merged: AbstractSet[int] = frozenset()) -> None:
    """An unread column whose header contains a known header's name (`活動標題`, `列入報告狀態`):
    staff meant it to be read, so the warning names it and the rows it holds. So is a column
    without a header that holds data (`merged`: columns whose header a merge took, reported there),
    and one named after, or containing, what another sheet reads (訪賓's `列入報告`: staff expect
    the row left out, yet it counts)."""
    known = known_names(spec)
    elsewhere = [each for each in read_names() if each.sheet is not spec and each.name not in known]
    width = max(len(header_row), len(grid[1]) if len(grid) > 1 else 0)  # calamine's grid is rectangular
    for index in range(width):
        value = header_row[index] if index < len(header_row) else None
        if index in read or index in merged:
            continue
        if not filled(value):
            rows = rows_holding(grid, index)
            if rows:
                problems.add("unnamed-column", Location(file, spec.name, rows[0], index),
                             column=column_letter(index), rows=spans(rows))
            continue
        name = whole_name(value)
        if name in known or is_note_name(value):  # a repeated header (reported) or notes
            continue
        like = resembled(name, known)
        # Another sheet's header counts when it is the whole name (訪賓's `列入報告`): contained in a
        # longer one (`主辦單位`, `參與人數`) it is an everyday column of this sheet, and the notes it holds.
        other = next((each for each in elsewhere if each.name == name), None)
        if like is None and other is None:
            continue
        where = _where(grid, index)
        at = Location(file, spec.name, 1, index, _one_line(value))
        if other is not None and (like is None or len(other.name) > len(header_name(like))):
            problems.add("unread-other-sheet-column", at, found_header=_one_line(value),
                         like=_likeness(name, other), where=where,
                         headers="、".join(col.header for col in spec.columns if not col.note),
                         advice=_advice(spec, other))
        else:
            problems.add("unread-column", at, found_header=_one_line(value), known=like, where=where)


def _where(grid: Sequence[Sequence[object]], index: int, start: int = 1) -> str:
    """`H 欄第 2–5 列的資料`, or `H 欄` when the column holds nothing below its header."""
    rows = rows_holding(grid, index, start)
    return f"{column_letter(index)} 欄第 {spans(rows)} 列的資料" if rows else f"{column_letter(index)} 欄"


def _advice(spec: Sheet, other: ReadName) -> str:
    """For another sheet's 列入報告 on a sheet without one, how a row is left out here (staff expect
    否 to leave it out, yet it counts); else nothing: the column's data may belong in this sheet's
    own columns as well as in the other sheet, which only the person knows."""
    if (not spec.include and other.sheet.include
            and other.header == other.sheet.by_key(other.sheet.include).header):
        return f"「{spec.name}」沒有「{other.header}」欄，每一列都會列入報告，不要列入的請刪除該列；"
    return "要印出的內容請寫進上列的欄位；"


def _one_line(value: object) -> str:
    """A header or 項目 quoted as the cell shows it (5 not 5.0, TRUE not True), on one line."""
    return " ".join((value if isinstance(value, str) else as_text(value)).split())


def tab_resemblance(tab: str, first_row: Sequence[object]) -> tuple[Sheet, str] | None:
    """Why a tab reportgen does not read looks like one it reads: (the sheet, why), or None.

    Its name contains a sheet's name (`活動 (2)`, Excel's name for a copied sheet; `活動紀錄`;
    `訪賓(下半年)`), or its first row holds two or more of a data sheet's headers.
    """
    folded = fold(tab)
    for sheet in SHEETS:
        if fold(sheet.name) in folded:
            return sheet, f"的名稱含有「{sheet.name}」"
    names = {header_name(value) for value in first_row if filled(value)}
    for sheet in DATA_SHEETS:
        known = known_names(sheet)
        found = [known[name] for name in known if name in names]
        if len(found) >= 2:
            return sheet, f"的第 1 列有「{sheet.name}」工作表的欄名（{'、'.join(found)}）"
    return None


def note_unread_tab(file: str, tab: str, grid: Sequence[Sequence[object]], problems: Problems) -> None:
    """A warning at a tab reportgen does not read that looks like one it reads and holds data."""
    if not any(filled(value) for row in grid for value in row):
        return
    found = tab_resemblance(tab, grid[0] if grid else ())
    if found is None:
        return
    sheet, why = found
    problems.add("unread-tab", Location(file, tab), tab=tab, why=why, known=sheet.name)


def note_unnamed_settings_columns(file: str, grid: Sequence[Sequence[object]], problems: Problems) -> None:
    """報告設定 reads columns A and B; a column after them holding data under no name (a value typed
    one column too far right) is named, as a data sheet's unnamed column is; so is one whose name is,
    or contains, a name reportgen reads (`內容(舊)`, `新內容`, `章次`). Another named one is a note."""
    header_row = grid[0] if grid and header_name(grid[0][0] if grid[0] else None) == header_name(
        SETTINGS_KEY_HEADER) else ()
    width = max((len(row) for row in grid), default=0)
    names = read_names()
    own = [each for each in names if each.sheet is SETTINGS]
    others = [each for each in names if each.sheet is not SETTINGS]
    for index in range(2, width):
        if index < len(header_row) and filled(header_row[index]):
            value = header_row[index]
            name = whole_name(value)
            # its own names contained (`內容(舊)`, `新內容`), another sheet's as the whole name (`章次`
            # aside, `標題`): `活動日期` beside the settings is a note
            found = None if is_note_name(value) else (
                _longest_read(name, own) or next((each for each in others if each.name == name), None))
            if found is not None:
                problems.add("unread-settings-named-column",
                             Location(file, SETTINGS.name, 1, index, _one_line(value)),
                             found_header=_one_line(value), like=_likeness(name, found), where=_where(grid, index))
            continue
        rows = rows_holding(grid, index, start=1 if header_row else 0)
        if rows:
            problems.add("unread-settings-column", Location(file, SETTINGS.name, rows[0], index),
                         column=column_letter(index), rows=spans(rows))


class SettingsRows:
    """報告設定's rows as they are read: each 項目 once; a repeated one, an unknown one with a
    value, or a value without a 項目 is a problem at its cells."""

    def __init__(self, file: str, problems: Problems) -> None:
        self.file, self.problems = file, problems
        self.known = known_names(SETTINGS)
        self.seen: dict[str, int] = {}  # header → 1-based row where it was first given

    def key(self, number: int, values: Sequence[object]) -> str | None:
        """The setting row `number` gives, or None (the header row, a note, a problem reported)."""
        first = values[0] if values else None
        value = values[1] if len(values) > 1 else None
        name = header_name(first)
        header = self.known.get(name)
        if header is None:
            if filled(value) and filled(first) and name != header_name(SETTINGS_KEY_HEADER):
                self.problems.add("unknown-setting", Location(self.file, SETTINGS.name, number, 0, _one_line(first)),
                                  item=_one_line(first), cell=cell_ref(number, 1),
                                  items="、".join(col.header for col in SETTINGS.columns))
            elif filled(value) and not filled(first):
                self.problems.add("unnamed-setting", Location(self.file, SETTINGS.name, number, 1),
                                  items="、".join(col.header for col in SETTINGS.columns))
            return None
        if header in self.seen:
            self.problems.add("duplicate-setting", Location(self.file, SETTINGS.name, number, 0, header),
                              first=cell_ref(self.seen[header], 0), second=cell_ref(number, 0),
                              same="" if _one_line(first) == header
                              else f"（「{_one_line(first)}」與「{header}」視為同一項目）")
            return None
        self.seen[header] = number
        note_invisible_name(first, Location(self.file, SETTINGS.name, number, 0, header), self.problems)
        if not filled(value) and isinstance(first, str):
            # `括號：全形` with 內容 blank: what follows the colon is an annotation, never read as the
            # value; said, since it is most likely the value typed into the wrong column (SPEC §2)
            typed = re.split("[：:]", first.strip(), maxsplit=1)
            if len(typed) == 2 and typed[1].strip():
                self.problems.add("setting-value-in-name", Location(self.file, SETTINGS.name, number, 0, header),
                                  item=_one_line(first), after=_one_line(typed[1].strip()), header=header,
                                  cell=cell_ref(number, 1))
        return header
