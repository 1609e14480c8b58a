"""Engine, sessions and whole-database operations from one URL.

``Database(url)`` opens SQLite (default file), PostgreSQL or MySQL/MariaDB; foreign
keys are enforced on SQLite on every connection. Library functions take a session
or connection and leave the transaction to their caller; ``Database.transaction()``
and ``Database.session()`` are the callers' unit of work.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from healthcare_data import settings
from healthcare_data.errors import ConfigurationError, DatabaseBusyError
from healthcare_data.schema import Base

SUPPORTED_BACKENDS = ("sqlite", "postgresql", "mysql", "mariadb")
#: The run lock's name (MySQL GET_LOCK) and key (PostgreSQL advisory lock): one per database.
RUN_LOCK_NAME = "healthcare_data.run"
RUN_LOCK_KEY = 0x68645F72756E  # b"hd_run"
#: SQLite waits for a busy database in slices this long, so a signal is handled between them.
_SQLITE_WAIT_SLICE_MS = 100
_SQLITE_BUSY_MS = 5000  # the sqlite3 module's default busy timeout


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def check_lengths(table: str, values: Any) -> None:
    """Refuse a string longer than its column (ConfigurationError naming column and limit).

    SQLite would store 10,000 characters in a VARCHAR(100) and PostgreSQL would fail
    with a DataError quoting the SQL; ``values`` is a mapping or an ORM object.
    """
    columns = Base.metadata.tables[table].columns
    get = values.get if isinstance(values, dict) else (lambda name: getattr(values, name, None))
    for column in columns:
        limit = getattr(column.type, "length", None)
        if not limit:
            continue
        value = get(column.key)
        if isinstance(value, str) and len(value) > limit:
            raise ConfigurationError(
                f"{table}.{column.key} is {len(value):,} characters ({value[:20]!r}...); "
                f"the column holds at most {limit}"
            )


@event.listens_for(Base, "before_insert", propagate=True)
@event.listens_for(Base, "before_update", propagate=True)
def _check_orm_lengths(_mapper: Any, _connection: Any, target: Any) -> None:
    """Every ORM write (builders, factories) checks string lengths before the SQL is sent."""
    table = getattr(target, "__tablename__", None)
    if isinstance(table, str) and table in Base.metadata.tables:
        check_lengths(table, target)


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (or the configured default) with the project's settings."""
    raw = settings.database_url(url)
    try:
        parsed = make_url(raw)
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        what = "the port must be a number; " if isinstance(exc, ValueError) else ""
        raise ConfigurationError(
            f"Malformed database URL {raw!r}; {what}expected e.g. sqlite:///file.db or "
            "postgresql+psycopg://user@host:5432/db"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise ConfigurationError(
            f"Unsupported database {backend!r} in {raw!r}; supported: {', '.join(SUPPORTED_BACKENDS)}"
        )
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if backend in ("mysql", "mariadb") and "+" not in parsed.drivername:
        parsed = parsed.set(drivername=f"{backend}+pymysql")
    try:
        engine = create_engine(parsed, **kwargs)
    except ModuleNotFoundError as exc:
        raise ConfigurationError(
            f"No driver for {parsed.drivername!r} ({exc.name} is not installed); "
            "install the extra: pip install 'healthcare-data[postgres]' or '[mysql]'"
        ) from None
    if backend == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    return engine


class Database:
    """One database: schema management, transactions and row counts."""

    def __init__(self, url: str | None = None, *, engine: Engine | None = None) -> None:
        self.engine = engine or make_engine(url)
        self.url = self.engine.url.render_as_string(hide_password=True)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def check_connection(self) -> None:
        """Connect once; raise ConfigurationError naming the URL if that fails."""
        if self.backend in ("mysql", "mariadb"):
            self._probe_mysql_greeting()
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise ConfigurationError(f"Cannot reach database {self.url!r}: {reason}") from None

    def _probe_mysql_greeting(self) -> None:
        """A MySQL server speaks first; one that accepts and stays silent would hang the driver.

        PyMySQL's ``connect_timeout`` covers the TCP connect only, not the handshake read,
        so a port that accepts and never answers is caught here with the same timeout.
        """
        url = self.engine.url
        if url.query.get("unix_socket") or not url.host:
            return
        timeout = float(settings.qa_settings().connect_timeout)
        try:
            with socket.create_connection((url.host, url.port or 3306), timeout=timeout) as sock:
                sock.settimeout(timeout)
                if not sock.recv(1):
                    raise OSError("the server closed the connection")
        except TimeoutError:
            raise ConfigurationError(
                f"Cannot reach database {self.url!r}: {url.host}:{url.port or 3306} accepted the "
                f"connection but sent no MySQL greeting within {timeout:g} s; check the host and port"
            ) from None
        except OSError as exc:
            raise ConfigurationError(f"Cannot reach database {self.url!r}: {exc}") from None

    def check_tables(self, conn: Connection | None = None) -> None:
        """Refuse tables that share our names but not our columns (another application's).

        Seeding would otherwise count, reset or append to someone else's ``patients``.
        """
        def check(bind: Connection) -> None:
            inspector = inspect(bind)
            present = set(inspector.get_table_names())
            for table in Base.metadata.sorted_tables:
                if table.name not in present:
                    continue
                have = {c["name"] for c in inspector.get_columns(table.name)}
                missing = [c.name for c in table.columns if c.name not in have]
                if missing:
                    raise ConfigurationError(
                        f"Database {self.url!r} has a table {table.name!r} that is not healthcare-data's "
                        f"(no column {missing[0]!r}); use an empty database or another schema"
                    )

        if conn is not None:
            check(conn)
        else:
            with self.engine.connect() as bind:
                check(bind)

    @contextmanager
    def write_transaction(self, lock_timeout: float, *, schema: bool = True) -> Iterator[Connection]:
        """One connection and ONE transaction holding the run lock; our tables exist inside it.

        ``schema=False`` (the any-schema filler, on a database of someone else's design):
        the lock and the transaction only, none of our tables checked or created.

        The lock serialises runs against one database: PostgreSQL takes a transaction
        advisory lock (with ``lock_timeout`` for this transaction, so a table locked by
        another session fails fast too), SQLite ``BEGIN IMMEDIATE`` (one writer at a
        time), MySQL ``GET_LOCK``. Waiting longer than ``lock_timeout`` seconds raises
        DatabaseBusyError. Tables are created inside the transaction where DDL is
        transactional (PostgreSQL, SQLite), so a failed first run leaves no empty schema.
        Commit on success, rollback on any exception (KeyboardInterrupt included).
        """
        with self.engine.connect() as conn:
            mysql = self.backend in ("mysql", "mariadb")
            if mysql:
                self._mysql_lock(conn, lock_timeout)
            try:
                if mysql:  # DDL commits implicitly on MySQL: create before the transaction
                    if schema:
                        self.check_tables(conn)
                        Base.metadata.create_all(conn)
                    wait = max(1, round(lock_timeout))
                    conn.exec_driver_sql(f"SET SESSION innodb_lock_wait_timeout = {wait}")
                    conn.exec_driver_sql(f"SET SESSION lock_wait_timeout = {wait}")  # LOCK TABLES, DDL
                    conn.commit()
                transaction = conn.begin()
                try:
                    if self.backend == "sqlite":
                        self._sqlite_begin_immediate(conn, lock_timeout)
                    elif self.backend == "postgresql":
                        self._pg_lock(conn, lock_timeout)
                    if not mysql and schema:
                        self.check_tables(conn)
                        Base.metadata.create_all(conn)
                    yield conn
                except BaseException:
                    _roll_back(conn, transaction)
                    raise
                transaction.commit()
            finally:
                if mysql:
                    try:
                        conn.rollback()
                        conn.execute(text("DO RELEASE_LOCK(:n)"), {"n": self.mysql_lock_name})
                    except DBAPIError:  # pragma: no cover - closing the connection frees it too
                        pass

    def busy_error(self, lock_timeout: float, what: str) -> DatabaseBusyError:
        return DatabaseBusyError(
            f"Database {self.url!r} is busy: {what} for {lock_timeout:g} s; another healthcare-data "
            "run or an open transaction holds it",
            ["wait for it to finish and rerun", "or raise the wait with QA_LOCK_TIMEOUT=<seconds>"],
        )

    def _sqlite_begin_immediate(self, conn: Connection, lock_timeout: float) -> None:
        """BEGIN IMMEDIATE in short busy slices: a Ctrl-C is handled between them."""
        import sqlite3

        raw = conn.connection.dbapi_connection
        assert raw is not None, "a checked-out connection has its DBAPI connection"
        deadline = time.monotonic() + lock_timeout
        raw.execute(f"PRAGMA busy_timeout = {_SQLITE_WAIT_SLICE_MS}")
        try:
            while True:
                try:
                    raw.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) and "busy" not in str(exc):
                        raise
                    if time.monotonic() >= deadline:
                        raise self.busy_error(lock_timeout, "waited for the write lock") from None
        finally:
            raw.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_MS}")

    def _pg_lock(self, conn: Connection, lock_timeout: float) -> None:
        self._pg_advisory(conn, "pg_advisory_xact_lock", lock_timeout, "waited for another run's lock")

    def _pg_advisory(self, conn: Connection, function: str, lock_timeout: float, what: str) -> None:
        """Take the run lock with ``function`` (exclusive per transaction, or shared per
        session), waiting at most ``lock_timeout`` seconds (SET LOCAL: the wait applies to
        taking the lock only, not to the pooled connection's later use)."""
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{max(1, round(lock_timeout * 1000))}ms'")
        try:
            conn.execute(text(f"SELECT {function}(:k)"), {"k": RUN_LOCK_KEY})
        except OperationalError as exc:
            if is_lock_timeout(exc):
                raise self.busy_error(lock_timeout, what) from None
            raise

    @property
    def mysql_lock_name(self) -> str:
        """GET_LOCK names are server-wide: the database's name keeps runs on other databases apart."""
        return f"{RUN_LOCK_NAME}:{self.engine.url.database or ''}"[:64]

    def _mysql_lock(self, conn: Connection, lock_timeout: float) -> None:
        got = conn.execute(
            text("SELECT GET_LOCK(:n, :t)"), {"n": self.mysql_lock_name, "t": max(0, round(lock_timeout))}
        ).scalar()
        conn.commit()
        if got != 1:
            raise self.busy_error(lock_timeout, "waited for another run's lock")

    @contextmanager
    def shared_run_lock(self, lock_timeout: float) -> Iterator[None]:
        """Readers (validate, export) wait for a seed in progress on PostgreSQL, then read.

        SQLite and MySQL readers see the last committed state without a lock.
        """
        if self.backend != "postgresql":
            yield
            return
        with self.engine.connect() as conn:
            # The lock is session-level: it survives the commit that ends SET LOCAL's wait.
            self._pg_advisory(conn, "pg_advisory_lock_shared", lock_timeout, "waited for a seed in progress")
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock_shared(:k)"), {"k": RUN_LOCK_KEY})
                conn.commit()

    def empty_tables(self, conn: Connection) -> list[str]:
        """Delete every row of our tables inside the caller's transaction (nothing else).

        PostgreSQL: ``TRUNCATE ... RESTART IDENTITY``, transactional there (sequences
        included). SQLite: DELETE plus ``sqlite_sequence``. MySQL: DELETE only (ALTER
        TABLE would commit); the explicit ids written next make AUTO_INCREMENT follow.
        """
        order = list(reversed(Base.metadata.sorted_tables))
        if self.backend == "postgresql":
            conn.exec_driver_sql("TRUNCATE " + ", ".join(t.name for t in order) + " RESTART IDENTITY")
        else:
            for table in order:
                conn.execute(table.delete())
            if self.backend == "sqlite" and inspect(conn).has_table("sqlite_sequence"):
                names = ", ".join(f"'{t.name}'" for t in order)
                conn.exec_driver_sql(f"DELETE FROM sqlite_sequence WHERE name IN ({names})")
        return [t.name for t in order]

    def next_ids(self, conn: Connection, tables: Iterable[str]) -> dict[str, int]:
        """First free id of each of ``tables`` (for appends), read on ``conn``."""
        return {table: self.next_id(conn, table) for table in tables}

    def create_schema(self) -> Database:
        """Create every table that does not exist yet, under the run lock.

        Two processes creating the schema at once would otherwise race in the catalog
        (PostgreSQL ``pg_type_typname_nsp_index``, SQLite "table already exists");
        with the lock the second waits and finds the tables there.
        """
        with self.write_transaction(settings.qa_settings().lock_timeout):
            pass
        return self

    def drop_schema(self) -> None:
        Base.metadata.drop_all(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A Core connection inside one transaction: committed on success, rolled back on error."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def session(self) -> Iterator[Session]:
        """An ORM session inside one transaction: committed on success, rolled back on error."""
        with self._sessions.begin() as session:
            yield session

    def counts(self, conn: Connection | None = None) -> dict[str, int]:
        """Rows per table, in dependency order (on ``conn``, inside its transaction, if given)."""
        if conn is None:
            with self.engine.connect() as own:
                return self.counts(own)
        return {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in Base.metadata.sorted_tables
        }

    def total_rows(self) -> int:
        return sum(self.counts().values())

    def is_empty(self) -> bool:
        return self.total_rows() == 0

    def next_id(self, conn: Connection, table_name: str) -> int:
        """One more than the highest primary key of ``table_name`` (1 when empty)."""
        table = Base.metadata.tables[table_name]
        pk = next(iter(table.primary_key.columns))
        return int(conn.execute(select(func.coalesce(func.max(pk), 0))).scalar_one()) + 1

    def reset(self) -> list[str]:
        """Delete every row in reverse dependency order and reset id sequences.

        Returns the table names in the order they were emptied.
        """
        order = [t for t in reversed(Base.metadata.sorted_tables)]
        with self.engine.begin() as conn:
            for table in order:
                conn.execute(table.delete())
            self._reset_sequences(conn)
        return [t.name for t in order]

    def _reset_sequences(self, conn: Connection) -> None:
        if self.backend == "sqlite":
            if inspect(conn).has_table("sqlite_sequence"):
                conn.execute(text("DELETE FROM sqlite_sequence"))
        elif self.backend == "postgresql":
            for table in Base.metadata.sorted_tables:
                self._restart_pg_sequence(conn, table.name, restart_at=None)
        elif self.backend in ("mysql", "mariadb"):
            for table in Base.metadata.sorted_tables:
                conn.execute(text(f"ALTER TABLE {table.name} AUTO_INCREMENT = 1"))

    def _restart_pg_sequence(self, conn: Connection, table: str, restart_at: int | None) -> None:
        pk = next(iter(Base.metadata.tables[table].primary_key.columns))
        seq = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table, "c": pk.name}
        ).scalar_one()
        if seq is None:
            return
        if restart_at is None:
            conn.execute(text(f"ALTER SEQUENCE {seq} RESTART WITH 1"))
        else:
            conn.execute(text("SELECT setval(:s, :v, true)"), {"s": seq, "v": restart_at})

    def sync_sequences(self, conn: Connection | None = None) -> None:
        """After inserts with explicit ids, move sequences past the highest id (PostgreSQL).

        With ``conn``: inside the caller's transaction (the seed's single transaction).
        """
        if self.backend != "postgresql":
            return
        if conn is None:
            with self.engine.begin() as own:
                self.sync_sequences(own)
            return
        for table in Base.metadata.sorted_tables:
            pk = next(iter(table.primary_key.columns))
            if not pk.autoincrement or len(table.primary_key.columns) != 1:
                continue
            highest = conn.execute(select(func.max(pk))).scalar_one()
            if highest:
                self._restart_pg_sequence(conn, table.name, restart_at=int(highest))

    def sequence_positions(self) -> dict[str, int]:
        """The next id each table's sequence would hand out (1 means freshly reset)."""
        positions: dict[str, int] = {}
        with self.engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                if self.backend == "sqlite":
                    row = None
                    if inspect(conn).has_table("sqlite_sequence"):
                        row = conn.execute(
                            text("SELECT seq FROM sqlite_sequence WHERE name = :n"),
                            {"n": table.name},
                        ).scalar_one_or_none()
                    positions[table.name] = int(row or 0) + 1
                elif self.backend == "postgresql":
                    pk = next(iter(table.primary_key.columns))
                    seq = conn.execute(
                        text("SELECT pg_get_serial_sequence(:t, :c)"),
                        {"t": table.name, "c": pk.name},
                    ).scalar_one()
                    if seq is None:
                        continue
                    last, called = conn.execute(
                        text(f"SELECT last_value, is_called FROM {seq}")
                    ).one()
                    positions[table.name] = int(last) + 1 if called else int(last)
                else:
                    value = conn.execute(
                        text(
                            "SELECT AUTO_INCREMENT FROM information_schema.TABLES "
                            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :n"
                        ),
                        {"n": table.name},
                    ).scalar_one_or_none()
                    positions[table.name] = int(value or 1)
        return positions

    def dispose(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.url!r})"


def _roll_back(conn: Connection, transaction: Any) -> None:
    """Roll back; a connection an interrupt left mid-command (a COPY cut short by Ctrl-C)
    cannot, so it is closed instead: the server rolls back what it never saw committed."""
    try:
        transaction.rollback()
        if conn.dialect.name == "sqlite":
            # After SQLITE_FULL or an I/O error SQLite leaves the rollback to the next reader
            # (a hot journal); read once now so the file is whole when this run ends.
            conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
            conn.rollback()
    except Exception:  # noqa: BLE001 - any failure here means the connection is unusable
        conn.invalidate()


def is_lock_timeout(exc: BaseException) -> bool:
    """A lock wait that ran out (PostgreSQL 55P03 lock_not_available, MySQL 1205, SQLite busy)."""
    orig = getattr(exc, "orig", exc)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code == "55P03":
        return True
    args = getattr(orig, "args", ())
    if args and args[0] == 1205:
        return True
    return "database is locked" in str(orig)


def open_database(url: str | Database | None = None, *, create: bool = True) -> Database:
    """The Database at ``url`` (or the configured default); ``create`` also creates its schema.

    A Database passes through. ConfigurationError for a malformed or unsupported URL;
    PostgreSQL and MySQL get a short connect timeout so a wrong host fails fast.
    """
    if isinstance(url, Database):
        db = url
    else:
        raw = settings.database_url(url)
        if raw.startswith("postgres://"):
            raise ConfigurationError(f"Malformed database URL {raw!r}; write postgresql://, not postgres://")
        kwargs: dict[str, Any] = {}
        if raw.startswith(("postgresql", "mysql", "mariadb")):
            kwargs["connect_args"] = {"connect_timeout": settings.qa_settings().connect_timeout}
        db = Database(engine=make_engine(raw, **kwargs))
    if create:
        db.create_schema()
    return db
