"""Planted cases on classes: size, dates, approval, institution, major, venue, hours,
projects, acceptance, attendance checks, violations and the public notice."""

from __future__ import annotations

from collections.abc import Callable

from crosscheck.world.directory import Institution, MajorSpec
from crosscheck.world.plan import ClassPlan, _schedule
from crosscheck.world.plants.base import (
    Context,
    D,
    _n,
)


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
    if "institution_not_listed" in plan.plants:
        return False  # not judged outside the directory (POLICY.md reading 14)
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
    if "institution_not_listed" in plan.plants:
        return False  # not judged outside the directory (POLICY.md reading 14)
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
