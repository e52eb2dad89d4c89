"""The documentation keeps up with the code (a missing command fails the build)."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.core import TyperGroup

from crosscheck.cli import app
from crosscheck.policy.loader import policy_dir

REPO = Path(__file__).resolve().parents[1]


def _commands(group: TyperGroup, prefix: str = "crosscheck") -> list[str]:
    found = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(command, TyperGroup):
            found += _commands(command, path)
        else:
            found.append(path)
    return found


def test_every_command_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    command = typer.main.get_command(app)
    assert isinstance(command, TyperGroup)
    commands = _commands(command)
    assert len(commands) >= 12
    missing = [c for c in commands if f"`{c}" not in readme]
    assert not missing, f"commands missing from README.md: {missing}"


def test_every_bundled_policy_is_in_the_changelog() -> None:
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    for path in policy_dir().glob("*.yaml"):
        name = path.stem.split("-")[0].capitalize()
        assert name in changelog, path.name


def test_readme_quick_start_uses_the_ci_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/dev check" in ci
    assert "scripts/dev check" in readme
    assert "scripts/dev demo" in readme


def test_world_file_reference_is_current() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "world_docs.py"), "--check"], check=False
    )
    assert result.returncode == 0, "data/README.md is stale: run python scripts/world_docs.py"


def test_every_world_column_is_documented() -> None:
    from crosscheck.world import schema

    text = (REPO / "data" / "README.md").read_text(encoding="utf-8")
    for table in schema.ALL:
        assert f"`{table.path}" in text, table.path
        for column, _, _ in table.columns:
            assert f"`{column}`" in text, (table.path, column)


def test_every_filing_field_is_documented() -> None:
    from crosscheck.checks.draft import FILING_FIELDS

    text = (REPO / "data" / "README.md").read_text(encoding="utf-8")
    for key, (label, _) in FILING_FIELDS.items():
        assert f"| `{key}` | {label} |" in text, key


def test_the_readings_table_names_real_code() -> None:
    """data/README.md's table of POLICY.md's readings: one row per reading 1–15, and
    every module, builder or constant it names exists."""
    import importlib
    import re

    text = (REPO / "data" / "README.md").read_text(encoding="utf-8")
    table = text[text.index("| reading | implemented in | cases |") :]
    table = table[: table.index("\n\n")]
    rows = [line for line in table.splitlines()[2:] if line.startswith("|")]
    numbers = {int(m[1]) for line in rows if (m := re.match(r"\| (\d+) ", line))}
    assert numbers == set(range(1, 16))
    names = re.findall(r"`((?:checks|crosscheck)\.[\w.]+)`", table)
    assert len(names) >= 20
    for dotted in names:
        module, _, attr = dotted.rpartition(".")
        assert hasattr(importlib.import_module(module), attr), dotted
    for case_file in set(re.findall(r"`(\w+\.yaml)`", table)):
        assert (REPO / "tests" / "cases" / case_file).is_file(), case_file
