"""Sentence relevance: IDF-weighted terms, and a preference for the asked-about speaker's words."""

from pathlib import Path

import numpy as np
import pytest

from index import lexical
from index.relevance import Question, sentence_scores

PASSAGES = [
    "The minister said the budget would rise.",
    "Lukashevich spoke to the minister about the budget.",
    "The minister visited a school.",
    "Putin said Assad should not leave today.",
]


@pytest.fixture
def bm25(tmp_path: Path) -> lexical.Lexical:
    terms = [lexical.terms(passage) for passage in PASSAGES]
    lexical.build(terms, list(range(1, len(PASSAGES) + 1)), tmp_path)
    return lexical.Lexical.read(tmp_path)


def scores(question: Question, text: str, bm25: lexical.Lexical) -> list[float]:
    spans = np.asarray([[0, len(text)]], dtype=np.int32)
    vectors = np.zeros((1, 3), dtype=np.float32)
    return sentence_scores(question, text, spans, vectors, bm25).tolist()


def test_rare_terms_count_more_than_common_ones(bm25: lexical.Lexical) -> None:
    question = Question.of("What did the minister tell Lukashevich?", np.zeros(3, np.float32), bm25)
    assert "what" not in question.term_weights and "did" not in question.term_weights
    rare = scores(question, "Lukashevich arrived.", bm25)[0]
    common = scores(question, "The minister arrived.", bm25)[0]
    assert rare > common > 0


@pytest.mark.parametrize(
    ("asked", "speaker", "not_speaker"),
    [
        ("what did Putin say about Assad stepping down?", "Putin", "Assad"),
        ("How did hollande react to the vote?", "Hollande", "vote"),
        ("What has Vladimir Putin said about weapons", "Putin", "weapons"),
    ],
)
def test_the_speaker_is_who_the_speech_verb_belongs_to(
    asked: str, speaker: str, not_speaker: str, bm25: lexical.Lexical
) -> None:
    question = Question.of(asked, np.zeros(3, np.float32), bm25)
    assert question.speakers is not None
    assert question.speakers.search(f"{speaker} said so.")
    assert not question.speakers.search(f"{not_speaker} said so.")


def test_the_speakers_reported_words_are_preferred(bm25: lexical.Lexical) -> None:
    question = Question.of("what did Putin say about Assad?", np.zeros(3, np.float32), bm25)
    quoted = scores(question, '"We do not think that Assad should leave," Putin said.', bm25)[0]
    narrated = scores(question, "Putin met Assad in Moscow.", bm25)[0]
    assert quoted > narrated + 0.4
    plain = Question.of("Where did Putin meet Assad?", np.zeros(3, np.float32), bm25)
    assert plain.speakers is None
