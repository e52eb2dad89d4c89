"""What every flow shares: where the warehouse is, today's date in China."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from crosscheck.paths import default_warehouse, home_dir

CHINA = ZoneInfo("Asia/Shanghai")


def warehouse_path(db: str | None) -> Path:
    return Path(db) if db else default_warehouse()


def day(as_of: str | None) -> dt.date:
    """The check date: given, or today in Asia/Shanghai (the users' day, not UTC's)."""
    return dt.date.fromisoformat(as_of) if as_of else dt.datetime.now(CHINA).date()


def reports_dir() -> Path:
    folder = home_dir() / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
