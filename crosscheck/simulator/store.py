"""The simulator's data: each registry of a world (base extract plus daily
deltas) in an in-memory DuckDB table, sorted by (updated_at, key) and numbered,
so that a page is a range scan on ``_pos`` whatever the table's size."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import duckdb
import polars as pl

from crosscheck import warehouse
from crosscheck.world import schema

REGISTRIES = {t.path.split("/")[-1]: t for t in schema.REGISTRIES}
KEYS = {
    name: ("id_number" if name == "household_registration" else "record_key") for name in REGISTRIES
}


class UnknownRegistry(KeyError):
    pass


class Store:
    def __init__(self, world: Path):
        self.world = world
        self.con = duckdb.connect(config={"autoinstall_known_extensions": False, "threads": 2})
        warehouse.release_at_exit(self, "con")
        self.con.execute("SET enable_progress_bar = false")
        self.lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self.load()

    def _files(self, name: str) -> list[Path]:
        base = self.world / "registries"
        found = sorted(base.glob(f"{name}.*"))
        found += sorted(base.glob(f"deltas/*/{name}.parquet"))
        return found

    def _read(self, path: Path, name: str) -> pl.DataFrame:
        if path.suffix == ".parquet":
            return schema.conform(f"registries/{name}", pl.read_parquet(path))
        encoding = "gb18030" if path.name.endswith(".gb18030.csv") else "utf8"
        text = pl.read_csv(path, encoding=encoding, infer_schema=False)
        return schema.from_text(f"registries/{name}", text)

    def load(self) -> None:
        """(Re)load every registry from the world's files."""
        with self.lock:
            for name in REGISTRIES:
                frames = [self._read(p, name) for p in self._files(name)]
                frame = pl.concat(frames) if frames else schema.frame(f"registries/{name}", [])
                key = KEYS[name]
                frame = (
                    frame.unique(key, keep="last", maintain_order=True)
                    .sort("updated_at", key)
                    .with_row_index("_pos", offset=1)
                )
                self.con.register("incoming", frame.to_arrow())
                self.con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM incoming')
                self.con.unregister("incoming")
                self.counts[name] = frame.height

    def _check(self, name: str) -> None:
        if name not in REGISTRIES:
            raise UnknownRegistry(name)

    def start_after(self, name: str, since: dt.datetime | None) -> int:
        """The position before the first record changed after ``since``."""
        self._check(name)
        if since is None:
            return 0
        with self.lock:
            row = self.con.execute(
                f'SELECT min(_pos) FROM "{name}" WHERE updated_at > ?', [since]
            ).fetchall()[0]
        return int(row[0]) - 1 if row and row[0] is not None else self.counts[name]

    def page(self, name: str, after: int, limit: int) -> pl.DataFrame:
        self._check(name)
        with self.lock:
            table = self.con.sql(
                f'SELECT * FROM "{name}" WHERE _pos > $1 AND _pos <= $2 ORDER BY _pos',
                params=[after, after + limit],
            ).to_arrow_table()
            return pl.from_arrow(table)  # type: ignore[return-value]

    def lookup(self, name: str, ids: list[str]) -> pl.DataFrame:
        self._check(name)
        with self.lock:
            table = self.con.sql(
                f'SELECT * FROM "{name}" WHERE id_number IN (SELECT unnest($1)) ORDER BY _pos',
                params=[ids],
            ).to_arrow_table()
            return pl.from_arrow(table)  # type: ignore[return-value]

    def close(self) -> None:
        with self.lock:
            self.con.close()

    def latest(self, name: str) -> dt.datetime | None:
        self._check(name)
        with self.lock:
            row = self.con.execute(f'SELECT max(updated_at) FROM "{name}"').fetchall()[0]
        return row[0] if row else None
