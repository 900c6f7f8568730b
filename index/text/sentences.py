"""Sentence boundaries (sentencex), as offsets into the text."""

import sentencex


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in text, trailing space excluded."""
    spans = []
    position = 0
    for piece in sentencex.segment("en", text):
        stripped = piece.rstrip()
        if stripped.strip():
            lead = len(piece) - len(piece.lstrip())
            spans.append((position + lead, position + len(stripped)))
        position += len(piece)
    return spans
