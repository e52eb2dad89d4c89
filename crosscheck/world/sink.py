"""Deterministic, streaming file writers for a world.

Same input, same bytes: Parquet through one pinned pyarrow writer (zstd, fixed
row-group size, no timestamps), CSV in UTF-8 or GB18030 written chunk by chunk,
and a manifest of SHA-256 checksums.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import BinaryIO, Literal

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

Encoding = Literal["utf-8", "gb18030"]


class TableSink:
    """Appends polars frames to one Parquet or CSV file."""

    def __init__(self, path: Path, fmt: Literal["parquet", "csv"], encoding: Encoding = "utf-8"):
        self.path = path
        self.fmt = fmt
        self.encoding = encoding
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None
        self._csv: BinaryIO | None = None
        path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, frame: pl.DataFrame) -> None:
        if frame.height == 0 and self.rows:
            return
        if self.fmt == "parquet":
            table = frame.to_arrow()
            if self._writer is None:
                self._schema = table.schema
                self._writer = pq.ParquetWriter(
                    self.path, table.schema, compression="zstd", write_statistics=True
                )
            self._writer.write_table(table.cast(self._schema), row_group_size=1_000_000)
        else:
            text = frame.write_csv(
                include_header=self._csv is None,
                date_format="%Y-%m-%d",
                datetime_format="%Y-%m-%d %H:%M:%S",
            )
            if self._csv is None:
                self._csv = self.path.open("wb")
            self._csv.write(text.encode(self.encoding))
        self.rows += frame.height

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._csv is not None:
            self._csv.close()


def write_frame(path: Path, frame: pl.DataFrame) -> None:
    """Write one small frame as Parquet, deterministically."""
    sink = TableSink(path, "parquet")
    sink.write(frame)
    sink.close()


def checksums(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root`` except the manifest, by relative path."""
    found = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != "world.json"):
        digest = hashlib.sha256()
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        found[path.relative_to(root).as_posix()] = digest.hexdigest()
    return found
