"""The Prefect side, for real: a Prefect server, `crosscheck serve` registering
its deployments, the nightly deployment triggered and completed with its
summary, a clean stop on SIGTERM; and a registry that is down making the night
partial, not failed."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

from tests.conftest import SMALL_AS_OF
from tests.test_dashboard import ARGS, SIZES, chromium
from tests.test_service import free_port

__all__ = ["chromium"]  # the browser fixture, shared with the dashboard's tests

BIN = Path(sys.executable).parent
QUIET = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_RUNNER_POLL_FREQUENCY": "2",
}


def stop_serve(serve: subprocess.Popen[bytes]) -> None:
    """SIGTERM a `crosscheck serve` as a service manager would; kill it after 60 s."""
    serve.send_signal(signal.SIGTERM)
    try:
        serve.wait(60)
    except subprocess.TimeoutExpired:
        serve.kill()
        serve.wait()


def _wait(url: str, seconds: float, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{process.args!r} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} not up after {seconds} s")


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("prefect")
    port = free_port()
    env = {**os.environ, **QUIET, "PREFECT_HOME": str(home)}
    server = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=(home / "server.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        _wait(api + "/health", 120, server)
        yield api
    finally:
        server.terminate()
        server.wait(30)


@pytest.fixture
def prefect_env(prefect_api: str, home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for key, value in {**QUIET, "PREFECT_API_URL": prefect_api}.items():
        monkeypatch.setenv(key, value)
    (home / "prefect-client").mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("PREFECT_HOME", str(home / "prefect-client"))
    return prefect_api


def test_serve_runs_the_nightly_deployment_and_stops_cleanly(
    prefect_env: str, small_published: dict[str, Path], home: Path
) -> None:
    from prefect.deployments import run_deployment

    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(small_published["db"], home / "crosscheck.duckdb")
    world = small_published["world"]
    env = {**os.environ}
    registry_port, web_port = free_port(), free_port()
    registry = subprocess.Popen(
        [
            *(str(BIN / "crosscheck"), "registry", "serve", "--world", str(world)),
            *("--port", str(registry_port), "--token", "t0k"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    serve = subprocess.Popen(
        [
            *(str(BIN / "crosscheck"), "serve", "--port", str(web_port)),
            *("--registry-url", f"http://127.0.0.1:{registry_port}", "--registry-token", "t0k"),
        ],
        env=env,
        stdout=(home / "serve.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        _wait(f"http://127.0.0.1:{registry_port}/health", 60, registry)
        _wait(f"http://127.0.0.1:{web_port}/health", 60, serve)
        deadline = time.monotonic() + 90
        names: set[str] = set()
        wanted = {"nightly", "monthly", "opening-check", "payout"}
        while time.monotonic() < deadline and not wanted <= names:
            found = httpx.post(f"{prefect_env}/deployments/filter", json={}).json()
            names = {d["name"] for d in found}
            schedules = {d["name"]: d.get("schedules", []) for d in found}
            time.sleep(0.5)
        assert wanted <= names
        cron = schedules["nightly"][0]["schedule"]
        assert (cron["cron"], cron["timezone"]) == ("0 2 * * *", "Asia/Shanghai")
        # the registry token is no parameter: Prefect stores and shows parameters to
        # anyone who can read its API (issue 12, item 9)
        nightly = next(d for d in found if d["name"] == "nightly")
        assert "t0k" not in json.dumps(nightly)
        assert "token" not in nightly["parameter_openapi_schema"]["properties"]
        from prefect.client.schemas.objects import FlowRun

        run = run_deployment(
            "nightly-verification/nightly", parameters={"as_of": SMALL_AS_OF}, timeout=240
        )
        assert isinstance(run, FlowRun)
        assert run.state is not None
        assert run.state.is_completed(), (run.state, (home / "serve.log").read_text())
        # the run's summary is in the warehouse and on the dashboard
        from crosscheck import warehouse

        con = warehouse.connect(home / "crosscheck.duckdb", read_only=True)
        try:
            rows = con.execute(
                "SELECT status, CAST(summary AS VARCHAR) FROM runs WHERE kind = 'nightly'"
            ).fetchall()
        finally:
            con.close()
        assert len(rows) == 1
        status, text = rows[0]
        summary = json.loads(text)
        assert status == "succeeded"
        assert summary["stale_sources"] == {}
        assert set(summary["sources"]) >= {"household_registration", "pension_contributions"}
        assert summary["classes"] > 0
        assert summary["new"] == 0  # the fixture had already checked this data
        meta = httpx.get(
            f"http://127.0.0.1:{web_port}/api/meta",
            headers={"Authorization": "Bearer crosscheck-viewer-dev"},
        ).json()
        nights = [r for r in meta["runs"] if r["kind"] == "nightly"]
        assert nights[0]["status_label"] == "成功"
        assert meta["alerts"] == []  # every registry pulled tonight, and the night finished
        flow_runs = httpx.post(f"{prefect_env}/flow_runs/filter", json={}).json()
        assert flow_runs
        assert "t0k" not in json.dumps(flow_runs)
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            code = serve.wait(40)
        finally:
            registry.terminate()
            registry.wait(10)
    assert code == 0, (home / "serve.log").read_text()
    assert "已停止" in (home / "serve.log").read_text(encoding="utf-8")


def test_a_registry_that_is_down_makes_the_night_partial(
    prefect_env: str,
    small_published: dict[str, Path],
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from crosscheck.flows.nightly import nightly

    # this process outlives the module's Prefect server: keep its logs local
    monkeypatch.setenv("PREFECT_LOGGING_TO_API_ENABLED", "false")

    home.mkdir(parents=True, exist_ok=True)
    db = home / "crosscheck.duckdb"
    shutil.copy(small_published["db"], db)
    closed = free_port()  # nothing listens there
    result = nightly(
        registry_url=f"http://127.0.0.1:{closed}",
        db=str(db),
        as_of=SMALL_AS_OF,
        retries=1,
        retry_delay_seconds=0,
        attempts=1,
    )
    assert result["status"] == "partial"
    assert set(result["stale_sources"]) >= {"household_registration", "pension_contributions"}
    assert result["classes"] > 0  # the re-check still ran, on the data already held
    assert (home / "published.duckdb").exists()
    assert dt.date.fromisoformat(result["as_of"]) == dt.date.fromisoformat(SMALL_AS_OF)


def test_a_night_without_a_registry_says_nothing_was_pulled(
    prefect_env: str,
    small_published: dict[str, Path],
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 13, item 5: a night with no registry address pulled nothing. It is not a
    success with "stale: none": every source is named as not pulled, and why."""
    from crosscheck.flows.nightly import nightly
    from crosscheck.ingest.sources import SOURCES

    monkeypatch.setenv("PREFECT_LOGGING_TO_API_ENABLED", "false")
    monkeypatch.delenv("CROSSCHECK_REGISTRY_URL", raising=False)
    home.mkdir(parents=True, exist_ok=True)
    db = home / "crosscheck.duckdb"
    shutil.copy(small_published["db"], db)
    result = nightly(db=str(db), as_of=SMALL_AS_OF)
    assert result["status"] == "partial"
    assert set(result["stale_sources"]) == set(SOURCES)
    assert all("未配置登记库接口地址" in why for why in result["stale_sources"].values())
    assert result["classes"] > 0


def test_the_nightly_recheck_in_partitions_on_dask_finds_what_one_run_finds(
    prefect_env: str,
    small_published: dict[str, Path],
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 16: ``nightly(workers=2)`` re-checks in partitions, each a Prefect task on
    Dask (prefect-dask's DaskTaskRunner, a two-process LocalCluster). On unchanged data
    nothing is new and nothing resolved — the same findings, row for row — and the
    partitions' task runs are in the Prefect API."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName

    from crosscheck.flows.nightly import nightly
    from tests.test_partition import FINDINGS, LINKS, rows

    monkeypatch.setenv("PREFECT_LOGGING_TO_API_ENABLED", "false")
    monkeypatch.delenv("CROSSCHECK_REGISTRY_URL", raising=False)
    home.mkdir(parents=True, exist_ok=True)
    db = home / "crosscheck.duckdb"
    shutil.copy(small_published["db"], db)
    before, links_before = rows(db, FINDINGS), rows(db, LINKS)
    result = nightly(db=str(db), as_of=SMALL_AS_OF, workers=2)
    assert result["classes"] > 0
    assert (result["new"], result["resolved"]) == (0, 0)
    assert result["found"] > 0
    assert rows(db, FINDINGS) == before
    assert rows(db, LINKS) == links_before

    async def task_runs() -> list[str]:
        async with get_client() as client:
            found = await client.read_task_runs(
                task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="check-"))
            )
            return [t.name for t in found if t.state is not None and t.state.is_completed()]

    names = asyncio.run(task_runs())
    assert sorted(n for n in names if n.startswith("check-")) == [
        "check-classes",
        "check-partition-0",
        "check-partition-1",
    ]


def test_opening_payout_and_monthly_flows(
    prefect_env: str,
    small_published: dict[str, Path],
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The on-demand deployments' flows, run directly: the opening check is recorded
    in the warehouse; a batch gets its 补贴核算表 and 公示名单; the month its report."""
    import openpyxl
    import polars as pl

    from crosscheck import warehouse
    from crosscheck.flows.monthly import monthly_report, previous_month
    from crosscheck.flows.ondemand import opening_check
    from crosscheck.flows.payout import payout_batch

    monkeypatch.setenv("PREFECT_LOGGING_TO_API_ENABLED", "false")
    home.mkdir(parents=True, exist_ok=True)
    db = home / "crosscheck.duckdb"
    shutil.copy(small_published["db"], db)
    world = small_published["world"]
    truth = pl.read_parquet(world / "truth/expected_findings.parquet")
    class_id = truth.filter(pl.col("stage") == "opening")["class_id"][0]
    opened = opening_check(class_id, as_of=SMALL_AS_OF, db=str(db))
    assert opened["verdict"] in ("reject", "review")
    con = warehouse.connect(db, read_only=True)
    try:
        recorded = con.execute(
            "SELECT count(*) FROM findings WHERE class_id = ? AND last_run_id LIKE 'opening-%'",
            [class_id],
        ).fetchall()[0][0]
    finally:
        con.close()
    assert recorded == opened["findings"] > 0
    notices = pl.read_parquet(world / "operations/notices.parquet")
    batch = notices.group_by("batch_id").len().sort("len", "batch_id", descending=True)
    paid = payout_batch(batch["batch_id"][0], as_of=SMALL_AS_OF, db=str(db))
    sheet = openpyxl.load_workbook(paid["accounting_xlsx"]).active
    assert sheet is not None
    assert sheet.cell(3, 9).value == "开班人数"  # title, 填报单位 line, then the headers
    listing = openpyxl.load_workbook(paid["notice_xlsx"]).active
    assert listing is not None
    assert "公示单位" in str(listing.cell(2, 1).value)
    assert "公示期" in str(listing.cell(3, 1).value)
    assert paid["notices"]
    assert paid["classes"] + len(paid["withheld"]) == batch["len"][0]
    report = monthly_report(month=paid["notice_ends_on"][:7])
    # the monthly flow purges what the retention periods allow (2022 payments: over 3
    # years ago) and republishes before it reports (issue 12, item 11)
    assert report["purged_classes"]
    con = warehouse.connect(db, read_only=True)
    try:
        left = con.execute(
            "SELECT count(*) FROM roster_entries WHERE list_contains(?, class_id)",
            [report["purged_classes"]],
        ).fetchall()
    finally:
        con.close()
    assert left == [(0,)]
    book = openpyxl.load_workbook(report["xlsx"])
    assert book.sheetnames[0] == "按城市"
    assert previous_month(dt.date(2026, 1, 1)) == "2025-12"
    assert previous_month(dt.date(2026, 3, 31)) == "2026-02"


_START = """
import sys, time
from crosscheck.cli.serve_cmd import prefect_environment, start_prefect_server
prefect_environment()
start_prefect_server(int(sys.argv[1]))
print("up", flush=True)
time.sleep(600)
"""


def test_the_prefect_server_serve_starts_needs_its_auth_string_and_dies_with_it(
    tmp_path: Path,
) -> None:
    """The Prefect server `serve` starts listens on loopback behind a basic-auth string
    (kept 0600 in the state folder) and does not outlive a `kill -9` of its parent
    (issue 12, items 4 and 9)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["CROSSCHECK_HOME"] = str(tmp_path)
    parent = subprocess.Popen(
        [sys.executable, "-c", _START, str(port)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline().strip() == "up"
        api = f"http://127.0.0.1:{port}/api"
        auth = (tmp_path / "prefect" / "auth").read_text(encoding="utf-8").strip()
        assert (tmp_path / "prefect" / "auth").stat().st_mode & 0o077 == 0
        assert httpx.post(f"{api}/flow_runs/filter", json={}).status_code == 401
        user, password = auth.split(":", 1)
        allowed = httpx.post(f"{api}/flow_runs/filter", json={}, auth=(user, password))
        assert allowed.status_code == 200
        # the UI served on this port talks to this port's API, not to :4200 (issue 13,
        # item 4): the page's settings name it
        ui = httpx.get(f"http://127.0.0.1:{port}/ui-settings", auth=(user, password))
        assert ui.status_code == 200, ui.text
        assert ui.json()["api_url"] == api
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 30
    gone = False
    while time.monotonic() < deadline and not gone:
        try:
            httpx.get(f"{api}/health", timeout=1)
            time.sleep(0.5)
        except httpx.HTTPError:
            gone = True
    assert gone, "the Prefect server outlived the process that started it"


@SIZES
def test_the_prefect_ui_of_serve_on_another_port_lists_the_four_deployments(
    small_published: dict[str, Path],
    home: Path,
    chromium: Path,
    screenshots: Path,
    tmp_path: Path,
    device: str,
    viewport: ViewportSize,
) -> None:
    """Issue 13, item 4, in a real browser: `serve --prefect-port` other than 4200
    starts a Prefect server whose UI talks to its own API. Logged in with the auth
    string `serve` keeps, the deployments page lists crosscheck's four deployments,
    and the nightly one runs at 02:00 in Asia/Shanghai (shown in a browser set to
    that time zone)."""
    from playwright.sync_api import expect, sync_playwright

    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(small_published["db"], home / "crosscheck.duckdb")
    web_port, prefect_port = free_port(), free_port()
    assert prefect_port != 4200
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({**QUIET, "CROSSCHECK_HOME": str(home)})
    serve = subprocess.Popen(
        [
            *(str(BIN / "crosscheck"), "serve", "--port", str(web_port)),
            *("--prefect-port", str(prefect_port)),
        ],
        env=env,
        stdout=(home / "serve.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    shots = screenshots
    ui = f"http://127.0.0.1:{prefect_port}"
    try:
        _wait(f"http://127.0.0.1:{web_port}/health", 120, serve)
        auth = (home / "prefect" / "auth").read_text(encoding="utf-8").strip()
        user, password = auth.split(":", 1)
        wanted = ["monthly", "nightly", "opening-check", "payout"]
        deadline = time.monotonic() + 90
        found: list[str] = []
        while time.monotonic() < deadline and found != wanted:
            try:  # the Prefect server starts after the web service answers
                answer = httpx.post(f"{ui}/api/deployments/filter", json={}, auth=(user, password))
            except httpx.HTTPError:
                time.sleep(0.5)
                continue
            found = sorted(d["name"] for d in answer.json()) if answer.status_code == 200 else []
            time.sleep(0.5)
        assert found == wanted, (home / "serve.log").read_text()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(chromium), args=ARGS)
            try:
                page = browser.new_page(
                    viewport=viewport, timezone_id="Asia/Shanghai", is_mobile=device == "phone"
                )
                page.goto(ui + "/deployments")
                # the server asks for the auth string; the UI keeps it for its own calls
                page.fill("input[type=password]", auth)
                page.keyboard.press("Enter")
                page.goto(ui + "/deployments")
                for name in wanted:
                    expect(page.get_by_text(name, exact=True).first).to_be_visible(timeout=30_000)
                page.screenshot(path=str(shots / f"prefect-deployments-{device}.png"))
                page.get_by_text("nightly", exact=True).first.click()
                expect(page.get_by_text("At 02:00 AM every day").first).to_be_attached(
                    timeout=30_000
                )
                if device == "desktop":  # the phone layout opens on the Details tab
                    # the next run, in the browser's Asia/Shanghai time: two in the morning
                    expect(page.get_by_text("02:00:00 AM").first).to_be_attached(timeout=30_000)
                page.screenshot(path=str(shots / f"prefect-nightly-{device}.png"))
            finally:
                browser.close()
    finally:
        stop_serve(serve)
