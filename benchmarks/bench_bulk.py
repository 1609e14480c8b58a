"""Benchmark the bulk engine against the project's create() path, factory_boy and the insert ceiling.

    PYTHONPATH=. python benchmarks/bench_bulk.py           # 11,200-row scenario, SQLite + PostgreSQL
    PYTHONPATH=. python benchmarks/bench_bulk.py --scale 10 --backend sqlite
    PYTHONPATH=. python benchmarks/bench_bulk.py --patients 1000000 --backend sqlite   # the 1M run
    PYTHONPATH=. python benchmarks/bench_bulk.py --ndjson

Every measurement runs in a fresh subprocess of this script, so its peak RSS (the
kernel's high-water mark, ``ru_maxrss``) belongs to that run alone. Inside it, the
reference data every generator needs (ZIP codes, the ICD-10-CM tables) is loaded by a
tiny warm-up dataset first and reported separately as ``load s``: it is paid once per
process, not per row. All figures of one table come from the same run on the same
machine; compare ratios, not absolute times from different runs.

Rows of the dataset: the five entity tables of the exercise *plus* the
``patient_conditions`` and ``patient_profiles`` rows the engine also writes; rows/s
counts every row written, and the "entity rows/s" column only the five tables (the
11,200 of the peers' workload) for a like-for-like comparison.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import resource
import shutil
import sqlite3
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
PEERS_PYTHON = Path(os.environ.get("HEALTHCARE_PEERS_PYTHON", "/tmp/peers/bin/python"))
DEFAULT_PG_URL = os.environ.get(
    "HEALTHCARE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TODAY = date(2026, 11, 22)
SEED = 20261122
ENTITY_TABLES = ("patients", "providers", "appointments", "medical_records", "insurance_claims")


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _spec(scale: float) -> Any:
    from healthcare_data.generation import DatasetSpec

    return DatasetSpec.bulk_scenario(scale)


def _warm_up(validate: bool = False) -> float:
    """Load what every process pays for once (ZIP codes, ICD-10-CM tables and, for runs
    that validate, the validators and scipy) with a tiny dataset in memory."""
    from healthcare_data.bulk import write_dataset
    from healthcare_data.db import Database
    from healthcare_data.generation import DatasetSpec, generate_dataset
    from healthcare_data.randomness import Randomness
    from healthcare_data.validation import run_all

    started = time.perf_counter()
    tiny = DatasetSpec(patients=60, providers=4, appointments=40, medical_records=20, insurance_claims=10)
    db = Database("sqlite://").create_schema()
    write_dataset(db, generate_dataset(tiny, Randomness(1, today=TODAY)), pipeline=False)
    if validate:
        run_all(db, TODAY)
    db.dispose()
    return time.perf_counter() - started


def _fresh_sqlite(path: Path) -> str:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _fresh_postgres(url: str) -> str:
    """A throw-away database on the server of ``url`` (dropped by the parent at the end)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"hd_bench_{os.getpid()}_{int(time.time() * 1000) % 10**8}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _drop_postgres(admin_url: str, url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# --- measurements (each runs in its own subprocess: see main) ----------------------------


def measure_bulk(args: dict[str, Any]) -> dict[str, Any]:
    """Generate + persist (+ validate) one dataset; the engine's own figures."""
    from healthcare_data.bulk import stream_to_ndjson, write_dataset
    from healthcare_data.db import Database
    from healthcare_data.generation import generate_dataset
    from healthcare_data.randomness import Randomness

    load_s = _warm_up(bool(args.get("validate")))
    base_mb = _max_rss_mb()  # the interpreter + library + reference data, before the run
    # Start from a collected heap: otherwise what the warm-up left pending decides whether
    # a full collection (~0.09 CPU s over scipy's objects when validating) lands in the run.
    gc.collect()
    spec = _spec(args["scale"])
    rng = Randomness(SEED, today=TODAY)
    batches = generate_dataset(spec, rng, batch_size=args["batch_size"])
    if args["backend"] == "ndjson":
        out = Path(args["path"])
        started = time.perf_counter()
        result = stream_to_ndjson(batches, out)
        seconds = time.perf_counter() - started
        shutil.rmtree(out, ignore_errors=True)
        return {
            "rows": result.rows,
            "seconds": seconds,
            "load_s": load_s,
            "peak_mb": _max_rss_mb(),
            "base_mb": base_mb,
        }
    db = Database(args["url"]).create_schema()
    cpu = time.process_time()  # every thread of this process: the prefetch thread included
    result = write_dataset(db, batches, method=args["method"])
    cpu = time.process_time() - cpu
    out: dict[str, Any] = {
        "rows": result.rows,
        "seconds": result.total_seconds,
        "cpu_s": cpu,
        "write_s": sum(result.write_seconds.values()),
        "method": result.method,
        "load_s": load_s,
        "base_mb": base_mb,
        "per_table_s": result.seconds,
    }
    if args.get("validate"):
        from healthcare_data.validation import run_all

        started = time.perf_counter()
        reports = run_all(db, TODAY)
        out["validate_s"] = time.perf_counter() - started
        out["violations"] = sum(len(r.violations) for r in reports.values())
    out["peak_mb"] = _max_rss_mb()
    db.dispose()
    if args.get("split"):
        # The same dataset again, its two halves apart: generation alone (into a list),
        # then writing those pre-generated batches alone (no prefetch thread) into an
        # empty schema. The pipelined run's write_seconds are not database time: the
        # producer thread holds the GIL while it generates, and the writer waits for it.
        started, cpu = time.perf_counter(), time.process_time()
        generated = list(generate_dataset(spec, Randomness(SEED, today=TODAY), batch_size=args["batch_size"]))
        out["gen_only_s"] = time.perf_counter() - started
        out["gen_only_cpu_s"] = time.process_time() - cpu
        if args["backend"] == "sqlite":
            db = Database(_fresh_sqlite(Path(args["url"].removeprefix("sqlite:///")))).create_schema()
        else:
            db = Database(args["url"])
            db.drop_schema()
            db.create_schema()
        written = write_dataset(db, generated, method=args["method"], pipeline=False)
        out["write_only_s"] = written.total_seconds
        db.dispose()
    return out


def measure_ceiling(args: dict[str, Any]) -> dict[str, Any]:
    """The database part alone: this dataset's rows, pre-built and pre-converted (untimed),
    through stdlib ``sqlite3.executemany`` in one transaction into the same schema."""
    from sqlalchemy.dialects import sqlite as sqlite_dialect

    from healthcare_data.db import Database
    from healthcare_data.generation import generate_dataset
    from healthcare_data.randomness import Randomness
    from healthcare_data.schema import Base

    _warm_up()
    spec = _spec(args["scale"])
    dialect = sqlite_dialect.dialect()
    tables: list[tuple[str, list[str], list[tuple]]] = []
    for batch in generate_dataset(spec, Randomness(SEED, today=TODAY), batch_size=10_000):
        table = Base.metadata.tables[batch.table]
        columns = list(batch.rows[0])
        processors = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
        tuples = [
            tuple(
                v if p is None or v is None else p(v)
                for v, p in zip((r[c] for c in columns), processors, strict=True)
            )
            for r in batch.rows
        ]
        tables.append((batch.table, columns, tuples))
    total = sum(len(t[2]) for t in tables)
    path = Path(args["path"])
    times, cpu_times = [], []
    for _ in range(args.get("repeats", 5)):
        url = _fresh_sqlite(path)
        Database(url).create_schema().dispose()
        con = sqlite3.connect(path, isolation_level=None)
        con.execute("PRAGMA foreign_keys=ON")
        started, cpu = time.perf_counter(), time.process_time()
        con.execute("BEGIN")
        for name, columns, rows in tables:
            marks = ",".join("?" * len(columns))
            con.executemany(f"INSERT INTO {name} ({','.join(columns)}) VALUES ({marks})", rows)
        con.execute("COMMIT")
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu)
        con.close()
    entity_rows = sum(len(r) for n, _, r in tables if n in ENTITY_TABLES)
    return {
        "rows_total": total,
        "entity_rows": entity_rows,
        "seconds": statistics.median(times),
        "cpu_s": statistics.median(cpu_times),
        "peak_mb": _max_rss_mb(),
    }


def measure_create(args: dict[str, Any]) -> dict[str, Any]:
    """The one-entity-at-a-time path: PatientBuilder.create(), ProviderFactory.create(),
    AppointmentFactory.create(), MedicalRecordFactory.create(), ClaimFactory.create(),
    one transaction per entity, on a sample with the dataset's composition."""
    from healthcare_data.builders import PatientBuilder
    from healthcare_data.db import Database
    from healthcare_data.factories import (
        AppointmentFactory,
        ClaimFactory,
        MedicalRecordFactory,
        ProviderFactory,
    )
    from healthcare_data.generation import DatasetSpec
    from healthcare_data.personas import PERSONAS
    from healthcare_data.randomness import Randomness

    _warm_up()
    sample = DatasetSpec.bulk_scenario(args["sample"] / 11_200)
    db = Database(args["url"]).create_schema()
    rng = Randomness(SEED, today=TODAY)
    window_start = sample.window_start(TODAY)
    personas = PERSONAS.names()
    started = time.perf_counter()
    patients = [
        PatientBuilder(db, rng).with_persona(personas[k % len(personas)]).create()
        for k in range(sample.patients)
    ]
    providers = [ProviderFactory(db, rng).create() for _ in range(sample.providers)]
    appointment_factory = AppointmentFactory(db, rng)
    appointments = []
    for k in range(sample.appointments):
        appointments.append(
            appointment_factory.create(
                patient=patients[rng.random.randrange(len(patients))],
                provider=providers[k % len(providers)],
                window_start=window_start,
                window_days=sample.window_days - 14,
            )
        )
    by_id = {p.id: p for p in patients}
    records = MedicalRecordFactory(db, rng)
    for appointment in appointments[: sample.medical_records]:
        records.create(appointment=appointment)
    claims = ClaimFactory(db, rng)
    insured = [a for a in appointments if by_id[a.patient_id].insurance_provider]
    for appointment in insured[: sample.insurance_claims]:
        claims.create(appointment=appointment, patient=by_id[appointment.patient_id])
    seconds = time.perf_counter() - started
    counts = db.counts()
    db.dispose()
    return {
        "rows": counts,
        "seconds": seconds,
        "entities": sum(counts[t] for t in ENTITY_TABLES),
        "peak_mb": _max_rss_mb(),
    }


MEASURES = {"bulk": measure_bulk, "ceiling": measure_ceiling, "create": measure_create}


def run_child(kind: str, args: dict[str, Any], timeout: float = 7200) -> dict[str, Any] | str:
    """Run one measurement in a fresh interpreter; its JSON result or the error text."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("CHILD ")]
    if proc.returncode or not lines:
        return (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return json.loads(lines[-1][6:])


# --- peers ------------------------------------------------------------------------------------

RESULT = re.compile(
    r"RESULT (\S+): rows=(\d+) in_process_s=([\d.]+) rows_per_s=([\d,]+) peak_rss_mb=([\d.]+)"
)
CEILING = re.compile(r"CEILING x\d+ (\S+)\s+rows=(\d+) median_s=([\d.]+).*rows_per_s=([\d,]+)")


def run_peer(script: str, *argv: str, workdir: Path) -> tuple[str, float, float, int] | str:
    """(label, seconds, peak MB, rows) from a peer's RESULT line, or why it was skipped."""
    match = _peer_result(script, [script, *argv], workdir)
    if isinstance(match, str):
        return match
    return match.group(1), float(match.group(3)), float(match.group(5)), int(match.group(2))


def _peer_result(script: str, argv: list[str], workdir: Path) -> re.Match[str] | str:
    """The RESULT line of the peers' interpreter run with ``argv``, or why it was skipped."""
    if not PEERS_PYTHON.exists():
        return f"skipped: {PEERS_PYTHON} missing (see /work/shared/bench/peers/README.md)"
    proc = subprocess.run(
        [str(PEERS_PYTHON), *argv], cwd=workdir, capture_output=True, text=True, timeout=3600, check=False
    )
    match = RESULT.search(proc.stdout)
    if not match:
        return f"skipped: {script} failed: {(proc.stderr.strip().splitlines() or ['?'])[-1]}"
    return match


def run_peer_cpu(script: str, *argv: str, workdir: Path) -> tuple[int, float] | str:
    """(rows, CPU seconds) of a peer's in-process part, or why it was skipped.

    The peer times itself with ``time.perf_counter`` read after its imports and again at
    its RESULT line; the peer runs with that clock swapped for ``time.process_time``, so
    its ``in_process_s`` is the CPU its generation and inserts used (the figure that
    survives a loaded machine), with its own code unchanged.
    """
    code = (
        "import runpy, sys, time; time.perf_counter = time.process_time; "
        f"sys.argv = {[script, *argv]!r}; runpy.run_path({script!r}, run_name='__main__')"
    )
    match = _peer_result(script, ["-c", code], workdir)
    if isinstance(match, str):
        return match
    return int(match.group(2)), float(match.group(3))


def cpu_table(
    project: dict[str, Any], ceiling: dict[str, Any], peers: dict[str, tuple[int, float]]
) -> list[dict[str, Any]]:
    """The 11,200-row workload per CPU second: project end to end and generation alone,
    the insert ceiling of the same rows, and the peers, all from one run.

    ``% ceiling`` compares every row written (the ceiling inserts the same rows);
    ``x mimesis + Core`` compares the five entity tables, the peers' whole workload.
    """
    total = sum(project["rows"].values())
    entity = sum(project["rows"].get(t, 0) for t in ENTITY_TABLES)
    ceiling_rate = ceiling["rows_total"] / ceiling["cpu_s"]
    lines = [
        ("project: generate + persist (SQLite driver)", total, entity, project["cpu_s"]),
        ("project: generation only", total, entity, project["gen_only_cpu_s"]),
        (
            "ceiling: prebuilt rows, sqlite3.executemany",
            ceiling["rows_total"],
            ceiling["entity_rows"],
            ceiling["cpu_s"],
        ),
    ] + [(name, count, count, cpu) for name, (count, cpu) in peers.items()]
    mimesis = peers.get("mimesis + Core")
    mimesis_rate = mimesis[0] / mimesis[1] if mimesis and mimesis[1] else None
    return [
        {
            "workload x1, SQLite": name,
            "rows": rows,
            "CPU s": round(cpu, 3),
            "rows/CPU s": round(rows / cpu),
            "entity rows/CPU s": round(entity_rows / cpu),
            "% ceiling": f"{rows / cpu / ceiling_rate:.0%}",
            "x mimesis + Core": f"{entity_rows / cpu / mimesis_rate:.2f}x" if mimesis_rate else "n/a",
        }
        for name, rows, entity_rows, cpu in lines
    ]


def run_peer_ceiling(scale: int, workdir: Path) -> dict[str, tuple[int, float]] | str:
    if not PEERS_PYTHON.exists():
        return "skipped: peers venv missing"
    proc = subprocess.run(
        [str(PEERS_PYTHON), "insert_ceiling.py", str(scale)],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    found = {m.group(1): (int(m.group(2)), float(m.group(3))) for m in CEILING.finditer(proc.stdout)}
    return found or f"skipped: insert_ceiling.py failed: {(proc.stderr.strip().splitlines() or ['?'])[-1]}"


# --- the report --------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplier of the 11,200-row scenario")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--patients", type=int, default=0, help="add a run with this many patients (1000000)")
    parser.add_argument("--ndjson", action="store_true", help="also stream the dataset to NDJSON")
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3, help="runs per bulk measurement (median kept)")
    parser.add_argument("--sample", type=int, default=224, help="entities in the create() sample")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--no-peers", action="store_true", help="skip factory_boy and the peers' ceiling")
    parser.add_argument("--big-only", action="store_true", help="only the --patients run(s)")
    options = parser.parse_args()

    from tabulate import tabulate

    work = Path(tempfile.mkdtemp(prefix="hd_bench_"))
    scale = options.scale
    label = f"scenario x{scale:g}"
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    backends = ("sqlite", "postgresql") if options.backend == "both" else (options.backend,)
    base = {"scale": scale, "batch_size": options.batch_size}
    scenario = not options.big_only

    def add(
        dataset: str,
        backend: str,
        method: str,
        total: int,
        entity: int,
        seconds: float,
        peak: float | None,
        **extra: Any,
    ) -> dict[str, Any]:
        row = {
            "dataset": dataset,
            "backend": backend,
            "method": method,
            "rows": total,
            "seconds": round(seconds, 3),
            "rows/s": round(total / seconds) if seconds else None,
            "entity rows/s": round(entity / seconds) if seconds else None,
            "peak MB": None if peak is None else round(peak),
        }
        row.update(extra)
        rows.append(row)
        return row

    def entity_rows(counts: dict[str, int]) -> int:
        return sum(counts.get(t, 0) for t in ENTITY_TABLES)

    results: dict[str, Any] = {}
    pg_databases: list[str] = []
    create_rate: float | None = None
    ceiling_rate: float | None = None
    factory_rate: float | None = None
    ceiling: dict[str, Any] | str = "not run"
    peer_cpu: dict[str, tuple[int, float]] = {}
    try:
        for backend in backends if scenario else ():
            methods = ("driver", "core") if backend == "sqlite" else ("copy", "executemany")
            for method in methods:
                validate = method in ("driver", "copy")
                runs: list[dict[str, Any]] = []
                got: dict[str, Any] | str = "not run"
                for _ in range(options.repeats):
                    if backend == "sqlite":
                        url = _fresh_sqlite(work / f"bulk_{method}.db")
                    else:
                        url = _fresh_postgres(options.pg_url)
                        pg_databases.append(url)
                    got = run_child(
                        "bulk",
                        {
                            **base,
                            "url": url,
                            "method": method,
                            "validate": validate,
                            "split": validate,
                            "backend": backend,
                        },
                    )
                    if isinstance(got, str):
                        break
                    runs.append(got)
                if runs:  # the median run (by generate+persist time) of the repeats
                    got = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
                    if validate:  # medians of the split halves, each over the repeats
                        got["gen_only_s"] = statistics.median(r["gen_only_s"] for r in runs)
                        got["write_only_s"] = statistics.median(r["write_only_s"] for r in runs)
                        got["gen_only_cpu_s"] = statistics.median(r["gen_only_cpu_s"] for r in runs)
                    got["cpu_s"] = statistics.median(r["cpu_s"] for r in runs)
                if isinstance(got, str):
                    notes.append(f"{backend}/{method}: failed: {got}")
                    continue
                results[(backend, method)] = got
                add(
                    label,
                    backend,
                    f"bulk {got['method']}",
                    sum(got["rows"].values()),
                    entity_rows(got["rows"]),
                    got["seconds"],
                    got["peak_mb"],
                    **{"load s": round(got["load_s"], 2), "base MB": round(got["base_mb"])},
                )
                if validate:
                    for what, key in (("generation only", "gen_only_s"), ("write only", "write_only_s")):
                        add(
                            label,
                            backend,
                            f"bulk {got['method']}: {what}",
                            sum(got["rows"].values()),
                            entity_rows(got["rows"]),
                            got[key],
                            None,
                        )
                    total_s = got["seconds"] + got["validate_s"]
                    add(
                        label,
                        backend,
                        f"bulk {got['method']} + validate",
                        sum(got["rows"].values()),
                        entity_rows(got["rows"]),
                        total_s,
                        got["peak_mb"],
                        **{"load s": round(got["load_s"], 2), "base MB": round(got["base_mb"])},
                    )
                    notes.append(
                        f"{backend}: run_all validators: {got['validate_s']:.2f} s "
                        f"({got['validate_s'] / got['seconds']:.0%} of generate+persist), "
                        f"{got['violations']} violations"
                    )

        if scenario:  # (a), (b), (c) and NDJSON for the scenario dataset
            # (a) the create() path, measured on a sample and extrapolated per row.
            create_url = _fresh_sqlite(work / "create.db")
            created = run_child("create", {"sample": options.sample, "url": create_url})
            create_rate = None
            if isinstance(created, str):
                notes.append(f"create() path: failed: {created}")
            else:
                total_rows = sum(created["rows"].values())
                create_rate = total_rows / created["seconds"]
                bulk_rows = (
                    sum(results[("sqlite", "driver")]["rows"].values())
                    if ("sqlite", "driver") in results
                    else 14_200
                )
                add(
                    label,
                    "sqlite",
                    f"create() x{created['entities']} sample, extrapolated",
                    bulk_rows,
                    round(bulk_rows * created["entities"] / total_rows),
                    bulk_rows / create_rate,
                    None,
                )
                notes.append(
                    f"create() sample: {created['entities']} entities = {total_rows} rows in "
                    f"{created['seconds']:.2f} s ({create_rate:,.0f} rows/s), one transaction per entity"
                )

            # (c) the insert ceiling for this dataset's own rows and schema.
            ceiling = run_child("ceiling", {**base, "path": str(work / "ceiling.db")})
            ceiling_rate = None
            if isinstance(ceiling, str):
                notes.append(f"ceiling: failed: {ceiling}")
            else:
                ceiling_rate = ceiling["rows_total"] / ceiling["seconds"]
                add(
                    label,
                    "sqlite",
                    "ceiling: prebuilt rows, sqlite3.executemany",
                    ceiling["rows_total"],
                    ceiling["entity_rows"],
                    ceiling["seconds"],
                    None,
                )

            # (b) factory_boy and the peers' own ceiling (their schema), same machine, same run.
            factory_rate = None
            if not options.no_peers and scale == int(scale):
                peers = work / "peers"
                shutil.copytree(PEERS, peers)
                for path in peers.rglob("*"):
                    path.chmod(0o755 if path.is_dir() else 0o644)
                (peers / "out").mkdir(exist_ok=True)
                if scale == 1:
                    fb = run_peer("factory_boy_baseline.py", "none", str(work / "fb.db"), workdir=peers)
                    if isinstance(fb, str):
                        notes.append(f"factory_boy: {fb}")
                    else:
                        name, seconds, peak, count = fb
                        factory_rate = count / seconds
                        add("peers x1", "sqlite", name, count, count, seconds, peak)
                else:
                    notes.append("factory_boy: run at scale 1 only (it takes minutes beyond)")
                peer_ceiling = run_peer_ceiling(int(scale), peers)
                if isinstance(peer_ceiling, str):
                    notes.append(f"peers ceiling: {peer_ceiling}")
                else:
                    for name, (count, seconds) in peer_ceiling.items():
                        add(
                            f"peers x{scale:g}",
                            "sqlite",
                            f"peers ceiling {name}",
                            count,
                            count,
                            seconds,
                            None,
                        )
            elif options.no_peers:
                notes.append("peers skipped (--no-peers)")
            if not options.no_peers and scale == 1:  # the peers' CPU in process, medians of the repeats
                for name, script in (
                    ("mimesis + Core", "mimesis_core_baseline.py"),
                    ("Faker + Core", "faker_core_baseline.py"),
                ):
                    got_cpu = [
                        run_peer_cpu(script, "1", str(work / f"cpu_{k}.db"), workdir=work / "peers")
                        for k in range(options.repeats)
                    ]
                    failed = [g for g in got_cpu if isinstance(g, str)]
                    if failed:
                        notes.append(f"{name} (CPU): {failed[0]}")
                    else:
                        peer_cpu[name] = (got_cpu[0][0], statistics.median(g[1] for g in got_cpu))

            if options.ndjson:
                got = run_child("bulk", {**base, "backend": "ndjson", "path": str(work / "ndjson")})
                if isinstance(got, str):
                    notes.append(f"ndjson: failed: {got}")
                else:
                    add(
                        label,
                        "ndjson",
                        "stream_to_ndjson",
                        sum(got["rows"].values()),
                        entity_rows(got["rows"]),
                        got["seconds"],
                        got["peak_mb"],
                    )

        if options.patients:
            big = options.patients / 1000
            url = _fresh_sqlite(work / "big.db")
            got = run_child(
                "bulk",
                {
                    "scale": big,
                    "batch_size": options.batch_size,
                    "url": url,
                    "method": "auto",
                    "backend": "sqlite",
                },
            )
            if isinstance(got, str):
                notes.append(f"{options.patients} patients: failed: {got}")
            else:
                add(
                    f"{options.patients:,} patients (x{big:g})",
                    "sqlite",
                    f"bulk {got['method']}",
                    sum(got["rows"].values()),
                    entity_rows(got["rows"]),
                    got["seconds"],
                    got["peak_mb"],
                    **{"load s": round(got["load_s"], 2), "base MB": round(got["base_mb"])},
                )
            if options.ndjson:
                got = run_child(
                    "bulk",
                    {
                        "scale": big,
                        "batch_size": options.batch_size,
                        "backend": "ndjson",
                        "path": str(work / "big_ndjson"),
                    },
                )
                if not isinstance(got, str):
                    add(
                        f"{options.patients:,} patients (x{big:g})",
                        "ndjson",
                        "stream_to_ndjson",
                        sum(got["rows"].values()),
                        entity_rows(got["rows"]),
                        got["seconds"],
                        got["peak_mb"],
                    )
    finally:
        for url in pg_databases:
            _drop_postgres(options.pg_url, url)
        shutil.rmtree(work, ignore_errors=True)

    # Ratios: throughput relative to each reference, all from this run.
    for row in rows:
        rate = row["rows/s"] or 0
        row["x create()"] = f"{rate / create_rate:.1f}x" if create_rate else "n/a"
        row["x factory_boy"] = f"{row['entity rows/s'] / factory_rate:.1f}x" if factory_rate else "n/a"
        row["% ceiling"] = f"{rate / ceiling_rate:.0%}" if ceiling_rate else "n/a"
    print(tabulate(rows, headers="keys", tablefmt="github", intfmt=","))
    print()
    if ("sqlite", "driver") in results and isinstance(ceiling, dict):
        print(
            tabulate(
                cpu_table(results[("sqlite", "driver")], ceiling, peer_cpu),
                headers="keys",
                tablefmt="github",
                intfmt=",",
            )
        )
        print()
    if create_rate and ("sqlite", "driver") in results:
        bulk = results[("sqlite", "driver")]
        bulk_rate = sum(bulk["rows"].values()) / bulk["seconds"]
        saved = 1 - create_rate / bulk_rate
        verdict = "meets" if saved >= 0.95 else "misses"
        notes.insert(
            0,
            f"spec 'bulk operations 95% faster than individual entity creation': bulk takes "
            f"{1 - saved:.1%} of create()'s time per row, i.e. {saved:.1%} faster -> {verdict} it",
        )
    if ceiling_rate and ("sqlite", "driver") in results:
        bulk = results[("sqlite", "driver")]
        with_validation = sum(bulk["rows"].values()) / (bulk["seconds"] + bulk.get("validate_s", 0))
        ceiling_s = sum(bulk["rows"].values()) / ceiling_rate
        notes.insert(
            1,
            f"target >= 50% of the insert ceiling (same rows, same schema): generate+persist "
            f"{sum(bulk['rows'].values()) / bulk['seconds'] / ceiling_rate:.0%}, "
            f"with validation {with_validation / ceiling_rate:.0%}; split: generation alone "
            f"{bulk['gen_only_s']:.3f} s = {bulk['gen_only_s'] / ceiling_s:.2f}x the ceiling's "
            f"{ceiling_s:.3f} s, writing the pre-generated batches alone {bulk['write_only_s']:.3f} s "
            f"= {bulk['write_only_s'] / ceiling_s:.2f}x, pipelined total {bulk['seconds']:.3f} s "
            f"(sum of the halves {bulk['gen_only_s'] + bulk['write_only_s']:.3f} s)",
        )
    if ("postgresql", "copy") in results and ("postgresql", "executemany") in results:
        copy, many = results[("postgresql", "copy")], results[("postgresql", "executemany")]
        notes.append(
            f"PostgreSQL writer-thread time (pipelined): COPY {copy['write_s']:.2f} s vs executemany "
            f"{many['write_s']:.2f} s ({many['write_s'] / copy['write_s']:.1f}x)"
        )
    for backend_method, got in results.items():
        split = (
            f"generation alone {got['gen_only_s']:.2f} s, write alone {got['write_only_s']:.2f} s; "
            if "gen_only_s" in got
            else ""
        )
        notes.append(
            f"{'/'.join(backend_method)}: total {got['seconds']:.2f} s; {split}pipelined run's "
            f"writer-thread time {got['write_s']:.2f} s (includes waiting on the generator thread's "
            f"GIL, not database time); per table s: "
            + ", ".join(f"{t}={s:.2f}" for t, s in got["per_table_s"].items())
        )
    for note in notes:
        print(f"- {note}")


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[1] == "--child":
        result = MEASURES[sys.argv[2]](json.loads(sys.argv[3]))
        print("CHILD " + json.dumps(result, default=str))
    else:
        main()
