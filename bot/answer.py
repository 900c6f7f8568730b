"""Retrieved passages -> the sentences that answer, with citations."""

from collections.abc import Collection
from dataclasses import dataclass, field

from index.sentences import sentences
from index.embed import Encoder
from index.lexical import tokenize
from index.search import Hit, Settings, as_text, search
from index.store import Index

ANSWER_PASSAGES = 3
MAX_SENTENCES = 3
SENTENCE_MARGIN = 0.10
OVERLAP_WEIGHT = 0.6
ABSTAIN_BELOW = 0.2


@dataclass
class AnswerSentence:
    text: str
    source: int


@dataclass
class Source:
    """A passage behind the answer; `highlights` are [start, end] of answer sentences in `text`."""

    n: int
    title: str
    path: str
    paragraph: int
    score: float
    text: str
    file: str
    dense_score: float | None
    lexical_score: float | None
    highlights: list[list[int]] = field(default_factory=list)


@dataclass
class Answer:
    """The JSON contract of `bot ask --json` is this dataclass's asdict."""

    question: str
    abstained: bool
    answer: list[AnswerSentence]
    sources: list[Source]


def answer(
    index: Index,
    encoder: Encoder,
    question: str,
    k: int = 5,
    settings: Settings = Settings(),
    query: str | None = None,
    prefer: Collection[str] = (),
) -> Answer:
    """Answer question from the index.

    Args:
        query: the text to retrieve with, when it differs from the question (follow-ups).
        prefer: article files to favour (the previous turn's).
    """
    question = as_text(question).strip()
    query = as_text(query or question)
    query_vector = encoder.embed([query])[0]
    hits = search(index, encoder, query, k, settings, prefer, query_vector)
    sources = [_source(n, hit) for n, hit in enumerate(hits, start=1)]
    best_dense = _top_dense_score(index, query_vector) if hits else 0.0
    if not hits or (settings.mode != "lexical" and best_dense < ABSTAIN_BELOW):
        return Answer(question, True, [], sources)
    question_vector = query_vector if query == question else encoder.embed([question])[0]
    chosen = _best_sentences(index, encoder, question, question_vector, hits[:ANSWER_PASSAGES])
    for n, start, end in chosen:
        sources[n - 1].highlights.append([start, end])
    return Answer(
        question,
        False,
        [AnswerSentence(sources[n - 1].text[start:end], n) for n, start, end in chosen],
        sources,
    )


def _top_dense_score(index: Index, query_vector) -> float:  # noqa: ANN001
    """The best cosine in the whole index, so abstaining does not depend on -k."""
    from index.dense import search as dense_search

    best = dense_search(index.dense, query_vector, 1)
    return best[0][1] if best else 0.0


def _source(n: int, hit: Hit) -> Source:
    return Source(
        n=n,
        title=hit.title,
        path=hit.path,
        paragraph=hit.paragraph,
        score=round(hit.score, 6),
        text=hit.text,
        file=hit.file,
        dense_score=None if hit.dense_score is None else round(hit.dense_score, 4),
        lexical_score=None if hit.lexical_score is None else round(hit.lexical_score, 4),
    )


def _best_sentences(index, encoder, question, query_vector, hits):  # noqa: ANN001, ANN202
    """(source n, start, end) of the 1-3 sentences scoring best against the question.

    Score: cosine to the question, plus the share of the question's terms the sentence holds,
    plus a small prior for better-ranked passages; near-ties join the best, best first.
    """
    candidates = [
        (n, start, end)
        for n, hit in enumerate(hits, start=1)
        for start, end in sentences(hit.text)
    ]
    if not candidates:
        return []
    texts = [hits[n - 1].text[s:e] for n, s, e in candidates]
    vectors = encoder.embed(texts)
    stopwords = index.lexical.stopwords
    terms = set(tokenize(question, stopwords))
    scores = []
    for (n, _, _), text, vector in zip(candidates, texts, vectors):
        overlap = len(terms & set(tokenize(text, stopwords))) / len(terms) if terms else 0.0
        scores.append(float(vector @ query_vector) + OVERLAP_WEIGHT * overlap - 0.02 * (n - 1))
    order = sorted(range(len(candidates)), key=lambda i: -scores[i])
    best = scores[order[0]]
    return [candidates[i] for i in order[:MAX_SENTENCES] if scores[i] >= best - SENTENCE_MARGIN]
