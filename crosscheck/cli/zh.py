"""Typer's own help words in Chinese: 用法, 选项, 参数, 命令, 显示此帮助并退出, 默认.

crosscheck's help texts are Chinese, but Typer (0.29, with the Click it vendors
as ``typer._click``) frames them in English: "Usage:", the "Options" panel,
"Show this message and exit.", "[default: …]". Typer takes some of these words
through ``gettext`` (its panel titles, read once at import into
``typer.rich_utils``) and hard-codes the rest in its Click copy (the usage
prefix, the help option's text). :func:`install` sets each of them, once, in
this process only: the panel constants and ``gettext`` hooks, the formatter
class every context makes its help with, and the help option's text.

These are Typer's internals, pinned by ``uv.lock``; ``tests/test_cli.py`` reads
``--help`` of the main command and a subcommand and fails if an upgrade brings
an English word back.
"""

from __future__ import annotations

from typing import Any

WORDS = {
    "Usage:": "用法：",
    "Usage: ": "用法：",
    "Options": "选项",
    "Arguments": "参数",
    "Commands": "命令",
    "Error": "错误",
    "Aborted.": "已中止。",
    "Aborted!": "已中止！",
    "(deprecated) ": "（已弃用）",
    "[default: {}]": "[默认：{}]",
    "[env var: {}]": "[环境变量：{}]",
    "[required]": "[必填]",
    "default: {default}": "默认：{default}",
    "env var: {var}": "环境变量：{var}",
    "required": "必填",
    "(dynamic)": "（动态）",
    "Try [blue]'{command_path} {help_option}'[/] for help.": (
        "运行 [blue]'{command_path} {help_option}'[/] 查看帮助。"
    ),
}
HELP_OPTION = "显示此帮助并退出。"
_done = False


def say(message: str) -> str:
    """A Typer word in Chinese (any other text as it is)."""
    return WORDS.get(message, message)


def install() -> None:
    """Put the Chinese words in place (idempotent)."""
    global _done
    if _done:
        return
    import typer.core
    import typer.rich_utils as rich
    from typer._click import core, decorators, formatting

    for module in (typer.core, rich):
        module._ = say  # type: ignore[attr-defined]  # their gettext hook
    for name in (
        "DEPRECATED_STRING",
        "DEFAULT_STRING",
        "ENVVAR_STRING",
        "REQUIRED_LONG_STRING",
        "ARGUMENTS_PANEL_TITLE",
        "OPTIONS_PANEL_TITLE",
        "COMMANDS_PANEL_TITLE",
        "ERRORS_PANEL_TITLE",
        "ABORTED_TEXT",
        "RICH_HELP",
    ):
        setattr(rich, name, say(getattr(rich, name)))

    class Formatter(formatting.HelpFormatter):
        def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
            super().write_usage(prog, args, "用法：" if prefix is None else say(prefix))

    core.Context.formatter_class = Formatter
    english = decorators.help_option

    def help_option(names: list[str]) -> Any:
        apply = english(names)

        def chinese(command: Any) -> Any:
            done = apply(command)
            command.params[-1].help = HELP_OPTION
            return done

        return chinese

    decorators.help_option = help_option  # type: ignore[assignment]
    _done = True
