"""Benchmark: world generation (time, peak memory) and simulator paging throughput.

    .venv/bin/python bench/world_bench.py --scales tiny,small,city,province --out /tmp/worlds

Each generation runs in its own process (peak RSS from getrusage of the child).
Throughput: `crosscheck registry serve` in a subprocess, one client paging the
whole pension registry over loopback with 5,000-record pages. Prints a Markdown
table to paste into bench/RESULTS.md with the machine and date.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import time
from pathlib import Path

import httpx
from _simulator import CLI, TOKEN, simulator


def generate(scale: str, out: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(
        [*CLI, "world", "generate", "--scale", scale, "--seed", "7", "--out", str(out)],
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before) / 1024


def throughput(world: Path, registry: str = "pension_contributions") -> tuple[int, float, float]:
    with simulator(world) as (url, load):
        n, cursor = 0, None
        started = time.perf_counter()
        with httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60
        ) as c:
            while True:
                params = {"limit": 5000, **({"cursor": cursor} if cursor else {})}
                page = c.get(f"/registries/{registry}/records", params=params).json()
                n += page["count"]
                cursor = page["next_cursor"]
                if cursor is None:
                    break
        return n, time.perf_counter() - started, load


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", default="tiny,small,city")
    parser.add_argument("--out", type=Path, default=Path("/tmp/crosscheck-bench"))
    parser.add_argument("--throughput", default="small", help="scale whose simulator is paged")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print("| scale | generation (s) | peak RSS (MiB) | size on disk (MiB) |\n|---|---|---|---|")
    for scale in args.scales.split(","):
        out = args.out / scale
        seconds, peak = generate(scale, out)
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 2**20
        print(f"| {scale} | {seconds:.1f} | {peak:.0f} | {size:.0f} |", flush=True)
    n, seconds, load = throughput(args.out / args.throughput)
    print(
        f"\nsimulator ({args.throughput}): startup {load:.1f} s; paged {n:,} pension records in "
        f"{seconds:.2f} s = {n / seconds:,.0f} records/s (one client, 5,000 per page)"
    )


if __name__ == "__main__":
    main()
