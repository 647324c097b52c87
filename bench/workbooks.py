"""Synthetic workbooks for the benchmark: valid per the spec, at any number of rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook

PERIOD = (dt.date(2021, 7, 1), dt.date(2021, 12, 31))
PER_SECTION = 500  # activities a section holds at most (item labels are numbered up to 999)
VISITS_PREFACE = ("本府{{ 期間 }}辦理訪賓接待(含線上視訊會議)業務，計{{ 案數 }}案、{{ 人數 }}人到訪，"
                  "其中視訊{{ 視訊案數 }}案、實體{{ 實體案數 }}案。主要訪團代表為：")
TEXT_PREFACE = "本府持續推動城市外交，深化與各國城市之交流合作。\n\n相關業務依年度計畫辦理。"


def activity_sections(rows: int) -> int:
    """Five sections, or more so that none holds more than PER_SECTION activities."""
    return max(5, -(-(rows // 2) // PER_SECTION))


def sections(rows: int) -> list[tuple[int, str, str, str]]:
    """Activity sections, then the visits section, then a text-only section."""
    count = activity_sections(rows)
    return [(n, f"國際交流專案第{n}類", "活動", "") for n in range(1, count + 1)] + [
        (count + 1, "推展與國際訪賓之友誼互動", "訪賓", VISITS_PREFACE),
        (count + 2, "其他業務", "文字", TEXT_PREFACE),
    ]
CITIES = ["日本京都市", "韓國水原市", "美國聖安東尼市", "澳洲布里斯本市", "德國礦山縣", "帛琉科羅州",
          "斯洛伐克布拉提斯拉瓦市", "日本熊本縣"]
COUNTRIES = ["日本", "韓國", "美國", "澳洲", "德國", "帛琉", "斯洛伐克", "日本"]
PEOPLE = ["門川大作市長", "李在俊市長", "Ron Nirenberg市長", "Adrian Schrinner市長", "蒲島郁夫知事"]
SPAN_DAYS = (PERIOD[1] - PERIOD[0]).days + 1


def _roc(day: dt.date) -> str:
    return f"{day.year - 1911}年{day.month}月{day.day}日"


def activity_row(i: int, sections: int) -> list[object]:
    """One activity: half the dates typed as ROC text, half real date cells; every title unique."""
    start = PERIOD[0] + dt.timedelta(days=(i * 7919) % SPAN_DAYS)
    city = CITIES[i % len(CITIES)]
    body = (f"{_roc(start)}本府行政暨國際處與{city}以視訊方式舉行第{i + 1}次交流會議，雙方就智慧城市、"
            f"淨零排放、觀光及青年交流等議題交換意見，並邀請駐台單位代表(Consul General)出席見證。")
    if i % 2:
        body += ("\n\n會後雙方同意於疫情趨緩後恢復互訪，並持續推動經貿、文化及教育等領域之實質合作，"
                 "深化城市夥伴關係。")
    start_cell: object = f"{start.year - 1911}/{start.month}/{start.day}" if i % 2 else start
    end = start + dt.timedelta(days=2) if i % 5 == 0 else None
    return [i % sections + 1, f"與{city}交流會議(第{i + 1}場)", start_cell, end, body, "是", None]


def visit_row(i: int) -> list[object]:
    """One visit case: a real date cell, one or two representatives, every tenth a key visitor."""
    day = PERIOD[0] + dt.timedelta(days=(i * 104729) % SPAN_DAYS)
    k = i % len(CITIES)
    reps = PEOPLE[i % len(PEOPLE)] + ("、" + PEOPLE[(i + 1) % len(PEOPLE)] if i % 3 == 0 else "")
    return [day, COUNTRIES[k], f"{CITIES[k]}訪問團第{i + 1}團", reps, i % 7 + 1,
            "視訊" if i % 4 == 0 else "實體", "是" if i % 10 == 0 else "否", None]


def write(path: Path, rows: int) -> Path:
    """A workbook with `rows` data rows, half activities and half visits (write-only: fast)."""
    book = Workbook(write_only=True)
    settings = book.create_sheet("報告設定")
    settings.append(["項目", "內容"])
    for key, value in (("章次", 26), ("章名", "國際事務"), ("期間起", "110/7/1"),
                       ("期間迄", "110/12/31"), ("括號", "半形")):
        settings.append([key, value])
    section_sheet = book.create_sheet("章節")
    section_sheet.append(["節次", "節名", "類型", "前言"])
    for number, title, kind, preface in sections(rows):
        section_sheet.append([number, title, kind, preface or None])
    activities = book.create_sheet("活動")
    activities.append(["節次", "標題", "開始日期", "結束日期", "內容", "列入報告", "備註"])
    count = activity_sections(rows)
    for i in range(rows // 2):
        activities.append(activity_row(i, count))
    visits = book.create_sheet("訪賓")
    visits.append(["日期", "國家或地區", "單位", "代表", "人數", "形式", "主要訪團", "備註"])
    for i in range(rows - rows // 2):
        visits.append(visit_row(i))
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
