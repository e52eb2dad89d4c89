"""The warehouse: created, upgraded in place, never left half-migrated."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from crosscheck import warehouse
from crosscheck.errors import WarehouseError
from crosscheck.paths import default_warehouse


def test_default_location_follows_crosscheck_home(home: Path) -> None:
    assert default_warehouse() == home / "crosscheck.duckdb"


def test_a_new_file_gets_the_whole_schema(home: Path) -> None:
    con = warehouse.connect(create=True)
    try:
        assert warehouse.schema_version(con) == len(warehouse.migrations())
        tables = warehouse.table_counts(con)
        for name in (
            "runs",
            "findings",
            "quarantine",
            "load_state",
            "pension_contributions",
            "business_licences",
            "student_status",
            "household_registration",
            "training_records",
            "dishonesty_list",
            "classes",
            "roster_entries",
            "attendance",
            "exam_results",
        ):
            assert tables[name] == 0, name
        columns = {
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'findings'"
            ).fetchall()
        }
        assert {
            "rule_code",
            "severity",
            "stage",
            "evidence",
            "policy_id",
            "policy_version",
            "first_run_id",
            "last_run_id",
        } <= columns
    finally:
        con.close()
    assert (home / "crosscheck.duckdb").exists()


def test_constraints_reject_bad_rows() -> None:
    con = warehouse.connect(create=True)
    try:
        with pytest.raises(duckdb.ConstraintException):
            con.execute(
                "INSERT INTO findings (finding_id, stage, class_id, rule_code, severity, "
                "policy_id, policy_version, evidence, first_run_id, last_run_id, first_seen_at, "
                "last_seen_at) VALUES ('f', 'opening', 'C1', 'X', 'fatal', 'p', 'v', '{}', 'r', "
                "'r', now(), now())"
            )
    finally:
        con.close()


def _migrations_with(tmp_path: Path, extra: dict[str, str]) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for m in warehouse.migrations():
        shutil.copy(m.path, folder / m.path.name)
    for name, sql in extra.items():
        (folder / name).write_text(sql, encoding="utf-8")
    return folder


def test_an_existing_file_is_upgraded_in_place_keeping_its_data(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    con = warehouse.connect(path, create=True)
    con.execute(
        "INSERT INTO runs (run_id, kind, started_at, status) "
        "VALUES ('r1', 'demo', now(), 'succeeded')"
    )
    con.close()
    n = len(warehouse.migrations())
    folder = _migrations_with(
        tmp_path, {f"{n + 1:04d}_run_site.sql": "ALTER TABLE runs ADD COLUMN site VARCHAR;"}
    )
    con = warehouse.connect(path, folder=folder)
    try:
        assert warehouse.schema_version(con) == n + 1
        assert con.execute("SELECT run_id, site FROM runs").fetchall() == [("r1", None)]
    finally:
        con.close()


def test_a_version_6_warehouse_gains_the_missing_facts_keeping_its_rows(tmp_path: Path) -> None:
    """Migration 0007 (issue 14): a warehouse made before it gains the approval's
    policy, the venue's campus school and the household's county — null on the rows
    it holds, which stay; the household register keeps its lookup index."""
    old = tmp_path / "old"
    old.mkdir()
    for m in warehouse.migrations():
        if m.version <= 6:
            shutil.copy(m.path, old / m.path.name)
    path = tmp_path / "w.duckdb"
    con = warehouse.connect(path, create=True, folder=old)
    con.execute(
        "INSERT INTO household_registration (id_number, province_code, city_code, id_block) "
        "VALUES ('210102199901011237', '21', '2101', '21010219990101')"
    )
    con.execute("INSERT INTO institution_majors (institution_id, major) VALUES ('I1', '电工')")
    con.execute("INSERT INTO venues (venue_id, institution_id) VALUES ('V1', 'I1')")
    con.execute(
        "INSERT INTO classes (class_id, region_code, institution_id, major, planned_start, "
        "planned_end, status, filing_batch) VALUES ('C1', '210402', 'I1', '电工', "
        "DATE '2025-03-10', DATE '2025-07-09', 'filed', 'F1')"
    )
    con.close()
    con = warehouse.connect(path)
    try:
        assert warehouse.schema_version(con) >= 7
        assert con.execute(
            "SELECT id_number, city_code, county_code FROM household_registration"
        ).fetchall() == [("210102199901011237", "2101", None)]
        assert con.execute(
            "SELECT institution_id, policy_id FROM institution_majors"
        ).fetchall() == [("I1", None)]
        assert con.execute("SELECT venue_id, school_code FROM venues").fetchall() == [("V1", None)]
        assert con.execute("SELECT filing_batch FROM classes").fetchall() == [("F1",)]
        indexes = con.execute(
            "SELECT index_name FROM duckdb_indexes() WHERE table_name = 'household_registration'"
        ).fetchall()
        assert indexes == [("ix_household_registration_block",)]
    finally:
        con.close()


def test_a_failed_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    warehouse.connect(path, create=True).close()
    n = len(warehouse.migrations())
    folder = _migrations_with(
        tmp_path,
        {f"{n + 1:04d}_broken.sql": "CREATE TABLE half (x INT); SELECT * FROM no_such_table;"},
    )
    with pytest.raises(WarehouseError, match="broken"):
        warehouse.connect(path, folder=folder)
    con = warehouse.connect(path)
    try:
        assert warehouse.schema_version(con) == n
        assert "half" not in warehouse.table_counts(con)
    finally:
        con.close()


def test_read_only_refuses_an_old_schema_and_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with pytest.raises(WarehouseError, match="不存在"):
        warehouse.connect(path, read_only=True)
    warehouse.connect(path, create=True).close()
    n = len(warehouse.migrations())
    folder = _migrations_with(tmp_path, {f"{n + 1:04d}_more.sql": "CREATE TABLE more (x INT);"})
    with pytest.raises(WarehouseError, match="升级"):
        warehouse.connect(path, read_only=True, folder=folder)


def test_migration_numbering_must_have_no_gaps(tmp_path: Path) -> None:
    n = len(warehouse.migrations())
    folder = _migrations_with(tmp_path, {f"{n + 2:04d}_gap.sql": "SELECT 1;"})
    with pytest.raises(WarehouseError, match="跳号"):
        warehouse.migrations(folder)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    path.write_text("not a database", encoding="utf-8")
    with pytest.raises(WarehouseError, match=str(path)):
        warehouse.connect(path)


def test_only_create_makes_a_new_file(tmp_path: Path) -> None:
    """A misspelled --db is an error naming the file and `db init`, not a new empty
    warehouse (issue 12, item 3); a directory is refused the same way."""
    path = tmp_path / "wharehouse.duckdb"
    with pytest.raises(WarehouseError, match=r"不存在.*db init"):
        warehouse.connect(path)
    assert not path.exists()
    with pytest.raises(WarehouseError, match="是一个目录"):
        warehouse.connect(tmp_path, create=True)
    warehouse.connect(path, create=True).close()
    warehouse.connect(path).close()


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_runs_left_running_by_a_dead_process_are_abandoned_on_the_next_open(
    tmp_path: Path,
) -> None:
    """kill -9 leaves a 'running' row; the next writer marks it 'abandoned' with the pid
    that died — a live process's run (this one's) and another host's are left alone."""
    path = tmp_path / "w.duckdb"
    con = warehouse.connect(path, create=True)
    pid, host = warehouse.owner()
    dead = _dead_pid()
    con.executemany(
        "INSERT INTO runs (run_id, kind, started_at, status, pid, host) "
        "VALUES (?, 'ingest', now()::TIMESTAMP, 'running', ?, ?)",
        [["dead", dead, host], ["alive", pid, host], ["elsewhere", dead, "other-host"]],
    )
    con.close()
    con = warehouse.connect(path)
    try:
        rows = dict(con.execute("SELECT run_id, status FROM runs").fetchall())
        summary = con.execute("SELECT summary FROM runs WHERE run_id = 'dead'").fetchall()[0][0]
    finally:
        con.close()
    assert rows == {"dead": "abandoned", "alive": "running", "elsewhere": "running"}
    assert str(dead) in summary


_HOLD = """
import sys, time
from pathlib import Path
from crosscheck import warehouse
con = warehouse.connect(Path(sys.argv[1]))
print("held", flush=True)
time.sleep(60)
"""


def test_a_held_warehouse_names_its_holder_and_readers_read_the_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB shuts every other process out while one writes: the error says who holds
    the file (command and start time); a read-only open reads the last snapshot of
    that same warehouse instead (issue 12, item 14)."""
    from crosscheck.reports import publish

    monkeypatch.setenv("CROSSCHECK_HOME", str(tmp_path))
    path = tmp_path / "w.duckdb"
    con = warehouse.connect(path, create=True)
    con.execute(
        "INSERT INTO runs (run_id, kind, started_at, status) "
        "VALUES ('r1', 'demo', now(), 'succeeded')"
    )
    publish.snapshot(con, path)
    con.close()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseError, match=rf"正被另一任务使用.*进程 {holder.pid}.*开始"):
            warehouse.connect(path)
        reader = warehouse.connect(path, read_only=True)
        try:
            assert reader.execute("SELECT run_id FROM runs").fetchall() == [("r1",)]
        finally:
            reader.close()
        # another warehouse's snapshot is never read in its place
        other = tmp_path / "other.duckdb"
        shutil.copyfile(path, other)
        holder2 = subprocess.Popen(
            [sys.executable, "-c", _HOLD, str(other)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert holder2.stdout is not None
            assert holder2.stdout.readline().strip() == "held"
            with pytest.raises(WarehouseError, match="正被另一任务使用"):
                warehouse.connect(other, read_only=True)
        finally:
            holder2.kill()
            holder2.wait()
    finally:
        holder.kill()
        holder.wait()


def test_the_state_folder_and_its_files_are_private(tmp_path: Path) -> None:
    """The warehouse holds personal data: the state folder is 0700 (an older one is
    narrowed) and what crosscheck creates is 0600 (issue 12, item 10)."""
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    code = (
        "import sys; from crosscheck.cli import main; "
        "sys.argv = ['crosscheck', '--home', sys.argv[1], 'db', 'init']; main()"
    )
    subprocess.run([sys.executable, "-c", code, str(home)], check=True, capture_output=True)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    made = [p for p in home.rglob("*") if p.is_file()]
    assert made
    for p in made:
        assert stat.S_IMODE(p.stat().st_mode) & 0o077 == 0, p


def test_a_connection_left_open_with_python_functions_exits_quietly(tmp_path: Path) -> None:
    """DuckDB's bindings print hundreds of "leaked instance" lines when a connection
    with Python functions is still open at exit; crosscheck closes those at exit so
    that a run's (and the test suite's) last lines are its result (issue 12, item 13)."""
    code = (
        "import sys, duckdb; from checks import runner; "
        "con = duckdb.connect(sys.argv[1]); runner.prepare_udfs(con); "
        "print(con.execute(\"SELECT mask_id('210102199003071233')\").fetchall())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "w.duckdb")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "210102********1233" in done.stdout
    assert "leaked" not in done.stderr


def test_a_registry_simulator_alive_to_the_very_end_exits_quietly(tmp_path: Path) -> None:
    """FastAPI keeps every endpoint it has registered in module-level caches, and a
    server thread can hold its app until the interpreter is gone: the simulator's
    in-memory registry connection outlived DuckDB's bindings and the test run ended in
    "leaked instance" lines (issue 12, item 13). The store gives its connection up at
    exit, whoever still holds the store."""
    from crosscheck.world.generate import generate

    world = tmp_path / "tiny"
    generate("tiny", 11, world)
    code = (
        "import sys, threading, pathlib; from crosscheck.simulator.store import Store; "
        "store = Store(pathlib.Path(sys.argv[1])); print(sum(store.counts.values()) > 0); "
        "threading.Thread(target=lambda s=store: threading.Event().wait(), daemon=True).start()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(world)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "True"
    assert "leaked" not in done.stderr
