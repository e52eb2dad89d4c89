"""Where crosscheck finds its bundled data and keeps its state.

* Bundled data (region table, calendars, policies) lives in the repository's
  ``data/`` folder; a built wheel carries the same folder as ``crosscheck/_data``.
* State (the DuckDB warehouse, later worlds and reports) lives under
  ``$CROSSCHECK_HOME`` when set, else ``./var`` in the current directory.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir() -> Path:
    """The folder holding the bundled reference data."""
    for candidate in (_PACKAGE / "_data", _PACKAGE.parent / "data"):
        if (candidate / "regions").is_dir():
            return candidate
    raise FileNotFoundError(f"crosscheck's data folder is missing (looked beside {_PACKAGE})")


def home_dir() -> Path:
    """The folder for crosscheck's state: ``$CROSSCHECK_HOME`` or ``./var``."""
    env = os.environ.get("CROSSCHECK_HOME")
    return Path(env).expanduser() if env else Path.cwd() / "var"


def default_warehouse() -> Path:
    """The default warehouse file."""
    return home_dir() / "crosscheck.duckdb"
