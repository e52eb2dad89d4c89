"""The check half of the nightly run: which classes to re-check, and the run's
summary. (The flow in ``flows/nightly.py`` wires this to the registry pulls.)

Re-checked every night: every class not yet paid whose course has not ended
more than a year ago — classes filed or open (the opening stage, against the
registries as they are today) and classes ended but not paid (the payout
stage). Findings are stable, so the summary's "new" counts only what the
night's data changed.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb

from crosscheck import warehouse
from crosscheck.checks import runner

STAGES = ["identity", "opening", "payout"]


def pending_classes(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> list[str]:
    """Classes still open to a decision: not paid or rejected, ended within a year."""
    return [
        r[0]
        for r in con.execute(
            """
            SELECT class_id FROM classes
            WHERE coalesce(status, '') NOT IN ('paid', 'rejected')
              AND planned_end >= CAST($as_of AS DATE) - INTERVAL 1 YEAR
              AND class_id NOT IN (SELECT class_id FROM payments)
            ORDER BY class_id""",
            {"as_of": as_of},
        ).fetchall()
    ]


def recheck(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, run_id: str, class_ids: list[str] | None = None
) -> dict[str, Any]:
    """Re-check the pending classes (or the given ones); what was found, what is new.
    The decisions and appeals made on the web since the last run are merged first."""
    from crosscheck import decisions

    decisions.merge_inbox(con)
    ids = pending_classes(con, as_of) if class_ids is None else class_ids
    if not ids:
        return summarize(con, run_id, [], [])
    summaries = runner.run_stages(con, STAGES, run_id, as_of=as_of, class_ids=ids)
    return summarize(con, run_id, ids, summaries)


def summarize(
    con: duckdb.DuckDBPyConnection | None,
    run_id: str,
    ids: list[str],
    summaries: list[runner.RunSummary],
) -> dict[str, Any]:
    """The re-check's part of the night's summary: classes, found, new, resolved and
    the new findings by rule."""
    if not ids or con is None:  # nothing re-checked
        return {"classes": 0, "found": 0, "new": 0, "resolved": 0, "new_by_rule": {}}
    new_by_rule = dict(
        con.execute(
            "SELECT rule_code, count(*) FROM findings WHERE first_run_id = ? "
            "GROUP BY rule_code ORDER BY rule_code",
            [run_id],
        ).fetchall()
    )
    return {
        "classes": len(ids),
        "found": sum(s.found for s in summaries),
        "new": sum(s.new for s in summaries),
        "resolved": sum(s.resolved for s in summaries),
        "new_by_rule": new_by_rule,
    }


def record(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    kind: str,
    started: dt.datetime,
    status: str,
    as_of: dt.date,
    summary: dict[str, Any],
) -> None:
    """Write the run's summary into ``runs`` (what changed, found, failed)."""
    text = json.dumps(summary, ensure_ascii=False, default=str)
    con.execute(
        """
        INSERT INTO runs (run_id, kind, started_at, finished_at, status, as_of, summary,
                          pid, host)
        VALUES (?, ?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?)
        ON CONFLICT (run_id) DO UPDATE SET finished_at = excluded.finished_at,
            status = excluded.status, summary = excluded.summary""",
        [run_id, kind, started, status, as_of, text, *warehouse.owner()],
    )
