"""BM25 over immutable segments, scored with statistics summed over all of them.

A segment is a folder of .npy arrays, memory-mapped: postings (term hash, document, term
frequency) sorted by term, each document's length, and its chunk id. A query adds up the
collection statistics (documents, total length, each term's document frequency) over every
segment, so a small segment written for one new article scores exactly as if the whole index
were one segment, as Lucene does with its per-index statistics. Chunks deleted since their
segment was written (tombstones) still count in the statistics until a merge drops them, as in
Lucene, but never score.

Written by hand because no library does this: bm25s stores eager scores computed with its
index's own idf, so a delta segment's scores would not compare with the base's, and SQLite FTS5
scores every matching row of a common term (scripts/store_designs.py measures both). Segments
are written and merged by scoring.bm25_writing.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

K1, B = 1.2, 0.75  # Lucene's defaults
ARRAYS = ("terms", "offsets", "docs", "tfs", "lengths", "chunk_ids")
FLOOR_POSTINGS = 2_000  # the rarest terms' postings at least, whose documents set the floor


@dataclass
class Segment:
    """One segment's arrays, memory-mapped."""

    terms: "np.ndarray"
    offsets: "np.ndarray"
    docs: "np.ndarray"
    tfs: "np.ndarray"
    lengths: "np.ndarray"
    chunk_ids: "np.ndarray"

    @classmethod
    def open(cls, directory: Path) -> "Segment":
        """Raises ValueError (or OSError) for arrays that are missing, mistyped or disagree."""
        import numpy as np

        arrays = {n: np.load(directory / f"{n}.npy", mmap_mode="r", allow_pickle=False) for n in ARRAYS}
        segment = cls(**arrays)
        kinds = {"terms": "i", "offsets": "i", "docs": "i", "tfs": "u", "lengths": "u", "chunk_ids": "i"}
        consistent = (
            all(arrays[n].ndim == 1 and arrays[n].dtype.kind == kind for n, kind in kinds.items())
            and len(segment.offsets) == len(segment.terms) + 1
            and int(segment.offsets[0]) == 0
            and int(segment.offsets[-1]) == len(segment.docs) == len(segment.tfs)
            and len(segment.lengths) == len(segment.chunk_ids)
        )
        if not consistent:
            raise ValueError(f"BM25 segment {directory.name}: arrays disagree")
        return segment

    def _range(self, term: int) -> tuple[int, int]:
        """Where the term's postings lie (an empty range when it is not in the segment)."""
        import numpy as np

        at = int(np.searchsorted(self.terms, term))
        if at >= len(self.terms) or int(self.terms[at]) != term:
            return 0, 0
        return int(self.offsets[at]), int(self.offsets[at + 1])

    def frequency(self, term: int) -> int:
        start, end = self._range(term)
        return max(0, end - start)

    def postings(self, term: int) -> "tuple[np.ndarray, np.ndarray]":
        """(documents, term frequencies) holding the term (empty when it is not in the segment)."""
        start, end = self._range(term)
        if not 0 <= start <= end <= len(self.docs):
            raise ValueError("BM25 postings out of range")
        docs = self.docs[start:end]
        if len(docs) and not (int(docs[0]) >= 0 and int(docs.max()) < len(self.chunk_ids)):
            raise ValueError("BM25 postings out of range")
        return docs, self.tfs[start:end]


class Bm25:
    """BM25 over a set of segments, skipping the dead (tombstoned) chunks of each."""

    def __init__(self, segments: Sequence[Segment], dead: Sequence["np.ndarray | None"]) -> None:
        self.segments = list(segments)
        self.dead = list(dead)
        self.documents = sum(len(s.chunk_ids) for s in self.segments)
        total = sum(int(s.lengths.sum()) for s in self.segments)
        self.average_length = total / self.documents if self.documents else 1.0
        self._norms: dict[int, np.ndarray] = {}

    def _norm(self, position: int) -> "np.ndarray":
        """K1 · (1 − B + B · length / average length) of each document of a segment: the same
        for every term and every question this object answers, so made once (4 bytes a
        document), not gathered and computed again for each posting of each question."""
        import numpy as np

        if position not in self._norms:
            lengths = np.asarray(self.segments[position].lengths, dtype=np.float32)
            self._norms[position] = K1 * (1 - B + B * lengths / self.average_length)
        return self._norms[position]

    def document_frequency(self, term: int) -> int:
        return sum(s.frequency(term) for s in self.segments)

    def idf(self, term: int) -> float:
        """Lucene's inverse document frequency (an unseen term is the rarest)."""
        found = self.document_frequency(term)
        return math.log(1 + (self.documents - found + 0.5) / (found + 0.5))

    def search(self, terms: Iterable[int], k: int, allowed: "np.ndarray | None" = None) -> list[tuple[int, float]]:
        """(chunk id, score) of the k best live chunks holding any of the terms (and, when given,
        among the `allowed` chunk ids)."""
        import numpy as np

        wanted = sorted(set(terms))
        if not wanted or not self.documents or k <= 0:
            return []
        weights = {term: self.idf(term) for term in wanted}
        best_ids: list[np.ndarray] = []
        best_scores: list[np.ndarray] = []
        for position, (segment, dead) in enumerate(zip(self.segments, self.dead)):
            hit, scores = self._segment_best(segment, self._norm(position), dead, allowed, weights, k)
            best_ids.append(np.asarray(segment.chunk_ids)[hit])
            best_scores.append(scores)
        ids, scores = np.concatenate(best_ids), np.concatenate(best_scores)
        order = np.lexsort((ids, -scores))[:k]
        return [(int(ids[i]), float(scores[i])) for i in order]

    def _segment_best(
        self,
        segment: Segment,
        norms: "np.ndarray",
        dead: "np.ndarray | None",
        allowed: "np.ndarray | None",
        weights: dict[int, float],
        k: int,
    ) -> "tuple[np.ndarray, np.ndarray]":
        """(documents, scores) of a segment's k best live documents, ties to the earlier one.

        Every posting is scored, but the matching documents are not all gathered: the k-th best
        score among the documents holding the rarest terms (a few thousand) is a floor the k
        best must reach, so only the few at or above it are taken from the score array. At
        872,692 passages a reader's question matched 217,000 documents (median), and gathering
        them all took 3.7 ms."""
        import numpy as np

        postings = {term: segment.postings(term) for term in weights}
        order = sorted((t for t in postings if len(postings[t][0])), key=lambda t: (len(postings[t][0]), t))
        if not order:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores = np.zeros(len(segment.chunk_ids), dtype=np.float32)
        for term in order:
            docs, tfs = postings[term]
            tf = tfs.astype(np.float32)
            scores[docs] += weights[term] * tf / (tf + norms[docs])
        rare: list[np.ndarray] = []
        for term in order:
            rare.append(np.asarray(postings[term][0]))
            if sum(map(len, rare)) >= FLOOR_POSTINGS:
                break
        sample = self._live(segment, np.unique(np.concatenate(rare)), dead, allowed)
        if len(sample) >= k:
            floor = np.partition(scores[sample], len(sample) - k)[len(sample) - k]
            hit = np.flatnonzero(scores >= floor)
        else:
            hit = np.flatnonzero(scores)
        hit = self._live(segment, hit, dead, allowed)
        return _best(hit, scores[hit], k)

    @staticmethod
    def _live(
        segment: Segment, documents: "np.ndarray", dead: "np.ndarray | None", allowed: "np.ndarray | None"
    ) -> "np.ndarray":
        import numpy as np

        if dead is not None and len(dead):
            documents = documents[~np.isin(documents, dead)]
        if allowed is not None:
            documents = documents[np.isin(np.asarray(segment.chunk_ids)[documents], allowed)]
        return documents


def _best(documents: "np.ndarray", scores: "np.ndarray", k: int) -> "tuple[np.ndarray, np.ndarray]":
    """The k best-scoring documents, ties to the earlier one."""
    import numpy as np

    if len(documents) > k:
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        keep = np.flatnonzero(scores >= kth)
        documents, scores = documents[keep], scores[keep]
    order = np.lexsort((documents, -scores))[:k]
    return documents[order], scores[order]
