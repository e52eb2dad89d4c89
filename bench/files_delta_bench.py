"""Benchmark: a new daily delta file in a bulk-extract folder (issue 14).

    .venv/bin/python bench/files_delta_bench.py <world> [--days 1]

Works on a copy of the world: loads every source from files into a fresh warehouse
(the base extracts), moves the copy forward with ``world advance`` (one delta file
per registry and day, under ``registries/deltas/<date>/``), then runs
``ingest --files`` again and times it. Each file is fingerprinted, so the second
load reads the new delta files only; a third run finds nothing new. Before per-file
fingerprints, the second load re-read every base extract.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import tempfile
import time
from pathlib import Path

from crosscheck import warehouse
from crosscheck.ingest.run import from_files
from crosscheck.world.advance import advance


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("world", type=Path)
    parser.add_argument("--days", type=int, default=1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="crosscheck-files-delta-"))
    world = work / "world"
    t = time.perf_counter()
    shutil.copytree(args.world, world)
    print(f"copy of the world: {time.perf_counter() - t:.1f} s")
    as_of = dt.date.fromisoformat(
        json.loads((world / "world.json").read_text(encoding="utf-8"))["as_of"]
    )
    con = warehouse.connect(work / "w.duckdb", create=True)
    try:
        t = time.perf_counter()
        _, outcomes = from_files(con, world, as_of=as_of)
        print(f"base load: {time.perf_counter() - t:.1f} s, {sum(o.read for o in outcomes):,} rows")
        advance(world, args.days)
        as_of += dt.timedelta(days=args.days)  # the deltas of those days have arrived
        for label in ("new delta files", "again, nothing new"):
            t = time.perf_counter()
            _, outcomes = from_files(con, world, as_of=as_of)
            seconds = time.perf_counter() - t
            changed = [o for o in outcomes if o.status != "unchanged"]
            print(
                f"{label}: {seconds:.2f} s; "
                + "; ".join(
                    f"{o.source} {o.status} read {o.read:,} ({o.seconds:.2f} s)" for o in changed
                )
            )
    finally:
        con.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
