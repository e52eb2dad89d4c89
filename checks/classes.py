"""Class rules before opening (POLICY.md "Class — before opening", reading 14).

Working-day answers (the allowed opening day, the filing deadline, the working
days of the course) are computed per class in :func:`checks.params.class_params`
from the calendar and the policy; the rules themselves are set-based SQL. Each
builder selects ``(class_id, id_number, rule_code, match_level, evidence,
review)`` with a null ``id_number``. Shares are compared as exact decimals.
"""

from __future__ import annotations

# the classes in scope with their parameters: built once per run (SETUP), then read by
# every class rule
SCOPED = "_scoped"
SETUP = {
    SCOPED: """SELECT p.* EXCLUDE (opening, ending, institution_id, venue_id), c.*,
                      c.planned_start AS opening
               FROM _class_params p JOIN classes c USING (class_id) JOIN _scope USING (class_id)"""
}
# the class's institution is in the programme's directory on the opening day
LISTED = """(i.institution_id IS NOT NULL AND coalesce(i.listed_from <= x.opening, false)
             AND (i.listed_to IS NULL OR i.listed_to >= x.opening))"""
OPENED = "(x.actual_start IS NOT NULL OR x.status IN ('open', 'completed', 'paid'))"


def for_policy(m: str = "m", x: str = "x") -> str:
    """SQL: approval ``m`` holds for class ``x``'s policy — an approval in the directory
    holds under its own policy, or under every policy when it names none
    (institution_majors.policy_id, issue 14)."""
    return f"({m}.policy_id IS NULL OR {m}.policy_id = {x}.policy_id)"


def directory_major(x: str = "x") -> str:
    """SQL: ``LEFT JOIN LATERAL … m`` — the directory's row for the (major, level) of
    class ``x`` (its months, hours, rate, …) under the class's policy: the one
    approved for that policy first, else the one approved under every policy; never
    another policy's. At most one row, so a major approved under several policies
    (on different terms) is neither read on another's terms nor counted twice."""
    return f"""LEFT JOIN LATERAL (
            SELECT * FROM institution_majors m WHERE m.institution_id = {x}.institution_id
              AND m.major = {x}.major AND m.level IS NOT DISTINCT FROM {x}.level
              AND {for_policy("m", x)}
            ORDER BY m.policy_id NULLS LAST, m.valid_from DESC NULLS LAST LIMIT 1) m ON true"""


def class_too_large() -> str:
    """CLASS_TOO_LARGE — more trainees (distinct normalised numbers) than the policy
    allows: 50 passes, 51 fires (000 §3(三), 001 §5(二): 原则上, overridable)."""
    return f"""
        SELECT x.class_id, NULL, 'CLASS_TOO_LARGE', NULL,
               json_object('trainees', count(DISTINCT r.id_number),
                           'limit', any_value(x.max_trainees)),
               false
        FROM {SCOPED} x JOIN _roster r USING (class_id)
        WHERE x.max_trainees IS NOT NULL
        GROUP BY x.class_id
        HAVING count(DISTINCT r.id_number) > any_value(x.max_trainees)"""


def opening_date_not_allowed() -> str:
    """OPENING_DATE_NOT_ALLOWED — not the 1st/16th moved to the next working day
    (000 §3(四)), or after the programme's last December (000 §3(四); 001 §1, §4(三))."""
    return f"""
        SELECT class_id, NULL, 'OPENING_DATE_NOT_ALLOWED', NULL,
               json_object('opening', planned_start, 'next_allowed', next_allowed_opening,
                           'programme_end', programme_end), false
        FROM {SCOPED}
        WHERE (allowed_opening IS NOT NULL AND NOT allowed_opening)
           OR (programme_end IS NOT NULL AND planned_start > programme_end)"""


def filing_too_late() -> str:
    """FILING_TOO_LATE — fewer than 5 working days d with filing ≤ d < opening
    (000 §3(三), 001 §5(二)); a class never filed is OPENED_WITHOUT_APPROVAL only."""
    return f"""
        SELECT class_id, NULL, 'FILING_TOO_LATE', NULL,
               json_object('filed_on', filed_on, 'latest', latest_filing), false
        FROM {SCOPED}
        WHERE latest_filing IS NOT NULL AND filed_on IS NOT NULL AND filed_on > latest_filing"""


def opened_without_approval() -> str:
    """OPENED_WITHOUT_APPROVAL — an opened class never filed, or without an approval
    dated on or before the opening day (000 §3(三); 001 §5(二); 003 §5 三是)."""
    return f"""
        SELECT class_id, NULL, 'OPENED_WITHOUT_APPROVAL', NULL,
               json_object('opened_on', coalesce(actual_start, planned_start),
                           'filed_on', filed_on, 'approved_on', approved_on), false
        FROM {SCOPED} x
        WHERE {OPENED} AND (filed_on IS NULL OR approved_on IS NULL
                            OR approved_on > coalesce(actual_start, planned_start))"""


def institution_not_listed() -> str:
    """INSTITUTION_NOT_LISTED — not in the directory on the opening day, barred that
    day (a dishonesty-list entry in force: permanently in Fushun, 2 years in
    Shenyang, the black list in Sichuan), or training on an online platform removed
    for fraud — for life (000 §3(一), §4(四); 001 §4(一), §5(四); 002 §7(二); 004 §(十))."""
    in_force = """d.listed_from <= x.opening AND (x.institution_barred_permanently
        OR coalesce(d.listed_to, CAST(d.listed_from
               + to_years(CAST(coalesce(x.institution_bar_years, 9999) AS INTEGER)) AS DATE))
           >= x.opening)"""
    removed = """x.platform_fraud_barred AND coalesce(x.hours_online, 0) > 0
        AND coalesce(o.removed_for_fraud, false) AND coalesce(o.listed_to < x.opening, true)"""
    return f"""
        SELECT class_id, NULL, 'INSTITUTION_NOT_LISTED', NULL,
               json_object('institution', institution_id, 'listed_from', listed_from,
                           'listed_to', listed_to, 'in_directory', listed, 'barred', barred,
                           'platform_removed_for_fraud', platform), false
        FROM (SELECT x.class_id, any_value(x.institution_id) AS institution_id,
                     any_value(i.listed_from) AS listed_from, any_value(i.listed_to) AS listed_to,
                     bool_and({LISTED}) AS listed,
                     coalesce(bool_or(d.record_key IS NOT NULL AND {in_force}), false) AS barred,
                     coalesce(bool_or({removed}), false) AS platform
              FROM {SCOPED} x LEFT JOIN institutions i USING (institution_id)
              LEFT JOIN dishonesty_list d ON d.subject_type = 'institution'
                   AND d.credit_code = i.credit_code
              LEFT JOIN online_platforms o ON o.platform = x.online_platform
              GROUP BY x.class_id)
        WHERE NOT listed OR barred OR platform"""


def major_not_approved() -> str:
    """MAJOR_NOT_APPROVED — the (major, level) is not among the institution's approved
    majors on the opening day, under the class's policy (an approval naming no policy
    holds under every one) (000 §1(二); 001 §4(一), annex 1); or, where the policy
    caps the majors of an institution (Shenyang: 3, 原则上), a class of its 4th or
    later distinct major, counting the institution's filed classes of majors
    approved under their policy, in filing order. Not judged for an institution
    outside the directory. The evidence names the policies, if any, under which the
    major is approved instead."""

    def dated(m: str) -> str:
        return f"""({m}.institution_id = x.institution_id AND {m}.major = x.major
            AND {m}.level IS NOT DISTINCT FROM x.level
            AND ({m}.valid_from IS NULL OR {m}.valid_from <= x.planned_start)
            AND ({m}.valid_to IS NULL OR {m}.valid_to >= x.planned_start))"""

    approved = f"({dated('m')} AND {for_policy()})"
    # approved on the opening day, but under another policy only
    elsewhere = f"({dated('o')} AND o.policy_id <> x.policy_id)"
    return f"""
        WITH capped AS (SELECT DISTINCT institution_id, policy_id FROM {SCOPED} x
                        WHERE x.max_majors IS NOT NULL),
        ranked AS (
            -- each approved major's place among the institution's majors, by first filing
            SELECT institution_id, major, level,
                   dense_rank() OVER (PARTITION BY institution_id, policy_id
                                      ORDER BY first_filed, major, level) AS place
            FROM (SELECT x.institution_id, x.policy_id, x.major, x.level,
                         min(x.filed_on) AS first_filed
                  FROM classes x JOIN capped USING (institution_id, policy_id)
                  JOIN institution_majors m ON {approved}
                  WHERE x.filed_on IS NOT NULL
                  GROUP BY ALL))
        SELECT class_id, NULL, 'MAJOR_NOT_APPROVED', NULL,
               json_object('institution', institution_id, 'major', major, 'level', level,
                           'policy', policy_id, 'approved', approved,
                           'approved_under', approved_under, 'place', place,
                           'limit', max_majors),
               false
        FROM (SELECT x.class_id, any_value(x.institution_id) AS institution_id,
                     any_value(x.major) AS major, any_value(x.level) AS level,
                     any_value(x.policy_id) AS policy_id,
                     any_value(x.max_majors) AS max_majors, any_value(k.place) AS place,
                     bool_or(m.institution_id IS NOT NULL) AS approved,
                     list(DISTINCT o.policy_id ORDER BY o.policy_id)
                         FILTER (o.policy_id IS NOT NULL) AS approved_under,
                     bool_and({LISTED}) AS listed
              FROM {SCOPED} x LEFT JOIN institutions i USING (institution_id)
              LEFT JOIN institution_majors m ON {approved}
              LEFT JOIN institution_majors o ON {elsewhere}
              LEFT JOIN ranked k ON k.institution_id = x.institution_id AND k.major = x.major
                   AND k.level IS NOT DISTINCT FROM x.level
              GROUP BY x.class_id)
        WHERE listed AND (NOT approved OR (max_majors IS NOT NULL AND place > max_majors))"""


def venue_not_approved() -> str:
    """VENUE_NOT_APPROVED — not at a venue of the institution's own verified on site on
    or before the opening day (000 §1(三); 001 §4(一); 002 §4(三)); not judged when
    off-site delivery (送教上门) is noted in the filed plan, nor for an institution
    outside the directory."""
    return f"""
        SELECT x.class_id, NULL, 'VENUE_NOT_APPROVED', NULL,
               json_object('venue', x.venue_id, 'owner', v.institution_id, 'owned', v.owned,
                           'verified_on', v.verified_on),
               false
        FROM {SCOPED} x LEFT JOIN institutions i USING (institution_id)
        LEFT JOIN venues v ON v.venue_id = x.venue_id
        WHERE x.own_venue_required AND NOT coalesce(x.offsite_filed, false) AND {LISTED}
          AND NOT (coalesce(v.owned, false) AND v.institution_id = x.institution_id
                   AND coalesce(v.verified_on <= x.opening, false))"""


def hours_out_of_range() -> str:
    """HOURS_OUT_OF_RANGE — (reading 14) a duration outside the policy's 3–6 months or
    different from the major's fixed months; fewer class-hours a day than the
    minimum; fewer hours in all than hours a day × working days (not taught every
    working day) or than the major requires; Zhengning's category minimums and 70 %
    practice; Liaoning's online share above 50 % for a practical occupation, or a
    platform not on the province's list that day (000 §1(三); 001 §4(三), annex 1;
    002 §2(四), §3; 003 §4 五是, §5 一是)."""
    online_listed = """(o.platform IS NOT NULL AND o.listed_from IS NOT NULL
                        AND o.listed_from <= x.opening
                        AND (o.listed_to IS NULL OR o.listed_to >= x.opening))"""
    return f"""
        SELECT x.class_id, NULL, 'HOURS_OUT_OF_RANGE', NULL,
               json_object('months', x.months, 'fixed_months', m.months,
                           'hours_per_day', x.hours_per_day, 'hours_total', x.hours_total,
                           'working_days', x.workdays, 'required', m.required_hours,
                           'practice', x.hours_practice, 'online', x.hours_online,
                           'platform', x.online_platform), false
        FROM {SCOPED} x
        {directory_major()}
        LEFT JOIN online_platforms o ON o.platform = x.online_platform
        WHERE (x.months_min IS NOT NULL
               AND (x.months NOT BETWEEN x.months_min AND x.months_max
                    OR x.months IS DISTINCT FROM coalesce(m.months, x.months)))
           OR (x.min_hours_per_day IS NOT NULL AND x.hours_per_day < x.min_hours_per_day)
           OR (x.every_working_day AND x.workdays IS NOT NULL
               AND x.hours_total < x.hours_per_day * x.workdays)
           OR (x.min_hours_per_day IS NOT NULL AND m.required_hours IS NOT NULL
               AND x.hours_total < m.required_hours)
           OR (x.category_minimum IS NOT NULL AND x.hours_total < x.category_minimum)
           OR (x.min_practice_share IS NOT NULL
               AND CAST(coalesce(x.hours_practice, 0) AS DECIMAL(18, 4))
                   < x.hours_total * x.min_practice_share)
           OR (x.max_online_share IS NOT NULL AND coalesce(x.hours_online, 0) > 0 AND (
                  (NOT coalesce(m.knowledge_based, false)
                   AND CAST(x.hours_online AS DECIMAL(18, 4))
                       > x.hours_total * x.max_online_share)
                  OR (x.platform_list_required AND NOT {online_listed})))"""


def project_not_published() -> str:
    """PROJECT_NOT_PUBLISHED — no project published by the opening day, or one that
    differs in trainees, duration, occupation or rate (004 §(三): 原则上)."""
    return f"""
        SELECT x.class_id, NULL, 'PROJECT_NOT_PUBLISHED', NULL,
               json_object('project', x.project_ref, 'published_on', j.published_on,
                           'published_trainees', j.trainees, 'trainees', n.trainees,
                           'published_months', j.months, 'months', x.months,
                           'occupation', j.occupation, 'major', x.major,
                           'published_rate_fen', j.rate_fen_per_month,
                           'rate_fen', m.rate_fen_per_month), false
        FROM {SCOPED} x LEFT JOIN published_projects j ON j.project_ref = x.project_ref
        LEFT JOIN (SELECT class_id, count(DISTINCT id_number) AS trainees FROM _roster
                   GROUP BY class_id) n USING (class_id)
        {directory_major()}
        WHERE x.project_required AND (j.project_ref IS NULL
           OR coalesce(j.published_on > x.opening, false)
           OR j.trainees IS DISTINCT FROM coalesce(n.trainees, 0)
           OR j.months IS DISTINCT FROM x.months OR j.occupation IS DISTINCT FROM x.major
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
