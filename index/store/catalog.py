"""Reading the store: the rows a search shows, the vectors it re-scores with, what it holds.

Every function takes a connection and returns plain rows; the caller decides the transaction
(a search reads inside one, for a consistent snapshot).
"""

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from index.store import codec

if TYPE_CHECKING:
    import numpy as np

_ARTICLE_COLUMNS = (
    "a.id, a.key, a.file, a.display, a.title, a.published, a.author, a.site, a.url, a.duplicate_of, a.cluster, "
    "a.passages"
)


@dataclass(frozen=True)
class ArticleRow:
    """An article as citations, `bot articles` and `bot show` present it."""

    id: int
    key: str
    file: str
    display: str
    title: str
    published: str | None
    author: str | None
    site: str | None
    url: str | None
    duplicate_of: int | None
    cluster: int
    passages: int


@dataclass(frozen=True)
class ChunkRow:
    """A passage with the article it belongs to."""

    id: int
    article: ArticleRow
    paragraph: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class SegmentRow:
    id: int
    chunks: int
    params: dict


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def chunks(connection: sqlite3.Connection, ids: Sequence[int]) -> dict[int, ChunkRow]:
    """Chunk id -> row, for the ids that still exist."""
    if not ids:
        return {}
    rows = connection.execute(
        f"SELECT c.id, c.paragraph, c.start, c.end, c.text, {_ARTICLE_COLUMNS} "
        f"FROM chunks c JOIN articles a ON a.id = c.article WHERE c.id IN ({_marks(ids)})",
        list(ids),
    )
    return {
        row[0]: ChunkRow(row[0], ArticleRow(*row[5:]), row[1], row[2], row[3], codec.unpack_text(row[4]))
        for row in rows
    }


def sentences(
    connection: sqlite3.Connection, ids: Sequence[int], dim: int
) -> "dict[int, tuple[np.ndarray, np.ndarray]]":
    """Chunk id -> its sentences' (start, end) in the chunk text, and their vectors as stored
    (compare them with codec.sentence_space of a question)."""
    import numpy as np

    if not ids:
        return {}
    rows = connection.execute(
        "SELECT c.id, v.spans, v.sentences FROM chunks c JOIN vectors v ON v.id = c.vector "
        f"WHERE c.id IN ({_marks(ids)})",
        list(ids),
    ).fetchall()
    vectors = codec.stored_sentences([blob for _, _, blob in rows], dim)
    return {
        chunk_id: (np.frombuffer(spans, dtype=np.int32).reshape(-1, 2), chunk_vectors)
        for (chunk_id, spans, _), chunk_vectors in zip(rows, vectors)
    }


def passage_vectors(connection: sqlite3.Connection, ids: Sequence[int], dim: int) -> "dict[int, np.ndarray]":
    """Chunk id -> its canonical vector (store.codec), as float32."""
    if not ids:
        return {}
    rows = connection.execute(
        f"SELECT c.id, v.passage FROM chunks c JOIN vectors v ON v.id = c.vector WHERE c.id IN ({_marks(ids)})",
        list(ids),
    ).fetchall()
    matrix = codec.unpack_passages([blob for _, blob in rows], dim)
    return {chunk_id: matrix[row] for row, (chunk_id, _) in enumerate(rows)}


def segments(connection: sqlite3.Connection) -> list[SegmentRow]:
    return [
        SegmentRow(i, n, json.loads(params))
        for i, n, params in connection.execute("SELECT id, chunks, params FROM segments ORDER BY id")
    ]


def tombstones(connection: sqlite3.Connection) -> "dict[int, np.ndarray]":
    """Segment id -> the chunk ids deleted from it since it was written."""
    import numpy as np

    found: dict[int, list[int]] = {}
    for chunk, segment in connection.execute("SELECT chunk, segment FROM tombstones"):
        found.setdefault(segment, []).append(chunk)
    return {segment: np.asarray(ids, dtype=np.int64) for segment, ids in found.items()}


def articles(connection: sqlite3.Connection, where: str = "", parameters: Sequence[object] = ()) -> list[ArticleRow]:
    """Articles (duplicates included) matching an SQL condition on `a`, newest first."""
    condition = f"WHERE {where}" if where else ""
    rows = connection.execute(
        f"SELECT {_ARTICLE_COLUMNS} FROM articles a {condition} "
        "ORDER BY a.published IS NULL, a.published DESC, a.display",
        list(parameters),
    )
    return [ArticleRow(*row) for row in rows]


def copies(connection: sqlite3.Connection, clusters: Sequence[int]) -> dict[int, list[ArticleRow]]:
    """Cluster -> its articles (near-identical and identical copies), earliest published first."""
    if not clusters:
        return {}
    found: dict[int, list[ArticleRow]] = {}
    for row in articles(connection, f"a.cluster IN ({_marks(clusters)})", list(clusters)):
        found.setdefault(row.cluster, []).append(row)
    for members in found.values():
        members.sort(key=lambda r: (r.published or "~", r.display))
    return found


def article_chunk_ids(connection: sqlite3.Connection, articles: Sequence[int], limit: int) -> list[int]:
    """The first `limit` chunk ids of each article, in reading order."""
    if not articles:
        return []
    taken: dict[int, int] = {}
    ids = []
    for chunk_id, article in connection.execute(
        f"SELECT id, article FROM chunks WHERE article IN ({_marks(articles)}) ORDER BY article, start", list(articles)
    ):
        if taken.get(article, 0) < limit:
            taken[article] = taken.get(article, 0) + 1
            ids.append(chunk_id)
    return ids


def article_chunks(connection: sqlite3.Connection, article: int) -> list[tuple[int, int, str]]:
    """(chunk id, paragraph, text) of an article's passages, in reading order."""
    rows = connection.execute("SELECT id, paragraph, text FROM chunks WHERE article = ? ORDER BY start", (article,))
    return [(chunk_id, paragraph, codec.unpack_text(text)) for chunk_id, paragraph, text in rows]


def dropped(connection: sqlite3.Connection, article: int) -> list[tuple[str, str]]:
    row = connection.execute("SELECT dropped FROM articles WHERE id = ?", (article,)).fetchone()
    return [tuple(pair) for pair in codec.unpack_json(row[0])] if row else []


def article_count(connection: sqlite3.Connection) -> int:
    """Distinct articles (identical copies count once): what a refusal and the chat report."""
    articles_ = connection.execute("SELECT count(*) FROM articles").fetchone()[0]
    return int(articles_) - _copy_count(connection)


def _copy_count(connection: sqlite3.Connection) -> int:
    return int(connection.execute("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL").fetchone()[0])


def counts(connection: sqlite3.Connection) -> dict[str, object]:
    """Totals for `bot status` and the chat banner. One query each, so that each is answered from
    an index (SQLite finds a min or max in an index only when it is the query's one aggregate)."""

    def one(sql: str) -> Any:
        return connection.execute(sql).fetchone()[0]

    files = one("SELECT count(*) FROM files WHERE state = 'indexed'")
    duplicates = _copy_count(connection)
    first = one("SELECT min(published) FROM articles")
    last = one("SELECT max(published) FROM articles")
    chunks_ = one("SELECT count(*) FROM chunks")
    return {
        "files": files,
        "articles": article_count(connection),
        "copies": duplicates,
        "chunks": chunks_,
        "first_published": first,
        "last_published": last,
    }
