"""Working days: holidays, make-up days, opening days, and years with no schedule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crosscheck.errors import CalendarError
from crosscheck.workdays import build, calendar

D = dt.date.fromisoformat
SHENYANG_DAYS = [1, 16]


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-09-30", True),  # the last working day before National Day
        ("2026-10-01", False),  # National Day
        ("2026-10-07", False),  # last day of the holiday
        ("2026-10-08", True),  # first working day after it
        ("2026-10-10", True),  # make-up Saturday (调休上班)
        ("2026-10-11", False),  # an ordinary Sunday
        ("2026-09-20", True),  # make-up Sunday before the holiday
        ("2026-09-25", False),  # Mid-Autumn, a Friday
        ("2026-02-14", True),  # Spring Festival make-up Saturday
        ("2026-02-16", False),  # Spring Festival
    ],
)
def test_is_workday(day: str, working: bool) -> None:
    assert calendar().is_workday(D(day)) is working


def test_counting_across_national_day_2026() -> None:
    cal = calendar()
    assert cal.count_workdays(D("2026-09-25"), D("2026-10-12")) == 7
    assert cal.count_workdays(D("2026-09-25"), D("2026-10-12"), include_end=False) == 6
    assert cal.count_workdays(D("2026-10-01"), D("2026-10-07")) == 0
    assert cal.count_workdays(D("2026-10-12"), D("2026-10-01")) == 0


def test_nth_working_day_across_the_holiday() -> None:
    cal = calendar()
    assert cal.add_workdays(D("2026-09-30"), 1) == D("2026-10-08")
    assert cal.add_workdays(D("2026-10-08"), 2) == D("2026-10-10")  # via the make-up Saturday
    assert cal.add_workdays(D("2026-10-12"), -3) == D("2026-10-08")
    assert cal.add_workdays(D("2026-10-08"), -5) == D("2026-09-23")
    with pytest.raises(ValueError, match="0"):
        cal.add_workdays(D("2026-10-08"), 0)


@pytest.mark.parametrize(
    ("day", "allowed", "next_opening"),
    [
        ("2026-10-01", False, "2026-10-08"),  # the 1st is National Day: moved to the 8th
        ("2026-10-08", True, "2026-10-08"),
        ("2026-10-09", False, "2026-10-16"),
        ("2026-10-16", True, "2026-10-16"),
        ("2026-02-16", False, "2026-02-24"),  # Spring Festival
        ("2026-02-24", True, "2026-02-24"),
        ("2026-08-01", False, "2026-08-03"),  # a Saturday: moved to Monday
        ("2026-08-03", True, "2026-08-03"),
        ("2026-06-02", False, "2026-06-16"),
    ],
)
def test_opening_day(day: str, allowed: bool, next_opening: str) -> None:
    answer = calendar().opening_day(D(day), SHENYANG_DAYS)
    assert answer.allowed is allowed
    assert answer.next_opening == D(next_opening)


def test_opening_day_whose_next_slot_is_in_an_unknown_year() -> None:
    answer = calendar().opening_day(D("2026-12-20"), SHENYANG_DAYS)
    assert answer.allowed is False
    assert answer.next_opening is None
    assert answer.unknown_reason is not None
    assert "2027" in answer.unknown_reason


def test_a_year_without_a_schedule_is_an_error_not_a_guess() -> None:
    cal = calendar()
    with pytest.raises(CalendarError, match=r"2027年.*data/calendar/2027\.yaml"):
        cal.is_workday(D("2027-01-04"))
    with pytest.raises(CalendarError, match="2027"):
        cal.count_workdays(D("2026-12-28"), D("2027-01-05"))  # a range crossing into 2027
    with pytest.raises(CalendarError, match="2003"):
        cal.is_workday(D("2003-05-01"))


SCHEDULE_2027 = """\
year: 2027
source: test schedule
holidays:
  - name: 元旦
    from: 2027-01-01
    to: 2027-01-03
workdays:
  - name: 春节
    date: 2027-02-06
"""


def test_a_schedule_file_adds_a_year(home: Path) -> None:
    folder = home / "calendar"
    folder.mkdir(parents=True)
    (folder / "2027.yaml").write_text(SCHEDULE_2027, encoding="utf-8")
    cal = calendar()
    assert cal.is_workday(D("2027-01-01")) is False  # a Friday holiday
    assert cal.is_workday(D("2027-01-04")) is True
    assert cal.is_workday(D("2027-02-06")) is True  # a make-up Saturday
    assert cal.is_workday(D("2027-02-13")) is False  # an ordinary Saturday
    assert cal.count_workdays(D("2026-12-28"), D("2027-01-05")) == 6
    assert "test schedule" in cal.sources[2027]


def test_a_schedule_file_replaces_its_whole_year(tmp_path: Path) -> None:
    (tmp_path / "2026.yaml").write_text(
        "year: 2026\nsource: replacement\n"
        "holidays:\n  - {name: 国庆节, from: 2026-10-01, to: 2026-10-03}\n",
        encoding="utf-8",
    )
    cal = build([tmp_path])
    assert cal.is_workday(D("2026-10-05")) is True  # no longer a holiday
    assert cal.is_workday(D("2026-10-10")) is False  # make-up day gone with the year
    assert cal.is_workday(D("2025-10-01")) is False  # other years untouched


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("year: 2027\nsource: x\nholiday: []\n", r"(?s)2027\.yaml.*未知字段 holiday\b"),
        (
            "year: 2027\nsource: x\nholidays:\n  - {name: a, from: 2027-01-03, to: 2027-01-01}\n",
            "早于",
        ),
        (
            "year: 2027\nsource: x\nholidays:\n  - {name: a, from: 2029-01-01, to: 2029-01-01}\n",
            "不属于 2027",
        ),
        ("year: 2028\nsource: x\nholidays: []\n", "文件名应为 2028.yaml"),
        ("year: [\n", r"YAML 格式错误（第 2 行"),
    ],
)
def test_bad_schedule_files_name_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "2027.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(CalendarError, match=message):
        build([tmp_path])


def test_counting_agrees_with_day_by_day_over_many_ranges() -> None:
    import random

    cal = calendar()
    rng = random.Random(5)
    for _ in range(300):
        start = D("2020-01-01") + dt.timedelta(days=rng.randrange(2000))
        end = start + dt.timedelta(days=rng.randrange(400))
        naive = sum(
            cal.is_workday(start + dt.timedelta(days=i)) for i in range((end - start).days + 1)
        )
        assert cal.count_workdays(start, end) == naive
        inner = naive - cal.is_workday(start) - (cal.is_workday(end) if end != start else 0)
        assert cal.count_workdays(start, end, include_start=False, include_end=False) == inner
