"""Writing BM25 segments (scoring.bm25 reads them): one from a batch of new documents, or one
merged from the live documents of others, without holding all their postings at once."""

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from index.scoring.bm25 import Segment

if TYPE_CHECKING:
    import numpy as np

MAX_TF = 255  # one byte a posting; more repeats change a BM25 term score by under 0.1% (saturation)
MERGE_BLOCK = 4_000_000  # postings a merge holds at once


class SegmentWriter:
    """Collects documents (a chunk id and its term counts), then writes one segment.

    Postings are appended to flat typed arrays (9 bytes each), not kept as two small arrays per
    document: a build commits 100,000 passages at once, and every byte per posting counts in
    its peak memory."""

    def __init__(self) -> None:
        from array import array

        self._chunk_ids = array("q")
        self._lengths = array("L")
        self._sizes = array("L")  # postings per document
        self._terms = array("q")
        self._tfs = array("B")

    def add(self, chunk_id: int, counts: Counter[int]) -> None:
        self._chunk_ids.append(chunk_id)
        self._lengths.append(sum(counts.values()))
        self._sizes.append(len(counts))
        self._terms.extend(counts.keys())
        self._tfs.extend(min(tf, MAX_TF) for tf in counts.values())

    def __len__(self) -> int:
        return len(self._chunk_ids)

    def write(self, directory: Path) -> None:
        import numpy as np

        terms = np.asarray(self._terms, dtype=np.int64)
        # a stable sort by term keeps each term's documents in the order they were added
        order = np.argsort(terms, kind="stable")
        docs = np.repeat(np.arange(len(self), dtype=np.int32), np.asarray(self._sizes, dtype=np.int64))[order]
        tfs = np.asarray(self._tfs, dtype=np.uint8)[order]
        terms = terms[order]
        first = np.ones(len(terms), dtype=bool)  # a term's first posting
        first[1:] = terms[1:] != terms[:-1]
        starts = np.flatnonzero(first)
        offsets = np.append(starts, len(terms)).astype(np.int64)
        directory.mkdir(parents=True)
        arrays: dict[str, np.ndarray] = {
            "terms": terms[starts],
            "offsets": offsets,
            "docs": docs,
            "tfs": tfs,
            "lengths": np.asarray(self._lengths, dtype=np.uint32),
            "chunk_ids": np.asarray(self._chunk_ids, dtype=np.int64),
        }
        for name, array in arrays.items():
            np.save(directory / f"{name}.npy", array, allow_pickle=False)


def merge(parts: "Sequence[tuple[Segment, np.ndarray]]", directory: Path) -> "np.ndarray":
    """Write one segment of the live documents of others (a boolean mask per segment), in order;
    returns its chunk ids. The result is what SegmentWriter would write for those documents.

    Postings are sorted by term in every segment, so the merged postings are written a block of
    terms at a time (about MERGE_BLOCK postings), straight into the memory-mapped output: memory
    follows one block, not the 41 million postings of a 871,563-passage index."""
    import numpy as np

    renumbered, base = [], 0
    for _, live in parts:
        renumbered.append(np.where(live, base + np.cumsum(live) - 1, -1).astype(np.int64))
        base += int(live.sum())
    kept = sum(int(_postings_per_document(segment)[live].sum()) for segment, live in parts)
    every = np.unique(np.concatenate([np.asarray(segment.terms) for segment, _ in parts]))
    sizes = np.zeros(len(every), dtype=np.int64)
    for segment, _ in parts:
        sizes[np.searchsorted(every, segment.terms)] += np.diff(np.asarray(segment.offsets))
    cuts = np.searchsorted(np.cumsum(sizes), np.arange(MERGE_BLOCK, int(sizes.sum()), MERGE_BLOCK))
    bounds = [0, *np.unique(cuts + 1).tolist(), len(every)]
    directory.mkdir(parents=True)
    docs = np.lib.format.open_memmap(directory / "docs.npy", mode="w+", dtype=np.int32, shape=(kept,))
    tfs = np.lib.format.open_memmap(directory / "tfs.npy", mode="w+", dtype=np.uint8, shape=(kept,))
    terms, offsets, at = [], [0], 0
    for first, last in zip(bounds, bounds[1:]):
        if first >= last:
            continue
        block = [_block(segment, new, every[first], every[last - 1]) for (segment, _), new in zip(parts, renumbered)]
        term = np.concatenate([b[0] for b in block])
        order = np.argsort(term, kind="stable")  # segment order keeps each term's documents ascending
        term = term[order]
        docs[at : at + len(term)] = np.concatenate([b[1] for b in block])[order]
        tfs[at : at + len(term)] = np.minimum(np.concatenate([b[2] for b in block])[order], MAX_TF)
        unique, counts = np.unique(term, return_counts=True)
        terms.append(unique)
        offsets.extend((at + np.cumsum(counts)).tolist())
        at += len(term)
    docs.flush()
    tfs.flush()
    del docs, tfs
    chunk_ids = np.concatenate([np.asarray(segment.chunk_ids)[live] for segment, live in parts])
    arrays: dict[str, np.ndarray] = {
        "terms": np.concatenate(terms).astype(np.int64) if terms else np.zeros(0, dtype=np.int64),
        "offsets": np.asarray(offsets, dtype=np.int64),
        "lengths": np.concatenate([np.asarray(segment.lengths)[live] for segment, live in parts]).astype(np.uint32),
        "chunk_ids": chunk_ids.astype(np.int64),
    }
    for name, array in arrays.items():
        np.save(directory / f"{name}.npy", array, allow_pickle=False)
    return chunk_ids


def _postings_per_document(segment: Segment) -> "np.ndarray":
    """How many postings each document of a segment has (counted a block at a time: counting
    all at once widens every posting's document number to 8 bytes)."""
    import numpy as np

    counts = np.zeros(len(segment.chunk_ids), dtype=np.int64)
    for begin in range(0, len(segment.docs), MERGE_BLOCK):
        counts += np.bincount(np.asarray(segment.docs[begin : begin + MERGE_BLOCK]), minlength=len(counts))
    return counts


def _block(
    segment: Segment, renumbered: "np.ndarray", first: int, last: int
) -> "tuple[np.ndarray, np.ndarray, np.ndarray]":
    """(term, new document, tf) of a segment's live postings for terms first..last."""
    import numpy as np

    start = int(np.searchsorted(segment.terms, first, side="left"))
    end = int(np.searchsorted(segment.terms, last, side="right"))
    low, high = int(segment.offsets[start]), int(segment.offsets[end])
    term = np.repeat(np.asarray(segment.terms[start:end]), np.diff(np.asarray(segment.offsets[start : end + 1])))
    new = renumbered[np.asarray(segment.docs[low:high])]
    live = new >= 0
    return term[live], new[live].astype(np.int32), np.asarray(segment.tfs[low:high])[live]
