"""Every rule against the synthetic world's ground truth, and stable findings."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from crosscheck import warehouse
from crosscheck.checks import evaluate, identity, runner
from crosscheck.errors import CrosscheckError
from crosscheck.workdays import calendar

AS_OF = dt.date(2025, 12, 20)
FULL_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9])")


@pytest.fixture(scope="module")
def loaded(small_published: dict[str, Path]) -> tuple[Path, Path]:
    """The shared `small` world (seed 21) and its warehouse (conftest)."""
    return small_published["world"], small_published["db"]


def test_identity_rules_find_exactly_what_was_planted(loaded: tuple[Path, Path]) -> None:
    world, db = loaded
    con = warehouse.connect(db, create=True)
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
    con = warehouse.connect(db, create=True)
    first = runner.run(con, "identity", "a", as_of=AS_OF)
    again = runner.run(con, "identity", "b", as_of=AS_OF)
    assert again.new == 0
    assert again.found == first.found
    # fix one name in every registry that holds it (POLICY.md reading 3 compares them
    # all): exactly that finding resolves
    row = con.execute(
        "SELECT id_number, evidence->>'roster_name' FROM findings "
        "WHERE rule_code = 'ID_NAME_MISMATCH' LIMIT 1"
    ).fetchall()[0]
    for table in ("household_registration", "student_status", "pension_contributions"):
        con.execute(f"UPDATE {table} SET name = ? WHERE id_number = ?", [row[1], row[0]])
    for table in ("business_licences", "training_records"):
        con.execute(f"UPDATE {table} SET name = ? WHERE id_number = ?", [row[1], row[0]])
    third = runner.run(con, "identity", "c", as_of=AS_OF)
    assert third.resolved == 1
    assert third.new == 0
    con.close()


def test_rules_apply_only_where_the_policy_sets_them(loaded: tuple[Path, Path]) -> None:
    _, db = loaded
    con = warehouse.connect(db, create=True)
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
    con = warehouse.connect(db, create=True)
    runner.run(con, stage, f"s-{stage}", as_of=AS_OF)
    scores = evaluate.score(con, world, set(runner.STAGES[stage]))
    con.close()
    assert len(scores) >= 15
    for code, s in scores.items():
        assert s.expected > 0, code
        assert (s.precision, s.recall, s.severity_agrees) == (1.0, 1.0, s.true_positive), s


def test_every_rule_code_is_checked() -> None:
    from crosscheck.rules import RULES

    implemented = {code for rules in runner.STAGES.values() for code in rules}
    assert implemented == set(RULES)


def test_the_accounting_table_matches_the_ground_truth_to_the_fen(
    loaded: tuple[Path, Path],
) -> None:
    import json

    import polars as pl

    from crosscheck.checks import accounting

    world, db = loaded
    con = warehouse.connect(db, create=True)
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
    assert all("*" * 8 in (f["id_masked"] or "*" * 8) for f in data["findings"])
    assert not FULL_ID.search(result.output)
    assert {t["verdict"] for t in data["trainees"]} >= {"approve"}
    book = openpyxl.load_workbook(xlsx)
    assert "不通过" in str(book["审核结论"].cell(1, 1).value)
    sheet = book["问题清单"]
    assert [sheet.cell(3, c).value for c in (4, 5, 8)] == ["问题", "处理", "证据"]
    titles = {sheet.cell(r, 4).value for r in range(4, sheet.max_row + 1)}
    assert titles == {f["title"] for f in data["findings"]}
    # the evidence as a sentence, not as JSON with English keys
    assert all(not str(sheet.cell(r, 8).value).startswith("{") for r in range(4, sheet.max_row + 1))
    missing = CliRunner().invoke(app, ["check", "opening", "--class", "NOPE", "--db", str(db)])
    assert missing.exit_code != 0


def _cli(*args: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    from crosscheck.cli import app

    result = CliRunner().invoke(app, list(args))
    if isinstance(result.exception, CrosscheckError):  # what main() prints, with status 2
        return 2, str(result.exception)
    return result.exit_code, result.output


def test_cli_payout_fills_the_accounting_table_like_the_truth(
    loaded: tuple[Path, Path], tmp_path: Path
) -> None:
    import openpyxl
    import polars as pl

    world, db = loaded
    truth = pl.read_parquet(world / "truth/expected_accounting.parquet")
    fushun = truth.filter(pl.col("policy_id") == "fushun-2023").sort("class_id")
    ranked = fushun.sort("social_insurance", "dropped_out", descending=True)
    chosen = ranked["class_id"].head(2).to_list()
    xlsx = tmp_path / "acc.xlsx"
    code, output = _cli(
        "check", "payout", *[a for c in chosen for a in ("--class", c)],
        "--as-of", AS_OF.isoformat(), "--json", "--xlsx", str(xlsx), "--db", str(db),
    )  # fmt: skip
    assert code in (0, 1, 3), output
    assert not FULL_ID.search(output)
    data = json.loads(output[: output.rindex("}") + 1])
    got = {r["class_id"]: r for r in data["accounting"]}
    columns = ["opened", "dropped_out", "social_insurance", "exam_failed", "exam_absent"]
    columns += ["materials_failed", "subsidised", "proposed_fen", "actual_fen"]
    for expected in truth.filter(pl.col("class_id").is_in(chosen)).iter_rows(named=True):
        for column in columns:
            assert got[expected["class_id"]][column] == expected[column], column
    book = openpyxl.load_workbook(xlsx)
    # a class to be paid is on the policy's sheet, a withheld one on 暂不拨付 (issue 13)
    lines: dict[str, list[tuple[Any, int]]] = {}  # a class has one line per rate
    for ws in book.worksheets:
        for r in range(5, ws.max_row + 1):
            if ws.cell(r, 4).value in chosen:
                lines.setdefault(ws.cell(r, 4).value, []).append((ws, r))
    for expected in truth.filter(pl.col("class_id").is_in(chosen)).iter_rows(named=True):
        found = lines[expected["class_id"]]
        ws = found[0][0]
        mine = [r for _, r in found]
        paid = got[expected["class_id"]]["payable"]
        assert ws.title == ("补贴核算表-抚顺2023" if paid else "暂不拨付")
        assert sum(ws.cell(r, 9).value for r in mine) == expected["opened"]  # 开班人数
        assert sum(ws.cell(r, 15).value for r in mine) == expected["subsidised"]  # 实际补贴人数
        actual = sum(round(ws.cell(r, 22).value * 100) for r in mine)  # 实际补贴金额(元)
        assert actual == expected["actual_fen"]


def test_cli_payout_json_has_one_row_per_rate(loaded: tuple[Path, Path]) -> None:
    """Issue 11 defect 8: a Fushun class whose trainees earn different rates gets one
    row per rate, highest first, each with its own counts and money, adding up to the
    class (POLICY.md "Subsidy accounting")."""
    import polars as pl

    world, db = loaded
    truth = pl.read_parquet(world / "truth/expected_accounting.parquet")
    mixed = [r for r in truth.iter_rows(named=True) if len(json.loads(r["by_rate"])) > 1]
    assert mixed, "the world has a mixed-rate class"
    code, output = _cli(
        "check", "payout", "--class", mixed[0]["class_id"], "--as-of", AS_OF.isoformat(),
        "--json", "--db", str(db),
    )  # fmt: skip
    assert code in (0, 1, 3), output
    table = json.loads(output[: output.rindex("}") + 1])["accounting"][0]
    rows = table["rows"]
    rates = [r["rate_fen"] for r in rows]
    assert len(rows) > 1
    assert rates == sorted(rates, reverse=True)
    assert [[r["rate_fen"], r["subsidised"], r["proposed_fen"]] for r in rows] == json.loads(
        mixed[0]["by_rate"]
    )
    for column in ("opened", "subsidised", "proposed_fen", "total_deduction_fen", "actual_fen"):
        assert sum(r[column] for r in rows) == table[column] == mixed[0][column], column


def test_cli_links_export_shows_how_each_record_was_attributed(
    loaded: tuple[Path, Path], tmp_path: Path
) -> None:
    """Every link a run used: exact, after normalisation, or by a mistyped number
    (reading 9), masked unless --full-id; the fuzzy ones are those the truth plants."""
    import polars as pl

    world, db = loaded
    copy = tmp_path / "w.duckdb"
    import shutil

    shutil.copy(db, copy)
    code, output = _cli("check", "all", "--as-of", AS_OF.isoformat(), "--db", str(copy))
    assert code == 0, output
    # severities by their Chinese names in the summary, not the codes
    assert "阻断" in output
    assert not re.search(r"│ (block|exclude|review|deduct) ", output)
    masked, full = tmp_path / "links.csv", tmp_path / "links.parquet"
    code, output = _cli("links", "export", "--out", str(masked), "--db", str(copy))
    assert code == 0, output
    assert not FULL_ID.search(masked.read_text(encoding="utf-8"))
    frame = pl.read_csv(masked, infer_schema=False)
    assert frame["id_number"].str.contains(r"\*{8}").all()
    code, output = _cli(
        "links", "export", "--out", str(full), "--format", "parquet", "--full-id", "--db", str(copy)
    )
    assert code == 0, output
    links = pl.read_parquet(full)
    assert set(links["link"].unique()) >= {"exact", "fuzzy_swap"}
    fuzzy = links.filter(pl.col("link").str.starts_with("fuzzy"))
    planted = pl.read_parquet(world / "truth/expected_findings.parquet").filter(
        pl.col("match_level").is_not_null() & (pl.col("rule_code") != "ID_NAME_MISMATCH")
    )
    assert set(zip(fuzzy["class_id"], fuzzy["id_number"], strict=True)) == set(
        zip(planted["class_id"], planted["id_number"], strict=True)
    )
    assert fuzzy["rules"].str.contains("PRIOR_EMPLOYMENT").all()
    assert (fuzzy["record_id"] != fuzzy["id_number"]).all()


def test_cli_notice_lists_masked_trainees_and_the_period_end(
    loaded: tuple[Path, Path], tmp_path: Path
) -> None:
    import openpyxl
    import polars as pl

    world, db = loaded
    notices = pl.read_parquet(world / "operations/notices.parquet")
    batch = notices.group_by("batch_id").len().sort("len", "batch_id", descending=True)
    batch_id = batch["batch_id"][0]
    filed = notices.filter(pl.col("batch_id") == batch_id)
    xlsx = tmp_path / "notice.xlsx"
    code, output = _cli(
        "notice", "--batch", batch_id, "--as-of", AS_OF.isoformat(), "--json",
        "--xlsx", str(xlsx), "--db", str(db),
    )  # fmt: skip
    assert code == 0, output
    assert not FULL_ID.search(output)
    data = json.loads(output[: output.rindex("}") + 1])
    own = dict(zip(filed["class_id"], filed["ends_on"], strict=True))
    # one notice per publication day and end, each with only its own classes' period
    # (the world's own reckoning); a withheld class lends it nothing (issue 13, item 2)
    assert data["notices"]
    for part in data["notices"]:
        assert {own[c].isoformat() for c in part["classes"]} == {part["ends_on"]}
    listed = {c["class_id"] for c in data["classes"]} | {c["class_id"] for c in data["withheld"]}
    assert listed == set(filed["class_id"].to_list())
    for klass in data["classes"]:
        assert klass["ends_on"] == own[klass["class_id"]].isoformat()
        people = [t for t in data["trainees"] if t["class_id"] == klass["class_id"]]
        assert len(people) == klass["subsidised"]
        assert sum(t["amount_fen"] for t in people) == klass["proposed_fen"]
        assert all("*" in t["id_masked"] for t in people)
    ws = openpyxl.load_workbook(xlsx).active
    assert ws is not None
    assert ws.cell(4, 6).value == "身份证号码"
    assert str(ws.cell(2, 1).value).startswith("公示单位：")
    assert not any(
        FULL_ID.search(str(c)) for row in ws.iter_rows(values_only=True) for c in row if c
    )
    unknown, output = _cli("notice", "--batch", "B000000", "--db", str(db))
    assert unknown == 2
    assert "--class" in output


def test_cli_opening_of_a_draft_class_under_two_policies(
    loaded: tuple[Path, Path], tmp_path: Path
) -> None:
    """The same roster and filing, checked as Fushun 2023 and as Shenyang 2022: the
    differences are the notices' (Shenyang opens only on set days and treats a
    business licence as a lead for review; Fushun blocks it). Nothing is written."""
    import polars as pl

    world, db = loaded
    truth = pl.read_parquet(world / "truth/expected_findings.parquet")
    classes = pl.read_parquet(world / "operations/classes.parquet")
    business = truth.filter(
        (pl.col("rule_code") == "PRIOR_BUSINESS")
        & (pl.col("policy_id") == "fushun-2023")
        & (pl.col("severity") == "block")
    )
    from crosscheck.connectors.roster import read

    def readable(class_id: str) -> bool:
        roster = next((world / "rosters").glob(f"{class_id}.*"))
        return not read(roster).fatal

    business = business.filter(pl.col("class_id").map_elements(readable, return_dtype=pl.Boolean))
    class_id = business["class_id"][0]
    filed = classes.filter(pl.col("class_id") == class_id).row(0, named=True)
    filing = {
        k: (v.isoformat() if isinstance(v, dt.date) else v)
        for k, v in filed.items()
        if k not in ("policy_id", "approved_on", "actual_start", "status") and v is not None
    } | {"class_id": "DRAFT1"}
    path = tmp_path / "filing.json"
    path.write_text(json.dumps(filing, ensure_ascii=False), encoding="utf-8")
    roster = next((world / "rosters").glob(f"{class_id}.*"))
    runs = {}
    for policy_id in ("fushun-2023", "shenyang-2022"):
        code, output = _cli(
            "check", "opening", "--roster", str(roster), "--filing", str(path),
            "--policy", policy_id, "--as-of", AS_OF.isoformat(), "--json", "--db", str(db),
        )  # fmt: skip
        assert code in (1, 3), output
        runs[policy_id] = json.loads(output)
    fushun, shenyang = runs["fushun-2023"], runs["shenyang-2022"]
    person = business["id_number"][0]
    masked = person[:6] + "*" * 8 + person[-4:]

    def severity(run: dict[str, object], code: str) -> set[str]:
        found = run["findings"]
        assert isinstance(found, list)
        return {f["severity"] for f in found if f["rule_code"] == code and f["id_masked"] == masked}

    assert severity(fushun, "PRIOR_BUSINESS") == {"block"}
    assert severity(shenyang, "PRIOR_BUSINESS") == {"review"}
    opening_day = dt.date.fromisoformat(filing["planned_start"])
    shenyang_codes = {f["rule_code"] for f in shenyang["findings"]}
    fushun_codes = {f["rule_code"] for f in fushun["findings"]}
    allowed = calendar().opening_day(opening_day, [1, 16]).allowed  # 000 §3(四): 1st, 16th
    assert ("OPENING_DATE_NOT_ALLOWED" in shenyang_codes) == (not allowed)
    assert "OPENING_DATE_NOT_ALLOWED" not in fushun_codes  # Fushun sets no opening days
    con = warehouse.connect(db, read_only=True)
    try:
        written = con.execute("SELECT count(*) FROM findings WHERE class_id = 'DRAFT1'").fetchall()
    finally:
        con.close()
    assert written[0][0] == 0
    # a filing with a misspelt field and a bad date: one message naming both
    path.write_text(
        json.dumps({**filing, "planned_start": "2024-13-01", "majr": "x"}), encoding="utf-8"
    )
    code, output = _cli(
        "check", "opening", "--roster", str(roster), "--filing", str(path), "--db", str(db)
    )
    assert code == 2
    assert "filing.json" in output
    assert "majr" in output
    assert "major" in output
    assert "2024-13-01" in output


def test_a_run_over_a_few_classes_finds_what_the_full_run_finds(
    loaded: tuple[Path, Path], tmp_path: Path
) -> None:
    """The narrowed registries of a scoped run give exactly the full run's findings
    for those classes (nothing new, nothing resolved), fuzzy links included, and
    leave no shadow tables behind."""
    import shutil

    import polars as pl

    world, shared = loaded
    db = tmp_path / "copy.duckdb"
    shutil.copy(shared, db)
    truth = pl.read_parquet(world / "truth/expected_findings.parquet")
    fuzzy = truth.filter(pl.col("match_level").is_not_null())["class_id"].unique().sort()
    busiest = truth.group_by("class_id").len().sort("len", descending=True)["class_id"]
    chosen = sorted({*fuzzy.head(2).to_list(), *busiest.head(3).to_list()})
    con = warehouse.connect(db, create=True)
    try:
        stages = ["identity", "opening", "payout"]
        runner.run_stages(con, stages, "full", as_of=AS_OF)
        before = con.execute(
            "SELECT count(*) FROM findings "
            "WHERE resolved_at IS NULL AND list_contains($c, class_id)",
            {"c": chosen},
        ).fetchall()[0][0]
        scoped = runner.run_stages(con, stages, "scoped", as_of=AS_OF, class_ids=chosen)
        assert sum(s.found for s in scoped) == before > 0
        assert [(s.new, s.resolved) for s in scoped] == [(0, 0)] * 3
        shadows = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE temporary "
            "AND list_contains($t, table_name)",
            {"t": list(runner.PERSON_KEYED)},
        ).fetchall()[0][0]
        assert shadows == 0
    finally:
        con.close()


FORMULA = "=cmd|' /C calc'!A0"


def test_a_name_that_is_a_formula_stays_text_in_every_workbook(
    loaded: tuple[Path, Path], tmp_path: Path
) -> None:
    """Issue 12 item 5: a roster name like ``=cmd|' /C calc'!A0`` is written as text —
    never a live formula — in the review workbook, the 公示名单 and the 补贴核算表."""
    import shutil
    import zipfile

    import openpyxl
    import polars as pl

    world, shared = loaded
    db = tmp_path / "w.duckdb"
    shutil.copy(shared, db)
    notices = pl.read_parquet(world / "operations/notices.parquet")
    class_id = notices["class_id"][0]
    batch_id = notices["batch_id"][0]
    con = warehouse.connect(db, create=True)
    con.execute(
        "UPDATE roster_entries SET name = $n WHERE class_id = $c AND seq = "
        "(SELECT min(seq) FROM roster_entries WHERE class_id = $c)",
        {"n": FORMULA, "c": class_id},
    )
    con.execute("UPDATE institutions SET name = $n", {"n": '=HYPERLINK("http://x")'})
    con.close()
    review, notice, accounts = (tmp_path / f"{n}.xlsx" for n in ("review", "notice", "acc"))
    _cli("check", "opening", "--class", class_id, "--as-of", AS_OF.isoformat(),
         "--xlsx", str(review), "--db", str(db))  # fmt: skip
    _cli("notice", "--batch", batch_id, "--as-of", AS_OF.isoformat(), "--xlsx", str(notice),
         "--db", str(db))  # fmt: skip
    _cli("check", "payout", "--class", class_id, "--as-of", AS_OF.isoformat(),
         "--xlsx", str(accounts), "--db", str(db))  # fmt: skip
    for path in (review, notice, accounts):
        assert path.is_file(), path
        with zipfile.ZipFile(path) as z:
            sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert not any("<f>" in s for s in sheets), f"a formula in {path.name}"
        texts = {
            c.value
            for ws in openpyxl.load_workbook(path).worksheets
            for row in ws.iter_rows()
            for c in row
            if isinstance(c.value, str)
        }
        assert FORMULA in texts or '=HYPERLINK("http://x")' in texts, path.name
