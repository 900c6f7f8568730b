"""The evidence a question's candidate passages and sentences are ranked by.

Each feature is one signal the retrieval literature and our failures point at: the dense and
BM25 views, how much of the question's rare vocabulary a passage or sentence holds, whether it
holds the kind of answer asked for (a number for "how many"), where it sits in its article,
how well its article as a whole matches, whether the asked-about speaker says it. How they
combine is learned (scoring.ranker, trained by scripts/train_ranker.py), not hand-weighted.
Features are relative to the candidate set (gaps to the best) so one model serves every
corpus.
"""

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from index.scoring.answer_types import YEAR, holds
from index.scoring.bm25 import K1, B
from index.scoring.relevance import REPORTS_SPEECH, Question
from index.scoring.tokenise import tokenize

if TYPE_CHECKING:
    import numpy as np

PASSAGE = tuple(
    "dense dense_gap dense_rank bm25_rank rrf terms terms_gap coverage rare title sentence sentence_gap"
    " sentence_coverage article article_gap article_rank lead position typed typed_sentence speaker length"
    " sentence_combined within_dense within_coverage within_rare within_combined article_hits article_coverage quote"
    " speaker_quote attributed".split()
)
SENTENCE = tuple(
    "cosine cosine_gap coverage rare coverage_before typed speaker quoted passage passage_rank first length echo"
    " attributed".split()
)
_QUOTE = re.compile(r"[\"“”]")
# A year the question names that none of the best passages mention: the articles are of
# another time ("the 2011 earthquake" asked of 2004-05 news). On the off-topic test half,
# refused 0.677 -> 0.774, the BBC, web and seed questions answered as often as before.
_YEAR = re.compile(YEAR)
_PRONOUN_SPEAKER = re.compile(r"\b(he|she|they)\s+(said|says|added|told|warned|insisted)\b", re.IGNORECASE)


@dataclass
class Candidate:
    """A passage that may answer, with what retrieval knew of it."""

    id: int
    text: str
    title: str
    article: int
    paragraph: int
    vector: "np.ndarray"
    spans: "np.ndarray"
    sentences: "np.ndarray"  # one vector per sentence, as stored: compare with question.sentence_vector
    dense_rank: int | None = None
    bm25_rank: int | None = None
    bm25_score: float | None = None
    rrf: float = 0.0
    terms: Counter[str] = field(default_factory=Counter)  # of the headline and passage
    sentence_terms: list[set[str]] = field(default_factory=list)

    @property
    def length(self) -> int:
        return sum(self.terms.values())


def coverage(question: Question, terms: "set[str] | Counter[str]", rare: bool = False) -> float:
    """Share of the question's term weight (IDF) the text holds; only its rare terms if asked."""
    weights = question.rare_weights if rare else question.term_weights
    total = question.rare_total if rare else question.term_total
    return sum(w for t, w in weights.items() if t in terms) / total if total else 0.0


def _rank_feature(rank: int | None) -> float:
    return 1.0 / (1 + rank) if rank is not None else 0.0


def passage_features(question: Question, candidates: list[Candidate], average_length: float) -> "np.ndarray":
    """One row per candidate, one column per name in PASSAGE."""
    import numpy as np

    dense = np.asarray([float(c.vector @ question.vector) for c in candidates], dtype=np.float32)
    terms = np.asarray([_term_score(question, c, average_length) for c in candidates], dtype=np.float32)
    best_sentences = []
    for c in candidates:
        cosines = c.sentences @ question.sentence_vector if len(c.sentences) else np.zeros(1, dtype=np.float32)
        covered = [coverage(question, terms) for terms in c.sentence_terms] or [0.0]
        combined = cosines + np.asarray(covered[: len(cosines)] or [0.0])
        top = int(np.argmax(combined))
        sentence_text = c.text[c.spans[top][0] : c.spans[top][1]] if len(c.spans) else c.text
        best_sentences.append(
            (
                float(cosines.max()),
                max(covered),
                holds(question.asked, sentence_text),
                float(combined[top]),
                _attributed(question, c, top),
            )
        )
    article_best: dict[int, float] = {}
    for c, score in zip(candidates, dense):
        article_best[c.article] = max(article_best.get(c.article, -1.0), float(score))
    article_order = {a: r for r, a in enumerate(sorted(article_best, key=lambda a: -article_best[a]))}
    sentence_best = max((b[0] for b in best_sentences), default=0.0)
    coverages = [(coverage(question, c.terms), coverage(question, c.terms, rare=True)) for c in candidates]
    within: dict[int, list[float]] = {}  # the best of each, among the passages of one article
    for c, d, (cov, rare), best in zip(candidates, dense, coverages, best_sentences):
        top_so_far = within.setdefault(c.article, [-1.0, 0.0, 0.0, -1.0])
        within[c.article] = [
            max(top_so_far[0], float(d)),
            max(top_so_far[1], cov),
            max(top_so_far[2], rare),
            max(top_so_far[3], best[3]),
        ]
    hits: Counter[int] = Counter(c.article for c in candidates if c.rrf > 0)
    asks_speech = question.speakers is not None
    article_terms: dict[int, set[str]] = {}
    for c in candidates:
        article_terms.setdefault(c.article, set()).update(c.terms)
    title_terms = {title: set(tokenize(title, question.stopwords)) for title in {c.title for c in candidates}}
    rows = []
    for c, d, t, (cov, rare), (sentence, sentence_cov, typed_sentence, combined, attributed) in zip(
        candidates, dense, terms, coverages, best_sentences
    ):
        best_in_article = within[c.article]
        rows.append(
            [
                d,
                float(dense.max()) - d,
                _rank_feature(c.dense_rank),
                _rank_feature(c.bm25_rank),
                c.rrf,
                t,
                float(terms.max()) - t,
                cov,
                rare,
                coverage(question, title_terms[c.title]),
                sentence,
                sentence_best - sentence,
                sentence_cov,
                article_best[c.article],
                max(article_best.values()) - article_best[c.article],
                1.0 / (1 + article_order[c.article]),
                float(c.paragraph == 1),
                1.0 / c.paragraph,
                float(holds(question.asked, c.text)),
                float(typed_sentence),
                float(_speaks(question, c.text)),
                math.log1p(c.length),
                combined,
                best_in_article[0] - float(d),
                best_in_article[1] - cov,
                best_in_article[2] - rare,
                best_in_article[3] - combined,
                math.log1p(hits[c.article]),
                coverage(question, article_terms[c.article]),
                float(asks_speech and bool(_QUOTE.search(c.text))),
                float(asks_speech and bool(_QUOTE.search(c.text)) and _speaks(question, c.text)),
                float(attributed),
            ]
        )
    return np.asarray(rows, dtype=np.float32).reshape(len(candidates), len(PASSAGE))


def _term_score(question: Question, candidate: Candidate, average_length: float) -> float:
    """BM25 of the question's terms in the passage (headline included), with the index's IDF."""
    length = candidate.length
    score = 0.0
    for term, weight in question.term_weights.items():
        tf = candidate.terms.get(term, 0)
        if tf:
            score += weight * tf / (tf + K1 * (1 - B + B * length / max(average_length, 1.0)))
    return score


def _attributed(question: Question, candidate: Candidate, index: int) -> bool:
    """For a question about what someone said: the sentence is speech (quoted or reported) and
    the speaker is named in it or in a sentence next to it ("…," Putin said)."""
    if question.speakers is None or not len(candidate.spans):
        return False
    spans = candidate.spans.tolist()
    text = candidate.text[spans[index][0] : spans[index][1]]
    if not (_QUOTE.search(text) or REPORTS_SPEECH.search(text)):
        return False
    around = spans[max(0, index - 1) : index + 2]
    return any(question.speakers.search(candidate.text[start:end]) for start, end in around)


def _speaks(question: Question, text: str) -> bool:
    """The speaker the question asks about, reporting something, in the text."""
    return bool(question.speakers and question.speakers.search(text) and REPORTS_SPEECH.search(text))


@dataclass(frozen=True)
class SentenceRef:
    """A sentence of a ranked passage: which passage (by rank), its offsets in the passage text."""

    rank: int
    start: int
    end: int


def sentence_features(
    question: Question, candidates: list[Candidate], probabilities: list[float]
) -> "tuple[list[SentenceRef], np.ndarray]":
    """Every sentence of the given (ranked) passages, one row per name in SENTENCE."""
    import numpy as np

    refs, rows = [], []
    best_cosine = max(
        (float((c.sentences @ question.sentence_vector).max()) for c in candidates if len(c.sentences)), default=0.0
    )
    for rank, (candidate, probability) in enumerate(zip(candidates, probabilities)):
        cosines = candidate.sentences @ question.sentence_vector if len(candidate.sentences) else []
        previous: set[str] = set()
        previous_named = False
        for index, ((start, end), cosine, words) in enumerate(
            zip(candidate.spans.tolist(), cosines, candidate.sentence_terms)
        ):
            text = candidate.text[start:end]
            speaks = _speaks(question, text) or (previous_named and bool(_PRONOUN_SPEAKER.search(text)))
            echo = len(words & question.term_weights.keys()) / max(len(words), 1)
            rows.append(
                [
                    float(cosine),
                    best_cosine - float(cosine),
                    coverage(question, words),
                    coverage(question, words, rare=True),
                    coverage(question, words | previous),
                    float(holds(question.asked, text)),
                    float(speaks),
                    float(bool(question.speakers) and bool(_QUOTE.search(text))),
                    probability,
                    1.0 / (1 + rank),
                    float(index == 0),
                    math.log1p(len(text.split())),
                    echo,
                    float(_attributed(question, candidate, index)),
                ]
            )
            refs.append(SentenceRef(rank, start, end))
            previous = words
            previous_named = bool(question.speakers and question.speakers.search(text))
    return refs, np.asarray(rows, dtype=np.float32).reshape(len(rows), len(SENTENCE))


def evidence(
    question: Question,
    top: list[Candidate],
    passage_probabilities: list[float],
    sentence_probability: float,
    sentence_typed: bool,
    best_dense: float,
) -> "np.ndarray":
    """One row of the abstention model's features (names in scoring.ranker.EVIDENCE).

    Args:
        top: the best passages, best first.
    """
    import numpy as np

    first = passage_probabilities[0] if passage_probabilities else 0.0
    second = passage_probabilities[1] if len(passage_probabilities) > 1 else 0.0
    best = top[0] if top else None
    held = set().union(*(c.terms for c in top)) if top else set()
    missing = [w for t, w in question.term_weights.items() if t not in held]
    rarest = max(question.term_weights.values(), default=1.0) or 1.0
    return np.asarray(
        [
            [
                first,
                first - second,
                sentence_probability,
                best_dense,
                coverage(question, best.terms, rare=True) if best else 0.0,
                coverage(question, best.terms) if best else 0.0,
                float(sentence_typed),
                float(question.asked.kind != "other"),
                math.log1p(len(question.term_weights)),
                max(missing, default=0.0) / rarest,
                coverage(question, held, rare=True),
                float(any(_YEAR.fullmatch(t) and t not in held for t in question.term_weights)),
            ]
        ],
        dtype=np.float32,
    )
