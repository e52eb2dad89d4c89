"""Retention (issue 12, item 11): the personal data of paid classes goes once the
notices allow — 3 years for training archives (000), 5 for online training (002) —
and counts and money stay."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from crosscheck import retention, warehouse
from crosscheck.errors import CrosscheckError
from tests.conftest import run_cli

FULL_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9])")
TODAY = dt.date(2026, 6, 1)


@pytest.fixture
def home(small_published: dict[str, Path], tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    for name in ("db", "published", "snapshot"):
        shutil.copy(small_published[name], folder / small_published[name].name)
    return folder


def test_the_archive_period_is_a_floor(home: Path) -> None:
    """A cut-off inside the 3 years is refused; 3 years back to the day is allowed."""
    con = warehouse.connect(home / "crosscheck.duckdb")
    try:
        with pytest.raises(CrosscheckError, match="至少保存 3 年"):
            retention.purge(con, dt.date(2023, 6, 2), today=TODAY, dry_run=True)
        assert retention.purge(con, dt.date(2023, 6, 1), today=TODAY, dry_run=True)
    finally:
        con.close()


def test_online_training_is_kept_five_years(home: Path) -> None:
    con = warehouse.connect(home / "crosscheck.duckdb")
    try:
        before = [c.class_id for c in retention.candidates(con, dt.date(2023, 1, 1), TODAY)]
        assert "C00004" in before
        con.execute("UPDATE classes SET hours_online = 20 WHERE class_id = 'C00004'")
        after = [c.class_id for c in retention.candidates(con, dt.date(2023, 1, 1), TODAY)]
        assert "C00004" not in after  # paid 2022-08-01: under 5 years on 2026-06-01
        assert set(after) == set(before) - {"C00004"}
        later = dt.date(2027, 8, 2)  # 5 years and a day
        assert "C00004" in [c.class_id for c in retention.candidates(con, TODAY, later)]
    finally:
        con.close()


def _counts(path: Path, ids: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        by_rule = dict(
            con.execute(
                "SELECT rule_code, count(*) FROM findings WHERE list_contains(?, class_id) "
                "GROUP BY ALL",
                [ids],
            ).fetchall()
        )
        money = dict(
            con.execute(
                "SELECT class_id, approved_fen + withheld_fen FROM classes "
                "WHERE list_contains(?, class_id)",
                [ids],
            ).fetchall()
        )
    finally:
        con.close()
    return by_rule, money


def test_purge_removes_the_people_and_keeps_counts_and_money(home: Path) -> None:
    db = home / "crosscheck.duckdb"
    before = "2023-01-01"
    dry = run_cli("purge", "--before", before, "--dry-run", home=home)
    assert dry.returncode == 0, dry.stderr
    assert "未清除" in dry.stdout
    con = duckdb.connect(str(db), read_only=True)
    ids = [
        r[0]
        for r in con.execute(
            "SELECT class_id FROM payments GROUP BY 1 HAVING max(paid_on) < DATE '2023-01-01'"
        ).fetchall()
    ]
    trainees = dict(
        con.execute(
            "SELECT class_id, count(DISTINCT id_number) FROM roster_entries "
            "WHERE list_contains(?, class_id) GROUP BY 1",
            [ids],
        ).fetchall()
    )
    people = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT id_number FROM roster_entries WHERE list_contains(?, class_id)",
            [ids],
        ).fetchall()
    }
    assert con.execute("SELECT count(*) FROM purged_classes").fetchall() == [(0,)]  # dry run
    con.close()
    assert ids
    assert all(c in dry.stdout for c in ids)
    published = home / "published.duckdb"
    rules_before, money_before = _counts(published, ids)

    done = run_cli("purge", "--before", before, home=home)
    assert done.returncode == 0, done.stderr
    assert "已清除" in done.stdout

    con = duckdb.connect(str(db), read_only=True)
    try:
        for table in (*retention.PERSONAL, "completion_acceptance"):
            left = con.execute(
                f"SELECT count(*) FROM {table} WHERE list_contains(?, class_id) "
                + ("AND id_number IS NOT NULL" if table == "completion_acceptance" else ""),
                [ids],
            ).fetchall()
            assert left == [(0,)], table
        kept = dict(con.execute("SELECT class_id, trainees FROM purged_classes").fetchall())
        assert kept == {c: trainees.get(c, 0) for c in ids}
        texts = con.execute(
            "SELECT id_number, CAST(evidence AS VARCHAR) FROM findings "
            "WHERE list_contains(?, class_id)",
            [ids],
        ).fetchall()
        for number, evidence in texts:
            assert number is None or number.startswith("PURGED-")
            assert not FULL_ID.search(evidence)
        # other classes keep their people
        assert (
            con.execute(
                "SELECT count(*) FROM roster_entries WHERE NOT list_contains(?, class_id)", [ids]
            ).fetchall()[0][0]
            > 0
        )
    finally:
        con.close()
    # the published copies were rebuilt: counts and money as before, no one of them left
    rules_after, money_after = _counts(published, ids)
    assert rules_after == rules_before
    assert money_after == money_before
    # the service's copy of the warehouse was replaced too: none of them in its class
    # tables (the registries, copies of other systems, still hold everyone)
    snap = duckdb.connect(str(home / "snapshot.duckdb"), read_only=True)
    try:
        for table in ("roster_entries", "findings", "links", "attendance", "exam_results"):
            found = snap.execute(
                f"SELECT count(*) FROM {table} WHERE list_contains(?, id_number)", [list(people)]
            ).fetchall()
            assert found == [(0,)], table
    finally:
        snap.close()
    board = duckdb.connect(str(published), read_only=True)
    try:
        masked = board.execute(
            "SELECT count(*) FROM findings WHERE list_contains(?, class_id) AND name IS NOT NULL",
            [ids],
        ).fetchall()
        assert masked == [(0,)]  # no trainee name is shown for a purged class
    finally:
        board.close()
    # the checks leave a purged class alone: a new run neither finds nor resolves there
    again = run_cli("check", "all", "--as-of", "2025-12-20", home=home)
    assert again.returncode == 0, again.stderr
    assert _counts(published, ids)[0] == rules_before
    # and a second purge finds nothing more to do
    twice = run_cli("purge", "--before", before, home=home)
    assert twice.returncode == 0
    assert "未清除任何数据" in twice.stdout
