"""``crosscheck roster``: take a 学员花名册 as an institution submits it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape as esc
from rich.table import Table

from crosscheck import killpoint, warehouse
from crosscheck.cli import out
from crosscheck.cli.db_cmd import DbOption
from crosscheck.errors import CrosscheckError
from crosscheck.paths import default_warehouse

app = typer.Typer(
    help="学员花名册：校验并载入（.xlsx 或 UTF-8 / GB18030 CSV）。", no_args_is_help=True
)


def _mask_phone(phone: str | None) -> str | None:
    return phone[:3] + "****" + phone[-4:] if phone and len(phone) >= 11 else phone


@app.command("load")
def load(
    file: Annotated[Path, typer.Argument(help="花名册文件")],
    class_id: Annotated[
        str | None, typer.Option("--class", help="班级编号（默认取表头信息行中的“班级编号”）")
    ] = None,
    check_only: Annotated[bool, typer.Option("--check-only", help="只校验，不载入")] = False,
    policy_id: Annotated[
        str | None,
        typer.Option("--policy", help="按该策略的核准专业目录检查培训专业，如 fushun-2023"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出问题清单")] = False,
    db: DbOption = None,
) -> None:
    """校验并载入花名册：一次列出全部问题（逐行、逐字段），能读取的学员全部载入。

    身份证号码无效、缺失、被存成数字或重复的学员照常载入，核查时列为“身份证号码无效”
    “花名册重复”问题；日期、性别等无法读取的字段留空并列出。只有无法作为花名册读取的
    文件（缺表头、缺必填列、列重复）整份不载入。班级须已在仓库的开班备案中。

    退出状态：0 已载入（或校验通过；有行级问题时列出），1 整份未载入（或 --check-only
    发现问题），2 文件无法读取、班级不存在或参数错误。
    """
    from crosscheck.connectors.roster import read

    if not file.is_file():
        raise CrosscheckError(f"找不到花名册文件 {file}")
    roster = read(file, known_majors=_majors(policy_id) if policy_id else None)
    unreadable = [p for p in roster.problems if p.code == "unreadable"]
    if unreadable:  # not a roster at all: one message, exit 2 (nothing to list row by row)
        raise CrosscheckError(f"{roster.file}：{unreadable[0].message}，花名册未载入")
    cid = class_id or roster.info.get("班级编号")
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "file": roster.file,
                    "class_id": cid,
                    "trainees": len(roster.entries),
                    "problems": [p.__dict__ for p in roster.problems],
                },
                ensure_ascii=False,
            )
        )
    refused = bool(roster.fatal)
    if roster.problems and not as_json:
        what = (
            "花名册未载入"
            if refused
            else "未载入（仅校验）"
            if check_only
            else f"其余内容照常载入，{len(roster.entries)} 名学员都将核查"
        )
        table = Table(
            "行", "字段", "问题", title=f"{esc(roster.file)}：{len(roster.problems)} 个问题，{what}"
        )
        for p in roster.problems:
            table.add_row(str(p.row or "—"), esc(p.field and _label(p.field)), esc(p.message))
        out.print(table)
    if refused or (check_only and roster.problems):
        raise typer.Exit(1)
    if check_only:
        if not as_json:
            out.print(f"{esc(roster.file)}：{len(roster.entries)} 名学员，校验通过（未载入）")
        return
    if not cid:
        raise CrosscheckError(f"{roster.file}：表头中没有“班级编号”，请用 --class 指定")
    path = db or default_warehouse()
    con = warehouse.connect(path)
    try:
        loaded_at = dt.datetime.now()
        con.execute("BEGIN TRANSACTION")
        if not con.execute("SELECT 1 FROM classes WHERE class_id = ?", [cid]).fetchall():
            con.execute("ROLLBACK")
            raise CrosscheckError(
                f"{roster.file}：班级“{cid[:40]}”不在仓库 {path} 的开班备案中，花名册未载入"
                "（先载入该班的备案：crosscheck ingest --files；或检查 --class 是否写错）"
            )
        con.execute("DELETE FROM roster_entries WHERE class_id = ?", [cid])
        con.executemany(
            "INSERT INTO roster_entries (class_id, seq, roster_no, id_number, id_number_raw, "
            "name, sex, school_name, graduated_on, education, phone_masked, "
            "_source, _extract, _row, _loaded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'roster', ?, ?, ?)",
            [
                [
                    cid,
                    e["seq"],
                    e["roster_no"],
                    e["id_number"],
                    e["id_number_raw"],
                    e["name"],
                    e["sex"],
                    e["school_name"],
                    e["graduated_on"],
                    e["education"],
                    _mask_phone(e["phone"]),
                    roster.file,
                    e["seq"],
                    loaded_at,
                ]
                for e in roster.entries
            ],
        )
        killpoint.here("roster.commit")
        con.execute("COMMIT")
    finally:
        con.close()
    if not as_json:
        out.print(
            f"{esc(roster.file)}：已载入 {len(roster.entries)} 名学员（班级 {cid}，仓库 {path}）"
        )


def _majors(policy_id: str) -> set[str]:
    """The majors a policy approves: its annex, or its programme's list."""
    from crosscheck import policy

    chosen = policy.get(policy_id)
    found: set[str] = set()
    if chosen.majors:
        found |= {m.major for m in chosen.majors.value}
    if chosen.class_rules.programme_majors:
        found |= set(chosen.class_rules.programme_majors.value)
    if not found:
        raise CrosscheckError(f"策略 {policy_id} 没有列出核准专业，无法检查培训专业")
    return found


def _label(field: str) -> str:
    from crosscheck.connectors.roster import LABELS

    return LABELS.get(field, "文件" if field == "file" else field)
