"""The monthly provincial report (on the 1st, for the month before)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow

from flows.common import CHINA, reports_dir
from reports import monthly
from reports.publish import open_published


def previous_month(today: dt.date) -> str:
    first = today.replace(day=1)
    return f"{first - dt.timedelta(days=1):%Y-%m}"


@flow(name="monthly-report")
def monthly_report(month: str | None = None, city: str | None = None) -> dict[str, Any]:
    chosen = month or previous_month(dt.datetime.now(CHINA).date())
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
    }
