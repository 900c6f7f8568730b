"""Generation directories: numbering new ones, removing leftovers and superseded ones."""

import shutil
from pathlib import Path


def next_generation(index_dir: Path) -> int:
    """Above every generation on disk, so a rebuild never collides with the one it replaces."""
    numbers = [int(d.name[4:]) for d in index_dir.glob("gen-*") if d.name[4:].isdigit()]
    return max(numbers, default=0) + 1


def remove_leftovers(index_dir: Path) -> None:
    """Half-written generations of an indexer that was killed."""
    for leftover in index_dir.glob("gen-*.tmp"):
        shutil.rmtree(leftover, ignore_errors=True)


def remove_old_generations(index_dir: Path, keep: set[int]) -> None:
    """Keep the previous generation too: a reader may still be opening it."""
    for directory in index_dir.glob("gen-*"):
        suffix = directory.name.removeprefix("gen-")
        if suffix.isdigit() and int(suffix) not in keep:
            shutil.rmtree(directory, ignore_errors=True)
