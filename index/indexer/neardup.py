"""Near-identical articles: MinHash over runs of four content words (datasketch), banded for lookup.

A wire story re-filed by another outlet, or re-filed by its own with a new first paragraph, a
trimmed ending and copy edits, keeps most of its runs of content words; a follow-up story on the
same event shares its names but few runs. Function words and reporting verbs are left out of the
runs ("has said" / "says" is house style, not news), so a copy edit breaks fewer of them.

A copy is judged by containment, not Jaccard similarity: the share of the shorter article's runs
that the longer one holds. A trimmed ending or a new section leaves the shorter text inside the
longer, which Jaccard punishes in proportion to what was cut. Containment comes from the Jaccard
estimate of the two signatures and the two run counts, each stored with the article. The shorter
must hold at least a third as many runs as the longer, so that a brief quoted in two different
longer stories does not join them into one cluster.

The store keeps each article's band hashes in an SQLite table (datasketch's own LSH index lives in
memory or Redis and would be rebuilt from every signature on each update), so a new article finds
its candidate copies in a few index lookups. THRESHOLD, the runs and the banding are measured by
scripts/neardup_check.py on real BBC variants and distinct BBC articles.
"""

import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

PERMUTATIONS = 128  # the Jaccard estimate's error is about 0.04 at 0.5
BANDS, ROWS = 32, 2  # of the first 64 hashes: a pair at Jaccard 0.3 shares a band with probability 0.95
THRESHOLD = 0.8  # containment; the BBC stories most alike that are not copies reach 0.74
SMALLEST_SHARE = 1 / 3  # the shorter article's runs, as a share of the longer's
SHINGLE = 4
_WORD = re.compile(r"[^\W_]+")


@functools.cache
def _stopwords() -> frozenset[str]:
    lines = Path(__file__).with_name("stopwords.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(word for line in lines if not line.startswith("#") for word in line.split())


@dataclass(frozen=True)
class Fingerprint:
    """An article's MinHash signature and how many distinct runs it was made of.

    The hashes keep the low 16 bits of each MinHash value (b-bit MinHash, Li and König 2010): two
    different values then agree by chance once in 65,536, which moves a Jaccard estimate by less
    than 0.0001. With 32-bit band hashes that is 384 bytes less an article: 81 MB for the 211,526
    articles of a million passages (scripts/scale.py).
    """

    hashes: "np.ndarray"
    shingles: int

    @classmethod
    def stored(cls, blob: bytes, shingles: int) -> "Fingerprint":
        """A fingerprint as the store keeps it: the hashes' bytes and the run count."""
        import numpy as np

        return cls(np.frombuffer(blob, dtype=np.uint16), shingles)

    def bands(self) -> list[int]:
        """One signed 32-bit hash per band of the signature: SQLite keeps it in 4 bytes, not 8. A
        chance collision only makes a candidate, which containment then rejects."""
        return [
            int.from_bytes(
                hashlib.blake2b(self.hashes[b * ROWS : (b + 1) * ROWS].tobytes(), digest_size=4).digest(),
                "little",
                signed=True,
            )
            for b in range(BANDS)
        ]

    @property
    def empty(self) -> bool:
        """A text with no sentence-like line has nothing to compare."""
        return self.shingles == 0


def fingerprint(text: str) -> Fingerprint:
    """The fingerprint of the text's sentence-like lines (menus and buttons differ between outlets
    and would hide a copy)."""
    import numpy as np
    from datasketch import MinHash

    stopwords = _stopwords()
    runs: set[str] = set()
    for line in text.split("\n"):
        words = _WORD.findall(line.lower())
        if len(words) < 8:
            continue
        words = [w for w in words if w not in stopwords]
        runs.update(" ".join(words[i : i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1)))
    runs.discard("")
    minhash = MinHash(num_perm=PERMUTATIONS, seed=1)
    minhash.update_batch([run.encode() for run in runs])
    return Fingerprint((np.asarray(minhash.hashvalues) & 0xFFFF).astype(np.uint16), len(runs))


def containment(first: Fingerprint, second: Fingerprint) -> float:
    """The estimated share of the shorter article's runs that the other holds."""
    jaccard = float((first.hashes == second.hashes).mean())
    shared = jaccard * (first.shingles + second.shingles) / (1 + jaccard)
    return min(1.0, shared / min(first.shingles, second.shingles))


def comparable(first: Fingerprint, second: Fingerprint) -> bool:
    """Whether two articles are of sizes that can be copies (neither empty, within SMALLEST_SHARE)."""
    smaller, larger = sorted((first.shingles, second.shingles))
    return smaller > 0 and smaller >= SMALLEST_SHARE * larger


def copies(first: Fingerprint, second: Fingerprint) -> bool:
    """Whether two articles tell one story in near-identical words."""
    return comparable(first, second) and containment(first, second) >= THRESHOLD
