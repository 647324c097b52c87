"""前言 sentence templates: Jinja2 in a sandbox, with strict names and bounded output."""

from __future__ import annotations

from functools import lru_cache

from .dates import period_text, roc_year
from .models import Settings, VisitStats
from .schema import PLACEHOLDERS

MAX_OUTPUT = 20_000  # characters a rendered 前言 may reach


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

    return ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False,
                                         keep_trailing_newline=False)


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


def render(source: str, values: dict[str, object]) -> str:
    """Render one 前言; raise TemplateProblem with a message staff can act on."""
    if "{" not in source:
        return source
    from jinja2 import TemplateSyntaxError, meta
    from jinja2.exceptions import SecurityError, TemplateError

    env = _environment()
    try:
        ast = env.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"代入語法有誤：{exc.message}。",
                              "代入值請寫成 {{ 名稱 }}，大括號成對。") from exc
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
        raise TemplateProblem(f"前言無法產生：{exc}。", f"可用的代入值：{_known()}。") from exc
    return "".join(chunks)
