"""``crosscheck serve``: the web service and the Prefect deployments, together.

Starts the service (API + dashboard) on localhost, then serves four Prefect
deployments — the nightly verification at 02:00 Asia/Shanghai, the monthly
report at 03:00 on the 1st, and the on-demand opening check and payout batch
(run from the Prefect UI or ``prefect deployment run``) — against the Prefect
server in ``PREFECT_API_URL``; without one, it starts its own
(``prefect server start``) and stops it on exit. Ctrl-C or SIGTERM stops
everything; the schedules pause while crosscheck is down.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from crosscheck.cli import err, out
from crosscheck.errors import CrosscheckError
from crosscheck.paths import ensure_private_dir, home_dir

NIGHTLY_CRON = "0 2 * * *"
MONTHLY_CRON = "0 3 1 * *"
SCHEDULE_TEXT = "每晚 02:00、每月1日 03:00"  # the two crons above, as a person reads them
TIMEZONE = "Asia/Shanghai"


def prefect_environment() -> None:
    """Offline and quiet (STACK.md), with Prefect's state under crosscheck's home."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_HOME", str(home_dir() / "prefect"))
    os.environ.setdefault("PREFECT_RUNNER_POLL_FREQUENCY", "5")
    os.environ.setdefault("PREFECT_UI_ENABLED", "true")


def prefect_auth_string() -> str:
    """The basic-auth string (``user:password``) of the Prefect server crosscheck
    starts: ``PREFECT_SERVER_API_AUTH_STRING`` when set, else one made on first use
    and kept in ``$CROSSCHECK_HOME/prefect/auth`` (0600)."""
    given = os.environ.get("PREFECT_SERVER_API_AUTH_STRING")
    if given:
        return given
    path = ensure_private_dir(home_dir() / "prefect") / "auth"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    value = f"crosscheck:{secrets.token_urlsafe(24)}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value)
    return value


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM it when crosscheck dies, even by kill -9
    (Linux prctl PR_SET_PDEATHSIG), so no Prefect server outlives its serve."""
    import ctypes

    # not Linux: no prctl; the process group is still stopped on a normal exit
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG = 1


def database_url(text: str) -> str:
    """A PostgreSQL address for Prefect's server (its supported production database):
    ``postgresql+asyncpg://user:password@host:port/database``; ``postgresql://`` is
    taken as the same. Anything else is refused before anything starts."""
    from urllib.parse import urlsplit

    url = text.strip()
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url.removeprefix("postgresql://")
    parts = urlsplit(url)
    if parts.scheme != "postgresql+asyncpg" or not parts.hostname or not parts.path.strip("/"):
        raise CrosscheckError(
            "--prefect-db 应为 PostgreSQL 地址，如 postgresql+asyncpg://用户:密码@127.0.0.1:5433/prefect"
            "（scripts/postgres start 目录 写出的 url 文件）"
        )
    return url


def shown(url: str) -> str:
    """A database address without its password, for the terminal and the logs."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"PostgreSQL {parts.hostname}:{parts.port or 5432}{parts.path}"


def start_prefect_server(port: int, database: str | None = None) -> subprocess.Popen[bytes]:
    """A stand-alone Prefect server on loopback (its UI at http://127.0.0.1:<port>),
    its API behind a basic-auth string that this process's client also uses: no
    other local user can read flow runs or start the writing deployments. The server
    runs in its own process group, so stopping crosscheck stops all of it.
    ``database``: a PostgreSQL URL (:func:`database_url`) instead of SQLite in
    ``PREFECT_HOME`` — for several workers running flows at once."""
    import httpx

    log = home_dir() / "prefect" / "server.log"
    ensure_private_dir(log.parent)
    auth = prefect_auth_string()
    os.environ["PREFECT_SERVER_API_AUTH_STRING"] = auth
    os.environ["PREFECT_API_AUTH_STRING"] = auth
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "prefect"),
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        env={
            **os.environ,
            "PREFECT_SERVER_API_HOST": "127.0.0.1",
            "PREFECT_SERVER_API_PORT": str(port),
            # the UI's own page asks this address for its data: without it, a server
            # on any port but 4200 shows an empty UI (issue 13, item 4)
            "PREFECT_UI_API_URL": f"http://127.0.0.1:{port}/api",
            **({"PREFECT_API_DATABASE_CONNECTION_URL": database} if database else {}),
        },
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    url = f"http://127.0.0.1:{port}/api/health"
    basic = httpx.BasicAuth(*auth.split(":", 1))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CrosscheckError(f"Prefect 服务器未能启动，见 {log}")
        try:
            if httpx.get(url, timeout=2, auth=basic).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_process_group(process)
    raise CrosscheckError(f"Prefect 服务器 120 秒内未就绪，见 {log}")


def stop_process_group(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """SIGTERM the process's group (the server and every worker it started), then
    SIGKILL what is left after ``timeout`` seconds."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _loopback(host: str) -> bool:
    """Is ``host`` reachable from this machine only?"""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: may resolve to anything


def deployments(
    registry_url: str | None,
    registry_token: str | None,
    *,
    partitions: int = 1,
    pool: bool = False,
) -> list[Any]:
    """The four deployments. ``partitions``: the nightly re-check's partitions (as
    ``check all --workers``); ``pool``: each names its flow by module path, so that a
    work pool's worker imports it from the installed package."""
    from prefect.schedules import Cron
    from prefect.types.entrypoint import EntrypointType

    from crosscheck.flows.monthly import monthly_report
    from crosscheck.flows.nightly import nightly
    from crosscheck.flows.ondemand import opening_check
    from crosscheck.flows.payout import payout_batch

    # the token is never a parameter (Prefect stores parameters and shows them through
    # its API): the runs this process starts read it from its environment
    if registry_token:
        os.environ["CROSSCHECK_REGISTRY_TOKEN"] = registry_token
    kind = EntrypointType.MODULE_PATH if pool else EntrypointType.FILE_PATH
    night: dict[str, Any] = {"registry_url": registry_url} if registry_url else {}
    if partitions > 1:
        night["workers"] = partitions
    return [
        nightly.to_deployment(
            name="nightly",
            schedules=[Cron(NIGHTLY_CRON, timezone=TIMEZONE)],
            parameters=night,
            entrypoint_type=kind,
            description="每晚核查：拉取各登记库增量，复核在办班级，只记录新问题，发布看板数据。",
            tags=["crosscheck"],
        ),
        monthly_report.to_deployment(
            name="monthly",
            entrypoint_type=kind,
            schedules=[Cron(MONTHLY_CRON, timezone=TIMEZONE)],
            description="每月1日生成上月的全省月度报告 .xlsx。",
            tags=["crosscheck"],
        ),
        opening_check.to_deployment(
            name="opening-check",
            entrypoint_type=kind,
            description="单个班级的开班审核（结果记入数据仓库）。",
            tags=["crosscheck"],
        ),
        payout_batch.to_deployment(
            name="payout",
            entrypoint_type=kind,
            description="一个批次的结课核算：补贴核算表与公示名单。",
            tags=["crosscheck"],
        ),
    ]


def ensure_work_pool(name: str) -> None:
    """A process work pool of that name on the Prefect server (made when missing)."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    async def make() -> None:
        async with get_client() as client:
            with contextlib.suppress(ObjectAlreadyExists):
                await client.create_work_pool(WorkPoolCreate(name=name, type="process"))

    asyncio.run(make())


def start_workers(pool: str, count: int) -> list[subprocess.Popen[bytes]]:
    """``count`` Prefect workers polling the pool, each in its own process group (its
    flow runs in subprocesses of it), each dying with this process; logs in
    ``$CROSSCHECK_HOME/prefect/worker-<n>.log``."""
    started = []
    for n in range(1, count + 1):
        log = ensure_private_dir(home_dir() / "prefect") / f"worker-{n}.log"
        started.append(
            subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "prefect"),
                    *("worker", "start", "--pool", pool, "--type", "process"),
                    *("--name", f"crosscheck-{n}"),
                ],
                stdout=log.open("ab"),
                stderr=subprocess.STDOUT,
                env=dict(os.environ),
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        )
    return started


def serve(
    host: Annotated[str, typer.Option("--host", help="网页服务监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="网页服务端口")] = 8000,
    prefect_port: Annotated[
        int,
        typer.Option(
            "--prefect-port",
            min=1,
            max=65535,
            help="未设置 PREFECT_API_URL 时自启 Prefect 服务器的端口",
        ),
    ] = 4200,
    registry_url: Annotated[
        str | None,
        typer.Option("--registry-url", help="登记库接口地址（默认取 CROSSCHECK_REGISTRY_URL）"),
    ] = None,
    registry_token: Annotated[
        str | None,
        typer.Option("--registry-token", help="登记库令牌（默认取 CROSSCHECK_REGISTRY_TOKEN）"),
    ] = None,
    web_only: Annotated[
        bool, typer.Option("--web-only", help="只启动网页服务与看板，不启动 Prefect 定时任务")
    ] = False,
    prefect_db: Annotated[
        str | None,
        typer.Option(
            "--prefect-db",
            help="自启的 Prefect 服务器改用 PostgreSQL（postgresql+asyncpg://…；"
            "默认取 CROSSCHECK_PREFECT_DB；都不设则用 SQLite）",
            show_default=False,
        ),
    ] = None,
    work_pool: Annotated[
        str | None,
        typer.Option(
            "--work-pool",
            help="把四个任务部署到此 Prefect 工作池（process 类型，不存在则新建），"
            "由 --pool-workers 个 worker 执行，而不是由本进程执行",
            show_default=False,
        ),
    ] = None,
    pool_workers: Annotated[
        int, typer.Option("--pool-workers", min=1, max=16, help="随本服务启动的 worker 数")
    ] = 2,
    partitions: Annotated[
        int,
        typer.Option(
            "--partitions",
            min=1,
            max=64,
            help="每晚复核的分区数（同 check all --workers；默认 1：不分区）",
        ),
    ] = 1,
) -> None:
    """启动网页服务（接口与看板）以及 Prefect 定时任务：每晚 02:00 核查、每月1日月报。"""
    import uvicorn

    from crosscheck import accounts
    from crosscheck.service.app import create_app

    prefect_environment()
    given_db = prefect_db or os.environ.get("CROSSCHECK_PREFECT_DB")
    database = database_url(given_db) if given_db else None
    if database and os.environ.get("PREFECT_API_URL"):
        raise CrosscheckError(
            "--prefect-db 只用于 crosscheck 自启的 Prefect 服务器；已设置 PREFECT_API_URL 时，"
            "数据库由那台服务器自己配置"
        )
    old = home_dir() / "tokens.json"
    if old.exists():
        raise CrosscheckError(
            f"{old}：明文令牌文件已停用（令牌不应以明文保存）。请用 crosscheck users add "
            "为每位用户建账号（密钥只保存其散列值），然后删除该文件"
        )
    dev = not accounts.has_users()
    if not _loopback(host) and dev:
        raise CrosscheckError(
            f"--host {host} 会让网络上的其他机器访问本服务，但当前没有任何账号，只能用公开的"
            "开发密钥（crosscheck-viewer-dev 等）登录：请先用 crosscheck users add "
            "为每位用户建账号，再在非本机地址上启动"
        )
    config = uvicorn.Config(
        create_app(), host=host, port=port, log_level="warning", access_log=False
    )
    web = uvicorn.Server(config)
    # in a thread, uvicorn leaves signals alone: Ctrl-C / SIGTERM stop everything here
    thread = threading.Thread(target=web.run, name="crosscheck-web", daemon=True)
    server: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = []

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        thread.start()
        out.print(
            f"看板与接口：http://{host}:{port}/   开班即时核查页面：http://{host}:{port}/review"
        )
        if dev:
            out.print(
                "[yellow]尚无账号，可用开发密钥登录[/]：只读 crosscheck-viewer-dev，"
                "审核 crosscheck-reviewer-dev，复核 crosscheck-second-dev"
                "（正式使用请先 crosscheck users add 建账号；建了账号后开发密钥即失效）"
            )
        if web_only:
            while thread.is_alive():
                thread.join(0.5)
            return
        if not (registry_url or os.environ.get("CROSSCHECK_REGISTRY_URL")):
            err.print(
                "[yellow]未配置登记库接口地址[/]（--registry-url 或 CROSSCHECK_REGISTRY_URL）："
                "每晚任务不拉取任何登记库，只按仓库中已有的数据复查，"
                "运行记为“部分完成”并列出未拉取的来源"
            )
        if not os.environ.get("PREFECT_API_URL"):
            where = f"，数据库 {shown(database)}" if database else ""
            out.print(f"启动 Prefect 服务器（127.0.0.1:{prefect_port}{where}）……")
            server = start_prefect_server(prefect_port, database)
            os.environ["PREFECT_API_URL"] = f"http://127.0.0.1:{prefect_port}/api"
        out.print(
            f"Prefect：{os.environ['PREFECT_API_URL'].removesuffix('/api')}  "
            f"（{SCHEDULE_TEXT}，时区 {TIMEZONE}）"
        )
        planned = deployments(
            registry_url or os.environ.get("CROSSCHECK_REGISTRY_URL"),
            registry_token or os.environ.get("CROSSCHECK_REGISTRY_TOKEN"),
            partitions=partitions,
            pool=work_pool is not None,
        )
        if work_pool is not None:
            ensure_work_pool(work_pool)
            for deployment in planned:
                deployment.apply(work_pool_name=work_pool)
            workers = start_workers(work_pool, pool_workers)
            out.print(
                f"已部署到工作池 {work_pool}，{pool_workers} 个 worker 执行"
                f"（日志：{home_dir() / 'prefect'}/worker-*.log）"
            )
            while thread.is_alive() and all(w.poll() is None for w in workers):
                thread.join(0.5)
            dead = [i + 1 for i, w in enumerate(workers) if w.poll() is not None]
            if dead:
                raise CrosscheckError(
                    f"worker {'、'.join(map(str, dead))} 已退出，见 "
                    f"{home_dir() / 'prefect'}/worker-{dead[0]}.log；已停止全部服务"
                )
            return
        from prefect import serve as prefect_serve

        prefect_serve(*planned, print_starting_message=False)
    except KeyboardInterrupt:
        pass
    finally:
        err.print("正在停止……")
        web.should_exit = True
        thread.join(10)
        for worker in workers:
            stop_process_group(worker)
        if server is not None:
            stop_process_group(server)
        err.print("已停止。")
