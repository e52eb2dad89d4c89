"""The 补贴核算表 as an ``.xlsx`` laid out like seed 001's annex 8, ready to print.

The first sheet of each policy has exactly the annex's 23 columns, in its order and
with its headers (two header rows; 扣减金额 spans its four sub-columns, 材料是否齐全
is merged over both rows like its neighbours), the annex's own title, 填报单位 and
填报日期, one row per class and rate (a class whose trainees have different rates,
Fushun: by certificate, has one row per rate), a 合计 of what is to be paid, the
bordered sign-off boxes and the annex's notes. A class that may not be paid (a
block stands) is never in that 合计: it is listed on the sheet 暂不拨付 with its
reason. What the annex has no column for (其他原因不予补贴人数, e.g.
DUPLICATE_SUBSIDY, and crosscheck's notes) is on the sheet 核查说明. Amounts are
exact: computed in fen, written as yuan with two decimals. Landscape A4, one page
wide, the header rows on every page, page numbers in the footer.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl

from crosscheck import policy
from crosscheck.reports import (
    chinese_date,
    column_widths,
    formats,
    lines,
    print_setup,
    workbook,
)

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


def reason(row: dict[str, Any]) -> str:
    """Why a class is not paid, in the rules' own words."""
    from crosscheck.rules import RULES

    codes = [c for c in (row.get("blocked_by") or []) if c]
    titles = "、".join(RULES[c].title if c in RULES else c for c in codes)
    return f"班级存在阻断问题：{titles}" if titles else "班级存在阻断问题"


def note(row: dict[str, Any], rate: int | None = 0) -> str:
    parts = []
    if not row["payable"]:
        parts.append(reason(row) + "，暂不拨付")
    if rate is None:
        parts.append("无法确定补贴标准（无证书记录、专业未核准），未计入金额")
    if row.get("decided"):  # dismissals and overrides the table follows
        parts.append(str(row["decided"]))
    return "；".join(parts)


def _parts(row: dict[str, Any]) -> list[dict[str, Any]]:
    """A class's rows, one per rate, highest first: each with its own counts and money."""
    return list(row.get("rows") or [dict(row, rate_fen=_single_rate(row))])


LAST = len(ANNEX_COLUMNS) - 1  # the annex's last column (材料是否齐全)


def write(
    path: Path,
    frame: pl.DataFrame,
    *,
    unit: str | None = None,
    issued_on: dt.date | None = None,
    batch_id: str | None = None,
) -> None:
    """The 核算表 of ``frame`` (``checks.accounting.describe``): one sheet per policy of
    the classes to be paid, then 暂不拨付 (if any) and 核查说明. ``unit`` is the
    填报单位 (default: the office of the first class's city, ``crosscheck.office``)."""
    from crosscheck import office

    path.parent.mkdir(parents=True, exist_ok=True)
    issued_on = issued_on or dt.date.today()
    if unit is None:
        first = frame["region_code"][0] if "region_code" in frame.columns and frame.height else None
        unit = office.for_region(first).unit
    wb = workbook(path)
    f = formats(wb)
    paid = frame.filter(pl.col("payable")) if frame.height else frame
    held = frame.filter(~pl.col("payable")) if frame.height else frame
    for policy_id in sorted(frame["policy_id"].unique().to_list()) or ["—"]:
        chosen = policy.get(policy_id) if policy_id != "—" else None
        label = chosen.label if chosen else "—"
        ws = wb.add_worksheet(f"补贴核算表-{label}"[:31])
        if chosen and chosen.payout.accounting_title:
            title = chosen.payout.accounting_title.value
        else:
            title = f"{chosen.title}补贴核算表" if chosen else "补贴核算表"
        rows = paid.filter(pl.col("policy_id") == policy_id).sort("class_id")
        withheld = held.filter(pl.col("policy_id") == policy_id)
        r = _form_top(ws, f, title, unit, issued_on, batch_id, LAST)
        r = _class_rows(ws, f, rows, r)
        _total_row(ws, f, rows, r, "合计")
        r += 1
        if withheld.height:
            ws.merge_range(
                r, 0, r, LAST,
                f"另有 {withheld.height} 个班级暂不拨付（实际补贴金额 "
                f"{_yuan(int(withheld['actual_fen'].sum())):,.2f} 元），见“暂不拨付”工作表，"
                "未计入合计。",
                f["note"],
            )  # fmt: skip
            r += 1
        r += 1
        _sign_off(ws, f, r)
        r += 5
        ws.set_row(r, 30)
        ws.merge_range(r, 0, r, LAST, NOTES, f["note"])
        _columns(ws)
        print_setup(ws, (2, 3), LAST, r)
    if held.height:
        ws = wb.add_worksheet("暂不拨付")
        r = _form_top(
            ws, f, "暂不拨付班级（未计入补贴核算表合计）", unit, issued_on, batch_id, LAST + 1
        )
        ws.merge_range(2, LAST + 1, 3, LAST + 1, "暂不拨付原因", f["head"])
        r = _class_rows(ws, f, held.sort("class_id"), r, reason_col=LAST + 1)
        _total_row(ws, f, held, r, "暂不拨付合计")
        _columns(ws)
        ws.set_column(LAST + 1, LAST + 1, 36)
        print_setup(ws, (2, 3), LAST + 1, r)
    _notes_sheet(wb, f, frame, unit, issued_on, batch_id)
    wb.close()


def _form_top(
    ws: Any,
    f: dict[str, Any],
    title: str,
    unit: str,
    issued_on: dt.date,
    batch_id: str | None,
    last: int,
) -> int:
    """Title, the 填报单位 / 填报日期 line and the annex's two header rows; returns the
    first data row."""
    ws.set_row(0, 30)
    ws.merge_range(0, 0, 0, last, title, f["title"])
    ws.merge_range(1, 0, 1, 10, f"填报单位：{unit}（盖章）", f["line"])
    if batch_id:
        ws.merge_range(1, 11, 1, 15, f"公示批次：{batch_id}", f["line"])
    ws.merge_range(1, 16, 1, last, f"填报日期：{chinese_date(issued_on)}", f["line"])
    _headers(ws, f["head"])
    ws.set_row(2, 24)
    ws.set_row(3, 36)
    return 4


def _class_rows(
    ws: Any, f: dict[str, Any], rows: pl.DataFrame, r: int, reason_col: int | None = None
) -> int:
    i = 0
    for row in rows.iter_rows(named=True):
        for part in _parts(row):
            i += 1
            rate = part.get("rate_fen")
            values: list[tuple[Any, Any]] = [
                (i, f["center"]),
                (row["institution"], f["wrap"]),
                (row["major"] + (f"（{row['level']}）" if row.get("level") else ""), f["wrap"]),
                (row["class_id"], f["cell"]),
                (row["planned_start"], f["day"]),
                (row["planned_end"], f["day"]),
                (row["months"], f["cell"]),
                (_yuan(rate) if rate is not None else "", f["money"]),
                *((part[c], f["cell"]) for c in COUNTS[:6]),
                (part["subsidised"], f["cell"]),
                (_yuan(part["proposed_fen"]), f["money"]),
                (float(part["attendance_deduction_rate"]), f["percent"]),
                (_yuan(part["attendance_deduction_fen"]), f["money"]),
                (float(part["violation_rate"]), f["percent"]),
                (_yuan(part["violation_deduction_fen"]), f["money"]),
                (_yuan(part["total_deduction_fen"]), f["money"]),
                (_yuan(part["actual_fen"]), f["money"]),
                ("是" if part["materials_failed"] == 0 else "否", f["center"]),
            ]
            # xlsxwriter does not size rows: a wrapped name gets the lines it needs
            major = str(values[2][0])
            tall = max(lines(str(row["institution"]), 15), lines(major, 15))
            if tall > 1:
                ws.set_row(r, 13 * tall)
            if reason_col is not None:
                values.append((reason(row), f["wrap"]))
            _write_values(ws, r, values)
            r += 1
    return r


def _write_values(ws: Any, r: int, values: list[tuple[Any, Any]]) -> None:
    for col, (value, fmt) in enumerate(values):
        if hasattr(value, "year"):
            ws.write_datetime(r, col, _datetime(value), fmt)
        elif isinstance(value, str):
            ws.write_string(r, col, value, fmt)  # never a formula
        else:
            ws.write(r, col, value, fmt)


def _total_row(ws: Any, f: dict[str, Any], rows: pl.DataFrame, r: int, label: str) -> None:
    ws.merge_range(r, 0, r, 7, label, f["bold"])
    for col, column in zip(range(8, 15), COUNTS, strict=True):
        ws.write(r, col, int(rows[column].sum()) if rows.height else 0, f["bold"])
    money = {
        15: "proposed_fen",
        17: "attendance_deduction_fen",
        19: "violation_deduction_fen",
        20: "total_deduction_fen",
        21: "actual_fen",
    }
    for col in range(15, LAST + 1):
        if col in money:
            total = int(rows[money[col]].sum()) if rows.height else 0
            ws.write(r, col, _yuan(total), f["bold_money"])
        else:
            ws.write_blank(r, col, None, f["bold"])


def _sign_off(ws: Any, f: dict[str, Any], r: int) -> None:
    """The annex's two bordered sign-off boxes: the employment service's and the
    institution's, each with 负责人（签字）, 盖章 and the date."""
    for first, last, who in ((0, 14, "就业和人才服务部意见"), (15, LAST, "培训机构意见")):
        ws.merge_range(
            r, first, r + 3, last,
            f"{who}：\n\n负责人：(签字)                    (盖章)\n"
            "                                        年    月    日",
            f["sign"],
        )  # fmt: skip


def _columns(ws: Any) -> None:
    # narrow enough that one page wide stays readable in print (about 70 %)
    column_widths(ws, [4, 15, 15, 8, 10, 10, 7, 7, *[6] * 7, 11, *[8] * 5, 11, 6])
    ws.freeze_panes(4, 4)


def _notes_sheet(
    wb: Any,
    f: dict[str, Any],
    frame: pl.DataFrame,
    unit: str,
    issued_on: dt.date,
    batch_id: str | None,
) -> None:
    """核查说明: per class and rate, what the annex has no column for."""
    ws = wb.add_worksheet("核查说明")
    headers = [
        "序号",
        "班级编号",
        "培训机构",
        "补贴标准(月/人)",
        "实际补贴人数",
        "其他原因不予补贴人数",
        "是否拨付",
        "核查说明",
    ]
    last = len(headers) - 1
    ws.set_row(0, 30)
    ws.merge_range(0, 0, 0, last, "补贴核算表核查说明", f["title"])
    ws.merge_range(
        1, 0, 1, last,
        f"填报单位：{unit}    " + (f"公示批次：{batch_id}    " if batch_id else "")
        + f"填报日期：{chinese_date(issued_on)}",
        f["line"],
    )  # fmt: skip
    ws.write_row(2, 0, headers, f["head"])
    ws.set_row(2, 30)  # two lines: 其他原因不予补贴人数 wraps in its column
    r, i = 3, 0
    for row in frame.sort("class_id").iter_rows(named=True):
        for part in _parts(row):
            i += 1
            rate = part.get("rate_fen")
            said = note(row, rate) or "—"
            # a wrapped note (a decision, why a class waits) makes its row as tall as it
            ws.set_row(r, 15 * max(lines(said, 50), lines(str(row["institution"]), 24)))
            _write_values(
                ws,
                r,
                [
                    (i, f["cell"]),
                    (row["class_id"], f["cell"]),
                    (row["institution"], f["wrap"]),
                    (_yuan(rate) if rate is not None else "", f["money"]),
                    (part["subsidised"], f["cell"]),
                    (part["other_excluded"], f["cell"]),
                    ("拨付" if row["payable"] else "暂不拨付", f["cell"]),
                    (said, f["wrap"]),
                ],
            )
            r += 1
    column_widths(ws, [5, 11, 24, 12, 12, 12, 12, 50])
    print_setup(ws, (2, 2), last, r)


def _headers(ws: Any, fmt: Any) -> None:
    col = 0
    while col < len(ANNEX_COLUMNS):
        header, sub = ANNEX_COLUMNS[col]
        if not header or sub is None:
            # the annex has 材料是否齐全 in its second row only: merged like the others
            ws.merge_range(2, col, 3, col, header or sub, fmt)
            col += 1
            continue
        span = [c for c, (h, s) in enumerate(ANNEX_COLUMNS) if h == header]
        ws.merge_range(2, span[0], 2, span[-1], header, fmt)
        for c in span:
            ws.write(3, c, ANNEX_COLUMNS[c][1], fmt)
        col = span[-1] + 1


def _datetime(value: Any) -> Any:
    return dt.datetime(value.year, value.month, value.day)
