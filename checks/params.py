"""Which rules apply to each class, and with which thresholds: built from the
policy files, once per run.

``_class_rules`` holds one row per class and rule that applies to it — from the
class's own policy and the overlays in force for its region on its opening day
(Liaoning's online rules for every Liaoning programme from 2023) — with the
severity, policy, version and clause of the place, so that a rule the place's
notice does not set never fires there. ``_class_params`` holds each class's
dates, its policies' thresholds (null where none is set) and its calendar
answers (allowed opening day, filing deadline, working days), computed once per
class and then used set-wise by the rules.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

import duckdb
import polars as pl

from crosscheck import policy
from crosscheck.checks import adapter
from crosscheck.workdays import Calendar, calendar

ONLY = " WHERE $ids IS NULL OR list_contains($ids, class_id)"


@functools.lru_cache(maxsize=4096)
def overlays(region: str, opening: dt.date, policy_id: str) -> list[policy.Policy]:
    """The jurisdiction-wide policies in force for a class besides its own (cached:
    a province has thousands of classes but few places and opening days)."""
    return [
        p for p in policy.in_force(region, opening) if p.programme is None and p.id != policy_id
    ]


def class_rules(con: duckdb.DuckDBPyConnection, class_ids: list[str] | None = None) -> None:
    """(Re)build ``_class_rules``: one row per class (all, or the given ones) and rule
    that applies to it."""
    found = con.execute(
        "SELECT class_id, policy_id, region_code, planned_start FROM classes" + ONLY,
        {"ids": class_ids},
    ).fetchall()
    # the rules depend on the class only through its policy and the overlays in force:
    # build them once per such combination, then give each class its combination
    keys: dict[tuple[str, ...], int] = {}
    assigned = []
    for class_id, policy_id, region, opening in found:
        chain = (policy_id, *(p.id for p in overlays(region, opening, policy_id)))
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


# Licence roles as the policies name them (001 §1) -> the registry's codes.
ROLES = {"个体工商户经营者": "operator", "企业法定代表人": "legal_representative"}
SHARE = pl.Decimal(8, 4)  # shares and rates: exact decimals, never floats (80 % of 35 is 28)

PARAMS: dict[str, Any] = {
    "class_id": pl.String,
    "programme": pl.String,
    "left_school_years": pl.List(pl.Int64),
    "within_years": pl.Int64,
    "graduating_classes": pl.List(pl.Int64),
    "academic_year_test": pl.Boolean,
    "levels": pl.List(pl.String),
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
    "months_min": pl.Int64,
    "months_max": pl.Int64,
    "workdays": pl.Int64,
    "every_working_day": pl.Boolean,
    "max_majors": pl.Int64,
    "min_hours_per_day": pl.Int64,
    "category_minimum": pl.Int64,
    "min_practice_share": SHARE,
    "max_online_share": SHARE,
    "platform_list_required": pl.Boolean,
    "platform_fraud_barred": pl.Boolean,
    "institution_barred_permanently": pl.Boolean,
    "institution_bar_years": pl.Int64,
    "project_required": pl.Boolean,
    "latest_acceptance": pl.Date,
    "individual_min_rate": SHARE,
    "class_check_min_rate": SHARE,
    "evidence_required": pl.List(pl.String),
    "online_evidence": pl.List(pl.String),
    "certification_mode": pl.String,
    "provincial_required_for": pl.String,
    "rate_basis": pl.String,
    "class_check_deduction": SHARE,
    "violation_percent": pl.Boolean,
    "notice_working_days": pl.Int64,
}


def class_params(con: duckdb.DuckDBPyConnection, class_ids: list[str] | None = None) -> None:
    """(Re)build ``_class_params``: each class's dates, thresholds and calendar answers."""
    cal = calendar()
    rows = []
    query = (
        "SELECT class_id, policy_id, region_code, planned_start, planned_end, category FROM classes"
        + ONLY
    )
    for class_id, policy_id, region, opening, ending, category in con.execute(
        query, {"ids": class_ids}
    ).fetchall():
        chosen = policy.get(policy_id)
        extra = overlays(region, opening, policy_id)
        rows.append(
            {"class_id": class_id, "programme": chosen.programme}
            | _opening(chosen, extra, opening, ending, category, cal)
            | _payout(chosen, extra, ending, cal)
        )
    frame = pl.DataFrame(rows, schema=PARAMS)
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


def _value(param: Any) -> Any:
    return param.value if param is not None else None


def _share(param: Any) -> Decimal | None:
    return Decimal(param.value) if param is not None else None


def _first(every: list[policy.Policy], get: Any) -> Any:
    """The first policy (own, then overlays) that sets a parameter."""
    return next((get(p) for p in every if get(p) is not None), None)


def _opening(
    chosen: policy.Policy,
    extra: list[policy.Policy],
    opening: dt.date,
    ending: dt.date,
    category: str | None,
    cal: Calendar,
) -> dict[str, Any]:
    c, k = chosen.cohort, chosen.class_rules
    every = [chosen, *extra]
    days = _value(k.opening_days_of_month)
    answer = cal.opening_day(opening, days) if days else None
    lead = _value(k.filing_lead_working_days)
    minimums = _value(k.min_total_hours_by_category) or {}
    duration = _value(k.duration_months)
    online = _first(every, lambda p: p.class_rules.max_online_share_practical)
    try:
        workdays = cal.count_workdays(opening, ending) if k.train_every_working_day else None
    except Exception:  # a year without an official schedule: the rule cannot be judged
        workdays = None
    return {
        "left_school_years": _value(c.left_school_years),
        "within_years": _value(c.left_school_within_years),
        "graduating_classes": _value(c.graduating_classes),
        "academic_year_test": _value(c.graduating_class_test) == "graduation_academic_year",
        "levels": _value(c.levels),
        "household_provinces": _value(c.household_provinces),
        "school_provinces": _value(c.school_provinces),
        "schemes": _value(c.prior_employment_schemes),
        "business_roles": [ROLES.get(r, r) for r in c.prior_business_roles.value]
        if c.prior_business_roles
        else None,
        "own_graduate_classes": _value(k.own_graduate_blocked_classes),
        "max_trainees": _value(k.max_trainees),
        "allowed_opening": answer.allowed if answer else None,
        "next_allowed_opening": answer.next_opening if answer else None,
        "programme_end": _value(k.programme_end),
        "latest_filing": cal.add_workdays(opening, -lead) if lead else None,
        "own_venue_required": bool(_value(k.own_venue_required)),
        "months_min": duration.min if duration else None,
        "months_max": duration.max if duration else None,
        "workdays": workdays,
        "every_working_day": bool(_value(k.train_every_working_day)),
        "max_majors": _value(k.max_majors_per_institution),
        "min_hours_per_day": _value(k.min_class_hours_per_day),
        "category_minimum": minimums.get(category) if category else None,
        "min_practice_share": _share(k.min_practice_share),
        "max_online_share": _share(online),
        "platform_list_required": bool(
            _first(every, lambda p: _value(p.class_rules.online_platform_list_required))
        ),
        "platform_fraud_barred": bool(
            _first(every, lambda p: _value(p.class_rules.online_platform_removed_barred_for_life))
        ),
        "institution_barred_permanently": bool(_value(k.dishonest_institution_barred_permanently)),
        "institution_bar_years": _value(k.institution_bar_years_after_fraud),
        "project_required": bool(_value(k.project_must_be_published)),
    }


def _payout(
    chosen: policy.Policy, extra: list[policy.Policy], ending: dt.date, cal: Calendar
) -> dict[str, Any]:
    every = [chosen, *extra]
    a, pay = chosen.attendance, chosen.payout
    lead = _value(pay.acceptance_lead_working_days)
    return {
        "latest_acceptance": cal.add_workdays(ending, -lead) if lead else None,
        "individual_min_rate": _share(a.individual_min_rate),
        "class_check_min_rate": _share(a.class_check_min_rate),
        "evidence_required": _value(a.evidence_required),
        "online_evidence": _value(_first(every, lambda p: p.attendance.online_evidence_required)),
        "certification_mode": _value(pay.certification_subsidy),
        "provincial_required_for": _value(
            _first(every, lambda p: p.payout.provincial_system_required_for)
        ),
        "rate_basis": _value(pay.rate_basis),
        "class_check_deduction": _share(a.class_check_deduction),
        "violation_percent": _value(pay.violation_deduction) == "percent_of_proposed",
        "notice_working_days": _value(pay.notice_working_days),
    }
