"""Canonical article text, and its paragraphs as offsets into it.

Everything downstream (hashes, chunks, sentence spans, citations) works on this one normalised
form, so the same article read twice gives the same bytes.
"""

import re
import unicodedata
from dataclasses import dataclass

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff]")
_BLOCK = re.compile(r"[^\n]+(?:\n[^\n]+)*")
_LINE = re.compile(r"[^\n]+")
_ENDS_OPEN = re.compile(r"[^.!?:\"”’…)\]]$")
MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")


@dataclass(frozen=True)
class Paragraph:
    """A unit of the normalised text: `text == normalised[start:end]`."""

    start: int
    end: int
    text: str


_SMALL_WORDS = set("a an and as at but by for in of on or the to vs with from &".split())


def title_case(line: str) -> bool:
    """A headline-style line: nearly every word capitalised ("Jonas Brothers Added to 2019 Lineup")."""
    words = [w for w in line.split() if w[:1].isalpha() and w.lower() not in _SMALL_WORDS]
    return len(words) >= 4 and sum(w[:1].isupper() for w in words) >= 0.8 * len(words)


def normalise(raw: str) -> str:
    """NFKC, one kind of line end, no control characters, single spaces, at most one blank line."""
    text = unicodedata.normalize("NFKC", raw).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub(" ", text.replace("\t", " "))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def units(text: str) -> list[Paragraph]:
    """Paragraphs of normalised text: blank-line blocks, split into lines unless hard-wrapped."""
    found: list[Paragraph] = []
    for block in _BLOCK.finditer(text):
        start = end = -1
        previous = ""
        for line in _LINE.finditer(text, block.start(), block.end()):
            if start >= 0 and _continues(previous, line.group(), headline=start == 0):
                end = line.end()
            else:
                if start >= 0:
                    found.append(Paragraph(start, end, text[start:end]))
                start, end = line.start(), line.end()
            previous = line.group()
        found.append(Paragraph(start, end, text[start:end]))
    return found


def _continues(previous: str, line: str, headline: bool) -> bool:
    """A hard-wrapped line: the previous one stops mid-sentence and this one carries on.

    The first line of an article is its headline unless the next line carries on in lower case:
    a long headline with no full stop ("Nordvik Robotics to cut 1,200 jobs as orders slump")
    followed by "Swedish robotics maker…" is two paragraphs, not one wrapped sentence.
    """
    if MARKDOWN_HEADING.match(line) or MARKDOWN_HEADING.match(previous):
        return False
    if not _ENDS_OPEN.search(previous) or title_case(previous):
        return False  # a list of headlines is not one wrapped sentence
    return line[:1].islower() or (len(previous) >= 50 and not headline)
