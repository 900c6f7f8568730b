"""One writer at a time. flock dies with its process, so a killed indexer leaves no stale lock."""

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from index.errors import LockBusy
from index.store.layout import LOCK


@contextmanager
def writer_lock(index_dir: Path, wait: bool, on_wait: Callable[[str], None]) -> Iterator[None]:
    """Hold the index's writer lock; wait for it (saying so), or raise LockBusy.

    Args:
        on_wait: told once, in a sentence, that another writer holds the lock.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            if not wait:
                raise LockBusy(f"Another indexer ({holder}) is updating {index_dir}; try again later.") from None
            on_wait(f"Waiting for another indexer ({holder}) to finish…")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
