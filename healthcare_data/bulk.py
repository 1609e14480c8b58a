"""Persist a stream of row batches fast, and say exactly how far a failed run got.

The bulk engine (:mod:`healthcare_data.generation`) yields :class:`Batch` objects in
dependency order; this module writes them:

* **SQLite**: batched transactions through SQLAlchemy Core. ``method="core"`` is the
  textbook ``conn.execute(table.insert(), rows)``; ``method="driver"`` (the ``auto``
  choice) converts each value once with the dialect's own bind semantics (dates through
  C ``isoformat``) and hands tuples to ``exec_driver_sql``: the same stored values
  (the tests compare both), about a quarter less database time, because SQLAlchemy's
  per-row parameter bookkeeping is skipped. Values are gathered and converted column by
  column (``itemgetter``/``zip`` in C, one comprehension per converted column), so
  writing pre-generated batches costs the insert ceiling plus ~0.03 s of conversion per
  14,000 rows. ``PRAGMA synchronous=NORMAL`` is set for the job only (and restored):
  durable enough for a test-data database.
* **PostgreSQL**: ``COPY ... FROM STDIN`` through psycopg 3's ``cursor.copy()`` and
  ``write_row`` (``method="copy"``, the ``auto`` choice), or ``method="executemany"``
  (Core executemany) to compare against.

Each batch is its own transaction unless ``atomic=True`` (one transaction for the whole
run). A failure rolls back the batch in flight and raises :class:`PersistenceError`
naming the table, the batch number and the rows committed before it, so nothing is
half-written without being reported. Batches are drawn from the generator in a
background thread (``pipeline=True``) so generation overlaps the database's work.

:func:`stream_to_ndjson` writes the same stream to newline-delimited JSON, one file per
table, holding no more than one batch in memory.
"""

from __future__ import annotations

import queue
import resource
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from typing import Any

import psutil
from sqlalchemy import Connection, Date, DateTime, Table
from sqlalchemy.exc import SQLAlchemyError

from healthcare_data.db import Database
from healthcare_data.errors import ConfigurationError, HealthcareDataError, Interrupted, PersistenceError
from healthcare_data.generation import ID_TABLES, Batch
from healthcare_data.indexes import create_indexes, drop_indexes
from healthcare_data.indexes import describe as describe_index
from healthcare_data.ndjson import NdjsonResult, stream_to_ndjson  # re-exported: kept light there
from healthcare_data.schema import Base

METHODS = ("auto", "core", "driver", "copy", "executemany")


@dataclass
class WriteResult:
    """What a write run did: rows and seconds per table, throughput and memory."""

    backend: str
    method: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # generate + write, per table
    # Time spent in writer.write per table. With pipeline=True this is NOT database time
    # alone: the prefetch thread holds the GIL while it generates, and the writer waits
    # for it (scenario x1 on SQLite: 0.43 s here when pipelined, 0.18 s serially for the
    # same batches). Measure the halves apart: generate into a list, write it serially.
    write_seconds: dict[str, float] = field(default_factory=dict)
    batches: int = 0
    total_seconds: float = 0.0
    peak_rss_mb: float = 0.0  # highest RSS sampled (psutil) after each batch of this run
    max_rss_mb: float = 0.0  # the process's lifetime high-water mark (ru_maxrss)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.total_seconds if self.total_seconds else 0.0

    @property
    def generate_seconds(self) -> float:
        """Time spent waiting for rows (the generator), as opposed to writing them; see
        ``write_seconds`` for why this undercounts generation when pipelined."""
        return self.total_seconds - sum(self.write_seconds.values())

    def table_rows(self) -> list[dict[str, object]]:
        """One summary row per table (for tabulate)."""
        return [
            {
                "table": name,
                "rows": count,
                "seconds": round(self.seconds.get(name, 0.0), 3),
                "write_s": round(self.write_seconds.get(name, 0.0), 3),
                "rows/s": round(count / self.seconds[name]) if self.seconds.get(name) else None,
            }
            for name, count in self.rows.items()
        ]


ProgressCallback = Callable[[str, int, int], None]  # (table, rows in batch, rows so far)


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def _max_rss_mb() -> float:
    # psutil has no peak-RSS field on Linux; ru_maxrss is the kernel's VmHWM in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _table(name: str) -> Table:
    try:
        return Base.metadata.tables[name]
    except KeyError:
        known = ", ".join(t.name for t in Base.metadata.sorted_tables)
        raise ConfigurationError(f"Batch for unknown table {name!r}; known tables: {known}") from None


def _columns(table: Table, row: Mapping[str, Any]) -> list[str]:
    """The columns a batch writes: the keys of its first row, all of which must exist."""
    unknown = [k for k in row if k not in table.columns]
    if unknown:
        raise ConfigurationError(
            f"Row for {table.name!r} has unknown column(s) {unknown}; "
            f"columns: {', '.join(table.columns.keys())}"
        )
    return list(row)


class _Writer:
    """Writes one batch inside an open transaction; one subclass per method."""

    name = "core"

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def write(self, table: Table, rows: list[dict[str, Any]]) -> None:
        self.conn.execute(table.insert(), rows)


class _DriverWriter(_Writer):
    """Tuples through ``exec_driver_sql``, converted by the dialect's own processors.

    The processors are looked up once per (table, columns); only columns that need one
    (booleans, numerics, dates on SQLite) are converted, so most values pass untouched.
    """

    name = "driver"

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        self._plans: dict[tuple[str, tuple[str, ...]], tuple[str, list[tuple[int, tuple[str, Any]]]]] = {}

    def _plan(self, table: Table, columns: tuple[str, ...]) -> tuple[str, list[tuple[int, tuple[str, Any]]]]:
        key = (table.name, columns)
        plan = self._plans.get(key)
        if plan is None:
            dialect = self.conn.dialect
            marks = ", ".join("?" if dialect.paramstyle == "qmark" else "%s" for _ in columns)
            sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
            processors = []
            for i, name in enumerate(columns):
                column_type = table.columns[name].type
                processor = column_type.dialect_impl(dialect).bind_processor(dialect)
                if processor is not None:
                    kind = (
                        "datetime"
                        if isinstance(column_type, DateTime)
                        else "date"
                        if isinstance(column_type, Date)
                        else "other"
                    )
                    processors.append((i, (kind, processor)))
            plan = self._plans[key] = (sql, processors)
        return plan

    def write(self, table: Table, rows: list[dict[str, Any]]) -> None:
        columns = tuple(_columns(table, rows[0]))
        sql, processors = self._plan(table, columns)
        # Column-wise: itemgetter/zip build the tuples in C, and each converted column is
        # one comprehension (no per-row list, no per-value wrapper call for datetimes).
        get = itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
        if not processors:
            tuples = list(map(get, rows)) if len(columns) > 1 else [get(row) for row in rows]
        else:
            values: list[Any] = list(zip(*map(get, rows), strict=True))
            for i, (kind, process) in processors:
                values[i] = _convert(kind, process, values[i])
            tuples = list(zip(*values, strict=True))
        self.conn.exec_driver_sql(sql, tuples)


def _convert(kind: str, process: Callable[[Any], Any], column: Iterable[Any]) -> list[Any]:
    """One column's values through its bind processor (None passes untouched).

    SQLAlchemy stores DATETIME as ``YYYY-MM-DD HH:MM:SS.ffffff`` and DATE as
    ``YYYY-MM-DD``: exactly ``isoformat(" ", "microseconds")`` / ``isoformat()``, which
    are implemented in C; its own processors format with ``%`` in Python (~6 µs a value).
    Anything that is not exactly a naive datetime / a date still goes through SQLAlchemy.
    """
    if kind == "datetime":
        return [
            v.isoformat(" ", "microseconds")
            if type(v) is datetime and v.tzinfo is None
            else (None if v is None else process(v))
            for v in column
        ]
    if kind == "date":
        return [v.isoformat() if type(v) is date else (None if v is None else process(v)) for v in column]
    return [None if v is None else process(v) for v in column]


class _CopyWriter(_Writer):
    """PostgreSQL ``COPY table (cols) FROM STDIN`` with psycopg 3's ``write_row``."""

    name = "copy"

    def write(self, table: Table, rows: list[dict[str, Any]]) -> None:
        columns = _columns(table, rows[0])
        raw = self.conn.connection.driver_connection
        if raw is None or not hasattr(raw, "cursor"):
            raise ConfigurationError("COPY needs the psycopg 3 driver (postgresql+psycopg://)")
        copy_rows(raw, table.name, columns, rows)


def copy_rows(raw: Any, target: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
    """``COPY target (columns) FROM STDIN`` of ``rows`` on a psycopg 3 connection ``raw``:
    the one COPY of the project (the seed's writer and the PostgreSQL shard workers')."""
    statement = f"COPY {target} ({', '.join(columns)}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        write_row = copy.write_row
        for row in rows:
            write_row([row[c] for c in columns])


def _writer_class(backend: str, method: str) -> type[_Writer]:
    if method not in METHODS:
        raise ConfigurationError(f"Unknown write method {method!r}; known: {', '.join(METHODS)}")
    if method == "auto":
        method = {"sqlite": "driver", "postgresql": "copy"}.get(backend, "core")
    if method == "copy" and backend != "postgresql":
        raise ConfigurationError(f"method 'copy' needs PostgreSQL, not {backend!r}; use 'auto' or 'core'")
    if method == "driver" and backend != "sqlite":
        raise ConfigurationError(f"method 'driver' is the SQLite fast path, not for {backend!r}")
    return {"core": _Writer, "executemany": _Writer, "driver": _DriverWriter, "copy": _CopyWriter}[method]


PIPELINE_DEPTH = 2
_DONE = object()


def _is_interrupt(kind: type[BaseException] | None) -> bool:
    return kind is not None and issubclass(kind, KeyboardInterrupt | Interrupted)


class _Prefetch:
    """Iterate ``source`` in a daemon thread, up to PIPELINE_DEPTH items ahead.

    Exceptions of the source are re-raised in the consumer at the position they
    happened; ``close()`` stops the producer (used when the consumer fails).
    """

    def __init__(self, source: Iterable[Any]) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=PIPELINE_DEPTH)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(iter(source),), daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, source: Iterator[Any]) -> None:
        # Signals go to the main thread: one delivered here would not wake the writer
        # blocked in the driver's poll(), and Ctrl-C would wait for the socket.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            for item in source:
                if not self._put(item):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, re-raised there
            self._put((_DONE, exc))
            return
        finally:
            # A generator stopped early is closed here, in its own thread, so what it holds
            # (the sharded stream's worker processes) is released now, not at garbage collection.
            close = getattr(source, "close", None)
            if close is not None:
                close()
        self._put((_DONE, None))

    def __iter__(self) -> _Prefetch:
        return self

    def __next__(self) -> Any:
        item = self._queue.get()
        if isinstance(item, tuple) and len(item) == 2 and item[0] is _DONE:
            self._stop.set()
            if item[1] is not None:
                raise item[1]
            raise StopIteration
        return item

    def close(self, wait: bool = True) -> None:
        """Stop the producer; ``wait=False`` (an interrupt) does not wait for its batch."""
        self._stop.set()
        if wait:
            self._thread.join(timeout=5)


#: SQLite page cache during a load, in KiB (the default is 2 MB): random-key index pages
#: and FK lookups stay in memory. Restored after the load.
LOAD_CACHE_KIB = 65536

#: SQLite page cache while deferred indexes are built, in KiB. SQLite's sorter keeps up to
#: the cache size in memory per CREATE INDEX on top of the cache itself: at the load's
#: 64 MB the 1M-patient seed's parent peaked at 312 MB (building appointments' uuid
#: index added 61 MB at 2.8M rows). 16 MB bounds that; the sort spills to temp files.
INDEX_BUILD_CACHE_KIB = 16384


@contextmanager
def _sqlite_cache(conn: Connection, kib: int) -> Iterator[None]:
    """``PRAGMA cache_size`` of ``kib`` KiB for the block (SQLite only), then the previous
    size again; allowed inside a transaction, so it serves the seed's own connection too."""
    if conn.dialect.name != "sqlite":
        yield
        return
    previous = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{kib}")
    try:
        yield
    finally:
        # After a failed statement SQLAlchemy refuses more until the caller rolls back:
        # the cache then stays as it is on this connection, which is harmless.
        with suppress(SQLAlchemyError):
            conn.exec_driver_sql(f"PRAGMA cache_size={int(previous if previous is not None else -2000)}")


def _tune(conn: Connection, backend: str) -> Callable[[], None]:
    """Job-only speed settings; returns the function that restores the connection."""
    if backend != "sqlite":
        return lambda: None
    # synchronous=NORMAL skips one of the two fsyncs of each commit; a crash can lose
    # the last batch but not corrupt the file. journal_mode=WAL was measured too and
    # gained nothing here (see benchmarks/README.md), so the file's mode is left alone.
    synchronous = conn.exec_driver_sql("PRAGMA synchronous").scalar()
    cache_size = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
    conn.exec_driver_sql(f"PRAGMA cache_size=-{LOAD_CACHE_KIB}")
    conn.commit()

    def restore() -> None:
        if conn.in_transaction():
            conn.rollback()
        conn.exec_driver_sql(f"PRAGMA synchronous={int(synchronous if synchronous is not None else 2)}")
        conn.exec_driver_sql(f"PRAGMA cache_size={int(cache_size if cache_size is not None else -2000)}")
        conn.commit()

    return restore


def write_dataset(
    db: Database,
    batches: Iterable[Batch],
    *,
    method: str = "auto",
    progress: ProgressCallback | None = None,
    atomic: bool = False,
    pipeline: bool = True,
    connection: Connection | None = None,
    defer_indexes: bool = False,
) -> WriteResult:
    """Write every batch of ``batches``; each batch is one transaction (or one for all).

    ``method``: ``auto`` (SQLite ``driver``, PostgreSQL ``copy``), ``core`` /
    ``executemany`` (SQLAlchemy Core executemany), ``driver`` (SQLite tuples),
    ``copy`` (PostgreSQL COPY). ``progress(table, batch_rows, table_rows_so_far)`` is
    called after each committed batch. Sequences are synced past the explicit ids at
    the end, so later single-record inserts continue the numbering.

    ``pipeline`` (default) draws batches from ``batches`` in a background thread, at
    most :data:`PIPELINE_DEPTH` ahead, while this thread writes: the database driver
    releases the GIL while SQLite/PostgreSQL work, so generating batch n+1 overlaps
    writing batch n. The order of rows is unchanged (one producer, one consumer); the
    per-table ``seconds`` then measure the consumer's wait + write time, and
    ``write_seconds`` include the writer's waits for the GIL the producer holds. On SQLite
    the overlap is small in practice (the sqlite3 module holds the GIL while it binds
    each row), so a pipelined run takes about as long as generation plus writing.

    ``connection``: write inside the caller's open transaction (implies ``atomic``): no
    commit, no job tuning, no sequence sync here; the caller commits or rolls back the
    whole unit (the seed's reset, write and sequence sync are one transaction).

    ``defer_indexes`` (for a load into empty tables; needs ``atomic=True`` or a
    ``connection``): secondary and unique indexes are dropped before the first row and
    built after the last, in the same transaction (:mod:`healthcare_data.indexes`); a
    duplicate fails the build and the whole load is rolled back.
    """
    atomic = atomic or connection is not None
    if defer_indexes and not atomic:
        raise ConfigurationError(
            "defer_indexes=True needs atomic=True: the index build must be able to undo the load"
        )
    writer_class = _writer_class(db.backend, method)
    result = WriteResult(backend=db.backend, method=writer_class.name)
    committed = 0  # rows durably in the database (non-atomic) or pending (atomic)
    started = time.perf_counter()
    per_table_index: dict[str, int] = {}
    iterator = _Prefetch(batches) if pipeline else iter(batches)
    opened = nullcontext(connection) if connection is not None else db.engine.connect()
    with opened as conn, ExitStack() as stack:
        if isinstance(iterator, _Prefetch):
            prefetch = iterator
            # On Ctrl-C/SIGTERM do not wait for the batch being generated: the daemon
            # thread stops at its next put, and the rollback should not wait for it.
            stack.push(lambda kind, _exc, _tb: prefetch.close(wait=not _is_interrupt(kind)))
        elif hasattr(iterator, "close"):  # release a stopped generator's workers now
            stack.callback(iterator.close)
        if connection is None:
            stack.callback(_tune(conn, db.backend))
        writer = writer_class(conn)
        outer = conn.begin() if atomic and connection is None else None
        deferred = drop_indexes(conn) if defer_indexes else []
        mark = time.perf_counter()

        def failure(what: str, exc: BaseException) -> PersistenceError:
            if outer is not None and outer.is_active:
                outer.rollback()
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            scope = (
                "the whole run was rolled back (atomic=True), 0 rows kept"
                if atomic
                else f"{committed} rows committed before it are kept "
                f"({', '.join(f'{t}={n}' for t, n in result.rows.items()) or 'none'})"
            )
            return PersistenceError(
                f"{what} failed and was rolled back: {reason}; {scope}",
                rows_written=0 if atomic else committed,
                recovery=["fix the cause and rerun (nothing was kept)"]
                if atomic
                else ["fix the cause, then reset the database (or append with next_ids) and rerun"],
            )

        # COPY runs on the raw psycopg cursor, so driver errors arrive unwrapped.
        dbapi_error = getattr(db.engine.dialect.dbapi, "Error", SQLAlchemyError)
        failures = (SQLAlchemyError, dbapi_error, HealthcareDataError, KeyError, TypeError, ValueError)
        while True:
            try:
                batch = next(iterator)
            except StopIteration:
                break
            except HealthcareDataError as exc:  # the generator gave up mid-stream
                if isinstance(iterator, _Prefetch):
                    iterator.close()
                raise failure("Generating the next batch", exc) from exc
            generated = time.perf_counter()
            result.seconds[batch.table] = result.seconds.get(batch.table, 0.0) + generated - mark
            if not batch.rows:
                mark = generated
                continue
            index = per_table_index[batch.table] = per_table_index.get(batch.table, 0) + 1
            try:
                table = _table(batch.table)
                if atomic:
                    writer.write(table, batch.rows)
                else:
                    with conn.begin():
                        writer.write(table, batch.rows)
            except failures as exc:
                if isinstance(exc, KeyError):
                    exc = KeyError(f"a row lacks column {exc.args[0]!r} that the batch's first row has")
                what = f"Writing batch {index} of {batch.table!r} ({len(batch.rows)} rows)"
                raise failure(what, exc) from exc
            done = time.perf_counter()
            result.write_seconds[batch.table] = result.write_seconds.get(batch.table, 0.0) + done - generated
            result.seconds[batch.table] += done - generated
            result.rows[batch.table] = result.rows.get(batch.table, 0) + len(batch.rows)
            result.batches += 1
            committed += len(batch.rows)
            result.peak_rss_mb = max(result.peak_rss_mb, _rss_mb())
            if progress is not None:
                progress(batch.table, len(batch.rows), result.rows[batch.table])
            mark = time.perf_counter()
        with _sqlite_cache(conn, INDEX_BUILD_CACHE_KIB) if deferred else nullcontext():
            for built in deferred:
                try:
                    create_indexes(conn, [built])
                except failures as exc:
                    raise failure(f"Building {describe_index(built)} after the load", exc) from exc
        if outer is not None:
            outer.commit()
    if connection is None:
        db.sync_sequences()
    result.total_seconds = time.perf_counter() - started
    result.max_rss_mb = _max_rss_mb()
    return result


def next_ids(db: Database, tables: Iterable[str] | None = None) -> dict[str, int]:
    """The first free id of the bulk engine's tables (or of ``tables``), for
    ``DatasetSpec(first_ids=...)`` (journeys pass their own tables).

    Appending a second dataset to a non-empty database continues the numbering, so the
    identifiers derived from ids (NPI, SSN, claim numbers, ...) stay unique too.
    """
    wanted = set(ID_TABLES if tables is None else tables)
    ids: dict[str, int] = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in wanted and "id" in table.columns and table.columns["id"].primary_key:
                ids[table.name] = db.next_id(conn, table.name)
    return ids


__all__ = [
    "METHODS",
    "Batch",
    "NdjsonResult",
    "WriteResult",
    "next_ids",
    "stream_to_ndjson",
    "write_dataset",
]
