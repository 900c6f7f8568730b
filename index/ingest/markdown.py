"""Markdown articles: YAML front matter as metadata, the body as plain paragraphs.

python-frontmatter parses the front matter; markdown-it-py parses the body, so emphasis, links,
quotes and list markers never reach a passage. Each block (paragraph, list item, quote
paragraph, table row) becomes one paragraph; headings stay on lines of their own, marked "#",
so the cleaner takes the first as the headline and the others as section titles, not passages.
"""

import datetime as dt
import re
from typing import Any

from index.ingest.article import Article, Metadata
from index.ingest.dates import BadDate, iso_date
from index.ingest.discover import SourceFile

_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n.*?\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_FIELDS = {
    "title": ("title", "headline"),
    "published": ("date", "published", "pubdate", "pubDate", "published_at", "datePublished"),
    "author": ("author", "authors", "byline", "creator"),
    "site": ("source", "site", "site_name", "publisher", "outlet", "publication"),
    "url": ("url", "link", "canonical_url", "canonical", "source_url"),
}


def read_markdown(source: SourceFile, text: str) -> Article:
    metadata, body, dropped, notices = _front_matter(text)
    return Article(source.name, source.display, plain_text(body), metadata, dropped, notices)


def _front_matter(text: str) -> tuple[Metadata, str, list[tuple[str, str]], list[str]]:
    """(metadata, body, dropped, notices); front matter that is not valid YAML is dropped with a notice."""
    block = _FRONT_MATTER.match(text)
    if block is None:
        return Metadata(), text, [], []
    import frontmatter
    import yaml

    dropped = [(" ".join(block.group().split()), "front matter")]
    try:
        fields, body = frontmatter.parse(text)
    except (yaml.YAMLError, ValueError, TypeError) as error:
        reason = str(error).splitlines()[0][:60]
        return Metadata(), text[block.end() :], dropped, [f"front matter is not valid YAML ({reason}); ignored"]
    notices: list[str] = []
    found: dict[str, str | None] = {}
    for name, keys in _FIELDS.items():
        value = next((fields[k] for k in keys if fields.get(k) not in (None, "", [])), None)
        found[name] = _field(name, value, notices)
    return Metadata(**found), body, dropped, notices


def _field(name: str, value: Any, notices: list[str]) -> str | None:
    if value is None:
        return None
    if name == "published":
        try:
            return iso_date(value if isinstance(value, dt.date | dt.datetime) else str(value))
        except BadDate as error:
            notices.append(f"{error}; the article has no publication date")
            return None
    if isinstance(value, list):
        return ", ".join(_field(name, v, notices) or "" for v in value).strip(", ") or None
    if isinstance(value, dict):
        return _field(name, value.get("name") or value.get("title"), notices)
    return " ".join(str(value).split()) or None


def plain_text(markdown: str) -> str:
    """Paragraphs of plain text, blank-line separated; headings as '#' lines, table rows as one line."""
    from markdown_it import MarkdownIt

    blocks: list[str] = []
    row: list[str] = []
    heading = ""
    in_cell = False
    for token in MarkdownIt("commonmark").enable("table").parse(markdown):
        if token.type in ("th_open", "td_open"):
            in_cell = True
        elif token.type in ("th_close", "td_close"):
            in_cell = False
        elif token.type == "tr_close" and row:
            blocks.append(" | ".join(row))
            row = []
        elif token.type == "heading_open":
            heading = "#" * int(token.tag[1]) + " "
        elif token.type in ("fence", "code_block"):
            blocks.append(" ".join(token.content.split()))
        elif token.type == "inline":
            text = _inline(token.children or [])
            if in_cell:
                row.append(text)
            elif text:
                blocks.append(heading + text)
            heading = ""
    return "\n\n".join(b for b in blocks if b)


def _inline(children: list) -> str:
    """The words of an inline run: emphasis, code and link markup gone, images by their alt text."""
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return " ".join("".join(parts).split())
