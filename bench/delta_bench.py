"""Benchmark: the nightly delta re-check — a day's registry changes, then the re-check.

    .venv/bin/python bench/delta_bench.py <world> <warehouse.duckdb> [--days 1]

Works on a copy of the warehouse (loaded and checked, e.g. by checks_bench.py):
moves the world forward with `world advance` (daily delta extracts), serves it
with the registry simulator and pulls the changes over HTTP since each
source's watermark — as the nightly flow does — through the gates, then
re-checks every class (all three stages) and reports what the night changed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import tempfile
import time
from pathlib import Path

from _simulator import TOKEN, simulator

from crosscheck import warehouse
from crosscheck.checks import nightly, runner
from crosscheck.ingest.run import from_http
from crosscheck.world.advance import advance


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("world", type=Path)
    parser.add_argument("db", type=Path)
    parser.add_argument("--days", type=int, default=1)
    args = parser.parse_args()
    copy = Path(tempfile.mkdtemp(prefix="crosscheck-delta-")) / "w.duckdb"
    shutil.copy(args.db, copy)
    t = time.perf_counter()
    advance(args.world, args.days)
    advanced = time.perf_counter() - t
    as_of = dt.date.fromisoformat(
        json.loads((args.world / "world.json").read_text(encoding="utf-8"))["as_of"]
    )
    con = warehouse.connect(copy, create=True)
    try:
        with simulator(args.world) as (url, _):
            t = time.perf_counter()
            _, outcomes = from_http(con, url, TOKEN, as_of=as_of)
            loaded = time.perf_counter() - t
        rows = sum(o.loaded for o in outcomes)
        t = time.perf_counter()
        summaries = runner.run_stages(
            con, ["identity", "opening", "payout"], "delta-bench", as_of=as_of
        )
        rechecked = time.perf_counter() - t
        t = time.perf_counter()
        pending = nightly.recheck(con, as_of, "delta-bench-pending")
        pending_s = time.perf_counter() - t
    finally:
        con.close()
        shutil.rmtree(copy.parent, ignore_errors=True)
    new = sum(s.new for s in summaries)
    resolved = sum(s.resolved for s in summaries)
    print(
        f"{args.world.name} +{args.days} day(s) (world advance {advanced:.1f} s): deltas loaded "
        f"{rows:,} rows in {loaded:.1f} s; re-check of every class {rechecked:.1f} s "
        f"({new} new, {resolved} resolved findings); nightly total {loaded + rechecked:.1f} s. "
        f"Pending classes only ({pending['classes']}): {pending_s:.1f} s"
    )


if __name__ == "__main__":
    main()
