"""The CLI as a user drives it (typer's CliRunner), on the seeds with the real model."""

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

from conftest import SEEDS

runner = CliRunner()


@pytest.fixture
def indexed(tmp_path: Path, isolated_dirs: Path, real_encoder) -> Path:  # noqa: ANN001
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
    assert "[1] Putin Defends Syria Stance, But Calls for End to Violence — seeds/000_de411161290c8784.txt ¶4" in result.output


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
        assert set(sentence) == {"text", "source"}
        assert sentence["text"] in data["sources"][sentence["source"] - 1]["text"]


def test_ask_abstains_in_one_line(indexed: Path) -> None:
    result = runner.invoke(app, ["ask", "What is a good recipe for banana bread?"])
    assert result.exit_code == 0
    assert result.output == "I could not find anything in the indexed articles that answers this.\n"


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
