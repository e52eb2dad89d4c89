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

    @property
    def table(self) -> schema.Table:
        return schema.BY_PATH[f"registries/{self.name}"]

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
                "role": ("operator", "legal_representative", "investor"),
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
