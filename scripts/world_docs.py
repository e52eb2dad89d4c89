"""Render the world's file reference into data/README.md (between the markers).

Usage: python scripts/world_docs.py        (rewrite)
       python scripts/world_docs.py --check (exit 1 when the README is stale)
"""

from __future__ import annotations

import sys
from pathlib import Path

from crosscheck.ingest.sources import ALL_SOURCES, KEY, LINK, NEEDED_BY
from crosscheck.world import schema

README = Path(__file__).resolve().parents[1] / "data" / "README.md"
BEGIN, END = "<!-- world-files:begin -->", "<!-- world-files:end -->"


def _type(dtype: object) -> str:
    text = str(dtype)
    return {
        "String": "text",
        "Date": "date",
        "Int64": "integer",
        "Boolean": "boolean",
        "Float64": "decimal",
        "Datetime(time_unit='us', time_zone=None)": "timestamp",
        "List(String)": "list of text",
    }.get(text, text)


def _needed(why: tuple[str, ...] | None) -> str:
    """``required (…)`` with the rules that need the field, or ``optional``."""
    if not why:
        return "optional"
    words = {KEY: "the row's key", LINK: "linking to the trainee"}
    return (
        "**required** ("
        + ", ".join(words.get(w, f"`{w}`" if w.isupper() else w) for w in why)
        + ")"
    )


def render() -> str:
    parts = [BEGIN, ""]
    for group, tables in (
        ("Registries", schema.REGISTRIES),
        ("Institution directory", schema.DIRECTORY),
        ("Operational data", schema.OPERATIONS),
        ("Ground truth", schema.TRUTH),
        ("Planted decisions (`world generate --decisions` only)", schema.DECISIONS),
    ):
        parts.append(f"### {group}\n")
        for table in tables:
            encoding = schema.CSV_FILES.get(table.path)
            fmt = {"gb18030": ".gb18030.csv (GB18030)", "utf-8": ".csv (UTF-8)"}.get(
                encoding or "", ".parquet"
            )
            parts.append(f"#### `{table.path}{fmt}` — {table.title}\n")
            name = table.path.split("/")[-1]
            if name not in ALL_SOURCES:  # the ground truth: written by the generator only
                parts.append("| column | type | meaning |\n|---|---|---|")
                parts += [f"| `{c}` | {_type(t)} | {m} |" for c, t, m in table.columns]
                parts.append("")
                continue
            needed = NEEDED_BY[name]
            parts.append("| column | type | meaning | required (for) |\n|---|---|---|---|")
            parts += [
                f"| `{c}` | {_type(t)} | {m} | {_needed(needed.get(c))} |"
                for c, t, m in table.columns
            ]
            parts.append("")
    parts.append(END)
    return "\n".join(parts)


def main() -> int:
    text = README.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = head + render() + tail
    if "--check" in sys.argv:
        return 0 if new == text else 1
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
