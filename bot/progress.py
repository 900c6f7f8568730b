"""The indexing progress display (rich, on stderr), fed by the library's Progress callbacks:
a bar while files are read, a line while the model is prepared once, a bar while embedding."""

from types import TracebackType
from typing import Any

SHOW_READING_FROM = 50  # files: fewer are read before anyone would look


class IndexProgress:
    """Silent when there is nothing to wait for."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._task: Any = None
        self._status: Any = None

    def __enter__(self) -> "IndexProgress":
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._stop()

    def _console(self) -> Any:
        from rich.console import Console

        return Console(stderr=True)

    def _stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        if self._status is not None:
            self._status.stop()
            self._status = None

    def _start_bar(self, label: str, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._stop()
        self._bar = Progress(
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=self._console(),
            transient=True,
        )
        self._task = self._bar.add_task("work", total=total, rate="")
        self._bar.start()

    def reading(self, files: int) -> None:
        if files >= SHOW_READING_FROM:
            self._start_bar(f"Reading {files:,} files", files)

    def read(self, files: int) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, files)

    def preparing(self) -> None:
        """The one-time ONNX export of the model (seconds): say why nothing moves."""
        self._stop()
        self._status = self._console().status("Preparing the model (once)…")
        self._status.start()

    def start(self, files: int, chunks: int) -> None:
        self._stop()
        if chunks:
            self._start_bar(f"Embedding passages of {files:,} articles", chunks)

    def advance(self, chunks: int) -> None:
        if self._bar is None:
            return
        self._bar.advance(self._task, chunks)
        speed = self._bar.tasks[0].speed
        self._bar.update(self._task, rate=f"{speed:.0f} passages/s" if speed else "")
