"""Wall time per protocol stage (the report's ``provenance.timings``; never part of the numbers)."""

from __future__ import annotations

import time
from contextlib import contextmanager


class Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.start = time.perf_counter()

    @contextmanager
    def stage(self, name: str):
        t = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(self.timings.get(name, 0.0) + time.perf_counter() - t, 3)

    @property
    def total(self) -> float:
        return round(time.perf_counter() - self.start, 3)
