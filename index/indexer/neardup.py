"""Near-identical articles: MinHash over word 5-gram shingles (datasketch), banded for lookup.

A wire story re-filed by another outlet, or re-filed by its own with a new first paragraph, a
trimmed ending and copy edits, keeps most of its five-word runs; a follow-up story on the same
event shares its names but few runs. The store keeps each article's band hashes in an SQLite
table (datasketch's own LSH index lives in memory or Redis, and would be rebuilt from every
signature on each update), so a new article finds its candidate copies in a few index lookups;
a candidate counts as a copy when the signatures agree on at least THRESHOLD of their hashes
(the Jaccard similarity they estimate). THRESHOLD and the banding are measured by
scripts/neardup_check.py on real BBC variants and distinct BBC articles.
"""

import hashlib
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

PERMUTATIONS = 128  # the similarity estimate's error is about 0.04 at 0.5
BANDS, ROWS = (
    32,
    3,
)  # of the first 96 hashes: a pair at Jaccard 0.5 shares a band with probability 0.99, at 0.2 with 0.23
THRESHOLD = 0.5
SHINGLE = 5
_WORD = re.compile(r"[^\W_]+")


def signature(text: str) -> "np.ndarray":
    """The MinHash of the text's word 5-grams (of its sentence-like lines: menus and buttons differ
    between outlets and would hide a copy)."""
    import numpy as np
    from datasketch import MinHash

    minhash = MinHash(num_perm=PERMUTATIONS, seed=1)
    for line in text.split("\n"):
        words = _WORD.findall(line.lower())
        if len(words) < 8:
            continue
        minhash.update_batch(
            [" ".join(words[i : i + SHINGLE]).encode() for i in range(max(1, len(words) - SHINGLE + 1))]
        )
    return np.asarray(minhash.hashvalues, dtype=np.uint64)


def bands(values: "np.ndarray") -> list[int]:
    """One signed 64-bit hash per band of the signature."""
    return [
        int.from_bytes(
            hashlib.blake2b(values[b * ROWS : (b + 1) * ROWS].tobytes(), digest_size=8).digest(), "little", signed=True
        )
        for b in range(BANDS)
    ]


def similarity(first: "np.ndarray", second: "np.ndarray") -> float:
    """The Jaccard similarity two signatures estimate."""
    return float((first == second).mean())


def empty(values: "np.ndarray") -> bool:
    """A text with no sentence-like line: datasketch leaves every hash at its maximum."""
    return bool((values == (1 << 32) - 1).all())
