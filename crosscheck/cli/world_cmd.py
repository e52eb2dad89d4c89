"""``crosscheck world`` and ``crosscheck registry``: the synthetic world and its simulator."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from crosscheck.cli import err, out
from crosscheck.errors import CrosscheckError

app = typer.Typer(help="合成数据世界：生成、推进、查看（全部为虚构数据）。", no_args_is_help=True)
registry_app = typer.Typer(help="登记系统模拟服务（HTTP）。", no_args_is_help=True)
DEFAULT_TOKEN = "crosscheck-dev-token"


def Rate(flag: str, help: str) -> Any:
    """A share between 0 and 1."""
    return typer.Option(flag, min=0.0, max=1.0, help=help)


WorldOption = Annotated[Path, typer.Option("--world", help="世界目录，如 worlds/small")]


def _manifest(world: Path) -> dict[str, object]:
    return read_manifest(world)


def read_manifest(world: Path) -> dict[str, object]:
    """A world's ``world.json``: an object with at least scale, seed, as_of and rows —
    else one message naming the file."""
    path = world / "world.json"
    if not path.is_file():
        raise CrosscheckError(
            f"{world} 不是合成世界目录（缺少 world.json）：先运行 crosscheck world generate"
        )
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CrosscheckError(f"{path}：不是有效的 JSON 文件（世界目录已损坏？）") from None
    missing = (
        [k for k in ("scale", "seed", "as_of", "rows") if k not in data]
        if isinstance(data, dict)
        else ["scale", "seed", "as_of", "rows"]
    )
    if missing:
        raise CrosscheckError(f"{path}：缺少 {'、'.join(missing)}（世界目录已损坏？）")
    try:
        dt.date.fromisoformat(str(data["as_of"]))
    except ValueError:
        raise CrosscheckError(f"{path}：as_of “{data['as_of']}” 不是有效日期") from None
    if not isinstance(data["rows"], dict):
        raise CrosscheckError(f"{path}：rows 应为各文件的行数")
    return dict(data)


@app.command("generate")
def generate(
    out_dir: Annotated[Path, typer.Option("--out", help="输出目录")],
    scale: Annotated[
        str,
        typer.Option(
            "--scale",
            help="规模：tiny / small / city / province；nation：多个省份（各省自有数据，"
            "经全国交换互见培训记录），nation-tiny：同上而更小",
        ),
    ] = "small",
    seed: Annotated[int, typer.Option("--seed", help="随机种子：相同种子生成逐字节相同的文件")] = 7,
    decisions: Annotated[
        bool,
        typer.Option(
            "--decisions",
            help="同时埋入审核结论（准予例外、被拒绝的准予例外、驳回、因新证据重新待审核），"
            "供 crosscheck eval 核对其效果",
        ),
    ] = False,
) -> None:
    """生成一个合成省份：登记系统、培训机构目录、班级与花名册、考勤考试，以及标准答案。"""
    from crosscheck.world.generate import generate as run
    from crosscheck.world.nation import NATIONS
    from crosscheck.world.scales import SCALES

    if scale not in SCALES and scale not in NATIONS:
        raise CrosscheckError(f"未知规模 “{scale}”，可选：{', '.join([*SCALES, *NATIONS])}")
    if scale in NATIONS and decisions:
        raise CrosscheckError("--decisions 只用于单个世界，不能与多省世界（nation）同用")
    if seed < 0:
        raise CrosscheckError(f"--seed {seed} 应为非负整数")
    for folder in [out_dir, *out_dir.parents]:
        if folder.exists():
            if not folder.is_dir():
                raise CrosscheckError(f"{folder} 是一个文件：--out 应为目录")
            break
    if scale in NATIONS:
        from crosscheck.world import nation

        manifest = nation.generate(
            scale, seed, out_dir, progress=lambda msg: err.print(f"[dim]{msg}[/]")
        )
    else:
        manifest = run(
            scale,
            seed,
            out_dir,
            progress=lambda msg: err.print(f"[dim]{msg}[/]"),
            decisions=decisions,
        )
    _show(out_dir, manifest)


@app.command("advance")
def advance(
    world: WorldOption,
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="推进天数")] = 1,
) -> None:
    """把世界向前推进若干天：生成每日增量（新参保、新执照、新报名）及其应有的核查结果。"""
    from crosscheck.world.advance import advance as run

    _manifest(world)
    manifest = run(world, days)
    for delta in manifest["deltas"][-days:]:
        rows = {k.split("/")[-1]: v for k, v in delta["rows"].items() if v}
        out.print(f"{delta['day']}：{rows or '无变化'}")
    out.print(f"世界日期现为 {manifest['as_of']}")


@app.command("info")
def info(world: WorldOption) -> None:
    """世界的规模、种子、日期与各文件行数。"""
    manifest = _manifest(world)
    _show(world, manifest)


def _show(world: Path, manifest: dict[str, object]) -> None:
    out.print(
        f"{world}：规模 {manifest['scale']}，种子 {manifest['seed']}，世界日期 {manifest['as_of']}"
    )
    table = Table("文件", "行数", box=None, padding=(0, 2))
    rows = manifest["rows"]
    assert isinstance(rows, dict)
    for name, count in rows.items():
        table.add_row(name, f"{count:,}")
    out.print(table)
    planted = manifest.get("decisions")
    provinces = manifest.get("provinces")
    if isinstance(provinces, dict):
        away = manifest.get("exchange_only")
        assert isinstance(away, dict)
        out.print(
            "多省世界：各省目录 "
            + "、".join(f"provinces/{k}（{v['classes']} 个班）" for k, v in provinces.items())
            + "；只向全国交换报送培训记录的省份 "
            + "、".join(f"exchange/{k}.parquet（{v:,} 条）" for k, v in away.items())
        )
    if isinstance(planted, dict):
        words = {
            "override": "准予例外",
            "override_refused": "被拒绝的准予例外",
            "dismiss": "驳回",
            "dismiss_reopened": "驳回后因新证据重新待审核",
        }
        out.print(
            "埋入的审核结论：" + "，".join(f"{words.get(k, k)} {v} 个" for k, v in planted.items())
        )


@registry_app.command("serve")
def serve(
    world: WorldOption,
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="端口（0 为任选空闲端口）")
    ] = 8765,
    host: Annotated[str, typer.Option("--host", help="监听地址（仅限本机）")] = "127.0.0.1",
    token: Annotated[
        str | None,
        typer.Option(
            "--token", help=f"访问令牌，默认取 CROSSCHECK_REGISTRY_TOKEN，否则 {DEFAULT_TOKEN}"
        ),
    ] = None,
    rate_limit: Annotated[
        float, typer.Option("--rate-limit", min=0, help="每个令牌每秒请求数，0 为不限")
    ] = 0.0,
    burst: Annotated[int, typer.Option("--burst", help="突发请求数")] = 50,
    latency_ms: Annotated[
        int, typer.Option("--fault-latency-ms", min=0, max=600_000, help="每个请求附加延迟（毫秒）")
    ] = 0,
    error_rate: Annotated[float, Rate("--fault-5xx", help="返回 5xx 的比例")] = 0.0,
    drop_rate: Annotated[float, Rate("--fault-drop", help="中途断开连接的比例")] = 0.0,
    slow_rate: Annotated[float, Rate("--fault-slow", help="慢响应的比例")] = 0.0,
    truncate_rate: Annotated[float, Rate("--fault-truncate", help="截断响应体的比例")] = 0.0,
    duplicate_rate: Annotated[float, Rate("--fault-duplicate", help="分页重复记录的比例")] = 0.0,
    fault_seed: Annotated[int, typer.Option("--fault-seed", help="故障随机种子")] = 0,
) -> None:
    """启动登记系统模拟服务。接口说明：http://HOST:PORT/api-docs 与 /openapi.json。"""
    from crosscheck.simulator.app import serve as run
    from crosscheck.simulator.faults import Faults

    _manifest(world)
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise CrosscheckError("模拟服务只监听本机地址（127.0.0.1 / localhost / ::1）")
    faults = Faults(
        latency_ms,
        error_rate,
        drop_rate,
        slow_rate,
        2000,
        truncate_rate,
        duplicate_rate,
        fault_seed,
    )
    token = token or os.environ.get("CROSSCHECK_REGISTRY_TOKEN") or DEFAULT_TOKEN
    err.print(
        f"登记系统模拟服务：http://{host}:{port}  "
        f"接口说明：http://{host}:{port}/api-docs  (Ctrl-C 停止)"
    )
    run(world, host, port, token, faults, rate_limit, burst)
