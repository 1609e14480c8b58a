"""Benchmark the any-schema path against the project's own bulk engine, same run, same machine.

    PYTHONPATH=. python benchmarks/bench_anyschema.py                  # 1,000,000 rows, SQLite + PostgreSQL
    PYTHONPATH=. python benchmarks/bench_anyschema.py --rows 100000 --backend sqlite

The any-schema side fills the multi-tenant SaaS test schema (tenants, users, projects,
memberships with a composite key, tasks with CHECKs) through introspect -> plan ->
generate; the baseline is the bulk engine (``generate_dataset`` + ``write_dataset``)
writing the project's own schema, scaled to the same number of rows. Each measurement
runs in a fresh subprocess so its peak RSS (``ru_maxrss``) is its own.
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
import uuid
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get(
    "HEALTHCARE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TODAY = date(2026, 11, 22)
SHARES = {"tenants": 0.001, "users": 0.2, "projects": 0.1, "memberships": 0.3, "tasks": 0.399}


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _database(backend: str, workdir: Path) -> tuple[str, Any]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if backend == "sqlite":
        return f"sqlite:///{workdir / f'bench_{uuid.uuid4().hex[:6]}.db'}", lambda: None
    name = f"hd_bench_any_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False), drop


def measure_anyschema(args: dict[str, Any]) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from healthcare_data.anyschema import generate, introspect
    from healthcare_data.db import make_engine
    from tests.schemas import saas

    url, drop = _database(args["backend"], Path(args["workdir"]))
    try:
        engine = make_engine(url)
        saas().create_all(engine)
        engine.dispose()
        plan = introspect(url)
        for name, share in SHARES.items():
            plan.tables[name].rows = round(args["rows"] * share)
        started = time.perf_counter()
        result = generate(plan, database_url=url, seed=1, batch_size=args["batch_size"], today=TODAY)
        seconds = time.perf_counter() - started
    finally:
        drop()
    return {"rows": result.total_rows, "seconds": seconds, "peak_rss_mb": _max_rss_mb()}


def measure_bulk(args: dict[str, Any]) -> dict[str, Any]:
    from healthcare_data.bulk import write_dataset
    from healthcare_data.db import Database
    from healthcare_data.generation import DatasetSpec, generate_dataset
    from healthcare_data.randomness import Randomness

    url, drop = _database(args["backend"], Path(args["workdir"]))
    try:
        db = Database(url).create_schema()
        spec = DatasetSpec.bulk_scenario(args["rows"] / 11_200)
        started = time.perf_counter()
        result = write_dataset(
            db, generate_dataset(spec, Randomness(1, today=TODAY), batch_size=args["batch_size"])
        )
        seconds = time.perf_counter() - started
        db.dispose()
    finally:
        drop()
    return {"rows": result.total_rows, "seconds": seconds, "peak_rss_mb": _max_rss_mb()}


def run_child(kind: str, args: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, json.dumps(args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"{kind} failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, payload = args.child
        measure = {"anyschema": measure_anyschema, "bulk": measure_bulk}[kind]
        print(json.dumps(measure(json.loads(payload))))
        return
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    print(
        f"{'backend':<11}{'path':<34}{'rows':>10}{'seconds':>9}{'rows/s':>9}{'peak RSS MB':>13}{'vs bulk':>9}"
    )
    with tempfile.TemporaryDirectory() as workdir:
        for backend in backends:
            payload = {
                "backend": backend,
                "rows": args.rows,
                "batch_size": args.batch_size,
                "workdir": workdir,
            }
            bulk = run_child("bulk", payload)
            anys = run_child("anyschema", payload)
            for label, r in (("bulk engine, own schema", bulk), ("any-schema, SaaS schema (5 tables)", anys)):
                rate = r["rows"] / r["seconds"]
                ratio = rate / (bulk["rows"] / bulk["seconds"])
                print(
                    f"{backend:<11}{label:<34}{r['rows']:>10,}{r['seconds']:>9.1f}{rate:>9,.0f}"
                    f"{r['peak_rss_mb']:>13.0f}{ratio:>8.2f}x"
                )
            sys.stdout.flush()


if __name__ == "__main__":
    main()
