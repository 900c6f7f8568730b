"""Kill `bot index` at random moments and query the index while it is written (issue #6).

    python scripts/crash_test.py [--kills 20] [--files 150] [--askers 4] [--seed 6]

Three checks, each printing one summary line; the script exits 1 on the first violation.

1. Crashes: `bot index` runs on a copy of BBC articles that changes between runs (articles
   added, edited, deleted; every fifth run a --rebuild) and is SIGKILLed at a random moment.
   After every kill the index must be exactly the previous generation or the complete new
   one (same manifest generation, file set, and chunk count in manifest, FAISS, catalog and
   BM25), `bot ask` and `bot status` must succeed, and the next writer must get the lock at
   once (`--no-wait`), although the killed one never released it. Finally an unkilled
   `bot index` must leave the same chunk texts as a clean build of the same files.
2. Readers during writes: while `bot index` writes several generations, N processes open the
   index and answer questions in a loop; every query must succeed.
3. Two writers: the second `bot index` waits with a message and then succeeds; with
   `--no-wait` it fails with one line and exit 1.

Everything runs in a temporary directory (BOT_INDEX_DIR is never used).
"""

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BBC = REPO.parent / "shared" / "corpora" / "bbc"
BOT = [str(Path(sys.executable).parent / "bot")]
QUESTIONS = [
    "what did the chancellor say about the economy?",
    "who won the match?",
    "which company reported higher profits?",
    "what happened to the share price?",
]


class Violation(Exception):
    """A broken guarantee: the message says which and where."""


@dataclass(frozen=True)
class State:
    """What an index directory holds now, as seen from every one of its parts."""

    generation: int
    files: frozenset[str]
    chunks: int

    @classmethod
    def of(cls, index_dir: Path) -> "State | None":
        """None when there is no index yet; Violation when the parts disagree."""
        from index import catalog
        from index.errors import IndexNotFound
        from index.store import open_index

        try:
            opened = open_index(index_dir)
        except IndexNotFound:
            return None
        try:
            current = opened.manifest
            expected = current.chunk_count()
            rows = opened.catalog.execute("SELECT count(*) FROM chunks").fetchone()[0]
            documents = {r[0] for r in opened.catalog.execute("SELECT path FROM documents")}
            vectors = opened.dense.ntotal
            lexical = len(opened.lexical.arrays["chunk_ids"])
        except sqlite3.DatabaseError as error:
            raise Violation(f"{catalog.FILE_NAME} unreadable: {error}") from None
        finally:
            opened.catalog.close()
        if len({expected, rows, vectors, lexical}) != 1 and expected:
            raise Violation(
                f"generation {current.generation}: manifest {expected} chunks, catalog {rows}, "
                f"FAISS {vectors}, BM25 {lexical}"
            )
        canonical = {p for p, e in current.files.items() if e.duplicate_of is None}
        if documents != canonical:
            raise Violation(f"generation {current.generation}: catalog documents differ from the manifest")
        return cls(current.generation, frozenset(current.files), expected)


def bot(*args: object, index_dir: Path, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BOT, *map(str, args), "--index-dir", str(index_dir)],
        capture_output=True, text=True, timeout=timeout, env=_env(), check=False,
    )


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("BOT_INDEX_DIR", None)
    env.setdefault("BOT_CACHE_DIR", str(Path(tempfile.gettempdir()) / "botcache"))
    return env


def check_query_works(index_dir: Path, question: str) -> None:
    for args in (["ask", question], ["status"]):
        result = bot(*args, index_dir=index_dir)
        if result.returncode != 0 or "Traceback" in result.stderr:
            raise Violation(f"bot {args[0]} failed ({result.returncode}): {result.stderr.strip()[-500:]}")


def chunk_texts(index_dir: Path) -> list[tuple[str, str]]:
    from index.store import open_index

    opened = open_index(index_dir)
    try:
        return sorted(
            opened.catalog.execute("SELECT d.display, c.text FROM chunks c JOIN documents d USING (path)")
        )
    finally:
        opened.catalog.close()


# --- the corpus that changes between runs ------------------------------------------------------


class Corpus:
    """A folder of BBC articles, and a reserve of others to add from."""

    def __init__(self, folder: Path, files: int, rng: random.Random) -> None:
        pool = sorted(BBC.glob("*/*.txt"))
        if len(pool) < files * 2:
            raise SystemExit(f"need {files * 2} articles under {BBC}, found {len(pool)}")
        rng.shuffle(pool)
        self.folder, self.rng = folder, rng
        self.reserve = pool[files:]
        folder.mkdir(parents=True)
        for source in pool[:files]:
            self._copy(source)

    def _copy(self, source: Path) -> None:
        shutil.copyfile(source, self.folder / f"{source.parent.name}-{source.name}")

    def change(self) -> str:
        """Add a few articles, edit one, delete one: the next run has something to commit."""
        added = [self.reserve.pop() for _ in range(self.rng.randint(3, 12))]
        for source in added:
            self._copy(source)
        present = sorted(self.folder.iterdir())
        edited, deleted = self.rng.sample(present, 2)
        with open(edited, "a", encoding="utf-8") as handle:
            handle.write(f"\n\nA correction was added on day {self.rng.randint(1, 10**6)} of the year.\n")
        deleted.unlink()
        return f"+{len(added)} ~1 -1"

    def files(self) -> frozenset[str]:
        return frozenset(os.path.abspath(p) for p in self.folder.iterdir())


# --- 1. crashes --------------------------------------------------------------------------------


def crash_loop(work: Path, kills: int, files: int, rng: random.Random, log: Callable[[str], object] = print) -> int:
    """SIGKILL `bot index` until `kills` runs died mid-way; returns how many were killed."""
    corpus = Corpus(work / "src", files, rng)
    index_dir = work / "index"
    full = time.perf_counter()
    first = bot("index", corpus.folder, index_dir=index_dir)
    if first.returncode != 0:
        raise Violation(f"first bot index failed: {first.stderr.strip()[-500:]}")
    duration = {"update": time.perf_counter() - full, "rebuild": time.perf_counter() - full}
    log(f"first index: {first.stdout.strip().splitlines()[-1]}")
    killed = completed = 0
    attempt = 0
    while killed < kills:
        attempt += 1
        if attempt > kills * 4:
            raise Violation(f"only {killed} of {kills} runs could be killed mid-way in {attempt} tries")
        before = State.of(index_dir)
        change = corpus.change()
        wanted = corpus.files()
        mode = "rebuild" if attempt % 5 == 0 else "update"
        args = ["index", corpus.folder, "--no-wait"] + (["--rebuild"] if mode == "rebuild" else [])
        # a third of the kills at a random time, a third in the commit window, a third none
        when = ("random", "commit", "none")[attempt % 3]
        began = time.perf_counter()
        process = subprocess.Popen(
            [*BOT, *map(str, args), "--index-dir", str(index_dir)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
        )
        if when == "random":
            try:
                process.wait(timeout=rng.uniform(0.1, duration[mode] * 1.05))
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
        elif when == "commit":
            _kill_while_committing(process, index_dir, rng)
        _, stderr = process.communicate()
        elapsed = time.perf_counter() - began
        died = process.returncode == -signal.SIGKILL
        if not died and process.returncode != 0:
            raise Violation(f"bot index failed after a previous kill ({process.returncode}): {stderr.strip()[-500:]}")
        if not died:
            completed += 1
            duration[mode] = elapsed
        killed += died
        after = State.of(index_dir)
        if after is None:
            if before is not None:
                raise Violation("the index disappeared")
            verdict = "no index yet"
        elif before is not None and after == before:
            verdict = f"previous generation {after.generation}"
        elif after.files == wanted and (before is None or after.generation > before.generation):
            verdict = f"new generation {after.generation}"
        else:
            raise Violation(f"after a kill at {elapsed:.2f} s the index is neither old nor new: {after}")
        if not died and not verdict.startswith("new"):
            raise Violation(f"a finished run left {verdict}")
        check_query_works(index_dir, rng.choice(QUESTIONS))
        log(
            f"run {attempt:2d} ({mode}, {change}, kill: {when}): "
            f"{'killed' if died else 'finished'} at {elapsed:.2f} s -> {verdict}; ask + status ok"
        )
    final = bot("index", "--no-wait", index_dir=index_dir)
    if final.returncode != 0:
        raise Violation(f"final bot index failed: {final.stderr.strip()[-500:]}")
    clean_dir = work / "clean"
    clean = bot("index", corpus.folder, index_dir=clean_dir)
    if clean.returncode != 0:
        raise Violation(f"clean build failed: {clean.stderr.strip()[-500:]}")
    survived, fresh = chunk_texts(index_dir), chunk_texts(clean_dir)
    if survived != fresh:
        extra = sorted(set(survived) - set(fresh))[:3]
        missing = sorted(set(fresh) - set(survived))[:3]
        raise Violation(f"after the kills the index differs from a clean build: extra {extra}, missing {missing}")
    if State.of(index_dir).files != corpus.files():  # type: ignore[union-attr]
        raise Violation("the final index does not hold exactly the files on disk")
    log(f"crashes: {killed} kills survived ({completed} runs finished between them); "
        f"final index equals a clean build ({len(fresh)} chunks)")
    return killed


def _kill_while_committing(process: subprocess.Popen[str], index_dir: Path, rng: random.Random) -> None:
    """SIGKILL soon after the vectors are written: during BM25, fsync, rename or the manifest."""
    while process.poll() is None:
        if any(index_dir.glob("gen-*.tmp/dense.faiss")):
            time.sleep(rng.uniform(0, 0.4))
            process.send_signal(signal.SIGKILL)
            return
        time.sleep(0.005)


# --- 2. readers during writes -------------------------------------------------------------------


def asker(index_dir: Path, stop: Path, out: Path) -> None:
    """Open the index and answer a question, again and again, until `stop` exists."""
    from bot.answer import answer
    from index.embed import load_encoder
    from index.store import open_index

    encoder = load_encoder()
    encoder.embed(["warm up"])
    done, failures, generations = 0, [], set()
    while not stop.exists():
        try:
            opened = open_index(index_dir)
            generations.add(opened.manifest.generation)
            answer(opened, encoder, QUESTIONS[done % len(QUESTIONS)])
            opened.catalog.close()
        except Exception as error:  # noqa: BLE001 - every failure is counted and reported
            failures.append(f"{error.__class__.__name__}: {error}")
        done += 1
    out.write_text(json.dumps({"queries": done, "failures": failures, "generations": sorted(generations)}))


def concurrent_readers(
    work: Path, askers: int, rounds: int, rng: random.Random, log: Callable[[str], object] = print, files: int = 60
) -> int:
    """Answer in `askers` processes while `rounds` updates (the last a --rebuild) are written."""
    corpus = Corpus(work / "src", files, rng)
    index_dir = work / "index"
    if bot("index", corpus.folder, index_dir=index_dir).returncode != 0:
        raise Violation("initial index failed")
    stop = work / "stop"
    outputs = [work / f"asker{n}.json" for n in range(askers)]
    processes = [
        subprocess.Popen([sys.executable, __file__, "asker", str(index_dir), str(stop), str(out)], env=_env())
        for out in outputs
    ]
    try:
        time.sleep(3)  # let the askers load the model and start asking
        for n in range(rounds):
            corpus.change()
            args = ["index", corpus.folder] + (["--rebuild"] if n == rounds - 1 else [])
            result = bot(*args, index_dir=index_dir)
            if result.returncode != 0:
                raise Violation(f"bot index failed while readers ran: {result.stderr.strip()[-300:]}")
        time.sleep(1)
    finally:
        stop.touch()
        for process in processes:
            process.wait(timeout=120)
    reports = [json.loads(out.read_text()) for out in outputs]
    queries = sum(r["queries"] for r in reports)
    failures = [f for r in reports for f in r["failures"]]
    generations = sorted({g for r in reports for g in r["generations"]})
    if failures:
        raise Violation(f"{len(failures)} of {queries} concurrent queries failed, e.g. {failures[0]}")
    if len(generations) < 2:
        raise Violation(f"the readers only ever saw generation {generations}: no overlap with the writer")
    log(f"readers: {queries} queries by {askers} processes during {rounds} index runs "
        f"(generations {generations[0]}..{generations[-1]} seen): 0 failures")
    return queries


# --- 3. two writers --------------------------------------------------------------------------


def two_writers(work: Path, rng: random.Random, log: Callable[[str], object] = print) -> None:
    """The second writer waits (with a message) or, with --no-wait, fails in one line."""
    corpus = Corpus(work / "src", 80, rng)
    index_dir = work / "index"
    first = subprocess.Popen(
        [*BOT, "index", str(corpus.folder), "--index-dir", str(index_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
    )
    lock = index_dir / "lock"
    deadline = time.time() + 120
    while not (lock.exists() and lock.read_text().startswith("pid")):
        if time.time() > deadline or first.poll() is not None:
            raise Violation("the first indexer never took the lock")
        time.sleep(0.05)
    refused = bot("index", corpus.folder, "--no-wait", index_dir=index_dir)
    lines = refused.stderr.strip().splitlines()
    if refused.returncode != 1 or len(lines) != 1 or "Another indexer" not in lines[0]:
        raise Violation(f"--no-wait while locked: exit {refused.returncode}, stderr {refused.stderr!r}")
    second = bot("index", corpus.folder, index_dir=index_dir)
    _, first_err = first.communicate(timeout=300)
    if first.returncode != 0 or second.returncode != 0:
        raise Violation(f"writers failed: {first_err.strip()[-300:]} / {second.stderr.strip()[-300:]}")
    if "Waiting for another indexer" not in second.stderr:
        raise Violation(f"the second writer did not say it waits: {second.stderr!r}")
    if not second.stdout.strip().startswith("Index is up to date"):
        raise Violation(f"the second writer redid the work: {second.stdout.strip()!r}")
    log(f"two writers: second waited ({lines[0][:60]}…), --no-wait refused in one line, exit 1")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "asker":
        asker(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--files", type=int, default=150)
    parser.add_argument("--askers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=4, help="index runs while the askers ask")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    options = parser.parse_args()
    rng = random.Random(options.seed)
    work = Path(tempfile.mkdtemp(prefix="crash-test-"))
    try:
        crash_loop(work / "crash", options.kills, options.files, rng)
        concurrent_readers(work / "readers", options.askers, options.rounds, rng)
        two_writers(work / "writers", rng)
    except (Violation, subprocess.TimeoutExpired) as error:
        print(f"FAILED: {error}", file=sys.stderr)
        print(f"(files kept in {work})", file=sys.stderr)
        sys.exit(1)
    if not options.keep:
        shutil.rmtree(work, ignore_errors=True)
    print("all crash and concurrency checks passed")


if __name__ == "__main__":
    main()
