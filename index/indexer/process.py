"""Articles -> passages -> vectors: cleaning and splitting, then embedding only what is new.

Vectors are keyed by a hash of the encoder input (headline + passage), so an unchanged passage
keeps its vector whatever else changed. New vectors are committed to the store batch by batch as
they are embedded: a run interrupted at any point loses at most one batch of work, and the next
run finds the rest by key. The index itself does not change until the final commit.
"""

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from index.embed.encoder import Encoder, Spans
from index.store import state, writer
from index.text.furniture import Cleaned, clean
from index.text.repeats import sentence_keys
from index.text.sentences import sentences
from index.text.split import Chunk, embed_spans, embed_text, split

if TYPE_CHECKING:
    import sqlite3

    import numpy as np

EMBED_BATCH = 256


class Progress(Protocol):
    """Where the indexer reports what it is doing (the CLI draws a bar)."""

    def reading(self, files: int) -> None: ...

    def read(self, files: int) -> None: ...

    def start(self, files: int, chunks: int) -> None: ...

    def advance(self, chunks: int) -> None: ...


class Tokens(Protocol):
    """What splitting needs of the model: its tokenizer's count and its input limit."""

    @property
    def max_tokens(self) -> int: ...

    def count_tokens(self, text: str) -> int: ...


@dataclass
class Chunked:
    """An article's passages as they will be indexed."""

    title: str
    chunks: list[Chunk]
    cleaned: Cleaned


@dataclass(frozen=True)
class ToChunk:
    """An article's text and all its cleaning needs of the rest of the index: how many stories
    share each of its own sentences, so it can be chunked anywhere (a Ray worker) alike."""

    text: str
    title: str | None
    fallback_title: str
    counts: dict[int, int]

    @classmethod
    def of(
        cls, text: str, title: str | None, fallback_title: str, counts: dict[int, int], keys: set[int] | None = None
    ) -> "ToChunk":
        """keys: the text's sentence keys, where already known."""
        mine = {key: counts[key] for key in (sentence_keys(text) if keys is None else keys) if key in counts}
        return cls(text, title, fallback_title, mine)


def chunk_article(tokens: Tokens, job: ToChunk) -> Chunked:
    cleaned = clean(job.text, job.title, job.counts)
    if not cleaned.title:
        cleaned.title = job.fallback_title
    return Chunked(cleaned.title, split(cleaned, tokens.count_tokens, tokens.max_tokens), cleaned)


def embed_key(title: str, chunk: Chunk) -> bytes:
    """Chunks whose encoder input is the same text share a vector."""
    return hashlib.blake2b(embed_text(title, chunk.text).encode(), digest_size=12).digest()


@dataclass
class Vectors:
    """Per embed key: the vector row's id and its packed passage vector (store.codec)."""

    known: dict[bytes, tuple[int, bytes]]
    embedded: int


def vectors_for(
    connection: "sqlite3.Connection",
    items: Sequence[tuple[str, Chunk]],
    encoder: Encoder,
    progress: Progress | None,
    files: int,
    before_batch: Callable[[int], None] = lambda count: None,
) -> Vectors:
    """Vectors for (title, chunk) pairs: stored ones by key, the rest embedded and committed.

    Args:
        before_batch: told how many passages were embedded and committed so far, before each batch.
    """
    keys = [embed_key(title, chunk) for title, chunk in items]
    known = state.known_vectors(connection, list(dict.fromkeys(keys)))
    fresh: dict[bytes, tuple[str, Chunk]] = {}
    for key, item in zip(keys, items):
        if key not in known:
            fresh.setdefault(key, item)
    if progress:
        progress.start(files, len(fresh))
    pending = list(fresh.items())
    batches = [pending[begin : begin + EMBED_BATCH] for begin in range(0, len(pending), EMBED_BATCH)]
    inputs = []
    for batch in batches:
        titled = [(title, chunk.text) for _, (title, chunk) in batch]
        spans = [sentences(text) for _, text in titled]
        inputs.append((titled, spans))
    encoded = iter(
        embed_batches(
            encoder,
            (
                (
                    [embed_text(title, text) for title, text in titled],
                    [embed_spans(title, text, found) for (title, text), found in zip(titled, spans)],
                )
                for titled, spans in inputs
            ),
        )
    )
    done = 0
    for batch, (_, spans) in zip(batches, inputs):
        before_batch(done)
        passage_vectors, sentence_vectors = next(encoded)
        rows = []
        first = 0
        for (key, _), vector, text_spans in zip(batch, passage_vectors, spans):
            mine = sentence_vectors[first : first + len(text_spans)]
            first += len(text_spans)
            rows.append((key, vector, text_spans, mine))
        known |= writer.stage_vectors(connection, rows)
        done += len(batch)
        if progress:
            progress.advance(len(batch))
    return Vectors(known, len(fresh))


def embed_batches(
    encoder: Encoder, batches: Iterable[tuple[list[str], list[Spans]]]
) -> Iterator["tuple[np.ndarray, np.ndarray]"]:
    """Each batch's (passage, sentence) vectors in order: an encoder that spreads batches over
    a cluster (embed.cluster) streams them, any other embeds one batch at a time."""
    streaming = getattr(encoder, "embed_batches", None)
    if streaming is not None:
        yield from streaming(batches)
        return
    for texts, spans in batches:
        yield encoder.embed_passages(texts, spans)


def as_float32(blobs: Sequence[bytes], dim: int) -> "np.ndarray":
    from index.store.codec import unpack_passages

    return unpack_passages(list(blobs), dim)
