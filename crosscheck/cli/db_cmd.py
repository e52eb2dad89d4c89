"""``crosscheck db``: the DuckDB warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crosscheck import warehouse
from crosscheck.cli import out
from crosscheck.paths import default_warehouse

app = typer.Typer(help="DuckDB 数据仓库：创建、升级、查看。", no_args_is_help=True)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db", help="仓库文件，默认 $CROSSCHECK_HOME/crosscheck.duckdb", show_default=False
    ),
]


@app.command("init")
def init(db: DbOption = None) -> None:
    """创建仓库文件，或把已有文件升级到最新结构版本。"""
    path = db or default_warehouse()
    con = warehouse.connect(path, create=True)
    try:
        out.print(f"仓库 {path}：结构版本 {warehouse.schema_version(con)}")
    finally:
        con.close()


@app.command("status")
def status(db: DbOption = None) -> None:
    """仓库的结构版本与各表行数（只读打开）。"""
    path = db or default_warehouse()
    con = warehouse.connect(path, read_only=True)
    try:
        out.print(f"仓库 {path}：结构版本 {warehouse.schema_version(con)}")
        table = Table("表", "行数", box=None, padding=(0, 2))
        for name, count in warehouse.table_counts(con).items():
            table.add_row(name, f"{count:,}")
        out.print(table)
    finally:
        con.close()
