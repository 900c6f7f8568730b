"""The `bot` command: a thin layer that parses, resolves paths, calls the library, maps errors."""

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Ask questions about a folder of news articles, offline.",
)
IndexDir = Annotated[
    Path | None,
    typer.Option("--index-dir", help="Where the index lives (default: $BOT_INDEX_DIR, else the platform data dir)."),
]
F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(command: F) -> F:
    """Library errors become one line on stderr and exit 1; Ctrl-C exits 130."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from index.errors import UserError

        try:
            return command(*args, **kwargs)
        except UserError as error:
            typer.echo(f"Error: {error}", err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            typer.echo("Interrupted.", err=True)
            raise typer.Exit(130) from None
        except OSError as error:
            typer.echo(f"Error: {error.strerror or error} ({error.filename or 'file system'})", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


@app.command("index")
@one_line_errors
def index_command(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders of articles (default: those indexed before).")] = None,
    index_dir: IndexDir = None,
    model: Annotated[str | None, typer.Option(help="A local sentence-transformers model directory.")] = None,
    backend: Annotated[str, typer.Option(help="Embedding backend: onnx (fast) or torch.")] = "onnx",
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Start over instead of updating.")] = False,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Fail instead of waiting for another indexer.")] = False,
    show_dropped: Annotated[bool, typer.Option("--show-dropped", help="List text removed as boilerplate, and why.")] = False,
) -> None:
    """Index articles (.txt, .md, .html): only new or changed files are embedded."""
    from bot.progress import IndexProgress
    from bot.render import report_text
    from index import locations
    from index.embed import BACKENDS, load_encoder, model_info
    from index.update import update

    if backend not in BACKENDS:
        raise typer.BadParameter(f"choose one of {', '.join(BACKENDS)}", param_hint="--backend")
    directory = locations.index_dir(index_dir)
    info = model_info(model)
    with IndexProgress() as progress:
        report = update(
            directory,
            paths or [],
            info,
            lambda: load_encoder(model, backend),
            rebuild=rebuild,
            wait=not no_wait,
            on_wait=lambda message: typer.echo(message, err=True),
            progress=progress,
        )
    typer.echo(report_text(report, show_dropped))


@app.command()
@one_line_errors
def ask(
    question: Annotated[str, typer.Argument(help="Your question, in plain English.")],
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many passages to show.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (stable schema).")] = False,
    index_dir: IndexDir = None,
) -> None:
    """Answer a question from the indexed articles, with citations."""
    from index import locations, manifest
    from index.embed import load_encoder
    from index.errors import BadQuestion

    if not question.strip():
        raise BadQuestion("The question is empty. Try: bot ask \"what did Putin say about Assad?\"")
    directory = locations.index_dir(index_dir)
    current = manifest.read(directory)
    encoder = load_encoder(current.model_path)  # loads in the background while we open the rest
    from bot import render
    from bot.answer import answer
    from index.store import open_index

    index = open_index(directory, current)
    if index.manifest.model_path != current.model_path:  # rebuilt with another model meanwhile
        encoder = load_encoder(index.manifest.model_path)
    result = answer(index, encoder, question, k)
    if as_json:
        typer.echo(render.answer_json(result))
    else:
        render.console().print(render.answer_text(result))


@app.command()
@one_line_errors
def status(index_dir: IndexDir = None) -> None:
    """Show where the index is, what it holds, and files changed since it was built."""
    from bot.render import status_text
    from index import locations
    from index.status import status as read_status

    typer.echo(status_text(read_status(locations.index_dir(index_dir))))


@app.command()
@one_line_errors
def chat(
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many passages to show.")] = 5,
    index_dir: IndexDir = None,
) -> None:
    """Talk with the articles: questions, follow-ups and /commands (/help lists them)."""
    from bot.repl import run
    from index import locations

    run(locations.index_dir(index_dir), k)


@app.command("eval")
@one_line_errors
def eval_command(
    questions: Annotated[Path, typer.Argument(help='JSON Lines of {"question", "doc", "gold": [answer strings]}.')],
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="Passages retrieved per question; scores count only these.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object of the scores.")] = False,
    index_dir: IndexDir = None,
) -> None:
    """Score the bot on questions with known answers: passage hit@1, hit@5, MRR@10, answer hits."""
    import json

    from bot.evaluate import evaluate_file, table
    from index import locations

    scores = evaluate_file(questions, locations.index_dir(index_dir), k)
    if as_json:
        typer.echo(json.dumps(scores.as_json()))
    else:
        typer.echo(table({questions.name: scores}))


def main() -> None:
    """Console-script entry point."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
