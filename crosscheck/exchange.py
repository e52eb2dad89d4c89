"""The national exchange: what one province sends the others, and how it arrives.

Registries stay where they are held; only training and subsidy records travel
("防止出现异地违规参加培训、重复享受补贴", 001 §6(四)). A province's export is
its own training records in the shape of the ``training_records`` contract —
the minimum fields the enrolment rules read (POLICY.md readings 10–12): who
(ID, name), where (region), what (institution, programme, class), when (start,
end, status) and the subsidy (subsidised, paid date):

- every trainee of its own classes that opened (a class that never opened is
  not an enrolment), with the class's planned period, ``subsidised`` true, and
  the class's payment date when the class is paid and no trainee-level block or
  exclude stands against them (an excluded trainee was not paid);
- the records of its other cities that its own training system holds (its
  ``training_records`` rows of its own province; never what it received).

Keys are prefixed with the province (``21:…``) so that two provinces' keys never
meet. A province receives the others' files into ``registries/exchange/`` of
its extract folder (:func:`receive`); the next bulk load reads them with the
training records, through the same gate (:func:`crosscheck.ingest.run.extract_files`).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from pathlib import Path
from typing import NamedTuple

import duckdb
import polars as pl

from crosscheck.checks.enrolment import OPENED
from crosscheck.errors import CrosscheckError
from crosscheck.world import schema

PATH = "registries/training_records"
INBOX = Path("registries") / "exchange"
_NAME = re.compile(r"^(\d{2})\.parquet$")


def provinces_held(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The provinces of the classes a warehouse holds."""
    return [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT substr(region_code, 1, 2) FROM classes ORDER BY 1"
        ).fetchall()
    ]


def label(code: str) -> str:
    """A province as a person reads it: 四川省（51）."""
    from crosscheck.regions import province_name

    return f"{province_name(code) or '省份'}（{code}）"


def checked_province(code: str) -> str:
    """A province code of GB/T 2260 (two digits), else one message."""
    from crosscheck.regions import province_codes

    if not re.fullmatch(r"\d{2}", code):
        raise CrosscheckError(f"--province “{code}”：省份代码应为两位数字（如 21 辽宁）")
    if code not in province_codes():
        raise CrosscheckError(f"--province {code}：没有这个省级行政区划代码（GB/T 2260）")
    return code


def province_of(con: duckdb.DuckDBPyConnection, province: str | None) -> str:
    """The province a warehouse exports for: the one given (its classes must be
    there: an empty export would replace the province's real one at every receiver),
    else the only one its classes are in."""
    held = provinces_held(con)
    if province is not None:
        checked_province(province)
        if province not in held:
            found = "、".join(held) or "无"
            raise CrosscheckError(
                f"--province {province}：仓库中没有该省的班级（仓库中的班级属于：{found}），"
                "未导出：空文件会在各省替换该省原有的交换记录"
            )
        return province
    if len(held) != 1:
        found = "、".join(held) or "无"
        raise CrosscheckError(
            f"仓库中的班级属于多个省份或没有班级（{found}）：请用 --province 指明本省代码"
        )
    return held[0]


def export(con: duckdb.DuckDBPyConnection, province: str, as_of: dt.date) -> pl.DataFrame:
    """The province's records for the exchange (the module's docstring), one row per
    trainee and class, in the ``training_records`` contract's columns and order."""
    from crosscheck.checks.runner import _reference

    _reference(con)  # each policy's programme
    checked_province(province)  # written into the query below
    p, day = f"'{province}'", f"DATE '{as_of.isoformat()}'"
    frame = con.sql(
        f"""
        WITH standing AS (   -- trainees a block or exclude still stands against: not paid
            SELECT DISTINCT class_id, id_number FROM findings
            WHERE resolved_at IS NULL AND id_number IS NOT NULL
              AND severity IN ('block', 'exclude')
              AND finding_id NOT IN (SELECT finding_id FROM overrides)),
        paid AS (SELECT class_id, max(paid_on) AS paid_on FROM payments
                 WHERE paid_on IS NOT NULL AND paid_on <= {day} GROUP BY class_id),
        own AS (
            SELECT {p} || ':' || c.class_id || '-' || r.seq AS record_key,
                   r.id_number, r.name, c.region_code, i.name AS institution,
                   pp.programme, c.class_id AS class_ref,
                   c.planned_start AS start_date, c.planned_end AS end_date,
                   CASE WHEN d.id_number IS NOT NULL THEN 'dropped'
                        WHEN c.planned_end < {day} THEN 'completed'
                        ELSE 'enrolled' END AS status,
                   true AS subsidised,
                   CAST(NULL AS BIGINT) AS subsidy_fen,
                   CASE WHEN s.id_number IS NULL THEN pay.paid_on END AS subsidy_paid_on,
                   CAST({day} AS TIMESTAMP) AS updated_at
            FROM roster_entries r
            JOIN classes c USING (class_id)
            LEFT JOIN institutions i ON i.institution_id = c.institution_id
            LEFT JOIN _policy_programmes pp ON pp.policy_id = c.policy_id
            LEFT JOIN (SELECT DISTINCT class_id, id_number FROM dropouts) d
                   ON d.class_id = r.class_id AND d.id_number = r.id_number
            LEFT JOIN standing s ON s.class_id = r.class_id AND s.id_number = r.id_number
            LEFT JOIN paid pay ON pay.class_id = r.class_id
            WHERE substr(c.region_code, 1, 2) = {p} AND {OPENED}),
        held AS (   -- the province's other cities, as its training system holds them
            SELECT {p} || ':' || record_key, id_number, name, region_code, institution,
                   programme, class_ref, start_date, end_date, status, subsidised,
                   subsidy_fen, subsidy_paid_on, updated_at
            FROM training_records
            WHERE substr(region_code, 1, 2) = {p}
              AND coalesce(_extract, '') NOT LIKE 'registries/exchange/%')
        SELECT * FROM own UNION ALL SELECT * FROM held
        ORDER BY record_key"""
    ).pl()
    return schema.conform(PATH, frame)


def write(frame: pl.DataFrame, out: Path) -> None:
    """Write an export whole or not at all (a reader never sees half a file)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    frame.write_parquet(tmp)
    tmp.replace(out)


def _check(path: Path, province: str) -> int:
    """A received file: the contract's columns, every record of the province its name
    says. Returns its rows; raises naming the file, row and field."""
    try:
        frame = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError):
        raise CrosscheckError(
            f"{path.name}：无法读取（不是 Parquet 文件或已损坏），未接收任何文件"
        ) from None
    wanted = [c for c, _, _ in schema.BY_PATH[PATH].columns]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise CrosscheckError(
            f"{path.name}：缺少字段 {'、'.join(missing)}（应为培训记录 training_records 的字段），"
            "未接收任何文件"
        )
    rows = frame.select(
        pl.col("region_code").cast(pl.String), pl.col("record_key").cast(pl.String)
    ).with_row_index("row", offset=1)
    for column, prefix, why in (
        ("region_code", province, f"不属于文件名所示的省份 {province}"),
        ("record_key", f"{province}:", f"应以 “{province}:” 开头（各省的编号由省份代码区分）"),
    ):
        bad = rows.filter(~pl.col(column).str.starts_with(prefix).fill_null(False))
        if bad.height:
            first = bad.row(0, named=True)
            raise CrosscheckError(
                f"{path.name} 第 {first['row']} 行 {column} 字段：“{first[column]}” {why}"
                f"（共 {bad.height} 行），未接收任何文件"
            )
    return frame.height


class Received(NamedTuple):
    rows: dict[str, int]  # province -> rows, of the files taken this time
    kept: list[str]  # provinces absent this time whose earlier file stays
    ignored: list[str]  # names in the folder that are no province's export


def receive(source: Path, folder: Path, province: str) -> Received:
    """Copy every other province's export (``<code>.parquet`` in ``source``) into
    ``folder``'s ``registries/exchange/``, all of them or none (each is checked
    first). A province absent this time keeps the file received from it before (a
    missing file is no news, and deleting its records would lose them silently); a
    folder with no other province's file at all is refused."""
    checked_province(province)
    if not source.exists():
        raise CrosscheckError(f"交换目录 {source} 不存在，未接收任何文件")
    if not source.is_dir():
        raise CrosscheckError(
            f"--from {source} 是一个文件：应为交换目录（其中为各省的 <代码>.parquet）"
        )
    if not folder.is_dir():
        raise CrosscheckError(
            f"--into {folder} 不存在：应为本省已有的数据目录（ingest --files 读取的目录），"
            "未接收任何文件"
        )
    files: dict[str, Path] = {}
    ignored: list[str] = []
    for p in sorted(source.iterdir()):
        m = _NAME.match(p.name)
        if m is None:
            ignored.append(p.name)
        elif m.group(1) != province:  # its own export comes back to no one
            files[m.group(1)] = p
    if not files:
        raise CrosscheckError(
            f"{source} 中没有外省的交换文件（<省份代码>.parquet）：未接收，上次收到的文件保持不变"
        )
    rows = {code: _check(path, code) for code, path in files.items()}
    inbox = folder / INBOX
    inbox.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=".exchange-", dir=inbox.parent))
    kept = []
    if inbox.is_dir():
        for earlier in sorted(inbox.glob("*.parquet")):
            code = earlier.stem
            if code not in files and code != province:
                shutil.copy2(earlier, staged / earlier.name)
                kept.append(code)
    for code, path in files.items():
        shutil.copy2(path, staged / f"{code}.parquet")
    old = inbox.with_name(".exchange-old")
    if old.exists():
        shutil.rmtree(old)
    if inbox.exists():
        inbox.rename(old)
    staged.rename(inbox)
    if old.exists():
        shutil.rmtree(old)
    return Received(rows, kept, ignored)
