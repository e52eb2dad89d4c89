"""``crosscheck links``: how each registry record was attributed to a trainee."""

from __future__ import annotations

import typer

from crosscheck import idnumber, warehouse
from crosscheck.cli import out
from crosscheck.cli.check_cmd import (
    FormatOption,
    FullIdOption,
    OutOption,
    check_export,
    write_export,
)
from crosscheck.cli.db_cmd import DbOption
from crosscheck.paths import default_warehouse

app = typer.Typer(help="身份关联：登记库记录如何归属到学员。", no_args_is_help=True)
LINK_LABELS = {
    "exact": "身份证号码一致",
    "normalised": "规范化后一致（全角、空格、小写x等）",
    "fuzzy_swap": "疑似录入错误：顺序码相邻两位颠倒，姓名、出生日期、地区、校验码一致",
    "fuzzy_digit": "疑似录入错误：顺序码一位不同，姓名、出生日期、地区、校验码一致",
}


@app.command("export")
def export(
    out_path: OutOption,
    fmt: FormatOption = "csv",
    full_id: FullIdOption = False,
    db: DbOption = None,
) -> None:
    """导出最近一次核查用到的全部身份关联：班级、学员身份证号码、登记库、记录编号、记录中的号码、
    关联方式（一致 / 规范化后一致 / 疑似录入错误及其类型）、姓名比对结果、引用该记录的核查规则。"""
    import polars as pl

    check_export(out_path, fmt)
    con = warehouse.connect(db or default_warehouse(), read_only=True)
    try:
        from crosscheck.checks.links import CITED

        table = con.sql(
            "SELECT class_id, id_number, source, record_key, record_id, link, name_level, "
            f"coalesce(rules, '') AS rules, run_id FROM ({CITED}) "
            "ORDER BY class_id, id_number, source, record_key"
        ).to_arrow_table()
    finally:
        con.close()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    frame = frame.with_columns(
        pl.col("link").replace_strict(LINK_LABELS, default=pl.col("link")).alias("link_label")
    )
    if not full_id:
        masked = [
            pl.col(c).map_elements(lambda v: idnumber.mask(v) if v else v, return_dtype=pl.String)
            for c in ("id_number", "record_id")
        ]
        # the household register's key is the number itself
        key = (
            pl.when(pl.col("source") == "household_registration")
            .then(pl.col("record_key").map_elements(idnumber.mask, return_dtype=pl.String))
            .otherwise(pl.col("record_key"))
            .alias("record_key")
        )
        frame = frame.with_columns(*masked, key)
    write_export(frame, out_path, fmt)
    fuzzy = frame.filter(pl.col("link").str.starts_with("fuzzy")).height
    out.print(
        f"已导出 {frame.height:,} 条身份关联到 {out_path}，其中疑似录入错误关联 {fuzzy:,} 条"
        + ("" if full_id else "（身份证号码已掩码）"),
        soft_wrap=True,
    )
