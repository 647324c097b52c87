"""The least work that yields the chapter's paragraphs: openpyxl read-only, no validation.

Shared by the floor and docxtpl scripts so both read exactly as a hand-written script would:
every cell of every sheet through openpyxl's read-only mode, then grouping, sorting and
labels — no normalization, no checks. The benchmark workbooks are already clean text, so
these paragraphs equal reportgen's.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

LOWER = "〇一二三四五六七八九"
FORMAL = "零壹貳參肆伍陸柒捌玖"


def numeral(n: int, digits: str = LOWER, units: str = "十百") -> str:
    """1-999 as Chinese numerals: 10 → 十, 26 → 二十六, 101 → 一百零一."""
    hundreds, tens, ones = n // 100, n // 10 % 10, n % 10
    out = digits[hundreds] + units[1] if hundreds else ""
    if tens:
        out += units[0] if tens == 1 and not hundreds else digits[tens] + units[0]
    elif hundreds and ones:
        out += "零"
    return out + (digits[ones] if ones else "")


def _day(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    year, month, day = (int(part) for part in str(value).split("/"))
    return dt.date(year + 1911, month, day)


def read(folder: Path) -> dict[str, list[tuple]]:
    """Every row of every sheet of every workbook in the folder, values only."""
    from openpyxl import load_workbook  # here, not at the top: the calamine floor never pays for it

    sheets: dict[str, list[tuple]] = {}
    for path in sorted(folder.glob("*.xlsx")):
        book = load_workbook(path, read_only=True, data_only=True)
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            width = len(next(rows))  # the header row; openpyxl may drop a row's trailing blanks
            sheets.setdefault(sheet.title, []).extend(row + (None,) * (width - len(row)) for row in rows)
        book.close()
    return sheets


def read_calamine(folder: Path) -> dict[str, list[tuple]]:
    """The same rows as `read`, through python-calamine: the fastest reader there is for Python."""
    from python_calamine import CalamineWorkbook

    sheets: dict[str, list[tuple]] = {}
    for path in sorted(folder.glob("*.xlsx")):
        book = CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            width = len(grid[0]) if grid else 0
            sheets.setdefault(name, []).extend(
                tuple(None if value == "" else _whole(value) for value in row) + (None,) * (width - len(row))
                for row in grid[1:])
        book.close()
    return sheets


def _whole(value: object) -> object:
    """calamine gives every number as a float; the sheets hold whole numbers."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def chapter(sheets: dict[str, list[tuple]]) -> dict:
    """The chapter as nested data: what a docxtpl template loops over."""
    settings = {row[0]: row[1] for row in sheets["報告設定"]}
    visits = sorted(sheets["訪賓"], key=lambda row: _day(row[0]))
    people = sum(row[4] for row in visits)
    video = sum(1 for row in visits if row[5] == "視訊")
    start, end = _day(settings["期間起"]), _day(settings["期間迄"])
    values = {"期間": f"{start.month}月至{end.month}月", "案數": len(visits), "人數": people,
              "視訊案數": video, "實體案數": len(visits) - video}
    by_section: dict[int, list[tuple]] = {}
    for row in sorted(sheets["活動"], key=lambda row: _day(row[2])):
        by_section.setdefault(row[0], []).append(row)
    sections = []
    for index, (number, title, kind, preface) in enumerate(sorted(sheets["章節"]), start=1):
        body = []
        if preface:
            for name, value in values.items():
                preface = preface.replace("{{ " + name + " }}", str(value))
            body = preface.split("\n\n")
        if kind == "訪賓":
            names = [row[2] + "及".join(row[3].rsplit("、", 1)) + ("(視訊)" if row[5] == "視訊" else "")
                     for row in visits if row[6] == "是"]
            body.append("、".join(names) + "等。")
        entries = [{"label": f"({numeral(n)})", "title": row[1], "body": row[4].split("\n\n")}
                 for n, row in enumerate(by_section.get(number, ()), start=1)] if kind == "活動" else []
        sections.append({"heading": numeral(index) + "、" + title, "body": body, "entries": entries})
    chapter_heading = numeral(settings["章次"], FORMAL, "拾佰") + "、" + settings["章名"]
    return {"heading": chapter_heading, "sections": sections}
