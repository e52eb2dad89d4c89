"""A finding's evidence as a person reads it: one Chinese sentence per rule.

The checks write evidence as JSON with English keys (the machine's record, kept
as is in exports and behind the pages' "详情"). :func:`describe` turns it into
the sentence an official reads — "2023年7月在盛京华信科技有限公司缴纳城镇企业职工基本
养老保险（养老保险记录 TPEN00000040）" — from the rule's own template. Evidence of an
unexpected shape never fails: it falls back to "名称：值" pairs with Chinese names.

:func:`scrub` masks every ID number inside evidence (the household register's
record key is the person's number); :func:`describe` scrubs before it writes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from crosscheck import idnumber

_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


def scrub(value: Any) -> Any:
    """Mask every ID number inside a finding's evidence (keys of the household
    register are ID numbers)."""
    if isinstance(value, str):
        return _ID.sub(lambda m: idnumber.mask(m.group(0)), value)
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    return value


SOURCES = {
    "pension_contributions": "养老保险记录",
    "business_licences": "营业执照",
    "student_status": "学籍记录",
    "household_registration": "户籍记录",
    "training_records": "培训记录",
    "classes": "本地班级",
    "dishonesty_list": "失信记录",
    "exam_results": "考试结果",
    "roster_entries": "学员花名册",
    "provincial_training_system": "省职业培训信息管理系统",
    "id_region_code": "身份证号码地区码",
    "enrolments": "参训记录",
}
LINKS = {
    "exact": "",
    "normalised": "规范化后号码一致",
    "fuzzy_swap": "疑似录入错误：顺序码相邻两位颠倒",
    "fuzzy_digit": "疑似录入错误：顺序码一位不同",
}
NAME_LEVELS = {
    "exact": "完全一致",
    "variant": "繁简或间隔号差异",
    "same_pinyin": "同音字",
    "one_character": "一字之差",
    "different": "不一致",
}
ROLES = {
    "operator": "经营者",
    "legal_representative": "法定代表人",
    "investor": "投资人",
    "supervisor": "监事",
    "other": "其他人员",
}
PROGRAMMES = {
    "graduate_conversion": "高校毕业生转岗培训",
    "employment_skills": "就业技能培训",
    "entrepreneurship": "创业培训",
}
STUDY_STATUS = {
    "graduated": "毕业",
    "enrolled": "在读",
    "withdrawn": "退学",
}
# the fallback's names for evidence keys (a shape no template knows)
KEYS = {
    "source": "来源",
    "records": "记录",
    "key": "记录编号",
    "rows": "花名册行号",
    "present": "出勤",
    "required": "应出勤",
    "trainees": "学员人数",
    "limit": "上限",
    "months": "月份",
    "dates": "日期",
    "reason": "原因",
    "status": "状态",
    "missing": "缺少",
    "institution": "培训机构",
    "major": "专业",
    "venue": "场地",
    "amount_fen": "金额（分）",
    "paid_on": "拨付日期",
}


def _date(value: Any) -> str:
    """2023-07-09 → 2023年7月9日 (text that is not a date is kept)."""
    try:
        d = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return f"{d.year}年{d.month}月{d.day}日"


def _month(value: Any) -> str:
    """2023-07-01 or 2023-07 → 2023年7月."""
    text = str(value)
    m = re.fullmatch(r"(\d{4})-(\d{2})(?:-\d{2})?", text[:10] if len(text) >= 10 else text)
    return f"{m.group(1)}年{int(m.group(2))}月" if m else text


def _months(first: Any, last: Any) -> str:
    if last in (None, first):
        return _month(first)
    return f"{_month(first)}至{_month(last)}"


def _list(values: Any, fmt: Callable[[Any], str] = str) -> str:
    return "、".join(fmt(v) for v in (values or []))


def _rate(value: Any) -> str:
    """0.90 → 90%, 0.05 → 5%."""
    try:
        pct = Decimal(str(value)) * 100
    except InvalidOperation:
        return str(value)
    return f"{pct.normalize():f}%"


def _yuan(fen: Any) -> str:
    return f"{Decimal(int(fen)) / 100:,.2f} 元"


def region_name(code: Any) -> str:
    """A 2-digit province or 6-digit region code by its name (other text as it is)."""
    from crosscheck import regions

    text = str(code or "")
    if len(text) == 2:
        return regions.province_name(text) or text
    if len(text) == 6 and text.isdigit():
        return regions.lookup(text).label or text
    return text


def _ref(source: str, key: Any, link: Any = None) -> str:
    """（养老保险记录 TPEN00000040） — with the link when the number was not the same."""
    label = SOURCES.get(source, source)
    how = LINKS.get(str(link), str(link)) if link else ""
    return f"（{label} {key}{'，' + how if how else ''}）"


def _pension(e: Mapping[str, Any]) -> str:
    return "；".join(
        f"{_months(r.get('from'), r.get('to'))}在{r.get('employer') or '（单位名称空白）'}"
        f"缴纳{r.get('scheme') or '养老保险'}"
        + _ref("pension_contributions", r.get("key"), r.get("link"))
        for r in e["records"]
    )


def _licences(e: Mapping[str, Any]) -> str:
    parts = []
    for r in e["records"]:
        role = ROLES.get(str(r.get("role")), str(r.get("role")))
        text = f"{_date(r.get('established_on'))}起为{r.get('entity')}的{role}"
        if r.get("deregistered_on"):
            text += f"（{_date(r['deregistered_on'])}注销）"
        parts.append(text + _ref("business_licences", r.get("key"), r.get("link")))
    return "；".join(parts)


def _enrolments(e: Mapping[str, Any]) -> str:
    parts = []
    for r in e["records"]:
        where = region_name(r.get("region"))
        programme = PROGRAMMES.get(str(r.get("programme")), r.get("programme") or "培训")
        text = f"{_date(r.get('start'))}至{_date(r.get('end'))}在{where}参加{programme}"
        if r.get("paid_on"):
            text += f"，{_date(r['paid_on'])}已拨付补贴"
        elif r.get("subsidised"):
            text += "，享受补贴"
        else:
            text += "，未享受补贴"
        source = str(r.get("source") or "training_records")
        key = r.get("key")
        ref = f"（本地班级 {key}）" if source == "classes" else _ref(source, key, r.get("link"))
        parts.append(text + ref)
    return "；".join(parts)


def _study(r: Mapping[str, Any]) -> str:
    bits = [str(r.get("school") or "（学校空白）")]
    bits += [str(r[k]) for k in ("level", "mode") if r.get(k)]
    text = " ".join(bits)
    status = STUDY_STATUS.get(str(r.get("status")), r.get("status"))
    if r.get("graduated_on"):
        verb = "毕业" if status in (None, "毕业") else f"{status}，预计毕业"
        text += f"，{_date(r['graduated_on'])}{verb}"
    elif status:
        text += f"，{status}"
    return text + _ref("student_status", r.get("key"), r.get("link"))


def _not_in_cohort(e: Mapping[str, Any]) -> str:
    records = e.get("records") or []
    if not records:
        return "学籍库中没有此人的学籍记录（可由学校出具学籍证明）"
    return "学籍记录均不属于培训对象范围：" + "；".join(_study(r) for r in records)


def _not_full_time(e: Mapping[str, Any]) -> str:
    cohort = [r for r in e.get("records") or [] if r.get("cohort", True)]
    return "属培训对象范围的学籍均非全日制：" + "；".join(_study(r) for r in cohort)


def _registered(e: Mapping[str, Any]) -> str:
    """Where the household record registers the person: its county, else its city, when
    the record gives one inside its province; else the province."""
    province = str(e.get("province") or "")
    if e.get("source") == "household_registration":
        county, city = str(e.get("county") or ""), str(e.get("city") or "")
        for code in (county, city + "00" if len(city) == 4 else ""):
            if len(code) == 6 and code.isdigit() and code.startswith(province):
                name = region_name(code)
                if name != code:
                    return name
    return region_name(province)


def _provinces(e: Mapping[str, Any]) -> tuple[str, str]:
    home = _registered(e)
    basis = "户籍" if e.get("source") == "household_registration" else "身份证号码地区码"
    schools = e.get("school_provinces") or []
    where = (
        f"就读学校在{_list(schools, region_name)}" if schools else "没有属培训对象范围的学籍记录"
    )
    return f"{basis}在{home}", where


def _region_ineligible(e: Mapping[str, Any]) -> str:
    home, where = _provinces(e)
    return f"{home}，{where}：既非本省户籍，也非本省院校毕业生"


def _hukou_proof(e: Mapping[str, Any]) -> str:
    home, where = _provinces(e)
    return f"{home}，{where}：需提供本省户籍证明"


def _id_invalid(e: Mapping[str, Any]) -> str:
    typed = e.get("id_number_as_typed_masked")
    shown = f"“{typed}”" if typed else "（空白）"
    rows = _list(e.get("rows"))
    if e.get("stored_as_number"):
        return (
            f"花名册第 {rows} 行的身份证号码被存成了数字{shown}，末几位已经丢失，无法核实身份"
            "（请把该列设为“文本”格式后重新录入）"
        )
    if not typed:
        return f"花名册第 {rows} 行没有填写身份证号码"
    return f"花名册第 {rows} 行的身份证号码{shown}无效（位数、出生日期或校验码不符）"


def _roster_duplicate(e: Mapping[str, Any]) -> str:
    rows = e.get("rows") or []
    parts = []
    if len(rows) > 1:
        parts.append(f"花名册第 {_list(rows)} 行为同一身份证号码")
    if e.get("classes"):
        parts.append(f"同一备案批次 {e.get('batch')} 的班级 {_list(e['classes'])} 中也有此人")
    return "；".join(parts) or "花名册中重复出现"


def _name_mismatch(e: Mapping[str, Any]) -> str:
    parts = [
        f"{SOURCES.get(str(r.get('source')), r.get('source'))}姓名“{r.get('name')}”"
        f"（{NAME_LEVELS.get(str(r.get('match_level')), r.get('match_level'))}，"
        f"记录 {r.get('key')}）"
        for r in e["records"]
    ]
    return f"花名册姓名“{e.get('roster_name')}”，" + "；".join(parts)


def _blacklisted(e: Mapping[str, Any]) -> str:
    parts = []
    for r in e["records"]:
        until = f"至{_date(r['to'])}" if r.get("to") else "起，未设期限"
        parts.append(
            f"{_date(r.get('from'))}{until}列入失信名单，原因：{r.get('reason') or '未注明'}"
            + _ref("dishonesty_list", r.get("key"))
        )
    return "；".join(parts)


def _own_graduate(e: Mapping[str, Any]) -> str:
    at = f"，在该校场地 {e['venue']} 培训" if e.get("venue") else ""
    return (
        f"为{e.get('school')}本校毕业生，{_date(e.get('graduated_on'))}毕业"
        + _ref("student_status", e.get("key"))
        + at
    )


def _too_large(e: Mapping[str, Any]) -> str:
    return f"班级学员 {e['trainees']} 人，超过上限 {e['limit']} 人"


def _opening_date(e: Mapping[str, Any]) -> str:
    opening = e.get("opening")
    end = e.get("programme_end")
    if end and opening and str(opening) > str(end):
        return f"开班日期{_date(opening)}晚于项目截止日期{_date(end)}"
    after = f"，此后可开班日为{_date(e['next_allowed'])}" if e.get("next_allowed") else ""
    return f"开班日期{_date(opening)}不是规定的开班日{after}"


def _filing_late(e: Mapping[str, Any]) -> str:
    return f"{_date(e['filed_on'])}备案，最迟应于{_date(e['latest'])}备案"


def _opened_unapproved(e: Mapping[str, Any]) -> str:
    text = f"{_date(e.get('opened_on'))}开班"
    if not e.get("filed_on"):
        return text + "，未备案"
    text += f"；{_date(e['filed_on'])}备案"
    if not e.get("approved_on"):
        return text + "，未经审核通过"
    return text + f"，{_date(e['approved_on'])}审核通过（晚于开班）"


def _institution(e: Mapping[str, Any]) -> str:
    who = f"培训机构 {e.get('institution')}"
    parts = []
    if not e.get("in_directory", True):
        if e.get("listed_from"):
            until = f"至{_date(e['listed_to'])}" if e.get("listed_to") else "起"
            parts.append(f"开班时不在目录内（目录登记 {_date(e['listed_from'])}{until}）")
        else:
            parts.append("不在培训机构目录内")
    if e.get("barred"):
        parts.append("在失信名单禁入期内")
    if e.get("platform_removed_for_fraud"):
        parts.append("所用线上平台因弄虚作假被清退")
    return who + "：" + "；".join(parts or ["不符合目录要求"])


def _major(e: Mapping[str, Any]) -> str:
    level = f"（{e['level']}）" if e.get("level") else ""
    text = f"培训机构 {e.get('institution')} 的专业“{e.get('major')}”{level}"
    if not e.get("approved"):
        elsewhere = e.get("approved_under") or []
        if elsewhere:
            from crosscheck.policy.loader import label

            return (
                text + f"未按{label(e.get('policy')) or '本班政策'}核准"
                f"（仅按{_list(elsewhere, label)}核准）"
            )
        return text + "未经核准"
    return text + f"为其第 {e.get('place')} 个专业，超过上限 {e.get('limit')} 个"


def _venue(e: Mapping[str, Any]) -> str:
    venue = f"培训场地 {e.get('venue') or '（未填写）'} "
    if e.get("owner") is None:
        return venue + "不在场地目录内"
    if not e.get("owned"):
        return venue + f"不是本机构自有场地（登记单位 {e.get('owner')}）"
    if not e.get("verified_on"):
        return venue + "未经核验"
    return venue + f"于{_date(e['verified_on'])}核验，晚于开班"


def _hours(e: Mapping[str, Any]) -> str:
    """What the filing says, led by what the evidence itself shows to be short (the
    policy's own bounds — 3–6 months, hours a day, the online share — are the
    policy's, named by the finding's clause)."""
    months, fixed = e.get("months"), e.get("fixed_months")
    per_day, days, total = e.get("hours_per_day"), e.get("working_days"), e.get("hours_total")
    required, practice, online = e.get("required"), e.get("practice"), e.get("online")
    wrong = []
    if months is not None and fixed is not None and months != fixed:
        wrong.append(f"培训 {months} 个月，该专业规定 {fixed} 个月")
    if per_day and days and total is not None and total < per_day * days:
        wrong.append(
            f"共 {total} 课时，少于每天 {per_day} 课时 × {days} 个工作日 = {per_day * days} 课时"
        )
    if required is not None and total is not None and total < required:
        wrong.append(f"共 {total} 课时，少于该专业要求的 {required} 课时")
    facts = []
    if months is not None:
        facts.append(f"培训 {months} 个月")
    if per_day is not None:
        facts.append(f"每天 {per_day} 课时")
    if days is not None:
        facts.append(f"工作日 {days} 天")
    if total is not None:
        facts.append(f"共 {total} 课时")
    if practice is not None:
        share = f"，占 {practice / total:.0%}" if total else ""
        facts.append(f"实操 {practice} 课时{share}")
    if online:
        platform = f"（{e['platform']}）" if e.get("platform") else ""
        share = f"，占 {online / total:.0%}" if total else ""
        facts.append(f"线上 {online} 课时{share}{platform}")
    if not wrong:
        return "；".join(facts)
    return "；".join(wrong) + "（备案：" + "，".join(facts) + "）"


def _project(e: Mapping[str, Any]) -> str:
    if not e.get("project"):
        return "培训项目未公开发布（未关联公开发布的项目）"
    if e.get("published_on") is None:
        return f"培训项目 {e['project']} 没有公开发布记录"
    pairs: list[tuple[str, str, str, Callable[[Any], str]]] = [
        ("published_trainees", "trainees", "人数", lambda v: f"{v} 人"),
        ("published_months", "months", "时长", lambda v: f"{v} 个月"),
        ("occupation", "major", "职业（工种）", str),
        ("published_rate_fen", "rate_fen", "补贴标准", lambda v: _yuan(v) + "/人·月"),
    ]
    parts = []
    for published, actual, what, fmt in pairs:
        a, b = e.get(published), e.get(actual)
        if a is not None and a != b:
            parts.append(f"{what}公布为 {fmt(a)}，实际为 {fmt(b) if b is not None else '空白'}")
    head = f"培训项目 {e['project']}（{_date(e['published_on'])}发布）"
    return head + ("与实际不一致：" + "；".join(parts) if parts else "晚于开班发布")


def _not_accepted(e: Mapping[str, Any]) -> str:
    if not e.get("applied_on") and e.get("accepted") is None:
        return "没有结课验收记录"
    if e.get("accepted") is False:
        return f"{_date(e.get('applied_on'))}申请结课验收，未通过"
    return f"{_date(e.get('applied_on'))}申请结课验收，最迟应于{_date(e.get('latest'))}申请"


def _dropped(e: Mapping[str, Any]) -> str:
    reason = f"（{e['reason']}）" if e.get("reason") else ""
    return f"{_date(e.get('left_on'))}中途退出{reason}"


def _exam(e: Mapping[str, Any]) -> str:
    status = e.get("status")
    return {
        "failed": "考试（考核）结果为不合格",
        "absent": "考试（考核）缺考",
        "none": "没有考试（考核）记录，同班其他学员已有成绩",
    }.get(str(status), f"考试（考核）结果：{status}")


def _materials(e: Mapping[str, Any]) -> str:
    missing = e.get("missing")
    return f"缺少材料：{_list(missing)}" if missing else "材料审核不合格"


def _attendance(e: Mapping[str, Any]) -> str:
    present, required = int(e["present"]), int(e["required"])
    share = f"{present / required * 100:.1f}%" if required else "—"
    floor = f"，低于 {_rate(e['min_rate'])}" if e.get("min_rate") is not None else ""
    return f"出勤 {present} 天，应出勤 {required} 天（{share}{floor}）"


def _attendance_evidence(e: Mapping[str, Any]) -> str:
    return f"{_list(e.get('months'), _month)}的考勤佐证材料不全"


def _class_attendance(e: Mapping[str, Any]) -> str:
    floor = f"低于 {_rate(e['min_rate'])}" if e.get("min_rate") is not None else "不足"
    return f"{e.get('checks_below')} 次抽查到课率{floor}：{_list(e.get('dates'), _date)}"


def _violation(e: Mapping[str, Any]) -> str:
    return f"违规：{_list(e.get('what'))}；合计扣减 {_rate(e.get('rate'))}"


def _certification(e: Mapping[str, Any]) -> str:
    when = f"（{_date(e['paid_on'])}拨付）" if e.get("paid_on") else ""
    return f"已另行领取鉴定补贴 {_yuan(e['amount_fen'])}{when}"


def _provincial(e: Mapping[str, Any]) -> str:
    return f"省职业培训信息管理系统中没有此学员在班级 {e.get('class')} 的记录"


def _notice(e: Mapping[str, Any]) -> str:
    parts = []
    if not e.get("notice_from"):
        parts.append("未公示")
    else:
        parts.append(
            f"{_date(e['notice_from'])}起公示，{_date(e.get('paid_on'))}拨付"
            f"（拨付前公示 {e.get('working_days')} 个工作日）"
        )
    if e.get("account") not in (None, "basic"):
        parts.append("拨付到非基本账户")
    return "；".join(parts)


TEMPLATES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "ID_INVALID": _id_invalid,
    "ID_NAME_MISMATCH": _name_mismatch,
    "ROSTER_DUPLICATE": _roster_duplicate,
    "NOT_IN_COHORT": _not_in_cohort,
    "NOT_FULL_TIME": _not_full_time,
    "REGION_INELIGIBLE": _region_ineligible,
    "HUKOU_PROOF_REQUIRED": _hukou_proof,
    "PRIOR_EMPLOYMENT": _pension,
    "EMPLOYED_DURING_TRAINING": _pension,
    "PRIOR_BUSINESS": _licences,
    "BUSINESS_DURING_TRAINING": _licences,
    "ALREADY_TRAINED_THIS_YEAR": _enrolments,
    "CONCURRENT_ENROLMENT": _enrolments,
    "DUPLICATE_SUBSIDY": _enrolments,
    "TRAINEE_BLACKLISTED": _blacklisted,
    "OWN_GRADUATE": _own_graduate,
    "CLASS_TOO_LARGE": _too_large,
    "OPENING_DATE_NOT_ALLOWED": _opening_date,
    "FILING_TOO_LATE": _filing_late,
    "OPENED_WITHOUT_APPROVAL": _opened_unapproved,
    "INSTITUTION_NOT_LISTED": _institution,
    "MAJOR_NOT_APPROVED": _major,
    "VENUE_NOT_APPROVED": _venue,
    "HOURS_OUT_OF_RANGE": _hours,
    "PROJECT_NOT_PUBLISHED": _project,
    "NOT_ACCEPTED": _not_accepted,
    "DROPPED_OUT": _dropped,
    "EXAM_FAILED": _exam,
    "EXAM_ABSENT": _exam,
    "MATERIALS_INCOMPLETE": _materials,
    "LOW_ATTENDANCE": _attendance,
    "ATTENDANCE_EVIDENCE_MISSING": _attendance_evidence,
    "CLASS_ATTENDANCE_DEDUCTION": _class_attendance,
    "VIOLATION_DEDUCTION": _violation,
    "DUPLICATE_CERTIFICATION_SUBSIDY": _certification,
    "NOT_IN_PROVINCIAL_SYSTEM": _provincial,
    "NOTICE_PERIOD_INCOMPLETE": _notice,
}


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None:
        return "空白"
    if isinstance(value, list):
        return "、".join(_value(v) for v in value) or "无"
    if isinstance(value, dict):
        return "，".join(f"{KEYS.get(k, k)} {_value(v)}" for k, v in value.items())
    return SOURCES.get(str(value), str(value))


def fallback(evidence: Mapping[str, Any]) -> str:
    """Any evidence as "名称：值" pairs (for a shape no template knows)."""
    return "；".join(f"{KEYS.get(k, k)}：{_value(v)}" for k, v in evidence.items())


def describe(rule_code: str, evidence: Mapping[str, Any] | str | None) -> str:
    """The finding's evidence as a Chinese sentence, ID numbers masked."""
    if evidence is None or evidence == "":
        return ""
    if isinstance(evidence, str):
        try:
            evidence = json.loads(evidence)
        except json.JSONDecodeError:
            return str(scrub(evidence))
    if not isinstance(evidence, Mapping):
        return _value(scrub(evidence))
    clean = scrub(dict(evidence))
    template = TEMPLATES.get(rule_code)
    if template is not None:
        try:
            return template(clean)
        except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError):
            pass  # a shape the template does not know: say it plainly below
    return fallback(clean)
