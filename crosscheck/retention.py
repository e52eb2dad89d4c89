"""Retention: the personal data of paid classes, removed once the notices allow.

The notices keep training archives at least 3 years (000 §3: 培训档案至少保存3年)
and online-training data at least 5 years (002: 线上培训数据保存5年以上). A class
is *paid* when it has payments and all of them are dated; its personal data may be
removed once its last payment is older than the retention period (5 years for a
class with online hours or under an online-training policy, else 3) and older than
the cut-off the operator gives.

What is removed, per class: the roster (names, ID numbers, phones), attendance,
exam results, drop-outs, materials review, acceptance of a person, objections to
the notice, certification subsidies, identity links and decisions on a person's
findings. What is kept: the class, its payments (no personal data), its
class-level findings, its person-level findings without the person (``PURGED-n``
in place of the ID, evidence replaced), and in ``purged_classes`` its trainee
count and the accounting it was paid on — so counts and money stay true on the
dashboard and in the monthly report. The registries (pension, licences, …) are
copies of other systems' data, refreshed by every ingest: they are not purged
here. Everything happens in one transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from dataclasses import dataclass

import duckdb
import polars as pl

from crosscheck import killpoint
from crosscheck.errors import CrosscheckError

ARCHIVE_YEARS = 3  # 000 §3
ONLINE_YEARS = 5  # 002
# person-keyed tables of a class: every row of a purged class goes
PERSONAL = (
    "roster_entries",
    "attendance",
    "exam_results",
    "dropouts",
    "materials_review",
    "notice_objections",
    "certification_subsidies",
    "links",
)


@dataclass(frozen=True)
class Candidate:
    class_id: str
    last_paid_on: dt.date
    online: bool
    trainees: int


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def earliest_allowed(today: dt.date) -> dt.date:
    """The latest cut-off a purge may use today: 3 years back."""
    return _years_before(today, ARCHIVE_YEARS)


def candidates(con: duckdb.DuckDBPyConnection, before: dt.date, today: dt.date) -> list[Candidate]:
    """The paid classes whose personal data may go: last payment before ``before``
    and past its retention period on ``today``; not purged already."""
    rows = con.execute(
        """
        WITH paid AS (
            SELECT class_id, max(paid_on) AS last_paid_on
            FROM payments GROUP BY class_id HAVING count(*) = count(paid_on))
        SELECT c.class_id, p.last_paid_on,
               coalesce(c.hours_online, 0) > 0 OR c.online_platform IS NOT NULL
                   OR coalesce(c.policy_id, '') LIKE '%online%' AS online,
               (SELECT count(DISTINCT id_number) FROM roster_entries r
                WHERE r.class_id = c.class_id) AS trainees
        FROM classes c JOIN paid p USING (class_id)
        WHERE p.last_paid_on < $before
          AND c.class_id NOT IN (SELECT class_id FROM purged_classes)
        ORDER BY c.class_id""",
        {"before": before},
    ).fetchall()
    found = []
    for class_id, last_paid_on, online, trainees in rows:
        keep = ONLINE_YEARS if online else ARCHIVE_YEARS
        if last_paid_on < _years_before(today, keep):
            found.append(Candidate(class_id, last_paid_on, bool(online), int(trainees)))
    return found


def purge(
    con: duckdb.DuckDBPyConnection,
    before: dt.date,
    *,
    today: dt.date | None = None,
    dry_run: bool = False,
    run_id: str | None = None,
) -> list[Candidate]:
    """Remove the personal data of every candidate class (see the module); with
    ``dry_run``, only say which. Refuses a cut-off inside the 3-year archive period."""
    today = today or dt.date.today()
    latest = earliest_allowed(today)
    if before > latest:
        raise CrosscheckError(
            f"--before {before} 太近：培训档案至少保存 {ARCHIVE_YEARS} 年（线上培训数据 "
            f"{ONLINE_YEARS} 年），今天最晚只能清除 {latest} 之前拨付的班级"
        )
    chosen = candidates(con, before, today)
    if dry_run or not chosen:
        return chosen
    from crosscheck.checks import accounting, runner

    ids = [c.class_id for c in chosen]
    run_id = run_id or f"purge-{dt.datetime.now():%Y%m%dT%H%M%S}"
    con.execute("BEGIN TRANSACTION")
    try:
        # the accounting each class was paid on, kept before its roster goes
        runner.prepare_udfs(con)
        runner.class_params(con)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _scope AS SELECT unnest($ids) AS class_id", {"ids": ids}
        )
        money = accounting.compute(con, today).select(*accounting.SUMMARY)
        con.register("_purge_money", money.to_arrow())
        con.register(
            "_purge_classes",
            pl.DataFrame(
                {
                    "class_id": ids,
                    "last_paid_on": [c.last_paid_on for c in chosen],
                    "trainees": [c.trainees for c in chosen],
                }
            ).to_arrow(),
        )
        con.execute(
            """
            INSERT INTO purged_classes
            SELECT p.class_id, now()::TIMESTAMP, $before, p.last_paid_on, p.trainees,
                   m.opened, m.subsidised, m.proposed_fen, m.total_deduction_fen,
                   m.actual_fen, m.payable, $run_id
            FROM _purge_classes p LEFT JOIN _purge_money m USING (class_id)""",
            {"before": before, "run_id": run_id},
        )
        scope = "class_id IN (SELECT class_id FROM _purge_classes)"
        # the decisions on a trainee's findings hold the person's evidence: they go with it
        # (the append-only log's one exception is the retention period's end)
        con.execute(f"DELETE FROM decisions WHERE {scope} AND id_number IS NOT NULL")
        for table in PERSONAL:
            con.execute(f"DELETE FROM {table} WHERE {scope}")
        con.execute(f"DELETE FROM completion_acceptance WHERE {scope} AND id_number IS NOT NULL")
        evidence = json.dumps({"purged": "个人数据已按留存期限清除"}, ensure_ascii=False)
        con.execute(
            f"""
            UPDATE findings SET
                id_number = 'PURGED-' || CAST(k.n AS VARCHAR), evidence = $evidence
            FROM (SELECT class_id, id_number,
                         dense_rank() OVER (PARTITION BY class_id ORDER BY id_number) AS n
                  FROM (SELECT DISTINCT class_id, id_number FROM findings
                        WHERE {scope} AND id_number IS NOT NULL)) k
            WHERE findings.class_id = k.class_id AND findings.id_number = k.id_number""",
            {"evidence": evidence},
        )
        con.execute(
            "INSERT INTO runs (run_id, kind, started_at, finished_at, status, as_of, summary, "
            "pid, host) VALUES (?, 'purge', now()::TIMESTAMP, now()::TIMESTAMP, 'succeeded', "
            "?, ?, ?, ?)",
            [
                run_id,
                today,
                json.dumps({"before": str(before), "classes": ids}, ensure_ascii=False),
                *_owner(),
            ],
        )
        killpoint.here("purge.commit")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for name in ("_purge_money", "_purge_classes"):
            with contextlib.suppress(duckdb.Error):
                con.unregister(name)
    return chosen


def purged(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT class_id FROM purged_classes").fetchall()}


def _owner() -> tuple[int, str]:
    from crosscheck import warehouse

    return warehouse.owner()
