"""``world generate --decisions``: officials' decisions planted in a world, and what
they must do (issue 15).

Four kinds, a few of each, chosen among the planted findings with a generator of
their own (the world's other files are those of the same seed without decisions,
but for the accounting of the classes a decision lifts):

* ``override`` — 准予例外 on a finding the policy writes "原则上" (the rule is
  ``overridable``: CLASS_TOO_LARGE, ALREADY_TRAINED_THIS_YEAR…): recorded; the
  finding no longer blocks or excludes (``已准予例外``);
* ``override_refused`` — 准予例外 asked on a block that is no limit "in principle"
  (PRIOR_EMPLOYMENT, PRIOR_BUSINESS, NOT_IN_COHORT…): refused, nothing recorded,
  the finding still waits (``待审核``);
* ``dismiss`` — 驳回 on a trainee's only exclusion, on a proof: recorded, and with
  the evidence unchanged it stays dismissed (``已驳回``) — the trainee is paid;
* ``dismiss_reopened`` — 驳回 on a prior-employment finding, then a new
  contribution record arrives the night after (a delta dated the day after the
  world's as-of day, so a load as of that day does not read it yet): the evidence
  is no longer what was decided, the finding is open again
  (``证据已变化，重新待审核``) — the trainee is not paid.

``decisions/planted`` holds the decisions as an official makes them;
``truth/expected_decisions`` what each must come to. ``crosscheck eval`` loads
the world as of its day, runs every check, makes the decisions, loads the next
day's delta, runs every check again and compares.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from crosscheck import idnumber, policy
from crosscheck.world.plan import ClassPlan
from crosscheck.world.trainees import Trainee

PER_KIND = 2  # of each kind, where the world has candidates
# a trainee's exclusions an official may find wrong on the facts (a registry's error)
DISMISSABLE = (
    "PRIOR_EMPLOYMENT",
    "PRIOR_BUSINESS",
    "EMPLOYED_DURING_TRAINING",
    "BUSINESS_DURING_TRAINING",
)
REFUSED = ("PRIOR_EMPLOYMENT", "PRIOR_BUSINESS", "NOT_IN_COHORT")
STATUS = {
    "override": "已准予例外",
    "override_refused": "待审核",
    "dismiss": "已驳回",
    "dismiss_reopened": "证据已变化，重新待审核",
}
KIND = {
    "override": "准予例外",
    "override_refused": "准予例外",
    "dismiss": "驳回",
    "dismiss_reopened": "驳回",
}
REASON = {
    "override": "经局务会研究同意，按“原则上”的规定准予例外",
    "override_refused": "学员家庭困难，请求照顾",
    "dismiss": "登记机关出具更正证明：该记录系误报",
    "dismiss_reopened": "单位出具说明：该月参保系误报",
}
ATTACHMENT = {
    "override": "局务会纪要.pdf",
    "override_refused": "",
    "dismiss": "更正证明.pdf",
    "dismiss_reopened": "单位说明.pdf",
}


@dataclass
class Planted:
    case: str  # one of STATUS's keys
    stage: str
    class_id: str
    id_number: str | None  # as the roster has it (normalised); None: the class's
    rule_code: str
    trainee: Trainee | None = None


def _overridable(plan: ClassPlan, code: str) -> bool:
    owner = next(p.id for p in [plan.policy, *plan.overlays] if code in p.rules)
    rule = policy.get(owner).rules.get(code)
    # the rules that check several limits are overridable only for some of them
    special = code in ("MAJOR_NOT_APPROVED", "HOURS_OUT_OF_RANGE")
    return bool(rule is not None and rule.overridable and not special)


def _lifting(t: Trainee) -> list[tuple[str, str]]:
    """The trainee's findings that block or exclude: (stage, code)."""
    return [(e.stage, e.code) for e in t.expected if e.severity in ("block", "exclude")]


def plant(
    rng: random.Random, plans: list[ClassPlan], trainees: dict[str, list[Trainee]]
) -> list[Planted]:
    """Choose the decisions and mark what they lift (``Trainee.lifted``, the plan's
    ``extra["lifted"]``) so that the expected 补贴核算表 follows them."""
    chosen: list[Planted] = []
    used: set[tuple[str, str | None]] = set()

    def take(candidates: list[Planted], n: int = PER_KIND) -> list[Planted]:
        fresh = [c for c in candidates if (c.class_id, c.id_number) not in used]
        picked = rng.sample(fresh, min(n, len(fresh)))
        picked.sort(key=lambda c: (c.class_id, c.id_number or "", c.rule_code))
        for c in picked:
            used.add((c.class_id, c.id_number))
        chosen.extend(picked)
        return picked

    exact = {
        (plan.class_id, t.seq): t
        for plan in plans
        for t in trainees[plan.class_id]
        if not t.duplicate_row and all(e.match_level is None for e in t.expected)
    }
    # overrides: a class's limit, or a trainee's, that the policy writes in principle
    overrides = [
        Planted("override", stage, plan.class_id, None, code)
        for plan in plans
        for stage, code, severity, _ in plan.extra.get("expected", [])
        if severity == "block" and _overridable(plan, code)
    ] + [
        Planted("override", stage, plan.class_id, idnumber.normalize(t.roster_id), code, t)
        for plan in plans
        for t in trainees[plan.class_id]
        if (plan.class_id, t.seq) in exact
        for stage, code in _lifting(t)
        if len(_lifting(t)) == 1 and _overridable(plan, code)
    ]
    for p in take(overrides):
        if p.trainee is None:
            plan = next(q for q in plans if q.class_id == p.class_id)
            plan.extra.setdefault("lifted", set()).add(p.rule_code)
        else:
            p.trainee.lifted.add(p.rule_code)

    def single(codes: tuple[str, ...], case: str) -> list[Planted]:
        return [
            Planted(case, stage, plan.class_id, idnumber.normalize(t.roster_id), code, t)
            for plan in plans
            for t in trainees[plan.class_id]
            if (plan.class_id, t.seq) in exact and len(_lifting(t)) == 1
            for stage, code in _lifting(t)
            if code in codes
        ]

    take(single(REFUSED, "override_refused"))
    for p in take(single(DISMISSABLE, "dismiss")):
        assert p.trainee is not None
        p.trainee.lifted.add(p.rule_code)
    # reopened by a new record of the same registry: prior employment with a
    # contribution record on the trainee's own number
    reopen = [
        p
        for p in single(("PRIOR_EMPLOYMENT",), "dismiss_reopened")
        if p.trainee is not None
        and any(r["id_number"] == p.trainee.id_number for r in p.trainee.pension)
    ]
    take(reopen)
    return chosen


def later_rows(planted: list[Planted], day: dt.date) -> list[dict[str, Any]]:
    """The new contribution records that reopen the ``dismiss_reopened`` findings: a
    second record of the months already on file, from another employer (so no other
    rule's facts change), updated on ``day``."""
    stamp = dt.datetime.combine(day, dt.time(2, 30))
    out = []
    for n, p in enumerate((p for p in planted if p.case == "dismiss_reopened"), 1):
        assert p.trainee is not None
        mine = [r for r in p.trainee.pension if r["id_number"] == p.trainee.id_number]
        first = min(mine, key=lambda r: r["month_from"])
        out.append(
            first
            | {
                "record_key": f"L{day:%Y%m%d}P{n:05d}",
                "employer_name": "辽宁诚信人力资源有限公司",
                "employer_credit_code": "91210100MA0LATE001",
                "updated_at": stamp,
            }
        )
    return out


def rows(
    planted: list[Planted], as_of: dt.date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``decisions/planted`` and ``truth/expected_decisions`` rows."""
    at = dt.datetime.combine(as_of, dt.time(10, 0))
    made: list[dict[str, Any]] = []
    truth: list[dict[str, Any]] = []
    for n, p in enumerate(planted, 1):
        key = {
            "stage": p.stage,
            "class_id": p.class_id,
            "id_number": p.id_number,
            "rule_code": p.rule_code,
        }
        made.append(
            key
            | {
                "kind": KIND[p.case],
                "decided_by": f"审核员{n:02d}",
                "decided_at": at + dt.timedelta(minutes=n),
                "reason": REASON[p.case],
                "attachments": ATTACHMENT[p.case] or None,
            }
        )
        truth.append(
            key
            | {
                "case": p.case,
                "recorded": p.case != "override_refused",
                "status": STATUS[p.case],
            }
        )
    return made, truth
