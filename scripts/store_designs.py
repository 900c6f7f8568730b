"""The lexical and dense designs the store could use, compared on the passages of a big index.

    python scripts/store_designs.py --index DIR [--json]      # DIR: e.g. the 1M index of scale.py

Over every passage text of the index (its chunks table), the same 100 BBC questions:
- BM25 segments (the store's design): the index's own segments, queried through Searcher.lexical;
  adding an article writes one small segment (scripts/scale.py measures that whole process).
- SQLite FTS5 with its bm25() ranking: build time, query p50/p95 (top 50), the time and bytes
  to add one article's passages in one transaction, the size on disk.
- bm25s (sparse matrices, `pip install bm25s` to run this part): build time, query p50/p95, size;
  it has no incremental update, so adding an article costs a rebuild.
- Dense: the index's segments through the product's dense search, against exact search over
  every canonical vector with one flat FAISS index (what a flat design would answer with).
"""

import argparse
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench import new_article, percentiles  # noqa: E402
from eval import DATA  # noqa: E402


def ms(samples: list[float]) -> tuple[float, float]:
    p50, p95 = percentiles(samples)
    return round(p50 * 1000, 1), round(p95 * 1000, 1)


def timed(step, items) -> list[float]:
    took = []
    for item in items:
        began = time.perf_counter()
        step(item)
        took.append(time.perf_counter() - began)
    return took


def fts5(texts: list[str], questions: list[str], work: Path) -> dict:
    from index.scoring.tokenise import tokenize

    path = work / "fts.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    began = time.perf_counter()
    connection.execute("CREATE VIRTUAL TABLE passages USING fts5(text, tokenize='porter unicode61')")
    with connection:
        connection.executemany("INSERT INTO passages(text) VALUES (?)", ((t,) for t in texts))
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    build = time.perf_counter() - began
    queries = [" OR ".join(f'"{w}"' for w in tokenize(q)) for q in questions]
    search = "SELECT rowid, bm25(passages) FROM passages WHERE passages MATCH ? ORDER BY bm25(passages) LIMIT 50"
    took = timed(lambda q: connection.execute(search, (q,)).fetchall(), queries)
    size = os.path.getsize(path)
    paragraphs = new_article(77).split("\n\n")[1:]
    began = time.perf_counter()
    with connection:
        connection.executemany("INSERT INTO passages(text) VALUES (?)", ((p,) for p in paragraphs))
    add = time.perf_counter() - began
    wal = os.path.getsize(f"{path}-wal")
    connection.close()
    p50, p95 = ms(took)
    return {
        "fts5_build_s": round(build, 1),
        "fts5_query_p50_ms": p50,
        "fts5_query_p95_ms": p95,
        "fts5_add_one_s": round(add, 3),
        "fts5_add_one_wal_mb": round(wal / 1e6, 2),
        "fts5_disk_mb": round(size / 1e6),
    }


def bm25s_design(texts: list[str], questions: list[str], work: Path) -> dict:
    import bm25s

    began = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
    build = time.perf_counter() - began
    took = timed(
        lambda q: retriever.retrieve(
            bm25s.tokenize([q], stopwords="en", show_progress=False), k=50, show_progress=False
        ),
        questions,
    )
    retriever.save(work / "bm25s")
    size = sum(f.stat().st_size for f in (work / "bm25s").rglob("*") if f.is_file())
    p50, p95 = ms(took)
    return {
        "bm25s_build_s": round(build, 1),
        "bm25s_query_p50_ms": p50,
        "bm25s_query_p95_ms": p95,
        "bm25s_add_one_s": round(build, 1),
        "bm25s_disk_mb": round(size / 1e6),
    }


def ours(index_dir: Path, questions: list[str]) -> dict:
    import faiss
    import numpy as np

    from index.scoring.tokenise import term_hash, tokenize
    from index.search.candidates import dense_search
    from index.search.searcher import Searcher
    from index.store import codec

    searcher = Searcher.open(index_dir)
    lexical = timed(lambda q: searcher.lexical([term_hash(t) for t in tokenize(q, searcher.stopwords)], 50), questions)
    vectors = searcher.encoder.embed(questions)
    dense = timed(lambda v: dense_search(searcher, v, 50, None), list(vectors))
    rows = searcher.connection.execute("SELECT c.id, v.passage FROM chunks c JOIN vectors v ON v.id = c.vector")
    ids, blobs = zip(*rows.fetchall())
    flat = faiss.IndexIDMap2(faiss.IndexFlatIP(searcher.meta.encoder_dim))
    flat.add_with_ids(codec.unpack_passages(list(blobs), searcher.meta.encoder_dim), np.asarray(ids, dtype=np.int64))
    exact = timed(lambda v: flat.search(v.reshape(1, -1), 50), list(vectors))
    segments = {kind: sum(s.size for s in searcher.dense if s.params["kind"] == kind) for kind in ("flat", "ivfpq")}
    searcher.close()
    return {
        "segments_lexical_p50_ms": ms(lexical)[0],
        "segments_lexical_p95_ms": ms(lexical)[1],
        "segments_dense_p50_ms": ms(dense)[0],
        "segments_dense_p95_ms": ms(dense)[1],
        "flat_exact_p50_ms": ms(exact)[0],
        "flat_exact_p95_ms": ms(exact)[1],
        "dense_vectors_by_kind": segments,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from bot import evaluate as ev
    from index.store import codec, layout

    questions = [c.question for c in ev.load_cases(DATA / "bbc" / "test.jsonl")][:100]
    connection = sqlite3.connect(f"file:{layout.current(args.index) / layout.DATABASE}?mode=ro", uri=True)
    texts = [codec.unpack_text(row[0]) for row in connection.execute("SELECT text FROM chunks")]
    connection.close()
    work = Path(tempfile.mkdtemp(prefix="store-designs-"))
    try:
        result = {"passages": len(texts), **ours(args.index, questions), **fts5(texts, questions, work)}
        try:
            result |= bm25s_design(texts, questions, work)
        except ImportError:
            result["bm25s"] = "not installed (pip install bm25s)"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["load_1min"] = round(os.getloadavg()[0], 1)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
