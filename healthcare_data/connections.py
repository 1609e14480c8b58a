"""Connection policy: which database a command opens, and what it must already hold.

Every command and library entry point opens its database through :func:`connect`
(malformed, unsupported or unreachable URLs, and missing SQLite files, fail with one
line naming the database and what to do) and checks the tables with
:func:`require_schema` before reading; :func:`describe` is how messages name a database.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from healthcare_data.db import Database, open_database
from healthcare_data.errors import ConfigurationError

__all__ = ["ANY_SCHEMA", "connect", "describe", "missing_file_message", "require_schema", "sqlite_path"]


def sqlite_path(db: Database) -> Path | None:
    """The absolute path of an SQLite database file (None for other backends or memory)."""
    if db.backend != "sqlite":
        return None
    name = db.engine.url.database
    if not name or name == ":memory:":
        return None
    return Path(name).resolve()


def describe(db: Database) -> str:
    """How messages name a database: the SQLite file's path, else the URL (password hidden)."""
    path = sqlite_path(db)
    return f"SQLite file {str(path)!r}" if path else repr(db.url)


def connect(
    url: str | Database | None = None, *, create_schema: bool = False, command: str | None = None
) -> Database:
    """Open ``url`` (or the configured default), prove it answers, optionally create tables.

    Raises ConfigurationError naming the database when it is malformed, unsupported or
    unreachable, or (without ``create_schema``) an SQLite file that does not exist; that
    message fits ``command``, the healthcare-data command opening it (None: a library
    call). An open :class:`Database` is checked and used as it is.
    """
    db = open_database(url, create=False)
    try:
        path = sqlite_path(db)
        if not create_schema and path is not None and not path.exists():
            raise ConfigurationError(missing_file_message(path, command))
        db.check_connection()
        if create_schema:
            _create_schema(db)
    except BaseException:
        if db is not url:
            db.dispose()
        raise
    return db


def _create_schema(db: Database) -> None:
    try:
        db.create_schema()
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise ConfigurationError(f"Cannot create the tables in {describe(db)}: {reason}") from None


def require_schema(db: Database) -> None:
    """A database the tool never seeded has none of our tables (or only look-alikes of
    another application's): say so instead of failing on SQL."""
    present = set(inspect(db.engine).get_table_names())
    if "patients" not in present:
        raise ConfigurationError(
            f"Database {describe(db)} has no healthcare-data tables; seed it first: "
            "healthcare-data seed --database-url ..."
        )
    db.check_tables()


# any-schema's introspect and generate work on a database of another application's
# schema, not on one healthcare-data seeds: a missing file is not cured by seeding it.
ANY_SCHEMA = "any-schema"


def missing_file_message(path: Path, command: str | None = None) -> str:
    """What to say when the SQLite file ``path`` does not exist, for ``command`` (a healthcare-data
    command, ``ANY_SCHEMA`` for introspect/generate, None for a library call)."""
    if command == ANY_SCHEMA:
        return (
            f"SQLite file {str(path)!r} does not exist: healthcare-data introspect and generate work on "
            "your application's existing database: create its tables first (its migrations) or check the path"
        )
    reads = f": healthcare-data {command} reads a seeded database" if command else ""
    return f"SQLite file {str(path)!r} does not exist{reads}; seed it first: healthcare-data seed"
