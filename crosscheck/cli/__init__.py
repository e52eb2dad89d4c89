"""The ``crosscheck`` command line.

User-facing text is Simplified Chinese; an error a user can cause is printed as
one clear message (what, where, why) and a non-zero exit status, never a
traceback. Exit statuses: 0 success / valid, 1 a negative answer (an invalid ID,
a non-working day), 2 bad input or usage.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from crosscheck import __version__
from crosscheck.cli import zh
from crosscheck.errors import CrosscheckError
from crosscheck.paths import home_dir, private_files, secure_home

zh.install()  # Typer's own words (用法, 选项, 显示此帮助并退出) in Chinese
app = typer.Typer(
    name="crosscheck",
    help="crosscheck：高校毕业生专业转换培训等补贴性职业培训的资格核查工具。",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)


def _console(stderr: bool = False) -> Console:
    """A terminal gets rich's layout at its width. A pipe, a file or a scheduler's log
    gets lines that are never wrapped (an ID number, a path or a message cut at 80
    columns cannot be searched for) and tables laid out wide (issue 13)."""
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty() or os.environ.get("COLUMNS"):
        return Console(stderr=stderr, highlight=False)
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=160)


out = _console()
err = _console(stderr=True)


def _version(value: bool) -> None:
    if value:
        out.print(f"crosscheck {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            help="状态目录（仓库文件等），默认取环境变量 CROSSCHECK_HOME，否则为 ./var",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="显示版本")
    ] = False,
) -> None:
    if home is not None:
        os.environ["CROSSCHECK_HOME"] = str(home)
    if home_dir().exists() and not home_dir().is_dir():
        raise CrosscheckError(
            f"状态目录 {home_dir()} 是一个文件：--home / CROSSCHECK_HOME 应为目录"
        )
    if home_dir().is_dir():
        secure_home()  # 0700: it holds personal data (an older version left it 0755)


def _register() -> None:
    from crosscheck.cli import (
        calendar_cmd,
        check_cmd,
        db_cmd,
        decide_cmd,
        demo,
        exchange_cmd,
        id_cmd,
        ingest_cmd,
        links_cmd,
        name_cmd,
        policy_cmd,
        report_cmd,
        review_cmd,
        roster_cmd,
        serve_cmd,
        source_cmd,
        users_cmd,
        world_cmd,
    )

    app.add_typer(id_cmd.app, name="id")
    app.add_typer(name_cmd.app, name="name")
    app.add_typer(calendar_cmd.app, name="calendar")
    app.add_typer(policy_cmd.app, name="policy")
    app.add_typer(db_cmd.app, name="db")
    app.add_typer(ingest_cmd.app, name="ingest")
    app.add_typer(source_cmd.app, name="source")
    app.add_typer(check_cmd.check_app, name="check")
    app.add_typer(check_cmd.findings_app, name="findings")
    app.add_typer(links_cmd.app, name="links")
    app.add_typer(decide_cmd.app, name="review")
    app.add_typer(users_cmd.app, name="users")
    app.command("eval")(check_cmd.eval_)
    app.command("notice")(review_cmd.notice)
    app.add_typer(roster_cmd.app, name="roster")
    app.add_typer(world_cmd.app, name="world")
    app.add_typer(world_cmd.registry_app, name="registry")
    app.add_typer(exchange_cmd.app, name="exchange")
    app.command("demo")(demo.demo)
    app.command("serve")(serve_cmd.serve)
    app.command("publish")(report_cmd.publish)
    app.command("purge")(report_cmd.purge)
    app.add_typer(report_cmd.report_app, name="report")


_register()


def main() -> None:
    """Entry point: run the app, turning crosscheck's errors into one message.

    Files this process creates are its owner's only (umask 077). An error that is
    crosscheck's own fault — a bug, not bad input — is one message too, exit 70
    (EX_SOFTWARE); its traceback goes to a crash file under the state folder, named
    in the message, never to the terminal (it may quote a row's personal data)."""
    from typer import _click as click

    from crosscheck.cli.usage import chinese

    private_files()
    try:
        code = app(standalone_mode=False, prog_name="crosscheck")
    except click.exceptions.NoArgsIsHelpError as exc:
        exc.show()  # a group called bare: its help
        sys.exit(2)
    except click.ClickException as exc:  # usage: a misspelled option, a missing argument
        err.print(f"[bold red]错误：[/]{escape(chinese(exc))}", soft_wrap=True)
        sys.exit(2)
    except typer.Abort:
        err.print("[bold red]已中断[/]：本次未完成的写入不会生效")
        sys.exit(130)
    except CrosscheckError as exc:
        err.print(f"[bold red]错误：[/]{escape(str(exc))}", soft_wrap=True)  # user text
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("[bold red]已中断[/]：本次未完成的写入不会生效")
        sys.exit(130)
    except Exception as exc:
        where = _crash_report(exc)
        err.print(
            f"[bold red]内部错误[/]（{type(exc).__name__}）：这是 crosscheck 自身的缺陷，"
            f"不是输入的问题；详情已写入 {where}，请连同该文件报告",
            soft_wrap=True,
        )
        sys.exit(70)
    sys.exit(code if isinstance(code, int) else 0)


def _crash_report(exc: BaseException) -> str:
    """Write the traceback to ``$CROSSCHECK_HOME/crashes/`` (0600); return its path."""
    import datetime as dt
    import traceback

    from crosscheck.idnumber import mask_ids
    from crosscheck.paths import ensure_private_dir, home_dir

    try:
        folder = ensure_private_dir(home_dir() / "crashes")
        path = folder / f"crash-{dt.datetime.now():%Y%m%dT%H%M%S}-{os.getpid()}.txt"
        text = f"argv: {sys.argv[1:]}\n\n" + "".join(traceback.format_exception(exc))
        path.write_text(mask_ids(text), encoding="utf-8")  # never a full ID number
        return str(path)
    except OSError:
        return "（无法写入崩溃记录）"
