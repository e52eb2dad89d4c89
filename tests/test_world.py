"""The synthetic world: deterministic, complete, and true to its ground truth."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from crosscheck import idnumber
from crosscheck.cli import app
from crosscheck.rules import RULES
from crosscheck.world import plants, schema
from crosscheck.world.advance import advance
from crosscheck.world.generate import generate
from crosscheck.world.scales import AS_OF


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("worlds") / "tiny"
    generate("tiny", 7, out)
    return out


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("worlds") / "small"
    generate("small", 7, out)
    return out


def _read(world: Path, path: str) -> pl.DataFrame:
    return pl.read_parquet(world / f"{path}.parquet")


def _bytes(world: Path) -> dict[str, bytes]:
    return {
        p.relative_to(world).as_posix(): p.read_bytes()
        for p in sorted(world.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes(tiny: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate("tiny", 7, again)
    assert _bytes(again) == _bytes(tiny)


def test_same_seed_same_bytes_at_small_scale(small: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate("small", 7, again)
    assert _bytes(again) == _bytes(small)


def test_another_seed_another_world(tiny: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    generate("tiny", 8, other)
    assert (other / "world.json").read_bytes() != (tiny / "world.json").read_bytes()


@pytest.mark.parametrize("scale", ["tiny", "small"])
def test_every_rule_code_is_planted(scale: str, request: pytest.FixtureRequest) -> None:
    world: Path = request.getfixturevalue(scale)
    codes = set(_read(world, "truth/expected_findings")["rule_code"])
    assert codes == set(RULES)


def test_every_planted_case_including_the_negatives_appears_at_small_scale(small: Path) -> None:
    cases = set(_read(small, "truth/cases")["case"])
    catalogue = {p.name for p in plants.TRAINEE_PLANTS}
    assert catalogue <= cases
    negatives = plants.CLASS_NEGATIVES | {"class_too_large", "filed_4_workdays_ahead"}
    assert negatives <= cases
    counts = json.loads((small / "world.json").read_text())["plants"]["trainee"]
    assert min(counts.values()) >= 2


def test_negatives_expect_nothing_and_positives_expect_something(tiny: Path) -> None:
    cases = _read(tiny, "truth/cases")
    negatives = plants.NEGATIVES | plants.CLASS_NEGATIVES
    for row in cases.iter_rows(named=True):
        assert (row["expects"] == "") == (row["case"] in negatives), row


def test_the_world_has_its_own_date(tiny: Path) -> None:
    manifest = json.loads((tiny / "world.json").read_text())
    assert manifest["as_of"] == AS_OF.isoformat()
    for table in schema.REGISTRIES:
        latest = _registry(tiny, table.path)["updated_at"].max()
        assert latest is not None
        assert latest.date() <= AS_OF, table.path  # type: ignore[union-attr]


def _registry(world: Path, path: str) -> pl.DataFrame:
    encoding = schema.CSV_FILES.get(path)
    if encoding is None:
        return pl.read_parquet(world / f"{path}.parquet")
    name = f"{path}.gb18030.csv" if encoding == "gb18030" else f"{path}.csv"
    text = pl.read_csv(
        world / name, encoding="gb18030" if encoding == "gb18030" else "utf8", infer_schema=False
    )
    return schema.from_text(path, text)


def test_registry_files_have_the_documented_columns(tiny: Path) -> None:
    for table in schema.REGISTRIES:
        frame = _registry(tiny, table.path)
        assert frame.columns == [c for c, _, _ in table.columns]


def test_classes_carry_their_filing_batch_and_households_their_county(tiny: Path) -> None:
    """Issue 14: a class's filing batch is its institution's filing of that day (so
    no trainee is on two rosters of one batch unless planted); a household record's
    county lies in its city."""
    classes = _read(tiny, "operations/classes")
    filed = classes.filter(pl.col("filed_on").is_not_null())
    assert filed["filing_batch"].null_count() == 0
    assert classes.filter(pl.col("filed_on").is_null())["filing_batch"].null_count() == (
        classes.height - filed.height
    )
    per_batch = filed.group_by("filing_batch").agg(
        pl.col("institution_id").n_unique(), pl.col("filed_on").n_unique(), pl.len()
    )
    assert (per_batch["institution_id"] == 1).all()
    assert (per_batch["filed_on"] == 1).all()
    roster = _read(tiny, "operations/roster_entries").join(
        filed.select("class_id", "filing_batch"), on="class_id"
    )
    twice = roster.group_by("filing_batch", "id_number").agg(pl.col("class_id").n_unique())
    assert (twice["class_id"] == 1).all()
    people = _registry(tiny, "registries/household_registration")
    assert people["county_code"].null_count() == 0
    assert (people["county_code"].str.slice(0, 4) == people["city_code"]).all()


def test_people_are_unique_and_valid(small: Path) -> None:
    people = _read(small, "registries/household_registration")
    assert people["id_number"].n_unique() == people.height
    sample = people["id_number"].sample(2000, seed=1)
    assert all(idnumber.check(n, as_of=AS_OF).valid for n in sample)


def test_only_planted_roster_ids_are_invalid(tiny: Path) -> None:
    roster = _read(tiny, "operations/roster_entries")
    planted = set(
        _read(tiny, "truth/expected_findings").filter(pl.col("rule_code") == "ID_INVALID")[
            "id_number"
        ]
    )
    invalid = {n for n in roster["id_number_raw"] if not idnumber.check(n, as_of=AS_OF).valid}
    assert {idnumber.normalize(n) for n in invalid} == planted
    assert planted


def test_accounting_adds_up(small: Path) -> None:
    acc = _read(small, "truth/expected_accounting")
    assert acc.height > 10
    for r in acc.iter_rows(named=True):
        excluded = sum(
            r[c]
            for c in (
                "dropped_out",
                "social_insurance",
                "exam_failed",
                "exam_absent",
                "materials_failed",
                "other_excluded",
            )
        )
        assert r["subsidised"] == r["opened"] - excluded
        by_rate = json.loads(r["by_rate"])
        assert sum(n for _, n, _ in by_rate) == r["subsidised"]
        assert sum(p for _, _, p in by_rate) == r["proposed_fen"]
        assert r["actual_fen"] == r["proposed_fen"] - r["total_deduction_fen"]
    fushun = acc.filter(pl.col("policy_id") == "fushun-2023")
    assert fushun.filter(pl.col("attendance_deduction_fen") > 0).height >= 1
    rates = {rate for r in fushun["by_rate"] for rate, _, _ in json.loads(r)}
    assert {100000, 150000, 200000} <= rates  # own graduates, special ability, skill level


def test_payments_follow_the_accounting(small: Path) -> None:
    pay = _read(small, "operations/payments").join(
        _read(small, "truth/expected_accounting"), on="class_id"
    )
    assert pay.height > 0
    assert (pay["amount_fen"] == pay["actual_fen"]).all()


def test_xlsx_rosters_have_title_rows_merged_headers_and_destroyed_ids(tiny: Path) -> None:
    truth = _read(tiny, "truth/rosters")
    assert set(truth["format"]) == {"xlsx", "csv-utf8", "csv-gb18030"}
    numeric = truth.filter(pl.col("ids_as_numbers")).row(0, named=True)
    sheet = openpyxl.load_workbook(tiny / "rosters" / numeric["file"]).active
    assert sheet is not None
    assert "花名册" in str(sheet.cell(1, 1).value)
    assert "A3:A4" in {str(r) for r in sheet.merged_cells.ranges}
    assert "E3:G3" in {str(r) for r in sheet.merged_cells.ranges}
    value = sheet.cell(5, 4).value
    assert isinstance(value, float | int)  # stored as a number: its last digits are gone
    errors = json.loads(numeric["expected_errors"])
    assert [5, "身份证号码", "id_stored_as_number"] in errors


def test_gb18030_exports_decode_and_carry_names_gbk_cannot(small: Path) -> None:
    raw = (small / "registries/business_licences.gb18030.csv").read_bytes()
    text = raw.decode("gb18030")
    assert text.startswith("record_key,id_number,name")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("gbk")  # 䶮 and friends: GB18030, not GBK


def test_advance_writes_deltas_and_their_truth_deterministically(
    tiny: Path, tmp_path: Path
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(tiny, a)
    shutil.copytree(tiny, b)
    advance(a, 2)
    advance(b, 1)
    advance(b, 1)
    assert _bytes(a) == _bytes(b)
    manifest = json.loads((a / "world.json").read_text())
    assert manifest["as_of"] == "2025-12-22"
    deltas = sorted((a / "registries" / "deltas").iterdir())
    assert [d.name for d in deltas] == ["2025-12-21", "2025-12-22"]
    new = _read(a, "truth/cases").filter(pl.col("case").str.starts_with("advance_"))
    assert new.height >= 2
    changed = pl.concat(
        [pl.read_parquet(p) for p in deltas[0].glob("*.parquet") if pl.read_parquet(p).height],
        how="diagonal_relaxed",
    )
    assert changed["updated_at"].min().date().isoformat() == "2025-12-21"  # type: ignore[union-attr]


def test_cli_generate_and_info(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "w"
    result = runner.invoke(
        app, ["world", "generate", "--scale", "tiny", "--seed", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (out / "world.json").exists()
    info = runner.invoke(app, ["world", "info", "--world", str(out)], env={"COLUMNS": "200"})
    assert "registries/pension_contributions" in info.output
    bad = runner.invoke(app, ["world", "generate", "--scale", "huge", "--out", str(tmp_path / "x")])
    assert bad.exit_code != 0


def test_roster_rows_are_numbered_within_each_class(tiny: Path) -> None:
    roster = _read(tiny, "operations/roster_entries")
    assert roster["seq"].null_count() == 0
    per_class = roster.group_by("class_id").agg(
        pl.col("seq").min().alias("lo"), pl.col("seq").max().alias("hi"), pl.len()
    )
    assert (per_class["lo"] == 1).all()
    assert (per_class["hi"] == per_class["len"]).all()


def test_generate_never_deletes_a_folder_that_is_not_a_world(tmp_path: Path) -> None:
    """`world generate --out DIR` removed whatever DIR named before writing (a home
    folder included): now a folder that holds anything but a world is refused and
    left as it was; an empty one is used."""
    import pytest

    from crosscheck.errors import CrosscheckError
    from crosscheck.world.generate import generate

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_bytes(b"years of work")
    with pytest.raises(CrosscheckError, match="不会覆盖"):
        generate("tiny", 3, mine)
    assert (mine / "thesis.docx").read_bytes() == b"years of work"
    with pytest.raises(CrosscheckError, match="非负"):
        generate("tiny", -5, tmp_path / "w")
    assert not (tmp_path / "w.partial").exists()


def test_planted_decisions_change_only_what_they_decide(small: Path, tmp_path: Path) -> None:
    """``--decisions``: the same world of the seed, but for the decisions' files, the
    next day's delta with the new records, and the accounting (and the payments made
    on it) of the classes a decision lifts."""
    decided = tmp_path / "decided"
    manifest = generate("small", 7, decided, decisions=True)
    assert manifest["decisions"] == {
        "dismiss": 2,
        "dismiss_reopened": 2,
        "override": 2,
        "override_refused": 2,
    }
    plain, other = _bytes(small), _bytes(decided)
    changed = {p for p in plain if plain[p] != other.get(p)}
    assert changed <= {
        "world.json",
        "truth/expected_accounting.parquet",
        "operations/payments.parquet",
    }
    assert set(other) - set(plain) == {
        "decisions/planted.parquet",
        "truth/expected_decisions.parquet",
        f"registries/deltas/{AS_OF + dt.timedelta(days=1)}/pension_contributions.parquet",
    }
    truth = _read(decided, "truth/expected_decisions")
    made = _read(decided, "decisions/planted")
    key = ["stage", "class_id", "id_number", "rule_code"]
    assert made.select(key).equals(truth.select(key))
    # each override is of a limit "in principle", each refused one is not
    from crosscheck import policy

    classes = _read(decided, "operations/classes")
    for r in truth.filter(pl.col("case").str.starts_with("override")).iter_rows(named=True):
        (policy_id,) = classes.filter(pl.col("class_id") == r["class_id"])["policy_id"]
        rule = policy.get(policy_id).rules[r["rule_code"]]
        assert rule.overridable == (r["case"] == "override"), r
    # the reopening records are on the dismissed trainees' own numbers
    later = pl.read_parquet(next((decided / "registries/deltas").rglob("*.parquet")))
    reopened = truth.filter(pl.col("case") == "dismiss_reopened")["id_number"].to_list()
    assert sorted(later["id_number"].to_list()) == sorted(reopened)


def test_eval_scores_the_planted_decisions(tmp_path: Path) -> None:
    """``eval`` on a world with decisions: made after the first night, the next day's
    delta loaded, every check again — exact; and a truth that says otherwise fails."""
    from tests.conftest import run_cli

    world = tmp_path / "w"
    generate("small", 21, world, decisions=True)
    home = tmp_path / "home"
    done = run_cli("eval", "--world", str(world), "--db", str(tmp_path / "e.duckdb"), home=home)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "审核结论：埋入 8 个，效果不一致 0 个" in done.stdout
    assert "金额不一致 0 处" in done.stdout
    # the truth says a reopened one stays dismissed: eval must say it does not
    path = world / "truth/expected_decisions.parquet"
    truth = pl.read_parquet(path)
    truth.with_columns(
        status=pl.when(pl.col("case") == "dismiss_reopened")
        .then(pl.lit("已驳回"))
        .otherwise(pl.col("status"))
    ).write_parquet(path)
    again = run_cli("eval", "--world", str(world), "--db", str(tmp_path / "f.duckdb"), home=home)
    assert again.returncode == 1
    assert "审核结论：埋入 8 个，效果不一致 2 个" in again.stdout
    assert "应为“已驳回”，实为“证据已变化，重新待审核”" in again.stdout
