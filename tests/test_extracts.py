"""The exchange contract carries every fact the rules read (issue 14, "Missing
facts"): a rule case's rows written as a province's files — the contract's tables
and columns (:mod:`crosscheck.world.schema`), nothing else — and loaded through the
bulk path give exactly the findings the case expects.

The cases are the catalogue's own (tests/cases/*.yaml, written from POLICY.md); the
facts under test are the filing batch of a class, the policy an approval is for, the
school whose campus a venue is, and the county of a household registration.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from crosscheck import warehouse
from crosscheck.casebook import build, model, run
from crosscheck.evidence import describe
from crosscheck.ingest.run import from_files
from crosscheck.world import schema

CASES = Path(__file__).parent / "cases"
# warehouse table -> the contract's table of the same name
# The truth and the planted decisions are the generator's answers, never loaded.
CONTRACT = {
    t.path.split("/")[-1]: t for t in schema.ALL if not t.path.startswith(("truth/", "decisions/"))
}


def _case(file: str, name: str) -> model.Case:
    (found,) = [x.case for x in run.load([CASES / file]) if x.case.name == name]
    return found


def write_extracts(built: build.Built, folder: Path) -> list[str]:
    """The case's rows as the contract's files (Parquet): only the contract's columns,
    as a province would send them. Returns the sources written."""
    for table, rows in built.rows.items():
        contract = CONTRACT[table]
        names = [c for c, _, _ in contract.columns]
        frame = schema.frame(contract.path, [{c: r.get(c) for c in names} for r in rows])
        path = folder / f"{contract.path}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(path)
    return list(built.rows)


def through_files(
    case: model.Case, tmp_path: Path
) -> tuple[run.Outcome, duckdb.DuckDBPyConnection]:
    """Build the case, write it as files, load them with the bulk path into a new
    warehouse and check every stage there."""
    built = build.build(case)
    sources = write_extracts(built, tmp_path / "exchange")
    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    _, outcomes = from_files(con, tmp_path / "exchange", sources=sources, as_of=built.as_of)
    bad = [o.as_dict() for o in outcomes if o.status != "loaded" or o.rejected]
    assert not bad, bad
    return run.check(con, built), con


def _agrees(case: model.Case, outcome: run.Outcome) -> None:
    problems = run.differences(case, outcome)
    assert not problems, f"{case.name}: {problems}; found {outcome.found}"


def test_a_filing_batch_sent_in_the_classes_file_makes_a_duplicate_on_both_rosters(
    tmp_path: Path,
) -> None:
    """POLICY.md ROSTER_DUPLICATE: the same person in two rosters of one filing batch —
    the batch coming from operations/classes, as the bulk path loads it."""
    case = _case(
        "identity.yaml",
        "the same person on the rosters of two classes of one filing batch is a duplicate on both",
    )
    outcome, con = through_files(case, tmp_path)
    try:
        batches = con.execute(
            "SELECT class_id, filing_batch FROM classes ORDER BY class_id"
        ).fetchall()
    finally:
        con.close()
    assert batches == [("CB", "F2025-01"), ("CMAIN", "F2025-01")]
    _agrees(case, outcome)
    assert "ROSTER_DUPLICATE=block" in outcome.found["identity"]
    assert "B:ROSTER_DUPLICATE=block" in outcome.found["identity"]


def test_classes_of_different_filing_batches_sent_in_files_are_not_duplicates(
    tmp_path: Path,
) -> None:
    case = _case(
        "identity.yaml",
        "the same person in overlapping classes of different batches is concurrent but not a "
        "roster duplicate",
    )
    outcome, con = through_files(case, tmp_path)
    con.close()
    _agrees(case, outcome)
    assert outcome.found["identity"] == []


@pytest.mark.parametrize(
    "name",
    [
        "a Shenyang class of a major the institution has approved only under Fushun's policy is "
        "refused",
        "a major approved under two policies on different terms is judged and paid on each "
        "class's own policy's terms",
    ],
)
def test_approvals_by_policy_sent_in_the_majors_file(name: str, tmp_path: Path) -> None:
    """directory/institution_majors.policy_id: one (major, level) approved under two
    policies is two rows of the export (not a key twice), each judged by its policy."""
    case = _case("classes.yaml", name)
    outcome, con = through_files(case, tmp_path)
    try:
        policies = con.execute(
            "SELECT DISTINCT policy_id FROM institution_majors ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    assert None not in {p for (p,) in policies}
    _agrees(case, outcome)


def test_a_campus_venue_sent_in_the_venues_file(tmp_path: Path) -> None:
    """directory/venues.school_code: Shenyang's own-graduate block on a school's campus."""
    case = _case(
        "eligibility.yaml",
        "Shenyang - a 2023 graduate trained at a venue on their school's campus is blocked, "
        "though the institution is not a school",
    )
    outcome, con = through_files(case, tmp_path)
    con.close()
    _agrees(case, outcome)
    (evidence,) = [e["evidence"] for e in outcome.evidence if e["rule"] == "OWN_GRADUATE"]
    assert "场地" in describe("OWN_GRADUATE", evidence)


def _region_case(county: str | None) -> model.Case:
    household: dict[str, Any] = {"province": "22", "city": "2201"}
    if county is not None:
        household["county"] = county
    return model.Case.parse(
        {
            "name": "another province's household, a Hebei school: region ineligible",
            "cites": "POLICY.md reading 5",
            "class": {"policy": "fushun-2023", "opening": dt.date(2025, 3, 10)},
            "trainees": [
                {
                    "household": household,
                    "student": [{"graduated": dt.date(2024, 6, 30), "school": "hebei"}],
                }
            ],
            "expect": {"opening": ["REGION_INELIGIBLE=block"]},
        }
    )


def test_a_household_county_sent_in_the_registry_file_is_kept_and_cited(tmp_path: Path) -> None:
    """registries/household_registration.county_code: stored, and named in the region
    evidence that cites the household record; no verdict changes."""
    case = _region_case("220102")
    outcome, con = through_files(case, tmp_path)
    try:
        counties = con.execute("SELECT county_code FROM household_registration").fetchall()
    finally:
        con.close()
    assert counties == [("220102",)]
    _agrees(case, outcome)
    (evidence,) = [e["evidence"] for e in outcome.evidence if e["rule"] == "REGION_INELIGIBLE"]
    assert json.loads(evidence)["county"] == "220102"
    assert describe("REGION_INELIGIBLE", evidence).startswith("户籍在吉林省长春市南关区，")


def test_without_a_county_the_region_evidence_names_the_city() -> None:
    outcome = run.run(_region_case(None))
    assert outcome.found["opening"] == ["REGION_INELIGIBLE=block"]
    (evidence,) = [e["evidence"] for e in outcome.evidence if e["rule"] == "REGION_INELIGIBLE"]
    assert json.loads(evidence).get("county") is None
    assert describe("REGION_INELIGIBLE", evidence).startswith("户籍在吉林省长春市，")


def test_the_warehouse_keeps_every_column_of_the_contract() -> None:
    """Each source's warehouse table has every contract column (a snapshot load inserts
    only the columns the warehouse has: a column missing there would be dropped
    silently) — but the roster's phone, which the warehouse keeps only masked."""
    dropped = {("roster_entries", "phone")}
    con = duckdb.connect()
    try:
        warehouse.migrate(con)
        for table, contract in CONTRACT.items():
            held = {
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                    [table],
                ).fetchall()
            }
            missing = [
                c for c, _, _ in contract.columns if c not in held and (table, c) not in dropped
            ]
            assert not missing, (table, missing)
    finally:
        con.close()
