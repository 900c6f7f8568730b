"""Search: gather the candidate passages (search.candidates), rank them with the learned passage
model (scoring.ranker), keep the k best distinct ones."""

import dataclasses
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from index.errors import BadQuestion
from index.ingest.dates import day
from index.scoring.features import PASSAGE, Candidate, passage_features
from index.scoring.ranker import ranker
from index.scoring.relevance import Question
from index.search.candidates import MODES, Settings, gather, start_lexical
from index.search.filters import Filters
from index.search.searcher import Searcher
from index.search.when import RELEVANT_MARGIN, When
from index.store.catalog import ArticleRow, ChunkRow

if TYPE_CHECKING:
    import numpy as np

__all__ = ["MODES", "Settings", "Hit", "Results", "search", "as_text"]
NEAR_DUPLICATE = 0.95
PREFERRED = 1.0  # log-odds added to a follow-up's previous articles


@dataclass
class Hit:
    """A retrieved passage with both retrievers' views of it and the ranker's."""

    id: int
    article: ArticleRow
    paragraph: int
    start: int
    end: int
    text: str
    score: float
    dense_score: float | None
    lexical_score: float | None
    candidate: Candidate | None = field(default=None, repr=False)
    probability: float = 0.0  # the ranker's belief, among all candidates, that this one answers
    boost: float = 0.0  # log-odds added for the time the question names (search.when)
    copies: list[ArticleRow] = field(default_factory=list)  # the story's other copies, earliest first

    @property
    def path(self) -> str:
        return self.article.display

    @property
    def file(self) -> str:
        return self.article.key

    @property
    def title(self) -> str:
        return self.article.title


@dataclass
class Results:
    """The k best distinct passages, best first, and what the answer step needs to go on:
    the question as analysed, and the best cosine of any passage (0.0 with no dense search)."""

    hits: list[Hit]
    best_dense: float
    question: Question | None = None


def search(
    searcher: Searcher,
    query: str,
    k: int = 5,
    settings: Settings = Settings(),
    prefer: Collection[str] = (),
    query_vector: "np.ndarray | None" = None,
    filters: Filters | None = None,
    disabled: frozenset[str] = frozenset(),
) -> Results:
    """The k best distinct passages for query.

    Args:
        prefer: article keys to favour (the previous answer's, for follow-up questions).
        query_vector: the query's embedding when the caller already has it.
        filters: only passages of articles published in a period, or by a site.
        disabled: parts to leave out, for ablations: "answer_types" (the ranker sees no answer
            type cues), "ranker" (passages in reciprocal-rank-fusion order).
    """
    import numpy as np

    query = as_text(query)
    if not re.search(r"\w", query):
        raise BadQuestion("Ask a question with at least one word.")
    if searcher.empty:
        return Results([], 0.0)
    vector = query_vector if query_vector is not None else np.zeros(searcher.meta.encoder_dim, dtype=np.float32)
    question = Question.of(query, vector, searcher.bm25, searcher.stopwords)
    with searcher.snapshot():
        allowed = searcher.allowed(filters) if filters and filters.active else None
        if allowed is not None and not len(allowed):
            return Results([], 0.0, question)
        lexical = start_lexical(searcher, question.term_weights, settings, allowed)
        if settings.mode != "lexical" and query_vector is None:  # while BM25 searches
            query_vector = searcher.encoder.embed([query])[0]
            question = dataclasses.replace(question, vector=query_vector)
        candidates, rows, best_dense = gather(searcher, lexical, query_vector, settings, allowed, tuple(prefer))
        if not candidates:
            return Results([], best_dense, question)
        features = passage_features(question, candidates, searcher.bm25.average_length)
        if "answer_types" in disabled:
            features[:, [PASSAGE.index("typed"), PASSAGE.index("typed_sentence")]] = 0.0
        scores = features[:, PASSAGE.index("rrf")].copy() if "ranker" in disabled else ranker().passage.scores(features)
        for position, candidate in enumerate(candidates):
            if rows[candidate.id].article.key in prefer:
                scores[position] += PREFERRED
        when = When.of(query)
        boosts = np.zeros(len(candidates), dtype=np.float32)
        if when.any:
            newest = day(searcher.connection.execute("SELECT max(published) FROM articles").fetchone()[0])
            floor = float(scores.max()) - RELEVANT_MARGIN
            boosts = np.asarray(
                [
                    when.boost(day(rows[c.id].article.published), newest, float(score) >= floor)
                    for c, score in zip(candidates, scores)
                ],
                dtype=np.float32,
            )
            scores = scores + boosts
        order = np.argsort(-scores, kind="stable")
        shares = np.exp(scores - scores.max())
        shares /= shares.sum()
        hits = [_hit(rows[candidates[i].id], candidates[i], float(scores[i]), question) for i in order]
        for hit, i in zip(hits, order):
            hit.probability, hit.boost = float(shares[i]), float(boosts[i])
        kept = _distinct(hits, k)
        clusters = searcher.copies(sorted({h.article.cluster for h in kept}))
        for hit in kept:
            hit.copies = [a for a in clusters.get(hit.article.cluster, []) if a.id != hit.article.id]
    return Results(kept, best_dense, question)


def _hit(row: ChunkRow, candidate: Candidate, score: float, question: Question) -> Hit:
    dense = float(candidate.vector @ question.vector) if candidate.dense_rank is not None else None
    return Hit(
        row.id, row.article, row.paragraph, row.start, row.end, row.text, score, dense, candidate.bm25_score, candidate
    )


def as_text(question: str) -> str:
    """Valid Unicode: a non-UTF-8 command line leaves lone surrogates the tokenizers reject."""
    return question.encode("utf-8", "replace").decode("utf-8")


def _distinct(hits: list[Hit], k: int) -> list[Hit]:
    """Drop passages identical or nearly identical to a better one (copies of a story)."""
    kept: list[Hit] = []
    seen_texts: set[str] = set()
    for hit in hits:
        key = " ".join(re.findall(r"\w+", hit.text.lower()))
        if key in seen_texts:
            continue
        vector = hit.candidate.vector if hit.candidate is not None else None
        if vector is not None and any(
            k.candidate is not None and float(vector @ k.candidate.vector) >= NEAR_DUPLICATE for k in kept
        ):
            continue
        seen_texts.add(key)
        kept.append(hit)
        if len(kept) == k:
            break
    return kept
