"""Render the world's file reference into data/README.md (between the markers).

Usage: python scripts/world_docs.py        (rewrite)
       python scripts/world_docs.py --check (exit 1 when the README is stale)
"""

from __future__ import annotations

import sys
from pathlib import Path

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


def render() -> str:
    parts = [BEGIN, ""]
    for group, tables in (
        ("Registries", schema.REGISTRIES),
        ("Institution directory", schema.DIRECTORY),
        ("Operational data", schema.OPERATIONS),
        ("Ground truth", schema.TRUTH),
    ):
        parts.append(f"### {group}\n")
        for table in tables:
            encoding = schema.CSV_FILES.get(table.path)
            fmt = {"gb18030": ".gb18030.csv (GB18030)", "utf-8": ".csv (UTF-8)"}.get(
                encoding or "", ".parquet"
            )
            parts.append(f"#### `{table.path}{fmt}` — {table.title}\n")
            parts.append("| column | type | meaning |\n|---|---|---|")
            parts += [f"| `{c}` | {_type(t)} | {m} |" for c, t, m in table.columns]
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
