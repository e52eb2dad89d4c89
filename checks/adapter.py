"""One thin adapter runs every SQL step and adds the step's name to any error
(the way splink's database API does)."""

from __future__ import annotations

from typing import Any

import duckdb


class CheckError(RuntimeError):
    """A check step failed; the message names the step."""


def run(
    con: duckdb.DuckDBPyConnection,
    step: str,
    sql: str,
    params: dict[str, Any] | list[Any] | None = None,
) -> None:
    try:
        con.execute(sql, params)
    except duckdb.Error as exc:
        raise CheckError(f"check step “{step}” failed: {exc}") from exc
