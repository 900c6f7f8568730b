"""Words as BM25 and the relevance features see them: lower-cased, stemmed, stopwords out."""

import functools
import hashlib
import re
from collections import Counter

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
MAX_TERM_CHARS = 40  # longer "words" are base64, URLs or glued text: never asked for
# Lucene's English stopword list (the one bm25s ships), kept in the index's metadata so that a
# query is always tokenised like the index it searches.
STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these they"
    " this to was will with".split()
)


@functools.cache
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(text: str, stopwords: frozenset[str] = STOPWORDS) -> list[str]:
    """Lower-cased, stemmed words; punctuation and query syntax are simply not words."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in stopwords and len(w) <= MAX_TERM_CHARS]
    return _stemmer().stemWords(words)


def tokenize_at(text: str, stopwords: frozenset[str] = STOPWORDS) -> tuple[list[int], list[str]]:
    """tokenize's words with where each begins in the text: one pass and one stemming call for a
    passage whose words are then shared out among its sentences. Where lower-casing changes the
    text's length (a dotted capital İ), words are found first and lower-cased after."""
    lowered = text.lower()
    found = _TOKEN.finditer(lowered if len(lowered) == len(text) else text)
    kept = [(m.start(), w) for m in found if (w := m.group().lower()) not in stopwords and len(w) <= MAX_TERM_CHARS]
    return [at for at, _ in kept], _stemmer().stemWords([w for _, w in kept])


@functools.lru_cache(maxsize=65536)
def term_hash(term: str) -> int:
    """A stemmed term as the signed 64-bit key the BM25 segments sort by."""
    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=8).digest(), "little", signed=True)


def term_counts(text: str, stopwords: frozenset[str] = STOPWORDS) -> Counter[int]:
    """Term hash -> occurrences: a passage as a BM25 segment stores it."""
    return Counter(term_hash(term) for term in tokenize(text, stopwords))
