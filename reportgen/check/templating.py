"""前言 sentence templates: Jinja2 in a sandbox, with strict names and bounded output.

What a template may print (SPEC §5: text and numbers only; anything that is not a placeholder's
value is an error at the cell):

- A {{ }} prints text or a number: a placeholder's value, text or a number typed in the tag, or a
  choice among them (`x if c else y`; `a and b`, `a or b`, which print one of their operands).
  Whether an expression can print True/False (a comparison, `not`, true/false) or None (none) is
  judged from the expression itself, before rendering, whichever branch this period's numbers
  take: `{{ 案數 > 1 or '少' }}` is an error even when 案數 is 0, and `{{ 案數 > 1 and '多' or '少' }}`
  prints 多 or 少, never the comparison. `and` can print its left operand only when it is falsy,
  `or` only when it is truthy, so a comparison there prints only as False or True respectively.
- `~` joins the printed form of each operand into text, so each operand is held to the same rule
  (`{{ 期間 ~ (案數 > 1) }}` would print 7月至12月False); when rendering, each joined value is
  checked again (an infinite number prints `inf`), and an `if` without `else` joins nothing, as it
  prints nothing on its own.
- Arithmetic is + and − only, on numbers (and + of two texts, which joins them): the numbers of a
  sentence are counts and years, and `{{ 年度 + 1 }}` (next year) or `{{ 案數 - 視訊案數 }}` stay
  whole numbers. A comparison, None, text or a missing else used in + or − is an error. *, /, //,
  % and ** are refused: division gives fractions (2.5 people is not a count), * and ** can build
  huge numbers or repeated text, and % formats text (`'%999999999d' % 案數`), a sandbox matter.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from functools import lru_cache

from ..dates import ROC_OFFSET, period_text, roc_year
from ..models import Settings, VisitStats
from ..schema import PLACEHOLDERS

MAX_OUTPUT = 20_000  # characters a rendered 前言 may reach

# The template language a 前言 may use: text, placeholders, constants, {% if %} with comparisons,
# and + / -. Everything else (loops, calls, attributes, filters, *, /, %, **) is refused before
# rendering, so no 前言 can spend CPU or memory without printing, or reach Python objects.
_ALLOWED_NODES = frozenset({
    "Template", "Output", "TemplateData", "Name", "Const", "If", "Compare", "Operand", "And", "Or",
    "Not", "CondExpr", "Add", "Sub", "Neg", "Pos", "Concat",
})
_REFUSED_KINDS = {
    "For": "迴圈（{% for %}）",
    "Macro": "巨集或函式呼叫", "CallBlock": "巨集或函式呼叫", "Call": "巨集或函式呼叫",
    "Getattr": "屬性或索引（. 或 [ ]）", "Getitem": "屬性或索引（. 或 [ ]）", "Slice": "屬性或索引（. 或 [ ]）",
    "Filter": "篩選器或測試（| 或 is）", "FilterBlock": "篩選器或測試（| 或 is）", "Test": "篩選器或測試（| 或 is）",
    "Mul": "乘法（*）", "Div": "除法（/ 或 //）", "FloorDiv": "除法（/ 或 //）",
    "Mod": "% 運算（取餘數或格式化文字）", "Pow": "次方（**）",
    "Assign": "變數設定（{% set %}）", "AssignBlock": "變數設定（{% set %}）", "With": "變數設定（{% with %}）",
    "Include": "引用其他範本", "Import": "引用其他範本", "FromImport": "引用其他範本", "Extends": "引用其他範本",
    "Block": "範本區塊（{% block %}）",
    "List": "清單或字典", "Tuple": "清單或字典", "Dict": "清單或字典",
}


# Why arithmetic other than + and − is refused, and what to write instead.
_ADD_ONLY = "數字只能加減，例如 {{ 年度 + 1 }}、{{ 案數 - 視訊案數 }}；"
_REFUSED_FIX = {
    "Mul": _ADD_ONLY + "乘法可能產生極大的數字或重複的文字。",
    "Pow": _ADD_ONLY + "次方可能產生極大的數字。",
    "Div": _ADD_ONLY + "除法的結果（例如 2.5）不是案數或人數。",
    "FloorDiv": _ADD_ONLY + "除法的結果不是案數或人數。",
    "Mod": _ADD_ONLY + "文字請用 ~ 連接，例如 {{ '共' ~ 案數 ~ '案' }}。",
}


class TemplateProblem(ValueError):
    """A 前言 that cannot be rendered; the message is for staff. `also`: the other problems found
    in the same 前言 (SPEC §4: every problem is reported, not only the first)."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.also: list[TemplateProblem] = []


# Delimiters as a Chinese input method types them: `｛｛ 期間 ｝｝`, `｛％ if … ％｝`, or mixed (`{｛`).
_TAG = re.compile(
    r"[{｛](?:(?P<var>[{｛])(?P<vbody>.*?)[}｝][}｝]"
    r"|(?P<block>[%％])(?P<bbody>.*?)[%％][}｝]"
    r"|[#＃].*?[#＃][}｝])",
    re.S,
)
_RAW = re.compile(r"[-+]?\s*raw\s*[-+]?")
_ENDRAW = re.compile(r"[{｛][%％][-+]?[\s\u3000]*endraw[\s\u3000]*[-+]?[%％][}｝]")
# Inside a tag, outside quotes, full-width ASCII (`＞`, `！＝`, `（`, `ｉｆ`) and U+3000 are Jinja's.
_TAG_WIDTH = {**{cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}, 0x3000: " "}
_QUOTES = {"'": "'", "＇": "'", "‘": "'", '"': '"', "＂": '"', "“": '"'}
_CLOSING = {"'": "'＇", "＇": "'＇", "‘": "’'", '"': '"＂', "＂": '"＂', "“": '”"'}


def jinja_source(source: str) -> str:
    """The 前言 with full-width or mixed delimiters, and what a Chinese IME types inside them, as Jinja's.

    Text outside the tags, quoted text inside them, and a {% raw %} block's content stay as typed.
    """
    out: list[str] = []
    pos = 0
    while (match := _TAG.search(source, pos)) is not None:
        out.append(source[pos:match.start()])
        pos = match.end()
        if match.group("var") is not None:
            out.append("{{" + _tag_body(match.group("vbody")) + "}}")
        elif match.group("block") is not None:
            body = _tag_body(match.group("bbody"))
            out.append("{%" + body + "%}")
            if _RAW.fullmatch(body.strip()) and (end := _ENDRAW.search(source, pos)) is not None:
                out.append(source[pos:end.start()] + "{% endraw %}")
                pos = end.end()
        else:
            out.append("{# #}")
    out.append(source[pos:])
    return "".join(out)


def _tag_body(body: str) -> str:
    """Fold full-width ASCII to Jinja's outside quoted strings; IME quotes become ASCII quotes."""
    out: list[str] = []
    closing = ""
    for char in body:
        if closing:
            if char in closing:
                out.append(_QUOTES.get(char, "'" if char in "’" else '"'))
                closing = ""
            else:
                out.append(char)
        elif char in _QUOTES:
            out.append(_QUOTES[char])
            closing = _CLOSING[char]
        else:
            out.append(char.translate(_TAG_WIDTH))
    return "".join(out)


class _NotPrintable(TemplateProblem):
    """Raised while rendering when a {{ }} would print something that is not text or a number."""


def _printable(value: object) -> object:
    """Jinja's finalize: text and numbers print; True/False, None and objects are errors."""
    from jinja2 import Undefined

    if isinstance(value, Undefined):  # `{{ '（含線上）' if 視訊案數 }}` with no else: nothing
        return ""
    if isinstance(value, bool):
        raise _NotPrintable(*_COMPARISON)
    if value is None:
        raise _NotPrintable("前言的 {{ }} 會印出空值（None）。", _only_values())
    if isinstance(value, str) or (isinstance(value, (int, float)) and math.isfinite(value)):
        return value
    if isinstance(value, float):  # `{{ 1e308 + 1e308 }}`: infinity, or not a number
        raise _NotPrintable("前言的計算結果超出數字的範圍（無限大或不是數字）。", "請改用較小的數字。")
    raise _NotPrintable("前言的 {{ }} 只能印出文字或數字。", _only_values())


def _only_values() -> str:
    return f"{{{{ }}}} 裡請只放代入值（{_known()}）或引號內的文字。"


_COMPARISON = ("前言的 {{ }} 會印出判斷的結果（True 或 False），不是文字或數字。",
               "判斷請寫在 {% if … %} 裡，例如 {% if 視訊案數 %}其中視訊{{ 視訊案數 }}案。{% endif %}。")


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    # optimized=False: Jinja's optimizer folds constants while compiling, and a folded infinity
    # (`{{ 1e308 + 1e308 }}`) compiles to the name `inf`, a NameError; unfolded, _printable says why.
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, optimized=False,
                                        keep_trailing_newline=False, finalize=_printable)
    env.globals.clear()  # range, cycler, lipsum …: a 前言 sees the placeholders and nothing else
    env.filters.clear()  # a 前言 cannot name one; _check_joined_values adds the only one used
    env.filters[_JOINED] = _printable
    env.tests.clear()
    return env


def context(settings: Settings, stats: VisitStats) -> dict[str, object]:
    return {
        "期間": period_text(settings.start, settings.end, with_year=False),
        "期間全稱": period_text(settings.start, settings.end, with_year=True),
        "年度": roc_year(settings.start),
        "案數": stats.cases,
        "人數": stats.people,
        "視訊案數": stats.video_cases,
        "實體案數": stats.in_person_cases,
    }


def _known() -> str:
    return "、".join(f"{{{{ {name} }}}}" for name in PLACEHOLDERS)


def _refuse_unsafe(ast) -> None:  # ast: jinja2.nodes.Template
    """Only the node kinds in _ALLOWED_NODES may appear; the first other one is named."""
    from jinja2 import nodes

    for node in ast.find_all(nodes.Node):
        kind = type(node).__name__
        if kind not in _ALLOWED_NODES:
            raise TemplateProblem(f"前言含有不允許的寫法：{_REFUSED_KINDS.get(kind, '進階語法')}。",
                                  _REFUSED_FIX.get(kind, f"前言只能使用代入值（{_known()}）與簡單的 {{% if %}} 判斷。"))


def _refuse_unknown_names(ast, values: dict[str, object]) -> None:
    """Every name must be a placeholder with a value: `self`, `loop`, `range` … are Jinja's, not the
    report's, and a placeholder without a value would print as nothing."""
    from jinja2 import nodes

    known = PLACEHOLDERS.keys() & values.keys()
    unknown = sorted({node.name for node in ast.find_all(nodes.Name)} - known)
    if unknown:
        raise TemplateProblem("不認得的代入值：" + "、".join(unknown) + "。", f"可用的代入值：{_known()}。")


# What an expression can give, as a set of (kind, truthy) pairs. Kinds: "text", "number", "bool",
# "none", "nothing" (an inline if without else whose condition is false: printed as nothing) and
# "other" (a value of another type, judged when rendering). A placeholder may be truthy or falsy
# whatever its value today, so the judgement holds for every period.
_Possible = frozenset[tuple[str, bool]]


def _either(kind: str) -> _Possible:
    return frozenset({(kind, True), (kind, False)})


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if value is None:
        return "none"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (int, float)):
        return "number"
    return "other"


def _refuse_printed(possible: _Possible) -> None:
    """What a {{ }} prints, or `~` joins, is text or a number: never True/False or None."""
    kinds = {kind for kind, _ in possible}
    if "bool" in kinds:
        raise TemplateProblem(*_COMPARISON)
    if "none" in kinds:
        raise TemplateProblem("前言的 {{ }} 會印出空值（None）。", _only_values())


# What an operand of + or − was found to be, named for staff.
_NOT_A_NUMBER = {"bool": "判斷的結果（True 或 False）", "none": "空值（None）",
                 "nothing": "沒有 else 的 if（條件不成立時沒有值）", "text": "文字"}


def _arithmetic(node, operands: list[_Possible]) -> _Possible:
    """+ and − take numbers (+ also two texts, joining them); anything else is named."""
    from jinja2 import nodes

    kinds = {kind for possible in operands for kind, _ in possible} - {"other"}
    joins_texts = isinstance(node, nodes.Add) and kinds == {"text"}
    for kind in ("bool", "none", "nothing", "text"):
        if kind in kinds and not joins_texts:
            raise TemplateProblem(f"前言的加減用到{_NOT_A_NUMBER[kind]}，不是數字。",
                                  "+ 和 - 只用於數字，例如 {{ 年度 + 1 }}；文字請用 ~ 連接，例如 {{ 年度 ~ '年' }}；"
                                  "判斷請寫在 {% if … %} 裡。")
    result = _either("text") if joins_texts else _either("number")
    if any(kind == "other" for possible in operands for kind, _ in possible):
        result |= _either("other")  # a value of another type: judged when rendering
    return result


def _refuse_unprintable(ast, values: dict[str, object]) -> None:
    """A {{ }} that could print True/False or None is an error even in a branch not taken today;
    so is a `~` that could join one into text, and + or − of anything but numbers."""
    from jinja2 import nodes

    seen: dict[int, _Possible] = {}

    def possible(node) -> _Possible:
        if id(node) not in seen:
            seen[id(node)] = judge(node)
        return seen[id(node)]

    def judge(node) -> _Possible:
        if isinstance(node, nodes.Const):
            if isinstance(node.value, float) and not math.isfinite(node.value):
                _printable(node.value)  # `{{ 1e999 }}`: says the number is out of range
            return frozenset({(_kind(node.value), bool(node.value))})
        if isinstance(node, nodes.Name):
            return _either(_kind(values[node.name]) if node.name in values else "other")  # unknown: said apart
        if isinstance(node, (nodes.Compare, nodes.Not)):
            return _either("bool")
        if isinstance(node, (nodes.And, nodes.Or)):
            # `and` gives its left operand when falsy, else the right one; `or` when truthy.
            left, printed_when = possible(node.left), isinstance(node, nodes.Or)
            right = possible(node.right) if any(truthy != printed_when for _, truthy in left) else frozenset()
            return frozenset(p for p in left if p[1] == printed_when) | right
        if isinstance(node, nodes.CondExpr):
            test = {truthy for _, truthy in possible(node.test)}
            other = possible(node.expr2) if node.expr2 is not None else frozenset({("nothing", False)})
            return (possible(node.expr1) if True in test else frozenset()) | (other if False in test else frozenset())
        if isinstance(node, nodes.Concat):
            for part in node.nodes:
                _refuse_printed(possible(part))
            return _either("text")
        if isinstance(node, nodes.BinExpr):  # Add, Sub: the others are refused before
            return _arithmetic(node, [possible(node.left), possible(node.right)])
        if isinstance(node, nodes.UnaryExpr):  # Neg, Pos
            return _arithmetic(node, [possible(node.node)])
        return _either("other")  # refused before: _refuse_unsafe

    # In the template's order: each {{ }}, and each ~, + or − wherever it is ({% if %} included).
    for node in ast.find_all((nodes.Output, nodes.Concat, nodes.BinExpr, nodes.UnaryExpr)):
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if not isinstance(child, nodes.TemplateData):
                    _refuse_printed(possible(child))
        else:
            possible(node)


_JOINED = "reportgen_joined"  # the filter (_printable) each operand of a ~ passes through


def _check_joined_values(ast) -> None:
    """Each operand of a `~` is held to what a {{ }} may print when rendering too (an infinite sum
    is known only then). The 前言 itself cannot name a filter (refused by _refuse_unsafe)."""
    from jinja2 import nodes

    for concat in list(ast.find_all(nodes.Concat)):
        concat.nodes = [nodes.Filter(part, _JOINED, [], [], None, None, lineno=part.lineno)
                        for part in concat.nodes]


# A placeholder typed with single braces (`{期間}`, `｛案數｝`), or with a brace short on one side
# (`{期間}}`, `{{期間}`): Jinja prints the first two literally and stops at the last, and says
# nothing of the name that was meant. Double braces on both sides match too and are skipped.
_SINGLE = re.compile(r"(?<![{｛])(?P<open>[{｛]{1,3})[\s\u3000]*(?P<name>"
                     + "|".join(sorted(map(re.escape, PLACEHOLDERS), key=len, reverse=True))
                     + r")[\s\u3000]*(?P<close>[}｝]{1,3})(?![}｝])")
# A year and month written out (`110年7月`, `2021年7月`), and the month that may follow (`至12月`),
# the first 月 left out too (`110年7至12月`).
_TO = r"[\s\u3000]*[至到~～\-－][\s\u3000]*"
_YEAR_MONTH = re.compile(r"(?<![0-9０-９])(?P<y>[0-9０-９]{2,4})[\s\u3000]*年"
                         r"[\s\u3000]*(?P<m>[0-9０-９]{1,2})[\s\u3000]*"
                         rf"(?:月(?:{_TO}(?P<m2>[0-9０-９]{{1,2}})[\s\u3000]*月)?|{_TO}(?P<m3>[0-9０-９]{{1,2}})[\s\u3000]*月)")


def preface_notes(source: str, period: tuple[dt.date, dt.date] | None) -> list[tuple[str, dict[str, str]]]:
    """Warnings about a 前言 as typed (codes and fields): a placeholder with single or unpaired braces, and a
    year and month written out that lie outside the period — typically a 前言 carried over by
    `init --from` that still names the old half-year."""
    notes: list[tuple[str, dict[str, str]]] = []
    for match in _SINGLE.finditer(source):
        if len(match.group("open")) == len(match.group("close")) > 1:
            continue  # `{{ 期間 }}`: as it should be (`{{{ 期間 }}}` is Jinja's to refuse, bad-template)
        code = "single-brace" if len(match.group("open")) == len(match.group("close")) == 1 else "unpaired-brace"
        notes.append((code, {"typed": match.group(), "fixed": f"{{{{ {match.group('name')} }}}}"}))
    if period is not None:
        text = _TAG.sub("", source)
        outside = [match.group().strip() for match in _YEAR_MONTH.finditer(text) if not _overlaps(match, period)]
        if outside:
            start, end = period
            notes.append(("preface-outside-period", {
                "typed": "、".join(dict.fromkeys(outside)),
                "period": period_text(start, end, with_year=True),
                "short": "{{ 期間 }}", "full": "{{ 期間全稱 }}",
                "short_value": period_text(start, end, with_year=False),
                "full_value": period_text(start, end, with_year=True)}))
    return notes


def _overlaps(match: re.Match[str], period: tuple[dt.date, dt.date]) -> bool:
    """Whether the months a `110年7月(至12月)` names touch the period (an impossible one does not)."""
    digits = str.maketrans("０１２３４５６７８９", "0123456789")
    year = int(match.group("y").translate(digits))
    year += ROC_OFFSET if year < 1000 else 0
    first = int(match.group("m").translate(digits))
    second = match.group("m2") or match.group("m3")
    last = int(second.translate(digits)) if second else first
    if not (1 <= first <= 12 and 1 <= last <= 12 and 1 <= year <= 9999):
        return True  # not a month: other checks speak of it
    end_year = year if last >= first else year + 1
    try:
        begin = dt.date(year, first, 1)
        finish = dt.date(end_year, last, calendar.monthrange(end_year, last)[1])
    except ValueError:
        return True
    return begin <= period[1] and finish >= period[0]


def render(source: str, values: dict[str, object]) -> str:
    """Render one 前言; raise TemplateProblem with a message staff can act on."""
    if "{" not in source and "｛" not in source:
        return source
    source = jinja_source(source)
    plain = placeholders_only(source, values)
    if plain is not None:
        return plain
    try:
        return _render(source, values)
    except RecursionError as exc:  # Jinja parses and compiles recursively: deep nesting ends here
        raise TemplateProblem("前言的括號或條件巢狀太深，無法處理。", "請簡化前言。") from exc


# `{{ 名稱 }}` of a placeholder, spaced as people type it: most 前言 hold nothing else.
_PLAIN_PLACEHOLDER = re.compile(r"\{\{[ \t\n]*("
                                + "|".join(sorted(map(re.escape, PLACEHOLDERS), key=len, reverse=True))
                                + r")[ \t\n]*\}\}")


def placeholders_only(source: str, values: dict[str, object]) -> str | None:
    """What Jinja prints for a 前言 (in Jinja's delimiters) holding only text and `{{ 名稱 }}` of
    placeholders whose values are text or whole numbers; None for anything else, which Jinja renders.

    Importing and running Jinja costs 0.04 s of a build that needs only this (issue 24); Jinja
    would print the same: the text as it is, each value as str() does (tests/test_fast_paths.py
    compares the two). Declined: any other tag or a lone `{` before one (Jinja's syntax, or its
    errors), a carriage return or a final line break (Jinja rewrites those), output too long.
    """
    if "\r" in source or source.endswith("\n"):
        return None
    pieces = _PLAIN_PLACEHOLDER.split(source)  # text, name, text, name … text
    out = []
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            if "{{" in piece or "{%" in piece or "{#" in piece or piece.endswith("{"):
                return None
            out.append(piece)
            continue
        value = values.get(piece)
        if value.__class__ is str or value.__class__ is int:
            out.append(str(value))
        else:  # None, True/False, a float: Jinja's finalize judges it
            return None
    text = "".join(out)
    return text if len(text) <= MAX_OUTPUT else None


def _render(source: str, values: dict[str, object]) -> str:
    from jinja2 import TemplateSyntaxError
    from jinja2.exceptions import SecurityError, TemplateError

    env = _environment()
    try:
        ast = env.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"代入語法有誤（前言第 {exc.lineno} 行）。",
                              "代入值請寫成 {{ 名稱 }}，大括號成對。") from exc
    except (ValueError, OverflowError) as exc:  # a number literal of thousands of digits
        raise TemplateProblem("前言裡的數字太長，無法處理。", "請改用較短的數字。") from exc
    _refuse_unsafe(ast)  # first and alone: nothing else is judged in a template that is not safe
    found: list[TemplateProblem] = []
    for check in (_refuse_unknown_names, _refuse_unprintable):  # each says what it finds
        try:
            check(ast, values)
        except TemplateProblem as exc:
            found.append(exc)
    if found:
        found[0].also = found[1:]
        raise found[0]
    _check_joined_values(ast)
    ast.set_environment(env)
    chunks: list[str] = []
    size = 0
    try:
        compiled = env.from_string(ast)  # type: ignore[arg-type]
    except SyntaxError as exc:  # Python's own limit: `{{ 案數 + 案數 + … }}` of some 200 terms
        raise TemplateProblem("前言的括號或條件巢狀太深，無法處理。", "請簡化前言。") from exc
    try:
        for chunk in compiled.generate(values):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise TemplateProblem(f"前言產生的文字過長（超過 {MAX_OUTPUT:,} 字）。", "請簡化前言。")
    except TemplateProblem:
        raise
    except SecurityError as exc:
        raise TemplateProblem("前言含有不允許的寫法。", f"只能使用代入值：{_known()}。") from exc
    except (TemplateError, ArithmeticError, TypeError, ValueError, OverflowError) as exc:
        raise TemplateProblem("前言無法產生：計算或寫法有誤。", f"可用的代入值：{_known()}。") from exc
    return "".join(chunks)
