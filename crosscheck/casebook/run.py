"""Running rule cases: each case on its own tiny warehouse, every stage, the whole
result compared with what the case expects.

One in-memory DuckDB database is migrated once per process and emptied before
each case, so a case sees nothing but its own rows.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml
from pydantic import ValidationError

from crosscheck import warehouse
from crosscheck.casebook import build, model
from crosscheck.errors import CrosscheckError

STAGES = ("identity", "opening", "payout")
_ACCOUNTING_FIELDS = {
    "opened": "opened",
    "dropped": "dropped_out",
    "social_insurance": "social_insurance",
    "exam_failed": "exam_failed",
    "exam_absent": "exam_absent",
    "materials_failed": "materials_failed",
    "other_excluded": "other_excluded",
    "subsidised": "subsidised",
    "proposed_fen": "proposed_fen",
    "attendance_deduction_fen": "attendance_deduction_fen",
    "violation_deduction_fen": "violation_deduction_fen",
    "total_deduction_fen": "total_deduction_fen",
    "actual_fen": "actual_fen",
    "payable": "payable",
}


@dataclass(frozen=True)
class Loaded:
    """A case and where it was written."""

    file: str
    index: int
    case: model.Case

    @property
    def id(self) -> str:
        return f"{self.file}#{self.index + 1}"


def load(paths: list[Path]) -> list[Loaded]:
    """Every case in the files (strictly validated; an error names the file and case)."""
    out: list[Loaded] = []
    for path in paths:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise CrosscheckError(f"{path}：无法读取案例文件（{exc}）") from exc
        if not isinstance(raw, list):
            raise CrosscheckError(f"{path}：应为案例列表")
        for n, item in enumerate(raw):
            try:
                out.append(Loaded(path.name, n, model.Case.parse(item)))
            except ValidationError as exc:
                name = item.get("name", "?") if isinstance(item, dict) else "?"
                raise CrosscheckError(f"{path.name} 第 {n + 1} 个案例（{name}）：{exc}") from exc
    names = [x.case.name for x in out]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise CrosscheckError(f"案例名称重复：{repeated}")
    return out


@dataclass
class Outcome:
    found: dict[str, list[str]] = field(default_factory=dict)
    accounting: dict[str, Any] | None = None  # the main class's 补贴核算表 (rows per rate)
    evidence: list[dict[str, Any]] = field(default_factory=list)


@functools.lru_cache(maxsize=1)
def _database() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:", config=dict(warehouse.CONFIG))
    con.execute("SET enable_progress_bar = false")
    con.execute("SET threads = 1")  # a case is a few rows: one thread plans and runs faster
    warehouse.migrate(con)
    return con


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'memory' "
            "AND schema_name = 'main' AND table_name <> 'schema_migrations'"
        ).fetchall()
    ]


def load_rows(con: duckdb.DuckDBPyConnection, built: build.Built) -> None:
    for table, rows in built.rows.items():
        if not rows:
            continue
        columns = list(dict.fromkeys(c for row in rows for c in row))
        con.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}, _source) "
            f"VALUES ({', '.join('?' for _ in columns)}, 'case')",
            [[row.get(c) for c in columns] for row in rows],
        )


def run(case: model.Case) -> Outcome:
    """Build the case's warehouse, run every stage and the accounting."""
    built = build.build(case)
    con = _database()
    for table in _tables(con):
        con.execute(f"DELETE FROM {table}")
    load_rows(con, built)
    return check(con, built)


def check(con: duckdb.DuckDBPyConnection, built: build.Built) -> Outcome:
    """Run every stage and the accounting on a warehouse holding the case's rows
    (however they got there), and read the findings back by the case's labels."""
    from crosscheck.checks import accounting, runner

    runner.run_stages(con, list(STAGES), "case", as_of=built.as_of)
    rows = con.execute(
        "SELECT stage, class_id, id_number, rule_code, severity, evidence FROM findings "
        "WHERE resolved_at IS NULL"
    ).fetchall()
    out = Outcome(found={s: [] for s in STAGES})
    for stage, class_id, number, code, severity, evidence in rows:
        out.found[stage].append(_render(built, class_id, number, code, severity))
        out.evidence.append({"stage": stage, "rule": code, "evidence": evidence})
    for stage in STAGES:
        out.found[stage].sort()
    totals = accounting.compute(con, built.as_of)
    main = [r for r in totals.to_dicts() if r["class_id"] == "CMAIN"]
    if main:
        out.accounting = main[0]
    return out


def _render(built: build.Built, class_id: str, number: str | None, code: str, sev: str) -> str:
    label = built.class_labels.get(class_id, class_id)
    text = ("" if label == "main" else f"{label}:") + f"{code}={sev}"
    if number is not None:
        person = built.person_labels.get(number, number)
        if person != "t":
            text += f"@{person}"
    return text


def differences(case: model.Case, outcome: Outcome) -> list[str]:
    """What the checks found that the case does not expect, and the reverse."""
    problems = []
    for stage in STAGES:
        want = sorted(getattr(case.expect, stage))
        got = outcome.found.get(stage, [])
        missing = sorted(set(want) - set(got))
        extra = sorted(set(got) - set(want))
        if missing:
            problems.append(f"{stage}: missing {missing}")
        if extra:
            problems.append(f"{stage}: unexpected {extra}")
    want_acc = case.expect.accounting
    if want_acc is not None:
        problems += _accounting(want_acc, outcome.accounting)
    return problems


def _accounting(want: model.Accounting, got: dict[str, Any] | None) -> list[str]:
    if want.absent:
        return [] if got is None else ["accounting: expected none, got a table"]
    if got is None:
        return ["accounting: expected a 补贴核算表 row, got none"]
    problems = _row_diff("total", want, got)
    if want.rows is not None:
        rows = got.get("rows", [])
        if len(rows) != len(want.rows):
            problems.append(f"accounting: {len(want.rows)} rows by rate expected, got {len(rows)}")
        for n, (w, g) in enumerate(zip(want.rows, rows, strict=False)):
            problems += _row_diff(f"row {n + 1}", w, g)
    return problems


def _row_diff(where: str, want: model.AccountingRow, got: dict[str, Any]) -> list[str]:
    problems = []
    if want.rate_yuan is not None and got.get("rate_fen") != want.rate_yuan * 100:
        problems.append(
            f"accounting {where}: rate {want.rate_yuan} yuan, got {got.get('rate_fen')}"
        )
    for name, column in _ACCOUNTING_FIELDS.items():
        expected = getattr(want, name)
        if expected is not None and got.get(column) != expected:
            problems.append(f"accounting {where}: {name} {expected}, got {got.get(column)}")
    return problems


def as_of(case: model.Case) -> dt.date:
    return build.build(case).as_of
