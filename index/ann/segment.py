"""A dense segment: exact below FLAT_LIMIT vectors, IVF-PQ above, chosen when it is written.

FLAT_LIMIT comes from scripts/scale.py: exact search costs about 0.09 ms per thousand vectors
here, so up to 50,000 vectors a flat segment answers in under 5 ms and needs no tuning; above
that IVF-PQ keeps a query at a few milliseconds however large the segment grows. (With 200,000,
a 1M-passage index built from scratch was left with flat segments of 182,830 and 43,722 vectors
beside its IVF one, the tiers below the largest: dense search p50 58 ms over 175 BBC questions,
8.6 ms once the flat one was rewritten, which made it one IVF segment.)
"""

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.ann import flat, ivf
from index.ann.source import VectorSource

if TYPE_CHECKING:
    import faiss
    import numpy as np

FLAT_LIMIT = 50_000
KINDS: dict[str, Any] = {"flat": flat, "ivfpq": ivf}


def build(source: VectorSource, path: Path) -> dict:
    """Write a segment of the source's vectors; returns its params."""
    return KINDS[kind_for(len(source.ids))].build(source, path)


def kind_for(vectors: int) -> str:
    """The kind a segment of this many vectors is written as."""
    return "flat" if vectors < FLAT_LIMIT else "ivfpq"


@dataclass
class DenseSegment:
    index: "faiss.Index"
    params: dict
    # IDSelectorNot does not own the selector it negates: both are kept here, alive.
    _selectors: "tuple[faiss.IDSelector, faiss.IDSelector] | None" = None

    @classmethod
    def open(cls, path: Path, params: dict, dim: int, dead: "np.ndarray | None" = None) -> "DenseSegment":
        """Raises ValueError for a file that is not the segment its params describe."""
        kind = KINDS.get(params.get("kind", ""))
        if kind is None:
            raise ValueError(f"unknown dense segment kind {params.get('kind')!r}")
        try:
            index = kind.open_index(path, params)
        except RuntimeError as error:
            raise ValueError(str(error).splitlines()[0][:80]) from None
        if index.d != dim:
            raise ValueError(f"{path.name} holds {index.d}-dim vectors, the index {dim}")
        if (params["kind"] == "flat" or "refine" in params) and not hasattr(index, "id_map"):
            raise ValueError(f"{path.name} has no id map")
        selectors = None
        if dead is not None and len(dead):
            import faiss

            batch = faiss.IDSelectorBatch(dead)
            selectors = (batch, faiss.IDSelectorNot(batch))
        return cls(index, params, selectors)

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    def search(self, query: "np.ndarray", k: int, allowed: "np.ndarray | None" = None) -> list[tuple[int, float]]:
        """(chunk id, score) of about the k nearest live vectors, among `allowed` chunk ids when
        given (approximate for IVF-PQ: the caller re-scores with the canonical vectors)."""
        import faiss

        if self.size == 0:
            return []
        k = min(k if self.params["kind"] == "flat" else max(k, ivf.hits(self.params)), self.size)
        selector = self._selectors[1] if self._selectors else None
        if allowed is not None:  # deleted chunks are never allowed: the whitelist covers both
            only = faiss.IDSelectorBatch(allowed)
            selector = only
        kind = KINDS[self.params["kind"]]
        scores, ids = kind.search(self.index, self.params, query.reshape(1, -1), k, selector)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
