"""The public notice (公示名单) of a payment batch.

What the notices require (000 §3(七), 001 §4(六)): the training institution's
name, the subsidised trainees with their ID numbers partly hidden, and the
amounts; the notice runs for 5 working days (the policy's
``notice_working_days``), counted from the day it is published if that is a
working day, else from the next one. crosscheck hides at least the birth date.

Each trainee's amount is their rate × the class's months; a class's deductions
(attendance, violations) are the class's and are shown on its 小计 row, so the
rows of a class add up to its 实际补贴金额.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from crosscheck import idnumber, policy
from crosscheck.errors import CrosscheckError
from crosscheck.office import Office, for_region
from crosscheck.reports import chinese_date, column_widths, formats, print_setup, workbook
from crosscheck.workdays import calendar


@dataclass
class Part:
    """One public notice: the classes published on one day with one period end."""

    published_on: dt.date
    ends_on: dt.date
    working_days: int
    classes: pl.DataFrame
    rows: pl.DataFrame


@dataclass
class Notice:
    batch_id: str
    rows: pl.DataFrame  # per subsidised trainee, masked
    classes: pl.DataFrame  # per class: institution, people, proposed, deductions, actual
    withheld: pl.DataFrame  # classes of the batch that cannot be noticed, with the reason
    accounts: pl.DataFrame  # the batch's 补贴核算表 rows it was built from (checks.accounting)
    parts: list[Part]  # one notice per publication day and period end, earliest first

    @property
    def period(self) -> str:
        """Each notice's period, as people read it."""
        return (
            "；".join(
                f"{p.published_on} 至 {p.ends_on}（{p.working_days}个工作日）" for p in self.parts
            )
            or "无（没有可公示的班级）"
        )


def working_days(policy_ids: list[str]) -> int:
    """The notice period's length: the longest any of the policies sets (5 by default)."""
    days = [
        p.payout.notice_working_days.value
        for p in (policy.get(i) for i in policy_ids)
        if p.payout.notice_working_days
    ] or [5]
    return max(days)


def period_end(published_on: dt.date, policy_ids: list[str]) -> dt.date:
    """The last day of the notice period, counted from the day it is published if that
    is a working day, else from the next one."""
    cal = calendar()
    first = published_on if cal.is_workday(published_on) else cal.next_workday(published_on)
    n = working_days(policy_ids) - 1
    return cal.add_workdays(first, n) if n else first


def build(
    batch_id: str,
    published: dict[str, dt.date],
    accounts: pl.DataFrame,
    people: pl.DataFrame,
) -> Notice:
    """The notice from the accounting of the batch's classes (``checks.accounting``);
    ``published`` gives each class's publication day (one day for a new batch)."""
    ends = {
        c: period_end(published[c], [p])
        for c, p in zip(accounts["class_id"], accounts["policy_id"], strict=True)
        if c in published
    }
    accounts = accounts.with_columns(
        published_on=pl.col("class_id").replace_strict(published, default=None),
        ends_on=pl.col("class_id").replace_strict(ends, default=None),
    )
    payable = accounts.filter(pl.col("noticeable") & (pl.col("actual_fen") > 0))
    withheld = accounts.filter(~pl.col("noticeable") | (pl.col("actual_fen") <= 0)).select(
        "class_id",
        "institution",
        reason=pl.when(~pl.col("noticeable"))
        .then(pl.lit("班级存在阻断问题（见核查结果），不予公示"))
        .otherwise(pl.lit("无可补贴学员")),
    )
    rows = (
        people.filter(pl.col("excluded").is_null() & pl.col("amount_fen").is_not_null())
        .join(payable.select("class_id", "institution", "major"), on="class_id")
        .sort("institution", "class_id", "seq")
        .with_columns(
            pl.col("id_number")
            .map_elements(idnumber.mask, return_dtype=pl.String)
            .alias("id_masked")
        )
        .select("institution", "class_id", "major", "name", "id_masked", "amount_fen")
    )
    classes = payable.select(
        "class_id",
        "institution",
        "major",
        "published_on",
        "ends_on",
        "subsidised",
        "proposed_fen",
        "total_deduction_fen",
        "actual_fen",
    ).sort("institution", "class_id")
    parts = []
    keyed = classes.filter(pl.col("published_on").is_not_null())
    for (day, end), group in sorted(
        keyed.group_by("published_on", "ends_on"), key=lambda g: (g[0][0], g[0][1])
    ):
        ids = group["class_id"].to_list()
        policies = payable.filter(pl.col("class_id").is_in(ids))["policy_id"].unique().to_list()
        parts.append(
            Part(
                day,
                end,
                working_days(policies),
                group.sort("institution", "class_id"),
                rows.filter(pl.col("class_id").is_in(ids)),
            )
        )
    return Notice(batch_id, rows, classes, withheld, accounts, parts)


def for_batch(
    con: duckdb.DuckDBPyConnection,
    batch_id: str,
    class_ids: list[str] | None,
    published_on: dt.date | None,
    as_of: dt.date,
) -> tuple[Notice, list[str]]:
    """The notice of a batch on file (its classes and publication days from
    ``notices``) or of a new one (``class_ids``, published on ``published_on``):
    the classes' payout review, their accounting, then the list. Also returns the
    batch's classes that are not in the accounting (not ended, no acceptance or
    exam record, or a place without an accounting formula)."""
    from crosscheck.checks import accounting, review

    filed = con.execute(
        "SELECT class_id, published_on FROM notices WHERE batch_id = ? ORDER BY class_id",
        [batch_id],
    ).fetchall()
    if filed and class_ids:
        raise CrosscheckError(f"批次 {batch_id} 已有公示记录：不要再用 --class 指定班级")
    if filed and published_on is not None:
        raise CrosscheckError(
            f"批次 {batch_id} 已有公示记录，公示日期按记录：--publish-on 只用于新批次"
        )
    if not filed and not class_ids:
        raise CrosscheckError(
            f"仓库中没有公示批次 {batch_id}：新批次请用 --class 指定班级（可重复）"
        )
    ids = [r[0] for r in filed] if filed else list(class_ids or [])
    unknown = [c for c in ids if not review.known(con, c)]
    if unknown:
        raise CrosscheckError(f"仓库中没有班级 {'、'.join(unknown)}")
    if filed:
        days = {r[0]: r[1] for r in filed}
    else:
        days = dict.fromkeys(ids, published_on or dt.date.today())
        policies = con.execute(
            "SELECT DISTINCT policy_id FROM classes WHERE list_contains(?, class_id) "
            "AND policy_id IS NOT NULL",
            [ids],
        ).fetchall()
        # the notice period must be computable (a calendar for those days) before the
        # review writes anything
        period_end(days[ids[0]], [r[0] for r in policies])
    review.payout(con, ids, as_of)
    table = accounting.describe(con, accounting.compute(con, as_of))
    people = accounting.people(con)
    missing = sorted(set(ids) - set(table["class_id"].to_list()))
    return build(batch_id, days, table, people), missing


def write(path: Path, notice: Notice, office: Office | None = None) -> None:
    """The notice as an ``.xlsx``: one sheet per notice (publication day), each with
    公示单位, 发布日期, the period and where to object; one row per trainee with the
    institution's name on every row, a 小计 per class and a 合计; portrait A4, one
    page wide, the column headers on every page."""

    path.parent.mkdir(parents=True, exist_ok=True)
    if office is None:
        has = "region_code" in notice.accounts.columns and notice.accounts.height
        office = for_region(notice.accounts["region_code"][0] if has else None)
    wb = workbook(path)
    f = formats(wb)
    headers = ["序号", "培训机构名称", "班级编号", "培训专业", "姓名", "身份证号码", "补贴金额(元)"]
    last = len(headers) - 1
    several = len(notice.parts) > 1
    parts: list[Part | None] = list(notice.parts) or [None]
    for part in parts:
        name = f"公示名单-{part.published_on:%m%d}" if part and several else "公示名单"
        ws = wb.add_worksheet(name)
        ws.set_row(0, 30)
        ws.merge_range(0, 0, 0, last, "职业技能培训补贴拟发放信息公示", f["title"])
        issued = chinese_date(part.published_on) if part else "—"
        ws.merge_range(
            1, 0, 1, last,
            f"公示单位：{office.unit}    公示批次：{notice.batch_id}    发布日期：{issued}",
            f["line"],
        )  # fmt: skip
        if part is None:
            ws.merge_range(2, 0, 2, last, "本批次没有可公示的班级。", f["line"])
            print_setup(ws, (3, 3), last, 2, landscape=False)
            continue
        ws.set_row(2, 32)
        ws.merge_range(
            2, 0, 2, last,
            f"公示期：{chinese_date(part.published_on)}至{chinese_date(part.ends_on)}"
            f"（{part.working_days}个工作日）。公示期内如有异议，请向{office.contact}反映。",
            f["note"],
        )  # fmt: skip
        ws.write_row(3, 0, headers, f["head"])
        r, seq = 4, 0
        for klass in part.classes.iter_rows(named=True):
            for person in part.rows.filter(pl.col("class_id") == klass["class_id"]).iter_rows(
                named=True
            ):
                seq += 1
                ws.write_number(r, 0, seq, f["cell"])
                for col, key in enumerate(
                    ("institution", "class_id", "major", "name", "id_masked"), start=1
                ):
                    ws.write_string(r, col, person[key], f["wrap"] if col == 1 else f["cell"])
                ws.write_number(r, 6, person["amount_fen"] / 100, f["money"])
                r += 1
            if klass["total_deduction_fen"]:
                ws.merge_range(r, 0, r, 5, f"{klass['class_id']} 扣减", f["cell"])
                ws.write_number(r, 6, -klass["total_deduction_fen"] / 100, f["money"])
                r += 1
            ws.merge_range(
                r, 0, r, 5, f"{klass['class_id']} 小计（{klass['subsidised']}人）", f["bold"]
            )
            ws.write_number(r, 6, klass["actual_fen"] / 100, f["bold_money"])
            r += 1
        ws.merge_range(r, 0, r, 5, "合计", f["bold"])
        ws.write_number(r, 6, int(part.classes["actual_fen"].sum()) / 100, f["bold_money"])
        r += 2
        ws.merge_range(r, 4, r, last, office.unit, f["line"])
        ws.merge_range(r + 1, 4, r + 1, last, issued, f["line"])
        column_widths(ws, [5, 26, 10, 14, 9, 20, 13])
        print_setup(ws, (3, 3), last, r + 1, landscape=False)
    wb.close()
