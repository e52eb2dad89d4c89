"""The web service over real HTTP (uvicorn on loopback): roles, masking, on-demand
checks against the snapshot, the audit log, and answers while a writer publishes."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import SMALL_AS_OF

FULL_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9])")
VIEWER = {"Authorization": "Bearer crosscheck-viewer-dev"}
REVIEWER = {"Authorization": "Bearer crosscheck-reviewer-dev"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def service(
    small_published: dict[str, Path], home: Path, tmp_path: Path
) -> Iterator[tuple[str, dict[str, Path]]]:
    """The service on its own copies of the published files (tests may replace them)."""
    home.mkdir(parents=True, exist_ok=True)
    files = {
        "published": home / "published.duckdb",
        "snapshot": home / "snapshot.duckdb",
        "db": small_published["db"],
        "world": small_published["world"],
    }
    shutil.copy(small_published["published"], files["published"])
    shutil.copy(small_published["snapshot"], files["snapshot"])
    # the publisher's pseudonym key travels with the published file (trainee search)
    shutil.copy(small_published["published"].parent / "pseudonym.key", home / "pseudonym.key")
    with running(files["published"], files["snapshot"]) as url:
        yield url, files


@contextlib.contextmanager
def running(published: Path, snapshot: Path) -> Iterator[str]:
    """The service (uvicorn on a free loopback port, in a thread) on these files; its URL."""
    import uvicorn

    from crosscheck.service.app import create_app

    port = free_port()
    app = create_app(published, snapshot)  # no account yet: dev secrets
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(10)


def test_roles_and_no_full_id_for_the_viewer(service: tuple[str, dict[str, Path]]) -> None:
    url, _ = service
    assert httpx.get(url + "/api/meta").status_code == 401
    assert httpx.get(url + "/api/meta", headers={"Authorization": "Bearer nope"}).status_code == 401
    meta = httpx.get(url + "/api/meta", headers=VIEWER).json()
    assert meta["role"] == "viewer"
    assert meta["as_of"] == SMALL_AS_OF
    # the viewer may read everything the dashboard shows, never a full ID number
    bodies = [json.dumps(meta, ensure_ascii=False)]
    for month in meta["months"][:6]:
        report = httpx.get(url + "/api/report", params={"month": month}, headers=VIEWER)
        assert report.status_code == 200
        bodies.append(report.text)
        for city in report.json()["by_city"]:
            if city["city_code"]:
                classes = httpx.get(
                    f"{url}/api/cities/{city['city_code']}/classes",
                    params={"month": month},
                    headers=VIEWER,
                )
                bodies.append(classes.text)
                for row in classes.json()[:3]:
                    bodies.append(
                        httpx.get(f"{url}/api/classes/{row['class_id']}", headers=VIEWER).text
                    )
    assert len(bodies) > 10
    assert not any(FULL_ID.search(b) for b in bodies)
    assert any("*" * 8 in b for b in bodies)  # masked numbers are there
    # and may not run a check
    refused = httpx.post(url + "/api/classes/C00001/opening-check", headers=VIEWER)
    assert refused.status_code == 403


def test_on_demand_check_matches_the_cli_and_is_audited(
    service: tuple[str, dict[str, Path]], home: Path
) -> None:
    import polars as pl

    url, files = service
    truth = pl.read_parquet(files["world"] / "truth/expected_findings.parquet")
    opening = truth.filter(pl.col("stage") != "payout")
    class_id = opening.group_by("class_id").len().sort("len", descending=True)["class_id"][0]
    answer = httpx.post(
        f"{url}/api/classes/{class_id}/opening-check",
        params={"as_of": SMALL_AS_OF},
        headers=REVIEWER,
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert not FULL_ID.search(answer.text)
    expected = opening.filter(pl.col("class_id") == class_id)
    got = {(f["rule_code"], f["severity"]) for f in data["findings"]}
    assert got == set(zip(expected["rule_code"], expected["severity"], strict=True))
    assert len(data["findings"]) == expected.height
    assert data["verdict"] == ("reject" if "block" in expected["severity"].to_list() else "review")
    unknown = httpx.post(f"{url}/api/classes/NOPE/opening-check", headers=REVIEWER)
    assert unknown.status_code == 404
    from crosscheck import accounts

    entry = accounts.audit_log(action="opening-check")[0]
    assert entry["object"] == class_id
    assert entry["who"] == "reviewer-dev"
    assert json.loads(entry["detail"])["verdict"] == data["verdict"]
    assert not FULL_ID.search(json.dumps(accounts.audit_log(), ensure_ascii=False))


def _upload(url: str, name: str, content: bytes, data: dict[str, Any]) -> httpx.Response:
    """A roster and its filing sent to the upload endpoint, as the /review page does."""
    return httpx.post(
        url + "/api/opening-check",
        headers=REVIEWER,
        files={"roster": (name, content)},
        data=data,
        timeout=30,
    )


def _filing(row: dict[str, Any], class_id: str) -> dict[str, Any]:
    """A new class's filing (开班备案) modelled on a class of the world."""
    return {
        "class_id": class_id,
        "region_code": row["region_code"],
        "institution_id": row["institution_id"],
        "major": row["major"],
        "planned_start": row["planned_start"].isoformat(),
        "planned_end": row["planned_end"].isoformat(),
        "months": row["months"],
    }


def test_uploaded_roster_is_checked_as_a_draft(service: tuple[str, dict[str, Path]]) -> None:
    import polars as pl

    from crosscheck.connectors.roster import read

    url, files = service
    world = files["world"]
    classes = pl.read_parquet(world / "operations/classes.parquet").filter(
        pl.col("policy_id") == "fushun-2023"
    )
    for row in classes.iter_rows(named=True):
        roster = next((world / "rosters").glob(f"{row['class_id']}.*"))
        if not read(roster).fatal:
            break
    filing = _filing(row, "NEW1")
    answer = _upload(
        url, roster.name, roster.read_bytes(), {"filing": json.dumps(filing), "as_of": SMALL_AS_OF}
    )
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["class_id"] == "NEW1"
    assert data["class"]["policy_id"] == "fushun-2023"  # chosen from region and date
    assert len(data["trainees"]) > 0
    bad = _upload(
        url,
        roster.name,
        roster.read_bytes(),
        {"filing": json.dumps({**filing, "planned_start": "2024-02-30"})},
    )
    assert bad.status_code == 422
    assert "开班备案信息" in bad.json()["detail"]


def test_an_uploaded_roster_with_bad_rows_is_reviewed_not_refused(
    service: tuple[str, dict[str, Path]], tmp_path: Path
) -> None:
    """Issue 14: an ID Excel kept as a number, a repeated person and a date that is
    none do not keep the other trainees out of the review — the IDs become
    身份证号码无效 / 花名册重复 findings with their Excel rows, the date is listed."""
    import polars as pl
    import xlsxwriter

    url, files = service
    world = files["world"]
    row = (
        pl.read_parquet(world / "operations/classes.parquet")
        .filter(pl.col("policy_id") == "fushun-2023")
        .row(0, named=True)
    )
    people = pl.read_parquet(world / "registries/household_registration.parquet").head(2)
    (a, b), (name_a, name_b) = people["id_number"].to_list(), people["name"].to_list()
    path = tmp_path / "花名册.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["序号", "姓名", "性别", "身份证号码", "毕业时间"])
    sheet.write_row(1, 0, [1, name_a, "女", a, "2024-06-30"])
    sheet.write_row(2, 0, [2, "王芳", "女"])
    sheet.write_number(2, 3, 210402200103159007.0)  # Excel kept it as a number
    sheet.write_row(3, 0, [3, name_b, "男", b, "2024-02-30"])  # no 30 February
    sheet.write_row(4, 0, [4, name_a, "女", a, "2024-06-30"])  # row 2 again
    book.close()
    filing = _filing(row, "NEW2")
    answer = _upload(
        url, path.name, path.read_bytes(), {"filing": json.dumps(filing), "as_of": SMALL_AS_OF}
    )
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["verdict"] == "reject"
    assert sorted(t["seq"] for t in data["trainees"]) == [2, 3, 4]  # a and its repeat: one
    invalid = [f for f in data["findings"] if f["rule_code"] == "ID_INVALID"]
    assert len(invalid) == 1
    assert invalid[0]["id_masked"] == "（无可用号码）"
    assert "第 3 行的身份证号码被存成了数字" in invalid[0]["evidence_text"]
    (duplicate,) = [f for f in data["findings"] if f["rule_code"] == "ROSTER_DUPLICATE"]
    assert duplicate["evidence"]["rows"] == [2, 5]
    assert data["roster_problems"] == [
        {"row": 4, "field": "毕业时间", "message": "“2024-02-30”不是有效日期（如 2023-06-30）"}
    ]
    assert not FULL_ID.search(answer.text)


def test_dashboard_answers_while_a_writer_publishes(
    service: tuple[str, dict[str, Path]], tmp_path: Path
) -> None:
    """A writer holds the warehouse and republishes again and again; every dashboard
    request in the meantime answers 200 with a consistent snapshot."""
    import datetime as dt

    from crosscheck import warehouse
    from crosscheck.reports.publish import publish

    url, files = service
    db = tmp_path / "writer.duckdb"
    shutil.copy(files["db"], db)
    stop = threading.Event()
    published = []

    def write() -> None:
        con = warehouse.connect(db, create=True)  # holds DuckDB's write lock the whole time
        try:
            while not stop.is_set():
                publish(con, dt.date.fromisoformat(SMALL_AS_OF), files["published"])
                published.append(1)
        finally:
            con.close()

    writer = threading.Thread(target=write)
    writer.start()
    statuses = []
    totals = set()
    try:
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline or len(published) < 3:
            answer = httpx.get(url + "/api/report", headers=VIEWER, timeout=10)
            statuses.append(answer.status_code)
            totals.add(answer.json()["totals"]["findings"])
    finally:
        stop.set()
        writer.join(60)
    assert len(published) >= 3
    assert len(statuses) > 10
    assert set(statuses) == {200}
    assert len(totals) == 1  # every snapshot is whole: the same data each time


def test_uploads_leave_nothing_behind_and_have_limits(
    service: tuple[str, dict[str, Path]],
) -> None:
    """An uploaded roster (full IDs, names, phones) is checked in a private folder that
    is removed afterwards; a body over 10 MB is refused (413) before it is read; a
    name with a path in it is only a name (issue 12, item 7)."""
    import tempfile

    url, files = service
    roster = next((files["world"] / "rosters").glob("*.xlsx"))
    filing = json.dumps({"class_id": "NEW1", "region_code": "210400"})
    temp = Path(tempfile.gettempdir())
    before = set(temp.glob("crosscheck-upload-*"))
    for name in (roster.name, "../../../etc/evil.xlsx", "..xlsx.xlsx"):
        answer = _upload(url, name, roster.read_bytes(), {"filing": filing})
        assert answer.status_code in (200, 422), answer.text
    assert set(temp.glob("crosscheck-upload-*")) == before
    assert not Path("/etc/evil.xlsx").exists()
    wrong = _upload(url, "roster.exe", b"MZ", {"filing": filing})
    assert wrong.status_code == 422
    assert ".xlsx" in wrong.json()["detail"]
    huge = _upload(url, "big.xlsx", b"0" * (11 * 1024 * 1024), {"filing": filing})
    assert huge.status_code == 413
    assert "上限" in huge.json()["detail"]


def test_an_empty_or_short_secret_grants_nothing(home: Path) -> None:
    """No header, an empty bearer and a short secret are always 401 (issue 12, item 6);
    a plaintext token file from an older version stops `serve` with what to do."""
    from fastapi.testclient import TestClient

    from crosscheck import accounts
    from crosscheck.service.app import create_app
    from crosscheck.service.auth import Principal

    app = create_app(tokens={"": Principal("空", "reviewer")})
    with TestClient(app) as client:
        assert client.get("/api/meta").status_code == 401
        assert client.get("/api/meta", headers={"Authorization": "Bearer "}).status_code == 401
        assert client.get("/api/meta", headers={"Authorization": ""}).status_code == 401
    assert accounts.authenticate("short") is None
    assert accounts.authenticate("crosscheck-viewer-dev") is not None  # no account yet
    accounts.add_user("fushun-li", "viewer", "2104")
    assert accounts.authenticate("crosscheck-viewer-dev") is None  # an account exists
    from tests.conftest import run_cli

    (home / "tokens.json").write_text('{"x": {"name": "王芳", "role": "viewer"}}')
    result = run_cli("serve", "--port", str(free_port()), "--web-only", home=home)
    assert result.returncode == 2, result.stderr
    assert "明文令牌文件已停用" in result.stderr
    assert "users add" in result.stderr


def test_serve_refuses_the_network_with_built_in_tokens(home: Path) -> None:
    """`serve --host 0.0.0.0` with the public development secrets would let anyone on
    the network review classes: refused at once, before anything listens."""
    from tests.conftest import run_cli

    port = free_port()
    result = run_cli("serve", "--host", "0.0.0.0", "--port", str(port), "--web-only", home=home)
    assert result.returncode == 2, result.stderr
    assert "开发" in result.stderr
    assert "users add" in result.stderr
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)


def test_a_trainee_is_found_by_full_number_or_name_and_shown_whole(
    service: tuple[str, dict[str, Path]],
) -> None:
    """The trainee page's API: a full ID number finds the person through the
    publisher's keyed pseudonym (the number is never stored or returned), a name
    finds people by name, and the page lists every class and finding of the person."""
    import duckdb

    url, files = service
    con = duckdb.connect(str(files["db"]), read_only=True)
    try:
        number, name, classes = con.execute(
            "SELECT f.id_number, any_value(r.name), count(DISTINCT r.class_id) "
            "FROM findings f JOIN roster_entries r USING (id_number) "
            "WHERE f.rule_code IN ('CONCURRENT_ENROLMENT', 'ALREADY_TRAINED_THIS_YEAR') "
            "AND f.resolved_at IS NULL GROUP BY 1 ORDER BY 1 LIMIT 1"
        ).fetchall()[0]
    finally:
        con.close()
    found = httpx.get(url + "/api/trainees", params={"q": f" {number.lower()} "}, headers=VIEWER)
    assert found.status_code == 200
    assert len(found.json()) == 1
    person = found.json()[0]
    assert person["classes"] == classes
    assert number not in found.text
    assert person["id_masked"] == number[:6] + "*" * 8 + number[-4:]
    assert re.fullmatch(r"[a-p]{20}", person["person_key"])
    by_name = httpx.get(url + "/api/trainees", params={"q": name}, headers=VIEWER).json()
    assert person["person_key"] in {p["person_key"] for p in by_name}
    page = httpx.get(f"{url}/api/trainees/{person['person_key']}", headers=VIEWER)
    assert page.status_code == 200
    body = page.json()
    assert len(body["classes"]) == classes
    assert body["findings"]
    assert all(
        f["evidence_text"] and not f["evidence_text"].startswith("{") for f in body["findings"]
    )
    assert body["elsewhere"]  # the other enrolment the finding cites
    assert all(e["start"] for e in body["elsewhere"])
    assert not FULL_ID.search(page.text)
    # bad input: nothing to search, a key that cannot be one
    assert httpx.get(url + "/api/trainees", params={"q": " "}, headers=VIEWER).status_code == 422
    assert httpx.get(url + "/api/trainees/../../x", headers=VIEWER).status_code == 404
    assert httpx.get(url + "/api/trainees/" + "a" * 20, headers=VIEWER).status_code == 404


def test_an_unknown_address_is_refused_in_chinese(service: tuple[str, dict[str, Path]]) -> None:
    url, _ = service
    missing = httpx.get(url + "/api/no-such-thing", headers=VIEWER)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "没有该地址"
    wrong = httpx.delete(url + "/api/meta", headers=VIEWER)
    assert wrong.status_code == 405
    assert wrong.json()["detail"] == "不支持该请求方法"


def test_the_class_list_by_rule_and_the_findings_download(
    service: tuple[str, dict[str, Path]], tmp_path: Path
) -> None:
    import openpyxl

    url, _ = service
    meta = httpx.get(url + "/api/meta", headers=VIEWER).json()
    assert {p["label"] for p in meta["policies"]} >= {"抚顺2023"}  # names, not ids
    assert meta["provinces"][0]["name"].endswith("省")
    month = meta["months"][0]
    for m in meta["months"]:
        rules = httpx.get(url + "/api/report", params={"month": m}, headers=VIEWER).json()
        if rules["by_rule"]:
            month = m
            break
    report = httpx.get(url + "/api/report", params={"month": month}, headers=VIEWER).json()
    rule = report["by_rule"][0]
    assert rule["severity_label"] in {"阻断", "不予补贴", "扣减", "人工复核", "调整补贴标准"}
    listed = httpx.get(
        url + "/api/classes", params={"month": month, "rule": rule["rule_code"]}, headers=VIEWER
    ).json()
    # the classes opened that month with the rule, and those ended that month with it
    assert len(listed) >= rule["classes"] > 0
    assert all(c["policy_label"] for c in listed)
    assert all(isinstance(c["in_accounting"], bool) for c in listed)
    one = listed[0]["class_id"]
    detail = httpx.get(f"{url}/api/classes/{one}", headers=VIEWER).json()
    assert detail["class"]["policy_label"]
    assert all(f["evidence_text"] for f in detail["findings"])
    xlsx = httpx.get(f"{url}/api/classes/{one}/findings.xlsx", headers=VIEWER)
    assert xlsx.status_code == 200
    (tmp_path / "f.xlsx").write_bytes(xlsx.content)
    sheet = openpyxl.load_workbook(tmp_path / "f.xlsx")["核查问题清单"]
    titles = {sheet.cell(r, 4).value for r in range(5, sheet.max_row + 1)}
    assert titles == {f["title"] for f in detail["findings"]}
    assert not FULL_ID.search(str([[c.value for c in row] for row in sheet.iter_rows()]))
    # bad filters say what is wrong
    bad = httpx.get(url + "/api/report", params={"month": month, "province": "x1"}, headers=VIEWER)
    assert bad.status_code == 422
    assert "省份代码" in bad.json()["detail"]
    assert httpx.get(f"{url}/api/classes/NOPE/findings.xlsx", headers=VIEWER).status_code == 404


def test_the_banner_names_a_stale_registry_and_a_night_that_did_not_finish(
    service: tuple[str, dict[str, Path]],
) -> None:
    """Issue 13, item 5: a registry last pulled two days ago, and a nightly run that
    was partial because a source was down — /api/meta's alerts say both."""
    import duckdb

    url, files = service
    fresh = httpx.get(url + "/api/meta", headers=VIEWER).json()
    assert fresh["alerts"] == []
    assert {s["source"] for s in fresh["sources"]} >= {"pension_contributions"}
    con = duckdb.connect(str(files["published"]))
    try:
        con.execute(
            "UPDATE sources SET last_success_at = now()::TIMESTAMP - INTERVAL 2 DAY "
            "WHERE source = 'pension_contributions'"
        )
        con.execute(
            "INSERT INTO runs VALUES ('nightly-x', 'nightly', now()::TIMESTAMP, "
            "now()::TIMESTAMP, 'partial', "
            """'{"stale_sources": {"business_licences": "connection refused"}}')"""
        )
    finally:
        con.close()
    meta = httpx.get(url + "/api/meta", headers=VIEWER).json()
    text = "\n".join(meta["alerts"])
    assert "养老保险参保缴费 的数据已超过一天未更新" in text
    assert "未全部完成：未拉取 营业执照" in text
    assert meta["runs"][0]["status_label"] == "部分完成"
    assert meta["runs"][0]["kind_label"] == "夜间核查"


def test_a_reviewer_downloads_a_citys_accounting_table_for_the_month(
    service: tuple[str, dict[str, Path]], tmp_path: Path, home: Path
) -> None:
    """The dashboard's 补贴核算表: a city's classes ending in the month, re-checked on
    the snapshot as of the published day — the same table `check payout --xlsx`
    writes, nothing written but the audit line; a viewer may not."""
    import openpyxl

    from crosscheck.reports.publish import open_published

    url, files = service
    board = open_published(files["published"])
    try:
        month, city, classes = board.execute(
            "SELECT month_ended, city_code, list(class_id ORDER BY class_id) FROM classes "
            "WHERE in_accounting GROUP BY ALL ORDER BY len(list(class_id)) DESC LIMIT 1"
        ).fetchall()[0]
    finally:
        board.close()
    params = {"month": month, "city": city}
    assert httpx.get(url + "/api/accounting.xlsx", params=params, headers=VIEWER).status_code == 403
    answer = httpx.get(url + "/api/accounting.xlsx", params=params, headers=REVIEWER, timeout=120)
    assert answer.status_code == 200, answer.text
    (tmp_path / "t.xlsx").write_bytes(answer.content)
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames[0].startswith("补贴核算表")
    cells = {str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row}
    assert set(classes) <= cells  # every class: to be paid, or on 暂不拨付
    assert not FULL_ID.search(" ".join(cells))
    from crosscheck import accounts

    newest = accounts.audit_log(limit=2)
    assert [e["action"] for e in newest] == ["download", "payout-accounting"]
    assert newest[0]["object"].startswith("补贴核算表-")  # the file, by name
    none = httpx.get(
        url + "/api/accounting.xlsx", params={"month": "2001-01", "city": city}, headers=REVIEWER
    )
    assert none.status_code == 404
    # the 公示名单 of the same classes, published on the day the reviewer gives
    day = {"published_on": "2026-01-05"}
    notice = httpx.get(url + "/api/notice.xlsx", params=params | day, headers=REVIEWER, timeout=120)
    assert notice.status_code == 200, notice.text
    (tmp_path / "n.xlsx").write_bytes(notice.content)
    sheets = openpyxl.load_workbook(tmp_path / "n.xlsx")
    text = " ".join(str(c.value) for ws in sheets.worksheets for row in ws.iter_rows() for c in row)
    assert "2026年01月05日" in text
    assert "*" * 8 in text
    assert not FULL_ID.search(text)
    bad = httpx.get(
        url + "/api/notice.xlsx", params=params | {"published_on": "2026-13-01"}, headers=REVIEWER
    )
    assert bad.status_code == 422
    assert "公示发布日期" in bad.json()["detail"]
    assert (
        httpx.get(url + "/api/notice.xlsx", params=params | day, headers=VIEWER).status_code == 403
    )
    # a publication day before the classes ended, or in a year whose holidays are not
    # known yet: refused, saying which (was a bare HTTP 500)
    early = httpx.get(
        url + "/api/notice.xlsx", params=params | {"published_on": f"{month}-01"}, headers=REVIEWER
    )
    assert early.status_code == 422
    assert "应在这些班级结课" in early.json()["detail"]
    future = httpx.get(
        url + "/api/notice.xlsx", params=params | {"published_on": "2099-12-28"}, headers=REVIEWER
    )
    assert future.status_code == 422, future.text
    assert "2099" in future.json()["detail"] or "2100" in future.json()["detail"]
