"""Embedding through Ray against a local run, side by side (issue 16).

    python scripts/ray_bench.py [--files 300] [--rounds 2] [--json]

Three ways of indexing the same BBC files (and the first half of them) into a fresh index, whole
`bot index` processes, interleaved round by round so that a busy machine slows them alike: locally (ONNX, one process
using every core), through a one-node Ray cluster (`ray start --head`, every core), and through a
two-node cluster on this machine (a head and a second node, half the cores each). Passages/s is
passages embedded over the process's wall time; the overhead compares each Ray run's wall time
with the local run's of the same round (the cluster is started beforehand, as a real one would
be; connecting, the workers' start, the actors' model loads and the streaming are charged to
Ray). The overhead per passage compares the slopes between the half and the whole corpus.

The driver's own rate bounds what any cluster can reach: with `--ray` the cluster parses, cleans
and splits, and the driver keeps reading the files' bytes, planning and writing, measured with a
free encoder, its wall time less the time spent in the work a cluster takes over. The estimate
for 16 nodes x 8 cores is the smaller of 128 x the measured per-core Ray rate and that rate.
"""

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench import run  # noqa: E402
from eval import CORPORA  # noqa: E402

BIN = Path(sys.executable).parent
BOT, RAY = str(BIN / "bot"), str(BIN / "ray")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalCluster:
    """`ray start` processes on this machine: a head and optionally more nodes."""

    def __init__(self, cpus_per_node: list[int], env: dict[str, str]) -> None:
        self.env = {**env, "RAY_TMPDIR": tempfile.mkdtemp(prefix="ray-"), "RAY_AUTH_MODE": "token"}
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        head = [
            RAY,
            "start",
            "--head",
            f"--port={self.port}",
            f"--num-cpus={cpus_per_node[0]}",
            "--include-dashboard=false",
        ]
        subprocess.run(head, env=self.env, check=True, capture_output=True)
        for cpus in cpus_per_node[1:]:
            worker = [RAY, "start", f"--address={self.address}", f"--num-cpus={cpus}"]
            subprocess.run(worker, env=self.env, check=True, capture_output=True)
        time.sleep(2)

    def stop(self) -> None:
        subprocess.run([RAY, "stop", "--force"], env=self.env, capture_output=True, check=False)


def embedded(stdout: str) -> int:
    return int(stdout.split(" passages embedded")[0].rsplit(" ", 1)[-1].replace(",", ""))


def driver_rates(corpus: Path) -> tuple[float, float]:
    """Passages/s of everything but embedding, with an encoder that costs nothing: (all of it in
    one process, as a local run does; only what stays on the driver of a Ray run, i.e. without
    the parsing and chunking a cluster takes over)."""
    import numpy as np

    from index.embed.load import load_encoder
    from index.embed.model import model_info
    from index.indexer.update import update

    real = load_encoder()

    class Free:
        name, dim, max_tokens = real.name, real.dim, real.max_tokens

        def count_tokens(self, text: str) -> int:
            return real.count_tokens(text)

        def embed(self, texts):
            return np.ones((len(texts), self.dim), dtype=np.float32) / np.sqrt(self.dim)

        def embed_passages(self, texts, spans):
            return self.embed(texts), self.embed([None] * sum(len(s) for s in spans))

    class Timed:
        """Every item here, timing the work a cluster would take off the driver."""

        spent = 0.0

        def map(self, work, items):
            for item in items:
                began = time.perf_counter()
                result = work(item)
                self.spent += time.perf_counter() - began
                yield result

        def tokens(self, local):
            return local

    spread = Timed()
    with tempfile.TemporaryDirectory() as work:
        began = time.perf_counter()
        report = update(Path(work), [corpus], model_info(), lambda: Free(), spread=spread)  # type: ignore[arg-type, return-value]
        wall = time.perf_counter() - began
    return report.chunks_embedded / wall, report.chunks_embedded / (wall - spread.spent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    # token authentication as `ray start` turns it on; the token given to the nodes and to bot
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "RAY_AUTH_TOKEN": os.environ.get("RAY_AUTH_TOKEN", secrets.token_hex(32)),
    }
    cores = os.cpu_count() or 1
    work = Path(tempfile.mkdtemp(prefix="ray-bench-"))
    corpus, half = work / "corpus", work / "half"
    chosen = sorted(CORPORA["bbc"].rglob("*.txt"))[: args.files]
    for n, source in enumerate(chosen):
        for folder in (corpus, half) if n < len(chosen) // 2 else (corpus,):
            target = folder / source.relative_to(CORPORA["bbc"])
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    run([BOT, "index", "--index-dir", str(work / "warm"), str(corpus / "business" / "001.txt")], env)  # ONNX export
    ways = {"local": None, "ray_1_node": [cores], "ray_2_nodes": [max(1, cores // 2)] * 2}
    seconds: dict[str, list[float]] = {way: [] for way in ways}
    halves: dict[str, list[float]] = {way: [] for way in ways}
    passages = half_passages = 0
    for round_ in range(args.rounds):
        for way, nodes in ways.items():
            cluster = LocalCluster(nodes, env) if nodes else None
            try:
                for folder, into in ((half, halves), (corpus, seconds)):
                    command = [BOT, "index", "--index-dir", str(work / f"{way}-{round_}-{folder.name}"), str(folder)]
                    result = run([*command, "--ray", cluster.address] if cluster else command, env)
                    into[way].append(result.seconds)
                    if folder == half:
                        half_passages = embedded(result.stdout)
            finally:
                if cluster:
                    cluster.stop()
            passages = embedded(result.stdout)
            print(
                f"[ray_bench] round {round_}: {way} {seconds[way][-1]:.1f} s ({halves[way][-1]:.1f} s for half)",
                file=sys.stderr,
                flush=True,
            )
    rates = {way: passages / statistics.median(s) for way, s in seconds.items()}
    overheads = {
        way: statistics.median(there / here for there, here in zip(seconds[way], seconds["local"])) - 1
        for way in ways
        if way != "local"
    }
    # per passage: the slope between the half and the whole corpus, what each further passage
    # costs once the run's fixed costs (start-up, joining the cluster, starting the workers and
    # the actors' model loads) are paid; the fixed cost is where that line meets zero passages
    slope = {
        way: [(big - small) / (passages - half_passages) for big, small in zip(seconds[way], halves[way])]
        for way in ways
    }
    marginal = {
        way: statistics.median(there / here for there, here in zip(slope[way], slope["local"])) - 1
        for way in ways
        if way != "local"
    }
    fixed = {way: [small - s * half_passages for small, s in zip(halves[way], slope[way])] for way in ways}
    one_process, driver = driver_rates(corpus)
    per_core = rates["ray_2_nodes"] / cores
    result = {
        "files": args.files,
        "passages": passages,
        "cores": cores,
        **{f"{way}_passages_per_s": round(rate, 1) for way, rate in rates.items()},
        **{f"{way}_overhead": round(o, 3) for way, o in overheads.items()},
        **{f"{way}_overhead_per_passage": round(o, 3) for way, o in marginal.items()},
        **{f"{way}_fixed_s": round(statistics.median(f), 1) for way, f in fixed.items()},
        "parsing_splitting_writing_passages_per_s": round(one_process, 1),
        "driver_passages_per_s": round(driver, 1),
        "per_core_passages_per_s": round(per_core, 1),
        "estimate_16x8_passages_per_s": round(min(128 * per_core, driver), 1),
        "load_1min": round(os.getloadavg()[0], 1),
    }
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
