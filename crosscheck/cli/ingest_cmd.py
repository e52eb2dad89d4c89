"""``crosscheck ingest``: every registry into the warehouse, through the gates."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Column, Table
from rich.text import Text

from crosscheck import warehouse
from crosscheck.cli import err, out
from crosscheck.cli.db_cmd import DbOption
from crosscheck.errors import CrosscheckError
from crosscheck.paths import default_warehouse


class _Rate(ProgressColumn):
    """Records a second, as the pull goes."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} 条/秒" if speed else "", style="dim")


@contextmanager
def pull_progress(console: Console, start: str) -> Iterator[Callable[[str, int], None]]:
    """One line per source that a pull reports to: its Chinese name, the records read
    so far, the rate and the time it has taken; a source is done when the next
    begins (or the pull ends). ``start`` is shown until the first report."""
    from crosscheck import labels

    with Progress(
        SpinnerColumn(finished_text="✓"),
        TextColumn("{task.description}"),
        TextColumn("已读取 {task.completed:,.0f} 条"),
        _Rate(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        tasks: dict[str, TaskID] = {}
        counts: dict[str, int] = {}
        waiting = bar.add_task(start, total=None)

        def progress(name: str, n: int) -> None:
            if name not in tasks:
                for other, task in tasks.items():  # the previous source is done
                    bar.update(task, total=counts[other])
                if waiting in bar.task_ids:
                    bar.remove_task(waiting)
                label = f"{labels.source(name)}（{name}）"
                tasks[name] = bar.add_task(label, total=None)
            counts[name] = n
            bar.update(tasks[name], completed=n)

        yield progress
        for name, task in tasks.items():
            bar.update(task, total=counts[name])
        if waiting in bar.task_ids:
            bar.remove_task(waiting)


app = typer.Typer(
    help="从登记系统（HTTP）或批量文件载入数据，经数据质量检查。", invoke_without_command=True
)
STATUS_LABELS = {"loaded": "已载入", "unchanged": "无变化", "refused": "整批拒收", "failed": "失败"}


@app.callback()
def ingest(
    ctx: typer.Context,
    base_url: Annotated[
        str | None, typer.Option("--from", help="登记系统接口地址，如 http://127.0.0.1:8765")
    ] = None,
    token: Annotated[
        str | None, typer.Option("--token", help="访问令牌，默认取 CROSSCHECK_REGISTRY_TOKEN")
    ] = None,
    files: Annotated[
        Path | None,
        typer.Option(
            "--files",
            help="批量文件目录（世界目录、其 registries/，或配合 --mapping 的源系统导出目录）",
        ),
    ] = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="只载入这些登记系统（可重复）")
    ] = None,
    mapping: Annotated[
        list[Path] | None,
        typer.Option(
            "--mapping",
            help="数据源映射文件（YAML，可重复）："
            "按源系统自己的列名、代码与日期格式读取 --files 中的文件",
        ),
    ] = None,
    page_size: Annotated[
        int, typer.Option("--page-size", min=1, max=5000, help="HTTP 每页记录数")
    ] = 5000,
    allow_shrink: Annotated[
        bool,
        typer.Option(
            "--allow-shrink",
            help="允许一批数据删除超过 5% 的现有记录"
            "（默认整批拒收：空文件或截断的导出不会清空登记库）",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """载入全部登记系统：首次全量，其后只取上次水位线之后的变化；每个来源单独提交。

    退出状态：0 全部成功，1 部分来源失败或被拒收，2 参数错误。
    """
    if ctx.invoked_subcommand is not None:
        return
    if (base_url is None) == (files is None):
        raise CrosscheckError("请指定 --from URL（HTTP）或 --files 目录（批量文件）之一")
    from crosscheck.ingest.run import from_files, from_http
    from crosscheck.ingest.sources import ALL_SOURCES, SOURCES

    known = ALL_SOURCES if files is not None else SOURCES
    unknown = sorted(set(source or []) - set(known))
    if unknown:
        raise CrosscheckError(f"未知的数据来源：{', '.join(unknown)}（可选：{', '.join(known)}）")
    path = db or default_warehouse()
    key = token or os.environ.get("CROSSCHECK_REGISTRY_TOKEN") or "crosscheck-dev-token"
    if files is not None and not files.is_dir():
        raise CrosscheckError(f"目录 {files} 不存在，未载入任何数据")
    mappings = None
    if mapping:
        if files is None:
            raise CrosscheckError("--mapping 只用于 --files（批量文件）")
        from crosscheck.ingest.mapping import load_mapping

        mappings = [(m, load_mapping(m)) for m in mapping]
        by_source: dict[str, list[str]] = {}
        for path_, m in mappings:
            by_source.setdefault(m.source, []).append(str(path_))
        for name, paths in by_source.items():
            if len(paths) > 1:
                raise CrosscheckError(
                    f"数据源 {name} 给了 {len(paths)} 个映射文件（{'、'.join(paths)}）："
                    "每个来源只用一个"
                )
            if source and name not in source:
                raise CrosscheckError(
                    f"映射文件 {paths[0]} 读的是 {name}，它不在 --source 所列的来源之中"
                )
    if base_url is not None:
        _probe(base_url, key)  # a wrong address or token: one message at once, no run
    con = warehouse.connect(path)
    try:
        with pull_progress(err, "载入中…") as progress:
            if files is not None:
                run_id, outcomes = from_files(
                    con,
                    files,
                    sources=source,
                    allow_shrink=allow_shrink,
                    progress=progress,
                    mappings=mappings,
                )
            else:
                assert base_url is not None
                run_id, outcomes = from_http(
                    con,
                    base_url,
                    key,
                    sources=source,
                    progress=progress,
                    page_size=page_size,
                    allow_shrink=allow_shrink,
                )
    finally:
        con.close()
    table = Table(
        Column("来源", no_wrap=True),
        Column("状态", no_wrap=True),
        "读取",
        "载入",
        "删除",
        "拒收",
        "重试",
        "用时（秒）",
        Column("说明", overflow="fold"),
        title=f"载入批次 {run_id}（仓库 {path}）",
    )
    from crosscheck import labels

    for o in outcomes:
        table.add_row(
            f"{labels.source(o.source)}\n{o.source}",
            STATUS_LABELS.get(o.status, o.status),
            f"{o.read:,}",
            f"{o.loaded:,}",
            f"{o.removed:,}",
            f"{o.rejected:,}",
            f"{o.retries:,}" + (f"（其中限流 {o.rate_limited:,}）" if o.rate_limited else ""),
            f"{o.seconds:.1f}",
            escape(o.detail),
        )
    out.print(table)
    if any(o.status in ("failed", "refused") for o in outcomes):
        raise typer.Exit(1)


def _probe(base_url: str, token: str) -> None:
    """The registry service answers and takes the token — else one message, exit 2."""
    from crosscheck.connectors.errors import AuthenticationFailed, ConnectorError
    from crosscheck.connectors.http import probe

    try:
        probe(base_url, token)
    except ValueError:
        raise CrosscheckError(
            f"--from“{base_url[:200]}”不是有效的接口地址，应形如 http://127.0.0.1:8765"
        ) from None
    except AuthenticationFailed:
        raise CrosscheckError(
            f"登记系统 {base_url} 拒绝了访问令牌：检查 --token 或 CROSSCHECK_REGISTRY_TOKEN，"
            "未载入任何数据"
        ) from None
    except ConnectorError as exc:
        detail = exc.detail
        why = (
            "连接被拒绝：该地址没有服务在监听"
            if "Connection refused" in detail or "Errno 111" in detail
            else "主机名无法解析"
            if "Name or service not known" in detail or "Errno -" in detail
            else "连接超时"
            if "no connection within" in detail
            else "无法建立连接"
        )
        raise CrosscheckError(
            f"无法连接登记系统 {base_url}（{why}）：检查地址与网络，未载入任何数据"
        ) from None


@app.command("status")
def status(db: DbOption = None) -> None:
    """各来源最近一次成功载入、水位线、行数与最近一次数据质量结果。"""
    path = db or default_warehouse()
    con = warehouse.connect(path, read_only=True)
    try:
        rows = con.execute(
            "SELECT source, last_status, last_success_at, watermark, rows_loaded, last_quality, "
            "last_attempt_at FROM load_state ORDER BY source"
        ).fetchall()
        counts = warehouse.table_counts(con)
    finally:
        con.close()
    if not rows:
        out.print(f"仓库 {path} 还没有载入过任何来源：先运行 crosscheck ingest")
        return
    table = Table(
        "来源", "最近状态", "最近成功载入", "水位线", "表中行数", "质量检查（拒收/标记/总数）"
    )
    for name, last, success, watermark, _, quality, _attempt in rows:
        q = json.loads(quality) if quality else {}
        table.add_row(
            name,
            STATUS_LABELS.get(last, last or "—"),
            str(success or "—"),
            str(watermark or "—"),
            f"{counts.get(name, 0):,}",
            f"{q.get('rejected_rows', 0):,}/{q.get('flagged_rows', 0):,}/{q.get('rows', 0):,}"
            + ("（整批拒收）" if q.get("refused") else ""),
        )
    out.print(table)


@app.command("docs")
def docs() -> None:
    """生成 Great Expectations 数据质量报告（Data Docs）并给出 HTML 路径。"""
    from crosscheck.ingest.gate import build_docs, gx_root

    if not (gx_root() / "gx").is_dir():
        raise CrosscheckError(f"{gx_root()} 下还没有数据质量检查记录：先运行 crosscheck ingest")
    index = build_docs()
    out.print(f"数据质量报告：{index.as_uri()}")
    out.print("（离线时页面引用的 CDN 样式无法加载，内容完整但排版朴素）")
