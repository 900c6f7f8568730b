"""Writing the store: every statement the update runs, inside the caller's transaction (except
stage_vectors, which commits each batch of new vectors on its own, as a checkpoint)."""

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from index.store import codec, folders
from index.store.database import transaction
from index.store.state import _batches, _marks

if TYPE_CHECKING:
    import numpy as np

# The recent rows of either table past which they are folded (fold_recent). At 1,007,111
# passages a search of 50,000 recent rows took 2.5 ms; folding 50,000 of each into the trees
# rewrote most of their pages, 2.4 s and 383 MB at the disk, once per ~1,560 added articles
# (32 copy bands each): 245 KB an article, against the 2.4 MB of tree pages each added article
# wrote into those trees itself (5 MB with the WAL's copy).
RECENT_ROWS = 50_000


def stage_vectors(
    connection: sqlite3.Connection, rows: Sequence[tuple[bytes, "np.ndarray", list[tuple[int, int]], "np.ndarray"]]
) -> dict[bytes, tuple[int, bytes]]:
    """Store (key, passage vector, sentence spans, sentence vectors) rows and commit them."""
    import numpy as np

    packed = [
        (
            key,
            codec.pack_passage(vector),
            np.asarray(spans, dtype=np.int32).tobytes(),
            codec.pack_sentences(np.asarray(sentences)),
        )
        for key, vector, spans, sentences in rows
    ]
    with transaction(connection):
        connection.executemany(
            "INSERT OR IGNORE INTO vectors (key, passage, spans, sentences) VALUES (?, ?, ?, ?)", packed
        )
        found = {}
        for batch in _batches([row[0] for row in packed]):
            for vector_id, key, passage in connection.execute(
                f"SELECT id, key, passage FROM vectors WHERE key IN ({_marks(batch)})", batch
            ):
                found[key] = (vector_id, passage)
    return found


def drop_chunks(connection: sqlite3.Connection, articles: Iterable[int]) -> set[int]:
    """Delete the articles' chunks, leaving tombstones in their segments; returns their vector ids."""
    import numpy as np

    vectors: set[int] = set()
    for batch in _batches(set(articles)):
        marks = _marks(batch)
        vectors.update(r[0] for r in connection.execute(f"SELECT vector FROM chunks WHERE article IN ({marks})", batch))
        connection.execute(
            f"INSERT OR IGNORE INTO tombstones SELECT id, segment FROM chunks WHERE article IN ({marks})", batch
        )
        connection.execute(f"DELETE FROM chunks WHERE article IN ({marks})", batch)
        # by primary key, from the article's own list of its keys: the table has no index by article
        pairs = [
            (key, article)
            for article, blob in connection.execute(f"SELECT id, keys FROM articles WHERE id IN ({marks})", batch)
            for key in np.frombuffer(blob, dtype=np.int64).tolist()
        ]
        connection.executemany("DELETE FROM sentence_keys WHERE key = ? AND article = ?", pairs)
        connection.execute(f"DELETE FROM recent_sentence_keys WHERE article IN ({marks})", batch)
    return vectors


def delete_articles(
    connection: sqlite3.Connection, articles: Iterable[int], bands: Iterable[tuple[int, int, int]]
) -> set[int]:
    """Delete articles, with their (band, hash, article) LSH rows: the caller computes them from
    the stored signatures, as the table has no index by article."""
    ids = set(articles)
    vectors = drop_chunks(connection, ids)
    connection.executemany("DELETE FROM lsh WHERE band = ? AND hash = ? AND article = ?", list(bands))
    for batch in _batches(ids):
        connection.execute(f"DELETE FROM recent_lsh WHERE article IN ({_marks(batch)})", batch)
        connection.execute(f"DELETE FROM articles WHERE id IN ({_marks(batch)})", batch)
    return vectors


def insert_article(connection: sqlite3.Connection, row: dict, keys: Iterable[int] | None, bands: Sequence[int]) -> None:
    """An article row; its sentence keys when it is indexed (not a copy), its MinHash bands."""
    columns = ",".join(row)
    connection.execute(f"INSERT INTO articles ({columns}) VALUES ({_marks(list(row))})", list(row.values()))
    if keys is not None:
        insert_sentence_keys(connection, row["id"], keys)
    connection.executemany("INSERT INTO recent_lsh VALUES (?, ?, ?)", [(b, h, row["id"]) for b, h in enumerate(bands)])


def update_article(connection: sqlite3.Connection, article: int, columns: dict) -> None:
    assignments = ", ".join(f"{name} = ?" for name in columns)
    connection.execute(f"UPDATE articles SET {assignments} WHERE id = ?", [*columns.values(), article])


def insert_sentence_keys(connection: sqlite3.Connection, article: int, keys: Iterable[int]) -> None:
    """Into the recent rows: a key the article already holds is kept once when they are folded."""
    connection.executemany("INSERT INTO recent_sentence_keys VALUES (?, ?)", [(k, article) for k in set(keys)])


def fold_recent(connection: sqlite3.Connection, everything: bool = False) -> None:
    """Move the recent sentence keys and LSH rows into their trees, in key order, once either
    holds more than RECENT_ROWS (or any, for `everything`). Each search of the recent rows reads
    all of them; folding them rewrites most of a tree's pages however few they are, so they wait
    until there are many."""
    most = 0 if everything else RECENT_ROWS
    for recent, tree, columns in (
        ("recent_sentence_keys", "sentence_keys", "key, article"),
        ("recent_lsh", "lsh", "band, hash, article"),
    ):
        held = connection.execute(f"SELECT count(*) FROM (SELECT 1 FROM {recent} LIMIT ?)", [most + 1]).fetchone()[0]
        if held > most:
            connection.execute(f"INSERT OR IGNORE INTO {tree} SELECT {columns} FROM {recent} ORDER BY {columns}")
            connection.execute(f"DELETE FROM {recent}")


def insert_chunks(connection: sqlite3.Connection, rows: Sequence[tuple]) -> None:
    """(id, article, segment, paragraph, start, end, text, vector) rows."""
    packed = [(*row[:6], codec.pack_text(row[6]), row[7]) for row in rows]
    connection.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?)", packed)


def put_files(connection: sqlite3.Connection, rows: Sequence[tuple]) -> None:
    """(path, display, size, mtime_ns, state, reason) rows, replacing what was there."""
    rows = list({row[0]: row for row in rows}.values())
    before = folders.rows(connection, [row[0] for row in rows])
    connection.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)", rows)
    folders.apply(connection, before, [(path, size, mtime, state) for path, _, size, mtime, state, _ in rows])


def delete_files(connection: sqlite3.Connection, paths: Iterable[str]) -> None:
    paths = set(paths)
    before = folders.rows(connection, paths)
    for batch in _batches(paths):
        connection.execute(f"DELETE FROM files WHERE path IN ({_marks(batch)})", batch)
    folders.apply(connection, before, [])


def add_segment(connection: sqlite3.Connection, segment: int, chunks: int, params: dict) -> None:
    connection.execute(
        "INSERT INTO segments VALUES (?, ?, ?, ?)", (segment, chunks, params.get("kind", ""), json.dumps(params))
    )


def retire_segments(
    connection: sqlite3.Connection, segments: Sequence[int], names: Sequence[str], generation: int
) -> None:
    """Forget segments (merged into another); their files go at a later writer's start."""
    for batch in _batches(segments):
        connection.execute(f"DELETE FROM segments WHERE id IN ({_marks(batch)})", batch)
        connection.execute(f"DELETE FROM tombstones WHERE segment IN ({_marks(batch)})", batch)
    connection.executemany("INSERT OR REPLACE INTO retired VALUES (?, ?)", [(n, generation) for n in names])


def forget_vectors(connection: sqlite3.Connection, ids: Iterable[int]) -> None:
    """Delete vector rows no chunk refers to any more (of those given)."""
    for batch in _batches(set(ids)):
        connection.execute(
            f"DELETE FROM vectors WHERE id IN ({_marks(batch)}) AND NOT EXISTS "
            "(SELECT 1 FROM chunks WHERE chunks.vector = vectors.id)",
            batch,
        )


def sweep_vectors(connection: sqlite3.Connection) -> None:
    """Delete every vector no chunk refers to: left by a run that was interrupted."""
    connection.execute("DELETE FROM vectors WHERE NOT EXISTS (SELECT 1 FROM chunks WHERE chunks.vector = vectors.id)")
