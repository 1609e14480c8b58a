"""``generate --reset`` / ``--append``: the same one-transaction, nothing-lost behaviour as ``seed``."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import text

from healthcare_data import anyschema
from healthcare_data.cli import main
from healthcare_data.db import RUN_LOCK_KEY, make_engine
from healthcare_data.errors import ConfigurationError, DatabaseBusyError, PersistenceError
from tests.schemas import SCHEMAS
from tests.test_anyschema_fill import _create, _fresh, _rows

TODAY = date(2026, 11, 22)


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    yield from _fresh(request, request.param, tmp_path)


def _digest(url: str, tables: tuple[str, ...]) -> dict[str, tuple[int, str]]:
    """Row count and a SHA-256 of every row, per table (the database 'as it was')."""
    out = {}
    for table in tables:
        rows = sorted(repr(r) for r in _rows(url, f"SELECT * FROM {table}"))
        out[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return out


def _generate(url: str, *flags: str) -> tuple[int, str, str]:
    import io

    out, err = io.StringIO(), io.StringIO()
    code = main(["generate", "--database-url", url, "-q", "--today", "2026-11-22", *flags], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _orphans(url: str) -> int:
    return (
        _rows(
            url,
            "SELECT COUNT(*) FROM books b LEFT JOIN authors a ON a.id = b.author_id WHERE a.id IS NULL",
        )[0][0]
        + _rows(
            url,
            "SELECT COUNT(*) FROM authors a LEFT JOIN books b ON b.id = a.favorite_book_id "
            "WHERE a.favorite_book_id IS NOT NULL AND b.id IS NULL",
        )[0][0]
    )


def test_reset_replaces_the_rows_of_a_cyclic_schema_in_one_run(url: str) -> None:
    _create(url, SCHEMAS["library"]())
    assert _generate(url, "--rows", "30", "--seed", "1")[0] == 0
    first = _digest(url, ("authors", "books"))
    code, out, err = _generate(url, "--rows", "30", "--seed", "2")
    assert code == 2 and "--reset" in err and "--append" in err and err.count("\n") == 1
    code, out, err = _generate(url, "--rows", "30", "--seed", "2", "--reset")
    assert code == 0, err
    assert "transaction per run, reset" in out
    second = _digest(url, ("authors", "books"))
    assert {t: n for t, (n, _) in second.items()} == {"authors": 30, "books": 30}
    assert second != first and _orphans(url) == 0
    code, _, err = _generate(url, "--rows", "30", "--seed", "1", "--reset")  # the same seed, the same rows
    assert code == 0, err
    assert _digest(url, ("authors", "books")) == first


def test_append_continues_keys_and_unique_values(url: str) -> None:
    _create(url, SCHEMAS["saas"]())
    assert _generate(url, "--rows", "20", "--seed", "5")[0] == 0
    for _ in range(2):  # twice with one seed: the second append must not repeat the first
        code, out, err = _generate(url, "--rows", "20", "--seed", "5", "--append")
        assert code == 0, err
        assert "transaction per run, append" in out
    assert _rows(url, "SELECT COUNT(*), COUNT(DISTINCT id), MIN(id), MAX(id) FROM users") == [(60, 60, 1, 60)]
    assert _rows(url, "SELECT COUNT(DISTINCT email), COUNT(DISTINCT username) FROM users") == [(60, 60)]
    assert _rows(url, "SELECT COUNT(*) FROM memberships")[0][0] > 20
    # new rows point at parents of their own run: tasks 41-60 belong to projects 41-60
    assert _rows(url, "SELECT MIN(project_id) FROM tasks WHERE id > 40")[0][0] > 40


def test_a_failed_reset_leaves_the_database_as_it_was(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:  # a CHECK the tool cannot read: ids past 250 break it
        conn.exec_driver_sql(
            "CREATE TABLE items (id INTEGER PRIMARY KEY, label VARCHAR(20), CHECK (id * 2 <= 500))"
        )
    engine.dispose()
    assert _generate(url, "--rows", "200", "--seed", "1")[0] == 0
    before = _digest(url, ("items",))
    code, _, err = _generate(url, "--rows", "400", "--seed", "2", "--reset", "--batch-size", "100")
    assert code == 1 and "Writing batch 3 of 'items'" in err and "the database is as it was" in err
    assert err.count("\n") <= 2 and "Traceback" not in err
    assert _digest(url, ("items",)) == before


def test_reset_refuses_a_table_outside_the_plan_that_references_one(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    _create(url, SCHEMAS["library"]())
    plan = anyschema.introspect(url, tables=["books", "authors"])
    anyschema.generate(plan, 5, database_url=url, today=TODAY)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE reviews (id INTEGER PRIMARY KEY, book_id INTEGER REFERENCES books(id))"
        )
    engine.dispose()
    plan = anyschema.introspect(url, tables=["books", "authors"])
    with pytest.raises(ConfigurationError, match="table 'reviews' \\(not in the plan\\) references"):
        anyschema.generate(plan, 5, database_url=url, today=TODAY, reset=True)
    assert _rows(url, "SELECT COUNT(*) FROM books") == [(5,)]


def test_reset_and_append_exclude_each_other(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    _create(url, SCHEMAS["library"]())
    code, _, err = _generate(url, "--reset", "--append")
    assert code == 2 and "not allowed with argument" in err
    with pytest.raises(ConfigurationError, match="exclude each other"):
        anyschema.generate(url, 5, reset=True, append=True)
    with pytest.raises(ConfigurationError, match="not to --output files"):
        anyschema.generate(url, 5, output=tmp_path / "o", format="jsonl", reset=True)


def test_a_held_run_lock_stops_generate_with_a_clear_error(pg_url: str, monkeypatch) -> None:
    _create(pg_url, SCHEMAS["library"]())
    monkeypatch.setenv("QA_LOCK_TIMEOUT", "1")
    holder = make_engine(pg_url)
    with holder.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": RUN_LOCK_KEY})
        with pytest.raises(DatabaseBusyError, match="is busy: waited .* for 1 s"):
            anyschema.generate(pg_url, 5, today=TODAY)
        code, _, err = _generate(pg_url, "--rows", "5")
        assert code == 1 and "is busy" in err and "QA_LOCK_TIMEOUT" in err
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": RUN_LOCK_KEY})
    holder.dispose()
    assert _rows(pg_url, "SELECT COUNT(*) FROM authors") == [(0,)]
    assert anyschema.generate(pg_url, 5, today=TODAY).total_rows == 10  # free again


@pytest.fixture
def pg_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    yield from _fresh(request, "postgresql", tmp_path)


def test_a_generation_error_after_the_reset_keeps_the_old_rows(tmp_path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    _create(url, SCHEMAS["library"]())
    anyschema.generate(url, 10, today=TODAY)
    before = _digest(url, ("authors", "books"))
    from healthcare_data.anyschema import rows

    def broken(self, batch_size, *, nulls=()):
        yield from ()
        raise PersistenceError("generation broke")

    monkeypatch.setattr(rows.TableRows, "batches", broken)
    with pytest.raises(PersistenceError, match="generation broke"):
        anyschema.generate(url, 10, seed=9, today=TODAY, reset=True)
    assert _digest(url, ("authors", "books")) == before


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill", "int"])
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_reset_killed_mid_write_leaves_the_previous_rows(
    request: pytest.FixtureRequest, tmp_path, backend: str, sig: signal.Signals
) -> None:
    from tests.test_faults import _env, fingerprint, one_line, wait_until_mid_write

    urls = _fresh(request, backend, tmp_path)
    url = next(urls)
    try:
        _create(url, SCHEMAS["saas"]())
        assert _generate(url, "--rows", "200", "--seed", "1")[0] == 0
        before = fingerprint(url)
        command = [sys.executable, "-m", "healthcare_data", "generate", "-q", "--database-url", url]
        process = subprocess.Popen(
            [*command, "--rows", "200000", "--seed", "2", "--reset"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        wait_until_mid_write(url, process, on_disk=False)
        time.sleep(0.3)  # some batches in
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=60)
        if sig == signal.SIGKILL:
            assert process.returncode == -signal.SIGKILL
        else:
            assert process.returncode == 130 and "interrupted" in one_line(stderr), stderr
        deadline = time.monotonic() + 30
        while True:  # PostgreSQL: the server notices the killed client and rolls back
            try:
                assert fingerprint(url) == before
                break
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert _generate(url, "--rows", "50", "--seed", "3", "--reset")[0] == 0  # a rerun works
    finally:
        urls.close()
