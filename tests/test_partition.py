"""Partitioned checks (issue 16): the rosters and registries split by the first 14
characters of the ID number, each partition's rules in a DuckDB of its own, the
class-level rules once — and the warehouse gets exactly what one run writes: the
same findings (ids, severities, evidence) and the same links, row for row.

In process with plain ``map`` at several partition counts; through the CLI on Dask's
LocalCluster (``check all --workers 2``) on a ``city`` world; and in the nightly
flow through prefect-dask's task runner (tests/test_flows.py)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from crosscheck import warehouse
from crosscheck.checks import partition
from tests.conftest import SMALL_AS_OF, run_cli

FINDINGS = (
    "SELECT finding_id, stage, class_id, id_number, rule_code, severity, policy_id, "
    "policy_version, clause, match_level, CAST(evidence AS VARCHAR) FROM findings "
    "WHERE resolved_at IS NULL"
)
LINKS = "SELECT class_id, id_number, source, record_key, record_id, link, name_level FROM links"


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return sorted(con.execute(sql).fetchall(), key=repr)
    finally:
        con.close()


@pytest.mark.parametrize("parts", [1, 3])
def test_partitions_write_exactly_what_one_run_writes(
    small_published: dict[str, Path], tmp_path: Path, home: Path, parts: int
) -> None:
    one = small_published["db"]  # checked by one run (the fixture)
    db = tmp_path / "w.duckdb"
    shutil.copy(one, db)
    con = warehouse.connect(db)
    try:
        con.execute("DELETE FROM findings")
        con.execute("DELETE FROM links")
        summaries = partition.run(
            con,
            ["identity", "opening", "payout"],
            "parts",
            as_of=dt.date.fromisoformat(SMALL_AS_OF),
            parts=parts,
            mapper=map,
        )
    finally:
        con.close()
    expected = rows(one, FINDINGS)
    assert sum(s.found for s in summaries) == len(expected)
    assert rows(db, FINDINGS) == expected
    assert rows(db, LINKS) == rows(one, LINKS)
    # the class-level findings come from the class pass: a partition alone misses them
    assert any(r[3] is None for r in expected)


def test_a_partition_alone_would_count_a_class_wrong(
    small_published: dict[str, Path], tmp_path: Path, home: Path
) -> None:
    """Why the class pass exists: in one partition of three, a class's roster is a
    third of itself, and its class-level findings are not the whole run's."""
    db = tmp_path / "w.duckdb"
    shutil.copy(small_published["db"], db)
    con = warehouse.connect(db)
    folder = tmp_path / "export"
    try:
        jobs = partition.prepare(
            con,
            folder,
            ["identity", "opening", "payout"],
            "p",
            as_of=dt.date.fromisoformat(SMALL_AS_OF),
            parts=3,
        )
    finally:
        con.close()
    assert [j.part for j in jobs] == [partition.CLASS_PASS, 0, 1, 2]
    whole, _ = partition.run_task(jobs[0])
    assert whole.column("id_number").null_count == whole.num_rows  # class-level only
    one_third, _ = partition.run_task(jobs[1])
    assert one_third.column("id_number").null_count == 0  # trainee-level only
    expected = {r[0] for r in rows(small_published["db"], FINDINGS) if r[3] is None}
    assert set(whole.column("finding_id").to_pylist()) == expected


def test_check_all_on_dask_writes_the_same_findings_as_one_run(tmp_path: Path, home: Path) -> None:
    """The done-when of issue 16's first part: a ``city`` world, ``check all`` and
    ``check all --workers 2`` (Dask's LocalCluster, two processes) on two copies of
    the same warehouse, compared row for row."""
    from crosscheck.ingest.run import from_files
    from crosscheck.world.generate import generate
    from crosscheck.world.scales import AS_OF

    world = tmp_path / "city"
    generate("city", 5, world)
    single, parted = tmp_path / "one.duckdb", tmp_path / "parts.duckdb"
    con = warehouse.connect(single, create=True)
    try:
        from_files(con, world, as_of=AS_OF)
    finally:
        con.close()
    shutil.copy(single, parted)
    for db, extra in ((single, []), (parted, ["--workers", "2"])):
        done = run_cli(
            "check", "all", "--as-of", AS_OF.isoformat(), "--db", str(db), *extra, home=home
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    found = rows(single, FINDINGS)
    assert len(found) > 1000
    assert rows(parted, FINDINGS) == found
    assert rows(parted, LINKS) == rows(single, LINKS)
