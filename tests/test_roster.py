"""Roster intake: every problem at once, row by row, in Chinese; nothing repaired."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
import xlsxwriter
from typer.testing import CliRunner

from crosscheck import warehouse
from crosscheck.cli import app
from crosscheck.connectors.roster import read
from crosscheck.world.generate import generate

GOOD = ["210102199003071233", "210402200002291236", "62102520040615123X"]


def _xlsx(
    path: Path,
    rows: list[list[Any]],
    *,
    major: str = "大数据开发",
    number_rows: set[int] | None = None,
) -> Path:
    """A roster laid out like the annex: title, info row, two-row merged header."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.merge_range(0, 0, 0, 7, "抚顺市高校毕业生专业转换及技能提升培训学员开班花名册")
    ws.merge_range(
        1,
        0,
        1,
        7,
        f"培训机构：沈阳工学院　培训专业：{major}　班级编号：C9　开班时间：2024年03月01日",
    )
    for col, name in ((0, "序号"), (1, "姓名"), (2, "性别"), (3, "身份证号码"), (7, "联系电话")):
        ws.merge_range(2, col, 3, col, name)
    ws.merge_range(2, 4, 2, 6, "毕业情况")
    for col, name in ((4, "毕业院校"), (5, "毕业时间"), (6, "学历")):
        ws.write(3, col, name)
    for i, (person, number, grad) in enumerate(rows):
        r = 4 + i
        ws.write_number(r, 0, i + 1)
        ws.write_string(r, 1, person)
        ws.write_string(r, 2, "男")
        if number_rows and i in number_rows:
            ws.write_number(r, 3, float(number))
        else:
            ws.write_string(r, 3, number)
        ws.write_string(r, 4, "沈阳工学院")
        if isinstance(grad, dt.date):
            ws.write_datetime(
                r,
                5,
                dt.datetime.combine(grad, dt.time()),
                wb.add_format({"num_format": "yyyy-mm-dd"}),
            )
        else:
            ws.write_string(r, 5, grad)
        ws.write_string(r, 6, "本科")
        ws.write_string(r, 7, "13800001234")
    wb.close()
    return path


def _codes(path: Path, **kw: Any) -> list[tuple[int | None, str, str]]:
    return [(p.row, p.field, p.code) for p in read(path, **kw).problems]


def test_a_good_roster_loads_with_mixed_date_cells(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path / "ok.xlsx",
        [
            ["张伟", GOOD[0], dt.date(2023, 6, 30)],
            ["李娜", GOOD[1], "2023.6.30"],
            ["王芳", GOOD[2], "2024年7月1日"],
        ],
    )
    roster = read(path)
    assert roster.ok
    assert roster.info["班级编号"] == "C9"
    assert [e["graduated_on"] for e in roster.entries] == [
        dt.date(2023, 6, 30),
        dt.date(2023, 6, 30),
        dt.date(2024, 7, 1),
    ]
    assert [e["seq"] for e in roster.entries] == [5, 6, 7]  # Excel row numbers


@pytest.mark.parametrize(
    ("rows", "kw", "expected"),
    [
        ([["", GOOD[0], "2023-06-30"]], {}, [(5, "name", "name_missing")]),
        ([["张伟", "210102199003071230", "2023-06-30"]], {}, [(5, "id_number", "id_invalid")]),
        (
            [["张伟", GOOD[0], "2023-06-30"], ["张伟", GOOD[0], "2023-06-30"]],
            {},
            [(6, "id_number", "duplicate")],
        ),
        (
            [["张伟", GOOD[1], "2023-06-30"]],
            {"number_rows": {0}},
            [(5, "id_number", "id_stored_as_number")],
        ),
        ([["张伟", GOOD[0], "去年六月"]], {}, [(5, "graduated_on", "date_invalid")]),
        ([["张伟", "", "2023-06-30"]], {}, [(5, "id_number", "id_missing")]),
    ],
    ids=["missing-name", "invalid-id", "duplicate", "id-as-number", "bad-date", "missing-id"],
)
def test_each_problem_is_reported_with_row_and_field(
    tmp_path: Path, rows: list[list[Any]], kw: dict[str, Any], expected: list[tuple[int, str, str]]
) -> None:
    path = _xlsx(tmp_path / "bad.xlsx", rows, **kw)
    assert _codes(path) == expected


def test_unknown_major(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "m.xlsx", [["张伟", GOOD[0], "2023-06-30"]], major="炼金术")
    assert _codes(path, known_majors={"大数据开发"}) == [(None, "major", "unknown_major")]


def test_every_problem_at_once_in_chinese(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path / "many.xlsx",
        [
            ["", GOOD[0], "2023-06-30"],
            ["李娜", "210102199003071230", "2023-06-30"],
            ["王芳", GOOD[0], "bad"],
        ],
        number_rows=set(),
    )
    roster = read(path)
    assert len(roster.problems) == 4
    assert not roster.entries or not roster.ok
    text = "\n".join(str(p) for p in roster.problems)
    assert "many.xlsx 第5行 姓名：姓名为空" in text
    assert "第6行 身份证号码：校验码错误" in text
    assert "第7行 身份证号码：与第5行是同一人" in text
    assert "第7行 毕业时间" in text
    assert GOOD[0] not in text  # problems never repeat a full ID number


def test_csv_in_gb18030_and_utf8(tmp_path: Path) -> None:
    header = "序号,姓名,性别,身份证号码,毕业院校,毕业时间,学历,联系电话\r\n"
    line = f"1,李䶮,男,{GOOD[0]},沈阳工学院,2023-06-30,本科,13800001234\r\n"
    gb = tmp_path / "r.gb18030.csv"
    gb.write_bytes((header + line).encode("gb18030"))
    utf = tmp_path / "r.csv"
    utf.write_bytes(("\ufeff" + header + line).encode("utf-8"))
    for path in (gb, utf):
        roster = read(path)
        assert roster.ok, roster.problems
        assert roster.entries[0]["name"] == "李䶮"
        assert roster.entries[0]["seq"] == 2


def test_unreadable_and_headerless_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\xff\xfe\x00garbage\x81\x30")
    assert _codes(junk)[0][2] in ("unreadable",)
    noheader = tmp_path / "nh.csv"
    noheader.write_text("a,b\n1,2\n", encoding="utf-8")
    assert _codes(noheader) == [(None, "file", "unreadable")]
    assert _codes(tmp_path / "x.pdf") == [(None, "file", "unreadable")]


def test_the_world_s_rosters_give_exactly_the_expected_errors(tmp_path: Path) -> None:
    world = tmp_path / "w"
    generate("tiny", 7, world)
    truth = pl.read_parquet(world / "truth/rosters.parquet")
    assert truth["ids_as_numbers"].any()
    for row in truth.iter_rows(named=True):
        roster = read(world / "rosters" / row["file"])
        got = sorted(
            [p.row, "身份证号码" if p.field == "id_number" else p.field, p.code]
            for p in roster.problems
        )
        assert got == sorted(json.loads(row["expected_errors"])), row["file"]


def test_cli_loads_idempotently_and_refuses_a_bad_roster(tmp_path: Path, home: Path) -> None:
    runner = CliRunner()
    good = _xlsx(
        tmp_path / "ok.xlsx", [["张伟", GOOD[0], "2023-06-30"], ["李娜", GOOD[1], "2023-06-30"]]
    )
    # no warehouse yet, then a warehouse without class C9: refused, nothing written
    # (issue 12, item 3)
    result = runner.invoke(app, ["roster", "load", str(good)])
    assert result.exit_code != 0
    assert "db init" in str(result.exception)
    assert not (home / "crosscheck.duckdb").exists()
    assert runner.invoke(app, ["db", "init"]).exit_code == 0
    for cid in ("NOPE999", "../../etc/passwd"):
        result = runner.invoke(app, ["roster", "load", "--class", cid, str(good)])
        assert result.exit_code != 0
        assert "不在仓库" in str(result.exception)
        assert "未载入" in str(result.exception)
    con = warehouse.connect(home / "crosscheck.duckdb")
    assert con.execute("SELECT count(*) FROM roster_entries").fetchall() == [(0,)]
    con.execute(
        "INSERT INTO classes (class_id, policy_id, region_code, institution_id, major, "
        "planned_start, planned_end, status) VALUES ('C9', 'fushun-2023', '210400', 'I1', "
        "'大数据开发', DATE '2024-10-08', DATE '2024-12-31', 'filed')"
    )
    con.close()
    for _ in range(2):
        result = runner.invoke(app, ["roster", "load", str(good)])
        assert result.exit_code == 0, result.output
    con = duckdb.connect(str(home / "crosscheck.duckdb"), read_only=True)
    rows = con.execute(
        "SELECT class_id, seq, name, phone_masked, _source FROM roster_entries ORDER BY seq"
    ).fetchall()
    con.close()
    assert rows == [
        ("C9", 5, "张伟", "138****1234", "roster"),
        ("C9", 6, "李娜", "138****1234", "roster"),
    ]
    # bad rows do not keep the good ones out (issue 14): every row that can be read is
    # loaded, its problems listed; the ID problems become findings when checked
    bad = _xlsx(
        tmp_path / "bad.xlsx",
        [
            ["", GOOD[0], "2023-06-30"],
            ["王芳", "12345", "2023-06-30"],
            ["李娜", GOOD[1], "2023/6/31"],
        ],
    )
    result = runner.invoke(app, ["roster", "load", "--json", str(bad)])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["trainees"] == 3
    assert [(p["row"], p["code"]) for p in answer["problems"]] == [
        (5, "name_missing"),
        (6, "id_invalid"),
        (7, "date_invalid"),
    ]
    con = duckdb.connect(str(home / "crosscheck.duckdb"), read_only=True)
    rows = con.execute(
        "SELECT seq, roster_no, id_number, id_number_raw, name, graduated_on "
        "FROM roster_entries ORDER BY seq"
    ).fetchall()
    con.close()
    assert rows == [
        (5, "1", GOOD[0], GOOD[0], "", dt.date(2023, 6, 30)),
        (6, "2", "12345", "12345", "王芳", dt.date(2023, 6, 30)),
        (7, "3", GOOD[1], GOOD[1], "李娜", None),
    ]
    # a file that is no roster (the 身份证号码 column missing) is refused whole
    wb = xlsxwriter.Workbook(str(tmp_path / "none.xlsx"))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["序号", "姓名", "联系电话"])
    ws.write_row(1, 0, [1, "张伟", "13800001234"])
    wb.close()
    result = runner.invoke(app, ["roster", "load", str(tmp_path / "none.xlsx")])
    assert result.exit_code != 0
    con = duckdb.connect(str(home / "crosscheck.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM roster_entries").fetchall() == [(3,)]  # kept
    con.close()


def test_cli_checks_the_major_against_a_policy(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = _xlsx(tmp_path / "ok.xlsx", [["张伟", GOOD[0], "2023-06-30"]], major="大数据开发")
    bad = _xlsx(tmp_path / "bad.xlsx", [["张伟", GOOD[0], "2023-06-30"]], major="炼金术")
    args = ["roster", "load", "--check-only", "--policy", "fushun-2023"]
    assert runner.invoke(app, [*args, str(ok)]).exit_code == 0
    result = runner.invoke(app, [*args, "--json", str(bad)])
    assert result.exit_code == 1
    assert json.loads(result.output)["problems"][0]["code"] == "unknown_major"


@pytest.mark.parametrize(
    ("person", "valid"),
    [
        ("张伟", True),
        ("阿依古丽·买买提", True),
        ("阿依古丽•买买提", True),
        ("㐀㐁", True),  # CJK extension A
        ("𠀀𠀁", True),  # CJK extension B
        ("John Smith", True),
        ("ＡＢＣ", True),  # full-width Latin, NFKC
        ("王〇", True),
        ("张" * 50, True),
        ("张" * 51, False),
        ("张" * 100_000, False),
        ("=cmd|' /C calc'!A0", False),
        ("<img src=x onerror=alert(1)>", False),
        ("张\x00伟", False),
        ("张\x1b[31m伟", False),
        ("张伟2", False),
        ("张伟\u202e", False),  # right-to-left override
    ],
)
def test_a_name_is_cjk_dots_latin_and_spaces_of_at_most_50(
    tmp_path: Path, person: str, valid: bool
) -> None:
    """Issue 12, item 8: anything else is a row problem naming row and field, and the
    message never repeats a huge cell."""
    path = _xlsx(tmp_path / "r.xlsx", [[person, GOOD[0], "2023-06-30"]])
    roster = read(path)
    problems = [(p.row, p.field, p.code) for p in roster.problems]
    if valid:
        assert problems == []
        assert roster.entries[0]["name"] == person
    else:
        assert problems == [(5, "name", "name_invalid")]
        assert len(roster.problems[0].message) < 200
        assert "姓名" in roster.problems[0].message


def test_a_column_given_twice_is_a_problem_naming_both(tmp_path: Path) -> None:
    """Two 身份证号码 columns: which holds the right number cannot be told (issue 12,
    item 12); the roster is not read further."""
    path = tmp_path / "twice.csv"
    path.write_text(
        "序号,姓名,身份证号码,毕业院校,毕业时间,学历,身份证号码\n"
        f"1,张伟,{GOOD[0]},沈阳工学院,2023-06-30,本科,{GOOD[1]}\n",
        encoding="utf-8",
    )
    roster = read(path)
    assert [(p.row, p.field, p.code) for p in roster.problems] == [
        (1, "id_number", "column_duplicate")
    ]
    assert "C、G" in roster.problems[0].message
    assert roster.entries == []
