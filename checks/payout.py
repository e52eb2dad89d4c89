"""Payout rules: after completion, before the public notice and payment (POLICY.md
"Payout", readings 1 and 15). A class is in the payout stage once it has ended:
it opened and its end day is past, or its status says completed or paid —
whether or not acceptance or exam records exist.

Builders select ``(class_id, id_number, rule_code, match_level, evidence,
review)``; class-level rules have a null ``id_number``. The payout rules that
rest on registries are in :mod:`checks.employment`, :mod:`checks.business` and
:mod:`checks.enrolment`. Shares are compared as exact decimals.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from crosscheck.checks.cohort import PEOPLE

# a class ``c`` is in the payout stage on ``$as_of``
IN_STAGE = """((c.planned_end < $as_of
         AND (c.actual_start IS NOT NULL OR c.status IN ('open', 'completed', 'paid')))
        OR c.status IN ('completed', 'paid'))"""
CLASSES_SQL = f"""(SELECT p.* EXCLUDE (opening, ending, institution_id, venue_id), c.*
    FROM _class_params p JOIN classes c USING (class_id) JOIN _scope USING (class_id)
    WHERE {IN_STAGE})"""
CLASSES = "_payout_classes"
SETUP = {CLASSES: f"SELECT * FROM {CLASSES_SQL}"}


def classes_in_stage(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> list[str]:
    """Every class in the payout stage on ``as_of``."""
    rows = con.execute(
        f"SELECT class_id FROM classes c WHERE {IN_STAGE} ORDER BY class_id", {"as_of": as_of}
    ).fetchall()
    return [r[0] for r in rows]


def _person(code: str, evidence: str, source: str, where: str, review: str = "false") -> str:
    return f"""
        SELECT x.class_id, x.id_number, '{code}', NULL, {evidence}, {review}
        FROM {PEOPLE} x {source} WHERE x.in_payout AND {where}"""


def not_accepted() -> str:
    """NOT_ACCEPTED — no completion acceptance, not accepted, or applied for with fewer
    than 10 working days d, applied ≤ d < end day (000 §3(五); 001 §4(四)(六))."""
    return f"""
        SELECT x.class_id, NULL, 'NOT_ACCEPTED', NULL,
               json_object('applied_on', a.applied_on, 'latest', x.latest_acceptance,
                           'accepted', a.accepted), false
        FROM {CLASSES} x LEFT JOIN completion_acceptance a
             ON a.class_id = x.class_id AND a.id_number IS NULL
        WHERE a.class_id IS NULL OR NOT a.accepted
           OR (x.latest_acceptance IS NOT NULL AND a.applied_on > x.latest_acceptance)"""


def dropped_out() -> str:
    """DROPPED_OUT — left the course (中退; 001 annex 7, 8)."""
    return _person(
        "DROPPED_OUT",
        "json_object('left_on', any_value(d.left_on), 'reason', any_value(d.reason))",
        "JOIN dropouts d ON d.class_id = x.class_id AND d.id_number = x.id_number",
        "true GROUP BY x.class_id, x.id_number",
    )


def _exam(code: str, status: str, extra: str = "") -> str:
    return _person(
        code,
        "json_object('source', 'exam_results', 'status', any_value(e.status))",
        "JOIN exam_results e ON e.class_id = x.class_id AND e.id_number = x.id_number",
        f"e.status = '{status}' {extra} GROUP BY x.class_id, x.id_number",
    )


def exam_failed() -> str:
    """EXAM_FAILED — did not pass the assessment (未通过考试; 001 §3, annex 8)."""
    return _exam("EXAM_FAILED", "failed")


def exam_absent() -> str:
    """EXAM_ABSENT — did not sit the assessment (未报名参加考试; 001 annex 8): recorded
    absent, or no result at all while the class has results for others (once the
    assessment is on file, a missing result is a trainee who did not sit). A dropout
    has no exam to sit; a class with no results at all is not yet assessed."""
    return _person(
        "EXAM_ABSENT",
        "json_object('source', 'exam_results', 'status', coalesce(any_value(e.status), 'none'))",
        "LEFT JOIN exam_results e ON e.class_id = x.class_id AND e.id_number = x.id_number",
        "(e.status = 'absent' OR (e.status IS NULL AND EXISTS (SELECT 1 FROM exam_results o "
        "WHERE o.class_id = x.class_id))) "
        "AND NOT EXISTS (SELECT 1 FROM dropouts d WHERE d.class_id = x.class_id "
        "AND d.id_number = x.id_number) GROUP BY x.class_id, x.id_number",
    )


def materials_incomplete() -> str:
    """MATERIALS_INCOMPLETE — materials review failed (000 §3(三); 001 annex 8)."""
    return _person(
        "MATERIALS_INCOMPLETE",
        "json_object('missing', any_value(m.missing))",
        "JOIN materials_review m ON m.class_id = x.class_id AND m.id_number = x.id_number",
        "NOT m.passed GROUP BY x.class_id, x.id_number",
    )


def low_attendance() -> str:
    """LOW_ATTENDANCE — attended below 90 % of the scheduled time; exactly 90 % passes
    (原则上: 000 §1(三); 001 §4(三)) — a review."""
    return _person(
        "LOW_ATTENDANCE",
        "json_object('present', sum(a.days_present), 'required', sum(a.days_required), "
        "'min_rate', any_value(x.individual_min_rate))",
        "JOIN attendance a ON a.class_id = x.class_id AND a.id_number = x.id_number",
        "x.individual_min_rate IS NOT NULL GROUP BY x.class_id, x.id_number "
        "HAVING CAST(sum(a.days_present) AS DECIMAL(18, 4)) "
        "< sum(a.days_required) * any_value(x.individual_min_rate)",
    )


def attendance_evidence_missing() -> str:
    """ATTENDANCE_EVIDENCE_MISSING — a month without every kind of evidence the policies
    require, online learning records for online hours (000 §4(二); 001 §4(五), §5(三),
    annex 6; 002 §4(二), §7(三)) — a review."""
    return _person(
        "ATTENDANCE_EVIDENCE_MISSING",
        "json_object('months', list(a.month ORDER BY a.month))",
        "JOIN attendance a ON a.class_id = x.class_id AND a.id_number = x.id_number",
        "NOT list_has_all(coalesce(a.evidence, []), list_concat(coalesce(x.evidence_required, []), "
        "CASE WHEN coalesce(a.hours_online, 0) > 0 THEN coalesce(x.online_evidence, []) "
        "ELSE [] END)) GROUP BY x.class_id, x.id_number",
    )


def class_attendance_deduction() -> str:
    """CLASS_ATTENDANCE_DEDUCTION — attendance checks at which present ÷ expected was
    below 80 %; exactly 80 % is not (001 annex 8 note 2: 2 % each)."""
    return f"""
        SELECT x.class_id, NULL, 'CLASS_ATTENDANCE_DEDUCTION', NULL,
               json_object('checks_below', count(*),
                           'dates', list(k.checked_on ORDER BY k.checked_on),
                           'min_rate', any_value(x.class_check_min_rate)),
               false
        FROM {CLASSES} x JOIN attendance_checks k ON k.class_id = x.class_id
        WHERE x.class_check_min_rate IS NOT NULL
          AND CAST(k.present AS DECIMAL(18, 4)) < k.enrolled * x.class_check_min_rate
        GROUP BY x.class_id"""


def violation_deduction() -> str:
    """VIOLATION_DEDUCTION — recorded violations: their percentages of the proposed
    amount, added up (001 annex 8 note 3; 003 §5 三是)."""
    return f"""
        SELECT x.class_id, NULL, 'VIOLATION_DEDUCTION', NULL,
               json_object('rate', sum(v.deduction_rate), 'what', list(v.description)), false
        FROM {CLASSES} x JOIN violations v ON v.class_id = x.class_id
        GROUP BY x.class_id"""


def duplicate_certification_subsidy() -> str:
    """DUPLICATE_CERTIFICATION_SUBSIDY — Fushun: any separate certification subsidy for
    this class (the amount includes it, 001 annex 8 note 4); Shenyang: one for a
    certification that is not the first in its occupation (000 §2(二))."""
    earlier = """EXISTS (SELECT 1 FROM certification_subsidies o JOIN classes oc
                         ON oc.class_id = o.class_id
                         WHERE o.id_number = s.id_number AND o.class_id <> s.class_id
                           AND oc.major = x.major AND o.paid_on < s.paid_on)"""
    return _person(
        "DUPLICATE_CERTIFICATION_SUBSIDY",
        "json_object('amount_fen', sum(s.amount_fen), 'paid_on', min(s.paid_on))",
        "JOIN certification_subsidies s ON s.id_number = x.id_number AND s.class_id = x.class_id",
        "(x.certification_mode = 'included' OR (x.certification_mode = 'separate_first_only' "
        f"AND (NOT coalesce(s.first_certification, true) OR {earlier}))) "
        "GROUP BY x.class_id, x.id_number",
    )


def not_in_provincial_system() -> str:
    """NOT_IN_PROVINCIAL_SYSTEM — not recorded in the province's training information
    system, 凡补必进、不进不补: in Liaoning every trainee of a class with online hours
    (002 §6(三)); in Sichuan every trainee of every completed class (004 §(九))."""
    return _person(
        "NOT_IN_PROVINCIAL_SYSTEM",
        "json_object('source', 'provincial_training_system', 'class', x.class_id)",
        "JOIN classes c ON c.class_id = x.class_id",
        "(x.provincial_required_for = 'all' OR (x.provincial_required_for = 'online_trainees' "
        "AND coalesce(c.hours_online, 0) > 0)) "
        "AND NOT EXISTS (SELECT 1 FROM provincial_training_system s "
        "WHERE s.id_number = x.id_number AND s.class_id = x.class_id)",
    )


def notice_period_incomplete() -> str:
    """NOTICE_PERIOD_INCOMPLETE — paid with fewer than 5 working days d, notice start ≤
    d < paid date; with an objection open on the paid date; or into an account other
    than the institution's basic one (000 §3(七); 001 §4(六); reading 15)."""
    # working days d with start ≤ d < paid: the calendar's prefix counts, subtracted
    counted = """((SELECT k.before FROM _calendar k WHERE k.day = p.paid_on)
                  - (SELECT k.before FROM _calendar k WHERE k.day = n.published_on))"""
    return f"""
        SELECT x.class_id, NULL, 'NOTICE_PERIOD_INCOMPLETE', NULL,
               json_object('paid_on', min(p.paid_on), 'notice_from', min(n.published_on),
                           'working_days', min({counted}), 'account', any_value(p.account_type)),
               false
        FROM {CLASSES} x JOIN payments p ON p.class_id = x.class_id
        LEFT JOIN notices n ON n.class_id = x.class_id
        WHERE n.class_id IS NULL
           OR (x.notice_working_days IS NOT NULL AND {counted} < x.notice_working_days)
           OR coalesce(p.account_type, '') <> 'basic'
           OR EXISTS (SELECT 1 FROM notice_objections o WHERE o.class_id = x.class_id
                      AND o.raised_on <= p.paid_on
                      AND (o.resolved_on IS NULL OR o.resolved_on > p.paid_on))
        GROUP BY x.class_id"""


RULES = {
    "NOT_ACCEPTED": not_accepted,
    "DROPPED_OUT": dropped_out,
    "EXAM_FAILED": exam_failed,
    "EXAM_ABSENT": exam_absent,
    "MATERIALS_INCOMPLETE": materials_incomplete,
    "LOW_ATTENDANCE": low_attendance,
    "ATTENDANCE_EVIDENCE_MISSING": attendance_evidence_missing,
    "CLASS_ATTENDANCE_DEDUCTION": class_attendance_deduction,
    "VIOLATION_DEDUCTION": violation_deduction,
    "DUPLICATE_CERTIFICATION_SUBSIDY": duplicate_certification_subsidy,
    "NOT_IN_PROVINCIAL_SYSTEM": not_in_provincial_system,
    "NOTICE_PERIOD_INCOMPLETE": notice_period_incomplete,
}
