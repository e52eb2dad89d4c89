"""``crosscheck review list|decide|appeal|history``: the official's decisions on
findings, and appeals against them. Each command first merges the decisions and
appeals made on the web since the last run (``decisions.merge_inbox``)."""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.markup import escape as esc
from rich.table import Column, Table

from crosscheck import warehouse
from crosscheck.cli import out
from crosscheck.cli.db_cmd import DbOption
from crosscheck.paths import default_warehouse


def _open(db: Path | None) -> duckdb.DuckDBPyConnection:
    """The warehouse, with the web's decisions and appeals merged in."""
    from crosscheck import decisions

    con = warehouse.connect(db or default_warehouse())
    try:
        decisions.merge_inbox(con)
    except BaseException:
        con.close()
        raise
    return con


app = typer.Typer(
    help="审核问题：待审核清单、作出审核结论（确认 / 驳回 / 准予例外）、登记异议与审核记录。",
    no_args_is_help=True,
)


@app.command("list")
def list_(
    class_id: Annotated[str | None, typer.Option("--class", help="只列该班级")] = None,
    rule: Annotated[
        str | None, typer.Option("--rule", help="只列该规则，如 CLASS_TOO_LARGE")
    ] = None,
    city: Annotated[
        str | None, typer.Option("--city", help="只列该地区（行政区划代码前缀，如 2104）")
    ] = None,
    include_decided: Annotated[
        bool, typer.Option("--all", help="也列出已审核的问题（默认只列待审核的）")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
    db: DbOption = None,
) -> None:
    """待审核的问题，最早发现的在前：从未审核的，以及驳回或准予例外后证据又有变化的。"""
    from crosscheck.decisions import queue
    from crosscheck.evidence import describe
    from crosscheck.rules import RULES, SEVERITY_LABELS

    with closing(_open(db)) as con:
        rows = queue(con, class_id=class_id, rule=rule, city=city, include_decided=include_decided)
    if as_json:
        out.print_json(json.dumps(rows, ensure_ascii=False, default=str))
        return
    table = Table(
        "编号",
        "班级",
        "学员",
        "问题",
        "处理",
        "状态",
        Column("证据", overflow="fold"),
        title=f"待审核的问题（{len(rows)} 个）"
        if not include_decided
        else f"问题（{len(rows)} 个）",
    )
    for r in rows:
        title = RULES[r["rule_code"]].title if r["rule_code"] in RULES else r["rule_code"]
        table.add_row(
            r["finding_id"][:12],
            esc(r["class_id"]),
            r["id_masked"] or "（班级）",
            esc(title),
            SEVERITY_LABELS.get(r["severity"], r["severity"]),
            r["status"],
            esc(describe(r["rule_code"], r["evidence"])),
        )
    out.print(table)


@app.command("decide")
def decide(
    finding: Annotated[str, typer.Argument(help="问题编号（review list 列出的前 12 位即可）")],
    kind: Annotated[str, typer.Option("--kind", help="审核结论：确认、驳回 或 准予例外")],
    by: Annotated[str, typer.Option("--by", help="审核人姓名")],
    reason: Annotated[
        str | None, typer.Option("--reason", help="理由（驳回、准予例外时必填）")
    ] = None,
    attachment: Annotated[
        list[str] | None, typer.Option("--attachment", help="所见证明材料的名称（可重复）")
    ] = None,
    db: DbOption = None,
) -> None:
    """对一个问题作出审核结论。驳回与准予例外须写理由；准予例外只适用于政策写明“原则上”
    的限制（如每班人数上限）。审核记录只增不改：后一个结论取代前一个。

    退出状态：0 已记录，2 问题不存在、已不成立、不能准予例外或缺少理由。
    """
    from crosscheck import accounts, decisions

    with closing(_open(db)) as con:
        done = decisions.decide(con, finding, kind, by, reason, attachment)
        found = decisions.find(con, finding)
    accounts.audit(
        by,
        "decision",
        f"{found.class_id} {found.rule_code} {found.finding_id[:12]}",
        {"kind": done["kind_label"], "reason": done["reason"], "via": "命令行"},
    )
    out.print(
        f"已记录：问题 {done['finding_id'][:12]} {done['kind_label']}"
        f"（{esc(done['decided_by'])}，{done['decided_at']:%Y-%m-%d %H:%M}）"
        + (f"，理由：{esc(done['reason'])}" if done["reason"] else "")
    )


@app.command("history")
def history(
    finding: Annotated[str, typer.Argument(help="问题编号")],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
    db: DbOption = None,
) -> None:
    """一个问题的全部审核记录（最早的在前），以及此后证据是否有变化。"""
    from crosscheck import decisions

    with closing(_open(db)) as con:
        rows = decisions.history(con, finding)
        found = decisions.find(con, finding)
        state = decisions.status(con, found.finding_id)
        appeals = decisions.appeals(con, found.finding_id)
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "finding_id": found.finding_id,
                    "status": state,
                    "decisions": rows,
                    "appeals": appeals,
                },
                ensure_ascii=False,
                default=str,
            )
        )
        return
    table = Table(
        "时间",
        "审核人",
        "结论",
        "理由",
        "证明材料",
        "此后证据",
        title=f"问题 {found.finding_id[:12]}：{state}",
    )
    for r in rows:
        table.add_row(
            f"{r['decided_at']:%Y-%m-%d %H:%M}",
            esc(r["decided_by"]),
            r["kind_label"],
            esc(r["reason"] or ""),
            esc("、".join(r["attachments"])),
            "已变化" if r["evidence_changed"] else "未变",
        )
    for a in appeals:
        table.add_row(
            f"{a['recorded_at']:%Y-%m-%d %H:%M}",
            esc(a["recorded_by"]),
            f"{a['party_label']}异议" + ("（待复核）" if a["open"] else ""),
            esc(a["grounds"]),
            esc("、".join(a["attachments"])),
            "",
        )
    out.print(table)


@app.command("appeal")
def appeal(
    finding: Annotated[str, typer.Argument(help="问题编号（review list 列出的前 12 位即可）")],
    party: Annotated[str, typer.Option("--party", help="异议人：机构 或 学员")],
    grounds: Annotated[str, typer.Option("--grounds", help="异议的理由（异议人的原话）")],
    by: Annotated[str, typer.Option("--by", help="登记人姓名")],
    attachment: Annotated[
        list[str] | None, typer.Option("--attachment", help="异议人提交的材料名称（可重复）")
    ] = None,
    db: DbOption = None,
) -> None:
    """登记机构或学员对一个问题（或公示名单中的一项）的异议。异议使问题重新待审核，
    须由另一位复核人（不是作出被异议结论的人）作出结论；异议未决期间暂缓拨付该学员的补贴。

    退出状态：0 已登记，2 问题不存在、已不成立或已有未决异议。
    """
    from crosscheck import accounts, decisions

    with closing(_open(db)) as con:
        row = decisions.appeal(con, finding, party, grounds, by, attachment)
    accounts.audit(
        by,
        "appeal",
        f"{row['class_id']} {row['rule_code']} {row['finding_id'][:12]}",
        {"party": decisions.PARTIES[row["party"]], "grounds": row["grounds"], "via": "命令行"},
    )
    first = row["first_reviewer"]
    out.print(
        f"已登记：问题 {row['finding_id'][:12]} 的{decisions.PARTIES[row['party']]}异议"
        f"（{esc(by)}，{row['recorded_at']:%Y-%m-%d %H:%M}）。该问题重新待审核，"
        + (f"须由 {esc(first)} 以外的复核人作出结论。" if first else "须由复核人作出结论。")
    )
