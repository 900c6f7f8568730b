"""`bot index --ray`: embedding on a real Ray cluster (a head and a second node on this machine)
gives a local run's vectors, embeds only what changed, and fails in one line when it cannot."""

import shutil
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, SEEDS
from typer.testing import CliRunner

from bot.cli import app
from index.embed.model import model_info
from index.indexer.update import update
from index.store import codec, layout

sys.path.insert(0, str(REPO / "scripts"))
from synthetic_news import write_corpus

pytestmark = pytest.mark.slow
runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def no_token_auth():
    """cluster_utils' clusters run without Ray's token authentication, which `bot` turns on when
    this machine holds a token from an earlier `ray start`."""
    import os

    before = os.environ.get("RAY_AUTH_MODE")
    os.environ["RAY_AUTH_MODE"] = "disabled"
    yield
    if before is None:
        del os.environ["RAY_AUTH_MODE"]
    else:
        os.environ["RAY_AUTH_MODE"] = before


@pytest.fixture(scope="module")
def cluster(no_token_auth):
    import ray
    from ray.cluster_utils import Cluster

    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    nodes.add_node(num_cpus=1)
    nodes.wait_for_nodes()
    yield nodes.address
    ray.shutdown()
    nodes.shutdown()


def vectors(index_dir: Path) -> dict[bytes, tuple[np.ndarray, np.ndarray]]:
    connection = sqlite3.connect(layout.current(index_dir) / layout.DATABASE)
    rows = connection.execute("SELECT key, passage, sentences FROM vectors").fetchall()
    connection.close()
    sentences = codec.unpack_sentences([s for _, _, s in rows], 384)
    return {key: (codec.unpack_passages([p], 384)[0], s) for (key, p, _), s in zip(rows, sentences)}


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.atleast_2d(a), np.atleast_2d(b)
    return (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_a_cluster_index_equals_a_local_one_and_updates_incrementally(
    cluster: str, real_encoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("index.embed.cluster.HERE_BELOW", 0)  # parse and chunk these few files on the cluster too
    corpus = tmp_path / "news"
    shutil.copytree(SEEDS, corpus)
    write_corpus(corpus / "synthetic", 12)
    local_dir, ray_dir = tmp_path / "local", tmp_path / "ray"
    update(local_dir, [corpus], model_info(), lambda: real_encoder)

    result = runner.invoke(app, ["index", str(corpus), "--index-dir", str(ray_dir), "--ray", cluster])
    assert result.exit_code == 0, result.output
    here, there = vectors(local_dir), vectors(ray_dir)
    assert here.keys() == there.keys() and len(here) > 50
    for key, (passage, sentences) in here.items():
        assert cosines(passage, there[key][0]).min() >= 0.9999
        assert cosines(sentences, there[key][1]).min() >= 0.999  # 4-bit codes of near-equal vectors

    write_corpus(corpus / "more", 1, seed=9)
    again = runner.invoke(app, ["index", "--index-dir", str(ray_dir)], env={"BOT_RAY_ADDRESS": cluster})
    assert again.exit_code == 0, again.output
    assert "1 added" in again.output and "0 changed" in again.output
    embedded = int(again.output.split(" passages embedded")[0].rsplit(" ", 1)[-1])
    assert 0 < embedded <= 10  # only the new article's passages


def test_an_unreachable_cluster_is_one_line_and_leaves_the_index(tmp_path: Path, real_encoder) -> None:
    corpus = tmp_path / "news"
    shutil.copytree(SEEDS, corpus)
    index_dir = tmp_path / "index"
    update(index_dir, [corpus], model_info(), lambda: real_encoder)
    before = vectors(index_dir)
    write_corpus(corpus / "synthetic", 2)
    result = runner.invoke(app, ["index", "--index-dir", str(index_dir), "--ray", "127.0.0.1:9"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [result.output.strip()]
    assert "Cannot reach the Ray cluster at 127.0.0.1:9" in result.output
    assert vectors(index_dir).keys() == before.keys()


def test_without_ray_installed_the_fix_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_encoder) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    corpus = tmp_path / "news"
    shutil.copytree(SEEDS, corpus)
    result = runner.invoke(app, ["index", str(corpus), "--index-dir", str(tmp_path / "index"), "--ray", "auto"])
    assert result.exit_code == 1
    assert "pip install 'newsbot[ray]'" in result.output


def test_a_worker_node_killed_mid_run_the_run_completes(
    real_encoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import ray
    from ray.cluster_utils import Cluster

    ray.shutdown()  # the module's cluster: this test needs one whose node it can kill
    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    doomed = nodes.add_node(num_cpus=1)
    nodes.wait_for_nodes()
    corpus = tmp_path / "news"
    write_corpus(corpus, 40)
    monkeypatch.setattr("index.indexer.process.EMBED_BATCH", 8)
    ray_dir, local_dir = tmp_path / "ray", tmp_path / "local"

    def kill_when_started() -> None:
        database = ray_dir / "store-000001" / layout.DATABASE
        for _ in range(600):
            try:
                connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
                if connection.execute("SELECT count(*) FROM vectors").fetchone()[0] > 0:
                    connection.close()
                    break
                connection.close()
            except sqlite3.Error:
                pass
            threading.Event().wait(0.05)
        nodes.remove_node(doomed, allow_graceful=False)
        killed.set()

    killed = threading.Event()
    killer = threading.Thread(target=kill_when_started, daemon=True)
    killer.start()
    try:
        result = runner.invoke(app, ["index", str(corpus), "--index-dir", str(ray_dir), "--ray", nodes.address])
    finally:
        killer.join(timeout=60)
        ray.shutdown()
        nodes.shutdown()
    assert killed.is_set()
    assert result.exit_code == 0, result.output
    update(local_dir, [corpus], model_info(), lambda: real_encoder)
    here, there = vectors(local_dir), vectors(ray_dir)
    assert here.keys() == there.keys()
    assert min(cosines(p, there[k][0]).min() for k, (p, _) in here.items()) >= 0.9999


def test_a_worker_whose_model_differs_names_the_fix(tmp_path: Path) -> None:
    from index.embed.cluster import WorkerModel, _explain

    driver = WorkerModel.of(model_info())
    with pytest.raises(RuntimeError) as raised:
        WorkerModel(driver.path, driver.bundled, "another fingerprint").here()
    assert "same model folder" in _explain(raised.value)
    assert "install newsbot" in _explain(ModuleNotFoundError("No module named 'index'"))
    assert WorkerModel.of(model_info()).here().fingerprint == driver.fingerprint
