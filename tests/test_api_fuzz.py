"""API fuzzing (schemathesis): every operation of the service's OpenAPI, as every
caller — anonymous, a fuzzed ``Authorization`` header, and a token of each role of
``crosscheck.service.auth`` — in-process over ASGI, on copies of the published files
of the shared `small` world (conftest).

Checks: no 5xx (``not_a_server_error``: an exception escaping the app fails the
test where it was raised); every response conforms to what the OpenAPI declares for
its status code, where it declares something (``response_schema_conformance``,
``content_type_conformance``). Then the same on the world's real cities, months and
classes, and hostile roster uploads (``tests/strategies.py``) through the on-demand
check. Examples are bounded and derandomized so that CI is deterministic.

The app is built at import (schemathesis reads its OpenAPI to parametrize the tests);
the files it serves are copied in by a module fixture before any request. The
service writes nothing but its audit log, under each test's own CROSSCHECK_HOME.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks

from crosscheck.service.app import create_app
from crosscheck.service.auth import ROLES, Principal
from tests.conftest import SMALL_AS_OF
from tests.strategies import (
    POLICIES,
    RosterSpec,
    filing_files,
    good_roster_csv,
    rosters,
    world_inputs,
    write_roster,
)

FILES = Path(tempfile.mkdtemp(prefix="crosscheck-api-fuzz-"))
TOKENS = {f"fuzz-{role}-token": Principal(f"模糊测试（{role}）", role) for role in ROLES}
app = create_app(FILES / "published.duckdb", FILES / "snapshot.duckdb", TOKENS)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)

# who calls: nobody, whoever the fuzzer makes up, then each role's token
CALLERS = ["anonymous", "fuzzed", *ROLES]
CONFORMANCE = [checks.response_schema_conformance, checks.content_type_conformance]
FULL_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9])")
HEALTH = [
    HealthCheck.function_scoped_fixture,
    HealthCheck.too_slow,
    HealthCheck.filter_too_much,
    HealthCheck.data_too_large,
    HealthCheck.large_base_example,
]
BOUNDED: dict[str, Any] = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": HEALTH,
}


@pytest.fixture(scope="module", autouse=True)
def served_files(small_published: dict[str, Path]) -> Iterator[Path]:
    """Copies of the published dashboard data and warehouse snapshot: the service
    reads only these."""
    shutil.copy(small_published["published"], FILES / "published.duckdb")
    shutil.copy(small_published["snapshot"], FILES / "snapshot.duckdb")
    yield FILES
    app.state.ondemand.close()  # schemathesis calls the app without its lifespan
    shutil.rmtree(FILES, ignore_errors=True)


def as_caller(case: schemathesis.Case[Any], caller: str) -> None:
    """Give the case the caller's ``Authorization`` header (or none, or the fuzzer's)."""
    if caller == "fuzzed":
        return
    for key in [k for k in case.headers if k.lower() == "authorization"]:
        del case.headers[key]
    if caller != "anonymous":
        case.headers["Authorization"] = f"Bearer fuzz-{caller}-token"


@pytest.mark.parametrize("caller", CALLERS)
@schema.parametrize()
@settings(max_examples=25, **BOUNDED)
def test_no_server_error(case: schemathesis.Case[Any], caller: str) -> None:
    as_caller(case, caller)
    case.call_and_validate(checks=[checks.not_a_server_error])


@pytest.mark.parametrize("caller", ROLES)  # anonymous and fuzzed callers only get 401
@schema.parametrize()
@settings(max_examples=15, **BOUNDED)
def test_responses_conform_to_the_openapi(case: schemathesis.Case[Any], caller: str) -> None:
    as_caller(case, caller)
    case.call_and_validate(checks=CONFORMANCE)


@pytest.mark.parametrize("caller", CALLERS)
def test_real_cities_months_and_classes(caller: str, small_published: dict[str, Path]) -> None:
    """The fuzzer's strings never name a real city, month or class: these do, so the
    answers with data (and the on-demand review of a class on file) are checked too."""
    import duckdb

    con = duckdb.connect(str(FILES / "published.duckdb"), read_only=True)
    try:
        city, month = con.execute(
            "SELECT city_code, strftime(max(planned_start), '%Y-%m') FROM classes "
            "GROUP BY city_code ORDER BY count(*) DESC LIMIT 1"
        ).fetchall()[0]
        class_ids = [
            r[0]
            for r in con.execute(
                "SELECT class_id FROM classes ORDER BY findings DESC, class_id LIMIT 3"
            ).fetchall()
        ]
    finally:
        con.close()
    cases = [
        schema["/api/meta"]["GET"].Case(),
        schema["/api/report"]["GET"].Case(query={"month": month}),
        schema["/api/report"]["GET"].Case(
            query={"month": month, "city": city, "policy": "fushun-2023"}
        ),
        schema["/api/report.xlsx"]["GET"].Case(query={"month": month, "city": city}),
        schema["/api/cities/{city}/classes"]["GET"].Case(
            path_parameters={"city": city}, query={"month": month}
        ),
    ]
    for class_id in class_ids:
        cases.append(
            schema["/api/classes/{class_id}"]["GET"].Case(path_parameters={"class_id": class_id})
        )
        cases.append(
            schema["/api/classes/{class_id}/opening-check"]["POST"].Case(
                path_parameters={"class_id": class_id}, query={"as_of": SMALL_AS_OF}
            )
        )
    failures = []
    for case in cases:
        as_caller(case, caller)
        try:
            response = case.call_and_validate(checks=[checks.not_a_server_error, *CONFORMANCE])
        except Exception as exc:  # every case is tried; all that fail are reported
            failures.append(f"{case.as_curl_command()}\n{type(exc).__name__}: {exc}")
            continue
        if caller in ROLES and FULL_ID.search(response.content.decode("utf-8", "replace")):
            failures.append(f"{case.as_curl_command()}\na full ID number in the answer")
    assert not failures, "\n\n".join(failures)


# --- hostile uploads through the on-demand check ---------------------------------------


@pytest.fixture(scope="module")
def inputs(small_published: dict[str, Path]) -> tuple[list[str], dict[str, Any]]:
    return world_inputs(small_published["world"])


@pytest.fixture(scope="module")
def client(served_files: Path) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=True) as c:
        yield c


FILENAMES = [
    "",
    ".",
    "..",
    "/",
    "../../roster.csv",
    "a/b/roster.xlsx",
    "filing.json",
    "名单.CSV",
    "x" * 300 + ".csv",
    "roster",
    "roster.xls",
    "..\\roster.csv",
    "roster.csv\x00.xlsx",
]


@settings(max_examples=30, **BOUNDED)
@given(data=st.data())
def test_upload_answers_without_server_error(
    client: TestClient,
    inputs: tuple[list[str], dict[str, Any]],
    tmp_path: Path,
    data: st.DataObject,
) -> None:
    """POST /api/opening-check as a reviewer with a hostile roster (or a hostile
    filing): an answer or a 4xx with a message, never a 5xx or an exception."""
    ids, base = inputs
    folder = tmp_path / "upload"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    filing: Any = json.dumps(base, ensure_ascii=False)
    if data.draw(st.booleans(), label="hostile roster?"):
        spec: RosterSpec = data.draw(rosters(ids), label="roster")
        path = write_roster(spec, folder)
        content, name = path.read_bytes(), path.name
    else:
        content, name = good_roster_csv(ids), "roster.csv"
        filing = data.draw(filing_files(base), label="filing").data
    if data.draw(st.integers(0, 3), label="odd file name?") == 0:
        name = data.draw(st.sampled_from(FILENAMES), label="file name")
    form: dict[str, Any] = {"filing": (None, filing)}
    as_of = data.draw(
        st.sampled_from(
            [SMALL_AS_OF, None, "0001-01-01", "9999-12-31", "2025-02-30", "2025-W51-1"]
        ),
        label="as_of",
    )
    if as_of is not None:
        form["as_of"] = (None, as_of)
    policy = data.draw(st.sampled_from([None, "", *POLICIES, "no-such"]), label="policy")
    if policy is not None:
        form["policy"] = (None, policy)
    response = client.post(
        "/api/opening-check",
        headers={"Authorization": "Bearer fuzz-reviewer-token"},
        files={"roster": (name, content), **form},
    )
    shown = f"{response.status_code}: {response.text[:1500]}"
    assert response.status_code < 500, shown
    # "No endpoint returns a full ID number to either role" (README), refusals included
    assert not FULL_ID.search(response.text), shown
    body = response.json()
    if response.status_code == 200:
        assert "verdict" in body, shown
    else:
        assert 400 <= response.status_code < 500, shown
        assert "detail" in body, shown
