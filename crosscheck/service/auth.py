"""Who is asking: a session cookie (the login page) or ``Authorization: Bearer
<secret>`` (API clients), checked against the accounts store on every request — a
revoked user is refused at once, with no restart (``crosscheck.accounts``).

While no account exists, the public development secrets work (``crosscheck serve``
then refuses any address but loopback). Tests may give the service a fixed table of
secrets instead (``create_app(tokens=…)``).
"""

from __future__ import annotations

import hmac
from pathlib import Path

from fastapi import Request

from crosscheck import accounts
from crosscheck.accounts import DEV_USERS, ROLES, Principal

COOKIE = "crosscheck_session"
__all__ = ["COOKIE", "DEV_USERS", "ROLES", "Authenticator", "Principal"]


class Authenticator:
    def __init__(self, tokens: dict[str, Principal] | None = None, store: Path | None = None):
        self.tokens = tokens  # a fixed table (tests): no store, no sessions' expiry
        self.store = store

    def dev(self) -> bool:
        """Whether the public development secrets are in use (no account exists)."""
        return self.tokens is None and not accounts.has_users(self.store)

    def secret(self, secret: str) -> Principal | None:
        secret = secret.strip()
        if not secret:
            return None
        if self.tokens is not None:
            found = None
            for known, principal in self.tokens.items():
                if known and hmac.compare_digest(known.encode(), secret.encode()):
                    found = principal
            return found
        return accounts.authenticate(secret, self.store)

    def request(self, request: Request, authorization: str | None) -> Principal | None:
        scheme, _, secret = (authorization or "").partition(" ")
        if scheme.lower() == "bearer" and secret.strip():
            return self.secret(secret)
        cookie = request.cookies.get(COOKIE)
        if cookie:
            if self.tokens is not None:
                return _sessions.get(cookie)
            return accounts.session_user(cookie, self.store)
        return None

    def login(self, who: Principal, hours: float = accounts.SESSION_HOURS) -> str:
        if self.tokens is not None:
            import secrets

            token = secrets.token_urlsafe(32)
            _sessions[token] = who
            return token
        return accounts.open_session(who, hours, path=self.store)

    def logout(self, token: str) -> None:
        if self.tokens is not None:
            _sessions.pop(token, None)
            return
        accounts.close_session(token, self.store)


_sessions: dict[str, Principal] = {}  # the fixed table's sessions (tests only)
