"""Paragraphs -> chunks that fit the model window, never truncated, fragments merged."""

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass

from index.text.furniture import Cleaned
from index.text.normalise import Paragraph
from index.text.sentences import sentences

MIN_CHARS = 40
MAX_PIECE_CHARS = 4000  # no window of 256 word pieces spans more; bounds the bisection


@dataclass(frozen=True)
class Chunk:
    """A passage to embed: `text == article_text[start:end]`; `paragraph` counts from 1."""

    paragraph: int
    start: int
    end: int
    text: str


def embed_text(title: str, text: str) -> str:
    """What the encoder sees: the headline as context, then the passage on one line."""
    body = " ".join(text.split())
    return f"{title}. {body}" if title else body


def embed_spans(title: str, text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Where spans of text (starting and ending on non-spaces) lie in embed_text(title, text)."""
    word_starts, moved_starts = [], []
    position = len(title) + 2 if title else 0
    for word in re.finditer(r"\S+", text):
        word_starts.append(word.start())
        moved_starts.append(position)
        position += len(word.group()) + 1

    def moved(offset: int) -> int:
        word = bisect.bisect_right(word_starts, offset) - 1
        return moved_starts[word] + offset - word_starts[word]

    return [(moved(start), moved(end - 1) + 1) for start, end in spans]


def split(
    cleaned: Cleaned, count_tokens: Callable[[str], int], max_tokens: int, min_chars: int = MIN_CHARS
) -> list[Chunk]:
    """Chunk an article: one per paragraph, long ones split at sentence ends, short ones merged.

    Args:
        cleaned: the article, with offsets into `cleaned.text`.
        count_tokens: word pieces of a text as the encoder counts them (special tokens included).
        max_tokens: the encoder's window.
        min_chars: paragraphs shorter than this join a neighbour.
    """
    fits = lambda start, end: count_tokens(embed_text(cleaned.title, cleaned.text[start:end])) <= max_tokens  # noqa: E731
    pieces: list[Chunk] = []
    for number, paragraph in enumerate(cleaned.paragraphs, start=1):
        for start, end in _fit(paragraph, fits):
            pieces.append(Chunk(number, start, end, cleaned.text[start:end]))
    return _merge_fragments(pieces, cleaned.text, fits, min_chars)


def _fit(paragraph: Paragraph, fits: Callable[[int, int], bool]) -> list[tuple[int, int]]:
    """Spans of the paragraph that fit, packed greedily from whole sentences (or words)."""
    if fits(paragraph.start, paragraph.end):
        return [(paragraph.start, paragraph.end)]
    units = [(paragraph.start + s, paragraph.start + e) for s, e in sentences(paragraph.text)]
    spans: list[tuple[int, int]] = []
    for unit in units:
        if spans and fits(spans[-1][0], unit[1]):
            spans[-1] = (spans[-1][0], unit[1])
        elif fits(*unit):
            spans.append(unit)
        else:
            spans.extend(_fit_words(unit, paragraph, fits))
    return spans


def _fit_words(span: tuple[int, int], paragraph: Paragraph, fits: Callable[[int, int], bool]) -> list[tuple[int, int]]:
    """A sentence longer than the window, cut between words (or characters, for one huge word)."""
    text = paragraph.text
    offset = paragraph.start
    spans: list[tuple[int, int]] = []
    position = span[0]
    while position < span[1]:
        end = span[1]
        low, high = position + 1, min(end, position + MAX_PIECE_CHARS)
        while low < high:  # the longest prefix that fits, by bisection
            middle = (low + high + 1) // 2
            if fits(position, middle):
                low = middle
            else:
                high = middle - 1
        cut = low
        space = text.rfind(" ", position - offset + 1, cut - offset)
        if cut < end and space > 0:
            cut = offset + space
        spans.append((position, cut))
        position = cut
        while position < end and text[position - offset] == " ":
            position += 1
    return spans


def _merge_fragments(pieces: list[Chunk], text: str, fits: Callable[[int, int], bool], min_chars: int) -> list[Chunk]:
    """Join pieces under min_chars to the next (else previous) adjacent piece when both fit."""
    merged: list[Chunk] = []
    pending: Chunk | None = None
    for piece in pieces:
        if pending is not None:
            if _adjacent(pending, piece, text) and fits(pending.start, piece.end):
                piece = Chunk(pending.paragraph, pending.start, piece.end, text[pending.start : piece.end])
            else:
                merged.append(pending)
            pending = None
        if len(piece.text) < min_chars:
            pending = piece
        else:
            merged.append(piece)
    if pending is not None:
        last = merged[-1] if merged else None
        if last is not None and _adjacent(last, pending, text) and fits(last.start, pending.end):
            merged[-1] = Chunk(last.paragraph, last.start, pending.end, text[last.start : pending.end])
        else:
            merged.append(pending)
    return merged


def _adjacent(first: Chunk, second: Chunk, text: str) -> bool:
    """Nothing but white space (no dropped furniture) lies between the two pieces."""
    return not text[first.end : second.start].strip()
