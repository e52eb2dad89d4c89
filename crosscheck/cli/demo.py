"""``crosscheck demo``: the README's main command — the whole story on the
embedded defaults.

The domain core on built-in examples (ID numbers, names, working days, the
policies side by side); then a `small` synthetic world (generated once, reused
after), its registries served by the simulator over HTTP on loopback and pulled
through the data-quality gates, the city's operational data loaded from its
files, every check run, the dashboard's data published, one opening review,
one payment batch's 补贴核算表 and 公示名单, and the monthly report — ending with
what was found and where to look.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

from rich.rule import Rule
from rich.table import Table

from crosscheck import idnumber, names, policy, warehouse
from crosscheck.cli import out
from crosscheck.paths import default_warehouse
from crosscheck.policy.model import Policy
from crosscheck.workdays import calendar

# Synthetic numbers only (the standard's example and made-up ones with valid check digits).
_IDS = [
    ("210102199003071233", "有效号码"),
    ("210102199003071230", "校验码错误"),
    ("510104199002291238", "1990年无2月29日"),
    ("２１０４０２ ２０００ ０２２９ １２３６", "全角数字加空格"),
    ("62102520040615123x", "小写 x"),
    ("622825900615123", "15位旧号码"),
]
_NAMES = [
    ("張偉", "张伟"),
    ("张伟", "张玮"),
    ("阿依古丽·买买提", "阿依古丽•买买提"),
    ("张伟", "李伟"),
]
_RATE_LABELS = {
    "vocational_qualification": "职业资格证书",
    "skill_level": "职业技能等级证书",
    "special_ability": "专项职业能力证书",
    "own_graduate": "院校培训本校毕业生",
}


def _clause(source: str) -> str:
    """``000 §3(四) “…”`` → ``000 §3(四)``."""
    return " ".join(source.split()[:2])


def _ids(as_of: dt.date) -> None:
    out.print(Rule("身份证号码（GB 11643-1999）"))
    table = Table("示例", "结果", "公示掩码", "说明", padding=(0, 1))
    for column in table.columns:
        column.overflow = "fold"
    table.columns[2].no_wrap = True
    for raw, label in _IDS:
        r = idnumber.check(raw, as_of=as_of)
        if r.valid:
            region = r.region.label if r.region else ""
            detail = "；".join([f"{region}，{r.birth_date}，{r.sex}", *r.notes.values()])
        else:
            detail = "；".join(r.problems.values())
        table.add_row(label, "有效" if r.valid else "[red]无效[/]", r.masked, detail)
    out.print(table)


def _names() -> None:
    out.print(Rule("姓名比对（匹配等级写入核查证据）"))
    for a, b in _NAMES:
        c = names.compare(a, b)
        out.print(f"  {a} / {b} → {c.level.value}（{c.level.label}）")


def _calendar(shenyang: Policy) -> None:
    out.print(Rule("工作日与开班日：2026年国庆节"))
    cal = calendar()
    start, end = dt.date(2026, 9, 25), dt.date(2026, 10, 12)
    out.print(f"  {start} 至 {end}（含首尾）共 {cal.count_workdays(start, end)} 个工作日")
    out.print(f"  2026-10-10：{cal.describe(dt.date(2026, 10, 10))}")
    days = shenyang.class_rules.opening_days_of_month
    lead = shenyang.class_rules.filing_lead_working_days
    assert days is not None
    assert lead is not None
    answer = cal.opening_day(dt.date(2026, 10, 1), days.value)
    assert answer.next_opening is not None
    out.print(
        f"  沈阳“每月1日、16日开班，逢节假日顺延”（{_clause(days.source)}）："
        f"10月1日的班应于 {answer.next_opening} 开班"
    )
    latest = cal.add_workdays(answer.next_opening, -lead.value)
    out.print(f"  “提前{lead.value}个工作日”备案（{_clause(lead.source)}）：最迟 {latest}")


def _policies(shenyang: Policy, fushun: Policy) -> None:
    out.print(Rule("政策即数据：同一问题，沈阳2022 与 抚顺2023 的不同规定"))

    def cohort(p: Policy) -> str:
        c = p.cohort
        left = (
            f"{'、'.join(map(str, c.left_school_years.value))}年离校未就业"
            if c.left_school_years
            else f"离校{c.left_school_within_years.value}年内未就业"
            if c.left_school_within_years
            else "—"
        )
        grads = c.graduating_classes.value if c.graduating_classes else []
        return f"{left}；{'、'.join(map(str, grads))}届"

    def rates(p: Policy) -> str:
        if p.payout.rates_yuan_per_month:
            return "；".join(
                f"{_RATE_LABELS.get(k, k)} {v}"
                for k, v in p.payout.rates_yuan_per_month.value.items()
            )
        if p.payout.allowed_rates_yuan_per_month:
            return "按专业 " + "或".join(map(str, p.payout.allowed_rates_yuan_per_month.value))
        return "—"

    rows = [
        ("培训对象", cohort),
        ("补贴标准（元/人/月）", rates),
        ("毕业后领取营业执照", lambda p: p.rules["PRIOR_BUSINESS"].severity.label),
        ("院校培训本校毕业生", lambda p: p.rules["OWN_GRADUATE"].severity.label),
        (
            "固定开班日",
            lambda p: (
                "每月" + "、".join(f"{d}日" for d in p.class_rules.opening_days_of_month.value)
                if p.class_rules.opening_days_of_month
                else "未规定"
            ),
        ),
    ]
    table = Table("", "沈阳2022", "抚顺2023", padding=(0, 1))
    for column in table.columns:
        column.overflow = "fold"
    for label, get in rows:
        table.add_row(label, get(shenyang), get(fushun))
    out.print(table)
    out.print("  每项参数及其条款：crosscheck policy show fushun-2023")


def _world() -> Path:
    import json

    import polars as pl

    from crosscheck.paths import home_dir
    from crosscheck.world.generate import generate

    out.print(Rule("1 合成世界（虚构数据，含预设违规与标准答案）"))
    world = home_dir() / "worlds" / "small"
    manifest_path = world / "world.json"
    if manifest_path.exists() and json.loads(manifest_path.read_text())["seed"] == 7:
        out.print(f"  复用 {world}")
    else:
        out.print("  生成 small 世界（约 6 秒）……")
        generate("small", 7, world)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    truth = pl.read_parquet(world / "truth/expected_findings.parquet")
    rows = manifest["rows"]
    out.print(
        f"  {world}：世界日期 {manifest['as_of']}，{rows['operations/classes']} 个班、"
        f"{rows['operations/roster_entries']} 条花名册记录、"
        f"{rows['registries/household_registration']:,} 名户籍人员；"
        f"标准答案 {truth.height} 条问题，覆盖 {truth['rule_code'].n_unique()} 个规则代码"
    )
    return world


def _simulator(world: Path) -> tuple[Any, threading.Thread, str]:
    import socket

    import uvicorn

    from crosscheck.simulator.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(create_app(world, TOKEN), port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


TOKEN = "crosscheck-demo"


def demo() -> None:
    """演示全流程：合成世界 → 登记库模拟服务 → 经数据质量检查载入 → 全部核查 →
    开班审核、补贴核算表与公示名单 → 月度报告 → 看板。"""
    import json

    import polars as pl

    from crosscheck.checks import review as reviews
    from crosscheck.checks import runner
    from crosscheck.cli.ingest_cmd import pull_progress
    from crosscheck.ingest.run import from_files, from_http
    from crosscheck.ingest.sources import SNAPSHOTS
    from crosscheck.paths import home_dir
    from crosscheck.reports import accounting as sheet
    from crosscheck.reports import monthly, notice
    from crosscheck.reports.publish import open_published, publish_all

    started = time.perf_counter()
    shenyang, fushun = policy.get("shenyang-2022"), policy.get("fushun-2023")
    _ids(as_of=dt.date(2026, 11, 1))
    _names()
    _calendar(shenyang)
    _policies(shenyang, fushun)
    world = _world()
    as_of = dt.date.fromisoformat(json.loads((world / "world.json").read_text())["as_of"])
    path = default_warehouse()
    reports_dir = home_dir() / "reports"
    reports_dir.mkdir(parents=True, exist_ok=True)

    out.print(Rule("2 登记库模拟服务 → HTTP 拉取，经数据质量检查载入"))
    server, thread, url = _simulator(world)
    con = warehouse.connect(path, create=True)
    try:
        with pull_progress(out, "拉取中…") as progress:
            _, outcomes = from_http(con, url, TOKEN, as_of=as_of, progress=progress)
        _, snapshots = from_files(con, world, sources=list(SNAPSHOTS), as_of=as_of)
    finally:
        server.should_exit = True
        thread.join(10)
    from crosscheck.cli.check_cmd import STAGE_LABELS
    from crosscheck.cli.ingest_cmd import STATUS_LABELS

    try:
        for o in outcomes:
            out.print(
                f"  {o.source}：读取 {o.read:,}，载入 {o.loaded:,}，"
                f"拒收 {o.rejected:,}（{STATUS_LABELS.get(o.status, o.status)}）"
            )
        ok = sum(o.status in ("loaded", "unchanged") for o in snapshots)
        out.print(
            f"  机构目录与本市业务数据（开班备案、花名册、考勤、考核……）："
            f"{ok}/{len(snapshots)} 项已载入"
        )

        out.print(Rule("3 全部核查（身份、开班审核、结课核算），发布看板数据"))
        summaries = runner.run_stages(con, ["identity", "opening", "payout"], "demo", as_of=as_of)
        for s in summaries:
            out.print(
                f"  {STAGE_LABELS[s.stage]}：发现 {s.found} 项（新增 {s.new}，已消除 {s.resolved}）"
            )
        publish_all(con, path, as_of)
        top = con.execute(
            "SELECT rule_code, count(*) FROM findings WHERE resolved_at IS NULL "
            "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 8"
        ).fetchall()
        from crosscheck.rules import RULES

        out.print("  最常见：" + "；".join(f"{RULES[c].title} {n}" for c, n in top))

        out.print(Rule("4 开班审核：问题最多的一个班"))
        busiest = con.execute(
            "SELECT class_id FROM findings WHERE stage = 'opening' AND resolved_at IS NULL "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        ).fetchall()[0][0]
        result = reviews.opening(con, busiest, as_of)
        flagged = sum(t.verdict != "approve" for t in result.trainees)
        out.print(
            f"  班级 {busiest}（{result.info.get('policy_label')}）："
            f"{reviews.VERDICT_LABELS[result.verdict]}，"
            f"{len(result.findings)} 个问题，{flagged}/{len(result.trainees)} 名学员有问题"
        )
        for f in result.findings[:5]:
            who = f"{f.id_masked} {f.name}" if f.id_masked else "（班级）"
            out.print(f"    {f.severity_label} {f.title} — {who} — {f.clause}")
        out.print(f"  完整结果：crosscheck check opening --class {busiest} --as-of {as_of}")

        out.print(Rule("5 结课核算：一个公示批次的补贴核算表与公示名单"))
        batch = con.execute(
            "SELECT n.batch_id FROM notices n JOIN classes c USING (class_id) "
            "WHERE c.policy_id = 'fushun-2023' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        ).fetchall()[0][0]
        listing, missing = notice.for_batch(con, batch, None, None, as_of)
        table = listing.accounts
        accounts_xlsx = reports_dir / f"补贴核算表-{batch}.xlsx"
        sheet.write(accounts_xlsx, table, issued_on=as_of, batch_id=batch)
        notice_xlsx = reports_dir / f"公示名单-{batch}.xlsx"
        notice.write(notice_xlsx, listing)
        total = int(listing.classes["actual_fen"].sum())
        out.print(
            f"  批次 {batch}：{listing.classes.height} 个班、{listing.rows.height} 名学员公示，"
            f"补贴 {total / 100:,.2f} 元；公示期 {listing.period}；"
            f"暂不公示 {listing.withheld.height + len(missing)} 个班"
        )
    finally:
        con.close()

    out.print(Rule("6 月度报告"))
    board = open_published()
    try:
        months = board.execute(
            "SELECT month_opened FROM classes GROUP BY 1 ORDER BY count(*) DESC, 1 DESC LIMIT 1"
        ).fetchall()
        month = months[0][0]
        report_xlsx = monthly.write_xlsx(
            board, monthly.Filters(month), reports_dir / f"月度报告-{month}.xlsx"
        )
        cities = monthly.summary(board, monthly.Filters(month), "city_name")
    finally:
        board.close()
    frame = pl.DataFrame(cities)
    out.print(
        f"  {month}：{int(frame['classes'].sum())} 个班开班，"
        f"{int(frame['trainees'].sum())} 名学员，"
        f"{int(frame['findings'].sum())} 个问题"
    )

    out.print(Rule(f"完成，用时 {time.perf_counter() - started:.0f} 秒"))
    out.print(f"  数据仓库：{path}")
    out.print(f"  补贴核算表：{accounts_xlsx}")
    out.print(f"  公示名单：{notice_xlsx}")
    out.print(f"  月度报告：{report_xlsx}")
    out.print(
        "  看板：crosscheck serve  然后打开 http://127.0.0.1:8000/"
        "（尚无账号时账号留空，以开发密钥 crosscheck-viewer-dev 只读"
        "或 crosscheck-reviewer-dev 审核登录；待审核 /queue）"
    )
    out.print("  新建账号：crosscheck users add 账号名 --role reviewer --scope 2104")
    out.print("  与标准答案比对：crosscheck eval --world " + str(world))
