"""Fixtures of the export consumer tests: a seeded source, scratch PostgreSQL/MariaDB databases.

Scratch databases get unique names (the servers are shared) and are dropped afterwards.
Without a reachable server the test is skipped locally and *fails* under ``CI``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from healthcare_data import seeding
from healthcare_data.bulk import write_dataset
from healthcare_data.db import Database
from tests.conftest import POSTGRES_ADMIN_URL, TEST_TODAY

MYSQL_ADMIN_URL = os.environ.get("HEALTHCARE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/")


def _required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("HEALTHCARE_REQUIRE_POSTGRES"))


def seeded(path, profile: str = "standard", seed: int = 7) -> Database:
    db = Database(f"sqlite:///{path}").create_schema()
    write_dataset(db, seeding.generate(profile, seed, today=TEST_TODAY))
    return db


@pytest.fixture(scope="module")
def standard_db(tmp_path_factory) -> Iterator[Database]:
    """A SQLite database seeded with the `standard` profile."""
    db = seeded(tmp_path_factory.mktemp("source") / "standard.db")
    yield db
    db.dispose()


def _scratch(admin_url: str, quote: str) -> Iterator[str]:
    name = f"hd_export_{uuid.uuid4().hex[:10]}"
    isolation = {"isolation_level": "AUTOCOMMIT"}
    admin = create_engine(admin_url, **isolation)
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {quote}{name}{quote}"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "no server"
        admin.dispose()
        message = f"{admin_url} unreachable: {exc.__class__.__name__}"
        if _required():
            pytest.fail(message + " (CI requires it)")
        pytest.skip(message)
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            drop = f"DROP DATABASE IF EXISTS {quote}{name}{quote}"
            conn.execute(text(drop + (" WITH (FORCE)" if quote == '"' else "")))
        admin.dispose()


@pytest.fixture
def scratch_postgres() -> Iterator[str]:
    """URL of an empty PostgreSQL database of this test's own."""
    if os.environ.get("HEALTHCARE_SKIP_POSTGRES") and not _required():
        pytest.skip("HEALTHCARE_SKIP_POSTGRES is set")
    yield from _scratch(POSTGRES_ADMIN_URL, '"')


@pytest.fixture
def scratch_mysql() -> Iterator[str]:
    """URL of an empty MariaDB/MySQL database of this test's own."""
    need("pymysql")
    yield from _scratch(MYSQL_ADMIN_URL, "`")


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as psql takes it (no +driver)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def need(module: str):
    """Import a consumer library: skipped locally when missing, a failure under CI (the
    test extra installs it)."""
    import importlib

    if _required():
        return importlib.import_module(module)
    return pytest.importorskip(module)
