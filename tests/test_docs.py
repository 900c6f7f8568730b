"""Every command and option has help text and is documented in the README."""

import click
import typer
from conftest import REPO
from typer.testing import CliRunner

from bot.cli import app


def commands() -> dict[str, click.Command]:
    return dict(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found = commands()
    assert {"index", "ask", "chat", "status", "articles", "show", "eval"} <= set(found)
    for name, command in found.items():
        assert f"bot {name}" in readme, f"bot {name} is not in the README"
        summary = (command.help or "").strip().splitlines()[0]
        assert len(summary) > 20, f"bot {name} has no help text"
        for flag in ("-h", "--help"):
            shown = CliRunner().invoke(app, [name, flag])
            assert shown.exit_code == 0 and summary in " ".join(shown.output.split()), (name, flag)


def test_every_option_is_explained_and_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name, command in commands().items():
        for parameter in command.params:
            if not isinstance(parameter, click.Option) or parameter.hidden:
                continue
            flag = max(parameter.opts, key=len)
            assert parameter.help, f"bot {name} {flag} has no help text"
            assert flag in readme, f"bot {name} {flag} is not in the README"
