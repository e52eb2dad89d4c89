"""The command line, as a user runs it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crosscheck.cli import app
from tests.conftest import run_cli

FULL_ID = "210102199003071233"


def test_help_lists_the_commands(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("demo", "id", "name", "calendar", "policy", "db"):
        assert command in result.output


@pytest.mark.parametrize(
    ("number", "code", "expected"),
    [
        (FULL_ID, 0, "有效"),
        ("210102199003071230", 1, "校验码错误"),
        ("510104199002291238", 1, "不是真实日期"),
        ("210102900307123", 0, "15位旧号码"),
    ],
)
def test_id_check_exit_status_and_explanation(
    runner: CliRunner, number: str, code: int, expected: str
) -> None:
    result = runner.invoke(app, ["id", "check", number], env={"COLUMNS": "200"})
    assert result.exit_code == code
    assert expected in result.output


def test_id_check_never_prints_the_full_number_unless_asked(runner: CliRunner) -> None:
    shown = runner.invoke(app, ["id", "check", FULL_ID], env={"COLUMNS": "200"}).output
    assert FULL_ID not in shown
    assert "210102********1233" in shown
    assert "1990-03-07" in shown  # the user asked about this number: the birth date is its meaning
    revealed = runner.invoke(app, ["id", "check", "--reveal", FULL_ID]).output
    assert FULL_ID in revealed


def test_id_check_json(runner: CliRunner) -> None:
    result = runner.invoke(app, ["id", "check", "--json", "210102199003071230"])
    data = json.loads(result.output)
    assert result.exit_code == 1
    assert data["valid"] is False
    assert data["problems"][0]["code"] == "bad_check_digit"
    assert "normalized" not in data
    assert data["masked"] == "210102********1230"


def test_name_compare(runner: CliRunner) -> None:
    result = runner.invoke(app, ["name", "compare", "--json", "張偉", "张玮"])
    assert json.loads(result.output)["match_level"] == "same_pinyin"


def test_calendar_workdays(runner: CliRunner) -> None:
    result = runner.invoke(app, ["calendar", "workdays", "2026-09-25", "2026-10-12"])
    assert result.exit_code == 0
    assert "共 7 个工作日" in result.output
    assert "国庆节调休上班" in result.output


def test_calendar_opening_day(runner: CliRunner) -> None:
    moved = runner.invoke(app, ["calendar", "opening-day", "2026-10-01"])
    assert moved.exit_code == 1
    assert "2026-10-08" in moved.output
    ok = runner.invoke(app, ["calendar", "opening-day", "2026-10-08"])
    assert ok.exit_code == 0


def test_calendar_shift_accepts_negative_n(runner: CliRunner) -> None:
    result = runner.invoke(app, ["calendar", "shift", "2026-10-08", "-5"])
    assert result.exit_code == 0
    assert "2026-09-23" in result.output


def test_policy_show_prints_values_with_clauses(runner: CliRunner) -> None:
    result = runner.invoke(app, ["policy", "show", "fushun-2023"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "class_rules.max_trainees = 50" in result.output
    assert "001 §5(二)" in result.output
    assert "CLASS_ATTENDANCE_DEDUCTION" in result.output


def test_policy_show_json(runner: CliRunner) -> None:
    data = json.loads(runner.invoke(app, ["policy", "show", "--json", "shenyang-2022"]).output)
    assert data["class_rules"]["opening_days_of_month"]["value"] == [1, 16]
    assert len(data["version"]) == 12


def test_policy_list_and_in_force(runner: CliRunner) -> None:
    listed = runner.invoke(app, ["policy", "list"], env={"COLUMNS": "200"})
    assert "sichuan-2025" in listed.output
    found = runner.invoke(app, ["policy", "in-force", "--region", "210402", "--date", "2024-05-01"])
    assert "fushun-2023" in found.output
    assert "liaoning-online-2023" in found.output


def test_db_init_and_status(runner: CliRunner, home: Path) -> None:
    assert runner.invoke(app, ["db", "init"]).exit_code == 0
    status = runner.invoke(app, ["db", "status"])
    assert status.exit_code == 0
    assert "findings" in status.output


def test_home_option_overrides_the_environment(runner: CliRunner, tmp_path: Path) -> None:
    other = tmp_path / "other"
    assert runner.invoke(app, ["--home", str(other), "db", "init"]).exit_code == 0
    assert (other / "crosscheck.duckdb").exists()


def test_demo_runs_on_the_embedded_defaults(runner: CliRunner, home: Path) -> None:
    result = runner.invoke(app, ["demo"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "210102********1233" in result.output
    assert FULL_ID not in result.output
    assert "2026-10-08" in result.output
    assert (home / "crosscheck.duckdb").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["calendar", "workdays", "2026-02-30", "2026-03-01"], "2026-02-30"),
        (["calendar", "is-workday", "2027-01-04"], "2027年的法定节假日安排尚未录入"),
        (["policy", "show", "fushun-2022"], "fushun-2023"),
        (["id", "check", "--as-of", "tomorrow", FULL_ID], "参照日期"),
        (["db", "status", "--db", "/nonexistent/x.duckdb"], "不存在"),
    ],
)
def test_bad_input_is_one_clear_message_not_a_traceback(
    home: Path, args: list[str], message: str
) -> None:
    result = run_cli(*args, home=home)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_misspelled_policy_key_names_file_and_key(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "fushun-2023.yaml"
    text = (Path(__file__).resolve().parents[1] / "data/policies/fushun-2023.yaml").read_text(
        encoding="utf-8"
    )
    path.write_text(text.replace("  max_trainees:", "  max_trainee:"), encoding="utf-8")
    result = run_cli("policy", "validate", str(path), home=home)
    assert result.returncode == 2
    assert str(path) in result.stderr
    assert "class_rules.max_trainee" in result.stderr
    assert "max_trainees" in result.stderr


def test_piped_output_is_not_cut_at_80_columns(home: Path) -> None:
    """Issue 13, CLI: a path, an ID or a message is not wrapped when the output is not
    a terminal (a log, a pipe)."""
    done = run_cli("policy", "show", "fushun-2023", home=home, columns=None)
    assert done.returncode == 0
    assert "有效期：2023-12-22 至 2025-12-31（001 发文日期 2023-12-22；§1 “2025年底前”）" in (
        done.stdout
    )
    deep = home / ("很长的目录名称 " * 6) / "deeper still and longer" / "crosscheck.duckdb"
    refused = run_cli("db", "status", "--db", str(deep), home=home, columns=None)
    assert refused.returncode == 2
    assert str(deep) in refused.stderr


def test_an_id_number_that_is_not_one_is_bad_input(home: Path) -> None:
    """`id check abc` is not a number with problems but not a number at all: exit 2.
    A mistyped number (a digit short) is still explained, exit 1."""
    for text in ("abc", "21010219900307123@", "-", "X10102199003071233"):
        done = run_cli("id", "check", text, home=home)
        assert done.returncode == 2, text
        assert "不是身份证号码" in done.stderr
    assert run_cli("id", "check", "21010219900307123", home=home).returncode == 1


def test_a_month_that_does_not_exist_is_named_as_such(runner: CliRunner, home: Path) -> None:
    done = run_cli(
        "report", "monthly", "--month", "2025-13", "--out", str(home / "m.xlsx"), home=home
    )
    assert done.returncode == 2
    assert "不存在" in done.stderr or "无效" in done.stderr, done.stderr


@pytest.mark.parametrize("command", [[], ["report", "monthly"], ["check", "opening"]])
def test_help_speaks_chinese_around_the_chinese_texts(command: list[str], home: Path) -> None:
    """Typer's own words — the usage line, the panel titles, the help option, a
    required option's mark — are Chinese too (issue 13, CLI)."""
    result = run_cli(*command, "--help", home=home)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "用法：crosscheck" in text
    assert "选项" in text
    assert "显示此帮助并退出。" in text
    for english in (
        "Usage:",
        "Options",
        "Show this message",
        "Commands",
        "[default:",
        "[required]",
    ):
        assert english not in text, english
    if command == ["report", "monthly"]:
        assert "[必填]" in text


def test_ingest_shows_each_source_with_its_rows_as_it_loads(
    small_published: dict[str, Path], home: Path
) -> None:
    """A line per source (its Chinese name, the records read, the time), not a bare
    spinner (issue 13, CLI)."""
    assert run_cli("db", "init", home=home).returncode == 0
    world = str(small_published["world"])
    sources = ["--source", "household_registration", "--source", "classes"]
    result = run_cli("ingest", "--files", world, *sources, home=home, columns=None)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "已读取" in line]
    assert [line.split("（")[0].strip("✓ ") for line in lines] == ["户籍登记", "开班备案"]
    assert all(re.search(r"已读取 [1-9][0-9,]* 条", line) for line in lines)
