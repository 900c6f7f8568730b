"""The watcher's targets, measured on a real `bot watch` process (issue 15).

    python scripts/watch_bench.py [--burst 2000] [--soak 1800] [--json]

1. Latency: `bot watch` follows an index of the BBC corpus plus an empty incoming folder (a copy
   of scripts/eval.py's BBC index, so nothing is embedded twice). Ten new articles are written one
   at a time; each one's latency runs from its file's close to the moment the index holds it
   (the store is read every 10 ms, as a `bot ask` would open it).
2. Burst: `--burst` BBC files are copied into a watched, empty folder; the time until the index
   holds them all and the watcher is idle, against `bot index` of the same files into a fresh
   index, side by side in one run. The two indexes must hold the same passages.
3. Idle CPU: the watcher's own user + system CPU over 60 s with nothing changing (/proc).
4. Soak: one file rewritten every 5 s for `--soak` seconds; RSS after the first minute (the
   model is loaded by then) and at the end.
"""

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench import new_article, run  # noqa: E402
from eval import CORPORA, cached_encoder, index_of  # noqa: E402

BOT = str(Path(sys.executable).parent / "bot")
TICKS = os.sysconf("SC_CLK_TCK")
WARM_CHANGES = 12  # a minute of changes before the soak's first RSS reading


def log(message: str) -> None:
    print(f"[watch_bench] {message}", file=sys.stderr, flush=True)


def indexed(index_dir: Path) -> set[str]:
    """The display paths of the files the index holds now (a fresh read, as `bot ask` makes)."""
    from index.store import layout

    try:
        connection = sqlite3.connect(f"file:{layout.current(index_dir) / layout.DATABASE}?mode=ro", uri=True)
    except Exception:
        return set()
    try:
        return {row[0] for row in connection.execute("SELECT display FROM files WHERE state = 'indexed'")}
    finally:
        connection.close()


def passages(index_dir: Path) -> list[tuple[str, str]]:
    from index.store import codec, layout

    connection = sqlite3.connect(f"file:{layout.current(index_dir) / layout.DATABASE}?mode=ro", uri=True)
    rows = connection.execute("SELECT a.display, c.text FROM chunks c JOIN articles a ON a.id = c.article").fetchall()
    connection.close()
    return sorted((display.split("/", 1)[-1], codec.unpack_text(text)) for display, text in rows)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def until(condition, timeout: float, step: float = 0.01) -> float | None:
    """Seconds until condition() holds, or None after timeout."""
    began = time.perf_counter()
    while time.perf_counter() - began < timeout:
        if condition():
            return time.perf_counter() - began
        time.sleep(step)
    return None


def start_watcher(index_dir: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    watcher = subprocess.Popen(
        [BOT, "watch", "--index-dir", str(index_dir)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert watcher.stdout is not None
    line = watcher.stdout.readline()  # "Watching …": the catch-up is done once the observer runs
    log(line.strip())
    time.sleep(1.0)
    return watcher


def stop(watcher: subprocess.Popen[str]) -> None:
    watcher.send_signal(signal.SIGTERM)
    watcher.wait(timeout=60)


def latency(work: Path, env: dict[str, str]) -> dict:
    from index.embed.model import model_info
    from index.locations import cache_dir

    model = model_info()
    index_of("bbc", CORPORA["bbc"], model, cached_encoder(model), rebuild=False).close()
    index_dir = work / "bbc-index"
    shutil.rmtree(index_dir, ignore_errors=True)
    shutil.copytree(cache_dir() / "eval" / "indexes" / f"bbc-{model.name}", index_dir)
    incoming = work / "incoming"
    shutil.rmtree(incoming, ignore_errors=True)
    incoming.mkdir()
    (incoming / "first.txt").write_text(new_article(4999), encoding="utf-8")  # an empty folder is not a root
    run([BOT, "index", "--index-dir", str(index_dir), str(CORPORA["bbc"]), str(incoming)], env)
    watcher = start_watcher(index_dir, env)
    took = []
    try:
        for n in range(10):
            path = incoming / f"story-{n}.txt"
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(new_article(5000 + n))
            display = f"incoming/{path.name}"
            seconds = until(lambda display=display: display in indexed(index_dir), 20)
            took.append(seconds if seconds is not None else float("inf"))
            time.sleep(1.0)
        idle_began = cpu_seconds(watcher.pid)
        time.sleep(60)
        idle = (cpu_seconds(watcher.pid) - idle_began) / 60
    finally:
        stop(watcher)
    took.sort()
    return {
        "latency_median_s": round(took[len(took) // 2], 2),
        "latency_max_s": round(took[-1], 2),
        "idle_cpu_share": round(idle, 4),
    }


def burst(work: Path, env: dict[str, str], files: int) -> dict:
    sources = sorted(CORPORA["bbc"].rglob("*.txt"))[:files]
    staged = work / "burst-source"
    shutil.rmtree(staged, ignore_errors=True)
    for source in sources:
        target = staged / source.relative_to(CORPORA["bbc"])
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    clean_dir, watch_dir, folder = work / "burst-clean", work / "burst-watch", work / "burst"
    for path in (clean_dir, watch_dir, folder):
        shutil.rmtree(path, ignore_errors=True)
    # the model export and the OS file cache warm for both sides
    run([BOT, "index", "--index-dir", str(clean_dir), str(CORPORA["bbc"] / "sport" / "001.txt")], env)
    shutil.rmtree(clean_dir)
    clean = run([BOT, "index", "--index-dir", str(clean_dir), str(staged)], env)
    folder.mkdir()
    run([BOT, "index", "--index-dir", str(watch_dir), str(folder)], env)
    watcher = start_watcher(watch_dir, env)
    try:
        began = time.perf_counter()
        shutil.copytree(staged, folder, dirs_exist_ok=True)
        wanted = len(sources)
        settled = until(lambda: len(indexed(watch_dir)) >= wanted, 3600, 0.2)
        watched_s = time.perf_counter() - began if settled is not None else float("inf")
    finally:
        stop(watcher)
    same = passages(watch_dir) == passages(clean_dir)
    return {
        "burst_files": wanted,
        "burst_watch_s": round(watched_s, 1),
        "burst_index_s": round(clean.seconds, 1),
        "burst_ratio": round(watched_s / clean.seconds, 2),
        "burst_equals_clean_build": same,
    }


def soak(work: Path, env: dict[str, str], seconds: float) -> dict:
    folder, index_dir = work / "soak", work / "soak-index"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(index_dir, ignore_errors=True)
    folder.mkdir()
    (folder / "changing.txt").write_text(new_article(1), encoding="utf-8")
    run([BOT, "index", "--index-dir", str(index_dir), str(folder)], env)
    watcher = start_watcher(index_dir, env)
    try:
        time.sleep(2)
        first = 0.0
        began, n = time.perf_counter(), 0
        while time.perf_counter() - began < seconds:
            n += 1
            (folder / "changing.txt").write_text(new_article(100 + n), encoding="utf-8")
            time.sleep(5)
            if n == WARM_CHANGES:  # the model loads at the first update: growth counts from here
                first = rss_mb(watcher.pid)
        last = rss_mb(watcher.pid)
    finally:
        stop(watcher)
    return {
        "soak_s": round(seconds),
        "soak_changes": n,
        "soak_rss_start_mb": round(first),
        "soak_rss_end_mb": round(last),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=2000, help="files in the burst")
    parser.add_argument("--soak", type=float, default=1800, help="seconds of the soak")
    parser.add_argument("--only", default="latency,burst,soak", help="comma-separated parts to run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from index.locations import cache_dir

    work = cache_dir() / "watch_bench"
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    parts = args.only.split(",")
    result: dict = {"cores": os.cpu_count()}
    if "latency" in parts:
        result |= latency(work, env)
    if "burst" in parts:
        result |= burst(work, env, args.burst)
    if "soak" in parts:
        result |= soak(work, env, args.soak)
    result["load_1min"] = round(os.getloadavg()[0], 1)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
