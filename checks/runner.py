"""Running the checks: which rules apply to which class, then stable findings.

``_class_rules`` is built from the policy files — the class's own policy and the
overlays in force for its region on its opening day (Liaoning's online rules
for every Liaoning programme from 2023) — so that a rule that the place's
notice does not set never fires there, and each finding carries the severity,
policy, policy version and clause of the place. Findings are keyed by
(stage, class, person, rule): re-running on unchanged data creates nothing new;
a finding whose facts no longer hold is marked resolved.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb
import polars as pl

from checks import adapter, classes, eligibility, identity, payout
from crosscheck import idnumber, names, policy
from crosscheck.ingest.sql import id_valid
from crosscheck.regions import province_codes
from crosscheck.workdays import Calendar, calendar

STAGES = {
    "identity": identity.RULES,
    "opening": {**eligibility.RULES, **classes.RULES},
    "payout": payout.RULES,
}
# temp tables a stage's rules share, built once per run before them
SETUP: dict[str, dict[str, str]] = {
    "identity": {},
    "opening": eligibility.SETUP,
    "payout": payout.SETUP,
}


@dataclass
class RunSummary:
    run_id: str
    stage: str
    found: int
    new: int
    resolved: int


def prepare_udfs(con: duckdb.DuckDBPyConnection) -> None:
    """Register the Python functions the rules call (names, masking) on ``con``."""
    try:
        con.create_function(
            "name_level",
            lambda a, b: names.compare(a or "", b or "").level.value,
            ["VARCHAR", "VARCHAR"],
            "VARCHAR",
        )
        con.create_function("mask_id", lambda x: idnumber.mask(x or ""), ["VARCHAR"], "VARCHAR")
    except duckdb.Error:  # already registered on this connection
        pass


_ONLY = " WHERE $ids IS NULL OR list_contains($ids, class_id)"


@functools.lru_cache(maxsize=4096)
def _overlays(region: str, opening: dt.date, policy_id: str) -> list[policy.Policy]:
    """The jurisdiction-wide policies in force for a class besides its own (cached:
    a province has thousands of classes but few places and opening days)."""
    return [
        p for p in policy.in_force(region, opening) if p.programme is None and p.id != policy_id
    ]


def class_rules(con: duckdb.DuckDBPyConnection, class_ids: list[str] | None = None) -> None:
    """(Re)build ``_class_rules``: one row per class (all, or the given ones) and rule
    that applies to it."""
    classes = con.execute(
        "SELECT class_id, policy_id, region_code, planned_start FROM classes" + _ONLY,
        {"ids": class_ids},
    ).fetchall()
    # the rules depend on the class only through its policy and the overlays in force:
    # build them once per such combination, then give each class its combination
    keys: dict[tuple[str, ...], int] = {}
    assigned = []
    for class_id, policy_id, region, opening in classes:
        chain = (policy_id, *(p.id for p in _overlays(region, opening, policy_id)))
        assigned.append((class_id, keys.setdefault(chain, len(keys))))
    rows = []
    for chain, key in keys.items():
        seen: set[str] = set()
        for p in (policy.get(i) for i in chain):
            for code, setting in p.rules.items():
                if code not in seen:
                    seen.add(code)
                    rows.append(
                        (key, code, setting.severity.value, p.id, p.version, setting.source)
                    )
    frame = pl.DataFrame(
        rows,
        schema=["_key", "rule_code", "severity", "policy_id", "policy_version", "clause"],
        orient="row",
    )
    con.register(
        "_class_keys", pl.DataFrame(assigned, schema=["class_id", "_key"], orient="row").to_arrow()
    )
    con.register("_rules_frame", frame.to_arrow())
    adapter.run(
        con,
        "class rules",
        """
        CREATE OR REPLACE TEMP TABLE _class_rules AS
        SELECT k.class_id, r.* EXCLUDE (_key)
        FROM _class_keys k JOIN _rules_frame r USING (_key)""",
    )
    con.unregister("_rules_frame")
    con.unregister("_class_keys")


_ROLES = {"个体工商户经营者": "operator", "企业法定代表人": "legal_representative"}


def class_params(con: duckdb.DuckDBPyConnection, class_ids: list[str] | None = None) -> None:
    """(Re)build ``_class_params``: each class's dates, its policy's thresholds (null
    where the policy sets none) and its calendar answers (allowed opening day,
    filing deadline) — computed once per class, then used set-wise."""
    cal = calendar()
    rows = []
    query = (
        "SELECT class_id, policy_id, region_code, planned_start, planned_end, category FROM classes"
        + _ONLY
    )
    found = con.execute(query, {"ids": class_ids}).fetchall()
    for class_id, policy_id, region, opening, ending, category in found:
        chosen = policy.get(policy_id)
        overlays = _overlays(region, opening, policy_id)
        rows.append(
            _params(class_id, chosen, overlays, opening, category, cal)
            | _payout_params(chosen, overlays, ending, cal)
        )
    frame = pl.DataFrame(rows, schema=_PARAMS)
    con.register("_params_frame", frame.to_arrow())
    adapter.run(
        con,
        "class params",
        """
        CREATE OR REPLACE TEMP TABLE _class_params AS
        SELECT p.*, c.planned_start AS opening, c.planned_end AS ending, c.institution_id,
               c.venue_id
        FROM _params_frame p JOIN classes c USING (class_id)""",
    )
    con.unregister("_params_frame")


_PARAMS: dict[str, Any] = {
    "class_id": pl.String,
    "left_school_years": pl.List(pl.Int64),
    "within_years": pl.Int64,
    "graduating_classes": pl.List(pl.Int64),
    "academic_year_test": pl.Boolean,
    "household_provinces": pl.List(pl.String),
    "school_provinces": pl.List(pl.String),
    "schemes": pl.List(pl.String),
    "business_roles": pl.List(pl.String),
    "own_graduate_classes": pl.List(pl.Int64),
    "max_trainees": pl.Int64,
    "allowed_opening": pl.Boolean,
    "next_allowed_opening": pl.Date,
    "programme_end": pl.Date,
    "latest_filing": pl.Date,
    "own_venue_required": pl.Boolean,
    "min_hours_per_day": pl.Int64,
    "category_minimum": pl.Int64,
    "min_practice_share": pl.Float64,
    "max_online_share": pl.Float64,
    "project_required": pl.Boolean,
    "latest_acceptance": pl.Date,
    "individual_min_rate": pl.Float64,
    "class_check_min_rate": pl.Float64,
    "evidence_required": pl.List(pl.String),
    "online_evidence": pl.List(pl.String),
    "certification_mode": pl.String,
    "provincial_required_for": pl.String,
    "rate_basis": pl.String,
    "class_check_deduction": pl.Float64,
    "violation_percent": pl.Boolean,
}


def _value(param: Any) -> Any:
    return param.value if param is not None else None


def _payout_params(
    chosen: policy.Policy, overlays: list[policy.Policy], ending: dt.date, cal: Calendar
) -> dict[str, Any]:
    every = [chosen, *overlays]
    a, pay = chosen.attendance, chosen.payout
    lead = _value(pay.acceptance_lead_working_days)
    online = next(
        (
            p.attendance.online_evidence_required
            for p in every
            if p.attendance.online_evidence_required
        ),
        None,
    )
    system = next(
        (
            p.payout.provincial_system_required_for
            for p in every
            if p.payout.provincial_system_required_for
        ),
        None,
    )
    return {
        "latest_acceptance": cal.add_workdays(ending, -lead) if lead else None,
        "individual_min_rate": float(a.individual_min_rate.value)
        if a.individual_min_rate
        else None,
        "class_check_min_rate": float(a.class_check_min_rate.value)
        if a.class_check_min_rate
        else None,
        "evidence_required": _value(a.evidence_required),
        "online_evidence": _value(online),
        "certification_mode": _value(pay.certification_subsidy),
        "provincial_required_for": _value(system),
        "rate_basis": _value(pay.rate_basis),
        "class_check_deduction": float(a.class_check_deduction.value)
        if a.class_check_deduction
        else None,
        "violation_percent": _value(pay.violation_deduction) == "percent_of_proposed",
    }


def _params(
    class_id: str,
    chosen: policy.Policy,
    overlays: list[policy.Policy],
    opening: dt.date,
    category: str | None,
    cal: Calendar,
) -> dict[str, Any]:
    c, k = chosen.cohort, chosen.class_rules
    online = next(
        (
            p.class_rules.max_online_share_practical
            for p in overlays
            if p.class_rules.max_online_share_practical
        ),
        None,
    )
    days = _value(k.opening_days_of_month)
    answer = cal.opening_day(opening, days) if days else None
    lead = _value(k.filing_lead_working_days)
    minimums = _value(k.min_total_hours_by_category) or {}
    test = _value(c.graduating_class_test)
    return {
        "class_id": class_id,
        "left_school_years": _value(c.left_school_years),
        "within_years": _value(c.left_school_within_years),
        "graduating_classes": _value(c.graduating_classes),
        "academic_year_test": test == "graduation_academic_year",
        "household_provinces": _value(c.household_provinces),
        "school_provinces": _value(c.school_provinces),
        "schemes": _value(c.prior_employment_schemes),
        "business_roles": [_ROLES[r] for r in c.prior_business_roles.value]
        if c.prior_business_roles
        else None,
        "own_graduate_classes": _value(k.own_graduate_blocked_classes),
        "max_trainees": _value(k.max_trainees),
        "allowed_opening": answer.allowed if answer else None,
        "next_allowed_opening": answer.next_opening if answer else None,
        "programme_end": _value(k.programme_end),
        "latest_filing": cal.add_workdays(opening, -lead) if lead else None,
        "own_venue_required": bool(_value(k.own_venue_required)),
        "min_hours_per_day": _value(k.min_class_hours_per_day),
        "category_minimum": minimums.get(category) if category else None,
        "min_practice_share": float(k.min_practice_share.value) if k.min_practice_share else None,
        "max_online_share": float(online.value) if online else None,
        "project_required": bool(_value(k.project_must_be_published)),
    }


def run(
    con: duckdb.DuckDBPyConnection,
    stage: str,
    run_id: str,
    *,
    as_of: dt.date,
    class_ids: list[str] | None = None,
) -> RunSummary:
    """Run one stage's rules for every class (or the given ones) and record the findings."""
    return run_stages(con, [stage], run_id, as_of=as_of, class_ids=class_ids)[0]


def run_stages(
    con: duckdb.DuckDBPyConnection,
    stages: list[str],
    run_id: str,
    *,
    as_of: dt.date,
    class_ids: list[str] | None = None,
) -> list[RunSummary]:
    """Run stages in order for every class (or the given ones), preparing the classes'
    rules and parameters once."""
    prepare_udfs(con)
    adapter.run(
        con,
        "provinces",
        "CREATE OR REPLACE TEMP TABLE _provinces AS SELECT unnest($codes) AS code",
        {"codes": sorted(province_codes())},
    )
    class_rules(con, class_ids)
    class_params(con, class_ids)
    if class_ids is None:
        adapter.run(
            con, "scope", "CREATE OR REPLACE TEMP TABLE _scope AS SELECT class_id FROM classes"
        )
    else:
        adapter.run(
            con,
            "scope",
            "CREATE OR REPLACE TEMP TABLE _scope AS SELECT unnest($ids) AS class_id",
            {"ids": class_ids},
        )
    # the rosters in scope, each number's validity computed once for every rule
    adapter.run(
        con,
        "roster",
        f"""
        CREATE OR REPLACE TEMP TABLE _roster AS
        SELECT r.*, {id_valid("id_number", "$as_of", "r")} AS id_ok
        FROM roster_entries r JOIN _scope USING (class_id)""",
        {"as_of": as_of},
    )
    with narrowed(con):
        _registered(con)
        return [_stage(con, stage, run_id, as_of) for stage in stages]


def _registered(con: duckdb.DuckDBPyConnection) -> None:
    """Add each roster row's household-register name, province and provenance to
    ``_roster`` — one join for every rule that needs them (after narrowing)."""
    adapter.run(
        con,
        "roster: household",
        """
        CREATE OR REPLACE TEMP TABLE _roster AS
        SELECT r.*, h.name AS registered_name, h.province_code AS registered_province,
               h._extract AS registered_extract
        FROM _roster r LEFT JOIN household_registration h ON h.id_number = r.id_number""",
    )


# Registries keyed by person, and the rows of each that are not (institutions on the
# dishonesty list): what ``narrowed`` copies for a run over a few classes.
PERSON_KEYED = {
    "household_registration": None,
    "student_status": None,
    "pension_contributions": None,
    "business_licences": None,
    "training_records": None,
    "dishonesty_list": "subject_type <> 'person'",
}
# Above this many trainees, one scan with a semi-join beats index lookups.
_MAX_LOOKUPS = 3000


def _literals(values: list[str]) -> str:
    """An SQL IN list of string literals (DuckDB uses an ART index for a literal IN
    list, not for a parameter list or a subquery)."""
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


@contextmanager
def narrowed(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """For a run: shadow each person-keyed registry with a temp table of the rows
    that can concern the classes' trainees — the same ID number,
    and in the pension register also the same region and birth date (the first 14
    characters, the fuzzy links' blocking key, stored as ``id_block``). The lookups
    use the ART indexes of migration 0003, so a one-class check reads a few hundred
    rows instead of scanning the registries; a run over many classes reads each
    registry once (a semi-join) instead of once per rule. Results are identical
    (tested)."""
    ids = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT id_number FROM _roster WHERE id_number IS NOT NULL ORDER BY 1"
        ).fetchall()
    ]
    lookups = len(ids) <= _MAX_LOOKUPS
    blocks = sorted({i[:14] for i in ids})
    made = []
    try:
        for table, keep in PERSON_KEYED.items():
            if not lookups and table == "household_registration":
                continue  # read once anyway (``_registered``): a copy would read it twice
            column, values = (
                ("id_block", blocks) if table == "pension_contributions" else ("id_number", ids)
            )
            if not lookups:  # a large scope: one scan with a semi-join instead
                source = "substr(id_number, 1, 14)" if column == "id_block" else "id_number"
                where = f"{column} IN (SELECT DISTINCT {source} FROM _roster)"
            elif values:
                where = f"{column} IN ({_literals(values)})"
            else:
                where = "false"
            parts = [f"SELECT * FROM main.{table} WHERE {where}"]
            if keep:
                parts.append(f"SELECT * FROM main.{table} WHERE {keep}")
            adapter.run(
                con,
                f"narrow: {table}",
                f"CREATE OR REPLACE TEMP TABLE {table} AS {' UNION ALL '.join(parts)}",
            )
            made.append(table)
        yield
    finally:
        for table in made:
            con.execute(f"DROP TABLE IF EXISTS temp.main.{table}")


def _stage(con: duckdb.DuckDBPyConnection, stage: str, run_id: str, as_of: dt.date) -> RunSummary:
    rules = STAGES[stage]
    adapter.run(
        con,
        "found",
        """
        CREATE OR REPLACE TEMP TABLE _found (class_id VARCHAR, id_number VARCHAR,
            rule_code VARCHAR, match_level VARCHAR, evidence JSON, review BOOLEAN)""",
    )
    for name, sql in SETUP[stage].items():
        params = {"as_of": as_of} if "$as_of" in sql else None
        adapter.run(con, f"setup: {name}", f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}", params)
    # only the rules that apply to some class in scope (all of them on a full run)
    applicable = {
        r[0] for r in con.execute("SELECT DISTINCT rule_code FROM _class_rules").fetchall()
    }
    built = {code: build() for code, build in rules.items() if code in applicable}
    # One statement for all of the stage's rules: DuckDB plans it once and runs the
    # branches side by side (a one-class check is mostly per-statement overhead).
    # Should it fail, the rules run one by one so that the error names the rule.
    union = " UNION ALL ".join(f"({sql})" for sql in built.values())
    try:
        if union:
            params = {"as_of": as_of} if "$as_of" in union else None
            con.execute(f"INSERT INTO _found {union}", params)
    except duckdb.Error:
        con.execute("DELETE FROM _found")
        for code, sql in built.items():
            params = {"as_of": as_of} if "$as_of" in sql else None
            adapter.run(con, code, f"INSERT INTO _found {sql}", params)
    review = ", ".join(f"'{level}'" for level in identity.REVIEW_LEVELS)
    # a rule's own "review" variant (no record, investor only, another province, fuzzy link)
    now = dt.datetime.now().replace(microsecond=0)
    adapter.run(
        con,
        "rated",
        f"""
        CREATE OR REPLACE TEMP TABLE _rated AS
        SELECT md5(concat_ws('|', $stage, f.class_id, coalesce(f.id_number, ''), f.rule_code))
                   AS finding_id,
               f.* EXCLUDE (review), CASE WHEN f.match_level IN ({review}) OR f.review
                   THEN 'review' ELSE r.severity END AS severity,
               r.policy_id, r.policy_version, r.clause
        FROM _found f JOIN _class_rules r USING (class_id, rule_code)""",
        {"stage": stage},
    )
    found = con.execute("SELECT count(*) FROM _rated").fetchall()[0][0]
    new = con.execute(
        "SELECT count(*) FROM _rated WHERE finding_id NOT IN (SELECT finding_id FROM findings)"
    ).fetchall()[0][0]
    con.execute("BEGIN TRANSACTION")
    try:
        adapter.run(
            con,
            "update",
            """
            UPDATE findings f SET last_run_id = $run, last_seen_at = $now, evidence = r.evidence,
                   severity = r.severity, match_level = r.match_level, resolved_at = NULL,
                   policy_version = r.policy_version
            FROM _rated r WHERE f.finding_id = r.finding_id""",
            {"run": run_id, "now": now},
        )
        adapter.run(
            con,
            "insert",
            """
            INSERT INTO findings (finding_id, stage, class_id, id_number, rule_code, severity,
                policy_id, policy_version, clause, match_level, evidence, first_run_id,
                last_run_id, first_seen_at, last_seen_at)
            SELECT finding_id, $stage, class_id, id_number, rule_code, severity, policy_id,
                   policy_version, clause, match_level, evidence, $run, $run, $now, $now
            FROM _rated WHERE finding_id NOT IN (SELECT finding_id FROM findings)""",
            {"stage": stage, "run": run_id, "now": now},
        )
        resolved = con.execute(
            """
            UPDATE findings SET resolved_at = $now
            WHERE stage = $stage AND resolved_at IS NULL
              AND class_id IN (SELECT class_id FROM _scope)
              AND finding_id NOT IN (SELECT finding_id FROM _rated)""",
            {"now": now, "stage": stage},
        ).fetchall()[0][0]
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return RunSummary(run_id, stage, int(found), int(new), int(resolved))
