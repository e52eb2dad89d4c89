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

from crosscheck import warehouse
from crosscheck.connectors.errors import ConnectorError
from crosscheck.connectors.http import RegistryClient, RetryPolicy
from crosscheck.errors import CrosscheckError
from crosscheck.ingest import mapping
from crosscheck.ingest.load import FileStamp, Mode, Outcome, ParquetExtract, load, state
from crosscheck.ingest.mapping import Mapping, MappingError
from crosscheck.ingest.sources import ALL_SOURCES, SOURCES, Source
from crosscheck.world import schema

Progress = Callable[[str, int], None]  # (source, records read so far)


def _frame(source: Source, records: list[dict[str, Any]]) -> pl.DataFrame:
    """JSON records as a frame with the contract's column types (and ``_parse_error``)."""
    columns = [c for c, _, _ in source.table.columns]
    text = pl.DataFrame(
        [
            {
                c: (
                    None
                    if r.get(c) is None
                    else str(r[c]).lower()
                    if isinstance(r.get(c), bool)
                    else str(r[c])
                )
                for c in columns
            }
            for r in records
        ],
        schema=dict.fromkeys(columns, pl.String),
    )
    return schema.from_text(f"registries/{source.name}", text, strict=False)


def _start_run(con: duckdb.DuckDBPyConnection, kind: str, params: dict[str, Any]) -> str:
    run_id = f"{dt.datetime.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    pid, host = warehouse.owner()
    con.execute(
        "INSERT INTO runs (run_id, kind, started_at, status, params, pid, host) "
        "VALUES (?, ?, now()::TIMESTAMP, 'running', ?, ?, ?)",
        [run_id, kind, json.dumps(params, ensure_ascii=False), pid, host],
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
    allow_shrink: bool = False,
) -> tuple[str, list[Outcome]]:
    """Pull every registry: a full load first, then only what changed since the watermark
    (a full load that would remove too much of a registry is refused unless allowed)."""
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
                outcome = load(
                    con,
                    source,
                    batches,
                    mode=mode,
                    run_id=run_id,
                    as_of=as_of,
                    allow_shrink=allow_shrink,
                )
            except ConnectorError as exc:
                outcome = Outcome(name, "failed", detail=exc.chinese())
            outcome.retries, outcome.rate_limited = reader.retries, reader.rate_limited
            outcomes.append(outcome)
    finally:
        if client is None:
            http.close()
    _finish_run(con, run_id, outcomes)
    return run_id, outcomes


# A registry answers "changed after T" by its records' updated_at, and T is the newest
# updated_at already held. A record changed later but stamped with that same second
# (or committed late with an earlier stamp) would never be asked for again, so each
# pull reaches back this far; what it reads again unchanged is not rewritten (the
# merge keeps identical rows). The registries give no sequence number or cursor that
# survives between pulls, so an overlap window it is.
OVERLAP = dt.timedelta(minutes=5)


def pull_since(watermark: str | None) -> str | None:
    """``updated_since`` for a pull: the watermark less :data:`OVERLAP`, ISO 8601."""
    if not watermark:
        return None
    since = dt.datetime.fromisoformat(watermark.replace(" ", "T")) - OVERLAP
    return since.isoformat(timespec="seconds")


def _http_batches(
    reader: RegistryClient, source: Source, watermark: str | None, progress: Progress | None
) -> Iterator[pl.DataFrame]:
    """Pages as frames of up to 50,000 records, each record with its provenance."""
    row, pending = 0, []
    since = pull_since(watermark)
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


def extract_files(folder: Path, source: Source, until: dt.date | None = None) -> list[Path]:
    """The base extract of a source in a folder, then its daily deltas in date order;
    a delta dated after ``until`` (its folder ``deltas/YYYY-MM-DD/``) has not arrived
    by that day and is left for a later load. The training records end with the
    other provinces' exports the exchange delivered (``exchange/<code>.parquet``).

    ``folder`` is a world (or exchange) root with ``registries/``, ``directory/`` and
    ``operations/``, or one of those folders itself."""
    section = (source.path or f"registries/{source.name}").split("/")[0]
    root = folder / section if (folder / section).is_dir() else folder
    base = sorted(
        p for p in root.glob(f"{source.name}.*") if p.suffix in (".parquet", ".csv", ".xlsx")
    )
    if len(base) > 1:
        raise CrosscheckError(
            f"数据源 {source.name} 在 {root} 中有多个候选文件："
            + "、".join(p.name for p in base)
            + "。无法判断应载入哪一个：请只保留一个"
        )
    deltas = [] if source.snapshot else sorted(root.glob(f"deltas/*/{source.name}.parquet"))
    if until is not None:
        deltas = [d for d in deltas if not _after(d.parent.name, until)]
    # other provinces' training records, as the national exchange delivered them
    # (crosscheck.exchange.receive): read with the province's own, through the same gate
    received = (
        sorted(root.glob("exchange/[0-9][0-9].parquet"))
        if source.name == "training_records"
        else []
    )
    return base + deltas + received


def _after(day: str, until: dt.date) -> bool:
    """Whether a delta folder's name is a date after ``until`` (a name that is no
    date is never held back)."""
    try:
        return dt.date.fromisoformat(day) > until
    except ValueError:
        return False


class ExtractError(CrosscheckError):
    """An extract that cannot be read at all: its source fails, the others load."""


def read_file(path: Path, source: Source, *, strict: bool = True) -> pl.DataFrame:
    """One bulk extract with the contract's columns and types (Parquet, CSV in
    UTF-8 or GB18030, or .xlsx with the header in row 1). An unreadable file is an
    :class:`ExtractError` naming the file and why, in Chinese."""
    try:
        return _read_file(path, source, strict=strict)
    except ExtractError:
        raise
    except ValueError as exc:
        missing = str(exc).removeprefix("missing column(s): ")
        if missing != str(exc):
            raise ExtractError(f"{path.name}：缺少列 {missing}") from None
        raise ExtractError(f"{path.name}：内容无法按数据约定读取") from None
    except UnicodeDecodeError:
        raise ExtractError(f"{path.name}：编码既不是 UTF-8 也不是 GB18030") from None
    except pl.exceptions.NoDataError:
        raise ExtractError(f"{path.name}：文件为空") from None
    except (pl.exceptions.PolarsError, OSError):
        kind = {".parquet": "Parquet", ".xlsx": "Excel", ".csv": "CSV"}.get(path.suffix, "")
        raise ExtractError(f"{path.name}：不是有效的 {kind} 文件（已损坏或格式不对）") from None
    except Exception as exc:  # calamine's own error types
        if type(exc).__module__.startswith("python_calamine"):
            raise ExtractError(f"{path.name}：无法读取 Excel 文件（已损坏或不是 .xlsx）") from None
        raise


def present(path: Path, source: Source, columns: list[str]) -> list[str]:
    """The contract columns a file has; a required one missing is an
    :class:`ExtractError` naming it (an optional one is read as empty)."""
    missing = [c for c in source.required if c not in columns]
    if missing:
        raise ExtractError(
            f"{path.name}：缺少必填列 {'、'.join(missing)}（data/README.md 写明各列为哪条规则所需）"
        )
    return [c for c in source.columns if c in columns]


def _optional(frame: pl.DataFrame, path: Path, source: Source) -> pl.DataFrame:
    have = present(path, source, frame.columns)
    return frame.with_columns(
        [pl.lit(None, dtype=pl.String).alias(c) for c in source.columns if c not in have]
    )


def _read_file(path: Path, source: Source, *, strict: bool = True) -> pl.DataFrame:
    table = source.path or f"registries/{source.name}"
    if path.suffix == ".parquet":
        frame = pl.read_parquet(path)
        present(path, source, frame.columns)  # a required column missing: refused
        return schema.conform(table, frame)  # an optional one: empty
    if path.suffix == ".xlsx":
        from python_calamine import CalamineWorkbook

        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        if not rows:
            raise ExtractError(f"{path.name}：工作表为空")
        header = [str(c).strip() for c in rows[0]]
        cells = [
            [mapping.cell_text(c) for c in row]
            for row in rows[1:]
            if any(mapping.cell_text(c) for c in row)
        ]
        frame = pl.DataFrame(cells, schema=dict.fromkeys(header, pl.String), orient="row")
        return schema.from_text(table, _optional(frame, path, source), strict=strict)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")  # GBK exports are GB18030 subsets
    frame = pl.read_csv(text.encode("utf-8"), infer_schema=False)
    return schema.from_text(table, _optional(frame, path, source), strict=strict)


def _stamp(folder: Path, path: Path, known: dict[str, tuple[str, int, int]]) -> FileStamp:
    """A file's stamp; its digest re-used from the last load when its name, size and
    modification time are unchanged (a base extract is not re-read to learn that)."""
    rel = path.relative_to(folder).as_posix() if path.is_relative_to(folder) else str(path)
    info = path.stat()
    held = known.get(rel)
    if held and held[1] == info.st_size and held[2] == info.st_mtime_ns:
        return FileStamp(rel, held[0], info.st_size, info.st_mtime_ns)
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return FileStamp(rel, digest.hexdigest(), info.st_size, info.st_mtime_ns)


def _loaded_files(con: duckdb.DuckDBPyConnection, source: str) -> list[tuple[str, str, int, int]]:
    return [
        (r[0], r[1], int(r[2]), int(r[3] or 0))
        for r in con.execute(
            "SELECT file, sha256, size, mtime_ns FROM load_files WHERE source = ? "
            "ORDER BY position",
            [source],
        ).fetchall()
    ]


def from_files(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    *,
    sources: list[str] | None = None,
    as_of: dt.date | None = None,
    allow_shrink: bool = False,
    progress: Progress | None = None,
    mappings: list[tuple[Path, Mapping]] | None = None,
) -> tuple[str, list[Outcome]]:
    """Load bulk extracts (base snapshot plus deltas) for every source found; an
    extract that would remove more than its source's share of the rows held is
    refused unless ``allow_shrink``. ``progress`` hears each source as it starts
    (0 rows) and when it is loaded (the rows read).

    Each file is fingerprinted: when a registry's files are the ones its last good
    load read plus new ones (a new daily delta), only the new ones are read and
    merged; any other change reloads the source whole. ``mappings`` (mapping file,
    mapping) read their sources' files through :mod:`crosscheck.ingest.mapping`."""
    as_of = as_of or dt.date.today()
    if not folder.is_dir():
        raise CrosscheckError(f"目录 {folder} 不存在，未载入任何数据")
    if (folder / "provinces").is_dir() and (folder / "world.json").is_file():
        raise CrosscheckError(
            f"{folder} 是多省世界（--scale nation）：各省分别载入各自的目录，"
            f"如 {folder / 'provinces' / '21'}，未载入任何数据"
        )
    mapped = {m.source: (path, m) for path, m in mappings or []}
    found: dict[str, list[Path]] = {}
    for name in sources or ALL_SOURCES:
        if name in mapped:
            path, m = mapped[name]
            found[name] = mapping.files(m, folder)
            if not found[name]:
                raise CrosscheckError(
                    f"{path}：目录 {folder} 中没有与 file.pattern “{m.file.pattern}” 匹配的文件，"
                    "未载入任何数据"
                )
            for extract in found[name]:  # every column the mapping names is there, first
                mapping.check_columns(m, extract, path, mapping.header_of(m, extract))
        else:
            found[name] = extract_files(folder, ALL_SOURCES[name], as_of)
    if not any(found.values()):
        raise CrosscheckError(
            f"目录 {folder} 中没有可载入的数据文件（应为世界或交换目录，或其 registries/："
            f"如 household_registration.parquet / .csv / .xlsx），未载入任何数据"
        )
    params: dict[str, Any] = {"folder": str(folder), "sources": sources}
    if mapped:
        params["mappings"] = {k: str(v[0]) for k, v in mapped.items()}
    run_id = _start_run(con, "ingest-files", params)
    outcomes = []
    for name, paths in found.items():
        source = ALL_SOURCES[name]
        if not paths:
            continue
        previous = state(con, name)
        held = _loaded_files(con, name) if previous and previous["last_status"] == "loaded" else []
        known = {f: (h, n, t) for f, h, n, t in held}
        stamps = [_stamp(folder, p, known) for p in paths]
        if name in mapped:  # a changed mapping reads every file anew
            map_path, m = mapped[name]
            rules = hashlib.sha256(m.model_dump_json().encode()).hexdigest()
            stamps.insert(0, FileStamp(f"映射文件 {map_path.name}", rules, 0, 0))
        digest = hashlib.sha256()
        for stamp in stamps:
            digest.update(f"{stamp.file}\0{stamp.sha256}\n".encode())
        fingerprint = digest.hexdigest()
        if previous and previous.get("fingerprint") == fingerprint and held:
            outcomes.append(Outcome(name, "unchanged", detail="与上次载入的文件相同"))
            continue
        same = [(s.file, s.sha256) for s in stamps[: len(held)]] == [(f, h) for f, h, _, _ in held]
        extra = len(stamps) - len(paths)  # the mapping's stamp is not a file to read
        remapped = bool(extra and held and held[0][1] != stamps[0].sha256)
        new = max(len(held) - extra, 0) if held and same and not source.snapshot else 0
        labels = mapped[name][1].labels if name in mapped else None

        def batches(
            paths: list[Path] = paths, source: Source = source, new: int = new
        ) -> Iterator[pl.DataFrame | ParquetExtract]:
            for order, path in enumerate(paths):
                if order < new:  # loaded before, unchanged: its rows are in the table
                    continue
                rel = (
                    path.relative_to(folder).as_posix()
                    if path.is_relative_to(folder)
                    else str(path)
                )
                if source.name in mapped:
                    map_path, m = mapped[source.name]
                    frame = mapping.read(m, path, map_path)
                    yield frame.with_columns(
                        _extract=pl.lit(rel), _order=pl.lit(order, dtype=pl.Int64)
                    ).select([*source.columns, "_parse_error", "_extract", "_row", "_order"])
                    continue
                if path.suffix == ".parquet":
                    columns = pl.read_parquet_schema(path)
                    yield ParquetExtract(
                        path, rel, order, frozenset(present(path, source, list(columns)))
                    )
                    continue
                frame = read_file(path, source, strict=False)
                yield frame.with_columns(
                    _extract=pl.lit(rel),
                    _row=pl.int_range(1, frame.height + 1, dtype=pl.Int64),
                    _order=pl.lit(order, dtype=pl.Int64),
                )

        if progress:
            progress(name, 0)
        try:
            outcome = load(
                con,
                source,
                batches(),
                mode="upsert" if new else "replace",
                run_id=run_id,
                as_of=as_of,
                fingerprint=fingerprint,
                allow_shrink=allow_shrink,
                labels=labels,
                files=stamps,
            )
            if remapped and outcome.status == "loaded":
                note = f"映射文件 {mapped[name][0].name} 已变更：全部文件按新映射重新读取"
                outcome.detail = "；".join(x for x in (note, outcome.detail) if x)
            if new and outcome.status == "loaded":
                fresh = [s.file for s in stamps[len(stamps) - len(paths) + new :]]
                added = "、".join(fresh[:3])
                more = f" 等 {len(fresh)} 个" if len(fresh) > 3 else ""
                note = f"只读取新文件 {added}{more}（此前的 {new} 个文件未变）"
                outcome.detail = "；".join(x for x in (note, outcome.detail) if x)
        except (ExtractError, MappingError) as exc:
            outcome = Outcome(name, "failed", detail=str(exc))
        except (OSError, pl.exceptions.PolarsError, duckdb.Error):
            names = "、".join(f.name for f in paths[:3])
            detail = f"{names}：无法读取（文件已损坏或格式不对）"
            outcome = Outcome(name, "failed", detail=detail)
        if progress:
            progress(name, outcome.read)
        outcomes.append(outcome)
    _finish_run(con, run_id, outcomes)
    return run_id, outcomes
