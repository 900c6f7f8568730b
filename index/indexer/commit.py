"""The commit: one SQLite transaction that makes an update visible, after the segment it refers
to is on disk. Killed before it, the store is as it was (plus vectors the next run reuses, and
orphan segment files the next writer deletes); after it, the update is whole."""

import sqlite3
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from index.indexer import neardup, segments
from index.indexer.plan import Plan
from index.indexer.process import Chunked
from index.scoring.bm25_writing import SegmentWriter
from index.scoring.tokenise import term_counts
from index.store import codec, state, writer
from index.store.database import Meta, transaction, write_meta
from index.text.split import embed_text

if TYPE_CHECKING:
    pass


@dataclass
class Passages:
    """What processing produced: per article id its passages, and per embed key its vector."""

    chunked: dict[int, Chunked]
    vector_of: dict[bytes, tuple[int, bytes]]
    keys: dict[int, list[bytes]]  # article id -> embed key of each chunk


def commit(
    connection: sqlite3.Connection,
    store_dir: Path,
    meta: Meta,
    plan: Plan,
    passages: Passages,
    files: list[tuple],
    gone_files: set[str],
    sweep: bool,
) -> Meta:
    """Write the new segment, then apply the plan in one transaction; returns the new metadata."""
    import numpy as np

    stopwords = frozenset(meta.stopwords)
    rows, ids, vectors = [], [], []
    terms = SegmentWriter()
    segment = meta.next_segment
    next_chunk = meta.next_chunk
    for article_id, chunked in passages.chunked.items():
        for chunk, key in zip(chunked.chunks, passages.keys[article_id]):
            vector_id, passage = passages.vector_of[key]
            rows.append(
                (next_chunk, article_id, segment, chunk.paragraph, chunk.start, chunk.end, chunk.text, vector_id)
            )
            ids.append(next_chunk)
            vectors.append(passage)
            terms.add(next_chunk, term_counts(embed_text(chunked.title, chunk.text), stopwords))
            next_chunk += 1
    params = None
    if rows:
        params = segments.write(store_dir, segment, np.asarray(ids, dtype=np.int64), vectors, meta.encoder_dim, terms)
    generation = meta.generation + 1
    with transaction(connection):
        leaving = state.articles_where(connection, "id", plan.delete)
        bands = [
            (band, value, a.id)
            for a in leaving
            for band, value in enumerate(neardup.Fingerprint.stored(a.minhash_blob, a.shingles).bands())
        ]
        dropped_vectors = writer.delete_articles(connection, plan.delete, bands)
        dropped_vectors |= writer.drop_chunks(connection, plan.demote | {r.stored.id for r in plan.rechunk})
        for article in plan.incoming:
            processed = passages.chunked.get(article.id)
            row = {
                "id": article.id,
                "key": article.article.key,
                "file": article.file,
                "display": article.article.display,
                "sha256": article.sha256,
                "title": processed.title
                if processed
                else (article.article.metadata.title or _stem(article.article.display)),
                "published": article.article.metadata.published,
                "author": article.article.metadata.author,
                "site": article.article.metadata.site,
                "url": article.article.metadata.url,
                "duplicate_of": article.duplicate_of,
                "story": article.story,
                "cluster": article.cluster,
                "signature": article.signature,
                "keys": np.asarray(sorted(article.keys), dtype=np.int64).tobytes(),
                "minhash": article.fingerprint.hashes.tobytes(),
                "shingles": article.fingerprint.shingles,
                "dropped": _dropped(article.article.dropped, processed),
                "passages": len(processed.chunks) if processed else 0,
            }
            canonical = article.duplicate_of is None
            writer.insert_article(connection, row, article.keys if canonical else None, article.fingerprint.bands())
        for rechunk in plan.rechunk:
            chunked = passages.chunked[rechunk.stored.id]
            columns = {
                "signature": rechunk.signature,
                "passages": len(chunked.chunks),
                "title": chunked.title,
                "dropped": _dropped(rechunk.article.dropped if rechunk.article else [], chunked),
            }
            writer.update_article(connection, rechunk.stored.id, columns)
            writer.insert_sentence_keys(connection, rechunk.stored.id, rechunk.stored.keys)
        for article_id, labelled in plan.labels.items():
            writer.update_article(
                connection, article_id, labelled | ({"passages": 0} if article_id in plan.demote else {})
            )
        writer.insert_chunks(connection, rows)
        writer.put_files(connection, files)
        writer.delete_files(connection, gone_files)
        if params is not None:
            writer.add_segment(connection, segment, len(rows), params)
        writer.forget_vectors(connection, dropped_vectors)
        if sweep:
            writer.sweep_vectors(connection)
        writer.fold_recent(connection)
        updated = replace(
            meta,
            generation=generation,
            next_chunk=next_chunk,
            next_segment=segment + (1 if rows else 0),
            updated=time.time(),
            vectors_pending=False,
        )
        write_meta(connection, updated)
    return updated


def _stem(display: str) -> str:
    return Path(display.split("#")[0]).stem.replace("_", " ")


def _dropped(reader: list, chunked: Chunked | None) -> bytes:
    """What was left out, the reader's (page furniture, front matter) then the cleaner's, as
    store.catalog.dropped reads it."""
    kept = [list(pair) for pair in reader]
    if chunked:
        kept += [[d.text, d.why] for d in chunked.cleaned.dropped]
    return codec.pack_json(kept)
