"""The registry simulator over real HTTP on loopback: paging, deltas, lookups,
authentication, rate limits and every injected fault."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest
import uvicorn

from crosscheck.simulator.app import FaultWrapper, create_app
from crosscheck.world import schema
from crosscheck.world.generate import generate

TOKEN = "test-token"
_THREADS: dict[int, tuple[threading.Thread, Any]] = {}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "tiny"
    generate("tiny", 11, out)
    return out


def stop(server: uvicorn.Server) -> None:
    """Stop a simulator started by ``_serve`` and close its DuckDB connection."""
    server.should_exit = True
    thread, app = _THREADS.pop(id(server))
    thread.join(timeout=10)
    app.state.store.close()


def _serve(world: Path, **kw: Any) -> tuple[uvicorn.Server, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(world, TOKEN, **kw)
    server = uvicorn.Server(
        uvicorn.Config(FaultWrapper(app), host="127.0.0.1", port=port, log_level="critical")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    _THREADS[id(server)] = (thread, app)
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("simulator did not start")
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def base(world: Path) -> Iterator[str]:
    server, url = _serve(world)
    yield url
    stop(server)


@pytest.fixture
def client(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        yield c
        c.put(
            "/admin/faults",
            json={
                "error_rate": 0,
                "drop_rate": 0,
                "truncate_rate": 0,
                "duplicate_rate": 0,
                "latency_ms": 0,
            },
        )


def _pages(client: httpx.Client, name: str, **params: Any) -> list[dict[str, Any]]:
    out, cursor = [], None
    while True:
        q = dict(params, **({"cursor": cursor} if cursor else {}))
        page = client.get(f"/registries/{name}/records", params=q).json()
        out += page["records"]
        cursor = page["next_cursor"]
        if cursor is None:
            return out


def test_a_token_is_required(base: str) -> None:
    assert httpx.get(f"{base}/registries").status_code == 401
    bad = httpx.get(f"{base}/registries", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert httpx.get(f"{base}/health").status_code == 200


def test_paging_returns_exactly_the_registry(client: httpx.Client, world: Path) -> None:
    records = _pages(client, "pension_contributions", limit=97)
    expected = pl.read_parquet(world / "registries/pension_contributions.parquet")
    assert len(records) == expected.height
    assert {r["record_key"] for r in records} == set(expected["record_key"])
    stamps = [r["updated_at"] for r in records]
    assert stamps == sorted(stamps)


def test_csv_registries_are_served_too(client: httpx.Client, world: Path) -> None:
    records = _pages(client, "business_licences", limit=500)
    text = pl.read_csv(
        world / "registries/business_licences.gb18030.csv", encoding="gb18030", infer_schema=False
    )
    assert len(records) == text.height
    names = {r["name"] for r in records}
    assert names == set(text["name"])


def test_updated_since_returns_only_later_changes(client: httpx.Client, world: Path) -> None:
    since = "2025-06-30T00:00:00"
    records = _pages(client, "pension_contributions", updated_since=since, limit=50)
    frame = pl.read_parquet(world / "registries/pension_contributions.parquet")
    later = frame.filter(pl.col("updated_at") > pl.datetime(2025, 6, 30))
    assert {r["record_key"] for r in records} == set(later["record_key"])
    assert 0 < len(records) < frame.height


def test_batch_lookup(client: httpx.Client, world: Path) -> None:
    people = pl.read_parquet(world / "registries/household_registration.parquet")
    ids = [*people["id_number"].head(5).to_list(), "000000000000000000"]
    found = client.post(
        "/registries/household_registration/lookup", json={"id_numbers": ids}
    ).json()
    assert sorted(r["id_number"] for r in found["records"]) == sorted(ids[:5])
    too_many = client.post(
        "/registries/household_registration/lookup", json={"id_numbers": ["1"] * 1001}
    )
    assert too_many.status_code == 422


def test_unknown_registry_and_bad_cursor(client: httpx.Client) -> None:
    assert client.get("/registries/nope/records").status_code == 404
    assert (
        client.get("/registries/student_status/records", params={"cursor": "!!"}).status_code == 400
    )


def test_every_registry_is_listed(client: httpx.Client) -> None:
    names = {r["name"] for r in client.get("/registries").json()}
    assert names == {t.path.split("/")[-1] for t in schema.REGISTRIES}


def test_openapi_documents_the_endpoints(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/registries/{name}/records", "/registries/{name}/lookup"} <= set(spec["paths"])
    page = client.get("/api-docs").text
    assert "/registries/{name}/records" in page


def test_injected_5xx(client: httpx.Client) -> None:
    client.put("/admin/faults", json={"error_rate": 1})
    assert client.get("/registries/student_status/records").status_code == 503


def test_injected_dropped_connection(client: httpx.Client) -> None:
    client.put("/admin/faults", json={"drop_rate": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/registries/student_status/records", params={"limit": 500})


def test_injected_truncated_page(client: httpx.Client) -> None:
    client.put("/admin/faults", json={"truncate_rate": 1})
    response = client.get("/registries/student_status/records", params={"limit": 500})
    assert response.status_code == 200
    with pytest.raises(ValueError, match=r"."):
        response.json()


def test_injected_duplicate_record_across_pages(client: httpx.Client) -> None:
    first = client.get("/registries/student_status/records", params={"limit": 10}).json()
    client.put("/admin/faults", json={"duplicate_rate": 1})
    second = client.get(
        "/registries/student_status/records", params={"limit": 10, "cursor": first["next_cursor"]}
    ).json()
    assert second["records"][0] == first["records"][-1]


def test_unknown_fault_setting_is_refused(client: httpx.Client) -> None:
    assert client.put("/admin/faults", json={"eror_rate": 1}).status_code == 422


def test_rate_limit_answers_429_with_retry_after(world: Path) -> None:
    server, url = _serve(world, rate=1.0, burst=2)
    try:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
            codes = [c.get("/registries/dishonesty_list/records") for _ in range(4)]
        limited = [r for r in codes if r.status_code == 429]
        assert limited
        assert int(limited[0].headers["retry-after"]) >= 1
    finally:
        stop(server)
