"""Shared fixtures: an isolated index/cache/state per test, a fake encoder, the real one once."""

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from index.embed.model import ModelInfo

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, session_cache: Path) -> Path:
    """Every test gets its own index directory and state; the ONNX export cache is shared."""
    monkeypatch.setenv("BOT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("BOT_CACHE_DIR", str(session_cache))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "index"


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


class FakeEncoder:
    """Deterministic bag-of-words vectors: words shared by two texts make them similar."""

    name = "fake"
    dim = 64
    max_tokens = 64

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded += list(texts)
        return bag_of_words(texts, self.dim)

    def embed_passages(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]):
        """Sentences are embedded alone (not counted in `embedded`: they ride on their passage)."""
        pieces = [text[start:end] for text, text_spans in zip(texts, spans) for start, end in text_spans]
        return self.embed(texts), bag_of_words(pieces, self.dim)

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 2


def bag_of_words(texts: Sequence[str], dim: int) -> np.ndarray:
    """Normalised hashed word counts, with a small constant so no vector is zero."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in re.findall(r"\w+", text.lower()):
            digest = hashlib.blake2b(word.encode("utf-8", "replace"), digest_size=4).digest()
            out[row, int.from_bytes(digest, "little") % dim] += 1.0
        out[row, 0] += 0.01
    return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture
def fake_encoder() -> FakeEncoder:
    return FakeEncoder()


def fake_model(folder: Path, name: str = "fake") -> ModelInfo:
    """A model folder whose one file fixes its fingerprint; the encoder comes from the test."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "weights.txt").write_text(name, encoding="utf-8")
    return ModelInfo(folder, name)


@pytest.fixture
def fake_info(tmp_path: Path) -> ModelInfo:
    return fake_model(tmp_path / "fake-model")


@pytest.fixture(scope="session")
def real_encoder(session_cache: Path, tmp_path_factory: pytest.TempPathFactory):
    """The bundled model on the ONNX backend, loaded (and exported) once per test run."""
    import os

    os.environ["BOT_CACHE_DIR"] = str(session_cache)
    from index.embed.load import load_encoder

    return load_encoder()


@pytest.fixture(scope="session")
def seeds_index(real_encoder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds indexed once with the real model; tests must not modify it."""
    from index.embed.model import model_info
    from index.indexer.update import update

    directory = tmp_path_factory.mktemp("seeds-index")
    update(directory, [SEEDS], model_info(), lambda: real_encoder)
    return directory


def open_searcher(index_dir: Path, encoder: object):
    """A Searcher over index_dir that embeds questions with the given (fake or real) encoder."""
    from index.search.searcher import Searcher

    return Searcher.open(index_dir, encoder=encoder)  # type: ignore[arg-type]


# No test may skip: a skipped crash or SQuAD test is an untested guarantee that still shows green.
_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _skipped and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _skipped:
        terminalreporter.write_line(f"FAILED: {len(_skipped)} test(s) skipped, and no test may skip:", red=True)
        for nodeid in _skipped:
            terminalreporter.write_line(f"  {nodeid}")
