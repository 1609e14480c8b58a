"""Benchmark bulk patient journeys against the existing bulk engine, in the same run.

    PYTHONPATH=. python benchmarks/bench_journeys.py        # 100,000 patients, SQLite + PostgreSQL
    PYTHONPATH=. python benchmarks/bench_journeys.py --patients 5000 --backend sqlite

For each backend: the journeys of N patients (``generate_journeys`` through the bulk
writers, one transaction) and, as the baseline, the bulk engine's scenario scaled to
about the same number of rows (``generate_dataset``, same writers). Both rates count
every row written (journeys: all 13 tables, including journey steps; bulk engine: its 7
tables). The target is ratio >= 0.5 ("within 2x of today's rows/s per row written").

Each measurement runs in a fresh subprocess, so its peak RSS (``ru_maxrss``) is its own:
bounded memory shows as a peak that does not grow with N. Reference data (ZIP codes,
ICD-10-CM) is loaded first by a tiny warm-up and left out of the timings.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 22)
SEED = 20261122
DEFAULT_PG_URL = os.environ.get(
    "HEALTHCARE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BULK_ROWS_PER_SCALE = 14_200  # the bulk scenario at scale 1, conditions and profiles included


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _warm_up() -> None:
    from healthcare_data.bulk import write_dataset
    from healthcare_data.db import Database
    from healthcare_data.generation import DatasetSpec, generate_dataset
    from healthcare_data.journeys import JourneySpec, generate_journeys
    from healthcare_data.randomness import Randomness

    db = Database("sqlite://").create_schema()
    tiny = DatasetSpec(patients=60, providers=4, appointments=40, medical_records=20, insurance_claims=10)
    write_dataset(db, generate_dataset(tiny, Randomness(1, today=TODAY)), pipeline=False)
    db.reset()
    write_dataset(db, generate_journeys(JourneySpec(patients=20), Randomness(1, today=TODAY)), pipeline=False)
    db.dispose()


def _database(backend: str, workdir: Path) -> tuple[str, str | None]:
    """A fresh database URL (and, for PostgreSQL, the admin URL to drop it with)."""
    if backend == "sqlite":
        path = workdir / f"bench_{os.getpid()}_{time.time_ns()}.db"
        return f"sqlite:///{path}", None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"hd_bench_journeys_{os.getpid()}_{time.time_ns() % 10**8}"
    admin = create_engine(DEFAULT_PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(DEFAULT_PG_URL).set(database=name).render_as_string(hide_password=False), DEFAULT_PG_URL


def _drop(url: str, admin_url: str | None) -> None:
    if admin_url is None:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def measure(kind: str, backend: str, size: float, workdir: Path) -> dict[str, Any]:
    """One write run in this process: 'journeys' (size = patients) or 'bulk' (size = scale)."""
    from healthcare_data.bulk import write_dataset
    from healthcare_data.db import Database
    from healthcare_data.generation import DatasetSpec, generate_dataset
    from healthcare_data.journeys import JourneySpec, generate_journeys
    from healthcare_data.randomness import Randomness

    _warm_up()
    base_mb = _max_rss_mb()
    url, admin = _database(backend, workdir)
    try:
        db = Database(url).create_schema()
        rng = Randomness(SEED, today=TODAY)
        if kind == "journeys":
            batches = generate_journeys(JourneySpec(patients=int(size)), rng)
        else:
            batches = generate_dataset(DatasetSpec.bulk_scenario(size), rng)
        started = time.perf_counter()
        result = write_dataset(db, batches, atomic=True)
        seconds = time.perf_counter() - started
        db.dispose()
    finally:
        _drop(url, admin)
    rows = result.total_rows
    return {
        "kind": kind,
        "backend": backend,
        "size": size,
        "rows": rows,
        "tables": result.rows,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "peak_mb": _max_rss_mb(),
        "base_mb": base_mb,
    }


def _in_subprocess(kind: str, backend: str, size: float, workdir: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--_one", kind, backend, str(size), str(workdir)]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    if done.returncode != 0:
        raise SystemExit(f"{kind} on {backend} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--_one", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._one:
        kind, backend, size, workdir = args._one
        print(json.dumps(measure(kind, backend, float(size), Path(workdir))))
        return 0
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    with tempfile.TemporaryDirectory(prefix="bench_journeys_") as tmp:
        for backend in backends:
            journeys = _in_subprocess("journeys", backend, args.patients, Path(tmp))
            scale = round(journeys["rows"] / BULK_ROWS_PER_SCALE, 1)
            bulk = _in_subprocess("bulk", backend, scale, Path(tmp))
            ratio = journeys["rows_per_s"] / bulk["rows_per_s"]
            verdict = "met" if ratio >= 0.5 else "MISSED"
            print(
                f"{backend}: journeys of {args.patients:,} patients: {journeys['rows']:,} rows in "
                f"{journeys['seconds']:.1f} s = {journeys['rows_per_s']:,.0f} rows/s, peak RSS "
                f"{journeys['peak_mb']:.0f} MB (base {journeys['base_mb']:.0f} MB) | bulk engine x{scale}: "
                f"{bulk['rows']:,} rows in {bulk['seconds']:.1f} s = {bulk['rows_per_s']:,.0f} rows/s, "
                f"peak RSS {bulk['peak_mb']:.0f} MB | ratio {ratio:.2f} (target >= 0.50: {verdict})",
                flush=True,
            )
            print(
                "  journey rows per table: " + ", ".join(f"{t} {n:,}" for t, n in journeys["tables"].items()),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
