"""PostgreSQL loads where every worker COPYs its own shard, and the run stays all-or-nothing.

With ``workers > 1`` a fresh or reset seed on PostgreSQL does not stream every row to the
parent (one writer): the workers run :func:`healthcare_data.parts.run_parts` (the same
tasks, phases and condition numbering as part files) with a :class:`CopySink`, which
COPYs each part into per-run UNLOGGED staging tables
``hd_staging.hd_stage_<pid>_<token>_<table>`` (a schema of their own, so nothing that
lists the database's tables sees them; creating it needs the CREATE privilege on the
database, which the owner of the tables normally has).
A default server has no two-phase commit (``max_prepared_transactions=0``), so the
workers' own transactions cannot join the seed's; instead:

1. the parent, holding the run lock, creates this run's staging tables (committed, so
   the workers see them);
2. each worker COPYs its parts in a transaction of its own connection;
3. the parent, inside the seed's ONE transaction (after the reset's TRUNCATE, indexes
   and foreign keys deferred), moves every table with
   ``INSERT INTO t SELECT ... FROM stage ORDER BY pk``, then builds the indexes and adds
   the foreign keys back (each checks every row at once);
4. the staging tables are dropped whether the run succeeded or not.

A worker that raises or dies, or Ctrl-C, stops the run before step 3 commits: the real
tables are as they were and the staging tables go. A parent killed with SIGKILL cannot
clean up: its staging tables stay until the next seed of that database (any seed on
PostgreSQL, holding the run lock) drops them (:func:`sweep`).
"""

from __future__ import annotations

import os
import pickle
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from healthcare_data.bulk import WriteResult, copy_rows
from healthcare_data.db import Database
from healthcare_data.errors import HealthcareDataError, PersistenceError
from healthcare_data.generation import TABLE_ORDER, Batch, DatasetSpec, checked_plan
from healthcare_data.indexes import create_indexes, drop_indexes
from healthcare_data.indexes import describe as describe_index
from healthcare_data.randomness import Randomness
from healthcare_data.schema import Base

#: Every staging table's name starts with this (what :func:`sweep` looks for).
PREFIX = "hd_stage_"
#: The schema they live in: out of the way of the user's tables (a listing of the
#: database's own schema, an export, the any-schema filler never see them).
SCHEMA = "hd_staging"
_PENDING = "pending"  # the staging table holding phase-1 conditions until phase 2

ProgressCallback = Callable[[str, int, int], None]  # (table, rows in part, rows so far)

# One psycopg connection per (worker) process and URL: a task opens none of its own.
_connections: dict[str, Any] = {}


def _connection(conninfo: str) -> Any:
    import psycopg

    conn = _connections.get(conninfo)
    if conn is None or conn.closed:
        conn = _connections[conninfo] = psycopg.connect(conninfo, autocommit=True)
    return conn


def close_connections() -> None:
    """Close this process's shard connections (the parent's, after a run)."""
    while _connections:
        _, conn = _connections.popitem()
        conn.close()


class StagingFailed(HealthcareDataError):
    """A shard worker's COPY into its staging table failed (raised in the worker)."""


@dataclass(frozen=True)
class CopySink:
    """A :class:`~healthcare_data.parts.PartSink` that COPYs parts into the run's staging
    tables ``<prefix><table>``; pending conditions wait as pickles in ``<prefix>pending``."""

    conninfo: str
    prefix: str

    def write(self, part: int, phase: int, batches: Sequence[Batch]) -> dict[str, int]:
        counts: dict[str, int] = {}
        conn = _connection(self.conninfo)
        with _reported(f"COPY of part {part} (phase {phase})"), conn.transaction():
            for batch in batches:
                if batch.rows:
                    copy_rows(conn, self.prefix + batch.table, list(batch.rows[0]), batch.rows)
                    counts[batch.table] = counts.get(batch.table, 0) + len(batch.rows)
        return counts

    def hold(self, part: int, batches: list[Batch]) -> None:
        data = pickle.dumps(batches, protocol=pickle.HIGHEST_PROTOCOL)
        with _reported(f"Holding part {part}'s conditions"):
            _connection(self.conninfo).execute(
                f"INSERT INTO {self.prefix}{_PENDING} (part, data) VALUES (%s, %s)", (part, data)
            )

    def take(self, part: int) -> list[Batch]:
        with _reported(f"Reading part {part}'s conditions"):
            row = (
                _connection(self.conninfo)
                .execute(f"DELETE FROM {self.prefix}{_PENDING} WHERE part = %s RETURNING data", (part,))
                .fetchone()
            )
        if row is None:
            raise StagingFailed(f"part {part}'s pending conditions are gone from {self.prefix}{_PENDING}")
        held: list[Batch] = pickle.loads(row[0])  # noqa: S301 - our own rows, written by phase 1
        return held


@contextmanager
def _reported(what: str) -> Iterator[None]:
    """A database error in a worker as :class:`StagingFailed` naming ``what`` failed:
    psycopg's errors do not always survive the trip back to the parent."""
    try:
        yield
    except Exception as exc:
        raise StagingFailed(f"{what} failed: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    if isinstance(exc, HealthcareDataError):  # its message, without the recovery hints
        return exc.message
    text_ = str(getattr(exc, "orig", None) or exc).strip()
    return text_.splitlines()[0] if text_ else type(exc).__name__


def _conninfo(db: Database) -> str:
    """The libpq URL of ``db`` (password included: the workers log in as the parent does)."""
    return make_url(db.engine.url).set(drivername="postgresql").render_as_string(hide_password=False)


def sweep(db: Database) -> list[str]:
    """Drop every staging table in the database's schema; returns their names.

    Called only while holding the run lock, so no live run owns one: they are what a
    killed parent left behind."""
    with db.engine.connect() as conn:
        names = list(
            conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = :schema "
                    "AND starts_with(tablename, :prefix) ORDER BY tablename"
                ),
                {"schema": SCHEMA, "prefix": PREFIX},
            ).scalars()
        )
        for name in names:
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS {SCHEMA}."{name}"')
        conn.commit()
    return names


def _create_statement(conn: Connection, prefix: str, name: str) -> str:
    """``CREATE UNLOGGED TABLE`` of ``name``'s columns and types (no keys, indexes or
    defaults: every generated row carries every column). Built from the schema, not
    ``LIKE name``: LIKE would wait for the lock the seed's TRUNCATE holds on ``name``."""
    columns = ", ".join(
        f"{c.name} {c.type.compile(dialect=conn.dialect)}" for c in Base.metadata.tables[name].columns
    )
    return f"CREATE UNLOGGED TABLE {prefix}{name} ({columns})"


class Staging:
    """One run's staging tables: named now, created by :meth:`create` (holding the run
    lock), dropped by :func:`staging` once the seed's transaction is over."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.prefix = f"{SCHEMA}.{PREFIX}{os.getpid()}_{secrets.token_hex(4)}_"
        self.tables: list[str] = []

    def create(self, tables: Sequence[str]) -> None:
        """The staging tables of ``tables`` and of pending conditions, committed so the
        workers see them."""
        with self.db.engine.connect() as conn:
            self.tables = [*tables, _PENDING]
            conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            for table in tables:
                conn.exec_driver_sql(_create_statement(conn, self.prefix, table))
            conn.exec_driver_sql(
                f"CREATE UNLOGGED TABLE {self.prefix}{_PENDING} (part integer PRIMARY KEY, data bytea)"
            )
            conn.commit()

    def drop(self) -> None:
        """Drop the staging tables that exist (none when :meth:`create` never ran)."""
        if not self.tables:
            return
        with self.db.engine.connect() as conn:
            for name in self.tables:
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {self.prefix}{name}")
            conn.commit()
        self.tables = []


@contextmanager
def staging(db: Database) -> Iterator[Staging]:
    """A :class:`Staging` for a seed; enter it OUTSIDE the seed's transaction: the move
    reads the staging tables inside that transaction, which keeps them locked until it
    ends, so they can only be dropped (here, whatever happened) after it."""
    stage = Staging(db)
    try:
        yield stage
    finally:
        stage.drop()


def _drop_foreign_keys(conn: Connection, tables: Sequence[str]) -> list[tuple[str, str, str]]:
    """Drop the foreign keys of ``tables`` (inside the caller's transaction); returns
    (table, name, definition) of each, from the catalog, to add back exactly.

    Why: row by row, a foreign key costs a lookup in the parent table per row and key,
    about two thirds of the move's time (measured: 3.3 s with the keys, 1.1 s without, for
    286,000 rows); adding the key back checks every row at once, in one join."""
    found = conn.execute(
        text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(:tables) ORDER BY 1, 2"
        ),
        {"tables": list(tables)},
    ).all()
    for table, name, _ in found:
        conn.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return [(str(t), str(n), str(d)) for t, n, d in found]


def _move(conn: Connection, prefix: str, tables: Sequence[str], result: WriteResult) -> None:
    """Every staged table into its real table, parents first, in primary-key order."""
    for name in tables:
        if not result.rows.get(name):
            continue
        table = Base.metadata.tables[name]
        columns = ", ".join(c.name for c in table.columns)
        order = ", ".join(c.name for c in table.primary_key.columns)
        started = time.perf_counter()
        conn.exec_driver_sql(
            f"INSERT INTO {name} ({columns}) SELECT {columns} FROM {prefix}{name} ORDER BY {order}"
        )
        result.write_seconds[name] = time.perf_counter() - started


def write_sharded(
    db: Database,
    conn: Connection,
    stage: Staging,
    spec: DatasetSpec,
    rng: Randomness,
    batch_size: int,
    workers: int,
    *,
    dask_scheduler: str | None = None,
    progress: ProgressCallback | None = None,
) -> WriteResult:
    """Write ``spec``'s dataset into the empty tables of ``db`` inside ``conn``'s open
    transaction (the seed's, holding the run lock), each shard COPYed by its worker.

    The caller commits or rolls back, then leaves :func:`staging`, which drops ``stage``.
    ``seconds`` per table is the wall time from the start of the run to the end
    of that table's move (workers run the tables side by side, so there is no per-table
    generation time); ``write_seconds`` is the move alone.
    """
    from healthcare_data.parts import run_parts

    plan = checked_plan(spec, rng, batch_size, workers)
    tables = list(TABLE_ORDER)  # parents before children
    result = WriteResult(backend=db.backend, method="copy")
    started = time.perf_counter()

    def tally(counts: dict[str, int]) -> None:
        for table, rows in counts.items():
            result.rows[table] = result.rows.get(table, 0) + rows
            result.batches += 1
            if progress is not None:
                progress(table, rows, result.rows[table])

    stage.create(tables)
    try:
        sink = CopySink(_conninfo(db), stage.prefix)
        run_parts(plan, rng, sink, batch_size, workers, dask_scheduler, tally)
    except HealthcareDataError as exc:
        raise _failure("Generating and staging the shards", exc) from exc
    finally:
        close_connections()  # the parent's own, used for the global tables
    deferred = drop_indexes(conn)
    keys = _drop_foreign_keys(conn, tables)
    try:
        _move(conn, stage.prefix, tables, result)
    except SQLAlchemyError as exc:
        raise _failure(f"Moving the staged rows into the tables ({stage.prefix}*)", exc) from exc
    for built in deferred:
        try:
            create_indexes(conn, [built])
        except SQLAlchemyError as exc:
            raise _failure(f"Building {describe_index(built)} after the load", exc) from exc
    for table, name, definition in keys:
        try:
            conn.exec_driver_sql(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        except SQLAlchemyError as exc:
            raise _failure(f"Checking foreign key {name} on {table} after the load", exc) from exc
    for name in result.rows:
        result.seconds[name] = time.perf_counter() - started
    result.total_seconds = time.perf_counter() - started
    return result


def _failure(what: str, exc: BaseException) -> PersistenceError:
    """The same report as the single writer's: what failed, why, and that nothing was kept."""
    return PersistenceError(
        f"{what} failed: {_first_line(exc)}; the whole run was rolled back, 0 rows kept",
        rows_written=0,
        recovery=["fix the cause and rerun (nothing was kept)"],
    )


__all__ = [
    "PREFIX",
    "SCHEMA",
    "CopySink",
    "Staging",
    "StagingFailed",
    "close_connections",
    "staging",
    "sweep",
    "write_sharded",
]
