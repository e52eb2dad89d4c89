"""The monthly provincial report (on the 1st, for the month before)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow, task

from crosscheck.flows.common import CHINA, reports_dir, warehouse_path
from crosscheck.reports import monthly
from crosscheck.reports.publish import open_published


def previous_month(today: dt.date) -> str:
    first = today.replace(day=1)
    return f"{first - dt.timedelta(days=1):%Y-%m}"


@task(name="purge-expired")
def purge_expired(db: str | None, today: str) -> list[str]:
    """Remove the personal data of classes paid longer ago than the notices require
    (3 years; 5 for online training), then republish so no copy keeps it."""
    from crosscheck import retention, warehouse
    from crosscheck.reports.publish import last_as_of, publish_all

    day = dt.date.fromisoformat(today)
    path = warehouse_path(db)
    con = warehouse.connect(path)
    try:
        done = retention.purge(con, retention.earliest_allowed(day), today=day)
        if done:
            publish_all(con, path, last_as_of() or day)
    finally:
        con.close()
    return [c.class_id for c in done]


@flow(name="monthly-report")
def monthly_report(
    month: str | None = None, city: str | None = None, db: str | None = None, purge: bool = True
) -> dict[str, Any]:
    today = dt.datetime.now(CHINA).date()
    purged = purge_expired(db, today.isoformat()) if purge else []
    chosen = month or previous_month(today)
    con = open_published()
    try:
        f = monthly.Filters(chosen, city)
        path = monthly.write_xlsx(con, f, reports_dir() / f"月度报告-{chosen}.xlsx")
        cities = monthly.summary(con, f, "city_name")
    finally:
        con.close()
    return {
        "month": chosen,
        "xlsx": str(path),
        "classes": int(cities["classes"].sum()) if cities.height else 0,
        "findings": int(cities["findings"].sum()) if cities.height else 0,
        "purged_classes": purged,
    }
