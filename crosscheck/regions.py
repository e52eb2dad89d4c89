"""The GB/T 2260 region table (vendored, checksummed; see data/regions/SOURCE.md)."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache

from crosscheck.paths import data_dir


@dataclass(frozen=True, slots=True)
class Region:
    """What the first six digits of an ID number say about where it was issued."""

    code: str
    province: str | None
    prefecture: str | None
    county: str | None

    @property
    def province_code(self) -> str:
        return self.code[:2]

    @property
    def label(self) -> str:
        """A readable label such as 辽宁省抚顺市新抚区, or the known part of it."""
        parts: list[str] = []
        for part in (self.province, self.prefecture, self.county):
            if part and part not in parts:
                parts.append(part)
        return "".join(parts)


@lru_cache(maxsize=1)
def _rows() -> list[dict[str, str]]:
    folder = data_dir() / "regions"
    raw = (folder / "gbt2260.csv").read_bytes()
    expected = (folder / "gbt2260.csv.sha256").read_text().strip()
    actual = hashlib.sha256(raw).hexdigest()
    if actual != expected:
        raise RuntimeError(
            f"{folder / 'gbt2260.csv'} has SHA-256 {actual}, expected {expected}: "
            "the vendored region table was changed; regenerate it with scripts/vendor_regions.py"
        )
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    return {row["code"]: row["name"] for row in _rows()}


@lru_cache(maxsize=64)
def counties(province: str) -> tuple[str, ...]:
    """County-level codes (level 3) of a province, in code order."""
    return tuple(r["code"] for r in _rows() if r["level"] == "3" and r["code"].startswith(province))


def province_name(code2: str) -> str | None:
    """The province for a 2-digit code, or None when no such province exists."""
    return _table().get(code2 + "0000")


def lookup(code6: str) -> Region:
    """Resolve a 6-digit code to its province, prefecture and county names.

    Unknown levels are None: the table is the current one, and an ID keeps the
    code in force when it was issued.
    """
    table = _table()
    province = table.get(code6[:2] + "0000")
    prefecture = table.get(code6[:4] + "00") if code6[2:4] != "00" else None
    county = table.get(code6) if code6[4:6] != "00" else None
    return Region(code=code6, province=province, prefecture=prefecture, county=county)


def province_codes() -> frozenset[str]:
    """Every 2-digit province-level code in the table."""
    return frozenset(code[:2] for code in _table() if code.endswith("0000"))
