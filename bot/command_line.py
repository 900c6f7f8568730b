"""Command-line conventions shared by every command: one-line errors and their exit codes.

Click prints a usage error as a box or as four lines (usage, hint, blank, error); scripts and
people both read one line better. The group below runs click in non-standalone mode and maps
what it raises: a usage error is `Error: …` and exit 2, a library error `Error: …` and exit 1,
Ctrl-C exit 130.
"""

import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup

F = TypeVar("F", bound=Callable[..., Any])
# typer 0.28 carries its own copy of click; its exception classes are found from the public ones
# (the checker is shown the private module they live in).
if TYPE_CHECKING:
    from typer._click.exceptions import ClickException as _CLICK_ERROR
    from typer._click.exceptions import UsageError as _USAGE_ERROR
else:
    _USAGE_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
    _CLICK_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


class OneLineErrors(TyperGroup):
    def main(self, *args: Any, **kwargs: Any) -> Any:
        standalone = kwargs.get("standalone_mode", True)
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
            if not standalone:
                return result
            sys.exit(result if isinstance(result, int) else 0)
        except _USAGE_ERROR as error:
            if type(error).__name__ == "NoArgsIsHelpError":
                assert error.ctx is not None  # click raises it with the context whose help it shows
                typer.echo(error.ctx.get_help())
                sys.exit(0)
            typer.echo(f"Error: {' '.join(error.format_message().split())}", err=True)
            sys.exit(2)
        except typer.Exit as done:
            sys.exit(done.exit_code)
        except typer.Abort:
            typer.echo("Interrupted.", err=True)
            sys.exit(130)
        except _CLICK_ERROR as error:
            typer.echo(f"Error: {error.format_message()}", err=True)
            sys.exit(error.exit_code)


class PlainUsage(TyperCommand):
    """`Usage: bot ask [OPTIONS] QUESTION`, as man pages and click write it (typer writes the
    required argument as {QUESTION})."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [piece.replace("{", "").replace("}", "") for piece in super().collect_usage_pieces(ctx)]


def one_line_errors(command: F) -> F:
    """Library errors become one line on stderr and exit 1; Ctrl-C exits 130."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from index.errors import UserError
        from index.indexer.update import Interrupted

        try:
            return command(*args, **kwargs)
        except UserError as error:
            typer.echo(f"Error: {error}", err=True)
            raise typer.Exit(1) from None
        except Interrupted as interrupted:
            from bot.render import interrupted_text

            typer.echo(interrupted_text(interrupted.report), err=True)
            raise typer.Exit(130) from None
        except KeyboardInterrupt:
            typer.echo("Interrupted.", err=True)
            raise typer.Exit(130) from None
        except OSError as error:
            typer.echo(f"Error: {error.strerror or error} ({error.filename or 'file system'})", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def in_range(low: int, high: int, name: str) -> Callable[[int], int]:
    """An option callback: `Error: -k must be between 1 and 50`, exit 2."""

    def check(value: int) -> int:
        if not low <= value <= high:
            raise _USAGE_ERROR(f"{name} must be between {low} and {high}")
        return value

    return check
