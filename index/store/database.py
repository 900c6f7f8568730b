"""Connections to the store's SQLite database, its metadata row set, and transactions.

WAL mode: one writer at a time (store.lock serialises them), readers on a consistent snapshot
for the length of a transaction, never blocked by the writer and never seeing half a commit.
"""

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from index.errors import IndexCorrupt, OldIndexFormat
from index.store.layout import DATABASE
from index.store.schema import FORMAT_VERSION, SCHEMA, UPGRADES


@dataclass
class Meta:
    """What built the index and what it covers; one row per field in the `meta` table."""

    encoder_name: str
    encoder_dim: int
    fingerprint: str
    model_path: str | None  # None for the bundled model, wherever its package is installed
    format_version: int = FORMAT_VERSION
    roots: list[str] = field(default_factory=list)
    excludes: dict[str, list[str]] = field(default_factory=dict)  # folder -> --exclude patterns
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    generation: int = 0  # bumped by every commit: readers notice a newer index by it
    next_chunk: int = 1
    next_segment: int = 1
    stopwords: list[str] = field(default_factory=list)
    vectors_pending: bool = False  # a run embedded vectors it did not commit: sweep the unused


# A vector row (passage, sentence spans and vectors) is about 1.1 KB. Pages of 4 KB keep at most
# 1,004 bytes of a row in place and spill the rest to an overflow page of its own, mostly empty:
# at 871,563 passages the vectors table took 1.9 KB a row. 8 KB pages keep rows up to 2 KB whole,
# while an update that touches a hundred pages still writes well under a megabyte more.
PAGE_SIZE = 8192
# Readers map the database instead of copying each page they read: a search's 1,000 re-scored
# vectors at 871,563 passages took 6.9 ms read, 3.8 ms mapped. (A writer never shrinks the file,
# so a mapping cannot outlive its pages.) SQLite caps it at its build's limit, usually 2 GB.
READ_MMAP = 1 << 34


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    connection.execute("PRAGMA busy_timeout = 30000")
    return connection


def create(directory: Path, meta: Meta) -> sqlite3.Connection:
    """A new database holding the schema and `meta`."""
    connection = _connect(directory / DATABASE)
    connection.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # before anything is written: fixed from then on
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")
    connection.executescript(SCHEMA)  # a fresh store: if this is interrupted, it is never used
    with transaction(connection):
        write_meta(connection, meta)
    return connection


def open_database(directory: Path, write: bool = False) -> sqlite3.Connection:
    """An existing database; IndexCorrupt if it is not one or not ours."""
    path = directory / DATABASE
    if not path.is_file():
        raise IndexCorrupt(f"{directory.name}/{DATABASE} is missing")
    try:
        connection = _connect(path)
        if write:
            connection.execute("PRAGMA synchronous = FULL")
        else:
            connection.execute(f"PRAGMA mmap_size = {READ_MMAP}")
        connection.execute("SELECT count(*) FROM meta").fetchone()
        if write:
            upgrade(connection)
    except sqlite3.DatabaseError as error:
        raise IndexCorrupt(f"{DATABASE}: {error}") from None
    return connection


def upgrade(connection: sqlite3.Connection) -> None:
    """Bring a store of an older format this bot reads to FORMAT_VERSION, in one transaction."""
    row = connection.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone()
    statements = UPGRADES.get(json.loads(row[0])) if row and row[0].isdigit() else None
    if statements is None:
        return
    with transaction(connection):
        for statement in filter(str.strip, statements.split(";")):
            connection.execute(statement)
        connection.execute("UPDATE meta SET value = ? WHERE key = 'format_version'", [json.dumps(FORMAT_VERSION)])


@contextmanager
def transaction(connection: sqlite3.Connection, write: bool = True) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE (a writer) or BEGIN (a reader's snapshot) … COMMIT, ROLLBACK on error."""
    connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def read_meta(connection: sqlite3.Connection) -> Meta:
    """The metadata; IndexCorrupt when rows are missing or malformed, OldIndexFormat when older
    than any this bot reads or upgrades (schema.UPGRADES)."""
    try:
        raw = {key: json.loads(value) for key, value in connection.execute("SELECT key, value FROM meta")}
    except (sqlite3.DatabaseError, ValueError) as error:
        raise IndexCorrupt(f"{DATABASE} meta: {error.__class__.__name__}") from None
    version = raw.get("format_version")
    if version != FORMAT_VERSION and version not in UPGRADES:
        if isinstance(version, int) and version < FORMAT_VERSION:
            raise OldIndexFormat()
        raise IndexCorrupt(f"format version {version!r}, this bot reads version {FORMAT_VERSION}")
    known = {f.name for f in fields(Meta)}
    try:
        meta = Meta(**{key: value for key, value in raw.items() if key in known})
    except TypeError as error:
        raise IndexCorrupt(f"{DATABASE} meta: {error}") from None
    if not (isinstance(meta.generation, int) and isinstance(meta.encoder_dim, int) and meta.encoder_dim >= 0):
        raise IndexCorrupt(f"{DATABASE} meta: generation and encoder_dim must be integers")
    if not (isinstance(meta.roots, list) and isinstance(meta.excludes, dict)):
        raise IndexCorrupt(f"{DATABASE} meta: roots must be a list and excludes an object")
    return meta


def write_meta(connection: sqlite3.Connection, meta: Meta) -> None:
    """Inside the caller's transaction: every field, as JSON."""
    connection.executemany(
        "INSERT OR REPLACE INTO meta VALUES (?, ?)",
        [(key, json.dumps(value, ensure_ascii=False)) for key, value in asdict(meta).items()],
    )
