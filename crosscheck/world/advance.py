"""``crosscheck world advance``: move a world forward by days, as registries do.

Each new day writes delta extracts under ``registries/deltas/YYYY-MM-DD/`` (same
columns as the base files, ``updated_at`` on that day): new pension
contributions and business licences for some trainees of classes running that
day, new enrolments elsewhere, and background noise. The findings these must
cause are appended to ``truth/expected_findings`` and ``truth/cases``. The
operational lifecycle (exams, payments) does not move: only the registries the
nightly run pulls.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import polars as pl

from crosscheck import policy
from crosscheck.world import schema
from crosscheck.world.sink import checksums, write_frame

EVENT_RATE = 0.004  # per running trainee and day (at least one event a day)


def advance(root: Path, days: int = 1) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((root / "world.json").read_text(encoding="utf-8"))
    as_of = dt.date.fromisoformat(manifest["as_of"])
    classes = pl.read_parquet(root / "operations/classes.parquet")
    roster = pl.read_parquet(root / "operations/roster_entries.parquet").unique(
        ["class_id", "id_number"], keep="first", maintain_order=True
    )
    people = pl.read_parquet(root / "registries/household_registration.parquet")
    truth = pl.read_parquet(root / "truth/expected_findings.parquet")
    cases = pl.read_parquet(root / "truth/cases.parquet")
    flagged = set(truth["id_number"].drop_nulls())
    for _ in range(days):
        as_of += dt.timedelta(days=1)
        rng = random.Random(manifest["seed"] * 1_000_003 + as_of.toordinal())
        running = (
            classes.filter((pl.col("planned_start") <= as_of) & (pl.col("planned_end") >= as_of))
            .join(roster, on="class_id")
            .join(
                people.select("id_number", "name", "city_code"),
                on="id_number",
                how="inner",
                suffix="_reg",
            )
            .sort("class_id", "seq")
        )
        rows: dict[str, list[dict[str, Any]]] = {t.path: [] for t in schema.REGISTRIES}
        new_truth: list[dict[str, Any]] = []
        new_cases: list[dict[str, Any]] = []
        stamp = dt.datetime.combine(as_of, dt.time(2, 30))
        month = as_of.replace(day=1)
        candidates = [r for r in running.iter_rows(named=True) if r["id_number"] not in flagged]
        picked = rng.sample(
            candidates, min(len(candidates), max(1, round(len(candidates) * EVENT_RATE)))
        )
        for r in sorted(picked, key=lambda r: (r["class_id"], r["seq"])):
            rules = policy.get(r["policy_id"]).rules
            kind = rng.choice(["pension", "licence", "enrolment"])
            n = len(new_cases) + 1
            if (
                kind == "pension"
                and month >= r["planned_start"]
                and "EMPLOYED_DURING_TRAINING" in rules
            ):
                rows["registries/pension_contributions"].append(
                    {
                        "record_key": f"D{as_of:%Y%m%d}P{n:05d}",
                        "id_number": r["id_number"],
                        "name": r["name_reg"],
                        "scheme": "城镇企业职工基本养老保险",
                        "employer_name": "盛京恒通物流有限公司",
                        "employer_credit_code": "91210100MA0QWE5678",
                        "city_code": r["city_code"],
                        "month_from": month,
                        "month_to": month,
                        "updated_at": stamp,
                    }
                )
                code, stage = "EMPLOYED_DURING_TRAINING", "payout"
            elif kind == "licence" and "BUSINESS_DURING_TRAINING" in rules:
                rows["registries/business_licences"].append(
                    {
                        "record_key": f"D{as_of:%Y%m%d}L{n:05d}",
                        "id_number": r["id_number"],
                        "name": r["name_reg"],
                        "role": "operator",
                        "entity_name": "新世纪网店",
                        "credit_code": "92210400MA0NEW001X",
                        "entity_type": "个体工商户",
                        "established_on": as_of,
                        "status": "active",
                        "deregistered_on": None,
                        "updated_at": stamp,
                    }
                )
                code, stage = "BUSINESS_DURING_TRAINING", "payout"
            elif kind == "enrolment" and "CONCURRENT_ENROLMENT" in rules:
                rows["registries/training_records"].append(
                    {
                        "record_key": f"D{as_of:%Y%m%d}T{n:05d}",
                        "id_number": r["id_number"],
                        "name": r["name_reg"],
                        "region_code": "210200",
                        "institution": "大连星辰职业培训学校",
                        "programme": "employment_skills",
                        "class_ref": f"EXT-D{n:05d}",
                        "start_date": as_of,
                        "end_date": as_of + dt.timedelta(days=60),
                        "status": "enrolled",
                        "subsidised": True,
                        "subsidy_fen": 0,
                        "subsidy_paid_on": None,
                        "updated_at": stamp,
                    }
                )
                code, stage = "CONCURRENT_ENROLMENT", "opening"
            else:
                continue
            severity = rules[code].severity.value
            flagged.add(r["id_number"])
            case = f"advance_{kind}"
            new_truth.append(
                {
                    "stage": stage,
                    "class_id": r["class_id"],
                    "id_number": r["id_number"],
                    "rule_code": code,
                    "severity": severity,
                    "policy_id": r["policy_id"],
                    "case": case,
                    "match_level": None,
                }
            )
            new_cases.append(
                {
                    "case": case,
                    "class_id": r["class_id"],
                    "id_number": r["id_number"],
                    "expects": code,
                }
            )
        folder = root / "registries" / "deltas" / as_of.isoformat()
        for path, table_rows in rows.items():
            name = path.split("/")[-1]
            frame = schema.frame(path, table_rows)
            if (folder / f"{name}.parquet").is_file():  # a planted decision's later record
                frame = pl.concat([pl.read_parquet(folder / f"{name}.parquet"), frame])
            write_frame(folder / f"{name}.parquet", frame)
        truth = pl.concat([truth, schema.frame("truth/expected_findings", new_truth)])
        cases = pl.concat([cases, schema.frame("truth/cases", new_cases)])
        manifest.setdefault("deltas", []).append(
            {"day": as_of.isoformat(), "rows": {p: len(v) for p, v in rows.items()}}
        )
    write_frame(root / "truth/expected_findings.parquet", truth)
    write_frame(root / "truth/cases.parquet", cases)
    manifest["as_of"] = as_of.isoformat()
    manifest["files"] = checksums(root)
    (root / "world.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return manifest
