"""The workbook contract: the one place that names sheets, headers and choices."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from functools import cached_property

from .cells import fold
from .normalize import strip_invisible


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


# Characters of typed text. A title or organisation of 200 characters is already a paragraph;
# 10,000 characters of 內容 is several printed pages (Excel itself stops at 32,767). Dates and
# numbers are short by nature, so a long one is a value pasted into the wrong column. (A long
# choice is already reported as a value not among the choices.)
MAX_CHARS: dict[Kind, int] = {
    Kind.LINE: 200,
    Kind.PROSE: 10_000,
    Kind.ITEMS: 200,
    Kind.DATE: 100,
    Kind.MONTH: 100,
    Kind.INT: 100,
}


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
    may_be_blank: bool = False  # required as a column, but a cell may be blank (活動's 內容, SPEC §2 "yes*")
    key: str = ""  # the model field the converted value fills ("" for notes and unused columns)

    @property
    def hint(self) -> str:
        """The help text with its example, for messages and the workbook's guidance."""
        if self.example and self.example not in self.help:
            end = "" if str(self.example)[-1:] in "。：！？；" else "。"  # an example that is a sentence ends itself
            return f"{self.help}例如：{self.example}{end}"
        return self.help

    # Computed once per column (cached_property writes the instance's __dict__, which a frozen
    # dataclass allows): the checks ask for them for every row.
    @cached_property
    def canonical_choices(self) -> tuple[str, ...]:
        """The spellings offered in dropdowns, in order of first appearance."""
        return tuple(dict.fromkeys(self.choices.values()))

    @cached_property
    def yes_no(self) -> bool:
        """A 是/否 choice: its model field is a bool."""
        return set(self.canonical_choices) == {"是", "否"}

    def choice_of(self, value: object) -> str | None:
        """The canonical choice a typed value stands for (`線上` → 視訊), or None.

        A number typed in a choice cell is read as staff see it (3, not 3.0); no date is a choice.
        """
        if not isinstance(value, str):
            value = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        found = self.choices.get(value)  # as the dropdown wrote it: most cells
        return found if found is not None else self.choices.get(fold(value).upper())

    def is_default(self, value: object) -> bool:
        """A choice cell holding its column's default (a dropdown dragged down): no data by itself."""
        if self.kind is not Kind.CHOICE or self.default is None or value is None:
            return False
        if isinstance(value, str):
            value = strip_invisible(value)[0]
        return self.choice_of(value) == self.default


@dataclass(frozen=True)
class Unique:
    """Which columns (by key) make a row the same entry as another (entered twice is an error)."""

    keys: tuple[str, ...]
    at: str  # the key of the cell the error is reported at
    code: str  # the catalogue's code (codes.py)


@dataclass(frozen=True)
class Sheet:
    """One sheet of the workbook, declared once here and never changed by another module."""

    name: str
    columns: tuple[Column, ...]
    help: str
    key: str = ""  # the Report field its rows become (activities, visits); "" when not a list
    unique: Unique | None = None
    include: str = ""  # the key of a 是/否 column whose 否 leaves the row out, unchecked (列入報告)

    def __post_init__(self) -> None:
        """A declaration checks itself (mkdocs' habit): every read column has one key of its own,
        and what the sheet names by key exists."""
        keys = [col.key for col in self.columns if not col.note]
        if "" in keys or len(set(keys)) != len(keys):
            raise ValueError(f"{self.name}: every column but notes needs its own key: {keys}")
        named = [*(self.unique.keys if self.unique else ()), *([self.unique.at] if self.unique else ()),
                 *([self.include] if self.include else ())]
        if not set(named) <= set(keys):
            raise ValueError(f"{self.name}: unknown keys {sorted(set(named) - set(keys))}")

    @cached_property
    def field_columns(self) -> tuple[Column, ...]:
        """The columns whose values fill the row's model: not notes, not the include column (its 否
        rows never become models). Once per sheet: validate asks for every row."""
        return tuple(col for col in self.columns if not col.note and col.key != self.include)

    def column(self, header: str) -> Column:
        for col in self.columns:
            if col.header == header:
                return col
        raise KeyError(header)

    def by_key(self, key: str) -> Column:
        """The column whose value fills the model field `key`: code names columns by key, so a
        header is renamed in this file alone."""
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)


YES_NO = {"是": "是", "否": "否", "Y": "是", "N": "否", "YES": "是", "NO": "否",
          "TRUE": "是", "FALSE": "否"}
VISIT_FORMS = {"實體": "實體", "現場": "實體", "親訪": "實體", "到訪": "實體",
               "視訊": "視訊", "線上": "視訊", "視訊會議": "視訊", "線上會議": "視訊",
               "遠距": "視訊", "ONLINE": "視訊", "VIDEO": "視訊"}
PAREN_WIDTHS = {"半形": "半形", "全形": "全形", "半型": "半形", "全型": "全形"}
# 活動排序: by 開始日期 (default), or as entered (then 開始日期 may be blank).
BY_DATE, AS_ENTERED = "日期", "填寫順序"
ACTIVITY_ORDERS = {BY_DATE: BY_DATE, AS_ENTERED: AS_ENTERED, "依日期": BY_DATE, "開始日期": BY_DATE,
                   "依填寫順序": AS_ENTERED, "輸入順序": AS_ENTERED, "填寫順序排列": AS_ENTERED}
# 項目格式: `(一) 標題` as its own paragraph (default), or `(一)標題：內文` in one paragraph.
SEPARATE, RUN_IN = "標題分段", "標題接內文"
ITEM_FORMATS = {SEPARATE: SEPARATE, RUN_IN: RUN_IN, "分段": SEPARATE, "接內文": RUN_IN}

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
        # --- reportgen 0.2: published chapters (issue 20) ---
        Column("前言", Kind.PROSE, False,
               "印在章標題之後、「一、」之前的段落；空一行表示分段。可用 {{ 期間 }} 等代入值。",
               "茲將本府{{ 期間全稱 }}國際事務重要施政分述如下：", key="preface"),
        Column("活動排序", Kind.CHOICE, False,
               "日期（預設）：活動依開始日期排序；填寫順序：依填寫的順序印出，開始日期可空白。", "日期",
               choices=ACTIVITY_ORDERS, default=BY_DATE, key="order"),
        Column("序號數字", Kind.CHOICE, False,
               "子項序號 1、(1)、A、 的數字與字母寬度：半形（預設）或全形（１、(１)）；兩位數以上一律半形。",
               "半形", choices=PAREN_WIDTHS, default="半形", key="digits"),
    ),
)
SETTINGS_KEY_HEADER = "項目"
SETTINGS_VALUE_HEADER = "內容"

ACTIVITIES = Sheet(
    name="活動",
    help="一列一項活動，印在所屬的「活動」類節之下，依開始日期排序。",
    key="activities",
    unique=Unique(("section", "title", "start"), at="title", code="duplicate-activity"),
    include="include",
    columns=(
        Column("節次", Kind.INT, True, "所屬節的節次（類型須為「活動」）。", "1", width=8,
               key="section"),
        Column("標題", Kind.LINE, True, "活動標題，印成「(一) 標題」。", "與日本京都市簽署高雄協定書",
               width=36, key="title"),
        Column("開始日期", Kind.MONTH, True, "活動日期或月份，例如 110/9/10 或 110/9。", "110/9/10",
               width=14, key="start"),
        Column("結束日期", Kind.MONTH, False, "多日活動的最後一天；不可早於開始日期。", "110/9/12",
               width=14, key="end"),
        # (Blank allowed: the item is its title alone; sub-items and 填寫順序 are in init's guide.)
        Column("內容", Kind.PROSE, True, "活動內容；空一行表示分段。", "110年9月10日由陳其邁市長……",
               width=80, key="paragraphs", may_be_blank=True),
        Column("列入報告", Kind.CHOICE, False, "是（預設）或否；「否」的列不印也不檢核。", "是",
               choices=YES_NO, default="是", width=10, key="include"),
        Column("備註", Kind.LINE, False, "承辦人自用，不印出。", "資料來源：9/10 新聞稿", width=20,
               note=True),
    ),
)

VISITS = Sheet(
    name="訪賓",
    help="一列一案外賓來訪或視訊會議，用於統計與主要訪團名單。",
    key="visits",
    unique=Unique(("date", "organisation"), at="organisation", code="duplicate-visit"),
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


@dataclass(frozen=True)
class SectionType:
    """A kind of section staff choose in 類型: where its rows come from and what an empty one lacks.

    Its body (the paragraphs after the 前言) is the writer's: write/sections.py, by `name`.
    Adding a type is one entry in TYPES plus its body there.
    """

    name: str  # what staff choose in 類型
    help: str
    sheet: Sheet | None  # the sheet whose rows print in a section of this type, if any
    # True: each row names its section in 節次 (several sections of the type may exist);
    # False: all rows of `sheet` go to the one section of this type (exactly one when there are rows).
    by_number: bool
    nothing: str  # for the empty-section warning: what the section lacks
    advice: str  # and what to do
    aliases: tuple[str, ...] = ()
    listed_by: str = ""  # the key of a 是/否 column: only rows marked 是 print by name (訪賓: 主要訪團)


TYPES: tuple[SectionType, ...] = (
    SectionType("活動", "活動清單", ACTIVITIES, True, "沒有任何活動", "請在「活動」工作表填寫，或刪除這一節。"),
    SectionType("訪賓", "訪賓統計與主要訪團", VISITS, False, "沒有任何訪賓", "請在「訪賓」工作表填寫，或刪除這一節。",
                listed_by="key"),
    SectionType("文字", "只有前言", None, False, "沒有前言", "請在「章節」工作表的「前言」填寫內容，或刪除這一節。"),
)


def _type_help(types: tuple[SectionType, ...]) -> str:
    """The 類型 column's help: 活動（活動清單）、訪賓（…）或文字（只有前言）。"""
    parts = [f"{t.name}（{t.help}）" for t in types]
    return ("、".join(parts[:-1]) + "或" + parts[-1] if len(parts) > 1 else parts[0]) + "。"


SECTION_TYPES: dict[str, str] = {spelling: kind.name for kind in TYPES for spelling in (kind.name, *kind.aliases)}


SECTIONS = Sheet(
    name="章節",
    help="本章的各節，一列一節，依節次排列。",
    columns=(
        Column("節次", Kind.INT, True, "1、2、3……不可重複，印成「一、二、三、」。", "1", width=8,
               key="number"),
        Column("節名", Kind.LINE, True, "節的標題。", "姊妹市及友好城市與國際交流專案", width=36,
               key="title"),
        Column("類型", Kind.CHOICE, True, _type_help(TYPES), "活動",
               choices=SECTION_TYPES, width=10, key="kind"),
        Column("前言", Kind.PROSE, False,
               "印在節標題下的段落；空一行表示分段。可用 {{ 期間 }}、{{ 案數 }} 等代入值。",
               "本府{{ 期間 }}計接待{{ 案數 }}案、{{ 人數 }}人。", width=60, key="preface"),
        Column("項目格式", Kind.CHOICE, False,
               "標題分段（預設）：「(一) 標題」自成一段，內容另起一段；標題接內文：「(一)標題：內文」同一段。",
               "標題分段", choices=ITEM_FORMATS, default=SEPARATE, width=12, key="format"),
    ),
)

SHEETS: tuple[Sheet, ...] = (SETTINGS, SECTIONS, ACTIVITIES, VISITS)
DATA_SHEETS: tuple[Sheet, ...] = (SECTIONS, ACTIVITIES, VISITS)
# The order in which the checks ask for the sheets, and so the order in which the reader has them
# parsed ahead: 訪賓, usually the smaller table, before 活動, so that 活動 is parsed while 訪賓 is
# checked (read/table.Sheets, check/validate.validate_books).
CHECK_ORDER: tuple[Sheet, ...] = (SETTINGS, SECTIONS, VISITS, ACTIVITIES)
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
# Spreadsheets staff may save by mistake, named in the message that refuses them.
UNSUPPORTED = {
    ".xls": "舊版 Excel 97-2003 格式",
    ".xlsb": "Excel 二進位活頁簿",
    ".csv": "CSV 純文字檔",
    ".numbers": "Numbers 試算表",
}


def undated(sheet: Sheet) -> Sheet:
    """`sheet` with its 開始日期 optional: how 活動 rows are read when 活動排序 is 填寫順序 (the
    column must still be there; a blank cell is no error). Made from the sheet as it is now."""
    return replace(sheet, columns=tuple(replace(col, required=False) if col.key == "start" else col
                                        for col in sheet.columns))


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



def section_types() -> tuple[SectionType, ...]:
    """Every section type, in the 類型 dropdown's order (looked up when called: TYPES is the one
    declaration, and a test may declare another type for its duration)."""
    return TYPES


def section_type(name: str) -> SectionType:
    """The type staff chose (its canonical name, as validation leaves it)."""
    return next(kind for kind in TYPES if kind.name == name)


def type_for_sheet(sheet: Sheet) -> SectionType | None:
    """The section type whose rows come from `sheet`, if any."""
    return next((kind for kind in TYPES if kind.sheet is sheet), None)
