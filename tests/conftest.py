"""Shared fixtures: an isolated CROSSCHECK_HOME and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crosscheck.workdays import _cached

REPO = Path(__file__).resolve().parents[1]

# The suite runs as in a pipe: no terminal size in the environment. (pytest-xdist's
# workers are given COLUMNS=80 and LINES=24; crosscheck's consoles, made once when
# crosscheck.cli is first imported, and every `serve` a test starts would then wrap
# at 80.) A test that wants a width sets it for itself.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)


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


def run_cli(
    *args: str, home: Path, columns: str | None = "120"
) -> subprocess.CompletedProcess[str]:
    """Run the installed entry point as a user would (exit status, stdout, stderr);
    ``columns=None``: no COLUMNS at all, as in a pipe or a scheduler's log."""
    env = {"CROSSCHECK_HOME": str(home), "PATH": "/usr/bin:/bin"}
    if columns is not None:
        env["COLUMNS"] = columns
    return subprocess.run(
        [sys.executable, "-c", "from crosscheck.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=False,
    )


SMALL_AS_OF = "2025-12-20"


@pytest.fixture(scope="session")
def small_published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A `small` world (seed 21) loaded, checked (every stage) and published: the
    warehouse, the dashboard's snapshot and the service's snapshot, under a home
    of its own. Tests that change any of it work on copies."""
    import datetime as dt

    from crosscheck import warehouse
    from crosscheck.checks import runner as check_runner
    from crosscheck.ingest.run import from_files
    from crosscheck.reports.publish import publish_all
    from crosscheck.world.generate import generate

    root = tmp_path_factory.mktemp("published")
    world = root / "small"
    generate("small", 21, world)
    home = root / "home"
    db = home / "crosscheck.duckdb"
    as_of = dt.date.fromisoformat(SMALL_AS_OF)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CROSSCHECK_HOME", str(home))
        con = warehouse.connect(db, create=True)
        try:
            from_files(con, world, as_of=as_of)
            check_runner.run_stages(con, ["identity", "opening", "payout"], "fixture", as_of=as_of)
            board, snapshot = publish_all(con, db, as_of)
        finally:
            con.close()
    return {"world": world, "home": home, "db": db, "published": board, "snapshot": snapshot}


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where the browser tests leave their screenshots, kept after the run as test
    artefacts: ``$CROSSCHECK_SCREENSHOTS``, else ``var/test-artefacts/screenshots``
    in the checkout (ignored by git)."""
    folder = Path(
        os.environ.get("CROSSCHECK_SCREENSHOTS") or REPO / "var" / "test-artefacts" / "screenshots"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder
