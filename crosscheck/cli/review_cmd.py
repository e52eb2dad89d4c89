"""``crosscheck check opening|payout`` and ``crosscheck notice``: one class (or one
batch) under review, as an official sees it."""

from __future__ import annotations

import datetime as dt
import json
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape as esc
from rich.table import Table

from crosscheck import warehouse
from crosscheck.cli import out
from crosscheck.cli.check_cmd import check_app
from crosscheck.cli.db_cmd import DbOption
from crosscheck.errors import CrosscheckError, as_of_date, output_file
from crosscheck.paths import default_warehouse
from crosscheck.reports.findings import write_review

if TYPE_CHECKING:
    import duckdb
    import polars as pl

    from crosscheck.checks.review import Review

AsOf = Annotated[str | None, typer.Option("--as-of", help="核查日期（默认今天）")]
Json = Annotated[bool, typer.Option("--json", help="以 JSON 输出")]


def _day(as_of: str | None) -> dt.date:
    return as_of_date(as_of)


def _draft(
    db: Path, roster_path: Path, filing_path: Path, policy_id: str | None
) -> tuple[duckdb.DuckDBPyConnection, list[dict[str, object]]]:
    """The draft overlay for a class not on file (the filing, then the roster), and the
    roster's row problems that are not findings."""
    from crosscheck.checks import draft
    from crosscheck.connectors.roster import read

    filing = draft.read_filing(filing_path, policy_id=policy_id)
    if not roster_path.is_file():
        raise CrosscheckError(f"找不到花名册文件 {roster_path}")
    roster = read(roster_path, keep_flagged=True)
    fatal = roster.fatal
    if fatal:
        listed = "；".join(str(p) for p in fatal[:20])
        more = f"（另有 {len(fatal) - 20} 个）" if len(fatal) > 20 else ""
        raise CrosscheckError(f"花名册有 {len(fatal)} 个问题，未核查：{listed}{more}")
    return draft.overlay(db, filing, roster.entries), roster.row_problem_rows()


@check_app.command("opening")
def opening(
    class_id: Annotated[
        str | None, typer.Option("--class", help="班级编号（已在仓库中的班级）")
    ] = None,
    roster: Annotated[
        Path | None, typer.Option("--roster", help="学员花名册（尚未备案的班级，与 --filing 同用）")
    ] = None,
    filing: Annotated[
        Path | None, typer.Option("--filing", help="开班备案信息（JSON，见 data/README.md）")
    ] = None,
    policy_id: Annotated[
        str | None, typer.Option("--policy", help="按指定政策核查（默认按备案与地区、日期确定）")
    ] = None,
    as_of: AsOf = None,
    as_json: Json = False,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="同时写出审核结果 .xlsx")] = None,
    db: DbOption = None,
) -> None:
    """开班审核：一个班级的结论、每名学员的结论，以及每个问题的规则、严重程度、证据与依据条款。

    已备案的班级用 --class（结果记入仓库）；尚未备案的班级用 --roster 与 --filing
    （只读核查，不写入仓库）。退出状态：0 通过，1 不通过，3 需人工复核，2 输入错误。
    """
    from crosscheck.checks import review

    day = _day(as_of)
    path = db or default_warehouse()
    if xlsx is not None:
        output_file(xlsx, option="--xlsx")
    if roster is not None or filing is not None:
        if roster is None or filing is None or class_id is not None:
            raise CrosscheckError("尚未备案的班级请同时给出 --roster 与 --filing（不用 --class）")
        con, problems = _draft(path, roster, filing, policy_id)
        with closing(con):
            cid = con.execute("SELECT class_id FROM _draft_classes").fetchall()[0][0]
            result = review.opening(con, cid, day)
        result.roster_problems = problems
    elif class_id is None:
        raise CrosscheckError("请用 --class 指定班级，或用 --roster 与 --filing 给出新班级")
    else:
        if policy_id is not None:
            raise CrosscheckError("--policy 只用于 --roster/--filing：已备案班级按其备案的政策核查")
        with closing(warehouse.connect(path)) as con:
            if not review.known(con, class_id):
                raise CrosscheckError(f"仓库中没有班级 {class_id}：先载入开班备案与花名册")
            result = review.opening(con, class_id, day)
    _show(result, as_json)
    if xlsx is not None:
        write_review(xlsx, result)
    raise typer.Exit(result.exit_code)


@check_app.command("payout")
def payout(
    class_ids: Annotated[
        list[str] | None,
        typer.Option("--class", help="班级编号，可重复；省略时为全部已结课待核算的班级"),
    ] = None,
    as_of: AsOf = None,
    as_json: Json = False,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="写出补贴核算表 .xlsx（附件8格式）")
    ] = None,
    db: DbOption = None,
) -> None:
    """结课后补贴核算：按结课时的数据复核，列出不予补贴的学员及原因，填制补贴核算表。

    退出状态：0 可拨付，1 有班级存在阻断问题，3 有需人工复核的问题，2 输入错误。
    """
    from crosscheck.checks import accounting, review
    from crosscheck.checks import payout as payout_rules

    day = _day(as_of)
    if xlsx is not None:
        output_file(xlsx, option="--xlsx")
    with closing(warehouse.connect(db or default_warehouse())) as con:
        ids = class_ids or payout_rules.classes_in_stage(con, day)
        unknown = [c for c in ids if not review.known(con, c)]
        if unknown:
            raise CrosscheckError(f"仓库中没有班级 {'、'.join(unknown)}")
        if not ids:
            raise CrosscheckError(f"{day} 没有已结课、待核算的班级")
        results = review.payout(con, ids, day)
        table = accounting.describe(con, accounting.compute(con, day))
        people = accounting.people(con)
    in_scope = set(table["class_id"].to_list())
    for r in results:
        if r.class_id not in in_scope:
            r.info["accounting"] = "不在核算范围：未结课、无验收或考核记录，或政策未规定核算办法"
    if as_json:
        payload = {
            "as_of": day.isoformat(),
            "classes": [r.to_json() for r in results],
            # one object per class: its totals and "rows", one per rate, highest first
            "accounting": json.loads(table.drop("by_rate").write_json()),
        }
        out.print_json(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        _show_payout(results, table, people)
    if xlsx is not None:
        from crosscheck.reports import accounting as sheet

        sheet.write(xlsx, table, issued_on=day)
        out.print(f"补贴核算表已写出：{xlsx}（{table.height} 个班）")
    worst = max((r.exit_code for r in results), key=lambda c: {0: 0, 3: 1, 1: 2}[c])
    raise typer.Exit(worst)


def notice(
    batch_id: Annotated[str, typer.Option("--batch", help="公示批次编号，如 B202405")],
    class_ids: Annotated[
        list[str] | None,
        typer.Option("--class", help="新批次的班级（可重复）；已有批次按仓库中的公示记录"),
    ] = None,
    published: Annotated[
        str | None, typer.Option("--publish-on", help="公示开始日期（新批次，默认今天）")
    ] = None,
    as_of: AsOf = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="写出公示名单 .xlsx")] = None,
    as_json: Json = False,
    db: DbOption = None,
) -> None:
    """公示名单：培训机构名称、学员姓名、隐藏部分数字的身份证号码、补贴金额，以及公示期（5个工作日）截止日期。"""
    from crosscheck.reports import notice as notice_report

    day = _day(as_of)
    start = as_of_date(published, field="公示开始日期") if published is not None else None
    if xlsx is not None:
        output_file(xlsx, option="--xlsx")
    with closing(warehouse.connect(db or default_warehouse())) as con:
        result, missing = notice_report.for_batch(con, batch_id, class_ids, start, day)

    if as_json:
        payload = {
            "batch_id": batch_id,
            # one notice per publication day and period end
            "notices": [
                {
                    "published_on": p.published_on.isoformat(),
                    "ends_on": p.ends_on.isoformat(),
                    "working_days": p.working_days,
                    "classes": p.classes["class_id"].to_list(),
                }
                for p in result.parts
            ],
            "trainees": result.rows.to_dicts(),
            "classes": result.classes.to_dicts(),
            "withheld": result.withheld.to_dicts() + [{"class_id": c} for c in missing],
        }
        out.print_json(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        out.print(
            f"公示批次 {batch_id}：{result.classes.height} 个班、{result.rows.height} 名学员，"
            f"补贴金额合计 {int(result.classes['actual_fen'].sum()) / 100:,.2f} 元"
        )
        out.print(f"公示期：[bold]{result.period}[/]")
        table_view = Table("培训机构名称", "班级编号", "姓名", "身份证号码", "补贴金额(元)")
        for row in result.rows.head(30).iter_rows(named=True):
            table_view.add_row(
                esc(row["institution"]),
                esc(row["class_id"]),
                esc(row["name"]),
                esc(row["id_masked"]),
                _yuan(row["amount_fen"]),
            )
        out.print(table_view)
        if result.rows.height > 30:
            out.print(f"……另有 {result.rows.height - 30} 名学员（完整名单见 --xlsx）")
        for row in result.withheld.iter_rows(named=True):
            out.print(f"[yellow]不予公示[/] {esc(row['class_id'])}：{esc(row['reason'])}")
        for c in missing:
            out.print(f"[yellow]不予公示[/] {esc(c)}：不在补贴核算范围（未结课、无验收或考核记录）")
    if xlsx is not None:
        notice_report.write(xlsx, result)
        out.print(f"公示名单已写出：{xlsx}")


def _show(result: Review, as_json: bool) -> None:
    from crosscheck.checks.review import VERDICT_LABELS
    from crosscheck.evidence import NAME_LEVELS
    from crosscheck.policy.loader import label as policy_label
    from crosscheck.rules import SEVERITY_LABELS

    if as_json:
        out.print_json(json.dumps(result.to_json(), ensure_ascii=False, default=str))
        return
    flagged = sum(t.verdict != "approve" for t in result.trainees)
    lifted = sum(f.decision is not None for f in result.findings)
    stage = "开班审核" if result.stage == "opening" else "补贴核算复核"
    out.print(
        f"班级 {esc(result.class_id)}（{esc(result.info.get('policy_label') or '—')}）{stage}结论："
        f"[bold]{VERDICT_LABELS[result.verdict]}[/]（{len(result.findings)} 个问题"
        + (f"，其中 {lifted} 个经审核不再计入" if lifted else "")
        + f"，{flagged}/{len(result.trainees)} 名学员有问题）"
    )
    colours = {"block": "red", "exclude": "magenta", "review": "yellow", "deduct": "cyan"}
    for f in result.findings:
        who = esc(f"{f.id_masked} {f.name or ''}") if f.id_masked else "（班级）"
        compared = NAME_LEVELS.get(f.match_level or "", f.match_level)
        level = f"，姓名比对：{compared}" if f.match_level else ""
        colour = colours.get(f.severity, "white")
        out.print(
            f"[{colour}]{SEVERITY_LABELS.get(f.severity, f.severity)}[/] {f.rule_code} "
            f"{esc(f.title)} — {who} — {esc(policy_label(f.policy_id))} "
            f"{esc(f.clause or '')}{esc(level)}",
            soft_wrap=True,
        )
        # the sentence a person reads; the JSON itself is in --json and the workbook
        out.print(f"    证据：{esc(f.text)}", soft_wrap=True, style="dim")
        if f.decision:  # lifted: shown, no longer counted
            d = f.decision
            out.print(
                f"    [green]经审核{d['label']}[/]（{esc(d['by'])}，{d['at']:%Y-%m-%d}"
                + (f"，理由：{esc(d['reason'])}" if d["reason"] else "")
                + "）：不再计入结论",
                soft_wrap=True,
            )
    if result.roster_problems:
        table = Table(
            "行", "字段", "问题", title="花名册中无法读取的字段（已留空，该学员照常核查）"
        )
        for p in result.roster_problems:
            table.add_row(str(p["row"] or "—"), esc(str(p["field"])), esc(str(p["message"])))
        out.print(table)


def _show_payout(results: list[Review], table: pl.DataFrame, people: pl.DataFrame) -> None:
    import polars as pl

    for r in results:
        _show(r, as_json=False)
        if "accounting" in r.info:
            out.print(f"[yellow]{esc(r.info['accounting'])}[/]")
    labels = {
        "dropped_out": "中退",
        "social_insurance": "缴纳社会保险",
        "exam_failed": "未通过考试",
        "exam_absent": "未报名参加考试",
        "materials_failed": "材料审核不合格",
        "other_excluded": "其他原因",
    }
    excluded = people.filter(pl.col("excluded").is_not_null())
    if excluded.height:
        from crosscheck import idnumber

        view = Table("班级编号", "身份证号码", "姓名", "计入列", "原因", title="不予补贴学员")
        for row in excluded.iter_rows(named=True):
            view.add_row(
                esc(row["class_id"]),
                idnumber.mask(row["id_number"]),
                esc(row["name"]),
                labels[row["excluded"]],
                esc("、".join(row["reasons"] or [])),
            )
        out.print(view)
    out.print("[bold]补贴核算表[/]")
    for row in table.iter_rows(named=True):
        rates = row["rows"] if len(row["rows"]) > 1 else [row]
        out.print(
            f"{esc(row['class_id'])}："
            + ("" if row["payable"] else "（[red]存在阻断问题，暂不拨付[/]）")
            + ("按补贴标准分行：" if len(rates) > 1 else ""),
            soft_wrap=True,
        )
        for part in rates:
            rate = part.get("rate_fen", (row["rows"][0] if row["rows"] else {}).get("rate_fen"))
            counts = "，".join(
                f"{label}{part[c]}"
                for c, label in (
                    ("opened", "开班"),
                    ("dropped_out", "中退"),
                    ("social_insurance", "社保"),
                    ("exam_failed", "未通过考试"),
                    ("exam_absent", "未参考"),
                    ("materials_failed", "材料不合格"),
                    ("other_excluded", "其他原因"),
                )
            )
            out.print(
                f"  {counts} → 实际补贴{part['subsidised']}人 × 补贴标准 "
                f"{'未定' if rate is None else f'{rate // 100:,}'} × {row['months']}个月；"
                f"拟补贴 {_yuan(part['proposed_fen'])} 元，"
                f"扣减 {_yuan(part['total_deduction_fen'])} 元"
                f"（到课率 {float(part['attendance_deduction_rate']):.0%}，"
                f"违纪违规 {float(part['violation_rate']):.0%}），"
                f"实际补贴 [bold]{_yuan(part['actual_fen'])}[/] 元",
                soft_wrap=True,
            )


def _yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"
