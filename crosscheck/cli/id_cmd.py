"""``crosscheck id``: explain a resident ID number."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from crosscheck import idnumber
from crosscheck.cli import out
from crosscheck.errors import CrosscheckError, as_of_date

app = typer.Typer(help="身份证号码（GB 11643-1999）校验与解读。", no_args_is_help=True)


def explain(result: idnumber.IdCheck, *, reveal: bool = False) -> dict[str, object]:
    """The check as a JSON-ready dict; the full number only when ``reveal``."""
    region = result.region
    data: dict[str, object] = {
        "valid": result.valid,
        "masked": result.masked,
        "problems": [{"code": p.value, "message": m} for p, m in result.problems.items()],
        "notes": [{"code": n.value, "message": m} for n, m in result.notes.items()],
        "region_code": region.code if region else None,
        "region": region.label if region else None,
        "birth_date": result.birth_date.isoformat() if result.birth_date else None,
        "sex": result.sex,
    }
    if reveal:
        data["normalized"] = result.normalized
    return data


@app.command("check")
def check(
    number: Annotated[str, typer.Argument(help="身份证号码（18位，或15位旧号码）")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="参照日期（出生日期不得晚于此日），默认今天")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
    reveal: Annotated[
        bool, typer.Option("--reveal", help="同时显示规范化后的完整号码（默认只显示掩码）")
    ] = False,
) -> None:
    """校验一个身份证号码：是否有效及原因、地区、出生日期、性别、公示掩码。

    退出状态：0 有效，1 无效，2 输入错误。
    """
    ref = as_of_date(as_of, field="参照日期") if as_of is not None else None
    shown = idnumber.normalize(number)
    if not shown or not all(c.isdigit() or c == "X" for c in shown) or not shown[:1].isdigit():
        # not a mistyped number but not a number at all: the user's input is wrong
        # never echo a control character back to the terminal
        seen = "".join(c if c.isprintable() else f"U+{ord(c):04X}" for c in number[:30])
        raise CrosscheckError(f"“{seen}”不是身份证号码：应为 18 位（末位可为 X）或 15 位数字")
    result = idnumber.check(number, as_of=ref)
    data = explain(result, reveal=reveal)
    if as_json:
        out.print_json(json.dumps(data, ensure_ascii=False))
    else:
        table = Table(show_header=False, box=None, padding=(0, 2))
        table.add_row("结果", "[green]有效[/]" if result.valid else "[red]无效[/]")
        for problem in data["problems"]:  # type: ignore[attr-defined]
            table.add_row("原因", f"[red]{problem['message']}[/]")
        if reveal:
            table.add_row("规范化号码", result.normalized)
        table.add_row("公示掩码", result.masked)
        if result.region:
            table.add_row("地区", f"{result.region.label or '未知'}（{result.region.code}）")
        if result.birth_date:
            table.add_row("出生日期", result.birth_date.isoformat())
        if result.sex:
            table.add_row("性别", result.sex)
        for note in data["notes"]:  # type: ignore[attr-defined]
            table.add_row("提示", f"[yellow]{note['message']}[/]")
        out.print(table)
    raise typer.Exit(0 if result.valid else 1)
