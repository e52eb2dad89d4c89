"""The DuckDB warehouse: one file, a versioned schema, migrations in place.

Migrations are the numbered ``NNNN_name.sql`` files beside this module. Each runs
in its own transaction together with its row in ``schema_migrations``; a failed
migration leaves the file at the previous version. Opening a warehouse for
writing upgrades it; opening it read-only never does (and refuses a file whose
schema is older than this code). Only ``create=True`` (``db init``, the demo)
makes a new file: a misspelled ``--db`` is an error, not a new empty warehouse.

DuckDB lets one process write a file and shuts every other process out, readers
included. When the file is held, the error names the process holding it (its
command line and when it started); a read-only open then reads the last snapshot
of the same file (``publish.snapshot``) instead, saying so on stderr. A writer
that opens the file marks the runs whose process died while 'running' as
'abandoned', with the pid that died.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import gc
import json
import os
import re
import socket
import sys
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from crosscheck.errors import WarehouseError
from crosscheck.paths import default_warehouse, ensure_private_dir

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


_CLOSE_AT_EXIT: weakref.WeakSet[duckdb.DuckDBPyConnection] = weakref.WeakSet()


def register_udf(
    con: duckdb.DuckDBPyConnection,
    name: str,
    function: Callable[..., Any],
    parameters: list[str],
    returns: str,
) -> None:
    """``con.create_function`` (once per connection), remembering the connection: a
    connection still open with Python functions at interpreter exit makes DuckDB's
    bindings print hundreds of "leaked instance" lines, so those left open are
    closed at exit (issue 12, item 13)."""
    with contextlib.suppress(duckdb.Error):  # already registered on this connection
        con.create_function(name, function, parameters, returns)  # type: ignore[arg-type]
    _CLOSE_AT_EXIT.add(con)


_RELEASE_AT_EXIT: weakref.WeakKeyDictionary[object, str] = weakref.WeakKeyDictionary()


def release_at_exit(owner: object, attribute: str) -> None:
    """At exit, close the connection ``owner.<attribute>`` and drop the owner's
    reference to it. Closing alone is not enough when the owner itself lives to the
    very end (a web framework's module-level caches hold every endpoint, and so the
    registry simulator's store): the connection must be freed while DuckDB's bindings
    still exist, or they print "leaked instance" lines (issue 12, item 13)."""
    _RELEASE_AT_EXIT[owner] = attribute


@atexit.register
def _close_connections_with_udfs() -> None:
    # connections caught in reference cycles (an app, a fixture, a traceback) are
    # freed now, while DuckDB's bindings can still release them quietly
    gc.collect()
    for owner, attribute in list(_RELEASE_AT_EXIT.items()):
        con = owner.__dict__.pop(attribute, None)
        if isinstance(con, duckdb.DuckDBPyConnection):
            with contextlib.suppress(Exception):
                con.close()
        del con
    for con in list(_CLOSE_AT_EXIT):
        with contextlib.suppress(Exception):  # one that cannot close must not stop the rest
            con.close()
    gc.collect()


def sql_string(value: str | Path) -> str:
    """``value`` as a SQL string literal (for the few statements that take no
    parameters, such as ATTACH): quotes doubled, so a path with ``'`` is safe."""
    return "'" + str(value).replace("'", "''") + "'"


def owner() -> tuple[int, str]:
    """This process: its pid and host, as a run records them."""
    return os.getpid(), socket.gethostname()


_LOCK = re.compile(r"Conflicting lock is held in (.*?) \(PID (\d+)\)")


def _started(pid: int) -> dt.datetime | None:
    """When process ``pid`` started (local time; Linux /proc), or None if it is gone."""
    try:
        ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, ValueError, IndexError, StopIteration):
        return None
    return dt.datetime.fromtimestamp(boot + ticks / os.sysconf("SC_CLK_TCK"))


def _holder(pid: int) -> str:
    """Who holds the lock: the command line of ``pid`` and when it started."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return f"进程 {pid}"
    words = [a.decode("utf-8", "replace") for a in argv if a]
    # `python …/bin/crosscheck check all` -> `crosscheck check all`
    for i, word in enumerate(words):
        if Path(word).name in ("crosscheck", "prefect"):
            words = [Path(word).name, *words[i + 1 :]]
            break
    command = " ".join(" ".join(words).split())[:120]
    started = _started(pid)
    when = f"，{started:%Y-%m-%d %H:%M:%S} 开始" if started else ""
    return f"“{command}”（进程 {pid}{when}）"


def _snapshot_of(path: Path) -> Path | None:
    """The last snapshot taken of the warehouse ``path``, if there is one."""
    from crosscheck.paths import home_dir

    snap = home_dir() / "snapshot.duckdb"
    try:
        meta = json.loads(snap.with_name(snap.name + ".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    same = meta.get("source") == str(path.resolve())
    return snap if same and snap.exists() else None


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=dict(CONFIG))
        con.execute("SET enable_progress_bar = false")  # never draw on a terminal or a log
        # checkpoint when the WAL reaches 256 MB (default 16 MB) or at close: a
        # one-class check's few writes then never wait for a checkpoint mid-statement
        con.execute("SET checkpoint_threshold = '256MB'")
    except duckdb.IOException as exc:
        held = _LOCK.search(str(exc))
        if held:
            raise WarehouseLockedError(
                f"仓库文件 {path} 正被另一任务使用：{_holder(int(held[2]))}。"
                "同一时间只能有一个任务写入仓库，请待其结束后再试"
            ) from None
        raise WarehouseError(f"无法打开仓库文件 {path}：{_why(exc)}") from None
    except (OSError, duckdb.Error) as exc:
        raise WarehouseError(f"无法打开仓库文件 {path}：{_why(exc)}") from None
    return con


def _why(exc: BaseException) -> str:
    """DuckDB's and the OS's reasons, in Chinese (the common ones)."""
    text = str(exc)
    if "not a valid DuckDB database" in text or "Invalid Input Error" in text:
        return "不是 DuckDB 仓库文件（文件已损坏，或是别的文件）"
    if isinstance(exc, PermissionError) or "Permission denied" in text:
        return "没有读写权限"
    if "newer version" in text or "older version" in text or "storage version" in text:
        return "文件由另一版本的 DuckDB 写成，与本程序的 DuckDB 版本不兼容"
    if isinstance(exc, OSError) and exc.strerror:
        return f"系统错误 {exc.errno}"
    return "DuckDB 无法打开该文件"


class WarehouseLockedError(WarehouseError):
    """Another process holds the warehouse file."""


def connect(
    path: Path | None = None,
    *,
    read_only: bool = False,
    create: bool = False,
    folder: Path = MIGRATIONS,
) -> duckdb.DuckDBPyConnection:
    """Open (and, when writable, upgrade; with ``create``, create) the warehouse file."""
    path = path or default_warehouse()
    if path.is_dir():
        raise WarehouseError(f"{path} 是一个目录：--db 应为仓库文件路径")
    if not path.exists() and not create:
        raise WarehouseError(
            f"仓库文件 {path} 不存在：检查 --db / --home 是否写错；"
            f"新建仓库请先运行 crosscheck db init --db {path}"
        )
    if not read_only:
        try:
            ensure_private_dir(path.parent)
        except OSError:
            raise WarehouseError(
                f"无法创建仓库所在的目录 {path.parent}（其路径中有同名文件？）"
            ) from None
    try:
        con = _open(path, read_only)
    except WarehouseLockedError as locked:
        snap = _snapshot_of(path) if read_only else None
        if snap is None:
            raise
        sys.stderr.write(f"注意：{locked}；以下读取其最近一次快照 {snap}\n")
        con = _open(snap, True)
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
        abandon_dead_runs(con)
    return con


def abandon_dead_runs(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int | None]]:
    """Mark as 'abandoned' every run of this host left 'running' by a process that is
    gone (or that recorded no pid: runs from before migration 0005). Returns
    (run_id, pid) of those marked."""
    rows = con.execute(
        "SELECT run_id, pid, started_at FROM runs "
        "WHERE status = 'running' AND (host IS NULL OR host = ?)",
        [socket.gethostname()],
    ).fetchall()
    dead = [(run_id, pid) for run_id, pid, at in rows if pid is None or not _alive(int(pid), at)]
    for run_id, pid in dead:
        con.execute(
            "UPDATE runs SET status = 'abandoned', finished_at = now()::TIMESTAMP, "
            "summary = ? WHERE run_id = ?",
            [
                json.dumps({"abandoned": f"进程 {pid} 已结束，运行未完成"}, ensure_ascii=False),
                run_id,
            ],
        )
    return dead


def _alive(pid: int, run_started: dt.datetime) -> bool:
    """Is the process that started a run still there (and not a later one given the
    same pid)?"""
    if pid == os.getpid():
        return True
    started = _started(pid)
    return started is not None and started <= run_started + dt.timedelta(seconds=2)


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
