"""BM25 over the chunks: built with bm25s, stored as plain arrays, scored with numpy.

Queries never import bm25s (its scipy import alone costs 0.3 s): the eager BM25 score
matrix is saved in CSC form, and a query sums the columns of its terms.
"""

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

DIRECTORY = "lexical"
ARRAYS = ("data", "indices", "indptr", "chunk_ids")
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


@functools.cache
def _stemmer():  # noqa: ANN202 - PyStemmer has no type hints
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(text: str, stopwords: frozenset[str]) -> list[str]:
    """Lower-cased, stemmed words; punctuation and query syntax are simply not words."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in stopwords]
    return _stemmer().stemWords(words)


@functools.cache
def index_stopwords() -> frozenset[str]:
    """The stopwords an index is built with (Lucene's English list, as bm25s ships it)."""
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def terms(text: str) -> str:
    """A chunk's BM25 terms, as the catalog keeps them so that rebuilding never re-tokenizes."""
    return " ".join(tokenize(text, index_stopwords()))


def build(chunk_terms: Sequence[str], chunk_ids: Sequence[int], directory: Path) -> None:
    """Index chunks' terms (aligned with chunk_ids) into directory/lexical."""
    import bm25s
    import numpy as np

    stopwords = index_stopwords()
    model = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
    tokens = [t.split() or [""] for t in chunk_terms]
    model.index(tokens, show_progress=False)
    target = directory / DIRECTORY
    target.mkdir()
    arrays = {
        "data": np.asarray(model.scores["data"], dtype=np.float32),
        "indices": np.asarray(model.scores["indices"], dtype=np.int32),
        "indptr": np.asarray(model.scores["indptr"], dtype=np.int64),
        "chunk_ids": np.asarray(chunk_ids, dtype=np.int64),
    }
    for name, array in arrays.items():
        np.save(target / f"{name}.npy", array, allow_pickle=False)
    meta = {"vocab": model.vocab_dict, "stopwords": sorted(stopwords)}
    (target / "vocab.json").write_text(json.dumps(meta, ensure_ascii=False))


@dataclass
class Lexical:
    """A loaded BM25 index (arrays memory-mapped)."""

    vocab: dict[str, int]
    stopwords: frozenset[str]
    arrays: dict[str, "np.ndarray"]

    @classmethod
    def read(cls, directory: Path) -> "Lexical":
        import numpy as np

        source = directory / DIRECTORY
        meta = json.loads((source / "vocab.json").read_text())
        arrays = {n: np.load(source / f"{n}.npy", mmap_mode="r", allow_pickle=False) for n in ARRAYS}
        vocab = dict(meta["vocab"])
        indptr, indices = arrays["indptr"], arrays["indices"]
        consistent = (
            len(indptr) >= 1
            and int(indptr[-1]) == len(arrays["data"]) == len(indices)
            and (len(indices) == 0 or 0 <= int(indices.min()) <= int(indices.max()) < len(arrays["chunk_ids"]))
            and all(isinstance(v, int) and 0 <= v < len(indptr) for v in vocab.values())
        )
        if not consistent:
            raise ValueError("BM25 arrays disagree")
        return cls(vocab, frozenset(meta["stopwords"]), arrays)

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency of a stemmed term (an unseen term is the rarest)."""
        import math

        indptr, chunks = self.arrays["indptr"], len(self.arrays["chunk_ids"])
        column = self.vocab.get(term)
        known = column is not None and column + 1 < len(indptr)
        found = int(indptr[column + 1] - indptr[column]) if known else 0
        return math.log(1 + (chunks - found + 0.5) / (found + 0.5))

    def search(self, question: str, k: int) -> list[tuple[int, float]]:
        """(chunk id, BM25 score) of the k best chunks sharing a term with the question."""
        import numpy as np

        data, indices, indptr = self.arrays["data"], self.arrays["indices"], self.arrays["indptr"]
        words = tokenize(question, self.stopwords)
        terms = {self.vocab[w] for w in words if w in self.vocab and self.vocab[w] + 1 < len(indptr)}
        chunk_ids = self.arrays["chunk_ids"]
        if not terms:
            return []
        postings = [np.arange(indptr[t], indptr[t + 1]) for t in terms]
        where = np.concatenate(postings)
        scores = np.bincount(indices[where], weights=data[where], minlength=len(chunk_ids))
        if not scores.any():
            return []
        k = min(k, int((scores > 0).sum()))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(chunk_ids[i]), float(scores[i])) for i in best]
