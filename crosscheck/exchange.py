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


def province_of(con: duckdb.DuckDBPyConnection, province: str | None) -> str:
    """The province a warehouse exports for: the one given, else the only one its
    classes are in."""
    held = provinces_held(con)
    if province is not None:
        if not re.fullmatch(r"\d{2}", province):
            raise CrosscheckError(f"省份代码 “{province}” 应为两位数字（如 21 辽宁）")
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
    if not re.fullmatch(r"\d{2}", province):  # written into the query below
        raise CrosscheckError(f"省份代码 “{province}” 应为两位数字（如 21 辽宁）")
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
    region = frame["region_code"].cast(pl.String)
    bad = [
        i for i, v in enumerate(region.to_list()) if v is None or not str(v).startswith(province)
    ]
    if bad:
        row = bad[0] + 1
        raise CrosscheckError(
            f"{path.name} 第 {row} 行 region_code 字段：“{region[bad[0]]}” 不属于文件名所示的省份 "
            f"{province}（共 {len(bad)} 行），未接收任何文件"
        )
    return frame.height


def receive(source: Path, folder: Path, province: str) -> dict[str, int]:
    """Copy every other province's export (``<code>.parquet`` in ``source``) into
    ``folder``'s ``registries/exchange/``, replacing what was received before — all of
    them or none (each is checked first). Returns rows per province."""
    if not source.is_dir():
        raise CrosscheckError(f"交换目录 {source} 不存在，未接收任何文件")
    files = {
        m.group(1): p for p in sorted(source.iterdir()) if (m := _NAME.match(p.name)) is not None
    }
    files.pop(province, None)  # its own export comes back to no one
    rows = {code: _check(path, code) for code, path in files.items()}
    inbox = folder / INBOX
    inbox.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=".exchange-", dir=inbox.parent))
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
    return rows
