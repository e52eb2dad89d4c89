"""No full ID number in anything crosscheck writes for people to read (issue 13, item 3).

One demo home, then every command that writes or prints: CLI text and JSON,
exports, workbooks (unzipped), the published database, GX results, logs, the
on-demand audit, and the API's answers for every role. Each is scanned for an
18-character ID number with a valid check digit. The warehouse and the on-demand
snapshot are the two private stores (0600, never published) and the world folder
is the input; everything else is scanned. ``--full-id`` is the one way to ask for
the numbers, and the scan is shown to find them there.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import duckdb
import polars as pl
import pytest

from crosscheck import idnumber
from tests.conftest import run_cli

REPO = Path(__file__).resolve().parents[1]
SHAPE = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
PRIVATE = {"crosscheck.duckdb", "snapshot.duckdb"}


def full_ids(text: str) -> list[str]:
    """Every real (check-digit valid) 18-character ID number in ``text``."""
    return [
        m.group(0)
        for m in SHAPE.finditer(text)
        if idnumber.check_digit(m.group(0)[:17]) == m.group(0)[17].upper()
    ]


def file_text(path: Path) -> str:
    """What a reader of ``path`` can see, as text."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    if path.suffix == ".parquet":
        return pl.read_parquet(path).write_csv()
    if path.suffix == ".duckdb":
        with duckdb.connect(str(path), read_only=True) as con:
            parts: list[str] = []
            for (table,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
            ).fetchall():
                rows = con.execute(f'SELECT CAST(t AS VARCHAR) FROM "{table}" t').fetchall()
                parts.extend(r[0] for r in rows)
            return "\n".join(parts)
    return path.read_bytes().decode("utf-8", "replace")


def run(home: Path, *args: str) -> str:
    done = run_cli(*args, home=home, columns="200")
    assert done.returncode in (0, 1, 3), (args, done.stdout[-2000:], done.stderr[-2000:])
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A demo home and the printed output of every reading and writing command."""
    home = tmp_path_factory.mktemp("scan") / "home"
    printed = {"demo": run(home, "demo")}
    out = home / "out"
    printed["findings export"] = run(home, "findings", "export", "--out", str(out / "f.csv"))
    printed["findings export parquet"] = run(
        home, "findings", "export", "--format", "parquet", "--out", str(out / "f.parquet")
    )
    printed["links export"] = run(home, "links", "export", "--out", str(out / "links.csv"))
    printed["check payout"] = run(
        home, "check", "payout", "--as-of", "2025-12-20", "--xlsx", str(out / "payout.xlsx")
    )
    printed["check payout json"] = run(home, "check", "payout", "--as-of", "2025-12-20", "--json")
    printed["check opening"] = run(
        home, "check", "opening", "--class", "C00020", "--as-of", "2025-12-20",
        "--xlsx", str(out / "opening.xlsx"),
    )  # fmt: skip
    printed["check opening json"] = run(
        home, "check", "opening", "--class", "C00020", "--as-of", "2025-12-20", "--json"
    )
    printed["notice"] = run(
        home, "notice", "--batch", "B202501", "--as-of", "2025-12-20",
        "--xlsx", str(out / "notice.xlsx"),
    )  # fmt: skip
    printed["notice json"] = run(
        home, "notice", "--batch", "B202501", "--as-of", "2025-12-20", "--json"
    )
    printed["report monthly"] = run(
        home, "report", "monthly", "--month", "2025-09", "--out", str(out / "m.xlsx")
    )
    return home, printed


def test_the_scan_finds_a_number_when_one_is_asked_for(
    demo: tuple[Path, dict[str, str]],
) -> None:
    home, _ = demo
    shown = run(home, "findings", "export", "--full-id", "--out", str(home / "full.csv"))
    assert full_ids(file_text(home / "full.csv"))
    assert not full_ids(shown)
    (home / "full.csv").unlink()  # asked for: not part of what the others scan


def test_no_printed_output_holds_a_full_id(demo: tuple[Path, dict[str, str]]) -> None:
    _, printed = demo
    assert len(printed) >= 10
    leaks = {cmd: full_ids(text)[:3] for cmd, text in printed.items() if full_ids(text)}
    assert not leaks


def test_no_written_file_holds_a_full_id(demo: tuple[Path, dict[str, str]]) -> None:
    home, _ = demo
    files = [
        p
        for p in home.rglob("*")
        if p.is_file()
        and p.name not in PRIVATE
        and "worlds" not in p.relative_to(home).parts
        and not p.name.endswith((".wal", ".json.tmp"))
    ]
    kinds = {p.suffix for p in files}
    assert {".xlsx", ".csv", ".parquet", ".duckdb", ".json"} <= kinds, kinds
    leaks = {str(p.relative_to(home)): full_ids(file_text(p))[:3] for p in files}
    assert not {k: v for k, v in leaks.items() if v}
    # the private stores do hold them (so the scan reads what it should)
    assert full_ids(file_text(home / "crosscheck.duckdb"))


def test_no_api_answer_holds_a_full_id_for_any_role(
    demo: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from crosscheck.accounts import DEV_USERS as DEV_TOKENS
    from crosscheck.service.app import create_app

    home, _ = demo
    monkeypatch.setenv("CROSSCHECK_HOME", str(home))
    app = create_app(home / "published.duckdb", home / "snapshot.duckdb")
    bodies: list[str] = []
    with TestClient(app) as client:
        for token in DEV_TOKENS:
            auth = {"Authorization": f"Bearer {token}"}
            meta = client.get("/api/meta", headers=auth)
            assert meta.status_code == 200
            bodies.append(meta.text)
            for month in meta.json()["months"][:3]:
                report = client.get("/api/report", params={"month": month}, headers=auth)
                bodies.append(report.text)
                book = client.get("/api/report.xlsx", params={"month": month}, headers=auth)
                with zipfile.ZipFile(io.BytesIO(book.content)) as z:
                    bodies.extend(z.read(n).decode("utf-8", "replace") for n in z.namelist())
                for city in report.json()["by_city"]:
                    if not city["city_code"]:
                        continue
                    classes = client.get(
                        f"/api/cities/{city['city_code']}/classes",
                        params={"month": month},
                        headers=auth,
                    )
                    bodies.append(classes.text)
                    for row in classes.json()[:4]:
                        detail = client.get(f"/api/classes/{row['class_id']}", headers=auth)
                        bodies.append(detail.text)
                        sheet = client.get(
                            f"/api/classes/{row['class_id']}/findings.xlsx", headers=auth
                        )
                        with zipfile.ZipFile(io.BytesIO(sheet.content)) as z:
                            bodies.extend(
                                z.read(n).decode("utf-8", "replace") for n in z.namelist()
                            )
                        # the trainee page of each person with a finding, found by name
                        for f in detail.json()["findings"][:3]:
                            if not f.get("person_key"):
                                continue
                            found = client.get(
                                "/api/trainees", params={"q": f["name"]}, headers=auth
                            )
                            bodies.append(found.text)
                            bodies.append(
                                client.get(f"/api/trainees/{f['person_key']}", headers=auth).text
                            )
                listed = client.get("/api/classes", params={"month": month}, headers=auth)
                bodies.append(listed.text)
            # the queue of findings waiting for a decision, and a finding's history
            queue = client.get("/api/queue", headers=auth)
            assert queue.status_code == 200, queue.text
            bodies.append(queue.text)
            for f in queue.json()["findings"][:3]:
                bodies.append(
                    client.get(f"/api/findings/{f['finding_id']}/history", headers=auth).text
                )
            if DEV_TOKENS[token][2] == "reviewer":
                check = client.post(
                    "/api/classes/C00020/opening-check",
                    params={"as_of": "2025-12-20"},
                    headers=auth,
                )
                assert check.status_code == 200, check.text
                bodies.append(check.text)
                book = client.post(
                    "/api/classes/C00020/opening-check",
                    params={"as_of": "2025-12-20", "format": "xlsx"},
                    headers=auth,
                )
                assert book.status_code == 200, book.text
                with zipfile.ZipFile(io.BytesIO(book.content)) as z:
                    bodies.extend(z.read(n).decode("utf-8", "replace") for n in z.namelist())
                # a city's 补贴核算表 and 公示名单 of a month (the dashboard's downloads)
                with duckdb.connect(str(home / "published.duckdb"), read_only=True) as board:
                    month, city = board.execute(
                        "SELECT month_ended, city_code FROM classes WHERE in_accounting "
                        "GROUP BY ALL ORDER BY count(*) DESC LIMIT 1"
                    ).fetchall()[0]
                for path, extra in (
                    ("/api/accounting.xlsx", {}),
                    ("/api/notice.xlsx", {"published_on": "2025-12-22"}),
                ):
                    sheet = client.get(
                        path, params={"month": month, "city": city, **extra}, headers=auth
                    )
                    assert sheet.status_code == 200, sheet.text
                    with zipfile.ZipFile(io.BytesIO(sheet.content)) as z:
                        bodies.extend(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    app.state.ondemand.close()
    assert len(bodies) > 20
    assert any("*" * 8 in b for b in bodies)
    assert not [full_ids(b)[:3] for b in bodies if full_ids(b)]
    from crosscheck import accounts

    audit = accounts.audit_log(limit=5000)
    assert {"opening-check", "download"} <= {e["action"] for e in audit}
    assert not full_ids(json.dumps(audit, ensure_ascii=False))
