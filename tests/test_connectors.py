"""The HTTP connector: unit tests on httpx.MockTransport, then the real simulator
on loopback with every fault switched on."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest

from crosscheck.connectors.errors import (
    AuthenticationFailed,
    BadResponse,
    RateLimited,
    RegistryUnavailable,
    RequestFailed,
    TimeBudgetExceeded,
)
from crosscheck.connectors.http import RegistryClient, RetryPolicy
from crosscheck.world.generate import generate
from tests.test_simulator import TOKEN, _serve, stop


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def _client(
    handler: Callable[[httpx.Request], httpx.Response], **policy: Any
) -> tuple[RegistryClient, FakeClock]:
    fake = FakeClock()
    retry = RetryPolicy(rng=random.Random(1), sleep=fake.sleep, clock=fake.clock, **policy)
    http = httpx.Client(base_url="http://registry.test", transport=httpx.MockTransport(handler))
    return RegistryClient(http, "pension_contributions", retry, page_size=2), fake


def _page(records: list[dict[str, Any]], cursor: str | None) -> httpx.Response:
    return httpx.Response(200, json={"records": records, "next_cursor": cursor})


def test_follows_cursors_to_the_end() -> None:
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.url.params))
        if "cursor" not in request.url.params:
            return _page([{"k": 1}, {"k": 2}], "c1")
        return _page([{"k": 3}], None)

    client, _ = _client(handler)
    pages = list(client.pages(updated_since="2025-12-01T00:00:00"))
    assert [r["k"] for p in pages for r in p.records] == [1, 2, 3]
    assert seen[0]["updated_since"] == "2025-12-01T00:00:00"
    assert "updated_since" not in seen[1]
    assert seen[1]["cursor"] == "c1"


def test_retries_5xx_drops_and_truncated_bodies_then_succeeds() -> None:
    answers = iter(
        [
            httpx.Response(503),
            httpx.RemoteProtocolError("peer closed connection"),
            httpx.Response(200, content=b'{"records": [{"k"'),
            _page([{"k": 1}], None),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        answer: Any = next(answers)
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, httpx.Response)
        return answer

    client, fake = _client(handler)
    pages = list(client.pages())
    assert pages[0].records == [{"k": 1}]
    assert client.retries == 3
    assert len(fake.sleeps) == 3
    assert all(0 <= s <= 10 for s in fake.sleeps)


def test_honours_retry_after() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"}), _page([], None)])
    client, fake = _client(lambda r: next(answers))
    list(client.pages())
    assert fake.sleeps == [7.0]


def test_gives_up_after_the_attempts_naming_registry_and_request() -> None:
    client, _ = _client(lambda r: httpx.Response(502), attempts=3)
    with pytest.raises(RegistryUnavailable) as info:
        list(client.pages())
    assert info.value.registry == "pension_contributions"
    assert "GET http://registry.test/registries/pension_contributions/records?limit=2" in str(
        info.value
    )
    assert "HTTP 502" in str(info.value)


def test_429_every_time_is_rate_limited() -> None:
    client, _ = _client(lambda r: httpx.Response(429, headers={"Retry-After": "1"}), attempts=2)
    with pytest.raises(RateLimited):
        list(client.pages())


def test_authentication_and_other_4xx_are_not_retried() -> None:
    calls: list[int] = []

    def unauthorised(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(401)

    client, _ = _client(unauthorised)
    with pytest.raises(AuthenticationFailed):
        list(client.pages())
    assert len(calls) == 1
    client, _ = _client(lambda r: httpx.Response(404, text="no registry"))
    with pytest.raises(RequestFailed, match="404"):
        list(client.pages())


def test_a_wrong_shape_is_a_bad_response() -> None:
    client, _ = _client(lambda r: httpx.Response(200, json={"rows": []}))
    with pytest.raises(BadResponse, match="not a page"):
        list(client.pages())


def test_total_time_budget_bounds_the_call() -> None:
    client, fake = _client(
        lambda r: httpx.Response(503), attempts=100, total_budget=5.0, base_delay=1.0
    )
    with pytest.raises(TimeBudgetExceeded, match="5 s"):
        list(client.pages())
    assert fake.now <= 5.0 + 1e-9


def test_timeouts_are_retried() -> None:
    answers: Iterator[Any] = iter([httpx.ReadTimeout("slow"), _page([{"k": 9}], None)])

    def handler(request: httpx.Request) -> httpx.Response:
        answer: Any = next(answers)
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, httpx.Response)
        return answer

    client, _ = _client(handler)
    assert next(client.pages()).records == [{"k": 9}]


def test_lookup_batches_the_ids() -> None:
    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        ids = json.loads(request.content)["id_numbers"]
        sizes.append(len(ids))
        return httpx.Response(200, json={"records": [{"id_number": i} for i in ids[:1]]})

    client, _ = _client(handler)
    found = client.lookup([str(i) for i in range(2500)])
    assert sizes == [1000, 1000, 500]
    assert len(found) == 3


# ----------------------------------------------------------- real simulator
@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    world = tmp_path_factory.mktemp("conn") / "tiny"
    generate("tiny", 5, world)
    from crosscheck.simulator.faults import Faults

    faults = Faults(
        error_rate=0.15,
        drop_rate=0.05,
        truncate_rate=0.05,
        duplicate_rate=0.2,
        slow_rate=0.02,
        slow_ms=50,
        seed=3,
    )
    server, url = _serve(world, faults=faults, rate=200.0, burst=20)
    yield url, world
    stop(server)


@pytest.mark.parametrize(
    "registry",
    ["pension_contributions", "business_licences", "household_registration", "training_records"],
)
def test_sync_through_every_fault_loses_and_doubles_nothing(
    faulty: tuple[str, Path], registry: str
) -> None:
    url, world = faulty
    key = "id_number" if registry == "household_registration" else "record_key"
    policy = RetryPolicy(attempts=30, base_delay=0.01, max_delay=0.05, rng=random.Random(2))
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    ) as http:
        client = RegistryClient(http, registry, policy, page_size=97)
        loaded: dict[str, dict[str, Any]] = {}
        for page in client.pages():
            for record in page.records:
                loaded[record[key]] = record
    files = sorted((world / "registries").glob(f"{registry}.*"))
    if files[0].suffix == ".parquet":
        expected = pl.read_parquet(files[0])
    else:
        expected = pl.read_csv(files[0], encoding="gb18030", infer_schema=False)
    assert len(loaded) == expected.height
    assert set(loaded) == set(expected[key])
    names = dict(zip(expected[key], expected["name"], strict=True))
    assert all(loaded[k]["name"] == names[k] for k in loaded)
    assert client.retries > 0  # the faults really fired
