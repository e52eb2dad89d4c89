"""One class under review: the verdict, each trainee's verdict and every finding,
ready for a person (terminal, ``.xlsx``, the web service) — never a full ID number.

``opening`` runs the identity and opening stages for one class; ``payout`` runs
all three stages (a person blocked at opening is not paid either) and adds the
class's row of the 补贴核算表. Both use the runner's set-based rules restricted
to the class, and record the findings in whatever database ``con`` is: the
warehouse for a class on file, or a draft overlay (:mod:`checks.draft`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import duckdb

from crosscheck import idnumber
from crosscheck.checks import runner
from crosscheck.decisions import KINDS
from crosscheck.evidence import describe, scrub
from crosscheck.policy.loader import label as policy_label
from crosscheck.rules import RULES, SEVERITY_LABELS

VERDICT_EXIT = {"approve": 0, "reject": 1, "review": 3}
VERDICT_LABELS = {"approve": "通过", "reject": "不通过", "review": "需人工复核"}
STAGE_SETS = {"opening": ("identity", "opening"), "payout": ("identity", "opening", "payout")}
__all__ = ["scrub"]  # the evidence masker, imported from here by older callers


@dataclass
class Finding:
    stage: str
    id_masked: str | None
    name: str | None
    rule_code: str
    severity: str
    policy_id: str
    clause: str | None
    match_level: str | None
    evidence: dict[str, Any]
    finding_id: str | None = None
    # a dismissal or override in force (crosscheck.decisions): shown, no longer counted
    decision: dict[str, Any] | None = None

    @property
    def title(self) -> str:
        return RULES[self.rule_code].title

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS.get(self.severity, self.severity)

    @property
    def text(self) -> str:
        """The evidence as a Chinese sentence (:func:`crosscheck.evidence.describe`)."""
        return describe(self.rule_code, self.evidence)


@dataclass
class Trainee:
    seq: int
    id_masked: str
    name: str
    verdict: str
    rules: list[str] = field(default_factory=list)
    roster_no: str | None = None  # the roster's own 序号 (an uploaded roster); seq is its row


@dataclass
class Review:
    class_id: str
    stage: str
    as_of: dt.date
    verdict: str
    trainees: list[Trainee]
    findings: list[Finding]
    info: dict[str, Any] = field(default_factory=dict)
    # an uploaded roster's row problems that are not findings (a date or a 性别 that
    # cannot be read: left empty, the row reviewed): {row, field, message}
    roster_problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return VERDICT_EXIT[self.verdict]

    def to_json(self) -> dict[str, Any]:
        return {
            "class_id": self.class_id,
            "stage": self.stage,
            "as_of": self.as_of.isoformat(),
            "verdict": self.verdict,
            "verdict_label": VERDICT_LABELS[self.verdict],
            "class": self.info,
            "trainees": [t.__dict__ for t in self.trainees],
            "findings": [
                f.__dict__
                | {
                    "title": f.title,
                    "severity_label": f.severity_label,
                    "policy_label": policy_label(f.policy_id),
                    "evidence_text": f.text,
                }
                for f in self.findings
            ],
            "roster_problems": self.roster_problems,
        }


def verdict(severities: set[str]) -> str:
    """Any block rejects; else any exclude or review needs a person; else approve."""
    if "block" in severities:
        return "reject"
    return "review" if severities & {"review", "exclude"} else "approve"


def run_stages(
    con: duckdb.DuckDBPyConnection, stage: str, class_ids: list[str], as_of: dt.date
) -> None:
    run_id = f"{stage}-{dt.datetime.now():%Y%m%dT%H%M%S}"
    runner.run_stages(con, list(STAGE_SETS[stage]), run_id, as_of=as_of, class_ids=class_ids)


def collect(con: duckdb.DuckDBPyConnection, class_id: str, stage: str, as_of: dt.date) -> Review:
    """Read back what the stages found for one class (run :func:`run_stages` first)."""
    stages = list(STAGE_SETS[stage])
    rows = con.execute(
        """
        SELECT f.stage, f.id_number, r.name, f.rule_code, f.severity, f.policy_id, f.clause,
               f.match_level, CAST(f.evidence AS VARCHAR), o.kind, o.official, o.decided_at,
               o.reason, f.finding_id
        FROM findings f
        LEFT JOIN (SELECT id_number, min(name) AS name FROM roster_entries
                   WHERE class_id = $class GROUP BY id_number) r USING (id_number)
        LEFT JOIN overrides o USING (finding_id)
        WHERE f.class_id = $class AND f.resolved_at IS NULL AND list_contains($stages, f.stage)
        ORDER BY f.id_number NULLS FIRST, f.rule_code""",
        {"class": class_id, "stages": stages},
    ).fetchall()
    findings = [
        Finding(
            stage=s,
            id_masked=idnumber.mask(i) if i else None,
            name=n,
            rule_code=code,
            severity=sev,
            policy_id=pid,
            clause=clause,
            match_level=level,
            evidence=scrub(json.loads(ev)),
            finding_id=fid,
            decision=(
                {
                    "kind": kind,
                    "label": KINDS[kind],
                    "by": by,
                    "at": at.replace(microsecond=0),
                    "reason": why,
                }
                if kind
                else None
            ),
        )
        for s, i, n, code, sev, pid, clause, level, ev, kind, by, at, why, fid in rows
    ]
    people = con.execute(
        "SELECT min(seq), id_number, min(name), min(roster_no) FROM roster_entries "
        "WHERE class_id = ? GROUP BY id_number ORDER BY 1",
        [class_id],
    ).fetchall()
    raw_ids = [r[1] for r in rows]
    # a dismissed or overridden finding is shown with its decision, and counts for nothing
    standing = [f for f in findings if f.decision is None]
    trainees = []
    for seq, number, name, roster_no in people:
        masked = idnumber.mask(number)
        own = [
            f for f, i in zip(findings, raw_ids, strict=True) if i == number and f.decision is None
        ]
        trainees.append(
            Trainee(
                int(seq),
                masked,
                name,
                verdict({f.severity for f in own}),
                sorted({f.rule_code for f in own}),
                roster_no,
            )
        )
    info_row = con.execute(
        """
        SELECT c.class_id, c.policy_id, c.region_code, c.institution_id, i.name, c.major,
               c.level, c.planned_start, c.planned_end, c.months, c.status
        FROM classes c LEFT JOIN institutions i USING (institution_id) WHERE c.class_id = ?""",
        [class_id],
    ).fetchall()
    keys = ["class_id", "policy_id", "region_code", "institution_id", "institution", "major"]
    keys += ["level", "planned_start", "planned_end", "months", "status"]
    info = dict(zip(keys, info_row[0], strict=True)) if info_row else {}
    if info:
        info["policy_label"] = policy_label(info["policy_id"])
    class_level = {f.severity for f in standing if f.id_masked is None}
    everyone = {f.severity for f in standing}
    if stage == "payout":  # excluded people are simply not paid: the class still is
        result = "reject" if "block" in class_level else verdict(everyone - {"exclude", "deduct"})
    else:
        result = verdict(everyone)
    return Review(class_id, stage, as_of, result, trainees, findings, info)


def known(con: duckdb.DuckDBPyConnection, class_id: str) -> bool:
    return bool(
        con.execute("SELECT count(*) FROM classes WHERE class_id = ?", [class_id]).fetchall()[0][0]
    )


def opening(con: duckdb.DuckDBPyConnection, class_id: str, as_of: dt.date) -> Review:
    """The opening review of one class: identity and opening stages, then the verdict."""
    run_stages(con, "opening", [class_id], as_of)
    return collect(con, class_id, "opening", as_of)


def payout(con: duckdb.DuckDBPyConnection, class_ids: list[str], as_of: dt.date) -> list[Review]:
    """The payout review of classes: all stages as of ``as_of`` (after completion)."""
    run_stages(con, "payout", class_ids, as_of)
    return [collect(con, c, "payout", as_of) for c in class_ids]
