"""`bot chat`: a prompt-toolkit conversation; `handle(state, line)` is the pure, testable step."""

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot import render
from bot.answer import Answer, answer
from bot.conversation import Conversation, Turn, already_said, retrieval_query
from index.errors import UserError
from index.search.filters import Filters
from index.search.searcher import Searcher

HELP = """Ask a question in plain English; follow-ups ("and Hollande?", "why?") use the previous turn.
/sources     full passages of the last answer
/open N      the whole article of source N
/k N         show N passages per answer (now {k})
/since DATE  only articles published since DATE (2024-03-21, 2024-03, 2024, 7d, 3m)
/until DATE  only articles published until DATE
/site NAME   only articles from this outlet
/all         drop the date and site filters{filters}
/reindex     index new and changed files of the indexed folders
/status      what the index holds
/clear       forget the conversation
/help        this list
/quit        leave (or Ctrl-D)"""
PAGER_LINES = 40


@dataclass
class ChatState:
    """Everything a turn needs."""

    index_dir: Path
    searcher: Searcher
    k: int = 5
    filters: Filters = field(default_factory=Filters)
    conversation: Conversation = field(default_factory=Conversation)
    last: Answer | None = None
    quit: bool = False


def handle(state: ChatState, line: str) -> Any:
    """One step of the conversation: a renderable to print (or None). Errors stay in the turn."""
    text = " ".join(line.split())
    if not text:
        return None
    try:
        if text.startswith("/"):
            return _command(state, text)
        return _ask(state, text)
    except UserError as error:
        return f"Error: {error}"
    except Exception as error:  # one bad turn must not end the conversation
        return f"Error: {error.__class__.__name__}: {error}"


def refreshed(state: ChatState) -> str | None:
    """Between turns: move to a newer index if a writer committed one, and say so in one line."""
    before = state.searcher.meta.generation, _count(state.searcher)
    if not state.searcher.refresh():
        return None
    after = _count(state.searcher)
    difference = after - before[1]
    if difference > 0:
        return f"Index updated: {render.plural(difference, 'new article')}."
    if difference < 0:
        return f"Index updated: {render.plural(-difference, 'article')} fewer."
    return "Index updated."


def _count(searcher: Searcher) -> int:
    from index.store import catalog

    with searcher.snapshot() as connection:
        return catalog.article_count(connection)


def _ask(state: ChatState, question: str) -> Any:
    query, prefer = retrieval_query(question, state.conversation)
    avoid = already_said(question, state.conversation)
    result = answer(state.searcher, question, state.k, query=query, prefer=prefer, filters=state.filters, avoid=avoid)
    state.last = result
    state.conversation.turns.append(
        Turn(question, query, [s.file for s in result.sources], [s.text for s in result.answer])
    )
    return render.answer_text(result)


def _command(state: ChatState, text: str) -> Any:
    name, _, argument = text.partition(" ")
    if name in ("/quit", "/exit", "/q"):
        state.quit = True
        return None
    if name == "/help":
        active = state.filters.describe()
        return HELP.format(k=state.k, filters=f" (now: {active})" if active else "")
    if name == "/clear":
        state.conversation.clear()
        state.last = None
        return "Conversation cleared."
    if name == "/k":
        if not argument.strip().isdigit() or not 1 <= int(argument) <= 50:
            return "Usage: /k N (1 to 50)"
        state.k = int(argument)
        return f"Showing {state.k} passages per answer."
    if name in ("/since", "/until", "/site", "/all"):
        return _filter(state, name, argument.strip())
    if name == "/sources":
        if state.last is None:
            return "No answer yet: ask a question first."
        from rich.text import Text

        out = Text()
        for source in state.last.sources:
            out.append_text(render.source_text(source, full=True))
        return out
    if name == "/open":
        return _open(state, argument)
    if name == "/status":
        from index.indexer.status import status

        return render.status_text(status(state.index_dir, state.searcher.connection))
    if name == "/reindex":
        return _reindex(state)
    return f"Unknown command {name}. Type /help for the list."


def _filter(state: ChatState, name: str, argument: str) -> str:
    if name == "/all":
        state.filters = Filters()
        return "Searching all articles."
    if not argument:
        return f"Usage: {name} {'NAME' if name == '/site' else 'DATE'}"
    given = Filters.parse(
        argument if name == "/since" else None,
        argument if name == "/until" else None,
        argument if name == "/site" else None,
    )
    field_name = name[1:]
    state.filters = replace(state.filters, **{field_name: getattr(given, field_name)})
    return f"Searching articles {state.filters.describe()}."


def _open(state: ChatState, argument: str) -> Any:
    if state.last is None or not state.last.sources:
        return "No sources yet: ask a question first."
    if not argument.strip().isdigit() or not 1 <= int(argument) <= len(state.last.sources):
        return f"Usage: /open N, with N from 1 to {len(state.last.sources)}"
    from index.search.library import show_article

    source = state.last.sources[int(argument) - 1]
    try:
        shown = show_article(state.index_dir, source.path)
    except UserError:
        return f"{source.path} is no longer in the index."
    heading = [shown.title, render.printable(shown.path)]
    outlet = render.byline(None, shown.site, shown.published)
    heading += [f"{outlet}" + (f", by {shown.author}" if shown.author else "")] if outlet or shown.author else []
    return "\n".join(heading) + "\n\n" + "\n\n".join(p.text for p in shown.passages)


def _reindex(state: ChatState) -> str:
    from bot.progress import IndexProgress
    from index.embed.load import load_encoder
    from index.embed.model import model_info
    from index.indexer.update import update

    info = model_info(state.searcher.meta.model_path)
    with IndexProgress() as progress:
        report = update(state.index_dir, [], info, lambda: load_encoder(info), progress=progress)
    state.searcher.refresh()
    return render.report_text(report)


def run(index_dir: Path, k: int = 5, filters: Filters | None = None, follow: bool = False) -> None:
    """The interactive loop: history file, suggestions, Ctrl-C clears the line, Ctrl-D quits.

    Args:
        follow: run a watcher over the indexed folders in this process (`bot chat --watch`).
    """
    from prompt_toolkit import PromptSession
    from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
    from prompt_toolkit.history import FileHistory

    from index.indexer.status import status
    from index.locations import state_dir

    state = ChatState(index_dir, Searcher.open(index_dir), k, filters or Filters())
    out = render.console()
    out.print(render.banner(status(index_dir, state.searcher.connection)))
    problems: list[str] = []
    if follow:
        _follow(state, problems)
    history = state_dir() / "chat_history"
    history.parent.mkdir(parents=True, exist_ok=True)
    session: PromptSession[str] = PromptSession(
        history=FileHistory(str(history)), auto_suggest=AutoSuggestFromHistory()
    )
    while not state.quit:
        try:
            line = session.prompt("> ")
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        notice = refreshed(state)
        if notice:
            out.print(notice)
        while problems:
            out.print(problems.pop(0))
        if line.strip() and not line.strip().startswith("/") and not state.searcher.model_ready:
            with out.status("Loading the model…"):
                state.searcher.encoder  # noqa: B018 - waits for the background load
        shown = handle(state, line)
        if shown is not None:
            _show(out, shown)


def _follow(state: ChatState, problems: list[str]) -> None:
    """A watcher in the background: it writes, the chat notices the new index between turns."""
    from index.embed.load import load_encoder
    from index.embed.model import model_info
    from index.indexer.watch import Watcher, in_background

    model = model_info(state.searcher.meta.model_path)
    roots = [Path(r) for r in state.searcher.meta.roots]
    watcher = Watcher(state.index_dir, roots, model, lambda: load_encoder(model))
    in_background(watcher, lambda error: problems.append(f"The watcher stopped: {error}"))


def _show(out: Any, shown: Any) -> None:
    """Long plain text (a whole article) goes through a pager on a terminal."""
    if isinstance(shown, str) and shown.count("\n") > PAGER_LINES and out.is_terminal:
        with out.pager():
            out.print(shown)
    else:
        out.print(shown)
