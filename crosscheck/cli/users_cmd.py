"""``crosscheck users add|revoke|list``: the service's accounts (``crosscheck.accounts``).

A new account's secret is shown once and stored only as its hash; a revoked account
is refused on its next request, without restarting the service."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape as esc
from rich.table import Table

from crosscheck.cli import out

app = typer.Typer(
    help="账号：新建（角色与地区范围）、停用、列出。密钥只显示一次，仅保存其散列值。",
    no_args_is_help=True,
)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="账号名，如 fushun-li")],
    role: Annotated[
        str,
        typer.Option(
            "--role", help="角色：viewer 只读、reviewer 审核、second_reviewer 复核、admin"
        ),
    ],
    scope: Annotated[
        str,
        typer.Option(
            "--scope", help="地区范围：全部、省份代码（21）、城市代码（2104）或区县代码（210411）"
        ),
    ],
    display: Annotated[
        str | None, typer.Option("--display", help="显示名称，如 抚顺市人社局 李明")
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="办理人（记入审计日志；默认为本机登录用户）")
    ] = None,
) -> None:
    """新建账号并显示其密钥（只显示这一次）。

    退出状态：0 已建，2 账号名、角色或范围有误，或账号已存在。
    """
    from crosscheck import accounts

    secret = accounts.add_user(name, role, scope, display, _operator(by))
    out.print(
        f"已建账号 {esc(name)}：{accounts.ROLE_LABELS[role]}，"
        f"{accounts.scope_label(accounts.check_scope(scope))}"
    )
    out.print("密钥（只显示这一次，请当面或经安全渠道交给本人；登录页与接口均用它）：")
    print(secret)


@app.command("revoke")
def revoke(
    name: Annotated[str, typer.Argument(help="账号名")],
    by: Annotated[
        str | None, typer.Option("--by", help="办理人（记入审计日志；默认为本机登录用户）")
    ] = None,
) -> None:
    """停用账号：其下一次请求即被拒绝，已登录的会话同时失效，无需重启服务。"""
    from crosscheck import accounts

    accounts.revoke(name, _operator(by))
    out.print(f"已停用账号 {esc(name)}")


@app.command("list")
def list_() -> None:
    """列出账号（不显示密钥）。"""
    from crosscheck import accounts

    rows = accounts.users()
    table = Table("账号", "名称", "角色", "范围", "建立", "状态", title=f"账号（{len(rows)} 个）")
    for r in rows:
        table.add_row(
            esc(r["name"]),
            esc(r["display"]),
            accounts.ROLE_LABELS.get(r["role"], r["role"]),
            accounts.scope_label(r["scope"]),
            f"{r['created_at'][:16]}（{esc(r['created_by'])}）",
            f"已停用 {r['revoked_at'][:16]}" if r["revoked_at"] else "有效",
        )
    out.print(table)


def _operator(by: str | None) -> str:
    """Who issues or revokes: as given, else the machine's login name (the CLI is
    the administrator's, on the machine that holds the store)."""
    if by and by.strip():
        return by.strip()
    import getpass

    try:
        return f"本机用户 {getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (a container's numeric user)
        return "本机用户"
