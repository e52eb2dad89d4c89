"""Property-based tests (hypothesis): hostile 学员花名册 and 开班备案 files through the
real command line, in-process.

The property, for every generated input: ``crosscheck roster load FILE --check-only``
and ``crosscheck check opening --roster FILE --filing FILE.json`` answer — exit 0, 1
(or 3 for a review) with a result on stdout — or refuse with exit 2 and one message in
Chinese on stderr; never a traceback or an exception escaping ``main()``; and the
warehouse is never written (its bytes are the same before and after). ``roster load``
without ``--check-only`` writes nothing when it refuses.

Inputs: rosters as .xlsx (xlsxwriter, openpyxl) and CSV (UTF-8, UTF-8 with BOM,
GB18030, UTF-16, garbage bytes) with title rows, merged two-row headers, missing,
doubled and unknown columns, IDs as Excel numbers and full-width digits, control
characters, formulas, huge cells; filings with wrong types, missing and unknown
fields, huge and non-finite numbers, nested garbage, non-object documents and
invalid UTF-8 (``tests/strategies.py``). Examples are bounded and derandomized so
that CI is deterministic.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from tests.conftest import SMALL_AS_OF
from tests.strategies import (
    CJK,
    POLICIES,
    RosterSpec,
    filing_files,
    good_roster_csv,
    rosters,
    world_inputs,
    write_roster,
)

SETTINGS: dict[str, Any] = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "print_blob": True,
    # the explain phase reruns every failure many times: too slow for CI
    "phases": [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
}


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


def crosscheck(*args: str) -> Outcome:
    """Run ``crosscheck ARGS`` in this process as the entry point does (``main()``).

    Only ``SystemExit`` is caught. An exception that is not crosscheck's refusal of
    bad input fails the property: one escaping ``main()`` propagates; one that
    ``main()`` turns into its internal-error exit (70, a crash file) is raised here
    again, so that hypothesis tells the bugs apart by where they were raised."""
    from crosscheck import cli

    out, err = io.StringIO(), io.StringIO()
    crashes: list[BaseException] = []
    report = getattr(cli, "_crash_report", None)

    def record(exc: BaseException) -> str:
        crashes.append(exc)
        return report(exc) if report is not None else "（测试中未写入）"

    argv = sys.argv
    sys.argv = ["crosscheck", *args]
    try:
        with contextlib.ExitStack() as stack:
            if report is not None:
                stack.enter_context(mock.patch.object(cli, "_crash_report", record))
            stack.enter_context(contextlib.redirect_stdout(out))
            stack.enter_context(contextlib.redirect_stderr(err))
            try:
                cli.main()
                code: Any = 0
            except SystemExit as exc:
                code = exc.code
    finally:
        sys.argv = argv
    if crashes:
        raise crashes[0]
    assert code is None or isinstance(code, int), f"exit status {code!r}"
    return Outcome(code or 0, out.getvalue(), err.getvalue())


def assert_answered(outcome: Outcome, answers: set[int], *, as_json: bool) -> None:
    """Exit in ``answers`` with a result on stdout, or exit 2 with one Chinese message."""
    shown = f"exit {outcome.code}\nstdout: {outcome.out[:2000]!r}\nstderr: {outcome.err[:2000]!r}"
    assert "Traceback" not in outcome.out + outcome.err, shown
    if outcome.code == 2:
        assert outcome.err.startswith("错误："), shown
        assert CJK.search(outcome.err), shown
        assert "\n错误：" not in outcome.err.strip(), shown  # one message
        return
    assert outcome.code in answers, shown
    assert outcome.out.strip(), shown
    if as_json:
        assert isinstance(json.loads(outcome.out), dict), shown


def fingerprint(db: Path) -> tuple[tuple[int, int, int], tuple[str, ...]]:
    """The warehouse's size, change time and inode, and the files beside it (a WAL
    would show here): any write changes one of them. (Cheap enough for every
    example; :func:`checksum` is compared once per module.)"""
    st_ = db.stat()
    return (st_.st_size, st_.st_mtime_ns, st_.st_ino), tuple(
        sorted(p.name for p in db.parent.iterdir())
    )


def checksum(db: Path) -> str:
    return hashlib.sha256(db.read_bytes()).hexdigest()


@dataclass(frozen=True)
class World:
    db: Path  # a read-only copy of the loaded warehouse
    ids: list[str]  # trainees' ID numbers (some with planted findings) and a few new ones
    filing: dict[str, Any]  # a valid filing for a class not on file
    checksum: str  # the warehouse's SHA-256 before any example ran


@pytest.fixture(scope="module")
def world(small_published: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> World:
    """The shared `small` world's warehouse (conftest), copied; ID numbers from its
    rosters and a filing modelled on one of its Fushun classes."""
    folder = tmp_path_factory.mktemp("properties") / "warehouse"
    folder.mkdir()
    db = folder / "crosscheck.duckdb"
    shutil.copy(small_published["db"], db)
    ids, filing = world_inputs(small_published["world"])
    return World(db, ids, filing, checksum(db))


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    folder = tmp_path / "inputs"
    folder.mkdir()
    return folder


def _fresh(folder: Path) -> Path:
    """An empty folder for one example's files."""
    for child in folder.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
    return folder


# --- roster load --check-only ------------------------------------------------------


@settings(max_examples=120, **SETTINGS)
@given(data=st.data())
def test_roster_check_only_answers_or_refuses_and_writes_nothing(
    world: World, workdir: Path, data: st.DataObject
) -> None:
    spec: RosterSpec = data.draw(rosters(world.ids), label="roster")
    extra: list[str] = []
    if data.draw(st.booleans(), label="--class"):
        extra.append("--class=" + data.draw(st.sampled_from(["C9", "DRAFT-1", "C00001", "班'1"])))
    as_json = data.draw(st.booleans(), label="--json")
    if as_json:
        extra.append("--json")
    if data.draw(st.integers(0, 3), label="--policy?") == 0:
        extra.append("--policy=" + data.draw(st.sampled_from([*POLICIES, "no-such-policy"])))
    path = write_roster(spec, _fresh(workdir))
    note(f"file {path.name}: {path.stat().st_size} bytes; options {extra}")
    before = fingerprint(world.db)
    outcome = crosscheck("roster", "load", str(path), "--check-only", "--db", str(world.db), *extra)
    assert_answered(outcome, {0, 1}, as_json=as_json)
    assert fingerprint(world.db) == before


# --- roster load (writing) ----------------------------------------------------------


@pytest.fixture(scope="module")
def writable(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the warehouse that ``roster load`` may write to."""
    folder = tmp_path_factory.mktemp("writable")
    db = folder / "crosscheck.duckdb"
    shutil.copy(world.db, db)
    return db


@settings(max_examples=50, **SETTINGS)
@given(data=st.data())
def test_roster_load_writes_only_what_it_accepts(
    world: World, writable: Path, workdir: Path, data: st.DataObject
) -> None:
    import duckdb

    spec: RosterSpec = data.draw(rosters(world.ids), label="roster")
    class_id = data.draw(st.sampled_from([None, "DRAFT-1", "班'1", "C00001"]), label="--class")
    path = write_roster(spec, _fresh(workdir))
    before = fingerprint(writable)
    args = ["roster", "load", str(path), "--db", str(writable), "--json"]
    outcome = crosscheck(*args, *([f"--class={class_id}"] if class_id else []))
    assert_answered(outcome, {0, 1}, as_json=True)
    if outcome.code != 0:
        assert fingerprint(writable) == before, "a refused roster changed the warehouse"
        return
    answer = json.loads(outcome.out)
    con = duckdb.connect(str(writable), read_only=True)
    try:
        loaded = con.execute(
            "SELECT count(*) FROM roster_entries WHERE class_id = ?", [answer["class_id"]]
        ).fetchall()[0][0]
    finally:
        con.close()
    assert loaded == answer["trainees"]


# --- check opening --roster --filing ------------------------------------------------


def _opening(world: World, roster: Path, filing: Path, as_json: bool) -> Outcome:
    args = ["check", "opening", "--roster", str(roster), "--filing", str(filing)]
    args += ["--as-of", SMALL_AS_OF, "--db", str(world.db)]
    return crosscheck(*args, *(["--json"] if as_json else []))


@settings(max_examples=40, **SETTINGS)
@given(data=st.data())
def test_opening_review_of_any_roster(world: World, workdir: Path, data: st.DataObject) -> None:
    """A valid filing, a roster from anywhere (mostly ones a review gets past)."""
    well_formed = data.draw(st.integers(0, 3), label="hostile?") != 0
    spec: RosterSpec = data.draw(rosters(world.ids, well_formed=well_formed), label="roster")
    folder = _fresh(workdir)
    roster = write_roster(spec, folder)
    filing = folder / "filing.json"
    filing.write_text(json.dumps(world.filing, ensure_ascii=False), encoding="utf-8")
    as_json = data.draw(st.booleans(), label="--json")
    before = fingerprint(world.db)
    outcome = _opening(world, roster, filing, as_json)
    assert_answered(outcome, {0, 1, 3}, as_json=as_json)
    assert fingerprint(world.db) == before


@settings(max_examples=60, **SETTINGS)
@given(data=st.data())
def test_opening_review_of_any_filing(world: World, workdir: Path, data: st.DataObject) -> None:
    """A good roster, a filing from anywhere."""
    folder = _fresh(workdir)
    roster = folder / "roster.csv"
    roster.write_bytes(good_roster_csv(world.ids))
    raw = data.draw(filing_files(world.filing), label="filing")
    filing = folder / "filing.json"
    filing.write_bytes(raw.data)
    as_json = data.draw(st.booleans(), label="--json")
    before = fingerprint(world.db)
    outcome = _opening(world, roster, filing, as_json)
    assert_answered(outcome, {0, 1, 3}, as_json=as_json)
    assert fingerprint(world.db) == before


def test_the_read_only_warehouse_is_byte_for_byte_unchanged(world: World) -> None:
    """After every example above (``--check-only`` and ``check opening`` never write)."""
    assert checksum(world.db) == world.checksum
