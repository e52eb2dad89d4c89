"""Enrolments: once a year, not two courses at once, not subsidised twice
(POLICY.md readings 10–12).

``_enrolments`` (built once per run) lists, for each trainee, every other
enrolment: the other cities' and provinces' training records linked to them (any
status), and the city's own other classes that opened with them on the roster
(counted as subsidised training of their policy's programme). A class that never
opened is not an enrolment.
"""

from __future__ import annotations

from crosscheck.checks.cohort import PEOPLE

OPENED = "(c.actual_start IS NOT NULL OR c.status IN ('open', 'completed', 'paid'))"
SETUP = {
    "_enrolments": f"""
        SELECT l.class_id, l.person, 'training_records' AS source, l.record_key AS ref,
               l.region_code AS region, l.programme, l.start_date AS start_on,
               l.end_date AS end_on, coalesce(l.subsidised, false) AS subsidised,
               l.subsidy_paid_on AS paid_on, l.fuzzy, l.link
        FROM _l_training l
        UNION ALL
        SELECT t.class_id, t.id_number, 'classes', c.class_id, c.region_code, pp.programme,
               c.planned_start, c.planned_end, true, NULL, false, 'exact'
        FROM _trainees t JOIN (SELECT DISTINCT class_id, id_number FROM roster_entries
                               WHERE id_number IN (SELECT id_number FROM _trainees)) r
          ON r.id_number = t.id_number AND r.class_id <> t.class_id
        JOIN classes c ON c.class_id = r.class_id
        LEFT JOIN _policy_programmes pp ON pp.policy_id = c.policy_id
        WHERE {OPENED}""",
}

_RECORDS = """json_object('source', 'enrolments',
    'records', list(json_object('source', e.source, 'key', e.ref, 'region', e.region,
                                'programme', e.programme, 'start', e.start_on,
                                'end', e.end_on, 'subsidised', e.subsidised,
                                'paid_on', e.paid_on, 'link', e.link)
                    ORDER BY e.start_on, e.ref))"""
_JOIN = "JOIN _enrolments e ON e.class_id = x.class_id AND e.person = x.id_number"
_SAME_PROVINCE = "substr(e.region, 1, 2) = substr(x.region_code, 1, 2)"


def _level() -> str:
    return "CASE WHEN bool_and(e.fuzzy) THEN min(e.link) END"


def already_trained_this_year() -> str:
    """ALREADY_TRAINED_THIS_YEAR — another enrolment in this programme starting in this
    class's calendar year, on or before its opening day (000 §1(一), 001 §1 每人每年原则上
    只可参加1次): block for one in the province (the city's own classes included),
    review when all are in other provinces' records."""
    return f"""
        SELECT x.class_id, x.id_number, 'ALREADY_TRAINED_THIS_YEAR', {_level()}, {_RECORDS},
               NOT bool_or({_SAME_PROVINCE} AND NOT e.fuzzy)
        FROM {PEOPLE} x {_JOIN}
        WHERE e.programme = x.programme AND year(e.start_on) = year(x.opening)
          AND e.start_on <= x.opening
        GROUP BY x.class_id, x.id_number"""


def _concurrent(mid_course: bool) -> str:
    when = "AND x.in_payout AND e.start_on > x.opening" if mid_course else ""
    return f"""
        SELECT x.class_id, x.id_number, 'CONCURRENT_ENROLMENT', {_level()}, {_RECORDS},
               NOT bool_or(e.subsidised AND NOT e.fuzzy)
        FROM {PEOPLE} x {_JOIN}
        WHERE e.start_on <= x.ending AND e.end_on >= x.opening {when}
        GROUP BY x.class_id, x.id_number"""


def concurrent_enrolment() -> str:
    """CONCURRENT_ENROLMENT — another enrolment of any programme sharing at least one day
    with this course (000 §1(三); 001 §6(四) 异地违规参加培训): block when it is
    subsidised training (the city's own classes are), review otherwise."""
    return _concurrent(mid_course=False)


def concurrent_enrolment_mid_course() -> str:
    """CONCURRENT_ENROLMENT at payout — an enrolment that started during the course: a
    fact of the course, so it fires before payout too (reading 1)."""
    return _concurrent(mid_course=True)


def duplicate_subsidy() -> str:
    """DUPLICATE_SUBSIDY — another class's subsidy paid (已拨付) in the calendar year of
    this class's end (001 §6(四) 重复享受补贴): exclude for this programme in another
    city of the province, review for any programme in another province's records;
    pending subsidies and the previous year's do not count (reading 12)."""
    return f"""
        SELECT x.class_id, x.id_number, 'DUPLICATE_SUBSIDY', {_level()}, {_RECORDS},
               NOT bool_or({_SAME_PROVINCE} AND NOT e.fuzzy)
        FROM {PEOPLE} x {_JOIN}
        WHERE x.in_payout AND e.source = 'training_records' AND e.paid_on IS NOT NULL
          AND year(e.paid_on) = year(x.ending)
          AND (NOT {_SAME_PROVINCE} OR e.programme = x.programme)
        GROUP BY x.class_id, x.id_number"""


OPENING = {
    "ALREADY_TRAINED_THIS_YEAR": already_trained_this_year,
    "CONCURRENT_ENROLMENT": concurrent_enrolment,
}
PAYOUT = {
    "CONCURRENT_ENROLMENT": concurrent_enrolment_mid_course,
    "DUPLICATE_SUBSIDY": duplicate_subsidy,
}
