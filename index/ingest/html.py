"""Saved web pages: the article body through trafilatura, and who published it and when.

trafilatura finds the body, the headline and a first view of the metadata. What a page declares
about itself (JSON-LD NewsArticle, Open Graph and article:* meta tags, <time datetime>) is
read here too: it gives the publication time with its zone where trafilatura keeps only the
day, and better names where a site's meta tags disagree ("TheHill" in og:site_name, "The Hill"
in its JSON-LD). Everything visible on the page that the body leaves out is kept as dropped
furniture, for `bot show`.
"""

import json
import re
from collections.abc import Iterator
from typing import Any

from index.errors import MissingDependency
from index.ingest.article import Article, Metadata
from index.ingest.dates import BadDate, day, iso_date
from index.ingest.decode import Unreadable
from index.ingest.discover import SourceFile
from index.ingest.names import author_names, site_name

ARTICLE_TYPES = set(
    "NewsArticle Article ReportageNewsArticle AnalysisNewsArticle BlogPosting OpinionNewsArticle ReviewNewsArticle"
    " Report WebPage LiveBlogPosting".split()
)
_DATE_META = tuple(
    "article:published_time datePublished pubdate publishdate parsely-pub-date sailthru.date dc.date.issued"
    " DC.date.issued date og:published_time".split()
)
_AUTHOR_META = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "byl")
MAX_DROPPED = 200


def read_html(source: SourceFile, html: str) -> Article:
    trafilatura, tree = _parse(html)
    extracted = trafilatura.bare_extraction(tree, with_metadata=True, include_comments=False)
    text = getattr(extracted, "text", None) if extracted is not None else None
    if not text or not text.strip():
        raise Unreadable("no article text found in the HTML")
    declared = _declared(tree)
    notices: list[str] = []
    site = site_name(declared["sites"] + [getattr(extracted, "sitename", None) or ""])
    metadata = Metadata(
        title=declared["headline"] or getattr(extracted, "title", None) or None,
        published=_published(getattr(extracted, "date", None), declared["dates"], notices),
        author=author_names(declared["authors"] + _split(getattr(extracted, "author", None)), site),
        site=site,
        url=declared["url"] or getattr(extracted, "url", None) or None,
    )
    return Article(source.name, source.display, text, metadata, _furniture(html, text), notices)


def _parse(html: str) -> tuple[Any, Any]:
    try:
        import trafilatura
        from trafilatura.utils import load_html
    except ImportError as error:
        raise MissingDependency(
            f"Reading HTML needs {error.name or 'lxml_html_clean'}: pip install lxml_html_clean trafilatura"
        ) from None
    tree = load_html(html)
    if tree is None:
        raise Unreadable("not an HTML page")
    return trafilatura, tree


def _split(value: str | None) -> list[str]:
    return [part for part in re.split(r"\s*;\s*", value or "") if part]


def _declared(tree: Any) -> dict[str, Any]:
    """What the page says about itself: JSON-LD, meta tags, its <h1> and <title>, its byline."""
    found: dict[str, Any] = {"dates": [], "authors": [], "sites": []}
    for item in _json_ld(tree):
        types = item.get("@type")
        types = set(types) if isinstance(types, list) else {types}
        if not types & ARTICLE_TYPES:
            continue
        found["dates"].append(_text(item.get("datePublished")))
        found["authors"] += [_text(a.get("name") if isinstance(a, dict) else a) for a in _listed(item.get("author"))]
        publisher = item.get("publisher")
        found["sites"].append(_text(publisher.get("name") if isinstance(publisher, dict) else publisher))
    meta = {}
    for element in tree.iter("meta"):
        name = element.get("property") or element.get("name") or element.get("itemprop")
        if name and element.get("content") and name not in meta:
            meta[name] = element.get("content").strip()
    title, suffix = _title(tree)
    found["sites"] = [meta.get("og:site_name", ""), *found["sites"], meta.get("application-name", ""), suffix]
    heading = next((" ".join(h.text_content().split()) for h in tree.iter("h1")), "")
    found["headline"] = heading if heading and heading == title else ""
    found["dates"] += [meta[n] for n in _DATE_META if n in meta]
    found["dates"] += [
        t.get("datetime")
        for t in tree.iter("time")
        if t.get("datetime")
        and "publish" in (t.get("itemprop", "") + t.get("class", "") + t.get("pubdate", "publish")).lower()
    ]
    found["authors"] += [meta[n] for n in _AUTHOR_META if n in meta and not meta[n].startswith("http")]
    found["authors"] += _bylines(tree)
    canonical = next(
        (link.get("href") for link in tree.iter("link") if (link.get("rel") or "").lower() == "canonical"), None
    )
    found["url"] = canonical or meta.get("og:url")
    return found


def _json_ld(tree: Any) -> Iterator[dict]:
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict):
                stack += _listed(item.get("@graph"))
                yield item


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if isinstance(value, str | int | float) else ""


def _title(tree: Any) -> tuple[str, str]:
    """The page <title> split into headline and site: "Headline - The New York Times"."""
    title = " ".join((tree.findtext(".//title") or "").split())
    parts = re.split(r"\s+[|–—-]{1,2}\s+", title)
    if len(parts) > 1 and len(parts[-1]) <= 40:
        return " - ".join(parts[:-1]), parts[-1]
    return title, ""


def _bylines(tree: Any) -> list[str]:
    """Visible bylines: short texts of elements whose class or itemprop says byline or author."""
    found = []
    for element in tree.iter():
        marks = f"{element.get('class', '')} {element.get('itemprop', '')} {element.get('rel', '')}".lower()
        if ("byline" in marks or "author" in marks) and element.tag not in ("script", "style", "meta", "link"):
            text = " ".join(element.text_content().split())
            if 3 <= len(text) <= 100:
                found.append(text)
        if len(found) >= 5:
            break
    return found


def _published(found: str | None, declared: list[str], notices: list[str]) -> str | None:
    """The page's own timestamp when it agrees (±1 day) with trafilatura's day, else that day."""
    base = None
    if found:
        try:
            base = iso_date(found)
        except BadDate as error:
            notices.append(f"{error}; the article has no publication date")
    for value in declared:
        if not value:
            continue
        try:
            precise = iso_date(value)
        except BadDate:
            continue
        if base is None or abs((day(precise) - day(base)).days) <= 1:  # type: ignore[operator]
            return precise
    return base


_BLOCKS = set(
    "p div li ul ol h1 h2 h3 h4 h5 h6 nav header footer section article aside main td th tr table blockquote"
    " figcaption figure form button label dt dd dl br hr option select title".split()
)


def _furniture(html: str, body: str) -> list[tuple[str, str]]:
    """The page's visible lines (one per block element) that the article body does not contain."""
    import lxml.html

    try:
        tree = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    for hidden in tree.xpath("//script|//style|//noscript|//template|//svg|//head"):
        hidden.drop_tree()
    for element in tree.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCKS:
            element.tail = "\n" + (element.tail or "")
            element.text = "\n" + (element.text or "")
    kept = " ".join(body.split())
    dropped, seen = [], set()
    for line in tree.text_content().splitlines():
        line = " ".join(line.split())
        if line and line not in kept and line not in seen:
            seen.add(line)
            dropped.append((line[:300], "page furniture (not part of the article body)"))
            if len(dropped) == MAX_DROPPED:
                break
    return dropped
