"""Stream a plan's rows into a database or to JSONL, CSV or SQL files.

Rows come from :mod:`healthcare_data.anyschema.rows` one batch at a time, so memory is
bounded by the batch size (the database holds the uncommitted rows, not this process).
A database fill is ONE transaction under the run lock, like ``seed``: the optional
reset, every batch, the UPDATE pass and the sequence moves commit together or not at
all, so a failure or a kill leaves the database as it was.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from healthcare_data.anyschema.columns import INTEGER_TYPES, Integer
from healthcare_data.anyschema.plan import Plan
from healthcare_data.anyschema.rows import TableRows, prepare
from healthcare_data.anyschema_options import FORMATS, METHODS
from healthcare_data.errors import ConfigurationError, PersistenceError

__all__ = ["FORMATS", "METHODS", "FillResult", "TableRows", "prepare", "write_database", "write_files"]

ProgressCallback = Callable[[str, int, int], None]


@dataclass
class FillResult:
    """What a fill did: rows per table, time, throughput, memory, notes and the target."""

    target: str
    rows: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    notes: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    transaction: str = "batch"
    mode: str = "fresh"  # database fills: fresh, reset or append

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds else 0.0


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


# --- database ----------------------------------------------------------------------------------------


def _adapt_sqlite(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bool):
        return int(value)
    return value


def write_database(
    plan: Plan,
    db: Any,
    *,
    seed: int,
    today: date,
    rows: int | None = None,
    batch_size: int = 1000,
    method: str = "auto",
    progress: ProgressCallback | None = None,
    reset: bool = False,
    append: bool = False,
) -> FillResult:
    """Fill ``db``'s tables in place, in ONE transaction holding the run lock.

    Tables that already hold rows need ``reset`` (emptied inside the same transaction,
    so a failed run leaves the old rows) or ``append`` (keys and unique values continue
    after the rows there; new children point at new parents). Any failure rolls the
    whole run back: the database is as it was.
    """
    from healthcare_data import settings
    from healthcare_data.db import is_lock_timeout

    if reset and append:
        raise ConfigurationError("--reset and --append exclude each other; pick one")
    if method not in METHODS:
        raise ConfigurationError(f"Unknown write method {method!r}; known: {', '.join(METHODS)}")
    backend = db.backend
    if method == "copy" and backend != "postgresql":
        raise ConfigurationError(
            f"method 'copy' needs PostgreSQL, not {backend!r}; use 'auto' or 'executemany'"
        )
    use_copy = backend == "postgresql" and method in ("auto", "copy")
    if batch_size < 1:
        raise ConfigurationError(f"--batch-size {batch_size} must be >= 1")
    runners = prepare(plan, seed=seed, today=today, rows=rows)  # a bad plan fails before the lock
    _check_target(plan, db, reset=reset)
    lock_timeout = settings.qa_settings().lock_timeout
    result = FillResult(target=db.url, transaction="run")
    started = time.perf_counter()
    try:
        with db.write_transaction(lock_timeout, schema=False) as conn:
            held = _held(plan, conn)
            if held:
                if reset:
                    _empty(plan, conn, backend)
                    result.mode = "reset"
                elif append:
                    runners = prepare(plan, seed=seed, today=today, offsets=_offsets(plan, conn, runners))
                    result.mode = "append"
                else:
                    listed = ", ".join(f"{t} ({n} rows)" for t, n in held.items())
                    raise ConfigurationError(
                        f"Tables already hold rows: {listed}; pass --reset to empty them first "
                        "or --append to add to them"
                    )
            for runner in runners.values():
                result.notes.extend(runner.notes)
            _write_rows(plan, runners, conn, result, batch_size, use_copy, progress)
            _sync_sequences(plan, conn)
    except (SQLAlchemyError, PersistenceError) as exc:
        if is_lock_timeout(exc) or is_lock_timeout(exc.__cause__ or exc):
            raise db.busy_error(lock_timeout, "waited for a lock another session holds") from None
        raise
    result.seconds = time.perf_counter() - started
    return result


def _write_rows(
    plan: Plan,
    runners: dict[str, TableRows],
    conn: Any,
    result: FillResult,
    batch_size: int,
    use_copy: bool,
    progress: ProgressCallback | None,
) -> None:
    """Every table's batches, then the UPDATE pass of cycle-breaking keys, on ``conn``."""
    backend = conn.dialect.name
    quote = conn.dialect.identifier_preparer.quote
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    adapt = _adapt_sqlite if backend == "sqlite" else None
    if plan.deferred and backend == "postgresql":
        conn.exec_driver_sql("SET CONSTRAINTS ALL DEFERRED")

    from healthcare_data.db import is_lock_timeout

    def run(what: str, table: str, statement: str, batch: list[tuple[Any, ...]], copy: bool) -> None:
        try:
            if copy:
                _copy(conn, statement, batch)
            else:
                conn.exec_driver_sql(statement, batch)
        except Exception as exc:  # noqa: BLE001 - COPY raises the driver's own errors
            if is_lock_timeout(exc):
                raise
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise PersistenceError(
                f"{what} of {table!r} ({len(batch)} rows) failed: {reason}{_advice(reason, plan, table)}; "
                "the run was one transaction and is rolled back: the database is as it was",
                rows_written=0,
                recovery=["fix the cause and rerun"],
            ) from exc

    for name in plan.order:
        runner = runners[name]
        nulls = tuple(fk for fk in plan.tables[name].foreign_keys if fk.strategy == "update")
        cols = ", ".join(quote(c) for c in runner.names)
        if use_copy:
            statement = f"COPY {quote(name)} ({cols}) FROM STDIN"
        else:
            statement = (
                f"INSERT INTO {quote(name)} ({cols}){_overriding(backend)} "
                f"VALUES ({', '.join([mark] * len(runner.names))})"
            )
        result.rows[name] = 0
        for number, batch in enumerate(runner.batches(batch_size, nulls=nulls), 1):
            if adapt is not None:
                batch = [tuple(map(adapt, row)) for row in batch]
            run(f"Writing batch {number}", name, statement, batch, use_copy)
            result.rows[name] += len(batch)
            result.peak_rss_mb = max(result.peak_rss_mb, _rss_mb())
            if progress is not None:
                progress(name, len(batch), result.rows[name])
    for name in plan.order:
        table = plan.tables[name]
        for fk in (f for f in table.foreign_keys if f.strategy == "update"):
            key = table.primary_key or table.unique[0]
            sets = ", ".join(f"{quote(c)} = {mark}" for c in fk.columns)
            where = " AND ".join(f"{quote(c)} = {mark}" for c in key)
            statement = f"UPDATE {quote(name)} SET {sets} WHERE {where}"
            result.updated[name] = result.updated.get(name, 0)
            for number, batch in enumerate(runners[name].update_batches(fk, batch_size), 1):
                if adapt is not None:
                    batch = [tuple(map(adapt, row)) for row in batch]
                if batch:
                    run(f"Update batch {number}", name, statement, batch, False)
                result.updated[name] += len(batch)


def _advice(reason: str, plan: Plan, table: str) -> str:
    """For a CHECK the filler did not satisfy: which one it could not read, and what to do."""
    if "check" not in reason.lower() and not reason.startswith("(4025"):
        return ""
    unread = [
        c.note.split(": ", 1)[1]
        for c in plan.tables[table].columns.values()
        if c.note and c.note.startswith("CHECK not understood")
    ]
    which = f" (not understood: {'; '.join(dict.fromkeys(unread))})" if unread else ""
    return (
        f" - a CHECK of {table!r} the filler does not satisfy{which}; set choices, range or pattern "
        "for its columns in a plan (healthcare-data introspect -o plan.yaml) and pass --schema plan.yaml"
    )


def _held(plan: Plan, conn: Any) -> dict[str, int]:
    """Rows already in each plan table (those holding any), read under the run lock."""
    from sqlalchemy import text

    quote = conn.dialect.identifier_preparer.quote
    counts = {t: conn.execute(text(f"SELECT COUNT(*) FROM {quote(t)}")).scalar_one() for t in plan.order}
    return {t: n for t, n in counts.items() if n}


def _empty(plan: Plan, conn: Any, backend: str) -> None:
    """Delete every row of the plan's tables inside the run's transaction (undone if it fails).

    Cycles and self-references are why the foreign keys wait: PostgreSQL truncates the
    tables in one statement, SQLite defers its checks to the commit, MySQL switches
    them off for the deletes (every table referencing these is in the plan, see
    ``_check_target``).
    """
    quote = conn.dialect.identifier_preparer.quote
    tables = [quote(t) for t in reversed(plan.order)]
    if backend == "postgresql":
        conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
        return
    if backend == "sqlite":
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    else:
        conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
    try:
        for table in tables:
            conn.exec_driver_sql(f"DELETE FROM {table}")
    finally:
        if backend != "sqlite":
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 1")


def _offsets(plan: Plan, conn: Any, runners: dict[str, TableRows]) -> dict[str, int]:
    """An append's first row index per table: past the rows there, and past the highest
    integer key so counted keys (1, 2, 3 ...) continue after it."""
    from sqlalchemy import text

    quote = conn.dialect.identifier_preparer.quote
    offsets: dict[str, int] = {}
    for name in plan.order:
        table = plan.tables[name]
        offset = conn.execute(text(f"SELECT COUNT(*) FROM {quote(name)}")).scalar_one()
        gen = runners[name].gens.get(table.primary_key[0]) if len(table.primary_key) == 1 else None
        if offset and isinstance(gen, Integer) and gen.sequence:
            top = conn.execute(text(f"SELECT MAX({quote(table.primary_key[0])}) FROM {quote(name)}")).scalar()
            offset = max(offset, int(top or 0) - gen.low + 1)
        offsets[name] = offset
    return offsets


def _overriding(backend: str) -> str:
    """PostgreSQL: explicit keys win over ``GENERATED ALWAYS AS IDENTITY`` (COPY needs no clause).

    Keys are written explicitly because children compute their parents' keys from the
    row index; the sequences are moved past them afterwards.
    """
    return " OVERRIDING SYSTEM VALUE" if backend == "postgresql" else ""


def _copy(conn: Any, statement: str, rows: list[tuple[Any, ...]]) -> None:
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        write_row = copy.write_row
        for row in rows:
            write_row(row)


def _check_target(plan: Plan, db: Any, *, reset: bool) -> None:
    """Every plan table exists; for ``reset``, no table outside the plan references one
    (its rows would block the delete, or dangle). One error, nothing written."""
    from sqlalchemy import inspect

    inspector = inspect(db.engine)
    present = set(inspector.get_table_names())
    missing = [t for t in plan.order if t not in present]
    if missing:
        raise ConfigurationError(
            f"Table {missing[0]!r} of the plan is not in {db.url!r}; create the schema first "
            f"(tables there: {', '.join(sorted(present)) or 'none'})"
        )
    if not reset:
        return
    for other in sorted(present - set(plan.tables)):
        for fk in inspector.get_foreign_keys(other):
            if fk.get("referred_table") in plan.tables:
                raise ConfigurationError(
                    f"--reset would empty {fk['referred_table']!r}, which table {other!r} (not in the plan) "
                    f"references; add {other!r} to the plan or empty it yourself"
                )


def _sync_sequences(plan: Plan, conn: Any) -> None:
    """PostgreSQL serial/identity sequences continue after the explicit keys written
    (inside the run's transaction)."""
    if conn.dialect.name != "postgresql":
        return
    from sqlalchemy import text

    quote = conn.dialect.identifier_preparer.quote
    for name, table in plan.tables.items():
        if len(table.primary_key) != 1 or table.columns[table.primary_key[0]].type not in INTEGER_TYPES:
            continue
        column = table.primary_key[0]
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": quote(name), "c": column}
        ).scalar()
        if sequence:
            top = f"COALESCE((SELECT MAX({quote(column)}) FROM {quote(name)}), 0) + 1"
            conn.execute(text(f"SELECT setval(:s, {top}, false)"), {"s": sequence})


# --- files -------------------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _sql_literal(value: Any, backend: str) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, bytes):
        return f"'\\x{value.hex()}'" if backend == "postgresql" else f"X'{value.hex()}'"
    if isinstance(value, list):  # PostgreSQL arrays (the element type comes from the column)
        return f"ARRAY[{', '.join(_sql_literal(v, backend) for v in value)}]" if value else "'{}'"
    if isinstance(value, datetime):
        text = value.isoformat(" ")
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = str(value)
    text = text.replace("'", "''")
    if backend in ("mysql", "mariadb"):
        text = text.replace("\\", "\\\\")
    return f"'{text}'"


def write_files(
    plan: Plan,
    output: str | Path,
    fmt: str,
    *,
    seed: int,
    today: date,
    rows: int | None = None,
    batch_size: int = 1000,
    progress: ProgressCallback | None = None,
) -> FillResult:
    """JSONL or CSV (a file per table in a directory) or one SQL file of INSERTs (+ UPDATEs)."""
    if fmt not in FORMATS:
        raise ConfigurationError(f"Unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    if batch_size < 1:
        raise ConfigurationError(f"--batch-size {batch_size} must be >= 1")
    runners = prepare(plan, seed=seed, today=today, rows=rows)
    target = Path(output)
    if fmt == "sql" and (target.is_dir() or not target.suffix):
        target = target / "data.sql"
    result = FillResult(target=str(target), transaction="file")
    for runner in runners.values():
        result.notes.extend(runner.notes)
    started = time.perf_counter()
    if fmt == "sql":
        _write_sql(plan, runners, target, batch_size, result, progress)
    else:
        target.mkdir(parents=True, exist_ok=True)
        for name in plan.order:
            runner = runners[name]
            path = target / f"{name}.{fmt}"
            result.rows[name] = 0
            with path.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle) if fmt == "csv" else None
                if writer is not None:
                    writer.writerow(runner.names)
                for batch in runner.batches(batch_size):
                    if writer is not None:
                        writer.writerows(batch)
                    else:
                        handle.writelines(
                            json.dumps(dict(zip(runner.names, row, strict=True)), default=_json_value) + "\n"
                            for row in batch
                        )
                    result.rows[name] += len(batch)
                    result.peak_rss_mb = max(result.peak_rss_mb, _rss_mb())
                    if progress is not None:
                        progress(name, len(batch), result.rows[name])
            result.files.append(path)
    result.seconds = time.perf_counter() - started
    return result


def _write_sql(
    plan: Plan,
    runners: dict[str, TableRows],
    target: Path,
    batch_size: int,
    result: FillResult,
    progress: ProgressCallback | None,
) -> None:
    from sqlalchemy.dialects import mysql, postgresql, sqlite

    dialects = {"postgresql": postgresql.dialect, "mysql": mysql.dialect, "mariadb": mysql.dialect}
    dialect = dialects.get(plan.backend, sqlite.dialect)()
    quote = dialect.identifier_preparer.quote
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as out:
        out.write("-- generated by healthcare-data generate (any-schema)\nBEGIN;\n")
        if plan.deferred and plan.backend == "postgresql":
            out.write("SET CONSTRAINTS ALL DEFERRED;\n")
        for name in plan.order:
            runner = runners[name]
            nulls = tuple(fk for fk in plan.tables[name].foreign_keys if fk.strategy == "update")
            head = (
                f"INSERT INTO {quote(name)} ({', '.join(quote(c) for c in runner.names)})"
                f"{_overriding(plan.backend)} VALUES\n"
            )
            result.rows[name] = 0
            for batch in runner.batches(batch_size, nulls=nulls):
                values = ",\n".join(
                    "(" + ", ".join(_sql_literal(v, plan.backend) for v in row) + ")" for row in batch
                )
                out.write(head + values + ";\n")
                result.rows[name] += len(batch)
                if progress is not None:
                    progress(name, len(batch), result.rows[name])
        for name in plan.order:
            table = plan.tables[name]
            for fk in (f for f in table.foreign_keys if f.strategy == "update"):
                key = table.primary_key or table.unique[0]
                for batch in runners[name].update_batches(fk, batch_size):
                    for row in batch:
                        sets = ", ".join(
                            f"{quote(c)} = {_sql_literal(v, plan.backend)}"
                            for c, v in zip(fk.columns, row, strict=False)
                        )
                        where = " AND ".join(
                            f"{quote(c)} = {_sql_literal(v, plan.backend)}"
                            for c, v in zip(key, row[len(fk.columns) :], strict=True)
                        )
                        out.write(f"UPDATE {quote(name)} SET {sets} WHERE {where};\n")
        out.write("COMMIT;\n")
    result.files.append(target)
