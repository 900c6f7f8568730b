"""The chat: the pure `handle` step, and the prompt-toolkit loop through a pipe."""

import shutil
from pathlib import Path

import pytest
from conftest import SEEDS, open_searcher
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console
from typer.testing import CliRunner

from bot.cli import app
from bot.repl import ChatState, handle, run


def plain(shown: object) -> str:
    console = Console(width=200, no_color=True)
    with console.capture() as capture:
        console.print(shown)
    return capture.get()


@pytest.fixture
def state(seeds_index: Path, real_encoder) -> ChatState:
    return ChatState(seeds_index, open_searcher(seeds_index, real_encoder))


def test_follow_up_uses_the_previous_turn(state: ChatState) -> None:
    first = plain(handle(state, "What did Putin say about Assad stepping down?"))
    assert "Assad should leave today" in first
    second = plain(handle(state, "And what about Hollande?"))
    assert "Hollande had offered" in second.splitlines()[0]
    assert state.conversation.turns[-1].query.startswith("And what about Hollande? Putin")


def test_new_question_starts_fresh(state: ChatState) -> None:
    handle(state, "What did Putin say about Assad stepping down?")
    handle(state, "Who is the Foreign Ministry spokesman?")
    assert state.conversation.turns[-1].query == "Who is the Foreign Ministry spokesman?"
    shown = plain(handle(state, "What is the capital of Australia?"))  # short, complete: not Syria again
    assert state.conversation.turns[-1].query == "What is the capital of Australia?"
    assert shown.startswith("Nothing in the 2 indexed articles answers this")


def test_why_does_not_repeat_the_previous_answer(state: ChatState) -> None:
    first = plain(handle(state, "What did Putin say about weapons shipments to Syria?"))
    said = state.conversation.turns[-1].said
    assert said and said[0] in first.replace("\n", " ")
    plain(handle(state, "Why?"))
    assert not set(state.conversation.turns[-1].said) & set(said)


def test_commands(state: ChatState) -> None:
    assert plain(handle(state, "/sources")).startswith("No answer yet")
    handle(state, "Who is the Foreign Ministry spokesman?")
    assert "[5]" in plain(handle(state, "/sources"))
    assert handle(state, "/k 2") == "Showing 2 passages per answer."
    shown = plain(handle(state, "Who is the Foreign Ministry spokesman?"))
    assert "[2]" in shown and "[3]" not in shown
    article = handle(state, "/open 1")
    assert article.startswith(
        "Putin Defends Syria Stance, But Calls for End to Violence\nseeds/000_de411161290c8784.txt"
    )
    assert "Alexander Lukashevich" in article
    assert handle(state, "/open 9").startswith("Usage: /open N")
    assert handle(state, "/clear") == "Conversation cleared."
    assert state.conversation.turns == [] and state.last is None
    assert handle(state, "/frobnicate") == "Unknown command /frobnicate. Type /help for the list."
    assert "/reindex" in handle(state, "/help")
    assert "Passages:  19" in handle(state, "/status")
    assert handle(state, "/quit") is None and state.quit


def test_error_in_a_turn_is_one_line(state: ChatState) -> None:
    assert handle(state, "?!") == "Error: Ask a question with at least one word."
    assert not state.quit


def test_loop_through_a_pipe(seeds_index: Path, real_encoder, capsys, tmp_path: Path) -> None:
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        pipe.send_text("Who is the Foreign Ministry spokesman?\n/k 2\n/frobnicate\n")
        pipe.send_text("\x04")  # Ctrl-D
        run(seeds_index)
    out = capsys.readouterr().out
    assert out.startswith("2 articles, 19 passages, indexed")
    assert "Alexander Lukashevich" in out
    assert "Showing 2 passages per answer." in out
    assert "Unknown command /frobnicate" in out
    history = (tmp_path / "state" / "newsbot" / "chat_history").read_text()
    assert "+Who is the Foreign Ministry spokesman?" in history


def test_chat_without_index_fails_in_one_line(isolated_dirs: Path) -> None:
    result = CliRunner().invoke(app, ["chat"])
    assert result.exit_code == 1
    assert result.output == f"Error: No index at {isolated_dirs}. Build one with: bot index PATH\n"


def test_reindex_picks_up_new_files(tmp_path: Path, isolated_dirs: Path, real_encoder) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    assert CliRunner().invoke(app, ["index", str(seeds)]).exit_code == 0
    chat = ChatState(isolated_dirs, open_searcher(isolated_dirs, real_encoder))
    (seeds / "extra.md").write_text(
        "# Lighthouse restored\n\nVolunteers restored the old lighthouse on the northern cape this summer.\n",
        encoding="utf-8",
    )
    assert "1 added" in handle(chat, "/reindex")
    assert "lighthouse" in plain(handle(chat, "Who restored the lighthouse?")).lower()
