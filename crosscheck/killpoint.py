"""Named points where a crash test kills this process, as ``kill -9`` would.

``CROSSCHECK_KILL_AT=<name>`` makes the process SIGKILL itself on reaching the point
of that name — just before a commit, just before a file is moved into place — so
that the crash-matrix tests (``tests/test_crashes.py``) hit the narrow windows
every time, not by timing. Without the variable a point costs one dictionary look-up.

    ingest.commit     a source's load, before its COMMIT
    check.commit      a check run's findings, before the COMMIT
    check.publish     after the check run's COMMIT, before publishing
    roster.commit     a roster load, before its COMMIT
    purge.commit      a purge, before its COMMIT
    publish.replace   the dashboard's file, built, before it replaces the old one
    snapshot.replace  the service's copy, made, before it replaces the old one
"""

from __future__ import annotations

import os
import signal


def here(name: str) -> None:
    if os.environ.get("CROSSCHECK_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
