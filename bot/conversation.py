"""Follow-up questions: when a question leans on the previous turn, and what it borrows from it.

A question is a follow-up only on evidence that it refers back: it opens with "and…", "but…",
"what about…"; it has no topic of its own ("Why?", "Who won?"); it asks what someone said
without saying about what ("What did the CBI say?"); or it is short and leans on a pronoun or a
word like "instead" or "there" whose antecedent is not in the question itself ("How big is its
stake?"). A long question carries its own topic even with a pronoun in it ("How long did it take
investors to snap up the Jet Airways offer?"), and a complete question, however short ("What is
the capital of Australia?"), starts a new topic. scripts/followups.py measures both directions.
"""

import re
from dataclasses import dataclass, field

from index.scoring.relevance import QUESTION_WORDS, SPEAKER

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_OPENERS = re.compile(r"^(and|but|so|also|then|what about|how about|what of|and what|plus)\b", re.IGNORECASE)
# Words that stand for something said before, wherever they are in the question.
_REFERRING = set(
    "he she they him her them his hers its it their theirs these those instead else too either again then former"
    " latter though one ones".split()
)
# Pronouns a name earlier in the same question can be the antecedent of ("What did Putin say about
# his opponents?"); object pronouns and standalone possessives ("theirs") always point back.
_CAN_POINT_INSIDE = {"he", "she", "they", "his", "her", "its", "their"}
_PREPOSITIONS = {"for", "since", "until", "in", "on", "at", "by", "from", "to", "with", "after", "before"}
_EXISTENTIAL = {"is", "are", "was", "were", "will", "be", "been", "have", "has", "had"}
# More topic words than this and the question has a subject of its own, whatever its pronouns.
LEANING_AT_MOST = 4
# Words that say how a question is asked, not what it is about.
_NOT_CONTENT = (
    QUESTION_WORDS
    | _REFERRING
    | set(
        "is are was be will would can could should say said tell me the a an of to in on for and but or with at by"
        " from as this that there happen happened happens mean means so much many long often come get got go went do"
        " doing done think thinks thought more about win won lose lost else now next".split()
    )
)


@dataclass
class Turn:
    question: str
    query: str
    paths: list[str]
    said: list[str] = field(default_factory=list)  # the answer's sentences, not to be repeated


@dataclass
class Conversation:
    turns: list[Turn] = field(default_factory=list)

    def clear(self) -> None:
        self.turns.clear()


def content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text) if w.lower() not in _NOT_CONTENT]


def is_follow_up(question: str) -> bool:
    """Whether the question refers back to the previous turn (see the module docstring)."""
    text = question.strip()
    words = _WORD.findall(text)
    topic = content_words(text)
    if _OPENERS.match(text) or not topic or _speech_without_topic(text):
        return True
    if len(words) <= 4 and words[0].lower() in _PREPOSITIONS:
        return True  # "Since when?", "For how many years?"
    if len(topic) > LEANING_AT_MOST:
        return False
    for position, word in enumerate(words):
        lower = word.lower()
        following = words[position + 1].lower() if position + 1 < len(words) else ""
        if lower in _CAN_POINT_INSIDE and _named_before(words, position):
            continue  # "what did Putin say about his opponents": "his" is Putin
        if lower == "instead" and following == "of":
            continue  # "instead of X" says what instead of
        if (
            lower in ("one", "ones")
            and position
            and words[position - 1].lower() not in ("which", "the", "other", "another", "that", "this")
        ):
            continue  # "one" as a number, not "the other one"
        if lower in _REFERRING:
            return True
        if lower in ("this", "that") and position >= len(words) - 2:
            return True  # "why did they do that?", "who attacked that plan?"
        if (
            lower == "there"
            and position
            and following not in _EXISTENTIAL
            and words[position - 1].lower() not in _EXISTENTIAL
        ):
            return True  # "who else was there?", not "are there plans to…"
    return False


def _named_before(words: list[str], position: int) -> bool:
    """A name (a capitalised word that does not open the question) comes before the pronoun."""
    return any(w[:1].isupper() for w in words[1:position])


def _speech_without_topic(text: str) -> bool:
    """ "What did the CBI say?": a speaker, and nothing said about what."""
    match = SPEAKER.search(text)
    if not match:
        return False
    speaker = {w.lower() for w in _WORD.findall(match.group(1))}
    return not [w for w in content_words(text) if w.lower() not in speaker]


def retrieval_query(question: str, conversation: Conversation) -> tuple[str, list[str]]:
    """(text to retrieve with, article keys to favour) for this question in this conversation.

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


def already_said(question: str, conversation: Conversation) -> list[str]:
    """Sentences a follow-up's answer should not repeat: the previous answer's ("why?" asks for
    the reason, not the same sentences again)."""
    if not conversation.turns or not is_follow_up(question):
        return []
    return conversation.turns[-1].said
