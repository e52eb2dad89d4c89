"""``crosscheck exchange``: the national exchange of training records between provinces."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crosscheck import warehouse
from crosscheck.cli import out
from crosscheck.cli.db_cmd import DbOption
from crosscheck.errors import CrosscheckError, as_of_date, output_file
from crosscheck.paths import default_warehouse

app = typer.Typer(
    help="全国交换：各省只交换培训与补贴记录（防止异地违规参加培训、重复享受补贴）。",
    no_args_is_help=True,
)
ProvinceOption = Annotated[
    str | None,
    typer.Option("--province", help="本省两位代码（如 21 辽宁；默认取仓库中班级所在的唯一省份）"),
]


@app.command("export")
def export(
    out_path: Annotated[
        Path, typer.Option("--out", help="输出文件，应命名为 <省份代码>.parquet，如 21.parquet")
    ],
    province: ProvinceOption = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="截至日期（默认今天）")] = None,
    db: DbOption = None,
) -> None:
    """导出本省的培训记录供全国交换：本省已开班班级的每名学员（身份证号码、姓名、地区、机构、
    项目、班级、起止日期、状态、是否补贴、拨付日期），以及本省培训系统所载的省内其他城市记录。
    不含外省发来的记录。"""
    from crosscheck import exchange

    day = as_of_date(as_of, field="截至日期（--as-of）")
    output_file(out_path)
    con = warehouse.connect(db or default_warehouse(), read_only=True)
    try:
        code = exchange.province_of(con, province)
        if out_path.name != f"{code}.parquet":
            raise CrosscheckError(
                f"--out {out_path.name}：交换文件应命名为 {code}.parquet（接收方按文件名识别省份）"
            )
        frame = exchange.export(con, code, day)
    finally:
        con.close()
    exchange.write(frame, out_path)
    paid = frame.filter(frame["subsidy_paid_on"].is_not_null()).height
    out.print(
        f"已导出{exchange.label(code)}的培训记录 {frame.height:,} 条"
        f"（其中已拨付 {paid:,} 条）到 {out_path}"
    )


@app.command("receive")
def receive(
    source: Annotated[Path, typer.Option("--from", help="全国交换目录（各省的 <代码>.parquet）")],
    into: Annotated[
        Path, typer.Option("--into", help="本省的数据目录（下次 ingest --files 从此载入）")
    ],
    province: Annotated[str, typer.Option("--province", help="本省两位代码（本省文件不接收）")],
) -> None:
    """接收外省的培训记录：逐个检查后全部放入本省数据目录的 registries/exchange/，替换上次收到的；
    下次 crosscheck ingest --files 与本省培训记录一起载入（同样经过数据质量检查）。"""
    from crosscheck import exchange

    got = exchange.receive(source, into, province)
    out.print(
        "已接收外省培训记录："
        + "、".join(f"{exchange.label(code)} {n:,} 条" for code, n in got.rows.items())
        + f"，放入 {into / exchange.INBOX}；请运行 crosscheck ingest --files {into}"
    )
    if got.kept:
        out.print(
            "本次没有这些省份的文件，保留上次收到的："
            + "、".join(exchange.label(code) for code in got.kept)
        )
    if got.ignored:
        out.print(
            "已忽略（不是 <省份代码>.parquet）："
            + "、".join(got.ignored[:10])
            + (f" 等 {len(got.ignored)} 个" if len(got.ignored) > 10 else "")
        )
