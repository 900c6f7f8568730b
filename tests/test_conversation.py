"""Which questions lean on the previous turn, and what they borrow from it."""

import pytest

from bot.conversation import Conversation, Turn, already_said, is_follow_up, retrieval_query


@pytest.mark.parametrize(
    "question",
    [
        "And what about Hollande?",
        "Why?",
        "Since when?",
        "For how many years?",
        "What did he say about weapons?",
        "How big is its stake?",
        "What did the CBI say?",  # a speaker, and nothing said about what
        "Who attacked that plan?",
        "What is Sony going to put it in?",  # an object pronoun points back even after a name
        "When did Google release theirs?",
        "Who else was there?",
        "What should happen instead?",
    ],
)
def test_follow_ups_need_evidence_and_have_it(question: str) -> None:
    assert is_follow_up(question)


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of Australia?",  # short, but complete: a new topic
        "Who is the Chancellor of the Exchequer?",
        "Who is the Foreign Ministry spokesman?",
        "What did Putin say about Assad stepping down?",
        "What did Tony Blair say about his pension plans?",  # "his" is Blair
        "How many subscribers did AOL lose last quarter?",
        "How long did it take investors to snap up the Jet Airways share offer in India?",  # long: its own topic
        "Are there plans to build a new terminal at Heathrow?",
        "Which label will Jay-Z run?",
        "What did Putin say should be done instead of arming the rebels?",
    ],
)
def test_complete_questions_start_a_new_topic(question: str) -> None:
    assert not is_follow_up(question)


def test_follow_up_borrows_previous_words_and_articles() -> None:
    conversation = Conversation(
        [Turn("What did Putin say about Assad?", "What did Putin say about Assad?", ["a", "b", "c"])]
    )
    assert retrieval_query("And Hollande?", conversation) == ("And Hollande? Putin Assad", ["a", "b"])


def test_self_contained_question_starts_fresh() -> None:
    conversation = Conversation([Turn("Which label will Jay-Z run?", "Which label will Jay-Z run?", ["a"])])
    question = "Who is the Chancellor of the Exchequer?"
    assert retrieval_query(question, conversation) == (question, [])
    assert already_said(question, conversation) == []


def test_a_follow_up_should_not_repeat_the_previous_answer() -> None:
    conversation = Conversation([Turn("Who won?", "Who won?", ["a"], ["Rovers won 2-1."])])
    assert already_said("Why?", conversation) == ["Rovers won 2-1."]


def test_first_question_has_no_context() -> None:
    assert retrieval_query("Why?", Conversation()) == ("Why?", [])
