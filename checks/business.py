"""Business: a licence established after leaving school and before the course
(PRIOR_BUSINESS) or during it (BUSINESS_DURING_TRAINING) — POLICY.md reading 8,
"是否领取工商营业执照为准".

The date that counts is the licence's establishment: on the day of leaving school
or later, and before the opening day, is prior business (a licence obtained before
graduation does not count, even if still held); from the opening day to the last
day is business during training. Roles: 个体工商户经营者 and 法定代表人 carry the
policy's severity, an investor only is a review, a supervisor (监事) counts for
nothing; several roles, the strongest. A record linked by a mistyped number
(reading 9) makes a review.
"""

from __future__ import annotations

from crosscheck.checks.cohort import PEOPLE

# the registry's role, whatever words the source uses
ROLE = """CASE
    WHEN l.role IN ('operator', '个体工商户经营者', '经营者') THEN 'operator'
    WHEN l.role IN ('legal_representative', '法定代表人', '企业法定代表人')
        THEN 'legal_representative'
    WHEN l.role IN ('investor', '投资人', '股东') THEN 'investor'
    WHEN l.role IN ('supervisor', '监事') THEN 'supervisor'
    ELSE 'other' END"""
COUNTED = "('operator', 'legal_representative', 'investor')"
_RECORDS = """json_object('source', 'business_licences',
    'records', list(json_object('key', l.record_key, 'entity', l.entity_name, 'role', l.role,
                                'established_on', l.established_on,
                                'deregistered_on', l.deregistered_on, 'link', l.link)
                    ORDER BY l.established_on))"""
# a review unless an exactly linked record holds a role the policy names (operator,
# legal representative) — every counted role when the policy names none
_REVIEW = """NOT bool_or(NOT l.fuzzy AND (CASE WHEN x.business_roles IS NULL
    THEN l.canonical_role IN ('operator', 'legal_representative')
    ELSE list_contains(x.business_roles, l.canonical_role) END))"""
_LINKED = f"""JOIN (SELECT *, {ROLE} AS canonical_role FROM _l_licences l) l
    ON l.class_id = x.class_id AND l.person = x.id_number AND l.canonical_role IN {COUNTED}"""


def _level() -> str:
    return "CASE WHEN bool_and(l.fuzzy) THEN min(l.link) END"


def prior_business() -> str:
    """PRIOR_BUSINESS — a licence established on or after the day of leaving school and
    before the opening day (001 §1, §4(三); Shenyang: a review by its policy)."""
    return f"""
        SELECT x.class_id, x.id_number, 'PRIOR_BUSINESS', {_level()}, {_RECORDS}, {_REVIEW}
        FROM {PEOPLE} x JOIN _cohort k USING (class_id, id_number) {_LINKED}
        WHERE k.in_cohort AND NOT k.at_school AND k.left_on IS NOT NULL
          AND l.established_on >= k.left_on AND l.established_on < x.opening
        GROUP BY x.class_id, x.id_number"""


def business_during_training() -> str:
    """BUSINESS_DURING_TRAINING — a licence established from the opening day to the
    last day (001 §1; the accounting table has no column for it: a review)."""
    return f"""
        SELECT x.class_id, x.id_number, 'BUSINESS_DURING_TRAINING', {_level()}, {_RECORDS},
               bool_and(l.fuzzy)
        FROM {PEOPLE} x {_LINKED}
        WHERE x.in_payout AND l.established_on BETWEEN x.opening AND x.ending
        GROUP BY x.class_id, x.id_number"""


OPENING = {"PRIOR_BUSINESS": prior_business}
PAYOUT = {"BUSINESS_DURING_TRAINING": business_during_training}
