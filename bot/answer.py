"""Retrieved passages -> the sentences that answer, with citations, or a refusal.

The sentence model (scoring.ranker) picks the sentences of the best passages that state the
answer; the abstention model decides from the evidence (how sure the ranker is, how much of the
question's rare vocabulary the best passage holds, whether it holds the kind of answer asked
for, how much of the question the index has never seen) whether to answer at all.
"""

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from index.scoring.features import SENTENCE, evidence, sentence_features
from index.scoring.ranker import ranker
from index.search.filters import Filters
from index.search.hybrid import Hit, Results, Settings, as_text, search
from index.search.searcher import Searcher

if TYPE_CHECKING:
    import numpy as np

# What scripts/eval.py --ablate can turn off, to measure what each part of the answer path adds.
COMPONENTS = ("expansion", "answer_types", "ranker", "sentence_model", "abstention_model")
ANSWER_PASSAGES = 3
MAX_SENTENCES = 3
SENTENCE_MARGIN = 1.0  # log-odds below the best sentence that still join the answer
# How far below the best sentence the asked-about speaker's own words may score and still come
# first: "what did Putin say about…" is answered by what Putin said, not by narration on the topic.
SPEECH_MARGIN = 3.0
ABSTAIN_BELOW = 0.2  # best cosine, when the abstention model is turned off


@dataclass
class AnswerSentence:
    text: str
    source: int
    published: str | None = None  # its article's date, shown when answers from several dates differ


@dataclass
class Copy:
    """Another article telling the same story: a near-identical copy, or an identical one."""

    path: str
    site: str | None
    published: str | None
    identical: bool = False


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
    disabled: Collection[str] = (),
    avoid: Collection[str] = (),
) -> Answer:
    """Answer question from the index.

    Args:
        query: the text to retrieve with, when it differs from the question (follow-ups).
        prefer: article keys to favour (the previous turn's).
        filters: only articles published in a period, or by a site.
        disabled: COMPONENTS to leave out (evaluation only).
        avoid: sentences the answer should not repeat (a follow-up's previous answer), unless
            nothing else answers.
    """
    question = as_text(question).strip()
    query = as_text(query or question)
    if searcher.empty:
        search(searcher, query)  # still refuses a question with no words
        return Answer(question, True, [], [], "No articles are indexed yet. Add some with: bot index PATH")
    if "expansion" in disabled:
        settings = replace(settings, articles=0)
    found = search(searcher, query, k, settings, prefer, filters=filters, disabled=frozenset(disabled))
    sources = [_source(n, hit) for n, hit in enumerate(found.hits, start=1)]
    if not found.hits or found.question is None:
        return Answer(question, True, [], sources, _refusal(searcher, found))
    chosen, confident = _best_sentences(searcher, found, set(avoid), disabled)
    if settings.mode != "lexical" and not confident:
        return Answer(question, True, [], sources, _refusal(searcher, found))
    for n, start, end in chosen:
        sources[n - 1].highlights.append([start, end])
    sentences = [
        AnswerSentence(sources[n - 1].text[start:end], n, sources[n - 1].published) for n, start, end in chosen
    ]
    if found.question.speakers is not None and len({s.published for s in sentences if s.published}) > 1:
        # what someone said on several dates: the newest first, each with its date
        sentences.sort(key=lambda s: s.published or "", reverse=True)
    return _in_reading_order(Answer(question, False, sentences, sources))


def _best_sentences(
    searcher: Searcher, found: Results, avoid: set[str], disabled: Collection[str]
) -> tuple[list[tuple[int, int, int]], bool]:
    """((source n, start, end) of the 1-3 sentences that answer, best first; whether to answer)."""
    import numpy as np

    question = found.question
    assert question is not None
    hits = [h for h in found.hits[:ANSWER_PASSAGES] if h.candidate is not None]
    candidates = [h.candidate for h in hits if h.candidate is not None]  # all of them; says so to mypy
    passage_probabilities = [h.probability for h in hits]
    refs, rows = sentence_features(question, candidates, passage_probabilities)
    if not refs:
        return [], False
    if "answer_types" in disabled:
        rows[:, SENTENCE.index("typed")] = 0.0
    if "sentence_model" in disabled or "ranker" in disabled:
        scores = rows[:, 0] + 0.4 * rows[:, 2] - 0.02 * np.asarray([r.rank for r in refs])
    else:
        scores = ranker().sentence.scores(rows)
    scores = scores + np.asarray([hits[r.rank].boost for r in refs], dtype=np.float32)  # the time asked about
    texts = [hits[r.rank].text[r.start : r.end] for r in refs]
    order = [i for i in np.argsort(-scores, kind="stable") if texts[i] not in avoid] or list(np.argsort(-scores))
    if "answer_types" not in disabled and question.speakers is not None:
        column = SENTENCE.index("attributed")
        spoken = [i for i in order if rows[i, column] and float(scores[i]) >= float(scores[order[0]]) - SPEECH_MARGIN]
        order = spoken + [i for i in order if i not in spoken]
    best = float(scores[order[0]])
    margin = SENTENCE_MARGIN if "sentence_model" not in disabled and "ranker" not in disabled else 0.1
    chosen = [
        (refs[i].rank + 1, refs[i].start, refs[i].end)
        for i in order[:MAX_SENTENCES]
        if float(scores[i]) >= best - margin
    ]
    over_time = _said_over_time(hits, refs, rows, scores, order) if question.speakers is not None else []
    if len(over_time) > 1:
        chosen = over_time
    if "abstention_model" in disabled:
        return chosen, found.best_dense >= ABSTAIN_BELOW
    model = ranker().abstain
    shares = np.exp(scores - scores.max())
    sentence_probability = float(shares[order[0]] / shares.sum()) if "sentence_model" not in disabled else 0.5
    row = evidence(
        question,
        candidates,
        passage_probabilities,
        sentence_probability,
        bool(rows[order[0], 5]),  # type: ignore[arg-type]
        found.best_dense,
    )
    return chosen, bool(model.probabilities(row)[0] >= model.threshold)


def _said_over_time(
    hits: list[Hit], refs: list, rows: "np.ndarray", scores: "np.ndarray", order: list
) -> list[tuple[int, int, int]]:
    """The speaker's best words on each of up to three dates, when the passages carry dates."""
    column = SENTENCE.index("attributed")
    best = float(scores[order[0]])
    picked: dict[str, tuple[int, int, int]] = {}
    for i in order:
        published = hits[refs[i].rank].article.published
        if rows[i, column] and published and published[:10] not in picked and float(scores[i]) >= best - SPEECH_MARGIN:
            picked[published[:10]] = (refs[i].rank + 1, refs[i].start, refs[i].end)
    return list(picked.values())[:MAX_SENTENCES]


def _refusal(searcher: Searcher, found: Results) -> str:
    """What the index does cover, when it cannot answer."""
    from index.store import catalog

    with searcher.snapshot() as connection:
        articles = catalog.article_count(connection)
    closest = found.hits[0].title if found.hits else None
    line = f"Nothing in the {articles:,} indexed articles answers this"
    return f"{line}; the closest is “{closest}”." if closest else f"{line}."


def _in_reading_order(result: Answer) -> Answer:
    """Number the sources in the order the answer cites them ([1] first), the rest by rank."""
    cited = list(dict.fromkeys(s.source for s in result.answer))
    order = cited + [s.n for s in result.sources if s.n not in cited]
    number = {old: new for new, old in enumerate(order, start=1)}
    by_old = {s.n: s for s in result.sources}
    result.sources = [replace(by_old[old], n=number[old]) for old in order]
    result.answer = [replace(s, source=number[s.source]) for s in result.answer]
    return result


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
        also_in=[Copy(c.display, c.site, c.published, c.duplicate_of == hit.article.id) for c in hit.copies],
    )
