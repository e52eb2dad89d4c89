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

    label = "登记系统接口出错"  # what a user reads (summaries, run records)

    def __init__(self, registry: str, request: str, detail: str):
        self.registry = registry
        self.request = request
        self.detail = detail
        super().__init__(f"{registry}: {request}: {detail}")

    def chinese(self) -> str:
        """One line for a user: what happened, the technical detail, the request."""
        return f"{self.label}（{self.detail}；{self.request}）"


class RegistryUnavailable(ConnectorError):
    label = "登记系统不可用（已按策略重试）"


class RateLimited(ConnectorError):
    label = "登记系统持续限流（429，已按 Retry-After 等待重试）"


class AuthenticationFailed(ConnectorError):
    label = "访问令牌被拒绝"


class BadResponse(ConnectorError):
    label = "登记系统返回的数据格式不对（已重试）"


class RequestFailed(ConnectorError):
    label = "登记系统拒绝了请求"


class TimeBudgetExceeded(ConnectorError):
    label = "超出本次拉取的时间预算"
