"""What each registry extract must satisfy before it reaches the tables the
checks read: the data-quality contract, one spec per source.

The columns come from the exchange contract (:mod:`crosscheck.world.schema`);
the rules here are what the gate (:mod:`crosscheck.ingest.gate`) turns into a
Great Expectations suite.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crosscheck.world import schema


@dataclass(frozen=True)
class Source:
    name: str  # registry name = warehouse table
    key: str
    required: tuple[str, ...]
    id_column: str | None = "id_number"
    id_required_when: tuple[str, str] | None = None  # (column, value): IDs only for these rows
    value_sets: dict[str, tuple[str, ...]] = field(default_factory=dict)  # else the row is rejected
    # values the rules know; any other value loads verbatim and is counted in the run's
    # quality record (the rules read an unknown role, status or programme as "other":
    # an unknown pension scheme is not employment, an unknown role counts for nothing)
    known_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ordered: tuple[tuple[str, str], ...] = ()  # (earlier, later): earlier <= later when both set
    max_failure_rate: float = 0.05  # above this share of bad rows the extract is refused whole
    # a snapshot that would remove more than this share of the rows held is refused
    # (an empty or truncated extract must not wipe a registry) unless allowed
    max_shrink: float = 0.05
    path: str = ""  # the exchange-contract table (default registries/<name>)
    keys: tuple[str, ...] = ()  # snapshot sources: the columns that identify a row
    snapshot: bool = False  # a whole-table export (the city's own data): replaced, not merged

    @property
    def table(self) -> schema.Table:
        return schema.BY_PATH[self.path or f"registries/{self.name}"]

    @property
    def key_columns(self) -> tuple[str, ...]:
        return self.keys or (self.key,)

    @property
    def columns(self) -> list[str]:
        return [c for c, _, _ in self.table.columns]


SOURCES = {
    s.name: s
    for s in [
        Source("household_registration", "id_number", ("id_number", "province_code")),
        Source(
            "student_status",
            "record_key",
            ("record_key", "id_number", "school_name", "study_mode"),
            known_values={
                "level": (
                    *("专科", "本科", "硕士研究生", "博士研究生", "技师学院高级工班"),
                    *("技师学院预备技师班", "特殊教育院校职业类", "技师学院中级工班"),
                    "中等职业教育",
                ),
                "study_mode": ("全日制", "非全日制"),
                "status": ("enrolled", "graduated", "withdrawn", "在读", "在籍", "毕业", "退学"),
            },
            ordered=(("enrolled_on", "graduated_on"),),
        ),
        Source(
            "pension_contributions",
            "record_key",
            ("record_key", "id_number", "scheme", "month_from", "month_to"),
            known_values={"scheme": ("城镇企业职工基本养老保险", "机关事业单位养老保险")},
            ordered=(("month_from", "month_to"),),
        ),
        Source(
            "business_licences",
            "record_key",
            ("record_key", "id_number", "role", "established_on"),
            known_values={
                "role": (
                    *("operator", "legal_representative", "investor", "supervisor"),
                    *("个体工商户经营者", "经营者", "法定代表人", "企业法定代表人"),
                    *("投资人", "股东", "监事"),
                ),
                "entity_type": ("个体工商户", "企业"),
                "status": ("active", "deregistered", "revoked", "存续", "在业", "注销", "吊销"),
            },
            ordered=(("established_on", "deregistered_on"),),
        ),
        Source(
            "training_records",
            "record_key",
            ("record_key", "id_number", "region_code", "start_date", "end_date"),
            known_values={
                "status": ("enrolled", "completed", "dropped"),
                "programme": ("graduate_conversion", "employment_skills", "entrepreneurship"),
            },
            ordered=(("start_date", "end_date"),),
        ),
        Source(
            "dishonesty_list",
            "record_key",
            ("record_key", "subject_type", "listed_from"),
            id_required_when=("subject_type", "person"),
            value_sets={"subject_type": ("person", "institution", "platform")},
            ordered=(("listed_from", "listed_to"),),
        ),
        Source("provincial_training_system", "record_key", ("record_key", "id_number", "class_id")),
    ]
}


def _snapshot(
    path: str,
    keys: tuple[str, ...],
    required: tuple[str, ...] = (),
    id_column: str | None = None,
    value_sets: dict[str, tuple[str, ...]] | None = None,
    ordered: tuple[tuple[str, str], ...] = (),
) -> Source:
    name = path.split("/")[-1]
    return Source(
        name,
        keys[0],
        required or keys,
        id_column=id_column,
        value_sets=value_sets or {},
        ordered=ordered,
        path=path,
        keys=keys,
        snapshot=True,
    )


# The city's institution directory and its own operational data: full exports,
# each replacing the previous one whole (in one transaction, through the gate).
SNAPSHOTS = {
    s.name: s
    for s in [
        _snapshot(
            "directory/institutions", ("institution_id",), ("institution_id", "name", "region_code")
        ),
        _snapshot(
            "directory/institution_majors",
            # one approval per policy (policy_id null: approved under every policy)
            ("institution_id", "major", "level", "policy_id"),
            ("institution_id", "major"),
        ),
        _snapshot("directory/venues", ("venue_id",), ("venue_id", "institution_id")),
        _snapshot("directory/online_platforms", ("platform",)),
        _snapshot("directory/published_projects", ("project_ref",)),
        _snapshot(
            "operations/classes",
            ("class_id",),
            (
                "class_id",
                "policy_id",
                "region_code",
                "institution_id",
                "major",
                "planned_start",
                "planned_end",
                "status",
            ),
            value_sets={"status": ("filed", "approved", "open", "completed", "paid", "rejected")},
            ordered=(("planned_start", "planned_end"), ("filed_on", "approved_on")),
        ),
        _snapshot(
            "operations/roster_entries",
            ("class_id", "seq"),
            ("class_id", "seq", "name"),
            id_column="id_number",
        ),
        _snapshot(
            "operations/attendance",
            ("class_id", "id_number", "month"),
            ("class_id", "id_number", "month", "days_required", "days_present"),
            id_column="id_number",
        ),
        _snapshot(
            "operations/attendance_checks",
            ("class_id", "checked_on"),
            ("class_id", "checked_on", "enrolled", "present"),
        ),
        _snapshot(
            "operations/completion_acceptance",
            ("class_id", "id_number"),
            ("class_id", "accepted"),
            ordered=(("applied_on", "accepted_on"),),
        ),
        _snapshot(
            "operations/exam_results",
            ("class_id", "id_number"),
            ("class_id", "id_number", "status"),
            id_column="id_number",
            value_sets={"status": ("passed", "failed", "absent")},
        ),
        _snapshot(
            "operations/dropouts",
            ("class_id", "id_number"),
            ("class_id", "id_number", "left_on"),
            id_column="id_number",
        ),
        _snapshot(
            "operations/materials_review",
            ("class_id", "id_number"),
            ("class_id", "id_number", "passed"),
            id_column="id_number",
        ),
        _snapshot(
            "operations/violations",
            ("class_id", "found_on", "description"),
            ("class_id", "deduction_rate"),
        ),
        _snapshot(
            "operations/certification_subsidies",
            ("id_number", "class_id", "paid_on"),
            ("id_number", "amount_fen"),
            id_column="id_number",
        ),
        _snapshot(
            "operations/notices",
            ("batch_id", "class_id"),
            ("batch_id", "class_id", "published_on", "ends_on"),
            ordered=(("published_on", "ends_on"),),
        ),
        _snapshot(
            "operations/notice_objections",
            ("batch_id", "class_id", "id_number"),
            ("batch_id", "raised_on"),
        ),
        _snapshot(
            "operations/payments",
            ("class_id", "batch_id"),
            ("class_id", "paid_on", "account_type"),
        ),
    ]
}
ALL_SOURCES = {**SOURCES, **SNAPSHOTS}


# Why each required field is required: the rules that cannot be judged without it
# (or "key" / "link": the row cannot be identified or tied to a person). Every other
# field is optional: a source that lacks it loads, and the rules that would read it
# judge on what is there (data/README.md prints this beside each column; a test keeps
# it equal to the sources' ``required``).
KEY, LINK = "key", "link"
NEEDED_BY: dict[str, dict[str, tuple[str, ...]]] = {
    "household_registration": {
        "id_number": (KEY, LINK),
        "province_code": ("REGION_INELIGIBLE", "HUKOU_PROOF_REQUIRED"),
    },
    "student_status": {
        "record_key": (KEY,),
        "id_number": (LINK,),
        "school_name": ("NOT_IN_COHORT", "OWN_GRADUATE"),
        "study_mode": ("NOT_FULL_TIME",),
    },
    "pension_contributions": {
        "record_key": (KEY,),
        "id_number": (LINK,),
        "scheme": ("PRIOR_EMPLOYMENT", "EMPLOYED_DURING_TRAINING"),
        "month_from": ("PRIOR_EMPLOYMENT", "EMPLOYED_DURING_TRAINING"),
        "month_to": ("PRIOR_EMPLOYMENT", "EMPLOYED_DURING_TRAINING"),
    },
    "business_licences": {
        "record_key": (KEY,),
        "id_number": (LINK,),
        "role": ("PRIOR_BUSINESS", "BUSINESS_DURING_TRAINING"),
        "established_on": ("PRIOR_BUSINESS", "BUSINESS_DURING_TRAINING"),
    },
    "training_records": {
        "record_key": (KEY,),
        "id_number": (LINK,),
        "region_code": ("CONCURRENT_ENROLMENT", "DUPLICATE_SUBSIDY"),
        "start_date": ("ALREADY_TRAINED_THIS_YEAR", "CONCURRENT_ENROLMENT"),
        "end_date": ("CONCURRENT_ENROLMENT",),
    },
    "dishonesty_list": {
        "record_key": (KEY,),
        "subject_type": ("TRAINEE_BLACKLISTED", "INSTITUTION_NOT_LISTED"),
        "listed_from": ("TRAINEE_BLACKLISTED", "INSTITUTION_NOT_LISTED"),
    },
    "provincial_training_system": {
        "record_key": (KEY,),
        "id_number": ("NOT_IN_PROVINCIAL_SYSTEM",),
        "class_id": ("NOT_IN_PROVINCIAL_SYSTEM",),
    },
    "institutions": {
        "institution_id": (KEY,),
        "name": ("INSTITUTION_NOT_LISTED",),
        "region_code": ("INSTITUTION_NOT_LISTED",),
    },
    "institution_majors": {"institution_id": (KEY,), "major": ("MAJOR_NOT_APPROVED",)},
    "venues": {"venue_id": (KEY,), "institution_id": ("VENUE_NOT_APPROVED",)},
    "online_platforms": {"platform": (KEY, "HOURS_OUT_OF_RANGE")},
    "published_projects": {"project_ref": (KEY, "PROJECT_NOT_PUBLISHED")},
    "classes": {
        "class_id": (KEY,),
        "policy_id": ("every rule: the policy that applies",),
        "region_code": ("REGION_INELIGIBLE", "CONCURRENT_ENROLMENT"),
        "institution_id": ("INSTITUTION_NOT_LISTED", "MAJOR_NOT_APPROVED", "VENUE_NOT_APPROVED"),
        "major": ("MAJOR_NOT_APPROVED",),
        "planned_start": ("every rule: the opening day",),
        "planned_end": ("every payout rule: the last day",),
        "status": ("OPENED_WITHOUT_APPROVAL", "the stage a class is in"),
    },
    "roster_entries": {"class_id": (KEY,), "seq": (KEY,), "name": ("ID_NAME_MISMATCH",)},
    "attendance": {
        "class_id": (KEY,),
        "id_number": (KEY,),
        "month": (KEY,),
        "days_required": ("LOW_ATTENDANCE",),
        "days_present": ("LOW_ATTENDANCE",),
    },
    "attendance_checks": {
        "class_id": (KEY,),
        "checked_on": (KEY,),
        "enrolled": ("CLASS_ATTENDANCE_DEDUCTION",),
        "present": ("CLASS_ATTENDANCE_DEDUCTION",),
    },
    "completion_acceptance": {"class_id": (KEY,), "accepted": ("NOT_ACCEPTED",)},
    "exam_results": {"class_id": (KEY,), "id_number": (KEY,), "status": ("EXAM_FAILED",)},
    "dropouts": {"class_id": (KEY,), "id_number": (KEY,), "left_on": ("DROPPED_OUT",)},
    "materials_review": {
        "class_id": (KEY,),
        "id_number": (KEY,),
        "passed": ("MATERIALS_INCOMPLETE",),
    },
    "violations": {"class_id": (KEY,), "deduction_rate": ("VIOLATION_DEDUCTION",)},
    "certification_subsidies": {
        "id_number": (LINK,),
        "amount_fen": ("DUPLICATE_CERTIFICATION_SUBSIDY",),
    },
    "notices": {
        "batch_id": (KEY,),
        "class_id": (KEY,),
        "published_on": ("NOTICE_PERIOD_INCOMPLETE",),
        "ends_on": ("NOTICE_PERIOD_INCOMPLETE",),
    },
    "notice_objections": {"batch_id": (KEY,), "raised_on": ("NOTICE_PERIOD_INCOMPLETE",)},
    "payments": {
        "class_id": (KEY,),
        "paid_on": ("NOTICE_PERIOD_INCOMPLETE",),
        "account_type": ("NOTICE_PERIOD_INCOMPLETE",),
    },
}
