"""Retrieved passages -> the sentences that answer, with citations."""

from collections.abc import Collection
from dataclasses import dataclass, field

from index.scoring.relevance import Question, sentence_scores
from index.search.filters import Filters
from index.search.hybrid import Hit, Settings, as_text, search
from index.search.searcher import Searcher

ANSWER_PASSAGES = 3
MAX_SENTENCES = 3
SENTENCE_MARGIN = 0.10
ABSTAIN_BELOW = 0.2
# Picking sentences weighs terms less than ranking passages does (BBC answer_hit 0.46 vs 0.42).
ANSWER_TERM_WEIGHT = 0.4


@dataclass
class AnswerSentence:
    text: str
    source: int


@dataclass
class Copy:
    """Another article telling the same story (a near-identical copy)."""

    path: str
    site: str | None
    published: str | None


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
    published: str | None = None
    author: str | None = None
    site: str | None = None
    url: str | None = None
    also_in: list[Copy] = field(default_factory=list)


@dataclass
class Answer:
    """The JSON contract of `bot ask --json` is this dataclass's asdict."""

    question: str
    abstained: bool
    answer: list[AnswerSentence]
    sources: list[Source]
    message: str | None = None  # why it abstained, when it did


def answer(
    searcher: Searcher,
    question: str,
    k: int = 5,
    settings: Settings = Settings(),
    query: str | None = None,
    prefer: Collection[str] = (),
    filters: Filters | None = None,
) -> Answer:
    """Answer question from the index.

    Args:
        query: the text to retrieve with, when it differs from the question (follow-ups).
        prefer: article keys to favour (the previous turn's).
        filters: only articles published in a period, or by a site.
    """
    question = as_text(question).strip()
    query = as_text(query or question)
    if searcher.empty:
        search(searcher, query)  # still refuses a question with no words
        return Answer(question, True, [], [], "No articles are indexed yet. Add some with: bot index PATH")
    encoder = searcher.encoder
    query_vector = encoder.embed([query])[0]
    found = search(searcher, query, k, settings, prefer, query_vector, filters)
    hits = found.hits
    sources = [_source(n, hit) for n, hit in enumerate(hits, start=1)]
    if not hits or (settings.mode != "lexical" and found.best_dense < ABSTAIN_BELOW):
        return Answer(question, True, [], sources)
    question_vector = query_vector if query == question else encoder.embed([question])[0]
    asked = Question.of(question, question_vector, searcher.bm25, searcher.meta.stopwords)
    chosen = _best_sentences(searcher, asked, hits[:ANSWER_PASSAGES])
    for n, start, end in chosen:
        sources[n - 1].highlights.append([start, end])
    return Answer(
        question,
        False,
        [AnswerSentence(sources[n - 1].text[start:end], n) for n, start, end in chosen],
        sources,
    )


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
        published=hit.article.published,
        author=hit.article.author,
        site=hit.article.site,
        url=hit.article.url,
    )


def _best_sentences(searcher: Searcher, question: Question, hits: list[Hit]):  # noqa: ANN202
    """(source n, start, end) of the 1-3 sentences scoring best against the question.

    Score: index.relevance's sentence score, minus a little per rank of the sentence's passage;
    near-ties join the best, best first.
    """
    stored = searcher.sentences([hit.id for hit in hits])
    candidates, scores = [], []
    for n, hit in enumerate(hits, start=1):
        if hit.id not in stored:
            continue
        spans, vectors = stored[hit.id]
        relevance = sentence_scores(question, hit.text, spans, vectors, searcher.meta.stopwords, ANSWER_TERM_WEIGHT)
        for (start, end), score in zip(spans.tolist(), relevance.tolist()):
            candidates.append((n, start, end))
            scores.append(score - 0.02 * (n - 1))
    if not candidates:
        return []
    order = sorted(range(len(candidates)), key=lambda i: -scores[i])
    best = scores[order[0]]
    return [candidates[i] for i in order[:MAX_SENTENCES] if scores[i] >= best - SENTENCE_MARGIN]
