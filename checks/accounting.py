"""The subsidy accounting table (补贴核算表, 001 annex 8) from the findings.

For each class in the payout stage whose policy sets a rate basis (Fushun: per
person, by the certificate obtained, own graduates at their own rate; Shenyang:
by major), one row per rate, highest first (POLICY.md "Subsidy accounting"):
people opened, the annex's exclusion columns (each person counted once, in the
annex's order, then 其他原因 for any other trainee-level block or exclude that
stands — an overridden finding does not), subsidised people, the proposed amount
= people × rate × months, the attendance deduction (2 % of the row's proposed
amount per check below 80 %, Fushun) and the violation deduction (its
percentage of the row's proposed amount), all in integer fen, halves rounded up;
the class's figures are the sums of its rows.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from crosscheck import policy
from crosscheck.checks import adapter, payout
from crosscheck.checks.classes import directory_major

COLUMNS = [
    ("DROPPED_OUT", "dropped_out"),
    ("EMPLOYED_DURING_TRAINING", "social_insurance"),
    ("EXAM_FAILED", "exam_failed"),
    ("EXAM_ABSENT", "exam_absent"),
    ("MATERIALS_INCOMPLETE", "materials_failed"),
]
# a block or exclude finding on a trainee excludes them, except the one that refuses
# only the separate certification payment (POLICY.md "Subsidy accounting")
NOT_EXCLUDING = ("DUPLICATE_CERTIFICATION_SUBSIDY",)


# a class's accounting in one row, as the dashboard publishes it and a purge keeps it
SUMMARY = (
    "class_id",
    "opened",
    "subsidised",
    "proposed_fen",
    "total_deduction_fen",
    "actual_fen",
    "payable",
)


def compute(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pl.DataFrame:
    """The table for every class in scope that is in the payout stage on ``as_of`` and
    whose policy sets a rate basis: one row per class — the sums of its rows by rate,
    ``rows`` (those rows, highest rate first, each with its own counts and money) and
    ``by_rate`` ([rate, subsidised, proposed] per rate). Run the checks' stages first
    (it reads the findings and the runner's ``_class_params`` and ``_scope``)."""
    rates = [
        (p.id, kind, yuan * 100)
        for p in policy.bundled().values()
        if p.payout.rates_yuan_per_month
        for kind, yuan in p.payout.rates_yuan_per_month.value.items()
    ]
    con.register(
        "_rates",
        pl.DataFrame(rates, schema=["policy_id", "kind", "rate_fen"], orient="row").to_arrow(),
    )
    adapter.run(
        con,
        "accounting: scope",
        f"""
        CREATE OR REPLACE TEMP TABLE _payout_scope AS
        SELECT x.* FROM {payout.CLASSES_SQL} x WHERE x.rate_basis IS NOT NULL""",
        {"as_of": as_of},
    )
    _people(con)
    _by_rate(con)
    counts = ", ".join(f"CAST(sum({c}) AS BIGINT) AS {c}" for c in [*TABLE_COUNTS, *MONEY])
    row_fields = ", ".join(
        f"{c} := r.{c}"
        for c in ["rate_fen", *TABLE_COUNTS, *MONEY, "attendance_deduction_rate", "violation_rate"]
    )
    table = con.sql(f"""
        WITH blocks AS (SELECT class_id,
                               bool_and(rule_code = 'NOTICE_PERIOD_INCOMPLETE') AS only_payment,
                               list(DISTINCT rule_code ORDER BY rule_code) AS codes
                        FROM findings
                        WHERE id_number IS NULL AND severity = 'block' AND resolved_at IS NULL
                          AND finding_id NOT IN (SELECT finding_id FROM overrides)
                        GROUP BY class_id)
        SELECT r.class_id, any_value(s.policy_id) AS policy_id, {counts},
               any_value(s.months) AS months,
               any_value(r.attendance_checks_below) AS attendance_checks_below,
               any_value(r.attendance_deduction_rate) AS attendance_deduction_rate,
               any_value(r.violation_rate) AS violation_rate,
               any_value(b.class_id) IS NULL AS payable,
               -- the class-level blocks that stop the payment (the 核算表 says why)
               coalesce(any_value(b.codes), []) AS blocked_by,
               -- a block on the payment itself (paid before the notice ran out) does
               -- not keep the class out of the notice
               any_value(b.class_id) IS NULL OR coalesce(any_value(b.only_payment), false)
                   AS noticeable,
               list([r.rate_fen, r.subsidised, r.proposed_fen] ORDER BY r.rate_fen DESC NULLS LAST)
                   AS by_rate,
               list(struct_pack({row_fields}) ORDER BY r.rate_fen DESC NULLS LAST) AS rows
        FROM _acc_rows r JOIN _payout_scope s USING (class_id)
        LEFT JOIN blocks b USING (class_id)
        GROUP BY r.class_id ORDER BY r.class_id""").to_arrow_table()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


# the annex's counts, then crosscheck's 其他原因, per row and in all
TABLE_COUNTS = ["opened", *(c for _, c in COLUMNS), "other_excluded", "subsidised"]
MONEY = [
    "proposed_fen",
    "attendance_deduction_fen",
    "violation_deduction_fen",
    "total_deduction_fen",
    "actual_fen",
]


def _people(con: duckdb.DuckDBPyConnection) -> None:
    """``_acc_rated``: each trainee of the classes in scope — their exclusion column
    (the first of the annex's five that applies, else 其他原因; null: subsidised),
    reasons and rate (POLICY.md "Subsidy accounting")."""
    order = " ".join(
        f"WHEN bool_or(f.rule_code = '{code}' AND f.severity = 'exclude') THEN '{column}'"
        for code, column in COLUMNS
    )
    skip = ", ".join(f"'{c}'" for c in NOT_EXCLUDING)
    adapter.run(
        con,
        "accounting: people",
        f"""
        CREATE OR REPLACE TEMP TABLE _acc_people AS
        SELECT r.class_id, r.id_number,
               CASE {order}
                    WHEN bool_or(f.severity IN ('block', 'exclude') AND f.rule_code NOT IN ({skip}))
                    THEN 'other_excluded'
                    -- an appeal not yet decided holds the trainee's payment (issue 15)
                    WHEN r.id_number IN (SELECT id_number FROM appeals_open a
                                         WHERE a.class_id = r.class_id)
                    THEN 'other_excluded' END AS excluded,
               bool_or(f.rule_code = 'OWN_GRADUATE') AS own_graduate,
               list(DISTINCT f.rule_code ORDER BY f.rule_code)
                   FILTER (f.severity IN ('block', 'exclude')) AS reasons
        FROM (SELECT DISTINCT class_id, id_number FROM roster_entries) r
        JOIN _payout_scope USING (class_id)
        LEFT JOIN findings f ON f.class_id = r.class_id AND f.id_number = r.id_number
             AND f.resolved_at IS NULL
             AND f.finding_id NOT IN (SELECT finding_id FROM overrides)
        GROUP BY r.class_id, r.id_number""",
    )
    # Fushun: 1000 for an own graduating-year student, else by the certificate obtained
    # (passed), else the directory's rate for the class's major; Shenyang: by major
    adapter.run(
        con,
        "accounting: rates",
        f"""
        CREATE OR REPLACE TEMP TABLE _acc_rated AS
        SELECT p.*, c.policy_id, c.months,
               CASE WHEN c.rate_basis = 'certificate' THEN
                        coalesce(CASE WHEN p.own_graduate THEN
                                 (SELECT rate_fen FROM _rates r WHERE r.policy_id = c.policy_id
                                  AND r.kind = 'own_graduate') END,
                                 (SELECT max(r.rate_fen) FROM _rates r JOIN exam_results e
                                    ON r.kind = e.certificate_type
                                  WHERE r.policy_id = c.policy_id AND e.class_id = p.class_id
                                    AND e.id_number = p.id_number AND e.status = 'passed'),
                                 m.rate_fen_per_month)
                    ELSE m.rate_fen_per_month END AS rate_fen
        FROM _acc_people p JOIN _payout_scope c USING (class_id)
        {directory_major("c")}""",
    )


def _by_rate(con: duckdb.DuckDBPyConnection) -> None:
    """``_acc_rows``: one row per class and rate — its own counts, proposed amount and
    deductions (2 % of the row's proposed amount per attendance check below 80 %, the
    violation percentages of it), each rounded half up to the fen; the actual amount
    never below zero."""
    counts = ", ".join(
        f"count(*) FILTER (excluded = '{c}') AS {c}"
        for c in [c for _, c in COLUMNS] + ["other_excluded"]
    )
    adapter.run(
        con,
        "accounting: rows",
        f"""
        CREATE OR REPLACE TEMP TABLE _acc_rows AS
        WITH people AS (
            SELECT class_id, rate_fen, count(*) AS opened, {counts},
                   count(*) FILTER (excluded IS NULL) AS subsidised, any_value(months) AS months,
                   coalesce(CAST(sum(rate_fen * months) FILTER (excluded IS NULL) AS BIGINT), 0)
                       AS proposed_fen
            FROM _acc_rated GROUP BY class_id, rate_fen),
        checks AS (
            SELECT s.class_id, count(k.checked_on) AS below
            FROM _payout_scope s LEFT JOIN attendance_checks k ON k.class_id = s.class_id
                 AND s.class_check_min_rate IS NOT NULL
                 AND CAST(k.present AS DECIMAL(18, 4)) < k.enrolled * s.class_check_min_rate
            GROUP BY s.class_id),
        vio AS (SELECT class_id, sum(deduction_rate) AS rate FROM violations GROUP BY class_id),
        shares AS (
            SELECT p.*, coalesce(c.below, 0) AS attendance_checks_below,
                   CAST(coalesce(s.class_check_deduction, 0) * coalesce(c.below, 0)
                        AS DECIMAL(10, 4)) AS attendance_deduction_rate,
                   CAST(CASE WHEN s.violation_percent THEN coalesce(v.rate, 0) ELSE 0 END
                        AS DECIMAL(10, 4)) AS violation_rate
            FROM people p JOIN _payout_scope s USING (class_id)
            LEFT JOIN checks c USING (class_id) LEFT JOIN vio v USING (class_id)),
        money AS (
            SELECT *,
                   CAST(round(CAST(proposed_fen AS DECIMAL(20, 4)) * attendance_deduction_rate, 0)
                           AS BIGINT) AS attendance_deduction_fen,
                   CAST(round(CAST(proposed_fen AS DECIMAL(20, 4)) * violation_rate, 0) AS BIGINT)
                       AS violation_deduction_fen
            FROM shares)
        SELECT *, attendance_deduction_fen + violation_deduction_fen AS total_deduction_fen,
               greatest(proposed_fen - attendance_deduction_fen - violation_deduction_fen, 0)
                   AS actual_fen
        FROM money""",
    )


def rows(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The rows by rate of the classes :func:`compute` just filled, highest rate first."""
    table = con.sql(
        "SELECT * FROM _acc_rows ORDER BY class_id, rate_fen DESC NULLS LAST"
    ).to_arrow_table()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def people(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Each trainee of the classes :func:`compute` just filled: name, rate, months,
    the first exclusion column that applies (null: subsidised) and the person's
    share of the proposed amount (rate × months; deductions are the class's)."""
    table = con.sql("""
        SELECT a.class_id, a.id_number, r.name, r.seq, a.excluded, a.reasons, a.own_graduate,
               a.rate_fen, a.months,
               CASE WHEN a.excluded IS NULL THEN CAST(a.rate_fen * a.months AS BIGINT) END
                   AS amount_fen
        FROM _acc_rated a
        JOIN (SELECT class_id, id_number, min(seq) AS seq, min(name) AS name
              FROM roster_entries GROUP BY ALL) r USING (class_id, id_number)
        ORDER BY a.class_id, r.seq""").to_arrow_table()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def describe(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> pl.DataFrame:
    """Add each class's institution, major and dates (the annex's left-hand columns)."""
    con.register("_acc_frame", frame.select("class_id").to_arrow())
    try:
        table = con.sql("""
            SELECT c.class_id, coalesce(i.name, c.institution_id) AS institution, c.major,
                   c.level, c.planned_start, c.planned_end, c.region_code
            FROM classes c JOIN _acc_frame USING (class_id)
            LEFT JOIN institutions i USING (institution_id)""").to_arrow_table()
    finally:
        con.unregister("_acc_frame")
    info = pl.from_arrow(table)
    assert isinstance(info, pl.DataFrame)
    return frame.join(info, on="class_id", how="left").join(
        decided(con, frame["class_id"].to_list()), on="class_id", how="left"
    )


def decided(con: duckdb.DuckDBPyConnection, class_ids: list[str]) -> pl.DataFrame:
    """Per class, the dismissals and overrides in force that the table follows, as the
    核查说明 says them: "班级人数超过上限 经审核准予例外（王科长，2026-12-01：理由）",
    and the appeals waiting for a second reviewer (the trainee's payment held)."""
    from crosscheck.decisions import KINDS, PARTIES
    from crosscheck.idnumber import mask
    from crosscheck.rules import RULES

    rows = con.execute(
        """SELECT f.class_id, f.id_number, f.rule_code, o.kind, o.official, o.decided_at,
                  o.reason
           FROM overrides o JOIN findings f USING (finding_id)
           WHERE list_contains($ids, f.class_id)
           UNION ALL
           SELECT class_id, id_number, rule_code, 'appeal:' || party, recorded_by,
                  recorded_at, grounds
           FROM appeals_open WHERE list_contains($ids, class_id)
           ORDER BY 1, 2 NULLS FIRST, 3""",
        {"ids": class_ids},
    ).fetchall()
    notes: dict[str, list[str]] = {}
    for class_id, number, code, kind, who, when, why in rows:
        title = RULES[code].title if code in RULES else code
        whose = f"{mask(number)} " if number else ""
        if kind.startswith("appeal:"):
            party = PARTIES[kind.split(":", 1)[1]]
            held = "，暂缓拨付" if number else ""
            notes.setdefault(class_id, []).append(
                f"{whose}{title} 有{party}异议待复核{held}（{who} {when:%Y-%m-%d} 登记）"
            )
            continue
        notes.setdefault(class_id, []).append(
            f"{whose}{title} 经审核{KINDS[kind]}（{who}，{when:%Y-%m-%d}"
            + (f"：{why}" if why else "")
            + "）"
        )
    return pl.DataFrame(
        {"class_id": list(notes), "decided": ["；".join(v) for v in notes.values()]},
        schema={"class_id": pl.String, "decided": pl.String},
    )
