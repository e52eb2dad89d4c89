"""``crosscheck check all``, ``crosscheck eval`` and ``crosscheck findings export``."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from crosscheck import idnumber, killpoint, warehouse
from crosscheck.cli import err, out
from crosscheck.cli.db_cmd import DbOption
from crosscheck.errors import CrosscheckError, as_of_date, output_file
from crosscheck.paths import default_warehouse
from crosscheck.rules import RULES

if TYPE_CHECKING:  # the checks load only when a command runs
    import duckdb
    import polars as pl

    from crosscheck.checks.evaluate import Score
    from crosscheck.checks.runner import RunSummary

check_app = typer.Typer(
    help="核查：身份、开班前资格与班级规则、结课后补贴核算。", no_args_is_help=True
)
findings_app = typer.Typer(help="核查结果。", no_args_is_help=True)
STAGE_LABELS = {"identity": "身份与花名册", "opening": "开班审核", "payout": "补贴核算"}


def _run_all(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    workers: int = 1,
    scheduler: str | None = None,
) -> list[RunSummary]:
    from crosscheck import decisions
    from crosscheck.checks import runner

    merged = decisions.merge_inbox(con)  # the decisions and appeals made on the web since
    if merged:
        err.print(f"[dim]已并入网页上的审核结论与异议 {merged} 条[/]")

    run_id = f"check-{dt.datetime.now():%Y%m%dT%H%M%S}"
    stages = ["identity", "opening", "payout"]
    if workers == 1 and scheduler is None:
        return runner.run_stages(con, stages, run_id, as_of=as_of)
    from crosscheck.checks import partition

    return partition.run(
        con,
        stages,
        run_id,
        as_of=as_of,
        parts=workers,
        mapper=partition.dask_mapper(workers, scheduler),
        threads=partition.task_threads(workers, scheduler),
    )


@check_app.command("all")
def check_all(
    as_of: Annotated[str | None, typer.Option("--as-of", help="核查日期（默认今天）")] = None,
    db: DbOption = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="按身份证号前 14 位分区、在 Dask 上并行核查的分区数（默认 1：不分区）",
        ),
    ] = 1,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler", help="Dask 调度器地址（如 tcp://10.0.0.5:8786；默认在本机启动）"
        ),
    ] = None,
) -> None:
    """对仓库中所有班级运行全部核查规则（每晚任务的核查部分），只记录新发现的问题。"""
    day = as_of_date(as_of)
    path = db or default_warehouse()
    con = warehouse.connect(path)
    try:
        summaries = _run_all(con, day, workers, scheduler)
        from crosscheck.reports.publish import publish_all

        killpoint.here("check.publish")
        publish_all(con, path, day)  # the dashboard's data and the service's snapshot
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
    from crosscheck.rules import SEVERITY_LABELS as labels

    table = Table("规则代码", "名称", "严重程度", "数量", title=f"未消除的问题（{path}）")
    for code, severity, n in counts:
        table.add_row(code, RULES[code].title, labels.get(severity, severity), f"{n:,}")
    out.print(table)


def evaluate_world(
    world: Path, db: Path | None
) -> tuple[dict[str, Score], dict[str, Score], pl.DataFrame, pl.DataFrame | None]:
    """Load a world into a warehouse, run every stage, score it and fill the accounting.
    A world with planted decisions: they are made after the first run, the next
    day's delta is loaded and every stage runs again before the scores; the fourth
    value scores the decisions (None without)."""
    from crosscheck.checks import accounting, evaluate
    from crosscheck.cli.world_cmd import read_manifest
    from crosscheck.ingest.run import from_files

    as_of = dt.date.fromisoformat(str(read_manifest(world)["as_of"]))
    # without --db, a warehouse of its own that goes when the scores are in (it holds
    # the world's people: nothing of it stays behind outside $CROSSCHECK_HOME)
    scratch = None if db else Path(tempfile.mkdtemp(prefix="crosscheck-eval-"))
    path = db or (scratch or Path()) / "eval.duckdb"
    con = warehouse.connect(path, create=True)  # eval loads a world: a new file is fine
    try:
        err.print(f"[dim]载入 {world} → {path}[/]")
        from_files(con, world, as_of=as_of)
        _run_all(con, as_of)
        planted = (world / evaluate.PLANTED).is_file()
        if planted:
            made, refused = evaluate.make_decisions(con, world)
            err.print(
                f"[dim]已作出埋入的审核结论 {made} 个（另有 {refused} 个按规定被拒绝）；"
                "载入次日的增量后重新核查[/]"
            )
            from_files(con, world, as_of=as_of + dt.timedelta(days=1))
            _run_all(con, as_of)
        codes = set(RULES)
        return (
            evaluate.score(con, world, codes),
            evaluate.score_by(con, world, codes),
            accounting.compute(con, as_of),
            evaluate.score_decisions(con, world) if planted else None,
        )
    finally:
        con.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def evaluate_nation(
    world: Path, db: Path | None
) -> dict[str, tuple[dict[str, Score], dict[str, Score], pl.DataFrame]]:
    """A nation (:mod:`crosscheck.world.nation`) as its provinces would run it: each
    loads its own folder into its own warehouse and runs every stage; each exports
    its training records to the national exchange (beside the exchange-only
    provinces' files); each receives the others', loads again and runs every stage
    again. Scores per province against its truth. ``db``: a folder to keep the
    warehouses and the exchange in (default: a temporary one, removed after)."""
    from crosscheck import exchange
    from crosscheck.checks import accounting, evaluate
    from crosscheck.cli.world_cmd import read_manifest
    from crosscheck.ingest.run import from_files

    as_of = dt.date.fromisoformat(str(read_manifest(world)["as_of"]))
    scratch = None if db else Path(tempfile.mkdtemp(prefix="crosscheck-eval-"))
    home = db or scratch or Path()
    provinces = sorted(p.name for p in (world / "provinces").iterdir() if p.is_dir())
    hub = home / "exchange"
    hub.mkdir(parents=True, exist_ok=True)
    for f in sorted((world / "exchange").glob("*.parquet")):
        shutil.copy2(f, hub / f.name)
    cons: dict[str, duckdb.DuckDBPyConnection] = {}
    try:
        for code in provinces:  # each province's own night, before any exchange
            folder = home / code
            if folder.exists():
                shutil.rmtree(folder)
            shutil.copytree(world / "provinces" / code, folder)
            cons[code] = con = warehouse.connect(home / f"{code}.duckdb", create=True)
            err.print(f"[dim]省份 {code}：载入 {folder}，核查[/]")
            from_files(con, folder, as_of=as_of)
            _run_all(con, as_of)
            exchange.write(exchange.export(con, code, as_of), hub / f"{code}.parquet")
        results = {}
        for code, con in cons.items():  # the next night: the others' records have arrived
            got = exchange.receive(hub, home / code, code).rows
            err.print(
                f"[dim]省份 {code}：收到外省培训记录 "
                + "、".join(f"{exchange.label(k)} {v:,} 条" for k, v in got.items())
                + "，重新载入并核查[/]"
            )
            from_files(con, home / code, as_of=as_of)
            _run_all(con, as_of)
            truth = world / "provinces" / code
            codes = set(RULES)
            results[code] = (
                evaluate.score(con, truth, codes),
                evaluate.score_by(con, truth, codes),
                accounting.compute(con, as_of),
            )
        return results
    finally:
        for con in cons.values():
            con.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def eval_(
    world: Annotated[Path, typer.Option("--world", help="合成世界目录")],
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="保留评估所用的仓库文件于此（默认用临时文件，评估后删除）；"
            "多省世界：保留各省仓库与交换文件的目录",
            show_default=False,
        ),
    ] = None,
) -> None:
    """与合成世界的标准答案比对：各规则的精确率、召回率，以及每一处金额差异。
    多省世界（--scale nation）：各省分别核查，经全国交换互见培训记录后逐省比对。

    退出状态：0 全部一致，1 有差异。
    """
    from crosscheck.cli.world_cmd import read_manifest

    if not (world / "world.json").is_file():
        raise CrosscheckError(f"{world} 不是合成世界目录（缺少 world.json）")
    if read_manifest(world).get("provinces"):
        if not (world / "provinces").is_dir():
            raise CrosscheckError(f"{world}：多省世界缺少 provinces/ 目录（世界目录已损坏？）")
        results = evaluate_nation(world, db)
        perfect = True
        for code, (scores, groups, money) in results.items():
            perfect &= _report(
                scores, groups, money, None, world / "provinces" / code, f"省份 {code}："
            )
        out.print(
            f"全国：{len(results)} 个省份各自核查"
            + ("，全部一致" if perfect else "，[red]有差异[/]")
        )
        if not perfect:
            raise typer.Exit(1)
        return
    scores, groups, money, decided = evaluate_world(world, db)
    if not _report(scores, groups, money, decided, world, ""):
        raise typer.Exit(1)


def _report(
    scores: dict[str, Score],
    groups: dict[str, Score],
    money: pl.DataFrame,
    decided: pl.DataFrame | None,
    world: Path,
    title: str,
) -> bool:
    """Print one world's (or province's) scores, money and decisions; whether all agree."""
    import polars as pl

    heads = ("规则代码", "应发现", "发现", "命中", "精确率", "召回率", "严重程度一致")
    table = Table(*heads, title=title or None)
    perfect = True
    labels = {"identity": "阶段：身份", "opening": "阶段：开班", "payout": "阶段：补贴核算"}
    labels["fuzzy identity"] = "模糊身份匹配"
    rows = list(scores.items()) + [(labels[k], v) for k, v in groups.items()]
    for i, (code, s) in enumerate(rows):
        if i == len(scores):
            table.add_section()
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
    amounts = [
        "proposed_fen",
        "attendance_deduction_fen",
        "violation_deduction_fen",
        "actual_fen",
        "payable",
    ]
    mismatches = [
        (r["class_id"] or r["class_id_got"], a, r[a], r[f"{a}_got"])
        for r in joined.iter_rows(named=True)
        for a in amounts
        if r[a] != r[f"{a}_got"]
    ]
    for class_id, column, expected, found in mismatches:
        what = "是否拨付（payable）" if column == "payable" else column
        out.print(f"[red]金额不一致[/] {class_id} {what}：应为 {expected}，核算为 {found}")
    out.print(f"{title}补贴核算表：{truth.height} 个班，金额不一致 {len(mismatches)} 处")
    if decided is not None:
        wrong = decided.filter(~pl.col("ok"))
        for r in wrong.iter_rows(named=True):
            out.print(
                f"[red]审核结论不一致[/] {r['class_id']} {r['rule_code']}（{r['case']}）："
                f"应为“{r['status']}”{'' if r['recorded'] else '（应拒绝）'}，"
                f"实为“{r['status_got']}”{'' if r['recorded_got'] else '（未记录）'}"
            )
        out.print(f"审核结论：埋入 {decided.height} 个，效果不一致 {wrong.height} 个")
        perfect &= wrong.height == 0
    return perfect and not mismatches


# the options and the writing every export shares (findings, links)
OutOption = Annotated[Path, typer.Option("--out", help="输出文件")]
FormatOption = Annotated[str, typer.Option("--format", help="csv 或 parquet")]
FullIdOption = Annotated[bool, typer.Option("--full-id", help="导出完整身份证号码（默认掩码）")]


def check_export(out_path: Path, fmt: str) -> None:
    """Refuse a bad --format or --out before any work is done."""
    if fmt not in ("csv", "parquet"):
        raise CrosscheckError(f"未知格式 “{fmt}”：应为 csv 或 parquet")
    output_file(out_path)


def write_export(frame: Any, out_path: Path, fmt: str) -> None:
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        frame.write_csv(out_path)
    else:
        frame.write_parquet(out_path)


def readable(frame: pl.DataFrame) -> pl.DataFrame:
    """Beside each finding's codes, what a person reads: the rule's title, the
    severity and policy by name, and the evidence as a sentence (ID numbers masked
    in it whatever ``--full-id`` says; the JSON column keeps the raw record)."""
    import polars as pl

    from crosscheck.evidence import describe
    from crosscheck.policy.loader import label
    from crosscheck.rules import RULES, SEVERITY_LABELS

    titles = {code: rule.title for code, rule in RULES.items()}
    policies = {p: label(p) for p in frame["policy_id"].unique().to_list() if p}
    texts = [
        describe(code, ev)
        for code, ev in zip(frame["rule_code"].to_list(), frame["evidence"].to_list(), strict=True)
    ]
    return frame.with_columns(
        pl.col("rule_code").replace_strict(titles, default=None).alias("rule_title"),
        pl.col("severity").replace_strict(SEVERITY_LABELS, default=None).alias("severity_label"),
        pl.col("policy_id").replace_strict(policies, default=None).alias("policy_label"),
        pl.Series("evidence_text", texts, dtype=pl.String),
    )


@findings_app.command("export")
def export(
    out_path: OutOption,
    fmt: FormatOption = "csv",
    full_id: FullIdOption = False,
    db: DbOption = None,
) -> None:
    """导出全部未消除的核查结果：阶段、班级、身份证号码、规则、严重程度、政策、依据条款、证据。"""
    import polars as pl

    check_export(out_path, fmt)
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
        from crosscheck.checks.review import scrub

        frame = frame.with_columns(
            pl.col("id_number").map_elements(
                lambda v: idnumber.mask(v) if v else v, return_dtype=pl.String
            ),
            # evidence cites registry keys, and the household register's key is the number
            pl.col("evidence").map_elements(scrub, return_dtype=pl.String),
        )
    frame = readable(frame)
    write_export(frame, out_path, fmt)
    out.print(
        f"已导出 {frame.height:,} 项核查结果到 {out_path}"
        + ("" if full_id else "（身份证号码已掩码）")
    )
