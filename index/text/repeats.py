"""Sentences shared between articles: the signal that tells site furniture from news."""

import hashlib
import re
from collections.abc import Iterable, Mapping

from index.text.normalise import units
from index.text.sentences import sentences

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


def sentence_keys(text: str) -> set[int]:
    """Keys of every sentence of a normalised article, for cross-article repetition counts."""
    return keys_of(p.text for p in units(text))


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
