"""`reportgen init`: a blank workbook, built from the schema, that teaches staff how to fill it."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..cells import display_width, get_column_letter
from ..dates import DATE_ERROR_FIX, DateError, parse_day, roc_date, roc_year
from ..errors import FatalError, broken_link, io_errno, io_failure
from ..problems import Problems
from ..schema import (
    ACTIVITIES,
    DATE_FORMS,
    GUIDE_SHEET,
    MONTH_FORMS,
    PLACEHOLDERS,
    SECTIONS,
    SETTINGS,
    SETTINGS_KEY_HEADER,
    SETTINGS_VALUE_HEADER,
    SHEETS,
    Column,
    Kind,
    Sheet,
    section_types,
    type_for_sheet,
)
from .outputs import write_atomic, write_hint

DATA_ROWS = 1000  # rows below the header that get dropdowns and number checks
TEXT_FORMAT = "@"  # Excel's "text" number format: typed ROC dates stay exactly as typed
WHOLE_FORMAT = "0"  # a whole number (人數, 節次, 章次): no decimals, no date Excel might guess
SETTINGS_HELP_HEADER = "說明"  # a third column on 報告設定; the reader only reads A and B

# Excel's limits for data-validation texts; longer texts make Excel refuse to open the file.
_TITLE_LIMIT, _PROMPT_LIMIT, _ERROR_LIMIT = 32, 255, 225

_REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")  # light yellow: must be filled
_OPTIONAL_FILL = PatternFill("solid", fgColor="E7E6E6")  # light grey: may stay blank
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
_PERIOD_SEPARATORS = "-~～至到–—－"

# What a new workbook starts with when there is no --from: the chapter and sections of the
# published report, so a blank workbook already shows how 章節 rows and 前言 templates look.
STARTER_CHAPTER = 26
STARTER_TITLE = "國際事務"
STARTER_SECTIONS: tuple[dict[str, object], ...] = (
    {"節次": 1, "節名": "姊妹市及友好城市與國際交流專案", "類型": "活動"},
    {"節次": 2, "節名": "推展與國際訪賓之友誼互動", "類型": "訪賓",
     "前言": "本府行政暨國際處{{ 期間 }}辦理訪賓接待(含線上視訊會議)業務，計{{ 案數 }}案、{{ 人數 }}人"
             "到訪。主要訪團代表為："},
)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    def __str__(self) -> str:
        return f"{roc_date(self.start)}至{roc_date(self.end)}"


@dataclass
class Setup:
    """What goes into 報告設定 and 章節: values by key, section rows by header."""

    chapter: int
    title: str
    period: Period | None  # None: unknown (an import that found no period leaves it to staff)
    parens: str
    sections: list[dict[str, object]]
    preface: str | None = None  # the chapter's 前言
    order: str = "日期"  # 活動排序
    digits: str = "半形"  # 序號數字
    activities: list[dict[str, object]] = field(default_factory=list)  # rows by header (import)


@dataclass
class InitOutcome:
    """What `init` did: problems of a --from workbook, and what was written (if anything)."""

    problems: Problems = field(default_factory=Problems)
    path: Path | None = None
    setup: Setup | None = None
    period_note: str = ""

    def summary(self) -> str:
        assert self.path is not None and self.setup is not None
        period = f"{self.setup.period}{self.period_note}" if self.setup.period else "未定（請在「報告設定」填寫）"
        if self.setup.activities:  # reportgen import
            first = "" if self.setup.period else "先在「報告設定」填寫期間起與期間迄，"
            return (f"已產生 {self.path}：報告期間 {period}，章節 {len(self.setup.sections)} 節、"
                    f"活動 {len(self.setup.activities)} 項。\n"
                    f"下一步：{first}reportgen build {self.path} 產生的段落與原文相同；請依本期資料修改活動與前言。")
        return (f"已產生 {self.path}：報告期間 {period}，"
                f"章節 {len(self.setup.sections)} 節。\n"
                f"下一步：填寫「活動」與「訪賓」工作表（說明見「{GUIDE_SHEET}」），"
                f"再執行 reportgen validate {self.path} 檢核。")


def check_target(path: Path, command: str = "init") -> None:
    """Refuse a new workbook's name that is taken, by anything, or does not end in .xlsx.

    Taken means any entry at the name: a file, a folder, or a link even when it reaches nothing
    (a dangling link or a loop is someone's too; writing would replace the link). `command` is
    the one run (init, import), named in the message.
    """
    link = broken_link(path)
    if link is not None:
        raise FatalError(f"{link}；reportgen {command} 不會覆寫既有的檔案或捷徑。"
                         "請換一個檔名，或先將這個捷徑移到別處。")
    if os.path.lexists(path) or os.path.lexists(os.path.realpath(path)):  # `x/../a.xlsx`, x missing
        raise FatalError(f"{path} 已存在；reportgen {command} 不會覆寫既有檔案。"
                         "請換一個檔名，或先將舊檔移到別處。")
    if path.name.lower() == ".xlsx":
        raise FatalError(f"{path} 只有副檔名，沒有檔名。請在 .xlsx 前加上檔名，例如 111年上半年_國際事務.xlsx。")
    if path.suffix.lower() != ".xlsx":
        raise FatalError(f"{path.name}：新活頁簿的檔名須以 .xlsx 結尾，例如 111年上半年_國際事務.xlsx。")


# --- periods ---------------------------------------------------------------------------------

def parse_period(text: str, field: str = "--period") -> Period:
    """`111/1/1-111/6/30` (any date form dates.py accepts; months too) → the period. `field`: where
    the person typed it, as messages name it (`--period`, or the web page's 報告期間)."""
    cleaned = text.strip()
    found: list[Period] = []
    for index, char in enumerate(cleaned):
        if char not in _PERIOD_SEPARATORS:
            continue
        try:
            start, end = parse_day(cleaned[:index].strip()), parse_day(cleaned[index + 1:].strip())
        except DateError:
            continue
        found.append(Period(start.first, end.last))
    if len(set(found)) != 1:
        raise FatalError(f"{field}「{text}」不是有效的報告期間。請寫成「期間起-期間迄」，"
                         f"例如 111/1/1-111/6/30。{DATE_ERROR_FIX}")
    result = found[0]
    if result.end < result.start:
        raise FatalError(f"{field}「{text}」的期間迄早於期間起。請確認報告期間的起迄日期。")
    return result


def half_year_of(day: dt.date) -> Period:
    """The half-year (Jan–Jun or Jul–Dec) that contains `day`."""
    if day.month <= 6:
        return Period(dt.date(day.year, 1, 1), dt.date(day.year, 6, 30))
    return Period(dt.date(day.year, 7, 1), dt.date(day.year, 12, 31))


def next_half_year(period: Period) -> Period:
    """The half-year after the one the old period ends in: 110 下半年 → 111 上半年."""
    end = half_year_of(period.end).end  # 6/30 or 12/31
    return half_year_of(dt.date(end.year + 1, 1, 1) if end.month == 12 else dt.date(end.year, 7, 1))


def period_cell(day: dt.date) -> str:
    """Dates are written as staff type them (111/1/1), in a text cell."""
    return f"{roc_year(day)}/{day.month}/{day.day}"


# --- what the workbook starts with ------------------------------------------------------------

def starter_setup(period: Period) -> Setup:
    return Setup(chapter=STARTER_CHAPTER, title=STARTER_TITLE, period=period,
                 parens=SETTINGS.column("括號").default or "半形",
                 sections=[dict(row) for row in STARTER_SECTIONS])


def _headers(sheet: Sheet) -> tuple[str, ...]:
    return tuple(col.header for col in sheet.columns)


# --- the workbook ------------------------------------------------------------------------------

def build_workbook(setup: Setup) -> Workbook:
    book = Workbook()
    book.remove(book.active)
    _guide_sheet(book.create_sheet(GUIDE_SHEET))
    _settings_sheet(book.create_sheet(SETTINGS.name), setup)
    for spec in (sheet for sheet in SHEETS if sheet is not SETTINGS):  # the schema's order
        rows = setup.sections if spec is SECTIONS else setup.activities if spec is ACTIVITIES else []
        _table_sheet(book.create_sheet(spec.name), spec, rows)
    book.active = 0
    book.properties.creator = "reportgen"
    book.properties.title = f"{setup.title}（{setup.period}）" if setup.period else setup.title
    return book


def _width(col: Column) -> int:
    """Wide enough for the header, its dropdown arrow, and a typical value (schema width)."""
    return max(col.width, display_width(col.header) + 4)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _prompt(col: Column, sheet: Sheet) -> DataValidation:
    """The input message Excel and Calc show when the header cell is selected."""
    need = "必填" if col.required else "可空白"
    text = f"（{need}）{col.hint}"
    if col.canonical_choices:
        text += "可選：" + "、".join(col.canonical_choices) + "。"
    if sheet is not SETTINGS and col.kind.is_date:
        text += "日期欄為文字格式，照常輸入即可。"
    if col.kind is Kind.PROSE:
        text += "儲存格內換行：Excel 按 Alt+Enter，Calc 按 Ctrl+Enter。"
    return DataValidation(showInputMessage=True, promptTitle=_clip(col.header, _TITLE_LIMIT),
                          prompt=_clip(text, _PROMPT_LIMIT))


def _checks(col: Column, sheet: Sheet) -> DataValidation | None:
    """Dropdowns and whole-number checks for a column's data cells."""
    title = _clip(f"「{col.header}」", _TITLE_LIMIT)
    if col.kind is Kind.CHOICE:
        choices = col.canonical_choices
        aliases = set(col.choices) - set(choices)  # e.g. 線上 for 視訊: let Excel accept them
        return DataValidation(
            type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
            showErrorMessage=True, errorStyle="warning" if aliases else "stop", errorTitle=title,
            error=_clip("請從下拉選單選擇：" + "、".join(choices) + "。", _ERROR_LIMIT))
    kind = type_for_sheet(sheet)
    if kind is not None and kind.by_number and col.header == "節次":  # rows that name their section
        source = _column_range(SECTIONS, "節次", absolute=True)
        return DataValidation(
            type="list", formula1=f"'{SECTIONS.name}'!{source}", allow_blank=True,
            showErrorMessage=True, errorStyle="warning", errorTitle=title,
            error=_clip(f"請從下拉選單選擇「{SECTIONS.name}」工作表中類型為「{kind.name}」的節次。",
                        _ERROR_LIMIT))
    if col.kind is Kind.INT:
        low, high = col.bounds
        return DataValidation(
            type="whole", operator="between", formula1=str(low), formula2=str(high), allow_blank=True,
            showErrorMessage=True, errorStyle="stop", errorTitle=title,
            error=_clip(f"請填 {low} 到 {high} 之間的整數（只填數字），例如 {col.example or low}。",
                        _ERROR_LIMIT))
    return None


def _column_range(sheet: Sheet, header: str, *, absolute: bool = False) -> str:
    letter = get_column_letter(_headers(sheet).index(header) + 1)
    if absolute:
        return f"${letter}$2:${letter}${DATA_ROWS + 1}"
    return f"{letter}2:{letter}{DATA_ROWS + 1}"


def _header_cell(sheet: Worksheet, row: int, column: int, text: str, required: bool) -> None:
    cell = sheet.cell(row, column, text)
    cell.font = _BOLD
    cell.fill = _REQUIRED_FILL if required else _OPTIONAL_FILL
    cell.alignment = Alignment(vertical="center")


# Text that reads as Excel's `_xHHHH_` escape: Excel saves such typed text with its underscore escaped.
_LOOKS_ESCAPED = re.compile("_(?=x[0-9A-Fa-f]{4}_)")


def cell_value(value: object) -> object:
    """A value as the .xlsx must hold it for Excel (and reportgen's reader) to show it as given:
    openpyxl writes text raw, so a literal `_x4E2D_` (carried over by `init --from`, or published
    text `import` read) would come back as 中; its underscore is escaped as Excel does (`_x005F_`)."""
    if isinstance(value, str) and "_x" in value:
        return _LOOKS_ESCAPED.sub("_x005F_", value)
    return value


def _table_sheet(sheet: Worksheet, spec: Sheet, rows: list[dict[str, object]]) -> None:
    for index, col in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        _header_cell(sheet, 1, index, col.header, col.required)
        prompt = _prompt(col, spec)
        prompt.add(f"{letter}1")
        sheet.add_data_validation(prompt)
        checks = _checks(col, spec)
        if checks is not None:
            checks.add(_column_range(spec, col.header))
            sheet.add_data_validation(checks)
        dimension = sheet.column_dimensions[letter]
        dimension.width = _width(col)
        # Column styles: every cell typed into the column takes them, however far down.
        if col.kind.is_date:
            dimension.number_format = TEXT_FORMAT
        elif col.kind is Kind.INT:
            dimension.number_format = WHOLE_FORMAT
        elif col.kind is Kind.PROSE:
            dimension.alignment = _WRAP
    for number, row in enumerate(rows, start=2):
        for index, col in enumerate(spec.columns, start=1):
            cell = sheet.cell(number, index)
            cell.value = cell_value(row.get(col.header))
            if col.kind is Kind.PROSE and isinstance(cell.value, str) and "\n" in cell.value:
                cell.alignment = _WRAP
    _page_setup(sheet)


def _settings_sheet(sheet: Worksheet, setup: Setup) -> None:
    period = setup.period
    values = {"章次": setup.chapter, "章名": setup.title,
              "期間起": period_cell(period.start) if period else None,
              "期間迄": period_cell(period.end) if period else None, "括號": setup.parens,
              "前言": setup.preface, "活動排序": setup.order, "序號數字": setup.digits}
    heads = (SETTINGS_KEY_HEADER, SETTINGS_VALUE_HEADER, SETTINGS_HELP_HEADER)
    for index, head in enumerate(heads, start=1):
        _header_cell(sheet, 1, index, head, index < 3)
    intro = DataValidation(showInputMessage=True, promptTitle=SETTINGS.name,
                           prompt=_clip(SETTINGS.help + "只改 B 欄；A 欄的項目名稱請勿更動。", _PROMPT_LIMIT))
    intro.add("A1:C1")
    sheet.add_data_validation(intro)
    for number, col in enumerate(SETTINGS.columns, start=2):
        key = sheet.cell(number, 1, col.header)
        key.font = _BOLD
        value = sheet.cell(number, 2, cell_value(values[col.header]))
        if col.kind.is_date:
            value.number_format = TEXT_FORMAT
        elif col.kind is Kind.INT:
            value.number_format = WHOLE_FORMAT
        sheet.cell(number, 3, col.hint).alignment = _WRAP
        prompt = _prompt(col, SETTINGS)
        prompt.add(key.coordinate)
        sheet.add_data_validation(prompt)
        checks = _checks(col, SETTINGS)
        if checks is not None:
            checks.add(value.coordinate)
            sheet.add_data_validation(checks)
    sheet.column_dimensions["A"].width = 12
    sheet.column_dimensions["B"].width = 20
    sheet.column_dimensions["C"].width = 70
    _page_setup(sheet)


def _page_setup(sheet: Worksheet) -> None:
    """Frozen header row on screen; on paper the header repeats and the width fits one page."""
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    _fit_landscape(sheet)


def _fit_landscape(sheet: Worksheet) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


@dataclass(frozen=True)
class GuideRow:
    """One row of the 填寫說明 sheet."""

    cells: tuple[str, ...]
    style: str = "row"  # title | heading (bold) | paragraph (one cell across the table) | row


GUIDE_WIDTHS = (16, 64, 8, 30)  # 欄位 / 說明 / 必填 / 範例, also used by the other blocks


def guide_rows() -> list[GuideRow]:
    """The 填寫說明 sheet, generated from the schema so it always matches what is checked."""
    rows = [
        GuideRow(("reportgen 活頁簿填寫說明",), "title"),
        GuideRow(("每半年填一本：「報告設定」確認章次與報告期間，「章節」列出本章各節，「活動」與「訪賓」"
                  "一列填一筆。黃底欄名為必填，灰底可空白；點選欄名會出現說明，有下拉選單的欄位請從選單"
                  "選擇。第 1 列的欄名請勿更改，欄位順序可以調整，自己加的欄位不會被讀取。",), "paragraph"),
    ]
    for sheet in SHEETS:
        rows += [GuideRow(()), GuideRow((f"「{sheet.name}」工作表：{sheet.help}",), "heading"),
                 GuideRow(("欄位" if sheet is not SETTINGS else "項目", "說明", "必填", "範例"), "heading")]
        for col in sheet.columns:
            help_text = col.help
            if col.canonical_choices:
                help_text += "（下拉選單：" + "、".join(col.canonical_choices) + "）"
            rows.append(GuideRow((col.header, help_text, "必填" if col.required else "可空白", col.example)))
    rows += [
        GuideRow(()),
        GuideRow(("日期寫法",), "heading"),
        GuideRow(("可以寫成 " + "、".join(DATE_FORMS) + "，或使用 Excel 的日期格式；只填月份可寫 "
                  + " 或 ".join(MONTH_FORMS) + "。年份 1 至 3 位數為民國年，4 位數為西元年。"
                  "日期欄已設為文字格式，輸入的寫法會原樣保留。",), "paragraph"),
        GuideRow(()),
        GuideRow(("子項的寫法",), "heading"),
        GuideRow(("「內容」與「前言」中，一行寫一個子項，以序號開頭，層次依序為 1、→(1)→甲、→(甲)→A、→(A)→a、→(a)。"
                  "序號的數字、字母或括號打全形或半形都可以，1. 與 1） 也可以；只換一行（不必空一行）就會另起一段，"
                  "每一層自動縮排、折行對齊序號之後的文字。印出時括號一律半形，數字與字母的寬度依「報告設定」的"
                  "「序號數字」（兩位數以上一律半形）。同一層的序號跳號或重複會有警告。",), "paragraph"),
        GuideRow(("範例（內容欄）", "我國與友邦合作計畫如下：\n1、與帛琉於8月13日簽署「引渡條約」。\n"
                                   "2、推動下列援助計畫：\n(1)學童午餐糧食倉儲計畫。\n(2)修建屋頂計畫。\n"
                                   "3、持續在諾魯推動「低碳島計畫」。")),
        GuideRow(("項目格式", "「章節」的「項目格式」：標題分段（預設）印成「(一) 標題」一段、內容另起一段；"
                              "標題接內文印成「(一)標題：內文」同一段，內容空白時只印標題（不加「：」）。")),
        GuideRow(("活動排序", "「報告設定」的「活動排序」：日期（預設）依開始日期排序；填寫順序依各列填寫的順序印出，"
                              "此時開始日期可以空白。")),
        GuideRow(()),
        GuideRow(("節的類型", "內容"), "heading"),
        *(GuideRow((kind.name, kind.help + (f"：印出「{kind.sheet.name}」工作表的資料" if kind.sheet else "")))
          for kind in section_types()),
        GuideRow(()),
        GuideRow(("前言代入值", "意義"), "heading"),
    ]
    rows += [GuideRow((f"{{{{ {name} }}}}", meaning)) for name, meaning in PLACEHOLDERS.items()]
    rows += [
        GuideRow(()),
        GuideRow(("填好之後", "在命令列執行"), "heading"),
        GuideRow(("檢核", "reportgen validate 檔名.xlsx\n列出所有錯誤與警告，每一項都有工作表與儲存格"
                          "（例如 訪賓!E7）及修正方式。")),
        GuideRow(("產生", "reportgen build 檔名.xlsx\n沒有錯誤時產生 outputs/<章名>.docx。")),
        GuideRow(("預覽", "reportgen preview 檔名.xlsx\n在畫面上以純文字預覽本章。")),
        GuideRow(("多人填寫", "reportgen build inputs\n各人的活頁簿放進同一資料夾（例如 inputs）一起檢核、產生；"
                              "「報告設定」與「章節」只需在其中一本填寫。")),
        GuideRow(("下個半年", "reportgen init 新檔名.xlsx --from 本檔.xlsx\n"
                              "帶入報告設定（期間順延半年）與章節，活動與訪賓為空白。")),
        GuideRow(("從已出版的章", "reportgen import 上期章節.docx -o 新檔名.xlsx\n"
                                "把已出版的一章（Word 檔，或從 PDF 複製、一行一段的 .txt）轉回活頁簿，"
                                "重新產生即得到同樣的段落；再依本期資料修改。")),
    ]
    return rows


def _lines(text: str, width: float) -> int:
    """Lines a wrapped cell needs; Calc does not size such rows itself when it opens the file."""
    return sum(max(1, -(-display_width(part) // int(width))) for part in text.split("\n"))


def _guide_sheet(sheet: Worksheet) -> None:
    full = sum(GUIDE_WIDTHS)
    for number, row in enumerate(guide_rows(), start=1):
        lines = 1
        for index, text in enumerate(row.cells, start=1):
            cell = sheet.cell(number, index, text)
            cell.alignment = _WRAP
            if row.style == "title":
                cell.font = Font(bold=True, size=14)
            elif row.style == "heading":
                cell.font = _BOLD
            span = full if len(row.cells) == 1 else GUIDE_WIDTHS[index - 1]
            lines = max(lines, _lines(text, span - 2))
        if len(row.cells) == 1:  # a title, heading or paragraph spans the table
            sheet.merge_cells(start_row=number, start_column=1, end_row=number, end_column=len(GUIDE_WIDTHS))
        if row.style != "title":
            sheet.row_dimensions[number].height = 16 * lines
    for index, width in enumerate(GUIDE_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    _fit_landscape(sheet)


def write_workbook(path: Path, setup: Setup, command: str = "init") -> None:
    """The blank workbook for `setup`, written atomically; never over an existing file."""
    check_target(path, command)  # reading --from took a moment; never replace what appeared since
    buffer = io.BytesIO()
    try:
        build_workbook(setup).save(buffer)
    except Exception as exc:  # openpyxl writes each sheet through a temporary file first
        reason = io_failure(exc)
        if reason is None:
            raise
        hint = write_hint(OSError(io_errno(exc), reason))
        raise FatalError(f"無法產生 {path}：暫存檔寫入失敗（{reason}）。{hint}") from exc
    write_atomic(path, buffer.getvalue())
