"""Class rules before opening (POLICY.md "Class — before opening").

Working-day answers (the allowed opening day, the filing deadline) are computed
per class in :func:`checks.runner.class_params` from the calendar and the
policy; the rules themselves are set-based SQL. Each builder selects
``(class_id, id_number, rule_code, match_level, evidence, review)`` with a null
``id_number``.
"""

from __future__ import annotations

SCOPED = """(SELECT p.* EXCLUDE (opening, ending, institution_id, venue_id), c.*
             FROM _class_params p JOIN classes c USING (class_id) JOIN _scope USING (class_id))"""


def class_too_large() -> str:
    """CLASS_TOO_LARGE — more trainees than the policy allows (000/001: 50, in principle)."""
    return f"""
        SELECT x.class_id, NULL, 'CLASS_TOO_LARGE', NULL,
               json_object('trainees', count(DISTINCT r.id_number),
                           'limit', any_value(x.max_trainees)),
               false
        FROM {SCOPED} x JOIN roster_entries r USING (class_id)
        WHERE x.max_trainees IS NOT NULL
        GROUP BY x.class_id
        HAVING count(DISTINCT r.id_number) > any_value(x.max_trainees)"""


def opening_date_not_allowed() -> str:
    """OPENING_DATE_NOT_ALLOWED — not the 1st/16th moved to the next working day
    (000 §3(四)), or after the programme's end (001 §1)."""
    return f"""
        SELECT class_id, NULL, 'OPENING_DATE_NOT_ALLOWED', NULL,
               json_object('opening', planned_start, 'next_allowed', next_allowed_opening,
                           'programme_end', programme_end), false
        FROM {SCOPED}
        WHERE (allowed_opening IS NOT NULL AND NOT allowed_opening)
           OR (programme_end IS NOT NULL AND planned_start > programme_end)"""


def filing_too_late() -> str:
    """FILING_TOO_LATE — filed after the policy's lead time (000 §3(三), 001 §5(二):
    5 working days, the opening day not counted)."""
    return f"""
        SELECT class_id, NULL, 'FILING_TOO_LATE', NULL,
               json_object('filed_on', filed_on, 'latest', latest_filing), false
        FROM {SCOPED}
        WHERE latest_filing IS NOT NULL AND filed_on IS NOT NULL AND filed_on > latest_filing"""


def opened_without_approval() -> str:
    """OPENED_WITHOUT_APPROVAL — started before its filing was approved, or never
    approved (000 §3(三); 001 §5(二); 003 §5 三是)."""
    return f"""
        SELECT class_id, NULL, 'OPENED_WITHOUT_APPROVAL', NULL,
               json_object('actual_start', actual_start, 'approved_on', approved_on), false
        FROM {SCOPED}
        WHERE actual_start IS NOT NULL AND (approved_on IS NULL OR approved_on > actual_start)"""


def institution_not_listed() -> str:
    """INSTITUTION_NOT_LISTED — not in the directory on the opening day, or on the
    dishonesty list (000 §3(一), §4(四); 001 §4(一), §5(四); 004 §(十))."""
    return f"""
        SELECT x.class_id, NULL, 'INSTITUTION_NOT_LISTED', NULL,
               json_object('institution', x.institution_id, 'listed_from', i.listed_from,
                           'listed_to', i.listed_to), false
        FROM {SCOPED} x LEFT JOIN institutions i USING (institution_id)
        WHERE i.institution_id IS NULL
           OR NOT (coalesce(i.listed_from <= x.planned_start, false)
                   AND (i.listed_to IS NULL OR i.listed_to >= x.planned_start))
           OR EXISTS (SELECT 1 FROM dishonesty_list d WHERE d.subject_type = 'institution'
                      AND d.credit_code = i.credit_code AND d.listed_from <= x.planned_start
                      AND (d.listed_to IS NULL OR d.listed_to >= x.planned_start))"""


APPROVED = """(SELECT 1 FROM institution_majors m WHERE m.institution_id = x.institution_id
               AND m.major = x.major AND m.level IS NOT DISTINCT FROM x.level
               AND (m.valid_from IS NULL OR m.valid_from <= x.planned_start)
               AND (m.valid_to IS NULL OR m.valid_to >= x.planned_start))"""


def major_not_approved() -> str:
    """MAJOR_NOT_APPROVED — the major is not among the institution's approved
    majors on the opening day (000 §1(二); 001 §4(一), annex 1)."""
    return f"""
        SELECT x.class_id, NULL, 'MAJOR_NOT_APPROVED', NULL,
               json_object('institution', x.institution_id, 'major', x.major, 'level', x.level),
               false
        FROM {SCOPED} x WHERE NOT EXISTS {APPROVED}"""


def venue_not_approved() -> str:
    """VENUE_NOT_APPROVED — not the institution's own venue verified on site before
    opening (000 §1(三); 001 §4(一); 002 §4(三))."""
    return f"""
        SELECT x.class_id, NULL, 'VENUE_NOT_APPROVED', NULL,
               json_object('venue', x.venue_id, 'owned', v.owned, 'verified_on', v.verified_on),
               false
        FROM {SCOPED} x LEFT JOIN venues v ON v.venue_id = x.venue_id
        WHERE x.own_venue_required AND NOT (coalesce(v.owned, false)
              AND v.institution_id = x.institution_id
              AND coalesce(v.verified_on <= x.planned_start, false))"""


def hours_out_of_range() -> str:
    """HOURS_OUT_OF_RANGE — fewer class-hours a day than the policy's minimum, fewer in
    all than an approved major requires, Zhengning's category minimum and 70 %
    practice, Liaoning's online share and platform list
    (000 §1(三); 001 §4(三), annex 1; 002 §2(四), §3; 003 §4 五是, §5 一是)."""
    return f"""
        SELECT x.class_id, NULL, 'HOURS_OUT_OF_RANGE', NULL,
               json_object('hours_per_day', x.hours_per_day, 'hours_total', x.hours_total,
                           'required', m.required_hours, 'practice', x.hours_practice,
                           'online', x.hours_online, 'platform', x.online_platform), false
        FROM {SCOPED} x
        LEFT JOIN institution_majors m ON m.institution_id = x.institution_id
             AND m.major = x.major AND m.level IS NOT DISTINCT FROM x.level
        LEFT JOIN online_platforms o ON o.platform = x.online_platform
        WHERE (x.min_hours_per_day IS NOT NULL AND x.hours_per_day < x.min_hours_per_day)
           OR (x.min_hours_per_day IS NOT NULL AND m.required_hours IS NOT NULL
               AND x.hours_total < m.required_hours)
           OR (x.category_minimum IS NOT NULL AND x.hours_total < x.category_minimum)
           OR (x.min_practice_share IS NOT NULL
               AND x.hours_practice < x.hours_total * x.min_practice_share)
           OR (x.max_online_share IS NOT NULL AND coalesce(x.hours_online, 0) > 0 AND (
                  (NOT coalesce(m.knowledge_based, false)
                   AND x.hours_online > x.hours_total * x.max_online_share)
                  OR o.platform IS NULL OR o.listed_from IS NULL OR o.listed_from > x.planned_start
                  OR coalesce(o.removed_for_fraud, false)))"""


def project_not_published() -> str:
    """PROJECT_NOT_PUBLISHED — no published project, or one that differs in
    trainees, duration, occupation or rate (004 §(三))."""
    return f"""
        SELECT x.class_id, NULL, 'PROJECT_NOT_PUBLISHED', NULL,
               json_object('project', x.project_ref, 'published_trainees', j.trainees,
                           'trainees', (SELECT count(DISTINCT id_number) FROM roster_entries r
                                        WHERE r.class_id = x.class_id)), false
        FROM {SCOPED} x LEFT JOIN published_projects j ON j.project_ref = x.project_ref
        LEFT JOIN institution_majors m ON m.institution_id = x.institution_id
             AND m.major = x.major AND m.level IS NOT DISTINCT FROM x.level
        WHERE x.project_required AND (j.project_ref IS NULL
           OR j.trainees <> (SELECT count(DISTINCT id_number) FROM roster_entries r
                             WHERE r.class_id = x.class_id)
           OR j.months <> x.months OR j.occupation <> x.major
           OR j.rate_fen_per_month IS DISTINCT FROM m.rate_fen_per_month)"""


RULES = {
    "CLASS_TOO_LARGE": class_too_large,
    "OPENING_DATE_NOT_ALLOWED": opening_date_not_allowed,
    "FILING_TOO_LATE": filing_too_late,
    "OPENED_WITHOUT_APPROVAL": opened_without_approval,
    "INSTITUTION_NOT_LISTED": institution_not_listed,
    "MAJOR_NOT_APPROVED": major_not_approved,
    "VENUE_NOT_APPROVED": venue_not_approved,
    "HOURS_OUT_OF_RANGE": hours_out_of_range,
    "PROJECT_NOT_PUBLISHED": project_not_published,
}
