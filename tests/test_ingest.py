"""Reading articles: Markdown, plain-text bylines, saved pages, feeds, dates, excludes."""

import datetime as dt
from pathlib import Path

import pytest
from conftest import FakeEncoder

from index.indexer.update import update
from index.ingest.dates import BadDate, iso_date
from index.ingest.decode import Unreadable
from index.ingest.discover import SourceFile, discover
from index.ingest.read import read_articles
from index.search.filters import Filters
from index.search.library import list_articles, show_article
from index.text.furniture import clean

MARKDOWN = """---
title: Nordvik Robotics to cut 1,200 jobs
date: 2024-03-21
author: [Jane Doe, John Roe]
source: The Nordic Ledger
url: https://ledger.example/nordvik
---
# Nordvik Robotics to cut 1,200 jobs

**Swedish** robotics maker _Nordvik_ said on [Thursday](https://x.example) it would cut 1,200 jobs as \
warehouse orders slumped.

> "We have no choice," the chief executive Anna Lindqvist said at a press conference in Malmo.

## Background

- Orders from warehouse operators fell 30% in 2023, the company said in its report.
- The firm employs 12,000 people in Sweden, Poland and the United States of America.
"""


def read(path: Path, display: str | None = None):
    return read_articles(SourceFile(str(path), display or path.name))


def test_markdown_front_matter_is_metadata_and_markup_is_gone(tmp_path: Path) -> None:
    path = tmp_path / "nordvik.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    article = read(path).articles[0]
    assert article.metadata.title == "Nordvik Robotics to cut 1,200 jobs"
    assert (article.metadata.published, article.metadata.author) == ("2024-03-21", "Jane Doe, John Roe")
    assert (article.metadata.site, article.metadata.url) == ("The Nordic Ledger", "https://ledger.example/nordvik")
    assert "date:" not in article.text and "**" not in article.text and "> " not in article.text
    assert "\n- " not in article.text and "[Thursday]" not in article.text
    cleaned = clean(article.text, article.metadata.title)
    paragraphs = [p.text for p in cleaned.paragraphs]
    assert paragraphs[0].startswith("Swedish robotics maker Nordvik said on Thursday it would cut 1,200 jobs")
    assert paragraphs[1].startswith('"We have no choice,"')
    assert not any("Background" in p for p in paragraphs)  # a section title, not a passage
    assert ("## Background", "section heading") in [(d.text, d.why) for d in cleaned.dropped]
    assert len(paragraphs) == 4


def test_markdown_with_broken_front_matter_is_read_with_a_notice(tmp_path: Path) -> None:
    path = tmp_path / "broken.md"
    path.write_text(
        "---\ntitle: [unclosed\n---\nThe ferry crossed the fjord in record time on Monday morning.\n", encoding="utf-8"
    )
    read_back = read(path)
    assert read_back.articles[0].text.startswith("The ferry crossed")
    assert read_back.notices and "not valid YAML" in read_back.notices[0]


def test_a_long_headline_without_a_full_stop_stays_apart_from_the_first_paragraph() -> None:
    text = (
        "Nordvik Robotics to cut 1,200 jobs as warehouse orders slump\n"
        "Swedish robotics maker Nordvik said on Thursday it would cut 1,200 jobs, about a tenth of its workforce.\n"
    )
    cleaned = clean(text)
    assert cleaned.title == "Nordvik Robotics to cut 1,200 jobs as warehouse orders slump"
    assert cleaned.paragraphs[0].text.startswith("Swedish robotics maker")


def test_hard_wrapped_paragraphs_are_still_joined() -> None:
    text = (
        "Ferry fares fall\n\nThe ferry company said on Friday that its new electric\n"
        "boats would cross the fjord every hour.\n"
    )
    assert (
        clean(text).paragraphs[0].text
        == "The ferry company said on Friday that its new electric\nboats would cross the fjord every hour."
    )


def test_plain_text_byline_published_line_and_dateline(tmp_path: Path) -> None:
    path = tmp_path / "wire.txt"
    path.write_text(
        "Putin urges peace talks\nBy JANE DOE and John Roe\nPublished: 22 February 2013\n\n"
        "MOSCOW, Feb. 22 (Reuters) - President Vladimir Putin said the war must be stopped through talks.\n",
        encoding="utf-8",
    )
    article = read(path).articles[0]
    assert (article.metadata.author, article.metadata.published, article.metadata.site) == (
        "Jane Doe, John Roe",
        "2013-02-22",
        "Reuters",
    )
    assert "By JANE DOE" not in article.text and "MOSCOW, Feb. 22 (Reuters)" in article.text


def test_plain_text_without_metadata_invents_none(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_text(
        "Harbour expands\n\nBy the end of the year the harbour will have a new terminal, the port said.\n",
        encoding="utf-8",
    )
    metadata = read(path).articles[0].metadata
    assert (metadata.published, metadata.author, metadata.site, metadata.url) == (None, None, None, None)


def test_a_page_with_no_article_is_skipped(tmp_path: Path, isolated_dirs: Path, fake_info) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "home.html").write_text(
        "<html><head><title>Home</title></head><body><nav><a href='/'>News</a> <a href='/s'>Sport</a></nav>"
        "<div class='cookie'>We use cookies. <button>Accept</button></div></body></html>",
        encoding="utf-8",
    )
    (folder / "menu.txt").write_text("Home\n\nNews | Sport | Weather\n\nSubscribe\n\nSign in\n", encoding="utf-8")
    (folder / "story.txt").write_text(
        "Bridge reopens\n\nThe old bridge over the river reopened on Tuesday after two years of repairs.\n",
        encoding="utf-8",
    )
    report = update(isolated_dirs, [folder], fake_info, FakeEncoder)
    reasons = dict(report.skipped)
    assert reasons.get("pages/menu.txt") == "no article text (only menus, buttons or notices)"
    assert "pages/home.html" in reasons
    assert report.documents == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2015-04-16T20:02:01+00:00", "2015-04-16T20:02:01+00:00"),
        ("Thu, 21 Mar 2024 08:00:00 +0100", "2024-03-21T08:00:00+01:00"),
        ("Feb. 22, 2013", "2013-02-22"),
        (dt.date(2024, 3, 21), "2024-03-21"),
    ],
)
def test_dates_become_iso_8601(value: object, expected: str) -> None:
    assert iso_date(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [("Feb 22", "no year"), ("2999-01-01", "in the future"), ("soon", "unreadable"), ("1066-10-14", "too early")],
)
def test_bad_dates_are_refused_with_a_reason(value: str, reason: str) -> None:
    with pytest.raises(BadDate, match=reason):
        iso_date(value)


FEED = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>The Nordic Ledger</title><link>https://ledger.example</link>
<item><guid>a1</guid><title>Nordvik to cut jobs</title><link>https://ledger.example/a1</link>
<pubDate>Thu, 21 Mar 2024 08:00:00 +0100</pubDate><author>desk@ledger.example (Jane Doe)</author>
<description><![CDATA[<p>Swedish robotics maker Nordvik said on Thursday it would cut 1,200 jobs.</p>\
<p>Orders fell by a third.</p>]]></description></item>
<item><guid>a2</guid><title>Ferry fares fall</title><pubDate>Fri, 22 Mar 2024 09:00:00 +0100</pubDate>
<description><![CDATA[<p>The ferry company cut its fares by a fifth on Friday for every crossing of the fjord.</p>]]>\
</description></item>
{more}</channel></rss>
"""
MORE = """<item><guid>a3</guid><title>Museum reopens</title>\
<pubDate>Sat, 23 Mar 2024 10:00:00 +0100</pubDate>
<description><![CDATA[<p>The city museum reopened with a dinosaur exhibition on Saturday after a long closure.</p>]]>\
</description></item>"""


def test_feed_entries_are_articles_and_a_new_save_adds_only_new_entries(
    tmp_path: Path, isolated_dirs: Path, fake_info
) -> None:
    folder = tmp_path / "feeds"
    folder.mkdir()
    feed = folder / "ledger.xml"
    feed.write_text(FEED.format(more=""), encoding="utf-8")
    first = update(isolated_dirs, [folder], fake_info, FakeEncoder)
    assert (first.articles_added, first.documents) == (2, 2)
    listed = {a.path: a for a in list_articles(isolated_dirs, Filters())}
    entry = listed["feeds/ledger.xml#a1"]
    assert (entry.title, entry.published, entry.author, entry.site) == (
        "Nordvik to cut jobs",
        "2024-03-21T08:00:00+01:00",
        "Jane Doe",
        "The Nordic Ledger",
    )
    encoder = FakeEncoder()
    feed.write_text(FEED.format(more=MORE), encoding="utf-8")
    second = update(isolated_dirs, [], fake_info, lambda: encoder)
    assert (second.articles_added, second.articles_changed, second.articles_removed) == (1, 0, 0)
    assert all(text.startswith("Museum reopens. ") for text in encoder.embedded)
    assert show_article(isolated_dirs, "feeds/ledger.xml#a3").passages[0].text.startswith("The city museum reopened")


def test_a_broken_feed_keeps_its_readable_entries_with_one_notice(tmp_path: Path) -> None:
    feed = tmp_path / "broken.rss"
    feed.write_text(FEED.format(more="<item><guid>a9</guid><title>Cut off"), encoding="utf-8")
    read_back = read(feed)
    assert [a.display.split("#")[1] for a in read_back.articles] == ["a1", "a2"]
    assert len([n for n in read_back.notices if "broken" in n]) == 1


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("not-a-feed.xml", b"<?xml version='1.0'?><config><a>1</a></config>", "not a news feed"),
        ("page.html", b"%PDF-1.4 binary", "PDF"),
    ],
)
def test_files_that_are_not_what_they_claim(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(Unreadable, match=reason):
        read(path)


def test_excludes_and_botignore(tmp_path: Path, isolated_dirs: Path, fake_info) -> None:
    folder = tmp_path / "corpus"
    (folder / "drafts").mkdir(parents=True)
    story = "Bridge reopens\n\nThe old bridge over the river reopened on Tuesday after two years of repairs.\n"
    for name in ("a.txt", "README.md", "drafts/b.txt", "notes.txt"):
        (folder / name).write_text(story.replace("Tuesday", name), encoding="utf-8")
    (folder / ".botignore").write_text("drafts/\n", encoding="utf-8")
    assert [f.display for f in discover([folder]).files] == ["corpus/README.md", "corpus/a.txt", "corpus/notes.txt"]
    update(isolated_dirs, [folder], fake_info, FakeEncoder, excludes=["README.md", "notes.*"])
    assert [a.path for a in list_articles(isolated_dirs, Filters())] == ["corpus/a.txt"]
    (folder / "c.txt").write_text(story.replace("Tuesday", "Friday"), encoding="utf-8")
    update(isolated_dirs, [], fake_info, FakeEncoder)  # the excludes are remembered with the folder
    assert sorted(a.path for a in list_articles(isolated_dirs, Filters())) == ["corpus/a.txt", "corpus/c.txt"]
