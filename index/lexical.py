"""BM25 over the chunks: built with bm25s, stored as plain arrays, scored with numpy.

Queries never import bm25s (its scipy import alone costs 0.3 s): the eager BM25 score
matrix is saved in CSC form, and a query sums the columns of its terms.
"""

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


def tokenize(text: str, stopwords: frozenset[str]) -> list[str]:
    """Lower-cased, stemmed words; punctuation and query syntax are simply not words."""
    import Stemmer

    words = [w for w in _TOKEN.findall(text.lower()) if w not in stopwords]
    return Stemmer.Stemmer("english").stemWords(words)


def build(texts: Sequence[str], chunk_ids: Sequence[int], directory: Path) -> None:
    """Index texts (aligned with chunk_ids) into directory/lexical."""
    import bm25s
    import numpy as np
    from bm25s.stopwords import STOPWORDS_EN

    stopwords = frozenset(STOPWORDS_EN)
    model = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
    tokens = [tokenize(t, stopwords) or [""] for t in texts]
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
        return cls(meta["vocab"], frozenset(meta["stopwords"]), arrays)

    def search(self, question: str, k: int) -> list[tuple[int, float]]:
        """(chunk id, BM25 score) of the k best chunks sharing a term with the question."""
        import numpy as np

        terms = {self.vocab[t] for t in tokenize(question, self.stopwords) if t in self.vocab}
        data, indices, indptr = self.arrays["data"], self.arrays["indices"], self.arrays["indptr"]
        chunk_ids = self.arrays["chunk_ids"]
        scores = np.zeros(len(chunk_ids), dtype=np.float32)
        for term in terms:
            begin, end = indptr[term], indptr[term + 1]
            np.add.at(scores, indices[begin:end], data[begin:end])
        if not terms or not scores.any():
            return []
        k = min(k, int((scores > 0).sum()))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(chunk_ids[i]), float(scores[i])) for i in best]
