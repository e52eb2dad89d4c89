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
