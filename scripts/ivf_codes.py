"""IVF code layouts compared side by side over one built index's canonical vectors.

    python scripts/ivf_codes.py --index-dir $BOT_CACHE_DIR/scale/1000000/index [--codes PQ48x8np,PQ96x4fs]
        [--refine PQ96x8np,SQ4]

Each layout gets the same lists (trained on the same sample, of ann.ivf's size) and the same questions (the BBC
reader questions, both halves, through scripts/eval.py's vector cache). For every nprobe and
candidate count, the candidates are re-scored exactly, as the product does (ann.ivf), and
compared with exact search over every vector: recall@10 and the median time of one query on one
thread. With --refine, each code is also measured with each finer code re-ranking its
CANDIDATES, of which only the best `rescored` are re-scored exactly. Prints one JSON line per
setting. ann/ivf.py's choice of codes comes from this.
"""

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from eval import DATA, cached_encoder  # noqa: E402
from scale import every_vector  # noqa: E402

from bot import evaluate as ev  # noqa: E402


def main() -> None:
    import faiss
    import numpy as np

    from index.ann.ivf import CANDIDATES, TRAIN_PER_LIST
    from index.embed.model import model_info
    from index.store import layout
    from index.store.database import read_meta

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--codes", default="PQ48x8np,PQ96x4fs,PQ48x4fs", help="FAISS factory code parts")
    parser.add_argument("--refine", type=lambda text: text.split(","), default=[], help="finer codes, e.g. PQ96x8np")
    parser.add_argument("--lists", type=int, default=2048)
    options = parser.parse_args()
    faiss.omp_set_num_threads(1)
    store = layout.current(options.index_dir)
    connection = sqlite3.connect(f"file:{store / layout.DATABASE}?mode=ro", uri=True)
    _, vectors = every_vector(connection, read_meta(connection).encoder_dim)
    n, dim = vectors.shape
    questions = [c.question for half in ("tune", "test") for c in ev.load_cases(DATA / "bbc" / f"{half}.jsonl")]
    queries = cached_encoder(model_info()).embed(questions).astype(np.float32)
    truth = [set(np.argpartition(-(vectors @ q), 10)[:10].tolist()) for q in queries]
    rng = np.random.default_rng(0)
    sample = vectors[np.sort(rng.choice(n, min(n, options.lists * TRAIN_PER_LIST), replace=False))]
    layouts = [(code, refine) for code in options.codes.split(",") for refine in [None, *options.refine]]
    for code, refine in layouts:
        began = time.perf_counter()
        factory = f"IVF{options.lists},{code}" + (f",Refine({refine})" if refine else "")
        index = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
        index.train(sample)
        for begin in range(0, n, 100_000):
            if refine:  # a refining index numbers its vectors itself: 0, 1, … as added
                index.add(vectors[begin : begin + 100_000])
            else:
                index.add_with_ids(vectors[begin : begin + 100_000], np.arange(begin, min(n, begin + 100_000)))
        build_s = time.perf_counter() - began
        with tempfile.NamedTemporaryFile(suffix=".faiss") as file:
            faiss.write_index(index, file.name)
            size_mb = Path(file.name).stat().st_size / 1e6
        ivf = faiss.extract_index_ivf(index)
        for nprobe in (64, 128, 256, 512):
            ivf.nprobe = nprobe
            for candidates, rescored in (
                [(200, 200), (500, 500), (CANDIDATES, CANDIDATES)]
                if not refine
                else [
                    (CANDIDATES, 100),
                    (CANDIDATES, 200),
                ]
            ):
                if refine:
                    faiss.downcast_index(index).k_factor = candidates / rescored
                seconds, hits = [], 0
                for query, exact in zip(queries, truth):
                    start = time.perf_counter()
                    _, found = index.search(query.reshape(1, -1), rescored)
                    found = found[0][found[0] >= 0]
                    top = found[np.argsort(-(vectors[found] @ query))[:10]]
                    seconds.append(time.perf_counter() - start)
                    hits += len(set(top.tolist()) & exact)
                row = {
                    "code": code,
                    "refine": refine,
                    "passages": n,
                    "file_mb": round(size_mb),
                    "build_s": round(build_s),
                    "nprobe": nprobe,
                    "candidates": candidates,
                    "rescored": rescored,
                    "recall_at_10": round(hits / (10 * len(queries)), 4),
                    "p50_ms": round(statistics.median(seconds) * 1000, 2),
                }
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
