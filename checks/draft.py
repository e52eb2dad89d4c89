"""Checking a class that is not on file: a filing (开班备案) and a roster (学员花名册)
laid over a read-only view of the warehouse.

The overlay is an in-memory DuckDB database that attaches the warehouse
read-only and exposes each of its tables under its own name, with the draft
class and roster added to ``classes`` and ``roster_entries`` (replacing any
filed version of the same class) and an empty ``findings`` table. The rules run
unchanged on it; nothing is written to the warehouse.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from pathlib import Path
from typing import Any

import duckdb

from crosscheck import policy, regions, warehouse
from crosscheck.errors import CrosscheckError

# the filing's fields: the warehouse's ``classes`` columns, also accepted by their
# Chinese labels as they appear on a 开班备案表
FILING_FIELDS: dict[str, tuple[str, str]] = {
    "class_id": ("班级编号", "text"),
    "policy_id": ("政策", "text"),
    "region_code": ("行政区划代码", "text"),
    "institution_id": ("培训机构编号", "text"),
    "major": ("培训专业", "text"),
    "level": ("培训等级", "text"),
    "venue_id": ("培训场地编号", "text"),
    "offsite_filed": ("异地备案", "bool"),
    "planned_start": ("开班时间", "date"),
    "planned_end": ("结课时间", "date"),
    "months": ("培训时限(月数)", "int"),
    "hours_per_day": ("每日课时", "int"),
    "hours_total": ("总课时", "int"),
    "hours_practice": ("实操课时", "int"),
    "hours_online": ("线上课时", "int"),
    "online_platform": ("线上平台", "text"),
    "category": ("培训类别", "text"),
    "project_ref": ("培训项目编号", "text"),
    "filed_on": ("备案日期", "date"),
    "filing_batch": ("备案批次", "text"),
    "approved_on": ("审批日期", "date"),
    "actual_start": ("实际开班日期", "date"),
    "status": ("状态", "text"),
}
MAX_FILING_BYTES = 1024 * 1024
INT_MAX = 100_000  # no filing has more months or hours than this
REQUIRED = ("class_id", "region_code", "institution_id", "major", "planned_start", "planned_end")
_BY_LABEL = {label: key for key, (label, _) in FILING_FIELDS.items()}


def read_filing(path: Path, *, policy_id: str | None = None) -> dict[str, Any]:
    """Read and validate a filing (JSON object); every problem named by file and field."""
    if path.is_dir():
        raise CrosscheckError(f"{path} 是一个目录：开班备案应为 JSON 文件")
    try:
        if path.stat().st_size > MAX_FILING_BYTES:
            raise CrosscheckError(f"{path.name}：开班备案文件超过 1 MB，不是一个班的备案")
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except RecursionError:
        raise CrosscheckError(f"{path.name}：JSON 嵌套过深，不是开班备案") from None
    except FileNotFoundError as exc:
        raise CrosscheckError(f"找不到开班备案文件 {path}") from exc
    except UnicodeDecodeError:
        raise CrosscheckError(f"{path.name}：不是 UTF-8 编码的 JSON 文件") from None
    except json.JSONDecodeError as exc:
        where = f"第 {exc.lineno} 行第 {exc.colno} 列" if exc.doc.strip() else "文件为空"
        raise CrosscheckError(f"{path.name}：不是有效的 JSON（{where}）") from None
    except OSError as exc:
        raise CrosscheckError(f"无法读取开班备案文件 {path}（{exc.strerror}）") from None
    if not isinstance(raw, dict):
        raise CrosscheckError(f"{path.name}：应为一个 JSON 对象（字段名: 值）")
    problems: list[str] = []
    filing: dict[str, Any] = {}
    for key, value in raw.items():
        name = _BY_LABEL.get(key, key)
        if name not in FILING_FIELDS:
            close = difflib.get_close_matches(key, [*FILING_FIELDS, *_BY_LABEL], n=1)
            problems.append(f"字段 “{key}” 未知" + (f"，是否应为 “{close[0]}”？" if close else ""))
            continue
        try:
            filing[name] = _value(value, FILING_FIELDS[name][1])
        except ValueError as exc:
            problems.append(f"字段 “{key}”：{exc}")
    if policy_id:
        filing["policy_id"] = policy_id
    problems += [
        f"缺少字段 “{name}”（{FILING_FIELDS[name][0]}）"
        for name in REQUIRED
        if filing.get(name) in (None, "")
    ]
    if not problems:
        problems += _consistency(filing)
    if problems:
        raise CrosscheckError(f"{path.name}：" + "；".join(problems))
    filing.setdefault("status", "filed")
    return filing


def _value(value: Any, kind: str) -> Any:
    if value is None or value == "":
        return None
    if kind == "date":
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"“{value}” 不是日期（应为 YYYY-MM-DD）") from None
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"“{str(value)[:40]}” 不是整数")
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"“{str(value)[:40]}” 不是整数") from None
        if not 0 <= number <= INT_MAX:  # months, hours: never negative, never absurd
            raise ValueError(f"{number} 超出范围（应在 0 到 {INT_MAX} 之间）")
        return number
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if value in ("是", "否"):
            return value == "是"
        raise ValueError(f"“{value}” 应为 true/false 或 是/否")
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ValueError("应为文字")
    return str(value).strip()


def _consistency(filing: dict[str, Any]) -> list[str]:
    problems = []
    if filing["planned_end"] < filing["planned_start"]:
        problems.append("结课时间早于开班时间")
    if filing.get("months") == 0:
        problems.append("培训时限(月数)应至少为 1")
    if (filing.get("hours_per_day") or 0) > 24:
        problems.append(f"每日课时 {filing['hours_per_day']} 超过 24")
    code = filing["region_code"]
    if not (len(code) == 6 and code.isdigit() and regions.lookup(code).province):
        problems.append(f"行政区划代码 “{filing['region_code']}” 不存在")
    if filing.get("policy_id"):
        try:
            policy.get(filing["policy_id"])
        except CrosscheckError as exc:
            problems.append(str(exc))
    else:
        chosen = [
            p
            for p in policy.in_force(filing["region_code"], filing["planned_start"])
            if p.programme is not None
        ]
        if not chosen:
            problems.append(
                f"没有适用于 {filing['region_code']} 在 {filing['planned_start']} 的培训政策："
                "请在备案中写明 “policy_id”（命令行用 --policy，网页填“政策”）"
            )
        else:
            filing["policy_id"] = chosen[0].id
    return problems


# what a check run writes: an overlay gives each its own empty table
WRITTEN = ("findings", "links")


def attach_readonly(path: Path, *, draft_class: str | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory database exposing every table of the warehouse at ``path``
    (attached read-only as ``wh``) as a view of the same name — except the tables a
    run writes (:data:`WRITTEN`), which the caller provides. With ``draft_class``, ``classes`` and
    ``roster_entries`` also show the rows of ``_draft_classes`` /
    ``_draft_roster_entries`` in place of that class's filed ones."""
    source = warehouse.connect(path, read_only=True)  # checks the schema version
    source.close()
    con = duckdb.connect(":memory:", config=dict(warehouse.CONFIG))
    con.execute("SET enable_progress_bar = false")
    try:
        con.execute(f"ATTACH {warehouse.sql_string(path)} AS wh (READ_ONLY)")
    except duckdb.Error as exc:
        con.close()
        raise CrosscheckError(f"无法以只读方式打开仓库文件 {path}：{exc}") from exc
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'wh' "
            "AND schema_name = 'main'"
        ).fetchall()
    ]
    for table in tables:
        if table in WRITTEN:
            continue
        if draft_class is not None and table in ("classes", "roster_entries"):
            con.execute(f"CREATE TABLE _draft_{table} AS FROM wh.{table} LIMIT 0")
            literal = "'" + draft_class.replace("'", "''") + "'"
            con.execute(
                f"CREATE VIEW {table} AS FROM wh.{table} WHERE class_id <> {literal} "
                f"UNION ALL BY NAME FROM _draft_{table}"
            )
        else:
            con.execute(f'CREATE VIEW "{table}" AS FROM wh."{table}"')
    # the warehouse's own views (the decisions in force): read there, on its findings
    for (view,) in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE database_name = 'wh' AND NOT internal "
        "AND schema_name = 'main'"
    ).fetchall():
        con.execute(f'CREATE VIEW "{view}" AS FROM wh."{view}"')
    return con


def overlay(
    path: Path, filing: dict[str, Any], entries: list[dict[str, Any]]
) -> duckdb.DuckDBPyConnection:
    """An in-memory database over the warehouse at ``path`` (read-only) with the draft
    class and its roster in place, and an empty ``findings`` table."""
    class_id = filing["class_id"]
    con = attach_readonly(path, draft_class=class_id)
    for table in WRITTEN:
        con.execute(f"CREATE TABLE {table} AS FROM wh.{table} LIMIT 0")
    columns = list(filing)
    con.execute(
        f"INSERT INTO _draft_classes ({', '.join(columns)}, _source) "
        f"VALUES ({', '.join('?' for _ in columns)}, 'draft')",
        [filing[c] for c in columns],
    )
    roster_columns = ["seq", "roster_no", "id_number", "id_number_raw", "name", "sex"]
    roster_columns += ["school_name"]
    roster_columns += ["graduated_on", "education"]
    if entries:
        con.executemany(
            f"INSERT INTO _draft_roster_entries (class_id, {', '.join(roster_columns)}, _source) "
            f"VALUES (?, {', '.join('?' for _ in roster_columns)}, 'draft')",
            [[class_id, *(e.get(c) for c in roster_columns)] for e in entries],
        )
    return con
