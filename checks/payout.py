"""Payout rules: after completion, before the public notice and payment
(POLICY.md "Payout"). A class is in the payout stage once it has ended and its
institution has applied for acceptance or its trainees have been assessed.

Builders select ``(class_id, id_number, rule_code, match_level, evidence,
review)``; class-level rules have a null ``id_number``.
"""

from __future__ import annotations

import datetime as dt

import duckdb

# a class ``c`` is in the payout stage once it has ended and has an acceptance or an
# exam record
IN_STAGE = """c.planned_end < $as_of AND (
        EXISTS (SELECT 1 FROM completion_acceptance a WHERE a.class_id = c.class_id)
        OR EXISTS (SELECT 1 FROM exam_results e WHERE e.class_id = c.class_id))"""
CLASSES_SQL = f"""(SELECT p.* EXCLUDE (opening, ending, institution_id, venue_id), c.*
    FROM _class_params p JOIN classes c USING (class_id) JOIN _scope USING (class_id)
    WHERE {IN_STAGE})"""
# built once per run (SETUP, in this order), then read by every rule
CLASSES = "_payout_classes"
PEOPLE = "_payout_people"

SETUP = {
    CLASSES: f"SELECT * FROM {CLASSES_SQL}",
    PEOPLE: f"""SELECT DISTINCT r.class_id, r.id_number, x.* EXCLUDE (class_id)
    FROM _roster r JOIN {CLASSES} x USING (class_id) WHERE r.id_ok""",
}


def classes_in_stage(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> list[str]:
    """Every class in the payout stage on ``as_of``."""
    rows = con.execute(
        f"SELECT class_id FROM classes c WHERE {IN_STAGE} ORDER BY class_id", {"as_of": as_of}
    ).fetchall()
    return [r[0] for r in rows]


def _person(code: str, evidence: str, source: str, where: str, review: str = "false") -> str:
    return f"""
        SELECT x.class_id, x.id_number, '{code}', NULL, {evidence}, {review}
        FROM {PEOPLE} x {source} WHERE {where}"""


def not_accepted() -> str:
    """NOT_ACCEPTED — no completion acceptance, not accepted, or applied for later than
    10 working days before the end (000 §3(五); 001 §4(四)(六))."""
    return f"""
        SELECT x.class_id, NULL, 'NOT_ACCEPTED', NULL,
               json_object('applied_on', a.applied_on, 'latest', x.latest_acceptance,
                           'accepted', a.accepted), false
        FROM {CLASSES} x LEFT JOIN completion_acceptance a
             ON a.class_id = x.class_id AND a.id_number IS NULL
        WHERE a.class_id IS NULL OR NOT a.accepted
           OR (x.latest_acceptance IS NOT NULL AND a.applied_on > x.latest_acceptance)"""


def employed_during_training() -> str:
    """EMPLOYED_DURING_TRAINING — a contribution month whose first day falls within
    the course (001 annex 8 缴纳社会保险人数)."""
    return _person(
        "EMPLOYED_DURING_TRAINING",
        "json_object('source', 'pension_contributions', 'keys', list(p.record_key))",
        "JOIN pension_contributions p ON p.id_number = x.id_number",
        "list_contains(x.schemes, p.scheme) AND greatest(p.month_from, CAST(date_trunc('month', "
        "x.planned_start - INTERVAL 1 DAY) + INTERVAL 1 MONTH AS DATE)) <= least(p.month_to, "
        "x.planned_end) GROUP BY x.class_id, x.id_number",
    )


def business_during_training() -> str:
    """BUSINESS_DURING_TRAINING — a licence obtained during the course (001 §1)."""
    return _person(
        "BUSINESS_DURING_TRAINING",
        "json_object('source', 'business_licences', 'keys', list(l.record_key))",
        "JOIN business_licences l ON l.id_number = x.id_number",
        "l.established_on BETWEEN x.planned_start AND x.planned_end "
        "GROUP BY x.class_id, x.id_number",
    )


def dropped_out() -> str:
    """DROPPED_OUT — left the course (001 annex 7, 8)."""
    return _person(
        "DROPPED_OUT",
        "json_object('left_on', any_value(d.left_on))",
        "JOIN dropouts d ON d.class_id = x.class_id AND d.id_number = x.id_number",
        "true GROUP BY x.class_id, x.id_number",
    )


def _exam(code: str, status: str) -> str:
    return _person(
        code,
        "json_object('source', 'exam_results', 'status', any_value(e.status))",
        "JOIN exam_results e ON e.class_id = x.class_id AND e.id_number = x.id_number",
        f"e.status = '{status}' GROUP BY x.class_id, x.id_number",
    )


def exam_failed() -> str:
    """EXAM_FAILED — did not pass the assessment (001 §3, annex 8)."""
    return _exam("EXAM_FAILED", "failed")


def exam_absent() -> str:
    """EXAM_ABSENT — did not sit the assessment (001 annex 8)."""
    return _exam("EXAM_ABSENT", "absent")


def materials_incomplete() -> str:
    """MATERIALS_INCOMPLETE — materials review failed (000 §3(三); 001 annex 8)."""
    return _person(
        "MATERIALS_INCOMPLETE",
        "json_object('missing', any_value(m.missing))",
        "JOIN materials_review m ON m.class_id = x.class_id AND m.id_number = x.id_number",
        "NOT m.passed GROUP BY x.class_id, x.id_number",
    )


def low_attendance() -> str:
    """LOW_ATTENDANCE — individual attendance below the policy's rate (90 %, in
    principle: 000 §1(三); 001 §4(三))."""
    return _person(
        "LOW_ATTENDANCE",
        "json_object('present', sum(a.days_present), 'required', sum(a.days_required))",
        "JOIN attendance a ON a.class_id = x.class_id AND a.id_number = x.id_number",
        "x.individual_min_rate IS NOT NULL GROUP BY x.class_id, x.id_number "
        "HAVING sum(a.days_present) < sum(a.days_required) * any_value(x.individual_min_rate)",
    )


def attendance_evidence_missing() -> str:
    """ATTENDANCE_EVIDENCE_MISSING — a month without every kind of evidence the
    policies require (000 §4(二); 001 §4(五), §5(三), annex 6; 002 §4(二), §7(三))."""
    return _person(
        "ATTENDANCE_EVIDENCE_MISSING",
        "json_object('months', list(a.month))",
        "JOIN attendance a ON a.class_id = x.class_id AND a.id_number = x.id_number",
        "NOT list_has_all(coalesce(a.evidence, []), list_concat(coalesce(x.evidence_required, []), "
        "CASE WHEN coalesce(a.hours_online, 0) > 0 THEN coalesce(x.online_evidence, []) "
        "ELSE [] END)) "
        "GROUP BY x.class_id, x.id_number",
    )


def class_attendance_deduction() -> str:
    """CLASS_ATTENDANCE_DEDUCTION — attendance checks at which the class was below
    80 % (001 annex 8 note 2: 2 % each)."""
    return f"""
        SELECT x.class_id, NULL, 'CLASS_ATTENDANCE_DEDUCTION', NULL,
               json_object('checks_below', count(*), 'dates', list(k.checked_on)), false
        FROM {CLASSES} x JOIN attendance_checks k ON k.class_id = x.class_id
        WHERE x.class_check_min_rate IS NOT NULL
          AND k.present < k.enrolled * x.class_check_min_rate
        GROUP BY x.class_id"""


def violation_deduction() -> str:
    """VIOLATION_DEDUCTION — recorded violations (001 annex 8 note 3; 003 §5 三是)."""
    return f"""
        SELECT x.class_id, NULL, 'VIOLATION_DEDUCTION', NULL,
               json_object('rate', sum(v.deduction_rate), 'what', list(v.description)), false
        FROM {CLASSES} x JOIN violations v ON v.class_id = x.class_id
        GROUP BY x.class_id"""


def duplicate_subsidy() -> str:
    """DUPLICATE_SUBSIDY — a subsidy paid or pending for another class of the
    programme starting in the same calendar year (001 §6(四)); another
    province's: review."""
    return _person(
        "DUPLICATE_SUBSIDY",
        "json_object('source', 'training_records', 'keys', list(t.record_key))",
        "JOIN training_records t ON t.id_number = x.id_number",
        "t.programme = 'graduate_conversion' AND year(t.start_date) = year(x.planned_start) "
        "AND coalesce(t.subsidised, false) AND (coalesce(t.subsidy_fen, 0) > 0 "
        "OR t.subsidy_paid_on IS NOT NULL) GROUP BY x.class_id, x.id_number",
        review="bool_and(t.region_code NOT LIKE '21%')",
    )


def duplicate_certification_subsidy() -> str:
    """DUPLICATE_CERTIFICATION_SUBSIDY — Fushun: any separate certification subsidy
    (the amount includes it, 001 annex 8 note 4); Shenyang: one for a certification
    that is not the first (000 §2(二))."""
    return _person(
        "DUPLICATE_CERTIFICATION_SUBSIDY",
        "json_object('amount_fen', sum(s.amount_fen))",
        "JOIN certification_subsidies s ON s.id_number = x.id_number AND s.class_id = x.class_id",
        "(x.certification_mode = 'included' OR (x.certification_mode = 'separate_first_only' "
        "AND NOT coalesce(s.first_certification, false))) GROUP BY x.class_id, x.id_number",
    )


def not_in_provincial_system() -> str:
    """NOT_IN_PROVINCIAL_SYSTEM — not recorded in the province's training system
    (002 §6(三): trainees with online hours; 004 §(九): every trainee)."""
    return _person(
        "NOT_IN_PROVINCIAL_SYSTEM",
        "json_object('source', 'provincial_training_system')",
        "",
        "(x.provincial_required_for = 'all' OR (x.provincial_required_for = 'online_trainees' "
        "AND EXISTS (SELECT 1 FROM attendance a WHERE a.class_id = x.class_id "
        "AND a.id_number = x.id_number AND coalesce(a.hours_online, 0) > 0))) "
        "AND NOT EXISTS (SELECT 1 FROM provincial_training_system s "
        "WHERE s.id_number = x.id_number AND s.class_id = x.class_id)",
    )


def notice_period_incomplete() -> str:
    """NOTICE_PERIOD_INCOMPLETE — paid before the 5-working-day notice ended, with an
    open objection, or into an account other than the basic one (000 §3(七); 001 §4(六))."""
    return f"""
        SELECT x.class_id, NULL, 'NOTICE_PERIOD_INCOMPLETE', NULL,
               json_object('paid_on', any_value(p.paid_on), 'notice_ends', any_value(n.ends_on),
                           'account', any_value(p.account_type)), false
        FROM {CLASSES} x JOIN payments p ON p.class_id = x.class_id
        LEFT JOIN notices n ON n.class_id = x.class_id
        WHERE n.class_id IS NULL OR p.paid_on <= n.ends_on OR p.account_type <> 'basic'
           OR EXISTS (SELECT 1 FROM notice_objections o WHERE o.class_id = x.class_id
                      AND (o.resolved_on IS NULL OR o.resolved_on > p.paid_on))
        GROUP BY x.class_id"""


RULES = {
    "NOT_ACCEPTED": not_accepted,
    "EMPLOYED_DURING_TRAINING": employed_during_training,
    "BUSINESS_DURING_TRAINING": business_during_training,
    "DROPPED_OUT": dropped_out,
    "EXAM_FAILED": exam_failed,
    "EXAM_ABSENT": exam_absent,
    "MATERIALS_INCOMPLETE": materials_incomplete,
    "LOW_ATTENDANCE": low_attendance,
    "ATTENDANCE_EVIDENCE_MISSING": attendance_evidence_missing,
    "CLASS_ATTENDANCE_DEDUCTION": class_attendance_deduction,
    "VIOLATION_DEDUCTION": violation_deduction,
    "DUPLICATE_SUBSIDY": duplicate_subsidy,
    "DUPLICATE_CERTIFICATION_SUBSIDY": duplicate_certification_subsidy,
    "NOT_IN_PROVINCIAL_SYSTEM": not_in_provincial_system,
    "NOTICE_PERIOD_INCOMPLETE": notice_period_incomplete,
}
