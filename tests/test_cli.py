"""The CLI as a user drives it (typer's CliRunner), on the seeds with the real model."""

import json
import shutil
from pathlib import Path

import pytest
from conftest import SEEDS
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


@pytest.fixture
def indexed(tmp_path: Path, isolated_dirs: Path, real_encoder) -> Path:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    result = runner.invoke(app, ["index", str(seeds)])
    assert result.exit_code == 0, result.output
    return seeds


def test_index_reports_one_summary_line(indexed: Path) -> None:
    result = runner.invoke(app, ["index"])
    assert result.exit_code == 0
    assert result.output.startswith("Index is up to date: 2 articles, 19 passages")


def test_show_lists_passages_and_dropped_boilerplate(indexed: Path) -> None:
    result = runner.invoke(app, ["show", "seeds/001_9a796acf6cb56087.txt", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert set(shown) >= {"path", "title", "published", "author", "site", "url", "passages", "dropped"}
    assert shown["title"] == "Putin Urges Peace Talks to End Syria 'Massacre'"
    assert shown["passages"][0] == {"paragraph": 1, "text": shown["passages"][0]["text"]}
    assert shown["passages"][0]["text"].startswith("President Vladimir Putin said the civil war")
    assert {"text": "Read more", "why": "after the article"} in shown["dropped"]
    assert {"text": "Support The Moscow Times!", "why": "before the article"} in shown["dropped"]
    text = runner.invoke(app, ["show", "001_9a796acf6cb56087.txt"])
    assert text.exit_code == 0 and "[after the article] Read more" in text.output
    missing = runner.invoke(app, ["show", "nope.txt"])
    assert missing.exit_code == 1
    assert missing.output == "Error: No indexed article nope.txt. See what is indexed with: bot articles\n"


def test_ask_prints_answer_with_citations_and_sources(indexed: Path) -> None:
    result = runner.invoke(app, ["ask", "Who is the Foreign Ministry spokesman?"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("Foreign Ministry spokesman Alexander Lukashevich said Friday")
    assert lines[0].rstrip().endswith("[1]")
    assert (
        "[1] Putin Defends Syria Stance, But Calls for End to Violence — seeds/000_de411161290c8784.txt ¶4"
        in result.output
    )


def test_ask_json_schema(indexed: Path) -> None:
    result = runner.invoke(app, ["ask", "what did Putin say about Assad stepping down?", "--json", "-k", "3"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert {"question", "abstained", "answer", "sources"} <= set(data)
    assert data["question"] == "what did Putin say about Assad stepping down?"
    assert data["abstained"] is False
    assert [s["n"] for s in data["sources"]] == [1, 2, 3]
    for source in data["sources"]:
        assert {"n", "title", "path", "paragraph", "score", "text"} <= set(source)
    for sentence in data["answer"]:
        assert set(sentence) == {"text", "source", "published"}
        assert sentence["text"] in data["sources"][sentence["source"] - 1]["text"]


def test_ask_abstains_in_one_line(indexed: Path) -> None:
    result = runner.invoke(app, ["ask", "What is a good recipe for banana bread?"])
    assert result.exit_code == 0
    assert result.output.count("\n") == 1
    assert result.output.startswith("Nothing in the 2 indexed articles answers this; the closest is “")


@pytest.mark.parametrize("question", ["", "   ", "?!…"])
def test_empty_question_is_an_error(indexed: Path, question: str) -> None:
    result = runner.invoke(app, ["ask", question])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith("Error: ")


def test_no_index_yet(isolated_dirs: Path) -> None:
    result = runner.invoke(app, ["ask", "anything?"])
    assert result.exit_code == 1
    assert result.output == f"Error: No index at {isolated_dirs}. Build one with: bot index PATH\n"


def test_missing_path(isolated_dirs: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["index", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert result.output == f"Error: Path not found: {tmp_path / 'nope'}\n"
    assert not (isolated_dirs / "CURRENT").exists()


def test_status_warns_about_changed_files(indexed: Path, isolated_dirs: Path) -> None:
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0
    assert f"Index:     {isolated_dirs}" in result.output
    assert "Articles:  2 (2 files)" in result.output
    assert "Passages:  19" in result.output
    assert "Warning" not in result.output
    (indexed / "000_de411161290c8784.txt").write_text("Changed\n\nNew text here for the test.", encoding="utf-8")
    (indexed / "new.md").write_text("# New\n\nA new article arrives.", encoding="utf-8")
    result = runner.invoke(app, ["status"])
    assert "Warning:   files changed on disk since the last index (1 changed, 1 new); run: bot index" in result.output
    assert "  changed: seeds/000_de411161290c8784.txt" in result.output


def test_index_dir_flag_beats_environment(indexed: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    result = runner.invoke(app, ["status", "--index-dir", str(other)])
    assert result.exit_code == 1
    assert str(other) in result.output


def test_empty_and_unsupported_folders_give_an_empty_index_in_one_line(tmp_path: Path, isolated_dirs: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["index", str(empty)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith("Nothing to index: no articles found")
    others = tmp_path / "others"
    others.mkdir()
    (others / "report.pdf").write_bytes(b"%PDF-1.4")
    result = runner.invoke(app, ["index", str(others)])
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert "skipped others/report.pdf: not an article file" in result.output
    again = runner.invoke(app, ["index"])
    assert again.exit_code == 0 and "skipped" not in again.output  # remembered, not repeated
    asked = runner.invoke(app, ["ask", "who won?"])
    assert asked.exit_code == 0 and asked.output == "No articles are indexed yet. Add some with: bot index PATH\n"


def test_when_every_file_is_deleted_the_index_empties_and_never_answers_from_them(indexed: Path) -> None:
    for path in indexed.iterdir():
        path.unlink()
    assert "2 missing" in runner.invoke(app, ["status"]).output
    result = runner.invoke(app, ["index"])
    assert result.exit_code == 0, result.output
    assert "2 removed" in result.output
    asked = runner.invoke(app, ["ask", "Who is the Foreign Ministry spokesman?", "--json"])
    assert asked.exit_code == 0 and json.loads(asked.output)["sources"] == []


def test_ask_warns_in_one_line_when_files_changed_since_the_last_index(indexed: Path) -> None:
    (indexed / "new.md").write_text(
        "# Lighthouse restored\n\nVolunteers restored the old lighthouse on the cape.\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["ask", "Who is the Foreign Ministry spokesman?"])
    assert result.exit_code == 0
    assert result.stderr == "1 file changed since the last index: run bot index\n"
    assert result.stdout.startswith("Foreign Ministry spokesman")


def test_a_question_from_stdin(indexed: Path) -> None:
    result = runner.invoke(app, ["ask", "-", "--json"], input="Who is the Foreign Ministry spokesman?\n")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["question"] == "Who is the Foreign Ministry spokesman?"


def test_usage_errors_are_one_line_with_exit_2(isolated_dirs: Path) -> None:
    for args, message in (
        (["ask", "x", "-k", "0"], "Error: -k must be between 1 and 50\n"),
        (["ask", "x", "--frobnicate"], "Error: No such option: --frobnicate\n"),
        (["ask"], "Error: Missing argument 'QUESTION'.\n"),
        (["index", "--backend", "tpu"], "Error: Invalid value for --backend: choose one of onnx, torch\n"),
        (["frobnicate"], "Error: No such command 'frobnicate'.\n"),
    ):
        result = runner.invoke(app, args)
        assert (result.exit_code, result.output) == (2, message), args


def test_version_help_and_completion(isolated_dirs: Path) -> None:
    from importlib.metadata import version

    for flag in ("--version", "-V"):
        result = runner.invoke(app, [flag])
        assert (result.exit_code, result.output) == (0, f"newsbot {version('newsbot')}\n")
    top = runner.invoke(app, ["-h"])
    assert top.exit_code == 0 and "--install-completion" in top.output and "--show-completion" in top.output
    usage = runner.invoke(app, ["ask", "-h"]).output
    assert "Usage: bot ask [OPTIONS] QUESTION" in usage.replace("root", "bot")


def test_the_first_index_says_it_prepares_the_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache without the ONNX export: the one-time conversion is announced, not silent."""
    from bot.progress import IndexProgress

    said: list[str] = []
    monkeypatch.setattr(IndexProgress, "preparing", lambda self: said.append("Preparing the model (once)…"))
    monkeypatch.setenv("BOT_CACHE_DIR", str(tmp_path / "empty-cache"))
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    result = runner.invoke(app, ["index", str(seeds)])
    assert result.exit_code == 0, result.output
    assert said == ["Preparing the model (once)…"]
