"""``crosscheck publish`` and ``crosscheck report monthly``."""

from __future__ import annotations

import datetime as dt
import re
from contextlib import closing
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape as esc
from rich.table import Table

from crosscheck import warehouse
from crosscheck.cli import out
from crosscheck.cli.db_cmd import DbOption
from crosscheck.errors import CrosscheckError, as_of_date, month_text, output_file
from crosscheck.paths import default_warehouse

report_app = typer.Typer(help="报告：全省月度报告。", no_args_is_help=True)


def publish(
    as_of: Annotated[str | None, typer.Option("--as-of", help="数据日期（默认今天）")] = None,
    db: DbOption = None,
) -> None:
    """发布看板数据与即时核查用的仓库快照（核查之后运行；check all 与每晚任务会自动发布）。"""
    from crosscheck.reports.publish import publish_all

    day = as_of_date(as_of, field="数据日期")
    path = db or default_warehouse()
    with closing(warehouse.connect(path)) as con:
        board, snapshot = publish_all(con, path, day)
    out.print(f"已发布看板数据 {board} 与仓库快照 {snapshot}")


def purge(
    before: Annotated[
        str, typer.Option("--before", help="清除在此日期之前拨付完毕的班级的个人数据")
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只列出将清除的班级，不清除")] = False,
    db: DbOption = None,
) -> None:
    """按留存期限清除已拨付班级的个人数据（花名册、考勤、考核、证据中的身份证号码等），
    保留人数与金额。培训档案至少保存 3 年，线上培训数据至少 5 年：未满期限的班级不清除。"""
    from crosscheck import retention
    from crosscheck.reports.publish import last_as_of, publish_all

    day = as_of_date(before, field="--before")
    path = db or default_warehouse()
    with closing(warehouse.connect(path)) as con:
        chosen = retention.purge(con, day, dry_run=dry_run)
        if chosen and not dry_run:
            # no published copy keeps the data; the dashboard stays as of its day
            publish_all(con, path, last_as_of() or dt.date.today())
    table = Table("班级编号", "最后拨付日期", "线上培训", "学员人数", title=None, box=None)
    for c in chosen:
        table.add_row(
            esc(c.class_id), str(c.last_paid_on), "是" if c.online else "否", str(c.trainees)
        )
    if not chosen:
        out.print(f"没有 {day} 之前拨付完毕且已过留存期限的班级：未清除任何数据")
        return
    out.print(table)
    verb = "将清除（--dry-run，未清除）" if dry_run else "已清除"
    out.print(
        f"{verb} {len(chosen)} 个班级、{sum(c.trainees for c in chosen)} 名学员的个人数据；"
        "人数、金额与问题统计保留" + ("" if dry_run else "；看板数据与仓库快照已重新发布")
    )


@report_app.command("monthly")
def monthly_report(
    out_path: Annotated[Path, typer.Option("--out", help="输出 .xlsx 文件")],
    month: Annotated[
        str | None, typer.Option("--month", help="月份 YYYY-MM（默认最近有数据的月份）")
    ] = None,
    city: Annotated[str | None, typer.Option("--city", help="城市代码（4位），默认全省")] = None,
    policy_id: Annotated[str | None, typer.Option("--policy", help="只含该政策的班级")] = None,
    province: Annotated[
        str | None,
        typer.Option("--province", help="省份代码（2位），数据含多个省份时只报该省"),
    ] = None,
) -> None:
    """全省月度报告：按城市、专业、培训机构，开班数、学员、各规则问题数、拟补贴/核定/扣减/暂缓金额、跨地区与重复享受。"""
    from crosscheck.reports import monthly
    from crosscheck.reports.publish import default_path, open_published

    output_file(out_path)
    if month is not None:
        month_text(month)
    if city is not None and not re.fullmatch(r"\d{4}", city):
        raise CrosscheckError(f"--city “{city[:20]}”应为 4 位城市代码，如 2104（抚顺市）")
    if province is not None and not re.fullmatch(r"\d{2}", province):
        raise CrosscheckError(f"--province “{province[:20]}”应为 2 位省份代码，如 21（辽宁省）")
    if policy_id is not None:
        from crosscheck import policy

        policy.get(policy_id)  # an unknown policy is an error naming the known ones
    try:
        con = open_published()
    except FileNotFoundError as exc:
        hint = "先运行 crosscheck check all 或 crosscheck publish"
        raise CrosscheckError(f"没有已发布的数据（{default_path()}）：{hint}") from exc
    with closing(con):
        months = monthly.months(con)
        chosen = month or (months[0] if months else None)
        if chosen is None:
            raise CrosscheckError("已发布的数据中没有任何班级")
        f = monthly.Filters(chosen, city, policy_id, province)
        if city is not None and city not in monthly.cities(con):
            known = "、".join(monthly.cities(con)) or "无"
            raise CrosscheckError(f"已发布的数据中没有城市 {city}（有：{known}）")
        path = monthly.write_xlsx(con, f, out_path)
        cities = monthly.summary(con, f, "city_name")
    out.print(
        f"{chosen} 月度报告已写出：{path}（{cities.height} 个城市，"
        f"开班 {int(cities['classes'].sum()) if cities.height else 0} 个）"
    )
