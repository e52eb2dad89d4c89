"""The data-quality gate: a Great Expectations suite per source, run on every
extract before it reaches the tables the checks read.

DuckDB computes what needs the whole extract (ID validity set-wise, keys that
repeat with different content); Great Expectations judges each chunk through
its pandas path (its SQL path on DuckDB is broken upstream, see STACK.md) and
reports the failing rows by ``_row``, which become the quarantine's reasons.
GX is imported only here, only when a gate runs (it takes seconds to import).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from crosscheck.ingest.sources import Source
from crosscheck.paths import home_dir

CHUNK = 1_000_000
FLAG = "[标记] "  # reasons that flag a row (it is loaded) rather than reject it
NOTE = "[未知取值] "  # values the rules do not know: loaded verbatim, counted, not listed
PARSE = "字段无法解析："


@dataclass
class GateResult:
    rows: int
    bad: dict[int, list[str]] = field(default_factory=dict)  # _seq -> reasons: not loaded
    flagged: dict[int, list[str]] = field(default_factory=dict)  # _seq -> reasons: loaded, listed
    counts: dict[str, int] = field(default_factory=dict)  # expectation -> failing rows
    unknown: dict[str, dict[str, int]] = field(default_factory=dict)  # column -> value -> rows

    @property
    def failure_rate(self) -> float:
        failing = len(self.bad.keys() | self.flagged.keys())
        return failing / self.rows if self.rows else 0.0

    def summary(self, refused: bool) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "rejected_rows": len(self.bad),
            "flagged_rows": len(self.flagged),
            "failure_rate": round(self.failure_rate, 6),
            "refused": refused,
            "expectations": self.counts,
            "unknown_values": self.unknown,
        }

    def unknown_text(self, labels: dict[str, str] | None = None) -> str:
        """The values loaded verbatim that the rules read as "other", in Chinese."""
        from crosscheck.idnumber import mask_text

        parts = []
        for column, values in sorted(self.unknown.items()):
            shown = "、".join(
                f"“{mask_text(v[:20])}”×{n:,}"
                for v, n in sorted(values.items(), key=lambda x: -x[1])[:5]
            )
            more = f" 等 {len(values)} 种" if len(values) > 5 else ""
            parts.append(
                f"{name(column, labels)} 有规则不认识的取值 {shown}{more}"
                "（原样载入，规则按“其他”看待）"
            )
        return "；".join(parts)


def _context(root: Path) -> Any:
    """A file context under ``$CROSSCHECK_HOME/gx``: suites, validation results and
    Data Docs persist there (never in the repository). Opened afresh each time (it
    takes milliseconds): GX binds new suites to the context opened last."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(root))
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def gx_root() -> Path:
    return home_dir() / "gx"


def _unparsed(error: str, labels: dict[str, str] | None) -> str:
    """``_parse_error`` in Chinese: each column (the source's beside it) and the text
    that could not be read as its type, ID numbers masked."""
    from crosscheck.idnumber import mask_text
    from crosscheck.world.schema import PARSE_SEPARATOR

    parts = []
    for item in error.split(PARSE_SEPARATOR):
        column, _, text = item.partition("=")
        parts.append(f"{name(column, labels)} 的“{mask_text(text)}”")
    return "、".join(parts)


def name(column: str, labels: dict[str, str] | None = None) -> str:
    """A contract column as a message names it: with the source's own column beside it
    when the extract came through a mapping (``labels``: contract column -> source's)."""
    source = (labels or {}).get(column)
    return f"{column}（源列“{source}”）" if source else column


def suite(source: Source, labels: dict[str, str] | None = None) -> tuple[Any, dict[str, str]]:
    """The expectation suite for a source, and each expectation's reason text (naming
    the source's own columns through ``labels`` when a mapping read the extract)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    _context(gx_root())  # a suite needs an active context
    expectations: list[tuple[Any, str]] = []
    for column in source.required:
        expectations.append(
            (
                gxe.ExpectColumnValuesToNotBeNull(column=column),
                f"缺少必填字段 {name(column, labels)}",
            )
        )
    for column, values in source.value_sets.items():
        expectations.append(
            (
                gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values)),
                f"{name(column, labels)} 不在取值范围内",
            )
        )
    for column, values in source.known_values.items():
        expectations.append(
            (
                gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values)),
                NOTE + column,
            )
        )
    for earlier, later in source.ordered:
        expectations.append(
            (
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A=later,
                    column_B=earlier,
                    or_equal=True,
                    ignore_row_if="either_value_is_missing",
                ),
                f"{name(earlier, labels)} 晚于 {name(later, labels)}",
            )
        )
    if source.id_column:  # flagged, not rejected: a typo'd ID is evidence for fuzzy matching
        expectations.append(
            (
                gxe.ExpectColumnValuesToBeInSet(column="_id_ok", value_set=[True]),
                FLAG + f"{name(source.id_column, labels)} 不是有效的身份证号码",
            )
        )
    expectations.append((gxe.ExpectColumnValuesToBeNull(column="_parse_error"), PARSE))
    expectations.append(
        (
            gxe.ExpectColumnValuesToBeInSet(column="_dup_key", value_set=[False]),
            f"{name(source.key, labels)} 重复且内容不同",
        )
    )
    result = gx.ExpectationSuite(name=f"crosscheck.{source.name}")
    reasons = {}
    for expectation, reason in expectations:
        result.add_expectation(expectation)
        reasons[_label(expectation)] = reason
    return result, reasons


def _label(expectation: Any) -> str:
    config = getattr(expectation, "configuration", expectation)
    kw = config.kwargs
    cols = kw.get("column") or f"{kw.get('column_B')}<={kw.get('column_A')}"
    return f"{config.type}:{cols}"


def run(
    con: duckdb.DuckDBPyConnection,
    staging: str,
    source: Source,
    labels: dict[str, str] | None = None,
) -> GateResult:
    """Validate the staged extract (table ``staging``, numbered 1..n by ``_seq``, with
    ``_id_ok`` and ``_dup_key`` columns) chunk by chunk; failing rows by ``_seq``."""
    rows = con.execute(f'SELECT count(*) FROM "{staging}"').fetchall()[0][0]
    result = GateResult(rows=int(rows))
    if not rows:
        return result
    checkpoint, reasons = _checkpoint(source, labels)
    columns = sorted(
        {
            *source.required,
            *source.value_sets,
            *source.known_values,
            *(c for pair in source.ordered for c in pair),
        }
    )
    dates = {c for pair in source.ordered for c in pair}
    select = ", ".join(
        f'CAST("{c}" AS TIMESTAMP) AS "{c}"' if c in dates else f'"{c}"' for c in columns
    )
    bad: dict[int, list[str]] = defaultdict(list)
    flagged: dict[int, list[str]] = defaultdict(list)
    for start in range(0, int(rows), CHUNK):
        frame = (
            con.sql(
                f'SELECT _seq, _id_ok, _dup_key, _parse_error, {select} FROM "{staging}" '
                f"WHERE _seq > {start} AND _seq <= {start + CHUNK}"
            )
            .to_arrow_table()
            .to_pandas()
        )
        run = checkpoint.run(batch_parameters={"dataframe": frame})
        for item in (r for v in run.run_results.values() for r in v.results):
            if item.success:
                continue
            label = _label(item.expectation_config)
            unexpected = item.result.get("unexpected_index_list") or []
            result.counts[label] = result.counts.get(label, 0) + len(unexpected)
            reason = reasons.get(label, label)
            if reason.startswith(NOTE):  # loaded as it is: counted by value, no row listed
                column = reason.removeprefix(NOTE)
                seen = result.unknown.setdefault(column, {})
                for value in item.result.get("unexpected_list") or []:
                    seen[str(value)] = seen.get(str(value), 0) + 1
                continue
            target = flagged if reason.startswith(FLAG) else bad
            for u in unexpected:
                text = (
                    reason + _unparsed(str(u["_parse_error"]), labels)
                    if reason == PARSE
                    else reason
                )
                target[int(u["_seq"])].append(text.removeprefix(FLAG))
    for seq, reasons_ in bad.items():  # a value that could not be read is not "missing"
        unread = " ".join(r for r in reasons_ if r.startswith(PARSE))
        if unread:
            bad[seq] = [
                r
                for r in reasons_
                if not (r.startswith("缺少必填字段 ") and r.removeprefix("缺少必填字段 ") in unread)
            ]
    result.bad, result.flagged = dict(bad), dict(flagged)
    return result


def _checkpoint(source: Source, labels: dict[str, str] | None = None) -> tuple[Any, dict[str, str]]:
    """The source's checkpoint: its suite on the extract asset, results stored for Data Docs."""
    import great_expectations as gx

    context = _context(gx_root())
    try:
        datasource = context.data_sources.get("crosscheck_extracts")
    except (KeyError, ValueError, LookupError):
        datasource = context.data_sources.add_pandas("crosscheck_extracts")
    try:
        asset = datasource.get_asset("extract")
    except (KeyError, ValueError, LookupError):
        asset = datasource.add_dataframe_asset("extract")
    try:
        batch = asset.get_batch_definition("whole")
    except (KeyError, ValueError, LookupError):
        batch = asset.add_batch_definition_whole_dataframe("whole")
    expectations, reasons = suite(source, labels)
    stored = context.suites.add_or_update(expectations)
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(data=batch, suite=stored, name=f"crosscheck.{source.name}")
    )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=f"crosscheck.{source.name}",
            validation_definitions=[definition],
            actions=[],
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["_seq"]},
        )
    )
    return checkpoint, reasons


def build_docs() -> Path:
    """Rebuild the Data Docs from the stored validation results; return index.html."""
    context = _context(gx_root())
    context.build_data_docs()
    return gx_root() / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
