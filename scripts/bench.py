"""Speed and memory of the bot, written to BENCHMARKS.md (issues #4 and #5).

    python scripts/bench.py [--quick] [--corpus DIR] [--out BENCHMARKS.md]
    python scripts/bench.py --index-dir BUILT_INDEX --only reindex,cold,warm,chat --out /tmp/b.md

Every `bot` measurement is a whole process, as a user runs it (`--index-dir` in a temporary
directory; the default index is never touched), timed from outside, with its peak RSS taken
from os.wait4. Comparisons are ratios measured in the same run on the same machine, so a busy
machine slows both sides alike. `--quick` runs every measurement on a few articles, once or
twice, as a smoke test.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OTHERS = "<!-- other benchmarks: scripts/scale.py, watch_bench.py, ray_bench.py -->"
BBC = REPO.parent / "shared" / "corpora" / "bbc"
BOT = str(Path(sys.executable).parent / "bot")
QUESTION = "what did the chancellor say about the economy?"
SECTIONS = ("index", "reindex", "cold", "warm", "chat", "faiss")


@dataclass
class Run:
    """One finished process: wall and CPU seconds, peak resident memory, exit status, output."""

    seconds: float
    cpu: float
    rss_mb: float
    code: int
    stdout: str
    stderr: str


def run(command: Sequence[str], env: dict[str, str], check: bool = True) -> Run:
    """Run a process to the end; its own peak RSS comes from wait4 (not the whole tree's)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        began = time.perf_counter()
        process = subprocess.Popen(list(command), stdout=out, stderr=err, env=env, cwd=REPO)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        result = Run(seconds, cpu, usage.ru_maxrss / 1024, process.returncode, out.read(), err.read())
    if check and result.code != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.code}):\n{result.stderr[-2000:]}")
    return result


def median_run(command: Sequence[str], env: dict[str, str], times: int) -> Run:
    """Median wall and CPU seconds, max RSS, over `times` runs after one unmeasured warm-up run."""
    run(command, env)
    runs = [run(command, env) for _ in range(times)]
    middle = sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]
    middle.cpu = statistics.median(r.cpu for r in runs)
    middle.rss_mb = max(r.rss_mb for r in runs)
    return middle


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p95), nearest rank."""
    ordered = sorted(samples)
    return tuple(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] for q in (0.5, 0.95))  # type: ignore[return-value]


def latencies(questions: Sequence[str], step: Callable[[str], object]) -> tuple[float, float]:
    """(p50, p95) seconds of step over the questions, one at a time."""
    took = []
    for question in questions:
        began = time.perf_counter()
        step(question)
        took.append(time.perf_counter() - began)
    return percentiles(took)


@dataclass
class Table:
    """The rows of BENCHMARKS.md: what, result, goal, verdict."""

    rows: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, what: str, result: str, goal: str = "", ok: bool | None = None) -> None:
        verdict = "" if ok is None else ("met" if ok else "**not met**")
        self.rows.append((what, result, goal, verdict))
        print(f"{what}: {result}" + (f"  [goal {goal}: {verdict}]" if goal else ""), flush=True)

    def markdown(self) -> str:
        lines = ["| measurement | result | goal | |", "| --- | --- | --- | --- |"]
        lines += [f"| {what} | {result} | {goal} | {verdict} |" for what, result, goal, verdict in self.rows]
        return "\n".join(lines)


# --- the measurements ----------------------------------------------------------------------------


def library_seconds(stdout: str) -> float:
    """The indexer's own timing from its summary line `(… 12.3 s).`."""
    found = re.findall(r"\(([\d.]+) s\)\.", stdout)
    return float(found[-1]) if found else float("nan")


def chunk_count(stdout: str) -> int:
    found = re.search(r"(\d+) (?:passages )?in the index|(\d+) passages \(", stdout)
    return int(next(g for g in found.groups() if g)) if found else 0


def embedded_texts(index_dir: Path) -> list[str]:
    """What the encoder saw for every chunk: headline, then the passage on one line."""
    from index.search.searcher import Searcher
    from index.store import codec
    from index.text.split import embed_text

    opened = Searcher.open(index_dir, load_model=False)
    rows = opened.connection.execute(
        "SELECT a.title, c.text FROM chunks c JOIN articles a ON a.id = c.article ORDER BY c.id"
    ).fetchall()
    opened.close()
    return [embed_text(title, codec.unpack_text(text)) for title, text in rows]


RAW_ENCODE = """
import json, sys, time
from sentence_transformers import SentenceTransformer
from index.embed.encoder import BATCH_SIZE
from index.embed.model import bundled_model_path
texts = json.load(open(sys.argv[1]))
model = SentenceTransformer(str(bundled_model_path()), device="cpu")
model.encode(texts[:BATCH_SIZE], batch_size=BATCH_SIZE)
began, cpu = time.perf_counter(), time.process_time()
model.encode(texts, batch_size=BATCH_SIZE, normalize_embeddings=True)
print(time.perf_counter() - began, time.process_time() - cpu)
"""

FAISS_SEARCH = """
import sys, time
from pathlib import Path
import numpy as np
from index.ann.flat import open_index
began = time.perf_counter()
index = open_index(Path(sys.argv[1]) / "dense.faiss", {})  # exactly as `bot ask` opens a flat segment
opened = time.perf_counter() - began
queries = np.random.default_rng(1).standard_normal((int(sys.argv[2]), index.d)).astype(np.float32)
queries /= np.linalg.norm(queries, axis=1, keepdims=True)
took = []
for q in queries:
    began = time.perf_counter()
    index.search(q.reshape(1, -1), 50)
    took.append(time.perf_counter() - began)
took.sort()
status = open("/proc/self/status").read()
kb = lambda key: int(status.split(key + ":")[1].split()[0])
print(took[len(took) // 2], took[min(len(took) - 1, round(0.95 * (len(took) - 1)))], opened,
      kb("RssAnon") / 1024, kb("RssFile") / 1024)
"""


def bench_index(table: Table, corpus: Path, work: Path, env: dict[str, str]) -> Path:
    """Full index (ONNX and torch) vs raw SentenceTransformer.encode of the same texts."""
    index_dir = work / "index"
    onnx = run([BOT, "index", str(corpus), "--index-dir", str(index_dir)], env)
    chunks = chunk_count(onnx.stdout)
    texts = embedded_texts(index_dir)
    (work / "texts.json").write_text(json.dumps(texts))
    raw, raw_cpu = map(
        float, run([sys.executable, "-c", RAW_ENCODE, str(work / "texts.json")], env).stdout.split()[-2:]
    )
    torch = run([BOT, "index", "--rebuild", "--backend", "torch", str(corpus), "--index-dir", str(work / "torch")], env)
    articles = len(list(corpus.rglob("*.txt")))
    table.add(
        f"index throughput, `bot index` ONNX ({articles} articles, {chunks} chunks)",
        f"{chunks / onnx.seconds:.1f} chunks/s ({onnx.seconds:.1f} s wall, {onnx.cpu:.0f} s CPU, whole process; "
        f"{library_seconds(onnx.stdout):.1f} s in update())",
    )
    table.add(
        "raw `SentenceTransformer.encode` of the same chunk texts (model loaded, torch)",
        f"{len(texts) / raw:.1f} chunks/s ({raw:.1f} s wall, {raw_cpu:.0f} s CPU)",
    )
    table.add(
        "index throughput, `bot index --backend torch`",
        f"{chunks / torch.seconds:.1f} chunks/s ({torch.seconds:.1f} s wall, {torch.cpu:.0f} s CPU); "
        f"ONNX needs {onnx.cpu / torch.cpu:.2f}× the CPU of torch",
    )
    same_model = torch.cpu / raw_cpu - 1
    table.add(
        "`bot index --backend torch` overhead over raw encode (CPU seconds, whole process / encode − 1)",
        f"{same_model:+.0%} (wall: {torch.seconds / raw - 1:+.0%})",
        "≤ +10%",
        same_model <= 0.10,
    )
    default = onnx.cpu / raw_cpu - 1
    table.add(
        "`bot index` (ONNX, the default) over raw encode (CPU seconds)",
        f"{default:+.0%} (wall: {onnx.seconds / raw - 1:+.0%})",
        "≤ +10%",
        default <= 0.10,
    )
    table.add("peak RSS `bot index` (ONNX / torch)", f"{onnx.rss_mb:.0f} MB / {torch.rss_mb:.0f} MB")
    shutil.rmtree(work / "torch", ignore_errors=True)
    return index_dir


def bench_reindex(table: Table, corpus: Path, work: Path, index_dir: Path, env: dict[str, str], times: int) -> None:
    """Nothing changed, then one new article: whole process, median."""
    unchanged = median_run([BOT, "index", "--index-dir", str(index_dir)], env, times)
    table.add(
        "re-index, nothing changed (whole process, median)",
        f"{unchanged.seconds:.2f} s (CPU {unchanged.cpu:.2f} s)",
        "≤ 3 s",
        unchanged.seconds <= 3,
    )
    added = []
    extra = work / "added"
    extra.mkdir()
    for n in range(times):
        (extra / f"added{n}.txt").write_text(new_article(n), encoding="utf-8")
        added.append(run([BOT, "index", str(extra), "--index-dir", str(index_dir)], env))
    one = statistics.median(r.seconds for r in added)
    cpu = statistics.median(r.cpu for r in added)
    table.add(
        "re-index after adding one article (whole process, median)", f"{one:.2f} s (CPU {cpu:.2f} s)", "≤ 3 s", one <= 3
    )


def new_article(seed: int) -> str:
    """A ~350-word article whose sentences appear nowhere else (so nothing else is re-embedded)."""
    import random

    rng = random.Random(seed)
    words = (
        "council minister market shares profit league striker album festival budget railway harbour election court"
        " energy prices growth talks union airline software players"
    ).split()
    verbs = ["said", "announced", "warned", "confirmed", "denied", "expected", "reported"]

    def sentence() -> str:
        picked = rng.sample(words, 6)
        return (
            f"The {picked[0]} {rng.choice(verbs)} on Monday that the {picked[1]} and the {picked[2]} "
            f"would {rng.choice(['rise', 'fall', 'change', 'wait'])} "
            f"before the {picked[3]} {picked[4]} {picked[5]} talks."
        )

    paragraphs = [" ".join(sentence() for _ in range(4)) for _ in range(5)]
    return f"Benchmark story number {seed} about the {rng.choice(words)}\n\n" + "\n\n".join(paragraphs) + "\n"


def bench_cold(table: Table, index_dir: Path, env: dict[str, str], times: int) -> None:
    """`bot ask` as a fresh process vs importing sentence-transformers alone."""
    ask = median_run([BOT, "ask", QUESTION, "--index-dir", str(index_dir)], env, times)
    st = median_run([sys.executable, "-c", "import sentence_transformers"], env, times)
    table.add(
        f"`bot ask` cold, whole process (median of {times})",
        f"{ask.seconds:.2f} s (CPU {ask.cpu:.2f} s)",
        "≤ 0.5 s",
        ask.seconds <= 0.5,
    )
    table.add(
        f'`python -c "import sentence_transformers"` (median of {times})',
        f"{st.seconds:.2f} s (CPU {st.cpu:.2f} s, {st.rss_mb:.0f} MB)",
    )
    ratio = ask.seconds / st.seconds
    table.add(
        "`bot ask` / import sentence_transformers (wall)",
        f"{ratio:.3f}× (CPU: {ask.cpu / st.cpu:.3f}×)",
        "≤ 0.12×",
        ratio <= 0.12,
    )
    helps = median_run([BOT, "--help"], env, times)
    status = median_run([BOT, "status", "--index-dir", str(index_dir)], env, times)
    table.add("`bot --help` / `bot status` (median)", f"{helps.seconds:.2f} s / {status.seconds:.2f} s")
    table.add("peak RSS `bot ask`", f"{ask.rss_mb:.0f} MB")


def bench_warm(table: Table, index_dir: Path, queries: int) -> None:
    """In-process latency with the index and model loaded, on questions made of headlines."""
    from bot.answer import answer
    from index.search.hybrid import search
    from index.search.searcher import Searcher

    opened = Searcher.open(index_dir)
    titles = [t for (t,) in opened.connection.execute("SELECT title FROM articles ORDER BY key")]
    questions = [f"what happened: {titles[i % len(titles)].lower()}?" for i in range(queries)]
    answer(opened, questions[0])  # the first query waits for the ONNX session
    search_p50, search_p95 = latencies(questions, lambda q: search(opened, q, 5))
    answer_p50, answer_p95 = latencies(questions, lambda q: answer(opened, q, 5))
    table.add(
        f"warm query, search only (p50 / p95 of {queries})", f"{search_p50 * 1000:.0f} ms / {search_p95 * 1000:.0f} ms"
    )
    table.add(
        f"warm query, full answer (p50 / p95 of {queries})", f"{answer_p50 * 1000:.0f} ms / {answer_p95 * 1000:.0f} ms"
    )


def bench_chat(table: Table, work: Path, env: dict[str, str], queries: int) -> None:
    """`bot chat` once warm, on the seeds: answer and render a turn, as the REPL prints it."""
    import io

    from rich.console import Console

    from bot import render
    from bot.answer import answer
    from index.search.searcher import Searcher

    index_dir = work / "seeds-index"
    run([BOT, "index", str(REPO / "seeds"), "--index-dir", str(index_dir)], env)
    opened = Searcher.open(index_dir)
    lines = (REPO / "tests" / "data" / "seeds_questions.jsonl").read_text().splitlines()
    asked = [json.loads(line)["question"] for line in lines]
    questions = [asked[n % len(asked)] for n in range(queries)]
    screen = Console(file=io.StringIO(), force_terminal=True, width=100, highlight=False)
    turn = lambda q: screen.print(render.answer_text(answer(opened, q)))  # noqa: E731
    turn(questions[0])  # warm
    p50, p95 = latencies(questions, turn)
    table.add(
        f"`bot chat` warm turn on the seeds: answer + render (p50 / p95 of {queries})",
        f"{p50 * 1000:.0f} ms / {p95 * 1000:.0f} ms",
        "< 100 ms",
        p95 < 0.1,
    )


def bench_faiss(table: Table, work: Path, env: dict[str, str], vectors: int, dim: int = 384) -> None:
    """A synthetic flat index of `vectors` normalised vectors, searched memory-mapped like the bot does."""
    import faiss
    import numpy as np

    index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    rng = np.random.default_rng(0)
    for begin in range(0, vectors, 100_000):
        block = rng.standard_normal((min(100_000, vectors - begin), dim), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        index.add_with_ids(block, np.arange(begin, begin + len(block), dtype=np.int64))
    (work / "synthetic").mkdir()
    path = work / "synthetic" / "dense.faiss"
    faiss.write_index(index, str(path))
    del index
    searched = run([sys.executable, "-c", FAISS_SEARCH, str(path.parent), "20"], env)
    p50, p95, opened, anon, mapped = (float(x) for x in searched.stdout.split())
    label = f"{vectors / 1e6:g}M" if vectors >= 10**6 else f"{vectors // 1000}k"
    table.add(
        f"FAISS flat, {label} chunks × {dim} dims, mmap: search k=50 (p50 / p95)",
        f"{p50 * 1000:.0f} ms / {p95 * 1000:.0f} ms; open {opened:.2f} s; peak RSS {searched.rss_mb:.0f} MB "
        f"(after search: {anon:.0f} MB anonymous + {mapped:.0f} MB file-backed; "
        f"file {path.stat().st_size / 2**20:.0f} MB)",
    )
    path.unlink()


# --- the report --------------------------------------------------------------------------------


def machine() -> str:
    lines = Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    cpu = names[0] if names else platform.processor() or "unknown CPU"
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    from importlib.metadata import PackageNotFoundError, version

    versions = []
    for package in ("onnxruntime", "torch", "sentence-transformers", "faiss-cpu", "numpy"):
        try:
            versions.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            continue
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM; {platform.platform()}; "
        f"Python {platform.python_version()}; {', '.join(versions)}"
    )


def write_report(out: Path, table: Table, command: str, load: tuple[float, float], quick: bool, corpus: Path) -> None:
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    smoke = " (--quick: a smoke run, not representative)" if quick else ""
    text = f"""# Benchmarks

Produced by `scripts/bench.py`{smoke}; rerun it to refresh this file.

- Date: {now}
- Command: `{command}`
- Machine: {machine()}
- Corpus: `{os.path.relpath(corpus, REPO)}` (relative to the repository)
- Load average (1 min) at start / end: {load[0]:.1f} / {load[1]:.1f} on 2 cores. Anything else running
  slows absolute times; the ratios compare runs made side by side, so they hold up better.

{table.markdown()}

How each number is taken:
- *Whole process* times run `bot` as a user does, from a fresh process, timed from outside; peak
  RSS is that process's own `ru_maxrss` (os.wait4).
- *Raw encode* loads `SentenceTransformer` on the bundled all-MiniLM-L6-v2 first and times only
  `encode(texts, batch_size=32)` over exactly the texts `bot index` embedded (headline + passage),
  so the overhead rows charge `bot index` with everything else: start-up, model loading, reading,
  cleaning, splitting, BM25, FAISS and the atomic save. Overheads compare CPU seconds (user +
  system, all threads), which other work on the machine changes far less than wall time; the
  torch-backend row is the like-for-like one (same model code on both sides).
- *Cold* `bot ask` and the sentence-transformers import are medians after one unmeasured run (warm
  OS file cache, as for a user asking a second question).
- *Warm* latencies run in one process with the index and the ONNX model loaded; questions are
  made of the indexed headlines. The `bot chat` row answers tests/data/seeds_questions.jsonl on
  an index of seeds/ and renders each answer as the REPL prints it (rich, 100 columns).
- The synthetic FAISS index is an `IndexIDMap2(IndexFlatIP)` of random unit vectors, opened with
  `index.ann.flat.open_index` as `bot ask` opens a flat segment. Anonymous memory is what the
  process really holds; file-backed pages are shared page cache that a real memory map can drop.
"""
    # the other scripts' sections (scale, watcher, Ray) are written by hand below this line: kept
    kept = out.read_text(encoding="utf-8").partition(OTHERS)[2] if out.exists() else ""
    out.write_text(text + (f"\n{OTHERS}{kept}" if kept else ""), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few articles, few repetitions: a smoke test")
    parser.add_argument("--corpus", type=Path, help="folder of articles (default: the BBC corpus)")
    parser.add_argument("--out", type=Path, default=REPO / "BENCHMARKS.md")
    parser.add_argument("--repeat", type=int, help="runs per median (default 5, quick 2)")
    parser.add_argument("--index-dir", type=Path, help="measure a copy of this built index instead of indexing")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"some of: {','.join(SECTIONS)}")
    options = parser.parse_args()
    sections = set(options.only.split(","))
    if unknown := sections - set(SECTIONS):
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    times = options.repeat or (2 if options.quick else 5)
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    corpus = options.corpus or BBC
    if options.quick and options.corpus is None:
        corpus = work / "quick"
        corpus.mkdir()
        for source in sorted(BBC.glob("*/*.txt"))[::200]:
            shutil.copyfile(source, corpus / f"{source.parent.name}-{source.name}")
    env = dict(os.environ)
    env.pop("BOT_INDEX_DIR", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # users have .pyc files; measure with them
    env.setdefault("BOT_CACHE_DIR", str(Path(tempfile.gettempdir()) / "botcache"))
    os.environ["BOT_CACHE_DIR"] = env["BOT_CACHE_DIR"]
    load_start = os.getloadavg()[0]
    table = Table()
    try:
        if options.index_dir:
            index_dir = work / "index"
            shutil.copytree(options.index_dir, index_dir)
        elif sections & {"index", "reindex", "cold", "warm"}:
            index_dir = bench_index(table, corpus, work, env)
        if "reindex" in sections:
            bench_reindex(table, corpus, work, index_dir, env, times)
        if "cold" in sections:
            bench_cold(table, index_dir, env, times)
        if "warm" in sections:
            bench_warm(table, index_dir, 20 if options.quick else 200)
        if "chat" in sections:
            bench_chat(table, work, env, 20 if options.quick else 200)
        if "faiss" in sections:
            bench_faiss(table, work, env, 20_000 if options.quick else 1_000_000)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    command = "python scripts/bench.py " + " ".join(sys.argv[1:])
    write_report(options.out, table, command.strip(), (load_start, os.getloadavg()[0]), options.quick, corpus)
    print(f"wrote {options.out}")


if __name__ == "__main__":
    main()
