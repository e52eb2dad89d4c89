"""``crosscheck demo``: the README's main command.

For now it shows the domain core at work on built-in examples; later issues
grow it into the whole run (world, simulator, ingest, checks, report).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

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

    out.print(Rule("合成世界（虚构数据，含预设违规与标准答案）"))
    world = home_dir() / "worlds" / "tiny"
    manifest_path = world / "world.json"
    if manifest_path.exists() and json.loads(manifest_path.read_text())["seed"] == 7:
        out.print(f"  复用 {world}")
    else:
        generate("tiny", 7, world)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    truth = pl.read_parquet(world / "truth/expected_findings.parquet")
    rows = manifest["rows"]
    out.print(
        f"  {world}：世界日期 {manifest['as_of']}，{rows['operations/classes']} 个班、"
        f"{rows['operations/roster_entries']} 条花名册记录、"
        f"{rows['registries/household_registration']:,} 名户籍人员"
    )
    codes = truth["rule_code"].n_unique()
    out.print(f"  标准答案：{truth.height} 条应发现的问题，覆盖 {codes} 个规则代码")
    out.print(f"  启动登记系统模拟服务：crosscheck registry serve --world {world}")
    return world


def demo() -> None:
    """演示：身份证号码、姓名比对、工作日与开班日、政策参数、合成世界与数据载入。"""
    shenyang, fushun = policy.get("shenyang-2022"), policy.get("fushun-2023")
    _ids(as_of=dt.date(2026, 11, 1))
    _names()
    _calendar(shenyang)
    _policies(shenyang, fushun)
    world = _world()
    out.print(Rule("载入数据仓库（经数据质量检查）"))
    from crosscheck.ingest.run import from_files

    path = default_warehouse()
    con = warehouse.connect(path)
    try:
        _, outcomes = from_files(con, world)
        version = warehouse.schema_version(con)
        quarantined = con.execute(
            "SELECT count(*) FROM quarantine WHERE run_status = 'flagged'"
        ).fetchall()[0][0]
    finally:
        con.close()
    loaded = [o for o in outcomes if o.status in ("loaded", "unchanged")]
    out.print(
        f"  {len(loaded)}/{len(outcomes)} 个来源已载入 {path}（结构版本 {version}）；"
        f"{quarantined} 条记录的身份证号码无效，已载入并标记（供模糊匹配与核查）"
    )
    out.print("  查看：crosscheck ingest status；数据质量报告：crosscheck ingest docs")
    out.print()
    out.print("更多命令：crosscheck --help")
