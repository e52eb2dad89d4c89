"""``crosscheck source preview``: a bureau's extract as crosscheck will read it through a
mapping — every column's origin, the first rows, and the data-quality gate's verdict —
without loading anything. The way a data engineer writes a mapping."""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape as esc
from rich.table import Table

from crosscheck.cli import out
from crosscheck.errors import CrosscheckError, as_of_date

app = typer.Typer(
    help="数据源映射：预览源系统导出文件经映射后的样子（不载入）。", no_args_is_help=True
)


def _origin(spec: Any) -> tuple[str, str]:
    """(where the value comes from, how it is changed) for one column's mapping."""
    if spec.value is not None:
        where = f"常量“{spec.value}”"
    elif spec.column is not None:
        where = f"“{spec.column}”"
    else:
        where = f"“{'”＋“'.join(spec.columns or [])}”（以“{spec.join}”连接）"
    how = []
    if spec.values:
        how.append(f"代码对照 {len(spec.values)} 项（其他取值原样保留）")
    if spec.format:
        how.append("日期格式 " + " / ".join(spec.format))
    return where, "；".join(how) or "原样"


@app.command("preview")
def preview(
    file: Annotated[Path, typer.Argument(help="源系统导出的文件（.csv 或 .xlsx）")],
    mapping: Annotated[Path, typer.Option("--mapping", help="映射文件（YAML）")],
    rows: Annotated[int, typer.Option("--rows", min=1, max=200, help="显示前几行")] = 10,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="校验身份证号码的日期（默认今天）")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """按映射读取一个导出文件：每个字段取自哪一列、如何转换，前几行读成的样子（身份证号码
    已遮蔽），以及数据质量检查的结论（可载入的行、拒收与标记的行及原因、未知取值）。

    不写入任何仓库。退出状态：0 可以载入，1 将被整批拒收，2 映射或文件有误。
    """
    import polars as pl

    from crosscheck import idnumber, warehouse
    from crosscheck.ingest import mapping as mapping_mod
    from crosscheck.ingest.load import load
    from crosscheck.ingest.sources import NEEDED_BY

    day = as_of_date(as_of) if as_of else dt.date.today()
    if file.is_dir():
        raise CrosscheckError(f"{file} 是一个目录：请给出其中的一个导出文件")
    if not file.is_file():
        raise CrosscheckError(f"找不到文件 {file}")
    m = mapping_mod.load_mapping(mapping)
    header = mapping_mod.header_of(m, file)
    mapping_mod.check_columns(m, file, mapping, header)
    frame = mapping_mod.read(m, file, mapping)
    source = m.target
    needed = NEEDED_BY[source.name]
    used = {c for s in m.spec.values() for c in ([s.column] if s.column else s.columns or [])}
    unused = [h for h in header if h and h not in used]

    with tempfile.TemporaryDirectory(prefix="crosscheck-preview-") as tmp:
        con = warehouse.connect(Path(tmp) / "preview.duckdb", create=True)
        try:
            batch = frame.with_columns(
                _extract=pl.lit(file.name), _order=pl.lit(0, dtype=pl.Int64)
            ).select([*source.columns, "_parse_error", "_extract", "_row", "_order"])
            outcome = load(
                con,
                source,
                [batch],
                mode="replace",
                run_id="preview",
                as_of=day,
                labels=m.labels,
            )
            problems = con.execute(
                "SELECT _row, reason, run_status FROM quarantine ORDER BY _row"
            ).fetchall()
        finally:
            con.close()
    refused = outcome.status == "refused"
    matched = fnmatch.fnmatchcase(file.name, m.file.pattern)
    # every cell as text, any ID number in it masked (a key built from the ID, a
    # column mapped to the wrong field), yes/no in Chinese
    shown = frame.head(rows).drop("_parse_error")
    shown = shown.with_columns(
        [
            (
                pl.col(c).replace_strict({True: "是", False: "否"}, return_dtype=pl.String)
                if shown.schema[c] == pl.Boolean
                else pl.col(c)
                .cast(pl.String)
                .map_elements(idnumber.mask_text, return_dtype=pl.String)
            )
            for c in source.columns
        ]
    )
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "file": file.name,
                    "source": source.name,
                    "rows": frame.height,
                    "verdict": "refused" if refused else "loadable",
                    "loaded": outcome.loaded,
                    "rejected": outcome.rejected,
                    "detail": outcome.detail,
                    "problems": [{"row": r, "reason": t, "status": s} for r, t, s in problems],
                    "unused_columns": [idnumber.mask_text(u) for u in unused],
                    "matches_pattern": matched,
                    "preview": shown.to_dicts(),
                },
                ensure_ascii=False,
                default=str,
            )
        )
        raise typer.Exit(1 if refused else 0)
    from crosscheck import labels

    title = m.title or f"{labels.source(source.name)}（{source.name}）"
    out.print(f"[bold]{esc(file.name)}[/] 按映射 {esc(mapping.name)} 读作 {esc(title)}")
    table = Table("字段", "取自", "转换", "必填（所需规则）", title="字段映射")
    for column in source.columns:
        spec = m.spec.get(column)
        where, how = _origin(spec) if spec else ("—（空）", "")
        words = {"key": "记录键", "link": "关联学员"}
        need = "、".join(words.get(w, w) for w in needed.get(column, ())) or "可选"
        table.add_row(column, esc(where), esc(how), esc(need))
    out.print(table)
    if unused:
        out.print(f"未使用的源列：{esc(idnumber.mask_text('、'.join(unused)))}")
    if not matched:
        out.print(
            f"[yellow]注意：文件名 {esc(file.name)} 不符合映射的 file.pattern "
            f"“{esc(m.file.pattern)}”，crosscheck ingest --files 不会读取它[/]"
        )
    view = Table(
        "行", *[c for c in source.columns if c != "updated_at"], title=f"前 {shown.height} 行"
    )
    for row in shown.iter_rows(named=True):
        view.add_row(
            str(row["_row"]),
            *[
                esc("" if row[c] is None else str(row[c]))
                for c in source.columns
                if c != "updated_at"
            ],
        )
    out.print(view)
    flagged = sum(1 for *_, s in problems if s == "flagged")
    if refused:
        out.print(
            f"数据质量检查：共 {frame.height:,} 行，其中有问题的行 拒收 {outcome.rejected:,}、"
            f"标记 {flagged:,}（两者都计入 {source.max_failure_rate:.0%} 的拒收阈值）"
        )
    else:
        out.print(
            f"数据质量检查：共 {frame.height:,} 行，将载入 {outcome.loaded:,} 行"
            f"（其中标记 {flagged:,} 行：载入并列出），拒收 {outcome.rejected:,} 行"
        )
    if problems:
        listed = Table("行", "问题", "处理", title="有问题的行（行号为源文件中的行）")
        for r, reason, status in problems[:30]:
            listed.add_row(str(r), esc(reason), {"flagged": "标记后载入"}.get(status, "拒收"))
        out.print(listed)
        if len(problems) > 30:
            out.print(f"……另有 {len(problems) - 30:,} 行")
    if outcome.detail:
        out.print(("[red]整批拒收：[/]" if refused else "说明：") + esc(outcome.detail))
    out.print(
        "[red]结论：将被整批拒收[/]"
        if refused
        else "[green]结论：可以载入[/]"
        + f"（crosscheck ingest --files 目录 --mapping {esc(str(mapping))}）"
    )
    raise typer.Exit(1 if refused else 0)
