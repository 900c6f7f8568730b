"""`bot watch` in the foreground: one line per update, clean exits on Ctrl-C and SIGTERM."""

import signal
import sys
import time
from pathlib import Path
from types import FrameType

import typer

from bot.render import watch_line
from index import locations


def watch_folders(paths: list[Path], poll: float | None, excludes: list[str], index_dir: Path | None) -> None:
    """Follow the folders until Ctrl-C (exit 130) or SIGTERM (exit 0); the index stays consistent,
    as every update is atomic."""
    from index.embed.load import load_encoder
    from index.embed.model import model_info
    from index.indexer.watch import Watcher
    from index.store import layout
    from index.store.database import open_database, read_meta

    directory = locations.index_dir(index_dir)
    roots = [Path(p).absolute() for p in paths]
    model_path = None
    if layout.exists(directory):
        connection = open_database(layout.current(directory))
        meta = read_meta(connection)
        connection.close()
        roots = roots or [Path(r) for r in meta.roots]
        model_path = meta.model_path
    if not roots:
        raise typer.BadParameter("no folder is indexed yet: give one (bot watch PATH)", param_hint="PATHS")
    model = model_info(model_path)
    terminal = sys.stdout.isatty()
    watcher = Watcher(
        directory,
        roots,
        model,
        lambda: load_encoder(model),
        excludes,
        poll,
        on_update=lambda report: typer.echo(watch_line(report, terminal, time.time())),
        on_wait=lambda message: typer.echo(message, err=True),
    )
    signal.signal(signal.SIGTERM, _terminate)
    typer.echo(
        f"Watching {', '.join(str(r) for r in roots)}" + (f" every {poll:g} s" if poll else "") + " (Ctrl-C stops).",
        err=True,
    )
    try:
        watcher.run()
    except _Terminated:
        raise typer.Exit(0) from None


class _Terminated(Exception):
    """SIGTERM: stop at once; an update in flight leaves the previous index, whole."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise _Terminated()
