"""The IVF-PQ segment kind (what segments above FLAT_LIMIT vectors become), on a small scale."""

from pathlib import Path

from index.ann import ivf


def test_an_ivf_segment_finds_each_vector_and_records_its_calibration(tmp_path: Path) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((4000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(100, 4100, dtype=np.int64)
    params = ivf.build(vectors, ids, tmp_path / "dense.faiss")
    assert params["kind"] == "ivfpq" and params["lists"] >= 16
    assert params["lists"] // ivf.MIN_PROBE_SHARE <= params["nprobe"] <= params["lists"]
    assert 0.0 < params["probe_recall_at_10"] <= 1.0
    index = ivf.open_index(tmp_path / "dense.faiss", params)
    _, found = index.search(vectors[:20], 10, params=ivf.search_parameters(params, None))
    assert sum(int(ids[row]) in found[row].tolist() for row in range(20)) >= 18
