"""Sharded generation: the same dataset whatever the workers and batch size; a dead worker
keeps nothing."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
from datetime import date

import psutil
import pytest

from healthcare_data import shards
from healthcare_data.bulk import write_dataset
from healthcare_data.db import Database
from healthcare_data.errors import PersistenceError
from healthcare_data.generation import Batch, DatasetSpec, generate_dataset
from healthcare_data.generation_plan import _Plan
from healthcare_data.randomness import Randomness

TODAY = date(2026, 6, 1)
# 3 tenants, 6 care groups; TASK_ROWS is lowered below so the pool gets several tasks.
SPEC = DatasetSpec(
    patients=300, providers=130, appointments=1200, medical_records=500, insurance_claims=300, tenants=3
)


def digests(batches) -> dict[str, tuple[int, str]]:
    """Rows and a SHA-256 per table, over the rows sorted by key (order of arrival ignored)."""
    tables: dict[str, list[dict]] = {}
    for batch in batches:
        tables.setdefault(batch.table, []).extend(batch.rows)
    return {
        table: (
            len(rows),
            hashlib.sha256(
                json.dumps(
                    sorted(rows, key=lambda r: r.get("id", r.get("patient_id"))), default=str, sort_keys=True
                ).encode()
            ).hexdigest(),
        )
        for table, rows in tables.items()
    }


@pytest.fixture
def small_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shards, "TASK_ROWS", 300)


def test_units_cover_every_id_once() -> None:
    plan = _Plan(SPEC, Randomness(1, today=TODAY))
    found = shards.units(plan)
    assert len(found) == 6
    assert sum(u.spec.patients for u in found) == SPEC.patients
    assert sum(u.spec.appointments for u in found) == SPEC.appointments
    starts = [u.spec.first_ids["appointments"] for u in found]
    assert starts == sorted(starts) and starts[0] == 1
    assert shards.allocate(10, [3, 0, 4, 3]) == [(0, 3), (3, 0), (3, 4), (7, 3)]
    assert all(n <= e for (_, n), e in zip(shards.allocate(9, [5, 1, 7]), [5, 1, 7], strict=True))


def test_same_rows_for_1_2_and_3_workers_and_any_batch_size(small_tasks: None) -> None:
    one = digests(generate_dataset(SPEC, Randomness(7, today=TODAY), 1000, workers=1))
    assert len(shards.tasks(shards.units(_Plan(SPEC, Randomness(7, today=TODAY))))) == 3  # the pool is used
    assert one["medical_records"][0] == 500 and one["insurance_claims"][0] == 300
    assert digests(generate_dataset(SPEC, Randomness(7, today=TODAY), 7, workers=2)) == one
    assert digests(generate_dataset(SPEC, Randomness(7, today=TODAY), 5000, workers=3)) == one
    assert digests(generate_dataset(SPEC, Randomness(8, today=TODAY), 1000, workers=1)) != one


def test_task_size_does_not_change_a_row(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = digests(generate_dataset(SPEC, Randomness(7, today=TODAY), 1000))
    monkeypatch.setattr(shards, "TASK_ROWS", 1)  # one unit per task
    assert digests(generate_dataset(SPEC, Randomness(7, today=TODAY), 1000)) == whole


def test_parents_arrive_before_their_children(small_tasks: None) -> None:
    seen: dict[str, set[int]] = {}
    parents = {"patient_id": "patients", "provider_id": "providers", "appointment_id": "appointments"}
    for batch in generate_dataset(SPEC, Randomness(7, today=TODAY), 50, workers=2):
        for row in batch.rows:
            for column, parent in parents.items():
                if row.get(column) is not None and batch.table != parent:
                    assert row[column] in seen.get(parent, set()), (batch.table, column)
        if "id" in (batch.rows[0] if batch.rows else {}):
            seen.setdefault(batch.table, set()).update(r["id"] for r in batch.rows)


def _database_digest(db: Database) -> dict[str, str]:
    from sqlalchemy import text

    out = {}
    with db.engine.connect() as conn:
        for table in ("patients", "patient_conditions", "appointments", "medical_records", "insurance_claims"):  # noqa: E501
            rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all()
            out[table] = hashlib.sha256(repr([tuple(map(str, r)) for r in rows]).encode()).hexdigest()
    return out


def test_a_database_written_by_two_workers_equals_one_written_by_one(small_tasks: None, db: Database) -> None:
    write_dataset(db, generate_dataset(SPEC, Randomness(5, today=TODAY), 100, workers=1), atomic=True)
    one = _database_digest(db)
    db.reset()
    write_dataset(db, generate_dataset(SPEC, Randomness(5, today=TODAY), 100, workers=2), atomic=True)
    assert _database_digest(db) == one


def _workers() -> list[psutil.Process]:
    """The pool's worker processes: children of the forkserver, so grandchildren of this one
    (the forkserver and the resource tracker are our children and outlive any pool)."""
    found = []
    for process in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):  # ended between listing and asking
            if process.ppid() != os.getpid():
                found.append(process)
    return found


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _kill_workers(table: str, rows: int, so_far: int) -> None:
    """Progress callback: on the first batch of a table, SIGKILL every worker process."""
    if so_far == rows:
        for worker in _workers():
            with contextlib.suppress(psutil.NoSuchProcess):
                worker.send_signal(signal.SIGKILL)


def test_a_killed_worker_leaves_the_database_as_it_was(small_tasks: None, db: Database) -> None:
    write_dataset(db, generate_dataset(DatasetSpec(patients=20, providers=4), Randomness(1, today=TODAY)))
    before = _database_digest(db)
    from healthcare_data.bulk import next_ids

    spec = DatasetSpec(**{**SPEC.__dict__, "tenants": 0, "first_ids": next_ids(db)})
    with pytest.raises(PersistenceError, match="worker process died"):
        write_dataset(
            db,
            generate_dataset(spec, Randomness(2, today=TODAY), 50, workers=2),
            atomic=True,
            progress=_kill_workers,
        )
    assert _database_digest(db) == before
    assert not [w for w in _workers() if _alive(w)]


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_dead_worker_is_found_even_when_the_pool_misses_it(monkeypatch) -> None:
    """A worker killed while writing its result can leave the pool's manager thread blocked
    reading the half-written message: the pool never learns the worker died. The runner
    checks the workers itself, raises, and frees the manager so the process can exit."""
    import threading
    import time
    from concurrent.futures import process

    def stuck_in_a_read(manager):  # what the manager does after such a kill
        with contextlib.suppress(EOFError, OSError):
            manager.result_queue._reader.recv()
        return None, True, None

    monkeypatch.setattr(process._ExecutorManagerThread, "wait_result_broken_or_wakeup", stuck_in_a_read)
    runner = shards._Runner(2)
    results = runner.map(time.sleep, [(60,)] * 4)  # the 4th waits in the pool: cancelled on failure

    def kill_when_running() -> None:
        while len(runner.pool._processes) < 2 or not all(p.pid for p in runner.pool._processes.values()):
            time.sleep(0.1)
        time.sleep(0.5)
        for worker in list(runner.pool._processes.values()):
            os.kill(worker.pid, signal.SIGKILL)

    threading.Thread(target=kill_when_running, daemon=True).start()
    outcome: list[BaseException] = []

    def consume() -> None:
        try:
            next(results)
        except BaseException as exc:  # noqa: BLE001 - inspected below
            outcome.append(exc)

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    consumer.join(timeout=60)
    assert not consumer.is_alive(), "the runner waited for a result no worker would send"
    assert isinstance(outcome[0], shards.WorkerFailed) and "worker process died" in str(outcome[0])
    manager = runner.pool._executor_manager_thread
    runner.close()
    manager.join(timeout=30)
    assert not manager.is_alive(), "the pool's manager thread would block the interpreter's exit"
    # ...and it ended quietly: no traceback of the pool's own thread on a user's terminal.


def _interrupt_workers(table: str, rows: int, so_far: int) -> None:
    """Progress callback: on the first batch of a table, SIGINT every worker process, as
    Ctrl-C in a terminal does (it reaches the whole process group)."""
    if so_far == rows:
        for worker in _workers():
            with contextlib.suppress(psutil.NoSuchProcess):
                worker.send_signal(signal.SIGINT)


def test_workers_leave_ctrl_c_to_the_parent(small_tasks: None, db: Database) -> None:
    write_dataset(db, generate_dataset(SPEC, Randomness(5, today=TODAY), 100, workers=1), atomic=True)
    one = _database_digest(db)
    db.reset()
    dataset = generate_dataset(SPEC, Randomness(5, today=TODAY), 100, workers=2)
    write_dataset(db, dataset, atomic=True, progress=_interrupt_workers)
    assert _database_digest(db) == one


def test_a_worker_that_fails_to_start_is_quiet_and_the_forkserver_is_not() -> None:
    """The forkserver prints a child's start-up failure through sys.excepthook: seen as a
    traceback after the CLI's one "interrupted" line when a SIGTERM landed mid-fork. The
    parent reports dead workers itself, so the children stay quiet; the server does not."""
    import subprocess
    import sys

    code = (
        "import os, sys\n"
        "import healthcare_data._forkserver_preload\n"
        "def fail(where):\n"
        "    try:\n"
        "        raise FileNotFoundError(2, where)\n"
        "    except FileNotFoundError:\n"
        "        sys.excepthook(*sys.exc_info())\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    fail('in a child being started')\n"
        "    os._exit(1)\n"
        "os.waitpid(pid, 0)\n"
        "fail('in the server itself')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "in the server itself" in done.stderr
    assert "in a child being started" not in done.stderr


def test_workers_must_be_a_positive_whole_number() -> None:
    from healthcare_data.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="workers must be a whole number >= 1, got 0"):
        generate_dataset(SPEC, Randomness(1, today=TODAY), workers=0)


def test_batches_are_batches() -> None:
    assert all(isinstance(b, Batch) for b in generate_dataset(SPEC, Randomness(1, today=TODAY)))


# --- the command line --------------------------------------------------------------------------


def _seed(tmp_path, name: str, *flags: str, env: dict[str, str] | None = None):
    from tests.test_cli import run

    # 5 care groups of ~1,100 rows: two tasks of shards.TASK_ROWS, so 2 workers use the pool.
    counts = ["--patients", "1500", "--providers", "130", "--appointments", "4000"]
    counts += ["--medical-records", "300", "--insurance-claims", "150", "--tenants", "0", "--locations", "0"]
    url = f"sqlite:///{tmp_path / name}"
    flags = ("-p", "minimal", "--database-url", url, "--no-validate", "-q", *counts, *flags)
    return url, run("seed", *flags, env=env)


def test_cli_workers_flag_and_environment_give_the_same_database(tmp_path) -> None:
    from healthcare_data.generation_plan import _Plan

    spec = DatasetSpec(patients=1500, providers=130, appointments=4000)
    assert len(shards.tasks(shards.units(_Plan(spec, Randomness(0, today=TODAY))))) == 2
    one_url, one = _seed(tmp_path, "one.db", "--workers", "1")
    two_url, two = _seed(tmp_path, "two.db", env={"QA_PARALLEL_WORKERS": "2"})
    assert one.returncode == 0 and two.returncode == 0, one.stderr + two.stderr
    databases = [Database(one_url), Database(two_url)]
    try:
        assert _database_digest(databases[0]) == _database_digest(databases[1])
    finally:
        for database in databases:
            database.dispose()


def test_cli_refuses_a_bad_worker_count_in_one_line_before_touching_the_database(tmp_path) -> None:
    _, flag = _seed(tmp_path, "bad.db", "--workers", "0")
    assert flag.returncode == 2
    message = "healthcare-data: error: workers must be a whole number >= 1, got 0"
    assert flag.stderr.strip().splitlines() == [message]
    _, env = _seed(tmp_path, "bad.db", env={"QA_PARALLEL_WORKERS": "many"})
    assert env.returncode == 2 and "QA_PARALLEL_WORKERS='many' is not an integer >= 1" in env.stderr
    assert not (tmp_path / "bad.db").exists() or Database(f"sqlite:///{tmp_path / 'bad.db'}").is_empty()


# --- Dask ---------------------------------------------------------------------------------------


def test_dask_with_two_workers_gives_the_single_process_rows(small_tasks: None) -> None:
    import distributed  # the dask extra is part of the test extra

    one = digests(generate_dataset(SPEC, Randomness(7, today=TODAY), 1000, workers=1))
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        batches = generate_dataset(SPEC, Randomness(7, today=TODAY), 1000, dask_scheduler=address)
        assert digests(batches) == one


def test_an_unreachable_dask_scheduler_is_one_clear_error() -> None:
    from healthcare_data.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="Cannot reach the Dask scheduler 'tcp://127.0.0.1:9'"):
        list(generate_dataset(SPEC, Randomness(7, today=TODAY), dask_scheduler="tcp://127.0.0.1:9"))


# --- workers that write their own part files ------------------------------------------------------


def _parts(out, table: str) -> list:
    return sorted((out / table).iterdir())


def test_ndjson_parts_by_1_2_and_3_workers_are_the_single_process_stream(small_tasks: None, tmp_path) -> None:
    from healthcare_data.bulk import stream_to_ndjson
    from healthcare_data.parts import write_parts

    stream_to_ndjson(generate_dataset(SPEC, Randomness(7, today=TODAY), 100), tmp_path / "stream")
    tables = sorted(p.stem for p in (tmp_path / "stream").iterdir())
    assert len(tables) == 9
    written = {}
    for workers in (1, 2, 3):
        out = tmp_path / f"w{workers}"
        counts = write_parts(SPEC, Randomness(7, today=TODAY), out, "ndjson", batch_size=100, workers=workers)
        assert counts["medical_records"] == 500 and counts["insurance_claims"] == 300
        written[workers] = {table: [p.read_bytes() for p in _parts(out, table)] for table in tables}
        for table in tables:  # parts in name order = the stream's file, byte for byte
            assert b"".join(written[workers][table]) == (tmp_path / "stream" / f"{table}.ndjson").read_bytes()
        assert sorted(p.name for p in out.iterdir()) == tables  # no scratch or pending left
    assert len(written[1]["appointments"]) == 3  # three tasks, so the pools had work to share
    assert written[1] == written[2] == written[3]  # the same part files whatever the worker count


def test_parquet_parts_read_back_equal_the_single_process_export(small_tasks: None, tmp_path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    from healthcare_data.export.parquet import write_parquet
    from healthcare_data.parts import write_parts

    (tmp_path / "stream").mkdir()
    write_parquet(generate_dataset(SPEC, Randomness(7, today=TODAY), 100), tmp_path / "stream")
    write_parts(SPEC, Randomness(7, today=TODAY), tmp_path / "two", "parquet", batch_size=100, workers=2)
    for table in ("patients", "patient_conditions", "appointments", "medical_records", "insurance_claims"):
        whole = pq.read_table(tmp_path / "stream" / f"{table}.parquet")
        parts = pa.concat_tables(pq.read_table(p) for p in _parts(tmp_path / "two", table))
        assert parts.num_rows == whole.num_rows > 0
        assert parts.equals(whole), table


def test_a_killed_part_writer_leaves_the_output_directory_as_it_was(small_tasks: None, tmp_path) -> None:
    from healthcare_data.parts import write_parts

    out = tmp_path / "out"
    out.mkdir()
    killed = []

    def kill(table: str, rows: int) -> None:
        if table == "patients" and not killed:
            killed.extend(_workers())
            for worker in killed:
                worker.send_signal(signal.SIGKILL)

    with pytest.raises(shards.WorkerFailed, match="worker process died"):
        write_parts(SPEC, Randomness(2, today=TODAY), out, "ndjson", batch_size=50, workers=2, progress=kill)
    assert killed
    assert list(tmp_path.iterdir()) == [out] and not list(out.iterdir())  # no part, no temporary left


def test_part_files_refuse_a_bad_format_or_a_used_directory_in_one_line(tmp_path) -> None:
    from healthcare_data.errors import ConfigurationError
    from healthcare_data.parts import write_parts

    with pytest.raises(ConfigurationError, match="written as ndjson or parquet, not 'csv'"):
        write_parts(SPEC, Randomness(1, today=TODAY), tmp_path / "a", "csv")
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "keep.txt").write_text("mine")
    with pytest.raises(ConfigurationError, match="is not an empty directory"):
        write_parts(SPEC, Randomness(1, today=TODAY), tmp_path / "used", "ndjson")
    assert [p.name for p in (tmp_path / "used").iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["used"]


def test_dask_workers_write_the_same_part_files(small_tasks: None, tmp_path) -> None:
    import distributed

    from healthcare_data.parts import write_parts

    write_parts(SPEC, Randomness(7, today=TODAY), tmp_path / "one", "ndjson", batch_size=100)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        write_parts(
            SPEC, Randomness(7, today=TODAY), tmp_path / "dask", "ndjson", batch_size=100,
            dask_scheduler=cluster.scheduler_address,
        )
    one = {p.relative_to(tmp_path / "one"): p.read_bytes() for p in (tmp_path / "one").rglob("*.ndjson")}
    dask = {p.relative_to(tmp_path / "dask"): p.read_bytes() for p in (tmp_path / "dask").rglob("*.ndjson")}
    assert len(one) == 2 + 7 * 3 and dask == one
