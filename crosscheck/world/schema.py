"""Every file of a world, its columns and what they mean — the exchange contract.

``data/README.md`` documents the same tables (a test keeps the two in step), so
that someone can write a world by hand, or from their own data, and crosscheck
ingests it. Registry files carry ``updated_at`` (the source system's last
change), which the simulator uses for ``updated_since`` deltas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

DType = Any  # a polars data type (class or instance)

S, D, TS, INT, B = pl.String, pl.Date, pl.Datetime("us"), pl.Int64, pl.Boolean


@dataclass(frozen=True)
class Table:
    path: str  # relative to the world folder, without extension
    title: str
    columns: tuple[tuple[str, DType, str], ...]

    @property
    def schema(self) -> dict[str, DType]:
        return {name: dtype for name, dtype, _ in self.columns}


def _t(path: str, title: str, *columns: tuple[str, DType, str]) -> Table:
    return Table(path, title, columns)


REGISTRIES = [
    _t(
        "registries/household_registration",
        "户籍 (public security): one row per person",
        ("id_number", S, "ID number (18 characters)"),
        ("name", S, "registered name"),
        ("province_code", S, "2-digit province of registration"),
        ("city_code", S, "4-digit city of registration"),
        ("county_code", S, "6-digit county of registration"),
        ("updated_at", TS, "last change"),
    ),
    _t(
        "registries/student_status",
        "学籍 (education ministry): one row per study record",
        ("record_key", S, "the source's key"),
        ("id_number", S, "ID number"),
        ("name", S, "name"),
        ("school_name", S, "school"),
        (
            "school_code",
            S,
            "school code: a national 学校标识码 (41 + province digits, e.g. 4121010140) or a "
            "code leading with the province digits; read for the province when "
            "school_province is empty",
        ),
        ("school_province", S, "2-digit province of the school"),
        (
            "level",
            S,
            "专科 / 本科 / 硕士研究生 / 博士研究生 / 技师学院高级工班 / 技师学院预备技师班 / "
            "特殊教育院校职业类 count for the cohort; 技师学院中级工班, 中等职业教育 do not",
        ),
        ("study_mode", S, "全日制 / 非全日制"),
        ("enrolled_on", D, "enrolment date"),
        ("graduated_on", D, "graduation date, actual or expected"),
        ("graduation_expected", B, "true while the graduation date is in the future"),
        (
            "status",
            S,
            "enrolled / graduated / withdrawn, or as sent: 在读 or 在籍 / 毕业 / 退学 "
            "(退学 never counts; any other value is not counted)",
        ),
        ("updated_at", TS, "last change"),
    ),
    _t(
        "registries/pension_contributions",
        "社保 养老保险参保缴费: one row per contribution spell",
        ("record_key", S, "the source's key"),
        ("id_number", S, "ID number as the agency holds it"),
        ("name", S, "name"),
        ("scheme", S, "城镇企业职工基本养老保险 / 机关事业单位养老保险"),
        ("employer_name", S, "employer"),
        ("employer_credit_code", S, "employer's unified social credit code"),
        ("city_code", S, "4-digit city of the insurance agency"),
        ("month_from", D, "first contribution month (its 1st day)"),
        ("month_to", D, "last contribution month (its 1st day)"),
        ("updated_at", TS, "last change"),
    ),
    _t(
        "registries/business_licences",
        "市场监管 营业执照: one row per person and entity (GB18030 CSV)",
        ("record_key", S, "the source's key"),
        ("id_number", S, "ID number of the person"),
        ("name", S, "name"),
        (
            "role",
            S,
            "operator / legal_representative / investor / supervisor, or as sent: "
            "经营者 / 个体工商户经营者 / 法定代表人 / 投资人 / 股东 / 监事 "
            "(监事 and any other role: not counted)",
        ),
        ("entity_name", S, "the business"),
        ("credit_code", S, "its unified social credit code"),
        ("entity_type", S, "个体工商户 / 企业"),
        ("established_on", D, "licence date"),
        ("status", S, "active / deregistered / revoked (存续 / 在业 / 注销 / 吊销 as sent)"),
        ("deregistered_on", D, "deregistration date"),
        ("updated_at", TS, "last change"),
    ),
    _t(
        "registries/training_records",
        "other cities' and provinces' training systems: one row per enrolment",
        ("record_key", S, "the source's key"),
        ("id_number", S, "ID number"),
        ("name", S, "name"),
        ("region_code", S, "6-digit code of the city (or province) that ran it"),
        ("institution", S, "training institution"),
        ("programme", S, "graduate_conversion / employment_skills / entrepreneurship"),
        ("class_ref", S, "the other system's class reference"),
        ("start_date", D, "start"),
        ("end_date", D, "end"),
        ("status", S, "enrolled / completed / dropped"),
        ("subsidised", B, "government-subsidised training"),
        ("subsidy_fen", INT, "subsidy paid or approved, in fen"),
        ("subsidy_paid_on", D, "payment date (null: pending or none)"),
        ("updated_at", TS, "last change"),
    ),
    _t(
        "registries/dishonesty_list",
        "失信名单: people, institutions and platforms (UTF-8 CSV)",
        ("record_key", S, "the source's key"),
        ("subject_type", S, "person / institution / platform"),
        ("id_number", S, "ID number (people)"),
        ("credit_code", S, "credit code (institutions)"),
        ("reason", S, "why listed"),
        ("listed_from", D, "from"),
        ("listed_to", D, "to (null: permanent)"),
        ("updated_at", TS, "last change"),
    ),
    _t(
        "registries/provincial_training_system",
        "省职业培训信息管理系统: trainees recorded (凡补必进)",
        ("record_key", S, "the source's key"),
        ("id_number", S, "ID number"),
        ("class_id", S, "the class they are recorded in"),
        ("recorded_on", D, "date recorded"),
        ("updated_at", TS, "last change"),
    ),
]

DIRECTORY = [
    _t(
        "directory/institutions",
        "培训机构目录",
        ("institution_id", S, "id"),
        ("name", S, "name"),
        ("credit_code", S, "credit code"),
        ("region_code", S, "6-digit region"),
        ("is_school", B, "a college or technician college"),
        ("school_code", S, "its school code when it is a school"),
        ("listed_from", D, "in the directory from"),
        ("listed_to", D, "until (null: still listed)"),
    ),
    _t(
        "directory/institution_majors",
        "approved majors (Fushun annex 1; Shenyang directory)",
        ("institution_id", S, "institution"),
        ("policy_id", S, "the policy it is approved under (null: approved under every policy)"),
        ("major", S, "major / occupation"),
        ("level", S, "初级 / 中级 / 高级 / 专项 (null: one level)"),
        ("required_hours", INT, "required class-hours"),
        ("months", INT, "fixed duration in months"),
        ("rate_fen_per_month", INT, "standard monthly rate in fen (Shenyang: the rate)"),
        ("certificate", S, "skill_level / special_ability / training_certificate"),
        ("category", S, "Zhengning class category A/B/C/D"),
        ("knowledge_based", B, "knowledge-based occupation (online share limit does not apply)"),
        ("valid_from", D, "from"),
        ("valid_to", D, "to"),
    ),
    _t(
        "directory/venues",
        "场地: venues verified on site",
        ("venue_id", S, "id"),
        ("institution_id", S, "institution"),
        ("address", S, "address"),
        ("owned", B, "the institution's own venue"),
        (
            "school_code",
            S,
            "the school whose campus this venue is, when it is at a school (null: none)",
        ),
        ("verified_on", D, "on-site verification (null: never)"),
    ),
    _t(
        "directory/online_platforms",
        "辽宁省“互联网+职业技能培训”平台目录",
        ("platform", S, "platform"),
        ("listed_from", D, "listed from (null: never listed)"),
        ("listed_to", D, "until"),
        ("removed_for_fraud", B, "removed for fraud (barred for life)"),
    ),
    _t(
        "directory/published_projects",
        "四川 公开发布的培训项目",
        ("project_ref", S, "project"),
        ("region_code", S, "region"),
        ("occupation", S, "occupation"),
        ("trainees", INT, "planned trainees"),
        ("months", INT, "duration"),
        ("rate_fen_per_month", INT, "subsidy rate in fen"),
        ("published_on", D, "publication date"),
    ),
]

OPERATIONS = [
    _t(
        "operations/classes",
        "开班备案: one row per class",
        ("class_id", S, "class"),
        ("policy_id", S, "the city or province policy"),
        ("region_code", S, "6-digit region of the class"),
        ("institution_id", S, "institution"),
        ("major", S, "major"),
        ("level", S, "level"),
        ("venue_id", S, "venue"),
        ("offsite_filed", B, "off-site delivery filed (null: none)"),
        ("planned_start", D, "opening date"),
        ("planned_end", D, "end date"),
        ("months", INT, "months"),
        ("hours_per_day", INT, "class-hours a day"),
        ("hours_total", INT, "class-hours in all"),
        ("hours_practice", INT, "practice class-hours (Zhengning)"),
        ("hours_online", INT, "online class-hours"),
        ("online_platform", S, "online platform"),
        ("category", S, "Zhengning category"),
        ("project_ref", S, "Sichuan published project"),
        ("filed_on", D, "filing date"),
        (
            "filing_batch",
            S,
            "filing batch: classes filed together in one 开班备案 submission",
        ),
        ("approved_on", D, "approval date (null: not approved)"),
        ("actual_start", D, "actual start"),
        ("status", S, "filed / approved / open / completed / paid"),
    ),
    _t(
        "operations/roster_entries",
        "学员花名册 as filed",
        ("class_id", S, "class"),
        ("seq", INT, "row number"),
        ("id_number", S, "ID number (normalised by crosscheck when left empty or not clean)"),
        ("id_number_raw", S, "ID number as typed"),
        ("roster_no", S, "the roster's own 序号"),
        ("name", S, "name as typed"),
        ("sex", S, "男 / 女"),
        ("school_name", S, "school"),
        ("graduated_on", D, "graduation date"),
        ("education", S, "level"),
        ("phone", S, "phone (synthetic)"),
    ),
    _t(
        "operations/attendance",
        "考勤 per trainee and month (annex 6)",
        ("class_id", S, "class"),
        ("id_number", S, "trainee"),
        ("month", D, "month (1st day)"),
        ("days_required", INT, "training days in the month"),
        ("days_present", INT, "days present"),
        ("hours_online", INT, "online hours"),
        ("evidence", pl.List(S), "evidence kinds on file"),
    ),
    _t(
        "operations/attendance_checks",
        "到课率检查 (annex 8 note 2)",
        ("class_id", S, "class"),
        ("checked_on", D, "date"),
        ("enrolled", INT, "enrolled"),
        ("present", INT, "present"),
    ),
    _t(
        "operations/completion_acceptance",
        "结课验收",
        ("class_id", S, "class"),
        ("id_number", S, "trainee (null: the class)"),
        ("applied_on", D, "application date"),
        ("accepted_on", D, "acceptance date"),
        ("accepted", B, "accepted"),
    ),
    _t(
        "operations/exam_results",
        "考核评价",
        ("class_id", S, "class"),
        ("id_number", S, "trainee"),
        ("status", S, "passed / failed / absent"),
        ("certificate_type", S, "vocational_qualification / skill_level / special_ability"),
        ("certificate_no", S, "certificate number"),
        ("issued_on", D, "issue date"),
    ),
    _t(
        "operations/dropouts",
        "中途退出 (annex 7)",
        ("class_id", S, "class"),
        ("id_number", S, "trainee"),
        ("left_on", D, "date"),
        ("reason", S, "reason"),
    ),
    _t(
        "operations/materials_review",
        "材料审核",
        ("class_id", S, "class"),
        ("id_number", S, "trainee"),
        ("passed", B, "passed"),
        ("missing", pl.List(S), "missing documents"),
    ),
    _t(
        "operations/violations",
        "违纪违规",
        ("class_id", S, "class"),
        ("found_on", D, "date"),
        ("description", S, "what"),
        ("deduction_rate", pl.Float64, "share of the proposed amount (e.g. 0.05)"),
    ),
    _t(
        "operations/certification_subsidies",
        "鉴定补贴 paid separately",
        ("id_number", S, "trainee"),
        ("class_id", S, "class"),
        ("amount_fen", INT, "amount"),
        ("paid_on", D, "date"),
        ("first_certification", B, "first certification"),
    ),
    _t(
        "operations/notices",
        "公示",
        ("batch_id", S, "batch"),
        ("class_id", S, "class"),
        ("published_on", D, "published"),
        ("ends_on", D, "last day of the notice period"),
    ),
    _t(
        "operations/notice_objections",
        "公示异议",
        ("batch_id", S, "batch"),
        ("class_id", S, "class"),
        ("id_number", S, "trainee"),
        ("raised_on", D, "raised"),
        ("resolved_on", D, "resolved (null: open)"),
    ),
    _t(
        "operations/payments",
        "拨付",
        ("class_id", S, "class"),
        ("batch_id", S, "batch"),
        ("amount_fen", INT, "amount"),
        ("paid_on", D, "date"),
        ("account_type", S, "basic / other"),
    ),
]

TRUTH = [
    _t(
        "truth/expected_findings",
        "the findings crosscheck must raise",
        ("stage", S, "identity / opening / payout"),
        ("class_id", S, "class"),
        ("id_number", S, "trainee (null: class-level)"),
        ("rule_code", S, "rule"),
        ("severity", S, "block / exclude / deduct / review / rate"),
        ("policy_id", S, "policy whose rule it is"),
        ("case", S, "the planted case"),
        ("match_level", S, "name match level, where identity is fuzzy"),
    ),
    _t(
        "truth/cases",
        "every planted case, including the hard negatives that must raise nothing",
        ("case", S, "case name"),
        ("class_id", S, "class"),
        ("id_number", S, "trainee (null: class)"),
        ("expects", S, "comma-separated rule codes, empty for a negative"),
    ),
    _t(
        "truth/expected_accounting",
        "补贴核算表 per class (Fushun annex 8; Shenyang by major)",
        ("class_id", S, "class"),
        ("policy_id", S, "policy"),
        ("opened", INT, "开班人数"),
        ("dropped_out", INT, "中退人数"),
        ("social_insurance", INT, "缴纳社会保险人数"),
        ("exam_failed", INT, "未通过考试人数"),
        ("exam_absent", INT, "未报名参加考试人数"),
        ("materials_failed", INT, "材料审核不合格人数"),
        ("other_excluded", INT, "其他原因不予补贴人数"),
        ("subsidised", INT, "实际补贴人数"),
        ("months", INT, "培训时限"),
        ("proposed_fen", INT, "拟补贴金额"),
        ("attendance_checks_below", INT, "到课率不足80%次数"),
        ("attendance_deduction_fen", INT, "到课率扣减"),
        ("violation_rate", pl.Float64, "违纪违规扣减百分比"),
        ("violation_deduction_fen", INT, "违纪违规扣减金额"),
        ("total_deduction_fen", INT, "扣减总计"),
        ("actual_fen", INT, "实际补贴金额"),
        ("payable", B, "no class-level block stands"),
        (
            "by_rate",
            S,
            "JSON: one [rate_fen_per_month, subsidised, proposed_fen] per rate row, highest first",
        ),
    ),
    _t(
        "truth/rosters",
        "roster files and the load errors they must produce",
        ("file", S, "path under rosters/"),
        ("class_id", S, "class"),
        ("format", S, "xlsx / csv-utf8 / csv-gb18030"),
        ("ids_as_numbers", B, "ID column stored as Excel numbers"),
        ("expected_errors", S, "JSON: [[row, field, code], …] the loader must report"),
    ),
]

# only in a world generated with --decisions (crosscheck.world.decide)
DECISIONS = [
    _t(
        "decisions/planted",
        "officials' decisions to make on the findings of the world's day, as they make them",
        ("stage", S, "identity / opening / payout"),
        ("class_id", S, "class"),
        ("id_number", S, "trainee as on the roster (null: the class's finding)"),
        ("rule_code", S, "rule"),
        ("kind", S, "确认 / 驳回 / 准予例外"),
        ("decided_by", S, "the official"),
        ("decided_at", TS, "when"),
        ("reason", S, "the reason given"),
        ("attachments", S, "the documents seen, separated by 、 (null: none)"),
    ),
    _t(
        "truth/expected_decisions",
        "what each planted decision must come to after the next night's delta",
        ("stage", S, "identity / opening / payout"),
        ("class_id", S, "class"),
        ("id_number", S, "trainee (null: class-level)"),
        ("rule_code", S, "rule"),
        ("case", S, "override / override_refused / dismiss / dismiss_reopened"),
        ("recorded", B, "false: the decision must be refused (not overridable)"),
        ("status", S, "the finding's state: 已准予例外 / 待审核 / 已驳回 / 证据已变化，重新待审核"),
    ),
]

ALL = REGISTRIES + DIRECTORY + OPERATIONS + TRUTH + DECISIONS
BY_PATH = {t.path: t for t in ALL}
# Registries exported as CSV, with their encodings (the rest are Parquet).
CSV_FILES = {"registries/business_licences": "gb18030", "registries/dishonesty_list": "utf-8"}


def frame(path: str, rows: list[dict[str, object]]) -> pl.DataFrame:
    """Rows as a frame with exactly the table's columns and types."""
    table = BY_PATH[path]
    return pl.DataFrame(rows, schema=table.schema) if rows else pl.DataFrame(schema=table.schema)


def conform(path: str, df: pl.DataFrame) -> pl.DataFrame:
    """The table's columns in order and type; a column the frame lacks is empty."""
    table = BY_PATH[path]
    return df.select(
        [
            pl.col(c).cast(t) if c in df.columns else pl.lit(None, dtype=t).alias(c)
            for c, t, _ in table.columns
        ]
    )


PARSE_SEPARATOR = "\x1f"  # between the columns of ``_parse_error`` (text may hold commas)


def from_text(path: str, df: pl.DataFrame, *, strict: bool = True) -> pl.DataFrame:
    """A frame read from CSV (all columns text) with the table's types restored.

    ``strict=False`` never raises on a bad value: it is parsed as null and the
    frame gains ``_parse_error``, naming the columns that could not be read with the
    text sent (``column=text``, separated by :data:`PARSE_SEPARATOR`; null
    when the row is fine), so that the gate can quarantine the row with a reason.
    """
    exprs = []
    missing = [c for c, _, _ in BY_PATH[path].columns if c not in df.columns]
    if missing:
        raise ValueError(f"missing column(s): {', '.join(missing)}")
    for name, dtype, _ in BY_PATH[path].columns:
        col = pl.col(name).cast(pl.String).str.strip_chars()
        col = pl.when(col == "").then(None).otherwise(col)
        if dtype == pl.Date:
            exprs.append(col.str.to_date("%Y-%m-%d", strict=strict).alias(name))
        elif isinstance(dtype, pl.Datetime):
            exprs.append(
                col.str.replace("T", " ")
                .str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="us", strict=strict)
                .alias(name)
            )
        elif dtype == pl.Boolean:
            mapping = {"true": True, "false": False, "1": True, "0": False}
            exprs.append(
                col.str.to_lowercase()
                .replace_strict(mapping, default=None, return_dtype=pl.Boolean)
                .alias(name)
            )
        else:
            exprs.append(col.cast(dtype, strict=strict).alias(name))
    parsed = df.select(exprs)
    if strict:
        return parsed
    raw = df.select(
        [pl.col(c).cast(pl.String).str.strip_chars().alias(c) for c, _, _ in BY_PATH[path].columns]
    )
    broken = [  # "column=the text as sent" (at most 40 characters), one per column
        pl.when(raw[c].is_not_null() & (raw[c] != "") & parsed[c].is_null()).then(
            pl.lit(c + "=") + raw[c].str.slice(0, 40)
        )
        for c, _, _ in BY_PATH[path].columns
    ]
    errors = pl.select(
        pl.concat_str(broken, separator=PARSE_SEPARATOR, ignore_nulls=True).alias("_parse_error")
    )
    return parsed.with_columns(errors["_parse_error"].replace("", None))
