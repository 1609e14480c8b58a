"""Whole-process and multi-worker figures, measured in one run beside the peers.

    PYTHONPATH=. python benchmarks/bench_parallel.py                  # workload + scale 10, 1 vs 2 workers
    PYTHONPATH=. python benchmarks/bench_parallel.py --scale 100 --repeats 1

Three tables, every figure from this run on this machine (compare ratios):

1. The peers' 11,200-row workload (1,000 patients, 200 providers, 5,000 appointments,
   3,000 records, 2,000 claims) into a fresh SQLite file, as whole processes
   (interpreter start included): the project with 1 and 2 workers, Faker + Core and
   mimesis + Core (``../shared/bench/peers``, run with ``/tmp/peers/bin/python``), and
   the raw ``sqlite3.executemany`` ceiling; plus each one's in-process rows/s.
2. Scale ``--scale`` (x10 = 142,000 rows) with 1 and 2 workers to NDJSON files, to
   SQLite, and to NDJSON with the shards on a Dask LocalCluster of 1 and 2 worker
   processes (started before the clock): seconds, rows/s, speed-up, CPU seconds of the
   parent, peak RSS of the parent and of the largest worker.
3. ``--targets postgresql``: ``seeding.seed`` into a scratch PostgreSQL database
   (``HEALTHCARE_TEST_POSTGRES_URL``'s server), 1 worker (the single writer's COPY) vs 2
   (each worker COPYs its shards, :mod:`healthcare_data.pg_shards`); rows per CPU-second
   count this process and its workers; the server's backends serving the run's database
   are sampled apart ("server CPU s", psutil every 0.1 s: a lower bound, a backend's
   last tenth of a second and connections shorter than that are missed; empty where the
   server's processes cannot be read).

    PYTHONPATH=. python benchmarks/bench_parallel.py --no-workload --targets postgresql --scale 20

Each measurement runs in a fresh process; the median of ``--repeats`` is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PEERS = Path(os.environ.get("HEALTHCARE_PEERS_DIR", ROOT.parent / "shared" / "bench" / "peers"))
if not PEERS.is_dir():  # from a worktree: /work/wt/issueN -> /work/shared
    PEERS = ROOT.parent.parent / "shared" / "bench" / "peers"
PEERS_PYTHON = Path(os.environ.get("HEALTHCARE_PEERS_PYTHON", "/tmp/peers/bin/python"))
TODAY = date(2026, 11, 22)
SEED = 20261122
ENTITY_TABLES = ("patients", "providers", "appointments", "medical_records", "insurance_claims")


class _PeakRss:
    """Samples the RSS of every descendant process (forkserver workers are grandchildren,
    so ``RUSAGE_CHILDREN`` does not see them) every 0.2 s; keeps the largest."""

    def __init__(self) -> None:
        import threading

        self.peak = 0.0
        self.cpu: dict[int, float] = {}  # user + system seconds of each descendant, last seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.sample()

    def sample(self) -> dict[int, float]:
        """Record every descendant's RSS and CPU seconds now; returns the CPU seconds."""
        import psutil

        for process in psutil.Process().children(recursive=True):
            try:
                self.peak = max(self.peak, process.memory_info().rss / 2**20)
                times = process.cpu_times()
            except psutil.Error:
                continue
            self.cpu[process.pid] = times.user + times.system
        return dict(self.cpu)

    def cpu_since(self, before: dict[int, float]) -> float:
        """CPU seconds the descendants spent since ``before`` (a Dask cluster's start excluded)."""
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in self.sample().items())

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


class _Backends:
    """CPU seconds of the PostgreSQL backends serving ``db``'s database (not this
    sampler's own), sampled every 0.1 s until :meth:`stop`; None if they cannot be read."""

    def __init__(self, db: Any) -> None:
        import threading

        self.db = db
        self.cpu: dict[int, float] = {}
        self.readable = True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil
        from sqlalchemy import text

        with self.db.engine.connect() as conn:
            while not self._stop.wait(0.1):
                pids = conn.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid()"
                    )
                ).scalars()
                conn.rollback()
                for pid in pids:
                    try:
                        times = psutil.Process(pid).cpu_times()
                    except psutil.AccessDenied:
                        self.readable = False
                        return
                    except psutil.Error:
                        continue
                    self.cpu[pid] = times.user + times.system

    def stop(self) -> float | None:
        self._stop.set()
        self._thread.join()
        return sum(self.cpu.values()) if self.readable else None


def child(target: str, scale: float, workers: int, out: str) -> None:
    """One run in this (fresh) process; prints a JSON line."""
    started = time.perf_counter()
    sampler = _PeakRss()
    from healthcare_data.bulk import stream_to_ndjson, write_dataset
    from healthcare_data.db import Database
    from healthcare_data.generation import DatasetSpec, generate_dataset
    from healthcare_data.randomness import Randomness

    spec = DatasetSpec.bulk_scenario(scale)
    cluster = None
    scheduler = None
    if target == "dask":  # a cluster that already runs, as on a real one: its start is not timed
        from distributed import LocalCluster

        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        scheduler = cluster.scheduler_address
    rng = Randomness(SEED, today=TODAY)
    begun = time.perf_counter()
    cpu_begun = time.process_time()
    others_begun = sampler.sample()
    if target in ("ndjson", "parquet", "dask"):  # the workers write their own part files
        from healthcare_data.parts import write_parts

        fmt = "ndjson" if target == "dask" else target
        counts = write_parts(spec, rng, out, fmt, workers=workers, dask_scheduler=scheduler)
        rows, entity = sum(counts.values()), sum(counts.get(t, 0) for t in ENTITY_TABLES)
    elif target == "ndjson-one-writer":  # every row back to this process, which writes it
        batches = generate_dataset(spec, rng, 5000, workers=workers)
        result = stream_to_ndjson(batches, out)
        rows, entity = result.total_rows, sum(result.rows.get(t, 0) for t in ENTITY_TABLES)
    elif target == "postgresql":  # seeding.seed: the workers COPY their own shards when > 1
        from healthcare_data import seeding

        db = Database(_pg_scratch("create", out)).create_schema()
        server = _Backends(db)
        begun = time.perf_counter()
        cpu_begun = time.process_time()
        others_begun = sampler.sample()
        seeded = seeding.seed(
            "minimal", db, seed=SEED, counts={**spec.counts, "locations": 2 * max(1, round(scale))},
            tenants=max(1, round(scale)), workers=workers,
            validate=False, today=TODAY,
        )
        rows, entity = seeded.write.total_rows, sum(seeded.write.rows.get(t, 0) for t in ENTITY_TABLES)
        server_cpu = server.stop()
        db.dispose()
    else:
        db = Database(f"sqlite:///{out}").create_schema()
        batches = generate_dataset(spec, rng, 5000, workers=workers)
        begun = time.perf_counter()
        cpu_begun = time.process_time()
        others_begun = sampler.sample()
        written = write_dataset(db, batches, atomic=True, defer_indexes=True)
        rows, entity = written.total_rows, sum(written.rows.get(t, 0) for t in ENTITY_TABLES)
        db.dispose()
    done = time.perf_counter()
    others_cpu = sampler.cpu_since(others_begun)
    run_cpu = time.process_time() - cpu_begun  # the parent's, imports excluded
    if cluster is not None:
        cluster.close()
    if target == "postgresql":
        _pg_scratch("drop", out)
    print(
        json.dumps(
            {
                "rows": rows,
                "entity_rows": entity,
                "run_s": done - begun,
                "process_s": done - started,
                "parent_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "workers_cpu_s": others_cpu,
                "worker_mb": sampler.stop(),
                "run_cpu_s": run_cpu,
                "server_cpu_s": server_cpu if target == "postgresql" else None,
                "parent_cpu_s": resource.getrusage(resource.RUSAGE_SELF).ru_utime
                + resource.getrusage(resource.RUSAGE_SELF).ru_stime,
            }
        )
    )


def _pg_scratch(action: str, out: str) -> str:
    """Create or drop the run's own PostgreSQL database (named after its temp directory,
    so concurrent runs never share one) with ``scripts/pg_scratch.py``; returns its URL."""
    admin_url = os.environ.get("HEALTHCARE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    name = "bench_" + re.sub(r"[^a-z0-9]", "_", Path(out).parent.name.lower())
    script = Path(__file__).resolve().parents[1] / "scripts" / "pg_scratch.py"
    done = subprocess.run(
        [sys.executable, str(script), action, admin_url, name], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(command: list[str], cwd: Path | None = None) -> tuple[float, str]:
    """Wall seconds and stdout of a whole process; its CPU seconds go to ``_run.cpu``
    (user + system of it and the children it waited for: the load-independent figure
    on a shared machine)."""
    cpu = _cpu_of_children()
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    _run.cpu = _cpu_of_children() - cpu  # type: ignore[attr-defined]
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return wall, done.stdout


def project(target: str, scale: float, workers: int, repeats: int) -> dict[str, float]:
    runs = []
    for _ in range(repeats):
        work = Path(tempfile.mkdtemp(prefix="bench_parallel_"))
        out = work / ("bench.db" if target == "sqlite" else "out")
        command = [sys.executable, __file__, "--child", target, str(scale), str(workers), str(out)]
        wall, stdout = _run(command)
        figures = json.loads(stdout.strip().splitlines()[-1])
        figures["wall_s"] = wall
        figures["cpu_s"] = _run.cpu  # type: ignore[attr-defined]
        runs.append(figures)
        shutil.rmtree(work, ignore_errors=True)
    keys = runs[0].keys()
    known = [k for k in keys if all(r[k] is not None for r in runs)]
    return {k: statistics.median(r[k] for r in runs) if k in known else None for k in keys}


def peer(script: str, repeats: int, *args: str) -> dict[str, float] | None:
    if not PEERS_PYTHON.exists() or not (PEERS / script).exists():
        return None
    runs = []
    for _ in range(repeats):
        work = Path(tempfile.mkdtemp(prefix="bench_peer_"))
        (work / "out").mkdir()
        wall, stdout = _run([str(PEERS_PYTHON), str(PEERS / script), *args], cwd=work)
        shutil.rmtree(work, ignore_errors=True)
        lines = [line for line in stdout.splitlines() if line.startswith(("RESULT", "CEILING"))]
        runs.append((wall, _run.cpu, lines))  # type: ignore[attr-defined]
    return {
        "wall_s": statistics.median(r[0] for r in runs),
        "cpu_s": statistics.median(r[1] for r in runs),
        "lines": runs[len(runs) // 2][2],
    }


def _in_process(line: str) -> tuple[int, float]:
    rows = int(re.search(r"rows=(\d+)", line).group(1))
    seconds = float(re.search(r"(?:in_process_s|median_s)=([\d.]+)", line).group(1))
    return rows, seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--child", nargs=4, metavar=("TARGET", "SCALE", "WORKERS", "OUT"), help=argparse.SUPPRESS
    )
    parser.add_argument("--scale", type=float, default=10.0, help="scale of the 1 vs 2 workers table (x10)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--targets",
        default="ndjson,parquet,ndjson-one-writer,sqlite,dask",
        help="of the 1 vs 2 workers table: ndjson/parquet (part files written by the workers), "
        "ndjson-one-writer (the stream, written by the parent), sqlite, dask (NDJSON parts), "
        "postgresql (seed; 2 workers COPY their own shards)",
    )
    parser.add_argument("--no-workload", action="store_true", help="skip the x1 workload table")
    args = parser.parse_args()
    if args.child:
        target, scale, workers, out = args.child
        child(target, float(scale), int(workers), out)
        return
    print(f"# machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start\n")
    if not args.no_workload:
        workload(args.repeats)
    scaling(args.scale, args.repeats, args.targets.split(","))
    print(f"\n# load average {os.getloadavg()[0]:.1f} at end")


def workload(repeats: int) -> None:
    """Table 1: the peers' 11,200-row workload as whole processes."""
    from tabulate import tabulate

    rows = []
    base: dict[str, float] = {}
    for workers in (1, 2):
        r = project("sqlite", 1, workers, repeats)
        print(f"# workload, {workers} worker(s): {json.dumps(r)}", flush=True)
        base.setdefault("project", r["wall_s"])
        base.setdefault("project_cpu", r["cpu_s"])
        rows.append(
            {
                "workload x1, SQLite": f"project, {workers} worker(s)",
                "process wall s": round(r["wall_s"], 3),
                "process CPU s": round(r["cpu_s"], 3) if workers == 1 else None,
                "in-process entity rows/s": round(r["entity_rows"] / r["run_s"]),
                "peak MB (parent/worker)": f"{r['parent_mb']:.0f}/{r['worker_mb']:.0f}",
            }
        )
    for label, script, extra in (
        ("Faker + Core", "faker_core_baseline.py", ["1", "out/faker.db"]),
        ("mimesis + Core", "mimesis_core_baseline.py", ["1", "out/mimesis.db"]),
        ("insert ceiling", "insert_ceiling.py", ["1"]),
    ):
        p = peer(script, repeats, *extra)
        print(f"# {label}: {json.dumps(p)}", flush=True)
        if p is None:
            rows.append({"workload x1, SQLite": f"{label}: skipped (no {PEERS_PYTHON})"})
            continue
        for line in p["lines"]:
            try:
                n, s = _in_process(line)
            except AttributeError:
                continue
            kind = line.split()[2] if line.startswith("CEILING") else "process"
            rows.append(
                {
                    "workload x1, SQLite": f"{label}: {kind}",
                    "process wall s": round(p["wall_s"], 3) if script != "insert_ceiling.py" else None,
                    "process CPU s": round(p["cpu_s"], 3) if script != "insert_ceiling.py" else None,
                    "in-process entity rows/s": round(n / s) if s else None,
                }
            )
    for row in rows:
        wall, cpu = row.get("process wall s"), row.get("process CPU s")
        row["wall / project 1w"] = round(wall / base["project"], 2) if wall else None
        row["CPU / project 1w"] = round(cpu / base["project_cpu"], 2) if cpu else None
    print(tabulate(rows, headers="keys", tablefmt="github"))


def scaling(scale: float, repeats: int, targets: list[str]) -> None:
    """Table 2: 1 vs 2 workers per target, CPU seconds per side."""
    from tabulate import tabulate

    print()
    table = []
    for target in targets:
        one = None
        for workers in (1, 2):
            r = project(target, scale, workers, repeats)
            print(f"# {target} {workers} worker(s): {json.dumps(r)}", flush=True)  # a cut-short run keeps it
            one = one or r["run_s"]
            table.append(
                {
                    f"scale x{scale:g}": target,
                    "workers": workers,
                    "rows": r["rows"],
                    "run s": round(r["run_s"], 2),
                    "rows/s": round(r["rows"] / r["run_s"]),
                    "speed-up": round(one / r["run_s"], 2),
                    "parent CPU s": round(r["run_cpu_s"], 2),
                    "workers CPU s": round(r["workers_cpu_s"], 2) if workers > 1 else None,
                    # this process and its workers; a database server's CPU is not counted
                    "rows per CPU s": round(r["rows"] / (r["run_cpu_s"] + r["workers_cpu_s"])),
                    "server CPU s": None if r.get("server_cpu_s") is None else round(r["server_cpu_s"], 2),
                    # What an idle machine with `workers` cores would reach: the busier of
                    # the parent and the workers' even share is the bound (load-independent).
                    "idle projection rows/s": round(
                        r["rows"] / max(r["run_cpu_s"], (r["run_cpu_s"] + r["workers_cpu_s"]) / workers)
                    ),
                    "parent MB": round(r["parent_mb"]),
                    "largest worker MB": round(r["worker_mb"]) or None,
                }
            )
    print(tabulate(table, headers="keys", tablefmt="github"))


if __name__ == "__main__":
    main()
