"""The ONNX export of a model, made once per fingerprint with sentence-transformers itself.

The query path runs onnxruntime and never imports torch. What it needs to know about the model
(vector size, window, pooling, normalisation) is read here, once, from the loaded
SentenceTransformer — the library says it, whatever version wrote the folder — and kept beside
the export in `properties.json`.
"""

import fcntl
import json
import os
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from index.embed.model import ModelInfo
from index.errors import ModelUnavailable
from index.locations import cache_dir
from index.store.durable import fsync_dir, write_atomic

OPSET = 17
POOLINGS = ("mean", "cls", "max")


@dataclass(frozen=True)
class Properties:
    """How the model turns token states into one vector."""

    dim: int
    max_tokens: int
    pooling: str
    normalize: bool


def export_dir(info: ModelInfo) -> Path:
    return cache_dir() / "onnx" / f"{info.name}-{info.fingerprint}"


def read_properties(folder: Path) -> Properties | None:
    """The export's properties, or None when it has not been made (or is incomplete)."""
    try:
        raw = json.loads((folder / "properties.json").read_text())
        if not (folder / "model.onnx").is_file():
            return None
        return Properties(int(raw["dim"]), int(raw["max_tokens"]), str(raw["pooling"]), bool(raw["normalize"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def ensure_export(info: ModelInfo, on_prepare: Callable[[], None] = lambda: None) -> tuple[Path, Properties]:
    """The export folder and the model's properties, exporting now (seconds, needs torch) if needed.

    Args:
        on_prepare: called before a first-time export, so the caller can say why it waits.
    """
    folder = export_dir(info)
    found = read_properties(folder)
    if found is not None:
        return folder, found
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = read_properties(folder)
        if found is None:
            on_prepare()
            found = _export(info, folder)
    return folder, found


def _export(info: ModelInfo, folder: Path) -> Properties:
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    try:  # sentence-transformers 6 moved its modules; 5 has them here only
        from sentence_transformers.sentence_transformer.modules import Normalize, Pooling
    except ImportError:
        from sentence_transformers.models import Normalize, Pooling  # type: ignore[no-redef]  # the same classes

    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    try:
        model = SentenceTransformer(str(info.path), device="cpu")
    except (OSError, ValueError, KeyError) as error:
        raise ModelUnavailable(f"sentence-transformers cannot load {info.path}: {error}") from None
    pooling = next((m for m in model if isinstance(m, Pooling)), None)
    mode = getattr(pooling, "pooling_mode", None) or (pooling.get_pooling_mode_str() if pooling else "")
    if mode not in POOLINGS:
        raise ModelUnavailable(
            f"{info.path} pools token states by {mode or 'an unknown method'!r}; the ONNX backend "
            f"does {', '.join(POOLINGS)}. Index it with --backend torch."
        )
    dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    dim, max_tokens = dimension(), model.max_seq_length
    assert dim is not None and max_tokens is not None  # sentence-transformers types both as optional
    properties = Properties(
        dim=int(dim),
        max_tokens=int(max_tokens),
        pooling=mode,
        normalize=any(isinstance(m, Normalize) for m in model),
    )
    transformer = model[0].auto_model
    assert isinstance(transformer, torch.nn.Module)  # nn.Module's attribute lookup is typed Tensor | Module
    transformer = transformer.eval()

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    sample = torch.ones((2, 8), dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]}
    temporary = folder / f"model.onnx.tmp{os.getpid()}"
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer chatter about shapes we declare dynamic anyway
            torch.onnx.export(
                Hidden(),
                (sample, sample, torch.zeros_like(sample)),
                str(temporary),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=OPSET,
                dynamo=False,
            )
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, folder / "model.onnx")
    finally:
        temporary.unlink(missing_ok=True)
    fsync_dir(folder)
    write_atomic(folder / "properties.json", json.dumps(asdict(properties)).encode())
    return properties
