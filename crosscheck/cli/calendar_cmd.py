"""``crosscheck calendar``: working-day questions (holidays and 调休 included)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from crosscheck import policy
from crosscheck.cli import out
from crosscheck.errors import PolicyError, parse_date
from crosscheck.workdays import calendar

app = typer.Typer(help="工作日计算：法定节假日与调休上班日。", no_args_is_help=True)


@app.command("is-workday")
def is_workday(date: Annotated[str, typer.Argument(help="日期 YYYY-MM-DD")]) -> None:
    """某日是否为工作日。退出状态：0 是，1 否。"""
    day = parse_date(date)
    cal = calendar()
    out.print(f"{day.isoformat()}：{cal.describe(day)}")
    raise typer.Exit(0 if cal.is_workday(day) else 1)


@app.command("workdays")
def workdays(
    start: Annotated[str, typer.Argument(help="开始日期 YYYY-MM-DD")],
    end: Annotated[str, typer.Argument(help="结束日期 YYYY-MM-DD")],
    exclude_start: Annotated[bool, typer.Option("--exclude-start", help="不计开始日")] = False,
    exclude_end: Annotated[bool, typer.Option("--exclude-end", help="不计结束日")] = False,
    details: Annotated[bool, typer.Option("--details/--no-details", help="逐日列出")] = True,
) -> None:
    """两个日期之间的工作日数（默认含首尾），并逐日说明节假日与调休。"""
    first, last = parse_date(start, field="开始日期"), parse_date(end, field="结束日期")
    if last < first:
        raise typer.BadParameter(f"结束日期 {last} 早于开始日期 {first}")
    cal = calendar()
    count = cal.count_workdays(
        first, last, include_start=not exclude_start, include_end=not exclude_end
    )
    ends = (
        "含首尾"
        if not (exclude_start or exclude_end)
        else (
            "不含首尾"
            if exclude_start and exclude_end
            else ("不含开始日" if exclude_start else "不含结束日")
        )
    )
    if details:
        table = Table("日期", "星期", "说明", box=None, padding=(0, 2))
        day = first
        while day <= last:
            text = cal.describe(day)
            style = "" if cal.is_workday(day) else "dim"
            table.add_row(day.isoformat(), text.split("，")[0], text.split("，", 1)[1], style=style)
            day += dt.timedelta(days=1)
        out.print(table)
    out.print(f"{first} 至 {last}（{ends}）共 [bold]{count}[/] 个工作日")


@app.command("shift", context_settings={"ignore_unknown_options": True})
def shift(
    date: Annotated[str, typer.Argument(help="日期 YYYY-MM-DD")],
    n: Annotated[int, typer.Argument(help="第 N 个工作日：正数为之后，负数为之前（不计当日）")],
) -> None:
    """某日之后（或之前）的第 N 个工作日。"""
    day = parse_date(date)
    if n == 0:
        raise typer.BadParameter("N 不能为 0")
    target = calendar().add_workdays(day, n)
    direction = "之后" if n > 0 else "之前"
    out.print(
        f"{day} {direction}第 {abs(n)} 个工作日：[bold]{target}[/]（{calendar().describe(target)}）"
    )


@app.command("opening-day")
def opening_day(
    date: Annotated[str, typer.Argument(help="拟开班日期 YYYY-MM-DD")],
    policy_id: Annotated[
        str, typer.Option("--policy", help="取开班日规则的策略（每月几日开班）")
    ] = "shenyang-2022",
) -> None:
    """按“每月1日、16日开班，逢法定节假日和周末顺延至实际工作日”判断开班日。

    退出状态：0 该日可以开班，1 不可以。
    """
    day = parse_date(date, field="开班日期")
    chosen = policy.get(policy_id)
    rule = chosen.class_rules.opening_days_of_month
    if rule is None:
        raise PolicyError(f"策略 {policy_id} 未规定固定开班日（class_rules.opening_days_of_month）")
    days = rule.value
    answer = calendar().opening_day(day, days)
    shown = "、".join(f"{d}日" for d in days)
    out.print(f"规则：每月{shown}开班，逢周末或法定节假日顺延至下一个工作日（{rule.source}）")
    if answer.allowed:
        assert answer.slot_of_day is not None
        moved = "" if answer.slot_of_day == day else f"（{answer.slot_of_day} 顺延至此）"
        out.print(f"{day}：[green]可以开班[/]{moved}")
    else:
        out.print(f"{day}：[red]不是规定的开班日[/]（{calendar().describe(day)}）")
    if answer.next_opening is not None and not (answer.allowed and answer.next_opening == day):
        moved = "" if answer.next_slot == answer.next_opening else f"（{answer.next_slot} 顺延）"
        out.print(f"最近的开班日：[bold]{answer.next_opening}[/]{moved}")
    if answer.unknown_reason:
        out.print(f"[yellow]无法确定下一个开班日：{answer.unknown_reason}[/]")
    raise typer.Exit(0 if answer.allowed else 1)
