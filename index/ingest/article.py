"""What every reader produces: an article's text and what is known about it."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Metadata:
    """Who published an article and when; None where the file does not say (never guessed)."""

    title: str | None = None
    published: str | None = None  # ISO 8601, with its zone when the source gives one
    author: str | None = None
    site: str | None = None
    url: str | None = None


@dataclass
class Article:
    """One article from a file (a feed file holds several).

    `key` identifies it in the store: the file's absolute path (two folders of one name, indexed
    together, hold different files of one display path), with `#<entry id>` for a feed entry.
    `display` names it to the user: the file's path under its folder. `text` is the
    article as plain text, paragraphs separated by blank lines; `dropped` is what the reader
    left out (page furniture, front matter) and why; `notices` are one-line problems worth
    telling the user (an unparseable date, say) that did not stop the article being read.
    """

    key: str
    display: str
    text: str
    metadata: Metadata = field(default_factory=Metadata)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


@dataclass
class FileRead:
    """A file's articles and the stat they were read at."""

    articles: list[Article]
    size: int
    mtime_ns: int
    notices: list[str] = field(default_factory=list)
