"""Opening a built index for queries, and the writers' lock.

A reader follows the manifest to one generation directory and opens only that: the writer
never changes a generation once written, so a reader sees one consistent index even while
a new generation is being written beside it.
"""

import fcntl
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from index import catalog, dense, manifest
from index.errors import IndexCorrupt, IndexNotFound, LockBusy

if TYPE_CHECKING:
    import faiss
    import numpy as np

    from index.lexical import Lexical

LOCK_FILE = "lock"


@dataclass
class Index:
    """A loaded index generation; the FAISS and BM25 parts load on first use."""

    directory: Path
    manifest: manifest.Manifest
    catalog: sqlite3.Connection
    _dense: "faiss.Index | None" = field(default=None, repr=False)
    _lexical: "Lexical | None" = field(default=None, repr=False)

    @property
    def generation_dir(self) -> Path:
        return self.directory / self.manifest.generation_dir_name

    @property
    def dense(self) -> "faiss.Index":
        if self._dense is None:
            try:
                self._dense = dense.read(self.generation_dir, mmap=True)
            except RuntimeError as error:
                raise IndexCorrupt(f"{dense.FILE_NAME}: {str(error).splitlines()[0][:80]}") from None
            if not hasattr(self._dense, "id_map"):
                raise IndexCorrupt(f"{dense.FILE_NAME} has no id map")
            if self._dense.d != self.manifest.encoder_dim:
                raise IndexCorrupt(
                    f"{dense.FILE_NAME} holds {self._dense.d}-dim vectors, "
                    f"the manifest says {self.manifest.encoder_dim}"
                )
        return self._dense

    @property
    def lexical(self) -> "Lexical":
        if self._lexical is None:
            from index.lexical import Lexical

            try:
                self._lexical = Lexical.read(self.generation_dir)
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
                raise IndexCorrupt(f"lexical index: {error.__class__.__name__}") from None
        return self._lexical

    def chunks(self, ids: list[int]) -> dict[int, catalog.ChunkRow]:
        try:
            return catalog.chunks(self.catalog, ids)
        except sqlite3.DatabaseError as error:
            raise IndexCorrupt(f"{catalog.FILE_NAME}: {error}") from None

    def sentences(self, ids: list[int]) -> "dict[int, tuple[np.ndarray, np.ndarray]]":
        """Per chunk id: its sentences' (start, end) in the chunk text, and their vectors."""
        try:
            return catalog.sentences(self.catalog, ids, self.manifest.encoder_dim)
        except (sqlite3.DatabaseError, ValueError) as error:
            raise IndexCorrupt(f"{catalog.FILE_NAME}: {error}") from None

    def document(self, path: str) -> tuple[str, str] | None:
        try:
            return catalog.document_text(self.catalog, path)
        except sqlite3.DatabaseError as error:
            raise IndexCorrupt(f"{catalog.FILE_NAME}: {error}") from None


def open_index(index_dir: Path, just_read: manifest.Manifest | None = None) -> Index:
    """Open the current generation (retrying if a writer swaps it while we look).

    Args:
        just_read: the manifest, when the caller has just read it (for the first try).
    """
    for _ in range(5):
        current, just_read = just_read or manifest.read(index_dir), None
        generation = index_dir / current.generation_dir_name
        if not generation.is_dir():
            if manifest.read(index_dir).generation != current.generation:
                continue
            raise IndexCorrupt(f"{current.generation_dir_name} is missing")
        try:
            connection = catalog.open_read_only(generation)
            for table in ("documents", "chunks"):
                connection.execute(f"SELECT count(*) FROM {table}").fetchone()
        except sqlite3.DatabaseError as error:
            if not generation.is_dir():  # swapped out by a writer while we opened it
                continue
            raise IndexCorrupt(f"{catalog.FILE_NAME}: {error}") from None
        opened = Index(index_dir, current, connection)
        try:  # map every part now: once open, a writer removing the generation cannot hurt us
            opened.dense, opened.lexical  # noqa: B018
        except IndexCorrupt:
            if not generation.is_dir():
                continue
            raise
        return opened
    raise IndexNotFound(index_dir)


@contextmanager
def writer_lock(index_dir: Path, wait: bool, on_wait: Callable[[str], None]) -> Iterator[None]:
    """One writer at a time. flock dies with its process, so a killed indexer leaves no stale lock."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK_FILE, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            if not wait:
                raise LockBusy(f"Another indexer ({holder}) is updating {index_dir}; try again later.")
            on_wait(f"Waiting for another indexer ({holder}) to finish…")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
