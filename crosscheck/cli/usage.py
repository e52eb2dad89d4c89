"""Typer's usage errors, said in Chinese.

Typer (with the Click it carries, ``typer._click``) reports a misspelled option,
a missing argument or a value of the wrong type in English, in a boxed panel. A
user of crosscheck reads one line in Chinese instead, naming the option or
argument, what is wrong with it, and the command whose ``--help`` explains it.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from typer._click import exceptions as click

_ARGUMENTS = {
    "file": "FILE（文件）",
    "number": "NUMBER（身份证号码）",
    "left": "A（姓名）",
    "right": "B（姓名）",
    "day": "DATE（日期）",
    "start": "START（开始日期）",
    "end": "END（结束日期）",
    "n": "N（工作日数）",
    "files": "FILE（文件）",
    "policy_id": "ID（策略编号）",
}
# pydantic-style value errors (Typer 0.29 coerces values with them)
_VALUE: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"valid integer"), "应为整数"),
    (re.compile(r"valid number|valid float"), "应为数字"),
    (re.compile(r"valid boolean"), "应为是/否（true/false）"),
    (re.compile(r"valid date"), "应为 YYYY-MM-DD 格式的日期"),
    (re.compile(r"greater than or equal to (\S+)"), "应不小于 {0}"),
    (re.compile(r"greater than (\S+)"), "应大于 {0}"),
    (re.compile(r"less than or equal to (\S+)"), "应不大于 {0}"),
    (re.compile(r"less than (\S+)"), "应小于 {0}"),
    (re.compile(r"is not one of (.+?)\.?$"), "应为以下之一：{0}"),
    (re.compile(r"does not exist"), "路径不存在"),
    (re.compile(r"is a file"), "是文件，应为目录"),
    (re.compile(r"is a directory"), "是目录，应为文件"),
    (re.compile(r"is not readable"), "不可读"),
    (re.compile(r"is not writable"), "不可写"),
]
_CJK = re.compile(r"[\u3400-\u9fff]")
_NO_COMMAND = re.compile(r"No such command '(?P<name>.*?)'\.(?: Did you mean '(?P<close>.*)'\?)?")


def _name(param: Any) -> str:
    if param is None:
        return "参数"
    opts = [o for o in getattr(param, "opts", []) if o.startswith("-")]
    if opts:
        return " / ".join(opts)
    name = str(getattr(param, "name", "") or "")
    return _ARGUMENTS.get(name, name.upper() or "参数")


def _given(param: Any) -> str:
    """The text the user gave for an option (from the command line), quoted, or ""."""
    opts = [o for o in getattr(param, "opts", []) if o.startswith("-")]
    argv = sys.argv[1:]
    for i, word in enumerate(argv):
        for opt in opts:
            if word == opt and i + 1 < len(argv):
                return f"“{argv[i + 1][:40]}”"
            if word.startswith(opt + "="):
                return f"“{word[len(opt) + 1 :][:40]}”"
    return ""


def _value_problem(message: str) -> str:
    if _CJK.search(message):
        return message
    for pattern, say in _VALUE:
        found = pattern.search(message)
        if found:
            return say.format(*found.groups())
    return "取值无效"


def chinese(exc: click.ClickException) -> str:
    """One line in Chinese for a usage error raised by Typer."""
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", "") if ctx is not None else ""
    where = f"（运行 {path} --help 查看用法）" if path else ""
    message = str(getattr(exc, "message", "") or "")
    if isinstance(exc, click.NoSuchOption):
        close = list(exc.possibilities or [])[:3]
        guess = f"，是否想用 {' / '.join(close)}？" if close else ""
        return f"没有选项 {exc.option_name}{guess}{where}"
    if isinstance(exc, click.MissingParameter):
        param = getattr(exc, "param", None)
        opts = list(getattr(param, "opts", None) or [])
        kind = "选项" if opts and opts[0].startswith("-") else "参数"
        return f"缺少{kind} {_name(param)}{where}"
    if isinstance(exc, click.BadParameter):
        param = getattr(exc, "param", None)
        if param is None and _CJK.search(message):  # our own message: it names the value
            return f"{message}{where}"
        return f"{_name(param)} 的值{_given(param)}无效：{_value_problem(message)}{where}"
    if isinstance(exc, click.BadOptionUsage):
        if "requires an argument" in message:
            return f"选项 {exc.option_name} 需要一个值{where}"
        return f"选项 {exc.option_name} 用法有误{where}"
    command = _NO_COMMAND.match(message)
    if command:
        guess = f"，是否想用 {command['close']}？" if command["close"] else ""
        return f"没有命令“{command['name']}”{guess}{where}"
    extra = re.match(r"Got unexpected extra arguments? ?\(?s?\)? \((?P<args>.*)\)", message)
    if extra:
        return f"多余的参数：{extra['args']}{where}"
    if message.startswith("Missing command"):
        return f"缺少子命令{where}"
    if _CJK.search(message):
        return f"{message}{where}"
    return f"命令用法有误{where}"
