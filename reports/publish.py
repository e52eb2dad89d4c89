"""The published snapshot: what the dashboard and the monthly report read.

DuckDB lets one process write a file and excludes every other process, readers
included (STACK.md). So the writer (a check run, the nightly flow) never shares
the warehouse with the dashboard: after it commits, it *publishes* — builds a
small DuckDB file next to the target with the classes, their money and their
open findings (ID numbers masked, evidence scrubbed), checkpoints and closes it,
and moves it over the published one with ``os.replace``. Readers that have the
old file open keep their snapshot; the next request opens the new one. Nothing
in the published file is a full ID number, so the read-only role cannot see one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import duckdb
import polars as pl

from crosscheck import killpoint, regions, warehouse
from crosscheck.checks import accounting, runner
from crosscheck.paths import home_dir
from crosscheck.rules import RULES

# ID numbers inside evidence: 6 digits kept, 8 hidden, 4 kept (idnumber.mask's form)
_SCRUB = r"\b([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])\b"


def mask_sql(expression: str) -> str:
    """SQL masking every ID number inside ``expression`` (a VARCHAR)."""
    return f"regexp_replace({expression}, '{_SCRUB}', '\\1********\\2', 'g')"


def pseudonym_key(home: Path | None = None) -> str:
    """The secret that turns an ID number into the published ``person_key``: made
    on first use (32 random bytes, hex) as ``pseudonym.key`` beside the published
    file (``$CROSSCHECK_HOME``), 0600.
    A plain hash of an ID number could be reversed by trying every number of a
    region and birth date; a keyed one cannot without this file. The service hashes
    a searched number with the same key to find the person."""
    import secrets

    path = (home or home_dir()) / "pseudonym.key"
    try:
        text = path.read_text(encoding="ascii").strip()
        if len(text) == 64:
            return text
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key


def person_key(id_number: str, key: str) -> str:
    """The published pseudonym of a (normalised) ID number: what ``_build`` writes —
    20 letters a–p (hex with its digits spelled g–p, so that no run of digits in it
    can look like an ID number to a scanner)."""
    import hashlib

    digest = hashlib.sha256((key + id_number).encode()).hexdigest()[:20]
    return digest.translate(str.maketrans("0123456789", "ghijklmnop"))


def _person(column: str) -> str:
    """SQL for :func:`person_key` of ``column`` (the key bound as ``$key``)."""
    return f"translate(substr(sha256($key || {column}), 1, 20), '0123456789', 'ghijklmnop')"


def default_path() -> Path:
    return home_dir() / "published.duckdb"


def snapshot_path() -> Path:
    return home_dir() / "snapshot.duckdb"


def _clear_stale(target: Path) -> None:
    """Remove the half-built files a killed publisher left beside ``target``
    (``.<name>.<pid>.tmp`` of a process that is gone): the service's copy holds
    full ID numbers and must not linger."""
    for tmp in target.parent.glob(f".{target.name}.*.tmp"):
        pid = tmp.name.removeprefix(f".{target.name}.").removesuffix(".tmp")
        if pid.isdigit() and int(pid) != os.getpid() and not Path(f"/proc/{pid}").exists():
            tmp.unlink(missing_ok=True)


def snapshot(con: duckdb.DuckDBPyConnection, source: Path, target: Path | None = None) -> Path:
    """Copy the warehouse at ``source`` — open as ``con``, which holds DuckDB's write
    lock, so no one writes meanwhile — to the snapshot the on-demand service reads:
    checkpoint (everything in the file, nothing in the WAL), copy beside the
    target, move into place."""
    target = target or snapshot_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    _clear_stale(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    con.execute("CHECKPOINT")
    try:
        shutil.copyfile(source, tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    killpoint.here("snapshot.replace")
    os.replace(tmp, target)
    # which warehouse this is a copy of: a read-only command finding that warehouse
    # held by a writer reads this copy instead (warehouse.connect)
    meta = {"source": str(source.resolve()), "taken_at": dt.datetime.now().isoformat()}
    target.with_name(target.name + ".json").write_text(json.dumps(meta), encoding="utf-8")
    return target


def publish_all(con: duckdb.DuckDBPyConnection, source: Path, as_of: dt.date) -> tuple[Path, Path]:
    """After a run: the dashboard's snapshot and the on-demand service's copy."""
    return publish(con, as_of), snapshot(con, source)


def publish(con: duckdb.DuckDBPyConnection, as_of: dt.date, target: Path | None = None) -> Path:
    """Build the snapshot from the warehouse ``con`` (after a check run) and move it
    into place atomically. Returns its path."""
    target = target or default_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    _clear_stale(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    # the accounting of every class in the payout stage (needs the runner's params)
    runner.class_params(con)
    runner.prepare_udfs(con)
    con.execute("CREATE OR REPLACE TEMP TABLE _scope AS SELECT class_id FROM classes")
    money = accounting.compute(con, as_of).select(*accounting.SUMMARY)
    # a purged class (retention): the accounting it was paid on, kept at the purge
    kept = pl.from_arrow(
        con.sql(f"SELECT {', '.join(accounting.SUMMARY)} FROM purged_classes").to_arrow_table()
    )
    assert isinstance(kept, pl.DataFrame)
    if kept.height:
        money = pl.concat(
            [money.filter(~pl.col("class_id").is_in(kept["class_id"].to_list())), kept],
            how="vertical_relaxed",
        )
    cities = pl.DataFrame(
        [
            (code, regions.lookup(code[:4] + "00").prefecture or code)
            for (code,) in con.execute("SELECT DISTINCT region_code FROM classes").fetchall()
        ],
        schema=["region_code", "city_name"],
        orient="row",
    )
    titles = pl.DataFrame(
        [(code, rule.title) for code, rule in RULES.items()],
        schema=["rule_code", "title"],
        orient="row",
    )
    con.register("_pub_money", money.to_arrow())
    con.register("_pub_cities", cities.to_arrow())
    con.register("_pub_titles", titles.to_arrow())
    try:
        con.execute(f"ATTACH {warehouse.sql_string(tmp)} AS pub")
        try:
            _build(con, as_of, pseudonym_key(target.parent))
            con.execute("CHECKPOINT pub")
        finally:
            con.execute("DETACH pub")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        for name in ("_pub_money", "_pub_cities", "_pub_titles"):
            con.unregister(name)
    killpoint.here("publish.replace")
    os.replace(tmp, target)
    return target


def _build(con: duckdb.DuckDBPyConnection, as_of: dt.date, key: str) -> None:
    con.execute(
        """
        CREATE TABLE pub.meta AS
        SELECT now()::TIMESTAMP AS published_at, $as_of::DATE AS as_of,
               (SELECT max(version) FROM schema_migrations) AS warehouse_version""",
        {"as_of": as_of},
    )
    # who was on which roster, by pseudonym (the trainee page and its search)
    con.execute(
        f"""
        CREATE TABLE pub.trainees AS
        SELECT {_person("id_number")} AS person_key,
               mask_id(id_number) AS id_masked, min(name) AS name, class_id,
               min(seq) AS seq
        FROM roster_entries GROUP BY id_number, class_id""",
        {"key": key},
    )
    # how fresh each source is: the dashboard's banner when one is a day old
    con.execute("""
        CREATE TABLE pub.sources AS
        SELECT source, last_success_at, last_attempt_at, last_status, rows_loaded,
               rows_rejected
        FROM load_state ORDER BY source""")
    con.execute("""
        CREATE TABLE pub.classes AS
        WITH f AS (
            SELECT class_id,
                   count(*) FILTER (severity = 'block') AS blocks,
                   count(*) FILTER (severity = 'exclude') AS excludes,
                   count(*) FILTER (severity = 'review') AS reviews,
                   count(*) AS findings
            FROM findings WHERE resolved_at IS NULL GROUP BY class_id),
        r AS (SELECT class_id, count(DISTINCT id_number) AS trainees
              FROM roster_entries GROUP BY class_id
              UNION ALL SELECT class_id, trainees FROM purged_classes)
        SELECT c.class_id, c.policy_id, c.region_code, substr(c.region_code, 1, 4) AS city_code,
               t.city_name, c.institution_id, coalesce(i.name, c.institution_id) AS institution,
               c.major, c.level, c.planned_start, c.planned_end, c.status,
               strftime(c.planned_start, '%Y-%m') AS month_opened,
               strftime(c.planned_end, '%Y-%m') AS month_ended,
               coalesce(r.trainees, 0) AS trainees,
               coalesce(f.findings, 0) AS findings, coalesce(f.blocks, 0) AS blocks,
               coalesce(f.excludes, 0) AS excludes, coalesce(f.reviews, 0) AS reviews,
               coalesce(f.blocks, 0) * 10 + coalesce(f.excludes, 0) * 3 + coalesce(f.reviews, 0)
                   AS risk,
               m.opened IS NOT NULL AS in_accounting, m.subsidised, m.proposed_fen,
               m.total_deduction_fen AS deduction_fen,
               CASE WHEN m.payable THEN m.actual_fen ELSE 0 END AS approved_fen,
               CASE WHEN m.payable THEN 0 ELSE m.actual_fen END AS withheld_fen
        FROM classes c
        LEFT JOIN institutions i USING (institution_id)
        LEFT JOIN _pub_cities t ON t.region_code = c.region_code
        LEFT JOIN f USING (class_id) LEFT JOIN r USING (class_id)
        LEFT JOIN _pub_money m USING (class_id)""")
    con.execute(
        f"""
        CREATE TABLE pub.findings AS
        SELECT f.finding_id, f.stage, f.class_id,
               CASE WHEN f.id_number IS NULL THEN NULL ELSE mask_id(f.id_number) END AS id_masked,
               CASE WHEN f.id_number IS NULL THEN NULL
                    ELSE {_person("f.id_number")} END AS person_key,
               r.name, f.rule_code, t.title, f.severity, f.policy_id, f.clause, f.match_level,
               {mask_sql("CAST(f.evidence AS VARCHAR)")} AS evidence,
               f.first_seen_at, f.last_seen_at
        FROM findings f
        LEFT JOIN (SELECT class_id, id_number, min(name) AS name FROM roster_entries
                   GROUP BY ALL) r USING (class_id, id_number)
        LEFT JOIN _pub_titles t USING (rule_code)
        WHERE f.resolved_at IS NULL""",
        {"key": key},
    )
    con.execute("""
        CREATE TABLE pub.runs AS
        SELECT run_id, kind, started_at, finished_at, status, CAST(summary AS VARCHAR) AS summary
        FROM runs ORDER BY started_at DESC LIMIT 50""")


def last_as_of(path: Path | None = None) -> dt.date | None:
    """The day the published data is as of (None when nothing is published)."""
    try:
        con = open_published(path)
    except (FileNotFoundError, duckdb.Error):
        return None
    try:
        row = con.execute("SELECT max(as_of) FROM meta").fetchall()[0][0]
    except duckdb.Error:
        return None
    finally:
        con.close()
    return row if isinstance(row, dt.date) else None


def open_published(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published snapshot (opened per request)."""
    path = path or default_path()
    if not path.exists():
        raise FileNotFoundError(path)
    con = duckdb.connect(str(path), read_only=True, config=dict(warehouse.CONFIG))
    con.execute("SET enable_progress_bar = false")
    return con
