"""Round trip as a property: any workbook builds to a .docx that `reportgen import` brings back to a
workbook building the same paragraphs.

The generator covers every section type (活動 in both item formats, 訪賓, 文字), the chapter's
前言, sub-items at all eight levels (with ranks left out now and then, as `Ａ、` right under `(１)`),
labels typed in every form and width, both 序號數字 and 括號 settings, and 1–120 items. Size of one
example: at most 6 sections, 120 items, 6 paragraphs per 內容 and 8 sub-items per list; the default
run tries 3 examples (about 1 s), the Hypothesis `ci` profile (tests/conftest.py) 120.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import examples, write_workbook
from reportgen import api, labels
from test_real_chapters import paragraphs

PERIOD = "110/7/1-110/12/31"
WORDS = ["交流", "合作", "計畫", "推動", "城市", "會議", "本府", "友好", "110年9月8日", "110年12月1日", "2021", "APEC",
         "Smart City", "1,000人", "(視訊)", "「雄食在」", "，", "、"]
STEMS = labels.STEMS
# How staff may type label number n of each rank (all read alike, SPEC §3).
TYPED = {
    0: [lambda n: f"{n}、", lambda n: f"{n}.", lambda n: f"{chr(0xFF10 + n)}、" if n < 10 else f"{n}、"],
    1: [lambda n: f"({n})", lambda n: f"（{n}）", lambda n: f"{n}）"],
    2: [lambda n: f"{STEMS[n - 1]}、"],
    3: [lambda n: f"({STEMS[n - 1]})", lambda n: f"（{STEMS[n - 1]}）"],
    4: [lambda n: f"{chr(64 + n)}、", lambda n: f"{chr(0xFF20 + n)}、"],
    5: [lambda n: f"({chr(64 + n)})"],
    6: [lambda n: f"{chr(96 + n)}、"],
    7: [lambda n: f"({chr(96 + n)})"],
}

phrase = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(lambda w: "交" + "".join(w))
sentence = phrase.map(lambda p: p + "。")
title = st.tuples(phrase, st.sampled_from(["", "：", "：補充說明"])).map("".join)


@st.composite
def sub_items(draw, rank: int = 0, depth: int = 0) -> list[str]:
    """A list of sub-items at `rank`, some with lists of their own one or two ranks further in."""
    out = []
    for n in range(1, draw(st.integers(1, 8 if rank < 2 else 3)) + 1):
        out.append(draw(st.sampled_from(TYPED[rank]))(n) + draw(sentence))
        deeper = rank + draw(st.sampled_from([1, 1, 2]))
        if deeper < len(TYPED) and depth < 7 and draw(st.integers(0, 3)) == 0:
            out.extend(draw(sub_items(deeper, depth + 1)))
    return out


@st.composite
def content(draw) -> str | None:
    """A 內容 or 前言 cell: plain paragraphs a blank line apart, sub-items one a line."""
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 3))):
        if draw(st.booleans()):
            parts.append("\n\n" + draw(sentence))
        else:
            parts.append("\n" + "\n".join(draw(sub_items(draw(st.sampled_from([0, 0, 1, 2]))))))
    text = "".join(parts).strip("\n")
    return text or None


@st.composite
def workbooks(draw) -> dict:
    kinds = draw(st.lists(st.sampled_from(["活動", "活動", "標題接內文", "文字", "訪賓"]), min_size=1, max_size=6,
                          unique_by=lambda k: k if k == "訪賓" else object()))
    sections, activities = [], []
    budget = draw(st.integers(1, 120))
    for number, kind in enumerate(kinds, start=1):
        row = {"節次": number, "節名": draw(phrase), "類型": "活動" if kind == "標題接內文" else kind,
               "前言": draw(content()) if kind != "活動" or draw(st.booleans()) else None}
        if kind == "標題接內文":
            row["項目格式"] = kind
        sections.append(row)
        if row["類型"] == "活動":
            count = budget if number == max(i for i, k in enumerate(kinds, 1) if k in ("活動", "標題接內文")) \
                else draw(st.integers(0, budget))
            budget -= count
            for _ in range(count):  # 節次 + 標題 + 開始日期 name an activity: a date to each
                day = f"110/{7 + len(activities) // 28}/{1 + len(activities) % 28}"
                activities.append({"節次": number, "標題": draw(title), "開始日期": day,
                                   "內容": draw(content())})
    settings = {"章次": draw(st.integers(1, 999)), "章名": draw(phrase), "期間起": "110/7/1", "期間迄": "110/12/31",
                "序號數字": draw(st.sampled_from(["半形", "全形"])), "括號": draw(st.sampled_from(["半形", "全形"])),
                "活動排序": draw(st.sampled_from(["日期", "填寫順序"]))}
    if draw(st.booleans()):
        settings["前言"] = draw(content())
    visits = [{"日期": "110/9/10", "單位": "日本京都市", "代表": "門川大作市長", "人數": 5, "形式": "視訊",
               "主要訪團": draw(st.sampled_from(["是", "否"]))}] if "訪賓" in kinds else []
    return {"settings": settings, "sections": sections, "activities": activities, "visits": visits}


# The ci profile (HYPOTHESIS_PROFILE=ci, as .ci/run sets it) tries 120; a developer's default run
# three (helpers.examples, quick=3), each example a few hundred ms.
@settings(max_examples=examples(120, quick=3), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(workbooks())
def test_build_import_build_gives_the_same_paragraphs(tmp_path_factory, book):
    folder = tmp_path_factory.mktemp("trip")
    source = write_workbook(folder / "a.xlsx", headers={"章節": ["節次", "節名", "類型", "前言", "項目格式"]}, **book)
    first = api.load([source])
    assert first.report is not None, [p.render() for p in first.problems.errors]
    docx = folder / "a.docx"
    docx.write_bytes(api.render_docx(first))
    api.import_chapter(docx, folder / "back.xlsx", period=PERIOD)
    second = api.load([folder / "back.xlsx"])
    assert second.report is not None, [p.render() for p in second.problems.errors]
    assert paragraphs(api.preview_text(second)) == paragraphs(api.preview_text(first))
