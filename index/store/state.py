"""What the writer reads of the store to plan an update: files, articles, shared sentences, copies.

Everything is fetched for the articles an update touches, never for the whole index, so adding
one article to a million passages reads a few rows.
"""

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

BATCH = 500


class FileState(NamedTuple):
    """A file's recorded stat and state (a tuple: a no-op update of 182,000 files makes one of
    each, and a frozen dataclass took five times as long)."""

    size: int
    mtime_ns: int
    state: str  # 'indexed', 'unreadable' or 'skipped'


@dataclass
class StoredArticle:
    """An article row as the planner needs it."""

    id: int
    key: str
    file: str
    display: str
    sha256: str
    title: str
    published: str | None
    author: str | None
    site: str | None
    url: str | None
    duplicate_of: int | None
    story: int
    cluster: int
    signature: str
    keys_blob: bytes
    minhash_blob: bytes  # uint16 hashes: index.indexer.neardup.Fingerprint with `shingles`
    shingles: int

    @property
    def keys(self) -> tuple[int, ...]:
        """Its sentence keys, distinct (a tuple: a plan may hold those of 180,000 articles, and a
        set of 20 keys takes 2,264 bytes against the tuple's 200)."""
        import numpy as np

        return tuple(np.frombuffer(self.keys_blob, dtype=np.int64).tolist())


_COLUMNS = (
    "id, key, file, display, sha256, title, published, author, site, url, duplicate_of, story, cluster, signature, "
    "keys, minhash, shingles"
)


def _batches(values: Iterable, size: int = BATCH) -> Iterable[list]:
    batch: list = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def files(connection: sqlite3.Connection) -> dict[str, FileState]:
    """Every file's row, in one go, for a watcher's update, a resumed build and `bot status` (a
    walk loads only its changed folders': store.folders). Only what a comparison with the disk
    needs: at 182,000 files the display paths and reasons doubled the time."""
    return {
        path: FileState(size, mtime, state)
        for path, size, mtime, state in connection.execute("SELECT path, size, mtime_ns, state FROM files")
    }


def displays(connection: sqlite3.Connection) -> dict[str, str]:
    """Every file's path as shown to the user, for what `bot status` lists."""
    return dict(connection.execute("SELECT path, display FROM files").fetchall())


def articles_where(connection: sqlite3.Connection, column: str, values: Iterable[object]) -> list[StoredArticle]:
    """Articles whose `column` (file, sha256, id, story or cluster) is one of the values."""
    assert column in {"file", "sha256", "id", "story", "cluster"}
    found: dict[int, StoredArticle] = {}
    for batch in _batches(set(values)):
        for row in connection.execute(f"SELECT {_COLUMNS} FROM articles WHERE {column} IN ({_marks(batch)})", batch):
            found[row[0]] = StoredArticle(*row)
    return list(found.values())


def key_holders(connection: sqlite3.Connection, keys: Iterable[int]) -> Iterator[tuple[int, int]]:
    """(sentence key, article) for the keys: which indexed stories contain each sentence."""
    for batch in _batches(set(keys)):
        marks = _marks(batch)
        yield from connection.execute(
            f"SELECT key, article FROM sentence_keys WHERE key IN ({marks}) "
            f"UNION SELECT key, article FROM recent_sentence_keys WHERE key IN ({marks})",
            batch + batch,
        )


def common_keys(connection: sqlite3.Connection, keys: Iterable[int], most: int) -> dict[int, int]:
    """Sentence key -> how many articles hold it, for the keys held by more than `most`: site
    furniture, which never links stories, so their holders need not be loaded."""
    common: dict[int, int] = {}
    for batch in _batches(set(keys)):
        marks = _marks(batch)
        query = (
            f"SELECT key, count(*) FROM (SELECT key, article FROM sentence_keys WHERE key IN ({marks}) "
            f"UNION SELECT key, article FROM recent_sentence_keys WHERE key IN ({marks})) "
            "GROUP BY key HAVING count(*) > ?"
        )
        common.update(connection.execute(query, [*batch, *batch, most]).fetchall())
    return common


def band_holders(connection: sqlite3.Connection, bands: Iterable[tuple[int, int]]) -> set[int]:
    """Articles sharing any (band, hash) with a signature: candidates for being its copy."""
    found: set[int] = set()
    for batch in _batches(list(bands)):
        condition = " OR ".join("(band = ? AND hash = ?)" for _ in batch)
        flat = [value for pair in batch for value in pair]
        found.update(row[0] for row in connection.execute(f"SELECT article FROM lsh WHERE {condition}", flat))
        # the recent rows have no index: one pass asks each row's hash of a set, then its band
        wanted = set(map(tuple, batch))
        recent = connection.execute(
            f"SELECT band, hash, article FROM recent_lsh WHERE hash IN ({_marks(batch)})", [h for _, h in batch]
        )
        found.update(article for band, hash_, article in recent if (band, hash_) in wanted)
    return found


def next_article_id(connection: sqlite3.Connection) -> int:
    return int(connection.execute("SELECT coalesce(max(id), 0) + 1 FROM articles").fetchone()[0])


def known_vectors(connection: sqlite3.Connection, keys: Sequence[bytes]) -> dict[bytes, tuple[int, bytes]]:
    """Embed key -> (vector id, packed passage vector) for the keys already embedded."""
    found: dict[bytes, tuple[int, bytes]] = {}
    for batch in _batches(keys):
        for vector_id, key, passage in connection.execute(
            f"SELECT id, key, passage FROM vectors WHERE key IN ({_marks(batch)})", batch
        ):
            found[key] = (vector_id, passage)
    return found
