"""Chunk and article metadata in SQLite: queries fetch only the rows they show."""

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

FILE_NAME = "catalog.sqlite"
SCHEMA = """
CREATE TABLE documents (
    path TEXT PRIMARY KEY, display TEXT NOT NULL, title TEXT NOT NULL,
    title_hint TEXT, text TEXT NOT NULL, keys BLOB NOT NULL
);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY, path TEXT NOT NULL, paragraph INTEGER NOT NULL,
    start INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL, embed_key TEXT NOT NULL,
    sentences BLOB NOT NULL, sentence_vectors BLOB NOT NULL, terms TEXT NOT NULL
);
CREATE INDEX chunks_by_path ON chunks(path);
CREATE INDEX chunks_by_key ON chunks(embed_key);
"""


@dataclass(frozen=True)
class ChunkRow:
    """A chunk with its article's metadata, as shown in answers."""

    id: int
    path: str
    display: str
    title: str
    paragraph: int
    start: int
    end: int
    text: str


def create(directory: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(directory / FILE_NAME)
    connection.executescript(SCHEMA)
    return connection


def open_for_update(directory: Path) -> sqlite3.Connection:
    return sqlite3.connect(directory / FILE_NAME)


def open_read_only(directory: Path) -> sqlite3.Connection:
    """Generations never change once written, so SQLite may skip all locking."""
    uri = f"file:{(directory / FILE_NAME).as_posix()}?mode=ro&immutable=1"
    return sqlite3.connect(uri, uri=True, check_same_thread=False)


def chunks(connection: sqlite3.Connection, ids: Sequence[int]) -> dict[int, ChunkRow]:
    marks = ",".join("?" * len(ids))
    rows = connection.execute(
        "SELECT c.id, c.path, d.display, d.title, c.paragraph, c.start, c.end, c.text "
        f"FROM chunks c JOIN documents d USING (path) WHERE c.id IN ({marks})",
        list(ids),
    )
    return {row[0]: ChunkRow(*row) for row in rows}


def sentences(
    connection: sqlite3.Connection, ids: Sequence[int], dim: int
) -> dict[int, tuple["np.ndarray", "np.ndarray"]]:
    """Per chunk, its sentences' (start, end) in the chunk text and their vectors, as stored by
    pack_sentences: answers pick sentences without running the model on them."""
    import numpy as np

    marks = ",".join("?" * len(ids))
    rows = connection.execute(
        f"SELECT id, sentences, sentence_vectors FROM chunks WHERE id IN ({marks})", list(ids)
    )
    return {
        chunk_id: (
            np.frombuffer(spans, dtype=np.int32).reshape(-1, 2),
            np.frombuffer(vectors, dtype=np.float16).reshape(-1, dim).astype(np.float32),
        )
        for chunk_id, spans, vectors in rows
    }


def pack_sentences(spans: Sequence[tuple[int, int]], vectors: "np.ndarray") -> tuple[bytes, bytes]:
    """Column values for a chunk's sentences; float16 halves the size, moving cosines < 1e-4."""
    import numpy as np

    packed_spans = np.asarray(spans, dtype=np.int32).tobytes()
    return packed_spans, np.asarray(vectors, dtype=np.float16).tobytes()


def all_chunk_terms(connection: sqlite3.Connection) -> Iterable[tuple[int, str]]:
    """(id, BM25 terms) of every chunk, by id."""
    return connection.execute("SELECT id, terms FROM chunks ORDER BY id")


def document_text(connection: sqlite3.Connection, path: str) -> tuple[str, str] | None:
    """(title, normalised text) of an indexed article."""
    row = connection.execute("SELECT title, text FROM documents WHERE path = ?", (path,)).fetchone()
    return (row[0], row[1]) if row else None
