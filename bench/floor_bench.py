"""Benchmark: the floor — the least work the checks need — next to crosscheck.

    .venv/bin/python bench/floor_bench.py <warehouse.duckdb> [--as-of 2025-12-20]

The floor is one hand-written DuckDB query doing only the exact-ID joins the
rules need: for every trainee of every class, whether each registry holds a
record that could matter (study records, household, pension spells before and
during the course, licences, other training, the dishonesty list) and the
class's own operational records (exams, dropouts, materials) — no fuzzy
identity, no evidence, no policy parameters, no findings written. Then
crosscheck's full run (identity, opening, payout) on the same warehouse, and
each stage's rules one by one, to show where the time goes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from crosscheck import warehouse
from crosscheck.checks import runner

FLOOR = """
WITH r AS (
    SELECT DISTINCT r.class_id, r.id_number, c.planned_start AS opening, c.planned_end AS ending
    FROM roster_entries r JOIN classes c USING (class_id))
SELECT count(*) AS trainees,
       count(*) FILTER (EXISTS (SELECT 1 FROM student_status s
                                WHERE s.id_number = r.id_number)) AS studied,
       count(*) FILTER (EXISTS (SELECT 1 FROM household_registration h
                                WHERE h.id_number = r.id_number)) AS registered,
       count(*) FILTER (EXISTS (SELECT 1 FROM pension_contributions p
                                WHERE p.id_number = r.id_number
                                  AND p.month_from < r.opening)) AS employed_before,
       count(*) FILTER (EXISTS (SELECT 1 FROM pension_contributions p
                                WHERE p.id_number = r.id_number AND p.month_to >= r.opening
                                  AND p.month_from <= r.ending)) AS employed_during,
       count(*) FILTER (EXISTS (SELECT 1 FROM business_licences l
                                WHERE l.id_number = r.id_number
                                  AND l.established_on < r.ending)) AS licensed,
       count(*) FILTER (EXISTS (SELECT 1 FROM training_records t
                                WHERE t.id_number = r.id_number
                                  AND year(t.start_date) = year(r.opening))) AS trained,
       count(*) FILTER (EXISTS (SELECT 1 FROM dishonesty_list d
                                WHERE d.id_number = r.id_number)) AS listed,
       count(*) FILTER (EXISTS (SELECT 1 FROM exam_results e WHERE e.class_id = r.class_id
                                AND e.id_number = r.id_number AND e.status <> 'passed')) AS exam,
       count(*) FILTER (EXISTS (SELECT 1 FROM dropouts o WHERE o.class_id = r.class_id
                                AND o.id_number = r.id_number)) AS dropped,
       count(*) FILTER (EXISTS (SELECT 1 FROM materials_review m WHERE m.class_id = r.class_id
                                AND m.id_number = r.id_number AND NOT m.passed)) AS materials
FROM r"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db", type=Path)
    parser.add_argument("--as-of", default="2025-12-20")
    args = parser.parse_args()
    as_of = dt.date.fromisoformat(args.as_of)
    copy = Path(tempfile.mkdtemp(prefix="crosscheck-floor-")) / "w.duckdb"
    shutil.copy(args.db, copy)  # the full run writes findings: work on a copy
    con = warehouse.connect(copy, create=True)
    try:
        con.execute(FLOOR).fetchall()  # warm the buffer pool like the runs below
        floors = []
        for _ in range(3):
            t = time.perf_counter()
            con.execute(FLOOR).fetchall()
            floors.append(time.perf_counter() - t)
        floor = min(floors)
        con.execute("DELETE FROM findings")
        stages = ["identity", "opening", "payout"]
        t = time.perf_counter()
        runner.run_stages(con, stages, "floor-bench", as_of=as_of)
        ours = time.perf_counter() - t
        t = time.perf_counter()
        runner.run_stages(con, stages, "floor-bench-2", as_of=as_of)
        again = time.perf_counter() - t
        slowest = per_rule(con, as_of)
    finally:
        con.close()
        shutil.rmtree(copy.parent, ignore_errors=True)
    print(
        f"{args.db.name}: floor {floor:.2f} s (best of 3); crosscheck full run {ours:.2f} s "
        f"(again, unchanged data: {again:.2f} s) = {ours / floor:.1f}× the floor "
        f"({again / floor:.1f}× again)"
    )
    print("slowest rules alone (s): " + ", ".join(f"{c} {s:.2f}" for c, s in slowest[:8]))


def per_rule(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> list[tuple[str, float]]:
    """Each rule's own query over every class, on the tables the last run left (its
    links and shared tables stay on the connection)."""
    times = []
    for stage, rules in runner.STAGES.items():
        for code, build in rules.items():
            sql = build()
            params = {"as_of": as_of} if "$as_of" in sql else None
            t = time.perf_counter()
            con.execute(f"SELECT count(*) FROM ({sql})", params).fetchall()
            times.append((f"{code} ({stage})", time.perf_counter() - t))
    return sorted(times, key=lambda x: -x[1])


if __name__ == "__main__":
    main()
