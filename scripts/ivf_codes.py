"""IVF code layouts compared side by side over one built index's canonical vectors.

    python scripts/ivf_codes.py --index-dir $BOT_CACHE_DIR/scale/1000000/index [--codes PQ48x8np,PQ96x4fs]

Each layout gets the same lists (trained on the same sample, of ann.ivf's size) and the same questions (the BBC
reader questions, both halves, through scripts/eval.py's vector cache). For every nprobe and
candidate count, the candidates are re-scored exactly, as the product does (ann.ivf), and
compared with exact search over every vector: recall@10 and the median time of one query on one
thread. Prints one JSON line per setting. ann/ivf.py's choice of codes comes from this.
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
    for code in options.codes.split(","):
        began = time.perf_counter()
        index = faiss.index_factory(dim, f"IVF{options.lists},{code}", faiss.METRIC_INNER_PRODUCT)
        index.train(sample)
        for begin in range(0, n, 100_000):
            index.add_with_ids(vectors[begin : begin + 100_000], np.arange(begin, min(n, begin + 100_000)))
        build_s = time.perf_counter() - began
        with tempfile.NamedTemporaryFile(suffix=".faiss") as file:
            faiss.write_index(index, file.name)
            size_mb = Path(file.name).stat().st_size / 1e6
        ivf = faiss.extract_index_ivf(index)
        for nprobe in (64, 128, 256, 512):
            ivf.nprobe = nprobe
            for candidates in (200, 500, CANDIDATES):
                seconds, hits = [], 0
                for query, exact in zip(queries, truth):
                    start = time.perf_counter()
                    _, found = index.search(query.reshape(1, -1), candidates)
                    found = found[0][found[0] >= 0]
                    top = found[np.argsort(-(vectors[found] @ query))[:10]]
                    seconds.append(time.perf_counter() - start)
                    hits += len(set(top.tolist()) & exact)
                row = {
                    "code": code,
                    "passages": n,
                    "file_mb": round(size_mb),
                    "build_s": round(build_s),
                    "nprobe": nprobe,
                    "candidates": candidates,
                    "recall_at_10": round(hits / (10 * len(queries)), 4),
                    "p50_ms": round(statistics.median(seconds) * 1000, 2),
                }
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
