"""The 补贴核算表 formula (001 annex 8) on worked examples computed by hand, the
public-notice period, and the annex layout of the exported sheet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from crosscheck import warehouse
from crosscheck.checks import accounting, runner
from crosscheck.office import Office
from crosscheck.reports import accounting as sheet
from crosscheck.reports import notice

SEED_001 = Path(__file__).resolve().parents[1] / "data/seeds/001_4b5214f267a94f2a.txt"
AS_OF = dt.date(2024, 12, 31)
NOW = dt.datetime(2024, 12, 31, 12, 0)


def _class(con: duckdb.DuckDBPyConnection, class_id: str, **fields: Any) -> None:
    row = {
        "class_id": class_id,
        "policy_id": "fushun-2023",
        "region_code": "210400",
        "institution_id": "I1",
        "major": "电子商务师",
        "planned_start": dt.date(2024, 3, 1),
        "planned_end": dt.date(2024, 6, 30),
        "months": 4,
        "status": "completed",
    } | fields
    con.execute(
        f"INSERT INTO classes ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
        list(row.values()),
    )
    con.execute(
        "INSERT INTO completion_acceptance (class_id, applied_on, accepted) VALUES (?, ?, true)",
        [class_id, fields.get("planned_end", dt.date(2024, 6, 30)) - dt.timedelta(days=20)],
    )


def _roster(con: duckdb.DuckDBPyConnection, class_id: str, people: list[str]) -> None:
    for seq, person in enumerate(people, start=1):
        con.execute(
            "INSERT INTO roster_entries (class_id, seq, id_number, name) VALUES (?, ?, ?, ?)",
            [class_id, seq, person, f"学员{seq}"],
        )


def _finding(
    con: duckdb.DuckDBPyConnection, class_id: str, person: str | None, code: str, severity: str
) -> None:
    con.execute(
        "INSERT INTO findings (finding_id, stage, class_id, id_number, rule_code, severity, "
        "policy_id, policy_version, evidence, first_run_id, last_run_id, first_seen_at, "
        "last_seen_at) VALUES (?, 'payout', ?, ?, ?, ?, 'fushun-2023', 'v', '{}', 'r', 'r', ?, ?)",
        [f"{class_id}|{person}|{code}", class_id, person, code, severity, NOW, NOW],
    )


def _exam(con: duckdb.DuckDBPyConnection, class_id: str, person: str, certificate: str) -> None:
    con.execute(
        "INSERT INTO exam_results (class_id, id_number, status, certificate_type) "
        "VALUES (?, ?, 'passed', ?)",
        [class_id, person, certificate],
    )


def _compute(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    runner.class_params(con)
    con.execute("CREATE OR REPLACE TEMP TABLE _scope AS SELECT class_id FROM classes")
    frame = accounting.compute(con, AS_OF)
    return {r["class_id"]: r for r in frame.iter_rows(named=True)}


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return warehouse.connect(tmp_path / "w.duckdb", create=True)


def test_fushun_worked_example(con: duckdb.DuckDBPyConnection) -> None:
    """Ten trainees, rates by certificate, overlapping exclusions, both deductions.

    By hand: P01 dropped out *and* paid social insurance → counted once, as 中退;
    P02 social insurance; P03 failed; P04 absent *and* materials failed → 未报名参加考试
    (the annex's order); P05 subsidised elsewhere → 其他原因. Subsidised: P06 own
    graduate 1000, P07 vocational qualification 2000, P08 special ability 1500,
    P09 skill level 2000, P10 special ability 1500 (a review finding excludes no one).
    Proposed = (1000+2000+1500+2000+1500) × 4 months = 32,000.00 CNY.
    Attendance checks 40/50 (exactly 80 %: not below), 39/50 and 30/50 → 2 × 2 % =
    4 % = 1,280.00; violation 5 % = 1,600.00; actual 32,000 − 2,880 = 29,120.00 CNY.
    One row per rate, highest first, each with its own deductions: 2000 → 16,000.00
    (−640.00 −800.00); 1500 → 12,000.00 (−480.00 −600.00); 1000 → 4,000.00 (−160.00
    −200.00); the excluded without a certificate or a directory rate in a row of
    their own at no rate.
    """
    _class(con, "K1")
    people = [f"P{i:02d}" for i in range(1, 11)]
    _roster(con, "K1", people)
    for person, code in [
        ("P01", "DROPPED_OUT"),
        ("P01", "EMPLOYED_DURING_TRAINING"),
        ("P02", "EMPLOYED_DURING_TRAINING"),
        ("P03", "EXAM_FAILED"),
        ("P04", "MATERIALS_INCOMPLETE"),
        ("P04", "EXAM_ABSENT"),
        ("P05", "DUPLICATE_SUBSIDY"),
    ]:
        _finding(con, "K1", person, code, "exclude")
    _finding(con, "K1", "P10", "LOW_ATTENDANCE", "review")
    _finding(con, "K1", "P06", "OWN_GRADUATE", "rate")
    for person, certificate in [
        ("P06", "skill_level"),
        ("P07", "vocational_qualification"),
        ("P08", "special_ability"),
        ("P09", "skill_level"),
        ("P10", "special_ability"),
    ]:
        _exam(con, "K1", person, certificate)
    for day, present in [(1, 40), (2, 39), (3, 30)]:
        con.execute(
            "INSERT INTO attendance_checks VALUES ('K1', ?, 50, ?, NULL, NULL, NULL, NULL)",
            [dt.date(2024, 4, day), present],
        )
    con.execute("INSERT INTO violations (class_id, deduction_rate) VALUES ('K1', 0.05)")
    row = _compute(con)["K1"]
    assert (row["opened"], row["dropped_out"], row["social_insurance"]) == (10, 1, 1)
    assert (row["exam_failed"], row["exam_absent"], row["materials_failed"]) == (1, 1, 0)
    assert (row["other_excluded"], row["subsidised"]) == (1, 5)
    assert row["proposed_fen"] == 3_200_000
    assert row["attendance_checks_below"] == 2
    assert row["attendance_deduction_fen"] == 128_000
    assert row["violation_deduction_fen"] == 160_000
    assert row["total_deduction_fen"] == 288_000
    assert row["actual_fen"] == 2_912_000
    assert [tuple(r) for r in row["by_rate"]] == [
        (200_000, 2, 1_600_000),
        (150_000, 2, 1_200_000),
        (100_000, 1, 400_000),
        (None, 0, 0),
    ]
    rows = {r["rate_fen"]: r for r in accounting.rows(con).iter_rows(named=True)}
    assert (
        rows[200_000]["attendance_deduction_fen"],
        rows[200_000]["violation_deduction_fen"],
    ) == (
        64_000,
        80_000,
    )
    assert (rows[100_000]["actual_fen"], rows[None]["opened"]) == (400_000 - 16_000 - 20_000, 5)
    assert row["payable"]
    # each trainee's share of the proposed amount adds up to it
    shares = accounting.people(con)
    assert shares["amount_fen"].sum() == row["proposed_fen"]
    assert shares.filter(pl.col("id_number") == "P01")["excluded"][0] == "dropped_out"


def test_class_level_block_keeps_the_table_but_stops_payment(
    con: duckdb.DuckDBPyConnection,
) -> None:
    _class(con, "K2")
    _roster(con, "K2", ["A", "B"])
    _exam(con, "K2", "A", "special_ability")
    _exam(con, "K2", "B", "special_ability")
    _finding(con, "K2", None, "NOT_ACCEPTED", "block")
    row = _compute(con)["K2"]
    assert row["proposed_fen"] == 2 * 150_000 * 4
    assert not row["payable"]
    assert not row["noticeable"]


def test_shenyang_rates_by_major_and_no_attendance_deduction(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Shenyang: the rate is the major's (1500/month × 3 months); its notice sets no
    per-check deduction, so checks below 80 % cost nothing: 2 × 1500 × 3 = 9,000.00."""
    _class(
        con,
        "S1",
        policy_id="shenyang-2022",
        region_code="210100",
        institution_id="I2",
        major="网络营销",
        planned_start=dt.date(2022, 4, 1),
        planned_end=dt.date(2022, 6, 30),
        months=3,
    )
    con.execute(
        "INSERT INTO institution_majors (institution_id, major, rate_fen_per_month, months) "
        "VALUES ('I2', '网络营销', 150000, 3)"
    )
    _roster(con, "S1", ["A", "B", "C"])
    _finding(con, "S1", "C", "DROPPED_OUT", "exclude")
    con.execute(
        "INSERT INTO attendance_checks VALUES ('S1', '2022-05-01', 50, 10, NULL, NULL, NULL, NULL)"
    )
    row = _compute(con)["S1"]
    assert (row["subsidised"], row["dropped_out"]) == (2, 1)
    assert row["proposed_fen"] == 900_000
    assert row["attendance_deduction_fen"] == 0
    assert row["actual_fen"] == 900_000


@pytest.mark.parametrize(
    ("published", "ends"),
    [
        # a plain week: Monday to Friday
        (dt.date(2024, 11, 4), dt.date(2024, 11, 8)),
        # Friday before National Day 2024: Sun 29 Sep is a working day, 1–7 Oct are not
        (dt.date(2024, 9, 27), dt.date(2024, 10, 9)),
        # published on a rest day (Sat 28 Sep 2024): the period starts on the next working day
        (dt.date(2024, 9, 28), dt.date(2024, 10, 10)),
        # Sat 8 Feb 2025 was a working day (Spring Festival make-up)
        (dt.date(2025, 2, 8), dt.date(2025, 2, 13)),
    ],
)
def test_notice_period_is_five_working_days(published: dt.date, ends: dt.date) -> None:
    assert notice.period_end(published, ["fushun-2023"]) == ends


def test_sheet_headers_are_the_annex_headers(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    import openpyxl

    lines = SEED_001.read_text(encoding="utf-8").splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith("序号\t培训机构"))
    annex = [line.split("\t") for line in lines[top : top + 2]]
    _class(con, "K3")
    _roster(con, "K3", ["A"])
    _exam(con, "K3", "A", "skill_level")
    runner.class_params(con)
    con.execute("CREATE OR REPLACE TEMP TABLE _scope AS SELECT class_id FROM classes")
    frame = accounting.describe(con, accounting.compute(con, AS_OF))
    path = tmp_path / "acc.xlsx"
    sheet.write(path, frame)
    ws = openpyxl.load_workbook(path).active
    assert ws is not None
    # title, then 填报单位 / 填报日期, then the annex's two header rows
    for row, cells in enumerate(annex, start=3):
        for col, text in enumerate(cells, start=1):
            if text:
                # 材料是否齐全 is merged over both header rows: its text is in the top cell
                shown = ws.cell(row, col).value or ws.cell(row - 1, col).value
                assert shown == text, (row, col)
    assert ws.cell(5, 4).value == "K3"
    assert ws.cell(5, 16).value == 2000 * 4  # 拟补贴金额(元)
    assert ws.cell(6, 1).value == "合计"
    assert "Q3:T3" in {str(r) for r in ws.merged_cells.ranges}  # 扣减金额 spans four columns


def _sheet_frame(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Two Fushun classes: K4 payable (2 trainees), K5 blocked (not accepted)."""
    for class_id in ("K4", "K5"):
        _class(con, class_id)
        _roster(con, class_id, [f"{class_id}A", f"{class_id}B"])
        _exam(con, class_id, f"{class_id}A", "skill_level")
        _exam(con, class_id, f"{class_id}B", "special_ability")
    _finding(con, "K5", None, "NOT_ACCEPTED", "block")
    runner.class_params(con)
    con.execute("CREATE OR REPLACE TEMP TABLE _scope AS SELECT class_id FROM classes")
    return accounting.describe(con, accounting.compute(con, AS_OF))


def _cells(ws: Any) -> list[list[Any]]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_a_withheld_class_is_shown_apart_and_never_in_the_total(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Issue 13, item 1: the 合计 is what is to be paid. A class that may not be paid
    (a block stands) is listed on its own sheet with its reason, not summed in."""
    import openpyxl

    frame = _sheet_frame(con)
    path = tmp_path / "acc.xlsx"
    sheet.write(path, frame)
    book = openpyxl.load_workbook(path)
    main = book.worksheets[0]
    rows = _cells(main)
    assert not any("K5" in r for r in rows)
    total = next(r for r in rows if r[0] == "合计")
    assert total[21] == (2000 + 1500) * 4  # K4 only: 实际补贴金额(元)
    assert total[8] == 2  # 开班人数 of K4 only
    assert any("暂不拨付" in str(c) and "未计入合计" in str(c) for r in rows for c in r if c)
    held = book["暂不拨付"]
    held_rows = _cells(held)
    k5 = [r for r in held_rows if "K5" in r]  # one row per rate
    assert sum(r[21] for r in k5) == (2000 + 1500) * 4
    assert all(any("未通过结课验收" in str(c) for c in r if c) for r in k5)


def test_the_sheet_has_exactly_the_annex_columns_and_a_second_sheet_of_notes(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """The annex has 23 columns; crosscheck's 其他原因不予补贴人数 and 核查说明 go to a
    sheet 核查说明, 材料是否齐全 is merged over both header rows like its neighbours,
    and the title is the annex's own (no added 免费)."""
    import openpyxl

    frame = _sheet_frame(con)
    path = tmp_path / "acc.xlsx"
    sheet.write(path, frame, unit="抚顺市就业和人才服务中心", issued_on=dt.date(2025, 1, 9))
    book = openpyxl.load_workbook(path)
    main = book.worksheets[0]
    assert main.max_column == 23
    assert main.cell(1, 1).value == "抚顺市高校毕业生专业转换及技能提升培训补贴核算表"
    header = next(r for r in range(1, 6) if main.cell(r, 1).value == "序号")
    assert f"W{header}:W{header + 1}" in {str(r) for r in main.merged_cells.ranges}
    assert main.cell(header, 23).value == "材料是否齐全"
    line = " ".join(str(c) for c in _cells(main)[header - 2] if c)
    assert "填报单位：抚顺市就业和人才服务中心" in line
    assert "填报日期：2025年01月09日" in line
    notes = book["核查说明"]
    found = _cells(notes)
    assert "其他原因不予补贴人数" in found[2]
    assert any("K5" in r for r in found)
    assert any("K4" in r for r in found)


def test_the_sheet_is_set_up_for_printing(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """Landscape A4, one page wide, header rows repeated, page numbers in the footer."""
    import openpyxl

    path = tmp_path / "acc.xlsx"
    sheet.write(path, _sheet_frame(con))
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0)  # 1: default
    assert ws.print_title_rows
    assert "&P" in ws.oddFooter.center.text


def _notice_inputs(
    days: dict[str, dt.date], blocked: set[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    classes = sorted(days)
    accounts = pl.DataFrame(
        {
            "class_id": classes,
            "policy_id": ["fushun-2023"] * len(classes),
            "institution": [f"机构{c}" for c in classes],
            "major": ["电子商务师"] * len(classes),
            "region_code": ["210400"] * len(classes),
            "noticeable": [c not in blocked for c in classes],
            "subsidised": [1] * len(classes),
            "proposed_fen": [800_000] * len(classes),
            "total_deduction_fen": [0] * len(classes),
            "actual_fen": [800_000] * len(classes),
        }
    )
    people = pl.DataFrame(
        {
            "class_id": classes,
            "seq": [1] * len(classes),
            "name": ["张三"] * len(classes),
            "id_number": ["210102199003071233"] * len(classes),
            "excluded": [None] * len(classes),
            "amount_fen": [800_000] * len(classes),
        },
        schema_overrides={"excluded": pl.String},
    )
    return accounts, people


def test_the_notice_period_belongs_to_the_classes_on_the_notice() -> None:
    """Issue 13, item 2: a withheld class published earlier lends the notice neither
    its start nor its end. Thu 9 Jan 2025 + 5 working days ends Wed 15 Jan."""
    accounts, people = _notice_inputs(
        {"P1": dt.date(2025, 1, 9), "W1": dt.date(2025, 1, 2)}, blocked={"W1"}
    )
    result = notice.build(
        "B1", {"P1": dt.date(2025, 1, 9), "W1": dt.date(2025, 1, 2)}, accounts, people
    )
    assert [(p.published_on, p.ends_on) for p in result.parts] == [
        (dt.date(2025, 1, 9), dt.date(2025, 1, 15))
    ]


def test_classes_published_on_different_days_get_one_notice_each(tmp_path: Path) -> None:
    import openpyxl

    days = {"P1": dt.date(2025, 1, 9), "P2": dt.date(2025, 1, 13)}
    accounts, people = _notice_inputs(days, blocked=set())
    result = notice.build("B1", days, accounts, people)
    assert [(p.published_on, p.ends_on, p.classes["class_id"].to_list()) for p in result.parts] == [
        (dt.date(2025, 1, 9), dt.date(2025, 1, 15), ["P1"]),
        (dt.date(2025, 1, 13), dt.date(2025, 1, 17), ["P2"]),
    ]
    path = tmp_path / "n.xlsx"
    notice.write(
        path,
        result,
        office=Office("抚顺市就业和人才服务中心", "抚顺市新抚区XX路1号", "024-00000000"),
    )
    book = openpyxl.load_workbook(path)
    assert len(book.worksheets) == 2
    first = " ".join(str(c) for r in book.worksheets[0].iter_rows(values_only=True) for c in r if c)
    assert "2025年01月09日至2025年01月15日（5个工作日）" in first
    assert "2025年01月13日" not in first
    assert "公示单位：抚顺市就业和人才服务中心" in first
    assert "024-00000000" in first
    assert "抚顺市新抚区XX路1号" in first
    assert "发布日期：2025年01月09日" in first
