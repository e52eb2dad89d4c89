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


def score(con: duckdb.DuckDBPyConnection, world: Path, codes: set[str]) -> dict[str, Score]:
    truth = (
        pl.read_parquet(world / "truth/expected_findings.parquet")
        .filter(pl.col("rule_code").is_in(sorted(codes)))
        .with_columns(pl.col("id_number").fill_null(""))
    )
    found = pl.from_arrow(
        con.sql(
            "SELECT stage, class_id, coalesce(id_number, '') AS id_number, rule_code, severity "
            "FROM findings WHERE resolved_at IS NULL"
        ).to_arrow_table()
    )
    assert isinstance(found, pl.DataFrame)
    found = found.filter(pl.col("rule_code").is_in(sorted(codes)))
    both = truth.join(found, on=KEY, how="inner", suffix="_found")
    scores = {}
    for code in sorted(codes):
        scores[code] = Score(
            code,
            truth.filter(pl.col("rule_code") == code).height,
            found.filter(pl.col("rule_code") == code).height,
            both.filter(pl.col("rule_code") == code).height,
            both.filter(
                (pl.col("rule_code") == code) & (pl.col("severity") == pl.col("severity_found"))
            ).height,
        )
    return scores
