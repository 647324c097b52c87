"""The document tree: labels, order and the key-visitor list, independent of Word."""

from __future__ import annotations

import datetime as dt

from reportgen.dates import Day
from reportgen.models import Activity, Report, Section, Settings, Visit, VisitStats
from reportgen.problems import Location
from reportgen.write.compose import Role, compose, join_names, plain_text

HERE = Location("t.xlsx", "活動", 2, 0)


def settings(**changes) -> Settings:
    values = dict(chapter=26, title="國際事務", start=dt.date(2021, 7, 1), end=dt.date(2021, 12, 31))
    return Settings(**(values | changes))


def activity(n: int, section: int = 1) -> Activity:
    return Activity(section=section, title=f"活動{n}", start=Day(dt.date(2021, 7, 1)),
                    paragraphs=(f"內容{n}甲", f"內容{n}乙"), source=HERE)


def visit(org: str, reps: tuple[str, ...], *, video=False, key=True) -> Visit:
    return Visit(date=dt.date(2021, 9, 1), organisation=org, representatives=reps, people=2,
                 form="視訊" if video else "實體", key=key, source=HERE)


def report(**changes) -> Report:
    values = dict(
        settings=settings(),
        sections=(Section(number=1, title="活動節", kind="活動", source=HERE),
                  Section(number=2, title="訪賓節", kind="訪賓", preface=("前言。",), source=HERE),
                  Section(number=5, title="文字節", kind="文字", preface=("甲。", "乙。"), source=HERE)),
        activities=tuple(activity(n) for n in range(1, 13)),
        visits=(visit("日本京都市", ("門川大作市長",), video=True),
                visit("美國在台協會", ("處長", "副處長")),
                visit("不列名", ("某某",), key=False),
                visit("甲市", ("A", "B", "C"))),
        stats=VisitStats(cases=4, people=8, video_cases=1, in_person_cases=3),
    )
    return Report(**(values | changes))


def test_labels_and_roles():
    doc = compose(report())
    assert [(b.role, b.label) for b in doc.blocks[:5]] == [
        (Role.CHAPTER, "貳拾陸、"), (Role.SECTION, "一、"), (Role.ITEM, "(一)"),
        (Role.ITEM_BODY, ""), (Role.ITEM_BODY, "")]
    items = [b.label for b in doc.blocks if b.role is Role.ITEM]
    assert items[9:] == ["(十)", "(十一)", "(十二)"]
    sections = [b.label + b.text for b in doc.blocks if b.role is Role.SECTION]
    assert sections == ["一、活動節", "二、訪賓節", "三、文字節"]  # printed in order, numbered anew


def test_key_visitors_paragraph():
    lines = plain_text(compose(report())).splitlines()
    start = lines.index("二、訪賓節")
    assert lines[start + 1:start + 3] == [
        "前言。",
        "日本京都市門川大作市長(視訊)、美國在台協會處長及副處長、甲市A、B及C等。",
    ]
    assert lines[-3:] == ["三、文字節", "甲。", "乙。"]


def test_full_width_parentheses_setting():
    doc = compose(report(settings=settings(parens="全形")))
    text = plain_text(doc)
    assert "(一) 活動1" in text and "（一）" not in text  # labels stay half-width
    assert "門川大作市長（視訊）" in text


def test_no_key_visitors_no_list():
    r = report(visits=(visit("不列名", ("某某",), key=False),))
    lines = plain_text(compose(r)).splitlines()
    start = lines.index("二、訪賓節")
    assert lines[start + 1:start + 3] == ["前言。", "三、文字節"]


def test_document_properties():
    doc = compose(report())
    assert (doc.title, doc.subject, doc.date) == ("貳拾陸、國際事務", "110年7月至12月", (2021, 12, 31))


def test_join_names():
    assert join_names(["甲"]) == "甲"
    assert join_names(["甲", "乙"]) == "甲及乙"
    assert join_names(["甲", "乙", "丙"]) == "甲、乙及丙"


def test_the_chapter_is_composed_with_the_collector_paused_and_nothing_frozen(monkeypatch, tmp_path):
    """api.document composes with the cyclic collector off (a large chapter's blocks would set off
    useless collections); afterwards it is on again, nothing is frozen out of later collections (a
    long-running `serve` must still collect its cycles), and a caller that turned it off finds it off."""
    import gc

    from helpers import write_workbook
    from reportgen import api
    from reportgen.write import compose as compose_module

    book = write_workbook(tmp_path / "book.xlsx", activities=[
        {"節次": 1, "標題": "甲", "開始日期": "110/9/8", "內容": "內容。"}])
    seen = []
    plain = compose_module._compose
    monkeypatch.setattr(compose_module, "_compose", lambda r: (seen.append(gc.isenabled()), plain(r))[1])
    frozen = gc.get_freeze_count()
    outcome = api.load([book])
    assert api.document(outcome).blocks and seen == [False] and gc.isenabled()
    assert gc.get_freeze_count() == frozen
    gc.disable()
    try:
        outcome._document = None
        api.document(outcome)
        assert not gc.isenabled() and seen == [False, False]
    finally:
        gc.enable()


def test_activity_blocks_are_blocks_like_any_other():
    """_activities makes its blocks with tuple.__new__: they must equal Block(...) field for field."""
    from reportgen.write.compose import Block

    doc = compose(report())
    item, body = doc.blocks[2], doc.blocks[3]
    assert type(item) is Block and item == Block(Role.ITEM, "活動1", "(一)")
    assert (item.role, item.text, item.label) == (Role.ITEM, "活動1", "(一)")
    assert type(body) is Block and body == Block(Role.ITEM_BODY, "內容1甲") and body.label == ""
