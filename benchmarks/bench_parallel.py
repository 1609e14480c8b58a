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
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.wait(0.2):
            for process in me.children(recursive=True):
                try:
                    self.peak = max(self.peak, process.memory_info().rss / 2**20)
                except psutil.Error:
                    continue

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


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
    batches = generate_dataset(
        spec, Randomness(SEED, today=TODAY), 5000, workers=workers, dask_scheduler=scheduler
    )
    begun = time.perf_counter()
    if target in ("ndjson", "dask"):
        result = stream_to_ndjson(batches, out)
        rows, entity = result.total_rows, sum(result.rows.get(t, 0) for t in ENTITY_TABLES)
    else:
        db = Database(f"sqlite:///{out}").create_schema()
        begun = time.perf_counter()
        written = write_dataset(db, batches, atomic=True, defer_indexes=True)
        rows, entity = written.total_rows, sum(written.rows.get(t, 0) for t in ENTITY_TABLES)
        db.dispose()
    done = time.perf_counter()
    if cluster is not None:
        cluster.close()
    print(
        json.dumps(
            {
                "rows": rows,
                "entity_rows": entity,
                "run_s": done - begun,
                "process_s": done - started,
                "parent_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "worker_mb": sampler.stop(),
                "parent_cpu_s": resource.getrusage(resource.RUSAGE_SELF).ru_utime
                + resource.getrusage(resource.RUSAGE_SELF).ru_stime,
            }
        )
    )


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
        out = work / ("out" if target == "ndjson" else "bench.db")
        command = [sys.executable, __file__, "--child", target, str(scale), str(workers), str(out)]
        wall, stdout = _run(command)
        figures = json.loads(stdout.strip().splitlines()[-1])
        figures["wall_s"] = wall
        figures["cpu_s"] = _run.cpu  # type: ignore[attr-defined]
        runs.append(figures)
        shutil.rmtree(work, ignore_errors=True)
    keys = runs[0].keys()
    return {k: statistics.median(r[k] for r in runs) for k in keys}


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
    args = parser.parse_args()
    if args.child:
        target, scale, workers, out = args.child
        child(target, float(scale), int(workers), out)
        return
    from tabulate import tabulate

    print(f"# machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start\n")
    rows = []
    base: dict[str, float] = {}
    for workers in (1, 2):
        r = project("sqlite", 1, workers, args.repeats)
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
        p = peer(script, args.repeats, *extra)
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

    print()
    table = []
    for target in ("ndjson", "sqlite", "dask"):
        one = None
        for workers in (1, 2):
            r = project(target, args.scale, workers, args.repeats)
            one = one or r["run_s"]
            table.append(
                {
                    f"scale x{args.scale:g}": target,
                    "workers": workers,
                    "rows": r["rows"],
                    "run s": round(r["run_s"], 2),
                    "rows/s": round(r["rows"] / r["run_s"]),
                    "speed-up": round(one / r["run_s"], 2),
                    "parent CPU s": round(r["parent_cpu_s"], 2),
                    "parent MB": round(r["parent_mb"]),
                    "largest worker MB": round(r["worker_mb"]) or None,
                }
            )
    print(tabulate(table, headers="keys", tablefmt="github"))
    print(f"\n# load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()
