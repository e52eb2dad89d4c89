"""``crosscheck world generate``: a deterministic synthetic province.

Same scale and seed, same bytes, on any day: every random choice comes from the
seed, the world has its own "as of" date, and every file is written by a
deterministic writer. See ``data/README.md`` for the layout and columns.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from crosscheck import __version__, policy
from crosscheck.errors import CrosscheckError
from crosscheck.paths import data_dir
from crosscheck.workdays import build as build_calendar
from crosscheck.world import background, decide, directory, emit, plants, rosters, schema
from crosscheck.world.plan import ClassPlan, plan_classes
from crosscheck.world.scales import AS_OF, SCALES, Scale
from crosscheck.world.sink import TableSink, checksums, write_frame
from crosscheck.world.trainees import People, Trainee, make

FORMAT = 1
Progress = Callable[[str], None]


def _assign(
    rng: random.Random,
    subjects: list[Any],
    catalogue: list[plants.Plant],
    fits: Callable[[plants.Plant, Any], bool],
    apply: Callable[[plants.Plant, Any], bool],
    min_cases: int,
    taken: Callable[[plants.Plant, Any], bool],
) -> dict[str, int]:
    """Plant every case at least ``min_cases`` times where it fits, then at its rate."""
    done: dict[str, int] = defaultdict(int)
    order = list(range(len(subjects)))
    rng.shuffle(order)
    for plant in catalogue:
        for i in order:
            if done[plant.name] >= min_cases:
                break
            s = subjects[i]
            if not taken(plant, s) and fits(plant, s) and apply(plant, s):
                done[plant.name] += 1
    for i in order:
        s = subjects[i]
        for plant in catalogue:
            if (
                rng.random() < plant.rate
                and not taken(plant, s)
                and fits(plant, s)
                and apply(plant, s)
            ):
                done[plant.name] += 1
    return done


def generate(
    scale_name: str,
    seed: int,
    out: Path,
    progress: Progress = lambda _: None,
    *,
    decisions: bool = False,
) -> dict[str, Any]:
    """A world of the scale, byte for byte the same for the same seed; with
    ``decisions``, officials' decisions planted on its findings (:mod:`decide`)."""
    scale = SCALES[scale_name]
    # never delete what is not a world
    if (
        out.exists()
        and not (out / "world.json").is_file()
        and (out.is_file() or any(out.iterdir()))
    ):
        raise CrosscheckError(f"{out} 已存在且不是合成世界目录：不会覆盖，请换一个输出目录")
    if seed < 0:
        raise CrosscheckError(f"随机种子 {seed} 应为非负整数")
    tmp = out.with_name(out.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    started = time.perf_counter()
    rng = random.Random(seed)
    cal = build_calendar([data_dir() / "calendar"])  # bundled schedules only: no user state
    policies = policy.load_all()
    institutions = directory.build(rng, scale.classes)
    plans = plan_classes(rng, policies, institutions, scale.classes, cal, AS_OF)
    ctx = plants.Context(rng, People(rng), institutions)
    class_done = _assign(
        rng,
        plans,
        plants.CLASS_PLANTS,
        fits=lambda p, c: p.needs <= set(c.rules),
        apply=lambda p, c: p.apply(c, ctx),
        min_cases=scale.min_cases,
        taken=lambda p, c: any(
            getattr(q, "group", "") == p.group for q in plants.CLASS_PLANTS if q.name in c.plants
        ),
    )
    trainees: dict[str, list[Trainee]] = {}
    for plan in plans:
        trainees[plan.class_id] = [make(rng, ctx.people, plan, i + 1) for i in range(plan.size)]
    everyone = [t for plan in plans for t in trainees[plan.class_id]]
    trainee_done = _assign(
        rng,
        everyone,
        plants.TRAINEE_PLANTS,
        fits=plants.fits,
        apply=lambda p, t: _apply_trainee(p, t, ctx),
        min_cases=scale.min_cases,
        taken=lambda p, t: bool(t.cases),
    )
    progress(f"计划 {len(plans)} 个班、{len(everyone)} 名学员")
    # a generator of their own: the rest of the world is that of the seed without them
    planted = (
        decide.plant(random.Random(seed * 1_000_003 + 15), plans, trainees) if decisions else []
    )

    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    emit.directory_rows(rows, institutions, plans, ctx.extra_venues)
    keys: dict[str, int] = {}
    for plan in plans:
        group = trainees[plan.class_id]
        for t in group:
            emit.trainee_rows(rows, rng, t, keys)
        acc = emit.accounting(plan, group)
        emit.class_rows(rows, rng, plan, group, acc)
        if acc:
            rows["truth/expected_accounting"].append(acc)
        _truth(rows, plan, group)

    sinks = _open_sinks(tmp)
    _background(scale, seed, sinks, progress)
    for path in (t.path for t in schema.REGISTRIES):
        sinks[path].write(schema.frame(path, rows.pop(path, [])))
    for sink in sinks.values():
        sink.close()
    for table in schema.DIRECTORY + schema.OPERATIONS + schema.TRUTH:
        if table.path == "truth/rosters":
            continue
        write_frame(
            tmp / f"{table.path}.parquet", schema.frame(table.path, rows.get(table.path, []))
        )
    if decisions:
        made, expected = decide.rows(planted, AS_OF)
        write_frame(tmp / "decisions/planted.parquet", schema.frame("decisions/planted", made))
        write_frame(
            tmp / "truth/expected_decisions.parquet",
            schema.frame("truth/expected_decisions", expected),
        )
        # the new evidence arrives the night after the decisions: a delta of that day
        later = AS_OF + dt.timedelta(days=1)
        path = "registries/pension_contributions"
        write_frame(
            tmp / f"registries/deltas/{later}/pension_contributions.parquet",
            schema.frame(path, decide.later_rows(planted, later)),
        )
    institutions_by_id = {i.institution_id: i.name for i in institutions}
    roster_truth = rosters.write_all(
        tmp,
        rows["operations/classes"],
        rows["operations/roster_entries"],
        institutions_by_id,
        scale.xlsx_rosters,
    )
    write_frame(tmp / "truth/rosters.parquet", schema.frame("truth/rosters", roster_truth))
    manifest = {
        "format": FORMAT,
        "generator": f"crosscheck {__version__}",
        "scale": scale.name,
        "seed": seed,
        "as_of": AS_OF.isoformat(),
        "plants": {
            "class": dict(sorted(class_done.items())),
            "trainee": dict(sorted(trainee_done.items())),
        },
        **(
            {"decisions": dict(sorted(Counter(p.case for p in planted).items()))}
            if decisions
            else {}
        ),
        "rows": {
            **{p: s.rows for p, s in sinks.items()},
            **{t.path: len(rows.get(t.path, [])) for t in schema.DIRECTORY + schema.OPERATIONS},
        },
        "files": checksums(tmp),
    }
    (tmp / "world.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    if out.exists():  # the previous world, replaced only now that the new one is whole
        shutil.rmtree(out)
    tmp.rename(out)
    progress(f"完成，用时 {time.perf_counter() - started:.1f} 秒")
    return manifest


def _apply_trainee(p: plants.Plant, t: Trainee, ctx: plants.Context) -> bool:
    if not p.apply(t, ctx):
        return False
    t.cases.append(p.name)
    return True


def _truth(rows: dict[str, list[dict[str, Any]]], plan: ClassPlan, group: list[Trainee]) -> None:
    for stage, code, severity, case in plan.extra.get("expected", []):
        rows["truth/expected_findings"].append(
            {
                "stage": stage,
                "class_id": plan.class_id,
                "id_number": None,
                "rule_code": code,
                "severity": severity,
                "policy_id": _owner(plan, code),
                "case": case,
                "match_level": None,
            }
        )
    for case in plan.plants:
        codes = ",".join(c for _, c, _, k in plan.extra.get("expected", []) if k == case)
        rows["truth/cases"].append(
            {"case": case, "class_id": plan.class_id, "id_number": None, "expects": codes}
        )
    from crosscheck import idnumber

    for t in group:
        op_id = idnumber.normalize(t.roster_id)
        for e in t.expected:
            rows["truth/expected_findings"].append(
                {
                    "stage": e.stage,
                    "class_id": plan.class_id,
                    "id_number": op_id,
                    "rule_code": e.code,
                    "severity": e.severity,
                    "policy_id": _owner(plan, e.code),
                    "case": e.case,
                    "match_level": e.match_level,
                }
            )
        for case in t.cases:
            codes = ",".join(e.code for e in t.expected if e.case == case)
            rows["truth/cases"].append(
                {"case": case, "class_id": plan.class_id, "id_number": op_id, "expects": codes}
            )


def _owner(plan: ClassPlan, code: str) -> str:
    return next(p.id for p in [plan.policy, *plan.overlays] if code in p.rules)


def _open_sinks(root: Path) -> dict[str, TableSink]:
    sinks = {}
    for table in schema.REGISTRIES:
        encoding = schema.CSV_FILES.get(table.path)
        if encoding:
            suffix = "gb18030.csv" if encoding == "gb18030" else "csv"
            sinks[table.path] = TableSink(root / f"{table.path}.{suffix}", "csv", encoding)  # type: ignore[arg-type]
        else:
            sinks[table.path] = TableSink(root / f"{table.path}.parquet", "parquet")
    return sinks


def _background(scale: Scale, seed: int, sinks: dict[str, TableSink], progress: Progress) -> None:
    pop = background.Population.start(AS_OF, liaoning_share=0.85)
    chunks = -(-scale.persons // scale.chunk)
    children = np.random.SeedSequence(seed).spawn(chunks)
    for i, child in enumerate(children):
        n = min(scale.chunk, scale.persons - i * scale.chunk)
        rng = np.random.default_rng(child)
        persons = background.people(rng, n, pop)
        for path, frame in background.chunk_tables(rng, persons, pop).items():
            full = f"registries/{path}"
            sinks[full].write(schema.conform(full, frame))
        progress(f"背景人口 {min((i + 1) * scale.chunk, scale.persons):,} / {scale.persons:,}")


def summary(manifest: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame({"file": list(manifest["rows"]), "rows": list(manifest["rows"].values())})
