"""RSS and Atom feeds saved from news sites: each entry is an article.

feedparser reads the feed, broken XML included (it keeps what it could parse, and we say so in
one notice). An entry's content, or its summary when that is all there is, goes through the same
HTML-to-text step as a page body. Entries are keyed by their id, so a feed saved again with new
entries adds only those; entries that a refreshed feed no longer lists stay indexed, since a feed
is a window on a stream, not the whole archive (they go when the file does).
"""

import re
import time
from typing import Any

from index.ingest.article import Article, FileRead, Metadata
from index.ingest.dates import BadDate, iso_date
from index.ingest.decode import Read, Unreadable
from index.ingest.discover import SourceFile
from index.ingest.names import author_names, site_name

MAX_ID_CHARS = 200


def read_feed(source: SourceFile, raw: Read) -> FileRead:
    import feedparser

    parsed = feedparser.parse(raw.data)
    notices = []
    if parsed.get("bozo") and parsed.entries:
        notices.append(f"the feed's XML is broken ({_reason(parsed)}); kept the {len(parsed.entries)} readable entries")
    if not parsed.entries:
        if parsed.get("bozo"):
            raise Unreadable(f"not a readable feed ({_reason(parsed)})")
        raise Unreadable("no entries: not a news feed")
    feed = parsed.get("feed", {})
    site = site_name([feed.get("title", ""), feed.get("link", "")])
    articles, seen = [], set()
    for number, entry in enumerate(parsed.entries, start=1):
        entry_id = " ".join(str(entry.get("id") or entry.get("link") or entry.get("title") or number).split())[
            :MAX_ID_CHARS
        ]
        if entry_id in seen:
            continue
        seen.add(entry_id)
        text = _entry_text(entry)
        if not text:
            notices.append(f"entry {entry_id} has no text; skipped")
            continue
        entry_notices: list[str] = []
        metadata = Metadata(
            title=" ".join(str(entry.get("title", "")).split()) or None,
            published=_published(entry, entry_notices),
            author=author_names(_authors(entry), site),
            site=site,
            url=entry.get("link") or None,
        )
        key = f"{source.display}#{entry_id}"
        articles.append(Article(f"{source.path}#{entry_id}", key, text, metadata, [], entry_notices))
        notices += [f"{entry_id}: {n}" for n in entry_notices]
    if not articles:
        raise Unreadable("no entry of the feed has any text")
    return FileRead(articles, raw.size, raw.mtime_ns, notices)


def _authors(entry: Any) -> list[str]:
    """Author names, best first. RSS writes "desk@site (Jane Doe)", whose name feedparser 6
    sometimes cuts wrongly, so that form is read here."""
    raw = str(entry.get("author", ""))
    named = re.search(r"\(([^()]+)\)\s*$", raw)
    detail = entry.get("author_detail") or {}
    names = [a.get("name", "") for a in entry.get("authors", []) if isinstance(a, dict)]
    return [named.group(1) if named else "", str(detail.get("name", "")), ", ".join(n for n in names if n), raw]


def _reason(parsed: Any) -> str:
    return str(parsed.get("bozo_exception", "XML error")).splitlines()[0][:60]


def _published(entry: Any, notices: list[str]) -> str | None:
    raw = entry.get("published") or entry.get("updated")
    if not raw:
        return None
    try:
        return iso_date(raw)
    except BadDate:
        pass
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if parsed:
        try:
            return iso_date(time.strftime("%Y-%m-%dT%H:%M:%S+00:00", parsed))
        except BadDate as error:
            notices.append(f"{error}; the entry has no publication date")
            return None
    notices.append(f"unreadable date {raw[:40]!r}; the entry has no publication date")
    return None


def _entry_text(entry: Any) -> str:
    """The entry's longest HTML (content or summary), as paragraphs of plain text."""
    bodies = [c.get("value", "") for c in entry.get("content", []) if isinstance(c, dict)]
    bodies.append(entry.get("summary", "") or "")
    html = max(bodies, key=len)
    return html_paragraphs(html) if html.strip() else ""


def html_paragraphs(html: str) -> str:
    """An HTML fragment as text, one paragraph per block element."""
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (ValueError, TypeError, lxml.etree.ParserError):
        return " ".join(re.sub(r"<[^>]+>", " ", html).split())
    for dropped in root.xpath(".//script|.//style|.//noscript"):
        dropped.drop_tree()
    blocks = root.xpath(".//p|.//li|.//h1|.//h2|.//h3|.//h4|.//blockquote|.//pre")
    texts = [" ".join(b.text_content().split()) for b in blocks if not b.xpath("ancestor::p|ancestor::li")]
    texts = [t for t in texts if t]
    return "\n\n".join(texts) if texts else " ".join(root.text_content().split())
