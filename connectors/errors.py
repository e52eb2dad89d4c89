"""Errors raised by connectors, translated at the edge from httpx and file readers.

Every error names the registry and the request (method and URL, never the token)
so that a failed run says which source failed and how.

    ConnectorError
    ├── RegistryUnavailable      – timeouts, refused or dropped connections, 5xx,
    │                              after every retry
    ├── RateLimited              – 429 on every retry (Retry-After honoured)
    ├── AuthenticationFailed     – 401/403: wrong or missing token (never retried)
    ├── BadResponse              – a 2xx whose body is not the expected JSON
    │                              (truncated, wrong shape), after every retry
    ├── RequestFailed            – any other 4xx (never retried)
    └── TimeBudgetExceeded       – the call's total time bound ran out
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every connector error."""

    def __init__(self, registry: str, request: str, detail: str):
        self.registry = registry
        self.request = request
        self.detail = detail
        super().__init__(f"{registry}: {request}: {detail}")


class RegistryUnavailable(ConnectorError):
    pass


class RateLimited(ConnectorError):
    pass


class AuthenticationFailed(ConnectorError):
    pass


class BadResponse(ConnectorError):
    pass


class RequestFailed(ConnectorError):
    pass


class TimeBudgetExceeded(ConnectorError):
    pass
