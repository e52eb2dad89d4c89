"""Turning pydantic's validation errors into one Chinese message per problem.

Used by every strict data file (policies, calendar schedules): the message names
the file, the dotted key and what is wrong, with a "did you mean" for a
misspelled key when the allowed keys are known.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError

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
            lines.append(f"  - {where}：{err['msg']}（当前值：{err.get('input')!r}）")
    return "\n".join(lines)
