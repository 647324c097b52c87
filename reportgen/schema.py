"""The workbook contract: the one place that names sheets, headers and choices."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .cells import fold


class Kind(str, Enum):
    """How a cell's raw value is interpreted; kinds.py holds one converter per kind."""

    LINE = "line"  # single-line text: line breaks removed
    PROSE = "prose"  # paragraphs: blank line separates, single break removed
    ITEMS = "items"  # a list: items separated by 、 or line breaks
    DATE = "date"  # a day
    MONTH = "month-or-date"  # a day, or a month alone
    INT = "count"  # a whole number within the column's bounds
    CHOICE = "choice"  # one of the column's choices (aliases accepted)

    @property
    def is_date(self) -> bool:
        return self in (Kind.DATE, Kind.MONTH)


@dataclass(frozen=True)
class Column:
    """One column of a sheet (or one key of the settings sheet): everything that follows from it.

    The reader's header check, the cell's conversion and blank check (by `kind`), the models'
    constraints, `init`'s headers, dropdowns and guide, and the README's tables all read this.
    """

    header: str
    kind: Kind
    required: bool
    help: str
    example: str = ""
    choices: dict[str, str] = field(default_factory=dict)  # accepted spelling -> canonical
    default: str | None = None
    width: int = 12  # characters, for `init`
    bounds: tuple[int, int] = (1, 999)  # for Kind.INT: the smallest and largest whole number
    note: bool = False  # a staff member's own remark: never printed, and alone it makes no row
    key: str = ""  # the model field the converted value fills ("" for notes and unused columns)

    @property
    def hint(self) -> str:
        """The help text with its example, for messages and the workbook's guidance."""
        if self.example and self.example not in self.help:
            return f"{self.help}例如：{self.example}。"
        return self.help

    @property
    def canonical_choices(self) -> tuple[str, ...]:
        """The spellings offered in dropdowns, in order of first appearance."""
        return tuple(dict.fromkeys(self.choices.values()))


@dataclass
class Sheet:
    """One sheet of the workbook (mutable only so a test can add a column to it)."""

    name: str
    columns: tuple[Column, ...]
    help: str

    def column(self, header: str) -> Column:
        for col in self.columns:
            if col.header == header:
                return col
        raise KeyError(header)


YES_NO = {"是": "是", "否": "否", "Y": "是", "N": "否", "YES": "是", "NO": "否",
          "TRUE": "是", "FALSE": "否"}
# Filled by sections.py, the registry of section types (so a new type is one entry there).
SECTION_TYPES: dict[str, str] = {}
VISIT_FORMS = {"實體": "實體", "現場": "實體", "親訪": "實體", "到訪": "實體",
               "視訊": "視訊", "線上": "視訊", "視訊會議": "視訊", "線上會議": "視訊",
               "遠距": "視訊", "ONLINE": "視訊", "VIDEO": "視訊"}
PAREN_WIDTHS = {"半形": "半形", "全形": "全形", "半型": "半形", "全型": "全形"}

DATE_FORMS = ("110/9/8", "110-9-8", "110.9.8", "110年9月8日", "民國110年9月8日", "1100908",
              "2021/9/8", "2021-09-08", "2021年9月8日")
MONTH_FORMS = ("110/9", "110年9月")

SETTINGS = Sheet(
    name="報告設定",
    help="報告的基本設定，一列一項：A 欄「項目」，B 欄「內容」。",
    columns=(
        Column("章次", Kind.INT, True, "本章在施政報告中的章次，1 至 999，印成大寫數字（26 → 貳拾陸）。",
               "26", key="chapter"),
        Column("章名", Kind.LINE, True, "本章的章名。", "國際事務", key="title"),
        Column("期間起", Kind.MONTH, True, "報告期間的第一天（只填月份表示該月 1 日）。", "110/7/1",
               key="start"),
        Column("期間迄", Kind.MONTH, True, "報告期間的最後一天（只填月份表示該月最後一天）。",
               "110/12/31", key="end"),
        Column("括號", Kind.CHOICE, False, "內文括號的寬度：半形（預設）或全形。", "半形",
               choices=PAREN_WIDTHS, default="半形", key="parens"),
    ),
)
SETTINGS_KEY_HEADER = "項目"
SETTINGS_VALUE_HEADER = "內容"

SECTIONS = Sheet(
    name="章節",
    help="本章的各節，一列一節，依節次排列。",
    columns=(
        Column("節次", Kind.INT, True, "1、2、3……不可重複，印成「一、二、三、」。", "1", width=8,
               key="number"),
        Column("節名", Kind.LINE, True, "節的標題。", "姊妹市及友好城市與國際交流專案", width=36,
               key="title"),
        Column("類型", Kind.CHOICE, True, "（由 sections.py 的類型清單產生）", "活動",
               choices=SECTION_TYPES, width=10, key="kind"),
        Column("前言", Kind.PROSE, False,
               "印在節標題下的段落；空一行表示分段。可用 {{ 期間 }}、{{ 案數 }} 等代入值。",
               "本府{{ 期間 }}計接待{{ 案數 }}案、{{ 人數 }}人。", width=60, key="preface"),
    ),
)

ACTIVITIES = Sheet(
    name="活動",
    help="一列一項活動，印在所屬的「活動」類節之下，依開始日期排序。",
    columns=(
        Column("節次", Kind.INT, True, "所屬節的節次（類型須為「活動」）。", "1", width=8,
               key="section"),
        Column("標題", Kind.LINE, True, "活動標題，印成「(一) 標題」。", "與日本京都市簽署高雄協定書",
               width=36, key="title"),
        Column("開始日期", Kind.MONTH, True, "活動日期或月份，例如 110/9/10 或 110/9。", "110/9/10",
               width=14, key="start"),
        Column("結束日期", Kind.MONTH, False, "多日活動的最後一天；不可早於開始日期。", "110/9/12",
               width=14, key="end"),
        Column("內容", Kind.PROSE, True, "活動內容；空一行表示分段。", "110年9月10日由陳其邁市長……",
               width=80, key="paragraphs"),
        Column("列入報告", Kind.CHOICE, False, "是（預設）或否；「否」的列不印也不檢核。", "是",
               choices=YES_NO, default="是", width=10, key="include"),
        Column("備註", Kind.LINE, False, "承辦人自用，不印出。", "資料來源：9/10 新聞稿", width=20,
               note=True),
    ),
)

VISITS = Sheet(
    name="訪賓",
    help="一列一案外賓來訪或視訊會議，用於統計與主要訪團名單。",
    columns=(
        Column("日期", Kind.DATE, True, "來訪或視訊的日期。", "110/9/10", width=14, key="date"),
        Column("國家或地區", Kind.LINE, False, "供統計用。", "日本", width=12, key="region"),
        Column("單位", Kind.LINE, True, "來訪的機關或城市。", "日本京都市", width=28,
               key="organisation"),
        Column("代表", Kind.ITEMS, True, "代表姓名加職稱；多位以「、」或換行分隔。", "門川大作市長",
               width=28, key="representatives"),
        Column("人數", Kind.INT, True, "本案來訪人數，1 到 9999 的整數。", "3", width=8, bounds=(1, 9999),
               key="people"),
        Column("形式", Kind.CHOICE, False, "實體（預設）或視訊（線上亦可）。", "視訊",
               choices=VISIT_FORMS, default="實體", width=10, key="form"),
        Column("主要訪團", Kind.CHOICE, False, "是：在報告中列名；否（預設）：只計入統計。", "是",
               choices=YES_NO, default="否", width=10, key="key"),
        Column("備註", Kind.LINE, False, "承辦人自用，不印出。", "由觀光局協助接待", width=20, note=True),
    ),
)

SHEETS: tuple[Sheet, ...] = (SETTINGS, SECTIONS, ACTIVITIES, VISITS)
DATA_SHEETS: tuple[Sheet, ...] = (SECTIONS, ACTIVITIES, VISITS)
GUIDE_SHEET = "填寫說明"  # the first sheet `init` writes; the reader ignores it
REPORT_SHEET = "檢核結果"  # the first sheet of a `validate --report` workbook: such a file is no input

# Placeholders a 前言 template may use, with what each means (for messages and `init`).
PLACEHOLDERS: dict[str, str] = {
    "期間": "報告期間，例如 7月至12月（跨年度時為 110年7月至111年6月）",
    "期間全稱": "含年度的報告期間，例如 110年7月至12月",
    "年度": "報告期間開始的民國年，例如 110",
    "案數": "訪賓案數（全部）",
    "人數": "訪賓人數（全部）",
    "視訊案數": "視訊訪賓案數",
    "實體案數": "實體訪賓案數",
}

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods")


def sheet_named(tab: str) -> Sheet | None:
    """The contract's sheet a workbook's tab stands for: `活 動 ` is 活動 (width and spaces aside)."""
    folded = fold(tab)
    return next((sheet for sheet in SHEETS if fold(sheet.name) == folded), None)


def markdown_table(sheet: Sheet) -> str:
    """The sheet's columns as the README's table (a test keeps the README equal to this)."""
    first = "項目" if sheet is SETTINGS else "欄位"
    lines = [f"| {first} | 必填 | 說明 |", "|---|---|---|"]
    for col in sheet.columns:
        text = col.help
        if col.canonical_choices:
            text += "（選項：" + "、".join(col.canonical_choices) + "）"
        lines.append(f"| {col.header} | {'是' if col.required else '否'} | {text} |")
    return "\n".join(lines)


from .write import sections as _sections  # noqa: E402,F401  (registers the section types above)
