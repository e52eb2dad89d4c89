"""Benchmark: bulk load of a world's registries, and HTTP sync from the simulator.

    .venv/bin/python bench/ingest_bench.py bulk /tmp/crosscheck-bench/province
    .venv/bin/python bench/ingest_bench.py http /tmp/crosscheck-bench/city

``bulk`` loads every registry extract into a fresh warehouse (one transaction
and one GX gate per source) and reports per-source time and the process's peak
RSS. ``http`` starts `crosscheck registry serve` on the world, syncs every
registry over loopback (full load), advances the world a day and syncs the
delta, and reports records/s.
"""

from __future__ import annotations

import datetime as dt
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _simulator import CLI, TOKEN, simulator

from crosscheck import warehouse
from crosscheck.ingest.run import from_files, from_http


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bulk(world: Path) -> None:
    db = Path(tempfile.mkdtemp()) / "bench.duckdb"
    con = warehouse.connect(db, create=True)
    started = time.perf_counter()
    _, outcomes = from_files(con, world, as_of=dt.date(2025, 12, 20))
    total = time.perf_counter() - started
    con.close()
    print("| source | rows read | loaded | rejected | seconds |\n|---|---|---|---|---|")
    for o in outcomes:
        print(f"| {o.source} | {o.read:,} | {o.loaded:,} | {o.rejected:,} | {o.seconds:.1f} |")
    rows = sum(o.read for o in outcomes)
    print(
        f"\nbulk load of {world.name}: {rows:,} rows in {total:.1f} s "
        f"({rows / total:,.0f} rows/s), peak RSS {_peak_mib():,.0f} MiB, "
        f"warehouse {db.stat().st_size / 2**20:,.0f} MiB"
    )
    shutil.rmtree(db.parent)


def http(world: Path) -> None:
    copy = Path(tempfile.mkdtemp()) / world.name
    shutil.copytree(world, copy)
    try:
        with simulator(copy) as (url, _):
            con = warehouse.connect(copy.parent / "bench.duckdb", create=True)
            started = time.perf_counter()
            _, outcomes = from_http(con, url, TOKEN, as_of=dt.date(2025, 12, 20))
            full = time.perf_counter() - started
            records = sum(o.read for o in outcomes)
            print(
                f"full HTTP sync of {world.name}: {records:,} records in {full:.1f} s = "
                f"{records / full:,.0f} records/s (gates and merge included)"
            )
            subprocess.run(
                [*CLI, "world", "advance", "--world", str(copy), "--days", "7"],
                check=True,
                capture_output=True,
            )
            httpx.post(
                f"{url}/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=600
            )
            started = time.perf_counter()
            _, outcomes = from_http(con, url, TOKEN, as_of=dt.date(2025, 12, 20))
            delta = time.perf_counter() - started
            print(
                f"delta sync after 7 days: {sum(o.read for o in outcomes):,} records "
                f"in {delta:.1f} s"
            )
            con.close()
    finally:
        shutil.rmtree(copy.parent)


if __name__ == "__main__":
    {"bulk": bulk, "http": http}[sys.argv[1]](Path(sys.argv[2]))
