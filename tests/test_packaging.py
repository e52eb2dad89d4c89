"""The wheel (issue 12, item 16): one top-level package, `crosscheck`, with the
repository's checks/, connectors/, flows/ and reports/ inside it and no tests —
installed into a clean virtual environment, `crosscheck demo` runs from it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO


def _uv() -> str:
    found = REPO / ".tools" / "bin" / "uv"  # scripts/dev installs it there
    uv = str(found) if found.exists() else shutil.which("uv")
    assert uv, "uv is needed to build the wheel: run scripts/dev setup"
    return uv


def test_the_wheel_installs_one_package_and_the_demo_runs_from_it(tmp_path: Path) -> None:
    uv = _uv()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CROSSCHECK_HOME")}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(tmp_path / "dist"), str(REPO)],
        check=True,
        capture_output=True,
        env=env,
    )
    wheel = next((tmp_path / "dist").glob("crosscheck-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"crosscheck"}
    for sub in ("checks", "connectors", "flows", "reports"):
        assert f"crosscheck/{sub}/__init__.py" in names, sub
    assert not [n for n in names if "/tests/" in n or n.startswith("tests/")]
    assert len(names) == len(set(names))

    venv = tmp_path / "venv"
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True, env=env)
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), str(wheel)],
        check=True,
        capture_output=True,
        env=env,
    )
    elsewhere = tmp_path / "elsewhere"  # not the checkout: nothing importable by accident
    elsewhere.mkdir()
    probe = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import importlib.util as u, crosscheck.checks.runner; "
            "print([m for m in ('checks', 'connectors', 'flows', 'reports', 'tests') "
            "if u.find_spec(m)])",
        ],
        cwd=elsewhere,
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    assert probe.stdout.strip() == "[]"
    demo = subprocess.run(
        [str(venv / "bin" / "crosscheck"), "demo"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env={**env, "CROSSCHECK_HOME": str(tmp_path / "home"), "COLUMNS": "120"},
        timeout=600,
    )
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    assert "完成" in demo.stdout
    assert (tmp_path / "home" / "reports").is_dir()
