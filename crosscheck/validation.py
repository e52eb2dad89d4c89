"""Turning pydantic's validation errors into one Chinese message per problem.

Used by every strict data file (policies, calendar schedules): the message names
the file, the dotted key and what is wrong, with a "did you mean" for a
misspelled key when the allowed keys are known.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

_CJK = re.compile(r"[\u3400-\u9fff]")
KnownKeys = Callable[[tuple[int | str, ...]], Sequence[str]]


def describe(
    exc: ValidationError, path: Path, what: str, known_keys: KnownKeys | None = None
) -> str:
    """``{path}：{what}有误`` followed by one line per error."""
    lines = [f"{path}：{what}有误"]
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in loc) or "(文件顶层)"
        if err["type"] == "extra_forbidden":
            known = known_keys(loc[:-1]) if known_keys else []
            hint = difflib.get_close_matches(str(loc[-1]), list(known), n=1)
            lines.append(f"  - 未知字段 {where}" + (f"（是否应为 “{hint[0]}”？）" if hint else ""))
        elif err["type"] == "missing":
            lines.append(f"  - 缺少必填字段 {where}")
        else:
            value = err.get("input")
            if isinstance(value, dict):  # never a Python dict on screen
                shown = "一组键值：" + "、".join(str(k) for k in list(value)[:5])
            elif isinstance(value, list):
                shown = f"一个列表（{len(value)} 项）"
            else:
                shown = repr(value)
            shown = shown if len(shown) <= 60 else shown[:57] + "…"
            lines.append(f"  - {where}：{_chinese(err)}（当前值：{shown}）")
    return "\n".join(lines)


# pydantic's error types, said in Chinese (its messages are English)
_TYPES = {
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文字",
    "date_parsing": "应为 YYYY-MM-DD 格式的日期",
    "date_from_datetime_parsing": "应为 YYYY-MM-DD 格式的日期",
    "date_type": "应为 YYYY-MM-DD 格式的日期",
    "dict_type": "应为键值映射",
    "model_type": "应为键值映射",
    "model_attributes_type": "应为键值映射",
    "list_type": "应为列表",
    "enum": "不是可选值",
    "literal_error": "不是可选值",
    "string_pattern_mismatch": "格式不对",
    "too_short": "太短",
    "too_long": "太长",
}


def _chinese(err: Any) -> str:
    kind = str(err.get("type"))
    ctx = err.get("ctx") or {}
    if kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge" if kind.endswith("equal") else "gt")
        return f"应{'不小于' if kind.endswith('equal') else '大于'} {bound}"
    if kind in ("less_than_equal", "less_than"):
        bound = ctx.get("le" if kind.endswith("equal") else "lt")
        return f"应{'不大于' if kind.endswith('equal') else '小于'} {bound}"
    if kind == "value_error":
        message = str(ctx.get("error") or err.get("msg") or "")
        return message if _CJK.search(message) else "取值无效"
    if kind in _TYPES:
        return _TYPES[kind]
    message = str(err.get("msg") or "")
    return message if _CJK.search(message) else "取值无效"


def yaml_problem(exc: Exception) -> str:
    """Where a YAML file stops parsing, in Chinese (PyYAML's messages are English)."""
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f"YAML 格式错误（第 {mark.line + 1} 行第 {mark.column + 1} 列）"
    return "YAML 格式错误"


_DATE_LIKE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


def impossible_dates(text: str) -> str:
    """The first line of a YAML text holding a date that does not exist (2023-02-30),
    as "第 N 行 “…”" — YAML reads such a value as a date and fails without saying where."""
    import datetime as dt

    keys: list[tuple[int, str]] = []  # (indent, key) of the lines above: the dotted path
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip(" -")
        indent = len(line) - len(stripped)
        key = stripped.split(":", 1)[0].strip() if ":" in stripped else ""
        while keys and keys[-1][0] >= indent:
            keys.pop()
        for found in _DATE_LIKE.findall(line):
            try:
                dt.date.fromisoformat(found)
            except ValueError:
                where = ".".join([k for _, k in keys] + ([key] if key else []))
                return f"第 {number} 行 {where}：日期 {found} 不存在"
        if key:
            keys.append((indent, key))
    return "含有不存在的日期"


def read_yaml(
    path: Path,
    what: str,
    error: type[Exception],
    load: Callable[[str], Any] = yaml.safe_load,
) -> tuple[Any, bytes]:
    """Read and parse a YAML data file (``what``: 策略文件, 节假日安排文件 …): its content
    and its bytes, or ``error`` with one Chinese message naming the file and why."""
    try:
        data = path.read_bytes()
        return load(data.decode("utf-8")), data
    except FileNotFoundError:
        raise error(f"{path}：{what}不存在") from None
    except IsADirectoryError:
        raise error(f"{path} 是一个目录：应为{what}（.yaml）") from None
    except OSError:
        raise error(f"{path}：无法读取{what}（没有权限或读取出错）") from None
    except UnicodeDecodeError:
        raise error(f"{path}：{what}须为 UTF-8 编码") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}：{what}的 {yaml_problem(exc)}") from None
    except ValueError:  # a date YAML reads as one but the calendar has not: 2023-02-30
        raise error(f"{path}：{what}{impossible_dates(data.decode('utf-8'))}") from None
