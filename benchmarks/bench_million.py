"""The 1,000,000-patient runs of issue 14: rows/s and the peak RSS of every process.

    PYTHONPATH=. nice -n 10 python benchmarks/bench_million.py sqlite --workers 2
    PYTHONPATH=. nice -n 10 python benchmarks/bench_million.py postgresql --workers 2
    PYTHONPATH=. nice -n 10 python benchmarks/bench_million.py postgresql-copy --workers 2
    PYTHONPATH=. nice -n 10 python benchmarks/bench_million.py ndjson --workers 2
    PYTHONPATH=. nice -n 10 python benchmarks/bench_million.py parquet --workers 2
    PYTHONPATH=. python benchmarks/bench_million.py ndjson --scale 1 --workers 1   # quick check

The dataset is ``DatasetSpec.bulk_scenario(scale)`` (default x1000: 1,000,000 patients,
200,000 providers, 5,000,000 appointments, 3,000,000 records, 2,000,000 claims, plus
their conditions and profiles: ~14.2M rows). SQLite and PostgreSQL are written by the
parent in one transaction with deferred indexes while the workers generate;
``postgresql-copy`` has each worker COPY its own shards into staging tables that the one
transaction moves in (what ``seed --reset`` does on PostgreSQL with workers > 1); NDJSON
and Parquet are written by the workers themselves as part files
(:func:`healthcare_data.parts.write_parts`).

Why a script of its own: the run takes tens of minutes on this machine, so it prints a
progress line every ``--every`` seconds (rows so far, rows/s, the largest RSS of any
process so far): a run cut short still gives a rate. The last line is
``RESULT target=... rows=... seconds=... rows_per_s=... peak_mb_parent=...
peak_mb_largest_other=... processes=...``. RSS is sampled (psutil, every 0.5 s) for this
process and every descendant (forkserver workers are grandchildren).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

TODAY = date(2026, 11, 22)
SEED = 20261122
TARGETS = ("sqlite", "postgresql", "postgresql-copy", "ndjson", "parquet")
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class Memory:
    """Peak RSS per process (this one and every descendant), sampled in a thread."""

    def __init__(self, every: float = 0.5) -> None:
        import psutil

        self.me = psutil.Process()
        self.peaks: dict[int, float] = {}
        self.cpu: dict[int, float] = {}  # user + system seconds, last seen per process
        self._stop = threading.Event()
        self._every = every
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        while not self._stop.wait(self._every):
            for process in [self.me, *self.me.children(recursive=True)]:
                try:
                    mb = process.memory_info().rss / 2**20
                    times = process.cpu_times()
                except psutil.Error:
                    continue
                self.peaks[process.pid] = max(self.peaks.get(process.pid, 0.0), mb)
                self.cpu[process.pid] = times.user + times.system

    def parent(self) -> float:
        return self.peaks.get(self.me.pid, 0.0)

    def largest_other(self) -> float:
        return max((mb for pid, mb in self.peaks.items() if pid != self.me.pid), default=0.0)

    def others_cpu(self) -> float:
        return sum(cpu for pid, cpu in list(self.cpu.items()) if pid != self.me.pid)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _own_cpu() -> float:
    own = os.times()
    return own.user + own.system


class Progress:
    """Counts rows and prints a line every ``every`` seconds."""

    def __init__(self, memory: Memory, every: float) -> None:
        self.rows = 0
        self.started = time.perf_counter()
        self.memory = memory
        self.every = every
        self.last = self.started

    def add(self, rows: int) -> None:
        self.rows += rows
        now = time.perf_counter()
        if now - self.last >= self.every:
            self.last = now
            elapsed = now - self.started
            print(
                f"progress {elapsed:8.0f} s {self.rows:>12,} rows {self.rows / elapsed:>9,.0f} rows/s "
                f"parent {self.memory.parent():.0f} MB, largest other {self.memory.largest_other():.0f} MB, "
                f"CPU s parent {_own_cpu():.0f} others {self.memory.others_cpu():.0f}, "
                f"load {os.getloadavg()[0]:.1f}",
                flush=True,
            )

    def through(self, batches: Iterable[Any]) -> Iterator[Any]:
        for batch in batches:
            yield batch
            self.add(len(batch))


def _pg_database() -> tuple[str, Any]:
    """This run's own PostgreSQL database and the function that drops it (``scripts/pg_scratch.py``)."""
    import subprocess

    script = Path(__file__).resolve().parents[1] / "scripts" / "pg_scratch.py"
    name = f"bench_million_{os.getpid()}"

    def scratch(action: str) -> str:
        done = subprocess.run(
            [sys.executable, str(script), action, PG_ADMIN, name], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    return scratch("create"), lambda: scratch("drop")


def run(target: str, scale: float, workers: int, every: float, work: Path) -> dict[str, Any]:
    from healthcare_data.generation import DatasetSpec, generate_dataset
    from healthcare_data.randomness import Randomness

    memory = Memory()
    progress = Progress(memory, every)
    spec = DatasetSpec.bulk_scenario(scale)
    rng = Randomness(SEED, today=TODAY)
    started = time.perf_counter()
    if target in ("ndjson", "parquet"):
        from healthcare_data.parts import write_parts

        result = write_parts(
            spec, rng, work / "out", target, workers=workers, progress=lambda table, rows: progress.add(rows)
        )
        rows = sum(result.values())
    else:
        from healthcare_data.bulk import write_dataset
        from healthcare_data.db import Database

        drop = None
        if target == "sqlite":
            url = f"sqlite:///{work / 'million.db'}"
        else:
            url, drop = _pg_database()
        db = Database(url).create_schema()
        try:
            if target == "postgresql-copy":  # each worker COPYs its shards (what seed does)
                from healthcare_data import pg_shards

                with pg_shards.staging(db) as stage, db.write_transaction(60) as conn:
                    written = pg_shards.write_sharded(
                        db, conn, stage, spec, rng, 5000, workers, progress=lambda _t, n, _s: progress.add(n)
                    )
            else:
                batches = generate_dataset(spec, rng, 5000, workers=workers)
                written = write_dataset(db, progress.through(batches), atomic=True, defer_indexes=True)
            rows = written.total_rows
        finally:
            db.dispose()
            if drop is not None:
                drop()
    seconds = time.perf_counter() - started
    memory.stop()
    parent_cpu = _own_cpu()
    others_cpu = memory.others_cpu()
    return {
        "target": target,
        "workers": workers,
        "scale": scale,
        "rows": rows,
        "seconds": round(seconds, 1),
        "rows_per_s": round(rows / seconds),
        "peak_mb_parent": round(memory.parent()),
        "peak_mb_largest_other": round(memory.largest_other()),
        "processes": len(memory.peaks),
        # Load-independent figures: CPU seconds of this process and of the others (sampled,
        # so a worker's last 0.5 s may be missing), and the rate an idle machine with
        # ``workers`` cores would reach if the busiest side (parent, or the workers'
        # share) were the bound.
        "parent_cpu_s": round(parent_cpu, 1),
        "others_cpu_s": round(others_cpu, 1),
        "rows_per_cpu_s": round(rows / (parent_cpu + others_cpu)),
        "idle_projection_rows_per_s": round(rows / max(parent_cpu, (parent_cpu + others_cpu) / workers)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("target", choices=TARGETS)
    parser.add_argument("--scale", type=float, default=1000.0, help="x1000 = 1,000,000 patients")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--every", type=float, default=60.0, help="seconds between progress lines")
    parser.add_argument("--dir", help="where the files/database go (default: a temporary directory)")
    args = parser.parse_args()
    work = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="bench_million_"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"# {args.target}, scale x{args.scale:g}, {args.workers} worker(s), {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f} at start, output under {work}", flush=True)
    try:
        figures = run(args.target, args.scale, args.workers, args.every, work)
    finally:
        if not args.dir:
            shutil.rmtree(work, ignore_errors=True)
    figures["load_end"] = round(os.getloadavg()[0], 1)
    print("RESULT " + " ".join(f"{k}={v}" for k, v in figures.items()))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
