"""Who may be trained: the graduate cohort, full-time study and region (POLICY.md
"Trainee eligibility", readings 4–6), judged as of the opening day.

Built once per run (:data:`SETUP`, in order):

* ``_people`` — each trainee of the classes in scope (valid number) with the
  class's parameters and the household register's province (the ID's region
  code only without a household record: reading 5), city and county;
* (within it) each linked study record, marked ``cohort`` when it is a *cohort
  record*: a counted level (the policy's ``levels``), status 毕业 or 在读 (never
  退学), and a graduation date (actual or expected) in the policy's window;
* ``_cohort`` — per trainee: in the cohort, full-time, at a school of the
  province, still at school on the opening day, and the day they left school
  (the latest graduation on or before the opening day among cohort records with
  status 毕业: reading 6).

Every builder selects ``(class_id, id_number, rule_code, match_level, evidence,
review)``.
"""

from __future__ import annotations

GRADUATED = "('graduated', '毕业')"
COUNTED_STATUS = "('graduated', 'enrolled', '毕业', '在读', '在籍')"

# the policy's window for one study record s of trainee x (reading 4)
WINDOW = """(
    (x.left_school_years IS NOT NULL AND list_contains(x.left_school_years, year(s.graduated_on)))
    OR (x.graduating_classes IS NOT NULL AND NOT x.academic_year_test
        AND list_contains(x.graduating_classes, year(s.graduated_on)))
    OR (x.within_years IS NOT NULL AND s.graduated_on <= x.opening
        AND s.graduated_on >= CAST(x.opening - to_years(CAST(x.within_years AS INTEGER)) AS DATE))
    OR (x.graduating_classes IS NOT NULL AND x.academic_year_test AND s.graduated_on > x.opening
        AND list_contains(x.graduating_classes, year(s.graduated_on))
        AND x.opening >= make_date(
            year(s.graduated_on) - CASE WHEN month(s.graduated_on) >= 9 THEN 0 ELSE 1 END,
            9, 1)))"""

PEOPLE = "_people"
# The school's province when the record does not say: a national 学校标识码 of a
# higher-education school is ten digits, 41 and then the province (辽宁大学
# 4121010140, 复旦大学 4131010246); other codes are taken to lead with the province.
SCHOOL_CODE_PROVINCE = """CASE
    WHEN regexp_full_match(s.school_code, '41[0-9]{8}') THEN substr(s.school_code, 3, 2)
    ELSE substr(regexp_replace(s.school_code, '[^0-9]', '', 'g'), 1, 2) END"""
# each linked study record of a trainee, marked ``cohort`` when it is a cohort record
STUDY = f"""SELECT s.class_id, s.person, s.fuzzy, s.link, s.record_key, s.school_name,
               s.school_code, s.level, s.study_mode, s.status, s.graduated_on,
               coalesce(s.school_province, {SCHOOL_CODE_PROVINCE}) AS school_prov,
               coalesce(x.levels IS NULL OR list_contains(x.levels, trim(s.level)), false)
                   AND s.status IN {COUNTED_STATUS} AND s.graduated_on IS NOT NULL
                   AND coalesce({WINDOW}, false) AS cohort,
               s.status IN {GRADUATED} AS graduated
        FROM _l_student s JOIN {PEOPLE} x ON x.class_id = s.class_id AND x.id_number = s.person"""
SETUP = {
    PEOPLE: """
        SELECT t.class_id, t.id_number, t.roster_name, c.region_code, c.major, c.level,
               p.* EXCLUDE (class_id), h.province_code AS household_province,
               h.city_code AS household_city, h.county_code AS household_county,
               coalesce(h.province_code, substr(t.id_number, 1, 2)) AS hukou,
               t.class_id IN (SELECT class_id FROM _payout_classes) AS in_payout
        FROM _trainees t JOIN _class_params p USING (class_id) JOIN classes c USING (class_id)
        LEFT JOIN (SELECT class_id, person, min(province_code) AS province_code,
                          arg_min(city_code, province_code) AS city_code,
                          arg_min(county_code, province_code) AS county_code
                   FROM _l_household GROUP BY class_id, person) h
          ON h.class_id = t.class_id AND h.person = t.id_number""",
    "_cohort": f"""
        WITH s AS ({STUDY})
        SELECT x.class_id, x.id_number, count(s.person) AS records,
               coalesce(bool_or(NOT s.fuzzy), false) AS exact_records,
               coalesce(bool_or(s.cohort), false) AS in_cohort,
               coalesce(bool_or(s.cohort AND NOT s.fuzzy), false) AS cohort_exact,
               coalesce(bool_or(s.cohort AND s.study_mode = '全日制'), false) AS full_time,
               coalesce(bool_or(s.cohort AND list_contains(x.school_provinces, s.school_prov)),
                        false) AS home_school,
               coalesce(bool_or(s.cohort AND s.graduated_on > x.opening), false) AS at_school,
               max(s.graduated_on) FILTER (s.cohort AND s.graduated
                                           AND s.graduated_on <= x.opening) AS left_on,
               list(DISTINCT s.school_prov) FILTER (s.cohort) AS school_provs,
               list(json_object('key', s.record_key, 'school', s.school_name,
                                'level', s.level, 'mode', s.study_mode, 'status', s.status,
                                'graduated_on', s.graduated_on, 'cohort', s.cohort,
                                'link', s.link)
                    ORDER BY s.graduated_on) FILTER (s.person IS NOT NULL) AS study
        FROM {PEOPLE} x LEFT JOIN s ON s.class_id = x.class_id AND s.person = x.id_number
        GROUP BY x.class_id, x.id_number""",
}

_FROM = f"FROM {PEOPLE} x JOIN _cohort k USING (class_id, id_number)"
_STUDY = "json_object('source', 'student_status', 'records', coalesce(k.study, []))"


def not_in_cohort() -> str:
    """NOT_IN_COHORT — no cohort record (000 §1(一), §3(二)(1); 001 §1, §4(二)): block
    when study records exist; review when there is none at all (a school's 学籍证明
    may stand in) or only records linked by a mistyped number."""
    return f"""
        SELECT x.class_id, x.id_number, 'NOT_IN_COHORT', NULL, {_STUDY}, NOT k.exact_records
        {_FROM} WHERE NOT k.in_cohort"""


def not_full_time() -> str:
    """NOT_FULL_TIME — cohort records, none of them full-time study (000 §1(一); 001 §1)."""
    return f"""
        SELECT x.class_id, x.id_number, 'NOT_FULL_TIME', NULL, {_STUDY}, NOT k.cohort_exact
        {_FROM} WHERE k.in_cohort AND NOT k.full_time"""


def _region(code: str, liaoning_household: bool) -> str:
    household = "list_contains(x.household_provinces, x.hukou)"
    # the household record's city and county, when it is the record cited
    evidence = (
        "json_object('source', CASE WHEN x.household_province IS NULL THEN 'id_region_code' "
        "ELSE 'household_registration' END, 'province', x.hukou, "
        "'city', x.household_city, 'county', x.household_county, "
        "'school_provinces', k.school_provs)"
    )
    when = (
        f"k.in_cohort AND NOT k.home_school AND {household}"
        if liaoning_household
        else f"NOT {household} AND ((k.in_cohort AND NOT k.home_school) OR k.records = 0)"
    )
    return f"""
        SELECT x.class_id, x.id_number, '{code}', NULL, {evidence},
               k.in_cohort AND NOT k.cohort_exact
        {_FROM} WHERE x.household_provinces IS NOT NULL AND {when}"""


def region_ineligible() -> str:
    """REGION_INELIGIBLE — neither the province's household registration nor a cohort
    record at one of its schools; or no study record at all and another province's
    household (reading 5; 000 §1(一); 001 §1)."""
    return _region("REGION_INELIGIBLE", liaoning_household=False)


def hukou_proof_required() -> str:
    """HUKOU_PROOF_REQUIRED — the province's household registration but no cohort
    record at one of its schools: household proof needed (000 §3(二)(3); 001 §4(二)3)."""
    return _region("HUKOU_PROOF_REQUIRED", liaoning_household=True)


RULES = {
    "NOT_IN_COHORT": not_in_cohort,
    "NOT_FULL_TIME": not_full_time,
    "REGION_INELIGIBLE": region_ineligible,
    "HUKOU_PROOF_REQUIRED": hukou_proof_required,
}
