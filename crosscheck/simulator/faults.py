"""Fault injection and rate limiting, switchable per run (and at run time)."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import asdict, dataclass, fields


@dataclass
class Faults:
    """Shares are per request (0–1); times in milliseconds."""

    latency_ms: int = 0  # added to every request
    error_rate: float = 0.0  # answered with a 5xx
    drop_rate: float = 0.0  # connection closed half-way through the body
    slow_rate: float = 0.0  # answered after ``slow_ms``
    slow_ms: int = 2000
    truncate_rate: float = 0.0  # body cut short (invalid JSON)
    duplicate_rate: float = 0.0  # page repeats the previous page's last record
    seed: int = 0

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)

    def update(self, values: dict[str, float | int]) -> None:
        names = {f.name for f in fields(self)}
        unknown = set(values) - names
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
        for key, value in values.items():
            setattr(self, key, type(getattr(self, key))(value))


class Dice:
    """A seeded, thread-safe source of fault decisions."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.lock = threading.Lock()

    def roll(self, share: float) -> bool:
        if share <= 0:
            return False
        with self.lock:
            return self.rng.random() < share


class RateLimiter:
    """A token bucket per client token: ``rate`` requests a second, ``burst`` at once."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, burst
        self.state: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when the request may go ahead, else the seconds to wait."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        with self.lock:
            tokens, last = self.state.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1:
                self.state[client] = (tokens - 1, now)
                return 0.0
            self.state[client] = (tokens, now)
            return (1 - tokens) / self.rate
