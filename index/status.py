"""What `bot status` shows: where the index is, what it holds, and what changed since."""

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from index import manifest
from index.documents import discover
from index.errors import PathNotFound


@dataclass
class Status:
    index_dir: str
    documents: int
    files: int
    chunks: int
    model: str
    dimensions: int
    size_bytes: int
    updated: float
    roots: list[str]
    changed: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def age_seconds(self) -> float:
        return time.time() - self.updated

    @property
    def stale(self) -> bool:
        return bool(self.changed or self.new or self.missing)


def _is_new(path: str, current: manifest.Manifest) -> bool:
    if path in current.files:
        return False
    try:
        return not current.known_unreadable(path, os.stat(path))
    except OSError:
        return False


def status(index_dir: Path) -> Status:
    """Read the manifest and compare it with the files on disk (stat only, no reading)."""
    current = manifest.read(index_dir)
    changed, missing = [], []
    for path, entry in current.files.items():
        try:
            stat = os.stat(path)
        except OSError:
            missing.append(entry.display)
            continue
        if (stat.st_size, stat.st_mtime_ns) != (entry.size, entry.mtime_ns):
            changed.append(entry.display)
    new = []
    for root in current.roots:
        try:
            found, _ = discover([Path(root)])
        except PathNotFound:
            continue
        new += [f.display for f in found if _is_new(str(f.path), current)]
    generation = index_dir / current.generation_dir_name
    size = sum(f.stat().st_size for f in generation.rglob("*") if f.is_file())
    return Status(
        index_dir=str(index_dir),
        documents=sum(1 for e in current.files.values() if e.duplicate_of is None),
        files=len(current.files),
        chunks=current.chunk_count(),
        model=current.model_path or current.encoder_name,
        dimensions=current.encoder_dim,
        size_bytes=size + (index_dir / manifest.FILE_NAME).stat().st_size,
        updated=current.updated,
        roots=current.roots,
        changed=sorted(changed),
        new=sorted(new),
        missing=sorted(missing),
    )
