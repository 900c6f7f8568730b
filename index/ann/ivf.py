"""IVF-PQ for large segments: a compact approximate index whose candidates the caller re-scores
exactly with the canonical vectors.

An inverted file of about 4·√n lists, each vector kept as 8-bit codes of dim/8 sub-vectors
(48 bytes for 384 dimensions: a million vectors in 56 MB, read in well under a second). How many
lists a query visits (nprobe) is set when the segment is built: the smallest power of two whose
re-scored top 10 matches exact search for at least RECALL_GOAL of probe queries (stored vectors
moved away from themselves), and never fewer than a quarter of the lists; it is recorded with
the probes' recall.

Why the floor and CANDIDATES: on 869,300 passages (scripts/scale.py) real questions are harder
than any probe. Their recall@10 against exact search was 0.907 with 200 candidates even visiting
every list (PQ's ordering, not the lists, loses them), and 0.972 / 0.978 / 0.983 with 1,000
candidates at nprobe 32 / 128 / 512 (of 2,048), while the probes reached 0.994 at nprobe 4.
"""

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import faiss
    import numpy as np

RECALL_GOAL = 0.99  # on the probes
MIN_PROBE_SHARE = 4  # nprobe >= lists / MIN_PROBE_SHARE
CANDIDATES = 1000  # approximate hits re-scored exactly
PROBES = 200
TRAIN_PER_LIST = 40


def build(vectors: "np.ndarray", ids: "np.ndarray", path: Path) -> dict:
    import faiss
    import numpy as np

    n, dim = vectors.shape
    lists = 1 << max(4, int(np.log2(4 * np.sqrt(n))))
    sub = next(m for m in (dim // 8, dim // 4, dim // 2, dim) if m and dim % m == 0)
    # "np": no polysemous training, which search never uses and which took 2 of every 2.3 min to train
    index = faiss.index_factory(dim, f"IVF{lists},PQ{sub}x8np", faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(0)
    sample = vectors[np.sort(rng.choice(n, min(n, lists * TRAIN_PER_LIST), replace=False))]
    index.train(sample)
    index.add_with_ids(vectors, ids)
    nprobe, recall = _calibrate(index, vectors, ids, rng)
    nprobe = max(nprobe, lists // MIN_PROBE_SHARE)
    faiss.write_index(index, str(path))
    return {"kind": "ivfpq", "lists": lists, "subvectors": sub, "nprobe": nprobe, "probe_recall_at_10": recall}


def _calibrate(
    index: "faiss.Index", vectors: "np.ndarray", ids: "np.ndarray", rng: "np.random.Generator"
) -> tuple[int, float]:
    import faiss
    import numpy as np

    picked = rng.choice(len(vectors), PROBES, replace=False)
    probes = vectors[picked] + rng.standard_normal((PROBES, vectors.shape[1])).astype(np.float32) / np.sqrt(
        vectors.shape[1]
    )
    probes /= np.linalg.norm(probes, axis=1, keepdims=True)
    # brute force over the vectors in place: a flat index of them would copy them all
    _, truth = faiss.knn(probes, vectors, 10, metric=faiss.METRIC_INNER_PRODUCT)
    position = {int(chunk_id): row for row, chunk_id in enumerate(ids.tolist())}
    ivf = faiss.extract_index_ivf(index)
    recall = 0.0
    nprobe = 1
    while nprobe <= ivf.nlist:
        ivf.nprobe = nprobe
        _, found = index.search(probes, CANDIDATES)
        hits = 0
        for row, candidates in enumerate(found):
            rows = [position[int(c)] for c in candidates if c >= 0]
            rescored: np.ndarray | list[int] = (
                np.asarray(rows)[np.argsort(-(vectors[rows] @ probes[row]))[:10]] if rows else []
            )
            hits += len(set(np.asarray(rescored).tolist()) & set(truth[row].tolist()))
        recall = hits / (10 * PROBES)
        if recall >= RECALL_GOAL:
            break
        nprobe *= 2
    return min(nprobe, ivf.nlist), recall


def open_index(path: Path, params: dict) -> "faiss.Index":
    import faiss

    return faiss.read_index(str(path), faiss.IO_FLAG_READ_ONLY)


def search_parameters(params: dict, selector: "faiss.IDSelector | None") -> "faiss.SearchParametersIVF":
    import faiss

    # built up by attribute: faiss's stubs do not know its keyword constructor
    parameters = faiss.SearchParametersIVF()
    if selector is not None:
        parameters.sel = selector
    parameters.nprobe = int(params["nprobe"])
    return parameters
