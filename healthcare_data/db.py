"""Engine, sessions and whole-database operations from one URL.

``Database(url)`` opens SQLite (default file), PostgreSQL or MySQL/MariaDB; foreign
keys are enforced on SQLite on every connection. Library functions take a session
or connection and leave the transaction to their caller; ``Database.transaction()``
and ``Database.session()`` are the callers' unit of work.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from healthcare_data import settings
from healthcare_data.errors import ConfigurationError
from healthcare_data.schema import Base

SUPPORTED_BACKENDS = ("sqlite", "postgresql", "mysql", "mariadb")


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (or the configured default) with the project's settings."""
    raw = settings.database_url(url)
    try:
        parsed = make_url(raw)
    except ArgumentError:
        raise ConfigurationError(
            f"Malformed database URL {raw!r}; expected e.g. sqlite:///file.db or "
            "postgresql+psycopg://user@host/db"
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
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise ConfigurationError(f"Cannot reach database {self.url!r}: {reason}") from None

    def create_schema(self) -> Database:
        """Create every table that does not exist yet."""
        Base.metadata.create_all(self.engine)
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

    def counts(self) -> dict[str, int]:
        """Rows per table, in dependency order."""
        with self.engine.connect() as conn:
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

    def sync_sequences(self) -> None:
        """After inserts with explicit ids, move sequences past the highest id (PostgreSQL)."""
        if self.backend != "postgresql":
            return
        with self.engine.begin() as conn:
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


# Seconds a PostgreSQL/MySQL connection may take: a wrong host fails fast instead of hanging.
CONNECT_TIMEOUT_SECONDS = 5


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
            kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
        db = Database(engine=make_engine(raw, **kwargs))
    if create:
        db.create_schema()
    return db
