"""Where an index's parts live inside its directory.

    index_dir/CURRENT          names the store in use ("store-000002"), replaced atomically
    index_dir/lock             the writers' flock
    index_dir/store-000002/    store.sqlite (+ -wal, -shm) and segments/

Updates change the current store in place, in SQLite transactions. A rebuild writes a new store
beside it and switches CURRENT, so readers see the old index or the new one, never a mix.
"""

import shutil
from pathlib import Path

from index.errors import IndexCorrupt, IndexNotFound, OldIndexFormat
from index.store.durable import write_atomic

POINTER = "CURRENT"
LOCK = "lock"
DATABASE = "store.sqlite"
SEGMENTS = "segments"
_PREFIX = "store-"
_OLD_MANIFEST = "manifest.json"  # the format before stores (generation directories)


def current(index_dir: Path) -> Path:
    """The store directory CURRENT names."""
    pointer = index_dir / POINTER
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        if (index_dir / _OLD_MANIFEST).exists():
            raise OldIndexFormat(index_dir) from None
        raise IndexNotFound(index_dir) from None
    except (OSError, UnicodeDecodeError) as error:
        raise IndexCorrupt(f"{POINTER}: {error.__class__.__name__}") from None
    if not (name.startswith(_PREFIX) and name[len(_PREFIX) :].isdigit()):
        raise IndexCorrupt(f"{POINTER} names {name[:40]!r}, not a store")
    return index_dir / name


def exists(index_dir: Path) -> bool:
    return (index_dir / POINTER).exists()


def fresh(index_dir: Path) -> Path:
    """A new, empty store directory, numbered above every store on disk."""
    numbers = [int(d.name[len(_PREFIX) :]) for d in index_dir.glob(f"{_PREFIX}*") if d.name[len(_PREFIX) :].isdigit()]
    directory = index_dir / f"{_PREFIX}{max(numbers, default=0) + 1:06d}"
    (directory / SEGMENTS).mkdir(parents=True)
    return directory


def switch(index_dir: Path, store: Path) -> None:
    """Make `store` the index; readers that opened the old one keep reading it."""
    write_atomic(index_dir / POINTER, f"{store.name}\n".encode())


def remove_others(index_dir: Path, keep: set[Path]) -> None:
    """Stores other than those kept, and what an older format left (its generations and manifest)."""
    for directory in index_dir.glob(f"{_PREFIX}*"):
        if directory not in keep and directory.is_dir():
            shutil.rmtree(directory, ignore_errors=True)
    for directory in index_dir.glob("gen-*"):
        shutil.rmtree(directory, ignore_errors=True)
    (index_dir / _OLD_MANIFEST).unlink(missing_ok=True)


def old_roots(index_dir: Path) -> list[str]:
    """The folders an index in the older format was built from, so a rebuild can start from them."""
    import json

    try:
        raw = json.loads((index_dir / _OLD_MANIFEST).read_text(encoding="utf-8"))
        roots = raw.get("roots", []) if isinstance(raw, dict) else []
        return [str(r) for r in roots if isinstance(r, str)]
    except (OSError, ValueError):
        return []
