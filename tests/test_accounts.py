"""Accounts, scope, sessions, appeals on the web and the audit log (issue 15).

The service over real HTTP (uvicorn on loopback, the `service` fixture), users made
the way an admin makes them (`crosscheck users add` in a subprocess): a Fushun viewer
sees nothing of Shenyang on any endpoint that returns people; a revoked user is
refused on the next request with no restart; a session expires and ends at logout;
an appeal made on the web reopens a finding for a second reviewer, not the first."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.conftest import run_cli
from tests.test_service import FULL_ID, service  # noqa: F401  (the fixture)

FUSHUN, SHENYANG = "2104", "2101"


def _user(home: Path, name: str, role: str, scope: str) -> dict[str, str]:
    """An account made by the CLI, as an admin would; its Bearer header."""
    done = run_cli("users", "add", name, "--role", role, "--scope", scope, home=home)
    assert done.returncode == 0, done.stderr
    secret = done.stdout.strip().splitlines()[-1]
    assert len(secret) >= 30
    return {"Authorization": f"Bearer {secret}"}


def test_accounts_are_stored_hashed_and_the_audit_log_is_append_only(home: Path) -> None:
    from crosscheck import accounts

    secret = accounts.add_user("fushun-li", "reviewer", "2104", "抚顺市人社局 李明")
    with pytest.raises(accounts.AccountError, match="已存在"):
        accounts.add_user("fushun-li", "viewer", "2104")
    for bad, message in (("x", "账号名"), ("ok-name", "角色")):
        with pytest.raises(accounts.AccountError, match=message):
            accounts.add_user(bad, "boss" if bad == "ok-name" else "viewer", "21")
    with pytest.raises(accounts.AccountError, match="行政区划表中没有"):
        accounts.add_user("nowhere", "viewer", "2199")
    store = accounts.store_path()
    assert secret.encode() not in store.read_bytes()  # only its SHA-256
    assert oct(store.stat().st_mode & 0o777) == "0o600"
    who = accounts.authenticate(secret)
    assert who is not None
    assert who.scope == "2104"
    assert who.role == "reviewer"
    assert who.sees("210411")
    assert not who.sees("210100")
    accounts.audit("fushun-li", "download", "名单 110101199003074514", None)
    (entry,) = accounts.audit_log(action="download")
    assert "110101199003074514" not in json.dumps(entry, ensure_ascii=False)
    con = sqlite3.connect(store)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE audit SET who = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM audit")
    con.close()
    accounts.revoke("fushun-li")
    assert accounts.authenticate(secret) is None
    with pytest.raises(accounts.AccountError, match="已于"):
        accounts.revoke("fushun-li")
    listed = run_cli("users", "list", home=home)
    assert "已停用" in listed.stdout
    assert "辽宁省抚顺市" in listed.stdout
    assert secret not in listed.stdout


def test_a_fushun_viewer_sees_no_shenyang_row_anywhere(
    service: tuple[str, dict[str, Path]],  # noqa: F811
    home: Path,
) -> None:
    """Every endpoint that returns people, for a viewer (and a reviewer) of Fushun:
    Shenyang's classes, findings, trainees and downloads are 403 when asked for, and
    absent from every list, report and workbook."""
    from crosscheck.reports.publish import open_published

    url, files = service
    viewer = _user(home, "fushun-view", "viewer", FUSHUN)
    reviewer = _user(home, "fushun-review", "reviewer", FUSHUN)
    board = open_published(files["published"])
    try:
        shenyang = [
            r[0]
            for r in board.execute(
                "SELECT class_id FROM classes WHERE city_code = ? ORDER BY class_id", [SHENYANG]
            ).fetchall()
        ]
        only_shenyang = board.execute(
            "SELECT any_value(t.person_key), any_value(t.name) FROM trainees t "
            "JOIN classes c USING (class_id) GROUP BY t.person_key "
            "HAVING bool_and(c.city_code = ?) LIMIT 1",
            [SHENYANG],
        ).fetchall()[0]
        months = [
            r[0]
            for r in board.execute(
                "SELECT DISTINCT month_ended FROM classes WHERE city_code = ? AND in_accounting",
                [SHENYANG],
            ).fetchall()
        ]
        names = {
            r[0]
            for r in board.execute(
                "SELECT DISTINCT institution FROM classes WHERE city_code = ?", [SHENYANG]
            ).fetchall()
        } - {
            r[0]
            for r in board.execute(
                "SELECT DISTINCT institution FROM classes WHERE city_code <> ?", [SHENYANG]
            ).fetchall()
        }
    finally:
        board.close()
    assert shenyang
    assert months
    c = shenyang[0]
    refused = {
        f"/api/classes/{c}": viewer,
        f"/api/classes/{c}/findings.xlsx": viewer,
        f"/api/cities/{SHENYANG}/classes": viewer,
        f"/api/report?city={SHENYANG}": viewer,
        f"/api/report.xlsx?city={SHENYANG}": viewer,
        f"/api/classes?city={SHENYANG}": viewer,
        f"/api/queue?city={SHENYANG}": viewer,
        f"/api/accounting.xlsx?city={SHENYANG}&month={months[0]}": reviewer,
        f"/api/notice.xlsx?city={SHENYANG}&month={months[0]}&published_on=2026-01-05": reviewer,
    }
    for path, who in refused.items():
        answer = httpx.get(url + path, headers=who, timeout=60)
        assert answer.status_code == 403, (path, answer.text)
        assert "范围" in answer.json()["detail"]
    check = httpx.post(f"{url}/api/classes/{c}/opening-check", headers=reviewer, timeout=60)
    assert check.status_code == 403
    # a Shenyang finding: its history and a decision on it are refused too
    everyone = _user(home, "province-review", "reviewer", "21")
    theirs = httpx.get(f"{url}/api/queue?city={SHENYANG}", headers=everyone, timeout=60).json()
    key = theirs["findings"][0]["finding_id"]
    assert httpx.get(f"{url}/api/findings/{key}/history", headers=viewer).status_code == 403
    decided = httpx.post(
        f"{url}/api/findings/{key}/decision", json={"kind": "确认"}, headers=reviewer
    )
    assert decided.status_code == 403
    # a person trained only in Shenyang: not found by name, their page 404
    key, name = only_shenyang
    assert httpx.get(f"{url}/api/trainees/{key}", headers=viewer).status_code == 404
    found = httpx.get(f"{url}/api/trainees", params={"q": name}, headers=viewer).json()
    assert key not in {r["person_key"] for r in found}
    # what a Fushun viewer does get: nothing of Shenyang in it
    texts: list[str] = []
    meta = httpx.get(f"{url}/api/meta", headers=viewer).json()
    assert {x["code"] for x in meta["cities"]} == {FUSHUN}
    assert meta["scope_label"] == "辽宁省抚顺市"
    for month in meta["months"][:6]:
        report = httpx.get(f"{url}/api/report", params={"month": month}, headers=viewer)
        texts.append(report.text)
        classes = httpx.get(f"{url}/api/classes", params={"month": month}, headers=viewer)
        texts.append(classes.text)
        assert all(r["city_name"] == "抚顺市" for r in classes.json())
        assert not {r["institution"] for r in classes.json()} & names
        for row in classes.json()[:2]:
            texts.append(httpx.get(f"{url}/api/classes/{row['class_id']}", headers=viewer).text)
        book = httpx.get(f"{url}/api/report.xlsx", params={"month": month}, headers=viewer)
        with zipfile.ZipFile(io.BytesIO(book.content)) as z:
            texts.extend(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    queue = httpx.get(f"{url}/api/queue?all=true", headers=viewer, timeout=60).json()
    assert queue["findings"]
    assert all(r["region_code"].startswith(FUSHUN) for r in queue["findings"])
    texts.append(json.dumps(queue, ensure_ascii=False))
    blob = "\n".join(texts)
    where = blob.find("沈阳市")  # (a school in Shenyang may be a Fushun trainee's evidence)
    assert where < 0, blob[max(0, where - 300) : where + 100]
    assert not [c for c in shenyang if c in blob]
    assert not FULL_ID.search(blob)


def test_a_revoked_user_is_refused_on_the_next_request_without_restart(
    service: tuple[str, dict[str, Path]],  # noqa: F811
    home: Path,
) -> None:
    url, _ = service
    header = _user(home, "leaving", "viewer", FUSHUN)
    secret = header["Authorization"].split()[1]
    with httpx.Client(base_url=url) as browser:
        login = browser.post("/api/login", json={"account": "leaving", "secret": secret})
        assert login.status_code == 200, login.text
        assert "httponly" in login.headers["set-cookie"].lower()
        assert browser.get("/api/meta").status_code == 200  # by the session cookie
        assert httpx.get(f"{url}/api/meta", headers=header).status_code == 200
        done = run_cli("users", "revoke", "leaving", home=home)
        assert done.returncode == 0, done.stderr
        assert browser.get("/api/meta").status_code == 401
        assert httpx.get(f"{url}/api/meta", headers=header).status_code == 401
        again = browser.post("/api/login", json={"account": "leaving", "secret": secret})
        assert again.status_code == 401
    from crosscheck import accounts

    actions = [e["action"] for e in accounts.audit_log(who="leaving")]
    assert actions == ["login-failed", "login"]


def test_a_session_expires_and_ends_at_logout(home: Path) -> None:
    """A session cookie lasts its hours (here a second) and no longer; logout ends it
    at once; with a cookie, a change needs the pages' own header (no forged form)."""
    from fastapi.testclient import TestClient

    from crosscheck import accounts
    from crosscheck.service.app import create_app

    secret = accounts.add_user("short-lived", "reviewer", FUSHUN)
    app = create_app(home / "none.duckdb", home / "none-snapshot.duckdb", session_seconds=1)
    with TestClient(app) as client:
        assert client.post("/api/login", json={"secret": "wrong" * 5}).status_code == 401
        assert client.post("/api/login", json={"secret": secret}).status_code == 200
        assert client.get("/api/me").json()["scope_label"] == "辽宁省抚顺市"
        forged = client.post("/api/findings/abcdefgh/decision", json={"kind": "确认"})
        assert forged.status_code == 403
        assert "X-Crosscheck" in forged.json()["detail"]
        time.sleep(2.1)
        assert client.get("/api/me").status_code == 401
        assert client.post("/api/login", json={"secret": secret}).status_code == 200
        assert client.get("/api/me").status_code == 200
        client.post("/api/logout", headers={"X-Crosscheck": "1"})
        assert client.get("/api/me").status_code == 401
    assert client.get("/login").status_code in (200, 303)


def test_an_appeal_on_the_web_needs_a_second_reviewer_not_the_first(
    service: tuple[str, dict[str, Path]],  # noqa: F811
    home: Path,
    tmp_path: Path,
) -> None:
    """A reviewer dismisses a finding; an appeal is recorded; the same reviewer cannot
    decide it, nor can a plain reviewer; another second reviewer can. Every step is
    in the audit log, which only an admin reads."""
    url, files = service
    first = _user(home, "first-second", "second_reviewer", FUSHUN)
    plain = _user(home, "plain-review", "reviewer", FUSHUN)
    other = _user(home, "other-second", "second_reviewer", "21")
    admin = _user(home, "the-admin", "admin", "")
    queue = httpx.get(
        f"{url}/api/queue", params={"rule": "PRIOR_EMPLOYMENT", "city": FUSHUN}, headers=first
    ).json()["findings"]
    key = queue[0]["finding_id"]
    done = httpx.post(
        f"{url}/api/findings/{key}/decision",
        json={"kind": "驳回", "reason": "社保中心更正证明", "attachments": ["更正证明.pdf"]},
        headers=first,
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "已驳回"
    appealed = httpx.post(
        f"{url}/api/findings/{key}/appeal",
        json={"party": "学员", "grounds": "本人确未就业"},
        headers=plain,
    )
    assert appealed.status_code == 200, appealed.text
    assert appealed.json()["status"] == "异议待复核"
    for who, message in ((first, "另一位复核人"), (plain, "复核人审核")):
        refused = httpx.post(
            f"{url}/api/findings/{key}/decision", json={"kind": "确认"}, headers=who
        )
        assert refused.status_code == 422
        assert message in refused.json()["detail"]
    ok = httpx.post(f"{url}/api/findings/{key}/decision", json={"kind": "确认"}, headers=other)
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "已确认"
    history = httpx.get(f"{url}/api/findings/{key}/history", headers=plain).json()
    assert [d["kind"] for d in history["decisions"]] == ["dismiss", "confirm"]
    assert history["appeals"][0]["first_reviewer"] == "first-second"
    assert not history["appeals"][0]["open"]
    assert httpx.get(f"{url}/api/audit", headers=other).status_code == 403
    log = httpx.get(f"{url}/api/audit", params={"action": "decision"}, headers=admin).json()
    assert [e["who"] for e in log["entries"]] == ["other-second", "first-second"]
    assert not FULL_ID.search(json.dumps(log, ensure_ascii=False))
    # the next run merges the web's decisions into the warehouse, once
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(files["db"], db)
    for _ in range(2):
        run = run_cli("review", "history", key[:12], "--json", "--db", str(db), home=home)
        assert run.returncode == 0, run.stderr
    merged = json.loads(run.stdout)
    assert [d["kind"] for d in merged["decisions"]] == ["dismiss", "confirm"]
    assert merged["status"] == "已确认"
