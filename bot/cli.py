"""The `bot` command: a thin layer that parses, resolves paths, calls the library, maps errors."""

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.command_line import OneLineErrors, PlainUsage, in_range, one_line_errors

app = typer.Typer(
    cls=OneLineErrors,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="Ask questions about a folder of news articles, offline.",
)
IndexDir = Annotated[
    Path | None,
    typer.Option("--index-dir", help="Where the index lives (default: $BOT_INDEX_DIR, else the platform data dir)."),
]
Passages = Annotated[int, typer.Option("-k", callback=in_range(1, 50, "-k"), help="How many passages to show (1-50).")]
Since = Annotated[
    str | None, typer.Option("--since", help="Only articles published on or after: 2024-03-21, 2024-03, 2024, 7d, 3m.")
]
Until = Annotated[str | None, typer.Option("--until", help="Only articles published on or before this date.")]
Site = Annotated[str | None, typer.Option("--site", help="Only articles from this outlet (part of its name).")]


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"newsbot {version('newsbot')}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Ask questions about a folder of news articles, offline."""


@app.command("index", cls=PlainUsage)
@one_line_errors
def index_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders of articles (default: those indexed before).", metavar="[PATHS]..."),
    ] = None,
    index_dir: IndexDir = None,
    model: Annotated[str | None, typer.Option(help="A local sentence-transformers model folder.")] = None,
    backend: Annotated[str, typer.Option(help="Embedding backend: onnx (fast) or torch.")] = "onnx",
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Start over instead of updating.")] = False,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="Leave out files matching this gitignore pattern (repeatable; remembered)."),
    ] = None,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Fail instead of waiting for another indexer.")] = False,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="ADDRESS",
            help="Parse, split and embed on this Ray cluster (auto: the local one; default: $BOT_RAY_ADDRESS). "
            "Needs newsbot[ray].",
        ),
    ] = None,
) -> None:
    """Index articles (.txt, .md, .html, .rss/.atom feeds): only new or changed files are embedded."""
    from bot.progress import IndexProgress
    from bot.render import report_text
    from index import locations
    from index.embed.encoder import Encoder
    from index.embed.load import BACKENDS, cluster_address, load_encoder, ray_cluster
    from index.embed.model import model_info
    from index.indexer.spread import HERE
    from index.indexer.update import update

    if backend not in BACKENDS:
        raise typer.BadParameter(f"choose one of {', '.join(BACKENDS)}", param_hint="--backend")
    info = model_info(model)
    address = cluster_address(ray)
    if address and backend != "onnx":
        raise typer.BadParameter("--ray embeds with the ONNX backend", param_hint="--backend")
    cluster = ray_cluster(address, info) if address else None
    with IndexProgress() as progress:

        def encoder() -> Encoder:
            local = load_encoder(info, backend, on_prepare=progress.preparing)
            return cluster.encoder(local) if cluster else local

        report = update(
            locations.index_dir(index_dir),
            paths or [],
            info,
            encoder,
            rebuild=rebuild,
            excludes=exclude or [],
            wait=not no_wait,
            on_wait=lambda message: typer.echo(message, err=True),
            progress=progress,
            spread=cluster or HERE,
        )
    typer.echo(report_text(report))


@app.command(cls=PlainUsage)
@one_line_errors
def ask(
    question: Annotated[
        str, typer.Argument(help="Your question in plain English; - reads it from stdin.", metavar="QUESTION")
    ],
    k: Passages = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (stable schema).")] = False,
    since: Since = None,
    until: Until = None,
    site: Site = None,
    index_dir: IndexDir = None,
) -> None:
    """Answer a question from the indexed articles, with citations."""
    from bot import render
    from bot.answer import answer
    from bot.ask import question_text, stale_notice
    from index import locations
    from index.search.filters import Filters
    from index.search.searcher import Searcher

    text = question_text(question, sys.stdin)
    filters = Filters.parse(since, until, site)
    searcher = Searcher.open(locations.index_dir(index_dir))
    notice = stale_notice(searcher)
    result = answer(searcher, text, k, filters=filters)
    if notice:
        typer.echo(notice, err=True)
    if as_json:
        typer.echo(render.answer_json(result))
    else:
        render.console().print(render.answer_text(result))


@app.command(cls=PlainUsage)
@one_line_errors
def status(index_dir: IndexDir = None) -> None:
    """Show where the index is, what it holds, and files changed since it was built."""
    from bot.render import status_text
    from index import locations
    from index.indexer.status import status as read_status

    directory = locations.index_dir(index_dir)
    typer.echo(status_text(read_status(directory)))


@app.command(cls=PlainUsage)
@one_line_errors
def chat(
    k: Passages = 5,
    since: Since = None,
    until: Until = None,
    site: Site = None,
    follow: Annotated[
        bool, typer.Option("--watch", help="Also follow the indexed folders, indexing new articles while you chat.")
    ] = False,
    index_dir: IndexDir = None,
) -> None:
    """Talk with the articles: questions, follow-ups and /commands (/help lists them)."""
    from bot.repl import run
    from index import locations
    from index.search.filters import Filters

    run(locations.index_dir(index_dir), k, Filters.parse(since, until, site), follow)


@app.command(cls=PlainUsage)
@one_line_errors
def watch(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Folders to follow (default: those indexed before).", metavar="[PATHS]..."),
    ] = None,
    poll: Annotated[
        float | None,
        typer.Option(
            "--poll", help="Look for changes every SECONDS instead of waiting for events (network filesystems)."
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="Leave out files matching this gitignore pattern (repeatable; remembered)."),
    ] = None,
    index_dir: IndexDir = None,
) -> None:
    """Follow the folders: new, changed and deleted articles are indexed as they arrive (Ctrl-C stops)."""
    from bot.watching import watch_folders

    watch_folders(paths or [], poll, exclude or [], index_dir)


@app.command(cls=PlainUsage)
@one_line_errors
def articles(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array.")] = False,
    since: Since = None,
    until: Until = None,
    site: Site = None,
    index_dir: IndexDir = None,
) -> None:
    """List the indexed articles, newest first: path, title, date, author, outlet, passages."""
    from bot import render
    from index import locations
    from index.search.filters import Filters
    from index.search.library import list_articles

    found = list_articles(locations.index_dir(index_dir), Filters.parse(since, until, site))
    typer.echo(render.articles_json(found) if as_json else render.articles_text(found))


@app.command(cls=PlainUsage)
@one_line_errors
def show(
    path: Annotated[str, typer.Argument(help="An article's path, as bot articles prints it.", metavar="PATH")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    index_dir: IndexDir = None,
) -> None:
    """Show one article as indexed: its metadata, its passages, and the text left out and why."""
    from bot import render
    from index import locations
    from index.search.library import show_article

    shown = show_article(locations.index_dir(index_dir), path)
    typer.echo(render.article_json(shown) if as_json else render.article_text(shown))


@app.command("eval", cls=PlainUsage)
@one_line_errors
def eval_command(
    questions: Annotated[
        Path, typer.Argument(help='JSON Lines of {"question", "doc", "gold": [answer strings]}.', metavar="QUESTIONS")
    ],
    k: Annotated[
        int,
        typer.Option(
            "-k", callback=in_range(1, 50, "-k"), help="Passages retrieved per question; scores count only these."
        ),
    ] = 10,
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
