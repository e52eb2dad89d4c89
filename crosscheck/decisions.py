"""Decisions on findings: an official confirms, dismisses or overrides (issue 15).

crosscheck raises findings; an official decides. A decision is one of

* 确认 (``confirm``): the finding stands;
* 驳回 (``dismiss``): wrong on the facts, with the proof seen (a 学籍证明, a
  termination certificate…): the finding no longer blocks or excludes;
* 准予例外 (``override``): the limit is written "原则上" and the policy marks the
  rule overridable — the official lets the class or trainee through, with a reason.

Every decision keeps who, when, the reason, the names of the documents seen and the
finding's evidence as it was; decisions are append-only (a later one supersedes). A
dismissal or override holds while the finding's evidence is unchanged: when a
nightly run finds a new record, the finding is open again and its history says why
(the ``overrides`` view of migration 0009 is what the 补贴核算表, the 公示 and the
reviews read).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import duckdb

from crosscheck.errors import CrosscheckError
from crosscheck.idnumber import mask, mask_text

KINDS = {"confirm": "确认", "dismiss": "驳回", "override": "准予例外"}
BY_LABEL = {v: k for k, v in KINDS.items()}
LIFTING = ("dismiss", "override")  # the kinds that stop a finding blocking or excluding


class DecisionError(CrosscheckError):
    """A decision that cannot be recorded, said in Chinese."""


@dataclass(frozen=True)
class Finding:
    finding_id: str
    class_id: str
    id_number: str | None
    rule_code: str
    severity: str
    policy_id: str
    clause: str | None
    evidence: str
    resolved: bool


def kind_of(text: str) -> str:
    """``confirm``/``dismiss``/``override`` from either the code or the Chinese word."""
    if text in KINDS:
        return text
    if text in BY_LABEL:
        return BY_LABEL[text]
    raise DecisionError(f"审核结论“{text}”应为 确认、驳回 或 准予例外")


def find(con: duckdb.DuckDBPyConnection, key: str) -> Finding:
    """The finding with that id, or with the id starting with ``key`` (8 characters at
    least, as `review list` shows them)."""
    key = key.strip().lower()
    if len(key) < 8:
        raise DecisionError(f"问题编号“{key}”太短：至少写前 8 位（review list 列出的编号）")
    rows = con.execute(
        """SELECT finding_id, class_id, id_number, rule_code, severity, policy_id, clause,
                  CAST(evidence AS VARCHAR), resolved_at IS NOT NULL
           FROM findings WHERE starts_with(finding_id, ?)""",
        [key],
    ).fetchall()
    if not rows:
        raise DecisionError(f"没有编号为 {key} 的问题")
    if len(rows) > 1:
        raise DecisionError(f"编号 {key} 对应 {len(rows)} 个问题：请多写几位")
    return Finding(*rows[0])


def overridable(finding: Finding) -> bool:
    """Whether the policy lets an official override this finding ("原则上": the rule, or
    the limit behind it, is marked overridable in the policy file). Where a rule
    checks several limits, only when the one that fails is overridable (POLICY.md):
    MAJOR_NOT_APPROVED when the major is approved and only the cap on majors fails;
    HOURS_OUT_OF_RANGE not when the practice share (Zhengning's 70 %) fails."""
    from crosscheck import policy

    try:
        chosen = policy.get(finding.policy_id)
    except CrosscheckError:
        return False
    rule = chosen.rules.get(finding.rule_code)
    evidence = json.loads(finding.evidence)
    if finding.rule_code == "MAJOR_NOT_APPROVED":
        cap = chosen.class_rules.max_majors_per_institution
        in_principle = (rule is not None and rule.overridable) or bool(cap and cap.overridable)
        return in_principle and bool(evidence.get("approved"))
    if rule is None or not rule.overridable:
        return False
    if finding.rule_code == "HOURS_OUT_OF_RANGE":
        share = chosen.class_rules.min_practice_share
        total, practice = evidence.get("hours_total"), evidence.get("practice") or 0
        if share is not None and total and practice < total * float(share.value):
            return False  # the theory:practice 3:7 is no "原则上"
    return True


def decide(
    con: duckdb.DuckDBPyConnection,
    key: str,
    kind: str,
    who: str,
    reason: str | None = None,
    attachments: list[str] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Record a decision on an open finding; the recorded decision (as :func:`history`
    shows it). Refused: a finding no longer open, an override of a rule the policy does
    not let be overridden, a dismissal or override without a reason, no name."""
    kind = kind_of(kind)
    finding = find(con, key)
    who = (who or "").strip()
    reason = (reason or "").strip() or None
    if not who:
        raise DecisionError("请写明审核人（--by）")
    if finding.resolved:
        raise DecisionError(
            f"问题 {finding.finding_id[:12]} 已不成立（事实已变化，已自动关闭），无需审核"
        )
    if kind in LIFTING and not reason:
        raise DecisionError(f"{KINDS[kind]}须写明理由（--reason）")
    if kind == "override" and not overridable(finding):
        from crosscheck.policy.loader import label
        from crosscheck.rules import RULES

        title = RULES[finding.rule_code].title if finding.rule_code in RULES else ""
        raise DecisionError(
            f"{finding.rule_code}（{title}）在{label(finding.policy_id)}中不是“原则上”的限制，"
            "不能准予例外；如事实有误，请用“驳回”并写明所见证明"
        )
    when = now or dt.datetime.now().replace(microsecond=0)
    con.execute(
        """INSERT INTO decisions (finding_id, class_id, id_number, rule_code, kind, reason,
                                  attachments, evidence, decided_by, decided_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            finding.finding_id,
            finding.class_id,
            finding.id_number,
            finding.rule_code,
            kind,
            reason,
            [a.strip() for a in attachments or [] if a.strip()],
            finding.evidence,
            who,
            when,
        ],
    )
    return history(con, finding.finding_id)[-1]


def history(con: duckdb.DuckDBPyConnection, key: str) -> list[dict[str, Any]]:
    """Every decision on a finding, oldest first, each with whether the evidence has
    changed since (a lifted finding whose evidence changed is open again)."""
    finding = find(con, key)
    rows = con.execute(
        """SELECT d.decision_id, d.kind, d.reason, d.attachments, d.decided_by, d.decided_at,
                  d.evidence, d.evidence <> CAST(f.evidence AS VARCHAR)
           FROM decisions d JOIN findings f USING (finding_id)
           WHERE d.finding_id = ? ORDER BY d.decided_at, d.decision_id""",
        [finding.finding_id],
    ).fetchall()
    return [
        {
            "decision_id": r[0],
            "finding_id": finding.finding_id,
            "kind": r[1],
            "kind_label": KINDS[r[1]],
            "reason": r[2],
            "attachments": list(r[3] or []),
            "decided_by": r[4],
            "decided_at": r[5],
            "evidence_as_decided": json.loads(mask_text(r[6]) if r[6] else "{}"),
            "evidence_changed": bool(r[7]),
        }
        for r in rows
    ]


def status(con: duckdb.DuckDBPyConnection, finding_id: str) -> str:
    """待审核 / 已确认 / 已驳回 / 已准予例外 / 证据已变化，重新待审核."""
    rows = con.execute(
        "SELECT kind, evidence_changed FROM decisions_latest WHERE finding_id = ?", [finding_id]
    ).fetchall()
    return _state(*rows[0]) if rows else _state(None, None)


def _state(kind: str | None, changed: bool | None) -> str:
    """A finding's state from its latest decision and whether its evidence changed."""
    if kind is None:
        return "待审核"
    if changed and kind in LIFTING:
        return "证据已变化，重新待审核"
    return "已" + KINDS[kind]


def queue(
    con: duckdb.DuckDBPyConnection,
    *,
    class_id: str | None = None,
    rule: str | None = None,
    city: str | None = None,
    include_decided: bool = False,
) -> list[dict[str, Any]]:
    """Open findings waiting for a decision (never decided, or lifted on evidence that
    has since changed), oldest first; with ``include_decided`` every open finding with
    its latest decision."""
    rows = con.execute(
        """
        SELECT f.finding_id, f.class_id, f.id_number, f.rule_code, f.severity, f.policy_id,
               f.first_seen_at, CAST(f.evidence AS VARCHAR), d.kind, d.evidence_changed,
               d.decided_by, d.decided_at, c.region_code
        FROM findings f JOIN classes c USING (class_id)
        LEFT JOIN decisions_latest d USING (finding_id)
        WHERE f.resolved_at IS NULL
          AND ($class IS NULL OR f.class_id = $class)
          AND ($rule IS NULL OR f.rule_code = $rule)
          AND ($city IS NULL OR starts_with(c.region_code, $city))
          AND ($all OR d.kind IS NULL OR (d.kind IN ('dismiss', 'override')
                                          AND d.evidence_changed))
        ORDER BY f.first_seen_at, f.class_id, f.finding_id""",
        {"class": class_id, "rule": rule, "city": city, "all": include_decided},
    ).fetchall()
    out = []
    for r in rows:
        out.append(
            {
                "finding_id": r[0],
                "class_id": r[1],
                "id_masked": mask(r[2]) if r[2] else None,
                "rule_code": r[3],
                "severity": r[4],
                "policy_id": r[5],
                "first_seen_at": r[6],
                "evidence": json.loads(r[7]),
                "status": _state(r[8], r[9]),
                "decided_by": r[10],
                "decided_at": r[11],
            }
        )
    return out
