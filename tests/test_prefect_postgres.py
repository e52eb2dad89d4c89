"""Prefect for several workers (issue 16): `crosscheck serve` starts Prefect's server on
PostgreSQL (Debian's package, started here with scripts/postgres as the README says),
deploys the four flows to a process work pool and starts two workers; the nightly
flow, run from its deployment, re-checks in partitions on Dask. The run and its task
runs are in PostgreSQL, in the API and on the Prefect UI's pages in Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REPO
from tests.test_dashboard import ARGS, chromium
from tests.test_flows import BIN, QUIET, _wait, stop_serve
from tests.test_service import free_port

__all__ = ["chromium"]  # the browser fixture, shared with the dashboard's tests


@pytest.fixture
def postgres() -> Iterator[tuple[str, int]]:
    """A private PostgreSQL cluster on loopback: (its URL, its port). Its folder is
    where the `postgres` user can reach it (pytest's own are private to root)."""
    top = Path(tempfile.mkdtemp(prefix="crosscheck-pg-", dir="/var/tmp"))
    top.chmod(0o711)
    folder, port = top / "pg", free_port()
    started = subprocess.run(
        [str(REPO / "scripts" / "postgres"), "start", str(folder), str(port)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert started.returncode == 0, started.stderr
    try:
        url = (folder / "url").read_text(encoding="utf-8").strip()
        assert (folder / "url").stat().st_mode & 0o077 == 0
        yield url, port
    finally:
        subprocess.run([str(REPO / "scripts" / "postgres"), "stop", str(folder)], check=False)
        shutil.rmtree(top, ignore_errors=True)


def _psql(url: str, port: int, sql: str) -> str:
    password = re.search(r"crosscheck:([^@]+)@", url)
    assert password is not None
    psql = sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"))[-1]
    where = ("-h", "127.0.0.1", "-p", str(port), "-U", "crosscheck", "-d", "prefect")
    return subprocess.run(
        [str(psql), *where, "-tAc", sql],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PGPASSWORD": password.group(1)},
    ).stdout.strip()


def test_a_bad_database_address_is_refused_before_anything_starts(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({**QUIET, "CROSSCHECK_HOME": str(tmp_path)})
    done = subprocess.run(
        [str(BIN / "crosscheck"), "serve", "--prefect-db", "mysql://root:secret@db/prefect"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "--prefect-db 应为 PostgreSQL 地址" in done.stderr
    assert "secret" not in done.stdout + done.stderr


def test_two_workers_run_the_partitioned_nightly_on_a_postgresql_prefect_server(
    postgres: tuple[str, int],
    small_published: dict[str, Path],
    home: Path,
    chromium: Path,
    screenshots: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, pg_port = postgres
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(small_published["db"], home / "crosscheck.duckdb")
    web_port, prefect_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    # the address in the environment, not on the command line (ps shows arguments)
    env.update({**QUIET, "CROSSCHECK_HOME": str(home), "CROSSCHECK_PREFECT_DB": url})
    serve = subprocess.Popen(
        [
            *(str(BIN / "crosscheck"), "serve", "--port", str(web_port)),
            *("--prefect-port", str(prefect_port), "--work-pool", "crosscheck"),
            *("--pool-workers", "2", "--partitions", "2"),
        ],
        env=env,
        stdout=(home / "serve.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    ui = f"http://127.0.0.1:{prefect_port}"
    log = home / "serve.log"
    try:
        _wait(f"http://127.0.0.1:{web_port}/health", 120, serve)
        deadline = time.monotonic() + 120
        auth: tuple[str, str] | None = None
        nightly: dict[str, Any] | None = None
        while time.monotonic() < deadline and nightly is None:
            time.sleep(1)
            assert serve.poll() is None, log.read_text()
            path = home / "prefect" / "auth"
            if not path.exists():
                continue
            user, password = path.read_text(encoding="utf-8").strip().split(":", 1)
            auth = (user, password)
            try:
                found = httpx.post(f"{ui}/api/deployments/filter", json={}, auth=auth)
            except httpx.HTTPError:
                continue
            by_name = {d["name"]: d for d in found.json()} if found.status_code == 200 else {}
            nightly = by_name.get("nightly")
        assert nightly is not None, log.read_text()
        assert auth is not None
        assert nightly["work_pool_name"] == "crosscheck"
        assert nightly["parameters"]["workers"] == 2
        text = log.read_text(encoding="utf-8")
        assert f"数据库 PostgreSQL 127.0.0.1:{pg_port}/prefect" in text
        assert url.split("@")[0].split(":")[-1] not in text  # the password is never shown
        api = f"{ui}/api"
        # two workers polling the pool
        deadline = time.monotonic() + 60
        workers: list[str] = []
        while time.monotonic() < deadline and len(workers) < 2:
            time.sleep(1)
            got = httpx.post(f"{api}/work_pools/crosscheck/workers/filter", json={}, auth=auth)
            workers = sorted(w["name"] for w in got.json() if w["status"] == "ONLINE")
        assert workers == ["crosscheck-1", "crosscheck-2"]
        run = httpx.post(
            f"{api}/deployments/{nightly['id']}/create_flow_run", json={}, auth=auth
        ).json()
        deadline = time.monotonic() + 300
        state = ""
        while time.monotonic() < deadline and state not in ("COMPLETED", "FAILED", "CRASHED"):
            time.sleep(2)
            state = httpx.get(f"{api}/flow_runs/{run['id']}", auth=auth).json()["state_type"]
        assert state == "COMPLETED", "\n".join(
            p.read_text(encoding="utf-8")[-3000:] for p in (home / "prefect").glob("worker-*.log")
        )
        # it is PostgreSQL that holds the run and its partitions' task runs
        assert _psql(url, pg_port, f"SELECT state_type FROM flow_run WHERE id = '{run['id']}'") == (
            "COMPLETED"
        )
        names = _psql(
            url, pg_port, "SELECT name FROM task_run WHERE name LIKE 'check-%' ORDER BY name"
        ).split("\n")
        assert names == ["check-classes", "check-partition-0", "check-partition-1"]
        child = httpx.post(
            f"{api}/flow_runs/filter",
            json={"flows": {"name": {"any_": ["partitioned-checks"]}}},
            auth=auth,
        ).json()
        assert len(child) == 1
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(chromium), args=ARGS)
            try:
                for device, viewport in (
                    ("desktop", {"width": 1366, "height": 900}),
                    ("phone", {"width": 390, "height": 844}),
                ):
                    page = browser.new_page(viewport=viewport, is_mobile=device == "phone")  # type: ignore[arg-type]
                    # the server asks for the auth string; the UI keeps it for its own calls
                    page.goto(f"{ui}/deployments")
                    page.fill("input[type=password]", f"{auth[0]}:{auth[1]}")
                    page.keyboard.press("Enter")
                    page.goto(f"{ui}/runs/flow-run/{run['id']}")
                    expect(page.get_by_text("Completed").first).to_be_visible(timeout=30_000)
                    expect(page.get_by_text("nightly-verification").first).to_be_attached(
                        timeout=30_000
                    )
                    if device == "desktop":  # on a phone the tabs are a drop-down
                        page.get_by_text("Subflow Runs", exact=True).first.click()
                        expect(page.get_by_text("partitioned-checks").first).to_be_attached(
                            timeout=30_000
                        )
                    page.screenshot(path=str(screenshots / f"prefect-pg-nightly-{device}.png"))
                    # the partitions: task runs of the re-check's subflow run
                    page.goto(f"{ui}/runs/flow-run/{child[0]['id']}")
                    expect(page.get_by_text("3 Task runs").first).to_be_visible(timeout=30_000)
                    if device == "desktop":
                        page.get_by_text("Task Runs", exact=True).first.click()
                        for name in ("check-classes", "check-partition-0", "check-partition-1"):
                            expect(page.get_by_text(name).first).to_be_visible(timeout=30_000)
                    page.screenshot(path=str(screenshots / f"prefect-pg-partitions-{device}.png"))
                    page.close()
            finally:
                browser.close()
    finally:
        stop_serve(serve)
    # the workers stop with serve
    left = subprocess.run(["pgrep", "-f", "worker start --pool crosscheck"], check=False)
    assert left.returncode == 1
