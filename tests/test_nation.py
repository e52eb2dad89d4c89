"""A nation of provinces (issue 16): each province checks its own data; only training
and subsidy records travel, through the national exchange (crosscheck.exchange).

The whole world's truth stays the truth after the split: every cross-province case
(ALREADY_TRAINED_THIS_YEAR and DUPLICATE_SUBSIDY on another province's record —
review; CONCURRENT_ENROLMENT on another province's subsidised class — block; POLICY.md
readings 10–12) must come back to the province paying the trainee through the
others' exports. Without the exchange they are missed (the test shows it)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import polars as pl
import pytest

from crosscheck import exchange, warehouse
from crosscheck.checks import evaluate
from crosscheck.cli.check_cmd import _run_all
from crosscheck.errors import CrosscheckError
from crosscheck.ingest.run import from_files
from crosscheck.rules import RULES
from crosscheck.world import schema
from tests.conftest import run_cli

AS_OF = dt.date(2025, 12, 20)
ACROSS = ("ALREADY_TRAINED_THIS_YEAR", "CONCURRENT_ENROLMENT", "DUPLICATE_SUBSIDY")


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A nation generated and evaluated from the command line, as a user would; the
    provinces' warehouses and the exchange kept (``eval --db``)."""
    root = tmp_path_factory.mktemp("nation")
    world, kept, home = root / "world", root / "kept", root / "home"
    made = run_cli(
        "world", "generate", "--scale", "nation-tiny", "--seed", "3", "--out", str(world),
        home=home,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    scored = run_cli("eval", "--world", str(world), "--db", str(kept), home=home)
    return {"world": world, "kept": kept, "made": made, "scored": scored}


def _exact(scores: dict[str, evaluate.Score]) -> list[str]:
    return [
        code
        for code, s in scores.items()
        if (s.precision, s.recall, s.severity_agrees) != (1.0, 1.0, s.true_positive)
    ]


def test_the_nation_is_split_where_its_data_is_held(evaluated: dict[str, object]) -> None:
    world = evaluated["world"]
    assert isinstance(world, Path)
    manifest = json.loads((world / "world.json").read_text(encoding="utf-8"))
    assert sorted(manifest["provinces"]) == ["21", "51", "62"]
    # the provinces that only send records: Hebei among them (a planted case's record)
    assert "13" in manifest["exchange_only"]
    assert "21" not in manifest["exchange_only"]
    for code in ("21", "51", "62"):
        classes = pl.read_parquet(world / "provinces" / code / "operations/classes.parquet")
        assert classes.height > 0
        assert set(classes["region_code"].str.slice(0, 2)) == {code}
        held = pl.read_parquet(world / "provinces" / code / "registries/training_records.parquet")
        assert set(held["region_code"].str.slice(0, 2)) <= {code}  # its own system only
        truth = pl.read_parquet(world / "provinces" / code / "truth/expected_findings.parquet")
        assert set(truth["class_id"]) <= set(classes["class_id"])
    hebei = pl.read_parquet(world / "exchange/13.parquet")
    assert hebei.height > 0
    assert hebei["record_key"].str.starts_with("13:").all()


def test_every_province_is_exact_and_the_cross_province_cases_come_through_the_exchange(
    evaluated: dict[str, object],
) -> None:
    world, kept, scored = evaluated["world"], evaluated["kept"], evaluated["scored"]
    assert isinstance(world, Path)
    assert isinstance(kept, Path)
    assert isinstance(scored, subprocess.CompletedProcess)
    assert scored.returncode == 0, scored.stdout[-3000:]
    assert "全国：3 个省份各自核查，全部一致" in scored.stdout
    for code in ("21", "51", "62"):
        assert f"省份 {code}：补贴核算表" in scored.stdout
        con = duckdb.connect(str(kept / f"{code}.duckdb"), read_only=True)
        try:  # the scores again, from the warehouse eval kept
            truth = world / "provinces" / code
            assert _exact(evaluate.score(con, truth, set(RULES))) == [], code
        finally:
            con.close()
    # Liaoning's findings resting on the other provinces' exports: Sichuan's record of
    # a training this year (review), Gansu's subsidised class at the same time (block)
    con = duckdb.connect(str(kept / "21.duckdb"), read_only=True)
    try:
        found = con.execute(
            """SELECT rule_code, severity, r.key FROM findings,
                   unnest(CAST(json_extract(evidence, '$.records') AS JSON[])) AS t(rec),
                   LATERAL (SELECT json_extract_string(rec, '$.key') AS key) r
               WHERE resolved_at IS NULL AND rule_code IN ?""",
            [list(ACROSS)],
        ).fetchall()
    finally:
        con.close()
    across = {(rule, severity, key.split(":")[0]) for rule, severity, key in found if ":" in key}
    assert ("ALREADY_TRAINED_THIS_YEAR", "review", "51") in across
    assert ("CONCURRENT_ENROLMENT", "block", "62") in across


def test_without_the_exchange_liaoning_misses_them(
    evaluated: dict[str, object], tmp_path: Path
) -> None:
    """The same province, the same night, nothing received: the cross-province cases
    of its truth are not found — the exchange is what finds them."""
    world = evaluated["world"]
    assert isinstance(world, Path)
    con = warehouse.connect(tmp_path / "alone.duckdb", create=True)
    try:
        from_files(con, world / "provinces" / "21", as_of=AS_OF)
        _run_all(con, AS_OF)
        scores = evaluate.score(con, world / "provinces" / "21", set(RULES))
    finally:
        con.close()
    missed = {code for code, s in scores.items() if s.recall < 1.0}
    assert {"ALREADY_TRAINED_THIS_YEAR", "CONCURRENT_ENROLMENT"} <= missed
    assert missed <= set(ACROSS)


def test_an_export_holds_the_province_s_own_records_only(evaluated: dict[str, object]) -> None:
    kept = evaluated["kept"]
    assert isinstance(kept, Path)
    con = duckdb.connect(str(kept / "21.duckdb"), read_only=True)
    try:
        frame = exchange.export(con, "21", AS_OF)
        never = {
            r[0]
            for r in con.execute(
                "SELECT class_id FROM classes WHERE actual_start IS NULL "
                "AND status NOT IN ('open', 'completed', 'paid')"
            ).fetchall()
        }
        # a paid class: each trainee paid on the class's payment day, unless a block or
        # an exclusion stands against them (they were not paid)
        paid_class, paid_on = con.execute(
            "SELECT class_id, max(paid_on) FROM payments WHERE paid_on IS NOT NULL "
            "GROUP BY class_id ORDER BY class_id LIMIT 1"
        ).fetchone() or (None, None)
        excluded = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT id_number FROM findings WHERE class_id = ? "
                "AND resolved_at IS NULL AND severity IN ('block', 'exclude')",
                [paid_class],
            ).fetchall()
        }
        dropped = con.execute("SELECT class_id, id_number FROM dropouts LIMIT 1").fetchone()
    finally:
        con.close()
    assert frame.columns == [c for c, _, _ in schema.BY_PATH[exchange.PATH].columns]
    assert frame["region_code"].str.starts_with("21").all()
    assert frame["record_key"].str.starts_with("21:").all()
    assert not frame["record_key"].str.starts_with("21:51:").any()  # nothing received
    assert not set(frame["class_ref"]) & never
    assert frame["record_key"].n_unique() == frame.height
    mine = frame.filter(pl.col("class_ref") == paid_class)
    assert mine.height > 0
    assert excluded
    for r in mine.iter_rows(named=True):
        expected = None if r["id_number"] in excluded else paid_on
        assert r["subsidy_paid_on"] == expected, r["id_number"][-4:]
    assert dropped is not None
    (status,) = frame.filter(
        (pl.col("class_ref") == dropped[0]) & (pl.col("id_number") == dropped[1])
    )["status"]
    assert status == "dropped"


def test_receive_refuses_a_file_that_is_not_the_province_it_names(
    evaluated: dict[str, object], tmp_path: Path
) -> None:
    world = evaluated["world"]
    assert isinstance(world, Path)
    hub = tmp_path / "hub"
    hub.mkdir()
    shutil.copy2(world / "exchange/13.parquet", hub / "13.parquet")
    into = tmp_path / "province"
    into.mkdir()
    hebei = pl.read_parquet(hub / "13.parquet").height
    assert exchange.receive(hub, into, "21").rows == {"13": hebei}
    before = sorted(p.name for p in (into / exchange.INBOX).iterdir())
    # Hebei's records sent under Beijing's name: refused, naming the file, row and field,
    # and what was received before stays
    shutil.copy2(world / "exchange/13.parquet", hub / "11.parquet")
    with pytest.raises(CrosscheckError) as refused:
        exchange.receive(hub, into, "21")
    assert "11.parquet 第 1 行 region_code 字段" in str(refused.value)
    assert sorted(p.name for p in (into / exchange.INBOX).iterdir()) == before
    pl.read_parquet(hub / "13.parquet").drop("region_code").write_parquet(hub / "11.parquet")
    with pytest.raises(CrosscheckError, match=r"11\.parquet：缺少字段 region_code"):
        exchange.receive(hub, into, "21")
    # keys not of the province the file names: two provinces' keys could meet
    pl.read_parquet(hub / "13.parquet").with_columns(
        pl.col("record_key").str.replace("^13:", "")
    ).write_parquet(hub / "11.parquet")
    (hub / "11.parquet").rename(hub / "13.parquet.bad")
    pl.read_parquet(hub / "13.parquet.bad").write_parquet(hub / "13.parquet")
    with pytest.raises(CrosscheckError, match=r"13\.parquet 第 1 行 record_key 字段"):
        exchange.receive(hub, into, "21")
    assert sorted(p.name for p in (into / exchange.INBOX).iterdir()) == before
    shutil.copy2(world / "exchange/13.parquet", hub / "13.parquet")
    (hub / "21.parquet").write_bytes(b"its own file is never read")
    got = exchange.receive(hub, into, "21")
    assert got.rows == {"13": hebei}
    assert got.ignored == ["13.parquet.bad"]


def test_receive_never_loses_what_it_received_before(
    evaluated: dict[str, object], tmp_path: Path
) -> None:
    """An empty delivery is refused; a province absent from this one keeps its file."""
    world = evaluated["world"]
    assert isinstance(world, Path)
    hub, into = tmp_path / "hub", tmp_path / "province"
    hub.mkdir()
    into.mkdir()
    for code in ("11", "13"):
        shutil.copy2(world / f"exchange/{code}.parquet", hub / f"{code}.parquet")
    exchange.receive(hub, into, "21")
    held = {p.name: p.read_bytes() for p in (into / exchange.INBOX).iterdir()}
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CrosscheckError, match="没有外省的交换文件"):
        exchange.receive(empty, into, "21")
    assert {p.name: p.read_bytes() for p in (into / exchange.INBOX).iterdir()} == held
    (hub / "11.parquet").unlink()
    got = exchange.receive(hub, into, "21")
    assert (sorted(got.rows), got.kept) == (["13"], ["11"])
    assert {p.name: p.read_bytes() for p in (into / exchange.INBOX).iterdir()} == held
    with pytest.raises(CrosscheckError, match=r"--into .* 不存在"):
        exchange.receive(hub, tmp_path / "typo", "21")
    assert not (tmp_path / "typo").exists()
    with pytest.raises(CrosscheckError, match=r"--from .* 是一个文件"):
        exchange.receive(hub / "13.parquet", into, "21")
    with pytest.raises(CrosscheckError, match="没有这个省级行政区划代码"):
        exchange.receive(hub, into, "99")


def test_an_export_for_a_province_the_warehouse_has_no_class_of_is_refused(
    evaluated: dict[str, object],
) -> None:
    """An empty file would replace that province's real records at every receiver."""
    kept = evaluated["kept"]
    assert isinstance(kept, Path)
    con = duckdb.connect(str(kept / "51.duckdb"), read_only=True)
    try:
        assert exchange.province_of(con, None) == "51"
        with pytest.raises(CrosscheckError, match="仓库中没有该省的班级"):
            exchange.province_of(con, "21")
    finally:
        con.close()


def test_a_nation_is_loaded_province_by_province(
    evaluated: dict[str, object], tmp_path: Path
) -> None:
    world = evaluated["world"]
    assert isinstance(world, Path)
    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    try:
        with pytest.raises(CrosscheckError, match="多省世界"):
            from_files(con, world, as_of=AS_OF)
    finally:
        con.close()
    shown = run_cli("world", "info", "--world", str(world / "provinces" / "51"), home=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "operations/classes" in shown.stdout


def test_the_exchange_from_the_command_line(evaluated: dict[str, object], tmp_path: Path) -> None:
    kept = evaluated["kept"]
    assert isinstance(kept, Path)
    hub = tmp_path / "hub"
    done = run_cli(
        "exchange", "export", "--db", str(kept / "51.duckdb"), "--out", str(hub / "51.parquet"),
        "--as-of", AS_OF.isoformat(), home=tmp_path / "home",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "已导出四川省（51）的培训记录" in done.stdout
    wrong = run_cli(
        "exchange", "export", "--db", str(kept / "51.duckdb"), "--out", str(hub / "x.parquet"),
        home=tmp_path / "home",
    )  # fmt: skip
    assert wrong.returncode != 0
    assert "应命名为 51.parquet" in wrong.stderr
    (tmp_path / "in").mkdir()
    got = run_cli(
        "exchange", "receive", "--from", str(hub), "--into", str(tmp_path / "in"),
        "--province", "21", home=tmp_path / "home",
    )  # fmt: skip
    assert got.returncode == 0, got.stderr
    assert "四川省（51）" in got.stdout
    assert (tmp_path / "in" / "registries/exchange/51.parquet").is_file()


def test_a_nation_is_generated_alone(evaluated: dict[str, object], tmp_path: Path) -> None:
    made = evaluated["made"]
    assert isinstance(made, subprocess.CompletedProcess)
    assert "provinces/21" in made.stdout
    assert "exchange/13.parquet" in made.stdout
    refused = run_cli(
        "world", "generate", "--scale", "nation-tiny", "--decisions", "--out",
        str(tmp_path / "d"), home=tmp_path / "home",
    )  # fmt: skip
    assert refused.returncode != 0
    assert "--decisions" in refused.stderr
    assert not (tmp_path / "d").exists()
