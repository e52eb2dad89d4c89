"""Start `crosscheck registry serve` in a subprocess for a benchmark."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

CLI = [sys.executable, "-c", "from crosscheck.cli import main; main()"]
TOKEN = "bench"


@contextmanager
def simulator(world: Path) -> Iterator[tuple[str, float]]:
    """Yield (base URL, seconds the simulator took to come up); stop it afterwards."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.perf_counter()
    server = subprocess.Popen(
        [*CLI, "registry", "serve", "--world", str(world), "--port", str(port), "--token", TOKEN],
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                httpx.get(f"{url}/health", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield url, time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
