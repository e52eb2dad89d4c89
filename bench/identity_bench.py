"""Benchmark: identity resolution on the fuzzy subset — crosscheck vs Splink 5.

    .tools/bin/uv sync --frozen --group bench      # Splink is a benchmark-only dependency
    .venv/bin/python bench/identity_bench.py <warehouse.duckdb> <world>

The fuzzy subset: the trainees (valid ID numbers) on one side; on the other,
the pension records that share a trainee's region and birth date (the first 14
characters of the ID) but not the trainee's ID number — records whose ID number
is wrong (a typo) and other people who look alike (same name, birth date and
county, an ID of their own: the hard negatives). Ground truth: the world's
planted ``prior_employment_id_typo`` cases; a true pair is the trainee and the
record whose (invalid) ID differs from theirs by the world's typo (two
neighbouring digits swapped, or one wrong character).

crosscheck: its own rule (``checks.links``, POLICY.md reading 9) — a registry
record whose number is the trainee's with one adjacent swap or one wrong
sequence digit (same region, birth date and check character), with the trainee's
name, unless the trainee has a namesake in the same block.

Splink 5 (DuckDB backend), documented defaults adapted: link_only, blocking on
the same block, comparisons on the name (exact), its pinyin (Jaro-Winkler 0.95 /
0.88) and the ID number (Levenshtein 1 / 2); the prior from a strict rule (same
name and block, recall 0.9), u by random sampling (10 M pairs), m by EM blocked
once on the block and once on the name; links at match probability ≥ 0.5. Both
timed from the same loaded tables.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb
import polars as pl

from crosscheck import idnumber
from crosscheck.checks import links, runner
from crosscheck.ingest.sql import id_valid
from crosscheck.regions import province_codes


def _frame(con: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    frame = pl.from_arrow(con.sql(sql).to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame


def load(db: Path) -> tuple[duckdb.DuckDBPyConnection, pl.DataFrame, pl.DataFrame]:
    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH '{db}' AS wh (READ_ONLY)")
    con.execute(
        "CREATE TEMP TABLE _provinces AS SELECT unnest($1) AS code", [sorted(province_codes())]
    )
    con.execute(f"""
        CREATE TABLE trainees AS
        SELECT DISTINCT r.id_number, coalesce(h.name, r.name) AS name,
               substr(r.id_number, 1, 14) AS block
        FROM wh.roster_entries r LEFT JOIN wh.household_registration h USING (id_number)
        WHERE {id_valid("id_number", "DATE '2100-01-01'", "r")}""")
    con.execute("""
        CREATE TABLE records AS
        SELECT p.record_key, any_value(p.id_number) AS id_number, any_value(p.name) AS name,
               any_value(p.id_block) AS block
        FROM wh.pension_contributions p
        WHERE p.id_block IN (SELECT block FROM trainees)
          AND p.id_number NOT IN (SELECT id_number FROM trainees)
        GROUP BY p.record_key""")
    return con, _frame(con, "FROM trainees"), _frame(con, "FROM records")


def truth_pairs(world: Path, records: pl.DataFrame) -> set[tuple[str, str]]:
    cases = pl.read_parquet(world / "truth/cases.parquet").filter(
        pl.col("case") == "prior_employment_id_typo"
    )
    by_block: dict[str, list[tuple[str, str]]] = {}
    for key, number, block in records.select("record_key", "id_number", "block").iter_rows():
        by_block.setdefault(block, []).append((key, number))
    pairs = set()
    for trainee in set(cases["id_number"].to_list()):
        for key, number in by_block.get(trainee[:14], []):
            differ = sum(a != b for a, b in zip(number, trainee, strict=True))
            # the world's typos: two digits swapped or one wrong character, always invalid
            if len(number) == 18 and differ <= 2 and not idnumber.check(number).valid:
                pairs.add((trainee, key))
    return pairs


def crosscheck_links(con: duckdb.DuckDBPyConnection) -> tuple[set[tuple[str, str]], float]:
    """crosscheck's rule (POLICY.md reading 9, ``checks.links``): a record whose number
    is the trainee's with one adjacent swap or one wrong sequence digit (same region,
    birth date and check character), the same name, and no namesake of the trainee
    (another person of the household register with the same name and block)."""
    started = time.perf_counter()
    runner.prepare_udfs(con)  # name_level, as the rules use it
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE namesakes AS
        SELECT DISTINCT t.id_number FROM trainees t
        JOIN wh.household_registration h ON h.id_block = t.block AND h.id_number <> t.id_number
        WHERE {links.plain("h.name")} = {links.plain("t.name")}
          AND name_level(h.name, t.name) = 'exact'""")
    rows = con.execute(f"""
        SELECT t.id_number, r.record_key
        FROM trainees t JOIN records r ON r.block = t.block
        WHERE CASE WHEN {links.typo("r.id_number", "t.id_number")} IS NOT NULL
                        AND t.id_number NOT IN (SELECT id_number FROM namesakes)
                   THEN name_level(r.name, t.name) = 'exact' ELSE false END""").fetchall()
    return {(a, b) for a, b in rows}, time.perf_counter() - started


def splink_links(
    trainees: pl.DataFrame, records: pl.DataFrame
) -> tuple[set[tuple[str, str]], float, int]:
    import splink.comparison_library as cl
    from pypinyin import lazy_pinyin
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = time.perf_counter()

    def prepared(frame: pl.DataFrame, key: str) -> pl.DataFrame:
        return frame.select(
            pl.col(key).alias("unique_id"),
            "name",
            pl.col("name")
            .map_elements(lambda n: " ".join(lazy_pinyin(n or "")), return_dtype=pl.String)
            .alias("name_pinyin"),
            "id_number",
            "block",
        )

    left = prepared(trainees, "id_number").to_pandas()
    right = prepared(records, "record_key").to_pandas()
    settings = SettingsCreator(
        link_type="link_only",
        blocking_rules_to_generate_predictions=[block_on("block")],
        comparisons=[
            cl.ExactMatch("name"),
            cl.JaroWinklerAtThresholds("name_pinyin", [0.95, 0.88]),
            cl.LevenshteinAtThresholds("id_number", [1, 2]),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI()
    linker = Linker(
        [
            db_api.register(left, dataset_display_name="trainees"),
            db_api.register(right, dataset_display_name="records"),
        ],
        settings,
        log_level=30,
    )
    # the share of matching pairs is tiny here: estimate it from a strict rule (same
    # name in the same block, assumed to find 90 % of matches) rather than the default
    linker.training.estimate_probability_two_random_records_match(
        [block_on("name", "block")], recall=0.9
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7)
    # EM twice, each blocked on what the other trains (Splink's documented pattern)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("block"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    table = predictions.as_pandas_dataframe()
    compared = linker.inference.predict().as_pandas_dataframe().shape[0]
    elapsed = time.perf_counter() - started
    pairs = set()
    for _, row in table.iterrows():
        a, b = row["unique_id_l"], row["unique_id_r"]
        if row["source_dataset_l"] != "trainees":
            a, b = b, a
        pairs.add((str(a), str(b)))
    return pairs, elapsed, compared


def f1(found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> tuple[float, float, float]:
    hit = len(found & truth)
    precision = hit / len(found) if found else 1.0
    recall = hit / len(truth) if truth else 1.0
    score = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, score


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db", type=Path)
    parser.add_argument("world", type=Path)
    args = parser.parse_args()
    started = time.perf_counter()
    con, trainees, records = load(args.db)
    loaded = time.perf_counter() - started
    truth = truth_pairs(args.world, records)
    ours, ours_s = crosscheck_links(con)
    theirs, theirs_s, compared = splink_links(trainees, records)
    print(
        f"{args.db.name}: {trainees.height:,} trainees, {records.height:,} records in the fuzzy "
        f"subset, {len(truth)} true pairs; subset built in {loaded:.1f} s"
    )
    print("| method | pairs compared | links | precision | recall | F1 | time |")
    print("|---|---|---|---|---|---|---|")
    for label, found, seconds, n in (
        ("crosscheck (block + invalid ID + name level)", ours, ours_s, "same blocks"),
        ("Splink 5 (DuckDB; name, pinyin JW, ID Levenshtein; EM)", theirs, theirs_s, compared),
    ):
        p, r, f = f1(found, truth)
        n_text = f"{n:,}" if isinstance(n, int) else n
        print(
            f"| {label} | {n_text} | {len(found)} | {p:.3f} | {r:.3f} | {f:.3f} | {seconds:.2f} s |"
        )


if __name__ == "__main__":
    main()
