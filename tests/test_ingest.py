"""Ingestion: gates, quarantine, refusal, idempotence, deltas, faults and kill -9."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import polars as pl
import pytest

from crosscheck import idnumber, warehouse
from crosscheck.connectors.http import RetryPolicy
from crosscheck.ingest import sql
from crosscheck.ingest.run import from_files, from_http, read_file
from crosscheck.ingest.sources import SOURCES
from crosscheck.simulator.faults import Faults
from crosscheck.world.advance import advance
from crosscheck.world.generate import generate
from tests.conftest import REPO, run_cli
from tests.test_simulator import TOKEN, _serve, stop

AS_OF = dt.date(2025, 12, 20)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ingest") / "tiny"
    generate("tiny", 13, out)
    return out


def _expected(world: Path, name: str) -> pl.DataFrame:
    files = sorted((world / "registries").glob(f"{name}.*"))
    return read_file(files[0], SOURCES[name])


def _table(con: duckdb.DuckDBPyConnection, name: str) -> pl.DataFrame:
    cols = ", ".join(f'"{c}"' for c in SOURCES[name].columns)
    return pl.from_arrow(con.sql(f'SELECT {cols} FROM "{name}"').to_arrow_table())  # type: ignore[return-value]


def _same(a: pl.DataFrame, b: pl.DataFrame, key: str) -> bool:
    return a.sort(key).equals(b.sort(key))


def test_id_validity_in_sql_agrees_with_the_python_rules() -> None:
    rng = random.Random(3)
    numbers: list[str | None] = []
    for _ in range(3000):
        first17 = (
            f"{rng.choice(['210102', '621025', '990101'])}{rng.randint(1950, 2030)}"
            f"{rng.randint(1, 13):02d}{rng.randint(1, 31):02d}{rng.randint(0, 999):03d}"
        )
        check = idnumber.check_digit(first17) if rng.random() < 0.7 else rng.choice("0123456789X")
        numbers.append(first17 + check)
    numbers += ["", "21010219900307123", "2101021990030712X3", None]
    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE _provinces AS SELECT unnest($1) AS code",
        [sorted(__import__("crosscheck.regions").regions.province_codes())],
    )
    con.execute("CREATE TABLE t (id_number VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[n] for n in numbers])
    rows = con.execute(
        f"SELECT id_number, {sql.id_valid('id_number')} FROM t", {"as_of": AS_OF}
    ).fetchall()
    for number, valid in rows:
        assert valid == (number is not None and idnumber.check(number, as_of=AS_OF).valid), number


def test_files_load_exactly_and_a_second_run_changes_nothing(world: Path, tmp_path: Path) -> None:
    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    _, outcomes = from_files(con, world, as_of=AS_OF)
    assert {o.status for o in outcomes} == {"loaded"}
    for name, source in SOURCES.items():
        assert _same(_table(con, name), _expected(world, name), source.key), name
    before = con.execute("SELECT * FROM pension_contributions ORDER BY record_key").fetchall()
    _, again = from_files(con, world, as_of=AS_OF)
    assert {o.status for o in again} == {"unchanged"}
    assert (
        con.execute("SELECT * FROM pension_contributions ORDER BY record_key").fetchall() == before
    )
    flagged = con.execute(
        "SELECT count(*) FROM quarantine WHERE run_status = 'flagged'"
    ).fetchall()[0][0]
    rejected = con.execute(
        "SELECT count(*) FROM quarantine WHERE run_status <> 'flagged'"
    ).fetchall()[0][0]
    assert rejected == 0  # the world's extracts are clean…
    assert flagged > 0  # …but for the planted ID typos, which are kept and flagged
    con.close()


def _corrupt(world: Path, tmp_path: Path, rows: int) -> Path:
    """A copy of the registries whose pension extract has ``rows`` bad rows of each kind."""
    folder = tmp_path / "bad"
    shutil.copytree(world / "registries", folder / "registries")
    path = folder / "registries" / "pension_contributions.parquet"
    frame = pl.read_parquet(path)
    i = pl.int_range(pl.len())
    frame = frame.with_columns(
        id_number=pl.when(i < rows).then(None).otherwise(pl.col("id_number")),
        scheme=pl.when((i >= rows) & (i < 2 * rows))
        .then(pl.lit("商业保险"))
        .otherwise(pl.col("scheme")),
        month_to=pl.when((i >= 2 * rows) & (i < 3 * rows))
        .then(pl.col("month_from") - pl.duration(days=40))
        .otherwise(pl.col("month_to")),
    )
    twin = frame.slice(3 * rows, 1).with_columns(employer_name=pl.lit("另一家单位"))
    pl.concat([frame, twin]).write_parquet(path)
    return folder


def test_bad_rows_are_quarantined_with_reasons_and_the_rest_loads(
    world: Path, tmp_path: Path
) -> None:
    folder = _corrupt(world, tmp_path, rows=2)
    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    _, outcomes = from_files(con, folder, sources=["pension_contributions"], as_of=AS_OF)
    (outcome,) = outcomes
    assert outcome.status == "loaded"
    # 2 missing IDs, 2 reversed months, a key twice; the 2 unknown schemes load verbatim
    # (the rules count only the schemes the policy names) and are reported by value
    assert outcome.rejected == 6
    assert "scheme 有规则不认识的取值 “商业保险”×2" in outcome.detail
    reasons = [
        r[0]
        for r in con.execute(
            "SELECT reason FROM quarantine WHERE run_status = 'quarantined' ORDER BY _row"
        ).fetchall()
    ]
    assert sum("缺少必填字段 id_number" in r for r in reasons) == 2
    assert not any("scheme" in r for r in reasons)
    assert sum("month_from 晚于 month_to" in r for r in reasons) == 2
    assert sum("record_key 重复且内容不同" in r for r in reasons) == 2
    total = pl.read_parquet(folder / "registries/pension_contributions.parquet").height
    loaded = con.execute("SELECT count(*) FROM pension_contributions").fetchall()[0][0]
    assert loaded == total - 1 - 5  # the twin shares a key: 6 bad rows, 5 distinct records
    kept = con.execute(
        "SELECT count(*) FROM pension_contributions WHERE scheme = '商业保险'"
    ).fetchall()[0][0]
    assert kept == 2
    quality = json.loads(con.execute("SELECT last_quality FROM load_state").fetchall()[0][0])
    assert quality["unknown_values"] == {"scheme": {"商业保险": 2}}
    con.close()


def test_an_extract_over_the_threshold_is_refused_whole(world: Path, tmp_path: Path) -> None:
    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    from_files(con, world, sources=["pension_contributions"], as_of=AS_OF)
    before = con.execute("SELECT * FROM pension_contributions ORDER BY record_key").fetchall()
    state_before = con.execute("SELECT watermark, fingerprint FROM load_state").fetchall()
    rows = pl.read_parquet(world / "registries/pension_contributions.parquet").height
    folder = _corrupt(world, tmp_path, rows=rows // 20 + 1)  # 3 kinds x 5% + 1
    _, outcomes = from_files(con, folder, sources=["pension_contributions"], as_of=AS_OF)
    assert outcomes[0].status == "refused"
    assert "整批拒收" in outcomes[0].detail
    assert (
        con.execute("SELECT * FROM pension_contributions ORDER BY record_key").fetchall() == before
    )
    assert con.execute("SELECT watermark, fingerprint FROM load_state").fetchall() == state_before
    assert con.execute("SELECT last_status FROM load_state").fetchall() == [("refused",)]
    con.close()


@pytest.fixture
def faulty(world: Path) -> Iterator[str]:
    faults = Faults(error_rate=0.1, drop_rate=0.05, truncate_rate=0.05, duplicate_rate=0.2, seed=9)
    server, url = _serve(world, faults=faults, rate=40.0, burst=10)
    yield url
    stop(server)


def test_http_through_faults_loads_the_registries_exactly(
    world: Path, faulty: str, tmp_path: Path
) -> None:
    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    policy = RetryPolicy(attempts=40, base_delay=0.01, max_delay=0.05)
    _, outcomes = from_http(con, faulty, TOKEN, retry=policy, page_size=113, as_of=AS_OF)
    assert {o.status for o in outcomes} == {"loaded"}, [o.as_dict() for o in outcomes]
    assert sum(o.rate_limited for o in outcomes) > 0  # 429s happened and were waited out
    assert sum(o.retries for o in outcomes) > sum(o.rate_limited for o in outcomes)
    for name, source in SOURCES.items():
        assert _same(_table(con, name), _expected(world, name), source.key), name
    runs = con.execute("SELECT status FROM runs").fetchall()
    assert runs == [("succeeded",)]
    con.close()


def test_http_delta_brings_only_what_changed(tmp_path: Path) -> None:
    world = tmp_path / "w"
    generate("tiny", 13, world)
    server, url = _serve(world)
    try:
        con = warehouse.connect(tmp_path / "w.duckdb", create=True)
        _, first = from_http(con, url, TOKEN, as_of=AS_OF)
        marks = dict(con.execute("SELECT source, watermark FROM load_state").fetchall())
        advance(world, 3)
        httpx.post(f"{url}/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"})
        _, outcomes = from_http(con, url, TOKEN, as_of=AS_OF)
        new = sum(o.loaded for o in outcomes)
        assert 1 <= new <= 10
        # only the changes crossed the wire, and what the overlap window reads again
        # (records stamped within OVERLAP of each watermark), not the registries
        assert sum(o.read for o in outcomes) < sum(o.read for o in first) / 20
        after = dict(con.execute("SELECT source, watermark FROM load_state").fetchall())
        assert any(after[s] > marks[s] for s in after)
        delta_keys = pl.concat(
            [
                pl.read_parquet(p)
                for p in (world / "registries/deltas").rglob("*.parquet")
                if pl.read_parquet(p).height
            ],
            how="diagonal_relaxed",
        )["record_key"]
        for key in delta_keys:
            found = con.execute(
                "SELECT count(*) FROM (SELECT record_key FROM pension_contributions UNION ALL "
                "SELECT record_key FROM business_licences UNION ALL "
                "SELECT record_key FROM training_records) "
                "WHERE record_key = ?",
                [key],
            ).fetchall()[0][0]
            assert found == 1
        con.close()
    finally:
        stop(server)


def test_a_record_changed_in_the_watermarks_own_second_is_not_missed(tmp_path: Path) -> None:
    """Issue 14 (deltas): a pull asks for what changed *after* the newest
    ``updated_at`` it holds, so a record changed later but stamped with that same
    second was never pulled. The pull now reaches back an overlap window and
    de-duplicates: the late change arrives, unchanged records are read again but
    not rewritten."""
    world = tmp_path / "w"
    generate("tiny", 13, world)
    server, url = _serve(world)
    try:
        con = warehouse.connect(tmp_path / "w.duckdb", create=True)
        from_http(con, url, TOKEN, sources=["pension_contributions"], as_of=AS_OF)
        mark = con.execute(
            "SELECT CAST(watermark AS TIMESTAMP) FROM load_state "
            "WHERE source = 'pension_contributions'"
        ).fetchall()[0][0]
        base = pl.read_parquet(world / "registries/pension_contributions.parquet")
        # the record the pull saw last, changed afterwards within the same second
        late = (
            base.filter(pl.col("updated_at") == base["updated_at"].max())
            .head(1)
            .with_columns(employer_name=pl.lit("同一秒内变更的单位"), updated_at=pl.lit(mark))
        )
        key = late["record_key"][0]
        folder = world / "registries/deltas/9999-12-31"
        folder.mkdir(parents=True)
        late.write_parquet(folder / "pension_contributions.parquet")
        httpx.post(f"{url}/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"})
        _, outcomes = from_http(con, url, TOKEN, sources=["pension_contributions"], as_of=AS_OF)
        assert outcomes[0].status == "loaded"
        employer = con.execute(
            "SELECT employer_name FROM pension_contributions WHERE record_key = ?", [key]
        ).fetchall()
        assert employer == [("同一秒内变更的单位",)]
        assert outcomes[0].loaded == 1  # the overlap's unchanged records are not rewritten
        con.close()
    finally:
        stop(server)


def test_an_ingest_killed_half_way_leaves_the_previous_state_and_a_rerun_completes(
    world: Path, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    server, url = _serve(world, faults=Faults(latency_ms=40))
    try:
        con = warehouse.connect(db, create=True)
        from_http(con, url, TOKEN, sources=["dishonesty_list"], as_of=AS_OF)
        before = con.execute("SELECT source, watermark FROM load_state").fetchall()
        con.close()
        env = {**os.environ, "CROSSCHECK_HOME": str(tmp_path)}
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from crosscheck.cli import main; main()",
                "ingest",
                "--from",
                url,
                "--token",
                TOKEN,
                "--page-size",
                "25",
                "--db",
                str(db),
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(4.0)  # imports, then paging household_registration inside its transaction
        assert child.poll() is None, "the ingest finished before it could be killed"
        child.send_signal(signal.SIGKILL)
        child.wait()
        con = warehouse.connect(db)
        assert con.execute("SELECT source, watermark FROM load_state").fetchall() == before
        assert con.execute("SELECT count(*) FROM household_registration").fetchall()[0][0] == 0
        # the killed run is not 'running' for ever: abandoned, naming the pid that died
        killed = con.execute(
            "SELECT status, pid, summary FROM runs WHERE status <> 'succeeded'"
        ).fetchall()
        con.close()
        assert len(killed) == 1
        assert killed[0][:2] == ("abandoned", child.pid)
        assert str(child.pid) in killed[0][2]
        httpx.put(
            f"{url}/admin/faults",
            json={"latency_ms": 0},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        con = warehouse.connect(db, create=True)
        _, outcomes = from_http(con, url, TOKEN, as_of=AS_OF)
        assert all(o.status in ("loaded", "unchanged") for o in outcomes)
        for name, source in SOURCES.items():
            assert _same(_table(con, name), _expected(world, name), source.key), name
        con.close()
    finally:
        stop(server)


def test_cli_ingest_files_and_status(world: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from crosscheck.cli import app

    runner = CliRunner()
    db = tmp_path / "c.duckdb"
    # a --db that does not exist (misspelled) is refused, not created (issue 12, item 3)
    result = runner.invoke(
        app, ["ingest", "--files", str(world), "--db", str(db)], env={"COLUMNS": "200"}
    )
    assert result.exit_code != 0
    assert "db init" in str(result.exception)
    assert not db.exists()
    assert runner.invoke(app, ["db", "init", "--db", str(db)]).exit_code == 0
    result = runner.invoke(
        app, ["ingest", "--files", str(world), "--db", str(db)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "pension_contributions" in result.output
    assert "已载入" in result.output
    status = runner.invoke(app, ["ingest", "status", "--db", str(db)], env={"COLUMNS": "200"})
    assert "household_registration" in status.output
    bad = runner.invoke(app, ["ingest", "--db", str(db)])
    assert bad.exit_code != 0


def test_validations_are_kept_for_data_docs(world: Path, tmp_path: Path, home: Path) -> None:
    from crosscheck.ingest.gate import build_docs

    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    from_files(con, world, sources=["student_status"], as_of=AS_OF)
    con.close()
    index = build_docs()
    assert index.is_file()
    assert index.is_relative_to(home)
    pages = " ".join(
        p.read_text(encoding="utf-8", errors="ignore") for p in index.parent.rglob("*.html")
    )
    assert "crosscheck.student_status" in pages


def test_an_xlsx_extract_loads_like_its_parquet(world: Path, tmp_path: Path) -> None:
    import xlsxwriter

    frame = _expected(world, "dishonesty_list")
    folder = tmp_path / "x" / "registries"
    folder.mkdir(parents=True)
    wb = xlsxwriter.Workbook(str(folder / "dishonesty_list.xlsx"))
    ws = wb.add_worksheet()
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, frame.columns)
    for r, row in enumerate(frame.iter_rows(), start=1):
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                ws.write_string(r, c, value.strftime("%Y-%m-%d %H:%M:%S"))
            elif isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), day)
            elif value is not None:
                ws.write(r, c, value)
    wb.close()
    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    _, outcomes = from_files(con, folder.parent, sources=["dishonesty_list"], as_of=AS_OF)
    assert outcomes[0].status == "loaded", outcomes[0].detail
    assert _same(_table(con, "dishonesty_list"), frame, "record_key")
    con.close()


def test_unreadable_values_in_a_csv_extract_are_quarantined_not_fatal(
    world: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "csv" / "registries"
    folder.mkdir(parents=True)
    frame = pl.read_parquet(world / "registries/pension_contributions.parquet")
    text = frame.write_csv(datetime_format="%Y-%m-%d %H:%M:%S").splitlines()
    header = text[0].split(",")
    cells = text[1].split(",")
    cells[header.index("month_from")] = "2024-13-45"
    text[1] = ",".join(cells)
    (folder / "pension_contributions.gb18030.csv").write_bytes(
        ("\n".join(text) + "\n").encode("gb18030")
    )
    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    _, outcomes = from_files(con, folder.parent, sources=["pension_contributions"], as_of=AS_OF)
    assert outcomes[0].status == "loaded", outcomes[0].detail
    assert outcomes[0].rejected == 1
    ((reason, row),) = con.execute(
        "SELECT reason, _row FROM quarantine WHERE run_status = 'quarantined'"
    ).fetchall()
    assert "字段无法解析：month_from" in reason
    assert row == 1  # the first data row of the file
    assert (
        con.execute("SELECT count(*) FROM pension_contributions").fetchall()[0][0]
        == frame.height - 1
    )
    con.close()


def test_directory_and_operations_load_as_whole_snapshots(world: Path, tmp_path: Path) -> None:
    from crosscheck.ingest.sources import SNAPSHOTS

    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    _, outcomes = from_files(con, world, as_of=AS_OF)
    assert {o.source for o in outcomes} >= set(SNAPSHOTS)
    assert all(o.status == "loaded" and o.rejected == 0 for o in outcomes), [
        o.as_dict() for o in outcomes if o.rejected
    ]
    for name, source in SNAPSHOTS.items():
        expected = pl.read_parquet(world / f"{source.path}.parquet")
        count = con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]
        assert count == expected.height, name
    classes = pl.read_parquet(world / "operations/classes.parquet")
    got = con.execute(
        "SELECT class_id, planned_start, status FROM classes ORDER BY class_id"
    ).fetchall()
    assert got == list(
        classes.sort("class_id").select("class_id", "planned_start", "status").iter_rows()
    )
    # a new export replaces the old one whole — one that drops most of the classes
    # only when the operator allows it (issue 12 item 1)
    smaller = tmp_path / "next"
    shutil.copytree(world, smaller)
    classes.head(3).write_parquet(smaller / "operations/classes.parquet")
    _, again = from_files(con, smaller, sources=["classes"], as_of=AS_OF)
    assert again[0].status == "refused"
    assert con.execute("SELECT count(*) FROM classes").fetchall()[0][0] == classes.height
    _, again = from_files(con, smaller, sources=["classes"], as_of=AS_OF, allow_shrink=True)
    assert again[0].loaded == 3
    assert again[0].removed == classes.height
    assert con.execute("SELECT count(*) FROM classes").fetchall()[0][0] == 3
    con.close()


def test_registry_numbers_are_normalised_at_the_gate_and_join(world: Path, tmp_path: Path) -> None:
    """POLICY.md reading 2 / issue 11 defect 3: a pension record typed with a lower-case
    x, full-width digits or spaces loads under the normalised number (the text as sent
    kept beside it), is valid, and is the trainee's; a licence extract of supervisors
    (监事) loads instead of being refused."""
    folder = tmp_path / "typed"
    shutil.copytree(world / "registries", folder / "registries")
    path = folder / "registries" / "pension_contributions.parquet"
    frame = pl.read_parquet(path)
    ending_x = frame.filter(pl.col("id_number").str.ends_with("X")).head(1)
    plain = frame.filter(~pl.col("id_number").str.ends_with("X")).head(2)
    assert ending_x.height == 1
    assert plain.height == 2
    full = str.maketrans("0123456789", "０１２３４５６７８９")
    typed = {
        ending_x["record_key"][0]: ending_x["id_number"][0].lower(),
        plain["record_key"][0]: plain["id_number"][0].translate(full),
        plain["record_key"][1]: " "
        + plain["id_number"][1][:6]
        + "\u3000"
        + plain["id_number"][1][6:],
    }
    frame.with_columns(
        id_number=pl.col("record_key").replace_strict(typed, default=pl.col("id_number"))
    ).write_parquet(path)
    licences = next((folder / "registries").glob("business_licences.*"))
    table = read_file(licences, SOURCES["business_licences"])
    supervisors = table.head(max(1, table.height // 4)).with_columns(role=pl.lit("supervisor"))
    changed = pl.concat([supervisors, table.slice(supervisors.height)])
    text = changed.write_csv(datetime_format="%Y-%m-%d %H:%M:%S", date_format="%Y-%m-%d")
    licences.write_bytes(text.encode("gb18030"))
    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    _, outcomes = from_files(con, folder, as_of=AS_OF)
    assert {o.status for o in outcomes} == {"loaded"}
    rows = dict(
        con.execute(
            "SELECT record_key, id_number || '|' || coalesce(id_number_raw, '') || '|' || id_block "
            "FROM pension_contributions WHERE record_key IN (SELECT unnest($k))",
            {"k": list(typed)},
        ).fetchall()
    )
    for key, raw in typed.items():
        number = idnumber.stored(raw)
        assert rows[key] == f"{number}|{raw}|{number[:14]}"
        assert idnumber.check(number, as_of=AS_OF).valid
    flagged = con.execute(
        "SELECT count(*) FROM quarantine WHERE source = 'pension_contributions' "
        "AND CAST(raw AS VARCHAR) LIKE '%' || $k || '%'",
        {"k": ending_x["record_key"][0]},
    ).fetchall()[0][0]
    assert flagged == 0  # normalised before the gate: not flagged as invalid
    loaded = con.execute(
        "SELECT count(*) FROM business_licences WHERE role = 'supervisor'"
    ).fetchall()[0][0]
    assert loaded == supervisors.height
    con.close()


@pytest.mark.parametrize("kind", ["empty", "shrunk", "snapshot"])
def test_an_extract_that_would_remove_too_much_is_refused(
    world: Path, tmp_path: Path, kind: str
) -> None:
    """Issue 12 item 1: an empty (or much smaller) extract must not wipe a registry or a
    whole-table export: more than the source's share of rows removed (5 %) is refused
    like a failing gate, the previous snapshot kept — unless the operator allows it."""
    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    name = "institutions" if kind == "snapshot" else "household_registration"
    from_files(con, world, sources=[name], as_of=AS_OF)
    before = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
    folder = tmp_path / "new"
    section = "directory" if kind == "snapshot" else "registries"
    shutil.copytree(world / section, folder / section)
    path = folder / section / f"{name}.parquet"
    frame = pl.read_parquet(path)
    keep = 0 if kind == "empty" else int(frame.height * 0.9)
    frame.head(keep).write_parquet(path)
    _, outcomes = from_files(con, folder, sources=[name], as_of=AS_OF)
    assert outcomes[0].status == "refused", outcomes[0]
    assert "--allow-shrink" in outcomes[0].detail
    assert con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0] == before
    assert con.execute(
        "SELECT last_status FROM load_state WHERE source = ?", [name]
    ).fetchall() == [("refused",)]
    _, outcomes = from_files(con, folder, sources=[name], as_of=AS_OF, allow_shrink=True)
    assert outcomes[0].status == "loaded"
    assert con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0] == keep
    con.close()


def test_two_candidate_files_for_one_source_are_an_error(world: Path, tmp_path: Path) -> None:
    """Issue 12 item 1: a 5-row CSV beside the full Parquet is never silently chosen."""
    from crosscheck.errors import CrosscheckError

    folder = tmp_path / "two"
    shutil.copytree(world / "registries", folder / "registries")
    full = folder / "registries" / "household_registration.parquet"
    pl.read_parquet(full).head(5).write_csv(full.with_suffix(".csv"))
    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    with pytest.raises(
        CrosscheckError, match=r"household_registration\.csv.*household_registration\.parquet"
    ):
        from_files(con, folder, sources=["household_registration"], as_of=AS_OF)
    assert con.execute("SELECT count(*) FROM household_registration").fetchall()[0][0] == 0
    con.close()


def test_cli_ingest_refuses_a_wrong_address_or_folder_at_once(world: Path, tmp_path: Path) -> None:
    """A registry address that does not answer, is not a URL, or refuses the token, and
    a folder that is missing or holds no extracts: exit 2 with one message at once —
    no retries, no run recorded (issue 12, item 2)."""
    db = tmp_path / "c.duckdb"
    assert run_cli("db", "init", "--db", str(db), home=tmp_path).returncode == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    server, url = _serve(world)
    try:
        cases = {
            ("--from", "http://127.0.0.1:1"): "无法连接登记系统",
            ("--from", "http://no-such-host.invalid"): "无法连接登记系统",
            ("--from", "not-a-url"): "不是有效的接口地址",
            ("--from", "ftp://example.org"): "不是有效的接口地址",
            ("--from", url, "--token", "wrong"): "拒绝了访问令牌",
            ("--files", str(tmp_path / "nope")): "不存在",
            ("--files", str(empty)): "没有可载入的数据文件",
        }
        for args, message in cases.items():
            started = time.monotonic()
            result = run_cli("ingest", *args, "--db", str(db), home=tmp_path)
            assert result.returncode == 2, (args, result.stderr)
            assert message in result.stderr, args
            assert "Traceback" not in result.stderr
            assert time.monotonic() - started < 15, args  # not 8 retries per source
    finally:
        stop(server)
    con = warehouse.connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM runs").fetchall() == [(0,)]
    con.close()


def test_cli_ingest_shows_each_sources_retries(world: Path, tmp_path: Path) -> None:
    """Retries and 429s were recorded in `runs` but never shown: the summary has a 重试
    column, with the 429s waited out (issue 12, item 15)."""
    db = tmp_path / "c.duckdb"
    assert run_cli("db", "init", "--db", str(db), home=tmp_path).returncode == 0
    server, url = _serve(world, faults=Faults(error_rate=0.3, seed=5), rate=20.0, burst=2)
    try:
        result = run_cli(
            "ingest",
            "--from",
            url,
            "--token",
            TOKEN,
            "--source",
            "dishonesty_list",
            "--source",
            "business_licences",
            "--page-size",
            "50",
            "--db",
            str(db),
            home=tmp_path,
        )
    finally:
        stop(server)
    assert result.returncode == 0, result.stderr
    assert "重试" in result.stdout
    con = warehouse.connect(db, read_only=True)
    summary = con.execute("SELECT CAST(summary AS VARCHAR) FROM runs").fetchall()[0][0]
    con.close()
    retried = {o["source"]: o["retries"] for o in json.loads(summary)}
    assert sum(retried.values()) > 0
    from crosscheck import labels

    lines = result.stdout.splitlines()
    for source, n in retried.items():  # each source's row shows its own count
        # the row's first line holds the source's Chinese name, its code is below
        at = next(i for i, line in enumerate(lines) if source in line)
        row = lines[at - 1]
        assert labels.source(source) in row
        assert f"│ {n:,}" in row or f"│ {n:,}（" in row, row


def test_a_delta_dated_after_the_load_day_waits_for_a_later_load(
    world: Path, tmp_path: Path
) -> None:
    """A daily delta arrives on its day: a load as of the 20th reads the base and the
    20th's delta, not the 21st's; a load as of the 21st then reads only the new one."""
    copy = tmp_path / "w"
    shutil.copytree(world, copy)
    base = pl.read_parquet(copy / "registries/pension_contributions.parquet")
    for day, key in ((AS_OF, "DAY-OF"), (AS_OF + dt.timedelta(days=1), "DAY-AFTER")):
        folder = copy / "registries/deltas" / day.isoformat()
        folder.mkdir(parents=True)
        base.head(1).with_columns(record_key=pl.lit(key)).write_parquet(
            folder / "pension_contributions.parquet"
        )
    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    from_files(con, copy, as_of=AS_OF, sources=["pension_contributions"])
    keys = {k for (k,) in con.execute("SELECT record_key FROM pension_contributions").fetchall()}
    assert "DAY-OF" in keys
    assert "DAY-AFTER" not in keys
    _, (outcome,) = from_files(
        con, copy, as_of=AS_OF + dt.timedelta(days=1), sources=["pension_contributions"]
    )
    assert outcome.read == 1  # the new file alone, merged
    keys = {k for (k,) in con.execute("SELECT record_key FROM pension_contributions").fetchall()}
    assert {"DAY-OF", "DAY-AFTER"} <= keys
    assert len(keys) == base.height + 2
