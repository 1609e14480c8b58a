"""Performance probes: wall-clock timers and a psutil peak-RSS sampler.

``PeakMemory`` samples the process's resident set size on a background thread
(every ``interval`` seconds) while its ``with`` block runs, so a short spike inside a
batch is seen, not only the before/after values.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from types import TracebackType

import psutil

MB = 1024 * 1024


@dataclass
class Stopwatch:
    """``with Stopwatch() as t: ...`` then ``t.seconds``."""

    started: float = 0.0
    seconds: float = 0.0

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started


@dataclass
class PeakMemory:
    """Peak resident set size of this process while the ``with`` block runs."""

    interval: float = 0.01
    baseline_bytes: int = 0
    peak_bytes: int = 0
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def _rss(self) -> int:
        return int(psutil.Process().memory_info().rss)

    def _sample(self) -> None:
        rss = self._rss()
        self.samples += 1
        if rss > self.peak_bytes:
            self.peak_bytes = rss

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> PeakMemory:
        self.baseline_bytes = self.peak_bytes = self._rss()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="peak-rss", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()

    @property
    def peak_mb(self) -> float:
        return self.peak_bytes / MB

    @property
    def baseline_mb(self) -> float:
        return self.baseline_bytes / MB

    @property
    def growth_mb(self) -> float:
        return (self.peak_bytes - self.baseline_bytes) / MB
