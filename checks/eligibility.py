"""Trainee eligibility besides cohort, employment, business and enrolments: the
dishonesty list and own graduates (POLICY.md "Trainee eligibility", reading 13),
judged as of the opening day.

Every builder selects ``(class_id, id_number, rule_code, match_level, evidence,
review)`` for the trainees in ``_people`` (:mod:`checks.cohort`).
"""

from __future__ import annotations

from crosscheck.checks.cohort import PEOPLE


def trainee_blacklisted() -> str:
    """TRAINEE_BLACKLISTED — an entry on the dishonesty list in force on the opening
    day, both ends inclusive, no end = open-ended (000 §4(四); 001 §5(四))."""
    return f"""
        SELECT x.class_id, x.id_number, 'TRAINEE_BLACKLISTED', NULL,
               json_object('source', 'dishonesty_list',
                           'records', list(json_object('key', d.record_key, 'reason', d.reason,
                                                       'from', d.listed_from, 'to', d.listed_to))),
               false
        FROM {PEOPLE} x JOIN _l_dishonesty d ON d.class_id = x.class_id AND d.person = x.id_number
        WHERE d.subject_type = 'person' AND d.listed_from <= x.opening
          AND (d.listed_to IS NULL OR d.listed_to >= x.opening)
        GROUP BY x.class_id, x.id_number"""


def own_graduate() -> str:
    """OWN_GRADUATE — a school training its own graduating class (reading 13).
    Fushun (001 §3(一), rate 1000): the institution is the trainee's school and the
    opening day lies in the graduation academic year, on or before the graduation;
    alumni are not own graduates. Shenyang (000 §1(三), block): the class's venue is
    the trainee's school — a venue of the school's own, or one on its campus
    (``venues.school_code``: an institution training at a college) — and the
    graduation is in the policy's year (2023). The Shenyang evidence names the venue."""
    fushun = """x.academic_year_test AND coalesce(i.is_school, false)
               AND s.school_code = i.school_code AND s.graduated_on >= x.opening
               AND x.opening >= make_date(year(s.graduated_on)
                                          - CASE WHEN month(s.graduated_on) >= 9 THEN 0 ELSE 1 END,
                                          9, 1)"""
    at_school = """(s.school_code = v.school_code
                    OR (coalesce(vi.is_school, false) AND s.school_code = vi.school_code))"""
    shenyang = f"""x.own_graduate_classes IS NOT NULL AND {at_school}
               AND list_contains(x.own_graduate_classes, year(s.graduated_on))"""
    return f"""
        SELECT DISTINCT ON (x.class_id, x.id_number) x.class_id, x.id_number, 'OWN_GRADUATE',
               NULL, json_object('source', 'student_status', 'key', s.record_key,
                                 'school', s.school_name, 'graduated_on', s.graduated_on,
                                 'venue', CASE WHEN x.own_graduate_classes IS NOT NULL
                                               THEN x.venue_id END), false
        FROM {PEOPLE} x
        JOIN _l_student s ON s.class_id = x.class_id AND s.person = x.id_number AND NOT s.fuzzy
             AND coalesce(s.status, '') NOT IN ('withdrawn', '退学')
        LEFT JOIN institutions i ON i.institution_id = x.institution_id
        LEFT JOIN venues v ON v.venue_id = x.venue_id
        LEFT JOIN institutions vi ON vi.institution_id = v.institution_id
        WHERE ({fushun}) OR ({shenyang})
        ORDER BY x.class_id, x.id_number, s.graduated_on"""


RULES = {
    "TRAINEE_BLACKLISTED": trainee_blacklisted,
    "OWN_GRADUATE": own_graduate,
}
