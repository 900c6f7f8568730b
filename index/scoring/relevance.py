"""A question as the ranker's features read it: its terms weighted by IDF, so that "Lukashevich"
counts for more than "said", and, when it asks what someone said, who that is.
"""

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.scoring.answer_types import Asked
from index.scoring.bm25 import Bm25
from index.scoring.tokenise import term_hash, tokenize

if TYPE_CHECKING:
    import numpy as np

# How a question is asked, not what it is about (BM25's stopword list keeps these).
QUESTION_WORDS = frozenset("what which who whom whose when where why how do does did has have had were about".split())
# "Dallaglio's" is about Dallaglio: the "s" is in half of all passages (Lucene's English
# analyser drops it too).
POSSESSIVE = re.compile(r"['’]s\b", re.IGNORECASE)
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

    @functools.cached_property  # read for every candidate passage and sentence
    def rare_weights(self) -> dict[str, float]:
        ranked = sorted(self.term_weights.items(), key=lambda item: -item[1])
        return dict(ranked[: max(1, (len(ranked) + 1) // 2)])

    @functools.cached_property
    def sentence_vector(self) -> "np.ndarray":
        """The question turned as the store keeps sentence vectors (store.codec), to compare
        with a candidate's sentences."""
        from index.store.codec import sentence_space

        return sentence_space(self.vector)

    @functools.cached_property
    def term_total(self) -> float:
        return sum(self.term_weights.values())

    @functools.cached_property
    def rare_total(self) -> float:
        return sum(self.rare_weights.values())

    @classmethod
    def of(cls, text: str, vector: "np.ndarray", bm25: Bm25, stopwords: Iterable[str]) -> "Question":
        stop = frozenset(stopwords)
        ignored = stop | QUESTION_WORDS
        speech = SPEAKER.search(text)
        if speech:  # "what did Putin say about…": the verb is how it asks, not what about
            ignored |= {speech.group(2).lower()}
        terms = set(tokenize(POSSESSIVE.sub("", text), ignored))
        before_verbs = [word for match in SPEAKER.finditer(text) for word in match.group(1).split()]
        names = [re.escape(word) for word in before_verbs if word.lower() not in ignored]
        speakers = re.compile(rf"\b({'|'.join(names)})\b", re.IGNORECASE) if names else None
        weights = {term: bm25.idf(term_hash(term)) for term in terms}
        return cls(text, vector, weights, speakers, Asked.of(text), stop)
