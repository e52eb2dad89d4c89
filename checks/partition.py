"""Partitioned checks (issue 16): the same findings as one run, from partitions that
run side by side on Dask.

Every trainee rule joins by person, and a person's records — and their fuzzy
candidates and namesakes (reading 9: the same region and birth date) — share the
first 14 characters of the ID number. So the person-keyed tables (the rosters and
the six registries the links read) are split by a hash of those 14 characters into
Parquet partitions; each partition is loaded into a DuckDB of its own, beside a
copy of every other table (classes, operations, directory: small), and runs every
stage there. Its trainee-level findings are exactly the single run's for its
people (tested). The class-level findings count whole rosters, so one more task —
the *class pass* — runs with the whole rosters and no registry at all (no
class-level rule reads a registry; tested) and keeps only those. The main process
gathers both and writes them with the single run's own :func:`runner.write`:
same finding ids, same evidence, same links.

The tasks take paths and return Arrow tables (DuckDB connections do not pickle),
so they run on any Dask worker that sees the export folder: a LocalCluster by
default, or a scheduler's address.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from crosscheck.checks import links, runner

# split by the person's block; every other table is copied whole to each partition
PERSON_TABLES = ("roster_entries", *links.REGISTRIES)
# what no rule reads: the run's own outputs, the load's bookkeeping
NOT_READ = frozenset(
    {
        "findings",
        "links",
        "quarantine",
        "runs",
        "load_state",
        "load_files",
        "schema_migrations",
        "decisions",
        "appeals",
    }
)
CLASS_PASS = -1  # the task with the whole rosters and no registry


def bucket(parts: int) -> str:
    """SQL: a row's partition, from the first 14 characters of its ID number."""
    return f"hash(coalesce(substr(id_number, 1, 14), '')) % {parts}"


def export(con: duckdb.DuckDBPyConnection, folder: Path, parts: int) -> list[str]:
    """The warehouse's tables the rules read, as Parquet under ``folder``: the
    person-keyed ones in ``parts`` partitions (``<table>/<n>.parquet``), the others
    whole (``<table>.parquet``). Returns the tables exported."""
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND NOT temporary ORDER BY table_name"
        ).fetchall()
        if r[0] not in NOT_READ
    ]
    folder.mkdir(parents=True, exist_ok=True)
    for table in tables:
        if table in PERSON_TABLES:
            # one COPY per partition: measured faster than one scan with PARTITION_BY
            # (province, 2 partitions: export 22 s against 34 s)
            (folder / table).mkdir(parents=True, exist_ok=True)
            for n in range(parts):
                con.execute(
                    f"COPY (SELECT * FROM {table} WHERE {bucket(parts)} = {n}) "
                    f"TO '{folder / table / f'{n}.parquet'}' (FORMAT parquet)"
                )
        else:
            con.execute(f"COPY {table} TO '{folder / f'{table}.parquet'}' (FORMAT parquet)")
    return tables


@dataclass(frozen=True)
class Task:
    folder: str  # the export
    tables: tuple[str, ...]
    part: int  # a partition, or CLASS_PASS
    parts: int
    stages: tuple[str, ...]
    as_of: dt.date
    run_id: str
    class_ids: tuple[str, ...] | None = None  # None: every class
    threads: int | None = None  # DuckDB threads (None: the machine's cores)


def run_task(task: Task) -> tuple[pa.Table, pa.Table]:
    """One partition's (or the class pass's) findings and links, in a DuckDB of its
    own: the ``_rated`` rows it keeps and its ``links`` rows."""
    from crosscheck import warehouse

    work = Path(tempfile.mkdtemp(prefix="crosscheck-part-"))
    try:
        # in memory (spilling to the task's folder): nothing of it is kept, and a
        # file would write every row twice (measured: the load takes twice as long)
        con = duckdb.connect(":memory:", config={"temp_directory": str(work)})
        try:
            warehouse.migrate(con)
            con.execute("SET enable_progress_bar = false")
            if task.threads is not None:  # tasks side by side on one machine share it
                con.execute(f"SET threads = {int(task.threads)}")
            # the lookup indexes serve one-class checks; a partition is read whole, by
            # hash joins, and filling an index costs more than the run (measured)
            for (index,) in con.execute(
                "SELECT index_name FROM duckdb_indexes() WHERE database_name = current_database()"
            ).fetchall():
                con.execute(f'DROP INDEX "{index}"')
            folder = Path(task.folder)
            for table in task.tables:
                if table not in PERSON_TABLES:
                    source = f"'{folder / f'{table}.parquet'}'"
                elif task.part == CLASS_PASS:
                    if table != "roster_entries":
                        continue  # no registry: the class-level rules read none
                    source = f"'{folder / table}/*.parquet'"
                else:
                    source = f"'{folder / table / f'{task.part}.parquet'}'"
                con.execute(f"INSERT INTO {table} SELECT * FROM read_parquet({source})")
            ids = list(task.class_ids) if task.class_ids is not None else None
            runner.found(con, list(task.stages), as_of=task.as_of, class_ids=ids)
            keep = "IS NULL" if task.part == CLASS_PASS else "IS NOT NULL"
            rated = con.sql(f"SELECT * FROM _rated WHERE id_number {keep}").to_arrow_table()
            linked = con.sql(links.rows(), params={"run": task.run_id}).to_arrow_table()
            return rated, linked
        finally:
            con.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


Mapper = Callable[[Callable[[Task], Any], list[Task]], Iterable[tuple[pa.Table, pa.Table]]]


def prepare(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    stages: list[str],
    run_id: str,
    *,
    as_of: dt.date,
    parts: int,
    class_ids: list[str] | None = None,
    threads: int | None = None,
) -> list[Task]:
    """Export the warehouse into ``folder`` and say the tasks: the class pass, then
    one per partition; ``threads``: each task's DuckDB threads (:func:`local_threads`
    for tasks sharing this machine)."""
    tables = tuple(export(con, folder, parts))
    ids = tuple(class_ids) if class_ids is not None else None
    return [
        Task(str(folder), tables, part, parts, tuple(stages), as_of, run_id, ids, threads)
        for part in [CLASS_PASS, *range(parts)]
    ]


def local_threads(workers: int) -> int:
    """DuckDB threads for each of ``workers`` tasks running side by side on this
    machine: its cores shared out (each DuckDB would otherwise take them all)."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def task_threads(workers: int, scheduler: str | None) -> int | None:
    """Each task's DuckDB threads: shared out on the LocalCluster started here; a
    scheduler's workers are machines of their own (None: all their cores)."""
    return None if scheduler else local_threads(workers)


def gather(
    con: duckdb.DuckDBPyConnection,
    stages: list[str],
    run_id: str,
    results: Iterable[tuple[pa.Table, pa.Table]],
    class_ids: list[str] | None = None,
) -> list[runner.RunSummary]:
    """Write the tasks' findings and links as the single run writes its own."""
    results = list(results)
    rated = pa.concat_tables([r for r, _ in results], promote_options="default")
    linked = pa.concat_tables([k for _, k in results], promote_options="default")
    con.register("_rated_parts", rated)
    con.register("_linked_parts", linked)
    try:
        # the single run's scope, findings and links tables, filled from the partitions
        if class_ids is None:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _scope AS SELECT class_id FROM classes "
                "WHERE class_id NOT IN (SELECT class_id FROM purged_classes)"
            )
        else:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _scope AS SELECT unnest($ids) AS class_id",
                {"ids": class_ids},
            )
        con.execute("CREATE OR REPLACE TEMP TABLE _rated AS SELECT * FROM _rated_parts")
        con.execute("CREATE OR REPLACE TEMP TABLE _linked AS SELECT * FROM _linked_parts")
    finally:
        con.unregister("_rated_parts")
        con.unregister("_linked_parts")
    return runner.write(con, stages, run_id, "_linked")


def run(
    con: duckdb.DuckDBPyConnection,
    stages: list[str],
    run_id: str,
    *,
    as_of: dt.date,
    parts: int,
    mapper: Mapper,
    class_ids: list[str] | None = None,
    threads: int | None = None,
) -> list[runner.RunSummary]:
    """The stages for every class (or the given ones), partitioned: export, the tasks
    through ``mapper`` (Dask's ``client.map`` and gather, or plain ``map``), then one
    write, as :func:`runner.run_stages` would. (The nightly flow runs the same three
    steps with Prefect's DaskTaskRunner: ``flows/nightly.py``.)"""
    folder = Path(tempfile.mkdtemp(prefix="crosscheck-export-"))
    try:
        tasks = prepare(
            con,
            folder,
            stages,
            run_id,
            as_of=as_of,
            parts=parts,
            class_ids=class_ids,
            threads=threads,
        )
        results = list(mapper(run_task, tasks))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return gather(con, stages, run_id, results, class_ids)


def dask_mapper(workers: int, scheduler: str | None = None) -> Mapper:
    """Run the tasks on Dask: a LocalCluster of ``workers`` processes (one thread
    each: a DuckDB query uses its own threads), or the scheduler at ``scheduler``."""

    def mapper(fn: Callable[[Task], Any], tasks: list[Task]) -> list[tuple[pa.Table, pa.Table]]:
        from distributed import Client, LocalCluster

        cluster = None
        if scheduler is None:
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=50,  # logging.CRITICAL: the CLI says what happened
            )
        client = Client(scheduler or cluster)
        try:
            return list(client.gather(client.map(fn, tasks, pure=False)))
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    return mapper
