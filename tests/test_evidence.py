"""Evidence as a person reads it: one Chinese sentence per rule, from the rule's
own template, ID numbers masked — and the JSON kept for exports (issue 13)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb

from crosscheck.evidence import TEMPLATES, describe, fallback
from crosscheck.rules import RULES

FULL_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
ENGLISH_KEY = re.compile(r"[a-z_]{3,}\s*[=:]")


def test_every_rule_in_the_catalogue_has_its_own_template() -> None:
    assert set(TEMPLATES) == set(RULES)


def test_a_pension_month_reads_as_the_issue_asks() -> None:
    evidence = {
        "source": "pension_contributions",
        "records": [
            {
                "key": "TPEN00000040",
                "employer": "盛京华信科技有限公司",
                "scheme": "城镇企业职工基本养老保险",
                "from": "2023-07-01",
                "to": "2023-07-01",
                "link": "exact",
            }
        ],
    }
    assert describe("PRIOR_EMPLOYMENT", evidence) == (
        "2023年7月在盛京华信科技有限公司缴纳城镇企业职工基本养老保险（养老保险记录 TPEN00000040）"
    )
    span = {**evidence["records"][0], "to": "2023-12-01", "link": "fuzzy_swap"}  # type: ignore[dict-item]
    text = describe("EMPLOYED_DURING_TRAINING", {"records": [span]})
    assert text.startswith("2023年7月至2023年12月在")
    assert "疑似录入错误：顺序码相邻两位颠倒" in text


def test_attendance_says_the_share_and_the_floor() -> None:
    text = describe("LOW_ATTENDANCE", {"present": 67, "required": 82, "min_rate": 0.9})
    assert text == "出勤 67 天，应出勤 82 天（81.7%，低于 90%）"
    # evidence written before the floor was recorded still reads
    assert describe("LOW_ATTENDANCE", '{"present":67,"required":82}') == (
        "出勤 67 天，应出勤 82 天（81.7%）"
    )


def test_a_household_record_key_is_masked_in_the_sentence() -> None:
    evidence = {
        "roster_name": "刘晓一",
        "records": [
            {
                "source": "household_registration",
                "key": "210905200002149009",
                "name": "刘晓峰",
                "match_level": "one_character",
            }
        ],
    }
    text = describe("ID_NAME_MISMATCH", evidence)
    assert not FULL_ID.search(text)
    assert "210905********9009" in text
    assert text.startswith("花名册姓名“刘晓一”，户籍记录姓名“刘晓峰”（一字之差")


def test_class_rules_read_as_sentences() -> None:
    assert describe("CLASS_TOO_LARGE", {"trainees": 51, "limit": 50}) == (
        "班级学员 51 人，超过上限 50 人"
    )
    assert describe("FILING_TOO_LATE", {"filed_on": "2022-09-27", "latest": "2022-09-26"}) == (
        "2022年9月27日备案，最迟应于2022年9月26日备案"
    )
    never_filed = {"opened_on": "2022-08-01", "filed_on": None, "approved_on": None}
    assert describe("OPENED_WITHOUT_APPROVAL", never_filed) == "2022年8月1日开班，未备案"
    assert describe("NOT_IN_COHORT", {"source": "student_status", "records": []}).startswith(
        "学籍库中没有此人的学籍记录"
    )


def test_hours_lead_with_what_the_evidence_shows_to_be_short() -> None:
    short = {"months": 3, "fixed_months": 3, "hours_per_day": 6, "hours_total": 354}
    short |= {"working_days": 60, "required": 350, "practice": 177, "online": 0}
    assert describe("HOURS_OUT_OF_RANGE", short).startswith(
        "共 354 课时，少于每天 6 课时 × 60 个工作日 = 360 课时（备案："
    )
    online = {"months": 3, "hours_per_day": 6, "hours_total": 396, "online": 237}
    text = describe("HOURS_OUT_OF_RANGE", online)
    assert "线上 237 课时，占 60%" in text  # the share the policy's limit is about
    wrong_months = describe("HOURS_OUT_OF_RANGE", {"months": 2, "fixed_months": 3})
    assert wrong_months.startswith("培训 2 个月，该专业规定 3 个月")


def test_the_facts_issue_14_added_read_in_the_sentences() -> None:
    """The household record's county (else its city), the policies a major is approved
    under instead, and the venue of a Shenyang own-graduate block."""
    region = {"source": "household_registration", "province": "22", "school_provinces": ["13"]}
    assert describe("REGION_INELIGIBLE", region | {"city": "2201", "county": "220102"}) == (
        "户籍在吉林省长春市南关区，就读学校在河北省：既非本省户籍，也非本省院校毕业生"
    )
    assert describe("REGION_INELIGIBLE", region | {"city": "2201", "county": None}).startswith(
        "户籍在吉林省长春市，"
    )
    # a county outside the record's province is not believed; the ID's region code
    # never says more than the province
    assert describe("REGION_INELIGIBLE", region | {"county": "210102"}).startswith("户籍在吉林省，")
    by_id = {"source": "id_region_code", "province": "22", "county": "220102"}
    assert describe("HUKOU_PROOF_REQUIRED", by_id).startswith("身份证号码地区码在吉林省，")
    major = {"institution": "I1", "major": "电工", "level": None, "approved": False}
    assert describe("MAJOR_NOT_APPROVED", major) == "培训机构 I1 的专业“电工”未经核准"
    elsewhere = major | {"policy": "shenyang-2022", "approved_under": ["fushun-2023"]}
    assert describe("MAJOR_NOT_APPROVED", elsewhere) == (
        "培训机构 I1 的专业“电工”未按沈阳2022核准（仅按抚顺2023核准）"
    )
    own = {"key": "ST1", "school": "案例院校", "graduated_on": "2023-06-30"}
    assert (
        describe("OWN_GRADUATE", own) == "为案例院校本校毕业生，2023年6月30日毕业（学籍记录 ST1）"
    )
    assert describe("OWN_GRADUATE", own | {"venue": "V1"}).endswith("，在该校场地 V1 培训")


def test_evidence_of_a_shape_no_template_knows_still_reads() -> None:
    # a key the template needs is missing: the plain 名称：值 form, never an exception
    text = describe("CLASS_TOO_LARGE", {"trainees": 51})
    assert text == fallback({"trainees": 51}) == "学员人数：51"
    assert describe("NO_SUCH_RULE", {"source": "exam_results", "ok": True}) == (
        "来源：考试结果；ok：是"
    )
    assert describe("LOW_ATTENDANCE", None) == ""
    assert describe("LOW_ATTENDANCE", "not json 210905200002149009") == (
        "not json 210905********9009"
    )


def test_every_finding_of_a_checked_world_reads_without_a_fallback(
    small_published: dict[str, Path],
) -> None:
    con = duckdb.connect(str(small_published["db"]), read_only=True)
    try:
        rows = con.execute("SELECT rule_code, CAST(evidence AS VARCHAR) FROM findings").fetchall()
    finally:
        con.close()
    seen = set()
    for code, raw in rows:
        text = describe(code, raw)
        assert text, (code, raw)
        assert text != fallback(json.loads(raw)), (code, raw)  # the rule's own template
        assert not FULL_ID.search(text), code
        assert not ENGLISH_KEY.search(text), (code, text)
        assert "None" not in text, (code, text)
        assert "{" not in text, (code, text)
        seen.add(code)
    assert len(seen) >= 25  # the small world plants most rules
