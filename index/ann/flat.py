"""Exact inner-product search, memory-mapped: opening costs nothing, whatever the size."""

from pathlib import Path
from typing import TYPE_CHECKING

from index.ann.source import VectorSource, chunks

if TYPE_CHECKING:
    import faiss
    import numpy as np


def build(source: VectorSource, path: Path) -> dict:
    import faiss

    index = faiss.IndexIDMap2(faiss.IndexFlatIP(source.dim))
    for begin, vectors in chunks(source):
        index.add_with_ids(vectors, source.ids[begin : begin + len(vectors)])
    faiss.write_index(index, str(path))
    return {"kind": "flat"}


def open_index(path: Path, params: dict) -> "faiss.Index":
    import faiss

    return faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)


def search(
    index: "faiss.Index", params: dict, query: "np.ndarray", k: int, selector: "faiss.IDSelector | None"
) -> "tuple[np.ndarray, np.ndarray]":
    """(scores, chunk ids) of the k nearest, for one query (a row)."""
    import faiss

    parameters = faiss.SearchParameters()  # by attribute: faiss's stubs do not know its keyword constructor
    if selector is not None:
        parameters.sel = selector
    return index.search(query, k, params=parameters)
