"""Export the model to ONNX once, into a cache keyed by the model's fingerprint.

The bundled model stays the single source of truth: the export is derived from its weights
and rebuilt whenever they change. Only this module imports torch.
"""

import fcntl
import os
import warnings
from pathlib import Path

from index.atomic import fsync_dir
from index.embed import ModelInfo
from index.locations import cache_dir

OPSET = 17


def onnx_path(info: ModelInfo) -> Path:
    return cache_dir() / "onnx" / f"{info.name}-{info.fingerprint}" / "model.onnx"


def ensure_onnx(info: ModelInfo) -> Path:
    """The cached export for this model, made now (a few seconds, needs torch) if missing."""
    target = onnx_path(info)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            temporary = target.with_suffix(f".tmp{os.getpid()}")
            try:
                _export(info, temporary)
                with open(temporary, "rb") as written:
                    os.fsync(written.fileno())
                os.replace(temporary, target)
                fsync_dir(target.parent)
            finally:
                temporary.unlink(missing_ok=True)
    return target


def _export(info: ModelInfo, destination: Path) -> None:
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(info.path), attn_implementation="eager").eval()

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN201
            out = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    sample = torch.ones((2, 8), dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer chatter about shapes we declare dynamic anyway
        torch.onnx.export(
            Hidden(),
            (sample, sample, torch.zeros_like(sample)),
            str(destination),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )
