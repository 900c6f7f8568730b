"""What changed on disk since the last update, and reading the files that did.

A file is read again only when its size or mtime differ from those recorded when it was last
read; the stat recorded is the one taken on the open file as it was read, so an edit made while
an update runs is seen by the next one.
"""

import os
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from index.indexer.plan import Incoming, incoming, same_article
from index.indexer.process import Progress
from index.indexer.report import Report
from index.indexer.spread import HERE, Spread
from index.indexer.target import Target
from index.ingest.article import Article, FileRead
from index.ingest.decode import Read, Unreadable, read_file
from index.ingest.discover import FEED_SUFFIXES, Found, SourceFile, Unchanged, discover, discover_changed
from index.ingest.read import parse_articles
from index.store import folders, state
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


def find(
    store: Target, roots: list[Path], changed: Collection[Path] | None, report: Report
) -> tuple[Found, set[str] | None]:
    """(the files to compare with the store, the stored paths a watcher's events concern).

    A walk passes over the folders whose files still hash as the store says (store.folders) and
    loads the stored rows of the others only; a watcher's update looks at the paths it saw."""
    if store.fresh:
        return discover(roots, store.meta.excludes), None
    if changed is None:
        known = folders.known(store.connection)
        found = discover(roots, store.meta.excludes, _unchanged(known))
        store.stored_files = folders.files_in(store.connection, set(known) - set(found.unchanged))
        report.unchanged += sum(known[folder][1] for folder in found.unchanged)
        return found, None
    store.stored_files = state.files(store.connection)
    return discover_changed(changed, roots, store.meta.excludes), _scope(store, changed)


def _unchanged(known: dict[str, tuple[int, int]]) -> Unchanged:
    """Whether a walked folder's files hash (store.folders) to what the store holds for it."""

    def unchanged(folder: str, entries: "list[os.DirEntry[str]]") -> bool:
        held = known.get(folder)
        if held is None:
            return False
        try:
            stats = [(entry.name, entry.stat(follow_symlinks=False)) for entry in entries]
        except OSError:
            return False
        return folders.signature((name, st.st_size, st.st_mtime_ns) for name, st in stats) == held[0]

    return unchanged


def _scope(store: Target, changed: Collection[Path]) -> set[str]:
    """The stored files the changed paths name, or lie under (a folder deleted or moved away)."""
    names = {os.path.abspath(p) for p in changed}
    folders = tuple(name.rstrip(os.sep) + os.sep for name in names)
    return {path for path in store.stored_files if path in names or path.startswith(folders)}


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
        known = stored.get(source.name)
        if known is not None and (known.size, known.mtime_ns) == stat_of(source.name):
            report.unchanged += known.state == "indexed"
            continue
        to_read.append(source)
    skips = []
    for source, reason in found.skipped:
        known = stored.get(store_key(source.path))
        if known is None or known.state != "skipped" or (known.size, known.mtime_ns) != lstat(source.path):
            skips.append((source, reason))
            report.skipped.append((printable(source.display), reason))
    present = {s.name for s in found.files} | {store_key(s.path) for s, _ in found.skipped}
    candidates = set(stored) if scope is None else scope & set(stored)
    return to_read, skips, candidates - present


def stat_of(path: Path | str) -> tuple[int, int]:
    try:
        info = os.stat(path)
        return info.st_size, info.st_mtime_ns
    except OSError:
        return -1, -1


@dataclass
class Prepared:
    """One file parsed: its articles that hold a story, normalised, hashed and signed (their ids
    are given by the caller), with the notices to show; or why it cannot be indexed."""

    read: FileRead | None
    stories: list[Incoming] = field(default_factory=list)
    notices: list[tuple[str, str]] = field(default_factory=list)
    unreadable: str | None = None


def prepare(job: tuple[SourceFile, Read | str]) -> Prepared:
    """Everything about reading a file that costs CPU; pure, so it may run on a Ray worker.

    Args:
        job: the file and its bytes, or why they could not be read."""
    source, raw = job
    if isinstance(raw, str):
        return Prepared(None, unreadable=raw)
    try:
        read = parse_articles(source, raw)
        stories, notices = _with_story(read)
    except Unreadable as error:
        return Prepared(None, unreadable=str(error))
    return Prepared(read, [incoming(article, source.name, 0) for article in stories], notices)


def read_files(
    store: Target, sources: list[SourceFile], report: Report, progress: Progress | None, spread: Spread = HERE
) -> tuple[list[Incoming], set[int], list[tuple]]:
    """(articles to insert, stored article ids they replace or that are gone, file rows)."""
    arrivals: list[Incoming] = []
    doomed: set[int] = set()
    files: list[tuple] = []
    next_id = state.next_article_id(store.connection)
    for source, prepared in _prepared(sources, spread):
        path = source.name
        known = store.stored_files.get(path)
        if prepared.read is None:
            report.skipped.append((source.display, prepared.unreadable or ""))
            if known is None or known.state != "indexed":  # an unreadable version never replaces a good one
                files.append((path, source.display, *stat_of(source.path), "unreadable", prepared.unreadable))
            if progress:
                progress.read(1)
            continue
        read = prepared.read
        report.notices += prepared.notices
        stored = {a.key: a for a in state.articles_where(store.connection, "file", [path])}
        changed = False
        for candidate in prepared.stories:
            previous = stored.pop(candidate.article.key, None)
            if previous is not None and same_article(previous, candidate):
                continue
            candidate.id = next_id
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


def _prepared(sources: list[SourceFile], spread: Spread) -> Iterator[tuple[SourceFile, Prepared]]:
    """Each file parsed, in order: read here (the files may be only here) as `spread` asks for
    them, so only the files being parsed are held in memory."""
    return zip(sources, spread.map(prepare, ((source, _bytes(source)) for source in sources)))


def _bytes(source: SourceFile) -> Read | str:
    try:
        return read_file(source.path)
    except Unreadable as error:
        return str(error)


def _with_story(read: FileRead) -> tuple[list[Article], list[tuple[str, str]]]:
    """The file's articles that hold a story, and notices for those skipped; a page that is only
    menus and notices is unreadable."""
    kept, notices = [], []
    for article in read.articles:
        if clean(article.text, article.metadata.title).story:
            kept.append(article)
        elif len(read.articles) > 1:
            notices.append((article.display, f"{NO_STORY}; skipped"))
    if not kept:
        raise Unreadable(NO_STORY)
    return kept, notices
