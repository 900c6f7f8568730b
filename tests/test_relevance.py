"""Sentence relevance: IDF-weighted terms, and a preference for the asked-about speaker's words."""

from pathlib import Path

import numpy as np
import pytest

from index.scoring.bm25 import Bm25, Segment, SegmentWriter
from index.scoring.relevance import Question, sentence_scores
from index.scoring.tokenise import STOPWORDS, term_counts

PASSAGES = [
    "The minister said the budget would rise.",
    "Lukashevich spoke to the minister about the budget.",
    "The minister visited a school.",
    "Putin said Assad should not leave today.",
]


@pytest.fixture
def bm25(tmp_path: Path) -> Bm25:
    writer = SegmentWriter()
    for chunk_id, passage in enumerate(PASSAGES, start=1):
        writer.add(chunk_id, term_counts(passage))
    writer.write(tmp_path / "segment")
    return Bm25([Segment.open(tmp_path / "segment")], [None])


def scores(question: Question, text: str, bm25: Bm25) -> list[float]:
    spans = np.asarray([[0, len(text)]], dtype=np.int32)
    vectors = np.zeros((1, 3), dtype=np.float32)
    return sentence_scores(question, text, spans, vectors, STOPWORDS).tolist()


def ask(text: str, bm25: Bm25) -> Question:
    return Question.of(text, np.zeros(3, np.float32), bm25, STOPWORDS)


def test_rare_terms_count_more_than_common_ones(bm25: Bm25) -> None:
    question = ask("What did the minister tell Lukashevich?", bm25)
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
def test_the_speaker_is_who_the_speech_verb_belongs_to(asked: str, speaker: str, not_speaker: str, bm25: Bm25) -> None:
    question = ask(asked, bm25)
    assert question.speakers is not None
    assert question.speakers.search(f"{speaker} said so.")
    assert not question.speakers.search(f"{not_speaker} said so.")


def test_the_speakers_reported_words_are_preferred(bm25: Bm25) -> None:
    question = ask("what did Putin say about Assad?", bm25)
    quoted = scores(question, '"We do not think that Assad should leave," Putin said.', bm25)[0]
    narrated = scores(question, "Putin met Assad in Moscow.", bm25)[0]
    assert quoted > narrated + 0.4
    plain = ask("Where did Putin meet Assad?", bm25)
    assert plain.speakers is None
