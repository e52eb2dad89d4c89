"""Turning planned classes and trainees into the world's rows, and the expected
accounting table (补贴核算表) into ground truth."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from crosscheck import idnumber
from crosscheck.world.directory import ONLINE_PLATFORMS, Institution
from crosscheck.world.plan import ClassPlan, add_months
from crosscheck.world.trainees import Trainee

D = dt.date
Rows = dict[str, list[dict[str, Any]]]
# Exclusion columns of 001 annex 8, in the order a person is counted once.
COLUMNS = [
    ("DROPPED_OUT", "dropped_out"),
    ("EMPLOYED_DURING_TRAINING", "social_insurance"),
    ("EXAM_FAILED", "exam_failed"),
    ("EXAM_ABSENT", "exam_absent"),
    ("MATERIALS_INCOMPLETE", "materials_failed"),
]
# every block or exclude finding on a trainee excludes them, but this one: it refuses
# only the separate certification payment (POLICY.md "Subsidy accounting")
NOT_EXCLUDING = {"DUPLICATE_CERTIFICATION_SUBSIDY"}
CERT_RATES = {"skill_level": 200000, "vocational_qualification": 200000, "special_ability": 150000}
OWN_GRADUATE_RATE = 100000


def _ts(day: D, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


def directory_rows(
    rows: Rows,
    directory: list[Institution],
    plans: list[ClassPlan],
    extra_venues: list[dict[str, Any]],
) -> None:
    valid = {
        "shenyang-2022": (D(2022, 1, 1), D(2022, 12, 31)),
        "fushun-2023": (D(2023, 12, 22), D(2025, 12, 31)),
        "zhengning-2022": (D(2022, 1, 1), D(2022, 12, 31)),
        "sichuan-2025": (D(2025, 7, 21), D(2026, 12, 31)),
    }
    for inst in directory:
        rows["directory/institutions"].append(
            {
                "institution_id": inst.institution_id,
                "name": inst.name,
                "credit_code": inst.credit_code,
                "region_code": inst.region_code,
                "is_school": inst.is_school,
                "school_code": inst.school_code,
                "listed_from": inst.listed_from,
                "listed_to": inst.listed_to,
            }
        )
        lo, hi = valid[inst.policy_id]
        for m in inst.majors:
            rows["directory/institution_majors"].append(
                {
                    "institution_id": inst.institution_id,
                    "major": m.major,
                    "level": m.level,
                    "required_hours": m.required_hours,
                    "months": m.months,
                    "rate_fen_per_month": m.rate_fen_per_month,
                    "certificate": m.certificate,
                    "category": m.category,
                    "knowledge_based": m.knowledge_based,
                    "valid_from": lo,
                    "valid_to": hi,
                }
            )
        rows["directory/venues"].append(
            {
                "venue_id": inst.venue_id,
                "institution_id": inst.institution_id,
                "address": f"{inst.name}教学楼",
                "owned": True,
                # a school's own venue is on its campus
                "school_code": inst.school_code if inst.is_school else None,
                "verified_on": D(2021, 6, 1),
            }
        )
    rows["directory/venues"] += extra_venues
    for platform, listed_from, listed_to, fraud in ONLINE_PLATFORMS:
        rows["directory/online_platforms"].append(
            {
                "platform": platform,
                "listed_from": listed_from,
                "listed_to": listed_to,
                "removed_for_fraud": fraud,
            }
        )
    for plan in plans:
        if plan.policy.id != "sichuan-2025" or plan.extra.get("project") == "none":
            continue
        plan.project_ref = f"SC-{plan.class_id}"
        rows["directory/published_projects"].append(
            {
                "project_ref": plan.project_ref,
                "region_code": plan.institution.region_code,
                "occupation": plan.major.major,
                "trainees": plan.size + (10 if plan.extra.get("project") == "mismatch" else 0),
                "months": plan.months,
                "rate_fen_per_month": plan.major.rate_fen_per_month,
                "published_on": plan.filed_on - dt.timedelta(days=30) if plan.filed_on else None,
            }
        )


def class_row(plan: ClassPlan) -> dict[str, Any]:
    return {
        "class_id": plan.class_id,
        "policy_id": plan.policy.id,
        "region_code": plan.institution.region_code,
        "institution_id": plan.institution.institution_id,
        "major": plan.major.major,
        "level": plan.major.level,
        "venue_id": plan.venue_id,
        "offsite_filed": plan.offsite_filed,
        "planned_start": plan.opening,
        "planned_end": plan.end,
        "months": plan.months,
        "hours_per_day": plan.hours_per_day,
        "hours_total": plan.hours_total,
        "hours_practice": plan.hours_practice,
        "hours_online": plan.hours_online,
        "online_platform": plan.online_platform,
        "category": plan.major.category,
        "project_ref": plan.project_ref,
        "filed_on": plan.filed_on,
        # the institution's classes filed on one day are one 开班备案 submission
        "filing_batch": (
            f"{plan.institution.institution_id}-{plan.filed_on:%Y%m%d}" if plan.filed_on else None
        ),
        "approved_on": plan.approved_on,
        "actual_start": plan.actual_start if plan.opened else None,
        "status": plan.status,
    }


def _months(start: D, end: D) -> list[tuple[D, D]]:
    """(first, last) day of each calendar month touched by [start, end]."""
    out, month = [], start.replace(day=1)
    while month <= end:
        nxt = add_months(month, 1)
        out.append((max(start, month), min(end, nxt - dt.timedelta(days=1))))
        month = nxt
    return out


def trainee_rows(rows: Rows, rng: random.Random, t: Trainee, keys: dict[str, int]) -> None:
    plan = t.plan

    def key(prefix: str) -> str:
        keys[prefix] = keys.get(prefix, 0) + 1
        return f"{prefix}{keys[prefix]:08d}"

    def stamp(row: dict[str, Any], day: D) -> dict[str, Any]:
        row.setdefault("updated_at", _ts(day))
        return row

    rows["registries/household_registration"].append(
        stamp(
            {
                "id_number": t.id_number,
                "name": t.name,
                "province_code": t.hukou_province,
                "city_code": t.hukou_city,
                "county_code": t.hukou_county,
            },
            D(t.birth.year + 16, 3, 1),
        )
    )
    for other in t.extra_people:
        rows["registries/household_registration"].append(
            stamp(dict(other, name=other["name"]), D(t.birth.year + 16, 4, 1))
        )
    if t.student is not None:
        s = {k: v for k, v in t.student.items() if k != "graduating"}
        rows["registries/student_status"].append(
            stamp(
                dict(s, record_key=key("TSTU"), id_number=t.id_number, name=t.name),
                min(s["graduated_on"], plan.as_of),
            )
        )
    for r in t.pension:
        rows["registries/pension_contributions"].append(dict(r, record_key=key("TPEN")))
    for r in t.licences:
        rows["registries/business_licences"].append(dict(r, record_key=key("TLIC")))
    for r in t.training:
        rows["registries/training_records"].append(dict(r, record_key=key("TTRN")))
    for r in t.dishonesty:
        rows["registries/dishonesty_list"].append(dict(r, record_key=key("TDIS")))

    op_id = idnumber.normalize(t.roster_id)
    school = t.student or {}
    entry = {
        "class_id": plan.class_id,
        "id_number": op_id,
        "id_number_raw": t.roster_id,
        "name": t.roster_name,
        "sex": t.sex,
        "school_name": school.get("school_name"),
        "graduated_on": school.get("graduated_on"),
        "education": school.get("level"),
        "phone": f"13{rng.randrange(10**9):09d}",
    }
    for _ in range(2 if t.duplicate_row else 1):
        counter = f"roster:{plan.class_id}"
        keys[counter] = keys.get(counter, 0) + 1
        rows["operations/roster_entries"].append(dict(entry, seq=keys[counter]))
    if not plan.opened:
        return
    if t.in_provincial_system:
        rows["registries/provincial_training_system"].append(
            {
                "record_key": key("PTS"),
                "id_number": op_id,
                "class_id": plan.class_id,
                "recorded_on": plan.opening,
                "updated_at": _ts(plan.opening, 16),
            }
        )
    _attendance(rows, plan, t, op_id)
    if not plan.payout_ready:
        return
    if t.dropped_on:
        rows["operations/dropouts"].append(
            {
                "class_id": plan.class_id,
                "id_number": op_id,
                "left_on": t.dropped_on,
                "reason": "个人原因",
            }
        )
    else:
        passed = t.exam == "passed"
        rows["operations/exam_results"].append(
            {
                "class_id": plan.class_id,
                "id_number": op_id,
                "status": t.exam,
                "certificate_type": t.certificate if passed else None,
                "certificate_no": f"CERT{plan.class_id[1:]}{t.seq:03d}" if passed else None,
                "issued_on": plan.end + dt.timedelta(days=15) if passed else None,
            }
        )
    rows["operations/materials_review"].append(
        {
            "class_id": plan.class_id,
            "id_number": op_id,
            "passed": not t.materials_missing,
            "missing": t.materials_missing,
        }
    )
    if t.certification_subsidy:
        rows["operations/certification_subsidies"].append(
            dict(
                t.certification_subsidy,
                id_number=op_id,
                class_id=plan.class_id,
                paid_on=plan.end + dt.timedelta(days=40),
            )
        )


def _evidence(plan: ClassPlan, online: bool) -> list[str]:
    kinds: list[str] = []
    for p in [plan.policy, *plan.overlays]:
        if p.attendance.evidence_required:
            kinds += p.attendance.evidence_required.value
        if online and p.attendance.online_evidence_required:
            kinds += p.attendance.online_evidence_required.value
    return list(dict.fromkeys(kinds))


def _attendance(rows: Rows, plan: ClassPlan, t: Trainee, op_id: str) -> None:
    last = min(plan.end, plan.as_of, t.dropped_on or plan.end)
    evidence = _evidence(plan, t.online)
    for i, (lo, hi) in enumerate(_months(plan.opening, last)):
        required = plan.cal.count_workdays(lo, hi)
        if required == 0:
            continue
        absent = (
            required - int(required * t.attendance_share)
            if t.attendance_share < 0.9
            else (1 if required >= 20 and (t.seq + i) % 3 == 0 else 0)
        )
        kinds = [k for k in evidence if not (t.evidence_gap and i == 0 and k == evidence[0])]
        rows["operations/attendance"].append(
            {
                "class_id": plan.class_id,
                "id_number": op_id,
                "month": lo.replace(day=1),
                "days_required": required,
                "days_present": required - absent,
                "hours_online": plan.hours_online * required // max(plan.workdays, 1),
                "evidence": kinds,
            }
        )


def class_rows(
    rows: Rows,
    rng: random.Random,
    plan: ClassPlan,
    trainees: list[Trainee],
    accounting: dict[str, Any] | None,
) -> None:
    rows["operations/classes"].append(class_row(plan))
    if not plan.opened:
        return
    n = len(trainees)
    if plan.policy.id == "fushun-2023":
        low = plan.extra.get("low_checks", 0)
        checks = [
            d
            for lo, hi in _months(plan.opening, min(plan.end, plan.as_of))
            for d in (lo + dt.timedelta(days=3), lo + dt.timedelta(days=14))
            if d <= hi
        ]
        for i, day in enumerate(checks):
            present = n * 3 // 4 if i < low else -(-n * 9 // 10)
            rows["operations/attendance_checks"].append(
                {"class_id": plan.class_id, "checked_on": day, "enrolled": n, "present": present}
            )
    if not plan.ended:
        return
    # acceptance is applied for before the end: every ended class has it
    lead = plan.extra.get("acceptance_lead", rng.randint(10, 14))
    applied = plan.cal.add_workdays(plan.end, -lead)
    rows["operations/completion_acceptance"].append(
        {
            "class_id": plan.class_id,
            "id_number": None,
            "applied_on": applied,
            "accepted_on": plan.cal.add_workdays(plan.end, -2),
            "accepted": True,
        }
    )
    if not plan.payout_ready:
        return
    if "violation_rate" in plan.extra:
        rows["operations/violations"].append(
            {
                "class_id": plan.class_id,
                "found_on": plan.opening + dt.timedelta(days=30),
                "description": "上课时间学员代签到",
                "deduction_rate": plan.extra["violation_rate"],
            }
        )
    if plan.status != "paid" or accounting is None:
        return
    published = plan.cal.add_workdays(plan.end, 15)
    ends = plan.cal.add_workdays(published, 4)
    batch = f"B{published:%Y%m}"
    kind = plan.extra.get("notice")
    paid_on = (
        plan.cal.add_workdays(published, 2)
        if kind == "paid_early"
        else plan.cal.add_workdays(ends, 3)
    )
    rows["operations/notices"].append(
        {"batch_id": batch, "class_id": plan.class_id, "published_on": published, "ends_on": ends}
    )
    if kind == "open_objection":
        rows["operations/notice_objections"].append(
            {
                "batch_id": batch,
                "class_id": plan.class_id,
                "id_number": idnumber.normalize(trainees[0].roster_id),
                "raised_on": plan.cal.add_workdays(published, 1),
                "resolved_on": None,
            }
        )
    rows["operations/payments"].append(
        {
            "class_id": plan.class_id,
            "batch_id": batch,
            "amount_fen": accounting["actual_fen"],
            "paid_on": paid_on,
            "account_type": "other" if kind == "other_account" else "basic",
        }
    )


def _fen(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def accounting(plan: ClassPlan, trainees: list[Trainee]) -> dict[str, Any] | None:
    """The expected 补贴核算表 of an ended Shenyang or Fushun class: one row per rate
    (highest first), each with its own counts and deductions; the class's figures are
    the sums of its rows."""
    if not plan.ended or plan.policy.id not in ("fushun-2023", "shenyang-2022"):
        return None
    rows: dict[int | None, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(
            ["opened", *(c for _, c in COLUMNS), "other_excluded", "subsidised"], 0
        )
    )
    for t in trainees:
        codes = {e.code: e.severity for e in t.expected if e.code not in t.lifted}
        column = next((c for code, c in COLUMNS if codes.get(code) == "exclude"), None)
        other = any(
            sev in ("block", "exclude") and code not in NOT_EXCLUDING for code, sev in codes.items()
        )
        row = rows[rate_fen(plan, t)]
        row["opened"] += 1
        if column:
            row[column] += 1
        elif other:
            row["other_excluded"] += 1
        else:
            row["subsidised"] += 1
    months = plan.months
    fushun = plan.policy.id == "fushun-2023"
    low = plan.extra.get("low_checks", 0) if fushun and plan.payout_ready else 0
    vrate = plan.extra.get("violation_rate", 0.0) if fushun and plan.payout_ready else 0.0
    ordered = sorted(rows.items(), key=lambda kv: (kv[0] is None, -(kv[0] or 0)))
    money = []
    for rate, row in ordered:
        proposed = (rate or 0) * row["subsidised"] * months
        att = _fen(Decimal(proposed) * Decimal("0.02") * low)
        vio = _fen(Decimal(proposed) * Decimal(str(vrate)))
        money.append((rate, row, proposed, att, vio, max(proposed - att - vio, 0)))
    totals = {key: sum(r[key] for _, r, *_ in money) for key in ordered[0][1]} if money else {}
    lifted = plan.extra.get("lifted", set())  # overridden by a planted decision
    blocks = [e for e in plan.extra.get("expected", []) if e[2] == "block" and e[1] not in lifted]
    return dict(
        class_id=plan.class_id,
        policy_id=plan.policy.id,
        **totals,
        months=months,
        proposed_fen=sum(m[2] for m in money),
        attendance_checks_below=low,
        attendance_deduction_fen=sum(m[3] for m in money),
        violation_rate=vrate,
        violation_deduction_fen=sum(m[4] for m in money),
        total_deduction_fen=sum(m[3] + m[4] for m in money),
        actual_fen=sum(m[5] for m in money),
        payable=not blocks,
        by_rate=json.dumps(
            [[rate, row["subsidised"], proposed] for rate, row, proposed, *_ in money]
        ),
    )


def rate_fen(plan: ClassPlan, t: Trainee) -> int | None:
    """A trainee's monthly rate (POLICY.md "Subsidy accounting"). Fushun: 1000 for an
    own graduating-year student, else by the certificate obtained (a passed exam is on
    file once the class is assessed), else the directory's rate for the class's major;
    Shenyang: the directory's rate for the major. None where the directory has no rate
    (the major not approved)."""
    directory = None if "major_not_approved" in plan.plants else plan.major.rate_fen_per_month
    if plan.policy.id != "fushun-2023":
        return directory
    if t.own_graduate:
        return OWN_GRADUATE_RATE
    if plan.payout_ready and not t.dropped_on and t.exam == "passed":
        return CERT_RATES[t.certificate]
    return directory
