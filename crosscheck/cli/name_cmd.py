"""``crosscheck name``: compare two Chinese names the way the identity checks do."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from crosscheck import names
from crosscheck.cli import out
from crosscheck.errors import CrosscheckError

app = typer.Typer(help="中文姓名比对（繁简、间隔号、同音字、一字之差）。", no_args_is_help=True)


@app.command("compare")
def compare(
    left: Annotated[str, typer.Argument(help="姓名一")],
    right: Annotated[str, typer.Argument(help="姓名二")],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """比对两个姓名，给出匹配等级（写入核查证据的同一等级）。"""
    for which, text in (("姓名一", left), ("姓名二", right)):
        why = names.name_problem(text)
        if why:
            raise CrosscheckError(f"{which}：{why}")
    result = names.compare(left, right)
    if as_json:
        data = result.evidence() | {
            "normal_left": names.normal_form(left),
            "normal_right": names.normal_form(right),
            "pinyin_left": names.pinyin_key(left),
            "pinyin_right": names.pinyin_key(right),
        }
        out.print_json(json.dumps(data, ensure_ascii=False))
        return
    table = Table("", "姓名一", "姓名二", box=None, padding=(0, 2))
    table.add_row("输入", left, right)
    table.add_row("规范形式", names.normal_form(left), names.normal_form(right))
    table.add_row("拼音", names.pinyin_key(left), names.pinyin_key(right))
    out.print(table)
    out.print(
        f"匹配等级：[bold]{result.level.value}[/]（{result.level.label}），"
        f"字符编辑距离 {result.distance}"
    )
