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
PARTIES = {"institution": "机构", "trainee": "学员"}
PARTY_BY_LABEL = {v: k for k, v in PARTIES.items()}


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


def prepare(
    con: duckdb.DuckDBPyConnection,
    key: str,
    kind: str,
    who: str,
    reason: str | None = None,
    attachments: list[str] | None = None,
    now: dt.datetime | None = None,
    *,
    second_reviewer: bool = True,
) -> dict[str, Any]:
    """A decision on an open finding as the row :func:`record` writes, checked.
    Refused: a finding no longer open, an override of a rule the policy does not let
    be overridden, a dismissal or override without a reason, no name; on a finding
    under appeal, a decision by the reviewer whose decision is disputed, or by one
    who may not review appeals (``second_reviewer`` false)."""
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
    appeal = open_appeal(con, finding.finding_id)
    if appeal is not None:
        if not second_reviewer:
            raise DecisionError("该问题有未决异议，须由复核人审核（本账号不是复核人）")
        if appeal["first_reviewer"] and appeal["first_reviewer"] == who:
            raise DecisionError(
                f"该问题有未决异议，争议的是 {who} 的审核结论：须由另一位复核人审核"
            )
    if kind in LIFTING and not reason:
        raise DecisionError(f"{KINDS[kind]}须写明理由")
    if kind == "override" and not overridable(finding):
        from crosscheck.policy.loader import label
        from crosscheck.rules import RULES

        title = RULES[finding.rule_code].title if finding.rule_code in RULES else ""
        raise DecisionError(
            f"{finding.rule_code}（{title}）在{label(finding.policy_id)}中不是“原则上”的限制，"
            "不能准予例外；如事实有误，请用“驳回”并写明所见证明"
        )
    return {
        "finding_id": finding.finding_id,
        "class_id": finding.class_id,
        "id_number": finding.id_number,
        "rule_code": finding.rule_code,
        "kind": kind,
        "reason": reason,
        "attachments": [a.strip() for a in attachments or [] if a.strip()],
        "evidence": finding.evidence,
        "decided_by": who,
        # to the microsecond: whether a decision came after an appeal is by time
        "decided_at": now or dt.datetime.now(),
    }


def record(con: duckdb.DuckDBPyConnection, table: str, row: dict[str, Any]) -> None:
    """Write a prepared decision or appeal into the warehouse."""
    columns = list(row)
    con.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in row)})",
        list(row.values()),
    )


def decide(
    con: duckdb.DuckDBPyConnection,
    key: str,
    kind: str,
    who: str,
    reason: str | None = None,
    attachments: list[str] | None = None,
    now: dt.datetime | None = None,
    *,
    second_reviewer: bool = True,
) -> dict[str, Any]:
    """Record a decision on an open finding (see :func:`prepare`); the recorded
    decision as :func:`history` shows it."""
    row = prepare(con, key, kind, who, reason, attachments, now, second_reviewer=second_reviewer)
    record(con, "decisions", row)
    return history(con, row["finding_id"])[-1]


def open_appeal(con: duckdb.DuckDBPyConnection, finding_id: str) -> dict[str, Any] | None:
    """The open appeal on a finding, if any."""
    rows = con.execute(
        "SELECT party, grounds, first_reviewer, recorded_by, recorded_at FROM appeals_open "
        "WHERE finding_id = ? ORDER BY recorded_at DESC LIMIT 1",
        [finding_id],
    ).fetchall()
    if not rows:
        return None
    keys = ["party", "grounds", "first_reviewer", "recorded_by", "recorded_at"]
    return dict(zip(keys, rows[0], strict=True))


def prepare_appeal(
    con: duckdb.DuckDBPyConnection,
    key: str,
    party: str,
    grounds: str,
    who: str,
    attachments: list[str] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """An appeal (异议) against an open finding by the institution or the trainee, as
    the row :func:`record` writes, checked: it reopens the finding for a second
    reviewer — not the one who made the decision disputed."""
    party = PARTY_BY_LABEL.get(party.strip(), party.strip())
    if party not in PARTIES:
        raise DecisionError(f"异议人“{party[:20]}”应为 机构 或 学员")
    grounds = (grounds or "").strip()
    who = (who or "").strip()
    if not grounds:
        raise DecisionError("请写明异议的理由（--grounds）")
    if not who:
        raise DecisionError("请写明登记人（--by）")
    finding = find(con, key)
    if finding.resolved:
        raise DecisionError(f"问题 {finding.finding_id[:12]} 已不成立，无需异议")
    if party == "trainee" and finding.id_number is None:
        raise DecisionError("这是班级的问题，异议人应为机构")
    if open_appeal(con, finding.finding_id) is not None:
        raise DecisionError(f"问题 {finding.finding_id[:12]} 已有未决异议，等待复核")
    last = con.execute(
        "SELECT decided_by FROM decisions WHERE finding_id = ? "
        "ORDER BY decided_at DESC, decision_id DESC LIMIT 1",
        [finding.finding_id],
    ).fetchall()
    return {
        "finding_id": finding.finding_id,
        "class_id": finding.class_id,
        "id_number": finding.id_number,
        "rule_code": finding.rule_code,
        "party": party,
        "grounds": grounds,
        "attachments": [a.strip() for a in attachments or [] if a.strip()],
        "first_reviewer": last[0][0] if last else None,
        "recorded_by": who,
        "recorded_at": now or dt.datetime.now(),
    }


def appeal(
    con: duckdb.DuckDBPyConnection,
    key: str,
    party: str,
    grounds: str,
    who: str,
    attachments: list[str] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Record an appeal in the warehouse (see :func:`prepare_appeal`)."""
    row = prepare_appeal(con, key, party, grounds, who, attachments, now)
    record(con, "appeals", row)
    return row


# ------------------------------------------------------------- the web's inbox


def _json_row(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, default=str)


def stage(kind: str, row: dict[str, Any], path: Any = None) -> str:
    """Keep a decision or appeal made on the web in the accounts store's inbox,
    for the next run to merge; its inbox id."""
    import uuid

    from crosscheck import accounts

    inbox_id = uuid.uuid4().hex
    with accounts.connect(path) as store:
        store.execute(
            "INSERT INTO inbox VALUES (?, ?, ?, ?, ?)",
            [inbox_id, kind, row["finding_id"], _json_row(row), dt.datetime.now().isoformat()],
        )
    return inbox_id


def _inbox(path: Any = None) -> list[tuple[str, str, dict[str, Any]]]:
    from crosscheck import accounts

    where = path or accounts.store_path()
    if not where.exists():
        return []
    with accounts.connect(where) as store:
        rows = store.execute("SELECT inbox_id, kind, row FROM inbox ORDER BY at").fetchall()
    return [(r[0], r[1], json.loads(r[2])) for r in rows]


TABLES = {"decision": "decisions", "appeal": "appeals"}
TIMES = {"decision": "decided_at", "appeal": "recorded_at"}


def merge_inbox(con: duckdb.DuckDBPyConnection, path: Any = None) -> int:
    """Write the inbox's decisions and appeals not yet in the warehouse (each once,
    by its inbox id); how many."""
    merged = 0
    for inbox_id, kind, row in _inbox(path):
        table = TABLES[kind]
        seen = con.execute(f"SELECT 1 FROM {table} WHERE inbox_id = ?", [inbox_id]).fetchall()
        if seen:
            continue
        row[TIMES[kind]] = dt.datetime.fromisoformat(row[TIMES[kind]])
        record(con, table, row | {"inbox_id": inbox_id})
        merged += 1
    return merged


def overlay(con: duckdb.DuckDBPyConnection, path: Any = None) -> None:
    """On a read-only view of a snapshot (``checks.draft.attach_readonly``; temporary
    objects, so per cursor): the decisions and appeals are the snapshot's and the
    inbox's not yet merged, and the views over them (the decisions in force, the
    open appeals) are the warehouse's own definitions read on those."""
    pending = _inbox(path)
    for kind, table in TABLES.items():
        con.execute(f"CREATE OR REPLACE TEMP TABLE _pending_{table} AS FROM wh.{table} LIMIT 0")
        for n, (inbox_id, k, row) in enumerate(pending):
            if k != kind:
                continue
            row = dict(row) | {"inbox_id": inbox_id}
            row[TIMES[kind]] = dt.datetime.fromisoformat(row[TIMES[kind]])
            if kind == "decision":
                row["decision_id"] = 2**62 + n  # ordered after every merged one
            else:
                row["appeal_id"] = 2**62 + n
            record(con, f"_pending_{table}", row)
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {table} AS FROM wh.{table} "
            f"UNION ALL BY NAME FROM _pending_{table} "
            f"WHERE inbox_id NOT IN (SELECT inbox_id FROM wh.{table} "
            "WHERE inbox_id IS NOT NULL)"
        )
    for view in ("decisions_latest", "appeals_open", "overrides"):
        (sql,) = con.execute(
            "SELECT sql FROM duckdb_views() WHERE database_name = 'wh' AND view_name = ?", [view]
        ).fetchone() or (None,)
        if sql:
            con.execute(sql.replace("CREATE VIEW", "CREATE OR REPLACE TEMP VIEW", 1))


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


def appeals(con: duckdb.DuckDBPyConnection, finding_id: str) -> list[dict[str, Any]]:
    """The appeals against a finding, oldest first, each with whether it is open."""
    rows = con.execute(
        """SELECT a.party, a.grounds, a.attachments, a.first_reviewer, a.recorded_by,
                  a.recorded_at, o.finding_id IS NOT NULL
           FROM appeals a LEFT JOIN appeals_open o USING (finding_id, recorded_at)
           WHERE a.finding_id = ? ORDER BY a.recorded_at""",
        [finding_id],
    ).fetchall()
    return [
        {
            "party": r[0],
            "party_label": PARTIES[r[0]],
            "grounds": r[1],
            "attachments": list(r[2] or []),
            "first_reviewer": r[3],
            "recorded_by": r[4],
            "recorded_at": r[5],
            "open": bool(r[6]),
        }
        for r in rows
    ]


def status(con: duckdb.DuckDBPyConnection, finding_id: str) -> str:
    """待审核 / 已确认 / 已驳回 / 已准予例外 / 证据已变化，重新待审核 / 异议待复核."""
    rows = con.execute(
        "SELECT kind, evidence_changed FROM decisions_latest WHERE finding_id = ?", [finding_id]
    ).fetchall()
    appealed = open_appeal(con, finding_id) is not None
    kind, changed = rows[0] if rows else (None, None)
    return _state(kind, changed, appealed)


def _state(kind: str | None, changed: bool | None, appealed: bool = False) -> str:
    """A finding's state from its latest decision, whether its evidence changed and
    whether an appeal waits."""
    if appealed:
        return "异议待复核"
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
    severity: str | None = None,
    institution: str | None = None,
    include_decided: bool = False,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Open findings waiting for a decision (never decided, lifted on evidence that
    has since changed, or under appeal), oldest first; with ``include_decided`` every
    open finding with its latest decision. ``city`` is a region code prefix (a
    province, a city or a county: the user's scope)."""
    rows = con.execute(
        f"""
        SELECT f.finding_id, f.class_id, f.id_number, f.rule_code, f.severity, f.policy_id,
               f.first_seen_at, CAST(f.evidence AS VARCHAR), d.kind, d.evidence_changed,
               d.decided_by, d.decided_at, c.region_code, c.institution_id, f.clause,
               a.party, a.grounds, a.first_reviewer, a.recorded_at, r.name
        FROM findings f JOIN classes c USING (class_id)
        LEFT JOIN decisions_latest d USING (finding_id)
        LEFT JOIN (FROM appeals_open QUALIFY row_number() OVER (PARTITION BY finding_id
                   ORDER BY recorded_at DESC) = 1) a USING (finding_id)
        LEFT JOIN (SELECT class_id, id_number, min(name) AS name FROM roster_entries
                   GROUP BY ALL) r ON r.class_id = f.class_id AND r.id_number = f.id_number
        WHERE f.resolved_at IS NULL
          AND ($class IS NULL OR f.class_id = $class)
          AND ($rule IS NULL OR f.rule_code = $rule)
          AND ($severity IS NULL OR f.severity = $severity)
          AND ($institution IS NULL OR c.institution_id = $institution)
          AND ($city IS NULL OR starts_with(c.region_code, $city))
          AND ($all OR d.kind IS NULL OR a.finding_id IS NOT NULL
               OR (d.kind IN ('dismiss', 'override') AND d.evidence_changed))
        ORDER BY coalesce(a.recorded_at, f.first_seen_at), f.class_id, f.finding_id
        {"LIMIT " + str(int(limit)) if limit else ""}""",
        {
            "class": class_id,
            "rule": rule,
            "city": city,
            "severity": severity,
            "institution": institution,
            "all": include_decided,
        },
    ).fetchall()
    out = []
    for r in rows:
        out.append(
            {
                "finding_id": r[0],
                "class_id": r[1],
                "id_masked": mask(r[2]) if r[2] else None,
                "name": r[19],
                "rule_code": r[3],
                "severity": r[4],
                "policy_id": r[5],
                "clause": r[14],
                "region_code": r[12],
                "institution_id": r[13],
                "first_seen_at": r[6],
                "evidence": json.loads(mask_text(r[7])),
                "status": _state(r[8], r[9], r[15] is not None),
                "decided_by": r[10],
                "decided_at": r[11],
                "appeal": None
                if r[15] is None
                else {
                    "party": r[15],
                    "party_label": PARTIES[r[15]],
                    "grounds": r[16],
                    "first_reviewer": r[17],
                    "recorded_at": r[18],
                },
            }
        )
    return out
