"""The shape of a policy file: every threshold the checks use, each with its clause.

A policy is one notice (or one reading of it) for one jurisdiction and period.
Sections are optional: a notice that says nothing about, say, online training
leaves that section out, and no rule reads a value the notice did not set.
Every leaf is a :class:`Param`: its ``value`` and the ``source`` clause it comes
from (``"001 §4(三)"``: seed 001, part four, item three), plus, where the notice
leaves room, the ``reading`` crosscheck takes and whether an official may
``override`` it ("原则上").

Unknown keys are errors (``extra="forbid"``) so that a misspelled key never
silently falls back to a default.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from crosscheck.rules import RULES, Severity

T = TypeVar("T")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Param(_Strict, Generic[T]):
    """One value of the law, with where it comes from."""

    value: T
    source: str = Field(min_length=3)
    reading: str | None = None  # how crosscheck reads a clause that leaves room
    overridable: bool = False  # "原则上": an official may override, with a reason
    note: str | None = None

    @field_validator("value")
    @classmethod
    def _not_negative(cls, value: T) -> T:
        # counts, days, months, rates and amounts: none of the law's numbers is negative
        if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
            raise ValueError(f"不能为负数（{value}）")
        return value


class Jurisdiction(_Strict):
    """GB/T 2260 codes: province (2 digits), city (4), county (6)."""

    province: str = Field(pattern=r"^\d{2}$")
    city: str | None = Field(default=None, pattern=r"^\d{4}$")
    county: str | None = Field(default=None, pattern=r"^\d{6}$")
    name: str

    @model_validator(mode="after")
    def _nested(self) -> Jurisdiction:
        if self.city and not self.city.startswith(self.province):
            raise ValueError(f"city {self.city} is not in province {self.province}")
        if self.county and not (self.city and self.county.startswith(self.city)):
            raise ValueError(f"county {self.county} is not in city {self.city}")
        return self

    def contains(self, code: str) -> bool:
        """Whether a region code (2, 4 or 6 digits) lies within this jurisdiction."""
        own = self.county or self.city or self.province
        return code.startswith(own)


class Effective(_Strict):
    start: dt.date = Field(alias="from")
    end: dt.date | None = Field(default=None, alias="to")
    source: str

    @model_validator(mode="after")
    def _ordered(self) -> Effective:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"effective.to {self.end} is before effective.from {self.start}")
        return self

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class HourRange(_Strict):
    min: int = Field(ge=0)
    max: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> HourRange:
        if self.max < self.min:
            raise ValueError(f"max {self.max} is below min {self.min}")
        return self


class Cohort(_Strict):
    """Who may be trained (NOT_IN_COHORT, NOT_FULL_TIME, REGION_INELIGIBLE …)."""

    left_school_years: Param[list[int]] | None = None
    left_school_within_years: Param[int] | None = None
    left_school_window_anchor: Param[Literal["opening_date"]] | None = None
    graduating_classes: Param[list[int]] | None = None
    graduating_class_test: Param[Literal["graduation_year", "graduation_academic_year"]] | None = (
        None
    )
    full_time_only: Param[bool] | None = None
    levels: Param[list[str]] | None = None  # study levels that count for the cohort
    also_eligible: Param[list[str]] | None = None
    household_provinces: Param[list[str]] | None = None
    school_provinces: Param[list[str]] | None = None
    prior_employment_schemes: Param[list[str]] | None = None
    prior_business_roles: Param[list[str]] | None = None
    trainings_per_year: Param[int] | None = None


class ClassRules(_Strict):
    """What a class must satisfy before it opens."""

    max_trainees: Param[int] | None = None
    filing_lead_working_days: Param[int] | None = None
    filing_lead_reading: Param[Literal["at_least", "within"]] | None = None
    filing_counts_opening_day: Param[bool] | None = None
    opening_days_of_month: Param[list[int]] | None = None
    last_opening_month: Param[int] | None = None
    programme_end: Param[dt.date] | None = None
    duration_months: Param[HourRange] | None = None
    min_class_hours_per_day: Param[int] | None = None
    class_hour_minutes: Param[int] | None = None
    train_every_working_day: Param[bool] | None = None
    programme_majors: Param[list[str]] | None = None
    max_majors_per_institution: Param[int] | None = None
    own_venue_required: Param[bool] | None = None
    offsite_delivery_requires_filing: Param[bool] | None = None
    directory_required: Param[bool] | None = None
    institution_bar_years_after_fraud: Param[int] | None = None
    dishonest_institution_barred_permanently: Param[bool] | None = None
    own_graduate_blocked_classes: Param[list[int]] | None = None
    min_total_hours_by_category: Param[dict[str, int]] | None = None
    min_practice_share: Param[Decimal] | None = None
    max_online_share_practical: Param[Decimal] | None = None
    online_platform_list_required: Param[bool] | None = None
    online_platform_removed_barred_for_life: Param[bool] | None = None
    project_must_be_published: Param[bool] | None = None
    project_fields_compared: Param[list[str]] | None = None
    unfiled_class_not_funded: Param[bool] | None = None


class Attendance(_Strict):
    individual_min_rate: Param[Decimal] | None = None
    class_check_min_rate: Param[Decimal] | None = None
    class_check_deduction: Param[Decimal] | None = None
    evidence_required: Param[list[str]] | None = None
    online_evidence_required: Param[list[str]] | None = None


class Payout(_Strict):
    acceptance_lead_working_days: Param[int] | None = None
    notice_working_days: Param[int] | None = None
    payee_account: Param[str] | None = None
    rate_basis: Param[Literal["certificate", "major"]] | None = None
    rates_yuan_per_month: Param[dict[str, int]] | None = None
    allowed_rates_yuan_per_month: Param[list[int]] | None = None
    certificate_required: Param[bool] | None = None
    certification_subsidy: Param[Literal["included", "separate_first_only"]] | None = None
    accounting_table: Param[Literal["fushun_annex_8"]] | None = None
    accounting_title: Param[str] | None = None  # the annex's own title for the 核算表
    excluded_in_table: Param[list[str]] | None = None
    violation_deduction: Param[Literal["percent_of_proposed"]] | None = None
    shortage_uplift: Param[Decimal] | None = None
    apprenticeship_yuan_per_year: Param[int] | None = None
    assessment_share_min: Param[Decimal] | None = None
    provincial_system_required_for: Param[Literal["online_trainees", "all"]] | None = None
    payment_after: Param[Literal["acceptance", "assessment"]] | None = None


class Reporting(_Strict):
    monthly_content: Param[list[str]] | None = None
    reporting_chain: Param[list[str]] | None = None
    archive_years: Param[int] | None = None
    online_records_years: Param[int] | None = None
    indicators: Param[dict[str, Decimal]] | None = None


class Major(_Strict):
    """One approved major of an institution, as a notice's annex lists it."""

    institution: str
    major: str
    hours: dict[str, int] = Field(default_factory=dict)  # by level: 初级/中级/高级, or 专项
    certificate: Literal["skill_level", "special_ability", "vocational_qualification"] | None = None
    address: str | None = None


class RuleSetting(_Strict):
    severity: Severity
    source: str = Field(min_length=3)
    overridable: bool = False
    note: str | None = None


class Policy(_Strict):
    """One policy file."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    short_name: str | None = Field(default=None, max_length=12)  # 抚顺2023: what people read
    document: str | None = None
    seed: str
    programme: str | None = None  # None: applies to every programme in its jurisdiction
    jurisdiction: Jurisdiction
    effective: Effective
    summary: str | None = None
    cohort: Cohort = Cohort()
    class_rules: ClassRules = ClassRules()
    attendance: Attendance = Attendance()
    payout: Payout = Payout()
    reporting: Reporting = Reporting()
    majors: Param[list[Major]] | None = None
    rules: dict[str, RuleSetting] = Field(default_factory=dict)
    _version: str = PrivateAttr(default="")

    @property
    def label(self) -> str:
        """The name people read (抚顺2023), else the id."""
        return self.short_name or self.id

    @property
    def version(self) -> str:
        """The first 12 hex digits of the file's SHA-256: findings record it."""
        return self._version

    @field_validator("rules")
    @classmethod
    def _known_codes(cls, rules: dict[str, RuleSetting]) -> dict[str, RuleSetting]:
        unknown = sorted(set(rules) - set(RULES))
        if unknown:
            shown = "、".join(unknown[:5]) + ("……" if len(unknown) > 5 else "")
            raise ValueError(f"未知的规则代码 {shown}（见 crosscheck policy show 列出的规则）")
        return rules

    def applies(self, region_code: str, day: dt.date, programme: str | None = None) -> bool:
        """Whether this policy is in force for a place (region code) on a day."""
        if programme is not None and self.programme not in (None, programme):
            return False
        return self.jurisdiction.contains(region_code) and self.effective.covers(day)

    def parameters(self) -> list[tuple[str, Param[Any]]]:
        """Every parameter the policy sets, with its dotted name, in file order."""
        found: list[tuple[str, Param[Any]]] = []
        for section in ("cohort", "class_rules", "attendance", "payout", "reporting"):
            model = getattr(self, section)
            for name in type(model).model_fields:
                value = getattr(model, name)
                if value is not None:
                    found.append((f"{section}.{name}", value))
        if self.majors is not None:
            found.append(("majors", self.majors))
        return found
