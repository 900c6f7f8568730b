"""Which store an update writes: the current one, a fresh one for a first index or a rebuild,
or one an interrupted first index or rebuild left, whose vectors are reused."""

import contextlib
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from index.embed.model import ModelInfo
from index.errors import IndexCorrupt, IndexNotFound, ModelMismatch, UserError
from index.indexer import segments
from index.scoring.tokenise import STOPWORDS
from index.store import catalog, layout, state
from index.store.database import Meta, create, open_database, read_meta, transaction


@dataclass
class Target:
    directory: Path
    connection: sqlite3.Connection
    meta: Meta
    fresh: bool
    # The file rows an update compares with the disk: all of them for a watcher's update or a
    # resumed build, else those of the folders a walk found changed (indexer.update).
    stored_files: dict[str, state.FileState] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Vectors an earlier, interrupted run committed and nothing may use: sweep them this time.
        self.sweep = self.meta.vectors_pending


def open_target(index_dir: Path, model: ModelInfo, rebuild: bool) -> Target:
    """The current store for an update, or a fresh one for a rebuild or a first index."""
    if not rebuild and layout.exists(index_dir):
        directory = layout.current(index_dir)
        connection = open_database(directory, write=True)
        meta = read_meta(connection)
        if meta.fingerprint != model.fingerprint:
            if meta.encoder_dim:
                raise ModelMismatch(
                    f"The index was built with model {meta.model_path or meta.encoder_name}, not "
                    f"{model.path if not model.bundled else model.name}. Rebuild it with: bot index --rebuild"
                )
            meta = _for_model(meta, model)  # an empty index can change its model freely
        return Target(directory, connection, meta, fresh=False)
    if not rebuild:
        with contextlib.suppress(IndexNotFound):
            layout.current(index_dir)  # an index in an older format is refused, not overwritten
    roots, excludes = _previous_roots(index_dir)
    resumed = _unfinished(index_dir, model)
    if resumed is not None:  # an interrupted first index or rebuild: its vectors are reused
        return resumed
    index_dir.mkdir(parents=True, exist_ok=True)
    directory = layout.fresh(index_dir)
    meta = _for_model(Meta("", 0, "", None, roots=roots, excludes=excludes, stopwords=sorted(STOPWORDS)), model)
    return Target(directory, create(directory, meta), meta, fresh=True)


def check_segments(store: Target) -> None:
    """A damaged index is reported, not built upon: every segment opens and agrees with its row.
    Asked only of an update with something to write: at 1,007,111 passages opening the segments
    was a quarter of a no-op `bot index` (0.26 of 1.08 s), and `bot ask` reports the damage."""
    try:
        segments.load(store.directory, store.connection)
    except (OSError, ValueError) as error:
        raise IndexCorrupt(
            f"{error.__class__.__name__}: {str(error).splitlines()[0][:80] if str(error) else ''}"
        ) from None


def _unfinished(index_dir: Path, model: ModelInfo) -> Target | None:
    """The newest store a first index or a rebuild began and never switched to, if it is of this
    model: building into it again keeps the batches it committed and the vectors it embedded."""
    try:
        current = layout.current(index_dir) if layout.exists(index_dir) else None
    except UserError:  # a damaged pointer: any store may be the unfinished one
        current = None
    for directory in sorted(index_dir.glob("store-*"), reverse=True):
        if directory == current:
            break
        try:
            connection = open_database(directory, write=True)
            meta = read_meta(connection)
        except (UserError, sqlite3.DatabaseError):
            continue
        if meta.fingerprint == model.fingerprint:
            return Target(directory, connection, meta, fresh=True, stored_files=state.files(connection))
        connection.close()
    return None


def _for_model(meta: Meta, model: ModelInfo) -> Meta:
    meta.encoder_name, meta.fingerprint, meta.encoder_dim = model.name, model.fingerprint, 0
    meta.model_path = None if model.bundled else str(model.path)
    return meta


def _previous_roots(index_dir: Path) -> tuple[list[str], dict[str, list[str]]]:
    """The folders (and excludes) a rebuild starts from: those of the index it replaces."""
    try:
        connection = open_database(layout.current(index_dir))
        try:
            meta = read_meta(connection)
        finally:
            connection.close()
        return meta.roots, meta.excludes
    except UserError:
        return layout.old_roots(index_dir), {}


def housekeeping(store: Target, index_dir: Path) -> None:
    """Delete what earlier writers left: retired segments, orphans of a killed run, old stores."""
    remove_retired(store)
    layout.remove_others(index_dir, keep={store.directory})


def remove_retired(store: Target) -> None:
    """Delete the files of segments merged away, and any no segment claims (a killed run's)."""
    folder = store.directory / layout.SEGMENTS
    live = {name for s in catalog.segments(store.connection) for name in segments.files_of(s.id)}
    retired = [row[0] for row in store.connection.execute("SELECT name FROM retired")]
    on_disk = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
    segments.remove_files(store.directory, sorted((on_disk - live) | set(retired)))
    if retired:
        with transaction(store.connection):
            store.connection.execute("DELETE FROM retired")
