"""Partitioned checks against one run (issue 16): time, per-phase cost and each
worker's peak memory for 1, 2 and 4 partitions on Dask's LocalCluster, and whether
the findings and links are the single run's, row for row.

Usage (a loaded warehouse, e.g. from bench/suite.py or ``ingest --files``):

    .venv/bin/python bench/partition_bench.py --db W.duckdb --as-of 2025-12-20 --parts 1,2,4

Each measurement runs on a fresh copy of the warehouse (the copy is not timed).
Peak memory: the main process's (``ru_maxrss``) and each task's own (the worker's
VmHWM, reset when the task starts), in MiB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

STAGES = ["identity", "opening", "payout"]
FINDINGS = (
    "SELECT finding_id, severity, CAST(evidence AS VARCHAR) FROM findings WHERE resolved_at IS NULL"
)
LINKS = "SELECT class_id, id_number, source, record_key, record_id, link FROM links"


def _mib(kib: int) -> int:
    return kib // 1024


def measured(task: Any) -> tuple[Any, dict[str, Any]]:
    """One partition's task, with its wall time and its worker's peak RSS."""
    from crosscheck.checks import partition

    # a forked worker's ru_maxrss starts at its parent's peak: reset the kernel's
    # high-water mark (clear_refs 5) and read it back (VmHWM) — this task's own peak
    Path("/proc/self/clear_refs").write_text("5")
    started = time.perf_counter()
    result = partition.run_task(task)
    return result, {
        "part": task.part,
        "seconds": time.perf_counter() - started,
        "peak_mib": _hwm_mib(),
        "rows": result[0].num_rows,
    }


def _hwm_mib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return _mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def fingerprint(path: Path) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return set(con.execute(FINDINGS).fetchall()), set(con.execute(LINKS).fetchall())
    finally:
        con.close()


def single(db: Path, as_of: dt.date, work: Path) -> tuple[float, Path]:
    from crosscheck import warehouse
    from crosscheck.checks import runner

    copy = work / "single.duckdb"
    shutil.copy(db, copy)
    con = warehouse.connect(copy)
    try:
        started = time.perf_counter()
        runner.run_stages(con, STAGES, "bench-single", as_of=as_of)
        return time.perf_counter() - started, copy
    finally:
        con.close()


def parted(db: Path, as_of: dt.date, parts: int, work: Path) -> tuple[dict[str, Any], Path]:
    from distributed import Client, LocalCluster

    from crosscheck import warehouse
    from crosscheck.checks import partition

    copy = work / f"parts{parts}.duckdb"
    shutil.copy(db, copy)
    con = warehouse.connect(copy)
    folder = work / f"export{parts}"
    phases: dict[str, Any] = {}
    try:
        t0 = time.perf_counter()
        jobs = partition.prepare(
            con,
            folder,
            STAGES,
            "bench-parts",
            as_of=as_of,
            parts=parts,
            threads=partition.local_threads(parts),
        )
        t1 = time.perf_counter()
        cluster = LocalCluster(
            n_workers=parts,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=50,
        )
        client = Client(cluster)
        t2 = time.perf_counter()
        try:
            done = client.gather(client.map(measured, jobs, pure=False))
        finally:
            client.close()
            cluster.close()
        t3 = time.perf_counter()
        partition.gather(con, STAGES, "bench-parts", [r for r, _ in done])
        t4 = time.perf_counter()
        phases = {
            "export": t1 - t0,
            "cluster": t2 - t1,
            "tasks": t3 - t2,
            "write": t4 - t3,
            "total": t4 - t0,
            "per_task": [m for _, m in done],
        }
    finally:
        con.close()
        shutil.rmtree(folder, ignore_errors=True)
    return phases, copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--parts", default="1,2,4")
    args = parser.parse_args()
    as_of = dt.date.fromisoformat(args.as_of)
    work = Path(tempfile.mkdtemp(prefix="crosscheck-partition-bench-"))
    os.environ.setdefault("CROSSCHECK_HOME", str(work / "home"))
    try:
        seconds, one = single(args.db, as_of, work)
        print(
            f"single run: {seconds:.2f} s, main peak "
            f"{_mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)} MiB"
        )
        want = fingerprint(one)
        print(f"  {len(want[0]):,} open findings, {len(want[1]):,} links")
        for parts in [int(p) for p in args.parts.split(",")]:
            phases, copy = parted(args.db, as_of, parts, work)
            same = fingerprint(copy) == want
            copy.unlink()
            tasks = " ".join(
                f"[{m['part']}: {m['seconds']:.1f} s, {m['peak_mib']} MiB, {m['rows']:,} rows]"
                for m in sorted(phases["per_task"], key=lambda m: m["part"])
            )
            print(
                f"{parts} partition(s): {phases['total']:.1f} s = export {phases['export']:.1f}"
                f" + cluster {phases['cluster']:.1f} + tasks {phases['tasks']:.1f}"
                f" + write {phases['write']:.1f}; same findings and links: {same}"
            )
            print(f"  tasks (class pass = -1): {tasks}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
