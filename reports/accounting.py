"""The 补贴核算表 as an ``.xlsx`` laid out like seed 001's annex 8.

Columns 0–22 are the annex's, in its order and with its headers (two header
rows; 扣减金额 spans its four sub-columns). crosscheck adds, after them,
其他原因不予补贴人数 (people excluded for a reason the annex has no column for,
e.g. DUPLICATE_SUBSIDY) and 核查说明. A class whose trainees have different
rates (Fushun: by certificate) shows each rate with its number of people in
补贴标准. Amounts are exact: computed in fen, written as yuan with two decimals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from crosscheck import policy
from crosscheck.reports import workbook

# (header, sub-header or None, frame column or None)
ANNEX_COLUMNS: list[tuple[str, str | None]] = [
    ("序号", None),
    ("培训机构", None),
    ("专业", None),
    ("班级编号", None),
    ("开班时间", None),
    ("结课时间", None),
    ("培训时限(月数)", None),
    ("补贴标准(月/人)", None),
    ("开班人数", None),
    ("中退人数", None),
    ("缴纳社会保险人数", None),
    ("未通过考试人数", None),
    ("未报名参加考试人数", None),
    ("材料审核不合格人数", None),
    ("实际补贴人数", None),
    ("拟补贴金额(元)", None),
    ("扣减金额", "到课率扣减"),
    ("扣减金额", "到课考核扣减金额"),
    ("扣减金额", "违纪违规扣减"),
    ("扣减金额", "违纪违规扣减金额"),
    ("扣减总计(元)", None),
    ("实际补贴金额(元)", None),
    ("", "材料是否齐全"),  # the annex has it in the second header row only
]
EXTRA_COLUMNS = ["其他原因不予补贴人数", "核查说明"]
NOTES = (
    "注：1. 拟补贴金额=实际补贴人数*补贴标准*培训时限；2. 到课率不足80%的班级，每次扣减拟补贴"
    "金额2%培训费；3. 违纪违规扣减金额=扣减百分比*拟补贴金额；4. 补贴金额含初次鉴定补贴。"
)
COUNTS = [
    "opened",
    "dropped_out",
    "social_insurance",
    "exam_failed",
    "exam_absent",
    "materials_failed",
    "subsidised",
]


def _yuan(fen: int) -> float:
    return fen / 100  # display only: every sum is done in integer fen


def _single_rate(row: dict[str, Any]) -> int | None:
    """The rate of a class whose table has no rows by rate (an older table)."""
    rates = [r for r in (row.get("by_rate") or []) if r[0] is not None]
    return int(rates[0][0]) if len(rates) == 1 else None


def note(row: dict[str, Any], rate: int | None = 0) -> str:
    parts = []
    if not row["payable"]:
        parts.append("班级存在阻断问题，暂不拨付")
    if rate is None:
        parts.append("无法确定补贴标准（无证书记录、专业未核准），未计入金额")
    return "；".join(parts)


def write(path: Path, frame: pl.DataFrame) -> None:
    """One sheet per policy: its classes, a 合计 row, the sign-off rows and the notes."""

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = workbook(path)
    title = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
    head = wb.add_format(
        {"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True}
    )
    cell = wb.add_format({"border": 1})
    day = wb.add_format({"border": 1, "num_format": "yyyy-mm-dd"})
    money = wb.add_format({"border": 1, "num_format": "#,##0.00"})
    percent = wb.add_format({"border": 1, "num_format": "0%"})
    bold = wb.add_format({"bold": True, "border": 1})
    for policy_id in sorted(frame["policy_id"].unique().to_list()) or ["—"]:
        rows = frame.filter(pl.col("policy_id") == policy_id).sort("class_id")
        chosen = policy.get(policy_id) if policy_id != "—" else None
        ws = wb.add_worksheet(f"补贴核算表-{policy_id}"[:31])
        width = len(ANNEX_COLUMNS) + len(EXTRA_COLUMNS)
        name = f"{chosen.title}补贴核算表" if chosen else "补贴核算表"
        ws.merge_range(0, 0, 0, width - 1, name, title)
        _headers(ws, head)
        r = 3
        i = 0
        for row in rows.iter_rows(named=True):
            # one line per rate, highest first: each with its own counts and money
            for part in row.get("rows") or [dict(row, rate_fen=_single_rate(row))]:
                i += 1
                rate = part.get("rate_fen")
                values: list[tuple[Any, Any]] = [
                    (i, cell),
                    (row["institution"], cell),
                    (row["major"] + (f"（{row['level']}）" if row.get("level") else ""), cell),
                    (row["class_id"], cell),
                    (row["planned_start"], day),
                    (row["planned_end"], day),
                    (row["months"], cell),
                    (_yuan(rate) if rate is not None else "", money),
                    *((part[c], cell) for c in COUNTS[:6]),
                    (part["subsidised"], cell),
                    (_yuan(part["proposed_fen"]), money),
                    (float(part["attendance_deduction_rate"]), percent),
                    (_yuan(part["attendance_deduction_fen"]), money),
                    (float(part["violation_rate"]), percent),
                    (_yuan(part["violation_deduction_fen"]), money),
                    (_yuan(part["total_deduction_fen"]), money),
                    (_yuan(part["actual_fen"]), money),
                    ("是" if part["materials_failed"] == 0 else "否", cell),
                    (part["other_excluded"], cell),
                    (note(row, rate), cell),
                ]
                for col, (value, fmt) in enumerate(values):
                    if hasattr(value, "year"):
                        ws.write_datetime(r, col, _datetime(value), fmt)
                    elif isinstance(value, str):
                        ws.write_string(r, col, value, fmt)  # never a formula
                    else:
                        ws.write(r, col, value, fmt)
                r += 1
        ws.write(r, 0, "合计", bold)
        for col, column in zip(range(8, 15), COUNTS, strict=True):
            ws.write(r, col, int(rows[column].sum()), bold)
        for col, column in (
            (15, "proposed_fen"),
            (17, "attendance_deduction_fen"),
            (19, "violation_deduction_fen"),
            (20, "total_deduction_fen"),
            (21, "actual_fen"),
        ):
            ws.write(r, col, _yuan(int(rows[column].sum())), money)
        ws.write(r, 23, int(rows["other_excluded"].sum()), bold)
        r += 2
        ws.write(r, 0, "就业和人才服务部意见")
        ws.write(r, 16, "培训机构意见")
        for offset, text in enumerate(("负责人：(签字)", "(盖章)", "年 月 日")):
            ws.write(r + offset, 10, text)
            ws.write(r + offset, 20, text)
        ws.write(r + 4, 0, NOTES)
        ws.freeze_panes(3, 4)
        ws.set_column(1, 2, 22)
        ws.set_column(3, 5, 12)
        ws.set_column(6, 22, 11)
        ws.set_column(24, 24, 40)
    wb.close()


def _headers(ws: Any, fmt: Any) -> None:
    col = 0
    while col < len(ANNEX_COLUMNS):
        header, sub = ANNEX_COLUMNS[col]
        if not header:
            ws.write(1, col, "", fmt)
            ws.write(2, col, sub, fmt)
            col += 1
            continue
        if sub is None:
            ws.merge_range(1, col, 2, col, header, fmt)
            col += 1
            continue
        span = [c for c, (h, s) in enumerate(ANNEX_COLUMNS) if h == header]
        ws.merge_range(1, span[0], 1, span[-1], header, fmt)
        for c in span:
            ws.write(2, c, ANNEX_COLUMNS[c][1], fmt)
        col = span[-1] + 1
    for i, header in enumerate(EXTRA_COLUMNS, start=len(ANNEX_COLUMNS)):
        ws.merge_range(1, i, 2, i, header, fmt)


def _datetime(value: Any) -> Any:
    import datetime as dt

    return dt.datetime(value.year, value.month, value.day)
