"""The warehouse: created, upgraded in place, never left half-migrated."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from crosscheck import warehouse
from crosscheck.errors import WarehouseError
from crosscheck.paths import default_warehouse


def test_default_location_follows_crosscheck_home(home: Path) -> None:
    assert default_warehouse() == home / "crosscheck.duckdb"


def test_a_new_file_gets_the_whole_schema(home: Path) -> None:
    con = warehouse.connect()
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
    con = warehouse.connect()
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
    con = warehouse.connect(path)
    con.execute(
        "INSERT INTO runs (run_id, kind, started_at, status) "
        "VALUES ('r1', 'demo', now(), 'succeeded')"
    )
    con.close()
    n = len(warehouse.migrations())
    folder = _migrations_with(
        tmp_path, {f"{n + 1:04d}_run_host.sql": "ALTER TABLE runs ADD COLUMN host VARCHAR;"}
    )
    con = warehouse.connect(path, folder=folder)
    try:
        assert warehouse.schema_version(con) == n + 1
        assert con.execute("SELECT run_id, host FROM runs").fetchall() == [("r1", None)]
    finally:
        con.close()


def test_a_failed_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    warehouse.connect(path).close()
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
    warehouse.connect(path).close()
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
