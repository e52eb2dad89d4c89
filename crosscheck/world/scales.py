"""World sizes. Classes are counted per policy; persons are the background."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

AS_OF = dt.date(2025, 12, 20)  # the world's own "today": nothing depends on the real date


@dataclass(frozen=True)
class Scale:
    name: str
    persons: int
    classes: dict[str, int] = field(default_factory=dict)  # policy id -> classes
    min_cases: int = 1  # every planted case at least this often
    xlsx_rosters: int = 10_000  # rosters written as .xlsx at most (the rest as CSV or none)
    chunk: int = 1_000_000


SCALES = {
    "tiny": Scale(
        "tiny",
        2_000,
        {"shenyang-2022": 7, "fushun-2023": 12, "zhengning-2022": 3, "sichuan-2025": 3},
        min_cases=1,
        xlsx_rosters=25,
    ),
    "small": Scale(
        "small",
        100_000,
        {"shenyang-2022": 24, "fushun-2023": 40, "zhengning-2022": 6, "sichuan-2025": 8},
        min_cases=2,
        xlsx_rosters=80,
    ),
    "city": Scale(
        "city",
        1_000_000,
        {"shenyang-2022": 160, "fushun-2023": 240, "zhengning-2022": 20, "sichuan-2025": 40},
        min_cases=3,
        xlsx_rosters=150,
    ),
    "province": Scale(
        "province",
        10_000_000,
        {"shenyang-2022": 700, "fushun-2023": 1000, "zhengning-2022": 60, "sichuan-2025": 120},
        min_cases=5,
        xlsx_rosters=200,
    ),
}
