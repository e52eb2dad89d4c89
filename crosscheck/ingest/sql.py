"""SQL builders for ingestion: pure functions, no database, testable as text.
Values from outside are always bound as parameters; only identifiers from the
source specs (never user input) are interpolated."""

from __future__ import annotations

_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]


def id_valid(column: str, as_of_param: str = "$as_of", alias: str | None = None) -> str:
    """A boolean SQL expression: the column is a valid 18-character ID number
    (shape, real birth date from 1900 to the reference date, ISO 7064 check
    digit). Province codes are checked against ``_provinces`` (a one-column table)."""
    c = f'{alias}."{column}"' if alias else f'"{column}"'
    digits = " + ".join(
        f"TRY_CAST(substr({c}, {i + 1}, 1) AS INTEGER) * {w}" for i, w in enumerate(_WEIGHTS)
    )
    birth = f"try_strptime(substr({c}, 7, 8), '%Y%m%d')"
    return (
        f"coalesce((regexp_full_match({c}, '[0-9]{{17}}[0-9X]')"
        f" AND {birth} IS NOT NULL"
        f" AND CAST({birth} AS DATE) BETWEEN DATE '1900-01-01' AND {as_of_param}"
        f" AND substr({c}, 1, 2) IN (SELECT code FROM _provinces)"
        f" AND substr({c}, 18, 1) = substr('10X98765432', (({digits}) % 11) + 1, 1)), false)"
    )


def content_hash(columns: list[str], alias: str | None = None) -> str:
    prefix = f"{alias}." if alias else ""
    return "hash(" + ", ".join(f'{prefix}"{c}"' for c in columns) + ")"


def quoted(columns: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)
