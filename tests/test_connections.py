"""connections: how commands open a database, and what a missing SQLite file's message says."""

from __future__ import annotations

import pytest

from healthcare_data.connections import ANY_SCHEMA, connect, describe, require_schema, sqlite_path
from healthcare_data.db import Database
from healthcare_data.errors import ConfigurationError
from tests.test_cli import one_line_error, run


def test_a_missing_file_message_fits_the_command(tmp_path):
    url = f"sqlite:///{tmp_path / 'absent.db'}"
    with pytest.raises(ConfigurationError, match=r"does not exist; seed it first: healthcare-data seed$"):
        connect(url)
    with pytest.raises(ConfigurationError, match="healthcare-data validate reads a seeded database; seed it"):
        connect(url, command="validate")
    with pytest.raises(ConfigurationError, match="introspect and generate work on your") as caught:
        connect(url, command=ANY_SCHEMA)
    assert "seed" not in str(caught.value)
    assert not (tmp_path / "absent.db").exists()


def test_the_commands_say_what_they_need(tmp_path):
    generate = run("generate", "--database-url", f"sqlite:///{tmp_path / 'app.db'}", cwd=tmp_path)
    assert generate.returncode == 2
    assert "create its tables first (its migrations)" in one_line_error(generate.stderr)
    assert "seed" not in one_line_error(generate.stderr)
    validate = run("validate", "--database-url", f"sqlite:///{tmp_path / 'none.db'}", cwd=tmp_path)
    assert "validate reads a seeded database; seed it first" in one_line_error(validate.stderr)


def test_describe_names_the_file_and_require_schema_refuses_a_foreign_database(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'other.db'}")
    db.check_connection()
    assert sqlite_path(db) == (tmp_path / "other.db").resolve()
    assert describe(db) == f"SQLite file {str((tmp_path / 'other.db').resolve())!r}"
    with pytest.raises(ConfigurationError, match="has no healthcare-data tables"):
        require_schema(db)
    db.dispose()
