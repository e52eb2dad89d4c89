"""Planning the world's classes: who runs them, what, when, and in which state
the world's "as of" date finds them."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from crosscheck.policy import Policy, in_force
from crosscheck.rules import Severity
from crosscheck.workdays import Calendar
from crosscheck.world.directory import Institution, MajorSpec

D = dt.date
ASSESSMENT_DAYS = 20  # exams and materials review are done this long after the end
PAYMENT_DAYS = 45  # payments are made this long after the end


def add_months(day: D, months: int) -> D:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = [
        31,
        29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][month - 1]
    return D(year, month, min(day.day, last))


@dataclass
class ClassPlan:
    class_id: str
    policy: Policy
    overlays: list[Policy]
    institution: Institution
    major: MajorSpec
    opening: D
    size: int
    cal: Calendar
    as_of: D
    venue_id: str = ""
    hours_per_day: int = 6
    hours_online: int = 0
    online_platform: str | None = None
    hours_practice: int | None = None
    filed_on: D | None = None
    approved_on: D | None = None
    actual_start: D | None = None
    offsite_filed: bool | None = None
    project_ref: str | None = None
    plants: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def end(self) -> D:
        return add_months(self.opening, self.major.months) - dt.timedelta(days=1)

    @property
    def months(self) -> int:
        return self.major.months

    @property
    def workdays(self) -> int:
        return self.cal.count_workdays(self.opening, self.end)

    @property
    def hours_total(self) -> int:
        return self.hours_per_day * self.workdays

    @property
    def opened(self) -> bool:
        return self.opening <= self.as_of

    @property
    def payout_ready(self) -> bool:
        return self.end + dt.timedelta(days=ASSESSMENT_DAYS) <= self.as_of

    @property
    def ended(self) -> bool:
        """In the payout stage: opened, and the course is over (POLICY.md: a class that
        has ended is in the payout stage, assessed or not)."""
        return self.opened and self.end < self.as_of

    @property
    def paid(self) -> bool:
        """Paid: the Shenyang and Fushun classes whose payment date has passed (the
        world carries no payments for places whose notices give no accounting)."""
        accounted = self.policy.id in ("shenyang-2022", "fushun-2023")
        return accounted and self.end + dt.timedelta(days=PAYMENT_DAYS) <= self.as_of

    @property
    def status(self) -> str:
        if self.paid:
            return "paid"
        if self.end <= self.as_of:
            return "completed"
        if self.opened:
            return "open"
        return "approved" if self.approved_on and self.approved_on <= self.as_of else "filed"

    @property
    def rules(self) -> dict[str, Severity]:
        """Rule code -> severity for this class: the city policy, then the overlays."""
        found: dict[str, Severity] = {}
        for p in [self.policy, *self.overlays]:
            for code, setting in p.rules.items():
                found.setdefault(code, setting.severity)
        return found

    @property
    def is_liaoning_programme(self) -> bool:
        return self.policy.programme == "graduate_conversion"


def opening_dates(
    rng: random.Random, policy: Policy, cal: Calendar, count: int, as_of: D
) -> list[D]:
    """Opening dates by policy: Shenyang's 1st/16th slots; elsewhere any working day.
    Fushun keeps some classes open and some filed but not yet opened on ``as_of``."""
    days = policy.class_rules.opening_days_of_month
    if policy.id == "shenyang-2022":
        assert days is not None
        slots = sorted({cal.next_workday(D(2022, m, d)) for m in range(3, 13) for d in days.value})
        return sorted(rng.choice(slots) for _ in range(count))
    if policy.id == "fushun-2023":
        future = max(1, count // 12)
        running = max(1, count // 6)
        early = count - future - running
        past = [_workday(rng, cal, D(2024, 1, 2), D(2025, 5, 31)) for _ in range(early)]
        now = [_workday(rng, cal, D(2025, 9, 1), as_of) for _ in range(running)]
        later = [
            _workday(rng, cal, as_of + dt.timedelta(days=1), D(2025, 12, 31)) for _ in range(future)
        ]
        return sorted(past + now) + sorted(later)
    if policy.id == "zhengning-2022":
        return sorted(_workday(rng, cal, D(2022, 3, 1), D(2022, 11, 30)) for _ in range(count))
    return sorted(_workday(rng, cal, D(2025, 8, 1), D(2025, 10, 31)) for _ in range(count))


def _workday(rng: random.Random, cal: Calendar, lo: D, hi: D) -> D:
    return cal.next_workday(lo + dt.timedelta(days=rng.randrange(max((hi - lo).days, 1))))


def plan_classes(
    rng: random.Random,
    policies: dict[str, Policy],
    institutions: list[Institution],
    counts: dict[str, int],
    cal: Calendar,
    as_of: D,
) -> list[ClassPlan]:
    plans: list[ClassPlan] = []
    for policy_id, count in counts.items():
        policy = policies[policy_id]
        mine = [i for i in institutions if i.policy_id == policy_id]
        for k, opening in enumerate(opening_dates(rng, policy, cal, count, as_of)):
            inst = mine[k] if k < len(mine) else rng.choice(mine)  # every institution runs one
            major = rng.choice(inst.majors)
            region = inst.region_code
            overlays = [p for p in in_force(region, opening) if p.id != policy_id]
            plan = ClassPlan(
                class_id="",
                policy=policy,
                overlays=overlays,
                institution=inst,
                major=major,
                opening=opening,
                size=rng.randint(18, 45),
                cal=cal,
                as_of=as_of,
                venue_id=inst.venue_id,
            )
            _schedule(rng, plan)
            plans.append(plan)
    plans.sort(key=lambda p: (p.opening, p.policy.id, p.institution.institution_id))
    for n, plan in enumerate(plans, start=1):
        plan.class_id = f"C{n:05d}"
    return plans


def _schedule(rng: random.Random, plan: ClassPlan) -> None:
    """Hours, filing and approval for a class that breaks no rule."""
    while plan.hours_total < plan.major.required_hours:
        plan.hours_per_day += 1
    if plan.policy.id == "zhengning-2022":
        plan.hours_practice = -(-plan.hours_total * 7 // 10) + rng.randint(0, 5)
        plan.hours_practice = min(plan.hours_practice, plan.hours_total)
    online = any(p.class_rules.max_online_share_practical for p in plan.overlays)
    if online and plan.major.knowledge_based is False and rng.random() < 0.3:
        plan.hours_online = plan.hours_total * rng.randint(20, 45) // 100
        plan.online_platform = "辽宁职业技能在线平台" + rng.choice("一二三四")
    lead = rng.randint(5, 12)
    plan.filed_on = plan.cal.add_workdays(plan.opening, -lead)
    plan.approved_on = plan.cal.add_workdays(plan.filed_on, rng.randint(1, lead - 1))
    plan.actual_start = plan.opening
