"""``crosscheck policy``: the policies as data, with their clauses."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from crosscheck import policy
from crosscheck.cli import out
from crosscheck.errors import CrosscheckError, parse_date
from crosscheck.rules import RULES

_SECTIONS = {
    "cohort": "培训对象",
    "class_rules": "班级规则",
    "attendance": "考勤",
    "payout": "补贴核算与拨付",
    "reporting": "报送与档案",
    "majors": "培训机构及专业",
}

app = typer.Typer(help="补贴政策参数（按地区与有效期，逐项注明条款）。", no_args_is_help=True)


def _value(value: Any) -> str:
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json", by_alias=True)
    if isinstance(value, list):
        value = [
            v.model_dump(mode="json", exclude_none=True) if hasattr(v, "model_dump") else v
            for v in value
        ]
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


@app.command("list")
def list_() -> None:
    """列出所有策略。"""
    table = Table("id", "名称", "地区", "有效期", "版本", box=None, padding=(0, 2))
    for p in policy.load_all().values():
        end = p.effective.end.isoformat() if p.effective.end else "—"
        table.add_row(
            p.id, p.title, p.jurisdiction.name, f"{p.effective.start} 至 {end}", p.version
        )
    out.print(table)


@app.command("show")
def show(
    policy_id: Annotated[str, typer.Argument(help="策略 id，如 fushun-2023")],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """显示一个策略的全部参数及其依据条款，以及适用的核查规则。"""
    p = policy.get(policy_id)
    if as_json:
        data = p.model_dump(mode="json", by_alias=True, exclude_none=True)
        data["version"] = p.version
        out.print_json(json.dumps(data, ensure_ascii=False))
        return
    end = p.effective.end.isoformat() if p.effective.end else "长期"
    out.print(f"[bold]{p.title}[/]" + (f"（{p.document}）" if p.document else ""))
    out.print(
        f"地区：{p.jurisdiction.name}　有效期：{p.effective.start} 至 {end}（{p.effective.source}）"
    )
    out.print(f"依据：data/seeds/{p.seed}　版本：{p.version}")
    if p.summary:
        out.print(p.summary)
    section = ""
    for name, param in p.parameters():
        head = name.split(".")[0]
        if head != section:
            section = head
            out.print(f"\n[bold]{_SECTIONS[head]}[/]（{head}）")
        flag = "  [yellow]可豁免（原则上）[/]" if param.overridable else ""
        out.print(f"  [cyan]{name}[/] = {_value(param.value)}{flag}", soft_wrap=True)
        out.print(f"      依据：{param.source}", soft_wrap=True)
        if param.reading:
            out.print(f"      解读：{param.reading}", soft_wrap=True)
        if param.note:
            out.print(f"      说明：{param.note}", soft_wrap=True)
    out.print()
    rules = Table(title="核查规则", padding=(0, 1))
    rules.add_column("规则代码", no_wrap=True)
    for header in ("名称", "严重程度", "依据条款", "说明"):
        rules.add_column(header, overflow="fold")
    for code, setting in p.rules.items():
        remark = ("[yellow]可豁免[/] " if setting.overridable else "") + (setting.note or "")
        rules.add_row(
            code, RULES[code].title, setting.severity.label, setting.source, remark.strip()
        )
    out.print(rules)


@app.command("validate")
def validate(files: Annotated[list[Path], typer.Argument(help="策略文件（YAML）")]) -> None:
    """严格校验策略文件：未知或拼错的字段会指明文件与字段。"""
    for path in files:
        loaded = policy.load_file(path)
        out.print(f"{path}：[green]有效[/]（{loaded.id}，{len(loaded.parameters())} 项参数）")


@app.command("in-force")
def in_force(
    region: Annotated[str, typer.Option("--region", help="地区码（2、4或6位），如 210402")],
    date: Annotated[str, typer.Option("--date", help="日期 YYYY-MM-DD，如开班日期")],
) -> None:
    """某地某日有效的策略（最具体的在前）。"""
    day = parse_date(date)
    from crosscheck import regions

    if (
        not re.fullmatch(r"\d{2}|\d{4}|\d{6}", region)
        or not regions.lookup(region.ljust(6, "0")).province
    ):
        raise CrosscheckError(
            f"地区码“{region[:20]}”不是有效的行政区划代码（GB/T 2260，2、4 或 6 位，如 210402）"
        )
    found = policy.in_force(region, day)
    if not found:
        out.print(f"{region} 在 {day} 没有有效的策略")
        raise typer.Exit(1)
    for p in found:
        out.print(f"{p.id}\t{p.title}\t{p.jurisdiction.name}")
