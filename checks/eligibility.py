"""Trainee eligibility as of the opening day (POLICY.md "Trainee eligibility"),
re-checked nightly and before payout. The readings are those of
``data/README.md`` ("How the ground truth is built").

Every builder selects ``(class_id, id_number, rule_code, match_level, evidence,
review)`` for the trainees of the classes in ``_scope`` whose ID number is
valid (an invalid one gets ``ID_INVALID`` only); thresholds come from
``_class_params``, built from each class's policy.
"""

from __future__ import annotations

from crosscheck.ingest.sql import id_valid

# The trainees in scope, with their class's dates and policy thresholds: built once
# per run as a temp table (SETUP), then read by every rule.
PEOPLE = "_elig_people"
SETUP = {
    PEOPLE: """
    SELECT x.*,
           -- the day the trainee left school: the latest graduation on or before opening
           (SELECT max(s.graduated_on) FROM student_status s
            WHERE s.id_number = x.id_number AND s.graduated_on <= x.opening) AS left_on
    FROM (SELECT DISTINCT r.class_id, r.id_number, p.*  EXCLUDE (class_id),
                 coalesce(r.registered_name, r.name) AS person_name,
                 coalesce(r.registered_province, substr(r.id_number, 1, 2)) AS hukou
          FROM _roster r JOIN _class_params p USING (class_id)
          WHERE r.id_ok) x"""
}

IN_WINDOW = """(
    (x.left_school_years IS NOT NULL AND list_contains(x.left_school_years, year(s.graduated_on))
        AND s.graduated_on <= x.opening)
    OR (x.within_years IS NOT NULL AND s.graduated_on <= x.opening
        AND s.graduated_on >= CAST(x.opening - to_years(CAST(x.within_years AS INTEGER)) AS DATE))
    OR (x.graduating_classes IS NOT NULL
        AND list_contains(x.graduating_classes, year(s.graduated_on))
        AND (NOT x.academic_year_test OR x.opening BETWEEN
             make_date(year(s.graduated_on) - 1, 9, 1)
             AND make_date(year(s.graduated_on), 8, 31))))"""

# the day the trainee left school (latest graduation on or before opening)
LEFT = "x.left_on"  # computed once per person in SETUP


def not_in_cohort() -> str:
    """NOT_IN_COHORT — no study record in the policy's window (000 §1(一); 001 §1);
    no study record at all is a review (a school's 学籍证明 may stand in)."""
    return f"""
        SELECT x.class_id, x.id_number, 'NOT_IN_COHORT', NULL,
               json_object('source', 'student_status', 'records',
                   (SELECT list(json_object('key', s.record_key, 'school', s.school_name,
                                            'graduated_on', s.graduated_on))
                    FROM student_status s WHERE s.id_number = x.id_number)),
               NOT EXISTS (SELECT 1 FROM student_status s WHERE s.id_number = x.id_number)
        FROM {PEOPLE} x
        WHERE NOT EXISTS (SELECT 1 FROM student_status s
                          WHERE s.id_number = x.id_number AND {IN_WINDOW})"""


def not_full_time() -> str:
    """NOT_FULL_TIME — the records that put the trainee in the cohort are not
    full-time study (000 §1(一); 001 §1)."""
    return f"""
        SELECT x.class_id, x.id_number, 'NOT_FULL_TIME', NULL,
               json_object('source', 'student_status', 'keys',
                   list(s.record_key), 'study_mode', list(s.study_mode)), false
        FROM {PEOPLE} x JOIN student_status s ON s.id_number = x.id_number
        WHERE {IN_WINDOW}
        GROUP BY x.class_id, x.id_number
        HAVING bool_and(s.study_mode <> '全日制')"""


def _school_ok() -> str:
    return """EXISTS (SELECT 1 FROM student_status s WHERE s.id_number = x.id_number
                      AND list_contains(x.school_provinces, s.school_province))"""


def region_ineligible() -> str:
    """REGION_INELIGIBLE — neither Liaoning household registration nor a Liaoning
    school (000 §1(一); 001 §1)."""
    return f"""
        SELECT x.class_id, x.id_number, 'REGION_INELIGIBLE', NULL,
               json_object('source', 'household_registration', 'province', x.hukou), false
        FROM {PEOPLE} x
        WHERE x.household_provinces IS NOT NULL
          AND NOT list_contains(x.household_provinces, x.hukou) AND NOT {_school_ok()}"""


def hukou_proof_required() -> str:
    """HUKOU_PROOF_REQUIRED — a Liaoning-registered graduate of an out-of-province
    school needs household proof (000 §3(二)(3); 001 §4(二)3)."""
    return f"""
        SELECT x.class_id, x.id_number, 'HUKOU_PROOF_REQUIRED', NULL,
               json_object('source', 'student_status', 'province', x.hukou), false
        FROM {PEOPLE} x
        WHERE x.household_provinces IS NOT NULL AND list_contains(x.household_provinces, x.hukou)
          AND EXISTS (SELECT 1 FROM student_status s WHERE s.id_number = x.id_number)
          AND NOT {_school_ok()}"""


def prior_employment() -> str:
    """PRIOR_EMPLOYMENT — a pension contribution month after leaving school and
    before opening, counted by the month's first day (000 §1(一); 001 §1, §4(三)).
    A registry record whose ID has a typo is linked by birth date, region and name,
    and is then only a review, with its match level."""
    first = f"CAST(date_trunc('month', {LEFT}) + INTERVAL 1 MONTH AS DATE)"
    last = "CAST(date_trunc('month', x.opening - INTERVAL 1 DAY) AS DATE)"
    window = f"greatest(p.month_from, {first}) <= least(p.month_to, {last})"
    return f"""
        SELECT class_id, id_number, 'PRIOR_EMPLOYMENT', arg_min(level, fuzzy),
               json_object('source', 'pension_contributions',
                           'records', list(json_object('key', record_key, 'employer', employer_name,
                                                       'from', month_from, 'to', month_to,
                                                       'match_level', level))),
               bool_and(fuzzy)
        FROM (SELECT *, CASE WHEN fuzzy THEN link END AS level
        FROM (
            -- one pass over the register by block (region + birth date): the trainee's
            -- own records (same ID), and records with an invalid ID whose name matches;
            -- the name comparison (a Python function) runs only for the latter, as CASE
            -- evaluates a branch only for the rows that reach it
            SELECT x.class_id, x.id_number, p.record_key, p.employer_name, p.month_from,
                   p.month_to, p.id_number <> x.id_number AS fuzzy,
                   CASE WHEN p.id_number = x.id_number THEN 'same_id'
                        WHEN NOT {id_valid("id_number", "$as_of", "p")}
                        THEN name_level(p.name, x.person_name) END AS link
            FROM {PEOPLE} x JOIN pension_contributions p
              ON p.id_block = substr(x.id_number, 1, 14)
            WHERE list_contains(x.schemes, p.scheme) AND {window})
        WHERE link IN ('same_id', 'exact', 'variant', 'same_pinyin'))
        GROUP BY class_id, id_number"""


def prior_business() -> str:
    """PRIOR_BUSINESS — a licence held after leaving school and before opening
    (001 §1, §4(三): operator or legal representative; an investor only is a
    review; Shenyang: at most a review, by its policy's severity)."""
    return f"""
        SELECT x.class_id, x.id_number, 'PRIOR_BUSINESS', NULL,
               json_object('source', 'business_licences',
                           'records', list(json_object('key', l.record_key, 'entity', l.entity_name,
                                                       'role', l.role,
                                                       'established_on', l.established_on,
                                                       'deregistered_on', l.deregistered_on))),
               bool_and(l.role = 'investor')
        FROM {PEOPLE} x JOIN business_licences l ON l.id_number = x.id_number
        WHERE {LEFT} IS NOT NULL AND l.established_on < x.opening
          AND (l.deregistered_on IS NULL OR l.deregistered_on > {LEFT})
          AND (x.business_roles IS NULL OR list_contains(x.business_roles, l.role)
               OR l.role = 'investor')
        GROUP BY x.class_id, x.id_number"""


def already_trained_this_year() -> str:
    """ALREADY_TRAINED_THIS_YEAR — another enrolment in this programme starting in
    the same calendar year (000 §1(一), 001 §1); other provinces' records: review."""
    return f"""
        SELECT x.class_id, x.id_number, 'ALREADY_TRAINED_THIS_YEAR', NULL,
               json_object('source', 'training_records',
                           'records', list(json_object('key', t.record_key,
                                                       'region', t.region_code,
                                                       'start', t.start_date))),
               bool_and(t.region_code NOT LIKE '21%')
        FROM {PEOPLE} x JOIN training_records t ON t.id_number = x.id_number
        WHERE t.programme = 'graduate_conversion' AND year(t.start_date) = year(x.opening)
        GROUP BY x.class_id, x.id_number"""


def concurrent_enrolment() -> str:
    """CONCURRENT_ENROLMENT — another class overlapping this one by a day or more
    (000 §1(三); 001 §6(四)); when it is not subsidised training: review."""
    return f"""
        SELECT x.class_id, x.id_number, 'CONCURRENT_ENROLMENT', NULL,
               json_object('source', 'training_records',
                           'records', list(json_object('key', t.record_key,
                                                       'region', t.region_code,
                                                       'start', t.start_date, 'end', t.end_date))),
               NOT bool_or(coalesce(t.subsidised, false))
        FROM {PEOPLE} x JOIN training_records t ON t.id_number = x.id_number
        WHERE t.start_date <= x.ending AND t.end_date >= x.opening
        GROUP BY x.class_id, x.id_number"""


def trainee_blacklisted() -> str:
    """TRAINEE_BLACKLISTED — on the dishonesty list on the opening day (000 §4(四);
    001 §5(四))."""
    return f"""
        SELECT x.class_id, x.id_number, 'TRAINEE_BLACKLISTED', NULL,
               json_object('source', 'dishonesty_list', 'keys', list(d.record_key)), false
        FROM {PEOPLE} x JOIN dishonesty_list d ON d.id_number = x.id_number
        WHERE d.subject_type = 'person' AND d.listed_from <= x.opening
          AND (d.listed_to IS NULL OR d.listed_to >= x.opening)
        GROUP BY x.class_id, x.id_number"""


def own_graduate() -> str:
    """OWN_GRADUATE — a school training its own graduating class (001 §3(一): the
    graduation academic year, rate 1000; 000 §1(三): the school's own 2023
    graduates at the school's venue, block)."""
    return f"""
        SELECT DISTINCT x.class_id, x.id_number, 'OWN_GRADUATE', NULL,
               json_object('source', 'student_status', 'school', s.school_name,
                           'graduated_on', s.graduated_on), false
        FROM {PEOPLE} x
        JOIN institutions i ON i.institution_id = x.institution_id AND i.is_school
        JOIN student_status s ON s.id_number = x.id_number AND s.school_code = i.school_code
        LEFT JOIN venues v ON v.venue_id = x.venue_id
        WHERE (x.academic_year_test AND x.opening BETWEEN make_date(year(s.graduated_on) - 1, 9, 1)
                                                     AND make_date(year(s.graduated_on), 8, 31))
           OR (x.own_graduate_classes IS NOT NULL
               AND list_contains(x.own_graduate_classes, year(s.graduated_on))
               AND coalesce(v.owned, false) AND v.institution_id = i.institution_id)"""


RULES = {
    "NOT_IN_COHORT": not_in_cohort,
    "NOT_FULL_TIME": not_full_time,
    "REGION_INELIGIBLE": region_ineligible,
    "HUKOU_PROOF_REQUIRED": hukou_proof_required,
    "PRIOR_EMPLOYMENT": prior_employment,
    "PRIOR_BUSINESS": prior_business,
    "ALREADY_TRAINED_THIS_YEAR": already_trained_this_year,
    "CONCURRENT_ENROLMENT": concurrent_enrolment,
    "TRAINEE_BLACKLISTED": trainee_blacklisted,
    "OWN_GRADUATE": own_graduate,
}
