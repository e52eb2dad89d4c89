"""Running the checks: scope, identity resolution, the stages' rules, stable findings.

A run covers every class (or the given ones). It builds the classes' rules and
parameters (:mod:`checks.params`), reads each trainee's registry records once
(:mod:`checks.links`), builds the tables the rules share, runs each stage's rules
as one statement, and writes every stage's findings — and the links the rules
used — in one transaction: a killed run leaves the previous findings whole.
Findings are keyed by (stage, class, person, rule): re-running on unchanged data
creates nothing new; a finding whose facts no longer hold is marked resolved.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import duckdb
import polars as pl

from crosscheck import idnumber, killpoint, names, policy, warehouse
from crosscheck.checks import (
    adapter,
    business,
    classes,
    cohort,
    eligibility,
    employment,
    enrolment,
    identity,
    links,
    params,
    payout,
)
from crosscheck.ingest.sql import id_valid
from crosscheck.regions import province_codes
from crosscheck.workdays import calendar

STAGES = {
    "identity": identity.RULES,
    "opening": {
        **cohort.RULES,
        **employment.OPENING,
        **business.OPENING,
        **enrolment.OPENING,
        **eligibility.RULES,
        **classes.RULES,
    },
    "payout": {**payout.RULES, **employment.PAYOUT, **business.PAYOUT, **enrolment.PAYOUT},
}
# temp tables the rules share, built once per run in this order (after the links)
SETUP = {**payout.SETUP, **cohort.SETUP, **enrolment.SETUP, **classes.SETUP}

# kept for the modules that build a class's parameters without running the rules
class_rules = params.class_rules
class_params = params.class_params


@dataclass
class RunSummary:
    run_id: str
    stage: str
    found: int
    new: int
    resolved: int


def prepare_udfs(con: duckdb.DuckDBPyConnection) -> None:
    """Register the Python functions the rules call (names, masking) on ``con``."""
    warehouse.register_udf(
        con,
        "name_level",
        lambda a, b: names.compare(a or "", b or "").level.value,
        ["VARCHAR", "VARCHAR"],
        "VARCHAR",
    )
    warehouse.register_udf(con, "mask_id", lambda x: idnumber.mask(x or ""), ["VARCHAR"], "VARCHAR")


@functools.lru_cache(maxsize=1)
def _calendar_frame() -> pl.DataFrame:
    cal = calendar()
    years = sorted(cal.sources)
    days = pl.date_range(dt.date(years[0], 1, 1), dt.date(years[-1], 12, 31), eager=True)
    workday = [cal.is_workday(d) for d in days]
    before = [0]  # working days strictly before each day: a count over [a, b) is a subtraction
    for w in workday[:-1]:
        before.append(before[-1] + w)
    return pl.DataFrame({"day": days, "workday": workday, "before": before})


def _reference(con: duckdb.DuckDBPyConnection) -> None:
    """The small tables every run reads, made once per connection: provinces, each
    policy's programme, the working-day calendar."""
    if con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = '_calendar'"
    ).fetchall()[0][0]:
        return
    programmes = pl.DataFrame(
        [(p.id, p.programme) for p in policy.bundled().values()],
        schema=["policy_id", "programme"],
        orient="row",
    )
    provinces = pl.DataFrame({"code": sorted(province_codes())})
    for name, frame in (
        ("_provinces", provinces),
        ("_policy_programmes", programmes),
        ("_calendar", _calendar_frame()),
    ):
        con.register("_frame", frame.to_arrow())
        adapter.run(con, name, f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _frame")
        con.unregister("_frame")


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
    rules, parameters and links once; write every stage's findings in one transaction."""
    found(con, stages, as_of=as_of, class_ids=class_ids)
    return write(con, stages, run_id)


def found(
    con: duckdb.DuckDBPyConnection,
    stages: list[str],
    *,
    as_of: dt.date,
    class_ids: list[str] | None = None,
) -> None:
    """Everything :func:`run_stages` does but the writing: the scope, the links and
    the stages' findings in the temp tables ``_scope``, ``_l_*`` and ``_rated``
    (a partition of a partitioned run returns them; :mod:`checks.partition`)."""
    prepare_udfs(con)
    _reference(con)
    params.class_rules(con, class_ids)
    params.class_params(con, class_ids)
    if class_ids is None:
        adapter.run(  # a class whose personal data was purged (retention) is left alone
            con,
            "scope",
            "CREATE OR REPLACE TEMP TABLE _scope AS SELECT class_id FROM classes "
            "WHERE class_id NOT IN (SELECT class_id FROM purged_classes)",
        )
    else:
        adapter.run(
            con,
            "scope",
            "CREATE OR REPLACE TEMP TABLE _scope AS SELECT unnest($ids) AS class_id",
            {"ids": class_ids},
        )
    # the rosters in scope, each number's validity computed once for every rule: for a
    # few classes by the reference implementation (crosscheck.idnumber; the SQL form
    # agrees with it, tested), for many set-wise in SQL
    if class_ids is not None and len(class_ids) <= SMALL_SCOPE:
        numbers = con.execute(
            "SELECT DISTINCT id_number FROM roster_entries WHERE list_contains($ids, class_id)",
            {"ids": class_ids},
        ).fetchall()
        valid = [n for (n,) in numbers if n and idnumber.check(n, as_of=as_of).valid]
        valid = [n for n in valid if len(n) == 18]  # stored numbers are upgraded already
        ok = f"r.id_number IN ({links.literals(valid)})" if valid else "false"
    else:
        ok = id_valid("id_number", "$as_of", "r")
    adapter.run(
        con,
        "roster",
        f"""
        CREATE OR REPLACE TEMP TABLE _roster AS
        SELECT r.*, coalesce({ok}, false) AS id_ok
        FROM roster_entries r JOIN _scope USING (class_id)""",
        {"as_of": as_of} if "$as_of" in ok else None,
    )
    links.setup(con)
    for name, sql in SETUP.items():
        if name == payout.CLASSES and "payout" not in stages:
            sql = "SELECT class_id FROM _scope WHERE false"  # no payout rules to feed
        values = {"as_of": as_of} if "$as_of" in sql else None
        adapter.run(con, f"setup: {name}", f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}", values)
    _found(con, stages, as_of)


# A run over this many classes or fewer (an on-demand check) checks the roster's
# numbers in Python: a few dozen numbers, no 17-term SQL expression to plan.
SMALL_SCOPE = 20

# The registries keyed by person: the rules read them only through the links
# (:mod:`checks.links`), never whole.
PERSON_KEYED = tuple(links.REGISTRIES)


def _found(con: duckdb.DuckDBPyConnection, stages: list[str], as_of: dt.date) -> None:
    """Run the stages' rules into ``_rated``: finding rows with their stage, severity,
    policy and clause (nothing written yet)."""
    adapter.run(
        con,
        "found",
        """
        CREATE OR REPLACE TEMP TABLE _found (stage VARCHAR, class_id VARCHAR,
            id_number VARCHAR, rule_code VARCHAR, match_level VARCHAR, evidence JSON,
            review BOOLEAN)""",
    )
    # only the rules that apply to some class in scope (all of them on a full run)
    applicable = {
        r[0] for r in con.execute("SELECT DISTINCT rule_code FROM _class_rules").fetchall()
    }
    built = {
        (stage, code): build()
        for stage in stages
        for code, build in STAGES[stage].items()
        if code in applicable
    }
    # One statement for all the stages' rules: DuckDB plans it once and runs the
    # branches side by side (a one-class check is mostly per-statement overhead).
    # Should it fail, the rules run one by one so that the error names the rule.
    union = " UNION ALL ".join(
        f"(SELECT '{stage}', * FROM ({sql}))" for (stage, _), sql in built.items()
    )
    try:
        if union:
            values = {"as_of": as_of} if "$as_of" in union else None
            con.execute(f"INSERT INTO _found {union}", values)
    except duckdb.Error:
        con.execute("DELETE FROM _found")
        for (stage, code), sql in built.items():
            values = {"as_of": as_of} if "$as_of" in sql else None
            adapter.run(con, code, f"INSERT INTO _found SELECT '{stage}', * FROM ({sql})", values)
    review = ", ".join(f"'{level}'" for level in identity.REVIEW_LEVELS)
    # a rule's own "review" variant (no record, investor only, another province, a
    # record linked by a mistyped number, a near-identical name)
    adapter.run(
        con,
        "rated",
        f"""
        CREATE OR REPLACE TEMP TABLE _rated AS
        SELECT md5(concat_ws('|', f.stage, f.class_id, coalesce(f.id_number, ''), f.rule_code))
                   AS finding_id,
               f.* EXCLUDE (review), CASE WHEN f.match_level IN ({review}) OR f.review
                   THEN 'review' ELSE r.severity END AS severity,
               r.policy_id, r.policy_version, r.clause
        FROM _found f JOIN _class_rules r USING (class_id, rule_code)""",
    )


def write(
    con: duckdb.DuckDBPyConnection,
    stages: list[str],
    run_id: str,
    linked: str | None = None,
) -> list[RunSummary]:
    """Record every stage's findings and the run's links, in one transaction: new ones
    inserted, known ones refreshed, those no longer found in scope resolved. The
    links are those of this connection's ``_l_*`` tables, or the rows of the table
    ``linked`` (a partitioned run's, gathered from its partitions)."""
    now = dt.datetime.now().replace(microsecond=0)
    counts = {
        stage: (int(found), int(new))
        for stage, found, new in con.execute(
            "SELECT stage, count(*), count(*) FILTER (finding_id NOT IN "
            "(SELECT finding_id FROM findings)) FROM _rated GROUP BY stage"
        ).fetchall()
    }
    con.execute("BEGIN TRANSACTION")
    try:
        adapter.run(
            con,
            "refresh",
            """
            UPDATE findings f SET last_run_id = $run, last_seen_at = $now, evidence = r.evidence,
                   severity = r.severity, match_level = r.match_level, resolved_at = NULL,
                   policy_version = r.policy_version
            FROM _rated r WHERE f.finding_id = r.finding_id""",
            {"run": run_id, "now": now},
        )
        adapter.run(
            con,
            "record",
            """
            INSERT INTO findings (finding_id, stage, class_id, id_number, rule_code, severity,
                policy_id, policy_version, clause, match_level, evidence, first_run_id,
                last_run_id, first_seen_at, last_seen_at)
            SELECT finding_id, stage, class_id, id_number, rule_code, severity, policy_id,
                   policy_version, clause, match_level, evidence, $run, $run, $now, $now
            FROM _rated WHERE finding_id NOT IN (SELECT finding_id FROM findings)""",
            {"run": run_id, "now": now},
        )
        resolved = dict(
            con.execute(
                """
                WITH gone AS (
                    UPDATE findings SET resolved_at = $now
                    WHERE list_contains($stages, stage) AND resolved_at IS NULL
                      AND class_id IN (SELECT class_id FROM _scope)
                      AND finding_id NOT IN (SELECT finding_id FROM _rated)
                    RETURNING stage)
                SELECT stage, count(*) FROM gone GROUP BY stage""",
                {"now": now, "stages": stages},
            ).fetchall()
        )
        links.record(con, run_id, linked)
        killpoint.here("check.commit")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return [
        RunSummary(run_id, stage, *counts.get(stage, (0, 0)), int(resolved.get(stage, 0)))
        for stage in stages
    ]
