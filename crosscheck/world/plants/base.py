"""What every planted case shares: the context, the plant record, and builders
for the registry rows a case plants."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crosscheck.world.directory import Institution
from crosscheck.world.plan import add_months
from crosscheck.world.trainees import People, Trainee

D = dt.date
DAY = dt.timedelta(days=1)


@dataclass
class Context:
    rng: random.Random
    people: People
    directory: list[Institution]
    extra_venues: list[dict[str, Any]] = field(default_factory=list)
    dishonest_institutions: list[dict[str, Any]] = field(default_factory=list)
    # cases planted so far per kind: where a plant takes turns between places (no
    # draw from ``rng``, so that adding a place leaves the rest of the world as it was)
    turns: dict[str, int] = field(default_factory=dict)

    def turn(self, kind: str, places: tuple[str, ...]) -> str:
        n = self.turns.get(kind, 0)
        self.turns[kind] = n + 1
        return places[n % len(places)]


@dataclass(frozen=True)
class Plant:
    name: str
    needs: frozenset[str]  # rule codes that must apply to the class
    apply: Callable[..., bool]  # returns False when the subject does not fit
    rate: float  # share of eligible subjects at "realistic" rates
    group: str = ""  # class plants: one per group per class


def _month(day: D) -> D:
    return day.replace(day=1)


def _next_month(day: D) -> D:
    return add_months(_month(day), 1)


def pension(t: Trainee, number: str, start: D, end: D, name: str | None = None) -> dict[str, Any]:
    return {
        "id_number": number,
        "name": name or t.name,
        "scheme": "城镇企业职工基本养老保险",
        "employer_name": "盛京华信科技有限公司",
        "employer_credit_code": "91210100MA0XYZ1234",
        "city_code": t.hukou_city,
        "month_from": start,
        "month_to": end,
        "updated_at": dt.datetime.combine(end + dt.timedelta(days=20), dt.time(9)),
    }


def licence(t: Trainee, role: str, est: D, dereg: D | None = None) -> dict[str, Any]:
    shop = role == "operator"
    return {
        "id_number": t.id_number,
        "name": t.name,
        "role": role,
        "entity_name": "浑河" + ("便利店" if shop else "商贸有限公司"),
        "credit_code": ("92" if shop else "91") + "210400MA0ABC123X",
        "entity_type": "个体工商户" if shop else "企业",
        "established_on": est,
        "status": "deregistered" if dereg else "active",
        "deregistered_on": dereg,
        "updated_at": dt.datetime.combine(dereg or est, dt.time(10)),
    }


def training(
    t: Trainee,
    region: str,
    programme: str,
    start: D,
    end: D,
    subsidised: bool = True,
    paid: bool = True,
) -> dict[str, Any]:
    return {
        "id_number": t.id_number,
        "name": t.name,
        "region_code": region,
        "institution": "外地职业培训学校",
        "programme": programme,
        "class_ref": f"EXT-{t.id_number[-6:]}",
        "start_date": start,
        "end_date": end,
        "status": "completed" if end < t.plan.as_of else "enrolled",
        "subsidised": subsidised,
        "subsidy_fen": 800000 if subsidised and paid else 0,
        "subsidy_paid_on": end + dt.timedelta(days=30) if subsidised and paid else None,
        "updated_at": dt.datetime.combine(min(end, t.plan.as_of), dt.time(11)),
    }


def _graduated(t: Trainee) -> D | None:
    return t.student["graduated_on"] if t.student and not t.student["graduating"] else None


def _rebuild(t: Trainee, ctx: Context, county: str, birth: D | None = None) -> None:
    """Give the trainee a new ID number from another region (same person otherwise)."""
    number, t.sex = ctx.people.new_id(county, birth or t.birth)
    t.id_number = t.roster_id = number
    t.hukou_province, t.hukou_city, t.hukou_county = county[:2], county[:4], county


def _n(rate: float, name: str, needs: set[str], fn: Callable[..., bool], group: str = "") -> Plant:
    return Plant(name, frozenset(needs), fn, rate, group)
