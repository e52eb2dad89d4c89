"""The DuckDB warehouse: one file, a versioned schema, migrations in place.

Migrations are the numbered ``NNNN_name.sql`` files beside this module. Each runs
in its own transaction together with its row in ``schema_migrations``; a failed
migration leaves the file at the previous version. Opening a warehouse for
writing upgrades it; opening it read-only never does (and refuses a file whose
schema is older than this code).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from crosscheck.errors import WarehouseError
from crosscheck.paths import default_warehouse

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# DuckDB may use this much memory before it spills to ``<file>.tmp`` (bulk loads of a
# province stay within a few GiB this way); override with CROSSCHECK_DUCKDB_MEMORY.
CONFIG: dict[str, str | bool] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "memory_limit": os.environ.get("CROSSCHECK_DUCKDB_MEMORY", "6GB"),
}


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


def migrations(folder: Path = MIGRATIONS) -> list[Migration]:
    """The migrations in a folder, in order; numbering must have no gaps."""
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise WarehouseError(f"{path}：迁移文件名应为 NNNN_name.sql")
        found.append(Migration(int(match[1]), match[2], path))
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise WarehouseError(f"{migration.path}：迁移编号应为 {expected:04d}，不可跳号")
    return found


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchall()[0]
    if not exists or not exists[0]:
        return 0
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchall()[0]
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection, folder: Path = MIGRATIONS) -> list[Migration]:
    """Apply every pending migration; return those applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    current = schema_version(con)
    applied = []
    for migration in migrations(folder):
        if migration.version <= current:
            continue
        try:
            con.execute("BEGIN TRANSACTION")
            con.execute(migration.path.read_text(encoding="utf-8"))
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)",
                [migration.version, migration.name],
            )
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise WarehouseError(
                f"迁移 {migration.path.name} 执行失败，仓库保持在版本 {current}：{exc}"
            ) from exc
        applied.append(migration)
        current = migration.version
    return applied


def connect(
    path: Path | None = None, *, read_only: bool = False, folder: Path = MIGRATIONS
) -> duckdb.DuckDBPyConnection:
    """Open (and, when writable, create and upgrade) the warehouse file."""
    path = path or default_warehouse()
    if read_only and not path.exists():
        raise WarehouseError(f"仓库文件 {path} 不存在：先运行 crosscheck db init")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path), read_only=read_only, config=dict(CONFIG))
        con.execute("SET enable_progress_bar = false")  # never draw on a terminal or a log
        # checkpoint when the WAL reaches 256 MB (default 16 MB) or at close: a
        # one-class check's few writes then never wait for a checkpoint mid-statement
        con.execute("SET checkpoint_threshold = '256MB'")
    except (OSError, duckdb.Error) as exc:
        raise WarehouseError(f"无法打开仓库文件 {path}：{exc}") from exc
    if read_only:
        latest = len(migrations(folder))
        if schema_version(con) < latest:
            con.close()
            raise WarehouseError(
                f"仓库文件 {path} 的结构版本低于 {latest}：以可写方式打开一次以升级"
                "（crosscheck db init）"
            )
    else:
        migrate(con, folder)
    return con


# The lookup indexes of migrations 0003–0004: table -> (index, column). A large load drops
# and rebuilds them in its own transaction (maintaining an ART index row by row
# costs several times the insert).
LOOKUP_INDEXES: dict[str, list[tuple[str, str]]] = {
    "household_registration": [("ix_household_registration_block", "id_block")],
    "student_status": [("ix_student_status_block", "id_block")],
    "pension_contributions": [("ix_pension_contributions_block", "id_block")],
    "business_licences": [("ix_business_licences_block", "id_block")],
    "training_records": [("ix_training_records_block", "id_block")],
    "dishonesty_list": [("ix_dishonesty_list_block", "id_block")],
}


def drop_lookup_indexes(con: duckdb.DuckDBPyConnection, table: str) -> None:
    for name, _ in LOOKUP_INDEXES.get(table, []):
        con.execute(f"DROP INDEX IF EXISTS {name}")


def create_lookup_indexes(con: duckdb.DuckDBPyConnection, table: str) -> None:
    for name, column in LOOKUP_INDEXES.get(table, []):
        con.execute(f'CREATE INDEX IF NOT EXISTS {name} ON "{table}" ("{column}")')


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts of every table in the main schema."""
    names = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' ORDER BY table_name"
        ).fetchall()
    ]
    counts = {}
    for name in names:
        row = con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0]
        counts[name] = int(row[0]) if row else 0
    return counts
