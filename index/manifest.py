"""The manifest: what built the index and what it holds. Written last, so it names a whole generation."""

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index.atomic import write_atomic
from index.errors import IndexCorrupt, IndexNotFound, ModelMismatch

FORMAT_VERSION = 2
FILE_NAME = "manifest.json"


@dataclass
class FileEntry:
    """One indexed file: its normalised-text hash, stat, and the chunks it produced."""

    display: str
    sha256: str
    size: int
    mtime_ns: int
    title: str = ""
    chunk_ids: list[int] = field(default_factory=list)
    duplicate_of: str | None = None
    repeat_signature: str = ""


@dataclass
class Manifest:
    format_version: int
    generation: int
    encoder_name: str
    encoder_dim: int
    model_path: str | None = None
    roots: list[str] = field(default_factory=list)
    files: dict[str, FileEntry] = field(default_factory=dict)
    next_id: int = 1
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    # Files found but not indexable (binary, empty…) as [size, mtime_ns]: not news to report
    # as new, nor to read again, until they change.
    unreadable: dict[str, list[int]] = field(default_factory=dict)

    @property
    def generation_dir_name(self) -> str:
        return generation_dir_name(self.generation)

    def known_unreadable(self, path: str, stat: os.stat_result) -> bool:
        return self.unreadable.get(path) == [stat.st_size, stat.st_mtime_ns]

    def chunk_count(self) -> int:
        return sum(len(entry.chunk_ids) for entry in self.files.values())

    def check_encoder(self, name: str, dim: int) -> None:
        """Refuse to mix vectors of two models."""
        if (name, dim) != (self.encoder_name, self.encoder_dim):
            raise ModelMismatch(
                f"The index was built with model {self.encoder_name} ({self.encoder_dim} dims), "
                f"not {name} ({dim} dims). Rebuild it with: bot index --rebuild"
            )


def generation_dir_name(generation: int) -> str:
    return f"gen-{generation:06d}"


def read(index_dir: Path) -> Manifest:
    """The current manifest; IndexNotFound if none, IndexCorrupt if unreadable or too new."""
    path = index_dir / FILE_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexNotFound(index_dir) from None
    except (OSError, ValueError) as error:
        raise IndexCorrupt(f"{path.name}: {error.__class__.__name__}") from None
    if not isinstance(raw, dict):
        raise IndexCorrupt(f"{path.name} is not an object")
    version = raw.get("format_version")
    if version != FORMAT_VERSION:
        raise IndexCorrupt(f"format version {version!r}, this bot reads version {FORMAT_VERSION}")
    try:
        raw["files"] = {path: FileEntry(**entry) for path, entry in raw.get("files", {}).items()}
        loaded = Manifest(**raw)
    except (TypeError, AttributeError) as error:
        raise IndexCorrupt(f"{path.name}: {error}") from None
    if not isinstance(loaded.unreadable, dict):
        raise IndexCorrupt(f"{path.name}: unreadable must be an object")
    if not isinstance(loaded.generation, int) or not isinstance(loaded.encoder_dim, int):
        raise IndexCorrupt(f"{path.name}: generation and encoder_dim must be integers")
    return loaded


def write(index_dir: Path, manifest: Manifest) -> None:
    manifest.updated = time.time()
    data = json.dumps(asdict(manifest), ensure_ascii=False, separators=(",", ":"))
    write_atomic(index_dir / FILE_NAME, data.encode("utf-8"))
