"""The nightly verification: registries, re-checks, publication, summary."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
from prefect import flow, get_run_logger, task

from crosscheck import warehouse
from crosscheck.checks import nightly as checks_nightly
from crosscheck.checks import partition
from crosscheck.connectors.http import RetryPolicy
from crosscheck.flows.common import day, warehouse_path
from crosscheck.ingest.load import Outcome
from crosscheck.ingest.run import from_http
from crosscheck.ingest.sources import SOURCES
from crosscheck.reports.publish import publish_all


def registry_token() -> str:
    """The registry token: ``CROSSCHECK_REGISTRY_TOKEN`` (``crosscheck serve`` passes
    ``--registry-token`` on this way to the runs it starts), else the Prefect Secret
    block ``crosscheck-registry-token`` when one is configured, else empty."""
    token = os.environ.get("CROSSCHECK_REGISTRY_TOKEN")
    if token:
        return token
    try:
        from prefect.blocks.system import Secret

        return str(Secret.load("crosscheck-registry-token").get())  # type: ignore[union-attr]
    except Exception:  # no such block, or no Prefect API: no token
        return ""


class RegistryDown(RuntimeError):
    """A registry could not be pulled; its task fails (and retries)."""


@task(name="sync-registry", task_run_name="sync-{source}", retries=2, retry_delay_seconds=30)
def sync_registry(
    db: str | None, url: str, source: str, as_of: str, attempts: int = 4
) -> dict[str, Any]:
    """Pull one registry's changes since its watermark (the connector retries each
    request; this task retries the whole pull when the registry stays down). The
    token is read here, from the environment — never a flow or task parameter,
    which Prefect stores and shows to anyone who can read its API."""
    outcome = _pull(warehouse_path(db), url, source, as_of, attempts)
    if outcome.status == "failed":  # (raised where no frame holds the connection)
        raise RegistryDown(f"{source}: {outcome.detail}")
    return outcome.as_dict()


def _pull(path: Path, url: str, source: str, as_of: str, attempts: int) -> Outcome:
    con = warehouse.connect(path)
    try:
        _, outcomes = from_http(
            con,
            url,
            registry_token(),
            sources=[source],
            as_of=dt.date.fromisoformat(as_of),
            retry=RetryPolicy(attempts=attempts, total_budget=120.0),
        )
    finally:
        con.close()
    return outcomes[0]


@task(name="recheck-classes")
def recheck(db: str | None, as_of: str, run_id: str) -> dict[str, Any]:
    con = warehouse.connect(warehouse_path(db))
    try:
        return checks_nightly.recheck(con, dt.date.fromisoformat(as_of), run_id)
    finally:
        con.close()


@task(name="export-partitions")
def export_partitions(
    db: str | None, as_of: str, run_id: str, parts: int, folder: str, threads: int | None = None
) -> list[partition.Task]:
    """The partitioned re-check's first step: the web's decisions merged, the classes
    still open chosen, the warehouse exported in partitions; the tasks to run."""
    from crosscheck import decisions

    con = warehouse.connect(warehouse_path(db))
    try:
        decisions.merge_inbox(con)
        ids = checks_nightly.pending_classes(con, dt.date.fromisoformat(as_of))
        if not ids:
            return []
        return partition.prepare(
            con,
            Path(folder),
            checks_nightly.STAGES,
            run_id,
            as_of=dt.date.fromisoformat(as_of),
            parts=parts,
            class_ids=ids,
            threads=threads,
        )
    finally:
        con.close()


def _partition_run_name() -> str:
    """``check-partition-<n>``, and ``check-classes`` for the class pass."""
    from prefect.runtime import task_run

    part = task_run.parameters["job"].part
    return "check-classes" if part == partition.CLASS_PASS else f"check-partition-{part}"


@task(name="check-partition", task_run_name=_partition_run_name)
def check_partition(job: partition.Task) -> tuple[pa.Table, pa.Table]:
    """One partition's rules in a DuckDB of its own (the class pass is part -1)."""
    return partition.run_task(job)


@flow(name="partitioned-checks")
def partitioned_checks(jobs: list[partition.Task]) -> list[tuple[pa.Table, pa.Table]]:
    """The partitions side by side on the flow's task runner (Dask, from the nightly)."""
    futures = check_partition.map(jobs)
    return [f.result() for f in futures]


@task(name="write-partitions")
def write_partitions(
    db: str | None, run_id: str, jobs: list[partition.Task], results: list[Any]
) -> dict[str, Any]:
    """Write the partitions' findings and links as one run writes its own."""
    ids = list(jobs[0].class_ids or [])
    con = warehouse.connect(warehouse_path(db))
    try:
        summaries = partition.gather(con, checks_nightly.STAGES, run_id, results, ids)
        return checks_nightly.summarize(con, run_id, ids, summaries)
    finally:
        con.close()


def _partitioned(
    db: str | None, as_of: str, run_id: str, workers: int, scheduler: str | None
) -> dict[str, Any]:
    """The re-check in partitions, each a task on Dask through prefect-dask's task
    runner (a LocalCluster of ``workers`` processes, or ``scheduler``)."""
    from prefect_dask import DaskTaskRunner

    folder = Path(tempfile.mkdtemp(prefix="crosscheck-export-"))
    try:
        threads = partition.task_threads(workers, scheduler)
        jobs = export_partitions(db, as_of, run_id, workers, str(folder), threads)
        if not jobs:
            return checks_nightly.summarize(None, run_id, [], [])
        runner = (
            DaskTaskRunner(address=scheduler)
            if scheduler
            else DaskTaskRunner(
                cluster_kwargs={
                    "n_workers": workers,
                    "threads_per_worker": 1,
                    "processes": True,
                    "dashboard_address": None,
                }
            )
        )
        results = partitioned_checks.with_options(task_runner=runner)(jobs)
        return write_partitions(db, run_id, jobs, results)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@task(name="publish")
def publish(db: str | None, as_of: str) -> None:
    path = warehouse_path(db)
    con = warehouse.connect(path)
    try:
        publish_all(con, path, dt.date.fromisoformat(as_of))
    finally:
        con.close()


@task(name="record-summary")
def record(
    db: str | None, run_id: str, started: str, status: str, as_of: str, summary: dict[str, Any]
) -> None:
    con = warehouse.connect(warehouse_path(db))
    try:
        checks_nightly.record(
            con,
            run_id,
            "nightly",
            dt.datetime.fromisoformat(started),
            status,
            dt.date.fromisoformat(as_of),
            summary,
        )
    finally:
        con.close()


@flow(name="nightly-verification")
def nightly(
    registry_url: str | None = None,
    db: str | None = None,
    as_of: str | None = None,
    retries: int = 2,
    retry_delay_seconds: float = 30.0,
    attempts: int = 4,
    workers: int = 1,
    scheduler: str | None = None,
) -> dict[str, Any]:
    """Pull every registry (a source that stays down leaves its data stale and the
    run partial), re-check every class still open to a decision, record only new
    findings, publish the dashboard's data, and write the run's summary. ``retries``
    and ``retry_delay_seconds`` are the registry tasks' (``attempts``: requests per
    page inside one try). ``workers`` > 1 or a Dask ``scheduler`` address: the re-check
    runs in partitions on Dask (``checks/partition.py``), with the same findings."""
    logger = get_run_logger()
    started = dt.datetime.now().replace(microsecond=0)
    run_id = f"nightly-{started:%Y%m%dT%H%M%S}"
    check_day = day(as_of).isoformat()
    url = registry_url or os.environ.get("CROSSCHECK_REGISTRY_URL")
    sources: dict[str, Any] = {}
    stale: dict[str, str] = {}
    if url:
        pull = sync_registry.with_options(retries=retries, retry_delay_seconds=retry_delay_seconds)
        for name in SOURCES:
            state = pull(db, url, name, check_day, attempts, return_state=True)
            if state.is_completed():
                sources[name] = state.result()
            else:
                stale[name] = str(state.message or "failed")
                logger.warning("registry %s is down: its data stays as of its last pull", name)
    else:
        # nothing pulled is not a success: every source is named as stale, and why
        why = "未配置登记库接口地址（--registry-url 或 CROSSCHECK_REGISTRY_URL），本次未拉取"
        stale = dict.fromkeys(SOURCES, why)
        logger.warning(
            "no registry URL (CROSSCHECK_REGISTRY_URL): nothing pulled, re-checking on the "
            "data already held; every source is stale"
        )
    if workers > 1 or scheduler:
        checked = _partitioned(db, check_day, run_id, workers, scheduler)
    else:
        checked = recheck(db, check_day, run_id)
    summary = {
        "as_of": check_day,
        "sources": {
            n: {k: o[k] for k in ("status", "read", "loaded", "removed", "rejected")}
            for n, o in sources.items()
        },
        "stale_sources": stale,
        **checked,
    }
    status = "partial" if stale else "succeeded"
    record(db, run_id, started.isoformat(), status, check_day, summary)
    publish(db, check_day)
    logger.info(
        "nightly %s: %s classes, %s findings, %s new, %s resolved, stale: %s",
        status,
        checked["classes"],
        checked["found"],
        checked["new"],
        checked["resolved"],
        ", ".join(stale) or "none",
    )
    return {"run_id": run_id, "status": status, **summary}
