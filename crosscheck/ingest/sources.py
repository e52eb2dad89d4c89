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
    value_sets: dict[str, tuple[str, ...]] = field(default_factory=dict)
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
            value_sets={
                "study_mode": ("全日制", "非全日制"),
                "status": ("enrolled", "graduated", "withdrawn"),
            },
            ordered=(("enrolled_on", "graduated_on"),),
        ),
        Source(
            "pension_contributions",
            "record_key",
            ("record_key", "id_number", "scheme", "month_from", "month_to"),
            value_sets={"scheme": ("城镇企业职工基本养老保险", "机关事业单位养老保险")},
            ordered=(("month_from", "month_to"),),
        ),
        Source(
            "business_licences",
            "record_key",
            ("record_key", "id_number", "role", "entity_type", "established_on", "status"),
            value_sets={
                "role": ("operator", "legal_representative", "investor", "supervisor"),
                "entity_type": ("个体工商户", "企业"),
                "status": ("active", "deregistered", "revoked"),
            },
            ordered=(("established_on", "deregistered_on"),),
        ),
        Source(
            "training_records",
            "record_key",
            ("record_key", "id_number", "region_code", "start_date", "end_date", "status"),
            value_sets={"status": ("enrolled", "completed", "dropped")},
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
            ("institution_id", "major", "level"),
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
        _snapshot("operations/payments", ("class_id", "batch_id"), ("class_id", "amount_fen")),
    ]
}
ALL_SOURCES = {**SOURCES, **SNAPSHOTS}
