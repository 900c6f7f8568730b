"""What `bot status` shows: where the index is, what it holds, and what changed on disk since."""

import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from index.errors import IndexCorrupt, PathNotFound
from index.ingest.discover import discover
from index.store import catalog, layout, state
from index.store.database import Meta, open_database, read_meta, transaction


@dataclass
class Status:
    index_dir: str
    documents: int
    files: int
    chunks: int
    model: str
    dimensions: int
    size_bytes: int
    updated: float
    roots: list[str]
    first_published: str | None = None
    last_published: str | None = None
    changed: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def age_seconds(self) -> float:
        return time.time() - self.updated

    @property
    def stale(self) -> bool:
        return bool(self.changed or self.new or self.missing)


def status(index_dir: Path, connection: sqlite3.Connection | None = None) -> Status:
    """Compare the stored files with the disk (stat only, no reading).

    Args:
        connection: an open connection to the current store (the chat's), else one is opened.
    """
    store_dir = layout.current(index_dir)
    own = connection is None
    connection = connection or open_database(store_dir)
    try:
        with transaction(connection, write=False):
            meta = read_meta(connection)
            totals = catalog.counts(connection)
            files = state.files(connection)
            shown = state.displays(connection)
    except sqlite3.DatabaseError as error:
        raise IndexCorrupt(f"{layout.DATABASE}: {error}") from None
    finally:
        if own:
            connection.close()
    changed, missing, new = changes(meta, files, shown)
    size = sum(f.stat().st_size for f in store_dir.rglob("*") if f.is_file())
    return Status(
        index_dir=str(index_dir),
        documents=int(totals["articles"]),  # type: ignore[call-overload]
        files=int(totals["files"]),  # type: ignore[call-overload]
        chunks=int(totals["chunks"]),  # type: ignore[call-overload]
        model=meta.model_path or meta.encoder_name,
        dimensions=meta.encoder_dim,
        size_bytes=size,
        updated=meta.updated,
        roots=meta.roots,
        first_published=totals["first_published"],  # type: ignore[arg-type]
        last_published=totals["last_published"],  # type: ignore[arg-type]
        changed=changed,
        new=new,
        missing=missing,
    )


def changes(
    meta: Meta, files: dict[str, state.FileState], shown: dict[str, str]
) -> tuple[list[str], list[str], list[str]]:
    """(changed, missing, new) display paths (`shown`: each stored file's): what `bot index`
    would read or drop now."""
    changed, missing = [], []
    for path, known in files.items():
        try:
            info = os.stat(path) if known.state != "skipped" else os.lstat(path)
        except OSError:
            if known.state == "indexed":
                missing.append(shown[path])
            continue
        if (info.st_size, info.st_mtime_ns) != (known.size, known.mtime_ns):
            changed.append(shown[path])
    new = []
    for root in meta.roots:
        try:
            found = discover([Path(root)], meta.excludes)
        except PathNotFound:
            continue
        new += [f.display for f in found.files if f.name not in files]
    return sorted(changed), sorted(missing), sorted(new)
