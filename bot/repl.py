"""`bot chat`: a prompt-toolkit conversation; `handle(state, line)` is the pure, testable step."""

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import render
from bot.answer import Answer, answer
from bot.conversation import Conversation, Turn, retrieval_query
from index.errors import UserError
from index.store import Index, open_index

HELP = """Ask a question in plain English; follow-ups ("and Hollande?", "why?") use the previous turn.
/sources     full passages of the last answer
/open N      the whole article of source N
/k N         show N passages per answer (now {k})
/reindex     index new and changed files of the indexed folders
/status      what the index holds
/clear       forget the conversation
/help        this list
/quit        leave (or Ctrl-D)"""
PAGER_LINES = 40


@dataclass
class ChatState:
    """Everything a turn needs; the encoder arrives from a background thread."""

    index_dir: Path
    index: Index
    k: int = 5
    conversation: Conversation = field(default_factory=Conversation)
    last: Answer | None = None
    quit: bool = False
    _encoder: Any = None
    _loader: threading.Thread | None = None

    def start_loading(self) -> None:
        """Load and warm the model while the user types the first question."""

        def load() -> None:
            from index.embed import load_encoder

            encoder = load_encoder(self.index.manifest.model_path)
            encoder.embed(["warm up"])
            self._encoder = encoder

        self._loader = threading.Thread(target=load, daemon=True)
        self._loader.start()

    @property
    def encoder(self) -> Any:
        if self._encoder is None:
            if self._loader is not None:
                self._loader.join()
            if self._encoder is None:
                from index.embed import load_encoder

                self._encoder = load_encoder(self.index.manifest.model_path)
        return self._encoder

    @property
    def model_ready(self) -> bool:
        return self._encoder is not None


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


def _ask(state: ChatState, question: str) -> Any:
    query, prefer = retrieval_query(question, state.conversation)
    result = answer(state.index, state.encoder, question, state.k, query=query, prefer=prefer)
    state.last = result
    state.conversation.turns.append(Turn(question, query, [s.file for s in result.sources]))
    return render.answer_text(result)


def _command(state: ChatState, text: str) -> Any:
    name, _, argument = text.partition(" ")
    if name in ("/quit", "/exit", "/q"):
        state.quit = True
        return None
    if name == "/help":
        return HELP.format(k=state.k)
    if name == "/clear":
        state.conversation.clear()
        state.last = None
        return "Conversation cleared."
    if name == "/k":
        if not argument.strip().isdigit() or not 1 <= int(argument) <= 50:
            return "Usage: /k N (1 to 50)"
        state.k = int(argument)
        return f"Showing {state.k} passages per answer."
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
        from index.status import status

        return render.status_text(status(state.index_dir))
    if name == "/reindex":
        return _reindex(state)
    return f"Unknown command {name}. Type /help for the list."


def _open(state: ChatState, argument: str) -> Any:
    if state.last is None or not state.last.sources:
        return "No sources yet: ask a question first."
    if not argument.strip().isdigit() or not 1 <= int(argument) <= len(state.last.sources):
        return f"Usage: /open N, with N from 1 to {len(state.last.sources)}"
    source = state.last.sources[int(argument) - 1]
    document = state.index.document(source.file)
    if document is None:
        return f"{source.path} is no longer in the index."
    title, body = document
    return f"{title}\n{source.path}\n\n{body}"


def _reindex(state: ChatState) -> str:
    from bot.progress import IndexProgress
    from index.embed import load_encoder, model_info
    from index.update import update

    model = state.index.manifest.model_path
    with IndexProgress() as progress:
        report = update(state.index_dir, [], model_info(model), lambda: load_encoder(model), progress=progress)
    state.index = open_index(state.index_dir)
    return render.report_text(report)


def run(index_dir: Path, k: int = 5) -> None:
    """The interactive loop: history file, suggestions, Ctrl-C clears the line, Ctrl-D quits."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
    from prompt_toolkit.history import FileHistory

    from index.locations import state_dir
    from index.status import status

    state = ChatState(index_dir, open_index(index_dir), k)
    state.start_loading()
    out = render.console()
    out.print(render.banner(status(index_dir)))
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
        if line.strip() and not line.strip().startswith("/") and not state.model_ready:
            with out.status("Loading the model…"):
                state.encoder  # noqa: B018 - waits for the background load
        shown = handle(state, line)
        if shown is not None:
            _show(out, shown)


def _show(out: Any, shown: Any) -> None:
    """Long plain text (a whole article) goes through a pager on a terminal."""
    if isinstance(shown, str) and shown.count("\n") > PAGER_LINES and out.is_terminal:
        with out.pager():
            out.print(shown)
    else:
        out.print(shown)
