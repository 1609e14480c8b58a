"""Shared fixtures: a seeded randomness source and databases on every backend.

``db`` runs each database test on SQLite and on PostgreSQL. The PostgreSQL server is
shared, so the session creates a database of its own (``hd_test_<random>``) and drops
it at the end. Without a reachable server the PostgreSQL half is skipped locally but
*fails* when ``CI`` or ``HEALTHCARE_REQUIRE_POSTGRES`` is set: CI must test it for real.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from healthcare_data.db import Database
from healthcare_data.randomness import Randomness

# The date tests compute ages and appointment windows from, so results do not drift.
TEST_TODAY = date(2026, 11, 22)
POSTGRES_ADMIN_URL = os.environ.get(
    "HEALTHCARE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


MYSQL_ADMIN_URL = os.environ.get("HEALTHCARE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/")


def _postgres_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("HEALTHCARE_REQUIRE_POSTGRES"))


@pytest.fixture
def rng() -> Randomness:
    """A seeded source with a pinned 'today'."""
    return Randomness(20261122, today=TEST_TODAY)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a throw-away PostgreSQL database created for this test session."""
    if os.environ.get("HEALTHCARE_SKIP_POSTGRES") and not _postgres_required():
        pytest.skip("HEALTHCARE_SKIP_POSTGRES is set")
    name = f"hd_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server"
        admin.dispose()
        message = f"PostgreSQL at {POSTGRES_ADMIN_URL} unreachable: {exc.__class__.__name__}"
        if _postgres_required():
            pytest.fail(message + " (CI requires PostgreSQL)")
        pytest.skip(message)
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _postgres_database(postgres_url: str) -> Iterator[Database]:
    db = Database(postgres_url).create_schema()
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path) -> Iterator[Database]:
    """An empty database with the schema, once per backend."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'test.db'}").create_schema()
        yield database
        database.dispose()
    else:
        database = request.getfixturevalue("_postgres_database")
        database.reset()
        yield database
        database.reset()


@pytest.fixture
def sqlite_db(tmp_path) -> Iterator[Database]:
    """An empty SQLite database, for tests that are about logic, not the backend."""
    database = Database(f"sqlite:///{tmp_path / 'test.db'}").create_schema()
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def mysql_admin_url() -> str:
    """URL of the MySQL/MariaDB server (no database); skipped locally, a failure in CI if unreachable."""
    engine = create_engine(MYSQL_ADMIN_URL, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server"
        message = f"MySQL/MariaDB at {MYSQL_ADMIN_URL} unreachable: {exc.__class__.__name__}"
        if _postgres_required():
            pytest.fail(message + " (CI requires MariaDB)")
        pytest.skip(message)
    finally:
        engine.dispose()
    return MYSQL_ADMIN_URL
