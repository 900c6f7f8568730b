"""The IVF-PQ segment kind (what segments above FLAT_LIMIT vectors become), on a small scale."""

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from index.ann import ivf, source
from index.ann.segment import FLAT_LIMIT
from index.indexer.segments import to_merge
from index.store.catalog import SegmentRow

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class InMemory:
    """Vectors held in memory, as a segment's source."""

    vectors: "np.ndarray"
    ids: "np.ndarray"

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def read(self, positions: "np.ndarray") -> "np.ndarray":
        return self.vectors[positions]


def _unit_vectors(seed: int) -> "tuple[np.ndarray, np.ndarray]":
    """4,000 random unit vectors of 32 dimensions, and their chunk ids (from 100)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((4000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors, np.arange(100, 4100, dtype=np.int64)


@pytest.mark.parametrize("chunk", [700, source.CHUNK])
def test_an_ivf_segment_finds_each_vector_and_records_its_calibration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Built from vectors read a chunk at a time (as a merge reads the store) or all at once."""
    monkeypatch.setattr(source, "CHUNK", chunk)
    vectors, ids = _unit_vectors(0)
    params = ivf.build(InMemory(vectors, ids), tmp_path / "dense.faiss")
    assert params["kind"] == "ivfpq" and params["lists"] >= 16
    assert params["lists"] // ivf.MIN_PROBE_SHARE <= params["nprobe"] <= params["lists"]
    assert 0.0 < params["probe_recall_at_10"] <= 1.0
    index = ivf.open_index(tmp_path / "dense.faiss", params)
    found = [ivf.search(index, params, vectors[row : row + 1], 10, None)[1][0].tolist() for row in range(20)]
    assert sum(int(ids[row]) in found[row] for row in range(20)) >= 18


def test_the_calibration_stops_where_more_lists_stop_helping() -> None:
    levels = [512, 1024, 2048]
    # the 862,258-passage build: no level reached the goal, the recall was flat
    assert ivf.chosen_level(levels, [0.988, 0.989, 0.989]) == (512, 0.988)
    assert ivf.chosen_level(levels, [0.95, 0.975, 0.989]) == (2048, 0.989)  # still growing
    assert ivf.chosen_level(levels, [0.991, 0.995, 0.996]) == (512, 0.991)  # the goal, first


def test_an_ivf_segment_never_returns_its_dead_chunks(tmp_path: Path) -> None:
    """Fast-scan codes honour the dead-chunk selector, as the flat kind does."""
    from index.ann.segment import DenseSegment

    vectors, ids = _unit_vectors(1)
    params = ivf.build(InMemory(vectors, ids), tmp_path / "dense.faiss")
    dead = ids[:20]
    segment = DenseSegment.open(tmp_path / "dense.faiss", params, 32, dead)
    for row in range(20):
        found = [chunk for chunk, _ in segment.search(vectors[row], 10)]
        assert found and not set(found) & set(dead.tolist())
    alive = DenseSegment.open(tmp_path / "dense.faiss", params, 32)
    assert sum(int(ids[row]) in [c for c, _ in alive.search(vectors[row], 10)] for row in range(20)) >= 18


def test_an_ivf_segment_searches_among_the_allowed_chunks_only(tmp_path: Path) -> None:
    """The lists hold positions: a filter of chunk ids is translated through the id map."""
    from index.ann.segment import DenseSegment

    vectors, ids = _unit_vectors(2)
    params = ivf.build(InMemory(vectors, ids), tmp_path / "dense.faiss")
    segment = DenseSegment.open(tmp_path / "dense.faiss", params, 32)
    allowed = ids[::50]
    for row in range(0, 4000, 400):
        found = [chunk for chunk, _ in segment.search(vectors[row], 10, allowed)]
        assert found and set(found) <= set(allowed.tolist())
        assert int(ids[row]) in found  # each of these rows is itself allowed


def test_a_segment_written_before_the_refining_codes_still_searches(tmp_path: Path) -> None:
    """Older indexes' IVF segments hold chunk ids in their lists and no finer codes."""
    import faiss

    from index.ann.segment import DenseSegment

    vectors, ids = _unit_vectors(3)
    index = faiss.index_factory(32, "IVF64,PQ8x4fs", faiss.METRIC_INNER_PRODUCT)
    index.train(vectors)
    index.add_with_ids(vectors, ids)
    faiss.write_index(index, str(tmp_path / "dense.faiss"))
    params = {"kind": "ivfpq", "lists": 64, "subvectors": 8, "bits": 4, "nprobe": 64, "probe_recall_at_10": 1.0}
    segment = DenseSegment.open(tmp_path / "dense.faiss", params, 32, ids[:20])
    found = [[chunk for chunk, _ in segment.search(vectors[row], 10)] for row in range(40)]
    assert len(found[0]) == ivf.CANDIDATES
    assert not {c for row in found[:20] for c in row} & set(ids[:20].tolist())
    assert sum(int(ids[row]) in found[row] for row in range(20, 40)) >= 18


def test_a_segment_of_a_kind_its_size_no_longer_gets_is_rewritten() -> None:
    """A flat segment written under an older, higher FLAT_LIMIT becomes IVF at the next merge."""
    largest = SegmentRow(1, 10 * FLAT_LIMIT, {"kind": "ivfpq"})
    delta = SegmentRow(3, 5, {"kind": "flat"})
    too_big = SegmentRow(2, FLAT_LIMIT + 10, {"kind": "flat"})
    assert to_merge([largest, too_big, delta], {}) == [too_big]
    assert to_merge([largest, SegmentRow(2, FLAT_LIMIT - 1, {"kind": "flat"}), delta], {}) == []
