"""Messages staff read are Traditional Chinese: no English leaks in from libraries."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reportgen import load
from reportgen.check.templating import TemplateProblem, render

CORPUS = Path(__file__).parent / "corpus"
# Product and file-format names staff know; anything else in Latin letters is a leak.
KNOWN = {"reportgen", "BOM", "init", "Excel", "Calc", "LibreOffice", "Word", "xlsx", "xlsm", "ods",
         "Ctrl", "Enter", "Shift", "Alt", "PDF", "CSV", "WPS", "DTD", "ENTITY"}


def latin_words(text: str) -> set[str]:
    # Code points (U+FEFF) and Excel's error values (#DIV/0!) are what staff see, not English.
    text = re.sub(r"U\+[0-9A-F]{4,6}|#[A-Z/0!?]+", "", text)
    return set(re.findall(r"[A-Za-z]{3,}", text)) - KNOWN


@pytest.mark.parametrize("case", sorted(p.name for p in CORPUS.iterdir()
                                        if p.suffix == ".xlsx" or (p.is_dir() and p.name != "__pycache__")))
def test_corpus_messages_have_no_english(case):
    outcome = load([CORPUS / case])
    for problem in outcome.problems:
        text = re.sub(r"\S+\.(xlsx|xlsm|ods)", "", problem.message + problem.fix)  # staff's file names
        assert latin_words(text) == set(), problem.render()


@pytest.mark.parametrize("source", ["計{{ 案數 }", "{% if %}", "{{ 案數 / 0 }}"])
def test_template_errors_are_in_chinese(source):
    with pytest.raises(TemplateProblem) as caught:
        render(source, {"案數": 1})
    assert latin_words(caught.value.message) == set(), caught.value.message


def test_syntax_error_names_the_line():
    with pytest.raises(TemplateProblem) as caught:
        render("第一行\n\n計{{ 案數 }", {"案數": 1})
    assert caught.value.message == "代入語法有誤（前言第 3 行）。"
