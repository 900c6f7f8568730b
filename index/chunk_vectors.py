"""Vectors for the chunks of a new generation: reused where the same text was embedded before,
else embedded, each passage with its sentences' vectors from the same model pass."""

import hashlib
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from index import catalog
from index.embed import Encoder
from index.sentences import sentences
from index.split import Chunk, embed_spans, embed_text

if TYPE_CHECKING:
    import faiss
    import numpy as np

EMBED_BATCH = 256


class Progress(Protocol):
    """Where the indexer reports embedding progress (the CLI draws a bar)."""

    def start(self, files: int, chunks: int) -> None: ...

    def advance(self, chunks: int) -> None: ...


@dataclass
class ChunkVectors:
    """Row i belongs to the i-th chunk given; `columns` are its catalog columns embed_key,
    sentences and sentence_vectors."""

    vectors: "np.ndarray"
    columns: list[tuple[str, bytes, bytes]]
    embedded: int


def _embed_key(title: str, chunk: Chunk) -> str:
    """Chunks whose encoder input is the same text share vectors."""
    return hashlib.blake2b(embed_text(title, chunk.text).encode(), digest_size=12).hexdigest()


def chunk_vectors(
    chunks: Sequence[tuple[str, Chunk]],
    connection: sqlite3.Connection,
    previous: "faiss.Index",
    encoder: Encoder | None,
    progress: Progress | None,
    files: int,
) -> ChunkVectors:
    """Vectors of (title, chunk) pairs.

    Args:
        connection: the catalog copied from the previous generation, to find reusable vectors.
        previous: the previous generation's FAISS index (or an empty one).
    """
    import numpy as np

    keys = [_embed_key(title, chunk) for title, chunk in chunks]
    known = _known(connection, keys)
    empty = np.zeros((len(chunks), previous.d), dtype=np.float32)
    out = ChunkVectors(empty, [(key, b"", b"") for key in keys], embedded=0)
    for row, key in enumerate(keys):
        if key in known:
            chunk_id, spans, vectors = known[key]
            out.vectors[row] = previous.reconstruct(chunk_id)
            out.columns[row] = (key, spans, vectors)
    fresh = [row for row, key in enumerate(keys) if key not in known]
    if progress:
        progress.start(files, len(fresh))
    for begin in range(0, len(fresh), EMBED_BATCH):
        assert encoder is not None
        batch = fresh[begin : begin + EMBED_BATCH]
        titled = [(chunks[row][0], chunks[row][1].text) for row in batch]
        spans = [sentences(text) for _, text in titled]
        passage_vectors, sentence_vectors = encoder.embed_passages(
            [embed_text(title, text) for title, text in titled],
            [embed_spans(title, text, found) for (title, text), found in zip(titled, spans)],
        )
        out.vectors[batch] = passage_vectors
        first = 0
        for row, text_spans in zip(batch, spans):
            mine = sentence_vectors[first : first + len(text_spans)]
            out.columns[row] = (keys[row], *catalog.pack_sentences(text_spans, mine))
            first += len(text_spans)
        out.embedded += len(batch)
        if progress:
            progress.advance(len(batch))
    return out


def _known(connection: sqlite3.Connection, keys: list[str]) -> dict[str, tuple[int, bytes, bytes]]:
    known = {}
    for begin in range(0, len(keys), 500):
        part = keys[begin : begin + 500]
        marks = ",".join("?" * len(part))
        query = "SELECT embed_key, id, sentences, sentence_vectors FROM chunks WHERE embed_key IN "
        for key, *row in connection.execute(f"{query}({marks})", part):
            known[key] = tuple(row)
    return known
