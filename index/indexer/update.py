"""`bot index`: bring the index up to date with its folders in one atomic, incremental update.

Only files whose size or mtime changed are read; only passages whose text is new are embedded
(their vectors are committed batch by batch, so an interrupted run resumes where it stopped);
the change becomes visible in one SQLite transaction that also records a small new search
segment (a change of more than BUILD_BATCH files, in one such transaction per batch). A first
index or a rebuild writes a new store beside the old one and switches to it at the end.
"""

import os
import sqlite3
import time
from collections.abc import Callable, Collection, Sequence
from functools import cache, partial
from pathlib import Path

from index.embed.encoder import Encoder
from index.embed.model import ModelInfo
from index.errors import IndexCorrupt, PathNotFound, SaveFailed, UserError
from index.indexer import segments
from index.indexer.changes import changes, find, lstat, printable, read_files, store_key
from index.indexer.commit import Passages, commit
from index.indexer.plan import Plan, plan
from index.indexer.process import Chunked, Progress, ToChunk, chunk_article, embed_key, vectors_for
from index.indexer.report import Report
from index.indexer.spread import HERE, Spread
from index.indexer.target import Target, check_segments, housekeeping, open_target, remove_retired
from index.ingest.decode import Unreadable
from index.ingest.discover import SourceFile
from index.ingest.read import read_articles
from index.store import catalog, layout, state, writer
from index.store.database import transaction, write_meta
from index.store.lock import writer_lock
from index.text.normalise import normalise

# Changed files read, planned, embedded and committed together. A first build of a big folder
# holds one batch's articles and passages in memory, not the folder's, and an interrupted build
# keeps the batches it committed. A batch's commit briefly holds all its passages several ways
# (rows, packed vectors, postings, the new segment): with 20,000 files (about 96,000 passages of
# news) that took a million-passage build's peak 1.5 GB over what it held between batches.
BUILD_BATCH = 10_000


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during an update: the index is unchanged; `report` says what was kept for next time."""

    def __init__(self, report: Report) -> None:
        super().__init__()
        self.report = report


def update(
    index_dir: Path,
    paths: Sequence[Path],
    model: ModelInfo,
    make_encoder: Callable[[], Encoder],
    *,
    rebuild: bool = False,
    excludes: Sequence[str] = (),
    changed: Collection[Path] | None = None,
    wait: bool = True,
    on_wait: Callable[[str], None] = lambda message: None,
    progress: Progress | None = None,
    spread: Spread = HERE,
) -> Report:
    """Bring the index at index_dir up to date with the files under paths (and earlier folders).

    Args:
        excludes: gitignore patterns to leave out, remembered with each folder in `paths`
            (with no paths, with every indexed folder).
        changed: the files and folders a watcher saw change: only they are looked at, instead
            of a walk of every folder (None: walk them all).
        spread: where files are parsed and articles chunked (a Ray cluster, or here).
    """
    began = time.perf_counter()
    report = Report()
    with writer_lock(index_dir, wait, on_wait):
        try:
            store = open_target(index_dir, model, rebuild)
            try:
                _run(store, index_dir, paths, excludes, changed, make_encoder, progress, spread, report)
            finally:
                store.connection.close()
        except KeyboardInterrupt:
            raise Interrupted(report) from None
        except sqlite3.DatabaseError as error:
            raise IndexCorrupt(f"{layout.DATABASE}: {error}") from None
        except OSError as error:
            raise SaveFailed(
                f"Could not save the index ({error.strerror or error}); the previous index is intact."
            ) from None
    report.seconds = time.perf_counter() - began
    return report


def _run(
    store: Target,
    index_dir: Path,
    paths: Sequence[Path],
    excludes: Sequence[str],
    changed: Collection[Path] | None,
    make_encoder: Callable[[], Encoder],
    progress: Progress | None,
    spread: Spread,
    report: Report,
) -> None:
    if not store.fresh:
        housekeeping(store, index_dir)
    roots = _roots(store, paths, excludes, report)
    found, scope = find(store, roots, changed, report)
    to_read, skips, gone = changes(store, found, report, scope)
    if not (to_read or skips or gone) and not store.fresh:
        report.up_to_date = True
        _totals(store.connection, report)
        return
    if not store.fresh:
        check_segments(store)
    encoder = cache(make_encoder)  # loaded by the first batch with passages to embed, kept for the rest
    for begin in range(0, max(len(to_read), 1), BUILD_BATCH):
        first = begin == 0
        batch = to_read[begin : begin + BUILD_BATCH]
        _apply(store, batch, skips if first else [], gone if first else set(), encoder, progress, spread, report)
    if store.fresh:
        _optimise(store)
        layout.switch(index_dir, store.directory)
        layout.remove_others(index_dir, keep={store.directory})
    _totals(store.connection, report)


def _apply(
    store: Target,
    to_read: list[SourceFile],
    skips: list[tuple[SourceFile, str]],
    gone: set[str],
    make_encoder: Callable[[], Encoder],
    progress: Progress | None,
    spread: Spread,
    report: Report,
) -> None:
    """Read, plan, split, embed and commit one batch of changed files, as one transaction."""
    if progress:
        progress.reading(len(to_read))
    arrivals, doomed, files = read_files(store, to_read, report, progress, spread)
    doomed |= {a.id for a in state.articles_where(store.connection, "file", gone)}
    files += [(store_key(s.path), printable(s.display), *lstat(s.path), "skipped", reason) for s, reason in skips]
    report.removed += len({a.file for a in state.articles_where(store.connection, "id", doomed)} & gone)
    work = plan(store.connection, arrivals, doomed)
    _reread(work)
    chunked: dict[int, Chunked] = {}
    chunking = [a for a in work.incoming if a.duplicate_of is None] or work.rechunk
    encoder = make_encoder() if chunking else None
    if encoder is not None:
        if store.meta.encoder_dim and encoder.dim != store.meta.encoder_dim:
            raise IndexCorrupt(f"the index holds {store.meta.encoder_dim}-dim vectors, the model makes {encoder.dim}")
        store.meta.encoder_dim = encoder.dim
        jobs = {
            article.id: ToChunk.of(
                article.text,
                article.article.metadata.title,
                _fallback(article.article.display),
                work.counts,
                article.keys,
            )
            for article in work.incoming
            if article.duplicate_of is None
        }
        for rechunk in work.rechunk:
            title = rechunk.article.metadata.title if rechunk.article else None
            jobs[rechunk.stored.id] = ToChunk.of(rechunk.text, title, _fallback(rechunk.stored.display), work.counts)
        chunked = dict(zip(jobs, spread.map(partial(chunk_article, spread.tokens(encoder)), list(jobs.values()))))
    keys = {i: [embed_key(c.title, chunk) for chunk in c.chunks] for i, c in chunked.items()}
    items = [(c.title, chunk) for c in chunked.values() for chunk in c.chunks]
    embedded_before = report.chunks_embedded
    vectors = (
        vectors_for(
            store.connection,
            items,
            encoder,
            progress,
            len(chunked),
            lambda done: _committed(store, report, embedded_before + done),
        )
        if encoder is not None
        else None
    )
    report.chunks_embedded = embedded_before + (vectors.embedded if vectors else 0)
    replaced = {a.key for a in state.articles_where(store.connection, "id", work.delete)}
    arriving = {a.article.key for a in work.incoming}
    report.articles_added += len(arriving - replaced)
    report.articles_changed += len(arriving & replaced)
    report.articles_removed += len(replaced - arriving)
    report.duplicates += sum(1 for a in work.incoming if a.duplicate_of is not None)
    store.meta = commit(
        store.connection,
        store.directory,
        store.meta,
        work,
        Passages(chunked, vectors.known if vectors else {}, keys),
        files,
        gone,
        store.sweep,
    )
    store.sweep = False  # what an earlier run left is gone with the first batch's commit
    _merge(store)


def _fallback(display: str) -> str:
    """The title of an article whose file declares none and whose text shows none: its file's name."""
    return Path(display.split("#")[0]).stem.replace("_", " ")


def _committed(store: Target, report: Report, done: int) -> None:
    """Before each batch of vectors is staged: count what is kept, and on the first, note that
    a run that dies now leaves vectors the next run must sweep if it does not reuse them."""
    report.chunks_embedded = done
    if not store.meta.vectors_pending:
        store.meta.vectors_pending = True
        with transaction(store.connection):
            write_meta(store.connection, store.meta)


def _roots(store: Target, paths: Sequence[Path], excludes: Sequence[str], report: Report) -> list[Path]:
    for path in paths:
        if not path.exists():
            raise PathNotFound(f"Path not found: {path}")
    given = [Path(os.path.abspath(p)) for p in paths]
    roots = set(given)
    for previous in store.meta.roots:
        if Path(previous).exists():
            roots.add(Path(previous))
        else:
            report.skipped.append((previous, "indexed folder no longer exists; its files are removed"))
    if not roots:
        raise UserError("Nothing to index yet. Give a folder or file: bot index PATH")
    for root in given or roots:
        known = store.meta.excludes.setdefault(str(root), [])
        known += [p for p in excludes if p not in known]
    store.meta.excludes = {r: p for r, p in store.meta.excludes.items() if p and Path(r) in roots}
    store.meta.roots = [str(r) for r in sorted(roots)]
    return sorted(roots)


def _reread(work: Plan) -> None:
    """The text of stored articles to chunk again, read from their (unchanged) files."""
    for rechunk in list(work.rechunk):
        stored = rechunk.stored
        try:
            read = read_articles(SourceFile(stored.file, stored.display.split("#")[0]))
        except Unreadable:
            read = None
        article = next((a for a in read.articles if a.key == stored.key), None) if read else None
        if article is None:
            work.rechunk.remove(rechunk)
            continue
        rechunk.article, rechunk.text = article, normalise(article.text)


def _optimise(store: Target) -> None:
    """A first build or a rebuild ends as one segment in a compacted database, before anyone
    reads it (Lucene's forceMerge after a bulk load): a big build's batches leave several
    segments, and articles chunked again as later batches repeat their sentences leave dead
    chunks and half-empty pages. At 870,987 passages that took 2,556 MB and answered at p50
    35.2 ms; merged, 2,419 MB and 22.3 ms; its database compacted too, 2,199 MB. Compacted
    pages are full, and an added article's rows split those of the trees they reach: its copy
    bands and sentence keys go to recent rows instead (store.schema), folded in only by the
    thousand. Nobody reads this store yet, so the merged segments' files go now, and VACUUM may
    shrink the file (readers map it: see store.database)."""
    _merge(store, everything=True)
    remove_retired(store)
    with transaction(store.connection):
        writer.fold_recent(store.connection, everything=True)
    store.connection.execute("VACUUM")
    store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _merge(store: Target, everything: bool = False) -> None:
    dead = dict(store.connection.execute("SELECT segment, count(*) FROM tombstones GROUP BY segment").fetchall())
    existing = catalog.segments(store.connection)
    merging = existing if everything and (len(existing) > 1 or dead) else segments.to_merge(existing, dead)
    if not merging:
        return
    segment = store.meta.next_segment
    chunks, params = segments.merge(store.connection, store.directory, merging, segment, store.meta.encoder_dim)
    with transaction(store.connection):
        old = [s.id for s in merging]
        store.connection.execute(
            f"UPDATE chunks SET segment = ? WHERE segment IN ({','.join('?' * len(old))})", [segment, *old]
        )
        names = [name for s in old for name in segments.files_of(s)]
        writer.retire_segments(store.connection, old, names, store.meta.generation + 1)
        if chunks:
            writer.add_segment(store.connection, segment, chunks, params)
        store.meta.generation += 1
        store.meta.next_segment = segment + 1
        write_meta(store.connection, store.meta)


def _totals(connection: sqlite3.Connection, report: Report) -> None:
    counts = catalog.counts(connection)
    report.documents = int(counts["articles"])  # type: ignore[call-overload]
    report.chunks_total = int(counts["chunks"])  # type: ignore[call-overload]
