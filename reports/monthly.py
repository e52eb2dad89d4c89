"""The monthly provincial report (000 §5(五), 001 §6(四): per city, majors,
people and subsidy money — plus crosscheck's findings), from the published
snapshot (:mod:`reports.publish`).

A class counts in the month it opened (classes, trainees, findings) and its
money in the month it ended (the accounting is done after completion):
拟补贴金额 (proposed), 扣减金额 (deducted), 核定金额 (approved: payable classes'
实际补贴金额) and 暂缓金额 (withheld: classes with a blocking finding).
Cross-region and duplicate-subsidy cases are the findings of the rules that
look at other cities' and provinces' records.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from crosscheck.reports import workbook

CROSS_REGION = (
    "ALREADY_TRAINED_THIS_YEAR",
    "CONCURRENT_ENROLMENT",
    "DUPLICATE_SUBSIDY",
    "DUPLICATE_CERTIFICATION_SUBSIDY",
)
MONEY_LABELS = {
    "proposed_fen": "拟补贴金额(元)",
    "deduction_fen": "扣减金额(元)",
    "approved_fen": "核定金额(元)",
    "withheld_fen": "暂缓金额(元)",
}


@dataclass(frozen=True)
class Filters:
    month: str  # YYYY-MM
    city: str | None = None  # 4-digit city code
    policy: str | None = None

    def where(self, alias: str = "") -> tuple[str, dict[str, Any]]:
        a = f"{alias}." if alias else ""
        clauses, params = [], {}
        if self.city:
            clauses.append(f"{a}city_code = $city")
            params["city"] = self.city
        if self.policy:
            clauses.append(f"{a}policy_id = $policy")
            params["policy"] = self.policy
        return (" AND " + " AND ".join(clauses)) if clauses else "", params


def months(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Months with classes opening or ending, up to the snapshot's date, latest first."""
    rows = con.execute(
        "SELECT DISTINCT m FROM (SELECT month_opened AS m FROM classes "
        "UNION SELECT month_ended FROM classes) "
        "WHERE m <= (SELECT strftime(max(as_of), '%Y-%m') FROM meta) ORDER BY m DESC"
    ).fetchall()
    return [r[0] for r in rows]


def cities(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The city codes (4 digits) with classes in the published snapshot."""
    rows = con.execute("SELECT DISTINCT city_code FROM classes ORDER BY city_code").fetchall()
    return [r[0] for r in rows]


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> pl.DataFrame:
    frame = pl.from_arrow(con.sql(sql, params=params).to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame


def summary(con: duckdb.DuckDBPyConnection, f: Filters, by: str) -> pl.DataFrame:
    """One row per city / major / institution (``by``: a column of ``classes``)."""
    where, params = f.where()
    aliased, _ = f.where("c")
    params["month"] = f.month
    return _frame(
        con,
        f"""
        WITH opened AS (
            SELECT {by} AS key, count(*) AS classes, CAST(sum(trainees) AS BIGINT) AS trainees,
                   CAST(sum(findings) AS BIGINT) AS findings,
                   CAST(sum(blocks) AS BIGINT) AS blocks
            FROM classes WHERE month_opened = $month {where} GROUP BY 1),
        ended AS (
            SELECT {by} AS key, count(*) FILTER (in_accounting) AS accounted,
                   CAST(coalesce(sum(subsidised), 0) AS BIGINT) AS subsidised,
                   CAST(coalesce(sum(proposed_fen), 0) AS BIGINT) AS proposed_fen,
                   CAST(coalesce(sum(deduction_fen), 0) AS BIGINT) AS deduction_fen,
                   CAST(coalesce(sum(approved_fen), 0) AS BIGINT) AS approved_fen,
                   CAST(coalesce(sum(withheld_fen), 0) AS BIGINT) AS withheld_fen
            FROM classes WHERE month_ended = $month {where} GROUP BY 1),
        cross_region AS (
            SELECT c.{by} AS key, count(*) AS cross_region
            FROM findings x JOIN classes c USING (class_id)
            WHERE c.month_opened = $month AND list_contains($codes, x.rule_code)
                  {aliased}
            GROUP BY 1)
        SELECT key, coalesce(o.classes, 0) AS classes, coalesce(o.trainees, 0) AS trainees,
               coalesce(o.findings, 0) AS findings, coalesce(o.blocks, 0) AS blocks,
               coalesce(x.cross_region, 0) AS cross_region,
               coalesce(e.accounted, 0) AS accounted, coalesce(e.subsidised, 0) AS subsidised,
               coalesce(e.proposed_fen, 0) AS proposed_fen,
               coalesce(e.deduction_fen, 0) AS deduction_fen,
               coalesce(e.approved_fen, 0) AS approved_fen,
               coalesce(e.withheld_fen, 0) AS withheld_fen
        FROM opened o FULL JOIN ended e USING (key) LEFT JOIN cross_region x USING (key)
        ORDER BY key""",
        params | {"codes": list(CROSS_REGION)},
    )


def by_rule(con: duckdb.DuckDBPyConnection, f: Filters) -> pl.DataFrame:
    """Open findings of the month's classes by rule code and severity."""
    where, params = f.where("c")
    return _frame(
        con,
        f"""
        SELECT x.rule_code, any_value(x.title) AS title, x.severity, count(*) AS n,
               count(DISTINCT x.class_id) AS classes
        FROM findings x JOIN classes c USING (class_id)
        WHERE c.month_opened = $month {where}
        GROUP BY x.rule_code, x.severity ORDER BY n DESC, x.rule_code""",
        params | {"month": f.month},
    )


def trend(con: duckdb.DuckDBPyConnection, f: Filters) -> pl.DataFrame:
    """Findings per month and city over the twelve months up to ``f.month``."""
    where, params = f.where("c")
    return _frame(
        con,
        f"""
        SELECT c.month_opened AS month, c.city_name, count(x.finding_id) AS findings
        FROM classes c LEFT JOIN findings x USING (class_id)
        WHERE c.month_opened <= $month
          AND c.month_opened > strftime(CAST($month || '-01' AS DATE) - INTERVAL 12 MONTH,
                                        '%Y-%m') {where}
        GROUP BY ALL ORDER BY month, c.city_name""",
        params | {"month": f.month},
    )


def at_risk(con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 10) -> pl.DataFrame:
    where, params = f.where()
    return _frame(
        con,
        f"""
        SELECT class_id, city_name, institution, major, policy_id, trainees, findings, blocks,
               excludes, reviews, risk, withheld_fen
        FROM classes WHERE (month_opened = $month OR month_ended = $month) AND risk > 0 {where}
        ORDER BY risk DESC, class_id LIMIT {int(limit)}""",
        params | {"month": f.month},
    )


def cross_region_cases(con: duckdb.DuckDBPyConnection, f: Filters) -> pl.DataFrame:
    where, params = f.where("c")
    return _frame(
        con,
        f"""
        SELECT c.city_name, c.class_id, c.institution, x.id_masked, x.name, x.rule_code,
               x.title, x.severity, x.evidence
        FROM findings x JOIN classes c USING (class_id)
        WHERE c.month_opened = $month AND list_contains($codes, x.rule_code) {where}
        ORDER BY c.city_name, c.class_id, x.rule_code""",
        params | {"month": f.month, "codes": list(CROSS_REGION)},
    )


def write_xlsx(con: duckdb.DuckDBPyConnection, f: Filters, path: Path) -> Path:
    """The month's report for the province: one sheet per view, Chinese headers."""

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = workbook(path)
    bold = wb.add_format({"bold": True})
    head = wb.add_format({"bold": True, "border": 1, "bg_color": "#DDEBF7"})
    money = wb.add_format({"num_format": "#,##0.00"})
    scope = (
        f"{f.month}"
        + (f"，城市 {f.city}" if f.city else "")
        + (f"，政策 {f.policy}" if f.policy else "")
    )
    columns = {
        "key": None,
        "classes": "开班数",
        "trainees": "学员人数",
        "findings": "问题数",
        "blocks": "阻断问题数",
        "cross_region": "跨地区/重复享受",
        "accounted": "结课核算班数",
        "subsidised": "实际补贴人数",
        **MONEY_LABELS,
    }
    for sheet, by, label in (
        ("按城市", "city_name", "城市"),
        ("按专业", "major", "培训专业"),
        ("按培训机构", "institution", "培训机构"),
    ):
        frame = summary(con, f, by)
        ws = wb.add_worksheet(sheet)
        ws.write(0, 0, f"职业技能培训补贴月度报告（{scope}）— {sheet}", bold)
        headers = [label if c == "key" else str(columns[c]) for c in columns]
        ws.write_row(2, 0, headers, head)
        for r, row in enumerate(frame.iter_rows(named=True), start=3):
            for c, name in enumerate(columns):
                value = row[name]
                if name.endswith("_fen"):
                    ws.write_number(r, c, value / 100, money)
                else:
                    ws.write(r, c, value)
        total = 3 + frame.height
        ws.write(total, 0, "合计", bold)
        for c, name in enumerate(columns):
            if name != "key":
                value = int(frame[name].sum()) if frame.height else 0
                if name.endswith("_fen"):
                    ws.write_number(total, c, value / 100, money)
                else:
                    ws.write(total, c, value, bold)
        ws.set_column(0, 0, 28)
        ws.set_column(1, len(columns), 14)
    rules = by_rule(con, f)
    ws = wb.add_worksheet("按规则")
    ws.write_row(0, 0, ["规则代码", "名称", "严重程度", "问题数", "涉及班级数"], head)
    for r, values in enumerate(rules.iter_rows(), start=1):
        ws.write_row(r, 0, list(values))
    ws.set_column(0, 1, 30)
    cases = cross_region_cases(con, f)
    ws = wb.add_worksheet("跨地区及重复享受")
    ws.write_row(
        0,
        0,
        [
            "城市",
            "班级编号",
            "培训机构",
            "身份证号码",
            "姓名",
            "规则代码",
            "名称",
            "严重程度",
            "证据",
        ],
        head,
    )
    for r, values in enumerate(cases.iter_rows(), start=1):
        ws.write_row(r, 0, list(values))
    ws.set_column(0, 2, 20)
    ws.set_column(3, 3, 22)
    ws.set_column(8, 8, 60)
    wb.close()
    return path
