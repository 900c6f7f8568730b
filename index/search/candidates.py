"""The passages a question's answer may be in: the dense and BM25 candidates, fused by
reciprocal rank, and then every passage of the few articles they point at most.

The right article is nearly always among the first few found (on BBC reader questions it is in
the top 5 for 0.98), while the passage that holds the answer often is not: a lead paragraph on
the same topic outranks the line with the number. So the best articles are read whole, and the
ranker (scoring.ranker) chooses among all their passages.
"""

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.scoring.features import Candidate
from index.scoring.tokenise import term_hash, tokenize, tokenize_at
from index.search.searcher import Searcher
from index.store import catalog

if TYPE_CHECKING:
    import numpy as np

MODES = ("hybrid", "dense", "lexical")


@dataclass(frozen=True)
class Settings:
    """Retrieval knobs (scripts/eval.py measures them)."""

    mode: str = "hybrid"
    # Hits of the dense search. With 50, the tuning halves (BBC, web pages, seeds, off-topic,
    # SQuAD) came out within a question of 30 on every set, and BBC answers took 34 ms, not 22.
    dense_candidates: int = 30
    # Hits of BM25: deeper, because among a million passages the answer's own words are what
    # still find it. 137 BBC tuning questions asked of 870,957 passages, right passage in the
    # top 5: 0.810 with 30 BM25 hits, 0.861 with 80 (0.876 asked of the BBC articles alone);
    # 80 dense hits instead gave 0.818. Answers p50 22.8 -> 28.1 ms there.
    lexical_candidates: int = 80
    rrf_k: int = 5
    dense_weight: float = 1.0
    lexical_weight: float = 1.5
    articles: int = 4  # articles read whole
    per_article: int = 60  # passages at most of each


def start_lexical(
    searcher: Searcher, terms: Iterable[str], settings: Settings, allowed: "np.ndarray | None"
) -> "Future[list[tuple[int, float]]] | None":
    """BM25's hits, searched in the searcher's second thread while the caller encodes the
    question and searches the dense segments (None when the mode leaves BM25 out).

    Args:
        terms: what BM25 looks up: the question's own terms (relevance.Question), not how it
            asks ("what", "did") nor a possessive's "s", which on 871,563 passages were half
            of the postings a reader's question read, for the least IDF.
    """
    if settings.mode not in ("hybrid", "lexical"):
        return None
    hashes = [term_hash(t) for t in terms]
    return searcher.beside.submit(searcher.lexical, hashes, settings.lexical_candidates, allowed)


def gather(
    searcher: Searcher,
    lexical: "Future[list[tuple[int, float]]] | None",
    query_vector: "np.ndarray | None",
    settings: Settings,
    allowed: "np.ndarray | None",
    prefer: tuple[str, ...] = (),
) -> tuple[list[Candidate], dict[int, catalog.ChunkRow], float]:
    """(candidates, their rows, best dense cosine) for a query, inside the caller's snapshot:
    the dense search runs here while BM25 (start_lexical) runs beside it (at 871,563 passages,
    answers p50 77.6 -> 69.2 ms, side by side)."""
    dense_hits: list[tuple[int, float]] = []
    if settings.mode in ("hybrid", "dense") and query_vector is not None:
        dense_hits = dense_search(searcher, query_vector, settings.dense_candidates, allowed)
    lexical_hits = lexical.result() if lexical is not None else []
    fused: dict[int, float] = {}
    for hits, weight in ((dense_hits, settings.dense_weight), (lexical_hits, settings.lexical_weight)):
        for rank, (chunk_id, _) in enumerate(hits):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (settings.rrf_k + rank + 1)
    rows = searcher.chunks(list(fused))
    best_articles: list[int] = []
    for chunk_id in sorted(rows, key=lambda i: -fused[i]):
        article = rows[chunk_id].article.id
        if article not in best_articles:
            best_articles.append(article)
    wanted = best_articles[: settings.articles]
    if prefer:
        wanted += [r.article.id for r in rows.values() if r.article.key in prefer and r.article.id not in wanted][:2]
    extra = [i for i in searcher.article_chunk_ids(wanted, settings.per_article) if i not in rows]
    rows |= searcher.chunks(extra)
    ids = list(rows)
    vectors = searcher.passage_vectors(ids)
    sentences = searcher.sentences(ids)
    dense_rank = {chunk_id: rank for rank, (chunk_id, _) in enumerate(dense_hits)}
    lexical_rank = {chunk_id: rank for rank, (chunk_id, _) in enumerate(lexical_hits)}
    lexical_score = dict(lexical_hits)
    headlines: dict[str, list[str]] = {}
    candidates = []
    for chunk_id, row in rows.items():
        if chunk_id not in vectors or chunk_id not in sentences:
            continue  # deleted since the segments were read
        spans, sentence_vectors = sentences[chunk_id]
        text = row.text
        title = row.article.title
        if title not in headlines:
            headlines[title] = tokenize(title, searcher.stopwords)
        terms, sentence_terms = _terms(headlines[title], text, spans.tolist(), searcher.stopwords)
        candidates.append(
            Candidate(
                id=chunk_id,
                text=text,
                title=row.article.title,
                article=row.article.id,
                paragraph=row.paragraph,
                vector=vectors[chunk_id],
                spans=spans,
                sentences=sentence_vectors,
                dense_rank=dense_rank.get(chunk_id),
                bm25_rank=lexical_rank.get(chunk_id),
                bm25_score=lexical_score.get(chunk_id),
                rrf=fused.get(chunk_id, 0.0),
                terms=terms,
                sentence_terms=sentence_terms,
            )
        )
    return candidates, rows, dense_hits[0][1] if dense_hits else 0.0


def _terms(
    headline: list[str], text: str, spans: list[tuple[int, int]], stopwords: frozenset[str]
) -> tuple[Counter[str], list[set[str]]]:
    """A passage's terms with its headline's (as BM25 indexed it), and each sentence's: the text
    is tokenised once and its words shared out by where they begin, as no word crosses a
    sentence's edge (a tokenising call per sentence was 9 of a 47 ms answer at 1M passages)."""
    starts, words = tokenize_at(text, stopwords)
    counts = Counter(headline)
    counts.update(words)
    per_sentence = [set(words[bisect_left(starts, start) : bisect_left(starts, stop)]) for start, stop in spans]
    return counts, per_sentence


def dense_search(
    searcher: Searcher, query: "np.ndarray", k: int, allowed: "np.ndarray | None"
) -> list[tuple[int, float]]:
    """The k nearest live chunks over every segment; approximate segments' candidates re-scored
    with the canonical vectors, so every score is an exact cosine."""
    found: list[tuple[int, float]] = []
    approximate: list[tuple[int, float]] = []
    for segment in searcher.dense:
        hits = segment.search(query, k, allowed)
        (found if segment.params["kind"] == "flat" else approximate).extend(hits)
    if approximate:
        import numpy as np

        vectors = searcher.passage_vectors([i for i, _ in approximate])
        if vectors:
            exact = np.stack(list(vectors.values())) @ query
            found += zip(vectors, exact.tolist())
    found.sort(key=lambda pair: (-pair[1], pair[0]))
    return found[:k]
