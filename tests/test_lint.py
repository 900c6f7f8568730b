"""ruff and mypy are part of the suite, so `.ci/run` fails on a lint or type error."""

import subprocess
import sys

from conftest import REPO


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=REPO, capture_output=True, text=True, check=False)


def test_ruff_finds_nothing() -> None:
    check = run("ruff", "check", ".")
    assert check.returncode == 0, check.stdout[-3000:]
    formatted = run("ruff", "format", "--check", ".")
    assert formatted.returncode == 0, formatted.stdout[-3000:]


def test_mypy_finds_nothing() -> None:
    result = run("mypy", "index", "bot")
    assert result.returncode == 0, result.stdout[-3000:]
