"""Ingest drivers: every registry from an HTTP API, or from a folder of bulk
extracts, each source in its own transaction (one failing source does not stop
the others), recorded as a run."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import polars as pl

from connectors.errors import ConnectorError
from connectors.http import RegistryClient, RetryPolicy
from crosscheck.ingest.load import Mode, Outcome, load, state
from crosscheck.ingest.sources import SOURCES, Source
from crosscheck.world import schema

Progress = Callable[[str, int], None]  # (source, records read so far)


def _frame(source: Source, records: list[dict[str, Any]]) -> pl.DataFrame:
    """JSON records as a frame with the contract's column types."""
    table = source.table
    text_types = {
        c: (pl.String if t in (pl.Date,) or isinstance(t, pl.Datetime) else t)
        for c, t, _ in table.columns
    }
    frame = pl.DataFrame(records, schema=text_types, strict=False)
    return frame.with_columns(
        [pl.col(c).str.to_date("%Y-%m-%d") for c, t, _ in table.columns if t == pl.Date]
        + [
            pl.col(c).str.replace("T", " ").str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="us")
            for c, t, _ in table.columns
            if isinstance(t, pl.Datetime)
        ]
    )


def _start_run(con: duckdb.DuckDBPyConnection, kind: str, params: dict[str, Any]) -> str:
    run_id = f"{dt.datetime.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    con.execute(
        "INSERT INTO runs (run_id, kind, started_at, status, params) "
        "VALUES (?, ?, now()::TIMESTAMP, 'running', ?)",
        [run_id, kind, json.dumps(params, ensure_ascii=False)],
    )
    return run_id


def _finish_run(con: duckdb.DuckDBPyConnection, run_id: str, outcomes: list[Outcome]) -> str:
    failed = [o for o in outcomes if o.status in ("failed", "refused")]
    status = (
        "succeeded" if not failed else ("failed" if len(failed) == len(outcomes) else "partial")
    )
    con.execute(
        "UPDATE runs SET finished_at = now()::TIMESTAMP, status = ?, summary = ? WHERE run_id = ?",
        [status, json.dumps([o.as_dict() for o in outcomes], ensure_ascii=False), run_id],
    )
    return status


def from_http(
    con: duckdb.DuckDBPyConnection,
    base_url: str,
    token: str,
    *,
    sources: list[str] | None = None,
    as_of: dt.date | None = None,
    retry: RetryPolicy | None = None,
    client: httpx.Client | None = None,
    progress: Progress | None = None,
    page_size: int = 5000,
) -> tuple[str, list[Outcome]]:
    """Pull every registry: a full load first, then only what changed since the watermark."""
    as_of = as_of or dt.date.today()
    run_id = _start_run(con, "ingest-http", {"from": base_url, "sources": sources})
    outcomes = []
    http = client or httpx.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=httpx.Timeout(30.0, connect=5.0),
    )
    try:
        for name in sources or list(SOURCES):
            source = SOURCES[name]
            previous = state(con, name)
            watermark = previous["watermark"] if previous else None  # refusals keep the old one
            reader = RegistryClient(http, name, retry or RetryPolicy(), page_size=page_size)
            try:
                batches = _http_batches(reader, source, watermark, progress)
                mode: Mode = "upsert" if watermark else "replace"
                outcome = load(con, source, batches, mode=mode, run_id=run_id, as_of=as_of)
            except ConnectorError as exc:
                outcome = Outcome(name, "failed", detail=str(exc))
            outcomes.append(outcome)
    finally:
        if client is None:
            http.close()
    _finish_run(con, run_id, outcomes)
    return run_id, outcomes


def _http_batches(
    reader: RegistryClient, source: Source, watermark: str | None, progress: Progress | None
) -> Iterator[pl.DataFrame]:
    """Pages as frames of up to 50,000 records, each record with its provenance."""
    row, pending = 0, []
    since = watermark.replace(" ", "T") if watermark else None
    for page_no, page in enumerate(reader.pages(updated_since=since), start=1):
        for record in page.records:
            row += 1
            pending.append({**record, "_extract": f"http:{source.name}:page{page_no}", "_row": row})
        if progress:
            progress(source.name, row)
        if len(pending) >= 50_000:
            yield _with_meta(source, pending)
            pending = []
    if pending:
        yield _with_meta(source, pending)


def _with_meta(source: Source, records: list[dict[str, Any]]) -> pl.DataFrame:
    frame = _frame(source, records)
    meta = pl.DataFrame(
        {"_extract": [r["_extract"] for r in records], "_row": [r["_row"] for r in records]}
    )
    return pl.concat([frame, meta], how="horizontal").with_columns(_order=pl.col("_row"))


def extract_files(folder: Path, name: str) -> list[Path]:
    """The base extract of a source in a folder, then its daily deltas in date order."""
    root = folder / "registries" if (folder / "registries").is_dir() else folder
    base = sorted(p for p in root.glob(f"{name}.*") if p.suffix in (".parquet", ".csv", ".xlsx"))
    deltas = sorted(root.glob(f"deltas/*/{name}.parquet"))
    return base[:1] + deltas


def read_file(path: Path, source: Source) -> pl.DataFrame:
    """One bulk extract with the contract's columns and types (Parquet, CSV in
    UTF-8 or GB18030, or .xlsx with the header in row 1)."""
    table = f"registries/{source.name}"
    if path.suffix == ".parquet":
        return schema.conform(table, pl.read_parquet(path))
    if path.suffix == ".xlsx":
        frame = pl.read_excel(path, engine="calamine", infer_schema_length=0)
        return schema.from_text(table, frame.cast(pl.String))
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")  # GBK exports are GB18030 subsets
    return schema.from_text(table, pl.read_csv(text.encode("utf-8"), infer_schema=False))


def from_files(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    *,
    sources: list[str] | None = None,
    as_of: dt.date | None = None,
) -> tuple[str, list[Outcome]]:
    """Load bulk extracts (base snapshot plus deltas) for every source found."""
    as_of = as_of or dt.date.today()
    run_id = _start_run(con, "ingest-files", {"folder": str(folder), "sources": sources})
    outcomes = []
    for name in sources or list(SOURCES):
        source = SOURCES[name]
        files = extract_files(folder, name)
        if not files:
            continue
        digest = hashlib.sha256()
        for path in files:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        fingerprint = digest.hexdigest()
        previous = state(con, name)
        if (
            previous
            and previous.get("fingerprint") == fingerprint
            and previous["last_status"] == "loaded"
        ):
            outcomes.append(Outcome(name, "unchanged", detail="与上次载入的文件相同"))
            continue

        def batches(files: list[Path] = files, source: Source = source) -> Iterator[pl.DataFrame]:
            for order, path in enumerate(files):
                frame = read_file(path, source)
                rel = (
                    path.relative_to(folder).as_posix()
                    if path.is_relative_to(folder)
                    else str(path)
                )
                yield frame.with_columns(
                    _extract=pl.lit(rel),
                    _row=pl.int_range(1, frame.height + 1, dtype=pl.Int64),
                    _order=pl.lit(order, dtype=pl.Int64),
                )

        try:
            outcome = load(
                con,
                source,
                batches(),
                mode="replace",
                run_id=run_id,
                as_of=as_of,
                fingerprint=fingerprint,
            )
        except (OSError, pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
            outcome = Outcome(name, "failed", detail=f"{files[0].name}: {exc}")
        outcomes.append(outcome)
    _finish_run(con, run_id, outcomes)
    return run_id, outcomes
