"""前言 sentence templates: Jinja2 in a sandbox, with strict names and bounded output."""

from __future__ import annotations

from functools import lru_cache

from .dates import period_text, roc_year
from .models import Settings, VisitStats
from .schema import PLACEHOLDERS

MAX_OUTPUT = 20_000  # characters a rendered 前言 may reach

# The template language a 前言 may use: text, placeholders, constants, {% if %} with comparisons,
# and + / -. Everything else (loops, calls, attributes, filters, *, **) is refused before
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
    "Mul": "乘除或次方運算", "Div": "乘除或次方運算", "FloorDiv": "乘除或次方運算", "Mod": "乘除或次方運算",
    "Pow": "乘除或次方運算",
    "Assign": "變數設定（{% set %}）", "AssignBlock": "變數設定（{% set %}）", "With": "變數設定（{% with %}）",
    "Include": "引用其他範本", "Import": "引用其他範本", "FromImport": "引用其他範本", "Extends": "引用其他範本",
    "Block": "範本區塊（{% block %}）",
    "List": "清單或字典", "Tuple": "清單或字典", "Dict": "清單或字典",
}


class TemplateProblem(ValueError):
    """A 前言 that cannot be rendered; the message is for staff."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False,
                                        keep_trailing_newline=False)
    env.globals.clear()  # range, cycler, lipsum …: a 前言 sees the placeholders and nothing else
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
                                  f"前言只能使用代入值（{_known()}）與簡單的 {{% if %}} 判斷。")


def render(source: str, values: dict[str, object]) -> str:
    """Render one 前言; raise TemplateProblem with a message staff can act on."""
    if "{" not in source:
        return source
    try:
        return _render(source, values)
    except RecursionError as exc:  # Jinja parses and compiles recursively: deep nesting ends here
        raise TemplateProblem("前言的括號或條件巢狀太深，無法處理。", "請簡化前言。") from exc


def _render(source: str, values: dict[str, object]) -> str:
    from jinja2 import TemplateSyntaxError, meta
    from jinja2.exceptions import SecurityError, TemplateError

    env = _environment()
    try:
        ast = env.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"代入語法有誤（前言第 {exc.lineno} 行）。",
                              "代入值請寫成 {{ 名稱 }}，大括號成對。") from exc
    _refuse_unsafe(ast)
    unknown = sorted(meta.find_undeclared_variables(ast) - PLACEHOLDERS.keys())
    if unknown:
        raise TemplateProblem("不認得的代入值：" + "、".join(unknown) + "。",
                              f"可用的代入值：{_known()}。")
    chunks: list[str] = []
    size = 0
    try:
        for chunk in env.from_string(ast).generate(values):  # type: ignore[arg-type]
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise TemplateProblem(f"前言產生的文字過長（超過 {MAX_OUTPUT:,} 字）。", "請簡化前言。")
    except SecurityError as exc:
        raise TemplateProblem("前言含有不允許的寫法。", f"只能使用代入值：{_known()}。") from exc
    except (TemplateError, ArithmeticError, TypeError, ValueError, OverflowError) as exc:
        raise TemplateProblem("前言無法產生：計算或寫法有誤。", f"可用的代入值：{_known()}。") from exc
    return "".join(chunks)
