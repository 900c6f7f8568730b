"""The indexing progress bar (rich), fed by the library's Progress callbacks."""

from types import TracebackType
from typing import Any


class IndexProgress:
    """A bar over the passages to embed: count, rate and time left; silent when nothing is embedded."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> "IndexProgress":
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()

    def start(self, files: int, chunks: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        if not chunks:
            return
        self._bar = Progress(
            TextColumn(f"Embedding passages of {files} articles"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = self._bar.add_task("embed", total=chunks, rate="")
        self._bar.start()

    def advance(self, chunks: int) -> None:
        if self._bar is None:
            return
        self._bar.advance(self._task, chunks)
        speed = self._bar.tasks[0].speed
        self._bar.update(self._task, rate=f"{speed:.0f} passages/s" if speed else "")
