"""China's working-day calendar: weekends, statutory holidays and make-up days (调休).

Sources, in order of precedence:

1. schedule files ``YYYY.yaml`` in ``$CROSSCHECK_HOME/calendar/`` (a year the
   State Council has published since the last release);
2. schedule files in the bundled ``data/calendar/``;
3. the ``chinese-calendar`` package (2004–2026 as of 1.11).

A year's schedule comes whole from one source. A date in a year no source
covers raises :class:`~crosscheck.errors.CalendarError` — a silent weekday
guess would approve a class that opens on a holiday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from crosscheck.errors import CalendarError
from crosscheck.paths import data_dir, home_dir
from crosscheck.validation import describe, read_yaml

_PACKAGE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争胜利70周年纪念日",
}
_PACKAGE_SOURCE = "chinese-calendar 软件包（国务院办公厅历年节假日安排通知）"


class _Period(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> _Period:
        if self.end < self.start:
            raise ValueError(f"“{self.name}”的结束日期 {self.end} 早于开始日期 {self.start}")
        return self


class _MakeUp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    date: dt.date


class _ScheduleFile(BaseModel):
    """One year's official schedule, as the State Council publishes it."""

    model_config = ConfigDict(extra="forbid")
    year: int
    source: str
    holidays: list[_Period]
    workdays: list[_MakeUp] = []


@dataclass
class Calendar:
    """Days off and make-up working days for the years it covers."""

    days_off: dict[dt.date, str] = field(default_factory=dict)
    make_up: dict[dt.date, str] = field(default_factory=dict)
    sources: dict[int, str] = field(default_factory=dict)
    _prefixes: dict[int, list[int]] = field(default_factory=dict, repr=False)

    def _require(self, day: dt.date) -> None:
        if day.year not in self.sources:
            covered = sorted(self.sources)
            span = f"{covered[0]}–{covered[-1]}" if covered else "无"
            raise CalendarError(
                f"{day.year}年的法定节假日安排尚未录入，无法判断 {day.isoformat()} 是否为工作日"
                f"（已录入年份：{span}）。请按国务院办公厅公布的安排添加 "
                f"data/calendar/{day.year}.yaml 或 $CROSSCHECK_HOME/calendar/{day.year}.yaml，"
                "格式见 data/calendar/README.md"
            )

    def is_workday(self, day: dt.date) -> bool:
        self._require(day)
        if day in self.make_up:
            return True
        if day in self.days_off:
            return False
        return day.weekday() < 5

    def describe(self, day: dt.date) -> str:
        """Why a day is or is not a working day, in Chinese."""
        self._require(day)
        weekday = "一二三四五六日"[day.weekday()]
        if day in self.make_up:
            return f"星期{weekday}，{self.make_up[day]}调休上班（工作日）"
        if day in self.days_off:
            return f"星期{weekday}，{self.days_off[day]}放假"
        return f"星期{weekday}，" + ("工作日" if day.weekday() < 5 else "周末休息日")

    def next_workday(self, day: dt.date) -> dt.date:
        """The day itself if it is a working day, else the next working day."""
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day

    def add_workdays(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after (n > 0) or before (n < 0) ``day``, not counting it."""
        if n == 0:
            raise ValueError("n must not be 0; use next_workday for 'on or after'")
        step = dt.timedelta(days=1 if n > 0 else -1)
        remaining, start = abs(n), day
        while remaining:
            try:
                day += step
            except OverflowError:
                raise CalendarError(
                    f"从 {start} 起第 {n} 个工作日超出可计算的日期范围（公元 1 年至 9999 年）"
                ) from None
            if self.is_workday(day):
                remaining -= 1
        return day

    def workdays(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """The working days from ``start`` to ``end``, both included."""
        return [d for d in _days(start, end) if self.is_workday(d)]

    def count_workdays(
        self, start: dt.date, end: dt.date, *, include_start: bool = True, include_end: bool = True
    ) -> int:
        """Working days between two dates; whether the ends count is the caller's choice."""
        if end < start:
            return 0
        total = 0
        for year in range(start.year, end.year + 1):
            prefix = self._prefix(year)
            lo = max(start, dt.date(year, 1, 1)).timetuple().tm_yday
            hi = min(end, dt.date(year, 12, 31)).timetuple().tm_yday
            total += prefix[hi] - prefix[lo - 1]
        if not include_start and self.is_workday(start):
            total -= 1
        if not include_end and end != start and self.is_workday(end):
            total -= 1
        return max(total, 0)

    def _prefix(self, year: int) -> list[int]:
        """prefix[n] = working days from 1 January to the n-th day of ``year``."""
        cached = self._prefixes.get(year)
        if cached is None:
            self._require(dt.date(year, 1, 1))
            cached = [0]
            for day in _days(dt.date(year, 1, 1), dt.date(year, 12, 31)):
                cached.append(cached[-1] + self.is_workday(day))
            self._prefixes[year] = cached
        return cached

    def opening_slots(
        self, year: int, month: int, days_of_month: Iterable[int]
    ) -> list[tuple[dt.date, dt.date]]:
        """The month's nominal opening days and the working day each moves to."""
        return [
            (nominal, self.next_workday(nominal))
            for nominal in (dt.date(year, month, d) for d in sorted(days_of_month))
        ]

    def opening_day(self, day: dt.date, days_of_month: Iterable[int]) -> OpeningAnswer:
        """Whether a class may open on ``day`` under a rule such as Shenyang's "the
        1st or 16th, moved to the next working day when it falls on a weekend or
        statutory holiday" (the days come from the policy), and the next allowed
        opening day on or after ``day``."""
        self._require(day)
        wanted = sorted(days_of_month)
        first = day.replace(day=1) - dt.timedelta(days=1)  # a slot of last month may roll over
        match: dt.date | None = None
        upcoming: tuple[dt.date, dt.date] | None = None
        slots = self._slots_from(first.year, first.month, wanted)
        while True:
            try:
                nominal, actual = next(slots)
            except CalendarError as exc:
                # Every slot up to ``day`` is known; only the next one is not.
                return OpeningAnswer(day, match is not None, match, None, None, str(exc))
            if actual == day:
                match = nominal
            if upcoming is None and actual >= day:
                upcoming = (nominal, actual)
            if upcoming is not None and nominal >= day:
                return OpeningAnswer(day, match is not None, match, *upcoming)

    def _slots_from(
        self, year: int, month: int, days_of_month: list[int]
    ) -> Iterator[tuple[dt.date, dt.date]]:
        while True:
            yield from self.opening_slots(year, month, days_of_month)
            year, month = (year, month + 1) if month < 12 else (year + 1, 1)


@dataclass(frozen=True)
class OpeningAnswer:
    day: dt.date
    allowed: bool
    slot_of_day: dt.date | None  # the nominal 1st/16th that ``day`` stands for
    next_slot: dt.date | None  # the next nominal day whose opening day is on or after ``day``
    next_opening: dt.date | None  # the allowed opening day for that slot
    unknown_reason: str | None = None  # why the next opening day cannot be computed


def _days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def _package_calendar() -> Calendar:
    from chinese_calendar import constants

    cal = Calendar()
    for day, name in constants.holidays.items():
        cal.days_off[day] = _PACKAGE_NAMES.get(name, name)
    for day, name in constants.workdays.items():
        cal.make_up[day] = _PACKAGE_NAMES.get(name, name)
    for year in {d.year for d in constants.holidays}:
        cal.sources[year] = _PACKAGE_SOURCE
    return cal


def _schedule_keys(loc: tuple[int | str, ...]) -> list[str]:
    if not loc:
        return list(_ScheduleFile.model_fields)
    model = _Period if loc[0] == "holidays" else _MakeUp
    return [f.alias or name for name, f in model.model_fields.items()]


def load_schedule(path: Path) -> _ScheduleFile:
    """Load and validate one schedule file; errors name the file and the key."""
    raw, _ = read_yaml(path, "节假日安排文件", CalendarError)
    try:
        schedule = _ScheduleFile.model_validate(raw)
    except ValidationError as exc:
        raise CalendarError(describe(exc, path, "节假日安排文件", _schedule_keys)) from None
    if path.stem != str(schedule.year):
        raise CalendarError(f"{path}：文件名应为 {schedule.year}.yaml（与 year 字段一致）")
    lo, hi = dt.date(schedule.year - 1, 12, 1), dt.date(schedule.year + 1, 1, 31)
    for when in (
        [p.start for p in schedule.holidays]
        + [p.end for p in schedule.holidays]
        + [w.date for w in schedule.workdays]
    ):
        if not lo <= when <= hi:
            raise CalendarError(f"{path}：日期 {when} 不属于 {schedule.year} 年的安排")
    return schedule


def build(folders: Iterable[Path]) -> Calendar:
    """The package calendar with every schedule file in ``folders`` laid over it
    (later folders win, a file replaces its whole year)."""
    cal = _package_calendar()
    for folder in folders:
        for path in sorted(folder.glob("[0-9][0-9][0-9][0-9].yaml")):
            schedule = load_schedule(path)
            year = schedule.year
            for table in (cal.days_off, cal.make_up):
                for day in [d for d in table if d.year == year]:
                    del table[day]
            for period in schedule.holidays:
                for day in _days(period.start, period.end):
                    cal.days_off[day] = period.name
            for make_up in schedule.workdays:
                cal.make_up[make_up.date] = make_up.name
            cal.sources[year] = f"{schedule.source}（{path}）"
    return cal


@lru_cache(maxsize=4)
def _cached(home: Path) -> Calendar:
    return build([data_dir() / "calendar", home / "calendar"])


def calendar() -> Calendar:
    """The calendar for this installation (bundled data, then ``$CROSSCHECK_HOME``)."""
    return _cached(home_dir())
