"""The least work that yields the chapter's paragraphs: no validation, no normalization.

Shared by the floors and the docxtpl script so all read as a hand-written script would: every
cell of the four data sheets (through openpyxl's read-only mode, or python-calamine for the
physical floor), then grouping, sorting and labels — no normalization, no checks. The benchmark
workbooks are already clean text, so these paragraphs equal reportgen's; the shipped example's
differ where reportgen normalizes (a pasted line break, full-width digits, 線上 for 視訊), with
the same count.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

SHEETS = ("報告設定", "章節", "活動", "訪賓")  # the four sheets a chapter is made of
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
    """A date cell, or the digits of a typed date: what sorting needs, nothing checked."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    parts = str(value).split("/")  # the bench workbooks type 110/9/8
    if len(parts) != 3:  # the example's other spellings: 110年9月, 1100917, 2021-10-05 …
        parts = re.findall(r"\d+", str(value))
        if len(parts) == 1:
            parts = [parts[0][:-4], parts[0][-4:-2], parts[0][-2:]]
        parts += ["1"] * (3 - len(parts))
    year, month, day = (int(part) for part in parts)
    return dt.date(year + 1911 if year < 1000 else year, month, day)


def read(folder: Path) -> dict[str, list[tuple]]:
    """Every row of every sheet of every workbook in the folder, values only."""
    from openpyxl import load_workbook  # here, not at the top: the calamine floor never pays for it

    sheets: dict[str, list[tuple]] = {}
    for path in sorted(folder.glob("*.xlsx")):
        book = load_workbook(path, read_only=True, data_only=True)
        for sheet in book.worksheets:
            if sheet.title not in SHEETS:
                continue
            rows = sheet.iter_rows(values_only=True)
            width = len(next(rows))  # the header row; openpyxl may drop a row's trailing blanks
            sheets.setdefault(sheet.title, []).extend(row + (None,) * (width - len(row)) for row in rows)
        book.close()
    return sheets


def read_calamine(folder: Path) -> dict[str, list[list]]:
    """Every cell of the four sheets through python-calamine, the fastest reader there is for
    Python, as it gives them: numbers are floats and blanks "" (`chapter` takes either)."""
    from python_calamine import CalamineWorkbook

    sheets: dict[str, list[list]] = {}
    for path in sorted(folder.glob("*.xlsx")):
        book = CalamineWorkbook.from_path(str(path))
        for name in SHEETS:
            sheets.setdefault(name, []).extend(book.get_sheet_by_name(name).to_python()[1:])
        book.close()
    return sheets


def chapter(sheets: dict[str, list[tuple]]) -> dict:
    """The chapter as nested data: what a docxtpl template loops over."""
    settings = {row[0]: row[1] for row in sheets["報告設定"]}
    visits = sorted(sheets["訪賓"], key=lambda row: _day(row[0]))
    people = int(sum(row[4] for row in visits))  # calamine's numbers are floats
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
    chapter_heading = numeral(int(settings["章次"]), FORMAL, "拾佰") + "、" + settings["章名"]
    return {"heading": chapter_heading, "sections": sections}
