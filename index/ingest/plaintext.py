"""Plain-text articles, and the metadata news text carries near its top.

Only what the text states is taken: a "By NAME" line, a "Published: …" line, a wire dateline
("MOSCOW, Feb. 22 (Reuters) -", whose agency is the source; its date counts only with a year).
"""

import contextlib
import re

from index.ingest.article import Article, Metadata
from index.ingest.dates import BadDate, iso_date
from index.ingest.discover import SourceFile

TOP_LINES = 12
_BYLINE = re.compile(
    r"^(?:By|BY)\s+((?:[A-Z][\w.'’-]*|[A-Z]{2,})"
    r"(?:[ -](?:[A-Z][\w.'’-]*|de|la|le|du|da|del|di|dos|van|von|der|al|bin|and|&)){0,6})\s*(?:[,|–—-].*)?$"
)
_PUBLISHED = re.compile(r"^(published|posted|first published|date)\s*(?:on|:)?\s*(.+)$", re.IGNORECASE)
_DATELINE = re.compile(
    r"^([A-Z][A-Z .'’-]{1,40}(?:,\s*[A-Z][\w .'’-]{1,30})?),\s+"
    r"((?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,?\s+\d{4})?)|(?:\d{1,2}\s+[A-Z][a-z]{2,8}\.?(?:\s+\d{4})?))?\s*"
    r"\(([A-Za-z][\w .&-]{1,30})\)\s*[-–—]"
)


def read_plain(source: SourceFile, text: str) -> Article:
    """The text as it is, minus byline and publication-date lines, which become metadata."""
    lines = text.splitlines()
    author = published = site = None
    dropped: list[tuple[str, str]] = []
    notices: list[str] = []
    kept: list[str] = []
    for number, line in enumerate(lines):
        stripped = line.strip()
        if number < TOP_LINES and stripped:
            byline = _BYLINE.match(stripped)
            stated = _PUBLISHED.match(stripped)
            if byline and author is None and len(stripped) <= 80:
                author = _names(byline.group(1))
                dropped.append((stripped, "byline"))
                continue
            if stated and published is None:
                try:
                    published = iso_date(stated.group(2))
                    dropped.append((stripped, "publication date"))
                    continue
                except BadDate as error:
                    notices.append(f"{error}; the article has no publication date")
            dateline = _DATELINE.match(stripped)
            if dateline and site is None:
                site = dateline.group(3).strip()
                if dateline.group(2) and published is None:
                    with contextlib.suppress(BadDate):  # "Feb. 22" alone: the year is not ours to guess
                        published = iso_date(dateline.group(2))
        kept.append(line)
    metadata = Metadata(published=published, author=author, site=site)
    return Article(source.name, source.display, "\n".join(kept), metadata, dropped, notices)


def _names(byline: str) -> str:
    """ "JANE DOE and JOHN ROE" -> "Jane Doe, John Roe"."""
    people = re.split(r"\s+(?:and|&)\s+", byline.strip(), flags=re.IGNORECASE)
    return ", ".join(p.title() if p.isupper() else p for p in people if p)
