"""Near-copies of a story are judged by how much of the shorter text the longer holds."""

import re
from pathlib import Path

from index.indexer import neardup
from index.text.normalise import normalise

SEEDS = sorted((Path(__file__).parent.parent / "seeds").glob("*.txt"))


def _paragraphs(path: Path) -> list[str]:
    return [p for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]


def _fingerprint(text: str) -> neardup.Fingerprint:
    return neardup.fingerprint(normalise(text))


def test_a_refiled_copy_with_a_trimmed_ending_and_copy_edits_is_a_copy() -> None:
    paragraphs = _paragraphs(SEEDS[0])
    original = "\n\n".join(paragraphs)
    refiled = "Home | World | Business\n\n" + re.sub(r"\bsaid\b", "says", "\n\n".join(paragraphs[:-3]))
    first, second = _fingerprint(original), _fingerprint(refiled)
    assert neardup.copies(first, second)
    jaccard = float((first.hashes == second.hashes).mean())
    assert jaccard < neardup.containment(first, second)  # what was cut counts against Jaccard only


def test_two_different_stories_are_not_copies() -> None:
    first, second = (_fingerprint(path.read_text(encoding="utf-8")) for path in SEEDS)
    assert not neardup.copies(first, second)


def test_a_brief_quoted_whole_inside_a_long_story_does_not_join_it() -> None:
    paragraphs = _paragraphs(SEEDS[1])
    brief, story = _fingerprint("\n\n".join(paragraphs[:5])), _fingerprint("\n\n".join(paragraphs))
    assert neardup.containment(brief, story) > neardup.THRESHOLD
    assert brief.shingles < neardup.SMALLEST_SHARE * story.shingles
    assert not neardup.copies(brief, story)


def test_a_text_of_menus_only_is_nobodys_copy() -> None:
    menus = _fingerprint("Home | News\nSport\nShare this")
    assert menus.empty
    assert not neardup.copies(menus, menus)
