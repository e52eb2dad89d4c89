"""Planted cases on trainees: identity, cohort, employment, business, training, payout."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from crosscheck import idnumber, names, regions
from crosscheck.world import reference
from crosscheck.world.plan import add_months
from crosscheck.world.plants.base import (
    DAY,
    Context,
    D,
    Plant,
    _graduated,
    _month,
    _n,
    _next_month,
    _rebuild,
    licence,
    pension,
    training,
)
from crosscheck.world.trainees import Trainee, student_record


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
    """The only contribution month is the month of graduation: it counts as after
    leaving school (POLICY.md reading 7)."""
    grad = _graduated(t)
    if grad is None or _month(grad) >= _month(t.plan.opening):
        return False
    t.pension.append(pension(t, t.id_number, _month(grad), _month(grad)))
    t.expect("opening", "PRIOR_EMPLOYMENT", "contribution_in_graduation_month")
    return True


def contribution_month_before_graduation(t: Trainee, ctx: Context) -> bool:
    """Negative: the only contribution month is the month before graduation (reading 7)."""
    grad = _graduated(t)
    if grad is None:
        return False
    month = add_months(_month(grad), -1)
    t.pension.append(pension(t, t.id_number, month, month))
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
            "county_code": t.hukou_county,
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


def _prior_business(role: str, case: str, severity: str | None) -> Callable[..., bool]:
    def apply(t: Trainee, ctx: Context) -> bool:
        window = _business_window(t)
        if window is None:
            return False
        t.licences.append(licence(t, role, window[0]))
        t.expect("opening", "PRIOR_BUSINESS", case, severity)
        return True

    return apply


prior_business_operator = _prior_business("operator", "prior_business_operator", None)
prior_business_investor = _prior_business("investor", "prior_business_investor", "review")


def licence_deregistered_before_graduation(t: Trainee, ctx: Context) -> bool:
    """Negative: a student's shop, closed before graduation."""
    if t.student is None:
        return False
    # before graduation and before the course (a graduate still at school on the
    # opening day graduates after it)
    before = min(t.student["graduated_on"], t.plan.opening)
    t.licences.append(
        licence(t, "operator", before - dt.timedelta(days=400), before - dt.timedelta(days=30))
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


# Other provinces' training systems, in turn: one crosscheck also checks (Sichuan,
# Gansu — in a nation world their records reach Liaoning through their own export)
# and one that only sends its records to the national exchange (Hebei).
AWAY_TRAINED = ("510100", "130100")
AWAY_CONCURRENT = ("210200", "620100")


def _trained_this_year(away: bool, case: str, severity: str | None) -> Callable[..., bool]:
    """Another enrolment in the programme earlier this year: in another Liaoning city
    or (``away``) in another province."""

    def apply(t: Trainee, ctx: Context) -> bool:
        window = _earlier_this_year(t)
        if window is None:
            return False
        other = (
            ctx.turn(case, AWAY_TRAINED)
            if away
            else ("210300" if t.plan.institution.region_code.startswith("2102") else "210200")
        )
        record = training(t, other, "graduate_conversion", *window)
        t.training.append(record)
        t.expect("opening", "ALREADY_TRAINED_THIS_YEAR", case, severity)
        # a duplicate subsidy: paid in the calendar year of this class's end (reading 12)
        if t.plan.ended and record["subsidy_paid_on"].year == t.plan.end.year:
            t.expect("payout", "DUPLICATE_SUBSIDY", case, severity)
        return True

    return apply


already_trained_same_year = _trained_this_year(False, "already_trained_same_year", None)
already_trained_other_province = _trained_this_year(
    True, "already_trained_other_province", "review"
)


def trained_previous_year(t: Trainee, ctx: Context) -> bool:
    """Negative: the same programme, subsidised, a year earlier."""
    y = t.plan.opening.year - 1
    t.training.append(training(t, "210200", "graduate_conversion", D(y, 3, 1), D(y, 6, 30)))
    return True


def _concurrent(subsidised: bool, case: str, severity: str | None) -> Callable[..., bool]:
    def apply(t: Trainee, ctx: Context) -> bool:
        o = t.plan.opening
        # another Liaoning city, or a class of another province (in turn)
        t.training.append(
            training(
                t,
                ctx.turn(case, AWAY_CONCURRENT),
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
        # graduating in the academic year of the opening, on or after it (reading 13)
        grad = D(o.year + (1 if o.month >= 9 else 0), 6, 30)
        if grad < o:
            grad = D(o.year, 8, 31)
    t.student = student_record(t, school, grad, True, t.plan.as_of)
    t.own_graduate = True
    t.expect("opening", "OWN_GRADUATE", "own_graduate")
    return True


def own_school_past_graduate(t: Trainee, ctx: Context) -> bool:
    """Negative (Fushun): the school's own graduate of an earlier year (past the
    graduation academic year, which ends on 31 August)."""
    inst = t.plan.institution
    grad = _graduated(t)
    if t.plan.policy.id != "fushun-2023" or not inst.is_school or grad is None:
        return False
    if t.plan.opening <= D(grad.year, 8, 31):
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
        "contribution_month_before_graduation",
        {"PRIOR_EMPLOYMENT"},
        contribution_month_before_graduation,
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
    "contribution_month_before_graduation",
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
