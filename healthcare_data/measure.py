"""Measured generation: a dataset written with its wall-clock time and peak memory.

``PeakMemory`` samples the process's resident set size on a background thread
(every ``interval`` seconds) while its ``with`` block runs, so a short spike inside a
batch is seen, not only the before/after values. :func:`measured_write` generates and
writes a :class:`~healthcare_data.generation.DatasetSpec` under both probes, so a pytest
user and the behave bulk scenario time the same call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType

import psutil

from healthcare_data.bulk import WriteResult, write_dataset
from healthcare_data.db import Database
from healthcare_data.generation import TABLE_ORDER, DatasetSpec, generate_dataset
from healthcare_data.randomness import Randomness

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

    def summary(
        self, limit_mb: float | None = None, growth_limit_mb: float | None = None
    ) -> dict[str, object]:
        """Baseline, peak and growth (MB), samples taken and the limits judged against, as a table row."""
        return {
            "baseline MB": round(self.baseline_mb, 1),
            "peak MB": round(self.peak_mb, 1),
            "growth MB": round(self.growth_mb, 1),
            "samples": self.samples,
            "limit MB": limit_mb,
            "growth limit MB": growth_limit_mb,
        }

    @property
    def peak_mb(self) -> float:
        return self.peak_bytes / MB

    @property
    def baseline_mb(self) -> float:
        return self.baseline_bytes / MB

    @property
    def growth_mb(self) -> float:
        return (self.peak_bytes - self.baseline_bytes) / MB


@dataclass
class MeasuredWrite:
    """A dataset generated and written: the spec, the writer's result, memory and seconds."""

    spec: DatasetSpec
    result: WriteResult
    memory: PeakMemory
    seconds: float

    def entity_seconds(self, entities: Iterable[str]) -> dict[str, float]:
        """Seconds per entity type, a type owning the tables streamed after it (patients:
        patients, patient_conditions, patient_profiles) in the engine's TABLE_ORDER."""
        owner: str | None = None
        out = dict.fromkeys(entities, 0.0)
        for table in TABLE_ORDER:
            if table in out:
                owner = table
            if owner is not None:
                out[owner] += self.result.seconds.get(table, 0.0)
        return out

    def summary_rows(self, stored: Mapping[str, int], limits: Mapping[str, float]) -> list[dict[str, object]]:
        """One row per entity of ``limits`` (rows stored, seconds, rows/s, limit, memory), then the total."""
        seconds = self.entity_seconds(limits)
        rows = [self._row(e, stored[e], seconds[e], limits[e]) for e in limits]
        return [*rows, self._row("total", sum(stored.values()), self.seconds, None)]

    def _row(self, entity: str, count: int, seconds: float, limit: float | None) -> dict[str, object]:
        return {
            "entity": entity,
            "count": count,
            "seconds": round(seconds, 3),
            "rows/s": round(count / seconds) if seconds else None,
            "limit s": limit,
            "peak MB": round(self.memory.peak_mb, 1),
            "growth MB": round(self.memory.growth_mb, 1),
        }


def measured_write(db: Database, spec: DatasetSpec, rng: Randomness, *, batch_size: int) -> MeasuredWrite:
    """Generate ``spec`` with ``rng`` into ``db``, timed and with peak memory sampled."""
    with PeakMemory() as memory, Stopwatch() as watch:
        result = write_dataset(db, generate_dataset(spec, rng, batch_size=batch_size))
    return MeasuredWrite(spec, result, memory, watch.seconds)
