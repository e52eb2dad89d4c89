"""Every rule against the synthetic world's ground truth, and stable findings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from checks import evaluate, identity, runner
from crosscheck import warehouse
from crosscheck.ingest.run import from_files
from crosscheck.world.generate import generate

AS_OF = dt.date(2025, 12, 20)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("checks")
    world = root / "small"
    generate("small", 21, world)
    db = root / "w.duckdb"
    con = warehouse.connect(db)
    from_files(con, world, as_of=AS_OF)
    con.close()
    return world, db


def test_identity_rules_find_exactly_what_was_planted(loaded: tuple[Path, Path]) -> None:
    world, db = loaded
    con = warehouse.connect(db)
    summary = runner.run(con, "identity", "r1", as_of=AS_OF)
    scores = evaluate.score(con, world, set(identity.RULES))
    con.close()
    assert summary.found > 0
    for code, s in scores.items():
        assert s.expected > 0, code
        assert (s.precision, s.recall) == (1.0, 1.0), s
        assert s.severity_agrees == s.true_positive, s


def test_findings_are_stable_and_resolve_when_facts_change(
    loaded: tuple[Path, Path], tmp_path: Path
) -> None:
    import shutil

    _, shared = loaded
    db = tmp_path / "copy.duckdb"  # this test changes the data: work on a copy
    shutil.copy(shared, db)
    con = warehouse.connect(db)
    first = runner.run(con, "identity", "a", as_of=AS_OF)
    again = runner.run(con, "identity", "b", as_of=AS_OF)
    assert again.new == 0
    assert again.found == first.found
    # fix one name in the household register: exactly that finding resolves
    row = con.execute(
        "SELECT id_number, evidence->>'roster_name' FROM findings "
        "WHERE rule_code = 'ID_NAME_MISMATCH' LIMIT 1"
    ).fetchall()[0]
    con.execute("UPDATE household_registration SET name = ? WHERE id_number = ?", [row[1], row[0]])
    third = runner.run(con, "identity", "c", as_of=AS_OF)
    assert third.resolved == 1
    assert third.new == 0
    con.close()


def test_rules_apply_only_where_the_policy_sets_them(loaded: tuple[Path, Path]) -> None:
    _, db = loaded
    con = warehouse.connect(db)
    runner.run(con, "identity", "z", as_of=AS_OF)
    zhengning = con.execute(
        "SELECT count(*) FROM findings f JOIN classes c USING (class_id) "
        "WHERE c.policy_id = 'zhengning-2022' AND f.rule_code LIKE 'ID_%'"
    ).fetchall()[0][0]
    assert zhengning == 0  # Zhengning's plan sets no identity rules
    clauses = con.execute(
        "SELECT DISTINCT policy_id, clause FROM findings WHERE rule_code = 'ID_INVALID'"
    ).fetchall()
    assert all(clause for _, clause in clauses)
    con.close()


@pytest.mark.parametrize("stage", ["opening", "payout"])
def test_stage_rules_find_exactly_what_was_planted(loaded: tuple[Path, Path], stage: str) -> None:
    world, db = loaded
    con = warehouse.connect(db)
    runner.run(con, stage, f"s-{stage}", as_of=AS_OF)
    scores = evaluate.score(con, world, set(runner.STAGES[stage]))
    con.close()
    assert len(scores) >= 15
    for code, s in scores.items():
        assert s.expected > 0, code
        assert (s.precision, s.recall, s.severity_agrees) == (1.0, 1.0, s.true_positive), s


def test_every_rule_code_is_checked() -> None:
    from checks import classes, eligibility, payout
    from crosscheck.rules import RULES

    implemented = {*identity.RULES, *eligibility.RULES, *classes.RULES, *payout.RULES}
    assert implemented == set(RULES)


def test_the_accounting_table_matches_the_ground_truth_to_the_fen(
    loaded: tuple[Path, Path],
) -> None:
    import json

    import polars as pl

    from checks import accounting

    world, db = loaded
    con = warehouse.connect(db)
    for stage in ("identity", "opening", "payout"):
        runner.run(con, stage, f"acc-{stage}", as_of=AS_OF)
    got = accounting.compute(con, AS_OF)
    con.close()
    truth = pl.read_parquet(world / "truth/expected_accounting.parquet")
    assert got.height == truth.height > 10
    columns = [c for c in truth.columns if c not in ("by_rate", "violation_rate")]
    joined = truth.join(got, on="class_id", suffix="_got")
    for row in joined.iter_rows(named=True):
        for column in columns[1:]:
            assert row[column] == row[f"{column}_got"], (row["class_id"], column)
        assert float(row["violation_rate"]) == float(row["violation_rate_got"])
        assert json.loads(row["by_rate"]) == [list(r) for r in row["by_rate_got"]]


def test_cli_check_all_eval_and_export(loaded: tuple[Path, Path], tmp_path: Path) -> None:
    import polars as pl
    from typer.testing import CliRunner

    from crosscheck.cli import app

    world, db = loaded
    runner_ = CliRunner()
    env = {"COLUMNS": "200"}
    done = runner_.invoke(app, ["check", "all", "--as-of", "2025-12-20", "--db", str(db)], env=env)
    assert done.exit_code == 0, done.output
    assert "开班审核" in done.output
    out = tmp_path / "f.csv"
    exported = runner_.invoke(app, ["findings", "export", "--out", str(out), "--db", str(db)])
    assert exported.exit_code == 0, exported.output
    frame = pl.read_csv(out, infer_schema=False)
    assert {
        "stage",
        "class_id",
        "id_number",
        "rule_code",
        "severity",
        "policy_id",
        "evidence",
    } <= set(frame.columns)
    assert frame["id_number"].drop_nulls().str.contains(r"\*{8}").all()  # masked by default
    scored = runner_.invoke(
        app, ["eval", "--world", str(world), "--db", str(tmp_path / "e.duckdb")], env=env
    )
    assert scored.exit_code == 0, scored.output
    assert "金额不一致 0 处" in scored.output


def test_cli_opening_review_of_one_class(loaded: tuple[Path, Path], tmp_path: Path) -> None:
    import json

    import openpyxl
    from typer.testing import CliRunner

    from crosscheck.cli import app

    world, db = loaded
    import polars as pl

    truth = pl.read_parquet(world / "truth/expected_findings.parquet")
    blocked = truth.filter((pl.col("stage") != "payout") & (pl.col("severity") == "block"))
    class_id = blocked["class_id"][0]
    xlsx = tmp_path / "review.xlsx"
    result = CliRunner().invoke(
        app,
        [
            "check",
            "opening",
            "--class",
            class_id,
            "--as-of",
            "2025-12-20",
            "--json",
            "--xlsx",
            str(xlsx),
            "--db",
            str(db),
        ],
    )
    assert result.exit_code == 1  # rejected
    data = json.loads(result.output)
    assert data["verdict"] == "reject"
    expected = truth.filter((pl.col("class_id") == class_id) & (pl.col("stage") != "payout"))
    assert len(data["findings"]) == expected.height
    assert all("*" * 8 in (f["id_number"] or "*" * 8) for f in data["findings"])
    sheet = openpyxl.load_workbook(xlsx).active
    assert sheet is not None
    assert "不通过" in str(sheet.cell(1, 1).value)
    assert sheet.cell(3, 2).value == "规则代码"
    missing = CliRunner().invoke(app, ["check", "opening", "--class", "NOPE", "--db", str(db)])
    assert missing.exit_code != 0
