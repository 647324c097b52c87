"""The workbook contract: the one place that names sheets, headers and choices."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Kind(str, Enum):
    """How a cell's raw value is interpreted."""

    LINE = "line"  # single-line text: line breaks removed
    PROSE = "prose"  # paragraphs: blank line separates, single break removed
    DATE = "date"  # a day, or a month where the column allows it
    INT = "int"
    CHOICE = "choice"


@dataclass(frozen=True)
class Column:
    """One column of a sheet (or one key of the settings sheet)."""

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


@dataclass(frozen=True)
class Sheet:
    """One sheet of the workbook."""

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
SECTION_TYPES = {"活動": "活動", "訪賓": "訪賓", "文字": "文字"}
VISIT_FORMS = {"實體": "實體", "現場": "實體", "親訪": "實體", "到訪": "實體",
               "視訊": "視訊", "線上": "視訊", "視訊會議": "視訊", "線上會議": "視訊",
               "遠距": "視訊", "ONLINE": "視訊", "VIDEO": "視訊"}
PAREN_WIDTHS = {"半形": "半形", "全形": "全形"}

DATE_FORMS = ("110/9/8", "110-9-8", "110.9.8", "110年9月8日", "民國110年9月8日", "1100908",
              "2021/9/8", "2021-09-08", "2021年9月8日")
MONTH_FORMS = ("110/9", "110年9月")

SETTINGS = Sheet(
    name="報告設定",
    help="報告的基本設定，一列一項：A 欄「項目」，B 欄「內容」。",
    columns=(
        Column("章次", Kind.INT, True, "本章在施政報告中的章次，1 至 999，印成大寫數字（26 → 貳拾陸）。",
               "26"),
        Column("章名", Kind.LINE, True, "本章的章名。", "國際事務"),
        Column("期間起", Kind.DATE, True, "報告期間的第一天（只填月份表示該月 1 日）。", "110/7/1"),
        Column("期間迄", Kind.DATE, True, "報告期間的最後一天（只填月份表示該月最後一天）。",
               "110/12/31"),
        Column("括號", Kind.CHOICE, False, "內文括號的寬度：半形（預設）或全形。", "半形",
               choices=PAREN_WIDTHS, default="半形"),
    ),
)
SETTINGS_KEY_HEADER = "項目"
SETTINGS_VALUE_HEADER = "內容"

SECTIONS = Sheet(
    name="章節",
    help="本章的各節，一列一節，依節次排列。",
    columns=(
        Column("節次", Kind.INT, True, "1、2、3……不可重複，印成「一、二、三、」。", "1", width=8),
        Column("節名", Kind.LINE, True, "節的標題。", "姊妹市及友好城市與國際交流專案", width=36),
        Column("類型", Kind.CHOICE, True, "活動（活動清單）、訪賓（訪賓統計與主要訪團）或文字（只有前言）。",
               "活動", choices=SECTION_TYPES, width=10),
        Column("前言", Kind.PROSE, False,
               "印在節標題下的段落；空一行表示分段。可用 {{ 期間 }}、{{ 案數 }} 等代入值。",
               "本府{{ 期間 }}計接待{{ 案數 }}案、{{ 人數 }}人。", width=60),
    ),
)

ACTIVITIES = Sheet(
    name="活動",
    help="一列一項活動，印在所屬的「活動」類節之下，依開始日期排序。",
    columns=(
        Column("節次", Kind.INT, True, "所屬節的節次（類型須為「活動」）。", "1", width=8),
        Column("標題", Kind.LINE, True, "活動標題，印成「(一) 標題」。", "與日本京都市簽署高雄協定書",
               width=36),
        Column("開始日期", Kind.DATE, True, "活動日期或月份，例如 110/9/10 或 110/9。", "110/9/10",
               width=14),
        Column("結束日期", Kind.DATE, False, "多日活動的最後一天；不可早於開始日期。", "110/9/12",
               width=14),
        Column("內容", Kind.PROSE, True, "活動內容；空一行表示分段。", "110年9月10日由陳其邁市長……",
               width=80),
        Column("列入報告", Kind.CHOICE, False, "是（預設）或否；「否」的列不印也不檢核。", "是",
               choices=YES_NO, default="是", width=10),
        Column("備註", Kind.LINE, False, "承辦人自用，不印出。", "資料來源：9/10 新聞稿", width=20,
               note=True),
    ),
)

VISITS = Sheet(
    name="訪賓",
    help="一列一案外賓來訪或視訊會議，用於統計與主要訪團名單。",
    columns=(
        Column("日期", Kind.DATE, True, "來訪或視訊的日期。", "110/9/10", width=14),
        Column("國家或地區", Kind.LINE, False, "供統計用。", "日本", width=12),
        Column("單位", Kind.LINE, True, "來訪的機關或城市。", "日本京都市", width=28),
        Column("代表", Kind.LINE, True, "代表姓名加職稱；多位以「、」或換行分隔。", "門川大作市長",
               width=28),
        Column("人數", Kind.INT, True, "本案來訪人數，1 到 9999 的整數。", "3", width=8, bounds=(1, 9999)),
        Column("形式", Kind.CHOICE, False, "實體（預設）或視訊（線上亦可）。", "視訊",
               choices=VISIT_FORMS, default="實體", width=10),
        Column("主要訪團", Kind.CHOICE, False, "是：在報告中列名；否（預設）：只計入統計。", "是",
               choices=YES_NO, default="否", width=10),
        Column("備註", Kind.LINE, False, "承辦人自用，不印出。", "由觀光局協助接待", width=20, note=True),
    ),
)

SHEETS: tuple[Sheet, ...] = (SETTINGS, SECTIONS, ACTIVITIES, VISITS)
DATA_SHEETS: tuple[Sheet, ...] = (SECTIONS, ACTIVITIES, VISITS)
GUIDE_SHEET = "填寫說明"  # the first sheet `init` writes; the reader ignores it

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
