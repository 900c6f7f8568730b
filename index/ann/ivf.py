"""IVF-PQ for large segments: a compact approximate index whose candidates the caller re-scores
exactly with the canonical vectors.

An inverted file of about 4·√n lists, each vector kept as 4-bit codes of dim/4 sub-vectors
(48 bytes for 384 dimensions: a million vectors in 56 MB, read in well under a second), scanned
by FAISS's fast-scan kernels, which compare codes held in SIMD registers. How many lists a query
visits (nprobe) is set when the segment is built: a quarter of the lists, or twice that, and so
on, the first whose re-scored top 10 matches exact search for at least RECALL_GOAL of probe
queries (stored vectors moved away from themselves); it is recorded with the probes' recall. The
vectors are read a chunk at a time (ann.source), never all at once.

Why the floor and CANDIDATES: on 869,300 passages (scripts/scale.py) real questions are harder
than any probe. With 8-bit codes of dim/8 sub-vectors, their recall@10 against exact search was
0.907 with 200 candidates even visiting every list (PQ's ordering, not the lists, loses them),
and 0.972 / 0.978 / 0.983 with 1,000 candidates at nprobe 32 / 128 / 512 (of 2,048), while the
probes reached 0.994 at nprobe 4.

Why 4-bit fast-scan codes: at 872,692 passages, the same 48 bytes a vector, 175 BBC questions,
1,000 candidates re-scored, one thread (scripts/ivf_codes.py, side by side over the same vectors
and lists): recall@10 0.988 at nprobe 512 in 3.7 ms with 8-bit codes of 48 sub-vectors,
0.995 in 1.4 ms with 4-bit codes of 96 (and 0.990 at nprobe 128 in 0.9 ms); 4-bit codes of 48
sub-vectors (24 bytes) reached only 0.911. Building took 19 s instead of 29.

Why a refining stage: reading 1,000 canonical vectors from the store to re-score them took 6 ms
of a 43 ms answer (10 ms beside BM25's thread). The fast-scan candidates are first re-ranked by
finer codes kept in the segment, 8 bits for each of the same dim/4 sub-vectors (96 bytes a
vector: the file grows from 54 to 138 MB at 872,724 passages), and only the RESCORED best of them
are read and re-scored exactly: recall@10 0.986 at nprobe 512 (0.960 re-scoring 100), against
0.992 re-scoring all 1,000 (scripts/ivf_codes.py --refine). 4-bit scalar codes (192 bytes) reached
0.992 re-scoring 100, but their 221 MB file would take the index over its 2.5 GB of disk; 8-bit
codes of 48 sub-vectors reached 0.918.
"""

from pathlib import Path
from typing import TYPE_CHECKING, cast

from index.ann.source import VectorSource, chunks

if TYPE_CHECKING:
    import faiss
    import numpy as np

RECALL_GOAL = 0.99  # on the probes
# Or as good as visiting every list, give or take this: past it PQ's ordering, not the lists,
# loses the rest. At 862,258 passages no level reached the goal (0.989 visiting all 2,048
# lists; replayed, the same recall at 512, 1,024 and 2,048), so every query visited them all.
PLATEAU = 0.002
MIN_PROBE_SHARE = 4  # nprobe >= lists / MIN_PROBE_SHARE
# Fast-scan hits re-ranked by the finer codes (all re-scored exactly, in older segments). At
# 1,007,111 passages, nprobe 512, 200 re-scored, recall@10 of the BBC questions' tuning half was
# 0.980 with 1,000 and 0.985 with 1,500 (test half 0.980 -> 0.986), dense search 8.2 -> 8.3 ms;
# re-scoring 300 of 1,500 reached 0.990 at 8.9 ms.
CANDIDATES = 1500
RESCORED = 200  # of those, re-scored exactly with the canonical vectors
PROBES = 200
TRAIN_PER_LIST = 40


def build(source: VectorSource, path: Path) -> dict:
    import faiss
    import numpy as np

    n, dim = len(source.ids), source.dim
    lists = 1 << max(4, int(np.log2(4 * np.sqrt(n))))
    sub = next(m for m in (dim // 4, dim // 2, dim) if m and dim % m == 0 and m % 2 == 0)  # fast-scan pairs codes
    refine = f"PQ{sub}x8"
    factory = f"IDMap,IVF{lists},PQ{sub}x4fs,Refine({refine}np)"
    index = cast("faiss.IndexIDMap", faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT))
    cast("faiss.IndexRefine", faiss.downcast_index(index.index)).k_factor = CANDIDATES / RESCORED
    rng = np.random.default_rng(0)
    index.train(source.read(np.sort(rng.choice(n, min(n, lists * TRAIN_PER_LIST), replace=False))))
    for begin, vectors in chunks(source):
        index.add_with_ids(vectors, source.ids[begin : begin + len(vectors)])
    nprobe, recall = _calibrate(index, source, rng)
    faiss.write_index(index, str(path))
    return {
        "kind": "ivfpq",
        "lists": lists,
        "subvectors": sub,
        "bits": 4,
        "refine": refine,
        "rescored": RESCORED,
        "nprobe": nprobe,
        "probe_recall_at_10": recall,
    }


def _calibrate(index: "faiss.Index", source: VectorSource, rng: "np.random.Generator") -> tuple[int, float]:
    """(nprobe, the probes' recall@10 at it): the first of lists/MIN_PROBE_SHARE, twice that, ...
    all lists, whose re-scored candidates reach RECALL_GOAL or the recall of visiting every
    list, less PLATEAU. Every level is searched first, so
    that one pass over the vectors, a chunk at a time, gives both the exact top 10 and the exact
    score of every candidate."""
    import faiss
    import numpy as np

    n = len(source.ids)
    probes = source.read(rng.choice(n, min(PROBES, n), replace=False))
    probes = probes + rng.standard_normal(probes.shape).astype(np.float32) / np.sqrt(probes.shape[1])
    probes /= np.linalg.norm(probes, axis=1, keepdims=True)
    ivf = faiss.extract_index_ivf(index)
    levels = [max(1, ivf.nlist // MIN_PROBE_SHARE)]
    while levels[-1] < ivf.nlist:
        levels.append(min(2 * levels[-1], ivf.nlist))
    by_id = np.argsort(source.ids)
    found = []
    for nprobe in levels:
        ivf.nprobe = nprobe
        _, ids = index.search(probes, min(RESCORED, n))
        found.append(np.where(ids >= 0, by_id[np.searchsorted(source.ids, ids, sorter=by_id).clip(0, n - 1)], -1))
    union = [np.unique(np.concatenate([f[row] for f in found])) for row in range(len(probes))]
    union = [u[u >= 0] for u in union]
    exact = [np.zeros(len(u), dtype=np.float32) for u in union]
    best = np.full((len(probes), 10), -np.inf, dtype=np.float32)
    truth = np.full((len(probes), 10), -1, dtype=np.int64)
    for begin, vectors in chunks(source):
        scores = probes @ vectors.T
        for row, positions in enumerate(union):
            low, high = np.searchsorted(positions, [begin, begin + len(vectors)])
            exact[row][low:high] = scores[row, positions[low:high] - begin]
        pooled = np.concatenate([best, scores], axis=1)
        where = np.concatenate([truth, np.broadcast_to(np.arange(begin, begin + len(vectors)), scores.shape)], axis=1)
        top = np.argpartition(-pooled, 9, axis=1)[:, :10]
        best, truth = np.take_along_axis(pooled, top, axis=1), np.take_along_axis(where, top, axis=1)
    recalls = []
    for candidates in found:
        hits = 0
        for row, positions in enumerate(candidates):
            positions = positions[positions >= 0]
            scores = exact[row][np.searchsorted(union[row], positions)]
            hits += len(set(positions[np.argsort(-scores, kind="stable")[:10]].tolist()) & set(truth[row].tolist()))
        recalls.append(hits / (10 * len(probes)))
    return chosen_level(levels, recalls)


def chosen_level(levels: list[int], recalls: list[float]) -> tuple[int, float]:
    """(nprobe, recall): the first level reaching RECALL_GOAL, or within PLATEAU of the best."""
    ceiling = max(recalls)
    return next((n, r) for n, r in zip(levels, recalls) if r >= RECALL_GOAL or r >= ceiling - PLATEAU)


def open_index(path: Path, params: dict) -> "faiss.Index":
    import faiss

    return faiss.read_index(str(path), faiss.IO_FLAG_READ_ONLY)


def hits(params: dict) -> int:
    """How many approximate hits a search takes, for the caller to re-score exactly."""
    return int(params.get("rescored", CANDIDATES))


def search(
    index: "faiss.Index", params: dict, query: "np.ndarray", k: int, selector: "faiss.IDSelector | None"
) -> "tuple[np.ndarray, np.ndarray]":
    """(scores, chunk ids) of about the k nearest, for one query (a row)."""
    import faiss

    # built up by attribute: faiss's stubs do not know its keyword constructor
    lists = faiss.SearchParametersIVF()
    lists.nprobe = int(params["nprobe"])
    if "refine" not in params:  # an older segment: the lists hold chunk ids
        if selector is not None:
            lists.sel = selector
        return index.search(query, k, params=lists)
    # The lists hold positions, which the id map turns into chunk ids; the selector asks of chunk ids.
    if selector is not None:
        id_map = cast("faiss.IndexIDMap", index).id_map  # the stubs want an array: SWIG takes the vector itself
        translated = faiss.IDSelectorTranslated(id_map, selector)  # type: ignore[arg-type]
        lists.sel = translated
    refined = faiss.IndexRefineSearchParameters()
    refined.k_factor = CANDIDATES / hits(params)
    refined.base_index_params = lists
    return index.search(query, k, params=refined)
