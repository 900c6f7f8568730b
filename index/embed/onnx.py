"""onnxruntime over the model's ONNX export: the backend of every query, never importing torch.

The session (0.15-0.3 s to create) is built in a background thread from construction on, so a
cold `bot ask` opens the index while the model loads. Pooling and normalisation follow the
properties sentence-transformers reported at export time, so the vectors agree with the torch
backend (cosine >= 0.999, checked by the tests).
"""

import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from index.embed.encoder import BATCH_SIZE, Spans
from index.embed.export import Properties, ensure_export
from index.embed.model import ModelInfo

if TYPE_CHECKING:
    import numpy as np


def load_tokenizer(info: ModelInfo) -> Any:
    """The model's own tokenizer.json, counting every word piece (no padding, no truncation)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(info.path / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


class Tokenizing:
    """Word pieces counted with the model's own tokenizer.json (no torch)."""

    def __init__(self, info: ModelInfo, properties: Properties) -> None:
        self.info = info
        self.name = info.name
        self.dim = properties.dim
        self.max_tokens = properties.max_tokens
        self.properties = properties
        self.tokenizer = load_tokenizer(info)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text).ids)


class OnnxEncoder(Tokenizing):
    def __init__(self, info: ModelInfo, on_prepare: Callable[[], None] = lambda: None, threads: int = 0) -> None:
        """threads: onnxruntime's intra-op threads (0: one per core; a Ray actor gets its share)."""
        # Here, not in the thread: numpy breaks when two threads import it at once.
        import numpy  # noqa: F401

        folder, properties = ensure_export(info, on_prepare)
        super().__init__(info, properties)
        self._path = folder / "model.onnx"
        self._threads = threads or os.cpu_count() or 1
        self._session: Any = None
        self._failure: BaseException | None = None
        # Not a daemon: a process that ends while onnxruntime builds its session (an indexer
        # whose passages all came from the vector cache) aborted in C++, "terminate called
        # without an active exception", exit 134, in 1 of 35 tries; the interpreter waits for it.
        self._loader = threading.Thread(target=self._load_session, name="onnx-session")
        self._loader.start()

    def _load_session(self) -> None:
        try:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = self._threads
            options.log_severity_level = 3
            self._session = onnxruntime.InferenceSession(str(self._path), options, providers=["CPUExecutionProvider"])
        except BaseException as error:
            self._failure = error

    @property
    def session(self) -> Any:
        self._loader.join()
        if self._failure is not None:
            raise self._failure
        return self._session

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        return self.embed_passages(texts, [()] * len(texts))[0]

    def embed_passages(self, texts: Sequence[str], spans: Sequence[Spans]) -> "tuple[np.ndarray, np.ndarray]":
        import numpy as np

        states = self._token_states(texts)
        vectors = np.asarray([pool(hidden, self.properties) for hidden, _ in states], dtype=np.float32)
        vectors = vectors.reshape(len(texts), self.dim)
        return vectors, span_vectors(states, vectors, spans, self.dim)

    def _inputs(self) -> list[str]:
        """The inputs the exported graph takes: a model with no token types (MPNet) has none."""
        return [given.name for given in self.session.get_inputs()]

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
                piece = truncate(encodings[i].ids, width)
                ids[row, : len(piece)] = piece
                mask[row, : len(piece)] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run(None, {name: feed[name] for name in self._inputs()})[0]
            for row, i in enumerate(batch):
                length = int(mask[row].sum())
                out[i] = (hidden[row, :length], truncate(encodings[i].offsets, length))
        return out


def truncate(ids: list, width: int) -> list:
    """Keep the final [SEP] when a text exceeds the window, as the HF tokenizer does."""
    return ids if len(ids) <= width else ids[: width - 1] + ids[-1:]


def pool(hidden: "np.ndarray", properties: Properties) -> "np.ndarray":
    """One text's vector from its token states, as the model's pooling says."""
    import numpy as np

    if properties.pooling == "cls":
        pooled = hidden[0]
    elif properties.pooling == "max":
        pooled = hidden.max(axis=0)
    else:
        pooled = hidden.mean(axis=0)
    return (normalised(pooled) if properties.normalize else pooled).astype(np.float32)


def normalised(vector: "np.ndarray") -> "np.ndarray":
    import numpy as np

    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def span_vectors(states, vectors, spans, dim: int) -> "np.ndarray":
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
            out.append(normalised(hidden[inside].mean(axis=0)) if inside else vector)
    return np.asarray(out, dtype=np.float32).reshape(len(out), dim)
