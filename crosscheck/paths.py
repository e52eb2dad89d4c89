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


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by their owner only (0700)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def secure_home() -> Path:
    """Create the state folder 0700, or narrow an existing one of ours to 0700 (the
    warehouse, snapshots, uploads and reports hold personal data: issue 12, item 10).
    A shared folder (sticky bit, like /tmp), ``/`` and the user's home are left as
    they are."""
    home = home_dir()
    ensure_private_dir(home)
    try:
        st = home.stat()
        shared = st.st_mode & 0o1000 or home.resolve() in (Path("/"), Path.home().resolve())
        if st.st_uid == os.getuid() and st.st_mode & 0o077 and not shared:
            home.chmod(0o700)
    except OSError:
        pass  # a folder we may use but not change
    return home


def private_files() -> None:
    """From now on this process creates files readable by their owner only (umask
    077): the warehouse, its WAL, snapshots, uploads, reports and logs."""
    os.umask(0o077)


def default_warehouse() -> Path:
    """The default warehouse file."""
    return home_dir() / "crosscheck.duckdb"
