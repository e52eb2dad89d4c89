"""The crash matrix (issue 12): every writing command killed (SIGKILL, as `kill -9`)
at the narrow points where a half-done write could show — just before a commit,
just after one, just before a file is moved into place (``crosscheck.killpoint``
makes each point exact) — leaves the previous state whole, no `running` run for
ever, no half-built copy; and the same command then completes."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.conftest import REPO, SMALL_AS_OF

ROSTER = (
    "序号,姓名,性别,身份证号码,毕业院校,毕业时间,学历,联系电话\n"
    "1,王芳,女,{id},沈阳工学院,2024-06-30,本科,13800000001\n"
)
# (command, kill point, what must be as before: "warehouse" / "published" / "snapshot")
MATRIX = [
    (["check", "all", "--as-of", SMALL_AS_OF], "check.commit", ("warehouse", "published")),
    (["check", "all", "--as-of", SMALL_AS_OF], "check.publish", ("published", "snapshot")),
    (["check", "all", "--as-of", SMALL_AS_OF], "publish.replace", ("published",)),
    (["check", "all", "--as-of", SMALL_AS_OF], "snapshot.replace", ("snapshot",)),
    (["check", "payout", "--as-of", SMALL_AS_OF], "check.commit", ("warehouse",)),
    (["ingest", "--files", "{extract}"], "ingest.commit", ("warehouse",)),
    (["roster", "load", "{roster}", "--class", "C00001"], "roster.commit", ("warehouse",)),
    (["purge", "--before", "2023-01-01"], "purge.commit", ("warehouse", "published")),
    (["publish", "--as-of", SMALL_AS_OF], "publish.replace", ("published", "snapshot")),
]


def _tables(path: Path) -> dict[str, str]:
    """Every table's rows, fingerprinted (the run log aside: a killed run's row is
    expected there, marked abandoned)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                "AND table_name NOT IN ('runs', 'load_state') ORDER BY 1"
            ).fetchall()
        ]
        found = {}
        for name in names:
            rows = con.execute(f'SELECT CAST(t AS VARCHAR) AS r FROM "{name}" t ORDER BY r')
            digest = hashlib.sha256()
            for (row,) in rows.fetchall():
                digest.update(row.encode())
            found[name] = digest.hexdigest()
        return found
    finally:
        con.close()


def _state(home: Path, parts: tuple[str, ...]) -> dict[str, object]:
    state: dict[str, object] = {}
    if "warehouse" in parts:
        state["warehouse"] = _tables(home / "crosscheck.duckdb")
    for part, name in (("published", "published.duckdb"), ("snapshot", "snapshot.duckdb")):
        if part in parts:
            state[part] = hashlib.sha256((home / name).read_bytes()).hexdigest()
    return state


def _run(args: list[str], home: Path, kill_at: str | None) -> subprocess.CompletedProcess[str]:
    env = {
        "CROSSCHECK_HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "COLUMNS": "120",
        **({"CROSSCHECK_KILL_AT": kill_at} if kill_at else {}),
    }
    return subprocess.run(
        [sys.executable, "-c", "from crosscheck.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "point", "parts"), MATRIX, ids=[f"{' '.join(a[:2])}@{p}" for a, p, _ in MATRIX]
)
def test_a_kill_leaves_the_previous_state_and_a_rerun_completes(
    small_published: dict[str, Path],
    tmp_path: Path,
    args: list[str],
    point: str,
    parts: tuple[str, ...],
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    for name in ("db", "published", "snapshot"):
        shutil.copy(small_published[name], home / small_published[name].name)
    (home / "snapshot.duckdb.json").write_text(
        f'{{"source": "{(home / "crosscheck.duckdb").resolve()}"}}', encoding="utf-8"
    )
    with duckdb.connect(str(home / "crosscheck.duckdb"), read_only=True) as con:
        number = con.execute(
            "SELECT id_number FROM roster_entries WHERE class_id = 'C00001' LIMIT 1"
        ).fetchall()[0][0]
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER.format(id=number), encoding="utf-8")
    # a registry extract with one record more than the warehouse holds
    registry = small_published["world"] / "registries/student_status.parquet"
    listed = pl.read_parquet(registry)
    extra = listed.head(1).with_columns(pl.lit("S-NEW-1").alias("record_key"))
    (tmp_path / "x" / "registries").mkdir(parents=True)
    pl.concat([listed, extra]).write_parquet(tmp_path / "x/registries/student_status.parquet")
    places = {"{extract}": str(tmp_path / "x"), "{roster}": str(roster)}
    argv = [places.get(a, a) for a in args]
    before = _state(home, parts)

    killed = _run(argv, home, point)
    assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.stderr[-1500:])
    assert _state(home, parts) == before, f"killed at {point}: the previous state changed"

    done = _run(argv, home, None)
    assert done.returncode in (0, 1, 3), done.stderr[-1500:]
    assert not list(home.glob(".*.tmp")), "a half-built copy was left behind"
    with duckdb.connect(str(home / "crosscheck.duckdb"), read_only=True) as con:
        stuck = con.execute("SELECT run_id FROM runs WHERE status = 'running'").fetchall()
        abandoned = con.execute("SELECT count(*) FROM runs WHERE status = 'abandoned'").fetchall()[
            0
        ][0]
    assert stuck == []
    if point == "ingest.commit":  # its run row was committed before the kill
        assert abandoned == 1
    assert os.environ.get("CROSSCHECK_KILL_AT") is None
