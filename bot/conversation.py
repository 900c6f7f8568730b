"""Follow-up questions: what a short or pronoun-led question borrows from the previous turn."""

import re
from dataclasses import dataclass, field

from index.scoring.relevance import QUESTION_WORDS

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_LEANING = {
    "he", "she", "it", "they", "him", "her", "them", "his", "hers", "its", "their", "theirs",
    "this", "that", "these", "those", "there", "then", "such", "why", "also", "else", "more",
}
_OPENERS = ("and ", "but ", "what about", "how about", "so ", "also", "then ")
# Words that say how a question is asked, not what it is about.
_NOT_CONTENT = QUESTION_WORDS | {
    "is", "are", "was", "be", "will", "would", "can", "could", "should", "say", "said", "tell",
    "me", "the", "a", "an", "of", "to", "in", "on", "for", "and", "but", "or", "with", "at", "by",
    "from", "as",
}
SHORT_QUESTION = 4


@dataclass
class Turn:
    question: str
    query: str
    paths: list[str]


@dataclass
class Conversation:
    turns: list[Turn] = field(default_factory=list)

    def clear(self) -> None:
        self.turns.clear()


def content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text) if w.lower() not in _NOT_CONTENT | _LEANING]


def is_follow_up(question: str) -> bool:
    """Leans on the previous turn: opens with "and"/"what about", uses a pronoun, or is very short."""
    lowered = question.strip().lower()
    words = {w.lower() for w in _WORD.findall(question)}
    return (
        lowered.startswith(_OPENERS)
        or bool(words & _LEANING)
        or len(content_words(question)) < SHORT_QUESTION - 1
    )


def retrieval_query(question: str, conversation: Conversation) -> tuple[str, list[str]]:
    """(text to retrieve with, article files to favour) for this question in this conversation.

    A self-contained question starts fresh; a follow-up adds the previous query's salient
    words it does not already have and favours the previous answer's articles.
    """
    if not conversation.turns or not is_follow_up(question):
        return question, []
    previous = conversation.turns[-1]
    have = {w.lower() for w in _WORD.findall(question)}
    borrowed = []
    for word in content_words(previous.query):
        if word.lower() not in have:
            have.add(word.lower())
            borrowed.append(word)
    return " ".join([question, *borrowed]), previous.paths[:2]
