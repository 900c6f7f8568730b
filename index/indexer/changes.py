"""What changed on disk since the last update, and reading the files that did.

A file is read again only when its size or mtime differ from those recorded when it was last
read; the stat recorded is the one taken on the open file as it was read, so an edit made while
an update runs is seen by the next one.
"""

import os
from pathlib import Path

from index.indexer.plan import Incoming, incoming, same_article
from index.indexer.process import Progress
from index.indexer.report import Report
from index.indexer.target import Target
from index.ingest.article import FileRead
from index.ingest.decode import Unreadable
from index.ingest.discover import FEED_SUFFIXES, Found, SourceFile
from index.ingest.read import read_articles
from index.store import state
from index.text.furniture import clean

NO_STORY = "no article text (only menus, buttons or notices)"


def store_key(path: Path) -> str:
    """A path as the files table can hold it: a name that is not UTF-8 written escaped."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def printable(display: str) -> str:
    return os.fsencode(display).decode("utf-8", "backslashreplace")


def lstat(path: Path) -> tuple[int, int]:
    try:
        info = os.lstat(path)
        return info.st_size, info.st_mtime_ns
    except OSError:
        return -1, -1


def changes(
    store: Target, found: Found, report: Report, scope: set[str] | None = None
) -> tuple[list[SourceFile], list[tuple[SourceFile, str]], set[str]]:
    """(files to read, files newly skipped by name, stored files no longer found).

    Args:
        scope: the stored paths a watcher's events concern; None for a whole walk, where every
            stored file not found is gone.
    """
    stored = store.stored_files
    to_read = []
    for source in found.files:
        known = stored.get(str(source.path))
        if known is not None and (known.size, known.mtime_ns) == stat_of(source.path):
            report.unchanged += known.state == "indexed"
            continue
        to_read.append(source)
    skips = []
    for source, reason in found.skipped:
        known = stored.get(store_key(source.path))
        if known is None or known.state != "skipped" or (known.size, known.mtime_ns) != lstat(source.path):
            skips.append((source, reason))
            report.skipped.append((printable(source.display), reason))
    present = {str(s.path) for s in found.files} | {store_key(s.path) for s, _ in found.skipped}
    candidates = set(stored) if scope is None else scope & set(stored)
    return to_read, skips, candidates - present


def stat_of(path: Path) -> tuple[int, int]:
    try:
        info = os.stat(path)
        return info.st_size, info.st_mtime_ns
    except OSError:
        return -1, -1


def read_files(
    store: Target, sources: list[SourceFile], report: Report, progress: Progress | None
) -> tuple[list[Incoming], set[int], list[tuple]]:
    """(articles to insert, stored article ids they replace or that are gone, file rows)."""
    arrivals: list[Incoming] = []
    doomed: set[int] = set()
    files: list[tuple] = []
    next_id = state.next_article_id(store.connection)
    for source in sources:
        path = str(source.path)
        known = store.stored_files.get(path)
        try:
            read = read_articles(source)
            fresh = _with_story(source, read, report)
        except Unreadable as error:
            report.skipped.append((source.display, str(error)))
            if known is None or known.state != "indexed":  # an unreadable version never replaces a good one
                files.append((path, source.display, *stat_of(source.path), "unreadable", str(error)))
            if progress:
                progress.read(1)
            continue
        stored = {a.key: a for a in state.articles_where(store.connection, "file", [path])}
        changed = False
        for article in fresh:
            candidate = incoming(article, path, next_id)
            previous = stored.pop(article.key, None)
            if previous is not None and same_article(previous, candidate):
                continue
            next_id += 1
            arrivals.append(candidate)
            changed = True
            if previous is not None:
                doomed.add(previous.id)
        if source.path.suffix.lower() not in FEED_SUFFIXES:  # a feed keeps entries it no longer lists
            doomed |= {a.id for a in stored.values()}
            changed = changed or bool(stored)
        report.notices += [(source.display, notice) for notice in read.notices]
        files.append((path, source.display, read.size, read.mtime_ns, "indexed", None))
        if known is None or known.state != "indexed":
            report.added += 1
        elif changed:
            report.changed += 1
        else:
            report.unchanged += 1
        if progress:
            progress.read(1)
    return arrivals, doomed, files


def _with_story(source: SourceFile, read: FileRead, report: Report) -> list:
    """The file's articles that hold a story; a page that is only menus and notices is unreadable."""
    kept = []
    for article in read.articles:
        if clean(article.text, article.metadata.title).story:
            kept.append(article)
        elif len(read.articles) > 1:
            report.notices.append((article.display, f"{NO_STORY}; skipped"))
    if not kept:
        raise Unreadable(NO_STORY)
    return kept
