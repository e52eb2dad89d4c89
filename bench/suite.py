"""The benchmark suite: one command, every scale, every phase in its own process.

    .tools/bin/uv sync --frozen --group bench        # Splink, benchmark-only
    .venv/bin/python bench/suite.py [--scales small,city,province] [--cache DIR]

For each scale it generates (or reuses, under ``--cache``, default
``/tmp/crosscheck-bench-suite``) a world with seed 7, then measures, each phase
in a fresh process so that its peak memory is its own (GNU ``time``):

1. ``load``     — bulk ingest of every source into a fresh warehouse;
2. ``full``     — every class through identity, opening and payout (``run_stages``);
3. ``floor``    — the least work the checks need: one exact-ID join query (floor_bench.py);
4. ``oneclass`` — opening and payout reviews of 50 random classes on the open warehouse;
5. ``delta``    — ``world advance --days 1`` on a copy of the world, the changes pulled
                  over HTTP from the simulator, every class re-checked (delta_bench.py);
6. ``identity`` — crosscheck's identity resolution vs Splink 5 on the fuzzy subset.

Prints a Markdown table per scale, the scaling table, and writes an SVG plot
of time against population (``--plot``, default ``bench/scaling.svg``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SEED = 7


def _emit(**values: Any) -> None:
    print("RESULT " + json.dumps(values, default=str))


# ---------------------------------------------------------------- phases (child processes)


def phase_load(world: str, db: str) -> None:
    from crosscheck import warehouse
    from crosscheck.ingest.run import from_files

    as_of = _as_of(Path(world))
    Path(db).unlink(missing_ok=True)
    con = warehouse.connect(Path(db), create=True)
    t = time.perf_counter()
    _, outcomes = from_files(con, Path(world), as_of=as_of)
    seconds = time.perf_counter() - t
    con.close()
    _emit(seconds=seconds, rows=sum(o.loaded for o in outcomes))


def phase_full(world: str, db: str) -> None:
    from crosscheck import warehouse
    from crosscheck.checks import runner

    con = warehouse.connect(Path(db), create=True)
    t = time.perf_counter()
    summaries = runner.run_stages(
        con, ["identity", "opening", "payout"], "suite-full", as_of=_as_of(Path(world))
    )
    seconds = time.perf_counter() - t
    classes = con.execute("SELECT count(*) FROM classes").fetchall()[0][0]
    con.close()
    _emit(seconds=seconds, classes=classes, findings=sum(s.found for s in summaries))


def phase_floor(world: str, db: str) -> None:
    from floor_bench import FLOOR

    from crosscheck import warehouse

    con = warehouse.connect(Path(db), read_only=True)
    con.execute(FLOOR).fetchall()
    best = math.inf
    for _ in range(3):
        t = time.perf_counter()
        con.execute(FLOOR).fetchall()
        best = min(best, time.perf_counter() - t)
    con.close()
    _emit(seconds=best)


def phase_oneclass(world: str, db: str) -> None:
    from crosscheck import warehouse
    from crosscheck.checks import review

    as_of = _as_of(Path(world))
    con = warehouse.connect(Path(db), create=True)
    ids = [r[0] for r in con.execute("SELECT class_id FROM classes ORDER BY 1").fetchall()]
    sample = random.Random(SEED).sample(ids, min(50, len(ids)))
    review.opening(con, sample[0], as_of)
    result = {}
    for name, call in (
        ("opening", lambda c: review.opening(con, c, as_of)),
        ("payout", lambda c: review.payout(con, [c], as_of)),
    ):
        times = []
        for class_id in sample:
            t = time.perf_counter()
            call(class_id)
            times.append((time.perf_counter() - t) * 1000)
        result[f"{name}_p50"] = statistics.median(times)
        result[f"{name}_p95"] = statistics.quantiles(times, n=20)[18]
    con.close()
    _emit(**result)


def phase_delta(world: str, db: str) -> None:
    from _simulator import TOKEN, simulator

    from crosscheck import warehouse
    from crosscheck.checks import runner
    from crosscheck.ingest.run import from_http
    from crosscheck.world.advance import advance

    scratch = Path(tempfile.mkdtemp(prefix="crosscheck-suite-delta-"))
    try:
        copy_world, copy_db = scratch / "world", scratch / "w.duckdb"
        shutil.copytree(world, copy_world)
        shutil.copy(db, copy_db)
        advance(copy_world, 1)
        as_of = _as_of(copy_world)
        con = warehouse.connect(copy_db, create=True)
        with simulator(copy_world) as (url, _):
            t = time.perf_counter()
            _, outcomes = from_http(con, url, TOKEN, as_of=as_of)
            pulled = time.perf_counter() - t
        t = time.perf_counter()
        summaries = runner.run_stages(
            con, ["identity", "opening", "payout"], "suite-delta", as_of=as_of
        )
        rechecked = time.perf_counter() - t
        con.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    _emit(
        seconds=pulled + rechecked,
        pulled=pulled,
        rechecked=rechecked,
        rows=sum(o.loaded for o in outcomes),
        new=sum(s.new for s in summaries),
    )


def phase_identity(world: str, db: str) -> None:
    import identity_bench as ib

    con, trainees, records = ib.load(Path(db))
    truth = ib.truth_pairs(Path(world), records)
    ours, ours_s = ib.crosscheck_links(con)
    theirs, theirs_s, compared = ib.splink_links(trainees, records)
    _emit(
        truth=len(truth),
        pairs=compared,
        crosscheck_f1=ib.f1(ours, truth)[2],
        crosscheck_s=ours_s,
        splink_f1=ib.f1(theirs, truth)[2],
        splink_s=theirs_s,
    )


PHASES = {
    "load": phase_load,
    "full": phase_full,
    "floor": phase_floor,
    "oneclass": phase_oneclass,
    "delta": phase_delta,
    "identity": phase_identity,
}


def _as_of(world: Path) -> dt.date:
    manifest = json.loads((world / "world.json").read_text(encoding="utf-8"))
    return dt.date.fromisoformat(manifest["as_of"])


# ---------------------------------------------------------------- the driver


def run_phase(name: str, world: Path, db: Path) -> dict[str, Any]:
    command = ["/usr/bin/time", "-f", "MAXRSS %M", sys.executable, __file__, "phase", name]
    done = subprocess.run(
        [*command, str(world), str(db)], capture_output=True, text=True, cwd=HERE, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    result = json.loads(
        next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))[7:]
    )
    rss = next(line for line in done.stderr.splitlines() if line.startswith("MAXRSS "))
    result["peak_mib"] = int(rss.split()[1]) / 1024
    return dict(result)


def world_for(scale: str, cache: Path) -> Path:
    world = cache / f"{scale}-seed{SEED}"
    if not (world / "world.json").exists():
        subprocess.run(
            [sys.executable, "-c", "from crosscheck.cli import main; main()", "world",
             "generate", "--scale", scale, "--seed", str(SEED), "--out", str(world)],
            check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
    return world


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    """Time against population, log–log, one line per phase (hand-drawn SVG)."""
    series = [
        ("bulk load", "load", "#1f5fa8"),
        ("full run", "full", "#c0392b"),
        ("floor", "floor", "#7f8c8d"),
        ("night (delta + re-check)", "delta", "#1e8449"),
        ("one class p50 (opening)", "oneclass", "#d68910"),
    ]
    w, h, left, bottom, top = 640, 380, 70, 50, 20
    xs = [r["people"] for r in rows]
    values = [v for r in rows for _, k, _ in series if (v := _seconds(r, k)) > 0]
    x0, x1 = math.log10(min(xs)) - 0.1, math.log10(max(xs)) + 0.1
    y0, y1 = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))

    def px(x: float) -> float:
        return left + (math.log10(x) - x0) / (x1 - x0) * (w - left - 170)

    def py(y: float) -> float:
        return top + (y1 - math.log10(y)) / (y1 - y0) * (h - top - bottom)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-size="12">']
    for e in range(y0, y1 + 1):
        y = py(10**e)
        parts.append(f'<line x1="{left}" x2="{w - 170}" y1="{y}" y2="{y}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4}" text-anchor="end">{10**e:g} s</text>')
    for r in rows:
        x = px(r["people"])
        parts.append(
            f'<text x="{x}" y="{h - bottom + 18}" text-anchor="middle">{r["scale"]}</text>'
        )
        people = f"{r['people']:,} people"
        parts.append(f'<text x="{x}" y="{h - bottom + 32}" text-anchor="middle">{people}</text>')
    for i, (label, key, colour) in enumerate(series):
        points = [(px(r["people"]), py(_seconds(r, key))) for r in rows if _seconds(r, key) > 0]
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in points]
        parts.append(f'<text x="{w - 160}" y="{top + 16 * i + 10}" fill="{colour}">{label}</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts), encoding="utf-8")


def _seconds(row: dict[str, Any], key: str) -> float:
    phase = row.get(key, {})
    if key == "oneclass":
        return float(phase.get("opening_p50", 0)) / 1000
    return float(phase.get("seconds", 0))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "phase":
        sys.path.insert(0, str(HERE))
        PHASES[sys.argv[2]](sys.argv[3], sys.argv[4])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", default="small,city,province")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/crosscheck-bench-suite"))
    parser.add_argument("--plot", type=Path, default=HERE / "scaling.svg")
    parser.add_argument("--skip", default="", help="phases to leave out, e.g. identity")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    print(
        f"{dt.date.today()}, {platform.machine()}, {__import__('os').cpu_count()} cores, "
        f"Python {platform.python_version()}; `{' '.join(sys.argv)}`"
    )
    rows = []
    for scale in args.scales.split(","):
        world = world_for(scale, args.cache)
        manifest = json.loads((world / "world.json").read_text(encoding="utf-8"))
        db = args.cache / f"{scale}.duckdb"
        row: dict[str, Any] = {
            "scale": scale,
            "people": manifest["rows"]["registries/household_registration"],
            "classes": manifest["rows"]["operations/classes"],
        }
        for name in PHASES:
            if name not in skip:
                row[name] = run_phase(name, world, db)
                print(f"  {scale} {name}: {row[name]}", flush=True)
        rows.append(row)
    print("\n| scale | people | classes | bulk load | full run | floor | ratio | night | "
          "one class p50/p95 (opening) | one class p50/p95 (payout) | crosscheck F1 / s | "
          "Splink F1 / s |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        full, floor = _seconds(r, "full"), _seconds(r, "floor")
        one, ident = r.get("oneclass", {}), r.get("identity", {})
        print(
            f"| {r['scale']} | {r['people']:,} | {r['classes']:,} | "
            f"{_seconds(r, 'load'):.1f} s ({r.get('load', {}).get('peak_mib', 0):,.0f} MiB) | "
            f"{full:.1f} s ({r.get('full', {}).get('peak_mib', 0):,.0f} MiB) | {floor:.2f} s | "
            f"{full / floor if floor else 0:.1f}× | {_seconds(r, 'delta'):.1f} s | "
            f"{one.get('opening_p50', 0):.0f} / {one.get('opening_p95', 0):.0f} ms | "
            f"{one.get('payout_p50', 0):.0f} / {one.get('payout_p95', 0):.0f} ms | "
            f"{ident.get('crosscheck_f1', 0):.3f} / {ident.get('crosscheck_s', 0):.2f} | "
            f"{ident.get('splink_f1', 0):.3f} / {ident.get('splink_s', 0):.2f} |"
        )
    if len(rows) > 1:
        plot(rows, args.plot)
        print(f"\nplot: {args.plot}")


if __name__ == "__main__":
    main()
