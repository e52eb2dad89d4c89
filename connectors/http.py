"""The HTTP connector for a registry API (the simulator's, or a real system's).

One public class over one replaceable seam: :class:`RegistryClient` takes an
``httpx.Client`` (tests hand it ``httpx.MockTransport``; integration tests the
simulator on loopback). It retries what is worth retrying — timeouts, refused,
dropped or truncated responses, 5xx — with exponential backoff and full jitter,
waits as long as ``Retry-After`` says on 429, never retries 401/403/4xx, and
gives up when the call's total time budget runs out. Errors are translated into
:mod:`connectors.errors`, naming the registry and the request.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from crosscheck.connectors.errors import (
    AuthenticationFailed,
    BadResponse,
    ConnectorError,
    RateLimited,
    RegistryUnavailable,
    RequestFailed,
    TimeBudgetExceeded,
)

Record = dict[str, Any]


@dataclass
class RetryPolicy:
    attempts: int = 8  # tries per request, the first included
    base_delay: float = 0.2  # seconds; doubled each retry, full jitter
    max_delay: float = 10.0
    max_retry_after: float = 60.0  # never wait longer than this on one 429
    total_budget: float = 600.0  # seconds for one call (a whole paged sync)
    rng: random.Random = field(default_factory=random.Random)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def backoff(self, attempt: int) -> float:
        return self.rng.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


@dataclass
class Page:
    records: list[Record]
    next_cursor: str | None
    request: str  # what was asked, for provenance (no token)


class RegistryClient:
    """Reads one registry: paged full or delta sync, and batch lookups."""

    def __init__(
        self,
        client: httpx.Client,
        registry: str,
        retry: RetryPolicy | None = None,
        page_size: int = 5000,
    ):
        self.client = client
        self.registry = registry
        self.retry = retry or RetryPolicy()
        self.page_size = page_size
        self.retries = 0  # how many retries this client made (for run summaries)
        self.rate_limited = 0  # how many 429 answers it waited out

    def pages(self, updated_since: str | None = None) -> Iterator[Page]:
        """Every page of the registry (changed after ``updated_since`` when given)."""
        deadline = self.retry.clock() + self.retry.total_budget
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": self.page_size}
            if cursor:
                params["cursor"] = cursor
            elif updated_since:
                params["updated_since"] = updated_since
            body, request = self._send(
                "GET", f"/registries/{self.registry}/records", deadline, params=params
            )
            records, cursor = self._page(body, request)
            yield Page(records, cursor, request)
            if cursor is None:
                return

    def lookup(self, id_numbers: list[str], batch: int = 1000) -> list[Record]:
        """Every record for the given ID numbers (batches of at most 1,000)."""
        deadline = self.retry.clock() + self.retry.total_budget
        found: list[Record] = []
        for i in range(0, len(id_numbers), batch):
            body, request = self._send(
                "POST",
                f"/registries/{self.registry}/lookup",
                deadline,
                json={"id_numbers": id_numbers[i : i + batch]},
            )
            found += self._page(body, request)[0]
        return found

    def _page(self, body: Any, request: str) -> tuple[list[Record], str | None]:
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise BadResponse(self.registry, request, "response is not a page of records")
        cursor = body.get("next_cursor")
        return body["records"], cursor if isinstance(cursor, str) else None

    def _describe(self, method: str, path: str, params: dict[str, Any] | None) -> str:
        query = "&".join(f"{k}={v}" for k, v in (params or {}).items())
        return f"{method} {self.client.base_url}{path}" + (f"?{query}" if query else "")

    def _send(self, method: str, path: str, deadline: float, **kw: Any) -> tuple[Any, str]:
        request = self._describe(method, path, kw.get("params"))
        policy = self.retry
        last: ConnectorError | None = None
        for attempt in range(policy.attempts):
            if attempt:
                self.retries += 1
            remaining = deadline - policy.clock()
            if remaining <= 0:
                raise TimeBudgetExceeded(
                    self.registry,
                    request,
                    f"time budget of {policy.total_budget:.0f} s spent"
                    + (f"; last error: {last.detail}" if last else ""),
                )
            wait: float | None = None
            try:
                response = self.client.request(method, path, **kw)
            except httpx.TimeoutException as exc:
                last = RegistryUnavailable(
                    self.registry, request, f"timeout ({type(exc).__name__})"
                )
            except httpx.TransportError as exc:
                last = RegistryUnavailable(
                    self.registry, request, f"connection failed ({type(exc).__name__}: {exc})"
                )
            else:
                status = response.status_code
                if status in (401, 403):
                    raise AuthenticationFailed(
                        self.registry, request, f"HTTP {status}: token refused"
                    )
                if status == 429:
                    self.rate_limited += 1
                    wait = _retry_after(response, policy.max_retry_after)
                    last = RateLimited(
                        self.registry, request, f"HTTP 429, Retry-After {wait:.0f} s"
                    )
                elif status >= 500:
                    last = RegistryUnavailable(self.registry, request, f"HTTP {status}")
                elif status >= 400:
                    raise RequestFailed(
                        self.registry, request, f"HTTP {status}: {response.text[:200]}"
                    )
                else:
                    try:
                        return json.loads(response.content), request
                    except ValueError:
                        last = BadResponse(
                            self.registry,
                            request,
                            f"body is not valid JSON ({len(response.content)} bytes)",
                        )
            delay = wait if wait is not None else policy.backoff(attempt)
            if attempt + 1 < policy.attempts:
                policy.sleep(min(delay, max(deadline - policy.clock(), 0)))
        assert last is not None
        raise last


def probe(base_url: str, token: str, *, timeout: float = 5.0) -> None:
    """Ask the registry service once, without retries, whether it is there and takes
    the token (``GET /registries``): a wrong address fails in seconds instead of
    after every source's retries. Raises ValueError for an address that is not an
    http(s) URL, ConnectorError otherwise."""
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ValueError(str(exc)) from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("not an http(s) URL with a host")
    request = f"GET {base_url.rstrip('/')}/registries"
    try:
        response = httpx.get(
            f"{base_url.rstrip('/')}/registries",
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(timeout),
        )
    except httpx.ConnectTimeout:
        raise RegistryUnavailable("*", request, f"no connection within {timeout:.0f} s") from None
    except httpx.ConnectError as exc:  # refused, no route, unknown host
        raise RegistryUnavailable("*", request, f"{type(exc).__name__}: {exc}") from None
    except httpx.TransportError:
        return  # it is there but flaky (a dropped or slow answer): the pull's retries decide
    if response.status_code in (401, 403):
        raise AuthenticationFailed("*", request, f"HTTP {response.status_code}")
    if response.status_code == 404:
        raise RequestFailed("*", request, "HTTP 404: not a registry service")


def _retry_after(response: httpx.Response, cap: float) -> float:
    value = response.headers.get("retry-after", "1")
    try:
        return min(max(float(value), 0.0), cap)
    except ValueError:
        return 1.0
