"""``crosscheck check all``, ``crosscheck eval`` and ``crosscheck findings export``."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from crosscheck import idnumber, warehouse
from crosscheck.cli import err, out
from crosscheck.cli.db_cmd import DbOption
from crosscheck.errors import CrosscheckError, parse_date
from crosscheck.paths import default_warehouse
from crosscheck.rules import RULES

if TYPE_CHECKING:  # the checks load only when a command runs
    import duckdb
    import polars as pl

    from checks.evaluate import Score
    from checks.runner import RunSummary

check_app = typer.Typer(
    help="核查：身份、开班前资格与班级规则、结课后补贴核算。", no_args_is_help=True
)
findings_app = typer.Typer(help="核查结果。", no_args_is_help=True)
STAGE_LABELS = {"identity": "身份与花名册", "opening": "开班审核", "payout": "补贴核算"}


def _run_all(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> list[RunSummary]:
    from checks import runner

    run_id = f"check-{dt.datetime.now():%Y%m%dT%H%M%S}"
    return [
        runner.run(con, stage, run_id, as_of=as_of) for stage in ("identity", "opening", "payout")
    ]


@check_app.command("all")
def check_all(
    as_of: Annotated[str | None, typer.Option("--as-of", help="核查日期（默认今天）")] = None,
    db: DbOption = None,
) -> None:
    """对仓库中所有班级运行全部核查规则（每晚任务的核查部分），只记录新发现的问题。"""
    day = parse_date(as_of, field="核查日期") if as_of else dt.date.today()
    path = db or default_warehouse()
    con = warehouse.connect(path)
    try:
        summaries = _run_all(con, day)
        counts = con.execute(
            "SELECT rule_code, severity, count(*) FROM findings WHERE resolved_at IS NULL "
            "GROUP BY ALL ORDER BY rule_code, severity"
        ).fetchall()
    finally:
        con.close()
    for s in summaries:
        out.print(
            f"{STAGE_LABELS[s.stage]}：发现 {s.found} 项（新增 {s.new}，已消除 {s.resolved}）"
        )
    table = Table("规则代码", "名称", "严重程度", "数量", title=f"未消除的问题（{path}）")
    for code, severity, n in counts:
        table.add_row(code, RULES[code].title, severity, f"{n:,}")
    out.print(table)


def evaluate_world(world: Path, db: Path | None) -> tuple[dict[str, Score], pl.DataFrame]:
    """Load a world into a warehouse, run every stage, score it and fill the accounting."""
    from checks import accounting, evaluate
    from crosscheck.ingest.run import from_files

    manifest = json.loads((world / "world.json").read_text(encoding="utf-8"))
    as_of = dt.date.fromisoformat(manifest["as_of"])
    path = db or Path(tempfile.mkdtemp(prefix="crosscheck-eval-")) / "eval.duckdb"
    con = warehouse.connect(path)
    try:
        err.print(f"[dim]载入 {world} → {path}[/]")
        from_files(con, world, as_of=as_of)
        _run_all(con, as_of)
        return evaluate.score(con, world, set(RULES)), accounting.compute(con, as_of)
    finally:
        con.close()


def eval_(
    world: Annotated[Path, typer.Option("--world", help="合成世界目录")],
    db: DbOption = None,
) -> None:
    """与合成世界的标准答案比对：各规则的精确率、召回率，以及每一处金额差异。

    退出状态：0 全部一致，1 有差异。
    """
    import polars as pl

    if not (world / "world.json").is_file():
        raise CrosscheckError(f"{world} 不是合成世界目录（缺少 world.json）")
    scores, money = evaluate_world(world, db)
    table = Table("规则代码", "应发现", "发现", "命中", "精确率", "召回率", "严重程度一致")
    perfect = True
    for code, s in scores.items():
        ok = (s.precision, s.recall, s.severity_agrees) == (1.0, 1.0, s.true_positive)
        perfect &= ok
        style = "" if ok else "red"
        table.add_row(
            code,
            str(s.expected),
            str(s.found),
            str(s.true_positive),
            f"{s.precision:.3f}",
            f"{s.recall:.3f}",
            str(s.severity_agrees),
            style=style,
        )
    out.print(table)
    truth = pl.read_parquet(world / "truth/expected_accounting.parquet")
    joined = truth.join(money, on="class_id", how="full", suffix="_got")
    amounts = ["proposed_fen", "attendance_deduction_fen", "violation_deduction_fen", "actual_fen"]
    mismatches = [
        (r["class_id"] or r["class_id_got"], a, r[a], r[f"{a}_got"])
        for r in joined.iter_rows(named=True)
        for a in amounts
        if r[a] != r[f"{a}_got"]
    ]
    for class_id, column, expected, found in mismatches:
        out.print(f"[red]金额不一致[/] {class_id} {column}：应为 {expected}，核算为 {found}")
    out.print(f"补贴核算表：{truth.height} 个班，金额不一致 {len(mismatches)} 处")
    if mismatches or not perfect:
        raise typer.Exit(1)


@findings_app.command("export")
def export(
    out_path: Annotated[Path, typer.Option("--out", help="输出文件")],
    fmt: Annotated[str, typer.Option("--format", help="csv 或 parquet")] = "csv",
    full_id: Annotated[
        bool, typer.Option("--full-id", help="导出完整身份证号码（默认掩码）")
    ] = False,
    db: DbOption = None,
) -> None:
    """导出全部未消除的核查结果：阶段、班级、身份证号码、规则、严重程度、政策、依据条款、证据。"""
    import polars as pl

    if fmt not in ("csv", "parquet"):
        raise CrosscheckError(f"未知格式 “{fmt}”：应为 csv 或 parquet")
    con = warehouse.connect(db or default_warehouse(), read_only=True)
    try:
        table = con.sql(
            "SELECT stage, class_id, id_number, rule_code, severity, policy_id, policy_version, "
            "clause, match_level, CAST(evidence AS VARCHAR) AS evidence, first_seen_at "
            "FROM findings WHERE resolved_at IS NULL ORDER BY class_id, id_number, rule_code"
        ).to_arrow_table()
    finally:
        con.close()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if not full_id:
        frame = frame.with_columns(
            pl.col("id_number").map_elements(
                lambda v: idnumber.mask(v) if v else v, return_dtype=pl.String
            )
        )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        frame.write_csv(out_path)
    else:
        frame.write_parquet(out_path)
    out.print(
        f"已导出 {frame.height:,} 项核查结果到 {out_path}"
        + ("" if full_id else "（身份证号码已掩码）")
    )


VERDICT_EXIT = {"approve": 0, "reject": 1, "review": 3}
VERDICT_LABELS = {"approve": "通过", "reject": "不通过", "review": "需人工复核"}


def _verdict(severities: set[str]) -> str:
    if "block" in severities:
        return "reject"
    return "review" if "review" in severities else "approve"


@check_app.command("opening")
def opening(
    class_id: Annotated[str, typer.Option("--class", help="班级编号")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="核查日期（默认今天）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="同时写出审核结果 .xlsx")] = None,
    db: DbOption = None,
) -> None:
    """开班审核：一个班级的结论、每名学员的结论，以及每个问题的规则、严重程度、证据与依据条款。

    退出状态：0 通过，1 不通过，3 需人工复核，2 输入错误。
    """
    from checks import runner

    day = parse_date(as_of, field="核查日期") if as_of else dt.date.today()
    con = warehouse.connect(db or default_warehouse())
    try:
        known = con.execute(
            "SELECT count(*) FROM classes WHERE class_id = ?", [class_id]
        ).fetchall()
        if not known[0][0]:
            raise CrosscheckError(f"仓库中没有班级 {class_id}：先载入开班备案与花名册")
        run_id = f"opening-{class_id}-{dt.datetime.now():%Y%m%dT%H%M%S}"
        for stage in ("identity", "opening"):
            runner.run(con, stage, run_id, as_of=day, class_ids=[class_id])
        rows = con.execute(
            "SELECT id_number, rule_code, severity, policy_id, clause, match_level, "
            "CAST(evidence AS VARCHAR) FROM findings WHERE class_id = ? AND resolved_at IS NULL "
            "AND stage IN ('identity', 'opening') ORDER BY id_number NULLS FIRST, rule_code",
            [class_id],
        ).fetchall()
        trainees = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT id_number FROM roster_entries WHERE class_id = ? ORDER BY 1",
                [class_id],
            ).fetchall()
        ]
    finally:
        con.close()
    findings = [
        dict(
            zip(
                (
                    "id_number",
                    "rule_code",
                    "severity",
                    "policy_id",
                    "clause",
                    "match_level",
                    "evidence",
                ),
                r,
                strict=True,
            )
        )
        for r in rows
    ]
    for f in findings:  # never a full ID number on screen or in a file
        f["id_number"] = idnumber.mask(f["id_number"]) if f["id_number"] else None
        f["evidence"] = json.loads(f["evidence"])
    verdict = _verdict({f["severity"] for f in findings})
    per_person: dict[str, set[str]] = {}
    for f in findings:
        if f["id_number"]:
            per_person.setdefault(f["id_number"], set()).add(f["severity"])
    people = {idnumber.mask(t): _verdict(per_person.get(idnumber.mask(t), set())) for t in trainees}
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "class_id": class_id,
                    "verdict": verdict,
                    "trainees": people,
                    "findings": findings,
                },
                ensure_ascii=False,
                default=str,
            )
        )
    else:
        out.print(
            f"班级 {class_id} 开班审核结论：[bold]{VERDICT_LABELS[verdict]}[/]"
            f"（{len(findings)} 个问题，{sum(v != 'approve' for v in people.values())}/"
            f"{len(people)} 名学员有问题）"
        )
        table = Table("身份证号码", "规则", "名称", "严重程度", "依据", "证据", title="问题清单")
        for f in findings:
            table.add_row(
                f["id_number"] or "（班级）",
                f["rule_code"],
                RULES[f["rule_code"]].title,
                f["severity"],
                f["clause"] or "",
                json.dumps(f["evidence"], ensure_ascii=False)[:120],
            )
        out.print(table)
    if xlsx is not None:
        _write_review(xlsx, class_id, verdict, findings)
    raise typer.Exit(VERDICT_EXIT[verdict])


def _write_review(
    path: Path, class_id: str, verdict: str, findings: list[dict[str, object]]
) -> None:
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("开班审核")
    bold = wb.add_format({"bold": True})
    ws.write(0, 0, f"班级 {class_id} 开班审核结论：{VERDICT_LABELS[verdict]}", bold)
    headers = [
        "身份证号码（掩码）",
        "规则代码",
        "规则名称",
        "严重程度",
        "政策",
        "依据条款",
        "匹配等级",
        "证据",
    ]
    ws.write_row(2, 0, headers, bold)
    for i, f in enumerate(findings, start=3):
        ws.write_row(
            i,
            0,
            [
                str(f["id_number"] or "（班级）"),
                str(f["rule_code"]),
                RULES[str(f["rule_code"])].title,
                str(f["severity"]),
                str(f["policy_id"]),
                str(f["clause"] or ""),
                str(f["match_level"] or ""),
                json.dumps(f["evidence"], ensure_ascii=False),
            ],
        )
    ws.set_column(0, 0, 22)
    ws.set_column(7, 7, 80)
    wb.close()
