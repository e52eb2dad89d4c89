"""Comparing findings with a synthetic world's ground truth: precision and recall
per rule code, and severity agreement."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

KEY = ["stage", "class_id", "id_number", "rule_code"]


@dataclass
class Score:
    rule_code: str
    expected: int
    found: int
    true_positive: int
    severity_agrees: int

    @property
    def precision(self) -> float:
        return self.true_positive / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.true_positive / self.expected if self.expected else 1.0


def _frames(
    con: duckdb.DuckDBPyConnection, world: Path, codes: set[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    truth = (
        pl.read_parquet(world / "truth/expected_findings.parquet")
        .filter(pl.col("rule_code").is_in(sorted(codes)))
        .with_columns(pl.col("id_number").fill_null(""))
    )
    found = pl.from_arrow(
        con.sql(
            "SELECT stage, class_id, coalesce(id_number, '') AS id_number, rule_code, severity, "
            "match_level FROM findings WHERE resolved_at IS NULL"
        ).to_arrow_table()
    )
    assert isinstance(found, pl.DataFrame)
    return truth, found.filter(pl.col("rule_code").is_in(sorted(codes)))


def _score(label: str, truth: pl.DataFrame, found: pl.DataFrame) -> Score:
    both = truth.join(found, on=KEY, how="inner", suffix="_found")
    return Score(
        label,
        truth.height,
        found.height,
        both.height,
        both.filter(pl.col("severity") == pl.col("severity_found")).height,
    )


def score(con: duckdb.DuckDBPyConnection, world: Path, codes: set[str]) -> dict[str, Score]:
    """Precision, recall and severity agreement per rule code."""
    truth, found = _frames(con, world, codes)
    return {
        code: _score(
            code,
            truth.filter(pl.col("rule_code") == code),
            found.filter(pl.col("rule_code") == code),
        )
        for code in sorted(codes)
    }


def score_by(con: duckdb.DuckDBPyConnection, world: Path, codes: set[str]) -> dict[str, Score]:
    """The same per stage, and for the fuzzy identities: findings that rest on a
    registry record linked by name, birth date and region because its ID number is
    wrong (``match_level`` set on a rule other than the name check itself)."""
    truth, found = _frames(con, world, codes)
    scores = {
        stage: _score(
            stage, truth.filter(pl.col("stage") == stage), found.filter(pl.col("stage") == stage)
        )
        for stage in ("identity", "opening", "payout")
    }
    fuzzy = pl.col("match_level").is_not_null() & (pl.col("rule_code") != "ID_NAME_MISMATCH")
    scores["fuzzy identity"] = _score("fuzzy identity", truth.filter(fuzzy), found.filter(fuzzy))
    return scores


PLANTED = "decisions/planted.parquet"


def _finding(con: duckdb.DuckDBPyConnection, row: dict[str, object]) -> str | None:
    """The open finding a planted decision names (stage, class, trainee, rule)."""
    found = con.execute(
        "SELECT finding_id FROM findings WHERE stage = $stage AND class_id = $class_id "
        "AND coalesce(id_number, '') = coalesce($id_number, '') AND rule_code = $rule_code "
        "AND resolved_at IS NULL",
        {k: row[k] for k in ("stage", "class_id", "id_number", "rule_code")},
    ).fetchall()
    return str(found[0][0]) if len(found) == 1 else None


def make_decisions(con: duckdb.DuckDBPyConnection, world: Path) -> tuple[int, int]:
    """Make a world's planted decisions (``world generate --decisions``) as officials
    would, each checked like any other; a refused one is simply not recorded. How
    many were recorded, how many refused."""
    from crosscheck import decisions

    made = refused = 0
    for row in pl.read_parquet(world / PLANTED).iter_rows(named=True):
        finding = _finding(con, row)
        if finding is None:
            continue  # the finding was not raised: the findings' score says so
        attachments = [a for a in str(row["attachments"] or "").split("、") if a]
        try:
            decisions.decide(
                con,
                finding,
                str(row["kind"]),
                str(row["decided_by"]),
                row["reason"],
                attachments,
                now=row["decided_at"],
            )
            made += 1
        except decisions.DecisionError:
            refused += 1
    return made, refused


def score_decisions(con: duckdb.DuckDBPyConnection, world: Path) -> pl.DataFrame:
    """Each planted decision against what it must come to: whether it was recorded and
    the finding's state (``truth/expected_decisions``); ``ok`` when both agree."""
    from crosscheck import decisions

    truth = pl.read_parquet(world / "truth/expected_decisions.parquet")
    out = []
    for row in truth.iter_rows(named=True):
        finding = _finding(con, row)
        recorded = (
            finding is not None
            and con.execute(
                "SELECT count(*) FROM decisions WHERE finding_id = ?", [finding]
            ).fetchall()[0][0]
            > 0
        )
        state = decisions.status(con, finding) if finding else "（未发现该问题）"
        out.append(
            row
            | {
                "recorded_got": recorded,
                "status_got": state,
                "ok": recorded == row["recorded"] and state == row["status"],
            }
        )
    return pl.DataFrame(out, schema_overrides={"id_number": pl.String})
