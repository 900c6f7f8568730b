"""sentence-transformers itself on torch: `--backend torch`, and the reference ONNX is checked against."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from index.embed.encoder import BATCH_SIZE, Spans
from index.embed.export import Properties
from index.embed.model import ModelInfo
from index.embed.onnx import Tokenizing, span_vectors, truncate

if TYPE_CHECKING:
    import numpy as np


class TorchEncoder(Tokenizing):
    def __init__(self, info: ModelInfo) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.set_verbosity_error()
        transformers_logging.disable_progress_bar()
        self.model: Any = SentenceTransformer(str(info.path), device="cpu")
        dimension = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        normalize = any(type(m).__name__ == "Normalize" for m in self.model)
        dim, max_tokens = dimension(), self.model.max_seq_length
        assert dim is not None and max_tokens is not None  # sentence-transformers types both as optional
        super().__init__(info, Properties(int(dim), int(max_tokens), "", normalize))

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        import numpy as np

        vectors = self.model.encode(list(texts), batch_size=BATCH_SIZE, normalize_embeddings=self.properties.normalize)
        return np.asarray(vectors, dtype=np.float32)

    def embed_passages(self, texts: Sequence[str], spans: Sequence[Spans]) -> "tuple[np.ndarray, np.ndarray]":
        import numpy as np

        outputs = self.model.encode(
            list(texts), batch_size=BATCH_SIZE, normalize_embeddings=self.properties.normalize, output_value=None
        )
        vectors = np.asarray([o["sentence_embedding"].float().numpy() for o in outputs], np.float32)
        vectors = vectors.reshape(len(texts), self.dim)
        states = []
        for text, output in zip(texts, outputs):
            length = int(output["attention_mask"].sum())
            offsets = truncate(self.tokenizer.encode(text).offsets, length)
            states.append((output["token_embeddings"][:length].float().numpy(), offsets))
        return vectors, span_vectors(states, vectors, spans, self.dim)
