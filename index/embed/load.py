"""Choosing a backend for a model folder."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from index.embed.encoder import Encoder
from index.embed.model import ModelInfo, model_info
from index.errors import MissingDependency

if TYPE_CHECKING:
    from index.embed.cluster import RayCluster

BACKENDS = ("onnx", "torch")
RAY_ADDRESS_VARIABLE = "BOT_RAY_ADDRESS"
QUERY_THREADS = 1


def load_encoder(
    model: ModelInfo | str | None = None,
    backend: str = "onnx",
    on_prepare: Callable[[], None] = lambda: None,
    queries: bool = False,
) -> Encoder:
    """The encoder for a model folder (default: the bundled model), on ONNX (fast) or torch.

    Args:
        on_prepare: called before the one-time ONNX export, which takes seconds.
        queries: for a searcher's questions, one at a time: ONNX on QUERY_THREADS threads,
            leaving the other cores to BM25, which runs beside the encoding. At 870,967
            passages, 175 BBC questions side by side in one process, search() p50 55 -> 38-45
            ms with one thread instead of one per core (2 here).
    """
    info = model if isinstance(model, ModelInfo) else model_info(model)
    if backend == "torch":
        from index.embed.reference import TorchEncoder

        return TorchEncoder(info)
    from index.embed.onnx import OnnxEncoder

    if queries:
        return OnnxEncoder(info, on_prepare, threads=QUERY_THREADS)
    return OnnxEncoder(info, on_prepare)


def cluster_address(option: str | None) -> str | None:
    """--ray, else $BOT_RAY_ADDRESS (None: embed here)."""
    import os

    return option or os.environ.get(RAY_ADDRESS_VARIABLE) or None


def ray_cluster(address: str, info: ModelInfo) -> "RayCluster":
    """The Ray cluster to parse, chunk and embed on (newsbot[ray]); joined when first used."""
    import importlib.util

    from index.embed.cluster import RayCluster

    try:  # found, not imported: Ray reads its settings from the environment at import
        installed = importlib.util.find_spec("ray") is not None
    except ValueError:  # a module set to None, as a test does to hide Ray
        installed = False
    if not installed:
        raise MissingDependency("Indexing on a Ray cluster needs Ray: pip install 'newsbot[ray]'")
    return RayCluster(address, info)
