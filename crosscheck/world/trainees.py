"""Trainees: people built to be eligible for their class, then — for a planted
case — changed in exactly one way, with the findings that change must cause.

A trainee's registry records are written here, not drawn from the background,
so that nothing but the planted case can make a rule fire.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from crosscheck import idnumber, regions
from crosscheck.world import reference
from crosscheck.world.plan import ClassPlan

D = dt.date
TRAINEE_SEQ_FROM = 900


@dataclass
class Expected:
    stage: str
    code: str
    severity: str
    case: str
    match_level: str | None = None


@dataclass
class Trainee:
    plan: ClassPlan
    seq: int
    id_number: str
    name: str
    birth: D
    sex: str
    hukou_province: str
    hukou_city: str
    hukou_county: str | None = None
    roster_name: str = ""
    roster_id: str = ""
    student: dict[str, Any] | None = None
    pension: list[dict[str, Any]] = field(default_factory=list)
    licences: list[dict[str, Any]] = field(default_factory=list)
    training: list[dict[str, Any]] = field(default_factory=list)
    dishonesty: list[dict[str, Any]] = field(default_factory=list)
    extra_people: list[dict[str, Any]] = field(default_factory=list)  # look-alikes
    dropped_on: D | None = None
    exam: str = "passed"
    materials_missing: list[str] = field(default_factory=list)
    attendance_share: float = 0.97
    evidence_gap: bool = False
    in_provincial_system: bool = True
    certification_subsidy: dict[str, Any] | None = None
    own_graduate: bool = False
    duplicate_row: bool = False
    expected: list[Expected] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)
    # findings an official's planted decision lifts (world.decide): not counted as
    # excluding in the expected accounting
    lifted: set[str] = field(default_factory=set)

    @property
    def online(self) -> bool:
        return self.plan.hours_online > 0

    @property
    def certificate(self) -> str:
        return self.plan.major.certificate

    def expect(
        self,
        stage: str,
        code: str,
        case: str,
        severity: str | None = None,
        match_level: str | None = None,
    ) -> None:
        sev = severity or self.plan.rules[code].value
        self.expected.append(Expected(stage, code, sev, case, match_level))


class People:
    """Allocates trainee ID numbers (sequence 900–999: never a background person's)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: dict[tuple[str, D], int] = {}

    def new_id(self, region: str, birth: D, sex: str | None = None) -> tuple[str, str]:
        n = self.used.get((region, birth), TRAINEE_SEQ_FROM)
        if sex is not None and (n % 2 == 1) != (sex == "男"):
            n += 1
        if n > 999:
            raise RuntimeError(f"trainee sequence numbers exhausted for {region} {birth}")
        self.used[(region, birth)] = n + 1
        first17 = f"{region}{birth:%Y%m%d}{n:03d}"
        number = first17 + idnumber.check_digit(first17)
        return number, "男" if n % 2 else "女"

    def name(self) -> str:
        names, probs = reference.surnames()
        surname = self.rng.choices(names, weights=list(probs), k=1)[0]
        chars = reference.GIVEN_CHARS if self.rng.random() > 0.01 else reference.RARE_CHARS
        given = "".join(self.rng.choice(chars) for _ in range(self.rng.choice((1, 2, 2))))
        return surname + given


def _county(rng: random.Random, province_or_city: str) -> str:
    codes = [c for c in regions.counties(province_or_city[:2]) if c.startswith(province_or_city)]
    return rng.choice(codes)


def _graduation(rng: random.Random, plan: ClassPlan) -> tuple[D, bool]:
    """A graduation date that puts the trainee in the policy's cohort on the opening
    day, and whether they are in the graduating class (rather than a past one)."""
    o = plan.opening
    if plan.policy.id == "shenyang-2022":
        if rng.random() < 0.3:
            return D(2023, 6, 30), True
        dates = [D(y, m, d) for y in (2020, 2021, 2022) for m in (6, 7) for d in (20, 30)]
        return rng.choice([g for g in dates if g < o]), False
    # Fushun: left school within 3 years, or in the graduation academic year of 2024-2026
    graduating = [y for y in (2024, 2025, 2026) if D(y - 1, 9, 1) <= o <= D(y, 8, 31)]
    if graduating and rng.random() < 0.3:
        return D(graduating[0], 6, 30), True
    lo = D(o.year - 3, o.month, min(o.day, 28)) + dt.timedelta(days=1)
    candidates = [
        D(y, m, 30) for y in range(o.year - 3, o.year + 1) for m in (6, 7) if lo <= D(y, m, 30) < o
    ]
    return rng.choice(candidates), False


def make(rng: random.Random, people: People, plan: ClassPlan, seq: int) -> Trainee:
    """A trainee who breaks no rule of the class's policies."""
    province = plan.institution.region_code[:2]
    city = plan.institution.region_code[:4] if rng.random() < 0.8 else None
    if plan.is_liaoning_programme:
        grad, graduating = _graduation(rng, plan)
        birth = D(grad.year - rng.choice((21, 22, 23)), rng.randint(1, 12), rng.randint(1, 28))
    else:
        grad, graduating = D(2000, 1, 1), False
        birth = D(plan.opening.year - rng.randint(18, 50), rng.randint(1, 12), rng.randint(1, 28))
    region = _county(
        rng,
        city or reference.LIAONING_CITIES[rng.randrange(14)]
        if province == "21"
        else plan.institution.region_code[:4],
    )
    number, sex = people.new_id(region, birth)
    name = people.name()
    t = Trainee(
        plan,
        seq,
        number,
        name,
        birth,
        sex,
        region[:2],
        region[:4],
        region,
        roster_name=name,
        roster_id=number,
    )
    if plan.is_liaoning_programme:
        school = rng.choice(
            [
                s
                for s in reference.SCHOOLS
                if s.province == "21" and s.code != plan.institution.school_code
            ]
        )
        t.student = student_record(t, school, grad, graduating, plan.as_of)
    return t


def student_record(
    t: Trainee, school: reference.School, grad: D, graduating: bool, as_of: D
) -> dict[str, Any]:
    years = 4 if school.level == "本科" else 3
    expected = grad > as_of
    return {
        "school_name": school.name,
        "school_code": school.code,
        "school_province": school.province,
        "level": school.level,
        "study_mode": "全日制",
        "enrolled_on": D(grad.year - years, 9, 1),
        "graduated_on": grad,
        "graduation_expected": expected,
        "status": "enrolled" if expected else "graduated",
        "graduating": graduating,
    }
