"""The Encoder protocol every backend (and every test's fake) follows."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

BATCH_SIZE = 32
Spans = Sequence[tuple[int, int]]


class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    name: str
    dim: int
    max_tokens: int

    def embed(self, texts: Sequence[str]) -> "np.ndarray": ...

    def embed_passages(self, texts: Sequence[str], spans: Sequence[Spans]) -> "tuple[np.ndarray, np.ndarray]":
        """Vectors of the texts, and of each (start, end) span of each text, all spans in order."""
        ...

    def count_tokens(self, text: str) -> int: ...
