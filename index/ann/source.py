"""Where a segment's vectors come from while it is built: a new batch's, or the store's, a chunk at a time.

A merge of every segment at a million passages would hold 1.5 GB of float32 vectors if it read
them all first. Read CHUNK rows at a time, a build holds one chunk, the index it adds them to,
and its training sample.
"""

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

CHUNK = 50_000


class VectorSource(Protocol):
    """A segment's vectors (float32, normalised), keyed by chunk id, in the order they are added."""

    @property
    def ids(self) -> "np.ndarray": ...

    @property
    def dim(self) -> int: ...

    def read(self, positions: "np.ndarray") -> "np.ndarray":
        """The vectors at these positions of `ids`, in that order."""
        ...


def chunks(source: VectorSource) -> "Iterator[tuple[int, np.ndarray]]":
    """(first position, vectors) of each CHUNK of the source, in order."""
    import numpy as np

    for begin in range(0, len(source.ids), CHUNK):
        yield begin, source.read(np.arange(begin, min(begin + CHUNK, len(source.ids))))
