"""The bad-input catalogue (issue 12): every bad input a user can give the CLI ends in
exactly one clear message in Simplified Chinese naming what, where and why, exit
status 2, never a traceback, and nothing written on refusal. Valid-but-negative
answers exit 1 or 3 as README documents.

The cases are data: ``tests/badinput/catalogue.yaml`` (vocabulary at its top).
Each runs in-process (``crosscheck.cli.main`` with ``sys.argv`` patched) unless it
says ``mode: subprocess`` (commands that could hang or start a server), on its own
``CROSSCHECK_HOME``, with a time limit. A shared tiny world, loaded, checked and
published once per session, is copied per case that needs it.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
CATALOGUE = HERE / "badinput" / "catalogue.yaml"
FIXTURES = HERE / "badinput" / "files"
REPO = HERE.parent
WORLD_AS_OF = "2025-12-20"

CJK = re.compile(r"[\u4e00-\u9fff]")
# English exception class names and library prefixes a user must never see
EXCEPTION_NAMES = re.compile(
    r"\b[A-Z][A-Za-z]*(?:Error|Exception|Warning)\b|\bKeyError\b|\bStopIteration\b"
    r"|\bduckdb\.|\bpolars\.|\bpydantic\b|\bpyarrow\b|\bcalamine\b|\bhttpx\.|\bclick\."
)
# click's English usage boilerplate: a message in Simplified Chinese does not carry it
CLICK_BOILERPLATE = re.compile(
    r"^Usage: |^Try '|─ Error ─|Invalid value|No such option|Missing option|Missing argument"
    r"|Got unexpected extra argument|No such command|is not a valid integer|is not a valid float",
    re.MULTILINE,
)
# C0 control characters other than tab, newline and carriage return
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
BOX = re.compile(r"[\s\u2500-\u257f]+")
# four or more English words in a row: a library's message leaking into a Chinese one
_WORD = r"(?<![\w/.\-'])[A-Za-z]+(?:'[a-z]{1,2})?(?![\w/.\-])"
ENGLISH = re.compile(rf"{_WORD}(?:[ :()\[\]\d]+{_WORD}){{3,}}")  # a, b, c, d: a list
MAX_LINES = 5
MAX_CHARS = 1000


class CaseTimeout(BaseException):
    """Raised by the alarm when an in-process case overruns its time limit."""


@dataclass
class Case:
    id: str
    argv: list[str]
    exit: list[int]
    match: str | None = None
    setup: str = "none"  # none | empty | world
    files: dict[str, Any] = field(default_factory=dict)
    stream: str = "auto"  # err | out | auto (err for exit 2, out otherwise)
    unchanged: bool | str = False  # true: warehouse bytes; "runs": no successful run, same rows
    watch: str = "{db}"
    timeout: float = 20.0
    mode: str = "inprocess"  # inprocess | subprocess
    report: bool = False  # a row-by-row roster report: longer than MAX_LINES is fine
    home: str = "{tmp}/home"
    env: dict[str, str] = field(default_factory=dict)
    absent: list[str] = field(default_factory=list)
    match_exit: list[int] = field(default_factory=list)  # exits `match` applies to (all)
    note: str = ""


def _load() -> tuple[list[Case], dict[str, Any]]:
    data = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    defaults = data.get("defaults", {})
    cases = []
    for raw in data["cases"]:
        raw = {**defaults, **raw}
        code = raw.pop("exit")
        raw["exit"] = code if isinstance(code, list) else [code]
        raw["argv"] = [str(a) for a in raw["argv"]]
        cases.append(Case(**raw))
    return cases, data


CASES, _DATA = _load()


def test_catalogue_is_well_formed() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    bad = [c for c in CASES if c.exit == [2]]
    assert len(bad) >= 150, f"only {len(bad)} bad-input cases (exit 2)"
    for c in CASES:
        assert c.setup in ("none", "empty", "world"), c.id
        assert c.mode in ("inprocess", "subprocess"), c.id
        assert c.stream in ("auto", "err", "out"), c.id
        assert c.unchanged in (True, False, "runs"), c.id
        assert c.match is None or re.compile(c.match), c.id
        assert set(c.exit) <= {0, 1, 2, 3}, c.id


# ---------------------------------------------------------------- the shared worlds


def _create(db: Path) -> Any:
    """Create a warehouse and open it for writing."""
    from crosscheck import warehouse

    return warehouse.connect(db, create=True)


@pytest.fixture(scope="session")
def bad_input_world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny world (seed 7) loaded, checked (every stage) and published, under a home
    of its own; every case that needs it works on a copy of the home."""
    from crosscheck import warehouse
    from crosscheck.checks import runner as check_runner
    from crosscheck.ingest.run import from_files
    from crosscheck.reports.publish import publish_all
    from crosscheck.world.generate import generate

    root = tmp_path_factory.mktemp("badinput")
    world = root / "tiny"
    generate("tiny", 7, world)
    home = root / "home"
    db = home / "crosscheck.duckdb"
    as_of = dt.date.fromisoformat(WORLD_AS_OF)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CROSSCHECK_HOME", str(home))
        con = _create(db)
        try:
            from_files(con, world, as_of=as_of)
            check_runner.run_stages(con, ["identity", "opening", "payout"], "fixture", as_of=as_of)
            publish_all(con, db, as_of)
        finally:
            con.close()
        warehouse.connect(db).close()  # settle the file: opening it again changes no byte
    shutil.rmtree(home / "gx", ignore_errors=True)
    return {"world": world, "home": home}


@pytest.fixture(scope="session")
def empty_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with an initialised, empty warehouse."""
    from crosscheck import warehouse

    home = tmp_path_factory.mktemp("badinput-empty") / "home"
    db = home / "crosscheck.duckdb"
    _create(db).close()
    warehouse.connect(db).close()  # settle the file: opening it again changes no byte
    return home


# ---------------------------------------------------------------- files of a case


def _render(value: str, places: dict[str, str]) -> str:
    for key, path in places.items():
        value = value.replace("{" + key + "}", path)
    return value


def _content(spec: Any, places: dict[str, str]) -> bytes | None:
    """The bytes of one file of a case (None: make a directory)."""
    if isinstance(spec, str):
        return spec.encode("utf-8")
    if spec.get("dir"):
        return None
    encoding = spec.get("encoding", "utf-8")
    if "text" in spec:
        return str(spec["text"]).encode(encoding)
    if "parts" in spec:
        text = "".join(
            p if isinstance(p, str) else str(p["repeat"]) * int(p["times"]) for p in spec["parts"]
        )
        return text.encode(encoding)
    if "hex" in spec:
        return bytes.fromhex(spec["hex"])
    if "b64" in spec:
        return base64.b64decode(spec["b64"])
    if "random" in spec:
        return hashlib.shake_256(str(spec.get("seed", 0)).encode()).digest(int(spec["random"]))
    if "json" in spec:
        value = spec["json"]
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in spec.get("drop", [])}
        text = json.dumps(value, ensure_ascii=False)
        if "truncate" in spec:
            text = text[: int(spec["truncate"])]
        return text.encode(encoding)
    if "fixture" in spec:
        return (FIXTURES / str(spec["fixture"])).read_bytes()
    if "copy" in spec:
        text = Path(_render(spec["copy"], places)).read_text(encoding="utf-8")
        for old, new in spec.get("replace", []):
            assert old in text, f"{old!r} not in {spec['copy']}"
            text = text.replace(old, new)
        return text.encode(spec.get("reencode", "utf-8"))
    if "xlsx" in spec:
        return _xlsx(spec["xlsx"])
    if "rows" in spec:  # a CSV roster: header plus rows, each a list of cells
        lines = [",".join(str(c) for c in row) for row in spec["rows"]]
        return ("\n".join(lines) + "\n").encode(encoding)
    raise AssertionError(f"unknown file spec {spec!r}")


def _xlsx(rows: list[list[Any]]) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, bool) or value is None:
                sheet.write(r, c, value)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, str(value))
    book.close()
    return buffer.getvalue()


# ---------------------------------------------------------------- running a case


@dataclass
class Outcome:
    code: int | None
    out: str
    err: str
    crash: str | None = None  # an exception that escaped main(): type, message, where
    timed_out: bool = False


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [
        f
        for f in frames
        if str(REPO) in f.filename and "/.venv/" not in f.filename and "/tests/" not in f.filename
    ]
    frame = (ours or frames)[-1]
    name = Path(frame.filename)
    shown = name.relative_to(REPO) if name.is_relative_to(REPO) else name
    return f"{shown}:{frame.lineno}"


def _exit_code(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    return 1  # sys.exit("message") prints the message and exits 1


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise CaseTimeout


def run_inprocess(argv: list[str], timeout: float) -> Outcome:
    from crosscheck.cli import main

    out, err = io.StringIO(), io.StringIO()
    code: int | None = None
    crash = None
    timed_out = False
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    old_argv = sys.argv
    umask = os.umask(0o022)  # main() narrows the umask: give the process its own back
    os.umask(umask)
    sys.argv = ["crosscheck", *argv]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except CaseTimeout:
        timed_out = True
    except BaseException as exc:
        crash = f"{type(exc).__module__}.{type(exc).__name__} at {_where(exc)}: {exc}"[:500]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        sys.argv = old_argv
        os.umask(umask)
    return Outcome(code, out.getvalue(), err.getvalue(), crash, timed_out)


def crash_files(home: Path) -> list[str]:
    """What the crash files main() wrote say: the exception and the innermost frame of
    crosscheck's own code (an internal error, exit 70, is never the answer to bad input)."""
    found = []
    for path in sorted((home / "crashes").glob("crash-*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        frames = re.findall(r'File "([^"]+)", line (\d+)', text)
        ours = [(f, n) for f, n in frames if f.startswith(str(REPO)) and "/.venv/" not in f]
        where = ours[-1] if ours else (frames[-1] if frames else ("?", "?"))
        shown = where[0].removeprefix(str(REPO) + "/")
        heads = [line for line in text.splitlines() if re.match(r"^[A-Za-z_][\w.]*: ", line)]
        last = (heads or [line for line in text.splitlines() if line.strip()])[-1][:300]
        found.append(f"{last} at {shown}:{where[1]}")
    return found


def run_subprocess(argv: list[str], timeout: float, env: dict[str, str], cwd: Path) -> Outcome:
    process = subprocess.Popen(
        [sys.executable, "-c", "from crosscheck.cli import main; main()", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
        start_new_session=True,  # the whole group goes on a timeout, servers included
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        return Outcome(
            None, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), timed_out=True
        )
    finally:
        if process.poll() is None:  # never leave a process running
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return Outcome(
        process.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    )


# ---------------------------------------------------------------- "nothing written"


@dataclass
class Snapshot:
    exists: bool
    digest: str | None = None
    runs: list[tuple[Any, ...]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


SKIP_COUNTS = {"runs", "load_state", "quarantine"}


def snapshot(path: Path, deep: bool) -> Snapshot:
    if not path.is_file():
        return Snapshot(False)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if not deep:
        return Snapshot(True, digest)
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return Snapshot(True, digest)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
            ).fetchall()
        ]
        counts = {
            t: int(con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0])
            for t in tables
            if t not in SKIP_COUNTS
        }
        runs = (
            con.execute("SELECT run_id, status FROM runs ORDER BY run_id").fetchall()
            if "runs" in tables
            else []
        )
    finally:
        con.close()
    return Snapshot(True, digest, runs, counts)


def unchanged_problem(mode: bool | str, before: Snapshot, after: Snapshot, path: Path) -> str:
    if not before.exists:
        if after.exists or Path(f"{path}.wal").exists():
            return f"warehouse {path} was created by a refused command"
        return ""
    if not after.exists:
        return f"warehouse {path} was removed"
    if mode == "runs":
        new = [r for r in after.runs if r not in before.runs and r[1] == "succeeded"]
        if new:
            return f"a run was recorded as succeeded: {new}"
        changed = {
            t: (before.counts.get(t), n)
            for t, n in after.counts.items()
            if before.counts.get(t) != n
        }
        if changed:
            return f"rows changed (before, after): {changed}"
        return ""
    if before.digest != after.digest:
        return f"warehouse {path} changed (bytes differ)"
    return ""


# ---------------------------------------------------------------- judging


def problems(case: Case, result: Outcome, written: str) -> list[str]:
    found = []
    both = result.out + "\n" + result.err
    if result.timed_out:
        found.append(f"timed out after {case.timeout:g} s")
    if result.crash:
        found.append(f"exception escaped main(): {result.crash}")
    if result.code is not None and result.code not in case.exit:
        found.append(f"exit {result.code}, expected {' or '.join(map(str, case.exit))}")
    if "Traceback" in both:
        found.append("a traceback was printed")
    if written:
        found.append(written)
    if result.code is None or result.code == 0 or result.code not in case.exit:
        return found  # the message is judged only when the exit status is the expected one
    stream = case.stream if case.stream != "auto" else ("err" if result.code == 2 else "out")
    text = result.err if stream == "err" else result.out
    label = "stderr" if stream == "err" else "stdout"
    if not text.strip():
        found.append(f"nothing on {label}")
        return found
    names = EXCEPTION_NAMES.findall(text)
    if names:
        found.append(f"English exception names on {label}: {sorted(set(names))}")
    if CLICK_BOILERPLATE.search(text):
        found.append(f"English usage boilerplate on {label}")
    if not CJK.search(text):
        found.append(f"no Chinese on {label}")
    if CONTROL.search(text):
        found.append(f"raw control characters echoed on {label}")
    english = ENGLISH.search(text)
    if english and result.code == 2:
        found.append(f"English text on {label}: “{english.group(0)[:80]}”")
    lines = [line for line in text.splitlines() if line.strip()]
    if result.code == 2 and not case.report and len(lines) > MAX_LINES:
        found.append(f"{len(lines)} lines on {label} (at most {MAX_LINES})")
    if result.code == 2 and not case.report and len(text) > MAX_CHARS:
        found.append(f"{len(text)} characters on {label} (at most {MAX_CHARS})")
    if case.match and result.code in (case.match_exit or case.exit):
        flat = BOX.sub("", text)
        if not (re.search(case.match, text) or re.search(case.match, flat)):
            found.append(f"{label} does not match /{case.match}/")
    return found


def _describe(result: Outcome) -> str:
    def ends(text: str) -> str:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) <= 2:
            return " | ".join(lines)[:400]
        return f"{lines[0][:200]} | … | {lines[-1][:200]}"

    return f"exit={result.code}\n  stderr: {ends(result.err)}\n  stdout: {ends(result.out)}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(
    case: Case,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    tmp = tmp_path / "case"
    tmp.mkdir()
    places = {
        "tmp": str(tmp),
        "files": str(FIXTURES),
        "repo": str(REPO),
        "long_digits": "1" * 100_000,
        "long_name": "张" * 100_000,
    }
    home = Path(_render(case.home, places))
    places["home"] = str(home)
    places["db"] = str(home / "crosscheck.duckdb")
    if case.setup == "world" or "{world}" in json.dumps(case.argv) + json.dumps(case.files):
        shared = request.getfixturevalue("bad_input_world")
        places["world"] = str(shared["world"])
    if case.setup == "world":
        shutil.copytree(shared["home"], home)
    elif case.setup == "empty":
        shutil.copytree(request.getfixturevalue("empty_home"), home)
    for name, spec in case.files.items():
        path = Path(_render(name, places))
        path = path if path.is_absolute() else tmp / path
        content = _content(spec, places)
        if content is None:
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
    argv = [_render(a, places) for a in case.argv]
    watched = Path(_render(case.watch, places))
    deep = case.unchanged == "runs"
    before = snapshot(watched, deep) if case.unchanged else None

    monkeypatch.setenv("CROSSCHECK_HOME", str(home))
    monkeypatch.setenv("PREFECT_HOME", str(tmp / "prefect"))
    monkeypatch.delenv("CROSSCHECK_REGISTRY_TOKEN", raising=False)
    for key, value in case.env.items():
        monkeypatch.setenv(key, _render(value, places))
    monkeypatch.chdir(tmp)
    from crosscheck.workdays import _cached

    _cached.cache_clear()
    if case.mode == "subprocess":
        env = {
            "CROSSCHECK_HOME": str(home),
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp),
            "LANG": "C.UTF-8",
            "COLUMNS": "120",
            "PYTHONIOENCODING": "utf-8",
            "PREFECT_HOME": str(tmp / "prefect"),
            "DO_NOT_TRACK": "1",
        } | {k: _render(v, places) for k, v in case.env.items()}
        result = run_subprocess(argv, case.timeout, env, tmp)
    else:
        from crosscheck import cli

        # as a 120-column terminal would show it; `width` is a property computed from the
        # environment, so the attribute behind it is what is set and restored
        for console in (cli.out, cli.err):
            monkeypatch.setattr(console, "_width", 120)
        result = run_inprocess(argv, case.timeout)
    _cached.cache_clear()

    written = ""
    if before is not None:
        written = unchanged_problem(case.unchanged, before, snapshot(watched, deep), watched)
    found = problems(case, result, written)
    found += [f"internal error: {c}" for c in crash_files(home)]
    for name in case.absent:
        if Path(_render(name, places)).exists():
            found.append(f"{_render(name, places)} was created by a refused command")
    if os.environ.get("BADINPUT_REPORT"):  # one JSON line per case, for triage
        with open(os.environ["BADINPUT_REPORT"], "a", encoding="utf-8") as log:
            entry = {
                "id": case.id,
                "argv": case.argv,
                "exit": result.code,
                "expected": case.exit,
                "problems": found,
                "err": result.err[-3000:],
                "out": result.out[-3000:],
            }
            log.write(json.dumps(entry, ensure_ascii=False) + "\n")
    assert not found, (
        f"{case.id}: crosscheck {' '.join(argv)[:300]}\n"
        + "\n".join(f"  - {p}" for p in found)
        + "\n  "
        + _describe(result)
    )
