"""SQL dumps loaded by each database's own client, compared to the source database."""

from __future__ import annotations

import sqlite3
import subprocess

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from healthcare_data import seeding
from healthcare_data.db import Database
from healthcare_data.errors import UnknownNameError
from healthcare_data.export import read_database
from tests.export_support import libpq_url, scratch_mysql, scratch_postgres, seeded  # noqa: F401 - fixtures


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    db = seeded(tmp_path_factory.mktemp("sql") / "src.db", "minimal", 9)
    with db.engine.begin() as conn:  # quotes and backslashes must survive every dialect
        conn.execute(text("UPDATE patients SET address_street = 'O''Brien St \\ 4' WHERE id = 1"))
    yield db
    db.dispose()


def test_sqlite_dump_loads_with_the_sqlite3_module(source, tmp_path):
    seeding.export(tmp_path / "dump.sql", "sql", url=source, dialect="sqlite")
    target = tmp_path / "loaded.db"
    connection = sqlite3.connect(target)
    connection.executescript((tmp_path / "dump.sql").read_text("utf-8"))
    connection.close()
    loaded = Database(f"sqlite:///{target}")
    assert read_database(loaded) == read_database(source)
    assert loaded.sequence_positions()["patients"] == source.counts()["patients"] + 1
    loaded.dispose()


def test_postgresql_dump_loads_with_psql(source, tmp_path, scratch_postgres):  # noqa: F811 - fixture
    seeding.export(tmp_path / "dump.sql", "sql", url=source, dialect="postgresql")
    subprocess.run(
        [
            "psql",
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            libpq_url(scratch_postgres),
            "-f",
            str(tmp_path / "dump.sql"),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    loaded = Database(scratch_postgres)
    assert read_database(loaded) == read_database(source)
    assert loaded.sequence_positions()["patients"] == source.counts()["patients"] + 1
    loaded.dispose()


def test_mysql_dump_loads_with_the_mysql_client(source, tmp_path, scratch_mysql):  # noqa: F811 - fixture
    seeding.export(tmp_path / "dump.sql", "sql", url=source, dialect="mysql")
    url = make_url(scratch_mysql)
    client = (
        "mariadb" if subprocess.run(["which", "mariadb"], capture_output=True).returncode == 0 else "mysql"
    )
    with (tmp_path / "dump.sql").open("rb") as dump:
        subprocess.run(
            [client, "-h", url.host, "-P", str(url.port or 3306), "-u", url.username, url.database],
            stdin=dump,
            check=True,
            capture_output=True,
        )
    loaded = Database(scratch_mysql)
    assert read_database(loaded) == read_database(source)
    loaded.dispose()


def test_an_unknown_dialect_is_refused_before_anything_is_written(source, tmp_path):
    with pytest.raises(UnknownNameError, match="'oracle'"):
        seeding.export(tmp_path / "dump.sql", "sql", url=source, dialect="oracle")
    assert list(tmp_path.iterdir()) == []
