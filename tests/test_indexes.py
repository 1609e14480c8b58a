"""Fresh bulk loads build secondary and unique indexes after the rows are in."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from healthcare_data.bulk import write_dataset
from healthcare_data.db import Database
from healthcare_data.errors import PersistenceError
from healthcare_data.generation import Batch, DatasetSpec, generate_dataset
from healthcare_data.randomness import Randomness
from healthcare_data.schema import Base

SPEC = DatasetSpec(patients=40, providers=8, appointments=60, medical_records=20, insurance_claims=10)
TODAY = date(2026, 6, 1)


def _indexes(db: Database) -> set[str]:
    from sqlalchemy import inspect

    inspector = inspect(db.engine)
    return {ix["name"] for t in Base.metadata.sorted_tables for ix in inspector.get_indexes(t.name)}


def _expected() -> set[str]:
    return {str(ix.name) for t in Base.metadata.sorted_tables for ix in t.indexes}


def _batches(seed: int = 3) -> list[Batch]:
    return list(generate_dataset(SPEC, Randomness(seed, today=TODAY), 25))


def _with_duplicate_ssn(batches: list[Batch]) -> list[Batch]:
    """The last patient gets the first patient's SSN: only a unique index can notice."""
    patients = [b for b in batches if b.table == "patients"]
    first, last = patients[0].rows[0], patients[-1].rows[-1]
    last["ssn"] = first["ssn"]
    return batches


def test_schema_uniques_are_droppable_named_indexes(sqlite_db: Database) -> None:
    assert {"ix_patients_ssn", "ix_patients_uuid", "ix_providers_npi_number"} <= _expected()
    assert _indexes(sqlite_db) >= _expected()


def test_deferred_load_stores_the_same_rows_and_rebuilds_every_index(tmp_path) -> None:
    plain = Database(f"sqlite:///{tmp_path / 'plain.db'}").create_schema()
    deferred = Database(f"sqlite:///{tmp_path / 'deferred.db'}").create_schema()
    write_dataset(plain, _batches(), atomic=True)
    write_dataset(deferred, _batches(), atomic=True, defer_indexes=True)
    assert _indexes(deferred) == _indexes(plain) >= _expected()
    for table in ("patients", "appointments", "insurance_claims"):
        a = sqlite3.connect(tmp_path / "plain.db").execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
        b = sqlite3.connect(tmp_path / "deferred.db").execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
        assert a == b and a
    plain.dispose()
    deferred.dispose()


def test_a_duplicate_fails_the_whole_deferred_load_with_nothing_written(db: Database) -> None:
    with pytest.raises(PersistenceError, match="unique index ix_patients_ssn") as caught:
        write_dataset(db, _with_duplicate_ssn(_batches()), atomic=True, defer_indexes=True)
    assert "0 rows kept" in str(caught.value)
    assert db.is_empty()
    assert _indexes(db) >= _expected()  # the dropped indexes came back with the rollback
    write_dataset(db, _batches(), atomic=True, defer_indexes=True)  # and the load works after it
    assert db.counts()["patients"] == SPEC.patients
    assert _indexes(db) >= _expected()


def test_load_settings_are_restored_after_the_load(sqlite_db: Database) -> None:
    """Pooled connections keep their PRAGMAs: the load's cache and sync settings must not leak."""
    with sqlite_db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA cache_size=-3000")
        conn.exec_driver_sql("PRAGMA synchronous=FULL")
    write_dataset(sqlite_db, _batches(), atomic=True, defer_indexes=True)
    with sqlite_db.engine.connect() as conn:
        cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        synchronous = conn.exec_driver_sql("PRAGMA synchronous").scalar()
    assert (cache, synchronous) == (-3000, 2)


@pytest.mark.parametrize("caller_connection", [False, True], ids=["write_dataset's", "the seed's"])
def test_the_load_has_the_large_cache_and_the_index_build_a_small_one(
    sqlite_db: Database, monkeypatch, caller_connection: bool
) -> None:
    """The bulk load's page cache speeds FK lookups; the index build runs with a smaller one,
    which bounds SQLite's sorter memory (the 1M seed's peak), on either connection."""
    from healthcare_data import bulk

    seen: dict[str, int] = {}

    def cache(conn) -> int:
        return conn.exec_driver_sql("PRAGMA cache_size").scalar()

    real_writer_class, real_create = bulk._writer_class, bulk.create_indexes

    def writer_class(backend: str, method: str):
        class Recording(real_writer_class(backend, method)):  # type: ignore[misc]
            def write(self, table, rows) -> None:
                seen.setdefault("load", cache(self.conn))
                super().write(table, rows)

        return Recording

    def create_indexes(conn, indexes) -> None:
        seen.setdefault("index build", cache(conn))
        real_create(conn, indexes)

    monkeypatch.setattr(bulk, "_writer_class", writer_class)
    monkeypatch.setattr(bulk, "create_indexes", create_indexes)
    with sqlite_db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA cache_size=-3000")
        conn.commit()
        with conn.begin():
            mine = {"connection": conn} if caller_connection else {"atomic": True}
            write_dataset(sqlite_db, _batches(), defer_indexes=True, **mine)
        after = cache(conn)
    # The seed's own transaction keeps its cache for the load: with 64 MB a small seed's
    # pages stay in memory until the commit, and tests/test_faults.py's SIGKILL case needs
    # a file really half-written (its pages spilled) to prove the kill safe.
    load = -3000 if caller_connection else -bulk.LOAD_CACHE_KIB
    assert seen == {"load": load, "index build": -bulk.INDEX_BUILD_CACHE_KIB}
    assert after == -3000


def test_defer_indexes_needs_one_transaction(sqlite_db: Database) -> None:
    from healthcare_data.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="atomic=True"):
        write_dataset(sqlite_db, _batches(), defer_indexes=True)
