"""The shape of a rule case: the facts of a class and its trainees, and what the
checks must find.

A case states only what differs from a *clean* class of its policy — a class
that breaks no rule, whose one trainee is eligible, completes, passes and is
paid (see :mod:`crosscheck.casebook.build` for the defaults). Loading is strict
(``extra="forbid"``): a misspelled fact would otherwise leave a case that tests
nothing.

Expectations are written ``CODE=severity``. A finding on the case's main class
and its default trainee (label ``t``) is written as is; a finding on another
trainee of the main class adds ``@label``; a finding on another class of the case
starts with ``label:``. Every stage not listed expects no finding at all: a case
asserts the whole result, so that a false positive fails it as surely as a miss.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

D = dt.date
_EXPECT = re.compile(
    r"^(?:([A-Za-z0-9_]+):)?([A-Z_]+)=(block|exclude|deduct|review|rate)(?:@(\w+))?$"
)
_MONTH = re.compile(r"^\d{4}-\d{2}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# How a registry record (or the roster) writes the person's ID number:
#   same       the person's number as it is
#   lower      the check character x in lower case (needs a number ending in X)
#   fullwidth  full-width digits        spaced  inner spaces, a tab and U+3000
#   swap       digits 16 and 17 swapped (a typo: invalid, same block and check character)
#   digit      digit 16 wrong           check   the check character wrong
#   other      another person's valid number, same region and birth date
#   excel      what Excel makes of a number typed as a number (15 digits + 000)
#   anything else is taken literally
IdForm = str


class Household(_Strict):
    province: str = "21"
    city: str | None = None
    county: str | None = None  # 6-digit county of registration (default: none sent)
    name: str | None = None
    id: IdForm = "same"


class Student(_Strict):
    level: str = "本科"
    mode: str = "全日制"
    status: str = "graduated"  # graduated / enrolled / withdrawn (or 毕业 / 在读 / 退学)
    graduated: D
    enrolled: D | None = None
    school: str = "liaoning"  # liaoning / jilin / hebei / institution (the class's school)
    code: str | None = None  # the school code as the registry sends it (default: the school's)
    province_sent: bool = True  # false: the record holds no school province (read from code)
    name: str | None = None
    id: IdForm = "same"


class Pension(_Strict):
    start: str  # YYYY-MM
    end: str | None = None  # YYYY-MM, default = start
    scheme: str = "城镇企业职工基本养老保险"
    name: str | None = None
    id: IdForm = "same"

    @field_validator("start", "end")
    @classmethod
    def _month(cls, v: str | None) -> str | None:
        if v is not None and not _MONTH.match(v):
            raise ValueError(f"month {v!r} is not YYYY-MM")
        return v


class Licence(_Strict):
    role: str = "operator"  # operator / legal_representative / investor / supervisor
    established: D
    deregistered: D | None = None
    name: str | None = None
    id: IdForm = "same"


class Training(_Strict):
    start: D
    end: D
    region: str = "210200"  # 6 digits: Dalian by default (another Liaoning city)
    programme: str = "graduate_conversion"
    status: str = "completed"
    subsidised: bool = True
    paid_on: D | None = None  # subsidy paid (已拨付); null: pending or none
    name: str | None = None
    id: IdForm = "same"


class Listing(_Strict):
    start: D
    end: D | None = None
    id: IdForm = "same"


class Attendance(_Strict):
    present: int
    required: int


class CertSubsidy(_Strict):
    first: bool = True
    paid_on: D | None = None
    # an earlier certification subsidy in another class (Shenyang: first certification only)
    earlier_major: str | None = None


class Trainee(_Strict):
    label: str = "t"
    on_roster: bool = True  # false: a person in the registries only (a namesake, say)
    namesake_of: str | None = None  # same name, birth date and region as that person
    copies: int = Field(default=1, ge=1, le=60)  # this many such people (labels t, t2, t3 …)
    birth: D | None = None
    region: str | None = None  # 6-digit region of the ID number (default: the class's)
    id: str | None = None  # the person's number, literally (default: generated)
    ends_in_x: bool = False  # generate a number whose check character is X
    name: str | None = None
    roster_id: IdForm = "same"
    roster_name: str | None = None
    rows: int = Field(default=1, ge=1, le=3)  # times on the roster
    household: Household | None = Household()
    student: list[Student] | None = None  # None: one clean cohort record
    pension: list[Pension] = []
    licences: list[Licence] = []
    training: list[Training] = []
    blacklist: list[Listing] = []
    own_graduate: bool = False  # the class's institution is a school and this is its graduate
    # payout facts
    dropped: D | None = None
    exam: Literal["passed", "failed", "absent", "none"] = "passed"
    certificate: str | None = None  # default: the major's certificate
    materials: bool = True
    attendance: Attendance | None = None
    evidence_missing: list[str] = []
    online_hours: int | None = None  # default: the class's share
    certification_subsidy: CertSubsidy | None = None
    provincial: bool = True  # recorded in the provincial training system
    # shorthand: facts that make each listed rule fire (the builder knows how)
    because: list[str] = []


class Institution(_Strict):
    in_directory: bool = True
    listed_from: D = D(2020, 1, 1)
    listed_to: D | None = None
    blacklisted: list[Listing] = []
    school: bool = False


class Major(_Strict):
    name: str | None = None  # default: the policy's clean major
    level: str | None = "default"
    approved: bool = True
    policy: str | None = None  # the policy it is approved under (None: every policy)
    months: int | None = None
    required_hours: int | None = None
    rate_yuan: int | None = None
    certificate: str | None = None
    knowledge_based: bool | None = None
    category: str | None = None
    valid_from: D | None = None
    valid_to: D | None = None


class Venue(_Strict):
    owned: bool = True
    verified: D | None = D(2020, 6, 1)
    of_institution: bool = True
    # whose campus it is: "institution" (the school of a study record with
    # ``school: institution``), liaoning / jilin / hebei, or a school code
    school: str | None = None


class Project(_Strict):
    published: bool = True
    published_on: D | None = None
    trainees: int | None = None  # default: the class's
    months: int | None = None
    occupation: str | None = None
    rate_yuan: int | None = None


class Acceptance(_Strict):
    applied: D | None = None  # default: 15 working days before the end
    accepted: bool = True


class Notice(_Strict):
    published: D
    paid: D | None = None
    account: str = "basic"
    objections: list[tuple[D, D | None]] = []


class ClassFacts(_Strict):
    policy: str
    opening: D
    end: D | None = None
    months: int | None = None
    region: str | None = None
    status: str | None = None  # default: by the dates and as_of
    # "auto": the clean class's date; null: none at all
    actual_start: D | Literal["auto"] | None = "auto"  # auto: the opening, once it has come
    filed: D | Literal["auto"] | None = "auto"  # auto: 10 working days ahead
    approved: D | Literal["auto"] | None = "auto"  # auto: 3 working days after filing
    filing_batch: str | None = None
    hours_per_day: int = 6
    hours_total: int | None = None  # default: hours a day × working days
    hours_practice: int | None = None
    hours_online: int = 0
    platform: str | None = None  # listed / unlisted / removed / a name
    category: str | None = None
    offsite_filed: bool | None = None
    institution: Institution = Institution()
    major: Major = Major()
    venue: Venue = Venue()
    project: Project | None = Project()
    acceptance: Acceptance | None = Acceptance()
    checks: list[tuple[int, int]] = []  # attendance checks [present, expected]
    violations: list[float] = []  # percentages, e.g. 5 for 5 %
    # auto: published 20 days after the end, paid 2 working days after it ran;
    # null: no notice and no payment yet
    notice: Notice | Literal["auto"] | None = "auto"


class Other(BaseModel):
    """Another class of the city's own (an earlier or overlapping enrolment, the
    institution's other majors)."""

    label: str
    facts: ClassFacts = Field(alias="class")
    trainees: list[str] = []  # labels of the main class's people on its roster
    institution: Literal["same", "other"] = "same"

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("label")
    @classmethod
    def _label(cls, v: str) -> str:
        if v == "main" or not re.fullmatch(r"[A-Za-z]\w*", v):
            raise ValueError(f"class label {v!r}: letters and digits, not 'main'")
        return v


class AccountingRow(_Strict):
    rate_yuan: int | None = None
    opened: int | None = None
    dropped: int | None = None
    social_insurance: int | None = None
    exam_failed: int | None = None
    exam_absent: int | None = None
    materials_failed: int | None = None
    other_excluded: int | None = None
    subsidised: int | None = None
    proposed_fen: int | None = None
    attendance_deduction_fen: int | None = None
    violation_deduction_fen: int | None = None
    total_deduction_fen: int | None = None
    actual_fen: int | None = None
    payable: bool | None = None


class Accounting(AccountingRow):
    rows: list[AccountingRow] | None = None  # one per rate, highest first
    absent: bool = False  # the class must have no accounting at all


class Expect(_Strict):
    identity: list[str] = []
    opening: list[str] = []
    payout: list[str] = []
    accounting: Accounting | None = None

    @field_validator("identity", "opening", "payout")
    @classmethod
    def _codes(cls, values: list[str]) -> list[str]:
        from crosscheck.rules import RULES

        for v in values:
            m = _EXPECT.match(v.replace(" ", ""))
            if not m:
                raise ValueError(f"expectation {v!r} is not [class:]CODE=severity[@trainee]")
            if m[2] not in RULES:
                raise ValueError(f"expectation {v!r}: unknown rule code {m[2]}")
        return sorted(v.replace(" ", "") for v in values)


class Case(_Strict):
    name: str = Field(min_length=8)
    cites: str = Field(min_length=6)
    as_of: D | None = None  # default: 60 days after the last class ends
    facts: ClassFacts = Field(alias="class")
    trainees: list[Trainee] = [Trainee()]
    others: list[Other] = []
    expect: Expect

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _labels(self) -> Case:
        labels = [t.label for t in self.trainees]
        if len(set(labels)) != len(labels):
            raise ValueError(f"trainee labels repeat: {labels}")
        for other in self.others:
            unknown = set(other.trainees) - set(labels)
            if unknown:
                raise ValueError(f"class {other.label} names unknown trainees {sorted(unknown)}")
        return self

    @classmethod
    def parse(cls, raw: Any) -> Case:
        return cls.model_validate(raw)
