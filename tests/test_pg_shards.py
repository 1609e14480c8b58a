"""PostgreSQL seeds whose workers COPY their own shards: the rows of the single writer, and
all or nothing (a killed or failing worker leaves the database as it was, no staging
tables behind)."""

from __future__ import annotations

import contextlib
import hashlib
import signal
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import psutil
import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from healthcare_data import pg_shards, seeding, shards
from healthcare_data.db import Database
from healthcare_data.errors import PersistenceError
from healthcare_data.schema import Base
from tests.test_shards import _alive, _workers

TODAY = date(2026, 6, 1)
# 3 tenants, several care groups; TASK_ROWS is lowered below so each phase has several tasks.
COUNTS = {
    "patients": 300,
    "providers": 130,
    "appointments": 1200,
    "medical_records": 500,
    "insurance_claims": 300,
}
TABLES = [t.name for t in Base.metadata.sorted_tables]


@pytest.fixture
def pg(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """This session's scratch PostgreSQL database, emptied, with small tasks."""
    monkeypatch.setattr(shards, "TASK_ROWS", 300)
    db = Database(postgres_url).create_schema()
    db.reset()
    yield db
    db.reset()
    db.dispose()


def _seed(db: Database, workers: int, **options: Any) -> seeding.SeedResult:
    return seeding.seed(
        "minimal",
        db,
        seed=11,
        tenants=3,
        counts=COUNTS,
        workers=workers,
        validate=False,
        today=TODAY,
        **options,
    )


def _digest(db: Database) -> dict[str, tuple[int, str]]:
    """Rows and a SHA-256 per table, rows in primary-key order."""
    out = {}
    with db.engine.connect() as conn:
        for table in TABLES:
            rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all()
            out[table] = (
                len(rows),
                hashlib.sha256(repr([tuple(map(str, r)) for r in rows]).encode()).hexdigest(),
            )
    return out


def _staging_tables(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT schemaname || '.' || tablename FROM pg_tables "
                    "WHERE starts_with(tablename, :p) ORDER BY 1"
                ),
                {"p": pg_shards.PREFIX},
            ).scalars()
        )


@pytest.fixture
def sharded_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Records each call of the per-worker COPY path (its worker count)."""
    calls: list[int] = []
    real = pg_shards.write_sharded

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[6])
        return real(*args, **kwargs)

    monkeypatch.setattr(pg_shards, "write_sharded", spy)
    return calls


def test_workers_copying_their_shards_write_the_rows_of_the_single_writer(
    pg: Database, sharded_calls: list[int]
) -> None:
    one = _seed(pg, 1)
    expected = _digest(pg)
    assert sharded_calls == []  # one worker: today's single writer
    assert expected["patient_conditions"][0] > 0 and expected["medical_records"][0] == 500
    two = _seed(pg, 2, reset=True)
    assert _digest(pg) == expected
    three = _seed(pg, 3, reset=True)
    assert _digest(pg) == expected
    assert sharded_calls == [2, 3]
    assert two.write.rows == three.write.rows == one.write.rows
    assert two.mode == "reset" and two.write.method == "copy"
    assert _staging_tables(pg) == []
    assert pg.sequence_positions()["patients"] == COUNTS["patients"] + 1  # sequences synced after the move


def test_a_fresh_database_is_loaded_by_the_workers_too(pg: Database, sharded_calls: list[int]) -> None:
    _seed(pg, 1)
    expected = _digest(pg)
    pg.reset()
    result = _seed(pg, 2)
    assert (result.mode, sharded_calls) == ("fresh", [2])
    assert _digest(pg) == expected


def test_append_keeps_the_single_writer(pg: Database, sharded_calls: list[int]) -> None:
    _seed(pg, 2)
    result = _seed(pg, 2, append=True)
    assert (result.mode, sharded_calls) == ("append", [2])
    assert _digest(pg)["patients"][0] == 2 * COUNTS["patients"]


def _kill_workers(table: str, rows: int, so_far: int) -> None:
    """Progress callback: at the first part of patients, SIGKILL every worker process."""
    if table == "patients" and so_far == rows:
        for worker in _workers():
            with contextlib.suppress(psutil.NoSuchProcess):
                worker.send_signal(signal.SIGKILL)


def test_a_killed_worker_leaves_the_database_as_it_was(pg: Database) -> None:
    _seed(pg, 1)
    before = _digest(pg)
    with pytest.raises(PersistenceError, match="worker process died.*0 rows kept"):
        _seed(pg, 2, reset=True, progress=_kill_workers)
    assert _digest(pg) == before
    assert _staging_tables(pg) == []
    assert not [w for w in _workers() if _alive(w)]


def test_a_failing_worker_leaves_the_database_as_it_was(pg: Database) -> None:
    """A worker's COPY fails (its staging table is gone): the error names the part and the
    cause, and nothing is kept."""
    _seed(pg, 1)
    before = _digest(pg)

    def drop_a_staging_table(table: str, rows: int, so_far: int) -> None:
        if table == "patients" and so_far == rows:  # phase 1 under way; phase 2 writes records
            (name,) = [t for t in _staging_tables(pg) if t.endswith("_medical_records")]
            with pg.engine.begin() as conn:
                conn.exec_driver_sql(f"DROP TABLE {name}")

    with pytest.raises(PersistenceError, match=r"COPY of part \d+ \(phase 2\) failed: .*does not exist"):
        _seed(pg, 2, reset=True, progress=drop_a_staging_table)
    assert _digest(pg) == before
    assert _staging_tables(pg) == []


def test_staging_tables_a_killed_run_left_are_swept_by_the_next(pg: Database) -> None:
    """Any seed sweeps them (holding the run lock, no live run owns one); the user's own
    tables, whatever their name, are left alone."""
    left = f"{pg_shards.SCHEMA}.{pg_shards.PREFIX}99999_deadbeef_patients"
    mine = f"public.{pg_shards.PREFIX}mine"
    with pg.engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {pg_shards.SCHEMA}")
        conn.exec_driver_sql(f"CREATE UNLOGGED TABLE {left} (id integer)")
        conn.exec_driver_sql(f"CREATE TABLE {mine} (id integer)")
    assert _staging_tables(pg) == [left, mine]
    _seed(pg, 1)
    assert _staging_tables(pg) == [mine]
    with pg.engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE {mine}")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_a_parent_stopped_while_its_workers_copy_keeps_nothing(
    pg: Database, postgres_url: str, sig: int
) -> None:
    """Ctrl-C: one line, exit 130, the previous rows, no staging tables. SIGKILL: the
    previous rows; the staging tables stay (nothing can run in a killed process) until the
    next seed sweeps them.

    The signal must land before the run commits, however slow the machine: this test
    holds a SHARE lock on the claims staging table from before phase 2, so no worker can
    COPY claims and the run cannot reach its move until the signal is sent."""
    from tests.test_faults import start_seed

    _seed(pg, 1)
    before = _digest(pg)
    process = start_seed(postgres_url, "--profile", "load_test", "--seed", "5", "--reset", "--workers", "2")
    deadline = time.monotonic() + 60
    with pg.engine.connect() as locker:
        claims = _wait_for(
            process, deadline, lambda: [t for t in _staging_tables(pg) if t.endswith("_claims")]
        )
        locker.exec_driver_sql(f"LOCK TABLE {claims[0]} IN SHARE MODE")
        assert locker.exec_driver_sql(f"SELECT count(*) FROM {claims[0]}").scalar() == 0  # before phase 2
        _wait_for(process, deadline, lambda: _staged_rows(pg))  # the workers are copying
        helpers = psutil.Process(process.pid).children(recursive=True)
        process.send_signal(sig)
        locker.rollback()
    _, stderr = process.communicate(timeout=60)
    psutil.wait_procs(helpers, timeout=15)
    if sig == signal.SIGINT:
        assert process.returncode == 130 and "interrupted" in stderr, stderr
        assert _staging_tables(pg) == []
    else:
        assert process.returncode == -signal.SIGKILL
        assert _staging_tables(pg)  # left behind...
    assert _digest(pg) == before
    if sig == signal.SIGKILL:
        _seed(pg, 1, reset=True)
        assert _staging_tables(pg) == []  # ...and swept
        assert _digest(pg) == before


def _wait_for(process: Any, deadline: float, found: Any) -> Any:
    """Poll ``found()`` until it is truthy, while the seed ``process`` runs."""
    while not (result := found()):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the seed never got there"
        time.sleep(0.02)
    return result


def _staged_rows(db: Database) -> int:
    """Rows in this database's staging tables of patients (0 while there are none)."""
    tables = [t for t in _staging_tables(db) if t.endswith("_patients")]
    if not tables:
        return 0
    with db.engine.connect() as conn:
        try:
            return int(conn.exec_driver_sql(f"SELECT count(*) FROM {tables[0]}").scalar_one())
        except ProgrammingError:  # dropped between listing and counting
            return 0


def test_dask_workers_copy_the_rows_of_the_single_writer(pg: Database, sharded_calls: list[int]) -> None:
    import distributed

    _seed(pg, 1)
    expected = _digest(pg)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        _seed(pg, 1, reset=True, dask_scheduler=cluster.scheduler_address)
    assert len(sharded_calls) == 1
    assert _digest(pg) == expected
    assert _staging_tables(pg) == []


def _foreign_keys(db: Database) -> list[tuple[str, str, str]]:
    with db.engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                text(
                    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE contype = 'f' ORDER BY 1, 2"
                )
            )
        ]


def test_the_move_checks_foreign_keys_at_the_end_and_keeps_them(pg: Database) -> None:
    """The keys are dropped for the move and added back, which checks every row: an
    orphan among the staged rows fails the run, nothing is kept, the keys are all there."""
    _seed(pg, 1)
    before, keys = _digest(pg), _foreign_keys(pg)
    assert any(name == "appointments" for name, _, _ in keys)

    def orphan_an_appointment(table: str, rows: int, so_far: int) -> None:
        if table == "appointments" and so_far == rows:
            (name,) = [t for t in _staging_tables(pg) if t.endswith("_appointments")]
            with pg.engine.begin() as conn:
                conn.exec_driver_sql(
                    f"UPDATE {name} SET patient_id = -1 WHERE id = (SELECT min(id) FROM {name})"
                )

    with pytest.raises(
        PersistenceError, match=r"Checking foreign key \S+ on appointments after the load failed"
    ):
        _seed(pg, 2, reset=True, progress=orphan_an_appointment)
    assert (_digest(pg), _foreign_keys(pg), _staging_tables(pg)) == (before, keys, [])
    _seed(pg, 2, reset=True)
    assert (_digest(pg), _foreign_keys(pg)) == (before, keys)
