"""Sentences shared between articles: the signal that tells site furniture from news."""

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping

from index.sentences import sentences

SENTENCE_KEY_MIN_WORDS = 4


def sentence_key(sentence: str) -> int | None:
    """A hash that matches near-identical sentences (case, punctuation, numbers ignored)."""
    words = re.findall(r"[^\W\d_]+", sentence.lower())
    if len(words) < SENTENCE_KEY_MIN_WORDS:
        return None
    digest = hashlib.blake2b(" ".join(words).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def keys_of(paragraphs: Iterable[str]) -> set[int]:
    """Keys of every sentence of an article's paragraphs."""
    keys = set()
    for paragraph in paragraphs:
        for start, end in sentences(paragraph):
            key = sentence_key(paragraph[start:end])
            if key is not None:
                keys.add(key)
    return keys


def repeat_counts(article_keys: list[set[int]]) -> dict[int, int]:
    """Sentence key -> number of distinct stories containing it.

    Two versions of one story (sharing at least a third of their sentences) count once, so
    the paragraphs they share are news, not furniture.
    """
    parent = list(range(len(article_keys)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    holders: dict[int, list[int]] = {}
    for i, keys in enumerate(article_keys):
        for key in keys:
            holders.setdefault(key, []).append(i)
    shared: Counter[tuple[int, int]] = Counter()
    for docs in holders.values():
        if 1 < len(docs) <= 50:
            shared.update((a, b) for a in docs for b in docs if a < b)
    for (a, b), overlap in shared.items():
        if overlap * 3 >= min(len(article_keys[a]), len(article_keys[b])):
            parent[root(a)] = root(b)
    return {
        key: stories
        for key, docs in holders.items()
        if (stories := len({root(i) for i in docs})) > 1
    }


def repeat_level(text: str, repeats: Mapping[int, int]) -> int:
    """How many articles share most of this paragraph's sentences (1 if none)."""
    weighted = []
    for start, end in sentences(text):
        key = sentence_key(text[start:end])
        if key is not None:
            weighted.append((repeats.get(key, 1), end - start))
    if not weighted:
        return 1
    total = sum(length for _, length in weighted)
    covered = 0
    for count, length in sorted(weighted, reverse=True):
        covered += length
        if covered * 2 >= total:
            return count
    return 1
