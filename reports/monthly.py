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

import datetime as dt
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
    province: str | None = None  # 2-digit province code: "全省" of one province
    scope: str | None = None  # the user's region code prefix: nothing outside it

    def where(self, alias: str = "") -> tuple[str, dict[str, Any]]:
        a = f"{alias}." if alias else ""
        clauses, params = [], {}
        if self.province:
            clauses.append(f"substr({a}city_code, 1, 2) = $province")
            params["province"] = self.province
        if self.city:
            clauses.append(f"{a}city_code = $city")
            params["city"] = self.city
        if self.policy:
            clauses.append(f"{a}policy_id = $policy")
            params["policy"] = self.policy
        if self.scope:
            clauses.append(f"starts_with({a}region_code, $scope)")
            params["scope"] = self.scope
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


def scope_text(con: duckdb.DuckDBPyConnection, f: Filters) -> tuple[str, str]:
    """The report's place and filters in words: ("辽宁省抚顺市", "政策：抚顺2023")."""
    from crosscheck import regions
    from crosscheck.policy.loader import label

    if f.city:
        place = regions.lookup(f.city + "00").label or f.city
    elif f.province:
        place = regions.province_name(f.province) or f.province
    else:
        codes = sorted({c[:2] for c in cities(con)})
        place = "、".join(regions.province_name(c) or c for c in codes) or "全省"
    return place, f"政策：{label(f.policy)}" if f.policy else "政策：全部"


def _unit(f: Filters) -> str:
    from crosscheck import office

    if f.city:
        return office.for_region(f.city + "00").unit
    return office.for_province(f.province).unit


def write_xlsx(
    con: duckdb.DuckDBPyConnection, f: Filters, path: Path, *, issued_on: dt.date | None = None
) -> Path:
    """The month's report: a sheet per view (城市, 专业, 培训机构, 规则, 跨地区及重复享受),
    each a printable form — title with the place and filters, 填报单位 / 数据截至 /
    填报日期, headers repeated on every page, one page wide — with a chart beside the
    figures as on the dashboard, and a "本月无" line where a view has nothing."""
    from crosscheck.evidence import describe
    from crosscheck.reports import chinese_date, column_widths, formats, lines, print_setup
    from crosscheck.rules import SEVERITY_LABELS as severities

    wb = workbook(path)
    fmt = formats(wb)
    money = fmt["money"]
    place, filters_text = scope_text(con, f)
    year, month = f.month.split("-")
    as_of = con.execute("SELECT max(as_of) FROM meta").fetchall()[0][0]
    byline = (
        f"填报单位：{_unit(f)}　数据截至：{chinese_date(as_of)}　"
        f"填报日期：{chinese_date(issued_on or dt.date.today())}　{filters_text}"
    )

    def heading(ws: Any, sheet: str, last_col: int) -> None:
        title = f"{place}职业技能培训补贴月度报告（{year}年{int(month)}月）— {sheet}"
        ws.merge_range(0, 0, 0, last_col, title, fmt["title"])
        ws.merge_range(1, 0, 1, last_col, byline, fmt["line"])
        ws.set_row(0, 26)

    def nothing(ws: Any, row: int, last_col: int, text: str) -> None:
        ws.merge_range(row, 0, row, last_col, text, fmt["cell"])

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
    last = len(columns) - 1
    for sheet, by, label in (
        ("按城市", "city_name", "城市"),
        ("按专业", "major", "培训专业"),
        ("按培训机构", "institution", "培训机构"),
    ):
        frame = summary(con, f, by)
        ws = wb.add_worksheet(sheet)
        heading(ws, sheet, last)
        headers = [label if c == "key" else str(columns[c]) for c in columns]
        ws.write_row(3, 0, headers, fmt["head"])
        ws.set_row(3, 30)
        for r, row in enumerate(frame.iter_rows(named=True), start=4):
            for c, name in enumerate(columns):
                value = row[name]
                if name.endswith("_fen"):
                    ws.write_number(r, c, value / 100, money)
                else:
                    ws.write(r, c, value, fmt["cell"])
        end = 4 + frame.height
        if not frame.height:
            nothing(ws, end, last, f"本月无开班或结课的班级（{filters_text}）。")
            end += 1
        ws.write(end, 0, "合计", fmt["bold"])
        for c, name in enumerate(columns):
            if name != "key":
                value = int(frame[name].sum()) if frame.height else 0
                if name.endswith("_fen"):
                    ws.write_number(end, c, value / 100, fmt["bold_money"])
                else:
                    ws.write(end, c, value, fmt["bold"])
        column_widths(ws, [26] + [11] * last)
        printed = end
        if sheet == "按城市" and frame.height and int(frame["proposed_fen"].sum()):
            chart = wb.add_chart({"type": "column"})
            for c, name in enumerate(columns):
                if name.endswith("_fen"):
                    chart.add_series(
                        {
                            "name": [sheet, 3, c],
                            "categories": [sheet, 4, 0, end - 1, 0],
                            "values": [sheet, 4, c, end - 1, c],
                        }
                    )
            chart.set_title({"name": "补贴金额（元，本月结课）", "name_font": {"size": 11}})
            chart.set_y_axis({"num_format": "#,##0", "major_gridlines": {"visible": True}})
            chart.set_legend({"position": "bottom"})
            chart.set_size({"width": 760, "height": 300})
            ws.insert_chart(end + 2, 0, chart)
            printed = end + 18
        print_setup(ws, (3, 3), last, printed)
    rules = by_rule(con, f)
    ws = wb.add_worksheet("按规则")
    heading(ws, "按规则", 4)
    ws.write_row(3, 0, ["规则代码", "问题", "处理", "问题数", "涉及班级数"], fmt["head"])
    for r, row in enumerate(rules.iter_rows(named=True), start=4):
        values = [row["rule_code"], row["title"], severities.get(row["severity"], row["severity"])]
        ws.write_row(r, 0, [*values, row["n"], row["classes"]], fmt["cell"])
    end = 3 + rules.height
    printed = end
    if not rules.height:
        nothing(ws, 4, 4, "本月无核查问题。")
        printed = 4
    else:
        chart = wb.add_chart({"type": "bar"})
        chart.add_series(
            {
                "name": "问题数",
                "categories": ["按规则", 4, 1, end, 1],
                "values": ["按规则", 4, 3, end, 3],
                "data_labels": {"value": True},
            }
        )
        chart.set_title({"name": "各规则问题数（本月开班）", "name_font": {"size": 11}})
        chart.set_legend({"none": True})
        # bar charts: y is the category axis (largest first, the value axis below),
        # x the values in whole numbers (no 0.5 of a finding)
        chart.set_y_axis({"reverse": True, "crossing": "max"})
        top = int(rules["n"].max() or 1)  # type: ignore[arg-type]
        chart.set_x_axis({"min": 0, "major_unit": max(1, -(-top // 5)), "num_format": "0"})
        chart.set_size({"width": 640, "height": max(240, 22 * rules.height + 80)})
        ws.insert_chart(end + 2, 0, chart)
        printed = end + 2 + max(12, rules.height + 4)
    column_widths(ws, [30, 26, 12, 10, 12])
    print_setup(ws, (3, 3), 4, printed)
    cases = cross_region_cases(con, f)
    ws = wb.add_worksheet("跨地区及重复享受")
    heading(ws, "跨地区及重复享受", 7)
    headers = ["城市", "班级编号", "培训机构", "身份证号码", "姓名", "问题", "处理", "证据"]
    ws.write_row(3, 0, headers, fmt["head"])
    for r, row in enumerate(cases.iter_rows(named=True), start=4):
        text = describe(row["rule_code"], row["evidence"])
        values = [row["city_name"], row["class_id"], row["institution"], row["id_masked"]]
        values += [row["name"], row["title"], severities.get(row["severity"], row["severity"])]
        ws.write_row(r, 0, values, fmt["cell"])
        ws.write(r, 7, text, fmt["wrap"])
        ws.set_row(r, 15 * lines(text, 60))
    end = 3 + cases.height
    if not cases.height:
        nothing(ws, 4, 7, "本月无跨地区参训或重复享受补贴的情况。")
        end = 4
    column_widths(ws, [10, 10, 20, 20, 8, 16, 9, 60])
    print_setup(ws, (3, 3), 7, end)
    wb.close()
    return path
