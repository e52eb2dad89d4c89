"""Employment: a pension contribution after leaving school and before the course
(PRIOR_EMPLOYMENT) or during it (EMPLOYED_DURING_TRAINING) — POLICY.md readings
6–7, "以参保缴费记录为准".

Months, not days: the graduation month counts as after leaving school, the month
before does not; the opening month belongs to the course whatever the opening
day; the course runs to its end month. Only the schemes the policy names count
(城镇企业职工基本养老保险, 机关事业单位养老保险). A record linked by a mistyped
number (reading 9) makes a review, never a block or an exclusion.
"""

from __future__ import annotations

from crosscheck.checks.cohort import PEOPLE

_RECORDS = """json_object('source', 'pension_contributions',
    'records', list(json_object('key', p.record_key, 'employer', p.employer_name,
                                'scheme', p.scheme, 'from', p.month_from, 'to', p.month_to,
                                'link', p.link)
                    ORDER BY p.month_from))"""


def _fuzzy_level() -> str:
    """The link of a finding that rests only on fuzzy records (null otherwise)."""
    return "CASE WHEN bool_and(p.fuzzy) THEN min(p.link) END"


def prior_employment() -> str:
    """PRIOR_EMPLOYMENT — a contribution month from the month of leaving school to the
    month before the opening month (000 §1(一) 毕业后曾实现就业; 001 §1, §4(三)).
    Not judged out of the cohort, nor for a trainee still at school on the opening
    day (reading 6)."""
    return f"""
        SELECT x.class_id, x.id_number, 'PRIOR_EMPLOYMENT', {_fuzzy_level()}, {_RECORDS},
               bool_and(p.fuzzy)
        FROM {PEOPLE} x JOIN _cohort k USING (class_id, id_number)
        JOIN _l_pension p ON p.class_id = x.class_id AND p.person = x.id_number
        WHERE k.in_cohort AND NOT k.at_school AND k.left_on IS NOT NULL
          AND list_contains(x.schemes, p.scheme)
          AND p.month_from < CAST(date_trunc('month', x.opening) AS DATE)
          AND p.month_to >= CAST(date_trunc('month', k.left_on) AS DATE)
        GROUP BY x.class_id, x.id_number"""


def employed_during_training() -> str:
    """EMPLOYED_DURING_TRAINING — a contribution month from the opening month to the
    end month: 缴纳社会保险人数 of the accounting table (001 annex 8; 000 §1(一))."""
    return f"""
        SELECT x.class_id, x.id_number, 'EMPLOYED_DURING_TRAINING', {_fuzzy_level()},
               {_RECORDS}, bool_and(p.fuzzy)
        FROM {PEOPLE} x JOIN _l_pension p ON p.class_id = x.class_id AND p.person = x.id_number
        WHERE x.in_payout AND list_contains(x.schemes, p.scheme)
          AND p.month_from <= CAST(date_trunc('month', x.ending) AS DATE)
          AND p.month_to >= CAST(date_trunc('month', x.opening) AS DATE)
        GROUP BY x.class_id, x.id_number"""


OPENING = {"PRIOR_EMPLOYMENT": prior_employment}
PAYOUT = {"EMPLOYED_DURING_TRAINING": employed_during_training}
