"""Separate the news from the furniture around it, and find the headline.

Web-scraped articles carry donation appeals, navigation and buttons before and after the
story. We find the article body as the run from the first to the last news paragraph (a real
sentence, in the third person, not repeated across many articles) and drop what surrounds it
when that surrounding run shows furniture: fragments with no sentence, calls to action, or
text repeated in other articles. Paragraphs addressing the reader ("we", "you") outside quotes
are furniture only in that surrounding run, so a columnist's "you" in the body survives.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from index.text.normalise import MARKDOWN_HEADING, Paragraph, normalise, title_case, units
from index.text.repeats import repeat_level

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SENTENCE_END = re.compile(r"[.!?…]['\"”’)\]]*(?:\s|$)")
_READER = set(
    "we We us our Our ours ourselves you You your Your yours yourself yourselves we're We're we've We've we'll We'll"
    " you're You're you've You've you'll You'll let's Let's".split()
)
_CALL_TO_ACTION = re.compile(
    r"\W*(support|donat\w*|subscri\w*|sign (up|in)|log ?in|register|read more|continue|click|"
    r"share|follow us|newsletter|advertis\w*|remind me|download|cookies?|paywall|"
    r"related|see also|more on this|watch|listen|most (?:read|popular|viewed|shared)|trending|"
    r"recommended|you may also like|more (?:stories|from|news)|top stories|latest news|editor'?s picks)\b",
    re.IGNORECASE,
)
_NEWSROOM = re.compile(r"\bour (\w+ )?(correspondent|reporter|editor|analyst)s?\b", re.IGNORECASE)


@dataclass(frozen=True)
class Dropped:
    """Text left out of the index, and why (`bot show` lists it)."""

    text: str
    why: str


@dataclass
class Cleaned:
    """An article ready to split: normalised text, headline, body paragraphs in order."""

    text: str
    title: str
    paragraphs: list[Paragraph]
    dropped: list[Dropped] = field(default_factory=list)
    story: bool = True  # some kept paragraph is a real sentence, not only menus and notices


def clean(raw: str, title_hint: str | None = None, repeats: Mapping[int, int] | None = None) -> Cleaned:
    """Normalise, find the headline and the body, drop the furniture.

    Args:
        raw: decoded article text.
        title_hint: a title declared by the format (HTML <title>), preferred when present.
        repeats: sentence key -> number of distinct articles containing it.
    """
    text = normalise(raw)
    found = units(text)
    traits = [_Traits.of(p.text, repeats or {}) for p in found]
    news = [i for i, t in enumerate(traits) if t.news]
    first, last = (news[0], news[-1]) if news else (len(found), len(found) - 1)
    title_at = _title_index(found, traits, first, title_hint)
    title = title_hint or (_strip_heading(found[title_at].text) if title_at is not None else "")
    head = [i for i in range(first) if i != title_at]
    tail = list(range(last + 1, len(found)))
    furniture_runs = {"before the article": head, "after the article": tail}
    if not news:
        furniture_runs = {}
    drop: dict[int, str] = {}
    for reason, run in furniture_runs.items():
        if _is_furniture_run([traits[i] for i in run]):
            drop.update({i: reason for i in run})
    for i, t in enumerate(traits):
        if i != title_at and i not in drop and t.drop_reason:
            drop[i] = t.drop_reason
    if title_hint and title_at is not None:
        drop.setdefault(title_at, "headline")
    kept = [i for i in range(len(found)) if i not in drop and i != title_at]
    dropped = [Dropped(found[i].text, reason) for i, reason in sorted(drop.items())]
    story = any(traits[i].sentence for i in kept)
    return Cleaned(text, title, [found[i] for i in kept], dropped, story)


def _is_furniture_run(run: list["_Traits"]) -> bool:
    """Text around the story is dropped when it has a button, or an appeal shared with others."""
    if any(t.call_to_action for t in run):
        return True
    return any(t.repeated for t in run) and any(t.addressed for t in run)


def _title_index(found: list[Paragraph], traits: list["_Traits"], first: int, hint: str | None) -> int | None:
    """The headline: the first heading-like line of the furniture-free stretch before the body.

    A line that addresses the reader is taken only when no other heading-like line is there;
    a headline that looks like furniture ("Share boost for ...") is the last resort.
    """
    if hint:
        wanted = normalise(hint).casefold()
        return next((i for i, p in enumerate(found[:first]) if p.text.casefold() == wanted), None)
    start = min(first, len(found))
    while start > 0 and not traits[start - 1].furniture:
        start -= 1
    headings = [i for i in range(start, min(first, len(found))) if traits[i].heading]
    plain = [i for i in headings if not traits[i].addressed]
    anywhere = [i for i in range(min(first, len(found))) if traits[i].heading]
    return next(iter(plain or headings or anywhere), None)


def _strip_heading(text: str) -> str:
    return MARKDOWN_HEADING.sub("", text).strip()


@dataclass(frozen=True)
class _Traits:
    """What a paragraph looks like, for telling news from furniture."""

    news: bool
    sentence: bool
    heading: bool
    addressed: bool
    call_to_action: bool
    repeated: bool
    drop_reason: str | None

    @property
    def furniture(self) -> bool:
        """Stops the headline search: a button, or text shared with other stories."""
        return self.call_to_action or self.repeated

    @classmethod
    def of(cls, text: str, repeats: Mapping[int, int]) -> "_Traits":
        words = _WORD.findall(text)
        if not words:
            return cls(False, False, False, False, False, False, "no words")
        is_markdown_heading = bool(MARKDOWN_HEADING.match(text))
        has_sentence = len(words) >= 8 and (
            bool(_SENTENCE_END.search(text)) or (len(words) >= 15 and not title_case(text))
        )
        fragment = not has_sentence or is_markdown_heading
        own_voice = _NEWSROOM.sub("", _outside_quotes(text))
        addressed = any(w in _READER for w in _WORD.findall(own_voice))
        call_to_action = fragment and len(words) <= 8 and bool(_CALL_TO_ACTION.match(text)) and not is_markdown_heading
        repeated = repeat_level(text, repeats)
        drop_reason = None
        if call_to_action:
            drop_reason = "call to action"
        elif repeated >= 2 and addressed:
            drop_reason = f"appeal repeated in {repeated} articles"
        elif is_markdown_heading:
            drop_reason = "section heading"
        heading = (
            "\n" not in text
            and (is_markdown_heading or 1 <= len(words) <= 20)
            and len(text) <= 200
            and not text.endswith((".", ",", ";", ":"))
            and not (text.startswith("By ") and len(words) <= 6)
        )
        news = has_sentence and not is_markdown_heading and not addressed and repeated < 3
        return cls(news, has_sentence, heading, addressed, call_to_action, repeated >= 2, drop_reason)


def _outside_quotes(text: str) -> str:
    """The text with quoted speech removed; an unclosed quote runs to the end."""
    kept = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch == "“":
            quoted = True
        elif ch == "”":
            quoted = False
        elif not quoted:
            kept.append(ch)
    return "".join(kept)
