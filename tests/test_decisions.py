"""Decisions on findings (issue 15, first part): an official confirms, dismisses or
overrides; the verdict and the 补贴核算表 follow; a dismissal stays on the next night
with the same evidence and reopens with new evidence. Cases built from POLICY.md with
the casebook, in a real warehouse file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest
import yaml

from crosscheck import decisions, warehouse
from crosscheck.casebook import build, model
from crosscheck.casebook.run import load_rows
from crosscheck.checks import accounting, review, runner
from crosscheck.decisions import DecisionError
from tests.conftest import run_cli


def _case(text: str) -> tuple[model.Case, build.Built]:
    case = model.Case.model_validate(yaml.safe_load(text))
    return case, build.build(case)


def _warehouse(tmp_path: Path, built: build.Built) -> duckdb.DuckDBPyConnection:
    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    load_rows(con, built)
    runner.run_stages(con, ["identity", "opening", "payout"], "night-1", as_of=built.as_of)
    return con


def _open(con: duckdb.DuckDBPyConnection, rule: str) -> str:
    ((finding_id,),) = con.execute(
        "SELECT finding_id FROM findings WHERE rule_code = ? AND resolved_at IS NULL", [rule]
    ).fetchall()
    return str(finding_id)


TOO_LARGE = """
name: a Fushun class of 51 trainees
cites: POLICY.md CLASS_TOO_LARGE (block; 原则上, overridable); 001 §5(二)
class: {policy: fushun-2023, opening: 2024-09-02}
trainees: [{copies: 51}]
expect: {opening: [CLASS_TOO_LARGE=block]}
"""


def test_an_override_of_an_overridable_limit_lets_the_class_through(tmp_path: Path) -> None:
    """CLASS_TOO_LARGE at 51 ("原则上每班最多不超过50人"): overridden with a reason, the
    class is approved and payable, the finding still shown with the decision."""
    _, built = _case(TOO_LARGE)
    con = _warehouse(tmp_path, built)
    before = review.collect(con, "CMAIN", "opening", built.as_of)
    assert before.verdict == "reject"
    table = accounting.compute(con, built.as_of).to_dicts()
    assert not next(r for r in table if r["class_id"] == "CMAIN")["payable"]
    finding = _open(con, "CLASS_TOO_LARGE")
    done = decisions.decide(
        con,
        finding[:12],
        "准予例外",
        "王科长",
        "同批报名学员已全部到位，经局务会同意扩至 51 人",
        ["局务会纪要.pdf"],
    )
    assert done["kind"] == "override"
    assert done["attachments"] == ["局务会纪要.pdf"]
    after = review.collect(con, "CMAIN", "opening", built.as_of)
    assert after.verdict == "approve"
    (shown,) = [f for f in after.findings if f.rule_code == "CLASS_TOO_LARGE"]
    assert shown.decision is not None
    assert shown.decision["label"] == "准予例外"
    assert shown.decision["by"] == "王科长"
    row = next(
        r for r in accounting.compute(con, built.as_of).to_dicts() if r["class_id"] == "CMAIN"
    )
    assert row["payable"]
    assert row["subsidised"] == 51
    assert decisions.queue(con) == []  # nothing waits
    # the 核算表 says why it pays, on its 核查说明 sheet
    import openpyxl

    from crosscheck.reports import accounting as sheet

    path = tmp_path / "补贴核算表.xlsx"
    sheet.write(path, accounting.describe(con, accounting.compute(con, built.as_of)))
    notes = openpyxl.load_workbook(path)["核查说明"]
    text = " ".join(str(c.value) for r in notes.iter_rows() for c in r if c.value)
    assert "班级人数超过上限 经审核准予例外（王科长，" in text
    assert "经局务会同意扩至 51 人" in text
    # the note wraps: its row is as tall as its lines (a 15-point row hid the second)
    (row,) = [r for r in notes.iter_rows() if any("经审核" in str(c.value) for c in r)]
    assert (notes.row_dimensions[row[0].row].height or 15) > 15


def test_a_limit_that_is_not_in_principle_cannot_be_overridden(tmp_path: Path) -> None:
    _, built = _case("""
name: a graduate who worked before the course
cites: POLICY.md PRIOR_EMPLOYMENT (block, not overridable)
class: {policy: fushun-2023, opening: 2025-03-10}
trainees: [{because: [PRIOR_EMPLOYMENT]}]
expect: {opening: [PRIOR_EMPLOYMENT=block]}
""")
    con = _warehouse(tmp_path, built)
    finding = _open(con, "PRIOR_EMPLOYMENT")
    with pytest.raises(DecisionError, match="不能准予例外") as refused:
        decisions.decide(con, finding, "override", "王科长", "学员家庭困难")
    assert "驳回" in str(refused.value)  # what to do instead
    with pytest.raises(DecisionError, match="须写明理由"):
        decisions.decide(con, finding, "dismiss", "王科长", "  ")
    with pytest.raises(DecisionError, match="审核人"):
        decisions.decide(con, finding, "confirm", "")
    assert con.execute("SELECT count(*) FROM decisions").fetchall() == [(0,)]


def test_a_dismissal_holds_while_the_evidence_does_and_reopens_on_a_new_record(
    tmp_path: Path,
) -> None:
    """Dismissed on a proof (the contribution was the employer's error): the next night
    with the same data keeps it dismissed; a new contribution record changes the
    evidence, and the finding is open again, blocking, with its history saying so."""
    _, built = _case("""
name: a graduate with one contribution month before the course
cites: POLICY.md PRIOR_EMPLOYMENT (block); reading 7
class: {policy: fushun-2023, opening: 2025-03-10}
trainees: [{pension: [{start: 2024-08}]}]
expect: {opening: [PRIOR_EMPLOYMENT=block]}
""")
    con = _warehouse(tmp_path, built)
    finding = _open(con, "PRIOR_EMPLOYMENT")
    decisions.decide(
        con, finding, "驳回", "李审核", "单位误报，已见社保中心更正证明", ["社保更正证明.jpg"]
    )
    assert review.collect(con, "CMAIN", "opening", built.as_of).verdict == "approve"
    runner.run_stages(con, ["identity", "opening", "payout"], "night-2", as_of=built.as_of)
    assert decisions.status(con, finding) == "已驳回"
    assert review.collect(con, "CMAIN", "opening", built.as_of).verdict == "approve"
    assert decisions.queue(con) == []
    # a new contribution record: the evidence is no longer what was dismissed
    (person,) = con.execute("SELECT DISTINCT id_number FROM roster_entries").fetchall()[0]
    con.execute(
        """INSERT INTO pension_contributions (record_key, id_number, name, scheme, city_code,
               month_from, month_to, _source)
           VALUES ('PE-NEW', ?, NULL, '城镇企业职工基本养老保险', '2104', DATE '2024-11-01',
                   DATE '2024-12-01', 'case')""",
        [person],
    )
    con.execute("UPDATE pension_contributions SET id_block = substr(id_number, 1, 14)")
    runner.run_stages(con, ["identity", "opening", "payout"], "night-3", as_of=built.as_of)
    assert decisions.status(con, finding) == "证据已变化，重新待审核"
    assert review.collect(con, "CMAIN", "opening", built.as_of).verdict == "reject"
    (waiting,) = decisions.queue(con)
    assert waiting["finding_id"] == finding
    assert waiting["status"] == "证据已变化，重新待审核"
    (record,) = decisions.history(con, finding)
    assert record["evidence_changed"]
    assert "PE-NEW" not in json.dumps(record["evidence_as_decided"])


def test_a_confirmation_stands_and_a_later_decision_supersedes(tmp_path: Path) -> None:
    _, built = _case(TOO_LARGE)
    con = _warehouse(tmp_path, built)
    finding = _open(con, "CLASS_TOO_LARGE")
    decisions.decide(con, finding, "确认", "王科长", now=dt.datetime(2026, 12, 1, 9, 0))
    assert review.collect(con, "CMAIN", "opening", built.as_of).verdict == "reject"
    assert decisions.queue(con) == []  # decided: not waiting
    decisions.decide(
        con, finding, "准予例外", "赵处长", "复议同意", now=dt.datetime(2026, 12, 2, 9, 0)
    )
    assert review.collect(con, "CMAIN", "opening", built.as_of).verdict == "approve"
    kinds = [d["kind"] for d in decisions.history(con, finding)]
    assert kinds == ["confirm", "override"]  # append-only: both kept, the later in force


def test_review_cli_lists_decides_and_shows_history(tmp_path: Path, home: Path) -> None:
    _, built = _case(TOO_LARGE)
    con = _warehouse(tmp_path, built)
    finding = _open(con, "CLASS_TOO_LARGE")
    con.close()
    db = str(tmp_path / "w.duckdb")
    listed = run_cli("review", "list", "--db", db, home=home, columns="200")
    assert listed.returncode == 0, listed.stderr
    assert finding[:12] in listed.stdout
    assert "班级人数超过上限" in listed.stdout
    assert "待审核" in listed.stdout
    refused = run_cli(
        "review",
        "decide",
        finding[:12],
        "--kind",
        "准予例外",
        "--by",
        "王科长",
        "--db",
        db,
        home=home,
    )
    assert refused.returncode == 2
    assert "须写明理由" in refused.stderr
    done = run_cli(
        "review",
        "decide",
        finding[:12],
        "--kind",
        "准予例外",
        "--by",
        "王科长",
        "--reason",
        "经局务会同意",
        "--attachment",
        "纪要.pdf",
        "--db",
        db,
        home=home,
    )
    assert done.returncode == 0, done.stderr
    assert "准予例外" in done.stdout
    shown = run_cli("review", "history", finding[:12], "--json", "--db", db, home=home)
    answer = json.loads(shown.stdout)
    assert answer["status"] == "已准予例外"
    assert answer["decisions"][0]["attachments"] == ["纪要.pdf"]
    workbook = tmp_path / "审核结论.xlsx"
    opening = run_cli(
        "check",
        "opening",
        "--class",
        "CMAIN",
        "--as-of",
        str(built.as_of),
        "--db",
        db,
        "--xlsx",
        str(workbook),
        home=home,
        columns="200",
    )
    assert opening.returncode == 0, opening.stdout + opening.stderr  # approved
    assert "经审核准予例外" in opening.stdout
    assert "其中 1 个经审核不再计入" in opening.stdout
    import openpyxl

    sheet = openpyxl.load_workbook(workbook)["问题清单"]
    text = " ".join(str(c.value) for r in sheet.iter_rows() for c in r if c.value)
    assert "经审核准予例外：王科长" in text


SHENYANG_FOURTH_MAJOR = """
name: a Shenyang institution's fourth major in filing order
cites: POLICY.md MAJOR_NOT_APPROVED (overridable when only the 3-major limit fails); 000 §1(二)
class: {policy: shenyang-2022, opening: 2022-06-01, major: {name: 物联网应用}}
others:
  - label: A
    class: {policy: shenyang-2022, opening: 2022-03-01, filed: 2022-02-15,
            major: {name: 大数据开发}}
  - label: B
    class: {policy: shenyang-2022, opening: 2022-03-16, filed: 2022-03-01,
            major: {name: 软件系统操作}}
  - label: C
    class: {policy: shenyang-2022, opening: 2022-04-01, filed: 2022-03-18,
            major: {name: 数字新媒体制作}}
expect: {opening: [MAJOR_NOT_APPROVED=block]}
"""


@pytest.mark.parametrize(
    ("text", "rule", "allowed"),
    [
        # Shenyang's cap of 3 majors is "原则上" (its parameter is overridable)
        (SHENYANG_FOURTH_MAJOR, "MAJOR_NOT_APPROVED", True),
        # a major the directory never approved is no limit to waive
        (
            """
name: a Fushun major that is not approved
cites: POLICY.md MAJOR_NOT_APPROVED (block)
class: {policy: fushun-2023, opening: 2024-09-02, major: {approved: false}}
expect: {opening: [MAJOR_NOT_APPROVED=block]}
""",
            "MAJOR_NOT_APPROVED",
            False,
        ),
        # Zhengning's category minimum is "原则上"; its 70 % practice is not
        (
            """
name: a Zhengning category D class below its minimum hours
cites: POLICY.md HOURS_OUT_OF_RANGE (Zhengning's category minimums overridable)
class:
  policy: zhengning-2022
  opening: 2022-03-01
  category: D
  hours_total: 79
  hours_practice: 60
  major: {category: D, required_hours: 80}
expect: {opening: [HOURS_OUT_OF_RANGE=block]}
""",
            "HOURS_OUT_OF_RANGE",
            True,
        ),
        (
            """
name: Zhengning practice just under 70 percent
cites: POLICY.md line 114 (practice at least 70 %; not overridable)
class: {policy: zhengning-2022, opening: 2022-03-01, hours_total: 200, hours_practice: 139}
expect: {opening: [HOURS_OUT_OF_RANGE=block]}
""",
            "HOURS_OUT_OF_RANGE",
            False,
        ),
    ],
)
def test_what_may_be_overridden_is_what_the_notice_writes_in_principle(
    tmp_path: Path, text: str, rule: str, allowed: bool
) -> None:
    _, built = _case(text)
    con = _warehouse(tmp_path, built)
    ((finding,),) = con.execute(
        "SELECT finding_id FROM findings WHERE rule_code = ? AND class_id = 'CMAIN' "
        "AND resolved_at IS NULL",
        [rule],
    ).fetchall()
    assert decisions.overridable(decisions.find(con, finding)) is allowed


def test_an_appeal_reopens_a_finding_for_a_second_reviewer_not_the_first(
    tmp_path: Path,
) -> None:
    """Dismissed by 李审核; the institution appeals: the finding is open again
    (异议待复核), the dismissal no longer in force, 李审核 may not decide it; 赵复核 does,
    and the appeal is closed by that decision."""
    _, built = _case("""
name: a graduate with one contribution month before the course
cites: POLICY.md PRIOR_EMPLOYMENT (block)
class: {policy: fushun-2023, opening: 2025-03-10}
trainees: [{pension: [{start: 2024-08}]}]
expect: {opening: [PRIOR_EMPLOYMENT=block]}
""")
    con = _warehouse(tmp_path, built)
    finding = _open(con, "PRIOR_EMPLOYMENT")
    t0 = dt.datetime(2026, 12, 1, 9, 0)
    decisions.decide(con, finding, "驳回", "李审核", "单位误报", now=t0)
    assert review.collect(con, "CMAIN", "opening", built.as_of).verdict == "approve"
    row = decisions.appeal(
        con, finding, "机构", "学员确曾在职", "王登记", now=t0 + dt.timedelta(hours=1)
    )
    assert row["first_reviewer"] == "李审核"
    assert decisions.status(con, finding) == "异议待复核"
    (waiting,) = decisions.queue(con)
    assert waiting["appeal"]["party_label"] == "机构"
    # the dismissal is not in force while the appeal waits
    assert review.collect(con, "CMAIN", "opening", built.as_of).verdict == "reject"
    with pytest.raises(DecisionError, match="已有未决异议"):
        decisions.appeal(con, finding, "学员", "再次异议", "王登记")
    with pytest.raises(DecisionError, match="另一位复核人"):
        decisions.decide(con, finding, "确认", "李审核", now=t0 + dt.timedelta(hours=2))
    with pytest.raises(DecisionError, match="复核人审核"):
        decisions.decide(
            con, finding, "确认", "钱审核", now=t0 + dt.timedelta(hours=2), second_reviewer=False
        )
    decisions.decide(con, finding, "确认", "赵复核", now=t0 + dt.timedelta(hours=2))
    assert decisions.status(con, finding) == "已确认"
    assert decisions.queue(con) == []
    (closed,) = decisions.appeals(con, finding)
    assert not closed["open"]
    assert review.collect(con, "CMAIN", "opening", built.as_of).verdict == "reject"
    with pytest.raises(DecisionError, match="机构"):
        decisions.appeal(con, finding, "培训学校", "x", "王登记")


def test_an_open_appeal_holds_the_trainees_payment(tmp_path: Path) -> None:
    """A trainee counted as subsidised is appealed against (a 公示 objection): held —
    not subsidised in the batch while the appeal waits, said on the 核查说明."""
    _, built = _case("""
name: a Fushun class with a review-only finding on one trainee
cites: POLICY.md accounting; issue 15 (an open appeal holds the payment)
class: {policy: fushun-2023, opening: 2024-09-02}
trainees: [{copies: 3}]
expect: {opening: []}
""")
    con = _warehouse(tmp_path, built)
    before = next(
        r for r in accounting.compute(con, built.as_of).to_dicts() if r["class_id"] == "CMAIN"
    )
    # any finding on one trainee serves: record one by hand (a review-level finding)
    (person,) = con.execute("SELECT id_number FROM roster_entries ORDER BY seq LIMIT 1").fetchall()[
        0
    ]
    con.execute(
        """INSERT INTO findings VALUES ('f-appeal-1', 'opening', 'CMAIN', ?, 'ID_NAME_MISMATCH',
               'review', 'fushun-2023', 'v', NULL, NULL, '{}', 'r', 'r', now(), now(), NULL)""",
        [person],
    )
    decisions.appeal(con, "f-appeal-1", "学员", "公示名单中姓名有误", "王登记")
    table = accounting.compute(con, built.as_of)
    after = next(r for r in table.to_dicts() if r["class_id"] == "CMAIN")
    assert after["subsidised"] == before["subsidised"] - 1
    assert after["other_excluded"] == before["other_excluded"] + 1
    note = accounting.describe(con, table).filter(pl.col("class_id") == "CMAIN")["decided"][0]
    assert "学员异议待复核，暂缓拨付" in note
    assert person not in note  # masked


HAND_WORKED = """
name: a Fushun class of 51 with an override, a dismissal and a confirmation
cites: POLICY.md CLASS_TOO_LARGE (原则上, overridable), PRIOR_EMPLOYMENT (block),
  EMPLOYED_DURING_TRAINING (exclude, 缴纳社会保险 column); subsidy accounting (lines 160-167);
  001 annex 8
class: {policy: fushun-2023, opening: 2024-09-02}
trainees:
  - {label: t, copies: 49}
  - {label: w, pension: [{start: 2024-08}]}
  - {label: x, because: [EMPLOYED_DURING_TRAINING]}
expect:
  opening: [CLASS_TOO_LARGE=block, PRIOR_EMPLOYMENT=block@w]
  payout: [EMPLOYED_DURING_TRAINING=exclude@x]
"""


def test_the_accounting_and_the_notice_of_a_batch_with_decisions_match_the_hand_work(
    tmp_path: Path,
) -> None:
    """Worked by hand from POLICY.md's accounting (001 annex 8), rate 2,000 CNY a month
    for the clean Fushun major of 4 months:

    - before any decision the class is blocked (51 > 50, and w's prior employment):
      nothing is payable and nothing is noticed;
    - CLASS_TOO_LARGE overridden, w's PRIOR_EMPLOYMENT dismissed on a proof, x's
      EMPLOYED_DURING_TRAINING confirmed: opened 51, 缴纳社会保险 1 (x), subsidised 50;
      50 × 2,000 × 4 = 400,000 CNY = 40,000,000 fen proposed, no deduction, actual the
      same; the notice lists 50 people at 8,000 CNY each (w included, x not), and the
      核查说明 names both decisions with who, when and why."""
    import openpyxl

    from crosscheck import idnumber
    from crosscheck.casebook.run import check, differences
    from crosscheck.reports import accounting as sheet
    from crosscheck.reports import notice

    case, built = _case(HAND_WORKED)
    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    load_rows(con, built)
    assert differences(case, check(con, built)) == []  # the findings the case expects
    person = {label: number for number, label in built.person_labels.items()}
    before = accounting.compute(con, built.as_of).to_dicts()
    (row,) = [r for r in before if r["class_id"] == "CMAIN"]
    assert not row["payable"]
    day = dt.datetime(2026, 12, 1, 9, 30)
    decisions.decide(
        con,
        _open(con, "CLASS_TOO_LARGE"),
        "准予例外",
        "王科长",
        "同批报名学员已全部到位，经局务会同意扩至 51 人",
        ["局务会纪要.pdf"],
        now=day,
    )
    decisions.decide(
        con,
        _open(con, "PRIOR_EMPLOYMENT"),
        "驳回",
        "李审核",
        "单位误报，已见社保中心更正证明",
        ["社保更正证明.jpg"],
        now=day,
    )
    decisions.decide(con, _open(con, "EMPLOYED_DURING_TRAINING"), "确认", "李审核", now=day)
    table = accounting.compute(con, built.as_of)
    (row,) = table.filter(pl.col("class_id") == "CMAIN").to_dicts()
    hand = {
        "opened": 51,
        "dropped_out": 0,
        "social_insurance": 1,
        "exam_failed": 0,
        "exam_absent": 0,
        "materials_failed": 0,
        "other_excluded": 0,
        "subsidised": 50,
        "proposed_fen": 50 * 2000 * 4 * 100,
        "attendance_deduction_fen": 0,
        "violation_deduction_fen": 0,
        "total_deduction_fen": 0,
        "actual_fen": 40_000_000,
        "payable": True,
    }
    assert {k: row[k] for k in hand} == hand
    path = tmp_path / "补贴核算表.xlsx"
    sheet.write(path, accounting.describe(con, table))
    notes = openpyxl.load_workbook(path)["核查说明"]
    text = " ".join(str(c.value) for r in notes.iter_rows() for c in r if c.value)
    w_masked = idnumber.mask(person["w"])
    assert (
        "班级人数超过上限 经审核准予例外（王科长，2026-12-01：同批报名学员已全部到位，"
        "经局务会同意扩至 51 人）"
    ) in text
    assert (
        f"{w_masked} 毕业后曾就业（参保缴费） 经审核驳回（李审核，2026-12-01："
        "单位误报，已见社保中心更正证明）"
    ) in text
    assert "经审核确认" not in text  # a confirmation changes nothing: not a note
    result, missing = notice.for_batch(con, "B-HAND", ["CMAIN"], dt.date(2025, 2, 10), built.as_of)
    assert missing == []
    assert result.withheld.height == 0
    assert result.rows.height == 50
    assert set(result.rows["amount_fen"].to_list()) == {800_000}  # 2,000 × 4 CNY
    masked = result.rows["id_masked"].to_list()
    assert w_masked in masked
    assert idnumber.mask(person["x"]) not in masked
    (noticed,) = result.classes.to_dicts()
    assert (noticed["subsidised"], noticed["actual_fen"]) == (50, 40_000_000)
