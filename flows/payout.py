"""A payment batch: payout review, 补贴核算表 and 公示 for its classes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import flow

from crosscheck import warehouse
from crosscheck.flows.common import day, reports_dir, warehouse_path
from crosscheck.reports import accounting as sheet
from crosscheck.reports import notice
from crosscheck.reports.publish import publish_all


@flow(name="payout-batch")
def payout_batch(
    batch_id: str,
    class_ids: list[str] | None = None,
    publish_on: str | None = None,
    as_of: str | None = None,
    db: str | None = None,
) -> dict[str, Any]:
    path = warehouse_path(db)
    check_day = day(as_of)
    con = warehouse.connect(path)
    try:
        result, missing = notice.for_batch(
            con,
            batch_id,
            class_ids,
            dt.date.fromisoformat(publish_on) if publish_on else None,
            check_day,
        )
        table = result.accounts
        folder = reports_dir()
        accounts = folder / f"补贴核算表-{batch_id}.xlsx"
        sheet.write(accounts, table, issued_on=check_day, batch_id=batch_id)
        listing = folder / f"公示名单-{batch_id}.xlsx"
        notice.write(listing, result)
        publish_all(con, path, check_day)
    finally:
        con.close()
    return {
        "batch_id": batch_id,
        "classes": result.classes.height,
        "trainees": result.rows.height,
        "amount_fen": int(result.classes["actual_fen"].sum()),
        "notice_ends_on": max((p.ends_on for p in result.parts), default=check_day).isoformat(),
        "notices": [
            {"published_on": p.published_on.isoformat(), "ends_on": p.ends_on.isoformat()}
            for p in result.parts
        ],
        "withheld": result.withheld["class_id"].to_list() + missing,
        "accounting_xlsx": str(accounts),
        "notice_xlsx": str(listing),
    }
