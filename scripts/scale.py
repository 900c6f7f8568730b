"""The store at scale: an index of N passages built and queried through the product's own code.

    python scripts/scale.py --passages 1000000 --json     # builds once, cached under --work
    python scripts/scale.py --passages 100000 --rebuild

The index holds the real BBC corpus (its real vectors, from scripts/eval.py's vector cache) plus
distractor articles up to N passages: real BBC and web-page text varied so that articles don't
collapse as copies, with noisy copies of the real vectors of the text each was varied from
(scripts/distractors.py says exactly how).

Measured, one JSON object (`--json`) with the keys of issue 12, and a few more:
- build_s, build_peak_rss_mb: `update()` over both folders in a child process (wait4's RSS);
- add_one_s, add_one_write_mb: `bot index` (whole process, real model) after one new article,
  median of 3; written bytes are the process's own /proc write_bytes (add_one_write_calls_mb:
  its wchar, what it passed to write calls; written_mb says why they differ; add_one_device_mb:
  the sectors its disk wrote meanwhile, device_sectors says why that is the truer count);
- noop_s: `bot index` with nothing changed (median of 3); cold_ask_s, ask_rss_mb: `bot ask`
  (median of 5 after one unmeasured run; max RSS);
- query_p50_ms, query_p95_ms: warm `answer()` in one process over 200 questions;
  search_p50_ms: search only;
- recall_at_10: the product's dense search (candidates.dense_search) against exact search over
  every canonical vector, for the real BBC questions' vectors;
- bbc_passage_at_5 / bbc_only_passage_at_5: the BBC test-half questions asked of this index and
  of the BBC-only evaluation index.
"""

import argparse
import json
import os
import re
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench import latencies, median_run, new_article, run  # noqa: E402
from distractors import ScaleEncoder, pool_rows, question_docs, write_distractors  # noqa: E402
from eval import CORPORA, DATA, cached_encoder, index_of  # noqa: E402

if TYPE_CHECKING:
    import numpy as np

BOT = str(Path(sys.executable).parent / "bot")
BBC_PASSAGES = 10_400
# Passages indexed per distractor passage written: repeated pool passages at article edges are
# dropped as furniture, identical ones indexed once. Writing 989,600 gave 860,557 (0.870), so a
# little under that, for an index of at least the passages asked for.
DISTRACTOR_YIELD = 0.86


def log(message: str) -> None:
    print(f"[scale] {message}", file=sys.stderr, flush=True)


def prepare_evaluation_indexes() -> None:
    """The BBC and web evaluation indexes the pool is drawn from, brought up to date here, not in
    the build's child: embedding them there (an empty vector cache) would leave the model's
    working memory in the build's peak RSS."""
    from index.embed.model import model_info

    model = model_info()
    real = cached_encoder(model)
    index_of("bbc", CORPORA["bbc"], model, real, rebuild=False).close()
    index_of("web", CORPORA["web"], model, real, rebuild=False).close()


def build_child(work: Path, passages: int) -> None:
    """Runs in its own process, so that its peak RSS is the build's alone."""
    from index.embed.model import model_info
    from index.indexer.update import update
    from index.locations import cache_dir

    model = model_info()
    real = cached_encoder(model)
    bbc = CORPORA["bbc"]
    excluded = question_docs()
    pool = pool_rows(cache_dir() / "eval" / "indexes" / f"bbc-{model.name}", excluded)
    pool += pool_rows(cache_dir() / "eval" / "indexes" / f"web-{model.name}", set())
    log(f"pool: {len(pool)} real passages outside the {len(excluded)} question articles")
    folder = work / "distractors"
    shutil.rmtree(folder, ignore_errors=True)  # with the articles earlier runs' adds left in it
    traced = write_distractors(folder, max(0, round((passages - BBC_PASSAGES) / DISTRACTOR_YIELD)), pool)
    log(f"wrote distractors in {folder}")
    encoder = ScaleEncoder(real, pool, traced)
    began = time.perf_counter()
    report = update(work / "index", [bbc, folder], model, lambda: encoder, rebuild=True)  # type: ignore[arg-type, return-value]
    seconds = time.perf_counter() - began
    (work / "build.json").write_text(
        json.dumps(
            {"passages": report.chunks_total, "update_s": seconds, "untraced": encoder.untraced, "requested": passages}
        )
    )


def written_mb(command: Sequence[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(seconds, MB written to storage, MB passed to write calls) of a whole `bot` process, from
    its own /proc/self/io: write_bytes and wchar.

    They differ when the page cache holds the files in large folios (this kernel, 6.18, after
    readers have mapped the database): the first write into a clean folio counts the whole
    folio in write_bytes, however few bytes were written. At 872,692 passages an added article's
    write calls came to 1.0 MB, while write_bytes was 3.2 MB right after dropping the caches and
    55 MB after a few hundred questions had been answered from the mapped database."""
    probe = (
        "import atexit, sys\n"
        "def report():\n"
        "    io = dict(line.split(': ') for line in open('/proc/self/io').read().splitlines())\n"
        "    sys.stderr.write(f\"WRITE_BYTES {io['write_bytes']} {io['wchar']}\\n\")\n"
        "atexit.register(report)\n"
        "from bot.cli import main\n"
        "sys.argv = ['bot', *sys.argv[1:]]\n"
        "main()\n"
    )
    result = run([sys.executable, "-c", probe, *command], env)
    written, passed = map(int, re.findall(r"WRITE_BYTES (\d+) (\d+)", result.stderr)[-1])
    return result.seconds, written / 1e6, passed / 1e6


def device_sectors(path: Path) -> int | None:
    """Sectors the disk holding `path` has written since boot (/sys/dev/block/M:m/stat), after
    a sync: around an add, what reached the device, journal included. None without that file.

    write_bytes counts a whole page-cache folio for each one first dirtied, and on this kernel
    (6.18, ext4) the database's folios are large: rewriting 45 random 8 KB pages of it in place
    with the same bytes counted 17 MB. An add's write_bytes of 7.5 MB was 1.2-1.8 MB at the disk."""
    os.sync()
    device = os.stat(path).st_dev
    try:
        fields = Path(f"/sys/dev/block/{os.major(device)}:{os.minor(device)}/stat").read_text().split()
    except OSError:
        return None
    return int(fields[6])


def every_vector(connection: sqlite3.Connection, dim: int) -> "tuple[np.ndarray, np.ndarray]":
    """(chunk ids, their canonical vectors as float32) of every chunk in the store."""
    import numpy as np

    from index.store import codec

    ids, blobs = [], []
    for chunk, blob in connection.execute("SELECT c.id, v.passage FROM chunks c JOIN vectors v ON v.id = c.vector"):
        ids.append(chunk)
        blobs.append(blob)
    return np.asarray(ids), codec.unpack_passages(blobs, dim)


def exact_recall(searcher, questions: list[str], k: int = 10) -> float:
    """The product's dense top k against exact search over every canonical vector."""
    import numpy as np

    from index.search.candidates import dense_search

    ids_array, vectors = every_vector(searcher.connection, searcher.meta.encoder_dim)
    queries = searcher.encoder.embed(questions)
    hits = 0
    for query in queries:
        scores = vectors @ query
        top = ids_array[np.argpartition(-scores, k)[:k]]
        found = [i for i, _ in dense_search(searcher, query, k, None)]
        hits += len(set(found) & set(top.tolist()))
    return hits / (k * len(queries))


def measure(work: Path, passages: int, rebuild: bool) -> dict:
    from bot import evaluate as ev
    from bot.answer import answer
    from index.search.hybrid import search
    from index.search.searcher import Searcher

    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    index_dir = work / "index"
    if rebuild or not (work / "build.json").exists():
        prepare_evaluation_indexes()
        built = run([sys.executable, __file__, "--child-build", str(work), "--passages", str(passages)], env)
        saved = json.loads((work / "build.json").read_text())
        saved.update(build_s=built.seconds, build_peak_rss_mb=built.rss_mb)
        (work / "build.json").write_text(json.dumps(saved))
    built_info = json.loads((work / "build.json").read_text())
    bot = ["--index-dir", str(index_dir)]
    adds = []
    for _ in range(3):  # each run adds articles never seen before, not copies of the last run's
        (work / "distractors" / "new").mkdir(exist_ok=True)
        stamp = time.time_ns()
        (work / "distractors" / "new" / f"{stamp}.txt").write_text(new_article(stamp), encoding="utf-8")
        before = device_sectors(index_dir)
        seconds, written, passed = written_mb(["index", *bot], env)
        after = device_sectors(index_dir)
        device = (after - before) * 512 / 1e6 if before is not None and after is not None else None
        adds.append((seconds, written, passed, device))
    devices = [device for _, _, _, device in adds]
    noop = median_run([BOT, "index", *bot], env, 3)
    question = "What did the chancellor say about the budget deficit?"
    ask = median_run([BOT, "ask", question, *bot], env, 5)

    searcher = Searcher.open(index_dir)
    cases = ev.load_cases(DATA / "bbc" / "test.jsonl")
    questions = [c.question for c in ev.load_cases(DATA / "bbc" / "tune.jsonl")] + [c.question for c in cases]
    questions = (questions * 2)[:200]
    for q in questions[:5]:
        answer(searcher, q)
    answer_p50, answer_p95 = latencies(questions, lambda q: answer(searcher, q))
    search_p50, _ = latencies(questions, lambda q: search(searcher, q))
    recall = exact_recall(searcher, [c.question for c in cases])
    at_5 = ev.summarise(ev.evaluate(searcher, cases)).hit_at_5
    searcher.close()
    from index.embed.model import model_info
    from index.locations import cache_dir

    alone = Searcher.open(cache_dir() / "eval" / "indexes" / f"bbc-{model_info().name}")
    alone_at_5 = ev.summarise(ev.evaluate(alone, cases)).hit_at_5
    alone.close()
    disk = sum(f.stat().st_size for f in index_dir.rglob("*") if f.is_file())
    return {
        "passages": built_info["passages"],
        "build_s": round(built_info["build_s"], 1),
        "build_peak_rss_mb": round(built_info["build_peak_rss_mb"]),
        "add_one_s": round(statistics.median(s for s, _, _, _ in adds), 2),
        "add_one_write_mb": round(statistics.median(mb for _, mb, _, _ in adds), 2),
        "noop_s": round(noop.seconds, 2),
        "cold_ask_s": round(ask.seconds, 2),
        "query_p50_ms": round(answer_p50 * 1000, 1),
        "query_p95_ms": round(answer_p95 * 1000, 1),
        "ask_rss_mb": round(ask.rss_mb),
        "disk_mb": round(disk / 1e6),
        "recall_at_10": round(recall, 4),
        "search_p50_ms": round(search_p50 * 1000, 1),
        "add_one_write_calls_mb": round(statistics.median(mb for _, _, mb, _ in adds), 2),
        "add_one_device_mb": None if None in devices else round(statistics.median(devices), 2),
        "bbc_passage_at_5": round(at_5, 3),
        "bbc_only_passage_at_5": round(alone_at_5, 3),
        "untraced_inputs": built_info["untraced"],
        "cores": os.cpu_count(),
        "load_1min": round(os.getloadavg()[0], 1),
        "segment_kinds": segment_kinds(index_dir),
    }


def segment_kinds(index_dir: Path) -> list[str]:
    from index.store import layout

    connection = sqlite3.connect(f"file:{layout.current(index_dir) / layout.DATABASE}?mode=ro", uri=True)
    kinds = [
        f"{json.loads(params)['kind']}:{chunks}"
        for chunks, params in connection.execute("SELECT chunks, params FROM segments ORDER BY chunks DESC")
    ]
    connection.close()
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, help="where the index and distractors live (default: the cache dir)")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--json", action="store_true", help="print only the JSON object")
    parser.add_argument("--child-build", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_build:
        build_child(args.child_build, args.passages)
        return
    from index.locations import cache_dir

    work = args.work or cache_dir() / "scale" / str(args.passages)
    work.mkdir(parents=True, exist_ok=True)
    result = measure(work, args.passages, args.rebuild)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
