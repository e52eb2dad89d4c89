"""A nation of provinces: one world split where its data is held.

``crosscheck world generate --scale nation`` generates a world (the ``small``
scale's classes and people; ``nation-tiny``: ``tiny``'s) and splits it:

- ``provinces/<code>/`` for each province with classes (Liaoning 21 — Shenyang
  and Fushun —, Sichuan 51, Gansu 62): a world folder of its own — its
  institutions, classes, rosters and operations, its training system (the
  ``training_records`` of its own cities, its ``provincial_training_system``),
  the national registries, and the truth for its classes;
- ``exchange/<code>.parquet`` for each province that has training records but no
  classes here (Hebei, Beijing, …): what its training system sends the national
  exchange (it runs no crosscheck of its own);
- ``world.json``: the provinces, the exchange-only ones and the whole world's
  manifest.

Which registries are national is an assumption, named in ``docs/scale.md``:
household registration (公安部 population database), student status (学信网),
pension contributions (the national social-insurance platform), business
licences (国家企业信用信息公示系统) and the dishonesty list (信用中国) are
national services every province queries; the training systems are
provincial (省职业培训信息管理系统) — the gap the notices close with the
exchange ("防止出现异地违规参加培训、重复享受补贴"). Each province therefore
sees the others' training records only through :mod:`crosscheck.exchange`, and
the truth is the whole world's: every finding the whole world expects must come
back through the exchange.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from crosscheck.errors import CrosscheckError
from crosscheck.world import schema
from crosscheck.world.sink import checksums, write_frame

NATIONS = {"nation": "small", "nation-tiny": "tiny"}  # scale -> the world it splits
NATIONAL = (
    "registries/household_registration",
    "registries/student_status",
    "registries/pension_contributions",
    "registries/business_licences",
    "registries/dishonesty_list",
    "directory/online_platforms",
)
Progress = Callable[[str], None]


def generate(
    scale: str, seed: int, out: Path, progress: Progress = lambda _: None
) -> dict[str, Any]:
    """Generate the base world beside ``out`` and split it into ``out``."""
    from crosscheck.world.generate import generate as whole

    if scale not in NATIONS:
        raise CrosscheckError(f"未知规模 “{scale}”")
    if out.exists() and not (out / "world.json").is_file() and any(out.iterdir()):
        raise CrosscheckError(f"{out} 已存在且不是合成世界目录：不会覆盖，请换一个输出目录")
    base = out.with_name(out.name + ".whole")
    if base.exists():
        shutil.rmtree(base)
    try:
        manifest = whole(NATIONS[scale], seed, base, progress)
        tmp = out.with_name(out.name + ".partial")
        if tmp.exists():
            shutil.rmtree(tmp)
        split(base, tmp, dict(manifest, scale=scale))
    finally:
        if base.exists():
            shutil.rmtree(base)
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    progress(f"已按省份拆分：{out}")
    manifest_out: dict[str, Any] = json.loads((out / "world.json").read_text(encoding="utf-8"))
    return manifest_out


def _province(code: pl.Expr) -> pl.Expr:
    return code.cast(pl.String).str.slice(0, 2)


def split(whole: Path, out: Path, manifest: dict[str, Any]) -> None:
    """Write ``whole`` (a world folder) as a nation into ``out`` (the module's
    docstring)."""
    classes = pl.read_parquet(whole / "operations/classes.parquet")
    provinces = sorted(set(classes["region_code"].str.slice(0, 2).to_list()))
    training = pl.read_parquet(whole / "registries/training_records.parquet")
    away = sorted(set(training["region_code"].str.slice(0, 2).to_list()) - set(provinces))
    out.mkdir(parents=True)
    institutions = pl.read_parquet(whole / "directory/institutions.parquet")
    summary: dict[str, Any] = {}
    for code in provinces:
        root = out / "provinces" / code
        counts: dict[str, int] = {}
        ids = classes.filter(_province(pl.col("region_code")) == code)["class_id"]
        mine = institutions.filter(_province(pl.col("region_code")) == code)["institution_id"]
        for table in schema.ALL:
            if table.path == "truth/expected_decisions" or table.path.startswith("decisions/"):
                continue
            sources = [p for p in whole.glob(f"{table.path}.*") if p.is_file()]
            if not sources:
                continue
            (src,) = sources
            dst = root / src.relative_to(whole)
            dst.parent.mkdir(parents=True, exist_ok=True)
            if table.path in NATIONAL:
                shutil.copy2(src, dst)
                counts[table.path] = manifest["rows"].get(table.path, 0)
                continue
            frame = pl.read_parquet(src)
            if table.path in ("registries/training_records", "directory/published_projects"):
                frame = frame.filter(_province(pl.col("region_code")) == code)
            elif table.path == "directory/institutions":
                frame = frame.filter(pl.col("institution_id").is_in(mine.implode()))
            elif "class_id" in frame.columns:
                frame = frame.filter(pl.col("class_id").is_in(ids.implode()))
            elif "institution_id" in frame.columns:
                frame = frame.filter(pl.col("institution_id").is_in(mine.implode()))
            else:
                raise CrosscheckError(f"{table.path}：不知道该归属哪个省份")
            write_frame(dst, frame)
            if not table.path.startswith("truth/"):
                counts[table.path] = frame.height
        own_ids = set(ids.to_list())
        for roster in sorted((whole / "rosters").iterdir()):
            if roster.name.split(".")[0] in own_ids:
                (root / "rosters").mkdir(parents=True, exist_ok=True)
                shutil.copy2(roster, root / "rosters" / roster.name)
        own = {
            "format": manifest["format"],
            "generator": manifest["generator"],
            "scale": manifest["scale"],
            "seed": manifest["seed"],
            "as_of": manifest["as_of"],
            "province": code,
            "classes": ids.len(),
            "rows": counts,
            "files": checksums(root),
        }
        (root / "world.json").write_text(
            json.dumps(own, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        summary[code] = {"classes": ids.len()}
    sent: dict[str, int] = {}
    for code in away:
        rows = training.filter(_province(pl.col("region_code")) == code).with_columns(
            (pl.lit(f"{code}:") + pl.col("record_key")).alias("record_key")
        )
        write_frame(out / "exchange" / f"{code}.parquet", rows)
        sent[code] = rows.height
    nation = dict(manifest)
    nation.update(provinces=summary, exchange_only=sent, files=checksums(out))
    (out / "world.json").write_text(
        json.dumps(nation, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
