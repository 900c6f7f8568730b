"""`bot index` killed at random moments, readers during writes, two writers.

A smaller run of scripts/crash_test.py (which does 20 kills on 150 articles), on articles it
generates (scripts/synthetic_news.py), so it runs wherever the repository is cloned; slow
because every step is a real `bot` process with the real model.
"""

import importlib.util
import random
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "crash_test.py"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def crash_test() -> ModuleType:
    spec = importlib.util.spec_from_file_location("crash_test", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Subprocesses share one ONNX export: the caller's BOT_CACHE_DIR if set, else a temp dir."""
    import os

    monkeypatch.setenv(
        "BOT_CACHE_DIR", os.environ.get("BOT_CACHE_DIR") or str(tmp_path_factory.getbasetemp() / "cache")
    )


def test_killed_indexer_leaves_old_or_new_generation(crash_test: ModuleType, tmp_path: Path) -> None:
    lines: list[str] = []
    killed = crash_test.crash_loop(
        tmp_path, kills=5, files=40, rng=random.Random(6), log=lines.append, source="generated"
    )
    assert killed == 5, lines


def test_readers_never_fail_while_the_index_is_written(crash_test: ModuleType, tmp_path: Path) -> None:
    lines: list[str] = []
    queries = crash_test.concurrent_readers(
        tmp_path, askers=4, rounds=3, rng=random.Random(7), log=lines.append, files=30, source="generated"
    )
    assert queries > 0, lines


def test_second_writer_waits_or_fails_in_one_line(crash_test: ModuleType, tmp_path: Path) -> None:
    crash_test.two_writers(tmp_path, random.Random(8), log=lambda line: None, source="generated")


def test_killed_watcher_leaves_a_whole_index_and_catches_up(crash_test: ModuleType, tmp_path: Path) -> None:
    lines: list[str] = []
    killed = crash_test.watcher_kills(
        tmp_path, kills=4, files=30, rng=random.Random(9), log=lines.append, source="generated"
    )
    assert killed == 4, lines
