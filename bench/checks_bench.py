"""Benchmark: the checks over a whole world, and one class at a time.

    .venv/bin/python bench/checks_bench.py /tmp/bench/province [--db /tmp/bench/p.duckdb]

Loads the world into the warehouse ``--db`` unless it is already there (timed
separately), then:

* full run — every class, the three stages (identity, opening, payout) and the
  补贴核算表, as ``crosscheck check all`` does it; run twice, the second time
  on unchanged data (stable findings: nothing new);
* one class — the opening review (identity + opening) and the payout review of
  50 classes drawn at random, each on the already open warehouse: p50 / p95.

Prints a Markdown table and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import statistics
import time
from pathlib import Path

from crosscheck import warehouse
from crosscheck.checks import accounting, review, runner
from crosscheck.ingest.run import from_files


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("world", type=Path)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()
    as_of = dt.date.fromisoformat(
        json.loads((args.world / "world.json").read_text(encoding="utf-8"))["as_of"]
    )
    db = args.db or args.world.parent / f"{args.world.name}.duckdb"
    rows: list[tuple[str, str]] = []
    if not db.exists():
        con = warehouse.connect(db, create=True)
        started = time.perf_counter()
        _, outcomes = from_files(con, args.world, as_of=as_of)
        per_source = ", ".join(f"{o.source} {o.seconds:.0f}" for o in outcomes if o.seconds >= 1)
        rows.append(
            (
                "bulk load (all sources, gates, sorted insert, lookup indexes)",
                f"{time.perf_counter() - started:.1f} s ({per_source})",
            )
        )
        con.close()
    con = warehouse.connect(db, create=True)
    classes = con.execute("SELECT count(*) FROM classes").fetchall()[0][0]
    trainees = con.execute("SELECT count(*) FROM roster_entries").fetchall()[0][0]
    for attempt in ("first", "again, unchanged data"):
        started = time.perf_counter()
        stage_times = []
        new = 0
        for stage in ("identity", "opening", "payout"):
            t = time.perf_counter()
            summary = runner.run(con, stage, f"bench-{attempt[:5]}", as_of=as_of)
            stage_times.append(f"{stage} {time.perf_counter() - t:.1f}")
            new += summary.new
        t = time.perf_counter()
        table = accounting.compute(con, as_of)
        stage_times.append(f"accounting {time.perf_counter() - t:.1f}")
        total = time.perf_counter() - started
        rows.append(
            (
                f"full run ({attempt}): {classes:,} classes, {trainees:,} trainees, "
                f"{table.height} accounting rows, {new:,} new findings",
                f"{total:.1f} s ({', '.join(stage_times)})",
            )
        )
    ids = [r[0] for r in con.execute("SELECT class_id FROM classes ORDER BY 1").fetchall()]
    sample = random.Random(7).sample(ids, min(args.samples, len(ids)))
    for name, call in (
        ("one class: opening review", lambda c: review.opening(con, c, as_of)),
        ("one class: payout review", lambda c: review.payout(con, [c], as_of)),
    ):
        call(sample[0])  # warm: the connection's UDFs and policy files
        times = []
        for class_id in sample:
            t = time.perf_counter()
            call(class_id)
            times.append((time.perf_counter() - t) * 1000)
        p95 = statistics.quantiles(times, n=20)[18]
        rows.append(
            (
                f"{name} ({len(sample)} classes)",
                f"p50 {statistics.median(times):.0f} ms, p95 {p95:.0f} ms",
            )
        )
    con.close()
    print(f"| {args.world.name} | |\n|---|---|")
    for what, result in rows:
        print(f"| {what} | {result} |")
    print(f"\npeak RSS {_peak_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
