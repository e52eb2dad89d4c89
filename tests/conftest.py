"""Shared fixtures: an isolated CROSSCHECK_HOME and a CLI runner."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crosscheck.workdays import _cached

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own empty state directory."""
    path = tmp_path / "home"
    monkeypatch.setenv("CROSSCHECK_HOME", str(path))
    _cached.cache_clear()
    yield path
    _cached.cache_clear()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed entry point as a user would (exit status, stdout, stderr)."""
    return subprocess.run(
        [sys.executable, "-c", "from crosscheck.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env={"CROSSCHECK_HOME": str(home), "PATH": "/usr/bin:/bin", "COLUMNS": "120"},
        cwd=REPO,
        check=False,
    )
