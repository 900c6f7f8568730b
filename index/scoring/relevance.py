"""How well a stored sentence answers a question: used to rerank passages and to pick answers.

A sentence scores its vector's cosine to the question plus the share of the question's term
weight it holds, terms weighted by IDF so that "Lukashevich" counts for more than "said"
(on SQuAD v1.1 this lifts the reranked hit@1 from 0.836, counting terms, to 0.850). A question
asking what someone said prefers that person's reported speech.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.scoring.answer_types import Asked
from index.scoring.bm25 import Bm25
from index.scoring.tokenise import term_hash, tokenize

if TYPE_CHECKING:
    import numpy as np

TERM_WEIGHT = 0.8
SPEAKER_BONUS = 0.5
# How a question is asked, not what it is about (BM25's stopword list keeps these).
QUESTION_WORDS = frozenset("what which who whom whose when where why how do does did has have had were about".split())
SPEECH_VERB = (
    r"(say|says|said|tell|told|think|thinks|claim(s|ed)?|warn(s|ed)?|argue[sd]?|insist(s|ed)?"
    r"|announce[sd]?|comment(s|ed)?|react(s|ed)?|respond(s|ed)?)\b"
)
# The words right before the verb: "what did Putin say about Assad" asks for Putin's words.
SPEAKER = re.compile(r"((?:[\w'’-]+\s+){1,3})" + SPEECH_VERB, re.IGNORECASE)
REPORTS_SPEECH = re.compile(
    r"[\"“”]|\b(said|says|told|added|according to|warned|insisted|argued|claimed|announced"
    r"|stated)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Question:
    """A question as passages and sentences are scored against it.

    `term_weights` are its stemmed terms by IDF; `rare_weights` the rarer half of them (the
    names and specifics an answering passage must share). `speakers` matches who a question
    asks about when it asks what someone said ("what did Putin say …"): their quoted or
    reported words answer it better than any sentence merely on the topic. `asked` is the kind
    of answer it wants.
    """

    text: str
    vector: "np.ndarray"
    term_weights: dict[str, float]
    speakers: "re.Pattern[str] | None"
    asked: Asked
    stopwords: frozenset[str]

    @property
    def rare_weights(self) -> dict[str, float]:
        ranked = sorted(self.term_weights.items(), key=lambda item: -item[1])
        return dict(ranked[: max(1, (len(ranked) + 1) // 2)])

    @classmethod
    def of(cls, text: str, vector: "np.ndarray", bm25: Bm25, stopwords: Iterable[str]) -> "Question":
        stop = frozenset(stopwords)
        ignored = stop | QUESTION_WORDS
        speech = SPEAKER.search(text)
        if speech:  # "what did Putin say about…": the verb is how it asks, not what about
            ignored |= {speech.group(2).lower()}
        terms = set(tokenize(text, ignored))
        before_verbs = [word for match in SPEAKER.finditer(text) for word in match.group(1).split()]
        names = [re.escape(word) for word in before_verbs if word.lower() not in ignored]
        speakers = re.compile(rf"\b({'|'.join(names)})\b", re.IGNORECASE) if names else None
        weights = {term: bm25.idf(term_hash(term)) for term in terms}
        return cls(text, vector, weights, speakers, Asked.of(text), stop)


def sentence_scores(
    question: Question,
    text: str,
    spans: "np.ndarray",
    vectors: "np.ndarray",
    stopwords: Iterable[str],
    term_weight: float = TERM_WEIGHT,
) -> "np.ndarray":
    """Scores of the sentences text[start:end] for (start, end) in spans, given their vectors."""
    import numpy as np

    total = sum(question.term_weights.values())
    extra = np.zeros(len(spans), dtype=np.float32)
    for row, (start, end) in enumerate(spans.tolist()):
        sentence = text[start:end]
        if total:
            held = question.term_weights.keys() & set(tokenize(sentence, frozenset(stopwords)))
            extra[row] = term_weight * sum(question.term_weights[term] for term in held) / total
        speaker = question.speakers and question.speakers.search(sentence)
        if speaker and REPORTS_SPEECH.search(sentence):
            extra[row] += SPEAKER_BONUS
    return vectors @ question.vector + extra
