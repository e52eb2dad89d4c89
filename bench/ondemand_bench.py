"""Benchmark: on-demand opening checks over HTTP, as an official's browser makes them.

    .venv/bin/python bench/ondemand_bench.py /tmp/bench/province-v3.duckdb [--requests 200]

Publishes the warehouse (loaded and checked, e.g. by bench/checks_bench.py) into
a fresh home, starts `crosscheck serve --web-only` there, and sends ``--requests``
POSTs to ``/api/classes/{id}/opening-check`` for classes of about 50 trainees
(45–55, drawn at random, one request at a time), as the reviewer. Prints p50 /
p95 / max and the server's peak RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from crosscheck import warehouse
from crosscheck.reports.publish import publish_all

HEADERS = {"Authorization": "Bearer crosscheck-reviewer-dev"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db", type=Path)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--as-of", default="2025-12-20")
    args = parser.parse_args()
    as_of = dt.date.fromisoformat(args.as_of)
    home = Path(tempfile.mkdtemp(prefix="crosscheck-ondemand-"))
    os.environ["CROSSCHECK_HOME"] = str(home)
    con = warehouse.connect(args.db, create=True)
    try:
        started = time.perf_counter()
        publish_all(con, args.db, as_of)
        published = time.perf_counter() - started
        classes = [
            r[0]
            for r in con.execute(
                "SELECT class_id FROM roster_entries GROUP BY 1 "
                "HAVING count(DISTINCT id_number) BETWEEN 45 AND 55 ORDER BY 1"
            ).fetchall()
        ]
    finally:
        con.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cli = [sys.executable, "-c", "from crosscheck.cli import main; main()"]
    server = subprocess.Popen(
        [*cli, "serve", "--web-only", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                httpx.get(url + "/health", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        rng = random.Random(7)
        client = httpx.Client(base_url=url, headers=HEADERS, timeout=60)
        first = time.perf_counter()
        client.post(f"/api/classes/{classes[0]}/opening-check", params={"as_of": args.as_of})
        cold = (time.perf_counter() - first) * 1000
        times = []
        for _ in range(args.requests):
            class_id = rng.choice(classes)
            t = time.perf_counter()
            answer = client.post(
                f"/api/classes/{class_id}/opening-check", params={"as_of": args.as_of}
            )
            answer.raise_for_status()
            times.append((time.perf_counter() - t) * 1000)
        rss = Path(f"/proc/{server.pid}/status").read_text()
        peak = next(line for line in rss.splitlines() if line.startswith("VmHWM"))
    finally:
        server.terminate()
        server.wait(20)
    p95 = statistics.quantiles(times, n=20)[18]
    print(
        f"{args.db.name}: publish {published:.1f} s; {len(classes)} classes of 45–55 trainees; "
        f"{args.requests} requests: p50 {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, "
        f"max {max(times):.0f} ms (first request, cold: {cold:.0f} ms); server {peak}"
    )


if __name__ == "__main__":
    main()
