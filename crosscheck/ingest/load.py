"""Loading one source's extract into the warehouse: stage, gate, merge — in one
transaction.

Either the whole source commits (rows merged, quarantine written, watermark and
fingerprint advanced) or nothing does: a failed or killed load leaves the
previous state, and the next run starts over. Rows that are already there
unchanged are not touched (their provenance stays), so loading the same extract
twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb
import polars as pl

from crosscheck import idnumber, killpoint, regions, warehouse
from crosscheck.ingest import gate
from crosscheck.ingest.sources import Source
from crosscheck.ingest.sql import content_hash, id_valid, quoted

Mode = Literal["replace", "upsert"]


@dataclass(frozen=True)
class ParquetExtract:
    """A Parquet extract for DuckDB to read directly (the bulk path)."""

    path: Path
    name: str  # provenance: the extract's name
    order: int  # later extracts (deltas) win over earlier ones
    columns: frozenset[str] | None = None  # the contract columns it has (None: all)


@dataclass(frozen=True)
class FileStamp:
    """One extract file as loaded: its name in the folder and its content's digest."""

    file: str
    sha256: str
    size: int
    mtime_ns: int

    def row(self) -> list[Any]:
        return [self.file, self.sha256, self.size, self.mtime_ns]


@dataclass
class Outcome:
    source: str
    status: str  # loaded / unchanged / refused / failed
    read: int = 0
    loaded: int = 0
    removed: int = 0
    rejected: int = 0
    seconds: float = 0.0
    watermark: str | None = None
    detail: str = ""
    retries: int = 0  # HTTP: retried requests (5xx, drops, truncations, 429s)
    rate_limited: int = 0  # HTTP: 429 answers waited out

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def state(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, Any] | None:
    rows = con.execute("SELECT * FROM load_state WHERE source = ?", [source]).fetchall()
    if not rows:
        return None
    names = [d[0] for d in con.description or []]
    return dict(zip(names, rows[0], strict=True))


def load(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    batches: Iterable[pl.DataFrame | ParquetExtract],
    *,
    mode: Mode,
    run_id: str,
    as_of: dt.date,
    fingerprint: str | None = None,
    allow_shrink: bool = False,
    labels: dict[str, str] | None = None,
    files: list[FileStamp] | None = None,
) -> Outcome:
    """Stage every batch (the source's columns plus ``_extract``, ``_row`` and
    ``_order``), gate it, and merge what passes into the source's table. ``labels``
    (contract column -> the source's own column, from a mapping) make the gate's
    reasons name the columns the producer knows. ``files``: every file the source's
    table holds once this load commits (recorded with it, in the same transaction)."""
    started = time.perf_counter()
    cols = source.columns
    now = dt.datetime.now().replace(microsecond=0)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _provinces AS SELECT unnest($1) AS code",
            [sorted(regions.province_codes())],
        )
        staged = False
        for batch in batches:
            if isinstance(batch, ParquetExtract):  # read by DuckDB itself: no copy in Python
                have = batch.columns if batch.columns is not None else frozenset(cols)
                types = (
                    dict(
                        con.execute(
                            f'SELECT column_name, column_type FROM (DESCRIBE "{source.name}")'
                        ).fetchall()
                    )
                    if have != frozenset(cols)
                    else {}
                )
                select = ", ".join(
                    f'"{c}"' if c in have else f'CAST(NULL AS {types.get(c, "VARCHAR")}) AS "{c}"'
                    for c in cols
                )
                query = (
                    f"SELECT {select}, CAST(NULL AS VARCHAR) AS _parse_error, "
                    f"$extract AS _extract, "
                    f"CAST(row_number() OVER () AS BIGINT) AS _row, "
                    f"CAST($order AS BIGINT) AS _order FROM read_parquet($path)"
                )
                params = {"extract": batch.name, "order": batch.order, "path": str(batch.path)}
            else:
                con.register("_batch", batch.to_arrow())
                query, params = "SELECT * FROM _batch", {}
            if not staged:
                con.execute(f"CREATE OR REPLACE TEMP TABLE _stage AS {query}", params or None)
                staged = True
            else:
                con.execute(f"INSERT INTO _stage {query}", params or None)
            if not isinstance(batch, ParquetExtract):
                con.unregister("_batch")
        if not staged:
            con.execute("ROLLBACK")
            return Outcome(
                source.name, "unchanged", seconds=time.perf_counter() - started, detail="没有新记录"
            )
        _normalise_ids(con, source)
        keys = quoted(list(source.key_columns))
        read, distinct = con.execute(
            f"SELECT count(*), count(DISTINCT hash({keys})) FROM _stage"
        ).fetchall()[0]
        key = f'"{source.key}"'
        if read == distinct:  # the usual case: no key twice, nothing to collapse
            dedup, dup_key = "_stage", "false"
        elif source.snapshot:  # a whole export: a key twice is an error, never a newer version
            dedup, dup_key = "_stage", f"count(*) OVER (PARTITION BY {keys}) > 1"
        else:
            # the same record twice (a repeated page, a delta repeating the base): keep the
            # latest version of each distinct content, then flag keys that still differ
            con.execute(f"""
                CREATE OR REPLACE TEMP TABLE _dedup AS
                SELECT * EXCLUDE (_h) FROM (
                    SELECT *, {content_hash(cols)} AS _h FROM _stage
                    QUALIFY row_number() OVER (
                        PARTITION BY {key}, _h ORDER BY _order DESC, _row) = 1)
                QUALIFY _order = max(_order) OVER (PARTITION BY {key})""")
            dedup, dup_key = "_dedup", f"count(*) OVER (PARTITION BY {key}) > 1"
        id_expr = _id_rule(source)
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _gated AS
            SELECT *, row_number() OVER () AS _seq, {id_expr} AS _id_ok, {dup_key} AS _dup_key
            FROM {dedup}""",
            {"as_of": as_of} if "$as_of" in id_expr else None,
        )
        result = gate.run(con, "_gated", source, labels)
        refused = result.failure_rate > source.max_failure_rate
        _quarantine(con, source, result, run_id, now, "refused" if refused else "quarantined")
        quality = json.dumps(result.summary(refused), ensure_ascii=False)
        why = None
        if refused:
            why = (
                f"{result.failure_rate:.1%} 的记录未通过数据质量检查，超过阈值 "
                f"{source.max_failure_rate:.0%}，整批拒收，原数据保持不变"
            )
        else:
            # what passed the gate (flagged rows included: they are loaded and listed)
            con.execute("""
                CREATE OR REPLACE TEMP VIEW _good AS
                SELECT * FROM _gated
                WHERE _seq NOT IN (SELECT _seq FROM _bad WHERE _status <> 'flagged')""")
            if not allow_shrink and mode == "replace":
                why = _shrinks(con, source)
        if why is not None:  # refused whole: the previous snapshot and watermark stay
            _refused(con, source, now, quality, run_id)
            con.execute("COMMIT")
            return Outcome(
                source.name,
                "refused",
                read=read,
                rejected=len(result.bad),
                seconds=time.perf_counter() - started,
                detail=why,
            )
        unknown = result.unknown_text(labels)
        if source.snapshot:
            loaded, removed = _replace(con, source, now)
            watermark = None
        else:
            loaded, removed = _merge(con, source, mode, now)
            watermark = con.execute(
                f'SELECT CAST(max(updated_at) AS VARCHAR) FROM "{source.name}"'
            ).fetchall()[0][0]
        con.execute(
            """
            INSERT INTO load_state VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'loaded')
            ON CONFLICT (source) DO UPDATE SET watermark = excluded.watermark,
                last_success_at = excluded.last_success_at, last_run_id = excluded.last_run_id,
                rows_read = excluded.rows_read, rows_loaded = excluded.rows_loaded,
                rows_rejected = excluded.rows_rejected, last_quality = excluded.last_quality,
                fingerprint = excluded.fingerprint, last_attempt_at = excluded.last_attempt_at,
                last_status = 'loaded'""",
            [
                source.name,
                watermark,
                now,
                run_id,
                read,
                loaded,
                len(result.bad),
                quality,
                fingerprint,
                now,
            ],
        )
        if files is not None:
            con.execute("DELETE FROM load_files WHERE source = ?", [source.name])
            con.executemany(
                "INSERT INTO load_files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [[source.name, i, *f.row(), run_id, now] for i, f in enumerate(files)],
            )
        killpoint.here("ingest.commit")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return Outcome(
        source.name,
        "loaded",
        read=read,
        loaded=loaded,
        removed=removed,
        rejected=len(result.bad),
        seconds=time.perf_counter() - started,
        watermark=watermark,
        detail=unknown,
    )


def _refused(
    con: duckdb.DuckDBPyConnection, source: Source, now: dt.datetime, quality: str, run_id: str
) -> None:
    """Record a refused extract: the previous snapshot and watermark stay."""
    con.execute(
        """
        INSERT INTO load_state (source, last_attempt_at, last_status, last_quality, last_run_id)
        VALUES (?, ?, 'refused', ?, ?)
        ON CONFLICT (source) DO UPDATE SET last_attempt_at = excluded.last_attempt_at,
            last_status = 'refused', last_quality = excluded.last_quality,
            last_run_id = excluded.last_run_id""",
        [source.name, now, quality, run_id],
    )


def _shrinks(con: duckdb.DuckDBPyConnection, source: Source) -> str | None:
    """Why replacing the table with the gated extract would remove too much of it (more
    than the source's ``max_shrink`` of the rows held), or None."""
    held = con.execute(f'SELECT count(*) FROM "{source.name}"').fetchall()[0][0]
    if not held:
        return None
    if source.snapshot:
        kept = con.execute("SELECT count(*) FROM _good").fetchall()[0][0]
        removed = max(held - kept, 0)
    else:  # keys the new snapshot no longer has (quarantined keys stay)
        key = f'"{source.key}"'
        removed = con.execute(
            f'SELECT count(*) FROM "{source.name}" WHERE {key} NOT IN (SELECT {key} FROM _gated)'
        ).fetchall()[0][0]
    if removed <= held * source.max_shrink:
        return None
    return (
        f"这批数据将删除 {removed:,} 条现有记录（现有 {held:,} 条的 {removed / held:.0%}），"
        f"超过该数据源允许的 {source.max_shrink:.0%}：整批拒收，原数据保持不变。"
        "若确属正常（如登记库重建），请加 --allow-shrink 重新载入"
    )


def _stored_id(value: str | None) -> str | None:
    return None if value is None else idnumber.stored(value)


def _normalise_ids(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Every ID number the extract holds, as crosscheck stores it (POLICY.md reading 2:
    NFKC, whitespace removed, upper case; a 15-digit number upgraded), the text as
    sent kept in ``_id_raw`` when it differed. A producer never has to pre-clean.
    Only numbers that are not already clean go through Python."""
    if "id_number" not in source.columns:
        return
    warehouse.register_udf(con, "stored_id", _stored_id, ["VARCHAR"], "VARCHAR")
    con.execute("ALTER TABLE _stage ADD COLUMN _id_raw VARCHAR")
    if "id_number_raw" in source.columns:  # a roster: the number from the text as typed
        con.execute("""
            UPDATE _stage SET id_number = stored_id(id_number_raw)
            WHERE coalesce(id_number, '') = '' AND id_number_raw IS NOT NULL""")
    con.execute("""
        UPDATE _stage SET _id_raw = id_number, id_number = stored_id(id_number)
        WHERE id_number IS NOT NULL AND NOT regexp_full_match(id_number, '[0-9]{17}[0-9X]')""")
    if "id_number_raw" in source.columns:  # a roster sent only an un-normalised id_number
        con.execute("""
            UPDATE _stage SET id_number_raw = _id_raw
            WHERE id_number_raw IS NULL AND _id_raw IS NOT NULL""")


def _id_rule(source: Source) -> str:
    if source.id_column is None:
        return "true"
    valid = id_valid(source.id_column)
    if source.id_required_when:
        column, value = source.id_required_when
        return (
            f"CASE WHEN \"{column}\" = '{value}' THEN {valid} "
            f'ELSE ("{source.id_column}" IS NULL OR {valid}) END'
        )
    return valid


def _quarantine(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    result: gate.GateResult,
    run_id: str,
    now: dt.datetime,
    status: str,
) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE _bad (_seq BIGINT, _reason VARCHAR, _status VARCHAR)")
    for rows, kind in ((result.bad, status), (result.flagged, "flagged")):
        if not rows:
            continue
        frame = pl.DataFrame(
            {
                "_seq": list(rows),
                "_reason": ["；".join(r) for r in rows.values()],
                "_status": [kind] * len(rows),
            }
        )
        con.register("_bad_rows", frame.to_arrow())
        con.execute("INSERT INTO _bad SELECT * FROM _bad_rows")
        con.unregister("_bad_rows")
    packed = ", ".join(f'"{c}" := g."{c}"' for c in source.columns)
    con.execute(
        f"""
        INSERT INTO quarantine (source, _extract, _row, field, reason, raw, run_id, rejected_at,
                                run_status)
        SELECT ?, g._extract, g._row, NULL, b._reason, to_json(struct_pack({packed})), ?, ?,
               b._status
        FROM _gated g JOIN _bad b USING (_seq)""",
        [source.name, run_id, now],
    )


def _merge(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    mode: Mode,
    now: dt.datetime,
) -> tuple[int, int]:
    key, cols = f'"{source.key}"', source.columns
    removed = 0
    if mode == "replace":  # keys the new snapshot no longer has (quarantined keys stay)
        removed += con.execute(
            f'DELETE FROM "{source.name}" WHERE {key} NOT IN (SELECT {key} FROM _gated)'
        ).fetchall()[0][0]
    large = con.execute("SELECT count(*) FROM _good").fetchall()[0][0] > _LARGE
    if large:  # rebuilding an index once is far cheaper than maintaining it row by row
        warehouse.drop_lookup_indexes(con, source.name)
    empty = not con.execute(f'SELECT 1 FROM "{source.name}" LIMIT 1').fetchall()
    if not empty:
        _delete_changed(con, source)  # changed rows: deleted here, loaded again below
    # person-keyed registries are stored in ID-number order: the lookup indexes build
    # several times faster from sorted keys, and a lookup's rows sit together. The
    # pension register also keeps its blocking key (region + birth date), indexed.
    order = " ORDER BY id_number" if "id_number" in cols else ""
    extra, values = "", ""
    if "id_block" in _columns(con, source.name):
        extra, values = ", id_number_raw, id_block", ", _id_raw, substr(id_number, 1, 14)"
    elif "id_number_raw" in _columns(con, source.name):
        extra, values = ", id_number_raw", ", _id_raw"
    inserted = con.execute(
        f"""
        INSERT INTO "{source.name}" ({quoted(cols)}, _source, _extract, _row, _loaded_at{extra})
        SELECT {quoted(cols)}, ?, _extract, _row, ?{values} FROM _good g
        WHERE NOT EXISTS (SELECT 1 FROM "{source.name}" t WHERE t.{key} = g.{key}){order}""",
        [source.name, now],
    ).fetchall()[0][0]
    if large:
        warehouse.create_lookup_indexes(con, source.name)
    return int(inserted), int(removed)


_LARGE = 100_000  # rows in one load above which the lookup indexes are rebuilt


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = 'main' AND table_catalog <> 'temp'",
            [table],
        ).fetchall()
    }


def _replace(con: duckdb.DuckDBPyConnection, source: Source, now: dt.datetime) -> tuple[int, int]:
    """A snapshot replaces the table whole (the columns the warehouse keeps)."""
    kept = _columns(con, source.name)
    cols = quoted([c for c in source.columns if c in kept])
    removed = con.execute(f'DELETE FROM "{source.name}"').fetchall()[0][0]
    inserted = con.execute(
        f"""
        INSERT INTO "{source.name}" ({cols}, _source, _extract, _row, _loaded_at)
        SELECT {cols}, ?, _extract, _row, ? FROM _good""",
        [source.name, now],
    ).fetchall()[0][0]
    return int(inserted), int(removed)


def _delete_changed(con: duckdb.DuckDBPyConnection, source: Source) -> int:
    key, cols = f'"{source.key}"', source.columns
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _changed AS
        SELECT g.{key} AS k FROM _good g JOIN "{source.name}" t ON g.{key} = t.{key}
        WHERE {content_hash(cols, "g")} <> {content_hash(cols, "t")}""")
    return int(
        con.execute(
            f'DELETE FROM "{source.name}" WHERE {key} IN (SELECT k FROM _changed)'
        ).fetchall()[0][0]
    )
