"""Findings as workbooks a person prints: one class's 核查问题清单 (from the
published data, for the dashboard's download) and a review's 审核结论 (CLI
``check opening|payout --xlsx`` and the /review page's download).

Every row says the rule by name, the severity and policy by name, and the
evidence as a sentence (:mod:`crosscheck.evidence`); the raw JSON is the last
column, for whoever needs the record itself (in the file, outside the print
area). ID numbers are masked throughout.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crosscheck.evidence import NAME_LEVELS, describe
from crosscheck.policy.loader import label as policy_label
from crosscheck.reports import (
    chinese_date,
    column_widths,
    formats,
    lines,
    print_setup,
    workbook,
)
from crosscheck.rules import RULES, SEVERITY_LABELS

if TYPE_CHECKING:
    from crosscheck.checks.review import Review

HEADERS = ["序号", "身份证号码", "姓名", "问题", "处理", "政策", "依据条款", "证据", "原始记录"]
WIDTHS = [5, 20, 9, 20, 9, 10, 22, 60, 30]


def _rows(ws: Any, fmt: dict[str, Any], start: int, findings: list[dict[str, Any]]) -> int:
    ws.write_row(start, 0, HEADERS, fmt["head"])
    row = start
    for n, f in enumerate(findings, start=1):
        row = start + n
        evidence = f.get("evidence")
        raw = evidence if isinstance(evidence, str) else json.dumps(evidence, ensure_ascii=False)
        text = f.get("evidence_text") or describe(f["rule_code"], evidence)
        level = NAME_LEVELS.get(f.get("match_level") or "", "")
        values = [
            n,
            f.get("id_masked") or "（班级）",
            f.get("name") or "",
            RULES[f["rule_code"]].title if f["rule_code"] in RULES else f["rule_code"],
            SEVERITY_LABELS.get(f["severity"], f["severity"]),
            policy_label(f.get("policy_id")),
            f.get("clause") or "",
            text + (f"（姓名比对：{level}）" if level else ""),
            raw or "",
        ]
        for col, value in enumerate(values):
            ws.write(row, col, value, fmt["wrap"] if col in (3, 6, 7, 8) else fmt["cell"])
        ws.set_row(row, 15 * lines(text, WIDTHS[7]))
    if not findings:
        row = start + 1
        ws.merge_range(row, 0, row, len(HEADERS) - 1, "本班没有未消除的核查问题。", fmt["cell"])
    return row


def write_class(path: Path, detail: dict[str, Any], *, on: dt.date | None = None) -> Path:
    """One class's open findings, as the dashboard shows them (``detail``: the
    service's class detail: ``class`` and ``findings``)."""
    c = detail["class"]
    wb = workbook(path)
    fmt = formats(wb)
    ws = wb.add_worksheet("核查问题清单")
    last = len(HEADERS) - 1
    ws.merge_range(0, 0, 0, last, f"班级 {c['class_id']} 核查问题清单", fmt["title"])
    info = (
        f"培训机构：{c.get('institution') or ''}　专业：{c.get('major') or ''}　"
        f"城市：{c.get('city_name') or ''}　政策：{policy_label(c.get('policy_id'))}　"
        f"培训期间：{c.get('planned_start')} 至 {c.get('planned_end')}　"
        f"学员 {c.get('trainees', 0)} 人　导出日期：{chinese_date(on or dt.date.today())}"
    )
    ws.merge_range(1, 0, 1, last, info, fmt["line"])
    end = _rows(ws, fmt, 3, detail["findings"])
    column_widths(ws, WIDTHS)
    print_setup(ws, (3, 3), last - 1, end)  # the raw JSON stays in the file only
    wb.close()
    return path


def _decided(decision: dict[str, Any] | None) -> str:
    """A dismissal or override in force, as the workbook says it after the evidence."""
    if not decision:
        return ""
    why = f"，理由：{decision['reason']}" if decision.get("reason") else ""
    who = f"{decision['by']}，{decision['at']:%Y-%m-%d}"
    return f"（经审核{decision['label']}：{who}{why}；不再计入结论）"


def write_review(path: Path, result: Review) -> Path:
    """A review's verdict: the trainees with their verdicts, then every finding."""
    from crosscheck.checks.review import VERDICT_LABELS

    wb = workbook(path)
    fmt = formats(wb)
    stage = "开班审核" if result.stage == "opening" else "补贴核算复核"
    ws = wb.add_worksheet("审核结论")
    ws.merge_range(
        0,
        0,
        0,
        4,
        f"班级 {result.class_id} {stage}结论：{VERDICT_LABELS[result.verdict]}",
        fmt["title"],
    )
    ws.merge_range(
        1,
        0,
        1,
        4,
        f"核查日期：{chinese_date(result.as_of)}　政策："
        f"{result.info.get('policy_label') or policy_label(result.info.get('policy_id'))}　"
        f"培训机构：{result.info.get('institution') or ''}",
        fmt["line"],
    )
    ws.write_row(3, 0, ["序号", "姓名", "身份证号码", "结论", "问题"], fmt["head"])
    for i, t in enumerate(result.trainees, start=4):
        titles = "、".join(RULES[r].title if r in RULES else r for r in t.rules)
        ws.write_row(
            i,
            0,
            [t.roster_no or t.seq, t.name, t.id_masked, VERDICT_LABELS[t.verdict], titles],
            fmt["cell"],
        )
    column_widths(ws, [6, 10, 20, 12, 60])
    print_setup(ws, (3, 3), 4, 3 + len(result.trainees), landscape=False)
    ws = wb.add_worksheet("问题清单")
    last = len(HEADERS) - 1
    ws.merge_range(0, 0, 0, last, f"班级 {result.class_id} 问题清单", fmt["title"])
    findings = [
        f.__dict__
        | {
            "evidence_text": f.text + _decided(f.decision),
            "evidence": json.dumps(f.evidence, ensure_ascii=False, default=str),
        }
        for f in result.findings
    ]
    end = _rows(ws, fmt, 2, findings)
    column_widths(ws, WIDTHS)
    print_setup(ws, (2, 2), last - 1, end)
    if result.roster_problems:  # fields left empty; the trainees are reviewed all the same
        ws = wb.add_worksheet("花名册问题")
        ws.merge_range(0, 0, 0, 2, "花名册中无法读取的字段（已留空，该学员照常核查）", fmt["title"])
        ws.write_row(2, 0, ["行号", "字段", "问题"], fmt["head"])
        for i, p in enumerate(result.roster_problems, start=3):
            ws.write_row(i, 0, [p["row"] or "—", p["field"], p["message"]], fmt["cell"])
        column_widths(ws, [8, 14, 60])
        print_setup(ws, (2, 2), 2, 2 + len(result.roster_problems), landscape=False)
    wb.close()
    return path
