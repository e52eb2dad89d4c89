"""Accounts, sessions and the audit log (issue 15): the office's own small store.

The service reads published files and never writes the warehouse (the nightly run
owns it), yet logins, revocations, the audit log and decisions made on the web
must be written while it runs, by several processes at once (the service, the CLI,
the nightly flow). They live in one SQLite file, ``$CROSSCHECK_HOME/accounts.sqlite3``
(0600, WAL: many readers, one short writer at a time), read on every request — so a
user revoked from the CLI is refused on the next request, with no restart.

* **Users** have a role (:data:`ROLES`, each allowed what the one before is) and a
  scope: a region code prefix — ``""`` everywhere, ``"21"`` a province, ``"2104"`` a
  city, ``"210411"`` a county. A user sees and decides only within it.
* **Secrets** are issued by ``crosscheck users add`` (random, 192 bits, shown once)
  and stored as their SHA-256 only: a secret of that strength needs no slow hash,
  and a stolen store gives no way in. Passwords chosen by people are not accepted.
* **Sessions**: the login page trades a secret for a session (a random cookie, also
  stored hashed) that expires after :data:`SESSION_HOURS`; logout ends it. API
  clients may send the secret itself as ``Authorization: Bearer``.
* **Audit**: every login, decision, appeal, download of a file with names and
  on-demand check, append-only (SQLite triggers refuse UPDATE and DELETE); no full
  ID number is written (:func:`audit` masks any that a detail carries).

A bureau's single sign-on (OIDC or LDAP) plugs in where :func:`authenticate` turns
a credential into a :class:`Principal`: docs/accounts.md says how.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crosscheck.errors import CrosscheckError
from crosscheck.idnumber import mask_text
from crosscheck.paths import ensure_private_dir, home_dir

ROLES = ("viewer", "reviewer", "second_reviewer", "admin")
ROLE_LABELS = {
    "viewer": "只读",
    "reviewer": "审核",
    "second_reviewer": "复核",
    "admin": "管理员",
}
SESSION_HOURS = 8
ACTIONS = {
    "login": "登录",
    "login-failed": "登录失败",
    "logout": "退出",
    "decision": "审核结论",
    "appeal": "登记异议",
    "download": "下载",
    "opening-check": "开班即时核查",
    "draft-opening-check": "花名册即时核查",
    "payout-accounting": "补贴核算",
    "user-add": "新建账号",
    "user-revoke": "停用账号",
}
# the public development secrets: only while no account exists, only on loopback
# (account, display name, role)
DEV_USERS = {
    "crosscheck-viewer-dev": ("viewer-dev", "开发用只读账号", "viewer"),
    "crosscheck-reviewer-dev": ("reviewer-dev", "开发用审核账号", "reviewer"),
    "crosscheck-second-dev": ("second-dev", "开发用复核账号", "second_reviewer"),
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name        TEXT PRIMARY KEY,
    display     TEXT NOT NULL,
    role        TEXT NOT NULL,
    scope       TEXT NOT NULL,
    secret_sha  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE TABLE IF NOT EXISTS sessions (
    token_sha   TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    who     TEXT NOT NULL,
    action  TEXT NOT NULL,
    object  TEXT,
    detail  TEXT
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
-- decisions and appeals made on the web, waiting for the next run to merge them
-- into the warehouse (decisions.merge_inbox); kept after the merge, as sent
CREATE TABLE IF NOT EXISTS inbox (
    inbox_id    TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('decision', 'appeal')),
    finding_id  TEXT NOT NULL,
    row         TEXT NOT NULL,
    at          TEXT NOT NULL
);
"""


class AccountError(CrosscheckError):
    """An account that cannot be added, found or revoked, said in Chinese."""


@dataclass(frozen=True)
class Principal:
    """Who is asking: the account's name, display name, role and scope."""

    name: str
    role: str
    scope: str = ""
    display: str = ""

    def may(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)

    def sees(self, region_code: str | None) -> bool:
        """Whether a class or record of that region is within the scope."""
        return (region_code or "").startswith(self.scope)

    @property
    def label(self) -> str:
        return self.display or self.name


def store_path() -> Path:
    return home_dir() / "accounts.sqlite3"


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _sha(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@contextmanager
def connect(path: Path | None = None) -> Iterator[sqlite3.Connection]:
    """The store (created 0600 on first use), in a transaction committed on exit."""
    path = path or store_path()
    ensure_private_dir(path.parent)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA busy_timeout = 30000")
        con.executescript(_SCHEMA)
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    finally:
        con.close()


def has_users(path: Path | None = None) -> bool:
    path = path or store_path()
    if not path.exists():
        return False
    with connect(path) as con:
        return bool(con.execute("SELECT count(*) FROM users").fetchone()[0])


def scope_label(scope: str) -> str:
    """全部地区 / 辽宁省 / 抚顺市 / 顺城区, from the region table."""
    from crosscheck import regions

    if not scope:
        return "全部地区"
    region = regions.lookup(scope.ljust(6, "0"))
    return region.label or scope


def check_scope(scope: str) -> str:
    """A scope as given on the CLI: 全部 / a 2-, 4- or 6-digit region code that exists."""
    from crosscheck import regions

    scope = scope.strip()
    if scope in ("", "全部", "all"):
        return ""
    if not re.fullmatch(r"[0-9]{2}|[0-9]{4}|[0-9]{6}", scope):
        raise AccountError(
            f"范围“{scope[:20]}”应为 全部、2 位省份代码、4 位城市代码或 6 位区县代码"
        )
    if scope[:2] not in regions.province_codes():
        raise AccountError(f"范围 {scope}：没有代码为 {scope[:2]} 的省份")
    region = regions.lookup(scope.ljust(6, "0"))
    if (len(scope) == 4 and region.prefecture is None) or (len(scope) == 6 and not region.county):
        raise AccountError(f"范围 {scope}：行政区划表中没有该地区")
    return scope


def add_user(
    name: str,
    role: str,
    scope: str,
    display: str | None = None,
    by: str = "admin",
    path: Path | None = None,
) -> str:
    """A new account; its secret (shown once: only its hash is kept)."""
    name = name.strip()
    if not re.fullmatch(r"[\w.\-@]{2,40}", name):
        raise AccountError(f"账号名“{name[:40]}”应为 2–40 个字母、数字、汉字或 . - _ @")
    if role not in ROLES:
        raise AccountError(f"角色“{role}”应为 {' / '.join(ROLES)}")
    scope = check_scope(scope)
    secret = secrets.token_urlsafe(24)
    with connect(path) as con:
        if con.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
            raise AccountError(f"账号 {name} 已存在（停用的账号不能重建，请换一个账号名）")
        con.execute(
            "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
            [name, display or name, role, scope, _sha(secret), _now().isoformat(), by],
        )
        _audit(con, by, "user-add", name, f"{ROLE_LABELS[role]}，{scope_label(scope)}")
    return secret


def revoke(name: str, by: str = "admin", path: Path | None = None) -> None:
    """Revoke an account and end its sessions: its next request is refused."""
    with connect(path) as con:
        row = con.execute("SELECT revoked_at FROM users WHERE name = ?", [name]).fetchone()
        if row is None:
            raise AccountError(f"没有账号 {name}")
        if row[0]:
            raise AccountError(f"账号 {name} 已于 {row[0]} 停用")
        con.execute("UPDATE users SET revoked_at = ? WHERE name = ?", [_now().isoformat(), name])
        con.execute("DELETE FROM sessions WHERE name = ?", [name])
        _audit(con, by, "user-revoke", name, None)


def users(path: Path | None = None) -> list[dict[str, Any]]:
    with connect(path) as con:
        rows = con.execute(
            "SELECT name, display, role, scope, created_at, created_by, revoked_at "
            "FROM users ORDER BY name"
        ).fetchall()
    keys = ["name", "display", "role", "scope", "created_at", "created_by", "revoked_at"]
    return [dict(zip(keys, r, strict=True)) for r in rows]


def _principal(row: Any) -> Principal:
    return Principal(name=row[0], role=row[1], scope=row[2], display=row[3])


def authenticate(secret: str, path: Path | None = None) -> Principal | None:
    """The account a secret belongs to, unless revoked. The seam for single sign-on:
    an OIDC or LDAP adapter returns a Principal from its own credential here."""
    secret = secret.strip()
    if len(secret) < 16:
        return None
    if not (path or store_path()).exists() or not has_users(path):
        dev = DEV_USERS.get(secret)
        return Principal(dev[0], dev[2], "", dev[1]) if dev else None
    with connect(path) as con:
        row = con.execute(
            "SELECT name, role, scope, display FROM users "
            "WHERE secret_sha = ? AND revoked_at IS NULL",
            [_sha(secret)],
        ).fetchone()
    return _principal(row) if row else None


def open_session(who: Principal, hours: float = SESSION_HOURS, path: Path | None = None) -> str:
    """A session for a signed-in user; its token (the cookie's value)."""
    token = secrets.token_urlsafe(32)
    now = _now()
    with connect(path) as con:
        con.execute("DELETE FROM sessions WHERE expires_at < ?", [now.isoformat()])
        con.execute(
            "INSERT INTO sessions VALUES (?, ?, ?, ?)",
            [
                _sha(token),
                who.name,
                now.isoformat(),
                (now + dt.timedelta(hours=hours)).isoformat(),
            ],
        )
    _dev_sessions[_sha(token)] = who  # development accounts live in no table
    return token


_dev_sessions: dict[str, Principal] = {}


def session_user(token: str, path: Path | None = None) -> Principal | None:
    """The user of an open, unexpired session whose account is not revoked."""
    if not token:
        return None
    sha = _sha(token)
    with connect(path) as con:
        row = con.execute(
            "SELECT s.name, s.expires_at, u.role, u.scope, u.display, u.revoked_at "
            "FROM sessions s LEFT JOIN users u USING (name) WHERE s.token_sha = ?",
            [sha],
        ).fetchone()
    if row is None or row[1] < _now().isoformat():
        return None
    if row[2] is None:  # a development account: only while there is no real one
        dev = _dev_sessions.get(sha)
        return dev if dev and not has_users(path) else None
    if row[5]:
        return None
    return Principal(name=row[0], role=row[2], scope=row[3], display=row[4])


def close_session(token: str, path: Path | None = None) -> None:
    with connect(path) as con:
        con.execute("DELETE FROM sessions WHERE token_sha = ?", [_sha(token)])
    _dev_sessions.pop(_sha(token), None)


def _audit(con: sqlite3.Connection, who: str, action: str, obj: str | None, detail: Any) -> None:
    text = None
    if detail is not None:
        text = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False)
        text = mask_text(text)
    con.execute(
        "INSERT INTO audit (at, who, action, object, detail) VALUES (?, ?, ?, ?, ?)",
        [_now().isoformat(), who, action, mask_text(obj) if obj else obj, text],
    )


def audit(
    who: str, action: str, obj: str | None = None, detail: Any = None, path: Path | None = None
) -> None:
    """Append one entry to the audit log (any ID number in it masked)."""
    with connect(path) as con:
        _audit(con, who, action, obj, detail)


def audit_log(
    *,
    who: str | None = None,
    action: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = 500,
    path: Path | None = None,
) -> list[dict[str, Any]]:
    """The audit log, newest first, filtered by user, action and dates (inclusive)."""
    clauses, params = [], []
    if who:
        clauses.append("who = ?")
        params.append(who)
    if action:
        clauses.append("action = ?")
        params.append(action)
    if since:
        clauses.append("at >= ?")
        params.append(since.isoformat())
    if until:
        clauses.append("at < ?")
        params.append((until + dt.timedelta(days=1)).isoformat())
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    with connect(path) as con:
        rows = con.execute(
            f"SELECT seq, at, who, action, object, detail FROM audit {where} "
            "ORDER BY seq DESC LIMIT ?",
            [*params, limit],
        ).fetchall()
    return [
        {
            "seq": r[0],
            "at": r[1],
            "who": r[2],
            "action": r[3],
            "action_label": ACTIONS.get(r[3], r[3]),
            "object": r[4],
            "detail": r[5],
        }
        for r in rows
    ]
