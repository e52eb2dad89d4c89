"""On-demand checks for the service, on the warehouse snapshot.

The nightly run owns the warehouse while it writes (DuckDB's single writer), so
the service never opens it: it reads the snapshot the writer publishes
(:func:`reports.publish.snapshot`). One in-memory database attaches the snapshot
read-only and exposes its tables as views; each request gets its own cursor
with its own empty ``findings`` temp table, so requests run side by side and
nothing is written. When the snapshot is replaced, the next request attaches
the new one. Every check is recorded in the audit log (who, when, which class;
never an ID number).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from crosscheck import warehouse
from crosscheck.checks import draft, review, runner
from crosscheck.errors import CrosscheckError


class OnDemand:
    def __init__(self, snapshot: Path) -> None:
        self.snapshot = snapshot
        self._lock = threading.Lock()
        self._base: duckdb.DuckDBPyConnection | None = None
        self._stamp: tuple[int, int] | None = None
        warehouse.release_at_exit(self, "_base")

    def _cursor(self, empty: bool = True) -> duckdb.DuckDBPyConnection:
        try:
            stat = self.snapshot.stat()
        except FileNotFoundError as exc:
            raise CrosscheckError(
                "尚无可用的数据快照：先运行一次核查（crosscheck check all 或每晚任务）"
            ) from exc
        stamp = (stat.st_ino, stat.st_mtime_ns)
        with self._lock:
            if self._base is None or stamp != self._stamp:
                if self._base is not None:
                    self._base.close()
                self._base = draft.attach_readonly(self.snapshot)
                # the rules' Python functions live with the long-lived connection: a
                # function registered on a cursor that is then closed breaks the next
                # cursor's calls (DuckDB 2.0)
                runner.prepare_udfs(self._base)
                self._stamp = stamp
            cursor = self._base.cursor()
        cursor.execute("SET enable_progress_bar = false")
        for table in draft.WRITTEN:
            if empty:  # a check writes its own findings
                cursor.execute(f"CREATE TEMP TABLE {table} AS FROM wh.{table} LIMIT 0")
            else:  # the published findings, as they are
                cursor.execute(f"CREATE TEMP VIEW {table} AS FROM wh.{table}")
        from crosscheck import decisions

        decisions.overlay(cursor)  # decisions made on the web count at once
        return cursor

    def opening(self, class_id: str, as_of: dt.date, who: str) -> review.Review:
        started = time.perf_counter()
        cursor = self._cursor()
        try:
            if not review.known(cursor, class_id):
                raise KeyError(class_id)
            result = review.opening(cursor, class_id, as_of)
        finally:
            cursor.close()
        self.audit(who, "opening-check", class_id, result.verdict, started)
        return result

    def accounting(self, class_ids: list[str], as_of: dt.date, who: str) -> tuple[Any, Any]:
        """The 补贴核算表 of classes and their trainees, as the payout review computes
        them on the snapshot (every stage re-run as of ``as_of``, nothing written):
        the frames ``reports.accounting.write`` and ``reports.notice.build`` take."""
        from crosscheck.checks import accounting

        started = time.perf_counter()
        cursor = self._cursor()
        try:
            review.payout(cursor, class_ids, as_of)
            table = accounting.describe(cursor, accounting.compute(cursor, as_of))
            people = accounting.people(cursor)
        finally:
            cursor.close()
        self.audit(who, "payout-accounting", ",".join(class_ids)[:200], "computed", started)
        return table, people

    def draft(
        self,
        filing: dict[str, Any],
        entries: list[dict[str, Any]],
        as_of: dt.date,
        who: str,
    ) -> review.Review:
        started = time.perf_counter()
        con = draft.overlay(self.snapshot, filing, entries)
        try:
            result = review.opening(con, filing["class_id"], as_of)
        finally:
            con.close()
        self.audit(who, "draft-opening-check", filing["class_id"], result.verdict, started)
        return result

    def audit(self, who: str, action: str, class_id: str, verdict: str, started: float) -> None:
        """One entry in the audit log (``crosscheck.accounts``): who, what, which
        class, the verdict and how long it took; never an ID number."""
        from crosscheck import accounts

        ms = round((time.perf_counter() - started) * 1000)
        accounts.audit(who, action, class_id, {"verdict": verdict, "ms": ms})

    @contextmanager
    def decisions(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the snapshot for the decisions' queue and checks: its findings
        as published, the decisions and appeals with the web's not yet merged."""
        cursor = self._cursor(empty=False)
        try:
            yield cursor
        finally:
            cursor.close()

    def close(self) -> None:
        with self._lock:
            if self._base is not None:
                self._base.close()
                self._base = None
