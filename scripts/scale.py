"""The store at scale: an index of N passages built and queried through the product's own code.

    python scripts/scale.py --passages 1000000 --json     # builds once, cached under --work
    python scripts/scale.py --passages 100000 --rebuild

The index holds the real BBC corpus (its real vectors, from scripts/eval.py's vector cache) plus
distractor articles up to N passages. Distractors are real news text varied so that articles
don't collapse as copies: each distractor article strings together 4-7 passages drawn from
different BBC and web-page articles, and in each passage capitalised words after the first of a
sentence are replaced, with probability one half, by names from scripts/synthetic_news.py, and
every number by another of as many digits. Articles that any BBC question is about are left out
of the pool, with their identical copies, the other versions of their stories and their
near-copies, so distractors never carry the answers.

Embedding a million passages with the real model would take hours here, so distractor vectors
are the real vectors of the passage each was varied from (computed once by the real model, as the
BBC evaluation index stores them), moved by Gaussian noise of norm NOISE and renormalised
(cosine about 0.96 to the original: about what renaming a person in a passage does), and the same
for its sentences' vectors. The script counts encoder inputs it could not trace to their source
passage (they get a noisy copy of a random pool vector) and prints that count.

Measured, one JSON object (`--json`) with the keys of issue 12, and a few more:
- build_s, build_peak_rss_mb: `update()` over both folders in a child process (wait4's RSS);
- add_one_s, add_one_write_mb: `bot index` (whole process, real model) after one new article,
  median of 3; written bytes are the process's own /proc write_bytes (add_one_write_calls_mb:
  its wchar, what it passed to write calls; written_mb says why they differ);
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
import hashlib
import json
import os
import random
import re
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
from eval import CORPORA, DATA, cached_encoder, index_of  # noqa: E402
from synthetic_news import FIRST, LAST  # noqa: E402

if TYPE_CHECKING:
    import numpy as np

NOISE = 0.3
SUFFIX = 60  # characters of a passage's end that trace an encoder input back to its source
PER_FOLDER = 1000
BOT = str(Path(sys.executable).parent / "bot")


def log(message: str) -> None:
    print(f"[scale] {message}", file=sys.stderr, flush=True)


def question_docs() -> set[str]:
    """Every BBC article some question set asks about."""
    files = [DATA / "bbc" / "tune.jsonl", DATA / "bbc" / "test.jsonl", DATA / "bbc_questions.jsonl"]
    files += [DATA / "speech" / "tune.jsonl"]
    return {json.loads(line)["doc"] for f in files for line in f.read_text().splitlines() if line.strip()}


def pool_rows(store_index: Path, excluded: set[str]) -> list[tuple[str, bytes, bytes, bytes]]:
    """(passage text, packed vector (store.codec), spans, sentence vectors) of every passage of an index's
    articles outside `excluded` and their copies: an article indexed as an identical copy of
    another has no passages of its own (the other holds them), and versions of a story or
    near-copies repeat its sentences; left in the pool, they put the questions' answers into
    the distractors (9 of the 207 question articles are identical copies)."""
    from index.store import codec, layout

    connection = sqlite3.connect(f"file:{layout.current(store_index) / layout.DATABASE}?mode=ro", uri=True)
    articles = connection.execute("SELECT id, display, story, cluster, duplicate_of FROM articles").fetchall()
    asked = {i for i, display, *_ in articles if any(display.endswith(d) for d in excluded)}
    asked |= {copy_of for i, _, _, _, copy_of in articles if i in asked and copy_of is not None}
    stories = {story for i, _, story, _, _ in articles if i in asked}
    clusters = {cluster for i, _, _, cluster, _ in articles if i in asked}
    left_out = {
        i
        for i, _, story, cluster, copy_of in articles
        if i in asked or story in stories or cluster in clusters or copy_of in asked
    }
    rows = connection.execute(
        "SELECT c.article, c.text, v.passage, v.spans, v.sentences FROM chunks c JOIN vectors v ON v.id = c.vector"
    ).fetchall()
    connection.close()
    return [(codec.unpack_text(text), p, s, v) for article, text, p, s, v in rows if article not in left_out]


def varied(text: str, rng: random.Random) -> str:
    """Real text, other names and numbers: the same kind of news, not a copy."""

    def name(match: re.Match[str]) -> str:
        return rng.choice(LAST if rng.random() < 0.7 else FIRST) if rng.random() < 0.5 else match.group(0)

    def number(match: re.Match[str]) -> str:
        digits = len(match.group(0))
        return str(rng.randrange(10 ** (digits - 1) if digits > 1 else 0, 10**digits))

    text = re.sub(r"(?<=[a-z,;] )[A-Z][a-z]{2,}", name, text)
    return re.sub(r"\d+", number, text)


def trace_key(body: str) -> str:
    return hashlib.blake2b(" ".join(body.split())[-SUFFIX:].encode(), digest_size=8).hexdigest()


def write_distractors(folder: Path, passages: int, pool: list[tuple], seed: int = 7) -> dict[str, int]:
    """Distractor articles holding about `passages` passages; returns trace key -> pool row."""
    rng = random.Random(seed)
    traced: dict[str, int] = {}
    written = article = 0
    while written < passages:
        rows = [rng.randrange(len(pool)) for _ in range(rng.randint(4, 7))]
        bodies = [varied(pool[r][0], rng) for r in rows]
        for row, body in zip(rows, bodies):
            traced[trace_key(body)] = row
        headline = " ".join(varied(pool[rows[0]][0], rng).split()[:9]).rstrip(".,;:")
        path = folder / f"{article // PER_FOLDER:04d}" / f"{article:07d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(headline + "\n\n" + "\n\n".join(bodies) + "\n", encoding="utf-8")
        written += len(bodies)
        article += 1
    return traced


class ScaleEncoder:
    """Real vectors for text the real model embedded before (the BBC corpus), and for distractors
    the noisy real vectors of the passage each was varied from."""

    def __init__(self, real, pool: list[tuple], traced: dict[str, int]) -> None:
        import numpy as np

        from index.store import codec

        self.real = real
        self.name, self.dim, self.max_tokens = real.name, real.dim, real.max_tokens
        self.pool, self.traced = pool, traced
        self.codec = codec
        self.rng = np.random.default_rng(11)
        self.untraced = 0

    def count_tokens(self, text: str) -> int:
        return self.real.count_tokens(text)

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        return self.real.embed(texts)

    def embed_passages(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]):
        import numpy as np
        from eval import _key

        known = [i for i, t in enumerate(texts) if _key(t) in self.real.known]
        real_passages, real_sentences = self.real.embed_passages([texts[i] for i in known], [spans[i] for i in known])
        by_text: dict[int, tuple[np.ndarray, list[np.ndarray]]] = {}
        offset = 0
        for row, i in enumerate(known):
            by_text[i] = (real_passages[row], list(real_sentences[offset : offset + len(spans[i])]))
            offset += len(spans[i])
        passages, sentences = [], []
        for i, (text, text_spans) in enumerate(zip(texts, spans)):
            if i not in by_text:
                by_text[i] = self._traced(text, len(text_spans))
            passages.append(by_text[i][0])
            sentences += by_text[i][1]
        return np.stack(passages), np.asarray(sentences, dtype=np.float32).reshape(-1, self.dim)

    def _traced(self, text: str, spans: int) -> "tuple[np.ndarray, list[np.ndarray]]":
        """The noisy real vectors of the passage this text was varied from."""
        row = self.traced.get(trace_key(text))
        if row is None:
            self.untraced += 1
            row = int(self.rng.integers(len(self.pool)))
        _, packed, _, packed_sentences = self.pool[row]
        passage = self.codec.unpack_passages([packed], self.dim)[0]
        source = self.codec.unpack_sentences([packed_sentences], self.dim)[0]
        same = len(source) == spans
        return self._moved(passage), [self._moved(source[n] if same else passage) for n in range(spans)]

    def _moved(self, vector: "np.ndarray") -> "np.ndarray":
        import numpy as np

        noise = self.rng.standard_normal(self.dim).astype(np.float32)
        moved = vector.astype(np.float32) + NOISE * noise / np.linalg.norm(noise)
        return moved / np.linalg.norm(moved)


def build_child(work: Path, passages: int) -> None:
    """Runs in its own process, so that its peak RSS is the build's alone."""
    from index.embed.model import model_info
    from index.indexer.update import update

    model = model_info()
    real = cached_encoder(model)
    bbc = CORPORA["bbc"]
    index_of("bbc", bbc, model, real, rebuild=False).close()
    index_of("web", CORPORA["web"], model, real, rebuild=False).close()
    from index.locations import cache_dir

    excluded = question_docs()
    pool = pool_rows(cache_dir() / "eval" / "indexes" / f"bbc-{model.name}", excluded)
    pool += pool_rows(cache_dir() / "eval" / "indexes" / f"web-{model.name}", set())
    log(f"pool: {len(pool)} real passages outside the {len(excluded)} question articles")
    folder = work / "distractors"
    traced = write_distractors(folder, max(0, passages - 10_400), pool)
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
        adds.append(written_mb(["index", *bot], env))
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
        "add_one_s": round(statistics.median(s for s, _, _ in adds), 2),
        "add_one_write_mb": round(statistics.median(mb for _, mb, _ in adds), 2),
        "noop_s": round(noop.seconds, 2),
        "cold_ask_s": round(ask.seconds, 2),
        "query_p50_ms": round(answer_p50 * 1000, 1),
        "query_p95_ms": round(answer_p95 * 1000, 1),
        "ask_rss_mb": round(ask.rss_mb),
        "disk_mb": round(disk / 1e6),
        "recall_at_10": round(recall, 4),
        "search_p50_ms": round(search_p50 * 1000, 1),
        "add_one_write_calls_mb": round(statistics.median(mb for _, _, mb in adds), 2),
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
