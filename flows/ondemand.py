"""One class's opening review as a flow run, for the record (the service answers
officials directly; this writes the findings into the warehouse)."""

from __future__ import annotations

from typing import Any

from prefect import flow

from crosscheck import warehouse
from crosscheck.checks import review
from crosscheck.flows.common import day, warehouse_path
from crosscheck.reports.publish import publish_all


@flow(name="opening-check")
def opening_check(class_id: str, as_of: str | None = None, db: str | None = None) -> dict[str, Any]:
    path = warehouse_path(db)
    con = warehouse.connect(path)
    try:
        if not review.known(con, class_id):
            raise ValueError(f"仓库中没有班级 {class_id}")
        result = review.opening(con, class_id, day(as_of))
        publish_all(con, path, day(as_of))
    finally:
        con.close()
    return {
        "class_id": class_id,
        "verdict": result.verdict,
        "findings": len(result.findings),
        "trainees_flagged": sum(t.verdict != "approve" for t in result.trainees),
    }
