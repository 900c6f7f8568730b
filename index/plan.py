"""Deciding what an index run must do: which files changed, which copies are duplicates,
which articles share sentences with others, and so which need new chunks."""

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index import manifest
from index.clean import normalise, sentence_keys
from index.documents import SourceFile, Unreadable, read_document
from index.repeats import repeat_counts

if TYPE_CHECKING:
    import sqlite3

    from index.update import Report


@dataclass
class Article:
    source: SourceFile
    text: str
    title_hint: str | None
    sha256: str
    keys: set[int]
    entry: manifest.FileEntry | None


def read_changed(
    sources: list[SourceFile], old: manifest.Manifest | None, report: "Report"
) -> dict[str, Article]:
    """Every current file; only files whose size or mtime changed are read from disk."""
    articles: dict[str, Article] = {}
    for source in sources:
        key = str(source.path)
        entry = old.files.get(key) if old else None
        stat = None
        try:
            stat = source.path.stat()
            if entry and (entry.size, entry.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
                articles[key] = Article(source, "", None, entry.sha256, set(), entry)
                continue
            if old and old.known_unreadable(key, stat):  # reported when it was first seen
                report.unreadable[key] = [stat.st_size, stat.st_mtime_ns]
                continue
            document = read_document(source)
        except (Unreadable, OSError) as error:
            report.skipped.append((source.display, str(error)))
            if entry:  # an unreadable version never replaces a good one
                articles[key] = Article(source, "", None, entry.sha256, set(), entry)
            elif stat is not None:
                report.unreadable[key] = [stat.st_size, stat.st_mtime_ns]
            continue
        text = normalise(document.text)
        if not text:
            report.skipped.append((source.display, "no text"))
            report.unreadable[key] = [stat.st_size, stat.st_mtime_ns]
            continue
        sha = hashlib.sha256(text.encode()).hexdigest()
        articles[key] = Article(source, text, document.title_hint, sha, sentence_keys(text), entry)
    return articles


@dataclass
class Plan:
    """Which articles get new chunks, and which old chunks go."""

    duplicate_of: dict[str, str | None]
    counts: dict[int, int]
    signatures: dict[str, str]
    process: list[str]
    retire: set[str]


def plan(
    old: manifest.Manifest | None, articles: dict[str, Article], removed: set[str], report: "Report"
) -> Plan:
    """Group identical articles (one copy is indexed), count repeated sentences, pick the work."""
    by_sha: dict[str, list[str]] = {}
    for path in sorted(articles, key=lambda p: articles[p].source.display):
        by_sha.setdefault(articles[path].sha256, []).append(path)
    duplicate_of = {p: (paths[0] if p != paths[0] else None) for paths in by_sha.values() for p in paths}
    canonical = [paths[0] for paths in by_sha.values()]
    counts = repeat_counts([articles[p].keys for p in canonical])
    signatures = {p: _signature(articles[p].keys, counts) for p in canonical}
    process, retire = [], set(removed)
    for path, article in articles.items():
        entry = article.entry
        if entry is None:
            report.added += 1
        elif entry.sha256 != article.sha256:
            report.changed += 1
        else:
            report.unchanged += 1
        report.duplicates += duplicate_of[path] is not None
        stale = entry is None or entry.sha256 != article.sha256 or entry.duplicate_of is not None
        if duplicate_of[path] is None and (stale or entry.repeat_signature != signatures[path]):
            process.append(path)
            retire.add(path)
        elif duplicate_of[path] is not None and entry is not None and entry.chunk_ids:
            retire.add(path)
    report.removed = len(removed)
    return Plan(duplicate_of, counts, signatures, process, retire)


def _signature(keys: set[int], counts: dict[int, int]) -> str:
    """Changes when another article starts or stops sharing this one's sentences."""
    shared = sorted((k, min(counts[k], 3)) for k in keys if k in counts)
    return hashlib.blake2b(repr(shared).encode(), digest_size=8).hexdigest()


def load_unread(connection: "sqlite3.Connection", articles: dict[str, Article]) -> None:
    """Fill in text and sentence keys of unchanged articles from the previous catalog."""
    import numpy as np

    for path, article in articles.items():
        if article.text:
            continue
        row = connection.execute(
            "SELECT text, title_hint, keys FROM documents WHERE path = ?", (path,)
        ).fetchone()
        if row is None:  # a duplicate copy: its canonical twin holds the text
            continue
        article.text, article.title_hint = row[0], row[1]
        article.keys = set(np.frombuffer(row[2], dtype=np.int64).tolist())
    with_text = {a.sha256: a for a in articles.values() if a.text}
    for article in articles.values():
        if not article.text:
            twin = with_text.get(article.sha256)
            if twin is None:  # its indexed twin is gone: read this copy itself
                document = read_document(article.source)
                article.text, article.title_hint = normalise(document.text), document.title_hint
                article.keys = sentence_keys(article.text)
                with_text[article.sha256] = article
            else:
                article.text, article.title_hint, article.keys = twin.text, twin.title_hint, twin.keys
