"""The planted cases: each changes a clean trainee or class in exactly one way and
declares the findings that change must cause (or, for a hard negative, that it
must cause none). ``data/README.md`` explains the reading of each rule they
encode; ``truth/cases`` lists every plant in a world.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crosscheck import idnumber, names, regions
from crosscheck.world import reference
from crosscheck.world.directory import Institution, MajorSpec
from crosscheck.world.plan import ClassPlan, _schedule, add_months
from crosscheck.world.trainees import People, Trainee, student_record

D = dt.date
DAY = dt.timedelta(days=1)


@dataclass
class Context:
    rng: random.Random
    people: People
    directory: list[Institution]
    extra_venues: list[dict[str, Any]] = field(default_factory=list)
    dishonest_institutions: list[dict[str, Any]] = field(default_factory=list)


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
    t.hukou_province, t.hukou_city = county[:2], county[:4]


# ------------------------------------------------------------------ identity
def id_check_digit_typo(t: Trainee, ctx: Context) -> bool:
    wrong = next(c for c in "0123456789X" if c != t.id_number[-1])
    t.roster_id = t.id_number[:17] + wrong
    t.expect("identity", "ID_INVALID", "id_check_digit_typo")
    return True


def id_typed_loosely(t: Trainee, ctx: Context) -> bool:
    """Negative: full-width digits and spaces normalise to a valid number."""
    full = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in t.id_number)
    t.roster_id = full[:6] + " " + full[6:14] + " " + full[14:].lower()
    return True


def _name_case(level: names.MatchLevel, case: str, severity: str) -> Callable[..., bool]:
    def apply(t: Trainee, ctx: Context) -> bool:
        rng = ctx.rng
        for _ in range(50):
            if level is names.MatchLevel.VARIANT:
                sur = rng.choice(["张", "陈", "刘", "杨", "赵", "黄", "吴", "郑", "冯", "韩"])
                given = rng.choice(["伟", "华", "丽", "军", "红", "兰", "涛", "鹏", "强"])
                t.name = sur + given
                typed = "".join(reference.TRADITIONAL.get(c, c) for c in t.name)
            elif level is names.MatchLevel.SAME_PINYIN:
                key = rng.choice(list(reference.HOMOPHONES))
                t.name = ctx.people.name()[0] + key
                typed = t.name[0] + reference.HOMOPHONES[key]
            elif level is names.MatchLevel.ONE_CHARACTER:
                t.name = ctx.people.name()[0] + "晓" + rng.choice("明东峰")
                typed = t.name[:-1] + rng.choice("一二三")
            else:
                typed = ctx.people.name()
                while names.compare(typed, t.name).level is not names.MatchLevel.DIFFERENT:
                    typed = ctx.people.name()
            if names.compare(typed, t.name).level is level:
                t.roster_name = typed
                t.expect("identity", "ID_NAME_MISMATCH", case, severity, level.value)
                return True
        raise RuntimeError(f"could not build a {level} name pair")

    return apply


def minority_name_dot(t: Trainee, ctx: Context) -> bool:
    """Negative: a minority name typed with another kind of middle dot."""
    t.name = ctx.rng.choice(reference.MINORITY_NAMES)
    t.roster_name = t.name.replace("·", ctx.rng.choice(["•", "・", "."]))
    return True


def roster_duplicate(t: Trainee, ctx: Context) -> bool:
    t.duplicate_row = True
    t.expect("identity", "ROSTER_DUPLICATE", "roster_duplicate")
    return True


# -------------------------------------------------------------------- cohort
def graduated_before_window(t: Trainee, ctx: Context) -> bool:
    if t.student is None:
        return False
    o = t.plan.opening
    grad = D(2019, 6, 30) if t.plan.policy.id == "shenyang-2022" else _years_before(o, 3) - DAY
    t.student.update(
        graduated_on=grad,
        graduating=False,
        graduation_expected=False,
        status="graduated",
        enrolled_on=D(grad.year - 4, 9, 1),
    )
    t.expect("opening", "NOT_IN_COHORT", "graduated_before_window")
    return True


def _years_before(day: D, years: int) -> D:
    return add_months(day, -12 * years)


def graduated_on_window_boundary(t: Trainee, ctx: Context) -> bool:
    """Negative (Fushun): left school exactly 3 years before the opening day."""
    o = t.plan.opening
    if t.student is None or t.plan.policy.id != "fushun-2023" or (o.month, o.day) == (2, 29):
        return False
    grad = _years_before(o, 3)
    t.student.update(
        graduated_on=grad,
        graduating=False,
        graduation_expected=False,
        status="graduated",
        enrolled_on=D(grad.year - 4, 9, 1),
    )
    return True


def no_student_record(t: Trainee, ctx: Context) -> bool:
    t.student = None
    t.expect("opening", "NOT_IN_COHORT", "no_student_record", "review")
    return True


def part_time(t: Trainee, ctx: Context) -> bool:
    assert t.student is not None
    t.student["study_mode"] = "非全日制"
    t.expect("opening", "NOT_FULL_TIME", "part_time")
    return True


def _school(province: str) -> reference.School:
    return next(s for s in reference.SCHOOLS if s.province == province)


def region_ineligible(t: Trainee, ctx: Context) -> bool:
    assert t.student is not None
    _rebuild(t, ctx, ctx.rng.choice(regions.counties("13")))
    t.student.update(school_name="河北工业大学", school_code="S1301", school_province="13")
    t.expect("opening", "REGION_INELIGIBLE", "region_ineligible")
    return True


def hukou_proof_required(t: Trainee, ctx: Context) -> bool:
    assert t.student is not None
    t.student.update(school_name="吉林大学", school_code="S2201", school_province="22")
    t.expect("opening", "HUKOU_PROOF_REQUIRED", "hukou_proof_required")
    return True


def outside_hukou_liaoning_school(t: Trainee, ctx: Context) -> bool:
    """Negative: out-of-province household registration, studying in Liaoning."""
    _rebuild(t, ctx, ctx.rng.choice(regions.counties("22")))
    return True


# ---------------------------------------------------------------- employment
def prior_employment(t: Trainee, ctx: Context) -> bool:
    grad = _graduated(t)
    if grad is None:
        return False
    start, end = add_months(_month(grad), 2), add_months(_month(t.plan.opening), -2)
    if start > end:
        return False
    t.pension.append(pension(t, t.id_number, start, end))
    t.expect("opening", "PRIOR_EMPLOYMENT", "prior_employment")
    return True


def contribution_in_graduation_month(t: Trainee, ctx: Context) -> bool:
    """Negative: the only contribution month is the month of graduation (before it ends)."""
    grad = _graduated(t)
    if grad is None or grad.day == 1:
        return False
    t.pension.append(pension(t, t.id_number, _month(grad), _month(grad)))
    return True


def contribution_month_after_graduation(t: Trainee, ctx: Context) -> bool:
    grad = _graduated(t)
    if grad is None or _next_month(grad) >= t.plan.opening:
        return False
    t.pension.append(pension(t, t.id_number, _next_month(grad), _next_month(grad)))
    t.expect("opening", "PRIOR_EMPLOYMENT", "contribution_month_after_graduation")
    return True


def _typo(number: str) -> str:
    seq = number[14:17]
    if seq[0] != seq[1]:
        candidate = number[:14] + seq[1] + seq[0] + seq[2] + number[17]
        if not idnumber.check(candidate).valid:
            return candidate
    wrong = next(c for c in "0123456789X" if c != number[-1])
    return number[:17] + wrong


def prior_employment_id_typo(t: Trainee, ctx: Context) -> bool:
    """The agency holds the ID with a typo; the name and birth date are right."""
    grad = _graduated(t)
    if grad is None:
        return False
    start, end = add_months(_month(grad), 2), add_months(_month(t.plan.opening), -2)
    if start > end:
        return False
    t.pension.append(pension(t, _typo(t.id_number), start, end))
    t.expect("opening", "PRIOR_EMPLOYMENT", "prior_employment_id_typo", "review", "exact")
    return True


def same_name_and_birth_other_person(t: Trainee, ctx: Context) -> bool:
    """Negative: another real person, same name, birth date and county, who works."""
    grad = _graduated(t)
    if grad is None:
        return False
    number, _ = ctx.people.new_id(t.id_number[:6], t.birth)
    t.extra_people.append(
        {
            "id_number": number,
            "name": t.name,
            "province_code": t.hukou_province,
            "city_code": t.hukou_city,
        }
    )
    start, end = add_months(_month(grad), 2), add_months(_month(t.plan.opening), -1)
    if start > end:
        start = end
    t.pension.append(pension(t, number, start, end))
    return True


def employed_during_training(t: Trainee, ctx: Context) -> bool:
    plan = t.plan
    month = _next_month(plan.opening)
    if not plan.payout_ready or month > plan.end:
        return False
    t.pension.append(pension(t, t.id_number, month, month))
    t.expect("payout", "EMPLOYED_DURING_TRAINING", "employed_during_training")
    return True


# ------------------------------------------------------------------ business
def _business_window(t: Trainee) -> tuple[D, D] | None:
    grad = _graduated(t)
    if grad is None or grad + dt.timedelta(days=40) >= t.plan.opening:
        return None
    return grad + dt.timedelta(days=20), t.plan.opening - dt.timedelta(days=15)


def prior_business_operator(t: Trainee, ctx: Context) -> bool:
    window = _business_window(t)
    if window is None:
        return False
    t.licences.append(licence(t, "operator", window[0]))
    t.expect("opening", "PRIOR_BUSINESS", "prior_business_operator")
    return True


def prior_business_investor(t: Trainee, ctx: Context) -> bool:
    window = _business_window(t)
    if window is None:
        return False
    t.licences.append(licence(t, "investor", window[0]))
    t.expect("opening", "PRIOR_BUSINESS", "prior_business_investor", "review")
    return True


def licence_deregistered_before_graduation(t: Trainee, ctx: Context) -> bool:
    """Negative: a student's shop, closed before graduation."""
    if t.student is None:
        return False
    grad = t.student["graduated_on"]
    t.licences.append(
        licence(t, "operator", grad - dt.timedelta(days=400), grad - dt.timedelta(days=30))
    )
    return True


def business_during_training(t: Trainee, ctx: Context) -> bool:
    if not t.plan.payout_ready:
        return False
    t.licences.append(licence(t, "operator", t.plan.opening + dt.timedelta(days=20)))
    t.expect("payout", "BUSINESS_DURING_TRAINING", "business_during_training")
    return True


# ------------------------------------------------------------------ training
def _earlier_this_year(t: Trainee) -> tuple[D, D] | None:
    o = t.plan.opening
    if o < D(o.year, 4, 1):
        return None
    return D(o.year, 1, 4), D(o.year, 3, 3)


def already_trained_same_year(t: Trainee, ctx: Context) -> bool:
    window = _earlier_this_year(t)
    if window is None:
        return False
    other = "210200" if not t.plan.institution.region_code.startswith("2102") else "210300"
    t.training.append(training(t, other, "graduate_conversion", *window))
    t.expect("opening", "ALREADY_TRAINED_THIS_YEAR", "already_trained_same_year")
    if t.plan.payout_ready:
        t.expect("payout", "DUPLICATE_SUBSIDY", "already_trained_same_year")
    return True


def already_trained_other_province(t: Trainee, ctx: Context) -> bool:
    window = _earlier_this_year(t)
    if window is None:
        return False
    t.training.append(training(t, "130100", "graduate_conversion", *window))
    t.expect("opening", "ALREADY_TRAINED_THIS_YEAR", "already_trained_other_province", "review")
    if t.plan.payout_ready:
        t.expect("payout", "DUPLICATE_SUBSIDY", "already_trained_other_province", "review")
    return True


def trained_previous_year(t: Trainee, ctx: Context) -> bool:
    """Negative: the same programme, subsidised, a year earlier."""
    y = t.plan.opening.year - 1
    t.training.append(training(t, "210200", "graduate_conversion", D(y, 3, 1), D(y, 6, 30)))
    return True


def _concurrent(subsidised: bool, case: str, severity: str | None) -> Callable[..., bool]:
    def apply(t: Trainee, ctx: Context) -> bool:
        o = t.plan.opening
        t.training.append(
            training(
                t,
                "210200",
                "employment_skills",
                o - dt.timedelta(days=60),
                o,
                subsidised=subsidised,
                paid=False,
            )
        )
        t.expect("opening", "CONCURRENT_ENROLMENT", case, severity)
        return True

    return apply


def adjacent_not_overlapping(t: Trainee, ctx: Context) -> bool:
    """Negative: another course that ended the day before this one opened."""
    o = t.plan.opening
    t.training.append(
        training(t, "210200", "employment_skills", o - dt.timedelta(days=60), o - DAY, paid=False)
    )
    return True


def blacklisted(t: Trainee, ctx: Context) -> bool:
    o = t.plan.opening
    t.dishonesty.append(
        {
            "subject_type": "person",
            "id_number": t.id_number,
            "credit_code": None,
            "reason": "虚假培训",
            "listed_from": o - dt.timedelta(days=200),
            "listed_to": o + dt.timedelta(days=900),
            "updated_at": dt.datetime.combine(o - dt.timedelta(days=200), dt.time(9)),
        }
    )
    t.expect("opening", "TRAINEE_BLACKLISTED", "blacklisted")
    return True


def own_graduate(t: Trainee, ctx: Context) -> bool:
    inst = t.plan.institution
    if not inst.is_school or inst.school_code is None or t.plan.venue_id != inst.venue_id:
        return False
    school = next(s for s in reference.SCHOOLS if s.code == inst.school_code)
    o = t.plan.opening
    if t.plan.policy.id == "shenyang-2022":
        grad = D(2023, 6, 30)
    else:
        grad = D(o.year + (1 if o.month >= 9 else 0), 6, 30)
    t.student = student_record(t, school, grad, True, t.plan.as_of)
    t.own_graduate = True
    t.expect("opening", "OWN_GRADUATE", "own_graduate")
    return True


def own_school_past_graduate(t: Trainee, ctx: Context) -> bool:
    """Negative (Fushun): the school's own graduate of an earlier year."""
    inst = t.plan.institution
    grad = _graduated(t)
    if t.plan.policy.id != "fushun-2023" or not inst.is_school or grad is None:
        return False
    school = next(s for s in reference.SCHOOLS if s.code == inst.school_code)
    t.student = student_record(t, school, grad, False, t.plan.as_of)
    return True


# -------------------------------------------------------------------- payout
def _payout(code: str, case: str, change: Callable[[Trainee], None]) -> Callable[..., bool]:
    def apply(t: Trainee, ctx: Context) -> bool:
        if not t.plan.payout_ready:
            return False
        change(t)
        t.expect("payout", code, case)
        return True

    return apply


def _drop(t: Trainee) -> None:
    t.dropped_on = t.plan.opening + (t.plan.end - t.plan.opening) * 2 // 5


def _missing(t: Trainee) -> None:
    t.materials_missing = ["学员未创业说明" if t.plan.policy.id == "fushun-2023" else "培训登记表"]


def _cert_subsidy(t: Trainee) -> None:
    first = t.plan.policy.id == "fushun-2023"
    t.certification_subsidy = {"amount_fen": 30000, "first_certification": first}


def not_in_provincial_system(t: Trainee, ctx: Context) -> bool:
    if not t.plan.payout_ready or not (t.online or t.plan.policy.id == "sichuan-2025"):
        return False
    t.in_provincial_system = False
    t.expect("payout", "NOT_IN_PROVINCIAL_SYSTEM", "not_in_provincial_system")
    return True


def first_certification_subsidy(t: Trainee, ctx: Context) -> bool:
    """Negative (Shenyang): the separate subsidy for a first certification is due."""
    if not t.plan.payout_ready or t.plan.policy.id != "shenyang-2022":
        return False
    t.certification_subsidy = {"amount_fen": 30000, "first_certification": True}
    return True


def _n(rate: float, name: str, needs: set[str], fn: Callable[..., bool], group: str = "") -> Plant:
    return Plant(name, frozenset(needs), fn, rate, group)


NONE: set[str] = set()
PROG = {"NOT_IN_COHORT"}  # the graduate programme's policies
TRAINEE_PLANTS = [
    _n(0.004, "id_check_digit_typo", {"ID_INVALID"}, id_check_digit_typo),
    _n(0.01, "id_typed_loosely", {"ID_INVALID"}, id_typed_loosely),
    _n(
        0.003,
        "name_different",
        {"ID_NAME_MISMATCH"},
        _name_case(names.MatchLevel.DIFFERENT, "name_different", "block"),
    ),
    _n(
        0.003,
        "name_traditional",
        {"ID_NAME_MISMATCH"},
        _name_case(names.MatchLevel.VARIANT, "name_traditional", "review"),
    ),
    _n(
        0.004,
        "name_homophone",
        {"ID_NAME_MISMATCH"},
        _name_case(names.MatchLevel.SAME_PINYIN, "name_homophone", "review"),
    ),
    _n(
        0.002,
        "name_one_character",
        {"ID_NAME_MISMATCH"},
        _name_case(names.MatchLevel.ONE_CHARACTER, "name_one_character", "review"),
    ),
    _n(0.003, "minority_name_dot", {"ID_NAME_MISMATCH"}, minority_name_dot),
    _n(0.003, "roster_duplicate", {"ROSTER_DUPLICATE"}, roster_duplicate),
    _n(0.01, "graduated_before_window", PROG, graduated_before_window),
    _n(0.005, "graduated_on_window_boundary", PROG, graduated_on_window_boundary),
    _n(0.006, "no_student_record", PROG, no_student_record),
    _n(0.005, "part_time", {"NOT_FULL_TIME"}, part_time),
    _n(0.004, "region_ineligible", {"REGION_INELIGIBLE"}, region_ineligible),
    _n(0.005, "hukou_proof_required", {"HUKOU_PROOF_REQUIRED"}, hukou_proof_required),
    _n(0.01, "outside_hukou_liaoning_school", {"REGION_INELIGIBLE"}, outside_hukou_liaoning_school),
    _n(0.025, "prior_employment", {"PRIOR_EMPLOYMENT"}, prior_employment),
    _n(
        0.004,
        "contribution_in_graduation_month",
        {"PRIOR_EMPLOYMENT"},
        contribution_in_graduation_month,
    ),
    _n(
        0.004,
        "contribution_month_after_graduation",
        {"PRIOR_EMPLOYMENT"},
        contribution_month_after_graduation,
    ),
    _n(0.004, "prior_employment_id_typo", {"PRIOR_EMPLOYMENT"}, prior_employment_id_typo),
    _n(
        0.003,
        "same_name_and_birth_other_person",
        {"PRIOR_EMPLOYMENT"},
        same_name_and_birth_other_person,
    ),
    _n(0.015, "employed_during_training", {"EMPLOYED_DURING_TRAINING"}, employed_during_training),
    _n(0.008, "prior_business_operator", {"PRIOR_BUSINESS"}, prior_business_operator),
    _n(0.003, "prior_business_investor", {"PRIOR_BUSINESS"}, prior_business_investor),
    _n(
        0.003,
        "licence_deregistered_before_graduation",
        {"PRIOR_BUSINESS"},
        licence_deregistered_before_graduation,
    ),
    _n(0.005, "business_during_training", {"BUSINESS_DURING_TRAINING"}, business_during_training),
    _n(
        0.006,
        "already_trained_same_year",
        {"ALREADY_TRAINED_THIS_YEAR", "DUPLICATE_SUBSIDY"},
        already_trained_same_year,
    ),
    _n(
        0.002,
        "already_trained_other_province",
        {"ALREADY_TRAINED_THIS_YEAR", "DUPLICATE_SUBSIDY"},
        already_trained_other_province,
    ),
    _n(0.004, "trained_previous_year", {"ALREADY_TRAINED_THIS_YEAR"}, trained_previous_year),
    _n(
        0.004,
        "concurrent_subsidised",
        {"CONCURRENT_ENROLMENT"},
        _concurrent(True, "concurrent_subsidised", None),
    ),
    _n(
        0.003,
        "concurrent_unsubsidised",
        {"CONCURRENT_ENROLMENT"},
        _concurrent(False, "concurrent_unsubsidised", "review"),
    ),
    _n(0.003, "adjacent_not_overlapping", {"CONCURRENT_ENROLMENT"}, adjacent_not_overlapping),
    _n(0.002, "blacklisted", {"TRAINEE_BLACKLISTED"}, blacklisted),
    _n(0.02, "own_graduate", {"OWN_GRADUATE"}, own_graduate),
    _n(0.01, "own_school_past_graduate", {"OWN_GRADUATE"}, own_school_past_graduate),
    _n(0.03, "dropped_out", {"DROPPED_OUT"}, _payout("DROPPED_OUT", "dropped_out", _drop)),
    _n(
        0.03,
        "exam_failed",
        {"EXAM_FAILED"},
        _payout("EXAM_FAILED", "exam_failed", lambda t: setattr(t, "exam", "failed")),
    ),
    _n(
        0.01,
        "exam_absent",
        {"EXAM_ABSENT"},
        _payout("EXAM_ABSENT", "exam_absent", lambda t: setattr(t, "exam", "absent")),
    ),
    _n(
        0.01,
        "materials_incomplete",
        {"MATERIALS_INCOMPLETE"},
        _payout("MATERIALS_INCOMPLETE", "materials_incomplete", _missing),
    ),
    _n(
        0.02,
        "low_attendance",
        {"LOW_ATTENDANCE"},
        _payout("LOW_ATTENDANCE", "low_attendance", lambda t: setattr(t, "attendance_share", 0.85)),
    ),
    _n(
        0.01,
        "attendance_evidence_missing",
        {"ATTENDANCE_EVIDENCE_MISSING"},
        _payout(
            "ATTENDANCE_EVIDENCE_MISSING",
            "attendance_evidence_missing",
            lambda t: setattr(t, "evidence_gap", True),
        ),
    ),
    _n(
        0.005,
        "duplicate_certification_subsidy",
        {"DUPLICATE_CERTIFICATION_SUBSIDY"},
        _payout(
            "DUPLICATE_CERTIFICATION_SUBSIDY", "duplicate_certification_subsidy", _cert_subsidy
        ),
    ),
    _n(
        0.01,
        "first_certification_subsidy",
        {"DUPLICATE_CERTIFICATION_SUBSIDY"},
        first_certification_subsidy,
    ),
    _n(0.01, "not_in_provincial_system", {"NOT_IN_PROVINCIAL_SYSTEM"}, not_in_provincial_system),
]
NEGATIVES = {
    "id_typed_loosely",
    "minority_name_dot",
    "graduated_on_window_boundary",
    "outside_hukou_liaoning_school",
    "contribution_in_graduation_month",
    "same_name_and_birth_other_person",
    "licence_deregistered_before_graduation",
    "trained_previous_year",
    "adjacent_not_overlapping",
    "own_school_past_graduate",
    "first_certification_subsidy",
}
# Plants that need the trainee to be a graduate-programme trainee with a study record.
NEEDS_STUDENT = {
    "part_time",
    "region_ineligible",
    "hukou_proof_required",
    "outside_hukou_liaoning_school",
}


def fits(plant: Plant, t: Trainee) -> bool:
    rules = t.plan.rules
    if not plant.needs <= set(rules):
        return False
    return not (plant.name in NEEDS_STUDENT and t.student is None)


# ------------------------------------------------------------------- classes
def _class(code: str, case: str, stage: str = "opening") -> Callable[[ClassPlan], None]:
    def expect(plan: ClassPlan) -> None:
        plan.extra.setdefault("expected", []).append((stage, code, plan.rules[code].value, case))
        plan.plants.append(case)

    return expect


def too_large(plan: ClassPlan, ctx: Context) -> bool:
    plan.size = 51
    _class("CLASS_TOO_LARGE", "class_too_large")(plan)
    return True


def exactly_fifty(plan: ClassPlan, ctx: Context) -> bool:
    plan.size = 50
    plan.plants.append("class_of_exactly_50")
    return True


def opening_not_allowed(plan: ClassPlan, ctx: Context) -> bool:
    if plan.plants or plan.policy.id != "shenyang-2022" or plan.opening.month == 12:
        return False
    moved = plan.cal.add_workdays(plan.opening, 3)
    days = plan.policy.class_rules.opening_days_of_month
    assert days is not None
    if plan.cal.opening_day(moved, days.value).allowed:
        return False
    plan.opening = moved
    _schedule(ctx.rng, plan)
    _class("OPENING_DATE_NOT_ALLOWED", "opening_date_not_allowed")(plan)
    return True


def _after_holiday(plan: ClassPlan) -> D:
    year = 2022 if plan.policy.id == "shenyang-2022" else 2024
    return plan.cal.next_workday(D(year, 10, 1))  # the first working day after National Day


def _filed(lead: int, late: bool) -> Callable[..., bool]:
    def apply(plan: ClassPlan, ctx: Context) -> bool:
        if plan.plants or plan.policy.id not in ("shenyang-2022", "fushun-2023"):
            return False  # moving the dates re-plans the class: only on an untouched one
        plan.opening = _after_holiday(plan)
        _schedule(ctx.rng, plan)
        plan.filed_on = plan.cal.add_workdays(plan.opening, -lead)
        plan.approved_on = plan.cal.add_workdays(plan.filed_on, 1)
        if late:
            _class("FILING_TOO_LATE", "filed_4_workdays_ahead")(plan)
        else:
            plan.plants.append("filed_exactly_5_workdays_ahead")
        return True

    return apply


def opened_without_approval(plan: ClassPlan, ctx: Context) -> bool:
    if not plan.opened:
        return False
    plan.approved_on = None if ctx.rng.random() < 0.5 else plan.cal.add_workdays(plan.opening, 2)
    if plan.approved_on is not None and plan.approved_on > plan.as_of:
        plan.approved_on = None
    _class("OPENED_WITHOUT_APPROVAL", "opened_without_approval")(plan)
    return True


def institution_not_listed(plan: ClassPlan, ctx: Context) -> bool:
    old = plan.institution
    n = len(ctx.directory) + 1
    inst = Institution(
        f"I{n:04d}",
        old.name.replace("学校", "中心"),
        old.credit_code[:-1] + "Z",
        old.region_code,
        old.policy_id,
        old.majors,
        f"V{n:04d}",
        listed_from=D(2019, 1, 1),
        listed_to=D(2021, 12, 31),
    )
    ctx.directory.append(inst)
    plan.institution, plan.venue_id = inst, inst.venue_id
    _class("INSTITUTION_NOT_LISTED", "institution_not_listed")(plan)
    return True


def major_not_approved(plan: ClassPlan, ctx: Context) -> bool:
    approved = {m.major for m in plan.institution.majors}
    spare = [m for m in ("物联网应用", "电子商务师", "中式面点师") if m not in approved]
    plan.major = MajorSpec(
        spare[0],
        None,
        plan.major.required_hours,
        plan.major.months,
        plan.major.rate_fen_per_month,
        plan.major.certificate,
        plan.major.category,
        plan.major.knowledge_based,
    )
    _class("MAJOR_NOT_APPROVED", "major_not_approved")(plan)
    return True


def venue_not_verified(plan: ClassPlan, ctx: Context) -> bool:
    venue = f"{plan.venue_id}-B"
    ctx.extra_venues.append(
        {
            "venue_id": venue,
            "institution_id": plan.institution.institution_id,
            "address": "临时租用场地",
            "owned": False,
            "verified_on": None,
        }
    )
    plan.venue_id = venue
    _class("VENUE_NOT_APPROVED", "venue_not_verified")(plan)
    return True


def hours_per_day_low(plan: ClassPlan, ctx: Context) -> bool:
    if plan.policy.class_rules.min_class_hours_per_day is None:
        return False
    plan.hours_per_day = 5
    _class("HOURS_OUT_OF_RANGE", "hours_per_day_below_6")(plan)
    return True


def zhengning_hours(low_practice: bool) -> Callable[..., bool]:
    def apply(plan: ClassPlan, ctx: Context) -> bool:
        if plan.policy.id != "zhengning-2022":
            return False
        if low_practice:
            plan.hours_practice = plan.hours_total // 2
            _class("HOURS_OUT_OF_RANGE", "practice_share_below_70")(plan)
        else:
            plan.hours_per_day = 2
            plan.hours_practice = -(-plan.hours_total * 7 // 10)
            _class("HOURS_OUT_OF_RANGE", "hours_below_category_minimum")(plan)
        return True

    return apply


def online_share_high(plan: ClassPlan, ctx: Context) -> bool:
    if plan.major.knowledge_based:
        return False
    plan.hours_online = plan.hours_total * 6 // 10
    plan.online_platform = "辽宁职业技能在线平台一"
    _class("HOURS_OUT_OF_RANGE", "online_share_above_50")(plan)
    return True


def online_platform_unlisted(plan: ClassPlan, ctx: Context) -> bool:
    plan.hours_online = plan.hours_total * 3 // 10
    plan.online_platform = "某未入围在线学习平台"
    _class("HOURS_OUT_OF_RANGE", "online_platform_unlisted")(plan)
    return True


def project_unpublished(mismatch: bool) -> Callable[..., bool]:
    def apply(plan: ClassPlan, ctx: Context) -> bool:
        plan.extra["project"] = "mismatch" if mismatch else "none"
        _class(
            "PROJECT_NOT_PUBLISHED", "project_mismatch" if mismatch else "project_not_published"
        )(plan)
        return True

    return apply


def acceptance(late: bool) -> Callable[..., bool]:
    def apply(plan: ClassPlan, ctx: Context) -> bool:
        if not plan.payout_ready:
            return False
        plan.extra["acceptance_lead"] = 9 if late else 10
        if late:
            _class("NOT_ACCEPTED", "acceptance_applied_9_workdays_ahead", "payout")(plan)
        else:
            plan.plants.append("acceptance_applied_10_workdays_ahead")
        return True

    return apply


def attendance_checks_low(plan: ClassPlan, ctx: Context) -> bool:
    if not plan.payout_ready:
        return False
    plan.extra["low_checks"] = 2
    _class("CLASS_ATTENDANCE_DEDUCTION", "class_attendance_below_80", "payout")(plan)
    return True


def violation(plan: ClassPlan, ctx: Context) -> bool:
    if not plan.payout_ready:
        return False
    plan.extra["violation_rate"] = 0.05
    _class("VIOLATION_DEDUCTION", "violation_5_percent", "payout")(plan)
    return True


def notice(kind: str) -> Callable[..., bool]:
    def apply(plan: ClassPlan, ctx: Context) -> bool:
        if not plan.paid:
            return False
        plan.extra["notice"] = kind
        _class("NOTICE_PERIOD_INCOMPLETE", f"notice_{kind}", "payout")(plan)
        return True

    return apply


CLASS_PLANTS = [
    _n(0.02, "class_too_large", {"CLASS_TOO_LARGE"}, too_large, "size"),
    _n(0.03, "class_of_exactly_50", {"CLASS_TOO_LARGE"}, exactly_fifty, "size"),
    _n(
        0.05, "opening_date_not_allowed", {"OPENING_DATE_NOT_ALLOWED"}, opening_not_allowed, "dates"
    ),
    _n(0.02, "filed_4_workdays_ahead", {"FILING_TOO_LATE"}, _filed(4, True), "dates"),
    _n(0.02, "filed_exactly_5_workdays_ahead", {"FILING_TOO_LATE"}, _filed(5, False), "dates"),
    _n(
        0.02,
        "opened_without_approval",
        {"OPENED_WITHOUT_APPROVAL"},
        opened_without_approval,
        "approval",
    ),
    _n(
        0.01,
        "institution_not_listed",
        {"INSTITUTION_NOT_LISTED"},
        institution_not_listed,
        "institution",
    ),
    _n(0.01, "major_not_approved", {"MAJOR_NOT_APPROVED"}, major_not_approved, "major"),
    _n(0.01, "venue_not_verified", {"VENUE_NOT_APPROVED"}, venue_not_verified, "venue"),
    _n(0.02, "hours_per_day_below_6", {"HOURS_OUT_OF_RANGE"}, hours_per_day_low, "hours"),
    _n(
        0.1, "hours_below_category_minimum", {"HOURS_OUT_OF_RANGE"}, zhengning_hours(False), "hours"
    ),
    _n(0.1, "practice_share_below_70", {"HOURS_OUT_OF_RANGE"}, zhengning_hours(True), "hours"),
    _n(
        0.02,
        "online_share_above_50",
        {"HOURS_OUT_OF_RANGE", "NOT_IN_PROVINCIAL_SYSTEM"},
        online_share_high,
        "hours",
    ),
    _n(
        0.01,
        "online_platform_unlisted",
        {"HOURS_OUT_OF_RANGE", "NOT_IN_PROVINCIAL_SYSTEM"},
        online_platform_unlisted,
        "hours",
    ),
    _n(
        0.1,
        "project_not_published",
        {"PROJECT_NOT_PUBLISHED"},
        project_unpublished(False),
        "project",
    ),
    _n(0.1, "project_mismatch", {"PROJECT_NOT_PUBLISHED"}, project_unpublished(True), "project"),
    _n(
        0.02,
        "acceptance_applied_9_workdays_ahead",
        {"NOT_ACCEPTED"},
        acceptance(True),
        "acceptance",
    ),
    _n(
        0.03,
        "acceptance_applied_10_workdays_ahead",
        {"NOT_ACCEPTED"},
        acceptance(False),
        "acceptance",
    ),
    _n(
        0.05,
        "class_attendance_below_80",
        {"CLASS_ATTENDANCE_DEDUCTION"},
        attendance_checks_low,
        "checks",
    ),
    _n(0.03, "violation_5_percent", {"VIOLATION_DEDUCTION"}, violation, "violation"),
    _n(0.01, "notice_paid_early", {"NOTICE_PERIOD_INCOMPLETE"}, notice("paid_early"), "notice"),
    _n(
        0.01,
        "notice_open_objection",
        {"NOTICE_PERIOD_INCOMPLETE"},
        notice("open_objection"),
        "notice",
    ),
    _n(
        0.01,
        "notice_other_account",
        {"NOTICE_PERIOD_INCOMPLETE"},
        notice("other_account"),
        "notice",
    ),
]
CLASS_NEGATIVES = {
    "class_of_exactly_50",
    "filed_exactly_5_workdays_ahead",
    "acceptance_applied_10_workdays_ahead",
}
