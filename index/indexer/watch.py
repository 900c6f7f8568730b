"""`bot watch`: follow the indexed folders and bring the index up to date as files arrive.

Events come from watchdog (inotify on Linux; a polling observer with --poll for network
filesystems where events never arrive). A changed file is ready once its writer has closed it
and it has stayed still for SETTLE seconds (so a file written in two parts is indexed whole), or,
with no close events (polling), once its size and mtime have not moved for OPEN_SETTLE seconds; a
file moved into place is ready at once. While events keep arriving (a copy of 2,000 files, a git
pull) ready files wait, up to MAX_WAIT seconds, so a burst becomes a few updates. Each update is
the same incremental, atomic `update()` as `bot index`, over just the paths that changed, under
the same writer lock. Between events the watcher sleeps on its queue: no polling loop runs
while inotify works.
"""

import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from index.embed.encoder import Encoder
from index.embed.model import ModelInfo
from index.errors import UserError
from index.indexer.report import Report
from index.indexer.update import update
from index.ingest.discover import is_temporary

SETTLE = 0.3  # seconds a closed file must stay unchanged
OPEN_SETTLE = 2.0  # seconds a file nobody is seen closing must stay unchanged (polling, or a writer that keeps it open)
QUIET = 0.3  # seconds without events before ready files are indexed
MAX_WAIT = 10.0  # the longest a ready file waits for a burst to end
ROOT_CHECK = 30.0  # how often a quiet watcher checks that its folders still exist


class FolderGone(UserError):
    """A watched folder was deleted or unmounted."""


@dataclass
class _Pending:
    """What the events say about one path since its last update."""

    first: float
    last: float
    closed: bool = False  # its writer closed it, or it was moved into place
    stat: tuple[int, int] | None = None


@dataclass
class Watcher:
    """Runs until `stop` is set (or a folder disappears): catch up, then follow events."""

    index_dir: Path
    roots: list[Path]
    model: ModelInfo
    make_encoder: Callable[[], Encoder]
    excludes: Sequence[str] = ()
    poll: float | None = None
    on_update: Callable[[Report], None] = lambda report: None
    on_wait: Callable[[str], None] = lambda message: None
    stop: threading.Event = field(default_factory=threading.Event)
    updates: int = 0
    _events: "queue.Queue[tuple[str, str, str | None, bool]]" = field(default_factory=queue.Queue)
    _pending: dict[str, _Pending] = field(default_factory=dict)
    _encoder: Encoder | None = None

    def close(self) -> None:
        """Stop following events, from another thread: the watcher's loop ends at once."""
        self.stop.set()
        self._events.put(("wake", "", None, False))

    def encoder(self) -> Encoder:
        """The model, loaded once for all the updates of this watcher."""
        if self._encoder is None:
            self._encoder = self.make_encoder()
        return self._encoder

    def run(self) -> None:
        self._update(None, self.roots)  # catch up with what changed while nobody watched
        observer = self._observer()
        observer.start()
        try:
            self._follow()
        finally:
            observer.stop()
            observer.join(timeout=5)

    def _observer(self):
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        events = self._events

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event) -> None:
                destination = getattr(event, "dest_path", None) or None
                decoded = os.fsdecode(destination) if destination else None
                events.put((event.event_type, os.fsdecode(event.src_path), decoded, event.is_directory))

        observer = PollingObserver(timeout=self.poll) if self.poll else Observer()
        for root in self.roots:
            observer.schedule(Handler(), str(root if root.is_dir() else root.parent), recursive=True)
        return observer

    def _follow(self) -> None:
        checked = time.monotonic()
        while not self.stop.is_set():
            try:
                self._take(self._events.get(timeout=self._timeout()))
                while True:
                    self._take(self._events.get_nowait())
            except queue.Empty:
                pass
            now = time.monotonic()
            if now - checked >= ROOT_CHECK or any(not r.exists() for r in self.roots):
                checked = now
                self._check_roots()
            ready = self._ready(now)
            if ready:
                self._update(ready, [])

    def _timeout(self) -> float:
        """How long to sleep on the queue: a short tick while files settle, else until the next
        check that the folders are still there."""
        return min(QUIET, SETTLE) if self._pending else ROOT_CHECK

    def _take(self, event: tuple[str, str, str | None, bool]) -> None:
        kind, source, destination, directory = event
        now = time.monotonic()
        if kind in ("wake", "opened", "closed_no_write") or (directory and kind == "modified"):
            return  # a folder is "modified" by every file added to it: its files say what changed
        for path, closed in ((source, kind == "closed"), (destination, True)):
            if not path or not self._concerns(Path(path)):
                continue
            entry = self._pending.setdefault(path, _Pending(now, now))
            entry.last = now
            # ready to index once still: closed by its writer, moved into place, gone, or a folder
            entry.closed = closed or directory or kind in ("deleted", "moved")

    def _concerns(self, path: Path) -> bool:
        """Not the index itself, not hidden, not an editor's or downloader's temporary file."""
        absolute = Path(os.path.abspath(path))
        index = Path(os.path.abspath(self.index_dir))
        if absolute == index or index in absolute.parents:
            return False
        return not is_temporary(absolute.name) and not any(part.startswith(".") for part in absolute.parts[-3:])

    def _ready(self, now: float) -> list[Path]:
        """The pending paths to index now: settled, and either quiet or waiting too long."""
        if not self._pending:
            return []
        latest = max(p.last for p in self._pending.values())
        ready = []
        for path, entry in list(self._pending.items()):
            if (
                entry.closed
                and now - entry.last >= SETTLE
                or not entry.closed
                and now - entry.last >= OPEN_SETTLE
                and self._still(path, entry)
            ):
                ready.append(path)
        oldest = min((self._pending[p].first for p in ready), default=now)
        if not ready or (now - latest < QUIET and now - oldest < MAX_WAIT):
            return []
        for path in ready:
            del self._pending[path]
        return [Path(p) for p in ready]

    def _still(self, path: str, entry: _Pending) -> bool:
        """Size and mtime as when last looked at (a missing file is still: it is gone)."""
        try:
            info = os.stat(path)
            now = (info.st_size, info.st_mtime_ns)
        except OSError:
            return True
        still, entry.stat = entry.stat == now, now
        if not still:
            entry.last = time.monotonic()
        return still

    def _check_roots(self) -> None:
        missing = [r for r in self.roots if not r.exists()]
        if missing:
            names = ", ".join(str(r) for r in missing)
            raise FolderGone(
                f"The watched folder {names} is gone (deleted or unmounted); the index is kept as it was. "
                "Run bot watch again when it is back."
            )

    def _update(self, changed: list[Path] | None, paths: list[Path]) -> None:
        report = update(
            self.index_dir,
            paths,
            self.model,
            self.encoder,
            excludes=self.excludes,
            changed=changed,
            on_wait=self.on_wait,
        )
        self.updates += 1
        if not report.up_to_date:
            self.on_update(report)


def in_background(watcher: Watcher, on_error: Callable[[BaseException], None]) -> threading.Thread:
    """Run a watcher in a daemon thread (for `bot chat --watch`); errors go to on_error."""

    def run() -> None:
        try:
            watcher.run()
        except BaseException as error:
            on_error(error)

    thread = threading.Thread(target=run, name="watcher", daemon=True)
    thread.start()
    return thread
