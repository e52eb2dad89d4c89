"""POLICY.md reading 2 on every path an ID number comes in by (issue 14): the bulk
registry extracts (Parquet, GB18030 and UTF-8 CSV), the registries over HTTP, the
bulk roster export, ``crosscheck roster load``, ``crosscheck check opening --roster``
and the upload page each normalise the number themselves (NFKC, all whitespace
removed, upper case) and keep the text as it came.

One small world (a rule-case class of Fushun 2023, built by the casebook) holds
everyone: per ID variant (full-width digits, inner spaces, a tab, U+3000, a
lower-case ``x``, all at once) and per kind of number (check character X or a
digit) one trainee whose registry records are typed so while the roster is clean,
and one whose roster is typed so while the registries are clean (for the bulk
roster in each shape a producer may send: only ``id_number_raw``, only an
un-normalised ``id_number``, or both). Every trainee has a record in each of the
seven person-keyed registries, each of which changes the findings when it links:

* household (province 22) + a Jilin school: REGION_INELIGIBLE on the household's
  word — unlinked, the ID's region (Liaoning) would give HUKOU_PROOF_REQUIRED;
* student status: unlinked, NOT_IN_COHORT;
* pension, licence, training record, dishonesty listing: PRIOR_EMPLOYMENT,
  PRIOR_BUSINESS, ALREADY_TRAINED_THIS_YEAR, TRAINEE_BLACKLISTED;
* provincial training system (an online class in Liaoning): unlinked,
  NOT_IN_PROVINCIAL_SYSTEM.

"The link" is proven three ways: the ``links`` row of the record (link
``normalised``, the record's number the trainee's), the record cited in the
findings' evidence, and the trainee's findings equal to those of a control trainee
typed cleanly on both sides. The reviews of a class not on file (``check opening
--roster`` and the upload page) run the opening rules only, so they show no
``links`` rows and no provincial-system rule: there the findings and their
evidence are the proof, for the six other registries.

A bulk roster may send only ``id_number_raw``, only an un-normalised ``id_number``,
or both: each keeps the text as sent in ``id_number_raw``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from crosscheck import idnumber, warehouse
from crosscheck.casebook import build, model
from crosscheck.ingest.sources import SOURCES
from crosscheck.world import rosters, schema

OPENING = dt.date(2024, 10, 8)
CLASS = "CMAIN"  # the casebook's main class
REGION = "210402"  # Fushun, Xinfu district

# ----------------------------------------------------------------- the variants

_FULL = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
VARIANTS: dict[str, Callable[[str], str]] = {
    "fullwidth": lambda n: n.translate(_FULL),
    "inner_spaces": lambda n: f"{n[:6]} {n[6:14]} {n[14:]}",
    "tab": lambda n: f"{n[:6]}\t{n[6:]}",
    "ideographic_space": lambda n: f"{n[:6]}\u3000{n[6:14]}\u3000{n[14:]}",
    "lower_x": str.lower,
    "all_at_once": lambda n: (
        f"{n[:6].translate(_FULL)} {n[6:14]}\u3000{n[14:17].translate(_FULL)}\t{n[17:].lower()}"
    ),
}
KINDS = {"x": True, "digit": False}  # does the check character read X
# how the bulk roster export (operations/roster_entries) sends a number typed loosely
SHAPES = ("raw_only", "id_only", "both")
# the registries that hold person IDs, and the record each trainee has in them
REGISTRIES = tuple(name for name, source in SOURCES.items() if source.id_column)
LINKED = REGISTRIES[:-1]  # those with a ``links`` row (the provincial system has none)
# pulled over HTTP (the others, if any, from their files): on this world a pull of
# every registry costs about as much as one
HTTP_REGISTRIES = REGISTRIES
# extracts as the world writes them: most Parquet, licences GB18030 CSV, the list UTF-8 CSV
CSV_FILES = {"business_licences": ("gb18030.csv", "gb18030"), "dishonesty_list": ("csv", "utf-8")}
# what each registry's record causes when it links (the evidence cites it)
CAUSES = {
    "pension_contributions": "PRIOR_EMPLOYMENT",
    "business_licences": "PRIOR_BUSINESS",
    "training_records": "ALREADY_TRAINED_THIS_YEAR",
    "dishonesty_list": "TRAINEE_BLACKLISTED",
}


def _kind_ok(variant: str, kind: str) -> bool:
    return variant != "lower_x" or kind == "x"  # lower case changes nothing but an x


@dataclass(frozen=True)
class Person:
    label: str
    number: str  # the valid number, as crosscheck stores it
    side: str  # registry / roster (typed there) / control (clean) / nobody (no records)
    variant: str | None = None
    kind: str = "digit"
    shape: str = "both"

    @property
    def typed(self) -> str:
        return VARIANTS[self.variant](self.number) if self.variant else self.number

    def key(self, registry: str) -> str:
        """The key of this person's record in ``registry`` (the casebook's keys)."""
        prefix = {
            "student_status": "ST",
            "pension_contributions": "PE",
            "business_licences": "LI",
            "training_records": "TR",
            "dishonesty_list": "DP",
        }
        if registry == "household_registration":
            return self.number
        if registry == "provincial_training_system":
            return f"PT-{CLASS}-{self.number}"
        return f"{prefix[registry]}-{self.label}-0"


def _number(index: int, ends_in_x: bool, taken: set[str]) -> str:
    """A valid number of its own block (birth date), whose last four characters —
    what a masked number shows — no one else has."""
    birth = dt.date(2001, 3, 1) + dt.timedelta(days=index)
    for seq in range(101, 1000):
        first17 = f"{REGION}{birth:%Y%m%d}{seq:03d}"
        number = first17 + idnumber.check_digit(first17)
        if number.endswith("X") == ends_in_x and number[-4:] not in taken:
            taken.add(number[-4:])
            return number
    raise AssertionError("no number left")


def _people() -> list[Person]:
    taken: set[str] = set()
    out: list[Person] = []

    def add(label: str, side: str, kind: str, **kw: Any) -> None:
        out.append(Person(label, _number(len(out), KINDS[kind], taken), side, kind=kind, **kw))

    add("cx", "control", "x")
    add("cd", "control", "digit")
    add("nobody", "nobody", "digit")
    for kind in KINDS:
        for variant in VARIANTS:
            if not _kind_ok(variant, kind):
                continue
            add(f"g_{variant}_{kind}", "registry", kind, variant=variant)
            for shape in SHAPES:
                add(f"r_{variant}_{kind}_{shape}", "roster", kind, variant=variant, shape=shape)
    return out


PEOPLE = _people()
BY_LABEL = {p.label: p for p in PEOPLE}


def person(side: str, variant: str, kind: str, shape: str = "raw_only") -> Person:
    if side == "registry":
        return BY_LABEL[f"g_{variant}_{kind}"]
    return BY_LABEL[f"r_{variant}_{kind}_{shape}"]


def control(p: Person) -> Person:
    return BY_LABEL["cx" if p.kind == "x" else "cd"]


def _trainee_spec(p: Person) -> dict[str, Any]:
    if p.side == "nobody":
        return {
            "label": p.label,
            "id": p.number,
            "household": None,
            "student": [],
            "provincial": False,
        }
    return {
        "label": p.label,
        "id": p.number,
        "household": {"province": "22"},
        "student": [{"graduated": "2023-06-30", "school": "jilin"}],
        "pension": [{"start": "2024-08"}],
        "licences": [{"established": "2024-09-02"}],
        "training": [{"start": "2024-03-01", "end": "2024-06-30"}],
        "blacklist": [{"start": "2024-01-01"}],
    }


# ----------------------------------------------------------------- the world


@dataclass
class World:
    root: Path
    as_of: dt.date
    end: dt.date
    rows: dict[str, list[dict[str, Any]]]  # the casebook's rows, numbers as stored


def _registry_text(number: str) -> str:
    """The number as the registries send it: typed loosely for the registry side."""
    p = next(x for x in PEOPLE if x.number == number)
    return p.typed if p.side == "registry" else number


def _roster_columns(number: str) -> tuple[str | None, str | None]:
    """(id_number, id_number_raw) as the city's roster export sends them."""
    p = next(x for x in PEOPLE if x.number == number)
    if p.side != "roster":
        return number, number
    return {
        "raw_only": (None, p.typed),
        "id_only": (p.typed, None),
        "both": (p.typed, p.typed),
    }[p.shape]


def _write_world(root: Path) -> World:
    case = model.Case.parse(
        {
            "name": "every path normalises ID numbers",
            "cites": "POLICY.md reading 2",
            "class": {"policy": "fushun-2023", "opening": OPENING.isoformat(), "hours_online": 20},
            "trainees": [_trainee_spec(p) for p in PEOPLE],
            "expect": {},
        }
    )
    built = build.build(case)
    paths = {p.split("/")[-1]: p for p in schema.BY_PATH}
    stamp = dt.datetime(2025, 1, 2, 3, 4, 5)
    for table, rows in built.rows.items():
        path = paths[table]
        columns = schema.BY_PATH[path].schema
        out = []
        for row in rows:
            row = dict(row)
            if path.startswith("registries/") and row.get("id_number"):
                row["id_number"] = _registry_text(row["id_number"])
                row["updated_at"] = stamp
            if table == "roster_entries":
                row["id_number"], row["id_number_raw"] = _roster_columns(row["id_number"])
            out.append({c: row.get(c) for c in columns})
        frame = schema.frame(path, out)
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if table in CSV_FILES:
            suffix, encoding = CSV_FILES[table]
            text = frame.write_csv(date_format="%Y-%m-%d", datetime_format="%Y-%m-%d %H:%M:%S")
            target.with_name(f"{table}.{suffix}").write_bytes(text.encode(encoding))
        else:
            frame.write_parquet(target.with_name(f"{table}.parquet"))
    classes = built.rows["classes"]
    return World(root, built.as_of, classes[0]["planned_end"], built.rows)


@pytest.fixture(scope="module")
def module_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """CROSSCHECK_HOME for the module's fixtures (the autouse ``home`` is per test)."""
    home = tmp_path_factory.mktemp("id_paths_home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CROSSCHECK_HOME", str(home))
        yield home


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return _write_world(tmp_path_factory.mktemp("id_paths") / "world")


@pytest.fixture(scope="module")
def base(world: World, module_home: Path) -> Path:
    """A warehouse with the directory and the city's operational data (the bulk
    roster among them) loaded from the world's files; no registry yet."""
    from crosscheck.ingest.run import from_files
    from crosscheck.ingest.sources import SNAPSHOTS

    db = world.root.parent / "base.duckdb"
    con = warehouse.connect(db, create=True)
    try:
        _, outcomes = from_files(con, world.root, sources=list(SNAPSHOTS), as_of=world.as_of)
    finally:
        con.close()
    assert all(o.status == "loaded" and not o.rejected for o in outcomes), outcomes
    return db


# ----------------------------------------------------------------- what a run left


@dataclass
class Result:
    db: Path
    # (person, registry) -> [(record key, the record's number, link)]
    links: dict[tuple[str, str], list[tuple[str, str, str]]]
    # person -> {(rule code, severity, match level)} of every stage
    findings: dict[str, set[tuple[str, str, str | None]]]
    evidence: dict[tuple[str, str], str]  # (person, rule code) -> evidence JSON
    registry_rows: dict[tuple[str, str], tuple[str, str | None]]  # (registry, key) -> numbers
    roster_rows: dict[str, tuple[str, str | None]]  # stored number -> (id_number, raw)


def _collect(db: Path) -> Result:
    con = warehouse.connect(db, read_only=True)
    try:
        links: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
        for number, registry, key, record, link in con.execute(
            "SELECT id_number, source, record_key, record_id, link FROM links "
            "WHERE class_id = ? ORDER BY ALL",
            [CLASS],
        ).fetchall():
            links.setdefault((number, registry), []).append((key, record, link))
        findings: dict[str, set[tuple[str, str, str | None]]] = {}
        evidence = {}
        for number, code, severity, level, ev in con.execute(
            "SELECT id_number, rule_code, severity, match_level, CAST(evidence AS VARCHAR) "
            "FROM findings WHERE class_id = ? AND resolved_at IS NULL AND id_number IS NOT NULL",
            [CLASS],
        ).fetchall():
            findings.setdefault(number, set()).add((code, severity, level))
            evidence[(number, code)] = ev
        registry_rows = {}
        for registry in REGISTRIES:
            key = "id_number" if registry == "household_registration" else "record_key"
            for k, number, raw in con.execute(
                f"SELECT {key}, id_number, id_number_raw FROM {registry}"
            ).fetchall():
                registry_rows[(registry, k)] = (number, raw)
        roster_rows = {
            number: (number, raw)
            for number, raw in con.execute(
                "SELECT id_number, id_number_raw FROM roster_entries WHERE class_id = ?", [CLASS]
            ).fetchall()
        }
    finally:
        con.close()
    return Result(db, links, findings, evidence, registry_rows, roster_rows)


def _check(db: Path, as_of: dt.date) -> None:
    from crosscheck.checks import runner

    con = warehouse.connect(db)
    try:
        runner.run_stages(con, ["identity", "opening", "payout"], "id-paths", as_of=as_of)
    finally:
        con.close()


@pytest.fixture(scope="module")
def by_files(world: World, base: Path) -> Result:
    """Every registry from its bulk extract, then every check."""
    from crosscheck.ingest.run import from_files

    db = world.root.parent / "files.duckdb"
    shutil.copy(base, db)
    con = warehouse.connect(db)
    try:
        _, outcomes = from_files(con, world.root, sources=list(REGISTRIES), as_of=world.as_of)
    finally:
        con.close()
    assert all(o.status == "loaded" and not o.rejected for o in outcomes), outcomes
    _check(db, world.as_of)
    return _collect(db)


@pytest.fixture(scope="module")
def by_http(world: World, base: Path) -> Result:
    """The registries of :data:`HTTP_REGISTRIES` pulled over HTTP from the simulator
    serving the world (the others from their files), then every check."""
    from crosscheck.ingest.run import from_files, from_http
    from tests.test_simulator import TOKEN, _serve, stop

    db = world.root.parent / "http.duckdb"
    shutil.copy(base, db)
    server, url = _serve(world.root)
    con = warehouse.connect(db)
    try:
        _, outcomes = from_http(con, url, TOKEN, sources=list(HTTP_REGISTRIES), as_of=world.as_of)
        rest = [r for r in REGISTRIES if r not in HTTP_REGISTRIES]
        if rest:
            outcomes += from_files(con, world.root, sources=rest, as_of=world.as_of)[1]
    finally:
        con.close()
        stop(server)
    assert all(o.status == "loaded" and not o.rejected for o in outcomes), outcomes
    _check(db, world.as_of)
    return _collect(db)


# ----------------------------------------------------------------- roster files


def _on_file() -> list[Person]:
    """Who a roster file lists: everyone with one roster-side trainee per variant and
    kind (a file has no shapes: it is the text as typed)."""
    return [p for p in PEOPLE if p.side != "roster" or p.shape == "raw_only"]


def _entries(world: World, people: list[Person]) -> list[dict[str, Any]]:
    """Roster rows as :mod:`crosscheck.world.rosters` writes them: the roster side's
    numbers typed loosely, everyone else's clean."""
    names = {r["id_number"]: r["name"] for r in world.rows["roster_entries"]}
    return [
        {
            "name": names[p.number],
            "sex": None,
            "id_number_raw": p.typed if p.side == "roster" else p.number,
            "school_name": "吉林大学",
            "graduated_on": dt.date(2023, 6, 30),
            "education": "本科",
            "phone": "13800000000",
        }
        for p in people
    ]


def _roster_file(world: World, kind: str) -> tuple[Path, dict[int, Person]]:
    """A 学员花名册 of the class (``xlsx``, ``gb18030`` or ``utf8`` CSV) and which
    trainee is on which row (the row a review's ``seq`` names)."""
    people = _on_file()
    entries = _entries(world, people)
    folder = world.root.parent / "rosters"
    folder.mkdir(exist_ok=True)
    if kind == "xlsx":
        path = folder / f"{CLASS}.xlsx"
        klass = {k: world.rows["classes"][0][k] for k in ("class_id", "policy_id", "major")}
        klass["planned_start"] = OPENING
        rosters.write_xlsx(path, klass, "案例职业培训学校I0001", entries, ids_as_numbers=False)
        first = rosters.FIRST_DATA_ROW
    else:
        path = folder / f"{CLASS}.{kind}.csv"
        rosters.write_csv(path, entries, "utf-8" if kind == "utf8" else "gb18030")
        first = 2
    return path, {first + i: p for i, p in enumerate(people)}


def _filing(world: World) -> dict[str, Any]:
    """The filing of a new class like the main one (same institution, major and dates)."""
    main = world.rows["classes"][0]
    return {
        "class_id": "NEW1",
        "region_code": REGION,
        "institution_id": main["institution_id"],
        "major": main["major"],
        "level": main["level"],
        "planned_start": OPENING.isoformat(),
        "planned_end": world.end.isoformat(),
        "months": main["months"],
        "hours_total": main["hours_total"],
        "hours_online": main["hours_online"],
        "online_platform": main["online_platform"],
        "venue_id": main["venue_id"],
        "filed_on": main["filed_on"].isoformat(),
    }


@pytest.fixture(scope="module")
def by_roster_load(world: World, by_files: Result) -> Result:
    """``crosscheck roster load`` of an .xlsx roster over the class, then ``crosscheck
    check all`` — both through the CLI."""
    from crosscheck.cli import app

    db = world.root.parent / "roster-load.duckdb"
    shutil.copy(by_files.db, db)
    path, _ = _roster_file(world, "xlsx")
    runner = CliRunner()
    loaded = runner.invoke(app, ["roster", "load", str(path), "--class", CLASS, "--db", str(db)])
    assert loaded.exit_code == 0, loaded.output
    as_of = world.as_of.isoformat()
    checked = runner.invoke(app, ["check", "all", "--as-of", as_of, "--db", str(db)])
    assert checked.exit_code == 0, checked.output
    return _collect(db)


@dataclass
class Review:
    """A review's JSON and which trainee is on which roster row."""

    answer: dict[str, Any]
    rows: dict[int, Person]

    def trainee(self, p: Person) -> dict[str, Any]:
        seq = next(s for s, x in self.rows.items() if x == p)
        (found,) = [t for t in self.answer["trainees"] if t["seq"] == seq]
        return dict(found)

    def findings(self, p: Person) -> dict[str, dict[str, Any]]:
        masked = self.trainee(p)["id_masked"]
        return {f["rule_code"]: f for f in self.answer["findings"] if f["id_masked"] == masked}


@pytest.fixture(scope="module")
def by_draft_cli(world: World, by_files: Result) -> Review:
    """``crosscheck check opening --roster R --filing F`` with a GB18030 CSV roster."""
    from crosscheck.cli import app

    path, rows = _roster_file(world, "gb18030")
    filing = world.root.parent / "filing.json"
    filing.write_text(json.dumps(_filing(world), ensure_ascii=False), encoding="utf-8")
    args = ["check", "opening", "--roster", str(path), "--filing", str(filing)]
    args += ["--as-of", world.as_of.isoformat(), "--json", "--db", str(by_files.db)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (1, 3), result.output
    return Review(json.loads(result.output), rows)


@pytest.fixture(scope="module")
def by_upload(world: World, by_files: Result, module_home: Path) -> Review:
    """The upload page's check (``POST /api/opening-check``) with a UTF-8 CSV roster,
    on a snapshot of the warehouse as the publisher leaves it."""
    from fastapi.testclient import TestClient

    from crosscheck.reports.publish import snapshot
    from crosscheck.service.app import create_app
    from crosscheck.service.auth import Principal

    con = warehouse.connect(by_files.db)
    try:
        copy = snapshot(con, by_files.db, module_home / "snapshot.duckdb")
    finally:
        con.close()
    path, rows = _roster_file(world, "utf8")
    token = "reviewer-token-for-id-paths"
    app = create_app(
        module_home / "published.duckdb", copy, {token: Principal("测试审核员", "reviewer")}
    )
    with TestClient(app) as client:
        answer = client.post(
            "/api/opening-check",
            headers={"Authorization": f"Bearer {token}"},
            files={"roster": (path.name, path.read_bytes())},
            data={"filing": json.dumps(_filing(world)), "as_of": world.as_of.isoformat()},
        )
    assert answer.status_code == 200, answer.text
    return Review(answer.json(), rows)


# ----------------------------------------------------------------- the cases


def _cases(shapes: tuple[str, ...]) -> list[Any]:
    out = []
    for side in ("registry", "roster"):
        for variant in VARIANTS:
            for kind in KINDS:
                if not _kind_ok(variant, kind):
                    continue
                for shape in shapes if side == "roster" else ("raw_only",):
                    name = f"{side}-{variant}-{kind}" + (f"-{shape}" if side == "roster" else "")
                    out.append(pytest.param(side, variant, kind, shape, id=name))
    return out


SIDE = ("side", "variant", "kind", "shape")


def _assert_linked(result: Result, p: Person, registry: str) -> None:
    """``p``'s record in ``registry`` is theirs, linked as normalised; the text as it
    came is kept beside the normalised number; the findings are the clean control's."""
    key = p.key(registry)
    if registry in LINKED:
        assert result.links.get((p.number, registry)) == [(key, p.number, "normalised")], (
            f"{registry}: {p.label} ({p.typed!r}) links {result.links.get((p.number, registry))}"
        )
    stored = result.registry_rows[(registry, key)]
    if p.side == "registry":
        assert stored == (p.number, p.typed), f"{registry} holds {stored!r} for {p.typed!r}"
    else:
        assert stored == (p.number, None)
        assert result.roster_rows.get(p.number) == (p.number, p.typed), (
            f"roster_entries holds {result.roster_rows.get(p.number)!r} for {p.typed!r}"
        )
    mine = result.findings.get(p.number, set())
    assert mine == result.findings[control(p).number], f"{p.label}: {sorted(mine)}"
    codes = {code for code, _, _ in mine}
    if registry in CAUSES:
        evidence = result.evidence[(p.number, CAUSES[registry])]
        assert f'"{key}"' in evidence, evidence
    if registry == "household_registration":
        evidence = json.loads(result.evidence[(p.number, "REGION_INELIGIBLE")])
        assert evidence["source"] == "household_registration", evidence
    if registry == "student_status":
        assert "NOT_IN_COHORT" not in codes
    if registry == "provincial_training_system":
        assert "NOT_IN_PROVINCIAL_SYSTEM" not in codes


def test_the_world_makes_every_registry_count(by_files: Result) -> None:
    """The premise of the proof: a trainee typed cleanly everywhere has the findings
    each registry's record causes, and one without records has none of them but the
    findings of their absence — so a record that failed to link would show."""
    clean = {code for code, _, _ in by_files.findings[BY_LABEL["cx"].number]}
    assert set(CAUSES.values()) | {"REGION_INELIGIBLE"} <= clean
    assert not clean & {"NOT_IN_COHORT", "NOT_IN_PROVINCIAL_SYSTEM", "HUKOU_PROOF_REQUIRED"}
    nobody = {code for code, _, _ in by_files.findings[BY_LABEL["nobody"].number]}
    assert {"NOT_IN_COHORT", "NOT_IN_PROVINCIAL_SYSTEM"} <= nobody
    assert not nobody & (set(CAUSES.values()) | {"REGION_INELIGIBLE"})
    for p in (BY_LABEL["cx"], BY_LABEL["cd"]):
        for registry in LINKED:
            assert by_files.links[(p.number, registry)] == [(p.key(registry), p.number, "exact")]


@pytest.mark.parametrize("registry", REGISTRIES)
@pytest.mark.parametrize(SIDE, _cases(SHAPES))
def test_bulk_files(
    by_files: Result, registry: str, side: str, variant: str, kind: str, shape: str
) -> None:
    _assert_linked(by_files, person(side, variant, kind, shape), registry)


@pytest.mark.parametrize("registry", HTTP_REGISTRIES)
@pytest.mark.parametrize(SIDE, _cases(("raw_only",)))
def test_http(
    by_http: Result, registry: str, side: str, variant: str, kind: str, shape: str
) -> None:
    _assert_linked(by_http, person(side, variant, kind, shape), registry)


@pytest.mark.parametrize("registry", REGISTRIES)
@pytest.mark.parametrize(SIDE, _cases(("raw_only",)))
def test_roster_load(
    by_roster_load: Result, registry: str, side: str, variant: str, kind: str, shape: str
) -> None:
    _assert_linked(by_roster_load, person(side, variant, kind, shape), registry)


def _assert_reviewed(review: Review, p: Person, registry: str) -> None:
    """In a review of a class not on file: ``p`` is on the row the file put them, with
    the control's findings, and the record's finding cites it, linked as normalised."""
    mine, clean = review.trainee(p), review.trainee(control(p))
    assert mine["id_masked"] == idnumber.mask(p.number)
    assert mine["rules"] == clean["rules"], f"{p.label}: {mine['rules']}"
    found = review.findings(p)
    summary = {c: (f["severity"], f["match_level"]) for c, f in found.items()}
    assert summary == {
        c: (f["severity"], f["match_level"]) for c, f in review.findings(control(p)).items()
    }
    if registry in CAUSES:
        records = found[CAUSES[registry]]["evidence"]["records"]
        cited = [r for r in records if r.get("key") == p.key(registry)]
        assert cited, records
        if registry != "dishonesty_list":  # the list holds no names: no link level shown
            assert cited[0]["link"] == "normalised", cited
    if registry == "household_registration":
        assert found["REGION_INELIGIBLE"]["evidence"]["source"] == "household_registration"
    if registry == "student_status":
        assert "NOT_IN_COHORT" not in found


@pytest.mark.parametrize("registry", LINKED)
@pytest.mark.parametrize(SIDE, _cases(("raw_only",)))
def test_check_opening_roster(
    by_draft_cli: Review, registry: str, side: str, variant: str, kind: str, shape: str
) -> None:
    _assert_reviewed(by_draft_cli, person(side, variant, kind, shape), registry)


@pytest.mark.parametrize("registry", LINKED)
@pytest.mark.parametrize(SIDE, _cases(("raw_only",)))
def test_upload_page(
    by_upload: Review, registry: str, side: str, variant: str, kind: str, shape: str
) -> None:
    _assert_reviewed(by_upload, person(side, variant, kind, shape), registry)
