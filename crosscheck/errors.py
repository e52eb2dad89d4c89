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
