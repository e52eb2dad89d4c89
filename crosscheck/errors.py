"""The errors crosscheck raises on bad input.

Every error a user can meet carries a message in the user's language (Simplified
Chinese where a user reads it) naming *what* is wrong, *where* (file, row,
field) and *why*; the CLI prints it and exits non-zero, never a traceback.

    CrosscheckError
    ├── IdNumberError        – a resident ID number that cannot be read (see idnumber)
    ├── DateInputError       – a date string that is not an ISO date
    ├── CalendarError        – a working-day question for a year with no schedule
    │                          or a malformed schedule file
    ├── PolicyError          – a policy file that is missing, malformed or has
    │                          unknown keys; or no policy for a jurisdiction
    └── WarehouseError       – the DuckDB warehouse cannot be opened or migrated
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path


class CrosscheckError(Exception):
    """Base of every error crosscheck reports to a user."""


class IdNumberError(CrosscheckError):
    """An ID number that cannot be normalised or parsed at all."""


class DateInputError(CrosscheckError):
    """A date given by a user that is not YYYY-MM-DD."""


class CalendarError(CrosscheckError):
    """A working-day question that cannot be answered."""


class PolicyError(CrosscheckError):
    """A policy file that cannot be loaded, or a policy that cannot be found."""


class WarehouseError(CrosscheckError):
    """The warehouse file cannot be opened, created or migrated."""


def parse_date(text: str, *, field: str = "日期") -> dt.date:
    """Parse an ISO date (YYYY-MM-DD) given by a user, with a clear error."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise DateInputError(
            f"{field}“{text}”不是有效日期，应为 YYYY-MM-DD 格式，例如 2026-10-01"
        ) from None


AS_OF_RANGE = (dt.date(2000, 1, 1), dt.date(2099, 12, 31))


def as_of_date(text: str | None, *, field: str = "核查日期") -> dt.date:
    """The day a check is "as of": today when not given; else an ISO date within
    2000–2099 (an empty string or 1900-01-01 is a mistake, not "today" or a check
    before any of these programmes existed)."""
    if text is None:
        return dt.date.today()
    day = parse_date(text, field=field)
    first, last = AS_OF_RANGE
    if not first <= day <= last:
        raise DateInputError(f"{field} {day} 超出可核查的范围（{first} 至 {last}）")
    return day


def month_text(text: str, *, field: str = "月份") -> str:
    """A month as ``YYYY-MM``: a wrong shape and a month that does not exist (2025-13)
    are said apart."""
    import re

    if not re.fullmatch(r"\d{4}-\d{2}", text):
        raise CrosscheckError(f"{field} “{text[:20]}” 格式应为 YYYY-MM，如 2025-09")
    if not 1 <= int(text[5:]) <= 12:
        raise CrosscheckError(f"{field} “{text}” 不存在：月份应为 01 至 12")
    return text


def output_file(path: Path, *, option: str = "--out") -> Path:
    """Refuse, before any work is done, an output path that cannot be a file: a
    directory, a path under a file, or a folder crosscheck may not write in."""
    if path.is_dir():
        raise CrosscheckError(f"{path} 是一个目录：{option} 应为文件路径")
    for folder in path.parents:
        if folder.exists():
            if not folder.is_dir():
                raise CrosscheckError(f"{folder} 是一个文件，不能在其下写出 {path}（{option}）")
            if not os.access(folder, os.W_OK | os.X_OK):
                raise CrosscheckError(f"没有写入 {folder} 的权限（{option} {path}）")
            break
    return path
