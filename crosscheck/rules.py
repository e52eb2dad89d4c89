"""The rule catalogue: stable codes, their stage and their Chinese titles.

Which rules apply in a place, and how severe each is there, is policy data
(``data/policies/*.yaml``, section ``rules``); this module only names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    BLOCK = "block"  # trainee or class may not proceed
    EXCLUDE = "exclude"  # trainee not counted for subsidy
    DEDUCT = "deduct"  # money taken off
    REVIEW = "review"  # a person must look
    RATE = "rate"  # changes the rate, not the verdict

    @property
    def label(self) -> str:
        return {
            "block": "阻断",
            "exclude": "不予补贴",
            "deduct": "扣减",
            "review": "人工复核",
            "rate": "调整补贴标准",
        }[self.value]


# every severity by the name people read, for whoever holds a severity's code
SEVERITY_LABELS = {s.value: s.label for s in Severity}


class Stage(StrEnum):
    IDENTITY = "identity"  # every stage
    OPENING = "opening"  # before a class opens, re-checked nightly
    PAYOUT = "payout"  # after completion, before notice and payment


@dataclass(frozen=True)
class Rule:
    code: str
    stage: Stage
    title: str


_CATALOGUE = [
    Rule("ID_INVALID", Stage.IDENTITY, "身份证号码无效"),
    Rule("ID_NAME_MISMATCH", Stage.IDENTITY, "姓名与身份证号码不符"),
    Rule("ROSTER_DUPLICATE", Stage.IDENTITY, "花名册重复学员"),
    Rule("NOT_IN_COHORT", Stage.OPENING, "不属于培训对象范围"),
    Rule("NOT_FULL_TIME", Stage.OPENING, "非全日制"),
    Rule("REGION_INELIGIBLE", Stage.OPENING, "户籍或就读地不符"),
    Rule("HUKOU_PROOF_REQUIRED", Stage.OPENING, "需提供户籍证明"),
    Rule("PRIOR_EMPLOYMENT", Stage.OPENING, "毕业后曾就业（参保缴费）"),
    Rule("PRIOR_BUSINESS", Stage.OPENING, "毕业后曾创业（营业执照）"),
    Rule("ALREADY_TRAINED_THIS_YEAR", Stage.OPENING, "本年度已参加培训"),
    Rule("CONCURRENT_ENROLMENT", Stage.OPENING, "同期参加其他培训"),
    Rule("TRAINEE_BLACKLISTED", Stage.OPENING, "学员有失信记录"),
    Rule("OWN_GRADUATE", Stage.OPENING, "院校培训本校毕业生"),
    Rule("CLASS_TOO_LARGE", Stage.OPENING, "班级人数超过上限"),
    Rule("OPENING_DATE_NOT_ALLOWED", Stage.OPENING, "开班日期不符合规定"),
    Rule("FILING_TOO_LATE", Stage.OPENING, "开班备案不及时"),
    Rule("OPENED_WITHOUT_APPROVAL", Stage.OPENING, "未经审核备案自行开班"),
    Rule("INSTITUTION_NOT_LISTED", Stage.OPENING, "培训机构不在目录内或被禁入"),
    Rule("MAJOR_NOT_APPROVED", Stage.OPENING, "培训专业未经核准"),
    Rule("VENUE_NOT_APPROVED", Stage.OPENING, "培训场地未经核验"),
    Rule("HOURS_OUT_OF_RANGE", Stage.OPENING, "培训时长或课时不符合规定"),
    Rule("PROJECT_NOT_PUBLISHED", Stage.OPENING, "培训项目未公开发布或不一致"),
    Rule("NOT_ACCEPTED", Stage.PAYOUT, "未通过结课验收"),
    Rule("EMPLOYED_DURING_TRAINING", Stage.PAYOUT, "培训期间缴纳社会保险"),
    Rule("BUSINESS_DURING_TRAINING", Stage.PAYOUT, "培训期间领取营业执照"),
    Rule("DROPPED_OUT", Stage.PAYOUT, "中途退出"),
    Rule("EXAM_FAILED", Stage.PAYOUT, "未通过考试"),
    Rule("EXAM_ABSENT", Stage.PAYOUT, "未报名参加考试"),
    Rule("MATERIALS_INCOMPLETE", Stage.PAYOUT, "材料审核不合格"),
    Rule("LOW_ATTENDANCE", Stage.PAYOUT, "个人出勤率不足"),
    Rule("ATTENDANCE_EVIDENCE_MISSING", Stage.PAYOUT, "考勤佐证材料缺失"),
    Rule("CLASS_ATTENDANCE_DEDUCTION", Stage.PAYOUT, "到课率扣减"),
    Rule("VIOLATION_DEDUCTION", Stage.PAYOUT, "违纪违规扣减"),
    Rule("DUPLICATE_SUBSIDY", Stage.PAYOUT, "重复享受培训补贴"),
    Rule("DUPLICATE_CERTIFICATION_SUBSIDY", Stage.PAYOUT, "重复享受鉴定补贴"),
    Rule("NOT_IN_PROVINCIAL_SYSTEM", Stage.PAYOUT, "未纳入省职业培训信息管理系统"),
    Rule("NOTICE_PERIOD_INCOMPLETE", Stage.PAYOUT, "公示未满或有异议"),
]

RULES: dict[str, Rule] = {rule.code: rule for rule in _CATALOGUE}
