"""Every CLI command is in the README and has help text."""

import typer
from typer.testing import CliRunner

from bot.cli import app

from conftest import REPO


def test_every_command_documented_and_helped() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    names = list(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    assert {"index", "ask", "chat", "status"} <= set(names)
    for name in names:
        assert f"bot {name}" in readme, name
        result = CliRunner().invoke(app, [name, "--help"])
        assert result.exit_code == 0
        assert "Usage:" in result.output
