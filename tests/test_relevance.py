"""Question terms weighted by IDF, and the asked-about speaker's words, as the ranker's features see them."""

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from index.scoring.bm25 import Bm25, Segment
from index.scoring.bm25_writing import SegmentWriter
from index.scoring.features import SENTENCE, Candidate, coverage, evidence, sentence_features
from index.scoring.ranker import EVIDENCE
from index.scoring.relevance import Question
from index.scoring.tokenise import STOPWORDS, term_counts, tokenize

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


def passage_of(sentences: list[str]) -> Candidate:
    text = " ".join(sentences)
    starts = [text.index(s) for s in sentences]
    return Candidate(
        id=1,
        text=text,
        title="",
        article=1,
        paragraph=1,
        vector=np.zeros(3, np.float32),
        spans=np.asarray([[a, a + len(s)] for a, s in zip(starts, sentences)], dtype=np.int32),
        sentences=np.zeros((len(sentences), 3), np.float32),
        terms=Counter(tokenize(text)),
        sentence_terms=[set(tokenize(s)) for s in sentences],
    )


def sentence_rows(question: Question, sentences: list[str]) -> "np.ndarray":
    """The ranker's sentence features for one passage of these sentences."""
    return sentence_features(question, [passage_of(sentences)], [1.0])[1]


def ask(text: str, bm25: Bm25) -> Question:
    return Question.of(text, np.zeros(3, np.float32), bm25, STOPWORDS)


def test_rare_terms_count_more_than_common_ones(bm25: Bm25) -> None:
    question = ask("What did the minister tell Lukashevich?", bm25)
    assert "what" not in question.term_weights and "did" not in question.term_weights
    rare = coverage(question, set(tokenize("Lukashevich arrived.")))
    common = coverage(question, set(tokenize("The minister arrived.")))
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
    quoted = '"We do not think that Assad should leave," Putin said.'
    narrated = "Putin met Assad in Moscow."
    speaker = SENTENCE.index("speaker")
    assert [row[speaker] for row in sentence_rows(question, [quoted, narrated])] == [1.0, 0.0]
    plain = ask("Where did Putin meet Assad?", bm25)
    assert plain.speakers is None


def test_a_year_the_best_passages_never_mention_is_evidence_against_answering(bm25: Bm25) -> None:
    question = ask("What did the minister say about the 2011 budget?", bm25)
    column = EVIDENCE.index("year_missing")

    def year_missing(sentence: str) -> float:
        return float(evidence(question, [passage_of([sentence])], [1.0], 1.0, False, 0.5)[0, column])

    assert year_missing("The minister said the budget would rise in 2005.") == 1.0
    assert year_missing("The minister said the 2011 budget would rise.") == 0.0
    assert (
        float(
            evidence(ask("What did the minister say?", bm25), [passage_of(["No."])], [1.0], 1.0, False, 0.5)[0, column]
        )
        == 0.0
    )
