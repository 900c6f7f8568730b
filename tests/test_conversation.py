"""Which questions lean on the previous turn, and what they borrow from it."""

import pytest

from bot.conversation import Conversation, Turn, is_follow_up, retrieval_query


@pytest.mark.parametrize(
    ("question", "leaning"),
    [
        ("And what about Hollande?", True),
        ("Why?", True),
        ("What did he say about weapons?", True),
        ("How big is its stake?", True),
        ("Who is the Foreign Ministry spokesman?", False),
        ("What did Putin say about Assad stepping down?", False),
        ("How many subscribers did AOL lose last quarter?", False),
    ],
)
def test_is_follow_up(question: str, leaning: bool) -> None:
    assert is_follow_up(question) is leaning


def test_follow_up_borrows_previous_words_and_articles() -> None:
    conversation = Conversation([Turn("What did Putin say about Assad?", "What did Putin say about Assad?", ["a", "b", "c"])])
    assert retrieval_query("And Hollande?", conversation) == ("And Hollande? Putin Assad", ["a", "b"])


def test_self_contained_question_starts_fresh() -> None:
    conversation = Conversation([Turn("What did Putin say about Assad?", "What did Putin say about Assad?", ["a"])])
    question = "Who is the Foreign Ministry spokesman?"
    assert retrieval_query(question, conversation) == (question, [])


def test_first_question_has_no_context() -> None:
    assert retrieval_query("Why?", Conversation()) == ("Why?", [])
