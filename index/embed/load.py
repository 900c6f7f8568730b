"""Choosing a backend for a model folder."""

from collections.abc import Callable

from index.embed.encoder import Encoder
from index.embed.model import ModelInfo, model_info

BACKENDS = ("onnx", "torch")


def load_encoder(
    model: ModelInfo | str | None = None,
    backend: str = "onnx",
    on_prepare: Callable[[], None] = lambda: None,
) -> Encoder:
    """The encoder for a model folder (default: the bundled model), on ONNX (fast) or torch.

    Args:
        on_prepare: called before the one-time ONNX export, which takes seconds.
    """
    info = model if isinstance(model, ModelInfo) else model_info(model)
    if backend == "torch":
        from index.embed.reference import TorchEncoder

        return TorchEncoder(info)
    from index.embed.onnx import OnnxEncoder

    return OnnxEncoder(info, on_prepare)
