"""News as news: dates, outlets, copies of one story, time in questions, filters."""

from pathlib import Path

import pytest
from conftest import FakeEncoder, open_searcher

from bot.answer import answer
from bot.render import answer_text, source_text
from index.errors import BadFilter
from index.indexer.update import update
from index.search.filters import Filters
from index.search.library import list_articles

STORY = """---
title: {title}
date: {date}
author: Jane Doe
source: {site}
---
{body}
"""
RATES = [
    (
        "2023-01-12",
        "The Nordic Ledger",
        "Central bank holds rates",
        "Governor Anna Berg said the bank would keep its rates at 4% for now because prices were still rising fast.",
    ),
    (
        "2024-03-05",
        "Harbour Times",
        "Central bank cuts rates",
        "Governor Anna Berg said the bank would cut its rates to 3% as inflation had finally cooled.",
    ),
    (
        "2024-06-20",
        "The Nordic Ledger",
        "Central bank cuts rates again",
        "Governor Anna Berg said the bank would cut its rates to 2.5% and more cuts could follow this summer.",
    ),
]
WIRE = (
    "Ferry operator Fjordline said on Monday it would buy six electric ferries for its coastal routes, the largest "
    "such order in Europe.\n\nThe ferries will enter service in 2026 and cut emissions on the routes by 90%, the "
    "company said in a statement.\n\nChief executive Ola Nordmann said the order was worth about 400 million euros."
)


@pytest.fixture
def dated(tmp_path: Path, isolated_dirs: Path, fake_info) -> FakeEncoder:
    folder = tmp_path / "news"
    folder.mkdir()
    for n, (date, site, title, body) in enumerate(RATES):
        (folder / f"rates{n}.md").write_text(
            STORY.format(title=title, date=date, site=site, body=body), encoding="utf-8"
        )
    (folder / "wire-a.md").write_text(
        STORY.format(title="Fjordline orders electric ferries", date="2024-05-02", site="Reuters", body=WIRE),
        encoding="utf-8",
    )
    copy = (
        "Home | News | Business\n\n"
        + WIRE.replace("said on Monday", "said on Monday morning")
        + "\n\nShare this article"
    )
    (folder / "wire-b.md").write_text(
        STORY.format(title="Fjordline to buy six electric ferries", date="2024-05-03", site="Harbour Times", body=copy),
        encoding="utf-8",
    )
    encoder = FakeEncoder()
    update(isolated_dirs, [folder], fake_info, lambda: encoder)
    return encoder


def test_articles_are_listed_newest_first_with_their_metadata(dated: FakeEncoder, isolated_dirs: Path) -> None:
    listed = list_articles(isolated_dirs, Filters())
    assert [a.published for a in listed] == ["2024-06-20", "2024-05-03", "2024-05-02", "2024-03-05", "2023-01-12"]
    assert (listed[0].title, listed[0].author, listed[0].site) == (
        "Central bank cuts rates again",
        "Jane Doe",
        "The Nordic Ledger",
    )
    only = list_articles(isolated_dirs, Filters.parse("2024-03", "2024-05", "harbour"))
    assert [a.path for a in only] == ["news/wire-b.md", "news/rates1.md"]
    assert [a.published for a in list_articles(isolated_dirs, Filters.parse("2m", None, None))] == [
        "2024-06-20",
        "2024-05-03",
        "2024-05-02",
    ]


def test_citations_name_outlet_and_date(dated: FakeEncoder, isolated_dirs: Path) -> None:
    result = answer(open_searcher(isolated_dirs, dated), "How many electric ferries will Fjordline buy?")
    first = result.sources[0]
    line = source_text(first).plain.splitlines()[0]
    assert " — Reuters, 2 May 2024 — news/wire-a.md ¶1 (" in line
    assert (first.published, first.author, first.site) == ("2024-05-02", "Jane Doe", "Reuters")


def test_one_story_told_twice_shows_once_with_also_in(dated: FakeEncoder, isolated_dirs: Path) -> None:
    result = answer(open_searcher(isolated_dirs, dated), "How many electric ferries will Fjordline buy?", k=5)
    wire = [s for s in result.sources if "Fjordline said on Monday" in s.text]
    assert len(wire) == 1 and wire[0].path == "news/wire-a.md"  # the earliest copy
    assert [(c.path, c.site, c.published) for c in wire[0].also_in] == [
        ("news/wire-b.md", "Harbour Times", "2024-05-03")
    ]
    assert "also in: Harbour Times (3 May 2024)" in source_text(wire[0]).plain


def test_what_someone_said_over_time_is_shown_newest_first_with_dates(dated: FakeEncoder, isolated_dirs: Path) -> None:
    result = answer(open_searcher(isolated_dirs, dated), "What did Berg say about interest rates?")
    dates = [s.published for s in result.answer]
    assert len(set(dates)) >= 2 and dates == sorted(dates, reverse=True)
    assert answer_text(result).plain.startswith(f"On {'20 Jun 2024' if dates[0] == '2024-06-20' else ''}")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What did the central bank decide on rates in 2023?", "2023-01-12"),
        ("What is the latest on the central bank's rates?", "2024-06-20"),
    ],
)
def test_time_in_the_question_is_honoured(
    dated: FakeEncoder, isolated_dirs: Path, question: str, expected: str
) -> None:
    assert answer(open_searcher(isolated_dirs, dated), question).sources[0].published == expected


def test_filters_limit_what_answers(dated: FakeEncoder, isolated_dirs: Path) -> None:
    searcher = open_searcher(isolated_dirs, dated)
    result = answer(searcher, "What did Berg say about rates?", filters=Filters.parse(None, "2023", None))
    assert {s.published for s in result.sources} == {"2023-01-12"}
    nothing = answer(searcher, "What did Berg say about rates?", filters=Filters.parse("2030", None, None))
    assert nothing.abstained and not nothing.sources


@pytest.mark.parametrize("value", ["yesterday", "2024-13", "2024-02-30", "3x"])
def test_bad_filter_values_are_one_line(value: str) -> None:
    with pytest.raises(BadFilter):
        Filters.parse(value, None, None)
