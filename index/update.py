"""Incremental indexing: embed only what is new, drop what is gone, commit atomically.

A new generation directory is written beside the current one (catalog copy + changes,
FAISS index minus removed plus new vectors, BM25 rebuilt), fsynced and renamed into place;
only then does the manifest, written atomically, point at it. A crash at any moment leaves
the previous generation as the index.
"""

import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from index import catalog, dense, lexical, manifest
from index.atomic import fsync_dir, fsync_tree
from index.chunk_vectors import Progress, chunk_vectors
from index.clean import Dropped, clean
from index.documents import discover
from index.embed import Encoder, ModelInfo
from index.errors import IndexCorrupt, IndexNotFound, PathNotFound, SaveFailed, UserError
from index.generations import next_generation, remove_leftovers, remove_old_generations
from index.plan import Article, load_unread, plan, read_changed
from index.split import Chunk, embed_text, split
from index.store import open_index, writer_lock

@dataclass
class Report:
    """What one `bot index` run did."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    duplicates: int = 0
    chunks_embedded: int = 0
    chunks_total: int = 0
    documents: int = 0
    seconds: float = 0.0
    up_to_date: bool = False
    skipped: list[tuple[str, str]] = field(default_factory=list)
    unreadable: dict[str, list[int]] = field(default_factory=dict)
    dropped: dict[str, list[Dropped]] = field(default_factory=dict)


def update(
    index_dir: Path,
    paths: list[Path],
    info: ModelInfo,
    make_encoder: Callable[[], Encoder],
    *,
    rebuild: bool = False,
    wait: bool = True,
    on_wait: Callable[[str], None] = lambda message: None,
    progress: Progress | None = None,
) -> Report:
    """Bring the index at index_dir up to date with the files under paths (and earlier roots)."""
    began = time.perf_counter()
    with writer_lock(index_dir, wait, on_wait):
        remove_leftovers(index_dir)
        old = None if rebuild else _current(index_dir)
        if old is not None:
            old.check_encoder(info.name, info.dim)
            open_index(index_dir)  # a tampered generation is reported, not built upon
        report = Report()
        recorded = old.roots if old else _recorded_roots(index_dir)
        roots = _roots(paths, recorded, report)
        sources, skipped_names = discover(roots)
        report.skipped += [(str(path), reason) for path, reason in skipped_names]
        articles = read_changed(sources, old, report)
        removed = set(old.files) - {str(s.path) for s in sources} if old else set()
        if old and not removed and all(a.entry and not a.text for a in articles.values()):
            if report.unreadable != old.unreadable:  # remembered, so status stops calling them new
                manifest.write(index_dir, replace(old, unreadable=report.unreadable))
            report.up_to_date = True
            report.unchanged = len(articles)
            report.documents = sum(1 for e in old.files.values() if e.duplicate_of is None)
            report.chunks_total = old.chunk_count()
            report.seconds = time.perf_counter() - began
            return report
        try:
            _commit(index_dir, old, info, make_encoder, roots, articles, removed, report, progress)
        except sqlite3.DatabaseError as error:
            raise IndexCorrupt(f"{catalog.FILE_NAME}: {error}") from None
        except OSError as error:
            raise SaveFailed(
                f"Could not save the index ({error.strerror or error}); the previous index is intact."
            ) from None
        report.seconds = time.perf_counter() - began
        return report


def _current(index_dir: Path) -> manifest.Manifest | None:
    try:
        return manifest.read(index_dir)
    except IndexNotFound:
        return None


def _recorded_roots(index_dir: Path) -> list[str]:
    """The folders a rebuild starts from when none are given: those of the index it replaces."""
    try:
        current = _current(index_dir)
    except UserError:
        return []
    return current.roots if current else []


def _roots(paths: list[Path], recorded: list[str], report: Report) -> list[Path]:
    for path in paths:
        if not path.exists():
            raise PathNotFound(f"Path not found: {path}")
    roots = {Path(os.path.abspath(p)) for p in paths}
    for previous in recorded:
        if Path(previous).exists():
            roots.add(Path(previous))
        else:
            report.skipped.append((previous, "indexed folder no longer exists; its files are removed"))
    if not roots:
        raise UserError("Nothing to index yet. Give a folder or file: bot index PATH")
    return sorted(roots)


def _commit(
    index_dir: Path,
    old: manifest.Manifest | None,
    info: ModelInfo,
    make_encoder: Callable[[], Encoder],
    roots: list[Path],
    articles: dict[str, Article],
    removed: set[str],
    report: Report,
    progress: Progress | None,
) -> None:
    """Write the next generation beside the current one, then point the manifest at it."""
    import numpy as np

    generation = next_generation(index_dir)
    previous = index_dir / old.generation_dir_name if old else None
    work = index_dir / (manifest.generation_dir_name(generation) + ".tmp")
    work.mkdir(parents=True)
    try:
        if previous is not None:
            shutil.copyfile(previous / catalog.FILE_NAME, work / catalog.FILE_NAME)
            connection = catalog.open_for_update(work)
            vectors = dense.read(previous, mmap=False)
        else:
            connection = catalog.create(work)
            vectors = dense.empty(info.dim)
        load_unread(connection, articles)
        work_plan = plan(old, articles, removed, report)
        encoder = make_encoder() if work_plan.process else None
        chunked = {p: _chunk(articles[p], work_plan.counts, encoder, report) for p in work_plan.process}
        next_id = old.next_id if old else 1
        new_ids: dict[str, list[int]] = {}
        for path in work_plan.process:
            new_ids[path] = list(range(next_id, next_id + len(chunked[path][1])))
            next_id += len(chunked[path][1])
        ids = np.asarray([i for p in work_plan.process for i in new_ids[p]], dtype=np.int64)
        titled = [(chunked[p][0], chunk) for p in work_plan.process for chunk in chunked[p][1]]
        files = len(work_plan.process)
        embedded = chunk_vectors(titled, connection, vectors, encoder, progress, files)
        report.chunks_embedded += embedded.embedded
        retired = [i for p in work_plan.retire if old and p in old.files for i in old.files[p].chunk_ids]
        with connection:
            _write_catalog(connection, articles, work_plan, chunked, new_ids, embedded)
        if retired:
            vectors.remove_ids(np.asarray(retired, dtype=np.int64))
        if len(ids):
            vectors.add_with_ids(embedded.vectors, ids)
        dense.write(vectors, work)
        rows = list(catalog.all_chunk_terms(connection))
        connection.close()
        lexical.build([terms for _, terms in rows], [i for i, _ in rows], work)
        fsync_tree(work)
        os.rename(work, index_dir / manifest.generation_dir_name(generation))
        fsync_dir(index_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    files = {
        path: manifest.FileEntry(
            display=a.source.display,
            sha256=a.sha256,
            size=a.source.path.stat().st_size,
            mtime_ns=a.source.path.stat().st_mtime_ns,
            title=chunked[path][0] if path in chunked else (a.entry.title if a.entry else ""),
            chunk_ids=new_ids.get(path, a.entry.chunk_ids if a.entry and path not in work_plan.retire else []),
            duplicate_of=work_plan.duplicate_of[path],
            repeat_signature=work_plan.signatures.get(path, ""),
        )
        for path, a in articles.items()
    }
    report.documents = sum(1 for e in files.values() if e.duplicate_of is None)
    report.chunks_total = vectors.ntotal
    manifest.write(
        index_dir,
        manifest.Manifest(
            format_version=manifest.FORMAT_VERSION,
            generation=generation,
            encoder_name=info.name,
            encoder_dim=info.dim,
            model_path=None if info.name == "all-MiniLM-L6-v2" else str(info.path),
            roots=[str(r) for r in roots],
            files=files,
            next_id=next_id,
            created=old.created if old else time.time(),
            unreadable=report.unreadable,
        ),
    )
    remove_old_generations(index_dir, keep={generation, old.generation if old else generation})


def _chunk(
    article: Article, counts: dict[int, int], encoder: Encoder | None, report: Report
) -> tuple[str, list[Chunk]]:
    assert encoder is not None
    cleaned = clean(article.text, article.title_hint, counts)
    if not cleaned.title:
        cleaned.title = Path(article.source.display).stem.replace("_", " ")
    if cleaned.dropped:
        report.dropped[article.source.display] = cleaned.dropped
    return cleaned.title, split(cleaned, encoder.count_tokens, encoder.max_tokens)


def _write_catalog(connection, articles, plan, chunked, new_ids, embedded) -> None:  # noqa: ANN001
    """Catalog rows for the new generation; `embedded` rows follow plan.process's chunks."""
    import numpy as np

    columns = iter(embedded.columns)  # embed key, sentence spans and vectors, in chunk order
    for path in plan.retire:
        connection.execute("DELETE FROM chunks WHERE path = ?", (path,))
    for path, article in articles.items():
        if plan.duplicate_of.get(path) is not None:
            connection.execute("DELETE FROM documents WHERE path = ?", (path,))
    for path in set(plan.retire) - set(articles):
        connection.execute("DELETE FROM documents WHERE path = ?", (path,))
    for path in plan.process:
        article = articles[path]
        title, chunks = chunked[path]
        keys = np.asarray(sorted(article.keys), dtype=np.int64).tobytes()
        connection.execute(
            "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?)",
            (path, article.source.display, title, article.title_hint, article.text, keys),
        )
        connection.executemany(
            "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (i, path, c.paragraph, c.start, c.end, c.text, *next(columns),
                 lexical.terms(embed_text(title, c.text)))
                for i, c in zip(new_ids[path], chunks)
            ],
        )
