"""Reading one file into its articles, by the reader its suffix calls for."""

from index.ingest.article import Article, FileRead
from index.ingest.decode import Read, Unreadable, decode, read_file
from index.ingest.discover import FEED_SUFFIXES, HTML_SUFFIXES, MARKDOWN_SUFFIXES, SourceFile
from index.ingest.feeds import read_feed
from index.ingest.html import read_html
from index.ingest.markdown import read_markdown
from index.ingest.plaintext import read_plain


def read_articles(source: SourceFile) -> FileRead:
    """Read one file into its articles; raises Unreadable with a short reason when it holds none."""
    return parse_articles(source, read_file(source.path))


def parse_articles(source: SourceFile, raw: Read) -> FileRead:
    """A file's bytes, already read, into its articles: the part of reading that costs CPU, which
    may run on another machine (a Ray worker) than the one holding the file."""
    suffix = source.path.suffix.lower()
    if suffix in FEED_SUFFIXES:
        return read_feed(source, raw)
    text = decode(raw.data)
    if suffix in HTML_SUFFIXES:
        article = read_html(source, text)
    elif suffix in MARKDOWN_SUFFIXES:
        article = read_markdown(source, text)
    else:
        article = read_plain(source, text)
    return _one(article, raw)


def _one(article: Article, raw: Read) -> FileRead:
    if not article.text.strip():
        raise Unreadable("no text")
    return FileRead([article], raw.size, raw.mtime_ns, list(article.notices))
