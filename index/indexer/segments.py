"""Writing search segments, and merging them when there are too many or too many dead chunks.

An update writes one small segment for the chunks it adds (the delta), so its cost follows the
change. Segments merge by size tiers, as in Lucene: when there are more than MAX_SEGMENTS, the
smaller ones merge into one; only when they together outgrow BASE_SHARE of the largest does the
largest join them (rewriting everything, which then happens once per 25% growth of the index).
A segment whose dead share passes DEAD_SHARE is rewritten without its dead chunks, and one of a
kind its size no longer gets (a flat one written under an older, higher FLAT_LIMIT) is rewritten
as the kind it should be.
"""

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from index.ann import segment as dense
from index.ann.segment import DenseSegment
from index.scoring import bm25_writing
from index.scoring.bm25 import Bm25, Segment
from index.scoring.bm25_writing import SegmentWriter
from index.store import catalog, codec
from index.store.database import Meta, read_meta, transaction
from index.store.durable import fsync_dir, fsync_tree
from index.store.layout import SEGMENTS

if TYPE_CHECKING:
    import numpy as np

MAX_SEGMENTS = 8
BASE_SHARE = 0.25
DEAD_SHARE = 0.3
READ_BATCH = 30_000  # ids in one SQL IN (...): under SQLite's 32,766 variables of most builds


def dense_name(segment: int) -> str:
    return f"dense-{segment:06d}.faiss"


def bm25_name(segment: int) -> str:
    return f"bm25-{segment:06d}"


def write(
    store_dir: Path, segment: int, ids: "np.ndarray", vectors: list[bytes], dim: int, terms: SegmentWriter
) -> dict:
    """Both files of a segment, durable before any transaction refers to them; returns its params.

    Args:
        vectors: each chunk's canonical vector as the store packs it (store.codec), unpacked a
            chunk of them at a time as the dense segment takes them: a build's batch of 100,000
            passages held 150 MB more as float32 all at once.
    """
    folder = store_dir / SEGMENTS
    folder.mkdir(exist_ok=True)
    params = dense.build(PackedVectors(vectors, ids, dim), folder / dense_name(segment))
    terms.write(folder / bm25_name(segment))
    _make_durable(folder, segment)
    return params


def _make_durable(folder: Path, segment: int) -> None:
    fsync_tree(folder / bm25_name(segment))
    with open(folder / dense_name(segment), "rb") as handle:
        os.fsync(handle.fileno())
    fsync_dir(folder)


def to_merge(segments: list[catalog.SegmentRow], dead: dict[int, int]) -> list[catalog.SegmentRow]:
    """The segments the merge policy would merge now (empty: nothing to do)."""
    if not segments:
        return []
    ordered = sorted(segments, key=lambda s: s.chunks)
    # to rewrite whatever the tiers say: too many dead chunks, or of a kind its size no longer gets
    rewrite = [
        s
        for s in segments
        if (s.chunks and dead.get(s.id, 0) / s.chunks > DEAD_SHARE) or s.params.get("kind") != dense.kind_for(s.chunks)
    ]
    if len(segments) <= MAX_SEGMENTS and not rewrite:
        return []
    largest = ordered[-1]
    small = ordered[:-1]
    if sum(s.chunks for s in small) > BASE_SHARE * largest.chunks or largest in rewrite:
        return ordered
    picked = {s.id: s for s in small if len(segments) > MAX_SEGMENTS}
    picked |= {s.id: s for s in rewrite}
    return list(picked.values()) if len(picked) > 1 or rewrite else []


def merge(
    connection: sqlite3.Connection, store_dir: Path, merging: list[catalog.SegmentRow], segment: int, dim: int
) -> tuple[int, dict]:
    """Write one segment holding the live chunks of `merging`; returns (chunks, params). The
    caller commits the swap (writer.retire_segments + a chunks.segment update).

    Both halves stream: BM25 postings a block of terms at a time, vectors a chunk at a time from
    the store, so a merge of a million passages holds neither all postings nor all vectors."""
    import numpy as np

    folder = store_dir / SEGMENTS
    parts = []
    for old in merging:
        lexical = Segment.open(folder / bm25_name(old.id))
        live = np.fromiter(
            (row[0] for row in connection.execute("SELECT id FROM chunks WHERE segment = ?", (old.id,))), dtype=np.int64
        )
        parts.append((lexical, np.isin(np.asarray(lexical.chunk_ids), live)))
    ids = bm25_writing.merge(parts, folder / bm25_name(segment))
    params = dense.build(StoredVectors(connection, ids, dim), folder / dense_name(segment))
    _make_durable(folder, segment)
    return len(ids), params


@dataclass(frozen=True)
class PackedVectors:
    """A new segment's vectors, packed as the store keeps them, unpacked as they are read."""

    packed: list[bytes]
    ids: "np.ndarray"
    dim: int

    def read(self, positions: "np.ndarray") -> "np.ndarray":
        return codec.unpack_passages([self.packed[p] for p in positions.tolist()], self.dim)


@dataclass(frozen=True)
class StoredVectors:
    """A merged segment's vectors, read from the store's canonical ones as they are needed."""

    connection: sqlite3.Connection
    ids: "np.ndarray"
    dim: int

    def read(self, positions: "np.ndarray") -> "np.ndarray":
        import numpy as np

        wanted = self.ids[positions].tolist()
        vectors = np.zeros((len(wanted), self.dim), dtype=np.float32)
        for begin in range(0, len(wanted), READ_BATCH):
            part = wanted[begin : begin + READ_BATCH]
            found = catalog.passage_vectors(self.connection, part, self.dim)
            vectors[begin : begin + len(part)] = [found[i] for i in part]
        return vectors


def files_of(segment: int) -> list[str]:
    return [dense_name(segment), bm25_name(segment)]


def remove_files(store_dir: Path, names: list[str]) -> None:
    for name in names:
        path = store_dir / SEGMENTS / name
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


@dataclass
class Loaded:
    """A store's metadata and all its segments, opened (memory-mapped) from one snapshot."""

    meta: Meta
    dense: list[DenseSegment]
    bm25: Bm25


def load(store_dir: Path, connection: sqlite3.Connection) -> Loaded:
    """Open every segment the store lists; OSError or ValueError when one is missing or damaged."""
    import numpy as np

    with transaction(connection, write=False):
        meta = read_meta(connection)
        rows = catalog.segments(connection)
        dead = catalog.tombstones(connection)
        for table in ("articles", "chunks", "vectors", "files"):  # there, and readable (not a count: 0.8 s at 1M)
            connection.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
    folder = store_dir / SEGMENTS
    dense_segments, lexical, masks = [], [], []
    for row in rows:
        dense_segments.append(
            DenseSegment.open(folder / dense_name(row.id), row.params, meta.encoder_dim, dead.get(row.id))
        )
        segment = Segment.open(folder / bm25_name(row.id))
        if len(segment.chunk_ids) != row.chunks or dense_segments[-1].size != row.chunks:
            raise ValueError(
                f"segment {row.id} holds {dense_segments[-1].size} vectors and {len(segment.chunk_ids)} "
                f"BM25 documents, the store says {row.chunks}"
            )
        lexical.append(segment)
        masks.append(np.flatnonzero(np.isin(segment.chunk_ids, dead[row.id])) if row.id in dead else None)
    return Loaded(meta, dense_segments, Bm25(lexical, masks))
