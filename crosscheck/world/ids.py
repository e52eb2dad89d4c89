"""Vectorised identifiers for synthetic people and companies.

ID numbers are built from (region code, birth date, sequence) with the
GB 11643-1999 check digit; unified social credit codes (GB 32100-2015) carry
their check character. Everything is numpy/polars so that ten million people
take seconds, not minutes.
"""

from __future__ import annotations

import numpy as np
import polars as pl

_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_CHECK = np.array(list("10X98765432"))
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """An (n, width) matrix of the decimal digits of non-negative integers."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    digits: np.ndarray = (values.astype(np.int64)[:, None] // powers) % 10
    return digits


def yyyymmdd(days: np.ndarray) -> np.ndarray:
    """datetime64[D] → int YYYYMMDD, vectorised."""
    days = days.astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    year = months.astype(np.int64) // 12 + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    result: np.ndarray = year * 10000 + month * 100 + day
    return result


def id_numbers(region: np.ndarray, birth: np.ndarray, seq: np.ndarray) -> pl.Series:
    """18-character ID numbers; ``region`` as int (6 digits), ``birth`` as
    datetime64[D], ``seq`` as int (0–999)."""
    birth_int = yyyymmdd(birth)
    digits = np.hstack([_digits(region, 6), _digits(birth_int, 8), _digits(seq, 3)])
    check = _CHECK[(digits @ _WEIGHTS) % 11]
    first17 = (
        pl.Series(region.astype(np.int64)).cast(pl.String)
        + pl.Series(birth_int).cast(pl.String)
        + pl.Series(seq.astype(np.int64)).cast(pl.String).str.zfill(3)
    )
    return first17 + pl.Series(check)


def credit_codes(rng: np.random.Generator, region: np.ndarray, kind: str = "91") -> pl.Series:
    """Unified social credit codes: kind (91 enterprise, 92 individual business),
    region, a 9-character organisation code, and the GB 32100 check character."""
    n = len(region)
    body = rng.integers(0, 10, size=(n, 9))
    digits = np.hstack([np.tile([int(kind[0]), int(kind[1])], (n, 1)), _digits(region, 6), body])
    check = (31 - (digits @ _CREDIT_WEIGHTS) % 31) % 31
    chars = np.array(list(_CREDIT_CHARS))
    text = ["".join(map(str, row)) for row in digits]
    return pl.Series(text) + pl.Series(chars[check])
